/*
 * form.c - the form page: a complete, server-rendered, accessible HTML
 * form with live choices, that works without JavaScript and carries a
 * signed, expiring form token.  After a failed submission the same page
 * comes back with the values kept, an error summary at the top and each
 * error next to its field.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdbool.h>
#include <string.h>

#include "web/handler/handler.h"
#include "form/form.h"
#include "form/form_valid.h"
#include "form/formtoken.h"
#include "core/log.h"
#include "web/query.h"
#include "integrify/report.h"
#include "spool/spool.h"
#include "spool/spoolrec.h"
#include "util/str.h"
#include "integrify/upstream.h"

#define FORMS_PREFIX	"/forms/"
/* Where the pages' script and style sheet are: nginx strips the version
 * (conf/nginx/intake-locations.conf), browsers keep the files a year. */
#define ASSETS		"/static/" INTAKE_VERSION "/"

/* The HTML input type of the simple field types. */
static const char *
input_type(enum intake_field_type t)
{
	switch (t) {
	case INTAKE_FIELD_EMAIL:
		return "email";
	case INTAKE_FIELD_NUMBER:
		return "number";
	case INTAKE_FIELD_DATE:
		return "date";
	case INTAKE_FIELD_FILE:
		return "file";
	default:
		return "text";
	}
}

/* Append fmt with every %s argument HTML-escaped. Only %s is supported. */
static enum intake_err
html(struct intake_buf *b, const char *fmt, ...)
{
	enum intake_err	 err = INTAKE_OK;
	const char	*p, *run = fmt;
	va_list		 ap;

	va_start(ap, fmt);
	for (p = fmt; err == INTAKE_OK && *p != '\0'; p++) {
		if (p[0] != '%' || p[1] != 's')
			continue;
		err = intake_buf_add(b, run, (size_t)(p - run));
		if (err == INTAKE_OK)
			err = intake_html_escape(b, va_arg(ap, const char *));
		run = p + 2;
		p++;
	}
	va_end(ap);
	if (err == INTAKE_OK)
		err = intake_buf_adds(b, run);
	return err;
}

/* The first problem of field name in sub, or NULL. */
static const struct intake_field_problem *
problem_of(const struct intake_submission *sub, const char *name)
{
	size_t	i;

	for (i = 0; sub != NULL && i < sub->np; i++)
		if (strcmp(sub->problems[i].field, name) == 0)
			return &sub->problems[i];
	return NULL;
}

/* The first text value sent for name, or NULL. */
static const char *
sent_value(const struct intake_submission *sub, const char *name)
{
	size_t	i;

	for (i = 0; sub != NULL && i < sub->n; i++)
		if (sub->in[i].value != NULL && strcmp(sub->in[i].name, name) == 0)
			return sub->in[i].value;
	return NULL;
}

/* Is value among the values sent for name (or, before any post, the default)? */
static bool
chosen(const struct intake_submission *sub, const struct intake_field *fd, const char *value)
{
	size_t	i;

	if (sub == NULL)
		return strcmp(value, fd->def) == 0;
	for (i = 0; i < sub->n; i++)
		if (sub->in[i].value != NULL && strcmp(sub->in[i].name, fd->name) == 0 &&
		    strcmp(sub->in[i].value, value) == 0)
			return true;
	return false;
}

/* aria-describedby for a field's error (when bad) and help text, if any. */
static enum intake_err
describedby(struct intake_buf *b, const struct intake_field *fd, bool bad)
{
	enum intake_err	err;

	if (!bad && fd->help[0] == '\0')
		return INTAKE_OK;
	/* Field names are a-z 0-9 _ (form.c): ids need no escaping. */
	err = intake_buf_adds(b, " aria-describedby=\"");
	if (err == INTAKE_OK && bad)
		err = intake_buf_printf(b, "f-%s-error%s", fd->name,
		    fd->help[0] != '\0' ? " " : "");
	if (err == INTAKE_OK && fd->help[0] != '\0')
		err = intake_buf_printf(b, "f-%s-help", fd->name);
	if (err == INTAKE_OK)
		err = intake_buf_addc(b, '"');
	return err;
}

/* The attributes that carry a field's constraints to the browser. */
static enum intake_err
constraints(struct intake_buf *b, const struct intake_field *fd,
    const struct intake_submission *sub)
{
	enum intake_err	err = INTAKE_OK;
	bool		bad = problem_of(sub, fd->name) != NULL;

	/* Only the attributes HTML allows on each control's type. */
	bool		text = fd->type == INTAKE_FIELD_TEXT || fd->type == INTAKE_FIELD_EMAIL;
	bool		lengths = text || fd->type == INTAKE_FIELD_TEXTAREA;
	bool		bounds = fd->type == INTAKE_FIELD_NUMBER || fd->type == INTAKE_FIELD_DATE;

	if (fd->required)
		err = intake_buf_adds(b, " required");
	if (err == INTAKE_OK && lengths && fd->min_length >= 0)
		err = intake_buf_printf(b, " minlength=\"%lld\"", fd->min_length);
	if (err == INTAKE_OK && lengths && fd->max_length >= 0)
		err = intake_buf_printf(b, " maxlength=\"%lld\"", fd->max_length);
	if (err == INTAKE_OK && bounds && fd->min[0] != '\0')
		err = html(b, " min=\"%s\"", fd->min);
	if (err == INTAKE_OK && bounds && fd->max[0] != '\0')
		err = html(b, " max=\"%s\"", fd->max);
	if (err == INTAKE_OK && text && fd->pattern[0] != '\0')
		err = html(b, " pattern=\"%s\"", fd->pattern);
	if (err == INTAKE_OK && bad)
		err = intake_buf_adds(b, " aria-invalid=\"true\"");
	if (err == INTAKE_OK)
		err = describedby(b, fd, bad);
	return err;
}

/* One checkbox of a group; ids count rows, since values may hold spaces. */
static enum intake_err
checkbox(struct intake_buf *b, const struct intake_field *fd, size_t n, const char *value,
    const char *label, bool on)
{
	enum intake_err	err;

	err = intake_buf_printf(b, "<div class=\"intake-check\"><input type=\"checkbox\" "
	    "id=\"f-%s-%zu\" name=\"%s\"", fd->name, n, fd->name);
	if (err == INTAKE_OK)
		err = html(b, " value=\"%s\"", value);
	if (err == INTAKE_OK && on)
		err = intake_buf_adds(b, " checked");
	if (err == INTAKE_OK)
		err = intake_buf_printf(b, "><label for=\"f-%s-%zu\">", fd->name, n);
	if (err == INTAKE_OK)
		err = html(b, "%s</label></div>\n", label);
	return err;
}

static enum intake_err
option(struct intake_buf *b, const char *value, const char *label, bool on)
{
	enum intake_err	err;

	err = html(b, "<option value=\"%s\"", value);
	if (err == INTAKE_OK && on)
		err = intake_buf_adds(b, " selected");
	if (err == INTAKE_OK)
		err = html(b, ">%s</option>\n", label);
	return err;
}

/* The options (or boxes) of a choice field, from its source's live list. */
static enum intake_err
choices(struct intake_req *req, const struct intake_field *fd,
    const struct intake_submission *sub, struct intake_buf *b)
{
	const struct intake_source	*src;
	struct intake_report_view	 v;
	const char			*value, *label;
	enum intake_err			 err;
	size_t				 r;
	bool				 on;

	src = intake_config_source(req->ctx->cfg, INTAKE_SOURCE_CHOICES, fd->source,
	    strlen(fd->source));
	if (src == NULL)
		return INTAKE_ECONFIG;
	err = intake_report_get(req->ctx, src, NULL, 0, &v);
	for (r = 0; err == INTAKE_OK && r < v.table->nrows; r++) {
		value = intake_table_cell(v.table, r, (size_t)v.value_col);
		label = intake_table_cell(v.table, r, (size_t)v.label_col);
		on = chosen(sub, fd, value);
		err = fd->type == INTAKE_FIELD_CHECKBOXES ?
		    checkbox(b, fd, r + 1, value, label, on) : option(b, value, label, on);
	}
	return err;
}

bool
intake_form_offered(struct intake_req *req, const struct intake_field *fd, const char *value)
{
	const struct intake_source	*src;
	struct intake_report_view	 v;
	size_t				 r;

	src = intake_config_source(req->ctx->cfg, INTAKE_SOURCE_CHOICES, fd->source,
	    strlen(fd->source));
	if (src == NULL || intake_report_get(req->ctx, src, NULL, 0, &v) != INTAKE_OK)
		return false;
	for (r = 0; r < v.table->nrows; r++)
		if (strcmp(intake_table_cell(v.table, r, (size_t)v.value_col), value) == 0)
			return true;
	return false;
}

/* The label (or legend), the required marker, the help and any error of a field. */
static enum intake_err
caption(struct intake_buf *b, const struct intake_field *fd,
    const struct intake_submission *sub, bool group)
{
	const struct intake_field_problem	*p = problem_of(sub, fd->name);
	enum intake_err				 err;

	if (group) {
		err = intake_buf_adds(b, "<fieldset");
		if (err == INTAKE_OK)
			err = describedby(b, fd, p != NULL);
		if (err == INTAKE_OK)
			err = html(b, "><legend>%s", fd->label);
	} else
		err = html(b, "<label for=\"f-%s\">%s", fd->name, fd->label);
	if (err == INTAKE_OK && fd->required)
		err = intake_buf_adds(b, " <span class=\"intake-required\" "
		    "aria-hidden=\"true\">*</span>");
	if (err == INTAKE_OK)
		err = intake_buf_adds(b, group ? "</legend>\n" : "</label>\n");
	if (err == INTAKE_OK && fd->help[0] != '\0')
		err = html(b, "<p class=\"intake-help\" id=\"f-%s-help\">%s</p>\n", fd->name,
		    fd->help);
	if (err == INTAKE_OK && p != NULL)
		err = html(b, "<p class=\"intake-error\" id=\"f-%s-error\">%s</p>\n", fd->name,
		    intake_field_error_message(p->code));
	return err;
}

static enum intake_err
render_field(struct intake_req *req, const struct intake_field *fd,
    const struct intake_submission *sub, struct intake_buf *b)
{
	const char	*sent = sent_value(sub, fd->name);
	const char	*shown = sub != NULL ? (sent != NULL ? sent : "") : fd->def;
	enum intake_err	 err;
	bool		 group = fd->type == INTAKE_FIELD_CHECKBOXES;

	err = html(b, "<div class=\"intake-field\" id=\"field-%s\">\n", fd->name);
	if (err == INTAKE_OK)
		err = caption(b, fd, sub, group);
	if (err != INTAKE_OK)
		return err;
	switch (fd->type) {
	case INTAKE_FIELD_CHECKBOXES:
		err = choices(req, fd, sub, b);
		if (err == INTAKE_OK)
			err = intake_buf_adds(b, "</fieldset>\n");
		break;
	case INTAKE_FIELD_TEXTAREA:
		err = html(b, "<textarea id=\"f-%s\" name=\"%s\" rows=\"6\"", fd->name, fd->name);
		if (err == INTAKE_OK)
			err = constraints(b, fd, sub);
		if (err == INTAKE_OK)
			err = html(b, ">%s</textarea>\n", shown);
		break;
	case INTAKE_FIELD_SELECT:
	case INTAKE_FIELD_MULTISELECT:
		err = html(b, "<select id=\"f-%s\" name=\"%s\"", fd->name, fd->name);
		if (err == INTAKE_OK && fd->type == INTAKE_FIELD_MULTISELECT)
			err = intake_buf_adds(b, " multiple size=\"6\"");
		if (err == INTAKE_OK)
			err = constraints(b, fd, sub);
		if (err == INTAKE_OK)
			err = intake_buf_adds(b, fd->type == INTAKE_FIELD_SELECT ?
			    ">\n<option value=\"\">Choose…</option>\n" : ">\n");
		if (err == INTAKE_OK)
			err = choices(req, fd, sub, b);
		if (err == INTAKE_OK)
			err = intake_buf_adds(b, "</select>\n");
		break;
	default:
		err = html(b, "<input type=\"%s\" id=\"f-%s\" name=\"%s\"", input_type(fd->type),
		    fd->name, fd->name);
		if (err == INTAKE_OK && shown[0] != '\0' && fd->type != INTAKE_FIELD_FILE)
			err = html(b, " value=\"%s\"", shown);
		if (err == INTAKE_OK && fd->type == INTAKE_FIELD_EMAIL)
			err = intake_buf_adds(b, " autocomplete=\"email\"");
		if (err == INTAKE_OK)
			err = constraints(b, fd, sub);
		if (err == INTAKE_OK)
			err = intake_buf_adds(b, ">\n");
	}
	if (err == INTAKE_OK)
		err = intake_buf_adds(b, "</div>\n");
	return err;
}

/* Is any field a file? Then the form posts multipart. */
static bool
has_file(const struct intake_form *f)
{
	size_t	i;

	for (i = 0; i < f->nfields; i++)
		if (f->fields[i].type == INTAKE_FIELD_FILE)
			return true;
	return false;
}

/* The label of field name, or NULL when the form has no such field. */
static const char *
label_of(const struct intake_form *f, const char *name)
{
	size_t	i;

	for (i = 0; i < f->nfields; i++)
		if (strcmp(f->fields[i].name, name) == 0)
			return f->fields[i].label;
	return NULL;
}

/* The list of problems at the top, each linking to its field. */
static enum intake_err
summary(struct intake_buf *b, const struct intake_form *f, const struct intake_submission *sub,
    const char *alert)
{
	const char	*label;
	enum intake_err	 err;
	size_t		 i;

	if ((sub == NULL || sub->np == 0) && alert == NULL)
		return INTAKE_OK;
	err = intake_buf_adds(b, "<div class=\"intake-error-summary\" role=\"alert\">\n");
	if (err == INTAKE_OK && alert != NULL)
		err = html(b, "<p>%s</p>\n", alert);
	if (err == INTAKE_OK && sub != NULL && sub->np > 0)
		err = intake_buf_adds(b, "<h2>Please correct the following</h2>\n<ul>\n");
	for (i = 0; err == INTAKE_OK && sub != NULL && i < sub->np; i++) {
		label = label_of(f, sub->problems[i].field);
		if (label == NULL)
			err = html(b, "<li>%s</li>\n",
			    intake_field_error_message(sub->problems[i].code));
		else
			err = html(b, "<li><a href=\"#f-%s\">%s: %s</a></li>\n",
			    sub->problems[i].field, label,
			    intake_field_error_message(sub->problems[i].code));
	}
	if (err == INTAKE_OK && sub != NULL && sub->np > 0)
		err = intake_buf_adds(b, "</ul>\n");
	if (err == INTAKE_OK)
		err = intake_buf_adds(b, "</div>\n");
	return err;
}

static enum intake_err
render_page(struct intake_req *req, const struct intake_form *f, const char *token,
    const struct intake_submission *sub, const char *alert, struct intake_buf *b)
{
	enum intake_err	err;
	size_t		i;

	err = html(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	    "<title>%s</title>\n<link rel=\"stylesheet\" href=\"" ASSETS "intake.css\">\n"
	    "<script src=\"" ASSETS "intake-form.js\" defer></script>\n</head>\n"
	    "<body>\n<main class=\"intake-form-page\">\n<h1>%s</h1>\n", f->title, f->title);
	if (err == INTAKE_OK)
		err = summary(b, f, sub, alert);
	if (err == INTAKE_OK && f->description[0] != '\0')
		err = html(b, "<p class=\"intake-description\">%s</p>\n", f->description);
	if (err == INTAKE_OK)
		err = intake_buf_adds(b, "<p class=\"intake-legend\">Fields marked "
		    "<span class=\"intake-required\" aria-hidden=\"true\">*</span>"
		    "<span class=\"intake-visually-hidden\">with an asterisk</span> are required.</p>\n");
	/* data-intake-submit: intake-form.js, when it runs, sends with fetch. */
	if (err == INTAKE_OK)
		err = html(b, "<form class=\"intake-form\" data-intake-submit method=\"post\" "
		    "action=\"/forms/%s\"", f->id);
	if (err == INTAKE_OK && has_file(f))
		err = intake_buf_adds(b, " enctype=\"multipart/form-data\"");
	if (err == INTAKE_OK)
		err = html(b, ">\n<input type=\"hidden\" name=\"_token\" value=\"%s\">\n", token);
	/* The honeypot: hidden from people and assistive technology, not from bots. */
	if (err == INTAKE_OK)
		err = intake_buf_adds(b, "<div class=\"intake-hp\" aria-hidden=\"true\">"
		    "<label for=\"f-website\">Website</label><input type=\"text\" id=\"f-website\" "
		    "name=\"website\" tabindex=\"-1\" autocomplete=\"off\"></div>\n");
	for (i = 0; err == INTAKE_OK && i < f->nfields; i++)
		err = render_field(req, &f->fields[i], sub, b);
	if (err == INTAKE_OK)
		err = html(b, "<div class=\"intake-actions\"><button type=\"submit\">%s</button></div>\n"
		    "</form>\n</main>\n</body>\n</html>\n", f->submit_label);
	return err;
}

/* A small page that only says something: expired form, receipt, failure. */
void
intake_form_message(struct intake_req *req, const struct intake_form *f, int status,
    const char *heading, const char *text, const char *link_text, const char *extra_headers)
{
	struct intake_buf	b, h;
	enum intake_err		err;

	intake_buf_init(&b, 16384);
	err = html(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	    "<title>%s: %s</title>\n<link rel=\"stylesheet\" href=\"" ASSETS "intake.css\">\n"
	    "</head>\n<body>\n<main class=\"intake-form-page\">\n<h1>%s</h1>\n"
	    "<p role=\"status\">%s</p>\n", f->title, heading, heading, text);
	if (err == INTAKE_OK && link_text != NULL)
		err = html(&b, "<p><a href=\"/forms/%s\">%s</a></p>\n", f->id, link_text);
	if (err == INTAKE_OK)
		err = intake_buf_adds(&b, "</main>\n</body>\n</html>\n");
	intake_buf_init(&h, 2048);
	if (err == INTAKE_OK)
		err = intake_buf_adds(&h, extra_headers != NULL ? extra_headers :
		    "Cache-Control: no-store\r\n");
	if (err == INTAKE_OK)
		(void)intake_resp_send(req, status, "text/html; charset=utf-8", h.ptr, b.ptr, b.len);
	intake_buf_free(&h);
	intake_buf_free(&b);
}

void
intake_form_page(struct intake_req *req, const struct intake_form *f, const char *token,
    const struct intake_submission *sub, int status, const char *alert)
{
	struct intake_buf	b;
	char			fresh[INTAKE_FORMTOKEN_MAX];
	enum intake_err		err = INTAKE_OK;

	intake_buf_init(&b, (size_t)req->ctx->cfg->response_max);
	if (token == NULL) {
		err = intake_formtoken_issue(req->ctx->cfg->form_key, f->id,
		    intake_now_ms() / 1000, fresh);
		token = fresh;
	}
	if (err == INTAKE_OK)
		err = render_page(req, f, token, sub, alert, &b);
	if (err == INTAKE_OK)
		(void)intake_resp_send(req, status, "text/html; charset=utf-8",
		    "Cache-Control: no-store\r\n", b.ptr, b.len);
	else if (err == INTAKE_EBUSY) {
		char	hdr[96];

		/* A list is cold and Integrify holds its share of the workers: soon. */
		intake_req_cause(req, "a list is cold and no upstream slot is free");
		(void)snprintf(hdr, sizeof(hdr), "Cache-Control: no-store\r\nRetry-After: %lld\r\n",
		    intake_ctx_retry_after(req->ctx));
		intake_form_message(req, f, 503, "Busy", "This form cannot be shown just now. "
		    "Please try again in a moment.", NULL, hdr);
	} else {
		/* The 503's log line (req.c) names the cause. */
		intake_req_cause(req, intake_strerror(err));
		intake_form_message(req, f, 503, "Unavailable", "This form is unavailable right "
		    "now. Please try again in a few minutes.", NULL,
		    "Cache-Control: no-store\r\nRetry-After: 60\r\n");
	}
	intake_buf_free(&b);
}

/* A receipt: GET /forms/{id}/receipt?ref=...: where the submission stands now. */
static void
receipt(struct intake_req *req, const struct intake_form *f)
{
	struct intake_spool_meta	 m;
	enum intake_spool_status	 st = INTAKE_SPOOL_UNKNOWN;
	struct intake_query		 q;
	struct intake_buf		 b;
	const char			*ref = NULL, *a;
	char				 text[512];

	if (intake_query_parse(req->query, strlen(req->query), &req->arena, &q) != INTAKE_OK ||
	    intake_query_get(&q, "ref", &ref) != INTAKE_OK || !intake_spoolrec_ref_ok(ref)) {
		intake_form_message(req, f, 400, "No receipt", "This receipt link is not valid.",
		    "Back to the form", NULL);
		return;
	}
	if (req->ctx->spool != NULL)
		st = intake_spool_lookup(req->ctx->spool, ref, &m);
	a = intake_req_param(req, "HTTP_ACCEPT");
	if (a != NULL && strstr(a, "application/json") != NULL) {
		if (st == INTAKE_SPOOL_UNKNOWN) {
			(void)intake_resp_error(req, 404, "unknown_reference", "No such reference.");
			return;
		}
		intake_buf_init(&b, 1024);
		if (intake_buf_printf(&b, "{\"reference\":\"%s\",\"status\":\"%s\",\"request_id\":",
		    ref, intake_spool_status_name(st)) == INTAKE_OK &&
		    intake_json_quote(&b, m.id, strlen(m.id)) == INTAKE_OK &&
		    intake_buf_printf(&b, ",\"attempts\":%lld}\n", m.attempts) == INTAKE_OK)
			(void)intake_resp_send(req, 200, "application/json; charset=utf-8",
			    "Cache-Control: no-store\r\n", b.ptr, b.len);
		else
			(void)intake_resp_error(req, 500, "internal", "intake failed to answer.");
		intake_buf_free(&b);
		return;
	}
	switch (st) {
	case INTAKE_SPOOL_DONE:
		if (m.id[0] != '\0')
			(void)snprintf(text, sizeof(text), "Thank you. Your request was sent to the "
			    "service desk as request %s. Your reference is %s.", m.id, ref);
		else
			(void)snprintf(text, sizeof(text), "Thank you. Your request was sent to the "
			    "service desk. Your reference is %s.", ref);
		intake_form_message(req, f, 200, "Request sent", text, "Send another request",
		    NULL);
		return;
	case INTAKE_SPOOL_QUEUED:
		(void)snprintf(text, sizeof(text), "Thank you. Your request was received and is "
		    "kept safe; it will be sent to the service desk shortly. Your reference is %s. "
		    "Reload this page to see its progress.", ref);
		intake_form_message(req, f, 200, "Request received", text, "Send another request",
		    NULL);
		return;
	case INTAKE_SPOOL_DEAD:
		(void)snprintf(text, sizeof(text), "Thank you. Your request was received, and a "
		    "member of staff will pass it on. Your reference is %s.", ref);
		intake_form_message(req, f, 200, "Request received", text, "Send another request",
		    NULL);
		return;
	default:
		intake_form_message(req, f, 404, "No receipt", "There is no request with this "
		    "reference here.", "Back to the form", NULL);
		return;
	}
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
	const struct intake_config	*cfg = req->ctx->cfg;
	const struct intake_form	*f;
	const char			*id = req->path + strlen(FORMS_PREFIX), *rest;
	size_t				 idlen;

	rest = strchr(id, '/');
	idlen = rest != NULL ? (size_t)(rest - id) : strlen(id);
	f = intake_form_find(cfg->forms, cfg->nforms, id, idlen);
	if (f == NULL || (rest != NULL && strcmp(rest, "/receipt") != 0)) {
		not_found(req);
		return;
	}
	if (rest != NULL) {
		if (strcmp(req->method, "POST") == 0)
			(void)intake_resp_error(req, 405, "method_not_allowed", "Use GET.");
		else
			receipt(req, f);
		return;
	}
	if (strcmp(req->method, "POST") == 0)
		intake_form_post(req, f);
	else
		intake_form_page(req, f, NULL, NULL, 200, NULL);
}
