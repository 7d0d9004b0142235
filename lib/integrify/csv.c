/*
 * csv.c - RFC 4180 CSV into a table, and one field back out (see csv.h).
 *
 * One pass over the input, each byte looked at a bounded number of times.
 * Cell bytes go into one bounded buffer (a leading NUL stands for every
 * empty cell) and a 32-bit offset per cell into another; the table is then
 * built by intake_table_new(), which also checks that every cell is UTF-8.
 * Since the delimiters are ASCII and never occur inside a multi-byte
 * sequence, checking the cells checks the whole input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "integrify/csv.h"

static const char utf8_bom[3] = { '\xef', '\xbb', '\xbf' };

struct csv_parser {
	const char		*buf;
	size_t			 len;
	size_t			 pos;		/* next byte to read */
	size_t			 max_rows;
	size_t			 ncols;		/* 0 until the header record ends */
	size_t			 nrows;		/* data rows stored */
	size_t			 nfields;	/* fields begun in this record */
	size_t			 pending_blank;	/* blank records not yet stored */
	size_t			 cell_start;	/* where this cell's bytes begin in blob */
	struct intake_buf	 blob;		/* "\0", then each non-empty cell + NUL */
	struct intake_buf	 offs;		/* uint32_t offset into blob per cell */
};

/* Start a field, refusing one past the header's width or the row cap. */
static enum intake_err
csv_field_begin(struct csv_parser *p)
{
	if (p->ncols == 0) {
		if (p->nfields == INTAKE_TABLE_COLS_MAX)
			return INTAKE_ETOOBIG;
	} else {
		if (p->nfields == 0 && p->nrows == p->max_rows)
			return INTAKE_ETOOBIG;
		if (p->nfields == p->ncols)
			return INTAKE_EINVAL;	/* longer than the header */
	}
	p->nfields++;
	p->cell_start = p->blob.len;
	return INTAKE_OK;
}

static enum intake_err
csv_push_offset(struct csv_parser *p, uint32_t off)
{
	return intake_buf_add(&p->offs, &off, sizeof(off));
}

/* End the current field: terminate its bytes, or point it at the shared "". */
static enum intake_err
csv_field_end(struct csv_parser *p)
{
	enum intake_err	err;

	if (p->blob.len == p->cell_start)
		return csv_push_offset(p, 0);
	err = intake_buf_addc(&p->blob, '\0');
	if (err != INTAKE_OK)
		return err;
	/* len was capped in intake_csv_parse() so that blob offsets fit. */
	return csv_push_offset(p, (uint32_t)p->cell_start);
}

/* End a record: it sets the width (header) or is padded to it. */
static enum intake_err
csv_record_end(struct csv_parser *p)
{
	enum intake_err	err;

	if (p->ncols == 0)
		p->ncols = p->nfields;
	else {
		for (; p->nfields < p->ncols; p->nfields++) {
			err = csv_push_offset(p, 0);
			if (err != INTAKE_OK)
				return err;
		}
		p->nrows++;
	}
	p->nfields = 0;
	return INTAKE_OK;
}

/* An unquoted field runs to the next comma, CR or LF; a quote in it is an error. */
static enum intake_err
csv_unquoted(struct csv_parser *p)
{
	size_t	start = p->pos;
	char	c;

	while (p->pos < p->len) {
		c = p->buf[p->pos];
		if (c == ',' || c == '\r' || c == '\n')
			break;
		if (c == '"')
			return INTAKE_EINVAL;	/* stray quote */
		p->pos++;
	}
	return intake_buf_add(&p->blob, p->buf + start, p->pos - start);
}

/* A quoted field, from its opening quote to its closing one; "" is a quote. */
static enum intake_err
csv_quoted(struct csv_parser *p)
{
	const char	*q;
	enum intake_err	 err;

	p->pos++;
	for (;;) {
		q = memchr(p->buf + p->pos, '"', p->len - p->pos);
		if (q == NULL)
			return INTAKE_EINVAL;	/* unterminated quote */
		err = intake_buf_add(&p->blob, p->buf + p->pos, (size_t)(q - (p->buf + p->pos)));
		if (err != INTAKE_OK)
			return err;
		p->pos = (size_t)(q - p->buf) + 1;
		if (p->pos == p->len || p->buf[p->pos] != '"')
			return INTAKE_OK;
		err = intake_buf_addc(&p->blob, '"');
		if (err != INTAKE_OK)
			return err;
		p->pos++;
	}
}

/* One non-blank record, through its CRLF or LF or to the end of input. */
static enum intake_err
csv_record(struct csv_parser *p)
{
	enum intake_err	err;
	char		c;

	for (;;) {
		err = csv_field_begin(p);
		if (err != INTAKE_OK)
			return err;
		if (p->pos < p->len && p->buf[p->pos] == '"')
			err = csv_quoted(p);
		else
			err = csv_unquoted(p);
		if (err != INTAKE_OK)
			return err;
		err = csv_field_end(p);
		if (err != INTAKE_OK)
			return err;
		if (p->pos == p->len)
			break;
		c = p->buf[p->pos];
		if (c == ',') {
			p->pos++;
			continue;
		}
		if (c == '\n') {
			p->pos++;
			break;
		}
		if (c == '\r' && p->len - p->pos >= 2 && p->buf[p->pos + 1] == '\n') {
			p->pos += 2;
			break;
		}
		/* Text after a closing quote, or a CR that does not end a line. */
		return INTAKE_EINVAL;
	}
	return csv_record_end(p);
}

/* Length of a record terminator at pos (a blank record), or 0. */
static size_t
csv_blank_at(const struct csv_parser *p)
{
	if (p->buf[p->pos] == '\n')
		return 1;
	if (p->buf[p->pos] == '\r' && p->len - p->pos >= 2 && p->buf[p->pos + 1] == '\n')
		return 2;
	return 0;
}

/*
 * Blank records are held back until a non-blank one follows, so those at
 * the end are dropped; one in the middle is a record of one empty field.
 */
static enum intake_err
csv_flush_blank(struct csv_parser *p)
{
	enum intake_err	err;

	for (; p->pending_blank > 0; p->pending_blank--) {
		err = csv_field_begin(p);
		if (err == INTAKE_OK)
			err = csv_field_end(p);
		if (err == INTAKE_OK)
			err = csv_record_end(p);
		if (err != INTAKE_OK)
			return err;
	}
	return INTAKE_OK;
}

/*
 * Build the table from the cell offsets.  Peak memory is two pointers per
 * cell (this array and the table's) plus the cell bytes.
 */
static enum intake_err
csv_table(struct csv_parser *p, struct intake_table **out)
{
	const char	**cells;
	size_t		  ncells, i;
	uint32_t	  off;
	enum intake_err	  err;

	ncells = p->offs.len / sizeof(uint32_t);
	cells = calloc(ncells, sizeof(*cells));
	if (cells == NULL)
		return INTAKE_ENOMEM;
	for (i = 0; i < ncells; i++) {
		memcpy(&off, p->offs.ptr + i * sizeof(off), sizeof(off));
		cells[i] = p->blob.ptr + off;
	}
	/* The offsets are done with: free them before the table doubles the pointers. */
	intake_buf_free(&p->offs);
	err = intake_table_new(cells, p->ncols, cells + p->ncols, p->nrows, out);
	free(cells);
	return err;
}

enum intake_err
intake_csv_parse(const char *buf, size_t len, size_t max_rows, struct intake_table **out)
{
	struct csv_parser	 p;
	size_t			 n;
	enum intake_err		 err;

	memset(&p, 0, sizeof(p));
	if (max_rows > INTAKE_TABLE_ROWS_MAX)
		max_rows = INTAKE_TABLE_ROWS_MAX;
	/* The blob holds at most every input byte plus a NUL per byte. */
	if (len > (UINT32_MAX - 2) / 2)
		return INTAKE_ETOOBIG;
	p.buf = buf;
	p.len = len;
	p.max_rows = max_rows;
	intake_buf_init(&p.blob, 2 * len + 2);
	intake_buf_init(&p.offs,
	    (max_rows + 1) * INTAKE_TABLE_COLS_MAX * sizeof(uint32_t));

	if (len > 0 && memchr(buf, '\0', len) != NULL) {
		err = INTAKE_EINVAL;
		goto out;
	}
	err = intake_buf_addc(&p.blob, '\0');	/* offset 0: every empty cell */
	if (err != INTAKE_OK)
		goto out;
	if (len >= sizeof(utf8_bom) && memcmp(buf, utf8_bom, sizeof(utf8_bom)) == 0)
		p.pos = sizeof(utf8_bom);

	while (p.pos < p.len) {
		n = csv_blank_at(&p);
		if (n > 0) {
			p.pending_blank++;
			p.pos += n;
			continue;
		}
		err = csv_flush_blank(&p);
		if (err != INTAKE_OK)
			goto out;
		err = csv_record(&p);
		if (err != INTAKE_OK)
			goto out;
	}
	if (p.ncols == 0) {
		err = INTAKE_EINVAL;	/* no header record */
		goto out;
	}
	err = csv_table(&p, out);
out:
	intake_buf_free(&p.blob);
	intake_buf_free(&p.offs);
	return err;
}

enum intake_err
intake_csv_field(struct intake_buf *out, const char *s)
{
	size_t		 start = out->len, n = strlen(s), i, run;
	enum intake_err	 err;

	/*
	 * Quote an empty field too, so a record of one empty cell is not a
	 * blank line; and a leading BOM, which a reader would drop.
	 */
	if (n > 0 && strpbrk(s, ",\"\r\n") == NULL &&
	    (n < sizeof(utf8_bom) || memcmp(s, utf8_bom, sizeof(utf8_bom)) != 0))
		return intake_buf_add(out, s, n);

	err = intake_buf_addc(out, '"');
	if (err != INTAKE_OK)
		goto out;
	run = 0;
	for (i = 0; i < n; i++) {
		if (s[i] != '"')
			continue;
		/* Write through this quote, then start the next run at it again. */
		err = intake_buf_add(out, s + run, i + 1 - run);
		if (err != INTAKE_OK)
			goto out;
		run = i;
	}
	err = intake_buf_add(out, s + run, n - run);
	if (err != INTAKE_OK)
		goto out;
	err = intake_buf_addc(out, '"');
out:
	if (err != INTAKE_OK && out->ptr != NULL) {
		out->len = start;
		out->ptr[start] = '\0';
	}
	return err;
}
