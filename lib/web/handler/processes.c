/*
 * processes.c - GET /api/processes: the processes Integrify lists for the
 * service account, as [{"sid","name"}], from the dialect's process list
 * (integrify/dialect.h).  The reply's shape is not documented, so every
 * spelling of each member and several list wrappers are accepted
 * (integrify/reply.h).
 */
#include <string.h>

#include "web/handler/handler.h"
#include "integrify/call.h"
#include "integrify/dialect.h"
#include "util/json.h"
#include "integrify/reply.h"
#include "util/str.h"

/* Append the normalised list of root's processes to out. */
static enum intake_err
normalise(struct json_object *root, struct intake_buf *out)
{
	struct json_object	*list, *it;
	const char		*sid, *name;
	size_t			 i, n, kept = 0;

	list = intake_reply_list(root);
	if (list == NULL)
		return INTAKE_EPROTO;
	(void)intake_buf_adds(out, "{\"processes\":[");
	n = json_object_array_length(list);
	for (i = 0; i < n; i++) {
		it = json_object_array_get_idx(list, i);
		sid = intake_reply_str(it, INTAKE_REPLY_PROCESS_SID);
		name = intake_reply_str(it, INTAKE_REPLY_PROCESS_NAME);
		if (sid == NULL || name == NULL)
			continue;
		if (kept++ > 0)
			(void)intake_buf_addc(out, ',');
		(void)intake_buf_adds(out, "{\"sid\":");
		(void)intake_json_quote(out, sid, strlen(sid));
		(void)intake_buf_adds(out, ",\"name\":");
		(void)intake_json_quote(out, name, strlen(name));
		(void)intake_buf_addc(out, '}');
	}
	(void)intake_buf_adds(out, "]}\n");
	return intake_buf_err(out);
}

void
intake_handle_processes(struct intake_req *req)
{
	struct intake_http_resp	 resp;
	struct intake_buf	 out;
	struct json_object	*root = NULL;
	const char		*path;
	enum intake_err		 err;

	path = intake_dialect_ctx(req->ctx)->processes_path;
	intake_http_resp_init(&resp, (size_t)req->ctx->cfg->response_max);
	intake_buf_init(&out, (size_t)req->ctx->cfg->response_max);
	err = intake_integrify_call(req->ctx, "GET", path, NULL, NULL, 0, &resp);
	if (err == INTAKE_OK && intake_json_parse(intake_buf_str(&resp.body), resp.body.len,
	    &root) != INTAKE_OK)
		err = INTAKE_EPROTO;
	if (err == INTAKE_OK)
		err = normalise(root, &out);
	if (err != INTAKE_OK)
		(void)intake_resp_upstream_error(req, err);
	else
		(void)intake_resp_send(req, 200, "application/json; charset=utf-8",
		    "Cache-Control: no-store\r\n", out.ptr, out.len);
	json_object_put(root);
	intake_buf_free(&out);
	intake_http_resp_free(&resp);
}
