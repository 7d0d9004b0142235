/*
 * health.c - liveness and readiness, for nginx, load balancers and admins.
 */
#include <openssl/crypto.h>

#include "internal.h"
#include "intake/token.h"

static const char alive[] = "{\"status\":\"alive\"}\n";
static const char ready[] = "{\"status\":\"ready\"}\n";

/* The process answers: nothing else is checked. */
void
intake_handle_healthz(struct intake_req *req)
{
	(void)intake_resp_send(req, 200, "application/json; charset=utf-8",
	    "Cache-Control: no-store\r\n", alive, sizeof(alive) - 1);
}

/* Ready when a token can be had now (from the cache or a fetch). */
void
intake_handle_readyz(struct intake_req *req)
{
	struct intake_token	tok;
	enum intake_err		err;

	err = intake_token_get(req->ctx, &tok);
	OPENSSL_cleanse(&tok, sizeof(tok));
	if (err != INTAKE_OK) {
		(void)intake_resp_upstream_error(req, err);
		return;
	}
	(void)intake_resp_send(req, 200, "application/json; charset=utf-8",
	    "Cache-Control: no-store\r\n", ready, sizeof(ready) - 1);
}
