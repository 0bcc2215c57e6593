/* SPDX-License-Identifier: MIT */
/*
 * eth.c - Ethernet II framing
 *
 * Theory of operation
 * -------------------
 * Input: a frame is taken when it is addressed to our MAC or to the broadcast
 * address (ARP requests); anything else (other unicast, multicast) is dropped
 * and counted, as is a frame shorter than the 14-byte header or carrying an
 * EtherType other than IPv4 and ARP. There is no VLAN support: a tagged frame
 * is an unknown EtherType. The frame check sequence never reaches us (the TAP
 * device and AF_PACKET strip it), but padding to the 60-byte minimum does:
 * the layers above trim it from their own length fields.
 *
 * Output: eth_output() writes the 14-byte header in front of a frame the
 * caller has built and hands it to the link. No state is kept. Offload
 * metadata (stack.h) passes through both ways; a GSO claim on an ARP frame
 * is a counted drop.
 */
#include <arpa/inet.h>
#include <string.h>

#include "stack/stack_internal.h"
#include "stack/wire.h"

static const uint8_t eth_broadcast[ETH_ALEN_] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/**
 * eth_input() - demultiplex one received frame
 * @s:		the stack
 * @frame:	the whole frame, may be modified by the layers above
 * @len:	its length
 * @off:	its offload metadata, or NULL
 */
void eth_input(struct stack *s, uint8_t *frame, size_t len,
	       const struct stack_offload *off)
{
	const struct eth_hdr *eh = (const struct eth_hdr *)frame;

	if (len < ETH_HDR_LEN) {
		STAT_DROP(s, drop_eth_short);
		return;
	}
	if (memcmp(eh->dst, s->cfg.mac, ETH_ALEN_) &&
	    memcmp(eh->dst, eth_broadcast, ETH_ALEN_)) {
		STAT_DROP(s, drop_eth_not_for_us);
		return;
	}
	switch (ntohs(eh->type)) {
	case ETHERTYPE_IPV4:
		ip4_input(s, frame + ETH_HDR_LEN, len - ETH_HDR_LEN, eh->src, off);
		break;
	case ETHERTYPE_ARP:
		if (off && off->gso_type != STACK_GSO_NONE) {
			STAT_DROP(s, drop_offload_bad);
			break;
		}
		arp_input(s, frame + ETH_HDR_LEN, len - ETH_HDR_LEN);
		break;
	default:
		STAT_DROP(s, drop_eth_type);
	}
}

/**
 * eth_output() - fill the Ethernet header and send
 * @s:		the stack
 * @frame:	the frame; its first 14 bytes are overwritten
 * @len:	total length, header included
 * @dst_mac:	destination MAC
 * @ethertype:	EtherType, host order
 * @off:	offload metadata for the link, or NULL
 *
 * Return: 0 or the link's -errno
 */
int eth_output(struct stack *s, uint8_t *frame, size_t len,
	       const uint8_t dst_mac[6], uint16_t ethertype,
	       const struct stack_offload *off)
{
	struct eth_hdr *eh = (struct eth_hdr *)frame;

	memcpy(eh->dst, dst_mac, ETH_ALEN_);
	memcpy(eh->src, s->cfg.mac, ETH_ALEN_);
	eh->type = htons(ethertype);
	return stack_link_send(s, frame, len, off);
}
