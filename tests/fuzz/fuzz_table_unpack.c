/*
 * fuzz_table_unpack.c - intake_table_unpack() on any bytes, as a hostile
 * cache entry would be.
 *
 * The packed form is canonical and unpack refuses trailing bytes, so
 * whatever unpacks must pack back to exactly the input.
 */
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/table.h"

#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct intake_table	*t = NULL;
	struct intake_buf	 b;
	size_t			 r, c;

	if (intake_table_unpack(data, size, &t) != INTAKE_OK)
		return 0;
	if (t->ncols > INTAKE_TABLE_COLS_MAX ||
	    t->nrows > INTAKE_TABLE_ROWS_MAX)
		abort();
	/* Touch every cell through the accessors: all in range, all strings. */
	for (c = 0; c < t->ncols; c++)
		if (intake_table_header(t, c) == NULL ||
		    intake_table_column(t, intake_table_header(t, c)) > (long)c)
			abort();
	for (r = 0; r < t->nrows; r++)
		for (c = 0; c < t->ncols; c++)
			if (intake_table_cell(t, r, c) == NULL)
				abort();
	if (intake_table_cell(t, t->nrows, 0) != NULL ||
	    intake_table_header(t, t->ncols) != NULL)
		abort();

	intake_buf_init(&b, size);
	if (intake_table_pack(t, &b) != INTAKE_OK)
		abort();
	if (b.len != size || memcmp(b.ptr, data, size) != 0)
		abort();
	intake_buf_free(&b);
	intake_table_free(t);
	return 0;
}
