/*
 * service.h - what the pool tells and takes from a service manager:
 * a listening socket passed by socket activation, and readiness, reload
 * and stop notifications (systemd's sd_listen_fds(3) and sd_notify(3)
 * protocols, through libsystemd).  Without a service manager each call
 * does nothing and says so by its result.
 */
#ifndef INTAKE_SERVICE_H
#define INTAKE_SERVICE_H

#include <stdbool.h>

#include "util/err.h"

/*
 * The listening sockets the service manager passed (LISTEN_FDS): the one
 * named "admin" (FileDescriptorName=admin, intake-admin.socket) into
 * *admin_fd, the other into *fd.  INTAKE_OK with -1 for each not passed;
 * INTAKE_EINVAL when two of a kind were, only an admin socket was, or
 * one is not a listening stream socket.  The LISTEN_* variables are
 * removed, so children do not see them.
 */
enum intake_err	intake_service_listen_fds(int *fd, int *admin_fd);

/* The service states the pool reports (sd_notify): one line of text each. */
enum intake_service_state {
	INTAKE_SERVICE_READY,		/* "READY=1": workers are forked */
	INTAKE_SERVICE_RELOADING,	/* "RELOADING=1": SIGHUP taken */
	INTAKE_SERVICE_STOPPING,	/* "STOPPING=1": draining */
	INTAKE_SERVICE__MAX
};

/*
 * Tell the service manager (NOTIFY_SOCKET) that the pool entered state,
 * with status as free text (STATUS=, may be NULL).  False when there is
 * no service manager to tell, or it could not be told.
 */
bool		intake_service_notify(enum intake_service_state state, const char *status);

#endif
