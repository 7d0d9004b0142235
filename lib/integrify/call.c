/*
 * integrify.c - authenticated calls with one retry on a refused token.
 */
#include <string.h>

#include <openssl/crypto.h>

#include "integrify/call.h"
#include "integrify/reply.h"
#include "core/log.h"
#include "util/str.h"
#include "integrify/token.h"

bool
intake_integrify_token_refused(const struct intake_http_resp *resp)
{
	if (resp->status == 401)
		return true;
	/* v8 has been seen to answer an expired token with this text. */
	return resp->status >= 400 && resp->status < 500 && resp->body.len < 512 &&
	    resp->body.ptr != NULL && intake_memcasemem(resp->body.ptr, resp->body.len,
	    "expired token");
}

static enum intake_err
status_err(long status)
{
	if (status >= 200 && status < 300)
		return INTAKE_OK;
	if (status == 401)
		return INTAKE_EAUTH;
	if (status == 403)
		return INTAKE_EDENIED;
	if (status == 404)
		return INTAKE_ENOTFOUND;
	if (status == 429 || status == 408 || status >= 500)
		return INTAKE_EUPSTREAM;
	return INTAKE_EPROTO;
}

/*
 * The line for a call Integrify answered with an error status; for a
 * refusal (4xx), with Integrify's reason from the reply (reply.h:
 * bounded, escaped by the log), which names what was wrong with the
 * call.  A reply that quotes the token it was sent gives none.
 */
static void
upstream_failed(const char *method, const char *path_query,
    const struct intake_http_resp *resp, const char *token)
{
	struct intake_log_line	l;
	char			reason[INTAKE_REPLY_REASON_MAX];

	reason[0] = '\0';
	/* Not a server's failure (5xx): its text may be its internals, and explains no config. */
	if (resp->status >= 400 && resp->status < 500) {
		if (token != NULL && token[0] != '\0' && resp->body.len > 0 &&
		    memmem(resp->body.ptr, resp->body.len, token, strlen(token)) != NULL)
			(void)intake_strlcpy(reason, "(withheld: the reply quotes the token)",
			    sizeof(reason));
		else
			intake_reply_reason(intake_buf_str(&resp->body), resp->body.len, reason);
	}
	intake_log_begin(&l, INTAKE_LOG_WARN, "upstream_failed");
	intake_log_str(&l, "method", method);
	intake_log_str(&l, "path", path_query);
	intake_log_int(&l, "status", resp->status);
	if (reason[0] != '\0')
		intake_log_str(&l, "reason", reason);
	intake_log_end(&l);
}

enum intake_err
intake_integrify_call(struct intake_ctx *ctx, const char *method, const char *path_query,
    const char *content_type, const void *body, size_t bodylen,
    struct intake_http_resp *resp)
{
	struct intake_http_call	 call;
	struct intake_token	 tok;
	struct intake_buf	 url;
	enum intake_err		 err;
	int			 attempt;

	intake_buf_init(&url, INTAKE_URL_MAX + 8192);
	err = intake_buf_adds(&url, ctx->cfg->base_url);
	if (err == INTAKE_OK)
		err = intake_buf_adds(&url, path_query);
	if (err != INTAKE_OK)
		goto out;
	memset(&call, 0, sizeof(call));
	call.method = method;
	call.url = url.ptr;
	call.content_type = content_type;
	call.body = body;
	call.bodylen = bodylen;

	for (attempt = 0; attempt < 2; attempt++) {
		err = intake_token_get(ctx, &tok);
		if (err != INTAKE_OK)
			goto out;
		call.bearer = tok.value;
		err = intake_http_do(ctx->http, &call, resp);
		if (err != INTAKE_OK)
			goto out;
		if (!intake_integrify_token_refused(resp))
			break;
		(void)intake_token_reject(ctx, &tok);
	}
	if (attempt == 2) {
		intake_log_event(INTAKE_LOG_WARN, "upstream_failed", "method", method, "path",
		    path_query, "msg", "a new token was refused too", NULL);
		err = INTAKE_EAUTH;
		goto out;
	}
	err = status_err(resp->status);
	if (err != INTAKE_OK)
		upstream_failed(method, path_query, resp, tok.value);
out:
	OPENSSL_cleanse(&tok, sizeof(tok));
	intake_buf_free(&url);
	return err;
}
