/*
 * integrify.h - calling Integrify's API as the service account.
 *
 * intake_integrify_call() adds the shared token, and when Integrify
 * refuses it (401, or a body saying the token expired) forgets that token
 * and retries once with a new one.  A second refusal is INTAKE_EAUTH:
 * never a loop.
 */
#ifndef INTAKE_INTEGRIFY_H
#define INTAKE_INTEGRIFY_H

#include <stddef.h>

#include "core/ctx.h"
#include "util/err.h"
#include "integrify/http.h"

/*
 * method and path_query (e.g. "/processes") are relative to base_url.
 * INTAKE_OK: a 2xx reply is in *resp.  Otherwise the status maps to
 * INTAKE_EAUTH (401), INTAKE_EDENIED (403), INTAKE_ENOTFOUND (404),
 * INTAKE_EUPSTREAM (429, 5xx, transport), INTAKE_EPROTO (other).
 */
enum intake_err	intake_integrify_call(struct intake_ctx *ctx, const char *method,
		    const char *path_query, const char *content_type, const void *body,
		    size_t bodylen, struct intake_http_resp *resp);

/* Does this reply say the token was refused? (401, or "expired token"). */
bool		intake_integrify_token_refused(const struct intake_http_resp *resp);

#endif
