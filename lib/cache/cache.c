/*
 * cache.c - key composition and backend dispatch (see cache.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <limits.h>

#include <openssl/crypto.h>

#include "cache/cache.h"
#include "cache/backend.h"
#include "cache/seal.h"
#include "util/str.h"
#include "util/nelem.h"

/*
 * With backend = redis, be is Redis and local this host's shm store of
 * the same shape: the fallback while Redis is down, and the home of the
 * sections that are per host by nature (local_sections[]).  With shm,
 * be is shm and local is NULL.
 */
struct intake_cache {
	const struct intake_cache_backend	*be;
	void					*state;
	const struct intake_cache_backend	*local;		/* NULL: be is local */
	void					*local_state;
	const unsigned char			*seal_key;	/* be leaves the process */
	char					 ns[96];	/* redis_prefix + namespace */
	size_t					 value_max;	/* bytes of a value */
	size_t					 key_max;	/* bytes of a key with its NUL */
	bool					 down_seen;	/* this process saw Redis down */
	bool					 announce;	/* logs the host's transitions */
};

/*
 * Sections that stay on this host even with Redis: the upstream slots
 * bound this host's workers blocked on Integrify, and the inline pause
 * follows this host's own starts.
 */
static const char *const local_sections[] = {
	"upstream",
};

/*
 * "section:name", or "section:#<the first 128 bits of the name's SHA-256,
 * in hex>" when that would not fit c's keys (key_max bytes with the NUL),
 * so a long name never truncates into another key (two names share a key
 * only by a 128-bit collision).  INTAKE_EINVAL when even that does not fit
 * (a section too long for c).
 */
static enum intake_err
make_key(const struct intake_cache *c, const char *section, const char *name,
    char key[INTAKE_CACHE_KEY_MAX])
{
	char	hex[65];
	int	n;

	n = snprintf(key, c->key_max, "%s:%s", section, name);
	if (n >= 0 && (size_t)n < c->key_max)
		return INTAKE_OK;
	intake_sha256_hex(name, strlen(name), hex);
	n = snprintf(key, c->key_max, "%s:#%.32s", section, hex);
	if (n < 0 || (size_t)n >= c->key_max) {
		intake_log_warn("cache: section %s is too long for this cache's keys", section);
		return INTAKE_EINVAL;
	}
	return INTAKE_OK;
}

/* The shm store of g, plus the Redis store of namespace ns when cfg says so. */
static enum intake_err
cache_open(const struct intake_config *cfg, const char *ns,
    const struct intake_cache_geometry *g, bool fresh, struct intake_cache **out)
{
	struct intake_cache	*c;
	enum intake_err		 err;
	void			*shm = NULL;
	int			 n;

	err = intake_cache_shm.open(g, fresh, &shm);
	if (err != INTAKE_OK)
		return err;
	c = intake_xcalloc(1, sizeof(*c));
	c->value_max = (size_t)g->entry_max;
	c->key_max = g->key_max > 0 ? (size_t)g->key_max : INTAKE_CACHE_KEY_MAX;
	if (cfg == NULL || cfg->cache_backend != INTAKE_CACHE_REDIS) {
		c->be = &intake_cache_shm;
		c->state = shm;
		*out = c;
		return INTAKE_OK;
	}
	c->local = &intake_cache_shm;
	c->local_state = shm;
	c->be = &intake_cache_redis;
	c->seal_key = cfg->redis_seal_key;
	n = snprintf(c->ns, sizeof(c->ns), "%s%s", cfg->redis_prefix, ns);
	err = n < 0 || (size_t)n >= sizeof(c->ns) ? INTAKE_ECONFIG :
	    intake_cache_redis_open(cfg, ns, &c->state);
	if (err != INTAKE_OK) {
		intake_cache_shm.close(shm);
		free(c);
		return err;
	}
	*out = c;
	return INTAKE_OK;
}

enum intake_err
intake_cache_open(const struct intake_config *cfg, bool fresh, struct intake_cache **out)
{
	struct intake_cache_geometry	g = { cfg->cache_file, cfg->cache_entries,
					    cfg->cache_entry_max, INTAKE_CACHE_KEY_MAX };
	enum intake_err			err;

	err = cache_open(cfg, "c:", &g, fresh, out);
	if (err == INTAKE_OK)
		(*out)->announce = true;
	return err;
}

_Static_assert(INTAKE_CACHE_MARK_KEY_MAX <= INTAKE_CACHE_KEY_MAX &&
    INTAKE_CACHE_MARK_KEY_MAX % 8 == 0, "a marks key fits every key buffer, values 8-aligned");
_Static_assert(INTAKE_CACHE_MARK_VALUE_MAX >= (int)sizeof(long long),
    "a counter fits a marks value");

/* A cache of its own in the file cache_file + suffix, of that shape. */
static enum intake_err
open_beside(const struct intake_config *cfg, const char *suffix, const char *ns,
    long long entries, long long entry_max, long long key_max, bool fresh,
    struct intake_cache **out)
{
	struct intake_cache_geometry	g;
	char				path[INTAKE_PATH_MAX + 8];
	int				n;

	n = snprintf(path, sizeof(path), "%s%s", cfg->cache_file, suffix);
	if (n < 0 || (size_t)n >= sizeof(path))
		return INTAKE_ECONFIG;
	g.path = path;
	g.entries = entries;
	g.entry_max = entry_max;
	g.key_max = key_max;
	return cache_open(cfg, ns, &g, fresh, out);
}

enum intake_err
intake_cache_open_marks(const struct intake_config *cfg, bool fresh,
    struct intake_cache **out)
{
	return open_beside(cfg, ".marks", "m:", cfg->mark_entries, INTAKE_CACHE_MARK_VALUE_MAX,
	    INTAKE_CACHE_MARK_KEY_MAX, fresh, out);
}

enum intake_err
intake_cache_open_lists(const struct intake_config *cfg, bool fresh,
    struct intake_cache **out)
{
	return open_beside(cfg, ".lists", "l:", cfg->filtered_entries, cfg->cache_entry_max,
	    INTAKE_CACHE_KEY_MAX, fresh, out);
}

enum intake_err
intake_cache_child_init(struct intake_cache *c)
{
	enum intake_err	err;

	err = c->be->child_init(c->state);
	if (err == INTAKE_OK && c->local != NULL)
		err = c->local->child_init(c->local_state);
	c->down_seen = false;
	return err;
}

void
intake_cache_close(struct intake_cache *c)
{
	if (c == NULL)
		return;
	c->be->close(c->state);
	if (c->local != NULL)
		c->local->close(c->local_state);
	free(c);
}

const char *
intake_cache_backend_name(const struct intake_cache *c)
{
	return c->be->name;
}

#define DOWN_MARK	"cache:redis-down"	/* in the local store: this host falls back */
#define DOWN_MARK_MS	(10LL * 365 * 86400 * 1000)

/*
 * Redis went down or came back for this process: say so once per host
 * and transition (a mark in this host's shm decides which process logs).
 */
static void
note_state(struct intake_cache *c, bool down)
{
	bool	added = false;

	if (down == c->down_seen)
		return;
	c->down_seen = down;
	if (!c->announce)
		return;	/* the main cache speaks for the host */
	if (down) {
		if (c->local->add(c->local_state, DOWN_MARK, "1", 1,
		    intake_now_ms() + DOWN_MARK_MS, &added) == INTAKE_OK && added)
			intake_log_warn("cache: redis (%s) is unreachable: this host uses its "
			    "own shared memory (more token and list fetches; form tokens may "
			    "be replayed across hosts) until it is back", c->ns);
		return;
	}
	if (c->local->add(c->local_state, DOWN_MARK, "1", 1, intake_now_ms() + DOWN_MARK_MS,
	    &added) == INTAKE_OK && !added) {
		(void)c->local->del(c->local_state, DOWN_MARK, "1", 1);
		intake_log_warn("cache: redis (%s) is back: this host shares its state again",
		    c->ns);
	} else if (added)
		(void)c->local->del(c->local_state, DOWN_MARK, "1", 1);
}

/* Which store serves key now: the shared one, or this host's. */
static bool
remote(struct intake_cache *c, const char *key)
{
	size_t	i, n;
	bool	up;

	if (c->local == NULL)
		return false;
	for (i = 0; i < sizeof(local_sections) / sizeof(local_sections[0]); i++) {
		n = strlen(local_sections[i]);
		if (strncmp(key, local_sections[i], n) == 0 && key[n] == ':')
			return false;
	}
	up = c->be->available == NULL || c->be->available(c->state);
	note_state(c, !up);
	return up;
}

/* After a failed remote call: did Redis go down (so the local store answers)? */
static bool
went_down(struct intake_cache *c, enum intake_err err)
{
	if (err != INTAKE_ECACHE || c->be->available == NULL || c->be->available(c->state))
		return false;
	note_state(c, true);
	return true;
}

/* The sealing's additional data: the entry's full name in Redis. */
static enum intake_err
aad_of(const struct intake_cache *c, const char *key, char *out, size_t outsz)
{
	int	n;

	n = snprintf(out, outsz, "%s%s", c->ns, key);
	return n < 0 || (size_t)n >= outsz ? INTAKE_EINVAL : INTAKE_OK;
}

/*
 * A counter made by incr reads back as Redis's decimal integer; it is the
 * one value not sealed (Redis must count it).  Like shm, hand it over as
 * a native long long.  True when raw was such a counter.
 */
static bool
counter_value(const unsigned char *raw, size_t len, void *val, size_t cap, size_t *outlen)
{
	char		text[24];
	long long	v;

	if (len == 0 || len >= sizeof(text) || raw[0] == INTAKE_SEAL_MAGIC)
		return false;
	memcpy(text, raw, len);
	text[len] = '\0';
	if (intake_parse_int(text, LLONG_MIN, LLONG_MAX, &v) != INTAKE_OK ||
	    cap < sizeof(v))
		return false;
	memcpy(val, &v, sizeof(v));
	*outlen = sizeof(v);
	return true;
}

/* get from Redis, and open the sealed value. */
static enum intake_err
remote_get(struct intake_cache *c, const char *key, void *val, size_t cap, size_t *len,
    bool *hit)
{
	char		aad[INTAKE_CACHE_KEY_MAX + sizeof(c->ns)];
	unsigned char	*raw;
	size_t		 rawcap = cap + INTAKE_SEAL_OVERHEAD, rawlen = 0, n = 0;
	enum intake_err	 err;
	bool		 h = false;

	err = aad_of(c, key, aad, sizeof(aad));
	if (err != INTAKE_OK)
		return err;
	raw = intake_xmalloc(rawcap);
	err = c->be->get(c->state, key, raw, rawcap, &rawlen, &h);
	if (err != INTAKE_OK || !h)
		goto out;
	if (counter_value(raw, rawlen, val, cap, &n))
		goto out;
	err = intake_unseal(c->seal_key, aad, raw, rawlen, val, cap, &n);
	if (err == INTAKE_EINVAL) {
		/* Another key's value, another seal key, or tampered with: a miss. */
		intake_log_warn("cache: the value of %s in redis does not open with this "
		    "host's seal key; ignored", aad);
		err = INTAKE_OK;
		h = false;
		n = 0;
	}
out:
	/* Only what the backend wrote: a list's buffer may be a megabyte. */
	OPENSSL_cleanse(raw, rawlen);
	free(raw);
	if (err == INTAKE_OK) {
		*hit = h;
		*len = n;
	}
	return err;
}

/* Seal val for key into a new buffer (*sealed, the caller frees it). */
static enum intake_err
seal_for(const struct intake_cache *c, const char *key, const void *val, size_t len,
    unsigned char **sealed, size_t *slen)
{
	char		aad[INTAKE_CACHE_KEY_MAX + sizeof(c->ns)];
	unsigned char	*b;
	enum intake_err	 err;

	if (len > c->value_max) {
		intake_log_warn("cache: value of %zu bytes over its cache's limit of %zu", len,
		    c->value_max);
		return INTAKE_ETOOBIG;
	}
	err = aad_of(c, key, aad, sizeof(aad));
	if (err != INTAKE_OK)
		return err;
	b = intake_xmalloc(len + INTAKE_SEAL_OVERHEAD);
	err = intake_seal(c->seal_key, aad, val, len, b, len + INTAKE_SEAL_OVERHEAD, slen);
	if (err != INTAKE_OK) {
		free(b);
		return err;
	}
	*sealed = b;
	return INTAKE_OK;
}

/* The store that serves key when Redis is not used for it. */
#define LOCAL_BE(c)	((c)->local != NULL ? (c)->local : (c)->be)
#define LOCAL_ST(c)	((c)->local != NULL ? (c)->local_state : (c)->state)

/* The operations that route() sends to a store: each to one, or to Redis then here. */
enum cache_op {
	CACHE_GET,
	CACHE_SET,
	CACHE_ADD,
	CACHE_INCR,
	CACHE_LEASE,
	CACHE_WAIT
};

/* One operation's arguments, so that one function routes every operation. */
struct cache_call {
	enum cache_op	 op;
	const void	*in;		/* set, add: the value */
	size_t		 in_len;
	void		*out;		/* get: the buffer */
	size_t		 cap;
	size_t		*out_len;
	bool		*flag;		/* get: hit; add: added; lease: leader */
	int64_t		 ms;		/* set, add, incr: expiry; lease: length; wait: time-out */
	long long	*count;		/* incr */
};

/* Run a on the store be (state st) under key, as it stands. */
static enum intake_err
call_store(const struct intake_cache_backend *be, void *st, const char *key,
    const struct cache_call *a)
{
	switch (a->op) {
	case CACHE_GET:
		return be->get(st, key, a->out, a->cap, a->out_len, a->flag);
	case CACHE_SET:
		return be->set(st, key, a->in, a->in_len, a->ms);
	case CACHE_ADD:
		return be->add(st, key, a->in, a->in_len, a->ms, a->flag);
	case CACHE_INCR:
		return be->incr(st, key, a->ms, a->count);
	case CACHE_LEASE:
		return be->lease(st, key, a->ms, a->flag);
	case CACHE_WAIT:
		return be->wait(st, key, a->ms);
	}
	return INTAKE_EINVAL;
}

/*
 * Run a on Redis: a value goes in sealed and comes out opened; a counter,
 * a lease and a wait carry no value.
 */
static enum intake_err
call_remote(struct intake_cache *c, const char *key, const struct cache_call *a)
{
	struct cache_call	 sealed_call = *a;
	unsigned char		*sealed = NULL;
	enum intake_err		 err;

	switch (a->op) {
	case CACHE_GET:
		return remote_get(c, key, a->out, a->cap, a->out_len, a->flag);
	case CACHE_SET:
	case CACHE_ADD:
		err = seal_for(c, key, a->in, a->in_len, &sealed, &sealed_call.in_len);
		if (err != INTAKE_OK)
			return err;
		sealed_call.in = sealed;
		err = call_store(c->be, c->state, key, &sealed_call);
		free(sealed);
		return err;
	case CACHE_INCR:
	case CACHE_LEASE:
	case CACHE_WAIT:
		return call_store(c->be, c->state, key, a);
	}
	return INTAKE_EINVAL;
}

/*
 * Run a under the key of section and name: on this host's store when
 * Redis does not serve the key, else on Redis, and here after all when
 * that call finds Redis gone.
 */
static enum intake_err
route(struct intake_cache *c, const char *section, const char *name,
    const struct cache_call *a)
{
	char		key[INTAKE_CACHE_KEY_MAX];
	enum intake_err	err;

	err = make_key(c, section, name, key);
	if (err != INTAKE_OK)
		return err;
	if (!remote(c, key))
		return call_store(LOCAL_BE(c), LOCAL_ST(c), key, a);
	err = call_remote(c, key, a);
	if (went_down(c, err))
		err = call_store(c->local, c->local_state, key, a);
	return err;
}

enum intake_err
intake_cache_get(struct intake_cache *c, const char *section, const char *name,
    void *val, size_t cap, size_t *len, bool *hit)
{
	struct cache_call	a = { .op = CACHE_GET, .out = val, .cap = cap, .out_len = len,
				    .flag = hit };

	return route(c, section, name, &a);
}

enum intake_err
intake_cache_set(struct intake_cache *c, const char *section, const char *name,
    const void *val, size_t len, int64_t expires_ms)
{
	struct cache_call	a = { .op = CACHE_SET, .in = val, .in_len = len, .ms = expires_ms };

	return route(c, section, name, &a);
}

enum intake_err
intake_cache_del(struct intake_cache *c, const char *section, const char *name,
    const void *if_val, size_t if_len)
{
	char		 key[INTAKE_CACHE_KEY_MAX];
	unsigned char	*cur = NULL, *raw = NULL;
	size_t		 len = 0, rawlen = 0;
	enum intake_err	 err;
	bool		 hit = false;

	err = make_key(c, section, name, key);
	if (err != INTAKE_OK)
		return err;
	if (!remote(c, key))
		return LOCAL_BE(c)->del(LOCAL_ST(c), key, if_val, if_len);
	/* This host's copy goes too: it must not come back if Redis fails. */
	(void)c->local->del(c->local_state, key, if_val, if_len);
	if (if_val == NULL) {
		err = c->be->del(c->state, key, NULL, 0);
		goto out;
	}
	/*
	 * Sealed values never compare equal (fresh nonces): open the stored
	 * one and, when it holds if_val, delete exactly those sealed bytes.
	 */
	cur = intake_xmalloc(c->value_max + INTAKE_SEAL_OVERHEAD);
	raw = intake_xmalloc(c->value_max + INTAKE_SEAL_OVERHEAD);
	err = c->be->get(c->state, key, raw, c->value_max + INTAKE_SEAL_OVERHEAD, &rawlen,
	    &hit);
	if (err == INTAKE_OK && hit) {
		char aad[INTAKE_CACHE_KEY_MAX + sizeof(c->ns)];

		err = aad_of(c, key, aad, sizeof(aad));
		if (err == INTAKE_OK && intake_unseal(c->seal_key, aad, raw, rawlen, cur,
		    c->value_max + INTAKE_SEAL_OVERHEAD, &len) == INTAKE_OK &&
		    len == if_len && memcmp(cur, if_val, if_len) == 0)
			err = c->be->del(c->state, key, raw, rawlen);
	} else if (err == INTAKE_ETOOBIG)
		err = INTAKE_OK;	/* larger than any value of ours: not if_val */
	OPENSSL_cleanse(cur, len);
	free(cur);
	free(raw);
out:
	if (went_down(c, err))
		err = INTAKE_OK;	/* the local copy is gone already */
	return err;
}

enum intake_err
intake_cache_add(struct intake_cache *c, const char *section, const char *name,
    const void *val, size_t len, int64_t expires_ms, bool *added)
{
	struct cache_call	a = { .op = CACHE_ADD, .in = val, .in_len = len, .ms = expires_ms,
				    .flag = added };

	return route(c, section, name, &a);
}

enum intake_err
intake_cache_incr(struct intake_cache *c, const char *section, const char *name,
    int64_t expires_ms, long long *count)
{
	struct cache_call	a = { .op = CACHE_INCR, .ms = expires_ms, .count = count };

	return route(c, section, name, &a);
}

enum intake_err
intake_cache_lease(struct intake_cache *c, const char *section, const char *name,
    int64_t lease_ms, bool *leader)
{
	struct cache_call	a = { .op = CACHE_LEASE, .ms = lease_ms, .flag = leader };

	return route(c, section, name, &a);
}

enum intake_err
intake_cache_release(struct intake_cache *c, const char *section, const char *name)
{
	char		key[INTAKE_CACHE_KEY_MAX];
	enum intake_err	err;

	err = make_key(c, section, name, key);
	if (err != INTAKE_OK)
		return err;
	if (c->local == NULL)
		return c->be->release(c->state, key);
	/* A lease taken while Redis was down lives here: release both, always. */
	err = c->local->release(c->local_state, key);
	if (remote(c, key) && c->be->release(c->state, key) == INTAKE_ECACHE)
		(void)went_down(c, INTAKE_ECACHE);	/* the lease lapses by itself */
	return err;
}

enum intake_err
intake_cache_wait(struct intake_cache *c, const char *section, const char *name,
    int64_t timeout_ms)
{
	struct cache_call	a = { .op = CACHE_WAIT, .ms = timeout_ms };

	return route(c, section, name, &a);
}

void
intake_cache_reap(struct intake_cache *c, pid_t pid)
{
	c->be->reap(c->state, pid);
	if (c->local != NULL)
		c->local->reap(c->local_state, pid);
}

static const char *const status_names[] = {
	"shm",		/* INTAKE_CACHE_STATUS_LOCAL */
	"redis",	/* INTAKE_CACHE_STATUS_SHARED */
	"fallback",	/* INTAKE_CACHE_STATUS_FALLBACK: Redis unreachable, this host's shm */
};
INTAKE_ROWS(status_names, INTAKE_CACHE_STATUS__MAX);

const char *
intake_cache_status_name(enum intake_cache_status st)
{
	return (unsigned)st < INTAKE_CACHE_STATUS__MAX ? status_names[st] : "?";
}

enum intake_cache_status
intake_cache_status(struct intake_cache *c)
{
	if (c->local == NULL)
		return INTAKE_CACHE_STATUS_LOCAL;
	return remote(c, "") ? INTAKE_CACHE_STATUS_SHARED : INTAKE_CACHE_STATUS_FALLBACK;
}
