/*
 * breaker.h - the circuit breaker in front of Integrify's start calls,
 * shared by every process through the marks cache.
 *
 * Closed: calls go through.  After breaker_failures failures in a row it
 * opens for breaker_cooldown seconds (longer when Integrify asked for it
 * with Retry-After): new submissions go straight to the spool and are
 * answered at once.  Then it is half-open: one caller, the probe, may
 * try; its success closes the breaker, its failure opens it again.
 */
#ifndef INTAKE_BREAKER_H
#define INTAKE_BREAKER_H

#include <stdbool.h>
#include <stdint.h>

#include "core/ctx.h"
#include "util/err.h"

enum intake_breaker_state {
	INTAKE_BREAKER_CLOSED,
	INTAKE_BREAKER_OPEN,
	INTAKE_BREAKER_HALF_OPEN,
	INTAKE_BREAKER__MAX
};

/*
 * May a call go to Integrify now?  When the breaker is half-open, only
 * the one caller that gets *probe true may.
 */
bool	intake_breaker_allow(struct intake_ctx *ctx, bool *probe);

/* Report the outcome of a call that was allowed. */
void	intake_breaker_success(struct intake_ctx *ctx);
void	intake_breaker_failure(struct intake_ctx *ctx, long retry_after_s);

/* The state, and until when it stays open (ms, 0 when not open). */
enum intake_breaker_state intake_breaker_state(struct intake_ctx *ctx, int64_t *open_until);

/* When the breaker last closed after being open (epoch ms, 0: never). */
int64_t	intake_breaker_closed_at(struct intake_ctx *ctx);

const char *intake_breaker_state_name(enum intake_breaker_state st);

/* Does err count as Integrify failing (rather than refusing this one call)? */
bool	intake_breaker_counts(enum intake_err err);

#endif
