/*
 * test_multipart.c - lib/web/multipart.c: form posts with file fields, as
 * Chromium and Firefox send them, and the bodies an attacker would.
 *
 * Every parse goes through an exact-size heap copy of the body, so a read
 * past len is an ASan error in the sanitized run, and every part's data is
 * checked to lie within that copy.  A refused body must leave the output
 * exactly as it was.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "web/multipart.h"

#include "t.h"

#define WK	"----WebKitFormBoundary7MA4YWxkTrZu0gW"
#define FF	"---------------------------735323031399963166993862150"

/* A body parsed from its own heap copy; free with fx_free(). */
struct fx {
	char			*body;
	size_t			 len;
	struct intake_multipart	*mp;
};

static void
fx_free(struct fx *fx)
{
	free(fx->body);
	free(fx->mp);
	fx->body = NULL;
	fx->mp = NULL;
}

/*
 * Parse n bytes of s on boundary into fx.  On success every part must lie
 * within the copy and its strings be terminated; on failure the output
 * must still hold the 0xa5 bytes it was filled with.
 */
static enum intake_err
fx_parse(struct fx *fx, const char *s, size_t n, const char *boundary)
{
	struct intake_multipart	*fill;
	const struct intake_part *pt;
	enum intake_err		 err;
	size_t			 i;

	fx->len = n;
	fx->body = malloc(n == 0 ? 1 : n);
	fx->mp = malloc(sizeof(*fx->mp));
	fill = malloc(sizeof(*fill));
	if (fx->body == NULL || fx->mp == NULL || fill == NULL)
		abort();
	memcpy(fx->body, s, n);
	memset(fx->mp, 0xa5, sizeof(*fx->mp));
	memset(fill, 0xa5, sizeof(*fill));
	err = intake_multipart_parse(fx->body, n, boundary, fx->mp);
	if (err != INTAKE_OK) {
		if (memcmp(fx->mp, fill, sizeof(*fill)) != 0)
			abort();	/* written on failure */
	} else {
		if (fx->mp->nparts > INTAKE_MULTIPART_PARTS_MAX)
			abort();
		for (i = 0; i < fx->mp->nparts; i++) {
			pt = &fx->mp->parts[i];
			if (pt->data == NULL || pt->data < fx->body ||
			    pt->len > (size_t)(fx->body + n - pt->data))
				abort();
			if (memchr(pt->name, '\0', sizeof(pt->name)) == NULL ||
			    memchr(pt->filename, '\0', sizeof(pt->filename)) == NULL ||
			    memchr(pt->content_type, '\0', sizeof(pt->content_type)) == NULL)
				abort();
		}
	}
	free(fill);
	return err;
}

/* Whether part i has data equal to the C string want. */
static int
data_is(const struct fx *fx, size_t i, const char *want)
{
	const struct intake_part *pt = &fx->mp->parts[i];

	return pt->len == strlen(want) && memcmp(pt->data, want, pt->len) == 0;
}

#define T_DATA(fx, i, want)						\
	do {								\
		if (!data_is((fx), (i), (want))) {			\
			t_fail(__FILE__, __LINE__, "part %d data", (int)(i)); \
			printf("#   got:      \"");			\
			t_print_escaped((fx)->mp->parts[i].data, (fx)->mp->parts[i].len); \
			printf("\"\n#   expected: \"%s\"\n", (want));	\
			return;						\
		}							\
	} while (0)

/* The C string body must be refused with want. */
#define T_REFUSED(body, boundary, want)					\
	do {								\
		struct fx tf_;						\
		T_EQ_INT(fx_parse(&tf_, (body), strlen(body), (boundary)), (want)); \
		fx_free(&tf_);						\
	} while (0)

/* Same, for a body with NUL bytes: a string literal. */
#define T_REFUSED_LIT(lit, boundary, want)				\
	do {								\
		struct fx tf_;						\
		T_EQ_INT(fx_parse(&tf_, (lit), sizeof(lit) - 1, (boundary)), (want)); \
		fx_free(&tf_);						\
	} while (0)

/* A one-field body on boundary "b" with the header line hdr. */
#define ONE(hdr)	"--b\r\n" hdr "\r\n\r\nv\r\n--b--\r\n"

static void
test_multipart_chromium_text_file_and_empty_file(void)
{
	static const char body[] =
	    "--" WK "\r\n"
	    "Content-Disposition: form-data; name=\"title\"\r\n"
	    "\r\n"
	    "Leak in room 4\r\n"
	    "--" WK "\r\n"
	    "Content-Disposition: form-data; name=\"photo\"; filename=\"leak.jpg\"\r\n"
	    "Content-Type: image/jpeg\r\n"
	    "\r\n"
	    "\xff\xd8\xff\xe0\0\x10JFIF\0\r\n\r\n\xff\xd9\r\n"
	    "--" WK "\r\n"
	    "Content-Disposition: form-data; name=\"extra\"; filename=\"\"\r\n"
	    "Content-Type: application/octet-stream\r\n"
	    "\r\n"
	    "\r\n"
	    "--" WK "--\r\n";
	static const char jpeg[] = "\xff\xd8\xff\xe0\0\x10JFIF\0\r\n\r\n\xff\xd9";
	struct fx	fx;

	T_EQ_INT(fx_parse(&fx, body, sizeof(body) - 1, WK), INTAKE_OK);
	T_EQ_INT(fx.mp->nparts, 3);

	T_EQ_STR(fx.mp->parts[0].name, "title");
	T_EQ_INT(fx.mp->parts[0].is_file, 0);
	T_EQ_STR(fx.mp->parts[0].filename, "");
	T_EQ_STR(fx.mp->parts[0].content_type, "");
	T_DATA(&fx, 0, "Leak in room 4");

	T_EQ_STR(fx.mp->parts[1].name, "photo");
	T_EQ_INT(fx.mp->parts[1].is_file, 1);
	T_EQ_STR(fx.mp->parts[1].filename, "leak.jpg");
	T_EQ_STR(fx.mp->parts[1].content_type, "image/jpeg");
	T_EQ_INT(fx.mp->parts[1].len, sizeof(jpeg) - 1);
	T_EQ_MEM(fx.mp->parts[1].data, jpeg, sizeof(jpeg) - 1);

	/* A file input left empty: a file part with no name and no bytes. */
	T_EQ_STR(fx.mp->parts[2].name, "extra");
	T_EQ_INT(fx.mp->parts[2].is_file, 1);
	T_EQ_STR(fx.mp->parts[2].filename, "");
	T_EQ_STR(fx.mp->parts[2].content_type, "application/octet-stream");
	T_EQ_INT(fx.mp->parts[2].len, 0);
	fx_free(&fx);
}

static void
test_multipart_firefox_boundary(void)
{
	static const char body[] =
	    "--" FF "\r\n"
	    "Content-Disposition: form-data; name=\"email\"\r\n"
	    "\r\n"
	    "a@example.org\r\n"
	    "--" FF "\r\n"
	    "Content-Disposition: form-data; name=\"notes\"; filename=\"notes.txt\"\r\n"
	    "Content-Type: text/plain\r\n"
	    "\r\n"
	    "first\nsecond\n\r\n"
	    "--" FF "--\r\n";
	struct fx	fx;

	T_EQ_INT(fx_parse(&fx, body, sizeof(body) - 1, FF), INTAKE_OK);
	T_EQ_INT(fx.mp->nparts, 2);
	T_EQ_STR(fx.mp->parts[0].name, "email");
	T_DATA(&fx, 0, "a@example.org");
	T_EQ_STR(fx.mp->parts[1].filename, "notes.txt");
	T_EQ_STR(fx.mp->parts[1].content_type, "text/plain");
	T_DATA(&fx, 1, "first\nsecond\n");
	fx_free(&fx);
}

static void
test_multipart_multiple_files_under_one_name(void)
{
	static const char body[] =
	    "--" WK "\r\n"
	    "Content-Disposition: form-data; name=\"files\"; filename=\"a.txt\"\r\n"
	    "Content-Type: text/plain\r\n\r\n"
	    "AAA\r\n"
	    "--" WK "\r\n"
	    "Content-Disposition: form-data; name=\"files\"; filename=\"b.pdf\"\r\n"
	    "Content-Type: application/pdf\r\n\r\n"
	    "%PDF-1.7\r\n"
	    "--" WK "\r\n"
	    "Content-Disposition: form-data; name=\"files\"; filename=\"c.png\"\r\n"
	    "Content-Type: image/png\r\n\r\n"
	    "\x89PNG\r\n\x1a\n\r\n"
	    "--" WK "--\r\n";
	struct fx	fx;
	size_t		i;

	T_EQ_INT(fx_parse(&fx, body, sizeof(body) - 1, WK), INTAKE_OK);
	T_EQ_INT(fx.mp->nparts, 3);
	for (i = 0; i < 3; i++) {
		T_EQ_STR(fx.mp->parts[i].name, "files");
		T_EQ_INT(fx.mp->parts[i].is_file, 1);
	}
	T_EQ_STR(fx.mp->parts[0].filename, "a.txt");
	T_EQ_STR(fx.mp->parts[1].filename, "b.pdf");
	T_EQ_STR(fx.mp->parts[2].filename, "c.png");
	T_DATA(&fx, 0, "AAA");
	T_DATA(&fx, 1, "%PDF-1.7");
	T_DATA(&fx, 2, "\x89PNG\r\n\x1a\n");
	fx_free(&fx);
}

static void
test_multipart_utf8_names_values_and_filenames(void)
{
	static const char body[] =
	    "--" WK "\r\n"
	    "Content-Disposition: form-data; name=\"città\"\r\n\r\n"
	    "Zürich, São Paulo, 東京, Москва 🚒\r\n"
	    "--" WK "\r\n"
	    "Content-Disposition: form-data; name=\"pièce\"; filename=\"résumé été.pdf\"\r\n"
	    "Content-Type: application/pdf\r\n\r\n"
	    "x\r\n"
	    "--" WK "--\r\n";
	struct fx	fx;

	T_EQ_INT(fx_parse(&fx, body, sizeof(body) - 1, WK), INTAKE_OK);
	T_EQ_INT(fx.mp->nparts, 2);
	T_EQ_STR(fx.mp->parts[0].name, "città");
	T_DATA(&fx, 0, "Zürich, São Paulo, 東京, Москва 🚒");
	T_EQ_STR(fx.mp->parts[1].name, "pièce");
	T_EQ_STR(fx.mp->parts[1].filename, "résumé été.pdf");
	fx_free(&fx);
}

static void
test_multipart_crlf_inside_values(void)
{
	/* A textarea: CRLFs, blank lines, "--" lines that are not delimiters. */
	static const char body[] =
	    "--" WK "\r\n"
	    "Content-Disposition: form-data; name=\"details\"\r\n\r\n"
	    "line 1\r\nline 2\r\n\r\n--\r\n-- \r\n---" WK "\r\n\r\n"
	    "\r\n"
	    "--" WK "\r\n"
	    "Content-Disposition: form-data; name=\"after\"\r\n\r\n"
	    "\r\n\r\n"
	    "--" WK "--";
	struct fx	fx;

	T_EQ_INT(fx_parse(&fx, body, sizeof(body) - 1, WK), INTAKE_OK);
	T_EQ_INT(fx.mp->nparts, 2);
	T_DATA(&fx, 0, "line 1\r\nline 2\r\n\r\n--\r\n-- \r\n---" WK "\r\n\r\n");
	T_DATA(&fx, 1, "\r\n");
	fx_free(&fx);
}

static void
test_multipart_lf_only_line_endings(void)
{
	static const char body[] =
	    "--b\n"
	    "Content-Disposition: form-data; name=\"a\"\n"
	    "\n"
	    "one\ntwo\n"
	    "--b\n"
	    "Content-Disposition: form-data; name=\"f\"; filename=\"x.txt\"\n"
	    "Content-Type: text/plain\n"
	    "\n"
	    "\n"
	    "--b\n"
	    "Content-Disposition: form-data; name=\"c\"\r\n"
	    "\r\n"
	    "mixed\n"
	    "--b--\n";
	struct fx	fx;

	T_EQ_INT(fx_parse(&fx, body, sizeof(body) - 1, "b"), INTAKE_OK);
	T_EQ_INT(fx.mp->nparts, 3);
	T_DATA(&fx, 0, "one\ntwo");
	T_EQ_STR(fx.mp->parts[1].filename, "x.txt");
	T_EQ_INT(fx.mp->parts[1].len, 0);
	T_DATA(&fx, 2, "mixed");
	fx_free(&fx);
}

static void
test_multipart_quoted_names_with_escaped_quotes(void)
{
	static const char body[] =
	    "--b\r\n"
	    "Content-Disposition: form-data; name=\"say \\\"hi\\\"\"; "
	    "filename=\"a \\\"b\\\" \\\\ c.txt\"\r\n\r\n"
	    "v\r\n"
	    "--b\r\n"
	    "Content-Disposition: form-data; name=\"semi;colon\"\r\n\r\n"
	    "w\r\n"
	    "--b--\r\n";
	struct fx	fx;

	T_EQ_INT(fx_parse(&fx, body, sizeof(body) - 1, "b"), INTAKE_OK);
	T_EQ_INT(fx.mp->nparts, 2);
	T_EQ_STR(fx.mp->parts[0].name, "say \"hi\"");
	/* "\\" is one backslash, and a backslash is a path separator. */
	T_EQ_STR(fx.mp->parts[0].filename, " c.txt");
	T_EQ_STR(fx.mp->parts[1].name, "semi;colon");
	fx_free(&fx);
}

static void
test_multipart_token_form_parameters(void)
{
	struct fx	fx;
	static const char body[] = ONE("Content-Disposition: form-data; name=title; filename=a.txt");
	static const char star[] = ONE("Content-Disposition: form-data; name=\"f\"; "
	    "filename=\"plain.txt\"; filename*=UTF-8''%e2%82%ac.txt");

	T_EQ_INT(fx_parse(&fx, body, sizeof(body) - 1, "b"), INTAKE_OK);
	T_EQ_STR(fx.mp->parts[0].name, "title");
	T_EQ_STR(fx.mp->parts[0].filename, "a.txt");
	fx_free(&fx);

	/* filename* is skipped, filename kept. */
	T_EQ_INT(fx_parse(&fx, star, sizeof(star) - 1, "b"), INTAKE_OK);
	T_EQ_STR(fx.mp->parts[0].filename, "plain.txt");
	fx_free(&fx);
}

static void
test_multipart_header_names_and_params_ignore_case(void)
{
	static const char body[] =
	    "--b\r\n"
	    "content-disposition: Form-Data; NAME=\"x\"; FileName=\"y.bin\"\r\n"
	    "CONTENT-TYPE: Application/Octet-Stream\r\n"
	    "Content-Transfer-Encoding: binary\r\n"
	    "X-Anything:   spaced out\t \r\n"
	    "\r\n"
	    "z\r\n"
	    "--b--\r\n";
	struct fx	fx;

	T_EQ_INT(fx_parse(&fx, body, sizeof(body) - 1, "b"), INTAKE_OK);
	T_EQ_STR(fx.mp->parts[0].name, "x");
	T_EQ_STR(fx.mp->parts[0].filename, "y.bin");
	T_EQ_STR(fx.mp->parts[0].content_type, "Application/Octet-Stream");
	T_DATA(&fx, 0, "z");
	fx_free(&fx);
}

static void
test_multipart_strips_windows_and_unix_paths(void)
{
	static const struct {
		const char	*param;
		const char	*want;
	} cases[] = {
		/* Old IE in intranet mode: the whole path, backslashes unescaped. */
		{ "filename=\"C:\\Users\\x\\report.pdf\"", "report.pdf" },
		/* The same path escaped as a quoted string should be. */
		{ "filename=\"C:\\\\Users\\\\x\\\\report.pdf\"", "report.pdf" },
		{ "filename=\"../../etc/passwd\"", "passwd" },
		{ "filename=\"..\\..\\windows\\win.ini\"", "win.ini" },
		{ "filename=\"/abs/path/x.txt\"", "x.txt" },
		{ "filename=\"\\\\server\\share\\y.doc\"", "y.doc" },
		{ "filename=\"mixed/dir\\z.csv\"", "z.csv" },
		{ "filename=\"..x\"", "..x" },
		{ "filename=\"...\"", "..." },
		{ "filename=\".htaccess\"", ".htaccess" },
		{ "filename=C:\\temp\\token.txt", "token.txt" },
	};
	struct intake_buf	b;
	struct fx		fx;
	size_t			i;

	intake_buf_init(&b, 4096);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		intake_buf_reset(&b);
		(void)intake_buf_printf(&b, "--b\r\nContent-Disposition: form-data; name=\"f\"; "
		    "%s\r\n\r\nv\r\n--b--\r\n", cases[i].param);
		T_EQ_INT(fx_parse(&fx, b.ptr, b.len, "b"), INTAKE_OK);
		T_EQ_INT(fx.mp->parts[0].is_file, 1);
		T_EQ_STR(fx.mp->parts[0].filename, cases[i].want);
		fx_free(&fx);
	}
	intake_buf_free(&b);
}

static void
test_multipart_preamble_and_epilogue_are_ignored(void)
{
	static const char body[] =
	    "This is the preamble.  --b is not a boundary here.\r\n"
	    "--b\r\n"
	    "Content-Disposition: form-data; name=\"a\"\r\n\r\n"
	    "1\r\n"
	    "--b--\r\n"
	    "This is the epilogue.\r\n--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n"
	    "not a part\r\n--b--\r\n";
	struct fx	fx;

	T_EQ_INT(fx_parse(&fx, body, sizeof(body) - 1, "b"), INTAKE_OK);
	T_EQ_INT(fx.mp->nparts, 1);
	T_EQ_STR(fx.mp->parts[0].name, "a");
	T_DATA(&fx, 0, "1");
	fx_free(&fx);

	/* An LF-only preamble, and no line end after the close delimiter. */
	T_EQ_INT(fx_parse(&fx, "junk\n--b\nContent-Disposition: form-data; name=a\n\nv\n--b--",
	    sizeof("junk\n--b\nContent-Disposition: form-data; name=a\n\nv\n--b--") - 1, "b"),
	    INTAKE_OK);
	T_EQ_INT(fx.mp->nparts, 1);
	T_DATA(&fx, 0, "v");
	fx_free(&fx);
}

static void
test_multipart_empty_part_bodies(void)
{
	static const char body[] =
	    "--b\r\n"
	    "Content-Disposition: form-data; name=\"empty\"\r\n\r\n"
	    "\r\n"
	    "--b\r\n"
	    /* Headers straight into the delimiter: the empty line is its CRLF. */
	    "Content-Disposition: form-data; name=\"bare\"\r\n"
	    "\r\n"
	    "--b\r\n"
	    "Content-Disposition: form-data; name=\"last\"\r\n\r\n"
	    "\r\n"
	    "--b--\r\n";
	struct fx	fx;

	T_EQ_INT(fx_parse(&fx, body, sizeof(body) - 1, "b"), INTAKE_OK);
	T_EQ_INT(fx.mp->nparts, 3);
	T_EQ_INT(fx.mp->parts[0].len, 0);
	T_EQ_INT(fx.mp->parts[1].len, 0);
	T_EQ_INT(fx.mp->parts[2].len, 0);
	T_EQ_STR(fx.mp->parts[1].name, "bare");
	fx_free(&fx);
}

static void
test_multipart_no_parts(void)
{
	struct fx	fx;

	/* A form with nothing to send: Chromium sends just the close delimiter. */
	T_EQ_INT(fx_parse(&fx, "--" WK "--\r\n", sizeof("--" WK "--\r\n") - 1, WK), INTAKE_OK);
	T_EQ_INT(fx.mp->nparts, 0);
	fx_free(&fx);
}

static void
test_multipart_transport_padding_after_boundary(void)
{
	static const char body[] =
	    "--b  \t\r\n"
	    "Content-Disposition: form-data; name=\"a\"\r\n\r\n"
	    "1\r\n"
	    "--b \r\n"
	    "Content-Disposition: form-data; name=\"c\"\r\n\r\n"
	    "2\r\n"
	    "--b--  \r\n";
	struct fx	fx;

	T_EQ_INT(fx_parse(&fx, body, sizeof(body) - 1, "b"), INTAKE_OK);
	T_EQ_INT(fx.mp->nparts, 2);
	T_DATA(&fx, 1, "2");
	fx_free(&fx);
}

static void
test_multipart_binary_data_with_nul_cr_and_dashes(void)
{
	static const char body[] =
	    "--b\r\n"
	    "Content-Disposition: form-data; name=\"f\"; filename=\"x.bin\"\r\n\r\n"
	    "\0\0\r\r\n\n-\r\n-\r--b\n\r-b--\r\n"
	    "--b--\r\n";
	static const char want[] = "\0\0\r\r\n\n-\r\n-\r--b\n\r-b--";
	struct fx	fx;

	T_EQ_INT(fx_parse(&fx, body, sizeof(body) - 1, "b"), INTAKE_OK);
	T_EQ_INT(fx.mp->nparts, 1);
	T_EQ_INT(fx.mp->parts[0].len, sizeof(want) - 1);
	T_EQ_MEM(fx.mp->parts[0].data, want, sizeof(want) - 1);
	fx_free(&fx);
}

static void
test_multipart_does_not_split_on_boundary_inside_data(void)
{
	static const char body[] =
	    "--" WK "\r\n"
	    "Content-Disposition: form-data; name=\"a\"\r\n\r\n"
	    "text --" WK " inline, " WK " bare,\r\n"
	    WK " at a line start, \r--" WK " after CR only,\n-" WK " one dash\r\n"
	    "--" WK "\r\n"
	    "Content-Disposition: form-data; name=\"b\"\r\n\r\n"
	    "x--" WK "--\r\n"
	    "--" WK "--\r\n";
	static const char early[] =
	    "--b\r\nContent-Disposition: form-data; name=a\r\n\r\n--b--x\r\n--b--\r\n";
	struct fx	fx;

	T_EQ_INT(fx_parse(&fx, body, sizeof(body) - 1, WK), INTAKE_OK);
	T_EQ_INT(fx.mp->nparts, 2);
	T_DATA(&fx, 0, "text --" WK " inline, " WK " bare,\r\n"
	    WK " at a line start, \r--" WK " after CR only,\n-" WK " one dash");
	/* Not at a line start, so data, even though it reads as a close. */
	T_DATA(&fx, 1, "x--" WK "--");
	fx_free(&fx);

	/*
	 * Data that starts with the delimiter is not data: the empty line's
	 * CRLF is the delimiter's (RFC 2046 lets a part end with its headers).
	 */
	T_EQ_INT(fx_parse(&fx, early, sizeof(early) - 1, "b"), INTAKE_OK);
	T_EQ_INT(fx.mp->nparts, 1);
	T_EQ_INT(fx.mp->parts[0].len, 0);
	fx_free(&fx);
}

static void
test_multipart_exactly_64_parts(void)
{
	struct intake_buf	b;
	struct fx		fx;
	size_t			i;

	intake_buf_init(&b, 1 << 20);
	for (i = 0; i < INTAKE_MULTIPART_PARTS_MAX; i++)
		(void)intake_buf_printf(&b, "--b\r\nContent-Disposition: form-data; "
		    "name=\"f%zu\"\r\n\r\n%zu\r\n", i, i);
	(void)intake_buf_adds(&b, "--b--\r\n");
	T_EQ_INT(fx_parse(&fx, b.ptr, b.len, "b"), INTAKE_OK);
	T_EQ_INT(fx.mp->nparts, INTAKE_MULTIPART_PARTS_MAX);
	T_EQ_STR(fx.mp->parts[63].name, "f63");
	T_DATA(&fx, 63, "63");
	fx_free(&fx);
	intake_buf_free(&b);
}

static void
test_multipart_rejects_part_flood(void)
{
	struct intake_buf	b;
	struct fx		fx;
	size_t			i;

	intake_buf_init(&b, 1 << 20);
	for (i = 0; i < INTAKE_MULTIPART_PARTS_MAX + 1; i++)
		(void)intake_buf_printf(&b, "--b\r\nContent-Disposition: form-data; "
		    "name=\"f%zu\"\r\n\r\n%zu\r\n", i, i);
	(void)intake_buf_adds(&b, "--b--\r\n");
	T_EQ_INT(fx_parse(&fx, b.ptr, b.len, "b"), INTAKE_ETOOBIG);
	fx_free(&fx);

	/* Ten thousand empty parts: refused at the 65th, not read through. */
	intake_buf_reset(&b);
	for (i = 0; i < 10000; i++)
		(void)intake_buf_adds(&b, "--b\r\nContent-Disposition: form-data; name=x\r\n\r\n\r\n");
	(void)intake_buf_adds(&b, "--b--\r\n");
	T_EQ_INT(fx_parse(&fx, b.ptr, b.len, "b"), INTAKE_ETOOBIG);
	fx_free(&fx);
	intake_buf_free(&b);
}

static void
test_multipart_rejects_missing_close_delimiter(void)
{
	T_REFUSED("--b\r\nContent-Disposition: form-data; name=a\r\n\r\nv", "b", INTAKE_EINVAL);
	T_REFUSED("--b\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n", "b", INTAKE_EINVAL);
	T_REFUSED("--b\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n--b", "b",
	    INTAKE_EINVAL);
	T_REFUSED("--b\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n--b\r\n", "b",
	    INTAKE_EINVAL);
	T_REFUSED("--b\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n--b-", "b",
	    INTAKE_EINVAL);
	T_REFUSED("--b\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n--b\r", "b",
	    INTAKE_EINVAL);
	/* Cut inside the headers, or right after the first boundary. */
	T_REFUSED("--b\r\nContent-Disposition: form-data; name=a\r\n", "b", INTAKE_EINVAL);
	T_REFUSED("--b\r\nContent-Disposition: form-data; na", "b", INTAKE_EINVAL);
	T_REFUSED("--b\r\n", "b", INTAKE_EINVAL);
	T_REFUSED("--b", "b", INTAKE_EINVAL);
	/* No boundary at all, or another one. */
	T_REFUSED("", "b", INTAKE_EINVAL);
	T_REFUSED("name=value&x=y", "b", INTAKE_EINVAL);
	T_REFUSED(ONE("Content-Disposition: form-data; name=a"), "c", INTAKE_EINVAL);
	/* The close delimiter inside data, not at a line start. */
	T_REFUSED("--b\r\nContent-Disposition: form-data; name=a\r\n\r\nv--b--", "b",
	    INTAKE_EINVAL);
}

static void
test_multipart_rejects_text_after_boundary_on_its_line(void)
{
	/* Another parser may split here; two readings of a body, refused. */
	T_REFUSED("--bb\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n--b--\r\n", "b",
	    INTAKE_EINVAL);
	T_REFUSED("--b\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n--bX\r\n--b--\r\n",
	    "b", INTAKE_EINVAL);
	T_REFUSED("--b x\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n--b--\r\n", "b",
	    INTAKE_EINVAL);
}

static void
test_multipart_rejects_header_line_flood(void)
{
	struct intake_buf	b;
	struct fx		fx;
	size_t			pad;

	/* 1024 bytes is the longest line; X-Pad: adds 7 bytes. */
	intake_buf_init(&b, 1 << 22);
	pad = INTAKE_MULTIPART_LINE_MAX - 7;
	(void)intake_buf_adds(&b, "--b\r\nX-Pad: ");
	while (pad-- > 0)
		(void)intake_buf_addc(&b, 'a');
	(void)intake_buf_adds(&b, "\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n--b--\r\n");
	T_EQ_INT(fx_parse(&fx, b.ptr, b.len, "b"), INTAKE_OK);
	fx_free(&fx);

	intake_buf_reset(&b);
	pad = INTAKE_MULTIPART_LINE_MAX - 6;
	(void)intake_buf_adds(&b, "--b\r\nX-Pad: ");
	while (pad-- > 0)
		(void)intake_buf_addc(&b, 'a');
	(void)intake_buf_adds(&b, "\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n--b--\r\n");
	T_EQ_INT(fx_parse(&fx, b.ptr, b.len, "b"), INTAKE_EINVAL);
	fx_free(&fx);

	/* The same with bare LFs: 1024 bytes and a LF fit, 1025 do not. */
	intake_buf_reset(&b);
	pad = INTAKE_MULTIPART_LINE_MAX - 7;
	(void)intake_buf_adds(&b, "--b\nX-Pad: ");
	while (pad-- > 0)
		(void)intake_buf_addc(&b, 'a');
	(void)intake_buf_adds(&b, "\nContent-Disposition: form-data; name=a\n\nv\n--b--\n");
	T_EQ_INT(fx_parse(&fx, b.ptr, b.len, "b"), INTAKE_OK);
	fx_free(&fx);
	intake_buf_reset(&b);
	pad = INTAKE_MULTIPART_LINE_MAX - 6;
	(void)intake_buf_adds(&b, "--b\nX-Pad: ");
	while (pad-- > 0)
		(void)intake_buf_addc(&b, 'a');
	(void)intake_buf_adds(&b, "\nContent-Disposition: form-data; name=a\n\nv\n--b--\n");
	T_EQ_INT(fx_parse(&fx, b.ptr, b.len, "b"), INTAKE_EINVAL);
	fx_free(&fx);

	/* A 2 MB header line with no end. */
	intake_buf_reset(&b);
	(void)intake_buf_adds(&b, "--b\r\nContent-Disposition: form-data; name=\"");
	for (pad = 0; pad < (2u << 20); pad++)
		(void)intake_buf_addc(&b, 'n');
	(void)intake_buf_adds(&b, "\"\r\n\r\nv\r\n--b--\r\n");
	T_EQ_INT(fx_parse(&fx, b.ptr, b.len, "b"), INTAKE_EINVAL);
	fx_free(&fx);
	intake_buf_free(&b);
}

static void
test_multipart_rejects_header_count_flood(void)
{
	struct intake_buf	b;
	struct fx		fx;
	size_t			i;

	intake_buf_init(&b, 1 << 20);
	(void)intake_buf_adds(&b, "--b\r\nContent-Disposition: form-data; name=a\r\n");
	for (i = 1; i < INTAKE_MULTIPART_HEADERS_MAX; i++)
		(void)intake_buf_printf(&b, "X-H%zu: v\r\n", i);
	(void)intake_buf_adds(&b, "\r\nv\r\n--b--\r\n");
	T_EQ_INT(fx_parse(&fx, b.ptr, b.len, "b"), INTAKE_OK);
	fx_free(&fx);

	intake_buf_reset(&b);
	(void)intake_buf_adds(&b, "--b\r\nContent-Disposition: form-data; name=a\r\n");
	for (i = 1; i < INTAKE_MULTIPART_HEADERS_MAX + 1; i++)
		(void)intake_buf_printf(&b, "X-H%zu: v\r\n", i);
	(void)intake_buf_adds(&b, "\r\nv\r\n--b--\r\n");
	T_EQ_INT(fx_parse(&fx, b.ptr, b.len, "b"), INTAKE_EINVAL);
	fx_free(&fx);

	/* Fifty thousand tiny headers. */
	intake_buf_reset(&b);
	(void)intake_buf_adds(&b, "--b\r\n");
	for (i = 0; i < 50000; i++)
		(void)intake_buf_adds(&b, "X:\r\n");
	(void)intake_buf_adds(&b, "Content-Disposition: form-data; name=a\r\n\r\nv\r\n--b--\r\n");
	T_EQ_INT(fx_parse(&fx, b.ptr, b.len, "b"), INTAKE_EINVAL);
	fx_free(&fx);
	intake_buf_free(&b);
}

static void
test_multipart_rejects_nul_in_name(void)
{
	T_REFUSED_LIT(ONE("Content-Disposition: form-data; name=\"a\0b\""), "b", INTAKE_EINVAL);
	T_REFUSED_LIT(ONE("Content-Disposition: form-data; name=a\0b"), "b", INTAKE_EINVAL);
	T_REFUSED_LIT(ONE("Content-Disposition: form-data; name=\"a\"; filename=\"x\0.php\""),
	    "b", INTAKE_EINVAL);
	T_REFUSED_LIT(ONE("Content-\0Disposition: form-data; name=\"a\""), "b", INTAKE_EINVAL);
}

static void
test_multipart_rejects_control_bytes_in_name_and_filename(void)
{
	T_REFUSED(ONE("Content-Disposition: form-data; name=\"a\x01\""), "b", INTAKE_EINVAL);
	T_REFUSED(ONE("Content-Disposition: form-data; name=\"a\x7f\""), "b", INTAKE_EINVAL);
	T_REFUSED(ONE("Content-Disposition: form-data; name=\"a\x1b[31m\""), "b", INTAKE_EINVAL);
	/* C1 controls (U+0085 NEL, U+009B CSI) are UTF-8 but still controls. */
	T_REFUSED(ONE("Content-Disposition: form-data; name=\"a\xc2\x85\""), "b", INTAKE_EINVAL);
	T_REFUSED(ONE("Content-Disposition: form-data; name=a; filename=\"\xc2\x9b" "1m.txt\""),
	    "b", INTAKE_EINVAL);
	/* A bare CR in a header line: header injection in a log or a reply. */
	T_REFUSED(ONE("Content-Disposition: form-data; name=\"a\rSet-Cookie: x\""), "b",
	    INTAKE_EINVAL);
	/* A tab inside a quoted string is allowed by RFC 9110, but not in a name. */
	T_REFUSED(ONE("Content-Disposition: form-data; name=\"a\tb\""), "b", INTAKE_EINVAL);
}

static void
test_multipart_rejects_invalid_utf8_in_name_and_filename(void)
{
	static const char *const bad[] = {
		"\xc0\xaf",		/* overlong '/' */
		"\xe0\x80\xaf",		/* overlong '/' */
		"\x80",			/* lone continuation */
		"\xc3",			/* cut short */
		"\xed\xa0\x80",		/* surrogate */
		"\xf4\x90\x80\x80",	/* past U+10FFFF */
		"\xff",
	};
	struct intake_buf	b;
	struct fx		fx;
	size_t			i;

	intake_buf_init(&b, 4096);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		intake_buf_reset(&b);
		(void)intake_buf_printf(&b, ONE("Content-Disposition: form-data; name=\"n%s\""),
		    bad[i]);
		T_EQ_INT(fx_parse(&fx, b.ptr, b.len, "b"), INTAKE_EINVAL);
		fx_free(&fx);
		intake_buf_reset(&b);
		(void)intake_buf_printf(&b, ONE("Content-Disposition: form-data; name=n; "
		    "filename=\"..%s.txt\""), bad[i]);
		T_EQ_INT(fx_parse(&fx, b.ptr, b.len, "b"), INTAKE_EINVAL);
		fx_free(&fx);
	}
	intake_buf_free(&b);
}

static void
test_multipart_rejects_filename_dotdot(void)
{
	T_REFUSED(ONE("Content-Disposition: form-data; name=f; filename=\"..\""), "b",
	    INTAKE_EINVAL);
	T_REFUSED(ONE("Content-Disposition: form-data; name=f; filename=\".\""), "b",
	    INTAKE_EINVAL);
	T_REFUSED(ONE("Content-Disposition: form-data; name=f; filename=\"a/..\""), "b",
	    INTAKE_EINVAL);
	T_REFUSED(ONE("Content-Disposition: form-data; name=f; filename=\"a\\..\""), "b",
	    INTAKE_EINVAL);
	T_REFUSED(ONE("Content-Disposition: form-data; name=f; filename=\"../../..\""), "b",
	    INTAKE_EINVAL);
	T_REFUSED(ONE("Content-Disposition: form-data; name=f; filename=\"/etc/.\""), "b",
	    INTAKE_EINVAL);
	/* Nothing left after the directories. */
	T_REFUSED(ONE("Content-Disposition: form-data; name=f; filename=\"C:\\\\\""), "b",
	    INTAKE_EINVAL);
	T_REFUSED(ONE("Content-Disposition: form-data; name=f; filename=\"dir/\""), "b",
	    INTAKE_EINVAL);
	T_REFUSED(ONE("Content-Disposition: form-data; name=f; filename=\"/\""), "b",
	    INTAKE_EINVAL);
	T_REFUSED(ONE("Content-Disposition: form-data; name=f; filename=..\\"), "b",
	    INTAKE_EINVAL);
}

static void
test_multipart_rejects_part_without_form_data_name(void)
{
	T_REFUSED("--b\r\n\r\nv\r\n--b--\r\n", "b", INTAKE_EINVAL);
	T_REFUSED(ONE("Content-Type: text/plain"), "b", INTAKE_EINVAL);
	T_REFUSED(ONE("Content-Disposition: form-data"), "b", INTAKE_EINVAL);
	T_REFUSED(ONE("Content-Disposition: form-data;"), "b", INTAKE_EINVAL);
	T_REFUSED(ONE("Content-Disposition: form-data; filename=\"x.txt\""), "b", INTAKE_EINVAL);
	T_REFUSED(ONE("Content-Disposition: form-data; name=\"\""), "b", INTAKE_EINVAL);
	T_REFUSED(ONE("Content-Disposition: form-data; name="), "b", INTAKE_EINVAL);
	T_REFUSED(ONE("Content-Disposition: attachment; name=\"a\""), "b", INTAKE_EINVAL);
	T_REFUSED(ONE("Content-Disposition: form-datax; name=\"a\""), "b", INTAKE_EINVAL);
	T_REFUSED(ONE("Content-Disposition: name=\"a\""), "b", INTAKE_EINVAL);
	T_REFUSED(ONE("Content-Disposition: form-data name=\"a\""), "b", INTAKE_EINVAL);
	/* The second part has none. */
	T_REFUSED("--b\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n"
	    "--b\r\nContent-Type: text/plain\r\n\r\nw\r\n--b--\r\n", "b", INTAKE_EINVAL);
}

static void
test_multipart_rejects_ambiguous_duplicates(void)
{
	/* Which name is it?  Two readers could disagree, so neither. */
	T_REFUSED(ONE("Content-Disposition: form-data; name=\"a\"; name=\"admin\""), "b",
	    INTAKE_EINVAL);
	T_REFUSED(ONE("Content-Disposition: form-data; name=a; filename=x.txt; filename=x.php"),
	    "b", INTAKE_EINVAL);
	T_REFUSED("--b\r\nContent-Disposition: form-data; name=a\r\n"
	    "Content-Disposition: form-data; name=b\r\n\r\nv\r\n--b--\r\n", "b", INTAKE_EINVAL);
	T_REFUSED("--b\r\nContent-Disposition: form-data; name=a\r\n"
	    "Content-Type: text/plain\r\nContent-Type: text/html\r\n\r\nv\r\n--b--\r\n", "b",
	    INTAKE_EINVAL);
}

static void
test_multipart_rejects_bad_header_syntax(void)
{
	/* Folded (obs-fold) continuation lines. */
	T_REFUSED("--b\r\nContent-Disposition: form-data;\r\n name=a\r\n\r\nv\r\n--b--\r\n", "b",
	    INTAKE_EINVAL);
	/* No colon, space before the colon, empty name. */
	T_REFUSED(ONE("Content-Disposition form-data; name=a"), "b", INTAKE_EINVAL);
	T_REFUSED(ONE("Content-Disposition : form-data; name=a"), "b", INTAKE_EINVAL);
	T_REFUSED("--b\r\n: x\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n--b--\r\n",
	    "b", INTAKE_EINVAL);
	/* Unterminated quote, stray quote, junk after a quoted value. */
	T_REFUSED(ONE("Content-Disposition: form-data; name=\"a"), "b", INTAKE_EINVAL);
	T_REFUSED(ONE("Content-Disposition: form-data; name=\"a\\\""), "b", INTAKE_EINVAL);
	T_REFUSED(ONE("Content-Disposition: form-data; name=a\"b"), "b", INTAKE_EINVAL);
	T_REFUSED(ONE("Content-Disposition: form-data; name=\"a\"b"), "b", INTAKE_EINVAL);
	T_REFUSED(ONE("Content-Disposition: form-data; name=a b"), "b", INTAKE_EINVAL);
	T_REFUSED(ONE("Content-Disposition: form-data; =a"), "b", INTAKE_EINVAL);
	T_REFUSED(ONE("Content-Disposition: form-data; name"), "b", INTAKE_EINVAL);
	/* A part Content-Type that will not fit or is not ASCII. */
	T_REFUSED(ONE("Content-Disposition: form-data; name=a\r\nContent-Type: "
	    "text/\xc3\xa9"), "b", INTAKE_EINVAL);
	T_REFUSED(ONE("Content-Disposition: form-data; name=a\r\nContent-Type: application/"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"), "b", INTAKE_EINVAL);
}

static void
test_multipart_name_and_filename_lengths(void)
{
	struct intake_buf	b;
	struct fx		fx;
	size_t			i;

	intake_buf_init(&b, 8192);
	/* 127 bytes of name fit; 128 do not. */
	(void)intake_buf_adds(&b, "--b\r\nContent-Disposition: form-data; name=\"");
	for (i = 0; i < INTAKE_MULTIPART_NAME_MAX - 1; i++)
		(void)intake_buf_addc(&b, 'n');
	(void)intake_buf_adds(&b, "\"\r\n\r\nv\r\n--b--\r\n");
	T_EQ_INT(fx_parse(&fx, b.ptr, b.len, "b"), INTAKE_OK);
	T_EQ_INT(strlen(fx.mp->parts[0].name), INTAKE_MULTIPART_NAME_MAX - 1);
	fx_free(&fx);
	intake_buf_reset(&b);
	(void)intake_buf_adds(&b, "--b\r\nContent-Disposition: form-data; name=\"");
	for (i = 0; i < INTAKE_MULTIPART_NAME_MAX; i++)
		(void)intake_buf_addc(&b, 'n');
	(void)intake_buf_adds(&b, "\"\r\n\r\nv\r\n--b--\r\n");
	T_EQ_INT(fx_parse(&fx, b.ptr, b.len, "b"), INTAKE_EINVAL);
	fx_free(&fx);

	/* 255 bytes of file name fit, after a long path; 256 do not. */
	intake_buf_reset(&b);
	(void)intake_buf_adds(&b, "--b\r\nContent-Disposition: form-data; name=f; filename=\"");
	for (i = 0; i < 600; i++)
		(void)intake_buf_addc(&b, i % 10 == 9 ? '\\' : 'd');
	for (i = 0; i < INTAKE_MULTIPART_FILENAME_MAX; i++)
		(void)intake_buf_addc(&b, 'f');
	(void)intake_buf_adds(&b, "\"\r\n\r\nv\r\n--b--\r\n");
	T_EQ_INT(fx_parse(&fx, b.ptr, b.len, "b"), INTAKE_OK);
	T_EQ_INT(strlen(fx.mp->parts[0].filename), INTAKE_MULTIPART_FILENAME_MAX);
	fx_free(&fx);
	intake_buf_reset(&b);
	(void)intake_buf_adds(&b, "--b\r\nContent-Disposition: form-data; name=f; filename=\"");
	for (i = 0; i < INTAKE_MULTIPART_FILENAME_MAX + 1; i++)
		(void)intake_buf_addc(&b, 'f');
	(void)intake_buf_adds(&b, "\"\r\n\r\nv\r\n--b--\r\n");
	T_EQ_INT(fx_parse(&fx, b.ptr, b.len, "b"), INTAKE_EINVAL);
	fx_free(&fx);
	intake_buf_free(&b);
}

static void
test_multipart_rejects_boundary_too_long(void)
{
	char	b70[71], b71[72], body[400];
	struct fx fx;
	int	n;

	memset(b70, 'x', 70);
	b70[70] = '\0';
	memset(b71, 'x', 71);
	b71[71] = '\0';
	n = snprintf(body, sizeof(body), "--%s\r\nContent-Disposition: form-data; name=a\r\n\r\n"
	    "v\r\n--%s--\r\n", b70, b70);
	T_EQ_INT(fx_parse(&fx, body, (size_t)n, b70), INTAKE_OK);
	T_EQ_INT(fx.mp->nparts, 1);
	fx_free(&fx);
	n = snprintf(body, sizeof(body), "--%s\r\nContent-Disposition: form-data; name=a\r\n\r\n"
	    "v\r\n--%s--\r\n", b71, b71);
	T_EQ_INT(fx_parse(&fx, body, (size_t)n, b71), INTAKE_EINVAL);
	fx_free(&fx);
}

static void
test_multipart_rejects_boundary_bad_chars(void)
{
	static const char *const bad[] = {
		"", "a\"b", "a;b", "a\\b", "a\rb", "a\nb", "a\tb", "ab ", "a@b", "a*b",
		"a\xc3\xa9", "{x}",
	};
	static const char *const good[] = {
		"a b", "'()+_,-./:=?", "----=_Part_0_12.34", "0",
	};
	char		body[300];
	struct fx	fx;
	size_t		i;
	int		n;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = snprintf(body, sizeof(body), "--%s\r\nContent-Disposition: form-data; "
		    "name=a\r\n\r\nv\r\n--%s--\r\n", bad[i], bad[i]);
		T_EQ_INT(fx_parse(&fx, body, (size_t)n, bad[i]), INTAKE_EINVAL);
		fx_free(&fx);
	}
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		n = snprintf(body, sizeof(body), "--%s\r\nContent-Disposition: form-data; "
		    "name=a\r\n\r\nv\r\n--%s--\r\n", good[i], good[i]);
		T_EQ_INT(fx_parse(&fx, body, (size_t)n, good[i]), INTAKE_OK);
		T_DATA(&fx, 0, "v");
		fx_free(&fx);
	}
}

static void
test_multipart_reads_only_len_bytes(void)
{
	static const char body[] =
	    "--b\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n--b--\r\n";
	struct fx	fx;
	size_t		n;

	/* Every prefix short of "--b--" is refused; from there on it parses. */
	for (n = 0; n < sizeof(body) - 1; n++) {
		enum intake_err want = n >= sizeof(body) - 3 ? INTAKE_OK : INTAKE_EINVAL;

		T_EQ_INT(fx_parse(&fx, body, n, "b"), want);
		fx_free(&fx);
	}
}

static void
test_multipart_near_miss_flood(void)
{
	struct intake_buf	b;
	struct fx		fx;
	size_t			i;

	/*
	 * Eight MB of lines that almost start a delimiter, the worst case of
	 * a naive search; linear in the body with memmem().
	 */
	intake_buf_init(&b, 1 << 24);
	(void)intake_buf_adds(&b, "--" WK "\r\nContent-Disposition: form-data; name=a\r\n\r\n");
	while (b.len < (8u << 20))
		(void)intake_buf_adds(&b, "\r\n--" "----WebKitFormBoundary7MA4YWxkTrZu0g");
	(void)intake_buf_adds(&b, "\r\n--" WK "--\r\n");
	T_EQ_INT(fx_parse(&fx, b.ptr, b.len, WK), INTAKE_OK);
	T_EQ_INT(fx.mp->nparts, 1);
	T_ASSERT(fx.mp->parts[0].len > (8u << 20) - 100);
	fx_free(&fx);

	/* A body of nothing but newlines and dashes. */
	intake_buf_reset(&b);
	for (i = 0; i < (4u << 20); i++)
		(void)intake_buf_addc(&b, i % 4 == 0 ? '\n' : '-');
	T_EQ_INT(fx_parse(&fx, b.ptr, b.len, "-"), INTAKE_EINVAL);
	fx_free(&fx);
	intake_buf_free(&b);
}

/* intake_multipart_boundary() of ct: err, and the boundary on success. */
static enum intake_err
boundary_of(const char *ct, char *out, size_t outsz)
{
	memset(out, '#', outsz);
	return intake_multipart_boundary(ct, out, outsz);
}

static void
test_multipart_boundary_from_content_type(void)
{
	static const struct {
		const char	*ct;
		const char	*want;
	} cases[] = {
		{ "multipart/form-data; boundary=" WK, WK },
		{ "multipart/form-data; boundary=" FF, FF },
		{ "multipart/form-data; boundary=\"" WK "\"", WK },
		{ "multipart/form-data;boundary=abc", "abc" },
		{ "Multipart/Form-Data; BOUNDARY=abc", "abc" },
		{ "MULTIPART/FORM-DATA; Boundary=\"abc\"", "abc" },
		{ "  multipart/form-data ; boundary = abc ", "abc" },
		{ "multipart/form-data; charset=utf-8; boundary=x; foo=\"bar;baz\"", "x" },
		{ "multipart/form-data; foo=\"boundary=nope\"; boundary=yes", "yes" },
		{ "multipart/form-data; boundary=\"a b:c?d\"", "a b:c?d" },
		{ "multipart/form-data; boundary=----=_Part_0_1.2", "----=_Part_0_1.2" },
		{ "multipart/form-data; boundary=\"esc\\aped\\\\\"", NULL },
		{ "multipart/form-data; boundary=abc;", "abc" },
		{ "multipart/form-data;; boundary=abc", "abc" },
	};
	char	out[INTAKE_MULTIPART_BOUNDARY_MAX + 1];
	size_t	i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cases[i].want == NULL) {
			T_EQ_INT(boundary_of(cases[i].ct, out, sizeof(out)), INTAKE_EINVAL);
			continue;
		}
		T_EQ_INT(boundary_of(cases[i].ct, out, sizeof(out)), INTAKE_OK);
		T_EQ_STR(out, cases[i].want);
	}
}

static void
test_multipart_boundary_rejects_other_types_and_bad_values(void)
{
	static const char *const bad[] = {
		"",
		"multipart/form-data",
		"multipart/form-data;",
		"multipart/form-data; charset=utf-8",
		"multipart/form-data; boundary=",
		"multipart/form-data; boundary=\"\"",
		"multipart/form-data; boundary=\"abc",
		"multipart/form-data; boundary=\"abc \"",
		"multipart/form-data; boundary=a\"b",
		"multipart/form-data; boundary=a@b",
		"multipart/form-data; boundary=a; boundary=b",
		"multipart/form-data; boundary=a; boundary=a",
		"multipart/form-data boundary=abc",
		"multipart/form-dataX; boundary=abc",
		"multipart/mixed; boundary=abc",
		"multipart/alternative; boundary=abc",
		"application/x-www-form-urlencoded",
		"application/x-www-form-urlencoded; boundary=abc",
		"text/plain; boundary=abc",
		"form-data; boundary=abc",
		"multipart/form-data; boundary=abc junk",
		"multipart/form-data; boundary=\"abc\"junk",
		"multipart/form-data; boundary=a\x01",
		"multipart/form-data; =abc",
		("multipart/form-data; boundary="
		    "12345678901234567890123456789012345678901234567890123456789012345678901"),
	};
	char	out[INTAKE_MULTIPART_BOUNDARY_MAX + 1];
	char	fill[sizeof(out)];
	size_t	i;

	memset(fill, '#', sizeof(fill));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		T_EQ_INT(boundary_of(bad[i], out, sizeof(out)), INTAKE_EINVAL);
		T_EQ_MEM(out, fill, sizeof(out));
	}
	/* 70 is the longest. */
	T_EQ_INT(boundary_of("multipart/form-data; boundary="
	    "1234567890123456789012345678901234567890123456789012345678901234567890", out,
	    sizeof(out)), INTAKE_OK);
	T_EQ_INT(strlen(out), 70);
}

static void
test_multipart_boundary_out_too_small(void)
{
	char	out[4], fill[4];

	memset(fill, '#', sizeof(fill));
	T_EQ_INT(boundary_of("multipart/form-data; boundary=abcd", out, sizeof(out)),
	    INTAKE_ETOOBIG);
	T_EQ_MEM(out, fill, sizeof(out));
	T_EQ_INT(boundary_of("multipart/form-data; boundary=abc", out, sizeof(out)), INTAKE_OK);
	T_EQ_STR(out, "abc");
	T_EQ_INT(intake_multipart_boundary("multipart/form-data; boundary=abc", out, 0),
	    INTAKE_ETOOBIG);
}

static void
test_multipart_boundary_then_parse(void)
{
	static const char body[] =
	    "--" WK "\r\n"
	    "Content-Disposition: form-data; name=\"q\"\r\n\r\n"
	    "ok\r\n"
	    "--" WK "--\r\n";
	char		b[INTAKE_MULTIPART_BOUNDARY_MAX + 1];
	struct fx	fx;

	T_EQ_INT(intake_multipart_boundary("multipart/form-data; boundary=" WK, b, sizeof(b)),
	    INTAKE_OK);
	T_EQ_INT(fx_parse(&fx, body, sizeof(body) - 1, b), INTAKE_OK);
	T_DATA(&fx, 0, "ok");
	fx_free(&fx);
}

static void
test_media_type_with_junk_after_the_subtype_is_not_it(void)
{
	static const char *const no[] = {
		"application/x-www-form-urlencodedXYZ",
		"application/x-www-form-urlencoded/x",
		"application/x-www-form-urlencoded garbage",
		"application/x-www-form-urlencoded; charset",
		"application/x-www-form-urlencoded; charset=\"utf-8",
		"application/x-www-form",
		"application/x-www-form-urlencode",
		"x-www-form-urlencoded",
		"/x-www-form-urlencoded",
		"application /x-www-form-urlencoded",
		"",
		NULL,
	};
	static const char *const yes[] = {
		"application/x-www-form-urlencoded",
		"Application/X-WWW-Form-URLencoded",
		"application/x-www-form-urlencoded; charset=UTF-8",
		"application/x-www-form-urlencoded ; charset=\"utf-8\"",
		" application/x-www-form-urlencoded;charset=utf-8;;",	/* RFC 9110: empty ones */
		"application/x-www-form-urlencoded;",
		NULL,
	};
	size_t	i;

	for (i = 0; no[i] != NULL; i++)
		T_ASSERT(!intake_media_type_is(no[i], "application/x-www-form-urlencoded"));
	for (i = 0; yes[i] != NULL; i++)
		T_ASSERT(intake_media_type_is(yes[i], "application/x-www-form-urlencoded"));
	/* multipart still needs its boundary, and the type whole. */
	T_ASSERT(intake_media_type_is("multipart/form-data; boundary=x", "multipart/form-data"));
	T_ASSERT(!intake_media_type_is("multipart/form-dataX; boundary=x", "multipart/form-data"));
}

int
main(void)
{
	T_RUN(test_multipart_chromium_text_file_and_empty_file);
	T_RUN(test_multipart_firefox_boundary);
	T_RUN(test_multipart_multiple_files_under_one_name);
	T_RUN(test_multipart_utf8_names_values_and_filenames);
	T_RUN(test_multipart_crlf_inside_values);
	T_RUN(test_multipart_lf_only_line_endings);
	T_RUN(test_multipart_quoted_names_with_escaped_quotes);
	T_RUN(test_multipart_token_form_parameters);
	T_RUN(test_multipart_header_names_and_params_ignore_case);
	T_RUN(test_multipart_strips_windows_and_unix_paths);
	T_RUN(test_multipart_preamble_and_epilogue_are_ignored);
	T_RUN(test_multipart_empty_part_bodies);
	T_RUN(test_multipart_no_parts);
	T_RUN(test_multipart_transport_padding_after_boundary);
	T_RUN(test_multipart_binary_data_with_nul_cr_and_dashes);
	T_RUN(test_multipart_does_not_split_on_boundary_inside_data);
	T_RUN(test_multipart_exactly_64_parts);
	T_RUN(test_multipart_rejects_part_flood);
	T_RUN(test_multipart_rejects_missing_close_delimiter);
	T_RUN(test_multipart_rejects_text_after_boundary_on_its_line);
	T_RUN(test_multipart_rejects_header_line_flood);
	T_RUN(test_multipart_rejects_header_count_flood);
	T_RUN(test_multipart_rejects_nul_in_name);
	T_RUN(test_multipart_rejects_control_bytes_in_name_and_filename);
	T_RUN(test_multipart_rejects_invalid_utf8_in_name_and_filename);
	T_RUN(test_multipart_rejects_filename_dotdot);
	T_RUN(test_multipart_rejects_part_without_form_data_name);
	T_RUN(test_multipart_rejects_ambiguous_duplicates);
	T_RUN(test_multipart_rejects_bad_header_syntax);
	T_RUN(test_multipart_name_and_filename_lengths);
	T_RUN(test_multipart_rejects_boundary_too_long);
	T_RUN(test_multipart_rejects_boundary_bad_chars);
	T_RUN(test_multipart_reads_only_len_bytes);
	T_RUN(test_multipart_near_miss_flood);
	T_RUN(test_multipart_boundary_from_content_type);
	T_RUN(test_multipart_boundary_rejects_other_types_and_bad_values);
	T_RUN(test_multipart_boundary_out_too_small);
	T_RUN(test_multipart_boundary_then_parse);
	T_RUN(test_media_type_with_junk_after_the_subtype_is_not_it);
	return T_DONE();
}
