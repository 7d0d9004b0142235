/*
 * fold.c - case and accent folding for search (fold.h).
 */
#include <stdlib.h>
#include <string.h>

#include <unicase.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

#include "util/fold.h"

/* Drop the nonspacing marks of NFD text f (flen bytes), in place; the new length. */
static size_t
drop_marks(uint8_t *f, size_t flen)
{
	size_t	 r = 0, w = 0;
	ucs4_t	 uc;
	int	 k;

	while (r < flen) {
		k = u8_mbtouc(&uc, f + r, flen - r);
		if (k <= 0)
			break;	/* u8_casefold's output is UTF-8: not reached */
		if (!uc_is_general_category(uc, UC_CATEGORY_Mn)) {
			memmove(f + w, f + r, (size_t)k);
			w += (size_t)k;
		}
		r += (size_t)k;
	}
	return w;
}

enum intake_err
intake_fold(const char *s, size_t n, uint8_t *buf, size_t cap, uint8_t **out, size_t *outlen)
{
	uint8_t	*f;
	size_t	 flen = cap;

	if (u8_check((const uint8_t *)s, n) != NULL)
		return INTAKE_EINVAL;
	f = u8_casefold((const uint8_t *)s, n, NULL, UNINORM_NFD, buf, &flen);
	if (f == NULL)
		return INTAKE_ENOMEM;
	*outlen = drop_marks(f, flen);
	*out = f;
	return INTAKE_OK;
}

void
intake_fold_free(uint8_t *out, const uint8_t *buf)
{
	if (out != buf)
		free(out);
}
