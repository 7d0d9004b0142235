/*
 * formpage.h - the HTML pages of a form: the form itself (fresh, or sent
 * back with the values kept and every problem shown next to its field)
 * and the short pages that only say something (expired, receipt, busy).
 *
 * The GET handler (form.c) and the POST handler (form_post.c) both
 * answer with these pages; this module sits below both, so neither
 * calls back into the other.
 */
#ifndef INTAKE_FORMPAGE_H
#define INTAKE_FORMPAGE_H

#include <stddef.h>

#include "form/form.h"
#include "form/form_valid.h"
#include "form/lang.h"
#include "web/req.h"

/* A form submission as received, and its problems (form_post.c fills it). */
struct intake_submission {
	struct intake_form_input	in[INTAKE_FORM_INPUTS_MAX];
	size_t				n;
	struct intake_field_problem	problems[INTAKE_FIELDS_MAX + INTAKE_FORM_INPUTS_MAX];
	size_t				np;
};

/*
 * The language of f's pages for req: the form's lang when it names one,
 * else the best supported one of the request's Accept-Language, else
 * English.  Every page here is in it (with "Vary: Accept-Language" when
 * the header chose it).
 */
enum intake_lang intake_form_lang(struct intake_req *req, const struct intake_form *f);

/*
 * Send the form page with status: fresh when sub is NULL, else with the
 * values sent kept and every problem shown; alert is an extra sentence at
 * the top.  token NULL: issue a new one.  When a choice list cannot be
 * had, a 503 message page goes instead (with Retry-After).
 */
void	intake_form_page(struct intake_req *req, const struct intake_form *f,
	    const char *token, const struct intake_submission *sub, int status,
	    const char *alert);

/*
 * Send a short page with a heading, a sentence and (link_text not NULL)
 * a link back to the form; extra_headers NULL means
 * "Cache-Control: no-store".  All text is escaped here.
 */
void	intake_form_message(struct intake_req *req, const struct intake_form *f, int status,
	    const char *heading, const char *text, const char *link_text,
	    const char *extra_headers);

/*
 * Send the receipt page (200): heading, text in p.intake-receipt
 * (role=status) and a "Send another request" link to a fresh form; the
 * page intake-form.js leaves in place of the form, worded the same.
 */
void	intake_form_receipt(struct intake_req *req, const struct intake_form *f,
	    const char *heading, const char *text);

#endif
