/*
 * fuzz_auth_parse.c - intake_auth_parse() on any token reply.
 *
 * Whatever the reply, a token that is accepted is printable ASCII without
 * spaces or separators (it goes into an Authorization header) and fits
 * its buffer.  Its expiry is positive (every source of it is: a JWT exp,
 * now + expires_in, the requested expiry, now + the default) and never
 * after a requested expiry.
 */
#include <stdlib.h>
#include <string.h>

#include "integrify/auth.h"

#include "fuzz.h"

#define NOW	1700000000000LL

static void
check(const struct intake_token *t, int64_t requested)
{
	size_t	i, n;

	n = strnlen(t->value, sizeof(t->value));
	if (n == 0 || n >= sizeof(t->value))
		abort();
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)t->value[i];

		if (c <= 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == ',' || c == ';')
			abort();
	}
	if (t->fetched_ms != NOW || t->expires_ms <= 0)
		abort();
	if (requested > 0 && t->expires_ms > requested)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct intake_token	t;

	if (intake_auth_parse((const char *)data, size, NOW, 0, 3600000, &t) == INTAKE_OK)
		check(&t, 0);
	if (intake_auth_parse((const char *)data, size, NOW, NOW + 600000, 3600000, &t) ==
	    INTAKE_OK)
		check(&t, NOW + 600000);
	return 0;
}
