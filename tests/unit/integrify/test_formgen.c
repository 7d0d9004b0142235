/*
 * test_formgen.c - the field names a generated form definition gives:
 * valid HTML names, bounded however long the label.
 */
#include <string.h>

#include "integrify/formgen.h"

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

int
main(void)
{
	T_RUN(test_field_name_is_a_valid_html_name);
	T_RUN(test_field_name_of_a_huge_label_is_bounded);
	return T_DONE();
}
