/*
 * test_keytab.c - lib/util/keytab.c: every key type parsed by its row, the
 * problems named, repeated and unknown keys refused, defaults and
 * required keys, and a row that does not fit its member refused; the
 * shared INI loader and how it words problems.
 */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "util/keytab.h"

#include "t.h"

enum color { COLOR_RED, COLOR_GREEN, COLOR_BLUE };

struct thing {
	char		name[8];
	long long	count;
	long long	mode;
	bool		on;
	enum color	color;
	int		small;		/* no row type fits an int */
};

static const char *const color_names[] = { "red", "green", "blue" };

#define T_STR(sec, k, m, def, req)	INTAKE_KEY_STR(struct thing, sec, k, m, def, req)

static const struct intake_keyrow rows[] = {
	T_STR("a", "name", name, "anon", true),
	INTAKE_KEY_INT(struct thing, "a", "count", count, -5, 100, "7"),
	INTAKE_KEY_MODE(struct thing, "a", "mode", mode, 0777, "0640"),
	INTAKE_KEY_BOOL(struct thing, "b", "on", on, "no"),
	INTAKE_KEY_ENUM(struct thing, "b", "color", color, color_names, "green", false),
};
#define NROWS	(sizeof(rows) / sizeof(rows[0]))

/* Set one key; the problem (or "") into why. */
static enum intake_err
set(struct thing *t, unsigned char *seen, const char *sec, const char *key, const char *value,
    char *why)
{
	why[0] = '\0';
	return intake_keytab_set(t, rows, NROWS, seen, sec, key, value, why, 160);
}

static void
test_keytab_defaults_then_values_by_type(void)
{
	struct thing	t;
	unsigned char	seen[NROWS] = { 0 };
	char		why[160];

	memset(&t, 0, sizeof(t));
	T_ASSERT(intake_keytab_defaults(&t, rows, NROWS) == NULL);
	T_EQ_STR(t.name, "anon");
	T_EQ_INT(t.count, 7);
	T_EQ_INT(t.mode, 0640);
	T_ASSERT(!t.on);
	T_EQ_INT(t.color, COLOR_GREEN);
	T_EQ_INT(set(&t, seen, "a", "name", "zoë", why), INTAKE_OK);
	T_EQ_STR(t.name, "zoë");
	T_EQ_INT(set(&t, seen, "a", "count", "-5", why), INTAKE_OK);
	T_EQ_INT(t.count, -5);
	T_EQ_INT(set(&t, seen, "a", "mode", "0600", why), INTAKE_OK);
	T_EQ_INT(t.mode, 0600);
	T_EQ_INT(set(&t, seen, "b", "on", "yes", why), INTAKE_OK);
	T_ASSERT(t.on);
	/* Names are matched without regard to case. */
	T_EQ_INT(set(&t, seen, "b", "color", "BLUE", why), INTAKE_OK);
	T_EQ_INT(t.color, COLOR_BLUE);
}

static void
test_keytab_bad_values_name_the_problem(void)
{
	struct thing	t;
	unsigned char	seen[NROWS] = { 0 };
	char		why[160];

	memset(&t, 0, sizeof(t));
	T_EQ_INT(set(&t, seen, "a", "name", "far too long", why), INTAKE_EINVAL);
	T_EQ_STR(why, "value too long");
	T_EQ_INT(set(&t, seen, "a", "count", "101", why), INTAKE_EINVAL);
	T_EQ_STR(why, "not a whole number from -5 to 100");
	T_EQ_INT(set(&t, seen, "a", "mode", "0999", why), INTAKE_EINVAL);
	T_EQ_STR(why, "not an octal file mode such as 0660");
	T_EQ_INT(set(&t, seen, "b", "on", "maybe", why), INTAKE_EINVAL);
	T_EQ_STR(why, "not yes or no");
	T_EQ_INT(set(&t, seen, "b", "color", "mauve", why), INTAKE_EINVAL);
	T_EQ_STR(why, "not one of red, green, blue");
	/* A refused value leaves the member as it was. */
	T_EQ_INT(t.count, 0);
	T_EQ_INT(t.color, COLOR_RED);
}

static void
test_keytab_repeated_unknown_and_other_section(void)
{
	struct thing	t;
	unsigned char	seen[NROWS] = { 0 };
	char		why[160];

	memset(&t, 0, sizeof(t));
	T_EQ_INT(set(&t, seen, "a", "count", "1", why), INTAKE_OK);
	T_EQ_INT(set(&t, seen, "a", "count", "2", why), INTAKE_EINVAL);
	T_EQ_STR(why, "set twice");
	T_EQ_INT(t.count, 1);
	T_EQ_INT(set(&t, seen, "a", "colour", "red", why), INTAKE_ENOTFOUND);
	/* A key of another section is not this section's. */
	T_EQ_INT(set(&t, seen, "a", "on", "yes", why), INTAKE_ENOTFOUND);
}

static void
test_keytab_missing_names_the_first_required_row(void)
{
	struct thing	t;
	unsigned char	seen[NROWS] = { 0 };
	char		why[160];

	memset(&t, 0, sizeof(t));
	T_ASSERT(intake_keytab_missing(rows, NROWS, seen) == &rows[0]);
	T_EQ_INT(set(&t, seen, "a", "name", "x", why), INTAKE_OK);
	T_ASSERT(intake_keytab_missing(rows, NROWS, seen) == NULL);
}

/* A table's own bugs: a row that does not fit its member, a bad default. */
static void
test_keytab_row_that_does_not_fit_is_refused(void)
{
	static const struct intake_keyrow bad[] = {
		{ NULL, "small", INTAKE_KEYTYPE_INT, INTAKE_KEYROW_AT(struct thing, small), 0, 9,
		    NULL, 0, NULL, false },
	};
	static const struct intake_keyrow bad_default[] = {
		INTAKE_KEY_INT(struct thing, NULL, "count", count, 0, 9, "10"),
	};
	struct thing	t;
	unsigned char	seen[1] = { 0 };
	char		why[160];

	memset(&t, 0, sizeof(t));
	T_EQ_INT(intake_keytab_set(&t, bad, 1, seen, "any", "small", "3", why, sizeof(why)),
	    INTAKE_EINVAL);
	T_EQ_STR(why, "the key's table row is wrong");
	T_EQ_INT(t.small, 0);
	T_EQ_STR(intake_keytab_defaults(&t, bad_default, 1), "count");
}

/* A reader of section [a] of struct thing through the shared INI loader. */
struct reader {
	struct intake_keyload	kl;
	struct thing		t;
	unsigned char		seen[NROWS];
};

static int
on_thing_key(void *user, const char *section, const char *key, const char *value)
{
	struct reader	*r = user;

	if (strcmp(key, "stop") == 0) {
		intake_keyload_fail(&r->kl, section, key, "told to stop");
		return 0;
	}
	return intake_keyload_set(&r->kl, &r->t, rows, NROWS, r->seen, section, key, value);
}

/* Read text (or the file path when text is NULL); the problem into err. */
static enum intake_err
read_thing(struct reader *r, const char *path, const char *text, char *err, size_t errsz)
{
	memset(r, 0, sizeof(*r));
	intake_keyload_init(&r->kl, path, "unknown key (see the manual)", err, errsz);
	return intake_keyload_parse(&r->kl, text, on_thing_key, r);
}

static void
test_keyload_sets_keys_from_text_and_file(void)
{
	struct reader	r;
	char		err[256], dir[512], path[1024];
	const char	*text = "[a]\nname = box\ncount = 3\n[b]\ncolor = blue\n";

	T_EQ_INT(read_thing(&r, "thing.conf", text, err, sizeof(err)), INTAKE_OK);
	T_EQ_STR(r.t.name, "box");
	T_EQ_INT(r.t.count, 3);
	T_EQ_INT(r.t.color, COLOR_BLUE);
	T_EQ_STR(err, "");
	t_mkdtemp(dir, sizeof(dir));
	t_write_file(dir, "thing.conf", text, strlen(text), path, sizeof(path));
	T_EQ_INT(read_thing(&r, path, NULL, err, sizeof(err)), INTAKE_OK);
	T_EQ_STR(r.t.name, "box");
}

/* Each problem reads "PATH: [section] key: problem"; only the first is told. */
static void
test_keyload_names_file_section_key_and_first_problem(void)
{
	struct reader	r;
	char		err[256];

	T_EQ_INT(read_thing(&r, "thing.conf", "[a]\ncount = 1000\nname = x\n", err,
	    sizeof(err)), INTAKE_ECONFIG);
	T_ASSERT(strncmp(err, "thing.conf: [a] count: not a whole number", 41) == 0);
	T_EQ_INT(read_thing(&r, "thing.conf", "[a]\nshape = round\n", err, sizeof(err)),
	    INTAKE_ECONFIG);
	T_EQ_STR(err, "thing.conf: [a] shape: unknown key (see the manual)");
	T_EQ_INT(read_thing(&r, "thing.conf", "[a]\nname = x\nname = y\n", err, sizeof(err)),
	    INTAKE_ECONFIG);
	T_EQ_STR(err, "thing.conf: [a] name: set twice");
	T_EQ_INT(read_thing(&r, "thing.conf", "[a]\nstop = 1\ncount = 1000\n", err,
	    sizeof(err)), INTAKE_ECONFIG);
	T_EQ_STR(err, "thing.conf: [a] stop: told to stop");
}

/* What libinih itself refuses is told with the file and the line. */
static void
test_keyload_syntax_error_and_missing_file(void)
{
	struct reader	r;
	char		err[256], dir[512], path[1100];

	T_EQ_INT(read_thing(&r, "thing.conf", "[a]\nname = x\n[b\n", err, sizeof(err)),
	    INTAKE_ECONFIG);
	T_EQ_STR(err, "thing.conf: line 3: syntax error: a [section without its closing ]");
	t_mkdtemp(dir, sizeof(dir));
	(void)snprintf(path, sizeof(path), "%s/none.conf", dir);
	T_EQ_INT(read_thing(&r, path, NULL, err, sizeof(err)), INTAKE_ECONFIG);
	T_ASSERT(strstr(err, "none.conf: cannot open: ") != NULL);
}

int
main(void)
{
	T_RUN(test_keytab_defaults_then_values_by_type);
	T_RUN(test_keytab_bad_values_name_the_problem);
	T_RUN(test_keytab_repeated_unknown_and_other_section);
	T_RUN(test_keytab_missing_names_the_first_required_row);
	T_RUN(test_keytab_row_that_does_not_fit_is_refused);
	T_RUN(test_keyload_sets_keys_from_text_and_file);
	T_RUN(test_keyload_names_file_section_key_and_first_problem);
	T_RUN(test_keyload_syntax_error_and_missing_file);
	return T_DONE();
}
