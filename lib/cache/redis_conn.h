/*
 * redis_conn.h - one connection to Redis, plain or TLS (lib-private).
 *
 * hiredis (Debian 12: 0.14, without TLS) only encodes commands and parses
 * replies here; this module owns the socket: a unix socket, TCP, or TLS
 * over TCP through OpenSSL, with every step (connect, handshake, each
 * write and read) bounded by [cache] redis_timeout_ms through poll().
 */
#ifndef INTAKE_CACHE_REDIS_CONN_H
#define INTAKE_CACHE_REDIS_CONN_H

#include "core/config.h"

/* Longest reply read: the largest cache_entry_max, sealed and framed. */
#define INTAKE_REDIS_REPLY_MAX	(16777216 + 65536)

struct intake_redis_tls;	/* [cache] redis_tls_*: an OpenSSL client context */
struct intake_redis_conn;	/* one connection, owned by the process that made it */
struct redisReply;		/* hiredis's reply (hiredis.h) */

/*
 * The TLS context of cfg ([cache] redis_tls = yes), into *out; *out is
 * NULL when redis_tls = no.  Reads the CA file (empty: the system's
 * store), the client certificate and its key now, so that a bad file
 * stops the start and the files need only be readable then.  TLS 1.2 or
 * newer, the server's certificate always verified.  INTAKE_ECONFIG with
 * why (a file name and OpenSSL's reason, never key material); the caller
 * owns *out (intake_redis_tls_free).
 */
enum intake_err	intake_redis_tls_new(const struct intake_config *cfg,
		    struct intake_redis_tls **out, char *why, size_t whysz);

/* Free a context of intake_redis_tls_new(); NULL is a no-op. */
void		intake_redis_tls_free(struct intake_redis_tls *tls);

/*
 * Connect to cfg's Redis: redis_socket, else redis_host:redis_port, and
 * over TLS when tls is not NULL (the name checked in the certificate is
 * redis_tls_server_name, else redis_host).  The connect and the
 * handshake together take at most redis_timeout_ms (name resolution is
 * not bounded).  *out is owned by the caller (intake_redis_conn_close).
 * INTAKE_ECACHE with why (never a secret) when Redis cannot be reached,
 * the handshake fails or the certificate is refused; INTAKE_ENOMEM.
 */
enum intake_err	intake_redis_conn_open(const struct intake_config *cfg,
		    const struct intake_redis_tls *tls, struct intake_redis_conn **out,
		    char *why, size_t whysz);

/*
 * Send one command (argv and lens as hiredis's redisFormatCommandArgv:
 * lens NULL means every argument is a string) and read its one reply,
 * both within redis_timeout_ms.  *out is the reply, error replies
 * included; the caller frees it with freeReplyObject().  INTAKE_ECACHE
 * with why on an I/O error, a closed link, a timeout ("no answer within
 * redis_timeout_ms"), a protocol error or a reply over
 * INTAKE_REDIS_REPLY_MAX bytes: the connection is then unusable and
 * must be closed.
 */
enum intake_err	intake_redis_conn_command(struct intake_redis_conn *c, int argc,
		    const char **argv, const size_t *lens, struct redisReply **out, char *why,
		    size_t whysz);

/*
 * Close c; NULL is a no-op.  A connection made by another process (one
 * inherited over fork) is only forgotten: its descriptor is closed here,
 * and nothing is sent on the TLS session its maker may still use.
 */
void		intake_redis_conn_close(struct intake_redis_conn *c);

#endif
