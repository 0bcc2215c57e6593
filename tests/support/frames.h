/* SPDX-License-Identifier: MIT */
/*
 * frames.h - test helpers: build and parse Ethernet, ARP, IPv4 and ICMP frames
 *
 * Independent of the stack's own code (its checksum is a separate, naive
 * RFC 1071 implementation), so tests compare two implementations. Addresses
 * are host byte order; builders return the number of bytes written.
 */
#ifndef TCPGATE_TESTS_FRAMES_H
#define TCPGATE_TESTS_FRAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Naive RFC 1071 checksum, 16 bits at a time: the value in host order. */
uint16_t frm_csum(const void *buf, size_t len);
/* Dotted quad to host-order address. */
uint32_t frm_ip(const char *dotted);

/* Ethernet header at @buf. */
size_t frm_eth(uint8_t *buf, const uint8_t dst[6], const uint8_t src[6], uint16_t type);
/* Whole ARP frame (42 bytes): Ethernet to @eth_dst from @sha, then ARP. */
size_t frm_arp(uint8_t *buf, const uint8_t eth_dst[6], uint16_t op,
	       const uint8_t sha[6], uint32_t spa, const uint8_t tha[6], uint32_t tpa);

/**
 * struct frm_ip4_opts - less common IPv4 header settings for frm_ip4()
 * @ihl:	header length in words (0 = 5); options bytes are NOPs (1)
 * @frag_off:	flags and offset, host order (0 = DF)
 * @tot_len:	total length to write (0 = the true one)
 * @ttl:	0 = 64
 * @id:		identification
 * @bad_csum:	corrupt the header checksum
 */
struct frm_ip4_opts {
	uint8_t ihl;
	uint16_t frag_off;
	uint16_t tot_len;
	uint8_t ttl;
	uint16_t id;
	bool bad_csum;
};

/* IPv4 header (+ options) and @plen bytes of @payload at @buf; @o may be NULL. */
size_t frm_ip4(uint8_t *buf, uint32_t src, uint32_t dst, uint8_t proto,
	       const void *payload, size_t plen, const struct frm_ip4_opts *o);
/* ICMP echo (request or reply by @type) with checksum at @buf. */
size_t frm_icmp_echo(uint8_t *buf, uint8_t type, uint16_t id, uint16_t seq,
		     const void *data, size_t dlen);
/* Whole frame: Ethernet + IPv4 (@o may be NULL) + ICMP echo request. */
size_t frm_ping(uint8_t *buf, const uint8_t dst_mac[6], const uint8_t src_mac[6],
		uint32_t src, uint32_t dst, uint16_t id, uint16_t seq,
		const void *data, size_t dlen, const struct frm_ip4_opts *o);

struct frm_eth_view {
	uint8_t dst[6], src[6];
	uint16_t type;
	const uint8_t *payload;
	size_t len;
};
struct frm_arp_view {
	uint16_t op;
	uint8_t sha[6], tha[6];
	uint32_t spa, tpa;
};
struct frm_ip4_view {
	uint8_t version, ihl, tos, ttl, proto;
	uint16_t tot_len, id, frag_off;
	uint32_t src, dst;
	bool csum_ok;
	const uint8_t *payload;
	size_t plen;
};
struct frm_icmp_view {
	uint8_t type, code;
	uint16_t id, seq;
	bool csum_ok;
	const uint8_t *data;
	size_t dlen;
};

/* Parsers: false if too short or malformed (ARP: not Ethernet/IPv4). */
bool frm_parse_eth(const uint8_t *f, size_t len, struct frm_eth_view *v);
bool frm_parse_arp(const uint8_t *p, size_t len, struct frm_arp_view *v);
bool frm_parse_ip4(const uint8_t *p, size_t len, struct frm_ip4_view *v);
bool frm_parse_icmp(const uint8_t *p, size_t len, struct frm_icmp_view *v);

#endif /* TCPGATE_TESTS_FRAMES_H */
