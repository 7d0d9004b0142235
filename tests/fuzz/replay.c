/*
 * replay.c - run a fuzz target over every file of a corpus directory.
 *
 *	fuzz_<parser> tests/fuzz/corpus/fuzz_<parser>/
 *
 * Each file is read into a buffer of exactly its size, so ASan reports a
 * read one byte past the input.  Fails when the directory cannot be read
 * or holds no file: a corpus that went missing must not pass.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

/* Read path whole; NULL on error.  *size gets its length. */
static uint8_t *
slurp(const char *path, size_t *size)
{
	struct stat	 st;
	uint8_t		*buf;
	FILE		*f;

	f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	if (fstat(fileno(f), &st) == -1 || st.st_size < 0) {
		(void)fclose(f);
		return NULL;
	}
	*size = (size_t)st.st_size;
	/* malloc(0) may give NULL; an empty input still needs a pointer. */
	buf = malloc(*size == 0 ? 1 : *size);
	if (buf == NULL || (*size > 0 && fread(buf, 1, *size, f) != *size)) {
		free(buf);
		(void)fclose(f);
		return NULL;
	}
	(void)fclose(f);
	return buf;
}

int
main(int argc, char *argv[])
{
	struct dirent	*de;
	struct stat	 st;
	DIR		*d;
	char		 path[4096];
	uint8_t		*buf;
	size_t		 size;
	int		 n = 0, failed = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s corpus-directory\n", argv[0]);
		return 2;
	}
	d = opendir(argv[1]);
	if (d == NULL) {
		fprintf(stderr, "%s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", argv[1], de->d_name) >=
		    (int)sizeof(path))
			continue;
		if (stat(path, &st) == -1 || !S_ISREG(st.st_mode))
			continue;
		buf = slurp(path, &size);
		if (buf == NULL) {
			fprintf(stderr, "%s: cannot read: %s\n", path, strerror(errno));
			failed = 1;
			continue;
		}
		/* Name the input first, so a crash points at it. */
		fprintf(stderr, "replay %s (%zu bytes)\n", de->d_name, size);
		(void)LLVMFuzzerTestOneInput(buf, size);
		free(buf);
		n++;
	}
	(void)closedir(d);
	if (n == 0) {
		fprintf(stderr, "%s: no corpus files\n", argv[1]);
		return 1;
	}
	printf("%d inputs replayed\n", n);
	return failed;
}
