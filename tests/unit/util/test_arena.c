/*
 * test_arena.c - lib/util/arena.c: bump allocation under a maximum.
 */
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "util/arena.h"

#include "t.h"

static void
test_arena_alloc_is_aligned_for_any_type(void)
{
	struct intake_arena	 a;
	size_t			 i, n;
	void			*p;

	intake_arena_init(&a, 1 << 20);
	for (i = 0; i < 64; i++) {
		n = i * 7 + 1;
		p = intake_arena_alloc(&a, n);
		T_ASSERT(p != NULL);
		T_EQ_INT((uintptr_t)p % alignof(max_align_t), 0);
		memset(p, 0xa5, n);
	}
	intake_arena_free(&a);
}

static void
test_arena_alloc_zero_gives_distinct_pointers(void)
{
	struct intake_arena	 a;
	void			*p, *q;

	intake_arena_init(&a, 4096);
	p = intake_arena_alloc(&a, 0);
	q = intake_arena_alloc(&a, 0);
	T_ASSERT(p != NULL && q != NULL);
	T_ASSERT(p != q);
	intake_arena_free(&a);
}

static void
test_arena_allocations_do_not_overlap(void)
{
	struct intake_arena	 a;
	unsigned char		*p[200];
	size_t			 i, j, n;

	intake_arena_init(&a, 8u << 20);
	/* Mixed sizes, some over the chunk size, spread over several chunks. */
	for (i = 0; i < 200; i++) {
		n = (i % 10 == 9) ? 20000 + i : i * 13 + 1;
		p[i] = intake_arena_alloc(&a, n);
		T_ASSERT(p[i] != NULL);
		memset(p[i], (int)(i & 0xff), n);
	}
	for (i = 0; i < 200; i++) {
		n = (i % 10 == 9) ? 20000 + i : i * 13 + 1;
		for (j = 0; j < n; j++)
			if (p[i][j] != (unsigned char)(i & 0xff))
				T_FAIL("allocation %zu overwritten at byte %zu", i, j);
	}
	intake_arena_free(&a);
}

static void
test_arena_stops_at_its_maximum(void)
{
	struct intake_arena	 a;

	intake_arena_init(&a, 100);
	T_ASSERT(intake_arena_alloc(&a, 64) != NULL);
	T_ASSERT(intake_arena_alloc(&a, 64) == NULL);
	T_ASSERT(a.used <= a.max);
	/* A refused request does not use anything up. */
	T_ASSERT(intake_arena_alloc(&a, 16) != NULL);
	T_ASSERT(a.used <= a.max);
	intake_arena_free(&a);
}

static void
test_arena_alloc_rejects_size_overflow(void)
{
	struct intake_arena	a;

	intake_arena_init(&a, SIZE_MAX);
	T_ASSERT(intake_arena_alloc(&a, SIZE_MAX) == NULL);
	T_ASSERT(intake_arena_alloc(&a, SIZE_MAX - 1) == NULL);
	T_ASSERT(intake_arena_alloc(&a, SIZE_MAX - sizeof(max_align_t) + 1) == NULL);
	T_EQ_INT(a.used, 0);
	T_ASSERT(intake_arena_alloc(&a, 10) != NULL);
	intake_arena_free(&a);
}

static void
test_arena_alloc_over_max_of_one_request(void)
{
	struct intake_arena	a;

	/* A single hostile size (e.g. a Content-Length) just past the max. */
	intake_arena_init(&a, 4u << 20);
	T_ASSERT(intake_arena_alloc(&a, (4u << 20) + 1) == NULL);
	T_ASSERT(intake_arena_alloc(&a, 4u << 20) != NULL);
	T_ASSERT(intake_arena_alloc(&a, 1) == NULL);
	intake_arena_free(&a);
}

static void
test_arena_strndup_copies_and_terminates(void)
{
	struct intake_arena	 a;
	const char		 src[5] = { 'a', 'b', 'c', 'd', 'e' };	/* no NUL */
	char			*p;

	intake_arena_init(&a, 4096);
	p = intake_arena_strndup(&a, src, 3);
	T_ASSERT(p != NULL);
	T_EQ_STR(p, "abc");
	p = intake_arena_strndup(&a, src, 0);
	T_ASSERT(p != NULL);
	T_EQ_STR(p, "");
	p = intake_arena_strdup(&a, "hello");
	T_ASSERT(p != NULL);
	T_EQ_STR(p, "hello");
	intake_arena_free(&a);
}

static void
test_arena_strndup_rejects_size_max(void)
{
	struct intake_arena	a;

	intake_arena_init(&a, SIZE_MAX);
	T_ASSERT(intake_arena_strndup(&a, "x", SIZE_MAX) == NULL);
	intake_arena_free(&a);
}

static void
test_arena_strdup_over_max_is_null(void)
{
	struct intake_arena	a;
	char			big[200];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	intake_arena_init(&a, 64);
	T_ASSERT(intake_arena_strdup(&a, big) == NULL);
	intake_arena_free(&a);
}

static void
test_arena_reset_gives_back_everything(void)
{
	struct intake_arena	 a;
	int			 round, i;
	char			*p;

	intake_arena_init(&a, 64 * 1024);
	for (round = 0; round < 5; round++) {
		/* Fill to the maximum each round: reset must give it all back. */
		for (i = 0; i < 64; i++) {
			p = intake_arena_alloc(&a, 1024);
			T_ASSERT(p != NULL);
			memset(p, round, 1024);
		}
		T_ASSERT(intake_arena_alloc(&a, 1) == NULL);
		intake_arena_reset(&a);
		T_EQ_INT(a.used, 0);
		T_ASSERT(a.head != NULL);
	}
	intake_arena_free(&a);
	T_ASSERT(a.head == NULL);
	T_EQ_INT(a.used, 0);
}

static void
test_arena_reset_and_free_of_empty_arena(void)
{
	struct intake_arena	a;

	intake_arena_init(&a, 1024);
	intake_arena_reset(&a);
	intake_arena_free(&a);
	intake_arena_free(&a);
	T_ASSERT(intake_arena_alloc(&a, 8) != NULL);
	intake_arena_free(&a);
}

int
main(void)
{
	T_RUN(test_arena_alloc_is_aligned_for_any_type);
	T_RUN(test_arena_alloc_zero_gives_distinct_pointers);
	T_RUN(test_arena_allocations_do_not_overlap);
	T_RUN(test_arena_stops_at_its_maximum);
	T_RUN(test_arena_alloc_rejects_size_overflow);
	T_RUN(test_arena_alloc_over_max_of_one_request);
	T_RUN(test_arena_strndup_copies_and_terminates);
	T_RUN(test_arena_strndup_rejects_size_max);
	T_RUN(test_arena_strdup_over_max_is_null);
	T_RUN(test_arena_reset_gives_back_everything);
	T_RUN(test_arena_reset_and_free_of_empty_arena);
	return T_DONE();
}
