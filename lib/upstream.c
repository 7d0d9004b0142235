/*
 * upstream.c - the shared budget of upstream slots (upstream.h).
 */
#include <stdio.h>
#include <unistd.h>

#include "intake/log.h"
#include "intake/metrics.h"
#include "intake/str.h"
#include "intake/upstream.h"

#define SECTION		"upstream"
#define PAUSE_NAME	"inline-paused"
#define CALLS_MAX	6	/* calls one unit may make: token, filters, rows, a retry each */

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

long long
intake_upstream_retry_after(const struct intake_config *cfg)
{
	return 1 + cfg->upstream_wait_ms / 1000;
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
