/*
 * req.c - requests in, responses out, for FastCGI and plain CGI alike.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "util/buf.h"
#include "util/json.h"
#include "core/log.h"
#include "web/req.h"
#include "util/str.h"
#include "util/nelem.h"

static const struct {
	int		 status;
	const char	*reason;
} reasons[] = {
	{ 200, "OK" },
	{ 201, "Created" },
	{ 202, "Accepted" },
	{ 204, "No Content" },
	{ 303, "See Other" },
	{ 304, "Not Modified" },
	{ 400, "Bad Request" },
	{ 403, "Forbidden" },
	{ 404, "Not Found" },
	{ 405, "Method Not Allowed" },
	{ 413, "Content Too Large" },
	{ 415, "Unsupported Media Type" },
	{ 422, "Unprocessable Content" },
	{ 429, "Too Many Requests" },
	{ 431, "Request Header Fields Too Large" },
	{ 500, "Internal Server Error" },
	{ 502, "Bad Gateway" },
	{ 503, "Service Unavailable" },
	{ 504, "Gateway Timeout" },
};

/*
 * Headers on every response, and those every HTML answer gets: form
 * pages and the /api/choices and /api/reports fragments alike, from this
 * one place.  The policy allows no inline script or style and no framing.
 * Cached answers carry every header in nginx's cache, so data answers
 * stay lean.
 */
static const char fixed_headers[] = "X-Content-Type-Options: nosniff\r\n";
static const char document_headers[] =
	"Content-Security-Policy: default-src 'none'; style-src 'self'; "
	"script-src 'self'; img-src 'self'; connect-src 'self'; "
	"form-action 'self'; base-uri 'none'; frame-ancestors 'none'\r\n"
	"Referrer-Policy: same-origin\r\n"
	"X-Frame-Options: DENY\r\n";

const char *
intake_resp_reason(int status)
{
	size_t	i;

	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].status == status)
			return reasons[i].reason;
	return NULL;
}

enum intake_err
intake_req_begin(struct intake_req *req, struct intake_ctx *ctx, struct FCGX_Request *fcgi,
    char **envp)
{
	struct intake_log_line	 l;
	const char		*v;
	size_t			 n, i;

	req->start_ms = intake_now_ms();
	req->ctx = ctx;
	req->fcgi = fcgi;
	req->status = 0;
	req->cors = NULL;
	req->code = NULL;
	req->cause = NULL;
	req->form = NULL;
	req->fields = NULL;
	req->nparams = 0;
	req->method = "";
	req->path = "/";
	req->query = "";
	for (n = 0; envp != NULL && envp[n] != NULL; n++)
		;
	if (n > INTAKE_REQ_PARAMS_MAX) {
		/* Headers are the client's to send: rate limited like its 4xx lines. */
		intake_log_begin_limited(&l, INTAKE_LOG_WARN, "too_many_params");
		intake_log_int(&l, "params", (long long)n);
		intake_log_int(&l, "kept", INTAKE_REQ_PARAMS_MAX);
		intake_log_end(&l);
		n = INTAKE_REQ_PARAMS_MAX;
	}
	req->params = intake_arena_alloc(&req->arena, (n + 1) * sizeof(char *));
	if (req->params == NULL)
		return INTAKE_ETOOBIG;
	for (i = 0; i < n; i++) {
		req->params[i] = intake_arena_strdup(&req->arena, envp[i]);
		if (req->params[i] == NULL)
			return INTAKE_ETOOBIG;
	}
	req->params[n] = NULL;
	req->nparams = n;
	/* nginx's $request_id joins its access log and ours; anything else is dropped. */
	(void)intake_log_set_request(intake_req_param(req, "REQUEST_ID"));

	if ((v = intake_req_param(req, "REQUEST_METHOD")) != NULL)
		req->method = v;
	if ((v = intake_req_param(req, "QUERY_STRING")) != NULL)
		req->query = v;
	/* nginx: DOCUMENT_URI is decoded and normalised; CGI: PATH_INFO. */
	if ((v = intake_req_param(req, "DOCUMENT_URI")) != NULL && *v != '\0')
		req->path = v;
	else if ((v = intake_req_param(req, "PATH_INFO")) != NULL && *v != '\0')
		req->path = v;
	return INTAKE_OK;
}

void
intake_req_end(struct intake_req *req)
{
	intake_arena_reset(&req->arena);
	(void)intake_log_set_request(NULL);
	req->params = NULL;
	req->nparams = 0;
}

const char *
intake_req_param(const struct intake_req *req, const char *name)
{
	size_t	i, n = strlen(name);

	for (i = 0; i < req->nparams; i++)
		if (strncmp(req->params[i], name, n) == 0 && req->params[i][n] == '=')
			return req->params[i] + n + 1;
	return NULL;
}

enum intake_err
intake_req_body(struct intake_req *req, size_t max, struct intake_buf *body)
{
	const char	*cl = intake_req_param(req, "CONTENT_LENGTH");
	char		 chunk[16384];
	long long	 want;
	size_t		 got = 0, n;
	ssize_t		 r;
	int		 k;
	enum intake_err	 err;

	/* Never size anything from the declared length: check it, then grow. */
	if (cl == NULL || intake_parse_int(cl, 0, INT64_MAX / 2, &want) != INTAKE_OK)
		return INTAKE_EINVAL;
	if ((unsigned long long)want > max)
		return INTAKE_ETOOBIG;
	intake_buf_init(body, max);
	while (got < (size_t)want) {
		n = (size_t)want - got < sizeof(chunk) ? (size_t)want - got : sizeof(chunk);
		if (req->fcgi != NULL) {
			k = FCGX_GetStr(chunk, (int)n, req->fcgi->in);
			r = k;
		} else
			r = read(STDIN_FILENO, chunk, n);
		if (r <= 0)
			return INTAKE_EINVAL;
		err = intake_buf_add(body, chunk, (size_t)r);
		if (err != INTAKE_OK)
			return err;
		got += (size_t)r;
	}
	return INTAKE_OK;
}

static enum intake_err
put(struct intake_req *req, const void *p, size_t n)
{
	size_t	off = 0;
	ssize_t	w;

	if (req->fcgi != NULL) {
		if (n > 0 && FCGX_PutStr(p, (int)n, req->fcgi->out) != (int)n)
			return INTAKE_ESYS;
		return INTAKE_OK;
	}
	while (off < n) {
		w = write(STDOUT_FILENO, (const char *)p + off, n - off);
		if (w <= 0)
			return INTAKE_ESYS;
		off += (size_t)w;
	}
	return INTAKE_OK;
}

/*
 * The one line for every answer: 5xx always (where, what and why), 4xx
 * through the client-error rate limit, the rest at debug.
 */
static void
log_outcome(const struct intake_req *req, int status)
{
	struct intake_log_line	l;

	if (status >= 500)
		intake_log_begin(&l, INTAKE_LOG_ERR, "server_error");
	else if (status >= 400)
		intake_log_begin_limited(&l, INTAKE_LOG_INFO,
		    status == 429 ? "rate_limited" : "rejected");
	else
		intake_log_begin(&l, INTAKE_LOG_DEBUG, "request");
	if (!l.on)
		return;
	intake_log_str(&l, "method", req->method);
	intake_log_str(&l, "path", req->path);
	intake_log_int(&l, "status", status);
	if (req->form != NULL)
		intake_log_str(&l, "form", req->form);
	if (req->code != NULL)
		intake_log_str(&l, "code", req->code);
	if (req->fields != NULL)
		intake_log_str(&l, "fields", req->fields);
	if (status >= 500)
		intake_log_str(&l, "cause", req->cause != NULL ? req->cause : "no cause recorded");
	intake_log_int(&l, "ms", intake_now_ms() - req->start_ms);
	intake_log_end(&l);
}

/* Is ctype an HTML document (text/html, with or without parameters)? */
static bool
is_html(const char *ctype)
{
	return ctype != NULL && strncasecmp(ctype, "text/html", 9) == 0 &&
	    (ctype[9] == '\0' || ctype[9] == ';');
}

/* The CGI response head: status line, entity headers, fixed ones, extras, blank line. */
static enum intake_err
head_write(struct intake_buf *h, const struct intake_req *req, int status, const char *ctype,
    const char *extra_headers, size_t len)
{
	bool	bodiless = status == 304 || status == 204;

	intake_buf_adds(h, "Status: ");
	intake_buf_addu(h, (unsigned)status);
	intake_buf_addc(h, ' ');
	intake_buf_adds(h, intake_resp_reason(status));
	if (ctype != NULL && !bodiless) {
		intake_buf_adds(h, "\r\nContent-Type: ");
		intake_buf_adds(h, ctype);
	}
	if (!bodiless) {
		intake_buf_adds(h, "\r\nContent-Length: ");
		intake_buf_addu(h, len);
	}
	intake_buf_adds(h, "\r\n");
	intake_buf_adds(h, fixed_headers);
	if (is_html(ctype))
		intake_buf_adds(h, document_headers);
	if (extra_headers != NULL)
		intake_buf_adds(h, extra_headers);
	if (req->cors != NULL)
		intake_buf_adds(h, req->cors);
	intake_buf_adds(h, "\r\n");
	return intake_buf_err(h);
}

enum intake_err
intake_resp_send(struct intake_req *req, int status, const char *ctype,
    const char *extra_headers, const void *body, size_t len)
{
	struct intake_buf	 head;
	enum intake_err		 err;
	bool			 head_only;

	if (req->status != 0)
		return INTAKE_EINVAL;
	if (intake_resp_reason(status) == NULL) {
		intake_req_cause(req, "a status intake does not send");
		status = 500;
	}
	log_outcome(req, status);
	head_only = strcmp(req->method, "HEAD") == 0 || status == 304 || status == 204;
	intake_buf_init(&head, 8192);
	err = head_write(&head, req, status, ctype, extra_headers, len);
	if (err == INTAKE_OK)
		err = put(req, head.ptr, head.len);
	if (err == INTAKE_OK && !head_only)
		err = put(req, body, len);
	intake_buf_free(&head);
	req->status = status;
	return err;
}

void
intake_req_cause(struct intake_req *req, const char *cause)
{
	if (req->cause == NULL)
		req->cause = cause;
}

enum intake_err
intake_resp_error(struct intake_req *req, int status, const char *code, const char *message)
{
	return intake_resp_error_headers(req, status, NULL, code, message);
}

enum intake_err
intake_resp_error_headers(struct intake_req *req, int status, const char *headers,
    const char *code, const char *message)
{
	struct intake_buf	h, b;
	enum intake_err		err;

	if (req->code == NULL)
		req->code = code;
	intake_buf_init(&h, 1024);
	if (headers != NULL)
		intake_buf_adds(&h, headers);
	intake_buf_adds(&h, "Cache-Control: no-store\r\n");
	intake_buf_init(&b, 8192);
	err = intake_json_error(&b, code, message);
	if (err == INTAKE_OK)
		err = intake_buf_err(&h);
	if (err == INTAKE_OK)
		err = intake_resp_send(req, status, "application/json; charset=utf-8", h.ptr,
		    b.ptr, b.len);
	intake_buf_free(&h);
	intake_buf_free(&b);
	return err;
}

/* A 503 that says when to try again: Retry-After: seconds. */
static enum intake_err
resp_retry(struct intake_req *req, long long seconds, const char *code, const char *message)
{
	char	hdr[48];

	(void)snprintf(hdr, sizeof(hdr), "Retry-After: %lld\r\n", seconds);
	return intake_resp_error_headers(req, 503, hdr, code, message);
}

/* Retry-After of an answer: none, the upstream slots' or the token backoff's. */
enum upstream_retry {
	RETRY_NONE,
	RETRY_SLOTS,		/* when an upstream slot is expected free */
	RETRY_BACKOFF,		/* fetch_failure_ttl */
};

/* The answer to each error of a call that needed Integrify, by error. */
static const struct upstream_answer {
	int			 status;
	enum upstream_retry	 retry;
	const char		*code;
	const char		*message;
} upstream_answers[] = {
	/* INTAKE_OK, ENOMEM, ESYS, ECONFIG, EINVAL: local, nothing of Integrify's to name */
	{ 500, RETRY_NONE, "internal", "intake failed to handle the request." },
	{ 500, RETRY_NONE, "internal", "intake failed to handle the request." },
	{ 500, RETRY_NONE, "internal", "intake failed to handle the request." },
	{ 500, RETRY_NONE, "internal", "intake failed to handle the request." },
	{ 500, RETRY_NONE, "internal", "intake failed to handle the request." },
	/* INTAKE_ETOOBIG */
	{ 502, RETRY_NONE, "integrify_bad_reply", "Integrify sent a reply intake could not use." },
	/* INTAKE_ETIMEOUT */
	{ 504, RETRY_NONE, "integrify_timeout",
	    "Integrify did not answer in time. Please try again shortly." },
	/* INTAKE_EUPSTREAM */
	{ 502, RETRY_NONE, "integrify_unavailable",
	    "Integrify is unavailable. Please try again shortly." },
	/* INTAKE_EAUTH */
	{ 502, RETRY_NONE, "integrify_auth", "Integrify refused intake's service account. An "
	    "administrator should check the credentials in intake's configuration." },
	/* INTAKE_EDENIED */
	{ 502, RETRY_NONE, "integrify_denied",
	    "Integrify denied intake's service account access to this item." },
	/* INTAKE_ENOTFOUND */
	{ 502, RETRY_NONE, "integrify_not_found",
	    "Integrify does not know an item intake's configuration names." },
	/* INTAKE_EPROTO */
	{ 502, RETRY_NONE, "integrify_bad_reply", "Integrify sent a reply intake could not use." },
	/* INTAKE_EBACKOFF */
	{ 503, RETRY_BACKOFF, "integrify_backoff",
	    "Signing in to Integrify failed a moment ago. Please try again shortly." },
	/* INTAKE_ECACHE */
	{ 503, RETRY_BACKOFF, "integrify_backoff",
	    "Signing in to Integrify failed a moment ago. Please try again shortly." },
	/* INTAKE_EBUSY */
	{ 503, RETRY_SLOTS, "integrify_busy",
	    "Integrify is slow to answer just now. Please try again shortly." },
};
INTAKE_ROWS(upstream_answers, INTAKE_ERR__MAX);

enum intake_err
intake_resp_upstream_error(struct intake_req *req, enum intake_err err)
{
	const struct upstream_answer	*a = &upstream_answers[(unsigned)err < INTAKE_ERR__MAX ?
					    err : INTAKE_ESYS];
	long long			 ttl;

	intake_req_cause(req, intake_strerror(err));
	switch (a->retry) {
	case RETRY_SLOTS:
		return resp_retry(req, intake_ctx_retry_after(req->ctx), a->code, a->message);
	case RETRY_BACKOFF:
		req->code = a->code;
		ttl = req->ctx->cfg->fetch_failure_ttl;
		return resp_retry(req, ttl > 0 ? ttl : 1, a->code, a->message);
	case RETRY_NONE:
		break;
	}
	return intake_resp_error(req, a->status, a->code, a->message);
}
