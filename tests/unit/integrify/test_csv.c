/*
 * test_csv.c - lib/integrify/csv.c: RFC 4180 report exports into tables, and fields
 * written back out.
 *
 * Every parse goes through an exact-size heap copy of the input, so a read
 * past len is an ASan error in the sanitized run.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "integrify/csv.h"
#include "util/table.h"

#include "t.h"

#define SENTINEL	((struct intake_table *)(uintptr_t)0x1)
#define ROWS		1000

/* Parse n bytes of s from a heap copy of exactly n bytes. */
static enum intake_err
parse_n(const char *s, size_t n, size_t max_rows, struct intake_table **t)
{
	enum intake_err	 err;
	char		*copy;

	copy = calloc(1, n == 0 ? 1 : n);
	if (copy == NULL)
		abort();
	memcpy(copy, s, n);
	err = intake_csv_parse(copy, n, max_rows, t);
	free(copy);
	return err;
}

static enum intake_err
parse(const char *s, struct intake_table **t)
{
	return parse_n(s, strlen(s), ROWS, t);
}

/* s must be refused with want, and the out-parameter left alone. */
#define T_REFUSED(s, want)						\
	do {								\
		struct intake_table *tr_ = SENTINEL;			\
		T_EQ_INT(parse((s), &tr_), (want));			\
		T_ASSERT(tr_ == SENTINEL);				\
	} while (0)

static void
test_csv_header_and_rows(void)
{
	struct intake_table	*t = NULL;

	T_EQ_INT(parse("id,name\n1,Alice\n2,Bob\n", &t), INTAKE_OK);
	T_EQ_INT(t->ncols, 2);
	T_EQ_INT(t->nrows, 2);
	T_EQ_STR(intake_table_header(t, 0), "id");
	T_EQ_STR(intake_table_header(t, 1), "name");
	T_EQ_STR(intake_table_cell(t, 0, 1), "Alice");
	T_EQ_STR(intake_table_cell(t, 1, 0), "2");
	intake_table_free(t);
}

static void
test_csv_drops_utf8_bom(void)
{
	struct intake_table	*t = NULL;

	T_EQ_INT(parse("\xef\xbb\xbfid,name\r\n1,x\r\n", &t), INTAKE_OK);
	T_EQ_STR(intake_table_header(t, 0), "id");
	T_EQ_INT(intake_table_column(t, "id"), 0);
	intake_table_free(t);

	/* Only one BOM, only at the start: a second is data. */
	T_EQ_INT(parse("\xef\xbb\xbf\xef\xbb\xbfid\n", &t), INTAKE_OK);
	T_EQ_STR(intake_table_header(t, 0), "\xef\xbb\xbfid");
	intake_table_free(t);
	T_EQ_INT(parse("a,\xef\xbb\xbf\n", &t), INTAKE_OK);
	T_EQ_STR(intake_table_header(t, 1), "\xef\xbb\xbf");
	intake_table_free(t);
}

static void
test_csv_quoted_commas(void)
{
	struct intake_table	*t = NULL;

	T_EQ_INT(parse("a,b\n\"x,y\",\",\"\n", &t), INTAKE_OK);
	T_EQ_INT(t->nrows, 1);
	T_EQ_STR(intake_table_cell(t, 0, 0), "x,y");
	T_EQ_STR(intake_table_cell(t, 0, 1), ",");
	intake_table_free(t);
}

static void
test_csv_doubled_quotes(void)
{
	struct intake_table	*t = NULL;

	T_EQ_INT(parse("q\n\"say \"\"hi\"\"\"\n\"\"\"\"\n\"\"\"\"\"\"\n", &t), INTAKE_OK);
	T_EQ_INT(t->nrows, 3);
	T_EQ_STR(intake_table_cell(t, 0, 0), "say \"hi\"");
	T_EQ_STR(intake_table_cell(t, 1, 0), "\"");
	T_EQ_STR(intake_table_cell(t, 2, 0), "\"\"");
	intake_table_free(t);
}

static void
test_csv_crlf_and_lf_inside_quoted_cells(void)
{
	struct intake_table	*t = NULL;

	T_EQ_INT(parse("note,n\r\n\"line 1\r\nline 2\",1\r\n\"a\nb\n\",2\r\n\"\r\",3\r\n",
	    &t), INTAKE_OK);
	T_EQ_INT(t->nrows, 3);
	T_EQ_STR(intake_table_cell(t, 0, 0), "line 1\r\nline 2");
	T_EQ_STR(intake_table_cell(t, 0, 1), "1");
	T_EQ_STR(intake_table_cell(t, 1, 0), "a\nb\n");
	T_EQ_STR(intake_table_cell(t, 2, 0), "\r");
	T_EQ_STR(intake_table_cell(t, 2, 1), "3");
	intake_table_free(t);
}

static void
test_csv_crlf_and_lf_record_ends_mix(void)
{
	struct intake_table	*t = NULL;

	T_EQ_INT(parse("a,b\r\n1,2\n3,4\r\n", &t), INTAKE_OK);
	T_EQ_INT(t->nrows, 2);
	T_EQ_STR(intake_table_header(t, 1), "b");
	T_EQ_STR(intake_table_cell(t, 0, 1), "2");
	T_EQ_STR(intake_table_cell(t, 1, 1), "4");
	intake_table_free(t);
}

static void
test_csv_empty_cells(void)
{
	struct intake_table	*t = NULL;

	T_EQ_INT(parse("x,y,z\na,,c\na,b,\n,,\n\"\",\"\",\"\"\n", &t), INTAKE_OK);
	T_EQ_INT(t->nrows, 4);
	T_EQ_STR(intake_table_cell(t, 0, 0), "a");
	T_EQ_STR(intake_table_cell(t, 0, 1), "");
	T_EQ_STR(intake_table_cell(t, 0, 2), "c");
	T_EQ_STR(intake_table_cell(t, 1, 1), "b");
	T_EQ_STR(intake_table_cell(t, 1, 2), "");
	T_EQ_STR(intake_table_cell(t, 2, 0), "");
	T_EQ_STR(intake_table_cell(t, 2, 2), "");
	T_EQ_STR(intake_table_cell(t, 3, 1), "");
	intake_table_free(t);

	/* A trailing comma at the very end of input is one more empty field. */
	T_EQ_INT(parse("a,b,", &t), INTAKE_OK);
	T_EQ_INT(t->ncols, 3);
	T_EQ_STR(intake_table_header(t, 2), "");
	intake_table_free(t);
}

static void
test_csv_non_ascii_cities(void)
{
	struct intake_table	*t = NULL;

	T_EQ_INT(parse("city\r\nZürich\r\nSão Paulo\r\n\"Kraków\"\r\n東京\r\nМосква\r\n", &t),
	    INTAKE_OK);
	T_EQ_INT(t->nrows, 5);
	T_EQ_STR(intake_table_cell(t, 0, 0), "Zürich");
	T_EQ_STR(intake_table_cell(t, 1, 0), "São Paulo");
	T_EQ_STR(intake_table_cell(t, 2, 0), "Kraków");
	T_EQ_STR(intake_table_cell(t, 3, 0), "東京");
	T_EQ_STR(intake_table_cell(t, 4, 0), "Москва");
	intake_table_free(t);
}

static void
test_csv_keeps_html_specials_verbatim(void)
{
	struct intake_table	*t = NULL;

	/* Escaping is the renderer's job; the table holds what was sent. */
	T_EQ_INT(parse("h\n<script>alert('x')</script>&amp;\n\"<a href=\"\"x\"\">'</a>\"\n",
	    &t), INTAKE_OK);
	T_EQ_STR(intake_table_cell(t, 0, 0), "<script>alert('x')</script>&amp;");
	T_EQ_STR(intake_table_cell(t, 1, 0), "<a href=\"x\">'</a>");
	intake_table_free(t);
}

static void
test_csv_keeps_spaces_verbatim(void)
{
	struct intake_table	*t = NULL;

	T_EQ_INT(parse(" a , b \n\t1 ,  \n", &t), INTAKE_OK);
	T_EQ_STR(intake_table_header(t, 0), " a ");
	T_EQ_STR(intake_table_header(t, 1), " b ");
	T_EQ_STR(intake_table_cell(t, 0, 0), "\t1 ");
	T_EQ_STR(intake_table_cell(t, 0, 1), "  ");
	intake_table_free(t);
}

static void
test_csv_final_record_without_newline(void)
{
	struct intake_table	*t = NULL;

	T_EQ_INT(parse("a,b\n1,2", &t), INTAKE_OK);
	T_EQ_INT(t->nrows, 1);
	T_EQ_STR(intake_table_cell(t, 0, 1), "2");
	intake_table_free(t);

	T_EQ_INT(parse("a,b\n1,\"2\"", &t), INTAKE_OK);
	T_EQ_STR(intake_table_cell(t, 0, 1), "2");
	intake_table_free(t);

	/* Header only, no newline at all. */
	T_EQ_INT(parse("only", &t), INTAKE_OK);
	T_EQ_INT(t->ncols, 1);
	T_EQ_INT(t->nrows, 0);
	intake_table_free(t);
}

static void
test_csv_ignores_blank_trailing_lines(void)
{
	struct intake_table	*t = NULL;

	T_EQ_INT(parse("a,b\n1,2\n\n\r\n\n", &t), INTAKE_OK);
	T_EQ_INT(t->nrows, 1);
	intake_table_free(t);

	T_EQ_INT(parse("a,b\r\n\r\n\r\n", &t), INTAKE_OK);
	T_EQ_INT(t->nrows, 0);
	intake_table_free(t);
}

static void
test_csv_blank_line_in_middle_is_padded_row(void)
{
	struct intake_table	*t = NULL;

	T_EQ_INT(parse("a,b\n1,2\n\n3,4\n", &t), INTAKE_OK);
	T_EQ_INT(t->nrows, 3);
	T_EQ_STR(intake_table_cell(t, 1, 0), "");
	T_EQ_STR(intake_table_cell(t, 1, 1), "");
	T_EQ_STR(intake_table_cell(t, 2, 0), "3");
	intake_table_free(t);
}

static void
test_csv_quoted_empty_record_is_not_blank(void)
{
	struct intake_table	*t = NULL;

	T_EQ_INT(parse("a\n\"\"\n\"\"", &t), INTAKE_OK);
	T_EQ_INT(t->nrows, 2);
	T_EQ_STR(intake_table_cell(t, 1, 0), "");
	intake_table_free(t);
}

static void
test_csv_pads_short_record(void)
{
	struct intake_table	*t = NULL;

	T_EQ_INT(parse("a,b,c\n1\n1,2\n\"x\"\n", &t), INTAKE_OK);
	T_EQ_INT(t->nrows, 3);
	T_EQ_STR(intake_table_cell(t, 0, 0), "1");
	T_EQ_STR(intake_table_cell(t, 0, 1), "");
	T_EQ_STR(intake_table_cell(t, 0, 2), "");
	T_EQ_STR(intake_table_cell(t, 1, 1), "2");
	T_EQ_STR(intake_table_cell(t, 1, 2), "");
	T_EQ_STR(intake_table_cell(t, 2, 0), "x");
	T_EQ_STR(intake_table_cell(t, 2, 2), "");
	intake_table_free(t);
}

static void
test_csv_rejects_long_record(void)
{
	T_REFUSED("a,b\n1,2,3\n", INTAKE_EINVAL);
	T_REFUSED("a,b\n1,2,\n", INTAKE_EINVAL);
	T_REFUSED("a\n1\n\"x\",\"y\"", INTAKE_EINVAL);
}

static void
test_csv_rejects_invalid_utf8(void)
{
	static const char *const bad[] = {
		"h\n\xc0\xaf\n",		/* overlong '/' */
		"h\n\xe0\x80\xaf\n",		/* overlong, three bytes */
		"h\n\xf0\x82\x82\xac\n",	/* overlong euro sign */
		"h\n\xed\xa0\x80\n",		/* U+D800 surrogate */
		"h\n\"\xed\xb0\x80\"\n",	/* U+DC00, quoted */
		"h\n\xf4\x90\x80\x80\n",	/* past U+10FFFF */
		"h\n\xf8\x88\x80\x80\x80\n",	/* five-byte form */
		"h\n\xfe\xff\n",
		"h\n\x80\n",			/* lone continuation */
		"h\nZ\xc3,\n",			/* truncated before a comma */
		"h\nZ\xc3",			/* truncated at the end of input */
		"h\n\xe6\x9d\xb1\xe4\xba",	/* 東 then a cut-off 京 */
		"\xef\xbb,h\n",			/* half a BOM */
		"\xc3\xa9\xff,h\n",		/* in the header */
	};
	size_t	i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct intake_table *t = SENTINEL;

		if (parse(bad[i], &t) != INTAKE_EINVAL)
			T_FAIL("accepted bad[%zu]", i);
		T_ASSERT(t == SENTINEL);
	}
}

static void
test_csv_rejects_nul_byte(void)
{
	struct intake_table	*t = SENTINEL;

	T_EQ_INT(parse_n("a,b\n1,\0\n", 8, ROWS, &t), INTAKE_EINVAL);
	T_EQ_INT(parse_n("a,b\n\"1\0\",2\n", 11, ROWS, &t), INTAKE_EINVAL);
	T_EQ_INT(parse_n("\0", 1, ROWS, &t), INTAKE_EINVAL);
	T_ASSERT(t == SENTINEL);
}

static void
test_csv_enforces_max_rows(void)
{
	struct intake_table	*t = SENTINEL;

	T_EQ_INT(parse_n("h\n1\n2\n3\n", 8, 2, &t), INTAKE_ETOOBIG);
	T_ASSERT(t == SENTINEL);
	/* A blank row in the middle counts as a row. */
	T_EQ_INT(parse_n("h\n1\n\n3\n", 7, 2, &t), INTAKE_ETOOBIG);
	T_ASSERT(t == SENTINEL);

	/* Exactly max_rows is fine, blank lines after them too. */
	T_EQ_INT(parse_n("h\n1\n2\n\n\n", 8, 2, &t), INTAKE_OK);
	T_EQ_INT(t->nrows, 2);
	intake_table_free(t);

	/* max_rows 0 still reads the header. */
	T_EQ_INT(parse_n("h\n", 2, 0, &t), INTAKE_OK);
	T_EQ_INT(t->nrows, 0);
	intake_table_free(t);
	t = SENTINEL;
	T_EQ_INT(parse_n("h\n1", 3, 0, &t), INTAKE_ETOOBIG);
	T_ASSERT(t == SENTINEL);
}

/* A record of n fields "c0,c1,...", or n empty ones, then LF. */
static void
wide_record(struct intake_buf *b, size_t n, int empty)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (i > 0)
			(void)intake_buf_addc(b, ',');
		if (!empty)
			(void)intake_buf_printf(b, "c%zu", i);
	}
	(void)intake_buf_addc(b, '\n');
}

static void
test_csv_rejects_257_columns(void)
{
	struct intake_buf	 b;
	struct intake_table	*t = SENTINEL;

	intake_buf_init(&b, 1 << 20);
	wide_record(&b, INTAKE_TABLE_COLS_MAX + 1, 0);
	T_EQ_INT(parse_n(b.ptr, b.len, ROWS, &t), INTAKE_ETOOBIG);
	T_ASSERT(t == SENTINEL);
	intake_buf_reset(&b);
	wide_record(&b, INTAKE_TABLE_COLS_MAX + 1, 1);	/* 256 commas */
	T_EQ_INT(parse_n(b.ptr, b.len, ROWS, &t), INTAKE_ETOOBIG);
	T_ASSERT(t == SENTINEL);

	/* 256 is the most, and a data row wider than it is just too long. */
	intake_buf_reset(&b);
	wide_record(&b, INTAKE_TABLE_COLS_MAX, 0);
	wide_record(&b, INTAKE_TABLE_COLS_MAX, 1);
	T_EQ_INT(parse_n(b.ptr, b.len, ROWS, &t), INTAKE_OK);
	T_EQ_INT(t->ncols, INTAKE_TABLE_COLS_MAX);
	T_EQ_STR(intake_table_header(t, 255), "c255");
	T_EQ_STR(intake_table_cell(t, 0, 255), "");
	intake_table_free(t);
	t = SENTINEL;
	wide_record(&b, INTAKE_TABLE_COLS_MAX + 1, 1);
	T_EQ_INT(parse_n(b.ptr, b.len, ROWS, &t), INTAKE_EINVAL);
	T_ASSERT(t == SENTINEL);
	intake_buf_free(&b);
}

static void
test_csv_rejects_unterminated_quote(void)
{
	T_REFUSED("a\n\"open", INTAKE_EINVAL);
	T_REFUSED("a\n\"open\n", INTAKE_EINVAL);
	T_REFUSED("\"", INTAKE_EINVAL);
	T_REFUSED("a\n\"x\"\"", INTAKE_EINVAL);	/* ends on an escaped quote */
}

static void
test_csv_rejects_stray_quote_in_unquoted_field(void)
{
	T_REFUSED("a\nab\"c\n", INTAKE_EINVAL);
	T_REFUSED("a\nabc\"\n", INTAKE_EINVAL);
	T_REFUSED("a\n \"x\"\n", INTAKE_EINVAL);
}

static void
test_csv_rejects_text_after_closing_quote(void)
{
	T_REFUSED("a\n\"x\"y\n", INTAKE_EINVAL);
	T_REFUSED("a,b\n\"x\" ,y\n", INTAKE_EINVAL);
	T_REFUSED("a\n\"x\"\"y\n", INTAKE_EINVAL);	/* unterminated, really */
}

static void
test_csv_rejects_bare_cr(void)
{
	T_REFUSED("a,b\r1,2\r\n", INTAKE_EINVAL);
	T_REFUSED("a\nx\ry\n", INTAKE_EINVAL);
	T_REFUSED("a\n\"x\"\r", INTAKE_EINVAL);
	T_REFUSED("a\r", INTAKE_EINVAL);
}

static void
test_csv_rejects_input_without_header(void)
{
	T_REFUSED("", INTAKE_EINVAL);
	T_REFUSED("\xef\xbb\xbf", INTAKE_EINVAL);
	T_REFUSED("\n\r\n\n", INTAKE_EINVAL);
}

static void
test_csv_reads_only_len_bytes(void)
{
	struct intake_table	*t = NULL;

	T_EQ_INT(parse_n("a,b\nc,d", 5, ROWS, &t), INTAKE_OK);
	T_EQ_INT(t->nrows, 1);
	T_EQ_STR(intake_table_cell(t, 0, 0), "c");
	T_EQ_STR(intake_table_cell(t, 0, 1), "");
	intake_table_free(t);
	T_EQ_INT(parse_n("a,b\n\"c,d\"", 6, ROWS, &t), INTAKE_EINVAL);
}

static void
test_csv_huge_max_rows_is_clamped(void)
{
	struct intake_table	*t = NULL;

	T_EQ_INT(parse_n("a\n1\n", 4, SIZE_MAX, &t), INTAKE_OK);
	T_EQ_INT(t->nrows, 1);
	intake_table_free(t);
}

static void
test_csv_quote_flood_is_one_cell(void)
{
	struct intake_buf	 b;
	struct intake_table	*t = NULL;
	size_t			 i, n = 200000;

	/* A long run of escaped quotes: linear, and exactly n quotes out. */
	intake_buf_init(&b, 1 << 22);
	(void)intake_buf_adds(&b, "h\n\"");
	for (i = 0; i < n; i++)
		(void)intake_buf_add(&b, "\"\"", 2);
	(void)intake_buf_addc(&b, '"');
	T_EQ_INT(parse_n(b.ptr, b.len, ROWS, &t), INTAKE_OK);
	T_EQ_INT(strlen(intake_table_cell(t, 0, 0)), n);
	T_ASSERT(strspn(intake_table_cell(t, 0, 0), "\"") == n);
	intake_table_free(t);
	intake_buf_free(&b);
}

static void
test_csv_comma_flood_stops_at_the_cap(void)
{
	struct intake_buf	 b;
	struct intake_table	*t = SENTINEL;
	size_t			 i;

	/* A megabyte of commas in a data row is refused, not stored. */
	intake_buf_init(&b, 1 << 21);
	(void)intake_buf_adds(&b, "a,b\n");
	for (i = 0; i < (1 << 20); i++)
		(void)intake_buf_addc(&b, ',');
	T_EQ_INT(parse_n(b.ptr, b.len, ROWS, &t), INTAKE_EINVAL);
	T_ASSERT(t == SENTINEL);
	intake_buf_free(&b);
}

static void
test_csv_field_quotes_only_when_needed(void)
{
	static const struct {
		const char	*in;
		const char	*want;
	} cases[] = {
		{ "plain", "plain" },
		{ " spaced ", " spaced " },
		{ "Zürich", "Zürich" },
		{ "<b>&'</b>", "<b>&'</b>" },
		{ "a,b", "\"a,b\"" },
		{ "say \"hi\"", "\"say \"\"hi\"\"\"" },
		{ "\"", "\"\"\"\"" },
		{ "a\nb", "\"a\nb\"" },
		{ "a\rb", "\"a\rb\"" },
		{ "", "\"\"" },
		{ "\xef\xbb\xbfx", "\"\xef\xbb\xbfx\"" },
	};
	struct intake_buf	b;
	size_t			i;

	intake_buf_init(&b, 256);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		intake_buf_reset(&b);
		T_EQ_INT(intake_csv_field(&b, cases[i].in), INTAKE_OK);
		T_EQ_STR(intake_buf_str(&b), cases[i].want);
	}
	intake_buf_free(&b);
}

static void
test_csv_field_over_max_leaves_buffer_unchanged(void)
{
	struct intake_buf	b;

	intake_buf_init(&b, 8);
	T_EQ_INT(intake_buf_adds(&b, "k,"), INTAKE_OK);
	T_EQ_INT(intake_csv_field(&b, "a\"b\"c"), INTAKE_ETOOBIG);	/* needs 9 */
	T_EQ_STR(intake_buf_str(&b), "k,");
	T_EQ_INT(intake_csv_field(&b, "abcdefg"), INTAKE_ETOOBIG);
	T_EQ_STR(intake_buf_str(&b), "k,");
	intake_buf_free(&b);
}

static void
test_csv_field_round_trip(void)
{
	static const char *const hdr[] = { "", "name", "note" };
	static const char *const cells[] = {
		"", "", "",
		"Zürich", "a,b", "line 1\r\nline 2\n",
		"\"", "\xef\xbb\xbf", "<&>'\"",
		"", "", "",
	};
	static const char *const one[] = { "" };
	struct intake_table	*t = NULL, *u = NULL;
	struct intake_buf	 b;
	size_t			 r, c;

	T_EQ_INT(intake_table_new(hdr, 3, cells, 4, &t), INTAKE_OK);
	intake_buf_init(&b, 4096);
	for (r = 0; r <= t->nrows; r++) {
		for (c = 0; c < t->ncols; c++) {
			if (c > 0)
				T_EQ_INT(intake_buf_addc(&b, ','), INTAKE_OK);
			T_EQ_INT(intake_csv_field(&b, t->cells[r * t->ncols + c]), INTAKE_OK);
		}
		T_EQ_INT(intake_buf_adds(&b, "\r\n"), INTAKE_OK);
	}
	T_EQ_INT(parse_n(b.ptr, b.len, ROWS, &u), INTAKE_OK);
	T_EQ_INT(u->ncols, 3);
	T_EQ_INT(u->nrows, 4);
	for (r = 0; r < (t->nrows + 1) * t->ncols; r++)
		T_EQ_STR(u->cells[r], t->cells[r]);
	intake_table_free(t);
	intake_table_free(u);

	/* One column of empty cells: the rows must not turn into blank lines. */
	T_EQ_INT(intake_table_new(one, 1, one, 1, &t), INTAKE_OK);
	intake_buf_reset(&b);
	T_EQ_INT(intake_csv_field(&b, intake_table_header(t, 0)), INTAKE_OK);
	T_EQ_INT(intake_buf_adds(&b, "\r\n"), INTAKE_OK);
	T_EQ_INT(intake_csv_field(&b, intake_table_cell(t, 0, 0)), INTAKE_OK);
	T_EQ_INT(intake_buf_adds(&b, "\r\n"), INTAKE_OK);
	T_EQ_INT(parse_n(b.ptr, b.len, ROWS, &u), INTAKE_OK);
	T_EQ_INT(u->ncols, 1);
	T_EQ_INT(u->nrows, 1);
	intake_table_free(t);
	intake_table_free(u);
	intake_buf_free(&b);
}

int
main(void)
{
	T_RUN(test_csv_header_and_rows);
	T_RUN(test_csv_drops_utf8_bom);
	T_RUN(test_csv_quoted_commas);
	T_RUN(test_csv_doubled_quotes);
	T_RUN(test_csv_crlf_and_lf_inside_quoted_cells);
	T_RUN(test_csv_crlf_and_lf_record_ends_mix);
	T_RUN(test_csv_empty_cells);
	T_RUN(test_csv_non_ascii_cities);
	T_RUN(test_csv_keeps_html_specials_verbatim);
	T_RUN(test_csv_keeps_spaces_verbatim);
	T_RUN(test_csv_final_record_without_newline);
	T_RUN(test_csv_ignores_blank_trailing_lines);
	T_RUN(test_csv_blank_line_in_middle_is_padded_row);
	T_RUN(test_csv_quoted_empty_record_is_not_blank);
	T_RUN(test_csv_pads_short_record);
	T_RUN(test_csv_rejects_long_record);
	T_RUN(test_csv_rejects_invalid_utf8);
	T_RUN(test_csv_rejects_nul_byte);
	T_RUN(test_csv_enforces_max_rows);
	T_RUN(test_csv_rejects_257_columns);
	T_RUN(test_csv_rejects_unterminated_quote);
	T_RUN(test_csv_rejects_stray_quote_in_unquoted_field);
	T_RUN(test_csv_rejects_text_after_closing_quote);
	T_RUN(test_csv_rejects_bare_cr);
	T_RUN(test_csv_rejects_input_without_header);
	T_RUN(test_csv_reads_only_len_bytes);
	T_RUN(test_csv_huge_max_rows_is_clamped);
	T_RUN(test_csv_quote_flood_is_one_cell);
	T_RUN(test_csv_comma_flood_stops_at_the_cap);
	T_RUN(test_csv_field_quotes_only_when_needed);
	T_RUN(test_csv_field_over_max_leaves_buffer_unchanged);
	T_RUN(test_csv_field_round_trip);
	return T_DONE();
}
