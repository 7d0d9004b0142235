/*
 * shm.c - the cache backend shared by the processes of one host.
 *
 * A file mapped MAP_SHARED holds a header and fixed-size slots.  One
 * robust, process-shared mutex guards everything; it is held only for
 * copies, never across I/O.  Before a holder changes a slot it names it
 * in the header (hdr->dirty) and clears the name when done, so if it
 * dies holding the lock, the next locker drops that one slot, which may
 * be half written (a cache may forget; it must not lie), and keeps the
 * rest.
 *
 * Single flight: a slot may carry a lease (pid, deadline) with or without
 * a value.  Waiters sleep on a futex on the header's generation word;
 * every release bumps it and wakes them all.  The supervisor releases the
 * leases of a worker it reaps; a waiter also checks every second whether
 * the holder is still alive, which matters only for plain CGI, where no
 * supervisor exists.
 *
 * The supervisor makes a fresh file at start (rename over the old one, so
 * a stale mapping is never reinitialised under a live process); a CGI
 * process attaches to what is there and creates it under flock if absent.
 */
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"
#include "intake/log.h"
#include "intake/str.h"

#define SHM_MAGIC	0x494e544bu	/* "INTK" */
#define SHM_VERSION	2u
#define SHM_CHECK_MS	1000		/* waiter's liveness check of a holder */

#define SLOT_VALUE	0x1u		/* slot holds a value */
#define SLOT_LEASE	0x2u		/* slot holds a lease */

struct shm_hdr {
	uint32_t	magic;
	uint32_t	version;
	uint64_t	size;		/* bytes of the whole mapping */
	uint32_t	nslots;
	uint32_t	slot_size;	/* bytes of one slot, header included */
	uint32_t	value_max;
	uint32_t	gen;		/* futex word: bumped by every release */
	uint32_t	dirty;		/* 1 + the slot being changed; 0: none */
	pthread_mutex_t	lock;
};

struct shm_slot {
	uint32_t	flags;		/* SLOT_* */
	uint32_t	len;		/* value bytes */
	int64_t		expires_ms;
	int64_t		used_ms;	/* last access, for LRU eviction */
	int64_t		lease_until_ms;
	int32_t		lease_pid;
	uint32_t	pad;
	char		key[INTAKE_CACHE_KEY_MAX];
	unsigned char	value[];
};

struct shm_state {
	struct shm_hdr	*hdr;
	size_t		 size;
	char		 path[INTAKE_PATH_MAX];
};

static struct shm_slot *
slot_at(struct shm_state *s, uint32_t i)
{
	return (struct shm_slot *)(void *)((char *)s->hdr + sizeof(struct shm_hdr) +
	    (size_t)i * s->hdr->slot_size);
}

static void
slot_clear(struct shm_slot *sl)
{
	sl->flags = 0;
	sl->len = 0;
	sl->lease_pid = 0;
	sl->key[0] = '\0';
}

/*
 * About to change sl (under the lock): name it, so that a holder's death
 * mid-change costs that slot only.  The stores are sequentially
 * consistent, so the compiler keeps the slot's writes between the two.
 */
static void
change_begin(struct shm_state *s, struct shm_slot *sl)
{
	uint32_t	i = (uint32_t)(((char *)sl - ((char *)s->hdr + sizeof(struct shm_hdr))) /
	    s->hdr->slot_size);

	__atomic_store_n(&s->hdr->dirty, i + 1, __ATOMIC_SEQ_CST);
}

static void
change_end(struct shm_state *s)
{
	__atomic_store_n(&s->hdr->dirty, 0, __ATOMIC_SEQ_CST);
}

/* Take the lock, recovering it from a dead holder. 0 or -1. */
static int
shm_lock(struct shm_state *s)
{
	uint32_t	dirty;
	int		rc;

	rc = pthread_mutex_lock(&s->hdr->lock);
	if (rc == 0)
		return 0;
	if (rc != EOWNERDEAD) {
		intake_log_err("cache: lock failed: %s", strerror(rc));
		return -1;
	}
	dirty = __atomic_load_n(&s->hdr->dirty, __ATOMIC_SEQ_CST);
	if (dirty != 0 && dirty <= s->hdr->nslots) {
		slot_clear(slot_at(s, dirty - 1));
		intake_log_warn("cache: a process died changing an entry; that entry dropped");
	} else
		intake_log_warn("cache: a process died holding the cache lock; nothing lost");
	change_end(s);
	(void)pthread_mutex_consistent(&s->hdr->lock);
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

static struct shm_slot *
find(struct shm_state *s, const char *key)
{
	struct shm_slot	*sl;
	uint32_t	 i;

	for (i = 0; i < s->hdr->nslots; i++) {
		sl = slot_at(s, i);
		if (sl->flags != 0 && strcmp(sl->key, key) == 0)
			return sl;
	}
	return NULL;
}

/* A lease is live while its deadline is ahead and its holder exists. */
static int
lease_live(const struct shm_slot *sl, int64_t now)
{
	if (!(sl->flags & SLOT_LEASE))
		return 0;
	if (now >= sl->lease_until_ms)
		return 0;
	if (kill(sl->lease_pid, 0) == -1 && errno == ESRCH)
		return 0;
	return 1;
}

/*
 * A slot for key: its own, else a free one, else an expired one without
 * a live lease, else the least recently used one without a live lease.
 */
static struct shm_slot *
find_or_take(struct shm_state *s, const char *key, int64_t now)
{
	struct shm_slot	*sl, *freesl = NULL, *expired = NULL, *lru = NULL;
	uint32_t	 i;

	for (i = 0; i < s->hdr->nslots; i++) {
		sl = slot_at(s, i);
		if (sl->flags == 0) {
			if (freesl == NULL)
				freesl = sl;
			continue;
		}
		if (strcmp(sl->key, key) == 0)
			return sl;
		if (lease_live(sl, now))
			continue;
		if (expired == NULL && (!(sl->flags & SLOT_VALUE) || sl->expires_ms <= now))
			expired = sl;
		if (lru == NULL || sl->used_ms < lru->used_ms)
			lru = sl;
	}
	sl = freesl != NULL ? freesl : expired != NULL ? expired : lru;
	if (sl == NULL)
		return NULL;
	if (sl == lru && sl != freesl && sl != expired &&
	    sl->expires_ms > now && now - sl->used_ms < 3600 * 1000)
		intake_log_warn("cache: evicted a live entry; consider a larger cache_entries");
	change_begin(s, sl);
	slot_clear(sl);
	(void)intake_strlcpy(sl->key, key, sizeof(sl->key));
	sl->used_ms = now;
	return sl;
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

/* Lay out an empty store in the mapping. */
static enum intake_err
format(struct shm_state *s, uint32_t nslots, uint32_t slot_size, uint32_t value_max)
{
	pthread_mutexattr_t	 attr;
	struct shm_hdr		*h = s->hdr;
	int			 rc;

	/*
	 * The file is new and empty (ftruncate gives zeros), so the slots need
	 * no clearing: the pages stay sparse until used.
	 */
	memset(h, 0, sizeof(*h));
	h->size = s->size;
	h->nslots = nslots;
	h->slot_size = slot_size;
	h->value_max = value_max;
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

/* Sizes from the config, checked for overflow. */
static enum intake_err
layout(const struct intake_cache_geometry *cfg, uint32_t *nslots, uint32_t *slot_size,
    uint32_t *value_max, size_t *total)
{
	uint64_t	ss, t;

	ss = sizeof(struct shm_slot) + (uint64_t)cfg->entry_max;
	ss = (ss + 7) & ~(uint64_t)7;
	t = sizeof(struct shm_hdr) + ss * (uint64_t)cfg->entries;
	if (ss > UINT32_MAX || t > ((uint64_t)1 << 34)) {
		intake_log_err("cache: %s: entries x entry size is too large", cfg->path);
		return INTAKE_ECONFIG;
	}
	*nslots = (uint32_t)cfg->entries;
	*slot_size = (uint32_t)ss;
	*value_max = (uint32_t)cfg->entry_max;
	*total = (size_t)t;
	return INTAKE_OK;
}

static int
hdr_matches(const struct shm_hdr *h, size_t size, uint32_t nslots, uint32_t slot_size)
{
	return __atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) == SHM_MAGIC &&
	    h->version == SHM_VERSION && h->size == size && h->nslots == nslots &&
	    h->slot_size == slot_size;
}

/* Supervisor: a new file renamed into place. */
static enum intake_err
open_fresh(struct shm_state *s, uint32_t nslots, uint32_t slot_size, uint32_t value_max,
    size_t size)
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
	if (ftruncate(fd, (off_t)size) == -1) {
		intake_log_err("cache: cannot size %s: %s", tmp, strerror(errno));
		(void)close(fd);
		(void)unlink(tmp);
		return INTAKE_ESYS;
	}
	err = map_file(s, fd, size);
	(void)close(fd);
	if (err == INTAKE_OK)
		err = format(s, nslots, slot_size, value_max);
	if (err == INTAKE_OK && rename(tmp, s->path) == -1) {
		intake_log_err("cache: cannot rename to %s: %s", s->path, strerror(errno));
		err = INTAKE_ESYS;
	}
	if (err != INTAKE_OK) {
		(void)unlink(tmp);
		if (s->hdr != NULL)
			(void)munmap(s->hdr, size);
		s->hdr = NULL;
	}
	return err;
}

/*
 * CGI: attach, creating under flock when missing.  A file of another
 * layout (the config changed) is replaced by a fresh one renamed over it,
 * never reformatted in place: other processes may still have it mapped.
 */
static enum intake_err
open_shared(struct shm_state *s, uint32_t nslots, uint32_t slot_size, uint32_t value_max,
    size_t size)
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
	if (fresh && ftruncate(fd, (off_t)size) == -1) {
		intake_log_err("cache: cannot size %s: %s", s->path, strerror(errno));
		(void)close(fd);
		return INTAKE_ESYS;
	}
	if (!fresh && (size_t)st.st_size != size) {
		err = open_fresh(s, nslots, slot_size, value_max, size);
		(void)close(fd);
		return err;
	}
	err = map_file(s, fd, size);
	if (err == INTAKE_OK && !hdr_matches(s->hdr, size, nslots, slot_size)) {
		if (fresh)
			err = format(s, nslots, slot_size, value_max);
		else {
			(void)munmap(s->hdr, size);
			s->hdr = NULL;
			err = open_fresh(s, nslots, slot_size, value_max, size);
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
	uint32_t		 nslots, slot_size, value_max;
	size_t			 size;
	enum intake_err		 err;

	err = layout(cfg, &nslots, &slot_size, &value_max, &size);
	if (err != INTAKE_OK)
		return err;
	s = intake_xcalloc(1, sizeof(*s));
	err = intake_strlcpy(s->path, cfg->path, sizeof(s->path));
	if (err == INTAKE_OK)
		err = fresh ? open_fresh(s, nslots, slot_size, value_max, size) :
		    open_shared(s, nslots, slot_size, value_max, size);
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

	if (shm_lock(s) != 0)
		return INTAKE_ECACHE;
	sl = find(s, key);
	if (sl != NULL && (sl->flags & SLOT_VALUE) && sl->expires_ms > now) {
		if (sl->len > cap) {
			err = INTAKE_ETOOBIG;
			goto out;
		}
		memcpy(val, sl->value, sl->len);
		n = sl->len;
		sl->used_ms = now;
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
	enum intake_err		 err = INTAKE_OK;
	int64_t			 now = intake_now_ms();

	if (len > s->hdr->value_max) {
		intake_log_warn("cache: value of %zu bytes over cache_entry_max", len);
		return INTAKE_ETOOBIG;
	}
	if (shm_lock(s) != 0)
		return INTAKE_ECACHE;
	sl = find_or_take(s, key, now);
	if (sl == NULL) {
		intake_log_warn("cache: every entry is being filled; value not stored");
		err = INTAKE_ECACHE;
		goto out;
	}
	change_begin(s, sl);
	memcpy(sl->value, val, len);
	sl->len = (uint32_t)len;
	sl->expires_ms = expires_ms;
	sl->used_ms = now;
	sl->flags |= SLOT_VALUE;
out:
	change_end(s);
	shm_unlock(s);
	return err;
}

static enum intake_err
shm_add(void *state, const char *key, const void *val, size_t len, int64_t expires_ms,
    bool *added)
{
	struct shm_state	*s = state;
	struct shm_slot		*sl;
	enum intake_err		 err = INTAKE_OK;
	int64_t			 now = intake_now_ms();
	bool			 done = false;

	if (len > s->hdr->value_max)
		return INTAKE_ETOOBIG;
	if (shm_lock(s) != 0)
		return INTAKE_ECACHE;
	sl = find_or_take(s, key, now);
	if (sl == NULL) {
		err = INTAKE_ECACHE;
		goto out;
	}
	if (!(sl->flags & SLOT_VALUE) || sl->expires_ms <= now) {
		change_begin(s, sl);
		memcpy(sl->value, val, len);
		sl->len = (uint32_t)len;
		sl->expires_ms = expires_ms;
		sl->used_ms = now;
		sl->flags |= SLOT_VALUE;
		done = true;
	}
out:
	change_end(s);
	shm_unlock(s);
	if (err == INTAKE_OK)
		*added = done;
	return err;
}

static enum intake_err
shm_incr(void *state, const char *key, int64_t expires_ms, long long *count)
{
	struct shm_state	*s = state;
	struct shm_slot		*sl;
	enum intake_err		 err = INTAKE_OK;
	int64_t			 now = intake_now_ms();
	long long		 v = 0;

	if (shm_lock(s) != 0)
		return INTAKE_ECACHE;
	sl = find_or_take(s, key, now);
	if (sl == NULL) {
		err = INTAKE_ECACHE;
		goto out;
	}
	/* The counter is the slot's value, a native long long. */
	change_begin(s, sl);
	if ((sl->flags & SLOT_VALUE) && sl->expires_ms > now && sl->len == sizeof(v))
		memcpy(&v, sl->value, sizeof(v));
	else
		sl->expires_ms = expires_ms;
	v++;
	memcpy(sl->value, &v, sizeof(v));
	sl->len = sizeof(v);
	sl->used_ms = now;
	sl->flags |= SLOT_VALUE;
out:
	change_end(s);
	shm_unlock(s);
	if (err == INTAKE_OK)
		*count = v;
	return err;
}

static enum intake_err
shm_del(void *state, const char *key, const void *if_val, size_t if_len)
{
	struct shm_state	*s = state;
	struct shm_slot		*sl;

	if (shm_lock(s) != 0)
		return INTAKE_ECACHE;
	sl = find(s, key);
	if (sl != NULL && (sl->flags & SLOT_VALUE) &&
	    (if_val == NULL || (sl->len == if_len && memcmp(sl->value, if_val, if_len) == 0))) {
		change_begin(s, sl);
		sl->flags &= ~SLOT_VALUE;
		sl->len = 0;
		if (sl->flags == 0)
			slot_clear(sl);
		change_end(s);
	}
	shm_unlock(s);
	return INTAKE_OK;
}

static enum intake_err
shm_lease(void *state, const char *key, int64_t lease_ms, bool *leader)
{
	struct shm_state	*s = state;
	struct shm_slot		*sl;
	int64_t			 now = intake_now_ms();
	enum intake_err		 err = INTAKE_OK;
	bool			 got = false;

	if (shm_lock(s) != 0)
		return INTAKE_ECACHE;
	sl = find_or_take(s, key, now);
	if (sl == NULL) {
		err = INTAKE_ECACHE;
		goto out;
	}
	if (!lease_live(sl, now)) {
		change_begin(s, sl);
		sl->flags |= SLOT_LEASE;
		sl->lease_pid = (int32_t)getpid();
		sl->lease_until_ms = now + lease_ms;
		got = true;
	}
out:
	change_end(s);
	shm_unlock(s);
	if (err == INTAKE_OK)
		*leader = got;
	return err;
}

static enum intake_err
shm_release(void *state, const char *key)
{
	struct shm_state	*s = state;
	struct shm_slot		*sl;

	if (shm_lock(s) != 0)
		return INTAKE_ECACHE;
	sl = find(s, key);
	if (sl != NULL && (sl->flags & SLOT_LEASE) && sl->lease_pid == (int32_t)getpid()) {
		change_begin(s, sl);
		sl->flags &= ~SLOT_LEASE;
		sl->lease_pid = 0;
		if (sl->flags == 0)
			slot_clear(sl);
		change_end(s);
	}
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
		if (shm_lock(s) != 0)
			return INTAKE_ECACHE;
		now = intake_now_ms();
		sl = find(s, key);
		held = sl != NULL && (sl->flags & SLOT_LEASE);
		dead = held && !lease_live(sl, now);
		if (dead) {
			intake_log_warn("cache: lease holder %ld is gone; lease released",
			    (long)sl->lease_pid);
			change_begin(s, sl);
			sl->flags &= ~SLOT_LEASE;
			if (sl->flags == 0)
				slot_clear(sl);
			change_end(s);
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

static void
shm_reap(void *state, pid_t pid)
{
	struct shm_state	*s = state;
	struct shm_slot		*sl;
	uint32_t		 i;
	int			 woke = 0;

	if (shm_lock(s) != 0)
		return;
	for (i = 0; i < s->hdr->nslots; i++) {
		sl = slot_at(s, i);
		if ((sl->flags & SLOT_LEASE) && sl->lease_pid == (int32_t)pid) {
			change_begin(s, sl);
			sl->flags &= ~SLOT_LEASE;
			sl->lease_pid = 0;
			if (sl->flags == 0)
				slot_clear(sl);
			change_end(s);
			woke = 1;
		}
	}
	shm_unlock(s);
	if (woke) {
		intake_log_warn("cache: released the leases of dead worker %ld", (long)pid);
		wake_all(s);
	}
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
