/*
 * seal.c - AES-256-GCM for cache values that leave the process (seal.h).
 *
 * A fresh random nonce per seal: with 96 random bits the chance of a
 * repeat stays negligible for far more writes than a cache ever makes
 * under one key file (NIST SP 800-38D's 2^32 bound).
 */
#include <limits.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "cache/seal.h"

/* One GCM pass; enc selects the direction.  0 on success. */
static int
gcm(int enc, const unsigned char *key, const unsigned char *nonce, const char *aad,
    const unsigned char *in, size_t len, unsigned char *out, unsigned char *tag)
{
	EVP_CIPHER_CTX	*x;
	int		 n, ok = 0;
	size_t		 alen = strlen(aad);

	if (len > INT_MAX || alen > INT_MAX)
		return -1;
	x = EVP_CIPHER_CTX_new();
	if (x == NULL)
		return -1;
	if (EVP_CipherInit_ex(x, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) != 1 ||
	    EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_IVLEN, INTAKE_SEAL_NONCE, NULL) != 1 ||
	    EVP_CipherInit_ex(x, NULL, NULL, key, nonce, enc) != 1 ||
	    EVP_CipherUpdate(x, NULL, &n, (const unsigned char *)aad, (int)alen) != 1)
		goto out;
	if (len > 0 && EVP_CipherUpdate(x, out, &n, in, (int)len) != 1)
		goto out;
	if (!enc && EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_TAG, INTAKE_SEAL_TAG, tag) != 1)
		goto out;
	/* Decrypting, this is where a wrong key, name or byte shows. */
	if (EVP_CipherFinal_ex(x, out + len, &n) != 1)
		goto out;
	if (enc && EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_GET_TAG, INTAKE_SEAL_TAG, tag) != 1)
		goto out;
	ok = 1;
out:
	EVP_CIPHER_CTX_free(x);
	return ok ? 0 : -1;
}

enum intake_err
intake_seal(const unsigned char key[INTAKE_SEAL_KEY], const char *aad, const void *in,
    size_t len, void *out, size_t cap, size_t *outlen)
{
	unsigned char	*o = out;

	if (len > SIZE_MAX - INTAKE_SEAL_OVERHEAD || cap < len + INTAKE_SEAL_OVERHEAD)
		return INTAKE_ETOOBIG;
	o[0] = INTAKE_SEAL_MAGIC;
	if (RAND_bytes(o + 1, INTAKE_SEAL_NONCE) != 1)
		return INTAKE_ESYS;
	if (gcm(1, key, o + 1, aad, in, len, o + 1 + INTAKE_SEAL_NONCE,
	    o + 1 + INTAKE_SEAL_NONCE + len) != 0) {
		OPENSSL_cleanse(out, cap);
		return INTAKE_ESYS;
	}
	*outlen = len + INTAKE_SEAL_OVERHEAD;
	return INTAKE_OK;
}

enum intake_err
intake_unseal(const unsigned char key[INTAKE_SEAL_KEY], const char *aad, const void *in,
    size_t len, void *out, size_t cap, size_t *outlen)
{
	const unsigned char	*i = in;
	unsigned char		 tag[INTAKE_SEAL_TAG];
	size_t			 n;

	if (len < INTAKE_SEAL_OVERHEAD || i[0] != INTAKE_SEAL_MAGIC)
		return INTAKE_EINVAL;
	n = len - INTAKE_SEAL_OVERHEAD;
	if (cap < n)
		return INTAKE_ETOOBIG;
	/* The tag is handed over as writable: OpenSSL's prototype wants it so. */
	memcpy(tag, i + 1 + INTAKE_SEAL_NONCE + n, sizeof(tag));
	if (gcm(0, key, i + 1, aad, i + 1 + INTAKE_SEAL_NONCE, n, out, tag) != 0) {
		OPENSSL_cleanse(out, n);
		return INTAKE_EINVAL;
	}
	*outlen = n;
	return INTAKE_OK;
}
