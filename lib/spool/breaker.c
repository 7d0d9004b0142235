/*
 * breaker.c - the shared circuit breaker (breaker.h).
 *
 * Its state is four marks-cache keys, so every worker and the dispatcher
 * see the same breaker:
 *
 *	fails	 consecutive failures (an atomic counter), reset by a success
 *	open	 present while open; its value is the end of the cool-down
 *	tripped	 present from opening until a success: "half-open" once open is gone
 *	probe	 the one caller allowed through while half-open (set-if-absent)
 *	closed	 when it last closed (for the dispatcher's catch-up)
 */
#include <stdio.h>
#include <string.h>

#include "cache/cache.h"
#include "spool/breaker.h"
#include "core/log.h"
#include "core/metrics.h"
#include "util/str.h"
#include "util/nelem.h"

#define SECTION		"breaker"
#define KEEP_MS		(24 * 3600 * 1000LL)	/* how long the bookkeeping keys live */

static const char *const state_names[] = {
	"closed",	/* INTAKE_BREAKER_CLOSED */
	"open",		/* INTAKE_BREAKER_OPEN */
	"half-open",	/* INTAKE_BREAKER_HALF_OPEN */
};
INTAKE_ROWS(state_names, INTAKE_BREAKER__MAX);

const char *
intake_breaker_state_name(enum intake_breaker_state st)
{
	return (unsigned)st < INTAKE_BREAKER__MAX ? state_names[st] : "unknown";
}

bool
intake_breaker_counts(enum intake_err err)
{
	switch (err) {
	case INTAKE_ETIMEOUT:
	case INTAKE_EUPSTREAM:
	case INTAKE_EAUTH:
	case INTAKE_EBACKOFF:
		return true;
	case INTAKE_OK:
	case INTAKE_ENOMEM:
	case INTAKE_ESYS:
	case INTAKE_ECONFIG:
	case INTAKE_EINVAL:
	case INTAKE_ETOOBIG:
	case INTAKE_EDENIED:
	case INTAKE_ENOTFOUND:
	case INTAKE_EPROTO:
	case INTAKE_ECACHE:
	case INTAKE_EBUSY:
	case INTAKE_ERR__MAX:
		return false;
	}
	return false;
}

/* An epoch-ms value stored as decimal text, 0 when missing. */
static int64_t
get_ms(struct intake_ctx *ctx, const char *name)
{
	char		buf[32];
	size_t		len;
	long long	v;
	bool		hit;

	if (intake_cache_get(ctx->marks, SECTION, name, buf, sizeof(buf) - 1, &len, &hit) !=
	    INTAKE_OK || !hit)
		return 0;
	buf[len] = '\0';
	return intake_parse_int(buf, 0, INT64_MAX, &v) == INTAKE_OK ? (int64_t)v : 0;
}

static void
set_ms(struct intake_ctx *ctx, const char *name, int64_t v, int64_t expires)
{
	char	buf[32];

	_Static_assert(sizeof(buf) <= INTAKE_CACHE_MARK_VALUE_MAX, "a time fits a marks value");
	(void)snprintf(buf, sizeof(buf), "%lld", (long long)v);
	(void)intake_cache_set(ctx->marks, SECTION, name, buf, strlen(buf), expires);
}

enum intake_breaker_state
intake_breaker_state(struct intake_ctx *ctx, int64_t *open_until)
{
	int64_t	until = get_ms(ctx, "open");

	*open_until = 0;
	if (until > intake_now_ms()) {
		*open_until = until;
		return INTAKE_BREAKER_OPEN;
	}
	return get_ms(ctx, "tripped") != 0 ? INTAKE_BREAKER_HALF_OPEN : INTAKE_BREAKER_CLOSED;
}

bool
intake_breaker_allow(struct intake_ctx *ctx, bool *probe)
{
	int64_t	until, now = intake_now_ms();
	bool	added = false;

	*probe = false;
	switch (intake_breaker_state(ctx, &until)) {
	case INTAKE_BREAKER_CLOSED:
		return true;
	case INTAKE_BREAKER_OPEN:
	case INTAKE_BREAKER__MAX:
		return false;
	case INTAKE_BREAKER_HALF_OPEN:
		/* The probe's claim lapses if it dies: someone else probes then. */
		if (intake_cache_add(ctx->marks, SECTION, "probe", "1", 1,
		    now + 2 * ctx->cfg->timeout_ms + 1000, &added) != INTAKE_OK)
			return false;
		*probe = added;
		return added;
	}
	return false;
}

void
intake_breaker_success(struct intake_ctx *ctx)
{
	(void)intake_cache_del(ctx->marks, SECTION, "fails", NULL, 0);
	if (get_ms(ctx, "tripped") == 0)
		return;
	(void)intake_cache_del(ctx->marks, SECTION, "tripped", NULL, 0);
	(void)intake_cache_del(ctx->marks, SECTION, "open", NULL, 0);
	(void)intake_cache_del(ctx->marks, SECTION, "probe", NULL, 0);
	set_ms(ctx, "closed", intake_now_ms(), intake_now_ms() + KEEP_MS);
	intake_log_event(INTAKE_LOG_INFO, "breaker_closed", "msg",
	    "breaker: closed: Integrify answers again", NULL);
}

void
intake_breaker_failure(struct intake_ctx *ctx, long retry_after_s)
{
	const struct intake_config	*cfg = ctx->cfg;
	struct intake_log_line		 l;
	int64_t				 now = intake_now_ms(), cool, until;
	long long			 n;
	bool				 was_tripped;

	if (intake_cache_incr(ctx->marks, SECTION, "fails", now + KEEP_MS, &n) != INTAKE_OK)
		return;
	was_tripped = get_ms(ctx, "tripped") != 0;
	if (n < cfg->breaker_failures && !was_tripped)
		return;
	/* Already open: a late failure of a call let through earlier changes nothing. */
	if (get_ms(ctx, "open") > now)
		return;
	cool = cfg->breaker_cooldown * 1000;
	if (retry_after_s > 0 && retry_after_s * 1000LL > cool)
		cool = retry_after_s * 1000LL;
	until = now + cool;
	set_ms(ctx, "open", until, until);
	set_ms(ctx, "tripped", now, now + KEEP_MS);
	intake_metrics_count(INTAKE_METRIC_BREAKER_OPENED);
	(void)intake_cache_del(ctx->marks, SECTION, "probe", NULL, 0);
	intake_log_begin(&l, INTAKE_LOG_WARN, "breaker_open");
	intake_log_int(&l, "cooldown_s", (long long)(cool / 1000));
	intake_log_int(&l, "failures", n);
	intake_log_str(&l, "msg", "breaker: open; new submissions are spooled");
	intake_log_end(&l);
}

int64_t
intake_breaker_closed_at(struct intake_ctx *ctx)
{
	return get_ms(ctx, "closed");
}
