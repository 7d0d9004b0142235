/*
 * v7.c - Integrify's v7 (legacy) API dialect (dialect.h): everything
 * intake says differently to a v7 site, and nothing else.
 *
 *   reports:   POST /reports/{sid} with the grid's paging and filters
 *              (JSON), GET /reports/{sid}/tofile/csv (CSV);
 *   start:     POST /instances/{process}/start with {"name": ...}, then the
 *              data-container task: GET /tasktypes/data-container/
 *              endpoints?instance_sid=..., and POST {endpoint} with
 *              {"key": value, ...};
 *   upload:    POST /files/upload, key in "file" first;
 *   orphans:   GET /instances/mine?process_sid=P, newest first;
 *   processes: GET /processes.
 *
 * The only path taken from a reply (the data-container endpoint) must be
 * a plain path on Integrify's host.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "integrify/call.h"
#include "integrify/dialect.h"
#include "util/str.h"

#define ENDPOINT_MAX	2048	/* a data-container endpoint */
#define ORPHAN_PAGE	50	/* requests per page of the request list */
#define ORPHAN_PAGES	40	/* pages looked at, at most */

/* A report through the grid: its paging and filters posted (JSON), or its CSV export. */
static enum intake_err
v7_report_call(struct intake_ctx *ctx, const struct intake_source *src,
    const struct intake_filter_value *f, size_t n, struct intake_report_call *call)
{
	struct intake_buf	filters;
	enum intake_err		err;
	bool			json = false;

	switch (src->fetch) {
	case INTAKE_FETCH_JSON:
		json = true;
		break;
	case INTAKE_FETCH_CSV:
		break;
	case INTAKE_FETCH__MAX:
		return INTAKE_EINVAL;
	}
	intake_buf_init(&filters, 8192);
	err = intake_dialect_grid_filters(ctx, src, f, n, &filters);
	if (err != INTAKE_OK)
		goto out;
	call->method = json ? "POST" : "GET";
	call->ctype = json ? "application/json" : NULL;
	if (json)
		(void)intake_buf_printf(&call->body, "{\"start\":0,\"limit\":%lld,\"page\":1,"
		    "\"persist\":false,\"filters\":%s}", src->max_rows,
		    filters.len > 0 ? filters.ptr : "[]");
	(void)intake_buf_adds(&call->path, "/reports/");
	(void)intake_url_escape(&call->path, src->report);
	if (!json)
		(void)intake_buf_adds(&call->path, "/tofile/csv");
	if (!json && filters.len > 0) {
		(void)intake_buf_adds(&call->path, "?filters=");
		(void)intake_url_escape(&call->path, filters.ptr);
	}
	err = intake_buf_err(&call->body);
	if (err == INTAKE_OK)
		err = intake_buf_err(&call->path);
out:
	intake_buf_free(&filters);
	return err;
}

/* POST /instances/{process}/start */
static enum intake_err
v7_start_path(const struct intake_form *form, const struct intake_reqstart_opts *o,
    struct intake_buf *path)
{
	(void)o;
	(void)intake_buf_adds(path, "/instances/");
	(void)intake_url_escape(path, form->process);
	(void)intake_buf_adds(path, "/start");
	return intake_buf_err(path);
}

/*
 * The start call's body: {"name": "Title (REF)"}.  Integrify documents
 * no body for it; a site that takes a name there names the request as
 * v8 does, so staff find the reference in it, and one that does not
 * ignores the body (the reference then travels in the form's
 * reference_key field only).
 */
static enum intake_err
v7_create_body(const struct intake_reqstart_opts *o, struct intake_buf *body)
{
	(void)intake_buf_addc(body, '{');
	if (o->request_name != NULL && o->request_name[0] != '\0') {
		(void)intake_buf_adds(body, "\"name\":");
		(void)intake_json_quote(body, o->request_name, strlen(o->request_name));
	}
	(void)intake_buf_addc(body, '}');
	return intake_buf_err(body);
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

/*
 * The data-container body: {"key": value, ...}.  A number field's
 * single value goes as a JSON number; everything else as a string.
 */
static enum intake_err
v7_values_body(const struct intake_form *form, const struct intake_form_value *values,
    size_t n, const struct intake_reqstart_files *files, const struct intake_reqstart_opts *o,
    struct intake_buf *body)
{
	const struct intake_field	*f;
	size_t				 i, used = 0;

	(void)intake_buf_addc(body, '{');
	if (intake_dialect_reference_wanted(form, o)) {
		used++;
		(void)intake_json_quote(body, form->reference_key, strlen(form->reference_key));
		(void)intake_buf_addc(body, ':');
		(void)intake_json_quote(body, o->reference, strlen(o->reference));
	}
	for (i = 0; i < n; i++) {
		f = values[i].field;
		if (!intake_dialect_has_value(&values[i], files->key[i]))
			continue;
		if (used++ > 0)
			(void)intake_buf_addc(body, ',');
		(void)intake_json_quote(body, f->key, strlen(f->key));
		(void)intake_buf_addc(body, ':');
		if (f->type == INTAKE_FIELD_NUMBER && values[i].nvalues == 1 &&
		    json_number_ok(values[i].values[0]))
			(void)intake_buf_adds(body, values[i].values[0]);
		else
			(void)intake_dialect_value_string(body, &values[i], files->key[i]);
	}
	(void)intake_buf_addc(body, '}');
	return intake_buf_err(body);
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
 * The active data-container task's endpoint of instance sid, into ep.
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

	intake_buf_init(&path, INTAKE_DIALECT_PATH_MAX);
	(void)intake_buf_adds(&path, "/tasktypes/data-container/endpoints?instance_sid=");
	(void)intake_url_escape(&path, sid);
	err = intake_buf_err(&path);
	if (err == INTAKE_OK)
		err = intake_dialect_get_json(ctx, path.ptr, "data-container endpoints", res,
		    &root);
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

/* The second step: post the values to request sid's data-container task. */
static enum intake_err
v7_fill(struct intake_ctx *ctx, const struct intake_form *form, const char *sid, bool resuming,
    const struct intake_buf *body, struct intake_reqstart_result *res)
{
	struct intake_http_resp	resp;
	struct intake_buf	ep;
	enum intake_err		err;

	intake_http_resp_init(&resp, (size_t)ctx->cfg->response_max);
	intake_buf_init(&ep, ENDPOINT_MAX);
	err = container_endpoint(ctx, form, sid, resuming, &ep, res);
	if (err == INTAKE_ENOTFOUND && resuming) {
		/* The task completed: an earlier attempt stored the values. */
		err = INTAKE_OK;
		goto out;
	}
	if (err != INTAKE_OK)
		goto out;
	err = intake_integrify_call(ctx, "POST", ep.ptr, "application/json", body->ptr, body->len,
	    &resp);
	if (err != INTAKE_OK) {
		intake_dialect_failed(res, &resp, err, false);
		/* The request exists in Integrify without its values: say which one. */
		intake_log_warn("reqstart: form %s: request %s was started but its values were "
		    "not stored yet", form->id, sid);
	}
out:
	intake_buf_free(&ep);
	intake_http_resp_free(&resp);
	return err;
}

/* POST /files/upload */
static enum intake_err
v7_upload_path(const struct intake_config *cfg, struct intake_buf *path)
{
	(void)cfg;
	return intake_buf_adds(path, "/files/upload");
}

/*
 * A start reply shaped {"SID": ...} names no id: find the request just
 * started among the newest of its process (GET /instances/mine) and read
 * its id there.  "" when it is not on that first page.
 */
static enum intake_err
v7_request_id(struct intake_ctx *ctx, const struct intake_form *form, const char *sid,
    struct intake_reqstart_result *res)
{
	struct json_object	*root = NULL, *list, *item;
	struct intake_buf	 path;
	char			 got[128];
	enum intake_err		 err;
	size_t			 i, n;

	res->instance_id[0] = '\0';
	intake_buf_init(&path, INTAKE_DIALECT_PATH_MAX);
	(void)intake_buf_printf(&path, "/instances/mine?status=all&sort=CreatedDate&dir=DESC"
	    "&start=0&count=%d&process_sid=", ORPHAN_PAGE);
	(void)intake_url_escape(&path, form->process);
	err = intake_buf_err(&path);
	if (err == INTAKE_OK)
		err = intake_dialect_get_json(ctx, path.ptr, "instance list", res, &root);
	list = err == INTAKE_OK ? intake_reply_list(root) : NULL;
	n = list != NULL ? json_object_array_length(list) : 0;
	for (i = 0; i < n; i++) {
		item = json_object_array_get_idx(list, i);
		if (intake_reply_id(item, INTAKE_REPLY_SID, got, sizeof(got)) &&
		    strcmp(got, sid) == 0 &&
		    intake_reply_id(item, INTAKE_REPLY_ID, res->instance_id,
		    sizeof(res->instance_id)))
			break;
	}
	json_object_put(root);
	intake_buf_free(&path);
	return err;
}

/*
 * Is item a request named for another submission: its name holds a
 * reference in parentheses, "(XXXX-XXXX-XXXX)", other than reference?
 * (A site that takes the name from the start call names each request so.)
 */
static bool
named_for_another(struct json_object *item, const char *reference)
{
	const char	*name = intake_reply_str(item, INTAKE_REPLY_NAME), *p;
	size_t		 i;

	if (name == NULL || reference == NULL || reference[0] == '\0')
		return false;
	for (p = strchr(name, '('); p != NULL; p = strchr(p + 1, '(')) {
		for (i = 1; i <= 14; i++)
			if (!((i == 5 || i == 10) ? p[i] == '-' :
			    isupper((unsigned char)p[i]) || isdigit((unsigned char)p[i])))
				break;
		if (i == 15 && p[15] == ')' && strncasecmp(p + 1, reference, 14) != 0)
			return true;
	}
	return false;
}

/* The request item (SID sid) is the orphan found: note it in hit and out. */
static void
orphan_found(struct json_object *item, const char *sid, struct intake_reqstart_result *out,
    struct intake_reply_hit *hit)
{
	hit->match = INTAKE_REPLY_FOUND;
	(void)intake_strlcpy(hit->sid, sid, sizeof(hit->sid));
	if (!intake_reply_id(item, INTAKE_REPLY_ID, hit->id, sizeof(hit->id)))
		hit->id[0] = '\0';
	intake_reply_quote(item, hit->item);
	(void)intake_strlcpy(out->instance_sid, hit->sid, sizeof(out->instance_sid));
	(void)intake_strlcpy(out->instance_id, hit->id, sizeof(out->instance_id));
}

/*
 * One request of the list, started in the window, whose SID is sid:
 * claim it and see whether it still waits for values.  A request found
 * filled is let go.  Errors of the look are noted in out.
 */
static enum intake_err
orphan_try(struct intake_ctx *ctx, const struct intake_form *form, struct json_object *item,
    const char *sid, const struct intake_reqstart_claims *cl,
    struct intake_reqstart_result *out, struct intake_reply_hit *hit)
{
	struct intake_reqstart_result	probe;
	struct intake_buf		ep;
	enum intake_err			err;

	if (!cl->claim(cl->arg, sid))
		return INTAKE_OK;
	/* Ours now, or ours already: still waiting for its values? */
	intake_buf_init(&ep, ENDPOINT_MAX);
	memset(&probe, 0, sizeof(probe));
	err = container_endpoint(ctx, form, sid, true, &ep, &probe);
	intake_buf_free(&ep);
	if (err == INTAKE_ENOTFOUND) {
		/* Filled already, by whoever holds it. */
		cl->unclaim(cl->arg, sid);
		return INTAKE_OK;
	}
	if (err != INTAKE_OK) {
		out->status = probe.status;
		out->retry_after = probe.retry_after;
		return err;
	}
	orphan_found(item, sid, out, hit);
	return INTAKE_OK;
}

/*
 * One page of the request list, newest first: *n its items, *older once
 * it reaches requests started before since_ms.  A request in the window
 * whose SID cannot be read could be the one a lost answer left: the hit
 * is then UNREADABLE, and nothing is claimed or started.
 */
static enum intake_err
orphan_scan(struct json_object *root, int64_t since_ms, struct intake_reply_hit *hit,
    bool *older, size_t *n)
{
	struct json_object	*list, *item;
	char			 sid[128];
	size_t			 i;
	int64_t			 t;

	*n = 0;
	list = intake_reply_list(root);
	if (list == NULL)
		return INTAKE_EPROTO;
	*n = json_object_array_length(list);
	for (i = 0; i < *n; i++) {
		item = json_object_array_get_idx(list, i);
		t = intake_dialect_iso_ms(intake_reply_str(item, INTAKE_REPLY_STARTED));
		if (t != -1 && t < since_ms) {
			*older = true;		/* newest first: the rest are older still */
			break;
		}
		if (!intake_reply_id(item, INTAKE_REPLY_SID, sid, sizeof(sid))) {
			hit->match = INTAKE_REPLY_UNREADABLE;
			intake_reply_quote(item, hit->item);
			break;
		}
	}
	return INTAKE_OK;
}

/*
 * Claim and check the requests of one scanned page started since
 * since_ms, oldest first; with held_only, only those this submission
 * claimed before.
 */
static enum intake_err
orphan_page(struct intake_ctx *ctx, const struct intake_form *form, struct json_object *root,
    int64_t since_ms, const struct intake_reqstart_claims *cl, bool held_only,
    struct intake_reqstart_result *out, struct intake_reply_hit *hit)
{
	struct json_object	*list = intake_reply_list(root), *item;
	char			 sid[128];
	enum intake_err		 err = INTAKE_OK;
	size_t			 i;
	int64_t			 t;

	for (i = json_object_array_length(list); i-- > 0 && hit->match == INTAKE_REPLY_NONE &&
	    err == INTAKE_OK;) {
		item = json_object_array_get_idx(list, i);
		t = intake_dialect_iso_ms(intake_reply_str(item, INTAKE_REPLY_STARTED));
		if ((t != -1 && t < since_ms) ||
		    !intake_reply_id(item, INTAKE_REPLY_SID, sid, sizeof(sid)))
			continue;
		/* Started, and named, for another submission: its to fill. */
		if (named_for_another(item, cl->reference))
			continue;
		if (held_only && !cl->held(cl->arg, sid))
			continue;
		err = orphan_try(ctx, form, item, sid, cl, out, hit);
	}
	return err;
}

/*
 * A request of form's process that a lost start left without values.
 * GET /instances/mine?process_sid=P&sort=CreatedDate&dir=DESC, page by
 * page (newest first) down to since_ms; then, oldest first, a request
 * started since then (or at a time we cannot read) that claim() lets us
 * take and whose data-container task is still active.  Claiming first
 * skips, without a call, every request another submission already filled
 * or is filling.  Unfilled requests of one process are all alike to the
 * service account, so whichever submission claims one fills it.  Oldest
 * first, so that none is left empty: a submission accepted later may
 * only take requests started after it, so one that took the newest
 * empty request could leave an older one that no other submission may
 * take (seen in the two-host v7 fault run: 121 requests, one empty).
 * Before all, one this submission claimed already (its start was killed
 * between the claim and the note): none other may fill that one, so one
 * that took an older request instead left its own empty (seen in the
 * one-host v7 fault run: 1,001 requests, one empty).
 */
static enum intake_err
v7_orphan(struct intake_ctx *ctx, const struct intake_form *form, int64_t since_ms,
    const struct intake_reqstart_claims *cl, struct intake_reqstart_result *out,
    struct intake_reply_hit *hit)
{
	struct json_object	*roots[ORPHAN_PAGES];
	struct intake_buf	 path;
	enum intake_err		 err = INTAKE_OK;
	size_t			 i, n, npages = 0;
	bool			 older = false;
	int			 pass;

	intake_buf_init(&path, INTAKE_DIALECT_PATH_MAX);
	while (npages < ORPHAN_PAGES && !older && err == INTAKE_OK) {
		intake_buf_reset(&path);
		(void)intake_buf_printf(&path, "/instances/mine?status=open&sort=CreatedDate"
		    "&dir=DESC&start=%zu&count=%d&process_sid=", npages * ORPHAN_PAGE, ORPHAN_PAGE);
		(void)intake_url_escape(&path, form->process);
		err = intake_buf_err(&path);
		if (err == INTAKE_OK)
			err = intake_dialect_get_json(ctx, path.ptr, "instance list", out,
			    &roots[npages]);
		if (err != INTAKE_OK)
			break;
		err = orphan_scan(roots[npages++], since_ms, hit, &older, &n);
		if (hit->match != INTAKE_REPLY_NONE || n < ORPHAN_PAGE)
			break;		/* unreadable, or the last page */
	}
	for (pass = cl->held != NULL ? 0 : 1; pass < 2; pass++)
		for (i = npages; i-- > 0 && hit->match == INTAKE_REPLY_NONE && err == INTAKE_OK;)
			err = orphan_page(ctx, form, roots[i], since_ms, cl, pass == 0, out, hit);
	while (npages > 0)
		json_object_put(roots[--npages]);
	intake_buf_free(&path);
	return err;
}

const struct intake_dialect intake_dialect_v7 = {
	.name = "v7",
	.report_call = v7_report_call,
	.start_path = v7_start_path,
	.values_body = v7_values_body,
	.fill = v7_fill,	/* a request starts empty; its values follow */
	.create_body = v7_create_body,
	.request_id = v7_request_id,
	.upload_path = v7_upload_path,
	.file_key = INTAKE_REPLY_FILE_V7,
	.find = NULL,		/* v7 cannot search requests by name */
	.orphan = v7_orphan,
	.processes_path = "/processes",
	.fields_list = { "/instances/mine?status=open&sort=CreatedDate&dir=DESC&start=0&count=20"
	    "&process_sid=", "" },
	.fields_item = { "/tasktypes/data-container/endpoints?instance_sid=", "" },
	.fields_container = "/tasktypes/data-container/",
};
