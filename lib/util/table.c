/*
 * table.c - a report's rows as strings, in one allocation (see table.h).
 *
 * Layout of the single allocation:
 *
 *	struct intake_table | char *cells[(nrows + 1) * ncols] | bytes
 *
 * The bytes area starts with one NUL that every empty cell points at, so
 * padded and sparse rows cost a pointer per cell and nothing more; each
 * non-empty cell follows with its terminator.
 *
 * A table may have no columns (a JSON report with no rows has no known
 * columns); it then has no cells, whatever nrows says.
 *
 * Every entry point checks that cells are valid UTF-8 without NUL bytes,
 * so the struct's promise ("NUL-terminated UTF-8 strings") holds whether
 * a table came from code, from CSV or from the cache, and packing then
 * unpacking gives back the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unistr.h>

#include "util/table.h"

#define TABLE_MAGIC	"T1"
#define TABLE_HDR_LEN	10	/* magic, u32 ncols, u32 nrows */

_Static_assert(sizeof(struct intake_table) % sizeof(char *) == 0,
    "the cell pointers follow the struct without padding");

/*
 * Whether n bytes of s are UTF-8 (libunistring's u8_check: RFC 3629, no
 * overlong forms, surrogates or code points past U+10FFFF) without NUL:
 * a cell is a C string.
 */
static int
utf8_valid(const unsigned char *s, size_t n)
{
	return memchr(s, 0, n) == NULL && u8_check(s, n) == NULL;
}

static uint32_t
get_u32le(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static void
put_u32le(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v & 0xff);
	p[1] = (unsigned char)((v >> 8) & 0xff);
	p[2] = (unsigned char)((v >> 16) & 0xff);
	p[3] = (unsigned char)((v >> 24) & 0xff);
}

/*
 * Allocate a table of ncols columns and nrows data rows whose non-empty
 * cells need bytes bytes (terminators included), with every cell empty.
 * *fill is where the first non-empty cell's bytes go.
 */
static enum intake_err
table_alloc(size_t ncols, size_t nrows, size_t bytes, struct intake_table **out,
    char **fill)
{
	struct intake_table	*t;
	size_t			 ncells, size, i;
	char			*base;

	if (ncols > INTAKE_TABLE_COLS_MAX || nrows > INTAKE_TABLE_ROWS_MAX)
		return INTAKE_ETOOBIG;
	/* Both factors are capped above; the checks matter on 32 bits. */
	if (ncols > 0 && nrows + 1 > SIZE_MAX / ncols)
		return INTAKE_ETOOBIG;
	ncells = (nrows + 1) * ncols;
	if (ncells > (SIZE_MAX - sizeof(*t) - 1) / sizeof(char *))
		return INTAKE_ETOOBIG;
	size = sizeof(*t) + ncells * sizeof(char *) + 1;	/* + the shared "" */
	if (bytes > SIZE_MAX - size)
		return INTAKE_ETOOBIG;
	size += bytes;
	t = malloc(size);
	if (t == NULL)
		return INTAKE_ENOMEM;
	t->ncols = ncols;
	t->nrows = nrows;
	t->cells = (char **)(t + 1);
	base = (char *)(t->cells + ncells);
	base[0] = '\0';
	for (i = 0; i < ncells; i++)
		t->cells[i] = base;
	*fill = base + 1;
	*out = t;
	return INTAKE_OK;
}

/* Copy n bytes of s into cell i at *fill, or leave it the shared "". */
static void
table_put(struct intake_table *t, size_t i, const char *s, size_t n, char **fill)
{
	if (n == 0)
		return;
	memcpy(*fill, s, n);
	(*fill)[n] = '\0';
	t->cells[i] = *fill;
	*fill += n + 1;
}

const char *
intake_table_cell(const struct intake_table *t, size_t r, size_t c)
{
	if (r >= t->nrows || c >= t->ncols)
		return NULL;
	return t->cells[(r + 1) * t->ncols + c];
}

const char *
intake_table_header(const struct intake_table *t, size_t c)
{
	if (c >= t->ncols)
		return NULL;
	return t->cells[c];
}

long
intake_table_column(const struct intake_table *t, const char *name)
{
	size_t	c;

	for (c = 0; c < t->ncols; c++)
		if (strcmp(t->cells[c], name) == 0)
			return (long)c;
	return -1;
}

void
intake_table_free(struct intake_table *t)
{
	free(t);
}

enum intake_err
intake_table_new(const char *const *headers, size_t ncols, const char *const *cells,
    size_t nrows, struct intake_table **out)
{
	struct intake_table	*t = NULL;
	const char		*s;
	size_t			 ncells, bytes, i, n;
	char			*fill;
	enum intake_err		 err;

	if (ncols > INTAKE_TABLE_COLS_MAX || nrows > INTAKE_TABLE_ROWS_MAX)
		return INTAKE_ETOOBIG;
	ncells = (nrows + 1) * ncols;
	/* First pass: check every cell and size the bytes area. */
	bytes = 0;
	for (i = 0; i < ncells; i++) {
		s = i < ncols ? headers[i] : cells[i - ncols];
		n = strlen(s);
		if (!utf8_valid((const unsigned char *)s, n))
			return INTAKE_EINVAL;
		if (n > 0) {
			if (n + 1 > SIZE_MAX - bytes)
				return INTAKE_ETOOBIG;
			bytes += n + 1;
		}
	}
	err = table_alloc(ncols, nrows, bytes, &t, &fill);
	if (err != INTAKE_OK)
		return err;
	for (i = 0; i < ncells; i++) {
		s = i < ncols ? headers[i] : cells[i - ncols];
		table_put(t, i, s, strlen(s), &fill);
	}
	*out = t;
	return INTAKE_OK;
}

enum intake_err
intake_table_pack(const struct intake_table *t, struct intake_buf *out)
{
	unsigned char	 hdr[TABLE_HDR_LEN], len4[4];
	size_t		 start = out->len, ncells, i, n;
	enum intake_err	 err;

	ncells = (t->nrows + 1) * t->ncols;
	memcpy(hdr, TABLE_MAGIC, 2);
	put_u32le(hdr + 2, (uint32_t)t->ncols);
	put_u32le(hdr + 6, (uint32_t)t->nrows);
	err = intake_buf_add(out, hdr, sizeof(hdr));
	if (err != INTAKE_OK)
		goto out;
	for (i = 0; i < ncells; i++) {
		n = strlen(t->cells[i]);
		if (n > UINT32_MAX) {
			err = INTAKE_ETOOBIG;
			goto out;
		}
		put_u32le(len4, (uint32_t)n);
		err = intake_buf_add(out, len4, sizeof(len4));
		if (err != INTAKE_OK)
			goto out;
		err = intake_buf_add(out, t->cells[i], n);
		if (err != INTAKE_OK)
			goto out;
	}
out:
	/* A failed pack leaves out as it was, like a failed append. */
	if (err != INTAKE_OK && out->ptr != NULL) {
		out->len = start;
		out->ptr[start] = '\0';
	}
	return err;
}

enum intake_err
intake_table_unpack(const void *buf, size_t len, struct intake_table **out)
{
	const unsigned char	*p = buf;
	struct intake_table	*t = NULL;
	uint32_t		 ncols, nrows, n;
	size_t			 ncells, off, bytes, i;
	char			*fill;
	enum intake_err		 err;

	if (len < TABLE_HDR_LEN || memcmp(p, TABLE_MAGIC, 2) != 0)
		return INTAKE_EINVAL;
	ncols = get_u32le(p + 2);
	nrows = get_u32le(p + 6);
	if (ncols > INTAKE_TABLE_COLS_MAX || nrows > INTAKE_TABLE_ROWS_MAX)
		return INTAKE_EINVAL;
	ncells = ((size_t)nrows + 1) * ncols;
	/*
	 * Each cell takes at least its 4-byte length, so the declared counts
	 * must fit in what we were given before they size anything.
	 */
	if (ncells > (len - TABLE_HDR_LEN) / 4)
		return INTAKE_EINVAL;

	/* First pass: every length within the bytes left, every cell valid. */
	off = TABLE_HDR_LEN;
	bytes = 0;
	for (i = 0; i < ncells; i++) {
		if (len - off < 4)
			return INTAKE_EINVAL;
		n = get_u32le(p + off);
		off += 4;
		if (n > len - off)
			return INTAKE_EINVAL;
		if (!utf8_valid(p + off, n))
			return INTAKE_EINVAL;
		off += n;
		if (n > 0)
			bytes += (size_t)n + 1;	/* <= 2 * len: cannot wrap */
	}
	if (off != len)
		return INTAKE_EINVAL;	/* trailing bytes */

	err = table_alloc(ncols, nrows, bytes, &t, &fill);
	if (err != INTAKE_OK)
		return err;
	off = TABLE_HDR_LEN;
	for (i = 0; i < ncells; i++) {
		n = get_u32le(p + off);
		off += 4;
		table_put(t, i, (const char *)(p + off), n, &fill);
		off += n;
	}
	*out = t;
	return INTAKE_OK;
}
