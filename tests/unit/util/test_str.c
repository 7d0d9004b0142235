/*
 * test_str.c - lib/util/str.c: number parsing, bounded copies, escaping,
 * base64url, constant-time comparison.
 */
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include <json-c/json.h>

#include "util/str.h"

#include "t.h"

#define SENTINEL	0x5a5a5a5aLL

/* intake_parse_int(s) with [min, max]; *v keeps SENTINEL unless OK. */
static enum intake_err
pi(const char *s, long long min, long long max, long long *v)
{
	*v = SENTINEL;
	return intake_parse_int(s, min, max, v);
}

static void
test_parse_int_accepts_whole_numbers(void)
{
	long long	v;

	T_EQ_INT(pi("0", 0, 10, &v), INTAKE_OK);
	T_EQ_INT(v, 0);
	T_EQ_INT(pi("42", 0, 100, &v), INTAKE_OK);
	T_EQ_INT(v, 42);
	T_EQ_INT(pi("-42", -100, 100, &v), INTAKE_OK);
	T_EQ_INT(v, -42);
	T_EQ_INT(pi("9223372036854775807", 0, LLONG_MAX, &v), INTAKE_OK);
	T_EQ_INT(v, LLONG_MAX);
	T_EQ_INT(pi("-9223372036854775808", LLONG_MIN, 0, &v), INTAKE_OK);
	T_EQ_INT(v, LLONG_MIN);
}

static void
test_parse_int_bounds_are_inclusive(void)
{
	long long	v;

	T_EQ_INT(pi("1", 1, 256, &v), INTAKE_OK);
	T_EQ_INT(v, 1);
	T_EQ_INT(pi("256", 1, 256, &v), INTAKE_OK);
	T_EQ_INT(v, 256);
	T_EQ_INT(pi("0", 1, 256, &v), INTAKE_EINVAL);
	T_EQ_INT(v, SENTINEL);
	T_EQ_INT(pi("257", 1, 256, &v), INTAKE_EINVAL);
	T_EQ_INT(v, SENTINEL);
	T_EQ_INT(pi("-1", 0, 10, &v), INTAKE_EINVAL);
	T_EQ_INT(v, SENTINEL);
}

static void
test_parse_int_rejects_overflow(void)
{
	long long	v;

	T_EQ_INT(pi("9223372036854775808", LLONG_MIN, LLONG_MAX, &v), INTAKE_EINVAL);
	T_EQ_INT(v, SENTINEL);
	T_EQ_INT(pi("-9223372036854775809", LLONG_MIN, LLONG_MAX, &v), INTAKE_EINVAL);
	T_EQ_INT(pi("99999999999999999999999999", LLONG_MIN, LLONG_MAX, &v), INTAKE_EINVAL);
	T_EQ_INT(pi("18446744073709551616", LLONG_MIN, LLONG_MAX, &v), INTAKE_EINVAL);
	T_EQ_INT(v, SENTINEL);
}

static void
test_parse_int_rejects_empty(void)
{
	long long	v;

	T_EQ_INT(pi("", 0, 10, &v), INTAKE_EINVAL);
	T_EQ_INT(pi(NULL, 0, 10, &v), INTAKE_EINVAL);
	T_EQ_INT(pi("-", -10, 10, &v), INTAKE_EINVAL);
	T_EQ_INT(pi("+", -10, 10, &v), INTAKE_EINVAL);
	T_EQ_INT(v, SENTINEL);
}

static void
test_parse_int_rejects_leading_space(void)
{
	long long	v;

	T_EQ_INT(pi(" 5", 0, 10, &v), INTAKE_EINVAL);
	T_EQ_INT(pi("\t5", 0, 10, &v), INTAKE_EINVAL);
	T_EQ_INT(pi("\n5", 0, 10, &v), INTAKE_EINVAL);
	T_EQ_INT(pi("\v5", 0, 10, &v), INTAKE_EINVAL);
	T_EQ_INT(pi(" -5", -10, 10, &v), INTAKE_EINVAL);
	T_EQ_INT(v, SENTINEL);
}

static void
test_parse_int_rejects_trailing_junk(void)
{
	long long	v;

	T_EQ_INT(pi("5 ", 0, 10, &v), INTAKE_EINVAL);
	T_EQ_INT(pi("5\n", 0, 10, &v), INTAKE_EINVAL);
	T_EQ_INT(pi("5x", 0, 10, &v), INTAKE_EINVAL);
	T_EQ_INT(pi("5.0", 0, 10, &v), INTAKE_EINVAL);
	T_EQ_INT(pi("1e3", 0, 10000, &v), INTAKE_EINVAL);
	T_EQ_INT(pi("0x10", 0, 100, &v), INTAKE_EINVAL);
	T_EQ_INT(pi("--5", -10, 10, &v), INTAKE_EINVAL);
	T_EQ_INT(pi("5;rm", 0, 10, &v), INTAKE_EINVAL);
	T_EQ_INT(v, SENTINEL);
}

static void
test_parse_int_is_decimal_not_octal(void)
{
	long long	v;

	T_EQ_INT(pi("010", 0, 100, &v), INTAKE_OK);
	T_EQ_INT(v, 10);
	T_EQ_INT(pi("0009", 0, 100, &v), INTAKE_OK);
	T_EQ_INT(v, 9);
}

static void
test_parse_intn_reads_only_len_bytes(void)
{
	const char	unterminated[3] = { '1', '2', '3' };	/* no NUL */
	long long	v = SENTINEL;

	T_EQ_INT(intake_parse_intn(unterminated, 3, 0, 1000, &v), INTAKE_OK);
	T_EQ_INT(v, 123);
	T_EQ_INT(intake_parse_intn(unterminated, 2, 0, 1000, &v), INTAKE_OK);
	T_EQ_INT(v, 12);
	T_EQ_INT(intake_parse_intn("45 junk", 2, 0, 1000, &v), INTAKE_OK);
	T_EQ_INT(v, 45);
}

static void
test_parse_intn_rejects_empty_and_junk(void)
{
	long long	v = SENTINEL;

	T_EQ_INT(intake_parse_intn("5", 0, 0, 10, &v), INTAKE_EINVAL);
	T_EQ_INT(intake_parse_intn(" 5", 2, 0, 10, &v), INTAKE_EINVAL);
	T_EQ_INT(intake_parse_intn("5 ", 2, 0, 10, &v), INTAKE_EINVAL);
	T_EQ_INT(intake_parse_intn("11", 2, 0, 10, &v), INTAKE_EINVAL);
	T_EQ_INT(v, SENTINEL);
}

static void
test_parse_intn_rejects_embedded_nul(void)
{
	long long	v = SENTINEL;

	/* "1\0" would read as "1" through a C string. */
	T_EQ_INT(intake_parse_intn("1\0", 2, 0, 10, &v), INTAKE_EINVAL);
	T_EQ_INT(intake_parse_intn("1\0002", 3, 0, 100, &v), INTAKE_EINVAL);
	T_EQ_INT(v, SENTINEL);
}

static void
test_parse_intn_rejects_overlong_input(void)
{
	char		s[64];
	long long	v = SENTINEL;

	memset(s, '9', sizeof(s));
	T_EQ_INT(intake_parse_intn(s, sizeof(s), LLONG_MIN, LLONG_MAX, &v), INTAKE_EINVAL);
	T_EQ_INT(intake_parse_intn(s, 20, LLONG_MIN, LLONG_MAX, &v), INTAKE_EINVAL);
	T_EQ_INT(intake_parse_intn(s, SIZE_MAX, LLONG_MIN, LLONG_MAX, &v), INTAKE_EINVAL);
	T_EQ_INT(v, SENTINEL);
	T_EQ_INT(intake_parse_intn(s, 18, LLONG_MIN, LLONG_MAX, &v), INTAKE_OK);
	T_EQ_INT(v, 999999999999999999LL);
}

static void
test_parse_bool_accepts_the_documented_words(void)
{
	static const char *const yes[] = { "yes", "YES", "Yes", "true", "TRUE", "on", "On", "1" };
	static const char *const no[] = { "no", "NO", "false", "False", "off", "OFF", "0" };
	size_t	i;
	bool	b;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		b = false;
		T_EQ_INT(intake_parse_bool(yes[i], &b), INTAKE_OK);
		T_ASSERT(b);
	}
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		b = true;
		T_EQ_INT(intake_parse_bool(no[i], &b), INTAKE_OK);
		T_ASSERT(!b);
	}
}

static void
test_parse_bool_rejects_anything_else(void)
{
	static const char *const bad[] = { "", "y", "n", "2", "-1", " yes", "yes ", "enable",
	    "yess", "ye", "nope", "truefalse" };
	size_t	i;
	bool	b;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		b = true;
		if (intake_parse_bool(bad[i], &b) != INTAKE_EINVAL)
			T_FAIL("\"%s\" accepted", bad[i]);
		T_ASSERT(b);
	}
}

static void
test_strlcpy_copies_when_it_fits(void)
{
	char	dst[8];

	T_EQ_INT(intake_strlcpy(dst, "abc", sizeof(dst)), INTAKE_OK);
	T_EQ_STR(dst, "abc");
	T_EQ_INT(intake_strlcpy(dst, "1234567", sizeof(dst)), INTAKE_OK);
	T_EQ_STR(dst, "1234567");
	T_EQ_INT(intake_strlcpy(dst, "", 1), INTAKE_OK);
	T_EQ_STR(dst, "");
}

static void
test_strlcpy_rejects_truncation(void)
{
	char	dst[9];

	memcpy(dst, "untouch", 8);
	dst[8] = '#';
	/* 8 characters need 9 bytes; with 8 the copy must refuse. */
	T_EQ_INT(intake_strlcpy(dst, "12345678", 8), INTAKE_ETOOBIG);
	T_EQ_MEM(dst, "untouch\0#", 9);
	T_EQ_INT(intake_strlcpy(dst, "a", 0), INTAKE_ETOOBIG);
	T_EQ_MEM(dst, "untouch\0#", 9);
	T_EQ_INT(intake_strlcpy(dst, "", 0), INTAKE_ETOOBIG);
	T_EQ_MEM(dst, "untouch\0#", 9);
}

/* intake_json_quote of n bytes of s, compared with want. */
static int
quote_is(const char *s, size_t n, const char *want)
{
	struct intake_buf	b;
	int			ok;

	intake_buf_init(&b, 4096);
	ok = intake_json_quote(&b, s, n) == INTAKE_OK && strcmp(intake_buf_str(&b), want) == 0;
	if (!ok) {
		printf("#   quote gave \"");
		t_print_escaped(intake_buf_str(&b), b.len);
		printf("\" want \"%s\"\n", want);
	}
	intake_buf_free(&b);
	return ok;
}

static void
test_json_quote_plain_text(void)
{
	T_ASSERT(quote_is("", 0, "\"\""));
	T_ASSERT(quote_is("hello world", 11, "\"hello world\""));
}

static void
test_json_quote_escapes_quote_and_backslash(void)
{
	/* Breaking out of the string literal. */
	T_ASSERT(quote_is("a\"b", 3, "\"a\\\"b\""));
	T_ASSERT(quote_is("\",\"admin\":true,\"x\":\"", 20,
	    "\"\\\",\\\"admin\\\":true,\\\"x\\\":\\\"\""));
	T_ASSERT(quote_is("a\\b", 3, "\"a\\\\b\""));
	T_ASSERT(quote_is("\\", 1, "\"\\\\\""));
	T_ASSERT(quote_is("\\\"", 2, "\"\\\\\\\"\""));
}

static void
test_json_quote_escapes_control_bytes(void)
{
	T_ASSERT(quote_is("\n", 1, "\"\\u000a\""));
	T_ASSERT(quote_is("a\r\nb", 4, "\"a\\u000d\\u000ab\""));
	T_ASSERT(quote_is("\t", 1, "\"\\u0009\""));
	T_ASSERT(quote_is("\x01", 1, "\"\\u0001\""));
	T_ASSERT(quote_is("\x1f", 1, "\"\\u001f\""));
	T_ASSERT(quote_is("\x7f", 1, "\"\\u007f\""));
	T_ASSERT(quote_is("a\0b", 3, "\"a\\u0000b\""));
	T_ASSERT(quote_is(" ", 1, "\" \""));
}

static void
test_json_quote_escapes_html_specials(void)
{
	/* A </script> in a value must not end an HTML script block. */
	T_ASSERT(quote_is("</script>", 9, "\"\\u003c/script\\u003e\""));
	T_ASSERT(quote_is("a&b", 3, "\"a\\u0026b\""));
	T_ASSERT(quote_is("<>&", 3, "\"\\u003c\\u003e\\u0026\""));
}

static void
test_json_quote_passes_utf8_through(void)
{
	T_ASSERT(quote_is("caf\xc3\xa9", 5, "\"caf\xc3\xa9\""));
	T_ASSERT(quote_is("\xe2\x82\xac 5", 5, "\"\xe2\x82\xac 5\""));
	T_ASSERT(quote_is("\xf0\x9f\x98\x80", 4, "\"\xf0\x9f\x98\x80\""));
}

static void
test_json_quote_round_trips_every_ascii_byte(void)
{
	struct intake_buf	 b;
	struct json_object	*o;
	char			 s[128];
	int			 i;

	for (i = 0; i < 128; i++)
		s[i] = (char)i;
	intake_buf_init(&b, 4096);
	T_EQ_INT(intake_json_quote(&b, s, sizeof(s)), INTAKE_OK);
	for (i = 0; i < (int)b.len; i++)
		T_ASSERT((unsigned char)b.ptr[i] >= 0x20 && (unsigned char)b.ptr[i] < 0x7f);
	o = json_tokener_parse(b.ptr);
	T_ASSERT(o != NULL);
	T_ASSERT(json_object_is_type(o, json_type_string));
	T_EQ_INT(json_object_get_string_len(o), sizeof(s));
	T_EQ_MEM(json_object_get_string(o), s, sizeof(s));
	json_object_put(o);
	intake_buf_free(&b);
}

static void
test_json_quote_over_max_is_toobig(void)
{
	struct intake_buf	b;

	intake_buf_init(&b, 8);
	T_EQ_INT(intake_json_quote(&b, "abcdefgh", 8), INTAKE_ETOOBIG);
	intake_buf_free(&b);
	intake_buf_init(&b, 8);
	T_EQ_INT(intake_json_quote(&b, "\n", 1), INTAKE_OK);
	T_EQ_STR(intake_buf_str(&b), "\"\\u000a\"");
	T_EQ_INT(intake_json_quote(&b, "\n", 1), INTAKE_ETOOBIG);
	intake_buf_free(&b);
}

static int
escape_is(const char *s, const char *want)
{
	struct intake_buf	b;
	int			ok;

	intake_buf_init(&b, 4096);
	ok = intake_url_escape(&b, s) == INTAKE_OK && strcmp(intake_buf_str(&b), want) == 0;
	if (!ok)
		printf("#   url_escape(\"%s\") gave \"%s\" want \"%s\"\n", s,
		    intake_buf_str(&b), want);
	intake_buf_free(&b);
	return ok;
}

static void
test_url_escape_keeps_unreserved(void)
{
	T_ASSERT(escape_is("", ""));
	T_ASSERT(escape_is("AZaz09-._~", "AZaz09-._~"));
}

static void
test_url_escape_encodes_everything_else(void)
{
	T_ASSERT(escape_is(" ", "%20"));
	T_ASSERT(escape_is("a/b", "a%2Fb"));
	T_ASSERT(escape_is("100%", "100%25"));
	T_ASSERT(escape_is("caf\xc3\xa9", "caf%C3%A9"));
	T_ASSERT(escape_is("\x01\x7f\xff", "%01%7F%FF"));
	T_ASSERT(escape_is("+", "%2B"));
}

static void
test_url_escape_blocks_query_injection(void)
{
	/* A key or user name must not add parameters or path segments. */
	T_ASSERT(escape_is("k&user=admin", "k%26user%3Dadmin"));
	T_ASSERT(escape_is("../../admin?x=1#f", "..%2F..%2Fadmin%3Fx%3D1%23f"));
	T_ASSERT(escape_is("a\r\nHost: evil", "a%0D%0AHost%3A%20evil"));
}

static void
test_url_escape_over_max_is_toobig(void)
{
	struct intake_buf	b;

	intake_buf_init(&b, 5);
	T_EQ_INT(intake_url_escape(&b, "ab "), INTAKE_OK);
	T_EQ_STR(intake_buf_str(&b), "ab%20");
	intake_buf_reset(&b);
	T_EQ_INT(intake_url_escape(&b, "a  "), INTAKE_ETOOBIG);
	intake_buf_free(&b);
}

static void
test_memcasemem_finds_ignoring_case(void)
{
	const char	*body = "{\"error\":\"Token Expired\"}";

	T_ASSERT(intake_memcasemem(body, strlen(body), "token expired"));
	T_ASSERT(intake_memcasemem(body, strlen(body), "TOKEN EXPIRED"));
	T_ASSERT(intake_memcasemem(body, strlen(body), "{"));
	T_ASSERT(intake_memcasemem(body, strlen(body), "}"));
	T_ASSERT(!intake_memcasemem(body, strlen(body), "token revoked"));
	T_ASSERT(intake_memcasemem(body, strlen(body), ""));
	T_ASSERT(intake_memcasemem("", 0, ""));
	T_ASSERT(!intake_memcasemem("", 0, "a"));
}

static void
test_memcasemem_stays_within_len(void)
{
	const char	hay[6] = { 'a', 'b', 'c', 'd', 'e', 'f' };	/* no NUL */

	T_ASSERT(intake_memcasemem(hay, sizeof(hay), "DEF"));
	T_ASSERT(!intake_memcasemem(hay, 5, "def"));
	T_ASSERT(intake_memcasemem(hay, 5, "bcde"));
	T_ASSERT(!intake_memcasemem(hay, 3, "abcd"));
	T_ASSERT(!intake_memcasemem(hay, 0, "a"));
}

static void
test_ct_equal_compares_whole_values(void)
{
	T_ASSERT(intake_str_ct_equal("secret", 6, "secret", 6));
	T_ASSERT(!intake_str_ct_equal("secret", 6, "secreT", 6));
	T_ASSERT(!intake_str_ct_equal("secret", 6, "Secret", 6));
	T_ASSERT(!intake_str_ct_equal("secret", 6, "secret!", 7));
	T_ASSERT(!intake_str_ct_equal("secret", 6, "secre", 5));
	T_ASSERT(intake_str_ct_equal("", 0, "", 0));
	T_ASSERT(intake_str_ct_equal("a\0b", 3, "a\0b", 3));
	T_ASSERT(!intake_str_ct_equal("a\0b", 3, "a\0c", 3));
}

static void
test_hex_and_sha256_known_vectors(void)
{
	const unsigned char	in[] = { 0x00, 0x01, 0xab, 0xff };
	char			hex[9], sha[65];

	intake_hex(in, sizeof(in), hex);
	T_EQ_STR(hex, "0001abff");
	intake_hex(in, 0, hex);
	T_EQ_STR(hex, "");
	/* FIPS 180-2 test vectors. */
	intake_sha256_hex("abc", 3, sha);
	T_EQ_STR(sha, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	intake_sha256_hex("", 0, sha);
	T_EQ_STR(sha, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void
test_now_ms_is_epoch_milliseconds(void)
{
	int64_t	a, b;

	a = intake_now_ms();
	b = intake_now_ms();
	/* After 2020-01-01 and before 2100-01-01; not going backwards much. */
	T_ASSERT(a > 1577836800000LL && a < 4102444800000LL);
	T_ASSERT(b >= a - 1000);
}

static void
test_xstrdup_and_xcalloc(void)
{
	char	*p;
	int	*z;

	p = intake_xstrdup("dup me");
	T_EQ_STR(p, "dup me");
	free(p);
	z = intake_xcalloc(4, sizeof(*z));
	T_EQ_INT(z[0] | z[1] | z[2] | z[3], 0);
	free(z);
	p = intake_xmalloc(0);
	T_ASSERT(p != NULL);
	free(p);
}

static void
test_json_quote_replaces_invalid_utf8_field_name(void)
{
	/* &%FF%FE=1 was echoed raw: "\xff\xfe" is not UTF-8, so not JSON. */
	T_ASSERT(quote_is("\xff\xfe", 2, "\"\xef\xbf\xbd\xef\xbf\xbd\""));
	/* A character cut short, an overlong '/', a surrogate, past U+10FFFF. */
	T_ASSERT(quote_is("a\xc3", 2, "\"a\xef\xbf\xbd\""));
	T_ASSERT(quote_is("\xc0\xaf", 2, "\"\xef\xbf\xbd\xef\xbf\xbd\""));
	T_ASSERT(quote_is("\xed\xa0\x80", 3,
	    "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""));
	T_ASSERT(quote_is("\xf4\x90\x80\x80", 4,
	    "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""));
	/* Valid characters of every length pass unchanged. */
	T_ASSERT(quote_is("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9,
	    "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\""));
}

static void
test_utf8_cut_never_splits_a_character(void)
{
	/* 39 a's then é: a cut at 40 bytes fell between 0xc3 and 0xa9. */
	static const char	s[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\xc3\xa9";

	T_EQ_INT((long long)intake_utf8_cut(s, 41, 40), 39);
	T_EQ_INT((long long)intake_utf8_cut(s, 41, 41), 41);
	T_EQ_INT((long long)intake_utf8_cut(s, 41, 39), 39);
	T_EQ_INT((long long)intake_utf8_cut("\xe2\x82\xac!", 4, 2), 0);
	T_EQ_INT((long long)intake_utf8_cut("\xe2\x82\xac!", 4, 3), 3);
	T_EQ_INT((long long)intake_utf8_cut("\xf0\x9f\x98\x80", 4, 3), 0);
	/* Invalid bytes are not characters: any cut will do. */
	T_EQ_INT((long long)intake_utf8_cut("\xff\xfe\xfd", 3, 2), 2);
	T_EQ_INT((long long)intake_utf8_cut("\x80\x80\x80\x80\x80", 5, 4), 4);
}

static void
test_utf8_len_follows_rfc3629(void)
{
	T_EQ_INT((long long)intake_utf8_len("a", 1), 1);
	T_EQ_INT((long long)intake_utf8_len("\xc3\xa9", 2), 2);
	T_EQ_INT((long long)intake_utf8_len("\xc3", 1), 0);
	T_EQ_INT((long long)intake_utf8_len("\xc1\xbf", 2), 0);		/* overlong */
	T_EQ_INT((long long)intake_utf8_len("\xe0\x80\xaf", 3), 0);	/* overlong */
	T_EQ_INT((long long)intake_utf8_len("\xed\xbf\xbf", 3), 0);	/* surrogate */
	T_EQ_INT((long long)intake_utf8_len("\xef\xbf\xbf", 3), 3);
	T_EQ_INT((long long)intake_utf8_len("\xf4\x8f\xbf\xbf", 4), 4);	/* U+10FFFF */
	T_EQ_INT((long long)intake_utf8_len("\xf4\x90\x80\x80", 4), 0);
	T_EQ_INT((long long)intake_utf8_len("\xf0\x8f\xbf\xbf", 4), 0);	/* overlong */
}

static void
test_b64url_encode_known_vectors(void)
{
	/* RFC 4648 section 10, in the URL alphabet without padding. */
	static const struct {
		const char	*in;
		const char	*out;
	} v[] = {
		{ "", "" }, { "f", "Zg" }, { "fo", "Zm8" }, { "foo", "Zm9v" },
		{ "foob", "Zm9vYg" }, { "fooba", "Zm9vYmE" }, { "foobar", "Zm9vYmFy" },
		{ "\xfb\xff", "-_8" }, { "\xff\xff\xfe", "___-" },
	};
	struct intake_buf	b;
	size_t			i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		intake_buf_init(&b, 64);
		T_EQ_INT(intake_b64url_encode(&b, v[i].in, strlen(v[i].in)), INTAKE_OK);
		T_EQ_STR(intake_buf_str(&b), v[i].out);
		intake_buf_reset(&b);
		T_EQ_INT(intake_b64url_decode(&b, v[i].out, strlen(v[i].out)), INTAKE_OK);
		T_EQ_INT(b.len, strlen(v[i].in));
		T_EQ_MEM(intake_buf_str(&b), v[i].in, b.len);
		intake_buf_free(&b);
	}
}

static void
test_b64url_round_trips_lengths_0_to_64(void)
{
	struct intake_buf	enc, dec, padded;
	unsigned char		in[64];
	size_t			n, i;
	unsigned		x = 12345;

	for (n = 0; n <= 64; n++) {
		for (i = 0; i < n; i++) {
			x = x * 1103515245u + 12345u;
			in[i] = (unsigned char)(x >> 16);
		}
		intake_buf_init(&enc, 256);
		intake_buf_init(&dec, 256);
		intake_buf_init(&padded, 256);
		T_EQ_INT(intake_b64url_encode(&enc, in, n), INTAKE_OK);
		T_EQ_INT(enc.len, (n * 4 + 2) / 3);
		T_EQ_INT(strcspn(intake_buf_str(&enc), "+/="), enc.len);
		T_EQ_INT(intake_b64url_decode(&dec, intake_buf_str(&enc), enc.len), INTAKE_OK);
		T_EQ_INT(dec.len, n);
		if (n > 0)
			T_EQ_MEM(dec.ptr, in, n);
		/* With the padding added back, the same bytes. */
		T_EQ_INT(intake_buf_adds(&padded, intake_buf_str(&enc)), INTAKE_OK);
		while (padded.len % 4 != 0)
			T_EQ_INT(intake_buf_addc(&padded, '='), INTAKE_OK);
		intake_buf_reset(&dec);
		T_EQ_INT(intake_b64url_decode(&dec, padded.ptr == NULL ? "" : padded.ptr,
		    padded.len), INTAKE_OK);
		T_EQ_INT(dec.len, n);
		if (n > 0)
			T_EQ_MEM(dec.ptr, in, n);
		intake_buf_free(&enc);
		intake_buf_free(&dec);
		intake_buf_free(&padded);
	}
}

static void
test_b64url_decode_rejects_bad_chars(void)
{
	static const char *const bad[] = {
		"Zm9v+g", "Zm9v/g", "Zm 9v", "Zm9v\n", "Zm.9v", "Zm9v!", "Zm=9v", "=Zm9",
		"Zm9v\xc3\xa9", "%41%41",
	};
	struct intake_buf	b;
	size_t			i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		intake_buf_init(&b, 64);
		if (intake_b64url_decode(&b, bad[i], strlen(bad[i])) != INTAKE_EINVAL)
			T_FAIL("\"%s\" decoded", bad[i]);
		T_EQ_INT(b.len, 0);
		intake_buf_free(&b);
	}
}

static void
test_b64url_decode_rejects_embedded_nul(void)
{
	struct intake_buf	b;

	intake_buf_init(&b, 64);
	T_EQ_INT(intake_b64url_decode(&b, "Zm\0v", 4), INTAKE_EINVAL);
	T_EQ_INT(intake_b64url_decode(&b, "Zm9v\0", 5), INTAKE_EINVAL);
	intake_buf_free(&b);
}

static void
test_b64url_decode_rejects_length_mod_4_is_1(void)
{
	static const char *const bad[] = { "Z", "Zm9vY", "Zm9vYmFyZ", "Z===", "Zm9vY=" };
	struct intake_buf	b;
	size_t			i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		intake_buf_init(&b, 64);
		if (intake_b64url_decode(&b, bad[i], strlen(bad[i])) != INTAKE_EINVAL)
			T_FAIL("\"%s\" decoded", bad[i]);
		intake_buf_free(&b);
	}
}

static void
test_b64url_decode_empty_and_only_padding(void)
{
	struct intake_buf	b;

	intake_buf_init(&b, 64);
	T_EQ_INT(intake_b64url_decode(&b, "", 0), INTAKE_OK);
	T_EQ_INT(b.len, 0);
	T_EQ_INT(intake_b64url_decode(&b, "==", 2), INTAKE_OK);
	T_EQ_INT(b.len, 0);
	intake_buf_free(&b);
}

static void
test_b64url_decode_rejects_oversized_input(void)
{
	struct intake_buf	 b;
	char			*big;
	size_t			 n = 20000;

	big = malloc(n);
	T_ASSERT(big != NULL);
	memset(big, 'A', n);
	intake_buf_init(&b, 1 << 20);
	T_EQ_INT(intake_b64url_decode(&b, big, n), INTAKE_ETOOBIG);
	T_EQ_INT(b.len, 0);
	intake_buf_free(&b);
	free(big);
}

static void
test_b64url_decode_respects_buffer_max(void)
{
	struct intake_buf	b;

	intake_buf_init(&b, 2);
	T_EQ_INT(intake_b64url_decode(&b, "Zm9v", 4), INTAKE_ETOOBIG);
	intake_buf_free(&b);
}

static void
test_b64url_encode_rejects_oversized_input(void)
{
	struct intake_buf	 b;
	char			*big;

	big = calloc(1, 9000);
	T_ASSERT(big != NULL);
	intake_buf_init(&b, 1 << 20);
	T_EQ_INT(intake_b64url_encode(&b, big, 9000), INTAKE_ETOOBIG);
	T_EQ_INT(intake_b64url_encode(&b, big, 8192), INTAKE_OK);
	intake_buf_free(&b);
	free(big);
}

/* Markup in a value stays text: no tag, attribute or entity gets through. */
static void
test_html_escape_blocks_markup_injection(void)
{
	struct intake_buf	b;

	intake_buf_init(&b, 1024);
	T_EQ_INT(intake_html_escape(&b, "\"><script>alert('x')</script>&amp;"), INTAKE_OK);
	T_EQ_STR(intake_buf_str(&b), "&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"
	    "&amp;amp;");
	intake_buf_reset(&b);
	T_EQ_INT(intake_html_escape(&b, "plain text, \xc3\xa9t\xc3\xa9"), INTAKE_OK);
	T_EQ_STR(intake_buf_str(&b), "plain text, \xc3\xa9t\xc3\xa9");
	intake_buf_reset(&b);
	T_EQ_INT(intake_html_escape(&b, ""), INTAKE_OK);
	T_EQ_INT((long long)b.len, 0);
	intake_buf_free(&b);
}

/* An escape that does not fit fails, and the buffer remembers it. */
static void
test_html_escape_over_max_is_toobig(void)
{
	struct intake_buf	b;

	intake_buf_init(&b, 8);
	T_EQ_INT(intake_html_escape(&b, "a<b<c"), INTAKE_ETOOBIG);
	T_EQ_INT(intake_buf_err(&b), INTAKE_ETOOBIG);
	intake_buf_free(&b);
}

int
main(void)
{
	T_RUN(test_parse_int_accepts_whole_numbers);
	T_RUN(test_parse_int_bounds_are_inclusive);
	T_RUN(test_parse_int_rejects_overflow);
	T_RUN(test_parse_int_rejects_empty);
	T_RUN(test_parse_int_rejects_leading_space);
	T_RUN(test_parse_int_rejects_trailing_junk);
	T_RUN(test_parse_int_is_decimal_not_octal);
	T_RUN(test_parse_intn_reads_only_len_bytes);
	T_RUN(test_parse_intn_rejects_empty_and_junk);
	T_RUN(test_parse_intn_rejects_embedded_nul);
	T_RUN(test_parse_intn_rejects_overlong_input);
	T_RUN(test_parse_bool_accepts_the_documented_words);
	T_RUN(test_parse_bool_rejects_anything_else);
	T_RUN(test_strlcpy_copies_when_it_fits);
	T_RUN(test_strlcpy_rejects_truncation);
	T_RUN(test_json_quote_plain_text);
	T_RUN(test_json_quote_escapes_quote_and_backslash);
	T_RUN(test_json_quote_escapes_control_bytes);
	T_RUN(test_json_quote_escapes_html_specials);
	T_RUN(test_json_quote_passes_utf8_through);
	T_RUN(test_json_quote_round_trips_every_ascii_byte);
	T_RUN(test_json_quote_over_max_is_toobig);
	T_RUN(test_json_quote_replaces_invalid_utf8_field_name);
	T_RUN(test_utf8_cut_never_splits_a_character);
	T_RUN(test_utf8_len_follows_rfc3629);
	T_RUN(test_url_escape_keeps_unreserved);
	T_RUN(test_url_escape_encodes_everything_else);
	T_RUN(test_url_escape_blocks_query_injection);
	T_RUN(test_url_escape_over_max_is_toobig);
	T_RUN(test_memcasemem_finds_ignoring_case);
	T_RUN(test_memcasemem_stays_within_len);
	T_RUN(test_ct_equal_compares_whole_values);
	T_RUN(test_hex_and_sha256_known_vectors);
	T_RUN(test_now_ms_is_epoch_milliseconds);
	T_RUN(test_xstrdup_and_xcalloc);
	T_RUN(test_html_escape_blocks_markup_injection);
	T_RUN(test_html_escape_over_max_is_toobig);
	T_RUN(test_b64url_encode_known_vectors);
	T_RUN(test_b64url_round_trips_lengths_0_to_64);
	T_RUN(test_b64url_decode_rejects_bad_chars);
	T_RUN(test_b64url_decode_rejects_embedded_nul);
	T_RUN(test_b64url_decode_rejects_length_mod_4_is_1);
	T_RUN(test_b64url_decode_empty_and_only_padding);
	T_RUN(test_b64url_decode_rejects_oversized_input);
	T_RUN(test_b64url_decode_respects_buffer_max);
	T_RUN(test_b64url_encode_rejects_oversized_input);
	return T_DONE();
}
