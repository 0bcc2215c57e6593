/* SPDX-License-Identifier: MIT */
/*
 * wire.h - on-the-wire header layouts (Ethernet II, ARP, IPv4, ICMP, TCP)
 *
 * All multi-byte fields are in network byte order, exactly as on the wire.
 * Structs are packed and only ever overlaid on frame buffers after a length
 * check; code reads fields through ntohs()/ntohl().
 */
#ifndef TCPGATE_WIRE_H
#define TCPGATE_WIRE_H

#include <stdint.h>

#define ETH_ALEN_ 6
#define ETH_HDR_LEN 14
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_ARP 0x0806

struct eth_hdr {
	uint8_t dst[ETH_ALEN_];
	uint8_t src[ETH_ALEN_];
	uint16_t type;
} __attribute__((packed));

#define ARP_HTYPE_ETHER 1
#define ARP_OP_REQUEST 1
#define ARP_OP_REPLY 2

struct arp_pkt {
	uint16_t htype;
	uint16_t ptype;
	uint8_t hlen;
	uint8_t plen;
	uint16_t op;
	uint8_t sha[ETH_ALEN_];
	uint32_t spa;
	uint8_t tha[ETH_ALEN_];
	uint32_t tpa;
} __attribute__((packed));

#define IP4_HDR_LEN 20
#define IP4_FLAG_DF 0x4000
#define IP4_FLAG_MF 0x2000
#define IP4_FRAG_OFF_MASK 0x1fff
#define IPPROTO_ICMP_ 1
#define IPPROTO_TCP_ 6

struct ip4_hdr {
	uint8_t ver_ihl;    /* version 4 << 4 | header length in 32-bit words */
	uint8_t tos;
	uint16_t tot_len;
	uint16_t id;
	uint16_t frag_off;  /* flags (DF, MF) and fragment offset */
	uint8_t ttl;
	uint8_t proto;
	uint16_t check;
	uint32_t saddr;
	uint32_t daddr;
} __attribute__((packed));

#define ICMP_ECHO_REPLY 0
#define ICMP_ECHO_REQUEST 8

struct icmp_hdr {
	uint8_t type;
	uint8_t code;
	uint16_t check;
	uint16_t id;
	uint16_t seq;
} __attribute__((packed));

#define TCP_HDR_LEN 20
#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_URG 0x20
#define TCP_ECE 0x40
#define TCP_CWR 0x80

struct tcp_hdr {
	uint16_t sport;
	uint16_t dport;
	uint32_t seq;
	uint32_t ack;
	uint8_t doff_res;   /* data offset in 32-bit words << 4 */
	uint8_t flags;
	uint16_t win;
	uint16_t check;
	uint16_t urg;
} __attribute__((packed));

/* TCP option kinds (RFC 9293 §3.2, RFC 7323, RFC 2018) */
#define TCPOPT_EOL 0
#define TCPOPT_NOP 1
#define TCPOPT_MSS 2
#define TCPOPT_WSCALE 3
#define TCPOPT_SACK_PERM 4
#define TCPOPT_SACK 5
#define TCPOPT_TIMESTAMP 8

#endif /* TCPGATE_WIRE_H */
