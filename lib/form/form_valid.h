/*
 * form_valid.h - checking a submitted form against its definition.
 *
 * Every field is checked, and every problem reported at once, each as
 * {field, code}; a message for people comes from a table.  Nothing that
 * is not a field of the form is accepted (no mass assignment).
 */
#ifndef INTAKE_FORM_VALID_H
#define INTAKE_FORM_VALID_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"
#include "util/err.h"
#include "form/form.h"
#include "form/lang.h"
#include "web/multipart.h"
#include "form/value.h"

#define INTAKE_PROBLEM_TEXT_MAX	128

struct intake_field_problem {
	const char		*field;	/* the field's name (or the unknown name sent) */
	enum intake_field_error	 code;
	const struct intake_field *fd;	/* the field; NULL for an unknown name */
	char			 text[INTAKE_PROBLEM_TEXT_MAX];	/* a sentence for this value; "": the code's */
	enum intake_lang	 lang;	/* the language of text and of the code's sentence */
};

/* One submitted name/value (text) or file part. */
struct intake_form_input {
	const char		*name;
	char			*value;		/* text parts, NUL-terminated; NULL for a file */
	size_t			 len;
	const struct intake_part *file;		/* file parts; NULL for text */
};

/*
 * Was value offered as a choice of fd's source?  (The handler asks the
 * live list.)  parent is the value sent for fd's parent field (fd->parent),
 * NULL when fd has none or it was left empty: with one, value must be
 * among the choices that parent value offers.  Fixed choices
 * (fd->nchoices) are checked here, without asking.
 */
typedef bool (*intake_offered_fn)(void *arg, const struct intake_field *fd, const char *value,
    const char *parent);

/*
 * Check n inputs against form.  values gets one entry per field, in form
 * order (form->nfields), pointing into the inputs.  Values of fields
 * without a source are rewritten in place first (value and len): the
 * white space around them (Unicode White_Space) is removed, so "   " is
 * empty and lengths count what is kept, and a number gets its canonical
 * spelling ("+007" is "7", "-0" is "0"); what the checks see is what is
 * stored.  Choice values are compared with the offered ones as sent.  problems (room for
 * INTAKE_FIELDS_MAX + INTAKE_FORM_INPUTS_MAX) gets every problem found;
 * *nproblems is 0 when the submission is valid.  Honeypot and token
 * fields ("website", "_token") are skipped: the caller handles them.
 * Sentences made for a value are in lang, as are the codes' sentences
 * the problems name (intake_field_problem_message).
 */
#define INTAKE_FORM_INPUTS_MAX	64

enum intake_err	intake_form_validate(const struct intake_form *form, enum intake_lang lang,
		    struct intake_form_input *in, size_t n, intake_offered_fn offered,
		    void *arg, struct intake_form_value *values,
		    struct intake_field_problem *problems, size_t *nproblems);

/*
 * Append the 422 body {"errors":[{"field","code","message"},...]} for n
 * problems.  A field name the client made up is cut at
 * INTAKE_JSON_ECHO_MAX bytes on a character boundary, and invalid UTF-8
 * in it becomes U+FFFD: the body is always valid UTF-8 JSON.
 */
enum intake_err	intake_field_problems_json(struct intake_buf *b,
		    const struct intake_field_problem *p, size_t n);

/* The stable code ("required", "too_long", ...) and a sentence for people in lang. */
const char	*intake_field_error_code(enum intake_field_error e);
const char	*intake_field_error_message(enum intake_field_error e, enum intake_lang lang);

/*
 * The sentence people see for p: the field's message.CODE when the form
 * definition has one, else the sentence made for this value ("There is
 * no 30 February 2027."), else the code's.  Never NULL; borrowed from p,
 * its field or a static table.
 */
const char	*intake_field_problem_message(const struct intake_field_problem *p);

#endif
