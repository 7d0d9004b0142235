/*
 * report.c - fetching configured reports and caching their rows (report.h).
 *
 * Level 2 values (the shared cache, section "report") are
 *   "R1 <fetched_ms> <fresh_until_ms> <stale_until_ms> <retry_at_ms> <version>\n"
 * followed by the packed table.  retry_at_ms, when ahead, says a refresh
 * failed and the old rows serve until then without asking Integrify.
 *
 * Two classes of lists are kept apart at both levels.  A list keyed by
 * filter values (client-chosen, though checked) lives in the lists cache
 * (ctx->lists) and in its own part of level 1, and its fetches are
 * counted against filtered_fetch_rate; an unfiltered list (one per
 * source, what forms need) lives in the main cache beside the token.  A
 * flood of filtered keys therefore evicts only other filtered lists.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cache/cache.h"
#include "integrify/csv.h"
#include "integrify/call.h"
#include "integrify/dialect.h"
#include "util/json.h"
#include "core/log.h"
#include "core/metrics.h"
#include "integrify/reply.h"
#include "integrify/report.h"
#include "util/str.h"
#include "integrify/upstream.h"
#include "util/nelem.h"

#define L1_UNFILTERED	INTAKE_SOURCES_MAX	/* one per source: never evicted */
#define L1_FILTERED	32			/* filtered lists, per worker */
#define L1_ENTRIES	(L1_UNFILTERED + L1_FILTERED)
#define KEY_MAX		4096
#define RETRY_MAX_S	30	/* longest pause after a failed refresh */
#define REPORT_SECTION	"report"
#define BUDGET_SECTION	"lists"
#define BUDGET_WINDOW_MS	60000	/* filtered_fetch_rate is per minute */

struct intake_report_entry {
	char			*key;		/* NULL: free */
	struct intake_table	*table;
	char			 version[17];
	int64_t			 fresh_until_ms;
	int64_t			 stale_until_ms;
	int64_t			 retry_at_ms;
	int64_t			 used_ms;
	long			 value_col, label_col;
};

struct intake_report_cache {
	struct intake_report_entry	entries[L1_ENTRIES];
	/* Per source: its filtered fetch budget is spent until then (seen here). */
	int64_t				spent_until_ms[INTAKE_SOURCES_MAX];
};

/* What a level 2 value's header says. */
struct l2_head {
	int64_t	fetched_ms, fresh_until_ms, stale_until_ms, retry_at_ms;
	char	version[17];
};

static const char *const state_names[] = {
	"hit",		/* INTAKE_REPORT_HIT */
	"miss",		/* INTAKE_REPORT_MISS */
	"stale",	/* INTAKE_REPORT_STALE */
	"stale-error",	/* INTAKE_REPORT_STALE_ERROR */
};
INTAKE_ROWS(state_names, INTAKE_REPORT_STATE__MAX);

const char *
intake_report_state_name(enum intake_report_state s)
{
	return (unsigned)s < INTAKE_REPORT_STATE__MAX ? state_names[s] : "?";
}

struct intake_report_cache *
intake_report_cache_new(void)
{
	return intake_xcalloc(1, sizeof(struct intake_report_cache));
}

static void
entry_clear(struct intake_report_entry *e)
{
	intake_table_free(e->table);
	free(e->key);
	memset(e, 0, sizeof(*e));
}

void
intake_report_cache_free(struct intake_report_cache *rc)
{
	size_t	i;

	if (rc == NULL)
		return;
	for (i = 0; i < L1_ENTRIES; i++)
		entry_clear(&rc->entries[i]);
	free(rc);
}

static struct intake_report_entry *
l1_find(struct intake_report_cache *rc, const char *key)
{
	size_t	i;

	for (i = 0; i < L1_ENTRIES; i++)
		if (rc->entries[i].key != NULL && strcmp(rc->entries[i].key, key) == 0)
			return &rc->entries[i];
	return NULL;
}

/*
 * Put table (taken) under key, evicting the least recently used entry of
 * the key's own class: filtered lists never push out unfiltered ones.
 */
static struct intake_report_entry *
l1_store(struct intake_report_cache *rc, const char *key, bool filtered,
    struct intake_table *table, const struct l2_head *h, long value_col, long label_col)
{
	struct intake_report_entry	*e, *lru = NULL;
	size_t				 i, lo = filtered ? L1_UNFILTERED : 0;
	size_t				 hi = filtered ? L1_ENTRIES : L1_UNFILTERED;

	e = l1_find(rc, key);
	if (e == NULL) {
		for (i = lo; i < hi; i++) {
			e = &rc->entries[i];
			if (e->key == NULL)
				break;
			if (lru == NULL || e->used_ms < lru->used_ms)
				lru = e;
		}
		if (i == hi)
			e = lru;
	}
	entry_clear(e);
	e->key = intake_xstrdup(key);
	e->table = table;
	memcpy(e->version, h->version, sizeof(e->version));
	e->fresh_until_ms = h->fresh_until_ms;
	e->stale_until_ms = h->stale_until_ms;
	e->retry_at_ms = h->retry_at_ms;
	e->value_col = value_col;
	e->label_col = label_col;
	e->used_ms = intake_now_ms();
	return e;
}

/* Does the request give any filter value (a key the client chose)? */
static bool
is_filtered(const struct intake_filter_value *f, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (f[i].value != NULL && f[i].value[0] != '\0')
			return true;
	return false;
}

/* The level 2 name: kind, source name and the filter values. */
static enum intake_err
make_key(const struct intake_source *src, const struct intake_filter_value *f, size_t n,
    struct intake_buf *key)
{
	size_t	i;

	(void)intake_buf_adds(key, src->kind == INTAKE_SOURCE_REPORT ? "r:" : "s:");
	(void)intake_buf_adds(key, src->name);
	(void)intake_buf_addc(key, '?');
	for (i = 0; i < n; i++) {
		if (f[i].value == NULL || f[i].value[0] == '\0')
			continue;
		(void)intake_buf_printf(key, "%s=", f[i].param->param);
		(void)intake_url_escape(key, f[i].value);
		(void)intake_buf_addc(key, '&');
	}
	return intake_buf_err(key);
}

static enum intake_err
head_decode(const char *buf, size_t len, struct l2_head *h, size_t *hdrlen)
{
	const char	*p = buf, *end = buf + len, *sp;
	long long	 v[5];
	size_t		 i;

	if (len < 3 || memcmp(buf, "R1 ", 3) != 0)
		return INTAKE_EINVAL;
	p += 3;
	for (i = 0; i < 4; i++) {
		sp = memchr(p, ' ', (size_t)(end - p));
		if (sp == NULL ||
		    intake_parse_intn(p, (size_t)(sp - p), 0, INT64_MAX, &v[i]) != INTAKE_OK)
			return INTAKE_EINVAL;
		p = sp + 1;
	}
	sp = memchr(p, '\n', (size_t)(end - p));
	if (sp == NULL || sp - p != 16)
		return INTAKE_EINVAL;
	memcpy(h->version, p, 16);
	h->version[16] = '\0';
	h->fetched_ms = v[0];
	h->fresh_until_ms = v[1];
	h->stale_until_ms = v[2];
	h->retry_at_ms = v[3];
	*hdrlen = (size_t)(sp + 1 - buf);
	return INTAKE_OK;
}

/* Which columns are the value and the label; INTAKE_EPROTO if missing. */
static enum intake_err
resolve_columns(const struct intake_source *src, const struct intake_table *t, long *vc,
    long *lc)
{
	long	v = 0, l = t->ncols > 1 ? 1 : 0;

	if (t->ncols == 0 && t->nrows == 0) {
		/* An empty run that names no column: no cell is ever read. */
		*vc = 0;
		*lc = 0;
		return INTAKE_OK;
	}
	if (t->ncols == 0)
		return INTAKE_EPROTO;
	if (src->value_column[0] != '\0')
		v = intake_table_column(t, src->value_column);
	if (src->label_column[0] != '\0')
		l = intake_table_column(t, src->label_column);
	if (v < 0 || l < 0) {
		intake_log_err("report %s: the report has no column '%s'", src->name,
		    v < 0 ? src->value_column : src->label_column);
		return INTAKE_EPROTO;
	}
	*vc = v;
	*lc = l;
	return INTAKE_OK;
}

/* The shared cache a key of this class lives in (a ctx without a lists cache has one). */
static struct intake_cache *
l2_of(struct intake_ctx *ctx, bool filtered)
{
	return filtered && ctx->lists != NULL ? ctx->lists : ctx->cache;
}

/*
 * Refresh l1 from level 2 when level 2 holds something newer or this
 * worker has nothing.  Returns the entry (possibly unchanged) or NULL.
 */
static struct intake_report_entry *
l1_from_l2(struct intake_ctx *ctx, const struct intake_source *src, const char *key,
    bool filtered, struct intake_report_entry *e)
{
	struct intake_table	*t = NULL;
	struct l2_head		 h;
	char			*buf;
	size_t			 cap = (size_t)ctx->cfg->cache_entry_max, len, hl;
	long			 vc, lc;
	bool			 hit;

	buf = malloc(cap);
	if (buf == NULL)
		return e;
	if (intake_cache_get(l2_of(ctx, filtered), REPORT_SECTION, key, buf, cap, &len,
	    &hit) != INTAKE_OK ||
	    !hit || head_decode(buf, len, &h, &hl) != INTAKE_OK)
		goto out;
	if (e != NULL && strcmp(e->version, h.version) == 0) {
		e->fresh_until_ms = h.fresh_until_ms;
		e->stale_until_ms = h.stale_until_ms;
		e->retry_at_ms = h.retry_at_ms;
		goto out;
	}
	if (intake_table_unpack(buf + hl, len - hl, &t) != INTAKE_OK) {
		intake_log_warn("report %s: unreadable shared cache value ignored", src->name);
		goto out;
	}
	if (resolve_columns(src, t, &vc, &lc) != INTAKE_OK) {
		intake_table_free(t);
		goto out;
	}
	e = l1_store(ctx->reports, key, filtered, t, &h, vc, lc);
out:
	free(buf);
	return e;
}

/* Write the entry's rows and times to level 2. */
static void
l2_store(struct intake_ctx *ctx, const struct intake_source *src, const char *key,
    bool filtered, const struct intake_report_entry *e, int64_t fetched_ms)
{
	struct intake_buf	v;
	enum intake_err		err;

	intake_buf_init(&v, (size_t)ctx->cfg->cache_entry_max);
	(void)intake_buf_printf(&v, "R1 %" PRId64 " %" PRId64 " %" PRId64 " %" PRId64 " %s\n",
	    fetched_ms, e->fresh_until_ms, e->stale_until_ms, e->retry_at_ms, e->version);
	err = intake_buf_err(&v);
	if (err == INTAKE_OK)
		err = intake_table_pack(e->table, &v);
	if (err == INTAKE_OK)
		err = intake_cache_set(l2_of(ctx, filtered), REPORT_SECTION, key, v.ptr, v.len,
		    e->stale_until_ms);
	if (err == INTAKE_ETOOBIG)
		intake_log_warn("report %s: the list is over cache_entry_max; each worker "
		    "caches it alone", src->name);
	intake_buf_free(&v);
}

/* A JSON scalar as cell text. */
static const char *
cell_text(struct json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_string:
	case json_type_int:
	case json_type_double:
	case json_type_boolean:
		return json_object_get_string(v);
	case json_type_null:
	case json_type_object:
	case json_type_array:
		break;
	}
	return "";
}

/*
 * The columns an empty JSON run is given: it names none, so those the
 * source's config names (value_column, label_column, then columns), each
 * once.  names holds their copies (split in place).
 */
static size_t
empty_headers(const struct intake_source *src, char names[1024], const char **headers)
{
	const char	*p = names, *item;
	size_t		 n = 0, i, len;
	const char	*cand[2] = { src->value_column, src->label_column };

	for (i = 0; i < 2; i++)
		if (cand[i][0] != '\0' && (n == 0 || strcmp(headers[0], cand[i]) != 0))
			headers[n++] = cand[i];
	(void)intake_strlcpy(names, src->columns, 1024);
	while (n < INTAKE_TABLE_COLS_MAX && (item = intake_list_next(&p, &len)) != NULL) {
		names[item - names + (ptrdiff_t)len] = '\0';	/* before p: split in place */
		for (i = 0; i < n && strcmp(headers[i], item) != 0; i++)
			;
		if (i == n)
			headers[n++] = item;
	}
	return n;
}

/*
 * The rows of a JSON run: its list (top level, or under items, Items,
 * rows, data, ...: reply.h) of objects keyed by column label; the row
 * number "r" is dropped.  A reply without a list but with a total of 0
 * is an empty list too.  No rows is a result, not an error: the table
 * then has the columns the source names (empty_headers()).
 */
static enum intake_err
table_from_json(const struct intake_source *src, const char *body, size_t len,
    size_t max_rows, struct intake_table **out)
{
	struct json_object	*root = NULL, *list, *first, *row, *v;
	const char		**headers = NULL, **cells = NULL;
	char			 names[1024];
	enum intake_err		 err;
	size_t			 ncols = 0, nrows, r, c;

	err = intake_json_parse(body, len, &root);
	if (err != INTAKE_OK) {
		err = INTAKE_EPROTO;
		goto out;
	}
	list = intake_reply_list(root);
	if (list == NULL && !intake_reply_zero_total(root)) {
		err = INTAKE_EPROTO;
		goto out;
	}
	nrows = list != NULL ? json_object_array_length(list) : 0;
	if (nrows > max_rows) {
		err = INTAKE_ETOOBIG;
		goto out;
	}
	first = nrows > 0 ? json_object_array_get_idx(list, 0) : NULL;
	if (first != NULL && !json_object_is_type(first, json_type_object)) {
		err = INTAKE_EPROTO;
		goto out;
	}
	headers = intake_xcalloc(INTAKE_TABLE_COLS_MAX, sizeof(*headers));
	if (first == NULL)
		ncols = empty_headers(src, names, headers);
	else {
		struct json_object_iterator it = json_object_iter_begin(first);
		struct json_object_iterator end = json_object_iter_end(first);
		const char *k;

		for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
			k = json_object_iter_peek_name(&it);
			if (strcmp(k, "r") == 0 || strcmp(k, "R") == 0)
				continue;
			if (ncols == INTAKE_TABLE_COLS_MAX) {
				err = INTAKE_ETOOBIG;
				goto out;
			}
			headers[ncols++] = k;
		}
	}
	cells = intake_xcalloc(nrows * ncols + 1, sizeof(*cells));
	for (r = 0; r < nrows; r++) {
		row = json_object_array_get_idx(list, r);
		for (c = 0; c < ncols; c++)
			cells[r * ncols + c] = json_object_is_type(row, json_type_object) &&
			    json_object_object_get_ex(row, headers[c], &v) ? cell_text(v) : "";
	}
	err = intake_table_new(headers, ncols, cells, nrows, out);
out:
	free(headers);
	free(cells);
	json_object_put(root);
	return err;
}

/* The rows of a reply to src's run: its CSV export or its JSON run. */
static enum intake_err
parse_rows(const struct intake_source *src, const struct intake_http_resp *resp,
    struct intake_table **out)
{
	enum intake_err	err = INTAKE_EINVAL;

	switch (src->fetch) {
	case INTAKE_FETCH_CSV:
		err = intake_csv_parse(intake_buf_str(&resp->body), resp->body.len,
		    (size_t)src->max_rows, out);
		break;
	case INTAKE_FETCH_JSON:
		err = table_from_json(src, intake_buf_str(&resp->body), resp->body.len,
		    (size_t)src->max_rows, out);
		break;
	case INTAKE_FETCH__MAX:
		break;
	}
	if (err == INTAKE_ETOOBIG)
		intake_log_err("report %s: more than max_rows (%lld) rows", src->name,
		    src->max_rows);
	else if (err != INTAKE_OK)
		intake_log_err("report %s: Integrify's %s reply could not be read", src->name,
		    src->fetch == INTAKE_FETCH_CSV ? "CSV" : "JSON");
	return err != INTAKE_OK ? INTAKE_EPROTO : INTAKE_OK;
}

/* Ask Integrify for the rows, in the call the dialect makes of it. */
static enum intake_err
fetch(struct intake_ctx *ctx, const struct intake_source *src,
    const struct intake_filter_value *f, size_t n, struct intake_table **out)
{
	struct intake_report_call	call = { "GET", NULL, { 0 }, { 0 } };
	struct intake_http_resp		resp;
	enum intake_err			err;

	intake_http_resp_init(&resp, (size_t)ctx->cfg->response_max);
	intake_buf_init(&call.path, 16384);
	intake_buf_init(&call.body, 16384);
	err = intake_dialect_ctx(ctx)->report_call(ctx, src, f, n, &call);
	if (err == INTAKE_OK)
		err = intake_integrify_call(ctx, call.method, call.path.ptr, call.ctype,
		    call.body.ptr, call.body.len, &resp);
	if (err == INTAKE_OK)
		err = parse_rows(src, &resp, out);
	intake_buf_free(&call.path);
	intake_buf_free(&call.body);
	intake_http_resp_free(&resp);
	return err;
}

/* How long a fetch lease lasts: the calls of one fetch, each within timeout_ms. */
static int64_t
lease_ms(const struct intake_ctx *ctx)
{
	return 3 * ctx->cfg->timeout_ms + 1000;
}

/* The kind of upstream work a fetch of src is (upstream.h): its estimate is per source. */
static void
work_name(const struct intake_source *src, char *out, size_t cap)
{
	(void)snprintf(out, cap, "report:%c:%s", src->kind == INTAKE_SOURCE_REPORT ? 'r' : 's',
	    src->name);
}

/* The leader's part: fetch, store both levels, or keep the old rows. */
static enum intake_err
refresh(struct intake_ctx *ctx, const struct intake_source *src,
    const struct intake_filter_value *f, size_t n, const char *key, bool filtered,
    struct intake_report_entry **ep, enum intake_report_state *state)
{
	struct intake_report_entry	*e = *ep;
	struct intake_table		*t = NULL;
	struct intake_buf		 packed;
	struct l2_head			 h;
	int64_t				 now, began;
	enum intake_err			 err;
	long				 vc = 0, lc = 0;
	char				 hex[65], what[INTAKE_SOURCE_NAME_MAX + 16];

	/* Named while it runs, so that others can tell whether to wait for it. */
	work_name(src, what, sizeof(what));
	began = intake_upstream_begin(ctx, key, lease_ms(ctx));
	intake_log_debug("report %s: fetching", src->name);
	err = fetch(ctx, src, f, n, &t);
	intake_upstream_end(ctx, key, what, began);
	if (err == INTAKE_OK)
		err = resolve_columns(src, t, &vc, &lc);
	now = intake_now_ms();
	if (err != INTAKE_OK) {
		intake_table_free(t);
		if (e == NULL || now >= e->stale_until_ms)
			return err;
		/* Keep serving the old rows; do not ask again for a while. */
		e->retry_at_ms = now + 1000 * (src->ttl < RETRY_MAX_S ? src->ttl : RETRY_MAX_S);
		l2_store(ctx, src, key, filtered, e, now);
		intake_log_warn("report %s: refresh failed (%s); serving the last good list",
		    src->name, intake_strerror(err));
		*state = INTAKE_REPORT_STALE_ERROR;
		return INTAKE_OK;
	}
	intake_buf_init(&packed, (size_t)ctx->cfg->response_max * 2);
	err = intake_table_pack(t, &packed);
	if (err != INTAKE_OK) {
		intake_buf_free(&packed);
		intake_table_free(t);
		return err;
	}
	intake_sha256_hex(packed.ptr, packed.len, hex);
	intake_buf_free(&packed);
	memcpy(h.version, hex, 16);
	h.version[16] = '\0';
	h.fetched_ms = now;
	h.fresh_until_ms = now + src->ttl * 1000;
	h.stale_until_ms = h.fresh_until_ms + src->stale_ttl * 1000;
	h.retry_at_ms = 0;
	e = l1_store(ctx->reports, key, filtered, t, &h, vc, lc);
	l2_store(ctx, src, key, filtered, e, now);
	*ep = e;
	*state = INTAKE_REPORT_MISS;
	return INTAKE_OK;
}

/*
 * The leader's refresh, in an upstream slot.  Without a free slot it is
 * skipped: old rows still serve (stale), and with none the answer is
 * INTAKE_EBUSY, at once.
 */
static enum intake_err
refresh_in_slot(struct intake_ctx *ctx, const struct intake_source *src,
    const struct intake_filter_value *f, size_t n, const char *key, bool filtered,
    struct intake_upstream_slot *slot, struct intake_report_entry **ep,
    enum intake_report_state *state)
{
	struct intake_report_entry	*e = *ep;

	if (!slot->taken && intake_upstream_take(ctx, slot) != INTAKE_OK) {
		if (e != NULL && intake_now_ms() < e->stale_until_ms) {
			*state = INTAKE_REPORT_STALE;
			return INTAKE_OK;
		}
		intake_log_info("report %s: no upstream slot free for a cold list", src->name);
		return INTAKE_EBUSY;
	}
	return refresh(ctx, src, f, n, key, filtered, ep, state);
}

bool
intake_report_budget_take(struct intake_ctx *ctx, const struct intake_source *src,
    int64_t now_ms, int64_t *retry_at_ms)
{
	int64_t		window = now_ms / BUDGET_WINDOW_MS;
	long long	count;
	char		name[INTAKE_SOURCE_NAME_MAX + 48];

	if (ctx->cfg->filtered_fetch_rate == 0)
		return true;
	/* Per source: a flood of one list's values does not hold back another's. */
	(void)snprintf(name, sizeof(name), "%c:%s:%lld",
	    src->kind == INTAKE_SOURCE_REPORT ? 'r' : 's', src->name, (long long)window);
	/* A cache that cannot count lets the fetch go: the limit is a guard, not a gate. */
	if (intake_cache_incr(ctx->marks, BUDGET_SECTION, name,
	    (window + 2) * BUDGET_WINDOW_MS, &count) != INTAKE_OK)
		return true;
	if (count <= ctx->cfg->filtered_fetch_rate)
		return true;
	*retry_at_ms = (window + 1) * BUDGET_WINDOW_MS;
	return false;
}

/* Where this worker remembers that src's budget is spent; NULL if none. */
static int64_t *
spent_slot(struct intake_ctx *ctx, const struct intake_source *src)
{
	const struct intake_source	*first = ctx->cfg->sources;

	if (src < first || src >= first + ctx->cfg->nsources)
		return NULL;
	return &ctx->reports->spent_until_ms[src - first];
}

/*
 * A filtered key that needs a fetch while src's budget is spent: the old
 * rows serve while they may, else INTAKE_EBACKOFF (ctx->lists_busy_until_ms
 * says until when).
 */
static enum intake_err
held_back(struct intake_ctx *ctx, int64_t until, const struct intake_report_entry *e,
    enum intake_report_state *state)
{
	if (e != NULL && intake_now_ms() < e->stale_until_ms) {
		*state = INTAKE_REPORT_STALE;
		return INTAKE_OK;
	}
	ctx->lists_busy_until_ms = until;
	return INTAKE_EBACKOFF;
}

/* The leader of a key that needs a fetch: fetch, unless a filtered key is over budget. */
static enum intake_err
lead(struct intake_ctx *ctx, const struct intake_source *src,
    const struct intake_filter_value *f, size_t n, const char *key, bool filtered,
    struct intake_upstream_slot *slot, struct intake_report_entry **ep,
    enum intake_report_state *state)
{
	int64_t	now = intake_now_ms(), until, *spent;

	if (filtered && !intake_report_budget_take(ctx, src, now, &until)) {
		if ((spent = spent_slot(ctx, src)) != NULL)
			*spent = until;
		return held_back(ctx, until, *ep, state);
	}
	return refresh_in_slot(ctx, src, f, n, key, filtered, slot, ep, state);
}

/* One look for a key: what it asks, and what it holds across its turns. */
struct look {
	struct intake_ctx			*ctx;
	const struct intake_source		*src;
	const struct intake_filter_value	*f;
	size_t					 n;
	const char				*key;
	bool					 filtered;
	struct intake_cache			*l2;
	int64_t					*spent;		/* filtered: budget spent until */
	int64_t					 deadline;	/* of a wait for another's fetch */
	struct intake_upstream_slot		 slot;
	struct intake_report_entry		*e;
	enum intake_report_state		 state;
};

/*
 * Nothing to serve and another worker fetches: wait for it, in an
 * upstream slot of our own, until the deadline.  A fetch that will not
 * end within the wait, or of a list slower to fetch than any wait, is
 * not waited for: the answer is INTAKE_EBUSY at once, with a Retry-After
 * for when it should end, and a slow Integrify holds no worker but the
 * fetching one.
 */
static enum intake_err
wait_for_fetch(struct look *lk, int64_t now)
{
	struct intake_ctx	*ctx = lk->ctx;
	enum intake_err		 err;
	int64_t			 end;
	char			 what[INTAKE_SOURCE_NAME_MAX + 16];

	work_name(lk->src, what, sizeof(what));
	if (!intake_upstream_worth_waiting(intake_upstream_began(ctx, lk->key),
	    intake_upstream_estimate(ctx, what), now, lk->deadline,
	    ctx->cfg->upstream_wait_ms, &end)) {
		intake_log_debug("report %s: not waiting for a fetch expected to end in "
		    "%lld ms", lk->src->name, (long long)(end - now));
		intake_upstream_busy_until(ctx, end);
		return INTAKE_EBUSY;
	}
	/* Waiting for the fetch is upstream work too. */
	if (!lk->slot.taken) {
		err = intake_upstream_take(ctx, &lk->slot);
		if (err != INTAKE_OK)
			return err;
	}
	if (now >= lk->deadline)
		return INTAKE_EBUSY;
	err = intake_cache_wait(lk->l2, REPORT_SECTION, lk->key, lk->deadline - now);
	return err == INTAKE_ETIMEOUT ? INTAKE_EBUSY : err;
}

/* Leader of the key's lease: fetch unless another worker finished between our read and our lease. */
static enum intake_err
lead_lease(struct look *lk)
{
	enum intake_err	err = INTAKE_OK;

	lk->e = l1_from_l2(lk->ctx, lk->src, lk->key, lk->filtered, lk->e);
	if (lk->e == NULL || intake_now_ms() >= lk->e->fresh_until_ms)
		err = lead(lk->ctx, lk->src, lk->f, lk->n, lk->key, lk->filtered, &lk->slot,
		    &lk->e, &lk->state);
	(void)intake_cache_release(lk->l2, REPORT_SECTION, lk->key);
	return err;
}

/*
 * One turn of the look: serve what is fresh (or old, while a refresh
 * failed or runs elsewhere), lead a fetch, or wait for another worker's.
 * *done: the look ends here, with the error returned.
 */
static enum intake_err
look_turn(struct look *lk, bool *done)
{
	struct intake_report_entry	*e;
	enum intake_err			 err;
	int64_t				 now = intake_now_ms();
	bool				 leader;

	*done = true;
	if (lk->e != NULL && now < lk->e->fresh_until_ms)
		return INTAKE_OK;
	e = lk->e = l1_from_l2(lk->ctx, lk->src, lk->key, lk->filtered, lk->e);
	now = intake_now_ms();
	if (e != NULL && now < e->fresh_until_ms)
		return INTAKE_OK;
	if (e != NULL && now < e->retry_at_ms && now < e->stale_until_ms) {
		lk->state = INTAKE_REPORT_STALE_ERROR;
		return INTAKE_OK;
	}
	/* Known to be over budget: not even a lease, which would take a slot. */
	if (lk->spent != NULL && now < *lk->spent)
		return held_back(lk->ctx, *lk->spent, e, &lk->state);
	err = intake_cache_lease(lk->l2, REPORT_SECTION, lk->key, lease_ms(lk->ctx), &leader);
	if (err != INTAKE_OK)
		return err;
	if (leader)
		return lead_lease(lk);
	if (e != NULL && now < e->stale_until_ms) {
		lk->state = INTAKE_REPORT_STALE;
		return INTAKE_OK;
	}
	err = wait_for_fetch(lk, now);
	*done = err != INTAKE_OK;
	return err;
}

/* The entry found as what a handler reads. */
static void
view_of(struct intake_report_entry *e, enum intake_report_state state,
    struct intake_report_view *out)
{
	e->used_ms = intake_now_ms();
	out->table = e->table;
	out->version = e->version;
	out->state = state;
	out->fresh_until_ms = e->fresh_until_ms;
	out->stale_until_ms = e->stale_until_ms;
	out->value_col = e->value_col;
	out->label_col = e->label_col;
}

enum intake_err
intake_report_get(struct intake_ctx *ctx, const struct intake_source *src,
    const struct intake_filter_value *filters, size_t nfilters,
    struct intake_report_view *out)
{
	struct look	lk = { .ctx = ctx, .src = src, .f = filters, .n = nfilters,
			    .slot = { -1, false }, .state = INTAKE_REPORT_HIT };
	struct intake_buf key;
	enum intake_err	err;
	bool		done = false;

	/* A hint left by an earlier refusal whose answer was never sent is not ours. */
	intake_upstream_busy_until(ctx, 0);
	lk.filtered = is_filtered(filters, nfilters);
	lk.spent = lk.filtered ? spent_slot(ctx, src) : NULL;
	lk.l2 = l2_of(ctx, lk.filtered);
	intake_buf_init(&key, KEY_MAX);
	err = make_key(src, filters, nfilters, &key);
	if (err == INTAKE_OK) {
		lk.key = key.ptr;
		/* Another worker's fetch is waited for upstream_wait_ms at most. */
		lk.deadline = intake_now_ms() + ctx->cfg->upstream_wait_ms;
		lk.e = l1_find(ctx->reports, key.ptr);
		while (!done)
			err = look_turn(&lk, &done);
	}
	intake_upstream_give(ctx, &lk.slot);
	if (err == INTAKE_OK) {
		/* Per worker, so a test can see that every worker served the old list. */
		if (lk.state == INTAKE_REPORT_STALE_ERROR)
			intake_log_debug("report %s: served the last good list", src->name);
		intake_metrics_list((int)lk.state);
		view_of(lk.e, lk.state, out);
	}
	intake_buf_free(&key);
	return err;
}

enum intake_err
intake_report_offers(struct intake_ctx *ctx, const struct intake_source *src,
    const char *value, bool *offered)
{
	struct intake_report_view	v;
	enum intake_err			err;
	size_t				r;

	err = intake_report_get(ctx, src, NULL, 0, &v);
	if (err != INTAKE_OK)
		return err;
	*offered = false;
	for (r = 0; r < v.table->nrows && !*offered; r++)
		*offered = strcmp(intake_table_cell(v.table, r, (size_t)v.value_col), value) == 0;
	return INTAKE_OK;
}

/* The probe reads a run's reply as the lists do, without the caches. */
enum intake_err
intake_report_parse(const struct intake_source *src, const struct intake_http_resp *resp,
    struct intake_table **out)
{
	return parse_rows(src, resp, out);
}
