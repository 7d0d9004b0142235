/*
 * ctx.h - what one worker process holds: its config, the shared cache,
 * its own curl handle.  Built after fork; freed when the worker exits.
 */
#ifndef INTAKE_CTX_H
#define INTAKE_CTX_H

#include <stdint.h>

#include "cache/cache.h"
#include "core/config.h"
#include "util/err.h"
#include "integrify/http.h"

struct intake_forms;
struct intake_report_cache;
struct intake_spool;

struct intake_ctx {
	const struct intake_config	*cfg;	/* owned by the caller */
	const struct intake_forms	*forms;	/* loaded with cfg; owned by the caller */
	struct intake_cache		*cache;	/* owned by the caller */
	struct intake_cache		*marks;	/* nonces, counters; owned by the caller */
	struct intake_cache		*lists;	/* filtered lists (cache_file.lists); owned */
	int64_t				 lists_busy_until_ms;	/* filtered_fetch_rate spent until */
	int64_t				 upstream_busy_until_ms; /* the INTAKE_EBUSY answered holds until; 0: unknown */
	struct intake_http		*http;	/* owned by the ctx */
	struct intake_report_cache	*reports;	/* this worker's level 1; owned */
	struct intake_spool		*spool;		/* accepted submissions; owned */
};

/*
 * Fill ctx for a process forked from the supervisor: attach the shared
 * caches (owned by the caller), attach the lists cache the supervisor
 * made before fork, and make this process's curl handle, spool handle
 * and report cache (owned by the ctx).  On failure the ctx
 * may be partly made: free it all the same.
 */
enum intake_err	intake_ctx_child_init(struct intake_ctx *ctx, const struct intake_config *cfg,
		    struct intake_cache *cache, struct intake_cache *marks);

/* Free what the ctx owns. */
void		intake_ctx_free(struct intake_ctx *ctx);

#endif
