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

#endif
