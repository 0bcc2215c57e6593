/* SPDX-License-Identifier: MIT */
/*
 * ip4.c - IPv4 input checks and output framing (RFC 791, RFC 1122 §3.2)
 *
 * Theory of operation
 * -------------------
 * Input validates in the order of RFC 1122 §3.2.1: version, header length,
 * header checksum, total length; then refuses fragments (tcpgate terminates TCP
 * with DF set and a clamped MSS, so fragments are not expected and never
 * reassembled), martian sources and packets not addressed to a local address.
 * IP options are skipped, not interpreted (RFC 1122 §3.2.1.8 lets a host ignore
 * the ones it does not implement). Ethernet padding beyond the total length is
 * trimmed before the transport layer sees the packet. Every rejection has its
 * own counter. The source MAC of an off-link source is gleaned into the
 * neighbour table, so that replies to clients behind a router go back to the
 * router that delivered their packets.
 *
 * Offloads (stack.h): a received frame's metadata must agree with the
 * headers: a GSO frame carries TCP, a partial checksum starts at the L4
 * header and points at that protocol's checksum field, inside the datagram;
 * otherwise the frame is dropped (drop_offload_bad). When the link vouches
 * for the L4 checksum (partial or verified), the transport skips verifying
 * it (ip4_rx.l4_csum_ok). A GSO datagram may be longer than the MTU: its
 * total length covers the whole super-segment.
 *
 * Output: the stack has one transmit buffer. ip4_tx_begin() returns the place
 * for the L4 header inside it (after 14 bytes of Ethernet and 20 of IPv4, no
 * options) and the room there up to the MTU (ip4_tx_gso_room() says how much
 * a GSO packet may hold instead); ip4_tx_commit() writes the IPv4 header (DF,
 * TTL 64) and hands the frame to arp_output(), which sends it or holds a copy
 * while the next hop is resolved. A GSO packet takes one IP ID per piece, as
 * the link numbers the pieces from the one in the header.
 */
#include <arpa/inet.h>
#include <assert.h>
#include <string.h>

#include "stack/checksum.h"
#include "stack/stack_internal.h"
#include "stack/wire.h"

#define IP4_TTL 64

/**
 * ip4_martian_src() - is @src impossible as a unicast source?
 * @src:	source address, host order
 *
 * Return: true for 0.0.0.0, multicast, class E and limited broadcast
 */
static bool ip4_martian_src(uint32_t src)
{
	/* RFC 1122 §3.2.1.3: a host must discard a datagram whose source is
	 * 0.0.0.0 (outside bootstrap), a broadcast or a multicast address */
	return src == 0 || (src >> 28) >= 0xe;
}

/**
 * ip4_group_dst() - is @dst a broadcast or multicast address?
 * @s:		the stack (for the on-link prefix)
 * @dst:	destination address, host order
 *
 * Return: true for 0.0.0.0, multicast, class E, limited broadcast and the
 * directed broadcast of our prefix
 */
static bool ip4_group_dst(const struct stack *s, uint32_t dst)
{
	uint8_t plen = s->cfg.prefix_len;
	uint32_t host = plen ? ~(~0u << (32 - plen)) : ~0u;

	if (dst == 0 || (dst >> 28) >= 0xe)
		return true;
	return plen < 31 && stack_is_on_link(s, dst) && (dst & host) == host;
}

/**
 * ip4_header_ok() - check version, header length, checksum and total length
 * @s:		the stack (counters)
 * @ih:		the header, at least 20 bytes present
 * @len:	bytes present from @ih on (Ethernet padding included)
 * @tot_len:	set to the datagram length on success
 *
 * Return: true if the datagram is well formed
 */
static bool ip4_header_ok(struct stack *s, const struct ip4_hdr *ih, size_t len,
			  size_t *tot_len)
{
	size_t hlen = (size_t)(ih->ver_ihl & 0x0f) * 4;

	/* RFC 1122 §3.2.1.1: silently discard a version other than 4 */
	if ((ih->ver_ihl >> 4) != 4 || hlen < IP4_HDR_LEN || hlen > len) {
		STAT_DROP(s, drop_ip_bad_header);
		return false;
	}
	/* RFC 1122 §3.2.1.2: verify the header checksum, discard on failure */
	if (csum_buf(ih, hlen) != 0) {
		STAT_DROP(s, drop_ip_bad_checksum);
		return false;
	}
	*tot_len = ntohs(ih->tot_len);
	/* RFC 791 §3.1: total length covers header and data; more than what
	 * arrived is a truncated datagram, less than the header is nonsense */
	if (*tot_len < hlen || *tot_len > len) {
		STAT_DROP(s, drop_ip_bad_len);
		return false;
	}
	return true;
}

/**
 * ip4_accept() - check fragments, source and destination
 * @s:		the stack (counters)
 * @ih:		a well-formed header
 *
 * Return: true if the datagram is for a local transport
 */
static bool ip4_accept(struct stack *s, const struct ip4_hdr *ih)
{
	uint16_t frag = ntohs(ih->frag_off);

	/* RFC 791 §3.2: MF or a nonzero offset marks a fragment; no reassembly */
	if (frag & (IP4_FLAG_MF | IP4_FRAG_OFF_MASK)) {
		STAT_DROP(s, drop_ip_fragment);
		return false;
	}
	if (ip4_martian_src(ntohl(ih->saddr))) {
		STAT_DROP(s, drop_ip_bad_header);
		return false;
	}
	/* RFC 1122 §3.2.1.3: accept only datagrams for one of our addresses;
	 * tcpgate serves no broadcast or multicast, even in promiscuous mode */
	if (ip4_group_dst(s, ntohl(ih->daddr)) || !stack_is_local_addr(s, ntohl(ih->daddr))) {
		STAT_DROP(s, drop_ip_not_for_us);
		return false;
	}
	return true;
}

/**
 * ip4_csum_field() - offset of the checksum field in an L4 header
 * @proto:	IP protocol number
 *
 * Return: the offset, or 0 for a protocol the stack does not serve
 */
static uint16_t ip4_csum_field(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP_:
		return 16;	/* RFC 9293 §3.1 header layout */
	case IPPROTO_ICMP_:
		return 2;	/* RFC 792 */
	default:
		return 0;
	}
}

/**
 * ip4_offload_ok() - does the link's metadata agree with the datagram?
 * @s:		the stack (counters)
 * @ih:		a well-formed header
 * @tot_len:	the datagram's length
 * @off:	the metadata
 *
 * Return: true if consistent (else counted in drop_offload_bad)
 */
static bool ip4_offload_ok(struct stack *s, const struct ip4_hdr *ih, size_t tot_len,
			   const struct stack_offload *off)
{
	size_t l4 = ETH_HDR_LEN + (size_t)(ih->ver_ihl & 0x0f) * 4;
	bool ok = true;

	if (off->gso_type == STACK_GSO_TCPV4 && ih->proto != IPPROTO_TCP_)
		ok = false;
	if (off->csum == STACK_CSUM_PARTIAL &&
	    (off->csum_start != l4 || !ip4_csum_field(ih->proto) ||
	     off->csum_offset != ip4_csum_field(ih->proto) ||
	     (size_t)off->csum_start + off->csum_offset + 2 > ETH_HDR_LEN + tot_len))
		ok = false;
	if (!ok)
		STAT_DROP(s, drop_offload_bad);
	return ok;
}

/**
 * ip4_input() - process one received IPv4 datagram
 * @s:		the stack
 * @pkt:	the datagram (after the Ethernet header), may be modified
 * @len:	bytes present, possibly with Ethernet padding at the end
 * @src_mac:	the frame's Ethernet source
 * @off:	the link's offload metadata for the frame, or NULL
 */
void ip4_input(struct stack *s, uint8_t *pkt, size_t len, const uint8_t *src_mac,
	       const struct stack_offload *off)
{
	const struct ip4_hdr *ih = (const struct ip4_hdr *)pkt;
	struct ip4_rx rx;
	size_t hlen, tot_len;

	if (len < IP4_HDR_LEN) {
		STAT_DROP(s, drop_ip_short);
		return;
	}
	if (!ip4_header_ok(s, ih, len, &tot_len) || !ip4_accept(s, ih))
		return;
	if (off && !ip4_offload_ok(s, ih, tot_len, off))
		return;
	hlen = (size_t)(ih->ver_ihl & 0x0f) * 4;	/* options skipped */
	rx.src = ntohl(ih->saddr);
	rx.dst = ntohl(ih->daddr);
	rx.src_mac = src_mac;
	rx.ttl = ih->ttl;
	rx.tos = ih->tos;
	rx.l4_csum_ok = off && off->csum != STACK_CSUM_NONE;
	if (rx.l4_csum_ok)
		STAT_INC(s, rx_csum_offloaded);
	if (off && off->gso_type == STACK_GSO_TCPV4)
		STAT_INC(s, rx_gso_frames);
	if (!stack_is_on_link(s, rx.src) || s->cfg.glean_on_link)
		arp_glean(s, rx.src, src_mac);
	switch (ih->proto) {
	case IPPROTO_TCP_:
		tcp_input(s, &rx, pkt + hlen, tot_len - hlen);
		break;
	case IPPROTO_ICMP_:
		icmp4_input(s, &rx, pkt + hlen, tot_len - hlen);
		break;
	default:
		/* RFC 1122 §3.2.2.1 would have us answer "protocol unreachable";
		 * a proxy appliance stays silent, like a filtered port */
		STAT_DROP(s, drop_ip_proto);
	}
}

/**
 * ip4_tx_begin() - start an outgoing datagram in the transmit buffer
 * @s:		the stack
 * @l4_cap:	set to the room for the L4 header and payload (MTU - 20)
 *
 * Return: where the L4 header goes
 */
uint8_t *ip4_tx_begin(struct stack *s, size_t *l4_cap)
{
	*l4_cap = (size_t)s->cfg.mtu - IP4_HDR_LEN;
	return s->tx_buf + ETH_HDR_LEN + IP4_HDR_LEN;
}

/**
 * ip4_tx_gso_room() - how large a GSO packet to @dst may be now
 * @s:		the stack
 * @dst:	destination, host order
 *
 * Only for a resolved next hop: a frame waiting for ARP is held as a plain
 * frame of at most MTU bytes (arp.c).
 *
 * Return: room for the L4 header and payload, or 0 (no TSO now)
 */
size_t ip4_tx_gso_room(const struct stack *s, uint32_t dst)
{
	size_t max = s->cfg.link.tso_max;

	if (!max || !arp_ready(s, dst))
		return 0;
	if (max > STACK_MAX_FRAME - ETH_HDR_LEN)
		max = STACK_MAX_FRAME - ETH_HDR_LEN;
	return max - IP4_HDR_LEN;
}

/**
 * ip4_tx_pieces() - how many datagrams a GSO packet becomes on the wire
 * @tot_len:	its IPv4 total length
 * @off:	its offload metadata, or NULL
 *
 * Return: 1 for a plain packet, else the number of gso_size pieces
 */
static uint16_t ip4_tx_pieces(size_t tot_len, const struct stack_offload *off)
{
	size_t payload;

	if (!off || off->gso_type == STACK_GSO_NONE)
		return 1;
	payload = ETH_HDR_LEN + tot_len - off->hdr_len;
	return (uint16_t)((payload + off->gso_size - 1) / off->gso_size);
}

/**
 * ip4_tx_commit() - write the IPv4 header and send the datagram
 * @s:		the stack
 * @src:	source address, host order
 * @dst:	destination address, host order
 * @proto:	IP protocol number
 * @l4_len:	bytes written at the pointer ip4_tx_begin() returned
 *
 * Return: 0 (sent or held for ARP), or -errno (counted as tx_dropped)
 */
int ip4_tx_commit(struct stack *s, uint32_t src, uint32_t dst, uint8_t proto,
		  size_t l4_len)
{
	return ip4_tx_commit_ex(s, src, dst, proto, l4_len, NULL);
}

/**
 * ip4_tx_commit_ex() - ip4_tx_commit() with offload metadata
 * @s:		the stack
 * @src:	source address, host order
 * @dst:	destination address, host order
 * @proto:	IP protocol number
 * @l4_len:	bytes written at the pointer ip4_tx_begin() returned (a GSO
 *		packet: up to ip4_tx_gso_room())
 * @off:	offload metadata for the link (offsets from the frame start), or NULL
 *
 * Return: 0 (sent or held for ARP), or -errno (counted as tx_dropped)
 */
int ip4_tx_commit_ex(struct stack *s, uint32_t src, uint32_t dst, uint8_t proto,
		     size_t l4_len, const struct stack_offload *off)
{
	struct ip4_hdr *ih = (struct ip4_hdr *)(s->tx_buf + ETH_HDR_LEN);
	size_t tot_len = IP4_HDR_LEN + l4_len;

	assert(tot_len <= s->cfg.mtu ||
	       (off && off->gso_type != STACK_GSO_NONE && tot_len <= s->cfg.link.tso_max &&
		tot_len + ETH_HDR_LEN <= STACK_MAX_FRAME));
	ih->ver_ihl = 0x45;
	ih->tos = 0;
	ih->tot_len = htons((uint16_t)tot_len);
	/* RFC 6864 §4.1: the ID of an atomic (DF) datagram carries no meaning,
	 * a simple counter is enough; a GSO packet's pieces count up from it */
	ih->id = htons(s->ip_id);
	s->ip_id = (uint16_t)(s->ip_id + ip4_tx_pieces(tot_len, off));
	ih->frag_off = htons(IP4_FLAG_DF);
	ih->ttl = IP4_TTL;
	ih->proto = proto;
	ih->check = 0;
	ih->saddr = htonl(src);
	ih->daddr = htonl(dst);
	ih->check = csum_buf(ih, IP4_HDR_LEN);
	/* Off-link destinations also use their own address as the next hop:
	 * arp_glean() recorded the MAC of the router they came through. */
	return arp_output(s, dst, s->tx_buf, ETH_HDR_LEN + tot_len, off);
}
