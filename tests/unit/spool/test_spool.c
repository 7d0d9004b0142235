/*
 * test_spool.c - the durable spool: a reference is accepted once, a held
 * record cannot be taken twice, a killed holder's record passes on, a
 * reference is always somewhere, and the journal: concurrent writers share
 * one sync, and after a reboot it restores what the folders lost.
 */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <fcntl.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/metrics.h"
#include "spool/spool.h"
#include "util/str.h"
#include "t.h"

#define REF	"ABCD-EFGH-JKMN"
#define REF2	"0000-1111-2222"

struct fixture {
	char			 dir[256];
	struct intake_spool	*s;
	struct intake_buf	 rec;
};

static void
setup(struct fixture *f)
{
	char	path[300];

	memset(f, 0, sizeof(f->dir));
	t_mkdtemp(f->dir, sizeof(f->dir));
	(void)snprintf(path, sizeof(path), "%s/spool", f->dir);
	if (intake_spool_open(path, &f->s) != INTAKE_OK)
		abort();
	intake_buf_init(&f->rec, 4096);
	if (intake_buf_adds(&f->rec, "record bytes") != INTAKE_OK)
		abort();
}

static void
teardown(struct fixture *f)
{
	intake_spool_close(f->s);
	intake_buf_free(&f->rec);
}

static bool
exists(const struct fixture *f, const char *rel)
{
	char		path[400];
	struct stat	st;

	(void)snprintf(path, sizeof(path), "%s/spool/%s", f->dir, rel);
	return stat(path, &st) == 0;
}

static void
test_spool_accept_is_durable_locked_and_once(void)
{
	struct fixture			f;
	struct intake_spool_hold	h, h2;
	struct intake_spool_meta	m;
	enum intake_spool_status	st;
	bool				got;

	setup(&f);
	T_EQ_INT(intake_spool_accept(f.s, REF, &f.rec, &h, &st), INTAKE_OK);
	T_EQ_INT(st, INTAKE_SPOOL_UNKNOWN);
	T_ASSERT(h.fd >= 0);
	T_ASSERT(exists(&f, "queue/" REF));
	T_EQ_INT(intake_spool_lookup(f.s, REF, &m), INTAKE_SPOOL_QUEUED);
	/* The same reference again: nothing written, told where it is. */
	T_EQ_INT(intake_spool_accept(f.s, REF, &f.rec, &h2, &st), INTAKE_OK);
	T_EQ_INT(st, INTAKE_SPOOL_QUEUED);
	T_EQ_INT(h2.fd, -1);
	/* Born locked: no one else can take it while we hold it (flock is per open file). */
	T_EQ_INT(intake_spool_take(f.s, REF, &h2, &got), INTAKE_OK);
	T_ASSERT(!got);
	intake_spool_release(&h);
	T_EQ_INT(intake_spool_take(f.s, REF, &h2, &got), INTAKE_OK);
	T_ASSERT(got);
	T_EQ_INT(intake_spool_read(f.s, &h2, 1 << 20), INTAKE_OK);
	T_EQ_STR(h2.bytes.ptr, "record bytes");
	intake_spool_release(&h2);
	teardown(&f);
}

static void
test_spool_done_then_lookup_and_no_second_accept(void)
{
	struct fixture			f;
	struct intake_spool_hold	h;
	struct intake_spool_meta	m;
	enum intake_spool_status	st;

	setup(&f);
	T_EQ_INT(intake_spool_accept(f.s, REF, &f.rec, &h, &st), INTAKE_OK);
	memset(&m, 0, sizeof(m));
	(void)strcpy(m.sid, "S-1");
	(void)strcpy(m.id, "42");
	m.attempts = 1;
	T_EQ_INT(intake_spool_done(f.s, &h, &m, true), INTAKE_OK);
	intake_spool_release(&h);
	T_ASSERT(!exists(&f, "queue/" REF));
	T_EQ_INT(intake_spool_lookup(f.s, REF, &m), INTAKE_SPOOL_DONE);
	T_EQ_STR(m.id, "42");
	/* A late replay of the same form finds the receipt, not a fresh queue slot. */
	T_EQ_INT(intake_spool_accept(f.s, REF, &f.rec, &h, &st), INTAKE_OK);
	T_EQ_INT(st, INTAKE_SPOOL_DONE);
	T_ASSERT(!exists(&f, "queue/" REF));
	teardown(&f);
}

static void
test_spool_bury_revive_purge(void)
{
	struct fixture			f;
	struct intake_spool_hold	h;
	struct intake_spool_meta	m;
	enum intake_spool_status	st;

	setup(&f);
	T_EQ_INT(intake_spool_accept(f.s, REF, &f.rec, &h, &st), INTAKE_OK);
	memset(&m, 0, sizeof(m));
	(void)strcpy(m.error, "HTTP 400");
	(void)strcpy(m.sid, "S-7");
	m.attempts = 9;
	m.unsure = true;
	T_EQ_INT(intake_spool_bury(f.s, &h, &m), INTAKE_OK);
	intake_spool_release(&h);
	T_EQ_INT(intake_spool_lookup(f.s, REF, &m), INTAKE_SPOOL_DEAD);
	T_EQ_STR(m.error, "HTTP 400");
	T_EQ_INT(intake_spool_revive(f.s, REF), INTAKE_OK);
	T_EQ_INT(intake_spool_lookup(f.s, REF, &m), INTAKE_SPOOL_QUEUED);
	/* A person sent it back: a fresh count and max_age, the request it started kept. */
	T_EQ_INT(m.attempts, 0);
	T_EQ_STR(m.error, "");
	T_ASSERT(!m.unsure);
	T_EQ_STR(m.sid, "S-7");
	T_ASSERT(m.revived_ms > 0);
	T_ASSERT(!exists(&f, "dead/" REF) && !exists(&f, "dead/" REF ".meta"));
	T_EQ_INT(intake_spool_revive(f.s, REF), INTAKE_ENOTFOUND);
	T_EQ_INT(intake_spool_purge(f.s, INTAKE_SPOOL_QUEUED, REF), INTAKE_OK);
	T_EQ_INT(intake_spool_lookup(f.s, REF, &m), INTAKE_SPOOL_UNKNOWN);
	T_EQ_INT(intake_spool_purge(f.s, INTAKE_SPOOL_QUEUED, REF), INTAKE_ENOTFOUND);
	teardown(&f);
}

/* A worker SIGKILLed while holding a record: the kernel drops the lock. */
static void
test_spool_killed_holder_releases_its_record(void)
{
	struct fixture			f;
	struct intake_spool_hold	h;
	enum intake_spool_status	st;
	int				pfd[2];
	pid_t				pid;
	char				c;
	bool				got;

	setup(&f);
	T_ASSERT(pipe(pfd) == 0);
	pid = fork();
	T_ASSERT(pid != -1);
	if (pid == 0) {
		if (intake_spool_accept(f.s, REF, &f.rec, &h, &st) != INTAKE_OK)
			_exit(1);
		if (write(pfd[1], "x", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	T_EQ_INT(read(pfd[0], &c, 1), 1);
	T_EQ_INT(intake_spool_take(f.s, REF, &h, &got), INTAKE_OK);
	T_ASSERT(!got);
	(void)kill(pid, SIGKILL);
	(void)t_wait_child(pid, 10000);
	T_EQ_INT(intake_spool_take(f.s, REF, &h, &got), INTAKE_OK);
	T_ASSERT(got);
	intake_spool_release(&h);
	teardown(&f);
}

static void
test_spool_quarantine_and_each(void)
{
	struct fixture			f;
	struct intake_spool_hold	h;
	struct intake_spool_meta	m;
	enum intake_spool_status	st;

	setup(&f);
	T_EQ_INT(intake_spool_accept(f.s, REF, &f.rec, &h, &st), INTAKE_OK);
	intake_spool_release(&h);
	T_EQ_INT(intake_spool_accept(f.s, REF2, &f.rec, &h, &st), INTAKE_OK);
	T_EQ_INT(intake_spool_set_meta(f.s, REF2, &(struct intake_spool_meta){ .attempts = 2 }),
	    INTAKE_OK);
	T_EQ_INT(intake_spool_quarantine(f.s, &h), INTAKE_OK);
	intake_spool_release(&h);
	T_EQ_INT(intake_spool_lookup(f.s, REF2, &m), INTAKE_SPOOL_UNKNOWN);
	T_ASSERT(!exists(&f, "queue/" REF2 ".meta"));
	T_EQ_INT(intake_spool_lookup(f.s, REF, &m), INTAKE_SPOOL_QUEUED);
	teardown(&f);
}

static void
test_spool_refuses_references_that_are_paths(void)
{
	struct fixture			f;
	struct intake_spool_hold	h;
	struct intake_spool_meta	m;
	enum intake_spool_status	st;
	bool				got;

	setup(&f);
	T_EQ_INT(intake_spool_accept(f.s, "../../x", &f.rec, &h, &st), INTAKE_EINVAL);
	T_EQ_INT(intake_spool_take(f.s, "../queue/x", &h, &got), INTAKE_EINVAL);
	T_EQ_INT(intake_spool_lookup(f.s, "/etc/passwd", &m), INTAKE_SPOOL_UNKNOWN);
	T_EQ_INT(intake_spool_purge(f.s, INTAKE_SPOOL_DEAD, ".."), INTAKE_EINVAL);
	teardown(&f);
}

static void
test_spool_claim_new_ours_others_and_unclaim(void)
{
	struct fixture		f;
	enum intake_spool_claim	c;
	struct intake_spool	*again;
	char			 path[300];

	setup(&f);
	T_ASSERT(!intake_spool_claim_held(f.s, "sid-1", REF));
	T_EQ_INT(intake_spool_claim(f.s, "sid-1", REF, &c), INTAKE_OK);
	T_EQ_INT(c, INTAKE_CLAIM_NEW);
	/* Held: a peek that takes nothing, and names only the holder. */
	T_ASSERT(intake_spool_claim_held(f.s, "sid-1", REF));
	T_ASSERT(!intake_spool_claim_held(f.s, "sid-1", REF2));
	T_ASSERT(!intake_spool_claim_held(f.s, "sid-2", REF2));
	T_EQ_INT(intake_spool_claim(f.s, "sid-2", REF, &c), INTAKE_OK);
	T_EQ_INT(c, INTAKE_CLAIM_NEW);
	T_EQ_INT(intake_spool_claim(f.s, "sid-1", REF, &c), INTAKE_OK);
	T_EQ_INT(c, INTAKE_CLAIM_OURS);
	T_EQ_INT(intake_spool_claim(f.s, "sid-1", REF2, &c), INTAKE_OK);
	T_EQ_INT(c, INTAKE_CLAIM_OTHERS);
	/* Only the holder lets go. */
	T_EQ_INT(intake_spool_unclaim(f.s, "sid-1", REF2), INTAKE_ENOTFOUND);
	/* A claim is on disk: a fresh open (a restart) still sees it. */
	(void)snprintf(path, sizeof(path), "%s/spool", f.dir);
	T_EQ_INT(intake_spool_open(path, &again), INTAKE_OK);
	T_EQ_INT(intake_spool_claim(again, "sid-1", REF2, &c), INTAKE_OK);
	T_EQ_INT(c, INTAKE_CLAIM_OTHERS);
	intake_spool_close(again);
	T_EQ_INT(intake_spool_unclaim(f.s, "sid-1", REF), INTAKE_OK);
	T_ASSERT(!intake_spool_claim_held(f.s, "sid-1", REF));
	T_EQ_INT(intake_spool_claim(f.s, "sid-1", REF2, &c), INTAKE_OK);
	T_EQ_INT(c, INTAKE_CLAIM_NEW);
	teardown(&f);
}

/* Integrify's SIDs are opaque: one with slashes or dots names no path. */
static void
test_spool_claim_sid_traversal_stays_in_claims(void)
{
	struct fixture		f;
	enum intake_spool_claim	c;

	setup(&f);
	T_EQ_INT(intake_spool_claim(f.s, "../queue/" REF, REF, &c), INTAKE_OK);
	T_EQ_INT(c, INTAKE_CLAIM_NEW);
	T_ASSERT(!exists(&f, "queue/" REF));
	T_EQ_INT(intake_spool_claim(f.s, "", REF, &c), INTAKE_EINVAL);
	T_EQ_INT(intake_spool_claim(f.s, "sid", "../x", &c), INTAKE_EINVAL);
	teardown(&f);
}

/* Many processes race for one request: exactly one wins it. */
static void
test_spool_claim_race_has_one_winner(void)
{
	static const char *const refs[] = {
		"AAAA-0000-0001", "AAAA-0000-0002", "AAAA-0000-0003", "AAAA-0000-0004",
		"AAAA-0000-0005", "AAAA-0000-0006", "AAAA-0000-0007", "AAAA-0000-0008",
	};
	struct fixture		f;
	enum intake_spool_claim	c;
	pid_t			pids[8];
	int			i, st, winners = 0, round;

	setup(&f);
	for (round = 0; round < 20; round++) {
		char sid[32];

		(void)snprintf(sid, sizeof(sid), "race-%d", round);
		for (i = 0; i < 8; i++) {
			pids[i] = fork();
			T_ASSERT(pids[i] != -1);
			if (pids[i] == 0)
				_exit(intake_spool_claim(f.s, sid, refs[i], &c) != INTAKE_OK ? 2 :
				    c == INTAKE_CLAIM_NEW ? 1 : 0);
		}
		winners = 0;
		for (i = 0; i < 8; i++) {
			T_ASSERT(waitpid(pids[i], &st, 0) == pids[i]);
			T_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) != 2);
			winners += WEXITSTATUS(st);
		}
		T_EQ_INT(winners, 1);
	}
	teardown(&f);
}

static void
test_spool_sweep_drops_old_claims_only(void)
{
	struct fixture		f;
	enum intake_spool_claim	c;

	setup(&f);
	T_EQ_INT(intake_spool_claim(f.s, "sid-old", REF, &c), INTAKE_OK);
	/* Keep for an hour: nothing goes; keep for no time: the claim goes. */
	T_EQ_INT(intake_spool_sweep(f.s, 3600 * 1000, 3600 * 1000), 0);
	T_EQ_INT(intake_spool_claim(f.s, "sid-old", REF2, &c), INTAKE_OK);
	T_EQ_INT(c, INTAKE_CLAIM_OTHERS);
	usleep(20 * 1000);
	T_EQ_INT(intake_spool_sweep(f.s, 3600 * 1000, 1), 1);
	T_EQ_INT(intake_spool_claim(f.s, "sid-old", REF2, &c), INTAKE_OK);
	T_EQ_INT(c, INTAKE_CLAIM_NEW);
	teardown(&f);
}

/* The inode number of spool/rel, 0 when there is none. */
static ino_t
inode_of(const struct fixture *f, const char *rel)
{
	char		path[800];
	struct stat	st;

	(void)snprintf(path, sizeof(path), "%s/spool/%s", f->dir, rel);
	return stat(path, &st) == 0 ? st.st_ino : 0;
}

/*
 * A delivered record's receipt is its own file renamed into done/ (no
 * new file: no inode allocated on the answer's path), its bytes replaced
 * by the receipt, whether the worker that accepted it or the dispatcher
 * (which took it) delivers it.
 */
static void
test_spool_receipt_is_the_record_file_renamed(void)
{
	struct fixture			f;
	struct intake_spool_hold	h;
	struct intake_spool_meta	m, back;
	enum intake_spool_status	st;
	ino_t				ino;
	bool				got;

	setup(&f);
	memset(&m, 0, sizeof(m));
	(void)intake_strlcpy(m.sid, "S-1", sizeof(m.sid));
	(void)intake_strlcpy(m.id, "42", sizeof(m.id));
	T_EQ_INT(intake_spool_accept(f.s, REF, &f.rec, &h, &st), INTAKE_OK);
	ino = inode_of(&f, "queue/" REF);
	T_ASSERT(ino != 0);
	T_EQ_INT(intake_spool_done(f.s, &h, &m, false), INTAKE_OK);
	intake_spool_release(&h);
	T_EQ_INT(inode_of(&f, "done/" REF), ino);
	T_ASSERT(!exists(&f, "queue/" REF));
	T_EQ_INT(intake_spool_lookup(f.s, REF, &back), INTAKE_SPOOL_DONE);
	T_EQ_STR(back.id, "42");
	T_EQ_STR(back.sid, "S-1");
	/* Taken by the dispatcher (read-write), then delivered: the same. */
	T_EQ_INT(intake_spool_accept(f.s, REF2, &f.rec, &h, &st), INTAKE_OK);
	intake_spool_release(&h);
	ino = inode_of(&f, "queue/" REF2);
	T_EQ_INT(intake_spool_take(f.s, REF2, &h, &got), INTAKE_OK);
	T_ASSERT(got);
	T_EQ_INT(intake_spool_done(f.s, &h, &m, true), INTAKE_OK);
	intake_spool_release(&h);
	T_EQ_INT(inode_of(&f, "done/" REF2), ino);
	T_EQ_INT(intake_spool_lookup(f.s, REF2, &back), INTAKE_SPOOL_DONE);
	T_EQ_STR(back.id, "42");
	teardown(&f);
}

/*
 * Between the rename and the rewrite a receipt holds the record, whose
 * values a client chose: "x\nid 999\nsid evil" must not read as the
 * request's number and SID.  It reads as a receipt without a number.
 */
static void
test_spool_receipt_mid_rename_never_reads_client_values(void)
{
	static const char	bytes[] = "intake-spool 1\nref 14\n" REF "\n"
	    "field 7\nsummary\nvalue 20\nx\nid 999\nsid evil\n\n";
	struct fixture		f;
	struct intake_spool_meta	m;
	char			path[400];
	FILE			*fp;

	setup(&f);
	(void)snprintf(path, sizeof(path), "%s/spool/done/" REF, f.dir);
	fp = fopen(path, "w");
	T_ASSERT(fp != NULL);
	T_EQ_INT(fwrite(bytes, 1, sizeof(bytes) - 1, fp), sizeof(bytes) - 1);
	T_EQ_INT(fclose(fp), 0);
	T_EQ_INT(intake_spool_lookup(f.s, REF, &m), INTAKE_SPOOL_DONE);
	T_EQ_STR(m.id, "");
	T_EQ_STR(m.sid, "");
	teardown(&f);
}

/* How many files spool/tmp/ holds (the first one's name into name); -1: unreadable. */
static int
tmp_files(const struct fixture *f, char name[256])
{
	struct dirent	*de;
	char		 path[400];
	DIR		*d;
	int		 n = 0;

	(void)snprintf(path, sizeof(path), "%s/spool/tmp", f->dir);
	d = opendir(path);
	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' && n++ == 0)
			(void)intake_strlcpy(name, de->d_name, 256);
	(void)closedir(d);
	return n;
}

/*
 * The file of an accepted record is the spare made ahead of time (off the
 * answer's path); a child of fork() makes its own and leaves its parent's
 * alone; a second accept without a new spare still works.
 */
static void
test_spool_accept_uses_the_spare_made_ahead_and_never_a_parents(void)
{
	struct fixture			f;
	struct intake_spool_hold	h;
	enum intake_spool_status	st;
	char				name[256], rel[300];
	ino_t				spare;
	pid_t				pid;
	int				ws;

	setup(&f);
	intake_spool_prepare(f.s);
	T_EQ_INT(tmp_files(&f, name), 1);
	(void)snprintf(rel, sizeof(rel), "tmp/%s", name);
	spare = inode_of(&f, rel);
	/* A child accepts: not with its parent's spare, which stays where it is. */
	pid = fork();
	T_ASSERT(pid != -1);
	if (pid == 0)
		_exit(intake_spool_accept(f.s, REF2, &f.rec, &h, &st) == INTAKE_OK &&
		    st == INTAKE_SPOOL_UNKNOWN && inode_of(&f, "queue/" REF2) != spare ? 0 : 1);
	T_ASSERT(waitpid(pid, &ws, 0) == pid);
	T_ASSERT(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
	T_EQ_INT(inode_of(&f, rel), spare);
	T_EQ_INT(intake_spool_accept(f.s, REF, &f.rec, &h, &st), INTAKE_OK);
	T_EQ_INT(st, INTAKE_SPOOL_UNKNOWN);
	T_EQ_INT(inode_of(&f, "queue/" REF), spare);
	T_EQ_INT(tmp_files(&f, name), 0);
	T_EQ_INT(intake_spool_read(f.s, &h, 1 << 20), INTAKE_OK);
	T_EQ_STR(h.bytes.ptr, "record bytes");
	intake_spool_release(&h);
	/* No spare now: the next write makes its own file. */
	T_EQ_INT(intake_spool_accept(f.s, "3333-4444-5555", &f.rec, &h, &st), INTAKE_OK);
	T_ASSERT(exists(&f, "queue/3333-4444-5555"));
	intake_spool_release(&h);
	teardown(&f);
}

/* A whole, checksummed record of ref into b (the journal restores only such). */
static void
real_record(const char *ref, struct intake_buf *b)
{
	struct intake_spoolrec	r;

	memset(&r, 0, sizeof(r));
	r.ref = ref;
	r.form = "it-request";
	r.name = "IT request";
	r.created_ms = 1732838400123LL;
	intake_buf_init(b, 4096);
	if (intake_spoolrec_encode(&r, b) != INTAKE_OK)
		abort();
}

/* Size of the spool's journal. */
static long long
journal_size(const struct fixture *f)
{
	char		path[400];
	struct stat	st;

	(void)snprintf(path, sizeof(path), "%s/spool/journal", f->dir);
	return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

/* A power cut and a reboot, as the spool sees them: another boot id; then open it again. */
static void
reboot(struct fixture *f)
{
	char	path[400];
	FILE	*fp;

	intake_spool_close(f->s);
	(void)snprintf(path, sizeof(path), "%s/spool/boot", f->dir);
	fp = fopen(path, "w");
	T_ASSERT(fp != NULL);
	(void)fputs("00000000-0000-0000-0000-000000000000\n", fp);
	(void)fclose(fp);
	(void)snprintf(path, sizeof(path), "%s/spool", f->dir);
	T_EQ_INT(intake_spool_open(path, &f->s), INTAKE_OK);
}

static void
rm(const struct fixture *f, const char *rel)
{
	char	path[400];

	(void)snprintf(path, sizeof(path), "%s/spool/%s", f->dir, rel);
	(void)unlink(path);
}

/*
 * The power cut took queue/REF's name (never synced) but the journal's
 * fdatasync held: the reboot restores it, unsure (it may have been
 * delivered: its receipt was not synced either).  A second open in the
 * same boot restores nothing again.
 */
static void
test_spool_power_cut_after_answer_restores_from_journal(void)
{
	struct fixture			f;
	struct intake_spool_hold	h;
	struct intake_spool_meta	m;
	struct intake_buf		rec;
	enum intake_spool_status	st;
	bool				got;

	setup(&f);
	real_record(REF, &rec);
	T_EQ_INT(intake_spool_accept(f.s, REF, &rec, &h, &st), INTAKE_OK);
	intake_spool_release(&h);
	T_ASSERT(journal_size(&f) > (long long)rec.len);
	rm(&f, "queue/" REF);
	reboot(&f);
	T_EQ_INT(intake_spool_lookup(f.s, REF, &m), INTAKE_SPOOL_QUEUED);
	T_ASSERT(m.unsure);
	T_EQ_INT(journal_size(&f), 0);
	T_EQ_INT(intake_spool_take(f.s, REF, &h, &got), INTAKE_OK);
	T_ASSERT(got);
	T_EQ_INT(intake_spool_read(f.s, &h, 1 << 20), INTAKE_OK);
	T_EQ_INT(h.bytes.len, rec.len);
	T_ASSERT(memcmp(h.bytes.ptr, rec.ptr, rec.len) == 0);
	intake_spool_release(&h);
	intake_buf_free(&rec);
	teardown(&f);
}

/*
 * A torn copy in queue/ (its bytes never synced) is replaced by the
 * journal's, and marked unsure like every record the journal restores.
 */
static void
test_spool_power_cut_torn_queue_file_is_replaced(void)
{
	struct fixture			f;
	struct intake_spool_hold	h;
	struct intake_spool_meta	m;
	struct intake_buf		rec;
	enum intake_spool_status	st;
	char				path[400];
	bool				got;

	setup(&f);
	real_record(REF, &rec);
	T_EQ_INT(intake_spool_accept(f.s, REF, &rec, &h, &st), INTAKE_OK);
	intake_spool_release(&h);
	(void)snprintf(path, sizeof(path), "%s/spool/queue/" REF, f.dir);
	T_EQ_INT(truncate(path, 5), 0);
	reboot(&f);
	T_EQ_INT(intake_spool_lookup(f.s, REF, &m), INTAKE_SPOOL_QUEUED);
	/* Accepted since the last checkpoint: it may have been delivered since. */
	T_ASSERT(m.unsure);
	T_EQ_INT(intake_spool_take(f.s, REF, &h, &got), INTAKE_OK);
	T_ASSERT(got);
	T_EQ_INT(intake_spool_read(f.s, &h, 1 << 20), INTAKE_OK);
	T_EQ_INT(h.bytes.len, rec.len);
	intake_spool_release(&h);
	intake_buf_free(&rec);
	teardown(&f);
}

/* Delivered, set aside or purged: a reboot brings none of them back. */
static void
test_spool_power_cut_never_revives_done_dead_or_purged(void)
{
	struct fixture			f;
	struct intake_spool_hold	h;
	struct intake_spool_meta	m;
	struct intake_buf		r1, r2, r3;
	enum intake_spool_status	st;

	setup(&f);
	real_record(REF, &r1);
	real_record(REF2, &r2);
	real_record("3333-4444-5555", &r3);
	T_EQ_INT(intake_spool_accept(f.s, REF, &r1, &h, &st), INTAKE_OK);
	memset(&m, 0, sizeof(m));
	T_EQ_INT(intake_spool_done(f.s, &h, &m, false), INTAKE_OK);
	intake_spool_release(&h);
	T_EQ_INT(intake_spool_accept(f.s, REF2, &r2, &h, &st), INTAKE_OK);
	T_EQ_INT(intake_spool_bury(f.s, &h, &m), INTAKE_OK);
	intake_spool_release(&h);
	T_EQ_INT(intake_spool_accept(f.s, "3333-4444-5555", &r3, &h, &st), INTAKE_OK);
	intake_spool_release(&h);
	T_EQ_INT(intake_spool_purge(f.s, INTAKE_SPOOL_QUEUED, "3333-4444-5555"), INTAKE_OK);
	reboot(&f);
	T_EQ_INT(intake_spool_lookup(f.s, REF, &m), INTAKE_SPOOL_DONE);
	T_EQ_INT(intake_spool_lookup(f.s, REF2, &m), INTAKE_SPOOL_DEAD);
	T_EQ_INT(intake_spool_lookup(f.s, "3333-4444-5555", &m), INTAKE_SPOOL_UNKNOWN);
	intake_buf_free(&r1);
	intake_buf_free(&r2);
	intake_buf_free(&r3);
	teardown(&f);
}

/*
 * Within one boot nothing is restored (processes may hold records), and
 * a checkpoint empties the journal: what it held is in the folders.
 */
static void
test_spool_same_boot_and_checkpoint_restore_nothing(void)
{
	struct fixture			f;
	struct intake_spool_hold	h;
	struct intake_spool_meta	m;
	struct intake_buf		rec;
	enum intake_spool_status	st;
	char				path[300];

	setup(&f);
	real_record(REF, &rec);
	T_EQ_INT(intake_spool_accept(f.s, REF, &rec, &h, &st), INTAKE_OK);
	intake_spool_release(&h);
	rm(&f, "queue/" REF);
	intake_spool_close(f.s);
	(void)snprintf(path, sizeof(path), "%s/spool", f.dir);
	T_EQ_INT(intake_spool_open(path, &f.s), INTAKE_OK);
	T_EQ_INT(intake_spool_lookup(f.s, REF, &m), INTAKE_SPOOL_UNKNOWN);
	T_ASSERT(journal_size(&f) > 0);
	T_EQ_INT(intake_spool_checkpoint(f.s), INTAKE_OK);
	T_EQ_INT(journal_size(&f), 0);
	reboot(&f);
	T_EQ_INT(intake_spool_lookup(f.s, REF, &m), INTAKE_SPOOL_UNKNOWN);
	intake_buf_free(&rec);
	teardown(&f);
}

#define SERIES	"intake_spool_syncs_total{what=\"journal\"} "

/* Journal syncs counted so far (the metrics' shared counters), -1 when unreadable. */
static long long
journal_syncs(void)
{
	struct intake_metrics_gauges	g;
	struct intake_buf		b;
	const char			*p;
	long long			n = -1;

	memset(&g, 0, sizeof(g));
	intake_buf_init(&b, 256u << 10);
	if (intake_metrics_render(&g, &b) == INTAKE_OK && intake_buf_addc(&b, '\0') == INTAKE_OK) {
		p = strstr(b.ptr, SERIES);
		if (p != NULL && intake_parse_intn(p + strlen(SERIES),
		    strcspn(p + strlen(SERIES), "\n"), 0, 1LL << 40, &n) != INTAKE_OK)
			n = -1;
	}
	intake_buf_free(&b);
	return n;
}

/*
 * Group commit: eight processes accept while one fdatasync is under way
 * (the test holds the sync lock as a slow disk would); the first writer
 * after it syncs everything written, and the seven behind find theirs
 * covered.  Eight accepted, durable, with one journal sync.
 */
static void
test_spool_concurrent_writers_share_one_sync(void)
{
	static const char *const refs[] = {
		"AAAA-0000-0001", "AAAA-0000-0002", "AAAA-0000-0003", "AAAA-0000-0004",
		"AAAA-0000-0005", "AAAA-0000-0006", "AAAA-0000-0007", "AAAA-0000-0008",
	};
	struct intake_config		cfg;
	struct fixture			f;
	struct intake_spool_hold	h;
	struct intake_buf		rec[8];
	enum intake_spool_status	st;
	long long			before, want = 0;
	char				path[400];
	pid_t				pids[8];
	int				i, lk, ws;

	setup(&f);
	memset(&cfg, 0, sizeof(cfg));
	(void)snprintf(cfg.cache_file, sizeof(cfg.cache_file), "%s/metrics.shm", f.dir);
	T_EQ_INT(intake_metrics_open(&cfg, true), INTAKE_OK);
	(void)snprintf(path, sizeof(path), "%s/spool/journal.sync", f.dir);
	lk = open(path, O_RDWR);
	T_ASSERT(lk != -1);
	T_EQ_INT(flock(lk, LOCK_EX), 0);
	before = journal_syncs();
	T_ASSERT(before >= 0);
	for (i = 0; i < 8; i++) {
		real_record(refs[i], &rec[i]);
		/* "J REF LEN\n" + LEN bytes + "\n" */
		want += (long long)rec[i].len + 19 + snprintf(NULL, 0, "%zu", rec[i].len);
		pids[i] = fork();
		T_ASSERT(pids[i] != -1);
		if (pids[i] == 0)
			_exit(intake_spool_accept(f.s, refs[i], &rec[i], &h, &st) == INTAKE_OK &&
			    st == INTAKE_SPOOL_UNKNOWN ? 0 : 1);
	}
	/* Every entry appended (each writer now waits for the sync): no clock involved. */
	while (journal_size(&f) < want)
		usleep(1000);
	T_EQ_INT(flock(lk, LOCK_UN), 0);
	for (i = 0; i < 8; i++) {
		T_ASSERT(waitpid(pids[i], &ws, 0) == pids[i]);
		T_ASSERT(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
		intake_buf_free(&rec[i]);
	}
	T_EQ_INT(journal_syncs() - before, 1);
	(void)close(lk);
	intake_metrics_close();
	teardown(&f);
}

int
main(void)
{
	T_RUN(test_spool_accept_is_durable_locked_and_once);
	T_RUN(test_spool_done_then_lookup_and_no_second_accept);
	T_RUN(test_spool_bury_revive_purge);
	T_RUN(test_spool_killed_holder_releases_its_record);
	T_RUN(test_spool_quarantine_and_each);
	T_RUN(test_spool_refuses_references_that_are_paths);
	T_RUN(test_spool_claim_new_ours_others_and_unclaim);
	T_RUN(test_spool_claim_sid_traversal_stays_in_claims);
	T_RUN(test_spool_claim_race_has_one_winner);
	T_RUN(test_spool_sweep_drops_old_claims_only);
	T_RUN(test_spool_power_cut_after_answer_restores_from_journal);
	T_RUN(test_spool_power_cut_torn_queue_file_is_replaced);
	T_RUN(test_spool_power_cut_never_revives_done_dead_or_purged);
	T_RUN(test_spool_same_boot_and_checkpoint_restore_nothing);
	T_RUN(test_spool_concurrent_writers_share_one_sync);
	T_RUN(test_spool_receipt_is_the_record_file_renamed);
	T_RUN(test_spool_receipt_mid_rename_never_reads_client_values);
	T_RUN(test_spool_accept_uses_the_spare_made_ahead_and_never_a_parents);
	return T_DONE();
}
