// SPDX-License-Identifier: MIT
/*
 * worker_link.c - a worker's frame link, selected by interface.type
 *
 * Theory of operation: the event loop (worker.c) does not care where frames
 * come from; this file maps its few operations (poll fd, read a batch, send
 * one frame, flush at the end of a wake-up) onto link_tap.c or
 * link_packet.c.
 *
 *   "tap"	one TAP queue per worker. With workers = 1 a plain TAP; with
 *		more, every worker opens the same TAP with IFF_MULTI_QUEUE and
 *		the kernel picks the queue, hence the worker, by flow hash.
 *   "packet"	one AF_PACKET socket with its rings per worker, bound to the
 *		existing interface interface.name; with more than one worker
 *		they form one PACKET_FANOUT_HASH group (the first creates it,
 *		the others join it through @g).
 *
 * MAC address: interface.mac when configured. Otherwise a TAP uses the fixed
 * locally administered CONF_DEFAULT_MAC (the TAP's own MAC belongs to the
 * client side's kernel), and a packet link uses the interface's own MAC, so
 * the interface needs no promiscuous mode; with a configured MAC that is not
 * the interface's, the packet link turns promiscuous mode on.
 */
#include "proxy/worker_link.h"

#include <string.h>

/**
 * worker_link_open() - open this worker's queue of the configured link
 * @wl:		filled
 * @ifc:	interface configuration
 * @g:		shared between the workers' links (zeroed before the first)
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0, or -1 with @err filled
 */
int worker_link_open(struct worker_link *wl, const struct conf_interface *ifc,
		     struct worker_link_group *g, char *err, size_t errlen)
{
	unsigned flags;

	memset(wl, 0, sizeof(*wl));
	wl->type = ifc->type;
	if (ifc->type == CONF_LINK_PACKET) {
		struct link_packet_config pc = {
			.name = ifc->name,
			.netns = ifc->netns,
			.mtu = ifc->mtu,
			.fanout = ifc->workers > 1,
			.fanout_id = g->fanout_id,
			.mac = ifc->mac_set ? ifc->mac : NULL,
		};

		wl->pkt = link_packet_open(&pc, err, errlen);
		if (!wl->pkt)
			return -1;
		if (!g->fanout_id)
			g->fanout_id = link_packet_fanout_id(wl->pkt);
		return 0;
	}
	flags = ifc->offload ? LINK_TAP_OFFLOAD : 0;
	wl->tap = ifc->workers > 1 ?
		  link_tap_open_mq(ifc->name, ifc->netns, ifc->mtu, flags, err, errlen) :
		  link_tap_open(ifc->name, ifc->netns, ifc->mtu, flags, err, errlen);
	return wl->tap ? 0 : -1;
}

/**
 * worker_link_close() - close the link
 * @wl:		the link (closed or never opened is fine)
 */
void worker_link_close(struct worker_link *wl)
{
	link_tap_close(wl->tap);
	link_packet_close(wl->pkt);
	wl->tap = NULL;
	wl->pkt = NULL;
}

/**
 * worker_link_fd() - the fd to poll for received frames
 * @wl:		the link
 *
 * Return: the fd
 */
int worker_link_fd(const struct worker_link *wl)
{
	return wl->pkt ? link_packet_fd(wl->pkt) : link_tap_fd(wl->tap);
}

/**
 * worker_link_mac() - the MAC the stack uses (see the file comment)
 * @wl:		the link
 * @ifc:	interface configuration
 * @mac:	filled
 */
void worker_link_mac(const struct worker_link *wl, const struct conf_interface *ifc,
		     uint8_t mac[6])
{
	static const uint8_t default_mac[6] = CONF_DEFAULT_MAC;

	if (ifc->mac_set)
		memcpy(mac, ifc->mac, 6);
	else if (wl->pkt)
		link_packet_mac(wl->pkt, mac);
	else
		memcpy(mac, default_mac, 6);
}

/**
 * worker_link_output() - the stack's frame output for this link
 * @wl:		the link
 *
 * Return: send function and context
 */
struct stack_link worker_link_output(struct worker_link *wl)
{
	if (wl->pkt)
		return (struct stack_link){ .send = link_packet_send, .ctx = wl->pkt };
	return link_tap_link(wl->tap);	/* with its offload capabilities */
}

/**
 * worker_link_read_batch() - hand up to @max received frames to @fn
 * @wl:		the link
 * @max:	most frames
 * @fn:		called per frame (the frame may be modified)
 * @arg:	passed to @fn
 *
 * Return: frames handed over, or -errno
 */
int worker_link_read_batch(struct worker_link *wl, unsigned max,
			   void (*fn)(void *arg, uint8_t *frame, size_t len,
				      const struct stack_offload *off),
			   void *arg)
{
	if (wl->pkt)
		return link_packet_read_batch(wl->pkt, max, fn, arg);
	return link_tap_read_batch(wl->tap, max, fn, arg);
}

/**
 * worker_link_flush() - transmit what the wake-up queued (TX ring)
 * @wl:		the link
 */
void worker_link_flush(struct worker_link *wl)
{
	if (wl->pkt)
		link_packet_flush(wl->pkt);
}

/**
 * worker_link_set_pcap() - record frames in both directions
 * @wl:		the link
 * @p:		capture file, or NULL to stop
 */
void worker_link_set_pcap(struct worker_link *wl, struct pcap_writer *p)
{
	if (wl->pkt)
		link_packet_set_pcap(wl->pkt, p);
	else if (wl->tap)
		link_tap_set_pcap(wl->tap, p);
}

/**
 * worker_link_stats() - the packet link's own counters, refreshed
 * @wl:		the link (owning thread)
 *
 * Return: counters, or NULL for a TAP
 */
const struct link_packet_stats *worker_link_stats(struct worker_link *wl)
{
	if (!wl->pkt)
		return NULL;
	link_packet_refresh_stats(wl->pkt);
	return link_packet_stats(wl->pkt);
}
