/*
 * form.c - loading and checking form definitions (see form.h).
 *
 * Each file is INI: one [form] section and one [field:NAME] section per
 * field, in the order the form shows them.  Keys are rows of two tables,
 * like the main config's; unknown or repeated keys are errors.
 */
#include <sys/types.h>

#include <dirent.h>
#include <ini.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "intake/config.h"
#include "intake/form.h"
#include "intake/str.h"

enum fopt_type {
	FOPT_STR,	/* char[] */
	FOPT_INT,	/* long long, -1 when unset */
	FOPT_BOOL,
	FOPT_TYPE,	/* enum intake_field_type */
};

struct fopt {
	const char	*key;
	enum fopt_type	 type;
	size_t		 off, size;
	int		 required;
};

#define FS(m)	offsetof(struct intake_form, m), sizeof(((struct intake_form *)0)->m)
#define DS(m)	offsetof(struct intake_field, m), sizeof(((struct intake_field *)0)->m)

static const struct fopt form_opts[] = {
	{ "title", FOPT_STR, FS(title), 1 },
	{ "description", FOPT_STR, FS(description), 0 },
	{ "submit_label", FOPT_STR, FS(submit_label), 0 },
	{ "process", FOPT_STR, FS(process), 1 },
	{ "task", FOPT_STR, FS(task), 0 },
	{ "reference_key", FOPT_STR, FS(reference_key), 0 },
};
#define NFORM_OPTS	(sizeof(form_opts) / sizeof(form_opts[0]))

static const struct fopt field_opts[] = {
	{ "label", FOPT_STR, DS(label), 1 },
	{ "help", FOPT_STR, DS(help), 0 },
	{ "type", FOPT_TYPE, DS(type), 1 },
	{ "required", FOPT_BOOL, DS(required), 0 },
	{ "min_length", FOPT_INT, DS(min_length), 0 },
	{ "max_length", FOPT_INT, DS(max_length), 0 },
	{ "pattern", FOPT_STR, DS(pattern), 0 },
	{ "min", FOPT_STR, DS(min), 0 },
	{ "max", FOPT_STR, DS(max), 0 },
	{ "default", FOPT_STR, DS(def), 0 },
	{ "source", FOPT_STR, DS(source), 0 },
	{ "key", FOPT_STR, DS(key), 0 },
};
#define NFIELD_OPTS	(sizeof(field_opts) / sizeof(field_opts[0]))

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
};
_Static_assert(sizeof(type_names) / sizeof(type_names[0]) == INTAKE_FIELD__MAX,
    "type_names[] needs one row per field type");

/* Field names the form itself uses. */
static const char *const reserved_names[] = { "_token", "website", NULL };

struct fload {
	struct intake_form	*form;
	unsigned char		 form_seen[NFORM_OPTS];
	unsigned char		 field_seen[INTAKE_FIELDS_MAX][NFIELD_OPTS];
	char			*err;
	size_t			 errsz;
	int			 failed;
};

const char *
intake_field_type_name(enum intake_field_type t)
{
	return (unsigned)t < INTAKE_FIELD__MAX ? type_names[t] : "?";
}

bool
intake_field_has_source(enum intake_field_type t)
{
	return t == INTAKE_FIELD_SELECT || t == INTAKE_FIELD_MULTISELECT ||
	    t == INTAKE_FIELD_CHECKBOXES;
}

static void
fail(struct fload *l, const char *where, const char *key, const char *problem)
{
	if (l->failed)
		return;
	l->failed = 1;
	(void)snprintf(l->err, l->errsz, "%s: [%s] %s: %s", l->form->path, where, key, problem);
}

static const char *
fopt_set(void *base, const struct fopt *o, const char *value)
{
	char		*field = (char *)base + o->off;
	long long	 v;
	bool		 b;
	size_t		 i;

	switch (o->type) {
	case FOPT_STR:
		return intake_strlcpy(field, value, o->size) == INTAKE_OK ? NULL : "value too long";
	case FOPT_INT:
		if (intake_parse_int(value, 0, 1000000, &v) != INTAKE_OK)
			return "not a whole number from 0 to 1000000";
		*(long long *)(void *)field = v;
		return NULL;
	case FOPT_BOOL:
		if (intake_parse_bool(value, &b) != INTAKE_OK)
			return "not yes or no";
		*(bool *)(void *)field = b;
		return NULL;
	case FOPT_TYPE:
		for (i = 0; i < INTAKE_FIELD__MAX; i++)
			if (strcmp(value, type_names[i]) == 0) {
				*(enum intake_field_type *)(void *)field = (enum intake_field_type)i;
				return NULL;
			}
		return "not one of text, textarea, email, number, date, select, "
		    "multiselect, checkboxes, file";
	}
	return "unknown key type";
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
	struct intake_field	*fd = NULL;
	const struct fopt	*opts;
	unsigned char		*seen;
	const char		*problem, *name;
	size_t			 i, n, idx = 0;

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
		}
		fd = &f->fields[idx];
		opts = field_opts;
		n = NFIELD_OPTS;
		seen = l->field_seen[idx];
	} else {
		fail(l, section, key, "unknown section (use [form] and [field:NAME])");
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (strcmp(opts[i].key, key) != 0)
			continue;
		if (seen[i]) {
			fail(l, section, key, "set twice");
			return 0;
		}
		seen[i] = 1;
		problem = fopt_set(fd != NULL ? (void *)fd : (void *)f, &opts[i], value);
		if (problem != NULL) {
			fail(l, section, key, problem);
			return 0;
		}
		return 1;
	}
	fail(l, section, key, "unknown key (see conf/forms/it-request.conf)");
	return 0;
}

/* Checks across one field's keys. Returns a problem or NULL. */
static const char *
check_field(struct intake_field *fd, const struct intake_config *cfg, const char **key)
{
	char		anchored[300];
	long long	v;

	*key = "type";
	if (intake_field_has_source(fd->type)) {
		*key = "source";
		if (fd->source[0] == '\0')
			return "required for a choice field";
		if (intake_config_source(cfg, INTAKE_SOURCE_CHOICES, fd->source,
		    strlen(fd->source)) == NULL)
			return "no [source:NAME] of that name in the config";
	} else if (fd->source[0] != '\0') {
		*key = "source";
		return "only choice fields take a source";
	}
	*key = "min_length";
	if (fd->min_length >= 0 && fd->max_length >= 0 && fd->min_length > fd->max_length)
		return "greater than max_length";
	*key = "min";
	if (fd->type == INTAKE_FIELD_NUMBER) {
		if (fd->min[0] != '\0' && intake_parse_int(fd->min, -1000000000000LL,
		    1000000000000LL, &v) != INTAKE_OK)
			return "not a whole number";
		*key = "max";
		if (fd->max[0] != '\0' && intake_parse_int(fd->max, -1000000000000LL,
		    1000000000000LL, &v) != INTAKE_OK)
			return "not a whole number";
	} else if (fd->type == INTAKE_FIELD_DATE) {
		if (fd->min[0] != '\0' && !intake_date_valid(fd->min, strlen(fd->min)))
			return "not a date YYYY-MM-DD";
		*key = "max";
		if (fd->max[0] != '\0' && !intake_date_valid(fd->max, strlen(fd->max)))
			return "not a date YYYY-MM-DD";
	} else if (fd->min[0] != '\0' || fd->max[0] != '\0')
		return "only number and date fields take min and max";
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

/* Load one file into f (f->id and f->path set). */
static enum intake_err
load_one(struct intake_form *f, const struct intake_config *cfg, char *errbuf, size_t errsz)
{
	struct fload	*l;
	const char	*problem, *key;
	char		 where[80];
	size_t		 i;
	int		 rc, failed;

	l = intake_xcalloc(1, sizeof(*l));
	l->form = f;
	l->err = errbuf;
	l->errsz = errsz;
	(void)intake_strlcpy(f->submit_label, "Submit request", sizeof(f->submit_label));
	rc = ini_parse(f->path, on_form_key, l);
	if (rc != 0 && !l->failed)
		(void)snprintf(errbuf, errsz, "%s: line %d: cannot be read", f->path, rc);
	failed = rc != 0 || l->failed;
	for (i = 0; !failed && i < NFORM_OPTS; i++)
		if (form_opts[i].required && !l->form_seen[i]) {
			fail(l, "form", form_opts[i].key, "required but missing");
			failed = 1;
		}
	if (!failed && f->nfields == 0) {
		fail(l, "form", "fields", "a form needs at least one [field:NAME]");
		failed = 1;
	}
	for (i = 0; !failed && i < f->nfields; i++) {
		size_t j;

		(void)snprintf(where, sizeof(where), "field:%s", f->fields[i].name);
		for (j = 0; j < NFIELD_OPTS; j++)
			if (field_opts[j].required && !l->field_seen[i][j]) {
				fail(l, where, field_opts[j].key, "required but missing");
				failed = 1;
			}
		if (!failed && (problem = check_field(&f->fields[i], cfg, &key)) != NULL) {
			fail(l, where, key, problem);
			failed = 1;
		}
	}
	free(l);
	return failed ? INTAKE_ECONFIG : INTAKE_OK;
}

static int
by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

enum intake_err
intake_forms_load(const char *dir, const struct intake_config *cfg,
    struct intake_form **out, size_t *nout, char *errbuf, size_t errsz)
{
	struct intake_form	*forms;
	struct dirent		**ents = NULL;
	enum intake_err		 err = INTAKE_OK;
	size_t			 n = 0, len;
	int			 nents, i;

	nents = scandir(dir, &ents, NULL, by_name);
	if (nents < 0) {
		(void)snprintf(errbuf, errsz, "%s: cannot read the forms directory", dir);
		return INTAKE_ECONFIG;
	}
	forms = intake_xcalloc(INTAKE_FORMS_MAX, sizeof(*forms));
	for (i = 0; i < nents && err == INTAKE_OK; i++) {
		const char *name = ents[i]->d_name;

		len = strlen(name);
		if (len <= 5 || strcmp(name + len - 5, ".conf") != 0)
			continue;
		if (n == INTAKE_FORMS_MAX) {
			(void)snprintf(errbuf, errsz, "%s: more than %d forms", dir, INTAKE_FORMS_MAX);
			err = INTAKE_ECONFIG;
			break;
		}
		(void)snprintf(forms[n].path, sizeof(forms[n].path), "%s/%s", dir, name);
		if (len - 5 >= sizeof(forms[n].id) || len - 5 == 0) {
			(void)snprintf(errbuf, errsz, "%s: form file name too long", forms[n].path);
			err = INTAKE_ECONFIG;
			break;
		}
		memcpy(forms[n].id, name, len - 5);
		forms[n].id[len - 5] = '\0';
		if (strspn(forms[n].id, "abcdefghijklmnopqrstuvwxyz0123456789_-") != len - 5) {
			(void)snprintf(errbuf, errsz, "%s: a form file name must be a-z 0-9 _ - "
			    "and .conf", forms[n].path);
			err = INTAKE_ECONFIG;
			break;
		}
		err = load_one(&forms[n], cfg, errbuf, errsz);
		n++;
	}
	for (i = 0; i < nents; i++)
		free(ents[i]);
	free(ents);
	if (err != INTAKE_OK) {
		intake_forms_free(forms, n);
		return err;
	}
	*out = forms;
	*nout = n;
	return INTAKE_OK;
}

void
intake_forms_free(struct intake_form *forms, size_t n)
{
	size_t	i, j;

	if (forms == NULL)
		return;
	for (i = 0; i < n; i++)
		for (j = 0; j < forms[i].nfields; j++)
			if (forms[i].fields[j].has_re)
				regfree(&forms[i].fields[j].re);
	free(forms);
}

const struct intake_form *
intake_form_find(const struct intake_form *forms, size_t n, const char *id, size_t idlen)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (strlen(forms[i].id) == idlen && memcmp(forms[i].id, id, idlen) == 0)
			return &forms[i];
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
