/*
 * reqstart.c - starting an Integrify request with a form's values (reqstart.h).
 *
 * Files go first, one multipart upload each; their keys then travel as
 * the file fields' values.  v8 starts the request and fills the first
 * form task in one call; v7 starts it, asks for the active data-container
 * task and posts the values there.  Every string we send is JSON-quoted
 * or percent-escaped here, and the only path taken from a reply (the v7
 * data-container endpoint) must be a plain path on Integrify's host.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <openssl/rand.h>

#include "integrify/call.h"
#include "util/json.h"
#include "core/log.h"
#include "integrify/reply.h"
#include "integrify/reqstart.h"
#include "util/str.h"

#define BODY_MAX	(8u << 20)		/* a start or data-container body */
#define PATH_MAX_BYTES	(INTAKE_URL_MAX + 4096)	/* a path and query we build */
#define ENDPOINT_MAX	2048			/* a data-container endpoint */
#define FILE_KEY_MAX	128			/* an uploaded file's key, with NUL */
#define MP_OVERHEAD	1024			/* multipart framing around one file */
#define BOUNDARY_TRIES	4
#define ORPHAN_PAGE	50			/* requests per page of the v7 list */
#define ORPHAN_PAGES	40			/* pages looked at, at most */

/* Each field type as a v8 question: its "type" and "QuestionType". */
static const struct {
	const char	*type;
	const char	*question;
} qtypes[] = {
	{ "string",	"ShortText" },	/* INTAKE_FIELD_TEXT */
	{ "string",	"LongText" },	/* INTAKE_FIELD_TEXTAREA */
	{ "string",	"Email" },	/* INTAKE_FIELD_EMAIL */
	{ "Numeric",	"Numeric" },	/* INTAKE_FIELD_NUMBER */
	{ "DateTime",	"Date" },	/* INTAKE_FIELD_DATE */
	{ "string",	"DropDown" },	/* INTAKE_FIELD_SELECT */
	{ "string",	"CheckBox" },	/* INTAKE_FIELD_MULTISELECT: "|"-joined like checkboxes */
	{ "string",	"CheckBox" },	/* INTAKE_FIELD_CHECKBOXES */
	{ "string",	"FileUpload" },	/* INTAKE_FIELD_FILE: the uploaded file's key */
};
_Static_assert(sizeof(qtypes) / sizeof(qtypes[0]) == INTAKE_FIELD__MAX,
    "qtypes[] needs one row per field type");

/* An uploaded file's key per value; "" for none. */
struct file_keys {
	char	key[INTAKE_FIELDS_MAX][FILE_KEY_MAX];
};

/* Is s (len bytes) 1 to max-1 bytes of printable ASCII without spaces? */
static bool
token_ok(const char *s, size_t len, size_t max)
{
	size_t	i;

	if (s == NULL || len == 0 || len >= max)
		return false;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return false;
	return true;
}

/* Does the value carry a file to upload? */
static bool
has_file(const struct intake_form_value *v)
{
	return v->field->type == INTAKE_FIELD_FILE && v->file_name != NULL &&
	    v->file_name[0] != '\0';
}

/* Does the value (or its uploaded file) give the field anything to send? */
static bool
has_value(const struct intake_form_value *v, const char *file_key)
{
	size_t	i;

	if (v->field->type == INTAKE_FIELD_FILE)
		return file_key[0] != '\0';
	for (i = 0; i < v->nvalues; i++)
		if (v->values[i][0] != '\0')
			return true;
	return false;
}

/* Refuse what the caller should never pass; logged here, once. */
static enum intake_err
check_args(const struct intake_form *form, const struct intake_form_value *values,
    size_t nvalues)
{
	size_t	i, j;

	if (form->process[0] == '\0') {
		intake_log_err("reqstart: form %s names no process", form->id);
		return INTAKE_EINVAL;
	}
	if (nvalues > INTAKE_FIELDS_MAX) {
		intake_log_err("reqstart: form %s: %zu values, at most %d", form->id, nvalues,
		    INTAKE_FIELDS_MAX);
		return INTAKE_EINVAL;
	}
	for (i = 0; i < nvalues; i++) {
		if (values[i].field == NULL || (unsigned)values[i].field->type >= INTAKE_FIELD__MAX ||
		    values[i].nvalues > INTAKE_REQSTART_VALUES_MAX ||
		    (values[i].file_len > 0 && values[i].file_data == NULL)) {
			intake_log_err("reqstart: form %s: value %zu is malformed", form->id, i);
			return INTAKE_EINVAL;
		}
		for (j = 0; j < values[i].nvalues; j++)
			if (values[i].values[j] == NULL) {
				intake_log_err("reqstart: form %s: field %s: a NULL value",
				    form->id, values[i].field->name);
				return INTAKE_EINVAL;
			}
	}
	return INTAKE_OK;
}

/* Append the value's non-empty values joined with "|" (Integrify's checkbox encoding). */
static enum intake_err
join_values(struct intake_buf *b, const struct intake_form_value *v)
{
	enum intake_err	err = INTAKE_OK;
	size_t		i, used = 0;

	for (i = 0; err == INTAKE_OK && i < v->nvalues; i++) {
		if (v->values[i][0] == '\0')
			continue;
		if (used++ > 0)
			err = intake_buf_addc(b, '|');
		if (err == INTAKE_OK)
			err = intake_buf_adds(b, v->values[i]);
	}
	return err;
}

/* Append the value as a JSON string: the file key, or the joined values. */
static enum intake_err
add_value_string(struct intake_buf *b, const struct intake_form_value *v,
    const char *file_key)
{
	struct intake_buf	joined;
	enum intake_err		err;

	if (v->field->type == INTAKE_FIELD_FILE)
		return intake_json_quote(b, file_key, strlen(file_key));
	intake_buf_init(&joined, b->max);
	err = join_values(&joined, v);
	if (err == INTAKE_OK)
		err = intake_json_quote(b, intake_buf_str(&joined), joined.len);
	intake_buf_free(&joined);
	return err;
}

/* Is s a number as RFC 8259 section 6 writes one (so it can go unquoted)? */
static bool
json_number_ok(const char *s)
{
	if (*s == '-')
		s++;
	if (*s == '0')
		s++;
	else if (*s >= '1' && *s <= '9')
		while (isdigit((unsigned char)*s))
			s++;
	else
		return false;
	if (*s == '.') {
		s++;
		if (!isdigit((unsigned char)*s))
			return false;
		while (isdigit((unsigned char)*s))
			s++;
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!isdigit((unsigned char)*s))
			return false;
		while (isdigit((unsigned char)*s))
			s++;
	}
	return *s == '\0';
}

/* Does the request carry the submission's reference in a field of its own? */
static bool
reference_wanted(const struct intake_form *form, const struct intake_reqstart_opts *o)
{
	return form->reference_key[0] != '\0' && o->reference != NULL && o->reference[0] != '\0';
}

/* How a failed call ended, into res; start marks the call that creates the request. */
static void
note_failure(struct intake_reqstart_result *res, const struct intake_http_resp *resp,
    enum intake_err err, bool start)
{
	res->status = resp->status;
	res->retry_after = resp->retry_after;
	if (!start || resp->unsent)
		return;
	/*
	 * No reply, a gateway's or server's error, or a success we could not
	 * read: Integrify may have made the request.  429 and 503 say it did
	 * not; neither does a refused token.
	 */
	res->unsure = resp->status == 0 || resp->status == 500 || resp->status == 502 ||
	    resp->status == 504 || (err == INTAKE_EPROTO && resp->status >= 200 &&
	    resp->status < 300);
}

/*
 * The v8 power-form body: {"isDraft":false,"request_name":...,
 * "questions":[{"key","label","value","type","QuestionType"},...]}, one
 * question per field with a value.
 */
static enum intake_err
build_questions(const struct intake_form *form, const struct intake_form_value *values,
    size_t n, const struct file_keys *keys, const struct intake_reqstart_opts *o,
    struct intake_buf *body)
{
	const char			*request_name = o->request_name;
	const struct intake_field	*f;
	enum intake_err			 err;
	size_t				 i, used = 0;

	err = intake_buf_adds(body, "{\"isDraft\":false,\"request_name\":");
	if (err == INTAKE_OK)
		err = intake_json_quote(body, request_name, strlen(request_name));
	if (err == INTAKE_OK)
		err = intake_buf_adds(body, ",\"questions\":[");
	if (err == INTAKE_OK && reference_wanted(form, o)) {
		used++;
		err = intake_buf_adds(body, "{\"key\":");
		if (err == INTAKE_OK)
			err = intake_json_quote(body, form->reference_key, strlen(form->reference_key));
		if (err == INTAKE_OK)
			err = intake_buf_adds(body, ",\"label\":\"Reference\",\"value\":");
		if (err == INTAKE_OK)
			err = intake_json_quote(body, o->reference, strlen(o->reference));
		if (err == INTAKE_OK)
			err = intake_buf_adds(body, ",\"type\":\"string\",\"QuestionType\":\"ShortText\"}");
	}
	for (i = 0; err == INTAKE_OK && i < n; i++) {
		f = values[i].field;
		if (!has_value(&values[i], keys->key[i]))
			continue;
		if (used++ > 0)
			err = intake_buf_addc(body, ',');
		if (err == INTAKE_OK)
			err = intake_buf_adds(body, "{\"key\":");
		if (err == INTAKE_OK)
			err = intake_json_quote(body, f->key, strlen(f->key));
		if (err == INTAKE_OK)
			err = intake_buf_adds(body, ",\"label\":");
		if (err == INTAKE_OK)
			err = intake_json_quote(body, f->label, strlen(f->label));
		if (err == INTAKE_OK)
			err = intake_buf_adds(body, ",\"value\":");
		if (err == INTAKE_OK)
			err = add_value_string(body, &values[i], keys->key[i]);
		if (err == INTAKE_OK)
			err = intake_buf_printf(body, ",\"type\":\"%s\",\"QuestionType\":\"%s\"}",
			    qtypes[f->type].type, qtypes[f->type].question);
	}
	if (err == INTAKE_OK)
		err = intake_buf_adds(body, "]}");
	return err;
}

/*
 * The v7 data-container body: {"key": value, ...}.  A number field's
 * single value goes as a JSON number; everything else as a string.
 */
static enum intake_err
build_container(const struct intake_form *form, const struct intake_form_value *values,
    size_t n, const struct file_keys *keys, const struct intake_reqstart_opts *o,
    struct intake_buf *body)
{
	const struct intake_field	*f;
	enum intake_err			 err;
	size_t				 i, used = 0;

	err = intake_buf_addc(body, '{');
	if (err == INTAKE_OK && reference_wanted(form, o)) {
		used++;
		err = intake_json_quote(body, form->reference_key, strlen(form->reference_key));
		if (err == INTAKE_OK)
			err = intake_buf_addc(body, ':');
		if (err == INTAKE_OK)
			err = intake_json_quote(body, o->reference, strlen(o->reference));
	}
	for (i = 0; err == INTAKE_OK && i < n; i++) {
		f = values[i].field;
		if (!has_value(&values[i], keys->key[i]))
			continue;
		if (used++ > 0)
			err = intake_buf_addc(body, ',');
		if (err == INTAKE_OK)
			err = intake_json_quote(body, f->key, strlen(f->key));
		if (err == INTAKE_OK)
			err = intake_buf_addc(body, ':');
		if (err != INTAKE_OK)
			break;
		if (f->type == INTAKE_FIELD_NUMBER && values[i].nvalues == 1 &&
		    json_number_ok(values[i].values[0]))
			err = intake_buf_adds(body, values[i].values[0]);
		else
			err = add_value_string(body, &values[i], keys->key[i]);
	}
	if (err == INTAKE_OK)
		err = intake_buf_addc(body, '}');
	return err;
}

/* The file name for a Content-Disposition quoted string: no ", \, CR, LF or controls. */
static enum intake_err
add_file_name(struct intake_buf *b, const char *name)
{
	enum intake_err	err = INTAKE_OK;
	size_t		start = b->len;
	unsigned char	c;

	for (; err == INTAKE_OK && *name != '\0'; name++) {
		c = (unsigned char)*name;
		if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
			continue;
		err = intake_buf_addc(b, (char)c);
	}
	if (err == INTAKE_OK && b->len == start)
		err = intake_buf_adds(b, "upload");
	return err;
}

/* The part's Content-Type: the given one when it is a plain type/subtype (RFC 6838 names). */
static const char *
file_type(const char *t)
{
	static const char	 extra[] = "!#$&-^_.+";
	size_t			 i, slashes = 0;

	if (t == NULL || t[0] == '\0' || strlen(t) > 127)
		return "application/octet-stream";
	for (i = 0; t[i] != '\0'; i++) {
		if (t[i] == '/') {
			if (i == 0 || t[i + 1] == '\0')
				return "application/octet-stream";
			slashes++;
		} else if (!isalnum((unsigned char)t[i]) && strchr(extra, t[i]) == NULL)
			return "application/octet-stream";
	}
	return slashes == 1 ? t : "application/octet-stream";
}

/*
 * A multipart/form-data body with the one part "file", and its boundary
 * (random, and checked not to occur in the file) into boundary.
 */
static enum intake_err
build_multipart(const struct intake_form_value *v, char boundary[48], struct intake_buf *body)
{
	unsigned char	raw[16];
	enum intake_err	err;
	int		tries;

	for (tries = 0;; tries++) {
		if (tries == BOUNDARY_TRIES) {
			intake_log_err("reqstart: field %s: no boundary fits the file",
			    v->field->name);
			return INTAKE_ESYS;
		}
		if (RAND_bytes(raw, (int)sizeof(raw)) != 1) {
			intake_log_err("reqstart: RAND_bytes failed");
			return INTAKE_ESYS;
		}
		memcpy(boundary, "intake-", 7);
		intake_hex(raw, sizeof(raw), boundary + 7);
		if (v->file_len == 0 ||
		    memmem(v->file_data, v->file_len, boundary, strlen(boundary)) == NULL)
			break;
	}
	err = intake_buf_printf(body, "--%s\r\nContent-Disposition: form-data; name=\"file\"; "
	    "filename=\"", boundary);
	if (err == INTAKE_OK)
		err = add_file_name(body, v->file_name);
	if (err == INTAKE_OK)
		err = intake_buf_printf(body, "\"\r\nContent-Type: %s\r\n\r\n",
		    file_type(v->file_type));
	if (err == INTAKE_OK && v->file_len > 0)
		err = intake_buf_add(body, v->file_data, v->file_len);
	if (err == INTAKE_OK)
		err = intake_buf_printf(body, "\r\n--%s--\r\n", boundary);
	return err;
}

/*
 * The file key of an upload reply: [{"sid"|"file"|"key": KEY, ...}] (or
 * the object alone), into key.  INTAKE_EPROTO when there is none.
 */
static enum intake_err
read_file_key(const struct intake_http_resp *resp, bool v8, char key[FILE_KEY_MAX])
{
	struct json_object	*root = NULL, *obj;
	const char		*s;
	enum intake_err		 err = INTAKE_EPROTO;

	if (intake_json_parse(intake_buf_str(&resp->body), resp->body.len, &root) != INTAKE_OK)
		goto out;
	obj = root;
	if (json_object_is_type(root, json_type_array))
		obj = json_object_array_length(root) > 0 ? json_object_array_get_idx(root, 0) : NULL;
	s = intake_reply_str(obj, v8 ? INTAKE_REPLY_FILE_V8 : INTAKE_REPLY_FILE_V7);
	if (s == NULL || !token_ok(s, strlen(s), FILE_KEY_MAX))
		goto out;
	memcpy(key, s, strlen(s) + 1);
	err = INTAKE_OK;
out:
	json_object_put(root);
	return err;
}

/* Upload one file field's file; its key into key. */
static enum intake_err
upload_one(struct intake_ctx *ctx, const struct intake_form *form,
    const struct intake_form_value *v, char key[FILE_KEY_MAX], struct intake_reqstart_result *res)
{
	const struct intake_config	*cfg = ctx->cfg;
	struct intake_http_resp		 resp;
	struct intake_buf		 path, body, ctype;
	char				 boundary[48];
	enum intake_err			 err;
	bool				 v8 = cfg->dialect == INTAKE_DIALECT_V8;

	intake_http_resp_init(&resp, (size_t)cfg->response_max);
	intake_buf_init(&path, PATH_MAX_BYTES);
	intake_buf_init(&ctype, 128);
	if (v->file_len > SIZE_MAX - MP_OVERHEAD - strlen(v->file_name)) {
		intake_buf_init(&body, 0);
		err = INTAKE_ETOOBIG;
		goto out;
	}
	intake_buf_init(&body, v->file_len + MP_OVERHEAD + strlen(v->file_name));
	if (v8) {
		err = intake_buf_adds(&path, "/api/files/temp/");
		if (err == INTAKE_OK)
			err = intake_url_escape(&path, cfg->tenant);
		if (err == INTAKE_OK)
			err = intake_buf_adds(&path, "/upload");
	} else
		err = intake_buf_adds(&path, "/files/upload");
	if (err == INTAKE_OK)
		err = build_multipart(v, boundary, &body);
	if (err == INTAKE_OK)
		err = intake_buf_printf(&ctype, "multipart/form-data; boundary=%s", boundary);
	if (err != INTAKE_OK)
		goto out;
	err = intake_integrify_call(ctx, "POST", path.ptr, ctype.ptr, body.ptr, body.len, &resp);
	if (err != INTAKE_OK) {
		note_failure(res, &resp, err, false);
		goto out;
	}
	err = read_file_key(&resp, v8, key);
	if (err != INTAKE_OK)
		intake_log_err("reqstart: form %s: field %s: the upload reply names no file key",
		    form->id, v->field->name);
out:
	intake_buf_free(&path);
	intake_buf_free(&body);
	intake_buf_free(&ctype);
	intake_http_resp_free(&resp);
	return err;
}

/* Upload every file the values carry; keys->key[i] for values[i]. */
static enum intake_err
upload_files(struct intake_ctx *ctx, const struct intake_form *form,
    const struct intake_form_value *values, size_t n, struct file_keys *keys,
    struct intake_reqstart_result *res)
{
	enum intake_err	err = INTAKE_OK;
	size_t		i;

	for (i = 0; err == INTAKE_OK && i < n; i++) {
		keys->key[i][0] = '\0';
		if (has_file(&values[i]))
			err = upload_one(ctx, form, &values[i], keys->key[i], res);
	}
	return err;
}

/*
 * GET path_query from Integrify and parse its reply into *root (the
 * caller frees it).  A failed call is noted in res; a reply that is not
 * JSON is INTAKE_EPROTO, logged as what's.
 */
static enum intake_err
get_json(struct intake_ctx *ctx, const char *path_query, const char *what,
    struct intake_reqstart_result *res, struct json_object **root)
{
	struct intake_http_resp	resp;
	enum intake_err		err;

	*root = NULL;
	intake_http_resp_init(&resp, (size_t)ctx->cfg->response_max);
	err = intake_integrify_call(ctx, "GET", path_query, NULL, NULL, 0, &resp);
	if (err != INTAKE_OK)
		note_failure(res, &resp, err, false);
	else if (intake_json_parse(intake_buf_str(&resp.body), resp.body.len, root) !=
	    INTAKE_OK) {
		intake_log_err("reqstart: the %s reply is not JSON", what);
		err = INTAKE_EPROTO;
	}
	intake_http_resp_free(&resp);
	return err;
}

/*
 * The new request's SID and id from a start reply, read tolerantly:
 * a SID at the top, or under "request" ({"request":{"sid","id"}}).
 * INTAKE_EPROTO when no usable SID is there.
 */
static enum intake_err
read_instance(const struct intake_http_resp *resp, struct intake_reqstart_result *res)
{
	struct json_object	*root = NULL, *req;
	enum intake_err		 err = INTAKE_EPROTO;

	if (intake_json_parse(intake_buf_str(&resp->body), resp->body.len, &root) != INTAKE_OK ||
	    !json_object_is_type(root, json_type_object))
		goto out;
	req = intake_reply_member(root, INTAKE_REPLY_REQUEST);
	if (!intake_reply_id(root, INTAKE_REPLY_SID, res->instance_sid,
	    sizeof(res->instance_sid)) &&
	    !intake_reply_id(req, INTAKE_REPLY_SID, res->instance_sid, sizeof(res->instance_sid)))
		goto out;
	if (!intake_reply_id(root, INTAKE_REPLY_ID, res->instance_id, sizeof(res->instance_id)) &&
	    !intake_reply_id(req, INTAKE_REPLY_ID, res->instance_id, sizeof(res->instance_id)))
		res->instance_id[0] = '\0';
	err = INTAKE_OK;
out:
	json_object_put(root);
	return err;
}

/*
 * Is s (len bytes) a path on Integrify's own host?  It must start with
 * one "/" (never a URL nor "//host": the reply must not pick the host we
 * send the token and the values to), hold only RFC 3986 path and query
 * characters, and have no dot segments.
 */
static bool
endpoint_ok(const char *s, size_t len)
{
	static const char extra[] = "-._~!$&'()*+,;=:@/?%";
	const char	*q, *seg, *end;
	size_t		 i, slen;

	if (len == 0 || len >= ENDPOINT_MAX || s[0] != '/' || (len > 1 && s[1] == '/'))
		return false;
	for (i = 0; i < len; i++)
		if (s[i] == '\0' || (!isalnum((unsigned char)s[i]) && strchr(extra, s[i]) == NULL))
			return false;
	q = memchr(s, '?', len);
	end = q != NULL ? q : s + len;
	for (seg = s + 1; seg <= end; seg += slen + 1) {
		q = memchr(seg, '/', (size_t)(end - seg));
		slen = (size_t)((q != NULL ? q : end) - seg);
		if ((slen == 1 && seg[0] == '.') || (slen == 2 && memcmp(seg, "..", 2) == 0))
			return false;
	}
	/* An encoded dot could become one on the other side. */
	for (i = 0; i + 2 < (size_t)(end - s); i++)
		if (s[i] == '%' && s[i + 1] == '2' && (s[i + 2] == 'e' || s[i + 2] == 'E'))
			return false;
	return true;
}

/*
 * v7: the active data-container task's endpoint of instance sid, into ep.
 * INTAKE_ENOTFOUND when the request has none active (when resuming, its
 * values were stored: the task completed).
 */
static enum intake_err
container_endpoint(struct intake_ctx *ctx, const struct intake_form *form, const char *sid,
    bool resuming, struct intake_buf *ep, struct intake_reqstart_result *res)
{
	struct json_object	*root = NULL, *list, *first;
	struct intake_buf	 path;
	enum intake_err		 err;

	intake_buf_init(&path, PATH_MAX_BYTES);
	err = intake_buf_adds(&path, "/tasktypes/data-container/endpoints?instance_sid=");
	if (err == INTAKE_OK)
		err = intake_url_escape(&path, sid);
	if (err == INTAKE_OK)
		err = get_json(ctx, path.ptr, "data-container endpoints", res, &root);
	if (err != INTAKE_OK)
		goto out;
	list = json_object_is_type(root, json_type_array) ? root :
	    intake_reply_member(root, INTAKE_REPLY_ENDPOINTS);
	first = list != NULL && json_object_is_type(list, json_type_array) &&
	    json_object_array_length(list) > 0 ? json_object_array_get_idx(list, 0) : NULL;
	if (first == NULL) {
		if (!resuming)
			intake_log_err("reqstart: form %s: request %s has no active data-container "
			    "task (does process %s start with one?)", form->id, sid, form->process);
		err = resuming ? INTAKE_ENOTFOUND : INTAKE_EPROTO;
		goto out;
	}
	if (!json_object_is_type(first, json_type_string) ||
	    !endpoint_ok(json_object_get_string(first),
	    (size_t)json_object_get_string_len(first))) {
		intake_log_err("reqstart: form %s: request %s: refused a data-container endpoint "
		    "that is not a plain path on the Integrify host", form->id, sid);
		err = INTAKE_EPROTO;
		goto out;
	}
	err = intake_buf_adds(ep, json_object_get_string(first));
out:
	json_object_put(root);
	intake_buf_free(&path);
	return err;
}

/* v8: one call starts the request with the first form task's answers. */
static enum intake_err
start_v8(struct intake_ctx *ctx, const struct intake_form *form,
    const struct intake_form_value *values, size_t n, const struct file_keys *keys,
    const struct intake_reqstart_opts *o, struct intake_reqstart_result *res)
{
	struct intake_http_resp	resp;
	struct intake_buf	path, body;
	enum intake_err		err;

	intake_http_resp_init(&resp, (size_t)ctx->cfg->response_max);
	intake_buf_init(&path, PATH_MAX_BYTES);
	intake_buf_init(&body, BODY_MAX);
	err = intake_buf_adds(&path, "/api/instance/start/");
	if (err == INTAKE_OK)
		err = intake_url_escape(&path, form->process);
	if (err == INTAKE_OK && form->task[0] != '\0') {
		err = intake_buf_addc(&path, '/');
		if (err == INTAKE_OK)
			err = intake_url_escape(&path, form->task);
	}
	if (err == INTAKE_OK && o->request_name[0] != '\0') {
		err = intake_buf_adds(&path, "?requestName=");
		if (err == INTAKE_OK)
			err = intake_url_escape(&path, o->request_name);
	}
	if (err == INTAKE_OK)
		err = build_questions(form, values, n, keys, o, &body);
	if (err != INTAKE_OK) {
		intake_log_err("reqstart: form %s: the start request is over its limit", form->id);
		goto out;
	}
	err = intake_integrify_call(ctx, "POST", path.ptr, "application/json", body.ptr, body.len,
	    &resp);
	if (err == INTAKE_OK) {
		err = read_instance(&resp, res);
		if (err != INTAKE_OK)
			intake_log_err("reqstart: form %s: the start reply names no instance SID",
			    form->id);
	}
	if (err != INTAKE_OK)
		note_failure(res, &resp, err, true);
out:
	intake_buf_free(&path);
	intake_buf_free(&body);
	intake_http_resp_free(&resp);
	return err;
}

/* v7: start the request (unless resuming one), then post the values to its data container. */
static enum intake_err
start_v7(struct intake_ctx *ctx, const struct intake_form *form,
    const struct intake_form_value *values, size_t n, const struct file_keys *keys,
    const struct intake_reqstart_opts *o, struct intake_reqstart_result *res)
{
	struct intake_http_resp	resp;
	struct intake_buf	path, body, ep;
	enum intake_err		err;
	bool			resuming = o->resume_sid != NULL && o->resume_sid[0] != '\0';

	intake_http_resp_init(&resp, (size_t)ctx->cfg->response_max);
	intake_buf_init(&path, PATH_MAX_BYTES);
	intake_buf_init(&body, BODY_MAX);
	intake_buf_init(&ep, ENDPOINT_MAX);
	err = build_container(form, values, n, keys, o, &body);
	if (err != INTAKE_OK) {
		intake_log_err("reqstart: form %s: the data-container body is over its limit",
		    form->id);
		goto out;
	}
	if (resuming) {
		if (intake_strlcpy(res->instance_sid, o->resume_sid, sizeof(res->instance_sid)) !=
		    INTAKE_OK) {
			err = INTAKE_EINVAL;
			goto out;
		}
	} else {
		err = intake_buf_adds(&path, "/instances/");
		if (err == INTAKE_OK)
			err = intake_url_escape(&path, form->process);
		if (err == INTAKE_OK)
			err = intake_buf_adds(&path, "/start");
		if (err == INTAKE_OK)
			err = intake_integrify_call(ctx, "POST", path.ptr, "application/json", "{}",
			    2, &resp);
		if (err == INTAKE_OK) {
			err = read_instance(&resp, res);
			if (err != INTAKE_OK)
				intake_log_err("reqstart: form %s: the start reply names no "
				    "instance SID", form->id);
		}
		if (err != INTAKE_OK) {
			note_failure(res, &resp, err, true);
			goto out;
		}
		if (o->started != NULL && (err = o->started(o->arg, res)) != INTAKE_OK)
			goto out;
	}
	err = container_endpoint(ctx, form, res->instance_sid, resuming, &ep, res);
	if (err == INTAKE_ENOTFOUND && resuming) {
		/* The task completed: an earlier attempt stored the values. */
		err = INTAKE_OK;
		goto out;
	}
	if (err != INTAKE_OK)
		goto out;
	err = intake_integrify_call(ctx, "POST", ep.ptr, "application/json", body.ptr, body.len,
	    &resp);
	if (err != INTAKE_OK) {
		note_failure(res, &resp, err, false);
		/* The request exists in Integrify without its values: say which one. */
		intake_log_warn("reqstart: form %s: request %s was started but its values were "
		    "not stored yet", form->id, res->instance_sid);
	}
out:
	intake_buf_free(&path);
	intake_buf_free(&body);
	intake_buf_free(&ep);
	intake_http_resp_free(&resp);
	return err;
}

enum intake_err
intake_reqstart(struct intake_ctx *ctx, const struct intake_form *form,
    const struct intake_form_value *values, size_t nvalues,
    const struct intake_reqstart_opts *opts, struct intake_reqstart_result *out)
{
	struct intake_reqstart_opts	 o = *opts;
	struct file_keys		*keys;
	enum intake_err			 err;

	memset(out, 0, sizeof(*out));
	out->retry_after = -1;
	if (o.request_name == NULL)
		o.request_name = "";
	err = check_args(form, values, nvalues);
	if (err != INTAKE_OK)
		return err;
	keys = intake_xcalloc(1, sizeof(*keys));
	err = upload_files(ctx, form, values, nvalues, keys, out);
	if (err != INTAKE_OK)
		goto out;
	if (ctx->cfg->dialect == INTAKE_DIALECT_V8)
		err = start_v8(ctx, form, values, nvalues, keys, &o, out);
	else
		err = start_v7(ctx, form, values, nvalues, keys, &o, out);
out:
	free(keys);
	return err;
}

/*
 * v8: look for the request an earlier attempt may have started, by the
 * reference its name carries: GET /api/instance/list/all?search=REF
 * (Swagger lists the route; its reply shape is undocumented, so
 * intake_reply_search() reads it: any item naming the reference counts,
 * whether or not its SID can be read).
 */
enum intake_err
intake_reqstart_find(struct intake_ctx *ctx, const char *reference,
    struct intake_reqstart_result *out, struct intake_reply_hit *hit)
{
	struct intake_http_resp	resp;
	struct intake_buf	path;
	enum intake_err		err;

	memset(out, 0, sizeof(*out));
	memset(hit, 0, sizeof(*hit));
	out->retry_after = -1;
	hit->match = INTAKE_REPLY_NONE;
	intake_http_resp_init(&resp, (size_t)ctx->cfg->response_max);
	intake_buf_init(&path, PATH_MAX_BYTES);
	err = intake_buf_adds(&path, "/api/instance/list/all?start=0&count=25&search=");
	if (err == INTAKE_OK)
		err = intake_url_escape(&path, reference);
	if (err == INTAKE_OK)
		err = intake_integrify_call(ctx, "GET", path.ptr, NULL, NULL, 0, &resp);
	if (err != INTAKE_OK) {
		note_failure(out, &resp, err, false);
		goto out;
	}
	err = intake_reply_search(intake_buf_str(&resp.body), resp.body.len, reference, hit);
	if (err != INTAKE_OK) {
		intake_log_err("reqstart: the instance list reply could not be read");
		goto out;
	}
	if (hit->match == INTAKE_REPLY_FOUND) {
		(void)intake_strlcpy(out->instance_sid, hit->sid, sizeof(out->instance_sid));
		(void)intake_strlcpy(out->instance_id, hit->id, sizeof(out->instance_id));
	}
out:
	intake_buf_free(&path);
	intake_http_resp_free(&resp);
	return err;
}

/* An ISO 8601 UTC time "YYYY-MM-DDTHH:MM:SS[.fff][Z]" as epoch ms; -1 when not one. */
static int64_t
iso_ms(const char *s)
{
	static const struct { size_t off, len; long long min, max; } parts[] = {
		{ 0, 4, 1970, 9999 }, { 5, 2, 1, 12 }, { 8, 2, 1, 31 },
		{ 11, 2, 0, 23 }, { 14, 2, 0, 59 }, { 17, 2, 0, 60 },
	};
	struct tm	tm;
	long long	v[6];
	time_t		t;
	size_t		i;

	if (s == NULL || strlen(s) < 19 || s[4] != '-' || s[7] != '-' ||
	    (s[10] != 'T' && s[10] != ' ') || s[13] != ':' || s[16] != ':')
		return -1;
	for (i = 0; i < 6; i++)
		if (intake_parse_intn(s + parts[i].off, parts[i].len, parts[i].min, parts[i].max,
		    &v[i]) != INTAKE_OK)
			return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = (int)v[0] - 1900;
	tm.tm_mon = (int)v[1] - 1;
	tm.tm_mday = (int)v[2];
	tm.tm_hour = (int)v[3];
	tm.tm_min = (int)v[4];
	tm.tm_sec = (int)v[5];
	t = timegm(&tm);
	return t == (time_t)-1 ? -1 : (int64_t)t * 1000;
}

/*
 * One page of the v7 request list (orphan search): claim and check each
 * request started since since_ms.  *n: items on the page; *older: the
 * page reached requests started before since_ms.  A request in that
 * window whose SID cannot be read could be the one a lost answer left:
 * the hit is then UNREADABLE and the search stops, so nothing is started.
 */
static enum intake_err
orphan_page(struct intake_ctx *ctx, const struct intake_form *form, struct json_object *root,
    int64_t since_ms, const struct intake_reqstart_claims *cl,
    struct intake_reqstart_result *out, struct intake_reply_hit *hit, bool *older, size_t *n)
{
	struct intake_reqstart_result	 probe;
	struct json_object		*list, *item;
	struct intake_buf		 ep;
	char				 sid[128];
	enum intake_err			 err = INTAKE_OK;
	size_t				 i;
	int64_t				 t;

	*n = 0;
	list = intake_reply_list(root);
	if (list == NULL)
		return INTAKE_EPROTO;
	*n = json_object_array_length(list);
	intake_buf_init(&ep, ENDPOINT_MAX);
	for (i = 0; i < *n && hit->match == INTAKE_REPLY_NONE; i++) {
		item = json_object_array_get_idx(list, i);
		t = iso_ms(intake_reply_str(item, INTAKE_REPLY_STARTED));
		if (t != -1 && t < since_ms) {
			*older = true;		/* newest first: the rest are older still */
			break;
		}
		if (!intake_reply_id(item, INTAKE_REPLY_SID, sid, sizeof(sid))) {
			hit->match = INTAKE_REPLY_UNREADABLE;
			intake_reply_quote(item, hit->item);
			break;
		}
		if (!cl->claim(cl->arg, sid))
			continue;
		/* Ours now, or ours already: still waiting for its values? */
		intake_buf_reset(&ep);
		memset(&probe, 0, sizeof(probe));
		err = container_endpoint(ctx, form, sid, true, &ep, &probe);
		if (err == INTAKE_ENOTFOUND) {
			/* Filled already, by whoever holds it. */
			cl->unclaim(cl->arg, sid);
			err = INTAKE_OK;
			continue;
		}
		if (err != INTAKE_OK) {
			out->status = probe.status;
			out->retry_after = probe.retry_after;
			break;
		}
		hit->match = INTAKE_REPLY_FOUND;
		(void)intake_strlcpy(hit->sid, sid, sizeof(hit->sid));
		if (!intake_reply_id(item, INTAKE_REPLY_ID, hit->id, sizeof(hit->id)))
			hit->id[0] = '\0';
		intake_reply_quote(item, hit->item);
		(void)intake_strlcpy(out->instance_sid, hit->sid, sizeof(out->instance_sid));
		(void)intake_strlcpy(out->instance_id, hit->id, sizeof(out->instance_id));
	}
	intake_buf_free(&ep);
	return err;
}

/*
 * v7: a request of form's process that a lost start left without values.
 * GET /instances/mine?process_sid=P&sort=CreatedDate&dir=DESC, page by
 * page (newest first) down to since_ms: a request started since then (or
 * at a time we cannot read) that claim() lets us take and whose data-
 * container task is still active.  Claiming first skips, without a call,
 * every request another submission already filled or is filling.
 * Unfilled requests of one process are all alike to the service account,
 * so whichever submission claims one fills it, and none is left empty.
 */
enum intake_err
intake_reqstart_orphan(struct intake_ctx *ctx, const struct intake_form *form, int64_t since_ms,
    const struct intake_reqstart_claims *cl, struct intake_reqstart_result *out,
    struct intake_reply_hit *hit)
{
	struct json_object	*root = NULL;
	struct intake_buf	 path;
	enum intake_err		 err = INTAKE_OK;
	size_t			 n;
	int			 page;
	bool			 older = false;

	memset(out, 0, sizeof(*out));
	memset(hit, 0, sizeof(*hit));
	out->retry_after = -1;
	hit->match = INTAKE_REPLY_NONE;
	intake_buf_init(&path, PATH_MAX_BYTES);
	for (page = 0; page < ORPHAN_PAGES && hit->match == INTAKE_REPLY_NONE && !older &&
	    err == INTAKE_OK; page++) {
		intake_buf_reset(&path);
		json_object_put(root);
		root = NULL;
		err = intake_buf_printf(&path, "/instances/mine?status=open&sort=CreatedDate"
		    "&dir=DESC&start=%d&count=%d&process_sid=", page * ORPHAN_PAGE, ORPHAN_PAGE);
		if (err == INTAKE_OK)
			err = intake_url_escape(&path, form->process);
		if (err == INTAKE_OK)
			err = get_json(ctx, path.ptr, "instance list", out, &root);
		if (err != INTAKE_OK)
			break;
		err = orphan_page(ctx, form, root, since_ms, cl, out, hit, &older, &n);
		if (n < ORPHAN_PAGE)
			break;		/* the last page */
	}
	json_object_put(root);
	intake_buf_free(&path);
	return err;
}
