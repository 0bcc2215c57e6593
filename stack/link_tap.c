/* SPDX-License-Identifier: MIT */
/*
 * link_tap.c - frame I/O on a Linux TAP device
 *
 * Theory of operation
 * -------------------
 * link_tap_open() opens /dev/net/tun and creates the TAP interface, or attaches
 * to it if it already exists (TUNSETIFF with IFF_TAP | IFF_NO_PI: whole
 * Ethernet frames, no packet-information prefix), non-blocking. It sets the
 * interface MTU and brings it up through an AF_INET socket. With a network
 * namespace name, all of that happens inside /run/netns/NAME: the calling
 * thread enters it with setns(2) and returns to its own namespace (kept open
 * as /proc/thread-self/ns/net) before returning; the TAP file descriptor stays
 * bound to the interface in the other namespace, which is the point.
 *
 * The data path is one read(2) or write(2) per frame. link_tap_read_batch()
 * reads into one buffer owned by the link (big enough for any frame) until
 * EAGAIN or @max frames, so a busy link cannot starve the event loop. Several
 * workers open the TAP once each with IFF_MULTI_QUEUE (link_tap_open_mq()):
 * one queue per worker, the kernel picks the queue by flow hash. Every
 * frame in either direction is optionally written to a pcap file.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "stack/link_tap.h"
#include "stack/pcap.h"

/* any frame: Ethernet header + 64 KiB IP packet, with room to spare */
#define LINK_TAP_BUF (65536 + 256)

/**
 * struct link_tap - an open TAP device
 * @fd:		the /dev/net/tun file descriptor
 * @pcap:	capture file, or NULL
 * @buf:	receive buffer, LINK_TAP_BUF bytes
 */
struct link_tap {
	int fd;
	struct pcap_writer *pcap;
	uint8_t buf[LINK_TAP_BUF];
};

/**
 * tap_setup() - create/attach the TAP, set its MTU, bring it up
 * @name:	interface name
 * @mtu:	MTU to set
 * @mq:		IFF_MULTI_QUEUE to open one more queue of a multi-queue TAP, or 0
 * @err:	error text buffer
 * @errlen:	its size
 *
 * Runs in whatever network namespace the thread is in.
 * Return: the TAP file descriptor, or -1 with @err filled
 */
static int tap_setup(const char *name, uint16_t mtu, int mq, char *err, size_t errlen)
{
	struct ifreq ifr;
	int fd, sk = -1;

	memset(&ifr, 0, sizeof(ifr));
	if (!*name || strlen(name) >= IFNAMSIZ) {
		snprintf(err, errlen, "interface.name: \"%s\": must be 1..%d characters",
			 name, IFNAMSIZ - 1);
		return -1;
	}
	strcpy(ifr.ifr_name, name);
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "/dev/net/tun: %s", strerror(errno));
		return -1;
	}
	ifr.ifr_flags = (short)(IFF_TAP | IFF_NO_PI | mq);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		snprintf(err, errlen, "interface.name: %s: TUNSETIFF: %s", name,
			 strerror(errno));
		goto fail;
	}
	sk = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sk < 0) {
		snprintf(err, errlen, "interface: socket: %s", strerror(errno));
		goto fail;
	}
	ifr.ifr_mtu = mtu;
	if (ioctl(sk, SIOCSIFMTU, &ifr) < 0) {
		snprintf(err, errlen, "interface.mtu: %s: cannot set MTU %u: %s", name,
			 (unsigned)mtu, strerror(errno));
		goto fail;
	}
	if (ioctl(sk, SIOCGIFFLAGS, &ifr) < 0 ||
	    (ifr.ifr_flags |= IFF_UP, ioctl(sk, SIOCSIFFLAGS, &ifr) < 0)) {
		snprintf(err, errlen, "interface.name: %s: cannot bring up: %s", name,
			 strerror(errno));
		goto fail;
	}
	close(sk);
	return fd;
fail:
	if (sk >= 0)
		close(sk);
	close(fd);
	return -1;
}

/**
 * tap_setup_in_netns() - run tap_setup() inside /run/netns/@netns
 * @name:	interface name
 * @netns:	namespace name
 * @mtu:	MTU to set
 * @mq:		IFF_MULTI_QUEUE or 0
 * @err:	error text buffer
 * @errlen:	its size
 *
 * Return: the TAP file descriptor, or -1 with @err filled; the thread is back
 * in its own namespace either way
 */
static int tap_setup_in_netns(const char *name, const char *netns, uint16_t mtu,
			      int mq, char *err, size_t errlen)
{
	char path[256];
	int self, target, fd = -1;

	snprintf(path, sizeof(path), "/run/netns/%s", netns);
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
	if (setns(target, CLONE_NEWNET) < 0) {
		snprintf(err, errlen, "interface.netns: %s: setns: %s", path, strerror(errno));
	} else {
		fd = tap_setup(name, mtu, mq, err, errlen);
		if (setns(self, CLONE_NEWNET) < 0) {
			/* the thread would keep running in the wrong namespace */
			snprintf(err, errlen, "interface.netns: cannot return from %s: %s",
				 path, strerror(errno));
			if (fd >= 0)
				close(fd);
			fd = -1;
		}
	}
	close(target);
	close(self);
	return fd;
}

/**
 * link_tap_open_flags() - create or attach to a TAP device (or one queue)
 * @name:	interface name
 * @netns:	network namespace name under /run/netns, or NULL/"" for ours
 * @mtu:	MTU to set on the interface
 * @mq:		IFF_MULTI_QUEUE or 0
 * @err:	error text buffer
 * @errlen:	its size
 *
 * Return: the link, or NULL with @err filled
 */
static struct link_tap *link_tap_open_flags(const char *name, const char *netns,
					    uint16_t mtu, int mq, char *err, size_t errlen)
{
	struct link_tap *t = calloc(1, sizeof(*t));
	int fd;

	if (!t) {
		snprintf(err, errlen, "interface: out of memory");
		return NULL;
	}
	if (netns && *netns)
		fd = tap_setup_in_netns(name, netns, mtu, mq, err, errlen);
	else
		fd = tap_setup(name, mtu, mq, err, errlen);
	if (fd < 0) {
		free(t);
		return NULL;
	}
	t->fd = fd;
	return t;
}

/**
 * link_tap_open() - create or attach to a (single-queue) TAP device
 * @name:	interface name
 * @netns:	network namespace name under /run/netns, or NULL/"" for ours
 * @mtu:	MTU to set on the interface
 * @err:	error text buffer
 * @errlen:	its size
 *
 * Return: the link, or NULL with @err filled
 */
struct link_tap *link_tap_open(const char *name, const char *netns, uint16_t mtu,
			       char *err, size_t errlen)
{
	return link_tap_open_flags(name, netns, mtu, 0, err, errlen);
}

/**
 * link_tap_open_mq() - open one more queue of a multi-queue TAP (created by
 *			the first call), one per worker: the kernel spreads
 *			flows over the queues by flow hash (IFF_MULTI_QUEUE)
 * @name:	interface name
 * @netns:	network namespace name under /run/netns, or NULL/"" for ours
 * @mtu:	MTU to set on the interface
 * @err:	error text buffer
 * @errlen:	its size
 *
 * Return: the link, or NULL with @err filled
 */
struct link_tap *link_tap_open_mq(const char *name, const char *netns, uint16_t mtu,
				  char *err, size_t errlen)
{
	return link_tap_open_flags(name, netns, mtu, IFF_MULTI_QUEUE, err, errlen);
}

/**
 * link_tap_close() - close the device (a non-persistent TAP disappears)
 * @t:	the link, or NULL
 */
void link_tap_close(struct link_tap *t)
{
	if (!t)
		return;
	close(t->fd);
	free(t);
}

/**
 * link_tap_fd() - the file descriptor to poll for input
 * @t:	the link
 *
 * Return: the fd
 */
int link_tap_fd(const struct link_tap *t)
{
	return t->fd;
}

/**
 * link_tap_set_pcap() - record frames in both directions
 * @t:	the link
 * @p:	the capture file, or NULL to stop
 */
void link_tap_set_pcap(struct link_tap *t, struct pcap_writer *p)
{
	t->pcap = p;
}

/**
 * link_tap_read_batch() - read frames until EAGAIN or @max
 * @t:		the link
 * @max:	most frames to read
 * @fn:		called with each frame (the buffer may be modified, it is
 *		reused for the next frame once @fn returns)
 * @arg:	passed to @fn
 *
 * Return: frames read, or -errno if the first read failed
 */
int link_tap_read_batch(struct link_tap *t, unsigned max,
			void (*fn)(void *arg, uint8_t *frame, size_t len), void *arg)
{
	unsigned n = 0;

	while (n < max) {
		ssize_t r = read(t->fd, t->buf, sizeof(t->buf));

		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || n)
				break;
			return -errno;
		}
		if (t->pcap)
			pcap_write(t->pcap, t->buf, (size_t)r);
		fn(arg, t->buf, (size_t)r);
		n++;
	}
	return (int)n;
}

/**
 * link_tap_send() - write one frame (stack_link.send)
 * @ctx:	the struct link_tap
 * @frame:	the frame
 * @len:	its length
 *
 * Return: 0, -EAGAIN when the device queue is full, or -errno
 */
int link_tap_send(void *ctx, const uint8_t *frame, size_t len)
{
	struct link_tap *t = ctx;
	ssize_t w;

	do
		w = write(t->fd, frame, len);
	while (w < 0 && errno == EINTR);
	if (w < 0)
		return -errno;	/* -EAGAIN included: the stack counts a tx drop */
	if ((size_t)w != len)
		return -EIO;	/* a TAP write is one frame, never partial */
	if (t->pcap)
		pcap_write(t->pcap, frame, len);
	return 0;
}
