/*
 * cache.h - a small key/value cache shared by every worker (and, with a
 * network backend, every host), with single-flight leases.
 *
 * Keys are "section:name"; names too long for the cache's keys are
 * hashed.  A miss is INTAKE_OK with *hit false, never an error.  A lease lets exactly one process fill
 * a key while the others wait to be woken; a lease whose holder dies is
 * released by intake_cache_reap() (the supervisor) or noticed by waiters.
 */
#ifndef INTAKE_CACHE_H
#define INTAKE_CACHE_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "util/err.h"

#define INTAKE_CACHE_KEY_MAX	128	/* bytes of a key with its NUL, after hashing: any cache's most */

/*
 * The marks cache's shape, from what is stored there (the writers assert
 * their largest values against INTAKE_CACHE_MARK_VALUE_MAX): a host id (32
 * hex digits, spool/deliver.c), a submission reference, a counter (a long
 * long), a time in decimal ms, "1".  A longer value is refused with
 * INTAKE_ETOOBIG (logged).  A key is "section:name", or "section:#<32 hex
 * digits of SHA-256>" past INTAKE_CACHE_MARK_KEY_MAX bytes, which fits for
 * sections of up to 21 bytes.  With the store's 40-byte slot
 * header that is 128 bytes an entry, two cache lines: 65,536 entries take
 * 9 MB with their index, and a lookup at home touches two lines, not three.
 */
#define INTAKE_CACHE_MARK_KEY_MAX	56
#define INTAKE_CACHE_MARK_VALUE_MAX	32

struct intake_cache;

/* Where a cache lives and its shape. */
struct intake_cache_geometry {
	const char	*path;		/* the shared file */
	long long	 entries;
	long long	 entry_max;	/* bytes of one value */
	long long	 key_max;	/* bytes of a key with its NUL; 0: INTAKE_CACHE_KEY_MAX */
};

/*
 * Open the main cache for cfg (tokens, report lists).  With fresh, start from an empty store (the
 * supervisor, before fork); without, attach to the existing one and
 * create it only when missing (plain CGI).  The caller owns *out.
 */
enum intake_err	intake_cache_open(const struct intake_config *cfg, bool fresh,
		    struct intake_cache **out);

/*
 * Open the marks cache for cfg: mark_entries small entries (rate counters,
 * budgets, upstream slots and estimates, breaker state, shared references
 * and claims; values up to INTAKE_CACHE_MARK_VALUE_MAX bytes) kept apart,
 * so a burst of posts cannot evict the token or the lists.  Its file is
 * cache_file with ".marks" appended.
 */
enum intake_err	intake_cache_open_marks(const struct intake_config *cfg, bool fresh,
		    struct intake_cache **out);
/*
 * Open the lists cache for cfg: report lists keyed by client-chosen filter
 * values, filtered_entries of them (values up to cache_entry_max), kept
 * apart so that they evict only each other, never the token or the lists
 * a form needs.  Its file is cache_file with ".lists" appended.
 */
enum intake_err	intake_cache_open_lists(const struct intake_config *cfg, bool fresh,
		    struct intake_cache **out);
/* Re-arm per-process state after fork. */
enum intake_err	intake_cache_child_init(struct intake_cache *c);
void		intake_cache_close(struct intake_cache *c);

/*
 * Copy the value of section:name into val (cap bytes).  A miss or an
 * expired value is INTAKE_OK with *hit false.  INTAKE_ETOOBIG if cap is
 * too small.
 */
enum intake_err	intake_cache_get(struct intake_cache *c, const char *section,
		    const char *name, void *val, size_t cap, size_t *len, bool *hit);

/* Store a value until expires_ms (epoch milliseconds). */
enum intake_err	intake_cache_set(struct intake_cache *c, const char *section,
		    const char *name, const void *val, size_t len, int64_t expires_ms);

/*
 * Delete the value.  With if_val non-NULL, delete only while the stored
 * value still equals if_val (compare-and-delete).
 */
enum intake_err	intake_cache_del(struct intake_cache *c, const char *section,
		    const char *name, const void *if_val, size_t if_len);

/*
 * Store the value only when the key holds no live value (set-if-absent,
 * atomic across processes).  *added says whether it was stored.
 */
enum intake_err	intake_cache_add(struct intake_cache *c, const char *section,
		    const char *name, const void *val, size_t len, int64_t expires_ms,
		    bool *added);

/*
 * Add one to the counter under the key (atomic across processes); a
 * missing or expired counter starts at 0 and lives until expires_ms.
 * *count is the new value.
 */
enum intake_err	intake_cache_incr(struct intake_cache *c, const char *section,
		    const char *name, int64_t expires_ms, long long *count);

/*
 * Try to take the fill lease of a key for lease_ms.  *leader true: the
 * caller fills the key and then calls intake_cache_release().  *leader
 * false: another live process holds it.
 */
enum intake_err	intake_cache_lease(struct intake_cache *c, const char *section,
		    const char *name, int64_t lease_ms, bool *leader);
enum intake_err	intake_cache_release(struct intake_cache *c, const char *section,
		    const char *name);

/*
 * Sleep until the key's lease is released (or its holder is found dead
 * or its lease ran out): INTAKE_OK.  INTAKE_ETIMEOUT after timeout_ms.
 * Waiters are woken by the release, not by polling.
 */
enum intake_err	intake_cache_wait(struct intake_cache *c, const char *section,
		    const char *name, int64_t timeout_ms);

/* The supervisor tells the cache that pid died: its leases are released. */
void		intake_cache_reap(struct intake_cache *c, pid_t pid);

/* Where the shared state of c is served from now. */
enum intake_cache_status {
	INTAKE_CACHE_STATUS_LOCAL,	/* backend = shm: this host's memory, by design */
	INTAKE_CACHE_STATUS_SHARED,	/* backend = redis, and Redis answers */
	INTAKE_CACHE_STATUS_FALLBACK,	/* backend = redis, unreachable: this host's memory */
	INTAKE_CACHE_STATUS__MAX
};

/*
 * How c stands for this process.  With Redis, this may try to reconnect
 * (at most once per backoff interval).
 */
enum intake_cache_status intake_cache_status(struct intake_cache *c);

/* The status's name in /readyz, /status and /metrics: "shm", "redis", "fallback". */
const char	*intake_cache_status_name(enum intake_cache_status st);

/* Backend name, e.g. "shm". */
const char	*intake_cache_backend_name(const struct intake_cache *c);

#endif
