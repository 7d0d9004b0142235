/*
 * fuzz_formtoken.c - intake_formtoken_check() on any bytes, and on
 * tokens issued from them with one byte changed.
 *
 * The bytes themselves, checked under a fixed key, must never crash;
 * were one accepted, its fields must spell the token's own prefix.  Then
 * the bytes pick a form id and a time, a token is issued and checked
 * (accepted, with those fields), and one byte of it, picked by the input
 * too, is changed: that token must be refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "form/formtoken.h"

#include "fuzz.h"

static const unsigned char key[INTAKE_FORMTOKEN_KEY] = {
	0x6b, 0x1f, 0x02, 0xc4, 0x9d, 0x37, 0x5a, 0xe8, 0x11, 0x80, 0x4c, 0x3e, 0xa7, 0x59, 0xf2, 0x06,
	0xdd, 0x73, 0x28, 0x91, 0x0b, 0xbe, 0x64, 0x4f, 0xc9, 0x15, 0x7a, 0xe0, 0x33, 0x8c, 0x52, 0x9f,
};

#define NOW	INT64_C(1760000000)

/* Abort unless an accepted token of n bytes is "v1.<id>.<issued>.<nonce>.<43>". */
static void
consistent(const char *tok, size_t n, const struct intake_formtoken *t)
{
	char	prefix[INTAKE_FORMTOKEN_MAX];
	int	w;

	w = snprintf(prefix, sizeof(prefix), "v1.%s.%lld.%s.", t->form_id,
	    (long long)t->issued_s, t->nonce);
	if (w < 0 || (size_t)w + 43 != n || memcmp(tok, prefix, (size_t)w) != 0)
		abort();
}

/* Issue from the input's choices, check, change one byte, check again. */
static void
issue_and_mangle(const uint8_t *data, size_t size)
{
	static const char	 idset[] = "abcdefghijklmnopqrstuvwxyz0123456789_-";
	struct intake_formtoken	 t;
	char			 id[65], tok[INTAKE_FORMTOKEN_MAX];
	uint64_t		 u = 0;
	int64_t			 now;
	size_t			 i, n, idlen, at;
	uint8_t			 x;

	if (size < 11)
		return;
	for (i = 0; i < 8; i++)
		u = u << 8 | data[i];
	now = (int64_t)(u & INT64_MAX);
	idlen = 1 + data[8] % 64;
	for (i = 0; i < idlen; i++)
		id[i] = idset[(9 + i < size ? data[9 + i] : i) % (sizeof(idset) - 1)];
	id[idlen] = '\0';
	if (intake_formtoken_issue(key, id, now, tok) != INTAKE_OK)
		abort();
	n = strlen(tok);
	if (intake_formtoken_check(key, tok, n, id, now, 0, 0, &t) != INTAKE_OK)
		abort();
	if (strcmp(t.form_id, id) != 0 || t.issued_s != now)
		abort();
	consistent(tok, n, &t);

	at = data[9] % n;
	x = data[10] == 0 ? 1 : data[10];
	tok[at] = (char)(tok[at] ^ x);
	if (intake_formtoken_check(key, tok, n, id, now, 0, 0, &t) != INTAKE_EINVAL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct intake_formtoken	t;
	enum intake_err		err;

	err = intake_formtoken_check(key, (const char *)data, size, "leak-report", NOW, 0,
	    INT64_MAX, &t);
	if (err == INTAKE_OK)
		consistent((const char *)data, size, &t);
	else if (err != INTAKE_EINVAL && err != INTAKE_ETIMEOUT)
		abort();
	issue_and_mangle(data, size);
	return 0;
}
