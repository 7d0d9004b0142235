/*
 * keytab.h - configuration keys checked against a table of rows.
 *
 * The main config (config.c) and the form definitions (form.c) are both
 * INI files whose keys are rows of a table: a name, a type, where the
 * value goes in a struct, its bounds or its allowed names, a default and
 * whether it is required.  This module parses one value by its row, and
 * refuses an unknown or repeated key, so every file reader states what
 * it takes as data and parses nothing by hand.  The one INI loader both
 * use (struct intake_keyload) reads lines of up to 4096 bytes and words every problem the
 * same way: "PATH: [section] key: problem".
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

/*
 * One INI file (or text) being read against key tables.  A reader embeds
 * it in its own state, handed to the reader as user; its callback sets keys
 * with intake_keyload_set() and notes other problems with
 * intake_keyload_fail(), returning 0 to stop at the first.
 */
struct intake_keyload {
	const char	*path;		/* named in every message */
	const char	*unknown;	/* the problem told of an unknown key */
	char		*err;		/* the first problem, NUL-terminated */
	size_t		 errsz;
	bool		 failed;	/* a problem was noted */
};

#define INTAKE_INI_LINE_MAX	4096		/* bytes of one line, without its newline */
#define INTAKE_INI_VALUE_MAX	16384		/* bytes of a value with its continuations */
#define INTAKE_INI_FILE_MAX	(1 << 20)	/* bytes of one file */
#define INTAKE_INI_NAME_MAX	128		/* bytes of a section or key name, with NUL */

/* The reader's callback: 1 to go on, 0 to stop. */
typedef int	(*intake_keyload_fn)(void *user, const char *section, const char *key,
		    const char *value);

/*
 * Start reading path (kept, not copied): problems go to err (errsz
 * bytes, caller-owned); unknown is what an unknown key is told.
 */
void		intake_keyload_init(struct intake_keyload *l, const char *path,
		    const char *unknown, char *err, size_t errsz);

/*
 * Note problem with key of section as "PATH: [section] key: problem",
 * unless a problem was noted before (the first one is the one told).
 */
void		intake_keyload_fail(struct intake_keyload *l, const char *section,
		    const char *key, const char *problem);

/*
 * Set key from value into base by its row of rows[n] (intake_keytab_set).
 * 1 when set; 0 with the problem noted (an unknown key is told
 * l->unknown), for the callback to return.
 */
int		intake_keyload_set(struct intake_keyload *l, void *base,
		    const struct intake_keyrow *rows, size_t n, unsigned char *seen,
		    const char *section, const char *key, const char *value);

/*
 * Read text (NUL-terminated), or the file l->path when text is NULL, as
 * INI, calling fn(user, ...) for each key.  A line holds at most
 * INTAKE_INI_LINE_MAX bytes (without its newline).  An indented line
 * continues the value above it, joined by one space; a blank or comment
 * line ends a value.  INTAKE_OK when the whole input was read with no
 * problem noted; else INTAKE_ECONFIG with the problem in l->err: the
 * callback's, or the reader's own ("PATH: line N: longer than 4096
 * bytes", "PATH: line N: a continuation with no key before it ...",
 * "PATH: cannot open: REASON").
 */
enum intake_err	intake_keyload_parse(struct intake_keyload *l, const char *text,
		    intake_keyload_fn fn, void *user);

/*
 * Note that section is none of known[n] (a "kind:NAME" entry stands for
 * every section of that kind), as "PATH: [spol]: unknown section; did
 * you mean [spool]?" when one is within two edits, else without the
 * hint; unless a problem was noted before.
 */
void		intake_keyload_unknown_section(struct intake_keyload *l, const char *section,
		    const char *const *known, size_t n);

#endif
