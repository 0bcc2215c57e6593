/* SPDX-License-Identifier: MIT */
/*
 * test_syncookie.c - SYN cookies (RFC 4987 §3.6, stack/syncookie.c): the
 * threshold switch, a SYN flood keeping no state, a cookie handshake that
 * carries data, forged and expired cookies, the MSS carried in the cookie,
 * and the ops.syn() verdicts on a cookie connection (stack.h "SYN cookies")
 */
#include <criterion/criterion.h>
#include <string.h>

#include "stack/stack.h"
#include "tests/support/tcp_harness.h"

#define S 0x02
#define A 0x10
#define F 0x01
#define R 0x04

#define THRESHOLD 2

/**
 * sc_setup() - a stack that switches to cookies at THRESHOLD half-open
 */
static void sc_setup(void)
{
	th_config_default();
	th.cfg.syncookie_threshold = THRESHOLD;
	th_setup_cfg();
}

TestSuite(syncookie, .init = sc_setup, .fini = th_teardown);

/**
 * mss_opt() - an MSS option
 * @o:		4 bytes, filled
 * @mss:	value
 */
static void mss_opt(uint8_t o[4], uint16_t mss)
{
	o[0] = 2;
	o[1] = 4;
	o[2] = (uint8_t)(mss >> 8);
	o[3] = (uint8_t)mss;
}

/**
 * fill_half_open() - THRESHOLD stateful SYN-RECEIVED connections (ports 30000+)
 */
static void fill_half_open(void)
{
	uint8_t o[4];
	struct th_seg sa;

	mss_opt(o, 1460);
	for (int i = 0; i < THRESHOLD; i++) {
		th_send_opts((uint16_t)(30000 + i), S, TH_CISN, 0, 65535, o, 4, NULL, 0, false);
		th_expect(&sa, S | A, TH_ISS, TH_CISN + 1, 65535, 0);
	}
	cr_assert_eq(th.syn_calls, THRESHOLD);
	cr_assert_eq(stack_stats(th.s)->syncookies_sent, 0, "below the threshold: state");
}

/**
 * cookie_synack() - send a SYN from @cport with MSS @mss (0 = none), return
 * the cookie (the SYN-ACK's sequence number)
 * @cport:	client port
 * @mss:	MSS option, 0 for none
 * @sa:		the SYN-ACK, filled
 *
 * Return: the cookie
 */
static uint32_t cookie_synack(uint16_t cport, uint16_t mss, struct th_seg *sa)
{
	uint8_t o[4];

	mss_opt(o, mss);
	th_send_opts(cport, S, TH_CISN, 0, 65535, o, mss ? 4 : 0, NULL, 0, false);
	cr_assert(th_pop(sa), "a SYN-ACK for the cookie SYN");
	cr_assert_eq(sa->flags, S | A);
	cr_assert_eq(sa->ack, TH_CISN + 1);
	cr_assert(sa->csum_ok);
	return sa->seq;
}

Test(syncookie, threshold_switches_to_cookies)
{
	struct th_seg sa;
	uint32_t ck;

	fill_half_open();
	ck = cookie_synack(40001, 1460, &sa);
	cr_assert_neq(ck, TH_ISS, "the cookie is not the (fixed) stateful ISN");
	cr_assert_eq(sa.mss, 1460);
	cr_assert_eq(sa.optlen, 4, "only MSS offered in cookie mode");
	cr_assert_eq(sa.win, 65535);
	cr_assert_eq(th.syn_calls, THRESHOLD, "ops.syn() is not asked for a cookie SYN");
	cr_assert_eq(stack_stats(th.s)->syncookies_sent, 1);
	cr_assert_eq(stack_stats(th.s)->connections_active, THRESHOLD);
	/* the half-open ones complete: below the threshold again → state */
	th_send_opts(30000, A, TH_CISN + 1, TH_ISS + 1, 65535, NULL, 0, NULL, 0, false);
	th_send_opts(40002, S, TH_CISN, 0, 65535, NULL, 0, NULL, 0, false);
	th_expect(&sa, S | A, TH_ISS, TH_CISN + 1, 65535, 0);
	cr_assert_eq(stack_stats(th.s)->syncookies_sent, 1);
}

Test(syncookie, flood_keeps_no_state)
{
	struct th_seg sa;
	uint32_t first = 0;
	bool differ = false;

	fill_half_open();
	for (int i = 0; i < 2000; i++) {
		uint32_t ck = cookie_synack((uint16_t)(1024 + i), 1460, &sa);

		if (i == 0)
			first = ck;
		else if (ck != first)
			differ = true;
	}
	cr_assert(differ, "cookies depend on the tuple");
	cr_assert_eq(stack_stats(th.s)->syncookies_sent, 2000);
	cr_assert_eq(stack_stats(th.s)->connections_active, THRESHOLD, "no state for the flood");
	cr_assert_eq(th.syn_calls, THRESHOLD);
	cr_assert_eq(stack_stats(th.s)->syn_dropped, 0);
	/* the pool is untouched: every free entry can still become a connection */
	for (int i = 0; i < TH_MAX_CONNS - THRESHOLD; i++) {
		uint32_t ck = cookie_synack((uint16_t)(50000 + i), 1460, &sa);

		th_send_opts((uint16_t)(50000 + i), A, TH_CISN + 1, ck + 1, 65535,
			     NULL, 0, NULL, 0, false);
	}
	cr_assert_eq(stack_stats(th.s)->syncookies_accepted, TH_MAX_CONNS - THRESHOLD);
	cr_assert_eq(stack_stats(th.s)->connections_active, TH_MAX_CONNS);
	cr_assert_eq(th_count_ev(TCP_EV_ESTABLISHED), TH_MAX_CONNS - THRESHOLD);
}

Test(syncookie, cookie_handshake_carries_data)
{
	struct th_seg sa, d;
	struct tcp_conn_info ci;
	uint32_t ck;

	fill_half_open();
	ck = cookie_synack(40001, 1460, &sa);
	th_send_opts(40001, A, TH_CISN + 1, ck + 1, 65535, NULL, 0, "hello", 5, false);
	cr_assert_eq(th.syn_calls, THRESHOLD + 1, "ops.syn() on the completing ACK");
	cr_assert_eq(th_count_ev(TCP_EV_ESTABLISHED), 1);
	cr_assert_eq(th.rx_len, 5);
	cr_assert(!memcmp(th.rx, "hello", 5));
	cr_assert_eq(stack_stats(th.s)->syncookies_accepted, 1);
	cr_assert_eq(stack_stats(th.s)->connections_active, THRESHOLD + 1);
	tcp_conn_info(th.conn, &ci);
	cr_assert_str_eq(ci.state, "ESTABLISHED");
	cr_assert_eq(ci.snd_wscale, -1, "no window scaling with a cookie");
	cr_assert(!ci.sack);
	th_write("world", 5);
	cr_assert(th_pop(&d));
	cr_assert_eq(d.dport, 40001);
	cr_assert_eq(d.seq, ck + 1);
	cr_assert_eq(d.ack, TH_CISN + 1 + 5, "the ACK's data is acknowledged");
	cr_assert_eq(d.dlen, 5);
	cr_assert(!memcmp(d.data, "world", 5));
	th_send_opts(40001, A, TH_CISN + 6, ck + 6, 65535, NULL, 0, NULL, 0, false);
	cr_assert_eq(th.tx_acked, 5);
}

Test(syncookie, forged_cookie_gets_rst)
{
	struct th_seg sa, r;
	uint32_t ck;

	fill_half_open();
	ck = cookie_synack(40001, 1460, &sa);
	/* a MAC bit flipped */
	th_send_opts(40001, A, TH_CISN + 1, ck + 1 + 8, 65535, NULL, 0, NULL, 0, false);
	th_expect(&r, R, ck + 1 + 8, 0, 0, 0);
	/* the right cookie for another client ISN */
	th_send_opts(40001, A, TH_CISN + 2, ck + 1, 65535, NULL, 0, NULL, 0, false);
	th_expect(&r, R, ck + 1, 0, 0, 0);
	/* the right cookie from another port */
	th_send_opts(40002, A, TH_CISN + 1, ck + 1, 65535, NULL, 0, NULL, 0, false);
	th_expect(&r, R, ck + 1, 0, 0, 0);
	cr_assert_eq(stack_stats(th.s)->syncookies_failed, 3);
	cr_assert_eq(stack_stats(th.s)->syncookies_accepted, 0);
	cr_assert_eq(th.syn_calls, THRESHOLD);
	cr_assert_eq(stack_stats(th.s)->connections_active, THRESHOLD);
}

Test(syncookie, expired_cookie_gets_rst)
{
	struct th_seg sa, r;
	uint32_t ck;

	fill_half_open();
	ck = cookie_synack(40001, 1460, &sa);
	/* two 64 s counters later (no timers run: the half-open ones stay) */
	th.now += 130 * TH_SEC;
	th_send_opts(40001, A, TH_CISN + 1, ck + 1, 65535, NULL, 0, NULL, 0, false);
	th_expect(&r, R, ck + 1, 0, 0, 0);
	cr_assert_eq(stack_stats(th.s)->syncookies_failed, 1);
	cr_assert_eq(th.syn_calls, THRESHOLD);
}

Test(syncookie, cookie_valid_in_the_next_period)
{
	struct th_seg sa;
	uint32_t ck;

	fill_half_open();
	ck = cookie_synack(40001, 1460, &sa);
	th.now += 64 * TH_SEC;		/* the previous counter still verifies */
	th_send_opts(40001, A, TH_CISN + 1, ck + 1, 65535, NULL, 0, NULL, 0, false);
	cr_assert_eq(stack_stats(th.s)->syncookies_accepted, 1);
	cr_assert_eq(th_count_ev(TCP_EV_ESTABLISHED), 1);
}

Test(syncookie, mss_encoded_and_decoded)
{
	static const struct { uint16_t offered, got; } cases[] = {
		{ 1460, 1460 }, { 1400, 1400 }, { 1450, 1440 }, { 1000, 536 },
		{ 0, 536 }, { 9000, 1460 }, { 100, 64 },
	};
	struct th_seg sa;

	fill_half_open();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tcp_conn_info ci;
		uint16_t port = (uint16_t)(41000 + i);
		uint32_t ck = cookie_synack(port, cases[i].offered, &sa);

		th_send_opts(port, A, TH_CISN + 1, ck + 1, 65535, NULL, 0, NULL, 0, false);
		cr_assert_eq(th_count_ev(TCP_EV_ESTABLISHED), (int)i + 1);
		tcp_conn_info(th.conn, &ci);
		cr_assert_eq(ci.mss, cases[i].got, "offered %u: got %u, want %u",
			     cases[i].offered, ci.mss, cases[i].got);
		/* free the entry for the next case */
		tcp_abort(th.conn, th.now);
		while (th_pop(&sa))
			;
	}
}

Test(syncookie, pending_holds_until_accept)
{
	struct th_seg sa, a;
	uint32_t ck;

	fill_half_open();
	ck = cookie_synack(40001, 1460, &sa);
	th.verdict = STACK_SYN_PENDING;
	th_send_opts(40001, A, TH_CISN + 1, ck + 1, 65535, NULL, 0, "abc", 3, false);
	cr_assert_eq(th.syn_calls, THRESHOLD + 1);
	cr_assert_eq(th.nev, 0, "held: no event");
	cr_assert_eq(th.rx_len, 0, "held: nothing delivered");
	th_expect_none();
	/* the client retransmits while held: still nothing */
	th_send_opts(40001, A, TH_CISN + 1, ck + 1, 65535, NULL, 0, "abc", 3, false);
	th_expect_none();
	cr_assert_eq(tcp_accept(th.conn, th.now), 0);
	cr_assert_eq(th_count_ev(TCP_EV_ESTABLISHED), 1);
	cr_assert(th_pop(&a), "an ACK opens the window");
	cr_assert_eq(a.flags, A);
	cr_assert_eq(a.seq, ck + 1);
	cr_assert_eq(a.ack, TH_CISN + 1, "the held data was not acknowledged");
	th_send_opts(40001, A, TH_CISN + 1, ck + 1, 65535, NULL, 0, "abc", 3, false);
	cr_assert_eq(th.rx_len, 3);
	cr_assert(!memcmp(th.rx, "abc", 3));
	th_write("xy", 2);
	cr_assert(th_pop(&a));
	cr_assert_eq(a.seq, ck + 1);
	cr_assert_eq(a.dlen, 2);
}

Test(syncookie, pending_then_reject_resets_established_peer)
{
	struct th_seg sa, r;
	uint32_t ck;

	fill_half_open();
	ck = cookie_synack(40001, 1460, &sa);
	th.verdict = STACK_SYN_PENDING;
	th_send_opts(40001, A, TH_CISN + 1, ck + 1, 65535, NULL, 0, NULL, 0, false);
	tcp_reject(th.conn, th.now);
	/* in the client's window: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=RST,ACK> */
	cr_assert(th_pop(&r));
	cr_assert_eq(r.flags & R, R);
	cr_assert_eq(r.seq, ck + 1);
	cr_assert_eq(th_count_ev(TCP_EV_CLOSED), 1);
	cr_assert_eq(stack_stats(th.s)->connections_active, THRESHOLD);
}

Test(syncookie, pending_then_abort_resets_established_peer)
{
	struct th_seg sa, r;
	uint32_t ck;

	fill_half_open();
	ck = cookie_synack(40001, 1460, &sa);
	th.verdict = STACK_SYN_PENDING;
	th_send_opts(40001, A, TH_CISN + 1, ck + 1, 65535, NULL, 0, NULL, 0, false);
	tcp_abort(th.conn, th.now);
	/* found by fuzz_frames: the client is ESTABLISHED, <SEQ=0> would be dropped */
	cr_assert(th_pop(&r));
	cr_assert_eq(r.flags & R, R);
	cr_assert_eq(r.seq, ck + 1);
	cr_assert_eq(th_count_ev(TCP_EV_CLOSED), 1);
}

Test(syncookie, pending_times_out_with_rst)
{
	struct th_seg sa, r;
	uint32_t ck;

	/* threshold reached by held cookie connections themselves */
	fill_half_open();
	ck = cookie_synack(40001, 1460, &sa);
	th.verdict = STACK_SYN_PENDING;
	th_send_opts(40001, A, TH_CISN + 1, ck + 1, 65535, NULL, 0, NULL, 0, false);
	/* complete the two stateful ones so only the held one has timers */
	th.verdict = STACK_SYN_ACCEPT;
	th_send_opts(30000, A, TH_CISN + 1, TH_ISS + 1, 65535, NULL, 0, NULL, 0, false);
	th_send_opts(30001, A, TH_CISN + 1, TH_ISS + 1, 65535, NULL, 0, NULL, 0, false);
	th_advance(76 * TH_SEC);
	bool found = false;
	while (th_pop(&r))
		if (r.dport == 40001 && (r.flags & R)) {
			cr_assert_eq(r.seq, ck + 1);
			found = true;
		}
	cr_assert(found, "the held connection is reset in the client's window");
	cr_assert_eq(th_count_ev(TCP_EV_TIMEOUT), 1);
}

Test(syncookie, reject_verdict_rst)
{
	struct th_seg sa, r;
	uint32_t ck;

	fill_half_open();
	ck = cookie_synack(40001, 1460, &sa);
	th.verdict = STACK_SYN_REJECT;
	th_send_opts(40001, A, TH_CISN + 1, ck + 1, 65535, NULL, 0, NULL, 0, false);
	th_expect(&r, R, ck + 1, 0, 0, 0);
	cr_assert_eq(stack_stats(th.s)->syn_rejected, 1);
	cr_assert_eq(stack_stats(th.s)->connections_active, THRESHOLD);
}

Test(syncookie, never_when_disabled)
{
	struct th_seg sa;

	th_teardown();
	th_config_default();
	th.cfg.syncookie_threshold = UINT32_MAX;
	th_setup_cfg();
	for (int i = 0; i < TH_MAX_CONNS; i++) {
		th_send_opts((uint16_t)(30000 + i), S, TH_CISN, 0, 65535, NULL, 0, NULL, 0, false);
		th_expect(&sa, S | A, TH_ISS, TH_CISN + 1, 65535, 0);
	}
	th_send_opts(31000, S, TH_CISN, 0, 65535, NULL, 0, NULL, 0, false);
	th_expect_none();
	cr_assert_eq(stack_stats(th.s)->syn_dropped, 1);
	cr_assert_eq(stack_stats(th.s)->syncookies_sent, 0);
}
