/*
 * t.h - the unit test harness: assertions, a runner and scratch files.
 *
 * A test is a static void function of no arguments.  T_RUN() runs it in a
 * forked child, so a crash, an abort by a sanitizer or a leak reported at
 * exit fails that one test and the next still runs.  Set T_NOFORK=1 in
 * the environment to run every test in the main process (for a debugger).
 *
 *	static void
 *	test_parse_int_rejects_overflow(void)
 *	{
 *		long long v;
 *
 *		T_EQ_INT(intake_parse_int("9223372036854775808", 0, LLONG_MAX, &v),
 *		    INTAKE_EINVAL);
 *	}
 *
 *	int
 *	main(void)
 *	{
 *		T_RUN(test_parse_int_rejects_overflow);
 *		return T_DONE();
 *	}
 *
 * The output is TAP-like: "ok N - name" or "not ok N - name" per test,
 * "# ..." diagnostics, and a last line "N passed, M failed".  The exit
 * status is non-zero when any test failed.
 *
 * Helpers: t_mkdtemp() and t_write_file() for scratch files,
 * t_fork_helper() for a process (a server, a lease holder) that dies
 * with the test, t_wait_child() to reap one with a generous bound,
 * t_sleep_ms() and t_quiet_stderr().
 */
#ifndef INTAKE_T_H
#define INTAKE_T_H

#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Harness state; one copy per test program. */
struct t_state {
	int	 run;		/* tests started */
	int	 passed;
	int	 failed;
	int	 cur_failed;	/* the current test has failed */
	char	 tmpdir[256];	/* scratch directory, "" until made */
};

static struct t_state t_state;

static inline void	t_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Record a failure of the current test, with where and why. */
static inline void
t_fail(const char *file, int line, const char *fmt, ...)
{
	va_list	ap;

	t_state.cur_failed = 1;
	fprintf(stdout, "# %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

/* Print s (n bytes) with non-printable bytes as \xNN, for diagnostics. */
static inline void
t_print_escaped(const char *s, size_t n)
{
	size_t	i;

	for (i = 0; i < n && i < 200; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c >= 0x7f || c == '\\')
			printf("\\x%02x", c);
		else
			putchar(c);
	}
	if (n > 200)
		printf("...(%zu bytes)", n);
}

/* Assertions return from the test function on failure. */
#define T_ASSERT(cond)							\
	do {								\
		if (!(cond)) {						\
			t_fail(__FILE__, __LINE__, "assertion failed: %s", #cond); \
			return;						\
		}							\
	} while (0)

#define T_FAIL(...)							\
	do {								\
		t_fail(__FILE__, __LINE__, __VA_ARGS__);		\
		return;							\
	} while (0)

#define T_EQ_INT(a, b)							\
	do {								\
		long long ta_ = (long long)(a), tb_ = (long long)(b);	\
		if (ta_ != tb_) {					\
			t_fail(__FILE__, __LINE__, "%s == %s: %lld != %lld", \
			    #a, #b, ta_, tb_);				\
			return;						\
		}							\
	} while (0)

#define T_NE_INT(a, b)							\
	do {								\
		long long ta_ = (long long)(a), tb_ = (long long)(b);	\
		if (ta_ == tb_) {					\
			t_fail(__FILE__, __LINE__, "%s != %s: both %lld", \
			    #a, #b, ta_);				\
			return;						\
		}							\
	} while (0)

#define T_EQ_STR(a, b)							\
	do {								\
		const char *ta_ = (a), *tb_ = (b);			\
		if (ta_ == NULL || tb_ == NULL || strcmp(ta_, tb_) != 0) { \
			t_fail(__FILE__, __LINE__, "%s == %s", #a, #b);	\
			printf("#   got:      \"");			\
			if (ta_ != NULL)				\
				t_print_escaped(ta_, strlen(ta_));	\
			printf("\"\n#   expected: \"");		\
			if (tb_ != NULL)				\
				t_print_escaped(tb_, strlen(tb_));	\
			printf("\"\n");					\
			return;						\
		}							\
	} while (0)

/* n bytes at a equal n bytes at b. */
#define T_EQ_MEM(a, b, n)						\
	do {								\
		const char *ta_ = (const char *)(a), *tb_ = (const char *)(b); \
		size_t tn_ = (n);					\
		if (memcmp(ta_, tb_, tn_) != 0) {			\
			t_fail(__FILE__, __LINE__, "%s == %s (%zu bytes)", #a, #b, tn_); \
			printf("#   got:      \"");			\
			t_print_escaped(ta_, tn_);			\
			printf("\"\n#   expected: \"");		\
			t_print_escaped(tb_, tn_);			\
			printf("\"\n");					\
			return;						\
		}							\
	} while (0)

/* The C string hay contains needle. */
#define T_CONTAINS(hay, needle)						\
	do {								\
		const char *th_ = (hay), *tn_ = (needle);		\
		if (th_ == NULL || strstr(th_, tn_) == NULL) {		\
			t_fail(__FILE__, __LINE__, "\"%s\" in %s", tn_, #hay); \
			printf("#   %s: \"", #hay);			\
			if (th_ != NULL)				\
				t_print_escaped(th_, strlen(th_));	\
			printf("\"\n");					\
			return;						\
		}							\
	} while (0)

#define T_NOT_CONTAINS(hay, needle)					\
	do {								\
		const char *th_ = (hay), *tn_ = (needle);		\
		if (th_ != NULL && strstr(th_, tn_) != NULL) {		\
			t_fail(__FILE__, __LINE__, "\"%s\" not in %s", tn_, #hay); \
			return;						\
		}							\
	} while (0)

static inline void	t_tmp_cleanup(void);
static inline const char *t_tmpdir(void);

static inline int
t_nofork(void)
{
	const char	*v = getenv("T_NOFORK");

	return v != NULL && *v != '\0' && strcmp(v, "0") != 0;
}

/* Run fn and report it; see the comment at the top. */
static inline void
t_run(void (*fn)(void), const char *name)
{
	pid_t	pid;
	int	status, ok;

	t_state.run++;
	t_state.cur_failed = 0;
	/* Made here, so T_DONE() removes it even if a test dies abruptly. */
	(void)t_tmpdir();
	fflush(stdout);
	fflush(stderr);
	if (t_nofork()) {
		fn();
		ok = !t_state.cur_failed;
	} else {
		pid = fork();
		if (pid == -1) {
			printf("# fork: %s\n", strerror(errno));
			ok = 0;
		} else if (pid == 0) {
			(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
			fn();
			fflush(stdout);
			/* exit(), not _exit(): the leak checker runs at exit. */
			exit(t_state.cur_failed ? 1 : 0);
		} else {
			while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
				;
			ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
			if (WIFSIGNALED(status))
				printf("# %s: killed by signal %d\n", name, WTERMSIG(status));
			else if (WIFEXITED(status) && WEXITSTATUS(status) > 1)
				printf("# %s: exit status %d\n", name, WEXITSTATUS(status));
		}
	}
	if (ok)
		t_state.passed++;
	else
		t_state.failed++;
	printf("%s %d - %s\n", ok ? "ok" : "not ok", t_state.run, name);
	fflush(stdout);
}

#define T_RUN(fn)	t_run((fn), #fn)

static inline int
t_rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	(void)remove(path);
	return 0;
}

/* Remove the scratch directory; called by T_DONE(). */
static inline void
t_tmp_cleanup(void)
{
	if (t_state.tmpdir[0] != '\0')
		(void)nftw(t_state.tmpdir, t_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	t_state.tmpdir[0] = '\0';
}

/*
 * The scratch directory of this program, made by T_RUN() before the first
 * test and removed by T_DONE().  Tests make their own subdirectory with
 * t_mkdtemp() so they do not collide.
 */
static inline const char *
t_tmpdir(void)
{
	const char	*base;

	if (t_state.tmpdir[0] != '\0')
		return t_state.tmpdir;
	base = getenv("TMPDIR");
	if (base == NULL || *base == '\0')
		base = "/tmp";
	(void)snprintf(t_state.tmpdir, sizeof(t_state.tmpdir), "%s/intake-t.XXXXXX", base);
	if (mkdtemp(t_state.tmpdir) == NULL) {
		fprintf(stderr, "mkdtemp %s: %s\n", t_state.tmpdir, strerror(errno));
		abort();
	}
	return t_state.tmpdir;
}

/* A new empty directory under the scratch directory, into out. */
static inline void
t_mkdtemp(char *out, size_t outsz)
{
	const char	*base = t_tmpdir();
	size_t		 n = strlen(base);

	if (n + sizeof("/d.XXXXXX") > outsz)
		abort();
	memcpy(out, base, n);
	memcpy(out + n, "/d.XXXXXX", sizeof("/d.XXXXXX"));
	if (mkdtemp(out) == NULL) {
		fprintf(stderr, "mkdtemp %s: %s\n", out, strerror(errno));
		abort();
	}
}

/* Write n bytes to dir/name (created or truncated); the path into out. */
static inline void
t_write_file(const char *dir, const char *name, const void *data, size_t n, char *out,
    size_t outsz)
{
	char	 path[1024];
	FILE	*f;

	(void)snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (f == NULL || (n > 0 && fwrite(data, 1, n, f) != n) || fclose(f) != 0) {
		fprintf(stderr, "write %s: %s\n", path, strerror(errno));
		abort();
	}
	if (out != NULL) {
		if (strlen(path) >= outsz)
			abort();
		memcpy(out, path, strlen(path) + 1);
	}
}

/* Sleep ms milliseconds, resuming after signals. */
static inline void
t_sleep_ms(long ms)
{
	struct timespec	ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/*
 * Wait up to limit_ms for child pid; its exit status (0-255), or -1 when
 * it was still running (it is then killed and reaped) or died by a signal.
 */
static inline int
t_wait_child(pid_t pid, long limit_ms)
{
	long	waited = 0;
	int	status;
	pid_t	r;

	for (;;) {
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			break;
		if (r == -1 && errno != EINTR)
			return -1;
		if (waited >= limit_ms) {
			(void)kill(pid, SIGKILL);
			(void)waitpid(pid, &status, 0);
			return -1;
		}
		t_sleep_ms(10);
		waited += 10;
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return -1;
}

/*
 * fork() for a helper process (a server, a lease holder) that must not
 * outlive the test: it is killed when the test process ends, even when
 * a failed assertion skips the test's own cleanup.
 */
static inline pid_t
t_fork_helper(void)
{
	pid_t	parent = getpid(), pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(0);
	}
	return pid;
}

/*
 * Send stderr to /dev/null for the rest of the test, for one whose
 * expected errors would be logged.  (Each test runs in its own process.)
 */
static inline void
t_quiet_stderr(void)
{
	int	fd;

	fflush(stderr);
	fd = open("/dev/null", O_WRONLY);
	if (fd != -1) {
		(void)dup2(fd, STDERR_FILENO);
		(void)close(fd);
	}
}

/* Print the summary line and give the exit status of the program. */
static inline int
t_done(void)
{
	t_tmp_cleanup();
	printf("%d passed, %d failed\n", t_state.passed, t_state.failed);
	fflush(stdout);
	return t_state.failed == 0 ? 0 : 1;
}

#define T_DONE()	t_done()

#endif
