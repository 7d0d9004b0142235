/*
 * reports.c - GET /api/reports/{name}: a configured report's rows as an
 * HTML table, JSON or CSV, paged.
 */
#include <string.h>

#include "web/handler/handler.h"
#include "integrify/csv.h"
#include "core/log.h"
#include "util/str.h"


/* The shown columns: the source's list, or all. -1 when one is missing. */
static int
shown_columns(const struct intake_source *src, const struct intake_table *t, size_t *cols,
    size_t *ncols)
{
	char		 name[INTAKE_NAME_MAX];
	const char	*p = src->columns, *end;
	size_t		 len, n = 0, i;
	long		 c;

	if (src->columns[0] == '\0') {
		for (i = 0; i < t->ncols && i < INTAKE_TABLE_COLS_MAX; i++)
			cols[i] = i;
		*ncols = i;
		return 0;
	}
	while (*p != '\0' && n < INTAKE_TABLE_COLS_MAX) {
		while (*p == ' ' || *p == ',')
			p++;
		end = p + strcspn(p, ",");
		len = (size_t)(end - p);
		while (len > 0 && p[len - 1] == ' ')
			len--;
		if (len > 0) {
			if (len >= sizeof(name))
				return -1;
			memcpy(name, p, len);
			name[len] = '\0';
			c = intake_table_column(t, name);
			if (c < 0) {
				intake_log_err("report %s: the report has no column '%s'", src->name,
				    name);
				return -1;
			}
			cols[n++] = (size_t)c;
		}
		p = end;
	}
	*ncols = n;
	return 0;
}

static enum intake_err
render_html(const struct intake_source *src, const struct intake_table *t, const size_t *cols,
    size_t ncols, size_t first, size_t count, struct intake_buf *b)
{
	enum intake_err	err;
	size_t		r, c;

	err = intake_buf_adds(b, "<table class=\"intake-report\">\n<caption>");
	if (err == INTAKE_OK)
		err = intake_html_escape(b, src->title[0] != '\0' ? src->title : src->name);
	if (err == INTAKE_OK)
		err = intake_buf_adds(b, "</caption>\n<thead><tr>");
	for (c = 0; err == INTAKE_OK && c < ncols; c++) {
		err = intake_buf_adds(b, "<th scope=\"col\">");
		if (err == INTAKE_OK)
			err = intake_html_escape(b, intake_table_header(t, cols[c]));
		if (err == INTAKE_OK)
			err = intake_buf_adds(b, "</th>");
	}
	if (err == INTAKE_OK)
		err = intake_buf_adds(b, "</tr></thead>\n<tbody>\n");
	for (r = first; err == INTAKE_OK && r < first + count; r++) {
		err = intake_buf_adds(b, "<tr>");
		for (c = 0; err == INTAKE_OK && c < ncols; c++) {
			err = intake_buf_adds(b, "<td>");
			if (err == INTAKE_OK)
				err = intake_html_escape(b, intake_table_cell(t, r, cols[c]));
			if (err == INTAKE_OK)
				err = intake_buf_adds(b, "</td>");
		}
		if (err == INTAKE_OK)
			err = intake_buf_adds(b, "</tr>\n");
	}
	if (err == INTAKE_OK)
		err = intake_buf_adds(b, "</tbody>\n</table>\n");
	return err;
}

static enum intake_err
render_json(const struct intake_source *src, const struct intake_table *t, const size_t *cols,
    size_t ncols, const struct intake_listing *l, size_t first, size_t count,
    struct intake_buf *b)
{
	const char	*s;
	enum intake_err	 err;
	size_t		 r, c;

	err = intake_buf_adds(b, "{\"report\":");
	if (err == INTAKE_OK)
		err = intake_json_quote(b, src->name, strlen(src->name));
	s = src->title[0] != '\0' ? src->title : src->name;
	if (err == INTAKE_OK)
		err = intake_buf_adds(b, ",\"title\":");
	if (err == INTAKE_OK)
		err = intake_json_quote(b, s, strlen(s));
	if (err == INTAKE_OK)
		err = intake_buf_adds(b, ",\"columns\":[");
	for (c = 0; err == INTAKE_OK && c < ncols; c++) {
		s = intake_table_header(t, cols[c]);
		if (c > 0)
			err = intake_buf_addc(b, ',');
		if (err == INTAKE_OK)
			err = intake_json_quote(b, s, strlen(s));
	}
	if (err == INTAKE_OK)
		err = intake_buf_adds(b, "],\"rows\":[");
	for (r = first; err == INTAKE_OK && r < first + count; r++) {
		err = intake_buf_adds(b, r > first ? ",[" : "[");
		for (c = 0; err == INTAKE_OK && c < ncols; c++) {
			s = intake_table_cell(t, r, cols[c]);
			if (c > 0)
				err = intake_buf_addc(b, ',');
			if (err == INTAKE_OK)
				err = intake_json_quote(b, s, strlen(s));
		}
		if (err == INTAKE_OK)
			err = intake_buf_addc(b, ']');
	}
	if (err == INTAKE_OK)
		err = intake_buf_printf(b, "],\"page\":%lld,\"per_page\":%lld,\"total\":%zu,"
		    "\"more\":%s}\n", l->page, l->per_page, t->nrows,
		    first + count < t->nrows ? "true" : "false");
	return err;
}

static enum intake_err
render_csv(const struct intake_table *t, const size_t *cols, size_t ncols, size_t first,
    size_t count, struct intake_buf *b)
{
	enum intake_err	err = INTAKE_OK;
	size_t		r, c;

	for (c = 0; err == INTAKE_OK && c < ncols; c++) {
		if (c > 0)
			err = intake_buf_addc(b, ',');
		if (err == INTAKE_OK)
			err = intake_csv_field(b, intake_table_header(t, cols[c]));
	}
	if (err == INTAKE_OK)
		err = intake_buf_adds(b, "\r\n");
	for (r = first; err == INTAKE_OK && r < first + count; r++) {
		for (c = 0; err == INTAKE_OK && c < ncols; c++) {
			if (c > 0)
				err = intake_buf_addc(b, ',');
			if (err == INTAKE_OK)
				err = intake_csv_field(b, intake_table_cell(t, r, cols[c]));
		}
		if (err == INTAKE_OK)
			err = intake_buf_adds(b, "\r\n");
	}
	return err;
}

/* Render the page of rows in the asked format. */
static enum intake_err
render(const struct intake_source *src, const struct intake_report_view *v,
    const struct intake_listing *l, struct intake_buf *b)
{
	const struct intake_table	*t = v->table;
	size_t				 cols[INTAKE_TABLE_COLS_MAX], ncols, first, count;

	if (shown_columns(src, t, cols, &ncols) != 0)
		return INTAKE_EPROTO;
	first = (size_t)((l->page - 1) * l->per_page);
	if (first > t->nrows)
		first = t->nrows;
	count = t->nrows - first < (size_t)l->per_page ? t->nrows - first : (size_t)l->per_page;
	if (l->format == INTAKE_FORMAT_HTML)
		return render_html(src, t, cols, ncols, first, count, b);
	if (l->format == INTAKE_FORMAT_CSV)
		return render_csv(t, cols, ncols, first, count, b);
	return render_json(src, t, cols, ncols, l, first, count, b);
}

static const struct intake_listing_kind reports = {
	.prefix = "/api/reports/",
	.source_kind = INTAKE_SOURCE_REPORT,
	.unknown_code = "unknown_report",
	.unknown_message = "No such report.",
	.formats = (1u << INTAKE_FORMAT_JSON) | (1u << INTAKE_FORMAT_HTML) |
	    (1u << INTAKE_FORMAT_CSV),
	.params = (1u << INTAKE_PARAM_PAGE) | (1u << INTAKE_PARAM_PER_PAGE) |
	    (1u << INTAKE_PARAM_FORMAT),
	.render = render,
};

void
intake_handle_reports(struct intake_req *req)
{
	intake_listing_serve(req, &reports);
}
