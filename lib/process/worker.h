/*
 * worker.h - one worker process of the pool: accept, answer, finish,
 * repeat.
 */
#ifndef INTAKE_WORKER_H
#define INTAKE_WORKER_H

#include "core/config.h"

struct intake_cache;
struct intake_forms;

/*
 * Serve listen_fd, and admin_fd (-1: none) with the admin routes, until
 * told to stop (SIGTERM) or recycled after max_requests, on the shared
 * caches cache and marks (owned by the caller).  forms (the caller's,
 * loaded with cfg) reach the handlers through the ctx.  Exit status.
 */
int	intake_worker_run(const struct intake_config *cfg, const struct intake_forms *forms,
	    struct intake_cache *cache, struct intake_cache *marks, int listen_fd, int admin_fd);

#endif
