/*
 * deliver.h - one attempt to turn a spooled submission into an Integrify
 * request, the same for the worker that accepted it and the dispatcher
 * that retries it.
 *
 * The attempt ends in one of three ways, and the spool is updated before
 * it returns: the request exists (done/), try again later (queue/ with
 * the next time in its meta), or a person must look (dead/, with why).
 *
 * Duplicates: before a retry the deliverer asks Integrify whether an
 * earlier attempt got through (v8: a request whose name holds the
 * reference).  v7 cannot be asked, so a start is noted "unsure" on disk
 * before it goes out; a record found unsure fills, instead of starting
 * another, an open request of its process still waiting for values that
 * it can claim (a claim in the spool's claims/ names the submission, and
 * with several hosts also one in Redis; while Redis is down such a
 * delivery waits in the queue).  With
 * spool.dedupe off, or a tenant that refuses both, an unsure record is
 * set aside for a person rather than sent twice.
 */
#ifndef INTAKE_DELIVER_H
#define INTAKE_DELIVER_H

#include <stdbool.h>
#include <stdint.h>

#include "core/ctx.h"
#include "form/form.h"
#include "spool/spool.h"
#include "spool/spoolrec.h"

/*
 * How long a v7 claim is kept (milliseconds): while a submission may
 * still look for its request, max_age queued and keep_done more.  The
 * spool's sweep and the shared claims (Redis) use the same.
 */
int64_t		intake_deliver_claim_keep_ms(const struct intake_config *cfg);

/*
 * v7: claim Integrify request sid for submission ref.  With several hosts
 * (ctx->marks on Redis) first in Redis (SET NX), where every host sees it,
 * then durably in this host's spool; with one host, in the spool only.
 * *got: NEW, OURS (ref held it already) or OTHERS.  INTAKE_ECACHE while
 * Redis is unreachable: a claim on this host's state alone could be taken
 * on another host too, so the caller tries later.
 */
enum intake_err	intake_deliver_claim(struct intake_ctx *ctx, const char *sid, const char *ref,
		    enum intake_spool_claim *got);
/*
 * Does ref hold a claim on sid already (in this host's spool, or where
 * every host sees it)?  A peek: nothing is taken.  False when it cannot
 * be told (Redis down, a damaged claim).
 */
bool		intake_deliver_claim_held(struct intake_ctx *ctx, const char *sid,
		    const char *ref);
/*
 * Drop ref's claim on sid, in the spool and (compare-and-delete: only
 * while it still names ref) in Redis.
 */
void		intake_deliver_unclaim(struct intake_ctx *ctx, const char *sid, const char *ref);

/*
 * Several hosts: this host's name in the shared reference marks (its
 * host name and spool directory, hashed, so two pools on one machine
 * differ), INTAKE_DELIVER_HOST_ID_LEN hex digits (the first 128 bits of
 * a SHA-256: plenty to tell a fleet's hosts apart, and short enough that
 * a mark fits the marks cache's 128-byte entries) and a NUL into out.
 */
#define INTAKE_DELIVER_HOST_ID_LEN	32
void		intake_deliver_host_id(const struct intake_config *cfg,
		    char out[INTAKE_DELIVER_HOST_ID_LEN + 1]);

/* Who holds a submission reference's mark where every host sees it. */
enum intake_deliver_mark {
	INTAKE_MARK_OURS,	/* this host (just now or before); one host: always */
	INTAKE_MARK_OTHERS,	/* another host took the same form */
	INTAKE_MARK_UNSHARED,	/* Redis unreachable: nothing could be checked */
	INTAKE_MARK__MAX
};

/*
 * Mark ref as taken by this host where every host sees it (Redis: SET
 * NX, kept form_token_ttl + max_age, as long as another host's copy of
 * the same form may still wait to be checked), unless a host marked it
 * first; *out says who holds it.  With one host (shm) *out is OURS and
 * nothing is stored; while Redis is unreachable *out is UNSHARED and
 * nothing is stored (this host's own store would tell no other host).
 * INTAKE_EBUSY when the mark kept lapsing under us; other errors are the
 * cache's.
 */
enum intake_err	intake_deliver_mark(struct intake_ctx *ctx, const char *ref,
		    enum intake_deliver_mark *out);
/* Drop ref's mark while it names this host (compare-and-delete). */
void		intake_deliver_unmark(struct intake_ctx *ctx, const char *ref);

enum intake_deliver_outcome {
	INTAKE_DELIVER_DONE,		/* the request exists: meta->sid, meta->id */
	INTAKE_DELIVER_RETRY,		/* still queued: meta->next_ms */
	INTAKE_DELIVER_HELD,		/* in dead/: meta->error */
	INTAKE_DELIVER__MAX
};

/*
 * Attempt the held record rec of form.  meta comes in as the record's
 * state and goes out as its new one.  With check, ask Integrify first
 * whether an earlier attempt started it (the dispatcher always does;
 * the worker that just accepted it need not).
 */
enum intake_deliver_outcome intake_deliver(struct intake_ctx *ctx, struct intake_spool_hold *h,
		    const struct intake_spoolrec *rec, const struct intake_form *form, bool check,
		    struct intake_spool_meta *meta);

/*
 * The attempt of the worker that just accepted rec, for a user who waits
 * for it: intake_deliver() without the check, whose Integrify calls must
 * all end within spool.inline_budget_ms (at most timeout_ms).  Past it the
 * record stays queued (a start cut short marked unsure, so the dispatcher
 * looks for it before starting another) and the breaker is not told.
 */
enum intake_deliver_outcome intake_deliver_now(struct intake_ctx *ctx,
		    struct intake_spool_hold *h, const struct intake_spoolrec *rec,
		    const struct intake_form *form, struct intake_spool_meta *meta);

/*
 * Milliseconds to wait after failed attempt number attempts (1, 2, ...):
 * retry_base doubled each time up to retry_max, then a random part of
 * the second half taken off (rnd), so retries of many spread out.
 */
int64_t		intake_deliver_backoff_ms(const struct intake_config *cfg, long long attempts,
		    uint32_t rnd);

#endif
