/*
 * test_upstream.c - lib/integrify/upstream.c: the count of slots, taking and giving
 * them across processes, nesting, and slots of killed holders coming back
 * (reaped by the supervisor, or found dead as under plain CGI); the shared
 * estimate of how long work takes and the rule for waiting on it.
 */
#include <string.h>

#include "cache/cache.h"
#include "core/log.h"
#include "util/str.h"
#include "integrify/upstream.h"

#include "t.h"

struct fixture {
	char			dir[256];
	struct intake_config	cfg;
	struct intake_cache	*marks;
	struct intake_ctx	ctx;
};

static void
setup(struct fixture *f, long long workers, long long slots)
{
	memset(f, 0, sizeof(*f));
	t_mkdtemp(f->dir, sizeof(f->dir));
	(void)snprintf(f->cfg.cache_file, sizeof(f->cfg.cache_file), "%s/cache.shm", f->dir);
	f->cfg.mark_entries = 256;
	f->cfg.workers = workers;
	f->cfg.upstream_slots = slots;
	f->cfg.timeout_ms = 10000;
	f->cfg.upstream_wait_ms = 2000;
	f->cfg.breaker_cooldown = 60;
	if (intake_cache_open_marks(&f->cfg, true, &f->marks) != INTAKE_OK)
		abort();
	f->ctx.cfg = &f->cfg;
	f->ctx.marks = f->marks;
}

static void
teardown(struct fixture *f)
{
	intake_cache_close(f->marks);
}

/*
 * Fork a process (a worker) that tries to take a slot, says on a pipe
 * whether it got one ('y') or not ('n'), and then holds it until killed.
 * Its pid; the answer in *got.
 */
static pid_t
fork_taker(struct fixture *f, bool *got)
{
	struct intake_upstream_slot	s;
	pid_t				pid;
	char				b = '?';
	int				p[2];

	if (pipe(p) == -1)
		abort();
	pid = t_fork_helper();
	if (pid == -1)
		abort();
	if (pid == 0) {
		(void)close(p[0]);
		if (intake_cache_child_init(f->marks) != INTAKE_OK)
			_exit(3);
		b = intake_upstream_take(&f->ctx, &s) == INTAKE_OK ? 'y' : 'n';
		if (write(p[1], &b, 1) != 1)
			_exit(4);
		for (;;)
			pause();
	}
	(void)close(p[1]);
	if (read(p[0], &b, 1) != 1)
		abort();
	(void)close(p[0]);
	*got = b == 'y';
	return pid;
}

static void
kill_and_reap(pid_t pid)
{
	(void)kill(pid, SIGKILL);
	(void)waitpid(pid, NULL, 0);
}

static void
test_upstream_count_defaults_to_half_the_workers(void)
{
	struct intake_config	cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.workers = 4;
	T_EQ_INT(intake_upstream_count(&cfg), 2);
	cfg.workers = 5;
	T_EQ_INT(intake_upstream_count(&cfg), 2);
	cfg.workers = 1;
	T_EQ_INT(intake_upstream_count(&cfg), 1);
	cfg.upstream_slots = 3;
	T_EQ_INT(intake_upstream_count(&cfg), 3);
}

/* Every process counts: the third of two slots is refused, at once. */
static void
test_upstream_third_process_is_refused_without_waiting(void)
{
	struct intake_upstream_slot	s;
	struct fixture			f;
	pid_t				a, b;
	bool				got_a, got_b;

	setup(&f, 4, 0);
	a = fork_taker(&f, &got_a);
	b = fork_taker(&f, &got_b);
	T_ASSERT(got_a);
	T_ASSERT(got_b);
	T_EQ_INT(intake_upstream_take(&f.ctx, &s), INTAKE_EBUSY);
	T_ASSERT(!s.taken);
	kill_and_reap(a);
	kill_and_reap(b);
	teardown(&f);
}

/* A slot given back is free for the next process. */
static void
test_upstream_give_frees_the_slot(void)
{
	struct intake_upstream_slot	s;
	struct fixture			f;
	pid_t				a;
	bool				got;

	setup(&f, 2, 0);
	T_EQ_INT(intake_upstream_take(&f.ctx, &s), INTAKE_OK);
	T_ASSERT(s.taken);
	T_ASSERT(s.index == 0);
	intake_upstream_give(&f.ctx, &s);
	T_ASSERT(!s.taken);
	/* The child inherits no slot of ours: it must find one free. */
	a = fork_taker(&f, &got);
	T_ASSERT(got);
	T_EQ_INT(intake_upstream_take(&f.ctx, &s), INTAKE_EBUSY);
	kill_and_reap(a);
	T_EQ_INT(intake_upstream_take(&f.ctx, &s), INTAKE_OK);
	intake_upstream_give(&f.ctx, &s);
	teardown(&f);
}

/*
 * Nested work (a token fetch inside a start) shares the process's slot:
 * it never refuses itself, and giving the inner one keeps the outer.
 */
static void
test_upstream_nested_take_shares_the_slot(void)
{
	struct intake_upstream_slot	outer, inner;
	struct fixture			f;
	pid_t				a;
	bool				got, leader = true;

	setup(&f, 1, 0);
	T_EQ_INT(intake_upstream_take(&f.ctx, &outer), INTAKE_OK);
	T_EQ_INT(intake_upstream_take(&f.ctx, &inner), INTAKE_OK);
	T_ASSERT(inner.taken);
	T_EQ_INT(inner.index, -1);
	intake_upstream_give(&f.ctx, &inner);
	intake_upstream_give(&f.ctx, &inner);	/* twice: a no-op */
	/*
	 * The outer slot is still held.  (A child forked now would inherit our
	 * count, so ask the cache: the lease is live and not taken again.)
	 */
	T_EQ_INT(intake_cache_lease(f.marks, "upstream", "slot:0", 1000, &leader), INTAKE_OK);
	T_ASSERT(!leader);
	intake_upstream_give(&f.ctx, &outer);
	a = fork_taker(&f, &got);
	T_ASSERT(got);
	kill_and_reap(a);
	teardown(&f);
}

/*
 * Attack: a worker SIGKILLed in the middle of an upstream call must not
 * keep its slot.  The supervisor reaps it (the zombie still exists, so
 * only the reap can tell) and the slot is free at once.
 */
static void
test_upstream_slot_of_sigkilled_worker_comes_back_on_reap(void)
{
	struct intake_upstream_slot	s;
	struct fixture			f;
	siginfo_t			info;
	pid_t				a;
	bool				got;

	setup(&f, 2, 0);
	a = fork_taker(&f, &got);
	T_ASSERT(got);
	T_EQ_INT(kill(a, SIGKILL), 0);
	/* Wait for its death but leave the zombie, as the supervisor's SIGCHLD does. */
	T_EQ_INT(waitid(P_PID, (id_t)a, &info, WEXITED | WNOWAIT), 0);
	T_EQ_INT(intake_upstream_take(&f.ctx, &s), INTAKE_EBUSY);
	intake_cache_reap(f.marks, a);
	T_EQ_INT(intake_upstream_take(&f.ctx, &s), INTAKE_OK);
	intake_upstream_give(&f.ctx, &s);
	(void)waitpid(a, NULL, 0);
	teardown(&f);
}

/* Plain CGI has no supervisor: a dead holder's slot is found free all the same. */
static void
test_upstream_slot_of_dead_cgi_process_is_free_without_reap(void)
{
	struct intake_upstream_slot	s;
	struct fixture			f;
	pid_t				a;
	bool				got;

	setup(&f, 2, 0);
	a = fork_taker(&f, &got);
	T_ASSERT(got);
	T_EQ_INT(intake_upstream_take(&f.ctx, &s), INTAKE_EBUSY);
	kill_and_reap(a);
	T_EQ_INT(intake_upstream_take(&f.ctx, &s), INTAKE_OK);
	intake_upstream_give(&f.ctx, &s);
	teardown(&f);
}

/* Without a shared cache the work goes on, uncounted: never a refusal. */
static void
test_upstream_without_cache_fails_open(void)
{
	struct intake_upstream_slot	s;
	struct fixture			f;

	setup(&f, 2, 0);
	f.ctx.marks = NULL;
	T_EQ_INT(intake_upstream_take(&f.ctx, &s), INTAKE_OK);
	T_ASSERT(s.taken);
	T_EQ_INT(s.index, -1);
	intake_upstream_give(&f.ctx, &s);
	teardown(&f);
}

/* A start cut by the budget pauses inline starts for every process, not just its own. */
static void
test_upstream_inline_pause_is_seen_by_every_process(void)
{
	struct fixture	f;
	pid_t		pid;

	setup(&f, 4, 0);
	T_ASSERT(!intake_upstream_inline_paused(&f.ctx));
	pid = t_fork_helper();
	if (pid == 0) {
		intake_upstream_pause_inline(&f.ctx);
		_exit(0);
	}
	T_EQ_INT(t_wait_child(pid, 10000), 0);
	T_ASSERT(intake_upstream_inline_paused(&f.ctx));
	teardown(&f);
}

/* The pause ends by itself after breaker_cooldown. */
static void
test_upstream_inline_pause_ends(void)
{
	struct fixture	f;

	setup(&f, 4, 0);
	f.cfg.breaker_cooldown = 0;	/* out of the config's range: ends at once */
	intake_upstream_pause_inline(&f.ctx);
	T_ASSERT(!intake_upstream_inline_paused(&f.ctx));
	teardown(&f);
}

/* One slow answer is believed at once; fast answers bring the estimate down halfway each. */
static void
test_upstream_estimate_rises_at_once_and_falls_halfway(void)
{
	T_EQ_INT(intake_upstream_estimate_next(0, 3000), 3000);
	T_EQ_INT(intake_upstream_estimate_next(50, 3000), 3000);
	T_EQ_INT(intake_upstream_estimate_next(3000, 50), 1525);
	T_EQ_INT(intake_upstream_estimate_next(1525, 50), 788);
	T_EQ_INT(intake_upstream_estimate_next(0, 0), 1);	/* never "unknown" once observed */
	T_EQ_INT(intake_upstream_estimate_next(1, 1), 1);
}

/* Work ends at start + estimate; once past it, after as long again as it ran. */
static void
test_upstream_expected_end_of_work(void)
{
	T_EQ_INT(intake_upstream_expected_end(1000, 0, 1500), 0);	/* no estimate */
	T_EQ_INT(intake_upstream_expected_end(0, 3000, 1500), 0);	/* not begun */
	T_EQ_INT(intake_upstream_expected_end(1000, 3000, 1500), 4000);
	T_EQ_INT(intake_upstream_expected_end(1000, 500, 2000), 3000);	/* overdue */
	T_EQ_INT(intake_upstream_expected_end(1000, 500, 1500), 2000);	/* due now */
}

/*
 * A wait is worth it when nothing is known, or when work of a kind quicker
 * than the configured wait should end within what is left of it.
 */
static void
test_upstream_wait_only_for_quick_work_that_ends_in_time(void)
{
	int64_t	now = 100000, end = -1;

	/* Nothing runs, or nothing is known of its kind: wait (bounded). */
	T_ASSERT(intake_upstream_worth_waiting(0, 3000, now, now + 2000, 2000, &end));
	T_EQ_INT(end, 0);
	T_ASSERT(intake_upstream_worth_waiting(now - 100, 0, now, now + 2000, 2000, &end));
	T_EQ_INT(end, 0);
	/* A quick Integrify: waiters wait and get the list. */
	T_ASSERT(intake_upstream_worth_waiting(now - 10, 50, now, now + 2000, 2000, &end));
	T_EQ_INT(end, now + 40);
	/* Quick, but what is left of this request's wait is too short. */
	T_ASSERT(!intake_upstream_worth_waiting(now - 100, 1500, now, now + 1000, 2000, &end));
	T_EQ_INT(end, now + 1400);
	/* A slow one: not waited for, not even near its end. */
	T_ASSERT(!intake_upstream_worth_waiting(now - 100, 3000, now, now + 2000, 2000, &end));
	T_EQ_INT(end, now + 2900);
	T_ASSERT(!intake_upstream_worth_waiting(now - 2900, 3000, now, now + 2000, 2000, &end));
	T_EQ_INT(end, now + 100);
	/* Quick by its estimate but overdue: as long again as it ran. */
	T_ASSERT(intake_upstream_worth_waiting(now - 1500, 50, now, now + 2000, 2000, &end));
	T_EQ_INT(end, now + 1500);
	T_ASSERT(!intake_upstream_worth_waiting(now - 2500, 50, now, now + 2000, 2000, &end));
	T_EQ_INT(end, now + 2500);
	/* upstream_wait_ms = 0: no wait for anything known. */
	T_ASSERT(!intake_upstream_worth_waiting(now - 10, 50, now, now, 0, &end));
}

/*
 * What one process observed and runs is what another one sees: a fetch
 * known to take 3 s, begun by a worker, is seen running with that
 * estimate, and not waited for; once it ends, nothing runs and the
 * estimate stays, lowered by the quicker fetch.
 */
static void
test_upstream_slow_work_of_another_process_is_seen_as_slow(void)
{
	struct fixture	f;
	int64_t		now, end, began;
	pid_t		pid;

	setup(&f, 4, 0);
	T_EQ_INT(intake_upstream_estimate(&f.ctx, "report:r:cold"), 0);
	T_EQ_INT(intake_upstream_began(&f.ctx, "r:cold?"), 0);
	pid = t_fork_helper();
	if (pid == 0) {
		/* A worker: one fetch that took 3 s, then another begun. */
		intake_upstream_end(&f.ctx, "r:cold?", "report:r:cold", intake_now_ms() - 3000);
		(void)intake_upstream_begin(&f.ctx, "r:cold?", 30000);
		_exit(0);
	}
	T_EQ_INT(t_wait_child(pid, 10000), 0);
	now = intake_now_ms();
	T_ASSERT(intake_upstream_estimate(&f.ctx, "report:r:cold") >= 3000);
	began = intake_upstream_began(&f.ctx, "r:cold?");
	T_ASSERT(began > 0 && began <= now);
	T_ASSERT(!intake_upstream_worth_waiting(began,
	    intake_upstream_estimate(&f.ctx, "report:r:cold"), now, now + 2000, 2000, &end));
	T_ASSERT(end > now);
	/* Another key of the same kind is not running. */
	T_EQ_INT(intake_upstream_began(&f.ctx, "r:cold?x=1&"), 0);
	intake_upstream_end(&f.ctx, "r:cold?", "report:r:cold", intake_now_ms());
	T_EQ_INT(intake_upstream_began(&f.ctx, "r:cold?"), 0);
	/* The quick end brought the estimate down, not to nothing. */
	T_ASSERT(intake_upstream_estimate(&f.ctx, "report:r:cold") > 0);
	T_ASSERT(intake_upstream_estimate(&f.ctx, "report:r:cold") < 3000);
	teardown(&f);
}

/* Without a marks cache nothing is known, so every wait is made (bounded). */
static void
test_upstream_estimate_without_cache_is_unknown(void)
{
	struct fixture	f;

	setup(&f, 4, 0);
	f.ctx.marks = NULL;
	T_ASSERT(intake_upstream_begin(&f.ctx, "k", 1000) > 0);
	intake_upstream_end(&f.ctx, "k", "w", intake_now_ms() - 5000);
	T_EQ_INT(intake_upstream_estimate(&f.ctx, "w"), 0);
	T_EQ_INT(intake_upstream_began(&f.ctx, "k"), 0);
	teardown(&f);
}

/* Retry-After names when the fetch should end, once; then the default again. */
static void
test_upstream_retry_after_names_the_expected_end_once(void)
{
	struct intake_config	cfg;
	struct intake_ctx	ctx;

	memset(&cfg, 0, sizeof(cfg));
	memset(&ctx, 0, sizeof(ctx));
	ctx.cfg = &cfg;
	cfg.upstream_wait_ms = 0;
	T_EQ_INT(intake_ctx_retry_after(&ctx), 1);
	intake_upstream_busy_until(&ctx, intake_now_ms() + 4500);
	T_EQ_INT(intake_ctx_retry_after(&ctx), 5);
	T_EQ_INT(intake_ctx_retry_after(&ctx), 1);
	intake_upstream_busy_until(&ctx, intake_now_ms() - 1);	/* already past: the default */
	cfg.upstream_wait_ms = 2000;
	T_EQ_INT(intake_ctx_retry_after(&ctx), 3);
}

int
main(void)
{
	intake_log_set_level(INTAKE_LOG_ERR);
	T_RUN(test_upstream_count_defaults_to_half_the_workers);
	T_RUN(test_upstream_third_process_is_refused_without_waiting);
	T_RUN(test_upstream_give_frees_the_slot);
	T_RUN(test_upstream_nested_take_shares_the_slot);
	T_RUN(test_upstream_slot_of_sigkilled_worker_comes_back_on_reap);
	T_RUN(test_upstream_slot_of_dead_cgi_process_is_free_without_reap);
	T_RUN(test_upstream_without_cache_fails_open);
	T_RUN(test_upstream_inline_pause_is_seen_by_every_process);
	T_RUN(test_upstream_inline_pause_ends);
	T_RUN(test_upstream_estimate_rises_at_once_and_falls_halfway);
	T_RUN(test_upstream_expected_end_of_work);
	T_RUN(test_upstream_wait_only_for_quick_work_that_ends_in_time);
	T_RUN(test_upstream_slow_work_of_another_process_is_seen_as_slow);
	T_RUN(test_upstream_estimate_without_cache_is_unknown);
	T_RUN(test_upstream_retry_after_names_the_expected_end_once);
	return T_DONE();
}
