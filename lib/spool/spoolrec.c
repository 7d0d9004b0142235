/*
 * spoolrec.c - encoding and decoding spooled submissions (spoolrec.h).
 *
 * The decoder reads bytes that sat on a disk: any of them may be cut,
 * flipped or missing.  It checks the checksum first, then every length
 * against what is left before reading it, and every entry against the
 * table of names below.
 */
#include <stdio.h>
#include <string.h>

#include "spool/spoolrec.h"
#include "util/str.h"
#include "util/nelem.h"

#define MAGIC		"intake-spool 1\n"
#define NAME_MAX_LEN	8		/* longest entry name */
#define LEN_DIGITS	12		/* at most 999 GB: more than any cap */
#define END_ENTRY	"end 64\n"

enum entry {
	E_REF, E_FORM, E_CREATED, E_NAME, E_FIELD, E_VALUE, E_FNAME, E_FTYPE, E_FDATA,
	E_UNMARKED, E__MAX
};

static const char *const entry_names[] = {
	"ref", "form", "created", "name", "field", "value", "fname", "ftype", "fdata",
	"unmarked",
};
INTAKE_ROWS(entry_names, E__MAX);

/* Crockford's base32: no I, L, O or U. */
static const char ref_alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

bool
intake_spoolrec_ref_ok(const char *s)
{
	size_t	i;

	if (s == NULL || strlen(s) != INTAKE_SPOOL_REF_LEN)
		return false;
	for (i = 0; i < INTAKE_SPOOL_REF_LEN; i++) {
		if (i == 4 || i == 9) {
			if (s[i] != '-')
				return false;
		} else if (s[i] == '\0' || strchr(ref_alphabet, s[i]) == NULL)
			return false;
	}
	return true;
}

/* Append one entry; a failure is remembered by b (intake_buf_err()). */
static void
entry(struct intake_buf *b, enum entry e, const void *data, size_t len)
{
	(void)intake_buf_printf(b, "%s %zu\n", entry_names[e], len);
	if (len > 0)
		(void)intake_buf_add(b, data, len);
	(void)intake_buf_addc(b, '\n');
}

static void
entry_str(struct intake_buf *b, enum entry e, const char *s)
{
	entry(b, e, s, strlen(s));
}

/* Can r be written as a record (its strings there, its fields within bounds)? */
static bool
encodable(const struct intake_spoolrec *r)
{
	const struct intake_spoolrec_field	*f;
	size_t					 i;

	if (!intake_spoolrec_ref_ok(r->ref) || r->form == NULL || r->form[0] == '\0' ||
	    r->name == NULL || r->nfields > INTAKE_FIELDS_MAX)
		return false;
	for (i = 0; i < r->nfields; i++) {
		f = &r->fields[i];
		if (f->name == NULL || f->nvalues > INTAKE_FORM_VALUES_MAX ||
		    (f->file_name != NULL && f->nvalues > 0))
			return false;
	}
	return true;
}

enum intake_err
intake_spoolrec_encode(const struct intake_spoolrec *r, struct intake_buf *out)
{
	const struct intake_spoolrec_field	*f;
	char					 num[32], sum[65];
	size_t					 start = out->len, i, j;
	enum intake_err				 err;

	if (!encodable(r))
		return INTAKE_EINVAL;
	(void)snprintf(num, sizeof(num), "%lld", (long long)r->created_ms);
	(void)intake_buf_adds(out, MAGIC);
	entry_str(out, E_REF, r->ref);
	entry_str(out, E_FORM, r->form);
	entry_str(out, E_CREATED, num);
	entry_str(out, E_NAME, r->name);
	/* Written only when set: every other record keeps the format older versions read. */
	if (r->unmarked)
		entry_str(out, E_UNMARKED, "1");
	for (i = 0; i < r->nfields; i++) {
		f = &r->fields[i];
		entry_str(out, E_FIELD, f->name);
		for (j = 0; j < f->nvalues; j++)
			entry_str(out, E_VALUE, f->values[j]);
		if (f->file_name == NULL)
			continue;
		entry_str(out, E_FNAME, f->file_name);
		entry_str(out, E_FTYPE, f->file_type != NULL ? f->file_type : "");
		entry(out, E_FDATA, f->file_data, f->file_len);
	}
	err = intake_buf_err(out);
	if (err != INTAKE_OK)
		return err;
	intake_sha256_hex(out->ptr + start, out->len - start, sum);
	(void)intake_buf_adds(out, END_ENTRY);
	(void)intake_buf_add(out, sum, 64);
	(void)intake_buf_addc(out, '\n');
	return intake_buf_err(out);
}

/*
 * Read one "NAME LEN\n" header at *pos: the entry's index (E__MAX for
 * "end") and its length, checked against what is left.
 */
static enum intake_err
header(const char *buf, size_t len, size_t *pos, int *which, size_t *elen)
{
	const char	*p = buf + *pos, *sp, *nl;
	size_t		 left = len - *pos, nlen;
	long long	 n;
	int		 i;

	sp = memchr(p, ' ', left < NAME_MAX_LEN + 1 ? left : NAME_MAX_LEN + 1);
	if (sp == NULL)
		return INTAKE_EINVAL;
	nlen = (size_t)(sp - p);
	nl = memchr(sp, '\n', left - nlen < LEN_DIGITS + 2 ? left - nlen : LEN_DIGITS + 2);
	if (nl == NULL || intake_parse_intn(sp + 1, (size_t)(nl - sp - 1), 0, (long long)len,
	    &n) != INTAKE_OK)
		return INTAKE_EINVAL;
	*which = -1;
	if (nlen == 3 && memcmp(p, "end", 3) == 0)
		*which = E__MAX;
	for (i = 0; *which == -1 && i < E__MAX; i++)
		if (strlen(entry_names[i]) == nlen && memcmp(p, entry_names[i], nlen) == 0)
			*which = i;
	if (*which == -1)
		return INTAKE_EINVAL;
	*pos += (size_t)(nl - p) + 1;
	/* The bytes and their "\n" must fit in what is left. */
	if ((size_t)n >= len - *pos || buf[*pos + (size_t)n] != '\n')
		return INTAKE_EINVAL;
	*elen = (size_t)n;
	return INTAKE_OK;
}

/* Set a once-only string; text must hold no NUL. */
static enum intake_err
once(const char **slot, char *data, size_t n)
{
	if (*slot != NULL || memchr(data, '\0', n) != NULL)
		return INTAKE_EINVAL;
	data[n] = '\0';
	*slot = data;
	return INTAKE_OK;
}

/* Apply one decoded entry to r; cur is the field being read, or NULL. */
static enum intake_err
apply(struct intake_spoolrec *r, struct intake_spoolrec_field **cur, enum entry which,
    char *data, size_t n)
{
	struct intake_spoolrec_field	*f = *cur;
	const char			*created = NULL;
	long long			 ms;

	switch (which) {
	case E_REF:
		return once(&r->ref, data, n);
	case E_FORM:
		return once(&r->form, data, n);
	case E_NAME:
		return once(&r->name, data, n);
	case E_CREATED:
		if (r->created_ms != -1 || once(&created, data, n) != INTAKE_OK ||
		    intake_parse_int(created, 0, INT64_MAX, &ms) != INTAKE_OK)
			return INTAKE_EINVAL;
		r->created_ms = ms;
		return INTAKE_OK;
	case E_UNMARKED:
		if (r->unmarked || n != 1 || data[0] != '1')
			return INTAKE_EINVAL;
		r->unmarked = true;
		return INTAKE_OK;
	case E_FIELD:
		if (r->nfields == INTAKE_FIELDS_MAX)
			return INTAKE_EINVAL;
		*cur = &r->fields[r->nfields++];
		return once(&(*cur)->name, data, n);
	case E_VALUE:
		if (f == NULL || f->file_name != NULL || f->nvalues == INTAKE_FORM_VALUES_MAX ||
		    memchr(data, '\0', n) != NULL)
			return INTAKE_EINVAL;
		data[n] = '\0';
		f->values[f->nvalues++] = data;
		return INTAKE_OK;
	case E_FNAME:
		if (f == NULL || f->nvalues > 0)
			return INTAKE_EINVAL;
		return once(&f->file_name, data, n);
	case E_FTYPE:
		if (f == NULL || f->file_name == NULL)
			return INTAKE_EINVAL;
		return once(&f->file_type, data, n);
	case E_FDATA:
		if (f == NULL || f->file_type == NULL || f->file_data != NULL)
			return INTAKE_EINVAL;
		data[n] = '\0';
		f->file_data = data;
		f->file_len = n;
		return INTAKE_OK;
	case E__MAX:
		break;
	}
	return INTAKE_EINVAL;
}

enum intake_err
intake_spoolrec_decode(char *buf, size_t len, struct intake_spoolrec *r)
{
	struct intake_spoolrec_field	*cur = NULL;
	char				 sum[65];
	size_t				 pos, elen, end, i;
	int				 which;

	memset(r, 0, sizeof(*r));
	r->created_ms = -1;
	/* The checksum line closes the record: check it before anything else. */
	if (len < sizeof(MAGIC) - 1 + sizeof(END_ENTRY) - 1 + 65 ||
	    memcmp(buf, MAGIC, sizeof(MAGIC) - 1) != 0 || buf[len - 1] != '\n')
		return INTAKE_EINVAL;
	end = len - 65 - (sizeof(END_ENTRY) - 1);
	if (memcmp(buf + end, END_ENTRY, sizeof(END_ENTRY) - 1) != 0)
		return INTAKE_EINVAL;
	intake_sha256_hex(buf, end, sum);
	if (!intake_str_ct_equal(sum, 64, buf + len - 65, 64))
		return INTAKE_EINVAL;

	for (pos = sizeof(MAGIC) - 1; pos < end;) {
		if (header(buf, end, &pos, &which, &elen) != INTAKE_OK || which == E__MAX)
			return INTAKE_EINVAL;
		if (apply(r, &cur, (enum entry)which, buf + pos, elen) != INTAKE_OK)
			return INTAKE_EINVAL;
		pos += elen + 1;
	}
	if (pos != end || !intake_spoolrec_ref_ok(r->ref) || r->form == NULL ||
	    r->form[0] == '\0' || r->name == NULL || r->created_ms == -1)
		return INTAKE_EINVAL;
	for (i = 0; i < r->nfields; i++)
		if (r->fields[i].file_name != NULL && r->fields[i].file_data == NULL)
			return INTAKE_EINVAL;
	return INTAKE_OK;
}

/* --- the companion files: "key value" lines ------------------------------ */

enum intake_err
intake_spoolrec_meta_encode(const struct intake_spool_meta *m, struct intake_buf *out)
{
	char		clean[sizeof(m->error)], item[sizeof(m->item)];
	size_t		i;

	/* The error text is ours, but keep it to one printable line anyway. */
	for (i = 0; m->error[i] != '\0' && i < sizeof(clean) - 1; i++)
		clean[i] = (unsigned char)m->error[i] < 0x20 || m->error[i] == 0x7f ? ' ' :
		    m->error[i];
	clean[i] = '\0';
	for (i = 0; m->item[i] != '\0' && i < sizeof(item) - 1; i++)
		item[i] = (unsigned char)m->item[i] < 0x20 || m->item[i] == 0x7f ? ' ' : m->item[i];
	item[i] = '\0';
	return intake_buf_printf(out, "attempts %lld\nnext %lld\nat %lld\nrevived %lld\n"
	    "unsure %d\nsid %s\nid %s\nerror %s\nitem %s\n", m->attempts, (long long)m->next_ms,
	    (long long)m->at_ms, (long long)m->revived_ms, m->unsure ? 1 : 0, m->sid, m->id,
	    clean, item);
}

/* Copy the len bytes of v into dst (cap bytes) when they fit and are printable. */
static void
meta_str(char *dst, size_t cap, const char *v, size_t len)
{
	size_t	i;

	if (len >= cap)
		return;
	for (i = 0; i < len; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return;
	memcpy(dst, v, len);
	dst[len] = '\0';
}

void
intake_spoolrec_meta_decode(const char *buf, size_t len, struct intake_spool_meta *m)
{
	const char	*line, *nl, *sp, *end = buf + len;
	long long	 n;
	size_t		 klen, vlen;

	memset(m, 0, sizeof(*m));
	if (len >= sizeof(MAGIC) - 1 && memcmp(buf, MAGIC, sizeof(MAGIC) - 1) == 0)
		return;
	for (line = buf; line < end; line = nl + 1) {
		nl = memchr(line, '\n', (size_t)(end - line));
		if (nl == NULL)
			break;		/* a cut last line is dropped */
		sp = memchr(line, ' ', (size_t)(nl - line));
		if (sp == NULL)
			continue;
		klen = (size_t)(sp - line);
		vlen = (size_t)(nl - sp - 1);
#define KEY(k)	(klen == sizeof(k) - 1 && memcmp(line, k, klen) == 0)
		if (KEY("attempts") && intake_parse_intn(sp + 1, vlen, 0, 1000000000, &n) ==
		    INTAKE_OK)
			m->attempts = n;
		else if (KEY("next") && intake_parse_intn(sp + 1, vlen, 0, INT64_MAX, &n) ==
		    INTAKE_OK)
			m->next_ms = n;
		else if (KEY("at") && intake_parse_intn(sp + 1, vlen, 0, INT64_MAX, &n) ==
		    INTAKE_OK)
			m->at_ms = n;
		else if (KEY("revived") && intake_parse_intn(sp + 1, vlen, 0, INT64_MAX, &n) ==
		    INTAKE_OK)
			m->revived_ms = n;
		else if (KEY("unsure"))
			m->unsure = vlen == 1 && sp[1] == '1';
		else if (KEY("sid"))
			meta_str(m->sid, sizeof(m->sid), sp + 1, vlen);
		else if (KEY("id"))
			meta_str(m->id, sizeof(m->id), sp + 1, vlen);
		else if (KEY("error"))
			meta_str(m->error, sizeof(m->error), sp + 1, vlen);
		else if (KEY("item"))
			meta_str(m->item, sizeof(m->item), sp + 1, vlen);
#undef KEY
	}
}

void
intake_spoolrec_from_values(struct intake_spoolrec *rec, const struct intake_form_value *values,
    size_t n)
{
	const struct intake_form_value	*v;
	struct intake_spoolrec_field	*rf;
	size_t				 i;

	for (i = 0; i < n && rec->nfields < INTAKE_FIELDS_MAX; i++) {
		v = &values[i];
		if (v->nvalues == 0 && v->file_name == NULL)
			continue;
		rf = &rec->fields[rec->nfields++];
		rf->name = v->field->name;
		memcpy(rf->values, v->values, v->nvalues * sizeof(v->values[0]));
		rf->nvalues = v->nvalues;
		rf->file_name = v->file_name;
		rf->file_type = v->file_type != NULL ? v->file_type : "";
		rf->file_data = v->file_data != NULL ? v->file_data : "";
		rf->file_len = v->file_len;
	}
}

enum intake_err
intake_spoolrec_to_values(const struct intake_spoolrec *rec, const struct intake_form *form,
    struct intake_form_value *values, char *why, size_t whysz)
{
	const struct intake_spoolrec_field	*rf;
	size_t					 i, j;

	for (j = 0; j < form->nfields; j++) {
		memset(&values[j], 0, sizeof(values[j]));
		values[j].field = &form->fields[j];
	}
	for (i = 0; i < rec->nfields; i++) {
		rf = &rec->fields[i];
		for (j = 0; j < form->nfields && strcmp(form->fields[j].name, rf->name) != 0; j++)
			;
		if (j == form->nfields) {
			(void)snprintf(why, whysz, "form %s has no field %s any more", form->id,
			    rf->name);
			return INTAKE_EINVAL;
		}
		memcpy(values[j].values, rf->values, rf->nvalues * sizeof(rf->values[0]));
		values[j].nvalues = rf->nvalues;
		values[j].file_name = rf->file_name;
		values[j].file_type = rf->file_type;
		values[j].file_data = rf->file_data;
		values[j].file_len = rf->file_len;
	}
	return INTAKE_OK;
}
