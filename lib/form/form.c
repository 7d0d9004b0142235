/*
 * form.c - loading and checking form definitions (see form.h).
 *
 * Each file is INI: one [form] section and one [field:NAME] section per
 * field, in the order the form shows them.  Keys are rows of two tables,
 * like the main config's; unknown or repeated keys are errors.
 */
#include <sys/types.h>

#include <dirent.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/config.h"	/* struct intake_source only: config.c is not called */
#include "form/form.h"
#include "util/keytab.h"
#include "util/str.h"
#include "util/nelem.h"

static const char *const type_names[] = {
	"text",		/* INTAKE_FIELD_TEXT */
	"textarea",	/* INTAKE_FIELD_TEXTAREA */
	"email",	/* INTAKE_FIELD_EMAIL */
	"number",	/* INTAKE_FIELD_NUMBER */
	"date",		/* INTAKE_FIELD_DATE */
	"select",	/* INTAKE_FIELD_SELECT */
	"multiselect",	/* INTAKE_FIELD_MULTISELECT */
	"checkboxes",	/* INTAKE_FIELD_CHECKBOXES */
	"file",		/* INTAKE_FIELD_FILE */
	"radio",	/* INTAKE_FIELD_RADIO */
};
INTAKE_ROWS(type_names, INTAKE_FIELD__MAX);

/* Where each field type's values come from, and how many it takes. */
static const struct {
	bool	source;		/* from a [source:NAME] list */
	bool	many;		/* several at once */
} type_values[] = {
	{ false, false },	/* INTAKE_FIELD_TEXT */
	{ false, false },	/* INTAKE_FIELD_TEXTAREA */
	{ false, false },	/* INTAKE_FIELD_EMAIL */
	{ false, false },	/* INTAKE_FIELD_NUMBER */
	{ false, false },	/* INTAKE_FIELD_DATE */
	{ true, false },	/* INTAKE_FIELD_SELECT */
	{ true, true },		/* INTAKE_FIELD_MULTISELECT */
	{ true, true },		/* INTAKE_FIELD_CHECKBOXES */
	{ false, false },	/* INTAKE_FIELD_FILE: one file */
	{ true, false },	/* INTAKE_FIELD_RADIO */
};
INTAKE_ROWS(type_values, INTAKE_FIELD__MAX);

/* Rows of struct intake_form (F_*) and of struct intake_field (D_*). */
#define F_STR(k, m, def, req)	INTAKE_KEY_STR(struct intake_form, NULL, k, m, def, req)
#define D_STR(k, m, req)	INTAKE_KEY_STR(struct intake_field, NULL, k, m, NULL, req)
#define D_INT(k, m)		INTAKE_KEY_INT(struct intake_field, NULL, k, m, 0, 1000000, NULL)
/* message.CODE: the sentence for problem e of this field (CODE is e's code). */
#define D_MSG(code, e)		INTAKE_KEY_STR(struct intake_field, NULL, "message." code, \
				    message[e], NULL, false)

_Static_assert(INTAKE_LANG__MAX == 2, "form_opts and field_opts need KEY.LANG rows per language");

static const struct intake_keyrow form_opts[] = {
	F_STR("title", title, NULL, true),
	F_STR("description", description, NULL, false),
	F_STR("submit_label", submit_label, NULL, false),
	F_STR("lang", lang, NULL, false),
	/* KEY.LANG: a row per language but English (lang.h). */
	F_STR("title.de", title_in[INTAKE_LANG_DE - 1], NULL, false),
	F_STR("description.de", description_in[INTAKE_LANG_DE - 1], NULL, false),
	F_STR("submit_label.de", submit_label_in[INTAKE_LANG_DE - 1], NULL, false),
	F_STR("process", process, NULL, true),
	F_STR("task", task, NULL, false),
	F_STR("reference_key", reference_key, NULL, false),
};
#define NFORM_OPTS	(sizeof(form_opts) / sizeof(form_opts[0]))

static const struct intake_keyrow field_opts[] = {
	D_STR("label", label, true),
	D_STR("help", help, false),
	D_STR("label.de", label_in[INTAKE_LANG_DE - 1], false),
	D_STR("help.de", help_in[INTAKE_LANG_DE - 1], false),
	INTAKE_KEY_ENUM(struct intake_field, NULL, "type", type, type_names, NULL, true),
	INTAKE_KEY_BOOL(struct intake_field, NULL, "required", required, NULL),
	D_INT("min_length", min_length),
	D_INT("max_length", max_length),
	D_STR("pattern", pattern, false),
	D_STR("min", min, false),
	D_STR("max", max, false),
	D_STR("default", def, false),
	D_STR("source", source, false),
	D_STR("key", key, false),
	/* Rules and messages (form_valid.c). */
	D_STR("step", step, false),
	INTAKE_KEY_INT(struct intake_field, NULL, "max_size", max_size, 1, 104857600, NULL),
	D_STR("accept", accept, false),
	D_MSG("required", INTAKE_FE_REQUIRED),
	D_MSG("too_short", INTAKE_FE_TOO_SHORT),
	D_MSG("too_long", INTAKE_FE_TOO_LONG),
	D_MSG("pattern", INTAKE_FE_PATTERN),
	D_MSG("email", INTAKE_FE_EMAIL),
	D_MSG("number", INTAKE_FE_NUMBER),
	D_MSG("date", INTAKE_FE_DATE),
	D_MSG("no_such_date", INTAKE_FE_NO_SUCH_DATE),
	D_MSG("out_of_range", INTAKE_FE_RANGE),
	D_MSG("step", INTAKE_FE_STEP),
	D_MSG("not_offered", INTAKE_FE_NOT_OFFERED),
	D_MSG("encoding", INTAKE_FE_ENCODING),
	D_MSG("too_many", INTAKE_FE_TOO_MANY),
	D_MSG("file_too_large", INTAKE_FE_FILE_TOO_LARGE),
	D_MSG("file_type", INTAKE_FE_FILE_TYPE),
	D_STR("choices", choices, false),
	D_STR("parent", parent, false),
	D_STR("parent_column", parent_column, false),
};
#define NFIELD_OPTS	(sizeof(field_opts) / sizeof(field_opts[0]))

/* The sections a form definition has ("field:NAME": one per field). */
static const char *const form_sections[] = { "form", "field:NAME" };

/* Field names the form itself uses. */
static const char *const reserved_names[] = { "_token", "website", NULL };

/* Parsing state handed through the INI reader (keytab.h). */
struct fload {
	struct intake_keyload	 kl;	/* the file, its first problem */
	struct intake_form	*form;
	unsigned char		 form_seen[NFORM_OPTS];
	unsigned char		 field_seen[INTAKE_FIELDS_MAX][NFIELD_OPTS];
};

const char *
intake_field_type_name(enum intake_field_type t)
{
	return (unsigned)t < INTAKE_FIELD__MAX ? type_names[t] : "?";
}

bool
intake_field_has_source(enum intake_field_type t)
{
	return (unsigned)t < INTAKE_FIELD__MAX && type_values[t].source;
}

bool
intake_field_takes_many(enum intake_field_type t)
{
	return (unsigned)t < INTAKE_FIELD__MAX && type_values[t].many;
}

static void
fail(struct fload *l, const char *where, const char *key, const char *problem)
{
	intake_keyload_fail(&l->kl, where, key, problem);
}

static int
name_ok(const char *s, size_t max)
{
	size_t	n;

	for (n = 0; s[n] != '\0'; n++)
		if (!((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= '0' && s[n] <= '9') ||
		    s[n] == '_'))
			return 0;
	return n > 0 && n < max;
}

static int
on_form_key(void *user, const char *section, const char *key, const char *value)
{
	struct fload		*l = user;
	struct intake_form	*f = l->form;
	struct intake_field		*fd = NULL;
	const struct intake_keyrow	*opts;
	unsigned char			*seen;
	const char			*name;
	size_t				 i, n, idx = 0;

	if (strcmp(section, "form") == 0) {
		opts = form_opts;
		n = NFORM_OPTS;
		seen = l->form_seen;
	} else if (strncmp(section, "field:", 6) == 0) {
		name = section + 6;
		if (!name_ok(name, sizeof(fd->name))) {
			fail(l, section, key, "field name must be 1-63 of a-z 0-9 _");
			return 0;
		}
		for (i = 0; reserved_names[i] != NULL; i++)
			if (strcmp(name, reserved_names[i]) == 0) {
				fail(l, section, key, "field name is reserved");
				return 0;
			}
		for (idx = 0; idx < f->nfields; idx++)
			if (strcmp(f->fields[idx].name, name) == 0)
				break;
		if (idx == f->nfields) {
			if (f->nfields == INTAKE_FIELDS_MAX) {
				fail(l, section, key, "too many fields");
				return 0;
			}
			fd = &f->fields[f->nfields++];
			(void)intake_strlcpy(fd->name, name, sizeof(fd->name));
			fd->min_length = fd->max_length = -1;
			fd->max_size = INTAKE_FILE_MAX;
		}
		fd = &f->fields[idx];
		opts = field_opts;
		n = NFIELD_OPTS;
		seen = l->field_seen[idx];
	} else {
		intake_keyload_unknown_section(&l->kl, section, form_sections,
		    INTAKE_NELEM(form_sections));
		return 0;
	}
	return intake_keyload_set(&l->kl, fd != NULL ? (void *)fd : (void *)f, opts, n, seen,
	    section, key, value);
}

/* The [source:NAME] sections of the config a choice field may name. */
struct sources {
	const struct intake_source	*src;
	size_t				 n;
};

/* The choice list ([source:NAME]) called name, or NULL. */
static const struct intake_source *
list_source(const struct sources *s, const char *name)
{
	size_t	i;

	for (i = 0; i < s->n; i++)
		if (s->src[i].kind == INTAKE_SOURCE_CHOICES && strcmp(s->src[i].name, name) == 0)
			return &s->src[i];
	return NULL;
}

/*
 * Where a field's values come from: a choice type needs a source or fixed
 * choices (one of them), other types neither; a field with a parent needs
 * a source with filter.parent.  Returns a problem (key named) or NULL.
 */
static const char *
check_list(struct intake_field *fd, const struct sources *sources, const char **key)
{
	const struct intake_source	*src = NULL;
	const char			*problem;
	size_t				 i;

	*key = "source";
	if (!intake_field_has_source(fd->type)) {
		if (fd->source[0] != '\0')
			return "only choice fields take a source";
		*key = "choices";
		if (fd->choices[0] != '\0')
			return "only choice fields take choices";
		*key = "parent";
		return fd->parent[0] != '\0' ? "only select fields take a parent" : NULL;
	}
	if (fd->source[0] != '\0' && fd->choices[0] != '\0')
		return "a field takes a source or choices, not both";
	if (fd->source[0] == '\0' && fd->choices[0] == '\0')
		return "required for a choice field (or fixed choices)";
	if (fd->source[0] != '\0' && (src = list_source(sources, fd->source)) == NULL)
		return "no [source:NAME] of that name in the config";
	*key = "choices";
	if (fd->choices[0] != '\0' && (problem = intake_form_parse_choices(fd, fd->choices)) != NULL)
		return problem;
	*key = "parent";
	if (fd->parent[0] == '\0') {
		*key = "parent_column";
		return fd->parent_column[0] != '\0' ? "only a field with a parent takes one" : NULL;
	}
	if (fd->type != INTAKE_FIELD_SELECT || src == NULL)
		return "only a select with a source takes a parent";
	for (i = 0; i < src->nfilters; i++)
		if (strcmp(src->filters[i].param, "parent") == 0)
			break;
	if (i == src->nfilters)
		return "its source has no filter.parent to follow the parent with";
	/* By default the list shows the parent in the column its filter reads. */
	if (fd->parent_column[0] == '\0')
		(void)intake_strlcpy(fd->parent_column, src->filters[i].expose,
		    sizeof(fd->parent_column));
	return NULL;
}

/*
 * The extensions accept may name, and what libmagic says of their bytes.
 * A type missing here is refused at load, so no file is taken on its
 * name alone.
 */
static const struct {
	const char	*ext;
	const char	*mime[4];	/* NULL-terminated */
} file_types[] = {
	{ "pdf", { "application/pdf", NULL } },
	{ "png", { "image/png", NULL } },
	{ "jpg", { "image/jpeg", NULL } },
	{ "jpeg", { "image/jpeg", NULL } },
	{ "gif", { "image/gif", NULL } },
	{ "webp", { "image/webp", NULL } },
	{ "txt", { "text/plain", NULL } },
	{ "csv", { "text/csv", "text/plain", "application/csv", NULL } },
	{ "docx", { "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	    "application/zip", NULL } },
	{ "xlsx", { "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	    "application/zip", NULL } },
	{ "odt", { "application/vnd.oasis.opendocument.text", "application/zip", NULL } },
	{ "zip", { "application/zip", NULL } },
};

const char *const *
intake_file_type_mimes(const char *ext, size_t len)
{
	size_t	i;

	for (i = 0; i < INTAKE_NELEM(file_types); i++)
		if (strlen(file_types[i].ext) == len && strncasecmp(file_types[i].ext, ext, len) == 0)
			return file_types[i].mime;
	return NULL;
}

int
intake_field_decimals(const struct intake_field *fd)
{
	const char	*dot = strchr(fd->step, '.');

	return dot == NULL ? 0 : (int)strlen(dot + 1);
}

enum intake_err
intake_field_decimal(const char *s, size_t len, int decimals, long long *out)
{
	long long	v = 0, limit = 1000000000000LL;
	size_t		i = 0, digits = 0;
	int		frac = -1, k;	/* decimals read; -1 before the dot */
	bool		neg = false;

	if (decimals < 0 || decimals > INTAKE_STEP_DECIMALS_MAX)
		return INTAKE_EINVAL;
	for (k = 0; k < decimals; k++)
		limit *= 10;
	if (i < len && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	for (; i < len; i++) {
		if (s[i] == '.' && frac < 0 && digits > 0) {
			frac = 0;
			continue;
		}
		if (s[i] < '0' || s[i] > '9' || (frac >= 0 && ++frac > decimals) ||
		    v > limit / 10)
			return INTAKE_EINVAL;
		v = v * 10 + (s[i] - '0');
		digits++;
	}
	if (digits == 0 || frac == 0)
		return INTAKE_EINVAL;	/* "", "-", "5." */
	for (k = frac < 0 ? 0 : frac; k < decimals; k++)
		v *= 10;
	if (v > limit)
		return INTAKE_EINVAL;
	*out = neg ? -v : v;
	return INTAKE_OK;
}

/* A number field's step, min and max. Returns a problem or NULL. */
static const char *
check_number(const struct intake_field *fd, const char **key)
{
	long long	step, lo, hi;
	int		dec = intake_field_decimals(fd);

	*key = "step";
	if (fd->step[0] != '\0' && (dec > INTAKE_STEP_DECIMALS_MAX ||
	    intake_field_decimal(fd->step, strlen(fd->step), dec, &step) != INTAKE_OK ||
	    step <= 0))
		return "not a positive number with at most 6 decimals, such as 1, 5 or 0.01";
	*key = "min";
	if (fd->min[0] != '\0' && intake_field_decimal(fd->min, strlen(fd->min), dec,
	    &lo) != INTAKE_OK)
		return dec > 0 ? "not a number with at most the step's decimals" :
		    "not a whole number";
	*key = "max";
	if (fd->max[0] != '\0' && intake_field_decimal(fd->max, strlen(fd->max), dec,
	    &hi) != INTAKE_OK)
		return dec > 0 ? "not a number with at most the step's decimals" :
		    "not a whole number";
	*key = "min";
	if (fd->min[0] != '\0' && fd->max[0] != '\0' && lo > hi)
		return "greater than max";
	return NULL;
}

/* The keys of one type only: step, accept. Returns a problem or NULL. */
static const char *
check_rules(const struct intake_field *fd, const char **key)
{
	const char	*p = fd->accept;
	size_t		 n;

	*key = "step";
	if (fd->type != INTAKE_FIELD_NUMBER && fd->step[0] != '\0')
		return "only number fields take a step";
	*key = "accept";
	if (fd->type != INTAKE_FIELD_FILE && fd->accept[0] != '\0')
		return "only file fields take accept";
	for (;;) {
		p += strspn(p, " ,");
		if (*p == '.')
			p++;
		n = strcspn(p, " ,");
		if (n == 0)
			break;
		if (intake_file_type_mimes(p, n) == NULL)
			return "not a list of known extensions (pdf png jpg jpeg gif webp txt csv "
			    "docx xlsx odt zip)";
		p += n;
	}
	return NULL;
}

/* Checks across one field's keys. Returns a problem or NULL. */
static const char *
check_field(struct intake_field *fd, const struct sources *sources, const char **key)
{
	char		 anchored[300];
	const char	*problem;

	if ((problem = check_list(fd, sources, key)) != NULL)
		return problem;
	*key = "min_length";
	if (fd->min_length >= 0 && fd->max_length >= 0 && fd->min_length > fd->max_length)
		return "greater than max_length";
	*key = "min";
	if (fd->type == INTAKE_FIELD_NUMBER) {
		if ((problem = check_number(fd, key)) != NULL)
			return problem;
	} else if (fd->type == INTAKE_FIELD_DATE) {
		if (fd->min[0] != '\0' && !intake_date_valid(fd->min, strlen(fd->min)))
			return "not a date YYYY-MM-DD";
		*key = "max";
		if (fd->max[0] != '\0' && !intake_date_valid(fd->max, strlen(fd->max)))
			return "not a date YYYY-MM-DD";
	} else if (fd->min[0] != '\0' || fd->max[0] != '\0')
		return "only number and date fields take min and max";
	if ((problem = check_rules(fd, key)) != NULL)
		return problem;
	*key = "pattern";
	if (fd->pattern[0] != '\0') {
		/* The whole value must match, as HTML's pattern attribute does. */
		(void)snprintf(anchored, sizeof(anchored), "^(%s)$", fd->pattern);
		if (regcomp(&fd->re, anchored, REG_EXTENDED | REG_NOSUB) != 0)
			return "not a POSIX extended regular expression";
		fd->has_re = true;
	}
	*key = "key";
	if (fd->key[0] == '\0')
		(void)intake_strlcpy(fd->key, fd->name, sizeof(fd->key));
	return NULL;
}

/*
 * A field's parent must be another field of the form, with one value
 * from a list (a select or a radio group), and parents must not form a
 * circle.  Sets parent_index.  Returns a problem or NULL.
 */
static const char *
check_parent(struct intake_form *f, struct intake_field *fd)
{
	const struct intake_field	*p;
	size_t				 i, hops;

	for (i = 0; i < f->nfields; i++)
		if (strcmp(f->fields[i].name, fd->parent) == 0)
			break;
	if (i == f->nfields)
		return "no field of that name in this form";
	p = &f->fields[i];
	if (p == fd)
		return "a field cannot be its own parent";
	if (p->type != INTAKE_FIELD_SELECT && p->type != INTAKE_FIELD_RADIO)
		return "the parent must be a select or a radio field";
	fd->parent_index = i;
	/* Up the chain: more hops than fields is a circle. */
	for (hops = 0; p->parent[0] != '\0'; hops++) {
		if (hops > f->nfields || p == fd)
			return "the parents form a circle";
		for (i = 0; i < f->nfields && strcmp(f->fields[i].name, p->parent) != 0; i++)
			continue;
		if (i == f->nfields)
			return NULL;	/* that field's own check names it */
		p = &f->fields[i];
	}
	return p == fd ? "the parents form a circle" : NULL;
}

/* Load one form into f (f->id and f->path set): from text, or when NULL from f->path. */
static enum intake_err
load_one(struct intake_form *f, const struct sources *sources, const char *text,
    char *errbuf, size_t errsz)
{
	struct fload			*l;
	const struct intake_keyrow	*missing;
	const char			*problem, *key;
	char				 where[80];
	size_t				 i;
	enum intake_lang		 lang;
	int				 failed;

	l = intake_xcalloc(1, sizeof(*l));
	l->form = f;
	intake_keyload_init(&l->kl, f->path, "unknown key (see conf/forms/it-request.conf)",
	    errbuf, errsz);
	(void)intake_keytab_defaults(f, form_opts, NFORM_OPTS);	/* a string always fits */
	failed = intake_keyload_parse(&l->kl, text, on_form_key, l) != INTAKE_OK;
	if (!failed && (missing = intake_keytab_missing(form_opts, NFORM_OPTS,
	    l->form_seen)) != NULL) {
		fail(l, "form", missing->key, "required but missing");
		failed = 1;
	}
	/* Present is not enough: an empty title, process or label is a mistake too. */
	if (!failed && (f->title[0] == '\0' || f->process[0] == '\0')) {
		fail(l, "form", f->title[0] == '\0' ? "title" : "process", "must not be empty");
		failed = 1;
	}
	if (!failed && f->lang[0] != '\0' && !intake_lang_of_tag(f->lang, strlen(f->lang), &lang)) {
		fail(l, "form", "lang", "not a supported language (en, de)");
		failed = 1;
	}
	if (!failed && f->nfields == 0) {
		fail(l, "form", "fields", "a form needs at least one [field:NAME]");
		failed = 1;
	}
	for (i = 0; !failed && i < f->nfields; i++) {
		(void)snprintf(where, sizeof(where), "field:%s", f->fields[i].name);
		if ((missing = intake_keytab_missing(field_opts, NFIELD_OPTS,
		    l->field_seen[i])) != NULL) {
			fail(l, where, missing->key, "required but missing");
			failed = 1;
		}
		if (!failed && f->fields[i].label[0] == '\0') {
			fail(l, where, "label", "must not be empty");
			failed = 1;
		}
		if (!failed && (problem = check_field(&f->fields[i], sources, &key)) != NULL) {
			fail(l, where, key, problem);
			failed = 1;
		}
	}
	for (i = 0; !failed && i < f->nfields; i++) {
		(void)snprintf(where, sizeof(where), "field:%s", f->fields[i].name);
		if (f->fields[i].parent[0] != '\0' &&
		    (problem = check_parent(f, &f->fields[i])) != NULL) {
			fail(l, where, "parent", problem);
			failed = 1;
		}
	}
	free(l);
	return failed ? INTAKE_ECONFIG : INTAKE_OK;
}

/* Take one part of a choice item (escapes undone, spaces around dropped) up to stop. */
static const char *
choice_part(const char **sp, char *out, size_t *o, size_t cap, const char *stops)
{
	const char	*s = *sp;
	size_t		 start = *o, end;
	bool		 escaped;

	while (*s == ' ' || *s == '\t')
		s++;
	end = start;
	for (; *s != '\0' && strchr(stops, *s) == NULL; s++) {
		escaped = *s == '\\';
		if (escaped) {
			if (s[1] != '|' && s[1] != '=' && s[1] != '\\')
				return "a backslash must come before |, = or another backslash";
			s++;
		}
		if (*o + 2 > cap)
			return "the choices are too long";
		out[(*o)++] = *s;
		/* Spaces at the end are dropped; an escaped character is kept. */
		if (escaped || (*s != ' ' && *s != '\t'))
			end = *o;
	}
	*o = end;
	out[(*o)++] = '\0';
	*sp = s;
	return NULL;
}

const char *
intake_form_parse_choices(struct intake_field *fd, const char *text)
{
	const char	*s = text, *problem;
	size_t		 o = 0, n = 0, i, v;

	for (;;) {
		if (n == INTAKE_CHOICES_MAX)
			return "more than 64 choices";
		v = o;
		if ((problem = choice_part(&s, fd->choice_text, &o, sizeof(fd->choice_text),
		    "|=")) != NULL)
			return problem;
		if (fd->choice_text[v] == '\0')
			return "a choice has an empty value";
		fd->choice_at[n][0] = (unsigned short)v;
		fd->choice_at[n][1] = (unsigned short)v;	/* the label is the value */
		if (*s == '=') {
			s++;
			fd->choice_at[n][1] = (unsigned short)o;
			if ((problem = choice_part(&s, fd->choice_text, &o,
			    sizeof(fd->choice_text), "|")) != NULL)
				return problem;
			if (fd->choice_text[fd->choice_at[n][1]] == '\0')
				return "a choice has an empty label";
		}
		for (i = 0; i < n; i++)
			if (strcmp(fd->choice_text + fd->choice_at[i][0], fd->choice_text + v) == 0)
				return "a value is listed twice";
		n++;
		if (*s == '\0')
			break;
		s++;	/* the '|' */
	}
	fd->nchoices = n;
	return NULL;
}

const char *
intake_field_choice_value(const struct intake_field *fd, size_t i)
{
	return i < fd->nchoices ? fd->choice_text + fd->choice_at[i][0] : NULL;
}

const char *
intake_field_choice_label(const struct intake_field *fd, size_t i)
{
	return i < fd->nchoices ? fd->choice_text + fd->choice_at[i][1] : NULL;
}

bool
intake_field_choice_offered(const struct intake_field *fd, const char *value)
{
	size_t	i;

	for (i = 0; i < fd->nchoices; i++)
		if (strcmp(fd->choice_text + fd->choice_at[i][0], value) == 0)
			return true;
	return false;
}

static int
by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/*
 * The form of the file name (the id: name without .conf, a-z 0-9 _ -)
 * into f->id and f->path.  0 when name is no form file (skipped), 1 when
 * set, -1 with the problem in errbuf.
 */
static int
form_file(struct intake_form *f, const char *dir, const char *name, char *errbuf,
    size_t errsz)
{
	size_t	len = strlen(name);

	if (len <= 5 || strcmp(name + len - 5, ".conf") != 0)
		return 0;
	(void)snprintf(f->path, sizeof(f->path), "%s/%s", dir, name);
	if (len - 5 >= sizeof(f->id)) {
		(void)snprintf(errbuf, errsz, "%s: form file name too long", f->path);
		return -1;
	}
	memcpy(f->id, name, len - 5);
	f->id[len - 5] = '\0';
	if (strspn(f->id, "abcdefghijklmnopqrstuvwxyz0123456789_-") != len - 5) {
		(void)snprintf(errbuf, errsz, "%s: a form file name must be a-z 0-9 _ - "
		    "and .conf", f->path);
		return -1;
	}
	return 1;
}

enum intake_err
intake_forms_load(const char *dir, const struct intake_source *src, size_t nsrc,
    struct intake_forms **out, char *errbuf, size_t errsz)
{
	const struct sources	 sources = { src, nsrc };
	struct intake_forms	*forms;
	struct dirent		**ents = NULL;
	enum intake_err		 err = INTAKE_OK;
	int			 nents = 0, i, got;

	forms = intake_xcalloc(1, sizeof(*forms));
	forms->form = intake_xcalloc(INTAKE_FORMS_MAX, sizeof(*forms->form));
	if (dir[0] != '\0' && (nents = scandir(dir, &ents, NULL, by_name)) < 0) {
		(void)snprintf(errbuf, errsz, "%s: cannot read the forms directory", dir);
		intake_forms_free(forms);
		return INTAKE_ECONFIG;
	}
	for (i = 0; i < nents && err == INTAKE_OK; i++) {
		if (forms->n == INTAKE_FORMS_MAX) {
			(void)snprintf(errbuf, errsz, "%s: more than %d forms", dir,
			    INTAKE_FORMS_MAX);
			err = INTAKE_ECONFIG;
			break;
		}
		got = form_file(&forms->form[forms->n], dir, ents[i]->d_name, errbuf, errsz);
		if (got < 0)
			err = INTAKE_ECONFIG;
		if (got <= 0)
			continue;
		err = load_one(&forms->form[forms->n], &sources, NULL, errbuf, errsz);
		forms->n++;
	}
	for (i = 0; i < nents; i++)
		free(ents[i]);
	free(ents);
	if (err != INTAKE_OK) {
		intake_forms_free(forms);
		return err;
	}
	*out = forms;
	return INTAKE_OK;
}

enum intake_err
intake_form_parse_string(const char *text, const char *id, const struct intake_source *src,
    size_t nsrc, struct intake_form *out, char *errbuf, size_t errsz)
{
	const struct sources	sources = { src, nsrc };
	enum intake_err		err;

	memset(out, 0, sizeof(*out));
	if (intake_strlcpy(out->id, id, sizeof(out->id)) != INTAKE_OK) {
		(void)snprintf(errbuf, errsz, "%s: form id too long", id);
		return INTAKE_ECONFIG;
	}
	(void)snprintf(out->path, sizeof(out->path), "%s.conf", id);
	err = load_one(out, &sources, text, errbuf, errsz);
	if (err != INTAKE_OK)
		intake_forms_free_one(out);
	return err;
}

void
intake_forms_free_one(struct intake_form *f)
{
	size_t	j;

	for (j = 0; j < f->nfields; j++)
		if (f->fields[j].has_re) {
			regfree(&f->fields[j].re);
			f->fields[j].has_re = false;
		}
}

void
intake_forms_free(struct intake_forms *forms)
{
	size_t	i;

	if (forms == NULL)
		return;
	/* A form that failed half-way is counted too: it may hold patterns. */
	for (i = 0; i < forms->n; i++)
		intake_forms_free_one(&forms->form[i]);
	free(forms->form);
	free(forms);
}

const struct intake_form *
intake_form_find(const struct intake_forms *forms, const char *id, size_t idlen)
{
	size_t	i;

	for (i = 0; forms != NULL && i < forms->n; i++)
		if (strlen(forms->form[i].id) == idlen &&
		    memcmp(forms->form[i].id, id, idlen) == 0)
			return &forms->form[i];
	return NULL;
}

const char *const *
intake_form_keys(void)
{
	static char		 names[NFORM_OPTS + NFIELD_OPTS][48];
	static const char	*list[NFORM_OPTS + NFIELD_OPTS + 1];
	size_t			 i, n = 0;

	for (i = 0; i < NFORM_OPTS; i++)
		(void)snprintf(names[n++], sizeof(names[0]), "form.%s", form_opts[i].key);
	for (i = 0; i < NFIELD_OPTS; i++)
		(void)snprintf(names[n++], sizeof(names[0]), "field:NAME.%s", field_opts[i].key);
	for (i = 0; i < n; i++)
		list[i] = names[i];
	list[n] = NULL;
	return list;
}

/* s[lang - 1] when lang is not English and it is set, else plain. */
static const char *
in_lang(const char *plain, const char *s, size_t stride, enum intake_lang lang)
{
	if (lang == INTAKE_LANG_EN || (unsigned)lang >= INTAKE_LANG__MAX)
		return plain;
	s += stride * (size_t)(lang - 1);
	return s[0] != '\0' ? s : plain;
}

const char *
intake_form_title(const struct intake_form *f, enum intake_lang lang)
{
	return in_lang(f->title, f->title_in[0], sizeof(f->title_in[0]), lang);
}

const char *
intake_form_description(const struct intake_form *f, enum intake_lang lang)
{
	return in_lang(f->description, f->description_in[0], sizeof(f->description_in[0]), lang);
}

const char *
intake_form_submit_label(const struct intake_form *f, enum intake_lang lang)
{
	const char	*s = in_lang(f->submit_label, f->submit_label_in[0],
	    sizeof(f->submit_label_in[0]), lang);

	return s[0] != '\0' ? s : intake_msg(lang, INTAKE_MSG_SUBMIT);
}

const char *
intake_field_label(const struct intake_field *fd, enum intake_lang lang)
{
	return in_lang(fd->label, fd->label_in[0], sizeof(fd->label_in[0]), lang);
}

const char *
intake_field_help(const struct intake_field *fd, enum intake_lang lang)
{
	return in_lang(fd->help, fd->help_in[0], sizeof(fd->help_in[0]), lang);
}
