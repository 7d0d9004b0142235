/*
 * buf.c - bounded growable buffers (see buf.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

void
intake_buf_init(struct intake_buf *b, size_t max)
{
	b->ptr = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
	b->err = INTAKE_OK;
}

void
intake_buf_free(struct intake_buf *b)
{
	free(b->ptr);
	b->ptr = NULL;
	b->len = 0;
	b->cap = 0;
	b->err = INTAKE_OK;
}

void
intake_buf_reset(struct intake_buf *b)
{
	b->len = 0;
	b->err = INTAKE_OK;
	if (b->ptr != NULL)
		b->ptr[0] = '\0';
}

/* Remember the first error (buf.h); return this one. */
static enum intake_err
buf_fail(struct intake_buf *b, enum intake_err err)
{
	if (b->err == INTAKE_OK)
		b->err = err;
	return err;
}

/* Make room for n more bytes plus the terminator. */
static enum intake_err
buf_grow(struct intake_buf *b, size_t n)
{
	size_t	 need, ncap;
	char	*p;

	if (n > b->max || b->len > b->max - n)
		return buf_fail(b, INTAKE_ETOOBIG);
	need = b->len + n + 1;
	if (need <= b->cap)
		return INTAKE_OK;
	ncap = b->cap == 0 ? 256 : b->cap;
	while (ncap < need)
		ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
	if (b->max < SIZE_MAX && ncap > b->max + 1)
		ncap = b->max + 1;
	p = realloc(b->ptr, ncap);
	if (p == NULL)
		return buf_fail(b, INTAKE_ENOMEM);
	b->ptr = p;
	b->cap = ncap;
	return INTAKE_OK;
}

enum intake_err
intake_buf_add(struct intake_buf *b, const void *p, size_t n)
{
	enum intake_err err;

	err = buf_grow(b, n);
	if (err != INTAKE_OK)
		return err;
	if (n > 0)
		memcpy(b->ptr + b->len, p, n);
	b->len += n;
	b->ptr[b->len] = '\0';
	return INTAKE_OK;
}

enum intake_err
intake_buf_adds(struct intake_buf *b, const char *s)
{
	return intake_buf_add(b, s, strlen(s));
}

enum intake_err
intake_buf_addc(struct intake_buf *b, char c)
{
	return intake_buf_add(b, &c, 1);
}

enum intake_err
intake_buf_vprintf(struct intake_buf *b, const char *fmt, va_list ap)
{
	va_list		 cp;
	size_t		 room;
	int		 n;
	enum intake_err	 err;

	/* One pass into the free space; a second only when it did not fit. */
	err = buf_grow(b, b->max - b->len < 256 ? b->max - b->len : 256);
	if (err != INTAKE_OK)
		return err;
	room = b->cap - b->len;
	va_copy(cp, ap);
	n = vsnprintf(b->ptr + b->len, room, fmt, cp);
	va_end(cp);
	if (n < 0) {
		b->ptr[b->len] = '\0';
		return buf_fail(b, INTAKE_EINVAL);
	}
	if ((size_t)n < room) {
		b->len += (size_t)n;
		return INTAKE_OK;
	}
	b->ptr[b->len] = '\0';
	err = buf_grow(b, (size_t)n);
	if (err != INTAKE_OK)
		return err;
	(void)vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return INTAKE_OK;
}

enum intake_err
intake_buf_printf(struct intake_buf *b, const char *fmt, ...)
{
	va_list		 ap;
	enum intake_err	 err;

	va_start(ap, fmt);
	err = intake_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return err;
}

enum intake_err
intake_buf_addu(struct intake_buf *b, unsigned long long v)
{
	char	digits[24];
	size_t	i = sizeof(digits);

	do {
		digits[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	return intake_buf_add(b, digits + i, sizeof(digits) - i);
}

enum intake_err
intake_buf_err(const struct intake_buf *b)
{
	return b->err;
}

const char *
intake_buf_str(const struct intake_buf *b)
{
	return b->ptr == NULL ? "" : b->ptr;
}
