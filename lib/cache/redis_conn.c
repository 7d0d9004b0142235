/*
 * redis_conn.c - one connection to Redis, plain or TLS (redis_conn.h).
 *
 * The socket is non-blocking from the start; every step waits in poll()
 * for at most what is left of its deadline (redis_timeout_ms from the
 * step's start), so a Redis that stops answering, or a TLS peer that
 * stalls a handshake, costs a worker that long and no more.  hiredis
 * only formats the command (redisFormatCommandArgv) and parses the reply
 * (its redisReader), as in its own I/O-free use.
 *
 * TLS: OpenSSL, TLS 1.2 or newer, the peer's chain verified against the
 * CA file (or the system's store) and its name against
 * redis_tls_server_name or redis_host (DNS name or IP address), SNI sent
 * for a DNS name.  OpenSSL writes with write(2), so a peer gone away would
 * raise SIGPIPE: unless the process ignores it already, it is ignored
 * around each TLS step (plain sockets use MSG_NOSIGNAL).  OpenSSL's error
 * queue is emptied after every failure, since libcurl shares it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <hiredis.h>

#include "cache/redis_conn.h"
#include "util/str.h"

#define CONN_READ_CHUNK		16384	/* bytes read per call */
#define CONN_KEEPIDLE_S		15	/* TCP keepalive, as hiredis sets it */
#define CONN_KEEPINTVL_S	5
#define CONN_KEEPCNT		3

struct intake_redis_tls {
	SSL_CTX	*ctx;
};

struct intake_redis_conn {
	int		 fd;
	SSL		*ssl;		/* NULL: plain */
	redisReader	*reader;
	bool		 guard_sigpipe;	/* SIGPIPE not ignored by this process */
	int64_t		 timeout_ms;
};

/* Milliseconds on a clock that never steps back. */
static int64_t
mono_ms(void)
{
	struct timespec	ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* printf into why (if any); returns err, for one-line failure paths. */
static enum intake_err __attribute__((format(printf, 4, 5)))
say(enum intake_err err, char *why, size_t whysz, const char *fmt, ...)
{
	va_list	ap;

	if (why != NULL && whysz > 0) {
		va_start(ap, fmt);
		(void)vsnprintf(why, whysz, fmt, ap);
		va_end(ap);
	}
	return err;
}

/* OpenSSL's first queued reason (or fallback), and an empty queue after. */
static const char *
ssl_reason(char *buf, size_t bufsz, const char *fallback)
{
	unsigned long	e = ERR_get_error();

	if (e == 0)
		(void)snprintf(buf, bufsz, "%s", fallback);
	else
		ERR_error_string_n(e, buf, bufsz);
	ERR_clear_error();
	return buf;
}

/* Load the CA store and the client pair into ctx; INTAKE_ECONFIG with why. */
static enum intake_err
tls_load(const struct intake_config *cfg, SSL_CTX *ctx, char *why, size_t whysz)
{
	char	r[256];
	int	ok;

	if (cfg->redis_tls_ca_file[0] != '\0')
		ok = SSL_CTX_load_verify_locations(ctx, cfg->redis_tls_ca_file, NULL);
	else
		ok = SSL_CTX_set_default_verify_paths(ctx);
	if (ok != 1)
		return say(INTAKE_ECONFIG, why, whysz, "redis_tls_ca_file %s: %s",
		    cfg->redis_tls_ca_file[0] != '\0' ? cfg->redis_tls_ca_file : "(system store)",
		    ssl_reason(r, sizeof(r), "cannot load"));
	if ((cfg->redis_tls_cert_file[0] == '\0') != (cfg->redis_tls_key_file[0] == '\0'))
		return say(INTAKE_ECONFIG, why, whysz,
		    "redis_tls_cert_file and redis_tls_key_file go together");
	if (cfg->redis_tls_cert_file[0] == '\0')
		return INTAKE_OK;
	if (SSL_CTX_use_certificate_chain_file(ctx, cfg->redis_tls_cert_file) != 1)
		return say(INTAKE_ECONFIG, why, whysz, "redis_tls_cert_file %s: %s",
		    cfg->redis_tls_cert_file, ssl_reason(r, sizeof(r), "cannot load"));
	/* The reason names the failing step, never the key's bytes. */
	if (SSL_CTX_use_PrivateKey_file(ctx, cfg->redis_tls_key_file, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1)
		return say(INTAKE_ECONFIG, why, whysz, "redis_tls_key_file %s: %s",
		    cfg->redis_tls_key_file, ssl_reason(r, sizeof(r),
		    "does not match the certificate"));
	return INTAKE_OK;
}

enum intake_err
intake_redis_tls_new(const struct intake_config *cfg, struct intake_redis_tls **out,
    char *why, size_t whysz)
{
	struct intake_redis_tls	*t;
	char			 r[256];
	SSL_CTX			*ctx;
	enum intake_err		 err;

	*out = NULL;
	if (!cfg->redis_tls)
		return INTAKE_OK;
	if (cfg->redis_socket[0] != '\0')
		return say(INTAKE_ECONFIG, why, whysz,
		    "redis_tls needs redis_host and redis_port, not redis_socket");
	if (cfg->redis_tls_server_name[0] == '\0' && cfg->redis_host[0] == '\0')
		return say(INTAKE_ECONFIG, why, whysz, "redis_tls needs a server name to check");
	ERR_clear_error();
	ctx = SSL_CTX_new(TLS_client_method());
	if (ctx == NULL)
		return say(INTAKE_ECONFIG, why, whysz, "redis_tls: %s",
		    ssl_reason(r, sizeof(r), "no TLS context"));
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
		SSL_CTX_free(ctx);
		return say(INTAKE_ECONFIG, why, whysz, "redis_tls: %s",
		    ssl_reason(r, sizeof(r), "TLS 1.2 unavailable"));
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	err = tls_load(cfg, ctx, why, whysz);
	if (err != INTAKE_OK) {
		SSL_CTX_free(ctx);
		return err;
	}
	/* Loading the system's store may queue notes on paths it lacks. */
	ERR_clear_error();
	t = intake_xcalloc(1, sizeof(*t));
	t->ctx = ctx;
	*out = t;
	return INTAKE_OK;
}

void
intake_redis_tls_free(struct intake_redis_tls *tls)
{
	if (tls == NULL)
		return;
	SSL_CTX_free(tls->ctx);
	free(tls);
}

/*
 * Wait until fd is ready for events or the deadline passes: 1 ready,
 * 0 timed out, -1 poll failed.  Interrupted waits resume.
 */
static int
wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd	p;
	int64_t		left;
	int		n;

	for (;;) {
		left = deadline - mono_ms();
		if (left <= 0)
			return 0;
		p.fd = fd;
		p.events = events;
		p.revents = 0;
		n = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (n > 0)
			return 1;
		if (n == 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

/* A non-blocking connect of fd to sa, finished within the deadline; 0 or -1 (errno). */
static int
connect_by(int fd, const struct sockaddr *sa, socklen_t salen, int64_t deadline)
{
	socklen_t	len = sizeof(int);
	int		soerr = 0, n;

	if (connect(fd, sa, salen) == 0)
		return 0;
	if (errno != EINPROGRESS && errno != EINTR)
		return -1;
	n = wait_fd(fd, POLLOUT, deadline);
	if (n <= 0) {
		errno = n == 0 ? ETIMEDOUT : errno;
		return -1;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0)
		return -1;
	if (soerr != 0) {
		errno = soerr;
		return -1;
	}
	return 0;
}

/* A unix-socket connection to path: the descriptor, or -1 with why. */
static int
open_unix(const char *path, int64_t deadline, char *why, size_t whysz)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (intake_strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) != INTAKE_OK) {
		(void)say(INTAKE_ECACHE, why, whysz, "redis_socket too long");
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1 || connect_by(fd, (const struct sockaddr *)&sun, sizeof(sun),
	    deadline) != 0) {
		(void)say(INTAKE_ECACHE, why, whysz, "connect to %s: %s", path,
		    errno == ETIMEDOUT ? "no answer within redis_timeout_ms" : strerror(errno));
		if (fd != -1)
			(void)close(fd);
		return -1;
	}
	return fd;
}

/* Keepalive and no Nagle on a TCP socket (best effort, as hiredis does). */
static void
tune_tcp(int fd)
{
	int	on = 1, idle = CONN_KEEPIDLE_S, intvl = CONN_KEEPINTVL_S, cnt = CONN_KEEPCNT;

	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	(void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
}

/* A TCP connection to host:port, each address in turn: the descriptor, or -1 with why. */
static int
open_tcp(const char *host, long long port, int64_t deadline, char *why, size_t whysz)
{
	struct addrinfo	 hints, *res = NULL, *ai;
	char		 serv[16];
	int		 fd = -1, rc, saved = EHOSTUNREACH;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	(void)snprintf(serv, sizeof(serv), "%lld", port);
	rc = getaddrinfo(host, serv, &hints, &res);
	if (rc != 0) {
		(void)say(INTAKE_ECACHE, why, whysz, "resolve %s: %s", host, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd != -1 && connect_by(fd, ai->ai_addr, ai->ai_addrlen, deadline) == 0)
			break;
		saved = errno;
		if (fd != -1)
			(void)close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1) {
		(void)say(INTAKE_ECACHE, why, whysz, "connect to %s:%lld: %s", host, port,
		    saved == ETIMEDOUT ? "no answer within redis_timeout_ms" : strerror(saved));
		return -1;
	}
	tune_tcp(fd);
	return fd;
}

/* Ignore SIGPIPE for one TLS step when the process does not already. */
static void
sigpipe_off(const struct intake_redis_conn *c, struct sigaction *old)
{
	struct sigaction	ign;

	if (!c->guard_sigpipe)
		return;
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	(void)sigaction(SIGPIPE, &ign, old);
}

static void
sigpipe_restore(const struct intake_redis_conn *c, const struct sigaction *old)
{
	if (c->guard_sigpipe)
		(void)sigaction(SIGPIPE, old, NULL);
}

/*
 * After an SSL call returned n <= 0: wait for what OpenSSL wants and
 * return true to call again, or false with why.  step names the call.
 */
static bool
tls_again(struct intake_redis_conn *c, int n, int64_t deadline, const char *step,
    char *why, size_t whysz)
{
	char	r[256];
	int	e = SSL_get_error(c->ssl, n), w;

	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		w = wait_fd(c->fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline);
		if (w > 0)
			return true;
		(void)say(INTAKE_ECACHE, why, whysz, "%s: %s", step,
		    w == 0 ? "no answer within redis_timeout_ms" : strerror(errno));
	} else if (e == SSL_ERROR_ZERO_RETURN)
		(void)say(INTAKE_ECACHE, why, whysz, "%s: closed by Redis", step);
	else if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)
		(void)say(INTAKE_ECACHE, why, whysz, "%s: %s", step,
		    n == 0 || errno == 0 ? "connection closed" : strerror(errno));
	else
		(void)say(INTAKE_ECACHE, why, whysz, "%s: %s", step,
		    ssl_reason(r, sizeof(r), "TLS error"));
	ERR_clear_error();
	return false;
}

/* Point ssl at name: the host or IP address the certificate must show. */
static int
tls_name(SSL *ssl, const char *name)
{
	struct in6_addr	a6;
	struct in_addr	a4;

	if (inet_pton(AF_INET, name, &a4) == 1 || inet_pton(AF_INET6, name, &a6) == 1)
		return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name) == 1 ? 0 : -1;
	/* SNI for a DNS name only (RFC 6066: never an address). */
	/* SSL_set_tlsext_host_name() is a macro that casts the const away; OpenSSL only reads it. */
	if (SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
	    (void *)(uintptr_t)name) != 1 || SSL_set1_host(ssl, name) != 1)
		return -1;
	/* A wildcard stands for a whole label, never part of one (as curl). */
	SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	return 0;
}

/* The TLS handshake on c->fd, within the deadline; INTAKE_ECACHE with why. */
static enum intake_err
tls_handshake(struct intake_redis_conn *c, const struct intake_config *cfg,
    const struct intake_redis_tls *tls, int64_t deadline, char *why, size_t whysz)
{
	const char		*name = cfg->redis_tls_server_name[0] != '\0' ?
				    cfg->redis_tls_server_name : cfg->redis_host;
	struct sigaction	 old;
	char			 step[300];
	long			 vr = X509_V_OK;
	bool			 again;
	int			 n;

	ERR_clear_error();
	c->ssl = SSL_new(tls->ctx);
	if (c->ssl == NULL || SSL_set_fd(c->ssl, c->fd) != 1 || tls_name(c->ssl, name) != 0) {
		ERR_clear_error();
		return say(INTAKE_ECACHE, why, whysz, "TLS setup for %s failed", name);
	}
	SSL_set_connect_state(c->ssl);
	(void)snprintf(step, sizeof(step), "TLS handshake with %s", name);
	do {
		sigpipe_off(c, &old);
		n = SSL_do_handshake(c->ssl);
		sigpipe_restore(c, &old);
		if (n == 1)
			return INTAKE_OK;
		vr = SSL_get_verify_result(c->ssl);
		again = tls_again(c, n, deadline, step, why, whysz);
	} while (again);
	/* The chain or the name was refused: say which, in X509's words. */
	if (vr != X509_V_OK)
		(void)say(INTAKE_ECACHE, why, whysz, "%s: certificate refused: %s", step,
		    X509_verify_cert_error_string(vr));
	return INTAKE_ECACHE;
}

enum intake_err
intake_redis_conn_open(const struct intake_config *cfg, const struct intake_redis_tls *tls,
    struct intake_redis_conn **out, char *why, size_t whysz)
{
	struct intake_redis_conn	*c;
	struct sigaction		 cur;
	int64_t				 deadline = mono_ms() + cfg->redis_timeout_ms;
	enum intake_err			 err;
	int				 fd;

	if (cfg->redis_socket[0] != '\0')
		fd = open_unix(cfg->redis_socket, deadline, why, whysz);
	else
		fd = open_tcp(cfg->redis_host, cfg->redis_port, deadline, why, whysz);
	if (fd == -1)
		return INTAKE_ECACHE;
	c = intake_xcalloc(1, sizeof(*c));
	c->fd = fd;
	c->timeout_ms = cfg->redis_timeout_ms;
	c->guard_sigpipe = sigaction(SIGPIPE, NULL, &cur) != 0 || cur.sa_handler != SIG_IGN;
	c->reader = redisReaderCreate();
	if (c->reader == NULL) {
		intake_redis_conn_close(c);
		return say(INTAKE_ENOMEM, why, whysz, "out of memory");
	}
	if (tls != NULL) {
		err = tls_handshake(c, cfg, tls, deadline, why, whysz);
		if (err != INTAKE_OK) {
			intake_redis_conn_close(c);
			return err;
		}
	}
	*out = c;
	return INTAKE_OK;
}

/* Write len bytes of buf within the deadline; INTAKE_ECACHE with why. */
static enum intake_err
send_all(struct intake_redis_conn *c, const char *buf, size_t len, int64_t deadline,
    char *why, size_t whysz)
{
	struct sigaction	old;
	ssize_t			n;
	size_t			off = 0;
	int			w, chunk;

	while (off < len) {
		if (c->ssl != NULL) {
			chunk = len - off > INT_MAX ? INT_MAX : (int)(len - off);
			ERR_clear_error();
			sigpipe_off(c, &old);
			n = SSL_write(c->ssl, buf + off, chunk);
			sigpipe_restore(c, &old);
			if (n > 0)
				off += (size_t)n;
			else if (!tls_again(c, (int)n, deadline, "write", why, whysz))
				return INTAKE_ECACHE;
			continue;
		}
		n = send(c->fd, buf + off, len - off, MSG_NOSIGNAL);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			w = wait_fd(c->fd, POLLOUT, deadline);
			if (w > 0)
				continue;
			return say(INTAKE_ECACHE, why, whysz, "write: %s",
			    w == 0 ? "no answer within redis_timeout_ms" : strerror(errno));
		}
		return say(INTAKE_ECACHE, why, whysz, "write: %s", strerror(errno));
	}
	return INTAKE_OK;
}

/*
 * Read what is there (waiting within the deadline) into buf: bytes, or
 * -1 with why.  TLS reads first (a record may be buffered already); a
 * plain socket waits first, as an answer is never there the moment the
 * command left.
 */
static ssize_t
recv_some(struct intake_redis_conn *c, char *buf, size_t cap, int64_t deadline,
    char *why, size_t whysz)
{
	struct sigaction	old;
	ssize_t			n;
	int			w;

	for (;;) {
		if (c->ssl != NULL) {
			ERR_clear_error();
			sigpipe_off(c, &old);
			n = SSL_read(c->ssl, buf, (int)cap);
			sigpipe_restore(c, &old);
			if (n > 0)
				return n;
			if (!tls_again(c, (int)n, deadline, "read", why, whysz))
				return -1;
			continue;
		}
		w = wait_fd(c->fd, POLLIN, deadline);
		if (w <= 0) {
			(void)say(INTAKE_ECACHE, why, whysz, "read: %s",
			    w == 0 ? "no answer within redis_timeout_ms" : strerror(errno));
			return -1;
		}
		n = recv(c->fd, buf, cap, 0);
		if (n > 0)
			return n;
		if (n == 0) {
			(void)say(INTAKE_ECACHE, why, whysz, "read: connection closed by Redis");
			return -1;
		}
		if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) {
			(void)say(INTAKE_ECACHE, why, whysz, "read: %s", strerror(errno));
			return -1;
		}
	}
}

/* Read until the reader holds one whole reply, into *out; INTAKE_ECACHE with why. */
static enum intake_err
read_reply(struct intake_redis_conn *c, int64_t deadline, redisReply **out, char *why,
    size_t whysz)
{
	char	buf[CONN_READ_CHUNK];
	void	*reply = NULL;
	size_t	total = 0;
	ssize_t	n;

	for (;;) {
		if (redisReaderGetReply(c->reader, &reply) != REDIS_OK)
			return say(INTAKE_ECACHE, why, whysz, "protocol error: %s",
			    c->reader->errstr);
		if (reply != NULL) {
			*out = reply;
			return INTAKE_OK;
		}
		if (total > INTAKE_REDIS_REPLY_MAX)
			return say(INTAKE_ECACHE, why, whysz, "a reply over %d bytes",
			    INTAKE_REDIS_REPLY_MAX);
		n = recv_some(c, buf, sizeof(buf), deadline, why, whysz);
		if (n < 0)
			return INTAKE_ECACHE;
		total += (size_t)n;
		if (redisReaderFeed(c->reader, buf, (size_t)n) != REDIS_OK)
			return say(INTAKE_ECACHE, why, whysz, "out of memory");
	}
}

enum intake_err
intake_redis_conn_command(struct intake_redis_conn *c, int argc, const char **argv,
    const size_t *lens, redisReply **out, char *why, size_t whysz)
{
	int64_t		deadline = mono_ms() + c->timeout_ms;
	char		*cmd = NULL;
	enum intake_err	err;
	int		len;

	len = redisFormatCommandArgv(&cmd, argc, argv, lens);
	if (len < 0)
		return say(INTAKE_ENOMEM, why, whysz, "out of memory");
	err = send_all(c, cmd, (size_t)len, deadline, why, whysz);
	redisFreeCommand(cmd);
	if (err != INTAKE_OK)
		return err;
	return read_reply(c, deadline, out, why, whysz);
}

void
intake_redis_conn_close(struct intake_redis_conn *c)
{
	if (c == NULL)
		return;
	if (c->ssl != NULL) {
		/*
		 * No close_notify: an inherited session is its maker's, and
		 * Redis needs none from its own (it drops the client on EOF).
		 */
		SSL_free(c->ssl);
		ERR_clear_error();
	}
	if (c->reader != NULL)
		redisReaderFree(c->reader);
	(void)close(c->fd);
	free(c);
}
