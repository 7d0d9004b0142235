/*
 * req.h - one HTTP request, from FastCGI or plain CGI, and its response.
 *
 * The CGI parameters are copied into the request's arena at the start
 * (libfcgi frees its own at the next accept).  The response is written
 * once, whole: status, fixed security headers, Content-Length, body.
 */
#ifndef INTAKE_REQ_H
#define INTAKE_REQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/arena.h"
#include "util/buf.h"
#include "core/ctx.h"
#include "util/err.h"

#define INTAKE_REQ_PARAMS_MAX	256	/* CGI parameters kept per request */
#define INTAKE_REQ_ARENA_MAX	(4u << 20)

struct FCGX_Request;

struct intake_req {
	struct intake_ctx	*ctx;
	struct intake_arena	 arena;
	struct FCGX_Request	*fcgi;		/* NULL: plain CGI on stdio */
	char			**params;	/* "NAME=value", arena-owned */
	size_t			 nparams;
	const char		*method;	/* REQUEST_METHOD */
	const char		*path;		/* the decoded path, no query */
	const char		*query;		/* QUERY_STRING, "" if none */
	int			 status;	/* what was sent, 0: nothing yet */
	const char		*cors;		/* CORS header lines for every answer, or NULL */
	const char		*code;		/* the error code of an error answer, or NULL */
	const char		*cause;		/* why a 5xx is sent (no secrets), or NULL */
	const char		*form;		/* the form it is about (for the log), or NULL */
	const char		*fields;	/* a 422's "field:code,...", for the log, or NULL */
	int64_t			 start_ms;	/* when it began, for the log's ms= */
};

/*
 * Start a request: copy the parameters of envp (NULL-terminated).
 * REQUEST_ID (nginx's $request_id), when it is 1-64 bytes of
 * [0-9A-Za-z._-], becomes the req= of every log line until
 * intake_req_end(); any other value is ignored.
 * INTAKE_ETOOBIG when they do not fit the arena.
 */
enum intake_err	intake_req_begin(struct intake_req *req, struct intake_ctx *ctx,
		    struct FCGX_Request *fcgi, char **envp);
/* Release what the request used; the arena is kept for the next one. */
void		intake_req_end(struct intake_req *req);

/*
 * Read the request body (CONTENT_LENGTH bytes, at most max) into body,
 * which the caller owns.  INTAKE_ETOOBIG when the declared or actual
 * length passes max (nothing more is read), INTAKE_EINVAL for a missing or
 * malformed CONTENT_LENGTH or a body cut short.
 */
enum intake_err	intake_req_body(struct intake_req *req, size_t max, struct intake_buf *body);

/* The value of a CGI parameter (e.g. "HTTP_ACCEPT"), or NULL. Arena-owned. */
const char	*intake_req_param(const struct intake_req *req, const char *name);

/*
 * Send a complete response.  extra_headers is NULL or CRLF-terminated
 * header lines.  Status codes come from a table; an unknown one is 500.
 * Every text/html answer gets the Content-Security-Policy, framing and
 * referrer headers.  Every answer is logged here, once, with method,
 * path (never the query string), status, req->form, req->code and ms:
 * a 5xx as event=server_error at error level with req->cause (callers
 * set it with intake_req_cause() rather than logging the failure
 * themselves); a 4xx as event=rejected (429: event=rate_limited) at info,
 * with req->fields, through the log's client-error rate limit; any other
 * as event=request at debug.
 */
enum intake_err	intake_resp_send(struct intake_req *req, int status, const char *ctype,
		    const char *extra_headers, const void *body, size_t len);

/*
 * Why the coming 5xx is sent: a constant or long-lived string without
 * secrets (an intake_strerror() text, say).  The first cause set is kept.
 */
void		intake_req_cause(struct intake_req *req, const char *cause);

/*
 * {"error":{"code":code,"message":message}} with status and
 * "Cache-Control: no-store"; the message is cut and escaped as
 * intake_json_error() does.  req->code becomes code unless already set.
 */
enum intake_err	intake_resp_error(struct intake_req *req, int status, const char *code,
		    const char *message);
/*
 * intake_resp_error() with headers (NULL, or CRLF-terminated lines such as
 * Retry-After or Allow) sent before the Cache-Control line.  Every JSON
 * error intake answers is written here, and its body by intake_json_error().
 */
enum intake_err	intake_resp_error_headers(struct intake_req *req, int status,
		    const char *headers, const char *code, const char *message);

/*
 * Answer for a failed Integrify call: 502 (refused, bad reply, error),
 * 503 with Retry-After (backing off, cache, no upstream slot free), 504
 * (timeout), 500 (local).
 * Integrify's own text and the token never reach the body; err is the
 * cause the log line names.
 */
enum intake_err	intake_resp_upstream_error(struct intake_req *req, enum intake_err err);

/* The reason phrase of status, or NULL when intake does not send it. */
const char	*intake_resp_reason(int status);

#endif
