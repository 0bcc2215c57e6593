// SPDX-License-Identifier: MIT
/*
 * privdrop.c - become an unprivileged user once everything is open
 *
 * Theory of operation: tcpgate needs root (CAP_NET_ADMIN, and CAP_SYS_ADMIN
 * for a netns) only to open the TAP device; the stats and control sockets
 * need no privilege for loopback/unix addresses, backend connections none,
 * and a reload only changes userspace stack state (VIPs are the stack's own
 * table, not kernel addresses). So after the TAP, the stats listener and the
 * control socket are open, main() hands the control socket to the user and
 * calls privdrop_to(): supplementary groups cleared, then setgid(), then
 * setuid(). Without PR_SET_KEEPCAPS a setuid() away from uid 0 clears the
 * permitted and effective capability sets, so no capability is kept; the
 * function then checks that root cannot be regained. glibc applies the ids
 * to every thread already running (the stats and control threads).
 *
 * With "user" unset tcpgate stays root (documented in tcpgate.cfg(5)).
 */
#include "proxy/privdrop.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

/**
 * privdrop_lookup() - the uid and primary gid of a user
 * @user:	user name
 * @uid:	set to its uid
 * @gid:	set to its primary group
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0, or -ENOENT
 */
int privdrop_lookup(const char *user, uid_t *uid, gid_t *gid, char *err, size_t errlen)
{
	struct passwd *pw = getpwnam(user);

	if (!pw) {
		snprintf(err, errlen, "user \"%s\" does not exist", user);
		return -ENOENT;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

/**
 * privdrop_to() - switch every thread to @uid/@gid for good
 * @uid:	user
 * @gid:	group
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0, or -errno (then tcpgate must not go on running)
 */
int privdrop_to(uid_t uid, gid_t gid, char *err, size_t errlen)
{
	if (prctl(PR_SET_KEEPCAPS, 0L, 0L, 0L, 0L) ||
	    setgroups(1, &gid) || setresgid(gid, gid, gid) || setresuid(uid, uid, uid)) {
		snprintf(err, errlen, "dropping privileges to uid %u gid %u: %s",
			 (unsigned)uid, (unsigned)gid, strerror(errno));
		return -errno;
	}
	if (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
		snprintf(err, errlen, "dropping privileges: root could be regained");
		return -EPERM;
	}
	/* no exec of a setuid helper may ever give it back */
	prctl(PR_SET_NO_NEW_PRIVS, 1L, 0L, 0L, 0L);
	return 0;
}
