/*
 * test_form.c - lib/form/form.c: form definitions load with their fields in
 * order, and every mistake is named by file, field and problem.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "form/form.h"
#include "form/form_valid.h"
#include "util/str.h"

#include "t.h"

struct fixture {
	char	dir[512];
	char	forms[600];
	char	path[700];
	char	err[1024];
};

#define CONFIG								\
	"[server]\nforms_dir = %s\n"					\
	"[integrify]\ndialect = v7\nflow = impersonate\n"		\
	"base_url = https://x.test\nuser = svc\nkey_file = %s/key\n"	\
	"[source:departments]\nreport = abc\n"

/*
 * A config whose forms_dir holds one form, NAME.conf with text: load the
 * config, then the forms against its sources, as the process model does.
 */
static enum intake_err
load(struct fixture *f, const char *name, const char *text, struct intake_forms **out)
{
	struct intake_config	*cfg;
	char			 conf[2048], file[128];
	enum intake_err		 err;

	memset(f, 0, sizeof(*f));
	t_mkdtemp(f->dir, sizeof(f->dir));
	t_write_file(f->dir, "key", "k\n", 2, NULL, 0);
	(void)snprintf(f->forms, sizeof(f->forms), "%s/forms", f->dir);
	if (mkdir(f->forms, 0700) != 0)
		abort();
	(void)snprintf(file, sizeof(file), "%s.conf", name);
	t_write_file(f->forms, file, text, strlen(text), NULL, 0);
	(void)snprintf(conf, sizeof(conf), CONFIG, f->forms, f->dir);
	t_write_file(f->dir, "intake.conf", conf, strlen(conf), f->path, sizeof(f->path));
	*out = NULL;
	/* The config alone never looks at the forms: a bad form does not fail it. */
	if (intake_config_load(f->path, &cfg, f->err, sizeof(f->err)) != INTAKE_OK)
		abort();
	err = intake_forms_load(cfg->forms_dir, cfg->sources, cfg->nsources, out, f->err,
	    sizeof(f->err));
	intake_config_free(cfg);
	return err;
}

#define FORM_HEAD	"[form]\ntitle = T\nprocess = p-1\n"

static void
test_form_loads_fields_in_order_with_defaults(void)
{
	struct fixture			 f;
	struct intake_forms		*c;
	const struct intake_form	*form;

	T_EQ_INT(load(&f, "ask", FORM_HEAD
	    "[field:name]\nlabel = Name\ntype = text\nrequired = yes\nmax_length = 100\n"
	    "[field:dept]\nlabel = Department\ntype = select\nsource = departments\n"
	    "key = q-123\n"
	    "[field:when]\nlabel = When\ntype = date\nmin = 2024-02-29\n", &c), INTAKE_OK);
	T_ASSERT(c != NULL);
	T_EQ_INT((long long)c->n, 1);
	form = intake_form_find(c, "ask", 3);
	T_ASSERT(form != NULL);
	T_EQ_STR(intake_form_submit_label(form, INTAKE_LANG_EN), "Submit request");
	T_EQ_STR(intake_form_submit_label(form, INTAKE_LANG_DE), "Anfrage senden");
	T_EQ_INT((long long)form->nfields, 3);
	T_EQ_STR(form->fields[0].name, "name");
	T_EQ_STR(form->fields[0].key, "name");
	T_ASSERT(form->fields[0].required);
	T_EQ_INT(form->fields[0].max_length, 100);
	T_EQ_INT(form->fields[0].min_length, -1);
	T_EQ_STR(form->fields[1].key, "q-123");
	T_EQ_INT(form->fields[2].type, INTAKE_FIELD_DATE);
	T_ASSERT(intake_form_find(c, "as", 2) == NULL);
	T_ASSERT(intake_form_find(NULL, "ask", 3) == NULL);
	intake_forms_free(c);
}

/* Each bad definition fails, naming the file, the section and the problem. */
static void
test_form_errors_name_file_field_and_problem(void)
{
	static const struct {
		const char	*text;
		const char	*want;
	} cases[] = {
		{ "[form]\nprocess = p\n[field:a]\nlabel = A\ntype = text\n", "[form] title: required" },
		{ FORM_HEAD, "[form] fields: a form needs at least one" },
		{ FORM_HEAD "[field:a]\ntype = text\n", "[field:a] label: required" },
		{ FORM_HEAD "[field:a]\nlabel = A\n", "[field:a] type: required" },
		{ FORM_HEAD "[field:a]\nlabel = A\ntype = colour\n", "[field:a] type: not one of" },
		{ FORM_HEAD "[field:A]\nlabel = A\ntype = text\n", "[field:A] label: field name must" },
		{ FORM_HEAD "[field:_token]\nlabel = A\ntype = text\n", "field name is reserved" },
		{ FORM_HEAD "[field:website]\nlabel = A\ntype = text\n", "field name is reserved" },
		{ FORM_HEAD "[field:a]\nlabel = A\ntype = select\n", "[field:a] source: required" },
		{ FORM_HEAD "[field:a]\nlabel = A\ntype = select\nsource = nope\n",
		    "[field:a] source: no [source:NAME]" },
		{ FORM_HEAD "[field:a]\nlabel = A\ntype = text\nsource = departments\n",
		    "[field:a] source: only choice fields" },
		{ FORM_HEAD "[field:a]\nlabel = A\ntype = text\nmin_length = 5\nmax_length = 2\n",
		    "[field:a] min_length: greater than max_length" },
		{ FORM_HEAD "[field:a]\nlabel = A\ntype = number\nmin = 1.5\n",
		    "[field:a] min: not a whole number" },
		{ FORM_HEAD "[field:a]\nlabel = A\ntype = date\nmax = 2023-02-29\n",
		    "[field:a] max: not a date" },
		{ FORM_HEAD "[field:a]\nlabel = A\ntype = text\nmin = 3\n",
		    "[field:a] min: only number and date" },
		{ FORM_HEAD "[field:a]\nlabel = A\ntype = text\npattern = ([a-z\n",
		    "[field:a] pattern: not a POSIX" },
		{ FORM_HEAD "[field:a]\nlabel = A\ntype = text\nlabel = B\n", "[field:a] label: set twice" },
		{ FORM_HEAD "[field:a]\nlabel = A\ntype = text\ncolour = red\n",
		    "[field:a] colour: unknown key" },
		{ FORM_HEAD "[other]\nx = 1\n", "[other]: unknown section" },
		{ FORM_HEAD "[field:a]\nlabel = A\ntype = text\nrequired = maybe\n",
		    "[field:a] required: not yes or no" },
		/* Found by fuzz_form: present but empty passed as given. */
		{ "[form]\ntitle =\nprocess = p\n[field:a]\nlabel = A\ntype = text\n",
		    "[form] title: must not be empty" },
		{ "[form]\ntitle = T\nprocess =\n[field:a]\nlabel = A\ntype = text\n",
		    "[form] process: must not be empty" },
		{ FORM_HEAD "[field:a]\nlabel =\ntype = text\n", "[field:a] label: must not be empty" },
	};
	struct fixture		 f;
	struct intake_forms	*c;
	size_t			 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		T_EQ_INT(load(&f, "bad", cases[i].text, &c), INTAKE_ECONFIG);
		T_ASSERT(c == NULL);
		T_CONTAINS(f.err, "forms/bad.conf");
		T_CONTAINS(f.err, cases[i].want);
	}
}

/*
 * Real text: a 217-byte description (libinih cut lines at 198 bytes),
 * help text going on over indented lines, and section typos told with
 * the nearest name.
 */
static void
test_form_holds_long_text_and_names_section_typos(void)
{
	struct fixture		 f;
	struct intake_forms	*c;
	char			 text[1024], desc[218];

	memset(desc, 'd', 217);
	desc[0] = 'D';
	desc[217] = '\0';
	(void)snprintf(text, sizeof(text), "[form]\ntitle = T\nprocess = p-1\n"
	    "description = %s\n[field:a]\nlabel = A\ntype = text\n"
	    "help = Say what you need,\n  and by when.\n\tIn one go.\n", desc);
	T_EQ_INT(load(&f, "long", text, &c), INTAKE_OK);
	T_EQ_INT(strlen(c->form[0].description), 217);
	T_EQ_STR(c->form[0].description, desc);
	T_EQ_STR(c->form[0].fields[0].help, "Say what you need, and by when. In one go.");
	intake_forms_free(c);
	T_EQ_INT(load(&f, "bad", "[from]\ntitle = T\n", &c), INTAKE_ECONFIG);
	T_CONTAINS(f.err, "[from]: unknown section; did you mean [form]?");
	T_EQ_INT(load(&f, "bad", FORM_HEAD "[feild:a]\nlabel = A\n", &c), INTAKE_ECONFIG);
	T_CONTAINS(f.err, "[feild:a]: unknown section; did you mean [field:a]?");
	T_EQ_INT(load(&f, "bad", FORM_HEAD "  label = A\n", &c), INTAKE_ECONFIG);
	T_ASSERT(strstr(f.err, "line 4: a continuation") == NULL);	/* it continues process */
	T_EQ_INT(load(&f, "bad", "[form]\n  title = T\n", &c), INTAKE_ECONFIG);
	T_CONTAINS(f.err, "bad.conf: line 2: a continuation with no key before it");
}

/* Rules and messages: step, max_size, accept and message.CODE, checked at load. */
static void
test_form_rules_and_messages_load_and_are_checked(void)
{
	static const struct {
		const char	*text;
		const char	*want;
	} bad[] = {
		{ FORM_HEAD "[field:n]\nlabel = N\ntype = number\nstep = 0\n",
		    "[field:n] step: not a positive number" },
		{ FORM_HEAD "[field:n]\nlabel = N\ntype = number\nstep = 0.0000001\n",
		    "[field:n] step: not a positive number" },
		{ FORM_HEAD "[field:n]\nlabel = N\ntype = number\nstep = 0.01\nmin = 1.234\n",
		    "[field:n] min: not a number with at most the step's decimals" },
		{ FORM_HEAD "[field:n]\nlabel = N\ntype = number\nmin = 5\nmax = 4\n",
		    "[field:n] min: greater than max" },
		{ FORM_HEAD "[field:t]\nlabel = T\ntype = text\nstep = 1\n",
		    "[field:t] step: only number fields take a step" },
		{ FORM_HEAD "[field:f]\nlabel = F\ntype = file\naccept = pdf exe\n",
		    "[field:f] accept: not a list of known extensions" },
		{ FORM_HEAD "[field:t]\nlabel = T\ntype = text\naccept = pdf\n",
		    "[field:t] accept: only file fields take accept" },
		{ FORM_HEAD "[field:f]\nlabel = F\ntype = file\nmax_size = 0\n",
		    "[field:f] max_size: not a whole number from 1" },
		{ FORM_HEAD "[field:t]\nlabel = T\ntype = text\nmessage.nonsense = x\n",
		    "[field:t] message.nonsense: unknown key" },
	};
	const char *const	*keys = intake_form_keys();
	struct fixture		 f;
	struct intake_forms	*c;
	char			 want[64];
	size_t			 i, k;
	int			 e;

	T_EQ_INT(load(&f, "ok", FORM_HEAD "[field:n]\nlabel = N\ntype = number\nstep = 0.01\n"
	    "min = 0\nmax = 10.5\nmessage.step = Whole cents, please.\n"
	    "[field:f]\nlabel = F\ntype = file\nmax_size = 2097152\naccept = .pdf, PNG\n"
	    "message.required = Attach the scan,\n  front and back.\n"
	    "[field:g]\nlabel = G\ntype = file\n", &c), INTAKE_OK);
	T_EQ_INT(intake_field_decimals(&c->form[0].fields[0]), 2);
	T_EQ_STR(c->form[0].fields[0].message[INTAKE_FE_STEP], "Whole cents, please.");
	T_EQ_INT(c->form[0].fields[1].max_size, 2097152);
	T_EQ_STR(c->form[0].fields[1].message[INTAKE_FE_REQUIRED],
	    "Attach the scan, front and back.");
	T_EQ_INT(c->form[0].fields[2].max_size, INTAKE_FILE_MAX);	/* the default */
	intake_forms_free(c);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		T_EQ_INT(load(&f, "bad", bad[i].text, &c), INTAKE_ECONFIG);
		T_CONTAINS(f.err, bad[i].want);
	}
	/* Every problem but an unknown field has its message.CODE key. */
	for (e = 0; e < INTAKE_FE__MAX; e++) {
		if (e == INTAKE_FE_UNKNOWN)
			continue;
		(void)snprintf(want, sizeof(want), "field:NAME.message.%s",
		    intake_field_error_code((enum intake_field_error)e));
		for (k = 0; keys[k] != NULL && strcmp(keys[k], want) != 0; k++)
			;
		T_ASSERT(keys[k] != NULL);
	}
}

static void
test_form_file_name_is_checked(void)
{
	struct fixture		 f;
	struct intake_forms	*c;

	T_EQ_INT(load(&f, "Bad Name", FORM_HEAD "[field:a]\nlabel = A\ntype = text\n", &c),
	    INTAKE_ECONFIG);
	T_CONTAINS(f.err, "a form file name must be");
}

static void
test_form_pattern_is_anchored(void)
{
	struct fixture			 f;
	struct intake_forms		*c;
	const struct intake_field	*fd;

	T_EQ_INT(load(&f, "p", FORM_HEAD "[field:code]\nlabel = Code\ntype = text\n"
	    "pattern = [A-Z]{3}-[0-9]+\n", &c), INTAKE_OK);
	fd = &c->form[0].fields[0];
	T_ASSERT(fd->has_re);
	T_EQ_INT(regexec(&fd->re, "ABC-12", 0, NULL, 0), 0);
	T_NE_INT(regexec(&fd->re, "xABC-12", 0, NULL, 0), 0);
	T_NE_INT(regexec(&fd->re, "ABC-12x", 0, NULL, 0), 0);
	intake_forms_free(c);
}

/* No forms_dir: an empty set, not a failure. */
static void
test_forms_without_dir_are_an_empty_set(void)
{
	struct intake_forms	*c = NULL;
	char			 err[256];

	T_EQ_INT(intake_forms_load("", NULL, 0, &c, err, sizeof(err)), INTAKE_OK);
	T_ASSERT(c != NULL);
	T_EQ_INT((long long)c->n, 0);
	T_ASSERT(intake_form_find(c, "ask", 3) == NULL);
	intake_forms_free(c);
	T_EQ_INT(intake_forms_load("/nonexistent/forms", NULL, 0, &c, err, sizeof(err)),
	    INTAKE_ECONFIG);
	T_CONTAINS(err, "/nonexistent/forms: cannot read the forms directory");
}

/* Only a [source:NAME] list may feed a choice field, not a [report:NAME] table. */
static void
test_form_source_must_be_a_choice_list(void)
{
	struct intake_source	src[2];
	struct intake_form	form;
	char			err[256];
	const char		*text = FORM_HEAD "[field:a]\nlabel = A\ntype = select\n"
	    "source = people\n";

	memset(src, 0, sizeof(src));
	src[0].kind = INTAKE_SOURCE_REPORT;
	(void)intake_strlcpy(src[0].name, "people", sizeof(src[0].name));
	T_EQ_INT(intake_form_parse_string(text, "pick", src, 1, &form, err, sizeof(err)),
	    INTAKE_ECONFIG);
	T_CONTAINS(err, "pick.conf: [field:a] source: no [source:NAME]");
	src[1].kind = INTAKE_SOURCE_CHOICES;
	(void)intake_strlcpy(src[1].name, "people", sizeof(src[1].name));
	T_EQ_INT(intake_form_parse_string(text, "pick", src, 2, &form, err, sizeof(err)),
	    INTAKE_OK);
	T_EQ_STR(form.fields[0].source, "people");
	intake_forms_free_one(&form);
}

/* Two lists: regions, and locations that filter.parent follows. */
static void
cascade_sources(struct intake_source src[2])
{
	memset(src, 0, 2 * sizeof(*src));
	src[0].kind = src[1].kind = INTAKE_SOURCE_CHOICES;
	(void)intake_strlcpy(src[0].name, "regions", sizeof(src[0].name));
	(void)intake_strlcpy(src[1].name, "locations", sizeof(src[1].name));
	(void)intake_strlcpy(src[1].filters[0].param, "parent", sizeof(src[1].filters[0].param));
	(void)intake_strlcpy(src[1].filters[0].expose, "Region", sizeof(src[1].filters[0].expose));
	src[1].nfilters = 1;
}

/* Fixed choices: "|" between items, "=" between value and label, "\" escapes either. */
static void
test_form_fixed_choices_escape_bar_and_equals(void)
{
	struct intake_source	src[2];
	struct intake_form	form;
	const struct intake_field *fd;
	char			err[256];
	const char		*text = FORM_HEAD "[field:prio]\nlabel = P\ntype = radio\n"
	    "choices = Low | N = Normal \\| plain |a\\=b=  A = equals | back\\\\slash  \n";

	cascade_sources(src);
	T_EQ_INT(intake_form_parse_string(text, "fixed", src, 2, &form, err, sizeof(err)),
	    INTAKE_OK);
	fd = &form.fields[0];
	T_EQ_INT(fd->type, INTAKE_FIELD_RADIO);
	T_ASSERT(intake_field_has_source(fd->type));
	T_ASSERT(!intake_field_takes_many(fd->type));
	T_EQ_INT((long long)fd->nchoices, 4);
	T_EQ_STR(intake_field_choice_value(fd, 0), "Low");
	T_EQ_STR(intake_field_choice_label(fd, 0), "Low");
	T_EQ_STR(intake_field_choice_value(fd, 1), "N");
	T_EQ_STR(intake_field_choice_label(fd, 1), "Normal | plain");
	T_EQ_STR(intake_field_choice_value(fd, 2), "a=b");
	T_EQ_STR(intake_field_choice_label(fd, 2), "A = equals");
	T_EQ_STR(intake_field_choice_value(fd, 3), "back\\slash");
	T_ASSERT(intake_field_choice_value(fd, 4) == NULL);
	T_ASSERT(intake_field_choice_offered(fd, "a=b"));
	T_ASSERT(!intake_field_choice_offered(fd, "Normal | plain"));
	T_ASSERT(!intake_field_choice_offered(fd, "low"));
	T_ASSERT(!intake_field_choice_offered(fd, "back\\slash  "));
	intake_forms_free_one(&form);
}

/* Each bad choice or parent is named by field, key and problem. */
static void
test_form_choice_and_parent_mistakes(void)
{
	static const struct {
		const char	*text;
		const char	*want;
	} cases[] = {
		{ "[field:a]\nlabel = A\ntype = radio\n", "[field:a] source: required for a choice" },
		{ "[field:a]\nlabel = A\ntype = radio\nchoices = X|Y|X\n",
		    "[field:a] choices: a value is listed twice" },
		{ "[field:a]\nlabel = A\ntype = select\nchoices = X||Y\n",
		    "[field:a] choices: a choice has an empty value" },
		{ "[field:a]\nlabel = A\ntype = select\nchoices = X|Y|\n",
		    "[field:a] choices: a choice has an empty value" },
		{ "[field:a]\nlabel = A\ntype = select\nchoices = X = \n",
		    "[field:a] choices: a choice has an empty label" },
		{ "[field:a]\nlabel = A\ntype = select\nchoices = X\\y\n",
		    "[field:a] choices: a backslash must come before" },
		{ "[field:a]\nlabel = A\ntype = select\nchoices = X\nsource = regions\n",
		    "[field:a] source: a field takes a source or choices, not both" },
		{ "[field:a]\nlabel = A\ntype = text\nchoices = X\n",
		    "[field:a] choices: only choice fields take choices" },
		{ "[field:a]\nlabel = A\ntype = text\nparent = b\n",
		    "[field:a] parent: only select fields take a parent" },
		{ "[field:a]\nlabel = A\ntype = select\nsource = locations\nparent = nope\n",
		    "[field:a] parent: no field of that name" },
		{ "[field:a]\nlabel = A\ntype = select\nsource = locations\nparent = a\n",
		    "[field:a] parent: a field cannot be its own parent" },
		{ "[field:r]\nlabel = R\ntype = checkboxes\nsource = regions\n"
		  "[field:a]\nlabel = A\ntype = select\nsource = locations\nparent = r\n",
		    "[field:a] parent: the parent must be a select or a radio" },
		{ "[field:r]\nlabel = R\ntype = select\nsource = regions\n"
		  "[field:a]\nlabel = A\ntype = select\nsource = regions\nparent = r\n",
		    "[field:a] parent: its source has no filter.parent" },
		{ "[field:r]\nlabel = R\ntype = select\nchoices = X\n"
		  "[field:a]\nlabel = A\ntype = select\nchoices = X\nparent = r\n",
		    "[field:a] parent: only a select with a source takes a parent" },
		{ "[field:a]\nlabel = A\ntype = select\nsource = locations\nparent = b\n"
		  "[field:b]\nlabel = B\ntype = select\nsource = locations\nparent = a\n",
		    "[field:a] parent: the parents form a circle" },
		{ "[field:a]\nlabel = A\ntype = select\nsource = regions\nparent_column = R\n",
		    "[field:a] parent_column: only a field with a parent" },
	};
	struct intake_source	src[2];
	struct intake_form	form;
	char			err[256], text[1024];
	size_t			i;

	cascade_sources(src);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		(void)snprintf(text, sizeof(text), "%s%s", FORM_HEAD, cases[i].text);
		T_EQ_INT(intake_form_parse_string(text, "bad", src, 2, &form, err, sizeof(err)),
		    INTAKE_ECONFIG);
		T_CONTAINS(err, cases[i].want);
	}
}

/* A child names its parent; the column it reads defaults to its filter's name. */
static void
test_form_parent_defaults_to_filter_column(void)
{
	struct intake_source	src[2];
	struct intake_form	form;
	char			err[256];
	const char		*text = FORM_HEAD
	    "[field:loc]\nlabel = L\ntype = select\nsource = locations\nparent = reg\n"
	    "[field:reg]\nlabel = R\ntype = radio\nsource = regions\n"
	    "[field:loc2]\nlabel = L2\ntype = select\nsource = locations\nparent = reg\n"
	    "parent_column = Area\n";

	cascade_sources(src);
	T_EQ_INT(intake_form_parse_string(text, "kids", src, 2, &form, err, sizeof(err)),
	    INTAKE_OK);
	T_EQ_STR(form.fields[0].parent, "reg");
	T_EQ_INT((long long)form.fields[0].parent_index, 1);
	T_EQ_STR(form.fields[0].parent_column, "Region");
	T_EQ_STR(form.fields[2].parent_column, "Area");
	T_EQ_STR(form.fields[1].parent, "");
	intake_forms_free_one(&form);
}

/* KEY.de keys give a form's words in German; the plain keys stay for the rest. */
static void
test_form_words_per_language(void)
{
	struct intake_source	src[2];
	struct intake_form	form;
	const struct intake_field *fd;
	char			err[256];
	const char		*text = FORM_HEAD "title.de = Anfrage\n"
	    "[field:loc]\nlabel = Location\nlabel.de = Standort\nhelp = Where\n"
	    "help.de = Wo\ntype = text\n[field:note]\nlabel = Note\ntype = text\n";

	cascade_sources(src);
	T_EQ_INT(intake_form_parse_string(text, "words", src, 2, &form, err, sizeof(err)),
	    INTAKE_OK);
	T_EQ_STR(form.lang, "");
	T_EQ_STR(intake_form_title(&form, INTAKE_LANG_DE), "Anfrage");
	T_EQ_STR(intake_form_title(&form, INTAKE_LANG_EN), form.title);
	T_EQ_STR(intake_form_description(&form, INTAKE_LANG_DE), form.description);
	fd = &form.fields[0];
	T_EQ_STR(intake_field_label(fd, INTAKE_LANG_DE), "Standort");
	T_EQ_STR(intake_field_label(fd, INTAKE_LANG_EN), "Location");
	T_EQ_STR(intake_field_help(fd, INTAKE_LANG_DE), "Wo");
	T_EQ_STR(intake_field_help(fd, INTAKE_LANG_EN), "Where");
	/* No label.de: the plain label, in every language. */
	T_EQ_STR(intake_field_label(&form.fields[1], INTAKE_LANG_DE), "Note");
	T_EQ_STR(intake_field_label(fd, (enum intake_lang)99), "Location");
	intake_forms_free_one(&form);
}

/* lang names a supported language, or the form does not load; KEY.fr is no key. */
static void
test_form_lang_must_be_supported(void)
{
	struct intake_source	src[2];
	struct intake_form	form;
	char			err[256];

	cascade_sources(src);
	T_EQ_INT(intake_form_parse_string(FORM_HEAD "lang = de\n[field:a]\nlabel = A\n"
	    "type = text\n", "de", src, 2, &form, err, sizeof(err)), INTAKE_OK);
	T_EQ_STR(form.lang, "de");
	intake_forms_free_one(&form);
	T_NE_INT(intake_form_parse_string(FORM_HEAD "lang = fr\n[field:a]\nlabel = A\n"
	    "type = text\n", "fr", src, 2, &form, err, sizeof(err)), INTAKE_OK);
	T_CONTAINS(err, "lang");
	T_CONTAINS(err, "not a supported language");
	T_NE_INT(intake_form_parse_string(FORM_HEAD "[field:a]\nlabel = A\nlabel.fr = B\n"
	    "type = text\n", "fr", src, 2, &form, err, sizeof(err)), INTAKE_OK);
	T_CONTAINS(err, "label.fr");
}

int
main(void)
{
	T_RUN(test_form_loads_fields_in_order_with_defaults);
	T_RUN(test_form_errors_name_file_field_and_problem);
	T_RUN(test_form_holds_long_text_and_names_section_typos);
	T_RUN(test_form_rules_and_messages_load_and_are_checked);
	T_RUN(test_form_file_name_is_checked);
	T_RUN(test_form_pattern_is_anchored);
	T_RUN(test_forms_without_dir_are_an_empty_set);
	T_RUN(test_form_source_must_be_a_choice_list);
	T_RUN(test_form_fixed_choices_escape_bar_and_equals);
	T_RUN(test_form_choice_and_parent_mistakes);
	T_RUN(test_form_parent_defaults_to_filter_column);
	T_RUN(test_form_words_per_language);
	T_RUN(test_form_lang_must_be_supported);
	return T_DONE();
}
