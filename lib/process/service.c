/*
 * service.c - socket activation and notifications (service.h), on
 * libsystemd's sd_listen_fds(3) and sd_notify(3).
 */
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-daemon.h>

#include "core/log.h"
#include "process/service.h"
#include "util/nelem.h"

/* What each state tells the service manager; RELOADING also resets READY. */
static const char *const state_lines[] = {
	"READY=1",		/* INTAKE_SERVICE_READY */
	"RELOADING=1",		/* INTAKE_SERVICE_RELOADING */
	"STOPPING=1",		/* INTAKE_SERVICE_STOPPING */
};
INTAKE_ROWS(state_lines, INTAKE_SERVICE__MAX);

#define ADMIN_FD_NAME	"admin"	/* FileDescriptorName= of intake-admin.socket */

enum intake_err
intake_service_listen_fds(int *fd, int *admin_fd)
{
	enum intake_err	  err = INTAKE_OK;
	char		**names = NULL;
	int		  n, i, f, *slot;

	*fd = -1;
	*admin_fd = -1;
	/* unset_environment = 1: workers and the dispatcher must not take them again. */
	n = sd_listen_fds_with_names(1, &names);
	if (n < 0) {
		intake_log_err("service: the passed sockets cannot be read: %s", strerror(-n));
		return INTAKE_EINVAL;
	}
	for (i = 0; i < n && err == INTAKE_OK; i++) {
		f = SD_LISTEN_FDS_START + i;
		slot = names != NULL && strcmp(names[i], ADMIN_FD_NAME) == 0 ? admin_fd : fd;
		if (sd_is_socket(f, AF_UNSPEC, SOCK_STREAM, 1) <= 0) {
			intake_log_err("service: passed socket %d is not a listening stream socket",
			    i + 1);
			err = INTAKE_EINVAL;
		} else if (*slot != -1) {
			intake_log_err("service: %d sockets were passed; intake takes one, and one "
			    "named \"" ADMIN_FD_NAME "\"", n);
			err = INTAKE_EINVAL;
		} else
			*slot = f;
	}
	if (err == INTAKE_OK && n > 0 && *fd == -1) {
		intake_log_err("service: only the admin socket was passed");
		err = INTAKE_EINVAL;
	}
	for (i = 0; names != NULL && names[i] != NULL; i++)
		free(names[i]);
	free(names);
	if (err != INTAKE_OK) {
		*fd = -1;
		*admin_fd = -1;
	}
	return err;
}

bool
intake_service_notify(enum intake_service_state state, const char *status)
{
	char	line[512];
	int	n;

	if ((unsigned)state >= INTAKE_SERVICE__MAX)
		return false;
	if (status != NULL)
		n = snprintf(line, sizeof(line), "%s\nSTATUS=%s", state_lines[state], status);
	else
		n = snprintf(line, sizeof(line), "%s", state_lines[state]);
	if (n < 0 || (size_t)n >= sizeof(line))
		return false;
	/* 0: no NOTIFY_SOCKET (not under a service manager); < 0: it failed. */
	return sd_notify(0, line) > 0;
}
