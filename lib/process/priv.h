/*
 * priv.h - who intake's processes run as.
 *
 * Started as root, the pool binds its socket and then drops to the
 * configured user for good, before it creates any file or forks; it
 * never runs its workers as root unless told to (-R, as php-fpm's
 * --allow-to-run-as-root).
 */
#ifndef INTAKE_PRIV_H
#define INTAKE_PRIV_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

/*
 * The uid and gid of user and group (group "" : user's primary group),
 * into *uid and *gid.  INTAKE_ECONFIG with a message in msg when either
 * is unknown.
 */
enum intake_err	intake_priv_lookup(const char *user, const char *group, uid_t *uid, gid_t *gid,
		    char *msg, size_t msgsz);

/* The gid of group, into *gid.  INTAKE_ECONFIG with a message when unknown. */
enum intake_err	intake_priv_group(const char *group, gid_t *gid, char *msg, size_t msgsz);

/*
 * Become user and group for good: supplementary groups from the group
 * database (initgroups), then the gid, then the uid, all three of each
 * (real, effective, saved), checked with getresuid()/getresgid() and by
 * a setuid(0) that must fail.  Needs root; a process already running as
 * that user and group succeeds without changing anything.
 * INTAKE_ESYS (a call failed) or INTAKE_ECONFIG (not root, or the
 * names are unknown) with a message in msg otherwise.
 */
enum intake_err	intake_priv_drop(const char *user, const char *group, char *msg, size_t msgsz);

/*
 * Decide who the pool's processes run as: with user set, drop to it;
 * without, refuse to go on as root (INTAKE_ECONFIG and a message saying to
 * set [server] user) unless allow_root.
 */
enum intake_err	intake_priv_settle(const char *user, const char *group, bool allow_root,
		    char *msg, size_t msgsz);

#endif
