/* SPDX-License-Identifier: MIT */
/*
 * link_packet.c - frame I/O on an existing interface through AF_PACKET rings
 *
 * Theory of operation
 * -------------------
 * link_packet_open() binds one AF_PACKET socket (SOCK_RAW, ETH_P_ALL) to an
 * existing interface, inside /run/netns/NAME when asked (the thread enters
 * the namespace with setns(2) and returns before the function does; the
 * socket stays bound to the interface over there). The interface is not
 * configured by tcpgate: it must be up, and its MTU at least interface.mtu.
 *
 * Receive: a TPACKET_V3 ring of LP_RX_BLOCKS blocks of LP_RX_BLOCK bytes,
 * mmap'ed. The kernel fills a block with as many frames as fit and hands it
 * over (TP_STATUS_USER) when it is full or LP_RX_TIMEOUT_MS after its first
 * frame, which wakes poll/epoll. link_packet_read_batch() walks the frames
 * of the handed-over blocks in place, without a system call, and gives each
 * block back (TP_STATUS_KERNEL) when done; a batch may end in the middle of
 * a block and the next one resumes there. The block timeout is the price of
 * block-based receive: a frame on an otherwise idle link waits up to 1 ms.
 * The kernel counts frames it dropped because no block was free
 * (PACKET_STATISTICS), folded into rx_kernel_dropped once a second.
 *
 * Transmit: a TX ring (TPACKET_V3 frame layout, LP_TX_FRAMES fixed slots)
 * in the same mapping. link_packet_send() copies the frame into the next
 * free slot and marks it TP_STATUS_SEND_REQUEST; link_packet_flush(), called
 * once per event-loop wake-up (and after every LP_TX_KICK queued frames),
 * makes one send(2) that transmits every marked slot. Chosen over sendmmsg:
 * both cost one system call per batch and one copy per frame, but the ring
 * needs no iovec/msghdr arrays, the stack's send callback stays a plain
 * "queue this frame", and the kernel reuses slot memory instead of building
 * a fresh skb from user memory per message. A slot becomes free again when
 * the kernel is done with its skb; if the next slot is still busy after a
 * flush, the frame is dropped (tx_ring_full, and -ENOBUFS makes the stack
 * count a tx drop; TCP retransmits).
 *
 * Our own transmitted frames are not looped back into the receive ring
 * (PACKET_IGNORE_OUTGOING, Linux 4.20).
 *
 * Addressing: by default the stack uses the interface's own MAC
 * (link_packet_mac()), so no promiscuous mode is needed; the kernel of that
 * namespace must then own no address the stack answers for (see the README).
 * With another configured MAC, promiscuous mode is turned on (a
 * PACKET_MR_PROMISC membership, undone when the socket closes).
 *
 * Several workers: each opens its own socket and ring and joins one
 * PACKET_FANOUT_HASH group, so the kernel spreads flows over the sockets by
 * the flow hash and every segment of a connection reaches the same worker.
 * The first socket creates the group (PACKET_FANOUT_FLAG_UNIQUEID), the
 * others join it by id.
 *
 * Checksums: a frame from a sender in the same host (a veth peer) may carry
 * a partial TCP/UDP checksum (checksum offload; TP_STATUS_CSUMNOTREADY). The
 * kernel vouches for such data, so the checksum is completed here before
 * the stack verifies it (rx_csum_completed counts them).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "stack/checksum.h"
#include "stack/link_packet.h"
#include "stack/pcap.h"
#include "stack/wire.h"

#define LP_RX_BLOCK		(256u * 1024u)	/* bytes per receive block */
#define LP_RX_BLOCKS		32u		/* 8 MiB of receive ring */
#define LP_RX_FRAME		2048u		/* nominal, V3 packs frames tightly */
#define LP_RX_TIMEOUT_MS	1u		/* hand over a partial block after this */
#define LP_TX_FRAMES		2048u		/* transmit slots */
#define LP_TX_BLOCK		(64u * 1024u)
#define LP_TX_KICK		64u		/* flush after this many queued frames */
/* where the frame starts in a TX slot: TPACKET3_HDRLEN minus the sockaddr_ll */
#define LP_TX_DATA_OFF		(TPACKET_ALIGN(sizeof(struct tpacket3_hdr)))

/**
 * struct link_packet - an AF_PACKET socket with its rings
 * @fd:		the socket
 * @ifindex:	the interface
 * @mac:	the interface's MAC
 * @fanout_id:	fanout group, 0 when none
 * @map:	the mapping: receive ring, then transmit ring
 * @map_len:	its length
 * @rx_block:	receive block being read
 * @rx_left:	frames of it not handed to the stack yet (0: not started)
 * @rx_pkt:	next frame in it
 * @tx:		first transmit slot
 * @tx_frame:	transmit slot size
 * @tx_per_block: transmit slots per block
 * @tx_slots:	transmit slots in all
 * @tx_next:	next slot to fill
 * @tx_queued:	slots marked since the last flush
 * @pcap:	capture file, or NULL
 * @stats:	drops and fix-ups
 */
struct link_packet {
	int fd;
	int ifindex;
	uint8_t mac[6];
	uint16_t fanout_id;
	uint8_t *map;
	size_t map_len;
	unsigned rx_block;
	unsigned rx_left;
	struct tpacket3_hdr *rx_pkt;
	uint8_t *tx;
	unsigned tx_frame, tx_per_block, tx_slots;
	unsigned tx_next, tx_queued;
	struct pcap_writer *pcap;
	struct link_packet_stats stats;
};

#define LP_STAT_ADD(p, field, n) \
	__atomic_store_n(&(p)->stats.field, (p)->stats.field + (n), __ATOMIC_RELAXED)

/**
 * lp_tx_frame_size() - transmit slot size for an MTU
 * @mtu:	largest IP packet
 *
 * Return: a power of two holding the slot header and an Ethernet frame
 */
static unsigned lp_tx_frame_size(uint16_t mtu)
{
	unsigned need = (unsigned)LP_TX_DATA_OFF + ETH_HDR_LEN + mtu, sz = 2048;

	while (sz < need)
		sz <<= 1;
	return sz;
}

/**
 * lp_ifinfo() - index, MAC, MTU and up-state of the interface
 * @fd:		any socket in the interface's namespace
 * @p:		fills @ifindex and @mac
 * @pc:		configuration (name, mtu)
 * @err:	error text buffer
 * @errlen:	its size
 *
 * Return: 0, or -1 with @err filled
 */
static int lp_ifinfo(int fd, struct link_packet *p, const struct link_packet_config *pc,
		     char *err, size_t errlen)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	if (!*pc->name || strlen(pc->name) >= IFNAMSIZ) {
		snprintf(err, errlen, "interface.name: \"%s\": must be 1..%d characters",
			 pc->name, IFNAMSIZ - 1);
		return -1;
	}
	strcpy(ifr.ifr_name, pc->name);
	if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0) {
		snprintf(err, errlen, "interface.name: %s: %s", pc->name, strerror(errno));
		return -1;
	}
	p->ifindex = ifr.ifr_ifindex;
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0 || ifr.ifr_hwaddr.sa_family != 1 /* ARPHRD_ETHER */) {
		snprintf(err, errlen, "interface.name: %s: not an Ethernet interface", pc->name);
		return -1;
	}
	memcpy(p->mac, ifr.ifr_hwaddr.sa_data, sizeof(p->mac));
	if (ioctl(fd, SIOCGIFMTU, &ifr) < 0 || ifr.ifr_mtu < pc->mtu) {
		snprintf(err, errlen, "interface.mtu: %u is larger than %s's MTU %d",
			 (unsigned)pc->mtu, pc->name, ifr.ifr_mtu);
		return -1;
	}
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0 || !(ifr.ifr_flags & IFF_UP)) {
		snprintf(err, errlen, "interface.name: %s is down", pc->name);
		return -1;
	}
	return 0;
}

/**
 * lp_setsockopt() - setsockopt(SOL_PACKET) with an error message
 * @fd:		the socket
 * @opt:	PACKET_* option
 * @val:	value
 * @len:	its size
 * @what:	for the message
 * @err:	error text buffer
 * @errlen:	its size
 *
 * Return: 0, or -1 with @err filled
 */
static int lp_setsockopt(int fd, int opt, const void *val, socklen_t len, const char *what,
			 char *err, size_t errlen)
{
	if (setsockopt(fd, SOL_PACKET, opt, val, len) == 0)
		return 0;
	snprintf(err, errlen, "interface: AF_PACKET %s: %s", what, strerror(errno));
	return -1;
}

/**
 * lp_rings() - set up and map the receive and transmit rings
 * @p:		the link (fd open, version set)
 * @pc:		configuration
 * @err:	error text buffer
 * @errlen:	its size
 *
 * Return: 0, or -1 with @err filled
 */
static int lp_rings(struct link_packet *p, const struct link_packet_config *pc, char *err,
		    size_t errlen)
{
	struct tpacket_req3 rx = {
		.tp_block_size = LP_RX_BLOCK,
		.tp_block_nr = LP_RX_BLOCKS,
		.tp_frame_size = LP_RX_FRAME,
		.tp_frame_nr = LP_RX_BLOCK / LP_RX_FRAME * LP_RX_BLOCKS,
		.tp_retire_blk_tov = LP_RX_TIMEOUT_MS,
	};
	struct tpacket_req3 tx = { 0 };
	size_t rx_len = (size_t)LP_RX_BLOCK * LP_RX_BLOCKS;

	p->tx_frame = lp_tx_frame_size(pc->mtu);
	p->tx_per_block = LP_TX_BLOCK >= p->tx_frame ? LP_TX_BLOCK / p->tx_frame : 1;
	tx.tp_frame_size = p->tx_frame;
	tx.tp_block_size = p->tx_per_block * p->tx_frame;
	tx.tp_block_nr = (LP_TX_FRAMES + p->tx_per_block - 1) / p->tx_per_block;
	tx.tp_frame_nr = tx.tp_block_nr * p->tx_per_block;
	p->tx_slots = tx.tp_frame_nr;
	if (lp_setsockopt(p->fd, PACKET_RX_RING, &rx, sizeof(rx), "RX ring", err, errlen) ||
	    lp_setsockopt(p->fd, PACKET_TX_RING, &tx, sizeof(tx), "TX ring", err, errlen))
		return -1;
	p->map_len = rx_len + (size_t)tx.tp_block_size * tx.tp_block_nr;
	p->map = mmap(NULL, p->map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
		      p->fd, 0);
	if (p->map == MAP_FAILED) {
		p->map = NULL;
		snprintf(err, errlen, "interface: mmap of the AF_PACKET rings: %s",
			 strerror(errno));
		return -1;
	}
	p->tx = p->map + rx_len;
	return 0;
}

/**
 * lp_fanout() - join (or create) the PACKET_FANOUT_HASH group
 * @p:		the link (bound)
 * @pc:		configuration
 * @err:	error text buffer
 * @errlen:	its size
 *
 * Return: 0, or -1 with @err filled
 */
static int lp_fanout(struct link_packet *p, const struct link_packet_config *pc, char *err,
		     size_t errlen)
{
	uint32_t arg;
	socklen_t len = sizeof(arg);

	if (!pc->fanout)
		return 0;
	/* high 16 bits: mode and flags, low 16 bits: the group id */
	if (pc->fanout_id)
		arg = (uint32_t)PACKET_FANOUT_HASH << 16 | pc->fanout_id;
	else
		arg = (uint32_t)(PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_UNIQUEID) << 16;
	if (lp_setsockopt(p->fd, PACKET_FANOUT, &arg, sizeof(arg), "fanout", err, errlen))
		return -1;
	if (getsockopt(p->fd, SOL_PACKET, PACKET_FANOUT, &arg, &len) < 0) {
		snprintf(err, errlen, "interface: AF_PACKET fanout id: %s", strerror(errno));
		return -1;
	}
	p->fanout_id = (uint16_t)(arg & 0xffff);
	return 0;
}

/**
 * lp_setup() - open, configure and bind the socket in the current namespace
 * @p:		the link to fill
 * @pc:		configuration
 * @err:	error text buffer
 * @errlen:	its size
 *
 * Return: 0, or -1 with @err filled (the fd, if opened, is closed by the caller)
 */
static int lp_setup(struct link_packet *p, const struct link_packet_config *pc, char *err,
		    size_t errlen)
{
	int version = TPACKET_V3, one = 1;
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };

	/* protocol 0: nothing is queued before the rings exist and bind() */
	p->fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->fd < 0) {
		snprintf(err, errlen, "interface: AF_PACKET socket: %s", strerror(errno));
		return -1;
	}
	if (lp_ifinfo(p->fd, p, pc, err, errlen) ||
	    lp_setsockopt(p->fd, PACKET_VERSION, &version, sizeof(version), "TPACKET_V3", err,
			  errlen) ||
	    lp_setsockopt(p->fd, PACKET_IGNORE_OUTGOING, &one, sizeof(one),
			  "PACKET_IGNORE_OUTGOING", err, errlen) ||
	    lp_rings(p, pc, err, errlen))
		return -1;
	sll.sll_ifindex = p->ifindex;
	if (bind(p->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		snprintf(err, errlen, "interface: bind to %s: %s", pc->name, strerror(errno));
		return -1;
	}
	if (pc->mac && memcmp(pc->mac, p->mac, sizeof(p->mac))) {
		struct packet_mreq mr = { .mr_ifindex = p->ifindex, .mr_type = PACKET_MR_PROMISC };

		if (lp_setsockopt(p->fd, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr),
				  "promiscuous mode", err, errlen))
			return -1;
	}
	return lp_fanout(p, pc, err, errlen);
}

/**
 * lp_setup_in_netns() - run lp_setup() inside /run/netns/@netns
 * @p:		the link to fill
 * @pc:		configuration
 * @err:	error text buffer
 * @errlen:	its size
 *
 * Return: 0, or -1 with @err filled; the thread is back in its own namespace
 * either way
 */
static int lp_setup_in_netns(struct link_packet *p, const struct link_packet_config *pc,
			     char *err, size_t errlen)
{
	char path[256];
	int self, target, rc = -1;

	snprintf(path, sizeof(path), "/run/netns/%s", pc->netns);
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
		rc = lp_setup(p, pc, err, errlen);
		if (setns(self, CLONE_NEWNET) < 0) {
			/* the thread would keep running in the wrong namespace */
			snprintf(err, errlen, "interface.netns: cannot return from %s: %s",
				 path, strerror(errno));
			rc = -1;
		}
	}
	close(target);
	close(self);
	return rc;
}

/**
 * link_packet_open() - bind an AF_PACKET socket with rings to an interface
 * @pc:		what to bind to
 * @err:	error text buffer
 * @errlen:	its size
 *
 * Return: the link, or NULL with @err filled
 */
struct link_packet *link_packet_open(const struct link_packet_config *pc, char *err,
				     size_t errlen)
{
	struct link_packet *p = calloc(1, sizeof(*p));
	int rc;

	if (!p) {
		snprintf(err, errlen, "interface: out of memory");
		return NULL;
	}
	p->fd = -1;
	if (pc->netns && *pc->netns)
		rc = lp_setup_in_netns(p, pc, err, errlen);
	else
		rc = lp_setup(p, pc, err, errlen);
	if (rc) {
		link_packet_close(p);
		return NULL;
	}
	return p;
}

/**
 * link_packet_close() - unmap the rings and close the socket
 * @p:		the link, or NULL
 */
void link_packet_close(struct link_packet *p)
{
	if (!p)
		return;
	if (p->map)
		munmap(p->map, p->map_len);
	if (p->fd >= 0)
		close(p->fd);
	free(p);
}

/**
 * link_packet_fd() - the fd to poll for input
 * @p:		the link
 *
 * Return: the socket
 */
int link_packet_fd(const struct link_packet *p)
{
	return p->fd;
}

/**
 * link_packet_mac() - the interface's own MAC
 * @p:		the link
 * @mac:	filled
 */
void link_packet_mac(const struct link_packet *p, uint8_t mac[6])
{
	memcpy(mac, p->mac, sizeof(p->mac));
}

/**
 * link_packet_fanout_id() - the fanout group of this socket
 * @p:		the link
 *
 * Return: the group id, 0 without fanout
 */
uint16_t link_packet_fanout_id(const struct link_packet *p)
{
	return p->fanout_id;
}

/**
 * link_packet_set_pcap() - record frames in both directions
 * @p:		the link
 * @pcap:	capture file, or NULL to stop
 */
void link_packet_set_pcap(struct link_packet *p, struct pcap_writer *pcap)
{
	p->pcap = pcap;
}

/**
 * lp_complete_csum() - fill in a partial TCP/UDP checksum (IPv4)
 * @p:		the link (counts)
 * @frame:	the frame
 * @len:	its length
 *
 * The sender's kernel left the checksum to "hardware" (checksum offload on
 * a veth): the field holds only the pseudo-header sum. Anything that is not
 * a well-formed IPv4 TCP/UDP frame is left alone for the stack to judge.
 */
static void lp_complete_csum(struct link_packet *p, uint8_t *frame, size_t len)
{
	const struct eth_hdr *eth = (const struct eth_hdr *)frame;
	const struct ip4_hdr *ip = (const struct ip4_hdr *)(frame + ETH_HDR_LEN);
	size_t ihl, tot, l4_len, off;
	uint32_t sum;
	uint16_t c;
	uint8_t *l4;

	if (len < ETH_HDR_LEN + IP4_HDR_LEN || eth->type != htons(ETHERTYPE_IPV4))
		return;
	ihl = (size_t)(ip->ver_ihl & 0x0f) * 4;
	tot = ntohs(ip->tot_len);
	if ((ip->ver_ihl >> 4) != 4 || ihl < IP4_HDR_LEN || tot < ihl ||
	    tot > len - ETH_HDR_LEN || (ntohs(ip->frag_off) & (IP4_FLAG_MF | IP4_FRAG_OFF_MASK)))
		return;
	l4 = frame + ETH_HDR_LEN + ihl;
	l4_len = tot - ihl;
	if (ip->proto == IPPROTO_TCP_ && l4_len >= TCP_HDR_LEN)
		off = 16;	/* RFC 9293 §3.1: checksum at byte 16 of the TCP header */
	else if (ip->proto == 17 && l4_len >= 8)
		off = 6;	/* RFC 768: UDP checksum at byte 6 */
	else
		return;
	l4[off] = l4[off + 1] = 0;
	sum = csum_pseudo_ip4(ntohl(ip->saddr), ntohl(ip->daddr), ip->proto, (uint16_t)l4_len);
	c = csum_fold(csum_partial(l4, l4_len, sum));
	if (ip->proto == 17 && !c)
		c = 0xffff;	/* RFC 768: zero means "no checksum" */
	memcpy(l4 + off, &c, sizeof(c));
	LP_STAT_ADD(p, rx_csum_completed, 1);
}

/**
 * lp_rx_block() - a receive block by index
 * @p:		the link
 * @i:		block index
 *
 * Return: its descriptor
 */
static struct tpacket_block_desc *lp_rx_block(const struct link_packet *p, unsigned i)
{
	return (struct tpacket_block_desc *)(p->map + (size_t)i * LP_RX_BLOCK);
}

/**
 * lp_rx_frame() - hand one received frame to the caller
 * @p:		the link
 * @h:		the frame's header in the ring
 * @fn:		callback
 * @arg:	its argument
 */
static void lp_rx_frame(struct link_packet *p, struct tpacket3_hdr *h,
			void (*fn)(void *arg, uint8_t *frame, size_t len, 		      const struct stack_offload *off), void *arg)
{
	uint8_t *frame = (uint8_t *)h + h->tp_mac;

	if (h->tp_snaplen < h->tp_len) {
		LP_STAT_ADD(p, rx_truncated, 1);
		return;
	}
	if (h->tp_status & TP_STATUS_CSUMNOTREADY)
		lp_complete_csum(p, frame, h->tp_snaplen);
	if (p->pcap)
		pcap_write(p->pcap, frame, h->tp_snaplen);
	fn(arg, frame, h->tp_snaplen, NULL);	/* checksums completed above */
}

/**
 * link_packet_read_batch() - hand received frames to @fn, in place
 * @p:		the link
 * @max:	most frames to hand over
 * @fn:		called with each frame (it may modify it; the memory goes back
 *		to the kernel once the block is done)
 * @arg:	passed to @fn
 *
 * Return: frames handed over (0 if no block was ready)
 */
int link_packet_read_batch(struct link_packet *p, unsigned max,
			   void (*fn)(void *arg, uint8_t *frame, size_t len,
				      const struct stack_offload *off),
			   void *arg)
{
	unsigned n = 0;

	while (n < max) {
		struct tpacket_block_desc *b = lp_rx_block(p, p->rx_block);

		if (!p->rx_left) {
			if (!(__atomic_load_n(&b->hdr.bh1.block_status, __ATOMIC_ACQUIRE) &
			      TP_STATUS_USER))
				break;
			p->rx_left = b->hdr.bh1.num_pkts;
			p->rx_pkt = (struct tpacket3_hdr *)((uint8_t *)b +
							    b->hdr.bh1.offset_to_first_pkt);
		}
		while (p->rx_left && n < max) {
			struct tpacket3_hdr *h = p->rx_pkt;

			p->rx_pkt = (struct tpacket3_hdr *)((uint8_t *)h + h->tp_next_offset);
			p->rx_left--;
			lp_rx_frame(p, h, fn, arg);
			n++;
		}
		if (p->rx_left)
			break;
		/* block done: give it back to the kernel */
		__atomic_store_n(&b->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
		p->rx_block = (p->rx_block + 1) % LP_RX_BLOCKS;
	}
	return (int)n;
}

/**
 * lp_tx_slot() - a transmit slot by index
 * @p:		the link
 * @i:		slot index
 *
 * Return: its header
 */
static struct tpacket3_hdr *lp_tx_slot(const struct link_packet *p, unsigned i)
{
	unsigned block = i / p->tx_per_block, in = i % p->tx_per_block;

	return (struct tpacket3_hdr *)(p->tx + (size_t)block * p->tx_per_block * p->tx_frame +
				       (size_t)in * p->tx_frame);
}

/**
 * link_packet_flush() - transmit every queued frame with one send(2)
 * @p:		the link
 */
void link_packet_flush(struct link_packet *p)
{
	if (!p->tx_queued)
		return;
	p->tx_queued = 0;
	/* errors show up as slots in TP_STATUS_WRONG_FORMAT, reclaimed on reuse;
	 * EAGAIN/ENOBUFS leave slots marked for the next flush */
	while (send(p->fd, NULL, 0, MSG_DONTWAIT) < 0 && errno == EINTR)
		;
}

/**
 * lp_tx_free() - whether a slot may be filled
 * @h:		the slot
 *
 * Return: true if the kernel is done with it
 */
static bool lp_tx_free(struct tpacket3_hdr *h)
{
	uint32_t st = __atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE);

	return st == TP_STATUS_AVAILABLE || st == TP_STATUS_WRONG_FORMAT;
}

/**
 * link_packet_send() - queue one frame on the TX ring (stack_link.send)
 * @ctx:	the struct link_packet
 * @frame:	the frame
 * @len:	its length
 *
 * Return: 0, -EMSGSIZE if it does not fit a slot, -ENOBUFS if the ring is full
 */
int link_packet_send(void *ctx, const uint8_t *frame, size_t len)
{
	struct link_packet *p = ctx;
	struct tpacket3_hdr *h = lp_tx_slot(p, p->tx_next);

	if (len > p->tx_frame - LP_TX_DATA_OFF)
		return -EMSGSIZE;
	if (!lp_tx_free(h)) {
		link_packet_flush(p);
		if (!lp_tx_free(h)) {
			LP_STAT_ADD(p, tx_ring_full, 1);
			return -ENOBUFS;
		}
	}
	memcpy((uint8_t *)h + LP_TX_DATA_OFF, frame, len);
	h->tp_len = (uint32_t)len;
	h->tp_snaplen = (uint32_t)len;
	h->tp_next_offset = 0;
	__atomic_store_n(&h->tp_status, TP_STATUS_SEND_REQUEST, __ATOMIC_RELEASE);
	p->tx_next = (p->tx_next + 1) % p->tx_slots;
	if (p->pcap)
		pcap_write(p->pcap, frame, len);
	if (++p->tx_queued >= LP_TX_KICK)
		link_packet_flush(p);
	return 0;
}

/**
 * link_packet_refresh_stats() - fold the kernel's ring drops into the stats
 * @p:		the link (owning thread)
 */
void link_packet_refresh_stats(struct link_packet *p)
{
	struct tpacket_stats_v3 st;
	socklen_t len = sizeof(st);

	/* reading the counters resets them in the kernel */
	if (getsockopt(p->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0)
		LP_STAT_ADD(p, rx_kernel_dropped, st.tp_drops);
}

/**
 * link_packet_stats() - the link's own drop counters
 * @p:		the link
 *
 * Return: counters (read them with relaxed atomic loads from other threads)
 */
const struct link_packet_stats *link_packet_stats(const struct link_packet *p)
{
	return &p->stats;
}
