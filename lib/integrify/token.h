/*
 * token.h - the one access token every worker shares.
 *
 * The token lives in the "token" section of the cache.  intake_token_get()
 * returns it while fresh; near its end one process renews it (single
 * flight) while the others keep using the old one, and with none usable
 * the others sleep until the renewal is done.  A failed renewal is
 * remembered for fetch_failure_ttl seconds so Integrify is not hammered.
 */
#ifndef INTAKE_TOKEN_H
#define INTAKE_TOKEN_H

#include "integrify/auth.h"
#include "core/ctx.h"
#include "util/err.h"

/*
 * A usable token in *out.  INTAKE_EBACKOFF while a recent failure is
 * remembered; the fetch's error when this call fetched and failed;
 * INTAKE_ETIMEOUT when another process's fetch took longer than
 * upstream_wait_ms (the wait is bounded by it).
 */
enum intake_err	intake_token_get(struct intake_ctx *ctx, struct intake_token *out);

/*
 * Integrify refused tok: forget it, unless another process has already
 * replaced it, so a burst of refusals costs one new fetch.
 */
enum intake_err	intake_token_reject(struct intake_ctx *ctx, const struct intake_token *tok);

/*
 * How long the cached token has left, without fetching one: *left_ms is
 * its milliseconds left, or -1 when none usable is cached.  The token
 * itself is never handed out.  INTAKE_OK unless the cache failed.
 */
enum intake_err	intake_token_left(struct intake_ctx *ctx, int64_t *left_ms);

/* The cache name of the token for ctx->cfg's site, flow, user and key. */
void		intake_token_cache_name(const struct intake_config *cfg, char out[65]);

#endif
