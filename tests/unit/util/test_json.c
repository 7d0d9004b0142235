/*
 * test_json.c - lib/util/json.c: bounded parsing and tolerant getters.
 */
#include <stdint.h>
#include <string.h>

#include "util/json.h"

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

/* Parse the writer's output back strictly (UTF-8 validated); the root or NULL. */
static struct json_object *
reparse(const struct intake_buf *b)
{
	struct json_object	*o = NULL;

	if (intake_json_parse(b->ptr, b->len, &o) != INTAKE_OK)
		return NULL;
	return o;
}

static void
test_json_error_message_cut_in_character_is_valid_json(void)
{
	struct intake_buf	 b;
	struct json_object	*o, *e, *m;
	const char		*msg;
	char			 big[INTAKE_JSON_MESSAGE_MAX + 8];

	/* 1023 bytes of 'a' and then é: the cut at 1024 falls inside the é. */
	memset(big, 'a', sizeof(big));
	big[INTAKE_JSON_MESSAGE_MAX - 1] = '\xc3';
	big[INTAKE_JSON_MESSAGE_MAX] = '\xa9';
	big[INTAKE_JSON_MESSAGE_MAX + 1] = '\0';
	intake_buf_init(&b, 8192);
	T_EQ_INT(intake_json_error(&b, "unknown_parameter", big), INTAKE_OK);
	o = reparse(&b);
	T_ASSERT(o != NULL);
	T_ASSERT(json_object_object_get_ex(o, "error", &e));
	T_ASSERT(json_object_object_get_ex(e, "message", &m) &&
	    json_object_is_type(m, json_type_string));
	msg = json_object_get_string(m);
	/* The a's, then U+2026 where the é was cut off. */
	T_EQ_INT((long long)strlen(msg), INTAKE_JSON_MESSAGE_MAX - 1 + 3);
	T_ASSERT(strcmp(msg + INTAKE_JSON_MESSAGE_MAX - 1, "\xe2\x80\xa6") == 0);
	json_object_put(o);
	intake_buf_free(&b);
}

static void
test_json_echo_invalid_utf8_field_name_parses_strictly(void)
{
	struct intake_buf	 b;
	struct json_object	*o;

	intake_buf_init(&b, 4096);
	T_EQ_INT(intake_json_echo(&b, "\xff\xfe", 2, INTAKE_JSON_ECHO_MAX), INTAKE_OK);
	o = reparse(&b);
	T_ASSERT(o != NULL);
	T_ASSERT(o != NULL && strcmp(json_object_get_string(o),
	    "\xef\xbf\xbd\xef\xbf\xbd") == 0);
	json_object_put(o);
	intake_buf_free(&b);
}

static void
test_json_echo_short_name_is_exact_and_long_one_is_marked(void)
{
	struct intake_buf	b;

	intake_buf_init(&b, 4096);
	T_EQ_INT(intake_json_echo(&b, "naïve", 6, 6), INTAKE_OK);
	T_EQ_STR(intake_buf_str(&b), "\"naïve\"");
	intake_buf_reset(&b);
	/* 'ï' is bytes 2-3: a limit of 3 keeps "na" and marks the cut. */
	T_EQ_INT(intake_json_echo(&b, "naïve", 6, 3), INTAKE_OK);
	T_EQ_STR(intake_buf_str(&b), "\"na\xe2\x80\xa6\"");
	intake_buf_free(&b);
}

/* A cut name appended to a nearly full buffer: refused whole, remembered, still terminated. */
static void
test_json_echo_that_does_not_fit_is_remembered_by_the_buffer(void)
{
	struct intake_buf	b;
	size_t			max;

	/* Room for the quoted cut prefix ("na"), not for the ellipsis after it. */
	max = strlen("x\"na\"");
	intake_buf_init(&b, max);
	T_EQ_INT(intake_buf_adds(&b, "x"), INTAKE_OK);
	T_EQ_INT(intake_json_echo(&b, "naïve", 6, 3), INTAKE_ETOOBIG);
	T_EQ_INT(intake_buf_err(&b), INTAKE_ETOOBIG);
	/* Whatever was kept, it is a C string no longer than the max. */
	T_ASSERT(b.len <= max && strlen(intake_buf_str(&b)) == b.len);
	intake_buf_free(&b);
}

/* The error writer appends in a straight line and reports the first failure once. */
static void
test_json_error_that_does_not_fit_reports_it(void)
{
	struct intake_buf	b;

	intake_buf_init(&b, 40);
	T_EQ_INT(intake_json_error(&b, "not_found", "No such endpoint."), INTAKE_ETOOBIG);
	T_EQ_INT(intake_buf_err(&b), INTAKE_ETOOBIG);
	intake_buf_free(&b);
	intake_buf_init(&b, 4096);
	T_EQ_INT(intake_json_error(&b, "not_found", "No such <endpoint>."), INTAKE_OK);
	T_EQ_STR(intake_buf_str(&b), "{\"error\":{\"code\":\"not_found\","
	    "\"message\":\"No such \\u003cendpoint\\u003e.\"}}\n");
	intake_buf_free(&b);
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
	T_RUN(test_json_error_message_cut_in_character_is_valid_json);
	T_RUN(test_json_echo_invalid_utf8_field_name_parses_strictly);
	T_RUN(test_json_echo_short_name_is_exact_and_long_one_is_marked);
	T_RUN(test_json_echo_that_does_not_fit_is_remembered_by_the_buffer);
	T_RUN(test_json_error_that_does_not_fit_reports_it);
	return T_DONE();
}
