/* SPDX-License-Identifier: MIT */
/*
 * frames.c - test helpers: build and parse Ethernet, ARP, IPv4 and ICMP frames
 *
 * Written byte by byte in network order, without the stack's wire.h structs or
 * checksum code, so a test built on these helpers checks the stack against an
 * independent reading of the RFCs.
 */
#include <arpa/inet.h>
#include <string.h>

#include "tests/support/frames.h"

/**
 * put16() - store a 16-bit value big-endian
 * @p:	destination
 * @v:	value
 */
static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/**
 * put32() - store a 32-bit value big-endian
 * @p:	destination
 * @v:	value
 */
static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/**
 * get16() - load a big-endian 16-bit value
 * @p:	source
 *
 * Return: the value
 */
static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/**
 * get32() - load a big-endian 32-bit value
 * @p:	source
 *
 * Return: the value
 */
static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

/**
 * frm_csum() - naive RFC 1071 checksum
 * @buf:	data
 * @len:	length, odd allowed
 *
 * Return: the complemented sum in host order (store with put16)
 */
uint16_t frm_csum(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2) {
		sum += get16(p + i);
		sum = (sum & 0xffff) + (sum >> 16);
	}
	if (len & 1) {
		sum += (uint32_t)p[len - 1] << 8;
		sum = (sum & 0xffff) + (sum >> 16);
	}
	return (uint16_t)~sum;
}

/**
 * frm_ip() - parse a dotted quad
 * @dotted:	"a.b.c.d"
 *
 * Return: the address in host order (0 if invalid)
 */
uint32_t frm_ip(const char *dotted)
{
	struct in_addr a;

	return inet_pton(AF_INET, dotted, &a) == 1 ? ntohl(a.s_addr) : 0;
}

/**
 * frm_eth() - write an Ethernet header
 * @buf:	destination
 * @dst:	destination MAC
 * @src:	source MAC
 * @type:	EtherType
 *
 * Return: 14
 */
size_t frm_eth(uint8_t *buf, const uint8_t dst[6], const uint8_t src[6], uint16_t type)
{
	memcpy(buf, dst, 6);
	memcpy(buf + 6, src, 6);
	put16(buf + 12, type);
	return 14;
}

/**
 * frm_arp() - write a whole ARP frame
 * @buf:	destination, 42 bytes
 * @eth_dst:	Ethernet destination
 * @op:		1 request, 2 reply
 * @sha:	sender MAC (also the Ethernet source)
 * @spa:	sender IPv4
 * @tha:	target MAC
 * @tpa:	target IPv4
 *
 * Return: 42
 */
size_t frm_arp(uint8_t *buf, const uint8_t eth_dst[6], uint16_t op,
	       const uint8_t sha[6], uint32_t spa, const uint8_t tha[6], uint32_t tpa)
{
	uint8_t *a = buf + frm_eth(buf, eth_dst, sha, 0x0806);

	put16(a, 1);
	put16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, op);
	memcpy(a + 8, sha, 6);
	put32(a + 14, spa);
	memcpy(a + 18, tha, 6);
	put32(a + 24, tpa);
	return 42;
}

/**
 * frm_ip4() - write an IPv4 header and payload
 * @buf:	destination
 * @src:	source address
 * @dst:	destination address
 * @proto:	protocol
 * @payload:	L4 bytes
 * @plen:	their length
 * @o:		unusual settings, or NULL
 *
 * Return: bytes written (header + options + payload)
 */
size_t frm_ip4(uint8_t *buf, uint32_t src, uint32_t dst, uint8_t proto,
	       const void *payload, size_t plen, const struct frm_ip4_opts *o)
{
	static const struct frm_ip4_opts none;
	size_t hlen, tot;

	if (!o)
		o = &none;
	hlen = (size_t)(o->ihl ? o->ihl : 5) * 4;
	tot = hlen + plen;
	buf[0] = (uint8_t)(0x40 | hlen / 4);
	buf[1] = 0;
	put16(buf + 2, o->tot_len ? o->tot_len : (uint16_t)tot);
	put16(buf + 4, o->id);
	put16(buf + 6, o->frag_off ? o->frag_off : 0x4000);
	buf[8] = o->ttl ? o->ttl : 64;
	buf[9] = proto;
	put16(buf + 10, 0);
	put32(buf + 12, src);
	put32(buf + 16, dst);
	memset(buf + 20, 1, hlen - 20);	/* NOP options */
	put16(buf + 10, (uint16_t)(frm_csum(buf, hlen) ^ (o->bad_csum ? 0x5a5a : 0)));
	memcpy(buf + hlen, payload, plen);
	return tot;
}

/**
 * frm_icmp_echo() - write an ICMP echo message
 * @buf:	destination
 * @type:	8 request, 0 reply
 * @id:		identifier
 * @seq:	sequence number
 * @data:	payload
 * @dlen:	its length
 *
 * Return: 8 + @dlen
 */
size_t frm_icmp_echo(uint8_t *buf, uint8_t type, uint16_t id, uint16_t seq,
		     const void *data, size_t dlen)
{
	buf[0] = type;
	buf[1] = 0;
	put16(buf + 2, 0);
	put16(buf + 4, id);
	put16(buf + 6, seq);
	memcpy(buf + 8, data, dlen);
	put16(buf + 2, frm_csum(buf, 8 + dlen));
	return 8 + dlen;
}

/**
 * frm_ping() - write a whole echo request frame
 * @buf:	destination
 * @dst_mac:	Ethernet destination
 * @src_mac:	Ethernet source
 * @src:	IPv4 source
 * @dst:	IPv4 destination
 * @id:		ICMP identifier
 * @seq:	ICMP sequence number
 * @data:	payload
 * @dlen:	its length (at most 1400)
 * @o:		IPv4 settings, or NULL
 *
 * Return: frame length
 */
size_t frm_ping(uint8_t *buf, const uint8_t dst_mac[6], const uint8_t src_mac[6],
		uint32_t src, uint32_t dst, uint16_t id, uint16_t seq,
		const void *data, size_t dlen, const struct frm_ip4_opts *o)
{
	uint8_t icmp[1500];
	size_t n = frm_icmp_echo(icmp, 8, id, seq, data, dlen);
	size_t off = frm_eth(buf, dst_mac, src_mac, 0x0800);

	return off + frm_ip4(buf + off, src, dst, 1, icmp, n, o);
}

/**
 * frm_parse_eth() - read an Ethernet header
 * @f:		frame
 * @len:	its length
 * @v:		filled in
 *
 * Return: false if shorter than 14 bytes
 */
bool frm_parse_eth(const uint8_t *f, size_t len, struct frm_eth_view *v)
{
	if (len < 14)
		return false;
	memcpy(v->dst, f, 6);
	memcpy(v->src, f + 6, 6);
	v->type = get16(f + 12);
	v->payload = f + 14;
	v->len = len - 14;
	return true;
}

/**
 * frm_parse_arp() - read an Ethernet/IPv4 ARP packet
 * @p:		packet (after the Ethernet header)
 * @len:	its length
 * @v:		filled in
 *
 * Return: false if short or not Ethernet/IPv4
 */
bool frm_parse_arp(const uint8_t *p, size_t len, struct frm_arp_view *v)
{
	if (len < 28 || get16(p) != 1 || get16(p + 2) != 0x0800 || p[4] != 6 || p[5] != 4)
		return false;
	v->op = get16(p + 6);
	memcpy(v->sha, p + 8, 6);
	v->spa = get32(p + 14);
	memcpy(v->tha, p + 18, 6);
	v->tpa = get32(p + 24);
	return true;
}

/**
 * frm_parse_ip4() - read an IPv4 header
 * @p:		packet
 * @len:	bytes present
 * @v:		filled in; payload bounded by the total length
 *
 * Return: false if short or the lengths are inconsistent
 */
bool frm_parse_ip4(const uint8_t *p, size_t len, struct frm_ip4_view *v)
{
	size_t hlen;

	if (len < 20)
		return false;
	v->version = p[0] >> 4;
	v->ihl = p[0] & 15;
	hlen = (size_t)v->ihl * 4;
	v->tos = p[1];
	v->tot_len = get16(p + 2);
	v->id = get16(p + 4);
	v->frag_off = get16(p + 6);
	v->ttl = p[8];
	v->proto = p[9];
	v->src = get32(p + 12);
	v->dst = get32(p + 16);
	if (hlen < 20 || hlen > len || v->tot_len < hlen || v->tot_len > len)
		return false;
	v->csum_ok = frm_csum(p, hlen) == 0;
	v->payload = p + hlen;
	v->plen = v->tot_len - hlen;
	return true;
}

/**
 * frm_parse_icmp() - read an ICMP echo header
 * @p:		message
 * @len:	its length
 * @v:		filled in
 *
 * Return: false if shorter than 8 bytes
 */
bool frm_parse_icmp(const uint8_t *p, size_t len, struct frm_icmp_view *v)
{
	if (len < 8)
		return false;
	v->type = p[0];
	v->code = p[1];
	v->id = get16(p + 4);
	v->seq = get16(p + 6);
	v->csum_ok = frm_csum(p, len) == 0;
	v->data = p + 8;
	v->dlen = len - 8;
	return true;
}
