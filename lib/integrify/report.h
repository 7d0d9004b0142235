/*
 * report.h - the rows of a configured report, from a two-level cache.
 *
 * Level 1 is this worker's own memory; level 2 is the cache shared by all
 * workers (cache.h).  A fresh list is served from either.  A list older
 * than its ttl is refetched by exactly one worker (a lease) while the
 * others keep serving it; when Integrify fails, the last good list serves
 * for stale_ttl more seconds and Integrify is not asked again for a short
 * while.
 */
#ifndef INTAKE_REPORT_H
#define INTAKE_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "core/config.h"
#include "core/ctx.h"
#include "integrify/dialect.h"
#include "util/err.h"
#include "util/table.h"

/* How the list was found; sent as X-Intake-Cache. */
enum intake_report_state {
	INTAKE_REPORT_HIT,		/* fresh, from a cache */
	INTAKE_REPORT_MISS,		/* fetched for this request */
	INTAKE_REPORT_STALE,		/* old; another worker is refreshing it */
	INTAKE_REPORT_STALE_ERROR,	/* old; Integrify failed */
	INTAKE_REPORT_STATE__MAX
};


/* What a handler reads.  Valid until the next intake_report_get() call. */
struct intake_report_view {
	const struct intake_table	*table;
	const char			*version;	/* hex digest of the rows */
	enum intake_report_state	 state;
	int64_t				 fresh_until_ms;
	int64_t				 stale_until_ms;
	long				 value_col;	/* choices: column indexes */
	long				 label_col;
};

/* Per-worker level 1; made after fork, freed with the worker. */
struct intake_report_cache;
struct intake_report_cache	*intake_report_cache_new(void);
void				 intake_report_cache_free(struct intake_report_cache *rc);

/*
 * The rows of src for the given filter values.  Failures with no list to
 * fall back on return the Integrify error (INTAKE_EUPSTREAM, INTAKE_EAUTH,
 * INTAKE_EPROTO when the report lacks a configured column, ...).  With a
 * filter value given (a filtered list: kept in ctx->lists, apart from the
 * token and the unfiltered lists), a fetch past filtered_fetch_rate is not
 * made: an old copy serves (INTAKE_REPORT_STALE) while it may, else
 * INTAKE_EBACKOFF with ctx->lists_busy_until_ms set to the end of the
 * minute.  Filter values must have been checked by the caller.
 */
enum intake_err	intake_report_get(struct intake_ctx *ctx, const struct intake_source *src,
		    const struct intake_filter_value *filters, size_t nfilters,
		    struct intake_report_view *out);

/*
 * Is value among the values (value column) of src's unfiltered list?
 * *offered is set on INTAKE_OK; the list comes from the cache as with
 * intake_report_get(), whose errors this returns.  It invalidates views.
 */
enum intake_err	intake_report_offers(struct intake_ctx *ctx, const struct intake_source *src,
		    const char *value, bool *offered);

/*
 * Take one fetch of a filtered list of src from the minute's budget
 * (filtered_fetch_rate per source, shared by every worker through
 * ctx->marks; 0: no limit).  false when spent, with *retry_at_ms the
 * minute's end.
 */
bool		intake_report_budget_take(struct intake_ctx *ctx,
		    const struct intake_source *src, int64_t now_ms, int64_t *retry_at_ms);

/*
 * The rows of resp, a reply to src's run (its CSV export or its JSON
 * run, by src->fetch), as a list fetch reads them, into *out (the caller
 * frees it with intake_table_free()).  INTAKE_EPROTO, logged, when the
 * reply cannot be read.  No cache is touched.
 */
struct intake_http_resp;
enum intake_err	intake_report_parse(const struct intake_source *src,
		    const struct intake_http_resp *resp, struct intake_table **out);

/* Name of a state for X-Intake-Cache. */
const char	*intake_report_state_name(enum intake_report_state s);

#endif
