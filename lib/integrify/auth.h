/*
 * auth.h - getting a new access token from Integrify, by the configured
 * flow, and reading the many shapes its reply may take.  No caching here:
 * token.h decides when to call intake_auth_fetch().
 */
#ifndef INTAKE_AUTH_H
#define INTAKE_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "util/err.h"
#include "integrify/http.h"

#define INTAKE_TOKEN_MAX	4096

struct intake_token {
	char	value[INTAKE_TOKEN_MAX];	/* never logged */
	int64_t	fetched_ms;
	int64_t	expires_ms;			/* our best knowledge of its end */
};

/*
 * Fetch a token.  INTAKE_EAUTH when Integrify refuses the credentials,
 * INTAKE_EUPSTREAM/ETIMEOUT when it cannot be reached or fails,
 * INTAKE_EPROTO when the reply holds no token.
 */
enum intake_err	intake_auth_fetch(struct intake_http *http, const struct intake_config *cfg,
		    struct intake_token *out);

/*
 * As intake_auth_fetch(), and on a 200 reply *shape (when shape is not
 * NULL) names the shape the reply took (intake_auth_shape()).
 */
enum intake_err	intake_auth_fetch_shape(struct intake_http *http,
		    const struct intake_config *cfg, struct intake_token *out, const char **shape);

/*
 * The shape of a token reply of len bytes, as a static phrase: "a JSON
 * object with a token member", "a JSON string", "bare text", "not JSON"
 * or "a JSON object without a token".  Never the token itself.
 */
const char	*intake_auth_shape(const char *body, size_t len);

/*
 * Read a token reply: {"token":…}, {"access_token":…}, a JSON string or
 * a bare token (e.g. a JWT).  The expiry is the earliest of expires_in,
 * the JWT exp claim and requested_exp_ms (0: none asked for), else
 * now + default_ms.
 */
enum intake_err	intake_auth_parse(const char *body, size_t len, int64_t now_ms,
		    int64_t requested_exp_ms, int64_t default_ms, struct intake_token *out);

#endif
