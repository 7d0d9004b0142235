/*
 * test_req.c - lib/web/req.c as plain CGI on stdio: every 5xx is logged once
 * with its cause, 4xx at info through the client-error rate limit, the
 * request id tags the lines of its request only, and every HTML answer
 * carries the CSP and framing headers from one place while JSON answers
 * stay lean; parameters are copied, responses written whole and in order,
 * every JSON error comes from one function, and a body is read to its
 * checked CONTENT_LENGTH and no further.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "web/req.h"
#include "util/str.h"

#include "t.h"
#include "cgi_capture.h"

/* Begin a request; rid: its REQUEST_ID parameter, or NULL for none. */
static void
begin_id(struct intake_req *req, const char *method, const char *uri, const char *rid)
{
	static char	m[64], u[256], r[256];
	static char	q[] = "QUERY_STRING=password=hunter2";
	char		*envp[] = { m, u, q, rid != NULL ? r : NULL, NULL };

	(void)snprintf(m, sizeof(m), "REQUEST_METHOD=%s", method);
	(void)snprintf(u, sizeof(u), "DOCUMENT_URI=%s", uri);
	(void)snprintf(r, sizeof(r), "REQUEST_ID=%s", rid != NULL ? rid : "");
	if (req->arena.max == 0) {	/* the first request of the test: a fresh arena */
		memset(req, 0, sizeof(*req));
		intake_arena_init(&req->arena, INTAKE_REQ_ARENA_MAX);
	}
	if (intake_req_begin(req, NULL, NULL, envp) != INTAKE_OK)
		abort();
}

static void
begin(struct intake_req *req, const char *method, const char *uri)
{
	begin_id(req, method, uri, NULL);
}

static void
test_forced_502_is_logged_once_with_its_cause(void)
{
	struct intake_req	req = { 0 };
	struct capture		c;

	capture_start(&c);
	begin(&req, "GET", "/api/choices/departments");
	T_EQ_INT(intake_resp_upstream_error(&req, INTAKE_EUPSTREAM), INTAKE_OK);
	/* A second answer is refused, and logs nothing more. */
	T_EQ_INT(intake_resp_error(&req, 500, "internal", "x"), INTAKE_EINVAL);
	intake_req_end(&req);
	intake_arena_free(&req.arena);
	capture_end(&c);
	T_ASSERT(strncmp(c.outbuf, "Status: 502 Bad Gateway\r\n", 25) == 0);
	T_EQ_INT(count(c.errbuf, "\n"), 1);
	T_EQ_INT(count(c.errbuf, " level=error pid="), 1);
	T_EQ_INT(count(c.errbuf, " event=server_error method=GET path=/api/choices/departments "
	    "status=502 code=integrify_unavailable cause=\"Integrify is unavailable\" ms="), 1);
	/* The query string is never logged: it may hold anything. */
	T_EQ_INT(count(c.errbuf, "hunter2"), 0);
}

static void
test_5xx_without_a_recorded_cause_still_says_so(void)
{
	struct intake_req	req = { 0 };
	struct capture		c;

	capture_start(&c);
	begin(&req, "POST", "/forms/x");
	intake_req_cause(&req, "the spool could not take the submission");
	intake_req_cause(&req, "a later cause");	/* the first is kept */
	(void)intake_resp_error(&req, 503, "unavailable", "Try again.");
	intake_req_end(&req);
	begin(&req, "GET", "/y");
	(void)intake_resp_send(&req, 500, "text/plain", NULL, "x", 1);
	intake_req_end(&req);
	intake_arena_free(&req.arena);
	capture_end(&c);
	T_EQ_INT(count(c.errbuf, "event=server_error"), 2);
	T_EQ_INT(count(c.errbuf, "event=server_error method=POST path=/forms/x status=503 "
	    "code=unavailable cause=\"the spool could not take the submission\" ms="), 1);
	T_EQ_INT(count(c.errbuf, "event=server_error method=GET path=/y status=500 "
	    "cause=\"no cause recorded\" ms="), 1);
}

static void
test_4xx_is_logged_at_info_not_as_5xx(void)
{
	struct intake_req	req = { 0 };
	struct capture		c;

	capture_start(&c);
	begin(&req, "GET", "/api/choices/x");
	(void)intake_resp_error(&req, 400, "bad_parameter", "No.");
	intake_req_end(&req);
	begin(&req, "POST", "/forms/x");
	(void)intake_resp_error(&req, 429, "rate_limited", "Later.");
	intake_req_end(&req);
	intake_arena_free(&req.arena);
	capture_end(&c);
	T_EQ_INT(count(c.errbuf, "\n"), 2);
	T_EQ_INT(count(c.errbuf, " level=info pid="), 2);
	T_EQ_INT(count(c.errbuf, " event=rejected method=GET path=/api/choices/x status=400 "
	    "code=bad_parameter ms="), 1);
	T_EQ_INT(count(c.errbuf, " event=rate_limited method=POST path=/forms/x status=429 "
	    "code=rate_limited ms="), 1);
	T_EQ_INT(count(c.errbuf, "server_error"), 0);
}

/* 2xx and 3xx are the access log's business: debug only. */
static void
test_2xx_is_logged_at_debug_only(void)
{
	struct intake_req	req = { 0 };
	struct capture		c;

	capture_start(&c);
	begin(&req, "GET", "/healthz");
	(void)intake_resp_send(&req, 200, "text/plain", NULL, "ok", 2);
	intake_req_end(&req);
	intake_log_set_level(INTAKE_LOG_DEBUG);
	begin(&req, "GET", "/readyz");
	(void)intake_resp_send(&req, 200, "text/plain", NULL, "ok", 2);
	intake_req_end(&req);
	intake_arena_free(&req.arena);
	capture_end(&c);
	T_EQ_INT(count(c.errbuf, "\n"), 1);
	T_EQ_INT(count(c.errbuf, " level=debug pid="), 1);
	T_EQ_INT(count(c.errbuf, " event=request method=GET path=/readyz status=200 ms="), 1);
}

/* nginx's $request_id tags the lines of its request, and of no other. */
static void
test_request_id_tags_its_request_only(void)
{
	struct intake_req	req = { 0 };
	struct capture		c;

	capture_start(&c);
	begin_id(&req, "GET", "/a", "0f3c9e8ab1d24c6f9b8a7e6d5c4b3a21");
	intake_log(INTAKE_LOG_WARN, "inside");
	(void)intake_resp_error(&req, 404, "not_found", "No.");
	intake_req_end(&req);
	intake_log(INTAKE_LOG_WARN, "between");
	/* Attacker-made ids (if something lets a client set it) are dropped whole. */
	begin_id(&req, "GET", "/b", "x event=forged");
	(void)intake_resp_error(&req, 404, "not_found", "No.");
	intake_req_end(&req);
	begin_id(&req, "GET", "/c", "");
	(void)intake_resp_error(&req, 404, "not_found", "No.");
	intake_req_end(&req);
	intake_arena_free(&req.arena);
	capture_end(&c);
	T_EQ_INT(count(c.errbuf, " req=0f3c9e8ab1d24c6f9b8a7e6d5c4b3a21 event=log msg=inside\n"), 1);
	T_EQ_INT(count(c.errbuf, " req=0f3c9e8ab1d24c6f9b8a7e6d5c4b3a21 event=rejected "
	    "method=GET path=/a "), 1);
	T_EQ_INT(count(c.errbuf, " req="), 2);
	T_EQ_INT(count(c.errbuf, "forged"), 0);
	T_EQ_INT(count(c.errbuf, " event=log msg=between\n"), 1);
}

/* A flood of 4xx answers: the burst, then RATE a second; 5xx lines are never held back. */
static void
test_rejected_lines_are_rate_limited(void)
{
	struct intake_req	req = { 0 };
	struct capture		c;
	int64_t			start = intake_now_ms(), elapsed;
	int			i, lines;

	capture_start(&c);
	for (i = 0; i < 200; i++) {
		begin(&req, "POST", "/forms/x");
		(void)intake_resp_error(&req, 403, "token_missing", "No.");
		intake_req_end(&req);
	}
	begin(&req, "GET", "/api/x");
	(void)intake_resp_error(&req, 500, "internal", "x");
	intake_req_end(&req);
	elapsed = intake_now_ms() - start;
	intake_arena_free(&req.arena);
	capture_end(&c);
	lines = count(c.errbuf, "event=rejected");
	T_ASSERT(lines >= INTAKE_LOG_CLIENT_BURST);
	T_ASSERT(lines <= INTAKE_LOG_CLIENT_BURST +
	    INTAKE_LOG_CLIENT_RATE * (int)(elapsed / 1000 + 1));
	T_EQ_INT(count(c.errbuf, "event=server_error"), 1);
}

static void
test_html_fragments_carry_csp_and_frame_protection(void)
{
	struct intake_req	req = { 0 };
	struct capture		c;
	char			*body;

	capture_start(&c);
	begin(&req, "GET", "/api/choices/x");
	(void)intake_resp_send(&req, 200, "text/html; charset=utf-8", "Cache-Control: public\r\n",
	    "<option value=\"a\">A</option>\n", 29);
	intake_req_end(&req);
	intake_arena_free(&req.arena);
	capture_end(&c);
	body = strstr(c.outbuf, "\r\n\r\n");
	T_ASSERT(body != NULL);
	if (body == NULL)
		return;
	*body = '\0';
	T_EQ_INT(count(c.outbuf, "\r\nContent-Security-Policy: default-src 'none'; "), 1);
	T_EQ_INT(count(c.outbuf, "frame-ancestors 'none'\r\n"), 1);
	T_EQ_INT(count(c.outbuf, "\r\nX-Frame-Options: DENY\r\n"), 1);
}

static void
test_json_answers_stay_lean(void)
{
	struct intake_req	req = { 0 };
	struct capture		c;

	capture_start(&c);
	begin(&req, "GET", "/api/choices/x");
	(void)intake_resp_send(&req, 200, "application/json; charset=utf-8", NULL, "{}", 2);
	intake_req_end(&req);
	begin(&req, "GET", "/api/choices/x");
	/* Not HTML, though it starts like it. */
	(void)intake_resp_send(&req, 200, "text/htmlx", NULL, "x", 1);
	intake_req_end(&req);
	intake_arena_free(&req.arena);
	capture_end(&c);
	T_EQ_INT(count(c.outbuf, "Content-Security-Policy"), 0);
	T_EQ_INT(count(c.outbuf, "X-Frame-Options"), 0);
}

/* Begin a request on envp with a fresh arena, and with ctx. */
static void
begin_env(struct intake_req *req, struct intake_ctx *ctx, char **envp)
{
	memset(req, 0, sizeof(*req));
	intake_arena_init(&req->arena, INTAKE_REQ_ARENA_MAX);
	if (intake_req_begin(req, ctx, NULL, envp) != INTAKE_OK)
		abort();
}

static void
done(struct intake_req *req)
{
	intake_req_end(req);
	intake_arena_free(&req->arena);
}

/* libfcgi frees its params at the next accept: the request keeps copies. */
static void
test_params_are_copied_and_matched_by_whole_name(void)
{
	struct intake_req	req;
	char			m[] = "REQUEST_METHOD=POST", a[] = "HTTP_ACCEPT_LANGUAGE=de";
	char			b[] = "HTTP_ACCEPT=text/html", u[] = "DOCUMENT_URI=/forms/x";
	char			e[] = "HTTP_EMPTY=", q[] = "QUERY_STRING=a=1&b=2";
	char			*envp[] = { m, a, b, u, e, q, NULL };

	begin_env(&req, NULL, envp);
	memset(b, 'X', sizeof(b) - 1);	/* what libfcgi may do to its own copy */
	memset(u, 'X', sizeof(u) - 1);
	T_ASSERT(strcmp(intake_req_param(&req, "HTTP_ACCEPT"), "text/html") == 0);
	T_ASSERT(strcmp(intake_req_param(&req, "HTTP_ACCEPT_LANGUAGE"), "de") == 0);
	/* A prefix of a name is not the name. */
	T_ASSERT(intake_req_param(&req, "HTTP_ACC") == NULL);
	T_ASSERT(intake_req_param(&req, "HTTP_MISSING") == NULL);
	T_ASSERT(strcmp(intake_req_param(&req, "HTTP_EMPTY"), "") == 0);
	T_ASSERT(strcmp(req.method, "POST") == 0);
	T_ASSERT(strcmp(req.path, "/forms/x") == 0);
	T_ASSERT(strcmp(req.query, "a=1&b=2") == 0);
	done(&req);
}

static void
test_path_falls_back_to_path_info_then_slash(void)
{
	struct intake_req	req;
	char			u[] = "DOCUMENT_URI=", p[] = "PATH_INFO=/healthz";
	char			*envp[] = { u, p, NULL }, *none[] = { NULL };

	begin_env(&req, NULL, envp);
	T_ASSERT(strcmp(req.path, "/healthz") == 0);
	done(&req);
	begin_env(&req, NULL, none);
	T_ASSERT(strcmp(req.path, "/") == 0 && strcmp(req.method, "") == 0 &&
	    strcmp(req.query, "") == 0);
	done(&req);
}

/* A client that sends thousands of headers gets the first 256 kept, and one log line. */
static void
test_header_flood_keeps_the_first_params_only(void)
{
	struct intake_req	req;
	struct capture		c;
	char			**envp;
	size_t			i, n = INTAKE_REQ_PARAMS_MAX + 100;

	envp = calloc(n + 1, sizeof(*envp));
	if (envp == NULL)
		abort();
	for (i = 0; i < n; i++) {
		envp[i] = malloc(32);
		if (envp[i] == NULL)
			abort();
		(void)snprintf(envp[i], 32, "HTTP_X_%zu=%zu", i, i);
	}
	capture_start(&c);
	begin_env(&req, NULL, envp);
	T_EQ_INT((long long)req.nparams, INTAKE_REQ_PARAMS_MAX);
	T_ASSERT(intake_req_param(&req, "HTTP_X_255") != NULL);
	T_ASSERT(intake_req_param(&req, "HTTP_X_256") == NULL);
	done(&req);
	capture_end(&c);
	T_EQ_INT(count(c.errbuf, "event=too_many_params params=356 kept=256"), 1);
	for (i = 0; i < n; i++)
		free(envp[i]);
	free(envp);
}

/* The whole CGI answer, byte for byte: status, entity, fixed, extra, CORS headers. */
static void
test_response_is_written_whole_and_in_order(void)
{
	struct intake_req	req = { 0 };
	struct capture		c;

	capture_start(&c);
	begin(&req, "GET", "/api/choices/x");
	req.cors = "Access-Control-Allow-Origin: https://intranet\r\n";
	T_EQ_INT(intake_resp_send(&req, 200, "application/json; charset=utf-8",
	    "ETag: \"1\"\r\n", "{}", 2), INTAKE_OK);
	T_EQ_INT(req.status, 200);
	/* One answer per request. */
	T_EQ_INT(intake_resp_send(&req, 200, "text/plain", NULL, "x", 1), INTAKE_EINVAL);
	intake_req_end(&req);
	intake_arena_free(&req.arena);
	capture_end(&c);
	T_ASSERT(strcmp(c.outbuf, "Status: 200 OK\r\n"
	    "Content-Type: application/json; charset=utf-8\r\n"
	    "Content-Length: 2\r\n"
	    "X-Content-Type-Options: nosniff\r\n"
	    "ETag: \"1\"\r\n"
	    "Access-Control-Allow-Origin: https://intranet\r\n"
	    "\r\n{}") == 0);
}

static void
test_head_304_and_204_send_no_body(void)
{
	struct intake_req	req = { 0 };
	struct capture		c;

	capture_start(&c);
	begin(&req, "HEAD", "/healthz");
	(void)intake_resp_send(&req, 200, "text/plain", NULL, "body", 4);
	intake_req_end(&req);
	begin(&req, "GET", "/api/choices/x");
	(void)intake_resp_send(&req, 304, "text/plain", "ETag: \"1\"\r\n", "body", 4);
	intake_req_end(&req);
	begin(&req, "OPTIONS", "/api/choices/x");
	(void)intake_resp_send(&req, 204, NULL, NULL, NULL, 0);
	intake_req_end(&req);
	intake_arena_free(&req.arena);
	capture_end(&c);
	/* HEAD: the length of the body it would have had, and no body. */
	T_ASSERT(strcmp(c.outbuf, "Status: 200 OK\r\nContent-Type: text/plain\r\n"
	    "Content-Length: 4\r\nX-Content-Type-Options: nosniff\r\n\r\n"
	    "Status: 304 Not Modified\r\nX-Content-Type-Options: nosniff\r\nETag: \"1\"\r\n\r\n"
	    "Status: 204 No Content\r\nX-Content-Type-Options: nosniff\r\n\r\n") == 0);
}

static void
test_unknown_status_becomes_500_with_a_cause(void)
{
	struct intake_req	req = { 0 };
	struct capture		c;

	capture_start(&c);
	begin(&req, "GET", "/x");
	(void)intake_resp_send(&req, 299, "text/plain", NULL, "x", 1);
	T_EQ_INT(req.status, 500);
	intake_req_end(&req);
	intake_arena_free(&req.arena);
	capture_end(&c);
	T_ASSERT(strncmp(c.outbuf, "Status: 500 Internal Server Error\r\n", 35) == 0);
	T_EQ_INT(count(c.errbuf, "cause=\"a status intake does not send\""), 1);
	T_ASSERT(intake_resp_reason(299) == NULL);
	T_ASSERT(strcmp(intake_resp_reason(431), "Request Header Fields Too Large") == 0);
}

static void
test_html_media_type_is_matched_whole_and_caseless(void)
{
	struct intake_req	req = { 0 };
	struct capture		c;

	capture_start(&c);
	begin(&req, "GET", "/forms/x");
	(void)intake_resp_send(&req, 200, "TEXT/HTML", NULL, "x", 1);
	intake_req_end(&req);
	begin(&req, "GET", "/forms/x");
	(void)intake_resp_send(&req, 200, "text/html;charset=utf-8", NULL, "x", 1);
	intake_req_end(&req);
	begin(&req, "GET", "/forms/x");
	(void)intake_resp_send(&req, 200, "text/html-ish", NULL, "x", 1);
	intake_req_end(&req);
	intake_arena_free(&req.arena);
	capture_end(&c);
	T_EQ_INT(count(c.outbuf, "X-Frame-Options: DENY\r\n"), 2);
	T_EQ_INT(count(c.outbuf, "Referrer-Policy: same-origin\r\n"), 2);
}

/* Every JSON error is one shape, escaped, with no-store after the caller's headers. */
static void
test_error_function_writes_every_json_error(void)
{
	struct intake_req	req = { 0 };
	struct capture		c;

	capture_start(&c);
	begin(&req, "DELETE", "/healthz");
	T_EQ_INT(intake_resp_error_headers(&req, 405, "Allow: GET, HEAD\r\n",
	    "method_not_allowed", "This method is not allowed here."), INTAKE_OK);
	T_ASSERT(strcmp(req.code, "method_not_allowed") == 0);
	intake_req_end(&req);
	begin(&req, "GET", "/api/x");
	/* A message that quotes a client: <, > and " escaped, never raw. */
	(void)intake_resp_error(&req, 400, "bad_parameter", "Unknown parameter '<b>\"'.");
	intake_req_end(&req);
	intake_arena_free(&req.arena);
	capture_end(&c);
	T_ASSERT(strcmp(c.outbuf, "Status: 405 Method Not Allowed\r\n"
	    "Content-Type: application/json; charset=utf-8\r\n"
	    "Content-Length: 85\r\n"
	    "X-Content-Type-Options: nosniff\r\n"
	    "Allow: GET, HEAD\r\n"
	    "Cache-Control: no-store\r\n\r\n"
	    "{\"error\":{\"code\":\"method_not_allowed\",\"message\":"
	    "\"This method is not allowed here.\"}}\n"
	    "Status: 400 Bad Request\r\n"
	    "Content-Type: application/json; charset=utf-8\r\n"
	    "Content-Length: 84\r\n"
	    "X-Content-Type-Options: nosniff\r\n"
	    "Cache-Control: no-store\r\n\r\n"
	    "{\"error\":{\"code\":\"bad_parameter\",\"message\":"
	    "\"Unknown parameter '\\u003cb\\u003e\\\"'.\"}}\n") == 0);
}

/* The 503s that ask the client back: Retry-After, and the bodies they always had. */
static void
test_busy_and_backoff_errors_say_when_to_retry(void)
{
	struct intake_req	req = { 0 };
	struct intake_config	cfg;
	struct intake_ctx	ctx;
	struct capture		c;
	char			*envp[] = { NULL };

	memset(&cfg, 0, sizeof(cfg));
	memset(&ctx, 0, sizeof(ctx));
	cfg.fetch_failure_ttl = 7;
	cfg.upstream_wait_ms = 2500;
	ctx.cfg = &cfg;
	capture_start(&c);
	begin_env(&req, &ctx, envp);
	(void)intake_resp_upstream_error(&req, INTAKE_EBACKOFF);
	done(&req);
	begin_env(&req, &ctx, envp);
	(void)intake_resp_upstream_error(&req, INTAKE_EBUSY);
	done(&req);
	begin_env(&req, &ctx, envp);
	(void)intake_resp_upstream_error(&req, INTAKE_ESYS);
	done(&req);
	capture_end(&c);
	T_EQ_INT(count(c.outbuf, "Retry-After: 7\r\nCache-Control: no-store\r\n\r\n"
	    "{\"error\":{\"code\":\"integrify_backoff\",\"message\":\"Signing in to "
	    "Integrify failed a moment ago. Please try again shortly.\"}}\n"), 1);
	T_EQ_INT(count(c.outbuf, "Retry-After: 3\r\nCache-Control: no-store\r\n\r\n"
	    "{\"error\":{\"code\":\"integrify_busy\",\"message\":\"Integrify is slow to "
	    "answer just now. Please try again shortly.\"}}\n"), 1);
	/* A local failure names nothing of Integrify's. */
	T_EQ_INT(count(c.outbuf, "Status: 500 Internal Server Error\r\n"), 1);
	T_EQ_INT(count(c.outbuf, "{\"error\":{\"code\":\"internal\","), 1);
	T_EQ_INT(count(c.errbuf, "code=integrify_busy"), 1);
}

/* Point stdin at a scratch file holding body. */
static void
stdin_from(const char *body)
{
	char	dir[256], path[1024];
	int	fd;

	t_mkdtemp(dir, sizeof(dir));
	t_write_file(dir, "in", body, strlen(body), path, sizeof(path));
	if ((fd = open(path, O_RDONLY)) == -1 || dup2(fd, STDIN_FILENO) == -1 || close(fd) == -1)
		abort();
}

/* Read the CGI body of a request declaring cl (NULL: no CONTENT_LENGTH). */
static enum intake_err
read_body(const char *cl, const char *sent, size_t max, struct intake_buf *body)
{
	struct intake_req	req;
	char			m[] = "REQUEST_METHOD=POST", l[64];
	char			*envp[] = { m, cl != NULL ? l : NULL, NULL };
	enum intake_err		err;

	(void)snprintf(l, sizeof(l), "CONTENT_LENGTH=%s", cl != NULL ? cl : "");
	stdin_from(sent);
	begin_env(&req, NULL, envp);
	intake_buf_init(body, max);
	err = intake_req_body(&req, max, body);
	done(&req);
	return err;
}

static void
test_body_is_read_to_content_length_and_no_further(void)
{
	struct intake_buf	b;

	T_EQ_INT(read_body("5", "a=1&bXXXX", 100, &b), INTAKE_OK);
	T_EQ_INT((long long)b.len, 5);
	T_ASSERT(strcmp(intake_buf_str(&b), "a=1&b") == 0);
	intake_buf_free(&b);
	T_EQ_INT(read_body("0", "", 100, &b), INTAKE_OK);
	T_EQ_INT((long long)b.len, 0);
	intake_buf_free(&b);
}

/* A declared length is checked, never trusted for sizing, and a short body is refused. */
static void
test_body_with_lying_or_bad_content_length_is_refused(void)
{
	struct intake_buf	b;

	T_EQ_INT(read_body("101", "x", 100, &b), INTAKE_ETOOBIG);
	intake_buf_free(&b);
	T_EQ_INT(read_body("99999999999999999999", "x", 100, &b), INTAKE_EINVAL);
	intake_buf_free(&b);
	T_EQ_INT(read_body("-1", "x", 100, &b), INTAKE_EINVAL);
	intake_buf_free(&b);
	T_EQ_INT(read_body("5x", "xxxxx", 100, &b), INTAKE_EINVAL);
	intake_buf_free(&b);
	T_EQ_INT(read_body(NULL, "xxxxx", 100, &b), INTAKE_EINVAL);
	intake_buf_free(&b);
	/* Cut short: the client promised 10 bytes and sent 3. */
	T_EQ_INT(read_body("10", "abc", 100, &b), INTAKE_EINVAL);
	intake_buf_free(&b);
}

int
main(void)
{
	T_RUN(test_forced_502_is_logged_once_with_its_cause);
	T_RUN(test_5xx_without_a_recorded_cause_still_says_so);
	T_RUN(test_4xx_is_logged_at_info_not_as_5xx);
	T_RUN(test_2xx_is_logged_at_debug_only);
	T_RUN(test_request_id_tags_its_request_only);
	T_RUN(test_rejected_lines_are_rate_limited);
	T_RUN(test_html_fragments_carry_csp_and_frame_protection);
	T_RUN(test_json_answers_stay_lean);
	T_RUN(test_params_are_copied_and_matched_by_whole_name);
	T_RUN(test_path_falls_back_to_path_info_then_slash);
	T_RUN(test_header_flood_keeps_the_first_params_only);
	T_RUN(test_response_is_written_whole_and_in_order);
	T_RUN(test_head_304_and_204_send_no_body);
	T_RUN(test_unknown_status_becomes_500_with_a_cause);
	T_RUN(test_html_media_type_is_matched_whole_and_caseless);
	T_RUN(test_error_function_writes_every_json_error);
	T_RUN(test_busy_and_backoff_errors_say_when_to_retry);
	T_RUN(test_body_is_read_to_content_length_and_no_further);
	T_RUN(test_body_with_lying_or_bad_content_length_is_refused);
	return T_DONE();
}
