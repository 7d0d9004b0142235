/*
 * test_reqstart.c - lib/integrify/reqstart.c against the fake HTTP server
 * (fake_http.h): the exact v8 start request, the v7 start + data-container
 * sequence, uploads in both dialects, tolerant reply shapes, and the
 * replies that must be refused (no SID, an endpoint that is a full URL).
 */
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "cache/cache.h"
#include "core/config.h"
#include "core/ctx.h"
#include "form/form.h"
#include "integrify/http.h"
#include "core/log.h"
#include "web/multipart.h"
#include "integrify/reqstart.h"
#include "util/str.h"

#include "fake_http.h"
#include "t.h"
#include "start_fixture.h"

/* The question of a v8 body whose key is key, or NULL. */
static struct json_object *
question(struct json_object *root, const char *key)
{
	struct json_object	*qs, *q;
	const char		*k;
	size_t			 i;

	if (!json_object_object_get_ex(root, "questions", &qs) ||
	    !json_object_is_type(qs, json_type_array))
		return NULL;
	for (i = 0; i < json_object_array_length(qs); i++) {
		q = json_object_array_get_idx(qs, i);
		k = jstr(q, "key");
		if (k != NULL && strcmp(k, key) == 0)
			return q;
	}
	return NULL;
}

/* A test form: its fields and their values, one per field. */
struct sample {
	struct intake_form		form;
	struct intake_form_value	values[INTAKE_FIELDS_MAX];
	size_t				nvalues;
};

#define DESCRIPTION	"Screen flickers,\nthen \"goes black\" <b>&</b> \\ Zürich – 東京\t!"
#define LABEL_QUOTED	"Requester \"name\" <&>"
#define LABEL_UTF8	"Beschreibung (Größe)"

static struct intake_form_value *
add_field(struct sample *s, const char *name, enum intake_field_type type, const char *key,
    const char *label)
{
	struct intake_field		*f = &s->form.fields[s->form.nfields++];
	struct intake_form_value	*v = &s->values[s->nvalues++];

	(void)intake_strlcpy(f->name, name, sizeof(f->name));
	(void)intake_strlcpy(f->key, key, sizeof(f->key));
	(void)intake_strlcpy(f->label, label, sizeof(f->label));
	f->type = type;
	memset(v, 0, sizeof(*v));
	v->field = f;
	return v;
}

/*
 * The sample form: text with a quoted label, a textarea with newlines,
 * quotes and non-ASCII, a number, a date, a select, a checkbox group of
 * two, a text left empty and a file field without a file.
 */
static void
sample_init(struct sample *s, const char *process, const char *task)
{
	struct intake_form_value	*v;

	memset(s, 0, sizeof(*s));
	(void)intake_strlcpy(s->form.id, "it-request", sizeof(s->form.id));
	(void)intake_strlcpy(s->form.process, process, sizeof(s->form.process));
	(void)intake_strlcpy(s->form.task, task, sizeof(s->form.task));
	v = add_field(s, "name", INTAKE_FIELD_TEXT, "RequesterName", LABEL_QUOTED);
	v->values[0] = "José García";
	v->nvalues = 1;
	v = add_field(s, "description", INTAKE_FIELD_TEXTAREA, "Description", LABEL_UTF8);
	v->values[0] = DESCRIPTION;
	v->nvalues = 1;
	v = add_field(s, "asset", INTAKE_FIELD_NUMBER, "AssetTag", "Asset tag");
	v->values[0] = "104233";
	v->nvalues = 1;
	v = add_field(s, "ratio", INTAKE_FIELD_NUMBER, "Ratio", "Ratio");
	v->values[0] = "-1.5e3";
	v->nvalues = 1;
	v = add_field(s, "needed", INTAKE_FIELD_DATE, "NeededBy", "Needed by");
	v->values[0] = "2025-01-31";
	v->nvalues = 1;
	v = add_field(s, "priority", INTAKE_FIELD_SELECT, "Priority", "Priority");
	v->values[0] = "P2";
	v->nvalues = 1;
	v = add_field(s, "extras", INTAKE_FIELD_CHECKBOXES, "LaptopAccessories", "Extras");
	v->values[0] = "Docking station";
	v->values[1] = "Headset";
	v->nvalues = 2;
	v = add_field(s, "phone", INTAKE_FIELD_TEXT, "Phone", "Phone");
	v->nvalues = 0;
	v = add_field(s, "attachment", INTAKE_FIELD_FILE, "Attachment", "Attachment");
	v->file_name = NULL;
}

/* Start s's values with only a request name, as the tests before references did. */
static enum intake_err
start_named(struct fixture *f, struct sample *s, size_t nvalues, const char *name,
    struct intake_reqstart_result *r)
{
	struct intake_reqstart_opts	o;

	memset(&o, 0, sizeof(o));
	o.request_name = name;
	return intake_reqstart(&f->ctx, &s->form, s->values, nvalues, &o, r);
}


/* A result filled with a sentinel, to see that a failure leaves it alone. */
static void
sentinel(struct intake_reqstart_result *r)
{
	memset(r, 'Z', sizeof(*r));
	r->instance_sid[sizeof(r->instance_sid) - 1] = '\0';
	r->instance_id[sizeof(r->instance_id) - 1] = '\0';
}

static bool
untouched(const struct intake_reqstart_result *r)
{
	/* A failure reports how it ended, but never a request it did not see start. */
	return r->instance_sid[0] == '\0' && r->instance_id[0] == '\0';
}

#define V7_START	"{\"request\":{\"sid\":\"S-7\",\"id\":\"2993\",\"name\":\"IT\"," \
			"\"startdate\":\"2025-01-01T00:00:00Z\",\"lastmilestone\":\"Started\"}}"
#define V7_ENDPOINT	"/tasktypes/data-container/instances/tasks/reciptasks/RT-1?task_name=Intake+Data"
#define V7_ENDPOINTS	"{\"endpoints\":[\"" V7_ENDPOINT "\"]}"
#define V8_START	"{\"instance_sid\":\"S-8\",\"sid\":\"S-8\",\"id\":42,\"nextTasks\":[]}"

static void
test_reqstart_v8_request_is_exact(void)
{
	struct fixture			 f;
	struct sample			 s;
	struct intake_reqstart_result	 r;
	struct json_object		*root, *q, *qs, *v;
	char				 ct[256], auth[256];
	size_t				 i;

	setup_v8(&f);
	sample_init(&s, "proc/1", "task 1");
	reply(&f, 0, 200, V8_START);
	T_EQ_INT(start_named(&f, &s, s.nvalues, "Laptop for Åsa & co", &r),
	    INTAKE_OK);
	T_EQ_STR(r.instance_sid, "S-8");
	T_EQ_STR(r.instance_id, "42");
	T_EQ_INT(calls(&f), 1);
	/* Path segments and the query value are percent-escaped. */
	T_ASSERT(req_is(&f, 0, "POST", "/api/instance/start/proc%2F1/task%201"
	    "?requestName=Laptop%20for%20%C3%85sa%20%26%20co"));
	req_header(&f, 0, "Content-Type", ct, sizeof(ct));
	T_EQ_STR(ct, "application/json");
	req_header(&f, 0, "Authorization", auth, sizeof(auth));
	T_EQ_STR(auth, "Bearer 0123456789abcdef0123456789abcdef");

	root = req_json(&f, 0);
	T_ASSERT(root != NULL);
	T_ASSERT(json_object_object_get_ex(root, "isDraft", &v));
	T_ASSERT(json_object_is_type(v, json_type_boolean) && !json_object_get_boolean(v));
	T_EQ_STR(jstr(root, "request_name"), "Laptop for Åsa & co");
	T_ASSERT(json_object_object_get_ex(root, "questions", &qs));
	/* One per field with a value: the empty text and the file are left out. */
	T_EQ_INT(json_object_array_length(qs), 7);
	for (i = 0; i < json_object_array_length(qs); i++) {
		q = json_object_array_get_idx(qs, i);
		T_EQ_INT(json_object_object_length(q), 5);
		T_ASSERT(json_object_object_get_ex(q, "value", &v));
		T_ASSERT(json_object_is_type(v, json_type_string));
	}
	q = question(root, "RequesterName");
	T_ASSERT(q != NULL);
	T_EQ_STR(jstr(q, "label"), LABEL_QUOTED);
	T_EQ_STR(jstr(q, "value"), "José García");
	T_EQ_STR(jstr(q, "type"), "string");
	T_EQ_STR(jstr(q, "QuestionType"), "ShortText");
	q = question(root, "Description");
	T_ASSERT(q != NULL);
	T_EQ_STR(jstr(q, "label"), LABEL_UTF8);
	T_EQ_STR(jstr(q, "value"), DESCRIPTION);
	T_EQ_STR(jstr(q, "QuestionType"), "LongText");
	q = question(root, "AssetTag");
	T_ASSERT(q != NULL);
	T_EQ_STR(jstr(q, "value"), "104233");
	T_EQ_STR(jstr(q, "type"), "Numeric");
	T_EQ_STR(jstr(q, "QuestionType"), "Numeric");
	q = question(root, "NeededBy");
	T_ASSERT(q != NULL);
	T_EQ_STR(jstr(q, "value"), "2025-01-31");
	T_EQ_STR(jstr(q, "type"), "DateTime");
	T_EQ_STR(jstr(q, "QuestionType"), "Date");
	q = question(root, "Priority");
	T_ASSERT(q != NULL);
	T_EQ_STR(jstr(q, "QuestionType"), "DropDown");
	q = question(root, "LaptopAccessories");
	T_ASSERT(q != NULL);
	T_EQ_STR(jstr(q, "value"), "Docking station|Headset");
	T_EQ_STR(jstr(q, "type"), "string");
	T_EQ_STR(jstr(q, "QuestionType"), "CheckBox");
	T_ASSERT(question(root, "Phone") == NULL);
	T_ASSERT(question(root, "Attachment") == NULL);
	json_object_put(root);
	teardown(&f);
}

/* Without a task SID the plain start path is used, with the same body. */
static void
test_reqstart_v8_without_task_uses_plain_start(void)
{
	struct fixture			 f;
	struct sample			 s;
	struct intake_reqstart_result	 r;
	struct json_object		*root;

	setup_v8(&f);
	sample_init(&s, "PROC-8", "");
	reply(&f, 0, 200, "{\"sid\":\"S-9\",\"id\":7,\"name\":\"x\",\"lastMilestone\":\"Started\"}");
	T_EQ_INT(start_named(&f, &s, s.nvalues, "Name", &r), INTAKE_OK);
	T_EQ_STR(r.instance_sid, "S-9");
	T_EQ_STR(r.instance_id, "7");
	T_ASSERT(req_is(&f, 0, "POST", "/api/instance/start/PROC-8?requestName=Name"));
	root = req_json(&f, 0);
	T_ASSERT(root != NULL);
	T_ASSERT(question(root, "AssetTag") != NULL);
	json_object_put(root);
	/* No request name: no query, an empty request_name. */
	rewind_calls(&f);
	T_EQ_INT(start_named(&f, &s, s.nvalues, NULL, &r), INTAKE_OK);
	T_ASSERT(req_is(&f, 0, "POST", "/api/instance/start/PROC-8"));
	root = req_json(&f, 0);
	T_ASSERT(root != NULL);
	T_EQ_STR(jstr(root, "request_name"), "");
	json_object_put(root);
	teardown(&f);
}

static void
test_reqstart_v7_three_calls_and_container_body(void)
{
	struct fixture			 f;
	struct sample			 s;
	struct intake_reqstart_result	 r;
	struct json_object		*root, *v;
	const char			*b;
	char				 ct[256];
	size_t				 len;

	setup_v7(&f);
	sample_init(&s, "proc 7", "ignored in v7");
	reply(&f, 0, 200, V7_START);
	reply(&f, 1, 200, V7_ENDPOINTS);
	reply(&f, 2, 200, "{\"success\":true}");
	T_EQ_INT(start_named(&f, &s, s.nvalues, "Name", &r), INTAKE_OK);
	T_EQ_STR(r.instance_sid, "S-7");
	T_EQ_STR(r.instance_id, "2993");
	T_EQ_INT(calls(&f), 3);

	T_ASSERT(req_is(&f, 0, "POST", "/instances/proc%207/start"));
	/* The start names the request, as v8's does (a site without names ignores it). */
	b = req_body(&f, 0, &len);
	T_EQ_INT(len, 15);
	T_EQ_MEM(b, "{\"name\":\"Name\"}", 15);
	T_ASSERT(req_is(&f, 1, "GET", "/tasktypes/data-container/endpoints?instance_sid=S-7"));
	T_ASSERT(req_is(&f, 2, "POST", V7_ENDPOINT));
	req_header(&f, 2, "Content-Type", ct, sizeof(ct));
	T_EQ_STR(ct, "application/json");

	root = req_json(&f, 2);
	T_ASSERT(root != NULL);
	T_ASSERT(json_object_is_type(root, json_type_object));
	T_EQ_INT(json_object_object_length(root), 7);
	T_EQ_STR(jstr(root, "RequesterName"), "José García");
	T_EQ_STR(jstr(root, "Description"), DESCRIPTION);
	/* Number fields go as JSON numbers, everything else as strings. */
	T_ASSERT(json_object_object_get_ex(root, "AssetTag", &v));
	T_ASSERT(json_object_is_type(v, json_type_int));
	T_EQ_INT(json_object_get_int64(v), 104233);
	T_ASSERT(json_object_object_get_ex(root, "Ratio", &v));
	T_ASSERT(json_object_is_type(v, json_type_double));
	T_ASSERT(json_object_get_double(v) == -1500.0);
	T_EQ_STR(jstr(root, "NeededBy"), "2025-01-31");
	T_EQ_STR(jstr(root, "Priority"), "P2");
	T_EQ_STR(jstr(root, "LaptopAccessories"), "Docking station|Headset");
	T_ASSERT(!json_object_object_get_ex(root, "Phone", NULL));
	T_ASSERT(!json_object_object_get_ex(root, "Attachment", NULL));
	json_object_put(root);
	teardown(&f);
}

/* A number field's value that is not a JSON number is sent as a string. */
static void
test_reqstart_v7_number_that_is_not_json_goes_quoted(void)
{
	static const char *const odd[] = { "0x10", "+5", "05", ".5", "1.", "1e", "NaN", "1 2" };
	struct fixture			 f;
	struct sample			 s;
	struct intake_reqstart_result	 r;
	struct json_object		*root;
	size_t				 i;

	setup_v7(&f);
	for (i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		sample_init(&s, "P", "");
		s.values[2].values[0] = odd[i];
		rewind_calls(&f);
		reply(&f, 0, 200, V7_START);
		reply(&f, 1, 200, V7_ENDPOINTS);
		reply(&f, 2, 200, "{\"success\":true}");
		T_EQ_INT(start_named(&f, &s, s.nvalues, "", &r), INTAKE_OK);
		root = req_json(&f, 2);
		T_ASSERT(root != NULL);
		T_EQ_STR(jstr(root, "AssetTag"), odd[i]);
		json_object_put(root);
	}
	teardown(&f);
}

/* The SID is read from each reply shape seen or documented. */
static void
test_reqstart_tolerant_start_replies(void)
{
	static const struct {
		const char	*body;
		const char	*id;
	} shapes[] = {
		{ "{\"instance_sid\":\"A-1\",\"nextTasks\":[]}", "" },
		{ "{\"sid\":\"A-1\",\"id\":\"12\"}", "12" },
		{ "{\"SID\":\"A-1\"}", "" },
		{ "{\"request\":{\"sid\":\"A-1\",\"id\":\"2993\"}}", "2993" },
		{ "{\"request\":{\"sid\":\"A-1\",\"id\":2993},\"SID\":\"A-1\"}", "2993" },
		{ "{\"instance_sid\":\"A-1\",\"sid\":\"other\",\"id\":-3}", "-3" },
	};
	struct fixture			f;
	struct sample			s;
	struct intake_reqstart_result	r;
	size_t				i;

	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		setup_v8(&f);
		sample_init(&s, "P", "T");
		reply(&f, 0, 200, shapes[i].body);
		T_EQ_INT(start_named(&f, &s, s.nvalues, "n", &r), INTAKE_OK);
		T_EQ_STR(r.instance_sid, "A-1");
		T_EQ_STR(r.instance_id, shapes[i].id);
		teardown(&f);

		setup_v7(&f);
		reply(&f, 0, 200, shapes[i].body);
		reply(&f, 1, 200, V7_ENDPOINTS);
		reply(&f, 2, 200, "{\"success\":true}");
		T_EQ_INT(start_named(&f, &s, s.nvalues, "n", &r), INTAKE_OK);
		T_EQ_STR(r.instance_sid, "A-1");
		T_ASSERT(req_is(&f, 1, "GET", "/tasktypes/data-container/endpoints?instance_sid=A-1"));
		teardown(&f);
	}
}

static void
test_reqstart_reply_without_sid_is_eproto(void)
{
	static const char *const bodies[] = {
		"{\"id\":5,\"name\":\"x\"}",
		"{\"request\":{\"id\":\"5\"}}",
		"{\"sid\":\"\"}",
		"{\"sid\":\"has space\"}",
		"{\"sid\":{\"nested\":1}}",
		"[{\"sid\":\"A\"}]",
		"<html>Sign in</html>",
		"",
	};
	struct fixture			f;
	struct sample			s;
	struct intake_reqstart_result	r;
	size_t				i;

	t_quiet_stderr();
	setup_v7(&f);
	sample_init(&s, "P", "");
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		rewind_calls(&f);
		reply(&f, 0, 200, bodies[i]);
		reply(&f, 1, 200, V7_ENDPOINTS);
		sentinel(&r);
		T_EQ_INT(start_named(&f, &s, s.nvalues, "n", &r),
		    INTAKE_EPROTO);
		T_ASSERT(untouched(&r));
		/* No data-container call without a SID. */
		T_EQ_INT(calls(&f), 1);
	}
	teardown(&f);
	setup_v8(&f);
	sample_init(&s, "P", "T");
	reply(&f, 0, 200, "{\"nextTasks\":[]}");
	sentinel(&r);
	T_EQ_INT(start_named(&f, &s, s.nvalues, "n", &r), INTAKE_EPROTO);
	T_ASSERT(untouched(&r));
	teardown(&f);
}

/*
 * The data-container endpoint comes from Integrify's reply.  Followed as
 * a URL it would send the token and the form's values to any host
 * (SSRF): only a plain path on base_url's host is taken.
 */
static void
test_reqstart_refuses_absolute_endpoint_url_ssrf(void)
{
	static const char *const evil[] = {
		"http://evil.example/steal",
		"https://evil.example/tasktypes/data-container/instances/tasks/reciptasks/RT",
		"//evil.example/tasktypes/data-container/x",
		"evil.example/x",
		"\\\\\\\\evil.example\\\\x",
		"/\\\\evil.example/x",
		"/x/../../admin",
		"/tasktypes/%2e%2e/admin",
		"/x\\r\\nHost: evil.example",
		"/x y",
		"/x#frag",
		"/x\\u0000y",
		"",
	};
	struct fixture			f;
	struct sample			s;
	struct intake_reqstart_result	r;
	char				body[512];
	size_t				i;

	t_quiet_stderr();
	setup_v7(&f);
	sample_init(&s, "P", "");
	for (i = 0; i < sizeof(evil) / sizeof(evil[0]); i++) {
		rewind_calls(&f);
		(void)snprintf(body, sizeof(body), "{\"endpoints\":[\"%s\",\"%s\"]}", evil[i],
		    V7_ENDPOINT);
		reply(&f, 0, 200, V7_START);
		reply(&f, 1, 200, body);
		reply(&f, 2, 200, "{\"success\":true}");
		sentinel(&r);
		T_EQ_INT(start_named(&f, &s, s.nvalues, "n", &r),
		    INTAKE_EPROTO);
		T_EQ_STR(r.instance_sid, "S-7");	/* started: the caller notes it */
		/* Nothing was posted anywhere after the endpoints reply. */
		T_EQ_INT(calls(&f), 2);
	}
	/* A non-string endpoint is refused too. */
	rewind_calls(&f);
	reply(&f, 1, 200, "{\"endpoints\":[{\"url\":\"" V7_ENDPOINT "\"}]}");
	T_EQ_INT(start_named(&f, &s, s.nvalues, "n", &r), INTAKE_EPROTO);
	T_EQ_INT(calls(&f), 2);
	teardown(&f);
}

/* No active data-container task: INTAKE_EPROTO, logged without any value. */
static void
test_reqstart_v7_without_container_task_is_eproto(void)
{
	struct fixture			f;
	struct sample			s;
	struct intake_reqstart_result	r;
	char				logpath[512], log[4096];
	FILE				*fp;
	size_t				n;
	int				fd;

	setup_v7(&f);
	sample_init(&s, "P-7", "");
	(void)snprintf(logpath, sizeof(logpath), "%s/stderr.log", f.dir);
	fflush(stderr);
	fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	T_ASSERT(fd != -1);
	T_ASSERT(dup2(fd, STDERR_FILENO) != -1);
	(void)close(fd);
	reply(&f, 0, 200, V7_START);
	reply(&f, 1, 200, "{\"endpoints\":[]}");
	sentinel(&r);
	T_EQ_INT(start_named(&f, &s, s.nvalues, "Secret name", &r),
	    INTAKE_EPROTO);
	T_EQ_STR(r.instance_sid, "S-7");	/* started: the caller notes it */
	T_EQ_INT(calls(&f), 2);
	fflush(stderr);
	fp = fopen(logpath, "r");
	T_ASSERT(fp != NULL);
	n = fread(log, 1, sizeof(log) - 1, fp);
	(void)fclose(fp);
	log[n] = '\0';
	T_CONTAINS(log, "data-container");
	T_CONTAINS(log, "S-7");
	T_NOT_CONTAINS(log, "José");
	T_NOT_CONTAINS(log, "Secret name");
	T_NOT_CONTAINS(log, "0123456789abcdef");
	/* Exactly one line. */
	T_EQ_INT(strchr(log, '\n') != NULL && strchr(log, '\n')[1] == '\0', 1);

	/* No endpoints member at all, and a reply that is not JSON. */
	rewind_calls(&f);
	reply(&f, 1, 200, "{}");
	T_EQ_INT(start_named(&f, &s, s.nvalues, "n", &r), INTAKE_EPROTO);
	rewind_calls(&f);
	reply(&f, 1, 200, "nope");
	T_EQ_INT(start_named(&f, &s, s.nvalues, "n", &r), INTAKE_EPROTO);
	T_EQ_INT(calls(&f), 2);
	teardown(&f);
}

static void
test_reqstart_v8_400_is_eproto(void)
{
	struct fixture			f;
	struct sample			s;
	struct intake_reqstart_result	r;

	t_quiet_stderr();
	setup_v8(&f);
	sample_init(&s, "P", "T");
	reply(&f, 0, 400, "{\"status\":400,\"message\":\"Bad Request\","
	    "\"description\":\"unknown question key 'x'\"}");
	sentinel(&r);
	T_EQ_INT(start_named(&f, &s, s.nvalues, "n", &r), INTAKE_EPROTO);
	T_ASSERT(untouched(&r));
	T_EQ_INT(calls(&f), 1);
	teardown(&f);
}

/* The other statuses keep integrify.h's meaning; a v7 data-container 404 too. */
static void
test_reqstart_upstream_errors_pass_through(void)
{
	struct fixture			f;
	struct sample			s;
	struct intake_reqstart_result	r;

	t_quiet_stderr();
	setup_v8(&f);
	sample_init(&s, "P", "T");
	reply(&f, 0, 404, "{\"status\":404,\"message\":\"Not Found\"}");
	T_EQ_INT(start_named(&f, &s, s.nvalues, "n", &r), INTAKE_ENOTFOUND);
	rewind_calls(&f);
	reply(&f, 0, 403, "{\"status\":403}");
	T_EQ_INT(start_named(&f, &s, s.nvalues, "n", &r), INTAKE_EDENIED);
	rewind_calls(&f);
	reply(&f, 0, 503, "{}");
	T_EQ_INT(start_named(&f, &s, s.nvalues, "n", &r), INTAKE_EUPSTREAM);
	teardown(&f);
	setup_v7(&f);
	reply(&f, 0, 200, V7_START);
	reply(&f, 1, 200, V7_ENDPOINTS);
	reply(&f, 2, 404, "{}");
	sentinel(&r);
	T_EQ_INT(start_named(&f, &s, s.nvalues, "n", &r), INTAKE_ENOTFOUND);
	T_EQ_STR(r.instance_sid, "S-7");	/* started: the caller notes it */
	teardown(&f);
}

/* Bytes a multipart body must carry unharmed: NULs, CRLF, a fake boundary. */
static const unsigned char file_bytes[] = {
	0x00, 0x01, 0xff, 0xfe, '\r', '\n', '-', '-', 'x', '\r', '\n', '-', '-',
	'i', 'n', 't', 'a', 'k', 'e', '-', '-', '\r', '\n', 0x00, 'P', 'N', 'G', 0x7f,
};

/*
 * Check call i is one multipart upload whose part "file" has the file
 * name want_name, type want_type and file_bytes; parsed back with the
 * project's own parser and compared byte by byte with the expected body.
 */
static bool
upload_ok(const struct fixture *f, int i, const char *want_name, const char *want_type)
{
	struct intake_multipart	*mp;
	struct intake_buf	 want;
	char			 ct[256], boundary[128];
	const char		*b;
	size_t			 len;
	bool			 ok;

	req_header(f, i, "Content-Type", ct, sizeof(ct));
	if (strncmp(ct, "multipart/form-data; boundary=", 30) != 0 ||
	    intake_multipart_boundary(ct, boundary, sizeof(boundary)) != INTAKE_OK) {
		printf("# content type: %s\n", ct);
		return false;
	}
	b = req_body(f, i, &len);
	intake_buf_init(&want, 4096);
	if (intake_buf_printf(&want, "--%s\r\nContent-Disposition: form-data; name=\"file\"; "
	    "filename=\"%s\"\r\nContent-Type: %s\r\n\r\n", boundary, want_name, want_type) !=
	    INTAKE_OK ||
	    intake_buf_add(&want, file_bytes, sizeof(file_bytes)) != INTAKE_OK ||
	    intake_buf_printf(&want, "\r\n--%s--\r\n", boundary) != INTAKE_OK)
		abort();
	ok = len == want.len && memcmp(b, want.ptr, len) == 0;
	if (!ok) {
		printf("# body: ");
		t_print_escaped(b, len);
		printf("\n");
	}
	intake_buf_free(&want);
	mp = intake_xcalloc(1, sizeof(*mp));
	if (ok && (intake_multipart_parse(b, len, boundary, mp) != INTAKE_OK || mp->nparts != 1 ||
	    strcmp(mp->parts[0].name, "file") != 0 ||
	    strcmp(mp->parts[0].filename, want_name) != 0 ||
	    mp->parts[0].len != sizeof(file_bytes) ||
	    memcmp(mp->parts[0].data, file_bytes, sizeof(file_bytes)) != 0)) {
		printf("# the body does not parse back\n");
		ok = false;
	}
	free(mp);
	return ok;
}

static void
test_reqstart_v8_upload_then_start(void)
{
	struct fixture			 f;
	struct sample			 s;
	struct intake_reqstart_result	 r;
	struct json_object		*root, *q;
	struct intake_form_value	*file;

	setup_v8(&f);
	sample_init(&s, "P", "T");
	file = &s.values[s.nvalues - 1];
	/* Quotes, backslashes, CR and LF would break out of the header's quoted string. */
	file->file_name = "C:\\dir\\sc\"an\r\nX-Evil: 1 Zürich.png";
	file->file_type = "image/png";
	file->file_data = file_bytes;
	file->file_len = sizeof(file_bytes);
	reply(&f, 0, 200, "[{\"sid\":\"F-1\",\"originalFilename\":\"scan.png\",\"size\":28}]");
	reply(&f, 1, 200, V8_START);
	T_EQ_INT(start_named(&f, &s, s.nvalues, "n", &r), INTAKE_OK);
	T_EQ_INT(calls(&f), 2);
	T_ASSERT(req_is(&f, 0, "POST", "/api/files/temp/acme%20corp/upload"));
	T_ASSERT(upload_ok(&f, 0, "C:dirscanX-Evil: 1 Zürich.png", "image/png"));
	T_ASSERT(req_is(&f, 1, "POST", "/api/instance/start/P/T?requestName=n"));
	root = req_json(&f, 1);
	T_ASSERT(root != NULL);
	q = question(root, "Attachment");
	T_ASSERT(q != NULL);
	T_EQ_STR(jstr(q, "value"), "F-1");
	T_EQ_STR(jstr(q, "label"), "Attachment");
	T_EQ_STR(jstr(q, "type"), "string");
	T_EQ_STR(jstr(q, "QuestionType"), "FileUpload");
	json_object_put(root);
	teardown(&f);
}

static void
test_reqstart_v7_upload_then_start_and_container(void)
{
	struct fixture			 f;
	struct sample			 s;
	struct intake_reqstart_result	 r;
	struct json_object		*root;
	struct intake_form_value	*file;

	setup_v7(&f);
	sample_init(&s, "P", "");
	file = &s.values[s.nvalues - 1];
	file->file_name = "notes.bin";
	/* A type that would inject a header is replaced. */
	file->file_type = "text/plain\r\nX-Evil: 1";
	file->file_data = file_bytes;
	file->file_len = sizeof(file_bytes);
	reply(&f, 0, 200, "[{\"file\":\"0123abcd\",\"name\":\"notes.bin\",\"size\":28}]");
	reply(&f, 1, 200, V7_START);
	reply(&f, 2, 200, V7_ENDPOINTS);
	reply(&f, 3, 200, "{\"success\":true}");
	T_EQ_INT(start_named(&f, &s, s.nvalues, "n", &r), INTAKE_OK);
	T_EQ_STR(r.instance_sid, "S-7");
	T_EQ_INT(calls(&f), 4);
	T_ASSERT(req_is(&f, 0, "POST", "/files/upload"));
	T_ASSERT(upload_ok(&f, 0, "notes.bin", "application/octet-stream"));
	T_ASSERT(req_is(&f, 1, "POST", "/instances/P/start"));
	T_ASSERT(req_is(&f, 3, "POST", V7_ENDPOINT));
	root = req_json(&f, 3);
	T_ASSERT(root != NULL);
	T_EQ_STR(jstr(root, "Attachment"), "0123abcd");
	json_object_put(root);
	teardown(&f);
}

/* An upload reply without a key stops before anything is started. */
static void
test_reqstart_upload_reply_without_key_is_eproto(void)
{
	static const char *const bodies[] = {
		"[]", "[{\"name\":\"x\"}]", "{\"ok\":true}", "[{\"sid\":\"a b\"}]", "not json",
	};
	struct fixture			f;
	struct sample			s;
	struct intake_reqstart_result	r;
	size_t				i;

	t_quiet_stderr();
	setup_v8(&f);
	sample_init(&s, "P", "T");
	s.values[s.nvalues - 1].file_name = "a.txt";
	s.values[s.nvalues - 1].file_data = "hello";
	s.values[s.nvalues - 1].file_len = 5;
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		rewind_calls(&f);
		reply(&f, 0, 200, bodies[i]);
		reply(&f, 1, 200, V8_START);
		sentinel(&r);
		T_EQ_INT(start_named(&f, &s, s.nvalues, "n", &r),
		    INTAKE_EPROTO);
		T_ASSERT(untouched(&r));
		T_EQ_INT(calls(&f), 1);
	}
	/* The tolerant keys: "file" and "key" work in v8 too. */
	rewind_calls(&f);
	reply(&f, 0, 200, "{\"key\":\"K-1\"}");
	T_EQ_INT(start_named(&f, &s, s.nvalues, "n", &r), INTAKE_OK);
	teardown(&f);
}

/* Malformed input from the caller is refused before any call. */
static void
test_reqstart_rejects_malformed_values(void)
{
	struct fixture			f;
	struct sample			s;
	struct intake_reqstart_result	r;

	t_quiet_stderr();
	setup_v8(&f);
	sample_init(&s, "P", "T");
	s.values[0].field = NULL;
	T_EQ_INT(start_named(&f, &s, s.nvalues, "n", &r), INTAKE_EINVAL);
	sample_init(&s, "P", "T");
	s.values[0].nvalues = INTAKE_REQSTART_VALUES_MAX + 1;
	T_EQ_INT(start_named(&f, &s, s.nvalues, "n", &r), INTAKE_EINVAL);
	sample_init(&s, "P", "T");
	s.values[6].values[1] = NULL;
	T_EQ_INT(start_named(&f, &s, s.nvalues, "n", &r), INTAKE_EINVAL);
	sample_init(&s, "", "T");
	T_EQ_INT(start_named(&f, &s, s.nvalues, "n", &r), INTAKE_EINVAL);
	sample_init(&s, "P", "T");
	T_EQ_INT(start_named(&f, &s, INTAKE_FIELDS_MAX + 1, "n", &r),
	    INTAKE_EINVAL);
	T_EQ_INT(calls(&f), 0);
	teardown(&f);
}

/* v8 search: the PascalCase reply that once started a second request is read. */
static void
test_reqstart_find_pascal_case_reply_no_second_start(void)
{
	struct fixture			f;
	struct intake_reqstart_result	r;
	struct intake_reply_hit		hit;

	setup_v8(&f);
	reply(&f, 0, 200, "{\"Total\":1,\"Items\":[{\"Sid\":\"6e1d\",\"Id\":2003,"
	    "\"Name\":\"IT Equipment Request (82AG-EC7N-GBZM)\"}]}");
	T_EQ_INT(intake_reqstart_find(&f.ctx, "82AG-EC7N-GBZM", &r, &hit), INTAKE_OK);
	T_EQ_INT(hit.match, INTAKE_REPLY_FOUND);
	T_EQ_STR(r.instance_sid, "6e1d");
	T_EQ_STR(r.instance_id, "2003");
	T_ASSERT(req_is(&f, 0, "GET",
	    "/api/instance/list/all?start=0&count=25&search=82AG-EC7N-GBZM"));
	teardown(&f);
}

/* v8 search: an item naming the reference without an id is held, never "not found". */
static void
test_reqstart_find_match_without_id_is_unreadable(void)
{
	struct fixture			f;
	struct intake_reqstart_result	r;
	struct intake_reply_hit		hit;

	setup_v8(&f);
	reply(&f, 0, 200, "{\"items\":[{\"Name\":\"IT Equipment Request (82AG-EC7N-GBZM)\"}]}");
	T_EQ_INT(intake_reqstart_find(&f.ctx, "82AG-EC7N-GBZM", &r, &hit), INTAKE_OK);
	T_EQ_INT(hit.match, INTAKE_REPLY_UNREADABLE);
	T_ASSERT(strstr(hit.item, "82AG-EC7N-GBZM") != NULL);
	T_ASSERT(untouched(&r));
	teardown(&f);
}

static bool
claim_any(void *arg, const char *sid)
{
	(void)arg;
	(void)sid;
	return true;
}

static void
unclaim_none(void *arg, const char *sid)
{
	(void)arg;
	(void)sid;
}

/* v7 orphan search: a request in the window whose SID cannot be read stops it. */
static void
test_reqstart_orphan_unreadable_sid_is_held_not_skipped(void)
{
	struct intake_reqstart_claims	cl = { claim_any, unclaim_none, NULL, NULL, NULL };
	struct fixture			f;
	struct sample			s;
	struct intake_reqstart_result	r;
	struct intake_reply_hit		hit;

	setup_v7(&f);
	sample_init(&s, "P", "");
	reply(&f, 0, 200, "{\"Items\":[{\"Guid\":\"x-1\",\"Name\":\"Facilities Request\","
	    "\"Start_Date\":\"2030-01-01T00:00:00Z\"}]}");
	T_EQ_INT(intake_reqstart_orphan(&f.ctx, &s.form, 0, &cl, &r, &hit), INTAKE_OK);
	T_EQ_INT(hit.match, INTAKE_REPLY_UNREADABLE);
	T_ASSERT(strstr(hit.item, "x-1") != NULL);
	teardown(&f);
}

/* v7 orphan search: PascalCase SIDs and dates are read; an empty request is found. */
static void
test_reqstart_orphan_reads_pascal_case(void)
{
	struct intake_reqstart_claims	cl = { claim_any, unclaim_none, NULL, NULL, NULL };
	struct fixture			f;
	struct sample			s;
	struct intake_reqstart_result	r;
	struct intake_reply_hit		hit;

	setup_v7(&f);
	sample_init(&s, "P", "");
	reply(&f, 0, 200, "{\"Items\":[{\"SID\":\"A-1\",\"ID\":\"12\","
	    "\"StartDate\":\"2030-01-01T00:00:00Z\"}]}");
	reply(&f, 1, 200, V7_ENDPOINTS);
	T_EQ_INT(intake_reqstart_orphan(&f.ctx, &s.form, 0, &cl, &r, &hit), INTAKE_OK);
	T_EQ_INT(hit.match, INTAKE_REPLY_FOUND);
	T_EQ_STR(r.instance_sid, "A-1");
	T_EQ_STR(r.instance_id, "12");
	teardown(&f);
}

/*
 * A v7 start reply shaped {"SID": ...} names no id: the request just
 * started is looked up among the newest of its process, so the receipt
 * shows its id; where it cannot be found the start stands, id "".
 */
static void
test_reqstart_v7_sid_only_reply_looks_up_the_id(void)
{
	struct fixture			f;
	struct sample			s;
	struct intake_reqstart_result	r;
	size_t				len;

	setup_v7(&f);
	sample_init(&s, "proc 7", "ignored in v7");
	reply(&f, 0, 200, "{\"SID\":\"S-7\"}");
	reply(&f, 1, 200, V7_ENDPOINTS);
	reply(&f, 2, 200, "{\"success\":true}");
	reply(&f, 3, 200, "{\"Items\":[{\"SID\":\"S-8\",\"ID\":2994},"
	    "{\"SID\":\"S-7\",\"ID\":2993}]}");
	T_EQ_INT(start_named(&f, &s, s.nvalues, NULL, &r), INTAKE_OK);
	T_EQ_STR(r.instance_sid, "S-7");
	T_EQ_STR(r.instance_id, "2993");
	T_EQ_INT(calls(&f), 4);
	/* No name: an empty object, as before. */
	(void)req_body(&f, 0, &len);
	T_EQ_INT(len, 2);
	T_ASSERT(req_is(&f, 3, "GET", "/instances/mine?status=all&sort=CreatedDate&dir=DESC"
	    "&start=0&count=50&process_sid=proc%207"));
	/* Not listed, or the list refused: started all the same, without an id. */
	rewind_calls(&f);
	reply(&f, 0, 200, "{\"SID\":\"S-9\"}");
	reply(&f, 1, 200, V7_ENDPOINTS);
	reply(&f, 2, 200, "{\"success\":true}");
	reply(&f, 3, 503, "{}");
	t_quiet_stderr();
	T_EQ_INT(start_named(&f, &s, s.nvalues, "N", &r), INTAKE_OK);
	T_EQ_STR(r.instance_sid, "S-9");
	T_EQ_STR(r.instance_id, "");
	T_EQ_INT(r.status, 0);
	/* The documented shape carries the id: no look-up. */
	rewind_calls(&f);
	reply(&f, 0, 200, V7_START);
	reply(&f, 1, 200, V7_ENDPOINTS);
	reply(&f, 2, 200, "{\"success\":true}");
	T_EQ_INT(start_named(&f, &s, s.nvalues, "N", &r), INTAKE_OK);
	T_EQ_STR(r.instance_id, "2993");
	T_EQ_INT(calls(&f), 3);
	teardown(&f);
}

int
main(void)
{
	/* Failures are logged as warnings by integrify.c; expected here. */
	intake_log_set_level(INTAKE_LOG_ERR);
	T_RUN(test_reqstart_v8_request_is_exact);
	T_RUN(test_reqstart_v8_without_task_uses_plain_start);
	T_RUN(test_reqstart_v7_three_calls_and_container_body);
	T_RUN(test_reqstart_v7_sid_only_reply_looks_up_the_id);
	T_RUN(test_reqstart_v7_number_that_is_not_json_goes_quoted);
	T_RUN(test_reqstart_tolerant_start_replies);
	T_RUN(test_reqstart_reply_without_sid_is_eproto);
	T_RUN(test_reqstart_refuses_absolute_endpoint_url_ssrf);
	T_RUN(test_reqstart_v7_without_container_task_is_eproto);
	T_RUN(test_reqstart_v8_400_is_eproto);
	T_RUN(test_reqstart_upstream_errors_pass_through);
	T_RUN(test_reqstart_v8_upload_then_start);
	T_RUN(test_reqstart_v7_upload_then_start_and_container);
	T_RUN(test_reqstart_upload_reply_without_key_is_eproto);
	T_RUN(test_reqstart_rejects_malformed_values);
	T_RUN(test_reqstart_find_pascal_case_reply_no_second_start);
	T_RUN(test_reqstart_find_match_without_id_is_unreadable);
	T_RUN(test_reqstart_orphan_unreadable_sid_is_held_not_skipped);
	T_RUN(test_reqstart_orphan_reads_pascal_case);
	return T_DONE();
}
