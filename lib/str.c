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

#include <openssl/sha.h>

#include "intake/str.h"

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
	static const char hexd[] = "0123456789abcdef";
	enum intake_err	 err;
	size_t		 i, run;
	unsigned char	 c;
	char		 esc[7];

	err = intake_buf_addc(b, '"');
	run = 0;
	for (i = 0; err == INTAKE_OK && i < len; i++) {
		c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' &&
		    c != '&' && c != 0x7f)
			continue;
		err = intake_buf_add(b, s + run, i - run);
		run = i + 1;
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
