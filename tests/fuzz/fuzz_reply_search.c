/*
 * fuzz_reply_search.c - intake_reply_search() on any search reply.
 *
 * The property that keeps a submission from being started twice: when
 * the reply is JSON and any string inside an array element holds the
 * reference, the answer is never "not found".  This checks it with a
 * walk of its own, independent of reply.c's.  And whatever the answer,
 * a FOUND hit has a printable SID, and every quote is bounded, printable
 * ASCII and NUL-terminated.  The same bytes as an error reply give a
 * reason of at most INTAKE_REPLY_REASON_MAX - 1 bytes that, from text
 * that is valid UTF-8, is valid UTF-8 too (never cut inside a character).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/json.h"
#include "util/str.h"
#include "integrify/reply.h"

#include "fuzz.h"

#define REF	"82AG-EC7N-GBZM"

/* Does a string inside v hold REF (any case)? */
static bool
has_ref(struct json_object *v)
{
	struct json_object_iterator	it, end;
	const char			*s;
	size_t				 i, n, len, rlen = strlen(REF);

	switch (json_object_get_type(v)) {
	case json_type_string:
		s = json_object_get_string(v);
		len = (size_t)json_object_get_string_len(v);
		for (i = 0; i + rlen <= len; i++)
			if (strncasecmp(s + i, REF, rlen) == 0)
				return true;
		return false;
	case json_type_array:
		n = json_object_array_length(v);
		for (i = 0; i < n; i++)
			if (has_ref(json_object_array_get_idx(v, i)))
				return true;
		return false;
	case json_type_object:
		end = json_object_iter_end(v);
		for (it = json_object_iter_begin(v); !json_object_iter_equal(&it, &end);
		    json_object_iter_next(&it))
			if (has_ref(json_object_iter_peek_value(&it)))
				return true;
		return false;
	default:
		return false;
	}
}

/* Is there an array anywhere in v one of whose elements holds REF? */
static bool
item_names_ref(struct json_object *v)
{
	struct json_object_iterator	it, end;
	size_t				i, n;

	switch (json_object_get_type(v)) {
	case json_type_array:
		n = json_object_array_length(v);
		for (i = 0; i < n; i++)
			if (has_ref(json_object_array_get_idx(v, i)))
				return true;
		return false;
	case json_type_object:
		end = json_object_iter_end(v);
		for (it = json_object_iter_begin(v); !json_object_iter_equal(&it, &end);
		    json_object_iter_next(&it))
			if (item_names_ref(json_object_iter_peek_value(&it)))
				return true;
		return false;
	default:
		return false;
	}
}

static void
printable(const char *s, size_t cap)
{
	size_t	i, n = strnlen(s, cap);

	if (n == cap)
		abort();
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			abort();
}

/* Is s (len bytes) valid UTF-8 throughout? */
static bool
utf8_ok(const char *s, size_t len)
{
	size_t	i, n;

	for (i = 0; i < len; i += n) {
		n = intake_utf8_len(s + i, len - i);
		if (n == 0)
			return false;
	}
	return true;
}

/* The reason of an error reply: bounded, and whole characters from UTF-8 text. */
static void
check_reason(const uint8_t *data, size_t size)
{
	char	out[INTAKE_REPLY_REASON_MAX];
	size_t	n;

	intake_reply_reason((const char *)data, size, out);
	n = strnlen(out, sizeof(out));
	if (n == sizeof(out))
		abort();
	/* (No backslash: a JSON escape may decode to a lone surrogate.) */
	if (utf8_ok((const char *)data, size) && memchr(data, '\0', size) == NULL &&
	    memchr(data, '\\', size) == NULL && !utf8_ok(out, n))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct intake_reply_hit	 hit;
	struct json_object	*root = NULL;
	enum intake_err		 err;

	check_reason(data, size);
	err = intake_reply_search((const char *)data, size, REF, &hit);
	if (err != INTAKE_OK && err != INTAKE_EPROTO)
		abort();
	if ((unsigned)hit.match >= INTAKE_REPLY_MATCH__MAX)
		abort();
	if (err != INTAKE_OK && hit.match != INTAKE_REPLY_NONE)
		abort();
	printable(hit.item, sizeof(hit.item));
	if (hit.match == INTAKE_REPLY_FOUND) {
		printable(hit.sid, sizeof(hit.sid));
		printable(hit.id, sizeof(hit.id));
		if (hit.sid[0] == '\0')
			abort();
	}
	if (intake_json_parse((const char *)data, size, &root) == INTAKE_OK) {
		if (item_names_ref(root) && hit.match == INTAKE_REPLY_NONE)
			abort();
		json_object_put(root);
	}
	return 0;
}
