/*
 * spool.h - the durable spool of accepted submissions, on local disk.
 *
 * Layout under spool.dir, one file per submission, named by reference:
 *
 *	tmp/		records being written (left over only by a crash)
 *	queue/REF	accepted, not yet in Integrify; queue/REF.meta its state
 *	done/REF	delivered: the Integrify request it became
 *	dead/REF	set aside for a person; dead/REF.meta says why
 *	quarantine/REF	unreadable records, kept for inspection
 *	claims/H	v7: request SID (H a hash of it) is being filled by one
 *			submission; the file holds "REF SID"
 *
 *	journal		every record accepted since the last checkpoint
 *	journal.sync	the group commit's lock and state (page cache only)
 *	boot		the boot in which the journal was last recovered
 *
 * A record is written to tmp/, locked and then linked into queue/ (link
 * fails when the name exists, so a reference is accepted once), then
 * appended to the journal, and the journal is fdatasynced before anyone
 * is told "accepted": one durable write, which concurrent writers of all
 * processes share (group commit: whoever syncs covers every byte written
 * before it).  The folders are not synced on that path: within one boot
 * the page cache keeps them whole through any process crash, and after a
 * reboot the first intake_spool_open() restores from the journal every
 * record done/ and dead/ do not hold.  A checkpoint (the dispatcher's,
 * every second) syncs the queued records' files, queue/ and done/, then
 * empties the journal.
 *
 * Whoever delivers a record holds its flock(2); the kernel drops it when
 * the holder dies, so a killed worker's record passes to the dispatcher.
 * done/REF is written before queue/REF goes, and queue/REF moves to
 * dead/ by rename, so at every instant a reference is in at least one
 * of the three places.
 */
#ifndef INTAKE_SPOOL_H
#define INTAKE_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "core/config.h"
#include "util/err.h"
#include "spool/spoolrec.h"

struct intake_spool;

enum intake_spool_status {
	INTAKE_SPOOL_UNKNOWN,	/* no such reference */
	INTAKE_SPOOL_QUEUED,
	INTAKE_SPOOL_DONE,
	INTAKE_SPOOL_DEAD,
	INTAKE_SPOOL__MAX
};

/* A record held for delivery: its lock, its bytes once read. */
struct intake_spool_hold {
	int			fd;		/* -1: none */
	char			ref[INTAKE_SPOOL_REF_MAX];
	struct intake_buf	bytes;
};

/* Open (and create, mode 0700) the spool under dir.  The caller owns *out. */
enum intake_err	intake_spool_open(const char *dir, struct intake_spool **out);
void		intake_spool_close(struct intake_spool *s);

const char	*intake_spool_status_name(enum intake_spool_status st);

/*
 * Make, ahead of time, the empty file this process's next record (or
 * other spool file) is written to: a new file is slow on a busy file
 * system, so the worker calls this after each answer, off the answer's
 * path.  Best effort: without it a write makes its own.  A child of a
 * fork() never uses its parent's.
 */
void		intake_spool_prepare(struct intake_spool *s);

/*
 * Accept a record durably under ref.  INTAKE_OK: it is in queue/ and *h
 * holds its lock (release with intake_spool_release()).  When ref is
 * already known, *existing says where it is and nothing is written.
 */
enum intake_err	intake_spool_accept(struct intake_spool *s, const char *ref,
		    const struct intake_buf *record, struct intake_spool_hold *h,
		    enum intake_spool_status *existing);

/*
 * Take queue/ref for delivery without waiting.  INTAKE_OK with *got true:
 * *h holds it.  *got false: another process holds it, or it is gone.
 */
enum intake_err	intake_spool_take(struct intake_spool *s, const char *ref,
		    struct intake_spool_hold *h, bool *got);
/* Read the held record's bytes into h->bytes (at most max). */
enum intake_err	intake_spool_read(struct intake_spool *s, struct intake_spool_hold *h,
		    size_t max);
void		intake_spool_release(struct intake_spool_hold *h);

/*
 * The held record was delivered as m->sid / m->id: record that, drop it
 * from queue/.  durable: done/ is synced before this returns; otherwise
 * the next checkpoint does it (the caller's look before a retry must be
 * able to find the request should a power cut come first).
 */
enum intake_err	intake_spool_done(struct intake_spool *s, struct intake_spool_hold *h,
		    const struct intake_spool_meta *m, bool durable);
/*
 * Make durable what happened since the last checkpoint (queued records'
 * files, queue/, done/) and empty the journal.  Appends wait meanwhile.
 */
enum intake_err	intake_spool_checkpoint(struct intake_spool *s);
/* Set the held record aside in dead/ with m (m->error says why). */
enum intake_err	intake_spool_bury(struct intake_spool *s, struct intake_spool_hold *h,
		    const struct intake_spool_meta *m);
/*
 * Set the held record of form, accepted at created_ms, aside in dead/
 * for a person because of why (m->at_ms and m->error are set here), and
 * log "submission_held".  When dead/ cannot take it, it stays queued:
 * that is logged, m->next_ms is set retry_ms ahead and saved, and the
 * bury's error is returned.  Delivery and the dispatcher both hold
 * records this way.
 */
enum intake_err	intake_spool_set_aside(struct intake_spool *s, struct intake_spool_hold *h,
		    struct intake_spool_meta *m, const char *form, int64_t created_ms,
		    const char *why, int64_t retry_ms);
/* Move the held, unreadable record to quarantine/. */
enum intake_err	intake_spool_quarantine(struct intake_spool *s, struct intake_spool_hold *h);
/* Write the held record's state (queue/REF.meta). */
enum intake_err	intake_spool_set_meta(struct intake_spool *s, const char *ref,
		    const struct intake_spool_meta *m);

/* Where ref is and its meta (zeroed when it has none). */
enum intake_spool_status intake_spool_lookup(struct intake_spool *s, const char *ref,
		    struct intake_spool_meta *m);

/*
 * Call fn for every reference in place (INTAKE_SPOOL_QUEUED or _DEAD),
 * in no particular order.  fn returning false stops the walk.
 */
enum intake_err	intake_spool_each(struct intake_spool *s, enum intake_spool_status place,
		    bool (*fn)(void *arg, const char *ref), void *arg);

/*
 * Move dead/ref back to queue/ (the CLI's retry): its attempts, error and
 * "unsure" are cleared and its max_age starts again; the request it
 * started, if any, is kept.
 */
enum intake_err	intake_spool_revive(struct intake_spool *s, const char *ref);
/* Delete ref (and its meta) from place, after a checkpoint (it must not come back). */
enum intake_err	intake_spool_purge(struct intake_spool *s, enum intake_spool_status place,
		    const char *ref);
enum intake_spool_claim {
	INTAKE_CLAIM_NEW,	/* ours from now on */
	INTAKE_CLAIM_OURS,	/* ours already */
	INTAKE_CLAIM_OTHERS	/* another reference holds it */
};

/*
 * v7: claim Integrify request sid for reference ref, durably (fsynced)
 * and atomically across every process of this host: of all who race, one
 * gets INTAKE_CLAIM_NEW.  A claim lasts until swept or unclaimed.
 */
enum intake_err	intake_spool_claim(struct intake_spool *s, const char *sid,
		    const char *ref, enum intake_spool_claim *out);
/* Does ref hold a claim on sid already?  Reads, takes nothing; false when unreadable. */
bool		intake_spool_claim_held(struct intake_spool *s, const char *sid,
		    const char *ref);
/* Drop ref's claim on sid (INTAKE_ENOTFOUND when ref does not hold it). */
enum intake_err	intake_spool_unclaim(struct intake_spool *s, const char *sid,
		    const char *ref);

/*
 * Housekeeping: delete done/ receipts older than keep_done_ms, claims
 * older than keep_claims_ms and tmp/ files older than an hour (a crash
 * mid-write).  Returns how many went.
 */
long long	intake_spool_sweep(struct intake_spool *s, int64_t keep_done_ms,
		    int64_t keep_claims_ms);

#endif
