/*
 * fuzz_json.c - intake_json_parse() and the case-blind reply readers
 * (reply.h) on any reply body.
 *
 * A list the reader finds is an array; an id it reads is printable ASCII
 * without spaces and fits its buffer; a quote is bounded printable ASCII.
 */
#include <stdlib.h>
#include <string.h>

#include "util/json.h"
#include "integrify/reply.h"

#include "fuzz.h"

static void
printable(const char *s, size_t cap, bool spaces)
{
	size_t	i, n = strnlen(s, cap);

	if (n == cap)
		abort();
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < (spaces ? 0x20 : 0x21) || (unsigned char)s[i] >= 0x7f)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object	*root = NULL, *list, *it;
	char			 id[64], quote[INTAKE_REPLY_QUOTE_MAX];
	size_t			 i, n;
	int			 f;

	if (intake_json_parse((const char *)data, size, &root) != INTAKE_OK) {
		if (root != NULL)
			abort();
		return 0;
	}
	(void)intake_reply_str(root, INTAKE_REPLY_TOKEN);
	(void)intake_reply_member(root, INTAKE_REPLY_EXPIRES_IN);
	list = intake_reply_list(root);
	if (list != NULL && !json_object_is_type(list, json_type_array))
		abort();
	n = list != NULL ? json_object_array_length(list) : 0;
	for (i = 0; i < n && i < 1000; i++) {
		it = json_object_array_get_idx(list, i);
		for (f = 0; f < INTAKE_REPLY__MAX; f++)
			if (intake_reply_id(it, (enum intake_reply_field)f, id, sizeof(id)))
				printable(id, sizeof(id), false);
		(void)intake_reply_str(it, INTAKE_REPLY_NAME);
		intake_reply_quote(it, quote);
		printable(quote, sizeof(quote), true);
	}
	intake_reply_quote(root, quote);
	printable(quote, sizeof(quote), true);
	json_object_put(root);
	return 0;
}
