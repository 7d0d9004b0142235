/*
 * test_spoolrec.c - spool record encoding: round trips, and every way a
 * record on disk can be damaged is refused as a whole.
 */
#include <stdlib.h>
#include <string.h>

#include "spool/spoolrec.h"
#include "util/str.h"
#include "t.h"

static const char png[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

/* A record with text, a multi-value field, a file with NULs, and hostile text. */
static void
sample(struct intake_spoolrec *r)
{
	memset(r, 0, sizeof(*r));
	r->ref = "ABCD-EFGH-JKMN";
	r->form = "it-request";
	r->name = "IT request (ABCD-EFGH-JKMN)";
	r->created_ms = 1732838400123LL;
	r->fields[0].name = "summary";
	r->fields[0].values[0] = "Åsa's \"laptop\"\nline 2\r\nend 64\n";
	r->fields[0].nvalues = 1;
	r->fields[1].name = "tags";
	r->fields[1].values[0] = "a";
	r->fields[1].values[1] = "";
	r->fields[1].values[2] = "field 7";
	r->fields[1].nvalues = 3;
	r->fields[2].name = "screenshot";
	r->fields[2].file_name = "shot.png";
	r->fields[2].file_type = "image/png";
	r->fields[2].file_data = png;
	r->fields[2].file_len = sizeof(png) - 1;
	r->nfields = 3;
}

static size_t
encode(const struct intake_spoolrec *r, char **out)
{
	struct intake_buf	b;

	intake_buf_init(&b, 1 << 20);
	if (intake_spoolrec_encode(r, &b) != INTAKE_OK)
		abort();
	*out = b.ptr;
	return b.len;
}

static void
test_spoolrec_round_trip_keeps_every_byte(void)
{
	struct intake_spoolrec	in, *out = calloc(1, sizeof(*out));
	char			*bytes;
	size_t			 n = 0;

	sample(&in);
	n = encode(&in, &bytes);
	T_EQ_INT(intake_spoolrec_decode(bytes, n, out), INTAKE_OK);
	T_EQ_STR(out->ref, in.ref);
	T_EQ_STR(out->form, in.form);
	T_EQ_STR(out->name, in.name);
	T_EQ_INT(out->created_ms, in.created_ms);
	T_EQ_INT(out->nfields, 3);
	T_EQ_STR(out->fields[0].values[0], in.fields[0].values[0]);
	T_EQ_INT(out->fields[1].nvalues, 3);
	T_EQ_STR(out->fields[1].values[1], "");
	T_EQ_STR(out->fields[1].values[2], "field 7");
	T_EQ_STR(out->fields[2].file_name, "shot.png");
	T_EQ_STR(out->fields[2].file_type, "image/png");
	T_EQ_INT(out->fields[2].file_len, sizeof(png) - 1);
	T_EQ_MEM(out->fields[2].file_data, png, sizeof(png) - 1);
	free(bytes);
	free(out);
}

/*
 * The "accepted while Redis was down" flag survives a round trip; a
 * record without it (every record older versions wrote) reads unflagged,
 * and an unflagged record is written without the entry, as before.
 */
static void
test_spoolrec_unmarked_flag_round_trips_and_old_records_read_unflagged(void)
{
	struct intake_spoolrec	in, *out = calloc(1, sizeof(*out));
	char			*bytes;
	size_t			 n;

	sample(&in);
	n = encode(&in, &bytes);
	T_ASSERT(memmem(bytes, n, "unmarked", 8) == NULL);
	T_EQ_INT(intake_spoolrec_decode(bytes, n, out), INTAKE_OK);
	T_ASSERT(!out->unmarked);
	free(bytes);
	in.unmarked = true;
	n = encode(&in, &bytes);
	T_EQ_INT(intake_spoolrec_decode(bytes, n, out), INTAKE_OK);
	T_ASSERT(out->unmarked);
	T_EQ_INT(out->nfields, 3);
	T_EQ_STR(out->fields[2].file_name, "shot.png");
	free(bytes);
	free(out);
}

static void
test_spoolrec_truncation_anywhere_is_refused(void)
{
	struct intake_spoolrec	in, *out = calloc(1, sizeof(*out));
	char			*bytes, *copy;
	size_t			 n, cut;

	sample(&in);
	n = encode(&in, &bytes);
	copy = malloc(n);
	for (cut = 0; cut < n; cut++) {
		memcpy(copy, bytes, cut);
		if (intake_spoolrec_decode(copy, cut, out) != INTAKE_EINVAL)
			T_FAIL("a record cut to %zu of %zu bytes was accepted", cut, n);
	}
	free(copy);
	free(bytes);
	free(out);
}

static void
test_spoolrec_every_bit_flip_is_refused(void)
{
	struct intake_spoolrec	in, *out = calloc(1, sizeof(*out));
	char			*bytes, *copy;
	size_t			 n, i;
	int			 bit;

	sample(&in);
	n = encode(&in, &bytes);
	copy = malloc(n);
	for (i = 0; i < n; i++)
		for (bit = 0; bit < 8; bit += 3) {
			memcpy(copy, bytes, n);
			copy[i] = (char)(copy[i] ^ (1 << bit));
			if (intake_spoolrec_decode(copy, n, out) != INTAKE_EINVAL)
				T_FAIL("a flip of bit %d at byte %zu was accepted", bit, i);
		}
	free(copy);
	free(bytes);
	free(out);
}

/* A record whose checksum is right but whose framing lies: still refused. */
static void
test_spoolrec_forged_lengths_with_good_checksum_are_refused(void)
{
#define B(x)	{ x, sizeof(x) - 1 }
	static const struct { const char *s; size_t n; } bodies[] = {
		B("ref 14\nABCD-EFGH-JKMN\nform 1\nf\ncreated 1\n1\nname 0\n\nvalue 1\nx\n"),	/* value before field */
		B("ref 14\nABCD-EFGH-JKMN\nform 1\nf\ncreated 1\n1\nname 0\n\nfield 1\na\nfdata 1\nx\n"), /* data without name */
		B("ref 14\nABCD-EFGH-JKMN\nref 14\nABCD-EFGH-JKMN\nform 1\nf\ncreated 1\n1\nname 0\n\n"), /* ref twice */
		B("ref 14\nABCD-EFGH-JKMN\nform 1\nf\ncreated 2\n-1\nname 0\n\n"),		/* negative time */
		B("ref 14\nABCD-EFGH-JKMO\nform 1\nf\ncreated 1\n1\nname 0\n\n"),		/* O is not base32 */
		B("ref 14\nABCD-EFGH-JKMN\nform 1\nf\ncreated 1\n1\nname 99\n\n"),		/* length past the end */
		B("ref 14\nABCD-EFGH-JKMN\nform 1\nf\ncreated 1\n1\nname 1\n\0\n"),	/* NUL in a name */
		B("ref 14\nABCD-EFGH-JKMN\nform 1\nf\ncreated 1\n1\nname 0\n\nbogus 0\n\n"),	/* unknown entry */
		B("ref 14\nABCD-EFGH-JKMN\nform 1\nf\ncreated 1\n1\n"),			/* no name */
		B("ref 14\nABCD-EFGH-JKMN\nform 1\nf\ncreated 1\n1\nname 0\n\nfield 1\na\nfname 1\nx\nftype 0\n\n"), /* file without data */
		B("ref 14\nABCD-EFGH-JKMN\nform 1\nf\ncreated 1\n1\nname 0\n\nunmarked 1\n0\n"),	/* flag other than 1 */
		B("ref 14\nABCD-EFGH-JKMN\nform 1\nf\ncreated 1\n1\nname 0\n\nunmarked 1\n1\nunmarked 1\n1\n"), /* flag twice */
	};
	struct intake_spoolrec	*out = calloc(1, sizeof(*out));
	struct intake_buf	 b;
	char			 sum[65];
	size_t			 i, blen;

	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		intake_buf_init(&b, 4096);
		blen = bodies[i].n;
		T_EQ_INT(intake_buf_adds(&b, "intake-spool 1\n"), INTAKE_OK);
		T_EQ_INT(intake_buf_add(&b, bodies[i].s, blen), INTAKE_OK);
		intake_sha256_hex(b.ptr, b.len, sum);
		T_EQ_INT(intake_buf_printf(&b, "end 64\n%s\n", sum), INTAKE_OK);
		if (intake_spoolrec_decode(b.ptr, b.len, out) != INTAKE_EINVAL)
			T_FAIL("forged record %zu was accepted", i);
		intake_buf_free(&b);
	}
	/* The same wrapping around a sound body is accepted: the refusals are the bodies'. */
	intake_buf_init(&b, 4096);
	T_EQ_INT(intake_buf_adds(&b, "intake-spool 1\nref 14\nABCD-EFGH-JKMN\nform 1\nf\n"
	    "created 1\n1\nname 0\n\n"), INTAKE_OK);
	intake_sha256_hex(b.ptr, b.len, sum);
	T_EQ_INT(intake_buf_printf(&b, "end 64\n%s\n", sum), INTAKE_OK);
	T_EQ_INT(intake_spoolrec_decode(b.ptr, b.len, out), INTAKE_OK);
	intake_buf_free(&b);
	free(out);
}
#undef B

static void
test_spoolrec_encode_refuses_bad_input(void)
{
	struct intake_spoolrec	r;
	struct intake_buf	b;

	intake_buf_init(&b, 1 << 20);
	sample(&r);
	r.ref = "not-a-ref";
	T_EQ_INT(intake_spoolrec_encode(&r, &b), INTAKE_EINVAL);
	sample(&r);
	r.fields[2].nvalues = 1;	/* a file and values at once */
	r.fields[2].values[0] = "x";
	T_EQ_INT(intake_spoolrec_encode(&r, &b), INTAKE_EINVAL);
	intake_buf_free(&b);
}

static void
test_spoolrec_ref_shape(void)
{
	T_ASSERT(intake_spoolrec_ref_ok("0123-4567-89AB"));
	T_ASSERT(intake_spoolrec_ref_ok("VWXY-Z000-HJKM"));
	T_ASSERT(!intake_spoolrec_ref_ok("0123-4567-89A"));
	T_ASSERT(!intake_spoolrec_ref_ok("0123_4567-89AB"));
	T_ASSERT(!intake_spoolrec_ref_ok("0123-4567-89ab"));
	T_ASSERT(!intake_spoolrec_ref_ok("../../etc/pass"));
	T_ASSERT(!intake_spoolrec_ref_ok("ILOU-4567-89AB"));
	T_ASSERT(!intake_spoolrec_ref_ok(NULL));
}

static void
test_spoolrec_meta_round_trip_and_tolerance(void)
{
	struct intake_spool_meta	m, back;
	struct intake_buf		b;
	static const char		junk[] = "attempts x\nnext 12\nbogus 1\nsid S-1\nerror a\tb\n"
					    "id 4";

	memset(&m, 0, sizeof(m));
	m.attempts = 3;
	m.next_ms = 1700000000000LL;
	m.at_ms = 1700000000001LL;
	m.revived_ms = 1700000000002LL;
	m.unsure = true;
	(void)strcpy(m.sid, "S-1");
	(void)strcpy(m.id, "42");
	(void)strcpy(m.error, "timeout\nwith a newline");
	(void)strcpy(m.item, "{\"Name\":\"IT Request (82AG-EC7N-GBZM)\",\"Id\":2003}\n");
	intake_buf_init(&b, 4096);
	T_EQ_INT(intake_spoolrec_meta_encode(&m, &b), INTAKE_OK);
	intake_spoolrec_meta_decode(b.ptr, b.len, &back);
	T_EQ_INT(back.attempts, 3);
	T_EQ_INT(back.next_ms, m.next_ms);
	T_EQ_INT(back.at_ms, m.at_ms);
	T_EQ_INT(back.revived_ms, m.revived_ms);
	T_ASSERT(back.unsure);
	T_EQ_STR(back.sid, "S-1");
	T_EQ_STR(back.id, "42");
	T_EQ_STR(back.error, "timeout with a newline");
	T_EQ_STR(back.item, "{\"Name\":\"IT Request (82AG-EC7N-GBZM)\",\"Id\":2003} ");
	intake_buf_free(&b);
	/* Bad lines are skipped, a cut last line dropped, control characters refused. */
	intake_spoolrec_meta_decode(junk, sizeof(junk) - 1, &back);
	T_EQ_INT(back.attempts, 0);
	T_EQ_INT(back.next_ms, 12);
	T_EQ_STR(back.sid, "S-1");
	T_EQ_STR(back.error, "");
	T_EQ_STR(back.id, "");
}

static void
test_spoolrec_to_values_follow_the_form(void)
{
	struct intake_form		*form = calloc(1, sizeof(*form));
	struct intake_spoolrec		*rec = calloc(1, sizeof(*rec));
	struct intake_form_value	*v = calloc(INTAKE_FIELDS_MAX, sizeof(*v));
	char				 why[200];

	(void)strcpy(form->id, "f");
	(void)strcpy(form->fields[0].name, "a");
	(void)strcpy(form->fields[1].name, "b");
	(void)strcpy(form->fields[2].name, "c");
	form->nfields = 3;
	rec->fields[0].name = "c";
	rec->fields[0].values[0] = "x";
	rec->fields[0].values[1] = "y";
	rec->fields[0].nvalues = 2;
	rec->fields[1].name = "a";
	rec->fields[1].file_name = "n.txt";
	rec->fields[1].file_type = "text/plain";
	rec->fields[1].file_data = "hi";
	rec->fields[1].file_len = 2;
	rec->nfields = 2;
	T_EQ_INT(intake_spoolrec_to_values(rec, form, v, why, sizeof(why)), INTAKE_OK);
	T_ASSERT(v[0].field == &form->fields[0]);
	T_EQ_STR(v[0].file_name, "n.txt");
	T_EQ_INT(v[0].file_len, 2);
	T_EQ_INT(v[1].nvalues, 0);
	T_EQ_INT(v[2].nvalues, 2);
	T_EQ_STR(v[2].values[1], "y");
	/* A field the form no longer has: refused, and named. */
	rec->fields[1].name = "gone";
	T_EQ_INT(intake_spoolrec_to_values(rec, form, v, why, sizeof(why)), INTAKE_EINVAL);
	T_CONTAINS(why, "gone");
	free(form);
	free(rec);
	free(v);
}

/* Form values to a record and back: empty fields dropped, files and order kept. */
static void
test_spoolrec_values_round_trip(void)
{
	struct intake_form		*form = calloc(1, sizeof(*form));
	struct intake_spoolrec		*rec = calloc(1, sizeof(*rec));
	struct intake_form_value	*in = calloc(INTAKE_FIELDS_MAX, sizeof(*in));
	struct intake_form_value	*out = calloc(INTAKE_FIELDS_MAX, sizeof(*out));
	char				 why[200];
	size_t				 i;

	(void)intake_strlcpy(form->id, "f", sizeof(form->id));
	for (i = 0; i < 3; i++) {
		(void)intake_strlcpy(form->fields[i].name, i == 0 ? "a" : i == 1 ? "b" : "c",
		    sizeof(form->fields[i].name));
		in[i].field = &form->fields[i];
	}
	form->nfields = 3;
	in[0].values[0] = "one";
	in[0].values[1] = "two";
	in[0].nvalues = 2;
	/* in[1] left empty: no field in the record */
	in[2].file_name = "x.bin";
	in[2].file_len = 0;		/* type and data NULL: "" on the record */
	intake_spoolrec_from_values(rec, in, form->nfields);
	T_EQ_INT(rec->nfields, 2);
	T_EQ_STR(rec->fields[0].name, "a");
	T_EQ_STR(rec->fields[1].name, "c");
	T_EQ_STR(rec->fields[1].file_type, "");
	T_ASSERT(rec->fields[1].file_data != NULL);
	T_EQ_INT(intake_spoolrec_to_values(rec, form, out, why, sizeof(why)), INTAKE_OK);
	T_EQ_INT(out[0].nvalues, 2);
	T_EQ_STR(out[0].values[1], "two");
	T_EQ_INT(out[1].nvalues, 0);
	T_ASSERT(out[1].file_name == NULL);
	T_ASSERT(out[1].field == &form->fields[1]);
	T_EQ_STR(out[2].file_name, "x.bin");
	free(form);
	free(rec);
	free(in);
	free(out);
}

int
main(void)
{
	T_RUN(test_spoolrec_round_trip_keeps_every_byte);
	T_RUN(test_spoolrec_unmarked_flag_round_trips_and_old_records_read_unflagged);
	T_RUN(test_spoolrec_truncation_anywhere_is_refused);
	T_RUN(test_spoolrec_every_bit_flip_is_refused);
	T_RUN(test_spoolrec_forged_lengths_with_good_checksum_are_refused);
	T_RUN(test_spoolrec_encode_refuses_bad_input);
	T_RUN(test_spoolrec_ref_shape);
	T_RUN(test_spoolrec_meta_round_trip_and_tolerance);
	T_RUN(test_spoolrec_to_values_follow_the_form);
	T_RUN(test_spoolrec_values_round_trip);
	return T_DONE();
}
