/*
 * str.c - string helpers (see str.h).  The only caller of strtoll.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "util/str.h"

void *
intake_xmalloc(size_t n)
{
	void	*p;

	p = malloc(n == 0 ? 1 : n);
	if (p == NULL) {
		fputs("intake: out of memory\n", stderr);
		abort();
	}
	return p;
}

void *
intake_xcalloc(size_t n, size_t size)
{
	void	*p;

	p = calloc(n == 0 ? 1 : n, size == 0 ? 1 : size);
	if (p == NULL) {
		fputs("intake: out of memory\n", stderr);
		abort();
	}
	return p;
}

char *
intake_xstrdup(const char *s)
{
	size_t	 n;
	char	*p;

	n = strlen(s) + 1;
	p = intake_xmalloc(n);
	memcpy(p, s, n);
	return p;
}

enum intake_err
intake_strlcpy(char *dst, const char *src, size_t dstsz)
{
	size_t	n;

	n = strlen(src);
	if (dstsz == 0 || n >= dstsz)
		return INTAKE_ETOOBIG;
	memcpy(dst, src, n + 1);
	return INTAKE_OK;
}

enum intake_err
intake_parse_intn(const char *s, size_t len, long long min, long long max,
    long long *out)
{
	char	 tmp[32];

	if (len == 0 || len >= sizeof(tmp))
		return INTAKE_EINVAL;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	if (strlen(tmp) != len)
		return INTAKE_EINVAL;
	return intake_parse_int(tmp, min, max, out);
}

enum intake_err
intake_parse_int(const char *s, long long min, long long max, long long *out)
{
	char		*end;
	long long	 v;

	if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
		return INTAKE_EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return INTAKE_EINVAL;
	*out = v;
	return INTAKE_OK;
}

bool
intake_date_valid(const char *s, size_t len)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	long long	 y, m, d;

	if (len != 10 || s[4] != '-' || s[7] != '-' ||
	    intake_parse_intn(s, 4, 1, 9999, &y) != INTAKE_OK ||
	    intake_parse_intn(s + 5, 2, 1, 12, &m) != INTAKE_OK ||
	    intake_parse_intn(s + 8, 2, 1, 31, &d) != INTAKE_OK || d > mdays[m - 1])
		return false;
	return !(m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
}

enum intake_err
intake_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t	i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return INTAKE_OK;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return INTAKE_OK;
		}
	}
	return INTAKE_EINVAL;
}

bool
intake_str_ct_equal(const void *a, size_t alen, const void *b, size_t blen)
{
	const unsigned char	*x = a, *y = b;
	unsigned char		 d;
	size_t			 i;

	if (alen != blen)
		return false;
	d = 0;
	for (i = 0; i < alen; i++)
		d |= (unsigned char)(x[i] ^ y[i]);
	return d == 0;
}

int
intake_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void
intake_hex(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t	i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0x0f];
	}
	out[2 * n] = '\0';
}

void
intake_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char	md[SHA256_DIGEST_LENGTH];

	SHA256(data, len, md);
	intake_hex(md, sizeof(md), out);
}

enum intake_err
intake_json_quote(struct intake_buf *b, const char *s, size_t len)
{
	static const char	 hexd[] = "0123456789abcdef";
	static const char	 fffd[] = "\xef\xbf\xbd";	/* U+FFFD REPLACEMENT CHARACTER */
	const uint8_t		*u = (const uint8_t *)s;
	enum intake_err		 err;
	size_t			 i, run, n;
	unsigned char		 c;
	char			 esc[7];

	err = intake_buf_addc(b, '"');
	run = 0;
	for (i = 0; err == INTAKE_OK && i < len; ) {
		c = u[i];
		if (c >= 0x80) {
			/* Valid UTF-8 is copied; each invalid byte becomes U+FFFD. */
			n = intake_utf8_len(s + i, len - i);
			if (n > 0) {
				i += n;
				continue;
			}
			err = intake_buf_add(b, s + run, i - run);
			if (err == INTAKE_OK)
				err = intake_buf_add(b, fffd, sizeof(fffd) - 1);
			run = ++i;
			continue;
		}
		if (c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' &&
		    c != '&' && c != 0x7f) {
			i++;
			continue;
		}
		err = intake_buf_add(b, s + run, i - run);
		run = ++i;
		if (err != INTAKE_OK)
			break;
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			err = intake_buf_add(b, esc, 2);
			continue;
		}
		/* Control bytes, and <>& so JSON is safe inside HTML too. */
		memcpy(esc, "\\u00", 4);
		esc[4] = hexd[c >> 4];
		esc[5] = hexd[c & 0x0f];
		err = intake_buf_add(b, esc, 6);
	}
	if (err == INTAKE_OK)
		err = intake_buf_add(b, s + run, len - run);
	if (err == INTAKE_OK)
		err = intake_buf_addc(b, '"');
	return err;
}

size_t
intake_utf8_len(const char *s, size_t len)
{
	const uint8_t	*u = (const uint8_t *)s;
	size_t		 n, i;
	uint32_t	 cp;

	if (len == 0)
		return 0;
	if (u[0] < 0x80)
		return 1;
	if (u[0] >= 0xc2 && u[0] <= 0xdf) {
		n = 2;
		cp = u[0] & 0x1fu;
	} else if (u[0] >= 0xe0 && u[0] <= 0xef) {
		n = 3;
		cp = u[0] & 0x0fu;
	} else if (u[0] >= 0xf0 && u[0] <= 0xf4) {
		n = 4;
		cp = u[0] & 0x07u;
	} else
		return 0;	/* a continuation byte, C0/C1 (overlong) or F5-FF */
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((u[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (u[i] & 0x3fu);
	}
	/* Overlong forms, UTF-16 surrogates and past U+10FFFF are not UTF-8. */
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

size_t
intake_utf8_cut(const char *s, size_t len, size_t max)
{
	size_t	i, n;

	if (len <= max)
		return len;
	/* Step back over continuation bytes to the start of the cut character. */
	for (i = max; i > 0 && ((unsigned char)s[i] & 0xc0) == 0x80 && max - i < 3; i--)
		;
	n = intake_utf8_len(s + i, len - i);
	/* Not a character there (invalid bytes cut anywhere), or it ends in time. */
	if (n == 0 || i + n <= max)
		return max;
	return i;
}

enum intake_err
intake_url_escape(struct intake_buf *b, const char *s)
{
	static const char hexd[] = "0123456789ABCDEF";
	enum intake_err	 err = INTAKE_OK;
	unsigned char	 c;
	char		 pct[3];

	for (; err == INTAKE_OK && *s != '\0'; s++) {
		c = (unsigned char)*s;
		if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
			err = intake_buf_addc(b, (char)c);
			continue;
		}
		pct[0] = '%';
		pct[1] = hexd[c >> 4];
		pct[2] = hexd[c & 0x0f];
		err = intake_buf_add(b, pct, 3);
	}
	return err;
}

bool
intake_memcasemem(const char *hay, size_t len, const char *needle)
{
	size_t	n, i;

	n = strlen(needle);
	if (n == 0)
		return true;
	for (i = 0; i + n <= len; i++)
		if (strncasecmp(hay + i, needle, n) == 0)
			return true;
	return false;
}

int64_t
intake_now_ms(void)
{
	struct timespec	ts;

	(void)clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

enum intake_err
intake_html_escape(struct intake_buf *b, const char *s)
{
	enum intake_err	err = INTAKE_OK;
	const char	*run = s;

	for (; err == INTAKE_OK && *s != '\0'; s++) {
		const char *rep;

		switch (*s) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default: continue;
		}
		err = intake_buf_add(b, run, (size_t)(s - run));
		if (err == INTAKE_OK)
			err = intake_buf_adds(b, rep);
		run = s + 1;
	}
	if (err == INTAKE_OK)
		err = intake_buf_adds(b, run);
	return err;
}

enum intake_err
intake_b64url_encode(struct intake_buf *out, const void *in, size_t n)
{
	unsigned char	 tmp[((INTAKE_B64URL_MAX + 2) / 3) * 4 + 1];
	int		 len, i;

	if (n > INTAKE_B64URL_MAX)
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
	unsigned char	 std[((INTAKE_B64URL_MAX + 2) / 3) * 4 + 4];
	unsigned char	 raw[INTAKE_B64URL_MAX + 4];
	size_t		 i, padded;
	int		 len, pad;

	if (n > ((INTAKE_B64URL_MAX + 2) / 3) * 4)
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

const char *
intake_list_next(const char **p, size_t *len)
{
	const char	*s = *p, *end;
	size_t		 n;

	while (*s == ' ' || *s == ',')
		s++;
	if (*s == '\0') {
		*p = s;
		return NULL;
	}
	end = s + strcspn(s, ",");
	n = (size_t)(end - s);
	while (n > 0 && s[n - 1] == ' ')
		n--;
	*p = *end == ',' ? end + 1 : end;
	*len = n;
	return s;
}
