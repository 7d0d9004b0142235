/*
 * test_publish.c - lib/cache/publish.c: unfiltered lists as files nginx
 * sends, their mtime carrying the end of their freshness, nginx's ETag,
 * the sweep and the wipe.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "cache/publish.h"

#include "t.h"

#define T0	2000000000	/* a moment in 2033, as Unix seconds */

static const char body[] = "{\"items\":[{\"value\":\"IT-010\",\"label\":\"Service desk\"}]}";

/* A fresh published directory in dir (made by intake_publish_open()). */
static void
fresh_dir(char *dir, size_t n)
{
	t_mkdtemp(dir, n);
	T_EQ_INT(intake_publish_open(dir), INTAKE_OK);
}

/* The path of list name's file under dir. */
static void
list_path(const char *dir, const char *name, char *out, size_t n)
{
	(void)snprintf(out, n, "%s/api/choices/%s.json", dir, name);
}

static void
test_put_writes_the_bytes_with_mtime_and_mode(void)
{
	char		dir[512], path[600], got[256];
	struct stat	st;
	FILE		*f;
	size_t		n;
	mode_t		old = umask(077);

	fresh_dir(dir, sizeof(dir));
	T_EQ_INT(intake_publish_put(dir, "departments", body, sizeof(body) - 1, 2000000000),
	    INTAKE_OK);
	(void)umask(old);
	list_path(dir, "departments", path, sizeof(path));
	T_EQ_INT(stat(path, &st), 0);
	T_EQ_INT(st.st_mtime, 2000000000 - INTAKE_PUBLISH_SHIFT);
	/* nginx's workers read it whatever intake's umask. */
	T_EQ_INT(st.st_mode & 0777, 0644);
	f = fopen(path, "r");
	T_ASSERT(f != NULL);
	n = fread(got, 1, sizeof(got), f);
	(void)fclose(f);
	T_EQ_INT(n, sizeof(body) - 1);
	T_EQ_MEM(got, body, n);
}

static void
test_the_gzipped_copy_holds_the_same_bytes_and_freshness(void)
{
	char		dir[512], path[600], gz[700];
	unsigned char	zin[512], out[512];
	struct stat	st, stz;
	z_stream	z;
	FILE		*f;
	size_t		n;

	fresh_dir(dir, sizeof(dir));
	T_EQ_INT(intake_publish_put(dir, "departments", body, sizeof(body) - 1, T0), INTAKE_OK);
	list_path(dir, "departments", path, sizeof(path));
	(void)snprintf(gz, sizeof(gz), "%s.gz", path);
	T_EQ_INT(stat(path, &st), 0);
	T_EQ_INT(stat(gz, &stz), 0);
	/* nginx's expires modified reads whichever it sends: the same freshness. */
	T_EQ_INT(stz.st_mtime, st.st_mtime);
	T_EQ_INT(stz.st_mode & 0777, 0644);
	f = fopen(gz, "r");
	T_ASSERT(f != NULL);
	n = fread(zin, 1, sizeof(zin), f);
	(void)fclose(f);
	T_ASSERT(n > 18 && zin[0] == 0x1f && zin[1] == 0x8b);	/* a gzip member */
	memset(&z, 0, sizeof(z));
	T_EQ_INT(inflateInit2(&z, 15 + 16), Z_OK);
	z.next_in = zin;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = sizeof(out);
	T_EQ_INT(inflate(&z, Z_FINISH), Z_STREAM_END);
	T_EQ_INT(z.total_out, sizeof(body) - 1);
	T_EQ_MEM(out, body, sizeof(body) - 1);
	(void)inflateEnd(&z);
	/* Both go when the list stops being fresh. */
	T_EQ_INT(intake_publish_sweep(dir, T0), INT64_MAX);
	T_ASSERT(access(path, F_OK) != 0);
	T_ASSERT(access(gz, F_OK) != 0);
}

static void
test_etag_is_nginx_mtime_dash_size_in_hex(void)
{
	char	etag[INTAKE_PUBLISH_ETAG_MAX];

	/* nginx: "\"%xT-%xO\"" of the mtime (2000000000 - 86400) and the length. */
	intake_publish_etag(2000000000, 4839, etag);
	T_EQ_STR(etag, "\"77344280-12e7\"");
}

static void
test_an_older_freshness_never_replaces_a_newer_file(void)
{
	char		dir[512], path[600];
	struct stat	st;

	fresh_dir(dir, sizeof(dir));
	T_EQ_INT(intake_publish_put(dir, "regions", "new", 3, 2000000100), INTAKE_OK);
	/* A worker with an older copy in its own memory comes late. */
	T_EQ_INT(intake_publish_put(dir, "regions", "older", 5, 2000000000), INTAKE_OK);
	list_path(dir, "regions", path, sizeof(path));
	T_EQ_INT(stat(path, &st), 0);
	T_EQ_INT(st.st_size, 3);
	T_EQ_INT(st.st_mtime, 2000000100 - INTAKE_PUBLISH_SHIFT);
	/* A newer one does. */
	T_EQ_INT(intake_publish_put(dir, "regions", "newest", 6, 2000000200), INTAKE_OK);
	T_EQ_INT(stat(path, &st), 0);
	T_EQ_INT(st.st_size, 6);
}

static void
test_path_traversal_names_are_refused(void)
{
	/* 64 bytes: one more than a name may have. */
	static const char too_long[] =
	    "0123456789012345678901234567890123456789012345678901234567890123";
	static const char *const bad[] = { "", "..", "../x", "a/b", ".hidden", "UPPER",
	    "a b", "a.json", "x\n", too_long };
	char	dir[512];
	size_t	i;

	fresh_dir(dir, sizeof(dir));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		T_EQ_INT(intake_publish_put(dir, bad[i], "x", 1, 2000000000), INTAKE_EINVAL);
	T_EQ_INT(intake_publish_put(dir, "ok-name_2", "x", 1, 2000000000), INTAKE_OK);
}

static void
test_relative_or_missing_directory_is_refused(void)
{
	T_EQ_INT(intake_publish_open("relative/dir"), INTAKE_EINVAL);
	/* Never opened: nothing to write into, and nothing is made. */
	T_EQ_INT(intake_publish_put("/nonexistent-intake-dir", "departments", "x", 1,
	    2000000000), INTAKE_ESYS);
	T_ASSERT(access("/nonexistent-intake-dir", F_OK) != 0);
}

static void
test_sweep_removes_what_stopped_being_fresh(void)
{
	char	dir[512], path[600];
	int64_t	next;

	fresh_dir(dir, sizeof(dir));
	T_EQ_INT(intake_publish_put(dir, "ended", "a", 1, T0 - 1000), INTAKE_OK);
	T_EQ_INT(intake_publish_put(dir, "ends-now", "b", 1, T0), INTAKE_OK);
	T_EQ_INT(intake_publish_put(dir, "later", "c", 1, T0 + 5), INTAKE_OK);
	T_EQ_INT(intake_publish_put(dir, "latest", "d", 1, T0 + 1000), INTAKE_OK);
	next = intake_publish_sweep(dir, T0);
	T_EQ_INT(next, T0 + 5);
	list_path(dir, "ended", path, sizeof(path));
	T_ASSERT(access(path, F_OK) != 0);
	list_path(dir, "ends-now", path, sizeof(path));
	T_ASSERT(access(path, F_OK) != 0);
	list_path(dir, "later", path, sizeof(path));
	T_EQ_INT(access(path, F_OK), 0);
	T_EQ_INT(intake_publish_sweep(dir, T0 + 5), T0 + 1000);
	T_EQ_INT(intake_publish_sweep(dir, T0 + 1000), INT64_MAX);
}

static void
test_sweep_leaves_foreign_files_and_new_temporaries(void)
{
	char	dir[512], sub[600], path[700];

	fresh_dir(dir, sizeof(dir));
	(void)snprintf(sub, sizeof(sub), "%s/api/choices", dir);
	t_write_file(sub, "README.txt", "x", 1, path, sizeof(path));
	t_write_file(sub, ".departments.json.42", "x", 1, path, sizeof(path));
	/* A writer's temporary file of a moment ago is left to its writer. */
	T_EQ_INT(intake_publish_sweep(dir, (int64_t)time(NULL)), INT64_MAX);
	(void)snprintf(path, sizeof(path), "%s/.departments.json.42", sub);
	T_EQ_INT(access(path, F_OK), 0);
	/* One a dead writer left a long time ago is removed. */
	T_EQ_INT(intake_publish_sweep(dir, (int64_t)time(NULL) + 3600), INT64_MAX);
	T_ASSERT(access(path, F_OK) != 0);
	(void)snprintf(path, sizeof(path), "%s/README.txt", sub);
	T_EQ_INT(access(path, F_OK), 0);
}

static void
test_open_and_wipe_empty_the_directory(void)
{
	char	dir[512], path[600];

	fresh_dir(dir, sizeof(dir));
	T_EQ_INT(intake_publish_put(dir, "departments", body, sizeof(body) - 1, 4000000000),
	    INTAKE_OK);
	/* A restart: what the former run published may not hold any more. */
	T_EQ_INT(intake_publish_open(dir), INTAKE_OK);
	list_path(dir, "departments", path, sizeof(path));
	T_ASSERT(access(path, F_OK) != 0);
	T_EQ_INT(intake_publish_put(dir, "departments", body, sizeof(body) - 1, 4000000000),
	    INTAKE_OK);
	intake_publish_wipe(dir);
	T_ASSERT(access(path, F_OK) != 0);
}

static void
test_a_symlinked_list_directory_is_not_followed(void)
{
	char	dir[512], other[512], sub[600];

	t_mkdtemp(dir, sizeof(dir));
	t_mkdtemp(other, sizeof(other));
	(void)snprintf(sub, sizeof(sub), "%s/api", dir);
	T_EQ_INT(mkdir(sub, 0755), 0);
	(void)snprintf(sub, sizeof(sub), "%s/api/choices", dir);
	T_EQ_INT(symlink(other, sub), 0);
	t_quiet_stderr();
	T_EQ_INT(intake_publish_open(dir), INTAKE_ESYS);
	T_EQ_INT(intake_publish_put(dir, "departments", "x", 1, 4000000000), INTAKE_ESYS);
}

int
main(void)
{
	T_RUN(test_put_writes_the_bytes_with_mtime_and_mode);
	T_RUN(test_the_gzipped_copy_holds_the_same_bytes_and_freshness);
	T_RUN(test_etag_is_nginx_mtime_dash_size_in_hex);
	T_RUN(test_an_older_freshness_never_replaces_a_newer_file);
	T_RUN(test_path_traversal_names_are_refused);
	T_RUN(test_relative_or_missing_directory_is_refused);
	T_RUN(test_sweep_removes_what_stopped_being_fresh);
	T_RUN(test_sweep_leaves_foreign_files_and_new_temporaries);
	T_RUN(test_open_and_wipe_empty_the_directory);
	T_RUN(test_a_symlinked_list_directory_is_not_followed);
	return T_DONE();
}
