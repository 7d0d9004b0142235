/*
 * test_formgen.c - the field names a generated form definition gives:
 * valid HTML names, bounded however long the label; and its choice
 * fields: Integrify's fixed choices escaped so intake reads them back,
 * or free text with a hint where they cannot be listed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "form/form.h"
#include "integrify/formgen.h"
#include "integrify/tenant.h"
#include "util/buf.h"

#include "t.h"

static void
test_field_name_is_a_valid_html_name(void)
{
	char	n[64];

	intake_formgen_field_name("Floor / room", n, sizeof(n));
	T_EQ_STR(n, "floor_room");
	intake_formgen_field_name("  Requester name ", n, sizeof(n));
	T_EQ_STR(n, "requester_name");
	intake_formgen_field_name("Zürich office", n, sizeof(n));
	T_EQ_STR(n, "z_rich_office");
	intake_formgen_field_name("requester_email", n, sizeof(n));
	T_EQ_STR(n, "requester_email");
	intake_formgen_field_name("日本", n, sizeof(n));
	T_EQ_STR(n, "f");
	intake_formgen_field_name(NULL, n, sizeof(n));
	T_EQ_STR(n, "f");
}

static void
test_field_name_of_a_huge_label_is_bounded(void)
{
	char	big[1000], n[16];

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	big[7] = ' ';
	intake_formgen_field_name(big, n, sizeof(n));
	T_EQ_INT((long long)strlen(n), 15);
	T_EQ_STR(n, "aaaaaaa_aaaaaaa");
}

/* q's [field:f] section as written by -F, in a malloc'd string. */
static char *
field_text(const struct intake_tenant_question *q)
{
	char	*text = NULL;
	size_t	 len = 0;
	FILE	*out = open_memstream(&text, &len);

	if (out == NULL)
		abort();
	intake_formgen_write_field(out, q, "f");
	(void)fclose(out);
	return text;
}

/* A choice question of Integrify type word type with n choices "c1" .. "cn". */
static void
choice_question(struct intake_tenant_question *q, const char *type, size_t n)
{
	struct intake_buf	b;
	char			v[16];
	size_t			i;

	memset(q, 0, sizeof(*q));
	(void)snprintf(q->id, sizeof(q->id), "q-1");
	(void)snprintf(q->label, sizeof(q->label), "Pick");
	(void)snprintf(q->type, sizeof(q->type), "%s", type);
	q->kind = intake_tenant_kind_of(type);
	intake_buf_init(&b, sizeof(q->choices) - 1);
	for (i = 1; i <= n; i++) {
		(void)snprintf(v, sizeof(v), "c%zu", i);
		intake_tenant_choice_add(&b, v, v);
	}
	T_EQ_INT(intake_buf_err(&b), INTAKE_OK);
	(void)snprintf(q->choices, sizeof(q->choices), "%s", b.len > 0 ? intake_buf_str(&b) : "");
	q->nchoices = n;
	intake_buf_free(&b);
}

static void
test_choice_with_pipe_equals_and_backslash_reads_back(void)
{
	struct intake_field	*fd = calloc(1, sizeof(*fd));
	struct intake_buf	 b;

	T_ASSERT(fd != NULL);
	intake_buf_init(&b, 1024);
	intake_tenant_choice_add(&b, "A|B", "A or B");
	intake_tenant_choice_add(&b, "x=1", "one \\ two");
	intake_tenant_choice_add(&b, "C:\\", "C:\\");
	intake_tenant_choice_add(&b, "line\nbreak", "Line\tbreak");
	T_EQ_INT(intake_buf_err(&b), INTAKE_OK);
	T_EQ_STR(intake_buf_str(&b), "A\\|B = A or B | x\\=1 = one \\\\ two | C:\\\\ | "
	    "line break = Line break");
	T_ASSERT(intake_form_parse_choices(fd, intake_buf_str(&b)) == NULL);
	T_EQ_INT((long long)fd->nchoices, 4);
	T_EQ_STR(intake_field_choice_value(fd, 0), "A|B");
	T_EQ_STR(intake_field_choice_label(fd, 0), "A or B");
	T_EQ_STR(intake_field_choice_value(fd, 1), "x=1");
	T_EQ_STR(intake_field_choice_label(fd, 1), "one \\ two");
	T_EQ_STR(intake_field_choice_value(fd, 2), "C:\\");
	T_EQ_STR(intake_field_choice_label(fd, 2), "C:\\");
	intake_buf_free(&b);
	free(fd);
}

static void
test_choice_questions_become_choice_fields(void)
{
	struct intake_tenant_question	q;
	char				*t;

	choice_question(&q, "DropDown", 2);
	t = field_text(&q);
	T_ASSERT(strstr(t, "type = select\nchoices = c1 | c2\n") != NULL);
	T_ASSERT(strstr(t, ";") == NULL);
	free(t);
	choice_question(&q, "RadioButton", 3);
	t = field_text(&q);
	T_ASSERT(strstr(t, "type = radio\nchoices = c1 | c2 | c3\n") != NULL);
	free(t);
	choice_question(&q, "CheckBox", 1);
	t = field_text(&q);
	T_ASSERT(strstr(t, "type = checkboxes\nchoices = c1\n") != NULL);
	free(t);
	choice_question(&q, "MultiSelect", 64);
	t = field_text(&q);
	T_ASSERT(strstr(t, "type = multiselect\nchoices = c1 | ") != NULL);
	T_ASSERT(strstr(t, "| c64\n") != NULL);
	free(t);
}

static void
test_sixty_five_choices_fall_back_to_text_with_a_source_hint(void)
{
	struct intake_tenant_question	q;
	char				*t;

	choice_question(&q, "DropDown", 65);
	t = field_text(&q);
	T_ASSERT(strstr(t, "type = text\n") != NULL);
	T_ASSERT(strstr(t, "\nchoices =") == NULL);
	T_ASSERT(strstr(t, "more than 64 choices") != NULL);
	T_ASSERT(strstr(t, "[source:NAME]") != NULL);
	free(t);
}

static void
test_choices_intake_cannot_read_fall_back_to_text(void)
{
	struct intake_tenant_question	q;
	char				*t;

	choice_question(&q, "DropDown", 0);	/* Integrify lists none */
	t = field_text(&q);
	T_ASSERT(strstr(t, "type = text\n") != NULL);
	T_ASSERT(strstr(t, "lists no fixed choices") != NULL);
	T_ASSERT(strstr(t, "[source:NAME]") != NULL);
	free(t);
	choice_question(&q, "RadioButton", 2);
	(void)snprintf(q.choices, sizeof(q.choices), "A | A");	/* a value twice */
	t = field_text(&q);
	T_ASSERT(strstr(t, "type = text\n") != NULL);
	T_ASSERT(strstr(t, "listed twice") != NULL);
	free(t);
	choice_question(&q, "CheckBox", 2);
	(void)snprintf(q.choices, sizeof(q.choices), "A | ;B");	/* would be an INI comment */
	t = field_text(&q);
	T_ASSERT(strstr(t, "type = text\n") != NULL);
	T_ASSERT(strstr(t, "\nchoices =") == NULL);
	free(t);
}

int
main(void)
{
	T_RUN(test_field_name_is_a_valid_html_name);
	T_RUN(test_field_name_of_a_huge_label_is_bounded);
	T_RUN(test_choice_with_pipe_equals_and_backslash_reads_back);
	T_RUN(test_choice_questions_become_choice_fields);
	T_RUN(test_sixty_five_choices_fall_back_to_text_with_a_source_hint);
	T_RUN(test_choices_intake_cannot_read_fall_back_to_text);
	return T_DONE();
}
