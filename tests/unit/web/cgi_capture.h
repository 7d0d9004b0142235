/*
 * cgi_capture.h - what a plain CGI answer wrote: stdout (the response)
 * and stderr (the log) sent to scratch files and read back, for the
 * tests of lib/web.  Include after t.h.
 */
#ifndef INTAKE_CGI_CAPTURE_H
#define INTAKE_CGI_CAPTURE_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct capture {
	char	dir[256];
	char	out[512], err[512];	/* files that stdout and stderr go to */
	char	outbuf[16384], errbuf[16384];
	int	saved_out, saved_err;	/* the test's own stdout and stderr */
};

/* Send stdout and stderr to scratch files (T_RUN forks, so this stays in the test). */
static inline void
capture_start(struct capture *c)
{
	int	fd;

	memset(c, 0, sizeof(*c));
	t_mkdtemp(c->dir, sizeof(c->dir));
	(void)snprintf(c->out, sizeof(c->out), "%s/out", c->dir);
	(void)snprintf(c->err, sizeof(c->err), "%s/err", c->dir);
	fflush(stdout);
	fflush(stderr);
	if ((c->saved_out = dup(STDOUT_FILENO)) == -1 || (c->saved_err = dup(STDERR_FILENO)) == -1)
		abort();
	if ((fd = open(c->out, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    dup2(fd, STDOUT_FILENO) == -1 || close(fd) == -1)
		abort();
	if ((fd = open(c->err, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    dup2(fd, STDERR_FILENO) == -1 || close(fd) == -1)
		abort();
}

static inline void
slurp(const char *path, char *buf, size_t sz)
{
	FILE	*f = fopen(path, "r");
	size_t	 n;

	if (f == NULL)
		abort();
	n = fread(buf, 1, sz - 1, f);
	buf[n] = '\0';
	(void)fclose(f);
}

/* Read back what the response and the log said; the test's output goes where it went. */
static inline void
capture_end(struct capture *c)
{
	fflush(stdout);
	fflush(stderr);
	if (dup2(c->saved_out, STDOUT_FILENO) == -1 || dup2(c->saved_err, STDERR_FILENO) == -1 ||
	    close(c->saved_out) == -1 || close(c->saved_err) == -1)
		abort();
	slurp(c->out, c->outbuf, sizeof(c->outbuf));
	slurp(c->err, c->errbuf, sizeof(c->errbuf));
}

/* How many times needle occurs in hay. */
static inline int
count(const char *hay, const char *needle)
{
	int	n = 0;

	for (; (hay = strstr(hay, needle)) != NULL; hay++)
		n++;
	return n;
}

#endif
