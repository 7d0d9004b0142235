/*
 * deliver.c - one delivery attempt of a spooled submission (deliver.h).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "cache/cache.h"
#include "integrify/http.h"
#include "spool/breaker.h"
#include "spool/deliver.h"
#include "core/log.h"
#include "core/metrics.h"
#include "form/form.h"
#include "integrify/reqstart.h"
#include "util/str.h"
#include "integrify/upstream.h"

_Static_assert(INTAKE_SPOOL_ITEM_MAX == INTAKE_REPLY_QUOTE_MAX,
    "a held submission keeps a whole quoted item");

#define SETTLE_TIMEOUTS	2	/* an unsure start is looked for after this many timeouts */
#define ORPHAN_SKEW_MS	(60 * 1000LL)	/* clock difference allowed with Integrify */

int64_t
intake_deliver_backoff_ms(const struct intake_config *cfg, long long attempts, uint32_t rnd)
{
	int64_t	wait = cfg->spool_retry_base * 1000, cap = cfg->spool_retry_max * 1000;
	long long i;

	for (i = 1; i < attempts && wait < cap; i++)
		wait *= 2;
	if (wait > cap)
		wait = cap;
	/* Keep the first half, jitter the second. */
	return wait / 2 + (int64_t)(rnd % (uint32_t)(wait / 2 + 1));
}

/* Does this failure mean "never", not "not now"? */
static bool
permanent(enum intake_err err, const struct intake_reqstart_result *r)
{
	switch (err) {
	case INTAKE_EINVAL:
	case INTAKE_ETOOBIG:
	case INTAKE_ECONFIG:
	case INTAKE_EDENIED:
	case INTAKE_ENOTFOUND:
		return true;
	case INTAKE_EPROTO:
		/* A 4xx, or a reply we cannot use; unless the start may have happened. */
		return !r->unsure;
	case INTAKE_OK:
	case INTAKE_ENOMEM:
	case INTAKE_ESYS:
	case INTAKE_ETIMEOUT:
	case INTAKE_EUPSTREAM:
	case INTAKE_EAUTH:
	case INTAKE_EBACKOFF:
	case INTAKE_ECACHE:
	case INTAKE_EBUSY:
	case INTAKE_ERR__MAX:
		break;
	}
	/* Integrify said no, other than "not now" or "who are you". */
	return r->status >= 400 && r->status < 500 && r->status != 401 && r->status != 408 &&
	    r->status != 429;
}

static void
describe(char *out, size_t outsz, enum intake_err err, const struct intake_reqstart_result *r)
{
	if (r->status != 0)
		(void)snprintf(out, outsz, "%s (HTTP %ld)", intake_strerror(err), r->status);
	else
		(void)snprintf(out, outsz, "%s", intake_strerror(err));
}

/* v7: the request exists; note its SID on disk before its values go. */
struct journal {
	struct intake_ctx		*ctx;
	struct intake_spool_hold	*h;
	struct intake_spool_meta	*meta;
	bool				 taken;	/* our new request was adopted by another */
};

/* Who claims: this process, for this submission. */
struct claimer {
	struct intake_ctx	*ctx;
	const char		*ref;
	bool			 fresh;		/* the last claim was taken just now */
	enum intake_err		 err;		/* a claim could not be decided (sticky) */
};

#define CLAIM_SECTION	"claim"		/* marks cache: request SID -> submission reference */

/* Said once per process and outage: the cache itself logs the outage too. */
static bool	claims_down_said;

/* Redis is unreachable: no claim can be decided now (INTAKE_ECACHE). */
static enum intake_err
claims_down(const char *ref)
{
	if (!claims_down_said)
		intake_log_warn("deliver %s: v7 claims live in Redis, which is unreachable: a "
		    "claim on this host's state alone could be taken on another host too, so "
		    "deliveries that need one wait in the queue until Redis is back", ref);
	claims_down_said = true;
	return INTAKE_ECACHE;
}

/*
 * Several hosts (backend = redis): take sid for ref in the marks cache
 * every host shares (SET NX, kept as long as the spool keeps its claims),
 * *took true when this call added it.  *got is OTHERS when another
 * submission holds it.  One host (shm): nothing to share, *got is NEW.
 * INTAKE_ECACHE while Redis is unreachable: never a claim on local state.
 */
static enum intake_err
shared_claim(struct intake_ctx *ctx, const char *sid, const char *ref,
    enum intake_spool_claim *got, bool *took)
{
	char		cur[INTAKE_SPOOL_REF_MAX];
	size_t		len = 0, reflen = strlen(ref);
	enum intake_err	err = INTAKE_OK;
	bool		hit = false;
	int		tries;

	*got = INTAKE_CLAIM_NEW;
	*took = false;
	if (ctx->marks == NULL || intake_cache_status(ctx->marks) == INTAKE_CACHE_STATUS_LOCAL)
		return INTAKE_OK;
	if (intake_cache_status(ctx->marks) != INTAKE_CACHE_STATUS_SHARED)
		return claims_down(ref);
	/* A claim that lapses between the add and the get is added again. */
	for (tries = 0; tries < 2 && !*took && !hit && err == INTAKE_OK; tries++) {
		err = intake_cache_add(ctx->marks, CLAIM_SECTION, sid, ref, reflen,
		    intake_now_ms() + intake_deliver_claim_keep_ms(ctx->cfg), took);
		if (err == INTAKE_OK && !*took)
			err = intake_cache_get(ctx->marks, CLAIM_SECTION, sid, cur, sizeof(cur),
			    &len, &hit);
	}
	/* A call that found Redis gone was answered by this host's store: not a claim. */
	if (intake_cache_status(ctx->marks) != INTAKE_CACHE_STATUS_SHARED) {
		if (*took)
			(void)intake_cache_del(ctx->marks, CLAIM_SECTION, sid, ref, reflen);
		*took = false;
		return claims_down(ref);
	}
	claims_down_said = false;
	if (err == INTAKE_ETOOBIG) {
		/* Longer than any reference: not ours. */
		err = INTAKE_OK;
		hit = true;
		len = 0;
	}
	if (err != INTAKE_OK)
		return err;
	if (!*took && !hit)
		return INTAKE_EBUSY;	/* it keeps lapsing: decide on the next attempt */
	if (!*took)
		*got = len == reflen && memcmp(cur, ref, len) == 0 ? INTAKE_CLAIM_OURS :
		    INTAKE_CLAIM_OTHERS;
	return INTAKE_OK;
}

/*
 * A claim is taken where every host sees it first (Redis, with several
 * hosts), then durably in this host's spool.  Shared first: a claim
 * another host holds leaves no trace here, and a crash between the two
 * leaves a shared claim naming us, which the next attempt finds OURS.
 * The local claim still decides between this host's processes when
 * Redis lost its data (a restart without persistence).
 */
enum intake_err
intake_deliver_claim(struct intake_ctx *ctx, const char *sid, const char *ref,
    enum intake_spool_claim *got)
{
	enum intake_spool_claim	shared;
	enum intake_err		err;
	bool			took;

	err = shared_claim(ctx, sid, ref, &shared, &took);
	if (err != INTAKE_OK)
		return err;
	*got = shared;
	if (shared == INTAKE_CLAIM_OTHERS)
		return INTAKE_OK;
	err = intake_spool_claim(ctx->spool, sid, ref, got);
	if (took && (err != INTAKE_OK || *got == INTAKE_CLAIM_OTHERS))
		(void)intake_cache_del(ctx->marks, CLAIM_SECTION, sid, ref, strlen(ref));
	return err;
}

bool
intake_deliver_claim_held(struct intake_ctx *ctx, const char *sid, const char *ref)
{
	char	cur[INTAKE_SPOOL_REF_MAX];
	size_t	len = 0, reflen = strlen(ref);
	bool	hit = false;

	if (intake_spool_claim_held(ctx->spool, sid, ref))
		return true;
	/* A crash between the two writes leaves the shared claim alone. */
	if (ctx->marks == NULL || intake_cache_status(ctx->marks) != INTAKE_CACHE_STATUS_SHARED)
		return false;
	if (intake_cache_get(ctx->marks, CLAIM_SECTION, sid, cur, sizeof(cur), &len, &hit) !=
	    INTAKE_OK || !hit)
		return false;
	return len == reflen && memcmp(cur, ref, len) == 0 &&
	    intake_cache_status(ctx->marks) == INTAKE_CACHE_STATUS_SHARED;
}

void
intake_deliver_unclaim(struct intake_ctx *ctx, const char *sid, const char *ref)
{
	(void)intake_spool_unclaim(ctx->spool, sid, ref);
	/* Down, the shared claim stays until it lapses; it names only us. */
	if (ctx->marks != NULL && intake_cache_status(ctx->marks) == INTAKE_CACHE_STATUS_SHARED)
		(void)intake_cache_del(ctx->marks, CLAIM_SECTION, sid, ref, strlen(ref));
}

int64_t
intake_deliver_claim_keep_ms(const struct intake_config *cfg)
{
	/* A claim matters while a submission may still look for its request. */
	return ((int64_t)cfg->spool_max_age + cfg->spool_keep_done) * 1000;
}

#define MARK_SECTION	"ref"	/* marks cache: submission reference -> host id */
#define HOST_ID_LEN	INTAKE_DELIVER_HOST_ID_LEN
_Static_assert(HOST_ID_LEN <= INTAKE_CACHE_MARK_VALUE_MAX && INTAKE_SPOOL_REF_MAX - 1 <=
    INTAKE_CACHE_MARK_VALUE_MAX, "a host id and a reference fit a marks value");

void
intake_deliver_host_id(const struct intake_config *cfg, char out[HOST_ID_LEN + 1])
{
	char	buf[INTAKE_PATH_MAX + 300], hex[65];
	char	host[256];
	int	n;

	if (gethostname(host, sizeof(host)) != 0)
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	n = snprintf(buf, sizeof(buf), "%s\n%s", host, cfg->spool_dir);
	intake_sha256_hex(buf, n > 0 && (size_t)n < sizeof(buf) ? (size_t)n : 0, hex);
	memcpy(out, hex, HOST_ID_LEN);
	out[HOST_ID_LEN] = '\0';
}

/*
 * Whether a mark of len bytes names this host (id): its id, or the whole
 * 64-digit SHA-256 that versions before 128-bit ids wrote, whose first
 * half is this id.  A mark made before an upgrade is still this host's:
 * else the retry of a submission accepted while Redis was down would take
 * it for another host's, and leave it to that host.
 */
static bool
mark_is_ours(const char *cur, size_t len, const char id[HOST_ID_LEN + 1])
{
	return (len == HOST_ID_LEN || len == 2 * HOST_ID_LEN) && memcmp(cur, id, HOST_ID_LEN) == 0;
}

/*
 * Set-if-absent of ref's mark with this host's id, then (taken) whose it
 * is; a mark that lapses between the two is added again.  Only called
 * while the marks are shared: the caller checks that they still were.
 */
static enum intake_err
mark_shared(struct intake_ctx *ctx, const char *ref, const char id[HOST_ID_LEN + 1],
    enum intake_deliver_mark *out)
{
	const struct intake_config	*cfg = ctx->cfg;
	char				 cur[72];
	size_t				 len = 0;
	enum intake_err			 err = INTAKE_OK;
	bool				 added = false, hit = false;
	int				 tries;
	/* A copy on another host waits at most max_age, and was taken within form_token_ttl. */
	int64_t				 keep = ((int64_t)cfg->form_token_ttl + cfg->spool_max_age) *
	    1000;

	for (tries = 0; tries < 2 && !added && !hit && err == INTAKE_OK; tries++) {
		err = intake_cache_add(ctx->marks, MARK_SECTION, ref, id, HOST_ID_LEN,
		    intake_now_ms() + keep, &added);
		if (err == INTAKE_OK && !added)
			err = intake_cache_get(ctx->marks, MARK_SECTION, ref, cur, sizeof(cur), &len,
			    &hit);
	}
	if (err == INTAKE_ETOOBIG) {
		/* Longer than any host id: not ours. */
		*out = INTAKE_MARK_OTHERS;
		return INTAKE_OK;
	}
	if (err != INTAKE_OK)
		return err;
	if (!added && !hit)
		return INTAKE_EBUSY;
	*out = added || mark_is_ours(cur, len, id) ? INTAKE_MARK_OURS : INTAKE_MARK_OTHERS;
	return INTAKE_OK;
}

enum intake_err
intake_deliver_mark(struct intake_ctx *ctx, const char *ref, enum intake_deliver_mark *out)
{
	char		id[HOST_ID_LEN + 1];
	enum intake_err	err;

	*out = INTAKE_MARK_OURS;
	if (ctx->marks == NULL || intake_cache_status(ctx->marks) == INTAKE_CACHE_STATUS_LOCAL)
		return INTAKE_OK;
	if (intake_cache_status(ctx->marks) != INTAKE_CACHE_STATUS_SHARED) {
		*out = INTAKE_MARK_UNSHARED;
		return INTAKE_OK;
	}
	intake_deliver_host_id(ctx->cfg, id);
	err = mark_shared(ctx, ref, id, out);
	/* A call that found Redis gone was answered by this host's store: it checked nothing. */
	if (intake_cache_status(ctx->marks) != INTAKE_CACHE_STATUS_SHARED) {
		(void)intake_cache_del(ctx->marks, MARK_SECTION, ref, id, HOST_ID_LEN);
		*out = INTAKE_MARK_UNSHARED;
		return INTAKE_OK;
	}
	return err;
}

void
intake_deliver_unmark(struct intake_ctx *ctx, const char *ref)
{
	char	id[HOST_ID_LEN + 1];

	if (ctx->marks == NULL || intake_cache_status(ctx->marks) == INTAKE_CACHE_STATUS_LOCAL)
		return;
	intake_deliver_host_id(ctx->cfg, id);
	(void)intake_cache_del(ctx->marks, MARK_SECTION, ref, id, HOST_ID_LEN);
}

/*
 * v7: take a request for this submission, durably and atomically across
 * processes and hosts.  True when it is now ours or was ours already; a
 * request another submission claimed is not ours to fill.  False with
 * c->err set: it could not be decided now (Redis down); try later.
 */
static bool
claim(void *arg, const char *sid)
{
	struct claimer		*c = arg;
	enum intake_spool_claim	 got;
	enum intake_err		 err;

	c->fresh = false;
	err = intake_deliver_claim(c->ctx, sid, c->ref, &got);
	if (err != INTAKE_OK) {
		c->err = err;
		return false;
	}
	c->fresh = got == INTAKE_CLAIM_NEW;
	return got != INTAKE_CLAIM_OTHERS;
}

/*
 * The orphan search claimed a request that turned out filled: let it go,
 * here and where every host sees it (only while it still names us), so
 * that it never seems, to whoever filled it, taken by another.  A claim
 * held from before is kept.
 */
static void
unclaim(void *arg, const char *sid)
{
	struct claimer	*c = arg;

	if (c->fresh)
		intake_deliver_unclaim(c->ctx, sid, c->ref);
}

/* Did this submission claim sid before (its start noted nowhere else: a crash between)? */
static bool
held(void *arg, const char *sid)
{
	struct claimer	*c = arg;

	return intake_deliver_claim_held(c->ctx, sid, c->ref);
}

static enum intake_err
journal_started(void *arg, const struct intake_reqstart_result *r)
{
	struct journal	*j = arg;
	struct claimer	 c = { j->ctx, j->h->ref, false, INTAKE_OK };
	bool		 ours;
	enum intake_err	 err;

	/* Claim, then note: a claim that outlives us still names this submission. */
	ours = claim(&c, r->instance_sid);
	if (!ours && c.err == INTAKE_OK) {
		/* Adopted, in the moment since it started, by a submission whose start was lost. */
		intake_log_warn("deliver %s: request %s was taken by another submission; this one "
		    "starts again", j->h->ref, r->instance_sid);
		j->taken = true;
		return INTAKE_ECACHE;
	}
	/*
	 * Undecided (Redis down): note the SID but send no values.  The retry
	 * claims it first (before_start) and fills it, or starts again when
	 * another submission adopted it meanwhile.
	 */
	(void)intake_strlcpy(j->meta->sid, r->instance_sid, sizeof(j->meta->sid));
	(void)intake_strlcpy(j->meta->id, r->instance_id, sizeof(j->meta->id));
	j->meta->unsure = false;
	err = intake_spool_set_meta(j->ctx->spool, j->h->ref, j->meta);
	return err != INTAKE_OK || ours ? err : c.err;
}

static bool	searchable(const struct intake_ctx *ctx);

static enum intake_deliver_outcome
finish_done(struct intake_ctx *ctx, struct intake_spool_hold *h,
    const struct intake_spoolrec *rec, struct intake_spool_meta *meta, const char *how)
{
	struct intake_log_line	l;

	meta->at_ms = intake_now_ms();
	meta->unsure = false;
	meta->error[0] = '\0';
	intake_metrics_count(INTAKE_METRIC_SPOOL_DELIVERED);
	/*
	 * Where a retry searches Integrify for the reference first, a receipt
	 * lost to a power cut costs one search: it waits for the checkpoint.
	 * Elsewhere it is what stops a second start, so it is synced now.
	 */
	if (intake_spool_done(ctx->spool, h, meta, !searchable(ctx)) != INTAKE_OK)
		/* Still in queue/: the next look finds the request by its SID or reference. */
		intake_log_err("deliver %s: request %s %s, but its receipt was not written",
		    h->ref, meta->sid, how);
	else {
		intake_log_begin(&l, INTAKE_LOG_INFO, "submission_delivered");
		intake_log_str(&l, "form", rec->form);
		intake_log_str(&l, "ref", h->ref);
		intake_log_str(&l, "sid", meta->sid);
		intake_log_str(&l, "how", how);
		intake_log_int(&l, "attempts", meta->attempts);
		intake_log_int(&l, "ms", meta->at_ms - rec->created_ms);
		intake_log_end(&l);
	}
	return INTAKE_DELIVER_DONE;
}

/*
 * Several hosts: the same form was accepted here and on another host
 * (replayed while Redis was unreachable), and that host holds the
 * reference's mark, so it delivers.  This copy is not started: it is
 * done without a request (the receipt names none), counted and logged
 * once.
 */
static enum intake_deliver_outcome
finish_elsewhere(struct intake_ctx *ctx, struct intake_spool_hold *h,
    const struct intake_spoolrec *rec, struct intake_spool_meta *meta)
{
	meta->at_ms = intake_now_ms();
	meta->unsure = false;
	meta->sid[0] = '\0';
	meta->id[0] = '\0';
	(void)intake_strlcpy(meta->error, "accepted by another host too, which delivers it; "
	    "not started here", sizeof(meta->error));
	/* Not synced at once: restored after a power cut, the mark decides again. */
	if (intake_spool_done(ctx->spool, h, meta, false) != INTAKE_OK) {
		/* Still in queue/: the next attempt finds the mark another host's again. */
		intake_log_err("deliver %s: another host delivers it, but that was not recorded "
		    "here", h->ref);
		return INTAKE_DELIVER_DONE;
	}
	intake_metrics_count(INTAKE_METRIC_SPOOL_DUPLICATE);
	intake_log_event(INTAKE_LOG_WARN, "submission_duplicate", "form", rec->form, "ref",
	    h->ref, "why", "accepted by another host too while Redis was unreachable; that "
	    "host delivers it, this copy is not started", NULL);
	return INTAKE_DELIVER_DONE;
}

/* Set the record aside for a person (spool.c); kept queued for a retry when dead/ refuses it. */
static enum intake_deliver_outcome
finish_held(struct intake_ctx *ctx, struct intake_spool_hold *h,
    const struct intake_spoolrec *rec, struct intake_spool_meta *meta, const char *why)
{
	if (intake_spool_set_aside(ctx->spool, h, meta, rec->form, rec->created_ms, why,
	    ctx->cfg->spool_retry_max * 1000) != INTAKE_OK)
		return INTAKE_DELIVER_RETRY;
	return INTAKE_DELIVER_HELD;
}

/*
 * Integrify already lists a request naming the reference, but its SID
 * cannot be read: the submission is held with that item and never
 * started again (a reference seen in Integrify is never started twice).
 */
static enum intake_deliver_outcome
finish_seen(struct intake_ctx *ctx, struct intake_spool_hold *h,
    const struct intake_spoolrec *rec, struct intake_spool_meta *meta, const struct intake_reply_hit *hit)
{
	(void)intake_strlcpy(meta->item, hit->item, sizeof(meta->item));
	return finish_held(ctx, h, rec, meta, "Integrify lists a request that may be this one, but its "
	    "id could not be read; find it in Integrify: if it is there, purge this submission, "
	    "else retry it");
}

static enum intake_deliver_outcome
finish_retry(struct intake_ctx *ctx, struct intake_spool_hold *h,
    const struct intake_spoolrec *rec, struct intake_spool_meta *meta, int64_t not_before)
{
	int64_t		now = intake_now_ms(), since;
	uint32_t	rnd = 0;
	char		why[200];

	since = meta->revived_ms > rec->created_ms ? meta->revived_ms : rec->created_ms;
	if (now - since > ctx->cfg->spool_max_age * 1000) {
		(void)snprintf(why, sizeof(why), "gave up after %lld attempts: %s",
		    meta->attempts, meta->error);
		return finish_held(ctx, h, rec, meta, why);
	}
	meta->at_ms = now;
	(void)RAND_bytes((unsigned char *)&rnd, sizeof(rnd));
	meta->next_ms = now + intake_deliver_backoff_ms(ctx->cfg, meta->attempts, rnd);
	if (meta->next_ms < not_before)
		meta->next_ms = not_before;
	if (intake_spool_set_meta(ctx->spool, h->ref, meta) != INTAKE_OK)
		intake_log_err("deliver %s: its state was not saved", h->ref);
	intake_metrics_count(INTAKE_METRIC_SPOOL_HELD);
	return INTAKE_DELIVER_RETRY;
}

/* The time a Retry-After asks us to wait until, 0 when none. */
static int64_t
retry_after_ms(const struct intake_reqstart_result *r)
{
	return r->retry_after > 0 ? intake_now_ms() + r->retry_after * 1000 : 0;
}

/* The lookup before a start failed because Integrify is failing: an attempt, retried later. */
static enum intake_deliver_outcome
lookup_failed(struct intake_ctx *ctx, struct intake_spool_hold *h,
    const struct intake_spoolrec *rec, struct intake_spool_meta *meta, enum intake_err err,
    const struct intake_reqstart_result *r)
{
	intake_breaker_failure(ctx, r->retry_after);
	meta->attempts++;
	describe(meta->error, sizeof(meta->error), err, r);
	return finish_retry(ctx, h, rec, meta, retry_after_ms(r));
}

/*
 * Can an earlier attempt be found in Integrify, by its reference (v8)?
 * Through the request search, or ([spool] lookup = list) the request
 * list, which only a one-step start may use: a two-step request found
 * could still lack its values.
 */
static bool
searchable(const struct intake_ctx *ctx)
{
	if (!ctx->cfg->spool_dedupe)
		return false;
	switch (ctx->cfg->spool_lookup) {
	case INTAKE_LOOKUP_SEARCH:
		return intake_reqstart_can_find(ctx);
	case INTAKE_LOOKUP_LIST:
		return !intake_reqstart_two_step(ctx);
	case INTAKE_LOOKUP__MAX:
		break;
	}
	return false;
}

/* Can a request a lost start left empty be found and filled (v7)? */
static bool
adoptable(const struct intake_ctx *ctx)
{
	return ctx->cfg->spool_dedupe && intake_reqstart_can_orphan(ctx);
}

/*
 * v7, after a start whose answer was lost: fill the request it left
 * empty, if there is one, instead of starting another.  Returns true
 * with *outcome when this attempt ends here (retry, or held when
 * Integrify cannot list requests); false to go on, with meta->sid set
 * when a request was adopted.
 */
static bool
adopt_orphan(struct intake_ctx *ctx, struct intake_spool_hold *h,
    const struct intake_spoolrec *rec, const struct intake_form *form,
    struct intake_spool_meta *meta, enum intake_deliver_outcome *outcome)
{
	struct intake_reqstart_result	r;
	struct intake_reply_hit		hit;
	struct claimer			c = { ctx, h->ref, false, INTAKE_OK };
	struct intake_reqstart_claims	cl = { claim, unclaim, held, &c, h->ref };
	enum intake_err			err;

	err = intake_reqstart_orphan(ctx, form, rec->created_ms - ORPHAN_SKEW_MS, &cl, &r,
	    &hit);
	if (c.err != INTAKE_OK && hit.match != INTAKE_REPLY_FOUND) {
		/* A request passed over undecided (Redis down) may be ours to fill: later. */
		*outcome = finish_retry(ctx, h, rec, meta, 0);
		return true;
	}
	if (err != INTAKE_OK && intake_breaker_counts(err)) {
		*outcome = lookup_failed(ctx, h, rec, meta, err, &r);
		return true;
	}
	if (err != INTAKE_OK) {
		intake_log_warn("deliver %s: Integrify's request list is unavailable (%s): every "
		    "start whose answer was lost is held for a person until the service account "
		    "can list its requests (GET /instances/mine)", h->ref, intake_strerror(err));
		*outcome = finish_held(ctx, h, rec, meta, "an earlier attempt may have started the "
		    "request and Integrify cannot list them; check it, then retry or purge it");
		return true;
	}
	if (hit.match == INTAKE_REPLY_UNREADABLE) {
		*outcome = finish_seen(ctx, h, rec, meta, &hit);
		return true;
	}
	meta->unsure = false;
	if (hit.match == INTAKE_REPLY_FOUND) {
		(void)intake_strlcpy(meta->sid, r.instance_sid, sizeof(meta->sid));
		(void)intake_strlcpy(meta->id, r.instance_id, sizeof(meta->id));
		intake_log_info("deliver %s: request %s, left without values by a lost answer, "
		    "gets them", h->ref, meta->sid);
	}
	/* Noted before the values go, like any start. */
	if (intake_spool_set_meta(ctx->spool, h->ref, meta) != INTAKE_OK) {
		*outcome = finish_retry(ctx, h, rec, meta, 0);
		return true;
	}
	return false;
}

/*
 * Look for an earlier start of rec as [spool] lookup says: the request
 * search by its reference, or the form's process's request list read
 * back to a minute before the submission (clocks differ).
 */
static enum intake_err
look_up(struct intake_ctx *ctx, const struct intake_spoolrec *rec,
    struct intake_reqstart_result *r, struct intake_reply_hit *hit)
{
	const struct intake_form	*form;

	if (ctx->cfg->spool_lookup != INTAKE_LOOKUP_LIST)
		return intake_reqstart_find(ctx, rec->ref, r, hit);
	form = ctx->forms != NULL ? intake_form_find(ctx->forms, rec->form, strlen(rec->form)) :
	    NULL;
	if (form == NULL) {
		memset(hit, 0, sizeof(*hit));
		hit->match = INTAKE_REPLY_NONE;
		return INTAKE_EINVAL;
	}
	return intake_reqstart_find_listed(ctx, form, rec->ref, rec->created_ms - ORPHAN_SKEW_MS,
	    r, hit);
}

/* The lookup [spool] lookup names is refused or unreadable: say what would help, once per attempt. */
static void
lookup_unavailable(const struct intake_ctx *ctx, const char *ref, enum intake_err err)
{
	if (ctx->cfg->spool_lookup == INTAKE_LOOKUP_LIST)
		intake_log_warn("deliver %s: Integrify's request list is unavailable (%s): a start "
		    "whose answer was lost cannot be checked and is held for a person until the "
		    "service account can list its requests (GET /instances/mine), or configure "
		    "[spool] lookup = search if the tenant's request search works", ref,
		    intake_strerror(err));
	else
		intake_log_warn("deliver %s: Integrify's request search is unavailable (%s): a "
		    "start whose answer was lost cannot be checked and is held for a person until "
		    "the service account can search (GET /api/instance/list/all); or configure "
		    "[spool] lookup = list to look through its request list (GET /instances/mine) "
		    "instead", ref, intake_strerror(err));
}

/*
 * Before a retry (v8): did an earlier attempt start the request?  Returns
 * true with *outcome when this attempt ends here: the request was found
 * (done), the lookup failed for now (retry), or it cannot be looked up
 * and the earlier attempt may have got through (held).  False: go on
 * and start it.
 */
static bool
earlier_start(struct intake_ctx *ctx, struct intake_spool_hold *h,
    const struct intake_spoolrec *rec, struct intake_spool_meta *meta,
    enum intake_deliver_outcome *outcome)
{
	struct intake_reqstart_result	r;
	struct intake_reply_hit		hit;
	enum intake_err			err;

	err = look_up(ctx, rec, &r, &hit);
	if (err == INTAKE_OK && hit.match == INTAKE_REPLY_UNREADABLE) {
		intake_breaker_success(ctx);
		*outcome = finish_seen(ctx, h, rec, meta, &hit);
		return true;
	}
	if (err == INTAKE_OK && hit.match == INTAKE_REPLY_FOUND) {
		/* The lookup answered: Integrify is up. */
		intake_breaker_success(ctx);
		(void)intake_strlcpy(meta->sid, r.instance_sid, sizeof(meta->sid));
		(void)intake_strlcpy(meta->id, r.instance_id, sizeof(meta->id));
		*outcome = finish_done(ctx, h, rec, meta, "was found started by an earlier attempt");
		return true;
	}
	if (err == INTAKE_OK)
		return false;
	if (intake_breaker_counts(err)) {
		/* Integrify is failing: the lookup is retried with the start. */
		*outcome = lookup_failed(ctx, h, rec, meta, err, &r);
		return true;
	}
	/*
	 * The tenant refuses the lookup itself (404, 403, a reply we cannot
	 * read, a list too long to read back): no check is possible, so do
	 * as without one.
	 */
	lookup_unavailable(ctx, h->ref, err);
	if (!meta->unsure)
		return false;
	*outcome = finish_held(ctx, h, rec, meta, "an earlier attempt may have started the request "
	    "and Integrify cannot be checked; find its reference there, then retry or purge it");
	return true;
}

/*
 * Two-step, with a request noted: claim it again before its values go.
 * Another submission's now: forget it (true).  That one was adopted by a
 * submission whose own start was lost, leaving a request empty: with the
 * orphan search, ours looks for it (as after an unsure start) rather than
 * start one more.  False: the claim cannot be decided now (Redis down).
 */
static bool
noted_ours(struct intake_ctx *ctx, struct intake_spool_hold *h, struct intake_spool_meta *meta)
{
	struct claimer	c = { ctx, h->ref, false, INTAKE_OK };

	if (claim(&c, meta->sid))
		return true;
	if (c.err != INTAKE_OK)
		return false;
	intake_log_warn("deliver %s: request %s belongs to another submission", h->ref,
	    meta->sid);
	meta->sid[0] = '\0';
	meta->id[0] = '\0';
	meta->unsure = adoptable(ctx);
	return true;
}

/* Said once per process and outage, like claims_down_said. */
static bool	marks_down_said;

/*
 * Several hosts: a record accepted while Redis was unreachable was not
 * checked against the other hosts' marks.  Before it starts, it waits
 * until Redis answers, then marks its reference (set-if-absent): ours,
 * or newly added, and it goes on (true); another host's, and it is that
 * host's to deliver (done here, not started).  False with *outcome when
 * this attempt ends here.
 */
static bool
marked_ours(struct intake_ctx *ctx, struct intake_spool_hold *h,
    const struct intake_spoolrec *rec, struct intake_spool_meta *meta,
    enum intake_deliver_outcome *outcome)
{
	enum intake_deliver_mark	mark;
	enum intake_err			err;

	err = intake_deliver_mark(ctx, h->ref, &mark);
	if (err == INTAKE_OK && mark == INTAKE_MARK_OURS) {
		marks_down_said = false;
		return true;
	}
	if (err == INTAKE_OK && mark == INTAKE_MARK_OTHERS) {
		*outcome = finish_elsewhere(ctx, h, rec, meta);
		return false;
	}
	if (err == INTAKE_OK && !marks_down_said)
		intake_log_warn("deliver %s: accepted while Redis was unreachable, so not checked "
		    "against the other hosts; such submissions wait in the queue until Redis is "
		    "back, then start unless another host took the same form", h->ref);
	marks_down_said = marks_down_said || err == INTAKE_OK;
	if (err == INTAKE_OK)
		(void)intake_strlcpy(meta->error, "waits for Redis: its reference is checked "
		    "against the other hosts before it starts", sizeof(meta->error));
	else
		(void)snprintf(meta->error, sizeof(meta->error), "its reference could not be "
		    "checked against the other hosts: %s", intake_strerror(err));
	*outcome = finish_retry(ctx, h, rec, meta, 0);
	return false;
}

/*
 * What comes before a start: a one-call start noted as made is done; a
 * record accepted while Redis was down waits for it, and is not started
 * when another host took the same form; a two-step start waits while
 * its claims cannot be decided; an open breaker defers; a noted two-step
 * request another submission took is forgotten; then the look for an
 * earlier start (search or orphan), or a hold when an unsure start cannot
 * be looked for.  Returns true with *outcome when this attempt ends here.
 */
static bool
before_start(struct intake_ctx *ctx, struct intake_spool_hold *h,
    const struct intake_spoolrec *rec, const struct intake_form *form, bool check,
    struct intake_spool_meta *meta, enum intake_deliver_outcome *outcome)
{
	int64_t	until;
	bool	probe;

	*outcome = INTAKE_DELIVER_RETRY;
	/* A one-call start: a SID noted means it got through (its receipt was lost). */
	if (meta->sid[0] != '\0' && !intake_reqstart_two_step(ctx)) {
		*outcome = finish_done(ctx, h, rec, meta, "was started earlier");
		return true;
	}
	/*
	 * Accepted while Redis was down: before any start (a noted SID means
	 * the check passed earlier), the reference is checked against the
	 * other hosts'.  It waits while Redis is down, as a v7 claim does,
	 * and ends this attempt before the v7 wait is looked at: one retry.
	 */
	if (rec->unmarked && meta->sid[0] == '\0' && !marked_ours(ctx, h, rec, meta, outcome))
		return true;
	/*
	 * Two-step (v7): a start, a resume and the orphan search each need a
	 * claim, and none is decided without Redis: wait in the queue, without
	 * a call to Integrify and without a request left unclaimed.
	 */
	if (intake_reqstart_two_step(ctx) && ctx->marks != NULL &&
	    intake_cache_status(ctx->marks) == INTAKE_CACHE_STATUS_FALLBACK) {
		(void)claims_down(h->ref);
		*outcome = finish_retry(ctx, h, rec, meta, 0);
		return true;
	}
	if (!intake_breaker_allow(ctx, &probe)) {
		(void)intake_breaker_state(ctx, &until);
		meta->next_ms = until > 0 ? until :
		    intake_now_ms() + ctx->cfg->breaker_cooldown * 1000;
		(void)intake_spool_set_meta(ctx->spool, h->ref, meta);
		return true;
	}
	if (meta->sid[0] != '\0' && intake_reqstart_two_step(ctx) && !noted_ours(ctx, h, meta)) {
		/* Undecided (Redis down): the values wait, the start is not made again. */
		*outcome = finish_retry(ctx, h, rec, meta, 0);
		return true;
	}
	if (check && searchable(ctx) && meta->sid[0] == '\0')
		return earlier_start(ctx, h, rec, meta, outcome);
	if (meta->unsure && meta->sid[0] == '\0' && adoptable(ctx))
		return adopt_orphan(ctx, h, rec, form, meta, outcome);
	if (meta->unsure && meta->sid[0] == '\0') {
		*outcome = finish_held(ctx, h, rec, meta, "an earlier attempt may have started the "
		    "request; check Integrify for the reference, then retry or purge it");
		return true;
	}
	return false;
}

/*
 * The start itself, with rec's values: marked unsure on disk first when
 * nothing could tell a retry it got through, and (two-step) its SID
 * noted by journal_started() before the values go.  *ended: the attempt
 * ended before the start (held or retry, in *outcome).
 */
static enum intake_err
start(struct intake_ctx *ctx, struct intake_spool_hold *h, const struct intake_spoolrec *rec,
    const struct intake_form *form, struct intake_spool_meta *meta, struct journal *j,
    struct intake_reqstart_result *r, bool *ended, enum intake_deliver_outcome *outcome)
{
	struct intake_reqstart_opts	 o;
	struct intake_form_value	*values;
	enum intake_err			 err = INTAKE_OK;
	char				 why[200];

	*ended = true;
	values = intake_xcalloc(INTAKE_FIELDS_MAX, sizeof(*values));
	if (intake_spoolrec_to_values(rec, form, values, why, sizeof(why)) != INTAKE_OK) {
		*outcome = finish_held(ctx, h, rec, meta, why);
		goto out;
	}
	if (!searchable(ctx) && meta->sid[0] == '\0') {
		/* Nothing could tell a retry that this attempt got through: say so first. */
		meta->unsure = true;
		if (intake_spool_set_meta(ctx->spool, h->ref, meta) != INTAKE_OK) {
			meta->unsure = false;
			*outcome = finish_retry(ctx, h, rec, meta, 0);
			goto out;
		}
	}
	*ended = false;
	memset(&o, 0, sizeof(o));
	o.request_name = rec->name;
	o.reference = rec->ref;
	o.resume_sid = meta->sid[0] != '\0' ? meta->sid : NULL;
	*j = (struct journal){ ctx, h, meta, false };
	o.started = journal_started;
	o.arg = j;
	err = intake_reqstart(ctx, form, values, form->nfields, &o, r);
	meta->attempts++;
out:
	free(values);
	return err;
}

/* A start that failed with err: held when it never will, else retried later. */
static enum intake_deliver_outcome
start_failed(struct intake_ctx *ctx, struct intake_spool_hold *h,
    const struct intake_spoolrec *rec, struct intake_spool_meta *meta, enum intake_err err,
    const struct intake_reqstart_result *r, bool taken)
{
	struct intake_log_line	l;
	int64_t			not_before, settle;

	describe(meta->error, sizeof(meta->error), err, r);
	/*
	 * Two-step with its SID noted: the start is safe, only the values
	 * are left to send.  A request of ours that another submission
	 * adopted means that one's lost start left a request empty: the
	 * retry looks for it (as after an unsure start) rather than start
	 * one more.
	 */
	meta->unsure = (r->unsure || taken) && meta->sid[0] == '\0';
	if (permanent(err, r))
		return finish_held(ctx, h, rec, meta, meta->error);
	/*
	 * A call cut by the inline budget says Integrify is slower than a
	 * user should wait, not that it fails: the breaker is not told.
	 */
	if (intake_breaker_counts(err) &&
	    !(err == INTAKE_ETIMEOUT && intake_http_deadline_passed(ctx->http)))
		intake_breaker_failure(ctx, r->retry_after);
	intake_log_begin(&l, INTAKE_LOG_WARN, "delivery_failed");
	intake_log_str(&l, "form", rec->form);
	intake_log_str(&l, "ref", h->ref);
	intake_log_int(&l, "attempt", meta->attempts);
	intake_log_str(&l, "unsure", r->unsure ? "true" : "false");
	intake_log_str(&l, "error", meta->error);
	intake_log_end(&l);
	not_before = retry_after_ms(r);
	/*
	 * A start that timed out may still be running in Integrify: give it
	 * time to finish before the retry looks for it.
	 */
	settle = intake_now_ms() + SETTLE_TIMEOUTS * ctx->cfg->timeout_ms;
	if (r->unsure && not_before < settle)
		not_before = settle;
	return finish_retry(ctx, h, rec, meta, not_before);
}

enum intake_deliver_outcome
intake_deliver(struct intake_ctx *ctx, struct intake_spool_hold *h,
    const struct intake_spoolrec *rec, const struct intake_form *form, bool check,
    struct intake_spool_meta *meta)
{
	struct intake_reqstart_result	r;
	struct journal			j;
	enum intake_deliver_outcome	outcome;
	enum intake_err			err;
	bool				ended;

	if (before_start(ctx, h, rec, form, check, meta, &outcome))
		return outcome;
	err = start(ctx, h, rec, form, meta, &j, &r, &ended, &outcome);
	if (ended)
		return outcome;
	if (err != INTAKE_OK)
		return start_failed(ctx, h, rec, meta, err, &r, j.taken);
	intake_breaker_success(ctx);
	(void)intake_strlcpy(meta->sid, r.instance_sid, sizeof(meta->sid));
	if (r.instance_id[0] != '\0')
		(void)intake_strlcpy(meta->id, r.instance_id, sizeof(meta->id));
	return finish_done(ctx, h, rec, meta, "started");
}

enum intake_deliver_outcome
intake_deliver_now(struct intake_ctx *ctx, struct intake_spool_hold *h,
    const struct intake_spoolrec *rec, const struct intake_form *form,
    struct intake_spool_meta *meta)
{
	const struct intake_config	*cfg = ctx->cfg;
	enum intake_deliver_outcome	 outcome;
	int64_t				 budget = cfg->spool_inline_budget_ms;

	if (budget > cfg->timeout_ms)
		budget = cfg->timeout_ms;
	/*
	 * Every call of this attempt (token, uploads, the start, v7's values)
	 * ends by the deadline.  A start cut short is "unsure" like any timed
	 * out start, so the dispatcher looks for it before it starts another.
	 */
	intake_http_deadline(ctx->http, intake_now_ms() + budget);
	outcome = intake_deliver(ctx, h, rec, form, false, meta);
	if (outcome == INTAKE_DELIVER_RETRY && intake_http_deadline_passed(ctx->http)) {
		intake_log_info("deliver %s: not started within inline_budget_ms; the dispatcher "
		    "finishes it", h->ref);
		intake_upstream_pause_inline(ctx);
	}
	intake_http_deadline(ctx->http, 0);
	return outcome;
}
