/*
 * redis.c - the cache backend shared by every host: Redis, through hiredis.
 *
 * Each process makes its own connection on first use (never before fork,
 * never inherited: a connection made by another pid is forgotten), with
 * redis_timeout_ms on the connect (and TLS handshake) and on every
 * command, so a slow Redis costs a worker at most that long per call.
 * The connection, plain or TLS, is redis_conn.c's: hiredis only encodes
 * the commands and parses the replies (Debian 12's hiredis 0.14 has no
 * TLS of its own).  Any I/O error or timeout drops the connection and
 * marks Redis down for this process; the next attempt waits
 * redis_retry_ms, doubling up to REDIS_BACKOFF_MAX_MS, so a process tries
 * at most once per interval (no reconnect storm).  While down,
 * available() says so and cache.c serves from this host's shm.  A TLS
 * certificate that does not verify counts as down, with the reason.
 *
 * Keys are redis_prefix + the namespace cache.c chose + "section:name".
 * Values are opaque here (cache.c seals them); counters are Redis
 * integers.  Multi-step operations are Lua scripts (EVALSHA, falling
 * back to EVAL once Redis has forgotten them), never read-then-write:
 *   add      SET NX PX;
 *   del-if   GET, compare, DEL;
 *   incr     INCR, and PEXPIRE when the counter has no expiry yet;
 *   lease    SET <key>@lease <host>:<pid> NX PX, and the key joins the
 *            holder's set <prefix>holder:<host>:<pid>;
 *   release  compare-and-DEL of the lease, out of the holder's set;
 *   reap     every lease in a dead holder's set that is still its own.
 * A waiter polls the lease's existence with a growing step (20 ms up to
 * 200 ms), never a busy loop, until the lease is gone or the wait ends;
 * a lease whose holder died on another host lapses after its lease_ms.
 * The scripts touch only keys they are given or keys of the holder's set,
 * all on one Redis: a Redis Cluster is not supported.
 */
#include <hiredis.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "cache/backend.h"
#include "cache/cache.h"
#include "core/log.h"
#include "cache/redis_conn.h"
#include "util/str.h"
#include "util/nelem.h"

#define REDIS_BACKOFF_MAX_MS	30000	/* longest wait between reconnects */
#define REDIS_POLL_FIRST_MS	20	/* a waiter's first look again */
#define REDIS_POLL_MAX_MS	200	/* and its longest step */
#define REDIS_HOLDER_TTL_MS	3600000	/* a holder's set outlives every lease */
#define REDIS_PREFIX_MAX	96	/* redis_prefix + namespace */
#define REDIS_KEY_MAX		(REDIS_PREFIX_MAX + HOST_NAME_MAX + INTAKE_CACHE_KEY_MAX + 32)
#define REDIS_OWNER_MAX		(HOST_NAME_MAX + 24)

enum redis_script {
	SCRIPT_DEL_IF,
	SCRIPT_INCR,
	SCRIPT_LEASE,
	SCRIPT_RELEASE,
	SCRIPT_REAP,
	SCRIPT__MAX
};

static const char *const scripts[] = {
	/* SCRIPT_DEL_IF: KEYS[1] value; ARGV[1] the value it must still hold. */
	"if redis.call('GET',KEYS[1])==ARGV[1] then return redis.call('DEL',KEYS[1]) end "
	"return 0",
	/* SCRIPT_INCR: KEYS[1] counter; ARGV[1] ms it lives from its first count. */
	"local n=redis.call('INCR',KEYS[1]) "
	"if redis.call('PTTL',KEYS[1])<0 then redis.call('PEXPIRE',KEYS[1],ARGV[1]) end "
	"return n",
	/* SCRIPT_LEASE: KEYS[1] lease, KEYS[2] holder's set; ARGV owner, ms, set ms. */
	"if redis.call('SET',KEYS[1],ARGV[1],'NX','PX',ARGV[2]) then "
	"redis.call('SADD',KEYS[2],KEYS[1]) redis.call('PEXPIRE',KEYS[2],ARGV[3]) "
	"return 1 end return 0",
	/* SCRIPT_RELEASE: KEYS[1] lease, KEYS[2] holder's set; ARGV[1] owner. */
	"if redis.call('GET',KEYS[1])==ARGV[1] then redis.call('DEL',KEYS[1]) end "
	"redis.call('SREM',KEYS[2],KEYS[1]) return 0",
	/* SCRIPT_REAP: KEYS[1] a dead holder's set; ARGV[1] its owner name. */
	"local n=0 for _,k in ipairs(redis.call('SMEMBERS',KEYS[1])) do "
	"if redis.call('GET',k)==ARGV[1] then redis.call('DEL',k) n=n+1 end end "
	"redis.call('DEL',KEYS[1]) return n",
};
INTAKE_ROWS(scripts, SCRIPT__MAX);

struct redis_state {
	const struct intake_config	*cfg;
	char				 prefix[REDIS_PREFIX_MAX];	/* redis_prefix + namespace */
	struct intake_redis_tls		*tls;		/* NULL: plain */
	struct intake_redis_conn	*c;
	pid_t				 pid;		/* the process that made c */
	bool				 down;		/* the last attempt failed */
	int64_t				 retry_at_ms;	/* no attempt before then */
	int64_t				 backoff_ms;	/* the next wait after a failure */
	char				 host[HOST_NAME_MAX + 1];
	char				 sha[SCRIPT__MAX][2 * SHA_DIGEST_LENGTH + 1];
};

/* Drop the connection; an inherited one is only forgotten (its fd closed here). */
static void
drop(struct redis_state *s)
{
	intake_redis_conn_close(s->c);
	s->c = NULL;
}

/*
 * The connection failed (why: redis_conn.c's text, never a value or secret):
 * drop it and wait before the next attempt.  Logged once per transition.
 */
static void
fail(struct redis_state *s, const char *why)
{
	int64_t	now = intake_now_ms();
	char	text[320];

	/* why may live in the context dropped below. */
	(void)snprintf(text, sizeof(text), "%s", why);
	why = text;
	drop(s);
	if (!s->down)
		intake_log_info("cache: redis (%s) unreachable: %s; this process uses the "
		    "host's shared memory, and tries again in %lld ms", s->prefix, why,
		    (long long)s->backoff_ms);
	s->down = true;
	s->retry_at_ms = now + s->backoff_ms;
	if (s->backoff_ms < REDIS_BACKOFF_MAX_MS / 2)
		s->backoff_ms *= 2;
	else
		s->backoff_ms = REDIS_BACKOFF_MAX_MS;
}

/*
 * AUTH [user] password on the new connection; INTAKE_ECACHE with why when
 * it fails or is refused.  The password never reaches a log.
 */
static enum intake_err
authenticate(struct redis_state *s, char *why, size_t whysz)
{
	const struct intake_config	*cfg = s->cfg;
	const char			*argv[3];
	redisReply			*r = NULL;
	enum intake_err			 err;
	int				 argc = 0;
	bool				 ok;

	if (cfg->redis_password[0] == '\0')
		return INTAKE_OK;
	argv[argc++] = "AUTH";
	if (cfg->redis_user[0] != '\0')
		argv[argc++] = cfg->redis_user;
	argv[argc++] = cfg->redis_password;
	err = intake_redis_conn_command(s->c, argc, argv, NULL, &r, why, whysz);
	if (err != INTAKE_OK)
		return err;
	ok = r->type == REDIS_REPLY_STATUS;
	freeReplyObject(r);
	if (!ok) {
		/* Redis's text may echo nothing secret, but say only what failed. */
		intake_log_err("cache: redis refused AUTH for user \"%s\"",
		    cfg->redis_user[0] != '\0' ? cfg->redis_user : "default");
		(void)snprintf(why, whysz, "AUTH refused");
		return INTAKE_ECACHE;
	}
	return INTAKE_OK;
}

/* This process's connection, made now if need be; NULL while Redis is down. */
static struct intake_redis_conn *
conn(struct redis_state *s)
{
	const struct intake_config	*cfg = s->cfg;
	char				 why[512];
	pid_t				 me = getpid();

	if (s->pid != me) {
		/* Made before fork, or by the supervisor: not ours to talk on. */
		drop(s);
		s->pid = me;
		s->down = false;
		s->retry_at_ms = 0;
		s->backoff_ms = cfg->redis_retry_ms;
	}
	if (s->c != NULL)
		return s->c;
	if (s->down && intake_now_ms() < s->retry_at_ms)
		return NULL;
	if (intake_redis_conn_open(cfg, s->tls, &s->c, why, sizeof(why)) != INTAKE_OK) {
		s->c = NULL;
		fail(s, why);
		return NULL;
	}
	if (authenticate(s, why, sizeof(why)) != INTAKE_OK) {
		fail(s, why);
		return NULL;
	}
	if (s->down)
		intake_log_info("cache: redis (%s) reachable again", s->prefix);
	s->down = false;
	s->backoff_ms = cfg->redis_retry_ms;
	return s->c;
}

/*
 * Send one command; lens gives each argument's length, or is NULL when
 * every argument is a string (hiredis then takes strlen).  *out is the
 * reply (the caller frees it), never an error reply.  INTAKE_ECACHE when Redis is down, the link broke or timed
 * out (then it is down), or Redis answered with an error.
 */
static enum intake_err
command(struct redis_state *s, int argc, const char **argv, const size_t *lens,
    redisReply **out)
{
	struct intake_redis_conn	*c = conn(s);
	redisReply			*r = NULL;
	char				 why[512];

	if (c == NULL)
		return INTAKE_ECACHE;
	/* A Redis gone away cannot raise SIGPIPE here: redis_conn.c sees to it. */
	if (intake_redis_conn_command(c, argc, argv, lens, &r, why, sizeof(why)) != INTAKE_OK) {
		fail(s, why);
		return INTAKE_ECACHE;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		*out = r;
		return INTAKE_EPROTO;
	}
	*out = r;
	return INTAKE_OK;
}

/* Like command(), but an error reply is logged and freed: INTAKE_ECACHE. */
static enum intake_err
command_ok(struct redis_state *s, int argc, const char **argv, const size_t *lens,
    redisReply **out)
{
	redisReply	*r = NULL;
	enum intake_err	 err;

	err = command(s, argc, argv, lens, &r);
	if (err == INTAKE_EPROTO) {
		intake_log_warn("cache: redis refused %s: %.*s", argv[0],
		    (int)(r->len < 200 ? r->len : 200), r->str);
		freeReplyObject(r);
		return INTAKE_ECACHE;
	}
	if (err == INTAKE_OK)
		*out = r;
	return err;
}

#define SCRIPT_ARGS_MAX	8

/*
 * Run script id on nkeys keys then nargs arguments: strings, or of the
 * lengths in kvlens when it is not NULL (binary values).  EVALSHA first,
 * EVAL when Redis does not know the script.
 */
static enum intake_err
script(struct redis_state *s, enum redis_script id, int nkeys, int nargs,
    const char *const *kv, const size_t *kvlens, redisReply **out)
{
	const char	*argv[SCRIPT_ARGS_MAX + 3];
	size_t		 lens[SCRIPT_ARGS_MAX + 3];
	char		 nk[8];
	redisReply	*r = NULL;
	enum intake_err	 err;
	int		 i, argc;

	if (nkeys + nargs > SCRIPT_ARGS_MAX)
		return INTAKE_EINVAL;
	(void)snprintf(nk, sizeof(nk), "%d", nkeys);
	argv[0] = "EVALSHA";
	argv[1] = s->sha[id];
	argv[2] = nk;
	for (i = 0; i < nkeys + nargs; i++)
		argv[3 + i] = kv[i];
	argc = 3 + nkeys + nargs;
	for (i = 0; i < argc; i++)
		lens[i] = i >= 3 && kvlens != NULL ? kvlens[i - 3] : strlen(argv[i]);
	err = command(s, argc, argv, lens, &r);
	if (err == INTAKE_EPROTO && strncmp(r->str, "NOSCRIPT", 8) == 0) {
		freeReplyObject(r);
		argv[0] = "EVAL";
		argv[1] = scripts[id];
		lens[0] = 4;
		lens[1] = strlen(scripts[id]);
		err = command(s, argc, argv, lens, &r);
	}
	if (err == INTAKE_EPROTO) {
		intake_log_warn("cache: redis script %d failed: %.*s", (int)id,
		    (int)(r->len < 200 ? r->len : 200), r->str);
		freeReplyObject(r);
		return INTAKE_ECACHE;
	}
	if (err == INTAKE_OK)
		*out = r;
	return err;
}

/* prefix + key (+ suffix) into out; INTAKE_EINVAL when it does not fit. */
static enum intake_err
full_key(const struct redis_state *s, const char *key, const char *suffix,
    char out[REDIS_KEY_MAX])
{
	int	n;

	n = snprintf(out, REDIS_KEY_MAX, "%s%s%s", s->prefix, key, suffix);
	return n < 0 || (size_t)n >= REDIS_KEY_MAX ? INTAKE_EINVAL : INTAKE_OK;
}

/* "<host>:<pid>": who holds a lease, unique across the hosts of one Redis. */
static void
owner_of(const struct redis_state *s, pid_t pid, char out[REDIS_OWNER_MAX])
{
	(void)snprintf(out, REDIS_OWNER_MAX, "%s:%ld", s->host, (long)pid);
}

static void
holder_key(const struct redis_state *s, pid_t pid, char out[REDIS_KEY_MAX])
{
	(void)snprintf(out, REDIS_KEY_MAX, "%sholder:%s:%ld", s->prefix, s->host, (long)pid);
}

/* Milliseconds from now to an epoch-ms deadline, at least 1. */
static void
ttl_text(int64_t expires_ms, char out[24])
{
	int64_t	ttl = expires_ms - intake_now_ms();

	(void)snprintf(out, 24, "%lld", (long long)(ttl > 0 ? ttl : 1));
}

enum intake_err
intake_cache_redis_open(const struct intake_config *cfg, const char *ns, void **state)
{
	struct redis_state	*s;
	unsigned char		 md[SHA_DIGEST_LENGTH];
	char			 why[512];
	size_t			 i;
	int			 n;

	s = intake_xcalloc(1, sizeof(*s));
	s->cfg = cfg;
	n = snprintf(s->prefix, sizeof(s->prefix), "%s%s", cfg->redis_prefix, ns);
	if (n < 0 || (size_t)n >= sizeof(s->prefix)) {
		free(s);
		return INTAKE_ECONFIG;
	}
	/* Certificates and keys are read now: a bad one stops the start. */
	if (intake_redis_tls_new(cfg, &s->tls, why, sizeof(why)) != INTAKE_OK) {
		intake_log_err("cache: [cache] %s", why);
		free(s);
		return INTAKE_ECONFIG;
	}
	if (gethostname(s->host, sizeof(s->host)) != 0)
		(void)intake_strlcpy(s->host, "localhost", sizeof(s->host));
	s->host[sizeof(s->host) - 1] = '\0';
	for (i = 0; i < SCRIPT__MAX; i++) {
		(void)SHA1((const unsigned char *)scripts[i], strlen(scripts[i]), md);
		intake_hex(md, sizeof(md), s->sha[i]);
	}
	/* No connection yet: each process makes its own on first use. */
	s->pid = getpid();
	s->backoff_ms = cfg->redis_retry_ms;
	*state = s;
	return INTAKE_OK;
}

/* Opened through intake_cache_redis_open(): its settings are not a geometry. */
static enum intake_err
redis_open(const struct intake_cache_geometry *g, bool fresh, void **state)
{
	(void)g;
	(void)fresh;
	(void)state;
	return INTAKE_ECONFIG;
}

static enum intake_err
redis_child_init(void *state)
{
	struct redis_state	*s = state;

	/* Forget what the parent made; the next call connects anew. */
	drop(s);
	s->pid = getpid();
	s->down = false;
	s->retry_at_ms = 0;
	s->backoff_ms = s->cfg->redis_retry_ms;
	return INTAKE_OK;
}

static void
redis_close(void *state)
{
	struct redis_state	*s = state;

	if (s == NULL)
		return;
	drop(s);
	intake_redis_tls_free(s->tls);
	free(s);
}

static bool
redis_available(void *state)
{
	struct redis_state	*s = state;

	return conn(s) != NULL;
}

static enum intake_err
redis_get(void *state, const char *key, void *val, size_t cap, size_t *len, bool *hit)
{
	struct redis_state	*s = state;
	char			 k[REDIS_KEY_MAX];
	const char		*argv[2] = { "GET", k };
	redisReply		*r = NULL;
	enum intake_err		 err;

	err = full_key(s, key, "", k);
	if (err != INTAKE_OK)
		return err;
	err = command_ok(s, 2, argv, NULL, &r);
	if (err != INTAKE_OK)
		return err;
	if (r->type == REDIS_REPLY_NIL) {
		*hit = false;
		*len = 0;
	} else if (r->type == REDIS_REPLY_STRING) {
		if (r->len > cap) {
			err = INTAKE_ETOOBIG;
			goto out;
		}
		memcpy(val, r->str, r->len);
		*len = r->len;
		*hit = true;
	} else
		err = INTAKE_ECACHE;
out:
	freeReplyObject(r);
	return err;
}

/* SET key value [NX] PX ttl: the value binary, the rest strings. */
static enum intake_err
store(struct redis_state *s, const char *key, const void *val, size_t len,
    int64_t expires_ms, bool nx, redisReply **out)
{
	char		 k[REDIS_KEY_MAX], ttl[24];
	const char	*argv[6] = { "SET", k, val, "PX", ttl, NULL };
	size_t		 lens[6];
	enum intake_err	 err;
	int		 argc = 5, i;

	err = full_key(s, key, "", k);
	if (err != INTAKE_OK)
		return err;
	ttl_text(expires_ms, ttl);
	if (nx) {
		argv[3] = "NX";
		argv[4] = "PX";
		argv[5] = ttl;
		argc = 6;
	}
	for (i = 0; i < argc; i++)
		lens[i] = i == 2 ? len : strlen(argv[i]);
	return command_ok(s, argc, argv, lens, out);
}

static enum intake_err
redis_set(void *state, const char *key, const void *val, size_t len, int64_t expires_ms)
{
	redisReply	*r = NULL;
	enum intake_err	 err;

	err = store(state, key, val, len, expires_ms, false, &r);
	if (err == INTAKE_OK)
		freeReplyObject(r);
	return err;
}

static enum intake_err
redis_add(void *state, const char *key, const void *val, size_t len, int64_t expires_ms,
    bool *added)
{
	redisReply	*r = NULL;
	enum intake_err	 err;

	err = store(state, key, val, len, expires_ms, true, &r);
	if (err != INTAKE_OK)
		return err;
	/* "OK" when stored, nil when the key held a value. */
	*added = r->type == REDIS_REPLY_STATUS;
	freeReplyObject(r);
	return INTAKE_OK;
}

static enum intake_err
redis_incr(void *state, const char *key, int64_t expires_ms, long long *count)
{
	struct redis_state	*s = state;
	char			 k[REDIS_KEY_MAX], ttl[24];
	const char		*kv[2] = { k, ttl };
	redisReply		*r = NULL;
	enum intake_err		 err;

	err = full_key(s, key, "", k);
	if (err != INTAKE_OK)
		return err;
	ttl_text(expires_ms, ttl);
	err = script(s, SCRIPT_INCR, 1, 1, kv, NULL, &r);
	if (err != INTAKE_OK)
		return err;
	if (r->type == REDIS_REPLY_INTEGER)
		*count = r->integer;
	else
		err = INTAKE_ECACHE;
	freeReplyObject(r);
	return err;
}

static enum intake_err
redis_del(void *state, const char *key, const void *if_val, size_t if_len)
{
	struct redis_state	*s = state;
	char			 k[REDIS_KEY_MAX];
	const char		*argv[2] = { "DEL", k };
	const char		*kv[2] = { k, if_val };
	size_t			 kvlens[2];
	redisReply		*r = NULL;
	enum intake_err		 err;

	err = full_key(s, key, "", k);
	if (err != INTAKE_OK)
		return err;
	if (if_val == NULL)
		err = command_ok(s, 2, argv, NULL, &r);
	else {
		/* The value is binary: a length-counted argument. */
		kvlens[0] = strlen(k);
		kvlens[1] = if_len;
		err = script(s, SCRIPT_DEL_IF, 1, 1, kv, kvlens, &r);
	}
	if (err == INTAKE_OK)
		freeReplyObject(r);
	return err;
}

/* A lease's key, this process's holder key and its owner name, as the scripts take them. */
static enum intake_err
lease_keys(struct redis_state *s, const char *key, char k[REDIS_KEY_MAX], char h[REDIS_KEY_MAX],
    char who[REDIS_OWNER_MAX])
{
	enum intake_err	err;

	err = full_key(s, key, "@lease", k);
	if (err != INTAKE_OK)
		return err;
	holder_key(s, getpid(), h);
	owner_of(s, getpid(), who);
	return INTAKE_OK;
}

static enum intake_err
redis_lease(void *state, const char *key, int64_t lease_ms, bool *leader)
{
	struct redis_state	*s = state;
	char			 k[REDIS_KEY_MAX], h[REDIS_KEY_MAX], who[REDIS_OWNER_MAX];
	char			 ms[24], keep[24];
	const char		*kv[5] = { k, h, who, ms, keep };
	redisReply		*r = NULL;
	enum intake_err		 err;

	err = lease_keys(s, key, k, h, who);
	if (err != INTAKE_OK)
		return err;
	(void)snprintf(ms, sizeof(ms), "%lld", (long long)(lease_ms > 0 ? lease_ms : 1));
	(void)snprintf(keep, sizeof(keep), "%lld",
	    (long long)(lease_ms > REDIS_HOLDER_TTL_MS ? lease_ms : REDIS_HOLDER_TTL_MS));
	err = script(s, SCRIPT_LEASE, 2, 3, kv, NULL, &r);
	if (err != INTAKE_OK)
		return err;
	*leader = r->type == REDIS_REPLY_INTEGER && r->integer == 1;
	freeReplyObject(r);
	return INTAKE_OK;
}

static enum intake_err
redis_release(void *state, const char *key)
{
	struct redis_state	*s = state;
	char			 k[REDIS_KEY_MAX], h[REDIS_KEY_MAX], who[REDIS_OWNER_MAX];
	const char		*kv[3] = { k, h, who };
	redisReply		*r = NULL;
	enum intake_err		 err;

	err = lease_keys(s, key, k, h, who);
	if (err != INTAKE_OK)
		return err;
	err = script(s, SCRIPT_RELEASE, 2, 1, kv, NULL, &r);
	if (err == INTAKE_OK)
		freeReplyObject(r);
	return err;
}

static enum intake_err
redis_wait(void *state, const char *key, int64_t timeout_ms)
{
	struct redis_state	*s = state;
	char			 k[REDIS_KEY_MAX];
	const char		*argv[2] = { "EXISTS", k };
	redisReply		*r = NULL;
	struct timespec		 ts;
	enum intake_err		 err;
	int64_t			 deadline, now, step = REDIS_POLL_FIRST_MS;
	bool			 held;

	err = full_key(s, key, "@lease", k);
	if (err != INTAKE_OK)
		return err;
	deadline = intake_now_ms() + timeout_ms;
	for (;;) {
		err = command_ok(s, 2, argv, NULL, &r);
		if (err != INTAKE_OK)
			return err;
		held = r->type == REDIS_REPLY_INTEGER && r->integer > 0;
		freeReplyObject(r);
		if (!held)
			return INTAKE_OK;
		now = intake_now_ms();
		if (now >= deadline)
			return INTAKE_ETIMEOUT;
		if (step > deadline - now)
			step = deadline - now;
		ts.tv_sec = (time_t)(step / 1000);
		ts.tv_nsec = (long)(step % 1000 * 1000000);
		(void)nanosleep(&ts, NULL);
		step = step * 2 < REDIS_POLL_MAX_MS ? step * 2 : REDIS_POLL_MAX_MS;
	}
}

static void
redis_reap(void *state, pid_t pid)
{
	struct redis_state	*s = state;
	char			 h[REDIS_KEY_MAX], who[REDIS_OWNER_MAX];
	const char		*kv[2] = { h, who };
	redisReply		*r = NULL;

	holder_key(s, pid, h);
	owner_of(s, pid, who);
	if (script(s, SCRIPT_REAP, 1, 1, kv, NULL, &r) != INTAKE_OK)
		return;	/* its leases lapse by themselves */
	if (r->type == REDIS_REPLY_INTEGER && r->integer > 0)
		intake_log_warn("cache: released %lld redis lease(s) of dead worker %ld",
		    r->integer, (long)pid);
	freeReplyObject(r);
}

const struct intake_cache_backend intake_cache_redis = {
	.name = "redis",
	.leaves_process = true,
	.open = redis_open,
	.child_init = redis_child_init,
	.close = redis_close,
	.available = redis_available,
	.get = redis_get,
	.set = redis_set,
	.del = redis_del,
	.add = redis_add,
	.incr = redis_incr,
	.lease = redis_lease,
	.release = redis_release,
	.wait = redis_wait,
	.reap = redis_reap,
};
