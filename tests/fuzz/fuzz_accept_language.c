/*
 * fuzz_accept_language.c - intake_lang_accept() on any bytes (the
 * Accept-Language header is the client's).
 *
 * The answer is always a supported language; German only when the bytes
 * read (the bounded prefix, up to a NUL) name it; and the parse reads no
 * byte past the bound (the copy is exactly that long in the sanitized run).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "form/lang.h"

#include "fuzz.h"

/* Does s (n bytes) hold "de" in any case? */
static int
names_de(const char *s, size_t n)
{
	size_t	i;

	for (i = 0; i + 1 < n; i++)
		if (strncasecmp(s + i, "de", 2) == 0)
			return 1;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum intake_lang	 l;
	char			*h;
	size_t			 n;

	h = malloc(size + 1);
	if (h == NULL)
		return 0;
	memcpy(h, data, size);
	h[size] = '\0';
	n = strnlen(h, INTAKE_ACCEPT_LANGUAGE_MAX);
	l = intake_lang_accept(h);
	if ((unsigned)l >= INTAKE_LANG__MAX)
		abort();
	if (l == INTAKE_LANG_DE && !names_de(h, n))
		abort();
	if (intake_lang_of_tag(h, n, &l) && (unsigned)l >= INTAKE_LANG__MAX)
		abort();
	free(h);
	return 0;
}
