/*
 * proc.c - building and freeing what one process holds (proc.h), the
 * shared counters' labels, and the dispatcher's process around its loop
 * (spool/dispatch.c).
 */
#include <string.h>

#include "cache/cache.h"
#include "core/log.h"
#include "core/metrics.h"
#include "integrify/http.h"
#include "integrify/report.h"
#include "process/proc.h"
#include "spool/breaker.h"
#include "spool/dispatch.h"
#include "spool/spool.h"
#include "web/route.h"
#include "util/nelem.h"

_Static_assert(INTAKE_ROUTE__MAX <= INTAKE_METRICS_ROUTES_MAX,
    "the metrics file needs a row per enum intake_route: raise INTAKE_METRICS_ROUTES_MAX and METRICS_VERSION");

/* enum intake_report_state to the counter a list answer in that state adds to. */
static const enum intake_metric list_counter[] = {
	INTAKE_METRIC_LIST_HIT,		/* INTAKE_REPORT_HIT */
	INTAKE_METRIC_LIST_MISS,	/* INTAKE_REPORT_MISS */
	INTAKE_METRIC_LIST_STALE,	/* INTAKE_REPORT_STALE */
	INTAKE_METRIC_LIST_STALE_ERROR,	/* INTAKE_REPORT_STALE_ERROR */
};
INTAKE_ROWS(list_counter, INTAKE_REPORT_STATE__MAX);

/* The names, read once from their modules; static: the counters keep pointers to them. */
static const char	*route_labels[INTAKE_ROUTE__MAX];
static const char	*breaker_labels[INTAKE_BREAKER__MAX];

void
intake_proc_labels(void)
{
	struct intake_metrics_labels	l;
	size_t				i;

	for (i = 0; i < INTAKE_ROUTE__MAX; i++)
		route_labels[i] = intake_route_name((int)i);
	for (i = 0; i < INTAKE_BREAKER__MAX; i++)
		breaker_labels[i] = intake_breaker_state_name((enum intake_breaker_state)i);
	memset(&l, 0, sizeof(l));
	l.routes = route_labels;
	l.nroutes = INTAKE_ROUTE__MAX;
	l.no_route = intake_route_name(INTAKE_ROUTE__MAX);
	l.breaker = breaker_labels;
	l.nbreaker = INTAKE_BREAKER__MAX;
	l.lists = list_counter;
	l.nlists = INTAKE_REPORT_STATE__MAX;
	intake_metrics_labels(&l);
}

enum intake_err
intake_proc_ctx_child(struct intake_ctx *ctx, const struct intake_config *cfg,
    const struct intake_forms *forms, struct intake_cache *cache, struct intake_cache *marks)
{
	enum intake_err	err;

	memset(ctx, 0, sizeof(*ctx));
	ctx->cfg = cfg;
	ctx->forms = forms;
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
intake_proc_dispatcher(const struct intake_config *cfg, const struct intake_forms *forms,
    struct intake_cache *cache, struct intake_cache *marks)
{
	struct intake_ctx	ctx;
	enum intake_err		err;
	int			rc;

	intake_dispatcher_prepare();
	err = intake_proc_ctx_child(&ctx, cfg, forms, cache, marks);
	if (err != INTAKE_OK) {
		intake_log_err("dispatch: cannot start: %s", intake_strerror(err));
		intake_proc_ctx_free(&ctx);
		return 1;
	}
	rc = intake_dispatcher_run(&ctx);
	intake_proc_ctx_free(&ctx);
	return rc;
}
