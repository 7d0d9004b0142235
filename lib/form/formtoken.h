/*
 * formtoken.h - the signed, expiring token a rendered form carries.
 *
 * A token binds a form id and an issue time to a random nonce, signed with
 * HMAC-SHA256 under a server key (OpenSSL).  It travels in a hidden field;
 * its nonce is also the submission's idempotency key: the reference
 * made from it names the submission's spool file, which exists once.
 * Checking the signature and age needs no state.
 */
#ifndef INTAKE_FORMTOKEN_H
#define INTAKE_FORMTOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define INTAKE_FORMTOKEN_MAX	192	/* bytes of a token, NUL included */
#define INTAKE_FORMTOKEN_NONCE	33	/* hex nonce plus NUL */
#define INTAKE_FORMTOKEN_KEY	32	/* bytes of the signing key */
#define INTAKE_FORMTOKEN_REF_MAX	15	/* "XXXX-XXXX-XXXX" plus NUL */

/* What a valid token says. */
struct intake_formtoken {
	char	form_id[65];
	int64_t	issued_s;			/* epoch seconds */
	char	nonce[INTAKE_FORMTOKEN_NONCE];	/* 32 hex digits */
};

/*
 * Make a token for form_id (1-64 of a-z 0-9 _ -) issued at now_s with a
 * fresh random nonce, as printable ASCII safe in HTML attributes and URLs.
 */
enum intake_err	intake_formtoken_issue(const unsigned char key[INTAKE_FORMTOKEN_KEY],
		    const char *form_id, int64_t now_s, char out[INTAKE_FORMTOKEN_MAX]);

/*
 * Check token (len bytes) for form_id at now_s: INTAKE_OK and *out when the
 * signature is right (compared in constant time), the form matches, and
 * min_age_s <= age <= max_age_s.  INTAKE_EINVAL for a malformed or forged
 * token or another form's (a NUL anywhere in the len bytes is malformed:
 * pass the decoded length, never strlen()), INTAKE_ETIMEOUT when too old
 * (or too new, which bots filling forms instantly are).
 */
enum intake_err	intake_formtoken_check(const unsigned char key[INTAKE_FORMTOKEN_KEY],
		    const char *token, size_t len, const char *form_id, int64_t now_s,
		    int64_t min_age_s, int64_t max_age_s, struct intake_formtoken *out);
/*
 * The submission reference of a checked token: 60 bits of an HMAC of its
 * form and nonce as "XXXX-XXXX-XXXX" (Crockford base32).  The same token
 * always gives the same reference, which is how a second post of one
 * form finds the first.
 */
enum intake_err	intake_formtoken_reference(const unsigned char key[INTAKE_FORMTOKEN_KEY],
		    const struct intake_formtoken *tok, char out[INTAKE_FORMTOKEN_REF_MAX]);

#endif
