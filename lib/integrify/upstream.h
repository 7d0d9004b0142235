/*
 * upstream.h - the shared budget of upstream slots.
 *
 * Work that waits on Integrify (a worker's own start of a submission, a
 * report fetch or refresh, a wait on another process's fetch) holds one
 * slot while it runs.  There are upstream_slots slots (0 in the config:
 * half the workers, at least one), shared by every process that opens
 * the same cache file: the pool's workers and plain CGI processes alike.
 * Whoever finds them all taken does not wait: it answers at once (the
 * post is queued for the dispatcher, a cold list is 503 with
 * Retry-After), so a slow Integrify can hold at most that share of the
 * workers.  The dispatcher takes no slot: it is one process, delivering
 * one submission at a time, and no worker waits on it.
 *
 * A slot is a lease "upstream:slot:I" in the marks cache (cache.h), taken
 * without waiting.  A lease names its holder's pid, so a slot held by a
 * process that dies (even by SIGKILL) comes back: the supervisor releases
 * the leases of a worker it reaps, a taker finds a dead holder's lease
 * free, and every lease also runs out after a bound.  Any backend with
 * leases (a Redis one: SET NX PX) can carry the slots across hosts.
 *
 * Beside the slots, the marks cache keeps how long each kind of upstream
 * work takes, so that nobody waits (holding a worker and a slot) for work
 * that will not end within the wait.
 */
#ifndef INTAKE_UPSTREAM_H
#define INTAKE_UPSTREAM_H

#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"
#include "core/ctx.h"
#include "util/err.h"

/* One taken slot; zero it (or let intake_upstream_take() fill it) before use. */
struct intake_upstream_slot {
	int	index;		/* the lease held, -1: none of its own (nested or fail-open) */
	bool	taken;		/* intake_upstream_give() has something to do */
};

/* How many slots cfg allows: upstream_slots, or half the workers (at least 1). */
long long	intake_upstream_count(const struct intake_config *cfg);

/*
 * How long a slot's lease lasts (ms): the longest a unit of upstream work
 * can take (several calls of timeout_ms, a wait of upstream_wait_ms),
 * after which a hung holder's slot is free again.
 */
long long	intake_upstream_lease_ms(const struct intake_config *cfg);

/*
 * Take a slot for this process without waiting.  INTAKE_OK: *s holds
 * one (or this process holds one already: nested work shares it; or the
 * cache failed and the work goes on uncounted, logged).  INTAKE_EBUSY:
 * every slot is taken; *s holds nothing.  Pair each INTAKE_OK with
 * intake_upstream_give().
 */
enum intake_err	intake_upstream_take(struct intake_ctx *ctx, struct intake_upstream_slot *s);

/* Give back what intake_upstream_take() took into *s; a no-op on an untaken one. */
void		intake_upstream_give(struct intake_ctx *ctx, struct intake_upstream_slot *s);

/*
 * An inline start ran out of inline_budget_ms: Integrify is slower than a
 * user should wait.  For breaker_cooldown seconds, new submissions skip
 * their inline start (they are queued at once, for the dispatcher), so a
 * slow Integrify does not hold the slots with starts that will be cut
 * anyway.  Shared by all processes; logged when it begins.
 */
void		intake_upstream_pause_inline(struct intake_ctx *ctx);

/* Whether inline starts are paused (see above); false when unknown. */
bool		intake_upstream_inline_paused(struct intake_ctx *ctx);

/*
 * Say that the INTAKE_EBUSY about to be answered by this process will
 * not change before at_ms (epoch ms): the next
 * intake_ctx_retry_after() of ctx asks the client back then.
 */
void		intake_upstream_busy_until(struct intake_ctx *ctx, int64_t at_ms);

/*
 * How long work of one kind takes, and when work in flight should end.
 *
 * Each kind of upstream work (what: a short name, e.g. "report:r:regions")
 * has a shared estimate of its duration, kept in the marks cache and
 * forgotten after some minutes without news (old evidence of a remote
 * service's speed is no evidence).  A process that does a unit of work
 * of that kind names it (key) while it runs, so that another process that
 * would wait for it can tell when it should end, and wait only for quick
 * work that should end within the wait (intake_upstream_worth_waiting()).
 */

/*
 * The estimate of what's duration (ms); 0 when nothing is known (no such
 * work ended lately, or the cache failed).
 */
int64_t		intake_upstream_estimate(struct intake_ctx *ctx, const char *what);

/*
 * The estimate after one more unit took took_ms (est_ms 0: none yet).  It
 * rises at once to a longer time (believing a slow Integrify after one
 * slow answer is what keeps workers free) and falls halfway to a shorter
 * one.  Pure; at least 1.
 */
int64_t		intake_upstream_estimate_next(int64_t est_ms, int64_t took_ms);

/*
 * When work started at start_ms, estimated at est_ms (0: unknown), should
 * end, seen at now_ms: start + est while that is ahead; once the work has
 * run past its estimate, as long again as it has run so far (the estimate
 * was wrong; the longer it has run, the longer it is likely to run).  0:
 * unknown.  Pure.
 */
int64_t		intake_upstream_expected_end(int64_t start_ms, int64_t est_ms,
		    int64_t now_ms);

/*
 * Should a request wait for work another process runs, from now_ms until
 * deadline_ms at most?  The work began at start_ms (0: not known to run),
 * its kind is estimated at est_ms (0: unknown), and budget_ms is the
 * longest wait the config allows (upstream_wait_ms).  Yes when nothing is
 * known (the wait is bounded all the same); no when the kind is slower
 * than budget_ms (then only the process doing it is held, never a
 * waiter); else yes when it should end by deadline_ms.  *end_ms: when it
 * should end (intake_upstream_expected_end(), 0: unknown).  Pure.
 */
bool		intake_upstream_worth_waiting(int64_t start_ms, int64_t est_ms, int64_t now_ms,
		    int64_t deadline_ms, int64_t budget_ms, int64_t *end_ms);

/*
 * This process starts the unit of work key (of kind what) now; it stays
 * named until intake_upstream_end() or for lease_ms.  Returns the start
 * (epoch ms) to hand to intake_upstream_end().  Best effort: a cache
 * failure only leaves the others without an answer (they wait, bounded).
 */
int64_t		intake_upstream_begin(struct intake_ctx *ctx, const char *key,
		    int64_t lease_ms);

/*
 * The unit of work key, begun at start_ms, ended (well or not): it is no
 * longer named, and its duration is folded into what's estimate.
 */
void		intake_upstream_end(struct intake_ctx *ctx, const char *key, const char *what,
		    int64_t start_ms);

/* When the unit of work key, run by some process, began (epoch ms); 0: it is not running. */
int64_t		intake_upstream_began(struct intake_ctx *ctx, const char *key);

#endif
