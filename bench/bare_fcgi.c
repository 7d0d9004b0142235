/*
 * bare_fcgi.c - the smallest useful prefork libfcgi responder: the ceiling that
 * bench/bench_endpoint.sh compares intake against.
 *
 * usage: bare_fcgi SOCKET BODY_FILE WORKERS [CONTENT_TYPE]
 *
 * Binds the unix socket SOCKET, forks WORKERS processes that share it, and
 * answers every request with 200 and the bytes of BODY_FILE (read once, at
 * start). The parent waits; SIGTERM or SIGINT stops the workers, removes the
 * socket and exits. It does nothing else: no routing, no parsing, no logging.
 *
 * Build: cc -O2 -Wall -Wextra -Werror bench/bare_fcgi.c -lfcgi
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcgiapp.h>

#define MAX_WORKERS	64
#define MAX_BODY	(16 * 1024 * 1024)

static volatile sig_atomic_t	stopping;

static void
on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

static _Noreturn void
die(const char *what)
{
	fprintf(stderr, "bare_fcgi: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Read all of path into a new buffer; *lenp gets its size. */
static char *
slurp(const char *path, size_t *lenp)
{
	struct stat	 st;
	char		*buf;
	size_t		 got;
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 || fstat(fd, &st) != 0)
		die(path);
	if (!S_ISREG(st.st_mode) || st.st_size > MAX_BODY) {
		fprintf(stderr, "bare_fcgi: %s: not a regular file of at most %d bytes\n",
		    path, MAX_BODY);
		exit(1);
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL)
		die("malloc");
	for (got = 0; got < (size_t)st.st_size; got += (size_t)n) {
		n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n <= 0)
			die(path);
	}
	(void)close(fd);
	*lenp = got;
	return buf;
}

/* One worker: accept and answer until the parent stops us. Never returns. */
static void
serve(int fd, const char *head, size_t headlen, const char *body, size_t bodylen)
{
	FCGX_Request	req;

	(void)signal(SIGTERM, SIG_DFL);
	(void)signal(SIGINT, SIG_DFL);
	if (FCGX_InitRequest(&req, fd, 0) != 0) {
		fprintf(stderr, "bare_fcgi: FCGX_InitRequest failed\n");
		_exit(1);
	}
	while (FCGX_Accept_r(&req) >= 0) {
		(void)FCGX_PutStr(head, (int)headlen, req.out);
		(void)FCGX_PutStr(body, (int)bodylen, req.out);
		FCGX_Finish_r(&req);
	}
	_exit(0);
}

int
main(int argc, char *argv[])
{
	struct sigaction	 sa;
	pid_t			 pids[MAX_WORKERS];
	const char		*sock, *ctype;
	char			*body, head[512], *end;
	size_t			 bodylen;
	long			 n;
	int			 fd, headlen, i, nworkers, alive;

	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: bare_fcgi SOCKET BODY_FILE WORKERS [CONTENT_TYPE]\n");
		return 2;
	}
	sock = argv[1];
	ctype = argc == 5 ? argv[4] : "application/json";
	errno = 0;
	n = strtol(argv[3], &end, 10);
	if (errno != 0 || *end != '\0' || n < 1 || n > MAX_WORKERS) {
		fprintf(stderr, "bare_fcgi: WORKERS must be 1..%d\n", MAX_WORKERS);
		return 2;
	}
	nworkers = (int)n;
	if (strpbrk(ctype, "\r\n") != NULL) {
		fprintf(stderr, "bare_fcgi: CONTENT_TYPE holds a line break\n");
		return 2;
	}

	body = slurp(argv[2], &bodylen);
	headlen = snprintf(head, sizeof(head),
	    "Status: 200 OK\r\nContent-Type: %s\r\nContent-Length: %zu\r\n\r\n",
	    ctype, bodylen);
	if (headlen < 0 || (size_t)headlen >= sizeof(head)) {
		fprintf(stderr, "bare_fcgi: CONTENT_TYPE too long\n");
		return 2;
	}

	if (FCGX_Init() != 0) {
		fprintf(stderr, "bare_fcgi: FCGX_Init failed\n");
		return 1;
	}
	(void)unlink(sock);
	if ((fd = FCGX_OpenSocket(sock, 1024)) < 0) {
		fprintf(stderr, "bare_fcgi: cannot listen on %s\n", sock);
		return 1;
	}
	/* A loopback benchmark tool in a private directory: let nginx's user in. */
	if (chmod(sock, 0666) != 0)
		die(sock);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	(void)sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) != 0 || sigaction(SIGINT, &sa, NULL) != 0)
		die("sigaction");

	for (i = 0; i < nworkers; i++) {
		pids[i] = fork();
		if (pids[i] == -1)
			die("fork");
		if (pids[i] == 0)
			serve(fd, head, (size_t)headlen, body, bodylen);
	}
	fprintf(stderr, "bare_fcgi: %d workers on %s, %zu-byte body\n",
	    nworkers, sock, bodylen);

	/* wait() returns early on SIGTERM/SIGINT (no SA_RESTART). */
	alive = nworkers;
	while (!stopping && alive > 0) {
		if (wait(NULL) > 0)
			alive--;
		else if (errno == ECHILD)
			break;
	}
	for (i = 0; i < nworkers; i++)
		(void)kill(pids[i], SIGTERM);
	while (wait(NULL) > 0 || errno == EINTR)
		;
	(void)unlink(sock);
	free(body);
	return 0;
}
