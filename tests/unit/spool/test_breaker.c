/*
 * test_breaker.c - the shared circuit breaker: opens after N failures in
 * a row, lets exactly one probe through once the cool-down is over, and
 * closes on the probe's success.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache/cache.h"
#include "spool/breaker.h"
#include "util/str.h"
#include "t.h"

struct fixture {
	char			dir[256];
	struct intake_config	cfg;
	struct intake_ctx	ctx;
};

static void
setup(struct fixture *f, long long failures, long long cooldown)
{
	memset(f, 0, sizeof(*f));
	t_mkdtemp(f->dir, sizeof(f->dir));
	(void)snprintf(f->cfg.cache_file, sizeof(f->cfg.cache_file), "%s/cache.shm", f->dir);
	f->cfg.cache_entries = 16;
	f->cfg.cache_entry_max = 4096;
	f->cfg.mark_entries = 256;
	f->cfg.breaker_failures = failures;
	f->cfg.breaker_cooldown = cooldown;
	f->cfg.timeout_ms = 1000;
	f->ctx.cfg = &f->cfg;
	if (intake_cache_open_marks(&f->cfg, true, &f->ctx.marks) != INTAKE_OK)
		abort();
}

static void
teardown(struct fixture *f)
{
	intake_cache_close(f->ctx.marks);
}

static void
test_breaker_opens_after_failures_in_a_row(void)
{
	struct fixture	f;
	int64_t		until;
	bool		probe;
	int		i;

	setup(&f, 3, 60);
	for (i = 0; i < 2; i++) {
		T_ASSERT(intake_breaker_allow(&f.ctx, &probe));
		intake_breaker_failure(&f.ctx, -1);
	}
	/* A success in between resets the count. */
	intake_breaker_success(&f.ctx);
	for (i = 0; i < 2; i++)
		intake_breaker_failure(&f.ctx, -1);
	T_EQ_INT(intake_breaker_state(&f.ctx, &until), INTAKE_BREAKER_CLOSED);
	intake_breaker_failure(&f.ctx, -1);
	T_EQ_INT(intake_breaker_state(&f.ctx, &until), INTAKE_BREAKER_OPEN);
	T_ASSERT(until > intake_now_ms() + 50000);
	T_ASSERT(!intake_breaker_allow(&f.ctx, &probe));
	teardown(&f);
}

static void
test_breaker_honours_a_longer_retry_after(void)
{
	struct fixture	f;
	int64_t		until;

	setup(&f, 1, 1);
	intake_breaker_failure(&f.ctx, 120);
	T_EQ_INT(intake_breaker_state(&f.ctx, &until), INTAKE_BREAKER_OPEN);
	T_ASSERT(until > intake_now_ms() + 100000);
	teardown(&f);
}

static void
test_breaker_one_probe_then_closes(void)
{
	struct fixture	f;
	int64_t		until;
	bool		probe, probe2;

	setup(&f, 1, 1);
	intake_breaker_failure(&f.ctx, -1);
	T_ASSERT(!intake_breaker_allow(&f.ctx, &probe));
	t_sleep_ms(1100);
	T_EQ_INT(intake_breaker_state(&f.ctx, &until), INTAKE_BREAKER_HALF_OPEN);
	T_ASSERT(intake_breaker_allow(&f.ctx, &probe));
	T_ASSERT(probe);
	/* Everyone else waits for the probe. */
	T_ASSERT(!intake_breaker_allow(&f.ctx, &probe2));
	T_ASSERT(!probe2);
	T_EQ_INT(intake_breaker_closed_at(&f.ctx), 0);
	intake_breaker_success(&f.ctx);
	T_EQ_INT(intake_breaker_state(&f.ctx, &until), INTAKE_BREAKER_CLOSED);
	T_ASSERT(intake_breaker_closed_at(&f.ctx) > 0);
	T_ASSERT(intake_breaker_allow(&f.ctx, &probe));
	T_ASSERT(!probe);
	teardown(&f);
}

static void
test_breaker_failed_probe_opens_again(void)
{
	struct fixture	f;
	int64_t		until;
	bool		probe;

	setup(&f, 5, 1);
	for (int i = 0; i < 5; i++)
		intake_breaker_failure(&f.ctx, -1);
	t_sleep_ms(1100);
	T_ASSERT(intake_breaker_allow(&f.ctx, &probe) && probe);
	/* One failure is enough while half-open. */
	intake_breaker_failure(&f.ctx, -1);
	T_EQ_INT(intake_breaker_state(&f.ctx, &until), INTAKE_BREAKER_OPEN);
	teardown(&f);
}

static void
test_breaker_counts_only_upstream_failures(void)
{
	T_ASSERT(intake_breaker_counts(INTAKE_ETIMEOUT));
	T_ASSERT(intake_breaker_counts(INTAKE_EUPSTREAM));
	T_ASSERT(intake_breaker_counts(INTAKE_EAUTH));
	T_ASSERT(!intake_breaker_counts(INTAKE_EPROTO));
	T_ASSERT(!intake_breaker_counts(INTAKE_ENOTFOUND));
	T_ASSERT(!intake_breaker_counts(INTAKE_EINVAL));
}

int
main(void)
{
	T_RUN(test_breaker_opens_after_failures_in_a_row);
	T_RUN(test_breaker_honours_a_longer_retry_after);
	T_RUN(test_breaker_one_probe_then_closes);
	T_RUN(test_breaker_failed_probe_opens_again);
	T_RUN(test_breaker_counts_only_upstream_failures);
	return T_DONE();
}
