/*
 * form_post.c - POST /forms/{id}: check where the post comes from, read
 * and decode the body, check the form token, validate every field, put
 * the submission in the durable spool, and start the Integrify request
 * once (deliver.c).  Plain form posts get pages (a 303 to
 * the receipt, or the form again with 422); fetch clients asking for JSON
 * get JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/rand.h>

#include "cache/cache.h"
#include "web/handler/handler.h"
#include "web/handler/formpage.h"
#include "form/form.h"
#include "form/form_valid.h"
#include "form/lang.h"
#include "spool/deliver.h"
#include "form/formtoken.h"
#include "core/log.h"
#include "core/metrics.h"
#include "web/multipart.h"
#include "web/query.h"
#include "integrify/offered.h"
#include "integrify/reqstart.h"
#include "spool/spool.h"
#include "spool/spoolrec.h"
#include "util/json.h"
#include "util/str.h"
#include "integrify/upstream.h"

#define RECORD_OVERHEAD	(1u << 20)	/* spool framing around the body's bytes */
#define TOKEN_MIN_AGE_S	1	/* a form filled faster than this is a bot */

struct post {
	struct intake_req		*req;
	const struct intake_form	*form;
	bool				 json;		/* the client asked for JSON */
	struct intake_submission	 sub;
	struct intake_form_value	 values[INTAKE_FIELDS_MAX];
	const char			*token;
};

/* "Vary: Accept-Language" when the answer follows the client's language, else NULL. */
static const char *
vary(const struct post *p)
{
	return p->form->lang[0] == '\0' ? "Vary: Accept-Language\r\n" : NULL;
}

static bool
wants_json(struct intake_req *req)
{
	const char	*a = intake_req_param(req, "HTTP_ACCEPT");

	return a != NULL && strstr(a, "application/json") != NULL;
}

/*
 * An error answer in the page's language: JSON for fetch clients (the
 * code stays English, the message follows the language), a short page
 * for browsers.
 */
static void
refuse(struct post *p, int status, const char *code, enum intake_msg heading,
    enum intake_msg text)
{
	enum intake_lang	lang = intake_form_lang(p->req, p->form);

	/* The log line of the answer names the code, for browsers too. */
	if (p->req->code == NULL)
		p->req->code = code;
	if (p->json)
		(void)intake_resp_error_headers(p->req, status, vary(p), code,
		    intake_msg(lang, text));
	else
		intake_form_message(p->req, p->form, status, intake_msg(lang, heading),
		    intake_msg(lang, text), intake_msg(lang, INTAKE_MSG_BACK), NULL);
}

/*
 * The origin of a Referer URL (scheme://host[:port], the path cut off)
 * into out.  false when it has none or it does not fit.
 */
static bool
referer_origin(const char *referer, char *out, size_t outsz)
{
	const char	*host = strstr(referer, "://");
	size_t		 n;

	if (host == NULL || host == referer)
		return false;
	host += 3;
	n = (size_t)(host - referer) + strcspn(host, "/?#");
	if (n >= outsz || n == (size_t)(host - referer))
		return false;
	memcpy(out, referer, n);
	out[n] = '\0';
	return true;
}

/*
 * Cross-site request forgery and DNS rebinding: the Origin (or, when a
 * browser sent none, the Referer's origin) must be one the config names,
 * in public_origins or cors_origins.  The Host header takes no part: a
 * rebound hostile name arrives in Host and Origin alike.  Fetch Metadata
 * turns cross-site posts away early, but is not enough alone: under
 * rebinding the browser calls the post same-origin.
 */
static bool
same_origin(struct post *p)
{
	const struct intake_config	*cfg = p->req->ctx->cfg;
	const char			*site = intake_req_param(p->req, "HTTP_SEC_FETCH_SITE");
	const char			*origin = intake_req_param(p->req, "HTTP_ORIGIN");
	const char			*referer;
	char				 from[INTAKE_URL_MAX];
	bool				 cors;

	if (origin == NULL) {
		referer = intake_req_param(p->req, "HTTP_REFERER");
		if (referer == NULL || !referer_origin(referer, from, sizeof(from)))
			return false;
		origin = from;
	}
	cors = intake_config_origin_allowed(cfg, origin);
	if (site != NULL && strcmp(site, "same-origin") != 0 && strcmp(site, "none") != 0 &&
	    !((strcmp(site, "same-site") == 0 || strcmp(site, "cross-site") == 0) && cors))
		return false;
	return cors || intake_config_origin_public(cfg, origin);
}

/*
 * The count of a rate counter: with charge, one more post is added to it
 * (atomic across workers); without, it is only read, and the count is
 * what charging would make it.  false on a cache error (the post goes on).
 */
static bool
rate_count(struct post *p, const char *name, int64_t until, bool charge, long long *n)
{
	struct intake_cache	*marks = p->req->ctx->marks;
	long long		 v = 0;
	size_t			 len = 0;
	bool			 hit = false;

	if (charge)
		return intake_cache_incr(marks, "rate", name, until, n) == INTAKE_OK;
	/* intake_cache_incr keeps the counter as a native long long. */
	if (intake_cache_get(marks, "rate", name, &v, sizeof(v), &len, &hit) != INTAKE_OK)
		return false;
	*n = (hit && len == sizeof(v) ? v : 0) + 1;
	return true;
}

/*
 * Fixed-window limits shared by all workers: per client address and per
 * form.  Only posts that passed the origin, body and token checks are
 * charged (charge), so junk cannot use up a limit; a client past its own
 * limit is not charged to the form's either.  Without charge the counters
 * are only read, to turn away before the body is read a post that the
 * charge would refuse anyway.  Returns the seconds to wait, 0 when the
 * post may go on.
 */
static long long
rate_limited(struct post *p, bool charge)
{
	const struct intake_config	*cfg = p->req->ctx->cfg;
	const char			*addr = intake_req_param(p->req, "REMOTE_ADDR");
	char				 name[256];
	long long			 n, window, left;
	int64_t				 now = intake_now_ms(), until;

	window = now / 1000 / cfg->rate_window;
	until = (window + 1) * cfg->rate_window * 1000;
	left = (until - now + 999) / 1000;
	if (cfg->rate_per_client > 0) {
		(void)snprintf(name, sizeof(name), "c|%s|%s|%lld", p->form->id,
		    addr != NULL ? addr : "-", window);
		if (rate_count(p, name, until, charge, &n) && n > cfg->rate_per_client) {
			intake_metrics_count(INTAKE_METRIC_RATE_LIMITED_CLIENT);
			return left;
		}
	}
	if (cfg->rate_per_form > 0) {
		(void)snprintf(name, sizeof(name), "f|%s|%lld", p->form->id, window);
		if (rate_count(p, name, until, charge, &n) && n > cfg->rate_per_form) {
			intake_metrics_count(INTAKE_METRIC_RATE_LIMITED_FORM);
			return left;
		}
	}
	return 0;
}

/* 429 with Retry-After: wait seconds. */
static void
refuse_rate(struct post *p, long long wait)
{
	enum intake_lang	lang = intake_form_lang(p->req, p->form);
	struct intake_buf	b;
	char			hdr[128];

	(void)snprintf(hdr, sizeof(hdr), "Retry-After: %lld\r\nCache-Control: no-store\r\n%s",
	    wait, vary(p) != NULL ? vary(p) : "");
	if (p->json) {
		/* The one JSON error body (util/json.c), sent with its Retry-After. */
		intake_buf_init(&b, 1024);
		if (intake_json_error(&b, "rate_limited",
		    intake_msg(lang, INTAKE_MSG_RATE_JSON)) == INTAKE_OK)
			(void)intake_resp_send(p->req, 429, "application/json; charset=utf-8", hdr,
			    b.ptr, b.len);
		intake_buf_free(&b);
	} else
		intake_form_message(p->req, p->form, 429,
		    intake_msg(lang, INTAKE_MSG_TOO_MANY_REQUESTS),
		    intake_msg(lang, INTAKE_MSG_RATE_TEXT), intake_msg(lang, INTAKE_MSG_BACK), hdr);
}

/* Copy a part's bytes into the arena as a C string (parts are not terminated). */
static char *
arena_text(struct intake_req *req, const char *data, size_t len)
{
	return intake_arena_strndup(&req->arena, data, len);
}

/* Decode the body into p->sub.in.  Returns an HTTP status, 0 when fine. */
static int
decode(struct post *p, const struct intake_buf *body, struct intake_multipart *mp)
{
	struct intake_req	*req = p->req;
	struct intake_query	 q;
	const char		*ctype = intake_req_param(req, "CONTENT_TYPE");
	char			 boundary[INTAKE_MULTIPART_BOUNDARY_MAX + 1];
	enum intake_err		 err;
	size_t			 i;

	/* The media type is parsed and compared whole: "...urlencodedXYZ" is not it. */
	if (ctype != NULL && intake_media_type_is(ctype, "application/x-www-form-urlencoded")) {
		err = intake_query_parse(intake_buf_str(body), body->len, &req->arena, &q);
		if (err == INTAKE_ETOOBIG)
			return 413;	/* past the pairs or the request's memory, under body_max */
		if (err != INTAKE_OK)
			return 400;	/* not urlencoded as it says */
		for (i = 0; i < q.npairs; i++) {
			p->sub.in[i].name = q.pairs[i].name;
			p->sub.in[i].value = q.pairs[i].value;
			p->sub.in[i].len = q.pairs[i].valuelen;
		}
		p->sub.n = q.npairs;
		return 0;
	}
	if (ctype == NULL || intake_multipart_boundary(ctype, boundary, sizeof(boundary)) !=
	    INTAKE_OK)
		return 415;
	if (intake_multipart_parse(intake_buf_str(body), body->len, boundary, mp) != INTAKE_OK)
		return 400;
	for (i = 0; i < mp->nparts; i++) {
		p->sub.in[i].name = mp->parts[i].name;
		if (mp->parts[i].is_file) {
			p->sub.in[i].file = &mp->parts[i];
			continue;
		}
		p->sub.in[i].value = arena_text(req, mp->parts[i].data, mp->parts[i].len);
		if (p->sub.in[i].value == NULL)
			return 413;
		p->sub.in[i].len = mp->parts[i].len;
	}
	p->sub.n = mp->nparts;
	return 0;
}

/* The first text value named name, or NULL; its length (NULs count) into *len. */
static const char *
field_value(const struct post *p, const char *name, size_t *len)
{
	size_t	i;

	for (i = 0; i < p->sub.n; i++)
		if (p->sub.in[i].value != NULL && strcmp(p->sub.in[i].name, name) == 0) {
			*len = p->sub.in[i].len;
			return p->sub.in[i].value;
		}
	*len = 0;
	return NULL;
}

/*
 * "name:code,..." of the problems, for the log: field names from the
 * form's definition only (a name the client made up is "_unknown"), and
 * never a value.  Arena-owned; NULL when it does not fit.
 */
static const char *
problem_codes(struct post *p)
{
	struct intake_buf	 b;
	const char		*name, *out = NULL;
	size_t			 i;

	intake_buf_init(&b, 1024);
	for (i = 0; i < p->sub.np; i++) {
		name = p->sub.problems[i].code == INTAKE_FE_UNKNOWN ? "_unknown" :
		    p->sub.problems[i].field;
		intake_buf_printf(&b, "%s%s:%s", i > 0 ? "," : "", name,
		    intake_field_error_code(p->sub.problems[i].code));
	}
	if (intake_buf_err(&b) == INTAKE_OK && b.len > 0)
		out = intake_arena_strndup(&p->req->arena, b.ptr, b.len);
	intake_buf_free(&b);
	return out;
}

/* 422 with every problem. */
static void
invalid(struct post *p)
{
	struct intake_buf	b;

	p->req->fields = problem_codes(p);
	p->req->code = "invalid";
	if (!p->json) {
		intake_form_page(p->req, p->form, p->token, &p->sub, 422, NULL);
		return;
	}
	intake_buf_init(&b, 65536);
	if (intake_field_problems_json(&b, p->sub.problems, p->sub.np) == INTAKE_OK)
		(void)intake_resp_send(p->req, 422, "application/json; charset=utf-8",
		    "Cache-Control: no-store\r\nVary: Accept-Language\r\n", b.ptr, b.len);
	else {
		intake_req_cause(p->req, "the 422 body did not fit");
		(void)intake_resp_error(p->req, 500, "internal", "intake failed to handle the request.");
	}
	intake_buf_free(&b);
}

/* Not accepted (the spool cannot take it): nothing is kept, so say so and keep the values. */
static void
unavailable(struct post *p)
{
	enum intake_lang	lang = intake_form_lang(p->req, p->form);

	intake_req_cause(p->req, "the spool could not take the submission");
	if (p->json)
		(void)intake_resp_error_headers(p->req, 503, vary(p) != NULL ?
		    "Retry-After: 60\r\nVary: Accept-Language\r\n" : "Retry-After: 60\r\n",
		    "unavailable", intake_msg(lang, INTAKE_MSG_NOT_ACCEPTED_JSON));
	else
		intake_form_page(p->req, p->form, p->token, &p->sub, 503,
		    intake_msg(lang, INTAKE_MSG_NOT_ACCEPTED_TEXT));
}

/*
 * With several hosts each has its own spool, so a form posted to host B
 * and replayed on host A would be accepted twice.  The first host to see
 * a reference marks it where every host sees it (deliver.c) before its
 * spool takes it; true when another host holds the mark.  A mark of our
 * own (an earlier try here that could not be spooled) is no obstacle.
 * *unmarked: the mark could not be checked (Redis unreachable, or an
 * error): the record says so, and is checked again before it starts.
 */
static bool
taken_elsewhere(struct post *p, const char *ref, bool *unmarked)
{
	struct intake_spool_meta	m;
	enum intake_deliver_mark	mark;

	*unmarked = false;
	/* One host: nothing to share.  Known here already: the spool answers the repeat. */
	if (p->req->ctx->cfg->cache_backend != INTAKE_CACHE_REDIS ||
	    intake_spool_lookup(p->req->ctx->spool, ref, &m) != INTAKE_SPOOL_UNKNOWN)
		return false;
	if (intake_deliver_mark(p->req->ctx, ref, &mark) != INTAKE_OK) {
		*unmarked = true;
		return false;
	}
	*unmarked = mark == INTAKE_MARK_UNSHARED;
	return mark == INTAKE_MARK_OTHERS;
}

/*
 * The answer once a submission is accepted (or found accepted by an
 * earlier post of the same form): where it stands.  Browsers go to the
 * receipt page (POST/Redirect/GET: a reload posts nothing again).
 */
static void
answer(struct post *p, const char *ref, enum intake_spool_status st,
    const struct intake_spool_meta *m, bool first)
{
	struct intake_buf	b;
	int			status = !first ? 200 : st == INTAKE_SPOOL_DONE ? 201 : 202;

	intake_buf_init(&b, 4096);
	if (p->json) {
		intake_buf_printf(&b, "{\"status\":\"%s\",\"reference\":\"%s\"",
		    intake_spool_status_name(st), ref);
		if (st == INTAKE_SPOOL_DONE) {
			intake_buf_adds(&b, ",\"request_id\":");
			intake_json_quote(&b, m->id, strlen(m->id));
			intake_buf_adds(&b, ",\"instance_sid\":");
			intake_json_quote(&b, m->sid, strlen(m->sid));
		}
		intake_buf_adds(&b, "}\n");
		if (intake_buf_err(&b) == INTAKE_OK)
			(void)intake_resp_send(p->req, status, "application/json; charset=utf-8",
			    "Cache-Control: no-store\r\n", b.ptr, b.len);
	} else {
		intake_buf_printf(&b, "Location: /forms/%s/receipt?ref=%s\r\n"
		    "Cache-Control: no-store\r\n", p->form->id, ref);
		if (intake_buf_err(&b) == INTAKE_OK)
			(void)intake_resp_send(p->req, 303, NULL, b.ptr, NULL, 0);
	}
	if (intake_buf_err(&b) != INTAKE_OK)
		(void)intake_resp_error(p->req, 500, "internal", "intake failed to handle the request.");
	intake_buf_free(&b);
}

/* The submission as a spool record, its fields in form order. */
static void
to_record(struct post *p, const char *ref, bool unmarked, char *name, size_t namesz,
    struct intake_spoolrec *rec)
{
	(void)snprintf(name, namesz, "%s (%s)", p->form->title, ref);
	memset(rec, 0, sizeof(*rec));
	rec->ref = ref;
	rec->form = p->form->id;
	rec->name = name;
	rec->created_ms = intake_now_ms();
	rec->unmarked = unmarked;
	intake_spoolrec_from_values(rec, p->values, p->form->nfields);
}

/*
 * Try to start an accepted submission now, within the inline budget and
 * only in a free upstream slot; the dispatcher sends what is left.
 * Where it stands afterwards.
 */
static enum intake_spool_status
try_now(struct post *p, const char *ref, struct intake_spool_hold *h,
    struct intake_spoolrec *rec, struct intake_spool_meta *m)
{
	struct intake_upstream_slot	slot;
	enum intake_deliver_outcome	outcome;

	if (intake_upstream_inline_paused(p->req->ctx)) {
		/* Starts take longer than a user should wait just now. */
		intake_log_event(INTAKE_LOG_INFO, "submission_queued", "form", p->form->id, "ref",
		    ref, "why", "inline starts paused", NULL);
		return INTAKE_SPOOL_QUEUED;
	}
	if (intake_upstream_take(p->req->ctx, &slot) != INTAKE_OK) {
		/* Integrify holds its share of the workers: no waiting here. */
		intake_log_event(INTAKE_LOG_INFO, "submission_queued", "form", p->form->id, "ref",
		    ref, "why", "no upstream slot free", NULL);
		return INTAKE_SPOOL_QUEUED;
	}
	/* While the breaker is open this returns at once: the dispatcher sends it later. */
	outcome = intake_deliver_now(p->req->ctx, h, rec, p->form, m);
	intake_upstream_give(p->req->ctx, &slot);
	return outcome == INTAKE_DELIVER_DONE ? INTAKE_SPOOL_DONE :
	    outcome == INTAKE_DELIVER_HELD ? INTAKE_SPOOL_DEAD : INTAKE_SPOOL_QUEUED;
}

/*
 * Write the submission to the spool before anything else: from then on
 * it cannot be lost, whatever happens to this worker.  Then try to start
 * it at once, within the inline budget and only in a free upstream slot,
 * unless the breaker says Integrify is failing; if that does not work
 * now, the user is told it is queued and the dispatcher sends it.
 */
static void
start(struct post *p, const struct intake_formtoken *tok)
{
	const struct intake_config	*cfg = p->req->ctx->cfg;
	struct intake_spool_hold	 h;
	struct intake_spool_meta	 m;
	struct intake_spoolrec		*rec;
	enum intake_spool_status	 st;
	struct intake_buf		 bytes;
	char				 ref[INTAKE_FORMTOKEN_REF_MAX], name[512];
	enum intake_err			 err;
	bool				 unmarked;

	memset(&m, 0, sizeof(m));
	if (p->req->ctx->spool == NULL ||
	    intake_formtoken_reference(cfg->form_key, tok, ref) != INTAKE_OK) {
		unavailable(p);
		return;
	}
	if (taken_elsewhere(p, ref, &unmarked)) {
		/* Accepted by another host: where it stands is known there. */
		intake_log_info("form %s: %s was sent again; another host accepted it",
		    p->form->id, ref);
		answer(p, ref, INTAKE_SPOOL_QUEUED, &m, false);
		return;
	}
	rec = intake_xcalloc(1, sizeof(*rec));
	to_record(p, ref, unmarked, name, sizeof(name), rec);
	intake_buf_init(&bytes, (size_t)cfg->body_max + RECORD_OVERHEAD);
	err = intake_spoolrec_encode(rec, &bytes);
	if (err == INTAKE_OK)
		err = intake_spool_accept(p->req->ctx->spool, ref, &bytes, &h, &st);
	intake_buf_free(&bytes);
	if (err != INTAKE_OK) {
		intake_log_event(INTAKE_LOG_ERR, "submission_not_spooled", "form", p->form->id,
		    "error", intake_strerror(err), NULL);
		/* Not accepted here: another host may take it after all. */
		intake_deliver_unmark(p->req->ctx, ref);
		unavailable(p);
		goto out;
	}
	if (st == INTAKE_SPOOL_UNKNOWN)
		intake_metrics_count(INTAKE_METRIC_SPOOL_ACCEPTED);
	if (st != INTAKE_SPOOL_UNKNOWN) {
		/* The same form sent again: a double click or a browser retry. */
		st = intake_spool_lookup(p->req->ctx->spool, ref, &m);
		intake_log_event(INTAKE_LOG_INFO, "submission_repeated", "form", p->form->id,
		    "ref", ref, "state", intake_spool_status_name(st), NULL);
		answer(p, ref, st, &m, false);
		goto out;
	}
	intake_log_event(INTAKE_LOG_INFO, "submission_accepted", "form", p->form->id, "ref", ref,
	    NULL);
	st = try_now(p, ref, &h, rec, &m);
	intake_spool_release(&h);
	answer(p, ref, st, &m, true);
out:
	free(rec);
}

/* Read and decode the body into p->sub.  false when refused (answered). */
static bool
read_body(struct post *p, struct intake_buf *body, struct intake_multipart *mp)
{
	enum intake_err	err;
	int		status;

	err = intake_req_body(p->req, (size_t)p->req->ctx->cfg->body_max, body);
	if (err == INTAKE_ETOOBIG) {
		refuse(p, 413, "too_large", INTAKE_MSG_TOO_LARGE, INTAKE_MSG_TOO_LARGE_TEXT);
		return false;
	}
	if (err != INTAKE_OK) {
		refuse(p, 400, "bad_request", INTAKE_MSG_NOT_UNDERSTOOD,
		    INTAKE_MSG_NOT_UNDERSTOOD_TEXT);
		return false;
	}
	status = decode(p, body, mp);
	if (status == 413) {
		refuse(p, 413, "too_large", INTAKE_MSG_TOO_LARGE, INTAKE_MSG_TOO_LARGE_TEXT);
		return false;
	}
	if (status != 0) {
		refuse(p, status, status == 415 ? "unsupported_media_type" : "bad_request",
		    INTAKE_MSG_NOT_UNDERSTOOD, INTAKE_MSG_NOT_UNDERSTOOD_TEXT);
		return false;
	}
	return true;
}

/*
 * A bot filled the hidden field: pretend all went well, start nothing.
 * true when it did (and was answered).
 */
static bool
honeypot(struct post *p)
{
	struct intake_spool_meta	 none;
	struct intake_formtoken		 fake;
	struct intake_log_line		 l;
	const char			*hp;
	char				 ref[INTAKE_FORMTOKEN_REF_MAX];
	unsigned char			 raw[16];
	size_t				 len;

	hp = field_value(p, "website", &len);
	if (hp == NULL || hp[0] == '\0')
		return false;
	intake_log_begin_limited(&l, INTAKE_LOG_INFO, "honeypot");
	intake_log_str(&l, "form", p->form->id);
	intake_log_end(&l);
	/* A reference like any other, so the answer looks like a real one. */
	memset(&none, 0, sizeof(none));
	memset(&fake, 0, sizeof(fake));
	if (RAND_bytes(raw, sizeof(raw)) != 1)
		memset(raw, 0, sizeof(raw));
	intake_hex(raw, sizeof(raw), fake.nonce);
	if (intake_formtoken_reference(p->req->ctx->cfg->form_key, &fake, ref) != INTAKE_OK)
		(void)intake_strlcpy(ref, "0000-0000-0000", sizeof(ref));
	answer(p, ref, INTAKE_SPOOL_QUEUED, &none, true);
	return true;
}

/*
 * The form token into p->token and *tok: present, signed, this form's,
 * neither too young nor too old.  false when refused (answered).
 */
static bool
token_ok(struct post *p, struct intake_formtoken *tok)
{
	const struct intake_config	*cfg = p->req->ctx->cfg;
	enum intake_err			 err;
	size_t				 toklen;

	p->token = field_value(p, "_token", &toklen);
	if (p->token == NULL) {
		refuse(p, 403, "token_missing", INTAKE_MSG_EXPIRED, INTAKE_MSG_NO_TOKEN_TEXT);
		return false;
	}
	/* The decoded length, not strlen(): "token%00junk" must not pass as "token". */
	err = intake_formtoken_check(cfg->form_key, p->token, toklen, p->form->id,
	    intake_now_ms() / 1000, TOKEN_MIN_AGE_S, cfg->form_token_ttl, tok);
	if (err != INTAKE_OK) {
		refuse(p, 403, err == INTAKE_ETIMEOUT ? "token_expired" : "token_invalid",
		    INTAKE_MSG_EXPIRED, INTAKE_MSG_EXPIRED_TEXT);
		return false;
	}
	return true;
}

void
intake_form_post(struct intake_req *req, const struct intake_form *f)
{
	struct intake_formtoken		 tok;
	struct intake_multipart		*mp;
	struct intake_buf		 body;
	struct post			*p;
	long long			 wait;

	p = intake_xcalloc(1, sizeof(*p));
	mp = intake_xcalloc(1, sizeof(*mp));
	intake_buf_init(&body, (size_t)req->ctx->cfg->body_max);
	p->req = req;
	p->form = f;
	p->json = wants_json(req);
	req->form = f->id;

	/* Refusals are logged once, by the answer's line (rate limited: clients cause them). */
	if (!same_origin(p)) {
		refuse(p, 403, "forbidden_origin", INTAKE_MSG_NOT_ALLOWED,
		    INTAKE_MSG_FOREIGN_ORIGIN_TEXT);
		goto out;
	}
	/* Read-only: a client already past a limit is not worth reading. */
	if ((wait = rate_limited(p, false)) > 0) {
		refuse_rate(p, wait);
		goto out;
	}
	if (!read_body(p, &body, mp) || honeypot(p) || !token_ok(p, &tok))
		goto out;
	/* Only now, with origin, body and token good, does the post count. */
	if ((wait = rate_limited(p, true)) > 0) {
		refuse_rate(p, wait);
		goto out;
	}
	if (intake_form_validate(f, intake_form_lang(req, f), p->sub.in, p->sub.n,
	    intake_field_offered, req->ctx,
	    p->values, p->sub.problems, &p->sub.np) != INTAKE_OK) {
		refuse(p, 413, "too_many_fields", INTAKE_MSG_TOO_LARGE,
		    INTAKE_MSG_TOO_MANY_FIELDS_TEXT);
		goto out;
	}
	if (p->sub.np > 0)
		invalid(p);
	else
		start(p, &tok);
out:
	intake_buf_free(&body);
	free(mp);
	free(p);
}
