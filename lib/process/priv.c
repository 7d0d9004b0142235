/*
 * priv.c - dropping root for good (priv.h), in the order OpenBSD's
 * daemons use: groups, then gid, then uid, then check.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "process/priv.h"

enum intake_err
intake_priv_lookup(const char *user, const char *group, uid_t *uid, gid_t *gid, char *msg,
    size_t msgsz)
{
	struct passwd	*pw;

	errno = 0;
	pw = getpwnam(user);
	if (pw == NULL) {
		(void)snprintf(msg, msgsz, "[server] user: no such user '%s'", user);
		return INTAKE_ECONFIG;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	if (group != NULL && group[0] != '\0' &&
	    intake_priv_group(group, gid, msg, msgsz) != INTAKE_OK) {
		(void)snprintf(msg, msgsz, "[server] group: no such group '%s'", group);
		return INTAKE_ECONFIG;
	}
	return INTAKE_OK;
}

enum intake_err
intake_priv_group(const char *group, gid_t *gid, char *msg, size_t msgsz)
{
	struct group	*gr;

	gr = getgrnam(group);
	if (gr == NULL) {
		(void)snprintf(msg, msgsz, "no such group '%s'", group);
		return INTAKE_ECONFIG;
	}
	*gid = gr->gr_gid;
	return INTAKE_OK;
}

enum intake_err
intake_priv_drop(const char *user, const char *group, char *msg, size_t msgsz)
{
	uid_t	uid, ruid, euid, suid;
	gid_t	gid, rgid, egid, sgid;
	enum intake_err err;

	err = intake_priv_lookup(user, group, &uid, &gid, msg, msgsz);
	if (err != INTAKE_OK)
		return err;
	if (geteuid() != 0) {
		/* Not root: fine when we already are that user (systemd's User=). */
		if (getresuid(&ruid, &euid, &suid) == 0 && getresgid(&rgid, &egid, &sgid) == 0 &&
		    ruid == uid && euid == uid && suid == uid && egid == gid)
			return INTAKE_OK;
		(void)snprintf(msg, msgsz, "[server] user = %s: only root can switch to it", user);
		return INTAKE_ECONFIG;
	}
	if (uid == 0) {
		(void)snprintf(msg, msgsz, "[server] user = %s: the workers never run as root",
		    user);
		return INTAKE_ECONFIG;
	}
	if (initgroups(user, gid) == -1 || setresgid(gid, gid, gid) == -1 ||
	    setresuid(uid, uid, uid) == -1) {
		(void)snprintf(msg, msgsz, "cannot become %s: %s", user, strerror(errno));
		return INTAKE_ESYS;
	}
	/* For good: every id is the new one, and root cannot be had back. */
	if (getresuid(&ruid, &euid, &suid) == -1 || getresgid(&rgid, &egid, &sgid) == -1 ||
	    ruid != uid || euid != uid || suid != uid || rgid != gid || egid != gid ||
	    sgid != gid || setuid(0) != -1) {
		(void)snprintf(msg, msgsz, "dropping to %s did not hold", user);
		return INTAKE_ESYS;
	}
	return INTAKE_OK;
}

enum intake_err
intake_priv_settle(const char *user, const char *group, bool allow_root, char *msg,
    size_t msgsz)
{
	if (user != NULL && user[0] != '\0')
		return intake_priv_drop(user, group, msg, msgsz);
	if (geteuid() == 0 && !allow_root) {
		(void)snprintf(msg, msgsz, "refusing to run the workers as root: set [server] user "
		    "(e.g. user = intake), or start with -R to allow it");
		return INTAKE_ECONFIG;
	}
	return INTAKE_OK;
}
