/* SPDX-License-Identifier: MIT */
/*
 * stack_internal.h - what the stack's layers share with each other
 *
 * struct stack holds the configuration, the counters and one pointer per layer
 * that keeps state (the ARP/neighbour table, the TCP connection table). Each
 * layer's state is private to its own file(s).
 *
 * Output path: a layer asks for a transmit buffer with ip4_tx_begin(), writes
 * its L4 header and payload at the returned pointer, then hands the length to
 * ip4_tx_commit(), which writes the IPv4 and Ethernet headers and sends the
 * frame (or holds it in the ARP queue while the next hop is resolved). Only one
 * transmit buffer exists per stack: begin/commit must not be nested.
 */
#ifndef TCPGATE_STACK_INTERNAL_H
#define TCPGATE_STACK_INTERNAL_H

#include "stack.h"

#define STACK_MAX_VIPS 256
/* Largest frame the stack builds or accepts: Ethernet header + 64 KiB IP. */
#define STACK_MAX_FRAME (14 + 65535)

struct arp_table;
struct tcp_table;

/**
 * struct stack - one instance per worker thread
 * @cfg:	copy of the configuration
 * @stats:	counters (see stack.h)
 * @vips:	extra local addresses (listener VIPs), unsorted, @n_vips used
 * @promisc_ip:	accept IPv4 to any destination (transparent mode)
 * @arp:	neighbour table (arp.c)
 * @tcp:	connection table, timers, pools (tcp_*.c)
 * @tx_buf:	the one transmit frame buffer (STACK_MAX_FRAME bytes)
 * @now:	time of the entry point currently running
 * @ip_id:	next IPv4 identification field (ip4.c)
 */
struct stack {
	struct stack_config cfg;
	struct stack_stats stats;
	uint32_t vips[STACK_MAX_VIPS];
	unsigned n_vips;
	bool promisc_ip;
	struct arp_table *arp;
	struct tcp_table *tcp;
	uint8_t *tx_buf;
	stack_time_us now;
	uint16_t ip_id;
};

/* Counter increment by the owning thread, readable from others (relaxed). */
#define STAT_INC(s, field) STAT_ADD(s, field, 1)
#define STAT_ADD(s, field, n) \
	__atomic_store_n(&(s)->stats.field, (s)->stats.field + (n), __ATOMIC_RELAXED)
#define STAT_DEC(s, field) \
	__atomic_store_n(&(s)->stats.field, (s)->stats.field - 1, __ATOMIC_RELAXED)
/* A dropped received frame: the reason counter and rx_dropped. */
#define STAT_DROP(s, field) do { STAT_INC(s, field); STAT_INC(s, rx_dropped); } while (0)

/* stack.c */
bool stack_is_local_addr(const struct stack *s, uint32_t addr);
bool stack_is_on_link(const struct stack *s, uint32_t addr);
/* @off: offload metadata of the frame, NULL for a plain one */
int stack_link_send(struct stack *s, const uint8_t *frame, size_t len,
		    const struct stack_offload *off);

/* eth.c: @frame holds a whole frame; @off its offload metadata or NULL */
void eth_input(struct stack *s, uint8_t *frame, size_t len,
	       const struct stack_offload *off);
/* Write an Ethernet header at @frame and send @len bytes (header included). */
int eth_output(struct stack *s, uint8_t *frame, size_t len,
	       const uint8_t dst_mac[6], uint16_t ethertype,
	       const struct stack_offload *off);

/* arp.c */
/* @mtu sizes the frames held while a next hop is resolved */
struct arp_table *arp_create(uint16_t mtu);
void arp_destroy(struct arp_table *t);
void arp_input(struct stack *s, const uint8_t *pkt, size_t len);
/* Send IPv4 frame @frame (Ethernet header space included, not yet filled) to
 * next hop @nexthop: now if its MAC is known, else queue it and resolve
 * (a partial checksum is finished first; a GSO frame is never queued). */
int arp_output(struct stack *s, uint32_t nexthop, uint8_t *frame, size_t len,
	       const struct stack_offload *off);
/* Would arp_output() send to @nexthop at once (MAC known and fresh)? */
bool arp_ready(const struct stack *s, uint32_t nexthop);
/* Learn @mac for an off-link @addr from a received frame (gleaning). */
void arp_glean(struct stack *s, uint32_t addr, const uint8_t mac[6]);
void arp_timers(struct stack *s, stack_time_us now);
stack_time_us arp_next_timer(const struct stack *s);

/**
 * struct ip4_rx - a received IPv4 packet, as seen by the transport layers
 * @src, @dst:	addresses, host byte order
 * @src_mac:	Ethernet source of the frame
 * @ttl, @tos:	from the header
 * @l4_csum_ok:	the link vouched for the L4 checksum (partial or verified):
 *		the transport does not verify it
 */
struct ip4_rx {
	uint32_t src, dst;
	const uint8_t *src_mac;
	uint8_t ttl, tos;
	bool l4_csum_ok;
};

/* ip4.c */
void ip4_input(struct stack *s, uint8_t *pkt, size_t len, const uint8_t *src_mac,
	       const struct stack_offload *off);
/* Start an IPv4 packet: returns where the L4 header goes; *@l4_cap is the room
 * there (bounded by the MTU). */
uint8_t *ip4_tx_begin(struct stack *s, size_t *l4_cap);
/* Finish and send the packet begun with ip4_tx_begin(): @l4_len bytes of L4. */
int ip4_tx_commit(struct stack *s, uint32_t src, uint32_t dst, uint8_t proto,
		  size_t l4_len);
/* The same with offload metadata (@off->csum_start etc. from the frame start,
 * i.e. s->tx_buf); a GSO packet may exceed the MTU up to ip4_tx_gso_room(). */
int ip4_tx_commit_ex(struct stack *s, uint32_t src, uint32_t dst, uint8_t proto,
		     size_t l4_len, const struct stack_offload *off);
/* Room for L4 header and payload of a GSO packet to @dst now, 0 if the link
 * has no TSO or the next hop is not resolved. */
size_t ip4_tx_gso_room(const struct stack *s, uint32_t dst);

/* icmp4.c */
void icmp4_input(struct stack *s, const struct ip4_rx *ip, uint8_t *pkt, size_t len);

/* tcp_*.c */
struct tcp_table *tcp_table_create(struct stack *s, char *err, size_t errlen);
void tcp_table_destroy(struct tcp_table *t);
void tcp_input(struct stack *s, const struct ip4_rx *ip, uint8_t *seg, size_t len);
void tcp_timers(struct stack *s, stack_time_us now);
stack_time_us tcp_next_timer(const struct stack *s);

#endif /* TCPGATE_STACK_INTERNAL_H */
