/*
 * fuzz_listing.c - the listing parameters (intake_listing_parse() of
 * lib/web/handler/listing.c) on any query string.
 *
 * The first byte picks the allowed formats and parameters, as
 * /api/choices and /api/reports set them; the rest, cut at its first NUL,
 * is the query string, read against a source with two filters.  Either
 * the parse fails with a code and a message that make a valid JSON error
 * body, or every value is within what the allow-list promises: page and
 * per_page in range, a format that is allowed, and text parameters of at
 * most INTAKE_LISTING_VALUE_MAX bytes of UTF-8 without NUL.
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <unistr.h>

#include "web/handler/handler.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/json.h"

#include "fuzz.h"

static struct intake_source	src;

static void
setup(void)
{
	memcpy(src.name, "locations", sizeof("locations"));
	src.kind = INTAKE_SOURCE_CHOICES;
	src.page_size = 50;
	memcpy(src.filters[0].param, "parent", sizeof("parent"));
	memcpy(src.filters[0].expose, "Parent", sizeof("Parent"));
	memcpy(src.filters[1].param, "owner", sizeof("owner"));
	memcpy(src.filters[1].expose, "Owner", sizeof("Owner"));
	src.nfilters = 2;
}

/* Abort unless s is a text parameter value the parser may let through. */
static void
check_text(const char *s)
{
	size_t	n = strlen(s);

	if (n > INTAKE_LISTING_VALUE_MAX || u8_check((const uint8_t *)s, n) != NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct intake_listing		 l;
	struct intake_listing_problem	 why;
	struct intake_arena		 a;
	struct intake_buf		 b;
	struct json_tokener		*tok;
	struct json_object		*o;
	unsigned			 formats, params;
	char				*query;
	size_t				 i;

	if (src.nfilters == 0)
		setup();
	if (size == 0 || size > 16384)
		return 0;
	formats = data[0] & ((1u << INTAKE_FORMAT__MAX) - 1);
	params = (unsigned)(data[0] >> 4) & 1 ? (1u << INTAKE_PARAM__MAX) - 1 :
	    (1u << INTAKE_PARAM_PAGE) | (1u << INTAKE_PARAM_PER_PAGE) | (1u << INTAKE_PARAM_FORMAT);
	formats |= 1u << INTAKE_FORMAT_JSON;	/* every listing speaks JSON */
	query = malloc(size);
	if (query == NULL)
		abort();
	memcpy(query, data + 1, size - 1);
	query[size - 1] = '\0';
	intake_arena_init(&a, 1u << 20);
	if (intake_listing_parse(query, (data[0] & 0x20) ? "text/html" : NULL, &a, &src, formats,
	    params, &l, &why) == 0) {
		if (l.page < 1 || l.page > 100000 || l.per_page < 1 || l.per_page > 1000 ||
		    (unsigned)l.format >= INTAKE_FORMAT__MAX || !(formats & (1u << l.format)))
			abort();
		check_text(l.search);
		if (l.search[0] != '\0' && !(params & ((1u << INTAKE_PARAM_Q) |
		    (1u << INTAKE_PARAM_TERM))))
			abort();
		if (l.selected != NULL)
			check_text(l.selected);
		if (l.nfilters != src.nfilters)
			abort();
		for (i = 0; i < l.nfilters; i++) {
			if (l.filters[i].param != &src.filters[i])
				abort();
			if (l.filters[i].value != NULL)
				check_text(l.filters[i].value);
		}
	} else {
		/* The 400 body made of it is valid UTF-8 JSON, whatever the name was. */
		if (why.code == NULL || memchr(why.message, '\0', sizeof(why.message)) == NULL)
			abort();
		intake_buf_init(&b, 65536);
		if (intake_json_error(&b, why.code, why.message) != INTAKE_OK)
			abort();
		tok = json_tokener_new();
		if (tok == NULL)
			abort();
		json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
		o = json_tokener_parse_ex(tok, b.ptr, (int)b.len - 1);
		if (o == NULL || json_tokener_get_error(tok) != json_tokener_success)
			abort();
		json_object_put(o);
		json_tokener_free(tok);
		intake_buf_free(&b);
	}
	intake_arena_free(&a);
	free(query);
	return 0;
}
