/*
 * log.h - one logfmt line per event on stderr, escaped through one table.
 *
 * The supervisor's stderr (or [server] log_file) is the log; workers
 * inherit it.  A line is logfmt:
 *
 *   ts=2026-12-06T21:30:42Z level=warn pid=4242 req=4f0c… event=rejected status=422 form=x
 *
 * ts and pid are left out when stderr is the journal, which stamps both;
 * there the line starts with the syslog priority instead ("<4>level=warn …").
 * req= names the request being served (nginx's $request_id), when known.
 * A value is written bare when it is printable ASCII without space, '"',
 * '=' or '\'; otherwise it is quoted, with '"' and '\' escaped as \" and
 * \\ and every other byte outside printable ASCII as \xNN, so no value can
 * start a line of its own or a field that was not logged.  Secrets must
 * not be passed in; intake_log_mask() gives a safe fingerprint instead.
 */
#ifndef INTAKE_LOG_H
#define INTAKE_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define INTAKE_LOG_LINE_MAX	2048	/* bytes of a line's fields (the stamp comes on top) */
#define INTAKE_LOG_REQ_ID_MAX	64	/* longest request id kept */

enum intake_log_level {
	INTAKE_LOG_DEBUG,
	INTAKE_LOG_INFO,
	INTAKE_LOG_WARN,
	INTAKE_LOG_ERR,
	INTAKE_LOG__MAX
};

/* "debug", "info", "warn", "error": the config's names of the levels. */
extern const char *const intake_log_level_names[INTAKE_LOG__MAX];

/* Lines below level are dropped. */
void	intake_log_set_level(enum intake_log_level level);

/* Parse "debug", "info", "warn" or "error". */
enum intake_err	intake_log_parse_level(const char *s, enum intake_log_level *out);

/*
 * A free-text line: event=log msg="…" with the printf-formatted text.
 * Kept for messages that are no event of their own; events use
 * intake_log_event() or the builder below.
 */
void	intake_log(enum intake_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define intake_log_debug(...)	intake_log(INTAKE_LOG_DEBUG, __VA_ARGS__)
#define intake_log_info(...)	intake_log(INTAKE_LOG_INFO, __VA_ARGS__)
#define intake_log_warn(...)	intake_log(INTAKE_LOG_WARN, __VA_ARGS__)
#define intake_log_err(...)	intake_log(INTAKE_LOG_ERR, __VA_ARGS__)

/*
 * One line being built: intake_log_begin(), fields, intake_log_end().
 * Fields past INTAKE_LOG_LINE_MAX are dropped whole and the line ends in
 * truncated=true; a value too long for the room left is cut with "...".
 * Below the log level every call is a no-op.  Lives on the caller's stack.
 */
struct intake_log_line {
	char			 buf[INTAKE_LOG_LINE_MAX];	/* the fields, no stamp */
	size_t			 len;
	enum intake_log_level	 level;
	bool			 on;		/* false: dropped (level or rate) */
	bool			 cut;		/* a field was dropped for room */
};

/* Start a line: level=… [req=…] event=event.  event: [a-z0-9_]. */
void	intake_log_begin(struct intake_log_line *l, enum intake_log_level level,
	    const char *event);
/* Add key=value (value a NUL-string; NULL is written as "-"). key: [a-z0-9_]. */
void	intake_log_str(struct intake_log_line *l, const char *key, const char *value);
/* Add key=value for len bytes of value (any bytes). */
void	intake_log_strn(struct intake_log_line *l, const char *key, const char *value,
	    size_t len);
/* Add key=value for a number. */
void	intake_log_int(struct intake_log_line *l, const char *key, long long value);
/* Add key=value, value printf-formatted (then escaped like any value). */
void	intake_log_fmt(struct intake_log_line *l, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Write the line (one write(2), so lines of several processes never interleave). */
void	intake_log_end(struct intake_log_line *l);

/*
 * A whole event line in one call: pairs of key and value strings after
 * event, ended by NULL, e.g.
 *   intake_log_event(INTAKE_LOG_INFO, "submission_queued", "form", id, "ref", ref, NULL);
 */
void	intake_log_event(enum intake_log_level level, const char *event, ...)
    __attribute__((sentinel));

/*
 * Client-caused lines (4xx answers) pass a token bucket per process, so
 * that a flood of junk requests cannot flood the log: a burst of
 * INTAKE_LOG_CLIENT_BURST lines, then INTAKE_LOG_CLIENT_RATE a second.
 * intake_log_begin_limited() is intake_log_begin() for such a line: when
 * the bucket is empty the line is dropped and counted, and the next line
 * that passes carries suppressed=K (K lines dropped before it).
 */
#define INTAKE_LOG_CLIENT_RATE	5
#define INTAKE_LOG_CLIENT_BURST	20

struct intake_log_bucket {
	int64_t		at_ms;		/* when tokens was last topped up; 0: full */
	long long	tokens_milli;	/* tokens x 1000 */
	unsigned long	suppressed;	/* lines dropped since the last one written */
};

/*
 * Take a token from b at now_ms.  true: write the line, and *suppressed
 * gets the count of lines dropped before it (then reset); false: drop it.
 */
bool	intake_log_bucket_take(struct intake_log_bucket *b, int64_t now_ms,
	    unsigned long *suppressed);
void	intake_log_begin_limited(struct intake_log_line *l, enum intake_log_level level,
	    const char *event);

/*
 * The request being served: every line gets req=id until it is cleared
 * with NULL.  An id that is not 1-64 bytes of [0-9A-Za-z._-] is dropped
 * (false): it comes from a header an attacker may set.
 */
bool	intake_log_set_request(const char *id);

/*
 * Send the log to the file at path (appended, created 0640) instead of
 * stderr: the file becomes this process's fd 2, so children inherit it.
 * "" keeps stderr.  Either way SIGUSR1 then reopens the file (nothing
 * when there is none) in this process and in every child forked later
 * (the handler is inherited), so rotation is: rename, then SIGUSR1.
 * INTAKE_ESYS when the file cannot be opened (msg says why).
 */
enum intake_err	intake_log_open(const char *path, char *msg, size_t msgsz);
/* Reopen the log file by its path, as SIGUSR1 does.  Async-signal-safe. */
void	intake_log_reopen(void);

/*
 * Write a fingerprint of a secret into out: "sha256:" and the first
 * 8 hex digits of its hash.  Never the secret itself, nor a prefix of it.
 */
void	intake_log_mask(const char *secret, char *out, size_t outsz);

/*
 * Escape len bytes of s into out (outsz bytes, NUL-terminated, truncated
 * with "..." when full) as the inside of a quoted logfmt value.  Returns
 * the number of bytes written.  Exposed for the fuzzer and tests.
 */
size_t	intake_log_escape(const char *s, size_t len, char *out, size_t outsz);

/*
 * Read the next key=value pair of a logfmt line at *cur (before end):
 * key gets the key (pointing into the line), val the decoded value
 * (valsz bytes, NUL-terminated; *vallen its length, which may hold NULs).
 * *cur moves past the pair.  INTAKE_OK; INTAKE_ENOTFOUND at the end of
 * the line; INTAKE_EINVAL for a malformed pair (an unclosed quote, a bad
 * escape, a value over valsz).  For tests, the fuzzer and log readers.
 */
enum intake_err	intake_logfmt_next(const char **cur, const char *end, const char **key,
		    size_t *keylen, char *val, size_t valsz, size_t *vallen);

#endif
