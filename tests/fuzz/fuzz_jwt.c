/*
 * fuzz_jwt.c - intake_jwt_exp() and intake_b64url_decode() on any bytes.
 *
 * Whatever decodes re-encodes to the same text (less padding), and an
 * exp found is positive.
 */
#include <stdlib.h>
#include <string.h>

#include "integrify/jwt.h"
#include "util/str.h"

#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct intake_buf	 dec, enc;
	const char		*s = (const char *)data;
	long long		 exp = 0;
	size_t			 n;
	bool			 found = false;

	if (intake_jwt_exp(s, size, &found, &exp) != INTAKE_OK)
		abort();
	if (found && exp <= 0)
		abort();

	intake_buf_init(&dec, 1 << 16);
	intake_buf_init(&enc, 1 << 16);
	if (intake_b64url_decode(&dec, s, size) == INTAKE_OK) {
		if (dec.len > 0 && intake_b64url_encode(&enc, dec.ptr, dec.len) != INTAKE_OK)
			abort();
		n = size;
		while (n > 0 && s[n - 1] == '=')
			n--;
		/* Non-canonical trailing bits decode too; compare lengths only. */
		if (enc.len != n)
			abort();
	}
	intake_buf_free(&dec);
	intake_buf_free(&enc);
	return 0;
}
