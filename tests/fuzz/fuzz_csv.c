/*
 * fuzz_csv.c - intake_csv_parse() on any bytes.
 *
 * Whatever parses is written back with intake_csv_field() (fields joined
 * by ',', records ended by CRLF) and parsed again: the second table must
 * equal the first.  It must also survive the cache's pack and unpack.
 */
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "integrify/csv.h"
#include "util/table.h"

#include "fuzz.h"

#define FUZZ_MAX_ROWS	100

/* Abort unless a and b hold the same strings in the same shape. */
static void
same_table(const struct intake_table *a, const struct intake_table *b)
{
	size_t	i;

	if (a->ncols != b->ncols || a->nrows != b->nrows)
		abort();
	for (i = 0; i < (a->nrows + 1) * a->ncols; i++)
		if (strcmp(a->cells[i], b->cells[i]) != 0)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct intake_table	*t = NULL, *u = NULL, *v = NULL;
	struct intake_buf	 csv, packed;
	size_t			 r, c;
	enum intake_err		 err;

	err = intake_csv_parse((const char *)data, size, FUZZ_MAX_ROWS, &t);
	if (err != INTAKE_OK) {
		if (err != INTAKE_EINVAL && err != INTAKE_ETOOBIG)
			abort();
		return 0;
	}
	if (t->ncols == 0 || t->ncols > INTAKE_TABLE_COLS_MAX || t->nrows > FUZZ_MAX_ROWS)
		abort();

	intake_buf_init(&csv, 1 << 26);
	for (r = 0; r <= t->nrows; r++) {
		for (c = 0; c < t->ncols; c++) {
			if (c > 0 && intake_buf_addc(&csv, ',') != INTAKE_OK)
				abort();
			if (intake_csv_field(&csv, t->cells[r * t->ncols + c]) != INTAKE_OK)
				abort();
		}
		if (intake_buf_add(&csv, "\r\n", 2) != INTAKE_OK)
			abort();
	}
	if (intake_csv_parse(csv.ptr, csv.len, FUZZ_MAX_ROWS, &u) != INTAKE_OK)
		abort();
	same_table(t, u);

	intake_buf_init(&packed, 1 << 26);
	if (intake_table_pack(t, &packed) != INTAKE_OK)
		abort();
	if (intake_table_unpack(packed.ptr, packed.len, &v) != INTAKE_OK)
		abort();
	same_table(t, v);

	intake_buf_free(&packed);
	intake_buf_free(&csv);
	intake_table_free(v);
	intake_table_free(u);
	intake_table_free(t);
	return 0;
}
