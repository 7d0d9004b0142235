/*
 * tenant.c - a tenant's shape, read as the service account (tenant.h).
 *
 * Every call goes through what intake uses at run time: authenticated
 * calls (call.c) and the dialect's GET (dialect.h).  Two things only
 * the probe and -F read: a report's exposed filters (GET
 * /reports/{sid}/filters, the legacy path both dialects answer), and a
 * task's fields.  Where those differ by dialect this file asks the
 * dialect's struct, not its name: which way is chosen in one place
 * (intake_tenant_in_container: a dialect whose start fills a data
 * container afterwards has its fields read there, a one-step dialect
 * from its first task's form), and the paths are the dialect's
 * fields_list, fields_item and fields_container.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "integrify/dialect.h"
#include "integrify/reply.h"
#include "integrify/tenant.h"
#include "util/json.h"
#include "util/nelem.h"
#include "util/str.h"

#define PATH_MAX_BYTES	4096	/* a path we build */
#define V7_REQUESTS	20	/* open requests looked at for a data container (v7.c asks 20) */

/* Integrify's words for question and value types, and their kinds. */
static const struct {
	const char		*word;	/* lower case, '_' and '-' aside */
	enum intake_tenant_kind	 kind;
} kind_words[] = {

	{ "shorttext", INTAKE_TENANT_TEXT }, { "longtext", INTAKE_TENANT_TEXT },
	{ "text", INTAKE_TENANT_TEXT }, { "textarea", INTAKE_TENANT_TEXT },
	{ "email", INTAKE_TENANT_TEXT }, { "numeric", INTAKE_TENANT_NUMBER },
	{ "number", INTAKE_TENANT_NUMBER }, { "currency", INTAKE_TENANT_NUMBER },
	{ "date", INTAKE_TENANT_DATE }, { "datetime", INTAKE_TENANT_DATE },
	{ "dropdown", INTAKE_TENANT_CHOICE }, { "radiobutton", INTAKE_TENANT_CHOICE },
	{ "radio", INTAKE_TENANT_CHOICE }, { "select", INTAKE_TENANT_CHOICE },
	{ "searchbox", INTAKE_TENANT_CHOICE }, { "checkbox", INTAKE_TENANT_MANY },
	{ "checkboxes", INTAKE_TENANT_MANY }, { "multiselect", INTAKE_TENANT_MANY },
	{ "fileupload", INTAKE_TENANT_FILE }, { "file", INTAKE_TENANT_FILE },
	{ "string", INTAKE_TENANT_ANY },	/* a v7 key: text, a choice or a file key */
};

/* Which field types fit each kind (bit per enum intake_field_type). */
#define FT(t)	(1u << (t))
static const unsigned kind_fits[] = {
	[INTAKE_TENANT_ANY] = ~0u,
	[INTAKE_TENANT_TEXT] = FT(INTAKE_FIELD_TEXT) | FT(INTAKE_FIELD_TEXTAREA) |
	    FT(INTAKE_FIELD_EMAIL) | FT(INTAKE_FIELD_NUMBER) | FT(INTAKE_FIELD_DATE) |
	    FT(INTAKE_FIELD_SELECT) | FT(INTAKE_FIELD_RADIO),
	[INTAKE_TENANT_NUMBER] = FT(INTAKE_FIELD_NUMBER) | FT(INTAKE_FIELD_SELECT) |
	    FT(INTAKE_FIELD_RADIO),
	[INTAKE_TENANT_DATE] = FT(INTAKE_FIELD_DATE),
	[INTAKE_TENANT_CHOICE] = FT(INTAKE_FIELD_SELECT) | FT(INTAKE_FIELD_RADIO) |
	    FT(INTAKE_FIELD_TEXT),
	[INTAKE_TENANT_MANY] = FT(INTAKE_FIELD_MULTISELECT) | FT(INTAKE_FIELD_CHECKBOXES) |
	    FT(INTAKE_FIELD_SELECT) | FT(INTAKE_FIELD_RADIO) | FT(INTAKE_FIELD_TEXT),
	[INTAKE_TENANT_FILE] = FT(INTAKE_FIELD_FILE),
};

INTAKE_ROWS(kind_fits, INTAKE_TENANT_KIND__MAX);
_Static_assert(INTAKE_FIELD__MAX < 32, "kind_fits holds a bit per field type");

enum intake_tenant_kind
intake_tenant_kind_of(const char *type)
{
	size_t	i;

	if (type == NULL)
		return INTAKE_TENANT_ANY;
	for (i = 0; i < sizeof(kind_words) / sizeof(kind_words[0]); i++)
		if (intake_reply_key_is(type, kind_words[i].word))
			return kind_words[i].kind;
	return INTAKE_TENANT_ANY;
}

bool
intake_tenant_fits(enum intake_field_type t, enum intake_tenant_kind k)
{
	if ((unsigned)t >= INTAKE_FIELD__MAX || (unsigned)k >= INTAKE_TENANT_KIND__MAX)
		return false;
	return (kind_fits[k] & FT(t)) != 0;
}

enum intake_field_type
intake_tenant_field_type(enum intake_tenant_kind k, const char *type)
{
	switch (k) {
	case INTAKE_TENANT_NUMBER:
		return INTAKE_FIELD_NUMBER;
	case INTAKE_TENANT_DATE:
		return INTAKE_FIELD_DATE;
	case INTAKE_TENANT_FILE:
		return INTAKE_FIELD_FILE;
	case INTAKE_TENANT_TEXT:
		if (type != NULL && intake_reply_key_is(type, "email"))
			return INTAKE_FIELD_EMAIL;
		if (type != NULL && (intake_reply_key_is(type, "longtext") ||
		    intake_reply_key_is(type, "textarea")))
			return INTAKE_FIELD_TEXTAREA;
		return INTAKE_FIELD_TEXT;
	case INTAKE_TENANT_ANY:
	case INTAKE_TENANT_CHOICE:	/* without choices or a [source:]: text (formgen.c) */
	case INTAKE_TENANT_MANY:
	case INTAKE_TENANT_KIND__MAX:
		break;
	}
	return INTAKE_FIELD_TEXT;
}

bool
intake_tenant_has_bom(const char *body, size_t len)
{
	return len >= 3 && memcmp(body, "\xEF\xBB\xBF", 3) == 0;
}

void
intake_tenant_list_shape(const char *body, size_t len, char *out, size_t outsz)
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
		struct json_object_iterator	it = json_object_iter_begin(root);
		struct json_object_iterator	end = json_object_iter_end(root);

		for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it))
			if (json_object_iter_peek_value(&it) == list)
				where = json_object_iter_peek_name(&it);
		if (where != NULL)
			(void)snprintf(out, outsz, "an object, the list under '%s'", where);
		else
			(void)snprintf(out, outsz, "an object, the list nested deeper");
	}
	json_object_put(root);
}

const char *
intake_tenant_call_hint(enum intake_err err)
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
	return intake_reply_member_spelled(obj, spelling);
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
get_json(struct intake_ctx *ctx, const char *prefix, const char *part, const char *suffix,
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
		err = intake_dialect_get_json(ctx, path.ptr, what, &res, root);
	intake_buf_free(&path);
	return err;
}

struct json_object *
intake_tenant_find_process(struct json_object *procs, const char *want, bool *by_name)
{
	struct json_object	*list = intake_reply_list(procs), *item, *named = NULL;
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

bool
intake_tenant_exposed(struct json_object *defs, const char *name, const char **mapping_of)
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

void
intake_tenant_exposed_names(struct json_object *defs, struct intake_buf *b)
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

/* Append s to b with '|', '=' and '\\' escaped and control bytes made spaces. */
static void
choice_text(struct intake_buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '|' || *s == '=' || *s == '\\')
			(void)intake_buf_addc(b, '\\');
		(void)intake_buf_addc(b, (unsigned char)*s < 0x20 || *s == 0x7f ? ' ' : *s);
	}
}

void
intake_tenant_choice_add(struct intake_buf *b, const char *value, const char *label)
{
	if (b->len > 0)
		(void)intake_buf_adds(b, " | ");
	choice_text(b, value);
	if (label != NULL && strcmp(label, value) != 0) {
		(void)intake_buf_adds(b, " = ");
		choice_text(b, label);
	}
}

/*
 * The fixed choices of a question (strings, or objects with a value and
 * a label) as a form's choices key into q; "" when they do not fit.
 */
static void
read_choices(struct json_object *item, struct intake_tenant_question *q)
{
	struct json_object	*opts = member(item, "options"), *o;
	struct intake_buf	 b;
	const char		*v, *l;
	size_t			 i, n;

	if (opts == NULL)
		opts = member(item, "choices");
	q->choices[0] = '\0';
	if (opts == NULL || !json_object_is_type(opts, json_type_array))
		return;
	intake_buf_init(&b, sizeof(q->choices) - 1);
	n = json_object_array_length(opts);
	for (i = 0; i < n; i++) {
		o = json_object_array_get_idx(opts, i);
		v = l = json_object_is_type(o, json_type_string) ? json_object_get_string(o) : NULL;
		if (v == NULL && (v = member_text(o, "value")) == NULL)
			v = member_text(o, "label");
		if (l == NULL && (l = member_text(o, "label")) == NULL)
			l = v;
		if (v == NULL || *v == '\0')
			continue;
		intake_tenant_choice_add(&b, v, l);
		q->nchoices++;
	}
	if (intake_buf_err(&b) == INTAKE_OK && b.len > 0)
		(void)intake_strlcpy(q->choices, intake_buf_str(&b), sizeof(q->choices));
	intake_buf_free(&b);
}

/* One question of a form's questions reply into q; false when it has no id. */
static bool
read_question(struct json_object *item, struct intake_tenant_question *q)
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
	q->kind = intake_tenant_kind_of(type);
	q->required = member_true(item, "required") ||
	    member_true(member(item, "validation"), "required");
	read_choices(item, q);
	return true;
}

/* The questions of form formsid into tf. */
static enum intake_err
read_questions(struct intake_ctx *ctx, const char *formsid, struct intake_tenant_fields *tf,
    char *msg, size_t msgsz)
{
	const struct intake_dialect	*d = intake_dialect_ctx(ctx);
	struct json_object		*root = NULL, *list;
	enum intake_err			 err;
	size_t				 i, n;

	err = get_json(ctx, d->fields_item[0], formsid, d->fields_item[1], "form questions", &root);
	if (err != INTAKE_OK) {
		(void)snprintf(msg, msgsz, "the questions of form %s: %s", formsid,
		    intake_tenant_call_hint(err));
		goto out;
	}
	list = intake_reply_list(root);
	n = list != NULL ? json_object_array_length(list) : 0;
	for (i = 0; i < n && tf->n < INTAKE_TENANT_QUESTIONS_MAX; i++)
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
first_task_fields(struct intake_ctx *ctx, const char *process, const char *task,
    struct intake_tenant_fields *tf, char *msg, size_t msgsz)
{
	const struct intake_dialect	*d = intake_dialect_ctx(ctx);
	struct json_object		*root = NULL, *list, *item, *pick = NULL;
	struct intake_buf		 seen;
	const char			*sid, *formsid = NULL;
	enum intake_err			 err;
	size_t				 i, n;

	intake_buf_init(&seen, 1024);
	err = get_json(ctx, d->fields_list[0], process, d->fields_list[1], "first tasks", &root);
	if (err != INTAKE_OK) {
		(void)snprintf(msg, msgsz, "its first tasks: %s", intake_tenant_call_hint(err));
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
	err = read_questions(ctx, formsid, tf, msg, msgsz);
out:
	intake_buf_free(&seen);
	json_object_put(root);
	return err;
}

/* The keys of a data container's field_configuration reply into tf. */
static void
read_container(struct json_object *root, struct intake_tenant_fields *tf)
{
	struct json_object			*list = member(root, "fieldconfiguration"), *item;
	struct intake_tenant_question		*q;
	const char				*key, *type;
	size_t					 i, n;

	if (list == NULL || !json_object_is_type(list, json_type_array))
		list = intake_reply_list(root);
	n = list != NULL ? json_object_array_length(list) : 0;
	for (i = 0; i < n && tf->n < INTAKE_TENANT_QUESTIONS_MAX; i++) {
		item = json_object_array_get_idx(list, i);
		if ((key = member_text(item, "key")) == NULL)
			continue;
		if ((type = member_text(item, "valuetype")) == NULL)
			type = member_text(item, "type");
		q = &tf->q[tf->n++];
		memset(q, 0, sizeof(*q));
		(void)intake_strlcpy(q->id, key, sizeof(q->id));
		(void)intake_strlcpy(q->type, type != NULL ? type : "string", sizeof(q->type));
		q->kind = intake_tenant_kind_of(q->type);
	}
}

/* Is an endpoint a reply gave a plain path under prefix (a data container), safe to GET? */
static bool
container_path_ok(const char *prefix, const char *path)
{
	size_t	i;

	if (prefix == NULL || strncmp(path, prefix, strlen(prefix)) != 0 ||
	    strstr(path, "..") != NULL ||
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
request_container(struct intake_ctx *ctx, const char *sid, struct intake_tenant_fields *tf,
    bool *found)
{
	const struct intake_dialect	*d = intake_dialect_ctx(ctx);
	struct json_object		*root = NULL, *eps, *ep = NULL, *dc = NULL;
	const char			*path;
	enum intake_err			 err;

	*found = false;
	err = get_json(ctx, d->fields_item[0], sid, d->fields_item[1], "data-container endpoints",
	    &root);
	if (err != INTAKE_OK)
		goto out;
	eps = intake_reply_typed(root, INTAKE_REPLY_ENDPOINTS, json_type_array);
	if (eps != NULL && json_object_array_length(eps) > 0)
		ep = json_object_array_get_idx(eps, 0);
	path = ep != NULL && json_object_is_type(ep, json_type_string) ?
	    json_object_get_string(ep) : NULL;
	if (path == NULL || !container_path_ok(d->fields_container, path))
		goto out;
	err = get_json(ctx, path, NULL, "", "data container", &dc);
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
container_fields(struct intake_ctx *ctx, const char *process, struct intake_tenant_fields *tf,
    char *msg, size_t msgsz)
{
	const struct intake_dialect	*d = intake_dialect_ctx(ctx);
	struct json_object		*root = NULL, *list;
	char				 sid[128];
	enum intake_err			 err;
	size_t				 i, n;
	bool				 found = false;

	err = get_json(ctx, d->fields_list[0], process, d->fields_list[1], "instance list", &root);
	if (err != INTAKE_OK) {
		(void)snprintf(msg, msgsz, "the service account's requests: %s", intake_tenant_call_hint(err));
		goto out;
	}
	list = intake_reply_list(root);
	n = list != NULL ? json_object_array_length(list) : 0;
	for (i = 0; i < n && i < V7_REQUESTS && !found && err == INTAKE_OK; i++)
		if (intake_reply_id(json_object_array_get_idx(list, i), INTAKE_REPLY_SID, sid,
		    sizeof(sid)))
			err = request_container(ctx, sid, tf, &found);
	if (err != INTAKE_OK)
		(void)snprintf(msg, msgsz, "a request's data container: %s", intake_tenant_call_hint(err));
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

enum intake_err
intake_tenant_task_fields(struct intake_ctx *ctx, const char *process, const char *task,
    struct intake_tenant_fields *tf, char *msg, size_t msgsz)
{
	memset(tf, 0, sizeof(*tf));
	if (intake_tenant_in_container(ctx))
		return container_fields(ctx, process, tf, msg, msgsz);
	return first_task_fields(ctx, process, task, tf, msg, msgsz);
}

const struct intake_tenant_question *
intake_tenant_find_question(const struct intake_tenant_fields *tf, const char *key,
    bool by_label)
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

bool
intake_tenant_in_container(struct intake_ctx *ctx)
{
	return intake_dialect_ctx(ctx)->fill != NULL;
}

enum intake_err
intake_tenant_processes(struct intake_ctx *ctx, struct json_object **root)
{
	return get_json(ctx, intake_dialect_ctx(ctx)->processes_path, NULL, "", "process list",
	    root);
}

enum intake_err
intake_tenant_filters(struct intake_ctx *ctx, const char *report, struct json_object **root)
{
	return get_json(ctx, "/reports/", report, "/filters", "report filters", root);
}
