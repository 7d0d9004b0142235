/*
 * shm.c - the cache backend shared by the processes of one host.
 *
 * A file mapped MAP_SHARED holds a header, a hash index and fixed-size
 * slots.  One robust, process-shared mutex guards everything; it is held
 * only for copies and a few link updates, never across I/O or a system
 * call on the lookup path.
 *
 * The index: a power-of-two array of buckets, each the head of a chain of
 * slots whose keys hash there (SipHash under a random key chosen per file,
 * so anonymous input cannot aim at one bucket).  Slots in use also sit on
 * one doubly linked list from the newest to the oldest use (LRU); unused
 * slots sit on a free list, or lie past hdr->untouched, never used yet,
 * so the file's pages stay sparse until needed.  Every link is 1 + a slot
 * number (0: none), never a pointer: each process maps the file at its
 * own address.  A lookup is a hash, one bucket and a short chain (the
 * buckets are at least twice the slots).  A hit moves its entry to the
 * newest end only once it has drifted into the older half of the list, so
 * most hits write no link.  A new key in a full store evicts, among the
 * 32 oldest entries without a lease, the first expired one, else the
 * oldest.
 *
 * Crash safety: before a holder changes a slot's contents it names the
 * slot in the header (hdr->dirty), and before it changes any link it sets
 * hdr->relink; both are cleared when done.  If it dies holding the lock,
 * the next locker drops the named slot, which may be half written (a
 * cache may forget; it must not lie), and, when links were changing,
 * rebuilds the index, the LRU list and the free list from the slots
 * (O(slots), but only after a crash).
 *
 * Single flight: a slot may carry a lease (pid, deadline) with or without
 * a value.  Waiters sleep on a futex on the header's generation word;
 * every release bumps it and wakes them all.  The supervisor releases the
 * leases of a worker it reaps.  A holder's liveness (kill(pid, 0)) is
 * checked only when its lease blocks someone: a lease attempt on the key,
 * a waiter (every second, which matters only for plain CGI, where no
 * supervisor exists), or an eviction that finds nothing but leases.
 *
 * The supervisor makes a fresh file at start (rename over the old one, so
 * a stale mapping is never reinitialised under a live process); a CGI
 * process attaches to what is there and creates it under flock if absent.
 */
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"
#include "intake/log.h"
#include "intake/metrics.h"
#include "intake/str.h"

#define SHM_MAGIC	0x494e544bu	/* "INTK" */
#define SHM_VERSION	3u		/* 3: hash index, LRU and free lists */
#define SHM_CHECK_MS	1000		/* waiter's liveness check of a holder */
#define SHM_EVICT_LOOK	32		/* oldest entries searched for an expired one */
#define SHM_ALIGN	64		/* buckets and slots start on a cache line */
#define SHM_EVICT_LOG_MS 10000		/* at most one eviction line per 10 s */

#define SLOT_VALUE	0x1u		/* slot holds a value */
#define SLOT_LEASE	0x2u		/* slot holds a lease */
#define SLOT_USED	0x4u		/* slot is in the index and the LRU list */

#define NIL		0u		/* the null link; slot i is link i + 1 */

struct shm_hdr {
	uint32_t	magic;
	uint32_t	version;
	uint64_t	size;		/* bytes of the whole mapping */
	uint32_t	nslots;
	uint32_t	slot_size;	/* bytes of one slot, header included */
	uint32_t	value_max;
	uint32_t	nbuckets;	/* a power of two, >= 2 * nslots */
	uint64_t	slot_off;	/* bytes from the mapping's start to slot 0 */
	uint64_t	hash_key[2];	/* SipHash key, random per file */
	uint32_t	gen;		/* futex word: bumped by every release */
	uint32_t	dirty;		/* link of the slot being changed; NIL: none */
	uint32_t	relink;		/* 1 while links (index, LRU, free) change */
	uint32_t	used;		/* slots in use */
	uint32_t	untouched;	/* slots [untouched, nslots) were never used */
	uint32_t	free;		/* head of the free list */
	uint32_t	newest;		/* LRU list ends */
	uint32_t	oldest;
	uint32_t	tick;		/* pushes onto the LRU list, wrapping */
	uint32_t	evicted;	/* live entries evicted since the last log line */
	int64_t		evict_logged_ms;
	pthread_mutex_t	lock;
};

struct shm_slot {
	uint16_t	flags;		/* SLOT_* */
	uint16_t	voff;		/* the value's offset in key[]: just past the key */
	uint32_t	len;		/* value bytes */
	uint32_t	hash;		/* low bits of the key's hash */
	uint32_t	next;		/* bucket chain, or the free list */
	uint32_t	newer;		/* LRU neighbours */
	uint32_t	older;
	int32_t		lease_pid;
	uint32_t	tick;		/* hdr->tick when last pushed newest */
	int64_t		expires_ms;
	int64_t		used_ms;	/* last access */
	int64_t		lease_until_ms;
	/*
	 * The key (at most INTAKE_CACHE_KEY_MAX bytes with its NUL), then the
	 * value at voff, packed so that a short key and a small value share
	 * the header's cache lines: one miss less per lookup.
	 */
	char		key[];
};
_Static_assert(sizeof(struct shm_slot) <= SHM_ALIGN, "a slot's header fits one line");

/* The buckets start on the first line after the header. */
#define SHM_BUCKETS_OFF	\
	((sizeof(struct shm_hdr) + SHM_ALIGN - 1) / SHM_ALIGN * SHM_ALIGN)

static unsigned char *
slot_value(struct shm_slot *sl)
{
	return (unsigned char *)sl->key + sl->voff;
}

struct shm_state {
	struct shm_hdr	*hdr;
	size_t		 size;
	char		 path[INTAKE_PATH_MAX];
};

/* --- SipHash-2-4 (Aumasson, Bernstein), over a NUL-terminated key ------ */

#define ROTL64(x, b)	(uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

static void
sip_round(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = ROTL64(v[1], 13);
	v[1] ^= v[0];
	v[0] = ROTL64(v[0], 32);
	v[2] += v[3];
	v[3] = ROTL64(v[3], 16);
	v[3] ^= v[2];
	v[0] += v[3];
	v[3] = ROTL64(v[3], 21);
	v[3] ^= v[0];
	v[2] += v[1];
	v[1] = ROTL64(v[1], 17);
	v[1] ^= v[2];
	v[2] = ROTL64(v[2], 32);
}

static uint64_t
siphash(const uint64_t k[2], const unsigned char *in, size_t len)
{
	uint64_t	v[4], m, b = (uint64_t)len << 56;
	size_t		i, j, tail = len & 7;

	v[0] = k[0] ^ 0x736f6d6570736575ull;
	v[1] = k[1] ^ 0x646f72616e646f6dull;
	v[2] = k[0] ^ 0x6c7967656e657261ull;
	v[3] = k[1] ^ 0x7465646279746573ull;
	for (i = 0; i + 8 <= len; i += 8) {
		m = 0;
		for (j = 0; j < 8; j++)
			m |= (uint64_t)in[i + j] << (8 * j);
		v[3] ^= m;
		sip_round(v);
		sip_round(v);
		v[0] ^= m;
	}
	for (j = 0; j < tail; j++)
		b |= (uint64_t)in[i + j] << (8 * j);
	v[3] ^= b;
	sip_round(v);
	sip_round(v);
	v[0] ^= b;
	v[2] ^= 0xff;
	for (j = 0; j < 4; j++)
		sip_round(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

static uint32_t
key_hash(const struct shm_state *s, const char *key)
{
	return (uint32_t)siphash(s->hdr->hash_key, (const unsigned char *)key, strlen(key));
}

/* --- slots and links ---------------------------------------------------- */

static struct shm_slot *
slot_at(struct shm_state *s, uint32_t link)
{
	return (struct shm_slot *)(void *)((char *)s->hdr + s->hdr->slot_off +
	    (size_t)(link - 1) * s->hdr->slot_size);
}

static uint32_t
link_of(struct shm_state *s, const struct shm_slot *sl)
{
	return (uint32_t)(((const char *)sl - ((const char *)s->hdr + s->hdr->slot_off)) /
	    s->hdr->slot_size) + 1;
}

static uint32_t *
bucket_of(struct shm_state *s, uint32_t hash)
{
	return (uint32_t *)(void *)((char *)s->hdr + SHM_BUCKETS_OFF) +
	    (hash & (s->hdr->nbuckets - 1));
}

/* Where a slot's value starts in key[]: past the key's NUL, 8-aligned. */
static uint16_t
value_off(const char *key)
{
	return (uint16_t)((strlen(key) + 8) & ~(size_t)7);
}

/*
 * Mark the start and end of a change (under the lock), so that a holder's
 * death mid-change can be repaired.  The signal fences keep the compiler
 * from moving the change's stores across the marks; a SIGKILL lands
 * between two instructions, so program order is all that matters.
 */
static void
change_begin(struct shm_state *s, struct shm_slot *sl)
{
	__atomic_store_n(&s->hdr->dirty, link_of(s, sl), __ATOMIC_SEQ_CST);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

static void
change_end(struct shm_state *s)
{
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	__atomic_store_n(&s->hdr->dirty, NIL, __ATOMIC_SEQ_CST);
}

static void
relink_begin(struct shm_state *s)
{
	__atomic_store_n(&s->hdr->relink, 1, __ATOMIC_SEQ_CST);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

static void
relink_end(struct shm_state *s)
{
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	__atomic_store_n(&s->hdr->relink, 0, __ATOMIC_SEQ_CST);
}

/* Take sl off the LRU list (inside relink). */
static void
lru_unlink(struct shm_state *s, struct shm_slot *sl)
{
	struct shm_hdr	*h = s->hdr;

	if (sl->newer != NIL)
		slot_at(s, sl->newer)->older = sl->older;
	else
		h->newest = sl->older;
	if (sl->older != NIL)
		slot_at(s, sl->older)->newer = sl->newer;
	else
		h->oldest = sl->newer;
	sl->newer = sl->older = NIL;
}

/* Put sl (link l) at the newest end of the LRU list (inside relink). */
static void
lru_push(struct shm_state *s, struct shm_slot *sl, uint32_t l)
{
	struct shm_hdr	*h = s->hdr;

	sl->tick = ++h->tick;
	sl->newer = NIL;
	sl->older = h->newest;
	if (h->newest != NIL)
		slot_at(s, h->newest)->newer = l;
	else
		h->oldest = l;
	h->newest = l;
}

/* Take sl (link l) out of its bucket's chain (inside relink). */
static void
chain_unlink(struct shm_state *s, struct shm_slot *sl, uint32_t l)
{
	uint32_t	*p = bucket_of(s, sl->hash);
	uint32_t	 steps;

	for (steps = 0; *p != NIL && steps < s->hdr->nslots; steps++) {
		if (*p == l) {
			*p = sl->next;
			break;
		}
		p = &slot_at(s, *p)->next;
	}
	sl->next = NIL;
}

/*
 * Mark sl as used now, and move it to the newest end of the LRU list
 * unless it is still in the newer half (fewer than nslots / 2 pushes since
 * its own).  An entry used at least once per half a turnover of the cache
 * is never evicted, as with an exact LRU list, and most hits write no link
 * and touch no neighbour (memcached bumps once a minute for the same
 * reason).
 */
static void
touch(struct shm_state *s, struct shm_slot *sl, int64_t now)
{
	sl->used_ms = now;
	if (s->hdr->tick - sl->tick < s->hdr->nslots / 2)
		return;
	relink_begin(s);
	lru_unlink(s, sl);
	lru_push(s, sl, link_of(s, sl));
	relink_end(s);
}

/* The slot in use under key, or NULL.  No system call. */
static struct shm_slot *
find(struct shm_state *s, const char *key, uint32_t hash)
{
	struct shm_slot	*sl;
	uint32_t	 l, steps;

	l = *bucket_of(s, hash);
	for (steps = 0; l != NIL && steps < s->hdr->nslots; steps++) {
		sl = slot_at(s, l);
		if (sl->hash == hash && strcmp(sl->key, key) == 0)
			return sl;
		l = sl->next;
	}
	return NULL;
}

/* Return sl to the free list (inside relink). */
static void
slot_free(struct shm_state *s, struct shm_slot *sl)
{
	uint32_t	l = link_of(s, sl);

	if (sl->flags & SLOT_USED) {
		chain_unlink(s, sl, l);
		lru_unlink(s, sl);
		s->hdr->used--;
	}
	sl->flags = 0;
	sl->len = 0;
	sl->lease_pid = 0;
	sl->key[0] = '\0';
	sl->next = s->hdr->free;
	s->hdr->free = l;
}

/* A lease is held while its deadline is ahead (no system call). */
static int
lease_held(const struct shm_slot *sl, int64_t now)
{
	return (sl->flags & SLOT_LEASE) && now < sl->lease_until_ms;
}

/* A held lease is live while its holder exists: asked only when it blocks someone. */
static int
lease_live(const struct shm_slot *sl, int64_t now)
{
	if (!lease_held(sl, now))
		return 0;
	if (kill(sl->lease_pid, 0) == -1 && errno == ESRCH)
		return 0;
	return 1;
}

/*
 * The entry to evict for a new one: among the SHM_EVICT_LOOK oldest
 * entries not held by a lease, the first without a live value, else the
 * oldest of them.  Only when every entry holds a lease are the holders
 * asked whether they live: a dead holder's entry may go.
 */
static struct shm_slot *
pick_victim(struct shm_state *s, int64_t now)
{
	struct shm_slot	*sl, *lru = NULL;
	uint32_t	 l, steps, looked = 0;

	l = s->hdr->oldest;
	for (steps = 0; l != NIL && steps < s->hdr->nslots; steps++) {
		sl = slot_at(s, l);
		l = sl->newer;
		if (lease_held(sl, now))
			continue;
		if (!(sl->flags & SLOT_VALUE) || sl->expires_ms <= now)
			return sl;
		if (lru == NULL)
			lru = sl;
		if (++looked >= SHM_EVICT_LOOK)
			break;
	}
	if (lru != NULL)
		return lru;
	l = s->hdr->oldest;
	for (steps = 0; l != NIL && steps < s->hdr->nslots; steps++) {
		sl = slot_at(s, l);
		l = sl->newer;
		if (!lease_live(sl, now))
			return sl;
	}
	return NULL;
}

/*
 * Say that a live entry was evicted: at once the first time, then once
 * per SHM_EVICT_LOG_MS with a count, so a flood of new keys costs no
 * write(2) per eviction under the lock and no flood of log lines.
 */
static void
evicted_live(struct shm_state *s, int64_t now)
{
	struct shm_hdr	*h = s->hdr;

	h->evicted++;
	intake_metrics_count(INTAKE_METRIC_CACHE_EVICTION);
	if (h->evict_logged_ms != 0 && now - h->evict_logged_ms < SHM_EVICT_LOG_MS)
		return;
	intake_log_warn("cache: evicted a live entry (%u since the last such line); "
	    "consider a larger cache_entries", h->evicted);
	h->evicted = 0;
	h->evict_logged_ms = now;
}

/*
 * The slot of key: its own, else a free one, else an evicted one (see
 * pick_victim).  NULL when every slot holds a live lease.  A taken slot
 * is in the index under key, newest in the LRU list, with no value yet,
 * and still named as changing: every caller fills it (a value or a lease)
 * and so ends the change, and a death before that drops it.
 */
static struct shm_slot *
find_or_take(struct shm_state *s, const char *key, int64_t now)
{
	struct shm_hdr	*h = s->hdr;
	struct shm_slot	*sl, *victim;
	uint32_t	 hash = key_hash(s, key), l, *b;

	sl = find(s, key, hash);
	if (sl != NULL) {
		touch(s, sl, now);
		return sl;
	}
	/* Choose first (reads only), then change the links. */
	victim = NULL;
	if (h->free == NIL && h->untouched >= h->nslots) {
		victim = pick_victim(s, now);
		if (victim == NULL)
			return NULL;
		if ((victim->flags & SLOT_VALUE) && victim->expires_ms > now &&
		    now - victim->used_ms < 3600 * 1000)
			evicted_live(s, now);
	}
	relink_begin(s);
	if (victim != NULL)
		slot_free(s, victim);
	if (h->free != NIL) {
		l = h->free;
		sl = slot_at(s, l);
		h->free = sl->next;
	} else {
		l = ++h->untouched;
		sl = slot_at(s, l);
	}
	change_begin(s, sl);
	sl->flags = SLOT_USED;
	sl->len = 0;
	sl->lease_pid = 0;
	sl->expires_ms = 0;
	sl->used_ms = now;
	(void)intake_strlcpy(sl->key, key, INTAKE_CACHE_KEY_MAX);
	sl->voff = value_off(sl->key);
	sl->hash = hash;
	b = bucket_of(s, hash);
	sl->next = *b;
	*b = l;
	lru_push(s, sl, l);
	h->used++;
	/* The change stays open: the caller fills the slot, then ends it. */
	relink_end(s);
	return sl;
}

/*
 * Clear bits (SLOT_VALUE, SLOT_LEASE) of sl; a slot left with neither
 * goes back to the free list.
 */
static void
slot_drop(struct shm_state *s, struct shm_slot *sl, uint32_t bits)
{
	change_begin(s, sl);
	sl->flags = (uint16_t)(sl->flags & ~bits);
	if (bits & SLOT_VALUE)
		sl->len = 0;
	if (bits & SLOT_LEASE)
		sl->lease_pid = 0;
	/* relink ends before the change does: see shm_lock(). */
	if (!(sl->flags & (SLOT_VALUE | SLOT_LEASE))) {
		relink_begin(s);
		slot_free(s, sl);
		relink_end(s);
	}
	change_end(s);
}

/* Store a value in sl. */
static void
slot_store(struct shm_state *s, struct shm_slot *sl, const void *val, size_t len,
    int64_t expires_ms, int64_t now)
{
	change_begin(s, sl);
	memcpy(slot_value(sl), val, len);
	sl->len = (uint32_t)len;
	sl->expires_ms = expires_ms;
	sl->used_ms = now;
	sl->flags |= SLOT_VALUE;
	change_end(s);
}

/* Scratch for rebuild's sort of the LRU list. */
struct lru_rank {
	int64_t		used_ms;
	uint32_t	link;
};

static int
lru_rank_cmp(const void *a, const void *b)
{
	const struct lru_rank	*x = a, *y = b;

	if (x->used_ms != y->used_ms)
		return x->used_ms < y->used_ms ? -1 : 1;
	return x->link < y->link ? -1 : x->link > y->link;
}

/*
 * Remake every link from the slots alone: the index, the LRU list (by
 * last use, oldest first) and the free list.  A slot whose key is not a
 * string, or repeats one already indexed, is dropped.
 */
static void
rebuild(struct shm_state *s)
{
	struct shm_hdr	*h = s->hdr;
	struct shm_slot	*sl;
	struct lru_rank	*rank;
	uint32_t	 l, n = 0, i, hash, *b;
	bool		 keep;

	if (h->untouched > h->nslots)
		h->untouched = h->nslots;
	memset(bucket_of(s, 0), 0, (size_t)h->nbuckets * sizeof(uint32_t));
	h->free = h->newest = h->oldest = NIL;
	h->used = 0;
	rank = malloc((size_t)h->untouched * sizeof(*rank) + 1);
	for (l = h->untouched; l >= 1; l--) {
		sl = slot_at(s, l);
		sl->newer = sl->older = NIL;
		keep = (sl->flags & SLOT_USED) && (sl->flags & (SLOT_VALUE | SLOT_LEASE)) &&
		    memchr(sl->key, '\0', INTAKE_CACHE_KEY_MAX) != NULL &&
		    sl->voff == value_off(sl->key) && sl->len <= h->value_max;
		if (keep) {
			hash = key_hash(s, sl->key);
			keep = find(s, sl->key, hash) == NULL;
		}
		if (!keep) {
			sl->flags = 0;
			slot_free(s, sl);
			continue;
		}
		sl->hash = hash;
		b = bucket_of(s, hash);
		sl->next = *b;
		*b = l;
		h->used++;
		if (rank != NULL) {
			rank[n].used_ms = sl->used_ms;
			rank[n++].link = l;
		} else
			lru_push(s, sl, l);
	}
	if (rank != NULL) {
		qsort(rank, n, sizeof(*rank), lru_rank_cmp);
		for (i = 0; i < n; i++)
			lru_push(s, slot_at(s, rank[i].link), rank[i].link);
		free(rank);
	}
}

/* Take the lock, repairing what a dead holder left half done. 0 or -1. */
static int
shm_lock(struct shm_state *s)
{
	struct shm_hdr	*h = s->hdr;
	struct shm_slot	*sl;
	uint32_t	 dirty, relink;
	int		 rc;

	rc = pthread_mutex_lock(&h->lock);
	if (rc == 0)
		return 0;
	if (rc != EOWNERDEAD) {
		intake_log_err("cache: lock failed: %s", strerror(rc));
		return -1;
	}
	dirty = __atomic_load_n(&h->dirty, __ATOMIC_SEQ_CST);
	relink = __atomic_load_n(&h->relink, __ATOMIC_SEQ_CST);
	if (dirty != NIL && dirty <= h->nslots) {
		intake_log_warn("cache: a process died changing an entry; that entry dropped");
		sl = slot_at(s, dirty);
		if (relink)
			sl->flags = 0;		/* rebuild leaves it out */
		else if (sl->flags & SLOT_USED) {
			/* The links are whole: unlink it as usual. */
			relink_begin(s);
			slot_free(s, sl);
			relink_end(s);
		}
	} else if (!relink)
		intake_log_warn("cache: a process died holding the cache lock; nothing lost");
	if (relink) {
		rebuild(s);
		intake_log_warn("cache: a process died relinking the index; index rebuilt");
	}
	change_end(s);
	relink_end(s);
	(void)pthread_mutex_consistent(&h->lock);
	return 0;
}

static void
shm_unlock(struct shm_state *s)
{
	(void)pthread_mutex_unlock(&s->hdr->lock);
}

static void
wake_all(struct shm_state *s)
{
	__atomic_add_fetch(&s->hdr->gen, 1, __ATOMIC_SEQ_CST);
	(void)syscall(SYS_futex, &s->hdr->gen, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

/*
 * Lock, then find or take the slot of key (the one path of set, add, incr
 * and lease): INTAKE_OK with the lock held, or an error without it.
 */
static enum intake_err
lock_take(struct shm_state *s, const char *key, int64_t now, struct shm_slot **slp)
{
	if (shm_lock(s) != 0)
		return INTAKE_ECACHE;
	*slp = find_or_take(s, key, now);
	if (*slp == NULL) {
		shm_unlock(s);
		return INTAKE_ECACHE;
	}
	return INTAKE_OK;
}

/* Lock, then find the slot of key (NULL: none): 0 with the lock held, or -1. */
static int
lock_find(struct shm_state *s, const char *key, struct shm_slot **slp)
{
	if (shm_lock(s) != 0)
		return -1;
	*slp = find(s, key, key_hash(s, key));
	return 0;
}

static enum intake_err
map_file(struct shm_state *s, int fd, size_t size)
{
	void	*p;

	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		intake_log_err("cache: mmap %s: %s", s->path, strerror(errno));
		return INTAKE_ESYS;
	}
	s->hdr = p;
	s->size = size;
	return INTAKE_OK;
}

/* The shape of a store: counts and offsets, all checked for overflow. */
struct shm_geom {
	uint32_t	nslots;
	uint32_t	slot_size;
	uint32_t	value_max;
	uint32_t	nbuckets;
	uint64_t	slot_off;
	size_t		total;
};

static uint64_t
align_up(uint64_t n)
{
	return (n + SHM_ALIGN - 1) & ~(uint64_t)(SHM_ALIGN - 1);
}

/* Lay out an empty store in the mapping. */
static enum intake_err
format(struct shm_state *s, const struct shm_geom *g)
{
	pthread_mutexattr_t	 attr;
	struct shm_hdr		*h = s->hdr;
	int			 rc;

	/*
	 * The file is new and empty (ftruncate gives zeros), so the buckets
	 * (NIL) and the slots (never used, past untouched) need no clearing:
	 * the pages stay sparse until used.
	 */
	memset(h, 0, sizeof(*h));
	h->size = s->size;
	h->nslots = g->nslots;
	h->slot_size = g->slot_size;
	h->value_max = g->value_max;
	h->nbuckets = g->nbuckets;
	h->slot_off = g->slot_off;
	if (getrandom(h->hash_key, sizeof(h->hash_key), 0) != (ssize_t)sizeof(h->hash_key)) {
		/* No entropy yet (early boot): a weaker key beats no cache. */
		h->hash_key[0] = (uint64_t)intake_now_ms() ^ ((uint64_t)getpid() << 32);
		h->hash_key[1] = (uint64_t)(uintptr_t)h ^ 0x9e3779b97f4a7c15ull;
	}
	(void)pthread_mutexattr_init(&attr);
	(void)pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
	(void)pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
	rc = pthread_mutex_init(&h->lock, &attr);
	(void)pthread_mutexattr_destroy(&attr);
	if (rc != 0) {
		intake_log_err("cache: mutex init: %s", strerror(rc));
		return INTAKE_ESYS;
	}
	h->version = SHM_VERSION;
	__atomic_store_n(&h->magic, SHM_MAGIC, __ATOMIC_RELEASE);
	return INTAKE_OK;
}

/*
 * Sizes from the config, checked for overflow: the header, the buckets
 * (a power of two, at least twice the slots), then the slots.
 */
static enum intake_err
layout(const struct intake_cache_geometry *cfg, struct shm_geom *g)
{
	uint64_t	ss, nb = 1, off, t;

	if (cfg->entries < 1 || cfg->entries > (1 << 30) || cfg->entry_max < 0) {
		intake_log_err("cache: %s: bad entry count or size", cfg->path);
		return INTAKE_ECONFIG;
	}
	/* Twice the slots, so a hit walks 1.25 entries on average, not 1.5. */
	while (nb < 2 * (uint64_t)cfg->entries)
		nb <<= 1;
	ss = align_up(sizeof(struct shm_slot) + INTAKE_CACHE_KEY_MAX + (uint64_t)cfg->entry_max);
	off = align_up(SHM_BUCKETS_OFF + nb * sizeof(uint32_t));
	t = off + ss * (uint64_t)cfg->entries;
	if (ss > UINT32_MAX || t > ((uint64_t)1 << 34)) {
		intake_log_err("cache: %s: entries x entry size is too large", cfg->path);
		return INTAKE_ECONFIG;
	}
	g->nslots = (uint32_t)cfg->entries;
	g->slot_size = (uint32_t)ss;
	g->value_max = (uint32_t)cfg->entry_max;
	g->nbuckets = (uint32_t)nb;
	g->slot_off = off;
	g->total = (size_t)t;
	return INTAKE_OK;
}

static int
hdr_matches(const struct shm_hdr *h, const struct shm_geom *g)
{
	return __atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) == SHM_MAGIC &&
	    h->version == SHM_VERSION && h->size == g->total && h->nslots == g->nslots &&
	    h->slot_size == g->slot_size && h->value_max == g->value_max &&
	    h->nbuckets == g->nbuckets && h->slot_off == g->slot_off;
}

/* Supervisor: a new file renamed into place. */
static enum intake_err
open_fresh(struct shm_state *s, const struct shm_geom *g)
{
	char		tmp[INTAKE_PATH_MAX + 16];
	enum intake_err	err;
	int		fd, n;

	n = snprintf(tmp, sizeof(tmp), "%s.%ld", s->path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return INTAKE_ECONFIG;
	fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd == -1) {
		intake_log_err("cache: cannot create %s: %s", tmp, strerror(errno));
		return INTAKE_ESYS;
	}
	if (ftruncate(fd, (off_t)g->total) == -1) {
		intake_log_err("cache: cannot size %s: %s", tmp, strerror(errno));
		(void)close(fd);
		(void)unlink(tmp);
		return INTAKE_ESYS;
	}
	err = map_file(s, fd, g->total);
	(void)close(fd);
	if (err == INTAKE_OK)
		err = format(s, g);
	if (err == INTAKE_OK && rename(tmp, s->path) == -1) {
		intake_log_err("cache: cannot rename to %s: %s", s->path, strerror(errno));
		err = INTAKE_ESYS;
	}
	if (err != INTAKE_OK) {
		(void)unlink(tmp);
		if (s->hdr != NULL)
			(void)munmap(s->hdr, g->total);
		s->hdr = NULL;
	}
	return err;
}

/*
 * CGI: attach, creating under flock when missing.  A file of another
 * layout (the config changed, or an older format) is replaced by a fresh
 * one renamed over it, never reformatted in place: other processes may
 * still have it mapped.
 */
static enum intake_err
open_shared(struct shm_state *s, const struct shm_geom *g)
{
	struct stat	st;
	enum intake_err	err;
	int		fd, fresh;

	fd = open(s->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd == -1) {
		intake_log_err("cache: cannot open %s: %s", s->path, strerror(errno));
		return INTAKE_ESYS;
	}
	if (flock(fd, LOCK_EX) == -1 || fstat(fd, &st) == -1) {
		intake_log_err("cache: cannot lock %s: %s", s->path, strerror(errno));
		(void)close(fd);
		return INTAKE_ESYS;
	}
	/* An empty file is ours to lay out; any other size is another layout. */
	fresh = st.st_size == 0;
	if (fresh && ftruncate(fd, (off_t)g->total) == -1) {
		intake_log_err("cache: cannot size %s: %s", s->path, strerror(errno));
		(void)close(fd);
		return INTAKE_ESYS;
	}
	if (!fresh && (size_t)st.st_size != g->total) {
		err = open_fresh(s, g);
		(void)close(fd);
		return err;
	}
	err = map_file(s, fd, g->total);
	if (err == INTAKE_OK && !hdr_matches(s->hdr, g)) {
		if (fresh)
			err = format(s, g);
		else {
			(void)munmap(s->hdr, g->total);
			s->hdr = NULL;
			err = open_fresh(s, g);
		}
	}
	(void)flock(fd, LOCK_UN);
	(void)close(fd);
	return err;
}

static enum intake_err
shm_open_(const struct intake_cache_geometry *cfg, bool fresh, void **state)
{
	struct shm_state	*s;
	struct shm_geom		 g;
	enum intake_err		 err;

	err = layout(cfg, &g);
	if (err != INTAKE_OK)
		return err;
	s = intake_xcalloc(1, sizeof(*s));
	err = intake_strlcpy(s->path, cfg->path, sizeof(s->path));
	if (err == INTAKE_OK)
		err = fresh ? open_fresh(s, &g) : open_shared(s, &g);
	if (err != INTAKE_OK) {
		free(s);
		return err;
	}
	*state = s;
	return INTAKE_OK;
}

static enum intake_err
shm_child_init(void *state)
{
	(void)state;	/* the mapping and the mutex are inherited as they are */
	return INTAKE_OK;
}

static void
shm_close(void *state)
{
	struct shm_state	*s = state;

	if (s == NULL)
		return;
	if (s->hdr != NULL)
		(void)munmap(s->hdr, s->size);
	free(s);
}

static enum intake_err
shm_get(void *state, const char *key, void *val, size_t cap, size_t *len, bool *hit)
{
	struct shm_state	*s = state;
	struct shm_slot		*sl;
	enum intake_err		 err = INTAKE_OK;
	int64_t			 now = intake_now_ms();
	bool			 found = false;
	size_t			 n = 0;

	if (lock_find(s, key, &sl) != 0)
		return INTAKE_ECACHE;
	if (sl != NULL && (sl->flags & SLOT_VALUE) && sl->expires_ms > now) {
		if (sl->len > cap) {
			err = INTAKE_ETOOBIG;
			goto out;
		}
		memcpy(val, slot_value(sl), sl->len);
		n = sl->len;
		touch(s, sl, now);
		found = true;
	}
out:
	shm_unlock(s);
	if (err == INTAKE_OK) {
		*hit = found;
		*len = n;
	}
	return err;
}

static enum intake_err
shm_set(void *state, const char *key, const void *val, size_t len, int64_t expires_ms)
{
	struct shm_state	*s = state;
	struct shm_slot		*sl;
	enum intake_err		 err;
	int64_t			 now = intake_now_ms();

	if (len > s->hdr->value_max) {
		intake_log_warn("cache: value of %zu bytes over cache_entry_max", len);
		return INTAKE_ETOOBIG;
	}
	err = lock_take(s, key, now, &sl);
	if (err != INTAKE_OK) {
		intake_log_warn("cache: every entry is being filled; value not stored");
		return err;
	}
	slot_store(s, sl, val, len, expires_ms, now);
	shm_unlock(s);
	return INTAKE_OK;
}

static enum intake_err
shm_add(void *state, const char *key, const void *val, size_t len, int64_t expires_ms,
    bool *added)
{
	struct shm_state	*s = state;
	struct shm_slot		*sl;
	enum intake_err		 err;
	int64_t			 now = intake_now_ms();
	bool			 done = false;

	if (len > s->hdr->value_max)
		return INTAKE_ETOOBIG;
	err = lock_take(s, key, now, &sl);
	if (err != INTAKE_OK)
		return err;
	if (!(sl->flags & SLOT_VALUE) || sl->expires_ms <= now) {
		slot_store(s, sl, val, len, expires_ms, now);
		done = true;
	}
	shm_unlock(s);
	*added = done;
	return INTAKE_OK;
}

static enum intake_err
shm_incr(void *state, const char *key, int64_t expires_ms, long long *count)
{
	struct shm_state	*s = state;
	struct shm_slot		*sl;
	enum intake_err		 err;
	int64_t			 now = intake_now_ms();
	long long		 v = 0;

	err = lock_take(s, key, now, &sl);
	if (err != INTAKE_OK)
		return err;
	/* The counter is the slot's value, a native long long. */
	if ((sl->flags & SLOT_VALUE) && sl->expires_ms > now && sl->len == sizeof(v)) {
		memcpy(&v, slot_value(sl), sizeof(v));
		expires_ms = sl->expires_ms;
	}
	v++;
	slot_store(s, sl, &v, sizeof(v), expires_ms, now);
	shm_unlock(s);
	*count = v;
	return INTAKE_OK;
}

static enum intake_err
shm_del(void *state, const char *key, const void *if_val, size_t if_len)
{
	struct shm_state	*s = state;
	struct shm_slot		*sl;

	if (lock_find(s, key, &sl) != 0)
		return INTAKE_ECACHE;
	if (sl != NULL && (sl->flags & SLOT_VALUE) &&
	    (if_val == NULL || (sl->len == if_len && memcmp(slot_value(sl), if_val, if_len) == 0)))
		slot_drop(s, sl, SLOT_VALUE);
	shm_unlock(s);
	return INTAKE_OK;
}

static enum intake_err
shm_lease(void *state, const char *key, int64_t lease_ms, bool *leader)
{
	struct shm_state	*s = state;
	struct shm_slot		*sl;
	int64_t			 now = intake_now_ms();
	enum intake_err		 err;
	bool			 got = false;

	err = lock_take(s, key, now, &sl);
	if (err != INTAKE_OK)
		return err;
	/* A held lease blocks us: only now is its holder asked whether it lives. */
	if (!lease_live(sl, now)) {
		change_begin(s, sl);
		sl->flags |= SLOT_LEASE;
		sl->lease_pid = (int32_t)getpid();
		sl->lease_until_ms = now + lease_ms;
		change_end(s);
		got = true;
	}
	shm_unlock(s);
	*leader = got;
	return INTAKE_OK;
}

static enum intake_err
shm_release(void *state, const char *key)
{
	struct shm_state	*s = state;
	struct shm_slot		*sl;

	if (lock_find(s, key, &sl) != 0)
		return INTAKE_ECACHE;
	if (sl != NULL && (sl->flags & SLOT_LEASE) && sl->lease_pid == (int32_t)getpid())
		slot_drop(s, sl, SLOT_LEASE);
	shm_unlock(s);
	wake_all(s);
	return INTAKE_OK;
}

static enum intake_err
shm_wait(void *state, const char *key, int64_t timeout_ms)
{
	struct shm_state	*s = state;
	struct shm_slot		*sl;
	struct timespec		 ts;
	int64_t			 deadline, now, step;
	uint32_t		 gen;
	int			 held, dead;

	deadline = intake_now_ms() + timeout_ms;
	for (;;) {
		if (lock_find(s, key, &sl) != 0)
			return INTAKE_ECACHE;
		now = intake_now_ms();
		held = sl != NULL && (sl->flags & SLOT_LEASE);
		/* We are blocked: ask whether the holder lives. */
		dead = held && !lease_live(sl, now);
		if (dead) {
			intake_log_warn("cache: lease holder %ld is gone; lease released",
			    (long)sl->lease_pid);
			slot_drop(s, sl, SLOT_LEASE);
		}
		gen = __atomic_load_n(&s->hdr->gen, __ATOMIC_SEQ_CST);
		shm_unlock(s);
		if (dead)
			wake_all(s);
		if (!held || dead)
			return INTAKE_OK;
		if (now >= deadline)
			return INTAKE_ETIMEOUT;
		step = deadline - now;
		if (step > SHM_CHECK_MS)
			step = SHM_CHECK_MS;
		ts.tv_sec = step / 1000;
		ts.tv_nsec = (step % 1000) * 1000000;
		/* EAGAIN (gen moved on), EINTR and ETIMEDOUT all mean: look again. */
		(void)syscall(SYS_futex, &s->hdr->gen, FUTEX_WAIT, gen, &ts, NULL, 0);
	}
}

/* O(slots in use), but only when the supervisor reaps a worker. */
static void
shm_reap(void *state, pid_t pid)
{
	struct shm_state	*s = state;
	struct shm_slot		*sl;
	uint32_t		 l, next, steps;
	int			 woke = 0;

	if (shm_lock(s) != 0)
		return;
	l = s->hdr->oldest;
	for (steps = 0; l != NIL && steps < s->hdr->nslots; steps++) {
		sl = slot_at(s, l);
		next = sl->newer;
		if ((sl->flags & SLOT_LEASE) && sl->lease_pid == (int32_t)pid) {
			slot_drop(s, sl, SLOT_LEASE);
			woke = 1;
		}
		l = next;
	}
	shm_unlock(s);
	if (woke) {
		intake_log_warn("cache: released the leases of dead worker %ld", (long)pid);
		wake_all(s);
	}
}

/* Format a validation failure into why; INTAKE_ECACHE. */
static enum intake_err
invalid(char *why, size_t whysz, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(why, whysz, fmt, ap);
	va_end(ap);
	return INTAKE_ECACHE;
}

/* Check every link against the slots (under the lock, the caller's). */
static enum intake_err
validate_locked(struct shm_state *s, char *why, size_t whysz)
{
	struct shm_hdr	*h = s->hdr;
	struct shm_slot	*sl;
	uint32_t	 l, prev, b, n, nfree, nused = 0;

	if (h->dirty != NIL || h->relink != 0)
		return invalid(why, whysz, "a change is marked in progress");
	if (h->untouched > h->nslots || h->used > h->untouched)
		return invalid(why, whysz, "counts out of range");
	for (l = 1; l <= h->untouched; l++) {
		sl = slot_at(s, l);
		if (!(sl->flags & SLOT_USED))
			continue;
		nused++;
		if (!(sl->flags & (SLOT_VALUE | SLOT_LEASE)))
			return invalid(why, whysz, "slot %u in use holds nothing", l);
		if (memchr(sl->key, '\0', INTAKE_CACHE_KEY_MAX) == NULL)
			return invalid(why, whysz, "slot %u key unterminated", l);
		if (sl->voff != value_off(sl->key) || sl->len > h->value_max)
			return invalid(why, whysz, "slot %u value out of place", l);
		if (sl->hash != key_hash(s, sl->key))
			return invalid(why, whysz, "slot %u hash is stale", l);
		if (find(s, sl->key, sl->hash) != sl)
			return invalid(why, whysz, "slot %u not found by its key", l);
	}
	if (nused != h->used)
		return invalid(why, whysz, "%u slots in use, header says %u", nused, h->used);
	n = 0;
	for (b = 0; b < h->nbuckets; b++)
		for (l = *bucket_of(s, b); l != NIL; l = slot_at(s, l)->next) {
			if (l > h->untouched || ++n > nused)
				return invalid(why, whysz, "bucket %u chain runs wild", b);
			sl = slot_at(s, l);
			if (!(sl->flags & SLOT_USED) || (sl->hash & (h->nbuckets - 1)) != b)
				return invalid(why, whysz, "slot %u in the wrong chain", l);
		}
	if (n != nused)
		return invalid(why, whysz, "%u slots in chains, %u in use", n, nused);
	n = 0;
	prev = NIL;
	for (l = h->newest; l != NIL; l = sl->older) {
		if (l > h->untouched || ++n > nused)
			return invalid(why, whysz, "LRU list runs wild");
		sl = slot_at(s, l);
		if (!(sl->flags & SLOT_USED) || sl->newer != prev)
			return invalid(why, whysz, "LRU link of slot %u broken", l);
		prev = l;
	}
	if (n != nused || h->oldest != prev)
		return invalid(why, whysz, "LRU list holds %u of %u", n, nused);
	nfree = 0;
	for (l = h->free; l != NIL; l = slot_at(s, l)->next) {
		if (l > h->untouched || ++nfree > h->untouched - nused)
			return invalid(why, whysz, "free list runs wild");
		if (slot_at(s, l)->flags != 0)
			return invalid(why, whysz, "free slot %u has flags", l);
	}
	if (nfree + nused != h->untouched)
		return invalid(why, whysz, "%u free + %u used != %u", nfree, nused, h->untouched);
	return INTAKE_OK;
}

enum intake_err
intake_cache_shm_validate(void *state, char *why, size_t whysz)
{
	struct shm_state	*s = state;
	enum intake_err		 err;

	if (shm_lock(s) != 0)
		return invalid(why, whysz, "cannot lock");
	err = validate_locked(s, why, whysz);
	shm_unlock(s);
	return err;
}

const struct intake_cache_backend intake_cache_shm = {
	.name = "shm",
	.leaves_process = false,
	.open = shm_open_,
	.child_init = shm_child_init,
	.close = shm_close,
	.get = shm_get,
	.set = shm_set,
	.del = shm_del,
	.add = shm_add,
	.incr = shm_incr,
	.lease = shm_lease,
	.release = shm_release,
	.wait = shm_wait,
	.reap = shm_reap,
};
