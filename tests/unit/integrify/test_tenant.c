/*
 * test_tenant.c - the pure readers of a tenant's shape: Integrify's type
 * words, which field types fit them, the types a generated definition
 * gives, and the BOM and list-shape variants.
 */
#include <string.h>

#include "integrify/tenant.h"

#include "t.h"

static void
test_kind_of_reads_integrify_words_blind_to_case(void)
{
	T_EQ_INT(intake_tenant_kind_of("ShortText"), INTAKE_TENANT_TEXT);
	T_EQ_INT(intake_tenant_kind_of("LONGTEXT"), INTAKE_TENANT_TEXT);
	T_EQ_INT(intake_tenant_kind_of("Email"), INTAKE_TENANT_TEXT);
	T_EQ_INT(intake_tenant_kind_of("Numeric"), INTAKE_TENANT_NUMBER);
	T_EQ_INT(intake_tenant_kind_of("numeric"), INTAKE_TENANT_NUMBER);
	T_EQ_INT(intake_tenant_kind_of("Date"), INTAKE_TENANT_DATE);
	T_EQ_INT(intake_tenant_kind_of("date_time"), INTAKE_TENANT_DATE);
	T_EQ_INT(intake_tenant_kind_of("DropDown"), INTAKE_TENANT_CHOICE);
	T_EQ_INT(intake_tenant_kind_of("RadioButton"), INTAKE_TENANT_CHOICE);
	T_EQ_INT(intake_tenant_kind_of("CheckBox"), INTAKE_TENANT_MANY);
	T_EQ_INT(intake_tenant_kind_of("FileUpload"), INTAKE_TENANT_FILE);
}

static void
test_kind_of_an_unknown_or_v7_string_type_takes_anything(void)
{
	/* Tolerant where Integrify's words are not known: never a false FAIL. */
	T_EQ_INT(intake_tenant_kind_of("Signature"), INTAKE_TENANT_ANY);
	T_EQ_INT(intake_tenant_kind_of(""), INTAKE_TENANT_ANY);
	T_EQ_INT(intake_tenant_kind_of(NULL), INTAKE_TENANT_ANY);
	T_EQ_INT(intake_tenant_kind_of("string"), INTAKE_TENANT_ANY);
	T_ASSERT(intake_tenant_fits(INTAKE_FIELD_FILE, INTAKE_TENANT_ANY));
	T_ASSERT(intake_tenant_fits(INTAKE_FIELD_CHECKBOXES, INTAKE_TENANT_ANY));
}

static void
test_fits_refuses_what_integrify_would_refuse(void)
{
	T_ASSERT(intake_tenant_fits(INTAKE_FIELD_NUMBER, INTAKE_TENANT_NUMBER));
	T_ASSERT(intake_tenant_fits(INTAKE_FIELD_SELECT, INTAKE_TENANT_NUMBER));
	T_ASSERT(!intake_tenant_fits(INTAKE_FIELD_TEXT, INTAKE_TENANT_NUMBER));
	T_ASSERT(intake_tenant_fits(INTAKE_FIELD_DATE, INTAKE_TENANT_DATE));
	T_ASSERT(!intake_tenant_fits(INTAKE_FIELD_NUMBER, INTAKE_TENANT_DATE));
	T_ASSERT(intake_tenant_fits(INTAKE_FIELD_FILE, INTAKE_TENANT_FILE));
	T_ASSERT(!intake_tenant_fits(INTAKE_FIELD_TEXT, INTAKE_TENANT_FILE));
	T_ASSERT(!intake_tenant_fits(INTAKE_FIELD_FILE, INTAKE_TENANT_TEXT));
	T_ASSERT(intake_tenant_fits(INTAKE_FIELD_TEXTAREA, INTAKE_TENANT_TEXT));
	T_ASSERT(intake_tenant_fits(INTAKE_FIELD_SELECT, INTAKE_TENANT_CHOICE));
	T_ASSERT(!intake_tenant_fits(INTAKE_FIELD_CHECKBOXES, INTAKE_TENANT_CHOICE));
	T_ASSERT(intake_tenant_fits(INTAKE_FIELD_CHECKBOXES, INTAKE_TENANT_MANY));
	T_ASSERT(intake_tenant_fits(INTAKE_FIELD_MULTISELECT, INTAKE_TENANT_MANY));
}

static void
test_fits_out_of_range_is_false(void)
{
	T_ASSERT(!intake_tenant_fits(INTAKE_FIELD__MAX, INTAKE_TENANT_ANY));
	T_ASSERT(!intake_tenant_fits(INTAKE_FIELD_TEXT, INTAKE_TENANT_KIND__MAX));
}

static void
test_generated_type_passes_t_without_a_source(void)
{
	enum intake_tenant_kind	k;
	enum intake_field_type	t;

	/* A select needs a [source:]: a generated field is never one. */
	for (k = 0; k < INTAKE_TENANT_KIND__MAX; k++) {
		t = intake_tenant_field_type(k, "DropDown");
		T_ASSERT(!intake_field_has_source(t));
		T_ASSERT(intake_tenant_fits(t, k));
	}
	T_EQ_INT(intake_tenant_field_type(INTAKE_TENANT_TEXT, "Email"), INTAKE_FIELD_EMAIL);
	T_EQ_INT(intake_tenant_field_type(INTAKE_TENANT_TEXT, "LongText"), INTAKE_FIELD_TEXTAREA);
	T_EQ_INT(intake_tenant_field_type(INTAKE_TENANT_TEXT, "ShortText"), INTAKE_FIELD_TEXT);
	T_EQ_INT(intake_tenant_field_type(INTAKE_TENANT_FILE, NULL), INTAKE_FIELD_FILE);
}

static void
test_bom_is_seen_only_at_the_start(void)
{
	T_ASSERT(intake_tenant_has_bom("\xEF\xBB\xBF" "Code,Name\r\n", 13));
	T_ASSERT(!intake_tenant_has_bom("Code,Name\r\n", 11));
	T_ASSERT(!intake_tenant_has_bom("\xEF\xBB", 2));
	T_ASSERT(!intake_tenant_has_bom("", 0));
}

static void
test_list_shape_names_where_the_rows_are(void)
{
	char	s[128];

	intake_tenant_list_shape("[{\"a\":1}]", 9, s, sizeof(s));
	T_EQ_STR(s, "a bare array");
	intake_tenant_list_shape("{\"total\":1,\"Items\":[]}", 22, s, sizeof(s));
	T_EQ_STR(s, "an object, the list under 'Items'");
	intake_tenant_list_shape("{\"payload\":{\"entries\":[]}}", 26, s, sizeof(s));
	T_EQ_STR(s, "an object, the list nested deeper");
	intake_tenant_list_shape("{\"total\":0}", 11, s, sizeof(s));
	T_EQ_STR(s, "no list");
	intake_tenant_list_shape("<html>", 6, s, sizeof(s));
	T_EQ_STR(s, "not JSON");
}

int
main(void)
{
	T_RUN(test_kind_of_reads_integrify_words_blind_to_case);
	T_RUN(test_kind_of_an_unknown_or_v7_string_type_takes_anything);
	T_RUN(test_fits_refuses_what_integrify_would_refuse);
	T_RUN(test_fits_out_of_range_is_false);
	T_RUN(test_generated_type_passes_t_without_a_source);
	T_RUN(test_bom_is_seen_only_at_the_start);
	T_RUN(test_list_shape_names_where_the_rows_are);
	return T_DONE();
}
