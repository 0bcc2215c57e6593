/* SPDX-License-Identifier: MIT */
/*
 * test_arp_icmp_ip.c - the layers below TCP, driven through an in-memory link
 *
 * Frames are built with tests/support/frames.c, injected with stack_input(),
 * and the frames the stack emits are popped from link_mem and compared field
 * by field (or byte for byte). Time is virtual.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "stack/link_mem.h"
#include "stack/stack.h"
#include "tests/support/frames.h"

#define T0 1000000000ull
#define SEC 1000000ull

static const uint8_t our_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t peer_mac[6] = { 0x02, 0, 0, 0, 0, 0xaa };
static const uint8_t peer_mac2[6] = { 0x02, 0, 0, 0, 0, 0xbb };
static const uint8_t router_mac[6] = { 0x02, 0, 0, 0, 0, 0xfe };
static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t zero_mac[6];

static struct stack *s;
static struct link_mem *lm;
static uint32_t our_ip, peer_ip, vip;
static uint8_t out[2048];

/**
 * no_syn() - ops.syn for a stack without listeners
 * @app:	unused
 * @c:		unused
 * @t:		unused
 *
 * Return: STACK_SYN_REJECT
 */
static enum stack_syn_verdict no_syn(void *app, struct tcp_conn *c, const struct tcp_tuple *t)
{
	(void)app, (void)c, (void)t;
	return STACK_SYN_REJECT;
}

static const struct stack_ops ops = { .syn = no_syn };

/**
 * setup() - a stack at 10.88.0.1/24 on an in-memory link
 */
static void setup(void)
{
	char err[256] = "";
	struct stack_config cfg = {
		.prefix_len = 24, .mtu = 1500, .max_conns = 16, .ops = &ops,
	};

	our_ip = frm_ip("10.88.0.1");
	peer_ip = frm_ip("10.88.0.2");
	vip = frm_ip("10.88.0.100");
	cfg.addr = our_ip;
	memcpy(cfg.mac, our_mac, 6);
	lm = link_mem_create(64);
	cr_assert(lm);
	cfg.link.send = link_mem_send;
	cfg.link.ctx = lm;
	s = stack_create(&cfg, err, sizeof(err));
	cr_assert(s, "stack_create: %s", err);
}

/**
 * teardown() - free the stack and the link
 */
static void teardown(void)
{
	stack_destroy(s);
	link_mem_destroy(lm);
}

TestSuite(lower, .init = setup, .fini = teardown);

/**
 * inject() - deliver a frame at @now (a copy: the stack may modify it)
 * @f:		frame
 * @len:	length
 * @now:	virtual time
 */
static void inject(const uint8_t *f, size_t len, uint64_t now)
{
	uint8_t copy[2048];

	memcpy(copy, f, len);
	stack_input(s, copy, len, now);
}

/**
 * pop() - the next emitted frame into out[]
 *
 * Return: its length (the test fails if none)
 */
static size_t pop(void)
{
	cr_assert_gt(link_mem_pending(lm), 0, "expected a frame from the stack");
	return link_mem_pop(lm, out, sizeof(out));
}

/**
 * arp_from_peer() - inject an ARP request from peer for @tpa
 * @tpa:	target address
 * @now:	virtual time
 */
static void arp_from_peer(uint32_t tpa, uint64_t now)
{
	uint8_t f[64];

	inject(f, frm_arp(f, bcast, 1, peer_mac, peer_ip, zero_mac, tpa), now);
}

/**
 * learn_peer() - make the stack learn peer_mac (ARP request for us), drain reply
 */
static void learn_peer(void)
{
	arp_from_peer(our_ip, T0);
	pop();
	cr_assert_eq(link_mem_pending(lm), 0);
}

/**
 * ping() - inject an echo request from @src (@smac) to @dst
 * @smac:	Ethernet source
 * @src:	IPv4 source
 * @dst:	IPv4 destination
 * @seq:	ICMP sequence number
 * @o:		IPv4 settings or NULL
 * @now:	virtual time
 */
static void ping(const uint8_t *smac, uint32_t src, uint32_t dst, uint16_t seq,
		 const struct frm_ip4_opts *o, uint64_t now)
{
	uint8_t f[256];

	inject(f, frm_ping(f, our_mac, smac, src, dst, 0x4242, seq, "abcdefghijklmnopq",
			   17, o), now);
}

/**
 * check_echo_reply() - out[] holds an exact echo reply
 * @len:	frame length
 * @dmac:	expected Ethernet destination
 * @src:	expected IPv4 source (the pinged address)
 * @dst:	expected IPv4 destination
 * @seq:	expected sequence number
 */
static void check_echo_reply(size_t len, const uint8_t *dmac, uint32_t src, uint32_t dst,
			     uint16_t seq)
{
	struct frm_eth_view e;
	struct frm_ip4_view ip;
	struct frm_icmp_view ic;

	cr_assert(frm_parse_eth(out, len, &e));
	cr_assert_arr_eq(e.dst, dmac, 6);
	cr_assert_arr_eq(e.src, our_mac, 6);
	cr_assert_eq(e.type, 0x0800);
	cr_assert(frm_parse_ip4(e.payload, e.len, &ip));
	cr_assert_eq(e.len, ip.tot_len, "no trailing bytes");
	cr_assert(ip.csum_ok);
	cr_assert_eq(ip.ihl, 5);
	cr_assert_eq(ip.ttl, 64);
	cr_assert_eq(ip.frag_off, 0x4000, "DF, no fragment");
	cr_assert_eq(ip.proto, 1);
	cr_assert_eq(ip.src, src);
	cr_assert_eq(ip.dst, dst);
	cr_assert(frm_parse_icmp(ip.payload, ip.plen, &ic));
	cr_assert(ic.csum_ok);
	cr_assert_eq(ic.type, 0);
	cr_assert_eq(ic.code, 0);
	cr_assert_eq(ic.id, 0x4242);
	cr_assert_eq(ic.seq, seq);
	cr_assert_eq(ic.dlen, 17);
	cr_assert_arr_eq(ic.data, "abcdefghijklmnopq", 17);
}

/**
 * check_arp_request() - out[] holds our ARP request for @tpa
 * @len:	frame length
 * @tpa:	address asked for
 */
static void check_arp_request(size_t len, uint32_t tpa)
{
	uint8_t want[64];

	cr_assert_eq(len, 42);
	frm_arp(want, bcast, 1, our_mac, our_ip, zero_mac, tpa);
	cr_assert_arr_eq(out, want, 42);
}

Test(lower, arp_request_for_own_address_gets_exact_reply)
{
	uint8_t want[64];
	size_t n;

	arp_from_peer(our_ip, T0);
	n = pop();
	cr_assert_eq(n, 42);
	frm_arp(want, peer_mac, 2, our_mac, our_ip, peer_mac, peer_ip);
	cr_assert_arr_eq(out, want, 42);
	cr_assert_eq(link_mem_pending(lm), 0);
	cr_assert_eq(stack_stats(s)->arp_requests_rcvd, 1);
	cr_assert_eq(stack_stats(s)->arp_replies_sent, 1);
	cr_assert_eq(stack_stats(s)->tx_frames, 1);
	cr_assert_eq(stack_stats(s)->tx_bytes, 42);
	cr_assert_eq(stack_stats(s)->rx_frames, 1);
}

Test(lower, arp_request_for_vip_gets_reply_until_removed)
{
	uint8_t want[64];

	cr_assert_eq(stack_add_vip(s, vip), 0);
	arp_from_peer(vip, T0);
	cr_assert_eq(pop(), 42);
	frm_arp(want, peer_mac, 2, our_mac, vip, peer_mac, peer_ip);
	cr_assert_arr_eq(out, want, 42);
	cr_assert_eq(stack_del_vip(s, vip), 0);
	cr_assert_eq(stack_del_vip(s, vip), -ENOENT);
	arp_from_peer(vip, T0);
	cr_assert_eq(link_mem_pending(lm), 0);
}

Test(lower, arp_for_unknown_address_is_ignored_even_promiscuous)
{
	arp_from_peer(frm_ip("10.88.0.77"), T0);
	cr_assert_eq(link_mem_pending(lm), 0);
	stack_set_promiscuous_ip(s, true);
	arp_from_peer(frm_ip("10.88.0.77"), T0);
	cr_assert_eq(link_mem_pending(lm), 0);
	cr_assert_eq(stack_stats(s)->arp_requests_rcvd, 2);
	cr_assert_eq(stack_stats(s)->arp_replies_sent, 0);
}

Test(lower, arp_malformed_dropped)
{
	uint8_t f[64];

	frm_arp(f, bcast, 1, peer_mac, peer_ip, zero_mac, our_ip);
	inject(f, 41, T0);		/* truncated */
	f[15] = 6;			/* htype 6 (IEEE 802) */
	inject(f, 42, T0);
	frm_arp(f, bcast, 3, peer_mac, peer_ip, zero_mac, our_ip);
	inject(f, 42, T0);		/* op 3 */
	cr_assert_eq(link_mem_pending(lm), 0);
	cr_assert_eq(stack_stats(s)->drop_arp_bad, 3);
	cr_assert_eq(stack_stats(s)->rx_dropped, 3);
}

Test(lower, ping_reply_exact)
{
	learn_peer();
	ping(peer_mac, peer_ip, our_ip, 7, NULL, T0);
	check_echo_reply(pop(), peer_mac, our_ip, peer_ip, 7);
	cr_assert_eq(link_mem_pending(lm), 0);
	cr_assert_eq(stack_stats(s)->icmp_echo_replies, 1);
	cr_assert_eq(stack_stats(s)->rx_dropped, 0);
}

Test(lower, ping_vip_and_promiscuous_answered_from_pinged_address)
{
	uint32_t any = frm_ip("198.51.100.9");

	learn_peer();
	stack_add_vip(s, vip);
	ping(peer_mac, peer_ip, vip, 1, NULL, T0);
	check_echo_reply(pop(), peer_mac, vip, peer_ip, 1);
	ping(peer_mac, peer_ip, any, 2, NULL, T0);
	cr_assert_eq(link_mem_pending(lm), 0);
	cr_assert_eq(stack_stats(s)->drop_ip_not_for_us, 1);
	stack_set_promiscuous_ip(s, true);
	ping(peer_mac, peer_ip, any, 3, NULL, T0);
	check_echo_reply(pop(), peer_mac, any, peer_ip, 3);
	/* but never from a broadcast or multicast address */
	ping(peer_mac, peer_ip, frm_ip("255.255.255.255"), 4, NULL, T0);
	ping(peer_mac, peer_ip, frm_ip("10.88.0.255"), 5, NULL, T0);
	ping(peer_mac, peer_ip, frm_ip("224.0.0.1"), 6, NULL, T0);
	cr_assert_eq(link_mem_pending(lm), 0);
	cr_assert_eq(stack_stats(s)->drop_ip_not_for_us, 4);
}

Test(lower, arp_hold_then_release_on_reply)
{
	uint8_t f[64];
	size_t n;

	ping(peer_mac, peer_ip, our_ip, 9, NULL, T0);
	check_arp_request(pop(), peer_ip);
	cr_assert_eq(link_mem_pending(lm), 0, "no echo reply before ARP resolves");
	cr_assert_eq(stack_stats(s)->arp_requests_sent, 1);
	cr_assert_eq(stack_next_timer(s), T0 + SEC);
	/* answer from a MAC other than the ping's source: the reply follows ARP */
	inject(f, frm_arp(f, our_mac, 2, peer_mac2, peer_ip, our_mac, our_ip), T0 + 100);
	n = pop();
	check_echo_reply(n, peer_mac2, our_ip, peer_ip, 9);
	cr_assert_eq(link_mem_pending(lm), 0);
	cr_assert_eq(stack_next_timer(s), STACK_TIME_NEVER);
	/* resolved: the next reply goes out at once */
	ping(peer_mac, peer_ip, our_ip, 10, NULL, T0 + 200);
	check_echo_reply(pop(), peer_mac2, our_ip, peer_ip, 10);
}

Test(lower, arp_hold_queue_bounded_and_ordered)
{
	uint8_t f[64];

	for (uint16_t seq = 1; seq <= 6; seq++)
		ping(peer_mac, peer_ip, our_ip, seq, NULL, T0);
	check_arp_request(pop(), peer_ip);
	cr_assert_eq(link_mem_pending(lm), 0);
	cr_assert_eq(stack_stats(s)->arp_requests_sent, 1, "one request per resolution");
	cr_assert_eq(stack_stats(s)->tx_dropped, 2, "4 held, 2 over the limit");
	inject(f, frm_arp(f, our_mac, 2, peer_mac, peer_ip, our_mac, our_ip), T0 + 1);
	for (uint16_t seq = 1; seq <= 4; seq++)
		check_echo_reply(pop(), peer_mac, our_ip, peer_ip, seq);
	cr_assert_eq(link_mem_pending(lm), 0);
}

Test(lower, arp_retry_every_second_then_drop)
{
	ping(peer_mac, peer_ip, our_ip, 1, NULL, T0);
	check_arp_request(pop(), peer_ip);
	stack_timers(s, T0 + SEC - 1);
	cr_assert_eq(link_mem_pending(lm), 0, "not before a second");
	cr_assert_eq(stack_next_timer(s), T0 + SEC);
	stack_timers(s, T0 + SEC);
	check_arp_request(pop(), peer_ip);
	cr_assert_eq(stack_next_timer(s), T0 + 2 * SEC);
	stack_timers(s, T0 + 2 * SEC);
	check_arp_request(pop(), peer_ip);
	cr_assert_eq(stack_stats(s)->arp_requests_sent, 3);
	cr_assert_eq(stack_stats(s)->tx_dropped, 0);
	stack_timers(s, T0 + 3 * SEC);
	cr_assert_eq(link_mem_pending(lm), 0, "no fourth request");
	cr_assert_eq(stack_stats(s)->arp_requests_sent, 3);
	cr_assert_eq(stack_stats(s)->tx_dropped, 1, "the held echo reply is dropped");
	cr_assert_eq(stack_next_timer(s), STACK_TIME_NEVER);
	/* a later reply finds nothing held */
	learn_peer();
	cr_assert_eq(stack_stats(s)->tx_frames, 4);
}

Test(lower, arp_entry_expires_and_is_resolved_again)
{
	learn_peer();
	ping(peer_mac, peer_ip, our_ip, 1, NULL, T0 + 59 * SEC);
	check_echo_reply(pop(), peer_mac, our_ip, peer_ip, 1);
	ping(peer_mac, peer_ip, our_ip, 2, NULL, T0 + 61 * SEC);
	check_arp_request(pop(), peer_ip);
	cr_assert_eq(link_mem_pending(lm), 0);
}

Test(lower, arp_merge_rules)
{
	uint8_t f[64];
	uint32_t other = frm_ip("10.88.0.3");

	/* a request between two other hosts creates no entry ... */
	inject(f, frm_arp(f, bcast, 1, peer_mac, peer_ip, zero_mac, other), T0);
	cr_assert_eq(link_mem_pending(lm), 0);
	ping(peer_mac, peer_ip, our_ip, 1, NULL, T0);
	check_arp_request(pop(), peer_ip);
	/* ... but once an entry exists, any ARP from the sender updates it */
	inject(f, frm_arp(f, bcast, 1, peer_mac2, peer_ip, zero_mac, other), T0 + 1);
	check_echo_reply(pop(), peer_mac2, our_ip, peer_ip, 1);
	inject(f, frm_arp(f, bcast, 1, peer_mac, peer_ip, zero_mac, other), T0 + 2);
	ping(peer_mac, peer_ip, our_ip, 2, NULL, T0 + 3);
	check_echo_reply(pop(), peer_mac, our_ip, peer_ip, 2);
}

Test(lower, off_link_source_is_gleaned)
{
	uint32_t far = frm_ip("192.0.2.50");

	ping(router_mac, far, our_ip, 5, NULL, T0);
	check_echo_reply(pop(), router_mac, our_ip, far, 5);
	cr_assert_eq(stack_stats(s)->arp_requests_sent, 0, "off-link: no ARP");
}

Test(lower, ip_options_are_skipped)
{
	struct frm_ip4_opts o = { .ihl = 8 };

	learn_peer();
	ping(peer_mac, peer_ip, our_ip, 3, &o, T0);
	check_echo_reply(pop(), peer_mac, our_ip, peer_ip, 3);
}

Test(lower, ethernet_padding_is_trimmed)
{
	uint8_t f[128];
	struct frm_eth_view e;
	struct frm_ip4_view ip;
	struct frm_icmp_view ic;
	size_t n;

	learn_peer();
	n = frm_ping(f, our_mac, peer_mac, peer_ip, our_ip, 0x4242, 4, "", 0, NULL);
	cr_assert_eq(n, 42);
	memset(f + n, 0xa5, 60 - n);	/* padding up to the 60-byte minimum */
	inject(f, 60, T0);
	n = pop();
	cr_assert_eq(n, 42, "the padding is not echoed");
	cr_assert(frm_parse_eth(out, n, &e));
	cr_assert(frm_parse_ip4(e.payload, e.len, &ip));
	cr_assert(frm_parse_icmp(ip.payload, ip.plen, &ic));
	cr_assert(ic.csum_ok);
	cr_assert_eq(ic.dlen, 0);
	cr_assert_eq(stack_stats(s)->icmp_echo_replies, 1);
}

/**
 * expect_drop() - inject @f, expect no output and one more rx drop
 * @f:		frame
 * @len:	length
 */
static void expect_drop(const uint8_t *f, size_t len)
{
	uint64_t before = stack_stats(s)->rx_dropped;

	inject(f, len, T0);
	cr_assert_eq(link_mem_pending(lm), 0);
	cr_assert_eq(stack_stats(s)->rx_dropped, before + 1);
}

Test(lower, ip_bad_header_checksum_dropped)
{
	uint8_t f[256];
	struct frm_ip4_opts o = { .bad_csum = true };

	learn_peer();
	expect_drop(f, frm_ping(f, our_mac, peer_mac, peer_ip, our_ip, 1, 1, "x", 1, &o));
	cr_assert_eq(stack_stats(s)->drop_ip_bad_checksum, 1);
}

Test(lower, ip_bad_lengths_dropped)
{
	uint8_t f[256];
	struct frm_ip4_opts big = { .tot_len = 200 }, small = { .tot_len = 19 };
	size_t n;

	learn_peer();
	expect_drop(f, frm_ping(f, our_mac, peer_mac, peer_ip, our_ip, 1, 1, "x", 1, &big));
	expect_drop(f, frm_ping(f, our_mac, peer_mac, peer_ip, our_ip, 1, 1, "x", 1, &small));
	cr_assert_eq(stack_stats(s)->drop_ip_bad_len, 2);
	n = frm_ping(f, our_mac, peer_mac, peer_ip, our_ip, 1, 1, "x", 1, NULL);
	expect_drop(f, 14 + 19);	/* shorter than an IPv4 header */
	cr_assert_eq(stack_stats(s)->drop_ip_short, 1);
	expect_drop(f, n - 1);		/* total length beyond the frame */
	cr_assert_eq(stack_stats(s)->drop_ip_bad_len, 3);
}

Test(lower, ip_bad_version_and_ihl_dropped)
{
	uint8_t f[256];
	struct frm_ip4_opts huge = { .ihl = 15 };
	size_t n;

	learn_peer();
	n = frm_ping(f, our_mac, peer_mac, peer_ip, our_ip, 1, 1, "x", 1, NULL);
	f[14] = 0x44;			/* IHL 4: shorter than the fixed header */
	expect_drop(f, n);
	/* IHL 15 (60 bytes) but only 29 bytes of IP present */
	frm_ping(f, our_mac, peer_mac, peer_ip, our_ip, 1, 1, "x", 1, NULL);
	f[14] = 0x4f;
	expect_drop(f, n);
	n = frm_ping(f, our_mac, peer_mac, peer_ip, our_ip, 1, 1, "x", 1, &huge);
	f[14] = 0x6f;			/* version 6 */
	expect_drop(f, n);
	cr_assert_eq(stack_stats(s)->drop_ip_bad_header, 3);
	cr_assert_eq(stack_stats(s)->drop_ip_bad_checksum, 0, "rejected before the checksum");
}

Test(lower, ip_fragments_dropped)
{
	uint8_t f[256];
	struct frm_ip4_opts mf = { .frag_off = 0x2000 }, off = { .frag_off = 0x0010 };

	learn_peer();
	expect_drop(f, frm_ping(f, our_mac, peer_mac, peer_ip, our_ip, 1, 1, "x", 1, &mf));
	expect_drop(f, frm_ping(f, our_mac, peer_mac, peer_ip, our_ip, 1, 1, "x", 1, &off));
	cr_assert_eq(stack_stats(s)->drop_ip_fragment, 2);
}

Test(lower, ip_not_for_us_and_unknown_protocol_dropped)
{
	uint8_t f[256];
	size_t off = frm_eth(f, our_mac, peer_mac, 0x0800);

	learn_peer();
	expect_drop(f, off + frm_ip4(f + off, peer_ip, frm_ip("10.88.0.9"), 1, "12345678", 8,
				     NULL));
	cr_assert_eq(stack_stats(s)->drop_ip_not_for_us, 1);
	expect_drop(f, off + frm_ip4(f + off, peer_ip, our_ip, 17, "12345678", 8, NULL));
	cr_assert_eq(stack_stats(s)->drop_ip_proto, 1);
	expect_drop(f, off + frm_ip4(f + off, frm_ip("224.0.0.1"), our_ip, 1, "12345678", 8,
				     NULL));
	cr_assert_eq(stack_stats(s)->drop_ip_bad_header, 1, "multicast source");
}

Test(lower, icmp_bad_checksum_and_other_types_dropped)
{
	uint8_t f[256];
	size_t n;

	learn_peer();
	n = frm_ping(f, our_mac, peer_mac, peer_ip, our_ip, 1, 1, "xyz", 3, NULL);
	f[n - 1] ^= 0x40;
	expect_drop(f, n);
	n = frm_ping(f, our_mac, peer_mac, peer_ip, our_ip, 1, 1, "xyz", 3, NULL);
	f[14 + 20] = 0;		/* an echo reply, fix its checksum */
	f[14 + 20 + 2] += 8;
	expect_drop(f, n);
	cr_assert_eq(stack_stats(s)->drop_icmp, 2);
	cr_assert_eq(stack_stats(s)->icmp_echo_replies, 0);
}

Test(lower, ethernet_drops)
{
	uint8_t f[256];
	size_t n;

	n = frm_ping(f, peer_mac2, peer_mac, peer_ip, our_ip, 1, 1, "x", 1, NULL);
	expect_drop(f, n);
	cr_assert_eq(stack_stats(s)->drop_eth_not_for_us, 1);
	expect_drop(f, 13);
	cr_assert_eq(stack_stats(s)->drop_eth_short, 1);
	frm_eth(f, our_mac, peer_mac, 0x86dd);
	expect_drop(f, 60);
	cr_assert_eq(stack_stats(s)->drop_eth_type, 1);
	cr_assert_eq(stack_stats(s)->rx_frames, 3);
}

Test(lower, link_failure_counted_as_tx_drop)
{
	learn_peer();
	for (int i = 0; i < 64; i++)
		ping(peer_mac, peer_ip, our_ip, (uint16_t)i, NULL, T0);
	cr_assert_eq(link_mem_pending(lm), 64);
	ping(peer_mac, peer_ip, our_ip, 99, NULL, T0);
	cr_assert_eq(stack_stats(s)->tx_dropped, 1);
	cr_assert_eq(stack_stats(s)->tx_frames, 65, "ARP reply + 64 echo replies");
}

Test(stack_config, invalid_configs_refused)
{
	char err[128];
	struct link_mem *m = link_mem_create(1);
	struct stack_config cfg = {
		.addr = 1, .prefix_len = 24, .mtu = 67, .max_conns = 1, .ops = &ops,
		.link = { .send = link_mem_send, .ctx = m },
	};

	cr_assert_null(stack_create(&cfg, err, sizeof(err)));
	cr_assert(strstr(err, "mtu"), "%s", err);
	cfg.mtu = 1500;
	cfg.max_conns = 0;
	cr_assert_null(stack_create(&cfg, err, sizeof(err)));
	cr_assert(strstr(err, "max_conns"), "%s", err);
	cfg.max_conns = 1;
	cfg.ops = NULL;
	cr_assert_null(stack_create(&cfg, err, sizeof(err)));
	cfg.ops = &ops;
	cfg.link.send = NULL;
	cr_assert_null(stack_create(&cfg, err, sizeof(err)));
	cfg.link.send = link_mem_send;
	cfg.prefix_len = 33;
	cr_assert_null(stack_create(&cfg, err, sizeof(err)));
	link_mem_destroy(m);
}
