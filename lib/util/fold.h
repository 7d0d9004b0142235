/*
 * fold.h - the one way intake compares search text: case and accents
 * folded, with libunistring.
 *
 * "Zürich", "ZURICH" and "zurich" fold to the same bytes; so do "São" and
 * "sao", "München" and "munchen", "Straße" and "strasse".  Folding is full
 * Unicode case folding (u8_casefold) to canonical decomposition (NFD),
 * then every nonspacing mark (general category Mn) is dropped.  The
 * browser side does the same with String.prototype.normalize('NFD') and
 * /\p{Mn}/gu (www/intake-embed.js, www/intake-form.js).
 */
#ifndef INTAKE_FOLD_H
#define INTAKE_FOLD_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/*
 * Fold n bytes of UTF-8 at s.  The result goes to buf (cap bytes) when it
 * fits, else to a new allocation; *out points at it, *outlen is its
 * length (no terminator).  The caller frees *out when it is not buf.
 * INTAKE_EINVAL when s is not UTF-8; INTAKE_ENOMEM.
 */
enum intake_err	intake_fold(const char *s, size_t n, uint8_t *buf, size_t cap,
		    uint8_t **out, size_t *outlen);

/* Free what intake_fold() allocated (nothing when out is buf). */
void		intake_fold_free(uint8_t *out, const uint8_t *buf);

#endif
