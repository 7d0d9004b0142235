/*
 * choices.c - GET /api/choices/{source}: a source's value/label list,
 * searched and paged, as JSON, Select2 JSON or <option> HTML.
 */
#include <stdlib.h>
#include <string.h>


#include "web/handler/handler.h"
#include "core/log.h"
#include "util/fold.h"
#include "util/str.h"
#include "util/nelem.h"

#define FOLD_STACK	512

/* Does label contain the folded needle?  Case and accents are folded alike (util/fold.h). */
static bool
label_matches(const char *label, const uint8_t *needle, size_t nlen)
{
	uint8_t	 stackbuf[FOLD_STACK], *f;
	size_t	 flen;
	bool	 m;

	if (intake_fold(label, strlen(label), stackbuf, sizeof(stackbuf), &f, &flen) != INTAKE_OK)
		return false;
	m = memmem(f, flen, needle, nlen) != NULL;
	intake_fold_free(f, stackbuf);
	return m;
}

/* The keys of an item's value and label in a JSON format. */
static const struct {
	const char	*value_key;
	const char	*label_key;
} item_keys[] = {
	{ "{\"value\":", ",\"label\":" },	/* INTAKE_FORMAT_JSON */
	{ "{\"id\":", ",\"text\":" },		/* INTAKE_FORMAT_SELECT2 */
	{ NULL, NULL },				/* INTAKE_FORMAT_HTML: <option> */
	{ NULL, NULL },				/* INTAKE_FORMAT_CSV: not offered */
};
INTAKE_ROWS(item_keys, INTAKE_FORMAT__MAX);

/* One item: an <option>, or a JSON object after a comma unless first. */
static void
render_item(struct intake_buf *b, enum intake_format fmt, const char *value, const char *label,
    const char *selected, bool first)
{
	if (fmt == INTAKE_FORMAT_HTML) {
		intake_buf_adds(b, "<option value=\"");
		intake_html_escape(b, value);
		intake_buf_adds(b, selected != NULL && strcmp(selected, value) == 0 ?
		    "\" selected>" : "\">");
		intake_html_escape(b, label);
		intake_buf_adds(b, "</option>\n");
		return;
	}
	if (!first)
		intake_buf_addc(b, ',');
	intake_buf_adds(b, item_keys[fmt].value_key);
	intake_json_quote(b, value, strlen(value));
	intake_buf_adds(b, item_keys[fmt].label_key);
	intake_json_quote(b, label, strlen(label));
	intake_buf_addc(b, '}');
}

/* What comes before the items. INTAKE_EINVAL for a format choices do not offer. */
static enum intake_err
render_head(struct intake_buf *b, const struct intake_source *src, enum intake_format fmt)
{
	switch (fmt) {
	case INTAKE_FORMAT_JSON:
		intake_buf_adds(b, "{\"source\":");
		intake_json_quote(b, src->name, strlen(src->name));
		intake_buf_adds(b, ",\"items\":[");
		return INTAKE_OK;
	case INTAKE_FORMAT_SELECT2:
		intake_buf_adds(b, "{\"results\":[");
		return INTAKE_OK;
	case INTAKE_FORMAT_HTML:
		return INTAKE_OK;
	case INTAKE_FORMAT_CSV:		/* not in choices.formats */
	case INTAKE_FORMAT__MAX:
		break;
	}
	return INTAKE_EINVAL;
}

/* What comes after the items: the paging of the JSON formats. */
static void
render_tail(struct intake_buf *b, const struct intake_listing *l, size_t matched, bool more)
{
	if (l->format == INTAKE_FORMAT_JSON)
		intake_buf_printf(b, "],\"page\":%lld,\"per_page\":%lld,\"total\":%zu,"
		    "\"more\":%s}\n", l->page, l->per_page, matched, more ? "true" : "false");
	else if (l->format == INTAKE_FORMAT_SELECT2)
		intake_buf_printf(b, "],\"pagination\":{\"more\":%s}}\n",
		    more ? "true" : "false");
}

/* Render the page of rows whose labels match the search. */
static enum intake_err
render(const struct intake_source *src, const struct intake_report_view *v,
    const struct intake_listing *l, struct intake_buf *b)
{
	const struct intake_table	*t = v->table;
	const char			*value, *label;
	enum intake_err			 err;
	uint8_t				 stackbuf[FOLD_STACK], *needle = NULL;
	size_t				 r, matched = 0, shown = 0, nlen = 0;
	long long			 first = (l->page - 1) * l->per_page;

	err = render_head(b, src, l->format);
	if (err != INTAKE_OK)
		return err;
	if (l->search[0] != '\0') {
		/* The parameter was checked to be UTF-8, so folding fails only for memory. */
		err = intake_fold(l->search, strlen(l->search), stackbuf, sizeof(stackbuf), &needle,
		    &nlen);
		if (err != INTAKE_OK)
			return err;
	}
	for (r = 0; intake_buf_err(b) == INTAKE_OK && r < t->nrows; r++) {
		value = intake_table_cell(t, r, (size_t)v->value_col);
		label = intake_table_cell(t, r, (size_t)v->label_col);
		if (nlen > 0 && !label_matches(label, needle, nlen))
			continue;
		if ((long long)matched++ < first || (long long)shown >= l->per_page)
			continue;
		render_item(b, l->format, value, label, l->selected, shown == 0);
		shown++;
	}
	render_tail(b, l, matched, (long long)matched > first + (long long)shown);
	if (needle != NULL)
		intake_fold_free(needle, stackbuf);
	return intake_buf_err(b);
}

static const struct intake_listing_kind choices = {
	.prefix = "/api/choices/",
	.source_kind = INTAKE_SOURCE_CHOICES,
	.unknown_code = "unknown_source",
	.unknown_message = "No such drop-down source.",
	.formats = (1u << INTAKE_FORMAT_JSON) | (1u << INTAKE_FORMAT_SELECT2) |
	    (1u << INTAKE_FORMAT_HTML),
	.params = (1u << INTAKE_PARAM__MAX) - 1,
	.publish = true,
	.render = render,
};

void
intake_handle_choices(struct intake_req *req)
{
	intake_listing_serve(req, &choices);
}
