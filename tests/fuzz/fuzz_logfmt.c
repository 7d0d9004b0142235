/*
 * fuzz_logfmt.c - the logfmt writer and reader against each other.
 *
 * The input is split at 0x00 into up to 24 values; each becomes a field
 * k0, k1, ... of one line built by the log's builder.  The line must hold
 * printable ASCII only (no forged lines), and the reader must give back
 * event and the keys in order, every value byte for byte unless the
 * writer cut it ("..." at its end, only on a full line), all keys unless
 * the line says truncated=true.  The raw input is also read as a line,
 * which must end or fail cleanly, never overrun.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

#include "fuzz.h"

#define VALUES_MAX	24

static char	val[INTAKE_LOG_LINE_MAX + 1];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct intake_log_line	 l;
	const char		*v[VALUES_MAX], *cur, *end, *key;
	size_t			 vlen[VALUES_MAX], nv = 0, i, keylen, vallen, at = 0;
	char			 name[8];
	enum intake_err		 err;

	/* The raw bytes as a line: never a crash, whatever they are. */
	cur = (const char *)data;
	end = cur + size;
	while (intake_logfmt_next(&cur, end, &key, &keylen, val, sizeof(val), &vallen) ==
	    INTAKE_OK)
		;

	intake_log_set_level(INTAKE_LOG_DEBUG);
	for (i = 0; i <= size && nv < VALUES_MAX; i++)
		if (i == size || data[i] == 0) {
			v[nv] = (const char *)data + at;
			vlen[nv++] = i - at;
			at = i + 1;
		}
	intake_log_begin(&l, INTAKE_LOG_INFO, "fuzz");
	for (i = 0; i < nv; i++) {
		(void)snprintf(name, sizeof(name), "k%zu", i);
		intake_log_strn(&l, name, v[i], vlen[i]);
	}
	for (i = 0; i < l.len; i++)
		if ((unsigned char)l.buf[i] < 0x20 || (unsigned char)l.buf[i] >= 0x7f)
			abort();
	cur = l.buf;
	end = l.buf + l.len;
	err = intake_logfmt_next(&cur, end, &key, &keylen, val, sizeof(val), &vallen);
	if (err != INTAKE_OK || keylen != 5 || memcmp(key, "event", 5) != 0 ||
	    strcmp(val, "fuzz") != 0)
		abort();
	for (i = 0; i < nv; i++) {
		err = intake_logfmt_next(&cur, end, &key, &keylen, val, sizeof(val), &vallen);
		if (err == INTAKE_ENOTFOUND && l.cut)
			break;
		if (err != INTAKE_OK)
			abort();
		(void)snprintf(name, sizeof(name), "k%zu", i);
		if (keylen != strlen(name) || memcmp(key, name, keylen) != 0)
			abort();
		if (vallen == vlen[i] && memcmp(val, v[i], vallen) == 0)
			continue;
		/* Cut: a prefix, then "...", and only where the line ran out of room. */
		if (vallen < 3 || memcmp(val + vallen - 3, "...", 3) != 0 ||
		    vallen - 3 > vlen[i] || memcmp(val, v[i], vallen - 3) != 0 ||
		    l.len + 64 < INTAKE_LOG_LINE_MAX)
			abort();
	}
	if (!l.cut && intake_logfmt_next(&cur, end, &key, &keylen, val, sizeof(val), &vallen) !=
	    INTAKE_ENOTFOUND)
		abort();
	return 0;
}
