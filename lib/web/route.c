/*
 * route.c - path and method to handler, from one table.
 */
#include <stdio.h>
#include <string.h>

#include "web/handler/handler.h"
#include "core/log.h"
#include "web/route.h"
#include "util/nelem.h"

#define M_GET		0x1u	/* GET and HEAD */
#define M_OPTIONS	0x2u	/* CORS preflight */
#define M_POST		0x4u

#define W_PUBLIC	0x1u	/* served on the public socket */
#define W_ADMIN		0x2u	/* served on the admin socket */
#define W_OPT_PUBLIC	0x4u	/* public too when [server] public_processes = yes */

static const struct {
	const char	*path;
	int		 prefix;	/* 1: one name after the path; 2: one name and one more segment */
	unsigned	 methods;
	unsigned	 where;
	const char	*name;		/* its metric label */
	void		(*handler)(struct intake_req *);
} routes[] = {
	{ "/healthz", 0, M_GET, W_PUBLIC | W_ADMIN, "healthz",
	    intake_handle_healthz },				/* INTAKE_ROUTE_HEALTHZ */
	{ "/readyz", 0, M_GET, W_PUBLIC | W_ADMIN, "readyz",
	    intake_handle_readyz },				/* INTAKE_ROUTE_READYZ */
	{ "/api/processes", 0, M_GET, W_ADMIN | W_OPT_PUBLIC, "processes",
	    intake_handle_processes },				/* INTAKE_ROUTE_PROCESSES */
	{ "/api/choices/", 1, M_GET | M_OPTIONS, W_PUBLIC, "choices",
	    intake_handle_choices },				/* INTAKE_ROUTE_CHOICES */
	{ "/api/reports/", 1, M_GET | M_OPTIONS, W_PUBLIC, "reports",
	    intake_handle_reports },				/* INTAKE_ROUTE_REPORTS */
	{ "/forms/", 2, M_GET | M_POST, W_PUBLIC, "forms",
	    intake_handle_form },				/* INTAKE_ROUTE_FORM */
	{ "/metrics", 0, M_GET, W_ADMIN, "metrics",
	    intake_handle_metrics },				/* INTAKE_ROUTE_METRICS */
	{ "/status", 0, M_GET, W_ADMIN, "status",
	    intake_handle_status },				/* INTAKE_ROUTE_STATUS */
};
INTAKE_ROWS(routes, INTAKE_ROUTE__MAX);

static int
matches(size_t i, const char *path)
{
	size_t		 n = strlen(routes[i].path);
	const char	*slash;

	if (!routes[i].prefix)
		return strcmp(path, routes[i].path) == 0;
	/* One non-empty name after the prefix, and at most one more segment. */
	if (strncmp(path, routes[i].path, n) != 0 || path[n] == '\0' || path[n] == '/')
		return 0;
	slash = strchr(path + n, '/');
	return slash == NULL || (routes[i].prefix == 2 && slash[1] != '\0' &&
	    strchr(slash + 1, '/') == NULL);
}

const char *
intake_route_name(int route)
{
	return route >= 0 && route < INTAKE_ROUTE__MAX ? routes[route].name : "none";
}

/* Whether route i is served on the socket the request came in on. */
static bool
served_here(const struct intake_req *req, size_t i, bool admin)
{
	unsigned	w = routes[i].where;

	if (admin)
		return (w & W_ADMIN) != 0;
	return (w & W_PUBLIC) != 0 || ((w & W_OPT_PUBLIC) != 0 &&
	    req->ctx != NULL && req->ctx->cfg->public_processes);
}

enum intake_route
intake_route_dispatch(struct intake_req *req, bool admin)
{
	unsigned	m = 0;
	char		allow[96];
	size_t		i;

	for (i = 0; i < INTAKE_ROUTE__MAX; i++)
		if (matches(i, req->path))
			break;
	/* Not served here: the same 404 as a path that does not exist. */
	if (i == INTAKE_ROUTE__MAX || !served_here(req, i, admin)) {
		(void)intake_resp_error(req, 404, "not_found", "No such endpoint.");
		return INTAKE_ROUTE__MAX;
	}
	if (strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0)
		m = M_GET;
	else if (strcmp(req->method, "OPTIONS") == 0)
		m = M_OPTIONS;
	else if (strcmp(req->method, "POST") == 0)
		m = M_POST;
	if ((routes[i].methods & m) == 0) {
		(void)snprintf(allow, sizeof(allow), "Allow: GET, HEAD%s%s\r\n",
		    (routes[i].methods & M_OPTIONS) ? ", OPTIONS" : "",
		    (routes[i].methods & M_POST) ? ", POST" : "");
		(void)intake_resp_error_headers(req, 405, allow, "method_not_allowed",
		    "This method is not allowed here.");
		return (enum intake_route)i;
	}
	/* Browser-callable endpoints answer allowed origins, errors included. */
	if (routes[i].methods & M_OPTIONS)
		req->cors = intake_cors_header(req);
	routes[i].handler(req);
	if (req->status == 0) {
		intake_req_cause(req, "the handler sent no answer");
		(void)intake_resp_error(req, 500, "internal", "intake failed to handle the request.");
	}
	return (enum intake_route)i;
}
