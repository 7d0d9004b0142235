/*
 * reqstart.c - starting an Integrify request with a form's values (reqstart.h):
 * the one skeleton every dialect shares.
 *
 * Files go first, one multipart upload each; their keys then travel as
 * the file fields' values.  Then the call that creates the request:
 * with the values (one-step dialects), or with the request's name alone
 * ("{}" in a dialect without one) and the values sent by the dialect's
 * second step.  Every string we send is JSON-quoted or
 * percent-escaped, here or in the dialect's file (v7.c, v8.c).
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/rand.h>

#include "integrify/call.h"
#include "util/json.h"
#include "core/log.h"
#include "integrify/reply.h"
#include "integrify/reqstart.h"
#include "util/str.h"

#define FILE_KEY_MAX	INTAKE_DIALECT_FILE_KEY_MAX
#define MP_OVERHEAD	1024			/* multipart framing around one file */
#define BOUNDARY_TRIES	4

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

/* The file name for a Content-Disposition quoted string: no ", \, CR, LF or controls. */
static enum intake_err
add_file_name(struct intake_buf *b, const char *name)
{
	size_t		start = b->len;
	unsigned char	c;

	for (; *name != '\0'; name++) {
		c = (unsigned char)*name;
		if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
			continue;
		(void)intake_buf_addc(b, (char)c);
	}
	if (b->len == start)
		(void)intake_buf_adds(b, "upload");
	return intake_buf_err(b);
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
	(void)intake_buf_printf(body, "--%s\r\nContent-Disposition: form-data; name=\"file\"; "
	    "filename=\"", boundary);
	(void)add_file_name(body, v->file_name);
	(void)intake_buf_printf(body, "\"\r\nContent-Type: %s\r\n\r\n", file_type(v->file_type));
	if (v->file_len > 0)
		(void)intake_buf_add(body, v->file_data, v->file_len);
	(void)intake_buf_printf(body, "\r\n--%s--\r\n", boundary);
	return intake_buf_err(body);
}

/*
 * The file key of an upload reply: [{"sid"|"file"|"key": KEY, ...}] (or
 * the object alone; the dialect's field says which spelling comes
 * first), into key.  INTAKE_EPROTO when there is none.
 */
static enum intake_err
read_file_key(const struct intake_http_resp *resp, enum intake_reply_field field,
    char key[FILE_KEY_MAX])
{
	struct json_object	*root = NULL, *obj;
	const char		*s;
	enum intake_err		 err = INTAKE_EPROTO;

	if (intake_json_parse(intake_buf_str(&resp->body), resp->body.len, &root) != INTAKE_OK)
		goto out;
	obj = root;
	if (json_object_is_type(root, json_type_array))
		obj = json_object_array_length(root) > 0 ? json_object_array_get_idx(root, 0) : NULL;
	s = intake_reply_str(obj, field);
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
upload_one(struct intake_ctx *ctx, const struct intake_dialect *d,
    const struct intake_form *form, const struct intake_form_value *v, char key[FILE_KEY_MAX],
    struct intake_reqstart_result *res)
{
	struct intake_http_resp	resp;
	struct intake_buf	path, body, ctype;
	char			boundary[48];
	enum intake_err		err;

	intake_http_resp_init(&resp, (size_t)ctx->cfg->response_max);
	intake_buf_init(&path, INTAKE_DIALECT_PATH_MAX);
	intake_buf_init(&ctype, 128);
	if (v->file_len > SIZE_MAX - MP_OVERHEAD - strlen(v->file_name)) {
		intake_buf_init(&body, 0);
		err = INTAKE_ETOOBIG;
		goto out;
	}
	intake_buf_init(&body, v->file_len + MP_OVERHEAD + strlen(v->file_name));
	err = d->upload_path(ctx->cfg, &path);
	if (err == INTAKE_OK)
		err = build_multipart(v, boundary, &body);
	if (err != INTAKE_OK)
		goto out;
	(void)intake_buf_printf(&ctype, "multipart/form-data; boundary=%s", boundary);
	err = intake_buf_err(&ctype);
	if (err != INTAKE_OK)
		goto out;
	err = intake_integrify_call(ctx, "POST", path.ptr, ctype.ptr, body.ptr, body.len, &resp);
	if (err != INTAKE_OK) {
		intake_dialect_failed(res, &resp, err, false);
		goto out;
	}
	err = read_file_key(&resp, d->file_key, key);
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

/* Upload every file the values carry; files->key[i] for values[i]. */
static enum intake_err
upload_files(struct intake_ctx *ctx, const struct intake_dialect *d,
    const struct intake_form *form, const struct intake_form_value *values, size_t n,
    struct intake_reqstart_files *files, struct intake_reqstart_result *res)
{
	enum intake_err	err = INTAKE_OK;
	size_t		i;

	for (i = 0; err == INTAKE_OK && i < n; i++) {
		files->key[i][0] = '\0';
		if (has_file(&values[i]))
			err = upload_one(ctx, d, form, &values[i], files->key[i], res);
	}
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
 * The call that creates the request: POST to the dialect's start path
 * with body (NULL: "{}", the values follow in a second step).  Its SID
 * into res; a failure is noted there as a start's (unsure when the
 * request may exist all the same).
 */
static enum intake_err
create(struct intake_ctx *ctx, const struct intake_dialect *d, const struct intake_form *form,
    const struct intake_reqstart_opts *o, const struct intake_buf *body,
    struct intake_reqstart_result *res)
{
	struct intake_http_resp	resp;
	struct intake_buf	path;
	enum intake_err		err;

	intake_http_resp_init(&resp, (size_t)ctx->cfg->response_max);
	intake_buf_init(&path, INTAKE_DIALECT_PATH_MAX);
	err = d->start_path(form, o, &path);
	if (err != INTAKE_OK) {
		intake_log_err("reqstart: form %s: the start request is over its limit", form->id);
		goto out;
	}
	err = intake_integrify_call(ctx, "POST", path.ptr, "application/json",
	    body != NULL ? body->ptr : "{}", body != NULL ? body->len : 2, &resp);
	if (err == INTAKE_OK) {
		err = read_instance(&resp, res);
		if (err != INTAKE_OK)
			intake_log_err("reqstart: form %s: the start reply names no instance SID",
			    form->id);
	}
	if (err != INTAKE_OK)
		intake_dialect_failed(res, &resp, err, true);
out:
	intake_buf_free(&path);
	intake_http_resp_free(&resp);
	return err;
}

/*
 * The call that creates the request: body (one step), or else the
 * dialect's create body (two steps: the request's name), or "{}".
 */
static enum intake_err
create_request(struct intake_ctx *ctx, const struct intake_dialect *d,
    const struct intake_form *form, const struct intake_reqstart_opts *o,
    const struct intake_buf *body, struct intake_reqstart_result *res)
{
	struct intake_buf	named;
	enum intake_err		err;

	if (body != NULL || d->create_body == NULL)
		return create(ctx, d, form, o, body, res);
	intake_buf_init(&named, INTAKE_DIALECT_PATH_MAX);
	err = d->create_body(o, &named);
	if (err != INTAKE_OK)
		intake_log_err("reqstart: form %s: the request name is over its limit", form->id);
	else
		err = create(ctx, d, form, o, &named, res);
	intake_buf_free(&named);
	return err;
}

/*
 * The start reply named the request's SID alone: ask for its id, so the
 * receipt can show it.  The request is made either way: a failed look
 * leaves the id empty and res as it was.
 */
static void
look_up_id(struct intake_ctx *ctx, const struct intake_dialect *d,
    const struct intake_form *form, struct intake_reqstart_result *res)
{
	struct intake_reqstart_result	look;

	memset(&look, 0, sizeof(look));
	look.retry_after = -1;
	if (d->request_id(ctx, form, res->instance_sid, &look) == INTAKE_OK)
		(void)intake_strlcpy(res->instance_id, look.instance_id, sizeof(res->instance_id));
	else
		intake_log_info("reqstart: form %s: request %s was started; its id could not be "
		    "looked up", form->id, res->instance_sid);
}

/*
 * The one start skeleton: the values as the dialect sends them; the call
 * that creates the request (unless a two-step start resumes one); then,
 * in a two-step dialect, the caller's started() and the second step.
 */
static enum intake_err
start(struct intake_ctx *ctx, const struct intake_dialect *d, const struct intake_form *form,
    const struct intake_form_value *values, size_t n, const struct intake_reqstart_files *files,
    const struct intake_reqstart_opts *o, struct intake_reqstart_result *res)
{
	struct intake_buf	body;
	enum intake_err		err;
	bool			two_step = d->fill != NULL;
	bool			resuming = two_step && o->resume_sid != NULL &&
				    o->resume_sid[0] != '\0';

	intake_buf_init(&body, INTAKE_DIALECT_BODY_MAX);
	err = d->values_body(form, values, n, files, o, &body);
	if (err != INTAKE_OK) {
		intake_log_err("reqstart: form %s: the values' body is over its limit", form->id);
		goto out;
	}
	if (resuming)
		err = intake_strlcpy(res->instance_sid, o->resume_sid, sizeof(res->instance_sid)) ==
		    INTAKE_OK ? INTAKE_OK : INTAKE_EINVAL;
	else
		err = create_request(ctx, d, form, o, two_step ? NULL : &body, res);
	if (err != INTAKE_OK || !two_step)
		goto out;
	if (!resuming && o->started != NULL) {
		err = o->started(o->arg, res);
		if (err != INTAKE_OK)
			goto out;
	}
	err = d->fill(ctx, form, res->instance_sid, resuming, &body, res);
out:
	if (err == INTAKE_OK && res->instance_id[0] == '\0' && d->request_id != NULL)
		look_up_id(ctx, d, form, res);
	intake_buf_free(&body);
	return err;
}

enum intake_err
intake_reqstart(struct intake_ctx *ctx, const struct intake_form *form,
    const struct intake_form_value *values, size_t nvalues,
    const struct intake_reqstart_opts *opts, struct intake_reqstart_result *out)
{
	const struct intake_dialect	*d = intake_dialect_ctx(ctx);
	struct intake_reqstart_opts	 o = *opts;
	struct intake_reqstart_files	*files;
	enum intake_err			 err;

	memset(out, 0, sizeof(*out));
	out->retry_after = -1;
	if (o.request_name == NULL)
		o.request_name = "";
	err = check_args(form, values, nvalues);
	if (err != INTAKE_OK)
		return err;
	files = intake_xcalloc(1, sizeof(*files));
	err = upload_files(ctx, d, form, values, nvalues, files, out);
	if (err == INTAKE_OK)
		err = start(ctx, d, form, values, nvalues, files, &o, out);
	free(files);
	return err;
}

bool
intake_reqstart_can_find(const struct intake_ctx *ctx)
{
	return intake_dialect_ctx(ctx)->find != NULL;
}

bool
intake_reqstart_can_orphan(const struct intake_ctx *ctx)
{
	return intake_dialect_ctx(ctx)->orphan != NULL;
}

bool
intake_reqstart_two_step(const struct intake_ctx *ctx)
{
	return intake_dialect_ctx(ctx)->fill != NULL;
}

/* A look's results before it begins: no hit, no status, no Retry-After. */
static void
look_init(struct intake_reqstart_result *out, struct intake_reply_hit *hit)
{
	memset(out, 0, sizeof(*out));
	memset(hit, 0, sizeof(*hit));
	out->retry_after = -1;
	hit->match = INTAKE_REPLY_NONE;
}

enum intake_err
intake_reqstart_find(struct intake_ctx *ctx, const char *reference,
    struct intake_reqstart_result *out, struct intake_reply_hit *hit)
{
	const struct intake_dialect	*d = intake_dialect_ctx(ctx);

	look_init(out, hit);
	if (d->find == NULL) {
		intake_log_err("reqstart: dialect %s cannot search for an earlier start", d->name);
		return INTAKE_EINVAL;
	}
	return d->find(ctx, reference, out, hit);
}

enum intake_err
intake_reqstart_find_listed(struct intake_ctx *ctx, const struct intake_form *form,
    const char *reference, int64_t since_ms, struct intake_reqstart_result *out,
    struct intake_reply_hit *hit)
{
	look_init(out, hit);
	return intake_dialect_find_listed(ctx, form->process, reference, since_ms, out, hit);
}

enum intake_err
intake_reqstart_orphan(struct intake_ctx *ctx, const struct intake_form *form, int64_t since_ms,
    const struct intake_reqstart_claims *cl, struct intake_reqstart_result *out,
    struct intake_reply_hit *hit)
{
	const struct intake_dialect	*d = intake_dialect_ctx(ctx);

	look_init(out, hit);
	if (d->orphan == NULL) {
		intake_log_err("reqstart: dialect %s leaves no request without values", d->name);
		return INTAKE_EINVAL;
	}
	return d->orphan(ctx, form, since_ms, cl, out, hit);
}
