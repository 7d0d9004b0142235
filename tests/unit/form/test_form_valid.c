/*
 * test_form_valid.c - lib/form/form_valid.c: every rule, broken one at a time,
 * gives its exact code; problems come all at once; nothing unknown passes.
 */
#include <regex.h>
#include <string.h>

#include "form/form_valid.h"

#include "t.h"

static struct intake_form	form;

/* A radio group of fixed choices, and a select whose parent is "pick". */
static void
setup_choices(void)
{
	struct intake_field	*f;

	f = &form.fields[form.nfields++];
	(void)strcpy(f->name, "prio");
	f->type = INTAKE_FIELD_RADIO;
	f->min_length = f->max_length = -1;
	if (intake_form_parse_choices(f, "P1 = Urgent | P2 = Normal") != NULL)
		abort();
	f = &form.fields[form.nfields++];
	(void)strcpy(f->name, "child");
	f->type = INTAKE_FIELD_SELECT;
	f->min_length = f->max_length = -1;
	(void)strcpy(f->parent, "pick");
}

/* The form every test checks against. */
static void
setup(void)
{
	struct intake_field	*f;

	memset(&form, 0, sizeof(form));
	(void)strcpy(form.id, "t");	/* test data; the banned-function grep covers lib/ */
	f = &form.fields[form.nfields++];
	(void)strcpy(f->name, "name");
	f->type = INTAKE_FIELD_TEXT;
	f->required = true;
	f->min_length = 2;
	f->max_length = 5;
	(void)strcpy(f->pattern, "[A-Za-zäö]+");
	if (regcomp(&f->re, "^([A-Za-zäö]+)$", REG_EXTENDED | REG_NOSUB) != 0)
		abort();
	f->has_re = true;
	f = &form.fields[form.nfields++];
	(void)strcpy(f->name, "mail");
	f->type = INTAKE_FIELD_EMAIL;
	f->min_length = f->max_length = -1;
	f = &form.fields[form.nfields++];
	(void)strcpy(f->name, "n");
	f->type = INTAKE_FIELD_NUMBER;
	f->min_length = f->max_length = -1;
	(void)strcpy(f->min, "10");
	(void)strcpy(f->max, "20");
	f = &form.fields[form.nfields++];
	(void)strcpy(f->name, "day");
	f->type = INTAKE_FIELD_DATE;
	f->min_length = f->max_length = -1;
	(void)strcpy(f->min, "2024-01-01");
	f = &form.fields[form.nfields++];
	(void)strcpy(f->name, "pick");
	f->type = INTAKE_FIELD_SELECT;
	f->min_length = f->max_length = -1;
	f = &form.fields[form.nfields++];
	(void)strcpy(f->name, "boxes");
	f->type = INTAKE_FIELD_CHECKBOXES;
	f->min_length = f->max_length = -1;
	f = &form.fields[form.nfields++];
	(void)strcpy(f->name, "notes");
	f->type = INTAKE_FIELD_TEXTAREA;
	f->min_length = f->max_length = -1;
	setup_choices();
}

/*
 * Offered choices: "a", "b", "c"; a child's are "PARENT-1" and "PARENT-2"
 * under a parent value, and "x-1" without one.
 */
static bool
offered(void *arg, const struct intake_field *fd, const char *value, const char *parent)
{
	size_t	n;

	(void)arg;
	if (strcmp(fd->name, "child") == 0) {
		if (parent == NULL)
			return strcmp(value, "x-1") == 0;
		n = strlen(parent);
		return strncmp(value, parent, n) == 0 && (strcmp(value + n, "-1") == 0 ||
		    strcmp(value + n, "-2") == 0);
	}
	if (strcmp(fd->name, "prio") == 0)
		abort();	/* fixed choices are checked without asking */
	return strcmp(value, "a") == 0 || strcmp(value, "b") == 0 || strcmp(value, "c") == 0;
}

static struct intake_form_value		values[INTAKE_FIELDS_MAX];
static struct intake_field_problem	problems[INTAKE_FIELDS_MAX + INTAKE_FORM_INPUTS_MAX];

/* Copies of the values: validation rewrites them in place (trimmed, canonical). */
static char	vbuf[INTAKE_FORM_INPUTS_MAX][256];

/* Validate name=value pairs (NULL-terminated list); the number of problems. */
static size_t
check(const char *const *kv)
{
	struct intake_form_input	in[INTAKE_FORM_INPUTS_MAX];
	size_t				n = 0, np = 99;

	memset(in, 0, sizeof(in));
	for (; kv[0] != NULL; kv += 2, n++) {
		in[n].name = kv[0];
		in[n].len = strlen(kv[1]);
		if (in[n].len >= sizeof(vbuf[n]))
			abort();
		memcpy(vbuf[n], kv[1], in[n].len + 1);
		in[n].value = vbuf[n];
	}
	if (intake_form_validate(&form, in, n, offered, NULL, values, problems, &np) != INTAKE_OK)
		abort();
	return np;
}

/* The one problem of a submission that breaks one rule. */
static void
expect_one(const char *const *kv, const char *field, enum intake_field_error code)
{
	size_t	np = check(kv);

	T_EQ_INT((long long)np, 1);
	if (np == 1) {
		T_EQ_STR(problems[0].field, field);
		T_EQ_STR(intake_field_error_code(problems[0].code), intake_field_error_code(code));
	}
}

static void
test_valid_submission_maps_every_value(void)
{
	static const char *const kv[] = { "name", "Jörg", "mail", "a@b.example", "n", "15",
	    "day", "2024-02-29", "pick", "b", "boxes", "a", "boxes", "c",
	    "notes", "two\r\nlines\tand a tab", "_token", "x", "website", "", NULL };

	setup();
	T_EQ_INT((long long)check(kv), 0);
	T_EQ_STR(values[0].values[0], "Jörg");
	T_EQ_INT((long long)values[5].nvalues, 2);
	T_EQ_STR(values[5].values[1], "c");
	T_EQ_STR(values[6].values[0], "two\r\nlines\tand a tab");
}

static void
test_each_rule_has_its_code(void)
{
	static const char *const missing[] = { "mail", "a@b.example", NULL };
	static const char *const short_[] = { "name", "J", NULL };
	static const char *const long_[] = { "name", "Jörgen", NULL };
	static const char *const pat[] = { "name", "Jo3", NULL };
	static const char *const mail[] = { "name", "Jo", "mail", "a@b", NULL };
	static const char *const num[] = { "name", "Jo", "n", "1.5", NULL };
	static const char *const range[] = { "name", "Jo", "n", "21", NULL };
	static const char *const date[] = { "name", "Jo", "day", "2023-02-29", NULL };
	static const char *const early[] = { "name", "Jo", "day", "2023-12-31", NULL };
	static const char *const ctl[] = { "name", "Jo", "notes", "bell\a", NULL };
	static const char *const nl[] = { "name", "J\no", NULL };
	static const char *const utf[] = { "name", "J\xc3\x28", NULL };

	setup();
	expect_one(missing, "name", INTAKE_FE_REQUIRED);
	expect_one(short_, "name", INTAKE_FE_TOO_SHORT);
	/* Lengths count characters: "Jörg" is 4, "Jörgen" is 6. */
	expect_one(long_, "name", INTAKE_FE_TOO_LONG);
	expect_one(pat, "name", INTAKE_FE_PATTERN);
	expect_one(mail, "mail", INTAKE_FE_EMAIL);
	expect_one(num, "n", INTAKE_FE_NUMBER);
	expect_one(range, "n", INTAKE_FE_RANGE);
	expect_one(date, "day", INTAKE_FE_DATE);
	expect_one(early, "day", INTAKE_FE_RANGE);
	expect_one(ctl, "notes", INTAKE_FE_ENCODING);
	expect_one(nl, "name", INTAKE_FE_ENCODING);
	expect_one(utf, "name", INTAKE_FE_ENCODING);
}

static void
test_tampered_choice_is_not_offered(void)
{
	static const char *const sel[] = { "name", "Jo", "pick", "z", NULL };
	static const char *const box[] = { "name", "Jo", "boxes", "a", "boxes", "evil", NULL };

	setup();
	expect_one(sel, "pick", INTAKE_FE_NOT_OFFERED);
	expect_one(box, "boxes", INTAKE_FE_NOT_OFFERED);
}

static void
test_fixed_choice_not_declared_is_not_offered(void)
{
	static const char *const ok[] = { "name", "Jo", "prio", "P2", NULL };
	static const char *const label[] = { "name", "Jo", "prio", "Normal", NULL };
	static const char *const spaced[] = { "name", "Jo", "prio", "P2 ", NULL };
	static const char *const two[] = { "name", "Jo", "prio", "P1", "prio", "P2", NULL };

	setup();
	T_EQ_INT((long long)check(ok), 0);
	T_EQ_STR(values[7].values[0], "P2");
	expect_one(label, "prio", INTAKE_FE_NOT_OFFERED);
	expect_one(spaced, "prio", INTAKE_FE_NOT_OFFERED);
	expect_one(two, "prio", INTAKE_FE_TOO_MANY);
}

static void
test_child_of_another_parent_is_not_offered(void)
{
	static const char *const ok[] = { "name", "Jo", "pick", "b", "child", "b-2", NULL };
	static const char *const after[] = { "name", "Jo", "child", "c-1", "pick", "c", NULL };
	static const char *const none[] = { "name", "Jo", "pick", "", "child", "x-1", NULL };
	static const char *const other[] = { "name", "Jo", "pick", "a", "child", "b-1", NULL };
	static const char *const bad_parent[] = { "name", "Jo", "pick", "z", "child", "z-1",
	    NULL };

	setup();
	T_EQ_INT((long long)check(ok), 0);
	T_EQ_INT((long long)check(after), 0);	/* the parent may come later in the body */
	T_EQ_INT((long long)check(none), 0);	/* no parent value: the whole list */
	expect_one(other, "child", INTAKE_FE_NOT_OFFERED);
	/* A parent never offered is refused itself; the child follows what was sent. */
	expect_one(bad_parent, "pick", INTAKE_FE_NOT_OFFERED);
}

static void
test_second_value_for_a_single_field_is_too_many(void)
{
	static const char *const kv[] = { "name", "Jo", "pick", "a", "pick", "b", NULL };

	setup();
	expect_one(kv, "pick", INTAKE_FE_TOO_MANY);
}

static void
test_mass_assignment_field_is_unknown(void)
{
	static const char *const kv[] = { "name", "Jo", "is_admin", "1", NULL };

	setup();
	expect_one(kv, "is_admin", INTAKE_FE_UNKNOWN);
}

static void
test_every_problem_is_reported_at_once(void)
{
	static const char *const kv[] = { "mail", "x", "n", "9", "pick", "q", "extra", "1", NULL };

	setup();
	T_EQ_INT((long long)check(kv), 5);	/* extra, name, mail, n, pick */
}

static void
test_whitespace_only_value_does_not_satisfy_required(void)
{
	/* requester_name=+++ decodes to three spaces: it was started. */
	static const char *const spaces[] = { "name", "   ", NULL };
	static const char *const blanks[] = { "name", "\t\xc2\xa0\xe3\x80\x80 ", NULL };

	setup();
	expect_one(spaces, "name", INTAKE_FE_REQUIRED);
	/* Tab, no-break space and ideographic space are white space too. */
	expect_one(blanks, "name", INTAKE_FE_REQUIRED);
}

static void
test_length_checks_count_the_value_without_surrounding_space(void)
{
	static const char *const short_[] = { "name", "  J  ", NULL };
	static const char *const fits[] = { "name", "   Jörg     ", NULL };

	setup();
	expect_one(short_, "name", INTAKE_FE_TOO_SHORT);
	/* 12 characters sent, 4 kept: within max_length 5, and stored trimmed. */
	T_EQ_INT((long long)check(fits), 0);
	T_EQ_STR(values[0].values[0], "Jörg");
}

static void
test_inner_space_and_lines_are_kept(void)
{
	static const char *const kv[] = { "name", "Jo", "notes", " \r\n a\r\n  b \n", NULL };

	setup();
	T_EQ_INT((long long)check(kv), 0);
	T_EQ_STR(values[6].values[0], "a\r\n  b");
}

static void
test_choice_values_are_not_trimmed(void)
{
	static const char *const kv[] = { "name", "Jo", "pick", " a", NULL };

	setup();
	expect_one(kv, "pick", INTAKE_FE_NOT_OFFERED);
}

static void
test_number_with_plus_sign_is_stored_canonically(void)
{
	static const char *const plus[] = { "name", "Jo", "n", "+15", NULL };
	static const char *const zeros[] = { "name", "Jo", "n", " 0012 ", NULL };
	static const char *const negzero[] = { "name", "Jo", "n", "-0", NULL };

	setup();
	(void)strcpy(form.fields[2].min, "-10");	/* test data */
	T_EQ_INT((long long)check(plus), 0);
	T_EQ_STR(values[2].values[0], "15");
	T_EQ_INT((long long)check(zeros), 0);
	T_EQ_STR(values[2].values[0], "12");
	T_EQ_INT((long long)check(negzero), 0);
	T_EQ_STR(values[2].values[0], "0");
}

static void
test_number_that_is_not_a_whole_number_is_refused(void)
{
	static const char *const cases[] = { "+", "-", "1e3", "1.0", "0x10", "++1", "+-1",
	    "1 000", "\xef\xbc\x91", NULL };	/* the last: a full-width digit 1 */
	const char	*kv[] = { "name", "Jo", "n", NULL, NULL };
	size_t		 i;

	setup();
	for (i = 0; cases[i] != NULL; i++) {
		kv[3] = cases[i];
		expect_one(kv, "n", INTAKE_FE_NUMBER);
	}
}

static void
test_problems_json_replaces_invalid_utf8_field_name(void)
{
	struct intake_field_problem	p[2] = {
		{ "\xff\xfe", INTAKE_FE_UNKNOWN }, { "name", INTAKE_FE_REQUIRED } };
	struct intake_buf		b;

	intake_buf_init(&b, 4096);
	T_EQ_INT(intake_field_problems_json(&b, p, 2), INTAKE_OK);
	T_EQ_STR(intake_buf_str(&b), "{\"errors\":[{\"field\":\"\xef\xbf\xbd\xef\xbf\xbd\","
	    "\"code\":\"unknown_field\",\"message\":\"This form has no such field.\"},"
	    "{\"field\":\"name\",\"code\":\"required\",\"message\":\"Please fill in this "
	    "field.\"}]}\n");
	intake_buf_free(&b);
}

int
main(void)
{
	T_RUN(test_valid_submission_maps_every_value);
	T_RUN(test_each_rule_has_its_code);
	T_RUN(test_tampered_choice_is_not_offered);
	T_RUN(test_fixed_choice_not_declared_is_not_offered);
	T_RUN(test_child_of_another_parent_is_not_offered);
	T_RUN(test_second_value_for_a_single_field_is_too_many);
	T_RUN(test_mass_assignment_field_is_unknown);
	T_RUN(test_every_problem_is_reported_at_once);
	T_RUN(test_whitespace_only_value_does_not_satisfy_required);
	T_RUN(test_length_checks_count_the_value_without_surrounding_space);
	T_RUN(test_inner_space_and_lines_are_kept);
	T_RUN(test_choice_values_are_not_trimmed);
	T_RUN(test_number_with_plus_sign_is_stored_canonically);
	T_RUN(test_number_that_is_not_a_whole_number_is_refused);
	T_RUN(test_problems_json_replaces_invalid_utf8_field_name);
	return T_DONE();
}
