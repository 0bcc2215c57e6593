/* SPDX-License-Identifier: MIT */
/*
 * test_wire.c - wire.h layouts and the frame builders/parsers round trip
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stddef.h>
#include <string.h>

#include "stack/wire.h"
#include "tests/support/frames.h"

static const uint8_t mac_a[6] = { 0x02, 0, 0, 0, 0, 0x0a };
static const uint8_t mac_b[6] = { 0x02, 0, 0, 0, 0, 0x0b };

Test(wire, header_sizes_and_offsets)
{
	cr_assert_eq(sizeof(struct eth_hdr), 14);
	cr_assert_eq(sizeof(struct arp_pkt), 28);
	cr_assert_eq(sizeof(struct ip4_hdr), 20);
	cr_assert_eq(sizeof(struct icmp_hdr), 8);
	cr_assert_eq(sizeof(struct tcp_hdr), 20);
	cr_assert_eq(offsetof(struct eth_hdr, type), 12);
	cr_assert_eq(offsetof(struct arp_pkt, spa), 14);
	cr_assert_eq(offsetof(struct arp_pkt, tpa), 24);
	cr_assert_eq(offsetof(struct ip4_hdr, check), 10);
	cr_assert_eq(offsetof(struct ip4_hdr, daddr), 16);
	cr_assert_eq(offsetof(struct tcp_hdr, doff_res), 12);
	cr_assert_eq(offsetof(struct tcp_hdr, check), 16);
}

Test(wire, arp_build_parse_round_trip)
{
	uint8_t f[64];
	struct frm_eth_view e;
	struct frm_arp_view a;
	const struct arp_pkt *ap;
	size_t n = frm_arp(f, mac_b, ARP_OP_REPLY, mac_a, 0x0a000001, mac_b, 0x0a000002);

	cr_assert_eq(n, 42);
	cr_assert(frm_parse_eth(f, n, &e));
	cr_assert_eq(e.type, ETHERTYPE_ARP);
	cr_assert_arr_eq(e.dst, mac_b, 6);
	cr_assert_arr_eq(e.src, mac_a, 6);
	cr_assert(frm_parse_arp(e.payload, e.len, &a));
	cr_assert_eq(a.op, ARP_OP_REPLY);
	cr_assert_eq(a.spa, 0x0a000001u);
	cr_assert_eq(a.tpa, 0x0a000002u);
	cr_assert_arr_eq(a.sha, mac_a, 6);
	cr_assert_arr_eq(a.tha, mac_b, 6);
	/* the wire.h overlay reads the same fields */
	ap = (const struct arp_pkt *)(f + ETH_HDR_LEN);
	cr_assert_eq(ntohs(ap->op), ARP_OP_REPLY);
	cr_assert_eq(ntohl(ap->spa), 0x0a000001u);
	cr_assert_not(frm_parse_arp(e.payload, 27, &a), "short ARP is refused");
}

Test(wire, ip4_build_parse_round_trip)
{
	uint8_t f[128], pl[13] = "hello, world";
	struct frm_ip4_view v;
	const struct ip4_hdr *ih = (const struct ip4_hdr *)f;
	struct frm_ip4_opts o = { .id = 0x1234, .ttl = 7 };
	size_t n = frm_ip4(f, frm_ip("10.0.0.1"), frm_ip("10.0.0.2"), IPPROTO_TCP_, pl,
			   sizeof(pl), &o);

	cr_assert_eq(n, 33);
	cr_assert(frm_parse_ip4(f, n, &v));
	cr_assert(v.csum_ok);
	cr_assert_eq(v.version, 4);
	cr_assert_eq(v.ihl, 5);
	cr_assert_eq(v.ttl, 7);
	cr_assert_eq(v.id, 0x1234);
	cr_assert_eq(v.frag_off, IP4_FLAG_DF);
	cr_assert_eq(v.src, 0x0a000001u);
	cr_assert_eq(v.dst, 0x0a000002u);
	cr_assert_eq(v.plen, sizeof(pl));
	cr_assert_arr_eq(v.payload, pl, sizeof(pl));
	cr_assert_eq(ntohs(ih->tot_len), 33);
	cr_assert_eq(ntohl(ih->saddr), 0x0a000001u);
	f[8]++;		/* TTL change breaks the header checksum */
	cr_assert(frm_parse_ip4(f, n, &v));
	cr_assert_not(v.csum_ok);
}

Test(wire, ip4_options_and_bad_checksum_builder)
{
	uint8_t f[128];
	struct frm_ip4_view v;
	struct frm_ip4_opts o = { .ihl = 7 };
	size_t n = frm_ip4(f, 1, 2, 99, "xy", 2, &o);

	cr_assert_eq(n, 30);
	cr_assert(frm_parse_ip4(f, n, &v));
	cr_assert_eq(v.ihl, 7);
	cr_assert(v.csum_ok);
	cr_assert_eq(v.plen, 2);
	cr_assert_eq(v.payload[0], 'x');
	o.ihl = 0;
	o.bad_csum = true;
	n = frm_ip4(f, 1, 2, 99, "xy", 2, &o);
	cr_assert(frm_parse_ip4(f, n, &v));
	cr_assert_not(v.csum_ok);
	cr_assert_not(frm_parse_ip4(f, 19, &v), "short header is refused");
}

Test(wire, icmp_echo_round_trip)
{
	uint8_t f[256], data[37];
	struct frm_eth_view e;
	struct frm_ip4_view ip;
	struct frm_icmp_view ic;
	size_t n;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	n = frm_ping(f, mac_a, mac_b, frm_ip("10.1.2.3"), frm_ip("10.1.2.4"), 0xbeef, 42,
		     data, sizeof(data), NULL);
	cr_assert_eq(n, 14 + 20 + 8 + sizeof(data));
	cr_assert(frm_parse_eth(f, n, &e));
	cr_assert_eq(e.type, ETHERTYPE_IPV4);
	cr_assert(frm_parse_ip4(e.payload, e.len, &ip));
	cr_assert_eq(ip.proto, IPPROTO_ICMP_);
	cr_assert(frm_parse_icmp(ip.payload, ip.plen, &ic));
	cr_assert(ic.csum_ok);
	cr_assert_eq(ic.type, ICMP_ECHO_REQUEST);
	cr_assert_eq(ic.id, 0xbeef);
	cr_assert_eq(ic.seq, 42);
	cr_assert_eq(ic.dlen, sizeof(data));
	cr_assert_arr_eq(ic.data, data, sizeof(data));
	f[n - 1] ^= 1;
	cr_assert(frm_parse_icmp(ip.payload, ip.plen, &ic));
	cr_assert_not(ic.csum_ok, "odd-length data is covered by the checksum");
}
