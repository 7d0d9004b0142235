/*
 * test_probe.c - the probe's pure readers: Integrify's type words, which
 * field types fit them, the names and types a generated definition gives,
 * the BOM and list-shape variants, and the token reply's shape (which
 * must never echo the token).
 */
#include <string.h>

#include "integrify/auth.h"
#include "integrify/probe.h"

#include "t.h"

static void
test_kind_of_reads_integrify_words_blind_to_case(void)
{
	T_EQ_INT(intake_probe_kind_of("ShortText"), INTAKE_PROBE_TEXT);
	T_EQ_INT(intake_probe_kind_of("LONGTEXT"), INTAKE_PROBE_TEXT);
	T_EQ_INT(intake_probe_kind_of("Email"), INTAKE_PROBE_TEXT);
	T_EQ_INT(intake_probe_kind_of("Numeric"), INTAKE_PROBE_NUMBER);
	T_EQ_INT(intake_probe_kind_of("numeric"), INTAKE_PROBE_NUMBER);
	T_EQ_INT(intake_probe_kind_of("Date"), INTAKE_PROBE_DATE);
	T_EQ_INT(intake_probe_kind_of("date_time"), INTAKE_PROBE_DATE);
	T_EQ_INT(intake_probe_kind_of("DropDown"), INTAKE_PROBE_CHOICE);
	T_EQ_INT(intake_probe_kind_of("RadioButton"), INTAKE_PROBE_CHOICE);
	T_EQ_INT(intake_probe_kind_of("CheckBox"), INTAKE_PROBE_MANY);
	T_EQ_INT(intake_probe_kind_of("FileUpload"), INTAKE_PROBE_FILE);
}

static void
test_kind_of_an_unknown_or_v7_string_type_takes_anything(void)
{
	/* Tolerant where Integrify's words are not known: never a false FAIL. */
	T_EQ_INT(intake_probe_kind_of("Signature"), INTAKE_PROBE_ANY);
	T_EQ_INT(intake_probe_kind_of(""), INTAKE_PROBE_ANY);
	T_EQ_INT(intake_probe_kind_of(NULL), INTAKE_PROBE_ANY);
	T_EQ_INT(intake_probe_kind_of("string"), INTAKE_PROBE_ANY);
	T_ASSERT(intake_probe_fits(INTAKE_FIELD_FILE, INTAKE_PROBE_ANY));
	T_ASSERT(intake_probe_fits(INTAKE_FIELD_CHECKBOXES, INTAKE_PROBE_ANY));
}

static void
test_fits_refuses_what_integrify_would_refuse(void)
{
	T_ASSERT(intake_probe_fits(INTAKE_FIELD_NUMBER, INTAKE_PROBE_NUMBER));
	T_ASSERT(intake_probe_fits(INTAKE_FIELD_SELECT, INTAKE_PROBE_NUMBER));
	T_ASSERT(!intake_probe_fits(INTAKE_FIELD_TEXT, INTAKE_PROBE_NUMBER));
	T_ASSERT(intake_probe_fits(INTAKE_FIELD_DATE, INTAKE_PROBE_DATE));
	T_ASSERT(!intake_probe_fits(INTAKE_FIELD_NUMBER, INTAKE_PROBE_DATE));
	T_ASSERT(intake_probe_fits(INTAKE_FIELD_FILE, INTAKE_PROBE_FILE));
	T_ASSERT(!intake_probe_fits(INTAKE_FIELD_TEXT, INTAKE_PROBE_FILE));
	T_ASSERT(!intake_probe_fits(INTAKE_FIELD_FILE, INTAKE_PROBE_TEXT));
	T_ASSERT(intake_probe_fits(INTAKE_FIELD_TEXTAREA, INTAKE_PROBE_TEXT));
	T_ASSERT(intake_probe_fits(INTAKE_FIELD_SELECT, INTAKE_PROBE_CHOICE));
	T_ASSERT(!intake_probe_fits(INTAKE_FIELD_CHECKBOXES, INTAKE_PROBE_CHOICE));
	T_ASSERT(intake_probe_fits(INTAKE_FIELD_CHECKBOXES, INTAKE_PROBE_MANY));
	T_ASSERT(intake_probe_fits(INTAKE_FIELD_MULTISELECT, INTAKE_PROBE_MANY));
}

static void
test_fits_out_of_range_is_false(void)
{
	T_ASSERT(!intake_probe_fits(INTAKE_FIELD__MAX, INTAKE_PROBE_ANY));
	T_ASSERT(!intake_probe_fits(INTAKE_FIELD_TEXT, INTAKE_PROBE_KIND__MAX));
}

static void
test_generated_type_passes_t_without_a_source(void)
{
	enum intake_probe_kind	k;
	enum intake_field_type	t;

	/* A select needs a [source:]: a generated field is never one. */
	for (k = 0; k < INTAKE_PROBE_KIND__MAX; k++) {
		t = intake_probe_field_type(k, "DropDown");
		T_ASSERT(!intake_field_has_source(t));
		T_ASSERT(intake_probe_fits(t, k));
	}
	T_EQ_INT(intake_probe_field_type(INTAKE_PROBE_TEXT, "Email"), INTAKE_FIELD_EMAIL);
	T_EQ_INT(intake_probe_field_type(INTAKE_PROBE_TEXT, "LongText"), INTAKE_FIELD_TEXTAREA);
	T_EQ_INT(intake_probe_field_type(INTAKE_PROBE_TEXT, "ShortText"), INTAKE_FIELD_TEXT);
	T_EQ_INT(intake_probe_field_type(INTAKE_PROBE_FILE, NULL), INTAKE_FIELD_FILE);
}

static void
test_field_name_is_a_valid_html_name(void)
{
	char	n[64];

	intake_probe_field_name("Floor / room", n, sizeof(n));
	T_EQ_STR(n, "floor_room");
	intake_probe_field_name("  Requester name ", n, sizeof(n));
	T_EQ_STR(n, "requester_name");
	intake_probe_field_name("Zürich office", n, sizeof(n));
	T_EQ_STR(n, "z_rich_office");
	intake_probe_field_name("requester_email", n, sizeof(n));
	T_EQ_STR(n, "requester_email");
	intake_probe_field_name("日本", n, sizeof(n));
	T_EQ_STR(n, "f");
	intake_probe_field_name(NULL, n, sizeof(n));
	T_EQ_STR(n, "f");
}

static void
test_field_name_of_a_huge_label_is_bounded(void)
{
	char	big[1000], n[16];

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	big[7] = ' ';
	intake_probe_field_name(big, n, sizeof(n));
	T_EQ_INT((long long)strlen(n), 15);
	T_EQ_STR(n, "aaaaaaa_aaaaaaa");
}

static void
test_bom_is_seen_only_at_the_start(void)
{
	T_ASSERT(intake_probe_has_bom("\xEF\xBB\xBF" "Code,Name\r\n", 13));
	T_ASSERT(!intake_probe_has_bom("Code,Name\r\n", 11));
	T_ASSERT(!intake_probe_has_bom("\xEF\xBB", 2));
	T_ASSERT(!intake_probe_has_bom("", 0));
}

static void
test_list_shape_names_where_the_rows_are(void)
{
	char	s[128];

	intake_probe_list_shape("[{\"a\":1}]", 9, s, sizeof(s));
	T_EQ_STR(s, "a bare array");
	intake_probe_list_shape("{\"total\":1,\"Items\":[]}", 22, s, sizeof(s));
	T_EQ_STR(s, "an object, the list under 'Items'");
	intake_probe_list_shape("{\"payload\":{\"entries\":[]}}", 26, s, sizeof(s));
	T_EQ_STR(s, "an object, the list nested deeper");
	intake_probe_list_shape("{\"total\":0}", 11, s, sizeof(s));
	T_EQ_STR(s, "no list");
	intake_probe_list_shape("<html>", 6, s, sizeof(s));
	T_EQ_STR(s, "not JSON");
}

static void
test_token_reply_shape_never_echoes_the_token(void)
{
	const char *jwt = "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjF9.c2ln";
	const char *shape;

	T_EQ_STR(intake_auth_shape("{\"token\":\"abc\"}", 15),
	    "a JSON object with a token member");
	T_EQ_STR(intake_auth_shape("{\"access_token\":\"abc\",\"expires_in\":3}", 37),
	    "a JSON object with a token member");
	T_EQ_STR(intake_auth_shape("\"abc\"", 5), "a JSON string");
	shape = intake_auth_shape(jwt, strlen(jwt));
	T_EQ_STR(shape, "bare text");
	T_NOT_CONTAINS(shape, "eyJ");
	T_EQ_STR(intake_auth_shape("  {\"error\":\"no\"}", 16), "a JSON object without a token");
	T_EQ_STR(intake_auth_shape("{broken", 7), "not JSON");
}

int
main(void)
{
	T_RUN(test_kind_of_reads_integrify_words_blind_to_case);
	T_RUN(test_kind_of_an_unknown_or_v7_string_type_takes_anything);
	T_RUN(test_fits_refuses_what_integrify_would_refuse);
	T_RUN(test_fits_out_of_range_is_false);
	T_RUN(test_generated_type_passes_t_without_a_source);
	T_RUN(test_field_name_is_a_valid_html_name);
	T_RUN(test_field_name_of_a_huge_label_is_bounded);
	T_RUN(test_bom_is_seen_only_at_the_start);
	T_RUN(test_list_shape_names_where_the_rows_are);
	T_RUN(test_token_reply_shape_never_echoes_the_token);
	return T_DONE();
}
