/*
 * test_route.c - lib/web/route.c: path then method to handler, one table.
 * A path not in the table, or not served on the socket the request came
 * in on, is the same JSON 404; a method the route does not take is a JSON
 * 405 naming those it does; names are matched whole, one segment at a
 * time, so neither an empty name nor an extra segment reaches a handler.
 * Requests go through the CGI path (stdout on a scratch file).
 */
#include <string.h>

#include "web/route.h"

#include "t.h"
#include "cgi_capture.h"

static const char not_found[] =
	"{\"error\":{\"code\":\"not_found\",\"message\":\"No such endpoint.\"}}\n";

/*
 * Dispatch method path (on the admin socket when admin) with ctx, and
 * capture the answer into c; the route that answered.
 */
static enum intake_route
dispatch(struct capture *c, struct intake_ctx *ctx, const char *method, const char *path,
    bool admin)
{
	struct intake_req	req;
	enum intake_route	r;
	char			m[64], u[256];
	char			*envp[] = { m, u, NULL };

	(void)snprintf(m, sizeof(m), "REQUEST_METHOD=%s", method);
	(void)snprintf(u, sizeof(u), "DOCUMENT_URI=%s", path);
	memset(&req, 0, sizeof(req));
	intake_arena_init(&req.arena, INTAKE_REQ_ARENA_MAX);
	capture_start(c);
	if (intake_req_begin(&req, ctx, NULL, envp) != INTAKE_OK)
		abort();
	r = intake_route_dispatch(&req, admin);
	intake_req_end(&req);
	intake_arena_free(&req.arena);
	capture_end(c);
	return r;
}

/* Did the captured answer have this status and end with body? */
static bool
answered(const struct capture *c, const char *status, const char *body)
{
	size_t	n = strlen(c->outbuf), bn = strlen(body);

	return strncmp(c->outbuf, status, strlen(status)) == 0 && n >= bn &&
	    strcmp(c->outbuf + n - bn, body) == 0;
}

static void
test_route_unknown_path_is_json_404(void)
{
	struct capture	c;

	T_EQ_INT(dispatch(&c, NULL, "GET", "/nope", false), INTAKE_ROUTE__MAX);
	T_ASSERT(answered(&c, "Status: 404 Not Found\r\n", not_found));
	T_EQ_INT(count(c.outbuf, "Content-Type: application/json; charset=utf-8\r\n"), 1);
	T_EQ_INT(count(c.outbuf, "Cache-Control: no-store\r\n"), 1);
}

static void
test_route_exact_path_runs_its_handler(void)
{
	struct capture	c;

	T_EQ_INT(dispatch(&c, NULL, "GET", "/healthz", false), INTAKE_ROUTE_HEALTHZ);
	T_ASSERT(answered(&c, "Status: 200 OK\r\n", "\r\n\r\n{\"status\":\"alive\"}\n"));
	/* HEAD is GET without the body. */
	T_EQ_INT(dispatch(&c, NULL, "HEAD", "/healthz", false), INTAKE_ROUTE_HEALTHZ);
	T_ASSERT(answered(&c, "Status: 200 OK\r\n", "Cache-Control: no-store\r\n\r\n"));
	/* Exact paths are exact: a trailing slash or a longer name is another path. */
	T_EQ_INT(dispatch(&c, NULL, "GET", "/healthz/", false), INTAKE_ROUTE__MAX);
	T_EQ_INT(dispatch(&c, NULL, "GET", "/healthzz", false), INTAKE_ROUTE__MAX);
	T_EQ_INT(dispatch(&c, NULL, "GET", "/HEALTHZ", false), INTAKE_ROUTE__MAX);
}

/* A method the route does not take: 405, the methods it does take in Allow. */
static void
test_route_wrong_method_is_json_405_with_allow(void)
{
	static const char body[] = "{\"error\":{\"code\":\"method_not_allowed\","
	    "\"message\":\"This method is not allowed here.\"}}\n";
	struct capture	c;

	T_EQ_INT(dispatch(&c, NULL, "POST", "/healthz", false), INTAKE_ROUTE_HEALTHZ);
	T_ASSERT(answered(&c, "Status: 405 Method Not Allowed\r\n", body));
	T_EQ_INT(count(c.outbuf, "\r\nAllow: GET, HEAD\r\nCache-Control: no-store\r\n\r\n"), 1);
	T_EQ_INT(dispatch(&c, NULL, "DELETE", "/api/choices/departments", false),
	    INTAKE_ROUTE_CHOICES);
	T_EQ_INT(count(c.outbuf, "\r\nAllow: GET, HEAD, OPTIONS\r\n"), 1);
	T_EQ_INT(dispatch(&c, NULL, "PUT", "/forms/leave", false), INTAKE_ROUTE_FORM);
	T_EQ_INT(count(c.outbuf, "\r\nAllow: GET, HEAD, POST\r\n"), 1);
	/* Methods are matched whole and case-sensitively (RFC 9110). */
	T_EQ_INT(dispatch(&c, NULL, "get", "/healthz", false), INTAKE_ROUTE_HEALTHZ);
	T_ASSERT(answered(&c, "Status: 405 Method Not Allowed\r\n", body));
	T_EQ_INT(dispatch(&c, NULL, "", "/healthz", false), INTAKE_ROUTE_HEALTHZ);
	T_ASSERT(answered(&c, "Status: 405 Method Not Allowed\r\n", body));
	T_EQ_INT(count(c.errbuf, "code=method_not_allowed"), 1);
}

/* Names after a prefix: one non-empty segment (forms: and one more), never more. */
static void
test_route_prefix_takes_one_name_only(void)
{
	struct capture	c;

	/* DELETE: matched routes answer 405 without running a handler. */
	T_EQ_INT(dispatch(&c, NULL, "DELETE", "/api/reports/open", false), INTAKE_ROUTE_REPORTS);
	T_EQ_INT(dispatch(&c, NULL, "DELETE", "/forms/leave/thanks", false), INTAKE_ROUTE_FORM);
	T_EQ_INT(dispatch(&c, NULL, "GET", "/api/choices/", false), INTAKE_ROUTE__MAX);
	T_ASSERT(answered(&c, "Status: 404 Not Found\r\n", not_found));
	T_EQ_INT(dispatch(&c, NULL, "GET", "/api/choices//x", false), INTAKE_ROUTE__MAX);
	T_EQ_INT(dispatch(&c, NULL, "GET", "/api/choices/a/b", false), INTAKE_ROUTE__MAX);
	T_EQ_INT(dispatch(&c, NULL, "GET", "/forms/leave/", false), INTAKE_ROUTE__MAX);
	T_EQ_INT(dispatch(&c, NULL, "GET", "/forms/a/b/c", false), INTAKE_ROUTE__MAX);
	T_EQ_INT(dispatch(&c, NULL, "GET", "/forms/", false), INTAKE_ROUTE__MAX);
	T_EQ_INT(dispatch(&c, NULL, "GET", "/api/choices", false), INTAKE_ROUTE__MAX);
}

/* The admin pages exist only on the admin socket; public pages only on the public one. */
static void
test_route_admin_and_public_sockets_serve_their_own_routes(void)
{
	struct capture	c;

	T_EQ_INT(dispatch(&c, NULL, "GET", "/metrics", false), INTAKE_ROUTE__MAX);
	T_ASSERT(answered(&c, "Status: 404 Not Found\r\n", not_found));
	T_EQ_INT(dispatch(&c, NULL, "GET", "/status", false), INTAKE_ROUTE__MAX);
	/* The same path on the admin socket is there: a POST is a 405, not a 404. */
	T_EQ_INT(dispatch(&c, NULL, "POST", "/metrics", true), INTAKE_ROUTE_METRICS);
	T_ASSERT(strncmp(c.outbuf, "Status: 405 ", 12) == 0);
	T_EQ_INT(dispatch(&c, NULL, "POST", "/status", true), INTAKE_ROUTE_STATUS);
	T_ASSERT(strncmp(c.outbuf, "Status: 405 ", 12) == 0);
	/* Public pages are not on the admin socket. */
	T_EQ_INT(dispatch(&c, NULL, "GET", "/api/choices/departments", true), INTAKE_ROUTE__MAX);
	T_EQ_INT(dispatch(&c, NULL, "GET", "/forms/leave", true), INTAKE_ROUTE__MAX);
	T_ASSERT(answered(&c, "Status: 404 Not Found\r\n", not_found));
	/* Health is on both. */
	T_EQ_INT(dispatch(&c, NULL, "GET", "/healthz", true), INTAKE_ROUTE_HEALTHZ);
	T_ASSERT(strncmp(c.outbuf, "Status: 200 ", 12) == 0);
}

/* /api/processes: admin only, unless [server] public_processes = yes. */
static void
test_route_processes_is_public_only_when_configured(void)
{
	struct intake_config	cfg;
	struct intake_ctx	ctx;
	struct capture		c;

	memset(&cfg, 0, sizeof(cfg));
	memset(&ctx, 0, sizeof(ctx));
	ctx.cfg = &cfg;
	T_EQ_INT(dispatch(&c, &ctx, "POST", "/api/processes", false), INTAKE_ROUTE__MAX);
	T_ASSERT(answered(&c, "Status: 404 Not Found\r\n", not_found));
	T_EQ_INT(dispatch(&c, &ctx, "POST", "/api/processes", true), INTAKE_ROUTE_PROCESSES);
	T_ASSERT(strncmp(c.outbuf, "Status: 405 ", 12) == 0);
	cfg.public_processes = true;
	T_EQ_INT(dispatch(&c, &ctx, "POST", "/api/processes", false), INTAKE_ROUTE_PROCESSES);
	T_ASSERT(strncmp(c.outbuf, "Status: 405 ", 12) == 0);
}

static void
test_route_names_are_metric_labels(void)
{
	T_ASSERT(strcmp(intake_route_name(INTAKE_ROUTE_HEALTHZ), "healthz") == 0);
	T_ASSERT(strcmp(intake_route_name(INTAKE_ROUTE_FORM), "forms") == 0);
	T_ASSERT(strcmp(intake_route_name(INTAKE_ROUTE_STATUS), "status") == 0);
	T_ASSERT(strcmp(intake_route_name(INTAKE_ROUTE__MAX), "none") == 0);
	T_ASSERT(strcmp(intake_route_name(-1), "none") == 0);
}

int
main(void)
{
	T_RUN(test_route_unknown_path_is_json_404);
	T_RUN(test_route_exact_path_runs_its_handler);
	T_RUN(test_route_wrong_method_is_json_405_with_allow);
	T_RUN(test_route_prefix_takes_one_name_only);
	T_RUN(test_route_admin_and_public_sockets_serve_their_own_routes);
	T_RUN(test_route_processes_is_public_only_when_configured);
	T_RUN(test_route_names_are_metric_labels);
	return T_DONE();
}
