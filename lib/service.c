/*
 * service.c - socket activation and notifications (service.h), on
 * libsystemd's sd_listen_fds(3) and sd_notify(3).
 */
#include <sys/socket.h>

#include <stdio.h>
#include <string.h>

#include <systemd/sd-daemon.h>

#include "intake/log.h"
#include "intake/service.h"

/* What each state tells the service manager; RELOADING also resets READY. */
static const char *const state_lines[] = {
	"READY=1",		/* INTAKE_SERVICE_READY */
	"RELOADING=1",		/* INTAKE_SERVICE_RELOADING */
	"STOPPING=1",		/* INTAKE_SERVICE_STOPPING */
};
_Static_assert(sizeof(state_lines) / sizeof(state_lines[0]) == INTAKE_SERVICE__MAX,
    "state_lines[] needs one row per service state");

enum intake_err
intake_service_listen_fd(int *fd)
{
	int	n;

	*fd = -1;
	/* unset_environment = 1: workers and the dispatcher must not take it again. */
	n = sd_listen_fds(1);
	if (n < 0) {
		intake_log_err("service: the passed sockets cannot be read: %s", strerror(-n));
		return INTAKE_EINVAL;
	}
	if (n == 0)
		return INTAKE_OK;
	if (n > 1) {
		intake_log_err("service: %d sockets were passed; intake takes exactly one", n);
		return INTAKE_EINVAL;
	}
	if (sd_is_socket(SD_LISTEN_FDS_START, AF_UNSPEC, SOCK_STREAM, 1) <= 0) {
		intake_log_err("service: the passed socket is not a listening stream socket");
		return INTAKE_EINVAL;
	}
	*fd = SD_LISTEN_FDS_START;
	return INTAKE_OK;
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
