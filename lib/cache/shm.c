/*
 * shm.c - the cache backend shared by the processes of one host.
 *
 * A file mapped MAP_SHARED holds a header, a hash index, the clock's
 * positions and fixed-size slots.  One robust, process-shared mutex guards everything; it is held
 * only for copies and a few link updates, never across I/O or a system
 * call on the lookup path.
 *
 * Where an entry lies: its hash names a home group of slots in a row (the
 * hash's high bits; the bucket takes the low ones), and a new
 * entry goes there whenever the group has room (see place()).  So a
 * lookup asks for the group's lines and its bucket at once, from the hash
 * alone, before it takes the lock, and finds an entry at home in the
 * first of them to arrive: one miss, not an index line and then a slot
 * (two dependent misses: once the store outgrows the last-level cache,
 * each is a cache and TLB miss).  A group is as many slots as fit
 * SHM_HOME_BYTES, at most SHM_HOME: 8 of a mark's 128 bytes, where about
 * 85 entries in 100 lie at home when the store is full (a Poisson share
 * of groups overflow) and 77 after long churn (groups of 4 held 80 and
 * 69, and the second miss of the others showed in the time of a uniform
 * get at 65,536 entries; 16 gained nothing more).  A store of large
 * slots (the main cache's hold a whole list) gets groups of one: a
 * lookup's scan reads a slot header per member, each on a page of its
 * own there, and every page a worker touches alone counts in its
 * private memory.
 *
 * A slot is a header of 40 bytes, room for the store's longest key
 * (key_max, chosen per cache: the marks cache's are 56 bytes, hashed past
 * that by cache.c) and its largest value, rounded up to a line: 128 bytes
 * for a mark, two lines, so that 65,536 of them take 9 MB with the index,
 * where 192-byte slots took 14 MB and 704-byte ones 47 MB.
 *
 * The index finds the others, and is the truth for every entry: a
 * power-of-two array of buckets of one cache line each, at least one per
 * 4 slots.  A bucket holds the hash and the slot of up to SHM_WAYS keys
 * that hash there (SipHash under a random key chosen per file, so
 * anonymous input cannot aim at one bucket or one group), and the head of
 * a chain, through the slots, of the rare keys that did not fit.  Every
 * link is 1 + a slot number (0: none), never a pointer: each process maps
 * the file at its own address.
 *
 * The clock (below) counts positions, not slots: order[] and pos[] map
 * one to the other, so an entry keeps its place in the eviction order
 * when it moves.  A new entry takes a position as before (the free list,
 * else the next never used: positions past hdr->untouched, so the file's
 * pages stay sparse until needed) and then, if its slot is not at home,
 * swaps slots with a free one of its group, or with one held by an entry
 * away from its own home, which is copied to the new entry's slot.  The
 * cost is on inserts: a move copies an entry and repoints its bucket.
 * Tried and dropped before this: a table of slot hints read beside the
 * bucket (it missed the cache as the bucket did).  Huge pages would
 * shrink the TLB part of each miss, but shared memory gets them only where
 * /sys/kernel/mm/transparent_hugepage/shmem_enabled allows it.
 *
 * Eviction is CLOCK (second chance): a hit sets a referenced bit in the
 * slot it has just read, and writes nothing else (no list to relink, no
 * neighbour to touch: at 65,536 entries each such touch was a cache miss).
 * A new key in a full store sends the store's hand round the positions in
 * order: a referenced entry loses its bit and is passed over, the first
 * one without is the candidate; a slot without a live value (expired, or
 * a lapsed lease) among the candidate and the SHM_EVICT_LOOK entries after
 * it goes first, else the candidate.  Entries under a lease are skipped.
 * A new entry starts unreferenced, so a flood of new keys, each stored
 * once and never read, evicts its own kind before entries that are read
 * again; an entry read at least once per turn of the hand is never
 * evicted.
 *
 * Crash safety: before a holder changes a slot's contents it names the
 * slot in the header (hdr->dirty), and before it changes any link (the
 * index, the positions, the free list) it sets hdr->relink; both are
 * cleared when done.  If it dies holding the lock, the next locker drops
 * the named slot, which may be half written (a cache may forget; it must
 * not lie), and, when links were changing, rebuilds every link from the
 * slots (O(slots), but only after a crash).  A move names its copy until
 * the copy is whole, then the slot it left: a death drops one of the two.
 * Referenced bits and the hand need no mark: each is one store, and any
 * value of them is a valid state.
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
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "cache/backend.h"
#include "cache/cache.h"
#include "core/log.h"
#include "core/metrics.h"
#include "util/str.h"

#define SHM_MAGIC	0x494e544bu	/* "INTK" */
#define SHM_VERSION	7u		/* 7: 40-byte slot header (6: keys of key_max bytes) */
#define SHM_CHECK_MS	1000		/* waiter's liveness check of a holder */
#define SHM_EVICT_LOOK	32		/* entries past the candidate searched for an expired one */
#define SHM_ALIGN	64		/* buckets and slots start on a cache line */
#define SHM_WAYS	7		/* keys a bucket holds before its chain */
#define SHM_PER_BUCKET	4		/* slots per bucket, at most */
#define SHM_HOME	8		/* slots of a home group, at most */
#define SHM_HOME_BYTES	1024		/* bytes of a home group, at most (one slot at least) */
#define SHM_EVICT_LOG_MS 10000		/* at most one eviction line per 10 s */

#define SLOT_VALUE	0x1u		/* slot holds a value */
#define SLOT_LEASE	0x2u		/* slot holds a lease */
#define SLOT_USED	0x4u		/* slot is in the index */
#define SLOT_REF	0x8u		/* read or written since the hand last passed */
#define SLOT_FLAGS	0xfu		/* every flag above */

#define NIL		0u		/* the null link; slot i is link i + 1 */

struct shm_hdr {
	uint32_t	magic;
	uint32_t	version;
	uint64_t	size;		/* bytes of the whole mapping */
	uint32_t	nslots;
	uint32_t	slot_size;	/* bytes of one slot, header included */
	uint32_t	value_max;
	uint32_t	key_max;	/* bytes of a key with its NUL, a multiple of 8 */
	uint32_t	nbuckets;	/* a power of two, >= nslots / SHM_PER_BUCKET */
	uint64_t	slot_off;	/* bytes from the mapping's start to slot 0 */
	uint64_t	order_off;	/* bytes to the clock's order[], then pos[] */
	uint64_t	hash_key[2];	/* SipHash key, random per file */
	uint32_t	gen;		/* futex word: bumped by every release */
	uint32_t	dirty;		/* link of the slot being changed; NIL: none */
	uint32_t	relink;		/* 1 while links (index, free list) change */
	uint32_t	used;		/* slots in use */
	uint32_t	untouched;	/* positions (untouched, nslots] were never used */
	uint32_t	free;		/* head of the free list (a position) */
	uint32_t	hand;		/* the clock's next position (NIL: position 1) */
	uint32_t	evicted;	/* live entries evicted since the last log line */
	int64_t		evict_logged_ms;
	pthread_mutex_t	lock;
};

struct shm_slot {
	uint16_t	flags;		/* SLOT_* */
	uint16_t	voff;		/* the value's offset in key[]: just past the key */
	uint32_t	len;		/* value bytes */
	uint32_t	hash;		/* low bits of the key's hash */
	uint32_t	next;		/* a bucket's overflow chain, or the free list's next position */
	int32_t		lease_pid;
	uint32_t	used_s;		/* last access, in s since the epoch (wraps in 2106) */
	int64_t		expires_ms;
	int64_t		lease_until_ms;
	/*
	 * The key (at most hdr->key_max bytes with its NUL), then the
	 * value at voff, packed so that a short key and a small value share
	 * the header's cache lines: one miss less per lookup.
	 */
	char		key[];
};
_Static_assert(sizeof(struct shm_slot) == 40, "a mark's header, key and value fill two lines");
_Static_assert(INTAKE_CACHE_KEY_MAX % 8 == 0, "a value after the longest key is 8-aligned");

/*
 * Lines of a slot prefetched before the lock: the header and the longest
 * key of any store (a constant, so the loop unrolls; in a store of
 * shorter keys, as the marks', that is the whole slot, value included).
 */
#define SHM_PREFETCH	((sizeof(struct shm_slot) + INTAKE_CACHE_KEY_MAX + SHM_ALIGN - 1) / SHM_ALIGN)

/*
 * One line of the index.  Ways fill from the first: after a NIL link all
 * are NIL, and the chain is empty unless every way is full.  Written only
 * under the lock and the relink mark; read without the lock only as a
 * prefetch hint (hence the relaxed atomic stores and loads).
 */
struct shm_bucket {
	uint32_t	hash[SHM_WAYS + 1];	/* the hash of each way's key; the last is spare */
	uint32_t	link[SHM_WAYS];		/* each way's slot; NIL: free */
	uint32_t	over;			/* chain of the keys that did not fit */
};
_Static_assert(sizeof(struct shm_bucket) == SHM_ALIGN, "a bucket is one line");
_Static_assert(SHM_WAYS + 1 == 8 && offsetof(struct shm_bucket, link) == 32,
    "bucket_match compares the hashes, then the links, 8 words each");

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
	uint32_t	 home;		/* slots of a home group (from the slot size) */
	uint32_t	 ngroups;	/* home groups of the store */
	uint32_t	 lines;		/* lines of a slot prefetched, at most SHM_PREFETCH */
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

static struct shm_bucket *
bucket_of(struct shm_state *s, uint32_t hash)
{
	return (struct shm_bucket *)(void *)((char *)s->hdr + SHM_BUCKETS_OFF) +
	    (hash & (s->hdr->nbuckets - 1));
}

/*
 * The clock's positions apart from the slots: order[p - 1] is the link at
 * position p, pos[l - 1] the position of link l, and NIL in either stands
 * for the same number (position l holds link l), so a new file needs no
 * setup.  Positions are what the clock, the free list and untouched count
 * in; links are where entries lie and what the index names.
 */
static uint32_t *
order_arr(struct shm_state *s)
{
	return (uint32_t *)(void *)((char *)s->hdr + s->hdr->order_off);
}

static uint32_t
at_pos(struct shm_state *s, uint32_t p)
{
	uint32_t	l = order_arr(s)[p - 1];

	return l == NIL ? p : l;
}

static uint32_t
pos_of(struct shm_state *s, uint32_t l)
{
	uint32_t	p = order_arr(s)[s->hdr->nslots + l - 1];

	return p == NIL ? l : p;
}

static void
set_pos(struct shm_state *s, uint32_t p, uint32_t l)
{
	order_arr(s)[p - 1] = l == p ? NIL : l;
	order_arr(s)[s->hdr->nslots + l - 1] = p == l ? NIL : p;
}

/* The slot at clock position p. */
static struct shm_slot *
slot_at_pos(struct shm_state *s, uint32_t p)
{
	return slot_at(s, at_pos(s, p));
}

/*
 * The home group of hash: s->home slots in a row from *first (fewer in
 * the last group), chosen by the hash's high bits (the bucket takes the
 * low ones).
 */
static void
home_range(struct shm_state *s, uint32_t hash, uint32_t *first, uint32_t *n)
{
	uint32_t	ns = s->hdr->nslots, home = s->home, g;

	g = (uint32_t)(((uint64_t)hash * s->ngroups) >> 32);
	*first = g * home + 1;
	*n = ns - g * home < home ? ns - g * home : home;
}

/* Whether link l lies in the home group of hash. */
static bool
at_home(struct shm_state *s, uint32_t hash, uint32_t l)
{
	uint32_t	first, n;

	home_range(s, hash, &first, &n);
	return l >= first && l < first + n;
}

/* A store into the index (see struct shm_bucket). */
static void
index_store(uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
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

/* Take sl (link l) out of the index (inside relink). */
static void
index_del(struct shm_state *s, struct shm_slot *sl, uint32_t l)
{
	struct shm_bucket	*b = bucket_of(s, sl->hash);
	struct shm_slot		*o;
	uint32_t		*p, i, last, steps;

	for (i = 0; i < SHM_WAYS && b->link[i] != NIL && b->link[i] != l; i++)
		continue;
	if (i < SHM_WAYS && b->link[i] == l) {
		/* Fill the gap with the last way, and that one from the chain. */
		for (last = i; last + 1 < SHM_WAYS && b->link[last + 1] != NIL; last++)
			continue;
		index_store(&b->hash[i], b->hash[last]);
		index_store(&b->link[i], b->link[last]);
		index_store(&b->link[last], NIL);
		if (b->over != NIL) {
			o = slot_at(s, b->over);
			index_store(&b->hash[last], o->hash);
			index_store(&b->link[last], b->over);
			index_store(&b->over, o->next);
			o->next = NIL;
		}
		return;
	}
	p = &b->over;
	for (steps = 0; *p != NIL && steps < s->hdr->nslots; steps++) {
		if (*p == l) {
			index_store(p, sl->next);
			break;
		}
		p = &slot_at(s, *p)->next;
	}
	sl->next = NIL;
}

/* Put sl (link l) into the index: a free way, else its bucket's chain (inside relink). */
static void
index_add(struct shm_state *s, struct shm_slot *sl, uint32_t l)
{
	struct shm_bucket	*b = bucket_of(s, sl->hash);
	uint32_t		 i;

	sl->next = NIL;
	for (i = 0; i < SHM_WAYS; i++)
		if (b->link[i] == NIL) {
			index_store(&b->hash[i], sl->hash);
			index_store(&b->link[i], l);
			return;
		}
	sl->next = b->over;
	index_store(&b->over, l);
}

/* A slot's record of its last use: seconds, enough for the eviction log's hour. */
static uint32_t
secs_of(int64_t now_ms)
{
	return (uint32_t)(now_ms / 1000);
}

/*
 * Mark sl as used now: a hit writes only the slot it has just read (its
 * referenced bit and last use), never a link, so it needs no relink mark.
 */
static void
touch(struct shm_slot *sl, int64_t now)
{
	sl->used_s = secs_of(now);
	sl->flags = (uint16_t)(sl->flags | SLOT_REF);
}

/*
 * The ways of b in use whose hash is hash, as bits (way i: bit i).  No
 * branch per way: where the key sits is random, and a mispredicted branch
 * per lookup costs as much as the rest of the scan; with SSE2, 4 compares
 * of 4 words each.  Read without the lock by prefetch_slot(), where a torn
 * read only misdirects a prefetch.
 */
static uint32_t
bucket_match(const struct shm_bucket *b, uint32_t hash)
{
	uint32_t	m;
#ifdef __SSE2__
	const __m128i	*v = (const __m128i *)(const void *)b;
	__m128i		 want = _mm_set1_epi32((int)hash), zero = _mm_setzero_si128();

	/* A way matches when its hash does and its link is not NIL. */
	m = (uint32_t)_mm_movemask_ps(_mm_castsi128_ps(_mm_andnot_si128(
	    _mm_cmpeq_epi32(_mm_load_si128(&v[2]), zero),
	    _mm_cmpeq_epi32(_mm_load_si128(&v[0]), want))));
	m |= (uint32_t)_mm_movemask_ps(_mm_castsi128_ps(_mm_andnot_si128(
	    _mm_cmpeq_epi32(_mm_load_si128(&v[3]), zero),
	    _mm_cmpeq_epi32(_mm_load_si128(&v[1]), want)))) << 4;
#else
	uint32_t	i;

	m = 0;
	for (i = 0; i < SHM_WAYS; i++)
		m |= (uint32_t)((b->hash[i] == hash) & (b->link[i] != NIL)) << i;
#endif
	/* The eighth word pairs the spare hash with the chain's head. */
	return m & ((1u << SHM_WAYS) - 1);
}

/*
 * The slot in use under key found through the index, or NULL.  No system
 * call; a slot is read only when its hash matches.
 */
static struct shm_slot *
find_indexed(struct shm_state *s, const char *key, uint32_t hash)
{
	struct shm_bucket	*b = bucket_of(s, hash);
	struct shm_slot		*sl;
	uint32_t		 l, m, steps;

	for (m = bucket_match(b, hash); m != 0; m &= m - 1) {
		sl = slot_at(s, b->link[__builtin_ctz(m)]);
		if (strcmp(sl->key, key) == 0)
			return sl;
	}
	/* Empty unless every way is full. */
	l = b->over;
	for (steps = 0; l != NIL && steps < s->hdr->nslots; steps++) {
		sl = slot_at(s, l);
		if (sl->hash == hash && strcmp(sl->key, key) == 0)
			return sl;
		l = sl->next;
	}
	return NULL;
}

/*
 * The slot in use under key, or NULL: first in its home group, where
 * most entries lie (whose lines prefetch_slot() has asked for), and only
 * then through the index.  No system call.
 */
static struct shm_slot *
find(struct shm_state *s, const char *key, uint32_t hash)
{
	struct shm_slot	*sl;
	uint32_t	 first, n, i;

	home_range(s, hash, &first, &n);
	for (i = 0; i < n; i++) {
		sl = slot_at(s, first + i);
		if ((sl->flags & SLOT_USED) && sl->hash == hash && strcmp(sl->key, key) == 0)
			return sl;
	}
	return find_indexed(s, key, hash);
}

/*
 * Before the lock: start loading the home group of hash (the lines of
 * each slot's header and of the longest key, where a small value lies
 * too) and its bucket, all at once, from the hash alone: an entry at
 * home then costs one miss, and it overlaps the locking.
 */
static void
prefetch_slot(struct shm_state *s, uint32_t hash)
{
	const char	*p;
	uint32_t	 first, n, i, j;

	home_range(s, hash, &first, &n);
	for (i = 0; i < n; i++) {
		p = (const char *)slot_at(s, first + i);
		for (j = 0; j < s->lines; j++)
			__builtin_prefetch(p + j * SHM_ALIGN, 1);
	}
	__builtin_prefetch(bucket_of(s, hash), 0);
}

/* Return sl to the free list (inside relink). */
static void
slot_free(struct shm_state *s, struct shm_slot *sl)
{
	uint32_t	l = link_of(s, sl);

	if (sl->flags & SLOT_USED) {
		index_del(s, sl, l);
		s->hdr->used--;
	}
	sl->flags = 0;
	sl->len = 0;
	sl->lease_pid = 0;
	sl->key[0] = '\0';
	sl->next = s->hdr->free;
	s->hdr->free = pos_of(s, l);
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

/* The position after l on the clock's face (1 .. untouched, round). */
static uint32_t
clock_next(const struct shm_hdr *h, uint32_t l)
{
	return l >= h->untouched ? 1 : l + 1;
}

/*
 * The entry to evict for a new one (the store is full), by CLOCK: from
 * the hand on, skipping entries under a lease, clear the referenced bit
 * of each entry that has it until one has not: the candidate.  The first
 * entry without a live value, among those passed and the SHM_EVICT_LOOK
 * after the candidate, goes instead (its bit is not looked at: it holds
 * nothing worth keeping).  The hand stops just past the victim, or on the
 * candidate when the victim lay beyond it.  At most one turn plus
 * SHM_EVICT_LOOK steps: after one turn every bit is clear.  Only when
 * every entry holds a lease are the holders asked whether they live: a
 * dead holder's entry may go.
 */
static struct shm_slot *
pick_victim(struct shm_state *s, int64_t now)
{
	struct shm_hdr	*h = s->hdr;
	struct shm_slot	*sl, *cand = NULL;
	uint32_t	 l, cl = NIL, steps, looked = 0, first = NIL;

	l = h->hand == NIL || h->hand > h->untouched ? 1 : h->hand;
	for (steps = 0; steps < h->untouched + SHM_EVICT_LOOK; steps++, l = clock_next(h, l)) {
		sl = slot_at_pos(s, l);
		if (!(sl->flags & SLOT_USED) || lease_held(sl, now))
			continue;
		if (!(sl->flags & SLOT_VALUE) || sl->expires_ms <= now) {
			h->hand = cand != NULL ? cl : clock_next(h, l);
			return sl;
		}
		if (cand != NULL) {
			if (++looked >= SHM_EVICT_LOOK)
				break;
			continue;
		}
		if (first == NIL)
			first = l;
		else if (l == first)
			break;		/* a whole turn: every bit is clear now */
		if (sl->flags & SLOT_REF) {
			sl->flags = (uint16_t)(sl->flags & ~SLOT_REF);
			continue;
		}
		cand = sl;
		cl = l;
	}
	if (cand == NULL && first != NIL) {
		/* A turn cleared every bit: the first entry passed goes. */
		cand = slot_at_pos(s, first);
		cl = first;
	}
	if (cand != NULL) {
		h->hand = clock_next(h, cl);
		return cand;
	}
	for (l = 1; l <= h->untouched; l++) {
		sl = slot_at_pos(s, l);
		if ((sl->flags & SLOT_USED) && !lease_live(sl, now))
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

/* Make the index name link to instead of from, for the entry of hash (inside relink). */
static void
index_repoint(struct shm_state *s, uint32_t hash, uint32_t from, uint32_t to)
{
	struct shm_bucket	*b = bucket_of(s, hash);
	uint32_t		*p, i, steps;

	for (i = 0; i < SHM_WAYS; i++)
		if (b->link[i] == from) {
			index_store(&b->link[i], to);
			return;
		}
	p = &b->over;
	for (steps = 0; *p != NIL && steps < s->hdr->nslots; steps++) {
		if (*p == from) {
			index_store(p, to);
			return;
		}
		p = &slot_at(s, *p)->next;
	}
}

/*
 * Swap the slots of two clock positions: position p (now at link lf)
 * takes link l, and the position of l takes lf.  Each entry keeps its
 * place in the clock's order; only where it lies changes.
 */
static void
swap_places(struct shm_state *s, uint32_t p, uint32_t lf, uint32_t l)
{
	uint32_t	pl = pos_of(s, l);

	set_pos(s, p, l);
	set_pos(s, pl, lf);
}

/*
 * Where the new entry of position p (in the free slot f) and of hash
 * lies (inside relink): in f when f is in its home group; else in a free
 * slot of that group (the positions swap their slots); else in a slot of
 * that group held by an entry away from its own home, which moves to f
 * and keeps its position; else in f.  So an entry lies at home whenever
 * its group has room for it, however full the store.  The move is named
 * as changing f until it is done: a death before then drops the copy.
 */
static struct shm_slot *
place(struct shm_state *s, uint32_t p, struct shm_slot *f, uint32_t hash)
{
	struct shm_slot	*sl;
	uint32_t	 lf = link_of(s, f), first, n, i, l, away = NIL;

	home_range(s, hash, &first, &n);
	if (lf >= first && lf < first + n)
		return f;
	for (i = 0; i < n; i++) {
		l = first + i;
		sl = slot_at(s, l);
		if (!(sl->flags & SLOT_USED)) {
			/* Its position may be on the free list: f carries the link on. */
			f->next = sl->next;
			swap_places(s, p, lf, l);
			return sl;
		}
		if (away == NIL && !at_home(s, sl->hash, l))
			away = l;
	}
	if (away == NIL)
		return f;
	sl = slot_at(s, away);
	change_begin(s, f);
	memcpy(f, sl, offsetof(struct shm_slot, key) + sl->voff + sl->len);
	index_repoint(s, sl->hash, away, lf);
	swap_places(s, p, lf, away);
	return sl;
}

/*
 * The slot of key (hash: its hash): its own, else a free one, else an
 * evicted one (see pick_victim).  NULL when every slot holds a live
 * lease.  A taken slot is in the index under key, unreferenced, with no
 * value yet, and still named as changing: every caller fills it (a value
 * or a lease) and so ends the change, and a death before that drops it.
 */
static struct shm_slot *
find_or_take(struct shm_state *s, const char *key, uint32_t hash, int64_t now)
{
	struct shm_hdr	*h = s->hdr;
	struct shm_slot	*sl, *victim;
	uint32_t	 l, p;

	sl = find(s, key, hash);
	if (sl != NULL) {
		touch(sl, now);
		return sl;
	}
	/* Choose first (clearing referenced bits only), then change the links. */
	victim = NULL;
	if (h->free == NIL && h->untouched >= h->nslots) {
		victim = pick_victim(s, now);
		if (victim == NULL)
			return NULL;
		if ((victim->flags & SLOT_VALUE) && victim->expires_ms > now &&
		    secs_of(now) - victim->used_s < 3600)
			evicted_live(s, now);
	}
	relink_begin(s);
	if (victim != NULL)
		slot_free(s, victim);
	if (h->free != NIL) {
		p = h->free;
		sl = slot_at_pos(s, p);
		h->free = sl->next;
	} else {
		p = ++h->untouched;
		sl = slot_at_pos(s, p);
	}
	sl = place(s, p, sl, hash);
	l = link_of(s, sl);
	change_begin(s, sl);
	sl->flags = SLOT_USED;
	sl->len = 0;
	sl->lease_pid = 0;
	sl->expires_ms = 0;
	sl->used_s = secs_of(now);
	(void)intake_strlcpy(sl->key, key, h->key_max);
	sl->voff = value_off(sl->key);
	sl->hash = hash;
	index_add(s, sl, l);
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
	sl->used_s = secs_of(now);
	sl->flags |= SLOT_VALUE;
	change_end(s);
}

/*
 * Remake every link from the slots alone: the index, the clock's
 * positions (each slot back at its own number, so untouched ends at the
 * last slot in use) and the free list.  Every slot is read, since a torn
 * swap of positions may hide one: O(slots), only after a crash.  A slot
 * whose key is not a string, or repeats one already indexed, is dropped.
 * Referenced bits stay as they are.
 */
static void
rebuild(struct shm_state *s)
{
	struct shm_hdr	*h = s->hdr;
	struct shm_slot	*sl;
	uint32_t	 l, hash = 0, top = 0;
	bool		 keep;

	memset(bucket_of(s, 0), 0, (size_t)h->nbuckets * sizeof(struct shm_bucket));
	memset(order_arr(s), 0, (size_t)h->nslots * 2 * sizeof(uint32_t));
	h->free = NIL;
	h->used = 0;
	for (l = h->nslots; l >= 1; l--) {
		sl = slot_at(s, l);
		if (sl->flags == 0)
			continue;
		keep = (sl->flags & SLOT_USED) && (sl->flags & (SLOT_VALUE | SLOT_LEASE)) &&
		    !(sl->flags & ~SLOT_FLAGS) &&
		    memchr(sl->key, '\0', h->key_max) != NULL &&
		    sl->voff == value_off(sl->key) && sl->len <= h->value_max;
		if (keep) {
			hash = key_hash(s, sl->key);
			keep = find_indexed(s, sl->key, hash) == NULL;
		}
		if (!keep) {
			sl->flags = 0;
			continue;
		}
		sl->hash = hash;
		index_add(s, sl, l);
		h->used++;
		if (top == 0)
			top = l;
	}
	h->untouched = top;
	if (h->hand > top)
		h->hand = NIL;
	for (l = top; l >= 1; l--) {
		sl = slot_at(s, l);
		if (sl->flags & SLOT_USED)
			continue;
		sl->next = h->free;
		h->free = l;
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

/* Wake every waiter (after the lock is let go: they take it at once). */
static void
wake_all(struct shm_state *s)
{
	__atomic_add_fetch(&s->hdr->gen, 1, __ATOMIC_SEQ_CST);
	(void)syscall(SYS_futex, &s->hdr->gen, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

/* Let go of the lock, then wake the waiters when a lease was dropped. */
static void
unlock_wake(struct shm_state *s, bool wake)
{
	shm_unlock(s);
	if (wake)
		wake_all(s);
}

/* Give sl's lease to this process until now + lease_ms. */
static void
lease_take(struct shm_state *s, struct shm_slot *sl, int64_t now, int64_t lease_ms)
{
	change_begin(s, sl);
	sl->flags |= SLOT_LEASE;
	sl->lease_pid = (int32_t)getpid();
	sl->lease_until_ms = now + lease_ms;
	change_end(s);
}

/*
 * Drop sl's lease (the release, a dead holder's, a reaped worker's); the
 * caller wakes the waiters once it has let go of the lock (unlock_wake).
 */
static void
lease_drop(struct shm_state *s, struct shm_slot *sl)
{
	slot_drop(s, sl, SLOT_LEASE);
}

/*
 * Read the clock into *now (when asked), hash key (len bytes) and start
 * loading its slot, so that the slot's miss overlaps the locking.  The clock comes
 * first: its read waits for every instruction before it (lfence), so
 * after the hash it cost a get 10 to 20 ns at 256 entries.  The hash.
 */
static uint32_t
lock_prepare(struct shm_state *s, const char *key, size_t len, int64_t *now)
{
	uint32_t	hash;

	if (now != NULL)
		*now = intake_now_ms();
	hash = (uint32_t)siphash(s->hdr->hash_key, (const unsigned char *)key, len);
	prefetch_slot(s, hash);
	return hash;
}

/*
 * Lock, then find or take the slot of key (the one path of set, add, incr
 * and lease), with the time read in *now: INTAKE_OK with the lock held,
 * or an error without it (INTAKE_EINVAL: a key longer than this store's).
 */
static enum intake_err
lock_take(struct shm_state *s, const char *key, int64_t *now, struct shm_slot **slp)
{
	uint32_t	hash;
	size_t		len = strlen(key);

	if (len >= s->hdr->key_max)
		return INTAKE_EINVAL;
	hash = lock_prepare(s, key, len, now);
	if (shm_lock(s) != 0)
		return INTAKE_ECACHE;
	*slp = find_or_take(s, key, hash, *now);
	if (*slp == NULL) {
		shm_unlock(s);
		return INTAKE_ECACHE;
	}
	return INTAKE_OK;
}

/*
 * Lock, then take the slot of key for a value of len bytes (the one path
 * of set and add): INTAKE_ETOOBIG (logged) over this store's largest
 * value, INTAKE_ECACHE when every slot holds a live lease, else INTAKE_OK
 * with the lock held.
 */
static enum intake_err
lock_take_value(struct shm_state *s, const char *key, size_t len, int64_t *now,
    struct shm_slot **slp)
{
	if (len > s->hdr->value_max) {
		intake_log_warn("cache: %s: value of %zu bytes over this cache's limit of %u; "
		    "not stored", s->path, len, s->hdr->value_max);
		return INTAKE_ETOOBIG;
	}
	return lock_take(s, key, now, slp);
}

/*
 * Lock, then find the slot of key (NULL: none), with the time read in
 * *now unless now is NULL: INTAKE_OK with the lock held, INTAKE_EINVAL
 * for a key longer than this store's, or INTAKE_ECACHE.
 */
static enum intake_err
lock_find(struct shm_state *s, const char *key, int64_t *now, struct shm_slot **slp)
{
	uint32_t	hash;
	size_t		len = strlen(key);

	if (len >= s->hdr->key_max)
		return INTAKE_EINVAL;
	hash = lock_prepare(s, key, len, now);
	if (shm_lock(s) != 0)
		return INTAKE_ECACHE;
	*slp = find(s, key, hash);
	return INTAKE_OK;
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
	uint32_t	home;		/* slots of a home group */
	uint32_t	value_max;
	uint32_t	key_max;
	uint32_t	nbuckets;
	uint64_t	order_off;
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
	 * (NIL), the positions (NIL: each slot at its own) and the slots
	 * (never used, past untouched) need no clearing: the pages stay
	 * sparse until used.
	 */
	memset(h, 0, sizeof(*h));
	h->size = s->size;
	h->nslots = g->nslots;
	h->slot_size = g->slot_size;
	h->value_max = g->value_max;
	h->key_max = g->key_max;
	h->nbuckets = g->nbuckets;
	h->slot_off = g->slot_off;
	h->order_off = g->order_off;
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
 * (a power of two, at least one per SHM_PER_BUCKET slots), the clock's
 * order[] and pos[] (4 bytes a slot each), then the slots (a header, room
 * for the longest key, the largest value, rounded up to a line).
 */
static enum intake_err
layout(const struct intake_cache_geometry *cfg, struct shm_geom *g)
{
	uint64_t	ss, nb = 1, order, off, t, km;

	/* A key's slot room, 8-aligned so that a value after the longest key fits too. */
	km = cfg->key_max > 0 ? ((uint64_t)cfg->key_max + 7) & ~(uint64_t)7 : INTAKE_CACHE_KEY_MAX;
	if (cfg->entries < 1 || cfg->entries > (1 << 30) || cfg->entry_max < 0 ||
	    cfg->key_max < 0 || km > INTAKE_CACHE_KEY_MAX) {
		intake_log_err("cache: %s: bad entry count or size", cfg->path);
		return INTAKE_ECONFIG;
	}
	/*
	 * At most 4 keys per bucket of 7 ways on average: about 2 keys in 100
	 * overflow into a chain when the store is full (Poisson), and a line
	 * per 4 slots is 16 bytes of index per slot.
	 */
	while (nb * SHM_PER_BUCKET < (uint64_t)cfg->entries)
		nb <<= 1;
	ss = align_up(sizeof(struct shm_slot) + km + (uint64_t)cfg->entry_max);
	order = align_up(SHM_BUCKETS_OFF + nb * sizeof(struct shm_bucket));
	off = align_up(order + 2 * sizeof(uint32_t) * (uint64_t)cfg->entries);
	t = off + ss * (uint64_t)cfg->entries;
	if (ss > UINT32_MAX || t > ((uint64_t)1 << 34)) {
		intake_log_err("cache: %s: entries x entry size is too large", cfg->path);
		return INTAKE_ECONFIG;
	}
	g->nslots = (uint32_t)cfg->entries;
	g->slot_size = (uint32_t)ss;
	/* As many slots as fit SHM_HOME_BYTES, at most SHM_HOME, at least one. */
	g->home = (uint32_t)(ss >= SHM_HOME_BYTES ? 1 : SHM_HOME_BYTES / ss > SHM_HOME ?
	    SHM_HOME : SHM_HOME_BYTES / ss);
	g->value_max = (uint32_t)cfg->entry_max;
	g->key_max = (uint32_t)km;
	g->nbuckets = (uint32_t)nb;
	g->order_off = order;
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
	    h->key_max == g->key_max &&
	    h->nbuckets == g->nbuckets && h->slot_off == g->slot_off &&
	    h->order_off == g->order_off;
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
	s->home = g.home;
	s->ngroups = (g.nslots + g.home - 1) / g.home;
	s->lines = g.slot_size / SHM_ALIGN < SHM_PREFETCH ? g.slot_size / SHM_ALIGN :
	    (uint32_t)SHM_PREFETCH;
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
	int64_t			 now;
	bool			 found = false;
	size_t			 n = 0;

	err = lock_find(s, key, &now, &sl);
	if (err != INTAKE_OK)
		return err;
	if (sl != NULL && (sl->flags & SLOT_VALUE) && sl->expires_ms > now) {
		if (sl->len > cap) {
			err = INTAKE_ETOOBIG;
			goto out;
		}
		memcpy(val, slot_value(sl), sl->len);
		n = sl->len;
		touch(sl, now);
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
	int64_t			 now;

	err = lock_take_value(s, key, len, &now, &sl);
	if (err == INTAKE_ECACHE)
		intake_log_warn("cache: every entry is being filled; value not stored");
	if (err != INTAKE_OK)
		return err;
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
	int64_t			 now;
	bool			 done = false;

	err = lock_take_value(s, key, len, &now, &sl);
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
	int64_t			 now;
	long long		 v = 0;

	err = lock_take(s, key, &now, &sl);
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
	enum intake_err		 err;

	err = lock_find(s, key, NULL, &sl);
	if (err != INTAKE_OK)
		return err;
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
	int64_t			 now;
	enum intake_err		 err;
	bool			 got = false;

	err = lock_take(s, key, &now, &sl);
	if (err != INTAKE_OK)
		return err;
	/* A held lease blocks us: only now is its holder asked whether it lives. */
	if (!lease_live(sl, now)) {
		lease_take(s, sl, now, lease_ms);
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
	enum intake_err		 err;

	err = lock_find(s, key, NULL, &sl);
	if (err != INTAKE_OK)
		return err;
	if (sl != NULL && (sl->flags & SLOT_LEASE) && sl->lease_pid == (int32_t)getpid())
		lease_drop(s, sl);
	unlock_wake(s, true);
	return INTAKE_OK;
}

static enum intake_err
shm_wait(void *state, const char *key, int64_t timeout_ms)
{
	struct shm_state	*s = state;
	struct shm_slot		*sl;
	struct timespec		 ts;
	enum intake_err		 err;
	int64_t			 deadline, now, step;
	uint32_t		 gen;
	int			 held, dead;

	deadline = intake_now_ms() + timeout_ms;
	for (;;) {
		err = lock_find(s, key, NULL, &sl);
		if (err != INTAKE_OK)
			return err;
		now = intake_now_ms();
		held = sl != NULL && (sl->flags & SLOT_LEASE);
		/* We are blocked: ask whether the holder lives. */
		dead = held && !lease_live(sl, now);
		if (dead) {
			intake_log_warn("cache: lease holder %ld is gone; lease released",
			    (long)sl->lease_pid);
			lease_drop(s, sl);
		}
		gen = __atomic_load_n(&s->hdr->gen, __ATOMIC_SEQ_CST);
		unlock_wake(s, dead);
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

/* O(slots ever used), in address order, but only when the supervisor reaps a worker. */
static void
shm_reap(void *state, pid_t pid)
{
	struct shm_state	*s = state;
	struct shm_slot		*sl;
	uint32_t		 l;
	bool			 woke = false;

	if (shm_lock(s) != 0)
		return;
	for (l = 1; l <= s->hdr->untouched; l++) {
		sl = slot_at_pos(s, l);
		if ((sl->flags & SLOT_USED) && (sl->flags & SLOT_LEASE) &&
		    sl->lease_pid == (int32_t)pid) {
			lease_drop(s, sl);
			woke = true;
		}
	}
	unlock_wake(s, woke);
	if (woke)
		intake_log_warn("cache: released the leases of dead worker %ld", (long)pid);
}

/* Format a validation failure into why; INTAKE_ECACHE. */
static enum intake_err	invalid(char *, size_t, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static enum intake_err
invalid(char *why, size_t whysz, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(why, whysz, fmt, ap);
	va_end(ap);
	return INTAKE_ECACHE;
}

/* Check each slot ever used, and count those in use into *nused. */
static enum intake_err
validate_slots(struct shm_state *s, uint32_t *nused, char *why, size_t whysz)
{
	struct shm_hdr	*h = s->hdr;
	struct shm_slot	*sl;
	uint32_t	 l, p;

	*nused = 0;
	for (p = 1; p <= h->nslots; p++) {
		l = at_pos(s, p);
		if (l > h->nslots || pos_of(s, l) != p)
			return invalid(why, whysz, "position %u and slot %u disagree", p, l);
	}
	for (p = 1; p <= h->untouched; p++) {
		l = at_pos(s, p);
		sl = slot_at(s, l);
		if (sl->flags & ~SLOT_FLAGS)
			return invalid(why, whysz, "slot %u has unknown flags", l);
		if (!(sl->flags & SLOT_USED))
			continue;
		(*nused)++;
		if (!(sl->flags & (SLOT_VALUE | SLOT_LEASE)))
			return invalid(why, whysz, "slot %u in use holds nothing", l);
		if (memchr(sl->key, '\0', h->key_max) == NULL)
			return invalid(why, whysz, "slot %u key unterminated", l);
		if (sl->voff != value_off(sl->key) || sl->len > h->value_max)
			return invalid(why, whysz, "slot %u value out of place", l);
		if (sl->hash != key_hash(s, sl->key))
			return invalid(why, whysz, "slot %u hash is stale", l);
		if (find_indexed(s, sl->key, sl->hash) != sl || find(s, sl->key, sl->hash) != sl)
			return invalid(why, whysz, "slot %u not found by its key", l);
	}
	if (*nused != h->used)
		return invalid(why, whysz, "%u slots in use, header says %u", *nused, h->used);
	return INTAKE_OK;
}

/*
 * Check bucket b: ways filled from the first, each naming a slot in use
 * of this bucket, a chain only behind full ways; *n counts the slots
 * named (never past nused, so a loop cannot run wild).
 */
static enum intake_err
validate_bucket(struct shm_state *s, uint32_t b, uint32_t nused, uint32_t *n, char *why,
    size_t whysz)
{
	struct shm_hdr		*h = s->hdr;
	struct shm_bucket	*bk = bucket_of(s, b);
	struct shm_slot		*sl;
	uint32_t		 l, i;

	for (i = 0; i < SHM_WAYS && bk->link[i] != NIL; i++) {
		l = bk->link[i];
		if (l > h->nslots || pos_of(s, l) > h->untouched || ++*n > nused)
			return invalid(why, whysz, "bucket %u names too many slots", b);
		sl = slot_at(s, l);
		if (!(sl->flags & SLOT_USED) || sl->hash != bk->hash[i] ||
		    (sl->hash & (h->nbuckets - 1)) != b)
			return invalid(why, whysz, "slot %u in the wrong bucket", l);
	}
	if (i < SHM_WAYS) {
		for (; i < SHM_WAYS; i++)
			if (bk->link[i] != NIL)
				return invalid(why, whysz, "bucket %u has a gap", b);
		if (bk->over != NIL)
			return invalid(why, whysz, "bucket %u chains with a free way", b);
	}
	for (l = bk->over; l != NIL; l = sl->next) {
		if (l > h->nslots || pos_of(s, l) > h->untouched || ++*n > nused)
			return invalid(why, whysz, "bucket %u chain runs wild", b);
		sl = slot_at(s, l);
		if (!(sl->flags & SLOT_USED) || (sl->hash & (h->nbuckets - 1)) != b)
			return invalid(why, whysz, "slot %u in the wrong chain", l);
	}
	return INTAKE_OK;
}

/* Check every link against the slots (under the lock, the caller's). */
static enum intake_err
validate_locked(struct shm_state *s, char *why, size_t whysz)
{
	struct shm_hdr	*h = s->hdr;
	enum intake_err	 err;
	uint32_t	 l, b, n, nfree, nused;

	if (h->dirty != NIL || h->relink != 0)
		return invalid(why, whysz, "a change is marked in progress");
	if (h->untouched > h->nslots || h->used > h->untouched || h->hand > h->untouched)
		return invalid(why, whysz, "counts out of range");
	err = validate_slots(s, &nused, why, whysz);
	if (err != INTAKE_OK)
		return err;
	n = 0;
	for (b = 0; b < h->nbuckets; b++) {
		err = validate_bucket(s, b, nused, &n, why, whysz);
		if (err != INTAKE_OK)
			return err;
	}
	if (n != nused)
		return invalid(why, whysz, "%u slots indexed, %u in use", n, nused);
	nfree = 0;
	for (l = h->free; l != NIL; l = slot_at_pos(s, l)->next) {
		if (l > h->untouched || ++nfree > h->untouched - nused)
			return invalid(why, whysz, "free list runs wild");
		if (slot_at_pos(s, l)->flags != 0)
			return invalid(why, whysz, "free position %u has flags", l);
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

enum intake_err
intake_cache_shm_at_home(void *state, uint32_t *home, uint32_t *used)
{
	struct shm_state	*s = state;
	struct shm_slot		*sl;
	uint32_t		 p, l;

	if (shm_lock(s) != 0)
		return INTAKE_ECACHE;
	*home = *used = 0;
	for (p = 1; p <= s->hdr->untouched; p++) {
		l = at_pos(s, p);
		sl = slot_at(s, l);
		if (!(sl->flags & SLOT_USED))
			continue;
		(*used)++;
		*home += at_home(s, sl->hash, l);
	}
	shm_unlock(s);
	return INTAKE_OK;
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
