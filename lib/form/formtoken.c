/*
 * formtoken.c - signed, expiring form tokens (see formtoken.h).
 *
 * A token is
 *
 *	v1.<form_id>.<issued_s>.<nonce>.<mac>
 *
 * with issued_s in decimal without leading zeros, nonce 32 lower-case hex
 * digits of RAND_bytes(), and mac the base64url (no padding, 43
 * characters) of HMAC-SHA256(key, "v1.<form_id>.<issued_s>.<nonce>"),
 * the token up to its last dot.  Every character is in [A-Za-z0-9._-], so
 * the token needs no escaping in an HTML attribute, a URL or a cookie.
 *
 * Checking goes from what needs no trust to what does: the shape of each
 * field, then the MAC (its text compared in constant time with the one
 * computed, so no decoding slack lets two spellings pass), and only then
 * the form id and the age.
 */
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "util/buf.h"
#include "form/formtoken.h"
#include "util/str.h"

#define FT_VERSION	"v1"
#define FT_FORM_ID_MAX	64
#define FT_ISSUED_MAX	19	/* digits of INT64_MAX */
#define FT_NONCE_BYTES	16
#define FT_NONCE_HEX	(2 * FT_NONCE_BYTES)
#define FT_MAC_BYTES	32	/* SHA-256 */
#define FT_MAC_B64	43	/* base64url of 32 bytes, unpadded */

_Static_assert(sizeof(((struct intake_formtoken *)0)->form_id) == FT_FORM_ID_MAX + 1,
    "form_id holds the longest id");
_Static_assert(INTAKE_FORMTOKEN_NONCE == FT_NONCE_HEX + 1, "nonce holds 32 hex digits");
_Static_assert(sizeof(FT_VERSION) + FT_FORM_ID_MAX + 1 + FT_ISSUED_MAX + 1 + FT_NONCE_HEX +
    1 + FT_MAC_B64 + 1 <= INTAKE_FORMTOKEN_MAX, "the longest token fits");

/* Whether n bytes of s are a form id: 1-64 of a-z 0-9 _ -. */
static int
ft_form_id_ok(const char *s, size_t n)
{
	size_t	i;

	if (n == 0 || n > FT_FORM_ID_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}

/* Whether n bytes of s are issued_s as issued: 1-19 digits, no leading 0. */
static int
ft_issued_ok(const char *s, size_t n)
{
	size_t	i;

	if (n == 0 || n > FT_ISSUED_MAX || (n > 1 && s[0] == '0'))
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* Whether n bytes of s are 32 lower-case hex digits. */
static int
ft_nonce_ok(const char *s, size_t n)
{
	size_t	i;

	if (n != FT_NONCE_HEX)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* Whether n bytes of s could be a MAC: 43 characters of base64url. */
static int
ft_mac_ok(const char *s, size_t n)
{
	size_t	i;

	if (n != FT_MAC_B64)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_'))
			return 0;
	return 1;
}

/* Append the base64url HMAC-SHA256 of msg (n bytes) under key to b. */
static enum intake_err
ft_mac(const unsigned char key[INTAKE_FORMTOKEN_KEY], const char *msg, size_t n,
    struct intake_buf *b)
{
	unsigned char	mac[EVP_MAX_MD_SIZE];
	unsigned int	maclen = 0;

	if (HMAC(EVP_sha256(), key, INTAKE_FORMTOKEN_KEY, (const unsigned char *)msg, n,
	    mac, &maclen) == NULL || maclen != FT_MAC_BYTES)
		return INTAKE_ESYS;
	return intake_b64url_encode(b, mac, maclen);
}

enum intake_err
intake_formtoken_issue(const unsigned char key[INTAKE_FORMTOKEN_KEY], const char *form_id,
    int64_t now_s, char out[INTAKE_FORMTOKEN_MAX])
{
	struct intake_buf	b;
	unsigned char		raw[FT_NONCE_BYTES];
	char			nonce[INTAKE_FORMTOKEN_NONCE];
	enum intake_err		err;

	intake_buf_init(&b, INTAKE_FORMTOKEN_MAX - 1);
	if (!ft_form_id_ok(form_id, strnlen(form_id, FT_FORM_ID_MAX + 1)) || now_s < 0) {
		err = INTAKE_EINVAL;
		goto out;
	}
	if (RAND_bytes(raw, (int)sizeof(raw)) != 1) {
		err = INTAKE_ESYS;
		goto out;
	}
	intake_hex(raw, sizeof(raw), nonce);
	err = intake_buf_printf(&b, FT_VERSION ".%s.%lld.%s", form_id, (long long)now_s, nonce);
	if (err != INTAKE_OK)
		goto out;
	err = intake_buf_addc(&b, '.');
	if (err != INTAKE_OK)
		goto out;
	/* The MAC covers everything before the dot just added. */
	err = ft_mac(key, b.ptr, b.len - 1, &b);
	if (err != INTAKE_OK)
		goto out;
	memcpy(out, b.ptr, b.len + 1);
out:
	intake_buf_free(&b);
	return err;
}

/*
 * The five fields of token (len bytes), between dots, into f: version,
 * form id, issued, nonce, mac, each of its shape.  INTAKE_EINVAL when
 * the token is not one (a NUL anywhere, a field too many or too few).
 */
static enum intake_err
ft_split(const char *token, size_t len, struct intake_str f[5])
{
	const char	*dot;
	size_t		 pos = 0, i;

	/* A NUL anywhere is refused here, whatever the fields' shapes say. */
	if (len == 0 || len >= INTAKE_FORMTOKEN_MAX || memchr(token, '\0', len) != NULL)
		return INTAKE_EINVAL;
	/* Five fields between dots; a sixth (another dot) is malformed. */
	for (i = 0; i < 5; i++) {
		dot = memchr(token + pos, '.', len - pos);
		if ((dot == NULL) != (i == 4))
			return INTAKE_EINVAL;
		f[i].ptr = token + pos;
		f[i].len = dot == NULL ? len - pos : (size_t)(dot - (token + pos));
		pos += f[i].len + 1;
	}
	if (f[0].len != sizeof(FT_VERSION) - 1 || memcmp(f[0].ptr, FT_VERSION, f[0].len) != 0 ||
	    !ft_form_id_ok(f[1].ptr, f[1].len) || !ft_issued_ok(f[2].ptr, f[2].len) ||
	    !ft_nonce_ok(f[3].ptr, f[3].len) || !ft_mac_ok(f[4].ptr, f[4].len))
		return INTAKE_EINVAL;
	return INTAKE_OK;
}

enum intake_err
intake_formtoken_check(const unsigned char key[INTAKE_FORMTOKEN_KEY], const char *token,
    size_t len, const char *form_id, int64_t now_s, int64_t min_age_s, int64_t max_age_s,
    struct intake_formtoken *out)
{
	struct intake_buf	 want;
	struct intake_str	 f[5];	/* version, form id, issued, nonce, mac */
	size_t			 signedlen;
	long long		 issued;
	int64_t			 age;
	enum intake_err		 err;

	intake_buf_init(&want, FT_MAC_B64);
	err = ft_split(token, len, f);
	if (err != INTAKE_OK)
		goto out;
	signedlen = (size_t)(f[4].ptr - token) - 1;
	err = ft_mac(key, token, signedlen, &want);
	if (err != INTAKE_OK)
		goto out;
	if (!intake_str_ct_equal(want.ptr, want.len, f[4].ptr, f[4].len)) {
		err = INTAKE_EINVAL;
		goto out;
	}

	/* Signed by us: now the fields mean something. */
	if (strlen(form_id) != f[1].len || memcmp(form_id, f[1].ptr, f[1].len) != 0) {
		err = INTAKE_EINVAL;	/* another form's token */
		goto out;
	}
	err = intake_parse_intn(f[2].ptr, f[2].len, 0, INT64_MAX, &issued);
	if (err != INTAKE_OK)
		goto out;
	/* now_s - issued without overflow: issued >= 0, so only a very negative now_s can. */
	if (issued > 0 && now_s < INT64_MIN + issued) {
		err = INTAKE_ETIMEOUT;	/* issued long after now: too new */
		goto out;
	}
	age = now_s - (int64_t)issued;
	if (age < min_age_s || age > max_age_s) {
		err = INTAKE_ETIMEOUT;
		goto out;
	}
	memcpy(out->form_id, f[1].ptr, f[1].len);
	out->form_id[f[1].len] = '\0';
	out->issued_s = (int64_t)issued;
	memcpy(out->nonce, f[3].ptr, f[3].len);
	out->nonce[f[3].len] = '\0';
out:
	intake_buf_free(&want);
	return err;
}

enum intake_err
intake_formtoken_reference(const unsigned char key[INTAKE_FORMTOKEN_KEY],
    const struct intake_formtoken *tok, char out[INTAKE_FORMTOKEN_REF_MAX])
{
	static const char	alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
	unsigned char		mac[EVP_MAX_MD_SIZE];
	unsigned int		maclen = 0;
	char			msg[160];
	uint64_t		bits = 0;
	size_t			i, o = 0;
	int			n;

	n = snprintf(msg, sizeof(msg), "ref.%s.%s", tok->form_id, tok->nonce);
	if (n < 0 || (size_t)n >= sizeof(msg) ||
	    HMAC(EVP_sha256(), key, INTAKE_FORMTOKEN_KEY, (const unsigned char *)msg,
	    (size_t)n, mac, &maclen) == NULL || maclen < 8)
		return INTAKE_ESYS;
	for (i = 0; i < 8; i++)
		bits = bits << 8 | mac[i];
	/* 60 bits as 12 base32 digits, in groups of four. */
	for (i = 0; i < 12; i++) {
		if (i == 4 || i == 8)
			out[o++] = '-';
		out[o++] = alphabet[(bits >> (59 - 5 * i - 4)) & 0x1f];
	}
	out[o] = '\0';
	return INTAKE_OK;
}
