/*
 * proc.c - building and freeing what one process holds (proc.h), and
 * the dispatcher's process around its loop (spool/dispatch.c).
 */
#include <string.h>

#include "cache/cache.h"
#include "core/log.h"
#include "integrify/http.h"
#include "integrify/report.h"
#include "process/proc.h"
#include "spool/dispatch.h"
#include "spool/spool.h"

enum intake_err
intake_proc_ctx_child(struct intake_ctx *ctx, const struct intake_config *cfg,
    struct intake_cache *cache, struct intake_cache *marks)
{
	enum intake_err	err;

	memset(ctx, 0, sizeof(*ctx));
	ctx->cfg = cfg;
	ctx->cache = cache;
	ctx->marks = marks;
	ctx->reports = intake_report_cache_new();
	err = intake_cache_child_init(cache);
	if (err != INTAKE_OK)
		return err;
	err = intake_cache_child_init(marks);
	if (err != INTAKE_OK)
		return err;
	/* The supervisor made it before fork: this attaches, never reformats. */
	err = intake_cache_open_lists(cfg, false, &ctx->lists);
	if (err != INTAKE_OK)
		return err;
	err = intake_http_new(cfg, &ctx->http);
	if (err != INTAKE_OK)
		return err;
	return intake_spool_open(cfg->spool_dir, &ctx->spool);
}

void
intake_proc_ctx_free(struct intake_ctx *ctx)
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

/* The dispatcher takes SIGTERM before its ctx is built, as it always has. */
int
intake_proc_dispatcher(const struct intake_config *cfg, struct intake_cache *cache,
    struct intake_cache *marks)
{
	struct intake_ctx	ctx;
	enum intake_err		err;
	int			rc;

	intake_dispatcher_prepare();
	err = intake_proc_ctx_child(&ctx, cfg, cache, marks);
	if (err != INTAKE_OK) {
		intake_log_err("dispatch: cannot start: %s", intake_strerror(err));
		intake_proc_ctx_free(&ctx);
		return 1;
	}
	rc = intake_dispatcher_run(&ctx);
	intake_proc_ctx_free(&ctx);
	return rc;
}
