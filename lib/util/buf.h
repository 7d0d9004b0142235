/*
 * buf.h - a growable byte buffer with a maximum fixed at init.
 *
 * The buffer is always NUL-terminated (the terminator is not counted in
 * len and does not count against max).  A failed append leaves the buffer
 * as it was.  The owner calls intake_buf_free().
 */
#ifndef INTAKE_BUF_H
#define INTAKE_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "util/err.h"

struct intake_buf {
	char	*ptr;	/* NUL-terminated bytes, NULL until first append */
	size_t	 len;	/* bytes in use, without the terminator */
	size_t	 cap;	/* bytes allocated */
	size_t	 max;	/* most bytes len may reach */
	enum intake_err err;	/* the first failed append's error; INTAKE_OK */
};

void	intake_buf_init(struct intake_buf *b, size_t max);
void	intake_buf_free(struct intake_buf *b);
void	intake_buf_reset(struct intake_buf *b);

/*
 * INTAKE_ETOOBIG when len would pass max.  The buffer also remembers its
 * first error, so a writer may append in a straight line and ask
 * intake_buf_err() once at the end: when that is not INTAKE_OK the
 * contents are incomplete and must be thrown away.  intake_buf_reset()
 * forgets it.
 */
enum intake_err	intake_buf_add(struct intake_buf *b, const void *p, size_t n);
enum intake_err	intake_buf_adds(struct intake_buf *b, const char *s);
enum intake_err	intake_buf_addc(struct intake_buf *b, char c);
/* Append v in decimal (no printf: this is on every response's path). */
enum intake_err	intake_buf_addu(struct intake_buf *b, unsigned long long v);
enum intake_err	intake_buf_printf(struct intake_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
enum intake_err	intake_buf_vprintf(struct intake_buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* The first error an append met since init or reset; INTAKE_OK when none. */
enum intake_err	intake_buf_err(const struct intake_buf *b);

/* Contents as a C string; "" when nothing was added. Owned by b. */
const char	*intake_buf_str(const struct intake_buf *b);

#endif
