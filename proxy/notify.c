// SPDX-License-Identifier: MIT
/*
 * notify.c - the sd_notify datagram protocol (sd_notify(3)), ~40 lines
 *
 * Theory of operation: systemd passes a unix datagram socket in
 * $NOTIFY_SOCKET (a path, or "@name" for the abstract namespace). We connect
 * to it once at start, while still privileged (permission is checked at
 * connect), and send newline-separated KEY=VALUE datagrams: READY=1 once
 * serving, RELOADING=1 with MONOTONIC_USEC around a reload, STOPPING=1,
 * STATUS= with the live connection count when it changes, and WATCHDOG=1 at
 * half of $WATCHDOG_USEC when systemd asks for it. Failures are ignored:
 * notifications are advice to the service manager, never a reason to stop.
 */
#include "proxy/notify.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/**
 * struct notify_state - the connection to systemd
 * @fd:		connected datagram socket, -1 without NOTIFY_SOCKET
 * @wd_us:	watchdog interval from $WATCHDOG_USEC, 0 = none
 * @wd_next:	when to send the next WATCHDOG=1
 * @last_conns:	connection count last reported in STATUS=
 */
static struct notify_state {
	int fd;
	uint64_t wd_us, wd_next;
	size_t last_conns;
} ns = { .fd = -1, .last_conns = (size_t)-1 };

/**
 * notify_init() - connect to $NOTIFY_SOCKET if systemd set it
 */
void notify_init(void)
{
	const char *path = getenv("NOTIFY_SOCKET"), *wd = getenv("WATCHDOG_USEC");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len;

	if (wd)
		ns.wd_us = strtoull(wd, NULL, 10);
	if (!path || (path[0] != '/' && path[0] != '@') || strlen(path) >= sizeof(sa.sun_path))
		return;
	len = strlen(path);
	memcpy(sa.sun_path, path, len);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0';	/* abstract namespace */
	ns.fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (ns.fd >= 0 && connect(ns.fd, (struct sockaddr *)&sa,
				  (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len))) {
		close(ns.fd);
		ns.fd = -1;
	}
}

/**
 * notify_send() - send one notification datagram
 * @msg:	newline-separated KEY=VALUE assignments
 */
static void notify_send(const char *msg)
{
	if (ns.fd >= 0 && send(ns.fd, msg, strlen(msg), MSG_NOSIGNAL) < 0)
		return;	/* see the file comment */
}

/**
 * notify_status() - STATUS= with the connection count
 * @conns:	live connections
 * @extra:	assignments to send in the same datagram ("" none)
 */
static void notify_status(size_t conns, const char *extra)
{
	char buf[160];

	ns.last_conns = conns;
	snprintf(buf, sizeof(buf), "%sSTATUS=serving, %zu connection%s", extra, conns,
		 conns == 1 ? "" : "s");
	notify_send(buf);
}

/**
 * notify_ready() - READY=1: serving (also after a reload)
 * @conns:	live connections
 */
void notify_ready(size_t conns)
{
	notify_status(conns, "READY=1\n");
}

/**
 * notify_reloading() - RELOADING=1 with the monotonic time (systemd >= 253)
 */
void notify_reloading(void)
{
	struct timespec ts;
	char buf[96];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(buf, sizeof(buf), "RELOADING=1\nMONOTONIC_USEC=%llu",
		 (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000);
	notify_send(buf);
}

/**
 * notify_stopping() - STOPPING=1: graceful stop started
 */
void notify_stopping(void)
{
	notify_send("STOPPING=1");
}

/**
 * notify_tick() - once a second: STATUS= when it changed, WATCHDOG=1 when due
 * @conns:	live connections
 * @now_us:	monotonic microseconds
 */
void notify_tick(size_t conns, uint64_t now_us)
{
	if (ns.fd < 0)
		return;
	if (conns != ns.last_conns)
		notify_status(conns, "");
	if (ns.wd_us && now_us >= ns.wd_next) {
		notify_send("WATCHDOG=1");
		ns.wd_next = now_us + ns.wd_us / 2;
	}
}
