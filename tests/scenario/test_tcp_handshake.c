/* SPDX-License-Identifier: MIT */
/*
 * test_tcp_handshake.c - passive open: ACCEPT, PENDING, REJECT, SYN-ACK
 * retransmission, SYN variants (data, FIN), table full, options
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "stack/stack.h"
#include "tests/support/tcp_harness.h"

#define S 0x02
#define A 0x10
#define F 0x01
#define R 0x04
#define P 0x08

static const uint8_t mss1460[4] = { 2, 4, 0x05, 0xb4 };

TestSuite(tcp_handshake, .init = th_setup, .fini = th_teardown);

Test(tcp_handshake, accept_synack_then_established)
{
	struct th_seg sa;

	th_send_opts(TH_CPORT, S, TH_CISN, 0, 65535, mss1460, 4, NULL, 0, false);
	cr_assert_eq(th.syn_calls, 1);
	th_expect(&sa, S | A, TH_ISS, TH_CISN + 1, 65535, 0);
	cr_assert_eq(sa.mss, 1460, "our MSS is MTU - 40");
	cr_assert_eq(sa.optlen, 4);
	cr_assert_eq(th.nev, 0, "no event before the ACK");
	cr_assert_eq(stack_stats(th.s)->syn_received, 1);
	th_send(A, TH_CISN + 1, TH_ISS + 1, 65535, NULL, 0);
	cr_assert_eq(th.nev, 1);
	cr_assert_eq(th.ev[0].ev, TCP_EV_ESTABLISHED);
	th_expect_none();
	struct tcp_conn_info ci;
	tcp_conn_info(th.conn, &ci);
	cr_assert_str_eq(ci.state, "ESTABLISHED");
	cr_assert_eq(ci.mss, 1460);
	cr_assert_eq(ci.cwnd, 14600, "RFC 6928 initial window of 10 segments");
	cr_assert_eq(stack_stats(th.s)->connections_active, 1);
	cr_assert_eq(stack_stats(th.s)->connections_total, 1);
}

Test(tcp_handshake, pending_then_accept)
{
	th.verdict = STACK_SYN_PENDING;
	th_send_opts(TH_CPORT, S, TH_CISN, 0, 65535, mss1460, 4, NULL, 0, false);
	th_expect_none();
	/* a retransmitted SYN while pending is ignored */
	th.now += TH_SEC;
	th_send_opts(TH_CPORT, S, TH_CISN, 0, 65535, mss1460, 4, NULL, 0, false);
	th_expect_none();
	cr_assert_eq(th.syn_calls, 1);
	cr_assert_eq(tcp_accept(th.conn, th.now), 0);
	th_expect(NULL, S | A, TH_ISS, TH_CISN + 1, 65535, 0);
	cr_assert_eq(tcp_accept(th.conn, th.now), -EINVAL, "not pending any more");
	/* after the SYN-ACK went out, a retransmitted SYN gets it again */
	th_send_opts(TH_CPORT, S, TH_CISN, 0, 65535, mss1460, 4, NULL, 0, false);
	th_expect(NULL, S | A, TH_ISS, TH_CISN + 1, 65535, 0);
	th_send(A, TH_CISN + 1, TH_ISS + 1, 65535, NULL, 0);
	cr_assert_eq(th.ev[0].ev, TCP_EV_ESTABLISHED);
}

Test(tcp_handshake, reject_verdict_rst_ack)
{
	th.verdict = STACK_SYN_REJECT;
	th_send(S, TH_CISN, 0, 65535, NULL, 0);
	/* RFC 9293 §3.10.7.1: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> */
	th_expect(NULL, R | A, 0, TH_CISN + 1, 0, 0);
	cr_assert_eq(stack_stats(th.s)->syn_rejected, 1);
	cr_assert_eq(stack_stats(th.s)->resets_sent, 1);
	cr_assert_eq(th.nev, 1);
	cr_assert_eq(th.ev[0].ev, TCP_EV_CLOSED);
	cr_assert_eq(stack_stats(th.s)->connections_active, 0);
}

Test(tcp_handshake, pending_then_reject)
{
	th.verdict = STACK_SYN_PENDING;
	th_send(S, TH_CISN, 0, 65535, NULL, 0);
	th_expect_none();
	tcp_reject(th.conn, th.now);
	th_expect(NULL, R | A, 0, TH_CISN + 1, 0, 0);
	cr_assert_eq(th.nev, 1);
	cr_assert_eq(th.ev[0].ev, TCP_EV_CLOSED);
	/* forgotten: the next SYN is a new connection */
	th.verdict = STACK_SYN_ACCEPT;
	th_send(S, TH_CISN + 100, 0, 65535, NULL, 0);
	cr_assert_eq(th.syn_calls, 2);
	th_expect(NULL, S | A, TH_ISS, TH_CISN + 101, 65535, 0);
}

Test(tcp_handshake, no_mss_option_means_536)
{
	struct tcp_conn_info ci;

	th_send(S, TH_CISN, 0, 65535, NULL, 0);
	th_expect(NULL, S | A, TH_ISS, TH_CISN + 1, 65535, 0);
	th_send(A, TH_CISN + 1, TH_ISS + 1, 65535, NULL, 0);
	tcp_conn_info(th.conn, &ci);
	cr_assert_eq(ci.mss, 536);
	th_write(NULL, 1000);
	th_expect(NULL, A, TH_ISS + 1, TH_CISN + 1, 65535, 536);
	th_expect(NULL, A | P, TH_ISS + 537, TH_CISN + 1, 65535, 464);
}

Test(tcp_handshake, synack_retransmit_backoff_then_abort)
{
	th_send(S, TH_CISN, 0, 65535, NULL, 0);
	th_expect(NULL, S | A, TH_ISS, TH_CISN + 1, 65535, 0);
	stack_time_us t0 = th.now, gap = TH_SEC, at = t0;
	for (int i = 0; i < 5; i++) {
		at += gap;
		th_advance(at - 1 - th.now);
		th_expect_none();
		th_advance(1);
		th_expect(NULL, S | A, TH_ISS, TH_CISN + 1, 65535, 0);
		gap *= 2;
	}
	cr_assert_eq(stack_stats(th.s)->retransmits, 5);
	th_advance(gap - 1);
	th_expect_none();
	th_advance(1);
	/* abort: RST,ACK <SEQ=SND.NXT> */
	th_expect(NULL, R | A, TH_ISS + 1, TH_CISN + 1, 0, 0);
	cr_assert_eq(th.nev, 2);
	cr_assert_eq(th.ev[0].ev, TCP_EV_TIMEOUT);
	cr_assert_eq(th.ev[1].ev, TCP_EV_CLOSED);
	cr_assert_eq(stack_stats(th.s)->timeouts, 1);
	cr_assert_eq(stack_next_timer(th.s), STACK_TIME_NEVER);
}

Test(tcp_handshake, syn_with_data_not_delivered)
{
	th_send(S, TH_CISN, 0, 65535, "hello", 5);
	/* only the SYN is acknowledged */
	th_expect(NULL, S | A, TH_ISS, TH_CISN + 1, 65535, 0);
	cr_assert_eq(th.rx_len, 0);
	th_send(A, TH_CISN + 1, TH_ISS + 1, 65535, NULL, 0);
	th_send(A | P, TH_CISN + 1, TH_ISS + 1, 65535, "hello", 5);
	cr_assert_eq(th.rx_len, 5);
	cr_assert_eq(memcmp(th.rx, "hello", 5), 0);
}

Test(tcp_handshake, syn_fin_dropped)
{
	th_send(S | F, TH_CISN, 0, 65535, NULL, 0);
	th_expect_none();
	cr_assert_eq(th.syn_calls, 0);
	cr_assert_eq(stack_stats(th.s)->drop_tcp_bad_header, 1);
}

Test(tcp_handshake, table_full_drops_syn)
{
	for (int i = 0; i < TH_MAX_CONNS; i++) {
		th_send_opts((uint16_t)(TH_CPORT + i), S, TH_CISN, 0, 65535, NULL, 0, NULL, 0, false);
		th_expect(NULL, S | A, TH_ISS, TH_CISN + 1, 65535, 0);
	}
	th_send_opts(TH_CPORT + 100, S, TH_CISN, 0, 65535, NULL, 0, NULL, 0, false);
	th_expect_none();
	cr_assert_eq(stack_stats(th.s)->syn_dropped, 1);
	cr_assert_eq(th.syn_calls, TH_MAX_CONNS);
}

/*
 * The pool hands out never-used entries and reuses freed ones (tcp_conn.c):
 * a full table still takes a SYN once one entry is freed, and only one.
 */
Test(tcp_handshake, table_full_takes_a_syn_again_after_a_close)
{
	for (int i = 0; i < TH_MAX_CONNS; i++) {
		th_send_opts((uint16_t)(TH_CPORT + i), S, TH_CISN, 0, 65535, NULL, 0, NULL, 0, false);
		th_expect(NULL, S | A, TH_ISS, TH_CISN + 1, 65535, 0);
	}
	/* RFC 9293 §3.10.7.4 first check: an in-window RST in SYN-RECEIVED closes it */
	th_send_opts(TH_CPORT + 3, R, TH_CISN + 1, 0, 65535, NULL, 0, NULL, 0, false);
	th_expect_none();
	cr_assert_eq(stack_stats(th.s)->connections_active, TH_MAX_CONNS - 1);
	th_send_opts(TH_CPORT + 100, S, TH_CISN, 0, 65535, NULL, 0, NULL, 0, false);
	th_expect(NULL, S | A, TH_ISS, TH_CISN + 1, 65535, 0);
	th_send_opts(TH_CPORT + 101, S, TH_CISN, 0, 65535, NULL, 0, NULL, 0, false);
	th_expect_none();
	cr_assert_eq(stack_stats(th.s)->syn_dropped, 1);
	cr_assert_eq(th.syn_calls, TH_MAX_CONNS + 1);
	cr_assert_eq(stack_stats(th.s)->connections_active, TH_MAX_CONNS);
	/* the new connection sits in the freed entry and completes its handshake */
	th_send_opts(TH_CPORT + 100, A, TH_CISN + 1, TH_ISS + 1, 65535, NULL, 0, NULL, 0, false);
	cr_assert_eq(th_count_ev(TCP_EV_ESTABLISHED), 1);
}

Test(tcp_handshake, bad_ack_in_syn_received_gets_rst)
{
	th_send(S, TH_CISN, 0, 65535, NULL, 0);
	th_expect(NULL, S | A, TH_ISS, TH_CISN + 1, 65535, 0);
	/* RFC 9293 §3.10.7.4: unacceptable ACK → <SEQ=SEG.ACK><CTL=RST> */
	th_send(A, TH_CISN + 1, TH_ISS + 77, 65535, NULL, 0);
	th_expect(NULL, R, TH_ISS + 77, 0, 0, 0);
	cr_assert_eq(th.nev, 0);
	th_send(A, TH_CISN + 1, TH_ISS + 1, 65535, NULL, 0);
	cr_assert_eq(th.ev[0].ev, TCP_EV_ESTABLISHED);
}

Test(tcp_handshake, other_syn_in_syn_received_returns_to_listen)
{
	th_send(S, TH_CISN, 0, 65535, NULL, 0);
	th_expect(NULL, S | A, TH_ISS, TH_CISN + 1, 65535, 0);
	th_send(S, TH_CISN + 1000, 0, 65535, NULL, 0);
	th_expect_none();
	cr_assert_eq(th.nev, 2);
	cr_assert_eq(th.ev[0].ev, TCP_EV_RESET);
	cr_assert_eq(th.ev[1].ev, TCP_EV_CLOSED);
}

Test(tcp_handshake, malformed_options_do_not_loop)
{
	/* kind MSS with length 0, length 1, and an overlong length */
	static const uint8_t len0[4] = { 2, 0, 0x05, 0xb4 };
	static const uint8_t len1[4] = { 1, 3, 1, 0 };
	static const uint8_t over[8] = { 1, 1, 2, 4, 0x02, 0x00, 8, 40 };
	static const uint8_t trail[4] = { 1, 1, 1, 2 };
	struct th_seg sa;
	struct tcp_conn_info ci;

	th_send_opts(TH_CPORT, S, TH_CISN, 0, 65535, len0, 4, NULL, 0, false);
	th_expect(&sa, S | A, TH_ISS, TH_CISN + 1, 65535, 0);
	th_send(A, TH_CISN + 1, TH_ISS + 1, 65535, NULL, 0);
	tcp_conn_info(th.conn, &ci);
	cr_assert_eq(ci.mss, 536, "nothing parsed before the bad option");
	th_send_opts(TH_CPORT + 1, S, TH_CISN, 0, 65535, len1, 4, NULL, 0, false);
	th_expect(NULL, S | A, TH_ISS, TH_CISN + 1, 65535, 0);
	th_send_opts(TH_CPORT + 2, S, TH_CISN, 0, 65535, over, 8, NULL, 0, false);
	th_expect(NULL, S | A, TH_ISS, TH_CISN + 1, 65535, 0);
	th_send_opts(TH_CPORT + 2, A, TH_CISN + 1, TH_ISS + 1, 65535, NULL, 0, NULL, 0, false);
	tcp_conn_info(th.conn, &ci);
	cr_assert_eq(ci.mss, 512, "MSS before the overlong option kept");
	th_send_opts(TH_CPORT + 3, S, TH_CISN, 0, 65535, trail, 4, NULL, 0, false);
	th_expect(NULL, S | A, TH_ISS, TH_CISN + 1, 65535, 0);
	cr_assert_eq(th.syn_calls, 4);
}

Test(tcp_handshake, bad_checksum_dropped_and_counted)
{
	th_send_opts(TH_CPORT, S, TH_CISN, 0, 65535, NULL, 0, NULL, 0, true);
	th_expect_none();
	cr_assert_eq(stack_stats(th.s)->bad_checksum, 1);
	cr_assert_eq(th.syn_calls, 0);
	th_handshake(TH_CISN);
	th_send_opts(TH_CPORT, A, TH_CISN + 1, TH_ISS + 1, 65535, NULL, 0, "abc", 3, true);
	cr_assert_eq(th.rx_len, 0);
	cr_assert_eq(stack_stats(th.s)->bad_checksum, 2);
	th_expect_none();
}

Test(tcp_handshake, isn_is_keyed_hash_without_fixed)
{
	th_teardown();
	th_config_default();
	th.cfg.isn_fixed = 0;
	memset(th.cfg.isn_key, 0x42, 16);
	th_setup_cfg();
	struct th_seg a, b;
	th_send_opts(TH_CPORT, S, TH_CISN, 0, 65535, NULL, 0, NULL, 0, false);
	cr_assert(th_pop(&a));
	th_send_opts(TH_CPORT + 1, S, TH_CISN, 0, 65535, NULL, 0, NULL, 0, false);
	cr_assert(th_pop(&b));
	cr_assert_neq(a.seq, b.seq, "different tuples, different ISNs");
	/* same tuple 4 ms later: the 4 µs clock moved the ISN by 1000 */
	uint32_t first = a.seq;
	tcp_abort(th.conns[0], th.now);
	cr_assert(th_pop(&a));
	th.now += 4000;
	th_send_opts(TH_CPORT, S, TH_CISN + 9, 0, 65535, NULL, 0, NULL, 0, false);
	cr_assert(th_pop(&a));
	cr_assert_eq(a.seq, first + 1000);
}
