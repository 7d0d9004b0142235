/*
 * ctx.c - what one process holds (ctx.h): the one answer the ctx gives
 * from its own fields.  Building and freeing a ctx is the process
 * model's (lib/process/proc.c), which knows every module it points to.
 */
#include "core/ctx.h"
#include "util/str.h"

long long
intake_ctx_retry_after(struct intake_ctx *ctx)
{
	int64_t	now = intake_now_ms(), at = ctx->upstream_busy_until_ms;

	/* Used once: a later refusal of another kind must not inherit it. */
	ctx->upstream_busy_until_ms = 0;
	if (at > now)
		return (long long)((at - now + 999) / 1000);
	return 1 + ctx->cfg->upstream_wait_ms / 1000;
}
