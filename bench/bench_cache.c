/*
 * bench_cache.c - time per cache operation against the number of live
 * entries, measured in one run (lib/cache/shm.c through intake/cache.h).
 *
 *   bench_cache [DIR [OPS]]
 *
 * For each size (256, 20,000 and 65,536 live entries) it makes a fresh
 * marks cache (intake_cache_open_marks, with mark_entries of that size:
 * the shape the rate counters, budgets and marks live in, values up to
 * INTAKE_CACHE_MARK_VALUE_MAX bytes) in DIR (default /dev/shm, else
 * /tmp), fills it with values of that largest size, then times OPS
 * (default 200,000) operations:
 *   get       a hit on a live entry
 *   incr      a counter on a live entry (the rate-limit path)
 *   incr-new  a counter on a key never seen, evicting an entry (CLOCK:
 *             the first one under the hand not read since it last passed;
 *             the path of a flood of client-chosen keys)
 *   memory    no cache call: one read of the first line of a random
 *             entry of a private array of as many entries as the store,
 *             each as large as the store's file over its entries (the
 *             slot, rounded down to a line: 192 bytes for a mark), each
 *             read depending on the one before: the latency of one cache
 *             and TLB miss, which any structure of that size pays
 *   memory-2  no cache call: a read of a random line of an array as large
 *             as the store's index (16 bytes an entry), then, depending on
 *             it, the memory read: the floor of any lookup that reads an
 *             index line to learn where its entry lies
 * After them come the floors (get-1miss, get-2miss, incr-1miss,
 * incr-2miss): the figure at 256 entries plus the growth of the memory
 * or memory-2 line, i.e. the ratio a lookup that pays exactly one (or two
 * dependent) cache misses would reach on this machine, whatever its code.
 * get and incr run twice: on keys drawn from all live entries (every
 * access a likely cache miss at 65,536), and on a hot set of 256 keys
 * spread over the store, as a worker touches the same token, lists and
 * counters while the store holds many others.
 *
 * What a uniform get at 65,536 entries must pay, whatever the index: the
 * miss on its entry's slot (the memory line), and, before it, the read
 * of the index line that names the slot (a 1 MB index: mostly a miss in
 * L2).  The store prefetches the slot before it takes the lock, so part
 * of that overlaps the locking.  So where the memory figure at 65,536 is
 * about as large as the whole get at 256, the slot's miss alone about
 * doubles a uniform get or incr: compare them with the memory and
 * memory-2 lines, and the hot-set lines for what the index itself costs
 * as it grows.
 *
 * Each figure is the median of 5 rounds, in nanoseconds of this thread's
 * CPU time per operation, with its ratio to the same figure at 256
 * entries.  It measures and prints; there are no thresholds (shared,
 * noisy machines).
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cache/cache.h"
#include "core/log.h"
#include "util/str.h"

#define BENCH_ROUNDS	5
#define BENCH_VALUE	INTAKE_CACHE_MARK_VALUE_MAX	/* bytes of each filled value: the largest */
#define BENCH_NAME	24
#define BENCH_HOT	256		/* keys in the hot set */
#define BENCH_INDEX	16		/* bytes of the store's index per entry */
#define BENCH_LINE	64

enum bench_op {
	BENCH_GET,
	BENCH_GET_HOT,
	BENCH_INCR,
	BENCH_INCR_HOT,
	BENCH_INCR_NEW,
	BENCH_MEMORY,
	BENCH_MEMORY_INDEX,
	BENCH_OP__MAX
};

static const char *const bench_op_names[] = {
	"get",		/* BENCH_GET */
	"get-hot",	/* BENCH_GET_HOT */
	"incr",		/* BENCH_INCR */
	"incr-hot",	/* BENCH_INCR_HOT */
	"incr-new",	/* BENCH_INCR_NEW: last, its evictions spoil no other figure */
	"memory",	/* BENCH_MEMORY */
	"memory-2",	/* BENCH_MEMORY_INDEX */
};
_Static_assert(sizeof(bench_op_names) / sizeof(bench_op_names[0]) == BENCH_OP__MAX,
    "one name per operation");

static const long long bench_sizes[] = { 256, 20000, 65536 };
#define BENCH_NSIZES	(sizeof(bench_sizes) / sizeof(bench_sizes[0]))

/* What one round works on. */
struct bench_run {
	struct intake_cache	*c;
	long long		 n;		/* live entries */
	long long		 fresh;		/* next never-seen key */
	unsigned char		*floor;		/* n * slot bytes */
	size_t			 slot;		/* the store's bytes per entry, rounded down to a line */
	double			 mb;		/* the store's file, in MB */
	unsigned char		*index;		/* n * BENCH_INDEX bytes */
	long			 ops;
};

/*
 * CPU time of this thread: on a shared machine, time spent descheduled
 * is not the cache's.
 */
static int64_t
cpu_ns(void)
{
	struct timespec	ts;

	(void)clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* xorshift32: the same key sequence for every size. */
static uint32_t
next_rand(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

static int
cmp_double(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
die(const char *what, enum intake_err err)
{
	fprintf(stderr, "bench_cache: %s: %s\n", what, intake_strerror(err));
	exit(1);
}

/* "k<i>", as the fill wrote it, without printf's cost in every figure. */
static void
key_name(char name[BENCH_NAME], uint32_t i)
{
	char	digits[12];
	size_t	n = 0, k = 0;

	do {
		digits[n++] = (char)('0' + i % 10);
		i /= 10;
	} while (i != 0);
	name[k++] = 'k';
	while (n > 0)
		name[k++] = digits[--n];
	name[k] = '\0';
}

/*
 * A random live key: any of n, or one of the hot set spread over them.
 * The name is written, not looked up in a table, so the only memory the
 * operation misses in is the cache's.
 */
static const char *
pick(struct bench_run *b, uint32_t *seed, bool hot, char name[BENCH_NAME])
{
	uint32_t	r = next_rand(seed), i;

	i = hot ? (r % BENCH_HOT) * (uint32_t)(b->n / BENCH_HOT) : r % (uint32_t)b->n;
	key_name(name, i);
	return name;
}

/* One round of b->ops operations of kind op; nanoseconds per operation. */
static double
run_round(struct bench_run *b, enum bench_op op, uint32_t seed)
{
	char		buf[512], name[BENCH_NAME];
	int64_t		t0, exp = intake_now_ms() + 3600 * 1000;
	enum intake_err	err = INTAKE_OK;
	long long	count;
	unsigned	sink = 0;
	size_t		len;
	long		i;
	bool		hit;

	t0 = cpu_ns();
	for (i = 0; i < b->ops && err == INTAKE_OK; i++) {
		switch (op) {
		case BENCH_GET:
		case BENCH_GET_HOT:
			err = intake_cache_get(b->c, "b", pick(b, &seed, op == BENCH_GET_HOT, name), buf,
			    sizeof(buf), &len, &hit);
			if (err == INTAKE_OK && !hit)
				err = INTAKE_ECACHE;	/* a live entry must hit */
			break;
		case BENCH_INCR:
		case BENCH_INCR_HOT:
			err = intake_cache_incr(b->c, "b", pick(b, &seed, op == BENCH_INCR_HOT, name), exp,
			    &count);
			break;
		case BENCH_INCR_NEW:
			(void)snprintf(name, sizeof(name), "n%lld", b->fresh++);
			err = intake_cache_incr(b->c, "b", name, exp, &count);
			break;
		case BENCH_MEMORY_INDEX:
			/* The index line's byte (1) feeds the slot's position. */
			sink = b->index[(size_t)(next_rand(&seed) % (uint32_t)(b->n * BENCH_INDEX /
			    BENCH_LINE)) * BENCH_LINE];
			seed += sink - 1;
			__attribute__((fallthrough));	/* then the slot, as a lookup would */
		case BENCH_MEMORY:
		case BENCH_OP__MAX:
			/* Each read feeds the next index (the bytes are 1): latency, not bandwidth. */
			sink = b->floor[(size_t)(next_rand(&seed) % (uint32_t)b->n) * b->slot];
			seed += sink - 1;
			break;
		}
	}
	if (err != INTAKE_OK)
		die(bench_op_names[op], err);
	/* Keep the floor's reads. */
	__asm__ volatile("" : : "r"(sink));
	return (double)(cpu_ns() - t0) / (double)b->ops;
}

/*
 * A fresh marks cache of n entries in dir (its file's name in path),
 * filled, and its floor array: n entries of the file's size over n.
 */
static void
fill(struct bench_run *b, struct intake_config *cfg, char path[INTAKE_PATH_MAX + 8],
    const char *dir, long long n, long ops)
{
	char		value[BENCH_VALUE], name[BENCH_NAME];
	struct stat	st;
	enum intake_err	err;
	long long	i;

	memset(cfg, 0, sizeof(*cfg));
	(void)snprintf(cfg->cache_file, sizeof(cfg->cache_file), "%s/bench_cache.%ld.%lld.shm",
	    dir, (long)getpid(), n);
	(void)snprintf(path, INTAKE_PATH_MAX + 8, "%s.marks", cfg->cache_file);
	cfg->mark_entries = n;
	memset(b, 0, sizeof(*b));
	err = intake_cache_open_marks(cfg, true, &b->c);
	if (err != INTAKE_OK)
		die(path, err);
	if (stat(path, &st) == -1 || st.st_size / n < BENCH_LINE)
		die(path, INTAKE_ESYS);
	b->n = n;
	b->ops = ops;
	b->slot = (size_t)(st.st_size / n) / BENCH_LINE * BENCH_LINE;
	b->mb = (double)st.st_size / 1e6;
	b->floor = intake_xmalloc((size_t)n * b->slot);
	memset(b->floor, 1, (size_t)n * b->slot);
	b->index = intake_xmalloc((size_t)n * BENCH_INDEX);
	memset(b->index, 1, (size_t)n * BENCH_INDEX);
	memset(value, 'v', sizeof(value));
	for (i = 0; i < n; i++) {
		key_name(name, (uint32_t)i);
		err = intake_cache_set(b->c, "b", name, value, sizeof(value),
		    intake_now_ms() + 3600 * 1000);
		if (err != INTAKE_OK)
			die("fill", err);
	}
}

/*
 * The floors of the uniform get and incr ratios: the figure at 256
 * entries plus what one random read (memory: a lookup that finds its
 * entry in one miss) or an index read and then the entry (memory-2: one
 * through an index line) costs more at each size than at 256.  No
 * structure of that size can do better than the 1miss row on this
 * machine, whatever its layout.
 */
static void
print_floors(double ns[BENCH_NSIZES][BENCH_OP__MAX])
{
	static const struct {
		const char	*name;
		enum bench_op	 op, mem;
	} rows[] = {
		{ "get-1miss", BENCH_GET, BENCH_MEMORY },
		{ "get-2miss", BENCH_GET, BENCH_MEMORY_INDEX },
		{ "incr-1miss", BENCH_INCR, BENCH_MEMORY },
		{ "incr-2miss", BENCH_INCR, BENCH_MEMORY_INDEX },
	};
	double	f;
	size_t	i, z;

	printf("# floors: the 256 figure plus the growth of memory (1miss) or memory-2 (2miss)\n");
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		printf("%-10s", rows[i].name);
		for (z = 0; z < BENCH_NSIZES; z++) {
			f = ns[0][rows[i].op] + ns[z][rows[i].mem] - ns[0][rows[i].mem];
			printf(" %10.0f %6.2fx", f, f / ns[0][rows[i].op]);
		}
		printf("\n");
	}
}

int
main(int argc, char **argv)
{
	struct intake_config	cfg[BENCH_NSIZES];
	char			path[BENCH_NSIZES][INTAKE_PATH_MAX + 8];
	struct bench_run	b[BENCH_NSIZES];
	double			ns[BENCH_NSIZES][BENCH_OP__MAX], r[BENCH_NSIZES][BENCH_ROUNDS];
	const char		*dir;
	long long		ops = 200000;
	size_t			z;
	int			op, k;

	dir = argc > 1 ? argv[1] : access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	if (argc > 2 && intake_parse_int(argv[2], 1000, 100000000, &ops) != INTAKE_OK) {
		fprintf(stderr, "usage: bench_cache [DIR [OPS]]\n");
		return 2;
	}
	intake_log_set_level(INTAKE_LOG_ERR);	/* evictions are the point of incr-new */
	for (z = 0; z < BENCH_NSIZES; z++)
		fill(&b[z], &cfg[z], path[z], dir, bench_sizes[z], (long)ops);
	/* Rounds rotate over the sizes, so the machine's noise falls on each alike. */
	for (op = 0; op < BENCH_OP__MAX; op++) {
		for (k = 0; k < BENCH_ROUNDS; k++)
			for (z = 0; z < BENCH_NSIZES; z++)
				r[z][k] = run_round(&b[z], (enum bench_op)op,
				    2463534242u + (uint32_t)k);
		for (z = 0; z < BENCH_NSIZES; z++) {
			qsort(r[z], BENCH_ROUNDS, sizeof(r[z][0]), cmp_double);
			ns[z][op] = r[z][BENCH_ROUNDS / 2];
		}
	}
	for (z = 0; z < BENCH_NSIZES; z++) {
		free(b[z].floor);
		free(b[z].index);
		intake_cache_close(b[z].c);
		(void)unlink(path[z]);
	}
	printf("# bench_cache: %lld ops per round, median of %d rounds, cache in %s\n", ops,
	    BENCH_ROUNDS, dir);
	printf("# ns of CPU time per operation; xN: ratio to the same at %lld entries\n",
	    bench_sizes[0]);
	printf("# the store: %zu bytes an entry (memory's stride); its file:", b[0].slot);
	for (z = 0; z < BENCH_NSIZES; z++)
		printf(" %.1f MB at %lld entries%s", b[z].mb, bench_sizes[z],
		    z + 1 < BENCH_NSIZES ? "," : "\n");
	printf("%-10s", "op");
	for (z = 0; z < BENCH_NSIZES; z++)
		printf(" %10lld %7s", bench_sizes[z], "");
	printf("\n");
	for (op = 0; op < BENCH_OP__MAX; op++) {
		printf("%-10s", bench_op_names[op]);
		for (z = 0; z < BENCH_NSIZES; z++)
			printf(" %10.0f %6.2fx", ns[z][op], ns[z][op] / ns[0][op]);
		printf("\n");
	}
	print_floors(ns);
	return 0;
}
