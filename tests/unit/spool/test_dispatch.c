/*
 * test_dispatch.c - the dispatcher's look at one queued record: a record
 * whose form is gone is set aside for a person, and when dead/ refuses
 * it, it stays queued and waits its retry instead of being taken again
 * on every pass (and logged as held although it is not).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spool/dispatch.h"
#include "spool/spool.h"
#include "util/str.h"
#include "t.h"

#define REF	"ABCD-EFGH-JKMN"

struct fixture {
	char			 dir[256];
	struct intake_config	 cfg;
	struct intake_ctx	 ctx;
};

/* A spool holding one queued record of form "gone", which the config does not have. */
static void
setup(struct fixture *f)
{
	struct intake_spoolrec		*rec = calloc(1, sizeof(*rec));
	enum intake_spool_status	 existing;
	struct intake_spool_hold	 h;
	struct intake_buf		 b;
	char				 path[300];

	memset(f, 0, sizeof(*f));
	t_mkdtemp(f->dir, sizeof(f->dir));
	(void)snprintf(path, sizeof(path), "%s/spool", f->dir);
	f->cfg.body_max = 65536;
	f->cfg.spool_retry_max = 60;
	f->ctx.cfg = &f->cfg;
	if (rec == NULL || intake_spool_open(path, &f->ctx.spool) != INTAKE_OK)
		abort();
	rec->ref = REF;
	rec->form = "gone";
	rec->name = "a request";
	rec->created_ms = intake_now_ms() - 1000;
	intake_buf_init(&b, 65536);
	if (intake_spoolrec_encode(rec, &b) != INTAKE_OK ||
	    intake_spool_accept(f->ctx.spool, REF, &b, &h, &existing) != INTAKE_OK)
		abort();
	intake_spool_release(&h);
	intake_buf_free(&b);
	free(rec);
}

/* Files in dir, dot files aside. */
static int
count_files(const char *dir)
{
	struct dirent	*de;
	DIR		*d = opendir(dir);
	int		 n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] != '.';
	(void)closedir(d);
	return n;
}

static void
teardown(struct fixture *f)
{
	intake_spool_close(f->ctx.spool);
}

static void
test_dispatch_record_of_a_removed_form_is_set_aside(void)
{
	struct intake_spool_meta	m;
	struct fixture			f;

	setup(&f);
	T_ASSERT(intake_dispatcher_one(&f.ctx, REF, 0));
	T_EQ_INT(intake_spool_lookup(f.ctx.spool, REF, &m), INTAKE_SPOOL_DEAD);
	T_CONTAINS(m.error, "form gone no longer exists");
	T_ASSERT(m.at_ms != 0);
	teardown(&f);
}

static void
test_dispatch_refused_bury_keeps_the_record_queued_for_a_retry(void)
{
	struct intake_spool_meta	m;
	struct fixture			f;
	char				path[320];

	setup(&f);
	/* dead/ goes away under the open spool: every bury fails, even for root. */
	(void)snprintf(path, sizeof(path), "%s/spool/dead", f.dir);
	T_EQ_INT(rmdir(path), 0);
	T_ASSERT(intake_dispatcher_one(&f.ctx, REF, 0));
	T_EQ_INT(intake_spool_lookup(f.ctx.spool, REF, &m), INTAKE_SPOOL_QUEUED);
	T_CONTAINS(m.error, "form gone no longer exists");
	T_ASSERT(m.next_ms > intake_now_ms() + 30 * 1000);
	/* Not due: the next pass leaves it alone instead of failing again at once. */
	T_ASSERT(!intake_dispatcher_one(&f.ctx, REF, 0));
	teardown(&f);
}

/* Bytes that are no record (a disk fault, a hand edit): quarantined, and the scan goes on. */
static void
test_dispatch_unreadable_record_is_quarantined(void)
{
	enum intake_spool_status	 existing;
	struct intake_spool_hold	 h;
	struct intake_spool_meta	 m;
	struct intake_buf		 b;
	struct fixture			 f;
	char				 path[320];

	setup(&f);
	intake_buf_init(&b, 64);
	T_EQ_INT(intake_buf_adds(&b, "intake-spool 2\nnot a record"), INTAKE_OK);
	T_EQ_INT(intake_spool_accept(f.ctx.spool, "0000-1111-2222", &b, &h, &existing),
	    INTAKE_OK);
	intake_spool_release(&h);
	intake_buf_free(&b);
	T_ASSERT(intake_dispatcher_one(&f.ctx, "0000-1111-2222", 0));
	T_EQ_INT(intake_spool_lookup(f.ctx.spool, "0000-1111-2222", &m), INTAKE_SPOOL_UNKNOWN);
	(void)snprintf(path, sizeof(path), "%s/spool/quarantine", f.dir);
	T_EQ_INT(count_files(path), 1);
	teardown(&f);
}

int
main(void)
{
	T_RUN(test_dispatch_record_of_a_removed_form_is_set_aside);
	T_RUN(test_dispatch_refused_bury_keeps_the_record_queued_for_a_retry);
	T_RUN(test_dispatch_unreadable_record_is_quarantined);
	return T_DONE();
}
