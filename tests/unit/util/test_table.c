/*
 * test_table.c - lib/util/table.c: one-allocation tables and their packed form,
 * which comes back from a cache we do not trust.
 */
#include <stdint.h>
#include <string.h>

#include "util/buf.h"
#include "util/table.h"

#include "t.h"

#define SENTINEL	((struct intake_table *)(uintptr_t)0x1)

/* Append a little-endian u32 to b. */
static void
put32(struct intake_buf *b, uint32_t v)
{
	unsigned char	p[4];

	p[0] = (unsigned char)(v & 0xff);
	p[1] = (unsigned char)((v >> 8) & 0xff);
	p[2] = (unsigned char)((v >> 16) & 0xff);
	p[3] = (unsigned char)(v >> 24);
	(void)intake_buf_add(b, p, 4);
}

/* Append a packed cell: its length, then its bytes. */
static void
put_cell(struct intake_buf *b, const char *s, size_t n)
{
	put32(b, (uint32_t)n);
	(void)intake_buf_add(b, s, n);
}

/* Two tables hold the same strings in the same shape. */
static int
table_equal(const struct intake_table *a, const struct intake_table *b)
{
	size_t	i;

	if (a->ncols != b->ncols || a->nrows != b->nrows)
		return 0;
	for (i = 0; i < (a->nrows + 1) * a->ncols; i++)
		if (strcmp(a->cells[i], b->cells[i]) != 0)
			return 0;
	return 1;
}

/*
 * Pack t, unpack it, pack that again: the bytes and the strings must
 * match.  Returns 1 when they do.
 */
static int
round_trip(const struct intake_table *t)
{
	struct intake_buf	 a, b;
	struct intake_table	*u = NULL;
	int			 ok = 0;

	intake_buf_init(&a, 1 << 24);
	intake_buf_init(&b, 1 << 24);
	if (intake_table_pack(t, &a) != INTAKE_OK)
		goto out;
	if (intake_table_unpack(a.ptr, a.len, &u) != INTAKE_OK)
		goto out;
	if (!table_equal(t, u))
		goto out;
	if (intake_table_pack(u, &b) != INTAKE_OK)
		goto out;
	ok = a.len == b.len && memcmp(a.ptr, b.ptr, a.len) == 0;
out:
	intake_table_free(u);
	intake_buf_free(&a);
	intake_buf_free(&b);
	return ok;
}

static void
test_table_new_and_accessors(void)
{
	static const char *const hdr[] = { "City", "Country", "Note" };
	static const char *const cells[] = {
		"Zürich", "CH", "",
		"東京", "JP", "<b>&\"'</b>",
	};
	struct intake_table	*t = NULL;

	T_EQ_INT(intake_table_new(hdr, 3, cells, 2, &t), INTAKE_OK);
	T_EQ_INT(t->ncols, 3);
	T_EQ_INT(t->nrows, 2);
	T_EQ_STR(intake_table_header(t, 0), "City");
	T_EQ_STR(intake_table_header(t, 2), "Note");
	T_EQ_STR(intake_table_cell(t, 0, 0), "Zürich");
	T_EQ_STR(intake_table_cell(t, 0, 2), "");
	T_EQ_STR(intake_table_cell(t, 1, 0), "東京");
	T_EQ_STR(intake_table_cell(t, 1, 2), "<b>&\"'</b>");
	T_EQ_INT(intake_table_column(t, "Country"), 1);
	T_EQ_INT(intake_table_column(t, "Note"), 2);
	T_EQ_INT(intake_table_column(t, "country"), -1);
	T_EQ_INT(intake_table_column(t, ""), -1);
	intake_table_free(t);
}

static void
test_table_accessors_out_of_range_are_null(void)
{
	static const char *const hdr[] = { "a", "b" };
	static const char *const cells[] = { "1", "2" };
	struct intake_table	*t = NULL;

	T_EQ_INT(intake_table_new(hdr, 2, cells, 1, &t), INTAKE_OK);
	T_ASSERT(intake_table_cell(t, 1, 0) == NULL);
	T_ASSERT(intake_table_cell(t, 0, 2) == NULL);
	T_ASSERT(intake_table_cell(t, SIZE_MAX, SIZE_MAX) == NULL);
	T_ASSERT(intake_table_header(t, 2) == NULL);
	intake_table_free(t);
}

static void
test_table_new_copies_its_input(void)
{
	char			 h[] = "name", c[] = "value";
	const char		*hdr[] = { h }, *cells[] = { c };
	struct intake_table	*t = NULL;

	T_EQ_INT(intake_table_new(hdr, 1, cells, 1, &t), INTAKE_OK);
	memset(h, 'x', 4);
	memset(c, 'y', 5);
	T_EQ_STR(intake_table_header(t, 0), "name");
	T_EQ_STR(intake_table_cell(t, 0, 0), "value");
	intake_table_free(t);
}

static void
test_table_new_zero_rows_with_null_cells(void)
{
	static const char *const hdr[] = { "only", "headers" };
	struct intake_table	*t = NULL;

	T_EQ_INT(intake_table_new(hdr, 2, NULL, 0, &t), INTAKE_OK);
	T_EQ_INT(t->nrows, 0);
	T_ASSERT(intake_table_cell(t, 0, 0) == NULL);
	T_EQ_INT(intake_table_column(t, "headers"), 1);
	intake_table_free(t);
}

static void
test_table_zero_columns_is_an_empty_table(void)
{
	struct intake_table	*t = NULL;

	/* What a JSON report with no rows gives: no columns known. */
	T_EQ_INT(intake_table_new(NULL, 0, NULL, 0, &t), INTAKE_OK);
	T_EQ_INT(t->ncols, 0);
	T_EQ_INT(t->nrows, 0);
	T_ASSERT(intake_table_header(t, 0) == NULL);
	T_ASSERT(intake_table_cell(t, 0, 0) == NULL);
	T_EQ_INT(intake_table_column(t, ""), -1);
	T_ASSERT(round_trip(t));
	intake_table_free(t);

	/* Rows whose only key was dropped: rows, but no cells. */
	T_EQ_INT(intake_table_new(NULL, 0, NULL, 3, &t), INTAKE_OK);
	T_EQ_INT(t->nrows, 3);
	T_ASSERT(intake_table_cell(t, 2, 0) == NULL);
	T_ASSERT(round_trip(t));
	intake_table_free(t);
}

static void
test_table_new_rejects_too_many_columns(void)
{
	static const char	*hdr[INTAKE_TABLE_COLS_MAX + 1];
	struct intake_table	*t = SENTINEL;
	size_t			 i;

	for (i = 0; i < INTAKE_TABLE_COLS_MAX + 1; i++)
		hdr[i] = "h";
	T_EQ_INT(intake_table_new(hdr, INTAKE_TABLE_COLS_MAX + 1, NULL, 0, &t),
	    INTAKE_ETOOBIG);
	T_ASSERT(t == SENTINEL);
	T_EQ_INT(intake_table_new(hdr, INTAKE_TABLE_COLS_MAX, NULL, 0, &t), INTAKE_OK);
	T_EQ_INT(t->ncols, INTAKE_TABLE_COLS_MAX);
	intake_table_free(t);
}

static void
test_table_new_rejects_too_many_rows(void)
{
	static const char *const hdr[] = { "a" };
	struct intake_table	*t = SENTINEL;

	/* Refused from the count alone: cells is never read. */
	T_EQ_INT(intake_table_new(hdr, 1, NULL, (size_t)INTAKE_TABLE_ROWS_MAX + 1, &t),
	    INTAKE_ETOOBIG);
	T_EQ_INT(intake_table_new(hdr, 1, NULL, SIZE_MAX, &t), INTAKE_ETOOBIG);
	T_ASSERT(t == SENTINEL);
}

static void
test_table_new_rejects_invalid_utf8(void)
{
	static const char *const bad[] = {
		"\xc0\xaf",		/* overlong '/' */
		"\xe0\x80\xaf",		/* overlong '/', three bytes */
		"\xf0\x80\x80\xaf",	/* overlong '/', four bytes */
		"\xed\xa0\x80",		/* U+D800, a surrogate */
		"\xed\xbf\xbf",		/* U+DFFF */
		"\xf4\x90\x80\x80",	/* U+110000 */
		"\xf5\x80\x80\x80",
		"\xff",
		"\x80",			/* lone continuation byte */
		"Z\xc3",		/* truncated at the end */
		"\xe6\x9d\xb1\xe4\xba",	/* 東 then a cut-off 京 */
		"\xc3(",		/* bad continuation */
	};
	const char		*hdr[1];
	struct intake_table	*t = SENTINEL;
	size_t			 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		hdr[0] = bad[i];
		if (intake_table_new(hdr, 1, NULL, 0, &t) != INTAKE_EINVAL)
			T_FAIL("accepted bad[%zu]", i);
		T_ASSERT(t == SENTINEL);
	}
}

static void
test_table_new_accepts_utf8_edges(void)
{
	static const char *const good[] = {
		"\xc2\x80",		/* U+0080 */
		"\xdf\xbf",		/* U+07FF */
		"\xe0\xa0\x80",		/* U+0800 */
		"\xed\x9f\xbf",		/* U+D7FF, just below the surrogates */
		"\xee\x80\x80",		/* U+E000, just above */
		"\xef\xbf\xbf",		/* U+FFFF */
		"\xf0\x90\x80\x80",	/* U+10000 */
		"\xf4\x8f\xbf\xbf",	/* U+10FFFF */
		"S\xc3\xa3o Paulo", "Krak\xc3\xb3w", "\xd0\x9c\xd0\xbe\xd1\x81\xd0\xba\xd0\xb2\xd0\xb0",
	};
	struct intake_table	*t = NULL;

	T_EQ_INT(intake_table_new((const char *const *)good,
	    sizeof(good) / sizeof(good[0]), NULL, 0, &t), INTAKE_OK);
	T_EQ_STR(intake_table_header(t, 7), "\xf4\x8f\xbf\xbf");
	T_ASSERT(round_trip(t));
	intake_table_free(t);
}

static void
test_table_pack_known_bytes(void)
{
	static const char *const hdr[] = { "h" };
	static const char *const cells[] = { "", "ab" };
	static const char want[] =
	    "T1" "\x01\x00\x00\x00" "\x02\x00\x00\x00"
	    "\x01\x00\x00\x00" "h"
	    "\x00\x00\x00\x00"
	    "\x02\x00\x00\x00" "ab";
	struct intake_table	*t = NULL;
	struct intake_buf	 b;

	T_EQ_INT(intake_table_new(hdr, 1, cells, 2, &t), INTAKE_OK);
	intake_buf_init(&b, 1024);
	T_EQ_INT(intake_buf_adds(&b, "prefix"), INTAKE_OK);
	T_EQ_INT(intake_table_pack(t, &b), INTAKE_OK);
	T_EQ_INT(b.len, 6 + sizeof(want) - 1);
	T_EQ_MEM(b.ptr, "prefix", 6);
	T_EQ_MEM(b.ptr + 6, want, sizeof(want) - 1);
	intake_buf_free(&b);
	intake_table_free(t);
}

static void
test_table_pack_over_max_leaves_buffer_unchanged(void)
{
	static const char *const hdr[] = { "header" };
	static const char *const cells[] = { "a long enough cell" };
	struct intake_table	*t = NULL;
	struct intake_buf	 b;

	T_EQ_INT(intake_table_new(hdr, 1, cells, 1, &t), INTAKE_OK);
	intake_buf_init(&b, 30);
	T_EQ_INT(intake_buf_adds(&b, "keep"), INTAKE_OK);
	T_EQ_INT(intake_table_pack(t, &b), INTAKE_ETOOBIG);
	T_EQ_INT(b.len, 4);
	T_EQ_STR(intake_buf_str(&b), "keep");
	intake_buf_free(&b);
	intake_table_free(t);
}

static void
test_table_round_trip_shapes(void)
{
	static const char *const h1[] = { "a" };
	static const char *const h3[] = { "", "Stadt", "<script>" };
	static const char *const c3[] = {
		"", "", "",
		"Zürich", "", "a,b\r\n\"q\"",
		"", "Kraków", "",
	};
	static const char	*h256[INTAKE_TABLE_COLS_MAX];
	static const char	*c256[INTAKE_TABLE_COLS_MAX * 2];
	static const char	*c1[1000];
	struct intake_table	*t = NULL;
	size_t			 i;

	/* One column, zero data rows. */
	T_EQ_INT(intake_table_new(h1, 1, NULL, 0, &t), INTAKE_OK);
	T_ASSERT(round_trip(t));
	intake_table_free(t);

	/* Empty headers, all-empty rows, specials. */
	T_EQ_INT(intake_table_new(h3, 3, c3, 3, &t), INTAKE_OK);
	T_ASSERT(round_trip(t));
	intake_table_free(t);

	/* The widest table. */
	for (i = 0; i < INTAKE_TABLE_COLS_MAX; i++)
		h256[i] = i % 2 ? "odd" : "";
	for (i = 0; i < INTAKE_TABLE_COLS_MAX * 2; i++)
		c256[i] = i % 3 ? "東京" : "";
	T_EQ_INT(intake_table_new(h256, INTAKE_TABLE_COLS_MAX, c256, 2, &t), INTAKE_OK);
	T_ASSERT(round_trip(t));
	intake_table_free(t);

	/* A long thin one. */
	for (i = 0; i < 1000; i++)
		c1[i] = i % 2 ? "Москва" : "";
	T_EQ_INT(intake_table_new(h1, 1, c1, 1000, &t), INTAKE_OK);
	T_ASSERT(round_trip(t));
	T_EQ_STR(intake_table_cell(t, 999, 0), "Москва");
	intake_table_free(t);
}

/* A valid packed 2x1 table, for the tests below to damage. */
static void
packed_2x1(struct intake_buf *b)
{
	intake_buf_init(b, 4096);
	(void)intake_buf_add(b, "T1", 2);
	put32(b, 2);
	put32(b, 1);
	put_cell(b, "id", 2);
	put_cell(b, "name", 4);
	put_cell(b, "7", 1);
	put_cell(b, "São Paulo", strlen("São Paulo"));
}

static void
test_table_unpack_accepts_valid_input(void)
{
	struct intake_buf	 b;
	struct intake_table	*t = NULL;

	packed_2x1(&b);
	T_EQ_INT(intake_table_unpack(b.ptr, b.len, &t), INTAKE_OK);
	T_EQ_INT(t->ncols, 2);
	T_EQ_INT(t->nrows, 1);
	T_EQ_STR(intake_table_cell(t, 0, 1), "São Paulo");
	intake_table_free(t);
	intake_buf_free(&b);
}

static void
test_table_unpack_rejects_truncated_input(void)
{
	struct intake_buf	 b;
	struct intake_table	*t = SENTINEL;
	size_t			 n;
	char			*copy;

	packed_2x1(&b);
	for (n = 0; n < b.len; n++) {
		/* An exact-size heap copy, so ASan sees any read past n. */
		copy = malloc(n == 0 ? 1 : n);
		T_ASSERT(copy != NULL);
		memcpy(copy, b.ptr, n);
		if (intake_table_unpack(copy, n, &t) != INTAKE_EINVAL) {
			free(copy);
			T_FAIL("accepted a %zu-byte prefix", n);
		}
		free(copy);
		T_ASSERT(t == SENTINEL);
	}
	intake_buf_free(&b);
}

static void
test_table_unpack_rejects_wrong_magic(void)
{
	struct intake_buf	 b;
	struct intake_table	*t = SENTINEL;

	packed_2x1(&b);
	b.ptr[1] = '2';
	T_EQ_INT(intake_table_unpack(b.ptr, b.len, &t), INTAKE_EINVAL);
	b.ptr[1] = '1';
	b.ptr[0] = 't';
	T_EQ_INT(intake_table_unpack(b.ptr, b.len, &t), INTAKE_EINVAL);
	T_ASSERT(t == SENTINEL);
	intake_buf_free(&b);
}

/* A packed header with the given counts and nothing after it. */
static enum intake_err
unpack_counts(uint32_t ncols, uint32_t nrows, size_t pad, struct intake_table **t)
{
	struct intake_buf	b;
	enum intake_err		err;
	size_t			i;

	intake_buf_init(&b, 1 << 20);
	(void)intake_buf_add(&b, "T1", 2);
	put32(&b, ncols);
	put32(&b, nrows);
	for (i = 0; i < pad; i++)
		put32(&b, 0);
	err = intake_table_unpack(b.ptr, b.len, t);
	intake_buf_free(&b);
	return err;
}

static void
test_table_unpack_rejects_counts_that_overflow(void)
{
	struct intake_table	*t = SENTINEL;

	/* (nrows + 1) * ncols would wrap a 32-bit count. */
	T_EQ_INT(unpack_counts(UINT32_MAX, UINT32_MAX, 0, &t), INTAKE_EINVAL);
	T_EQ_INT(unpack_counts(0x10000, 0xffff, 0, &t), INTAKE_EINVAL);
	T_EQ_INT(unpack_counts(1, UINT32_MAX, 0, &t), INTAKE_EINVAL);
	T_EQ_INT(unpack_counts(UINT32_MAX, 0, 0, &t), INTAKE_EINVAL);
	T_ASSERT(t == SENTINEL);
}

static void
test_table_unpack_rejects_counts_out_of_range(void)
{
	struct intake_table	*t = SENTINEL;

	T_EQ_INT(unpack_counts(INTAKE_TABLE_COLS_MAX + 1, 0, INTAKE_TABLE_COLS_MAX + 1, &t),
	    INTAKE_EINVAL);
	T_EQ_INT(unpack_counts(1, INTAKE_TABLE_ROWS_MAX + 1, 0, &t), INTAKE_EINVAL);
	T_ASSERT(t == SENTINEL);
	/* The edges themselves are fine when the bytes are there. */
	T_EQ_INT(unpack_counts(INTAKE_TABLE_COLS_MAX, 0, INTAKE_TABLE_COLS_MAX, &t), INTAKE_OK);
	T_EQ_INT(t->ncols, INTAKE_TABLE_COLS_MAX);
	intake_table_free(t);
	T_EQ_INT(unpack_counts(0, 0, 0, &t), INTAKE_OK);
	T_EQ_INT(t->ncols, 0);
	intake_table_free(t);
	/* No columns: no cells to hold, so a row count needs no bytes. */
	T_EQ_INT(unpack_counts(0, INTAKE_TABLE_ROWS_MAX, 0, &t), INTAKE_OK);
	T_EQ_INT(t->nrows, INTAKE_TABLE_ROWS_MAX);
	intake_table_free(t);
	t = SENTINEL;
	T_EQ_INT(unpack_counts(0, 1, 1, &t), INTAKE_EINVAL);	/* trailing bytes */
	T_ASSERT(t == SENTINEL);
}

static void
test_table_unpack_rejects_counts_bigger_than_the_input(void)
{
	struct intake_table	*t = SENTINEL;

	/*
	 * 256 million cells claimed in a dozen bytes: refused before anything
	 * is sized from the claim (ASan would flag a 2 GB malloc).
	 */
	T_EQ_INT(unpack_counts(INTAKE_TABLE_COLS_MAX, INTAKE_TABLE_ROWS_MAX, 0, &t),
	    INTAKE_EINVAL);
	T_EQ_INT(unpack_counts(2, 1, 3, &t), INTAKE_EINVAL);
	T_ASSERT(t == SENTINEL);
}

static void
test_table_unpack_rejects_length_past_end(void)
{
	struct intake_buf	 b;
	struct intake_table	*t = SENTINEL;

	/* Last cell claims one byte more than is left. */
	packed_2x1(&b);
	b.ptr[b.len - strlen("São Paulo") - 4] = (char)(strlen("São Paulo") + 1);
	T_EQ_INT(intake_table_unpack(b.ptr, b.len, &t), INTAKE_EINVAL);
	intake_buf_free(&b);

	/* First cell claims 4 GB. */
	intake_buf_init(&b, 4096);
	(void)intake_buf_add(&b, "T1", 2);
	put32(&b, 1);
	put32(&b, 0);
	put32(&b, UINT32_MAX);
	(void)intake_buf_add(&b, "xx", 2);
	T_EQ_INT(intake_table_unpack(b.ptr, b.len, &t), INTAKE_EINVAL);
	T_ASSERT(t == SENTINEL);
	intake_buf_free(&b);
}

static void
test_table_unpack_rejects_trailing_bytes(void)
{
	struct intake_buf	 b;
	struct intake_table	*t = SENTINEL;

	packed_2x1(&b);
	(void)intake_buf_addc(&b, '\0');
	T_EQ_INT(intake_table_unpack(b.ptr, b.len, &t), INTAKE_EINVAL);
	intake_buf_free(&b);

	/* A whole extra cell is trailing bytes too. */
	packed_2x1(&b);
	put_cell(&b, "extra", 5);
	T_EQ_INT(intake_table_unpack(b.ptr, b.len, &t), INTAKE_EINVAL);
	T_ASSERT(t == SENTINEL);
	intake_buf_free(&b);
}

static void
test_table_unpack_rejects_nul_inside_cell(void)
{
	struct intake_buf	 b;
	struct intake_table	*t = SENTINEL;

	intake_buf_init(&b, 4096);
	(void)intake_buf_add(&b, "T1", 2);
	put32(&b, 1);
	put32(&b, 0);
	put_cell(&b, "a\0b", 3);
	T_EQ_INT(intake_table_unpack(b.ptr, b.len, &t), INTAKE_EINVAL);
	T_ASSERT(t == SENTINEL);
	intake_buf_free(&b);
}

static void
test_table_unpack_rejects_invalid_utf8_cell(void)
{
	struct intake_buf	 b;
	struct intake_table	*t = SENTINEL;

	intake_buf_init(&b, 4096);
	(void)intake_buf_add(&b, "T1", 2);
	put32(&b, 1);
	put32(&b, 0);
	put_cell(&b, "\xed\xa0\x80", 3);	/* a surrogate */
	T_EQ_INT(intake_table_unpack(b.ptr, b.len, &t), INTAKE_EINVAL);
	T_ASSERT(t == SENTINEL);
	intake_buf_free(&b);
}

int
main(void)
{
	T_RUN(test_table_new_and_accessors);
	T_RUN(test_table_accessors_out_of_range_are_null);
	T_RUN(test_table_new_copies_its_input);
	T_RUN(test_table_new_zero_rows_with_null_cells);
	T_RUN(test_table_zero_columns_is_an_empty_table);
	T_RUN(test_table_new_rejects_too_many_columns);
	T_RUN(test_table_new_rejects_too_many_rows);
	T_RUN(test_table_new_rejects_invalid_utf8);
	T_RUN(test_table_new_accepts_utf8_edges);
	T_RUN(test_table_pack_known_bytes);
	T_RUN(test_table_pack_over_max_leaves_buffer_unchanged);
	T_RUN(test_table_round_trip_shapes);
	T_RUN(test_table_unpack_accepts_valid_input);
	T_RUN(test_table_unpack_rejects_truncated_input);
	T_RUN(test_table_unpack_rejects_wrong_magic);
	T_RUN(test_table_unpack_rejects_counts_that_overflow);
	T_RUN(test_table_unpack_rejects_counts_out_of_range);
	T_RUN(test_table_unpack_rejects_counts_bigger_than_the_input);
	T_RUN(test_table_unpack_rejects_length_past_end);
	T_RUN(test_table_unpack_rejects_trailing_bytes);
	T_RUN(test_table_unpack_rejects_nul_inside_cell);
	T_RUN(test_table_unpack_rejects_invalid_utf8_cell);
	return T_DONE();
}
