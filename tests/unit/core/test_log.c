/*
 * test_log.c - lib/core/log.c: the escape table, truncation, levels, masking,
 * logfmt lines and their reader, request ids, the client-error rate limit
 * and reopening the log file.
 */
#include <signal.h>
#include <stdint.h>
#include <string.h>

#include "core/log.h"
#include "util/str.h"

#include "t.h"

#define CANARY	0xcc

/* Escape with a big buffer: the reference output. */
static size_t
escape_full(const char *s, size_t len, char *out, size_t outsz)
{
	return intake_log_escape(s, len, out, outsz);
}

static void
test_log_escape_printable_ascii_unchanged(void)
{
	char	out[128];
	size_t	n;

	n = intake_log_escape("GET /api/processes?x=1 200", 26, out, sizeof(out));
	T_EQ_INT(n, 26);
	T_EQ_STR(out, "GET /api/processes?x=1 200");
}

static void
test_log_escape_control_bytes_as_hex(void)
{
	char	out[128];
	size_t	n;

	n = intake_log_escape("a\nb\rc\td\x1b[31m\x7f", 13, out, sizeof(out));
	T_EQ_STR(out, "a\\x0ab\\x0dc\\x09d\\x1b[31m\\x7f");
	T_EQ_INT(n, strlen(out));
	n = intake_log_escape("\0", 1, out, sizeof(out));
	T_EQ_STR(out, "\\x00");
	T_EQ_INT(n, 4);
	n = intake_log_escape("\xc3\xa9\xff", 3, out, sizeof(out));
	T_EQ_STR(out, "\\xc3\\xa9\\xff");
	T_EQ_INT(n, 12);
}

static void
test_log_escape_doubles_backslash(void)
{
	char	out[64];

	/* Else "\x0a" typed by a client would read as an escaped newline. */
	(void)intake_log_escape("\\x0a", 4, out, sizeof(out));
	T_EQ_STR(out, "\\\\x0a");
	(void)intake_log_escape("\\", 1, out, sizeof(out));
	T_EQ_STR(out, "\\\\");
}

static void
test_log_escape_every_byte_by_table(void)
{
	char		in[256], out[2048], want[2048];
	size_t		i, o, n;

	for (i = 0; i < 256; i++)
		in[i] = (char)i;
	o = 0;
	for (i = 0; i < 256; i++) {
		if (i == '\\' || i == '"') {
			want[o++] = '\\';
			want[o++] = (char)i;
		} else if (i < 0x20 || i >= 0x7f) {
			(void)snprintf(want + o, 5, "\\x%02zx", i);
			o += 4;
		} else
			want[o++] = (char)i;
	}
	want[o] = '\0';
	n = intake_log_escape(in, sizeof(in), out, sizeof(out));
	T_EQ_INT(n, o);
	T_EQ_STR(out, want);
}

static void
test_log_escape_cannot_forge_a_line(void)
{
	const char	*attack = "x\nZ intake[1] error: forged\r\n";
	char		 out[256];
	size_t		 i, n;

	n = intake_log_escape(attack, strlen(attack), out, sizeof(out));
	for (i = 0; i < n; i++)
		T_ASSERT((unsigned char)out[i] >= 0x20 && (unsigned char)out[i] < 0x7f);
	T_ASSERT(strchr(out, '\n') == NULL);
}

/*
 * For every outsz 0..64 and several hostile inputs: never a byte written
 * past outsz, always NUL-terminated, the returned length is strlen(out),
 * no escape cut in half, and "..." marks a cut when there is room for it.
 */
#define IN(lit)	{ (lit), sizeof(lit) - 1 }

static void
test_log_escape_truncation_never_overflows(void)
{
	static const struct {
		const char	*s;
		size_t		 len;
	} in[] = {
		IN(""),
		IN("a"),
		IN("abc"),
		IN("plain text that is longer than sixty-four bytes, to force a cut"),
		IN("\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n"),
		IN("\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\"),
		IN("a\\b\nc\0d\xff" "e\x7f\x01\\\\\\zzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"),
		IN("\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8\xf7\xf6\xf5\xf4\xf3\xf2\xf1\xf0"),
		IN("\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"),
		IN("x\\"),
		IN("xx\n"),
	};
	char		full[1024], out[64 + 32];
	size_t		i, outsz, n, fulln, keep, b;
	int		at_boundary;

	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		fulln = escape_full(in[i].s, in[i].len, full, sizeof(full));
		for (outsz = 0; outsz <= 64; outsz++) {
			memset(out, CANARY, sizeof(out));
			n = intake_log_escape(in[i].s, in[i].len, out, outsz);
			for (b = outsz; b < sizeof(out); b++)
				if ((unsigned char)out[b] != CANARY)
					T_FAIL("input %zu outsz %zu: byte %zu written", i, outsz, b);
			if (outsz == 0) {
				T_EQ_INT(n, 0);
				continue;
			}
			T_ASSERT(n < outsz);
			T_EQ_INT(out[n], '\0');
			T_EQ_INT(strlen(out), n);
			if (n == fulln && memcmp(out, full, n) == 0)
				continue;	/* whole */
			/* Cut: a prefix of the full escape, then "..." if it fits. */
			keep = n;
			if (n >= 3 && memcmp(out + n - 3, "...", 3) == 0)
				keep = n - 3;
			else if (outsz >= 4)
				T_FAIL("input %zu outsz %zu: cut without \"...\"", i, outsz);
			T_ASSERT(keep <= fulln);
			T_EQ_MEM(out, full, keep);
			/* The cut is between two escapes, never inside one. */
			at_boundary = keep == 0 || keep == fulln;
			for (b = 0; !at_boundary && b < keep; b++) {
				if (full[b] != '\\')
					continue;
				if (full[b + 1] == '\\' || full[b + 1] == '"') {
					if (keep == b + 1)
						break;
					b++;
				} else {
					if (keep > b && keep < b + 4)
						break;
					b += 3;
				}
			}
			if (!at_boundary && b < keep)
				T_FAIL("input %zu outsz %zu: cut inside an escape at %zu", i, outsz, keep);
		}
	}
}

static void
test_log_escape_size_zero_writes_nothing(void)
{
	char	out[4];

	memset(out, CANARY, sizeof(out));
	T_EQ_INT(intake_log_escape("abc", 3, out, 0), 0);
	T_EQ_INT((unsigned char)out[0], CANARY);
	T_EQ_INT(intake_log_escape("abc", 3, NULL, 0), 0);
}

static void
test_log_escape_long_input_keeps_a_prefix(void)
{
	char	in[5000], out[2048];
	size_t	n;

	memset(in, 'A', sizeof(in));
	n = intake_log_escape(in, sizeof(in), out, sizeof(out));
	T_ASSERT(n < sizeof(out));
	T_EQ_INT(strlen(out), n);
	T_ASSERT(n >= sizeof(out) - 8);
	T_EQ_STR(out + n - 3, "...");
	T_EQ_INT(out[0], 'A');
}

/*
 * Output that fits whole must not be cut: "abc" needs 4 bytes with its
 * NUL, yet the reserve for "..." makes the escape give up on it.
 */
static void
test_log_escape_exact_fit_is_not_cut(void)
{
	char	out[8];

	T_EQ_INT(intake_log_escape("abc", 3, out, 4), 3);
	T_EQ_STR(out, "abc");
	T_EQ_INT(intake_log_escape("a\n", 2, out, 6), 5);
	T_EQ_STR(out, "a\\x0a");
}

static void
test_log_parse_level_names(void)
{
	enum intake_log_level	l;

	T_EQ_INT(intake_log_parse_level("debug", &l), INTAKE_OK);
	T_EQ_INT(l, INTAKE_LOG_DEBUG);
	T_EQ_INT(intake_log_parse_level("INFO", &l), INTAKE_OK);
	T_EQ_INT(l, INTAKE_LOG_INFO);
	T_EQ_INT(intake_log_parse_level("Warn", &l), INTAKE_OK);
	T_EQ_INT(l, INTAKE_LOG_WARN);
	T_EQ_INT(intake_log_parse_level("error", &l), INTAKE_OK);
	T_EQ_INT(l, INTAKE_LOG_ERR);
	l = INTAKE_LOG_WARN;
	T_EQ_INT(intake_log_parse_level("warning", &l), INTAKE_EINVAL);
	T_EQ_INT(intake_log_parse_level("err", &l), INTAKE_EINVAL);
	T_EQ_INT(intake_log_parse_level("", &l), INTAKE_EINVAL);
	T_EQ_INT(intake_log_parse_level(" info", &l), INTAKE_EINVAL);
	T_EQ_INT(l, INTAKE_LOG_WARN);
}

static void
test_log_mask_is_a_fingerprint(void)
{
	char	a[32], b[32];

	intake_log_mask("correct horse battery staple", a, sizeof(a));
	T_EQ_INT(strlen(a), 15);
	T_EQ_INT(strncmp(a, "sha256:", 7), 0);
	T_EQ_INT(strspn(a + 7, "0123456789abcdef"), 8);
	intake_log_mask("correct horse battery staple", b, sizeof(b));
	T_EQ_STR(a, b);
	intake_log_mask("correct horse battery stapl3", b, sizeof(b));
	T_ASSERT(strcmp(a, b) != 0);
	/* sha256("abc") starts ba7816bf. */
	intake_log_mask("abc", a, sizeof(a));
	T_EQ_STR(a, "sha256:ba7816bf");
}

static void
test_log_mask_never_contains_the_secret(void)
{
	static const char *const secrets[] = {
		"0123456789abcdef0123456789abcdef",
		"ba7816bf8f01cfea",
		"sha256:deadbeef",
		"s3cr3t-api-key-ABCDEFGH",
		"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.sig",
	};
	char	out[64], pre[5];
	size_t	i;

	for (i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++) {
		intake_log_mask(secrets[i], out, sizeof(out));
		T_NOT_CONTAINS(out, secrets[i]);
		/* Nor a 5-byte prefix of it past the fixed "sha256:". */
		memcpy(pre, secrets[i], 4);
		pre[4] = '\0';
		T_NOT_CONTAINS(out + 7, secrets[i] + strlen(secrets[i]) - 4);
		if (strncmp(secrets[i], "sha2", 4) != 0)
			T_NOT_CONTAINS(out, pre);
	}
}

static void
test_log_mask_of_nothing(void)
{
	char	out[16];

	intake_log_mask(NULL, out, sizeof(out));
	T_EQ_STR(out, "(none)");
	intake_log_mask("", out, sizeof(out));
	T_EQ_STR(out, "(none)");
}

static void
test_log_mask_small_output_is_terminated(void)
{
	char	out[8];

	memset(out, CANARY, sizeof(out));
	intake_log_mask("secret", out, 4);
	T_EQ_STR(out, "sha");
	T_EQ_INT((unsigned char)out[4], CANARY);
	intake_log_mask("secret", out, 0);
	T_EQ_INT((unsigned char)out[4], CANARY);
}

/* Run intake_log with stderr sent to a file; the file's text into out. */
static size_t
capture_log(enum intake_log_level level, const char *msg, char *out, size_t outsz)
{
	char	dir[512], path[600];
	FILE	*f;
	size_t	n;
	int	fd, saved;

	t_mkdtemp(dir, sizeof(dir));
	(void)snprintf(path, sizeof(path), "%s/stderr", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	saved = dup(STDERR_FILENO);
	if (fd == -1 || saved == -1)
		abort();
	(void)dup2(fd, STDERR_FILENO);
	intake_log(level, "%s", msg);
	(void)dup2(saved, STDERR_FILENO);
	(void)close(saved);
	(void)close(fd);
	f = fopen(path, "rb");
	if (f == NULL)
		abort();
	n = fread(out, 1, outsz - 1, f);
	out[n] = '\0';
	(void)fclose(f);
	return n;
}

static void
test_log_line_cannot_be_forged_by_newline(void)
{
	char	out[8192];
	size_t	n;

	intake_log_set_level(INTAKE_LOG_DEBUG);
	n = capture_log(INTAKE_LOG_WARN, "user x\n2024-01-01T00:00:00Z intake[1] error: forged",
	    out, sizeof(out));
	T_ASSERT(n > 0);
	T_EQ_INT(out[n - 1], '\n');
	T_ASSERT(strchr(out, '\n') == out + n - 1);
	T_CONTAINS(out, " level=warn pid=");
	T_CONTAINS(out, " event=log msg=\"user x\\x0a2024");
}

static void
test_log_level_filters_lines(void)
{
	char	out[4096];

	intake_log_set_level(INTAKE_LOG_WARN);
	T_EQ_INT(capture_log(INTAKE_LOG_INFO, "hidden", out, sizeof(out)), 0);
	T_EQ_INT(capture_log(INTAKE_LOG_DEBUG, "hidden", out, sizeof(out)), 0);
	T_ASSERT(capture_log(INTAKE_LOG_ERR, "shown", out, sizeof(out)) > 0);
	T_CONTAINS(out, " event=log msg=shown\n");
	T_EQ_INT(capture_log(INTAKE_LOG__MAX, "bogus level", out, sizeof(out)), 0);
}

static void
test_log_huge_message_is_one_bounded_line(void)
{
	static char	msg[20000], out[32768];
	size_t		n;

	memset(msg, '\n', sizeof(msg) - 1);
	msg[sizeof(msg) - 1] = '\0';
	intake_log_set_level(INTAKE_LOG_DEBUG);
	n = capture_log(INTAKE_LOG_INFO, msg, out, sizeof(out));
	T_ASSERT(n > 100 && n < INTAKE_LOG_LINE_MAX + 128);
	T_EQ_INT(out[n - 1], '\n');
	T_ASSERT(strchr(out, '\n') == out + n - 1);
	T_CONTAINS(out, "...\"\n");
}

/* Under systemd, stderr is the journal: lines carry its "<N>" priority, no stamp. */
static void
test_log_journal_stream_gets_priority_prefixes(void)
{
	char		dir[512], path[600], js[64], out[4096];
	struct stat	st;
	FILE		*f;
	size_t		n;
	int		fd, saved;

	intake_log_set_level(INTAKE_LOG_DEBUG);
	t_mkdtemp(dir, sizeof(dir));
	(void)snprintf(path, sizeof(path), "%s/journal", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	saved = dup(STDERR_FILENO);
	T_ASSERT(fd != -1 && saved != -1 && fstat(fd, &st) == 0);
	(void)snprintf(js, sizeof(js), "%llu:%llu", (unsigned long long)st.st_dev,
	    (unsigned long long)st.st_ino);
	T_EQ_INT(setenv("JOURNAL_STREAM", js, 1), 0);
	(void)dup2(fd, STDERR_FILENO);
	intake_log(INTAKE_LOG_ERR, "e %d", 1);
	intake_log(INTAKE_LOG_WARN, "w");
	intake_log(INTAKE_LOG_INFO, "i");
	intake_log(INTAKE_LOG_DEBUG, "d\nforged");
	(void)dup2(saved, STDERR_FILENO);
	(void)close(saved);
	(void)close(fd);
	f = fopen(path, "rb");
	T_ASSERT(f != NULL);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	(void)fclose(f);
	T_EQ_STR(out, "<3>level=error event=log msg=\"e 1\"\n<4>level=warn event=log msg=w\n"
	    "<6>level=info event=log msg=i\n<7>level=debug event=log msg=\"d\\x0aforged\"\n");
	/* Another stream than the journal's: plain stamped lines. */
	n = capture_log(INTAKE_LOG_WARN, "plain", out, sizeof(out));
	T_ASSERT(n > 0 && out[0] != '<');
	T_EQ_INT(strncmp(out, "ts=", 3), 0);
	T_CONTAINS(out, " pid=");
	T_EQ_INT(unsetenv("JOURNAL_STREAM"), 0);
}

/* The fields of l as a C string (the builder does not terminate them). */
static const char *
body(struct intake_log_line *l)
{
	static char	out[INTAKE_LOG_LINE_MAX + 1];

	memcpy(out, l->buf, l->len);
	out[l->len] = '\0';
	return out;
}

static void
test_logfmt_quotes_only_what_needs_it(void)
{
	struct intake_log_line	l;

	intake_log_set_level(INTAKE_LOG_DEBUG);
	(void)intake_log_set_request(NULL);
	intake_log_begin(&l, INTAKE_LOG_INFO, "submission_queued");
	intake_log_str(&l, "form", "it-request");
	intake_log_str(&l, "ref", "7K2M-9QXD-4HWA");
	intake_log_int(&l, "ms", -12);
	intake_log_str(&l, "why", "no upstream slot free");
	intake_log_str(&l, "empty", "");
	intake_log_str(&l, "eq", "a=b");
	intake_log_str(&l, "quote", "say \"hi\"");
	intake_log_str(&l, "back", "C:\\dir");
	intake_log_str(&l, "nl", "x\ny");
	intake_log_str(&l, "utf8", "caf\xc3\xa9");
	intake_log_str(&l, "null", NULL);
	T_EQ_STR(body(&l), " event=submission_queued form=it-request ref=7K2M-9QXD-4HWA ms=-12 "
	    "why=\"no upstream slot free\" empty=\"\" eq=\"a=b\" quote=\"say \\\"hi\\\"\" "
	    "back=\"C:\\\\dir\" nl=\"x\\x0ay\" utf8=\"caf\\xc3\\xa9\" null=-");
	T_ASSERT(!l.cut);
}

/* A key is code's, but a bad byte in one must not break the line either. */
static void
test_logfmt_key_bytes_are_made_safe(void)
{
	struct intake_log_line	l;

	intake_log_set_level(INTAKE_LOG_DEBUG);
	intake_log_begin(&l, INTAKE_LOG_INFO, "bad event");
	intake_log_str(&l, "a b=\"c", "v");
	T_EQ_STR(body(&l), " event=\"bad event\" a_b__c=v");
}

static void
test_logfmt_reader_decodes_the_writer(void)
{
	const char	*line = "level=info event=x msg=\"a \\\"b\\\" \\\\ \\x0a\" k=v e=\"\" bare";
	const char	*cur = line, *end = line + strlen(line), *key;
	char		 val[64];
	size_t		 keylen, vallen;

	T_EQ_INT(intake_logfmt_next(&cur, end, &key, &keylen, val, sizeof(val), &vallen), INTAKE_OK);
	T_EQ_MEM(key, "level", 5);
	T_EQ_STR(val, "info");
	T_EQ_INT(intake_logfmt_next(&cur, end, &key, &keylen, val, sizeof(val), &vallen), INTAKE_OK);
	T_EQ_INT(intake_logfmt_next(&cur, end, &key, &keylen, val, sizeof(val), &vallen), INTAKE_OK);
	T_EQ_INT(keylen, 3);
	T_EQ_STR(val, "a \"b\" \\ \n");
	T_EQ_INT(intake_logfmt_next(&cur, end, &key, &keylen, val, sizeof(val), &vallen), INTAKE_OK);
	T_EQ_STR(val, "v");
	T_EQ_INT(intake_logfmt_next(&cur, end, &key, &keylen, val, sizeof(val), &vallen), INTAKE_OK);
	T_EQ_INT(vallen, 0);
	T_EQ_INT(intake_logfmt_next(&cur, end, &key, &keylen, val, sizeof(val), &vallen), INTAKE_OK);
	T_EQ_INT(keylen, 4);
	T_EQ_INT(intake_logfmt_next(&cur, end, &key, &keylen, val, sizeof(val), &vallen),
	    INTAKE_ENOTFOUND);
}

static void
test_logfmt_reader_refuses_malformed_pairs(void)
{
	static const char *const bad[] = {
		"k=\"open", "k=\"bad \\q\"", "k=\"\\x4\"", "k=\"x\"y", "=v", "\"k\"=v",
		"k=a\"b", "k=\"raw\nline\"", "k=\"\\",
	};
	const char	*cur, *key;
	char		 val[64];
	size_t		 i, keylen, vallen;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cur = bad[i];
		T_EQ_INT(intake_logfmt_next(&cur, bad[i] + strlen(bad[i]), &key, &keylen, val,
		    sizeof(val), &vallen), INTAKE_EINVAL);
	}
	/* A value longer than the caller's buffer is refused, not cut. */
	cur = "k=abcdefgh";
	T_EQ_INT(intake_logfmt_next(&cur, cur + 10, &key, &keylen, val, 4, &vallen),
	    INTAKE_EINVAL);
}

static uint64_t	rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/*
 * The property: whatever bytes the values hold, the line is one line of
 * printable ASCII, and the reader splits it back into the same keys in
 * order with the same values; a value may only be cut ("..." at its end)
 * or fields dropped (truncated=true) when the line is full.
 */
static void
test_logfmt_any_bytes_round_trip(void)
{
	struct intake_log_line	 l;
	static char		 vals[8][400];
	static char		 got[INTAKE_LOG_LINE_MAX + 1];
	size_t			 lens[8], nf, i, j, keylen, vallen, round;
	const char		*cur, *end, *key;
	char			 name[8];
	enum intake_err		 err;

	intake_log_set_level(INTAKE_LOG_DEBUG);
	(void)intake_log_set_request("4f0c2a9b1e7d43c8a6b5e2f1d0c9b8a7");
	for (round = 0; round < 3000; round++) {
		nf = 1 + rng() % 8;
		intake_log_begin(&l, INTAKE_LOG_INFO, "prop");
		for (i = 0; i < nf; i++) {
			/* Mostly short; now and then long enough to fill the line. */
			lens[i] = rng() % 8 == 0 ? rng() % sizeof(vals[i]) : rng() % 24;
			for (j = 0; j < lens[i]; j++)
				vals[i][j] = (char)(rng() % 4 == 0 ? " =\"\\\n"[rng() % 5] :
				    (char)(rng() & 0xff));
			(void)snprintf(name, sizeof(name), "k%zu", i);
			intake_log_strn(&l, name, vals[i], lens[i]);
		}
		for (i = 0; i < l.len; i++)
			if ((unsigned char)l.buf[i] < 0x20 || (unsigned char)l.buf[i] >= 0x7f)
				T_FAIL("round %zu: raw byte 0x%02x at %zu", round,
				    (unsigned char)l.buf[i], i);
		cur = l.buf;
		end = l.buf + l.len;
		T_EQ_INT(intake_logfmt_next(&cur, end, &key, &keylen, got, sizeof(got), &vallen),
		    INTAKE_OK);
		T_EQ_MEM(key, "req", 3);
		T_EQ_STR(got, "4f0c2a9b1e7d43c8a6b5e2f1d0c9b8a7");
		T_EQ_INT(intake_logfmt_next(&cur, end, &key, &keylen, got, sizeof(got), &vallen),
		    INTAKE_OK);
		T_EQ_STR(got, "prop");
		for (i = 0; i < nf; i++) {
			err = intake_logfmt_next(&cur, end, &key, &keylen, got, sizeof(got),
			    &vallen);
			if (err == INTAKE_ENOTFOUND && l.cut)
				break;
			T_EQ_INT(err, INTAKE_OK);
			(void)snprintf(name, sizeof(name), "k%zu", i);
			T_EQ_INT(keylen, strlen(name));
			T_EQ_MEM(key, name, keylen);
			if (vallen == lens[i] && memcmp(got, vals[i], vallen) == 0)
				continue;
			T_ASSERT(vallen >= 3 && memcmp(got + vallen - 3, "...", 3) == 0);
			T_ASSERT(vallen - 3 <= lens[i]);
			T_EQ_MEM(got, vals[i], vallen - 3);
			T_ASSERT(l.len + 64 > INTAKE_LOG_LINE_MAX);
		}
		if (l.cut) {
			intake_log_end(&l);	/* below: the marker, on a line written to stderr */
			continue;
		}
		T_EQ_INT(intake_logfmt_next(&cur, end, &key, &keylen, got, sizeof(got), &vallen),
		    INTAKE_ENOTFOUND);
		l.on = false;
	}
	(void)intake_log_set_request(NULL);
}

static void
test_logfmt_full_line_says_truncated(void)
{
	struct intake_log_line	l;
	char			big[600];
	int			i;

	memset(big, 'v', sizeof(big));
	big[sizeof(big) - 1] = '\0';
	intake_log_set_level(INTAKE_LOG_DEBUG);
	intake_log_begin(&l, INTAKE_LOG_INFO, "full");
	for (i = 0; i < 10; i++)
		intake_log_str(&l, "k", big);
	T_ASSERT(l.cut);
	T_ASSERT(l.len <= INTAKE_LOG_LINE_MAX - sizeof(" truncated=true"));
	/* A cut value keeps its closing quote: the line still parses. */
	T_CONTAINS(body(&l), "...\"");
}

static void
test_log_request_id_only_from_its_table(void)
{
	static const char *const bad[] = {
		"", "a b", "x\n", "id\"", "id=1", "caf\xc3\xa9",
		"01234567890123456789012345678901234567890123456789012345678901234",
	};
	struct intake_log_line	l;
	size_t			i;

	intake_log_set_level(INTAKE_LOG_DEBUG);
	T_ASSERT(intake_log_set_request("Ab9._-z"));
	intake_log_begin(&l, INTAKE_LOG_INFO, "e");
	T_EQ_STR(body(&l), " req=Ab9._-z event=e");
	T_ASSERT(intake_log_set_request(
	    "0123456789012345678901234567890123456789012345678901234567890123"));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		T_ASSERT(!intake_log_set_request(bad[i]));
		/* A refused id clears the old one: no line is filed under the wrong request. */
		intake_log_begin(&l, INTAKE_LOG_INFO, "e");
		T_EQ_STR(body(&l), " event=e");
	}
	T_ASSERT(intake_log_set_request(NULL));
}

static void
test_log_client_bucket_bounds_and_counts(void)
{
	struct intake_log_bucket	b;
	unsigned long			sup = 99;
	int				i, passed = 0;

	memset(&b, 0, sizeof(b));
	for (i = 0; i < 1000; i++)
		if (intake_log_bucket_take(&b, 5000, &sup))
			passed++;
	T_EQ_INT(passed, INTAKE_LOG_CLIENT_BURST);
	T_EQ_INT(sup, 0);
	/* One second later: RATE more, the first of them says how many were dropped. */
	T_ASSERT(intake_log_bucket_take(&b, 6000, &sup));
	T_EQ_INT(sup, 1000 - INTAKE_LOG_CLIENT_BURST);
	for (i = 1; i < INTAKE_LOG_CLIENT_RATE; i++) {
		T_ASSERT(intake_log_bucket_take(&b, 6000, &sup));
		T_EQ_INT(sup, 0);
	}
	T_ASSERT(!intake_log_bucket_take(&b, 6000, &sup));
	/* A long quiet spell refills to the burst, no more (and no overflow). */
	passed = 0;
	for (i = 0; i < 100; i++)
		if (intake_log_bucket_take(&b, INT64_MAX / 2, &sup))
			passed++;
	T_EQ_INT(passed, INTAKE_LOG_CLIENT_BURST);
	/* A clock that steps back gives nothing. */
	T_ASSERT(!intake_log_bucket_take(&b, 1000, &sup));
}

/* A line of the log file at path into out ("" when there is none). */
static void
read_file(const char *path, char *out, size_t outsz)
{
	FILE	*f = fopen(path, "rb");
	size_t	 n = 0;

	if (f != NULL) {
		n = fread(out, 1, outsz - 1, f);
		(void)fclose(f);
	}
	out[n] = '\0';
}

static void
test_log_file_reopens_on_sigusr1(void)
{
	char	dir[512], path[600], moved[600], out[4096], msg[256];
	int	saved;

	intake_log_set_level(INTAKE_LOG_DEBUG);
	t_mkdtemp(dir, sizeof(dir));
	(void)snprintf(path, sizeof(path), "%s/intake.log", dir);
	(void)snprintf(moved, sizeof(moved), "%s/intake.log.1", dir);
	saved = dup(STDERR_FILENO);
	T_ASSERT(saved != -1);
	T_EQ_INT(intake_log_open(path, msg, sizeof(msg)), INTAKE_OK);
	intake_log(INTAKE_LOG_INFO, "before rotation");
	T_EQ_INT(rename(path, moved), 0);
	intake_log(INTAKE_LOG_INFO, "after rename, before the signal");
	T_EQ_INT(raise(SIGUSR1), 0);
	intake_log(INTAKE_LOG_INFO, "after the signal");
	(void)dup2(saved, STDERR_FILENO);
	(void)close(saved);
	read_file(moved, out, sizeof(out));
	T_CONTAINS(out, "msg=\"before rotation\"");
	T_CONTAINS(out, "msg=\"after rename, before the signal\"");
	T_NOT_CONTAINS(out, "after the signal\"");
	read_file(path, out, sizeof(out));
	T_CONTAINS(out, "msg=\"after the signal\"");
	T_NOT_CONTAINS(out, "before");
	/* A path that cannot be opened: an error naming it, stderr kept. */
	(void)snprintf(path, sizeof(path), "%s/no/such/dir/intake.log", dir);
	T_EQ_INT(intake_log_open(path, msg, sizeof(msg)), INTAKE_ESYS);
	T_CONTAINS(msg, "no/such/dir");
}

int
main(void)
{
	T_RUN(test_log_escape_printable_ascii_unchanged);
	T_RUN(test_log_escape_control_bytes_as_hex);
	T_RUN(test_log_escape_doubles_backslash);
	T_RUN(test_log_escape_every_byte_by_table);
	T_RUN(test_log_escape_cannot_forge_a_line);
	T_RUN(test_log_escape_truncation_never_overflows);
	T_RUN(test_log_escape_size_zero_writes_nothing);
	T_RUN(test_log_escape_long_input_keeps_a_prefix);
	T_RUN(test_log_escape_exact_fit_is_not_cut);
	T_RUN(test_log_parse_level_names);
	T_RUN(test_log_mask_is_a_fingerprint);
	T_RUN(test_log_mask_never_contains_the_secret);
	T_RUN(test_log_mask_of_nothing);
	T_RUN(test_log_mask_small_output_is_terminated);
	T_RUN(test_log_line_cannot_be_forged_by_newline);
	T_RUN(test_log_level_filters_lines);
	T_RUN(test_log_huge_message_is_one_bounded_line);
	T_RUN(test_log_journal_stream_gets_priority_prefixes);
	T_RUN(test_logfmt_quotes_only_what_needs_it);
	T_RUN(test_logfmt_key_bytes_are_made_safe);
	T_RUN(test_logfmt_reader_decodes_the_writer);
	T_RUN(test_logfmt_reader_refuses_malformed_pairs);
	T_RUN(test_logfmt_any_bytes_round_trip);
	T_RUN(test_logfmt_full_line_says_truncated);
	T_RUN(test_log_request_id_only_from_its_table);
	T_RUN(test_log_client_bucket_bounds_and_counts);
	T_RUN(test_log_file_reopens_on_sigusr1);
	return T_DONE();
}
