/*
 * internal.h - declarations shared by lib/ files, not by cgi-bin/.
 */
#ifndef INTAKE_INTERNAL_H
#define INTAKE_INTERNAL_H

#include "intake/req.h"

/* handler/health.c */
void	intake_handle_healthz(struct intake_req *req);
void	intake_handle_readyz(struct intake_req *req);

/* handler/processes.c */
void	intake_handle_processes(struct intake_req *req);

#endif
