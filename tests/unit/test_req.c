/*
 * test_req.c - lib/req.c as plain CGI on stdio: every 5xx is logged once
 * with its cause, 4xx are not, and every HTML answer carries the CSP and
 * framing headers from one place while JSON answers stay lean.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "intake/req.h"

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

static void
begin(struct intake_req *req, const char *method, const char *uri)
{
	static char	m[64], u[256];
	static char	q[] = "QUERY_STRING=password=hunter2";
	char		*envp[] = { m, u, q, NULL };

	(void)snprintf(m, sizeof(m), "REQUEST_METHOD=%s", method);
	(void)snprintf(u, sizeof(u), "DOCUMENT_URI=%s", uri);
	if (req->arena.max == 0) {	/* the first request of the test: a fresh arena */
		memset(req, 0, sizeof(*req));
		intake_arena_init(&req->arena, INTAKE_REQ_ARENA_MAX);
	}
	if (intake_req_begin(req, NULL, NULL, envp) != INTAKE_OK)
		abort();
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
	T_EQ_INT(count(c.errbuf, " error: 5xx answered: GET /api/choices/departments: 502 "
	    "integrify_unavailable: Integrify is unavailable\n"), 1);
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
	T_EQ_INT(count(c.errbuf, "5xx answered:"), 2);
	T_EQ_INT(count(c.errbuf, "5xx answered: POST /forms/x: 503 unavailable: the spool could "
	    "not take the submission\n"), 1);
	T_EQ_INT(count(c.errbuf, "5xx answered: GET /y: 500 -: no cause recorded\n"), 1);
}

static void
test_4xx_is_not_logged_as_5xx(void)
{
	struct intake_req	req = { 0 };
	struct capture		c;

	capture_start(&c);
	begin(&req, "GET", "/api/choices/x");
	(void)intake_resp_error(&req, 400, "bad_parameter", "No.");
	intake_req_end(&req);
	intake_arena_free(&req.arena);
	capture_end(&c);
	T_EQ_STR(c.errbuf, "");
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
	T_RUN(test_4xx_is_not_logged_as_5xx);
	T_RUN(test_html_fragments_carry_csp_and_frame_protection);
	T_RUN(test_json_answers_stay_lean);
	return T_DONE();
}
