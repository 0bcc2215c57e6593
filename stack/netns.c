/* SPDX-License-Identifier: MIT */
/*
 * netns.c - run a piece of set-up inside a named network namespace
 *
 * Theory of operation
 * -------------------
 * A device (TAP or AF_PACKET socket) opened inside a network namespace stays
 * bound to it after the thread leaves, which is the point: tcpgate runs in
 * its own namespace while its link lives in the client's. netns_enter()
 * keeps the thread's own namespace open (/proc/thread-self/ns/net) and
 * setns(2)s into /run/netns/NAME (where `ip netns add` puts it);
 * netns_leave() goes back. Only the calling thread moves.
 */
#include "stack/netns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/**
 * netns_enter() - move the calling thread into /run/netns/@name
 * @name:	namespace name
 * @err:	error text buffer
 * @errlen:	its size
 *
 * Return: a file descriptor on the thread's own namespace for
 *	   netns_leave(), or -1 with @err filled (the thread did not move)
 */
int netns_enter(const char *name, char *err, size_t errlen)
{
	char path[256];
	int self, target, rc;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0) {
		snprintf(err, errlen, "interface.netns: /proc/thread-self/ns/net: %s",
			 strerror(errno));
		return -1;
	}
	target = open(path, O_RDONLY | O_CLOEXEC);
	if (target < 0) {
		snprintf(err, errlen, "interface.netns: %s: %s", path, strerror(errno));
		close(self);
		return -1;
	}
	rc = setns(target, CLONE_NEWNET);
	if (rc < 0)
		snprintf(err, errlen, "interface.netns: %s: setns: %s", path, strerror(errno));
	close(target);
	if (rc < 0) {
		close(self);
		return -1;
	}
	return self;
}

/**
 * netns_leave() - move the thread back to its own namespace
 * @self:	from netns_enter() (closed here)
 * @name:	the namespace left, for the message
 * @err:	error text buffer
 * @errlen:	its size
 *
 * Return: 0, or -1 with @err filled (the thread would keep running in the
 *	   wrong namespace: the caller must fail)
 */
int netns_leave(int self, const char *name, char *err, size_t errlen)
{
	int rc = setns(self, CLONE_NEWNET);

	if (rc < 0)
		snprintf(err, errlen, "interface.netns: cannot return from /run/netns/%s: %s",
			 name, strerror(errno));
	close(self);
	return rc < 0 ? -1 : 0;
}
