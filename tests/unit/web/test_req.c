/*
 * test_req.c - lib/web/req.c as plain CGI on stdio: every 5xx is logged once
 * with its cause, 4xx at info through the client-error rate limit, the
 * request id tags the lines of its request only, and every HTML answer
 * carries the CSP and framing headers from one place while JSON answers
 * stay lean.
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

struct capture {
	char	dir[256];
	char	out[512], err[512];	/* files that stdout and stderr go to */
	char	outbuf[16384], errbuf[16384];
};

/* Send stdout and stderr to scratch files (T_RUN forks, so this stays in the test). */
static void
capture_start(struct capture *c)
{
	int	fd;

	memset(c, 0, sizeof(*c));
	t_mkdtemp(c->dir, sizeof(c->dir));
	(void)snprintf(c->out, sizeof(c->out), "%s/out", c->dir);
	(void)snprintf(c->err, sizeof(c->err), "%s/err", c->dir);
	fflush(stdout);
	if ((fd = open(c->out, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    dup2(fd, STDOUT_FILENO) == -1 || close(fd) == -1)
		abort();
	if ((fd = open(c->err, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    dup2(fd, STDERR_FILENO) == -1 || close(fd) == -1)
		abort();
}

static void
slurp(const char *path, char *buf, size_t sz)
{
	FILE	*f = fopen(path, "r");
	size_t	 n;

	if (f == NULL)
		abort();
	n = fread(buf, 1, sz - 1, f);
	buf[n] = '\0';
	(void)fclose(f);
}

/* Read back what the response and the log said. */
static void
capture_end(struct capture *c)
{
	slurp(c->out, c->outbuf, sizeof(c->outbuf));
	slurp(c->err, c->errbuf, sizeof(c->errbuf));
}

/* How many times needle occurs in hay. */
static int
count(const char *hay, const char *needle)
{
	int	n = 0;

	for (; (hay = strstr(hay, needle)) != NULL; hay++)
		n++;
	return n;
}

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
	return T_DONE();
}
