/*
 * form_valid.c - every rule of a form definition, checked server-side
 * (see form_valid.h).  Lengths count characters, not bytes.  Text values
 * lose their surrounding white space before any check, and numbers are
 * rewritten in their one canonical spelling, in place: what is checked is
 * what is stored.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <magic.h>
#include <unictype.h>
#include <unistr.h>

#include "util/json.h"

#include "form/form_valid.h"
#include "util/str.h"
#include "util/nelem.h"

/* The stable code of each problem; its sentence is in the catalog (lang.h). */
static const char *const codes[] = {
	"required",		/* INTAKE_FE_REQUIRED */
	"too_short",		/* INTAKE_FE_TOO_SHORT */
	"too_long",		/* INTAKE_FE_TOO_LONG */
	"pattern",		/* INTAKE_FE_PATTERN */
	"email",		/* INTAKE_FE_EMAIL */
	"number",		/* INTAKE_FE_NUMBER */
	"date",			/* INTAKE_FE_DATE */
	"out_of_range",		/* INTAKE_FE_RANGE */
	"not_offered",		/* INTAKE_FE_NOT_OFFERED */
	"encoding",		/* INTAKE_FE_ENCODING */
	"too_many",		/* INTAKE_FE_TOO_MANY */
	"unknown_field",	/* INTAKE_FE_UNKNOWN */
	"file_too_large",	/* INTAKE_FE_FILE_TOO_LARGE */
	"no_such_date",		/* INTAKE_FE_NO_SUCH_DATE */
	"step",			/* INTAKE_FE_STEP */
	"file_type",		/* INTAKE_FE_FILE_TYPE */
};
INTAKE_ROWS(codes, INTAKE_FE__MAX);
_Static_assert(INTAKE_MSG_FE_FILE_TYPE - INTAKE_MSG_FE_REQUIRED == INTAKE_FE_FILE_TYPE &&
    INTAKE_MSG_FE_INVALID - INTAKE_MSG_FE_REQUIRED == INTAKE_FE__MAX,
    "the catalog's field problems follow enum intake_field_error");

/* A sentence made for one value, in the language of the page that shows it. */
struct say {
	enum intake_lang	lang;
	char			text[INTAKE_PROBLEM_TEXT_MAX];
};

/* Catalog sentence d into say's text, each %s by the next of a, b, c. */
static void
fill(struct say *say, enum intake_msg d, const char *a, const char *b, const char *c)
{
	const char	*args[3] = { a, b, c }, *f = intake_msg(say->lang, d);
	char		*text = say->text;
	size_t		 o = 0, k = 0, n;

	while (*f != '\0' && o < INTAKE_PROBLEM_TEXT_MAX - 1) {
		if (f[0] == '%' && f[1] == 's' && k < 3) {
			n = strlen(args[k] != NULL ? args[k] : "");
			if (n > INTAKE_PROBLEM_TEXT_MAX - 1 - o)
				n = INTAKE_PROBLEM_TEXT_MAX - 1 - o;
			memcpy(text + o, args[k] != NULL ? args[k] : "", n);
			o += n;
			k++;
			f += 2;
		} else
			text[o++] = *f++;
	}
	text[o] = '\0';
}

const char *
intake_field_error_code(enum intake_field_error e)
{
	return (unsigned)e < INTAKE_FE__MAX ? codes[e] : "invalid";
}

const char *
intake_field_error_message(enum intake_field_error e, enum intake_lang lang)
{
	return intake_msg(lang, (unsigned)e < INTAKE_FE__MAX ?
	    (enum intake_msg)(INTAKE_MSG_FE_REQUIRED + e) : INTAKE_MSG_FE_INVALID);
}

const char *
intake_field_problem_message(const struct intake_field_problem *p)
{
	if (p->fd != NULL && (unsigned)p->code < INTAKE_FE__MAX &&
	    p->fd->message[p->code][0] != '\0')
		return p->fd->message[p->code];
	if (p->text[0] != '\0')
		return p->text;
	return intake_field_error_message(p->code, p->lang);
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
 * A number in its canonical spelling, in place: the shortest one, an
 * optional '-', digits without leading zeros, and the decimals (at most
 * the step's) without trailing zeros ("+007" is "7", "-0.0" is "0",
 * "12.50" is "12.5").  Anything else (".5", "5.", "1e3", "1,5") is
 * refused.  The canonical spelling is never longer than the one sent.
 */
static bool
canonical_number(struct intake_form_input *in, int dec)
{
	char			out[48];
	unsigned long long	a, scale = 1, ip, fp;
	long long		n;
	int			k, fd = dec;
	int			w;

	if (intake_field_decimal(in->value, in->len, dec, &n) != INTAKE_OK)
		return false;
	for (k = 0; k < dec; k++)
		scale *= 10;
	a = n < 0 ? 0ULL - (unsigned long long)n : (unsigned long long)n;
	ip = a / scale;
	fp = a % scale;
	while (fd > 0 && fp % 10 == 0) {
		fp /= 10;
		fd--;
	}
	if (fd > 0)
		w = snprintf(out, sizeof(out), "%s%llu.%0*llu", n < 0 ? "-" : "", ip, fd, fp);
	else
		w = snprintf(out, sizeof(out), "%s%llu", n < 0 ? "-" : "", ip);
	if (w < 0 || (size_t)w > in->len)
		return false;
	memcpy(in->value, out, (size_t)w + 1);
	in->len = (size_t)w;
	return true;
}

/*
 * Why v (len bytes) is no date: FE_DATE when it is not shaped YYYY-MM-DD,
 * FE_NO_SUCH_DATE with its sentence in text when that day does not exist
 * ("There is no 30 February 2027.").  INTAKE_FE__MAX when it is a date.
 */
static enum intake_field_error
check_date(const char *v, size_t len, struct say *text)
{
	char		day[4], month[3], year[5];
	long long	m, d;
	size_t		i;

	if (intake_date_valid(v, len))
		return INTAKE_FE__MAX;
	if (len != 10 || v[4] != '-' || v[7] != '-')
		return INTAKE_FE_DATE;
	for (i = 0; i < len; i++)
		if (i != 4 && i != 7 && (v[i] < '0' || v[i] > '9'))
			return INTAKE_FE_DATE;
	if (memcmp(v, "0000", 4) == 0 || intake_parse_intn(v + 5, 2, 0, 99, &m) != INTAKE_OK ||
	    intake_parse_intn(v + 8, 2, 0, 99, &d) != INTAKE_OK)
		return INTAKE_FE_DATE;
	memcpy(month, v + 5, 2);
	month[2] = '\0';
	if (m < 1 || m > 12) {
		fill(text, INTAKE_MSG_NO_SUCH_MONTH, month, NULL, NULL);
		return INTAKE_FE_NO_SUCH_DATE;
	}
	(void)snprintf(day, sizeof(day), "%lld", d);
	memcpy(year, v, 4);
	year[4] = '\0';
	fill(text, INTAKE_MSG_NO_SUCH_DAY, day,
	    intake_msg(text->lang, (enum intake_msg)(INTAKE_MSG_MONTH_1 + m - 1)), year);
	return INTAKE_FE_NO_SUCH_DATE;
}

/*
 * The range and step of canonical number v of fd: INTAKE_FE__MAX, or the
 * problem (a step's sentence in text).
 */
static enum intake_field_error
check_number(const struct intake_field *fd, const char *v, size_t len, struct say *text)
{
	long long	n, lo = 0, hi = 0, step;
	int		dec = intake_field_decimals(fd);

	if (intake_field_decimal(v, len, dec, &n) != INTAKE_OK)
		return INTAKE_FE_NUMBER;
	/* The loader checked min, max and step: they parse. */
	if ((fd->min[0] != '\0' && intake_field_decimal(fd->min, strlen(fd->min), dec,
	    &lo) == INTAKE_OK && n < lo) ||
	    (fd->max[0] != '\0' && intake_field_decimal(fd->max, strlen(fd->max), dec,
	    &hi) == INTAKE_OK && n > hi))
		return INTAKE_FE_RANGE;
	if (fd->step[0] == '\0' || intake_field_decimal(fd->step, strlen(fd->step), dec,
	    &step) != INTAKE_OK || step <= 0)
		return INTAKE_FE__MAX;
	/* As HTML's step: counted from min when there is one, else from 0. */
	if ((n - (fd->min[0] != '\0' ? lo : 0)) % step == 0)
		return INTAKE_FE__MAX;
	if (fd->min[0] != '\0' && lo != 0)
		fill(text, INTAKE_MSG_STEP_FROM, fd->step, fd->min, NULL);
	else
		fill(text, INTAKE_MSG_STEP, fd->step, NULL, NULL);
	return INTAKE_FE_STEP;
}

/* The first problem of one text value of fd, or INTAKE_FE__MAX when fine. */
static enum intake_field_error
check_text(const struct intake_field *fd, const char *v, size_t len, struct say *text)
{
	enum intake_field_error	e;
	size_t			chars;

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
		/* The caller made it canonical: range and step are left to check. */
		if ((e = check_number(fd, v, len, text)) != INTAKE_FE__MAX)
			return e;
		break;
	case INTAKE_FIELD_DATE:
		if ((e = check_date(v, len, text)) != INTAKE_FE__MAX)
			return e;
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
problem(struct intake_field_problem *p, size_t *n, const struct intake_field *fd,
    const char *field, enum intake_field_error code, const char *text, enum intake_lang lang)
{
	p[*n].field = field;
	p[*n].code = code;
	p[*n].fd = fd;
	(void)intake_strlcpy(p[*n].text, text != NULL ? text : "", sizeof(p[*n].text));
	p[*n].lang = lang;
	(*n)++;
}

/*
 * What libmagic says the bytes are ("application/pdf"), or NULL when it
 * cannot tell.  One magic cookie per process, opened on first use (after
 * the fork: each worker loads the database once).
 */
static const char *
content_type(const void *data, size_t len)
{
	static magic_t	cookie;
	static bool	tried;

	if (!tried) {
		tried = true;
		cookie = magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS |
		    MAGIC_NO_CHECK_ELF);
		if (cookie != NULL && magic_load(cookie, NULL) != 0) {
			magic_close(cookie);
			cookie = NULL;
		}
	}
	return cookie != NULL ? magic_buffer(cookie, data, len) : NULL;
}

/* Is type among the NULL-terminated list? */
static bool
among(const char *const *list, const char *type)
{
	size_t	i;

	for (i = 0; list != NULL && type != NULL && list[i] != NULL; i++)
		if (strcmp(list[i], type) == 0)
			return true;
	return false;
}

/*
 * Is file of one of fd's accept types, by its name's extension and by
 * its bytes?  INTAKE_FE__MAX, or FE_FILE_TYPE with a sentence in text.
 */
static enum intake_field_error
check_file_type(const struct intake_field *fd, const struct intake_part *file, struct say *text)
{
	const char	*dot = strrchr(file->filename, '.'), *p = fd->accept;
	char		 types[96];
	size_t		 n, o = 0, i, elen = dot != NULL ? strlen(dot + 1) : 0;
	bool		 named = false;

	for (types[0] = '\0';; p += n) {
		p += strspn(p, " ,.");
		if ((n = strcspn(p, " ,")) == 0)
			break;
		if (dot != NULL && n == elen && strncasecmp(p, dot + 1, n) == 0)
			named = true;
		for (i = 0; i < n && o + 3 < sizeof(types); i++)
			types[o++] = (char)(p[i] >= 'a' && p[i] <= 'z' ? p[i] - 'a' + 'A' : p[i]);
		if (o + 3 < sizeof(types) && p[n + strspn(p + n, " ,.")] != '\0') {
			types[o++] = ',';
			types[o++] = ' ';
		}
		types[o] = '\0';
	}
	if (!named) {
		fill(text, INTAKE_MSG_FILE_NAME, types, NULL, NULL);
		return INTAKE_FE_FILE_TYPE;
	}
	/* The name is one of ours: the bytes must be what that name says. */
	if (!among(intake_file_type_mimes(dot + 1, elen), content_type(file->data, file->len))) {
		fill(text, INTAKE_MSG_FILE_CONTENT, types, NULL, NULL);
		return INTAKE_FE_FILE_TYPE;
	}
	return INTAKE_FE__MAX;
}

/* fd's max_size for people: "5 MB", "512 KB" or "1000 bytes", into out. */
static void
size_text(const struct intake_field *fd, char *out, size_t outsz)
{
	unsigned long long	n = (unsigned long long)fd->max_size;

	if (n % (1u << 20) == 0)
		(void)snprintf(out, outsz, "%llu MB", n >> 20);
	else if (n % 1024 == 0)
		(void)snprintf(out, outsz, "%llu KB", n >> 10);
	else
		(void)snprintf(out, outsz, "%llu bytes", n);
}

/*
 * Take the file part in as fd's value.  INTAKE_FE__MAX when taken (or an
 * empty file input, skipped), else the problem (a sentence in text).
 */
static enum intake_field_error
take_file(const struct intake_field *fd, const struct intake_form_input *in,
    struct intake_form_value *val, struct say *text)
{
	enum intake_field_error	e;
	char			limit[32];

	/* An empty file input sends a part with no name and no bytes. */
	if (in->file == NULL || (in->file->filename[0] == '\0' && in->file->len == 0))
		return INTAKE_FE__MAX;
	if (val->file_name != NULL)
		return INTAKE_FE_TOO_MANY;
	if (fd->max_size >= 0 && in->file->len > (unsigned long long)fd->max_size) {
		size_text(fd, limit, sizeof(limit));
		fill(text, INTAKE_MSG_FILE_SIZE, limit, NULL, NULL);
		return INTAKE_FE_FILE_TOO_LARGE;
	}
	if (fd->accept[0] != '\0' && (e = check_file_type(fd, in->file, text)) != INTAKE_FE__MAX)
		return e;
	val->file_name = in->file->filename;
	val->file_type = in->file->content_type;
	val->file_data = in->file->data;
	val->file_len = in->file->len;
	return INTAKE_FE__MAX;
}

/*
 * Check one non-empty text value of fd (rewritten in place first, unless
 * a choice).  INTAKE_FE__MAX when fine, else the problem (a sentence for
 * this value in text, or none).
 */
static enum intake_field_error
check_value(const struct intake_field *fd, struct intake_form_input *in,
    intake_offered_fn offered, void *arg, const char *parent, struct say *text)
{
	char	dec[8];

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
	    !canonical_number(in, intake_field_decimals(fd))) {
		if (intake_field_decimals(fd) > 0) {
			(void)snprintf(dec, sizeof(dec), "%d", intake_field_decimals(fd));
			fill(text, INTAKE_MSG_DECIMALS, dec, NULL, NULL);
		}
		return INTAKE_FE_NUMBER;
	}
	return check_text(fd, in->value, in->len, text);
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
    struct intake_field_problem *p, size_t *np, enum intake_lang lang)
{
	enum intake_field_error	e = INTAKE_FE__MAX;
	struct say		text = { lang, "" };
	size_t			i;
	size_t			max = intake_field_takes_many(fd->type) ?
	    INTAKE_REQSTART_VALUES_MAX : 1;

	memset(val, 0, sizeof(*val));
	val->field = fd;
	for (i = 0; i < n && e == INTAKE_FE__MAX; i++) {
		if (strcmp(in[i].name, fd->name) != 0)
			continue;
		if (fd->type == INTAKE_FIELD_FILE) {
			e = take_file(fd, &in[i], val, &text);
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
			e = check_value(fd, &in[i], offered, arg, parent_value(fd, in, n), &text);
		if (e == INTAKE_FE__MAX)
			val->values[val->nvalues++] = in[i].value;
	}
	if (e != INTAKE_FE__MAX)
		problem(p, np, fd, fd->name, e, text.text, lang);
	else if (fd->required && val->nvalues == 0 && val->file_name == NULL)
		problem(p, np, fd, fd->name, INTAKE_FE_REQUIRED, NULL, lang);
}

enum intake_err
intake_form_validate(const struct intake_form *form, enum intake_lang lang,
    struct intake_form_input *in, size_t n, intake_offered_fn offered, void *arg,
    struct intake_form_value *values, struct intake_field_problem *problems, size_t *nproblems)
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
			problem(problems, &np, NULL, in[i].name, INTAKE_FE_UNKNOWN, NULL, lang);
	}
	for (j = 0; j < form->nfields; j++)
		check_field(&form->fields[j], in, n, offered, arg, &values[j], problems, &np, lang);
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
		msg = intake_field_problem_message(&p[i]);
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
