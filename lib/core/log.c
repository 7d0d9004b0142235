/*
 * log.c - logfmt lines on stderr or a log file (see log.h).
 *
 * One table says, per byte, how many output bytes it needs; the same
 * table drives both the space check and the write, so the two cannot
 * drift apart, and it decides which values must be quoted.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "util/str.h"
#include "util/nelem.h"

#define TAIL_RESERVE	sizeof(" truncated=true")	/* kept free for the cut marker */
#define PATH_MAX_LOG	512

static enum intake_log_level	log_level = INTAKE_LOG_INFO;
static char			req_id[INTAKE_LOG_REQ_ID_MAX + 1];	/* "": none */
static char			log_path[PATH_MAX_LOG];		/* "": stderr as given */
static struct intake_log_bucket	client_bucket;

const char *const intake_log_level_names[] = {
	"debug",	/* INTAKE_LOG_DEBUG */
	"info",		/* INTAKE_LOG_INFO */
	"warn",		/* INTAKE_LOG_WARN */
	"error",	/* INTAKE_LOG_ERR */
};
INTAKE_ROWS(intake_log_level_names, INTAKE_LOG__MAX);

/* syslog(3) priorities of the levels, for journald's "<N>" line prefix. */
static const int journal_priorities[] = {
	7,	/* INTAKE_LOG_DEBUG: LOG_DEBUG */
	6,	/* INTAKE_LOG_INFO: LOG_INFO */
	4,	/* INTAKE_LOG_WARN: LOG_WARNING */
	3,	/* INTAKE_LOG_ERR: LOG_ERR */
};
INTAKE_ROWS(journal_priorities, INTAKE_LOG__MAX);

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

/*
 * Output width of a byte inside a quoted value: 1 = as is, 2 = backslash
 * pair (\\ and \"), 4 = \xNN.
 */
static unsigned char
esc_width(unsigned char c)
{
	if (c == '\\' || c == '"')
		return 2;
	if (c < 0x20 || c >= 0x7f)
		return 4;
	return 1;
}

/* May the byte stand in a bare (unquoted) value? */
static bool
bare_ok(unsigned char c)
{
	return esc_width(c) == 1 && c != ' ' && c != '=';
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
			out[o + 1] = (char)c;
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

/* Append " key" with any byte outside [a-z0-9_] written as '_'; false when it does not fit. */
static bool
put_key(struct intake_log_line *l, const char *key, size_t limit)
{
	size_t		klen = strlen(key), i;
	unsigned char	c;

	if (klen == 0 || l->len + 2 + klen > limit)
		return false;
	l->buf[l->len++] = ' ';
	for (i = 0; i < klen; i++) {
		c = (unsigned char)key[i];
		l->buf[l->len++] = (char)(((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '_') ? c : '_');
	}
	l->buf[l->len++] = '=';
	return true;
}

/*
 * Append " key=value": bare when every byte may stand bare, else quoted
 * and escaped, cut with "..." to the room left.  A field that cannot
 * fit even cut is dropped, and the line is marked cut.
 */
static void
put_field(struct intake_log_line *l, const char *key, const char *v, size_t len)
{
	const size_t	limit = sizeof(l->buf) - TAIL_RESERVE;
	size_t		i, start = l->len, avail;
	bool		bare = len > 0;

	if (!l->on || l->cut)
		return;		/* after a dropped field, the rest go too: keys stay in order */
	for (i = 0; bare && i < len; i++)
		bare = bare_ok((unsigned char)v[i]);
	if (!put_key(l, key, limit))
		goto drop;
	if (bare && l->len + len <= limit) {
		memcpy(l->buf + l->len, v, len);
		l->len += len;
		return;
	}
	/* Quoted: room for the quotes, and at least for "x..." inside them. */
	if (l->len + 2 + 4 > limit)
		goto drop;
	avail = limit - l->len - 2;
	l->buf[l->len++] = '"';
	l->len += intake_log_escape(v, len, l->buf + l->len, avail + 1);
	l->buf[l->len++] = '"';
	return;
drop:
	l->len = start;
	l->cut = true;
}

void
intake_log_begin(struct intake_log_line *l, enum intake_log_level level, const char *event)
{
	l->len = 0;
	l->cut = false;
	l->level = level;
	l->on = (unsigned)level < INTAKE_LOG__MAX && level >= log_level;
	if (req_id[0] != '\0')
		put_field(l, "req", req_id, strlen(req_id));
	put_field(l, "event", event, strlen(event));
}

void
intake_log_str(struct intake_log_line *l, const char *key, const char *value)
{
	if (value == NULL)
		value = "-";
	put_field(l, key, value, strlen(value));
}

void
intake_log_strn(struct intake_log_line *l, const char *key, const char *value, size_t len)
{
	put_field(l, key, value, len);
}

void
intake_log_int(struct intake_log_line *l, const char *key, long long value)
{
	char	num[32];
	int	n;

	n = snprintf(num, sizeof(num), "%lld", value);
	if (n > 0)
		put_field(l, key, num, (size_t)n);
}

void
intake_log_fmt(struct intake_log_line *l, const char *key, const char *fmt, ...)
{
	char	text[INTAKE_LOG_LINE_MAX];
	va_list	ap;
	int	n;

	if (!l->on)
		return;
	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (n >= 0)
		put_field(l, key, text, strnlen(text, sizeof(text)));
}

void
intake_log_end(struct intake_log_line *l)
{
	char		 line[INTAKE_LOG_LINE_MAX + 128], ts[32];
	struct tm	 tm;
	time_t		 now;
	size_t		 off;
	int		 n;

	if (!l->on)
		return;
	if (l->cut) {
		memcpy(l->buf + l->len, " truncated=true", sizeof(" truncated=true") - 1);
		l->len += sizeof(" truncated=true") - 1;
	}
	if (to_journal()) {
		/* The journal stamps time and pid itself, and takes the priority from "<N>". */
		n = snprintf(line, sizeof(line), "<%d>level=%s", journal_priorities[l->level],
		    intake_log_level_names[l->level]);
	} else {
		now = time(NULL);
		(void)gmtime_r(&now, &tm);
		(void)strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
		n = snprintf(line, sizeof(line), "ts=%s level=%s pid=%ld", ts,
		    intake_log_level_names[l->level], (long)getpid());
	}
	if (n < 0 || (size_t)n >= sizeof(line) - l->len - 1)
		return;
	off = (size_t)n;
	memcpy(line + off, l->buf, l->len);
	off += l->len;
	line[off++] = '\n';
	/* One write per line, so lines from workers do not interleave. */
	(void)!write(STDERR_FILENO, line, off);
	l->on = false;
}

void
intake_log(enum intake_log_level level, const char *fmt, ...)
{
	struct intake_log_line	l;
	char			raw[INTAKE_LOG_LINE_MAX];
	va_list			ap;
	int			n;

	intake_log_begin(&l, level, "log");
	if (!l.on)
		return;
	va_start(ap, fmt);
	n = vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	put_field(&l, "msg", raw, strnlen(raw, sizeof(raw)));
	intake_log_end(&l);
}

void
intake_log_event(enum intake_log_level level, const char *event, ...)
{
	struct intake_log_line	 l;
	const char		*k, *v;
	va_list			 ap;

	intake_log_begin(&l, level, event);
	if (!l.on)
		return;
	va_start(ap, event);
	while ((k = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		intake_log_str(&l, k, v);
	}
	va_end(ap);
	intake_log_end(&l);
}

bool
intake_log_bucket_take(struct intake_log_bucket *b, int64_t now_ms, unsigned long *suppressed)
{
	const long long	full = (long long)INTAKE_LOG_CLIENT_BURST * 1000;
	int64_t		gap;

	if (b->at_ms == 0) {
		b->tokens_milli = full;
		b->at_ms = now_ms;
	} else if (now_ms > b->at_ms) {
		/* Capped first, so a long quiet spell cannot overflow the product. */
		gap = now_ms - b->at_ms;
		if (gap > full)
			gap = full;
		b->tokens_milli += gap * INTAKE_LOG_CLIENT_RATE;
		if (b->tokens_milli > full)
			b->tokens_milli = full;
		b->at_ms = now_ms;
	}
	if (b->tokens_milli < 1000) {
		b->suppressed++;
		return false;
	}
	b->tokens_milli -= 1000;
	*suppressed = b->suppressed;
	b->suppressed = 0;
	return true;
}

void
intake_log_begin_limited(struct intake_log_line *l, enum intake_log_level level,
    const char *event)
{
	unsigned long	suppressed = 0;

	intake_log_begin(l, level, event);
	if (!l->on)
		return;		/* below the level: neither written nor counted */
	if (!intake_log_bucket_take(&client_bucket, intake_now_ms(), &suppressed)) {
		l->on = false;
		return;
	}
	if (suppressed > 0)
		intake_log_int(l, "suppressed", (long long)suppressed);
}

/* Request ids: what nginx's $request_id is made of (32 hex digits), and a little more. */
static bool
req_id_byte(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    c == '.' || c == '_' || c == '-';
}

bool
intake_log_set_request(const char *id)
{
	size_t	i, n;

	req_id[0] = '\0';
	if (id == NULL)
		return true;
	n = strnlen(id, INTAKE_LOG_REQ_ID_MAX + 1);
	if (n == 0 || n > INTAKE_LOG_REQ_ID_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!req_id_byte((unsigned char)id[i]))
			return false;
	memcpy(req_id, id, n);
	req_id[n] = '\0';
	return true;
}

void
intake_log_reopen(void)
{
	int	fd;

	if (log_path[0] == '\0')
		return;
	/* open, dup2 and close are async-signal-safe: this runs in the SIGUSR1 handler. */
	fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
	if (fd == -1)
		return;		/* keep writing to the old file rather than nowhere */
	if (fd != STDERR_FILENO) {
		(void)dup2(fd, STDERR_FILENO);
		(void)close(fd);
	}
}

static void
on_usr1(int sig)
{
	int	saved = errno;

	(void)sig;
	intake_log_reopen();
	errno = saved;
}

enum intake_err
intake_log_open(const char *path, char *msg, size_t msgsz)
{
	struct sigaction	sa;
	int			fd;

	if (strlen(path) >= sizeof(log_path)) {
		(void)snprintf(msg, msgsz, "log_file: the path is too long");
		return INTAKE_ESYS;
	}
	if (path[0] != '\0') {
		fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
		if (fd == -1) {
			(void)snprintf(msg, msgsz, "log_file: cannot open %s: %s", path,
			    strerror(errno));
			return INTAKE_ESYS;
		}
		if (fd != STDERR_FILENO) {
			if (dup2(fd, STDERR_FILENO) == -1) {
				(void)snprintf(msg, msgsz, "log_file: dup2: %s", strerror(errno));
				(void)close(fd);
				return INTAKE_ESYS;
			}
			(void)close(fd);
		}
	}
	/* The handler is installed before it can run: the path is final by then. */
	memcpy(log_path, path, strlen(path) + 1);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sa.sa_flags = SA_RESTART;
	(void)sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGUSR1, &sa, NULL);
	return INTAKE_OK;
}

static bool
is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static unsigned
hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return (unsigned)(c - '0');
	if (c >= 'a' && c <= 'f')
		return (unsigned)(c - 'a' + 10);
	return (unsigned)(c - 'A' + 10);
}

enum intake_err
intake_logfmt_next(const char **cur, const char *end, const char **key, size_t *keylen,
    char *val, size_t valsz, size_t *vallen)
{
	const char	*p = *cur, *k, *kend;
	size_t		 o = 0;
	unsigned char	 c;

	if (valsz == 0)
		return INTAKE_EINVAL;
	while (p < end && *p == ' ')
		p++;
	if (p == end)
		return INTAKE_ENOTFOUND;
	k = p;
	while (p < end && *p != '=' && *p != ' ' && *p != '"' && (unsigned char)*p > 0x20 &&
	    (unsigned char)*p != 0x7f)
		p++;
	if (p == k || (p < end && *p != '=' && *p != ' '))
		return INTAKE_EINVAL;
	kend = p;
	if (p < end && *p == '=') {
		p++;
		if (p < end && *p == '"') {
			/* Quoted: \\, \" and \xNN; nothing raw below space. */
			for (p++;; ) {
				if (p == end)
					return INTAKE_EINVAL;
				c = (unsigned char)*p++;
				if (c == '"')
					break;
				if (c < 0x20 || c == 0x7f)
					return INTAKE_EINVAL;
				if (c == '\\') {
					if (p == end)
						return INTAKE_EINVAL;
					c = (unsigned char)*p++;
					if (c == 'x') {
						if (end - p < 2 || !is_hex(p[0]) || !is_hex(p[1]))
							return INTAKE_EINVAL;
						c = (unsigned char)(hex_val(p[0]) << 4 | hex_val(p[1]));
						p += 2;
					} else if (c != '\\' && c != '"')
						return INTAKE_EINVAL;
				}
				if (o + 1 >= valsz)
					return INTAKE_EINVAL;
				val[o++] = (char)c;
			}
			if (p < end && *p != ' ')
				return INTAKE_EINVAL;
		} else {
			while (p < end && *p != ' ') {
				c = (unsigned char)*p++;
				if (c < 0x20 || c == 0x7f || c == '"' || c == '=' || c == '\\')
					return INTAKE_EINVAL;
				if (o + 1 >= valsz)
					return INTAKE_EINVAL;
				val[o++] = (char)c;
			}
		}
	}
	val[o] = '\0';
	*key = k;
	*keylen = (size_t)(kend - k);
	*vallen = o;
	*cur = p;
	return INTAKE_OK;
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
