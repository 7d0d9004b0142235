/*
 * start_fixture.h - what the tests of starting requests share (test_reqstart.c,
 * test_dialect.c): a config for either dialect pointed at the fake HTTP
 * server (fake_http.h), tokens for the token paths, and readers of the
 * calls the code under test made.  Include after t.h and fake_http.h.
 */
#ifndef INTAKE_START_FIXTURE_H
#define INTAKE_START_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cache/cache.h"
#include "core/config.h"
#include "core/ctx.h"
#include "integrify/http.h"

#define TOKEN_BODY	"{\"token\":\"0123456789abcdef0123456789abcdef\"}"

struct fixture {
	char			 dir[256];
	struct fake_http	*srv;
	struct intake_config	*cfg;
	struct intake_ctx	 ctx;
};

/* Start the server and load a config for dialect lines pointing at it. */
static inline void
setup_with(struct fixture *f, const char *dialect_lines)
{
	char	text[4096], conf[512], err[1024];
	int	n;

	memset(f, 0, sizeof(*f));
	t_mkdtemp(f->dir, sizeof(f->dir));
	/* Tokens for the token paths (not calls); every other request is a call. */
	f->srv = fake_http_start();
	(void)fake_http_route(f->srv, "GET /access/impersonate?", 200, TOKEN_BODY);
	(void)fake_http_route(f->srv, "GET /api/auth/apikey/", 200, TOKEN_BODY);

	t_write_file(f->dir, "key", "k-123\n", 6, NULL, 0);
	t_write_file(f->dir, "secret", "s3cret\n", 7, NULL, 0);
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
	    "connect_timeout_ms = 2000\ntimeout_ms = 5000\n",
	    f->dir, dialect_lines, f->srv->port, f->dir, f->dir);
	if (n < 0 || (size_t)n >= sizeof(text))
		abort();
	t_write_file(f->dir, "intake.conf", text, (size_t)n, conf, sizeof(conf));
	if (intake_config_load(conf, &f->cfg, err, sizeof(err)) != INTAKE_OK) {
		fprintf(stderr, "config: %s\n", err);
		abort();
	}
	f->ctx.cfg = f->cfg;
	if (intake_cache_open(f->cfg, true, &f->ctx.cache) != INTAKE_OK ||
	    intake_http_new(f->cfg, &f->ctx.http) != INTAKE_OK)
		abort();
}

static inline void
setup_v7(struct fixture *f)
{
	setup_with(f, "dialect = v7\nflow = impersonate\n");
}

static inline void
setup_v8(struct fixture *f)
{
	setup_with(f, "dialect = v8\nflow = apikey\ntenant = acme corp\n");
}

static inline void
teardown(struct fixture *f)
{
	fake_http_stop(f->srv);
	intake_http_free(f->ctx.http);
	intake_cache_close(f->ctx.cache);
	intake_config_free(f->cfg);
}

/* Script the reply to API call i. */
static inline void
reply(struct fixture *f, int i, int status, const char *body)
{
	(void)fake_http_script(f->srv, i, status, body);
}

static inline int
calls(const struct fixture *f)
{
	return fake_http_calls(f->srv);
}

/* Forget the calls so far: the next one is call 0 again. */
static inline void
rewind_calls(struct fixture *f)
{
	fake_http_rewind(f->srv);
}

/* Does call i's request line start with "METHOD TARGET "? */
static inline bool
req_is(const struct fixture *f, int i, const char *method, const char *target)
{
	if (!fake_http_line_is(fake_http_req(f->srv, i), method, target)) {
		printf("# (that was call %d)\n", i);
		return false;
	}
	return true;
}

/* Call i's body and its length. */
static inline const char *
req_body(const struct fixture *f, int i, size_t *len)
{
	return fake_http_body(fake_http_req(f->srv, i), len);
}

/* The value of header name in call i, into out ("" when absent). */
static inline void
req_header(const struct fixture *f, int i, const char *name, char *out, size_t outsz)
{
	(void)fake_http_header(fake_http_req(f->srv, i), name, out, outsz);
}

/* Call i's body parsed as JSON (the caller puts it), or NULL. */
static inline struct json_object *
req_json(const struct fixture *f, int i)
{
	struct json_tokener	*tok;
	struct json_object	*o;
	size_t			 len;
	const char		*b = req_body(f, i, &len);

	/* json-c itself, strict, not the code under test's wrapper. */
	tok = json_tokener_new();
	if (tok == NULL)
		abort();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, b, (int)len);
	if (o != NULL && (json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len)) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

/* Member key of o as a string, or NULL. */
static inline const char *
jstr(struct json_object *o, const char *key)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

#endif
