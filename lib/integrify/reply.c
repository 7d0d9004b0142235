/*
 * reply.c - one case-blind reader of Integrify's JSON replies (reply.h).
 *
 * The spellings of every field are one row of spellings[]; a key matches
 * a spelling when both are equal after ASCII case folding with '_' and
 * '-' left out, so one row entry "instancesid" covers instanceSid,
 * InstanceSID and instance_sid.
 */
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util/json.h"
#include "util/str.h"
#include "integrify/reply.h"
#include "util/nelem.h"

#define SPELLINGS_MAX	10
#define LIST_DEPTH	3	/* object levels searched for a list */

static const char *const spellings[][SPELLINGS_MAX] = {
	/* INTAKE_REPLY_LIST */
	{ "items", "rows", "data", "results", "result", "records", "value", "list", "instances",
	    "processes" },
	/* INTAKE_REPLY_SID */
	{ "instancesid", "sid", "requestsid" },
	/* INTAKE_REPLY_ID */
	{ "instanceid", "id", "requestid" },
	/* INTAKE_REPLY_NAME */
	{ "name", "requestname", "instancename" },
	/* INTAKE_REPLY_PROCESS_SID */
	{ "sid", "processsid" },
	/* INTAKE_REPLY_PROCESS_NAME */
	{ "name", "processname" },
	/* INTAKE_REPLY_STARTED */
	{ "startdate", "createddate", "startedat", "lastmilestonedate" },
	/* INTAKE_REPLY_REQUEST */
	{ "request" },
	/* INTAKE_REPLY_ENDPOINTS */
	{ "endpoints" },
	/* INTAKE_REPLY_FILE_V8 */
	{ "sid", "file", "key", "filekey" },
	/* INTAKE_REPLY_FILE_V7 */
	{ "file", "sid", "key", "filekey" },
	/* INTAKE_REPLY_TOKEN */
	{ "token", "accesstoken", "jwt" },
	/* INTAKE_REPLY_EXPIRES_IN */
	{ "expiresin" },
	/* INTAKE_REPLY_EXPOSE */
	{ "expose" },
	/* INTAKE_REPLY_MAPPING */
	{ "mappingval" },
	/* INTAKE_REPLY_OPERATOR */
	{ "operator" },
	/* INTAKE_REPLY_TOTAL */
	{ "total", "totalcount", "totalrows", "recordcount", "count" },
};
INTAKE_ROWS(spellings, INTAKE_REPLY__MAX);

/* Members of an error reply that say why, in the order a reason quotes them. */
static const char *const reasons[] = {
	"error", "message", "title", "errordescription", "description", "detail",
};

#define REASON_ROOM	1024	/* a reason's bytes before the cut */

/* Members outside any item that echo what was searched for, not a result. */
static const char *const echoes[] = {
	"search", "searchtext", "searchterm", "query", "q", "term", "filter", "keyword",
};

bool
intake_reply_key_is(const char *key, const char *spelling)
{
	const char	*k = key, *s = spelling;

	for (;;) {
		while (*k == '_' || *k == '-')
			k++;
		if (*k == '\0' || *s == '\0')
			return *k == '\0' && *s == '\0';
		if (tolower((unsigned char)*k) != *s)
			return false;
		k++;
		s++;
	}
}

struct json_object *
intake_reply_member_spelled(struct json_object *obj, const char *spelling)
{
	struct json_object_iterator	it, end;

	if (obj == NULL || !json_object_is_type(obj, json_type_object))
		return NULL;
	it = json_object_iter_begin(obj);
	end = json_object_iter_end(obj);
	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it))
		if (intake_reply_key_is(json_object_iter_peek_name(&it), spelling))
			return json_object_iter_peek_value(&it);
	return NULL;
}

/*
 * obj's member for f in the table's order of spellings: the first of any
 * type, or (with typed) the first of type, so "sid": null does not hide
 * "instanceSid".
 */
static struct json_object *
first_member(struct json_object *obj, enum intake_reply_field f, bool typed,
    enum json_type type)
{
	struct json_object	*v;
	size_t			 i;

	if (obj == NULL || !json_object_is_type(obj, json_type_object) ||
	    (unsigned)f >= INTAKE_REPLY__MAX)
		return NULL;
	for (i = 0; i < SPELLINGS_MAX && spellings[f][i] != NULL; i++) {
		v = intake_reply_member_spelled(obj, spellings[f][i]);
		if (v != NULL && (!typed || json_object_is_type(v, type)))
			return v;
	}
	return NULL;
}

struct json_object *
intake_reply_member(struct json_object *obj, enum intake_reply_field f)
{
	return first_member(obj, f, false, json_type_null);
}

struct json_object *
intake_reply_typed(struct json_object *obj, enum intake_reply_field f, enum json_type type)
{
	return first_member(obj, f, true, type);
}

const char *
intake_reply_str(struct json_object *obj, enum intake_reply_field f)
{
	struct json_object	*v = intake_reply_typed(obj, f, json_type_string);

	return v != NULL ? json_object_get_string(v) : NULL;
}

/* v as an identifier into out: a whole number, or a printable token. */
static bool
id_of(struct json_object *v, char *out, size_t outsz)
{
	const char	*s;
	double		 d;
	size_t		 i, len;
	int		 n;

	if (json_object_is_type(v, json_type_int)) {
		n = snprintf(out, outsz, "%lld", (long long)json_object_get_int64(v));
		return n > 0 && (size_t)n < outsz;
	}
	if (json_object_is_type(v, json_type_double)) {
		d = json_object_get_double(v);
		if (!isfinite(d) || d != floor(d) || fabs(d) > 9007199254740992.0)
			return false;
		n = snprintf(out, outsz, "%.0f", d);
		return n > 0 && (size_t)n < outsz;
	}
	if (!json_object_is_type(v, json_type_string))
		return false;
	s = json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
	if (len == 0 || len >= outsz)
		return false;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return false;
	memcpy(out, s, len);
	out[len] = '\0';
	return true;
}

bool
intake_reply_id(struct json_object *obj, enum intake_reply_field f, char *out, size_t outsz)
{
	char	tmp[256];
	size_t	i;

	if (obj == NULL || !json_object_is_type(obj, json_type_object) ||
	    (unsigned)f >= INTAKE_REPLY__MAX || outsz == 0)
		return false;
	for (i = 0; i < SPELLINGS_MAX && spellings[f][i] != NULL; i++)
		if (id_of(intake_reply_member_spelled(obj, spellings[f][i]), tmp,
		    outsz < sizeof(tmp) ? outsz : sizeof(tmp))) {
			memcpy(out, tmp, strlen(tmp) + 1);
			return true;
		}
	return false;
}

/* The list under obj, depth object levels down at most (intake_reply_list). */
static struct json_object *
list_in(struct json_object *obj, int depth)
{
	struct json_object_iterator	it, end;
	struct json_object		*v, *only = NULL, *inner;
	size_t				 i, arrays = 0;

	if (json_object_is_type(obj, json_type_array))
		return obj;
	if (depth < 0 || !json_object_is_type(obj, json_type_object))
		return NULL;
	for (i = 0; i < SPELLINGS_MAX && spellings[INTAKE_REPLY_LIST][i] != NULL; i++) {
		v = intake_reply_member_spelled(obj, spellings[INTAKE_REPLY_LIST][i]);
		if (v != NULL && json_object_is_type(v, json_type_array))
			return v;
	}
	end = json_object_iter_end(obj);
	for (it = json_object_iter_begin(obj); !json_object_iter_equal(&it, &end);
	    json_object_iter_next(&it)) {
		v = json_object_iter_peek_value(&it);
		if (json_object_is_type(v, json_type_array)) {
			only = v;
			arrays++;
		}
	}
	if (arrays == 1)
		return only;
	if (arrays > 1)
		return NULL;	/* several lists, none named as one: guessing could pick the wrong one */
	for (it = json_object_iter_begin(obj); !json_object_iter_equal(&it, &end);
	    json_object_iter_next(&it)) {
		inner = list_in(json_object_iter_peek_value(&it), depth - 1);
		if (inner != NULL)
			return inner;
	}
	return NULL;
}

struct json_object *
intake_reply_list(struct json_object *root)
{
	if (root == NULL)
		return NULL;
	return list_in(root, LIST_DEPTH);
}

bool
intake_reply_zero_total(struct json_object *root)
{
	char	n[32];

	return json_object_is_type(root, json_type_object) && intake_reply_list(root) == NULL &&
	    intake_reply_id(root, INTAKE_REPLY_TOTAL, n, sizeof(n)) && strcmp(n, "0") == 0;
}

/* Append s (len bytes) to out as printable ASCII; false once out is full. */
static bool
quote_bytes(const char *s, size_t len, char out[INTAKE_REPLY_QUOTE_MAX], size_t *used)
{
	static const char	hex[] = "0123456789abcdef";
	const size_t		room = INTAKE_REPLY_QUOTE_MAX - 4;	/* "..." and NUL */
	unsigned char		c;
	size_t			i;

	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f && c != '\\') {
			if (*used + 1 > room)
				return false;
			out[(*used)++] = (char)c;
		} else {
			if (*used + 4 > room)
				return false;
			out[(*used)++] = '\\';
			out[(*used)++] = 'x';
			out[(*used)++] = hex[c >> 4];
			out[(*used)++] = hex[c & 0xf];
		}
	}
	return true;
}

/* Finish a quote: NUL-terminate, with "..." when it was cut. */
static void
quote_end(char out[INTAKE_REPLY_QUOTE_MAX], size_t used, bool whole)
{
	if (!whole) {
		memcpy(out + used, "...", 3);
		used += 3;
	}
	out[used] = '\0';
}

void
intake_reply_quote(struct json_object *obj, char out[INTAKE_REPLY_QUOTE_MAX])
{
	const char	*s;
	size_t		 used = 0, len = 0;
	bool		 whole;

	s = json_object_to_json_string_length(obj,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (s == NULL) {
		s = "null";
		len = 4;
	}
	whole = quote_bytes(s, len, out, &used);
	quote_end(out, used, whole);
}

/* Does s (len bytes) hold ref (rlen bytes), ASCII case aside? */
static bool
holds(const char *s, size_t len, const char *ref, size_t rlen)
{
	size_t	i;

	if (rlen == 0 || len < rlen)
		return false;
	for (i = 0; i + rlen <= len; i++)
		if (strncasecmp(s + i, ref, rlen) == 0 && memchr(s + i, '\0', rlen) == NULL)
			return true;
	return false;
}

/* Does any string inside v (at any depth) hold ref? */
static bool
names_ref(struct json_object *v, const char *ref, size_t rlen)
{
	struct json_object_iterator	it, end;
	size_t				i, n;

	switch (json_object_get_type(v)) {
	case json_type_string:
		return holds(json_object_get_string(v), (size_t)json_object_get_string_len(v),
		    ref, rlen);
	case json_type_array:
		n = json_object_array_length(v);
		for (i = 0; i < n; i++)
			if (names_ref(json_object_array_get_idx(v, i), ref, rlen))
				return true;
		return false;
	case json_type_object:
		end = json_object_iter_end(v);
		for (it = json_object_iter_begin(v); !json_object_iter_equal(&it, &end);
		    json_object_iter_next(&it))
			if (names_ref(json_object_iter_peek_value(&it), ref, rlen))
				return true;
		return false;
	case json_type_null:
	case json_type_boolean:
	case json_type_double:
	case json_type_int:
		break;
	}
	return false;
}

bool
intake_reply_names(struct json_object *v, const char *reference)
{
	return reference != NULL && names_ref(v, reference, strlen(reference));
}

static bool
is_echo(const char *key)
{
	size_t	i;

	for (i = 0; i < sizeof(echoes) / sizeof(echoes[0]); i++)
		if (intake_reply_key_is(key, echoes[i]))
			return true;
	return false;
}

/*
 * Walk v looking for items (objects in arrays) that name ref; outside
 * items, members that echo the search are passed over.  The first item
 * with a SID makes the hit FOUND; failing that, the first thing that
 * names ref makes it UNREADABLE.
 */
static void
search_in(struct json_object *v, const char *ref, size_t rlen, struct intake_reply_hit *hit)
{
	struct json_object_iterator	 it, end;
	struct json_object		*e;
	size_t				 i, n;

	if (hit->match == INTAKE_REPLY_FOUND)
		return;
	switch (json_object_get_type(v)) {
	case json_type_array:
		n = json_object_array_length(v);
		for (i = 0; i < n && hit->match != INTAKE_REPLY_FOUND; i++) {
			e = json_object_array_get_idx(v, i);
			if (!names_ref(e, ref, rlen))
				continue;
			if (json_object_is_type(e, json_type_object) &&
			    intake_reply_id(e, INTAKE_REPLY_SID, hit->sid, sizeof(hit->sid))) {
				hit->match = INTAKE_REPLY_FOUND;
				if (!intake_reply_id(e, INTAKE_REPLY_ID, hit->id, sizeof(hit->id)))
					hit->id[0] = '\0';
				intake_reply_quote(e, hit->item);
				return;
			}
			if (hit->match == INTAKE_REPLY_NONE) {
				hit->match = INTAKE_REPLY_UNREADABLE;
				intake_reply_quote(e, hit->item);
			}
			/* Items nested in this one may still carry a SID. */
			if (!json_object_is_type(e, json_type_string))
				search_in(e, ref, rlen, hit);
		}
		return;
	case json_type_object:
		end = json_object_iter_end(v);
		for (it = json_object_iter_begin(v); !json_object_iter_equal(&it, &end) &&
		    hit->match != INTAKE_REPLY_FOUND; json_object_iter_next(&it)) {
			e = json_object_iter_peek_value(&it);
			if (json_object_is_type(e, json_type_string)) {
				if (!is_echo(json_object_iter_peek_name(&it)) &&
				    hit->match == INTAKE_REPLY_NONE && names_ref(e, ref, rlen)) {
					hit->match = INTAKE_REPLY_UNREADABLE;
					intake_reply_quote(v, hit->item);
				}
				continue;
			}
			search_in(e, ref, rlen, hit);
		}
		return;
	case json_type_string:
		/* A bare string at the top: no item, no echo key. */
		if (hit->match == INTAKE_REPLY_NONE && names_ref(v, ref, rlen)) {
			hit->match = INTAKE_REPLY_UNREADABLE;
			intake_reply_quote(v, hit->item);
		}
		return;
	case json_type_null:
	case json_type_boolean:
	case json_type_double:
	case json_type_int:
		return;
	}
}

/* The reply is not JSON but names ref: quote the bytes around it. */
static void
quote_around(const char *body, size_t len, const char *ref, size_t rlen, char *out)
{
	size_t	at = 0, from, used = 0;
	bool	whole;

	while (at + rlen <= len && strncasecmp(body + at, ref, rlen) != 0)
		at++;
	from = at > 60 ? at - 60 : 0;
	whole = quote_bytes(body + from, len - from, out, &used);
	quote_end(out, used, whole);
}

enum intake_err
intake_reply_search(const char *body, size_t len, const char *reference,
    struct intake_reply_hit *hit)
{
	struct json_object	*root = NULL;
	size_t			 rlen = reference != NULL ? strlen(reference) : 0;
	enum intake_err		 err = INTAKE_OK;

	memset(hit, 0, sizeof(*hit));
	hit->match = INTAKE_REPLY_NONE;
	if (rlen == 0)
		return INTAKE_EINVAL;
	if (intake_json_parse(body, len, &root) != INTAKE_OK) {
		if (holds(body, len, reference, rlen)) {
			hit->match = INTAKE_REPLY_UNREADABLE;
			quote_around(body, len, reference, rlen, hit->item);
			return INTAKE_OK;
		}
		return INTAKE_EPROTO;
	}
	search_in(root, reference, rlen, hit);
	if (hit->match == INTAKE_REPLY_NONE && intake_reply_list(root) == NULL)
		err = INTAKE_EPROTO;
	json_object_put(root);
	return err;
}

/* A reason being gathered: up to REASON_ROOM bytes, white space folded. */
struct reason {
	char	buf[REASON_ROOM];
	size_t	used;
};

/* Append s (len bytes), a ": " first unless it is the first part; runs of white space as one space. */
static void
reason_add(struct reason *r, const char *s, size_t len)
{
	size_t	i;
	bool	space = false;

	while (len > 0 && isspace((unsigned char)*s)) {
		s++;
		len--;
	}
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	if (len == 0 || (r->used > 0 && holds(r->buf, r->used, s, len)))
		return;		/* nothing, or said already */
	if (r->used > 0 && r->used + 2 < sizeof(r->buf)) {
		memcpy(r->buf + r->used, ": ", 2);
		r->used += 2;
	}
	for (i = 0; i < len && r->used < sizeof(r->buf); i++) {
		if (isspace((unsigned char)s[i])) {
			space = true;
			continue;
		}
		if (space && r->used + 1 < sizeof(r->buf))
			r->buf[r->used++] = ' ';
		space = false;
		r->buf[r->used++] = s[i];
	}
}

/* The reason members of obj, and of an "error" object inside it. */
static void
reason_members(struct json_object *obj, struct reason *r, int depth)
{
	struct json_object	*v;
	size_t			 i;

	if (!json_object_is_type(obj, json_type_object))
		return;
	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		v = intake_reply_member_spelled(obj, reasons[i]);
		if (json_object_is_type(v, json_type_string))
			reason_add(r, json_object_get_string(v),
			    (size_t)json_object_get_string_len(v));
		else if (depth > 0 && json_object_is_type(v, json_type_object))
			reason_members(v, r, depth - 1);
	}
}

void
intake_reply_reason(const char *body, size_t len, char out[INTAKE_REPLY_REASON_MAX])
{
	struct json_object	*root = NULL;
	struct reason		 r;
	size_t			 keep;

	r.used = 0;
	if (body != NULL && len > 0 && intake_json_parse(body, len, &root) == INTAKE_OK) {
		if (json_object_is_type(root, json_type_string))
			reason_add(&r, json_object_get_string(root),
			    (size_t)json_object_get_string_len(root));
		else
			reason_members(root, &r, 1);
	} else if (body != NULL)
		reason_add(&r, body, len < sizeof(r.buf) ? len : sizeof(r.buf));
	json_object_put(root);
	keep = r.used;
	if (keep > INTAKE_REPLY_REASON_MAX - 1) {
		keep = intake_utf8_cut(r.buf, r.used, INTAKE_REPLY_REASON_MAX - 4);
		memcpy(r.buf + keep, "...", 3);
		keep += 3;
	}
	memcpy(out, r.buf, keep);
	out[keep] = '\0';
}
