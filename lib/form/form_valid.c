/*
 * form_valid.c - every rule of a form definition, checked server-side
 * (see form_valid.h).  Lengths count characters, not bytes.  Text values
 * lose their surrounding white space before any check, and numbers are
 * rewritten in their one canonical spelling, in place: what is checked is
 * what is stored.
 */
#include <string.h>

#include <unictype.h>
#include <unistr.h>

#include "util/json.h"

#include "form/form_valid.h"
#include "util/str.h"
#include "util/nelem.h"

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
INTAKE_ROWS(errors, INTAKE_FE__MAX);

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

/* Is the character at s (n bytes left) white space?  Its length into *clen. */
static bool
space_at(const char *s, size_t n, size_t *clen)
{
	ucs4_t	uc;
	int	k;

	k = u8_mbtouc(&uc, (const uint8_t *)s, n);
	*clen = k > 0 ? (size_t)k : 1;
	/* U+FFFD is what u8_mbtouc() says for an invalid byte: not a space. */
	return uc_is_property_white_space(uc);
}

/*
 * Remove the white space (Unicode White_Space: ASCII blanks, NBSP, the
 * ideographic space, ...) around the value in place; its new length into
 * in->len.  Invalid UTF-8 is left for text_ok() to refuse.
 */
static void
trim(struct intake_form_input *in)
{
	size_t	start = 0, end = in->len, k, last;

	while (start < end && space_at(in->value + start, end - start, &k))
		start += k;
	/* Walk forward, remembering where the trailing run of spaces began. */
	last = end;
	for (k = start; k < end; ) {
		size_t	clen;

		if (space_at(in->value + k, end - k, &clen)) {
			if (last == end)
				last = k;
		} else
			last = end;
		k += clen;
	}
	if (start > 0)
		memmove(in->value, in->value + start, last - start);
	in->len = last - start;
	in->value[in->len] = '\0';
}

/*
 * A whole number in its canonical spelling, in place: an optional '-',
 * then digits without leading zeros ("-0" is "0").  A leading '+' and
 * leading zeros are accepted and dropped; anything else is refused.
 */
static bool
canonical_number(struct intake_form_input *in)
{
	char	*v = in->value;
	size_t	 i = 0, d, n = in->len;
	bool	 neg = false;

	if (i < n && (v[i] == '+' || v[i] == '-'))
		neg = v[i++] == '-';
	if (i == n)
		return false;
	for (d = i; d < n; d++)
		if (v[d] < '0' || v[d] > '9')
			return false;
	while (i < n - 1 && v[i] == '0')
		i++;
	if (n - i == 1 && v[i] == '0')
		neg = false;
	if (neg)
		v[0] = '-';
	memmove(v + (neg ? 1 : 0), v + i, n - i);
	in->len = n - i + (neg ? 1 : 0);
	v[in->len] = '\0';
	return true;
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
		/* The caller made it canonical: only the range is left to check. */
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
	case INTAKE_FIELD_TEXT:
	case INTAKE_FIELD_TEXTAREA:
		break;			/* lengths and pattern only */
	case INTAKE_FIELD_SELECT:	/* choices and files are not text: */
	case INTAKE_FIELD_MULTISELECT:	/* check_field() never asks */
	case INTAKE_FIELD_CHECKBOXES:
	case INTAKE_FIELD_RADIO:
	case INTAKE_FIELD_FILE:
	case INTAKE_FIELD__MAX:
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

/*
 * Take the file part in as fd's value.  INTAKE_FE__MAX when taken (or an
 * empty file input, skipped), else the problem.
 */
static enum intake_field_error
take_file(const struct intake_form_input *in, struct intake_form_value *val)
{
	/* An empty file input sends a part with no name and no bytes. */
	if (in->file == NULL || (in->file->filename[0] == '\0' && in->file->len == 0))
		return INTAKE_FE__MAX;
	if (val->file_name != NULL)
		return INTAKE_FE_TOO_MANY;
	if (in->file->len > INTAKE_FILE_MAX)
		return INTAKE_FE_FILE_TOO_LARGE;
	val->file_name = in->file->filename;
	val->file_type = in->file->content_type;
	val->file_data = in->file->data;
	val->file_len = in->file->len;
	return INTAKE_FE__MAX;
}

/*
 * Check one non-empty text value of fd (rewritten in place first, unless
 * a choice).  INTAKE_FE__MAX when fine, else the problem.
 */
static enum intake_field_error
check_value(const struct intake_field *fd, struct intake_form_input *in,
    intake_offered_fn offered, void *arg, const char *parent)
{
	if (intake_field_has_source(fd->type)) {
		if (!text_ok(in->value, in->len, false))
			return INTAKE_FE_ENCODING;
		/* Logged by the 422's line (fields=NAME:not_offered), rate limited. */
		if (fd->nchoices > 0 ? !intake_field_choice_offered(fd, in->value) :
		    !offered(arg, fd, in->value, parent))
			return INTAKE_FE_NOT_OFFERED;
		return INTAKE_FE__MAX;
	}
	if (fd->type == INTAKE_FIELD_NUMBER && text_ok(in->value, in->len, false) &&
	    !canonical_number(in))
		return INTAKE_FE_NUMBER;
	return check_text(fd, in->value, in->len);
}

/*
 * The value sent for fd's parent field (its first non-empty one), or
 * NULL when fd has no parent or it was left empty.  The parent's own
 * check says whether that value was offered; here it only picks which of
 * fd's choices are.
 */
static const char *
parent_value(const struct intake_field *fd, const struct intake_form_input *in, size_t n)
{
	size_t	i;

	if (fd->parent[0] == '\0')
		return NULL;
	for (i = 0; i < n; i++)
		if (in[i].value != NULL && in[i].len > 0 && strcmp(in[i].name, fd->parent) == 0)
			return in[i].value;
	return NULL;
}

/* Check one field against the inputs naming it. */
static void
check_field(const struct intake_field *fd, struct intake_form_input *in, size_t n,
    intake_offered_fn offered, void *arg, struct intake_form_value *val,
    struct intake_field_problem *p, size_t *np)
{
	enum intake_field_error	e = INTAKE_FE__MAX;
	size_t			i;
	size_t			max = intake_field_takes_many(fd->type) ?
	    INTAKE_REQSTART_VALUES_MAX : 1;

	memset(val, 0, sizeof(*val));
	val->field = fd;
	for (i = 0; i < n && e == INTAKE_FE__MAX; i++) {
		if (strcmp(in[i].name, fd->name) != 0)
			continue;
		if (fd->type == INTAKE_FIELD_FILE) {
			e = take_file(&in[i], val);
			continue;
		}
		if (in[i].value == NULL)
			continue;
		/*
		 * Choices must be offered exactly as they are; everything
		 * else counts without surrounding spaces ("   " is empty).
		 */
		if (!intake_field_has_source(fd->type))
			trim(&in[i]);
		if (in[i].len == 0)
			continue;	/* an empty value is no value */
		if (val->nvalues == max)
			e = INTAKE_FE_TOO_MANY;
		else
			e = check_value(fd, &in[i], offered, arg, parent_value(fd, in, n));
		if (e == INTAKE_FE__MAX)
			val->values[val->nvalues++] = in[i].value;
	}
	if (e != INTAKE_FE__MAX)
		problem(p, np, fd->name, e);
	else if (fd->required && val->nvalues == 0 && val->file_name == NULL)
		problem(p, np, fd->name, INTAKE_FE_REQUIRED);
}

enum intake_err
intake_form_validate(const struct intake_form *form, struct intake_form_input *in,
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

enum intake_err
intake_field_problems_json(struct intake_buf *b, const struct intake_field_problem *p,
    size_t n)
{
	const char	*code, *msg;
	enum intake_err	 err;
	size_t		 i;

	intake_buf_adds(b, "{\"errors\":[");
	for (i = 0; i < n; i++) {
		code = intake_field_error_code(p[i].code);
		msg = intake_field_error_message(p[i].code);
		intake_buf_adds(b, i > 0 ? ",{\"field\":" : "{\"field\":");
		/* An unknown name is the client's: cut and made valid UTF-8. */
		err = intake_json_echo(b, p[i].field, strlen(p[i].field), INTAKE_JSON_ECHO_MAX);
		if (err != INTAKE_OK)
			return err;	/* a failure in its scratch buffer is not b's */
		intake_buf_adds(b, ",\"code\":");
		intake_json_quote(b, code, strlen(code));
		intake_buf_adds(b, ",\"message\":");
		intake_json_quote(b, msg, strlen(msg));
		intake_buf_addc(b, '}');
	}
	intake_buf_adds(b, "]}\n");
	return intake_buf_err(b);
}
