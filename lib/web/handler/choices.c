/*
 * choices.c - GET /api/choices/{source}: a source's value/label list,
 * searched and paged, as JSON, Select2 JSON or <option> HTML.
 */
#include <stdlib.h>
#include <string.h>

#include <unicase.h>
#include <unistr.h>
#include <uninorm.h>

#include "web/handler/handler.h"
#include "core/log.h"
#include "util/str.h"

#define FOLD_STACK	512

/* Case-fold s (UTF-8) into out; NULL on invalid UTF-8. Caller frees if != stackbuf. */
static uint8_t *
fold(const char *s, uint8_t *stackbuf, size_t cap, size_t *len)
{
	*len = cap;
	return u8_casefold((const uint8_t *)s, strlen(s), NULL, UNINORM_NFC, stackbuf, len);
}

/* Does label contain the folded needle? */
static bool
label_matches(const char *label, const uint8_t *needle, size_t nlen)
{
	uint8_t	 stackbuf[FOLD_STACK], *f;
	size_t	 flen;
	bool	 m;

	f = fold(label, stackbuf, sizeof(stackbuf), &flen);
	if (f == NULL)
		return false;
	m = memmem(f, flen, needle, nlen) != NULL;
	if (f != stackbuf)
		free(f);
	return m;
}

static enum intake_err
render_item(struct intake_buf *b, enum intake_format fmt, const char *value, const char *label,
    const char *selected, bool first)
{
	enum intake_err	err = INTAKE_OK;

	if (fmt == INTAKE_FORMAT_HTML) {
		err = intake_buf_adds(b, "<option value=\"");
		if (err == INTAKE_OK)
			err = intake_html_escape(b, value);
		if (err == INTAKE_OK)
			err = intake_buf_adds(b, selected != NULL && strcmp(selected, value) == 0 ?
			    "\" selected>" : "\">");
		if (err == INTAKE_OK)
			err = intake_html_escape(b, label);
		if (err == INTAKE_OK)
			err = intake_buf_adds(b, "</option>\n");
		return err;
	}
	if (!first)
		err = intake_buf_addc(b, ',');
	if (err == INTAKE_OK)
		err = intake_buf_adds(b, fmt == INTAKE_FORMAT_SELECT2 ? "{\"id\":" : "{\"value\":");
	if (err == INTAKE_OK)
		err = intake_json_quote(b, value, strlen(value));
	if (err == INTAKE_OK)
		err = intake_buf_adds(b, fmt == INTAKE_FORMAT_SELECT2 ? ",\"text\":" : ",\"label\":");
	if (err == INTAKE_OK)
		err = intake_json_quote(b, label, strlen(label));
	if (err == INTAKE_OK)
		err = intake_buf_addc(b, '}');
	return err;
}

/* Render the page of rows whose labels match the search. */
static enum intake_err
render(const struct intake_source *src, const struct intake_report_view *v,
    const struct intake_listing *l, struct intake_buf *b)
{
	const struct intake_table	*t = v->table;
	const char			*value, *label;
	enum intake_err			 err = INTAKE_OK;
	uint8_t				 stackbuf[FOLD_STACK], *needle = NULL;
	size_t				 r, matched = 0, shown = 0, nlen = 0;
	long long			 first = (l->page - 1) * l->per_page;
	bool				 more;

	if (l->search[0] != '\0') {
		/* The parameter was checked to be UTF-8, so folding succeeds. */
		needle = fold(l->search, stackbuf, sizeof(stackbuf), &nlen);
		if (needle == NULL)
			return INTAKE_ENOMEM;
	}
	if (l->format == INTAKE_FORMAT_JSON) {
		err = intake_buf_adds(b, "{\"source\":");
		if (err == INTAKE_OK)
			err = intake_json_quote(b, src->name, strlen(src->name));
		if (err == INTAKE_OK)
			err = intake_buf_adds(b, ",\"items\":[");
	} else if (l->format == INTAKE_FORMAT_SELECT2)
		err = intake_buf_adds(b, "{\"results\":[");
	for (r = 0; err == INTAKE_OK && r < t->nrows; r++) {
		value = intake_table_cell(t, r, (size_t)v->value_col);
		label = intake_table_cell(t, r, (size_t)v->label_col);
		if (nlen > 0 && !label_matches(label, needle, nlen))
			continue;
		if ((long long)matched++ < first || (long long)shown >= l->per_page)
			continue;
		err = render_item(b, l->format, value, label, l->selected, shown == 0);
		shown++;
	}
	more = (long long)matched > first + (long long)shown;
	if (err == INTAKE_OK && l->format == INTAKE_FORMAT_JSON)
		err = intake_buf_printf(b, "],\"page\":%lld,\"per_page\":%lld,\"total\":%zu,"
		    "\"more\":%s}\n", l->page, l->per_page, matched, more ? "true" : "false");
	else if (err == INTAKE_OK && l->format == INTAKE_FORMAT_SELECT2)
		err = intake_buf_printf(b, "],\"pagination\":{\"more\":%s}}\n",
		    more ? "true" : "false");
	if (needle != NULL && needle != stackbuf)
		free(needle);
	return err;
}

static const struct intake_listing_kind choices = {
	.prefix = "/api/choices/",
	.source_kind = INTAKE_SOURCE_CHOICES,
	.unknown_code = "unknown_source",
	.unknown_message = "No such drop-down source.",
	.formats = (1u << INTAKE_FORMAT_JSON) | (1u << INTAKE_FORMAT_SELECT2) |
	    (1u << INTAKE_FORMAT_HTML),
	.params = (1u << INTAKE_PARAM__MAX) - 1,
	.render = render,
};

void
intake_handle_choices(struct intake_req *req)
{
	intake_listing_serve(req, &choices);
}
