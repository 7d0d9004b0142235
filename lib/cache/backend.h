/*
 * backend.h - what a cache backend provides (lib-private).
 *
 * cache.c composes keys and picks the backend; a backend only stores
 * opaque values under opaque keys of at most INTAKE_CACHE_KEY_MAX bytes.
 * A network backend (Redis) sets leaves_process and has its values
 * sealed by cache.c (cache/seal.h).
 */
#ifndef INTAKE_CACHE_BACKEND_H
#define INTAKE_CACHE_BACKEND_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* Declared in cache/cache.h and core/config.h; a backend sees them only
 * through pointers, so the interface does not include its user. */
struct intake_cache_geometry;
struct intake_config;

struct intake_cache_backend {
	const char	*name;
	bool		 leaves_process;
	enum intake_err	(*open)(const struct intake_cache_geometry *, bool fresh, void **state);
	enum intake_err	(*child_init)(void *state);
	void		(*close)(void *state);
	/*
	 * Can this process use the store now?  NULL: always.  A network
	 * backend says false while it is down (and in its reconnect backoff).
	 */
	bool		(*available)(void *state);
	enum intake_err	(*get)(void *state, const char *key, void *val, size_t cap,
			    size_t *len, bool *hit);
	enum intake_err	(*set)(void *state, const char *key, const void *val, size_t len,
			    int64_t expires_ms);
	enum intake_err	(*del)(void *state, const char *key, const void *if_val,
			    size_t if_len);
	enum intake_err	(*add)(void *state, const char *key, const void *val, size_t len,
			    int64_t expires_ms, bool *added);
	enum intake_err	(*incr)(void *state, const char *key, int64_t expires_ms,
			    long long *count);
	enum intake_err	(*lease)(void *state, const char *key, int64_t lease_ms,
			    bool *leader);
	enum intake_err	(*release)(void *state, const char *key);
	enum intake_err	(*wait)(void *state, const char *key, int64_t timeout_ms);
	void		(*reap)(void *state, pid_t pid);
};

extern const struct intake_cache_backend intake_cache_shm;
extern const struct intake_cache_backend intake_cache_redis;

/*
 * Open the Redis store of cfg ([cache] redis_*) under the key namespace
 * ns (redis_prefix + ns + key).  Connects nothing: each process connects
 * on first use.  INTAKE_ECONFIG when the prefix is too long.  Its open
 * member refuses: a geometry does not say where Redis is.
 */
enum intake_err	intake_cache_redis_open(const struct intake_config *cfg, const char *ns,
		    void **state);

/*
 * Check the shm store's index against its slots (for tests): every entry
 * found by its key, in the right chain once, the clock's hand on a slot
 * ever used, and every other slot free.  Takes the lock, so a dead holder's mess is repaired
 * first.  INTAKE_OK, or INTAKE_ECACHE with the first fault in why.
 */
enum intake_err	intake_cache_shm_validate(void *state, char *why, size_t whysz);

/*
 * Count the shm store's entries in use (*used) and those that lie in
 * their home group (*home), found by one cache-line fetch (for tests).
 * Takes the lock.  INTAKE_OK, or INTAKE_ECACHE when it cannot lock.
 */
enum intake_err	intake_cache_shm_at_home(void *state, uint32_t *home, uint32_t *used);

#endif
