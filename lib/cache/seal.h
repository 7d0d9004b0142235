/*
 * seal.h - AES-256-GCM sealing of cache values that leave the process
 * (lib-private).
 *
 * A sealed value is SEAL_MAGIC, a random 96-bit nonce, the ciphertext and
 * a 128-bit tag.  The entry's full key name is the additional data, so a
 * value copied under another key (or another prefix) fails to open.
 */
#ifndef INTAKE_CACHE_SEAL_H
#define INTAKE_CACHE_SEAL_H

#include <stddef.h>

#include "util/err.h"

#define INTAKE_SEAL_KEY		32	/* bytes of an AES-256 key */
#define INTAKE_SEAL_NONCE	12
#define INTAKE_SEAL_TAG		16
#define INTAKE_SEAL_MAGIC	0xa5	/* never a digit: counters stay told apart */
#define INTAKE_SEAL_OVERHEAD	(1 + INTAKE_SEAL_NONCE + INTAKE_SEAL_TAG)

/*
 * Seal len bytes of in under key, bound to the NUL-terminated name aad,
 * into out (cap bytes; needs len + INTAKE_SEAL_OVERHEAD).  *outlen is the
 * sealed length.  INTAKE_ETOOBIG if cap is too small, INTAKE_ESYS if
 * OpenSSL or the random source fails.
 */
enum intake_err	intake_seal(const unsigned char key[INTAKE_SEAL_KEY], const char *aad,
		    const void *in, size_t len, void *out, size_t cap, size_t *outlen);

/*
 * Open a sealed value made by intake_seal() with the same key and aad
 * into out (cap bytes).  INTAKE_EINVAL when it does not open (wrong key,
 * other name, tampered, truncated or not sealed at all); out is then
 * wiped.  INTAKE_ETOOBIG if cap is too small.
 */
enum intake_err	intake_unseal(const unsigned char key[INTAKE_SEAL_KEY], const char *aad,
		    const void *in, size_t len, void *out, size_t cap, size_t *outlen);

#endif
