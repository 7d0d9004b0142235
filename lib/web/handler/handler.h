/*
 * internal.h - declarations shared by lib/ files, not by cgi-bin/.
 */
#ifndef INTAKE_INTERNAL_H
#define INTAKE_INTERNAL_H

#include "util/buf.h"
#include "core/config.h"
#include "form/form.h"
#include "form/form_valid.h"
#include "integrify/report.h"
#include "web/req.h"

enum intake_format {
	INTAKE_FORMAT_JSON,	/* value/label (or columns/rows) JSON */
	INTAKE_FORMAT_SELECT2,	/* {"results":[{"id","text"}],"pagination":{"more"}} */
	INTAKE_FORMAT_HTML,	/* <option> lines, or a <table> */
	INTAKE_FORMAT_CSV,	/* RFC 4180 */
	INTAKE_FORMAT__MAX
};

/* Common listing parameters, as bits for intake_listing_kind.params. */
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

/* Why a listing's parameters were refused: a code and a sentence for the 400. */
struct intake_listing_problem {
	const char	*code;		/* "bad_parameter", "unknown_parameter" */
	char		 message[160];	/* may quote a parameter name, cut on a character */
};

/* handler/admin.c */
/* GET /metrics: the shared counters in Prometheus's text format. */
void	intake_handle_metrics(struct intake_req *req);
/* GET /status: the pool's status as one JSON object (php-fpm's status page). */
void	intake_handle_status(struct intake_req *req);

/* handler/health.c */
void	intake_handle_healthz(struct intake_req *req);
void	intake_handle_readyz(struct intake_req *req);

/* handler/listing.c */
/*
 * "Access-Control-Allow-Origin: ORIGIN" (arena-owned) when the request's
 * Origin is in cors_origins, else NULL.
 */
const char *intake_cors_header(struct intake_req *req);
/* Answer a CORS preflight for an allowed origin (204) or refuse it (403). */
void	intake_listing_preflight(struct intake_req *req);

/* What distinguishes /api/choices from /api/reports. */
struct intake_listing_kind {
	const char		*prefix;		/* "/api/choices/" */
	enum intake_source_kind	 source_kind;
	const char		*unknown_code;		/* 404 for an unknown NAME */
	const char		*unknown_message;
	unsigned		 formats;		/* 1 << enum intake_format */
	unsigned		 params;		/* 1 << enum intake_param */
	bool			 publish;		/* its unfiltered lists may be published (cache/publish.h) */
	/* Render the rows for l into out (called on a memo miss only). */
	enum intake_err	(*render)(const struct intake_source *src,
			    const struct intake_report_view *view,
			    const struct intake_listing *l, struct intake_buf *out);
};

/*
 * Answer a listing request: look the source up, check the parameters, get
 * the rows (report.h), render or reuse the memoised answer, and send it
 * with ETag, Cache-Control, Vary and X-Intake-Cache (304 on If-None-Match).
 */
void	intake_listing_serve(struct intake_req *req, const struct intake_listing_kind *kind);
/*
 * Parse the query string of a listing of src against the allow-list:
 * formats and params are masks of 1 << enum intake_format and
 * 1 << enum intake_param; accept (the Accept header, or NULL) picks HTML
 * when no format is named.  0 and *out, or -1 and *why.  Decoded values
 * live in arena.  Exposed for the fuzzer.
 */
int	intake_listing_parse(const char *query, const char *accept, struct intake_arena *arena,
	    const struct intake_source *src, unsigned formats, unsigned params,
	    struct intake_listing *out, struct intake_listing_problem *why);
const char *intake_format_name(enum intake_format f);

/* The security headers of every HTML answer (CSP, framing) are added by req.c. */

/* handler/form.c (the pages themselves: formpage.h) */
void	intake_handle_form(struct intake_req *req);

/* handler/form_post.c */
void	intake_form_post(struct intake_req *req, const struct intake_form *f);

/* handler/choices.c */
void	intake_handle_choices(struct intake_req *req);

/* handler/reports.c */
void	intake_handle_reports(struct intake_req *req);

/* handler/processes.c */
void	intake_handle_processes(struct intake_req *req);

#endif
