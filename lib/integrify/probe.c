/*
 * probe.c - the config checked against the tenant, and form definitions
 * generated from a process (probe.h).
 *
 * Every call goes through what intake uses at run time: the token flow
 * (auth.c), authenticated calls (call.c), the dialect's report run,
 * process list and request search (dialect.h) and the report reader
 * (report.c).  Two things only the probe reads: a report's exposed
 * filters (GET /reports/{sid}/filters, the legacy path both dialects
 * answer), and a task's fields.  Where those differ by dialect the probe
 * asks the dialect's struct, not its name: a dialect whose start fills a
 * data container afterwards (fill set) has its fields read there, a
 * one-step dialect from its first task's form.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "core/log.h"
#include "integrify/auth.h"
#include "integrify/call.h"
#include "integrify/dialect.h"
#include "integrify/probe.h"
#include "integrify/reply.h"
#include "integrify/report.h"
#include "util/json.h"
#include "util/nelem.h"
#include "util/str.h"
#include "util/table.h"

#define LINE_MAX_BYTES	4096	/* one printed line */
#define PATH_MAX_BYTES	4096	/* a path we build */
#define V7_REQUESTS	20	/* open requests looked at for a data container */

struct probe {
	struct intake_ctx		*ctx;
	const struct intake_dialect	*d;
	FILE				*out;
	int				 fails;
	struct json_object		*procs;		/* the process list reply; owned */
};

/* The fields of a task, read for a form or a definition. */
struct task_fields {
	char				task[128];	/* the task they belong to */
	struct intake_probe_question	q[INTAKE_PROBE_QUESTIONS_MAX];
	size_t				n;
};

/* Integrify's words for question and value types, and their kinds. */
static const struct {
	const char		*word;	/* lower case, '_' and '-' aside */
	enum intake_probe_kind	 kind;
} kind_words[] = {
	{ "shorttext", INTAKE_PROBE_TEXT }, { "longtext", INTAKE_PROBE_TEXT },
	{ "text", INTAKE_PROBE_TEXT }, { "textarea", INTAKE_PROBE_TEXT },
	{ "email", INTAKE_PROBE_TEXT }, { "numeric", INTAKE_PROBE_NUMBER },
	{ "number", INTAKE_PROBE_NUMBER }, { "currency", INTAKE_PROBE_NUMBER },
	{ "date", INTAKE_PROBE_DATE }, { "datetime", INTAKE_PROBE_DATE },
	{ "dropdown", INTAKE_PROBE_CHOICE }, { "radiobutton", INTAKE_PROBE_CHOICE },
	{ "radio", INTAKE_PROBE_CHOICE }, { "select", INTAKE_PROBE_CHOICE },
	{ "searchbox", INTAKE_PROBE_CHOICE }, { "checkbox", INTAKE_PROBE_MANY },
	{ "checkboxes", INTAKE_PROBE_MANY }, { "multiselect", INTAKE_PROBE_MANY },
	{ "fileupload", INTAKE_PROBE_FILE }, { "file", INTAKE_PROBE_FILE },
	{ "string", INTAKE_PROBE_ANY },	/* a v7 key: text, a choice or a file key */
};

/* Which field types fit each kind (bit per enum intake_field_type). */
#define FT(t)	(1u << (t))
static const unsigned kind_fits[] = {
	[INTAKE_PROBE_ANY] = ~0u,
	[INTAKE_PROBE_TEXT] = FT(INTAKE_FIELD_TEXT) | FT(INTAKE_FIELD_TEXTAREA) |
	    FT(INTAKE_FIELD_EMAIL) | FT(INTAKE_FIELD_NUMBER) | FT(INTAKE_FIELD_DATE) |
	    FT(INTAKE_FIELD_SELECT),
	[INTAKE_PROBE_NUMBER] = FT(INTAKE_FIELD_NUMBER) | FT(INTAKE_FIELD_SELECT),
	[INTAKE_PROBE_DATE] = FT(INTAKE_FIELD_DATE),
	[INTAKE_PROBE_CHOICE] = FT(INTAKE_FIELD_SELECT) | FT(INTAKE_FIELD_TEXT),
	[INTAKE_PROBE_MANY] = FT(INTAKE_FIELD_MULTISELECT) | FT(INTAKE_FIELD_CHECKBOXES) |
	    FT(INTAKE_FIELD_SELECT) | FT(INTAKE_FIELD_TEXT),
	[INTAKE_PROBE_FILE] = FT(INTAKE_FIELD_FILE),
};
INTAKE_ROWS(kind_fits, INTAKE_PROBE_KIND__MAX);
_Static_assert(INTAKE_FIELD__MAX < 32, "kind_fits holds a bit per field type");

enum intake_probe_kind
intake_probe_kind_of(const char *type)
{
	size_t	i;

	if (type == NULL)
		return INTAKE_PROBE_ANY;
	for (i = 0; i < sizeof(kind_words) / sizeof(kind_words[0]); i++)
		if (intake_reply_key_is(type, kind_words[i].word))
			return kind_words[i].kind;
	return INTAKE_PROBE_ANY;
}

bool
intake_probe_fits(enum intake_field_type t, enum intake_probe_kind k)
{
	if ((unsigned)t >= INTAKE_FIELD__MAX || (unsigned)k >= INTAKE_PROBE_KIND__MAX)
		return false;
	return (kind_fits[k] & FT(t)) != 0;
}

enum intake_field_type
intake_probe_field_type(enum intake_probe_kind k, const char *type)
{
	switch (k) {
	case INTAKE_PROBE_NUMBER:
		return INTAKE_FIELD_NUMBER;
	case INTAKE_PROBE_DATE:
		return INTAKE_FIELD_DATE;
	case INTAKE_PROBE_FILE:
		return INTAKE_FIELD_FILE;
	case INTAKE_PROBE_TEXT:
		if (type != NULL && intake_reply_key_is(type, "email"))
			return INTAKE_FIELD_EMAIL;
		if (type != NULL && (intake_reply_key_is(type, "longtext") ||
		    intake_reply_key_is(type, "textarea")))
			return INTAKE_FIELD_TEXTAREA;
		return INTAKE_FIELD_TEXT;
	case INTAKE_PROBE_ANY:
	case INTAKE_PROBE_CHOICE:	/* a select needs a [source:]: text until one is named */
	case INTAKE_PROBE_MANY:
	case INTAKE_PROBE_KIND__MAX:
		break;
	}
	return INTAKE_FIELD_TEXT;
}

void
intake_probe_field_name(const char *from, char *out, size_t outsz)
{
	size_t	n = 0;
	bool	gap = false;

	if (outsz < 2)
		return;
	for (; from != NULL && *from != '\0' && n < outsz - 1; from++) {
		unsigned char c = (unsigned char)*from;

		if (isalnum(c) && c < 0x80) {
			if (gap && n > 0 && n < outsz - 2)
				out[n++] = '_';
			gap = false;
			out[n++] = (char)tolower(c);
		} else
			gap = true;
	}
	if (n == 0)
		out[n++] = 'f';
	out[n] = '\0';
}

bool
intake_probe_has_bom(const char *body, size_t len)
{
	return len >= 3 && memcmp(body, "\xEF\xBB\xBF", 3) == 0;
}

void
intake_probe_list_shape(const char *body, size_t len, char *out, size_t outsz)
{
	struct json_object	*root = NULL, *list;
	const char		*where = NULL;

	if (intake_json_parse(body, len, &root) != INTAKE_OK) {
		(void)snprintf(out, outsz, "not JSON");
		return;
	}
	list = intake_reply_list(root);
	if (list == NULL)
		(void)snprintf(out, outsz, "no list");
	else if (list == root)
		(void)snprintf(out, outsz, "a bare array");
	else {
		json_object_object_foreach(root, k, v) {
			if (v == list)
				where = k;
		}
		if (where != NULL)
			(void)snprintf(out, outsz, "an object, the list under '%s'", where);
		else
			(void)snprintf(out, outsz, "an object, the list nested deeper");
	}
	json_object_put(root);
}

/* A probe of ctx's tenant, printing to out. */
static void
probe_init(struct probe *p, struct intake_ctx *ctx, FILE *out)
{
	memset(p, 0, sizeof(*p));
	p->ctx = ctx;
	p->d = intake_dialect_ctx(ctx);
	p->out = out;
}

/* Print one line: verdict, then the message with control bytes made '?'. */
__attribute__((format(printf, 3, 4)))
static void
say(struct probe *p, const char *verdict, const char *fmt, ...)
{
	struct intake_buf	b;
	va_list			ap;
	size_t			i;

	intake_buf_init(&b, LINE_MAX_BYTES);
	va_start(ap, fmt);
	(void)intake_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	for (i = 0; i < b.len; i++)
		if ((unsigned char)b.ptr[i] < 0x20 || b.ptr[i] == 0x7f)
			b.ptr[i] = '?';
	(void)fprintf(p->out, "%s %s%s\n", verdict, intake_buf_str(&b),
	    intake_buf_err(&b) != INTAKE_OK ? " ..." : "");
	(void)fflush(p->out);
	if (strcmp(verdict, "FAIL") == 0)
		p->fails++;
	intake_buf_free(&b);
}

/* What an Integrify call's error means, for a hint. */
static const char *
call_hint(enum intake_err err)
{
	if (err == INTAKE_ENOTFOUND)
		return "Integrify does not know it (404)";
	if (err == INTAKE_EDENIED)
		return "the service account may not see it (403): give it the permission in Integrify";
	if (err == INTAKE_EAUTH)
		return "Integrify refused the service account's token (401)";
	if (err == INTAKE_EUPSTREAM)
		return "Integrify failed or could not be reached (5xx, 429 or no connection)";
	if (err == INTAKE_ETIMEOUT)
		return "Integrify did not answer within timeout_ms";
	if (err == INTAKE_EPROTO)
		return "Integrify's reply could not be read (see the log line above)";
	return intake_strerror(err);
}

/* The first member of obj whose name is spelling (case, '_' and '-' aside). */
static struct json_object *
member(struct json_object *obj, const char *spelling)
{
	if (obj == NULL || !json_object_is_type(obj, json_type_object))
		return NULL;
	json_object_object_foreach(obj, k, v) {
		if (intake_reply_key_is(k, spelling))
			return v;
	}
	return NULL;
}

/* obj's member as text: a string, or a number or boolean written out; NULL else. */
static const char *
member_text(struct json_object *obj, const char *spelling)
{
	struct json_object *v = member(obj, spelling);

	if (v == NULL || json_object_is_type(v, json_type_null) ||
	    json_object_is_type(v, json_type_object) || json_object_is_type(v, json_type_array))
		return NULL;
	return json_object_get_string(v);
}

/* Is the member (or validation.required) true, as a boolean or "true"? */
static bool
member_true(struct json_object *obj, const char *spelling)
{
	struct json_object *v = member(obj, spelling);

	if (v == NULL)
		return false;
	if (json_object_is_type(v, json_type_boolean))
		return json_object_get_boolean(v);
	if (json_object_is_type(v, json_type_string))
		return strcasecmp(json_object_get_string(v), "true") == 0;
	return false;
}

/* GET path (built from a prefix, an escaped part and a suffix) as JSON into *root. */
static enum intake_err
get_json(struct probe *p, const char *prefix, const char *part, const char *suffix,
    const char *what, struct json_object **root)
{
	struct intake_reqstart_result	res;
	struct intake_buf		path;
	enum intake_err			err;

	memset(&res, 0, sizeof(res));
	intake_buf_init(&path, PATH_MAX_BYTES);
	(void)intake_buf_adds(&path, prefix);
	if (part != NULL)
		(void)intake_url_escape(&path, part);
	(void)intake_buf_adds(&path, suffix);
	err = intake_buf_err(&path);
	if (err == INTAKE_OK)
		err = intake_dialect_get_json(p->ctx, path.ptr, what, &res, root);
	intake_buf_free(&path);
	return err;
}

/* A token by the configured flow, fetched afresh; false when none came. */
static bool
check_token(struct probe *p)
{
	const struct intake_config	*cfg = p->ctx->cfg;
	struct intake_token		 tok;
	const char			*shape = "unknown";
	enum intake_err			 err;
	bool				 ok;

	memset(&tok, 0, sizeof(tok));
	err = intake_auth_fetch_shape(p->ctx->http, cfg, &tok, &shape);
	ok = err == INTAKE_OK;
	if (ok)
		say(p, "OK", "token: flow %s as user '%s' gives a token for %llds; the reply is %s",
		    intake_flow_name(cfg->flow), cfg->user,
		    (long long)((tok.expires_ms - tok.fetched_ms) / 1000), shape);
	else if (err == INTAKE_EAUTH)
		say(p, "FAIL", "token: flow %s as user '%s': Integrify refused the credentials; "
		    "check [integrify] user, key_file, secret_file (jwt) and tenant (apikey)",
		    intake_flow_name(cfg->flow), cfg->user);
	else
		say(p, "FAIL", "token: flow %s: %s; check base_url (and connect_to)",
		    intake_flow_name(cfg->flow), call_hint(err));
	OPENSSL_cleanse(&tok, sizeof(tok));
	return ok;
}

/* The service account's process list, kept in p->procs for the forms. */
static void
check_processes(struct probe *p)
{
	struct json_object	*list;
	enum intake_err		 err;

	err = get_json(p, p->d->processes_path, NULL, "", "process list", &p->procs);
	list = err == INTAKE_OK ? intake_reply_list(p->procs) : NULL;
	if (list == NULL) {
		say(p, "FAIL", "process list: GET %s: %s", p->d->processes_path,
		    err == INTAKE_OK ? "the reply holds no list" : call_hint(err));
		return;
	}
	say(p, "OK", "process list: GET %s lists %zu processes the service account may start",
	    p->d->processes_path, json_object_array_length(list));
}

/*
 * The process of the list whose SID is want, or else whose name is want
 * (case aside, *by_name set); NULL when none.
 */
static struct json_object *
find_process(struct probe *p, const char *want, bool *by_name)
{
	struct json_object	*list = intake_reply_list(p->procs), *item, *named = NULL;
	const char		*name;
	char			 sid[128];
	size_t			 i, n = list != NULL ? json_object_array_length(list) : 0;

	*by_name = false;
	for (i = 0; i < n; i++) {
		item = json_object_array_get_idx(list, i);
		if (intake_reply_id(item, INTAKE_REPLY_PROCESS_SID, sid, sizeof(sid)) &&
		    strcmp(sid, want) == 0)
			return item;
		name = intake_reply_str(item, INTAKE_REPLY_PROCESS_NAME);
		if (named == NULL && name != NULL && strcasecmp(name, want) == 0)
			named = item;
	}
	*by_name = named != NULL;
	return named;
}

/* Is name one of the exposed filters defs lists?  *mapping_of: the filter whose mapping value it is. */
static bool
exposed(struct json_object *defs, const char *name, const char **mapping_of)
{
	struct json_object	*def;
	const char		*e, *m;
	size_t			 i, n = defs != NULL ? json_object_array_length(defs) : 0;

	*mapping_of = NULL;
	for (i = 0; i < n; i++) {
		def = json_object_array_get_idx(defs, i);
		e = intake_reply_str(def, INTAKE_REPLY_EXPOSE);
		m = intake_reply_str(def, INTAKE_REPLY_MAPPING);
		if (e != NULL && strcmp(e, name) == 0)
			return true;
		if (e != NULL && m != NULL && strcmp(m, name) == 0)
			*mapping_of = e;
	}
	return false;
}

/* The exposed names of defs, ", "-joined, into b. */
static void
exposed_names(struct json_object *defs, struct intake_buf *b)
{
	const char	*e;
	size_t		 i, n = defs != NULL ? json_object_array_length(defs) : 0;

	for (i = 0; i < n; i++) {
		e = intake_reply_str(json_object_array_get_idx(defs, i), INTAKE_REPLY_EXPOSE);
		(void)intake_buf_printf(b, "%s'%s'", b->len > 0 ? ", " : "", e != NULL ? e : "?");
	}
	if (n == 0)
		(void)intake_buf_adds(b, "none");
}

/* "source" or "report", as the config's section names it. */
static const char *
kind_name(const struct intake_source *src)
{
	return src->kind == INTAKE_SOURCE_REPORT ? "report" : "source";
}

/* The report exists, and each filter.NAME names one of its exposed filters; false: no report. */
static bool
check_filters(struct probe *p, const struct intake_source *src)
{
	struct json_object	*root = NULL, *defs;
	struct intake_buf	 names;
	const char		*mapping_of;
	enum intake_err		 err;
	size_t			 i;

	err = get_json(p, "/reports/", src->report, "/filters", "report filters", &root);
	if (err != INTAKE_OK) {
		say(p, "FAIL", "%s %s: report %s: %s%s", kind_name(src), src->name, src->report,
		    call_hint(err), err == INTAKE_ENOTFOUND ? "; copy the report's SID from its "
		    "address in Integrify (Reports, open the report)" : "");
		json_object_put(root);
		return false;
	}
	defs = intake_reply_list(root);
	intake_buf_init(&names, LINE_MAX_BYTES / 2);
	exposed_names(defs, &names);
	say(p, "OK", "%s %s: report %s exists; its exposed filters: %s", kind_name(src),
	    src->name, src->report, intake_buf_str(&names));
	for (i = 0; i < src->nfilters; i++) {
		const struct intake_filter_param *fp = &src->filters[i];

		if (exposed(defs, fp->expose, &mapping_of))
			say(p, "OK", "%s %s: filter.%s = %s is an exposed filter", kind_name(src),
			    src->name, fp->param, fp->expose);
		else if (mapping_of != NULL)
			say(p, "FAIL", "%s %s: filter.%s = %s is a mapping value; "
			    "filter.NAME takes the Expose name: %s", kind_name(src), src->name,
			    fp->param, fp->expose, mapping_of);
		else
			say(p, "FAIL", "%s %s: filter.%s = %s is not an exposed filter of the "
			    "report; it exposes %s", kind_name(src), src->name, fp->param,
			    fp->expose, intake_buf_str(&names));
	}
	intake_buf_free(&names);
	json_object_put(root);
	return true;
}


/* The header of t, ", "-joined, into b. */
static void
column_names(const struct intake_table *t, struct intake_buf *b)
{
	size_t	c;

	for (c = 0; c < t->ncols; c++)
		(void)intake_buf_printf(b, "%s'%s'", c > 0 ? ", " : "", intake_table_header(t, c));
}

/* Is each column the config names (key = the column) one of t's?  FAIL lines for those not. */
static bool
columns_exist(struct probe *p, const struct intake_source *src, const struct intake_table *t,
    const char *key, const char *cols, const char *have)
{
	char	one[INTAKE_NAME_MAX];
	size_t	len;
	bool	ok = true;

	while (*cols != '\0') {
		while (*cols == ' ' || *cols == ',')
			cols++;
		len = strcspn(cols, ",");
		while (len > 0 && cols[len - 1] == ' ')
			len--;
		if (len > 0 && len < sizeof(one)) {
			memcpy(one, cols, len);
			one[len] = '\0';
			if (intake_table_column(t, one) < 0) {
				say(p, "FAIL", "%s %s: %s '%s' is not a column of report %s; its "
				    "columns are %s", kind_name(src), src->name, key, one,
				    src->report, have);
				ok = false;
			}
		}
		cols += strcspn(cols, ",");
	}
	return ok;
}

/* The columns the config names (value, label, shown) are the run's columns. */
static void
check_columns(struct probe *p, const struct intake_source *src, const struct intake_table *t)
{
	struct intake_buf	have;
	bool			ok = true;

	if (t->ncols == 0) {
		say(p, "SKIP", "%s %s: columns not checked: the run returned no rows, and a JSON "
		    "run names its columns only in its rows", kind_name(src), src->name);
		return;
	}
	intake_buf_init(&have, LINE_MAX_BYTES / 2);
	column_names(t, &have);
	if (src->kind == INTAKE_SOURCE_CHOICES) {
		ok = columns_exist(p, src, t, "value_column", src->value_column,
		    intake_buf_str(&have)) & ok;
		ok = columns_exist(p, src, t, "label_column", src->label_column,
		    intake_buf_str(&have)) & ok;
	} else
		ok = columns_exist(p, src, t, "columns", src->columns, intake_buf_str(&have));
	if (ok)
		say(p, "OK", "%s %s: the columns it names exist (the report has %s)",
		    kind_name(src), src->name, intake_buf_str(&have));
	intake_buf_free(&have);
}

/* One run of the report in the configured fetch mode, as the lists make it, read as they read it. */
static void
check_run(struct probe *p, const struct intake_source *src)
{
	struct intake_report_call	call = { "GET", NULL, { 0 }, { 0 } };
	struct intake_http_resp		resp;
	struct intake_table		*t = NULL;
	char				shape[128];
	const char			*mode = src->fetch == INTAKE_FETCH_CSV ? "csv" : "json";
	enum intake_err			err;

	intake_http_resp_init(&resp, (size_t)p->ctx->cfg->response_max);
	intake_buf_init(&call.path, 16384);
	intake_buf_init(&call.body, 16384);
	err = p->d->report_call(p->ctx, src, NULL, 0, &call);
	if (err == INTAKE_OK)
		err = intake_integrify_call(p->ctx, call.method, call.path.ptr, call.ctype,
		    call.body.ptr, call.body.len, &resp);
	if (err != INTAKE_OK) {
		say(p, "FAIL", "%s %s: running the report (fetch = %s): %s", kind_name(src),
		    src->name, mode, call_hint(err));
		goto out;
	}
	if (src->fetch == INTAKE_FETCH_CSV)
		(void)snprintf(shape, sizeof(shape), "CSV %s a byte order mark",
		    intake_probe_has_bom(intake_buf_str(&resp.body), resp.body.len) ?
		    "with" : "without");
	else
		intake_probe_list_shape(intake_buf_str(&resp.body), resp.body.len, shape,
		    sizeof(shape));
	err = intake_report_parse(src, &resp, &t);
	if (err != INTAKE_OK) {
		say(p, "FAIL", "%s %s: the run's reply (fetch = %s, %s) could not be read as rows; "
		    "try fetch = %s", kind_name(src), src->name, mode, shape,
		    src->fetch == INTAKE_FETCH_CSV ? "json" : "csv");
		goto out;
	}
	say(p, "OK", "%s %s: one run in fetch = %s gives %zu rows; variant: %s", kind_name(src),
	    src->name, mode, t->nrows, shape);
	check_columns(p, src, t);
out:
	intake_table_free(t);
	intake_buf_free(&call.path);
	intake_buf_free(&call.body);
	intake_http_resp_free(&resp);
}

/* The fixed choices of a question (strings, or objects with a label or value), "|"-joined. */
static void
read_choices(struct json_object *q, char *out, size_t outsz)
{
	struct json_object	*opts = member(q, "options"), *o;
	struct intake_buf	 b;
	const char		*t;
	size_t			 i, n;

	if (opts == NULL)
		opts = member(q, "choices");
	out[0] = '\0';
	if (opts == NULL || !json_object_is_type(opts, json_type_array))
		return;
	intake_buf_init(&b, outsz - 1);
	n = json_object_array_length(opts);
	for (i = 0; i < n; i++) {
		o = json_object_array_get_idx(opts, i);
		t = json_object_is_type(o, json_type_string) ? json_object_get_string(o) : NULL;
		if (t == NULL)
			t = member_text(o, "label");
		if (t == NULL)
			t = member_text(o, "value");
		if (t != NULL)
			(void)intake_buf_printf(&b, "%s%s", i > 0 ? " | " : "", t);
	}
	if (intake_buf_err(&b) == INTAKE_OK && b.len > 0)
		(void)intake_strlcpy(out, intake_buf_str(&b), outsz);
	intake_buf_free(&b);
}

/* One question of a form's questions reply into q; false when it has no id. */
static bool
read_question(struct json_object *item, struct intake_probe_question *q)
{
	const char *id = member_text(item, "id"), *label, *type;

	memset(q, 0, sizeof(*q));
	if (id == NULL && (id = member_text(item, "key")) == NULL)
		return false;
	if ((label = member_text(item, "label")) == NULL)
		label = member_text(item, "displayname");
	if ((type = member_text(item, "questiontype")) == NULL)
		type = member_text(item, "type");
	(void)intake_strlcpy(q->id, id, sizeof(q->id));
	(void)intake_strlcpy(q->label, label != NULL ? label : "", sizeof(q->label));
	(void)intake_strlcpy(q->type, type != NULL ? type : "", sizeof(q->type));
	q->kind = intake_probe_kind_of(type);
	q->required = member_true(item, "required") ||
	    member_true(member(item, "validation"), "required");
	read_choices(item, q->choices, sizeof(q->choices));
	return true;
}

/* The questions of form formsid into tf. */
static enum intake_err
read_questions(struct probe *p, const char *formsid, struct task_fields *tf, char *msg,
    size_t msgsz)
{
	struct json_object	*root = NULL, *list;
	enum intake_err		 err;
	size_t			 i, n;

	err = get_json(p, "/api/forms/", formsid, "/questions", "form questions", &root);
	if (err != INTAKE_OK) {
		(void)snprintf(msg, msgsz, "the questions of form %s: %s", formsid,
		    call_hint(err));
		goto out;
	}
	list = intake_reply_list(root);
	n = list != NULL ? json_object_array_length(list) : 0;
	for (i = 0; i < n && tf->n < INTAKE_PROBE_QUESTIONS_MAX; i++)
		if (read_question(json_object_array_get_idx(list, i), &tf->q[tf->n]))
			tf->n++;
out:
	json_object_put(root);
	return err;
}

/*
 * One-step dialects: the first task of process (task, or the first with
 * a form when task is "") and its form's questions.  INTAKE_ENOTFOUND
 * when the task is not a first task, with its first tasks in msg.
 */
static enum intake_err
first_task_fields(struct probe *p, const char *process, const char *task,
    struct task_fields *tf, char *msg, size_t msgsz)
{
	struct json_object	*root = NULL, *list, *item, *pick = NULL;
	struct intake_buf	 seen;
	const char		*sid, *formsid = NULL;
	enum intake_err		 err;
	size_t			 i, n;

	intake_buf_init(&seen, 1024);
	err = get_json(p, "/api/processes/", process, "/firstTasks", "first tasks", &root);
	if (err != INTAKE_OK) {
		(void)snprintf(msg, msgsz, "its first tasks: %s", call_hint(err));
		goto out;
	}
	list = intake_reply_list(root);
	n = list != NULL ? json_object_array_length(list) : 0;
	for (i = 0; i < n && pick == NULL; i++) {
		item = json_object_array_get_idx(list, i);
		sid = member_text(item, "sid");
		(void)intake_buf_printf(&seen, "%s%s (%s)", i > 0 ? ", " : "",
		    sid != NULL ? sid : "?", member_text(item, "name") != NULL ?
		    member_text(item, "name") : "no name");
		if (sid != NULL && (task[0] != '\0' ? strcmp(sid, task) == 0 :
		    member_text(item, "formsid") != NULL))
			pick = item;
	}
	if (pick == NULL) {
		(void)snprintf(msg, msgsz, "%s%s%s is not a first task of the process; its first "
		    "tasks: %s", task[0] != '\0' ? "task " : "", task[0] != '\0' ? task : "no task",
		    task[0] != '\0' ? "" : " with a form", n > 0 ? intake_buf_str(&seen) : "none");
		err = INTAKE_ENOTFOUND;
		goto out;
	}
	(void)intake_strlcpy(tf->task, member_text(pick, "sid"), sizeof(tf->task));
	formsid = member_text(pick, "formsid");
	if (formsid == NULL) {
		(void)snprintf(msg, msgsz, "task %s has no form", tf->task);
		err = INTAKE_ENOTFOUND;
		goto out;
	}
	err = read_questions(p, formsid, tf, msg, msgsz);
out:
	intake_buf_free(&seen);
	json_object_put(root);
	return err;
}

/* The keys of a data container's field_configuration reply into tf. */
static void
read_container(struct json_object *root, struct task_fields *tf)
{
	struct json_object			*list = member(root, "fieldconfiguration"), *item;
	struct intake_probe_question		*q;
	const char				*key, *type;
	size_t					 i, n;

	if (list == NULL || !json_object_is_type(list, json_type_array))
		list = intake_reply_list(root);
	n = list != NULL ? json_object_array_length(list) : 0;
	for (i = 0; i < n && tf->n < INTAKE_PROBE_QUESTIONS_MAX; i++) {
		item = json_object_array_get_idx(list, i);
		if ((key = member_text(item, "key")) == NULL)
			continue;
		if ((type = member_text(item, "valuetype")) == NULL)
			type = member_text(item, "type");
		q = &tf->q[tf->n++];
		memset(q, 0, sizeof(*q));
		(void)intake_strlcpy(q->id, key, sizeof(q->id));
		(void)intake_strlcpy(q->type, type != NULL ? type : "string", sizeof(q->type));
		q->kind = intake_probe_kind_of(q->type);
	}
}

/* Is an endpoint a reply gave a plain data-container path, safe to GET on Integrify's host? */
static bool
container_path_ok(const char *path)
{
	static const char	prefix[] = "/tasktypes/data-container/";
	size_t			i;

	if (strncmp(path, prefix, sizeof(prefix) - 1) != 0 || strstr(path, "..") != NULL ||
	    strlen(path) >= PATH_MAX_BYTES / 2)
		return false;
	for (i = 0; path[i] != '\0'; i++)
		if (!isalnum((unsigned char)path[i]) && strchr("-_./?=&%+", path[i]) == NULL)
			return false;
	return true;
}

/*
 * The data container of request sid, when one waits: its first
 * endpoint (a plain path on Integrify's host), read into tf.  *found
 * false when the request has no active data-container task.
 */
static enum intake_err
request_container(struct probe *p, const char *sid, struct task_fields *tf, bool *found)
{
	struct json_object	*root = NULL, *eps, *ep = NULL, *dc = NULL;
	const char		*path;
	enum intake_err		 err;

	*found = false;
	err = get_json(p, "/tasktypes/data-container/endpoints?instance_sid=", sid, "",
	    "data-container endpoints", &root);
	if (err != INTAKE_OK)
		goto out;
	eps = intake_reply_typed(root, INTAKE_REPLY_ENDPOINTS, json_type_array);
	if (eps != NULL && json_object_array_length(eps) > 0)
		ep = json_object_array_get_idx(eps, 0);
	path = ep != NULL && json_object_is_type(ep, json_type_string) ?
	    json_object_get_string(ep) : NULL;
	if (path == NULL || !container_path_ok(path))
		goto out;
	err = get_json(p, path, NULL, "", "data container", &dc);
	if (err != INTAKE_OK)
		goto out;
	(void)intake_strlcpy(tf->task, path, sizeof(tf->task));
	tf->task[strcspn(tf->task, "?")] = '\0';
	read_container(dc, tf);
	*found = true;
out:
	json_object_put(dc);
	json_object_put(root);
	return err;
}

/*
 * Two-step dialects: the keys of process's data container, read from an
 * open request of the process that waits at its data-container task (the
 * first one found through the endpoints list, where intake sends the
 * values).  The probe starts no request; INTAKE_ENOTFOUND when none waits.
 */
static enum intake_err
container_fields(struct probe *p, const char *process, struct task_fields *tf, char *msg,
    size_t msgsz)
{
	struct json_object	*root = NULL, *list;
	char			 sid[128];
	enum intake_err		 err;
	size_t			 i, n;
	bool			 found = false;

	err = get_json(p, "/instances/mine?status=open&sort=CreatedDate&dir=DESC&start=0"
	    "&count=20&process_sid=", process, "", "instance list", &root);
	if (err != INTAKE_OK) {
		(void)snprintf(msg, msgsz, "the service account's requests: %s", call_hint(err));
		goto out;
	}
	list = intake_reply_list(root);
	n = list != NULL ? json_object_array_length(list) : 0;
	for (i = 0; i < n && i < V7_REQUESTS && !found && err == INTAKE_OK; i++)
		if (intake_reply_id(json_object_array_get_idx(list, i), INTAKE_REPLY_SID, sid,
		    sizeof(sid)))
			err = request_container(p, sid, tf, &found);
	if (err != INTAKE_OK)
		(void)snprintf(msg, msgsz, "a request's data container: %s", call_hint(err));
	else if (!found) {
		(void)snprintf(msg, msgsz, "its data-container keys can only be read from a request "
		    "that waits at its data-container task, and the service account has none open; "
		    "start one in Integrify as that account (leave it open), then run this again");
		err = INTAKE_ENOTFOUND;
	}
out:
	json_object_put(root);
	return err;
}

/* The fields of process's first task, by the dialect's kind of start. */
static enum intake_err
task_fields(struct probe *p, const char *process, const char *task, struct task_fields *tf,
    char *msg, size_t msgsz)
{
	memset(tf, 0, sizeof(*tf));
	if (p->d->fill != NULL)
		return container_fields(p, process, tf, msg, msgsz);
	return first_task_fields(p, process, task, tf, msg, msgsz);
}

/* The question whose id is key, or (by_label) whose label is key, case aside; NULL: none. */
static const struct intake_probe_question *
question(const struct task_fields *tf, const char *key, bool by_label)
{
	size_t	i;

	for (i = 0; i < tf->n; i++) {
		if (!by_label && strcmp(tf->q[i].id, key) == 0)
			return &tf->q[i];
		if (by_label && tf->q[i].label[0] != '\0' && strcasecmp(tf->q[i].label, key) == 0)
			return &tf->q[i];
	}
	return NULL;
}

/* One key the form sends (a field's, or the reference's): a question id of a fitting type. */
static bool
check_key(struct probe *p, const struct intake_form *f, const struct task_fields *tf,
    const char *what, const char *key, const struct intake_field *fd)
{
	const struct intake_probe_question *q = question(tf, key, false);

	if (q == NULL && (q = question(tf, key, true)) != NULL) {
		say(p, "FAIL", "form %s: %s: key '%s' is a label; the question id is %s", f->id,
		    what, key, q->id);
		return false;
	}
	if (q == NULL) {
		say(p, "FAIL", "form %s: %s: key '%s' is not a %s of the process's first task; "
		    "intake -F %s lists them", f->id, what, key,
		    p->d->fill != NULL ? "data-container key" : "question id", f->process);
		return false;
	}
	if (fd != NULL && !intake_probe_fits(fd->type, q->kind)) {
		say(p, "FAIL", "form %s: %s: a %s field cannot fill '%s' (%s, type %s); make it "
		    "type = %s", f->id, what, intake_field_type_name(fd->type),
		    q->label[0] != '\0' ? q->label : q->id, q->id, q->type,
		    intake_field_type_name(intake_probe_field_type(q->kind, q->type)));
		return false;
	}
	return true;
}

/* Every question the task requires has a field (or the reference) to fill it. */
static bool
check_required(struct probe *p, const struct intake_form *f, const struct task_fields *tf)
{
	size_t	i, j;
	bool	ok = true, covered;

	for (i = 0; i < tf->n; i++) {
		if (!tf->q[i].required)
			continue;
		covered = strcmp(f->reference_key, tf->q[i].id) == 0;
		for (j = 0; j < f->nfields && !covered; j++)
			covered = strcmp(f->fields[j].key, tf->q[i].id) == 0;
		if (!covered) {
			say(p, "FAIL", "form %s: the required question '%s' has no field; add one "
			    "with key = %s", f->id, tf->q[i].label, tf->q[i].id);
			ok = false;
		}
	}
	return ok;
}

/* The form's process is one the service account may start; false: no such process. */
static bool
check_form_process(struct probe *p, const struct intake_form *f)
{
	struct json_object	*item;
	char			 sid[128];
	const char		*name;
	bool			 by_name;

	item = find_process(p, f->process, &by_name);
	name = item != NULL ? intake_reply_str(item, INTAKE_REPLY_PROCESS_NAME) : NULL;
	if (item != NULL && by_name) {
		if (!intake_reply_id(item, INTAKE_REPLY_PROCESS_SID, sid, sizeof(sid)))
			(void)intake_strlcpy(sid, "?", sizeof(sid));
		say(p, "FAIL", "form %s: process '%s' is the process's name; its SID is %s", f->id,
		    f->process, sid);
		return false;
	}
	if (item == NULL) {
		say(p, "FAIL", "form %s: process %s is not in the service account's process list: "
		    "no such process, or '%s' may not start it (give it the start permission in the "
		    "process's security settings); the SID is in the process's address in Integrify",
		    f->id, f->process, p->ctx->cfg->user);
		return false;
	}
	say(p, "OK", "form %s: process %s (%s) is in the service account's process list, so it "
	    "may start it", f->id, f->process, name != NULL ? name : "no name");
	return true;
}

/* A form: its process, its task, every key and every required question. */
static void
check_form(struct probe *p, const struct intake_form *f)
{
	struct task_fields	*tf;
	char			 msg[1024], what[128];
	size_t			 i;
	bool			 ok = true;

	if (!check_form_process(p, f))
		return;
	tf = intake_xcalloc(1, sizeof(*tf));
	if (task_fields(p, f->process, f->task, tf, msg, sizeof(msg)) != INTAKE_OK) {
		say(p, "FAIL", "form %s: %s", f->id, msg);
		goto out;
	}
	for (i = 0; i < f->nfields; i++) {
		(void)snprintf(what, sizeof(what), "field %s", f->fields[i].name);
		ok = check_key(p, f, tf, what, f->fields[i].key, &f->fields[i]) && ok;
	}
	if (f->reference_key[0] != '\0')
		ok = check_key(p, f, tf, "reference_key", f->reference_key, NULL) && ok;
	ok = check_required(p, f, tf) && ok;
	if (ok)
		say(p, "OK", "form %s: task %s: all %zu keys are %ss of fitting types, and every "
		    "required question has a field", f->id, tf->task, f->nfields,
		    p->d->fill != NULL ? "data-container key" : "question id");
out:
	free(tf);
}

/*
 * The shape of the search's items, seen on requests intake started: they
 * are named "TITLE (REFERENCE)", so a search for the first form's title
 * lists them, and each must carry a SID exactly-once can read.
 */
static void
check_search_shape(struct probe *p)
{
	const struct intake_form	*f;
	struct intake_reqstart_result	 res;
	struct intake_reply_hit		 hit;
	enum intake_err			 err;

	if (p->ctx->forms == NULL || p->ctx->forms->n == 0)
		return;
	f = &p->ctx->forms->form[0];
	memset(&res, 0, sizeof(res));
	memset(&hit, 0, sizeof(hit));
	err = p->d->find(p->ctx, f->title, &res, &hit);
	if (err != INTAKE_OK)
		say(p, "FAIL", "request search: a search for '%s': %s", f->title, call_hint(err));
	else if (hit.match == INTAKE_REPLY_FOUND)
		say(p, "OK", "request search: the requests form %s started are listed with a SID "
		    "intake reads (request %s)", f->id, hit.sid);
	else if (hit.match == INTAKE_REPLY_UNREADABLE)
		say(p, "FAIL", "request search: form %s's requests are listed, but no SID could be "
		    "read from them, so every unclear start would be held for a person; an item: "
		    "%s", f->id, hit.item);
	else
		say(p, "SKIP", "request search: the shape of a listed request: form %s has started "
		    "no request yet (they are named '%s (REFERENCE)')", f->id, f->title);
}

/* The request search exactly-once needs (dialect.h find), with a reference no request has. */
static void
check_search(struct probe *p)
{
	struct intake_reqstart_result	res;
	struct intake_reply_hit		hit;
	char				ref[64];
	enum intake_err			err;

	if (p->d->fill != NULL)
		say(p, "SKIP", "variant start reply: only a start shows it, and the probe starts "
		    "no request; intake reads both {\"request\":{...}} and {\"SID\":...}");
	if (p->d->find == NULL) {
		say(p, "OK", "request search: the %s dialect has none; a start whose answer was lost "
		    "is found as the empty request it left (the service account's open requests, "
		    "read above for the forms)", p->d->name);
		return;
	}
	memset(&res, 0, sizeof(res));
	memset(&hit, 0, sizeof(hit));
	(void)snprintf(ref, sizeof(ref), "intake-probe-%llx-%ld",
	    (unsigned long long)intake_now_ms(), (long)getpid());
	err = p->d->find(p->ctx, ref, &res, &hit);
	if (err != INTAKE_OK)
		say(p, "FAIL", "request search: %s; exactly-once cannot look up a start whose "
		    "answer was lost, so each such start is held for a person", call_hint(err));
	else if (hit.match != INTAKE_REPLY_NONE)
		say(p, "FAIL", "request search: a reference no request has was reported as seen "
		    "(%s); its reply is not understood", hit.item);
	else {
		say(p, "OK", "request search: it answers, and a reference no request has finds "
		    "nothing, as it should");
		check_search_shape(p);
	}
}

int
intake_probe_run(struct intake_ctx *ctx, FILE *out)
{
	struct probe	p;
	size_t		i;

	probe_init(&p, ctx, out);
	say(&p, "OK", "config: dialect %s, flow %s, user '%s', %zu sources and reports, %zu forms",
	    p.d->name, intake_flow_name(ctx->cfg->flow), ctx->cfg->user, ctx->cfg->nsources,
	    ctx->forms != NULL ? ctx->forms->n : 0);
	if (!check_token(&p))
		return p.fails;
	check_processes(&p);
	for (i = 0; i < ctx->cfg->nsources; i++)
		if (check_filters(&p, &ctx->cfg->sources[i]))
			check_run(&p, &ctx->cfg->sources[i]);
	for (i = 0; ctx->forms != NULL && i < ctx->forms->n; i++)
		check_form(&p, &ctx->forms->form[i]);
	check_search(&p);
	json_object_put(p.procs);
	return p.fails;
}

/* A value as one INI line: control bytes made spaces, a ';' that would start a comment made ','. */
static void
ini_value(FILE *out, const char *key, const char *v)
{
	(void)fprintf(out, "%s = ", key);
	for (; *v != '\0'; v++)
		(void)fputc((unsigned char)*v < 0x20 || *v == 0x7f ? ' ' : *v == ';' ? ',' : *v,
		    out);
	(void)fputc('\n', out);
}

/* The field name of question q, unique among the n names made before it. */
static void
unique_name(const struct intake_probe_question *q, char names[][64], size_t n, char *out)
{
	char	base[56];
	size_t	i, suffix = 1;
	bool	taken;

	intake_probe_field_name(q->label[0] != '\0' ? q->label : q->id, base, sizeof(base));
	if (strcmp(base, "website") == 0)	/* the form's own trap field */
		(void)intake_strlcpy(base, "website_field", sizeof(base));
	(void)snprintf(out, 64, "%s", base);
	do {
		taken = false;
		for (i = 0; i < n && !taken; i++)
			taken = strcmp(names[i], out) == 0;
		if (taken)
			(void)snprintf(out, 64, "%s_%zu", base, ++suffix);
	} while (taken);
}

/* One question as a [field:NAME] section. */
static void
write_field(FILE *out, const struct intake_probe_question *q, const char *name)
{
	enum intake_field_type t = intake_probe_field_type(q->kind, q->type);

	(void)fprintf(out, "\n[field:%s]\n", name);
	if (q->kind == INTAKE_PROBE_CHOICE || q->kind == INTAKE_PROBE_MANY) {
		(void)fprintf(out, "; Integrify asks this as a %s.", q->type);
		if (q->choices[0] != '\0')
			(void)fprintf(out, " Its fixed choices: %s.", q->choices);
		(void)fprintf(out, "\n; intake has no fixed choices yet: it is free text here. For a"
		    " list, set type = %s\n; and source = the [source:NAME] that offers them.\n",
		    q->kind == INTAKE_PROBE_MANY ? "checkboxes" : "select");
	}
	ini_value(out, "label", q->label[0] != '\0' ? q->label : q->id);
	(void)fprintf(out, "type = %s\n", intake_field_type_name(t));
	if (q->required)
		(void)fprintf(out, "required = yes\n");
	ini_value(out, "key", q->id);
}

/* The whole definition of process (sid, name) from tf. */
static void
write_definition(struct probe *p, FILE *out, const char *sid, const char *name,
    const struct task_fields *tf)
{
	char	(*names)[64] = intake_xcalloc(INTAKE_PROBE_QUESTIONS_MAX, 64);
	size_t	i, n = tf->n < INTAKE_FIELDS_MAX ? tf->n : INTAKE_FIELDS_MAX;

	(void)fprintf(out, "; Generated by intake -F from Integrify's process \"%s\" (%s),\n"
	    "; its first task %s.  Edit it: labels, help, rules, the order of the fields.\n"
	    "; The keys are Integrify's %s: leave them.  Save it as\n"
	    "; conf/forms/ID.conf, check it with intake -t and intake -T, then reload intake.\n",
	    name, sid, tf->task, p->d->fill != NULL ? "data-container keys" : "question ids");
	if (tf->n > n)
		(void)fprintf(out, "; The task has %zu fields; a form holds %d: the rest are left "
		    "out.\n", tf->n, INTAKE_FIELDS_MAX);
	(void)fprintf(out, "\n[form]\n");
	ini_value(out, "title", name);
	ini_value(out, "process", sid);
	if (p->d->fill == NULL)
		ini_value(out, "task", tf->task);
	for (i = 0; i < n; i++) {
		unique_name(&tf->q[i], names, i, names[i]);
		write_field(out, &tf->q[i], names[i]);
	}
	free(names);
}

enum intake_err
intake_probe_form_for(struct intake_ctx *ctx, const char *process, FILE *out, char *msg,
    size_t msgsz)
{
	struct probe		 p;
	struct task_fields	*tf = intake_xcalloc(1, sizeof(*tf));
	struct json_object	*item;
	const char		*name;
	char			 sid[128];
	enum intake_err		 err;
	bool			 by_name;

	probe_init(&p, ctx, stderr);
	err = get_json(&p, p.d->processes_path, NULL, "", "process list", &p.procs);
	if (err != INTAKE_OK) {
		(void)snprintf(msg, msgsz, "the process list: %s", call_hint(err));
		goto out;
	}
	item = find_process(&p, process, &by_name);
	if (item == NULL || !intake_reply_id(item, INTAKE_REPLY_PROCESS_SID, sid, sizeof(sid))) {
		(void)snprintf(msg, msgsz, "no process '%s' in the service account's process list",
		    process);
		err = INTAKE_ENOTFOUND;
		goto out;
	}
	name = intake_reply_str(item, INTAKE_REPLY_PROCESS_NAME);
	err = task_fields(&p, sid, "", tf, msg, msgsz);
	if (err == INTAKE_OK)
		write_definition(&p, out, sid, name != NULL ? name : sid, tf);
out:
	json_object_put(p.procs);
	free(tf);
	return err;
}
