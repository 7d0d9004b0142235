/*
 * redis_server.h - a real redis-server for the unit tests that need one
 * (test_cache_redis.c, test_deliver.c): on a unix socket in a scratch
 * directory, no persistence, killed by server_stop().  Include after t.h.
 */
#ifndef INTAKE_REDIS_SERVER_H
#define INTAKE_REDIS_SERVER_H

#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <hiredis.h>

struct server {
	char	dir[256];
	char	sock[300];
	pid_t	pid;
};

/* Start redis-server on a unix socket in a fresh directory; extra: more argv. */
static inline void
server_start(struct server *sv, const char *const *extra)
{
	const char	*argv[32];
	redisContext	*c;
	int		 argc = 0, i;

	if (sv->dir[0] == '\0')
		t_mkdtemp(sv->dir, sizeof(sv->dir));
	(void)snprintf(sv->sock, sizeof(sv->sock), "%s/redis.sock", sv->dir);
	argv[argc++] = "redis-server";
	argv[argc++] = "--port";
	argv[argc++] = "0";
	argv[argc++] = "--unixsocket";
	argv[argc++] = sv->sock;
	argv[argc++] = "--dir";
	argv[argc++] = sv->dir;
	argv[argc++] = "--save";
	argv[argc++] = "";
	argv[argc++] = "--appendonly";
	argv[argc++] = "no";
	argv[argc++] = "--loglevel";
	argv[argc++] = "warning";
	for (i = 0; extra != NULL && extra[i] != NULL; i++)
		argv[argc++] = extra[i];
	argv[argc] = NULL;
	sv->pid = t_fork_helper();
	if (sv->pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		if (fd != -1) {
			(void)dup2(fd, STDOUT_FILENO);
			(void)close(fd);
		}
		execvp("redis-server", (char *const *)(uintptr_t)argv);
		fprintf(stderr, "redis-server: %s (scripts/deps.sh installs it)\n",
		    strerror(errno));
		_exit(127);
	}
	for (i = 0; i < 1000; i++) {
		c = redisConnectUnix(sv->sock);
		if (c != NULL && c->err == 0) {
			redisFree(c);
			return;
		}
		if (c != NULL)
			redisFree(c);
		t_sleep_ms(10);
	}
	fprintf(stdout, "# redis-server did not come up on %s\n", sv->sock);
	abort();
}

static inline void
server_stop(struct server *sv)
{
	if (sv->pid > 0) {
		(void)kill(sv->pid, SIGKILL);
		(void)t_wait_child(sv->pid, 10000);
	}
	sv->pid = 0;
	(void)unlink(sv->sock);
}

#endif
