/*
 * form.h - public intake form definitions: one INI file per form in
 * forms_dir, loaded and checked after the config, by the process model.
 *
 * A definition names the Integrify process the form starts, and lists
 * its fields: label, help, type, bounds, pattern, default, the source of
 * a choice field, and the Integrify key the value maps to.
 */
#ifndef INTAKE_FORM_H
#define INTAKE_FORM_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"
#include "form/lang.h"

#define INTAKE_FORMS_MAX	64
#define INTAKE_FIELDS_MAX	64
#define INTAKE_FORM_ID_MAX	65
#define INTAKE_CHOICES_MAX	64	/* fixed choices of one field */
#define INTAKE_CHOICES_TEXT_MAX	1024	/* bytes of a field's choices key */

struct intake_source;

enum intake_field_type {
	INTAKE_FIELD_TEXT,
	INTAKE_FIELD_TEXTAREA,
	INTAKE_FIELD_EMAIL,
	INTAKE_FIELD_NUMBER,
	INTAKE_FIELD_DATE,
	INTAKE_FIELD_SELECT,		/* one value from a source */
	INTAKE_FIELD_MULTISELECT,	/* values from a source, as a <select multiple> */
	INTAKE_FIELD_CHECKBOXES,	/* values from a source, as a checkbox group */
	INTAKE_FIELD_FILE,
	INTAKE_FIELD_RADIO,		/* one value from a source or choices, as a radio group */
	INTAKE_FIELD__MAX
};

/*
 * What can be wrong with a submitted value.  Each has a stable code
 * ("required", ...), a sentence for people (form_valid.c), and a key
 * message.CODE in a field's definition that replaces the sentence.
 */
enum intake_field_error {
	INTAKE_FE_REQUIRED,	/* empty but required */
	INTAKE_FE_TOO_SHORT,	/* fewer characters than min_length */
	INTAKE_FE_TOO_LONG,	/* more characters than max_length */
	INTAKE_FE_PATTERN,	/* does not match the pattern */
	INTAKE_FE_EMAIL,	/* not an email address */
	INTAKE_FE_NUMBER,	/* not a number (whole, or with the step's decimals) */
	INTAKE_FE_DATE,		/* not a date YYYY-MM-DD */
	INTAKE_FE_RANGE,	/* below min or above max */
	INTAKE_FE_NOT_OFFERED,	/* a choice that was never offered (tampering) */
	INTAKE_FE_ENCODING,	/* invalid UTF-8 or control characters */
	INTAKE_FE_TOO_MANY,	/* several values for a one-value field */
	INTAKE_FE_UNKNOWN,	/* not a field of this form */
	INTAKE_FE_FILE_TOO_LARGE,	/* over the field's max_size */
	INTAKE_FE_NO_SUCH_DATE,	/* YYYY-MM-DD, but no such day (2027-02-30) */
	INTAKE_FE_STEP,		/* a number off the field's step */
	INTAKE_FE_FILE_TYPE,	/* a file not of the field's accept types, by name or content */
	INTAKE_FE__MAX
};

/* The default max_size of a file field: 5 MiB (a request is within body_max anyway). */
#define INTAKE_FILE_MAX		(5u << 20)
#define INTAKE_FIELD_MESSAGE_MAX	200	/* bytes of a message.CODE, with NUL */
#define INTAKE_STEP_DECIMALS_MAX	6	/* decimals a number field's step may have */

struct intake_field {
	char			name[64];	/* HTML name: a-z 0-9 _ */
	char			label[256];
	char			help[512];
	/* label.LANG, help.LANG: the words in another language; "": label, help. */
	char			label_in[INTAKE_LANG__MAX - 1][256];	/* [lang - 1] */
	char			help_in[INTAKE_LANG__MAX - 1][512];
	enum intake_field_type	type;
	bool			required;
	long long		min_length;	/* characters; -1: none */
	long long		max_length;	/* characters; -1: none */
	char			pattern[256];	/* POSIX ERE the whole value must match */
	regex_t			re;		/* compiled pattern, when set */
	bool			has_re;
	char			min[32];	/* number or YYYY-MM-DD; "": none */
	char			max[32];
	char			def[512];	/* default value */
	char			source[64];	/* [source:NAME] of a choice field */
	char			key[128];	/* the Integrify field key */
	/* Rules and messages (form_valid.c checks them). */
	char			step[32];	/* number: "" (1), or a step such as 0.01 */
	long long		max_size;	/* file: most bytes */
	char			accept[128];	/* file: extensions ("pdf png"); "": any */
	/* message.CODE: this field's sentence for a problem; "": the default. */
	char			message[INTAKE_FE__MAX][INTAKE_FIELD_MESSAGE_MAX];
	/*
	 * Fixed choices instead of a source: "A | B" or "value = label | ...",
	 * with \| \= \\ for a literal | = \ (intake_form_parse_choices).
	 */
	char			choices[INTAKE_CHOICES_TEXT_MAX];
	char			choice_text[INTAKE_CHOICES_TEXT_MAX];	/* unescaped, NUL-separated */
	unsigned short		choice_at[INTAKE_CHOICES_MAX][2];	/* value, label offsets */
	size_t			nchoices;
	/* Cascading: the one-value choice field whose value narrows this list. */
	char			parent[64];	/* its name; "": none */
	char			parent_column[128];	/* the column of this list holding it */
	size_t			parent_index;	/* its index in the form's fields */
};

struct intake_form {
	char			id[INTAKE_FORM_ID_MAX];	/* from the file name */
	char			path[512];
	char			title[256];
	char			description[1024];
	char			submit_label[64];	/* "": the catalog's (lang.h) */
	/* title.LANG, description.LANG, submit_label.LANG ([lang - 1]); "": the plain key's. */
	char			title_in[INTAKE_LANG__MAX - 1][256];
	char			description_in[INTAKE_LANG__MAX - 1][1024];
	char			submit_label_in[INTAKE_LANG__MAX - 1][64];
	char			lang[8];	/* a language code: every page in it; "": the client's */
	char			process[128];	/* the Integrify process SID */
	char			task[128];	/* v8: the first task's SID */
	char			reference_key[128];	/* Integrify key for the reference; "": none */
	struct intake_field	fields[INTAKE_FIELDS_MAX];
	size_t			nfields;
};

/*
 * The loaded form definitions.  The process model loads them beside the
 * config (at start, for -t and on SIGHUP) and hands them to the workers
 * through their ctx; it owns them.
 */
struct intake_forms {
	struct intake_form	*form;	/* n of them, in file name order; owned */
	size_t			 n;
};

/*
 * Load every *.conf in dir as a form (id = file name without .conf), and
 * check it against the config's sources (nsources of them): a choice
 * field must name a [source:NAME] there.  dir "" means no forms: an
 * empty set.  On failure returns INTAKE_ECONFIG with a message naming the
 * file, the field and the problem, and *out untouched.  The caller frees
 * *out with intake_forms_free().
 */
enum intake_err	intake_forms_load(const char *dir, const struct intake_source *sources,
		    size_t nsources, struct intake_forms **out, char *errbuf, size_t errsz);
/* Free the set and every form in it; NULL is fine. */
void		intake_forms_free(struct intake_forms *forms);

/*
 * Parse one form definition from text (NUL-terminated INI) as the form
 * id, checked as intake_forms_load() checks a file.  On failure
 * INTAKE_ECONFIG and a message in errbuf, and *out holds nothing to free.
 * On success release it with intake_forms_free_one().  For the fuzzer and
 * tests.
 */
enum intake_err	intake_form_parse_string(const char *text, const char *id,
		    const struct intake_source *sources, size_t nsources,
		    struct intake_form *out, char *errbuf, size_t errsz);
/* Free what one form holds (its compiled patterns), not the form itself. */
void		intake_forms_free_one(struct intake_form *f);

/* The form of forms called id (idlen bytes), or NULL; forms may be NULL. */
const struct intake_form *intake_form_find(const struct intake_forms *forms, const char *id,
		    size_t idlen);

const char	*intake_field_type_name(enum intake_field_type t);
/* Is the type a choice (values from a source or the field's fixed choices)? */
bool		 intake_field_has_source(enum intake_field_type t);
/* Does the type take several values at once (multiselect, checkboxes)? */
bool		 intake_field_takes_many(enum intake_field_type t);

/*
 * The decimals of fd's step (0 when it has none, or a whole step).  The
 * loader made sure a number field's step, min and max have at most
 * INTAKE_STEP_DECIMALS_MAX.
 */
int		 intake_field_decimals(const struct intake_field *fd);

/*
 * s[len] as a number with at most decimals decimals, times 10^decimals,
 * into *out: an optional '-' or '+', digits, and optionally '.' and
 * digits (no exponent, no ".5" or "5.").  Its size is within
 * +-10^12.  INTAKE_OK, or INTAKE_EINVAL and *out untouched.
 */
enum intake_err	 intake_field_decimal(const char *s, size_t len, int decimals,
		    long long *out);

/*
 * The MIME types libmagic says for the bytes of a file of extension ext
 * (lower case, no dot; NULL-terminated), or NULL for an extension the
 * accept key does not know.
 */
const char *const *intake_file_type_mimes(const char *ext, size_t len);

/*
 * Parse a choices key (text) into fd's choice_text, choice_at and
 * nchoices: items split at an unescaped '|', each "value" or
 * "value = label" (split at the first unescaped '='), spaces and tabs
 * around each part dropped; a backslash makes the next '|', '=' or backslash
 * literal.  A problem (empty value, repeated value, a lone backslash, too
 * many or too long) is returned as a sentence, else NULL.
 */
const char	*intake_form_parse_choices(struct intake_field *fd, const char *text);
/* Choice i (< fd->nchoices) of fd: its value and its label. */
const char	*intake_field_choice_value(const struct intake_field *fd, size_t i);
const char	*intake_field_choice_label(const struct intake_field *fd, size_t i);

/*
 * A form's or field's words in lang: its KEY.LANG when the definition has
 * one, else its plain KEY (a submit label neither names is the catalog's).
 * Never NULL; borrowed from f or fd, or static.
 */
const char	*intake_form_title(const struct intake_form *f, enum intake_lang lang);
const char	*intake_form_description(const struct intake_form *f, enum intake_lang lang);
const char	*intake_form_submit_label(const struct intake_form *f, enum intake_lang lang);
const char	*intake_field_label(const struct intake_field *fd, enum intake_lang lang);
const char	*intake_field_help(const struct intake_field *fd, enum intake_lang lang);
/* Is value (exactly) one of fd's fixed choices? */
bool		 intake_field_choice_offered(const struct intake_field *fd, const char *value);

/* "form.KEY" and "field:NAME.KEY" names of every definition key, NULL-terminated. */
const char *const *intake_form_keys(void);

#endif
