/*
 * table.h - a report's rows as strings: a header row and data rows.
 *
 * One allocation holds every cell, so the table has one owner and one
 * free.  Tables travel through the shared cache packed into a flat byte
 * form; unpacking checks every length against the bytes it has, since a
 * cache that leaves the process (Redis) is not trusted.
 */
#ifndef INTAKE_TABLE_H
#define INTAKE_TABLE_H

#include <stddef.h>

#include "util/buf.h"
#include "util/err.h"

#define INTAKE_TABLE_COLS_MAX	256
#define INTAKE_TABLE_ROWS_MAX	1000000

struct intake_table {
	size_t	  ncols;	/* columns, from the header row */
	size_t	  nrows;	/* data rows, header not counted */
	char	**cells;	/* (nrows + 1) * ncols NUL-terminated UTF-8 strings,
				   row-major; row 0 is the header */
};

/* The cell at data row r (0-based, header excluded) and column c; NULL out of range. */
const char	*intake_table_cell(const struct intake_table *t, size_t r, size_t c);
/* The header of column c; NULL out of range. */
const char	*intake_table_header(const struct intake_table *t, size_t c);
/* Column index of the header equal to name, or -1. */
long		 intake_table_column(const struct intake_table *t, const char *name);

void		 intake_table_free(struct intake_table *t);

/*
 * Build a table from ncols headers and a flat list of cell strings
 * (rows * ncols, row-major, no header), copying everything.  cells may be
 * NULL when nrows is 0, headers when ncols is 0 (a table with no columns
 * has no cells).  INTAKE_EINVAL when a string is not valid UTF-8;
 * INTAKE_ETOOBIG past INTAKE_TABLE_COLS_MAX columns or
 * INTAKE_TABLE_ROWS_MAX rows.
 */
enum intake_err	intake_table_new(const char *const *headers, size_t ncols,
		    const char *const *cells, size_t nrows, struct intake_table **out);

/*
 * Append the packed form of t to out:
 *   "T1" u32 ncols u32 nrows, then per cell u32 length and the bytes,
 * integers little-endian.
 */
enum intake_err	intake_table_pack(const struct intake_table *t, struct intake_buf *out);

/*
 * Unpack; INTAKE_EINVAL on any inconsistency (bad magic, counts out of
 * range or more than the bytes could hold, a length past the end, a NUL or
 * invalid UTF-8 in a cell, trailing bytes).  The caller owns *out.
 */
enum intake_err	intake_table_unpack(const void *buf, size_t len, struct intake_table **out);

#endif
