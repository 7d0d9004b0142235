/*
 * fuzz_json_error.c - the JSON error writers on any bytes: an echoed
 * name (intake_json_echo), {"error":{...}} (intake_json_error) and the
 * 422 {"errors":[...]} body (intake_field_problems_json).
 *
 * The first byte is the echo limit (0-255); the rest is the echoed
 * bytes, and, cut at its first NUL, the message, and split on '&', the
 * field names of the problems.  Every output must parse back with json-c
 * in strict mode with UTF-8 validation, whole, as the expected shape;
 * valid UTF-8 that fits comes back byte for byte, and a cut one comes
 * back as a prefix that ends on a character plus U+2026.
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <unistr.h>

#include "util/buf.h"
#include "form/form_valid.h"
#include "util/json.h"
#include "util/str.h"

#include "fuzz.h"

#define ELLIPSIS	"\xe2\x80\xa6"

/* Parse b whole, strictly, or abort: the writer made invalid JSON. */
static struct json_object *
parse_strict(const struct intake_buf *b)
{
	struct json_tokener	*tok;
	struct json_object	*o;
	size_t			 len = b->len;

	if (u8_check((const uint8_t *)b->ptr, b->len) != NULL)
		abort();
	while (len > 0 && b->ptr[len - 1] == '\n')
		len--;
	tok = json_tokener_new();
	if (tok == NULL)
		abort();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, b->ptr, (int)len);
	if (o == NULL || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len)
		abort();
	json_tokener_free(tok);
	return o;
}

/* The string member key of o, or abort. */
static const char *
member_str(struct json_object *o, const char *key)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		abort();
	return json_object_get_string(v);
}

static void
check_echo(const char *s, size_t len, size_t max)
{
	struct intake_buf	 b;
	struct json_object	*o;
	const char		*got;
	size_t			 glen, cut;
	int			 valid = u8_check((const uint8_t *)s, len) == NULL;

	intake_buf_init(&b, 8 * len + 64);
	if (intake_json_echo(&b, s, len, max) != INTAKE_OK)
		abort();
	o = parse_strict(&b);
	if (!json_object_is_type(o, json_type_string))
		abort();
	got = json_object_get_string(o);
	glen = (size_t)json_object_get_string_len(o);
	if (valid && len <= max && (glen != len || memcmp(got, s, len) != 0))
		abort();
	if (valid && len > max) {
		/* A prefix of whole characters, at most max bytes, then U+2026. */
		cut = glen - (sizeof(ELLIPSIS) - 1);
		if (glen < sizeof(ELLIPSIS) - 1 || cut > max || max - cut > 3 ||
		    memcmp(got, s, cut) != 0 || memcmp(got + cut, ELLIPSIS, 3) != 0 ||
		    u8_check((const uint8_t *)got, cut) != NULL)
			abort();
	}
	json_object_put(o);
	intake_buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct intake_field_problem	 p[INTAKE_FORM_INPUTS_MAX];
	struct intake_buf		 b;
	struct json_object		*o, *e, *arr;
	char				*text, *name, *amp;
	size_t				 np = 0, i;

	if (size == 0 || size > 65536)
		return 0;
	check_echo((const char *)data + 1, size - 1, data[0]);

	text = malloc(size);
	if (text == NULL)
		abort();
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';

	/* {"error":{"code":...,"message":...}}: the message is the client's text. */
	intake_buf_init(&b, 65536);
	if (intake_json_error(&b, "unknown_parameter", text) != INTAKE_OK)
		abort();
	o = parse_strict(&b);
	if (!json_object_object_get_ex(o, "error", &e) ||
	    strcmp(member_str(e, "code"), "unknown_parameter") != 0)
		abort();
	(void)member_str(e, "message");
	json_object_put(o);
	intake_buf_free(&b);

	/* The 422 body, one problem per '&'-separated name (no field, no sentence of its own). */
	memset(p, 0, sizeof(p));
	for (name = text; np < INTAKE_FORM_INPUTS_MAX; name = amp + 1) {
		amp = strchr(name, '&');
		if (amp != NULL)
			*amp = '\0';
		p[np].field = name;
		p[np].code = (enum intake_field_error)((unsigned char)name[0] % (INTAKE_FE__MAX + 1));
		np++;
		if (amp == NULL)
			break;
	}
	intake_buf_init(&b, 1u << 20);
	if (intake_field_problems_json(&b, p, np) != INTAKE_OK)
		abort();
	o = parse_strict(&b);
	if (!json_object_object_get_ex(o, "errors", &arr) ||
	    !json_object_is_type(arr, json_type_array) || json_object_array_length(arr) != np)
		abort();
	for (i = 0; i < np; i++) {
		e = json_object_array_get_idx(arr, i);
		(void)member_str(e, "field");
		if (strcmp(member_str(e, "code"), intake_field_error_code(p[i].code)) != 0)
			abort();
	}
	json_object_put(o);
	intake_buf_free(&b);
	free(text);
	return 0;
}
