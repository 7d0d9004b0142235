/*
 * test_token.c - lib/integrify/token.c (and the fetch in lib/integrify/auth.c) against the
 * fake HTTP server (fake_http.h): fetch once, share through the cache,
 * forget a refused token, back off after a failure, renew near the end,
 * and single flight across processes.
 */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "integrify/auth.h"
#include "cache/cache.h"
#include "core/ctx.h"
#include "integrify/http.h"
#include "integrify/jwt.h"
#include "core/log.h"
#include "util/str.h"
#include "integrify/token.h"

#include "fake_http.h"
#include "t.h"

#define KEY	"k&admin=1/x+y"		/* the consumer key, in need of escaping */
#define KEY_ESC	"k%26admin%3D1%2Fx%2By"
#define SECRET	"hmac-s3cret"

/* The server's answer: a distinct token per request ("{seq}": its number). */
#define TOKEN_BODY	"{\"token\":\"{seq}\"}"

struct fixture {
	char			 dir[256];
	char			 conf[512];
	struct fake_http	*srv;
	struct intake_config	*cfg;
	struct intake_ctx	 ctx;
};

/*
 * Start the server, write a config pointing at it (extra lines appended
 * to [integrify]) and open a fresh cache and an HTTP handle.
 */
static void
setup_with(struct fixture *f, const char *flow_lines, const char *extra)
{
	char	text[4096], err[1024];
	int	n;

	memset(f, 0, sizeof(*f));
	t_mkdtemp(f->dir, sizeof(f->dir));
	f->srv = fake_http_start();
	(void)fake_http_fallback(f->srv, 200, TOKEN_BODY);

	t_write_file(f->dir, "key", KEY "\n", strlen(KEY) + 1, NULL, 0);
	t_write_file(f->dir, "secret", SECRET "\n", strlen(SECRET) + 1, NULL, 0);
	n = snprintf(text, sizeof(text),
	    "[server]\n"
	    "cache_file = %s/cache.shm\n"
	    "cache_entries = 16\n"
	    "[integrify]\n"
	    "%s"
	    "base_url = http://127.0.0.1:%d\n"
	    "allow_http = yes\n"
	    "user = svc\n"
	    "key_file = %s/key\n"
	    "secret_file = %s/secret\n"
	    "%s%s",
	    f->dir, flow_lines, f->srv->port, f->dir, f->dir,
	    strstr(extra, "timeout_ms") != NULL ? "" :
	    "connect_timeout_ms = 2000\ntimeout_ms = 5000\n", extra);
	if (n < 0 || (size_t)n >= sizeof(text))
		abort();
	t_write_file(f->dir, "intake.conf", text, (size_t)n, f->conf, sizeof(f->conf));
	if (intake_config_load(f->conf, &f->cfg, err, sizeof(err)) != INTAKE_OK) {
		fprintf(stderr, "config: %s\n", err);
		abort();
	}
	f->ctx.cfg = f->cfg;
	if (intake_cache_open(f->cfg, true, &f->ctx.cache) != INTAKE_OK ||
	    intake_http_new(f->cfg, &f->ctx.http) != INTAKE_OK)
		abort();
}

static void
setup(struct fixture *f, const char *extra)
{
	setup_with(f, "dialect = v7\nflow = impersonate\n", extra);
}

static void
teardown(struct fixture *f)
{
	fake_http_stop(f->srv);
	intake_http_free(f->ctx.http);
	intake_cache_close(f->ctx.cache);
	intake_config_free(f->cfg);
}

static int
requests(const struct fixture *f)
{
	return fake_http_requests(f->srv);
}

/* The token the server gives for request number n. */
static void
token_of(int n, char out[33])
{
	(void)snprintf(out, 33, "%032x", (unsigned)n);
}

static void
test_token_first_get_fetches_once_then_uses_cache(void)
{
	struct fixture		f;
	struct intake_token	t, t2;
	char			want[33];
	int			i;

	setup(&f, "");
	T_EQ_INT(intake_token_get(&f.ctx, &t), INTAKE_OK);
	T_EQ_INT(requests(&f), 1);
	token_of(1, want);
	T_EQ_STR(t.value, want);
	T_ASSERT(t.expires_ms > intake_now_ms());
	for (i = 0; i < 20; i++) {
		T_EQ_INT(intake_token_get(&f.ctx, &t2), INTAKE_OK);
		T_EQ_STR(t2.value, want);
	}
	T_EQ_INT(requests(&f), 1);
	teardown(&f);
}

static void
test_token_request_escapes_key_and_user(void)
{
	struct fixture		f;
	struct intake_token	t;
	char			want[128];

	setup(&f, "");
	T_EQ_INT(intake_token_get(&f.ctx, &t), INTAKE_OK);
	(void)snprintf(want, sizeof(want), "GET /access/impersonate?key=%s&user=svc&expires=",
	    KEY_ESC);
	T_EQ_INT(strncmp(f.srv->last.raw, want, strlen(want)), 0);
	T_NOT_CONTAINS(f.srv->last.raw, "Authorization:");
	teardown(&f);
}

static void
test_token_cache_is_shared_with_another_process(void)
{
	struct fixture		f;
	struct intake_token	t;
	pid_t			pid;

	setup(&f, "");
	T_EQ_INT(intake_token_get(&f.ctx, &t), INTAKE_OK);
	pid = fork();
	T_ASSERT(pid != -1);
	if (pid == 0) {
		struct intake_ctx	ctx = f.ctx;
		struct intake_token	t2;

		/* A worker makes its own HTTP handle after fork. */
		if (intake_http_new(f.cfg, &ctx.http) != INTAKE_OK)
			_exit(2);
		if (intake_token_get(&ctx, &t2) != INTAKE_OK || strcmp(t2.value, t.value) != 0)
			_exit(1);
		intake_http_free(ctx.http);
		_exit(0);
	}
	T_EQ_INT(t_wait_child(pid, 30000), 0);
	T_EQ_INT(requests(&f), 1);
	teardown(&f);
}

static void
test_token_reject_current_causes_exactly_one_fetch(void)
{
	struct fixture		f;
	struct intake_token	t, t2, t3;
	char			want[33];

	setup(&f, "");
	T_EQ_INT(intake_token_get(&f.ctx, &t), INTAKE_OK);
	T_EQ_INT(intake_token_reject(&f.ctx, &t), INTAKE_OK);
	T_EQ_INT(requests(&f), 1);
	T_EQ_INT(intake_token_get(&f.ctx, &t2), INTAKE_OK);
	T_EQ_INT(requests(&f), 2);
	token_of(2, want);
	T_EQ_STR(t2.value, want);
	T_EQ_INT(intake_token_get(&f.ctx, &t3), INTAKE_OK);
	T_EQ_STR(t3.value, want);
	T_EQ_INT(requests(&f), 2);
	teardown(&f);
}

static void
test_token_reject_of_stale_token_causes_no_fetch(void)
{
	struct fixture		f;
	struct intake_token	a, b, c, stale;

	setup(&f, "");
	T_EQ_INT(intake_token_get(&f.ctx, &a), INTAKE_OK);
	T_EQ_INT(intake_token_reject(&f.ctx, &a), INTAKE_OK);
	T_EQ_INT(intake_token_get(&f.ctx, &b), INTAKE_OK);
	T_EQ_INT(requests(&f), 2);
	/* A second worker's late refusal of the old token. */
	T_EQ_INT(intake_token_reject(&f.ctx, &a), INTAKE_OK);
	/* A token never issued, and one that is a prefix of the current one. */
	memset(&stale, 0, sizeof(stale));
	(void)intake_strlcpy(stale.value, "not-the-cached-token", sizeof(stale.value));
	T_EQ_INT(intake_token_reject(&f.ctx, &stale), INTAKE_OK);
	memcpy(stale.value, b.value, 31);
	stale.value[31] = '\0';
	T_EQ_INT(intake_token_reject(&f.ctx, &stale), INTAKE_OK);
	T_EQ_INT(intake_token_get(&f.ctx, &c), INTAKE_OK);
	T_EQ_STR(c.value, b.value);
	T_EQ_INT(requests(&f), 2);
	teardown(&f);
}

static void
test_token_reject_with_empty_cache_is_harmless(void)
{
	struct fixture		f;
	struct intake_token	t;

	setup(&f, "");
	memset(&t, 0, sizeof(t));
	T_EQ_INT(intake_token_reject(&f.ctx, &t), INTAKE_OK);
	(void)intake_strlcpy(t.value, "whatever", sizeof(t.value));
	T_EQ_INT(intake_token_reject(&f.ctx, &t), INTAKE_OK);
	T_EQ_INT(requests(&f), 0);
	teardown(&f);
}

static void
test_token_refused_credentials_back_off(void)
{
	struct fixture		f;
	struct intake_token	t;

	setup(&f, "fetch_failure_ttl = 60\n");
	f.srv->fallback.status = 401;
	T_EQ_INT(intake_token_get(&f.ctx, &t), INTAKE_EAUTH);
	T_EQ_INT(requests(&f), 1);
	/* Within fetch_failure_ttl: no new fetch, even once Integrify recovers. */
	f.srv->fallback.status = 200;
	T_EQ_INT(intake_token_get(&f.ctx, &t), INTAKE_EBACKOFF);
	T_EQ_INT(intake_token_get(&f.ctx, &t), INTAKE_EBACKOFF);
	T_EQ_INT(requests(&f), 1);
	teardown(&f);
}

static void
test_token_upstream_error_backs_off(void)
{
	static const int	statuses[] = { 500, 502, 503, 429 };
	struct fixture		f;
	struct intake_token	t;
	size_t			i;

	for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		setup(&f, "fetch_failure_ttl = 60\n");
		f.srv->fallback.status = statuses[i];
		T_EQ_INT(intake_token_get(&f.ctx, &t), INTAKE_EUPSTREAM);
		T_EQ_INT(intake_token_get(&f.ctx, &t), INTAKE_EBACKOFF);
		T_EQ_INT(requests(&f), 1);
		teardown(&f);
	}
}

static void
test_token_reply_without_token_is_eproto(void)
{
	struct fixture		f;
	struct intake_token	t;

	setup(&f, "fetch_failure_ttl = 60\n");
	(void)fake_http_fallback(f.srv, 200, "<html><body>Sign in</body></html>");
	T_EQ_INT(intake_token_get(&f.ctx, &t), INTAKE_EPROTO);
	T_EQ_INT(intake_token_get(&f.ctx, &t), INTAKE_EBACKOFF);
	T_EQ_INT(requests(&f), 1);
	teardown(&f);
}

static void
test_token_unexpected_success_status_is_eproto(void)
{
	struct fixture		f;
	struct intake_token	t;

	setup(&f, "fetch_failure_ttl = 0\n");
	f.srv->fallback.status = 204;
	T_EQ_INT(intake_token_get(&f.ctx, &t), INTAKE_EPROTO);
	/* With fetch_failure_ttl = 0 nothing is remembered: the next get fetches. */
	f.srv->fallback.status = 200;
	T_EQ_INT(intake_token_get(&f.ctx, &t), INTAKE_OK);
	T_EQ_INT(requests(&f), 2);
	teardown(&f);
}

static void
test_token_backoff_ends_after_fetch_failure_ttl(void)
{
	struct fixture		f;
	struct intake_token	t;

	setup(&f, "fetch_failure_ttl = 1\n");
	f.srv->fallback.status = 403;
	T_EQ_INT(intake_token_get(&f.ctx, &t), INTAKE_EAUTH);
	f.srv->fallback.status = 200;
	t_sleep_ms(1300);
	T_EQ_INT(intake_token_get(&f.ctx, &t), INTAKE_OK);
	T_EQ_INT(requests(&f), 2);
	teardown(&f);
}

static void
test_token_unreachable_upstream(void)
{
	struct fixture		f;
	struct intake_token	t;

	setup(&f, "fetch_failure_ttl = 60\n");
	/* Nothing listens any more: connection refused. */
	fake_http_kill(f.srv);
	T_EQ_INT(intake_token_get(&f.ctx, &t), INTAKE_EUPSTREAM);
	T_EQ_INT(intake_token_get(&f.ctx, &t), INTAKE_EBACKOFF);
	teardown(&f);
}

static void
test_token_upstream_timeout(void)
{
	struct fixture		f;
	struct intake_token	t;

	setup(&f, "timeout_ms = 300\nconnect_timeout_ms = 200\nfetch_failure_ttl = 60\n");
	f.srv->fallback.delay_ms = 3000;
	T_EQ_INT(intake_token_get(&f.ctx, &t), INTAKE_ETIMEOUT);
	T_EQ_INT(intake_token_get(&f.ctx, &t), INTAKE_EBACKOFF);
	teardown(&f);
}

/*
 * A fetch cut short by the caller's own deadline (an inline start's
 * budget) says nothing about Integrify: no failure is remembered, so the
 * next caller fetches instead of being told to back off.
 */
static void
test_token_fetch_cut_by_the_callers_deadline_is_not_remembered(void)
{
	struct fixture		f;
	struct intake_token	t;

	setup(&f, "timeout_ms = 5000\nconnect_timeout_ms = 200\nfetch_failure_ttl = 60\n");
	f.srv->fallback.delay_ms = 1500;
	intake_http_deadline(f.ctx.http, intake_now_ms() + 200);
	T_EQ_INT(intake_token_get(&f.ctx, &t), INTAKE_ETIMEOUT);
	T_ASSERT(intake_http_deadline_passed(f.ctx.http));
	intake_http_deadline(f.ctx.http, 0);
	f.srv->fallback.delay_ms = 0;
	T_EQ_INT(intake_token_get(&f.ctx, &t), INTAKE_OK);
	teardown(&f);
}

/* A deadline already passed: the call is not sent at all. */
static void
test_token_no_call_after_the_callers_deadline(void)
{
	struct fixture		f;
	struct intake_token	t;

	setup(&f, "fetch_failure_ttl = 60\n");
	intake_http_deadline(f.ctx.http, intake_now_ms() - 1);
	T_EQ_INT(intake_token_get(&f.ctx, &t), INTAKE_ETIMEOUT);
	T_EQ_INT(requests(&f), 0);
	intake_http_deadline(f.ctx.http, 0);
	T_EQ_INT(intake_token_get(&f.ctx, &t), INTAKE_OK);
	T_EQ_INT(requests(&f), 1);
	teardown(&f);
}

static void
test_token_expires_in_is_used(void)
{
	struct fixture		f;
	struct intake_token	t;
	int64_t			before;

	/* Asked for an hour, told 30 minutes: the shorter one counts. */
	setup(&f, "token_lifetime = 3600\n");
	(void)fake_http_fallback(f.srv, 200, "{\"token\":\"{seq}\",\"expires_in\":1800}");
	before = intake_now_ms();
	T_EQ_INT(intake_token_get(&f.ctx, &t), INTAKE_OK);
	T_ASSERT(t.expires_ms >= before + 1800 * 1000LL);
	T_ASSERT(t.expires_ms <= intake_now_ms() + 1800 * 1000LL);
	teardown(&f);
}

/*
 * token_lifetime 4, refresh_ahead 2: the token is renewed once past its
 * renew time, while it still works; the renewed token is then served
 * from the cache.
 */
static void
test_token_near_expiry_is_renewed_exactly_once(void)
{
	struct fixture		f;
	struct intake_token	t, t2, t3;
	int64_t			renew, half, now;
	char			want[33];

	setup(&f, "token_lifetime = 4\nrefresh_ahead = 2\n");
	T_EQ_INT(intake_token_get(&f.ctx, &t), INTAKE_OK);
	T_EQ_INT(requests(&f), 1);
	/* renew_at() of token.c: refresh_ahead early, not before half-life. */
	renew = t.expires_ms - 2000;
	half = t.fetched_ms + (t.expires_ms - t.fetched_ms) / 2;
	if (half > renew)
		renew = half;
	now = intake_now_ms();
	if (renew + 100 > now)
		t_sleep_ms((long)(renew + 100 - now));
	T_EQ_INT(intake_token_get(&f.ctx, &t2), INTAKE_OK);
	T_EQ_INT(requests(&f), 2);
	token_of(2, want);
	T_EQ_STR(t2.value, want);
	T_EQ_INT(intake_token_get(&f.ctx, &t3), INTAKE_OK);
	T_EQ_STR(t3.value, want);
	T_EQ_INT(requests(&f), 2);
	teardown(&f);
}

/* A failed renewal keeps serving the token that still works. */
static void
test_token_failed_renewal_keeps_current_token(void)
{
	struct fixture		f;
	struct intake_token	t, t2, t3;
	int64_t			renew, half, now;

	setup(&f, "token_lifetime = 6\nrefresh_ahead = 4\nfetch_failure_ttl = 60\n");
	T_EQ_INT(intake_token_get(&f.ctx, &t), INTAKE_OK);
	renew = t.expires_ms - 4000;
	half = t.fetched_ms + (t.expires_ms - t.fetched_ms) / 2;
	if (half > renew)
		renew = half;
	now = intake_now_ms();
	if (renew + 100 > now)
		t_sleep_ms((long)(renew + 100 - now));
	f.srv->fallback.status = 503;
	T_EQ_INT(intake_token_get(&f.ctx, &t2), INTAKE_OK);
	T_EQ_STR(t2.value, t.value);
	T_EQ_INT(requests(&f), 2);
	/* The failure is remembered: no fetch, still the old token. */
	T_EQ_INT(intake_token_get(&f.ctx, &t3), INTAKE_OK);
	T_EQ_STR(t3.value, t.value);
	T_EQ_INT(requests(&f), 2);
	teardown(&f);
}

/* Four processes ask at once with nothing cached: one fetch in all. */
static void
test_token_single_flight_across_processes(void)
{
	struct fixture		f;
	pid_t			pids[4];
	int			i, p[2];
	char			go[4];

	setup(&f, "");
	f.srv->fallback.delay_ms = 500;
	T_ASSERT(pipe(p) == 0);
	for (i = 0; i < 4; i++) {
		pids[i] = fork();
		T_ASSERT(pids[i] != -1);
		if (pids[i] == 0) {
			struct intake_ctx	ctx = f.ctx;
			struct intake_token	t;
			char			want[33], b;

			(void)close(p[1]);
			if (intake_cache_child_init(ctx.cache) != INTAKE_OK ||
			    intake_http_new(f.cfg, &ctx.http) != INTAKE_OK)
				_exit(2);
			if (read(p[0], &b, 1) != 1)
				_exit(3);
			if (intake_token_get(&ctx, &t) != INTAKE_OK)
				_exit(4);
			token_of(1, want);
			if (strcmp(t.value, want) != 0)
				_exit(5);
			intake_http_free(ctx.http);
			_exit(0);
		}
	}
	(void)close(p[0]);
	memset(go, 'g', sizeof(go));
	T_EQ_INT(write(p[1], go, sizeof(go)), sizeof(go));
	(void)close(p[1]);
	for (i = 0; i < 4; i++)
		T_EQ_INT(t_wait_child(pids[i], 60000), 0);
	T_EQ_INT(requests(&f), 1);
	teardown(&f);
}

static void
test_token_unreadable_cache_entry_is_refetched(void)
{
	struct fixture		f;
	struct intake_token	t;
	char			name[65];

	setup(&f, "");
	intake_token_cache_name(f.cfg, name);
	T_EQ_INT(intake_cache_set(f.ctx.cache, "token", name, "garbage\n", 8,
	    intake_now_ms() + 60000), INTAKE_OK);
	T_EQ_INT(intake_token_get(&f.ctx, &t), INTAKE_OK);
	T_EQ_INT(requests(&f), 1);
	/* A hand-made entry with a bad version. */
	T_EQ_INT(intake_cache_set(f.ctx.cache, "token", name, "2 1 9999999999999 9999999999999 0 0\nx",
	    37, intake_now_ms() + 60000), INTAKE_OK);
	T_EQ_INT(intake_token_get(&f.ctx, &t), INTAKE_OK);
	T_EQ_INT(requests(&f), 2);
	teardown(&f);
}

static void
test_token_cache_name_is_a_hash_of_the_identity(void)
{
	struct fixture		f;
	struct intake_config	c2;
	char			a[65], b[65];

	setup(&f, "");
	intake_token_cache_name(f.cfg, a);
	T_EQ_INT(strlen(a), 64);
	T_EQ_INT(strspn(a, "0123456789abcdef"), 64);
	T_NOT_CONTAINS(a, "svc");
	intake_token_cache_name(f.cfg, b);
	T_EQ_STR(a, b);
	c2 = *f.cfg;
	(void)intake_strlcpy(c2.user, "other", sizeof(c2.user));
	intake_token_cache_name(&c2, b);
	T_ASSERT(strcmp(a, b) != 0);
	c2 = *f.cfg;
	(void)intake_strlcpy(c2.key, "another-key", sizeof(c2.key));
	intake_token_cache_name(&c2, b);
	T_ASSERT(strcmp(a, b) != 0);
	c2 = *f.cfg;
	(void)intake_strlcpy(c2.base_url, "http://127.0.0.2:1", sizeof(c2.base_url));
	intake_token_cache_name(&c2, b);
	T_ASSERT(strcmp(a, b) != 0);
	teardown(&f);
}

static void
test_token_v8_apikey_request(void)
{
	struct fixture		f;
	struct intake_token	t;
	char			want[256];

	setup_with(&f, "dialect = v8\nflow = apikey\ntenant = acme corp\n",
	    "token_lifetime = 900\n");
	T_EQ_INT(intake_token_get(&f.ctx, &t), INTAKE_OK);
	(void)snprintf(want, sizeof(want),
	    "GET /api/auth/apikey/acme%%20corp/%s/impersonate/svc?jwtExpiresIn=900 ", KEY_ESC);
	T_EQ_INT(strncmp(f.srv->last.raw, want, strlen(want)), 0);
	teardown(&f);
}

/* The v7 JWT grant: a POST whose assertion is signed with the secret. */
static void
test_token_jwt_flow_posts_signed_assertion(void)
{
	struct fixture		 f;
	struct intake_token	 t;
	struct intake_buf	 payload, sig;
	char			 assertion[2048], aud[128];
	const char		*a, *d1, *d2;
	unsigned char		 mac[EVP_MAX_MD_SIZE];
	unsigned int		 maclen = 0;
	size_t			 n;

	setup_with(&f, "dialect = v7\nflow = jwt\n", "");
	T_EQ_INT(intake_token_get(&f.ctx, &t), INTAKE_OK);
	T_EQ_INT(strncmp(f.srv->last.raw, "POST /oauth2/token ", 19), 0);
	T_CONTAINS(f.srv->last.raw, "Content-Type: application/x-www-form-urlencoded");
	T_CONTAINS(f.srv->last.raw, "\r\n\r\ngrant_type=urn%3Aietf%3Aparams%3Aoauth%3A"
	    "grant-type%3Ajwt-bearer&assertion=");
	a = strstr(f.srv->last.raw, "&assertion=") + 11;
	n = strlen(a);
	T_ASSERT(n < sizeof(assertion));
	memcpy(assertion, a, n + 1);
	/* base64url needs no escaping: the assertion is sent as is. */
	d1 = strchr(assertion, '.');
	T_ASSERT(d1 != NULL);
	d2 = strchr(d1 + 1, '.');
	T_ASSERT(d2 != NULL);
	T_ASSERT(HMAC(EVP_sha256(), SECRET, (int)strlen(SECRET), (const unsigned char *)assertion,
	    (size_t)(d2 - assertion), mac, &maclen) != NULL);
	intake_buf_init(&sig, 256);
	T_EQ_INT(intake_b64url_encode(&sig, mac, maclen), INTAKE_OK);
	T_EQ_STR(d2 + 1, intake_buf_str(&sig));
	intake_buf_init(&payload, 4096);
	T_EQ_INT(intake_b64url_decode(&payload, d1 + 1, (size_t)(d2 - d1 - 1)), INTAKE_OK);
	/* json_quote() escapes '&' as \u0026. */
	T_CONTAINS(intake_buf_str(&payload), "\"iss\":\"k\\u0026admin=1/x+y\"");
	T_CONTAINS(intake_buf_str(&payload), "\"sub\":\"svc\"");
	(void)snprintf(aud, sizeof(aud), "\"aud\":\"http:\\/\\/127.0.0.1:%d\\/oauth2\\/token\"",
	    f.srv->port);
	if (strstr(intake_buf_str(&payload), aud) == NULL) {
		(void)snprintf(aud, sizeof(aud), "\"aud\":\"http://127.0.0.1:%d/oauth2/token\"",
		    f.srv->port);
		T_CONTAINS(intake_buf_str(&payload), aud);
	}
	T_CONTAINS(intake_buf_str(&payload), "\"exp\":");
	/* The secret itself never goes over the wire. */
	T_NOT_CONTAINS(f.srv->last.raw, SECRET);
	intake_buf_free(&sig);
	intake_buf_free(&payload);
	teardown(&f);
}

int
main(void)
{
	/* Fetch failures are logged as warnings; they are expected here. */
	intake_log_set_level(INTAKE_LOG_ERR);
	T_RUN(test_token_first_get_fetches_once_then_uses_cache);
	T_RUN(test_token_request_escapes_key_and_user);
	T_RUN(test_token_cache_is_shared_with_another_process);
	T_RUN(test_token_reject_current_causes_exactly_one_fetch);
	T_RUN(test_token_reject_of_stale_token_causes_no_fetch);
	T_RUN(test_token_reject_with_empty_cache_is_harmless);
	T_RUN(test_token_refused_credentials_back_off);
	T_RUN(test_token_upstream_error_backs_off);
	T_RUN(test_token_reply_without_token_is_eproto);
	T_RUN(test_token_unexpected_success_status_is_eproto);
	T_RUN(test_token_backoff_ends_after_fetch_failure_ttl);
	T_RUN(test_token_unreachable_upstream);
	T_RUN(test_token_upstream_timeout);
	T_RUN(test_token_fetch_cut_by_the_callers_deadline_is_not_remembered);
	T_RUN(test_token_no_call_after_the_callers_deadline);
	T_RUN(test_token_expires_in_is_used);
	T_RUN(test_token_near_expiry_is_renewed_exactly_once);
	T_RUN(test_token_failed_renewal_keeps_current_token);
	T_RUN(test_token_single_flight_across_processes);
	T_RUN(test_token_unreadable_cache_entry_is_refetched);
	T_RUN(test_token_cache_name_is_a_hash_of_the_identity);
	T_RUN(test_token_v8_apikey_request);
	T_RUN(test_token_jwt_flow_posts_signed_assertion);
	return T_DONE();
}
