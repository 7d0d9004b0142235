/*
 * route.h - the table of endpoints.  A request is matched on its path,
 * then its method; every answer, including 404 and 405, is JSON.
 *
 * A request comes in on the public socket or on the admin socket
 * ([server] admin_listen).  Each route says where it is served: the
 * admin pages (/metrics, /status) only on the admin socket, the public
 * pages only on the public one, /api/processes on the admin socket and
 * on the public one too when [server] public_processes says so.  A route
 * not served where the request came in is answered 404, as if absent.
 */
#ifndef INTAKE_ROUTE_H
#define INTAKE_ROUTE_H

#include <stdbool.h>

#include "web/req.h"

enum intake_route {
	INTAKE_ROUTE_HEALTHZ,	/* GET /healthz: the process is alive */
	INTAKE_ROUTE_READYZ,	/* GET /readyz: a token can be had now */
	INTAKE_ROUTE_PROCESSES,	/* GET /api/processes: Integrify's processes */
	INTAKE_ROUTE_CHOICES,	/* GET /api/choices/{source}: a drop-down list */
	INTAKE_ROUTE_REPORTS,	/* GET /api/reports/{name}: a report table */
	INTAKE_ROUTE_FORM,	/* GET /forms/{id}: a public intake form */
	INTAKE_ROUTE_METRICS,	/* GET /metrics: Prometheus text (admin) */
	INTAKE_ROUTE_STATUS,	/* GET /status: the pool's status, JSON (admin) */
	INTAKE_ROUTE__MAX
};

/*
 * Answer req by the table; admin: it came in on the admin socket.
 * Always sends a response.  Returns the route that answered, or
 * INTAKE_ROUTE__MAX when none did (404).
 */
enum intake_route intake_route_dispatch(struct intake_req *req, bool admin);

/* The route's name for a metric label ("forms"); "none" for INTAKE_ROUTE__MAX. */
const char	*intake_route_name(int route);

#endif
