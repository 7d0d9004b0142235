/*
 * test_fold.c - lib/util/fold.c: case and accents fold the same way.
 */
#include <string.h>

#include "util/fold.h"

#include "t.h"

/* s folded, as a C string in out (at most 63 bytes); "!" when it fails. */
static const char *
folded(const char *s, char out[64])
{
	uint8_t		 buf[8], *f;
	size_t		 n;

	/* An 8-byte buffer: the longer inputs take the allocation path. */
	if (intake_fold(s, strlen(s), buf, sizeof(buf), &f, &n) != INTAKE_OK || n >= 64)
		return "!";
	memcpy(out, f, n);
	out[n] = '\0';
	intake_fold_free(f, buf);
	return out;
}

static void
test_fold_accents_and_case_fold_alike(void)
{
	char	a[64], b[64];

	T_EQ_STR(folded("Zürich", a), "zurich");
	T_EQ_STR(folded("Zürich", a), folded("ZURICH", b));
	T_EQ_STR(folded("São Paulo", a), folded("sao paulo", b));
	T_EQ_STR(folded("MÜNCHEN", a), "munchen");
	T_EQ_STR(folded("Straße", a), "strasse");
	T_EQ_STR(folded("Nørregade", a), "nørregade");	/* ø is a letter, not o + mark */
	T_EQ_STR(folded("Ångström", a), "angstrom");
	/* Precomposed and decomposed input fold to the same bytes. */
	T_EQ_STR(folded("Ze\xcc\x81", a), folded("Z\xc3\xa9", b));
}

static void
test_fold_keeps_what_has_no_accent(void)
{
	char	a[64];

	T_EQ_STR(folded("", a), "");
	T_EQ_STR(folded("R&D <Lab> \"North\"", a), "r&d <lab> \"north\"");
	T_EQ_STR(folded("東京", a), "東京");
}

static void
test_fold_refuses_invalid_utf8(void)
{
	uint8_t		 buf[16], *f;
	size_t		 n;

	T_EQ_INT(intake_fold("\xc3", 1, buf, sizeof(buf), &f, &n), INTAKE_EINVAL);
	T_EQ_INT(intake_fold("a\xffz", 3, buf, sizeof(buf), &f, &n), INTAKE_EINVAL);
	T_EQ_INT(intake_fold("\xed\xa0\x80", 3, buf, sizeof(buf), &f, &n), INTAKE_EINVAL);
}

int
main(void)
{
	T_RUN(test_fold_accents_and_case_fold_alike);
	T_RUN(test_fold_keeps_what_has_no_accent);
	T_RUN(test_fold_refuses_invalid_utf8);
	return T_DONE();
}
