/*
 * publish.c - unfiltered lists as files nginx serves (publish.h).
 *
 * Everything happens inside DIR/api/choices, opened with O_DIRECTORY and
 * O_NOFOLLOW and used through *at() calls, so a name is never more than
 * a checked file name.  The files are a cache: nothing is synced, and the
 * supervisor empties the directory when it starts, reloads and stops.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "cache/publish.h"
#include "core/config.h"
#include "core/log.h"

#define PUBLISH_SUB	"/api/choices"	/* under DIR: the site's root maps /api/choices/ here */
#define PUBLISH_EXT	".json"
#define PUBLISH_GZ	".gz"		/* beside it: the same bytes gzipped, for gzip_static */
#define PUBLISH_TMP_S	60		/* a temporary file older than this was left by a dead writer */
#define PUBLISH_WARN_S	60		/* a worker logs a failure to publish at most this often */

/* When this process last logged a failure to publish (Unix seconds). */
static int64_t	warned_s;

/*
 * What this process last found published, per list: a worker answers a
 * list it may publish on every request that reaches it (CORS callers,
 * ?format=json), and needs no system call to learn that the file is
 * already there.  Emptied by intake_publish_open() and _wipe().
 */
#define PUBLISH_SEEN	32
static struct {
	char	name[INTAKE_PUBLISH_NAME_MAX];
	int64_t	until_s;
} seen[PUBLISH_SEEN];

/* The row of name in seen[] (a free or, when full, a reused one); NULL: none fits. */
static int64_t *
seen_until(const char *name)
{
	size_t	i, h = 0;

	for (i = 0; name[i] != '\0'; i++)
		h = h * 31 + (unsigned char)name[i];
	i = h % PUBLISH_SEEN;
	if (strcmp(seen[i].name, name) != 0) {
		/* One row per hash: a collision only costs the look it saves. */
		(void)snprintf(seen[i].name, sizeof(seen[i].name), "%s", name);
		seen[i].until_s = 0;
	}
	return &seen[i].until_s;
}

/* Is name a list name the site's location serves ([a-z0-9_-], 1 to 63 bytes)? */
static bool
name_ok(const char *name)
{
	size_t	n;

	for (n = 0; name[n] != '\0'; n++)
		if (!((name[n] >= 'a' && name[n] <= 'z') || (name[n] >= '0' && name[n] <= '9') ||
		    name[n] == '_' || name[n] == '-'))
			return false;
	return n > 0 && n < INTAKE_PUBLISH_NAME_MAX;
}

/* DIR/api/choices into out; false for a relative or too long DIR. */
static bool
sub_path(const char *dir, char out[INTAKE_PATH_MAX])
{
	int	n;

	if (dir[0] != '/')
		return false;
	n = snprintf(out, INTAKE_PATH_MAX, "%s%s", dir, PUBLISH_SUB);
	return n > 0 && n < INTAKE_PATH_MAX;
}

/* An open descriptor of DIR/api/choices, or -1. */
static int
sub_open(const char *dir)
{
	char	path[INTAKE_PATH_MAX];

	if (!sub_path(dir, path))
		return -1;
	return open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* mkdir path (mode 0755, whatever the umask) unless it is a directory already. */
static bool
make_dir(const char *path)
{
	struct stat	st;

	if (mkdir(path, 0755) == 0)
		return chmod(path, 0755) == 0;
	return errno == EEXIST && lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

enum intake_err
intake_publish_open(const char *dir)
{
	char	path[INTAKE_PATH_MAX], *slash;

	if (!sub_path(dir, path))
		return INTAKE_EINVAL;
	/* DIR itself, then DIR/api, then DIR/api/choices. */
	slash = path + strlen(dir);
	*slash = '\0';
	if (!make_dir(path))
		goto fail;
	*slash = '/';
	slash = strrchr(path, '/');
	*slash = '\0';
	if (!make_dir(path))
		goto fail;
	*slash = '/';
	if (!make_dir(path))
		goto fail;
	intake_publish_wipe(dir);
	return INTAKE_OK;
fail:
	intake_log_err("publish: cannot make %s: %s", path, strerror(errno));
	return INTAKE_ESYS;
}

void
intake_publish_etag(int64_t fresh_until_s, size_t len, char out[INTAKE_PUBLISH_ETAG_MAX])
{
	(void)snprintf(out, INTAKE_PUBLISH_ETAG_MAX, "\"%llx-%zx\"",
	    (unsigned long long)(fresh_until_s - INTAKE_PUBLISH_SHIFT), len);
}

/* Write len bytes of body to the new file fd, mode 0644, with mtime; false on a failure. */
static bool
write_file(int fd, const void *body, size_t len, int64_t mtime)
{
	const char	*p = body;
	struct timespec	 ts[2];
	ssize_t		 n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	ts[0].tv_sec = (time_t)mtime;
	ts[0].tv_nsec = 0;
	ts[1] = ts[0];
	return fchmod(fd, 0644) == 0 && futimens(fd, ts) == 0;
}

/*
 * body gzipped (RFC 1952, best compression: once per refresh, read many
 * times) into *out, a malloc'd buffer the caller frees; false when zlib
 * fails.
 */
static bool
gzip_body(const void *body, size_t len, unsigned char **out, size_t *outlen)
{
	z_stream	z;
	uLong		cap;
	bool		ok;

	memset(&z, 0, sizeof(z));
	/* 15 + 16: a window of 2^15 and a gzip wrapper. */
	if (len > UINT_MAX || deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		return false;
	cap = deflateBound(&z, (uLong)len) + 32;
	*out = malloc(cap);
	z.next_in = (Bytef *)(uintptr_t)body;
	z.avail_in = (uInt)len;
	z.next_out = *out;
	z.avail_out = (uInt)cap;
	ok = *out != NULL && deflate(&z, Z_FINISH) == Z_STREAM_END;
	*outlen = z.total_out;
	(void)deflateEnd(&z);
	if (!ok) {
		free(*out);
		*out = NULL;
	}
	return ok;
}

/* Write file (a name in dfd) through a temporary file and rename; false on a failure. */
static bool
replace_file(int dfd, const char *file, const void *body, size_t len, int64_t mtime)
{
	char	tmp[INTAKE_PUBLISH_NAME_MAX + 48];
	int	fd;
	bool	ok;

	/* A dot first: never a name the site serves, and the sweep knows it. */
	(void)snprintf(tmp, sizeof(tmp), ".%s.%ld", file, (long)getpid());
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	ok = fd != -1 && write_file(fd, body, len, mtime);
	if (fd != -1 && close(fd) != 0)
		ok = false;
	if (ok && renameat(dfd, tmp, dfd, file) != 0)
		ok = false;
	if (!ok)
		(void)unlinkat(dfd, tmp, 0);
	return ok;
}

enum intake_err
intake_publish_put(const char *dir, const char *name, const void *body, size_t len,
    int64_t fresh_until_s)
{
	char		final[INTAKE_PUBLISH_NAME_MAX + sizeof(PUBLISH_EXT)];
	char		gz[sizeof(final) + sizeof(PUBLISH_GZ)];
	unsigned char	*zbody = NULL;
	size_t		 zlen = 0;
	int64_t		 mtime = fresh_until_s - INTAKE_PUBLISH_SHIFT;
	struct stat	 st;
	int64_t		*known;
	int		 dfd;
	bool		 ok;

	if (!name_ok(name))
		return INTAKE_EINVAL;
	known = seen_until(name);
	if (*known >= fresh_until_s)
		return INTAKE_OK;
	(void)snprintf(final, sizeof(final), "%s%s", name, PUBLISH_EXT);
	(void)snprintf(gz, sizeof(gz), "%s%s", final, PUBLISH_GZ);
	dfd = sub_open(dir);
	if (dfd == -1)
		return INTAKE_ESYS;	/* the supervisor made it: it was removed since */
	if (fstatat(dfd, final, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
	    (int64_t)st.st_mtime >= mtime) {
		(void)close(dfd);
		*known = (int64_t)st.st_mtime + INTAKE_PUBLISH_SHIFT;
		return INTAKE_OK;
	}
	/*
	 * The gzipped copy first: nginx looks for it only once the plain file
	 * is there, and then finds this one's or none (never an older one
	 * beside a newer plain file, but for the moment between the renames).
	 */
	ok = gzip_body(body, len, &zbody, &zlen);
	if (ok)
		ok = replace_file(dfd, gz, zbody, zlen, mtime);
	else
		(void)unlinkat(dfd, gz, 0);
	free(zbody);
	if (ok)
		ok = replace_file(dfd, final, body, len, mtime);
	if (!ok && (int64_t)time(NULL) - warned_s >= PUBLISH_WARN_S) {
		/* The answer went out anyway; say so, but not once per request. */
		warned_s = (int64_t)time(NULL);
		intake_log_warn("publish: cannot publish list %s: %s", name, strerror(errno));
	}
	if (ok)
		*known = fresh_until_s;
	(void)close(dfd);
	return ok ? INTAKE_OK : INTAKE_ESYS;
}

/* Is d_name a published list's file ("NAME.json" or "NAME.json.gz", NAME checked)? */
static bool
published_name(const char *d_name)
{
	char	name[INTAKE_PUBLISH_NAME_MAX];
	size_t	n = strlen(d_name), e = strlen(PUBLISH_EXT), g = strlen(PUBLISH_GZ);

	if (n > g && strcmp(d_name + n - g, PUBLISH_GZ) == 0)
		n -= g;
	if (n <= e || n - e >= sizeof(name) || strncmp(d_name + n - e, PUBLISH_EXT, e) != 0)
		return false;
	memcpy(name, d_name, n - e);
	name[n - e] = '\0';
	return name_ok(name);
}

/*
 * The sweep and the wipe: remove the files of DIR/api/choices whose end
 * of freshness is at most until_s (a temporary file: its last change,
 * ctime, at most tmp_until_s; its mtime is already its list's).  Returns
 * the earliest end among the files kept.
 */
static int64_t
remove_until(const char *dir, int64_t until_s, int64_t tmp_until_s)
{
	struct dirent	*de;
	struct stat	 st;
	DIR		*d;
	int64_t		 next = INT64_MAX, end;
	int		 dfd;

	dfd = sub_open(dir);
	if (dfd == -1 || (d = fdopendir(dfd)) == NULL) {
		if (dfd != -1)
			(void)close(dfd);
		return INT64_MAX;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		if (de->d_name[0] == '.') {
			if ((int64_t)st.st_ctime <= tmp_until_s)
				(void)unlinkat(dfd, de->d_name, 0);
			continue;
		}
		if (!published_name(de->d_name) || !S_ISREG(st.st_mode))
			continue;	/* not ours: left alone */
		end = (int64_t)st.st_mtime + INTAKE_PUBLISH_SHIFT;
		if (end <= until_s)
			(void)unlinkat(dfd, de->d_name, 0);
		else if (end < next)
			next = end;
	}
	(void)closedir(d);
	return next;
}

int64_t
intake_publish_sweep(const char *dir, int64_t now_s)
{
	return remove_until(dir, now_s, now_s - PUBLISH_TMP_S);
}

void
intake_publish_wipe(const char *dir)
{
	memset(seen, 0, sizeof(seen));
	(void)remove_until(dir, INT64_MAX, INT64_MAX);
}
