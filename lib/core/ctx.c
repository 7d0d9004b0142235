/*
 * ctx.c - setting up and tearing down what one process holds (ctx.h).
 */
#include <string.h>

#include "core/ctx.h"
#include "integrify/report.h"
#include "spool/spool.h"

enum intake_err
intake_ctx_child_init(struct intake_ctx *ctx, const struct intake_config *cfg,
    struct intake_cache *cache, struct intake_cache *marks)
{
	enum intake_err	err;

	memset(ctx, 0, sizeof(*ctx));
	ctx->cfg = cfg;
	ctx->cache = cache;
	ctx->marks = marks;
	ctx->reports = intake_report_cache_new();
	err = intake_cache_child_init(cache);
	if (err == INTAKE_OK)
		err = intake_cache_child_init(marks);
	/* The supervisor made it before fork: this attaches, never reformats. */
	if (err == INTAKE_OK)
		err = intake_cache_open_lists(cfg, false, &ctx->lists);
	if (err == INTAKE_OK)
		err = intake_http_new(cfg, &ctx->http);
	if (err == INTAKE_OK)
		err = intake_spool_open(cfg->spool_dir, &ctx->spool);
	return err;
}

void
intake_ctx_free(struct intake_ctx *ctx)
{
	intake_report_cache_free(ctx->reports);
	intake_spool_close(ctx->spool);
	intake_http_free(ctx->http);
	intake_cache_close(ctx->lists);
	ctx->lists = NULL;
	ctx->reports = NULL;
	ctx->spool = NULL;
	ctx->http = NULL;
}
