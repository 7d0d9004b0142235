/*
 * test_query.c - lib/web/query.c: urlencoded pairs into the request arena.
 *
 * Every parse goes through an exact-size heap copy of the input, so a read
 * past len is an ASan error in the sanitized run.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/arena.h"
#include "util/buf.h"
#include "web/query.h"

#include "t.h"

#define ARENA_MAX	(1 << 20)

static enum intake_err
parse_n(const char *s, size_t n, struct intake_arena *a, struct intake_query *q)
{
	enum intake_err	 err;
	char		*copy;

	copy = calloc(1, n == 0 ? 1 : n);
	if (copy == NULL)
		abort();
	memcpy(copy, s, n);
	err = intake_query_parse(copy, n, a, q);
	free(copy);
	return err;
}

static enum intake_err
parse(const char *s, struct intake_arena *a, struct intake_query *q)
{
	return parse_n(s, strlen(s), a, q);
}

/* s is refused with want, and the query left as it was. */
#define T_REFUSED(s, want)						\
	do {								\
		struct intake_arena a_;					\
		struct intake_query q_;					\
		q_.npairs = 12345;					\
		intake_arena_init(&a_, ARENA_MAX);			\
		T_EQ_INT(parse((s), &a_, &q_), (want));			\
		T_EQ_INT(q_.npairs, 12345);				\
		intake_arena_free(&a_);					\
	} while (0)

static void
test_query_basic_pairs_decode(void)
{
	struct intake_arena	 a;
	struct intake_query	 q;
	const char		*v;

	intake_arena_init(&a, ARENA_MAX);
	T_EQ_INT(parse("a=1&b=x+y&c=%41%42", &a, &q), INTAKE_OK);
	T_EQ_INT(q.npairs, 3);
	T_EQ_STR(q.pairs[0].name, "a");
	T_EQ_STR(q.pairs[0].value, "1");
	T_EQ_INT(q.pairs[0].valuelen, 1);
	T_EQ_STR(q.pairs[1].value, "x y");
	T_EQ_STR(q.pairs[2].value, "AB");
	T_EQ_INT(q.pairs[2].valuelen, 2);
	T_EQ_INT(intake_query_get(&q, "b", &v), INTAKE_OK);
	T_EQ_STR(v, "x y");
	T_EQ_INT(intake_query_get(&q, "c", &v), INTAKE_OK);
	T_EQ_STR(v, "AB");
	intake_arena_free(&a);
}

static void
test_query_empty_value(void)
{
	struct intake_arena	 a;
	struct intake_query	 q;
	const char		*v = NULL;

	intake_arena_init(&a, ARENA_MAX);
	T_EQ_INT(parse("a=", &a, &q), INTAKE_OK);
	T_EQ_INT(q.npairs, 1);
	T_EQ_STR(q.pairs[0].name, "a");
	T_EQ_STR(q.pairs[0].value, "");
	T_EQ_INT(q.pairs[0].valuelen, 0);
	T_EQ_INT(intake_query_get(&q, "a", &v), INTAKE_OK);
	T_EQ_STR(v, "");
	intake_arena_free(&a);
}

static void
test_query_name_only(void)
{
	struct intake_arena	 a;
	struct intake_query	 q;
	const char		*v = NULL;

	intake_arena_init(&a, ARENA_MAX);
	T_EQ_INT(parse("a", &a, &q), INTAKE_OK);
	T_EQ_INT(q.npairs, 1);
	T_EQ_STR(q.pairs[0].name, "a");
	T_EQ_STR(q.pairs[0].value, "");
	T_EQ_INT(q.pairs[0].valuelen, 0);
	T_EQ_INT(intake_query_get(&q, "a", &v), INTAKE_OK);
	T_EQ_STR(v, "");
	intake_arena_free(&a);
}

static void
test_query_value_splits_on_first_equals(void)
{
	struct intake_arena	 a;
	struct intake_query	 q;

	intake_arena_init(&a, ARENA_MAX);
	T_EQ_INT(parse("expr=a=b%3Dc&=x", &a, &q), INTAKE_OK);
	T_EQ_INT(q.npairs, 2);
	T_EQ_STR(q.pairs[0].name, "expr");
	T_EQ_STR(q.pairs[0].value, "a=b=c");
	T_EQ_STR(q.pairs[1].name, "");
	T_EQ_STR(q.pairs[1].value, "x");
	intake_arena_free(&a);
}

static void
test_query_skips_empty_pieces(void)
{
	struct intake_arena	 a;
	struct intake_query	 q;

	intake_arena_init(&a, ARENA_MAX);
	T_EQ_INT(parse("&&", &a, &q), INTAKE_OK);
	T_EQ_INT(q.npairs, 0);
	T_EQ_INT(parse("", &a, &q), INTAKE_OK);
	T_EQ_INT(q.npairs, 0);
	T_EQ_INT(parse("&a=1&&b=2&", &a, &q), INTAKE_OK);
	T_EQ_INT(q.npairs, 2);
	T_EQ_STR(q.pairs[0].name, "a");
	T_EQ_STR(q.pairs[1].name, "b");
	T_EQ_INT(intake_query_parse(NULL, 0, &a, &q), INTAKE_OK);
	T_EQ_INT(q.npairs, 0);
	intake_arena_free(&a);
}

static void
test_query_get_absent_is_ok_and_null(void)
{
	struct intake_arena	 a;
	struct intake_query	 q;
	const char		*v = "untouched";

	intake_arena_init(&a, ARENA_MAX);
	T_EQ_INT(parse("a=1", &a, &q), INTAKE_OK);
	T_EQ_INT(intake_query_get(&q, "b", &v), INTAKE_OK);
	T_ASSERT(v == NULL);
	v = "untouched";
	T_EQ_INT(intake_query_get(&q, "A", &v), INTAKE_OK);	/* names are case-sensitive */
	T_ASSERT(v == NULL);
	intake_arena_free(&a);
}

static void
test_query_rejects_repeated_name(void)
{
	struct intake_arena	 a;
	struct intake_query	 q;
	const char		*v = "untouched";

	intake_arena_init(&a, ARENA_MAX);
	/* id=1&id=2 could pass a check on one and act on the other. */
	T_EQ_INT(parse("id=1&x=0&id=2", &a, &q), INTAKE_OK);
	T_EQ_INT(intake_query_get(&q, "id", &v), INTAKE_EINVAL);
	T_EQ_STR(v, "untouched");
	/* Repeated after decoding counts too. */
	T_EQ_INT(parse("id=1&%69d=1", &a, &q), INTAKE_OK);
	T_EQ_INT(intake_query_get(&q, "id", &v), INTAKE_EINVAL);
	T_EQ_INT(intake_query_get(&q, "x", &v), INTAKE_OK);
	T_ASSERT(v == NULL);
	intake_arena_free(&a);
}

static void
test_query_rejects_truncated_percent_escape(void)
{
	T_REFUSED("a=%4", INTAKE_EINVAL);
	T_REFUSED("a=%", INTAKE_EINVAL);
	T_REFUSED("%", INTAKE_EINVAL);
	T_REFUSED("a=%4&b=1", INTAKE_EINVAL);	/* cut short by the '&' */
	T_REFUSED("a%=1", INTAKE_EINVAL);	/* cut short by the '=' */
}

static void
test_query_rejects_non_hex_percent_escape(void)
{
	T_REFUSED("a=%zz", INTAKE_EINVAL);
	T_REFUSED("a=%4g", INTAKE_EINVAL);
	T_REFUSED("a=%g4", INTAKE_EINVAL);
	T_REFUSED("a=% 41", INTAKE_EINVAL);
	T_REFUSED("a=%+41", INTAKE_EINVAL);
	T_REFUSED("%zz=1", INTAKE_EINVAL);
}

static void
test_query_percent_escape_is_case_insensitive(void)
{
	struct intake_arena	 a;
	struct intake_query	 q;

	intake_arena_init(&a, ARENA_MAX);
	T_EQ_INT(parse("v=%2f%2F%7e", &a, &q), INTAKE_OK);
	T_EQ_STR(q.pairs[0].value, "//~");
	intake_arena_free(&a);
}

static void
test_query_keeps_nul_in_value_with_valuelen(void)
{
	struct intake_arena	 a;
	struct intake_query	 q;

	intake_arena_init(&a, ARENA_MAX);
	T_EQ_INT(parse("a=x%00y&b=%00", &a, &q), INTAKE_OK);
	T_EQ_INT(q.pairs[0].valuelen, 3);
	T_EQ_MEM(q.pairs[0].value, "x\0y\0", 4);
	T_EQ_INT(strlen(q.pairs[0].value), 1);	/* why valuelen exists */
	T_EQ_INT(q.pairs[1].valuelen, 1);
	intake_arena_free(&a);
}

static void
test_query_rejects_nul_in_name(void)
{
	/* "a%00b" must not answer intake_query_get(q, "a"). */
	struct intake_arena	a;
	struct intake_query	q;

	T_REFUSED("a%00b=1", INTAKE_EINVAL);
	T_REFUSED("%00", INTAKE_EINVAL);
	intake_arena_init(&a, ARENA_MAX);
	T_EQ_INT(parse_n("a\0b=1", 5, &a, &q), INTAKE_EINVAL);
	intake_arena_free(&a);
}

static void
test_query_literal_nul_byte_in_value(void)
{
	struct intake_arena	 a;
	struct intake_query	 q;

	intake_arena_init(&a, ARENA_MAX);
	T_EQ_INT(parse_n("a=x\0y", 5, &a, &q), INTAKE_OK);
	T_EQ_INT(q.pairs[0].valuelen, 3);
	intake_arena_free(&a);
}

static void
test_query_rejects_more_than_64_pairs(void)
{
	struct intake_arena	 a;
	struct intake_query	 q;
	struct intake_buf	 b;
	size_t			 i;
	const char		*v;

	intake_arena_init(&a, ARENA_MAX);
	intake_buf_init(&b, 4096);
	for (i = 0; i < INTAKE_QUERY_PAIRS_MAX; i++)
		T_EQ_INT(intake_buf_printf(&b, "k%zu=%zu&", i, i), INTAKE_OK);
	T_EQ_INT(parse_n(b.ptr, b.len, &a, &q), INTAKE_OK);
	T_EQ_INT(q.npairs, INTAKE_QUERY_PAIRS_MAX);
	T_EQ_INT(intake_query_get(&q, "k63", &v), INTAKE_OK);
	T_EQ_STR(v, "63");

	/* Empty pieces do not count; the 65th real one does. */
	T_EQ_INT(intake_buf_adds(&b, "&&&"), INTAKE_OK);
	T_EQ_INT(parse_n(b.ptr, b.len, &a, &q), INTAKE_OK);
	T_EQ_INT(intake_buf_adds(&b, "x"), INTAKE_OK);
	q.npairs = 12345;
	T_EQ_INT(parse_n(b.ptr, b.len, &a, &q), INTAKE_ETOOBIG);
	T_EQ_INT(q.npairs, 12345);
	intake_buf_free(&b);
	intake_arena_free(&a);
}

static void
test_query_full_arena_is_toobig(void)
{
	struct intake_arena	 a;
	struct intake_query	 q;
	struct intake_buf	 b;
	size_t			 i;

	intake_arena_init(&a, 256);
	intake_buf_init(&b, 4096);
	T_EQ_INT(intake_buf_adds(&b, "v="), INTAKE_OK);
	for (i = 0; i < 300; i++)
		T_EQ_INT(intake_buf_addc(&b, 'x'), INTAKE_OK);
	q.npairs = 12345;
	T_EQ_INT(parse_n(b.ptr, b.len, &a, &q), INTAKE_ETOOBIG);
	T_EQ_INT(q.npairs, 12345);
	intake_buf_free(&b);
	intake_arena_free(&a);
}

static void
test_query_utf8_percent_encoded(void)
{
	struct intake_arena	 a;
	struct intake_query	 q;
	const char		*v;

	intake_arena_init(&a, ARENA_MAX);
	T_EQ_INT(parse("city=Z%C3%BCrich&jp=%E6%9D%B1%E4%BA%AC&ru=%D0%9C%D0%BE%D1%81%D0%BA%D0%B2%D0%B0"
	    "&raw=S\xc3\xa3o+Paulo", &a, &q), INTAKE_OK);
	T_EQ_INT(intake_query_get(&q, "city", &v), INTAKE_OK);
	T_EQ_STR(v, "Zürich");
	T_EQ_INT(intake_query_get(&q, "jp", &v), INTAKE_OK);
	T_EQ_STR(v, "東京");
	T_EQ_INT(q.pairs[1].valuelen, strlen("東京"));
	T_EQ_INT(intake_query_get(&q, "ru", &v), INTAKE_OK);
	T_EQ_STR(v, "Москва");
	T_EQ_INT(intake_query_get(&q, "raw", &v), INTAKE_OK);
	T_EQ_STR(v, "São Paulo");
	intake_arena_free(&a);
}

static void
test_query_decoded_separators_are_data(void)
{
	struct intake_arena	 a;
	struct intake_query	 q;
	const char		*v;

	/* %26 and %3D decode to '&' and '=' inside one value, not new pairs. */
	intake_arena_init(&a, ARENA_MAX);
	T_EQ_INT(parse("q=a%26admin%3D1%2B2", &a, &q), INTAKE_OK);
	T_EQ_INT(q.npairs, 1);
	T_EQ_INT(intake_query_get(&q, "admin", &v), INTAKE_OK);
	T_ASSERT(v == NULL);
	T_EQ_STR(q.pairs[0].value, "a&admin=1+2");
	intake_arena_free(&a);
}

static void
test_query_reads_only_len_bytes(void)
{
	struct intake_arena	 a;
	struct intake_query	 q;

	intake_arena_init(&a, ARENA_MAX);
	T_EQ_INT(parse_n("a=1&b=2", 5, &a, &q), INTAKE_OK);
	T_EQ_INT(q.npairs, 2);
	T_EQ_STR(q.pairs[1].name, "b");
	T_EQ_STR(q.pairs[1].value, "");
	/* An escape cut by len is truncated, whatever follows in memory. */
	T_EQ_INT(parse_n("a=%41", 4, &a, &q), INTAKE_EINVAL);
	intake_arena_free(&a);
}

int
main(void)
{
	T_RUN(test_query_basic_pairs_decode);
	T_RUN(test_query_empty_value);
	T_RUN(test_query_name_only);
	T_RUN(test_query_value_splits_on_first_equals);
	T_RUN(test_query_skips_empty_pieces);
	T_RUN(test_query_get_absent_is_ok_and_null);
	T_RUN(test_query_rejects_repeated_name);
	T_RUN(test_query_rejects_truncated_percent_escape);
	T_RUN(test_query_rejects_non_hex_percent_escape);
	T_RUN(test_query_percent_escape_is_case_insensitive);
	T_RUN(test_query_keeps_nul_in_value_with_valuelen);
	T_RUN(test_query_rejects_nul_in_name);
	T_RUN(test_query_literal_nul_byte_in_value);
	T_RUN(test_query_rejects_more_than_64_pairs);
	T_RUN(test_query_full_arena_is_toobig);
	T_RUN(test_query_utf8_percent_encoded);
	T_RUN(test_query_decoded_separators_are_data);
	T_RUN(test_query_reads_only_len_bytes);
	return T_DONE();
}
