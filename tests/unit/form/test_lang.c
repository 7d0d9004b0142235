/*
 * test_lang.c - lib/form/lang.c: every catalog has every sentence, with
 * English's placeholders, and Accept-Language picks the language a
 * client prefers most, whatever bytes it sends.
 */
#include <stdlib.h>
#include <string.h>

#include "form/lang.h"

#include "t.h"

/* How many "%s" s has; -1 when it has a '%' that is not one (a printf trap). */
static int
placeholders(const char *s)
{
	int	n = 0;

	for (; (s = strchr(s, '%')) != NULL; s += 2) {
		if (s[1] != 's')
			return -1;
		n++;
	}
	return n;
}

/* Both catalogs: no entry NULL or empty, and as many %s (and no other %) as English. */
static void
test_every_catalog_has_every_sentence_with_the_same_placeholders(void)
{
	int	m, l;

	for (l = 0; l < INTAKE_LANG__MAX; l++)
		for (m = 0; m < INTAKE_MSG__MAX; m++) {
			const char *s = intake_msg((enum intake_lang)l, (enum intake_msg)m);

			if (s == NULL || s[0] == '\0')
				T_FAIL("%s: message %d is missing", intake_lang_code((enum intake_lang)l), m);
			else if (placeholders(s) < 0 || placeholders(s) !=
			    placeholders(intake_msg(INTAKE_LANG_EN, (enum intake_msg)m)))
				T_FAIL("%s: message %d has other placeholders than English: %s",
				    intake_lang_code((enum intake_lang)l), m, s);
		}
	/* The German catalog is German, not a copy of English (but month names both share). */
	for (m = 0; m < INTAKE_MSG__MAX; m++) {
		const char *de = intake_msg(INTAKE_LANG_DE, (enum intake_msg)m);

		if (strcmp(de, intake_msg(INTAKE_LANG_EN, (enum intake_msg)m)) == 0 &&
		    strcmp(de, "April") != 0 && strcmp(de, "August") != 0 &&
		    strcmp(de, "September") != 0 && strcmp(de, "November") != 0)
			T_FAIL("de: message %d is English: %s", m, de);
	}
	T_EQ_STR(intake_msg(INTAKE_LANG_DE, INTAKE_MSG_CORRECT), "Bitte korrigieren Sie Folgendes");
	T_EQ_STR(intake_msg(INTAKE_LANG_EN, INTAKE_MSG_FE_REQUIRED), "Please fill in this field.");
	/* Out of range: English, the generic sentence; never NULL. */
	T_EQ_STR(intake_msg((enum intake_lang)7, INTAKE_MSG_FE_REQUIRED), "Please fill in this field.");
	T_EQ_STR(intake_msg(INTAKE_LANG_DE, (enum intake_msg)9999), "Dieser Wert ist nicht gültig.");
	T_EQ_STR(intake_lang_code(INTAKE_LANG_DE), "de");
	T_EQ_STR(intake_lang_code((enum intake_lang)-1), "en");
}

static void
test_tags_name_a_language_by_primary_subtag(void)
{
	enum intake_lang	l = INTAKE_LANG_EN;

	T_ASSERT(intake_lang_of_tag("de", 2, &l) && l == INTAKE_LANG_DE);
	T_ASSERT(intake_lang_of_tag("DE-ch", 5, &l) && l == INTAKE_LANG_DE);
	T_ASSERT(intake_lang_of_tag("en-GB", 5, &l) && l == INTAKE_LANG_EN);
	T_ASSERT(!intake_lang_of_tag("deu", 3, &l));
	T_ASSERT(!intake_lang_of_tag("d", 1, &l));
	T_ASSERT(!intake_lang_of_tag("", 0, &l));
	T_ASSERT(!intake_lang_of_tag("fr", 2, &l));
	T_ASSERT(!intake_lang_of_tag("*", 1, &l));
}

static void
test_accept_language_picks_the_highest_q(void)
{
	static const struct {
		const char		*h;
		enum intake_lang	 want;
	} cases[] = {
		{ "de-CH, en;q=0.5", INTAKE_LANG_DE },
		{ "de", INTAKE_LANG_DE },
		{ "en-US,en;q=0.9,de;q=0.8", INTAKE_LANG_EN },
		{ "en;q=0.5, de;q=0.6", INTAKE_LANG_DE },
		{ "fr-CH, fr;q=0.9, de;q=0.7, *;q=0.5", INTAKE_LANG_DE },
		{ "de;q=0.500, en;q=0.5", INTAKE_LANG_DE },	/* a tie: the first */
		{ "de;q=0, en;q=0.1", INTAKE_LANG_EN },		/* q=0: not acceptable */
		{ "de;q=0", INTAKE_LANG_EN },
		{ "de;Q=1.000", INTAKE_LANG_DE },
		{ "  de-AT ;  q=0.3  ,\tfr", INTAKE_LANG_DE },
		{ "fr, it", INTAKE_LANG_EN },
		{ "", INTAKE_LANG_EN },
		{ NULL, INTAKE_LANG_EN },
		{ "*", INTAKE_LANG_EN },
		/* Garbage elements are skipped, not trusted. */
		{ "de;q=2", INTAKE_LANG_EN },
		{ "de;q=1.5", INTAKE_LANG_EN },
		{ "de;q=-1", INTAKE_LANG_EN },
		{ "de;q=0.5x, en;q=0.2", INTAKE_LANG_EN },
		{ "de;q", INTAKE_LANG_EN },
		{ "de;level=1", INTAKE_LANG_EN },
		{ "d\xc3\xa9, de;q=0.1", INTAKE_LANG_DE },
		{ ",,,;;;==q=", INTAKE_LANG_EN },
		{ "de\"<script>", INTAKE_LANG_EN },
		{ "xx;q=0.9999999, de;q=0.001", INTAKE_LANG_DE },
	};
	size_t	i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (intake_lang_accept(cases[i].h) != cases[i].want)
			T_FAIL("Accept-Language: %s: got %s", cases[i].h != NULL ? cases[i].h : "(none)",
			    intake_lang_code(intake_lang_accept(cases[i].h)));
}

/* A header longer than the bound is read up to it: what follows does not count. */
static void
test_accept_language_reads_a_bounded_prefix(void)
{
	size_t	n = INTAKE_ACCEPT_LANGUAGE_MAX + 64;
	char	*h = malloc(n + 1);

	T_ASSERT(h != NULL);
	memset(h, ' ', n);
	memcpy(h + n - 2, "de", 2);
	h[n] = '\0';
	T_EQ_INT(intake_lang_accept(h), INTAKE_LANG_EN);
	memcpy(h, "de;q=0.1,", 9);
	T_EQ_INT(intake_lang_accept(h), INTAKE_LANG_DE);
	free(h);
}

int
main(void)
{
	T_RUN(test_every_catalog_has_every_sentence_with_the_same_placeholders);
	T_RUN(test_tags_name_a_language_by_primary_subtag);
	T_RUN(test_accept_language_picks_the_highest_q);
	T_RUN(test_accept_language_reads_a_bounded_prefix);
	return T_DONE();
}
