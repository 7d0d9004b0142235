/*
 * spool.c - the durable spool on local disk (spool.h).
 *
 * Every path is opened relative to a directory descriptor (openat and
 * friends), so no path is ever built from a reference and no rename can
 * leave the spool.  A write is durable when the file and then its
 * directory have been fsynced, or when it is in the journal and the
 * journal has been fdatasynced (spool.h says why that is enough).
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/metrics.h"
#include "spool/spool.h"
#include "util/str.h"
#include "util/nelem.h"

#define META_SUFFIX	".meta"
#define META_MAX	4096		/* bytes of a meta file */
#define TMP_MAX_AGE_MS	(3600 * 1000LL)	/* a tmp file this old is a crash's leftover */
#define CLAIM_NAME_LEN	32		/* hex digits of SHA-256(sid) naming a claim */
#define CLAIM_MAX	512		/* bytes of a claim file */
#define JOURNAL_NAME	"journal"	/* accepted records since the last checkpoint */
#define SYNC_NAME	"journal.sync"	/* the group commit's lock and state */
#define BOOT_NAME	"boot"		/* the boot the journal was last made safe in */
#define BOOT_ID_PATH	"/proc/sys/kernel/random/boot_id"
#define BOOT_ID_MAX	64
#define STATE		INTAKE_METRIC_SPOOL_SYNC_STATE
#define ENTRY_HEAD_MAX	64		/* "J REF LEN\n", the head of a journal entry */
#define SPARE_MAX_AGE_MS (1800 * 1000LL) /* a spare this old is not used: the sweep nears */

enum place { P_TMP, P_QUEUE, P_DONE, P_DEAD, P_QUARANTINE, P_CLAIMS, P__MAX };

static const char *const place_dirs[] = {
	"tmp",		/* P_TMP */
	"queue",	/* P_QUEUE */
	"done",		/* P_DONE */
	"dead",		/* P_DEAD */
	"quarantine",	/* P_QUARANTINE */
	"claims",	/* P_CLAIMS */
};
INTAKE_ROWS(place_dirs, P__MAX);

static const char *const status_names[] = {
	"unknown",	/* INTAKE_SPOOL_UNKNOWN */
	"queued",	/* INTAKE_SPOOL_QUEUED */
	"started",	/* INTAKE_SPOOL_DONE */
	"held",		/* INTAKE_SPOOL_DEAD */
};
INTAKE_ROWS(status_names, INTAKE_SPOOL__MAX);

struct intake_spool {
	int		root;
	int		dir[P__MAX];
	unsigned long	seq;		/* makes tmp names unique within a process */
	int		journal;	/* every record accepted since the last checkpoint */
	int		syncfd;		/* journal.sync: flock and struct sync_state */
	pid_t		pid;		/* whose descriptors they are (flock is per open file) */
	bool		no_journal;	/* no boot id, so no recovery: sync each record */
	int		spare;		/* an empty file in tmp/ for the next record, or -1 */
	char		spare_name[64];
	pid_t		spare_pid;	/* the process that made it (and alone may use it) */
	int64_t		spare_ms;	/* when */
	uid_t		uid;		/* the spool's owner: files root makes become its */
	gid_t		gid;
};

/*
 * The group commit's state, in journal.sync, read and written under its
 * flock.  It lives in the page cache only: after a reboot the recovery
 * starts a new generation.
 */
struct sync_state {
	int64_t	gen;	/* journals so far: a checkpoint empties it and starts the next */
	int64_t	synced;	/* bytes of this journal a finished fdatasync covers */
};

const char *
intake_spool_status_name(enum intake_spool_status st)
{
	return (unsigned)st < INTAKE_SPOOL__MAX ? status_names[st] : "unknown";
}

/* The directory of a status that is a place. */
static int
status_dir(const struct intake_spool *s, enum intake_spool_status st)
{
	switch (st) {
	case INTAKE_SPOOL_QUEUED:
		return s->dir[P_QUEUE];
	case INTAKE_SPOOL_DONE:
		return s->dir[P_DONE];
	case INTAKE_SPOOL_DEAD:
		return s->dir[P_DEAD];
	case INTAKE_SPOOL_UNKNOWN:	/* not a place */
	case INTAKE_SPOOL__MAX:
		break;
	}
	return -1;
}

static enum intake_err
sys_fail(const char *what, const char *name)
{
	intake_log_err("spool: %s %s: %s", what, name, strerror(errno));
	return INTAKE_ESYS;
}

/*
 * A file made by root (intake-spool run by an admin) belongs to the
 * spool's owner, or intake's own processes could not read or lock it.
 */
static void
own(const struct intake_spool *s, int fd)
{
	if (geteuid() == 0 && s->uid != 0 && fchown(fd, s->uid, s->gid) == -1)
		intake_log_warn("spool: cannot give a new file to uid %ld: %s", (long)s->uid,
		    strerror(errno));
}

/* fsync (fdatasync when data_only) fd, counted under what. */
static int
sync_fd(int fd, bool data_only, enum intake_metric what)
{
	intake_metrics_count(what);
	return data_only ? fdatasync(fd) : fsync(fd);
}

static int
open_dir(int at, const char *name)
{
	if (mkdirat(at, name, 0700) == -1 && errno != EEXIST)
		return -1;
	return openat(at, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static enum intake_err	journal_open(struct intake_spool *s);
static void		spare_drop(struct intake_spool *s);

enum intake_err
intake_spool_open(const char *dir, struct intake_spool **out)
{
	struct intake_spool	*s;
	int			 i;

	s = intake_xcalloc(1, sizeof(*s));
	for (i = 0; i < P__MAX; i++)
		s->dir[i] = -1;
	s->journal = -1;
	s->syncfd = -1;
	s->spare = -1;
	s->root = open_dir(AT_FDCWD, dir);
	if (s->root == -1) {
		(void)sys_fail("cannot open", dir);
		intake_spool_close(s);
		return INTAKE_ESYS;
	}
	for (i = 0; i < P__MAX; i++) {
		s->dir[i] = open_dir(s->root, place_dirs[i]);
		if (s->dir[i] == -1) {
			(void)sys_fail("cannot open", place_dirs[i]);
			intake_spool_close(s);
			return INTAKE_ESYS;
		}
	}
	if (journal_open(s) != INTAKE_OK) {
		intake_spool_close(s);
		return INTAKE_ESYS;
	}
	*out = s;
	return INTAKE_OK;
}

void
intake_spool_close(struct intake_spool *s)
{
	int	i;

	if (s == NULL)
		return;
	spare_drop(s);
	for (i = 0; i < P__MAX; i++)
		if (s->dir[i] != -1)
			(void)close(s->dir[i]);
	if (s->journal != -1)
		(void)close(s->journal);
	if (s->syncfd != -1)
		(void)close(s->syncfd);
	if (s->root != -1)
		(void)close(s->root);
	free(s);
}

static bool
exists(int dfd, const char *name)
{
	return faccessat(dfd, name, F_OK, 0) == 0;
}

static enum intake_err
write_all(int fd, const void *p, size_t n)
{
	const char	*c = p;
	ssize_t		 w;

	while (n > 0) {
		w = write(fd, c, n);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			return INTAKE_ESYS;
		}
		c += w;
		n -= (size_t)w;
	}
	return INTAKE_OK;
}

/*
 * Spare files.  Making a file is the slow part of a write here: on ext4
 * without a journal each new inode walks every inode freed in the last
 * minutes (find_inode_bit -> recently_deleted), which on a busy file
 * system took longer than the journal's sync.  So a process makes the
 * empty file for its next record ahead of time, off the answer's path
 * (intake_spool_prepare, after each answer), and write_tmp uses it.
 */

/* Drop the spare: close it, and unlink it if this process made it. */
static void
spare_drop(struct intake_spool *s)
{
	if (s->spare == -1)
		return;
	(void)close(s->spare);
	if (s->spare_pid == getpid())
		(void)unlinkat(s->dir[P_TMP], s->spare_name, 0);
	s->spare = -1;
}

/*
 * Take this process's spare (fd and tmp/ name), if it has one young
 * enough: the sweep deletes tmp/ files an hour old.  A spare inherited
 * across fork() is the parent's, never used.  false: none.
 */
static bool
spare_take(struct intake_spool *s, char tmpname[64], int *fdp)
{
	if (s->spare == -1)
		return false;
	if (s->spare_pid != getpid()) {
		(void)close(s->spare);
		s->spare = -1;
		return false;
	}
	if (intake_now_ms() - s->spare_ms > SPARE_MAX_AGE_MS) {
		spare_drop(s);
		return false;
	}
	(void)intake_strlcpy(tmpname, s->spare_name, 64);
	*fdp = s->spare;
	s->spare = -1;
	return true;
}

void
intake_spool_prepare(struct intake_spool *s)
{
	int	fd;

	if (s->spare != -1 && s->spare_pid != getpid()) {
		(void)close(s->spare);
		s->spare = -1;
	}
	if (s->spare != -1)
		return;
	(void)snprintf(s->spare_name, sizeof(s->spare_name), "spare.%ld.%lu", (long)getpid(),
	    s->seq++);
	fd = openat(s->dir[P_TMP], s->spare_name, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
	if (fd == -1)
		return;		/* the next write makes its own */
	own(s, fd);
	s->spare = fd;
	s->spare_pid = getpid();
	s->spare_ms = intake_now_ms();
}

/*
 * Write n bytes to a new file in tmp/ (this process's spare if it has
 * one), and fsync it when sync is set.
 * Its name goes into tmpname; the open descriptor into *fdp (the caller
 * closes it).
 */
static enum intake_err
write_tmp(struct intake_spool *s, const char *ref, const void *p, size_t n, bool sync,
    char tmpname[64], int *fdp)
{
	int	fd;

	if (!spare_take(s, tmpname, &fd)) {
		(void)snprintf(tmpname, 64, "%s.%ld.%lu", ref, (long)getpid(), s->seq++);
		fd = openat(s->dir[P_TMP], tmpname, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
		if (fd == -1)
			return sys_fail("cannot create", tmpname);
		own(s, fd);
	}
	if (write_all(fd, p, n) != INTAKE_OK || (sync && sync_fd(fd, false, STATE) == -1)) {
		(void)sys_fail("cannot write", tmpname);
		(void)close(fd);
		(void)unlinkat(s->dir[P_TMP], tmpname, 0);
		return INTAKE_ESYS;
	}
	*fdp = fd;
	return INTAKE_OK;
}

/*
 * Replace dir/name with n bytes: a tmp file renamed over it.  How much
 * survives a power cut is the caller's choice: the bytes (sync_file), the
 * name (sync_dir), both, or neither (a process crash loses nothing either
 * way: the page cache outlives the process).
 */
static enum intake_err
put_file(struct intake_spool *s, int dfd, const char *name, const void *p, size_t n,
    bool sync_file, bool sync_dir)
{
	char	tmpname[64];
	int	fd;

	if (write_tmp(s, name, p, n, sync_file, tmpname, &fd) != INTAKE_OK)
		return INTAKE_ESYS;
	(void)close(fd);
	if (renameat(s->dir[P_TMP], tmpname, dfd, name) == -1) {
		(void)sys_fail("cannot rename", tmpname);
		(void)unlinkat(s->dir[P_TMP], tmpname, 0);
		return INTAKE_ESYS;
	}
	if (sync_dir && sync_fd(dfd, false, STATE) == -1)
		return sys_fail("cannot sync the directory of", name);
	return INTAKE_OK;
}

static void
meta_name(const char *ref, char out[INTAKE_SPOOL_REF_MAX + sizeof(META_SUFFIX)])
{
	(void)snprintf(out, INTAKE_SPOOL_REF_MAX + sizeof(META_SUFFIX), "%s%s", ref, META_SUFFIX);
}

static enum intake_err
put_meta(struct intake_spool *s, int dfd, const char *name, const struct intake_spool_meta *m,
    bool sync_file, bool sync_dir)
{
	struct intake_buf	b;
	enum intake_err		err;

	intake_buf_init(&b, META_MAX);
	err = intake_spoolrec_meta_encode(m, &b);
	if (err != INTAKE_OK)
		goto out;
	err = put_file(s, dfd, name, b.ptr, b.len, sync_file, sync_dir);
out:
	intake_buf_free(&b);
	return err;
}

/* Read dir/name as meta; zeroed when missing or unreadable. */
static void
get_meta(int dfd, const char *name, struct intake_spool_meta *m)
{
	char	buf[META_MAX];
	ssize_t	n = -1;
	int	fd;

	fd = openat(dfd, name, O_RDONLY | O_CLOEXEC);
	if (fd != -1) {
		do
			n = read(fd, buf, sizeof(buf));
		while (n == -1 && errno == EINTR);
		(void)close(fd);
	}
	intake_spoolrec_meta_decode(buf, n > 0 ? (size_t)n : 0, m);
}

/*
 * The journal.  Every accepted record is appended to one file shared by
 * all processes, "J REF LEN\n", its LEN bytes, "\n", and the journal is
 * fdatasynced before the submission is answered: that is the one durable
 * write that holds it.  Its queue/ file is written too, but not synced:
 * the folders are what every reader uses, and the journal is what makes
 * them whole again after a power cut (journal_recover).  A checkpoint
 * makes the folders durable in a batch and empties the journal.
 */

/*
 * The journal's descriptors of this process: a child forked with the
 * spool open shares its parent's open files, and with them its flocks,
 * so it opens its own.
 */
static enum intake_err
journal_mine(struct intake_spool *s)
{
	if (s->pid == getpid())
		return INTAKE_OK;
	(void)close(s->journal);
	(void)close(s->syncfd);
	s->syncfd = -1;
	s->journal = openat(s->root, JOURNAL_NAME, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (s->journal == -1)
		return sys_fail("cannot open", JOURNAL_NAME);
	own(s, s->journal);
	s->syncfd = openat(s->root, SYNC_NAME, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (s->syncfd == -1)
		return sys_fail("cannot open", SYNC_NAME);
	own(s, s->syncfd);
	s->pid = getpid();
	return INTAKE_OK;
}

static void
sync_state_read(struct intake_spool *s, struct sync_state *st)
{
	memset(st, 0, sizeof(*st));
	if (pread(s->syncfd, st, sizeof(*st), 0) != (ssize_t)sizeof(*st))
		memset(st, 0, sizeof(*st));
}

/* Write the state; false (logged) when it could not be. */
static bool
sync_state_write(struct intake_spool *s, const struct sync_state *st)
{
	if (pwrite(s->syncfd, st, sizeof(*st), 0) == (ssize_t)sizeof(*st))
		return true;
	intake_log_err("spool: cannot write %s: %s", SYNC_NAME, strerror(errno));
	return false;
}

/* Write n bytes at off, whole. */
static enum intake_err
pwrite_all(int fd, const void *p, size_t n, off_t off)
{
	const char	*c = p;
	ssize_t		 w;

	while (n > 0) {
		w = pwrite(fd, c, n, off);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return INTAKE_ESYS;
		c += w;
		n -= (size_t)w;
		off += w;
	}
	return INTAKE_OK;
}

/*
 * Append ref's record to the journal, whole or not at all (a failed
 * write is cut off again, so no torn entry hides the ones after it).
 * *gen and *end say which journal and how far: what journal_sync needs.
 */
static enum intake_err
journal_append(struct intake_spool *s, const char *ref, const struct intake_buf *rec,
    int64_t *gen, int64_t *end)
{
	struct sync_state	st;
	struct stat		sb;
	enum intake_err		err = INTAKE_ESYS;
	char			head[ENTRY_HEAD_MAX];
	int			n;

	n = snprintf(head, sizeof(head), "J %s %zu\n", ref, rec->len);
	if (n < 0 || (size_t)n >= sizeof(head))
		return INTAKE_EINVAL;
	if (journal_mine(s) != INTAKE_OK)
		return INTAKE_ESYS;
	if (flock(s->journal, LOCK_EX) == -1)
		return sys_fail("cannot lock", JOURNAL_NAME);
	/* Under this lock no checkpoint runs: gen names the journal we write. */
	sync_state_read(s, &st);
	if (fstat(s->journal, &sb) == -1)
		goto out;
	if (pwrite_all(s->journal, head, (size_t)n, sb.st_size) != INTAKE_OK ||
	    pwrite_all(s->journal, rec->ptr, rec->len, sb.st_size + n) != INTAKE_OK ||
	    pwrite_all(s->journal, "\n", 1, sb.st_size + n + (off_t)rec->len) != INTAKE_OK) {
		(void)sys_fail("cannot append to", JOURNAL_NAME);
		if (ftruncate(s->journal, sb.st_size) == -1)
			(void)sys_fail("cannot cut a torn entry from", JOURNAL_NAME);
		goto out;
	}
	*gen = st.gen;
	*end = (int64_t)sb.st_size + n + (int64_t)rec->len + 1;
	err = INTAKE_OK;
out:
	(void)flock(s->journal, LOCK_UN);
	return err;
}

/*
 * Make the journal durable up to end (group commit).  Writers queue on
 * journal.sync's lock; the one that gets it syncs everything written so
 * far, so those behind it find their bytes covered and skip their own
 * fdatasync.  A new gen means a checkpoint made them durable already.
 */
static enum intake_err
journal_sync(struct intake_spool *s, int64_t gen, int64_t end)
{
	struct sync_state	st;
	struct stat		sb;
	enum intake_err		err = INTAKE_OK;

	if (flock(s->syncfd, LOCK_EX) == -1)
		return sys_fail("cannot lock", SYNC_NAME);
	sync_state_read(s, &st);
	if (st.gen == gen && st.synced < end) {
		/* The size first: whatever it counts is written, and the sync covers it. */
		if (fstat(s->journal, &sb) == -1 ||
		    sync_fd(s->journal, true, INTAKE_METRIC_SPOOL_SYNC_JOURNAL) == -1)
			err = sys_fail("cannot sync", JOURNAL_NAME);
		else {
			/* Lost, it only costs a sync: the next writer finds its bytes uncovered. */
			st.synced = (int64_t)sb.st_size;
			(void)sync_state_write(s, &st);
		}
	}
	(void)flock(s->syncfd, LOCK_UN);
	return err;
}

typedef bool (*journal_fn)(struct intake_spool *s, const char *ref, off_t off, size_t len,
    void *arg);

/*
 * Call fn for every whole entry of the journal from offset from (an
 * entry's start), in order; a torn tail ends the walk.  Returns where the
 * walk ended: the end of the last whole entry it read.
 */
static off_t
journal_each(struct intake_spool *s, off_t from, journal_fn fn, void *arg)
{
	struct stat	 sb;
	off_t		 off = from, data;
	ssize_t		 n;
	long long	 len;
	char		 head[ENTRY_HEAD_MAX + 1], ref[INTAKE_SPOOL_REF_MAX], *nl, *num;

	if (fstat(s->journal, &sb) == -1)
		return off;
	while (off < sb.st_size) {
		n = pread(s->journal, head, ENTRY_HEAD_MAX, off);
		if (n < 3 + INTAKE_SPOOL_REF_LEN + 2)
			return off;
		nl = memchr(head, '\n', (size_t)n);
		if (nl == NULL || head[0] != 'J' || head[1] != ' ' ||
		    head[2 + INTAKE_SPOOL_REF_LEN] != ' ')
			return off;
		memcpy(ref, head + 2, INTAKE_SPOOL_REF_LEN);
		ref[INTAKE_SPOOL_REF_LEN] = '\0';
		num = head + 3 + INTAKE_SPOOL_REF_LEN;
		if (!intake_spoolrec_ref_ok(ref) ||
		    intake_parse_intn(num, (size_t)(nl - num), 0, sb.st_size, &len) != INTAKE_OK)
			return off;
		data = off + (nl - head) + 1;
		if (data + len + 1 > sb.st_size)
			return off;
		if (!fn(s, ref, data, (size_t)len, arg))
			return off;
		off = data + len + 1;
	}
	return off;
}

/* Checkpoint: a record still queued is made durable in its own file. */
static bool
checkpoint_one(struct intake_spool *s, const char *ref, off_t off, size_t len, void *arg)
{
	int	fd;

	(void)off;
	(void)len;
	(void)arg;
	fd = openat(s->dir[P_QUEUE], ref, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return true;	/* delivered or set aside: done/ or dead/ holds it */
	(void)sync_fd(fd, true, INTAKE_METRIC_SPOOL_SYNC_CHECKPOINT);
	(void)close(fd);
	return true;
}

/* Empty the journal (its entries are durable elsewhere now) and start a new generation. */
static enum intake_err
journal_reset(struct intake_spool *s)
{
	struct sync_state	st;

	/*
	 * The new generation first: a writer must never take an old "synced"
	 * for bytes of the emptied journal.  Appends of the old one are
	 * durable already (the caller synced them), whatever happens next.
	 */
	sync_state_read(s, &st);
	st.gen++;
	st.synced = 0;
	if (!sync_state_write(s, &st))
		return INTAKE_ESYS;
	if (ftruncate(s->journal, 0) == -1 ||
	    sync_fd(s->journal, true, INTAKE_METRIC_SPOOL_SYNC_CHECKPOINT) == -1)
		return sys_fail("cannot empty", JOURNAL_NAME);
	return INTAKE_OK;
}

/* Both locks, journal first (writers never hold both): no append, no group commit. */
static enum intake_err
journal_lock_all(struct intake_spool *s)
{
	if (journal_mine(s) != INTAKE_OK)
		return INTAKE_ESYS;
	if (flock(s->journal, LOCK_EX) == -1)
		return sys_fail("cannot lock", JOURNAL_NAME);
	if (flock(s->syncfd, LOCK_EX) == -1) {
		(void)flock(s->journal, LOCK_UN);
		return sys_fail("cannot lock", SYNC_NAME);
	}
	return INTAKE_OK;
}

static void
journal_unlock_all(struct intake_spool *s)
{
	(void)flock(s->syncfd, LOCK_UN);
	(void)flock(s->journal, LOCK_UN);
}

/*
 * Sync the file of every journaled record from offset *from on still
 * queued, then queue/, then done/; *from becomes where the entries ended.
 * Afterwards every journaled reference is durable in queue/, in done/ or
 * in dead/ (bury syncs its own).  queue/ before done/: a record leaves
 * queue/ when (or after) its receipt reaches done/, so when the removal
 * is on disk, so is the receipt.
 */
static enum intake_err
checkpoint_sync(struct intake_spool *s, off_t *from)
{
	*from = journal_each(s, *from, checkpoint_one, NULL);
	if (sync_fd(s->dir[P_QUEUE], false, INTAKE_METRIC_SPOOL_SYNC_CHECKPOINT) == -1 ||
	    sync_fd(s->dir[P_DONE], false, INTAKE_METRIC_SPOOL_SYNC_CHECKPOINT) == -1)
		return sys_fail("cannot sync", "queue/ and done/");
	return INTAKE_OK;
}

enum intake_err
intake_spool_checkpoint(struct intake_spool *s)
{
	struct sync_state	st;
	struct stat		sb;
	enum intake_err		err;
	int64_t			gen;
	off_t			from = 0;

	if (journal_mine(s) != INTAKE_OK)
		return INTAKE_ESYS;
	if (fstat(s->journal, &sb) == -1 || sb.st_size == 0)
		return INTAKE_OK;
	/* Read under its lock: a reset (under both) is then wholly before or after. */
	if (flock(s->syncfd, LOCK_EX) == -1)
		return sys_fail("cannot lock", SYNC_NAME);
	sync_state_read(s, &st);
	(void)flock(s->syncfd, LOCK_UN);
	gen = st.gen;
	/*
	 * The slow part first, without the locks (a torn last entry ends the
	 * walk): the records queued since the last checkpoint, an outage's
	 * worth perhaps.  Under the locks, appends wait only for the entries
	 * that came meanwhile (the walk goes on from where the first one
	 * ended: entries before it do not change), queue/, done/ and the
	 * journal's reset.
	 */
	if (checkpoint_sync(s, &from) != INTAKE_OK)
		return INTAKE_ESYS;
	err = journal_lock_all(s);
	if (err != INTAKE_OK)
		return err;
	/* Another checkpoint (a purge's) emptied it meanwhile: all of it is new. */
	sync_state_read(s, &st);
	if (st.gen != gen)
		from = 0;
	err = checkpoint_sync(s, &from);
	if (err == INTAKE_OK)
		err = journal_reset(s);
	journal_unlock_all(s);
	return err;
}

/* The id of this boot, "" when the system does not say. */
static void
boot_id(char out[BOOT_ID_MAX])
{
	ssize_t	n = -1;
	int	fd;

	out[0] = '\0';
	fd = open(BOOT_ID_PATH, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return;
	do
		n = read(fd, out, BOOT_ID_MAX - 1);
	while (n == -1 && errno == EINTR);
	(void)close(fd);
	out[n > 0 ? n : 0] = '\0';
}

/* Is the journal known safe in this boot (the boot file names it)? */
static bool
boot_same(struct intake_spool *s, const char *id)
{
	char	buf[BOOT_ID_MAX];
	ssize_t	n = -1;
	int	fd;

	fd = openat(s->root, BOOT_NAME, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return false;
	do
		n = read(fd, buf, sizeof(buf) - 1);
	while (n == -1 && errno == EINTR);
	(void)close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return strcmp(buf, id) == 0;
}

/* The len bytes of the journal at off, into b. */
static enum intake_err
journal_read(struct intake_spool *s, off_t off, size_t len, struct intake_buf *b)
{
	char	chunk[65536];
	size_t	got = 0;
	ssize_t	n;

	while (got < len) {
		n = pread(s->journal, chunk, len - got < sizeof(chunk) ? len - got : sizeof(chunk),
		    off + (off_t)got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0 || intake_buf_add(b, chunk, (size_t)n) != INTAKE_OK)
			return INTAKE_ESYS;
		got += (size_t)n;
	}
	return INTAKE_OK;
}

struct recovery {
	long long	restored, missing, bad;
};

/*
 * Recovery: a journaled record that done/ and dead/ do not hold goes
 * (back) to queue/ from the journal's copy.  It was accepted since the
 * last checkpoint and may have been delivered since, its receipt lost
 * with the power, so it is marked unsure: the dispatcher looks before it
 * starts it again, or holds it for a person where it cannot look (even
 * where the search it counted on is refused).
 */
static bool
recover_one(struct intake_spool *s, const char *ref, off_t off, size_t len, void *arg)
{
	struct recovery			*r = arg;
	struct intake_spoolrec		 rec;
	struct intake_spool_meta	 m;
	struct intake_buf		 b, copy;
	char				 meta[INTAKE_SPOOL_REF_MAX + sizeof(META_SUFFIX)];

	if (exists(s->dir[P_DONE], ref) || exists(s->dir[P_DEAD], ref))
		return true;
	intake_buf_init(&b, len + 1);
	intake_buf_init(&copy, len + 1);
	if (journal_read(s, off, len, &b) != INTAKE_OK)
		goto bad;
	/* Decoding changes its input: check a copy, keep b as it was written. */
	if (intake_buf_add(&copy, b.ptr, b.len) != INTAKE_OK ||
	    intake_spoolrec_decode(copy.ptr, copy.len, &rec) != INTAKE_OK ||
	    strcmp(rec.ref, ref) != 0)
		goto bad;
	if (!exists(s->dir[P_QUEUE], ref))
		r->missing++;
	if (put_file(s, s->dir[P_QUEUE], ref, b.ptr, b.len, true, false) != INTAKE_OK)
		goto bad;
	meta_name(ref, meta);
	get_meta(s->dir[P_QUEUE], meta, &m);
	m.unsure = true;
	if (put_meta(s, s->dir[P_QUEUE], meta, &m, true, false) != INTAKE_OK)
		goto bad;
	r->restored++;
	intake_buf_free(&b);
	intake_buf_free(&copy);
	return true;
bad:
	intake_log_err("spool: the journal's copy of %s cannot be restored", ref);
	r->bad++;
	intake_buf_free(&b);
	intake_buf_free(&copy);
	return true;
}

/*
 * After a reboot (the boot file names another boot, or none), what the
 * journal holds may be all that reached the disk: restore it to the
 * folders, make them durable, empty the journal, and note this boot.
 * Nothing of another boot is running, so no record is held meanwhile;
 * within one boot the page cache keeps every folder whole through any
 * process crash, and nothing needs restoring.
 */
static enum intake_err
journal_recover(struct intake_spool *s, const char *id)
{
	struct recovery	r = { 0, 0, 0 };
	enum intake_err	err;

	err = journal_lock_all(s);
	if (err != INTAKE_OK)
		return err;
	if (boot_same(s, id))
		goto out;	/* another process recovered it meanwhile */
	(void)journal_each(s, 0, recover_one, &r);
	if (r.restored > 0 || r.bad > 0)
		intake_log_warn("spool: the machine restarted since the last checkpoint: %lld "
		    "submissions restored from the journal to queue/ (%lld of them were "
		    "missing there), each looked for before a start; %lld unreadable",
		    r.restored, r.missing, r.bad);
	if (sync_fd(s->dir[P_QUEUE], false, INTAKE_METRIC_SPOOL_SYNC_CHECKPOINT) == -1) {
		err = sys_fail("cannot sync", "queue/");
		goto out;
	}
	err = journal_reset(s);
	if (err == INTAKE_OK)
		err = put_file(s, s->root, BOOT_NAME, id, strlen(id), true, true);
out:
	journal_unlock_all(s);
	return err;
}

/* Open the journal and its sync file, and recover from a reboot if this is the first look since. */
static enum intake_err
journal_open(struct intake_spool *s)
{
	char		id[BOOT_ID_MAX];
	struct stat	sb;

	if (fstat(s->root, &sb) == -1)
		return sys_fail("cannot stat", "the spool");
	s->uid = sb.st_uid;
	s->gid = sb.st_gid;
	s->pid = 0;	/* none yet */
	if (journal_mine(s) != INTAKE_OK)
		return INTAKE_ESYS;
	boot_id(id);
	if (id[0] == '\0') {
		/*
		 * A reboot cannot be told, so the journal could never be
		 * replayed safely: each record is synced with its folder.
		 */
		s->no_journal = true;
		return INTAKE_OK;
	}
	if (boot_same(s, id))
		return INTAKE_OK;
	/* The first look in this boot (or ever: the journal's name is synced with the boot file). */
	return journal_recover(s, id);
}

enum intake_spool_status
intake_spool_lookup(struct intake_spool *s, const char *ref, struct intake_spool_meta *m)
{
	char	meta[INTAKE_SPOOL_REF_MAX + sizeof(META_SUFFIX)];

	memset(m, 0, sizeof(*m));
	if (!intake_spoolrec_ref_ok(ref))
		return INTAKE_SPOOL_UNKNOWN;
	meta_name(ref, meta);
	/*
	 * done/ before queue/ (a delivered record may linger in queue/ after
	 * a crash), and again after it (it may have been delivered between
	 * the two looks: done/ is written before queue/ is emptied).
	 */
	if (exists(s->dir[P_DONE], ref)) {
		get_meta(s->dir[P_DONE], ref, m);
		return INTAKE_SPOOL_DONE;
	}
	if (exists(s->dir[P_QUEUE], ref)) {
		get_meta(s->dir[P_QUEUE], meta, m);
		return INTAKE_SPOOL_QUEUED;
	}
	if (exists(s->dir[P_DONE], ref)) {
		get_meta(s->dir[P_DONE], ref, m);
		return INTAKE_SPOOL_DONE;
	}
	if (exists(s->dir[P_DEAD], ref)) {
		get_meta(s->dir[P_DEAD], meta, m);
		return INTAKE_SPOOL_DEAD;
	}
	return INTAKE_SPOOL_UNKNOWN;
}

static void
hold_init(struct intake_spool_hold *h)
{
	memset(h, 0, sizeof(*h));
	h->fd = -1;
	intake_buf_init(&h->bytes, 0);
}

/* h now holds ref, locked through fd (which it owns). */
static void
hold_set(struct intake_spool_hold *h, int fd, const char *ref)
{
	h->fd = fd;
	(void)intake_strlcpy(h->ref, ref, sizeof(h->ref));
}

/*
 * The one durable write before the answer: the record's journal entry,
 * whose sync concurrent writers share.  Without a journal (no boot id),
 * queue/ (the record's file was synced when written).
 */
static enum intake_err
accept_durable(struct intake_spool *s, const char *ref, const struct intake_buf *record)
{
	int64_t		gen = 0, end = 0;
	enum intake_err	err;

	if (s->no_journal)
		return sync_fd(s->dir[P_QUEUE], false, STATE) == -1 ?
		    sys_fail("cannot sync queue/ after", ref) : INTAKE_OK;
	err = journal_append(s, ref, record, &gen, &end);
	if (err != INTAKE_OK)
		return err;
	return journal_sync(s, gen, end);
}

enum intake_err
intake_spool_accept(struct intake_spool *s, const char *ref, const struct intake_buf *record,
    struct intake_spool_hold *h, enum intake_spool_status *existing)
{
	struct intake_spool_meta	m;
	char				tmpname[64];
	int				fd;

	hold_init(h);
	*existing = INTAKE_SPOOL_UNKNOWN;
	if (!intake_spoolrec_ref_ok(ref))
		return INTAKE_EINVAL;
	*existing = intake_spool_lookup(s, ref, &m);
	if (*existing != INTAKE_SPOOL_UNKNOWN)
		return INTAKE_OK;
	/* Not synced: the journal holds it durably (accept_durable). */
	if (write_tmp(s, ref, record->ptr, record->len, s->no_journal, tmpname, &fd) !=
	    INTAKE_OK)
		return INTAKE_ESYS;
	/* Born locked: the dispatcher cannot take it from under us. */
	if (flock(fd, LOCK_EX) == -1 ||
	    linkat(s->dir[P_TMP], tmpname, s->dir[P_QUEUE], ref, 0) == -1) {
		int saved = errno;

		(void)close(fd);
		(void)unlinkat(s->dir[P_TMP], tmpname, 0);
		if (saved == EEXIST) {
			/* Another post of the same form won the race. */
			*existing = INTAKE_SPOOL_QUEUED;
			return INTAKE_OK;
		}
		errno = saved;
		return sys_fail("cannot queue", ref);
	}
	(void)unlinkat(s->dir[P_TMP], tmpname, 0);
	/* Delivered or set aside between our first look and the link: undo ours. */
	if (exists(s->dir[P_DONE], ref) || exists(s->dir[P_DEAD], ref)) {
		(void)unlinkat(s->dir[P_QUEUE], ref, 0);
		(void)close(fd);
		*existing = exists(s->dir[P_DONE], ref) ? INTAKE_SPOOL_DONE : INTAKE_SPOOL_DEAD;
		return INTAKE_OK;
	}
	if (accept_durable(s, ref, record) != INTAKE_OK) {
		(void)unlinkat(s->dir[P_QUEUE], ref, 0);
		(void)close(fd);
		return INTAKE_ESYS;
	}
	hold_set(h, fd, ref);
	return INTAKE_OK;
}

enum intake_err
intake_spool_take(struct intake_spool *s, const char *ref, struct intake_spool_hold *h,
    bool *got)
{
	struct stat	st;
	int		fd;

	hold_init(h);
	*got = false;
	if (!intake_spoolrec_ref_ok(ref))
		return INTAKE_EINVAL;
	/* Read-write: a delivered record's file becomes its receipt (intake_spool_done). */
	fd = openat(s->dir[P_QUEUE], ref, O_RDWR | O_CLOEXEC);
	if (fd == -1)
		return errno == ENOENT ? INTAKE_OK : sys_fail("cannot open", ref);
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		(void)close(fd);
		return errno == EWOULDBLOCK ? INTAKE_OK : sys_fail("cannot lock", ref);
	}
	/* Delivered and unlinked between our open and our lock? */
	if (fstat(fd, &st) == -1 || st.st_nlink == 0) {
		(void)close(fd);
		return INTAKE_OK;
	}
	hold_set(h, fd, ref);
	*got = true;
	return INTAKE_OK;
}

enum intake_err
intake_spool_read(struct intake_spool *s, struct intake_spool_hold *h, size_t max)
{
	char		chunk[65536];
	ssize_t		n;
	off_t		off = 0;

	(void)s;
	if (h->fd == -1)
		return INTAKE_EINVAL;
	intake_buf_free(&h->bytes);
	intake_buf_init(&h->bytes, max);
	for (;;) {
		n = pread(h->fd, chunk, sizeof(chunk), off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return sys_fail("cannot read", h->ref);
		if (n == 0)
			return INTAKE_OK;
		if (intake_buf_add(&h->bytes, chunk, (size_t)n) != INTAKE_OK)
			return INTAKE_ETOOBIG;
		off += n;
	}
}

void
intake_spool_release(struct intake_spool_hold *h)
{
	if (h->fd != -1)
		(void)close(h->fd);	/* drops the flock */
	h->fd = -1;
	intake_buf_free(&h->bytes);
}

/*
 * The receipt the old way: a new file in done/ (through tmp/), then the
 * record and its meta leave queue/.
 */
static enum intake_err
done_by_copy(struct intake_spool *s, struct intake_spool_hold *h,
    const struct intake_spool_meta *m, bool durable)
{
	char	meta[INTAKE_SPOOL_REF_MAX + sizeof(META_SUFFIX)];

	if (put_meta(s, s->dir[P_DONE], h->ref, m, false, durable) != INTAKE_OK)
		return INTAKE_ESYS;
	meta_name(h->ref, meta);
	(void)unlinkat(s->dir[P_QUEUE], meta, 0);
	if (unlinkat(s->dir[P_QUEUE], h->ref, 0) == -1 && errno != ENOENT)
		return sys_fail("cannot remove", h->ref);
	return INTAKE_OK;
}

enum intake_err
intake_spool_done(struct intake_spool *s, struct intake_spool_hold *h,
    const struct intake_spool_meta *m, bool durable)
{
	struct intake_buf	b;
	char			meta[INTAKE_SPOOL_REF_MAX + sizeof(META_SUFFIX)];
	enum intake_err		err;

	/*
	 * The record's own file becomes the receipt: renamed from queue/ to
	 * done/ (one step: the reference is in one place or the other, never
	 * neither), then its bytes replaced by m.  No new file, so no inode
	 * is allocated on the answer's path and none is freed (on ext4
	 * without a journal every new file walks the inodes freed in the last
	 * minutes).  Durable now (done/ synced) only when asked; otherwise the
	 * next checkpoint makes it so, and a power cut before that leaves the
	 * record queued: the dispatcher's look before a retry finds the
	 * request.  The receipt's bytes (the request's number) are a courtesy:
	 * until they are written it holds the record, which reads as a receipt
	 * without a number (intake_spoolrec_meta_decode).  done/ holding the
	 * reference already (a crash left the record in queue/ too), or a file
	 * system without renameat2's RENAME_NOREPLACE: the receipt is written
	 * anew and the copy in queue/ goes, as before (done_by_copy).
	 */
	if (renameat2(s->dir[P_QUEUE], h->ref, s->dir[P_DONE], h->ref, RENAME_NOREPLACE) == -1)
		return done_by_copy(s, h, m, durable);	/* also where renameat2 cannot */
	intake_buf_init(&b, META_MAX);
	err = intake_spoolrec_meta_encode(m, &b);
	if (err == INTAKE_OK && (ftruncate(h->fd, 0) == -1 ||
	    pwrite_all(h->fd, b.ptr, b.len, 0) != INTAKE_OK))
		err = sys_fail("cannot write the receipt of", h->ref);
	intake_buf_free(&b);
	if (err != INTAKE_OK)
		intake_log_warn("spool: %s was delivered; its receipt names no request", h->ref);
	meta_name(h->ref, meta);
	(void)unlinkat(s->dir[P_QUEUE], meta, 0);
	if (durable && sync_fd(s->dir[P_DONE], false, STATE) == -1)
		return sys_fail("cannot sync done/ after", h->ref);
	return INTAKE_OK;
}

enum intake_err
intake_spool_bury(struct intake_spool *s, struct intake_spool_hold *h,
    const struct intake_spool_meta *m)
{
	char	meta[INTAKE_SPOOL_REF_MAX + sizeof(META_SUFFIX)];

	meta_name(h->ref, meta);
	if (put_meta(s, s->dir[P_DEAD], meta, m, true, false) != INTAKE_OK)
		return INTAKE_ESYS;
	if (renameat(s->dir[P_QUEUE], h->ref, s->dir[P_DEAD], h->ref) == -1)
		return sys_fail("cannot move to dead/", h->ref);
	if (sync_fd(s->dir[P_DEAD], false, STATE) == -1 ||
	    sync_fd(s->dir[P_QUEUE], false, STATE) == -1)
		return sys_fail("cannot sync after burying", h->ref);
	(void)unlinkat(s->dir[P_QUEUE], meta, 0);
	intake_metrics_count(INTAKE_METRIC_SPOOL_DEAD);
	return INTAKE_OK;
}

/* Bury with why; when dead/ refuses, keep the record queued until retry_ms from now. */
enum intake_err
intake_spool_set_aside(struct intake_spool *s, struct intake_spool_hold *h,
    struct intake_spool_meta *m, const char *form, int64_t created_ms, const char *why,
    int64_t retry_ms)
{
	struct intake_log_line	l;
	enum intake_err		err;

	m->at_ms = intake_now_ms();
	(void)intake_strlcpy(m->error, why, sizeof(m->error));
	err = intake_spool_bury(s, h, m);
	if (err != INTAKE_OK) {
		intake_log_err("spool %s: could not be set aside (%s); it stays queued", h->ref,
		    why);
		m->next_ms = intake_now_ms() + retry_ms;
		(void)intake_spool_set_meta(s, h->ref, m);
		return err;
	}
	intake_log_begin(&l, INTAKE_LOG_WARN, "submission_held");
	intake_log_str(&l, "form", form);
	intake_log_str(&l, "ref", h->ref);
	if (m->item[0] != '\0')
		intake_log_str(&l, "item", m->item);
	intake_log_int(&l, "attempts", m->attempts);
	intake_log_int(&l, "ms", m->at_ms - created_ms);
	intake_log_fmt(&l, "msg", "set aside for a person: %s", why);
	intake_log_end(&l);
	return INTAKE_OK;
}

enum intake_err
intake_spool_quarantine(struct intake_spool *s, struct intake_spool_hold *h)
{
	char	meta[INTAKE_SPOOL_REF_MAX + sizeof(META_SUFFIX)], name[64];

	(void)snprintf(name, sizeof(name), "%s.%lld", h->ref, (long long)intake_now_ms());
	if (renameat(s->dir[P_QUEUE], h->ref, s->dir[P_QUARANTINE], name) == -1)
		return sys_fail("cannot quarantine", h->ref);
	meta_name(h->ref, meta);
	(void)unlinkat(s->dir[P_QUEUE], meta, 0);
	(void)sync_fd(s->dir[P_QUARANTINE], false, STATE);
	intake_metrics_count(INTAKE_METRIC_SPOOL_QUARANTINED);
	return INTAKE_OK;
}

enum intake_err
intake_spool_set_meta(struct intake_spool *s, const char *ref, const struct intake_spool_meta *m)
{
	char	meta[INTAKE_SPOOL_REF_MAX + sizeof(META_SUFFIX)];

	if (!intake_spoolrec_ref_ok(ref))
		return INTAKE_EINVAL;
	meta_name(ref, meta);
	/* Durable: "unsure", noted before a start goes out, must survive anything. */
	return put_meta(s, s->dir[P_QUEUE], meta, m, true, true);
}

enum intake_err
intake_spool_each(struct intake_spool *s, enum intake_spool_status place,
    bool (*fn)(void *arg, const char *ref), void *arg)
{
	struct dirent	*de;
	DIR		*d;
	int		 fd, dfd = status_dir(s, place);

	if (dfd == -1)
		return INTAKE_EINVAL;
	fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			(void)close(fd);
		return sys_fail("cannot list", intake_spool_status_name(place));
	}
	while ((de = readdir(d)) != NULL)
		if (intake_spoolrec_ref_ok(de->d_name) && !fn(arg, de->d_name))
			break;
	(void)closedir(d);
	return INTAKE_OK;
}

enum intake_err
intake_spool_revive(struct intake_spool *s, const char *ref)
{
	struct intake_spool_meta	m;
	enum intake_err			err = INTAKE_OK;
	char				meta[INTAKE_SPOOL_REF_MAX + sizeof(META_SUFFIX)];
	int				fd;

	if (!intake_spoolrec_ref_ok(ref))
		return INTAKE_EINVAL;
	meta_name(ref, meta);
	fd = openat(s->dir[P_DEAD], ref, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return errno == ENOENT ? INTAKE_ENOTFOUND : sys_fail("cannot open", ref);
	/* Locked before it is in queue/: no deliverer sees it without its new state. */
	if (flock(fd, LOCK_EX) == -1) {
		(void)close(fd);
		return sys_fail("cannot lock", ref);
	}
	/*
	 * What is known stays (the request it started); what was decided
	 * goes: the person has looked, so "unsure" is answered, and the count
	 * and max_age start again.
	 */
	get_meta(s->dir[P_DEAD], meta, &m);
	m.attempts = 0;
	m.next_ms = 0;
	m.at_ms = 0;
	m.unsure = false;
	m.error[0] = '\0';
	m.item[0] = '\0';
	m.revived_ms = intake_now_ms();
	/* link, not rename: never replace a queued record of the same name. */
	if (linkat(s->dir[P_DEAD], ref, s->dir[P_QUEUE], ref, 0) == -1)
		err = errno == ENOENT ? INTAKE_ENOTFOUND : sys_fail("cannot requeue", ref);
	else if (put_meta(s, s->dir[P_QUEUE], meta, &m, true, true) != INTAKE_OK) {
		(void)unlinkat(s->dir[P_QUEUE], ref, 0);
		err = INTAKE_ESYS;
	} else {
		(void)unlinkat(s->dir[P_DEAD], ref, 0);
		(void)unlinkat(s->dir[P_DEAD], meta, 0);
	}
	(void)close(fd);
	return err;
}

enum intake_err
intake_spool_purge(struct intake_spool *s, enum intake_spool_status place, const char *ref)
{
	char	meta[INTAKE_SPOOL_REF_MAX + sizeof(META_SUFFIX)];
	int	dfd = status_dir(s, place);

	if (!intake_spoolrec_ref_ok(ref) || dfd == -1)
		return INTAKE_EINVAL;
	/* A purged record must not come back from the journal after a reboot. */
	if (intake_spool_checkpoint(s) != INTAKE_OK)
		return INTAKE_ESYS;
	if (unlinkat(dfd, ref, 0) == -1)
		return errno == ENOENT ? INTAKE_ENOTFOUND : sys_fail("cannot purge", ref);
	meta_name(ref, meta);
	(void)unlinkat(dfd, meta, 0);
	return INTAKE_OK;
}

/* claims/ names a request by a hash of its SID: any SID, a fixed short name. */
static void
claim_name(const char *sid, char out[CLAIM_NAME_LEN + 1])
{
	char	hex[65];

	intake_sha256_hex(sid, strlen(sid), hex);
	memcpy(out, hex, CLAIM_NAME_LEN);
	out[CLAIM_NAME_LEN] = '\0';
}

/* The reference claims/name holds ("REF SID\n"), into ref; false when unreadable. */
static bool
claim_holder(struct intake_spool *s, const char *name, char ref[INTAKE_SPOOL_REF_MAX])
{
	char	buf[CLAIM_MAX];
	ssize_t	n = -1;
	int	fd;

	fd = openat(s->dir[P_CLAIMS], name, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return false;
	do
		n = read(fd, buf, sizeof(buf) - 1);
	while (n == -1 && errno == EINTR);
	(void)close(fd);
	if (n < INTAKE_SPOOL_REF_LEN + 1 || buf[INTAKE_SPOOL_REF_LEN] != ' ')
		return false;
	memcpy(ref, buf, INTAKE_SPOOL_REF_LEN);
	ref[INTAKE_SPOOL_REF_LEN] = '\0';
	return intake_spoolrec_ref_ok(ref);
}

enum intake_err
intake_spool_claim(struct intake_spool *s, const char *sid, const char *ref,
    enum intake_spool_claim *out)
{
	char	name[CLAIM_NAME_LEN + 1], tmpname[64], line[CLAIM_MAX], holder[INTAKE_SPOOL_REF_MAX];
	int	fd, n, saved;

	*out = INTAKE_CLAIM_OTHERS;
	if (!intake_spoolrec_ref_ok(ref) || sid == NULL || sid[0] == '\0')
		return INTAKE_EINVAL;
	n = snprintf(line, sizeof(line), "%s %s\n", ref, sid);
	if (n < 0 || (size_t)n >= sizeof(line))
		return INTAKE_EINVAL;
	claim_name(sid, name);
	if (write_tmp(s, name, line, (size_t)n, true, tmpname, &fd) != INTAKE_OK)
		return INTAKE_ESYS;
	(void)close(fd);
	/* link() never replaces: of all who race for one request, one wins. */
	saved = linkat(s->dir[P_TMP], tmpname, s->dir[P_CLAIMS], name, 0) == -1 ? errno : 0;
	(void)unlinkat(s->dir[P_TMP], tmpname, 0);
	if (saved == 0) {
		if (sync_fd(s->dir[P_CLAIMS], false, STATE) == -1) {
			(void)sys_fail("cannot sync claims/ after", name);
			(void)unlinkat(s->dir[P_CLAIMS], name, 0);
			return INTAKE_ESYS;
		}
		*out = INTAKE_CLAIM_NEW;
		return INTAKE_OK;
	}
	if (saved != EEXIST) {
		errno = saved;
		return sys_fail("cannot claim", name);
	}
	/* A claim being written is linked whole: a short read is a damaged file. */
	if (!claim_holder(s, name, holder)) {
		intake_log_err("spool: claim %s for request %s is unreadable", name, sid);
		return INTAKE_ESYS;
	}
	*out = strcmp(holder, ref) == 0 ? INTAKE_CLAIM_OURS : INTAKE_CLAIM_OTHERS;
	return INTAKE_OK;
}

bool
intake_spool_claim_held(struct intake_spool *s, const char *sid, const char *ref)
{
	char	name[CLAIM_NAME_LEN + 1], holder[INTAKE_SPOOL_REF_MAX];

	if (!intake_spoolrec_ref_ok(ref) || sid == NULL || sid[0] == '\0')
		return false;
	claim_name(sid, name);
	return claim_holder(s, name, holder) && strcmp(holder, ref) == 0;
}

enum intake_err
intake_spool_unclaim(struct intake_spool *s, const char *sid, const char *ref)
{
	char	name[CLAIM_NAME_LEN + 1], holder[INTAKE_SPOOL_REF_MAX];

	if (!intake_spoolrec_ref_ok(ref) || sid == NULL || sid[0] == '\0')
		return INTAKE_EINVAL;
	claim_name(sid, name);
	if (!claim_holder(s, name, holder) || strcmp(holder, ref) != 0)
		return INTAKE_ENOTFOUND;
	if (unlinkat(s->dir[P_CLAIMS], name, 0) == -1)
		return errno == ENOENT ? INTAKE_ENOTFOUND : sys_fail("cannot unclaim", name);
	return INTAKE_OK;
}

/* Delete files in dfd last changed before cutoff_ms; how many. */
static long long
sweep_dir(int dfd, int64_t cutoff_ms)
{
	struct dirent	*de;
	struct stat	 st;
	DIR		*d;
	long long	 n = 0;
	int		 fd;

	fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			(void)close(fd);
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' ||
		    fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
		    !S_ISREG(st.st_mode))
			continue;
		if ((int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000 < cutoff_ms &&
		    unlinkat(dfd, de->d_name, 0) == 0)
			n++;
	}
	(void)closedir(d);
	return n;
}

long long
intake_spool_sweep(struct intake_spool *s, int64_t keep_done_ms, int64_t keep_claims_ms)
{
	int64_t	now = intake_now_ms();

	return sweep_dir(s->dir[P_DONE], now - keep_done_ms) +
	    sweep_dir(s->dir[P_CLAIMS], now - keep_claims_ms) +
	    sweep_dir(s->dir[P_TMP], now - TMP_MAX_AGE_MS);
}
