/*
 * keytab.c - one value parsed by its table row, and the INI loader both
 * file readers share (see keytab.h).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util/buf.h"
#include "util/keytab.h"
#include "util/str.h"

int
intake_keytab_name_index(const char *const *names, size_t n, const char *value)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (strcasecmp(names[i], value) == 0)
			return (int)i;
	return -1;
}

/* "not one of a, b, c" into why. */
static void
not_one_of(const struct intake_keyrow *r, char *why, size_t whysz)
{
	size_t	i, len;

	(void)snprintf(why, whysz, "not one of ");
	for (i = 0; i < r->nnames; i++) {
		len = strlen(why);
		(void)snprintf(why + len, whysz - len, "%s%s", i > 0 ? ", " : "", r->names[i]);
	}
}

/* An octal file mode such as 0660, up to max; -1 when not one. */
static long long
parse_mode(const char *value, long long max)
{
	const char	*end;
	long long	 v = 0;

	for (end = value; *end >= '0' && *end <= '7' && end - value < 5; end++)
		v = v * 8 + (*end - '0');
	if (*value == '\0' || *end != '\0' || end - value > 4 || v > max)
		return -1;
	return v;
}

/* Store value into base by row r.  NULL, or the problem (in why when built). */
static const char *
set_one(void *base, const struct intake_keyrow *r, const char *value, char *why,
    size_t whysz)
{
	char		*field = (char *)base + r->off;
	long long	 v;
	bool		 b;
	int		 idx;

	switch (r->type) {
	case INTAKE_KEYTYPE_STR:
		return intake_strlcpy(field, value, r->size) == INTAKE_OK ? NULL : "value too long";
	case INTAKE_KEYTYPE_INT:
		if (r->size != sizeof(v))
			break;
		if (intake_parse_int(value, r->min, r->max, &v) != INTAKE_OK) {
			(void)snprintf(why, whysz, "not a whole number from %lld to %lld", r->min,
			    r->max);
			return why;
		}
		memcpy(field, &v, sizeof(v));
		return NULL;
	case INTAKE_KEYTYPE_MODE:
		if (r->size != sizeof(v))
			break;
		if ((v = parse_mode(value, r->max)) < 0)
			return "not an octal file mode such as 0660";
		memcpy(field, &v, sizeof(v));
		return NULL;
	case INTAKE_KEYTYPE_BOOL:
		if (r->size != sizeof(b))
			break;
		if (intake_parse_bool(value, &b) != INTAKE_OK)
			return "not yes or no";
		memcpy(field, &b, sizeof(b));
		return NULL;
	case INTAKE_KEYTYPE_ENUM:
		/* An enum of ours is an int: it has no negative values and few. */
		if (r->size != sizeof(idx))
			break;
		idx = intake_keytab_name_index(r->names, r->nnames, value);
		if (idx < 0) {
			not_one_of(r, why, whysz);
			return why;
		}
		memcpy(field, &idx, sizeof(idx));
		return NULL;
	}
	return "the key's table row is wrong";
}

const char *
intake_keytab_defaults(void *base, const struct intake_keyrow *rows, size_t n)
{
	char	why[160];
	size_t	i;

	for (i = 0; i < n; i++)
		if (rows[i].def != NULL && set_one(base, &rows[i], rows[i].def, why,
		    sizeof(why)) != NULL)
			return rows[i].key;
	return NULL;
}

enum intake_err
intake_keytab_set(void *base, const struct intake_keyrow *rows, size_t n, unsigned char *seen,
    const char *section, const char *key, const char *value, char *why, size_t whysz)
{
	const char	*problem;
	size_t		 i;

	for (i = 0; i < n; i++) {
		if ((rows[i].section != NULL && strcmp(rows[i].section, section) != 0) ||
		    strcmp(rows[i].key, key) != 0)
			continue;
		if (seen[i]) {
			(void)snprintf(why, whysz, "set twice");
			return INTAKE_EINVAL;
		}
		seen[i] = 1;
		problem = set_one(base, &rows[i], value, why, whysz);
		if (problem == NULL)
			return INTAKE_OK;
		if (problem != why)
			(void)snprintf(why, whysz, "%s", problem);
		return INTAKE_EINVAL;
	}
	return INTAKE_ENOTFOUND;
}

const struct intake_keyrow *
intake_keytab_missing(const struct intake_keyrow *rows, size_t n, const unsigned char *seen)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (rows[i].required && !seen[i])
			return &rows[i];
	return NULL;
}

void
intake_keyload_init(struct intake_keyload *l, const char *path, const char *unknown,
    char *err, size_t errsz)
{
	l->path = path;
	l->unknown = unknown;
	l->err = err;
	l->errsz = errsz;
	l->failed = false;
	if (errsz > 0)
		err[0] = '\0';
}

void
intake_keyload_fail(struct intake_keyload *l, const char *section, const char *key,
    const char *problem)
{
	if (l->failed)
		return;
	l->failed = true;
	(void)snprintf(l->err, l->errsz, "%s: [%s] %s: %s", l->path, section, key, problem);
}

int
intake_keyload_set(struct intake_keyload *l, void *base, const struct intake_keyrow *rows,
    size_t n, unsigned char *seen, const char *section, const char *key, const char *value)
{
	char		why[160];
	enum intake_err	err;

	err = intake_keytab_set(base, rows, n, seen, section, key, value, why, sizeof(why));
	if (err == INTAKE_OK)
		return 1;
	intake_keyload_fail(l, section, key, err == INTAKE_ENOTFOUND ? l->unknown : why);
	return 0;
}

/*
 * The INI reader.  libinih cut lines at 199 bytes and read an indented
 * line as the same key set again; this one reads lines of up to
 * INTAKE_INI_LINE_MAX bytes, joins continuations, and says what is wrong
 * with a line.  It takes what libinih took: a UTF-8 BOM, comment lines
 * starting with ; or #, a ; comment after white space, key = value or
 * key: value, white space around keys and values dropped.
 */
struct ini {
	struct intake_keyload	*l;
	intake_keyload_fn	 fn;
	void			*user;
	char			 section[INTAKE_INI_NAME_MAX];
	char			 key[INTAKE_INI_NAME_MAX];
	struct intake_buf	 value;		/* the pending key's value, joined */
	bool			 pending;	/* key and value wait for their continuations */
	long			 line;
};

/* Note "PATH: line N: problem" (the first problem only); returns -1. */
static int
ini_fail(struct ini *r, const char *problem)
{
	if (!r->l->failed) {
		r->l->failed = true;
		(void)snprintf(r->l->err, r->l->errsz, "%s: line %ld: %s", r->l->path, r->line,
		    problem);
	}
	return -1;
}

static char *
ini_lskip(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* Cut s at its end of white space and its ; comment (after white space). */
static void
ini_rstrip(char *s, bool comments)
{
	char	*p, *end;
	bool	 was_space = false;

	end = s + strlen(s);
	for (p = s; comments && *p != '\0'; p++) {
		if (was_space && *p == ';') {
			end = p;
			break;
		}
		was_space = *p == ' ' || *p == '\t';
	}
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	*end = '\0';
}

/* Hand the pending key to the callback; 0, or -1 when it stopped. */
static int
ini_flush(struct ini *r)
{
	if (!r->pending)
		return 0;
	r->pending = false;
	if (intake_buf_err(&r->value) != INTAKE_OK) {
		char	why[INTAKE_INI_NAME_MAX + 80];

		(void)snprintf(why, sizeof(why), "%s: the value with its continuations is longer "
		    "than %d bytes", r->key, INTAKE_INI_VALUE_MAX);
		return ini_fail(r, why);
	}
	if (r->fn(r->user, r->section, r->key, intake_buf_str(&r->value)) == 0) {
		r->l->failed = true;	/* a callback that stops noted why, or should have */
		return -1;
	}
	return 0;
}

/* A line with a key: "key = value" or "key: value". */
static int
ini_key(struct ini *r, char *p)
{
	char	*sep = p + strcspn(p, "=:");

	if (*sep == '\0')
		return ini_fail(r, "syntax error: not a [section], a key = value or an indented continuation");
	*sep = '\0';
	ini_rstrip(p, false);
	if (*p == '\0')
		return ini_fail(r, "a value with no key before the =");
	if (intake_strlcpy(r->key, p, sizeof(r->key)) != INTAKE_OK)
		return ini_fail(r, "the key is too long");
	p = ini_lskip(sep + 1);
	ini_rstrip(p, true);
	intake_buf_reset(&r->value);
	intake_buf_adds(&r->value, p);
	r->pending = true;
	return 0;
}

/* One line (NUL-terminated, without its newline). */
static int
ini_line(struct ini *r, char *s)
{
	char	*p = ini_lskip(s), *end;

	if (*p == '\0' || *p == ';' || *p == '#')
		return ini_flush(r);	/* a blank or comment line ends a value */
	if (p != s) {
		/* Indented: the pending value goes on, joined by one space. */
		if (!r->pending)
			return ini_fail(r, "a continuation with no key before it (only a "
			    "value goes on on an indented line)");
		ini_rstrip(p, true);
		intake_buf_addc(&r->value, ' ');
		intake_buf_adds(&r->value, p);
		return 0;
	}
	if (ini_flush(r) != 0)
		return -1;
	if (*p != '[')
		return ini_key(r, p);
	end = strchr(p, ']');
	if (end == NULL)
		return ini_fail(r, "syntax error: a [section without its closing ]");
	*end = '\0';
	p = ini_lskip(p + 1);
	ini_rstrip(p, false);
	if (intake_strlcpy(r->section, p, sizeof(r->section)) != INTAKE_OK)
		return ini_fail(r, "the section name is too long");
	return 0;
}

/* Read text[len] line by line into the callback. */
static void
ini_run(struct ini *r, const char *text, size_t len)
{
	char		 line[INTAKE_INI_LINE_MAX + 1], why[64];
	const char	*p = text, *end = text + len, *nl;
	size_t		 n;

	if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3;
	for (r->line = 1; p < end; r->line++) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = (size_t)((nl != NULL ? nl : end) - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n > INTAKE_INI_LINE_MAX) {
			(void)snprintf(why, sizeof(why), "longer than %d bytes", INTAKE_INI_LINE_MAX);
			(void)ini_fail(r, why);
			return;
		}
		if (memchr(p, '\0', n) != NULL) {
			(void)ini_fail(r, "a NUL byte");
			return;
		}
		memcpy(line, p, n);
		line[n] = '\0';
		if (ini_line(r, line) != 0)
			return;
		p = nl != NULL ? nl + 1 : end;
	}
	(void)ini_flush(r);
}

/* The whole file l->path into b (at most INTAKE_INI_FILE_MAX bytes); 0 or -1. */
static int
ini_slurp(struct intake_keyload *l, struct intake_buf *b)
{
	char	chunk[8192];
	size_t	n;
	FILE	*f;
	int	 rc = 0;

	f = fopen(l->path, "r");
	if (f == NULL) {
		(void)snprintf(l->err, l->errsz, "%s: cannot open: %s", l->path, strerror(errno));
		return -1;
	}
	while (rc == 0 && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (intake_buf_add(b, chunk, n) != INTAKE_OK) {
			(void)snprintf(l->err, l->errsz, "%s: larger than %d bytes", l->path,
			    INTAKE_INI_FILE_MAX);
			rc = -1;
		}
	if (rc == 0 && ferror(f)) {
		(void)snprintf(l->err, l->errsz, "%s: cannot be read: %s", l->path,
		    strerror(errno));
		rc = -1;
	}
	(void)fclose(f);
	return rc;
}

enum intake_err
intake_keyload_parse(struct intake_keyload *l, const char *text, intake_keyload_fn fn,
    void *user)
{
	struct ini		r;
	struct intake_buf	file;

	memset(&r, 0, sizeof(r));
	r.l = l;
	r.fn = fn;
	r.user = user;
	intake_buf_init(&r.value, INTAKE_INI_VALUE_MAX);
	intake_buf_init(&file, INTAKE_INI_FILE_MAX);
	if (text == NULL && ini_slurp(l, &file) != 0)
		l->failed = true;
	else if (text == NULL)
		ini_run(&r, file.ptr != NULL ? file.ptr : "", file.len);
	else
		ini_run(&r, text, strlen(text));
	intake_buf_free(&file);
	intake_buf_free(&r.value);
	if (l->failed && l->errsz > 0 && l->err[0] == '\0')
		(void)snprintf(l->err, l->errsz, "%s: cannot be read", l->path);
	return l->failed ? INTAKE_ECONFIG : INTAKE_OK;
}

/* Levenshtein distance of a and b, up to 63 bytes each (more counts as far). */
static size_t
edit_distance(const char *a, size_t na, const char *b, size_t nb)
{
	size_t	row[64], i, j, prev, cur;

	if (na >= 64 || nb >= 64)
		return (size_t)-1;
	for (j = 0; j <= nb; j++)
		row[j] = j;
	for (i = 1; i <= na; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= nb; j++) {
			cur = row[j];
			row[j] = prev + (a[i - 1] == b[j - 1] ? 0 : 1);
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			if (cur + 1 < row[j])
				row[j] = cur + 1;
			prev = cur;
		}
	}
	return row[nb];
}

void
intake_keyload_unknown_section(struct intake_keyload *l, const char *section,
    const char *const *known, size_t n)
{
	const char	*colon = strchr(section, ':'), *best = NULL, *kc;
	size_t		 i, d, bestd = 3, slen, klen;

	if (l->failed)
		return;
	l->failed = true;
	/* "kind:NAME" rows match a kind: [sorce:x] is near [source:x]. */
	slen = colon != NULL ? (size_t)(colon - section) : strlen(section);
	for (i = 0; i < n; i++) {
		kc = strchr(known[i], ':');
		if ((kc != NULL) != (colon != NULL))
			continue;
		klen = kc != NULL ? (size_t)(kc - known[i]) : strlen(known[i]);
		d = edit_distance(section, slen, known[i], klen);
		if (d < bestd && d < slen) {
			bestd = d;
			best = known[i];
		}
	}
	if (best == NULL)
		(void)snprintf(l->err, l->errsz, "%s: [%s]: unknown section", l->path, section);
	else if (colon != NULL)
		(void)snprintf(l->err, l->errsz, "%s: [%s]: unknown section; did you mean "
		    "[%.*s%s]?", l->path, section, (int)(strchr(best, ':') - best), best, colon);
	else
		(void)snprintf(l->err, l->errsz, "%s: [%s]: unknown section; did you mean [%s]?",
		    l->path, section, best);
}
