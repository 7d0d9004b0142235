/*
 * str.h - string helpers: bounded copies, number parsing, escaping (JSON,
 * URL, HTML), base64url, constant-time comparison.  Only str.c calls strtoll.
 */
#ifndef INTAKE_STR_H
#define INTAKE_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

/* A (pointer, length) view; not NUL-terminated, owned elsewhere. */
struct intake_str {
	const char	*ptr;
	size_t		 len;
};

/* Allocation that only fails by aborting the process (startup and OOM). */
void	*intake_xmalloc(size_t n);
void	*intake_xcalloc(size_t n, size_t size);
char	*intake_xstrdup(const char *s);

/*
 * Copy src into dst of size dstsz, always NUL-terminated.
 * INTAKE_ETOOBIG (and dst untouched) when src does not fit.
 */
enum intake_err	intake_strlcpy(char *dst, const char *src, size_t dstsz);

/*
 * The next item of a comma-separated list at *p (config values such as
 * "a, b ,c"): spaces and commas before it skipped, spaces after it cut.
 * Returns its start with its length in *len (at least 1) and moves *p
 * past it and its comma; NULL at the end of the list.
 */
const char	*intake_list_next(const char **p, size_t *len);

/*
 * Parse a whole decimal integer in [min, max].  Leading/trailing junk,
 * empty strings and overflow give INTAKE_EINVAL; *out is set only on OK.
 */
enum intake_err	intake_parse_int(const char *s, long long min, long long max,
		    long long *out);

/* Same as intake_parse_int() for a bounded (not NUL-terminated) string. */
enum intake_err	intake_parse_intn(const char *s, size_t len, long long min,
		    long long max, long long *out);

/* Is the len bytes of s a calendar date YYYY-MM-DD (years 1-9999)? */
bool	intake_date_valid(const char *s, size_t len);

/* Parse "yes/no/true/false/on/off/1/0" case-insensitively. */
enum intake_err	intake_parse_bool(const char *s, bool *out);

/* Equal-length comparison that does not stop at the first difference. */
bool	intake_str_ct_equal(const void *a, size_t alen, const void *b, size_t blen);

/* Lower-case hex of n bytes into out (2n+1 bytes). */
void	intake_hex(const unsigned char *in, size_t n, char *out);

/* The value of the hex digit c (either case), or -1 when c is none. */
int	intake_hex_digit(char c);

/* SHA-256 of data as 64 lower-case hex characters plus NUL. */
void	intake_sha256_hex(const void *data, size_t len, char out[65]);

/*
 * Append len bytes of s as a JSON string literal (quotes included):
 * ", \\, controls, DEL and < > & escaped, and each byte that is not part
 * of a valid UTF-8 character (RFC 3629: no overlongs, surrogates or past
 * U+10FFFF) replaced with U+FFFD, so the output is always valid UTF-8 JSON.
 */
enum intake_err	intake_json_quote(struct intake_buf *b, const char *s, size_t len);

/* Bytes of the valid UTF-8 character at s (1-4), 0 when none starts there. */
size_t	intake_utf8_len(const char *s, size_t len);

/*
 * The length of the longest prefix of s (len bytes) of at most max bytes
 * that does not end inside a UTF-8 character: len when len <= max.
 */
size_t	intake_utf8_cut(const char *s, size_t len, size_t max);

/* Append s percent-encoded for a URL path segment or query value (RFC 3986 unreserved kept). */
enum intake_err	intake_url_escape(struct intake_buf *b, const char *s);

/* Case-insensitive search for needle in the first len bytes of hay. */
bool	intake_memcasemem(const char *hay, size_t len, const char *needle);

/*
 * Append s with & < > " ' escaped for HTML text and attributes (quoted
 * with either quote).  The buffer's error on failure (buf.h).
 */
enum intake_err	intake_html_escape(struct intake_buf *b, const char *s);

#define INTAKE_B64URL_MAX	8192	/* most bytes encoded or decoded at once */

/*
 * Append base64url (RFC 4648 section 5, no padding) of the n bytes at in
 * to out.  INTAKE_ETOOBIG when n is over INTAKE_B64URL_MAX or out is full.
 */
enum intake_err	intake_b64url_encode(struct intake_buf *out, const void *in, size_t n);

/*
 * Decode the n characters of base64url at in (padding optional) and
 * append the bytes to out.  INTAKE_EINVAL on a character outside the
 * alphabet (a NUL too) or an impossible length; INTAKE_ETOOBIG past
 * INTAKE_B64URL_MAX bytes or when out is full.
 */
enum intake_err	intake_b64url_decode(struct intake_buf *out, const char *in, size_t n);

/* Milliseconds since the epoch (CLOCK_REALTIME). */
int64_t	intake_now_ms(void);

#endif
