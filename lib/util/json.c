/*
 * json.c - bounded parsing over json-c (the tolerant reading of replies is reply.c).
 */
#include <ctype.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "util/json.h"
#include "util/str.h"

/*
 * json-c takes NaN, Infinity and 1e999 even in strict mode; JSON has no
 * such numbers (RFC 8259 section 6), so they are refused.
 */
static bool
has_nonfinite(struct json_object *o)
{
	size_t	i, n;

	switch (json_object_get_type(o)) {
	case json_type_double:
		return !isfinite(json_object_get_double(o));
	case json_type_array:
		n = json_object_array_length(o);
		for (i = 0; i < n; i++)
			if (has_nonfinite(json_object_array_get_idx(o, i)))
				return true;
		return false;
	case json_type_object: {
		/* The iterator API, not the foreach macro: that one is a GNU extension. */
		struct json_object_iterator it = json_object_iter_begin(o);
		struct json_object_iterator end = json_object_iter_end(o);

		for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it))
			if (has_nonfinite(json_object_iter_peek_value(&it)))
				return true;
		return false;
	}
	case json_type_null:
	case json_type_boolean:
	case json_type_int:
	case json_type_string:
		return false;
	}
	return false;
}

enum intake_err
intake_json_parse(const char *s, size_t len, struct json_object **out)
{
	struct json_tokener	*tok;
	struct json_object	*obj;
	size_t			 used, i;

	if (len > (size_t)INT32_MAX)
		return INTAKE_ETOOBIG;
	tok = json_tokener_new_ex(INTAKE_JSON_DEPTH);
	if (tok == NULL)
		return INTAKE_ENOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, s, (int)len);
	used = json_tokener_get_parse_end(tok);
	/* A number at the very end waits for more input; end it. */
	if (obj == NULL && json_tokener_get_error(tok) == json_tokener_continue) {
		obj = json_tokener_parse_ex(tok, "", 1);
		used = len;
	}
	if (obj == NULL || json_tokener_get_error(tok) != json_tokener_success) {
		json_object_put(obj);
		json_tokener_free(tok);
		return INTAKE_EINVAL;
	}
	json_tokener_free(tok);
	for (i = used; i < len; i++)
		if (!isspace((unsigned char)s[i])) {
			json_object_put(obj);
			return INTAKE_EINVAL;
		}
	/* Depth is bounded by the tokener, so the walk is too. */
	if (has_nonfinite(obj)) {
		json_object_put(obj);
		return INTAKE_EINVAL;
	}
	*out = obj;
	return INTAKE_OK;
}

enum intake_err
intake_json_echo(struct intake_buf *b, const char *s, size_t len, size_t max)
{
	static const char	ellipsis[] = "\xe2\x80\xa6\"";	/* U+2026, then the closing quote */
	size_t			cut = intake_utf8_cut(s, len, max);
	enum intake_err		err;

	if (cut == len)
		return intake_json_quote(b, s, len);
	/*
	 * The prefix and the ellipsis as one string: the ellipsis is valid
	 * UTF-8 that intake_json_quote() would copy as it is, so the quoted
	 * prefix loses its closing quote and the ellipsis brings it back.
	 */
	err = intake_json_quote(b, s, cut);
	if (err != INTAKE_OK)
		return err;
	b->ptr[--b->len] = '\0';
	return intake_buf_add(b, ellipsis, sizeof(ellipsis) - 1);
}

enum intake_err
intake_json_error(struct intake_buf *b, const char *code, const char *message)
{
	intake_buf_adds(b, "{\"error\":{\"code\":");
	intake_json_quote(b, code, strlen(code));
	intake_buf_adds(b, ",\"message\":");
	intake_json_echo(b, message, strlen(message), INTAKE_JSON_MESSAGE_MAX);
	intake_buf_adds(b, "}}\n");
	return intake_buf_err(b);
}
