/*
 * v8.c - Integrify's v8 API dialect (dialect.h): everything intake says
 * differently to a v8 tenant, and nothing else.
 *
 *   reports:   POST /api/reports/{sid}/run with [{"label","value"}] (JSON),
 *              GET /core-service/reports/{sid}/export/csv_utf8 (CSV);
 *   start:     POST /api/instance/start/{process}/{task}?requestName=...
 *              with {"isDraft":false,"request_name":...,"questions":[...]}
 *              (the power-form shape): one call, values included;
 *   upload:    POST /api/files/temp/{tenant}/upload, key in "sid" first;
 *   search:    GET /api/instance/list/all?search=REF;
 *   processes: GET /api/processes/search?search=.
 */
#include <string.h>

#include "core/log.h"
#include "integrify/call.h"
#include "integrify/dialect.h"
#include "util/str.h"
#include "util/nelem.h"

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
	{ "string",	"RadioButton" },	/* INTAKE_FIELD_RADIO */
};
INTAKE_ROWS(qtypes, INTAKE_FIELD__MAX);

/* The JSON run's body: the filter values by their exposed labels. */
static void
run_body(const struct intake_filter_value *f, size_t n, struct intake_buf *body)
{
	size_t	i;

	(void)intake_buf_addc(body, '[');
	for (i = 0; i < n; i++) {
		if (f[i].value == NULL || f[i].value[0] == '\0')
			continue;
		if (body->len > 1)
			(void)intake_buf_addc(body, ',');
		(void)intake_buf_adds(body, "{\"label\":");
		(void)intake_json_quote(body, f[i].param->expose, strlen(f[i].param->expose));
		(void)intake_buf_adds(body, ",\"value\":");
		(void)intake_json_quote(body, f[i].value, strlen(f[i].value));
		(void)intake_buf_addc(body, '}');
	}
	(void)intake_buf_addc(body, ']');
}

/* A report: a JSON run with the values by label, or a CSV export with grid filters. */
static enum intake_err
v8_report_call(struct intake_ctx *ctx, const struct intake_source *src,
    const struct intake_filter_value *f, size_t n, struct intake_report_call *call)
{
	struct intake_buf	filters;
	enum intake_err		err;

	switch (src->fetch) {
	case INTAKE_FETCH_JSON:
		call->method = "POST";
		call->ctype = "application/json";
		run_body(f, n, &call->body);
		(void)intake_buf_adds(&call->path, "/api/reports/");
		(void)intake_url_escape(&call->path, src->report);
		(void)intake_buf_adds(&call->path, "/run");
		err = intake_buf_err(&call->body);
		return err != INTAKE_OK ? err : intake_buf_err(&call->path);
	case INTAKE_FETCH_CSV:
		break;
	case INTAKE_FETCH__MAX:
		return INTAKE_EINVAL;
	}
	call->method = "GET";
	call->ctype = NULL;
	intake_buf_init(&filters, 8192);
	err = intake_dialect_grid_filters(ctx, src, f, n, &filters);
	(void)intake_buf_adds(&call->path, "/core-service/reports/");
	(void)intake_url_escape(&call->path, src->report);
	(void)intake_buf_adds(&call->path, "/export/csv_utf8?start=0");
	if (filters.len > 0) {
		(void)intake_buf_adds(&call->path, "&filters=");
		(void)intake_url_escape(&call->path, filters.ptr);
	}
	if (err == INTAKE_OK)
		err = intake_buf_err(&call->path);
	intake_buf_free(&filters);
	return err;
}

/* POST /api/instance/start/{process}[/{task}][?requestName=...] */
static enum intake_err
v8_start_path(const struct intake_form *form, const struct intake_reqstart_opts *o,
    struct intake_buf *path)
{
	(void)intake_buf_adds(path, "/api/instance/start/");
	(void)intake_url_escape(path, form->process);
	if (form->task[0] != '\0') {
		(void)intake_buf_addc(path, '/');
		(void)intake_url_escape(path, form->task);
	}
	if (o->request_name[0] != '\0') {
		(void)intake_buf_adds(path, "?requestName=");
		(void)intake_url_escape(path, o->request_name);
	}
	return intake_buf_err(path);
}

/* One question: {"key","label","value","type","QuestionType"}. */
static void
add_question(struct intake_buf *body, const struct intake_field *f,
    const struct intake_form_value *v, const char *file_key)
{
	(void)intake_buf_adds(body, "{\"key\":");
	(void)intake_json_quote(body, f->key, strlen(f->key));
	(void)intake_buf_adds(body, ",\"label\":");
	(void)intake_json_quote(body, f->label, strlen(f->label));
	(void)intake_buf_adds(body, ",\"value\":");
	(void)intake_dialect_value_string(body, v, file_key);
	(void)intake_buf_printf(body, ",\"type\":\"%s\",\"QuestionType\":\"%s\"}",
	    qtypes[f->type].type, qtypes[f->type].question);
}

/*
 * The power-form body: {"isDraft":false,"request_name":...,
 * "questions":[...]}, one question per field with a value, and the
 * reference first when the form keeps it.
 */
static enum intake_err
v8_values_body(const struct intake_form *form, const struct intake_form_value *values,
    size_t n, const struct intake_reqstart_files *files, const struct intake_reqstart_opts *o,
    struct intake_buf *body)
{
	size_t	i, used = 0;

	(void)intake_buf_adds(body, "{\"isDraft\":false,\"request_name\":");
	(void)intake_json_quote(body, o->request_name, strlen(o->request_name));
	(void)intake_buf_adds(body, ",\"questions\":[");
	if (intake_dialect_reference_wanted(form, o)) {
		used++;
		(void)intake_buf_adds(body, "{\"key\":");
		(void)intake_json_quote(body, form->reference_key, strlen(form->reference_key));
		(void)intake_buf_adds(body, ",\"label\":\"Reference\",\"value\":");
		(void)intake_json_quote(body, o->reference, strlen(o->reference));
		(void)intake_buf_adds(body, ",\"type\":\"string\",\"QuestionType\":\"ShortText\"}");
	}
	for (i = 0; i < n; i++) {
		if (!intake_dialect_has_value(&values[i], files->key[i]))
			continue;
		if (used++ > 0)
			(void)intake_buf_addc(body, ',');
		add_question(body, values[i].field, &values[i], files->key[i]);
	}
	(void)intake_buf_adds(body, "]}");
	return intake_buf_err(body);
}

/* POST /api/files/temp/{tenant}/upload */
static enum intake_err
v8_upload_path(const struct intake_config *cfg, struct intake_buf *path)
{
	(void)intake_buf_adds(path, "/api/files/temp/");
	(void)intake_url_escape(path, cfg->tenant);
	(void)intake_buf_adds(path, "/upload");
	return intake_buf_err(path);
}

/*
 * Look for the request an earlier attempt may have started, by the
 * reference its name carries: GET /api/instance/list/all?search=REF
 * (Swagger lists the route; its reply shape is undocumented, so
 * intake_reply_search() reads it: any item naming the reference counts,
 * whether or not its SID can be read).
 */
static enum intake_err
v8_find(struct intake_ctx *ctx, const char *reference, struct intake_reqstart_result *out,
    struct intake_reply_hit *hit)
{
	struct intake_http_resp	resp;
	struct intake_buf	path;
	enum intake_err		err;

	intake_http_resp_init(&resp, (size_t)ctx->cfg->response_max);
	intake_buf_init(&path, INTAKE_DIALECT_PATH_MAX);
	(void)intake_buf_adds(&path, "/api/instance/list/all?start=0&count=25&search=");
	(void)intake_url_escape(&path, reference);
	err = intake_buf_err(&path);
	if (err == INTAKE_OK)
		err = intake_integrify_call(ctx, "GET", path.ptr, NULL, NULL, 0, &resp);
	if (err != INTAKE_OK) {
		intake_dialect_failed(out, &resp, err, false);
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

const struct intake_dialect intake_dialect_v8 = {
	.name = "v8",
	.report_call = v8_report_call,
	.start_path = v8_start_path,
	.values_body = v8_values_body,
	.fill = NULL,		/* the start call carries the values */
	.create_body = NULL,	/* one step: the values are the body */
	.request_id = NULL,	/* the start reply carries the id */
	.upload_path = v8_upload_path,
	.file_key = INTAKE_REPLY_FILE_V8,
	.find = v8_find,
	.orphan = NULL,		/* a start is one call: it leaves no empty request */
	.processes_path = "/api/processes/search?search=",
	.fields_list = { "/api/processes/", "/firstTasks" },
	.fields_item = { "/api/forms/", "/questions" },
	.fields_container = NULL,
};
