/*
 * query.h - application/x-www-form-urlencoded pairs (query strings now,
 * form bodies later), decoded and checked against a table of names.
 */
#ifndef INTAKE_QUERY_H
#define INTAKE_QUERY_H

#include <stddef.h>

#include "util/arena.h"
#include "util/err.h"

#define INTAKE_QUERY_PAIRS_MAX	64

struct intake_pair {
	const char	*name;	/* decoded, NUL-terminated, arena-owned */
	char		*value;	/* decoded; may be ""; the caller may rewrite it in place */
	size_t		 valuelen;	/* bytes, so a decoded %00 is visible */
};

struct intake_query {
	struct intake_pair	pairs[INTAKE_QUERY_PAIRS_MAX];
	size_t			npairs;
};

/*
 * Decode len bytes of s: pairs split on '&', name and value on the first
 * '=', '+' is a space, %XX a byte.  Empty pieces ("a=1&&b=2") are skipped.
 * A piece without '=' is a name with the value "".  INTAKE_EINVAL on a
 * bad %-escape or a name that decodes to hold a NUL ("a%00b" must not
 * answer for "a"; values may hold NULs, see valuelen), INTAKE_ETOOBIG past
 * INTAKE_QUERY_PAIRS_MAX pairs or when the arena is full.  On failure *out
 * is untouched, but what was decoded stays in the arena until its reset.
 */
enum intake_err	intake_query_parse(const char *s, size_t len, struct intake_arena *a,
		    struct intake_query *out);

/*
 * The value of name: INTAKE_OK with *value NULL when absent, INTAKE_EINVAL
 * when given more than once (a repeated parameter is ambiguous).
 */
enum intake_err	intake_query_get(const struct intake_query *q, const char *name,
		    const char **value);

#endif
