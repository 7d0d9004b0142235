/*
 * token.c - the shared token: fresh, renewing, or remembered as failing.
 *
 * The cached value is text:
 *   "1 <fetched_ms> <expires_ms> <renew_ms> <fail_until_ms> <fail_err>\n<token>"
 * renew_ms is when to start renewing; fail_until_ms, when non-zero, says
 * a renewal failed with fail_err and is not to be tried again before then.
 * A failed renewal keeps a token that still works.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cache/cache.h"
#include "core/log.h"
#include "core/metrics.h"
#include "util/str.h"
#include "integrify/token.h"

#define TOKEN_SECTION	"token"
#define ENTRY_MAX	(INTAKE_TOKEN_MAX + 160)
#define SAFETY_MS	1000	/* stop using a token this long before its end */

struct entry {
	struct intake_token	tok;		/* tok.value[0] == 0: none */
	int64_t			renew_ms;
	int64_t			fail_until_ms;
	enum intake_err		fail_err;
};

void
intake_token_cache_name(const struct intake_config *cfg, char out[65])
{
	struct intake_buf	id;

	intake_buf_init(&id, 4 * INTAKE_SECRET_MAX);
	/* The key is part of the identity but only through a hash. */
	if (intake_buf_printf(&id, "%s|%s|%s|%s|%s|%s", intake_dialect_name(cfg->dialect),
	    intake_flow_name(cfg->flow), cfg->base_url, cfg->tenant, cfg->user, cfg->key)
	    != INTAKE_OK)
		(void)intake_buf_adds(&id, "?");
	intake_sha256_hex(intake_buf_str(&id), id.len, out);
	if (id.ptr != NULL)
		OPENSSL_cleanse(id.ptr, id.cap);
	intake_buf_free(&id);
}

/* Read the fields of an entry; INTAKE_EINVAL when malformed. */
static enum intake_err
entry_decode(const char *buf, size_t len, struct entry *e)
{
	const char	*p = buf, *end = buf + len, *sp;
	long long	 f[6];
	size_t		 i, toklen;

	memset(e, 0, sizeof(*e));
	for (i = 0; i < 6; i++) {
		sp = memchr(p, i == 5 ? '\n' : ' ', (size_t)(end - p));
		if (sp == NULL)
			return INTAKE_EINVAL;
		if (intake_parse_intn(p, (size_t)(sp - p), 0, INT64_MAX, &f[i]) != INTAKE_OK)
			return INTAKE_EINVAL;
		p = sp + 1;
	}
	if (f[0] != 1 || f[5] >= INTAKE_ERR__MAX)
		return INTAKE_EINVAL;
	toklen = (size_t)(end - p);
	if (toklen >= sizeof(e->tok.value))
		return INTAKE_EINVAL;
	memcpy(e->tok.value, p, toklen);
	e->tok.value[toklen] = '\0';
	e->tok.fetched_ms = f[1];
	e->tok.expires_ms = f[2];
	e->renew_ms = f[3];
	e->fail_until_ms = f[4];
	e->fail_err = (enum intake_err)f[5];
	return INTAKE_OK;
}

static int
entry_encode(const struct entry *e, char *buf, size_t cap)
{
	int	n;

	n = snprintf(buf, cap, "1 %" PRId64 " %" PRId64 " %" PRId64 " %" PRId64 " %d\n%s",
	    e->tok.fetched_ms, e->tok.expires_ms, e->renew_ms, e->fail_until_ms,
	    (int)e->fail_err, e->tok.value);
	return n < 0 || (size_t)n >= cap ? -1 : n;
}

/* *hit false: nothing cached (or an unreadable value, treated alike). */
static enum intake_err
entry_read(struct intake_ctx *ctx, const char *name, struct entry *e, char *raw,
    size_t *rawlen, bool *hit)
{
	enum intake_err	err;
	size_t		len;
	bool		h;

	err = intake_cache_get(ctx->cache, TOKEN_SECTION, name, raw, ENTRY_MAX, &len, &h);
	if (err != INTAKE_OK)
		return err;
	if (h && entry_decode(raw, len, e) != INTAKE_OK) {
		intake_log_warn("token: unreadable cache entry ignored");
		h = false;
	}
	*hit = h;
	*rawlen = h ? len : 0;
	return INTAKE_OK;
}

static enum intake_err
entry_write(struct intake_ctx *ctx, const char *name, const struct entry *e, int64_t until)
{
	char		buf[ENTRY_MAX];
	enum intake_err	err;
	int		n;

	n = entry_encode(e, buf, sizeof(buf));
	if (n < 0)
		return INTAKE_ETOOBIG;
	err = intake_cache_set(ctx->cache, TOKEN_SECTION, name, buf, (size_t)n, until);
	OPENSSL_cleanse(buf, sizeof(buf));
	return err;
}

/*
 * When to renew: refresh_ahead before the end, but never before half the
 * lifetime, so a short-lived token (or a skewed clock) cannot make every
 * request fetch.
 */
static int64_t
renew_at(const struct intake_config *cfg, const struct intake_token *t)
{
	int64_t	ahead = t->expires_ms - cfg->refresh_ahead * 1000;
	int64_t	half = t->fetched_ms + (t->expires_ms - t->fetched_ms) / 2;

	return ahead > half ? ahead : half;
}

/* The leader's part: fetch, store the result, release the lease. */
static enum intake_err
renew(struct intake_ctx *ctx, const char *name, struct intake_token *out)
{
	const struct intake_config	*cfg = ctx->cfg;
	struct entry			 e, cur;
	char				 raw[ENTRY_MAX];
	size_t				 rawlen;
	struct intake_log_line		 l;
	int64_t				 now, fetch_ms;
	char				 fp[32];
	enum intake_err			 err, ferr;
	bool				 hit;

	/* Someone may have finished between our read and our lease. */
	err = entry_read(ctx, name, &cur, raw, &rawlen, &hit);
	now = intake_now_ms();
	if (err == INTAKE_OK && hit && cur.tok.value[0] != '\0' && now < cur.renew_ms) {
		*out = cur.tok;
		goto out;
	}
	if (err != INTAKE_OK)
		hit = false;

	memset(&e, 0, sizeof(e));
	ferr = intake_auth_fetch(ctx->http, cfg, &e.tok);
	fetch_ms = intake_now_ms() - now;
	now = intake_now_ms();
	if (ferr == INTAKE_OK) {
		/* A fingerprint, never the token: enough to tell two tokens apart. */
		intake_log_mask(e.tok.value, fp, sizeof(fp));
		intake_log_begin(&l, INTAKE_LOG_INFO, "token_fetched");
		intake_log_str(&l, "token", fp);
		intake_log_int(&l, "expires_in_s", (e.tok.expires_ms - now) / 1000);
		intake_log_int(&l, "ms", fetch_ms);
		intake_log_end(&l);
		e.renew_ms = renew_at(cfg, &e.tok);
		err = entry_write(ctx, name, &e, e.tok.expires_ms);
		if (err != INTAKE_OK)
			intake_log_warn("token: could not share the new token: %s",
			    intake_strerror(err));
		intake_metrics_count(INTAKE_METRIC_TOKEN_FETCH_OK);
		*out = e.tok;
		err = INTAKE_OK;
		goto out;
	}
	err = ferr;
	intake_metrics_count(INTAKE_METRIC_TOKEN_FETCH_FAILED);
	/*
	 * Cut short by this caller's own deadline (an inline start's budget):
	 * Integrify did not fail, so nothing is remembered against it.
	 */
	if (cfg->fetch_failure_ttl > 0 &&
	    !(ferr == INTAKE_ETIMEOUT && intake_http_deadline_passed(ctx->http))) {
		/* Keep a token that still works; remember the failure. */
		if (hit && cur.tok.value[0] != '\0' && now < cur.tok.expires_ms - SAFETY_MS)
			e = cur;
		e.fail_until_ms = now + cfg->fetch_failure_ttl * 1000;
		e.fail_err = ferr;
		(void)entry_write(ctx, name, &e, e.tok.value[0] != '\0' &&
		    e.tok.expires_ms > e.fail_until_ms ? e.tok.expires_ms : e.fail_until_ms);
	}
	if (hit && cur.tok.value[0] != '\0' && now < cur.tok.expires_ms - SAFETY_MS) {
		intake_log_event(INTAKE_LOG_WARN, "token_renewal_failed", "error",
		    intake_strerror(ferr), "msg", "token: renewal failed; using the current token",
		    NULL);
		*out = cur.tok;
		err = INTAKE_OK;
	}
out:
	(void)intake_cache_release(ctx->cache, TOKEN_SECTION, name);
	OPENSSL_cleanse(&e, sizeof(e));
	OPENSSL_cleanse(&cur, sizeof(cur));
	OPENSSL_cleanse(raw, sizeof(raw));
	return err;
}

enum intake_err
intake_token_get(struct intake_ctx *ctx, struct intake_token *out)
{
	const struct intake_config	*cfg = ctx->cfg;
	struct entry			 e;
	char				 name[65], raw[ENTRY_MAX];
	size_t				 rawlen;
	int64_t				 now, deadline, lease_ms, own;
	enum intake_err			 err;
	bool				 hit, leader, usable;

	intake_token_cache_name(cfg, name);
	lease_ms = 2 * cfg->timeout_ms + 1000;
	/* Another process's fetch is waited for upstream_wait_ms at most. */
	deadline = intake_now_ms() + (cfg->upstream_wait_ms < lease_ms ? cfg->upstream_wait_ms :
	    lease_ms);
	/* Nor past the caller's own deadline (an inline start's budget). */
	own = intake_http_deadline_ms(ctx->http);
	if (own != 0 && own < deadline)
		deadline = own;
	for (;;) {
		err = entry_read(ctx, name, &e, raw, &rawlen, &hit);
		if (err != INTAKE_OK)
			goto out;
		now = intake_now_ms();
		usable = hit && e.tok.value[0] != '\0' && now < e.tok.expires_ms - SAFETY_MS;
		if (usable && now < e.renew_ms) {
			*out = e.tok;
			goto out;
		}
		if (hit && now < e.fail_until_ms) {
			if (usable)
				*out = e.tok;
			else
				err = INTAKE_EBACKOFF;
			goto out;
		}
		err = intake_cache_lease(ctx->cache, TOKEN_SECTION, name, lease_ms, &leader);
		if (err != INTAKE_OK)
			goto out;
		if (leader) {
			err = renew(ctx, name, out);
			goto out;
		}
		/* Someone else is renewing: the old token still serves. */
		if (usable) {
			*out = e.tok;
			goto out;
		}
		if (now >= deadline) {
			err = INTAKE_ETIMEOUT;
			goto out;
		}
		err = intake_cache_wait(ctx->cache, TOKEN_SECTION, name, deadline - now);
		if (err != INTAKE_OK)
			goto out;
	}
out:
	OPENSSL_cleanse(&e, sizeof(e));
	OPENSSL_cleanse(raw, sizeof(raw));
	return err;
}

enum intake_err
intake_token_left(struct intake_ctx *ctx, int64_t *left_ms)
{
	struct entry	e;
	char		name[65], raw[ENTRY_MAX];
	size_t		rawlen;
	int64_t		now;
	enum intake_err	err;
	bool		hit;

	memset(&e, 0, sizeof(e));
	intake_token_cache_name(ctx->cfg, name);
	err = entry_read(ctx, name, &e, raw, &rawlen, &hit);
	now = intake_now_ms();
	if (err == INTAKE_OK)
		*left_ms = hit && e.tok.value[0] != '\0' && now < e.tok.expires_ms - SAFETY_MS ?
		    e.tok.expires_ms - now : -1;
	OPENSSL_cleanse(&e, sizeof(e));
	OPENSSL_cleanse(raw, sizeof(raw));
	return err;
}

enum intake_err
intake_token_reject(struct intake_ctx *ctx, const struct intake_token *tok)
{
	struct entry	e;
	char		name[65], raw[ENTRY_MAX];
	size_t		rawlen;
	enum intake_err	err;
	bool		hit;

	intake_token_cache_name(ctx->cfg, name);
	err = entry_read(ctx, name, &e, raw, &rawlen, &hit);
	if (err == INTAKE_OK && hit && strcmp(e.tok.value, tok->value) == 0) {
		intake_log_info("token: Integrify refused the shared token; it will be renewed");
		err = intake_cache_del(ctx->cache, TOKEN_SECTION, name, raw, rawlen);
	}
	OPENSSL_cleanse(&e, sizeof(e));
	OPENSSL_cleanse(raw, sizeof(raw));
	return err;
}
