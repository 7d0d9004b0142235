/*
 * reqstart.h - starting an Integrify request with a form's validated
 * values, as the service account, in whichever dialect the config names.
 *
 * One skeleton for every dialect: files are uploaded first, one
 * multipart POST each, and their keys sent as the fields' values; then
 * the call that creates the request, with the values or (a two-step
 * dialect) followed by a second step that sends them.  What each
 * dialect says, and how, is in dialect.h (v7.c, v8.c).
 */
#ifndef INTAKE_REQSTART_H
#define INTAKE_REQSTART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ctx.h"
#include "util/err.h"
#include "form/form.h"
#include "form/value.h"
#include "integrify/dialect.h"
#include "integrify/reply.h"

/*
 * Start form's process with values (one per field, in form order).
 * Multi-value fields are sent joined with "|" (Integrify's checkbox
 * encoding).  Errors are the Integrify call's (call.h); INTAKE_EPROTO
 * when a reply lacks the instance SID or (v7) the data-container task.
 * Unlike most out-parameters, *out is written on failure too: status,
 * retry_after and unsure say how the failing call ended.
 *
 * With resume_sid (a two-step dialect), no request is started: the
 * values go to that request (v7: its data-container task), and when it
 * waits for none any more they are taken to be there already.
 */
enum intake_err	intake_reqstart(struct intake_ctx *ctx, const struct intake_form *form,
		    const struct intake_form_value *values, size_t nvalues,
		    const struct intake_reqstart_opts *opts, struct intake_reqstart_result *out);
/*
 * Can the dialect in use look for an earlier start by its reference
 * (intake_reqstart_find()), or find a request a lost start left without
 * values (intake_reqstart_orphan())?
 */
bool		intake_reqstart_can_find(const struct intake_ctx *ctx);
bool		intake_reqstart_can_orphan(const struct intake_ctx *ctx);

/*
 * Does a start of the dialect in use take two steps (create, then fill),
 * so that a request noted as started may still lack its values (and a
 * retry resumes it with resume_sid)?  False: a request that exists has
 * its values.
 */
bool		intake_reqstart_two_step(const struct intake_ctx *ctx);

/*
 * Look in Integrify for a request whose name holds reference (an
 * earlier attempt may have started it without our hearing back).
 * hit->match FOUND (out->instance_sid / instance_id set), UNREADABLE (an
 * item names the reference but its SID cannot be read: never start it
 * again) or NONE.  INTAKE_EPROTO when the reply can be read neither as
 * a list nor for the reference; a failed call as intake_reqstart();
 * INTAKE_EINVAL (logged) when the dialect cannot search.
 */
enum intake_err	intake_reqstart_find(struct intake_ctx *ctx, const char *reference,
		    struct intake_reqstart_result *out, struct intake_reply_hit *hit);

/*
 * As intake_reqstart_find(), for a tenant without a working request
 * search: the service account's requests of form's process, newest
 * first, read back to since_ms, for one whose name holds reference
 * (dialect.h, intake_dialect_find_listed(), says what each result
 * means).  Only for a one-step dialect: a two-step request found could
 * still lack its values.
 */
enum intake_err	intake_reqstart_find_listed(struct intake_ctx *ctx,
		    const struct intake_form *form, const char *reference, int64_t since_ms,
		    struct intake_reqstart_result *out, struct intake_reply_hit *hit);

/*
 * Find and claim a request of form's process that a start whose
 * answer was lost left without values (started at since_ms or later,
 * its data-container task still active, and claimed).  hit->match FOUND
 * (out->instance_sid set), UNREADABLE (a request in the window has no
 * readable SID, so it cannot be ruled out: hold, never start) or NONE.
 * INTAKE_EINVAL (logged) when the dialect's starts leave no such request.
 */
enum intake_err	intake_reqstart_orphan(struct intake_ctx *ctx, const struct intake_form *form,
		    int64_t since_ms, const struct intake_reqstart_claims *claims,
		    struct intake_reqstart_result *out, struct intake_reply_hit *hit);

#endif
