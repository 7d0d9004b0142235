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

#include "intake/err.h"

/*
 * The listening socket the service manager passed (LISTEN_FDS), into
 * *fd.  INTAKE_OK with *fd -1 when none was passed; INTAKE_EINVAL when
 * more than one was, or it is not a listening stream socket.  The
 * LISTEN_* variables are removed, so children do not see them.
 */
enum intake_err	intake_service_listen_fd(int *fd);

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
