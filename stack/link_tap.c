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
 * EAGAIN or @max frames, so a busy link cannot starve the event loop. Every
 * frame in either direction is optionally written to a pcap file (without
 * the virtio-net header below).
 *
 * Offloads (LINK_TAP_OFFLOAD): the TAP is opened with IFF_VNET_HDR, its
 * header size set to sizeof(struct virtio_net_hdr) with TUNSETVNETHDRSZ
 * (explicitly: a persistent TAP keeps what an earlier user set) and
 * TUNSETOFFLOAD tells the kernel we take partial checksums and TCPv4 GSO
 * (TUN_F_CSUM | TUN_F_TSO4). The kernel then hands over whole ~64 KiB TCP
 * super-segments with their checksum left to us, and takes ours the same
 * way: every read and write starts with the 10-byte header, which this file
 * translates to and from struct stack_offload (stack.h), so the stack never
 * sees a Linux type. Header fields are host-endian (the TAP's default on a
 * little-endian host; TUNSETVNETLE is not needed there). A read too short for
 * the header, or a GSO type other than TCPv4, is handed on as
 * STACK_GSO_OTHER and dropped, counted, by the stack.
 *
 * Several workers open the TAP once each with IFF_MULTI_QUEUE
 * (LINK_TAP_MULTI_QUEUE, link_tap_open_mq()): one queue per worker, and the
 * kernel picks the queue by flow hash, so a flow stays on one worker.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "stack/link_tap.h"
#include "stack/pcap.h"

/* any frame: virtio-net header + Ethernet header + 64 KiB IP packet, with room to spare */
#define LINK_TAP_BUF (65536 + 256)
#define LINK_TAP_VNET_LEN ((int)sizeof(struct virtio_net_hdr))
/* largest IPv4 packet of a GSO frame we send: the IPv4 total length field */
#define LINK_TAP_TSO_MAX 65535u

/**
 * struct link_tap - an open TAP device
 * @fd:		the /dev/net/tun file descriptor
 * @vnet:	frames carry a struct virtio_net_hdr (LINK_TAP_OFFLOAD)
 * @pcap:	capture file, or NULL
 * @buf:	receive buffer, LINK_TAP_BUF bytes
 */
struct link_tap {
	int fd;
	bool vnet;
	struct pcap_writer *pcap;
	uint8_t buf[LINK_TAP_BUF];
};

/**
 * tap_offload_on() - vnet header size and offloads on a TAP opened with IFF_VNET_HDR
 * @fd:		the TAP
 * @name:	interface name (messages)
 * @err:	error text buffer
 * @errlen:	its size
 *
 * Return: 0, or -1 with @err filled
 */
static int tap_offload_on(int fd, const char *name, char *err, size_t errlen)
{
	int hdrsz = LINK_TAP_VNET_LEN;

	if (ioctl(fd, TUNSETVNETHDRSZ, &hdrsz) < 0) {
		snprintf(err, errlen, "interface.offload: %s: TUNSETVNETHDRSZ: %s", name,
			 strerror(errno));
		return -1;
	}
	if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)(TUN_F_CSUM | TUN_F_TSO4)) < 0) {
		snprintf(err, errlen, "interface.offload: %s: TUNSETOFFLOAD: %s", name,
			 strerror(errno));
		return -1;
	}
	return 0;
}

/**
 * tap_setup() - create/attach the TAP, set its MTU, bring it up
 * @name:	interface name
 * @mtu:	MTU to set
 * @flags:	LINK_TAP_* options
 * @err:	error text buffer
 * @errlen:	its size
 *
 * Runs in whatever network namespace the thread is in.
 * Return: the TAP file descriptor, or -1 with @err filled
 */
static int tap_setup(const char *name, uint16_t mtu, unsigned flags, char *err,
		     size_t errlen)
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
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	if (flags & LINK_TAP_OFFLOAD)
		ifr.ifr_flags |= IFF_VNET_HDR;
	if (flags & LINK_TAP_MULTI_QUEUE)
		ifr.ifr_flags |= IFF_MULTI_QUEUE;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		snprintf(err, errlen, "interface.name: %s: TUNSETIFF: %s", name,
			 strerror(errno));
		goto fail;
	}
	if ((flags & LINK_TAP_OFFLOAD) && tap_offload_on(fd, name, err, errlen))
		goto fail;
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
 * @flags:	LINK_TAP_* options
 * @err:	error text buffer
 * @errlen:	its size
 *
 * Return: the TAP file descriptor, or -1 with @err filled; the thread is back
 * in its own namespace either way
 */
static int tap_setup_in_netns(const char *name, const char *netns, uint16_t mtu,
			      unsigned flags, char *err, size_t errlen)
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
		fd = tap_setup(name, mtu, flags, err, errlen);
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
 * link_tap_open() - create or attach to a TAP device
 * @name:	interface name
 * @netns:	network namespace name under /run/netns, or NULL/"" for ours
 * @mtu:	MTU to set on the interface
 * @flags:	LINK_TAP_* options (LINK_TAP_OFFLOAD: vnet header, TSO, checksums)
 * @err:	error text buffer
 * @errlen:	its size
 *
 * Return: the link, or NULL with @err filled
 */
struct link_tap *link_tap_open(const char *name, const char *netns, uint16_t mtu,
			       unsigned flags, char *err, size_t errlen)
{
	struct link_tap *t = calloc(1, sizeof(*t));
	int fd;

	if (!t) {
		snprintf(err, errlen, "interface: out of memory");
		return NULL;
	}
	if (netns && *netns)
		fd = tap_setup_in_netns(name, netns, mtu, flags, err, errlen);
	else
		fd = tap_setup(name, mtu, flags, err, errlen);
	if (fd < 0) {
		free(t);
		return NULL;
	}
	t->fd = fd;
	t->vnet = !!(flags & LINK_TAP_OFFLOAD);
	return t;
}

/**
 * link_tap_open_mq() - open one more queue of a multi-queue TAP (created by
 *			the first call), one per worker
 * @name:	interface name
 * @netns:	network namespace name under /run/netns, or NULL/"" for ours
 * @mtu:	MTU to set on the interface
 * @flags:	LINK_TAP_* options (LINK_TAP_MULTI_QUEUE is added)
 * @err:	error text buffer
 * @errlen:	its size
 *
 * Return: the link, or NULL with @err filled
 */
struct link_tap *link_tap_open_mq(const char *name, const char *netns, uint16_t mtu,
				  unsigned flags, char *err, size_t errlen)
{
	return link_tap_open(name, netns, mtu, flags | LINK_TAP_MULTI_QUEUE, err, errlen);
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
 * link_tap_link() - the stack_link for a stack on this TAP
 * @t:	the link
 *
 * Return: send/send_ex/ctx; TSO and checksum offload with LINK_TAP_OFFLOAD
 */
struct stack_link link_tap_link(struct link_tap *t)
{
	return (struct stack_link){ .send = link_tap_send, .ctx = t,
				    .send_ex = link_tap_send_ex,
				    .tso_max = t->vnet ? LINK_TAP_TSO_MAX : 0,
				    .csum_offload = t->vnet };
}

/**
 * tap_vnet_to_offload() - translate a received virtio-net header
 * @h:		the header (host-endian fields)
 * @off:	filled
 *
 * Return: @off, or NULL when the header claims nothing (a plain frame)
 */
static const struct stack_offload *tap_vnet_to_offload(const struct virtio_net_hdr *h,
						       struct stack_offload *off)
{
	memset(off, 0, sizeof(*off));
	switch (h->gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN) {
	case VIRTIO_NET_HDR_GSO_NONE:
		off->gso_type = STACK_GSO_NONE;
		break;
	case VIRTIO_NET_HDR_GSO_TCPV4:
		off->gso_type = STACK_GSO_TCPV4;
		break;
	default:
		off->gso_type = STACK_GSO_OTHER;
	}
	off->gso_size = h->gso_size;
	off->hdr_len = h->hdr_len;
	if (h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		off->csum = STACK_CSUM_PARTIAL;
		off->csum_start = h->csum_start;
		off->csum_offset = h->csum_offset;
	} else if (h->flags & VIRTIO_NET_HDR_F_DATA_VALID) {
		off->csum = STACK_CSUM_VALID;
	}
	if (off->gso_type == STACK_GSO_NONE && off->csum == STACK_CSUM_NONE)
		return NULL;
	return off;
}

/**
 * link_tap_read_batch() - read frames until EAGAIN or @max
 * @t:		the link
 * @max:	most frames to read
 * @fn:		called with each frame and its offload metadata (NULL for a
 *		plain frame); the buffer may be modified, it is reused for
 *		the next frame once @fn returns
 * @arg:	passed to @fn
 *
 * Return: frames read, or -errno if the first read failed
 */
int link_tap_read_batch(struct link_tap *t, unsigned max,
			void (*fn)(void *arg, uint8_t *frame, size_t len,
				   const struct stack_offload *off),
			void *arg)
{
	static const struct stack_offload unparsable = { .gso_type = STACK_GSO_OTHER };
	size_t hl = t->vnet ? LINK_TAP_VNET_LEN : 0;
	unsigned n = 0;

	while (n < max) {
		ssize_t r = read(t->fd, t->buf, sizeof(t->buf));
		struct virtio_net_hdr h;
		struct stack_offload off;
		const struct stack_offload *o = NULL;

		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || n)
				break;
			return -errno;
		}
		n++;
		if ((size_t)r < hl) {
			fn(arg, t->buf, 0, &unparsable);	/* counted by the stack */
			continue;
		}
		if (hl) {
			memcpy(&h, t->buf, sizeof(h));
			o = tap_vnet_to_offload(&h, &off);
		}
		if (t->pcap)
			pcap_write(t->pcap, t->buf + hl, (size_t)r - hl);
		fn(arg, t->buf + hl, (size_t)r - hl, o);
	}
	return (int)n;
}

/**
 * link_tap_send() - write one plain frame (stack_link.send)
 * @ctx:	the struct link_tap
 * @frame:	the frame
 * @len:	its length
 *
 * Return: 0, -EAGAIN when the device queue is full, or -errno
 */
int link_tap_send(void *ctx, const uint8_t *frame, size_t len)
{
	return link_tap_send_ex(ctx, frame, len, NULL);
}

/**
 * tap_offload_to_vnet() - the virtio-net header for a frame we send
 * @off:	its offload metadata, or NULL
 * @h:		filled (all zero for a plain frame)
 */
static void tap_offload_to_vnet(const struct stack_offload *off, struct virtio_net_hdr *h)
{
	memset(h, 0, sizeof(*h));
	if (!off)
		return;
	if (off->gso_type == STACK_GSO_TCPV4) {
		h->gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
		h->gso_size = off->gso_size;
		h->hdr_len = off->hdr_len;
	}
	if (off->csum == STACK_CSUM_PARTIAL) {
		h->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		h->csum_start = off->csum_start;
		h->csum_offset = off->csum_offset;
	}
}

/**
 * link_tap_send_ex() - write one frame with its offload metadata (stack_link.send_ex)
 * @ctx:	the struct link_tap
 * @frame:	the frame
 * @len:	its length
 * @off:	GSO and checksum metadata, or NULL for a plain frame
 *
 * With the vnet header the frame goes out behind it in one writev(2).
 * Without it, only plain frames can be sent.
 *
 * Return: 0, -EAGAIN when the device queue is full, -EINVAL for offload
 * metadata on a TAP without offloads, or -errno
 */
int link_tap_send_ex(void *ctx, const uint8_t *frame, size_t len,
		     const struct stack_offload *off)
{
	struct link_tap *t = ctx;
	struct virtio_net_hdr h;
	struct iovec iov[2] = {
		{ .iov_base = &h, .iov_len = sizeof(h) },
		{ .iov_base = (void *)(uintptr_t)frame, .iov_len = len },
	};
	size_t total = len;
	ssize_t w;

	if (t->vnet) {
		tap_offload_to_vnet(off, &h);
		total += sizeof(h);
	} else if (off && (off->gso_type != STACK_GSO_NONE || off->csum != STACK_CSUM_NONE)) {
		return -EINVAL;
	}
	do
		w = t->vnet ? writev(t->fd, iov, 2) : write(t->fd, frame, len);
	while (w < 0 && errno == EINTR);
	if (w < 0)
		return -errno;	/* -EAGAIN included: the stack counts a tx drop */
	if ((size_t)w != total)
		return -EIO;	/* a TAP write is one frame, never partial */
	if (t->pcap)
		pcap_write(t->pcap, frame, len);
	return 0;
}
