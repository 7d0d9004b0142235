/*
 * keytab.h - configuration keys checked against a table of rows.
 *
 * The main config (config.c) and the form definitions (form.c) are both
 * INI files whose keys are rows of a table: a name, a type, where the
 * value goes in a struct, its bounds or its allowed names, a default and
 * whether it is required.  This module parses one value by its row, and
 * refuses an unknown or repeated key, so every file reader states what
 * it takes as data and parses nothing by hand.
 */
#ifndef INTAKE_KEYTAB_H
#define INTAKE_KEYTAB_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

enum intake_keytype {
	INTAKE_KEYTYPE_STR,	/* char[size] */
	INTAKE_KEYTYPE_INT,	/* long long within [min, max] */
	INTAKE_KEYTYPE_MODE,	/* long long: an octal file mode up to max */
	INTAKE_KEYTYPE_BOOL,	/* bool: yes/no, true/false, on/off, 1/0 */
	INTAKE_KEYTYPE_ENUM,	/* an enum: the index of the value in names[] */
};

struct intake_keyrow {
	const char		*section;	/* NULL: any (the caller chose the table) */
	const char		*key;
	enum intake_keytype	 type;
	size_t			 off, size;	/* where in the struct, and its size */
	long long		 min, max;	/* INT; MODE uses max */
	const char *const	*names;		/* ENUM: value i is names[i] */
	size_t			 nnames;
	const char		*def;		/* default as text; NULL: none */
	bool			 required;
};

/* Rows for member m of struct type T, one per type. */
#define INTAKE_KEYROW_AT(T, m)	offsetof(T, m), sizeof(((T *)0)->m)
#define INTAKE_KEY_STR(T, sec, key, m, def, req) \
	{ sec, key, INTAKE_KEYTYPE_STR, INTAKE_KEYROW_AT(T, m), 0, 0, NULL, 0, def, req }
#define INTAKE_KEY_INT(T, sec, key, m, lo, hi, def) \
	{ sec, key, INTAKE_KEYTYPE_INT, INTAKE_KEYROW_AT(T, m), lo, hi, NULL, 0, def, false }
#define INTAKE_KEY_MODE(T, sec, key, m, hi, def) \
	{ sec, key, INTAKE_KEYTYPE_MODE, INTAKE_KEYROW_AT(T, m), 0, hi, NULL, 0, def, false }
#define INTAKE_KEY_BOOL(T, sec, key, m, def) \
	{ sec, key, INTAKE_KEYTYPE_BOOL, INTAKE_KEYROW_AT(T, m), 0, 0, NULL, 0, def, false }
#define INTAKE_KEY_ENUM(T, sec, key, m, names, def, req) \
	{ sec, key, INTAKE_KEYTYPE_ENUM, INTAKE_KEYROW_AT(T, m), 0, 0, names, \
	    sizeof(names) / sizeof((names)[0]), def, req }

/*
 * Set the default of every row that has one into base.  NULL, or the
 * key of a row whose default its own type refuses (a table's bug).
 */
const char	*intake_keytab_defaults(void *base, const struct intake_keyrow *rows,
		    size_t n);

/*
 * Set key (of section) from value into base by its row.  seen[n] marks
 * the rows set so far.  INTAKE_OK; INTAKE_ENOTFOUND when no row has that
 * key; INTAKE_EINVAL with a problem in why ("set twice", "not a whole
 * number from 1 to 256", "not one of v7, v8", ...).
 */
enum intake_err	intake_keytab_set(void *base, const struct intake_keyrow *rows, size_t n,
		    unsigned char *seen, const char *section, const char *key,
		    const char *value, char *why, size_t whysz);

/* The first required row not seen, or NULL. */
const struct intake_keyrow *intake_keytab_missing(const struct intake_keyrow *rows,
		    size_t n, const unsigned char *seen);

/* The index of value among names[n] (case-insensitive), or -1. */
int		intake_keytab_name_index(const char *const *names, size_t n,
		    const char *value);

#endif
