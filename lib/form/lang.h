/*
 * lang.h - the languages of the pages people see, and every built-in
 * sentence of those pages in each of them (a catalog per language).
 *
 * The set of languages is small and fixed: a form definition may carry
 * its own words per language (label.de, ...) only for these.  A page's
 * language is the form's lang when it names one, else the best of the
 * client's Accept-Language that is supported, else English.
 */
#ifndef INTAKE_LANG_H
#define INTAKE_LANG_H

#include <stdbool.h>
#include <stddef.h>

enum intake_lang {
	INTAKE_LANG_EN,		/* English: the default, and a form's plain keys */
	INTAKE_LANG_DE,		/* German */
	INTAKE_LANG__MAX
};

/* Bytes of an Accept-Language header that are read; the rest is ignored. */
#define INTAKE_ACCEPT_LANGUAGE_MAX	1024

/*
 * Every built-in sentence.  "%s" is the only placeholder; each language
 * has as many in a sentence as English has, in the same order.
 */
enum intake_msg {
	/* The problems of a field (form_valid.c), in enum intake_field_error's order. */
	INTAKE_MSG_FE_REQUIRED,
	INTAKE_MSG_FE_TOO_SHORT,
	INTAKE_MSG_FE_TOO_LONG,
	INTAKE_MSG_FE_PATTERN,
	INTAKE_MSG_FE_EMAIL,
	INTAKE_MSG_FE_NUMBER,
	INTAKE_MSG_FE_DATE,
	INTAKE_MSG_FE_RANGE,
	INTAKE_MSG_FE_NOT_OFFERED,
	INTAKE_MSG_FE_ENCODING,
	INTAKE_MSG_FE_TOO_MANY,
	INTAKE_MSG_FE_UNKNOWN,
	INTAKE_MSG_FE_FILE_TOO_LARGE,
	INTAKE_MSG_FE_NO_SUCH_DATE,
	INTAKE_MSG_FE_STEP,
	INTAKE_MSG_FE_FILE_TYPE,
	INTAKE_MSG_FE_INVALID,		/* a problem with no sentence of its own */
	/* Sentences made for one value. */
	INTAKE_MSG_NO_SUCH_DAY,		/* day, month name, year */
	INTAKE_MSG_NO_SUCH_MONTH,	/* month */
	INTAKE_MSG_DECIMALS,		/* how many */
	INTAKE_MSG_STEP,		/* the step */
	INTAKE_MSG_STEP_FROM,		/* the step, its base (min) */
	INTAKE_MSG_FILE_SIZE,		/* the limit, e.g. "5 MB" */
	INTAKE_MSG_FILE_NAME,		/* the types, e.g. "PDF, PNG" */
	INTAKE_MSG_FILE_CONTENT,	/* the types */
	INTAKE_MSG_MONTH_1,		/* ... to INTAKE_MSG_MONTH_1 + 11 */
	INTAKE_MSG_MONTH_2, INTAKE_MSG_MONTH_3, INTAKE_MSG_MONTH_4, INTAKE_MSG_MONTH_5,
	INTAKE_MSG_MONTH_6, INTAKE_MSG_MONTH_7, INTAKE_MSG_MONTH_8, INTAKE_MSG_MONTH_9,
	INTAKE_MSG_MONTH_10, INTAKE_MSG_MONTH_11, INTAKE_MSG_MONTH_12,
	/* The form page (formpage.c). */
	INTAKE_MSG_ERROR_TITLE,		/* before the title of a page with problems */
	INTAKE_MSG_CORRECT,		/* the error summary's heading */
	INTAKE_MSG_LEGEND_BEFORE,	/* "Fields marked" * ... */
	INTAKE_MSG_LEGEND_HIDDEN,	/* ... "with an asterisk" (for screen readers) ... */
	INTAKE_MSG_LEGEND_AFTER,	/* ... "are required." */
	INTAKE_MSG_CHOOSE,		/* a select's empty first option */
	INTAKE_MSG_SUBMIT,		/* the button, unless the form names it */
	INTAKE_MSG_BUSY,		/* 503 heading: a list is cold */
	INTAKE_MSG_BUSY_TEXT,
	INTAKE_MSG_UNAVAILABLE,		/* 503 heading: the form cannot be drawn */
	INTAKE_MSG_UNAVAILABLE_TEXT,
	/* The receipt (form.c, and intake-form.js through the page). */
	INTAKE_MSG_SEND_ANOTHER,	/* the receipt's link back to a fresh form */
	INTAKE_MSG_BACK,		/* a message page's link back to the form */
	INTAKE_MSG_SENT,		/* heading: started in Integrify */
	INTAKE_MSG_RECEIVED,		/* heading: kept, not yet started */
	INTAKE_MSG_SENT_ID_TEXT,	/* request ID, reference */
	INTAKE_MSG_SENT_TEXT,		/* reference */
	INTAKE_MSG_QUEUED_TEXT,		/* reference */
	INTAKE_MSG_HELD_TEXT,		/* reference */
	INTAKE_MSG_NO_RECEIPT,		/* heading */
	INTAKE_MSG_NO_RECEIPT_TEXT,
	INTAKE_MSG_BAD_RECEIPT_TEXT,
	/* Only intake-form.js says these (the page carries them). */
	INTAKE_MSG_UNREACHABLE,
	INTAKE_MSG_NOT_SENT,		/* the HTTP status */
	INTAKE_MSG_SEND_AGAIN,		/* after a 429's message: the seconds to wait */
	INTAKE_MSG_NO_MATCHES,		/* intake-combobox.js: an empty list */
	INTAKE_MSG_RESULTS,		/* intake-combobox.js: how many, e.g. "12" or "20+" */
	/* A post refused (form_post.c): headings, page sentences, JSON messages. */
	INTAKE_MSG_TOO_LARGE,		/* heading */
	INTAKE_MSG_TOO_LARGE_TEXT,
	INTAKE_MSG_TOO_MANY_FIELDS_TEXT,
	INTAKE_MSG_NOT_UNDERSTOOD,	/* heading */
	INTAKE_MSG_NOT_UNDERSTOOD_TEXT,
	INTAKE_MSG_EXPIRED,		/* heading */
	INTAKE_MSG_NO_TOKEN_TEXT,
	INTAKE_MSG_EXPIRED_TEXT,
	INTAKE_MSG_NOT_ALLOWED,		/* heading */
	INTAKE_MSG_FOREIGN_ORIGIN_TEXT,
	INTAKE_MSG_TOO_MANY_REQUESTS,	/* heading */
	INTAKE_MSG_RATE_TEXT,		/* the page's sentence */
	INTAKE_MSG_RATE_JSON,		/* the JSON message */
	INTAKE_MSG_NOT_ACCEPTED_TEXT,	/* the page's sentence, above the kept answers */
	INTAKE_MSG_NOT_ACCEPTED_JSON,	/* the JSON message */
	INTAKE_MSG__MAX
};

/* The language's code ("en", "de"); "en" for a value out of range. */
const char	*intake_lang_code(enum intake_lang lang);

/*
 * The supported language of a language tag's primary subtag ("de",
 * "de-CH", "DE"; len bytes, not NUL-terminated) into *out: false when the
 * tag is not of a supported language.
 */
bool		 intake_lang_of_tag(const char *tag, size_t len, enum intake_lang *out);

/*
 * The supported language the Accept-Language header value h (may be NULL)
 * prefers most: the highest q (RFC 9110; q=0 refuses), the earliest on a
 * tie; English when none is supported or the value does not parse.  Only
 * the first INTAKE_ACCEPT_LANGUAGE_MAX bytes are read; any bytes are safe.
 */
enum intake_lang intake_lang_accept(const char *h);

/* Sentence m in lang: never NULL, never empty (English for a value out of range). */
const char	*intake_msg(enum intake_lang lang, enum intake_msg m);

#endif
