/*
 * csv.h - RFC 4180 CSV, as Integrify's report exports send it.
 *
 * A leading UTF-8 BOM is dropped.  Fields may be quoted; quoted fields may
 * hold commas, doubled quotes, CR and LF.  Records end with CRLF or LF.
 * The first record is the header.  A record shorter than the header is
 * padded with empty cells; a longer one is an error.  Blank records at the
 * end are ignored.  Invalid UTF-8 is an error (Integrify sends UTF-8).
 */
#ifndef INTAKE_CSV_H
#define INTAKE_CSV_H

#include <stddef.h>

#include "util/err.h"
#include "util/table.h"

/*
 * Parse len bytes of buf.  INTAKE_EINVAL on malformed input (an
 * unterminated quote, a stray quote inside an unquoted field, text after a
 * closing quote, a longer record, invalid UTF-8, a NUL byte), INTAKE_ETOOBIG
 * past INTAKE_TABLE_COLS_MAX columns or max_rows data rows (max_rows is
 * clamped to INTAKE_TABLE_ROWS_MAX), or when len is 2 GB or more.  A blank
 * record before the last non-blank one is a row of empty cells; a CR
 * outside quotes must start a CRLF.  Input with no record at all is
 * INTAKE_EINVAL.  The caller owns *out.
 *
 * Padding lets two input bytes ("\n" or "x\n") become a whole row, so
 * memory is bounded by max_rows, not len: at worst about two pointers per
 * cell, 4 KB per row at 256 columns.  Pick max_rows with that in mind.
 * Time is linear in len plus the cells made.
 */
enum intake_err	intake_csv_parse(const char *buf, size_t len, size_t max_rows,
		    struct intake_table **out);

/*
 * Append s as one CSV field (quoted when it needs to be: when it holds a
 * comma, quote, CR or LF, starts with a BOM, or is empty, so that a
 * record of one empty field is not read back as a blank line).  Parsing
 * records written this way, joined by ',' and ended by CRLF, gives back
 * the same table.  On failure out is left as it was.
 */
enum intake_err	intake_csv_field(struct intake_buf *out, const char *s);

#endif
