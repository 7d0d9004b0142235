/*
 * fuzz_log_escape.c - intake_log_escape() with the output size taken from
 * the first byte (0-255) and the rest as the message.
 *
 * The output buffer is exactly outsz bytes on the heap, so a write past
 * it is caught by ASan.  The result is NUL-terminated, its length is the
 * return value, and it holds printable ASCII only: no forged log lines.
 */
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*out;
	size_t	 outsz, n, i;

	if (size == 0)
		return 0;
	outsz = data[0];
	out = malloc(outsz == 0 ? 1 : outsz);
	if (out == NULL)
		return 0;
	n = intake_log_escape((const char *)data + 1, size - 1, out, outsz);
	if (outsz == 0) {
		if (n != 0)
			abort();
	} else {
		if (n >= outsz || out[n] != '\0' || strlen(out) != n)
			abort();
		for (i = 0; i < n; i++)
			if ((unsigned char)out[i] < 0x20 || (unsigned char)out[i] >= 0x7f)
				abort();
	}
	free(out);
	return 0;
}
