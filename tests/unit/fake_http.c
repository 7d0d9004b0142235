/*
 * fake_http.c - the one fake HTTP server of the unit tests (see fake_http.h).
 */
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "fake_http.h"

/* Sleep ms milliseconds, resuming after signals. */
static void
sleep_ms(long ms)
{
	struct timespec	ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* The value of a Content-Length header in head (ending at end), 0 when none. */
static size_t
content_length(const char *head, const char *end)
{
	const char	*p = strcasestr(head, "\r\nContent-Length:");
	size_t		 v = 0;

	if (p == NULL || p >= end)
		return 0;
	for (p += 17; *p == ' '; p++)
		;
	for (; *p >= '0' && *p <= '9' && v <= FAKE_HTTP_REQ_BYTES; p++)
		v = v * 10 + (size_t)(*p - '0');
	return v;
}

/* Read one request (head, and a body by Content-Length) into r. */
static void
read_request(int fd, struct fake_http_request *r)
{
	size_t		 n = 0, want = 0;
	ssize_t		 got;
	const char	*end;

	while (n < FAKE_HTTP_REQ_BYTES) {
		got = read(fd, r->raw + n, FAKE_HTTP_REQ_BYTES - n);
		if (got <= 0)
			break;
		n += (size_t)got;
		r->raw[n] = '\0';
		if (want == 0) {
			end = memmem(r->raw, n, "\r\n\r\n", 4);
			if (end == NULL)
				continue;
			want = (size_t)(end + 4 - r->raw) + content_length(r->raw, end);
		}
		if (n >= want)
			break;
	}
	r->raw[n] = '\0';
	r->len = n;
}

/* The route whose match is in r's request line, or NULL. */
static struct fake_http_route *
find_route(struct fake_http *srv, const struct fake_http_request *r)
{
	size_t	linelen = strcspn(r->raw, "\r\n");
	int	i;

	for (i = 0; i < FAKE_HTTP_ROUTES; i++) {
		const char	*m = srv->routes[i].match;

		if (m[0] != '\0' && memmem(r->raw, linelen, m, strlen(m)) != NULL)
			return &srv->routes[i];
	}
	return NULL;
}

/* Count and record the request in srv->last; the reply it gets. */
static const struct fake_http_reply *
take_request(struct fake_http *srv, int *seq)
{
	struct fake_http_route	*route;
	int			 i;

	*seq = __atomic_add_fetch(&srv->requests, 1, __ATOMIC_SEQ_CST);
	route = find_route(srv, &srv->last);
	if (route != NULL) {
		__atomic_add_fetch(&route->hits, 1, __ATOMIC_SEQ_CST);
		return &route->reply;
	}
	i = __atomic_load_n(&srv->calls, __ATOMIC_SEQ_CST);
	if (i < FAKE_HTTP_CALLS)
		memcpy(&srv->req[i], &srv->last, sizeof(srv->last));
	__atomic_add_fetch(&srv->calls, 1, __ATOMIC_SEQ_CST);
	if (i < FAKE_HTTP_CALLS && srv->script[i].status != 0)
		return &srv->script[i];
	return &srv->fallback;
}

/* Write all of p, quietly giving up when the client has gone. */
static void
send_all(int fd, const void *p, size_t n)
{
	const char	*c = p;
	ssize_t		 w;

	while (n > 0) {
		w = send(fd, c, n, MSG_NOSIGNAL);
		if (w <= 0)
			return;
		c += w;
		n -= (size_t)w;
	}
}

/* Send the body then n pad bytes, as one chunk when chunked; at most limit bytes of them. */
static void
send_body(int fd, const char *body, size_t blen, size_t pad, bool chunked, size_t limit)
{
	char	xs[4096], size[32];
	size_t	n;
	int	sl;
	bool	whole = limit >= blen + pad;

	memset(xs, 'x', sizeof(xs));
	if (chunked) {
		sl = snprintf(size, sizeof(size), "%zx\r\n", blen + pad);
		send_all(fd, size, (size_t)sl);
	}
	n = blen < limit ? blen : limit;
	send_all(fd, body, n);
	limit -= n;
	while (pad > 0 && limit > 0) {
		n = pad < sizeof(xs) ? pad : sizeof(xs);
		if (n > limit)
			n = limit;
		send_all(fd, xs, n);
		pad -= n;
		limit -= n;
	}
	if (chunked && whole)
		send_all(fd, "\r\n0\r\n\r\n", 7);
}

/* The body of rp with each "{seq}" replaced by seq as 32 hex digits, into out. */
static size_t
expand_body(const struct fake_http_reply *rp, int seq, char *out, size_t outsz)
{
	const char	*p = rp->body, *q;
	size_t		 n = 0, k;

	while ((q = strstr(p, "{seq}")) != NULL) {
		k = (size_t)(q - p);
		if (n + k + 33 > outsz)
			abort();
		memcpy(out + n, p, k);
		n += k;
		n += (size_t)snprintf(out + n, outsz - n, "%032x", (unsigned)seq);
		p = q + 5;
	}
	k = strlen(p);
	if (n + k + 1 > outsz)
		abort();
	memcpy(out + n, p, k + 1);
	return n + k;
}

/* Answer one request by rp (already counted as number seq). */
static void
answer(int fd, const struct fake_http_reply *rp, int seq)
{
	char	head[1024], body[FAKE_HTTP_BODY_BYTES + 512];
	size_t	blen, total;
	int	hlen;

	if (rp->delay_ms > 0)
		sleep_ms(rp->delay_ms);
	if (rp->act == FAKE_HTTP_CLOSE)
		return;
	blen = expand_body(rp, seq, body, sizeof(body));
	total = blen + rp->pad;
	hlen = snprintf(head, sizeof(head), "HTTP/1.1 %d Whatever\r\n%s%s%s%s",
	    rp->status != 0 ? rp->status : 500,
	    rp->ctype[0] != '\0' ? "Content-Type: " : "", rp->ctype,
	    rp->ctype[0] != '\0' ? "\r\n" : "", rp->headers);
	if (hlen < 0 || (size_t)hlen >= sizeof(head))
		abort();
	if (rp->chunked)
		hlen += snprintf(head + hlen, sizeof(head) - (size_t)hlen,
		    "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
	else
		hlen += snprintf(head + hlen, sizeof(head) - (size_t)hlen,
		    "Content-Length: %zu\r\nConnection: close\r\n\r\n", total);
	if ((size_t)hlen >= sizeof(head))
		abort();
	send_all(fd, head, (size_t)hlen);
	send_body(fd, body, blen, rp->pad, rp->chunked,
	    rp->act == FAKE_HTTP_SHORT ? total / 2 : total);
}

/* The server process: one request per connection, for ever. */
static void
serve(struct fake_http *srv, int lfd)
{
	const struct fake_http_reply	*rp;
	int				 fd, seq;

	for (;;) {
		fd = accept(lfd, NULL, NULL);
		if (fd == -1)
			continue;
		read_request(fd, &srv->last);
		rp = take_request(srv, &seq);
		answer(fd, rp, seq);
		(void)shutdown(fd, SHUT_WR);
		(void)close(fd);
	}
}

/* A listening socket on 127.0.0.1 and its port. */
static int
listen_any(int *port)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);
	int			fd, one = 1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		abort();
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(fd, 64) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1)
		abort();
	*port = ntohs(sin.sin_port);
	return fd;
}

/* Set *rp to status and body with the defaults (JSON, no delay). */
static struct fake_http_reply *
set_reply(struct fake_http_reply *rp, int status, const char *body)
{
	size_t	n = strlen(body);

	if (n >= sizeof(rp->body))
		abort();
	memset(rp, 0, sizeof(*rp));
	rp->act = FAKE_HTTP_ANSWER;
	rp->status = status;
	memcpy(rp->ctype, "application/json", sizeof("application/json"));
	memcpy(rp->body, body, n + 1);
	return rp;
}

struct fake_http *
fake_http_start(void)
{
	struct fake_http	*srv;
	pid_t			 parent = getpid(), pid;
	int			 lfd;

	srv = mmap(NULL, sizeof(*srv), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (srv == MAP_FAILED)
		abort();
	memset(srv, 0, sizeof(*srv));
	(void)set_reply(&srv->fallback, 500, "{}");
	lfd = listen_any(&srv->port);
	fflush(stdout);
	fflush(stderr);
	/* srv is shared: only the parent may write the pid into it. */
	pid = fork();
	if (pid == -1)
		abort();
	if (pid == 0) {
		/* Die with the test, even when a failed assertion skips fake_http_stop(). */
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(0);
		serve(srv, lfd);
		_exit(0);
	}
	(void)close(lfd);
	srv->pid = pid;
	return srv;
}

void
fake_http_kill(struct fake_http *srv)
{
	if (srv->pid > 0) {
		(void)kill(srv->pid, SIGKILL);
		(void)waitpid(srv->pid, NULL, 0);
	}
	srv->pid = 0;
}

void
fake_http_stop(struct fake_http *srv)
{
	fake_http_kill(srv);
	(void)munmap(srv, sizeof(*srv));
}

struct fake_http_reply *
fake_http_route(struct fake_http *srv, const char *match, int status, const char *body)
{
	struct fake_http_route	*free_slot = NULL, *rt;
	int			 i;

	if (match[0] == '\0' || strlen(match) >= sizeof(srv->routes[0].match))
		abort();
	for (i = 0; i < FAKE_HTTP_ROUTES; i++) {
		rt = &srv->routes[i];
		if (strcmp(rt->match, match) == 0)
			return set_reply(&rt->reply, status, body);
		if (rt->match[0] == '\0' && free_slot == NULL)
			free_slot = rt;
	}
	if (free_slot == NULL)
		abort();
	(void)set_reply(&free_slot->reply, status, body);
	memcpy(free_slot->match, match, strlen(match) + 1);
	return &free_slot->reply;
}

struct fake_http_reply *
fake_http_script(struct fake_http *srv, int i, int status, const char *body)
{
	if (i < 0 || i >= FAKE_HTTP_CALLS)
		abort();
	return set_reply(&srv->script[i], status, body);
}

struct fake_http_reply *
fake_http_fallback(struct fake_http *srv, int status, const char *body)
{
	return set_reply(&srv->fallback, status, body);
}

int
fake_http_requests(const struct fake_http *srv)
{
	return __atomic_load_n(&srv->requests, __ATOMIC_SEQ_CST);
}

int
fake_http_calls(const struct fake_http *srv)
{
	return __atomic_load_n(&srv->calls, __ATOMIC_SEQ_CST);
}

int
fake_http_hits(const struct fake_http *srv, const char *match)
{
	int	i;

	for (i = 0; i < FAKE_HTTP_ROUTES; i++)
		if (strcmp(srv->routes[i].match, match) == 0)
			return __atomic_load_n(&srv->routes[i].hits, __ATOMIC_SEQ_CST);
	return 0;
}

void
fake_http_rewind(struct fake_http *srv)
{
	__atomic_store_n(&srv->calls, 0, __ATOMIC_SEQ_CST);
}

const struct fake_http_request *
fake_http_req(const struct fake_http *srv, int i)
{
	if (i < 0 || i >= FAKE_HTTP_CALLS)
		abort();
	return &srv->req[i];
}

const char *
fake_http_body(const struct fake_http_request *r, size_t *len)
{
	const char	*end = memmem(r->raw, r->len, "\r\n\r\n", 4);

	if (end == NULL) {
		*len = 0;
		return "";
	}
	*len = r->len - (size_t)(end + 4 - r->raw);
	return end + 4;
}

bool
fake_http_header(const struct fake_http_request *r, const char *name, char *out, size_t outsz)
{
	const char	*end, *p, *e;
	size_t		 n = strlen(name);

	out[0] = '\0';
	end = strstr(r->raw, "\r\n\r\n");
	for (p = strstr(r->raw, "\r\n"); p != NULL && p < end; p = strstr(p + 2, "\r\n")) {
		if (strncasecmp(p + 2, name, n) != 0 || p[2 + n] != ':')
			continue;
		for (p += 2 + n + 1; *p == ' '; p++)
			;
		e = strstr(p, "\r\n");
		if ((size_t)(e - p) >= outsz)
			abort();
		memcpy(out, p, (size_t)(e - p));
		out[e - p] = '\0';
		return true;
	}
	return false;
}

bool
fake_http_line_is(const struct fake_http_request *r, const char *method, const char *target)
{
	const char	*raw = r->raw;
	size_t		 m = strlen(method), t = strlen(target);

	if (strncmp(raw, method, m) != 0 || raw[m] != ' ' ||
	    strncmp(raw + m + 1, target, t) != 0 || raw[m + 1 + t] != ' ') {
		printf("# request line: %.*s\n", (int)strcspn(raw, "\r\n"), raw);
		return false;
	}
	return true;
}
