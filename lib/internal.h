/*
 * internal.h - declarations shared by lib/ files, not by cgi-bin/.
 */
#ifndef INTAKE_INTERNAL_H
#define INTAKE_INTERNAL_H

#include "intake/buf.h"
#include "intake/config.h"
#include "intake/report.h"
#include "intake/req.h"

enum intake_format {
	INTAKE_FORMAT_JSON,	/* value/label (or columns/rows) JSON */
	INTAKE_FORMAT_SELECT2,	/* {"results":[{"id","text"}],"pagination":{"more"}} */
	INTAKE_FORMAT_HTML,	/* <option> lines, or a <table> */
	INTAKE_FORMAT_CSV,	/* RFC 4180 */
	INTAKE_FORMAT__MAX
};

/* Common listing parameters, as bits for intake_listing_parse(). */
enum intake_param {
	INTAKE_PARAM_Q,
	INTAKE_PARAM_TERM,
	INTAKE_PARAM_PAGE,
	INTAKE_PARAM_PER_PAGE,
	INTAKE_PARAM_FORMAT,
	INTAKE_PARAM_SELECTED,
	INTAKE_PARAM_TYPE,
	INTAKE_PARAM__MAX
};

#define INTAKE_LISTING_VALUE_MAX	200	/* bytes of one parameter value */
#define INTAKE_ETAG_MAX			32

/* A listing request's parameters, checked against the allow-list. */
struct intake_listing {
	const char			*search;	/* "" for none */
	const char			*selected;	/* NULL for none */
	long long			 page, per_page;
	enum intake_format		 format;
	struct intake_filter_value	 filters[INTAKE_FILTERS_MAX];
	size_t				 nfilters;
};

/* handler/health.c */
void	intake_handle_healthz(struct intake_req *req);
void	intake_handle_readyz(struct intake_req *req);

/* handler/listing.c */
/*
 * Parse req's query for src; formats and params are masks of 1 << enum
 * intake_format and 1 << enum intake_param.  On failure a 400 has been
 * sent and -1 is returned.
 */
int	intake_listing_parse(struct intake_req *req, const struct intake_source *src,
	    unsigned formats, unsigned params, struct intake_listing *out);
/*
 * "Access-Control-Allow-Origin: ORIGIN" (arena-owned) when the request's
 * Origin is in cors_origins, else NULL.
 */
const char *intake_cors_header(struct intake_req *req);
/* Answer a CORS preflight for an allowed origin (204) or refuse it (403). */
void	intake_listing_preflight(struct intake_req *req);
/* The ETag of variant of the view's rows. */
void	intake_listing_etag(const struct intake_report_view *view, const char *variant,
	    char out[INTAKE_ETAG_MAX]);
/* Send body with ETag, Cache-Control, Vary, CORS; 304 on If-None-Match. */
void	intake_listing_send(struct intake_req *req, const struct intake_source *src,
	    const struct intake_report_view *view, const char *ctype,
	    const struct intake_buf *body, const char *etag);
const char *intake_format_name(enum intake_format f);
/* Append s with & < > " ' escaped for HTML text and attributes. */
enum intake_err	intake_html_escape(struct intake_buf *b, const char *s);

/* handler/choices.c */
void	intake_handle_choices(struct intake_req *req);

/* handler/reports.c */
void	intake_handle_reports(struct intake_req *req);

/* handler/processes.c */
void	intake_handle_processes(struct intake_req *req);

#endif
