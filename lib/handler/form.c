/*
 * form.c - GET /forms/{id}: a complete, server-rendered, accessible HTML
 * form with live choices, that works without JavaScript and carries a
 * signed, expiring form token.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>

#include "internal.h"
#include "intake/form.h"
#include "intake/formtoken.h"
#include "intake/log.h"
#include "intake/report.h"
#include "intake/str.h"

#define FORMS_PREFIX	"/forms/"

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

/* The attributes that carry a field's constraints to the browser. */
static enum intake_err
constraints(struct intake_buf *b, const struct intake_field *fd)
{
	enum intake_err	err = INTAKE_OK;

	if (fd->required)
		err = intake_buf_adds(b, " required");
	if (err == INTAKE_OK && fd->min_length >= 0 && fd->type != INTAKE_FIELD_NUMBER)
		err = intake_buf_printf(b, " minlength=\"%lld\"", fd->min_length);
	if (err == INTAKE_OK && fd->max_length >= 0 && fd->type != INTAKE_FIELD_NUMBER)
		err = intake_buf_printf(b, " maxlength=\"%lld\"", fd->max_length);
	if (err == INTAKE_OK && fd->min[0] != '\0')
		err = html(b, " min=\"%s\"", fd->min);
	if (err == INTAKE_OK && fd->max[0] != '\0')
		err = html(b, " max=\"%s\"", fd->max);
	if (err == INTAKE_OK && fd->pattern[0] != '\0' && fd->type != INTAKE_FIELD_TEXTAREA)
		err = html(b, " pattern=\"%s\"", fd->pattern);
	if (err == INTAKE_OK && fd->help[0] != '\0')
		err = html(b, " aria-describedby=\"f-%s-help\"", fd->name);
	return err;
}

/* One checkbox of a group; ids count rows, since values may hold spaces. */
static enum intake_err
checkbox(struct intake_buf *b, const struct intake_field *fd, size_t n, const char *value,
    const char *label)
{
	enum intake_err	err;

	/* Field names are a-z 0-9 _ (form.c), so they need no escaping. */
	err = intake_buf_printf(b, "<div class=\"intake-check\"><input type=\"checkbox\" "
	    "id=\"f-%s-%zu\" name=\"%s\"", fd->name, n, fd->name);
	if (err == INTAKE_OK)
		err = html(b, " value=\"%s\"", value);
	if (err == INTAKE_OK && strcmp(value, fd->def) == 0)
		err = intake_buf_adds(b, " checked");
	if (err == INTAKE_OK)
		err = intake_buf_printf(b, "><label for=\"f-%s-%zu\">", fd->name, n);
	if (err == INTAKE_OK)
		err = html(b, "%s</label></div>\n", label);
	return err;
}

static enum intake_err
option(struct intake_buf *b, const struct intake_field *fd, const char *value,
    const char *label)
{
	enum intake_err	err;

	err = html(b, "<option value=\"%s\"", value);
	if (err == INTAKE_OK && strcmp(value, fd->def) == 0)
		err = intake_buf_adds(b, " selected");
	if (err == INTAKE_OK)
		err = html(b, ">%s</option>\n", label);
	return err;
}

/* The options (or boxes) of a choice field, from its source's live list. */
static enum intake_err
choices(struct intake_req *req, const struct intake_field *fd, struct intake_buf *b)
{
	const struct intake_source	*src;
	struct intake_report_view	 v;
	const char			*value, *label;
	enum intake_err			 err;
	size_t				 r;

	src = intake_config_source(req->ctx->cfg, INTAKE_SOURCE_CHOICES, fd->source,
	    strlen(fd->source));
	if (src == NULL)
		return INTAKE_ECONFIG;
	err = intake_report_get(req->ctx, src, NULL, 0, &v);
	for (r = 0; err == INTAKE_OK && r < v.table->nrows; r++) {
		value = intake_table_cell(v.table, r, (size_t)v.value_col);
		label = intake_table_cell(v.table, r, (size_t)v.label_col);
		err = fd->type == INTAKE_FIELD_CHECKBOXES ? checkbox(b, fd, r + 1, value, label) :
		    option(b, fd, value, label);
	}
	return err;
}

/* The label (or legend), the required marker and the help of a field. */
static enum intake_err
caption(struct intake_buf *b, const struct intake_field *fd, bool group)
{
	enum intake_err	err;

	if (group)
		err = html(b, "<fieldset%s%s%s><legend>%s", fd->help[0] != '\0' ?
		    " aria-describedby=\"f-" : "", fd->help[0] != '\0' ? fd->name : "",
		    fd->help[0] != '\0' ? "-help\"" : "", fd->label);
	else
		err = html(b, "<label for=\"f-%s\">%s", fd->name, fd->label);
	if (err == INTAKE_OK && fd->required)
		err = intake_buf_adds(b, " <span class=\"intake-required\" "
		    "aria-hidden=\"true\">*</span>");
	if (err == INTAKE_OK)
		err = intake_buf_adds(b, group ? "</legend>\n" : "</label>\n");
	if (err == INTAKE_OK && fd->help[0] != '\0')
		err = html(b, "<p class=\"intake-help\" id=\"f-%s-help\">%s</p>\n", fd->name,
		    fd->help);
	return err;
}

static enum intake_err
render_field(struct intake_req *req, const struct intake_field *fd, struct intake_buf *b)
{
	enum intake_err	err;
	bool		group = fd->type == INTAKE_FIELD_CHECKBOXES;

	err = html(b, "<div class=\"intake-field\" id=\"field-%s\">\n", fd->name);
	if (err == INTAKE_OK)
		err = caption(b, fd, group);
	if (err != INTAKE_OK)
		return err;
	switch (fd->type) {
	case INTAKE_FIELD_CHECKBOXES:
		err = choices(req, fd, b);
		if (err == INTAKE_OK)
			err = intake_buf_adds(b, "</fieldset>\n");
		break;
	case INTAKE_FIELD_TEXTAREA:
		err = html(b, "<textarea id=\"f-%s\" name=\"%s\" rows=\"6\"", fd->name, fd->name);
		if (err == INTAKE_OK)
			err = constraints(b, fd);
		if (err == INTAKE_OK)
			err = html(b, ">%s</textarea>\n", fd->def);
		break;
	case INTAKE_FIELD_SELECT:
	case INTAKE_FIELD_MULTISELECT:
		err = html(b, "<select id=\"f-%s\" name=\"%s\"", fd->name, fd->name);
		if (err == INTAKE_OK && fd->type == INTAKE_FIELD_MULTISELECT)
			err = intake_buf_adds(b, " multiple size=\"6\"");
		if (err == INTAKE_OK)
			err = constraints(b, fd);
		if (err == INTAKE_OK)
			err = intake_buf_adds(b, fd->type == INTAKE_FIELD_SELECT ?
			    ">\n<option value=\"\">Choose…</option>\n" : ">\n");
		if (err == INTAKE_OK)
			err = choices(req, fd, b);
		if (err == INTAKE_OK)
			err = intake_buf_adds(b, "</select>\n");
		break;
	default:
		err = html(b, "<input type=\"%s\" id=\"f-%s\" name=\"%s\"", input_type(fd->type),
		    fd->name, fd->name);
		if (err == INTAKE_OK && fd->def[0] != '\0' && fd->type != INTAKE_FIELD_FILE)
			err = html(b, " value=\"%s\"", fd->def);
		if (err == INTAKE_OK && fd->type == INTAKE_FIELD_EMAIL)
			err = intake_buf_adds(b, " autocomplete=\"email\"");
		if (err == INTAKE_OK)
			err = constraints(b, fd);
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

static enum intake_err
render_page(struct intake_req *req, const struct intake_form *f, const char *token,
    struct intake_buf *b)
{
	enum intake_err	err;
	size_t		i;

	err = html(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	    "<title>%s</title>\n<link rel=\"stylesheet\" href=\"/intake.css\">\n</head>\n"
	    "<body>\n<main class=\"intake-form-page\">\n<h1>%s</h1>\n", f->title, f->title);
	if (err == INTAKE_OK && f->description[0] != '\0')
		err = html(b, "<p class=\"intake-description\">%s</p>\n", f->description);
	if (err == INTAKE_OK)
		err = intake_buf_adds(b, "<p class=\"intake-legend\">Fields marked "
		    "<span class=\"intake-required\" aria-hidden=\"true\">*</span>"
		    "<span class=\"intake-visually-hidden\">with an asterisk</span> are required.</p>\n");
	if (err == INTAKE_OK)
		err = html(b, "<form class=\"intake-form\" method=\"post\" action=\"/forms/%s\"",
		    f->id);
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
		err = render_field(req, &f->fields[i], b);
	if (err == INTAKE_OK)
		err = html(b, "<div class=\"intake-actions\"><button type=\"submit\">%s</button></div>\n"
		    "</form>\n</main>\n</body>\n</html>\n", f->submit_label);
	return err;
}

/* The form cannot be shown (its lists cannot be had): a page that says so. */
static void
page_error(struct intake_req *req, const struct intake_form *f, enum intake_err err)
{
	struct intake_buf	b;

	intake_log_warn("form %s: cannot be shown: %s", f->id, intake_strerror(err));
	intake_buf_init(&b, 16384);
	if (html(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	    "<title>%s: unavailable</title>\n<link rel=\"stylesheet\" href=\"/intake.css\">\n"
	    "</head>\n<body>\n<main class=\"intake-form-page\">\n<h1>%s</h1>\n"
	    "<p role=\"alert\">This form is unavailable right now. Please try again in a few "
	    "minutes.</p>\n</main>\n</body>\n</html>\n", f->title, f->title) == INTAKE_OK)
		(void)intake_resp_send(req, 503, "text/html; charset=utf-8",
		    "Cache-Control: no-store\r\nRetry-After: 60\r\n" INTAKE_PAGE_HEADERS, b.ptr, b.len);
	intake_buf_free(&b);
}

void
intake_handle_form(struct intake_req *req)
{
	const struct intake_config	*cfg = req->ctx->cfg;
	const struct intake_form	*f;
	struct intake_buf		 b;
	const char			*id = req->path + strlen(FORMS_PREFIX);
	char				 token[INTAKE_FORMTOKEN_MAX];
	enum intake_err			 err;

	f = intake_form_find(cfg->forms, cfg->nforms, id, strlen(id));
	if (f == NULL) {
		(void)intake_resp_error(req, 404, "unknown_form", "No such form.");
		return;
	}
	intake_buf_init(&b, (size_t)cfg->response_max);
	err = intake_formtoken_issue(cfg->form_key, f->id, intake_now_ms() / 1000, token);
	if (err == INTAKE_OK)
		err = render_page(req, f, token, &b);
	if (err == INTAKE_OK)
		(void)intake_resp_send(req, 200, "text/html; charset=utf-8",
		    "Cache-Control: no-store\r\n" INTAKE_PAGE_HEADERS, b.ptr, b.len);
	else
		page_error(req, f, err);
	intake_buf_free(&b);
}
