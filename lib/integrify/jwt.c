/*
 * jwt.c - HS256 signing and exp reading through OpenSSL and json-c.
 */
#include <string.h>

#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "util/json.h"
#include "integrify/jwt.h"

#define JWT_PART_MAX	8192

enum intake_err
intake_b64url_encode(struct intake_buf *out, const void *in, size_t n)
{
	unsigned char	 tmp[((JWT_PART_MAX + 2) / 3) * 4 + 1];
	int		 len, i;

	if (n > JWT_PART_MAX)
		return INTAKE_ETOOBIG;
	len = EVP_EncodeBlock(tmp, in, (int)n);
	while (len > 0 && tmp[len - 1] == '=')
		len--;
	for (i = 0; i < len; i++) {
		if (tmp[i] == '+')
			tmp[i] = '-';
		else if (tmp[i] == '/')
			tmp[i] = '_';
	}
	return intake_buf_add(out, tmp, (size_t)len);
}

enum intake_err
intake_b64url_decode(struct intake_buf *out, const char *in, size_t n)
{
	unsigned char	 std[((JWT_PART_MAX + 2) / 3) * 4 + 4];
	unsigned char	 raw[JWT_PART_MAX + 4];
	size_t		 i, padded;
	int		 len, pad;

	if (n > ((JWT_PART_MAX + 2) / 3) * 4)
		return INTAKE_ETOOBIG;
	while (n > 0 && in[n - 1] == '=')
		n--;
	if (n % 4 == 1)
		return INTAKE_EINVAL;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c == '-')
			c = '+';
		else if (c == '_')
			c = '/';
		else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9')))
			return INTAKE_EINVAL;
		std[i] = c;
	}
	pad = (int)((4 - n % 4) % 4);
	padded = n + (size_t)pad;
	for (i = n; i < padded; i++)
		std[i] = '=';
	if (padded == 0)
		return INTAKE_OK;
	len = EVP_DecodeBlock(raw, std, (int)padded);
	if (len < 0 || len < pad)
		return INTAKE_EINVAL;
	return intake_buf_add(out, raw, (size_t)(len - pad));
}

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
