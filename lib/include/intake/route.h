/*
 * route.h - the table of endpoints.  A request is matched on its path,
 * then its method; every answer, including 404 and 405, is JSON.
 */
#ifndef INTAKE_ROUTE_H
#define INTAKE_ROUTE_H

#include "intake/req.h"

enum intake_route {
	INTAKE_ROUTE_HEALTHZ,	/* GET /healthz: the process is alive */
	INTAKE_ROUTE_READYZ,	/* GET /readyz: a token can be had now */
	INTAKE_ROUTE_PROCESSES,	/* GET /api/processes: Integrify's processes */
	INTAKE_ROUTE_CHOICES,	/* GET /api/choices/{source}: a drop-down list */
	INTAKE_ROUTE_REPORTS,	/* GET /api/reports/{name}: a report table */
	INTAKE_ROUTE_FORM,	/* GET /forms/{id}: a public intake form */
	INTAKE_ROUTE__MAX
};

/* Answer req by the table.  Always sends a response. */
void	intake_route_dispatch(struct intake_req *req);

#endif
