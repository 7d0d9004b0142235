/*
 * log.h - one line per event on stderr, escaped through one table.
 *
 * The supervisor's stderr is the log; workers inherit it.  A line is
 * "TIME intake[PID] LEVEL: message".  Bytes outside printable ASCII are
 * written as \xNN, so request data can never forge a line.  Secrets must
 * not be passed in; intake_log_mask() gives a safe fingerprint instead.
 */
#ifndef INTAKE_LOG_H
#define INTAKE_LOG_H

#include <stddef.h>

#include "intake/err.h"

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

void	intake_log(enum intake_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define intake_log_debug(...)	intake_log(INTAKE_LOG_DEBUG, __VA_ARGS__)
#define intake_log_info(...)	intake_log(INTAKE_LOG_INFO, __VA_ARGS__)
#define intake_log_warn(...)	intake_log(INTAKE_LOG_WARN, __VA_ARGS__)
#define intake_log_err(...)	intake_log(INTAKE_LOG_ERR, __VA_ARGS__)

/*
 * Write a fingerprint of a secret into out: "sha256:" and the first
 * 8 hex digits of its hash.  Never the secret itself, nor a prefix of it.
 */
void	intake_log_mask(const char *secret, char *out, size_t outsz);

/*
 * Escape len bytes of s into out (outsz bytes, NUL-terminated, truncated
 * with "..." when full).  Returns the number of bytes written.  Exposed
 * for the fuzzer and tests; intake_log() uses it for every line.
 */
size_t	intake_log_escape(const char *s, size_t len, char *out, size_t outsz);

#endif
