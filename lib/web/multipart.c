/*
 * multipart.c - multipart/form-data bodies split into parts (see
 * multipart.h), after RFC 2046 section 5.1.1 and RFC 7578.
 *
 * One pass: the first boundary line is found with memmem(), then each
 * part's header lines are read (each looked for within its 1026 bytes
 * only) and its data runs to the next "\n--boundary", found with memmem()
 * from where the headers ended.  Every search starts past the previous
 * one, and glibc's memmem() is linear, so the whole is linear in len.
 * Parts point into the body; only names, file names and content types are
 * copied, into the part's own arrays.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <unistr.h>

#include "web/multipart.h"
#include "util/str.h"

#define MP_DELIM_MAX	(3 + INTAKE_MULTIPART_BOUNDARY_MAX)	/* "\n--" boundary */
#define MP_CTYPE_MAX	(sizeof(((struct intake_part *)0)->content_type) - 1)

_Static_assert(INTAKE_MULTIPART_FILENAME_MAX < INTAKE_MULTIPART_LINE_MAX,
    "a file name is cut from a header line");

struct mp_parser {
	const char	*body;
	size_t		 len;
	size_t		 pos;			/* next byte to read */
	char		 delim[MP_DELIM_MAX];	/* "\n--" boundary, not terminated */
	size_t		 delimlen;
};

/* A tchar of RFC 9110: what header names and parameter names are made of. */
static int
mp_tchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* A bchars character of RFC 2046 (space included). */
static int
mp_bchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return 1;
	return c != '\0' && strchr("'()+_,-./:=? ", c) != NULL;
}

/* A control byte that header text must not carry (tab is allowed). */
static int
mp_ctl(unsigned char c)
{
	return (c < 0x20 && c != '\t') || c == 0x7f;
}

/* 1-70 bchars, the last not a space. */
static int
mp_boundary_ok(const char *b, size_t n)
{
	size_t	i;

	if (n == 0 || n > INTAKE_MULTIPART_BOUNDARY_MAX || b[n - 1] == ' ')
		return 0;
	for (i = 0; i < n; i++)
		if (!mp_bchar((unsigned char)b[i]))
			return 0;
	return 1;
}

/*
 * Whether n bytes of s are UTF-8 (libunistring's u8_check, as table.c
 * checks cells) with no control character: C0, DEL or C1 (U+0080-U+009F,
 * encoded as 0xc2 0x80..0x9f).
 */
static int
mp_text_ok(const char *str, size_t n)
{
	const unsigned char	*s = (const unsigned char *)str;
	size_t			 i;

	if (u8_check(s, n) != NULL)
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] < 0x20 || s[i] == 0x7f)
			return 0;
		if (s[i] == 0xc2 && i + 1 < n && s[i + 1] <= 0x9f)
			return 0;
	}
	return 1;
}

/* Skip spaces and tabs in s (n bytes) from *pos. */
static void
mp_skip_ows(const char *s, size_t n, size_t *pos)
{
	while (*pos < n && (s[*pos] == ' ' || s[*pos] == '\t'))
		(*pos)++;
}

/*
 * The quoted string of s (n bytes) at *pos, which is its opening quote,
 * unquoted into val (valsz bytes); its length into *vallen and *pos past
 * the closing quote.  \" and \\ are escapes; any other backslash is
 * itself, since old browsers send Windows paths unescaped.
 */
static enum intake_err
mp_quoted(const char *s, size_t n, size_t *pos, char *val, size_t valsz, size_t *vallen)
{
	size_t		i = *pos + 1, o = 0;
	unsigned char	c;

	for (;;) {
		if (i == n)
			return INTAKE_EINVAL;	/* unterminated */
		c = (unsigned char)s[i++];
		if (c == '"')
			break;
		if (mp_ctl(c))
			return INTAKE_EINVAL;
		if (c == '\\' && i < n && (s[i] == '"' || s[i] == '\\'))
			c = (unsigned char)s[i++];
		if (o == valsz)
			return INTAKE_EINVAL;	/* longer than any value we keep */
		val[o++] = (char)c;
	}
	*pos = i;
	*vallen = o;
	return INTAKE_OK;
}

/*
 * The next parameter ";name=value" of a header value s (n bytes) at
 * *pos.  Its name into *name (ptr NULL once s is used up) and its value,
 * unquoted, into val (valsz bytes, not terminated) with its length into
 * *vallen.  An unquoted value is any run of bytes but controls, space,
 * tab, '"' and ';', so "boundary=----=_Part_1" and "filename*=utf-8''x"
 * read as senders mean them; the caller checks what it keeps.
 */
static enum intake_err
mp_param(const char *s, size_t n, size_t *pos, struct intake_str *name, char *val,
    size_t valsz, size_t *vallen)
{
	size_t		 i = *pos, start, vlen;
	enum intake_err	 err;

	for (;;) {
		mp_skip_ows(s, n, &i);
		if (i == n) {
			*pos = i;
			name->ptr = NULL;
			name->len = 0;
			return INTAKE_OK;
		}
		if (s[i] != ';')
			return INTAKE_EINVAL;
		i++;
		mp_skip_ows(s, n, &i);
		if (i < n && s[i] != ';')
			break;	/* a parameter; empty ones (";;", a trailing ';') are skipped */
	}
	start = i;
	while (i < n && mp_tchar((unsigned char)s[i]))
		i++;
	if (i == start)
		return INTAKE_EINVAL;
	name->ptr = s + start;
	name->len = i - start;
	mp_skip_ows(s, n, &i);
	if (i == n || s[i] != '=')
		return INTAKE_EINVAL;
	i++;
	mp_skip_ows(s, n, &i);
	if (i < n && s[i] == '"') {
		err = mp_quoted(s, n, &i, val, valsz, &vlen);
		if (err != INTAKE_OK)
			return err;
	} else {
		start = i;
		while (i < n && s[i] != ';' && s[i] != ' ' && s[i] != '\t') {
			if (mp_ctl((unsigned char)s[i]) || s[i] == '"')
				return INTAKE_EINVAL;
			i++;
		}
		vlen = i - start;
		if (vlen == 0 || vlen > valsz)
			return INTAKE_EINVAL;
		memcpy(val, s + start, vlen);
	}
	*pos = i;
	*vallen = vlen;
	return INTAKE_OK;
}

/* Whether the view s is the ASCII word w, ignoring case. */
static int
mp_is(struct intake_str s, const char *w)
{
	return s.len == strlen(w) && strncasecmp(s.ptr, w, s.len) == 0;
}

/*
 * The media type "type/subtype" (RFC 9110 section 8.3.1: two tokens) at
 * the start of s (n bytes, after optional white space) into *mt, *pos
 * past it.  INTAKE_EINVAL when there is none.
 */
static enum intake_err
mp_media_type(const char *s, size_t n, size_t *pos, struct intake_str *mt)
{
	size_t	i, start, slash;

	mp_skip_ows(s, n, pos);
	start = i = *pos;
	while (i < n && mp_tchar((unsigned char)s[i]))
		i++;
	if (i == start || i == n || s[i] != '/')
		return INTAKE_EINVAL;
	slash = ++i;
	while (i < n && mp_tchar((unsigned char)s[i]))
		i++;
	if (i == slash)
		return INTAKE_EINVAL;
	mt->ptr = s + start;
	mt->len = i - start;
	*pos = i;
	return INTAKE_OK;
}

bool
intake_media_type_is(const char *content_type, const char *want)
{
	struct intake_str	 mt, name;
	char			 val[INTAKE_MULTIPART_LINE_MAX];
	size_t			 n = strlen(content_type), pos = 0, vlen;

	if (mp_media_type(content_type, n, &pos, &mt) != INTAKE_OK || !mp_is(mt, want))
		return false;
	/* The rest must be well-formed parameters, and nothing else. */
	do {
		if (mp_param(content_type, n, &pos, &name, val, sizeof(val), &vlen) != INTAKE_OK)
			return false;
	} while (name.ptr != NULL);
	return true;
}

enum intake_err
intake_multipart_boundary(const char *content_type, char *out, size_t outsz)
{
	struct intake_str	 mt, name;
	char			 val[INTAKE_MULTIPART_LINE_MAX];
	char			 b[INTAKE_MULTIPART_BOUNDARY_MAX];
	size_t			 n, pos = 0, vlen, blen = 0;
	int			 found = 0;
	enum intake_err		 err;

	n = strlen(content_type);
	if (mp_media_type(content_type, n, &pos, &mt) != INTAKE_OK ||
	    !mp_is(mt, "multipart/form-data"))
		return INTAKE_EINVAL;
	for (;;) {
		err = mp_param(content_type, n, &pos, &name, val, sizeof(val), &vlen);
		if (err != INTAKE_OK)
			return err;
		if (name.ptr == NULL)
			break;
		if (!mp_is(name, "boundary"))
			continue;
		if (found || !mp_boundary_ok(val, vlen))
			return INTAKE_EINVAL;
		memcpy(b, val, vlen);
		blen = vlen;
		found = 1;
	}
	if (!found)
		return INTAKE_EINVAL;
	if (blen >= outsz)
		return INTAKE_ETOOBIG;
	memcpy(out, b, blen);
	out[blen] = '\0';
	return INTAKE_OK;
}

/*
 * The header line at p->pos, without its CRLF or LF, into *line and *n;
 * p->pos moves past it.  Only INTAKE_MULTIPART_LINE_MAX + 2 bytes are
 * looked at, so a line flood costs no more than one line.
 */
static enum intake_err
mp_line(struct mp_parser *p, const char **line, size_t *n)
{
	const char	*start = p->body + p->pos, *lf;
	size_t		 avail, k;

	avail = p->len - p->pos;
	if (avail > INTAKE_MULTIPART_LINE_MAX + 2)
		avail = INTAKE_MULTIPART_LINE_MAX + 2;
	lf = memchr(start, '\n', avail);
	if (lf == NULL)
		return INTAKE_EINVAL;	/* too long, or the body ends inside it */
	k = (size_t)(lf - start);
	p->pos += k + 1;
	if (k > 0 && start[k - 1] == '\r')
		k--;
	if (k > INTAKE_MULTIPART_LINE_MAX)
		return INTAKE_EINVAL;
	*line = start;
	*n = k;
	return INTAKE_OK;
}

/* Keep a filename parameter of n bytes: check it, strip its directories. */
static enum intake_err
mp_filename(struct intake_part *part, const char *v, size_t n)
{
	size_t	i, base = 0;

	if (!mp_text_ok(v, n))
		return INTAKE_EINVAL;
	for (i = 0; i < n; i++)
		if (v[i] == '/' || v[i] == '\\')
			base = i + 1;
	if (n > 0) {
		/* Something like "C:\", "dir/" or "../..": no file name is left. */
		if (n - base == 0 || (n - base == 1 && v[base] == '.') ||
		    (n - base == 2 && v[base] == '.' && v[base + 1] == '.'))
			return INTAKE_EINVAL;
	}
	if (n - base > INTAKE_MULTIPART_FILENAME_MAX)
		return INTAKE_EINVAL;
	memcpy(part->filename, v + base, n - base);
	part->filename[n - base] = '\0';
	part->is_file = 1;
	return INTAKE_OK;
}

/* A Content-Disposition value: form-data with one name and at most one filename. */
static enum intake_err
mp_disposition(struct intake_part *part, const char *s, size_t n)
{
	struct intake_str	 type, name;
	char			 val[INTAKE_MULTIPART_LINE_MAX];
	size_t			 pos = 0, vlen;
	int			 have_name = 0, have_filename = 0;
	enum intake_err		 err;

	while (pos < n && mp_tchar((unsigned char)s[pos]))
		pos++;
	type.ptr = s;
	type.len = pos;
	if (!mp_is(type, "form-data"))
		return INTAKE_EINVAL;
	for (;;) {
		err = mp_param(s, n, &pos, &name, val, sizeof(val), &vlen);
		if (err != INTAKE_OK)
			return err;
		if (name.ptr == NULL)
			break;
		if (mp_is(name, "name")) {
			/* Twice would let two readers see two different fields. */
			if (have_name)
				return INTAKE_EINVAL;
			if (vlen == 0 || vlen >= sizeof(part->name) || !mp_text_ok(val, vlen))
				return INTAKE_EINVAL;
			memcpy(part->name, val, vlen);
			part->name[vlen] = '\0';
			have_name = 1;
		} else if (mp_is(name, "filename")) {
			if (have_filename)
				return INTAKE_EINVAL;
			err = mp_filename(part, val, vlen);
			if (err != INTAKE_OK)
				return err;
			have_filename = 1;
		}
		/* filename* (RFC 5987) and anything else: ignored. */
	}
	return have_name ? INTAKE_OK : INTAKE_EINVAL;
}

/* A part's Content-Type value: printable ASCII that fits. */
static enum intake_err
mp_content_type(struct intake_part *part, const char *s, size_t n)
{
	size_t	i;

	if (n > MP_CTYPE_MAX)
		return INTAKE_EINVAL;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return INTAKE_EINVAL;
	memcpy(part->content_type, s, n);
	part->content_type[n] = '\0';
	return INTAKE_OK;
}

/* The header lines of a part through the empty line that ends them. */
static enum intake_err
mp_headers(struct mp_parser *p, struct intake_part *part)
{
	struct intake_str	 hname;
	const char		*line, *colon, *v;
	size_t			 n, i, vlen, nlines = 0;
	int			 have_cd = 0, have_ct = 0;
	enum intake_err		 err;

	for (;;) {
		err = mp_line(p, &line, &n);
		if (err != INTAKE_OK)
			return err;
		if (n == 0)
			break;
		if (nlines == INTAKE_MULTIPART_HEADERS_MAX)
			return INTAKE_EINVAL;
		nlines++;
		for (i = 0; i < n; i++)
			if (mp_ctl((unsigned char)line[i]))
				return INTAKE_EINVAL;	/* a NUL, a bare CR, ... */
		/* A name of tchars right before the colon; this refuses folded lines. */
		colon = memchr(line, ':', n);
		if (colon == NULL || colon == line)
			return INTAKE_EINVAL;
		hname.ptr = line;
		hname.len = (size_t)(colon - line);
		for (i = 0; i < hname.len; i++)
			if (!mp_tchar((unsigned char)line[i]))
				return INTAKE_EINVAL;
		v = colon + 1;
		vlen = n - hname.len - 1;
		while (vlen > 0 && (*v == ' ' || *v == '\t')) {
			v++;
			vlen--;
		}
		while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
			vlen--;
		err = INTAKE_OK;	/* other headers are skipped */
		if (mp_is(hname, "Content-Disposition")) {
			if (have_cd)
				return INTAKE_EINVAL;
			have_cd = 1;
			err = mp_disposition(part, v, vlen);
		} else if (mp_is(hname, "Content-Type")) {
			if (have_ct)
				return INTAKE_EINVAL;
			have_ct = 1;
			err = mp_content_type(part, v, vlen);
		}
		if (err != INTAKE_OK)
			return err;
	}
	return have_cd ? INTAKE_OK : INTAKE_EINVAL;
}

/*
 * After "--boundary" at p->pos: "--" ends the body (*closed set; the
 * epilogue is not read), else optional spaces or tabs and a line end.
 */
static enum intake_err
mp_delimiter_end(struct mp_parser *p, int *closed)
{
	size_t	i = p->pos;

	if (p->len - i >= 2 && p->body[i] == '-' && p->body[i + 1] == '-') {
		*closed = 1;
		return INTAKE_OK;
	}
	mp_skip_ows(p->body, p->len, &i);
	if (i < p->len && p->body[i] == '\n')
		i++;
	else if (p->len - i >= 2 && p->body[i] == '\r' && p->body[i + 1] == '\n')
		i += 2;
	else
		return INTAKE_EINVAL;	/* "--boundaryX": neither a delimiter nor data */
	p->pos = i;
	*closed = 0;
	return INTAKE_OK;
}

/* Where the next "\n--boundary" at or after from begins. */
static enum intake_err
mp_find(const struct mp_parser *p, size_t from, size_t *at)
{
	const char	*hit;

	hit = memmem(p->body + from, p->len - from, p->delim, p->delimlen);
	if (hit == NULL)
		return INTAKE_EINVAL;	/* no (closing) delimiter */
	*at = (size_t)(hit - p->body);
	return INTAKE_OK;
}

/*
 * Set p up for body with boundary and move it past the first
 * "--boundary", which starts the body or a line of the preamble.
 */
static enum intake_err
mp_start(struct mp_parser *p, const char *body, size_t len, const char *boundary)
{
	size_t		blen, at;
	enum intake_err	err;

	blen = strnlen(boundary, INTAKE_MULTIPART_BOUNDARY_MAX + 1);
	if (!mp_boundary_ok(boundary, blen))
		return INTAKE_EINVAL;
	if (len < 2 + blen + 2)
		return INTAKE_EINVAL;	/* shorter than "--boundary--" */
	memset(p, 0, sizeof(*p));
	p->body = body;
	p->len = len;
	memcpy(p->delim, "\n--", 3);
	memcpy(p->delim + 3, boundary, blen);
	p->delimlen = 3 + blen;
	if (len >= p->delimlen - 1 && memcmp(body, p->delim + 1, p->delimlen - 1) == 0) {
		p->pos = p->delimlen - 1;
		return INTAKE_OK;
	}
	err = mp_find(p, 0, &at);
	if (err != INTAKE_OK)
		return err;
	p->pos = at + p->delimlen;
	return INTAKE_OK;
}

/*
 * The part's data, after its headers: it runs to the CRLF (or LF) before
 * the next "--boundary", and p moves past that delimiter.  The search
 * starts at the LF of the empty line, so a part that ends with its
 * headers ("...\r\n\r\n--boundary") has empty data.
 */
static enum intake_err
mp_data(struct mp_parser *p, struct intake_part *part)
{
	size_t		start = p->pos, at, end;
	enum intake_err	err;

	err = mp_find(p, start - 1, &at);
	if (err != INTAKE_OK)
		return err;
	end = at;
	if (end < start)
		end = start;
	else if (end > start && p->body[end - 1] == '\r')
		end--;
	part->data = p->body + start;
	part->len = end - start;
	p->pos = at + p->delimlen;
	return INTAKE_OK;
}

enum intake_err
intake_multipart_parse(const char *body, size_t len, const char *boundary,
    struct intake_multipart *out)
{
	struct intake_multipart	*mp = NULL;
	struct mp_parser	 p;
	int			 closed;
	enum intake_err		 err;

	err = mp_start(&p, body, len, boundary);
	if (err != INTAKE_OK)
		return err;
	/* About 34 KB: too much for a worker's stack, and out stays untouched. */
	mp = calloc(1, sizeof(*mp));
	if (mp == NULL)
		return INTAKE_ENOMEM;
	for (;;) {
		err = mp_delimiter_end(&p, &closed);
		if (err != INTAKE_OK || closed)
			break;
		if (mp->nparts == INTAKE_MULTIPART_PARTS_MAX) {
			err = INTAKE_ETOOBIG;
			break;
		}
		err = mp_headers(&p, &mp->parts[mp->nparts]);
		if (err == INTAKE_OK)
			err = mp_data(&p, &mp->parts[mp->nparts]);
		if (err != INTAKE_OK)
			break;
		mp->nparts++;
	}
	if (err == INTAKE_OK) {
		memcpy(out->parts, mp->parts, mp->nparts * sizeof(mp->parts[0]));
		out->nparts = mp->nparts;
	}
	free(mp);
	return err;
}
