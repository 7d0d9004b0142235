/*
 * test_metrics.c - the shared counters: shared across fork, histograms
 * cumulative, the text format well formed, the status page valid JSON,
 * and no label value that a client chose.
 */
#include <sys/wait.h>

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/json.h"
#include "core/metrics.h"
#include "integrify/report.h"
#include "process/proc.h"
#include "web/route.h"
#include "util/str.h"
#include "t.h"

#define PAGE_MAX	(256u << 10)

static struct intake_config	cfg;

static void
open_fresh(void)
{
	char	dir[256];

	memset(&cfg, 0, sizeof(cfg));
	t_mkdtemp(dir, sizeof(dir));
	(void)snprintf(cfg.cache_file, sizeof(cfg.cache_file), "%s/cache.shm", dir);
	T_EQ_INT(intake_metrics_open(&cfg, true), INTAKE_OK);
}

static void
no_gauges(struct intake_metrics_gauges *g)
{
	memset(g, 0, sizeof(*g));
	g->spool_queued = 2;
	g->spool_dead = 1;
	g->spool_done = 5;
	g->token_left_s = -1;
	g->upstream_slots = 2;
}

/* The scrape as a C string the caller frees ("" when it failed, which fails the test). */
static char *
scrape(void)
{
	struct intake_metrics_gauges	g;
	struct intake_buf		b;
	enum intake_err			err;
	char				*s;

	no_gauges(&g);
	intake_buf_init(&b, PAGE_MAX);
	err = intake_metrics_render(&g, &b);
	if (err != INTAKE_OK)
		t_fail(__FILE__, __LINE__, "render: %s", intake_strerror(err));
	s = strdup(err == INTAKE_OK ? intake_buf_str(&b) : "");
	intake_buf_free(&b);
	return s;
}

static void
test_counts_from_a_forked_child_are_seen_by_the_parent(void)
{
	pid_t	pid;
	char	*page;

	open_fresh();
	pid = fork();
	if (pid == 0) {
		intake_metrics_request(INTAKE_ROUTE_FORM, 200, 1000);
		intake_metrics_request(INTAKE_ROUTE_FORM, 200, 1000);
		intake_metrics_request(INTAKE_ROUTE__MAX, 404, 10);
		intake_metrics_count(INTAKE_METRIC_TOKEN_FETCH_OK);
		_exit(0);
	}
	T_EQ_INT(t_wait_child(pid, 10000), 0);
	page = scrape();
	T_CONTAINS(page, "intake_http_requests_total{route=\"forms\",status=\"200\"} 2\n");
	T_CONTAINS(page, "intake_http_requests_total{route=\"none\",status=\"404\"} 1\n");
	T_CONTAINS(page, "intake_token_fetches_total{result=\"ok\"} 1\n");
	free(page);
	intake_metrics_close();
}

static void
test_attach_keeps_counts_and_fresh_starts_from_zero(void)
{
	char	*page;

	open_fresh();
	intake_metrics_count(INTAKE_METRIC_RATE_LIMITED_FORM);
	T_EQ_INT(intake_metrics_open(&cfg, false), INTAKE_OK);
	page = scrape();
	T_CONTAINS(page, "intake_rate_limited_total{scope=\"form\"} 1\n");
	free(page);
	T_EQ_INT(intake_metrics_open(&cfg, true), INTAKE_OK);
	page = scrape();
	T_CONTAINS(page, "intake_rate_limited_total{scope=\"form\"} 0\n");
	free(page);
	intake_metrics_close();
}

/* A CGI process attaching while the pool runs must not wait on the pool's mapping. */
static void
test_attach_while_another_process_maps_it_does_not_block(void)
{
	pid_t	pid;

	open_fresh();
	pid = fork();
	if (pid == 0) {
		alarm(10);
		_exit(intake_metrics_open(&cfg, false) == INTAKE_OK ? 0 : 1);
	}
	T_EQ_INT(t_wait_child(pid, 15000), 0);
	intake_metrics_close();
}

static void
test_histogram_buckets_are_cumulative(void)
{
	char	*page;

	open_fresh();
	intake_metrics_request(INTAKE_ROUTE_CHOICES, 200, 30000);	/* 30 ms */
	intake_metrics_request(INTAKE_ROUTE_CHOICES, 200, 4000);	/* 4 ms */
	intake_metrics_request(INTAKE_ROUTE_CHOICES, 502, 20000000);	/* 20 s */
	page = scrape();
	T_CONTAINS(page, "intake_http_request_duration_seconds_bucket{route=\"choices\","
	    "le=\"0.005\"} 1\n");
	T_CONTAINS(page, "intake_http_request_duration_seconds_bucket{route=\"choices\","
	    "le=\"0.025\"} 1\n");
	T_CONTAINS(page, "intake_http_request_duration_seconds_bucket{route=\"choices\","
	    "le=\"0.05\"} 2\n");
	T_CONTAINS(page, "intake_http_request_duration_seconds_bucket{route=\"choices\","
	    "le=\"10\"} 2\n");
	T_CONTAINS(page, "intake_http_request_duration_seconds_bucket{route=\"choices\","
	    "le=\"+Inf\"} 3\n");
	T_CONTAINS(page, "intake_http_request_duration_seconds_sum{route=\"choices\"} 20.034000\n");
	T_CONTAINS(page, "intake_http_request_duration_seconds_count{route=\"choices\"} 3\n");
	free(page);
	intake_metrics_close();
}

static void
test_upstream_kind_comes_from_the_path_table(void)
{
	T_EQ_INT(intake_metrics_upstream_kind("http://h:1/access/impersonate?key=k&user=u"),
	    INTAKE_UPSTREAM_TOKEN);
	T_EQ_INT(intake_metrics_upstream_kind("https://h/t/oauth2/token"), INTAKE_UPSTREAM_TOKEN);
	T_EQ_INT(intake_metrics_upstream_kind("https://h/api/auth/apikey/K/impersonate/u"),
	    INTAKE_UPSTREAM_TOKEN);
	T_EQ_INT(intake_metrics_upstream_kind("https://h/reports/SID/csv"), INTAKE_UPSTREAM_REPORT);
	T_EQ_INT(intake_metrics_upstream_kind("https://h/api/instance/start/P?requestName=x"),
	    INTAKE_UPSTREAM_START);
	T_EQ_INT(intake_metrics_upstream_kind("https://h/instances/P/start"), INTAKE_UPSTREAM_START);
	T_EQ_INT(intake_metrics_upstream_kind("https://h/files/upload"), INTAKE_UPSTREAM_UPLOAD);
	T_EQ_INT(intake_metrics_upstream_kind("https://h/api/instance/list/all?search=r"),
	    INTAKE_UPSTREAM_SEARCH);
	T_EQ_INT(intake_metrics_upstream_kind("https://h/processes"), INTAKE_UPSTREAM_PROCESSES);
	/* The query is never looked at: it may hold a client's search text. */
	T_EQ_INT(intake_metrics_upstream_kind("https://h/api/instance/list/all?search=/reports/"),
	    INTAKE_UPSTREAM_SEARCH);
	T_EQ_INT(intake_metrics_upstream_kind("https://h/tasks/T?x=/files/"), INTAKE_UPSTREAM_OTHER);
	T_EQ_INT(intake_metrics_upstream_kind(NULL), INTAKE_UPSTREAM_OTHER);
}

static void
test_upstream_outcome_is_a_status_class_or_a_reason(void)
{
	char	*page;

	open_fresh();
	intake_metrics_upstream("https://h/reports/S/csv", 200, INTAKE_OK, 1000);
	intake_metrics_upstream("https://h/reports/S/csv", 503, INTAKE_OK, 1000);
	intake_metrics_upstream("https://h/processes", 0, INTAKE_ETIMEOUT, 1000);
	intake_metrics_upstream("https://h/processes", 0, INTAKE_ETOOBIG, 1000);
	intake_metrics_upstream("https://h/processes", 0, INTAKE_EUPSTREAM, 1000);
	page = scrape();
	T_CONTAINS(page, "intake_upstream_requests_total{kind=\"report\",status=\"2xx\"} 1\n");
	T_CONTAINS(page, "intake_upstream_requests_total{kind=\"report\",status=\"5xx\"} 1\n");
	T_CONTAINS(page, "intake_upstream_requests_total{kind=\"processes\",status=\"timeout\"} 1\n");
	T_CONTAINS(page, "intake_upstream_requests_total{kind=\"processes\",status=\"too_big\"} 1\n");
	T_CONTAINS(page, "intake_upstream_requests_total{kind=\"processes\",status=\"error\"} 1\n");
	T_CONTAINS(page, "intake_upstream_request_duration_seconds_count{kind=\"report\"} 2\n");
	free(page);
	intake_metrics_close();
}

/* Every label value in page, checked against the closed sets of metrics.c. */
static void
check_label_values(const char *page)
{
	static const char *const allowed[] = {
		/* routes */ "healthz", "readyz", "processes", "choices", "reports", "forms",
		"metrics", "status", "none",
		/* upstream kinds and outcomes */ "token", "report", "start", "upload", "search",
		"other", "2xx", "3xx", "4xx", "5xx", "timeout", "too_big", "error",
		/* counters' labels */ "ok", "failed", "hit", "miss", "stale", "stale_error",
		"client", "form", "accepted", "delivered", "held", "dead", "quarantined", "duplicate",
		"journal", "checkpoint", "state",
		/* gauges */ "queued", "closed", "open", "half-open",
		/* TLS handshakes */ "full", "resumed",
		/* buckets */ "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5",
		"5", "10", "+Inf",
	};
	const char	*p = page, *q;
	char		 v[64];
	size_t		 i, n;
	long long	 code;

	while ((p = strstr(p, "=\"")) != NULL) {
		p += 2;
		q = strchr(p, '"');
		T_ASSERT(q != NULL && (size_t)(q - p) < sizeof(v));
		if (q == NULL || (size_t)(q - p) >= sizeof(v))
			return;
		n = (size_t)(q - p);
		memcpy(v, p, n);
		v[n] = '\0';
		p = q + 1;
		if (intake_parse_int(v, 100, 599, &code) == INTAKE_OK)
			continue;	/* a status from the code table */
		for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
			if (strcmp(v, allowed[i]) == 0)
				break;
		if (i == sizeof(allowed) / sizeof(allowed[0]))
			T_FAIL("label value \"%s\" is not from a table", v);
	}
}

static void
test_label_cardinality_flood_makes_no_new_series(void)
{
	char	*before, *after, url[256];
	int	 i;

	open_fresh();
	before = scrape();
	/* Whatever a client sends, it lands in a row that exists already. */
	for (i = 0; i < 500; i++) {
		(void)snprintf(url, sizeof(url), "https://h/evil%d\"}x{a=\"%d?q=/reports/", i, i);
		intake_metrics_upstream(url, 100 + i, INTAKE_OK, i);
		intake_metrics_request(1000 + i, 100 + i, i);
		intake_metrics_request(-i - 1, 999, i);
		intake_metrics_list(i - 250);
		intake_metrics_count((enum intake_metric)(INTAKE_METRIC__MAX + i));
	}
	after = scrape();
	T_NOT_CONTAINS(after, "evil");
	check_label_values(after);
	/* The request counter shows non-zero rows only: "none" with "other" and 200-ish codes. */
	T_CONTAINS(after, "intake_http_requests_total{route=\"none\",status=\"other\"}");
	T_ASSERT(strlen(after) < strlen(before) + 2048);
	free(before);
	free(after);
	intake_metrics_close();
}

static void
test_every_sample_belongs_to_a_declared_family(void)
{
	char		*page, *line, *next, name[128], family[128];
	size_t		 n;
	const char	*suffixes[] = { "_bucket", "_sum", "_count" };
	size_t		 i, len;

	open_fresh();
	intake_metrics_list(INTAKE_REPORT_HIT);
	page = scrape();
	family[0] = '\0';
	for (line = page; *line != '\0'; line = next) {
		next = strchr(line, '\n');
		T_ASSERT(next != NULL);	/* every line ends with a newline */
		if (next == NULL)
			break;
		*next++ = '\0';
		if (strncmp(line, "# HELP ", 7) == 0)
			continue;
		if (strncmp(line, "# TYPE ", 7) == 0) {
			n = strcspn(line + 7, " ");
			T_ASSERT(n < sizeof(family));
			memcpy(family, line + 7, n);
			family[n] = '\0';
			continue;
		}
		n = strcspn(line, "{ ");
		T_ASSERT(n > 0 && n < sizeof(name));
		memcpy(name, line, n);
		name[n] = '\0';
		for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
			len = strlen(suffixes[i]);
			if (strcmp(name, family) != 0 && n > len &&
			    strcmp(name + n - len, suffixes[i]) == 0)
				name[n - len] = '\0';
		}
		if (strcmp(name, family) != 0)
			T_FAIL("sample %s outside its family %s", line, family);
		/* A value after the last space. */
		T_ASSERT(strrchr(line, ' ') != NULL && strrchr(line, ' ')[1] != '\0');
	}
	free(page);
	intake_metrics_close();
}

static void
test_status_page_is_json_with_the_pool(void)
{
	struct intake_metrics_gauges	 g;
	struct intake_buf		 b;
	struct json_object		*root = NULL, *o, *v;

	open_fresh();
	intake_metrics_configured(3);
	intake_metrics_row(0, 4242);
	intake_metrics_row(1, 4243);
	intake_metrics_self(1);
	intake_metrics_busy(true);
	intake_metrics_slot(1);
	intake_metrics_request(INTAKE_ROUTE_STATUS, 200, 10);
	intake_metrics_count(INTAKE_METRIC_WORKER_RESTART);
	no_gauges(&g);
	g.token_cached = true;
	g.token_left_s = 300;
	intake_buf_init(&b, PAGE_MAX);
	T_EQ_INT(intake_metrics_status(&g, &b), INTAKE_OK);
	T_EQ_INT(intake_json_parse(intake_buf_str(&b), b.len, &root), INTAKE_OK);
	T_ASSERT(json_object_object_get_ex(root, "workers", &o));
	T_ASSERT(json_object_object_get_ex(o, "configured", &v));
	T_EQ_INT(json_object_get_int(v), 3);
	T_ASSERT(json_object_object_get_ex(o, "alive", &v));
	T_EQ_INT(json_object_get_int(v), 2);
	T_ASSERT(json_object_object_get_ex(o, "busy", &v));
	T_EQ_INT(json_object_get_int(v), 1);
	T_ASSERT(json_object_object_get_ex(root, "upstream_slots", &o));
	T_ASSERT(json_object_object_get_ex(o, "in_use", &v));
	T_EQ_INT(json_object_get_int(v), 1);
	T_ASSERT(json_object_object_get_ex(root, "token", &o));
	T_ASSERT(json_object_object_get_ex(o, "seconds_left", &v));
	T_EQ_INT(json_object_get_int(v), 300);
	T_ASSERT(json_object_object_get_ex(root, "restarts", &o));
	T_ASSERT(json_object_object_get_ex(o, "workers", &v));
	T_EQ_INT(json_object_get_int(v), 1);
	T_ASSERT(json_object_object_get_ex(root, "processes", &o));
	T_EQ_INT((int)json_object_array_length(o), 2);
	/* A row the pool clears no longer counts. */
	intake_metrics_row(0, 0);
	intake_buf_reset(&b);
	T_EQ_INT(intake_metrics_status(&g, &b), INTAKE_OK);
	T_CONTAINS(intake_buf_str(&b), "\"alive\":1,");
	json_object_put(root);
	intake_buf_free(&b);
	intake_metrics_close();
}

static void
test_hooks_before_open_do_nothing(void)
{
	struct intake_metrics_gauges	g;
	struct intake_buf		b;

	intake_metrics_close();
	intake_metrics_request(INTAKE_ROUTE_FORM, 200, 1);
	intake_metrics_upstream("https://h/processes", 200, INTAKE_OK, 1);
	intake_metrics_count(INTAKE_METRIC_SPOOL_ACCEPTED);
	intake_metrics_busy(true);
	intake_metrics_slot(1);
	no_gauges(&g);
	intake_buf_init(&b, PAGE_MAX);
	T_EQ_INT(intake_metrics_render(&g, &b), INTAKE_EINVAL);
	intake_buf_free(&b);
}

/*
 * The labels come from the process model: without them a request counts
 * under "none" and no breaker series is drawn; a table with more routes
 * than the file has rows for is refused, and the labels in use stay.
 */
static void
test_labels_are_handed_in_and_bounded(void)
{
	struct intake_metrics_labels	 none, huge;
	static const char *const	 many[INTAKE_METRICS_ROUTES_MAX + 1] = { "r" };
	char				*page;

	memset(&none, 0, sizeof(none));
	intake_metrics_labels(&none);
	open_fresh();
	intake_metrics_request(INTAKE_ROUTE_FORM, 200, 1);
	intake_metrics_list(INTAKE_REPORT_HIT);
	page = scrape();
	T_CONTAINS(page, "intake_http_requests_total{route=\"none\",status=\"200\"} 1\n");
	T_NOT_CONTAINS(page, "route=\"forms\"");
	T_NOT_CONTAINS(page, "intake_breaker_state{");
	T_CONTAINS(page, "intake_list_cache_total{result=\"hit\"} 0\n");
	free(page);
	intake_proc_labels();
	memset(&huge, 0, sizeof(huge));
	huge.routes = many;
	huge.nroutes = INTAKE_METRICS_ROUTES_MAX + 1;
	intake_metrics_labels(&huge);
	intake_metrics_request(INTAKE_ROUTE_FORM, 200, 1);
	page = scrape();
	T_CONTAINS(page, "intake_http_requests_total{route=\"forms\",status=\"200\"} 1\n");
	T_CONTAINS(page, "intake_breaker_state{state=\"closed\"} 1\n");
	free(page);
	intake_metrics_close();
}

int
main(void)
{
	/* The labels the process model hands in, as in the pool, the CGI and the dispatcher. */
	intake_proc_labels();
	T_RUN(test_counts_from_a_forked_child_are_seen_by_the_parent);
	T_RUN(test_attach_keeps_counts_and_fresh_starts_from_zero);
	T_RUN(test_attach_while_another_process_maps_it_does_not_block);
	T_RUN(test_histogram_buckets_are_cumulative);
	T_RUN(test_upstream_kind_comes_from_the_path_table);
	T_RUN(test_upstream_outcome_is_a_status_class_or_a_reason);
	T_RUN(test_label_cardinality_flood_makes_no_new_series);
	T_RUN(test_every_sample_belongs_to_a_declared_family);
	T_RUN(test_status_page_is_json_with_the_pool);
	T_RUN(test_hooks_before_open_do_nothing);
	T_RUN(test_labels_are_handed_in_and_bounded);
	return T_DONE();
}
