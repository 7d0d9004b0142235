/*
 * form.c - GET /forms/{id}: the form page (formpage.c draws it), and
 * GET /forms/{id}/receipt: where a submission stands.  A POST goes to
 * form_post.c.
 */
#include <stdio.h>
#include <stdbool.h>
#include <string.h>

#include "web/handler/handler.h"
#include "web/handler/formpage.h"
#include "core/ctx.h"
#include "form/form.h"
#include "form/lang.h"
#include "web/query.h"
#include "spool/spool.h"
#include "spool/spoolrec.h"
#include "util/str.h"

#define FORMS_PREFIX	"/forms/"
/* Where the pages' style sheet is (as in formpage.c). */
#define ASSETS		"/static/" INTAKE_VERSION "/"

/* The receipt as JSON, for fetch clients: 404 for a reference not known here. */
static void
receipt_json(struct intake_req *req, const char *ref, enum intake_spool_status st,
    const struct intake_spool_meta *m)
{
	struct intake_buf	b;

	if (st == INTAKE_SPOOL_UNKNOWN) {
		(void)intake_resp_error(req, 404, "unknown_reference", "No such reference.");
		return;
	}
	intake_buf_init(&b, 1024);
	intake_buf_printf(&b, "{\"reference\":\"%s\",\"status\":\"%s\",\"request_id\":",
	    ref, intake_spool_status_name(st));
	intake_json_quote(&b, m->id, strlen(m->id));
	intake_buf_printf(&b, ",\"attempts\":%lld}\n", m->attempts);
	if (intake_buf_err(&b) == INTAKE_OK)
		(void)intake_resp_send(req, 200, "application/json; charset=utf-8",
		    "Cache-Control: no-store\r\n", b.ptr, b.len);
	else
		(void)intake_resp_error(req, 500, "internal", "intake failed to answer.");
	intake_buf_free(&b);
}

/*
 * The receipt's words by where the request stands: its heading, and its
 * sentence with the request ID (started, the ID known) and with the
 * reference only, from the catalog (form/lang.h); intake-form.js reads
 * the same sentences from the form page (data-w-*) for the receipt it
 * shows in place of the form.
 */
static const struct {
	enum intake_msg	heading;
	enum intake_msg	with_id;	/* %s: the request ID, then the reference */
	enum intake_msg	text;		/* %s: the reference */
} receipt_words[] = {
	{ INTAKE_MSG_NO_RECEIPT, INTAKE_MSG_NO_RECEIPT_TEXT,
	    INTAKE_MSG_NO_RECEIPT_TEXT },			/* INTAKE_SPOOL_UNKNOWN: not used */
	{ INTAKE_MSG_RECEIVED, INTAKE_MSG_QUEUED_TEXT, INTAKE_MSG_QUEUED_TEXT },	/* QUEUED */
	{ INTAKE_MSG_SENT, INTAKE_MSG_SENT_ID_TEXT, INTAKE_MSG_SENT_TEXT },	/* DONE */
	{ INTAKE_MSG_RECEIVED, INTAKE_MSG_HELD_TEXT, INTAKE_MSG_HELD_TEXT },	/* DEAD */
};
_Static_assert(sizeof(receipt_words) / sizeof(receipt_words[0]) == INTAKE_SPOOL__MAX,
    "receipt_words[] needs one row per spool status");

/* The receipt as a page, for people: what happened to the request. */
static void
receipt_page(struct intake_req *req, const struct intake_form *f, const char *ref,
    enum intake_spool_status st, const struct intake_spool_meta *m)
{
	enum intake_lang	lang = intake_form_lang(req, f);
	char			text[512];

	if (st == INTAKE_SPOOL_UNKNOWN || (unsigned)st >= INTAKE_SPOOL__MAX) {
		intake_form_message(req, f, 404, intake_msg(lang, INTAKE_MSG_NO_RECEIPT),
		    intake_msg(lang, INTAKE_MSG_NO_RECEIPT_TEXT), intake_msg(lang, INTAKE_MSG_BACK),
		    NULL);
		return;
	}
	/* The words are ours, with %s only (a unit test checks): the catalog is the format. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	if (st == INTAKE_SPOOL_DONE && m->id[0] != '\0')
		(void)snprintf(text, sizeof(text), intake_msg(lang, receipt_words[st].with_id),
		    m->id, ref);
	else
		(void)snprintf(text, sizeof(text), intake_msg(lang, receipt_words[st].text), ref);
#pragma GCC diagnostic pop
	intake_form_receipt(req, f, intake_msg(lang, receipt_words[st].heading), text);
}

/* A receipt: GET /forms/{id}/receipt?ref=...: where the submission stands now. */
static void
receipt(struct intake_req *req, const struct intake_form *f)
{
	struct intake_spool_meta	 m;
	enum intake_spool_status	 st = INTAKE_SPOOL_UNKNOWN;
	struct intake_query		 q;
	const char			*ref = NULL, *a = intake_req_param(req, "HTTP_ACCEPT");
	bool				 json = a != NULL && strstr(a, "application/json") != NULL;

	if (intake_query_parse(req->query, strlen(req->query), &req->arena, &q) != INTAKE_OK ||
	    intake_query_get(&q, "ref", &ref) != INTAKE_OK || !intake_spoolrec_ref_ok(ref)) {
		/* JSON for a client that asks for it, through the one JSON error path. */
		if (json)
			(void)intake_resp_error_headers(req, 400, NULL, "bad_parameter",
			    "This receipt link is not valid: ref is not a reference.");
		else
			intake_form_message(req, f, 400,
			    intake_msg(intake_form_lang(req, f), INTAKE_MSG_NO_RECEIPT),
			    intake_msg(intake_form_lang(req, f), INTAKE_MSG_BAD_RECEIPT_TEXT),
			    intake_msg(intake_form_lang(req, f), INTAKE_MSG_BACK), NULL);
		return;
	}
	memset(&m, 0, sizeof(m));
	if (req->ctx->spool != NULL)
		st = intake_spool_lookup(req->ctx->spool, ref, &m);
	if (json)
		receipt_json(req, ref, st, &m);
	else
		receipt_page(req, f, ref, st, &m);
}

/*
 * No such form (or page under /forms/): JSON for a client that asks for it
 * (intake-form.js, scripts), as form_post.c decides; for a person, the same
 * page nginx shows for any unknown path (www/errors/404.html).
 */
static void
not_found(struct intake_req *req)
{
	static const char	 page[] = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	    "<title>Page not found</title>\n"
	    "<link rel=\"stylesheet\" href=\"" ASSETS "intake.css\">\n</head>\n<body>\n"
	    "<main class=\"intake-form-page\">\n<h1>Page not found</h1>\n"
	    "<p>There is no form or page at this address. Please check the address, "
	    "or follow the link you were given again.</p>\n"
	    "<p><a href=\"/\">Go to the start page</a></p>\n</main>\n</body>\n</html>\n";
	const char		*a = intake_req_param(req, "HTTP_ACCEPT");

	if (a != NULL && strstr(a, "application/json") != NULL)
		(void)intake_resp_error(req, 404, "unknown_form", "No such form.");
	else
		(void)intake_resp_send(req, 404, "text/html; charset=utf-8",
		    "Cache-Control: no-store\r\n", page, sizeof(page) - 1);
}

void
intake_handle_form(struct intake_req *req)
{
	const struct intake_form	*f;
	const char			*id = req->path + strlen(FORMS_PREFIX), *rest;
	size_t				 idlen;

	rest = strchr(id, '/');
	idlen = rest != NULL ? (size_t)(rest - id) : strlen(id);
	f = intake_form_find(req->ctx->forms, id, idlen);
	if (f == NULL || (rest != NULL && strcmp(rest, "/receipt") != 0)) {
		not_found(req);
		return;
	}
	if (rest != NULL) {
		if (strcmp(req->method, "POST") == 0)
			(void)intake_resp_error_headers(req, 405, "Allow: GET, HEAD\r\n",
			    "method_not_allowed", "Use GET.");
		else
			receipt(req, f);
		return;
	}
	if (strcmp(req->method, "POST") == 0)
		intake_form_post(req, f);
	else
		intake_form_page(req, f, NULL, NULL, 200, NULL);
}
