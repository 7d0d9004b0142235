/*
 * jwt.c - HS256 signing and exp reading through OpenSSL and json-c.
 */
#include <string.h>

#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "util/json.h"
#include "util/str.h"
#include "integrify/jwt.h"

#define JWT_PART_MAX	INTAKE_B64URL_MAX	/* a decoded payload */

enum intake_err
intake_jwt_sign_hs256(struct intake_buf *out, const char *secret, const char *payload_json)
{
	static const char	 header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
	unsigned char		 mac[EVP_MAX_MD_SIZE];
	unsigned int		 maclen = 0;
	size_t			 start = out->len;
	enum intake_err		 err;

	err = intake_b64url_encode(out, header, sizeof(header) - 1);
	if (err == INTAKE_OK)
		err = intake_buf_addc(out, '.');
	if (err == INTAKE_OK)
		err = intake_b64url_encode(out, payload_json, strlen(payload_json));
	if (err != INTAKE_OK)
		return err;
	if (HMAC(EVP_sha256(), secret, (int)strlen(secret),
	    (const unsigned char *)out->ptr + start, out->len - start, mac, &maclen) == NULL)
		return INTAKE_ESYS;
	err = intake_buf_addc(out, '.');
	if (err == INTAKE_OK)
		err = intake_b64url_encode(out, mac, maclen);
	return err;
}

enum intake_err
intake_jwt_exp(const char *jwt, size_t len, bool *found, long long *exp)
{
	struct intake_buf	 payload;
	struct json_object	*root = NULL, *v;
	const char		*dot1, *dot2;
	enum intake_err		 err = INTAKE_OK;
	bool			 got = false;
	long long		 e = 0;

	intake_buf_init(&payload, JWT_PART_MAX);
	dot1 = memchr(jwt, '.', len);
	if (dot1 == NULL)
		goto out;
	dot2 = memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - jwt));
	if (dot2 == NULL)
		goto out;
	if (intake_b64url_decode(&payload, dot1 + 1, (size_t)(dot2 - dot1 - 1)) != INTAKE_OK)
		goto out;
	if (intake_json_parse(payload.ptr == NULL ? "" : payload.ptr, payload.len, &root)
	    != INTAKE_OK)
		goto out;
	if (!json_object_is_type(root, json_type_object) ||
	    !json_object_object_get_ex(root, "exp", &v))
		goto out;
	if (json_object_is_type(v, json_type_int)) {
		e = json_object_get_int64(v);
		got = true;
	} else if (json_object_is_type(v, json_type_double)) {
		double d = json_object_get_double(v);

		if (d > 0 && d < 1e12) {
			e = (long long)d;
			got = true;
		}
	}
	if (got && e <= 0)
		got = false;
out:
	json_object_put(root);
	intake_buf_free(&payload);
	if (err == INTAKE_OK) {
		*found = got;
		if (got)
			*exp = e;
	}
	return err;
}
