/*
 * test_jwt.c - lib/integrify/jwt.c: HS256 signing, reading "exp" (base64url
 * is tested with lib/util/str.c).
 */
#include <limits.h>
#include <string.h>

#include "integrify/jwt.h"
#include "util/str.h"

#include "t.h"

/* "<header>.<base64url(payload)>.sig" into b. */
static void
make_jwt(struct intake_buf *b, const char *payload)
{
	intake_buf_init(b, 65536);
	if (intake_buf_adds(b, "eyJhbGciOiJIUzI1NiJ9.") != INTAKE_OK ||
	    intake_b64url_encode(b, payload, strlen(payload)) != INTAKE_OK ||
	    intake_buf_adds(b, ".c2ln") != INTAKE_OK)
		abort();
}

/* intake_jwt_exp of the JWT of payload; found and exp out. */
static enum intake_err
exp_of(const char *payload, bool *found, long long *exp)
{
	struct intake_buf	b;
	enum intake_err		err;

	make_jwt(&b, payload);
	*found = true;
	*exp = -12345;
	err = intake_jwt_exp(b.ptr, b.len, found, exp);
	intake_buf_free(&b);
	return err;
}

/*
 * Computed while writing this test with Python's standard library:
 *
 *   b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b'=').decode()
 *   si = b64(b'{"alg":"HS256","typ":"JWT"}') + '.' + b64(PAYLOAD)
 *   si + '.' + b64(hmac.new(b's3cr3t', si.encode(), hashlib.sha256).digest())
 */
#define VEC_PAYLOAD							\
	"{\"iss\":\"consumer-key\",\"sub\":\"svc_intake\","		\
	"\"aud\":\"https://acme.integrify.com/oauth2/token\","		\
	"\"iat\":1700000000,\"exp\":1700003600}"
#define VEC_JWT								\
	"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."				\
	"eyJpc3MiOiJjb25zdW1lci1rZXkiLCJzdWIiOiJzdmNfaW50YWtlIiwiYXVkIjoiaHR0cHM6Ly9h" \
	"Y21lLmludGVncmlmeS5jb20vb2F1dGgyL3Rva2VuIiwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjE3" \
	"MDAwMDM2MDB9."							\
	"cbuoVUoYLfgATPD075Knm-WtWlaZANcpn6rGWh8F1Zw"
/* The same with the secret "" and the payload "{}". */
#define VEC_EMPTY_JWT							\
	"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.e30.LwimMJA3puF3ioGeS-tfczR3370GXBZMIL-bdpu4hOU"

static void
test_jwt_sign_hs256_matches_known_vector(void)
{
	struct intake_buf	b;

	intake_buf_init(&b, 4096);
	T_EQ_INT(intake_jwt_sign_hs256(&b, "s3cr3t", VEC_PAYLOAD), INTAKE_OK);
	T_EQ_STR(intake_buf_str(&b), VEC_JWT);
	intake_buf_free(&b);
	intake_buf_init(&b, 4096);
	T_EQ_INT(intake_jwt_sign_hs256(&b, "", "{}"), INTAKE_OK);
	T_EQ_STR(intake_buf_str(&b), VEC_EMPTY_JWT);
	intake_buf_free(&b);
}

static void
test_jwt_sign_hs256_appends(void)
{
	struct intake_buf	b;

	intake_buf_init(&b, 4096);
	T_EQ_INT(intake_buf_adds(&b, "assertion="), INTAKE_OK);
	T_EQ_INT(intake_jwt_sign_hs256(&b, "s3cr3t", VEC_PAYLOAD), INTAKE_OK);
	T_EQ_STR(intake_buf_str(&b), "assertion=" VEC_JWT);
	intake_buf_free(&b);
}

static void
test_jwt_sign_hs256_over_max_fails(void)
{
	struct intake_buf	b;

	intake_buf_init(&b, 40);
	T_ASSERT(intake_jwt_sign_hs256(&b, "s3cr3t", VEC_PAYLOAD) != INTAKE_OK);
	intake_buf_free(&b);
}

static void
test_jwt_exp_reads_the_signed_token(void)
{
	bool		found = false;
	long long	exp = 0;

	T_EQ_INT(intake_jwt_exp(VEC_JWT, strlen(VEC_JWT), &found, &exp), INTAKE_OK);
	T_ASSERT(found);
	T_EQ_INT(exp, 1700003600);
}

static void
test_jwt_exp_reads_int_exp(void)
{
	bool		found;
	long long	exp;

	T_EQ_INT(exp_of("{\"sub\":\"x\",\"exp\":1893456000}", &found, &exp), INTAKE_OK);
	T_ASSERT(found);
	T_EQ_INT(exp, 1893456000);
	T_EQ_INT(exp_of("{\"exp\":1.7e9}", &found, &exp), INTAKE_OK);
	T_ASSERT(found);
	T_EQ_INT(exp, 1700000000);
}

static void
test_jwt_exp_ignores_missing_or_unusable_exp(void)
{
	static const char *const payloads[] = {
		"{}",
		"{\"sub\":\"x\"}",
		"{\"exp\":\"1893456000\"}",
		"{\"exp\":null}",
		"{\"exp\":true}",
		"{\"exp\":[1893456000]}",
		"{\"exp\":{\"v\":1}}",
		"{\"exp\":0}",
		"{\"exp\":-1}",
		"{\"exp\":-1e9}",
		"{\"exp\":1e300}",
		"{\"EXP\":1893456000}",
		"[1893456000]",
		"1893456000",
		"\"exp\"",
		"not json",
		"{\"exp\":1893456000",
		"{\"exp\":1893456000} trailing",
		"",
	};
	bool		found;
	long long	exp;
	size_t		i;

	for (i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++) {
		T_EQ_INT(exp_of(payloads[i], &found, &exp), INTAKE_OK);
		if (found)
			T_FAIL("payload %s gave exp %lld", payloads[i], exp);
		T_EQ_INT(exp, -12345);
	}
}

static void
test_jwt_exp_ignores_non_jwt_strings(void)
{
	static const char *const tokens[] = {
		"",
		"0123456789abcdef0123456789abcdef",
		"abc.def",
		".",
		"..",
		"a..b",
		"eyJhbGciOiJIUzI1NiJ9",
		"eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjE4OTM0NTYwMDB9",
		"eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjE4OTM0NTYwMD!9.sig",
		"eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjE4OTM0NTYwM.sig",
		"eyJhbGciOiJIUzI1NiJ9.e.sig",
	};
	bool		found;
	long long	exp = -12345;
	size_t		i;

	for (i = 0; i < sizeof(tokens) / sizeof(tokens[0]); i++) {
		found = true;
		T_EQ_INT(intake_jwt_exp(tokens[i], strlen(tokens[i]), &found, &exp), INTAKE_OK);
		if (found)
			T_FAIL("token %s gave exp %lld", tokens[i], exp);
		T_EQ_INT(exp, -12345);
	}
}

static void
test_jwt_exp_with_padding_in_payload(void)
{
	/* {"exp":1893456000} is 18 bytes: its base64 has one '=' of padding. */
	const char	*t = "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjE4OTM0NTYwMDB9.sig";
	const char	*p = "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjE4OTM0NTYwMDB9=.sig";
	bool		 found = false;
	long long	 exp = 0;

	T_EQ_INT(intake_jwt_exp(t, strlen(t), &found, &exp), INTAKE_OK);
	T_ASSERT(found);
	T_EQ_INT(exp, 1893456000);
	found = false;
	T_EQ_INT(intake_jwt_exp(p, strlen(p), &found, &exp), INTAKE_OK);
	T_ASSERT(found);
}

static void
test_jwt_exp_reads_only_len_bytes(void)
{
	struct intake_buf	b;
	bool			found = true;
	long long		exp;

	make_jwt(&b, "{\"exp\":1893456000}");
	/* Cut before the second dot: not a JWT any more. */
	T_EQ_INT(intake_jwt_exp(b.ptr, (size_t)(strrchr(b.ptr, '.') - b.ptr), &found, &exp),
	    INTAKE_OK);
	T_ASSERT(!found);
	T_EQ_INT(intake_jwt_exp(b.ptr, 0, &found, &exp), INTAKE_OK);
	T_ASSERT(!found);
	intake_buf_free(&b);
}

static void
test_jwt_exp_of_huge_payload_is_not_found(void)
{
	struct intake_buf	 b;
	char			*payload;
	size_t			 n = 12000;
	bool			 found = true;
	long long		 exp;

	payload = malloc(n + 1);
	T_ASSERT(payload != NULL);
	memset(payload, ' ', n);
	memcpy(payload, "{\"exp\":1893456000", 17);
	payload[n - 1] = '}';
	payload[n] = '\0';
	intake_buf_init(&b, 65536);
	T_EQ_INT(intake_buf_adds(&b, "eyJhbGciOiJIUzI1NiJ9."), INTAKE_OK);
	/* Over the decoder's part limit: encode in two halves. */
	T_EQ_INT(intake_b64url_encode(&b, payload, 6000), INTAKE_OK);
	T_EQ_INT(intake_b64url_encode(&b, payload + 6000, 6000), INTAKE_OK);
	T_EQ_INT(intake_buf_adds(&b, ".sig"), INTAKE_OK);
	T_EQ_INT(intake_jwt_exp(b.ptr, b.len, &found, &exp), INTAKE_OK);
	T_ASSERT(!found);
	intake_buf_free(&b);
	free(payload);
}

static void
test_jwt_exp_of_int64_max(void)
{
	bool		found;
	long long	exp;

	/* Read as is; the caller must not scale it to milliseconds blindly. */
	T_EQ_INT(exp_of("{\"exp\":9223372036854775807}", &found, &exp), INTAKE_OK);
	T_ASSERT(found);
	T_EQ_INT(exp, LLONG_MAX);
	T_EQ_INT(exp_of("{\"exp\":99999999999999999999999}", &found, &exp), INTAKE_OK);
	T_ASSERT(!found || exp > 0);
}

int
main(void)
{
	T_RUN(test_jwt_sign_hs256_matches_known_vector);
	T_RUN(test_jwt_sign_hs256_appends);
	T_RUN(test_jwt_sign_hs256_over_max_fails);
	T_RUN(test_jwt_exp_reads_the_signed_token);
	T_RUN(test_jwt_exp_reads_int_exp);
	T_RUN(test_jwt_exp_ignores_missing_or_unusable_exp);
	T_RUN(test_jwt_exp_ignores_non_jwt_strings);
	T_RUN(test_jwt_exp_with_padding_in_payload);
	T_RUN(test_jwt_exp_reads_only_len_bytes);
	T_RUN(test_jwt_exp_of_huge_payload_is_not_found);
	T_RUN(test_jwt_exp_of_int64_max);
	return T_DONE();
}
