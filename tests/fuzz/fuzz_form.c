/*
 * fuzz_form.c - a form definition (lib/form/form.c) parsed from any text.
 *
 * The input, cut at its first NUL, is one form file checked against a
 * config with one choice source.  Either the load fails with a
 * terminated message naming the file, or the form keeps every promise
 * form.h makes: a title and a process (not empty), labelled fields, 1 to INTAKE_FIELDS_MAX fields with
 * distinct names of a-z 0-9 _, consistent bounds, sources only on choice
 * fields (and named in the config), and a compiled pattern when one is set.
 */
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "form/form.h"

#include "fuzz.h"

static struct intake_config	*cfg;

/* A config with [source:departments] only: what check_field() looks at. */
static void
setup(void)
{
	cfg = calloc(1, sizeof(*cfg));
	if (cfg == NULL)
		abort();
	cfg->sources[0].kind = INTAKE_SOURCE_CHOICES;
	memcpy(cfg->sources[0].name, "departments", sizeof("departments"));
	cfg->nsources = 1;
}

/* Abort unless s is 1-63 of a-z 0-9 _. */
static void
check_name(const char *s)
{
	size_t	n = strlen(s);

	if (n == 0 || n > 63 || strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") != n)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct intake_form	 f;
	const struct intake_field	*fd;
	char				*text, err[512];
	size_t				 i, j;

	if (cfg == NULL)
		setup();
	if (size > 65536)
		return 0;
	text = malloc(size + 1);
	if (text == NULL)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	memset(err, 'x', sizeof(err));
	if (intake_form_parse_string(text, "fuzz", cfg->sources, cfg->nsources, &f, err,
	    sizeof(err)) != INTAKE_OK) {
		if (memchr(err, '\0', sizeof(err)) == NULL || strncmp(err, "fuzz", 4) != 0)
			abort();
		free(text);
		return 0;
	}
	if (f.title[0] == '\0' || f.process[0] == '\0' || f.nfields == 0 ||
	    f.nfields > INTAKE_FIELDS_MAX)
		abort();
	for (i = 0; i < f.nfields; i++) {
		fd = &f.fields[i];
		check_name(fd->name);
		for (j = 0; j < i; j++)
			if (strcmp(f.fields[j].name, fd->name) == 0)
				abort();
		if ((unsigned)fd->type >= INTAKE_FIELD__MAX || fd->key[0] == '\0' ||
		    fd->label[0] == '\0')
			abort();
		if (fd->min_length >= 0 && fd->max_length >= 0 && fd->min_length > fd->max_length)
			abort();
		if (intake_field_has_source(fd->type) != (fd->source[0] != '\0' ||
		    fd->nchoices > 0) || (fd->source[0] != '\0' && fd->nchoices > 0))
			abort();
		if (fd->source[0] != '\0' && strcmp(fd->source, "departments") != 0)
			abort();
		if (fd->has_re != (fd->pattern[0] != '\0'))
			abort();
		if ((fd->min[0] != '\0' || fd->max[0] != '\0') && fd->type != INTAKE_FIELD_NUMBER &&
		    fd->type != INTAKE_FIELD_DATE)
			abort();
	}
	intake_forms_free_one(&f);
	free(text);
	return 0;
}
