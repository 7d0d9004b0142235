/*
 * admin.c - the admin socket's pages: GET /metrics (Prometheus text) and
 * GET /status (JSON, like php-fpm's status page).  Route.c serves them
 * only to requests that came in on [server] admin_listen.
 */
#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "web/handler/handler.h"
#include "cache/cache.h"
#include "spool/breaker.h"
#include "core/metrics.h"
#include "spool/spool.h"
#include "integrify/token.h"
#include "integrify/upstream.h"

#define ADMIN_PAGE_MAX	(256u << 10)

static bool
count_one(void *arg, const char *ref)
{
	(void)ref;
	(*(long long *)arg)++;
	return true;
}

/* Receipts in <spool>/done: files not starting with a dot; -1 when unreadable. */
static long long
count_done(const char *spool_dir)
{
	struct dirent	*de;
	DIR		*d;
	char		 path[INTAKE_PATH_MAX + 8];
	long long	 n = 0;

	if (snprintf(path, sizeof(path), "%s/done", spool_dir) >= (int)sizeof(path))
		return -1;
	d = opendir(path);
	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' && strstr(de->d_name, ".meta") == NULL)
			n++;
	(void)closedir(d);
	return n;
}

/* What the pages show that is read now rather than counted. */
static void
gauges(struct intake_req *req, struct intake_metrics_gauges *g)
{
	struct intake_ctx	*ctx = req->ctx;
	enum intake_cache_status st;
	int64_t			 until, left = -1;

	memset(g, 0, sizeof(*g));
	g->spool_queued = g->spool_dead = -1;
	if (ctx->spool != NULL) {
		g->spool_queued = g->spool_dead = 0;
		if (intake_spool_each(ctx->spool, INTAKE_SPOOL_QUEUED, count_one,
		    &g->spool_queued) != INTAKE_OK)
			g->spool_queued = -1;
		if (intake_spool_each(ctx->spool, INTAKE_SPOOL_DEAD, count_one, &g->spool_dead) !=
		    INTAKE_OK)
			g->spool_dead = -1;
	}
	g->spool_done = count_done(ctx->cfg->spool_dir);
	g->breaker = (int)intake_breaker_state(ctx, &until);
	if (intake_token_left(ctx, &left) != INTAKE_OK)
		left = -1;
	g->token_cached = left > 0;
	g->token_left_s = left > 0 ? left / 1000 : -1;
	g->upstream_slots = intake_upstream_count(ctx->cfg);
	st = intake_cache_status(ctx->cache);
	g->cache = intake_cache_status_name(st);
	g->cache_fallback = st == INTAKE_CACHE_STATUS_FALLBACK;
}

/* Render one admin page with fn and send it as ctype. */
static void
page(struct intake_req *req, enum intake_err (*fn)(const struct intake_metrics_gauges *,
    struct intake_buf *), const char *ctype)
{
	struct intake_metrics_gauges	g;
	struct intake_buf		b;
	enum intake_err			err;

	gauges(req, &g);
	intake_buf_init(&b, ADMIN_PAGE_MAX);
	err = fn(&g, &b);
	if (err == INTAKE_OK)
		(void)intake_resp_send(req, 200, ctype, "Cache-Control: no-store\r\n", b.ptr,
		    b.len);
	else {
		intake_req_cause(req, intake_strerror(err));
		(void)intake_resp_error(req, 500, "internal", "intake failed to answer.");
	}
	intake_buf_free(&b);
}

void
intake_handle_metrics(struct intake_req *req)
{
	page(req, intake_metrics_render, "text/plain; version=0.0.4; charset=utf-8");
}

void
intake_handle_status(struct intake_req *req)
{
	page(req, intake_metrics_status, "application/json; charset=utf-8");
}
