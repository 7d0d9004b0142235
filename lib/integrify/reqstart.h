/*
 * reqstart.h - starting an Integrify request with a form's validated
 * values, as the service account, in either dialect.
 *
 *   v8: POST /api/instance/start/{process}/{task}?requestName=...  with
 *       {"isDraft":false,"request_name":...,"questions":[{"key","label",
 *       "value","type","QuestionType"}]}  (the power-form shape).
 *   v7: POST /instances/{process}/start, then the data-container task:
 *       GET /tasktypes/data-container/endpoints?instance_sid=..., and
 *       POST {endpoint} with {"key": value, ...}.
 *
 * Files are uploaded first (v8 /api/files/temp/{tenant}/upload, v7
 * /files/upload) and their keys sent as the field's value.
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
#include "integrify/reply.h"

struct intake_reqstart_result {
	char	instance_sid[128];	/* the new request's SID */
	char	instance_id[64];	/* its number, "" when the reply has none */
	long	status;			/* a failed call's HTTP status, 0: no reply */
	long	retry_after;		/* its Retry-After in seconds, -1: none */
	bool	unsure;			/* a failed start call may have started it anyway */
};

/* How to start: the name, the reference, and (v7) where a retry resumes. */
struct intake_reqstart_opts {
	const char	*request_name;	/* "" or NULL: none */
	const char	*reference;	/* sent as the form's reference_key, if it has one */
	const char	*resume_sid;	/* v7: the request these values already started */
	/*
	 * v7: called when the request exists, before its values are sent,
	 * so the caller can note the SID; an error from it stops there.
	 */
	enum intake_err	(*started)(void *arg, const struct intake_reqstart_result *r);
	void		*arg;
};

/*
 * Start form's process with values (one per field, in form order).
 * Multi-value fields are sent joined with "|" (Integrify's checkbox
 * encoding).  Errors are the Integrify call's (integrify.h); INTAKE_EPROTO
 * when a reply lacks the instance SID or the v7 data-container task.
 * Unlike most out-parameters, *out is written on failure too: status,
 * retry_after and unsure say how the failing call ended.
 *
 * With resume_sid (v7), no request is started: the values go to that
 * request's data-container task, and when it has none active any more
 * the values are taken to be there already.
 */
enum intake_err	intake_reqstart(struct intake_ctx *ctx, const struct intake_form *form,
		    const struct intake_form_value *values, size_t nvalues,
		    const struct intake_reqstart_opts *opts, struct intake_reqstart_result *out);
/*
 * v8: look in Integrify for a request whose name holds reference (an
 * earlier attempt may have started it without our hearing back).
 * hit->match FOUND (out->instance_sid / instance_id set), UNREADABLE (an
 * item names the reference but its SID cannot be read: never start it
 * again) or NONE.  INTAKE_EPROTO when the reply can be read neither as
 * a list nor for the reference; a failed call as intake_reqstart().
 */
enum intake_err	intake_reqstart_find(struct intake_ctx *ctx, const char *reference,
		    struct intake_reqstart_result *out, struct intake_reply_hit *hit);

/* The caller's claims on v7 requests, for the orphan search. */
struct intake_reqstart_claims {
	/* Atomically "this one is mine" (or was already); false: another's. */
	bool	(*claim)(void *arg, const char *sid);
	/* The request just claimed has its values already: let it go. */
	void	(*unclaim)(void *arg, const char *sid);
	void	 *arg;
};

/*
 * v7: find and claim a request of form's process that a start whose
 * answer was lost left without values (started at since_ms or later,
 * its data-container task still active, and claimed).  hit->match FOUND
 * (out->instance_sid set), UNREADABLE (a request in the window has no
 * readable SID, so it cannot be ruled out: hold, never start) or NONE.
 */
enum intake_err	intake_reqstart_orphan(struct intake_ctx *ctx, const struct intake_form *form,
		    int64_t since_ms, const struct intake_reqstart_claims *claims,
		    struct intake_reqstart_result *out, struct intake_reply_hit *hit);

#endif
