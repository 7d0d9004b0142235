/*
 * test_seal.c - lib/cache/seal.c: AES-256-GCM sealing of values that
 * leave the process, bound to the entry's name.
 */
#include <string.h>

#include "cache/seal.h"

#include "t.h"

static const unsigned char key1[INTAKE_SEAL_KEY] = "0123456789abcdef0123456789abcde";
static const unsigned char key2[INTAKE_SEAL_KEY] = "fedcba9876543210fedcba987654321";
static const char token[] = "eyJhbGciOiJIUzI1NiJ9.service-account-token";

static void
test_seal_round_trip(void)
{
	unsigned char	sealed[256], out[256];
	size_t		slen = 0, olen = 0;

	T_EQ_INT(intake_seal(key1, "intake:c:token:svc", token, sizeof(token) - 1, sealed,
	    sizeof(sealed), &slen), INTAKE_OK);
	T_EQ_INT(slen, sizeof(token) - 1 + INTAKE_SEAL_OVERHEAD);
	T_EQ_INT(sealed[0], INTAKE_SEAL_MAGIC);
	T_ASSERT(memmem(sealed, slen, "service-account", 15) == NULL);
	T_EQ_INT(intake_unseal(key1, "intake:c:token:svc", sealed, slen, out, sizeof(out),
	    &olen), INTAKE_OK);
	T_EQ_INT(olen, sizeof(token) - 1);
	T_EQ_MEM(out, token, olen);
}

static void
test_seal_empty_value_round_trips(void)
{
	unsigned char	sealed[64], out[8];
	size_t		slen = 0, olen = 1;

	T_EQ_INT(intake_seal(key1, "k", "", 0, sealed, sizeof(sealed), &slen), INTAKE_OK);
	T_EQ_INT(slen, INTAKE_SEAL_OVERHEAD);
	T_EQ_INT(intake_unseal(key1, "k", sealed, slen, out, sizeof(out), &olen), INTAKE_OK);
	T_EQ_INT(olen, 0);
}

static void
test_seal_nonce_fresh_per_write(void)
{
	unsigned char	a[128], b[128];
	size_t		alen = 0, blen = 0;

	T_EQ_INT(intake_seal(key1, "k", token, sizeof(token), a, sizeof(a), &alen), INTAKE_OK);
	T_EQ_INT(intake_seal(key1, "k", token, sizeof(token), b, sizeof(b), &blen), INTAKE_OK);
	T_EQ_INT(alen, blen);
	T_ASSERT(memcmp(a + 1, b + 1, INTAKE_SEAL_NONCE) != 0);
	T_ASSERT(memcmp(a, b, alen) != 0);
}

/* Every single flipped bit, anywhere (magic, nonce, body, tag), fails to open. */
static void
test_seal_tampered_byte_fails(void)
{
	unsigned char	sealed[128], bad[128], out[128];
	size_t		slen = 0, olen = 0, i;

	T_EQ_INT(intake_seal(key1, "k", token, sizeof(token) - 1, sealed, sizeof(sealed),
	    &slen), INTAKE_OK);
	for (i = 0; i < slen; i++) {
		memcpy(bad, sealed, slen);
		bad[i] ^= 0x01;
		T_EQ_INT(intake_unseal(key1, "k", bad, slen, out, sizeof(out), &olen),
		    INTAKE_EINVAL);
	}
}

static void
test_seal_truncated_fails(void)
{
	unsigned char	sealed[128], out[128];
	size_t		slen = 0, olen = 0, n;

	T_EQ_INT(intake_seal(key1, "k", token, sizeof(token) - 1, sealed, sizeof(sealed),
	    &slen), INTAKE_OK);
	for (n = 0; n < slen; n++)
		T_EQ_INT(intake_unseal(key1, "k", sealed, n, out, sizeof(out), &olen),
		    INTAKE_EINVAL);
}

/* A value copied from one entry to another does not open there. */
static void
test_seal_moved_to_other_key_fails(void)
{
	unsigned char	sealed[128], out[128];
	size_t		slen = 0, olen = 0;

	T_EQ_INT(intake_seal(key1, "intake:c:token:svc", token, sizeof(token) - 1, sealed,
	    sizeof(sealed), &slen), INTAKE_OK);
	T_EQ_INT(intake_unseal(key1, "intake:c:report:list", sealed, slen, out, sizeof(out),
	    &olen), INTAKE_EINVAL);
	T_EQ_INT(intake_unseal(key1, "other:c:token:svc", sealed, slen, out, sizeof(out),
	    &olen), INTAKE_EINVAL);
	/* Nothing of the plaintext is left behind in out on failure. */
	T_ASSERT(memmem(out, sizeof(out), "service-account", 15) == NULL);
}

static void
test_seal_wrong_key_fails(void)
{
	unsigned char	sealed[128], out[128];
	size_t		slen = 0, olen = 0;

	T_EQ_INT(intake_seal(key1, "k", token, sizeof(token) - 1, sealed, sizeof(sealed),
	    &slen), INTAKE_OK);
	T_EQ_INT(intake_unseal(key2, "k", sealed, slen, out, sizeof(out), &olen),
	    INTAKE_EINVAL);
}

/* Plain text (what an attacker with Redis access might write) is refused. */
static void
test_seal_plaintext_injection_refused(void)
{
	unsigned char	out[128];
	size_t		olen = 0;

	T_EQ_INT(intake_unseal(key1, "k", token, sizeof(token) - 1, out, sizeof(out), &olen),
	    INTAKE_EINVAL);
}

static void
test_seal_small_buffers_refused(void)
{
	unsigned char	sealed[128], out[4];
	size_t		slen = 0, olen = 0;

	T_EQ_INT(intake_seal(key1, "k", token, sizeof(token) - 1, sealed,
	    sizeof(token) - 2 + INTAKE_SEAL_OVERHEAD, &slen), INTAKE_ETOOBIG);
	T_EQ_INT(intake_seal(key1, "k", token, sizeof(token) - 1, sealed, sizeof(sealed),
	    &slen), INTAKE_OK);
	T_EQ_INT(intake_unseal(key1, "k", sealed, slen, out, sizeof(out), &olen),
	    INTAKE_ETOOBIG);
}

int
main(void)
{
	T_RUN(test_seal_round_trip);
	T_RUN(test_seal_empty_value_round_trips);
	T_RUN(test_seal_nonce_fresh_per_write);
	T_RUN(test_seal_tampered_byte_fails);
	T_RUN(test_seal_truncated_fails);
	T_RUN(test_seal_moved_to_other_key_fails);
	T_RUN(test_seal_wrong_key_fails);
	T_RUN(test_seal_plaintext_injection_refused);
	T_RUN(test_seal_small_buffers_refused);
	return T_DONE();
}
