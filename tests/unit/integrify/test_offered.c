/*
 * test_offered.c - lib/integrify/offered.c: a choice that cannot be
 * checked is not taken.  (A value the live list offers, and one it does
 * not, are tried end to end by tests/integration/test_form_post.py.)
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache/cache.h"
#include "core/ctx.h"
#include "integrify/http.h"
#include "integrify/offered.h"
#include "integrify/report.h"

#include "t.h"

struct fixture {
	char			 dir[256];
	char			 conf[512];
	struct intake_config	*cfg;
	struct intake_ctx	 ctx;
};

/* A loopback port nobody listens on (bound, then closed). */
static int
closed_port(void)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);
	int			fd, port;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd == -1 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1)
		abort();
	port = ntohs(sin.sin_port);
	(void)close(fd);
	return port;
}

/* A worker's ctx on a config whose Integrify cannot be reached. */
static void
setup(struct fixture *f)
{
	char	text[2048], err[1024];
	int	n;

	memset(f, 0, sizeof(*f));
	t_mkdtemp(f->dir, sizeof(f->dir));
	t_write_file(f->dir, "key", "k\n", 2, NULL, 0);
	n = snprintf(text, sizeof(text),
	    "[server]\ncache_file = %s/cache.shm\ncache_entries = 8\n"
	    "[integrify]\ndialect = v7\nflow = impersonate\n"
	    "base_url = http://127.0.0.1:%d\nallow_http = yes\nuser = svc\n"
	    "key_file = %s/key\nconnect_timeout_ms = 500\ntimeout_ms = 1000\n"
	    "fetch_failure_ttl = 0\n"
	    "[source:depts]\nreport = d1\n"
	    "[report:people]\nreport = p1\n", f->dir, closed_port(), f->dir);
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
teardown(struct fixture *f)
{
	intake_report_cache_free(f->ctx.reports);
	intake_http_free(f->ctx.http);
	intake_cache_close(f->ctx.cache);
	intake_cache_close(f->ctx.marks);
	intake_cache_close(f->ctx.lists);
	intake_config_free(f->cfg);
}

/* A field of the given source. */
static struct intake_field
field(const char *source)
{
	struct intake_field	fd;

	memset(&fd, 0, sizeof(fd));
	memcpy(fd.name, "pick", 5);
	fd.type = INTAKE_FIELD_SELECT;
	if (strlen(source) >= sizeof(fd.source))
		abort();
	memcpy(fd.source, source, strlen(source) + 1);
	return fd;
}

/* A field naming a list the config lacks (or a table, not a list) offers nothing. */
static void
test_offered_unknown_source_takes_nothing(void)
{
	struct fixture		f;
	struct intake_field	fd;

	setup(&f);
	fd = field("nope");
	T_ASSERT(!intake_field_offered(&f.ctx, &fd, "A", NULL));
	fd = field("people");	/* a [report:] table is no choice list */
	T_ASSERT(!intake_field_offered(&f.ctx, &fd, "A", NULL));
	teardown(&f);
}

/* Integrify down and no copy of the list: the value is refused, not waved through. */
static void
test_offered_fails_closed_when_the_list_cannot_be_had(void)
{
	struct fixture		f;
	struct intake_field	fd;

	setup(&f);
	fd = field("depts");
	T_ASSERT(!intake_field_offered(&f.ctx, &fd, "A", NULL));
	T_ASSERT(!intake_field_offered(&f.ctx, &fd, "", NULL));
	/* A child's pair is read from the same list: no list, no pair. */
	memcpy(fd.parent, "reg", 4);
	memcpy(fd.parent_column, "Region", 7);
	T_ASSERT(!intake_field_offered(&f.ctx, &fd, "A", "EMEA"));
	teardown(&f);
}

int
main(void)
{
	T_RUN(test_offered_unknown_source_takes_nothing);
	T_RUN(test_offered_fails_closed_when_the_list_cannot_be_had);
	return T_DONE();
}
