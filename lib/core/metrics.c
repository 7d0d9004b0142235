/*
 * metrics.c - the shared counters (metrics.h) and their two pages.
 *
 * The file holds one struct metrics_shm: a header, then arrays of
 * _Atomic uint64_t indexed by enums whose names come from const tables.
 * A histogram keeps one count per bucket (not cumulative) and a sum in
 * microseconds; the render adds the buckets up.  Relaxed atomics: a
 * scrape may see one counter a step ahead of another, never a torn one.
 */
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/metrics.h"
#include "util/str.h"
#include "util/nelem.h"

#define METRICS_MAGIC	0x696e74616b656d31ULL	/* "intakem1" */
#define METRICS_VERSION	1u	/* with the layout (INTAKE_METRICS_ROUTES_MAX among it) */

/* The statuses intake sends (req.c's reasons[]), and one row for any other. */
static const int status_codes[] = {
	200, 201, 202, 204, 303, 304, 400, 403, 404, 405, 413, 415, 422, 429, 431,
	500, 502, 503, 504,
};
#define NSTATUS		(sizeof(status_codes) / sizeof(status_codes[0]) + 1)	/* + "other" */
#define NROUTES		(INTAKE_METRICS_ROUTES_MAX + 1)				/* + "none" */
#define NO_ROUTE	INTAKE_METRICS_ROUTES_MAX	/* the row of requests no route took */

/* An upstream call's outcome: a status class, or why there was no reply. */
enum up_status {
	UP_2XX, UP_3XX, UP_4XX, UP_5XX, UP_TIMEOUT, UP_TOOBIG, UP_ERROR, UP__MAX
};
static const char *const up_status_names[] = {
	"2xx",		/* UP_2XX */
	"3xx",		/* UP_3XX */
	"4xx",		/* UP_4XX */
	"5xx",		/* UP_5XX */
	"timeout",	/* UP_TIMEOUT: no reply in time */
	"too_big",	/* UP_TOOBIG: reply over response_max */
	"error",	/* UP_ERROR: no connection, TLS, transport */
};
INTAKE_ROWS(up_status_names, UP__MAX);

static const char *const kind_names[] = {
	"token",	/* INTAKE_UPSTREAM_TOKEN */
	"report",	/* INTAKE_UPSTREAM_REPORT */
	"start",	/* INTAKE_UPSTREAM_START */
	"upload",	/* INTAKE_UPSTREAM_UPLOAD */
	"search",	/* INTAKE_UPSTREAM_SEARCH */
	"processes",	/* INTAKE_UPSTREAM_PROCESSES */
	"other",	/* INTAKE_UPSTREAM_OTHER: task lookups, data containers */
};
INTAKE_ROWS(kind_names, INTAKE_UPSTREAM_KIND__MAX);

/*
 * Path pieces that name a call's kind, first match wins.  Only the URL's
 * path is looked at (the query may hold a client's search text).
 */
static const struct {
	const char			*piece;
	int				 suffix;	/* 1: the path must end with piece */
	enum intake_upstream_kind	 kind;
} kind_rules[] = {
	{ "/access/impersonate", 0, INTAKE_UPSTREAM_TOKEN },	/* v7 impersonate */
	{ "/oauth2/token", 0, INTAKE_UPSTREAM_TOKEN },		/* v7 jwt */
	{ "/api/auth/", 0, INTAKE_UPSTREAM_TOKEN },		/* v8 apikey */
	{ "/files/", 0, INTAKE_UPSTREAM_UPLOAD },		/* v7 upload, v8 temp files */
	{ "/api/instance/start/", 0, INTAKE_UPSTREAM_START },	/* v8 start */
	{ "/start", 1, INTAKE_UPSTREAM_START },			/* v7 /instances/P/start */
	{ "/api/instance/list/", 0, INTAKE_UPSTREAM_SEARCH },	/* v8 earlier-start search */
	{ "/processes", 0, INTAKE_UPSTREAM_PROCESSES },		/* both dialects */
	{ "/reports/", 0, INTAKE_UPSTREAM_REPORT },		/* both dialects */
};

/* Histogram bounds in microseconds, Prometheus's default buckets. */
static const int64_t bucket_us[] = {
	5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000, 5000000,
	10000000,
};
static const char *const bucket_le[] = {
	"0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10",
};
_Static_assert(sizeof(bucket_us) / sizeof(bucket_us[0]) ==
    sizeof(bucket_le) / sizeof(bucket_le[0]), "bucket_le[] needs one row per bound");
#define NBUCKETS	(sizeof(bucket_us) / sizeof(bucket_us[0]) + 1)	/* + "+Inf" */

/* Plain counters: the family name, its one label pair (or NULL) and its help. */
static const struct {
	const char	*name;
	const char	*label;
	const char	*help;
} counters[] = {
	{ "intake_token_fetches_total", "result=\"ok\"",
	    "Tokens fetched from Integrify, by result." },	/* TOKEN_FETCH_OK */
	{ "intake_token_fetches_total", "result=\"failed\"", NULL },	/* TOKEN_FETCH_FAILED */
	{ "intake_upstream_connects_total", NULL,
	    "New connections to Integrify (a kept-alive one is reused)." },	/* UPSTREAM_CONNECT */
	{ "intake_upstream_tls_handshakes_total", "kind=\"full\"",
	    "TLS handshakes with Integrify: full, or resuming a session." },	/* UPSTREAM_TLS_FULL */
	{ "intake_upstream_tls_handshakes_total", "kind=\"resumed\"", NULL },
	    /* UPSTREAM_TLS_RESUMED */
	{ "intake_upstream_resends_refused_total", NULL,
	    "POSTs whose connection died before an answer, which libcurl would have "
	    "sent again: counted as maybe sent instead." },	/* UPSTREAM_RESEND_REFUSED */
	{ "intake_list_cache_total", "result=\"hit\"",
	    "Report lists answered, by where the rows came from." },	/* LIST_HIT */
	{ "intake_list_cache_total", "result=\"miss\"", NULL },		/* LIST_MISS */
	{ "intake_list_cache_total", "result=\"stale\"", NULL },		/* LIST_STALE */
	{ "intake_list_cache_total", "result=\"stale_error\"", NULL },	/* LIST_STALE_ERROR */
	{ "intake_cache_evictions_total", NULL,
	    "Live entries evicted from the shared caches to make room." },	/* CACHE_EVICTION */
	{ "intake_rate_limited_total", "scope=\"client\"",
	    "Form posts refused by a rate limit, by limit." },	/* RATE_LIMITED_CLIENT */
	{ "intake_rate_limited_total", "scope=\"form\"", NULL },	/* RATE_LIMITED_FORM */
	{ "intake_spool_events_total", "event=\"accepted\"",
	    "Spool events: accepted, delivered, held for a retry, set aside (dead), "
	    "quarantined, duplicate (another host delivers it)." },						/* SPOOL_ACCEPTED */
	{ "intake_spool_events_total", "event=\"delivered\"", NULL },	/* SPOOL_DELIVERED */
	{ "intake_spool_events_total", "event=\"held\"", NULL },		/* SPOOL_HELD */
	{ "intake_spool_events_total", "event=\"dead\"", NULL },		/* SPOOL_DEAD */
	{ "intake_spool_events_total", "event=\"quarantined\"", NULL },	/* SPOOL_QUARANTINED */
	{ "intake_spool_events_total", "event=\"duplicate\"", NULL },	/* SPOOL_DUPLICATE */
	{ "intake_spool_syncs_total", "what=\"journal\"",
	    "fsync/fdatasync calls the spool made, by what they made durable: the journal "
	    "of accepted submissions (shared by concurrent writers), checkpoints (what "
	    "happened after the answers, in batches), delivery state (retries, unsure "
	    "notes, claims, held records)." },				/* SPOOL_SYNC_JOURNAL */
	{ "intake_spool_syncs_total", "what=\"checkpoint\"", NULL },	/* SPOOL_SYNC_CHECKPOINT */
	{ "intake_spool_syncs_total", "what=\"state\"", NULL },		/* SPOOL_SYNC_STATE */
	{ "intake_breaker_opened_total", NULL,
	    "Times the circuit breaker opened." },			/* BREAKER_OPENED */
	{ "intake_worker_restarts_total", NULL,
	    "Workers that ended (recycled, crashed, reloaded) and were replaced." },
	    /* WORKER_RESTART */
	{ "intake_worker_crashes_total", NULL,
	    "Workers killed by a signal or ending with a failure." },	/* WORKER_CRASH */
	{ "intake_dispatcher_restarts_total", NULL,
	    "Times the dispatcher ended and was started again." },	/* DISPATCHER_RESTART */
};
INTAKE_ROWS(counters, INTAKE_METRIC__MAX);

/* One process of the pool: a worker row or the dispatcher's. */
struct metrics_row {
	_Atomic int32_t		pid;		/* 0: free */
	_Atomic uint32_t	busy;		/* 1 while it serves a request */
	_Atomic int32_t		slots;		/* upstream slots it holds */
	_Atomic int64_t		started_ms;
	_Atomic uint64_t	served;		/* requests it answered */
};

struct metrics_shm {
	uint64_t		magic;		/* written last when made */
	uint32_t		version;
	uint32_t		size;
	_Atomic int64_t		started_ms;	/* the pool's (or the first CGI's) start */
	_Atomic int64_t		configured;	/* workers wanted, 0: no pool */
	_Atomic uint64_t	counters[INTAKE_METRIC__MAX];
	_Atomic uint64_t	requests[NROUTES][NSTATUS];
	_Atomic uint64_t	req_buckets[NROUTES][NBUCKETS];
	_Atomic uint64_t	req_sum_us[NROUTES];
	_Atomic uint64_t	upstream[INTAKE_UPSTREAM_KIND__MAX][UP__MAX];
	_Atomic uint64_t	up_buckets[INTAKE_UPSTREAM_KIND__MAX][NBUCKETS];
	_Atomic uint64_t	up_sum_us[INTAKE_UPSTREAM_KIND__MAX];
	struct metrics_row	rows[INTAKE_METRICS_ROWS];
};
_Static_assert(sizeof(struct metrics_shm) < UINT32_MAX, "the size fits the header");
/* Atomics in a shared mapping must be lock-free: a lock would be per process. */
_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2 && ATOMIC_INT_LOCK_FREE == 2,
    "64- and 32-bit atomics are lock-free");

/*
 * The mapping and this process's row: process-wide so that a hook is one
 * line anywhere (see metrics.h).  Inherited over fork with the mapping.
 */
static struct metrics_shm		*shm;
static int				 self_row = -1;
static struct intake_metrics_labels	 labels = { .no_route = "none" };

static void
add(_Atomic uint64_t *c, uint64_t n)
{
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static uint64_t
get(_Atomic uint64_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

int64_t
intake_metrics_now_us(void)
{
	struct timespec	ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Zero the file's contents and write the header, magic last. */
static void
format(struct metrics_shm *m)
{
	memset(m, 0, sizeof(*m));
	m->version = METRICS_VERSION;
	m->size = (uint32_t)sizeof(*m);
	atomic_store(&m->started_ms, intake_now_ms());
	atomic_thread_fence(memory_order_release);
	m->magic = METRICS_MAGIC;
}

enum intake_err
intake_metrics_open(const struct intake_config *cfg, bool fresh)
{
	struct metrics_shm	*m;
	struct stat		 st;
	char			 path[INTAKE_PATH_MAX + 16];
	enum intake_err		 err = INTAKE_ESYS;
	int			 fd, n;

	intake_metrics_close();
	n = snprintf(path, sizeof(path), "%s.metrics", cfg->cache_file);
	if (n < 0 || (size_t)n >= sizeof(path))
		return INTAKE_ECONFIG;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | (fresh ? O_TRUNC : 0), 0600);
	if (fd == -1) {
		intake_log_err("metrics: cannot open %s: %s", path, strerror(errno));
		return INTAKE_ESYS;
	}
	/* One maker at a time: two CGI processes may find the file new at once. */
	if (flock(fd, LOCK_EX) == -1 || fstat(fd, &st) == -1)
		goto out;
	if ((size_t)st.st_size != sizeof(*m) && ftruncate(fd, (off_t)sizeof(*m)) == -1)
		goto out;
	m = mmap(NULL, sizeof(*m), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		goto out;
	if (fresh || m->magic != METRICS_MAGIC || m->version != METRICS_VERSION ||
	    m->size != sizeof(*m))
		format(m);
	shm = m;
	err = INTAKE_OK;
out:
	if (err != INTAKE_OK)
		intake_log_err("metrics: cannot map %s: %s", path, strerror(errno));
	/* Unlock by hand: the mapping keeps the open file, and with it a flock, alive. */
	(void)flock(fd, LOCK_UN);
	(void)close(fd);
	return err;
}

void
intake_metrics_close(void)
{
	if (shm != NULL)
		(void)munmap(shm, sizeof(*shm));
	shm = NULL;
	self_row = -1;
}

void
intake_metrics_count(enum intake_metric m)
{
	if (shm != NULL && (unsigned)m < INTAKE_METRIC__MAX)
		add(&shm->counters[m], 1);
}

void
intake_metrics_labels(const struct intake_metrics_labels *l)
{
	if (l->nroutes > INTAKE_METRICS_ROUTES_MAX) {
		intake_log_err("metrics: %zu routes, but rows for %d only; labels not taken",
		    l->nroutes, INTAKE_METRICS_ROUTES_MAX);
		return;
	}
	labels = *l;
	if (labels.no_route == NULL)
		labels.no_route = "none";
}

/* The label of row r of the request counters. */
static const char *
route_label(size_t r)
{
	return r < labels.nroutes ? labels.routes[r] : labels.no_route;
}

/* The label of breaker state st; "unknown" out of the table. */
static const char *
breaker_label(int st)
{
	return st >= 0 && (size_t)st < labels.nbreaker ? labels.breaker[st] : "unknown";
}

void
intake_metrics_list(int report_state)
{
	if (report_state >= 0 && (size_t)report_state < labels.nlists)
		intake_metrics_count(labels.lists[report_state]);
}

/* The bucket a duration falls in (the last one is +Inf). */
static size_t
bucket_of(int64_t us)
{
	size_t	i;

	for (i = 0; i < NBUCKETS - 1; i++)
		if (us <= bucket_us[i])
			break;
	return i;
}

static size_t
status_index(int status)
{
	size_t	i;

	for (i = 0; i < NSTATUS - 1; i++)
		if (status_codes[i] == status)
			break;
	return i;
}

void
intake_metrics_request(int route, int status, int64_t us)
{
	size_t	r;

	if (shm == NULL)
		return;
	r = route >= 0 && (size_t)route < labels.nroutes ? (size_t)route : NO_ROUTE;
	if (us < 0)
		us = 0;
	add(&shm->requests[r][status_index(status)], 1);
	add(&shm->req_buckets[r][bucket_of(us)], 1);
	add(&shm->req_sum_us[r], (uint64_t)us);
	if (self_row >= 0)
		add(&shm->rows[self_row].served, 1);
}

enum intake_upstream_kind
intake_metrics_upstream_kind(const char *url)
{
	const char	*path, *end, *hit;
	size_t		 i, plen, n;

	if (url == NULL)
		return INTAKE_UPSTREAM_OTHER;
	path = strstr(url, "://");
	path = path != NULL ? strchr(path + 3, '/') : url;
	if (path == NULL)
		return INTAKE_UPSTREAM_OTHER;
	end = strchr(path, '?');
	plen = end != NULL ? (size_t)(end - path) : strlen(path);
	for (i = 0; i < sizeof(kind_rules) / sizeof(kind_rules[0]); i++) {
		n = strlen(kind_rules[i].piece);
		if (kind_rules[i].suffix) {
			if (plen >= n && memcmp(path + plen - n, kind_rules[i].piece, n) == 0)
				return kind_rules[i].kind;
			continue;
		}
		hit = memmem(path, plen, kind_rules[i].piece, n);
		if (hit != NULL)
			return kind_rules[i].kind;
	}
	return INTAKE_UPSTREAM_OTHER;
}

void
intake_metrics_upstream(const char *url, long status, enum intake_err err, int64_t us)
{
	enum intake_upstream_kind	k;
	enum up_status			s;

	if (shm == NULL)
		return;
	k = intake_metrics_upstream_kind(url);
	if (status >= 200 && status < 600)
		s = (enum up_status)(UP_2XX + (status / 100 - 2));
	else if (err == INTAKE_ETIMEOUT)
		s = UP_TIMEOUT;
	else if (err == INTAKE_ETOOBIG)
		s = UP_TOOBIG;
	else
		s = UP_ERROR;
	if (us < 0)
		us = 0;
	add(&shm->upstream[k][s], 1);
	add(&shm->up_buckets[k][bucket_of(us)], 1);
	add(&shm->up_sum_us[k], (uint64_t)us);
}

void
intake_metrics_row(int row, pid_t pid)
{
	struct metrics_row	*r;

	if (shm == NULL || row < 0 || row >= INTAKE_METRICS_ROWS)
		return;
	r = &shm->rows[row];
	atomic_store(&r->busy, 0);
	atomic_store(&r->slots, 0);
	atomic_store(&r->served, 0);
	atomic_store(&r->started_ms, pid != 0 ? intake_now_ms() : 0);
	atomic_store(&r->pid, (int32_t)pid);
}

void
intake_metrics_configured(long long workers)
{
	if (shm != NULL)
		atomic_store(&shm->configured, (int64_t)workers);
}

void
intake_metrics_self(int row)
{
	self_row = row >= 0 && row < INTAKE_METRICS_ROWS ? row : -1;
	if (self_row >= 0)
		intake_metrics_row(self_row, getpid());
}

void
intake_metrics_busy(bool busy)
{
	if (shm != NULL && self_row >= 0)
		atomic_store(&shm->rows[self_row].busy, busy ? 1u : 0u);
}

void
intake_metrics_slot(int delta)
{
	if (shm != NULL && self_row >= 0)
		atomic_fetch_add(&shm->rows[self_row].slots, delta);
}

/* What the process rows say, summed. */
struct tally {
	long long	alive, busy, slots, accepted;
	bool		dispatcher;
};

static void
tally(struct tally *t)
{
	struct metrics_row	*r;
	int32_t			 pid, slots;
	size_t			 i, j;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < INTAKE_METRICS_ROWS; i++) {
		r = &shm->rows[i];
		pid = atomic_load(&r->pid);
		if (pid == 0)
			continue;
		slots = atomic_load(&r->slots);
		t->slots += slots > 0 ? slots : 0;
		if (i == INTAKE_METRICS_DISPATCHER_ROW) {
			t->dispatcher = true;
			continue;
		}
		t->alive++;
		t->busy += atomic_load(&r->busy) != 0;
	}
	for (i = 0; i < NROUTES; i++)
		for (j = 0; j < NSTATUS; j++)
			t->accepted += (long long)get(&shm->requests[i][j]);
}

/*
 * The writers below append in a straight line: the buffer remembers its
 * first failed append, and the two pages ask it once at the end.
 */
static void
family(struct intake_buf *out, const char *name, const char *type, const char *help)
{
	(void)intake_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One histogram's series for one label pair ("route=\"forms\""). */
static void
histogram(struct intake_buf *out, const char *name, const char *label,
    _Atomic uint64_t *buckets, _Atomic uint64_t *sum_us)
{
	uint64_t	cum = 0, sum;
	size_t		i;

	for (i = 0; i < NBUCKETS; i++) {
		cum += get(&buckets[i]);
		(void)intake_buf_printf(out, "%s_bucket{%s,le=\"%s\"} %llu\n", name, label,
		    i < NBUCKETS - 1 ? bucket_le[i] : "+Inf", (unsigned long long)cum);
	}
	sum = get(sum_us);
	(void)intake_buf_printf(out, "%s_sum{%s} %llu.%06llu\n%s_count{%s} %llu\n", name,
	    label, (unsigned long long)(sum / 1000000), (unsigned long long)(sum % 1000000),
	    name, label, (unsigned long long)cum);
}

/* The request counter rows in page order: the routes, then "none". */
static size_t
route_row(size_t k)
{
	return k < labels.nroutes ? k : NO_ROUTE;
}

static void
render_requests(struct intake_buf *out)
{
	uint64_t	n;
	size_t		k, r, s;
	char		label[64], code[8];

	family(out, "intake_http_requests_total", "counter",
	    "Requests answered, by route (from the route table) and status.");
	for (k = 0; k <= labels.nroutes; k++)
		for (s = 0; s < NSTATUS; s++) {
			r = route_row(k);
			n = get(&shm->requests[r][s]);
			if (n == 0)
				continue;
			if (s < NSTATUS - 1)
				(void)snprintf(code, sizeof(code), "%d", status_codes[s]);
			else
				(void)snprintf(code, sizeof(code), "other");
			(void)intake_buf_printf(out, "intake_http_requests_total{route=\"%s\","
			    "status=\"%s\"} %llu\n", route_label(r), code, (unsigned long long)n);
		}
	family(out, "intake_http_request_duration_seconds", "histogram",
	    "Time from accepting a request to its answer, by route.");
	for (k = 0; k <= labels.nroutes; k++) {
		r = route_row(k);
		(void)snprintf(label, sizeof(label), "route=\"%s\"", route_label(r));
		histogram(out, "intake_http_request_duration_seconds", label,
		    shm->req_buckets[r], &shm->req_sum_us[r]);
	}
}

static void
render_upstream(struct intake_buf *out)
{
	size_t	k, s;
	char	label[64];

	family(out, "intake_upstream_requests_total", "counter",
	    "Calls to Integrify, by kind and outcome (a status class, or timeout, "
	    "too_big, error when there was no reply).");
	for (k = 0; k < INTAKE_UPSTREAM_KIND__MAX; k++)
		for (s = 0; s < UP__MAX; s++)
			(void)intake_buf_printf(out, "intake_upstream_requests_total{kind=\"%s\","
			    "status=\"%s\"} %llu\n", kind_names[k], up_status_names[s],
			    (unsigned long long)get(&shm->upstream[k][s]));
	family(out, "intake_upstream_request_duration_seconds", "histogram",
	    "Time an Integrify call took, by kind.");
	for (k = 0; k < INTAKE_UPSTREAM_KIND__MAX; k++) {
		(void)snprintf(label, sizeof(label), "kind=\"%s\"", kind_names[k]);
		histogram(out, "intake_upstream_request_duration_seconds", label,
		    shm->up_buckets[k], &shm->up_sum_us[k]);
	}
}

static void
render_counters(struct intake_buf *out)
{
	size_t	i;

	for (i = 0; i < INTAKE_METRIC__MAX; i++) {
		if (counters[i].help != NULL)
			family(out, counters[i].name, "counter", counters[i].help);
		if (counters[i].label != NULL)
			(void)intake_buf_printf(out, "%s{%s} %llu\n", counters[i].name,
			    counters[i].label, (unsigned long long)get(&shm->counters[i]));
		else
			(void)intake_buf_printf(out, "%s %llu\n", counters[i].name,
			    (unsigned long long)get(&shm->counters[i]));
	}
}

/* A gauge family of one unlabelled series. */
static void
gauge(struct intake_buf *out, const char *name, const char *help, long long v)
{
	family(out, name, "gauge", help);
	(void)intake_buf_printf(out, "%s %lld\n", name, v);
}

/* What the spool holds now, and the breaker's state, one series each. */
static void
render_spool(const struct intake_metrics_gauges *g, struct intake_buf *out)
{
	size_t	i;

	family(out, "intake_spool_records", "gauge",
	    "Submissions in the spool now: queued (queue/), dead (dead/, held for a person), "
	    "delivered (receipts in done/).");
	if (g->spool_queued >= 0)
		(void)intake_buf_printf(out, "intake_spool_records{state=\"queued\"} %lld\n",
		    g->spool_queued);
	if (g->spool_dead >= 0)
		(void)intake_buf_printf(out, "intake_spool_records{state=\"dead\"} %lld\n",
		    g->spool_dead);
	if (g->spool_done >= 0)
		(void)intake_buf_printf(out, "intake_spool_records{state=\"delivered\"} %lld\n",
		    g->spool_done);
	family(out, "intake_breaker_state", "gauge",
	    "The circuit breaker in front of starts: 1 for the state it is in.");
	for (i = 0; i < labels.nbreaker; i++)
		(void)intake_buf_printf(out, "intake_breaker_state{state=\"%s\"} %d\n",
		    labels.breaker[i], g->breaker >= 0 && (size_t)g->breaker == i);
}

static void
render_gauges(const struct intake_metrics_gauges *g, const struct tally *t,
    struct intake_buf *out)
{
	render_spool(g, out);
	gauge(out, "intake_token_cached", "1 when a usable token is cached.",
	    g->token_cached ? 1 : 0);
	gauge(out, "intake_token_ttl_seconds", "Seconds the cached token has left (0: none).",
	    g->token_left_s > 0 ? g->token_left_s : 0);
	gauge(out, "intake_upstream_slots", "Upstream slots configured.", g->upstream_slots);
	gauge(out, "intake_cache_fallback", "1 while Redis is configured but unreachable and "
	    "this host serves from its own memory.", g->cache_fallback ? 1 : 0);
	gauge(out, "intake_upstream_slots_in_use",
	    "Upstream slots the pool's processes hold now.", t->slots);
	gauge(out, "intake_workers_configured", "Workers the configuration asks for.",
	    (long long)atomic_load(&shm->configured));
	gauge(out, "intake_workers_alive", "Worker processes running.", t->alive);
	gauge(out, "intake_workers_busy", "Workers serving a request now.", t->busy);
	gauge(out, "intake_dispatcher_up", "1 when the dispatcher runs.", t->dispatcher ? 1 : 0);
	gauge(out, "intake_start_time_seconds", "When the pool started, seconds since the epoch.",
	    (long long)(atomic_load(&shm->started_ms) / 1000));
}

enum intake_err
intake_metrics_render(const struct intake_metrics_gauges *g, struct intake_buf *out)
{
	struct tally	t;

	if (shm == NULL)
		return INTAKE_EINVAL;
	tally(&t);
	render_requests(out);
	render_upstream(out);
	render_counters(out);
	render_gauges(g, &t, out);
	return intake_buf_err(out);
}

/* The processes, one JSON object each, like php-fpm's full status. */
static void
status_rows(struct intake_buf *out, int64_t now)
{
	struct metrics_row	*r;
	int32_t			 pid;
	size_t			 i, n = 0;
	int64_t			 started;

	for (i = 0; i < INTAKE_METRICS_ROWS; i++) {
		r = &shm->rows[i];
		pid = atomic_load(&r->pid);
		if (pid == 0)
			continue;
		started = atomic_load(&r->started_ms);
		(void)intake_buf_printf(out, "%s{\"pid\":%ld,\"role\":\"%s\",\"state\":\"%s\","
		    "\"requests\":%llu,\"start_time\":%lld,\"uptime_seconds\":%lld}",
		    n++ > 0 ? "," : "", (long)pid,
		    i == INTAKE_METRICS_DISPATCHER_ROW ? "dispatcher" : "worker",
		    atomic_load(&r->busy) ? "busy" : "idle",
		    (unsigned long long)atomic_load(&r->served), (long long)(started / 1000),
		    (long long)((now - started) / 1000));
	}
}

enum intake_err
intake_metrics_status(const struct intake_metrics_gauges *g, struct intake_buf *out)
{
	struct tally	t;
	int64_t		now = intake_now_ms(), started;

	if (shm == NULL)
		return INTAKE_EINVAL;
	tally(&t);
	started = atomic_load(&shm->started_ms);
	(void)intake_buf_printf(out, "{\"pool\":{\"start_time\":%lld,\"uptime_seconds\":%lld},"
	    "\"workers\":{\"configured\":%lld,\"alive\":%lld,\"busy\":%lld,\"idle\":%lld},"
	    "\"dispatcher\":{\"alive\":%s},"
	    "\"requests\":{\"accepted\":%lld},"
	    "\"restarts\":{\"workers\":%llu,\"crashes\":%llu,\"dispatcher\":%llu},",
	    (long long)(started / 1000), (long long)((now - started) / 1000),
	    (long long)atomic_load(&shm->configured), t.alive, t.busy, t.alive - t.busy,
	    t.dispatcher ? "true" : "false", t.accepted,
	    (unsigned long long)get(&shm->counters[INTAKE_METRIC_WORKER_RESTART]),
	    (unsigned long long)get(&shm->counters[INTAKE_METRIC_WORKER_CRASH]),
	    (unsigned long long)get(&shm->counters[INTAKE_METRIC_DISPATCHER_RESTART]));
	(void)intake_buf_printf(out, "\"spool\":{\"queued\":%lld,\"dead\":%lld,"
	    "\"delivered\":%lld},\"breaker\":\"%s\","
	    "\"token\":{\"cached\":%s,\"seconds_left\":%lld},"
	    "\"upstream_slots\":{\"configured\":%lld,\"in_use\":%lld},\"cache\":\"%s\","
	    "\"processes\":[",
	    g->spool_queued, g->spool_dead, g->spool_done, breaker_label(g->breaker),
	    g->token_cached ? "true" : "false", g->token_left_s > 0 ? g->token_left_s : 0,
	    g->upstream_slots, t.slots, g->cache != NULL ? g->cache : "shm");
	status_rows(out, now);
	(void)intake_buf_adds(out, "]}\n");
	return intake_buf_err(out);
}
