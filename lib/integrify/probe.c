/*
 * probe.c - the config checked against the tenant (probe.h): the checks
 * and their OK, FAIL and SKIP lines.
 *
 * Every call goes through what intake uses at run time: the token flow
 * (auth.c), authenticated calls (call.c), the dialect's report run and
 * request search (dialect.h) and the report reader (report.c).  What the
 * tenant holds (processes, a task's fields, a report's exposed filters)
 * is read by tenant.c, which alone chooses where a dialect keeps a
 * task's fields.
 */
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
#include "integrify/tenant.h"
#include "util/json.h"
#include "util/str.h"
#include "util/table.h"

#define LINE_MAX_BYTES	4096	/* one printed line */

struct probe {
	struct intake_ctx		*ctx;
	const struct intake_dialect	*d;
	FILE				*out;
	int				 fails;
	struct json_object		*procs;		/* the process list reply; owned */
};

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
		    intake_flow_name(cfg->flow), intake_tenant_call_hint(err));
	OPENSSL_cleanse(&tok, sizeof(tok));
	return ok;
}

/* The service account's process list, kept in p->procs for the forms. */
static void
check_processes(struct probe *p)
{
	struct json_object	*list;
	enum intake_err		 err;

	err = intake_tenant_processes(p->ctx, &p->procs);
	list = err == INTAKE_OK ? intake_reply_list(p->procs) : NULL;
	if (list == NULL) {
		say(p, "FAIL", "process list: GET %s: %s", p->d->processes_path,
		    err == INTAKE_OK ? "the reply holds no list" : intake_tenant_call_hint(err));
		return;
	}
	say(p, "OK", "process list: GET %s lists %zu processes the service account may start",
	    p->d->processes_path, json_object_array_length(list));
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

	err = intake_tenant_filters(p->ctx, src->report, &root);
	if (err != INTAKE_OK) {
		say(p, "FAIL", "%s %s: report %s: %s%s", kind_name(src), src->name, src->report,
		    intake_tenant_call_hint(err), err == INTAKE_ENOTFOUND ? "; copy the report's SID from its "
		    "address in Integrify (Reports, open the report)" : "");
		json_object_put(root);
		return false;
	}
	defs = intake_reply_list(root);
	intake_buf_init(&names, LINE_MAX_BYTES / 2);
	intake_tenant_exposed_names(defs, &names);
	say(p, "OK", "%s %s: report %s exists; its exposed filters: %s", kind_name(src),
	    src->name, src->report, intake_buf_str(&names));
	for (i = 0; i < src->nfilters; i++) {
		const struct intake_filter_param *fp = &src->filters[i];

		if (intake_tenant_exposed(defs, fp->expose, &mapping_of))
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
	char		 one[INTAKE_NAME_MAX];
	const char	*item;
	size_t		 len;
	bool		 ok = true;

	while ((item = intake_list_next(&cols, &len)) != NULL) {
		if (len >= sizeof(one))
			continue;
		memcpy(one, item, len);
		one[len] = '\0';
		if (intake_table_column(t, one) < 0) {
			say(p, "FAIL", "%s %s: %s '%s' is not a column of report %s; its "
			    "columns are %s", kind_name(src), src->name, key, one,
			    src->report, have);
			ok = false;
		}
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
		    src->name, mode, intake_tenant_call_hint(err));
		goto out;
	}
	if (src->fetch == INTAKE_FETCH_CSV)
		(void)snprintf(shape, sizeof(shape), "CSV %s a byte order mark",
		    intake_tenant_has_bom(intake_buf_str(&resp.body), resp.body.len) ?
		    "with" : "without");
	else
		intake_tenant_list_shape(intake_buf_str(&resp.body), resp.body.len, shape,
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

/* One key the form sends (a field's, or the reference's): a question id of a fitting type. */
static bool
check_key(struct probe *p, const struct intake_form *f, const struct intake_tenant_fields *tf,
    const char *what, const char *key, const struct intake_field *fd)
{
	const struct intake_tenant_question *q = intake_tenant_find_question(tf, key, false);

	if (q == NULL && (q = intake_tenant_find_question(tf, key, true)) != NULL) {
		say(p, "FAIL", "form %s: %s: key '%s' is a label; the question id is %s", f->id,
		    what, key, q->id);
		return false;
	}
	if (q == NULL) {
		say(p, "FAIL", "form %s: %s: key '%s' is not a %s of the process's first task; "
		    "intake -F %s lists them", f->id, what, key,
		    intake_tenant_in_container(p->ctx) ? "data-container key" : "question id", f->process);
		return false;
	}
	if (fd != NULL && !intake_tenant_fits(fd->type, q->kind)) {
		say(p, "FAIL", "form %s: %s: a %s field cannot fill '%s' (%s, type %s); make it "
		    "type = %s", f->id, what, intake_field_type_name(fd->type),
		    q->label[0] != '\0' ? q->label : q->id, q->id, q->type,
		    intake_field_type_name(intake_tenant_field_type(q->kind, q->type)));
		return false;
	}
	return true;
}

/* Every question the task requires has a field (or the reference) to fill it. */
static bool
check_required(struct probe *p, const struct intake_form *f, const struct intake_tenant_fields *tf)
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

	item = intake_tenant_find_process(p->procs, f->process, &by_name);
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
	struct intake_tenant_fields	*tf;
	char			 msg[1024], what[128];
	size_t			 i;
	bool			 ok = true;

	if (!check_form_process(p, f))
		return;
	tf = intake_xcalloc(1, sizeof(*tf));
	if (intake_tenant_task_fields(p->ctx, f->process, f->task, tf, msg, sizeof(msg)) != INTAKE_OK) {
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
		    intake_tenant_in_container(p->ctx) ? "data-container key" : "question id");
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
		say(p, "FAIL", "request search: a search for '%s': %s", f->title, intake_tenant_call_hint(err));
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
		    "answer was lost, so each such start is held for a person", intake_tenant_call_hint(err));
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
