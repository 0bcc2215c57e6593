/* SPDX-License-Identifier: MIT */
/*
 * test_tcp_data_close.c - data both ways, delayed ACK, every close path,
 * RST to a closed port, RST and SYN received (RFC 5961), sequence wrap
 */
#include <criterion/criterion.h>
#include <string.h>

#include "stack/stack.h"
#include "tests/support/tcp_harness.h"

#define S 0x02
#define A 0x10
#define F 0x01
#define R 0x04
#define P 0x08
#define C (TH_CISN + 1)		/* client's next sequence number after the SYN */
#define I (TH_ISS + 1)		/* ours */

TestSuite(tcp_data, .init = th_setup, .fini = th_teardown);
TestSuite(tcp_close, .init = th_setup, .fini = th_teardown);
TestSuite(tcp_rst, .init = th_setup, .fini = th_teardown);

static uint8_t pat[4096];

/**
 * fill() - a recognizable payload
 */
static void fill(void)
{
	for (size_t i = 0; i < sizeof(pat); i++)
		pat[i] = (uint8_t)(i * 13 + 1);
}

Test(tcp_data, in_order_delivered_and_delayed_ack)
{
	fill();
	th_handshake(TH_CISN);
	th_send(A | P, C, I, 65535, pat, 100);
	cr_assert_eq(th.rx_len, 100);
	cr_assert_eq(memcmp(th.rx, pat, 100), 0);
	th_expect_none();			/* delayed */
	th_advance(40 * TH_MS - 1);
	th_expect_none();
	th_advance(1);
	/* receiver SWS: the right edge moves by less than an MSS: kept */
	th_expect(NULL, A, I, C + 100, 65435, 0);
	/* two full-sized segments: ACK at once */
	th_send(A, C + 100, I, 65535, pat, 1460);
	th_expect_none();
	th_send(A, C + 1560, I, 65535, pat, 1460);
	th_expect(NULL, A, I, C + 3020, 65535, 0);
	cr_assert_eq(th.rx_len, 3020);
}

Test(tcp_data, partial_deliver_acks_only_what_was_taken)
{
	fill();
	th_handshake(TH_CISN);
	th.deliver_max = 30;
	th.rcv_space = 65535;
	th_send(A | P, C, I, 65535, pat, 100);
	cr_assert_eq(th.rx_len, 30);
	th_expect(NULL, A, I, C + 30, 65505, 0);
	th.deliver_max = SIZE_MAX;
	th_send(A | P, C, I, 65535, pat, 100);	/* retransmission, overlapping */
	cr_assert_eq(th.rx_len, 100);
	cr_assert_eq(memcmp(th.rx + 30, pat + 30, 70), 0);
}

Test(tcp_data, send_acked_and_cwnd_limits)
{
	th_handshake(TH_CISN);
	th_write(NULL, 20000);
	/* initial window: 10 segments of 1460 */
	for (int i = 0; i < 10; i++)
		th_expect(NULL, A, I + 1460u * i, C, 65535, 1460);
	th_expect_none();
	cr_assert_eq(th.tx_acked, 0);
	th_send(A, C, I + 2920, 65535, NULL, 0);
	cr_assert_eq(th.tx_acked, 2920);
	/* slow start: cwnd 14600 + 1460; flight 11680 → 2 more full + ... */
	th_expect(NULL, A, I + 14600, C, 65535, 1460);
	th_expect(NULL, A, I + 16060, C, 65535, 1460);
	th_expect(NULL, A, I + 17520, C, 65535, 1460);
	th_expect_none();
	th_send(A, C, I + 18980, 65535, NULL, 0);
	th_expect(NULL, A | P, I + 18980, C, 65535, 1020);
	th_send(A, C, I + 20000, 65535, NULL, 0);
	cr_assert_eq(th.tx_acked, 20000);
	th_advance(120 * TH_SEC);
	th_expect_none();
	cr_assert_eq(stack_stats(th.s)->retransmits, 0, "RTO stopped when all acked");
}

Test(tcp_data, out_of_order_dropped_dup_ack)
{
	fill();
	th_handshake(TH_CISN);
	th_send(A, C + 100, I, 65535, pat, 100);
	th_expect(NULL, A, I, C, 65535, 0);
	cr_assert_eq(th.rx_len, 0);
	cr_assert_eq(stack_stats(th.s)->out_of_order, 1);
}

Test(tcp_data, ack_of_unsent_data_acked_and_dropped)
{
	fill();
	th_handshake(TH_CISN);
	th_send(A, C, I + 500, 65535, pat, 10);
	th_expect(NULL, A, I, C, 65535, 0);
	cr_assert_eq(th.rx_len, 0, "segment dropped");
}

Test(tcp_data, window_follows_rcv_space_never_shrinks)
{
	fill();
	th_handshake(TH_CISN);
	th.rcv_space = 1000;
	th_send(A, C, I, 65535, pat, 1460);
	th_send(A, C + 1460, I, 65535, pat, 1460);
	/* right edge C+65535 is kept: window 65535 - 2920 */
	th_expect(NULL, A, I, C + 2920, 65535 - 2920, 0);
	th.rcv_space = 65535;
	tcp_window_update(th.conn, th.now);
	th_expect(NULL, A, I, C + 2920, 65535, 0);
	tcp_window_update(th.conn, th.now);
	th_expect_none();
}

Test(tcp_data, urgent_delivered_inline)
{
	uint8_t seg[20];

	th_handshake(TH_CISN);
	memcpy(seg, "urgentdata..........", 20);
	th_send(A | 0x20, C, I, 65535, seg, 20);
	cr_assert_eq(th.rx_len, 20);
}

Test(tcp_data, sequence_wrap_both_ways)
{
	const uint32_t ciss = 0xffffff00u;

	th_teardown();
	th_config_default();
	th.cfg.isn_fixed = 0xfffffff0u;
	th_setup_cfg();
	fill();
	th_handshake(ciss);
	uint32_t cs = ciss + 1, is = 0xfffffff1u;
	for (int i = 0; i < 3; i++) {
		th_send(A, cs + 1000u * i, is, 65535, pat + 1000 * i, 1000);
	}
	cr_assert_eq(th.rx_len, 3000);
	cr_assert_eq(memcmp(th.rx, pat, 3000), 0);
	/* 3000 bytes >= two full-sized segments: ACKed at once (choice 17) */
	th_expect(NULL, A, is, cs + 3000, 65535, 0);
	th_write(pat, 3000);
	th_expect(NULL, A, is, cs + 3000, 65535, 1460);
	th_expect(NULL, A, is + 1460, cs + 3000, 65535, 1460);
	struct th_seg s;
	th_expect(&s, A | P, is + 2920, cs + 3000, 65535, 80);
	cr_assert_eq(s.seq, 0x00000b59u, "crossed the wrap");
	th_send(A, cs + 3000, is + 3000, 65535, NULL, 0);
	cr_assert_eq(th.tx_acked, 3000);
	/* close across the wrap too */
	th_send(A | F, cs + 3000, is + 3000, 65535, NULL, 0);
	th_expect(NULL, A, is + 3000, cs + 3001, 65534, 0);
	tcp_shutdown(th.conn, th.now);
	th_expect(NULL, A | F, is + 3000, cs + 3001, 65534, 0);
	th_send(A, cs + 3001, is + 3001, 65535, NULL, 0);
	cr_assert_eq(th.ev[th.nev - 1].ev, TCP_EV_CLOSED);
}

Test(tcp_close, passive_close_close_wait_last_ack)
{
	fill();
	th_handshake(TH_CISN);
	th_send(A | P, C, I, 65535, pat, 10);
	th_send(A | F, C + 10, I, 65535, NULL, 0);
	th_expect(NULL, A, I, C + 11, 65524, 0);	/* FIN ACKed at once */
	cr_assert_eq(th.nev, 2);
	cr_assert_eq(th.ev[1].ev, TCP_EV_PEER_FIN);
	cr_assert_eq(th.rx_len, 10, "data before the FIN delivered first");
	struct tcp_conn_info ci;
	tcp_conn_info(th.conn, &ci);
	cr_assert_str_eq(ci.state, "CLOSE-WAIT");
	th_write(NULL, 5);
	th_expect(NULL, A | P, I, C + 11, 65524, 5);
	tcp_shutdown(th.conn, th.now);
	th_expect(NULL, A | F, I + 5, C + 11, 65524, 0);
	tcp_conn_info(th.conn, &ci);
	cr_assert_str_eq(ci.state, "LAST-ACK");
	th_send(A, C + 11, I + 6, 65535, NULL, 0);
	cr_assert_eq(th.nev, 3);
	cr_assert_eq(th.ev[2].ev, TCP_EV_CLOSED);
	cr_assert_eq(th.tx_acked, 5);
	cr_assert_eq(stack_stats(th.s)->connections_active, 0);
	cr_assert_eq(stack_stats(th.s)->time_wait, 0);
	/* gone: a late ACK gets a RST */
	th_send(A, C + 11, I + 6, 65535, NULL, 0);
	th_expect(NULL, R, I + 6, 0, 0, 0);
}

Test(tcp_close, fin_rides_on_the_last_data_segment)
{
	th_handshake(TH_CISN);
	/* 3000 bytes and the end: two full segments, the last one carries the FIN */
	th_write_final(3000);
	th_expect(NULL, A, I, C, 65535, 1460);
	th_expect(NULL, A, I + 1460, C, 65535, 1460);
	th_expect(NULL, A | P | F, I + 2920, C, 65535, 80);
	th_expect_none();
	struct tcp_conn_info ci;
	tcp_conn_info(th.conn, &ci);
	cr_assert_str_eq(ci.state, "FIN-WAIT-1");
	th_send(A, C, I + 3001, 65535, NULL, 0);
	cr_assert_eq(th.tx_acked, 3000, "the FIN is not counted as data");
	tcp_conn_info(th.conn, &ci);
	cr_assert_str_eq(ci.state, "FIN-WAIT-2");
}

Test(tcp_close, fin_waits_for_the_window_then_rides_on_data)
{
	th_handshake(TH_CISN);
	/* the peer's window holds two segments: the FIN must not pass the data */
	th_send(A, C, I, 2920, NULL, 0);
	th_write_final(3500);
	th_expect(NULL, A, I, C, 65535, 1460);
	th_expect(NULL, A, I + 1460, C, 65535, 1460);
	th_expect_none();
	th_send(A, C, I + 2920, 2920, NULL, 0);
	th_expect(NULL, A | P | F, I + 2920, C, 65535, 580);
	th_send(A, C, I + 3501, 2920, NULL, 0);
	cr_assert_eq(th.tx_acked, 3500);
}

Test(tcp_close, rto_resends_the_last_data_with_its_fin)
{
	th_handshake(TH_CISN);
	struct tcp_conn_info ci;

	th_write_final(100);
	th_expect(NULL, A | P | F, I, C, 65535, 100);
	/* nothing ACKed: the RTO resends the bytes and the FIN, still in one segment */
	tcp_conn_info(th.conn, &ci);
	th_advance((stack_time_us)ci.rto_ms * TH_MS);
	th_expect(NULL, A | P | F, I, C, 65535, 100);
	th_expect_none();
	cr_assert_eq(stack_stats(th.s)->retransmits, 1);
	th_send(A, C, I + 101, 65535, NULL, 0);
	cr_assert_eq(th.tx_acked, 100);
	tcp_conn_info(th.conn, &ci);
	cr_assert_str_eq(ci.state, "FIN-WAIT-2");
}

Test(tcp_close, active_close_fin_wait_time_wait)
{
	th_handshake(TH_CISN);
	tcp_shutdown(th.conn, th.now);
	th_expect(NULL, A | F, I, C, 65535, 0);
	struct tcp_conn_info ci;
	tcp_conn_info(th.conn, &ci);
	cr_assert_str_eq(ci.state, "FIN-WAIT-1");
	th_send(A, C, I + 1, 65535, NULL, 0);
	tcp_conn_info(th.conn, &ci);
	cr_assert_str_eq(ci.state, "FIN-WAIT-2");
	/* half-close: data still flows in */
	th_send(A | P, C, I + 1, 65535, "xy", 2);
	cr_assert_eq(th.rx_len, 2);
	th_send(A | F, C + 2, I + 1, 65535, NULL, 0);
	th_expect(NULL, A, I + 1, C + 3, 65532, 0);
	cr_assert_eq(th.nev, 3);
	cr_assert_eq(th.ev[1].ev, TCP_EV_PEER_FIN);
	cr_assert_eq(th.ev[2].ev, TCP_EV_CLOSED, "CLOSED on entering TIME-WAIT");
	cr_assert_eq(stack_stats(th.s)->time_wait, 1);
	cr_assert_eq(stack_stats(th.s)->connections_active, 0);
	/* a retransmitted FIN in TIME-WAIT is ACKed */
	th.now += 500 * TH_MS;
	th_send(A | F, C + 2, I + 1, 65535, NULL, 0);
	th_expect(NULL, A, I + 1, C + 3, 65532, 0);
	th_advance(2 * TH_SEC - 1);
	cr_assert_eq(stack_stats(th.s)->time_wait, 1, "TIME-WAIT restarted by the FIN");
	th_advance(1);
	cr_assert_eq(stack_stats(th.s)->time_wait, 0);
	th_send(A, C + 3, I + 2, 65535, NULL, 0);
	th_expect(NULL, R, I + 2, 0, 0, 0);
}

Test(tcp_close, simultaneous_close_closing)
{
	th_handshake(TH_CISN);
	tcp_shutdown(th.conn, th.now);
	th_expect(NULL, A | F, I, C, 65535, 0);
	/* the client's FIN crosses ours: it does not ACK our FIN */
	th_send(A | F, C, I, 65535, NULL, 0);
	th_expect(NULL, A, I + 1, C + 1, 65534, 0);
	struct tcp_conn_info ci;
	tcp_conn_info(th.conn, &ci);
	cr_assert_str_eq(ci.state, "CLOSING");
	th_send(A, C + 1, I + 1, 65535, NULL, 0);
	cr_assert_eq(th.ev[th.nev - 1].ev, TCP_EV_CLOSED);
	cr_assert_eq(stack_stats(th.s)->time_wait, 1);
	th_advance(2 * TH_SEC);
	cr_assert_eq(stack_stats(th.s)->time_wait, 0);
}

Test(tcp_close, fin_retransmitted_on_rto)
{
	th_handshake(TH_CISN);
	tcp_shutdown(th.conn, th.now);
	th_expect(NULL, A | F, I, C, 65535, 0);
	th_advance(200 * TH_MS);
	th_expect(NULL, A | F, I, C, 65535, 0);
	th_send(A, C, I + 1, 65535, NULL, 0);
	th_send(A | F, C, I + 1, 65535, NULL, 0);
	th_expect(NULL, A, I + 1, C + 1, 65534, 0);
}

Test(tcp_close, time_wait_new_syn_reuses)
{
	th_handshake(TH_CISN);
	tcp_shutdown(th.conn, th.now);
	th_expect(NULL, A | F, I, C, 65535, 0);
	th_send(A | F, C, I + 1, 65535, NULL, 0);
	th_expect(NULL, A, I + 1, C + 1, 65534, 0);
	cr_assert_eq(stack_stats(th.s)->time_wait, 1);
	th_send(S, C + 100000, 0, 65535, NULL, 0);
	cr_assert_eq(th.syn_calls, 2);
	th_expect(NULL, S | A, TH_ISS, C + 100001, 65535, 0);
	cr_assert_eq(stack_stats(th.s)->time_wait, 0);
}

Test(tcp_rst, closed_port_both_forms_never_answer_rst)
{
	th.verdict = STACK_SYN_REJECT;
	/* ACK set → <SEQ=SEG.ACK><CTL=RST> */
	th_send(A, 777, 12345, 65535, "abc", 3);
	th_expect(NULL, R, 12345, 0, 0, 0);
	/* no ACK → <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> */
	th_send(P, 777, 0, 65535, "abc", 3);
	th_expect(NULL, R | A, 0, 780, 0, 0);
	th_send(F, 777, 0, 65535, "abc", 3);
	th_expect(NULL, R | A, 0, 781, 0, 0);
	th_send(R, 777, 0, 65535, NULL, 0);
	th_send(R | A, 777, 5, 65535, NULL, 0);
	th_expect_none();
	cr_assert_eq(th.syn_calls, 0);
}

/**
 * rst_checks() - exact RST resets, in-window challenges, outside ignored
 */
static void rst_checks(void)
{
	uint64_t ch = stack_stats(th.s)->challenge_acks;
	int nev = th.nev;
	struct th_seg s;

	th_send(R, C + 10, 0, 0, NULL, 0);	/* in window, not exact */
	cr_assert(th_pop(&s));
	cr_assert_eq(s.flags, A);
	cr_assert_eq(s.ack, C);
	cr_assert_eq(stack_stats(th.s)->challenge_acks, ch + 1);
	th_send(R, C + 70000, 0, 0, NULL, 0);	/* outside */
	th_expect_none();
	cr_assert_eq(th.nev, nev);
	th_send(R, C, 0, 0, NULL, 0);		/* exact */
	th_expect_none();
	cr_assert_eq(th.nev, nev + 2);
	cr_assert_eq(th.ev[nev].ev, TCP_EV_RESET);
	cr_assert_eq(th.ev[nev + 1].ev, TCP_EV_CLOSED);
	cr_assert_eq(stack_stats(th.s)->resets_received, 1);
}

Test(tcp_rst, established)
{
	th_handshake(TH_CISN);
	rst_checks();
}

Test(tcp_rst, syn_received)
{
	th_send(S, TH_CISN, 0, 65535, NULL, 0);
	th_expect(NULL, S | A, TH_ISS, C, 65535, 0);
	rst_checks();
}

Test(tcp_rst, fin_wait_1_and_close_wait)
{
	th_handshake(TH_CISN);
	tcp_shutdown(th.conn, th.now);
	th_expect(NULL, A | F, I, C, 65535, 0);
	rst_checks();
}

Test(tcp_rst, close_wait)
{
	th_handshake(TH_CISN);
	th_send(A | F, TH_CISN + 1, I, 65535, NULL, 0);
	th_expect(NULL, A, I, C + 1, 65534, 0);
	uint64_t ch = stack_stats(th.s)->challenge_acks;
	th_send(R, C + 10, 0, 0, NULL, 0);
	th_expect(NULL, A, I, C + 1, 65534, 0);
	cr_assert_eq(stack_stats(th.s)->challenge_acks, ch + 1);
	th_send(R, C + 1, 0, 0, NULL, 0);
	cr_assert_eq(th.ev[th.nev - 2].ev, TCP_EV_RESET);
	cr_assert_eq(th.ev[th.nev - 1].ev, TCP_EV_CLOSED);
}

Test(tcp_rst, syn_in_established_challenge_rate_limited)
{
	th_handshake(TH_CISN);
	for (int i = 0; i < 10; i++) {
		th_send(S, 99999 + i, 0, 65535, NULL, 0);
		th_expect(NULL, A, I, C, 65535, 0);
	}
	th_send(S, 1, 0, 65535, NULL, 0);
	th_expect_none();
	cr_assert_eq(stack_stats(th.s)->challenge_acks, 10);
	th.now += TH_SEC;
	th_send(S, C, 0, 65535, NULL, 0);	/* in window too */
	th_expect(NULL, A, I, C, 65535, 0);
	cr_assert_eq(th.nev, 1, "connection untouched");
}

Test(tcp_rst, app_abort_sends_rst)
{
	th_handshake(TH_CISN);
	tcp_abort(th.conn, th.now);
	th_expect(NULL, R, I, 0, 0, 0);
	cr_assert_eq(th.ev[th.nev - 1].ev, TCP_EV_CLOSED);
}

Test(tcp_close, time_wait_is_capped)
{
	/* max_conns 8 → at most 2 in TIME-WAIT; the third goes to CLOSED */
	for (uint16_t i = 0; i < 3; i++) {
		uint16_t port = (uint16_t)(TH_CPORT + i);

		th_send_opts(port, S, TH_CISN, 0, 65535, NULL, 0, NULL, 0, false);
		th_expect(NULL, S | A, TH_ISS, C, 65535, 0);
		th_send_opts(port, A, C, I, 65535, NULL, 0, NULL, 0, false);
		tcp_shutdown(th.conn, th.now);
		th_expect(NULL, A | F, I, C, 65535, 0);
		th_send_opts(port, A | F, C, I + 1, 65535, NULL, 0, NULL, 0, false);
		th_expect(NULL, A, I + 1, C + 1, 65534, 0);
	}
	cr_assert_eq(stack_stats(th.s)->time_wait, 2);
	cr_assert_eq(th_count_ev(TCP_EV_CLOSED), 3);
	/* the third one is gone: its late ACK gets a RST */
	th_send_opts(TH_CPORT + 2, A, C + 1, I + 1, 65535, NULL, 0, NULL, 0, false);
	th_expect(NULL, R, I + 1, 0, 0, 0);
	/* a TIME-WAIT one answers an unacceptable segment with an ACK */
	th_send_opts(TH_CPORT, A, C + 70000, I + 1, 65535, NULL, 0, NULL, 0, false);
	th_expect(NULL, A, I + 1, C + 1, 65534, 0);
	th_advance(2 * TH_SEC);
	cr_assert_eq(stack_stats(th.s)->time_wait, 0);
}
