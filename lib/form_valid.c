/*
 * form_valid.c - every rule of a form definition, checked server-side
 * (see form_valid.h).  Lengths count characters, not bytes.
 */
#include <string.h>

#include <unistr.h>

#include "intake/form_valid.h"
#include "intake/log.h"
#include "intake/str.h"

static const struct {
	const char	*code;
	const char	*message;
} errors[] = {
	{ "required", "Please fill in this field." },			/* INTAKE_FE_REQUIRED */
	{ "too_short", "This is shorter than allowed." },		/* INTAKE_FE_TOO_SHORT */
	{ "too_long", "This is longer than allowed." },			/* INTAKE_FE_TOO_LONG */
	{ "pattern", "This does not have the expected format." },	/* INTAKE_FE_PATTERN */
	{ "email", "Enter an email address such as name@example.com." },	/* INTAKE_FE_EMAIL */
	{ "number", "Enter a whole number." },				/* INTAKE_FE_NUMBER */
	{ "date", "Enter a date as YYYY-MM-DD." },			/* INTAKE_FE_DATE */
	{ "out_of_range", "This value is outside the allowed range." },	/* INTAKE_FE_RANGE */
	{ "not_offered", "Choose one of the listed options." },		/* INTAKE_FE_NOT_OFFERED */
	{ "encoding", "This contains characters that are not allowed." },	/* INTAKE_FE_ENCODING */
	{ "too_many", "Only one value is allowed here." },		/* INTAKE_FE_TOO_MANY */
	{ "unknown_field", "This form has no such field." },		/* INTAKE_FE_UNKNOWN */
	{ "file_too_large", "The file is larger than 5 MB." },		/* INTAKE_FE_FILE_TOO_LARGE */
};
_Static_assert(sizeof(errors) / sizeof(errors[0]) == INTAKE_FE__MAX,
    "errors[] needs one row per enum intake_field_error");

const char *
intake_field_error_code(enum intake_field_error e)
{
	return (unsigned)e < INTAKE_FE__MAX ? errors[e].code : "invalid";
}

const char *
intake_field_error_message(enum intake_field_error e)
{
	return (unsigned)e < INTAKE_FE__MAX ? errors[e].message : "This value is not valid.";
}

/* UTF-8 without NUL, DEL or C0 controls (tab, CR and LF only in text areas). */
static bool
text_ok(const char *s, size_t len, bool multiline)
{
	size_t	i;

	if (u8_check((const uint8_t *)s, len) != NULL)
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == 0x7f || (c < 0x20 && !(multiline && (c == '\t' || c == '\r' ||
		    c == '\n'))))
			return false;
	}
	return true;
}

/* A plain address: one @, a local part, a dotted domain, no spaces. */
static bool
email_ok(const char *s, size_t len)
{
	const char	*at = memchr(s, '@', len), *dot;

	if (len > 254 || at == NULL || at == s || memchr(at + 1, '@', len - (size_t)(at + 1 - s)))
		return false;
	if (memchr(s, ' ', len) != NULL)
		return false;
	dot = memchr(at + 1, '.', len - (size_t)(at + 1 - s));
	return dot != NULL && dot > at + 1 && dot < s + len - 1;
}

/* The first problem of one text value of fd, or INTAKE_FE__MAX when fine. */
static enum intake_field_error
check_text(const struct intake_field *fd, const char *v, size_t len)
{
	long long	n, lo, hi;
	size_t		chars;

	if (!text_ok(v, len, fd->type == INTAKE_FIELD_TEXTAREA))
		return INTAKE_FE_ENCODING;
	chars = u8_mbsnlen((const uint8_t *)v, len);
	if (fd->min_length >= 0 && chars < (size_t)fd->min_length)
		return INTAKE_FE_TOO_SHORT;
	if (fd->max_length >= 0 && chars > (size_t)fd->max_length)
		return INTAKE_FE_TOO_LONG;
	switch (fd->type) {
	case INTAKE_FIELD_EMAIL:
		if (!email_ok(v, len))
			return INTAKE_FE_EMAIL;
		break;
	case INTAKE_FIELD_NUMBER:
		if (intake_parse_intn(v, len, -1000000000000LL, 1000000000000LL, &n) != INTAKE_OK)
			return INTAKE_FE_NUMBER;
		lo = hi = 0;
		if ((fd->min[0] != '\0' && intake_parse_int(fd->min, -1000000000000LL,
		    1000000000000LL, &lo) == INTAKE_OK && n < lo) ||
		    (fd->max[0] != '\0' && intake_parse_int(fd->max, -1000000000000LL,
		    1000000000000LL, &hi) == INTAKE_OK && n > hi))
			return INTAKE_FE_RANGE;
		break;
	case INTAKE_FIELD_DATE:
		if (!intake_date_valid(v, len))
			return INTAKE_FE_DATE;
		/* YYYY-MM-DD compares as text. */
		if ((fd->min[0] != '\0' && strcmp(v, fd->min) < 0) ||
		    (fd->max[0] != '\0' && strcmp(v, fd->max) > 0))
			return INTAKE_FE_RANGE;
		break;
	default:
		break;
	}
	if (fd->has_re && regexec(&fd->re, v, 0, NULL, 0) != 0)
		return INTAKE_FE_PATTERN;
	return INTAKE_FE__MAX;
}

static void
problem(struct intake_field_problem *p, size_t *n, const char *field,
    enum intake_field_error code)
{
	p[*n].field = field;
	p[*n].code = code;
	(*n)++;
}

/* Check one field against the inputs naming it. */
static void
check_field(const struct intake_field *fd, const struct intake_form_input *in, size_t n,
    intake_offered_fn offered, void *arg, struct intake_form_value *val,
    struct intake_field_problem *p, size_t *np)
{
	enum intake_field_error	e;
	size_t			i;
	bool			multi = fd->type == INTAKE_FIELD_MULTISELECT ||
	    fd->type == INTAKE_FIELD_CHECKBOXES;

	memset(val, 0, sizeof(*val));
	val->field = fd;
	for (i = 0; i < n; i++) {
		if (strcmp(in[i].name, fd->name) != 0)
			continue;
		if (fd->type == INTAKE_FIELD_FILE) {
			/* An empty file input sends a part with no name and no bytes. */
			if (in[i].file == NULL || (in[i].file->filename[0] == '\0' &&
			    in[i].file->len == 0))
				continue;
			if (val->file_name != NULL) {
				problem(p, np, fd->name, INTAKE_FE_TOO_MANY);
				return;
			}
			if (in[i].file->len > INTAKE_FILE_MAX) {
				problem(p, np, fd->name, INTAKE_FE_FILE_TOO_LARGE);
				return;
			}
			val->file_name = in[i].file->filename;
			val->file_type = in[i].file->content_type;
			val->file_data = in[i].file->data;
			val->file_len = in[i].file->len;
			continue;
		}
		if (in[i].value == NULL || in[i].len == 0)
			continue;	/* an empty value is no value */
		if (val->nvalues == (multi ? INTAKE_REQSTART_VALUES_MAX : 1)) {
			problem(p, np, fd->name, INTAKE_FE_TOO_MANY);
			return;
		}
		if (intake_field_has_source(fd->type)) {
			if (!text_ok(in[i].value, in[i].len, false)) {
				problem(p, np, fd->name, INTAKE_FE_ENCODING);
				return;
			}
			if (!offered(arg, fd, in[i].value)) {
				intake_log_warn("form: field %s: a value that was never offered "
				    "(tampering)", fd->name);
				problem(p, np, fd->name, INTAKE_FE_NOT_OFFERED);
				return;
			}
		} else {
			e = check_text(fd, in[i].value, in[i].len);
			if (e != INTAKE_FE__MAX) {
				problem(p, np, fd->name, e);
				return;
			}
		}
		val->values[val->nvalues++] = in[i].value;
	}
	if (fd->required && val->nvalues == 0 && val->file_name == NULL)
		problem(p, np, fd->name, INTAKE_FE_REQUIRED);
}

enum intake_err
intake_form_validate(const struct intake_form *form, const struct intake_form_input *in,
    size_t n, intake_offered_fn offered, void *arg, struct intake_form_value *values,
    struct intake_field_problem *problems, size_t *nproblems)
{
	size_t	i, j, np = 0;

	if (n > INTAKE_FORM_INPUTS_MAX)
		return INTAKE_ETOOBIG;
	/* Mass assignment: a name the form does not have is refused. */
	for (i = 0; i < n; i++) {
		if (strcmp(in[i].name, "_token") == 0 || strcmp(in[i].name, "website") == 0)
			continue;
		for (j = 0; j < form->nfields; j++)
			if (strcmp(in[i].name, form->fields[j].name) == 0)
				break;
		if (j == form->nfields)
			problem(problems, &np, in[i].name, INTAKE_FE_UNKNOWN);
	}
	for (j = 0; j < form->nfields; j++)
		check_field(&form->fields[j], in, n, offered, arg, &values[j], problems, &np);
	*nproblems = np;
	return INTAKE_OK;
}
