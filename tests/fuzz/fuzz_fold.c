/*
 * fuzz_fold.c - intake_fold() on any bytes (a search term is a client's).
 *
 * Invalid UTF-8 is refused; valid input folds to valid UTF-8 that holds no
 * nonspacing mark, whether the small buffer or an allocation takes it.
 */
#include <stdlib.h>

#include <unictype.h>
#include <unistr.h>

#include "util/fold.h"

#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t		 buf[32], *f;
	size_t		 n, r = 0;
	ucs4_t		 uc;
	int		 k;
	enum intake_err	 err;

	err = intake_fold((const char *)data, size, buf, sizeof(buf), &f, &n);
	if (err == INTAKE_EINVAL) {
		if (u8_check(data, size) == NULL)
			abort();
		return 0;
	}
	if (err != INTAKE_OK)
		return 0;
	if (u8_check(data, size) != NULL || u8_check(f, n) != NULL)
		abort();
	while (r < n) {
		k = u8_mbtouc(&uc, f + r, n - r);
		if (k <= 0 || uc_is_general_category(uc, UC_CATEGORY_Mn))
			abort();
		r += (size_t)k;
	}
	intake_fold_free(f, buf);
	return 0;
}
