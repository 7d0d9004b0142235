/*
 * auth.c - the three token flows and a tolerant reply reader (see auth.h).
 *
 *   v7 impersonate  GET  /access/impersonate?key=K&user=U&expires=EPOCH
 *   v7 JWT bearer   POST /oauth2/token  grant_type=…jwt-bearer&assertion=JWT
 *   v8 API key      GET  /api/auth/apikey/{tenant}/{key}/impersonate/{user}
 *
 * Integrify documents little about these replies (wrappers, lifetimes,
 * error bodies), so the reader accepts every shape seen in public code.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "integrify/auth.h"
#include "util/json.h"
#include "integrify/jwt.h"
#include "core/log.h"
#include "integrify/reply.h"
#include "util/str.h"

#define GRANT_JWT	"urn:ietf:params:oauth:grant-type:jwt-bearer"
#define LIFETIME_MAX_S	(10LL * 366 * 86400)	/* longer is taken as no answer */
#define EPOCH_MAX_S	100000000000LL		/* year 5138: beyond is nonsense */

/* A token is printable ASCII without spaces, quotes or separators. */
static int
token_chars_ok(const char *s, size_t len)
{
	size_t	i;

	if (len == 0 || len >= INTAKE_TOKEN_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		/* c == 0 first: strchr() finds the terminator. */
		if (c == 0 || (!isalnum(c) && strchr("-._~+/=", c) == NULL))
			return 0;
	}
	return 1;
}

/* expires_in as an integer or a numeric string; -1 when absent. */
static long long
expires_in_of(struct json_object *obj)
{
	struct json_object	*v;
	long long		 n;

	v = intake_reply_member(obj, INTAKE_REPLY_EXPIRES_IN);
	if (v == NULL)
		return -1;
	if (json_object_is_type(v, json_type_int)) {
		n = json_object_get_int64(v);
		return n >= 0 && n <= LIFETIME_MAX_S ? n : -1;
	}
	if (json_object_is_type(v, json_type_string) &&
	    intake_parse_int(json_object_get_string(v), 0, LIFETIME_MAX_S, &n) == INTAKE_OK)
		return n;
	return -1;
}

enum intake_err
intake_auth_parse(const char *body, size_t len, int64_t now_ms, int64_t requested_exp_ms,
    int64_t default_ms, struct intake_token *out)
{
	struct json_object	*root = NULL, *v;
	const char		*tok = NULL;
	size_t			 toklen = 0;
	long long		 expin = -1, jexp;
	int64_t			 exp;
	bool			 has_jexp = false;
	enum intake_err		 err = INTAKE_OK;

	while (len > 0 && isspace((unsigned char)*body)) {
		body++;
		len--;
	}
	while (len > 0 && isspace((unsigned char)body[len - 1]))
		len--;
	if (len > 0 && (body[0] == '{' || body[0] == '"')) {
		if (intake_json_parse(body, len, &root) != INTAKE_OK) {
			err = INTAKE_EPROTO;
			goto out;
		}
		v = NULL;
		if (json_object_is_type(root, json_type_string))
			v = root;
		else {
			v = intake_reply_typed(root, INTAKE_REPLY_TOKEN, json_type_string);
			expin = expires_in_of(root);
		}
		if (v != NULL) {
			/* The length json-c decoded, so an escaped NUL is seen. */
			tok = json_object_get_string(v);
			toklen = (size_t)json_object_get_string_len(v);
		}
	} else {
		tok = body;
		toklen = len;
	}
	if (tok == NULL || !token_chars_ok(tok, toklen)) {
		err = INTAKE_EPROTO;
		goto out;
	}
	err = intake_jwt_exp(tok, toklen, &has_jexp, &jexp);
	if (err != INTAKE_OK)
		goto out;
	if (has_jexp && jexp > EPOCH_MAX_S)
		has_jexp = false;

	exp = 0;
	if (expin >= 0)
		exp = now_ms + expin * 1000;
	if (has_jexp && (exp == 0 || jexp * 1000 < exp))
		exp = jexp * 1000;
	if (requested_exp_ms > 0 && (exp == 0 || requested_exp_ms < exp))
		exp = requested_exp_ms;
	if (exp == 0)
		exp = now_ms + default_ms;

	memcpy(out->value, tok, toklen);
	out->value[toklen] = '\0';
	out->fetched_ms = now_ms;
	out->expires_ms = exp;
out:
	json_object_put(root);
	return err;
}

/* The url of the token endpoint, with the query for GET flows. */
static enum intake_err
token_url(const struct intake_config *cfg, long long exp_s, struct intake_buf *url)
{
	enum intake_err	err;

	err = intake_buf_adds(url, cfg->base_url);
	switch (cfg->flow) {
	case INTAKE_FLOW_IMPERSONATE:
		if (err == INTAKE_OK)
			err = intake_buf_adds(url, "/access/impersonate?key=");
		if (err == INTAKE_OK)
			err = intake_url_escape(url, cfg->key);
		if (err == INTAKE_OK)
			err = intake_buf_adds(url, "&user=");
		if (err == INTAKE_OK)
			err = intake_url_escape(url, cfg->user);
		if (err == INTAKE_OK)
			err = intake_buf_printf(url, "&expires=%lld", exp_s);
		break;
	case INTAKE_FLOW_JWT:
		if (err == INTAKE_OK)
			err = intake_buf_adds(url, "/oauth2/token");
		break;
	case INTAKE_FLOW_APIKEY:
		if (err == INTAKE_OK)
			err = intake_buf_adds(url, "/api/auth/apikey/");
		if (err == INTAKE_OK)
			err = intake_url_escape(url, cfg->tenant);
		if (err == INTAKE_OK)
			err = intake_buf_addc(url, '/');
		if (err == INTAKE_OK)
			err = intake_url_escape(url, cfg->key);
		if (err == INTAKE_OK)
			err = intake_buf_adds(url, "/impersonate/");
		if (err == INTAKE_OK)
			err = intake_url_escape(url, cfg->user);
		if (err == INTAKE_OK)
			err = intake_buf_printf(url, "?jwtExpiresIn=%lld",
			    (long long)cfg->token_lifetime);
		break;
	case INTAKE_FLOW__MAX:
		err = INTAKE_ECONFIG;
		break;
	}
	return err;
}

/* The form body of the JWT bearer grant: an HS256 assertion. */
static enum intake_err
jwt_grant_body(const struct intake_config *cfg, long long now_s, long long exp_s,
    struct intake_buf *body)
{
	struct intake_buf	claims, jwt, aud;
	enum intake_err		err;

	intake_buf_init(&claims, 4096);
	intake_buf_init(&jwt, 16384);
	intake_buf_init(&aud, INTAKE_URL_MAX + 32);
	err = intake_buf_printf(&aud, "%s/oauth2/token", cfg->base_url);
	if (err == INTAKE_OK)
		err = intake_buf_adds(&claims, "{\"iss\":");
	if (err == INTAKE_OK)
		err = intake_json_quote(&claims, cfg->key, strlen(cfg->key));
	if (err == INTAKE_OK)
		err = intake_buf_adds(&claims, ",\"sub\":");
	if (err == INTAKE_OK)
		err = intake_json_quote(&claims, cfg->user, strlen(cfg->user));
	if (err == INTAKE_OK)
		err = intake_buf_adds(&claims, ",\"aud\":");
	if (err == INTAKE_OK)
		err = intake_json_quote(&claims, aud.ptr, aud.len);
	if (err == INTAKE_OK)
		err = intake_buf_printf(&claims, ",\"iat\":%lld,\"exp\":%lld}", now_s, exp_s);
	if (err == INTAKE_OK)
		err = intake_jwt_sign_hs256(&jwt, cfg->secret, claims.ptr);
	if (err == INTAKE_OK)
		err = intake_buf_adds(body, "grant_type=");
	if (err == INTAKE_OK)
		err = intake_url_escape(body, GRANT_JWT);
	if (err == INTAKE_OK)
		err = intake_buf_adds(body, "&assertion=");
	if (err == INTAKE_OK)
		err = intake_url_escape(body, jwt.ptr);
	if (jwt.ptr != NULL)
		OPENSSL_cleanse(jwt.ptr, jwt.cap);
	intake_buf_free(&claims);
	intake_buf_free(&jwt);
	intake_buf_free(&aud);
	return err;
}

const char *
intake_auth_shape(const char *body, size_t len)
{
	struct json_object	*root = NULL;
	const char		*shape = "bare text";

	while (len > 0 && isspace((unsigned char)*body)) {
		body++;
		len--;
	}
	if (len > 0 && (body[0] == '{' || body[0] == '"')) {
		if (intake_json_parse(body, len, &root) != INTAKE_OK)
			shape = "not JSON";
		else if (json_object_is_type(root, json_type_string))
			shape = "a JSON string";
		else if (intake_reply_typed(root, INTAKE_REPLY_TOKEN, json_type_string) != NULL)
			shape = "a JSON object with a token member";
		else
			shape = "a JSON object without a token";
	}
	json_object_put(root);
	return shape;
}

enum intake_err
intake_auth_fetch(struct intake_http *http, const struct intake_config *cfg,
    struct intake_token *out)
{
	return intake_auth_fetch_shape(http, cfg, out, NULL);
}

enum intake_err
intake_auth_fetch_shape(struct intake_http *http, const struct intake_config *cfg,
    struct intake_token *out, const char **shape)
{
	struct intake_http_call	 call;
	struct intake_http_resp	 resp;
	struct intake_buf	 url, body;
	struct intake_token	 tok;
	struct intake_log_line	 l;
	int64_t			 now = intake_now_ms();
	long long		 now_s = now / 1000, exp_s = now_s + cfg->token_lifetime;
	enum intake_err		 err;

	intake_buf_init(&url, 4096);
	intake_buf_init(&body, 32768);
	intake_http_resp_init(&resp, 65536);
	memset(&call, 0, sizeof(call));

	err = token_url(cfg, exp_s, &url);
	if (err == INTAKE_OK && cfg->flow == INTAKE_FLOW_JWT)
		err = jwt_grant_body(cfg, now_s, exp_s, &body);
	if (err != INTAKE_OK)
		goto out;
	call.url = url.ptr;
	if (cfg->flow == INTAKE_FLOW_JWT) {
		call.method = "POST";
		call.content_type = "application/x-www-form-urlencoded";
		call.body = body.ptr;
		call.bodylen = body.len;
	} else
		call.method = "GET";

	intake_log_event(INTAKE_LOG_INFO, "token_fetching", "flow", intake_flow_name(cfg->flow),
	    "user", cfg->user, NULL);
	err = intake_http_do(http, &call, &resp);
	if (err != INTAKE_OK)
		goto out;
	if (resp.status != 200) {
		/* The body may echo credentials: log the status only. */
		intake_log_begin(&l, INTAKE_LOG_WARN, "token_fetch_failed");
		intake_log_int(&l, "status", resp.status);
		intake_log_str(&l, "msg", "token: Integrify refused the token request");
		intake_log_end(&l);
		if (resp.status == 429 || resp.status >= 500)
			err = INTAKE_EUPSTREAM;
		else if (resp.status >= 400 && resp.status < 500)
			err = INTAKE_EAUTH;
		else
			err = INTAKE_EPROTO;
		goto out;
	}
	if (shape != NULL)
		*shape = intake_auth_shape(intake_buf_str(&resp.body), resp.body.len);
	err = intake_auth_parse(resp.body.ptr == NULL ? "" : resp.body.ptr, resp.body.len,
	    now, cfg->flow == INTAKE_FLOW_JWT ? 0 : exp_s * 1000,
	    cfg->token_lifetime * 1000, &tok);
	if (err != INTAKE_OK) {
		intake_log_event(INTAKE_LOG_WARN, "token_fetch_failed", "msg",
		    "token: Integrify's token reply holds no token", NULL);
		goto out;
	}
	*out = tok;
out:
	OPENSSL_cleanse(&tok, sizeof(tok));
	if (url.ptr != NULL)
		OPENSSL_cleanse(url.ptr, url.cap);
	if (body.ptr != NULL)
		OPENSSL_cleanse(body.ptr, body.cap);
	if (resp.body.ptr != NULL)
		OPENSSL_cleanse(resp.body.ptr, resp.body.cap);
	intake_buf_free(&url);
	intake_buf_free(&body);
	intake_http_resp_free(&resp);
	return err;
}
