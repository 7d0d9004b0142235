/*
 * test_memo.c - lib/web/handler/memo.c: rendered listing answers kept per
 * source, list version and variant; a flood of one list's variants pushes
 * out only that list's answers, a flood of filtered lists never pushes out
 * an unfiltered one, and filtered lists leave least recently used first.
 */
#include <stdio.h>
#include <string.h>

#include "web/handler/memo.h"

#include "t.h"

static struct intake_source	src_a, src_b;

static void
sources(void)
{
	memset(&src_a, 0, sizeof(src_a));
	memset(&src_b, 0, sizeof(src_b));
	memcpy(src_a.name, "departments", sizeof("departments"));
	memcpy(src_b.name, "locations", sizeof("locations"));
	src_a.kind = src_b.kind = INTAKE_SOURCE_CHOICES;
}

/* Remember text as the body of (src, version, variant). */
static void
put(const struct intake_source *src, const char *version, bool filtered, const char *variant,
    const char *text)
{
	struct intake_buf	b;

	intake_buf_init(&b, 1024);
	T_EQ_INT(intake_buf_adds(&b, text), INTAKE_OK);
	intake_memo_put(src, version, filtered, variant, &b, "\"etag\"");
	/* The contents were taken: the buffer is empty, with its max. */
	T_ASSERT(b.ptr == NULL && b.len == 0 && b.max == 1024);
	intake_buf_free(&b);
}

/* The remembered body of (src, version, variant), or NULL. */
static const char *
get(const struct intake_source *src, const char *version, bool filtered, const char *variant)
{
	const struct intake_buf	*b;
	const char		*etag = NULL;

	b = intake_memo_get(src, version, filtered, variant, &etag);
	return b == NULL ? NULL : intake_buf_str(b);
}

static void
test_memo_answers_only_its_source_version_and_variant(void)
{
	const char	*etag = NULL;

	sources();
	T_ASSERT(get(&src_a, "v1", false, "x") == NULL);	/* a miss is NULL */
	put(&src_a, "v1", false, "x", "body-a");
	T_ASSERT(intake_memo_get(&src_a, "v1", false, "x", &etag) != NULL);
	T_ASSERT(strcmp(etag, "\"etag\"") == 0);
	T_ASSERT(get(&src_a, "v1", false, "x") != NULL &&
	    strcmp(get(&src_a, "v1", false, "x"), "body-a") == 0);
	/* Same rows and variant of another source: its name is in its body. */
	T_ASSERT(get(&src_b, "v1", false, "x") == NULL);
	/* New rows: a new version, never the old body. */
	T_ASSERT(get(&src_a, "v2", false, "x") == NULL);
	T_ASSERT(get(&src_a, "v1", false, "y") == NULL);
	T_ASSERT(get(&src_a, "v1", true, "x") == NULL);
	/* The same name in the other listing kind is another source. */
	src_b = src_a;
	src_b.kind = INTAKE_SOURCE_REPORT;
	T_ASSERT(get(&src_b, "v1", false, "x") == NULL);
	intake_memo_clear();
	T_ASSERT(get(&src_a, "v1", false, "x") == NULL);
}

static void
test_memo_search_flood_evicts_only_that_lists_answers(void)
{
	char	variant[32];
	int	i;

	sources();
	put(&src_b, "v1", false, "page1", "other list");
	put(&src_a, "v1", false, "first", "first search");
	for (i = 0; i < 1000; i++) {
		(void)snprintf(variant, sizeof(variant), "q=%d", i);
		put(&src_a, "v1", false, variant, variant);
	}
	/* The flood's newest answers stay, its oldest went, the other list is untouched. */
	T_ASSERT(get(&src_a, "v1", false, "q=999") != NULL);
	T_ASSERT(get(&src_a, "v1", false, "first") == NULL);
	T_ASSERT(get(&src_b, "v1", false, "page1") != NULL &&
	    strcmp(get(&src_b, "v1", false, "page1"), "other list") == 0);
	intake_memo_clear();
}

/* Thousands of filtered lists (client-chosen values): the unfiltered answers stay. */
static void
test_memo_filtered_flood_never_evicts_unfiltered_lists(void)
{
	char	version[32];
	int	i;

	sources();
	put(&src_a, "all", false, "x", "unfiltered a");
	put(&src_b, "all", false, "x", "unfiltered b");
	for (i = 0; i < 5000; i++) {
		(void)snprintf(version, sizeof(version), "f%d", i);
		put(&src_a, version, true, "x", version);
	}
	T_ASSERT(get(&src_a, "all", false, "x") != NULL &&
	    strcmp(get(&src_a, "all", false, "x"), "unfiltered a") == 0);
	T_ASSERT(get(&src_b, "all", false, "x") != NULL);
	/* The newest filtered lists stay, the oldest went. */
	T_ASSERT(get(&src_a, "f4999", true, "x") != NULL);
	T_ASSERT(get(&src_a, "f0", true, "x") == NULL);
	intake_memo_clear();
}

/* A source's unfiltered list keeps its newest version only; other sources keep theirs. */
static void
test_memo_new_unfiltered_version_replaces_the_old(void)
{
	sources();
	put(&src_a, "v1", false, "x", "old");
	put(&src_b, "w1", false, "x", "b");
	put(&src_a, "v2", false, "x", "new");
	T_ASSERT(get(&src_a, "v1", false, "x") == NULL);
	T_ASSERT(get(&src_a, "v2", false, "x") != NULL &&
	    strcmp(get(&src_a, "v2", false, "x"), "new") == 0);
	T_ASSERT(get(&src_b, "w1", false, "x") != NULL);
	intake_memo_clear();
}

/* Filtered lists leave least recently used first: one asked for all along stays. */
static void
test_memo_filtered_lists_leave_least_recently_used_first(void)
{
	char	version[32];
	int	i;

	sources();
	put(&src_b, "kept", true, "x", "kept");
	for (i = 0; i < 200; i++) {
		(void)snprintf(version, sizeof(version), "v%d", i);
		put(&src_a, version, true, "x", version);
		T_ASSERT(get(&src_b, "kept", true, "x") != NULL);
	}
	T_ASSERT(get(&src_a, "v199", true, "x") != NULL);
	T_ASSERT(get(&src_a, "v0", true, "x") == NULL);
	intake_memo_clear();
}

int
main(void)
{
	T_RUN(test_memo_answers_only_its_source_version_and_variant);
	T_RUN(test_memo_search_flood_evicts_only_that_lists_answers);
	T_RUN(test_memo_filtered_flood_never_evicts_unfiltered_lists);
	T_RUN(test_memo_new_unfiltered_version_replaces_the_old);
	T_RUN(test_memo_filtered_lists_leave_least_recently_used_first);
	return T_DONE();
}
