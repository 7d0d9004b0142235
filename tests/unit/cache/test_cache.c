/*
 * test_cache.c - lib/cache/cache.c and lib/cache/shm.c through cache.h: values,
 * expiry, compare-and-delete, limits, eviction, key hashing, leases across
 * processes, and a multi-process stress run; and shm's index through the
 * backend (cache/backend.h): many keys, CLOCK eviction order, and
 * processes killed while they relink it, checked by
 * intake_cache_shm_validate().
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <fcntl.h>

#include <stdint.h>
#include <string.h>

#include "cache/backend.h"
#include "cache/cache.h"
#include "core/log.h"
#include "util/str.h"

#include "t.h"

#define LONG_LEASE_MS	60000	/* longer than any test: only death ends it */

struct fixture {
	char			dir[256];
	struct intake_config	cfg;
	struct intake_cache	*c;
};

/* A fresh cache of entries slots of entry_max bytes in a scratch file. */
static void
setup(struct fixture *f, long long entries, long long entry_max)
{
	memset(f, 0, sizeof(*f));
	t_mkdtemp(f->dir, sizeof(f->dir));
	(void)snprintf(f->cfg.cache_file, sizeof(f->cfg.cache_file), "%s/cache.shm", f->dir);
	f->cfg.cache_entries = entries;
	f->cfg.cache_entry_max = entry_max;
	if (intake_cache_open(&f->cfg, true, &f->c) != INTAKE_OK)
		abort();
}

static void
teardown(struct fixture *f)
{
	intake_cache_close(f->c);
	f->c = NULL;
}

/* get into a buffer; the value as a C string in out (or "" on a miss). */
static enum intake_err
get_str(struct intake_cache *c, const char *section, const char *name, char *out,
    size_t outsz, bool *hit)
{
	enum intake_err	err;
	size_t		len = 0;

	*hit = true;
	err = intake_cache_get(c, section, name, out, outsz - 1, &len, hit);
	out[err == INTAKE_OK ? len : 0] = '\0';
	return err;
}

static enum intake_err
set_str(struct intake_cache *c, const char *section, const char *name, const char *v,
    int64_t ttl_ms)
{
	return intake_cache_set(c, section, name, v, strlen(v), intake_now_ms() + ttl_ms);
}

/* A pipe a child writes one byte to when it is ready. */
static void
wait_ready(int fd)
{
	char	b;

	if (read(fd, &b, 1) != 1)
		abort();
}

/*
 * Fork a child that takes the lease of section:name for lease_ms, says
 * so on a pipe, and sleeps until killed.  Its pid.
 */
static pid_t
fork_lease_holder(struct intake_cache *c, const char *section, const char *name,
    int64_t lease_ms)
{
	pid_t	pid;
	int	p[2];
	bool	leader = false;

	if (pipe(p) == -1)
		abort();
	pid = t_fork_helper();
	if (pid == -1)
		abort();
	if (pid == 0) {
		(void)close(p[0]);
		if (intake_cache_child_init(c) != INTAKE_OK ||
		    intake_cache_lease(c, section, name, lease_ms, &leader) != INTAKE_OK ||
		    !leader)
			_exit(3);
		if (write(p[1], "r", 1) != 1)
			_exit(4);
		for (;;)
			pause();
	}
	(void)close(p[1]);
	wait_ready(p[0]);
	(void)close(p[0]);
	return pid;
}

/*
 * Fork a child that waits on section:name for timeout_ms and exits with
 * the result of intake_cache_wait().  It says on a pipe when it starts.
 */
static pid_t
fork_waiter(struct intake_cache *c, const char *section, const char *name,
    int64_t timeout_ms)
{
	pid_t	pid;
	int	p[2];

	if (pipe(p) == -1)
		abort();
	pid = t_fork_helper();
	if (pid == -1)
		abort();
	if (pid == 0) {
		(void)close(p[0]);
		if (write(p[1], "r", 1) != 1)
			_exit(100);
		_exit((int)intake_cache_wait(c, section, name, timeout_ms));
	}
	(void)close(p[1]);
	wait_ready(p[0]);
	(void)close(p[0]);
	return pid;
}

static void
test_cache_backend_is_shm(void)
{
	struct fixture	f;

	setup(&f, 8, 4096);
	T_EQ_STR(intake_cache_backend_name(f.c), "shm");
	T_EQ_INT(intake_cache_child_init(f.c), INTAKE_OK);
	teardown(&f);
	intake_cache_close(NULL);
}

static void
test_cache_miss_is_ok_with_hit_false(void)
{
	struct fixture	f;
	char		buf[64];
	size_t		len = 99;
	bool		hit = true;

	setup(&f, 8, 4096);
	T_EQ_INT(intake_cache_get(f.c, "token", "nothing", buf, sizeof(buf), &len, &hit),
	    INTAKE_OK);
	T_ASSERT(hit == false);
	T_EQ_INT(len, 0);
	teardown(&f);
}

static void
test_cache_set_then_get(void)
{
	struct fixture	f;
	char		buf[64];
	bool		hit;

	setup(&f, 8, 4096);
	T_EQ_INT(set_str(f.c, "token", "k1", "value-one", 60000), INTAKE_OK);
	T_EQ_INT(get_str(f.c, "token", "k1", buf, sizeof(buf), &hit), INTAKE_OK);
	T_ASSERT(hit);
	T_EQ_STR(buf, "value-one");
	/* Overwrite, shorter. */
	T_EQ_INT(set_str(f.c, "token", "k1", "v2", 60000), INTAKE_OK);
	T_EQ_INT(get_str(f.c, "token", "k1", buf, sizeof(buf), &hit), INTAKE_OK);
	T_ASSERT(hit);
	T_EQ_STR(buf, "v2");
	teardown(&f);
}

static void
test_cache_binary_and_empty_values(void)
{
	struct fixture	f;
	unsigned char	v[256], out[256];
	size_t		i, len = 1;
	bool		hit = false;

	setup(&f, 8, 4096);
	for (i = 0; i < sizeof(v); i++)
		v[i] = (unsigned char)i;
	T_EQ_INT(intake_cache_set(f.c, "s", "bin", v, sizeof(v), intake_now_ms() + 60000),
	    INTAKE_OK);
	T_EQ_INT(intake_cache_get(f.c, "s", "bin", out, sizeof(out), &len, &hit), INTAKE_OK);
	T_ASSERT(hit);
	T_EQ_INT(len, sizeof(v));
	T_EQ_MEM(out, v, sizeof(v));
	T_EQ_INT(intake_cache_set(f.c, "s", "empty", "", 0, intake_now_ms() + 60000), INTAKE_OK);
	hit = false;
	T_EQ_INT(intake_cache_get(f.c, "s", "empty", out, sizeof(out), &len, &hit), INTAKE_OK);
	T_ASSERT(hit);
	T_EQ_INT(len, 0);
	teardown(&f);
}

static void
test_cache_sections_are_separate(void)
{
	struct fixture	f;
	char		buf[64];
	bool		hit;

	setup(&f, 8, 4096);
	T_EQ_INT(set_str(f.c, "token", "x", "in-token", 60000), INTAKE_OK);
	T_EQ_INT(set_str(f.c, "report", "x", "in-report", 60000), INTAKE_OK);
	T_EQ_INT(get_str(f.c, "token", "x", buf, sizeof(buf), &hit), INTAKE_OK);
	T_EQ_STR(buf, "in-token");
	T_EQ_INT(get_str(f.c, "report", "x", buf, sizeof(buf), &hit), INTAKE_OK);
	T_EQ_STR(buf, "in-report");
	T_EQ_INT(get_str(f.c, "other", "x", buf, sizeof(buf), &hit), INTAKE_OK);
	T_ASSERT(!hit);
	teardown(&f);
}

static void
test_cache_expired_value_is_a_miss(void)
{
	struct fixture	f;
	char		buf[64];
	bool		hit;

	setup(&f, 8, 4096);
	T_EQ_INT(intake_cache_set(f.c, "token", "old", "stale", 5, intake_now_ms() - 1),
	    INTAKE_OK);
	T_EQ_INT(get_str(f.c, "token", "old", buf, sizeof(buf), &hit), INTAKE_OK);
	T_ASSERT(!hit);
	T_EQ_INT(intake_cache_set(f.c, "token", "zero", "stale", 5, 0), INTAKE_OK);
	T_EQ_INT(get_str(f.c, "token", "zero", buf, sizeof(buf), &hit), INTAKE_OK);
	T_ASSERT(!hit);
	/* A value that lives 300 ms is gone after 600 ms. */
	T_EQ_INT(set_str(f.c, "token", "short", "brief", 300), INTAKE_OK);
	t_sleep_ms(600);
	T_EQ_INT(get_str(f.c, "token", "short", buf, sizeof(buf), &hit), INTAKE_OK);
	T_ASSERT(!hit);
	teardown(&f);
}

static void
test_cache_del_removes(void)
{
	struct fixture	f;
	char		buf[64];
	bool		hit;

	setup(&f, 8, 4096);
	T_EQ_INT(set_str(f.c, "token", "k", "v", 60000), INTAKE_OK);
	T_EQ_INT(intake_cache_del(f.c, "token", "k", NULL, 0), INTAKE_OK);
	T_EQ_INT(get_str(f.c, "token", "k", buf, sizeof(buf), &hit), INTAKE_OK);
	T_ASSERT(!hit);
	/* Deleting what is not there is fine. */
	T_EQ_INT(intake_cache_del(f.c, "token", "k", NULL, 0), INTAKE_OK);
	T_EQ_INT(intake_cache_del(f.c, "token", "never", "x", 1), INTAKE_OK);
	teardown(&f);
}

static void
test_cache_compare_and_delete_only_on_equal_value(void)
{
	struct fixture	f;
	char		buf[64];
	bool		hit;

	setup(&f, 8, 4096);
	T_EQ_INT(set_str(f.c, "token", "k", "current", 60000), INTAKE_OK);
	/* A stale value, a prefix, a longer value, the empty value: kept. */
	T_EQ_INT(intake_cache_del(f.c, "token", "k", "previous", 8), INTAKE_OK);
	T_EQ_INT(intake_cache_del(f.c, "token", "k", "curren", 6), INTAKE_OK);
	T_EQ_INT(intake_cache_del(f.c, "token", "k", "current!", 8), INTAKE_OK);
	T_EQ_INT(intake_cache_del(f.c, "token", "k", "", 0), INTAKE_OK);
	T_EQ_INT(intake_cache_del(f.c, "token", "k", "CURRENT", 7), INTAKE_OK);
	T_EQ_INT(get_str(f.c, "token", "k", buf, sizeof(buf), &hit), INTAKE_OK);
	T_ASSERT(hit);
	T_EQ_STR(buf, "current");
	/* The equal value: deleted. */
	T_EQ_INT(intake_cache_del(f.c, "token", "k", "current", 7), INTAKE_OK);
	T_EQ_INT(get_str(f.c, "token", "k", buf, sizeof(buf), &hit), INTAKE_OK);
	T_ASSERT(!hit);
	teardown(&f);
}

static void
test_cache_rejects_value_over_entry_max(void)
{
	struct fixture	 f;
	char		*big, buf[16];
	bool		 hit;

	setup(&f, 8, 4096);
	big = malloc(4097);
	T_ASSERT(big != NULL);
	memset(big, 'v', 4097);
	T_EQ_INT(intake_cache_set(f.c, "s", "big", big, 4097, intake_now_ms() + 60000),
	    INTAKE_ETOOBIG);
	T_EQ_INT(intake_cache_set(f.c, "s", "big", big, SIZE_MAX, intake_now_ms() + 60000),
	    INTAKE_ETOOBIG);
	T_EQ_INT(get_str(f.c, "s", "big", buf, sizeof(buf), &hit), INTAKE_OK);
	T_ASSERT(!hit);
	T_EQ_INT(intake_cache_set(f.c, "s", "big", big, 4096, intake_now_ms() + 60000),
	    INTAKE_OK);
	free(big);
	teardown(&f);
}

/*
 * The marks cache as the server opens it: values up to the largest mark
 * (a 32-digit host id) are stored, one byte more is refused and not
 * stored, long names are hashed into its shorter keys (also under the
 * longest section that uses it) and stay distinct, and each entry takes
 * 128 bytes of slot and 24 of index and clock (the main cache's: 704).
 */
static void
test_cache_marks_hold_the_largest_mark_and_refuse_more(void)
{
	struct intake_config	 cfg;
	struct intake_cache	*m = NULL;
	struct stat		 st;
	char			 dir[256], path[INTAKE_PATH_MAX + 8], v[INTAKE_CACHE_MARK_VALUE_MAX + 1];
	char			 a[201], b[201], buf[INTAKE_CACHE_MARK_VALUE_MAX + 8];
	size_t			 len = 0;
	long long		 n = 0;
	bool			 hit = false;

	memset(&cfg, 0, sizeof(cfg));
	t_mkdtemp(dir, sizeof(dir));
	(void)snprintf(cfg.cache_file, sizeof(cfg.cache_file), "%s/cache.shm", dir);
	cfg.mark_entries = 1024;
	T_EQ_INT(intake_cache_open_marks(&cfg, true, &m), INTAKE_OK);
	memset(v, 'h', sizeof(v));
	T_EQ_INT(intake_cache_set(m, "ref", "ABCD-EFGH-JKMN", v, INTAKE_CACHE_MARK_VALUE_MAX,
	    intake_now_ms() + 60000), INTAKE_OK);
	T_EQ_INT(intake_cache_get(m, "ref", "ABCD-EFGH-JKMN", buf, sizeof(buf), &len, &hit),
	    INTAKE_OK);
	T_ASSERT(hit);
	T_EQ_INT(len, INTAKE_CACHE_MARK_VALUE_MAX);
	T_EQ_INT(intake_cache_set(m, "ref", "big", v, sizeof(v), intake_now_ms() + 60000),
	    INTAKE_ETOOBIG);
	T_EQ_INT(intake_cache_get(m, "ref", "big", buf, sizeof(buf), &len, &hit), INTAKE_OK);
	T_ASSERT(!hit);
	/* Two 200-byte names that differ in their last byte, under the longest section. */
	memset(a, 'n', 200);
	a[200] = '\0';
	memcpy(b, a, sizeof(b));
	b[199] = 'm';
	T_EQ_INT(intake_cache_set(m, "upstream-took", a, v, INTAKE_CACHE_MARK_VALUE_MAX,
	    intake_now_ms() + 60000), INTAKE_OK);
	T_EQ_INT(intake_cache_incr(m, "upstream-took", b, intake_now_ms() + 60000, &n),
	    INTAKE_OK);
	T_EQ_INT(n, 1);
	T_EQ_INT(intake_cache_get(m, "upstream-took", a, buf, sizeof(buf), &len, &hit),
	    INTAKE_OK);
	T_ASSERT(hit);
	T_EQ_INT(len, INTAKE_CACHE_MARK_VALUE_MAX);
	/* A section too long for a hashed marks key is an error, not a truncation. */
	T_EQ_INT(intake_cache_set(m, "a-section-far-too-long", a, "1", 1,
	    intake_now_ms() + 60000), INTAKE_EINVAL);
	(void)snprintf(path, sizeof(path), "%s.marks", cfg.cache_file);
	T_EQ_INT(stat(path, &st), 0);
	T_ASSERT(st.st_size <= 1024 * (128 + 16 + 8) + 4096);
	intake_cache_close(m);
}

static void
test_cache_get_with_small_cap_is_toobig(void)
{
	struct fixture	f;
	char		buf[8];
	size_t		len = 77;
	bool		hit = false;

	setup(&f, 8, 4096);
	T_EQ_INT(set_str(f.c, "s", "k", "0123456789", 60000), INTAKE_OK);
	memset(buf, '#', sizeof(buf));
	T_EQ_INT(intake_cache_get(f.c, "s", "k", buf, 9, &len, &hit), INTAKE_ETOOBIG);
	T_EQ_INT(len, 77);
	T_ASSERT(!hit);
	T_EQ_INT(buf[0], '#');
	T_EQ_INT(intake_cache_get(f.c, "s", "k", buf, 0, &len, &hit), INTAKE_ETOOBIG);
	teardown(&f);
}

static void
test_cache_eviction_when_full_keeps_working(void)
{
	struct fixture	f;
	char		name[32], want[32], buf[64];
	int		i, hits;
	bool		hit;

	setup(&f, 8, 4096);
	for (i = 0; i < 100; i++) {
		(void)snprintf(name, sizeof(name), "key%d", i);
		(void)snprintf(want, sizeof(want), "value%d", i);
		T_EQ_INT(set_str(f.c, "s", name, want, 60000), INTAKE_OK);
		/* The value just stored is always there. */
		T_EQ_INT(get_str(f.c, "s", name, buf, sizeof(buf), &hit), INTAKE_OK);
		T_ASSERT(hit);
		T_EQ_STR(buf, want);
	}
	hits = 0;
	for (i = 0; i < 100; i++) {
		(void)snprintf(name, sizeof(name), "key%d", i);
		(void)snprintf(want, sizeof(want), "value%d", i);
		T_EQ_INT(get_str(f.c, "s", name, buf, sizeof(buf), &hit), INTAKE_OK);
		if (hit) {
			T_EQ_STR(buf, want);
			hits++;
		}
	}
	T_ASSERT(hits >= 1 && hits <= 8);
	teardown(&f);
}

static void
test_cache_eviction_prefers_expired_entries(void)
{
	struct fixture	f;
	char		name[32], buf[64];
	int		i;
	bool		hit;

	setup(&f, 8, 4096);
	T_EQ_INT(set_str(f.c, "s", "live", "keep me", 60000), INTAKE_OK);
	for (i = 0; i < 7; i++) {
		(void)snprintf(name, sizeof(name), "dead%d", i);
		T_EQ_INT(intake_cache_set(f.c, "s", name, "x", 1, intake_now_ms() - 1), INTAKE_OK);
	}
	/* Full; "live" is next under the clock's hand but not expired. */
	for (i = 0; i < 7; i++) {
		(void)snprintf(name, sizeof(name), "new%d", i);
		T_EQ_INT(set_str(f.c, "s", name, "n", 60000), INTAKE_OK);
	}
	T_EQ_INT(get_str(f.c, "s", "live", buf, sizeof(buf), &hit), INTAKE_OK);
	T_ASSERT(hit);
	T_EQ_STR(buf, "keep me");
	teardown(&f);
}

static void
test_cache_set_never_evicts_a_live_lease(void)
{
	struct fixture	f;
	char		name[32];
	int		i;
	bool		leader;

	setup(&f, 8, 4096);
	for (i = 0; i < 8; i++) {
		(void)snprintf(name, sizeof(name), "filling%d", i);
		T_EQ_INT(intake_cache_lease(f.c, "s", name, LONG_LEASE_MS, &leader), INTAKE_OK);
		T_ASSERT(leader);
	}
	/* Every slot is being filled: storing elsewhere must fail, not steal. */
	T_EQ_INT(set_str(f.c, "s", "other", "v", 60000), INTAKE_ECACHE);
	T_EQ_INT(intake_cache_lease(f.c, "s", "other", LONG_LEASE_MS, &leader), INTAKE_ECACHE);
	for (i = 0; i < 8; i++) {
		(void)snprintf(name, sizeof(name), "filling%d", i);
		T_EQ_INT(intake_cache_lease(f.c, "s", name, LONG_LEASE_MS, &leader), INTAKE_OK);
		T_ASSERT(!leader);
	}
	/* The holder may still store its own value. */
	T_EQ_INT(set_str(f.c, "s", "filling3", "filled", 60000), INTAKE_OK);
	T_EQ_INT(intake_cache_release(f.c, "s", "filling0"), INTAKE_OK);
	T_EQ_INT(set_str(f.c, "s", "other", "v", 60000), INTAKE_OK);
	teardown(&f);
}

static void
test_cache_long_names_are_hashed_and_distinct(void)
{
	struct fixture	f;
	char		a[301], b[301], c[201], d[202], buf[64];
	bool		hit;

	setup(&f, 16, 4096);
	/* Same 299-byte prefix: a truncating key would collide. */
	memset(a, 'n', 300);
	a[300] = '\0';
	memcpy(b, a, sizeof(b));
	b[299] = 'm';
	memset(c, 'n', 200);
	c[200] = '\0';
	memcpy(d, c, 200);
	d[200] = 'x';
	d[201] = '\0';
	T_EQ_INT(set_str(f.c, "token", a, "A", 60000), INTAKE_OK);
	T_EQ_INT(set_str(f.c, "token", b, "B", 60000), INTAKE_OK);
	T_EQ_INT(set_str(f.c, "token", c, "C", 60000), INTAKE_OK);
	T_EQ_INT(set_str(f.c, "token", d, "D", 60000), INTAKE_OK);
	T_EQ_INT(get_str(f.c, "token", a, buf, sizeof(buf), &hit), INTAKE_OK);
	T_ASSERT(hit);
	T_EQ_STR(buf, "A");
	T_EQ_INT(get_str(f.c, "token", b, buf, sizeof(buf), &hit), INTAKE_OK);
	T_EQ_STR(buf, "B");
	T_EQ_INT(get_str(f.c, "token", c, buf, sizeof(buf), &hit), INTAKE_OK);
	T_EQ_STR(buf, "C");
	T_EQ_INT(get_str(f.c, "token", d, buf, sizeof(buf), &hit), INTAKE_OK);
	T_EQ_STR(buf, "D");
	/* Leases and compare-and-delete go through the same hashed key. */
	T_EQ_INT(intake_cache_del(f.c, "token", a, "A", 1), INTAKE_OK);
	T_EQ_INT(get_str(f.c, "token", a, buf, sizeof(buf), &hit), INTAKE_OK);
	T_ASSERT(!hit);
	T_EQ_INT(get_str(f.c, "token", b, buf, sizeof(buf), &hit), INTAKE_OK);
	T_ASSERT(hit);
	teardown(&f);
}

static void
test_cache_key_at_the_hashing_boundary(void)
{
	struct fixture	f;
	char		n126[127], n127[128], buf[16];
	bool		hit;

	/* "s:" + 125 bytes = 127 (fits with NUL); + 126 = 128 (hashed). */
	setup(&f, 8, 4096);
	memset(n126, 'b', 125);
	n126[125] = '\0';
	memset(n127, 'b', 126);
	n127[126] = '\0';
	T_EQ_INT(set_str(f.c, "s", n126, "short", 60000), INTAKE_OK);
	T_EQ_INT(set_str(f.c, "s", n127, "long", 60000), INTAKE_OK);
	T_EQ_INT(get_str(f.c, "s", n126, buf, sizeof(buf), &hit), INTAKE_OK);
	T_EQ_STR(buf, "short");
	T_EQ_INT(get_str(f.c, "s", n127, buf, sizeof(buf), &hit), INTAKE_OK);
	T_EQ_STR(buf, "long");
	teardown(&f);
}

static void
test_cache_lease_first_caller_leads(void)
{
	struct fixture	f;
	bool		leader;
	pid_t		holder;

	setup(&f, 8, 4096);
	/* Another process holds it: not the leader. */
	holder = fork_lease_holder(f.c, "token", "k", LONG_LEASE_MS);
	leader = true;
	T_EQ_INT(intake_cache_lease(f.c, "token", "k", LONG_LEASE_MS, &leader), INTAKE_OK);
	T_ASSERT(!leader);
	/* A release by a process that does not hold the lease changes nothing. */
	T_EQ_INT(intake_cache_release(f.c, "token", "k"), INTAKE_OK);
	leader = true;
	T_EQ_INT(intake_cache_lease(f.c, "token", "k", LONG_LEASE_MS, &leader), INTAKE_OK);
	T_ASSERT(!leader);
	(void)kill(holder, SIGKILL);
	(void)waitpid(holder, NULL, 0);
	teardown(&f);
}

static void
test_cache_lease_twice_in_one_process(void)
{
	struct fixture	f;
	bool		leader;

	setup(&f, 8, 4096);
	T_EQ_INT(intake_cache_lease(f.c, "token", "k", LONG_LEASE_MS, &leader), INTAKE_OK);
	T_ASSERT(leader);
	T_EQ_INT(intake_cache_lease(f.c, "token", "k", LONG_LEASE_MS, &leader), INTAKE_OK);
	T_ASSERT(!leader);
	T_EQ_INT(intake_cache_release(f.c, "token", "k"), INTAKE_OK);
	T_EQ_INT(intake_cache_lease(f.c, "token", "k", LONG_LEASE_MS, &leader), INTAKE_OK);
	T_ASSERT(leader);
	teardown(&f);
}

static void
test_cache_release_lets_the_next_lead(void)
{
	struct fixture	f;
	bool		leader;
	pid_t		pid;
	int		st;

	setup(&f, 8, 4096);
	T_EQ_INT(intake_cache_lease(f.c, "token", "k", LONG_LEASE_MS, &leader), INTAKE_OK);
	T_ASSERT(leader);
	/* A child is refused while the parent holds it ... */
	pid = fork();
	T_ASSERT(pid != -1);
	if (pid == 0) {
		leader = true;
		_exit(intake_cache_lease(f.c, "token", "k", 1000, &leader) == INTAKE_OK &&
		    !leader ? 0 : 1);
	}
	st = t_wait_child(pid, 20000);
	T_EQ_INT(st, 0);
	/* ... and leads once it is released. */
	T_EQ_INT(intake_cache_release(f.c, "token", "k"), INTAKE_OK);
	pid = fork();
	T_ASSERT(pid != -1);
	if (pid == 0) {
		leader = false;
		_exit(intake_cache_lease(f.c, "token", "k", 1000, &leader) == INTAKE_OK &&
		    leader ? 0 : 1);
	}
	st = t_wait_child(pid, 20000);
	T_EQ_INT(st, 0);
	teardown(&f);
}

static void
test_cache_lease_keeps_the_value(void)
{
	struct fixture	f;
	char		buf[32];
	bool		leader, hit;

	setup(&f, 8, 4096);
	T_EQ_INT(set_str(f.c, "token", "k", "old", 60000), INTAKE_OK);
	T_EQ_INT(intake_cache_lease(f.c, "token", "k", LONG_LEASE_MS, &leader), INTAKE_OK);
	T_ASSERT(leader);
	T_EQ_INT(get_str(f.c, "token", "k", buf, sizeof(buf), &hit), INTAKE_OK);
	T_EQ_STR(buf, "old");
	T_EQ_INT(set_str(f.c, "token", "k", "new", 60000), INTAKE_OK);
	T_EQ_INT(intake_cache_release(f.c, "token", "k"), INTAKE_OK);
	T_EQ_INT(get_str(f.c, "token", "k", buf, sizeof(buf), &hit), INTAKE_OK);
	T_ASSERT(hit);
	T_EQ_STR(buf, "new");
	teardown(&f);
}

static void
test_cache_wait_without_lease_returns_at_once(void)
{
	struct fixture	f;

	setup(&f, 8, 4096);
	T_EQ_INT(intake_cache_wait(f.c, "token", "k", 0), INTAKE_OK);
	T_EQ_INT(intake_cache_wait(f.c, "token", "k", 60000), INTAKE_OK);
	T_EQ_INT(set_str(f.c, "token", "k", "v", 60000), INTAKE_OK);
	T_EQ_INT(intake_cache_wait(f.c, "token", "k", 60000), INTAKE_OK);
	teardown(&f);
}

static void
test_cache_wait_times_out_while_a_live_process_holds_the_lease(void)
{
	struct fixture	f;
	pid_t		holder;

	setup(&f, 8, 4096);
	holder = fork_lease_holder(f.c, "token", "k", LONG_LEASE_MS);
	T_EQ_INT(intake_cache_wait(f.c, "token", "k", 200), INTAKE_ETIMEOUT);
	T_EQ_INT(intake_cache_wait(f.c, "token", "k", 0), INTAKE_ETIMEOUT);
	(void)kill(holder, SIGKILL);
	(void)waitpid(holder, NULL, 0);
	teardown(&f);
}

static void
test_cache_release_wakes_a_waiter(void)
{
	struct fixture	f;
	pid_t		waiter;
	bool		leader;

	setup(&f, 8, 4096);
	T_EQ_INT(intake_cache_lease(f.c, "token", "k", LONG_LEASE_MS, &leader), INTAKE_OK);
	T_ASSERT(leader);
	waiter = fork_waiter(f.c, "token", "k", 30000);
	t_sleep_ms(200);
	T_EQ_INT(intake_cache_release(f.c, "token", "k"), INTAKE_OK);
	T_EQ_INT(t_wait_child(waiter, 20000), INTAKE_OK);
	teardown(&f);
}

/*
 * The supervisor reaps a worker killed while it held a lease.  The dead
 * worker is left a zombie until after the reap, so kill(pid, 0) still
 * finds it and only intake_cache_reap() can free the waiter.
 */
static void
test_cache_reap_releases_the_lease_of_a_killed_holder(void)
{
	struct fixture	f;
	pid_t		holder, waiter;
	bool		leader;

	setup(&f, 8, 4096);
	holder = fork_lease_holder(f.c, "token", "k", LONG_LEASE_MS);
	T_EQ_INT(intake_cache_wait(f.c, "token", "k", 200), INTAKE_ETIMEOUT);
	waiter = fork_waiter(f.c, "token", "k", 30000);
	t_sleep_ms(200);
	T_EQ_INT(kill(holder, SIGKILL), 0);
	t_sleep_ms(100);
	intake_cache_reap(f.c, holder);
	T_EQ_INT(t_wait_child(waiter, 20000), INTAKE_OK);
	(void)waitpid(holder, NULL, 0);
	T_EQ_INT(intake_cache_lease(f.c, "token", "k", 1000, &leader), INTAKE_OK);
	T_ASSERT(leader);
	teardown(&f);
}

static void
test_cache_reap_of_another_pid_keeps_the_lease(void)
{
	struct fixture	f;
	pid_t		holder;

	setup(&f, 8, 4096);
	holder = fork_lease_holder(f.c, "token", "k", LONG_LEASE_MS);
	intake_cache_reap(f.c, holder + 100000);
	intake_cache_reap(f.c, getpid());
	T_EQ_INT(intake_cache_wait(f.c, "token", "k", 100), INTAKE_ETIMEOUT);
	(void)kill(holder, SIGKILL);
	(void)waitpid(holder, NULL, 0);
	teardown(&f);
}

/*
 * Attach the shm backend to f's file, as a CGI process would, and check
 * its index against its slots.  true when valid; else why is printed.
 */
static bool
index_valid(const struct fixture *f)
{
	struct intake_cache_geometry	 g = { f->cfg.cache_file, f->cfg.cache_entries,
					     f->cfg.cache_entry_max, INTAKE_CACHE_KEY_MAX };
	void				*st = NULL;
	char				 why[160] = "";
	bool				 ok;

	if (intake_cache_shm.open(&g, false, &st) != INTAKE_OK)
		return false;
	ok = intake_cache_shm_validate(st, why, sizeof(why)) == INTAKE_OK;
	if (!ok)
		printf("# index invalid: %s\n", why);
	intake_cache_shm.close(st);
	return ok;
}

/* Lines of the file at path that contain needle. */
static int
count_lines(const char *path, const char *needle)
{
	char	 line[256];
	FILE	*fp;
	int	 n = 0;

	fp = fopen(path, "r");
	if (fp == NULL)
		return 0;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strstr(line, needle) != NULL)
			n++;
	(void)fclose(fp);
	return n;
}

/* The value a writer alternates: 1 MB of 0xAA or 512 KB of 0xBB. */
#define TORN_BIG	(1024 * 1024)

static bool
torn_value_ok(const unsigned char *v, size_t len)
{
	unsigned char	want = len == TORN_BIG ? 0xAA : 0xBB;
	size_t		i;

	if (len != TORN_BIG && len != TORN_BIG / 2)
		return false;
	for (i = 0; i < len; i++)
		if (v[i] != want)
			return false;
	return true;
}

/*
 * A worker SIGKILLed in the middle of a write, holding the lock: the
 * next locker drops the entry being written and nothing else, and never
 * returns a half-written value.  The writer spends nearly all its time
 * in 1 MB copies under the lock, so many kills land there; each is made
 * once the writer has stored a first value (on a loaded machine it may
 * not have run at all in a few ms), and the kills go on past 30 until one
 * has landed mid-write (the log says so), at most 300.
 */
static void
test_cache_writer_killed_mid_write_costs_that_entry_only(void)
{
	struct fixture	 f;
	unsigned char	*buf;
	char		 v[32], logpath[300];
	size_t		 len;
	pid_t		 pid;
	int		 round, saved, fd, mid = 0, i, p[2];
	bool		 hit;

	intake_log_set_level(INTAKE_LOG_WARN);	/* the lines counted below */
	setup(&f, 8, TORN_BIG);
	buf = malloc(TORN_BIG);
	T_ASSERT(buf != NULL);
	T_EQ_INT(set_str(f.c, "token", "kept", "still here", 600000), INTAKE_OK);
	(void)snprintf(logpath, sizeof(logpath), "%s/log", f.dir);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
	T_ASSERT(saved != -1 && fd != -1);
	(void)dup2(fd, STDERR_FILENO);
	(void)close(fd);
	for (round = 0; round < 30 || (mid == 0 && round < 300); round++) {
		T_ASSERT(pipe(p) == 0);
		pid = t_fork_helper();
		T_ASSERT(pid != -1);
		if (pid == 0) {
			(void)close(p[0]);
			for (i = 0;; i++) {
				len = i % 2 == 0 ? TORN_BIG : TORN_BIG / 2;
				memset(buf, i % 2 == 0 ? 0xAA : 0xBB, len);
				(void)intake_cache_set(f.c, "token", "big", buf, len,
				    intake_now_ms() + 600000);
				if (i == 0 && write(p[1], "w", 1) != 1)
					_exit(4);
			}
		}
		(void)close(p[1]);
		wait_ready(p[0]);
		(void)close(p[0]);
		t_sleep_ms(1 + round % 5);
		(void)kill(pid, SIGKILL);
		(void)waitpid(pid, NULL, 0);
		T_EQ_INT(get_str(f.c, "token", "kept", v, sizeof(v), &hit), INTAKE_OK);
		T_ASSERT(hit);
		T_EQ_STR(v, "still here");
		T_EQ_INT(intake_cache_get(f.c, "token", "big", buf, TORN_BIG, &len, &hit),
		    INTAKE_OK);
		T_ASSERT(!hit || torn_value_ok(buf, len));
		fflush(stderr);
		mid = count_lines(logpath, "died changing an entry");
	}
	(void)dup2(saved, STDERR_FILENO);
	(void)close(saved);
	printf("# %d of %d kills landed mid-write\n", mid, round);
	T_ASSERT(mid > 0);
	T_ASSERT(index_valid(&f));
	free(buf);
	teardown(&f);
}

/* Without a supervisor: a waiter notices by itself that the holder died. */
static void
test_cache_waiter_notices_a_dead_holder(void)
{
	struct fixture	f;
	pid_t		holder, waiter;

	setup(&f, 8, 4096);
	holder = fork_lease_holder(f.c, "token", "k", LONG_LEASE_MS);
	waiter = fork_waiter(f.c, "token", "k", 30000);
	t_sleep_ms(200);
	T_EQ_INT(kill(holder, SIGKILL), 0);
	T_EQ_INT(waitpid(holder, NULL, 0), holder);
	/* Liveness is checked every second; 10 s is a generous bound. */
	T_EQ_INT(t_wait_child(waiter, 10000), INTAKE_OK);
	/* And a new waiter, after the fact, returns at once. */
	T_EQ_INT(intake_cache_wait(f.c, "token", "k", 10000), INTAKE_OK);
	teardown(&f);
}

static void
test_cache_waiter_returns_when_the_lease_runs_out(void)
{
	struct fixture	f;
	pid_t		holder;

	setup(&f, 8, 4096);
	/* A live holder that never releases its 300 ms lease. */
	holder = fork_lease_holder(f.c, "token", "k", 300);
	T_EQ_INT(intake_cache_wait(f.c, "token", "k", 20000), INTAKE_OK);
	(void)kill(holder, SIGKILL);
	(void)waitpid(holder, NULL, 0);
	teardown(&f);
}

static void
test_cache_values_are_shared_across_fork(void)
{
	struct fixture	f;
	char		buf[32];
	bool		hit;
	pid_t		pid;

	setup(&f, 8, 4096);
	pid = fork();
	T_ASSERT(pid != -1);
	if (pid == 0)
		_exit(set_str(f.c, "s", "from-child", "hello parent", 60000) == INTAKE_OK ? 0 : 1);
	T_EQ_INT(t_wait_child(pid, 20000), 0);
	T_EQ_INT(get_str(f.c, "s", "from-child", buf, sizeof(buf), &hit), INTAKE_OK);
	T_ASSERT(hit);
	T_EQ_STR(buf, "hello parent");
	teardown(&f);
}

static void
test_cache_open_shared_attaches_to_existing_file(void)
{
	struct fixture		 f;
	struct intake_cache	*c2, *c3;
	char			 buf[32];
	bool			 hit;

	setup(&f, 8, 4096);
	T_EQ_INT(set_str(f.c, "token", "k", "shared", 60000), INTAKE_OK);
	T_EQ_INT(intake_cache_open(&f.cfg, false, &c2), INTAKE_OK);
	T_EQ_INT(get_str(c2, "token", "k", buf, sizeof(buf), &hit), INTAKE_OK);
	T_ASSERT(hit);
	T_EQ_STR(buf, "shared");
	/* Writes through either mapping are seen by the other. */
	T_EQ_INT(set_str(c2, "token", "k2", "back", 60000), INTAKE_OK);
	T_EQ_INT(get_str(f.c, "token", "k2", buf, sizeof(buf), &hit), INTAKE_OK);
	T_EQ_STR(buf, "back");
	/* A fresh open starts empty and does not touch the old mapping. */
	T_EQ_INT(intake_cache_open(&f.cfg, true, &c3), INTAKE_OK);
	T_EQ_INT(get_str(c3, "token", "k", buf, sizeof(buf), &hit), INTAKE_OK);
	T_ASSERT(!hit);
	T_EQ_INT(get_str(f.c, "token", "k", buf, sizeof(buf), &hit), INTAKE_OK);
	T_ASSERT(hit);
	intake_cache_close(c3);
	intake_cache_close(c2);
	teardown(&f);
}

static void
test_cache_open_shared_creates_a_missing_file(void)
{
	struct intake_config	 cfg;
	struct intake_cache	*c;
	char			 dir[256], buf[16];
	bool			 hit;

	memset(&cfg, 0, sizeof(cfg));
	t_mkdtemp(dir, sizeof(dir));
	(void)snprintf(cfg.cache_file, sizeof(cfg.cache_file), "%s/new.shm", dir);
	cfg.cache_entries = 8;
	cfg.cache_entry_max = 4096;
	T_EQ_INT(intake_cache_open(&cfg, false, &c), INTAKE_OK);
	T_EQ_INT(get_str(c, "s", "k", buf, sizeof(buf), &hit), INTAKE_OK);
	T_ASSERT(!hit);
	T_EQ_INT(set_str(c, "s", "k", "v", 60000), INTAKE_OK);
	T_EQ_INT(get_str(c, "s", "k", buf, sizeof(buf), &hit), INTAKE_OK);
	T_ASSERT(hit);
	intake_cache_close(c);
}

static void
test_cache_open_shared_reformats_another_layout(void)
{
	struct fixture		 f;
	struct intake_config	 cfg2;
	struct intake_cache	*c2;
	char			 buf[16];
	bool			 hit;

	setup(&f, 8, 4096);
	T_EQ_INT(set_str(f.c, "s", "k", "v", 60000), INTAKE_OK);
	teardown(&f);
	cfg2 = f.cfg;
	cfg2.cache_entries = 16;
	T_EQ_INT(intake_cache_open(&cfg2, false, &c2), INTAKE_OK);
	T_EQ_INT(get_str(c2, "s", "k", buf, sizeof(buf), &hit), INTAKE_OK);
	T_ASSERT(!hit);
	T_EQ_INT(set_str(c2, "s", "k", "v2", 60000), INTAKE_OK);
	intake_cache_close(c2);
}

static void
test_cache_open_shared_of_garbage_file(void)
{
	struct intake_config	 cfg;
	struct intake_cache	*c;
	char			 dir[256], junk[4096], buf[16];
	bool			 hit;

	memset(&cfg, 0, sizeof(cfg));
	memset(junk, 0xff, sizeof(junk));
	t_mkdtemp(dir, sizeof(dir));
	t_write_file(dir, "junk.shm", junk, sizeof(junk), cfg.cache_file,
	    sizeof(cfg.cache_file));
	cfg.cache_entries = 8;
	cfg.cache_entry_max = 4096;
	T_EQ_INT(intake_cache_open(&cfg, false, &c), INTAKE_OK);
	T_EQ_INT(get_str(c, "s", "k", buf, sizeof(buf), &hit), INTAKE_OK);
	T_ASSERT(!hit);
	intake_cache_close(c);
}

static void
test_cache_open_fails_in_missing_directory(void)
{
	struct intake_config	 cfg;
	struct intake_cache	*c = NULL;

	t_quiet_stderr();

	memset(&cfg, 0, sizeof(cfg));
	(void)snprintf(cfg.cache_file, sizeof(cfg.cache_file), "/nonexistent-dir/x/cache.shm");
	cfg.cache_entries = 8;
	cfg.cache_entry_max = 4096;
	T_EQ_INT(intake_cache_open(&cfg, true, &c), INTAKE_ESYS);
	T_ASSERT(c == NULL);
	T_EQ_INT(intake_cache_open(&cfg, false, &c), INTAKE_ESYS);
	T_ASSERT(c == NULL);
}

static void
test_cache_open_rejects_oversized_layout(void)
{
	struct intake_config	 cfg;
	struct intake_cache	*c = NULL;
	char			 dir[256];

	t_quiet_stderr();

	/* 65536 x 16 MiB: the size check must refuse, not wrap. */
	memset(&cfg, 0, sizeof(cfg));
	t_mkdtemp(dir, sizeof(dir));
	(void)snprintf(cfg.cache_file, sizeof(cfg.cache_file), "%s/huge.shm", dir);
	cfg.cache_entries = 65536;
	cfg.cache_entry_max = 16777216;
	T_EQ_INT(intake_cache_open(&cfg, true, &c), INTAKE_ECONFIG);
	T_ASSERT(c == NULL);
}

/* "<key>|<pid>|<i>|<filler>|<sum>": self-checking values. */
static size_t
stress_value(char *out, size_t outsz, int key, int pid, int i)
{
	unsigned	sum = 0;
	size_t		n, k;
	int		w;

	w = snprintf(out, outsz, "%d|%d|%d|", key, pid, i);
	n = (size_t)w;
	for (k = 0; k < (size_t)(i % 200); k++)
		out[n++] = (char)('a' + (i + (int)k) % 26);
	for (k = 0; k < n; k++)
		sum = sum * 31 + (unsigned char)out[k];
	w = snprintf(out + n, outsz - n, "|%08x", sum);
	return n + (size_t)w;
}

static int
stress_value_ok(const char *v, size_t len, int key)
{
	const char	*bar;
	unsigned	 sum = 0;
	size_t		 k;
	long long	 first;
	char		 tail[16];

	if (len < 10 || v[len - 9] != '|')
		return 0;
	for (k = 0; k < len - 9; k++)
		sum = sum * 31 + (unsigned char)v[k];
	(void)snprintf(tail, sizeof(tail), "%08x", sum);
	if (memcmp(v + len - 8, tail, 8) != 0)
		return 0;
	/* The first field names the key. */
	bar = memchr(v, '|', len);
	return bar != NULL &&
	    intake_parse_intn(v, (size_t)(bar - v), 0, 15, &first) == INTAKE_OK && first == key;
}

static int
stress_child(struct intake_cache *c, int seed)
{
	char		name[16], v[512], got[512];
	unsigned	x = (unsigned)seed * 2654435761u + 1;
	size_t		len, vlen;
	int		i, key, pid = (int)getpid();
	bool		hit, leader;

	for (i = 0; i < 1000; i++) {
		x = x * 1103515245u + 12345u;
		key = (int)((x >> 16) % 16);
		(void)snprintf(name, sizeof(name), "k%d", key);
		switch ((x >> 8) % 5) {
		case 0:
		case 1:
			vlen = stress_value(v, sizeof(v), key, pid, i);
			if (intake_cache_set(c, "stress", name, v, vlen,
			    intake_now_ms() + 60000) != INTAKE_OK)
				return 10;
			break;
		case 2:
			if (intake_cache_get(c, "stress", name, got, sizeof(got), &len, &hit) !=
			    INTAKE_OK)
				return 11;
			if (hit && !stress_value_ok(got, len, key))
				return 12;
			break;
		case 3:
			if (intake_cache_del(c, "stress", name, NULL, 0) != INTAKE_OK)
				return 13;
			break;
		default:
			if (intake_cache_lease(c, "stress", name, 5000, &leader) != INTAKE_OK)
				return 14;
			if (leader && intake_cache_release(c, "stress", name) != INTAKE_OK)
				return 15;
			break;
		}
	}
	return 0;
}

static void
stress(long long entries)
{
	struct fixture	f;
	char		name[16], got[512];
	pid_t		pids[4];
	size_t		len;
	int		i, key;
	bool		hit;

	setup(&f, entries, 4096);
	for (i = 0; i < 4; i++) {
		pids[i] = fork();
		if (pids[i] == -1)
			abort();
		if (pids[i] == 0) {
			(void)intake_cache_child_init(f.c);
			_exit(stress_child(f.c, i + 1));
		}
	}
	for (i = 0; i < 4; i++)
		T_EQ_INT(t_wait_child(pids[i], 120000), 0);
	for (key = 0; key < 16; key++) {
		(void)snprintf(name, sizeof(name), "k%d", key);
		T_EQ_INT(intake_cache_get(f.c, "stress", name, got, sizeof(got), &len, &hit),
		    INTAKE_OK);
		if (hit && !stress_value_ok(got, len, key))
			T_FAIL("key %d holds a torn value", key);
		/* No lease is left behind. */
		T_EQ_INT(intake_cache_wait(f.c, "stress", name, 0), INTAKE_OK);
	}
	T_ASSERT(index_valid(&f));
	teardown(&f);
}

static void
test_cache_stress_four_processes(void)
{
	stress(64);
}

static void
test_cache_stress_four_processes_with_eviction(void)
{
	stress(8);
}

/* set-if-absent: only the first add stores; an expired value may be replaced. */
static void
test_cache_add_stores_only_when_absent(void)
{
	struct fixture	f;
	char		out[64];
	bool		added, hit;

	setup(&f, 16, 4096);
	T_EQ_INT(intake_cache_add(f.c, "n", "k", "first", 5, intake_now_ms() + 60000, &added),
	    INTAKE_OK);
	T_ASSERT(added);
	T_EQ_INT(intake_cache_add(f.c, "n", "k", "second", 6, intake_now_ms() + 60000, &added),
	    INTAKE_OK);
	T_ASSERT(!added);
	T_EQ_INT(get_str(f.c, "n", "k", out, sizeof(out), &hit), INTAKE_OK);
	T_EQ_STR(out, "first");
	T_EQ_INT(set_str(f.c, "n", "old", "v", -1), INTAKE_OK);
	T_EQ_INT(intake_cache_add(f.c, "n", "old", "new", 3, intake_now_ms() + 60000, &added),
	    INTAKE_OK);
	T_ASSERT(added);
	teardown(&f);
}

/* A double submission race: of many processes adding one key, exactly one wins. */
static void
test_cache_add_race_has_one_winner(void)
{
	struct fixture	f;
	pid_t		pids[8];
	int		i, status, winners = 0;
	bool		added;

	setup(&f, 16, 4096);
	for (i = 0; i < 8; i++) {
		pids[i] = t_fork_helper();
		if (pids[i] == -1)
			abort();
		if (pids[i] == 0) {
			if (intake_cache_add(f.c, "nonce", "abc", "x", 1, intake_now_ms() + 60000,
			    &added) != INTAKE_OK)
				_exit(2);
			_exit(added ? 1 : 0);
		}
	}
	for (i = 0; i < 8; i++) {
		T_ASSERT(waitpid(pids[i], &status, 0) == pids[i]);
		T_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) < 2);
		winners += WEXITSTATUS(status);
	}
	T_EQ_INT(winners, 1);
	teardown(&f);
}

/* Counters: atomic across processes, restarted once expired. */
static void
test_cache_incr_counts_across_processes(void)
{
	struct fixture	f;
	pid_t		pids[4];
	long long	n = 0;
	int		i, j, status;

	setup(&f, 16, 4096);
	for (i = 0; i < 4; i++) {
		pids[i] = t_fork_helper();
		if (pids[i] == -1)
			abort();
		if (pids[i] == 0) {
			for (j = 0; j < 250; j++)
				if (intake_cache_incr(f.c, "rate", "k", intake_now_ms() + 60000, &n) !=
				    INTAKE_OK)
					_exit(1);
			_exit(0);
		}
	}
	for (i = 0; i < 4; i++) {
		T_ASSERT(waitpid(pids[i], &status, 0) == pids[i]);
		T_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	T_EQ_INT(intake_cache_incr(f.c, "rate", "k", intake_now_ms() + 60000, &n), INTAKE_OK);
	T_EQ_INT(n, 1001);
	T_EQ_INT(intake_cache_incr(f.c, "rate", "old", intake_now_ms() - 1, &n), INTAKE_OK);
	T_EQ_INT(intake_cache_incr(f.c, "rate", "old", intake_now_ms() + 60000, &n), INTAKE_OK);
	T_EQ_INT(n, 1);
	teardown(&f);
}

/* A leased, full cache: a dead (unreaped) holder's entry is the one evicted. */
static void
test_cache_full_of_leases_evicts_a_dead_holders_entry(void)
{
	struct fixture	f;
	char		name[32], buf[16];
	pid_t		holder;
	int		i;
	bool		leader, hit;

	setup(&f, 8, 4096);
	holder = fork_lease_holder(f.c, "s", "doomed", LONG_LEASE_MS);
	for (i = 0; i < 7; i++) {
		(void)snprintf(name, sizeof(name), "filling%d", i);
		T_EQ_INT(intake_cache_lease(f.c, "s", name, LONG_LEASE_MS, &leader), INTAKE_OK);
		T_ASSERT(leader);
	}
	T_EQ_INT(set_str(f.c, "s", "other", "v", 60000), INTAKE_ECACHE);
	T_EQ_INT(kill(holder, SIGKILL), 0);
	T_EQ_INT(waitpid(holder, NULL, 0), holder);
	/* Not reaped: only the liveness check, now that a lease blocks us, frees it. */
	T_EQ_INT(set_str(f.c, "s", "other", "v", 60000), INTAKE_OK);
	T_EQ_INT(get_str(f.c, "s", "other", buf, sizeof(buf), &hit), INTAKE_OK);
	T_ASSERT(hit);
	for (i = 0; i < 7; i++) {
		(void)snprintf(name, sizeof(name), "filling%d", i);
		T_EQ_INT(intake_cache_lease(f.c, "s", name, LONG_LEASE_MS, &leader), INTAKE_OK);
		T_ASSERT(!leader);
	}
	teardown(&f);
}

/* The shm backend on its own, for the index tests: state and geometry. */
struct shm_fixture {
	char				 dir[256];
	char				 path[300];
	struct intake_cache_geometry	 g;
	void				*st;
};

static void
shm_setup(struct shm_fixture *f, long long entries, long long entry_max)
{
	memset(f, 0, sizeof(*f));
	t_mkdtemp(f->dir, sizeof(f->dir));
	(void)snprintf(f->path, sizeof(f->path), "%s/index.shm", f->dir);
	f->g.path = f->path;
	f->g.entries = entries;
	f->g.entry_max = entry_max;
	if (intake_cache_shm.open(&f->g, true, &f->st) != INTAKE_OK)
		abort();
}

static void
shm_teardown(struct shm_fixture *f)
{
	intake_cache_shm.close(f->st);
	f->st = NULL;
}

/* validate, printing why on failure. */
static bool
shm_valid(void *st)
{
	char	why[160] = "";

	if (intake_cache_shm_validate(st, why, sizeof(why)) == INTAKE_OK)
		return true;
	printf("# index invalid: %s\n", why);
	return false;
}

/* get of key through the backend: its value as a string in out, or false on a miss. */
static bool
shm_get_str(void *st, const char *key, char *out, size_t outsz)
{
	size_t	len = 0;
	bool	hit = false;

	if (intake_cache_shm.get(st, key, out, outsz - 1, &len, &hit) != INTAKE_OK || !hit)
		return false;
	out[len] = '\0';
	return true;
}

/*
 * A store of 32-byte keys (with the NUL) takes a key of 31 bytes and
 * refuses one of 32 on every path, rather than truncate it into another
 * key; and a file of another key size is replaced, not reused.
 */
static void
test_cache_shm_refuses_a_key_longer_than_its_keys(void)
{
	struct shm_fixture	 f;
	void			*other = NULL;
	char			 k31[32], k32[33], buf[16];
	size_t			 len = 0;
	long long		 n = 0;
	bool			 hit = false, added = false, leader = false;

	memset(&f, 0, sizeof(f));
	t_mkdtemp(f.dir, sizeof(f.dir));
	(void)snprintf(f.path, sizeof(f.path), "%s/index.shm", f.dir);
	f.g.path = f.path;
	f.g.entries = 16;
	f.g.entry_max = 8;
	f.g.key_max = 32;
	T_EQ_INT(intake_cache_shm.open(&f.g, true, &f.st), INTAKE_OK);
	memset(k31, 'k', 31);
	k31[31] = '\0';
	memset(k32, 'k', 32);
	k32[32] = '\0';
	T_EQ_INT(intake_cache_shm.set(f.st, k31, "v", 1, intake_now_ms() + 60000), INTAKE_OK);
	T_EQ_INT(intake_cache_shm.set(f.st, k32, "w", 1, intake_now_ms() + 60000), INTAKE_EINVAL);
	T_EQ_INT(intake_cache_shm.add(f.st, k32, "w", 1, intake_now_ms() + 60000, &added),
	    INTAKE_EINVAL);
	T_EQ_INT(intake_cache_shm.incr(f.st, k32, intake_now_ms() + 60000, &n), INTAKE_EINVAL);
	T_EQ_INT(intake_cache_shm.lease(f.st, k32, 1000, &leader), INTAKE_EINVAL);
	T_EQ_INT(intake_cache_shm.get(f.st, k32, buf, sizeof(buf), &len, &hit), INTAKE_EINVAL);
	T_EQ_INT(intake_cache_shm.del(f.st, k32, NULL, 0), INTAKE_EINVAL);
	T_ASSERT(shm_get_str(f.st, k31, buf, sizeof(buf)));
	T_EQ_STR(buf, "v");
	T_ASSERT(shm_valid(f.st));
	/* Attached with another key size, the file is made anew: k31 is gone. */
	f.g.key_max = 64;
	T_EQ_INT(intake_cache_shm.open(&f.g, false, &other), INTAKE_OK);
	T_ASSERT(!shm_get_str(other, k31, buf, sizeof(buf)));
	T_ASSERT(shm_valid(other));
	intake_cache_shm.close(other);
	shm_teardown(&f);
}

static enum intake_err
shm_set_str(void *st, const char *key, const char *v)
{
	return intake_cache_shm.set(st, key, v, strlen(v), intake_now_ms() + 600000);
}

/*
 * 20,000 keys in 20,000 entries all found (and so all marked read);
 * 20,000 more evict exactly the first ones, in order; deleting every
 * other one frees its entry.
 */
static void
test_cache_index_finds_every_key_of_a_full_store(void)
{
	struct shm_fixture	f;
	char			key[32], want[32], got[64];
	int			i, found;

	shm_setup(&f, 20000, 64);
	for (i = 0; i < 20000; i++) {
		(void)snprintf(key, sizeof(key), "a:%d", i);
		T_EQ_INT(shm_set_str(f.st, key, key), INTAKE_OK);
	}
	T_ASSERT(shm_valid(f.st));
	found = 0;
	for (i = 0; i < 20000; i++) {
		(void)snprintf(key, sizeof(key), "a:%d", i);
		if (shm_get_str(f.st, key, got, sizeof(got)) && strcmp(got, key) == 0)
			found++;
	}
	T_EQ_INT(found, 20000);
	for (i = 0; i < 20000; i++) {
		(void)snprintf(key, sizeof(key), "b:%d", i);
		T_EQ_INT(shm_set_str(f.st, key, key), INTAKE_OK);
	}
	T_ASSERT(shm_valid(f.st));
	found = 0;
	for (i = 0; i < 20000; i++) {
		(void)snprintf(key, sizeof(key), "a:%d", i);
		found += shm_get_str(f.st, key, got, sizeof(got));
		(void)snprintf(key, sizeof(key), "b:%d", i);
		T_ASSERT(shm_get_str(f.st, key, got, sizeof(got)));
		T_EQ_STR(got, key);
	}
	T_EQ_INT(found, 0);
	for (i = 0; i < 20000; i += 2) {
		(void)snprintf(key, sizeof(key), "b:%d", i);
		T_EQ_INT(intake_cache_shm.del(f.st, key, NULL, 0), INTAKE_OK);
	}
	T_ASSERT(shm_valid(f.st));
	/* 10,000 free entries take 10,000 new keys without evicting any. */
	for (i = 0; i < 10000; i++) {
		(void)snprintf(key, sizeof(key), "c:%d", i);
		T_EQ_INT(shm_set_str(f.st, key, key), INTAKE_OK);
	}
	for (i = 1; i < 20000; i += 2) {
		(void)snprintf(key, sizeof(key), "b:%d", i);
		(void)snprintf(want, sizeof(want), "b:%d", i);
		T_ASSERT(shm_get_str(f.st, key, got, sizeof(got)));
		T_EQ_STR(got, want);
	}
	T_ASSERT(shm_valid(f.st));
	shm_teardown(&f);
}

/* An entry read since it was stored outlives older ones that were not. */
static void
test_cache_eviction_spares_a_recently_read_entry(void)
{
	struct shm_fixture	f;
	char			key[32], got[64];
	int			i;

	shm_setup(&f, 8, 64);
	for (i = 0; i < 8; i++) {
		(void)snprintf(key, sizeof(key), "k%d", i);
		T_EQ_INT(shm_set_str(f.st, key, "v"), INTAKE_OK);
	}
	T_ASSERT(shm_get_str(f.st, "k0", got, sizeof(got)));
	T_EQ_INT(shm_set_str(f.st, "new", "v"), INTAKE_OK);
	T_ASSERT(shm_get_str(f.st, "k0", got, sizeof(got)));
	T_ASSERT(!shm_get_str(f.st, "k1", got, sizeof(got)));
	T_ASSERT(shm_get_str(f.st, "k2", got, sizeof(got)));
	T_ASSERT(shm_valid(f.st));
	shm_teardown(&f);
}

/*
 * Every entry read since the hand last passed: a new key costs one whole
 * turn (each bit cleared once), then evicts the entry the hand started
 * on; the next new keys take the ones after it, in order, not each other.
 */
static void
test_cache_eviction_when_every_entry_was_read_takes_them_in_order(void)
{
	struct shm_fixture	f;
	char			key[32], got[64];
	int			i;

	shm_setup(&f, 8, 64);
	for (i = 0; i < 8; i++) {
		(void)snprintf(key, sizeof(key), "k%d", i);
		T_EQ_INT(shm_set_str(f.st, key, "v"), INTAKE_OK);
	}
	for (i = 0; i < 8; i++) {
		(void)snprintf(key, sizeof(key), "k%d", i);
		T_ASSERT(shm_get_str(f.st, key, got, sizeof(got)));
	}
	for (i = 0; i < 4; i++) {
		(void)snprintf(key, sizeof(key), "new%d", i);
		T_EQ_INT(shm_set_str(f.st, key, "n"), INTAKE_OK);
	}
	for (i = 0; i < 8; i++) {
		(void)snprintf(key, sizeof(key), "k%d", i);
		T_EQ_INT(shm_get_str(f.st, key, got, sizeof(got)), i >= 4);
	}
	for (i = 0; i < 4; i++) {
		(void)snprintf(key, sizeof(key), "new%d", i);
		T_ASSERT(shm_get_str(f.st, key, got, sizeof(got)));
	}
	T_ASSERT(shm_valid(f.st));
	shm_teardown(&f);
}

#define HOME_ENTRIES	8192	/* a store large enough for the placement to matter */

/* Entries of st lying in their home group, in percent of those in use (and used). */
static int
percent_at_home(void *st, uint32_t *used)
{
	uint32_t	home = 0;

	*used = 0;
	if (intake_cache_shm_at_home(st, &home, used) != INTAKE_OK || *used == 0)
		return -1;
	return (int)(100ull * home / *used);
}

/*
 * A lookup costs one cache-line fetch when its entry lies in its home
 * group.  Filling a store, and then churning it with five times as many
 * new keys (each evicting one), leaves most entries there: an entry
 * stored away from home moves out of the way of one whose home it holds.
 * (Without that, each eviction would leave the new key wherever the
 * clock's victim was, and the share would fall towards 4 in 8,192.)
 */
static void
test_cache_most_entries_lie_at_home_after_fill_and_churn(void)
{
	struct shm_fixture	f;
	char			key[32], got[64];
	uint32_t		used;
	int			i, n, pct, round;

	shm_setup(&f, HOME_ENTRIES, 64);
	for (round = 0; round < 2; round++) {
		/* The fill, then five times as many new keys. */
		n = round == 0 ? HOME_ENTRIES : 5 * HOME_ENTRIES;
		for (i = 0; i < n; i++) {
			(void)snprintf(key, sizeof(key), "%s:%d", round == 0 ? "fill" : "churn", i);
			T_EQ_INT(shm_set_str(f.st, key, key), INTAKE_OK);
		}
		pct = percent_at_home(f.st, &used);
		printf("# after the %s: %d%% of %u entries at home\n", round == 0 ? "fill" : "churn",
		    pct, used);
		T_EQ_INT(used, HOME_ENTRIES);
		T_ASSERT(pct >= 50);
	}
	/* The newest keys, moved or not, hold their own values. */
	for (i = 5 * HOME_ENTRIES - 100; i < 5 * HOME_ENTRIES; i++) {
		(void)snprintf(key, sizeof(key), "churn:%d", i);
		T_ASSERT(shm_get_str(f.st, key, got, sizeof(got)));
		T_EQ_STR(got, key);
	}
	T_ASSERT(shm_valid(f.st));
	shm_teardown(&f);
}

#define FLOOD_KEPT	16	/* entries a worker keeps reading */
#define FLOOD_KEYS	5000	/* client-chosen keys, each stored once, never read */

/*
 * A flood of new keys, each stored once and never read, in a store of 256
 * entries: the 16 entries read every 64 new keys all survive it (a new
 * entry starts unread, so the flood evicts its own kind), and the index
 * stays valid.
 */
static void
test_cache_flood_of_new_keys_spares_entries_read_meanwhile(void)
{
	struct shm_fixture	f;
	char			key[32], got[64];
	int			i, k;

	shm_setup(&f, 256, 64);
	for (k = 0; k < FLOOD_KEPT; k++) {
		(void)snprintf(key, sizeof(key), "kept:%d", k);
		T_EQ_INT(shm_set_str(f.st, key, key), INTAKE_OK);
	}
	for (i = 0; i < FLOOD_KEYS; i++) {
		(void)snprintf(key, sizeof(key), "flood:%d", i);
		T_EQ_INT(shm_set_str(f.st, key, "x"), INTAKE_OK);
		if (i % 64 != 63)
			continue;
		for (k = 0; k < FLOOD_KEPT; k++) {
			(void)snprintf(key, sizeof(key), "kept:%d", k);
			T_ASSERT(shm_get_str(f.st, key, got, sizeof(got)));
			T_EQ_STR(got, key);
		}
	}
	/* The newest flood keys are there: the store was full, not refusing. */
	T_ASSERT(shm_get_str(f.st, "flood:4999", got, sizeof(got)));
	T_ASSERT(shm_valid(f.st));
	shm_teardown(&f);
}

#define CHURN_KEPT	16	/* the parent's keys, leased so never evicted */
#define CHURN_KEYS	4096	/* the child's keys, 8 per entry: constant eviction */

/*
 * The child of the relink test: set, get (checking the value names its
 * key), delete and count over CHURN_KEYS keys in a store of 512 entries,
 * forever.  Exits 9 on a wrong value, 10 on an error.
 */
static void
churn(void *st)
{
	char		key[32], got[64];
	unsigned	x = (unsigned)getpid() * 2654435761u;
	long long	n;
	int		k;

	for (;;) {
		x = x * 1103515245u + 12345u;
		k = (int)((x >> 8) % CHURN_KEYS);
		(void)snprintf(key, sizeof(key), "c:%d", k);
		switch ((x >> 24) % 10) {
		case 0: case 1: case 2: case 3:
			if (shm_set_str(st, key, key) != INTAKE_OK)
				_exit(10);
			break;
		case 4: case 5: case 6:
			if (shm_get_str(st, key, got, sizeof(got)) && strcmp(got, key) != 0)
				_exit(9);
			break;
		case 7: case 8:
			if (intake_cache_shm.del(st, key, NULL, 0) != INTAKE_OK)
				_exit(10);
			break;
		default:
			(void)snprintf(key, sizeof(key), "n:%d", k);
			if (intake_cache_shm.incr(st, key, intake_now_ms() + 600000, &n) != INTAKE_OK)
				_exit(10);
			break;
		}
	}
}

/*
 * A process SIGKILLed while it changes the index (inserts, evictions,
 * deletions, clock sweeps, free-list pops), until 10 kills have landed
 * mid-relink (the log says "index rebuilt"; at most 2,000 kills).  After
 * each kill the next locker repairs it: the index validates, every key
 * the parent keeps is found with its value, and every key the child left
 * holds its own value.
 */
static void
test_cache_process_killed_mid_index_update_leaves_a_valid_index(void)
{
	struct shm_fixture	 f;
	char			 key[32], want[32], got[64], logpath[300];
	pid_t			 pid;
	int			 round, i, saved, fd, rebuilt = 0, found = 0;
	bool			 leader;

	intake_log_set_level(INTAKE_LOG_WARN);	/* the lines counted below */
	shm_setup(&f, 512, 64);
	for (i = 0; i < CHURN_KEPT; i++) {
		(void)snprintf(key, sizeof(key), "kept:%d", i);
		(void)snprintf(want, sizeof(want), "value %d", i);
		T_EQ_INT(shm_set_str(f.st, key, want), INTAKE_OK);
		T_EQ_INT(intake_cache_shm.lease(f.st, key, LONG_LEASE_MS, &leader), INTAKE_OK);
		T_ASSERT(leader);
	}
	(void)snprintf(logpath, sizeof(logpath), "%s/log", f.dir);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
	T_ASSERT(saved != -1 && fd != -1);
	(void)dup2(fd, STDERR_FILENO);
	(void)close(fd);
	for (round = 0; round < 2000 && rebuilt < 10; round++) {
		pid = t_fork_helper();
		T_ASSERT(pid != -1);
		if (pid == 0)
			churn(f.st);
		(void)usleep((useconds_t)(1000 + (round * 7919) % 4000));
		(void)kill(pid, SIGKILL);
		T_EQ_INT(t_wait_child(pid, 20000), -1);	/* killed, not exited */
		T_ASSERT(shm_valid(f.st));
		for (i = 0; i < CHURN_KEPT; i++) {
			(void)snprintf(key, sizeof(key), "kept:%d", i);
			(void)snprintf(want, sizeof(want), "value %d", i);
			T_ASSERT(shm_get_str(f.st, key, got, sizeof(got)));
			T_EQ_STR(got, want);
		}
		for (i = 0; i < CHURN_KEYS; i++) {
			(void)snprintf(key, sizeof(key), "c:%d", i);
			if (shm_get_str(f.st, key, got, sizeof(got))) {
				T_EQ_STR(got, key);
				found++;
			}
		}
		fflush(stderr);
		rebuilt = count_lines(logpath, "index rebuilt");
	}
	(void)dup2(saved, STDERR_FILENO);
	(void)close(saved);
	printf("# %d kills, %d landed mid-relink, %d mid-change of an entry\n", round, rebuilt,
	    count_lines(logpath, "died changing an entry"));
	T_ASSERT(found > 0);	/* the child did churn */
	T_ASSERT(rebuilt >= 10);
	shm_teardown(&f);
}

int
main(void)
{
	/* Eviction and lease warnings are expected here. */
	intake_log_set_level(INTAKE_LOG_ERR);
	T_RUN(test_cache_backend_is_shm);
	T_RUN(test_cache_add_stores_only_when_absent);
	T_RUN(test_cache_add_race_has_one_winner);
	T_RUN(test_cache_incr_counts_across_processes);
	T_RUN(test_cache_miss_is_ok_with_hit_false);
	T_RUN(test_cache_set_then_get);
	T_RUN(test_cache_binary_and_empty_values);
	T_RUN(test_cache_sections_are_separate);
	T_RUN(test_cache_expired_value_is_a_miss);
	T_RUN(test_cache_del_removes);
	T_RUN(test_cache_compare_and_delete_only_on_equal_value);
	T_RUN(test_cache_rejects_value_over_entry_max);
	T_RUN(test_cache_marks_hold_the_largest_mark_and_refuse_more);
	T_RUN(test_cache_shm_refuses_a_key_longer_than_its_keys);
	T_RUN(test_cache_get_with_small_cap_is_toobig);
	T_RUN(test_cache_eviction_when_full_keeps_working);
	T_RUN(test_cache_eviction_prefers_expired_entries);
	T_RUN(test_cache_set_never_evicts_a_live_lease);
	T_RUN(test_cache_long_names_are_hashed_and_distinct);
	T_RUN(test_cache_key_at_the_hashing_boundary);
	T_RUN(test_cache_lease_first_caller_leads);
	T_RUN(test_cache_lease_twice_in_one_process);
	T_RUN(test_cache_release_lets_the_next_lead);
	T_RUN(test_cache_lease_keeps_the_value);
	T_RUN(test_cache_wait_without_lease_returns_at_once);
	T_RUN(test_cache_wait_times_out_while_a_live_process_holds_the_lease);
	T_RUN(test_cache_release_wakes_a_waiter);
	T_RUN(test_cache_reap_releases_the_lease_of_a_killed_holder);
	T_RUN(test_cache_reap_of_another_pid_keeps_the_lease);
	T_RUN(test_cache_waiter_notices_a_dead_holder);
	T_RUN(test_cache_writer_killed_mid_write_costs_that_entry_only);
	T_RUN(test_cache_waiter_returns_when_the_lease_runs_out);
	T_RUN(test_cache_values_are_shared_across_fork);
	T_RUN(test_cache_open_shared_attaches_to_existing_file);
	T_RUN(test_cache_open_shared_creates_a_missing_file);
	T_RUN(test_cache_open_shared_reformats_another_layout);
	T_RUN(test_cache_open_shared_of_garbage_file);
	T_RUN(test_cache_open_fails_in_missing_directory);
	T_RUN(test_cache_open_rejects_oversized_layout);
	T_RUN(test_cache_stress_four_processes);
	T_RUN(test_cache_stress_four_processes_with_eviction);
	T_RUN(test_cache_full_of_leases_evicts_a_dead_holders_entry);
	T_RUN(test_cache_index_finds_every_key_of_a_full_store);
	T_RUN(test_cache_eviction_spares_a_recently_read_entry);
	T_RUN(test_cache_eviction_when_every_entry_was_read_takes_them_in_order);
	T_RUN(test_cache_flood_of_new_keys_spares_entries_read_meanwhile);
	T_RUN(test_cache_most_entries_lie_at_home_after_fill_and_churn);
	T_RUN(test_cache_process_killed_mid_index_update_leaves_a_valid_index);
	return T_DONE();
}
