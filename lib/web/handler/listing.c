/*
 * listing.c - what /api/choices and /api/reports share: the parameter
 * allow-list, the filter value checks (check.NAME, before any fetch),
 * CORS, and conditional, cacheable answers, rendered once per list
 * version and variant (memo.h).
 */
#include <stdio.h>
#include <string.h>

#include <unistr.h>

#include "cache/publish.h"
#include "web/handler/handler.h"
#include "web/handler/memo.h"
#include "core/log.h"
#include "web/query.h"
#include "util/str.h"
#include "util/nelem.h"

/* The parameters listings take, besides the source's filter.NAMEs; rows
 * are the INTAKE_PARAM_* bits. */
static const char *const common_params[] = {
	"q",		/* INTAKE_PARAM_Q */
	"term",		/* INTAKE_PARAM_TERM */
	"page",		/* INTAKE_PARAM_PAGE */
	"per_page",	/* INTAKE_PARAM_PER_PAGE */
	"format",	/* INTAKE_PARAM_FORMAT */
	"selected",	/* INTAKE_PARAM_SELECTED */
	"_type",	/* INTAKE_PARAM_TYPE */
};
INTAKE_ROWS(common_params, INTAKE_PARAM__MAX);

static const char *const format_names[] = {
	"json",		/* INTAKE_FORMAT_JSON */
	"select2",	/* INTAKE_FORMAT_SELECT2 */
	"html",		/* INTAKE_FORMAT_HTML */
	"csv",		/* INTAKE_FORMAT_CSV */
};
INTAKE_ROWS(format_names, INTAKE_FORMAT__MAX);

const char *
intake_format_name(enum intake_format f)
{
	return (unsigned)f < INTAKE_FORMAT__MAX ? format_names[f] : "?";
}

static int
listing_bad(struct intake_listing_problem *why, const char *code, const char *message)
{
	why->code = code;
	(void)intake_strlcpy(why->message, message, sizeof(why->message));
	return -1;
}

/* Is every name a common parameter of params or one of src's filters? */
static int
names_allowed(const struct intake_query *q, const struct intake_source *src, unsigned params,
    struct intake_listing_problem *why)
{
	const char	*name;
	size_t		 i, j;

	for (i = 0; i < q->npairs; i++) {
		name = q->pairs[i].name;
		for (j = 0; j < INTAKE_PARAM__MAX; j++)
			if ((params & (1u << j)) && strcmp(name, common_params[j]) == 0)
				break;
		if (j < INTAKE_PARAM__MAX)
			continue;
		for (j = 0; j < src->nfilters; j++)
			if (strcmp(name, src->filters[j].param) == 0)
				break;
		if (j < src->nfilters)
			continue;
		/* Cut on a character boundary; the JSON writer replaces invalid bytes. */
		why->code = "unknown_parameter";
		(void)snprintf(why->message, sizeof(why->message), "Unknown parameter '%.*s'.",
		    (int)intake_utf8_cut(name, strlen(name), 40), name);
		return -1;
	}
	return 0;
}

/* Is every value short UTF-8 text without NUL? */
static int
values_text(const struct intake_query *q, struct intake_listing_problem *why)
{
	size_t	i;

	for (i = 0; i < q->npairs; i++) {
		if (strlen(q->pairs[i].value) != q->pairs[i].valuelen ||
		    q->pairs[i].valuelen > INTAKE_LISTING_VALUE_MAX)
			return listing_bad(why, "bad_parameter",
			    "A parameter is too long or holds a NUL byte.");
		if (u8_check((const uint8_t *)q->pairs[i].value, q->pairs[i].valuelen) != NULL)
			return listing_bad(why, "bad_parameter", "A parameter is not valid UTF-8.");
	}
	return 0;
}

/* The search (q, else term), page, per_page and selected into out. */
static int
read_paging(const struct intake_query *q, struct intake_listing *out,
    struct intake_listing_problem *why)
{
	const char	*v;
	long long	 n;

	if (intake_query_get(q, "q", &v) != INTAKE_OK)
		return listing_bad(why, "bad_parameter", "'q' is given twice.");
	if (v == NULL && intake_query_get(q, "term", &v) != INTAKE_OK)
		return listing_bad(why, "bad_parameter", "'term' is given twice.");
	if (v != NULL)
		out->search = v;
	if (intake_query_get(q, "page", &v) != INTAKE_OK ||
	    (v != NULL && intake_parse_int(v, 1, 100000, &n) != INTAKE_OK))
		return listing_bad(why, "bad_parameter", "'page' must be a whole number from 1.");
	if (v != NULL)
		out->page = n;
	if (intake_query_get(q, "per_page", &v) != INTAKE_OK ||
	    (v != NULL && intake_parse_int(v, 1, 1000, &n) != INTAKE_OK))
		return listing_bad(why, "bad_parameter", "'per_page' must be from 1 to 1000.");
	if (v != NULL)
		out->per_page = n;
	if (intake_query_get(q, "selected", &v) != INTAKE_OK)
		return listing_bad(why, "bad_parameter", "'selected' is given twice.");
	out->selected = v;
	return 0;
}

/* The format named (one of formats); unnamed: HTML when accept asks and it is offered, else JSON. */
static int
read_format(const struct intake_query *q, const char *accept, unsigned formats,
    struct intake_listing *out, struct intake_listing_problem *why)
{
	const char	*v;
	size_t		 i;

	if (intake_query_get(q, "format", &v) != INTAKE_OK)
		return listing_bad(why, "bad_parameter", "'format' is given twice.");
	if (v == NULL) {
		out->format = accept != NULL && strstr(accept, "text/html") != NULL &&
		    (formats & (1u << INTAKE_FORMAT_HTML)) ? INTAKE_FORMAT_HTML : INTAKE_FORMAT_JSON;
		return 0;
	}
	for (i = 0; i < INTAKE_FORMAT__MAX; i++)
		if ((formats & (1u << i)) && strcmp(v, format_names[i]) == 0) {
			out->format = (enum intake_format)i;
			return 0;
		}
	return listing_bad(why, "bad_parameter", "Unknown 'format'.");
}

int
intake_listing_parse(const char *query, const char *accept, struct intake_arena *arena,
    const struct intake_source *src, unsigned formats, unsigned params,
    struct intake_listing *out, struct intake_listing_problem *why)
{
	struct intake_query	 q;
	const char		*v;
	size_t			 i;

	memset(out, 0, sizeof(*out));
	out->page = 1;
	out->per_page = src->page_size;
	out->search = "";
	out->selected = NULL;
	if (intake_query_parse(query, strlen(query), arena, &q) != INTAKE_OK)
		return listing_bad(why, "bad_parameter", "The query string is malformed.");
	if (names_allowed(&q, src, params, why) != 0 || values_text(&q, why) != 0 ||
	    read_paging(&q, out, why) != 0 || read_format(&q, accept, formats, out, why) != 0)
		return -1;
	for (i = 0; i < src->nfilters; i++) {
		out->filters[i].param = &src->filters[i];
		if (intake_query_get(&q, src->filters[i].param, &v) != INTAKE_OK)
			return listing_bad(why, "bad_parameter", "A filter is given twice.");
		out->filters[i].value = v;
	}
	out->nfilters = src->nfilters;
	return 0;
}

/* intake_listing_parse() for req; on failure a 400 has been sent and -1 is returned. */
static int
listing_parse(struct intake_req *req, const struct intake_source *src,
    unsigned formats, unsigned params, struct intake_listing *out)
{
	struct intake_listing_problem	why;

	if (intake_listing_parse(req->query, intake_req_param(req, "HTTP_ACCEPT"), &req->arena,
	    src, formats, params, out, &why) == 0)
		return 0;
	(void)intake_resp_error(req, 400, why.code, why.message);
	return -1;
}

const char *
intake_cors_header(struct intake_req *req)
{
	const char	*origin = intake_req_param(req, "HTTP_ORIGIN");
	const char	 prefix[] = "Access-Control-Allow-Origin: ";
	char		*h;
	size_t		 n;

	if (origin == NULL || !intake_config_origin_allowed(req->ctx->cfg, origin))
		return NULL;
	/* Allowed origins come from the config, so they hold no CR or LF. */
	n = sizeof(prefix) - 1 + strlen(origin) + 3;
	h = intake_arena_alloc(&req->arena, n);
	if (h == NULL)
		return NULL;
	(void)snprintf(h, n, "%s%s\r\n", prefix, origin);
	return h;
}

void
intake_listing_preflight(struct intake_req *req)
{
	if (req->cors == NULL) {
		(void)intake_resp_error(req, 403, "origin_not_allowed",
		    "This origin may not call intake from a browser.");
		return;
	}
	(void)intake_resp_send(req, 204, NULL, "Access-Control-Allow-Methods: GET, HEAD\r\n"
	    "Access-Control-Allow-Headers: Accept\r\nAccess-Control-Max-Age: 600\r\n"
	    "Vary: Origin\r\n", NULL, 0);
}

/* Does If-None-Match list etag (or "*")? */
static bool
etag_matches(const char *inm, const char *etag)
{
	size_t	n = strlen(etag);
	const char *p;

	if (inm == NULL)
		return false;
	for (p = inm; *p != '\0'; p++) {
		while (*p == ' ' || *p == ',')
			p++;
		if (*p == '*')
			return true;
		if (strncmp(p, "W/", 2) == 0)
			p += 2;
		if (strncmp(p, etag, n) == 0 && (p[n] == '\0' || p[n] == ',' || p[n] == ' '))
			return true;
		p += strcspn(p, ",");
		if (*p == '\0')
			break;
	}
	return false;
}

/*
 * Send body (or 304) with the list's validators and freshness: left
 * seconds of max-age (0 once stale).
 */
static void
listing_send(struct intake_req *req, const struct intake_source *src,
    const struct intake_report_view *view, const char *ctype, const struct intake_buf *body,
    const char *etag, int64_t left)
{
	struct intake_buf	h;

	if (left < 0 || view->state == INTAKE_REPORT_STALE_ERROR)
		left = 0;
	intake_buf_init(&h, 4096);
	/* Appends, not printf: this runs for every cached answer. */
	intake_buf_adds(&h, "ETag: ");
	intake_buf_adds(&h, etag);
	intake_buf_adds(&h, "\r\nCache-Control: public, max-age=");
	intake_buf_addu(&h, (unsigned long long)left);
	intake_buf_adds(&h, ", stale-while-revalidate=");
	intake_buf_addu(&h, (unsigned long long)src->ttl);
	intake_buf_adds(&h, ", stale-if-error=");
	intake_buf_addu(&h, (unsigned long long)src->stale_ttl);
	intake_buf_adds(&h, "\r\nVary: Accept, Origin\r\nX-Intake-Cache: ");
	intake_buf_adds(&h, intake_report_state_name(view->state));
	intake_buf_adds(&h, "\r\n");
	if (intake_buf_err(&h) != INTAKE_OK) {
		intake_buf_free(&h);
		intake_req_cause(req, "the listing's headers did not fit");
		(void)intake_resp_error(req, 500, "internal", "intake failed to handle the request.");
		return;
	}
	if (etag_matches(intake_req_param(req, "HTTP_IF_NONE_MATCH"), etag))
		(void)intake_resp_send(req, 304, NULL, h.ptr, NULL, 0);
	else
		(void)intake_resp_send(req, 200, ctype, h.ptr, body->ptr, body->len);
	intake_buf_free(&h);
}

_Static_assert(INTAKE_ETAG_MAX <= INTAKE_MEMO_ETAG_MAX, "the memo keeps a whole ETag");

static void
listing_etag(const struct intake_report_view *view, const char *variant,
    char out[INTAKE_ETAG_MAX])
{
	struct intake_buf	b;
	char			hex[65];

	intake_buf_init(&b, 8192);
	(void)intake_buf_printf(&b, "%s|%s", view->version, variant);
	intake_sha256_hex(intake_buf_str(&b), b.len, hex);
	(void)snprintf(out, INTAKE_ETAG_MAX, "\"%.20s\"", hex);
	intake_buf_free(&b);
}

/* The variant of a list's answer: "prefix|format|page|per_page|len:selected|search". */
static enum intake_err
variant_key(struct intake_buf *v, const struct intake_listing_kind *kind,
    const struct intake_listing *l)
{
	const char	*sel = l->selected != NULL ? l->selected : "";

	intake_buf_adds(v, kind->prefix);
	intake_buf_addc(v, '|');
	intake_buf_adds(v, intake_format_name(l->format));
	intake_buf_addc(v, '|');
	intake_buf_addu(v, (unsigned long long)l->page);
	intake_buf_addc(v, '|');
	intake_buf_addu(v, (unsigned long long)l->per_page);
	intake_buf_addc(v, '|');
	/* A length prefix keeps "selected" and "search" from running together. */
	intake_buf_addu(v, strlen(sel));
	intake_buf_addc(v, ':');
	intake_buf_adds(v, sel);
	intake_buf_addc(v, '|');
	intake_buf_adds(v, l->search);
	return intake_buf_err(v);
}

/*
 * Check every filter value against what its check.NAME allows, before
 * anything keyed by it is fetched.  0, or -1 with the answer sent: 400
 * bad_parameter for a value never offered, or the error of the list a
 * source: check reads.
 */
static int
filters_check(struct intake_req *req, const struct intake_listing *l)
{
	const struct intake_config	*cfg = req->ctx->cfg;
	const struct intake_filter_param *f;
	const char			*v;
	enum intake_err			 err;
	char				 msg[160];
	size_t				 i;
	bool				 ok;

	for (i = 0; i < l->nfilters; i++) {
		f = l->filters[i].param;
		v = l->filters[i].value;
		if (v == NULL || v[0] == '\0')
			continue;
		if (f->check == INTAKE_CHECK_SOURCE) {
			err = intake_report_offers(req->ctx, &cfg->sources[f->check_source], v, &ok);
			if (err != INTAKE_OK) {
				(void)intake_resp_upstream_error(req, err);
				return -1;
			}
		} else
			ok = intake_filter_value_ok(f, v);
		if (!ok) {
			(void)snprintf(msg, sizeof(msg), "'%s' is not a value this list takes.",
			    f->param);
			(void)intake_resp_error(req, 400, "bad_parameter", msg);
			return -1;
		}
	}
	return 0;
}

/* The answer when the minute's budget of filtered fetches is spent. */
static void
listing_busy(struct intake_req *req)
{
	int64_t	left = (req->ctx->lists_busy_until_ms - intake_now_ms() + 999) / 1000;
	char	hdr[48];

	(void)snprintf(hdr, sizeof(hdr), "Retry-After: %lld\r\n", (long long)(left > 0 ? left : 1));
	(void)intake_resp_error_headers(req, 503, hdr, "lists_busy",
	    "Too many different filtered lists were asked for. Please try again shortly.");
}

/* Does l name a filtered list (a filter value given), as the report cache counts them? */
static bool
filtered(const struct intake_listing *l)
{
	size_t	i;

	for (i = 0; i < l->nfilters; i++)
		if (l->filters[i].value != NULL && l->filters[i].value[0] != '\0')
			return true;
	return false;
}

static const char *const ctypes[] = {
	"application/json; charset=utf-8",	/* INTAKE_FORMAT_JSON */
	"application/json; charset=utf-8",	/* INTAKE_FORMAT_SELECT2 */
	"text/html; charset=utf-8",		/* INTAKE_FORMAT_HTML */
	"text/csv; charset=utf-8",		/* INTAKE_FORMAT_CSV */
};
INTAKE_ROWS(ctypes, INTAKE_FORMAT__MAX);

/*
 * Is l the answer a published file stands for (cache/publish.h): the
 * unfiltered list as JSON, first page of the default size, no search and
 * nothing selected?  Whatever the Origin and however the query spells it,
 * its bytes are those of the file.
 */
static bool
canonical(const struct intake_source *src, const struct intake_listing *l)
{
	return !filtered(l) && l->format == INTAKE_FORMAT_JSON && l->page == 1 &&
	    l->per_page == src->page_size && l->search[0] == '\0' && l->selected == NULL;
}

/*
 * Send the memoised answer.  An answer that can be published carries the
 * ETag and the whole-second max-age nginx derives from the file (so both
 * paths agree), and is published while fresh.
 */
static void
listing_answer(struct intake_req *req, const struct intake_listing_kind *kind,
    const struct intake_source *src, const struct intake_listing *l,
    const struct intake_report_view *view, const struct intake_buf *memo, const char *etag)
{
	char	pubtag[INTAKE_PUBLISH_ETAG_MAX];
	int64_t	now = intake_now_ms(), until_s = view->fresh_until_ms / 1000;

	if (!req->ctx->publish || !kind->publish || !canonical(src, l)) {
		listing_send(req, src, view, ctypes[l->format], memo, etag,
		    (view->fresh_until_ms - now) / 1000);
		return;
	}
	intake_publish_etag(until_s, memo->len, pubtag);
	listing_send(req, src, view, ctypes[l->format], memo, pubtag, until_s - now / 1000);
	if ((view->state == INTAKE_REPORT_HIT || view->state == INTAKE_REPORT_MISS) &&
	    until_s > now / 1000)
		(void)intake_publish_put(req->ctx->cfg->publish_dir, src->name, memo->ptr,
		    memo->len, until_s);
}

void
intake_listing_serve(struct intake_req *req, const struct intake_listing_kind *kind)
{
	const struct intake_source	*src;
	struct intake_report_view	 view;
	struct intake_listing		 l;
	struct intake_buf		 body, variant;
	const struct intake_buf		*memo;
	const char			*name = req->path + strlen(kind->prefix), *etag;
	char				 etagbuf[INTAKE_ETAG_MAX];
	enum intake_err			 err;

	src = intake_config_source(req->ctx->cfg, kind->source_kind, name, strlen(name));
	if (src == NULL) {
		(void)intake_resp_error(req, 404, kind->unknown_code, kind->unknown_message);
		return;
	}
	if (strcmp(req->method, "OPTIONS") == 0) {
		intake_listing_preflight(req);
		return;
	}
	if (listing_parse(req, src, kind->formats, kind->params, &l) != 0 ||
	    filters_check(req, &l) != 0)
		return;
	req->ctx->lists_busy_until_ms = 0;
	intake_buf_init(&body, (size_t)req->ctx->cfg->response_max);
	intake_buf_init(&variant, 2048);
	err = intake_report_get(req->ctx, src, l.filters, l.nfilters, &view);
	/* Everything the rendering depends on besides the rows themselves. */
	if (err == INTAKE_OK)
		err = variant_key(&variant, kind, &l);
	if (err != INTAKE_OK)
		goto fail;
	memo = intake_memo_get(src, view.version, filtered(&l), variant.ptr, &etag);
	if (memo == NULL) {
		err = kind->render(src, &view, &l, &body);
		if (err != INTAKE_OK)
			goto fail;
		listing_etag(&view, variant.ptr, etagbuf);
		intake_memo_put(src, view.version, filtered(&l), variant.ptr, &body, etagbuf);
		memo = intake_memo_get(src, view.version, filtered(&l), variant.ptr, &etag);
	}
	listing_answer(req, kind, src, &l, &view, memo, etag);
	goto out;
fail:
	if (err == INTAKE_EBACKOFF && req->ctx->lists_busy_until_ms != 0)
		listing_busy(req);
	else
		(void)intake_resp_upstream_error(req, err);
out:
	intake_buf_free(&body);
	intake_buf_free(&variant);
}
