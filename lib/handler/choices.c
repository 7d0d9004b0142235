/*
 * choices.c - GET /api/choices/{source}: a source's value/label list,
 * searched and paged, as JSON, Select2 JSON or <option> HTML.
 */
#include <stdlib.h>
#include <string.h>

#include <unicase.h>
#include <unistr.h>
#include <uninorm.h>

#include "internal.h"
#include "intake/log.h"
#include "intake/str.h"

#define CHOICES_PREFIX	"/api/choices/"
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

/* Render the page of matching rows. */
static enum intake_err
render(const struct intake_source *src, const struct intake_report_view *v,
    const struct intake_listing *l, const uint8_t *needle, size_t nlen, struct intake_buf *b)
{
	const struct intake_table	*t = v->table;
	const char			*value, *label;
	enum intake_err			 err = INTAKE_OK;
	size_t				 r, matched = 0, shown = 0;
	long long			 first = (l->page - 1) * l->per_page;
	bool				 more;

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
	return err;
}

void
intake_handle_choices(struct intake_req *req)
{
	const struct intake_source	*src;
	struct intake_report_view	 view;
	struct intake_listing		 l;
	struct intake_buf		 body, variant;
	const struct intake_buf		*memo;
	const char			*name = req->path + strlen(CHOICES_PREFIX), *etag;
	char				 etagbuf[INTAKE_ETAG_MAX];
	uint8_t				 stackbuf[FOLD_STACK], *needle = NULL;
	size_t				 nlen = 0;
	enum intake_err			 err;

	src = intake_config_source(req->ctx->cfg, INTAKE_SOURCE_CHOICES, name, strlen(name));
	if (src == NULL) {
		(void)intake_resp_error(req, 404, "unknown_source", "No such drop-down source.");
		return;
	}
	if (strcmp(req->method, "OPTIONS") == 0) {
		intake_listing_preflight(req);
		return;
	}
	if (intake_listing_parse(req, src, (1u << INTAKE_FORMAT_JSON) |
	    (1u << INTAKE_FORMAT_SELECT2) | (1u << INTAKE_FORMAT_HTML),
	    (1u << INTAKE_PARAM__MAX) - 1, &l) != 0)
		return;
	intake_buf_init(&body, (size_t)req->ctx->cfg->response_max);
	intake_buf_init(&variant, 2048);
	if (l.search[0] != '\0') {
		needle = fold(l.search, stackbuf, sizeof(stackbuf), &nlen);
		if (needle == NULL) {
			(void)intake_resp_error(req, 500, "internal", "intake failed to handle the request.");
			goto out;
		}
	}
	err = intake_report_get(req->ctx, src, l.filters, l.nfilters, &view);
	if (err != INTAKE_OK) {
		(void)intake_resp_upstream_error(req, err);
		goto out;
	}
	err = intake_buf_printf(&variant, "c|%s|%lld|%lld|%zu:%s|%s", intake_format_name(l.format),
	    l.page, l.per_page, l.selected != NULL ? strlen(l.selected) : 0,
	    l.selected != NULL ? l.selected : "", l.search);
	if (err != INTAKE_OK) {
		(void)intake_resp_upstream_error(req, err);
		goto out;
	}
	memo = intake_report_memo_get(&view, variant.ptr, &etag);
	if (memo == NULL) {
		err = render(src, &view, &l, needle, nlen, &body);
		if (err != INTAKE_OK) {
			(void)intake_resp_upstream_error(req, err);
			goto out;
		}
		intake_listing_etag(&view, variant.ptr, etagbuf);
		intake_report_memo_put(&view, variant.ptr, &body, etagbuf);
		memo = intake_report_memo_get(&view, variant.ptr, &etag);
	}
	intake_listing_send(req, src, &view, l.format == INTAKE_FORMAT_HTML ?
	    "text/html; charset=utf-8" : "application/json; charset=utf-8", memo, etag);
out:
	if (needle != NULL && needle != stackbuf)
		free(needle);
	intake_buf_free(&body);
	intake_buf_free(&variant);
}
