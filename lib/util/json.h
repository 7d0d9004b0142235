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

#include "util/buf.h"
#include "util/err.h"

#define INTAKE_JSON_DEPTH	32
#define INTAKE_JSON_ECHO_MAX	64	/* bytes of a client's name echoed in an error */
#define INTAKE_JSON_MESSAGE_MAX	1024	/* bytes of an error message */

/*
 * Parse exactly len bytes of s as one JSON value (trailing whitespace
 * allowed).  INTAKE_EINVAL on a syntax error, trailing data or too deep.
 * The caller owns *out.
 */
enum intake_err	intake_json_parse(const char *s, size_t len, struct json_object **out);

/*
 * The writer side.  Error bodies echo what a client sent (a parameter or
 * field name), so everything goes through intake_json_quote(): whatever
 * the bytes, the output is valid UTF-8 JSON (invalid bytes become U+FFFD).
 */

/*
 * Append s (len bytes) as a JSON string of at most max bytes of s, cut on
 * a UTF-8 character boundary and then marked with U+2026 when it is longer.
 */
enum intake_err	intake_json_echo(struct intake_buf *b, const char *s, size_t len,
		    size_t max);

/*
 * Append {"error":{"code":code,"message":message}} and a newline; the
 * message is cut at INTAKE_JSON_MESSAGE_MAX bytes as intake_json_echo() does.
 * The one writer of error bodies: intake_resp_error_headers() (web/req.h)
 * sends every JSON error through it.  Returns intake_buf_err(b).
 */
enum intake_err	intake_json_error(struct intake_buf *b, const char *code, const char *message);

#endif
