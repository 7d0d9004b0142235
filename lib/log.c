/*
 * log.c - escaped, levelled log lines on stderr (see log.h).
 *
 * One table says, per byte, how many output bytes it needs; the same
 * table drives both the space check and the write, so the two cannot
 * drift apart.
 */
#include <sys/stat.h>

#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "intake/log.h"
#include "intake/str.h"

#define LOG_LINE_MAX	2048

static enum intake_log_level	log_level = INTAKE_LOG_INFO;

const char *const intake_log_level_names[] = {
	"debug",	/* INTAKE_LOG_DEBUG */
	"info",		/* INTAKE_LOG_INFO */
	"warn",		/* INTAKE_LOG_WARN */
	"error",	/* INTAKE_LOG_ERR */
};
_Static_assert(sizeof(intake_log_level_names) / sizeof(intake_log_level_names[0]) ==
    INTAKE_LOG__MAX, "intake_log_level_names[] needs one row per level");

/* syslog(3) priorities of the levels, for journald's "<N>" line prefix. */
static const int journal_priorities[] = {
	7,	/* INTAKE_LOG_DEBUG: LOG_DEBUG */
	6,	/* INTAKE_LOG_INFO: LOG_INFO */
	4,	/* INTAKE_LOG_WARN: LOG_WARNING */
	3,	/* INTAKE_LOG_ERR: LOG_ERR */
};
_Static_assert(sizeof(journal_priorities) / sizeof(journal_priorities[0]) == INTAKE_LOG__MAX,
    "journal_priorities[] needs one row per level");

/*
 * Is standard error the journal?  systemd sets JOURNAL_STREAM to the
 * "device:inode" of the stream it connects; it is ours only while our
 * stderr is still that stream (not, say, a file a child redirected to).
 */
static bool
to_journal(void)
{
	const char	*js = getenv("JOURNAL_STREAM"), *colon;
	struct stat	 st;
	long long	 dev, ino;

	if (js == NULL || (colon = strchr(js, ':')) == NULL ||
	    intake_parse_intn(js, (size_t)(colon - js), 0, LLONG_MAX, &dev) != INTAKE_OK ||
	    intake_parse_int(colon + 1, 0, LLONG_MAX, &ino) != INTAKE_OK ||
	    fstat(STDERR_FILENO, &st) == -1)
		return false;
	return (unsigned long long)st.st_dev == (unsigned long long)dev &&
	    (unsigned long long)st.st_ino == (unsigned long long)ino;
}

/* Output width of a byte: 1 = as is, 2 = backslash pair, 4 = \xNN. */
static unsigned char
esc_width(unsigned char c)
{
	if (c == '\\')
		return 2;
	if (c < 0x20 || c >= 0x7f)
		return 4;
	return 1;
}

size_t
intake_log_escape(const char *s, size_t len, char *out, size_t outsz)
{
	static const char hexd[] = "0123456789abcdef";
	size_t		 i, o, w, need, room;
	unsigned char	 c;

	if (outsz == 0)
		return 0;
	/* Sizing pass: does everything fit?  If not, keep room for "...". */
	need = 0;
	for (i = 0; i < len; i++)
		need += esc_width((unsigned char)s[i]);
	room = need < outsz ? outsz - 1 : (outsz > 4 ? outsz - 4 : 0);
	o = 0;
	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		w = esc_width(c);
		if (o + w > room)
			break;
		if (w == 1)
			out[o] = (char)c;
		else if (w == 2) {
			out[o] = '\\';
			out[o + 1] = '\\';
		} else {
			out[o] = '\\';
			out[o + 1] = 'x';
			out[o + 2] = hexd[c >> 4];
			out[o + 3] = hexd[c & 0x0f];
		}
		o += w;
	}
	if (i < len && o + 3 < outsz) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return o;
}

void
intake_log_set_level(enum intake_log_level level)
{
	log_level = level;
}

enum intake_err
intake_log_parse_level(const char *s, enum intake_log_level *out)
{
	size_t	i;

	for (i = 0; i < INTAKE_LOG__MAX; i++)
		if (strcasecmp(s, intake_log_level_names[i]) == 0) {
			*out = (enum intake_log_level)i;
			return INTAKE_OK;
		}
	return INTAKE_EINVAL;
}

void
intake_log(enum intake_log_level level, const char *fmt, ...)
{
	char		 raw[LOG_LINE_MAX], esc[LOG_LINE_MAX], ts[32], line[LOG_LINE_MAX + 96];
	struct tm	 tm;
	time_t		 now;
	va_list		 ap;
	int		 n;

	if (level < log_level || (unsigned)level >= INTAKE_LOG__MAX)
		return;
	va_start(ap, fmt);
	n = vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	(void)intake_log_escape(raw, strnlen(raw, sizeof(raw)), esc, sizeof(esc));
	if (to_journal()) {
		/* The journal stamps time and pid itself, and takes the priority from "<N>". */
		n = snprintf(line, sizeof(line), "<%d>%s: %s\n", journal_priorities[level],
		    intake_log_level_names[level], esc);
	} else {
		now = time(NULL);
		(void)gmtime_r(&now, &tm);
		(void)strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
		n = snprintf(line, sizeof(line), "%s intake[%ld] %s: %s\n", ts,
		    (long)getpid(), intake_log_level_names[level], esc);
	}
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = (int)sizeof(line) - 1;
	/* One write per line, so lines from workers do not interleave. */
	(void)!write(STDERR_FILENO, line, (size_t)n);
}

void
intake_log_mask(const char *secret, char *out, size_t outsz)
{
	char	hex[65];

	if (secret == NULL || *secret == '\0') {
		(void)snprintf(out, outsz, "(none)");
		return;
	}
	intake_sha256_hex(secret, strlen(secret), hex);
	(void)snprintf(out, outsz, "sha256:%.8s", hex);
}
