/*
 * dialect.c - the table of Integrify dialects, and what more than one of
 * them uses (dialect.h).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "integrify/call.h"
#include "integrify/dialect.h"
#include "util/json.h"
#include "util/str.h"
#include "util/nelem.h"

/* One row per dialect, in enum intake_dialect_id order. */
static const struct intake_dialect *const dialects[] = {
	&intake_dialect_v7,	/* INTAKE_DIALECT_V7 */
	&intake_dialect_v8,	/* INTAKE_DIALECT_V8 */
};
INTAKE_ROWS(dialects, INTAKE_DIALECT__MAX);

const struct intake_dialect *
intake_dialect_of(enum intake_dialect_id d)
{
	return (unsigned)d < INTAKE_DIALECT__MAX ? dialects[d] : dialects[0];
}

const struct intake_dialect *
intake_dialect_ctx(const struct intake_ctx *ctx)
{
	return intake_dialect_of(ctx->cfg->dialect);
}

void
intake_dialect_failed(struct intake_reqstart_result *res, const struct intake_http_resp *resp,
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

enum intake_err
intake_dialect_get_json(struct intake_ctx *ctx, const char *path_query, const char *what,
    struct intake_reqstart_result *res, struct json_object **root)
{
	struct intake_http_resp	resp;
	enum intake_err		err;

	*root = NULL;
	intake_http_resp_init(&resp, (size_t)ctx->cfg->response_max);
	err = intake_integrify_call(ctx, "GET", path_query, NULL, NULL, 0, &resp);
	if (err != INTAKE_OK)
		intake_dialect_failed(res, &resp, err, false);
	else if (intake_json_parse(intake_buf_str(&resp.body), resp.body.len, root) !=
	    INTAKE_OK) {
		intake_log_err("reqstart: the %s reply is not JSON", what);
		err = INTAKE_EPROTO;
	}
	intake_http_resp_free(&resp);
	return err;
}

bool
intake_dialect_has_value(const struct intake_form_value *v, const char *file_key)
{
	size_t	i;

	if (v->field->type == INTAKE_FIELD_FILE)
		return file_key[0] != '\0';
	for (i = 0; i < v->nvalues; i++)
		if (v->values[i][0] != '\0')
			return true;
	return false;
}

enum intake_err
intake_dialect_value_string(struct intake_buf *b, const struct intake_form_value *v,
    const char *file_key)
{
	struct intake_buf	joined;
	enum intake_err		err;
	size_t			i, used = 0;

	if (v->field->type == INTAKE_FIELD_FILE)
		return intake_json_quote(b, file_key, strlen(file_key));
	/* Integrify's checkbox encoding: the non-empty values joined with "|". */
	intake_buf_init(&joined, b->max);
	for (i = 0; i < v->nvalues; i++) {
		if (v->values[i][0] == '\0')
			continue;
		if (used++ > 0)
			(void)intake_buf_addc(&joined, '|');
		(void)intake_buf_adds(&joined, v->values[i]);
	}
	err = intake_buf_err(&joined);
	if (err == INTAKE_OK)
		err = intake_json_quote(b, intake_buf_str(&joined), joined.len);
	intake_buf_free(&joined);
	return err;
}

bool
intake_dialect_reference_wanted(const struct intake_form *form,
    const struct intake_reqstart_opts *o)
{
	return form->reference_key[0] != '\0' && o->reference != NULL && o->reference[0] != '\0';
}

/* GET the report's filter definitions (a JSON array) into *root. */
static enum intake_err
grid_definitions(struct intake_ctx *ctx, const struct intake_source *src,
    struct json_object **root)
{
	struct intake_http_resp	resp;
	struct intake_buf	path;
	enum intake_err		err;

	*root = NULL;
	intake_http_resp_init(&resp, (size_t)ctx->cfg->response_max);
	intake_buf_init(&path, INTAKE_URL_MAX);
	(void)intake_buf_adds(&path, "/reports/");
	(void)intake_url_escape(&path, src->report);
	(void)intake_buf_adds(&path, "/filters");
	err = intake_buf_err(&path);
	if (err == INTAKE_OK)
		err = intake_integrify_call(ctx, "GET", path.ptr, NULL, NULL, 0, &resp);
	if (err == INTAKE_OK &&
	    intake_json_parse(intake_buf_str(&resp.body), resp.body.len, root) != INTAKE_OK)
		err = INTAKE_EPROTO;
	intake_buf_free(&path);
	intake_http_resp_free(&resp);
	return err;
}

/* The definition in defs (an array, or NULL) whose exposed name is expose: its mapping and operator. */
static bool
grid_definition(struct json_object *defs, const char *expose, const char **mapping,
    const char **op)
{
	struct json_object	*def;
	const char		*e;
	size_t			 j, n = defs != NULL ? json_object_array_length(defs) : 0;

	for (j = 0; j < n; j++) {
		def = json_object_array_get_idx(defs, j);
		e = intake_reply_str(def, INTAKE_REPLY_EXPOSE);
		if (e == NULL || strcmp(e, expose) != 0)
			continue;
		*mapping = intake_reply_str(def, INTAKE_REPLY_MAPPING);
		*op = intake_reply_str(def, INTAKE_REPLY_OPERATOR);
		if (*mapping != NULL)
			return true;
	}
	return false;
}

enum intake_err
intake_dialect_grid_filters(struct intake_ctx *ctx, const struct intake_source *src,
    const struct intake_filter_value *f, size_t n, struct intake_buf *out)
{
	struct json_object	*root = NULL, *defs;
	const char		*mapping, *op;
	enum intake_err		 err;
	size_t			 i, used = 0;

	for (i = 0; i < n; i++)
		if (f[i].value != NULL && f[i].value[0] != '\0')
			used++;
	if (used == 0)
		return INTAKE_OK;
	err = grid_definitions(ctx, src, &root);
	if (err != INTAKE_OK)
		goto out;
	defs = json_object_is_type(root, json_type_array) ? root : NULL;
	(void)intake_buf_addc(out, '[');
	used = 0;
	for (i = 0; i < n; i++) {
		if (f[i].value == NULL || f[i].value[0] == '\0')
			continue;
		mapping = op = NULL;
		if (!grid_definition(defs, f[i].param->expose, &mapping, &op)) {
			intake_log_err("report %s: no exposed filter named '%s'", src->name,
			    f[i].param->expose);
			err = INTAKE_EPROTO;
			goto out;
		}
		if (op == NULL)
			op = "Is";
		if (used++ > 0)
			(void)intake_buf_addc(out, ',');
		(void)intake_buf_adds(out, "{\"field\":");
		(void)intake_json_quote(out, mapping, strlen(mapping));
		(void)intake_buf_adds(out, ",\"data\":{\"type\":\"string\",\"value\":");
		(void)intake_json_quote(out, f[i].value, strlen(f[i].value));
		(void)intake_buf_adds(out, ",\"comparison\":");
		(void)intake_json_quote(out, op, strlen(op));
		(void)intake_buf_adds(out, "}}");
	}
	(void)intake_buf_addc(out, ']');
	err = intake_buf_err(out);
out:
	json_object_put(root);
	return err;
}

int64_t
intake_dialect_iso_ms(const char *s)
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


#define LISTED_PAGE	50	/* requests per page of the request list */
#define LISTED_PAGES	40	/* pages read, at most */

/*
 * One page of the request list (find_listed): the first request naming
 * reference, or one in the window whose name cannot be read, makes the
 * hit.  *older: the page reached requests started before since_ms.
 */
static enum intake_err
listed_page(struct json_object *root, const char *reference, int64_t since_ms,
    struct intake_reply_hit *hit, bool *older, size_t *n)
{
	struct json_object	*list, *item;
	size_t			 i;
	int64_t			 t;

	list = intake_reply_list(root);
	*n = list != NULL ? json_object_array_length(list) : 0;
	if (list == NULL)
		return INTAKE_EPROTO;
	for (i = 0; i < *n && hit->match == INTAKE_REPLY_NONE; i++) {
		item = json_object_array_get_idx(list, i);
		t = intake_dialect_iso_ms(intake_reply_str(item, INTAKE_REPLY_STARTED));
		if (t != -1 && t < since_ms) {
			*older = true;		/* newest first: the rest are older still */
			break;
		}
		if (intake_reply_names(item, reference)) {
			if (intake_reply_id(item, INTAKE_REPLY_SID, hit->sid, sizeof(hit->sid))) {
				hit->match = INTAKE_REPLY_FOUND;
				if (!intake_reply_id(item, INTAKE_REPLY_ID, hit->id, sizeof(hit->id)))
					hit->id[0] = '\0';
			} else
				hit->match = INTAKE_REPLY_UNREADABLE;
			intake_reply_quote(item, hit->item);
		} else if (intake_reply_str(item, INTAKE_REPLY_NAME) == NULL) {
			/* In the window, nameless: it could be the one. */
			hit->match = INTAKE_REPLY_UNREADABLE;
			intake_reply_quote(item, hit->item);
		}
	}
	return INTAKE_OK;
}

enum intake_err
intake_dialect_find_listed(struct intake_ctx *ctx, const char *process, const char *reference,
    int64_t since_ms, struct intake_reqstart_result *out, struct intake_reply_hit *hit)
{
	struct json_object	*root = NULL;
	struct intake_buf	 path;
	enum intake_err		 err = INTAKE_OK;
	size_t			 n = LISTED_PAGE;
	int			 page;
	bool			 older = false;

	intake_buf_init(&path, INTAKE_DIALECT_PATH_MAX);
	for (page = 0; page < LISTED_PAGES && hit->match == INTAKE_REPLY_NONE && !older &&
	    n == LISTED_PAGE && err == INTAKE_OK; page++) {
		intake_buf_reset(&path);
		json_object_put(root);
		root = NULL;
		(void)intake_buf_printf(&path, "/instances/mine?status=all&sort=CreatedDate"
		    "&dir=DESC&start=%d&count=%d&process_sid=", page * LISTED_PAGE, LISTED_PAGE);
		(void)intake_url_escape(&path, process);
		err = intake_buf_err(&path);
		if (err == INTAKE_OK)
			err = intake_dialect_get_json(ctx, path.ptr, "request list", out, &root);
		if (err == INTAKE_OK)
			err = listed_page(root, reference, since_ms, hit, &older, &n);
	}
	if (err == INTAKE_EPROTO && root != NULL)
		intake_log_err("reqstart: the request list reply holds no list");
	if (err == INTAKE_OK && hit->match == INTAKE_REPLY_NONE && !older && n == LISTED_PAGE) {
		intake_log_err("reqstart: more than %d requests since the submission: the request "
		    "list was not read back to it", LISTED_PAGE * LISTED_PAGES);
		err = INTAKE_ETOOBIG;
	}
	if (hit->match == INTAKE_REPLY_FOUND) {
		(void)intake_strlcpy(out->instance_sid, hit->sid, sizeof(out->instance_sid));
		(void)intake_strlcpy(out->instance_id, hit->id, sizeof(out->instance_id));
	}
	json_object_put(root);
	intake_buf_free(&path);
	return err;
}
