/*
 * keytab.c - one value parsed by its table row, and the INI loader both
 * file readers share (see keytab.h).
 */
#include <errno.h>
#include <ini.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

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

enum intake_err
intake_keyload_parse(struct intake_keyload *l, const char *text, intake_keyload_fn fn,
    void *user)
{
	int	rc;

	rc = text != NULL ? ini_parse_string(text, fn, user) : ini_parse(l->path, fn, user);
	if (rc == 0 && !l->failed)
		return INTAKE_OK;
	if (l->failed)
		return INTAKE_ECONFIG;
	l->failed = true;
	if (rc == -1)
		(void)snprintf(l->err, l->errsz, "%s: cannot open: %s", l->path, strerror(errno));
	else if (rc > 0)
		(void)snprintf(l->err, l->errsz, "%s: line %d: syntax error", l->path, rc);
	else
		(void)snprintf(l->err, l->errsz, "%s: cannot be read", l->path);
	return INTAKE_ECONFIG;
}
