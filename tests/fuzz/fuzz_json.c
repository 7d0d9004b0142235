/*
 * fuzz_json.c - intake_json_parse() and the getters on any reply body.
 * (The processes normaliser in lib/handler/processes.c is static.)
 */
#include "intake/json.h"

#include "fuzz.h"

static const char *const list_keys[] = { "items", "Items", "rows", "data", "processes",
    NULL };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object	*root = NULL, *list = NULL, *it;
	const char		*v;
	size_t			 i, n;

	if (intake_json_parse((const char *)data, size, &root) != INTAKE_OK) {
		if (root != NULL)
			abort();
		return 0;
	}
	(void)intake_json_get_str(root, "token", &v);
	(void)intake_json_find_array(root, list_keys, &list);
	if (list != NULL) {
		n = json_object_array_length(list);
		for (i = 0; i < n && i < 1000; i++) {
			it = json_object_array_get_idx(list, i);
			(void)intake_json_get_str(it, "sid", &v);
			(void)intake_json_get_str(it, "name", &v);
		}
	}
	json_object_put(root);
	return 0;
}
