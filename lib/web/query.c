/*
 * query.c - application/x-www-form-urlencoded decoding (see query.h).
 *
 * Each piece between '&'s is decoded into one arena block holding the
 * name and the value, both NUL-terminated.  Decoding never grows a string,
 * so the block is sized from the raw piece.
 */
#include <string.h>

#include "web/query.h"
#include "util/str.h"

/*
 * Decode n bytes of s into dst ('+' is a space, %XX a byte) and
 * terminate it; the decoded length into *outlen.
 */
static enum intake_err
query_decode(const char *s, size_t n, char *dst, size_t *outlen)
{
	size_t	i, o;
	int	hi, lo;

	for (i = 0, o = 0; i < n; i++, o++) {
		if (s[i] == '+')
			dst[o] = ' ';
		else if (s[i] == '%') {
			if (n - i < 3)
				return INTAKE_EINVAL;	/* truncated escape */
			hi = intake_hex_digit(s[i + 1]);
			lo = intake_hex_digit(s[i + 2]);
			if (hi < 0 || lo < 0)
				return INTAKE_EINVAL;
			dst[o] = (char)(hi << 4 | lo);
			i += 2;
		} else
			dst[o] = s[i];
	}
	dst[o] = '\0';
	*outlen = o;
	return INTAKE_OK;
}

/* Decode one non-empty piece "name[=value]" into pair. */
static enum intake_err
query_pair(const char *s, size_t n, struct intake_arena *a, struct intake_pair *pair)
{
	const char	*eq;
	size_t		 rawname, rawvalue, namelen, valuelen;
	char		*block;
	enum intake_err	 err;

	eq = memchr(s, '=', n);
	rawname = eq == NULL ? n : (size_t)(eq - s);
	rawvalue = eq == NULL ? 0 : n - rawname - 1;
	/* rawname + rawvalue < n, so the two terminators cannot wrap. */
	block = intake_arena_alloc(a, rawname + rawvalue + 2);
	if (block == NULL)
		return INTAKE_ETOOBIG;
	err = query_decode(s, rawname, block, &namelen);
	if (err != INTAKE_OK)
		return err;
	/* A NUL in a name would make "a%00b" answer for "a". */
	if (strlen(block) != namelen)
		return INTAKE_EINVAL;
	err = query_decode(eq == NULL ? "" : eq + 1, rawvalue, block + namelen + 1, &valuelen);
	if (err != INTAKE_OK)
		return err;
	pair->name = block;
	pair->value = block + namelen + 1;
	pair->valuelen = valuelen;
	return INTAKE_OK;
}

enum intake_err
intake_query_parse(const char *s, size_t len, struct intake_arena *a,
    struct intake_query *out)
{
	struct intake_query	 q;
	const char		*amp;
	size_t			 pos, n;
	enum intake_err		 err = INTAKE_OK;

	q.npairs = 0;
	pos = 0;
	while (pos < len) {
		amp = memchr(s + pos, '&', len - pos);
		n = amp == NULL ? len - pos : (size_t)(amp - (s + pos));
		if (n > 0) {
			if (q.npairs == INTAKE_QUERY_PAIRS_MAX) {
				err = INTAKE_ETOOBIG;
				goto out;
			}
			err = query_pair(s + pos, n, a, &q.pairs[q.npairs]);
			if (err != INTAKE_OK)
				goto out;
			q.npairs++;
		}
		pos += n + 1;	/* past the '&'; past len only when none was left */
	}
	memcpy(out->pairs, q.pairs, q.npairs * sizeof(q.pairs[0]));
	out->npairs = q.npairs;
out:
	return err;
}

enum intake_err
intake_query_get(const struct intake_query *q, const char *name, const char **value)
{
	const char	*found = NULL;
	size_t		 i;

	for (i = 0; i < q->npairs; i++) {
		if (strcmp(q->pairs[i].name, name) != 0)
			continue;
		if (found != NULL)
			return INTAKE_EINVAL;	/* given twice: ambiguous */
		found = q->pairs[i].value;
	}
	*value = found;
	return INTAKE_OK;
}
