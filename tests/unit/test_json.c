/*
 * test_json.c - lib/json.c: bounded parsing and tolerant getters.
 */
#include <stdint.h>
#include <string.h>

#include "intake/json.h"

#include "t.h"

/* Parse a C string; the error, with the root put back. */
static enum intake_err
parse(const char *s)
{
	struct json_object	*o = NULL;
	enum intake_err		 err;

	err = intake_json_parse(s, strlen(s), &o);
	json_object_put(o);
	return err;
}

/* n nested arrays: "[[[...]]]". */
static char *
nested(size_t n)
{
	char	*s;

	s = malloc(2 * n + 1);
	if (s == NULL)
		abort();
	memset(s, '[', n);
	memset(s + n, ']', n);
	s[2 * n] = '\0';
	return s;
}

static void
test_json_parse_object(void)
{
	struct json_object	*o = NULL;
	const char		*s = "{\"a\":1,\"b\":[true,false,null],\"c\":\"x\"}";

	T_EQ_INT(intake_json_parse(s, strlen(s), &o), INTAKE_OK);
	T_ASSERT(o != NULL);
	T_ASSERT(json_object_is_type(o, json_type_object));
	json_object_put(o);
}

static void
test_json_parse_rejects_deep_nesting(void)
{
	char	*s;

	/* 100 nested arrays: a stack-exhaustion attempt. */
	s = nested(100);
	T_EQ_INT(parse(s), INTAKE_EINVAL);
	free(s);
	s = nested(100000);
	T_EQ_INT(parse(s), INTAKE_EINVAL);
	free(s);
}

static void
test_json_parse_depth_limit_is_exact(void)
{
	char	*s;

	s = nested(INTAKE_JSON_DEPTH);
	T_EQ_INT(parse(s), INTAKE_OK);
	free(s);
	s = nested(INTAKE_JSON_DEPTH + 1);
	T_EQ_INT(parse(s), INTAKE_EINVAL);
	free(s);
}

static void
test_json_parse_rejects_trailing_garbage(void)
{
	T_EQ_INT(parse("{}x"), INTAKE_EINVAL);
	T_EQ_INT(parse("{} x"), INTAKE_EINVAL);
	T_EQ_INT(parse("{}}"), INTAKE_EINVAL);
	T_EQ_INT(parse("{}{}"), INTAKE_EINVAL);
	T_EQ_INT(parse("[1] [2]"), INTAKE_EINVAL);
	T_EQ_INT(parse("\"a\"\"b\""), INTAKE_EINVAL);
	T_EQ_INT(parse("1 2"), INTAKE_EINVAL);
	T_EQ_INT(parse("{\"token\":\"a\"}\n{\"token\":\"b\"}"), INTAKE_EINVAL);
}

static void
test_json_parse_rejects_trailing_nul(void)
{
	struct json_object	*o = NULL;

	/* The length says 3: the NUL is data, and not whitespace. */
	T_EQ_INT(intake_json_parse("{}\0", 3, &o), INTAKE_EINVAL);
	T_ASSERT(o == NULL);
	T_EQ_INT(intake_json_parse("{}\0{\"x\":1}", 10, &o), INTAKE_EINVAL);
	T_ASSERT(o == NULL);
}

static void
test_json_parse_accepts_surrounding_whitespace(void)
{
	T_EQ_INT(parse("{} "), INTAKE_OK);
	T_EQ_INT(parse("{}\r\n\t \n"), INTAKE_OK);
	T_EQ_INT(parse("  \n{}"), INTAKE_OK);
	T_EQ_INT(parse("[1, 2]\n"), INTAKE_OK);
}

static void
test_json_parse_reads_only_len_bytes(void)
{
	struct json_object	*o = NULL;
	const char		*s = "{\"a\":1}garbage";

	T_EQ_INT(intake_json_parse(s, 7, &o), INTAKE_OK);
	T_ASSERT(o != NULL);
	json_object_put(o);
	o = NULL;
	T_EQ_INT(intake_json_parse(s, 6, &o), INTAKE_EINVAL);
	T_ASSERT(o == NULL);
}

static void
test_json_parse_rejects_empty_and_truncated(void)
{
	struct json_object	*o = NULL;

	T_EQ_INT(intake_json_parse("", 0, &o), INTAKE_EINVAL);
	T_EQ_INT(parse("   "), INTAKE_EINVAL);
	T_EQ_INT(parse("{"), INTAKE_EINVAL);
	T_EQ_INT(parse("{\"a\":"), INTAKE_EINVAL);
	T_EQ_INT(parse("[1,"), INTAKE_EINVAL);
	T_EQ_INT(parse("\"unterminated"), INTAKE_EINVAL);
	T_ASSERT(o == NULL);
}

static void
test_json_parse_rejects_non_json(void)
{
	T_EQ_INT(parse("<html>502 Bad Gateway</html>"), INTAKE_EINVAL);
	T_EQ_INT(parse("[1,]"), INTAKE_EINVAL);
	T_EQ_INT(parse("{\"a\":1,}"), INTAKE_EINVAL);
	T_EQ_INT(parse("NaN"), INTAKE_EINVAL);
	T_EQ_INT(parse("[01]"), INTAKE_EINVAL);
	T_EQ_INT(parse("{a:1}"), INTAKE_EINVAL);
}

/* json-c takes these even in strict mode; JSON has no such numbers. */
static void
test_json_parse_rejects_nonfinite_numbers(void)
{
	T_EQ_INT(parse("NaN"), INTAKE_EINVAL);
	T_EQ_INT(parse("[Infinity]"), INTAKE_EINVAL);
	T_EQ_INT(parse("[-Infinity]"), INTAKE_EINVAL);
	T_EQ_INT(parse("[1e999]"), INTAKE_EINVAL);
	T_EQ_INT(parse("{\"a\":{\"b\":[-1e400]}}"), INTAKE_EINVAL);
	T_EQ_INT(parse("[1e308]"), INTAKE_OK);
}

static void
test_json_parse_rejects_len_over_int_max(void)
{
	struct json_object	*o = NULL;

	/* Checked before anything is read: the pointer is never used. */
	T_EQ_INT(intake_json_parse("{}", (size_t)INT32_MAX + 1, &o), INTAKE_ETOOBIG);
	T_EQ_INT(intake_json_parse("{}", SIZE_MAX, &o), INTAKE_ETOOBIG);
	T_ASSERT(o == NULL);
}

/*
 * A JSON text may be a bare scalar (RFC 8259).  json-c cannot tell where
 * a number or literal ends without a following byte, so "123" must parse
 * as "123 " does.
 */
static void
test_json_parse_accepts_bare_scalar_at_end(void)
{
	T_EQ_INT(parse("\"s\""), INTAKE_OK);
	T_EQ_INT(parse("123 "), INTAKE_OK);
	T_EQ_INT(parse("123"), INTAKE_OK);
	T_EQ_INT(parse("true"), INTAKE_OK);
	T_EQ_INT(parse("-1.5"), INTAKE_OK);
}

int
main(void)
{
	T_RUN(test_json_parse_object);
	T_RUN(test_json_parse_rejects_deep_nesting);
	T_RUN(test_json_parse_depth_limit_is_exact);
	T_RUN(test_json_parse_rejects_trailing_garbage);
	T_RUN(test_json_parse_rejects_trailing_nul);
	T_RUN(test_json_parse_accepts_surrounding_whitespace);
	T_RUN(test_json_parse_reads_only_len_bytes);
	T_RUN(test_json_parse_rejects_empty_and_truncated);
	T_RUN(test_json_parse_rejects_non_json);
	T_RUN(test_json_parse_rejects_nonfinite_numbers);
	T_RUN(test_json_parse_rejects_len_over_int_max);
	T_RUN(test_json_parse_accepts_bare_scalar_at_end);
	return T_DONE();
}
