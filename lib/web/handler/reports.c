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
	const char	*p = src->columns, *item;
	size_t		 len, n = 0, i;
	long		 c;

	if (src->columns[0] == '\0') {
		for (i = 0; i < t->ncols && i < INTAKE_TABLE_COLS_MAX; i++)
			cols[i] = i;
		*ncols = i;
		return 0;
	}
	while (n < INTAKE_TABLE_COLS_MAX && (item = intake_list_next(&p, &len)) != NULL) {
		if (len >= sizeof(name))
			return -1;
		memcpy(name, item, len);
		name[len] = '\0';
		c = intake_table_column(t, name);
		if (c < 0) {
			intake_log_err("report %s: the report has no column '%s'", src->name, name);
			return -1;
		}
		cols[n++] = (size_t)c;
	}
	*ncols = n;
	return 0;
}

/* The rows shown: a page of them, in the shown columns. */
struct page {
	const struct intake_table	*t;
	const size_t			*cols;
	size_t				 ncols;
	size_t				 first, count;	/* rows */
};

static void
render_html(const struct intake_source *src, const struct page *p, struct intake_buf *b)
{
	size_t	r, c;

	intake_buf_adds(b, "<table class=\"intake-report\">\n<caption>");
	intake_html_escape(b, src->title[0] != '\0' ? src->title : src->name);
	intake_buf_adds(b, "</caption>\n<thead><tr>");
	for (c = 0; c < p->ncols; c++) {
		intake_buf_adds(b, "<th scope=\"col\">");
		intake_html_escape(b, intake_table_header(p->t, p->cols[c]));
		intake_buf_adds(b, "</th>");
	}
	intake_buf_adds(b, "</tr></thead>\n<tbody>\n");
	for (r = p->first; intake_buf_err(b) == INTAKE_OK && r < p->first + p->count; r++) {
		intake_buf_adds(b, "<tr>");
		for (c = 0; c < p->ncols; c++) {
			intake_buf_adds(b, "<td>");
			intake_html_escape(b, intake_table_cell(p->t, r, p->cols[c]));
			intake_buf_adds(b, "</td>");
		}
		intake_buf_adds(b, "</tr>\n");
	}
	intake_buf_adds(b, "</tbody>\n</table>\n");
}

/* Append s as a JSON string, after a comma unless first. */
static void
json_item(struct intake_buf *b, const char *s, bool first)
{
	if (!first)
		intake_buf_addc(b, ',');
	intake_json_quote(b, s, strlen(s));
}

static void
render_json(const struct intake_source *src, const struct page *p,
    const struct intake_listing *l, struct intake_buf *b)
{
	const char	*title = src->title[0] != '\0' ? src->title : src->name;
	size_t		 r, c;

	intake_buf_adds(b, "{\"report\":");
	intake_json_quote(b, src->name, strlen(src->name));
	intake_buf_adds(b, ",\"title\":");
	intake_json_quote(b, title, strlen(title));
	intake_buf_adds(b, ",\"columns\":[");
	for (c = 0; c < p->ncols; c++)
		json_item(b, intake_table_header(p->t, p->cols[c]), c == 0);
	intake_buf_adds(b, "],\"rows\":[");
	for (r = p->first; intake_buf_err(b) == INTAKE_OK && r < p->first + p->count; r++) {
		intake_buf_adds(b, r > p->first ? ",[" : "[");
		for (c = 0; c < p->ncols; c++)
			json_item(b, intake_table_cell(p->t, r, p->cols[c]), c == 0);
		intake_buf_addc(b, ']');
	}
	intake_buf_printf(b, "],\"page\":%lld,\"per_page\":%lld,\"total\":%zu,"
	    "\"more\":%s}\n", l->page, l->per_page, p->t->nrows,
	    p->first + p->count < p->t->nrows ? "true" : "false");
}

static void
render_csv(const struct page *p, struct intake_buf *b)
{
	size_t	r, c;

	for (c = 0; c < p->ncols; c++) {
		if (c > 0)
			intake_buf_addc(b, ',');
		intake_csv_field(b, intake_table_header(p->t, p->cols[c]));
	}
	intake_buf_adds(b, "\r\n");
	for (r = p->first; intake_buf_err(b) == INTAKE_OK && r < p->first + p->count; r++) {
		for (c = 0; c < p->ncols; c++) {
			if (c > 0)
				intake_buf_addc(b, ',');
			intake_csv_field(b, intake_table_cell(p->t, r, p->cols[c]));
		}
		intake_buf_adds(b, "\r\n");
	}
}

/* Render the page of rows in the asked format. */
static enum intake_err
render(const struct intake_source *src, const struct intake_report_view *v,
    const struct intake_listing *l, struct intake_buf *b)
{
	const struct intake_table	*t = v->table;
	size_t				 cols[INTAKE_TABLE_COLS_MAX];
	struct page			 p = { .t = t, .cols = cols };

	if (shown_columns(src, t, cols, &p.ncols) != 0)
		return INTAKE_EPROTO;
	p.first = (size_t)((l->page - 1) * l->per_page);
	if (p.first > t->nrows)
		p.first = t->nrows;
	p.count = t->nrows - p.first < (size_t)l->per_page ? t->nrows - p.first :
	    (size_t)l->per_page;
	switch (l->format) {
	case INTAKE_FORMAT_HTML:
		render_html(src, &p, b);
		return intake_buf_err(b);
	case INTAKE_FORMAT_CSV:
		render_csv(&p, b);
		return intake_buf_err(b);
	case INTAKE_FORMAT_JSON:
		render_json(src, &p, l, b);
		return intake_buf_err(b);
	case INTAKE_FORMAT_SELECT2:	/* not in reports.formats */
	case INTAKE_FORMAT__MAX:
		break;
	}
	return INTAKE_EINVAL;
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
