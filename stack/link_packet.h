/* SPDX-License-Identifier: MIT */
/*
 * link_packet.h - frame I/O on an existing interface through AF_PACKET rings
 */
#ifndef TCPGATE_LINK_PACKET_H
#define TCPGATE_LINK_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct stack_offload;

struct link_packet;
struct pcap_writer;

/**
 * struct link_packet_config - what link_packet_open() binds to
 * @name:	the existing interface
 * @netns:	network namespace under /run/netns, or NULL/"" for ours
 * @mtu:	largest IP packet the stack sends; must not exceed the interface's
 * @mac:	the MAC the stack uses, NULL for the interface's own; any other
 *		MAC turns promiscuous mode on
 * @fanout:	join a PACKET_FANOUT_HASH group (several workers)
 * @fanout_id:	the group to join; 0 = create a new one (its id is then
 *		returned by link_packet_fanout_id())
 */
struct link_packet_config {
	const char *name;
	const char *netns;
	uint16_t mtu;
	const uint8_t *mac;
	bool fanout;
	uint16_t fanout_id;
};

/**
 * struct link_packet_stats - drops inside the link (written by the owning
 * thread; other threads read them with relaxed atomic loads)
 * @rx_truncated:	frames larger than a ring block, dropped
 * @rx_kernel_dropped:	frames the kernel dropped because the ring was full
 *			(PACKET_STATISTICS tp_drops)
 * @tx_ring_full:	frames not sent: no free TX slot even after a flush
 * @rx_csum_completed:	frames whose partial checksum (a local sender's
 *			checksum offload) was completed before the stack
 */
struct link_packet_stats {
	uint64_t rx_truncated, rx_kernel_dropped, tx_ring_full, rx_csum_completed;
};

struct link_packet *link_packet_open(const struct link_packet_config *pc, char *err,
				     size_t errlen);
void link_packet_close(struct link_packet *p);
int link_packet_fd(const struct link_packet *p);
/* The interface's own MAC address. */
void link_packet_mac(const struct link_packet *p, uint8_t mac[6]);
/* The fanout group this socket is in (0 without fanout). */
uint16_t link_packet_fanout_id(const struct link_packet *p);
void link_packet_set_pcap(struct link_packet *p, struct pcap_writer *pcap);
/* Hand up to @max received frames to @fn (frames may be modified in place).
 * Return: frames handed over (0 if none was ready). */
int link_packet_read_batch(struct link_packet *p, unsigned max,
			   void (*fn)(void *arg, uint8_t *frame, size_t len,
				      const struct stack_offload *off),
			   void *arg);
/* Queue one frame on the TX ring; signature of stack_link.send. */
int link_packet_send(void *ctx, const uint8_t *frame, size_t len);
/* Transmit every queued frame: one send(2) for the whole batch. */
void link_packet_flush(struct link_packet *p);
/* Fold the kernel's ring drop counter into the stats (owning thread, e.g.
 * once a second). */
void link_packet_refresh_stats(struct link_packet *p);
const struct link_packet_stats *link_packet_stats(const struct link_packet *p);

#endif /* TCPGATE_LINK_PACKET_H */
