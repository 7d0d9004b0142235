/*
 * upstream.c - the shared budget of upstream slots, and how long upstream
 * work takes (upstream.h).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cache/cache.h"
#include "core/log.h"
#include "core/metrics.h"
#include "util/str.h"
#include "integrify/upstream.h"

#define SECTION		"upstream"
#define PAUSE_NAME	"inline-paused"
#define CALLS_MAX	6	/* calls one unit may make: token, filters, rows, a retry each */
#define TOOK_SECTION	"upstream-took"	/* per kind of work: its estimate, in ms */
#define RUN_SECTION	"upstream-run"	/* per unit of work in flight: its start, in ms */
/*
 * How long an estimate lasts without news.  Integrify's speed changes with
 * its load: what a fetch took ten minutes ago says little about now, and a
 * kind of work nobody did lately has no estimate (waiters wait, bounded).
 */
#define ESTIMATE_KEEP_MS	(10 * 60 * 1000LL)

/*
 * Slots this process holds, its own or shared by nested work.  A process
 * serves one request at a time, so this is per request; a forked child
 * starts from the supervisor's, which never holds one.
 */
static int	held;


long long
intake_upstream_count(const struct intake_config *cfg)
{
	if (cfg->upstream_slots > 0)
		return cfg->upstream_slots;
	return cfg->workers / 2 > 0 ? cfg->workers / 2 : 1;
}

long long
intake_upstream_lease_ms(const struct intake_config *cfg)
{
	return CALLS_MAX * cfg->timeout_ms + cfg->upstream_wait_ms + 1000;
}

void
intake_upstream_busy_until(struct intake_ctx *ctx, int64_t at_ms)
{
	ctx->upstream_busy_until_ms = at_ms;
}

/* A decimal ms value under section:name in the marks cache; 0 when missing or unreadable. */
static int64_t
get_ms(struct intake_ctx *ctx, const char *section, const char *name)
{
	char		buf[32];
	size_t		len;
	long long	v;
	bool		hit = false;

	if (ctx->marks == NULL ||
	    intake_cache_get(ctx->marks, section, name, buf, sizeof(buf), &len, &hit) !=
	    INTAKE_OK || !hit ||
	    intake_parse_intn(buf, len, 0, INT64_MAX, &v) != INTAKE_OK)
		return 0;
	return (int64_t)v;
}

static void
set_ms(struct intake_ctx *ctx, const char *section, const char *name, int64_t v,
    int64_t expires_ms)
{
	char	buf[32];

	_Static_assert(sizeof(buf) <= INTAKE_CACHE_MARK_VALUE_MAX, "a time fits a marks value");
	if (ctx->marks == NULL)
		return;
	(void)snprintf(buf, sizeof(buf), "%lld", (long long)v);
	(void)intake_cache_set(ctx->marks, section, name, buf, strlen(buf), expires_ms);
}

int64_t
intake_upstream_estimate(struct intake_ctx *ctx, const char *what)
{
	return get_ms(ctx, TOOK_SECTION, what);
}

int64_t
intake_upstream_estimate_next(int64_t est_ms, int64_t took_ms)
{
	int64_t	next;

	if (took_ms < 1)
		took_ms = 1;
	if (est_ms <= 0 || took_ms >= est_ms)
		next = took_ms;
	else
		next = est_ms - (est_ms - took_ms) / 2;
	return next;
}

int64_t
intake_upstream_expected_end(int64_t start_ms, int64_t est_ms, int64_t now_ms)
{
	if (start_ms <= 0 || est_ms <= 0)
		return 0;
	if (now_ms < start_ms + est_ms)
		return start_ms + est_ms;
	/* Overdue: it has run now - start; expect as long again. */
	return now_ms + (now_ms - start_ms);
}

bool
intake_upstream_worth_waiting(int64_t start_ms, int64_t est_ms, int64_t now_ms,
    int64_t deadline_ms, int64_t budget_ms, int64_t *end_ms)
{
	int64_t	end = intake_upstream_expected_end(start_ms, est_ms, now_ms);

	*end_ms = end;
	if (end == 0)
		return true;
	/*
	 * Work slower than any wait is not waited for even near its end: the
	 * waiter would hold a worker to gain less than the second of a
	 * Retry-After, and a slow Integrify would hold two workers, not one.
	 */
	if (est_ms > budget_ms)
		return false;
	return end <= deadline_ms;
}

int64_t
intake_upstream_begin(struct intake_ctx *ctx, const char *key, int64_t lease_ms)
{
	int64_t	now = intake_now_ms();

	set_ms(ctx, RUN_SECTION, key, now, now + lease_ms);
	return now;
}

/*
 * Fold the duration into the estimate.  Read, then write: two processes
 * ending work of one kind at once may lose one of the two updates, which
 * an estimate can afford (a lock per update could not be afforded).
 */
void
intake_upstream_end(struct intake_ctx *ctx, const char *key, const char *what,
    int64_t start_ms)
{
	int64_t	now = intake_now_ms(), est;

	if (ctx->marks == NULL)
		return;
	(void)intake_cache_del(ctx->marks, RUN_SECTION, key, NULL, 0);
	est = intake_upstream_estimate_next(intake_upstream_estimate(ctx, what), now - start_ms);
	set_ms(ctx, TOOK_SECTION, what, est, now + ESTIMATE_KEEP_MS);
}

int64_t
intake_upstream_began(struct intake_ctx *ctx, const char *key)
{
	return get_ms(ctx, RUN_SECTION, key);
}

/* Count the work without a lease of its own (nested, or the cache failed). */
static enum intake_err
share(struct intake_upstream_slot *s)
{
	held++;
	s->index = -1;
	s->taken = true;
	return INTAKE_OK;
}

/*
 * Try the slots in turn, starting at one chosen by pid so that processes
 * do not all contend for slot 0 first.
 */
enum intake_err
intake_upstream_take(struct intake_ctx *ctx, struct intake_upstream_slot *s)
{
	const struct intake_config	*cfg = ctx->cfg;
	long long			 n = intake_upstream_count(cfg), k, i;
	char				 name[32];
	enum intake_err			 err;
	bool				 leader;

	s->index = -1;
	s->taken = false;
	if (held > 0 || ctx->marks == NULL)
		return share(s);
	for (k = 0; k < n; k++) {
		i = ((long long)getpid() + k) % n;
		(void)snprintf(name, sizeof(name), "slot:%lld", i);
		err = intake_cache_lease(ctx->marks, SECTION, name,
		    intake_upstream_lease_ms(cfg), &leader);
		if (err != INTAKE_OK) {
			/* A broken budget must not stop the service: go on, uncounted. */
			intake_log_warn("upstream: cannot take a slot (%s); going on without one",
			    intake_strerror(err));
			return share(s);
		}
		if (leader) {
			intake_metrics_slot(1);
			held++;
			s->index = (int)i;
			s->taken = true;
			return INTAKE_OK;
		}
	}
	return INTAKE_EBUSY;
}

void
intake_upstream_give(struct intake_ctx *ctx, struct intake_upstream_slot *s)
{
	char	name[32];

	if (!s->taken)
		return;
	s->taken = false;
	if (held > 0)
		held--;
	if (s->index >= 0) {
		intake_metrics_slot(-1);
		(void)snprintf(name, sizeof(name), "slot:%d", s->index);
		(void)intake_cache_release(ctx->marks, SECTION, name);
	}
	s->index = -1;
}

void
intake_upstream_pause_inline(struct intake_ctx *ctx)
{
	const struct intake_config	*cfg = ctx->cfg;
	bool				 added = false;

	if (ctx->marks == NULL)
		return;
	(void)intake_cache_add(ctx->marks, SECTION, PAUSE_NAME, "1", 1,
	    intake_now_ms() + cfg->breaker_cooldown * 1000, &added);
	if (added)
		intake_log_warn("upstream: a start took longer than inline_budget_ms; new "
		    "submissions go to the dispatcher at once for %lld s", cfg->breaker_cooldown);
}

bool
intake_upstream_inline_paused(struct intake_ctx *ctx)
{
	char	v[8];
	size_t	len;
	bool	hit = false;

	if (ctx->marks == NULL ||
	    intake_cache_get(ctx->marks, SECTION, PAUSE_NAME, v, sizeof(v), &len, &hit) !=
	    INTAKE_OK)
		return false;
	return hit;
}
