/*
 * multipart.h - multipart/form-data bodies (RFC 7578), as browsers send
 * form posts with file fields.
 *
 * The whole body is in memory (nginx buffers it; its size is capped at
 * the body limit before it is read).  Parts are views into the body: no
 * copies, so the body must outlive them.
 */
#ifndef INTAKE_MULTIPART_H
#define INTAKE_MULTIPART_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

#define INTAKE_MULTIPART_PARTS_MAX	64
#define INTAKE_MULTIPART_NAME_MAX	128	/* bytes of a field name */
#define INTAKE_MULTIPART_FILENAME_MAX	255	/* bytes of a file name */
#define INTAKE_MULTIPART_BOUNDARY_MAX	70	/* bytes of a boundary (RFC 2046) */
#define INTAKE_MULTIPART_LINE_MAX	1024	/* bytes of a part's header line */
#define INTAKE_MULTIPART_HEADERS_MAX	16	/* header lines in a part */

struct intake_part {
	char		 name[INTAKE_MULTIPART_NAME_MAX];	/* form field name */
	char		 filename[INTAKE_MULTIPART_FILENAME_MAX + 1];	/* "" if not a file */
	int		 is_file;		/* a filename parameter was present */
	char		 content_type[128];	/* "" when absent */
	const char	*data;			/* into the body */
	size_t		 len;
};

struct intake_multipart {
	struct intake_part	parts[INTAKE_MULTIPART_PARTS_MAX];
	size_t			nparts;
};

/*
 * Is the Content-Type header value content_type the media type want
 * ("type/subtype", lower case)?  The value is parsed (RFC 9110 section
 * 8.3.1): type "/" subtype as tokens, compared whole and case-insensitively,
 * then only well-formed ";name=value" parameters, which are not otherwise
 * checked.  "application/x-www-form-urlencodedXYZ" is not
 * "application/x-www-form-urlencoded"; "...; charset=UTF-8" is.
 */
bool	intake_media_type_is(const char *content_type, const char *want);

/*
 * The boundary of a Content-Type header value such as
 * "multipart/form-data; boundary=----x" (quoted or not), into out.
 * INTAKE_EINVAL when it is not multipart/form-data or has no valid
 * boundary (1-70 characters of RFC 2046's set), or names a boundary
 * twice; INTAKE_ETOOBIG when it does not fit in outsz bytes (71 always
 * do).  The media type and parameter names are case-insensitive; other
 * parameters are skipped.
 */
enum intake_err	intake_multipart_boundary(const char *content_type, char *out, size_t outsz);

/*
 * Split body (len bytes) on boundary.  Each part needs a
 * Content-Disposition: form-data header with a name; a filename is kept
 * with any path stripped (the last of / and \).  Header lines are CRLF
 * (a bare LF is accepted); header values are limited to 1024 bytes.
 * INTAKE_EINVAL on malformed input (no closing boundary, a part without a
 * name, bad header syntax, a name or filename with control bytes or
 * invalid UTF-8), INTAKE_ETOOBIG past INTAKE_MULTIPART_PARTS_MAX parts.
 * *out is written only on success.
 *
 * In detail: the preamble before the first boundary line and the
 * epilogue after "--boundary--" are ignored.  A delimiter is CRLF (or LF)
 * "--" boundary, then optional spaces or tabs and CRLF (or LF), or "--"
 * for the last one; such a line with anything else after the boundary is
 * refused as ambiguous.  At most INTAKE_MULTIPART_HEADERS_MAX header
 * lines of at most INTAKE_MULTIPART_LINE_MAX bytes each (CRLF not
 * counted), no control bytes but tab, no folded lines; header names are
 * case-insensitive.  Content-Disposition and Content-Type may each appear
 * once; other headers are skipped.  Parameter values are tokens or quoted
 * strings where \" and \\ are escapes and any other backslash is kept
 * (old browsers send "C:\dir\f.txt" unescaped).  name and filename may
 * each appear once, filename* is ignored; the browsers' %22, %0D and %0A
 * escapes are not decoded.  name must be 1 to INTAKE_MULTIPART_NAME_MAX-1
 * bytes; name and filename must be UTF-8 without C0, DEL or C1 controls.
 * A filename that is empty stays empty (a file input left blank: is_file
 * is set and len is 0); one that strips to "", "." or ".." is refused, as
 * is one still longer than INTAKE_MULTIPART_FILENAME_MAX.  content_type is
 * the header value, printable ASCII of at most 127 bytes.  data is never
 * NULL and [data, data + len) lies within [body, body + len).  Takes time
 * linear in len; boundary must be 1-70 characters of RFC 2046's set.
 */
enum intake_err	intake_multipart_parse(const char *body, size_t len, const char *boundary,
		    struct intake_multipart *out);

#endif
