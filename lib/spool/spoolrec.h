/*
 * spoolrec.h - the bytes of a spooled submission and of its small
 * companion files (delivery state, receipt of a delivered one, reason a
 * dead one was set aside).
 *
 * A record is a list of entries, each "NAME LEN\n" then LEN bytes and
 * "\n", closed by "end <sha256 of everything before it>\n":
 *
 *	intake-spool 1\n
 *	ref 14\nABCD-EFGH-JKMN\n
 *	form 10\nit-request\n
 *	created 13\n1732838400123\n
 *	name 25\nIT request ABCD-EFGH-JKMN\n
 *	unmarked 1\n1\n			(only when set: see below)
 *	field 7\nsummary\n  value 5\nHello\n
 *	field 6\nscreen\n   fname 8\nshot.png\n  ftype 9\nimage/png\n  fdata N\n...\n
 *	end 64-hex\n
 *
 * Values and file bytes may hold any byte, since every length is given.
 * A record whose checksum, framing or limits are wrong is refused as a
 * whole (INTAKE_EINVAL); the spool quarantines it.
 *
 * The companion files are "key value" lines (spoolrec_meta); unknown
 * keys are skipped so newer versions can add some.
 */
#ifndef INTAKE_SPOOLREC_H
#define INTAKE_SPOOLREC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"
#include "form/form.h"
#include "form/value.h"

#define INTAKE_SPOOL_REF_LEN	14	/* "XXXX-XXXX-XXXX" */
#define INTAKE_SPOOL_REF_MAX	(INTAKE_SPOOL_REF_LEN + 1)

/* One field of a submission, by name: its values, or its file. */
struct intake_spoolrec_field {
	const char	*name;
	const char	*values[INTAKE_FORM_VALUES_MAX];
	size_t		 nvalues;
	const char	*file_name;	/* NULL: no file */
	const char	*file_type;
	const void	*file_data;
	size_t		 file_len;
};

/* A submission.  Its strings point into the buffer it was decoded from. */
struct intake_spoolrec {
	const char			*ref;
	const char			*form;
	const char			*name;		/* the Integrify request name */
	int64_t				 created_ms;
	/*
	 * Several hosts: accepted while Redis was unreachable, so its
	 * reference could not be marked where every host sees it; checked
	 * there before it starts (deliver.c).  Part of the record, not of
	 * its meta, so that it is durable with the acceptance itself.  A
	 * record without the entry (older ones) has it false.
	 */
	bool				 unmarked;
	struct intake_spoolrec_field	 fields[INTAKE_FIELDS_MAX];
	size_t				 nfields;
};

/* Append r as a record to out. */
enum intake_err	intake_spoolrec_encode(const struct intake_spoolrec *r, struct intake_buf *out);

/*
 * Decode the len bytes at buf (changed in place: strings are terminated
 * there, so they live as long as buf) into *r.  INTAKE_EINVAL when the
 * bytes are not a whole, intact record within the limits.
 */
enum intake_err	intake_spoolrec_decode(char *buf, size_t len, struct intake_spoolrec *r);

/*
 * The values of a form (n of them, one per field, in form order) as
 * rec's fields, skipping a field left empty; rec's other members are
 * left alone.  Every pointer is borrowed from values; a file's missing
 * type or data becomes "".  n is at most INTAKE_FIELDS_MAX.
 */
void		intake_spoolrec_from_values(struct intake_spoolrec *rec,
		    const struct intake_form_value *values, size_t n);

/*
 * rec's fields as form's values, in form order, into values (one per
 * field of form; a field rec lacks is left empty).  Every pointer is
 * borrowed from rec.  INTAKE_EINVAL when rec names a field the form no
 * longer has (why, whysz bytes, says which).
 */
enum intake_err	intake_spoolrec_to_values(const struct intake_spoolrec *rec,
		    const struct intake_form *form, struct intake_form_value *values,
		    char *why, size_t whysz);

/* Is s a reference as intake makes them (XXXX-XXXX-XXXX, Crockford base32)? */
bool		intake_spoolrec_ref_ok(const char *s);

/* Bytes of a quoted Integrify item kept with a held submission, NUL included. */
#define INTAKE_SPOOL_ITEM_MAX	320

/* Where a submission stands, as the companion files tell it. */
struct intake_spool_meta {
	long long	attempts;	/* delivery attempts so far */
	int64_t		next_ms;	/* not before: epoch ms */
	int64_t		at_ms;		/* of the last attempt, delivery or burial */
	int64_t		revived_ms;	/* when a person last sent it back to queue/ */
	bool		unsure;		/* the last attempt may have reached Integrify */
	char		error[160];	/* why the last attempt failed; no secrets */
	char		sid[128];	/* the request started (v7: possibly without values) */
	char		id[64];		/* its number */
	char		item[INTAKE_SPOOL_ITEM_MAX];	/* held: Integrify's item naming the ref */
};

enum intake_err	intake_spoolrec_meta_encode(const struct intake_spool_meta *m,
		    struct intake_buf *out);
/*
 * Tolerant: bad lines are skipped, missing keys stay zero.  A record's
 * bytes (a receipt whose record was renamed into done/ and not yet
 * rewritten, spool.c) decode as all zero: no value a client sent is ever
 * read as a key.
 */
void		intake_spoolrec_meta_decode(const char *buf, size_t len,
		    struct intake_spool_meta *m);

#endif
