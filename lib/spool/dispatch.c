/*
 * dispatch.c - the dispatcher: one process, supervised by the pool like
 * a worker, that delivers what the workers could not.
 *
 * Every scan_interval_ms it lists queue/, takes each record whose time
 * has come (its lock says no one else is delivering it), and attempts
 * it with a check for an earlier start first.  A record that cannot be
 * read is quarantined and the scan goes on.  When the breaker closes
 * after an outage, records waiting out a backoff are tried at once.
 * SIGTERM is honoured between records; SIGKILL at any moment loses
 * nothing, because a record leaves queue/ only after done/ or dead/
 * holds it.  About every second (CHECKPOINT_MS) it checkpoints the
 * spool: what happened after the answers (receipts, removals from
 * queue/) becomes durable in one batch, and the journal is emptied.
 */
#include <sys/prctl.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "spool/breaker.h"
#include "spool/deliver.h"
#include "spool/dispatch.h"
#include "core/log.h"
#include "spool/spool.h"
#include "util/str.h"

#define SCAN_MAX	4096		/* records looked at per pass */
#define SWEEP_EVERY_MS	(60 * 1000)
#define RECORD_SLACK	(1u << 20)	/* framing around a body's bytes */
#define CHECKPOINT_MS	1000		/* how often the spool's journal is checkpointed */

static volatile sig_atomic_t	stop_requested;

static void
on_term(int sig)
{
	(void)sig;
	stop_requested = 1;
}

struct scan {
	char	refs[SCAN_MAX][INTAKE_SPOOL_REF_MAX];
	size_t	n;
};

static bool
collect(void *arg, const char *ref)
{
	struct scan	*s = arg;

	if (s->n == SCAN_MAX)
		return false;
	(void)intake_strlcpy(s->refs[s->n++], ref, INTAKE_SPOOL_REF_MAX);
	return true;
}

/* Read and decode the held record h of ref into rec; false with *bad saying why it cannot be. */
static bool
readable(struct intake_ctx *ctx, struct intake_spool_hold *h, const char *ref,
    struct intake_spoolrec *rec, const char **bad)
{
	enum intake_err	err;

	err = intake_spool_read(ctx->spool, h, (size_t)ctx->cfg->body_max + RECORD_SLACK);
	if (err != INTAKE_OK) {
		*bad = intake_strerror(err);
		return false;
	}
	err = intake_spoolrec_decode(h->bytes.ptr, h->bytes.len, rec);
	if (err != INTAKE_OK) {
		*bad = intake_strerror(err);
		return false;
	}
	if (strcmp(rec->ref, ref) != 0) {
		*bad = "its reference does not match";
		return false;
	}
	return true;
}

/* Attempt one queued record if it is due and free.  Returns whether it was attempted. */
bool
intake_dispatcher_one(struct intake_ctx *ctx, const char *ref, int64_t closed_at)
{
	const struct intake_config	*cfg = ctx->cfg;
	const struct intake_form	*form;
	struct intake_spool_hold	 h;
	struct intake_spool_meta	 m;
	struct intake_spoolrec		*rec;
	enum intake_spool_status	 st;
	const char			*bad;
	bool				 got;
	char				 why[200];

	st = intake_spool_lookup(ctx->spool, ref, &m);
	/*
	 * DONE for a name listed in queue/: a worker died between writing the
	 * receipt and removing the record.  Take it, so the copy is cleared
	 * below; skipping it would leave it in queue/ for ever.
	 */
	if (st != INTAKE_SPOOL_QUEUED && st != INTAKE_SPOOL_DONE)
		return false;
	/*
	 * Waiting out a backoff, unless Integrify came back since it failed
	 * (but a start that may still be running there waits its time out).
	 */
	if (st == INTAKE_SPOOL_QUEUED && m.next_ms > intake_now_ms() &&
	    (m.unsure || !(closed_at > m.at_ms && m.at_ms != 0)))
		return false;
	if (intake_spool_take(ctx->spool, ref, &h, &got) != INTAKE_OK || !got)
		return false;
	rec = intake_xcalloc(1, sizeof(*rec));
	/* Read the meta again under the lock: the last holder may have changed it. */
	st = intake_spool_lookup(ctx->spool, ref, &m);
	if (st == INTAKE_SPOOL_DONE) {
		/* Delivered, but a crash left the record behind. */
		(void)intake_spool_done(ctx->spool, &h, &m, false);
		goto out;
	}
	if (!readable(ctx, &h, ref, rec, &bad)) {
		intake_log_event(INTAKE_LOG_ERR, "submission_dead", "ref", ref, "error", bad,
		    "msg", "the record is unreadable; quarantined", NULL);
		(void)intake_spool_quarantine(ctx->spool, &h);
		goto out;
	}
	form = intake_form_find(ctx->forms, rec->form, strlen(rec->form));
	if (form == NULL) {
		(void)snprintf(why, sizeof(why), "form %s no longer exists", rec->form);
		(void)intake_spool_set_aside(ctx->spool, &h, &m, rec->form, rec->created_ms, why,
		    cfg->spool_retry_max * 1000);
		goto out;
	}
	(void)intake_deliver(ctx, &h, rec, form, true, &m);
out:
	intake_spool_release(&h);
	free(rec);
	return true;
}

/* One pass over queue/. */
static void
pass(struct intake_ctx *ctx, struct scan *s)
{
	int64_t	closed_at, until;
	size_t	i;

	if (intake_breaker_state(ctx, &until) == INTAKE_BREAKER_OPEN)
		return;
	s->n = 0;
	if (intake_spool_each(ctx->spool, INTAKE_SPOOL_QUEUED, collect, s) != INTAKE_OK)
		return;
	closed_at = intake_breaker_closed_at(ctx);
	for (i = 0; i < s->n && !stop_requested; i++) {
		(void)intake_dispatcher_one(ctx, s->refs[i], closed_at);
		if (intake_breaker_state(ctx, &until) == INTAKE_BREAKER_OPEN)
			break;
	}
}

void
intake_dispatcher_prepare(void)
{
	struct sigaction	sa;
	sigset_t		none;

	/* First: ps, top and the tests tell the dispatcher from the workers by it. */
	(void)prctl(PR_SET_NAME, "intake-dispatch", 0, 0, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	(void)sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	(void)sigaction(SIGHUP, &sa, NULL);
	(void)sigaction(SIGPIPE, &sa, NULL);
	(void)sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
}

int
intake_dispatcher_run(struct intake_ctx *ctx)
{
	const struct intake_config	*cfg = ctx->cfg;
	struct timespec			 ts;
	struct scan			*s;
	int64_t				 next_sweep = 0, next_checkpoint = 0;
	long long			 swept;

	s = intake_xcalloc(1, sizeof(*s));
	intake_log_info("dispatch: delivering from %s", cfg->spool_dir);
	while (!stop_requested) {
		pass(ctx, s);
		if (intake_now_ms() >= next_sweep) {
			swept = intake_spool_sweep(ctx->spool, cfg->spool_keep_done * 1000,
			    intake_deliver_claim_keep_ms(cfg));
			if (swept > 0)
				intake_log_info("dispatch: removed %lld old receipts and claims",
				    swept);
			next_sweep = intake_now_ms() + SWEEP_EVERY_MS;
		}
		/* What happened after the answers becomes durable here, in one batch. */
		if (intake_now_ms() >= next_checkpoint) {
			(void)intake_spool_checkpoint(ctx->spool);
			next_checkpoint = intake_now_ms() + CHECKPOINT_MS;
		}
		ts.tv_sec = (time_t)(cfg->spool_scan_ms / 1000);
		ts.tv_nsec = (long)(cfg->spool_scan_ms % 1000) * 1000000L;
		while (!stop_requested && nanosleep(&ts, &ts) == -1 && errno == EINTR)
			;
	}
	(void)intake_spool_checkpoint(ctx->spool);
	free(s);
	return 0;
}
