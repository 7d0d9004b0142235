/*
 * formpage.c - the form page and the message pages (see formpage.h): a
 * complete, server-rendered, accessible HTML form with live choices,
 * that works without JavaScript and carries a signed, expiring form
 * token.  After a failed submission the same page comes back with the
 * values kept, an error summary at the top and each error next to its
 * field.
 *
 * Pages are written in a straight line into a bounded buffer, which
 * remembers its first failed append (buf.h); a page is sent only when
 * the buffer says every append went in.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/config.h"
#include "core/ctx.h"
#include "form/formtoken.h"
#include "form/lang.h"
#include "integrify/report.h"
#include "util/str.h"
#include "web/handler/formpage.h"
#include "util/nelem.h"

/* Where the pages' script and style sheet are: nginx strips the version
 * (conf/nginx/intake-locations.conf), browsers keep the files a year. */
#define ASSETS		"/static/" INTAKE_VERSION "/"

/*
 * The <input type> of each field type; NULL for the types drawn as
 * something else (render_field() says what).
 */
static const char *const input_types[] = {
	"text",		/* INTAKE_FIELD_TEXT */
	NULL,		/* INTAKE_FIELD_TEXTAREA: <textarea> */
	"email",	/* INTAKE_FIELD_EMAIL */
	"number",	/* INTAKE_FIELD_NUMBER */
	"date",		/* INTAKE_FIELD_DATE */
	NULL,		/* INTAKE_FIELD_SELECT: <select> */
	NULL,		/* INTAKE_FIELD_MULTISELECT: <select multiple> */
	NULL,		/* INTAKE_FIELD_CHECKBOXES: a <fieldset> of boxes */
	"file",		/* INTAKE_FIELD_FILE */
	NULL,		/* INTAKE_FIELD_RADIO: a <fieldset> of radio buttons */
};
INTAKE_ROWS(input_types, INTAKE_FIELD__MAX);

/* Append fmt with every %s argument HTML-escaped. Only %s is supported. */
static void
html(struct intake_buf *b, const char *fmt, ...)
{
	const char	*p, *run = fmt;
	va_list		 ap;

	va_start(ap, fmt);
	for (p = fmt; *p != '\0'; p++) {
		if (p[0] != '%' || p[1] != 's')
			continue;
		intake_buf_add(b, run, (size_t)(p - run));
		intake_html_escape(b, va_arg(ap, const char *));
		run = p + 2;
		p++;
	}
	va_end(ap);
	intake_buf_adds(b, run);
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
static void
describedby(struct intake_buf *b, const struct intake_field *fd, bool bad)
{
	/* help.LANG needs help: whether there is help is the same in every language. */
	if (!bad && fd->help[0] == '\0')
		return;
	/* Field names are a-z 0-9 _ (form.c): ids need no escaping. */
	intake_buf_adds(b, " aria-describedby=\"");
	if (bad)
		intake_buf_printf(b, "f-%s-error%s", fd->name, fd->help[0] != '\0' ? " " : "");
	if (fd->help[0] != '\0')
		intake_buf_printf(b, "f-%s-help", fd->name);
	intake_buf_addc(b, '"');
}

/* A number's step, a file's accepted types (".pdf,.png"), for the browser. */
static void
rules(struct intake_buf *b, const struct intake_field *fd)
{
	const char	*p = fd->accept;
	size_t		 n;
	bool		 first = true;

	if (fd->type == INTAKE_FIELD_NUMBER && fd->step[0] != '\0')
		html(b, " step=\"%s\"", fd->step);
	if (fd->type != INTAKE_FIELD_FILE || fd->accept[0] == '\0')
		return;
	/* form.c let only known extensions (a-z) in: nothing to escape. */
	intake_buf_adds(b, " accept=\"");
	for (;; p += n) {
		p += strspn(p, " ,.");
		if ((n = strcspn(p, " ,")) == 0)
			break;
		intake_buf_adds(b, first ? "." : ",.");
		intake_buf_add(b, p, n);
		first = false;
	}
	intake_buf_addc(b, '"');
}

/* The attributes that carry a field's constraints to the browser. */
static void
constraints(struct intake_buf *b, const struct intake_field *fd,
    const struct intake_submission *sub)
{
	bool	bad = problem_of(sub, fd->name) != NULL;

	/* Only the attributes HTML allows on each control's type. */
	bool	text = fd->type == INTAKE_FIELD_TEXT || fd->type == INTAKE_FIELD_EMAIL;
	bool	lengths = text || fd->type == INTAKE_FIELD_TEXTAREA;
	bool	bounds = fd->type == INTAKE_FIELD_NUMBER || fd->type == INTAKE_FIELD_DATE;

	if (fd->required)
		intake_buf_adds(b, " required");
	if (lengths && fd->min_length >= 0)
		intake_buf_printf(b, " minlength=\"%lld\"", fd->min_length);
	if (lengths && fd->max_length >= 0)
		intake_buf_printf(b, " maxlength=\"%lld\"", fd->max_length);
	if (bounds && fd->min[0] != '\0')
		html(b, " min=\"%s\"", fd->min);
	if (bounds && fd->max[0] != '\0')
		html(b, " max=\"%s\"", fd->max);
	if (text && fd->pattern[0] != '\0')
		html(b, " pattern=\"%s\"", fd->pattern);
	rules(b, fd);
	if (bad)
		intake_buf_adds(b, " aria-invalid=\"true\"");
	describedby(b, fd, bad);
}

/*
 * One checkbox or radio button of a group; ids count rows, since values
 * may hold spaces.  A radio group is required through its buttons, and
 * each shows the group's error state.
 */
static void
checkbox(struct intake_buf *b, const struct intake_field *fd, size_t n, const char *value,
    const char *label, bool on, bool bad)
{
	bool	radio = fd->type == INTAKE_FIELD_RADIO;

	intake_buf_printf(b, "<div class=\"intake-check\"><input type=\"%s\" "
	    "id=\"f-%s-%zu\" name=\"%s\"", radio ? "radio" : "checkbox", fd->name, n, fd->name);
	html(b, " value=\"%s\"", value);
	if (on)
		intake_buf_adds(b, " checked");
	if (radio && fd->required)
		intake_buf_adds(b, " required");
	if (radio && bad)
		intake_buf_adds(b, " aria-invalid=\"true\"");
	intake_buf_printf(b, "><label for=\"f-%s-%zu\">", fd->name, n);
	html(b, "%s</label></div>\n", label);
}

static void
option(struct intake_buf *b, const char *value, const char *label, bool on)
{
	html(b, "<option value=\"%s\"", value);
	if (on)
		intake_buf_adds(b, " selected");
	html(b, ">%s</option>\n", label);
}

/* One option, or one box or button of a group, of fd. */
static void
choice(struct intake_buf *b, const struct intake_field *fd, const struct intake_submission *sub,
    size_t n, const char *value, const char *label)
{
	if (fd->type == INTAKE_FIELD_CHECKBOXES || fd->type == INTAKE_FIELD_RADIO)
		checkbox(b, fd, n, value, label, chosen(sub, fd, value),
		    problem_of(sub, fd->name) != NULL);
	else
		option(b, value, label, chosen(sub, fd, value));
}

/* A choice field's live list (its view into *v), or the error why not. */
static enum intake_err
live_list(struct intake_req *req, const struct intake_field *fd, struct intake_report_view *v)
{
	const struct intake_source	*src;

	src = intake_config_source(req->ctx->cfg, INTAKE_SOURCE_CHOICES, fd->source,
	    strlen(fd->source));
	if (src == NULL)
		return INTAKE_ECONFIG;
	return intake_report_get(req->ctx, src, NULL, 0, v);
}

/* A parent's choices, copied: a child's list is read while they are used. */
struct groups {
	const char	**value;
	const char	**label;
	size_t		  n;
};

/* Is v one of the parent's choices? */
static bool
in_groups(const struct groups *g, const char *v)
{
	size_t	i;

	for (i = 0; i < g->n; i++)
		if (strcmp(g->value[i], v) == 0)
			return true;
	return false;
}

/* The choices of the parent field p into g (arena-owned); the list's error, else OK. */
static enum intake_err
parent_groups(struct intake_req *req, const struct intake_field *p, struct groups *g)
{
	struct intake_report_view	v;
	enum intake_err			err;
	size_t				i, n;

	if (p->nchoices > 0)
		n = p->nchoices;
	else if ((err = live_list(req, p, &v)) != INTAKE_OK)
		return err;
	else
		n = v.table->nrows;
	g->value = intake_arena_alloc(&req->arena, (n + 1) * sizeof(*g->value));
	g->label = intake_arena_alloc(&req->arena, (n + 1) * sizeof(*g->label));
	if (g->value == NULL || g->label == NULL)
		return INTAKE_ETOOBIG;
	for (i = 0; i < n; i++) {
		g->value[i] = p->nchoices > 0 ? intake_field_choice_value(p, i) :
		    intake_arena_strdup(&req->arena, intake_table_cell(v.table, i,
		    (size_t)v.value_col));
		g->label[i] = p->nchoices > 0 ? intake_field_choice_label(p, i) :
		    intake_arena_strdup(&req->arena, intake_table_cell(v.table, i,
		    (size_t)v.label_col));
		if (g->value[i] == NULL || g->label[i] == NULL)
			return INTAKE_ETOOBIG;
	}
	g->n = n;
	return INTAKE_OK;
}

/*
 * A child's options without JavaScript: one <optgroup> per choice of its
 * parent (labelled with the parent's label, in the parent's order), each
 * holding the rows whose parent column holds that choice; rows under no
 * choice of the parent come last, ungrouped.
 */
static enum intake_err
grouped(struct intake_req *req, const struct intake_form *f, const struct intake_field *fd,
    const struct intake_submission *sub, struct intake_buf *b)
{
	struct intake_report_view	 v;
	struct groups			 g;
	const char			*cp;
	enum intake_err			 err;
	long				 pc;
	size_t				 r, i;

	err = parent_groups(req, &f->fields[fd->parent_index], &g);
	if (err == INTAKE_OK)
		err = live_list(req, fd, &v);
	if (err != INTAKE_OK)
		return err;
	if ((pc = intake_table_column(v.table, fd->parent_column)) < 0)
		return INTAKE_EPROTO;	/* the list lacks the column: the config is wrong */
	for (i = 0; i <= g.n; i++) {
		if (i < g.n)
			html(b, "<optgroup label=\"%s\">\n", g.label[i]);
		for (r = 0; r < v.table->nrows; r++) {
			cp = intake_table_cell(v.table, r, (size_t)pc);
			if (i < g.n ? strcmp(cp, g.value[i]) != 0 : in_groups(&g, cp))
				continue;
			choice(b, fd, sub, r + 1, intake_table_cell(v.table, r, (size_t)v.value_col),
			    intake_table_cell(v.table, r, (size_t)v.label_col));
		}
		if (i < g.n)
			intake_buf_adds(b, "</optgroup>\n");
	}
	return INTAKE_OK;
}

/*
 * The options (or boxes, or buttons) of a choice field: its fixed
 * choices, or its source's live list (grouped by parent for a child).
 * The list's error when it cannot be had (INTAKE_EBUSY: a cold list and
 * no upstream slot), else INTAKE_OK.
 */
static enum intake_err
choices(struct intake_req *req, const struct intake_form *f, const struct intake_field *fd,
    const struct intake_submission *sub, struct intake_buf *b)
{
	struct intake_report_view	 v;
	enum intake_err			 err;
	size_t				 r;

	for (r = 0; r < fd->nchoices; r++)
		choice(b, fd, sub, r + 1, intake_field_choice_value(fd, r),
		    intake_field_choice_label(fd, r));
	if (fd->nchoices > 0)
		return INTAKE_OK;
	if (fd->parent[0] != '\0')
		return grouped(req, f, fd, sub, b);
	err = live_list(req, fd, &v);
	if (err != INTAKE_OK)
		return err;
	for (r = 0; r < v.table->nrows; r++)
		choice(b, fd, sub, r + 1, intake_table_cell(v.table, r, (size_t)v.value_col),
		    intake_table_cell(v.table, r, (size_t)v.label_col));
	return INTAKE_OK;
}

/* The label (or legend), the required marker, the help and any error of a field. */
static void
caption(struct intake_buf *b, const struct intake_field *fd,
    const struct intake_submission *sub, bool group, enum intake_lang lang)
{
	const struct intake_field_problem	*p = problem_of(sub, fd->name);

	if (group) {
		intake_buf_adds(b, "<fieldset");
		describedby(b, fd, p != NULL);
		html(b, "><legend>%s", intake_field_label(fd, lang));
	} else
		html(b, "<label for=\"f-%s\">%s", fd->name, intake_field_label(fd, lang));
	if (fd->required)
		intake_buf_adds(b, " <span class=\"intake-required\" "
		    "aria-hidden=\"true\">*</span>");
	intake_buf_adds(b, group ? "</legend>\n" : "</label>\n");
	if (fd->help[0] != '\0')
		html(b, "<p class=\"intake-help\" id=\"f-%s-help\">%s</p>\n", fd->name,
		    intake_field_help(fd, lang));
	if (p != NULL)
		html(b, "<p class=\"intake-error\" id=\"f-%s-error\">%s</p>\n", fd->name,
		    intake_field_problem_message(p));
}

/*
 * A one-value select of a live list longer than combobox_threshold gets
 * what intake-combobox.js needs to become a type-ahead combobox; a child
 * gets its parent's id, which intake-form.js follows.  Without the
 * scripts both stay plain selects.
 */
static enum intake_err
select_data(struct intake_req *req, const struct intake_field *fd, struct intake_buf *b)
{
	struct intake_report_view	 v;
	long long			 limit = req->ctx->cfg->combobox_threshold;
	enum intake_err			 err;

	if (fd->source[0] == '\0' || fd->type != INTAKE_FIELD_SELECT)
		return INTAKE_OK;
	html(b, " data-intake-source=\"%s\"", fd->source);
	if (fd->parent[0] != '\0')
		html(b, " data-intake-parent=\"f-%s\"", fd->parent);
	if (limit <= 0)
		return INTAKE_OK;
	err = live_list(req, fd, &v);
	if (err != INTAKE_OK)
		return err;
	if (v.table->nrows > (unsigned long long)limit)
		intake_buf_adds(b, " data-intake-combobox");
	return INTAKE_OK;
}

/* A select (one value) or a select multiple, with its options. */
static enum intake_err
select_field(struct intake_req *req, const struct intake_form *f,
    const struct intake_field *fd, const struct intake_submission *sub, struct intake_buf *b,
    enum intake_lang lang)
{
	enum intake_err	err;

	html(b, "<select id=\"f-%s\" name=\"%s\"", fd->name, fd->name);
	if (fd->type == INTAKE_FIELD_MULTISELECT)
		intake_buf_adds(b, " multiple size=\"6\"");
	err = select_data(req, fd, b);
	constraints(b, fd, sub);
	if (fd->type == INTAKE_FIELD_SELECT)
		html(b, ">\n<option value=\"\">%s</option>\n", intake_msg(lang, INTAKE_MSG_CHOOSE));
	else
		intake_buf_adds(b, ">\n");
	if (err == INTAKE_OK)
		err = choices(req, f, fd, sub, b);
	intake_buf_adds(b, "</select>\n");
	return err;
}

/* An <input> of the field's type, showing shown (not for a file). */
static void
input_field(struct intake_buf *b, const struct intake_field *fd,
    const struct intake_submission *sub, const char *shown)
{
	html(b, "<input type=\"%s\" id=\"f-%s\" name=\"%s\"", input_types[fd->type], fd->name,
	    fd->name);
	if (shown[0] != '\0' && fd->type != INTAKE_FIELD_FILE)
		html(b, " value=\"%s\"", shown);
	if (fd->type == INTAKE_FIELD_EMAIL)
		intake_buf_adds(b, " autocomplete=\"email\"");
	constraints(b, fd, sub);
	intake_buf_adds(b, ">\n");
}

/* One field with its caption; a choice list's error, else INTAKE_OK. */
static enum intake_err
render_field(struct intake_req *req, const struct intake_form *f,
    const struct intake_field *fd, const struct intake_submission *sub, struct intake_buf *b,
    enum intake_lang lang)
{
	const char	*sent = sent_value(sub, fd->name);
	const char	*shown = sub != NULL ? (sent != NULL ? sent : "") : fd->def;
	enum intake_err	 err = INTAKE_OK;

	html(b, "<div class=\"intake-field\" id=\"field-%s\">\n", fd->name);
	caption(b, fd, sub, fd->type == INTAKE_FIELD_CHECKBOXES ||
	    fd->type == INTAKE_FIELD_RADIO, lang);
	switch (fd->type) {
	case INTAKE_FIELD_CHECKBOXES:
	case INTAKE_FIELD_RADIO:
		err = choices(req, f, fd, sub, b);
		intake_buf_adds(b, "</fieldset>\n");
		break;
	case INTAKE_FIELD_TEXTAREA:
		html(b, "<textarea id=\"f-%s\" name=\"%s\" rows=\"6\"", fd->name, fd->name);
		constraints(b, fd, sub);
		html(b, ">%s</textarea>\n", shown);
		break;
	case INTAKE_FIELD_SELECT:
	case INTAKE_FIELD_MULTISELECT:
		err = select_field(req, f, fd, sub, b, lang);
		break;
	case INTAKE_FIELD_TEXT:
	case INTAKE_FIELD_EMAIL:
	case INTAKE_FIELD_NUMBER:
	case INTAKE_FIELD_DATE:
	case INTAKE_FIELD_FILE:
		input_field(b, fd, sub, shown);
		break;
	case INTAKE_FIELD__MAX:
		return INTAKE_EINVAL;	/* not a type: form.c loads none such */
	}
	intake_buf_adds(b, "</div>\n");
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

/* The field called name, or NULL when the form has no such field. */
static const struct intake_field *
field_of(const struct intake_form *f, const char *name)
{
	size_t	i;

	for (i = 0; i < f->nfields; i++)
		if (strcmp(f->fields[i].name, name) == 0)
			return &f->fields[i];
	return NULL;
}

/* The list of problems at the top, each linking to its field. */
static void
summary(struct intake_buf *b, const struct intake_form *f, const struct intake_submission *sub,
    const char *alert, enum intake_lang lang)
{
	const struct intake_field	*fd;
	const char			*msg;
	size_t				 i, np = sub != NULL ? sub->np : 0;

	if (np == 0 && alert == NULL)
		return;
	intake_buf_adds(b, "<div class=\"intake-error-summary\" role=\"alert\">\n");
	if (alert != NULL)
		html(b, "<p>%s</p>\n", alert);
	if (np > 0)
		html(b, "<h2>%s</h2>\n<ul>\n", intake_msg(lang, INTAKE_MSG_CORRECT));
	for (i = 0; i < np; i++) {
		fd = field_of(f, sub->problems[i].field);
		msg = intake_field_problem_message(&sub->problems[i]);
		if (fd == NULL)
			html(b, "<li>%s</li>\n", msg);
		else	/* a group's link goes to its first box or button */
			html(b, "<li><a href=\"#f-%s%s\">%s: %s</a></li>\n", fd->name,
			    fd->type == INTAKE_FIELD_CHECKBOXES || fd->type == INTAKE_FIELD_RADIO ?
			    "-1" : "", intake_field_label(fd, lang), msg);
	}
	if (np > 0)
		intake_buf_adds(b, "</ul>\n");
	intake_buf_adds(b, "</div>\n");
}

enum intake_lang
intake_form_lang(struct intake_req *req, const struct intake_form *f)
{
	enum intake_lang	lang;

	if (f->lang[0] != '\0' && intake_lang_of_tag(f->lang, strlen(f->lang), &lang))
		return lang;
	return intake_lang_accept(intake_req_param(req, "HTTP_ACCEPT_LANGUAGE"));
}

/* "Vary: Accept-Language" when f's pages follow the client's language, else "". */
static const char *
vary(const struct intake_form *f)
{
	return f->lang[0] == '\0' ? "Vary: Accept-Language\r\n" : "";
}

/*
 * The words intake-form.js says in place of the server (the receipt, the
 * summary, failures), in the page's language: one source of truth.
 */
static void
script_words(struct intake_buf *b, enum intake_lang lang)
{
	static const struct {
		const char	*attr;
		enum intake_msg	 m;
	} words[] = {
		{ "error", INTAKE_MSG_ERROR_TITLE }, { "another", INTAKE_MSG_SEND_ANOTHER },
		{ "correct", INTAKE_MSG_CORRECT }, { "invalid", INTAKE_MSG_FE_INVALID },
		{ "sent", INTAKE_MSG_SENT }, { "received", INTAKE_MSG_RECEIVED },
		{ "sent-id-text", INTAKE_MSG_SENT_ID_TEXT }, { "sent-text", INTAKE_MSG_SENT_TEXT },
		{ "queued-text", INTAKE_MSG_QUEUED_TEXT }, { "held-text", INTAKE_MSG_HELD_TEXT },
		{ "unreachable", INTAKE_MSG_UNREACHABLE }, { "not-sent", INTAKE_MSG_NOT_SENT },
		{ "send-again", INTAKE_MSG_SEND_AGAIN }, { "no-matches", INTAKE_MSG_NO_MATCHES },
		{ "results", INTAKE_MSG_RESULTS },
	};
	size_t	i;

	for (i = 0; i < INTAKE_NELEM(words); i++) {
		intake_buf_printf(b, " data-w-%s=\"", words[i].attr);
		intake_html_escape(b, intake_msg(lang, words[i].m));
		intake_buf_addc(b, '"');
	}
}

/* The page's head, up to and with its h1 (title prefixed by what, when not NULL). */
static void
head(struct intake_buf *b, enum intake_lang lang, const char *what, const char *title,
    const char *heading, bool scripts)
{
	html(b, "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	    "<title>%s%s</title>\n<link rel=\"stylesheet\" href=\"" ASSETS "intake.css\">\n",
	    intake_lang_code(lang), what != NULL ? what : "", title);
	if (scripts)
		intake_buf_adds(b, "<script src=\"" ASSETS "intake-form.js\" defer></script>\n"
		    "<script src=\"" ASSETS "intake-combobox.js\" defer></script>\n");
	html(b, "</head>\n<body>\n<main class=\"intake-form-page\">\n<h1>%s</h1>\n", heading);
}

/* The whole page into b: a choice list's error, else the buffer's. */
static enum intake_err
render_page(struct intake_req *req, const struct intake_form *f, const char *token,
    const struct intake_submission *sub, const char *alert, struct intake_buf *b)
{
	enum intake_lang	lang = intake_form_lang(req, f);
	const char		*title = intake_form_title(f, lang);
	enum intake_err		err = INTAKE_OK;
	size_t			i;

	/* A page with problems says so first in its title: it is what a screen reader reads. */
	head(b, lang, (sub != NULL && sub->np > 0) || alert != NULL ?
	    intake_msg(lang, INTAKE_MSG_ERROR_TITLE) : NULL, title, title, true);
	summary(b, f, sub, alert, lang);
	if (intake_form_description(f, lang)[0] != '\0')
		html(b, "<p class=\"intake-description\">%s</p>\n", intake_form_description(f, lang));
	html(b, "<p class=\"intake-legend\">%s "
	    "<span class=\"intake-required\" aria-hidden=\"true\">*</span>"
	    "<span class=\"intake-visually-hidden\">%s</span> %s</p>\n",
	    intake_msg(lang, INTAKE_MSG_LEGEND_BEFORE), intake_msg(lang, INTAKE_MSG_LEGEND_HIDDEN),
	    intake_msg(lang, INTAKE_MSG_LEGEND_AFTER));
	/* data-intake-submit: intake-form.js, when it runs, sends with fetch. */
	html(b, "<form class=\"intake-form\" data-intake-submit method=\"post\" "
	    "action=\"/forms/%s\"", f->id);
	if (has_file(f))
		intake_buf_adds(b, " enctype=\"multipart/form-data\"");
	script_words(b, lang);
	html(b, ">\n<input type=\"hidden\" name=\"_token\" value=\"%s\">\n", token);
	/* The honeypot: hidden from people and assistive technology, not from bots. */
	intake_buf_adds(b, "<div class=\"intake-hp\" aria-hidden=\"true\">"
	    "<label for=\"f-website\">Website</label><input type=\"text\" id=\"f-website\" "
	    "name=\"website\" tabindex=\"-1\" autocomplete=\"off\"></div>\n");
	for (i = 0; err == INTAKE_OK && i < f->nfields; i++)
		err = render_field(req, f, &f->fields[i], sub, b, lang);
	if (err != INTAKE_OK)
		return err;
	html(b, "<div class=\"intake-actions\"><button type=\"submit\">%s</button></div>\n"
	    "</form>\n</main>\n</body>\n</html>\n", intake_form_submit_label(f, lang));
	return intake_buf_err(b);
}

/* A short page: heading, a sentence (of class cls when not NULL) and a link back. */
static void
message_page(struct intake_req *req, const struct intake_form *f, int status,
    const char *heading, const char *text, const char *link_text, const char *extra_headers,
    const char *cls)
{
	enum intake_lang	lang = intake_form_lang(req, f);
	struct intake_buf	b;
	char			hdrs[256], title[512];

	intake_buf_init(&b, 16384);
	(void)snprintf(title, sizeof(title), "%s: %s", intake_form_title(f, lang), heading);
	head(&b, lang, NULL, title, heading, false);
	if (cls != NULL)
		html(&b, "<p class=\"%s\" role=\"status\">%s</p>\n", cls, text);
	else
		html(&b, "<p role=\"status\">%s</p>\n", text);
	if (link_text != NULL)
		html(&b, "<p><a href=\"/forms/%s\">%s</a></p>\n", f->id, link_text);
	intake_buf_adds(&b, "</main>\n</body>\n</html>\n");
	(void)snprintf(hdrs, sizeof(hdrs), "%s%s",
	    extra_headers != NULL ? extra_headers : "Cache-Control: no-store\r\n", vary(f));
	/* Unsent, the request gets route.c's 500 ("the handler sent no answer"). */
	if (intake_buf_err(&b) == INTAKE_OK)
		(void)intake_resp_send(req, status, "text/html; charset=utf-8", hdrs, b.ptr, b.len);
	intake_buf_free(&b);
}

void
intake_form_message(struct intake_req *req, const struct intake_form *f, int status,
    const char *heading, const char *text, const char *link_text, const char *extra_headers)
{
	message_page(req, f, status, heading, text, link_text, extra_headers, NULL);
}

void
intake_form_receipt(struct intake_req *req, const struct intake_form *f, const char *heading,
    const char *text)
{
	/* The same page intake-form.js leaves in place of the form. */
	message_page(req, f, 200, heading, text,
	    intake_msg(intake_form_lang(req, f), INTAKE_MSG_SEND_ANOTHER), NULL, "intake-receipt");
}

/* The 503 page when the form cannot be drawn (err: why). */
static void
page_unavailable(struct intake_req *req, const struct intake_form *f, enum intake_err err)
{
	enum intake_lang	lang = intake_form_lang(req, f);
	char			hdr[96];

	if (err == INTAKE_EBUSY) {
		/* A list is cold and Integrify holds its share of the workers: soon. */
		intake_req_cause(req, "a list is cold and no upstream slot is free");
		(void)snprintf(hdr, sizeof(hdr), "Cache-Control: no-store\r\nRetry-After: %lld\r\n",
		    intake_ctx_retry_after(req->ctx));
		intake_form_message(req, f, 503, intake_msg(lang, INTAKE_MSG_BUSY),
		    intake_msg(lang, INTAKE_MSG_BUSY_TEXT), NULL, hdr);
		return;
	}
	/* The 503's log line (req.c) names the cause. */
	intake_req_cause(req, intake_strerror(err));
	intake_form_message(req, f, 503, intake_msg(lang, INTAKE_MSG_UNAVAILABLE),
	    intake_msg(lang, INTAKE_MSG_UNAVAILABLE_TEXT), NULL,
	    "Cache-Control: no-store\r\nRetry-After: 60\r\n");
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
	/* The page is in the client's language unless the form names one. */
	if (err == INTAKE_OK)
		(void)intake_resp_send(req, status, "text/html; charset=utf-8",
		    f->lang[0] == '\0' ? "Cache-Control: no-store\r\nVary: Accept-Language\r\n" :
		    "Cache-Control: no-store\r\n", b.ptr, b.len);
	else
		page_unavailable(req, f, err);
	intake_buf_free(&b);
}
