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
 */
#ifndef INTAKE_UPSTREAM_H
#define INTAKE_UPSTREAM_H

#include <stdbool.h>

#include "intake/config.h"
#include "intake/ctx.h"
#include "intake/err.h"

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

/* Seconds a client should wait before it asks again after INTAKE_EBUSY (>= 1). */
long long	intake_upstream_retry_after(const struct intake_config *cfg);

#endif
