/*
 * route.c - path and method to handler, from one table.
 */
#include <string.h>

#include "internal.h"
#include "intake/log.h"
#include "intake/route.h"

static const struct {
	const char	*path;
	void		(*handler)(struct intake_req *);
} routes[] = {
	{ "/healthz", intake_handle_healthz },		/* INTAKE_ROUTE_HEALTHZ */
	{ "/readyz", intake_handle_readyz },		/* INTAKE_ROUTE_READYZ */
	{ "/api/processes", intake_handle_processes },	/* INTAKE_ROUTE_PROCESSES */
};
_Static_assert(sizeof(routes) / sizeof(routes[0]) == INTAKE_ROUTE__MAX,
    "routes[] needs one row per enum intake_route");

static const char not_allowed[] =
	"{\"error\":{\"code\":\"method_not_allowed\",\"message\":\"Use GET.\"}}\n";

void
intake_route_dispatch(struct intake_req *req)
{
	size_t	i;

	for (i = 0; i < INTAKE_ROUTE__MAX; i++)
		if (strcmp(req->path, routes[i].path) == 0)
			break;
	if (i == INTAKE_ROUTE__MAX) {
		(void)intake_resp_error(req, 404, "not_found", "No such endpoint.");
		return;
	}
	/* Every endpoint so far is read-only. */
	if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
		(void)intake_resp_send(req, 405, "application/json; charset=utf-8",
		    "Allow: GET, HEAD\r\nCache-Control: no-store\r\n",
		    not_allowed, sizeof(not_allowed) - 1);
		return;
	}
	routes[i].handler(req);
	if (req->status == 0)
		(void)intake_resp_error(req, 500, "internal", "intake failed to handle the request.");
}
