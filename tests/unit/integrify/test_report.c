/*
 * test_report.c - lib/integrify/report.c against a tiny v7 Integrify (the
 * fake HTTP server, fake_http.h): lists keyed by filter values evict only
 * each other (never the unfiltered lists, at either level), their fetches stop at
 * filtered_fetch_rate per source and minute (across processes), and
 * intake_report_offers() reads the parent list.
 */
#include <sys/mman.h>
#include <sys/wait.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache/cache.h"
#include "core/ctx.h"
#include "integrify/http.h"
#include "integrify/report.h"
#include "util/str.h"

#include "fake_http.h"
#include "t.h"

#define TOKEN_PATH	"GET /access/impersonate"

struct fixture {
	char			 dir[256];
	char			 conf[512];
	struct fake_http	*srv;
	struct intake_config	*cfg;
	struct intake_ctx	 ctx;
};

/* Integrify: a token, the report's filter definitions, or its CSV. */
static void
serve_reports(struct fake_http *srv)
{
	struct fake_http_reply	*csv;

	(void)fake_http_route(srv, TOKEN_PATH, 200,
	    "{\"token\":\"0123456789abcdef0123456789abcdef\"}");
	(void)fake_http_route(srv, "/filters HTTP/", 200,
	    "[{\"Expose\":\"Division\",\"MappingVal\":\"div\",\"Operator\":\"Is\"}]");
	csv = fake_http_fallback(srv, 200, "Code,Label\r\nA,Alpha\r\nB,Beta\r\nC,Gamma\r\n");
	memcpy(csv->ctype, "text/csv", sizeof("text/csv"));
}

/* From now on Integrify answers every report call 503 (tokens still come). */
static void
fail_reports(struct fixture *f)
{
	(void)fake_http_route(f->srv, "/filters HTTP/", 503, "{}");
	(void)fake_http_fallback(f->srv, 503, "{}");
}

/*
 * Start the server, load a config with a parent list and a child list
 * filtered by it (the smallest caches the config allows), and open every
 * cache a worker holds.  server_extra goes under [server]; the parent
 * list is fresh for parents_ttl seconds, then may serve 600 more.
 */
static void
setup_ttl(struct fixture *f, const char *server_extra, int parents_ttl)
{
	char	text[4096], err[1024];
	int	n;

	memset(f, 0, sizeof(*f));
	t_mkdtemp(f->dir, sizeof(f->dir));
	f->srv = fake_http_start();
	serve_reports(f->srv);
	t_write_file(f->dir, "key", "k\n", 2, NULL, 0);
	n = snprintf(text, sizeof(text),
	    "[server]\n"
	    "cache_file = %s/cache.shm\n"
	    "cache_entries = 8\n"
	    "cache_entry_max = 4096\n"
	    "filtered_entries = 8\n"
	    "%s"
	    "[integrify]\n"
	    "dialect = v7\nflow = impersonate\n"
	    "base_url = http://127.0.0.1:%d\n"
	    "allow_http = yes\nuser = svc\nkey_file = %s/key\n"
	    "connect_timeout_ms = 2000\ntimeout_ms = 5000\n"
	    "[source:parents]\nreport = p1\nttl = %d\nstale_ttl = 600\n"
	    "[source:kids]\nreport = k1\nttl = 300\n"
	    "filter.parent = Division\ncheck.parent = source:parents\n",
	    f->dir, server_extra, f->srv->port, f->dir, parents_ttl);
	if (n < 0 || (size_t)n >= sizeof(text))
		abort();
	t_write_file(f->dir, "intake.conf", text, (size_t)n, f->conf, sizeof(f->conf));
	if (intake_config_load(f->conf, &f->cfg, err, sizeof(err)) != INTAKE_OK) {
		fprintf(stderr, "config: %s\n", err);
		abort();
	}
	f->ctx.cfg = f->cfg;
	f->ctx.reports = intake_report_cache_new();
	if (intake_cache_open(f->cfg, true, &f->ctx.cache) != INTAKE_OK ||
	    intake_cache_open_marks(f->cfg, true, &f->ctx.marks) != INTAKE_OK ||
	    intake_cache_open_lists(f->cfg, true, &f->ctx.lists) != INTAKE_OK ||
	    intake_http_new(f->cfg, &f->ctx.http) != INTAKE_OK)
		abort();
}

static void
setup(struct fixture *f, const char *server_extra)
{
	setup_ttl(f, server_extra, 300);
}

static void
teardown(struct fixture *f)
{
	fake_http_stop(f->srv);
	intake_report_cache_free(f->ctx.reports);
	intake_http_free(f->ctx.http);
	intake_cache_close(f->ctx.cache);
	intake_cache_close(f->ctx.marks);
	intake_cache_close(f->ctx.lists);
	intake_config_free(f->cfg);
}

static int
calls(const struct fixture *f)
{
	/* Calls other than the token's. */
	return fake_http_requests(f->srv) - fake_http_hits(f->srv, TOKEN_PATH);
}

static const struct intake_source *
source(const struct fixture *f, const char *name)
{
	return intake_config_source(f->cfg, INTAKE_SOURCE_CHOICES, name, strlen(name));
}

/* The kids list for parent value v (NULL: unfiltered). */
static enum intake_err
get_kids(struct fixture *f, const char *v, struct intake_report_view *out)
{
	const struct intake_source	*src = source(f, "kids");
	struct intake_filter_value	 fv = { &src->filters[0], v };

	return intake_report_get(&f->ctx, src, &fv, 1, out);
}

static void
test_report_filter_flood_never_evicts_unfiltered_lists(void)
{
	struct fixture			f;
	struct intake_report_view	v;
	struct intake_report_cache	*other;
	char				value[32];
	int				i, before;

	t_quiet_stderr();	/* 200 evictions are logged */
	setup(&f, "filtered_fetch_rate = 0\n");
	T_EQ_INT(intake_report_get(&f.ctx, source(&f, "parents"), NULL, 0, &v), INTAKE_OK);
	T_EQ_INT(get_kids(&f, NULL, &v), INTAKE_OK);
	T_EQ_INT(v.table->nrows, 3);
	/* 200 distinct values: 25 x the lists cache, 6 x this worker's part. */
	for (i = 0; i < 200; i++) {
		(void)snprintf(value, sizeof(value), "flood-%d", i);
		T_EQ_INT(get_kids(&f, value, &v), INTAKE_OK);
	}
	before = calls(&f);
	T_EQ_INT(before, 2 + 2 * 200);
	/* Integrify fails; this worker still has both unfiltered lists... */
	fail_reports(&f);
	T_EQ_INT(intake_report_get(&f.ctx, source(&f, "parents"), NULL, 0, &v), INTAKE_OK);
	T_EQ_INT(v.state, INTAKE_REPORT_HIT);
	T_EQ_INT(get_kids(&f, "", &v), INTAKE_OK);
	T_EQ_INT(v.state, INTAKE_REPORT_HIT);
	/* ...and so does a worker with nothing of its own: the shared cache kept them. */
	other = f.ctx.reports;
	f.ctx.reports = intake_report_cache_new();
	T_EQ_INT(intake_report_get(&f.ctx, source(&f, "parents"), NULL, 0, &v), INTAKE_OK);
	T_EQ_INT(v.table->nrows, 3);
	T_EQ_INT(get_kids(&f, NULL, &v), INTAKE_OK);
	T_EQ_INT(v.table->nrows, 3);
	T_EQ_INT(calls(&f), before);
	/* The first flood values are gone (evicted by later ones): Integrify is asked. */
	T_ASSERT(get_kids(&f, "flood-0", &v) != INTAKE_OK);
	T_ASSERT(calls(&f) > before);
	intake_report_cache_free(f.ctx.reports);
	f.ctx.reports = other;
	teardown(&f);
}

static void
test_report_distinct_values_past_the_budget_are_not_fetched(void)
{
	struct fixture			f;
	struct intake_report_view	v;
	int				before;

	setup(&f, "filtered_fetch_rate = 3\n");
	/* The budget is per minute: start well inside one, so all four fall in it. */
	if (intake_now_ms() % 60000 > 50000)
		t_sleep_ms(60500 - intake_now_ms() % 60000);
	T_EQ_INT(get_kids(&f, "A", &v), INTAKE_OK);
	T_EQ_INT(get_kids(&f, "B", &v), INTAKE_OK);
	T_EQ_INT(get_kids(&f, "C", &v), INTAKE_OK);
	before = calls(&f);
	f.ctx.lists_busy_until_ms = 0;
	T_EQ_INT(get_kids(&f, "D", &v), INTAKE_EBACKOFF);
	T_EQ_INT(calls(&f), before);
	/* Until the end of this minute. */
	T_ASSERT(f.ctx.lists_busy_until_ms > intake_now_ms());
	T_ASSERT(f.ctx.lists_busy_until_ms <= intake_now_ms() + 60000);
	T_EQ_INT(f.ctx.lists_busy_until_ms % 60000, 0);
	/* Cached ones still serve; unfiltered lists are never held back. */
	T_EQ_INT(get_kids(&f, "A", &v), INTAKE_OK);
	T_EQ_INT(v.state, INTAKE_REPORT_HIT);
	T_EQ_INT(get_kids(&f, NULL, &v), INTAKE_OK);
	T_EQ_INT(intake_report_get(&f.ctx, source(&f, "parents"), NULL, 0, &v), INTAKE_OK);
	T_EQ_INT(calls(&f), before + 2);
	teardown(&f);
}

static void
test_report_refused_flood_leaves_shared_state_alone(void)
{
	struct fixture			 f;
	struct intake_report_view	 v;
	struct intake_report_cache	*other;
	char				 value[32], name[64];
	long long			 count;
	int				 i, kept = 0, before;

	t_quiet_stderr();
	/* filtered_entries = 8, and a budget of 8: the lists cache is full, and spent. */
	setup(&f, "filtered_fetch_rate = 8\n");
	if (intake_now_ms() % 60000 > 50000)
		t_sleep_ms(60500 - intake_now_ms() % 60000);
	for (i = 0; i < 8; i++) {
		(void)snprintf(value, sizeof(value), "kept-%d", i);
		T_EQ_INT(get_kids(&f, value, &v), INTAKE_OK);
	}
	before = calls(&f);
	/* 500 more distinct values: refused, and (once a worker knows) not even leased. */
	for (i = 0; i < 500; i++) {
		(void)snprintf(value, sizeof(value), "flood-%d", i);
		T_EQ_INT(get_kids(&f, value, &v), INTAKE_EBACKOFF);
	}
	T_EQ_INT(calls(&f), before);
	/*
	 * Once refused, this worker takes no lease and counts nothing more: the
	 * minute's shared counter saw the 8 fetches and 1 refusal (this is the 10th).
	 */
	(void)snprintf(name, sizeof(name), "s:kids:%lld", (long long)(intake_now_ms() / 60000));
	T_EQ_INT(intake_cache_incr(f.ctx.marks, "lists", name, intake_now_ms() + 120000, &count),
	    INTAKE_OK);
	T_EQ_INT(count, 10);
	/* Another worker, Integrify failing: the lists fetched before are still shared. */
	fail_reports(&f);
	other = f.ctx.reports;
	f.ctx.reports = intake_report_cache_new();
	for (i = 0; i < 8; i++) {
		(void)snprintf(value, sizeof(value), "kept-%d", i);
		if (get_kids(&f, value, &v) == INTAKE_OK)
			kept++;
	}
	/* The first refusal took a lease (a slot) before it knew: at most one lost. */
	T_ASSERT(kept >= 7);
	intake_report_cache_free(f.ctx.reports);
	f.ctx.reports = other;
	teardown(&f);
}

static void
test_report_budget_is_per_source_and_per_minute(void)
{
	struct fixture			 f;
	const struct intake_source	*kids, *parents;
	int64_t				 until = 0, t = 1800000000000;	/* a minute's start */
	int				 i;

	setup(&f, "filtered_fetch_rate = 5\n");
	kids = source(&f, "kids");
	parents = source(&f, "parents");
	for (i = 0; i < 5; i++)
		T_ASSERT(intake_report_budget_take(&f.ctx, kids, t + i, &until));
	T_ASSERT(!intake_report_budget_take(&f.ctx, kids, t + 59999, &until));
	T_EQ_INT(until, t + 60000);
	/* Another source has its own count; the next minute starts again. */
	T_ASSERT(intake_report_budget_take(&f.ctx, parents, t + 10, &until));
	T_ASSERT(intake_report_budget_take(&f.ctx, kids, t + 60000, &until));
	teardown(&f);
}

static void
test_report_budget_holds_across_processes(void)
{
	struct fixture			 f;
	const struct intake_source	*kids;
	int64_t				 t = 1800000060000, until;
	int				*taken, i, j;
	pid_t				 pids[4];

	setup(&f, "filtered_fetch_rate = 7\n");
	kids = source(&f, "kids");
	taken = mmap(NULL, sizeof(int), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (taken == MAP_FAILED)
		abort();
	*taken = 0;
	for (i = 0; i < 4; i++) {
		pids[i] = t_fork_helper();
		if (pids[i] == 0) {
			for (j = 0; j < 10; j++)
				if (intake_report_budget_take(&f.ctx, kids, t, &until))
					__atomic_add_fetch(taken, 1, __ATOMIC_SEQ_CST);
			_exit(0);
		}
	}
	for (i = 0; i < 4; i++)
		T_EQ_INT(t_wait_child(pids[i], 30000), 0);
	T_EQ_INT(*taken, 7);
	(void)munmap(taken, sizeof(int));
	teardown(&f);
}

static void
test_report_offers_reads_the_parent_list(void)
{
	struct fixture	f;
	bool		offered = true;
	int		before;

	setup(&f, "");
	T_EQ_INT(intake_report_offers(&f.ctx, source(&f, "parents"), "B", &offered), INTAKE_OK);
	T_ASSERT(offered);
	before = calls(&f);
	/* Exact values only; a near miss or a label is not offered.  No new call. */
	T_EQ_INT(intake_report_offers(&f.ctx, source(&f, "parents"), "b", &offered), INTAKE_OK);
	T_ASSERT(!offered);
	T_EQ_INT(intake_report_offers(&f.ctx, source(&f, "parents"), "Beta", &offered), INTAKE_OK);
	T_ASSERT(!offered);
	T_EQ_INT(intake_report_offers(&f.ctx, source(&f, "parents"), "B ", &offered), INTAKE_OK);
	T_ASSERT(!offered);
	T_EQ_INT(calls(&f), before);
	teardown(&f);
}

/* The first get fetches (a miss); the next is served from the cache (a hit). */
static void
test_report_first_get_fetches_then_the_cache_answers(void)
{
	struct fixture			f;
	struct intake_report_view	v;
	char				version[128];

	setup(&f, "");
	T_EQ_INT(intake_report_get(&f.ctx, source(&f, "parents"), NULL, 0, &v), INTAKE_OK);
	T_EQ_INT(v.state, INTAKE_REPORT_MISS);
	T_EQ_INT(v.table->nrows, 3);
	T_ASSERT(v.version != NULL && v.version[0] != '\0');
	T_ASSERT(v.fresh_until_ms > intake_now_ms());
	T_ASSERT(v.stale_until_ms >= v.fresh_until_ms);
	(void)intake_strlcpy(version, v.version, sizeof(version));
	T_EQ_INT(calls(&f), 1);
	T_EQ_INT(intake_report_get(&f.ctx, source(&f, "parents"), NULL, 0, &v), INTAKE_OK);
	T_EQ_INT(v.state, INTAKE_REPORT_HIT);
	T_EQ_STR(v.version, version);
	T_EQ_INT(calls(&f), 1);
	T_EQ_STR(intake_report_state_name(INTAKE_REPORT_HIT), "hit");
	T_EQ_STR(intake_report_state_name(INTAKE_REPORT_MISS), "miss");
	teardown(&f);
}

/* Nothing cached and Integrify failing: its error, no list. */
static void
test_report_failure_with_nothing_cached_is_the_error(void)
{
	struct fixture			f;
	struct intake_report_view	v;

	t_quiet_stderr();
	setup(&f, "");
	fail_reports(&f);
	T_EQ_INT(intake_report_get(&f.ctx, source(&f, "parents"), NULL, 0, &v),
	    INTAKE_EUPSTREAM);
	teardown(&f);
}

/* A list past its ttl but within stale_ttl serves when Integrify fails. */
static void
test_report_expired_list_serves_while_integrify_fails(void)
{
	struct fixture			f;
	struct intake_report_view	v;
	int				before;

	t_quiet_stderr();
	setup_ttl(&f, "", 1);
	T_EQ_INT(intake_report_get(&f.ctx, source(&f, "parents"), NULL, 0, &v), INTAKE_OK);
	T_EQ_INT(v.state, INTAKE_REPORT_MISS);
	t_sleep_ms(1200);	/* ttl = 1 */
	fail_reports(&f);
	before = calls(&f);
	T_EQ_INT(intake_report_get(&f.ctx, source(&f, "parents"), NULL, 0, &v), INTAKE_OK);
	T_EQ_INT(v.state, INTAKE_REPORT_STALE_ERROR);
	T_EQ_INT(v.table->nrows, 3);
	T_ASSERT(calls(&f) > before);	/* Integrify was asked first */
	teardown(&f);
}

/* A token refused on a report call is fetched again once; refused twice: EAUTH. */
static void
test_report_refused_token_is_renewed_once(void)
{
	struct fixture			f;
	struct intake_report_view	v;

	t_quiet_stderr();
	setup(&f, "");
	(void)fake_http_fallback(f.srv, 401, "{}");
	T_EQ_INT(intake_report_get(&f.ctx, source(&f, "parents"), NULL, 0, &v), INTAKE_EAUTH);
	T_EQ_INT(calls(&f), 2);
	T_EQ_INT(fake_http_hits(f.srv, TOKEN_PATH), 2);
	teardown(&f);
}

/*
 * A JSON run (fetch = json) in the given dialect, whose every report call
 * Integrify answers body: three sources, one naming its value and label
 * columns, one (a table) naming its shown columns, one naming none.
 */
static void
setup_json(struct fixture *f, const char *dialect_lines, const char *body)
{
	char	text[4096], err[1024];
	int	n;

	memset(f, 0, sizeof(*f));
	t_mkdtemp(f->dir, sizeof(f->dir));
	f->srv = fake_http_start();
	(void)fake_http_route(f->srv, TOKEN_PATH, 200,
	    "{\"token\":\"0123456789abcdef0123456789abcdef\"}");
	(void)fake_http_route(f->srv, "GET /api/auth/apikey/", 200,
	    "{\"token\":\"0123456789abcdef0123456789abcdef\"}");
	(void)fake_http_fallback(f->srv, 200, body);
	t_write_file(f->dir, "key", "k\n", 2, NULL, 0);
	n = snprintf(text, sizeof(text),
	    "[server]\ncache_file = %s/cache.shm\ncache_entries = 16\n"
	    "[integrify]\n%sbase_url = http://127.0.0.1:%d\n"
	    "allow_http = yes\nuser = svc\nkey_file = %s/key\n"
	    "connect_timeout_ms = 2000\ntimeout_ms = 5000\n"
	    "[source:named]\nreport = n1\nfetch = json\n"
	    "value_column = Code\nlabel_column = Label\n"
	    "[report:shown]\nreport = s1\nfetch = json\ncolumns = Tag, Owner ,Tag\n"
	    "[source:bare]\nreport = b1\nfetch = json\n",
	    f->dir, dialect_lines, f->srv->port, f->dir);
	if (n < 0 || (size_t)n >= sizeof(text))
		abort();
	t_write_file(f->dir, "intake.conf", text, (size_t)n, f->conf, sizeof(f->conf));
	if (intake_config_load(f->conf, &f->cfg, err, sizeof(err)) != INTAKE_OK) {
		fprintf(stderr, "config: %s\n", err);
		abort();
	}
	f->ctx.cfg = f->cfg;
	f->ctx.reports = intake_report_cache_new();
	if (intake_cache_open(f->cfg, true, &f->ctx.cache) != INTAKE_OK ||
	    intake_http_new(f->cfg, &f->ctx.http) != INTAKE_OK)
		abort();
}

static const char *const json_dialects[] = {
	"dialect = v7\nflow = impersonate\n",
	"dialect = v8\nflow = apikey\ntenant = acme\n",
};

/*
 * A JSON run that found nothing is an empty list, not a bad reply, in
 * every shape a tenant may use and in both dialects; the empty table
 * has the columns its source names.
 */
static void
test_report_empty_json_run_is_an_empty_list_in_every_shape(void)
{
	static const char *const shapes[] = {
		"{\"total\":0,\"items\":[]}",	/* the stand-in's */
		"{\"Total\":0,\"Items\":[]}",	/* PascalCase (v7 lists) */
		"{\"rows\":[]}",
		"[]",				/* a bare array */
		"{\"totalCount\":0,\"data\":{\"rows\":[]}}",	/* nested */
		"{\"total\":0}",		/* no list at all, but a total of 0 */
	};
	struct fixture			 f;
	struct intake_report_view	 v;
	const struct intake_source	*shown;
	size_t				 d, s;

	for (d = 0; d < sizeof(json_dialects) / sizeof(json_dialects[0]); d++)
		for (s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
			printf("# %s%s\n", json_dialects[d], shapes[s]);
			setup_json(&f, json_dialects[d], shapes[s]);
			T_EQ_INT(intake_report_get(&f.ctx, source(&f, "named"), NULL, 0, &v),
			    INTAKE_OK);
			T_EQ_INT(v.table->nrows, 0);
			T_EQ_INT(v.table->ncols, 2);
			T_EQ_STR(intake_table_header(v.table, (size_t)v.value_col), "Code");
			T_EQ_STR(intake_table_header(v.table, (size_t)v.label_col), "Label");
			shown = intake_config_source(f.cfg, INTAKE_SOURCE_REPORT, "shown", 5);
			T_ASSERT(shown != NULL);
			T_EQ_INT(intake_report_get(&f.ctx, shown, NULL, 0, &v), INTAKE_OK);
			T_EQ_INT(v.table->nrows, 0);
			T_EQ_INT(v.table->ncols, 2);
			T_EQ_STR(intake_table_header(v.table, 0), "Tag");
			T_EQ_STR(intake_table_header(v.table, 1), "Owner");
			T_EQ_INT(intake_report_get(&f.ctx, source(&f, "bare"), NULL, 0, &v),
			    INTAKE_OK);
			T_EQ_INT(v.table->nrows, 0);
			/* Served from the cache the second time: the empty list was kept. */
			T_EQ_INT(intake_report_get(&f.ctx, source(&f, "named"), NULL, 0, &v),
			    INTAKE_OK);
			T_EQ_INT(v.state, INTAKE_REPORT_HIT);
			teardown(&f);
		}
}

/* A reply that is not an empty result stays a bad reply: rows promised but not given. */
static void
test_report_json_total_without_rows_is_a_bad_reply(void)
{
	static const char *const bad[] = {
		"{\"total\":3}",		/* rows promised, none given */
		"{\"total\":\"zero\"}",
		"{\"status\":\"ok\"}",	/* no list, no total */
		"{\"items\":[1,2]}",		/* rows that are not objects */
		"not json",
	};
	struct fixture			f;
	struct intake_report_view	v;
	size_t				d, s;

	t_quiet_stderr();
	for (d = 0; d < sizeof(json_dialects) / sizeof(json_dialects[0]); d++)
		for (s = 0; s < sizeof(bad) / sizeof(bad[0]); s++) {
			printf("# %s%s\n", json_dialects[d], bad[s]);
			setup_json(&f, json_dialects[d], bad[s]);
			T_EQ_INT(intake_report_get(&f.ctx, source(&f, "named"), NULL, 0, &v),
			    INTAKE_EPROTO);
			teardown(&f);
		}
}

/* A JSON run with rows still takes its columns from them. */
static void
test_report_json_rows_name_their_columns(void)
{
	struct fixture			f;
	struct intake_report_view	v;

	setup_json(&f, json_dialects[1],
	    "{\"total\":2,\"items\":[{\"r\":1,\"Code\":\"A\",\"Label\":\"Alpha\"},"
	    "{\"r\":2,\"Code\":\"B\",\"Label\":\"Beta\"}]}");
	T_EQ_INT(intake_report_get(&f.ctx, source(&f, "named"), NULL, 0, &v), INTAKE_OK);
	T_EQ_INT(v.table->nrows, 2);
	T_EQ_INT(v.table->ncols, 2);
	T_EQ_STR(intake_table_cell(v.table, 1, (size_t)v.label_col), "Beta");
	teardown(&f);
}

int
main(void)
{
	T_RUN(test_report_first_get_fetches_then_the_cache_answers);
	T_RUN(test_report_failure_with_nothing_cached_is_the_error);
	T_RUN(test_report_expired_list_serves_while_integrify_fails);
	T_RUN(test_report_refused_token_is_renewed_once);
	T_RUN(test_report_filter_flood_never_evicts_unfiltered_lists);
	T_RUN(test_report_distinct_values_past_the_budget_are_not_fetched);
	T_RUN(test_report_refused_flood_leaves_shared_state_alone);
	T_RUN(test_report_budget_is_per_source_and_per_minute);
	T_RUN(test_report_budget_holds_across_processes);
	T_RUN(test_report_offers_reads_the_parent_list);
	T_RUN(test_report_empty_json_run_is_an_empty_list_in_every_shape);
	T_RUN(test_report_json_total_without_rows_is_a_bad_reply);
	T_RUN(test_report_json_rows_name_their_columns);
	return T_DONE();
}
