/* SPDX-License-Identifier: MIT */
/*
 * icmp4.c - ICMP for IPv4: echo only (RFC 792, RFC 1122 §3.2.2.6)
 *
 * Theory of operation
 * -------------------
 * The stack answers echo requests sent to any local address (its own, a VIP,
 * or any address in promiscuous mode) with an echo reply from that address,
 * carrying the same identifier, sequence number and data. Every other message
 * type is counted and dropped: tcpgate does no path MTU discovery (it clamps
 * the MSS to its own MTU) and keeps no UDP. No state, no timers.
 */
#include <arpa/inet.h>
#include <string.h>

#include "stack/checksum.h"
#include "stack/stack_internal.h"
#include "stack/wire.h"

/**
 * icmp4_echo_reply() - answer one echo request
 * @s:		the stack
 * @ip:		the request's IPv4 header fields
 * @pkt:	the whole, verified ICMP request
 * @len:	its length
 */
static void icmp4_echo_reply(struct stack *s, const struct ip4_rx *ip,
			     const uint8_t *pkt, size_t len)
{
	struct icmp_hdr *ih;
	size_t cap;
	uint8_t *out = ip4_tx_begin(s, &cap);

	if (len > cap) {
		STAT_DROP(s, drop_icmp);
		return;
	}
	memcpy(out, pkt, len);
	ih = (struct icmp_hdr *)out;
	/* RFC 792 "Echo or Echo Reply": swap the addresses, type 0, same
	 * identifier, sequence number and data, checksum recomputed */
	ih->type = ICMP_ECHO_REPLY;
	ih->code = 0;
	ih->check = 0;
	ih->check = csum_buf(out, len);
	if (ip4_tx_commit(s, ip->dst, ip->src, IPPROTO_ICMP_, len) == 0)
		STAT_INC(s, icmp_echo_replies);
}

/**
 * icmp4_input() - process one received ICMP message
 * @s:		the stack
 * @ip:		its IPv4 header fields
 * @pkt:	the ICMP message
 * @len:	its length (IPv4 padding already trimmed)
 */
void icmp4_input(struct stack *s, const struct ip4_rx *ip, uint8_t *pkt, size_t len)
{
	const struct icmp_hdr *ih = (const struct icmp_hdr *)pkt;

	if (len < sizeof(*ih)) {
		STAT_DROP(s, drop_icmp);
		return;
	}
	/* RFC 792: the checksum covers the whole ICMP message (unless the link
	 * vouched for it, ip4.c) */
	if (!ip->l4_csum_ok && csum_buf(pkt, len) != 0) {
		STAT_DROP(s, drop_icmp);
		return;
	}
	if (ih->type != ICMP_ECHO_REQUEST) {
		STAT_DROP(s, drop_icmp);
		return;
	}
	/* RFC 1122 §3.2.2.6: every host must answer echo requests */
	icmp4_echo_reply(s, ip, pkt, len);
}
