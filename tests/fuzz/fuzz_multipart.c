/*
 * fuzz_multipart.c - intake_multipart_parse() and
 * intake_multipart_boundary() on any bytes.
 *
 * The boundary: when the input starts with "--", the rest of its first
 * line (so a corpus file is a plain body); otherwise the first byte n, if
 * 1-71, takes the next n bytes as the boundary, and any other value means
 * the Chromium boundary WK, with the body after that byte.
 *
 * On success every part must lie within the body, its name and file name
 * must be what the parser promises, and writing the parts out again on
 * the same boundary must parse back to the same parts.  The input, as a C
 * string, is also parsed as a Content-Type value.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/buf.h"
#include "web/multipart.h"

#include "fuzz.h"

#define WK	"----WebKitFormBoundary7MA4YWxkTrZu0gW"

/* Abort unless n bytes of s are free of control bytes (tab allowed if tab). */
static void
no_controls(const char *s, size_t n, int tab)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] < 0x20 && !(tab && s[i] == '\t')) || s[i] == 0x7f)
			abort();
}

/* Abort unless part p of a body [body, body + len) keeps the promises. */
static void
part_ok(const struct intake_part *p, const char *body, size_t len)
{
	size_t	n;

	if (p->data == NULL || p->data < body || p->len > (size_t)(body + len - p->data))
		abort();
	n = strnlen(p->name, sizeof(p->name));
	if (n == 0 || n == sizeof(p->name))
		abort();
	no_controls(p->name, n, 0);
	n = strnlen(p->filename, sizeof(p->filename));
	if (n == sizeof(p->filename))
		abort();
	no_controls(p->filename, n, 0);
	if (!p->is_file && n != 0)
		abort();
	if (memchr(p->filename, '/', n) != NULL || memchr(p->filename, '\\', n) != NULL)
		abort();
	if (p->is_file && n > 0 && (strcmp(p->filename, ".") == 0 ||
	    strcmp(p->filename, "..") == 0))
		abort();
	n = strnlen(p->content_type, sizeof(p->content_type));
	if (n == sizeof(p->content_type))
		abort();
	no_controls(p->content_type, n, 0);
}

/* Append s as a quoted string, escaping '"' and '\'. */
static void
add_quoted(struct intake_buf *b, const char *s)
{
	if (intake_buf_addc(b, '"') != INTAKE_OK)
		abort();
	for (; *s != '\0'; s++) {
		if ((*s == '"' || *s == '\\') && intake_buf_addc(b, '\\') != INTAKE_OK)
			abort();
		if (intake_buf_addc(b, *s) != INTAKE_OK)
			abort();
	}
	if (intake_buf_addc(b, '"') != INTAKE_OK)
		abort();
}

/* Write mp out on boundary, parse it again, and abort unless it is the same. */
static void
round_trip(const struct intake_multipart *mp, const char *boundary, size_t bodylen)
{
	struct intake_multipart	*again;
	struct intake_buf	 b;
	const struct intake_part *p, *q;
	size_t			 i;

	intake_buf_init(&b, bodylen + 4096 + mp->nparts * 2048);
	for (i = 0; i < mp->nparts; i++) {
		p = &mp->parts[i];
		if (intake_buf_printf(&b, "--%s\r\nContent-Disposition: form-data; name=",
		    boundary) != INTAKE_OK)
			abort();
		add_quoted(&b, p->name);
		if (p->is_file) {
			if (intake_buf_adds(&b, "; filename=") != INTAKE_OK)
				abort();
			add_quoted(&b, p->filename);
		}
		if (p->content_type[0] != '\0' &&
		    intake_buf_printf(&b, "\r\nContent-Type: %s", p->content_type) != INTAKE_OK)
			abort();
		if (intake_buf_adds(&b, "\r\n\r\n") != INTAKE_OK ||
		    intake_buf_add(&b, p->data, p->len) != INTAKE_OK ||
		    intake_buf_adds(&b, "\r\n") != INTAKE_OK)
			abort();
	}
	if (intake_buf_printf(&b, "--%s--\r\n", boundary) != INTAKE_OK)
		abort();

	again = malloc(sizeof(*again));
	if (again == NULL)
		abort();
	if (intake_multipart_parse(b.ptr, b.len, boundary, again) != INTAKE_OK)
		abort();
	if (again->nparts != mp->nparts)
		abort();
	for (i = 0; i < mp->nparts; i++) {
		p = &mp->parts[i];
		q = &again->parts[i];
		if (strcmp(p->name, q->name) != 0 || strcmp(p->filename, q->filename) != 0 ||
		    p->is_file != q->is_file || strcmp(p->content_type, q->content_type) != 0 ||
		    p->len != q->len || memcmp(p->data, q->data, p->len) != 0)
			abort();
	}
	free(again);
	intake_buf_free(&b);
}

/* intake_multipart_boundary() on the input up to its first NUL. */
static void
fuzz_content_type(const uint8_t *data, size_t size)
{
	char	ct[4097], out[INTAKE_MULTIPART_BOUNDARY_MAX + 1];
	size_t	n, i;

	n = size < sizeof(ct) - 1 ? size : sizeof(ct) - 1;
	memcpy(ct, data, n);
	ct[n] = '\0';
	/*
	 * The media type is compared whole: whatever is taken as urlencoded
	 * starts, after white space, with exactly that type and then a ';',
	 * white space or the end.
	 */
	if (intake_media_type_is(ct, "application/x-www-form-urlencoded")) {
		i = strspn(ct, " \t");
		if (strncasecmp(ct + i, "application/x-www-form-urlencoded", 33) != 0 ||
		    strchr("; \t", ct[i + 33]) == NULL)
			abort();
	}
	if (intake_multipart_boundary(ct, out, sizeof(out)) != INTAKE_OK)
		return;
	/* A boundary is only found in a multipart/form-data type. */
	if (!intake_media_type_is(ct, "multipart/form-data"))
		abort();
	n = strlen(out);
	if (n == 0 || n > INTAKE_MULTIPART_BOUNDARY_MAX || out[n - 1] == ' ')
		abort();
	for (i = 0; i < n; i++)
		if (strchr("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "'()+_,-./:=? ", out[i]) == NULL)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct intake_multipart	*mp;
	const char		*body;
	char			 boundary[80];
	size_t			 len, n, i;
	enum intake_err		 err;

	fuzz_content_type(data, size);

	if (size >= 2 && data[0] == '-' && data[1] == '-') {
		for (n = 0; n + 2 < size && n < sizeof(boundary) - 1; n++)
			if (data[n + 2] == '\r' || data[n + 2] == '\n')
				break;
		memcpy(boundary, data + 2, n);
		boundary[n] = '\0';
		body = (const char *)data;
		len = size;
	} else if (size >= 1 && data[0] >= 1 && data[0] <= 71 && size > data[0]) {
		n = data[0];
		memcpy(boundary, data + 1, n);
		boundary[n] = '\0';
		body = (const char *)data + 1 + n;
		len = size - 1 - n;
	} else {
		memcpy(boundary, WK, sizeof(WK));
		body = size == 0 ? (const char *)data : (const char *)data + 1;
		len = size == 0 ? 0 : size - 1;
	}

	mp = malloc(sizeof(*mp));
	if (mp == NULL)
		abort();
	err = intake_multipart_parse(body, len, boundary, mp);
	if (err == INTAKE_OK) {
		if (mp->nparts > INTAKE_MULTIPART_PARTS_MAX)
			abort();
		for (i = 0; i < mp->nparts; i++)
			part_ok(&mp->parts[i], body, len);
		round_trip(mp, boundary, len);
	} else if (err != INTAKE_EINVAL && err != INTAKE_ETOOBIG)
		abort();
	free(mp);
	return 0;
}
