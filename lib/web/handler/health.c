/*
 * health.c - liveness and readiness, for nginx, load balancers and admins.
 */
#include <openssl/crypto.h>

#include "cache/cache.h"
#include "web/handler/handler.h"
#include "spool/breaker.h"
#include "spool/spool.h"
#include "integrify/token.h"
#include "util/nelem.h"

static const char alive[] = "{\"status\":\"alive\"}\n";

/* The process answers: nothing else is checked. */
void
intake_handle_healthz(struct intake_req *req)
{
	(void)intake_resp_send(req, 200, "application/json; charset=utf-8",
	    "Cache-Control: no-store\r\n", alive, sizeof(alive) - 1);
}

static bool
count_one(void *arg, const char *ref)
{
	(void)ref;
	(*(long long *)arg)++;
	return true;
}

/*
 * Ready when a token can be had now (from the cache or a fetch).  The
 * answer also shows the breaker and how many submissions wait in the
 * spool, so an admin sees at once why requests are queueing, and where
 * the shared state lives now ("cache": "shm", "redis", or "fallback" while
 * Redis is unreachable and this host serves from its own memory).
 */
void
intake_handle_readyz(struct intake_req *req)
{
	struct intake_token		tok;
	struct intake_buf		b;
	enum intake_breaker_state	st;
	enum intake_err			err;
	long long			queued = 0, held = 0;
	int64_t				until;

	err = intake_token_get(req->ctx, &tok);
	OPENSSL_cleanse(&tok, sizeof(tok));
	if (err != INTAKE_OK) {
		/* The log says how the breaker and the spool stand. */
		(void)intake_resp_upstream_error(req, err);
		return;
	}
	st = intake_breaker_state(req->ctx, &until);
	if (req->ctx->spool != NULL) {
		(void)intake_spool_each(req->ctx->spool, INTAKE_SPOOL_QUEUED, count_one, &queued);
		(void)intake_spool_each(req->ctx->spool, INTAKE_SPOOL_DEAD, count_one, &held);
	}
	intake_buf_init(&b, 1024);
	if (intake_buf_printf(&b, "{\"status\":\"ready\",\"breaker\":\"%s\","
	    "\"spool\":{\"queued\":%lld,\"held\":%lld},\"cache\":\"%s\"}\n",
	    intake_breaker_state_name(st), queued, held,
	    intake_cache_status_name(intake_cache_status(req->ctx->cache))) == INTAKE_OK)
		(void)intake_resp_send(req, 200, "application/json; charset=utf-8",
		    "Cache-Control: no-store\r\n", b.ptr, b.len);
	else
		(void)intake_resp_error(req, 500, "internal", "intake failed to answer.");
	intake_buf_free(&b);
}
