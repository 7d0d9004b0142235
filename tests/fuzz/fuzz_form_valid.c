/*
 * fuzz_form_valid.c - intake_form_validate() over a decoded form body.
 *
 * The input is an application/x-www-form-urlencoded body, decoded as
 * form_post.c decodes it, and checked against a form with one field of
 * every type.  Whatever was sent, a valid value is what the rules
 * promise: UTF-8 without controls, no white space around it, a length
 * within bounds, a number in canonical spelling within range, a date
 * within range, an offered choice; every problem names a field and has a
 * known code; and the 422 body for the problems is valid UTF-8 JSON.
 */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <unictype.h>
#include <unistr.h>

#include "util/arena.h"
#include "util/buf.h"
#include "form/form_valid.h"
#include "core/log.h"
#include "web/query.h"
#include "util/str.h"

#include "fuzz.h"

static struct intake_form	form;

/* name text 2-8 [A-Za-z ]+, mail, n 10..2000, day, pick, boxes, notes <= 20, code <= 3. */
static void
setup(void)
{
	struct intake_field	*f;

	f = &form.fields[form.nfields++];
	(void)intake_strlcpy(f->name, "name", sizeof(f->name));
	f->type = INTAKE_FIELD_TEXT;
	f->required = true;
	f->min_length = 2;
	f->max_length = 8;
	if (regcomp(&f->re, "^([A-Za-z ]+)$", REG_EXTENDED | REG_NOSUB) != 0)
		abort();
	f->has_re = true;
	f = &form.fields[form.nfields++];
	(void)intake_strlcpy(f->name, "mail", sizeof(f->name));
	f->type = INTAKE_FIELD_EMAIL;
	f->min_length = f->max_length = -1;
	f = &form.fields[form.nfields++];
	(void)intake_strlcpy(f->name, "n", sizeof(f->name));
	f->type = INTAKE_FIELD_NUMBER;
	f->required = true;
	f->min_length = f->max_length = -1;
	(void)intake_strlcpy(f->min, "-10", sizeof(f->min));
	(void)intake_strlcpy(f->max, "2000", sizeof(f->max));
	f = &form.fields[form.nfields++];
	(void)intake_strlcpy(f->name, "day", sizeof(f->name));
	f->type = INTAKE_FIELD_DATE;
	f->min_length = f->max_length = -1;
	(void)intake_strlcpy(f->min, "2024-01-01", sizeof(f->min));
	f = &form.fields[form.nfields++];
	(void)intake_strlcpy(f->name, "pick", sizeof(f->name));
	f->type = INTAKE_FIELD_SELECT;
	f->min_length = f->max_length = -1;
	f = &form.fields[form.nfields++];
	(void)intake_strlcpy(f->name, "boxes", sizeof(f->name));
	f->type = INTAKE_FIELD_CHECKBOXES;
	f->min_length = f->max_length = -1;
	f = &form.fields[form.nfields++];
	(void)intake_strlcpy(f->name, "notes", sizeof(f->name));
	f->type = INTAKE_FIELD_TEXTAREA;
	f->required = true;
	f->min_length = 1;
	f->max_length = 20;
	f = &form.fields[form.nfields++];
	(void)intake_strlcpy(f->name, "code", sizeof(f->name));
	f->type = INTAKE_FIELD_TEXT;
	f->min_length = -1;
	f->max_length = 3;
}

/* Offered choices: "a", "b", " c". */
static bool
offered(void *arg, const struct intake_field *fd, const char *value, const char *parent)
{
	(void)arg;
	(void)fd;
	(void)parent;
	return strcmp(value, "a") == 0 || strcmp(value, "b") == 0 || strcmp(value, " c") == 0;
}

/* Is the character at s (n bytes) Unicode white space? */
static bool
space_at(const char *s, size_t n)
{
	ucs4_t	uc;

	return u8_mbtouc(&uc, (const uint8_t *)s, n) > 0 && uc_is_property_white_space(uc);
}

/* Abort unless value v is one fd may hold. */
static void
check_value(const struct intake_field *fd, const char *v)
{
	const uint8_t	*last;
	size_t		 len = strlen(v), chars;
	long long	 n;
	char		 canon[32];
	ucs4_t		 uc;
	size_t		 i;

	if (len == 0 || u8_check((const uint8_t *)v, len) != NULL)
		abort();
	if (intake_field_has_source(fd->type)) {
		if (!offered(NULL, fd, v, NULL))
			abort();
		return;
	}
	for (i = 0; i < len; i++)
		if ((unsigned char)v[i] == 0x7f || ((unsigned char)v[i] < 0x20 &&
		    !(fd->type == INTAKE_FIELD_TEXTAREA && (v[i] == '\t' || v[i] == '\r' ||
		    v[i] == '\n'))))
			abort();
	/* Trimmed: neither end is white space. */
	last = u8_prev(&uc, (const uint8_t *)v + len, (const uint8_t *)v);
	if (space_at(v, len) || last == NULL || uc_is_property_white_space(uc))
		abort();
	chars = u8_mbsnlen((const uint8_t *)v, len);
	if ((fd->min_length >= 0 && chars < (size_t)fd->min_length) ||
	    (fd->max_length >= 0 && chars > (size_t)fd->max_length))
		abort();
	if (fd->type == INTAKE_FIELD_NUMBER) {
		if (intake_parse_int(v, -10, 2000, &n) != INTAKE_OK)
			abort();
		(void)snprintf(canon, sizeof(canon), "%lld", n);
		if (strcmp(canon, v) != 0)
			abort();
	}
	if (fd->type == INTAKE_FIELD_DATE && (!intake_date_valid(v, len) ||
	    strcmp(v, fd->min) < 0))
		abort();
	if (fd->has_re && regexec(&fd->re, v, 0, NULL, 0) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct intake_form_input		in[INTAKE_FORM_INPUTS_MAX];
	static struct intake_form_value		values[INTAKE_FIELDS_MAX];
	static struct intake_field_problem	problems[INTAKE_FIELDS_MAX + INTAKE_FORM_INPUTS_MAX];
	static struct intake_query		q;
	struct intake_arena			a;
	struct intake_buf			b;
	struct json_tokener			*tok;
	struct json_object			*o;
	size_t					i, j, np = 0;

	if (form.nfields == 0) {
		/* A tampered choice logs a warning; a line per input would drown the fuzzer. */
		intake_log_set_level(INTAKE_LOG_ERR);
		setup();
	}
	intake_arena_init(&a, 1u << 20);
	if (intake_query_parse((const char *)data, size, &a, &q) != INTAKE_OK)
		goto out;
	memset(in, 0, sizeof(in));
	for (i = 0; i < q.npairs; i++) {
		in[i].name = q.pairs[i].name;
		in[i].value = q.pairs[i].value;
		in[i].len = q.pairs[i].valuelen;
	}
	/* Both catalogs' sentences are made from the values: odd sizes in German. */
	if (intake_form_validate(&form, size % 2 != 0 ? INTAKE_LANG_DE : INTAKE_LANG_EN, in,
	    q.npairs, offered, NULL, values, problems, &np) != INTAKE_OK)
		abort();
	if (np > INTAKE_FIELDS_MAX + INTAKE_FORM_INPUTS_MAX)
		abort();
	for (i = 0; i < np; i++)
		if (problems[i].field == NULL || (unsigned)problems[i].code >= INTAKE_FE__MAX)
			abort();
	for (j = 0; j < form.nfields; j++) {
		if (values[j].field != &form.fields[j])
			abort();
		for (i = 0; i < values[j].nvalues; i++)
			check_value(&form.fields[j], values[j].values[i]);
	}
	/* Valid means every required field has a value. */
	if (np == 0)
		for (j = 0; j < form.nfields; j++)
			if (form.fields[j].required && values[j].nvalues == 0)
				abort();
	intake_buf_init(&b, 1u << 20);
	if (intake_field_problems_json(&b, problems, np) != INTAKE_OK)
		abort();
	tok = json_tokener_new();
	if (tok == NULL)
		abort();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, b.ptr, (int)b.len - 1);	/* without its newline */
	if (o == NULL || json_tokener_get_error(tok) != json_tokener_success ||
	    u8_check((const uint8_t *)b.ptr, b.len) != NULL)
		abort();
	json_object_put(o);
	json_tokener_free(tok);
	intake_buf_free(&b);
out:
	intake_arena_free(&a);
	return 0;
}
