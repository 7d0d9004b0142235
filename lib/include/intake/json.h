/*
 * json.h - json-c with an explicit length and depth.
 *
 * Values returned by the getters are borrowed from the root; only the
 * root from intake_json_parse() is released, with json_object_put().
 */
#ifndef INTAKE_JSON_H
#define INTAKE_JSON_H

#include <stddef.h>

#include <json-c/json.h>

#include "intake/err.h"

#define INTAKE_JSON_DEPTH	32

/*
 * Parse exactly len bytes of s as one JSON value (trailing whitespace
 * allowed).  INTAKE_EINVAL on a syntax error, trailing data or too deep.
 * The caller owns *out.
 */
enum intake_err	intake_json_parse(const char *s, size_t len, struct json_object **out);

/*
 * The string member key of obj; INTAKE_OK with *out NULL when absent or
 * not a string.  Borrowed.
 */
enum intake_err	intake_json_get_str(struct json_object *obj, const char *key,
		    const char **out);

/*
 * The first member of obj named in keys[] (NULL-terminated) that holds
 * an array; INTAKE_OK with *out NULL when none does.  Borrowed.
 */
enum intake_err	intake_json_find_array(struct json_object *obj, const char *const *keys,
		    struct json_object **out);

#endif
