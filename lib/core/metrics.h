/*
 * metrics.h - counters every process shares, for /metrics and /status.
 *
 * One small file of fixed layout (cache_file with ".metrics" appended),
 * mapped MAP_SHARED by the pool before fork and by plain CGI processes
 * alike, holds atomic 64-bit counters.  Every label value comes from a
 * table (a status code table and the upstream kinds here; the routes,
 * the breaker states and the report states handed in by the process
 * model, intake_metrics_labels(), since those modules sit above this
 * one): nothing a client sends ever becomes a label, so a flood of odd
 * paths cannot grow the scrape.
 *
 * The hooks (intake_metrics_request() and friends) are one line at the
 * place an event ends and cost one relaxed atomic add.  Before
 * intake_metrics_open() (unit tests of other modules, tools) they do
 * nothing.  The mapping is process-wide on purpose: the hooks sit deep
 * in modules that have no ctx to carry it, like upstream.c's slot count.
 */
#ifndef INTAKE_METRICS_H
#define INTAKE_METRICS_H

#include <sys/types.h>

#include <stdbool.h>
#include <stdint.h>

#include "util/buf.h"
#include "core/config.h"
#include "util/err.h"

#define INTAKE_METRICS_ROWS	257	/* one per worker row (pool.c's 256) and the dispatcher */
/*
 * Routes the file has rows for, "none" aside: today's route count, so the
 * layout is the one every running process maps.  Raising it changes the
 * layout: bump METRICS_VERSION in metrics.c with it.
 */
#define INTAKE_METRICS_ROUTES_MAX	8
#define INTAKE_METRICS_DISPATCHER_ROW	(INTAKE_METRICS_ROWS - 1)

/* Plain counters; rows of one family are adjacent in metrics.c's table. */
enum intake_metric {
	INTAKE_METRIC_TOKEN_FETCH_OK,		/* a token fetched from Integrify */
	INTAKE_METRIC_TOKEN_FETCH_FAILED,	/* a token fetch that failed */
	INTAKE_METRIC_UPSTREAM_CONNECT,		/* a new connection to Integrify */
	INTAKE_METRIC_UPSTREAM_TLS_FULL,	/* ... with a full TLS handshake */
	INTAKE_METRIC_UPSTREAM_TLS_RESUMED,	/* ... with a resumed TLS session */
	INTAKE_METRIC_UPSTREAM_RESEND_REFUSED,	/* a POST libcurl wanted to send again */
	INTAKE_METRIC_LIST_HIT,			/* a list answered fresh from a cache */
	INTAKE_METRIC_LIST_MISS,		/* a list fetched for the request */
	INTAKE_METRIC_LIST_STALE,		/* an old list while another refreshes */
	INTAKE_METRIC_LIST_STALE_ERROR,		/* an old list because Integrify failed */
	INTAKE_METRIC_CACHE_EVICTION,		/* a live shared-cache entry evicted */
	INTAKE_METRIC_RATE_LIMITED_CLIENT,	/* a post refused: rate_per_client */
	INTAKE_METRIC_RATE_LIMITED_FORM,	/* a post refused: rate_per_form */
	INTAKE_METRIC_SPOOL_ACCEPTED,		/* a submission written to queue/ */
	INTAKE_METRIC_SPOOL_DELIVERED,		/* a submission became a request */
	INTAKE_METRIC_SPOOL_HELD,		/* a delivery failed and waits to retry */
	INTAKE_METRIC_SPOOL_DEAD,		/* a submission set aside in dead/ */
	INTAKE_METRIC_SPOOL_QUARANTINED,	/* an unreadable record set aside */
	INTAKE_METRIC_SPOOL_DUPLICATE,		/* another host delivers it: not started */
	INTAKE_METRIC_SPOOL_SYNC_JOURNAL,	/* an fdatasync of the journal (group commit) */
	INTAKE_METRIC_SPOOL_SYNC_CHECKPOINT,	/* a sync of a checkpoint or a recovery */
	INTAKE_METRIC_SPOOL_SYNC_STATE,		/* a sync of delivery state (meta, claim, ...) */
	INTAKE_METRIC_BREAKER_OPENED,		/* the breaker opened */
	INTAKE_METRIC_WORKER_RESTART,		/* a worker ended and was replaced */
	INTAKE_METRIC_WORKER_CRASH,		/* ... killed by a signal or failed */
	INTAKE_METRIC_DISPATCHER_RESTART,	/* the dispatcher ended and was replaced */
	INTAKE_METRIC__MAX
};

/* What kind of Integrify call a URL is (a table of path pieces in metrics.c). */
enum intake_upstream_kind {
	INTAKE_UPSTREAM_TOKEN,
	INTAKE_UPSTREAM_REPORT,
	INTAKE_UPSTREAM_START,
	INTAKE_UPSTREAM_UPLOAD,
	INTAKE_UPSTREAM_SEARCH,
	INTAKE_UPSTREAM_PROCESSES,
	INTAKE_UPSTREAM_OTHER,
	INTAKE_UPSTREAM_KIND__MAX
};

/*
 * What the admin pages read at the moment of the scrape, filled by the
 * handler from the ctx (the spool, the breaker, the token cache).  -1:
 * not known.
 */
struct intake_metrics_gauges {
	long long	spool_queued;		/* records in queue/ */
	long long	spool_dead;		/* records in dead/ (held for a person) */
	long long	spool_done;		/* receipts in done/ */
	int		breaker;		/* enum intake_breaker_state (the labels' breaker) */
	bool		token_cached;		/* a usable token is in the cache */
	long long	token_left_s;		/* its seconds left, -1: none */
	long long	upstream_slots;		/* upstream slots configured */
	const char	*cache;			/* where shared state lives: "shm", "redis", "fallback" */
	bool		 cache_fallback;	/* Redis is configured but unreachable */
};

/*
 * The label tables of the modules above this one.  Every pointer must
 * stay valid while the process runs (static tables and names).
 */
struct intake_metrics_labels {
	const char *const	*routes;	/* a route's label, by enum intake_route */
	size_t			 nroutes;	/* <= INTAKE_METRICS_ROUTES_MAX */
	const char		*no_route;	/* the label of a request no route took */
	const char *const	*breaker;	/* a breaker state's label, by its enum */
	size_t			 nbreaker;
	const enum intake_metric *lists;	/* a report state's counter, by its enum */
	size_t			 nlists;
};

/*
 * Use l's tables (copied: the pointers, not what they point to) from now
 * on, in this process and the ones it forks.  Without them every request
 * is counted under no route, list answers are not counted and the
 * breaker has no series.  A table with more routes than the file has
 * rows for is ignored (and logged).
 */
void		intake_metrics_labels(const struct intake_metrics_labels *l);

/*
 * Map the shared counters for cfg.  With fresh (the supervisor, before
 * fork) start from zero and note now as the pool's start; without, attach
 * to the file and create it when missing (plain CGI, intake --dispatch).
 * The mapping is process-wide and inherited over fork.
 */
enum intake_err	intake_metrics_open(const struct intake_config *cfg, bool fresh);
/* Unmap; the hooks do nothing afterwards. */
void		intake_metrics_close(void);

/* Add one to m. */
void	intake_metrics_count(enum intake_metric m);
/* A list answer in report_state, counted as the labels' lists table says (hit, miss, stale). */
void	intake_metrics_list(int report_state);
/*
 * A request answered: route (enum intake_route; out of the labels'
 * routes: none), the status sent (0: none) and how long it took.
 */
void	intake_metrics_request(int route, int status, int64_t us);
/*
 * An Integrify call ended: its url (only the path is looked at, against
 * a table), the HTTP status (0: no reply), err and how long it took.
 */
void	intake_metrics_upstream(const char *url, long status, enum intake_err err, int64_t us);
/* The kind of Integrify call url is. */
enum intake_upstream_kind intake_metrics_upstream_kind(const char *url);
/* A monotonic clock in microseconds, for durations. */
int64_t	intake_metrics_now_us(void);

/* The pool: row (a worker slot, or the dispatcher's) now runs pid (0: none). */
void	intake_metrics_row(int row, pid_t pid);
/* The pool: how many workers the running config wants. */
void	intake_metrics_configured(long long workers);
/* In the forked child: this process is row. */
void	intake_metrics_self(int row);
/* This process starts (true) or ends (false) a request. */
void	intake_metrics_busy(bool busy);
/* This process took (+1) or gave back (-1) an upstream slot. */
void	intake_metrics_slot(int delta);

/*
 * Append the Prometheus text exposition format (version 0.0.4) of every
 * counter and of g to out.  INTAKE_EINVAL when not open; INTAKE_ETOOBIG
 * when out's max is too small.
 */
enum intake_err	intake_metrics_render(const struct intake_metrics_gauges *g,
		    struct intake_buf *out);
/*
 * Append the status page, one JSON object, to out: the pool's start and
 * uptime, workers configured, alive and busy, requests, restarts, the
 * spool, the breaker, the token (cached or not and seconds left, never
 * the token) and the upstream slots, and one row per process.
 */
enum intake_err	intake_metrics_status(const struct intake_metrics_gauges *g,
		    struct intake_buf *out);

#endif
