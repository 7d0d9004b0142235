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

/* The language check() validates in. */
static enum intake_lang	check_lang = INTAKE_LANG_EN;

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
	if (intake_form_validate(&form, check_lang, in, n, offered, NULL, values, problems,
	    &np) != INTAKE_OK)
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
	static const char *const date[] = { "name", "Jo", "day", "2023-2-28", NULL };
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
		{ "\xff\xfe", INTAKE_FE_UNKNOWN, NULL, "", INTAKE_LANG_EN },
		{ "name", INTAKE_FE_REQUIRED, NULL, "", INTAKE_LANG_EN } };
	struct intake_buf		b;

	intake_buf_init(&b, 4096);
	T_EQ_INT(intake_field_problems_json(&b, p, 2), INTAKE_OK);
	T_EQ_STR(intake_buf_str(&b), "{\"errors\":[{\"field\":\"\xef\xbf\xbd\xef\xbf\xbd\","
	    "\"code\":\"unknown_field\",\"message\":\"This form has no such field.\"},"
	    "{\"field\":\"name\",\"code\":\"required\",\"message\":\"Please fill in this "
	    "field.\"}]}\n");
	intake_buf_free(&b);
}

/* The one problem's sentence, as the 422 page and the JSON body say it. */
static const char *
message_of(const char *const *kv)
{
	if (check(kv) != 1)
		return "(not one problem)";
	return intake_field_problem_message(&problems[0]);
}

/* 2027-02-30 has the shape of a date: it is told there is no such day. */
static void
test_impossible_date_is_no_such_date_not_a_format_error(void)
{
	const char	*kv[] = { "name", "Jo", "day", NULL, NULL };

	setup();
	kv[3] = "2027-02-30";
	expect_one(kv, "day", INTAKE_FE_NO_SUCH_DATE);
	T_EQ_STR(message_of(kv), "There is no 30 February 2027.");
	kv[3] = "2027-04-31";
	T_EQ_STR(message_of(kv), "There is no 31 April 2027.");
	kv[3] = "2023-02-29";	/* not a leap year */
	T_EQ_STR(message_of(kv), "There is no 29 February 2023.");
	kv[3] = "2027-13-01";
	expect_one(kv, "day", INTAKE_FE_NO_SUCH_DATE);
	T_EQ_STR(message_of(kv), "There is no month 13.");
	kv[3] = "2027-02-3O";	/* a letter O: not the shape */
	expect_one(kv, "day", INTAKE_FE_DATE);
	T_EQ_STR(message_of(kv), "Enter a date as YYYY-MM-DD.");
	kv[3] = "2028-02-29";
	T_EQ_INT((long long)check(kv), 0);
}

/* In German, the made sentences and the codes' sentences are German; codes stay. */
static void
test_problems_are_told_in_the_language_asked(void)
{
	const char	*kv[] = { "name", "Jo", "day", NULL, NULL };
	const char	*none[] = { NULL };

	setup();
	check_lang = INTAKE_LANG_DE;
	kv[3] = "2027-02-30";
	expect_one(kv, "day", INTAKE_FE_NO_SUCH_DATE);
	T_EQ_STR(message_of(kv), "Den 30. Februar 2027 gibt es nicht.");
	kv[3] = "2027-03-32";
	T_EQ_STR(message_of(kv), "Den 32. März 2027 gibt es nicht.");
	kv[3] = "2027-13-01";
	T_EQ_STR(message_of(kv), "Den Monat 13 gibt es nicht.");
	kv[3] = "2027-02-3O";
	T_EQ_STR(message_of(kv), "Geben Sie ein Datum als JJJJ-MM-TT ein.");
	T_ASSERT(check(none) > 0);
	T_EQ_STR(intake_field_error_code(problems[0].code), "required");
	T_EQ_STR(intake_field_problem_message(&problems[0]), "Bitte füllen Sie dieses Feld aus.");
	check_lang = INTAKE_LANG_EN;
	T_ASSERT(check(none) > 0);
	T_EQ_STR(intake_field_problem_message(&problems[0]), "Please fill in this field.");
	T_EQ_STR(intake_field_error_message(INTAKE_FE_EMAIL, INTAKE_LANG_DE),
	    "Geben Sie eine E-Mail-Adresse wie name@example.com ein.");
	T_EQ_STR(intake_field_error_message(INTAKE_FE__MAX, INTAKE_LANG_DE),
	    "Dieser Wert ist nicht gültig.");
}

/* A decimal field: step 0.01 from min 0; stored in its shortest spelling. */
static void
test_decimal_number_with_step_is_canonical_or_refused(void)
{
	const char		*kv[] = { "name", "Jo", "n", NULL, NULL };
	struct intake_field	*n;

	setup();
	n = &form.fields[2];
	(void)strcpy(n->step, "0.01");	/* test data */
	(void)strcpy(n->min, "0");
	(void)strcpy(n->max, "1000");
	kv[3] = "12.50";
	T_EQ_INT((long long)check(kv), 0);
	T_EQ_STR(values[2].values[0], "12.5");
	kv[3] = "+0012.05";
	T_EQ_INT((long long)check(kv), 0);
	T_EQ_STR(values[2].values[0], "12.05");
	kv[3] = "-0.00";
	T_EQ_INT((long long)check(kv), 0);
	T_EQ_STR(values[2].values[0], "0");
	kv[3] = "7";
	T_EQ_INT((long long)check(kv), 0);
	T_EQ_STR(values[2].values[0], "7");
	kv[3] = "12.345";
	expect_one(kv, "n", INTAKE_FE_NUMBER);
	T_EQ_STR(message_of(kv), "Enter a number with at most 2 decimals.");
	kv[3] = ".5";
	expect_one(kv, "n", INTAKE_FE_NUMBER);
	kv[3] = "5.";
	expect_one(kv, "n", INTAKE_FE_NUMBER);
	kv[3] = "1,5";
	expect_one(kv, "n", INTAKE_FE_NUMBER);
	kv[3] = "1000.01";
	expect_one(kv, "n", INTAKE_FE_RANGE);
	/* Steps of 0.25: 0.3 is off the step, counted from min. */
	(void)strcpy(n->step, "0.25");
	kv[3] = "0.3";
	expect_one(kv, "n", INTAKE_FE_STEP);
	T_EQ_STR(message_of(kv), "Enter a number in steps of 0.25.");
	(void)strcpy(n->min, "0.1");
	kv[3] = "0.6";
	T_EQ_INT((long long)check(kv), 0);
	kv[3] = "0.5";
	T_EQ_STR(message_of(kv), "Enter a number in steps of 0.25 from 0.1.");
	/* A whole step: 5 from 10. */
	(void)strcpy(n->step, "5");
	(void)strcpy(n->min, "10");
	kv[3] = "15";
	T_EQ_INT((long long)check(kv), 0);
	kv[3] = "16";
	expect_one(kv, "n", INTAKE_FE_STEP);
}

/* message.CODE of the field replaces the code's sentence, in the JSON body too. */
static void
test_field_message_replaces_the_default(void)
{
	static const char *const missing[] = { "mail", "a@b.example", NULL };
	static const char *const pat[] = { "name", "Jo3", NULL };
	struct intake_buf	b;

	setup();
	(void)strcpy(form.fields[0].message[INTAKE_FE_REQUIRED], "Tell us your name.");
	(void)strcpy(form.fields[0].message[INTAKE_FE_PATTERN], "Letters only, please.");
	T_EQ_STR(message_of(missing), "Tell us your name.");
	T_EQ_STR(message_of(pat), "Letters only, please.");
	intake_buf_init(&b, 4096);
	T_EQ_INT(intake_field_problems_json(&b, problems, 1), INTAKE_OK);
	T_EQ_STR(intake_buf_str(&b), "{\"errors\":[{\"field\":\"name\",\"code\":\"pattern\","
	    "\"message\":\"Letters only, please.\"}]}\n");
	intake_buf_free(&b);
	/* Another field keeps the default. */
	(void)strcpy(form.fields[0].message[INTAKE_FE_REQUIRED], "");
	T_EQ_STR(message_of(missing), "Please fill in this field.");
}

static const char png[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0"
    "\x1f\x15\xc4\x89\0\0\0\rIDATx\x9c" "c\xf8\x0f\0\0\x01\x01\0\x05\x18\xd8N\0\0\0\0IEND"
    "\xae" "B`\x82";
static const char pdf[] = "%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n"
    "<< /Root 1 0 R >>\n%%EOF\n";

/* Validate one file part for the file field; the number of problems. */
static size_t
check_file(const char *filename, const char *data, size_t len)
{
	static struct intake_part	part;
	struct intake_form_input	in[2];
	size_t				np = 99;

	memset(&part, 0, sizeof(part));
	memset(in, 0, sizeof(in));
	(void)strcpy(part.name, "doc");
	(void)strcpy(part.filename, filename);
	part.is_file = 1;
	part.data = data;
	part.len = len;
	in[0].name = "name";
	(void)strcpy(vbuf[0], "Jo");
	in[0].value = vbuf[0];
	in[0].len = 2;
	in[1].name = "doc";
	in[1].file = &part;
	if (intake_form_validate(&form, INTAKE_LANG_EN, in, 2, offered, NULL, values, problems,
	    &np) != INTAKE_OK)
		abort();
	return np;
}

/* Per-field file limits: size, and types by name and by content (libmagic). */
static void
test_file_limits_by_size_name_and_content(void)
{
	struct intake_field	*f;
	static char		big[2048];

	setup();
	f = &form.fields[form.nfields++];
	(void)strcpy(f->name, "doc");
	f->type = INTAKE_FIELD_FILE;
	f->min_length = f->max_length = -1;
	f->max_size = 1024;
	(void)strcpy(f->accept, "pdf .PNG");
	T_EQ_INT((long long)check_file("scan.pdf", pdf, sizeof(pdf) - 1), 0);
	T_EQ_INT((long long)check_file("Photo.PNG", png, sizeof(png) - 1), 0);
	/* Attack: a PNG renamed .pdf passes a name check; its bytes say otherwise. */
	T_EQ_INT((long long)check_file("invoice.pdf", png, sizeof(png) - 1), 1);
	T_EQ_STR(intake_field_error_code(problems[0].code), "file_type");
	T_EQ_STR(intake_field_problem_message(&problems[0]),
	    "The file's content is not of the type its name says (accepted: PDF, PNG).");
	/* A PDF named .exe: refused by name. */
	T_EQ_INT((long long)check_file("tool.exe", pdf, sizeof(pdf) - 1), 1);
	T_EQ_STR(intake_field_problem_message(&problems[0]),
	    "Attach a file of one of these types: PDF, PNG.");
	T_EQ_INT((long long)check_file("noextension", pdf, sizeof(pdf) - 1), 1);
	T_EQ_STR(intake_field_error_code(problems[0].code), "file_type");
	/* Over the field's limit, told with the limit. */
	memcpy(big, pdf, sizeof(pdf) - 1);
	T_EQ_INT((long long)check_file("big.pdf", big, sizeof(big)), 1);
	T_EQ_STR(intake_field_error_code(problems[0].code), "file_too_large");
	T_EQ_STR(intake_field_problem_message(&problems[0]), "The file is larger than 1 KB.");
	f->max_size = 1024;
	T_EQ_INT((long long)check_file("edge.pdf", big, 1024), 0);
	/* No accept: any type, the size only. */
	f->accept[0] = '\0';
	T_EQ_INT((long long)check_file("invoice.pdf", png, sizeof(png) - 1), 0);
	f->max_size = 5u << 20;
	T_EQ_INT((long long)check_file("big.bin", big, sizeof(big)), 0);
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
	T_RUN(test_impossible_date_is_no_such_date_not_a_format_error);
	T_RUN(test_problems_are_told_in_the_language_asked);
	T_RUN(test_decimal_number_with_step_is_canonical_or_refused);
	T_RUN(test_field_message_replaces_the_default);
	T_RUN(test_file_limits_by_size_name_and_content);
	return T_DONE();
}
