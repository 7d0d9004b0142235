/*
 * ctx.h - what one process holds: its config, the shared caches, its own
 * curl handle, its report cache and its spool handle.
 *
 * The ctx is a plain struct that every floor above core passes around;
 * it only points to the objects, so this header names them without
 * knowing them.  Whoever runs a process (the process model, lib/process/)
 * builds the ctx after fork and frees it when the process ends.
 */
#ifndef INTAKE_CTX_H
#define INTAKE_CTX_H

#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"
#include "util/err.h"

struct intake_forms;
struct intake_cache;
struct intake_http;
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
	bool				 publish;	/* a pool worker under publish_dir (cache/publish.h) */
};

/*
 * Seconds a client should wait before it asks again after an
 * INTAKE_EBUSY answer (>= 1): until ctx->upstream_busy_until_ms, when
 * that is still ahead (and then it is forgotten: it is used once), else
 * 1 + upstream_wait_ms in seconds.  Whoever refuses work as busy sets
 * upstream_busy_until_ms (intake_upstream_busy_until()); the response
 * reads it here, without knowing who set it.
 */
long long	intake_ctx_retry_after(struct intake_ctx *ctx);

#endif
