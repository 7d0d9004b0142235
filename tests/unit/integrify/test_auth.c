/*
 * test_auth.c - lib/integrify/auth.c: reading the many shapes of a token reply.
 * intake_auth_fetch() is exercised through test_token.c.
 */
#include <limits.h>
#include <string.h>

#include "integrify/auth.h"
#include "integrify/jwt.h"
#include "util/str.h"

#include "t.h"

#define NOW	1700000000000LL		/* 2023-11-14T22:13:20Z */
#define DEF	3600000LL		/* default lifetime, ms */
#define HEX32	"0123456789abcdef0123456789abcdef"

/* Parse a C string with no requested expiry. */
static enum intake_err
parse(const char *body, struct intake_token *t)
{
	memset(t, 0x7e, sizeof(*t));
	t->value[sizeof(t->value) - 1] = '\0';
	return intake_auth_parse(body, strlen(body), NOW, 0, DEF, t);
}

/* Parse that must fail with EPROTO and leave *t untouched. */
static int
rejected(const char *body, size_t len)
{
	struct intake_token	t;
	enum intake_err		err;

	memset(&t, 0x7e, sizeof(t));
	err = intake_auth_parse(body, len, NOW, 0, DEF, &t);
	if (err != INTAKE_EPROTO) {
		printf("#   body \"");
		t_print_escaped(body, len);
		printf("\" gave %d, token \"", err);
		t_print_escaped(t.value, strnlen(t.value, sizeof(t.value)));
		printf("\"\n");
		return 0;
	}
	if (t.value[0] != 0x7e || t.fetched_ms != (int64_t)0x7e7e7e7e7e7e7e7eLL) {
		printf("#   *out written on failure\n");
		return 0;
	}
	return 1;
}

/* A bare JWT whose payload is {"exp":exp_s}. */
static void
jwt_with_exp(struct intake_buf *b, long long exp_s)
{
	char	payload[64];

	(void)snprintf(payload, sizeof(payload), "{\"sub\":\"svc\",\"exp\":%lld}", exp_s);
	intake_buf_init(b, 4096);
	if (intake_buf_adds(b, "eyJhbGciOiJIUzI1NiJ9.") != INTAKE_OK ||
	    intake_b64url_encode(b, payload, strlen(payload)) != INTAKE_OK ||
	    intake_buf_adds(b, ".c2lnbmF0dXJl") != INTAKE_OK)
		abort();
}

static void
test_auth_parse_token_member(void)
{
	struct intake_token	t;

	T_EQ_INT(parse("{\"token\":\"" HEX32 "\"}", &t), INTAKE_OK);
	T_EQ_STR(t.value, HEX32);
	T_EQ_INT(t.fetched_ms, NOW);
	T_EQ_INT(t.expires_ms, NOW + DEF);
}

static void
test_auth_parse_other_member_names(void)
{
	static const char *const bodies[] = {
		"{\"access_token\":\"" HEX32 "\"}",
		"{\"accessToken\":\"" HEX32 "\"}",
		"{\"jwt\":\"" HEX32 "\"}",
		"{\"user\":\"svc\",\"token\":\"" HEX32 "\",\"other\":[1,2]}",
		"{\"token\":42,\"access_token\":\"" HEX32 "\"}",
		/* Key case and separators do not matter (reply.h). */
		"{\"Token\":\"" HEX32 "\"}",
		"{\"Access_Token\":\"" HEX32 "\"}",
		"{\"ACCESSTOKEN\":\"" HEX32 "\"}",
	};
	struct intake_token	t;
	size_t			i;

	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		T_EQ_INT(parse(bodies[i], &t), INTAKE_OK);
		T_EQ_STR(t.value, HEX32);
	}
}

static void
test_auth_parse_expires_in(void)
{
	struct intake_token	t;

	T_EQ_INT(parse("{\"access_token\":\"" HEX32 "\",\"expires_in\":3600,"
	    "\"token_type\":\"Bearer\"}", &t), INTAKE_OK);
	T_EQ_STR(t.value, HEX32);
	T_EQ_INT(t.expires_ms, NOW + 3600 * 1000LL);
	T_EQ_INT(parse("{\"access_token\":\"" HEX32 "\",\"expires_in\":60}", &t), INTAKE_OK);
	T_EQ_INT(t.expires_ms, NOW + 60 * 1000LL);
}

static void
test_auth_parse_expires_in_as_string(void)
{
	struct intake_token	t;

	T_EQ_INT(parse("{\"token\":\"" HEX32 "\",\"expires_in\":\"1800\"}", &t), INTAKE_OK);
	T_EQ_INT(t.expires_ms, NOW + 1800 * 1000LL);
}

static void
test_auth_parse_ignores_unusable_expires_in(void)
{
	static const char *const bodies[] = {
		"{\"token\":\"" HEX32 "\",\"expires_in\":\"soon\"}",
		"{\"token\":\"" HEX32 "\",\"expires_in\":\" 60\"}",
		"{\"token\":\"" HEX32 "\",\"expires_in\":-5}",
		"{\"token\":\"" HEX32 "\",\"expires_in\":\"-5\"}",
		"{\"token\":\"" HEX32 "\",\"expires_in\":null}",
		"{\"token\":\"" HEX32 "\",\"expires_in\":[60]}",
		"{\"token\":\"" HEX32 "\",\"expires_in\":\"99999999999999999999\"}",
	};
	struct intake_token	t;
	size_t			i;

	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		T_EQ_INT(parse(bodies[i], &t), INTAKE_OK);
		if (t.expires_ms != NOW + DEF)
			T_FAIL("%s: expires %lld", bodies[i], (long long)t.expires_ms);
	}
}

static void
test_auth_parse_json_string(void)
{
	struct intake_token	t;

	T_EQ_INT(parse("\"" HEX32 "\"", &t), INTAKE_OK);
	T_EQ_STR(t.value, HEX32);
	T_EQ_INT(t.expires_ms, NOW + DEF);
}

static void
test_auth_parse_bare_hex_token(void)
{
	struct intake_token	t;

	T_EQ_INT(parse(HEX32, &t), INTAKE_OK);
	T_EQ_STR(t.value, HEX32);
	T_EQ_INT(t.fetched_ms, NOW);
	T_EQ_INT(t.expires_ms, NOW + DEF);
}

static void
test_auth_parse_strips_surrounding_whitespace(void)
{
	struct intake_token	t;

	T_EQ_INT(parse("  \r\n\t" HEX32 " \r\n", &t), INTAKE_OK);
	T_EQ_STR(t.value, HEX32);
	T_EQ_INT(parse("\n  {\"token\" : \"" HEX32 "\"}\n\n", &t), INTAKE_OK);
	T_EQ_STR(t.value, HEX32);
	T_EQ_INT(parse(" \"" HEX32 "\"\r\n", &t), INTAKE_OK);
	T_EQ_STR(t.value, HEX32);
}

static void
test_auth_parse_bare_jwt_uses_exp(void)
{
	struct intake_buf	b;
	struct intake_token	t;
	long long		exp_s = NOW / 1000 + 600;

	jwt_with_exp(&b, exp_s);
	T_EQ_INT(intake_auth_parse(b.ptr, b.len, NOW, 0, DEF, &t), INTAKE_OK);
	T_EQ_STR(t.value, b.ptr);
	T_EQ_INT(t.expires_ms, exp_s * 1000);
	intake_buf_free(&b);
}

static void
test_auth_parse_earliest_expiry_wins(void)
{
	struct intake_buf	b;
	struct intake_token	t;
	char			body[4096];
	long long		exp_s = NOW / 1000 + 600;	/* JWT exp: now + 10 min */

	jwt_with_exp(&b, exp_s);
	/* Requested earlier than exp. */
	T_EQ_INT(intake_auth_parse(b.ptr, b.len, NOW, NOW + 300000, DEF, &t), INTAKE_OK);
	T_EQ_INT(t.expires_ms, NOW + 300000);
	/* Requested later than exp. */
	T_EQ_INT(intake_auth_parse(b.ptr, b.len, NOW, NOW + 900000, DEF, &t), INTAKE_OK);
	T_EQ_INT(t.expires_ms, exp_s * 1000);
	/* expires_in earlier than both. */
	(void)snprintf(body, sizeof(body), "{\"access_token\":\"%s\",\"expires_in\":120}", b.ptr);
	T_EQ_INT(intake_auth_parse(body, strlen(body), NOW, NOW + 900000, DEF, &t), INTAKE_OK);
	T_EQ_INT(t.expires_ms, NOW + 120000);
	T_EQ_STR(t.value, b.ptr);
	/* expires_in later than exp. */
	(void)snprintf(body, sizeof(body), "{\"access_token\":\"%s\",\"expires_in\":7200}", b.ptr);
	T_EQ_INT(intake_auth_parse(body, strlen(body), NOW, 0, DEF, &t), INTAKE_OK);
	T_EQ_INT(t.expires_ms, exp_s * 1000);
	/* expires_in later than requested: requested wins. */
	(void)snprintf(body, sizeof(body), "{\"token\":\"" HEX32 "\",\"expires_in\":7200}");
	T_EQ_INT(intake_auth_parse(body, strlen(body), NOW, NOW + 60000, DEF, &t), INTAKE_OK);
	T_EQ_INT(t.expires_ms, NOW + 60000);
	/* The default is never used when anything else is known. */
	T_EQ_INT(intake_auth_parse(HEX32, 32, NOW, NOW + 9000000, DEF, &t), INTAKE_OK);
	T_EQ_INT(t.expires_ms, NOW + 9000000);
	intake_buf_free(&b);
}

static void
test_auth_parse_default_lifetime_when_nothing_known(void)
{
	struct intake_token	t;

	T_EQ_INT(intake_auth_parse(HEX32, 32, NOW, 0, 5000, &t), INTAKE_OK);
	T_EQ_INT(t.expires_ms, NOW + 5000);
	T_EQ_INT(intake_auth_parse("{\"token\":\"abc\"}", 15, NOW, 0, 123000, &t), INTAKE_OK);
	T_EQ_INT(t.expires_ms, NOW + 123000);
}

static void
test_auth_parse_rejects_empty_body(void)
{
	T_ASSERT(rejected("", 0));
	T_ASSERT(rejected(" \r\n\t ", 5));
	T_ASSERT(rejected("\"\"", 2));
	T_ASSERT(rejected("{}", 2));
	T_ASSERT(rejected("{\"token\":\"\"}", 12));
	T_ASSERT(rejected("{\"token\":null}", 14));
}

static void
test_auth_parse_rejects_reply_without_token(void)
{
	static const char *const bodies[] = {
		"{\"token\":12345}",
		"{\"token\":[\"" HEX32 "\"]}",
		"{\"token\":{\"value\":\"" HEX32 "\"}}",
		"{\"error\":\"invalid_client\"}",
		"{\"Tokens\":\"" HEX32 "\"}",
		"{\"token\":\"" HEX32 "\"",
		"{\"token\":\"" HEX32 "\"} trailing",
		"\"" HEX32,
		"<html><body>Login</body></html>",
		"[\"" HEX32 "\"]",
	};
	size_t	i;

	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++)
		if (!rejected(bodies[i], strlen(bodies[i])))
			T_FAIL("body %zu accepted", i);
}

static void
test_auth_parse_rejects_header_injection(void)
{
	static const char *const bodies[] = {
		"abc def",
		"abc\r\nX-Injected: 1",
		"abc\nX-Injected: 1",
		"abc\"def",
		"abc'def",
		"abc;def",
		"abc,def",
		"abc\tdef",
		"abc\x7f",
		"caf\xc3\xa9",
		"{\"token\":\"abc def\"}",
		"{\"token\":\"abc\\r\\nX-Injected: 1\"}",
		"{\"token\":\"abc\\\"def\"}",
		"{\"access_token\":\"abc\\ndef\"}",
		"\"abc\\r\\nHost: evil\"",
		"{\"token\":\"abc\\u0085def\"}",
	};
	size_t	i;

	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++)
		if (!rejected(bodies[i], strlen(bodies[i])))
			T_FAIL("body %zu accepted", i);
}

/*
 * A NUL inside the token must not end it early: "abc\0<CRLF>..." is not
 * the token "abc".  token_chars_ok() asks strchr(set, c), which for
 * c == '\0' finds the set's own terminator.
 */
static void
test_auth_parse_rejects_bare_token_with_nul(void)
{
	/* Found by fuzz_auth_parse: accepted as the empty token "". */
	T_ASSERT(rejected("\0def", 4));
	T_ASSERT(rejected("\0", 1));
	T_ASSERT(rejected("abc\0def", 7));
	T_ASSERT(rejected("abc\0\r\nX-Injected: 1", 19));
}

/* The same for a JSON string holding \u0000: its length is not strlen(). */
static void
test_auth_parse_rejects_json_token_with_nul(void)
{
	T_ASSERT(rejected("{\"token\":\"abc\\u0000 def\"}", 25));
	T_ASSERT(rejected("\"abc\\u0000\"", 11));
}

static void
test_auth_parse_token_length_limit(void)
{
	struct intake_token	 t;
	char			*big;
	size_t			 n = INTAKE_TOKEN_MAX + 10;

	big = malloc(n + 32);
	T_ASSERT(big != NULL);
	memset(big, 'a', n);
	/* INTAKE_TOKEN_MAX - 1 characters and the NUL fill the value. */
	T_EQ_INT(intake_auth_parse(big, INTAKE_TOKEN_MAX - 1, NOW, 0, DEF, &t), INTAKE_OK);
	T_EQ_INT(strlen(t.value), INTAKE_TOKEN_MAX - 1);
	T_ASSERT(rejected(big, INTAKE_TOKEN_MAX));
	T_ASSERT(rejected(big, n));
	/* The same inside JSON. */
	memcpy(big, "{\"token\":\"", 10);
	memcpy(big + 10 + INTAKE_TOKEN_MAX, "\"}", 2);
	T_ASSERT(rejected(big, 10 + INTAKE_TOKEN_MAX + 2));
	free(big);
}

static void
test_auth_parse_reads_only_len_bytes(void)
{
	struct intake_token	t;

	T_EQ_INT(intake_auth_parse(HEX32 " trailing", 32, NOW, 0, DEF, &t), INTAKE_OK);
	T_EQ_STR(t.value, HEX32);
	T_EQ_INT(intake_auth_parse("{\"token\":\"abc\"}xyz", 15, NOW, 0, DEF, &t), INTAKE_OK);
	T_EQ_STR(t.value, "abc");
}

static void
test_auth_parse_token_charset(void)
{
	struct intake_token	t;

	/* base64, base64url and JWT characters are all fine. */
	T_EQ_INT(parse("aZ09-._~+/==", &t), INTAKE_OK);
	T_EQ_STR(t.value, "aZ09-._~+/==");
}

static void
test_auth_parse_rejects_deeply_nested_reply(void)
{
	char	body[1024];
	size_t	i, o = 0;

	for (i = 0; i < 100; i++) {
		memcpy(body + o, "{\"a\":", 5);
		o += 5;
	}
	memset(body + o, '}', 100);
	o += 100;
	T_ASSERT(o < sizeof(body));
	T_ASSERT(rejected(body, o));
}

/*
 * Hostile numbers from the upstream: expires_in near INT64_MAX must not
 * overflow "now + expires_in * 1000" (signed overflow is undefined), and
 * the result must not be a token that expired before it was fetched.
 */
static void
test_auth_parse_survives_expires_in_overflow(void)
{
	struct intake_token	t;

	T_EQ_INT(parse("{\"token\":\"" HEX32 "\",\"expires_in\":9223372036854775807}", &t),
	    INTAKE_OK);
	T_ASSERT(t.expires_ms > NOW);
	T_EQ_INT(parse("{\"token\":\"" HEX32 "\",\"expires_in\":9223372036854775}", &t),
	    INTAKE_OK);
	T_ASSERT(t.expires_ms > NOW);
}

/* The same for a JWT exp claim: exp * 1000 must not overflow. */
static void
test_auth_parse_survives_jwt_exp_overflow(void)
{
	struct intake_buf	b;
	struct intake_token	t;

	jwt_with_exp(&b, LLONG_MAX);
	T_EQ_INT(intake_auth_parse(b.ptr, b.len, NOW, 0, DEF, &t), INTAKE_OK);
	T_ASSERT(t.expires_ms > NOW);
	intake_buf_free(&b);
	jwt_with_exp(&b, 10000000000000000LL);
	T_EQ_INT(intake_auth_parse(b.ptr, b.len, NOW, NOW + 60000, DEF, &t), INTAKE_OK);
	T_ASSERT(t.expires_ms > NOW);
	intake_buf_free(&b);
}

int
main(void)
{
	T_RUN(test_auth_parse_token_member);
	T_RUN(test_auth_parse_other_member_names);
	T_RUN(test_auth_parse_expires_in);
	T_RUN(test_auth_parse_expires_in_as_string);
	T_RUN(test_auth_parse_ignores_unusable_expires_in);
	T_RUN(test_auth_parse_json_string);
	T_RUN(test_auth_parse_bare_hex_token);
	T_RUN(test_auth_parse_strips_surrounding_whitespace);
	T_RUN(test_auth_parse_bare_jwt_uses_exp);
	T_RUN(test_auth_parse_earliest_expiry_wins);
	T_RUN(test_auth_parse_default_lifetime_when_nothing_known);
	T_RUN(test_auth_parse_rejects_empty_body);
	T_RUN(test_auth_parse_rejects_reply_without_token);
	T_RUN(test_auth_parse_rejects_header_injection);
	T_RUN(test_auth_parse_rejects_bare_token_with_nul);
	T_RUN(test_auth_parse_rejects_json_token_with_nul);
	T_RUN(test_auth_parse_token_length_limit);
	T_RUN(test_auth_parse_reads_only_len_bytes);
	T_RUN(test_auth_parse_token_charset);
	T_RUN(test_auth_parse_rejects_deeply_nested_reply);
	T_RUN(test_auth_parse_survives_expires_in_overflow);
	T_RUN(test_auth_parse_survives_jwt_exp_overflow);
	return T_DONE();
}
