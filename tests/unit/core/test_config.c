/*
 * test_config.c - lib/core/config.c: the key table, defaults, cross-key checks,
 * secret files, and error messages that name file, section and key but
 * never a value.
 */
#include <string.h>

#include "core/config.h"

#include "t.h"

#define SECRET	"Sup3rS3cretK3y-do-not-log"

struct fixture {
	char	dir[512];
	char	keyfile[640];
	char	path[640];
	char	err[1024];
};

/* A scratch directory with a key file holding SECRET. */
static void
setup(struct fixture *f)
{
	static const char key[] = "  " SECRET " \r\n";

	memset(f, 0, sizeof(*f));
	t_mkdtemp(f->dir, sizeof(f->dir));
	t_write_file(f->dir, "key", key, sizeof(key) - 1, f->keyfile, sizeof(f->keyfile));
}

/*
 * Write text as the config, with "@KEY@" standing for the key file and
 * "@DIR@" for the scratch directory, and load it.
 */
static enum intake_err
load(struct fixture *f, const char *text, struct intake_config **out)
{
	char		 buf[8192];
	const char	*p, *key, *dir;
	size_t		 o = 0;

	for (p = text; *p != '\0' && o < sizeof(buf) - 700;) {
		key = strncmp(p, "@KEY@", 5) == 0 ? f->keyfile : NULL;
		dir = strncmp(p, "@DIR@", 5) == 0 ? f->dir : NULL;
		if (key != NULL || dir != NULL) {
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s",
			    key != NULL ? key : dir);
			p += 5;
		} else
			buf[o++] = *p++;
	}
	t_write_file(f->dir, "intake.conf", buf, o, f->path, sizeof(f->path));
	memset(f->err, 0, sizeof(f->err));
	*out = NULL;
	return intake_config_load(f->path, out, f->err, sizeof(f->err));
}

#define MINIMAL								\
	"[integrify]\n"							\
	"dialect = v7\n"						\
	"flow = impersonate\n"						\
	"base_url = https://example.test\n"				\
	"user = svc\n"							\
	"key_file = @KEY@\n"

/*
 * Loading text fails with a message naming the file, "[section] key" and
 * the problem, and without the secret.
 */
static int
fails_with(struct fixture *f, const char *text, const char *where, const char *problem)
{
	struct intake_config	*cfg;
	enum intake_err		 err;

	err = load(f, text, &cfg);
	if (err != INTAKE_ECONFIG) {
		printf("#   loaded (%d), expected an error about %s\n", err, where);
		intake_config_free(cfg);
		return 0;
	}
	if (cfg != NULL) {
		printf("#   *out written on failure\n");
		return 0;
	}
	if (strstr(f->err, f->path) == NULL || strstr(f->err, where) == NULL ||
	    (problem != NULL && strstr(f->err, problem) == NULL)) {
		printf("#   message \"%s\" lacks the file, \"%s\" or \"%s\"\n", f->err, where,
		    problem != NULL ? problem : "");
		return 0;
	}
	if (strstr(f->err, SECRET) != NULL || strstr(f->err, "Sup3r") != NULL) {
		printf("#   message \"%s\" shows the secret\n", f->err);
		return 0;
	}
	return 1;
}

static void
test_config_minimal_loads_with_defaults(void)
{
	struct fixture		 f;
	struct intake_config	*c;

	setup(&f);
	T_EQ_INT(load(&f, MINIMAL, &c), INTAKE_OK);
	T_ASSERT(c != NULL);
	T_EQ_STR(c->path, f.path);
	T_EQ_STR(c->listen, "unix:/run/intake/intake.sock");
	T_EQ_INT(c->socket_mode, 0660);
	T_EQ_INT(c->workers, 4);
	T_EQ_INT(c->max_requests, 10000);
	T_EQ_INT(c->backlog, 1024);
	T_EQ_INT(c->shutdown_timeout, 30);
	T_EQ_INT(c->log_level, INTAKE_LOG_INFO);
	T_EQ_STR(c->cache_file, "/run/intake/cache.shm");
	T_EQ_INT(c->cache_entries, 256);
	T_EQ_INT(c->cache_entry_max, 65536);
	T_EQ_INT(c->filtered_entries, 256);
	T_EQ_INT(c->filtered_fetch_rate, 60);
	T_EQ_INT(c->dialect, INTAKE_DIALECT_V7);
	T_EQ_INT(c->flow, INTAKE_FLOW_IMPERSONATE);
	T_EQ_STR(c->base_url, "https://example.test");
	T_EQ_STR(c->connect_to, "");
	T_EQ_STR(c->user, "svc");
	T_EQ_STR(c->tenant, "");
	T_EQ_STR(c->key_file, f.keyfile);
	T_EQ_STR(c->secret_file, "");
	T_EQ_STR(c->ca_file, "");
	T_ASSERT(!c->allow_http);
	T_EQ_INT(c->token_lifetime, 3600);
	T_EQ_INT(c->refresh_ahead, 60);
	T_EQ_INT(c->fetch_failure_ttl, 5);
	T_EQ_INT(c->connect_timeout_ms, 3000);
	T_EQ_INT(c->timeout_ms, 10000);
	T_EQ_INT(c->response_max, 8388608);
	T_EQ_STR(c->key, SECRET);
	T_EQ_STR(c->secret, "");
	intake_config_free(c);
}

static void
test_config_every_key_can_be_set(void)
{
	struct fixture		 f;
	struct intake_config	*c;
	char			 text[4096];

	setup(&f);
	t_write_file(f.dir, "secret", "hmac-secret\n", 12, NULL, 0);
	(void)snprintf(text, sizeof(text),
	    "; a comment\n"
	    "[server]\n"
	    "listen = 127.0.0.1:9000\n"
	    "socket_mode = 0600\n"
	    "workers = 256\n"
	    "max_requests = 0\n"
	    "backlog = 16\n"
	    "shutdown_timeout = 3600\n"
	    "log_level = DEBUG\n"
	    "cache_file = @DIR@/cache.shm\n"
	    "cache_entries = 8\n"
	    "cache_entry_max = 4096\n"
	    "[integrify]\n"
	    "dialect = V7\n"
	    "flow = JWT\n"
	    "base_url = http://127.0.0.1:8080/\n"
	    "connect_to = localhost:9\n"
	    "user = svc_intake\n"
	    "tenant = acme\n"
	    "key_file = @KEY@\n"
	    "secret_file = @DIR@/secret\n"
	    "ca_file = /etc/ssl/ca.pem\n"
	    "allow_http = yes\n"
	    "token_lifetime = 2\n"
	    "refresh_ahead = 1\n"
	    "fetch_failure_ttl = 0\n"
	    "connect_timeout_ms = 100\n"
	    "timeout_ms = 100\n"
	    "response_max = 4096\n");
	T_EQ_INT(load(&f, text, &c), INTAKE_OK);
	T_EQ_STR(c->listen, "127.0.0.1:9000");
	T_EQ_INT(c->socket_mode, 0600);
	T_EQ_INT(c->workers, 256);
	T_EQ_INT(c->max_requests, 0);
	T_EQ_INT(c->backlog, 16);
	T_EQ_INT(c->shutdown_timeout, 3600);
	T_EQ_INT(c->log_level, INTAKE_LOG_DEBUG);
	T_EQ_INT(c->cache_entries, 8);
	T_EQ_INT(c->cache_entry_max, 4096);
	T_EQ_INT(c->flow, INTAKE_FLOW_JWT);
	/* The one trailing slash is dropped. */
	T_EQ_STR(c->base_url, "http://127.0.0.1:8080");
	T_EQ_STR(c->connect_to, "localhost:9");
	T_EQ_STR(c->tenant, "acme");
	T_EQ_STR(c->ca_file, "/etc/ssl/ca.pem");
	T_ASSERT(c->allow_http);
	T_EQ_INT(c->token_lifetime, 2);
	T_EQ_INT(c->refresh_ahead, 1);
	T_EQ_INT(c->fetch_failure_ttl, 0);
	T_EQ_INT(c->connect_timeout_ms, 100);
	T_EQ_INT(c->timeout_ms, 100);
	T_EQ_INT(c->response_max, 4096);
	T_EQ_STR(c->secret, "hmac-secret");
	intake_config_free(c);
}

static void
test_config_v8_apikey_loads(void)
{
	struct fixture		 f;
	struct intake_config	*c;

	setup(&f);
	T_EQ_INT(load(&f, "[integrify]\ndialect = v8\nflow = apikey\n"
	    "base_url = https://acme.integrify.com:8443\nuser = svc\ntenant = t1\n"
	    "key_file = @KEY@\n", &c), INTAKE_OK);
	T_EQ_INT(c->dialect, INTAKE_DIALECT_V8);
	T_EQ_INT(c->flow, INTAKE_FLOW_APIKEY);
	T_EQ_STR(c->base_url, "https://acme.integrify.com:8443");
	intake_config_free(c);
}

static void
test_config_rejects_unknown_key(void)
{
	struct fixture	f;

	setup(&f);
	T_ASSERT(fails_with(&f, MINIMAL "colour = blue\n", "[integrify] colour", "unknown key"));
	T_ASSERT(fails_with(&f, "[server]\nworker = 2\n" MINIMAL, "[server] worker",
	    "unknown key"));
	/* A key valid in another section is still unknown here. */
	T_ASSERT(fails_with(&f, "[spool]\nuser = x\n" MINIMAL, "[spool] user", "unknown key"));
	T_ASSERT(fails_with(&f, "[nosuch]\nuser = x\n" MINIMAL, "[nosuch]", "unknown section"));
	T_ASSERT(fails_with(&f, "listen = x\n" MINIMAL, "[] listen", "unknown key"));
}

static void
test_config_rejects_repeated_key(void)
{
	struct fixture	f;

	setup(&f);
	T_ASSERT(fails_with(&f, MINIMAL "user = admin\n", "[integrify] user", "set twice"));
	T_ASSERT(fails_with(&f, "[server]\nworkers = 2\n[server]\nworkers = 3\n" MINIMAL,
	    "[server] workers", "set twice"));
}

static void
test_config_rejects_bad_int(void)
{
	struct fixture	f;

	setup(&f);
	T_ASSERT(fails_with(&f, "[server]\nworkers = many\n" MINIMAL, "[server] workers",
	    "whole number"));
	T_ASSERT(fails_with(&f, "[server]\nworkers = 4x\n" MINIMAL, "[server] workers", NULL));
	T_ASSERT(fails_with(&f, "[server]\nworkers = 0x10\n" MINIMAL, "[server] workers", NULL));
	T_ASSERT(fails_with(&f, "[server]\nworkers =\n" MINIMAL, "[server] workers", NULL));
	T_ASSERT(fails_with(&f, "[server]\nworkers = 99999999999999999999999\n" MINIMAL,
	    "[server] workers", NULL));
}

static void
test_config_rejects_out_of_range(void)
{
	struct fixture	f;

	setup(&f);
	T_ASSERT(fails_with(&f, "[server]\nworkers = 0\n" MINIMAL, "[server] workers", NULL));
	T_ASSERT(fails_with(&f, "[server]\nworkers = 257\n" MINIMAL, "[server] workers", NULL));
	T_ASSERT(fails_with(&f, "[server]\nworkers = -1\n" MINIMAL, "[server] workers", NULL));
	T_ASSERT(fails_with(&f, "[server]\ncache_entries = 7\n" MINIMAL,
	    "[server] cache_entries", NULL));
	T_ASSERT(fails_with(&f, "[server]\ncache_entry_max = 16777217\n" MINIMAL,
	    "[server] cache_entry_max", NULL));
	T_ASSERT(fails_with(&f, MINIMAL "token_lifetime = 1\n", "[integrify] token_lifetime",
	    NULL));
	T_ASSERT(fails_with(&f, MINIMAL "connect_timeout_ms = 99\n",
	    "[integrify] connect_timeout_ms", NULL));
}

static void
test_config_rejects_bad_enum_and_mode_values(void)
{
	struct fixture	f;

	setup(&f);
	T_ASSERT(fails_with(&f, "[server]\nlog_level = verbose\n" MINIMAL, "[server] log_level",
	    NULL));
	T_ASSERT(fails_with(&f, "[server]\nsocket_mode = 0999\n" MINIMAL, "[server] socket_mode",
	    "octal"));
	T_ASSERT(fails_with(&f, "[server]\nsocket_mode = 07777\n" MINIMAL,
	    "[server] socket_mode", NULL));
	T_ASSERT(fails_with(&f, "[server]\nsocket_mode = 00660\n" MINIMAL,
	    "[server] socket_mode", NULL));
	T_ASSERT(fails_with(&f, "[server]\nsocket_mode =\n" MINIMAL, "[server] socket_mode",
	    NULL));
	T_ASSERT(fails_with(&f, MINIMAL "allow_http = maybe\n", "[integrify] allow_http", NULL));
	T_ASSERT(fails_with(&f, "[integrify]\ndialect = v9\n", "[integrify] dialect", NULL));
	T_ASSERT(fails_with(&f, "[integrify]\nflow = oauth\n", "[integrify] flow", NULL));
}

/*
 * socket_mode digits are accumulated before their count is checked: a
 * long run of octal digits overflows a long long (undefined behaviour,
 * caught by UBSan) before the "at most 4 digits" rule rejects it.
 */
static void
test_config_rejects_socket_mode_overflow(void)
{
	struct fixture	f;

	setup(&f);
	T_ASSERT(fails_with(&f, "[server]\nsocket_mode = 77777777777777777777777777\n" MINIMAL,
	    "[server] socket_mode", NULL));
}

static void
test_config_rejects_missing_required_key(void)
{
	static const char *const required[] = { "dialect", "flow", "base_url", "user",
	    "key_file" };
	struct fixture	f;
	char		text[2048], where[64];
	const char	*line, *nl;
	size_t		i, o;

	setup(&f);
	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		/* MINIMAL without the line of required[i]. */
		o = 0;
		for (line = MINIMAL; *line != '\0'; line = nl + 1) {
			nl = strchr(line, '\n');
			if (strncmp(line, required[i], strlen(required[i])) == 0 &&
			    line[strlen(required[i])] == ' ')
				continue;
			memcpy(text + o, line, (size_t)(nl - line) + 1);
			o += (size_t)(nl - line) + 1;
		}
		text[o] = '\0';
		(void)snprintf(where, sizeof(where), "[integrify] %s", required[i]);
		if (!fails_with(&f, text, where, "required"))
			T_FAIL("missing %s accepted or misreported", required[i]);
	}
}

static void
test_config_rejects_apikey_without_v8(void)
{
	struct fixture	f;

	setup(&f);
	T_ASSERT(fails_with(&f, "[integrify]\ndialect = v7\nflow = apikey\n"
	    "base_url = https://x.test\nuser = u\ntenant = t\nkey_file = @KEY@\n",
	    "[integrify] flow", "v8"));
}

static void
test_config_rejects_apikey_without_tenant(void)
{
	struct fixture	f;

	setup(&f);
	T_ASSERT(fails_with(&f, "[integrify]\ndialect = v8\nflow = apikey\n"
	    "base_url = https://x.test\nuser = u\nkey_file = @KEY@\n",
	    "[integrify] tenant", NULL));
	T_ASSERT(fails_with(&f, "[integrify]\ndialect = v8\nflow = apikey\n"
	    "base_url = https://x.test\nuser = u\ntenant =\nkey_file = @KEY@\n",
	    "[integrify] tenant", NULL));
}

static void
test_config_rejects_jwt_without_secret_file(void)
{
	struct fixture	f;

	setup(&f);
	T_ASSERT(fails_with(&f, "[integrify]\ndialect = v7\nflow = jwt\n"
	    "base_url = https://x.test\nuser = u\nkey_file = @KEY@\n",
	    "[integrify] secret_file", NULL));
	T_ASSERT(fails_with(&f, "[integrify]\ndialect = v7\nflow = jwt\n"
	    "base_url = https://x.test\nuser = u\nkey_file = @KEY@\nsecret_file = @DIR@/none\n",
	    "[integrify] secret_file", "not found"));
}

static void
test_config_rejects_refresh_ahead_not_below_lifetime(void)
{
	struct fixture	f;

	setup(&f);
	T_ASSERT(fails_with(&f, MINIMAL "token_lifetime = 60\nrefresh_ahead = 60\n",
	    "[integrify] refresh_ahead", NULL));
	T_ASSERT(fails_with(&f, MINIMAL "token_lifetime = 60\nrefresh_ahead = 600\n",
	    "[integrify] refresh_ahead", NULL));
	/* The default refresh_ahead (60) against a short lifetime. */
	T_ASSERT(fails_with(&f, MINIMAL "token_lifetime = 30\n", "[integrify] refresh_ahead",
	    NULL));
}

static void
test_config_rejects_timeout_below_connect_timeout(void)
{
	struct fixture	f;

	setup(&f);
	T_ASSERT(fails_with(&f, MINIMAL "connect_timeout_ms = 5000\ntimeout_ms = 4000\n",
	    "[integrify] timeout_ms", NULL));
}

static void
test_config_rejects_plain_http_without_allow_http(void)
{
	struct fixture	f;

	setup(&f);
	T_ASSERT(fails_with(&f, "[integrify]\ndialect = v7\nflow = impersonate\n"
	    "base_url = http://example.test\nuser = svc\nkey_file = @KEY@\n",
	    "[integrify] base_url", "allow_http"));
	T_ASSERT(fails_with(&f, "[integrify]\ndialect = v7\nflow = impersonate\n"
	    "base_url = http://example.test\nuser = svc\nkey_file = @KEY@\nallow_http = no\n",
	    "[integrify] base_url", "allow_http"));
}

static void
test_config_rejects_base_url_with_path_query_or_user(void)
{
	static const char *const bad[] = {
		"https://example.test/api",
		"https://example.test//",
		"https://example.test?x=1",
		"https://example.test#frag",
		"https://user:pw@example.test",
		"https://",
		"https:///path",
		"ftp://example.test",
		"example.test",
		"file:///etc/passwd",
		"HTTPS://example.test/x",
	};
	struct fixture	f;
	char		text[2048];
	size_t		i;

	setup(&f);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		(void)snprintf(text, sizeof(text), "[integrify]\ndialect = v7\n"
		    "flow = impersonate\nbase_url = %s\nuser = svc\nkey_file = @KEY@\n", bad[i]);
		if (!fails_with(&f, text, "[integrify] base_url", NULL))
			T_FAIL("base_url %s accepted", bad[i]);
	}
}

/* Origins written as browsers send them load, and match only exactly. */
static void
test_config_public_origins_match_exactly(void)
{
	struct fixture		 f;
	struct intake_config	*c;

	setup(&f);
	T_EQ_INT(load(&f, "[server]\npublic_origins = https://intake.example.internal "
	    "http://127.0.0.1:8080,http://[::1]:8080\tHTTP://ignored.example.invalid\n" MINIMAL, &c),
	    INTAKE_ECONFIG);
	T_EQ_INT(load(&f, "[server]\npublic_origins = https://intake.example.internal "
	    "http://127.0.0.1:8080,http://[::1]:8080\thttps://xn--bcher-kva.example:8443\n"
	    "cors_origins = https://wiki.example\n" MINIMAL, &c), INTAKE_OK);
	T_ASSERT(intake_config_origin_public(c, "https://intake.example.internal"));
	T_ASSERT(intake_config_origin_public(c, "http://127.0.0.1:8080"));
	T_ASSERT(intake_config_origin_public(c, "http://[::1]:8080"));
	T_ASSERT(intake_config_origin_public(c, "https://xn--bcher-kva.example:8443"));
	/* No prefix, suffix, other scheme or port, and the lists stay apart. */
	T_ASSERT(!intake_config_origin_public(c, "https://intake.example"));
	T_ASSERT(!intake_config_origin_public(c, "https://intake.example.internal.evil.example"));
	T_ASSERT(!intake_config_origin_public(c, "http://intake.example.internal"));
	T_ASSERT(!intake_config_origin_public(c, "http://127.0.0.1:808"));
	T_ASSERT(!intake_config_origin_public(c, "http://127.0.0.1"));
	T_ASSERT(!intake_config_origin_public(c, ""));
	T_ASSERT(!intake_config_origin_public(c, "null"));
	T_ASSERT(!intake_config_origin_public(c, "https://wiki.example"));
	T_ASSERT(intake_config_origin_allowed(c, "https://wiki.example"));
	T_ASSERT(!intake_config_origin_allowed(c, "https://intake.example.internal"));
	intake_config_free(c);

	/* The default: no origin at all (every form post is refused). */
	T_EQ_INT(load(&f, MINIMAL, &c), INTAKE_OK);
	T_EQ_STR(c->public_origins, "");
	T_ASSERT(!intake_config_origin_public(c, "http://localhost"));
	intake_config_free(c);
}

/* An origin a browser never sends would never match: refused at load. */
static void
test_config_rejects_public_origin_a_browser_never_sends(void)
{
	static const char *const bad[] = {
		"https://intake.example.internal/",
		"https://intake.example.internal/forms",
		"https://intake.example.internal?x",
		"https://Intake.Example.Internal",
		"HTTPS://intake.example.internal",
		"https://intake.example.internal:443",
		"http://intake.example.internal:80",
		"http://intake.example.internal:",
		"http://intake.example.internal:0",
		"http://intake.example.internal:65536",
		"http://intake.example.internal:123456",
		"http://intake.example.internal:8o",
		"https://user@intake.example.internal",
		"intake.example.internal",
		"ftp://intake.example.internal",
		"https://",
		"http://[]:8080",
		"http://[::1",
		"http://[::1]x",
		"http://bücher.example",
		"https://ok.example https://bad.example/",
		"*",
		"null",
	};
	struct fixture	f;
	char		text[2048];
	size_t		i;

	setup(&f);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		(void)snprintf(text, sizeof(text), "[server]\npublic_origins = %s\n" MINIMAL, bad[i]);
		if (!fails_with(&f, text, "[server] public_origins", NULL))
			T_FAIL("public_origins %s accepted", bad[i]);
	}
}

static void
test_config_rejects_relative_cache_file(void)
{
	struct fixture	f;

	setup(&f);
	T_ASSERT(fails_with(&f, "[server]\ncache_file = cache.shm\n" MINIMAL,
	    "[server] cache_file", "absolute"));
	T_ASSERT(fails_with(&f, "[server]\ncache_file =\n" MINIMAL, "[server] cache_file",
	    NULL));
}

static void
test_config_rejects_a_relative_or_overlong_publish_dir(void)
{
	struct fixture	f;
	char		text[2048], dir[480];

	setup(&f);
	T_ASSERT(fails_with(&f, "[server]\npublish_dir = published\n" MINIMAL,
	    "[server] publish_dir", "absolute"));
	T_ASSERT(fails_with(&f, "[server]\npublish_dir = ../run/published\n" MINIMAL,
	    "[server] publish_dir", "absolute"));
	/* Room must be left for "/api/choices/NAME.json" under it. */
	memset(dir, 'd', sizeof(dir) - 1);
	dir[0] = '/';
	dir[sizeof(dir) - 1] = '\0';
	(void)snprintf(text, sizeof(text), "[server]\npublish_dir = %s\n" MINIMAL, dir);
	T_ASSERT(fails_with(&f, text, "[server] publish_dir", "416 bytes"));
}

static void
test_config_rejects_bad_listen(void)
{
	struct fixture	f;
	char		text[1024], longpath[200];

	setup(&f);
	T_ASSERT(fails_with(&f, "[server]\nlisten = unix:relative.sock\n" MINIMAL,
	    "[server] listen", NULL));
	T_ASSERT(fails_with(&f, "[server]\nlisten = localhost\n" MINIMAL, "[server] listen",
	    NULL));
	T_ASSERT(fails_with(&f, "[server]\nlisten = :9000\n" MINIMAL, "[server] listen", NULL));
	T_ASSERT(fails_with(&f, "[server]\nlisten = host:\n" MINIMAL, "[server] listen", NULL));
	/* sun_path holds 108 bytes. */
	memset(longpath, 'a', 120);
	longpath[120] = '\0';
	(void)snprintf(text, sizeof(text), "[server]\nlisten = unix:/%s\n" MINIMAL, longpath);
	T_ASSERT(fails_with(&f, text, "[server] listen", "too long"));
}

static void
test_config_rejects_missing_key_file(void)
{
	struct fixture	f;

	setup(&f);
	T_ASSERT(fails_with(&f, "[integrify]\ndialect = v7\nflow = impersonate\n"
	    "base_url = https://x.test\nuser = svc\nkey_file = @DIR@/nokey\n",
	    "[integrify] key_file", "not found"));
}

static void
test_config_rejects_empty_key_file(void)
{
	struct fixture	f;

	setup(&f);
	t_write_file(f.dir, "empty", "", 0, NULL, 0);
	t_write_file(f.dir, "blank", " \t \r\n\n", 6, NULL, 0);
	T_ASSERT(fails_with(&f, "[integrify]\ndialect = v7\nflow = impersonate\n"
	    "base_url = https://x.test\nuser = svc\nkey_file = @DIR@/empty\n",
	    "[integrify] key_file", "empty"));
	T_ASSERT(fails_with(&f, "[integrify]\ndialect = v7\nflow = impersonate\n"
	    "base_url = https://x.test\nuser = svc\nkey_file = @DIR@/blank\n",
	    "[integrify] key_file", "empty"));
	/* A key on the second line is not read: the first line is the key. */
	t_write_file(f.dir, "second", "\nkey-on-line-2\n", 15, NULL, 0);
	T_ASSERT(fails_with(&f, "[integrify]\ndialect = v7\nflow = impersonate\n"
	    "base_url = https://x.test\nuser = svc\nkey_file = @DIR@/second\n",
	    "[integrify] key_file", "empty"));
}

static void
test_config_rejects_key_file_that_is_a_directory(void)
{
	struct fixture	f;

	setup(&f);
	T_ASSERT(fails_with(&f, "[integrify]\ndialect = v7\nflow = impersonate\n"
	    "base_url = https://x.test\nuser = svc\nkey_file = @DIR@\n",
	    "[integrify] key_file", NULL));
}

static void
test_config_rejects_key_file_with_nul_byte(void)
{
	struct fixture	f;

	setup(&f);
	/* "abc\0def": the key must not silently become "abc". */
	t_write_file(f.dir, "nul", "abc\0def\n", 8, NULL, 0);
	T_ASSERT(fails_with(&f, "[integrify]\ndialect = v7\nflow = impersonate\n"
	    "base_url = https://x.test\nuser = svc\nkey_file = @DIR@/nul\n",
	    "[integrify] key_file", NULL));
}

static void
test_config_rejects_oversized_key_file(void)
{
	struct fixture	f;
	char		big[INTAKE_SECRET_MAX + 10];

	setup(&f);
	memset(big, 'k', sizeof(big));
	t_write_file(f.dir, "big", big, sizeof(big), NULL, 0);
	T_ASSERT(fails_with(&f, "[integrify]\ndialect = v7\nflow = impersonate\n"
	    "base_url = https://x.test\nuser = svc\nkey_file = @DIR@/big\n",
	    "[integrify] key_file", "too long"));
	/* One byte less than the field holds is fine. */
	t_write_file(f.dir, "max", big, INTAKE_SECRET_MAX - 1, NULL, 0);
	{
		struct intake_config	*c;

		T_EQ_INT(load(&f, "[integrify]\ndialect = v7\nflow = impersonate\n"
		    "base_url = https://x.test\nuser = svc\nkey_file = @DIR@/max\n", &c),
		    INTAKE_OK);
		T_EQ_INT(strlen(c->key), INTAKE_SECRET_MAX - 1);
		intake_config_free(c);
	}
}

static void
test_config_key_file_is_trimmed(void)
{
	static const struct {
		const char	*content;
		const char	*key;
	} cases[] = {
		{ "plainkey", "plainkey" },
		{ "plainkey\n", "plainkey" },
		{ "plainkey\r\n", "plainkey" },
		{ "  \tplainkey \t\n", "plainkey" },
		{ "plain key\n", "plain key" },
		{ "first\nsecond\n", "first" },
		{ "first\rsecond\n", "first" },
	};
	struct fixture		 f;
	struct intake_config	*c;
	size_t			 i;

	setup(&f);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		t_write_file(f.dir, "key", cases[i].content, strlen(cases[i].content), NULL, 0);
		T_EQ_INT(load(&f, MINIMAL, &c), INTAKE_OK);
		T_EQ_STR(c->key, cases[i].key);
		intake_config_free(c);
	}
}

static void
test_config_error_never_echoes_a_value(void)
{
	struct fixture	f;

	setup(&f);
	/* A secret pasted where a key file belongs, or into a number. */
	T_ASSERT(fails_with(&f, MINIMAL "key = " SECRET "\n", "[integrify] key", NULL));
	T_ASSERT(fails_with(&f, "[server]\nworkers = " SECRET "\n" MINIMAL, "[server] workers",
	    NULL));
	T_ASSERT(fails_with(&f, MINIMAL "tenant = " SECRET "\ntenant = x\n",
	    "[integrify] tenant", NULL));
	T_ASSERT(fails_with(&f, "[integrify]\ndialect = v7\nflow = impersonate\n"
	    "base_url = https://Sup3rS3cretK3y@x.test\nuser = svc\nkey_file = @KEY@\n",
	    "[integrify] base_url", NULL));
	/* The key file was read fine; a later check fails. */
	T_ASSERT(fails_with(&f, "[integrify]\ndialect = v7\nflow = jwt\n"
	    "base_url = https://x.test\nuser = u\nkey_file = @KEY@\nsecret_file = @DIR@/nope\n",
	    "[integrify] secret_file", NULL));
}

static void
test_config_rejects_syntax_error_with_line(void)
{
	struct fixture	f;

	setup(&f);
	T_ASSERT(fails_with(&f, MINIMAL "this line has no equals sign\n", "line 7", "syntax"));
	T_ASSERT(fails_with(&f, "[server\n" MINIMAL, "line 1", NULL));
}

/*
 * The line reader names the exact problem: a line over 4096 bytes (with
 * its number), an indented line with no key above it, and an unknown
 * section with the nearest known name.  A value may go on on indented
 * lines, joined by one space.
 */
static void
test_config_line_reader_names_the_exact_problem(void)
{
	struct intake_config	*c = NULL;
	struct fixture		 f;
	char			 text[6000];
	size_t			 o;

	setup(&f);
	T_ASSERT(fails_with(&f, "[spol]\ndir = /x\n" MINIMAL, "[spol]",
	    "unknown section; did you mean [spool]?"));
	T_ASSERT(fails_with(&f, "[sorce:x]\nreport = r\n" MINIMAL, "[sorce:x]",
	    "unknown section; did you mean [source:x]?"));
	T_ASSERT(fails_with(&f, "[qwertyuiop]\ndir = /x\n" MINIMAL, "[qwertyuiop]",
	    "unknown section"));
	T_ASSERT(strstr(f.err, "did you mean") == NULL);
	T_ASSERT(fails_with(&f, "[server]\n  listen = x\n" MINIMAL, "line 2",
	    "a continuation with no key before it"));
	/* A blank line ends a value: what is indented after it continues nothing. */
	T_ASSERT(fails_with(&f, MINIMAL "\n  more\n", "line 8",
	    "a continuation with no key before it"));
	o = (size_t)snprintf(text, sizeof(text), "%s", "[server]\n# ");
	memset(text + o, 'a', 4095);	/* "# " and 4095 bytes: 4097 */
	(void)snprintf(text + o + 4095, sizeof(text) - o - 4095, "\n" MINIMAL);
	T_ASSERT(fails_with(&f, text, "line 2", "longer than 4096 bytes"));
	text[o + 4094] = '\n';	/* 4096 bytes: read */
	T_EQ_INT(load(&f, text, &c), INTAKE_OK);
	intake_config_free(c);
	T_EQ_INT(load(&f, "[server]\npublic_origins = https://a.test\n"
	    "\thttps://b.test   ; the second origin\n" MINIMAL, &c), INTAKE_OK);
	T_EQ_STR(c->public_origins, "https://a.test https://b.test");
	intake_config_free(c);
}

static void
test_config_rejects_missing_file(void)
{
	struct intake_config	*c = NULL;
	char			 err[512];

	T_EQ_INT(intake_config_load("/nonexistent/intake.conf", &c, err, sizeof(err)),
	    INTAKE_ECONFIG);
	T_ASSERT(c == NULL);
	T_CONTAINS(err, "/nonexistent/intake.conf");
}

static void
test_config_rejects_overlong_path(void)
{
	struct intake_config	*c = NULL;
	char			 path[INTAKE_PATH_MAX + 10], err[256];

	memset(path, 'p', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	T_EQ_INT(intake_config_load(path, &c, err, sizeof(err)), INTAKE_ECONFIG);
	T_ASSERT(c == NULL);
}

/*
 * Load key_file = dir/<name> where dir/<cut> also exists: the key must be
 * the one of the whole name, or the load must fail.
 */
static int
key_file_not_cut(struct fixture *f, const char *name)
{
	struct intake_config	*c;
	char			 text[2048];
	enum intake_err		 err;
	int			 ok;

	(void)snprintf(text, sizeof(text), "[integrify]\ndialect = v7\nflow = impersonate\n"
	    "base_url = https://x.test\nuser = svc\nkey_file = @DIR@/%s\n", name);
	err = load(f, text, &c);
	if (err != INTAKE_OK)
		return err == INTAKE_ECONFIG;
	ok = strcmp(c->key, "real-key") == 0;
	if (!ok)
		printf("#   key_file silently cut: loaded key \"%s\"\n", c->key);
	intake_config_free(c);
	return ok;
}

/*
 * libinih (as packaged, INI_MAX_LINE 200), the reader before keytab.c's,
 * read at most 199 bytes of a line and handed the rest over as a line of
 * its own.  A value must never be silently cut, even when the cut path
 * names a real file, nor its rest taken for a comment ('#' or ';').
 */
static void
test_config_rejects_value_cut_by_line_limit(void)
{
	struct fixture	 f;
	char		 name[300], cut[300];
	const char	*line = "key_file = ";
	size_t		 prefix;

	setup(&f);
	prefix = 199 - strlen(line) - strlen(f.dir) - 1;
	T_ASSERT(prefix > 0 && prefix < 250);
	memset(cut, 'k', prefix);
	cut[prefix] = '\0';
	t_write_file(f.dir, cut, "cut-key\n", 8, NULL, 0);

	/* The rest of the line reads as a line without '=': an error. */
	memset(name, 'k', 250);
	name[250] = '\0';
	t_write_file(f.dir, name, "real-key\n", 9, NULL, 0);
	T_ASSERT(key_file_not_cut(&f, name));

	/* The rest of the line reads as a comment: silently dropped. */
	memcpy(name, cut, prefix);
	memcpy(name + prefix, "#rest", 6);
	t_write_file(f.dir, name, "real-key\n", 9, NULL, 0);
	T_ASSERT(key_file_not_cut(&f, name));
}

static void
test_config_error_fits_small_errbuf(void)
{
	struct fixture		 f;
	struct intake_config	*c;
	char			 err[24];

	setup(&f);
	(void)load(&f, MINIMAL "colour = blue\n", &c);
	memset(err, 'x', sizeof(err));
	T_EQ_INT(intake_config_load(f.path, &c, err, 16), INTAKE_ECONFIG);
	T_EQ_INT(strlen(err), 15);
	T_EQ_INT(err[16], 'x');
}

static void
test_config_accepts_crlf_and_comments(void)
{
	struct fixture		 f;
	struct intake_config	*c;

	setup(&f);
	T_EQ_INT(load(&f, "# intake\r\n[integrify]\r\ndialect = v7\r\n; flow comment\r\n"
	    "flow = impersonate\r\nbase_url = https://example.test\r\nuser = svc ; trailing\r\n"
	    "key_file = @KEY@\r\n", &c), INTAKE_OK);
	T_EQ_STR(c->user, "svc");
	T_EQ_STR(c->base_url, "https://example.test");
	intake_config_free(c);
}

/*
 * The 26 keys of [server] and [integrify] the brief started with; the
 * table may grow (e.g. [source:NAME] keys), so more are allowed.
 */
static void
test_config_keys_lists_the_26_core_keys(void)
{
	static const char *const want[] = {
		"server.listen", "server.socket_mode", "server.workers", "server.max_requests",
		"server.backlog", "server.shutdown_timeout", "server.log_level",
		"server.cache_file", "server.cache_entries", "server.cache_entry_max",
		"integrify.dialect", "integrify.flow", "integrify.base_url",
		"integrify.connect_to", "integrify.user", "integrify.tenant",
		"integrify.key_file", "integrify.secret_file", "integrify.ca_file",
		"integrify.allow_http", "integrify.token_lifetime", "integrify.refresh_ahead",
		"integrify.fetch_failure_ttl", "integrify.connect_timeout_ms",
		"integrify.timeout_ms", "integrify.response_max",
	};
	const char *const	*keys;
	const char		*dot;
	size_t			 n, i, j;

	T_EQ_INT(sizeof(want) / sizeof(want[0]), 26);
	keys = intake_config_keys();
	T_ASSERT(keys != NULL);
	for (n = 0; keys[n] != NULL; n++) {
		/* "section.key", both parts non-empty. */
		dot = strchr(keys[n], '.');
		if (dot == NULL || dot == keys[n] || dot[1] == '\0')
			T_FAIL("\"%s\" is not section.key", keys[n]);
		for (j = 0; j < n; j++)
			if (strcmp(keys[j], keys[n]) == 0)
				T_FAIL("%s listed twice", keys[n]);
	}
	T_ASSERT(n >= 26);
	for (i = 0; i < 26; i++) {
		for (j = 0; j < n; j++)
			if (strcmp(keys[j], want[i]) == 0)
				break;
		if (j == n)
			T_FAIL("%s not listed", want[i]);
	}
	/* A second call gives the same list. */
	keys = intake_config_keys();
	for (i = 0; i < n; i++)
		T_ASSERT(keys[i] != NULL);
	T_ASSERT(keys[n] == NULL);
}

static void
test_config_dialect_and_flow_names(void)
{
	T_EQ_STR(intake_dialect_name(INTAKE_DIALECT_V7), "v7");
	T_EQ_STR(intake_dialect_name(INTAKE_DIALECT_V8), "v8");
	T_EQ_STR(intake_dialect_name(INTAKE_DIALECT__MAX), "?");
	T_EQ_STR(intake_flow_name(INTAKE_FLOW_IMPERSONATE), "impersonate");
	T_EQ_STR(intake_flow_name(INTAKE_FLOW_JWT), "jwt");
	T_EQ_STR(intake_flow_name(INTAKE_FLOW_APIKEY), "apikey");
	T_EQ_STR(intake_flow_name((enum intake_flow)99), "?");
}

/* Three lists, each filter with its check: the kinds load as written. */
#define FILTERED							\
	MINIMAL								\
	"[source:divisions]\nreport = d1\n"				\
	"[source:departments]\nreport = d2\n"				\
	"check.parent = source:divisions\nfilter.parent = Division\n"	\
	"filter.group = Group\ncheck.group = values:Accounts & Access|Hardware|IT\n" \
	"[report:assets]\nreport = a1\n"				\
	"filter.owner = Owner\ncheck.owner = pattern:[a-z][a-z0-9._-]{0,63}\n"

static const struct intake_filter_param *
filter_of(const struct intake_config *c, enum intake_source_kind kind, const char *src,
    const char *param)
{
	const struct intake_source	*s = intake_config_source(c, kind, src, strlen(src));
	size_t				 i;

	for (i = 0; s != NULL && i < s->nfilters; i++)
		if (strcmp(s->filters[i].param, param) == 0)
			return &s->filters[i];
	return NULL;
}

static void
test_config_filter_checks_load_in_either_order(void)
{
	struct fixture				 f;
	struct intake_config			*c;
	const struct intake_filter_param	*p;

	setup(&f);
	T_EQ_INT(load(&f, FILTERED "[server]\nfiltered_entries = 8\nfiltered_fetch_rate = 0\n",
	    &c), INTAKE_OK);
	T_EQ_INT(c->filtered_entries, 8);
	T_EQ_INT(c->filtered_fetch_rate, 0);
	/* check. before filter.: one filter, both halves set. */
	p = filter_of(c, INTAKE_SOURCE_CHOICES, "departments", "parent");
	T_ASSERT(p != NULL);
	T_EQ_STR(p->expose, "Division");
	T_EQ_INT(p->check, INTAKE_CHECK_SOURCE);
	T_EQ_STR(c->sources[p->check_source].name, "divisions");
	T_EQ_INT(intake_config_source(c, INTAKE_SOURCE_CHOICES, "departments", 11)->nfilters, 2);
	/* The list decides a source: check; this function lets it through. */
	T_ASSERT(intake_filter_value_ok(p, "anything"));
	intake_config_free(c);
}

static void
test_config_filter_value_pattern_must_match_whole(void)
{
	struct fixture				 f;
	struct intake_config			*c;
	const struct intake_filter_param	*p;

	setup(&f);
	T_EQ_INT(load(&f, FILTERED, &c), INTAKE_OK);
	p = filter_of(c, INTAKE_SOURCE_REPORT, "assets", "owner");
	T_ASSERT(p != NULL && p->check == INTAKE_CHECK_PATTERN);
	T_ASSERT(intake_filter_value_ok(p, "alice.meyer"));
	T_ASSERT(intake_filter_value_ok(p, "a"));
	/* A valid prefix or suffix does not carry the rest through. */
	T_ASSERT(!intake_filter_value_ok(p, "alice' OR 1=1"));
	T_ASSERT(!intake_filter_value_ok(p, "x\nalice"));
	T_ASSERT(!intake_filter_value_ok(p, "Alice"));
	T_ASSERT(!intake_filter_value_ok(p, ""));
	T_ASSERT(!intake_filter_value_ok(p, "a0123456789012345678901234567890123456789012345678901234567890123"));
	intake_config_free(c);
}

static void
test_config_filter_value_list_separator_smuggling(void)
{
	struct fixture				 f;
	struct intake_config			*c;
	const struct intake_filter_param	*p;

	setup(&f);
	T_EQ_INT(load(&f, FILTERED, &c), INTAKE_OK);
	p = filter_of(c, INTAKE_SOURCE_CHOICES, "departments", "group");
	T_ASSERT(p != NULL && p->check == INTAKE_CHECK_VALUES);
	T_ASSERT(intake_filter_value_ok(p, "Accounts & Access"));
	T_ASSERT(intake_filter_value_ok(p, "Hardware"));
	T_ASSERT(intake_filter_value_ok(p, "IT"));
	/* Exactly one listed value: no separators, parts, case changes or empties. */
	T_ASSERT(!intake_filter_value_ok(p, "Hardware|IT"));
	T_ASSERT(!intake_filter_value_ok(p, "Hard"));
	T_ASSERT(!intake_filter_value_ok(p, "it"));
	T_ASSERT(!intake_filter_value_ok(p, "ITX"));
	T_ASSERT(!intake_filter_value_ok(p, ""));
	intake_config_free(c);
}

static void
test_config_rejects_filter_without_check(void)
{
	struct fixture	f;

	setup(&f);
	T_ASSERT(fails_with(&f, MINIMAL "[source:a]\nreport = r\nfilter.parent = P\n",
	    "[source:a] filter.parent", "needs check.parent"));
	T_ASSERT(fails_with(&f, MINIMAL "[report:a]\nreport = r\ncheck.owner = values:x\n",
	    "[report:a] check.owner", "no filter.NAME"));
}

static void
test_config_rejects_bad_filter_checks(void)
{
	struct fixture	f;

	setup(&f);
	T_ASSERT(fails_with(&f, MINIMAL "[source:a]\nreport = r\nfilter.p = P\ncheck.p = any\n",
	    "[source:a] check.p", "source:NAME, pattern:REGEX or values:A|B|C"));
	T_ASSERT(fails_with(&f, MINIMAL "[source:a]\nreport = r\nfilter.p = P\ncheck.p = values:\n",
	    "[source:a] check.p", "nothing after"));
	T_ASSERT(fails_with(&f, MINIMAL "[source:a]\nreport = r\nfilter.p = P\n"
	    "check.p = pattern:([a-z\n", "[source:a] check.p", "regular expression"));
	T_ASSERT(fails_with(&f, MINIMAL "[source:a]\nreport = r\nfilter.p = P\n"
	    "check.p = source:nope\n", "[source:a] check.p", "no [source:NAME]"));
	/* A report table offers rows, not choices: not a parent list. */
	T_ASSERT(fails_with(&f, MINIMAL "[report:t]\nreport = x\n[source:a]\nreport = r\n"
	    "filter.p = P\ncheck.p = source:t\n", "[source:a] check.p", "no [source:NAME]"));
	T_ASSERT(fails_with(&f, MINIMAL "[source:a]\nreport = r\nfilter.p = P\n"
	    "check.p = values:x\ncheck.p = values:y\n", "[source:a] check.p", "set twice"));
	T_ASSERT(fails_with(&f, MINIMAL "[source:a]\nreport = r\ncheck.q = values:x\n",
	    "[source:a] check.q", "reserved"));
	T_ASSERT(fails_with(&f, MINIMAL "[server]\nfiltered_entries = 7\n",
	    "[server] filtered_entries", NULL));
}

static void
test_config_rejects_cache_too_small_for_every_list(void)
{
	struct fixture	f;

	setup(&f);
	/* 3 lists: 2 x 3 + 4 = 10 entries needed, so the token is never evicted. */
	T_ASSERT(fails_with(&f, "[server]\ncache_entries = 9\n" MINIMAL
	    "[source:a]\nreport = r\n[source:b]\nreport = r\n[report:c]\nreport = r\n",
	    "[server] cache_entries", "at least"));
}

static void
test_config_free_null(void)
{
	intake_config_free(NULL);
}

/* backend = redis loads its keys, the seal key (hex or raw) and the password. */
static void
test_config_redis_keys_load(void)
{
	struct fixture		 f;
	struct intake_config	*c;
	unsigned char		 raw[32];
	size_t			 i;

	setup(&f);
	t_write_file(f.dir, "seal.hex",
	    "  000102030405060708090a0b0c0d0e0f101112131415161718191A1B1C1D1E1F\n", 67, NULL, 0);
	t_write_file(f.dir, "pw", "redis-" SECRET "\n", sizeof("redis-" SECRET), NULL, 0);
	T_EQ_INT(load(&f, MINIMAL "[spool]\ndedupe = no\n"
	    "[cache]\nbackend = redis\nredis_socket = /run/redis.sock\n"
	    "redis_user = intake\nredis_password_file = @DIR@/pw\n"
	    "redis_timeout_ms = 100\nredis_retry_ms = 50\nredis_prefix = site1:\n"
	    "redis_seal_key_file = @DIR@/seal.hex\n", &c), INTAKE_OK);
	T_EQ_INT(c->cache_backend, INTAKE_CACHE_REDIS);
	T_EQ_STR(intake_cache_kind_name(c->cache_backend), "redis");
	T_EQ_STR(c->redis_socket, "/run/redis.sock");
	T_EQ_STR(c->redis_user, "intake");
	T_EQ_STR(c->redis_password, "redis-" SECRET);
	T_EQ_INT(c->redis_timeout_ms, 100);
	T_EQ_STR(c->redis_prefix, "site1:");
	for (i = 0; i < 32; i++)
		T_EQ_INT(c->redis_seal_key[i], i);
	intake_config_free(c);
	/* 32 raw bytes, newlines and NULs included, are a key as they are. */
	for (i = 0; i < 32; i++)
		raw[i] = (unsigned char)(i == 3 ? '\n' : i == 9 ? 0 : 200 + i);
	t_write_file(f.dir, "seal.raw", raw, sizeof(raw), NULL, 0);
	T_EQ_INT(load(&f, MINIMAL "[spool]\ndedupe = no\n[cache]\nbackend = redis\n"
	    "redis_seal_key_file = @DIR@/seal.raw\n", &c), INTAKE_OK);
	T_EQ_MEM(c->redis_seal_key, raw, 32);
	T_EQ_STR(c->redis_host, "127.0.0.1");
	T_EQ_INT(c->redis_port, 6379);
	intake_config_free(c);
	/* The default stays one host's shared memory. */
	T_EQ_INT(load(&f, MINIMAL, &c), INTAKE_OK);
	T_EQ_INT(c->cache_backend, INTAKE_CACHE_SHM);
	intake_config_free(c);
}

/* Nothing goes to Redis unsealed: no key file, no start. */
static void
test_config_rejects_redis_without_seal_key(void)
{
	struct fixture	f;

	setup(&f);
	T_ASSERT(fails_with(&f, MINIMAL "[cache]\nbackend = redis\n",
	    "[cache] redis_seal_key_file", "required"));
	t_write_file(f.dir, "short", "00112233\n", 9, NULL, 0);
	T_ASSERT(fails_with(&f, MINIMAL "[cache]\nbackend = redis\n"
	    "redis_seal_key_file = @DIR@/short\n", "[cache] redis_seal_key_file", "64 hex"));
	t_write_file(f.dir, "nothex",
	    "zz0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", 64, NULL, 0);
	T_ASSERT(fails_with(&f, MINIMAL "[cache]\nbackend = redis\n"
	    "redis_seal_key_file = @DIR@/nothex\n", "[cache] redis_seal_key_file", "64 hex"));
	T_ASSERT(fails_with(&f, MINIMAL "[cache]\nbackend = redis\n"
	    "redis_seal_key_file = @DIR@/missing\n", "[cache] redis_seal_key_file", "not found"));
}

static void
test_config_rejects_bad_redis_settings(void)
{
	struct fixture	f;

	setup(&f);
	t_write_file(f.dir, "seal", "0123456789abcdef0123456789abcdef", 32, NULL, 0);
	T_ASSERT(fails_with(&f, MINIMAL "[cache]\nbackend = redis\nredis_socket = rel.sock\n"
	    "redis_seal_key_file = @DIR@/seal\n", "[cache] redis_socket", "absolute"));
	T_ASSERT(fails_with(&f, MINIMAL "[cache]\nbackend = redis\nredis_user = u\n"
	    "redis_seal_key_file = @DIR@/seal\n", "[cache] redis_user", "password"));
	T_ASSERT(fails_with(&f, MINIMAL "[cache]\nbackend = redis\nredis_prefix =\n"
	    "redis_seal_key_file = @DIR@/seal\n", "[cache] redis_prefix", "non-empty"));
	T_ASSERT(fails_with(&f, MINIMAL "[cache]\nbackend = memcache\n", "[cache] backend",
	    NULL));
	T_ASSERT(fails_with(&f, MINIMAL "[cache]\nredis_timeout_ms = 5\n",
	    "[cache] redis_timeout_ms", NULL));
}

/* v7's claims live in Redis too: dedupe = yes is safe on several hosts. */
static void
test_config_accepts_v7_dedupe_with_redis(void)
{
	struct fixture		 f;
	struct intake_config	*c;

	setup(&f);
	t_write_file(f.dir, "seal", "0123456789abcdef0123456789abcdef", 32, NULL, 0);
	T_EQ_INT(load(&f, MINIMAL "[spool]\ndedupe = yes\n[cache]\nbackend = redis\n"
	    "redis_seal_key_file = @DIR@/seal\n", &c), INTAKE_OK);
	T_EQ_INT(c->dialect, INTAKE_DIALECT_V7);
	T_ASSERT(c->spool_dedupe);
	T_EQ_INT(c->cache_backend, INTAKE_CACHE_REDIS);
	intake_config_free(c);
}

/*
 * The config names forms_dir but never reads it: forms are the process
 * model's to load (pool.c), so a broken form does not fail the config.
 */
static void
test_config_does_not_read_forms(void)
{
	struct fixture		 f;
	struct intake_config	*cfg;
	char			 forms[700];

	setup(&f);
	(void)snprintf(forms, sizeof(forms), "%s/forms", f.dir);
	T_EQ_INT(mkdir(forms, 0700), 0);
	t_write_file(forms, "broken.conf", "[form]\nnot a form\n", 19, NULL, 0);
	T_EQ_INT(load(&f, "[server]\nforms_dir = @DIR@/forms\n" MINIMAL, &cfg), INTAKE_OK);
	T_ASSERT(strstr(cfg->forms_dir, "/forms") != NULL);
	intake_config_free(cfg);
}

int
main(void)
{
	T_RUN(test_config_minimal_loads_with_defaults);
	T_RUN(test_config_every_key_can_be_set);
	T_RUN(test_config_v8_apikey_loads);
	T_RUN(test_config_rejects_unknown_key);
	T_RUN(test_config_rejects_repeated_key);
	T_RUN(test_config_rejects_bad_int);
	T_RUN(test_config_rejects_out_of_range);
	T_RUN(test_config_rejects_bad_enum_and_mode_values);
	T_RUN(test_config_rejects_socket_mode_overflow);
	T_RUN(test_config_rejects_missing_required_key);
	T_RUN(test_config_rejects_apikey_without_v8);
	T_RUN(test_config_rejects_apikey_without_tenant);
	T_RUN(test_config_rejects_jwt_without_secret_file);
	T_RUN(test_config_rejects_refresh_ahead_not_below_lifetime);
	T_RUN(test_config_rejects_timeout_below_connect_timeout);
	T_RUN(test_config_rejects_plain_http_without_allow_http);
	T_RUN(test_config_rejects_base_url_with_path_query_or_user);
	T_RUN(test_config_public_origins_match_exactly);
	T_RUN(test_config_rejects_public_origin_a_browser_never_sends);
	T_RUN(test_config_rejects_relative_cache_file);
	T_RUN(test_config_rejects_a_relative_or_overlong_publish_dir);
	T_RUN(test_config_rejects_bad_listen);
	T_RUN(test_config_rejects_missing_key_file);
	T_RUN(test_config_rejects_empty_key_file);
	T_RUN(test_config_rejects_key_file_that_is_a_directory);
	T_RUN(test_config_rejects_key_file_with_nul_byte);
	T_RUN(test_config_rejects_oversized_key_file);
	T_RUN(test_config_key_file_is_trimmed);
	T_RUN(test_config_error_never_echoes_a_value);
	T_RUN(test_config_rejects_syntax_error_with_line);
	T_RUN(test_config_line_reader_names_the_exact_problem);
	T_RUN(test_config_rejects_missing_file);
	T_RUN(test_config_rejects_overlong_path);
	T_RUN(test_config_rejects_value_cut_by_line_limit);
	T_RUN(test_config_error_fits_small_errbuf);
	T_RUN(test_config_accepts_crlf_and_comments);
	T_RUN(test_config_keys_lists_the_26_core_keys);
	T_RUN(test_config_dialect_and_flow_names);
	T_RUN(test_config_filter_checks_load_in_either_order);
	T_RUN(test_config_filter_value_pattern_must_match_whole);
	T_RUN(test_config_filter_value_list_separator_smuggling);
	T_RUN(test_config_rejects_filter_without_check);
	T_RUN(test_config_rejects_bad_filter_checks);
	T_RUN(test_config_rejects_cache_too_small_for_every_list);
	T_RUN(test_config_free_null);
	T_RUN(test_config_redis_keys_load);
	T_RUN(test_config_rejects_redis_without_seal_key);
	T_RUN(test_config_rejects_bad_redis_settings);
	T_RUN(test_config_accepts_v7_dedupe_with_redis);
	T_RUN(test_config_does_not_read_forms);
	return T_DONE();
}
