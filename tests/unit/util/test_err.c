/*
 * test_err.c - lib/util/err.c: one description per error, none missing.
 */
#include <string.h>

#include "util/err.h"

#include "t.h"

static void
test_strerror_every_value_has_a_distinct_text(void)
{
	const char	*s, *t;
	int		 i, j;

	for (i = 0; i < INTAKE_ERR__MAX; i++) {
		s = intake_strerror((enum intake_err)i);
		T_ASSERT(s != NULL);
		if (s[0] == '\0')
			T_FAIL("error %d has an empty description", i);
		if (strcmp(s, "unknown error") == 0)
			T_FAIL("error %d has no row of its own", i);
		for (j = 0; j < i; j++) {
			t = intake_strerror((enum intake_err)j);
			if (strcmp(s, t) == 0)
				T_FAIL("errors %d and %d share \"%s\"", j, i, s);
		}
	}
}

static void
test_strerror_ok_is_success(void)
{
	T_EQ_INT(INTAKE_OK, 0);
	T_EQ_STR(intake_strerror(INTAKE_OK), "success");
}

static void
test_strerror_texts_are_one_printable_line(void)
{
	const char	*s;
	int		 i;
	size_t		 k;

	/* They go into log lines and JSON error bodies. */
	for (i = 0; i < INTAKE_ERR__MAX; i++) {
		s = intake_strerror((enum intake_err)i);
		for (k = 0; s[k] != '\0'; k++)
			if ((unsigned char)s[k] < 0x20 || (unsigned char)s[k] >= 0x7f ||
			    s[k] == '"' || s[k] == '\\')
				T_FAIL("error %d text has byte 0x%02x", i, (unsigned char)s[k]);
		T_ASSERT(k < 80);
	}
}

static void
test_strerror_out_of_range_is_unknown(void)
{
	T_EQ_STR(intake_strerror(INTAKE_ERR__MAX), "unknown error");
	T_EQ_STR(intake_strerror((enum intake_err)(INTAKE_ERR__MAX + 1)), "unknown error");
	T_EQ_STR(intake_strerror((enum intake_err)1000000), "unknown error");
	T_EQ_STR(intake_strerror((enum intake_err)-1), "unknown error");
}

int
main(void)
{
	T_RUN(test_strerror_every_value_has_a_distinct_text);
	T_RUN(test_strerror_ok_is_success);
	T_RUN(test_strerror_texts_are_one_printable_line);
	T_RUN(test_strerror_out_of_range_is_unknown);
	return T_DONE();
}
