/*
 * test_http.c - lib/integrify/http.c, the one libcurl wrapper, against the
 * fake HTTP server (fake_http.h): replies of any status with their
 * Content-Type and Retry-After, the headers sent, no redirects, http(s)
 * only, header injection and unknown methods refused before sending, the
 * reply size cap (with and without Content-Length), timeouts and the
 * caller's deadline, what "unsent" says after each kind of failure, and
 * connect_to.
 */
#include <stdint.h>
#include <string.h>

#include "core/config.h"
#include "integrify/http.h"
#include "util/str.h"

#include "fake_http.h"
#include "t.h"

#define CAP	4096	/* response_max: the smallest the config allows */

struct fixture {
	struct fake_http	*srv;
	struct intake_config	 cfg;	/* only what http.c reads */
	struct intake_http	*http;
	struct intake_http_resp	 resp;
	char			 url[256];
};

/* A server, a handle allowed plain http, and a URL on the server for path. */
static void
setup_cfg(struct fixture *f, const char *path, bool allow_http, const char *connect_to)
{
	memset(f, 0, sizeof(*f));
	t_quiet_stderr();	/* failures are logged as they should be */
	f->srv = fake_http_start();
	f->cfg.allow_http = allow_http;
	f->cfg.connect_timeout_ms = 2000;
	f->cfg.timeout_ms = 5000;
	f->cfg.response_max = CAP;
	(void)intake_strlcpy(f->cfg.connect_to, connect_to, sizeof(f->cfg.connect_to));
	(void)snprintf(f->url, sizeof(f->url), "http://127.0.0.1:%d%s", f->srv->port, path);
	if (intake_http_new(&f->cfg, &f->http) != INTAKE_OK)
		abort();
	intake_http_resp_init(&f->resp, CAP);
}

static void
setup(struct fixture *f)
{
	setup_cfg(f, "/api/thing?x=1", true, "");
}

static void
teardown(struct fixture *f)
{
	intake_http_resp_free(&f->resp);
	intake_http_free(f->http);
	fake_http_stop(f->srv);
}

/* GET url with an optional bearer token. */
static enum intake_err
get(struct fixture *f, const char *url, const char *bearer)
{
	struct intake_http_call	c = { "GET", url, bearer, NULL, NULL, 0 };

	return intake_http_do(f->http, &c, &f->resp);
}

static void
test_http_get_gives_status_body_and_content_type(void)
{
	struct fixture		f;
	struct fake_http_reply	*r;

	setup(&f);
	r = fake_http_script(f.srv, 0, 200, "Code,Label\r\nA,Alpha\r\n");
	memcpy(r->ctype, "text/csv; charset=utf-8", sizeof("text/csv; charset=utf-8"));
	T_EQ_INT(get(&f, f.url, NULL), INTAKE_OK);
	T_EQ_INT(f.resp.status, 200);
	T_ASSERT(!f.resp.unsent);
	T_EQ_STR(intake_buf_str(&f.resp.body), "Code,Label\r\nA,Alpha\r\n");
	T_EQ_STR(f.resp.content_type, "text/csv; charset=utf-8");
	T_EQ_INT(f.resp.retry_after, -1);
	T_ASSERT(fake_http_line_is(fake_http_req(f.srv, 0), "GET", "/api/thing?x=1"));
	teardown(&f);
}

/* A 4xx or 5xx is a reply like any other: the caller reads the status. */
static void
test_http_error_statuses_are_replies_with_retry_after(void)
{
	static const int	statuses[] = { 401, 403, 404, 429, 500, 503 };
	struct fixture		f;
	struct fake_http_reply	*r;
	size_t			i;

	setup(&f);
	for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		r = fake_http_script(f.srv, (int)i, statuses[i], "{\"error\":\"x\"}");
		(void)snprintf(r->headers, sizeof(r->headers), "Retry-After: %zu\r\n", i + 7);
		T_EQ_INT(get(&f, f.url, NULL), INTAKE_OK);
		T_EQ_INT(f.resp.status, statuses[i]);
		T_EQ_INT(f.resp.retry_after, (long)(i + 7));
		T_EQ_STR(intake_buf_str(&f.resp.body), "{\"error\":\"x\"}");
	}
	teardown(&f);
}

/* Only delta-seconds up to a day count; a date, junk or a week do not. */
static void
test_http_retry_after_only_takes_small_delta_seconds(void)
{
	static const char	*values[] = {
		"Wed, 21 Oct 2026 07:28:00 GMT", "soon", "-5", "604800", "12abc"
	};
	struct fixture		f;
	struct fake_http_reply	*r;
	size_t			i;

	setup(&f);
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		r = fake_http_script(f.srv, (int)i, 503, "{}");
		(void)snprintf(r->headers, sizeof(r->headers), "Retry-After: %s\r\n", values[i]);
		T_EQ_INT(get(&f, f.url, NULL), INTAKE_OK);
		T_EQ_INT(f.resp.status, 503);
		T_EQ_INT(f.resp.retry_after, -1);
	}
	r = fake_http_script(f.srv, (int)i, 503, "{}");
	memcpy(r->headers, "retry-after:  86400 \r\n", sizeof("retry-after:  86400 \r\n"));
	T_EQ_INT(get(&f, f.url, NULL), INTAKE_OK);
	T_EQ_INT(f.resp.retry_after, 86400);
	teardown(&f);
}

static void
test_http_get_sends_bearer_accept_and_no_body_headers(void)
{
	struct fixture			 f;
	const struct fake_http_request	*rq;
	char				 v[256];

	setup(&f);
	fake_http_script(f.srv, 0, 200, "{}");
	T_EQ_INT(get(&f, f.url, "0123456789abcdef"), INTAKE_OK);
	rq = fake_http_req(f.srv, 0);
	T_ASSERT(fake_http_header(rq, "Authorization", v, sizeof(v)));
	T_EQ_STR(v, "Bearer 0123456789abcdef");
	T_ASSERT(fake_http_header(rq, "Accept", v, sizeof(v)));
	T_EQ_STR(v, "application/json, text/csv;q=0.9, */*;q=0.5");
	T_ASSERT(fake_http_header(rq, "User-Agent", v, sizeof(v)));
	T_EQ_STR(v, "intake/1");
	T_ASSERT(fake_http_header(rq, "Accept-Encoding", v, sizeof(v)));
	T_ASSERT(!fake_http_header(rq, "Content-Type", v, sizeof(v)));
	T_ASSERT(!fake_http_header(rq, "Expect", v, sizeof(v)));
	/* Without a token, no Authorization at all. */
	fake_http_script(f.srv, 1, 200, "{}");
	T_EQ_INT(get(&f, f.url, NULL), INTAKE_OK);
	T_ASSERT(!fake_http_header(fake_http_req(f.srv, 1), "Authorization", v, sizeof(v)));
	teardown(&f);
}

/* A POST sends its body as given (NUL bytes too), with no Expect round trip. */
static void
test_http_post_sends_body_and_content_type(void)
{
	struct fixture			 f;
	struct intake_http_call		 c = { "POST", NULL, "tok", "application/octet-stream",
					     NULL, 0 };
	static char			 body[3000];
	const struct fake_http_request	*rq;
	const char			*got;
	char				 v[64];
	size_t				 len, i;

	setup(&f);
	for (i = 0; i < sizeof(body); i++)
		body[i] = (char)(i % 251);	/* NULs and high bytes */
	c.url = f.url;
	c.body = body;
	c.bodylen = sizeof(body);
	fake_http_script(f.srv, 0, 201, "{\"sid\":\"S-1\"}");
	T_EQ_INT(intake_http_do(f.http, &c, &f.resp), INTAKE_OK);
	T_EQ_INT(f.resp.status, 201);
	rq = fake_http_req(f.srv, 0);
	T_ASSERT(fake_http_line_is(rq, "POST", "/api/thing?x=1"));
	T_ASSERT(fake_http_header(rq, "Content-Type", v, sizeof(v)));
	T_EQ_STR(v, "application/octet-stream");
	T_ASSERT(fake_http_header(rq, "Content-Length", v, sizeof(v)));
	T_EQ_STR(v, "3000");
	T_ASSERT(!fake_http_header(rq, "Expect", v, sizeof(v)));
	got = fake_http_body(rq, &len);
	T_EQ_INT(len, sizeof(body));
	T_ASSERT(memcmp(got, body, sizeof(body)) == 0);
	/* An empty POST is a POST with Content-Length 0. */
	c.body = NULL;
	c.bodylen = 0;
	fake_http_script(f.srv, 1, 200, "{}");
	T_EQ_INT(intake_http_do(f.http, &c, &f.resp), INTAKE_OK);
	T_ASSERT(fake_http_line_is(fake_http_req(f.srv, 1), "POST", "/api/thing?x=1"));
	T_ASSERT(fake_http_header(fake_http_req(f.srv, 1), "Content-Length", v, sizeof(v)));
	T_EQ_STR(v, "0");
	teardown(&f);
}

/* A token or content type carrying CR/LF would add headers: nothing is sent. */
static void
test_http_header_injection_is_refused_before_sending(void)
{
	struct fixture		f;
	struct intake_http_call	c = { "POST", NULL, NULL, NULL, "{}", 2 };

	setup(&f);
	T_EQ_INT(get(&f, f.url, "tok\r\nX-Admin: 1"), INTAKE_EINVAL);
	T_ASSERT(f.resp.unsent);
	T_EQ_INT(get(&f, f.url, "tok\nX-Admin: 1"), INTAKE_EINVAL);
	c.url = f.url;
	c.content_type = "application/json\rX-Admin: 1";
	T_EQ_INT(intake_http_do(f.http, &c, &f.resp), INTAKE_EINVAL);
	T_ASSERT(f.resp.unsent);
	T_EQ_INT(fake_http_requests(f.srv), 0);
	teardown(&f);
}

static void
test_http_unknown_method_is_refused_before_sending(void)
{
	static const char	*methods[] = { "PUT", "DELETE", "get", "GET ", "" };
	struct fixture		f;
	struct intake_http_call	c = { NULL, NULL, NULL, NULL, NULL, 0 };
	size_t			i;

	setup(&f);
	c.url = f.url;
	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		c.method = methods[i];
		T_EQ_INT(intake_http_do(f.http, &c, &f.resp), INTAKE_EINVAL);
		T_ASSERT(f.resp.unsent);
	}
	T_EQ_INT(fake_http_requests(f.srv), 0);
	teardown(&f);
}

/* A redirect is handed back as it is, never followed (not even to the same host). */
static void
test_http_redirect_is_not_followed(void)
{
	static const int	statuses[] = { 301, 302, 307, 308 };
	struct fixture		f;
	struct fake_http_reply	*r;
	size_t			i;

	setup(&f);
	for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		r = fake_http_script(f.srv, (int)i, statuses[i], "");
		(void)snprintf(r->headers, sizeof(r->headers),
		    "Location: http://127.0.0.1:%d/elsewhere\r\n", f.srv->port);
		T_EQ_INT(get(&f, f.url, "tok"), INTAKE_OK);
		T_EQ_INT(f.resp.status, statuses[i]);
	}
	T_EQ_INT(fake_http_calls(f.srv), (int)i);
	T_NOT_CONTAINS(f.srv->last.raw, "/elsewhere");
	teardown(&f);
}

/* Without allow_http a plain http URL is refused; nothing connects. */
static void
test_http_plain_http_needs_allow_http(void)
{
	struct fixture	f;

	setup_cfg(&f, "/api/thing", false, "");
	T_EQ_INT(get(&f, f.url, "tok"), INTAKE_EUPSTREAM);
	T_EQ_INT(f.resp.status, 0);
	T_EQ_INT(fake_http_requests(f.srv), 0);
	teardown(&f);
}

/* Only http and https: file://, ftp://, gopher:// and dict:// are refused. */
static void
test_http_other_schemes_are_refused(void)
{
	struct fixture	f;
	char		url[128];

	setup(&f);
	T_EQ_INT(get(&f, "file:///etc/passwd", NULL), INTAKE_EUPSTREAM);
	T_EQ_INT(f.resp.body.len, 0);
	(void)snprintf(url, sizeof(url), "ftp://127.0.0.1:%d/x", f.srv->port);
	T_EQ_INT(get(&f, url, NULL), INTAKE_EUPSTREAM);
	(void)snprintf(url, sizeof(url), "gopher://127.0.0.1:%d/x", f.srv->port);
	T_EQ_INT(get(&f, url, NULL), INTAKE_EUPSTREAM);
	(void)snprintf(url, sizeof(url), "dict://127.0.0.1:%d/x", f.srv->port);
	T_EQ_INT(get(&f, url, NULL), INTAKE_EUPSTREAM);
	T_EQ_INT(fake_http_requests(f.srv), 0);
	teardown(&f);
}

/* A reply of exactly response_max bytes fits; one byte more is INTAKE_ETOOBIG. */
static void
test_http_reply_cap_with_content_length(void)
{
	struct fixture		f;
	struct fake_http_reply	*r;

	setup(&f);
	r = fake_http_script(f.srv, 0, 200, "[");
	r->pad = CAP - 1;
	T_EQ_INT(get(&f, f.url, NULL), INTAKE_OK);
	T_EQ_INT(f.resp.body.len, CAP);
	r = fake_http_script(f.srv, 1, 200, "[");
	r->pad = CAP;
	T_EQ_INT(get(&f, f.url, NULL), INTAKE_ETOOBIG);
	T_ASSERT(!f.resp.unsent);
	/* Far over the cap: refused from the Content-Length. */
	r = fake_http_script(f.srv, 2, 200, "[");
	r->pad = 1024 * 1024;
	T_EQ_INT(get(&f, f.url, NULL), INTAKE_ETOOBIG);
	teardown(&f);
}

/* A chunked reply has no length to check first: the body is counted as it comes. */
static void
test_http_reply_cap_without_content_length(void)
{
	struct fixture		f;
	struct fake_http_reply	*r;

	setup(&f);
	r = fake_http_script(f.srv, 0, 200, "[");
	r->pad = CAP - 1;
	r->chunked = true;
	T_EQ_INT(get(&f, f.url, NULL), INTAKE_OK);
	T_EQ_INT(f.resp.body.len, CAP);
	r = fake_http_script(f.srv, 1, 200, "[");
	r->pad = CAP;
	r->chunked = true;
	T_EQ_INT(get(&f, f.url, NULL), INTAKE_ETOOBIG);
	/* The handle and the reply are fine for the next call. */
	fake_http_script(f.srv, 2, 200, "{\"ok\":true}");
	T_EQ_INT(get(&f, f.url, NULL), INTAKE_OK);
	T_EQ_STR(intake_buf_str(&f.resp.body), "{\"ok\":true}");
	teardown(&f);
}

/* Each call starts from a clean reply: nothing of the last one stays. */
static void
test_http_reply_is_reset_between_calls(void)
{
	struct fixture		f;
	struct fake_http_reply	*r;

	setup(&f);
	r = fake_http_script(f.srv, 0, 503, "{\"busy\":1}");
	memcpy(r->headers, "Retry-After: 9\r\n", sizeof("Retry-After: 9\r\n"));
	T_EQ_INT(get(&f, f.url, NULL), INTAKE_OK);
	T_EQ_INT(f.resp.retry_after, 9);
	r = fake_http_script(f.srv, 1, 200, "");
	r->ctype[0] = '\0';
	T_EQ_INT(get(&f, f.url, NULL), INTAKE_OK);
	T_EQ_INT(f.resp.status, 200);
	T_EQ_INT(f.resp.retry_after, -1);
	T_EQ_STR(f.resp.content_type, "");
	T_EQ_INT(f.resp.body.len, 0);
	teardown(&f);
}

/* A reply slower than timeout_ms: INTAKE_ETIMEOUT, and the call may have got through. */
static void
test_http_slow_reply_times_out(void)
{
	struct fixture		f;
	struct fake_http_reply	*r;

	setup(&f);
	f.cfg.timeout_ms = 300;
	r = fake_http_script(f.srv, 0, 200, "{}");
	r->delay_ms = 3000;
	T_EQ_INT(get(&f, f.url, NULL), INTAKE_ETIMEOUT);
	T_ASSERT(!f.resp.unsent);
	T_EQ_INT(f.resp.status, 0);
	teardown(&f);
}

/* The caller's deadline cuts the config's timeout short. */
static void
test_http_deadline_cuts_the_timeout(void)
{
	struct fixture		f;
	struct fake_http_reply	*r;

	setup(&f);
	r = fake_http_script(f.srv, 0, 200, "{}");
	r->delay_ms = 3000;
	intake_http_deadline(f.http, intake_now_ms() + 300);
	T_EQ_INT(intake_http_deadline_ms(f.http) > 0, 1);
	T_EQ_INT(get(&f, f.url, NULL), INTAKE_ETIMEOUT);
	T_ASSERT(intake_http_deadline_passed(f.http));
	teardown(&f);
}

/* A deadline already passed: nothing is sent, so a retry cannot duplicate it. */
static void
test_http_passed_deadline_sends_nothing(void)
{
	struct fixture	f;

	setup(&f);
	intake_http_deadline(f.http, intake_now_ms() - 1);
	T_EQ_INT(get(&f, f.url, NULL), INTAKE_ETIMEOUT);
	T_ASSERT(f.resp.unsent);
	T_EQ_INT(fake_http_requests(f.srv), 0);
	intake_http_deadline(f.http, 0);
	T_ASSERT(!intake_http_deadline_passed(f.http));
	fake_http_script(f.srv, 0, 200, "{}");
	T_EQ_INT(get(&f, f.url, NULL), INTAKE_OK);
	T_EQ_INT(fake_http_requests(f.srv), 1);
	teardown(&f);
}

/* Connection refused: INTAKE_EUPSTREAM and unsent (a retry is safe). */
static void
test_http_refused_connection_is_unsent(void)
{
	struct fixture	f;

	setup(&f);
	fake_http_kill(f.srv);
	T_EQ_INT(get(&f, f.url, NULL), INTAKE_EUPSTREAM);
	T_ASSERT(f.resp.unsent);
	teardown(&f);
}

/* The server reads the request and hangs up: sent, so maybe processed. */
static void
test_http_connection_closed_without_reply_may_have_got_through(void)
{
	struct fixture		f;
	struct fake_http_reply	*r;

	setup(&f);
	r = fake_http_script(f.srv, 0, 200, "{}");
	r->act = FAKE_HTTP_CLOSE;
	T_EQ_INT(get(&f, f.url, NULL), INTAKE_EUPSTREAM);
	T_ASSERT(!f.resp.unsent);
	T_EQ_INT(fake_http_calls(f.srv), 1);
	teardown(&f);
}

/* A reply cut short of its Content-Length is no reply. */
static void
test_http_truncated_reply_is_eupstream(void)
{
	struct fixture		f;
	struct fake_http_reply	*r;

	setup(&f);
	r = fake_http_script(f.srv, 0, 200, "{\"rows\":[1,2,3,4,5,6,7,8,9]}");
	r->act = FAKE_HTTP_SHORT;
	T_EQ_INT(get(&f, f.url, NULL), INTAKE_EUPSTREAM);
	T_ASSERT(!f.resp.unsent);
	T_EQ_INT(f.resp.status, 0);
	teardown(&f);
}

/* connect_to dials the given address; the URL's host stays in Host. */
static void
test_http_connect_to_dials_elsewhere(void)
{
	struct fixture	f;
	char		ct[64], v[128];

	setup(&f);
	intake_http_free(f.http);
	(void)snprintf(ct, sizeof(ct), "127.0.0.1:%d", f.srv->port);
	(void)intake_strlcpy(f.cfg.connect_to, ct, sizeof(f.cfg.connect_to));
	T_EQ_INT(intake_http_new(&f.cfg, &f.http), INTAKE_OK);
	fake_http_script(f.srv, 0, 200, "{}");
	T_EQ_INT(get(&f, "http://acme.integrify.invalid/api/x", NULL), INTAKE_OK);
	T_ASSERT(fake_http_header(fake_http_req(f.srv, 0), "Host", v, sizeof(v)));
	T_EQ_STR(v, "acme.integrify.invalid");
	teardown(&f);
}

int
main(void)
{
	T_RUN(test_http_get_gives_status_body_and_content_type);
	T_RUN(test_http_error_statuses_are_replies_with_retry_after);
	T_RUN(test_http_retry_after_only_takes_small_delta_seconds);
	T_RUN(test_http_get_sends_bearer_accept_and_no_body_headers);
	T_RUN(test_http_post_sends_body_and_content_type);
	T_RUN(test_http_header_injection_is_refused_before_sending);
	T_RUN(test_http_unknown_method_is_refused_before_sending);
	T_RUN(test_http_redirect_is_not_followed);
	T_RUN(test_http_plain_http_needs_allow_http);
	T_RUN(test_http_other_schemes_are_refused);
	T_RUN(test_http_reply_cap_with_content_length);
	T_RUN(test_http_reply_cap_without_content_length);
	T_RUN(test_http_reply_is_reset_between_calls);
	T_RUN(test_http_slow_reply_times_out);
	T_RUN(test_http_deadline_cuts_the_timeout);
	T_RUN(test_http_passed_deadline_sends_nothing);
	T_RUN(test_http_refused_connection_is_unsent);
	T_RUN(test_http_connection_closed_without_reply_may_have_got_through);
	T_RUN(test_http_truncated_reply_is_eupstream);
	T_RUN(test_http_connect_to_dials_elsewhere);
	return T_DONE();
}
