/*
 * fuzz_query.c - intake_query_parse() on any bytes, with a small arena.
 *
 * Parsed pairs are well formed (names without NUL, values terminated at
 * valuelen), intake_query_get() agrees with them, and re-encoding every
 * byte as %XX parses back to the same pairs.
 */
#include <stdlib.h>
#include <string.h>

#include "util/arena.h"
#include "util/buf.h"
#include "web/query.h"

#include "fuzz.h"

#define FUZZ_ARENA_MAX	4096

/* Append n bytes of s with every byte as %XX. */
static void
encode_all(struct intake_buf *b, const char *s, size_t n)
{
	static const char	hexd[] = "0123456789ABCDEF";
	char			pct[3];
	size_t			i;

	for (i = 0; i < n; i++) {
		pct[0] = '%';
		pct[1] = hexd[(unsigned char)s[i] >> 4];
		pct[2] = hexd[(unsigned char)s[i] & 0x0f];
		if (intake_buf_add(b, pct, 3) != INTAKE_OK)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct intake_arena	 a, a2;
	struct intake_query	 q, q2;
	struct intake_buf	 b;
	const char		*v;
	size_t			 i, j, same;
	enum intake_err		 err;

	intake_arena_init(&a, FUZZ_ARENA_MAX);
	err = intake_query_parse((const char *)data, size, &a, &q);
	if (err != INTAKE_OK) {
		if (err != INTAKE_EINVAL && err != INTAKE_ETOOBIG)
			abort();
		intake_arena_free(&a);
		return 0;
	}
	if (q.npairs > INTAKE_QUERY_PAIRS_MAX)
		abort();
	for (i = 0; i < q.npairs; i++) {
		if (strlen(q.pairs[i].name) > size || q.pairs[i].valuelen > size ||
		    q.pairs[i].value[q.pairs[i].valuelen] != '\0')
			abort();
		same = 0;
		for (j = 0; j < q.npairs; j++)
			if (strcmp(q.pairs[i].name, q.pairs[j].name) == 0)
				same++;
		err = intake_query_get(&q, q.pairs[i].name, &v);
		if (same == 1 ? err != INTAKE_OK || v != q.pairs[i].value :
		    err != INTAKE_EINVAL)
			abort();
	}

	/* Fully %-encoded, the same pairs come back. */
	intake_buf_init(&b, 1 << 20);
	for (i = 0; i < q.npairs; i++) {
		if (i > 0 && intake_buf_addc(&b, '&') != INTAKE_OK)
			abort();
		encode_all(&b, q.pairs[i].name, strlen(q.pairs[i].name));
		if (intake_buf_addc(&b, '=') != INTAKE_OK)
			abort();
		encode_all(&b, q.pairs[i].value, q.pairs[i].valuelen);
	}
	/* An empty name with an empty value encodes to "=", still a pair. */
	intake_arena_init(&a2, 1 << 20);
	if (intake_query_parse(intake_buf_str(&b), b.len, &a2, &q2) != INTAKE_OK)
		abort();
	if (q2.npairs != q.npairs)
		abort();
	for (i = 0; i < q.npairs; i++)
		if (strcmp(q.pairs[i].name, q2.pairs[i].name) != 0 ||
		    q.pairs[i].valuelen != q2.pairs[i].valuelen ||
		    memcmp(q.pairs[i].value, q2.pairs[i].value, q.pairs[i].valuelen) != 0)
			abort();
	intake_arena_free(&a2);
	intake_buf_free(&b);
	intake_arena_free(&a);
	return 0;
}
