/*
 * fuzz_spoolrec.c - intake_spoolrec_decode() and the meta reader on any
 * bytes.  A spool file may be cut, flipped or replaced on disk.
 *
 * The bytes are decoded as they are (the checksum almost always refuses
 * them), then again as the body of a record with a correct checksum
 * added, so the framing parser itself is reached.  A record that decodes
 * must encode back to exactly the same bytes: there is one way to write
 * each record, so no two files can mean the same submission.
 */
#include <stdlib.h>
#include <string.h>

#include "spool/spoolrec.h"
#include "util/str.h"

#include "fuzz.h"

static void
decode_and_compare(const char *bytes, size_t n)
{
	struct intake_spoolrec	*r = calloc(1, sizeof(*r));
	struct intake_buf	 again;
	char			*copy = malloc(n + 1);

	if (r == NULL || copy == NULL)
		abort();
	memcpy(copy, bytes, n);
	if (intake_spoolrec_decode(copy, n, r) == INTAKE_OK) {
		intake_buf_init(&again, n + 1);
		if (intake_spoolrec_encode(r, &again) != INTAKE_OK || again.len != n ||
		    memcmp(again.ptr, bytes, n) != 0)
			abort();
		intake_buf_free(&again);
	}
	free(copy);
	free(r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct intake_spool_meta	m;
	struct intake_buf		b;
	char				sum[65];

	decode_and_compare((const char *)data, size);
	intake_spoolrec_meta_decode((const char *)data, size, &m);

	intake_buf_init(&b, size + 128);
	if (intake_buf_adds(&b, "intake-spool 1\n") == INTAKE_OK &&
	    intake_buf_add(&b, data, size) == INTAKE_OK) {
		intake_sha256_hex(b.ptr, b.len, sum);
		if (intake_buf_adds(&b, "end 64\n") == INTAKE_OK &&
		    intake_buf_add(&b, sum, 64) == INTAKE_OK && intake_buf_addc(&b, '\n') == INTAKE_OK)
			decode_and_compare(b.ptr, b.len);
	}
	intake_buf_free(&b);
	return 0;
}
