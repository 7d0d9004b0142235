/*
 * test_formtoken.c - lib/form/formtoken.c: the signed, expiring token a
 * rendered form carries, and every way to forge, replay elsewhere or
 * mangle one.
 *
 * Every check goes through an exact-size heap copy without a terminator,
 * so a read past len is an ASan error in the sanitized run, and a refused
 * token must leave the output as it was.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "util/buf.h"
#include "form/formtoken.h"
#include "util/str.h"

#include "t.h"

#define NOW	INT64_C(1760000000)	/* 2025-10-09 */
#define MIN_AGE	3
#define MAX_AGE	7200

static const unsigned char key[INTAKE_FORMTOKEN_KEY] = {
	0x6b, 0x1f, 0x02, 0xc4, 0x9d, 0x37, 0x5a, 0xe8, 0x11, 0x80, 0x4c, 0x3e, 0xa7, 0x59, 0xf2, 0x06,
	0xdd, 0x73, 0x28, 0x91, 0x0b, 0xbe, 0x64, 0x4f, 0xc9, 0x15, 0x7a, 0xe0, 0x33, 0x8c, 0x52, 0x9f,
};

/* The same key but its last bit. */
static const unsigned char key2[INTAKE_FORMTOKEN_KEY] = {
	0x6b, 0x1f, 0x02, 0xc4, 0x9d, 0x37, 0x5a, 0xe8, 0x11, 0x80, 0x4c, 0x3e, 0xa7, 0x59, 0xf2, 0x06,
	0xdd, 0x73, 0x28, 0x91, 0x0b, 0xbe, 0x64, 0x4f, 0xc9, 0x15, 0x7a, 0xe0, 0x33, 0x8c, 0x52, 0x9e,
};

/*
 * intake_formtoken_check() of n bytes of s from an exact-size heap copy;
 * on failure the output must still hold the 0xa5 bytes it was filled
 * with.
 */
static enum intake_err
check_n(const unsigned char *k, const char *s, size_t n, const char *form, int64_t now,
    int64_t min_age, int64_t max_age, struct intake_formtoken *out)
{
	struct intake_formtoken	 fill;
	enum intake_err		 err;
	char			*copy;

	copy = malloc(n == 0 ? 1 : n);
	if (copy == NULL)
		abort();
	memcpy(copy, s, n);
	memset(out, 0xa5, sizeof(*out));
	memset(&fill, 0xa5, sizeof(fill));
	err = intake_formtoken_check(k, copy, n, form, now, min_age, max_age, out);
	if (err != INTAKE_OK && memcmp(out, &fill, sizeof(fill)) != 0)
		abort();	/* written on failure */
	free(copy);
	return err;
}

/* Check the C string s for form at now with the usual bounds. */
static enum intake_err
check(const char *s, const char *form, int64_t now)
{
	struct intake_formtoken	out;

	return check_n(key, s, strlen(s), form, now, MIN_AGE, MAX_AGE, &out);
}

/* Issue a token or abort. */
static void
issue(const char *form, int64_t now, char tok[INTAKE_FORMTOKEN_MAX])
{
	if (intake_formtoken_issue(key, form, now, tok) != INTAKE_OK)
		abort();
}

/* Whether s is made only of characters in set. */
static int
only(const char *s, const char *set)
{
	return s[strspn(s, set)] == '\0';
}

#define B64URL	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

static void
test_formtoken_round_trip(void)
{
	struct intake_formtoken	 out;
	char			 tok[INTAKE_FORMTOKEN_MAX];
	const char		*nonce;

	T_EQ_INT(intake_formtoken_issue(key, "leak-report", NOW, tok), INTAKE_OK);
	T_EQ_INT(check_n(key, tok, strlen(tok), "leak-report", NOW + 60, MIN_AGE, MAX_AGE, &out),
	    INTAKE_OK);
	T_EQ_STR(out.form_id, "leak-report");
	T_EQ_INT(out.issued_s, NOW);
	T_EQ_INT(strlen(out.nonce), 32);
	T_ASSERT(only(out.nonce, "0123456789abcdef"));
	/* The nonce reported is the one in the token. */
	nonce = tok + strlen("v1.leak-report.1760000000.");
	T_EQ_MEM(out.nonce, nonce, 32);
}

static void
test_formtoken_shape_is_url_and_attribute_safe(void)
{
	char		 tok[INTAKE_FORMTOKEN_MAX], want[128];
	size_t		 n;
	int		 w;

	issue("room_booking-2", NOW, tok);
	n = strlen(tok);
	w = snprintf(want, sizeof(want), "v1.room_booking-2.%lld.", (long long)NOW);
	T_EQ_MEM(tok, want, (size_t)w);
	/* v1 . id . time . 32 hex . 43 base64url */
	T_EQ_INT(n, (size_t)w + 32 + 1 + 43);
	T_EQ_INT(tok[w + 32], '.');
	T_ASSERT(only(tok, B64URL "."));

	/* The longest: a 64-byte id at the largest time. */
	issue("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", INT64_MAX, tok);
	T_ASSERT(strlen(tok) < INTAKE_FORMTOKEN_MAX);
	T_EQ_INT(strlen(tok), 3 + 65 + 20 + 33 + 43);
}

static void
test_formtoken_mac_is_hmac_sha256_of_the_prefix(void)
{
	struct intake_buf	 b;
	unsigned char		 mac[EVP_MAX_MD_SIZE];
	unsigned int		 maclen = 0;
	char			 tok[INTAKE_FORMTOKEN_MAX];
	const char		*dot;

	issue("f", NOW, tok);
	dot = strrchr(tok, '.');
	T_ASSERT(dot != NULL);
	T_ASSERT(HMAC(EVP_sha256(), key, sizeof(key), (const unsigned char *)tok,
	    (size_t)(dot - tok), mac, &maclen) != NULL);
	T_EQ_INT(maclen, 32);
	intake_buf_init(&b, 64);
	T_EQ_INT(intake_b64url_encode(&b, mac, maclen), INTAKE_OK);
	T_EQ_STR(dot + 1, intake_buf_str(&b));
	intake_buf_free(&b);
}

static void
test_formtoken_rejects_wrong_key(void)
{
	struct intake_formtoken	out;
	char			tok[INTAKE_FORMTOKEN_MAX];

	issue("leak-report", NOW, tok);
	T_EQ_INT(check_n(key2, tok, strlen(tok), "leak-report", NOW + 60, MIN_AGE, MAX_AGE, &out),
	    INTAKE_EINVAL);
}

static void
test_formtoken_rejects_every_byte_flip(void)
{
	struct intake_formtoken	out;
	char			tok[INTAKE_FORMTOKEN_MAX], bad[INTAKE_FORMTOKEN_MAX];
	size_t			n, i, bit;
	enum intake_err		err;

	issue("leak-report", NOW, tok);
	n = strlen(tok);
	for (i = 0; i < n; i++) {
		for (bit = 0; bit < 8; bit++) {
			memcpy(bad, tok, n);
			bad[i] = (char)(bad[i] ^ (1 << bit));
			err = check_n(key, bad, n, "leak-report", NOW + 60, MIN_AGE, MAX_AGE, &out);
			if (err != INTAKE_EINVAL)
				T_FAIL("byte %zu bit %zu: err %d", i, bit, (int)err);
		}
	}
	/* And the original, to be sure it was the flips. */
	T_EQ_INT(check_n(key, tok, n, "leak-report", NOW + 60, MIN_AGE, MAX_AGE, &out), INTAKE_OK);
}

/* tok with field i (0-4 between dots) replaced by repl, into out. */
static void
replace_field(const char *tok, int field, const char *repl, char *out, size_t outsz)
{
	const char	*start = tok, *end;
	int		 i;

	for (i = 0; i < field; i++)
		start = strchr(start, '.') + 1;
	end = strchr(start, '.');
	if (end == NULL)
		end = start + strlen(start);
	if ((size_t)(start - tok) + strlen(repl) + strlen(end) >= outsz)
		abort();
	memcpy(out, tok, (size_t)(start - tok));
	memcpy(out + (start - tok), repl, strlen(repl));
	memcpy(out + (start - tok) + strlen(repl), end, strlen(end) + 1);
}

static void
test_formtoken_rejects_tampered_fields(void)
{
	char	tok[INTAKE_FORMTOKEN_MAX], other[INTAKE_FORMTOKEN_MAX], bad[256];
	char	t[32];

	issue("leak-report", NOW, tok);
	issue("leak-report", NOW, other);

	/* Form id swapped, with the MAC of the original: another form's token. */
	replace_field(tok, 1, "room-booking", bad, sizeof(bad));
	T_EQ_INT(check(bad, "room-booking", NOW + 60), INTAKE_EINVAL);
	T_EQ_INT(check(bad, "leak-report", NOW + 60), INTAKE_EINVAL);

	/* An older or newer issue time, to stretch the lifetime. */
	(void)snprintf(t, sizeof(t), "%lld", (long long)NOW + 7000);
	replace_field(tok, 2, t, bad, sizeof(bad));
	T_EQ_INT(check(bad, "leak-report", NOW + 7100), INTAKE_EINVAL);
	(void)snprintf(t, sizeof(t), "%lld", (long long)NOW - 1);
	replace_field(tok, 2, t, bad, sizeof(bad));
	T_EQ_INT(check(bad, "leak-report", NOW + 60), INTAKE_EINVAL);

	/* A nonce of choice, to replay under a fresh idempotency key. */
	replace_field(tok, 3, "00000000000000000000000000000000", bad, sizeof(bad));
	T_EQ_INT(check(bad, "leak-report", NOW + 60), INTAKE_EINVAL);

	/* The MAC of another token of the same form and time. */
	replace_field(tok, 4, strrchr(other, '.') + 1, bad, sizeof(bad));
	T_EQ_INT(check(bad, "leak-report", NOW + 60), INTAKE_EINVAL);
	replace_field(tok, 4, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", bad, sizeof(bad));
	T_EQ_INT(check(bad, "leak-report", NOW + 60), INTAKE_EINVAL);
}

static void
test_formtoken_rejects_another_forms_token(void)
{
	char	tok[INTAKE_FORMTOKEN_MAX];

	issue("leak-report", NOW, tok);
	T_EQ_INT(check(tok, "room-booking", NOW + 60), INTAKE_EINVAL);
	T_EQ_INT(check(tok, "leak-repor", NOW + 60), INTAKE_EINVAL);
	T_EQ_INT(check(tok, "leak-reportx", NOW + 60), INTAKE_EINVAL);
	T_EQ_INT(check(tok, "", NOW + 60), INTAKE_EINVAL);
	T_EQ_INT(check(tok, "leak-report", NOW + 60), INTAKE_OK);
}

static void
test_formtoken_rejects_too_old(void)
{
	char	tok[INTAKE_FORMTOKEN_MAX];

	issue("f", NOW, tok);
	T_EQ_INT(check(tok, "f", NOW + MAX_AGE), INTAKE_OK);
	T_EQ_INT(check(tok, "f", NOW + MAX_AGE + 1), INTAKE_ETIMEOUT);
	T_EQ_INT(check(tok, "f", NOW + 365 * 86400), INTAKE_ETIMEOUT);
	T_EQ_INT(check(tok, "f", INT64_MAX), INTAKE_ETIMEOUT);
}

static void
test_formtoken_rejects_too_new(void)
{
	struct intake_formtoken	out;
	char			tok[INTAKE_FORMTOKEN_MAX];

	issue("f", NOW, tok);
	/* A bot that posts the form the moment it is served. */
	T_EQ_INT(check(tok, "f", NOW), INTAKE_ETIMEOUT);
	T_EQ_INT(check(tok, "f", NOW + MIN_AGE - 1), INTAKE_ETIMEOUT);
	T_EQ_INT(check(tok, "f", NOW + MIN_AGE), INTAKE_OK);
	/* Issued in the future (another clock): too new, even with no minimum. */
	T_EQ_INT(check_n(key, tok, strlen(tok), "f", NOW - 1, 0, MAX_AGE, &out),
	    INTAKE_ETIMEOUT);
	T_EQ_INT(check_n(key, tok, strlen(tok), "f", NOW, 0, MAX_AGE, &out), INTAKE_OK);
	/* now - issued would overflow. */
	T_EQ_INT(check_n(key, tok, strlen(tok), "f", INT64_MIN, INT64_MIN, MAX_AGE, &out),
	    INTAKE_ETIMEOUT);
	T_EQ_INT(check_n(key, tok, strlen(tok), "f", -1, 0, MAX_AGE, &out), INTAKE_ETIMEOUT);
	/* Bounds that admit nothing. */
	T_EQ_INT(check_n(key, tok, strlen(tok), "f", NOW + 10, 20, 5, &out), INTAKE_ETIMEOUT);
}

static void
test_formtoken_edge_times(void)
{
	struct intake_formtoken	out;
	char			tok[INTAKE_FORMTOKEN_MAX];

	issue("f", 0, tok);
	T_ASSERT(strncmp(tok, "v1.f.0.", 7) == 0);
	T_EQ_INT(check_n(key, tok, strlen(tok), "f", 0, 0, 0, &out), INTAKE_OK);
	T_EQ_INT(out.issued_s, 0);
	issue("f", INT64_MAX, tok);
	T_EQ_INT(check_n(key, tok, strlen(tok), "f", INT64_MAX, 0, 0, &out), INTAKE_OK);
	T_EQ_INT(out.issued_s, INT64_MAX);
	T_EQ_INT(check_n(key, tok, strlen(tok), "f", INT64_MIN, INT64_MIN, INT64_MAX, &out),
	    INTAKE_ETIMEOUT);
}

static void
test_formtoken_rejects_malformed_shapes(void)
{
	char		tok[INTAKE_FORMTOKEN_MAX], bad[512];
	const char	*mac;
	size_t		i;
	static const char *const whole[] = {
		"", ".", "....", "v1", "v1.", "v1.f", "v1.f.1760000000",
		"v1.f.1760000000.0123456789abcdef0123456789abcdef",
		"v1.f.1760000000.0123456789abcdef0123456789abcdef.",
		"v1..1760000000.0123456789abcdef0123456789abcdef.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"v1.f..0123456789abcdef0123456789abcdef.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"v1.f.1760000000..AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"not a token at all",
		"eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjF9.c2ln",
	};
	static const struct {
		int		 field;
		const char	*repl;
	} fields[] = {
		{ 0, "v2" }, { 0, "V1" }, { 0, "v" }, { 0, "" }, { 0, "v1 " },
		{ 1, "Leak" }, { 1, "leak report" }, { 1, "leak%2dreport" }, { 1, "" },
		{ 1, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" },
		{ 2, "" }, { 2, "-1" }, { 2, "+1760000000" }, { 2, "01760000000" }, { 2, " 1760000000" },
		{ 2, "1760000000 " }, { 2, "1.7e9" }, { 2, "0x68e7a200" },
		{ 2, "99999999999999999999" }, { 2, "9223372036854775808" },
		{ 2, "99999999999999999999999999999999999999999999999999999999999999999999" },
		{ 3, "0123456789ABCDEF0123456789ABCDEF" }, { 3, "0123456789abcdef0123456789abcdeg" },
		{ 3, "0123456789abcdef0123456789abcde" }, { 3, "0123456789abcdef0123456789abcdef0" },
		{ 3, "" },
		{ 4, "" }, { 4, "AAAA" },
		{ 4, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" },
		{ 4, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" },
		{ 4, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" },
		{ 4, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+" },
		{ 4, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/" },
	};

	for (i = 0; i < sizeof(whole) / sizeof(whole[0]); i++)
		T_EQ_INT(check(whole[i], "f", NOW + 60), INTAKE_EINVAL);

	issue("f", NOW, tok);
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		replace_field(tok, fields[i].field, fields[i].repl, bad, sizeof(bad));
		T_EQ_INT(check(bad, "f", NOW + 60), INTAKE_EINVAL);
	}

	/* Extra dots and fields, before and after. */
	(void)snprintf(bad, sizeof(bad), "%s.", tok);
	T_EQ_INT(check(bad, "f", NOW + 60), INTAKE_EINVAL);
	(void)snprintf(bad, sizeof(bad), "%s.x", tok);
	T_EQ_INT(check(bad, "f", NOW + 60), INTAKE_EINVAL);
	(void)snprintf(bad, sizeof(bad), ".%s", tok);
	T_EQ_INT(check(bad, "f", NOW + 60), INTAKE_EINVAL);
	(void)snprintf(bad, sizeof(bad), "v1.v1.%s", tok + 3);
	T_EQ_INT(check(bad, "f", NOW + 60), INTAKE_EINVAL);
	(void)snprintf(bad, sizeof(bad), "%s\n", tok);
	T_EQ_INT(check(bad, "f", NOW + 60), INTAKE_EINVAL);
	(void)snprintf(bad, sizeof(bad), " %s", tok);
	T_EQ_INT(check(bad, "f", NOW + 60), INTAKE_EINVAL);

	/* The MAC field missing entirely: the prefix alone. */
	mac = strrchr(tok, '.');
	memcpy(bad, tok, (size_t)(mac - tok));
	bad[mac - tok] = '\0';
	T_EQ_INT(check(bad, "f", NOW + 60), INTAKE_EINVAL);
}

/* "<prefix>.<base64url HMAC of prefix under key>" into out: a token signed by hand. */
static void
sign(const char *prefix, char *out, size_t outsz)
{
	struct intake_buf	b;
	unsigned char		mac[EVP_MAX_MD_SIZE];
	unsigned int		maclen = 0;

	if (HMAC(EVP_sha256(), key, sizeof(key), (const unsigned char *)prefix, strlen(prefix),
	    mac, &maclen) == NULL)
		abort();
	intake_buf_init(&b, 256);
	if (intake_buf_printf(&b, "%s.", prefix) != INTAKE_OK ||
	    intake_b64url_encode(&b, mac, maclen) != INTAKE_OK || b.len >= outsz)
		abort();
	memcpy(out, b.ptr, b.len + 1);
	intake_buf_free(&b);
}

static void
test_formtoken_rejects_noncanonical_fields_even_when_signed(void)
{
	static const char *const bad[] = {
		"v1.f.01760000000.0123456789abcdef0123456789abcdef",	/* leading zero */
		"v1.f.00.0123456789abcdef0123456789abcdef",
		"v1.f.1760000000.0123456789ABCDEF0123456789abcdef",	/* upper-case hex */
		"v1.F.1760000000.0123456789abcdef0123456789abcdef",	/* upper-case id */
		"v1.f.+1760000000.0123456789abcdef0123456789abcdef",
		"v1.f.-1.0123456789abcdef0123456789abcdef",
		"v1.f.99999999999999999999.0123456789abcdef0123456789abcdef",
		"v1.f.9223372036854775808.0123456789abcdef0123456789abcdef",
		"v1.f.1760000000.0123456789abcdef0123456789abcde",	/* 31 digits */
		"v2.f.1760000000.0123456789abcdef0123456789abcdef",
	};
	char	tok[256];
	size_t	i;

	/* The hand signing is right: a canonical token passes. */
	sign("v1.f.1760000000.0123456789abcdef0123456789abcdef", tok, sizeof(tok));
	T_EQ_INT(check(tok, "f", NOW + 60), INTAKE_OK);
	/* A key holder's mistakes are still refused by shape. */
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		sign(bad[i], tok, sizeof(tok));
		T_EQ_INT(check(tok, "f", NOW + 60), INTAKE_EINVAL);
		T_EQ_INT(check(tok, "F", NOW + 60), INTAKE_EINVAL);
	}
}

static void
test_formtoken_rejects_nul_byte(void)
{
	struct intake_formtoken	out;
	char			tok[INTAKE_FORMTOKEN_MAX], bad[INTAKE_FORMTOKEN_MAX + 1];
	size_t			n, i;

	issue("f", NOW, tok);
	n = strlen(tok);
	/* A NUL in place of each byte, and one appended. */
	for (i = 0; i < n; i++) {
		memcpy(bad, tok, n);
		bad[i] = '\0';
		T_EQ_INT(check_n(key, bad, n, "f", NOW + 60, MIN_AGE, MAX_AGE, &out), INTAKE_EINVAL);
	}
	memcpy(bad, tok, n + 1);
	T_EQ_INT(check_n(key, bad, n + 1, "f", NOW + 60, MIN_AGE, MAX_AGE, &out), INTAKE_EINVAL);
	/* Only len bytes count: the token's own bytes are fine. */
	T_EQ_INT(check_n(key, bad, n, "f", NOW + 60, MIN_AGE, MAX_AGE, &out), INTAKE_OK);
	T_EQ_INT(check_n(key, bad, n - 1, "f", NOW + 60, MIN_AGE, MAX_AGE, &out), INTAKE_EINVAL);
}

static void
test_formtoken_rejects_oversized_token(void)
{
	struct intake_formtoken	 out;
	char			*big;
	size_t			 n = 1 << 20;

	big = malloc(n);
	T_ASSERT(big != NULL);
	memset(big, 'a', n);
	T_EQ_INT(check_n(key, big, n, "f", NOW + 60, MIN_AGE, MAX_AGE, &out), INTAKE_EINVAL);
	T_EQ_INT(check_n(key, big, INTAKE_FORMTOKEN_MAX, "f", NOW + 60, MIN_AGE, MAX_AGE, &out),
	    INTAKE_EINVAL);
	memset(big, '.', n);
	T_EQ_INT(check_n(key, big, n, "f", NOW + 60, MIN_AGE, MAX_AGE, &out), INTAKE_EINVAL);
	free(big);
}

static void
test_formtoken_issue_rejects_bad_form_ids(void)
{
	static const char *const bad[] = {
		"", "Leak", "leak report", "leak.report", "leak/report", "léak", "a\n",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	};
	char	tok[INTAKE_FORMTOKEN_MAX], fill[INTAKE_FORMTOKEN_MAX];
	size_t	i;

	memset(fill, 0xa5, sizeof(fill));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(tok, 0xa5, sizeof(tok));
		T_EQ_INT(intake_formtoken_issue(key, bad[i], NOW, tok), INTAKE_EINVAL);
		T_EQ_MEM(tok, fill, sizeof(tok));
	}
	memset(tok, 0xa5, sizeof(tok));
	T_EQ_INT(intake_formtoken_issue(key, "f", -1, tok), INTAKE_EINVAL);
	T_EQ_MEM(tok, fill, sizeof(tok));
	T_EQ_INT(intake_formtoken_issue(key, "0-9_az", NOW, tok), INTAKE_OK);
}

static void
test_formtoken_two_issues_give_different_nonces(void)
{
	struct intake_formtoken	a, b;
	char			ta[INTAKE_FORMTOKEN_MAX], tb[INTAKE_FORMTOKEN_MAX];

	issue("f", NOW, ta);
	issue("f", NOW, tb);
	T_ASSERT(strcmp(ta, tb) != 0);
	T_EQ_INT(check_n(key, ta, strlen(ta), "f", NOW + 60, MIN_AGE, MAX_AGE, &a), INTAKE_OK);
	T_EQ_INT(check_n(key, tb, strlen(tb), "f", NOW + 60, MIN_AGE, MAX_AGE, &b), INTAKE_OK);
	T_ASSERT(strcmp(a.nonce, b.nonce) != 0);
	T_ASSERT(strcmp(a.nonce, "00000000000000000000000000000000") != 0);
}

static void
test_formtoken_rejects_token_followed_by_nul_and_junk(void)
{
	struct intake_formtoken	out;
	char			tok[INTAKE_FORMTOKEN_MAX], bad[INTAKE_FORMTOKEN_MAX + 8];
	size_t			n;

	/* _token=<token>%00junk decodes to the token, a NUL and "junk". */
	issue("f", NOW, tok);
	n = strlen(tok);
	memcpy(bad, tok, n);
	memcpy(bad + n, "\0junk", 5);
	T_EQ_INT(check_n(key, bad, n + 5, "f", NOW + 60, MIN_AGE, MAX_AGE, &out), INTAKE_EINVAL);
	/* A NUL with nothing after it, too. */
	T_EQ_INT(check_n(key, bad, n + 1, "f", NOW + 60, MIN_AGE, MAX_AGE, &out), INTAKE_EINVAL);
}

int
main(void)
{
	T_RUN(test_formtoken_round_trip);
	T_RUN(test_formtoken_shape_is_url_and_attribute_safe);
	T_RUN(test_formtoken_mac_is_hmac_sha256_of_the_prefix);
	T_RUN(test_formtoken_rejects_wrong_key);
	T_RUN(test_formtoken_rejects_every_byte_flip);
	T_RUN(test_formtoken_rejects_tampered_fields);
	T_RUN(test_formtoken_rejects_another_forms_token);
	T_RUN(test_formtoken_rejects_too_old);
	T_RUN(test_formtoken_rejects_too_new);
	T_RUN(test_formtoken_edge_times);
	T_RUN(test_formtoken_rejects_malformed_shapes);
	T_RUN(test_formtoken_rejects_noncanonical_fields_even_when_signed);
	T_RUN(test_formtoken_rejects_nul_byte);
	T_RUN(test_formtoken_rejects_oversized_token);
	T_RUN(test_formtoken_issue_rejects_bad_form_ids);
	T_RUN(test_formtoken_two_issues_give_different_nonces);
	T_RUN(test_formtoken_rejects_token_followed_by_nul_and_junk);
	return T_DONE();
}
