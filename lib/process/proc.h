/*
 * proc.h - one process of intake, made ready to work: the ctx it holds
 * (built after fork, freed when it ends), the labels its counters wear,
 * and the dispatcher run as a process.
 *
 * The ctx (core/ctx.h) only points to the caches, the curl handle, the
 * report cache and the spool handle; this module is where they are made,
 * because the process model is the one floor that knows every module.
 */
#ifndef INTAKE_PROC_H
#define INTAKE_PROC_H

#include <stdbool.h>

#include "core/config.h"
#include "core/ctx.h"
#include "util/err.h"

struct intake_cache;
struct intake_forms;

/*
 * Fill ctx for a process forked from the supervisor: point it at cfg and
 * the forms loaded with it, attach the shared caches (owned by the caller), attach the lists cache the supervisor
 * made before fork, and make this process's curl handle, spool handle
 * and report cache (owned by the ctx).  On failure the ctx may be partly
 * made: free it all the same.
 */
enum intake_err	intake_proc_ctx_child(struct intake_ctx *ctx, const struct intake_config *cfg,
		    const struct intake_forms *forms, struct intake_cache *cache,
		    struct intake_cache *marks);

/* Free what the ctx owns (not cfg, cache, marks); a zeroed ctx is fine. */
void		intake_proc_ctx_free(struct intake_ctx *ctx);

/*
 * Hand the shared counters (core/metrics.h) their label tables: the
 * routes, the breaker states and which counter each report state adds
 * to, which the counters' module, below all three, does not know.  Call
 * before intake_metrics_open(); forked children inherit them.
 */
void		intake_proc_labels(void);

/*
 * This process becomes the dispatcher: named and taking SIGTERM first,
 * then its ctx built as intake_proc_ctx_child() does, then
 * intake_dispatcher_run() until SIGTERM.  Exit status.
 */
int		intake_proc_dispatcher(const struct intake_config *cfg,
		    const struct intake_forms *forms, struct intake_cache *cache,
		    struct intake_cache *marks);

#endif
