/*
 * test_buf.c - lib/util/buf.c: bounded, always-terminated growable buffers.
 */
#include <stdint.h>
#include <string.h>

#include "util/buf.h"

#include "t.h"

static void
test_buf_empty_is_empty_string(void)
{
	struct intake_buf	b;

	intake_buf_init(&b, 16);
	T_EQ_STR(intake_buf_str(&b), "");
	T_EQ_INT(b.len, 0);
	intake_buf_reset(&b);
	T_EQ_STR(intake_buf_str(&b), "");
	intake_buf_free(&b);
	intake_buf_free(&b);
}

static void
test_buf_add_appends_and_terminates(void)
{
	struct intake_buf	b;

	intake_buf_init(&b, 64);
	T_EQ_INT(intake_buf_add(&b, "abc", 3), INTAKE_OK);
	T_EQ_INT(intake_buf_adds(&b, "def"), INTAKE_OK);
	T_EQ_INT(intake_buf_addc(&b, 'g'), INTAKE_OK);
	T_EQ_INT(intake_buf_add(&b, "", 0), INTAKE_OK);
	T_EQ_STR(intake_buf_str(&b), "abcdefg");
	T_EQ_INT(b.len, 7);
	T_EQ_INT(b.ptr[b.len], '\0');
	intake_buf_free(&b);
}

static void
test_buf_add_binary_keeps_nul_bytes(void)
{
	struct intake_buf	b;

	intake_buf_init(&b, 64);
	T_EQ_INT(intake_buf_add(&b, "a\0b", 3), INTAKE_OK);
	T_EQ_INT(b.len, 3);
	T_EQ_MEM(b.ptr, "a\0b\0", 4);
	intake_buf_free(&b);
}

static void
test_buf_exactly_max_fits(void)
{
	struct intake_buf	b;
	char			s[32];

	memset(s, 'x', sizeof(s));
	intake_buf_init(&b, sizeof(s));
	T_EQ_INT(intake_buf_add(&b, s, sizeof(s)), INTAKE_OK);
	T_EQ_INT(b.len, sizeof(s));
	T_EQ_INT(b.ptr[sizeof(s)], '\0');
	T_ASSERT(b.cap <= sizeof(s) + 1);
	T_EQ_INT(intake_buf_addc(&b, 'y'), INTAKE_ETOOBIG);
	T_EQ_INT(intake_buf_add(&b, "", 0), INTAKE_OK);
	intake_buf_free(&b);
}

static void
test_buf_failed_add_leaves_buffer_unchanged(void)
{
	struct intake_buf	b;
	char			big[100];

	memset(big, 'z', sizeof(big));
	intake_buf_init(&b, 10);
	T_EQ_INT(intake_buf_adds(&b, "hello"), INTAKE_OK);
	T_EQ_INT(intake_buf_add(&b, big, 6), INTAKE_ETOOBIG);
	T_EQ_STR(intake_buf_str(&b), "hello");
	T_EQ_INT(b.len, 5);
	T_EQ_INT(intake_buf_add(&b, big, sizeof(big)), INTAKE_ETOOBIG);
	T_EQ_STR(intake_buf_str(&b), "hello");
	T_EQ_INT(intake_buf_add(&b, big, 5), INTAKE_OK);
	T_EQ_STR(intake_buf_str(&b), "hellozzzzz");
	/* The first failure is remembered for a writer that checks once. */
	T_EQ_INT(intake_buf_err(&b), INTAKE_ETOOBIG);
	intake_buf_reset(&b);
	T_EQ_INT(intake_buf_err(&b), INTAKE_OK);
	intake_buf_free(&b);
}

static void
test_buf_add_rejects_size_overflow(void)
{
	struct intake_buf	b;

	/* len + n would wrap: the check must not be fooled. */
	intake_buf_init(&b, 1024);
	T_EQ_INT(intake_buf_adds(&b, "abc"), INTAKE_OK);
	T_EQ_INT(intake_buf_add(&b, "x", SIZE_MAX), INTAKE_ETOOBIG);
	T_EQ_INT(intake_buf_add(&b, "x", SIZE_MAX - 2), INTAKE_ETOOBIG);
	T_EQ_STR(intake_buf_str(&b), "abc");
	intake_buf_free(&b);
}

static void
test_buf_max_zero_takes_nothing(void)
{
	struct intake_buf	b;

	intake_buf_init(&b, 0);
	T_EQ_INT(intake_buf_addc(&b, 'a'), INTAKE_ETOOBIG);
	T_EQ_INT(intake_buf_add(&b, "", 0), INTAKE_OK);
	T_EQ_STR(intake_buf_str(&b), "");
	intake_buf_free(&b);
}

static void
test_buf_grows_over_many_appends(void)
{
	struct intake_buf	b;
	size_t			i;

	intake_buf_init(&b, 1 << 20);
	for (i = 0; i < 100000; i++)
		T_EQ_INT(intake_buf_addc(&b, (char)('a' + i % 26)), INTAKE_OK);
	T_EQ_INT(b.len, 100000);
	T_EQ_INT(strlen(intake_buf_str(&b)), 100000);
	for (i = 0; i < 100000; i++)
		if (b.ptr[i] != (char)('a' + i % 26))
			T_FAIL("byte %zu wrong", i);
	intake_buf_free(&b);
}

static void
test_buf_printf_formats_and_appends(void)
{
	struct intake_buf	b;

	intake_buf_init(&b, 64);
	T_EQ_INT(intake_buf_adds(&b, ">"), INTAKE_OK);
	T_EQ_INT(intake_buf_printf(&b, "%s=%d;%lld", "n", 42, -7LL), INTAKE_OK);
	T_EQ_STR(intake_buf_str(&b), ">n=42;-7");
	T_EQ_INT(b.len, 8);
	intake_buf_free(&b);
}

static void
test_buf_printf_over_max_leaves_buffer_unchanged(void)
{
	struct intake_buf	b;

	intake_buf_init(&b, 8);
	T_EQ_INT(intake_buf_adds(&b, "ab"), INTAKE_OK);
	T_EQ_INT(intake_buf_printf(&b, "%s", "0123456789"), INTAKE_ETOOBIG);
	T_EQ_STR(intake_buf_str(&b), "ab");
	T_EQ_INT(intake_buf_printf(&b, "%06d", 12), INTAKE_OK);
	T_EQ_STR(intake_buf_str(&b), "ab000012");
	intake_buf_free(&b);
}

static void
test_buf_printf_large_output(void)
{
	struct intake_buf	b;
	char			s[5000];

	memset(s, 'q', sizeof(s) - 1);
	s[sizeof(s) - 1] = '\0';
	intake_buf_init(&b, 1 << 16);
	T_EQ_INT(intake_buf_printf(&b, "[%s]", s), INTAKE_OK);
	T_EQ_INT(b.len, sizeof(s) + 1);
	T_EQ_INT(b.ptr[0], '[');
	T_EQ_INT(b.ptr[b.len - 1], ']');
	T_EQ_INT(b.ptr[b.len], '\0');
	intake_buf_free(&b);
}

static void
test_buf_reset_keeps_memory_and_empties(void)
{
	struct intake_buf	b;

	intake_buf_init(&b, 64);
	T_EQ_INT(intake_buf_adds(&b, "something"), INTAKE_OK);
	intake_buf_reset(&b);
	T_EQ_INT(b.len, 0);
	T_EQ_STR(intake_buf_str(&b), "");
	T_EQ_INT(intake_buf_adds(&b, "new"), INTAKE_OK);
	T_EQ_STR(intake_buf_str(&b), "new");
	intake_buf_free(&b);
	T_ASSERT(b.ptr == NULL);
	T_EQ_INT(b.len, 0);
}

/*
 * An unbounded buffer (max SIZE_MAX) must work like any other.  buf_grow
 * clamps the capacity to max + 1, which wraps to 0 for SIZE_MAX.
 */
static void
test_buf_unbounded_max_does_not_wrap_capacity(void)
{
	struct intake_buf	b;

	intake_buf_init(&b, SIZE_MAX);
	T_EQ_INT(intake_buf_adds(&b, "hello"), INTAKE_OK);
	T_ASSERT(b.cap >= 6);
	T_EQ_INT(intake_buf_adds(&b, " world"), INTAKE_OK);
	T_EQ_STR(intake_buf_str(&b), "hello world");
	intake_buf_free(&b);
}

int
main(void)
{
	T_RUN(test_buf_empty_is_empty_string);
	T_RUN(test_buf_add_appends_and_terminates);
	T_RUN(test_buf_add_binary_keeps_nul_bytes);
	T_RUN(test_buf_exactly_max_fits);
	T_RUN(test_buf_failed_add_leaves_buffer_unchanged);
	T_RUN(test_buf_add_rejects_size_overflow);
	T_RUN(test_buf_max_zero_takes_nothing);
	T_RUN(test_buf_grows_over_many_appends);
	T_RUN(test_buf_printf_formats_and_appends);
	T_RUN(test_buf_printf_over_max_leaves_buffer_unchanged);
	T_RUN(test_buf_printf_large_output);
	T_RUN(test_buf_reset_keeps_memory_and_empties);
	T_RUN(test_buf_unbounded_max_does_not_wrap_capacity);
	return T_DONE();
}
