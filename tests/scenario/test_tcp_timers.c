/* SPDX-License-Identifier: MIT */
/*
 * test_tcp_timers.c - RTO timing and backoff, abort after the bound, Karn's
 * rule, zero window and the persist timer
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
#define C (TH_CISN + 1)
#define I (TH_ISS + 1)

TestSuite(tcp_timers, .init = th_setup, .fini = th_teardown);

/**
 * handshake_rtt() - handshake whose ACK comes @rtt after the SYN-ACK
 * @rtt:	round trip, µs
 */
static void handshake_rtt(stack_time_us rtt)
{
	static const uint8_t mss[4] = { 2, 4, 0x05, 0xb4 };

	th_send_opts(TH_CPORT, S, TH_CISN, 0, 65535, mss, 4, NULL, 0, false);
	th_expect(NULL, S | A, TH_ISS, C, 65535, 0);
	th.now += rtt;
	th_send(A, C, I, 65535, NULL, 0);
	cr_assert_eq(th.ev[0].ev, TCP_EV_ESTABLISHED);
}

/**
 * expect_at() - the next segment comes exactly @at (absolute), not before
 * @at:		time
 * @seq:	its sequence number
 * @dlen:	its length
 * @flags:	its flags
 */
static void expect_at(stack_time_us at, uint32_t seq, size_t dlen, uint8_t flags)
{
	th_advance(at - 1 - th.now);
	th_expect_none();
	th_advance(1);
	th_expect(NULL, flags, seq, C, 65535, dlen);
}

Test(tcp_timers, rto_backoff_exact_times_then_abort)
{
	struct tcp_conn_info ci;

	handshake_rtt(100 * TH_MS);
	tcp_conn_info(th.conn, &ci);
	cr_assert_eq(ci.rtt_us, 100000);
	cr_assert_eq(ci.rto_ms, 300, "SRTT + 4 * RTTVAR = 100 + 4 * 50");
	th_write(NULL, 100);
	th_expect(NULL, A | P, I, C, 65535, 100);
	stack_time_us at = th.now, rto = 300 * TH_MS;
	for (int i = 0; i < 8; i++) {
		at += rto;
		expect_at(at, I, 100, A | P);
		rto = rto * 2 > 60 * TH_SEC ? 60 * TH_SEC : rto * 2;
	}
	cr_assert_eq(stack_stats(th.s)->retransmits, 8);
	tcp_conn_info(th.conn, &ci);
	cr_assert_eq(ci.cwnd, 1460, "loss window: one segment");
	at += rto;
	th_advance(at - 1 - th.now);
	th_expect_none();
	th_advance(1);
	th_expect(NULL, R, I + 100, 0, 0, 0);
	cr_assert_eq(th.ev[th.nev - 2].ev, TCP_EV_TIMEOUT);
	cr_assert_eq(th.ev[th.nev - 1].ev, TCP_EV_CLOSED);
	cr_assert_eq(stack_stats(th.s)->timeouts, 1);
}

Test(tcp_timers, initial_rto_one_second_without_sample)
{
	/* the SYN-ACK was retransmitted: Karn, no sample from the handshake */
	th_send(S, TH_CISN, 0, 65535, NULL, 0);
	th_expect(NULL, S | A, TH_ISS, C, 65535, 0);
	th_advance(TH_SEC);
	th_expect(NULL, S | A, TH_ISS, C, 65535, 0);
	th.now += 50 * TH_MS;
	th_send(A, C, I, 65535, NULL, 0);
	struct tcp_conn_info ci;
	tcp_conn_info(th.conn, &ci);
	cr_assert_eq(ci.rtt_us, 0, "no RTT sample from a retransmitted SYN-ACK");
	th_write(NULL, 10);
	th_expect(NULL, A | P, I, C, 65535, 10);
	/* backed-off RTO (2 s) stands until a valid sample */
	expect_at(th.now + 2 * TH_SEC, I, 10, A | P);
}

Test(tcp_timers, karn_no_sample_from_retransmission)
{
	struct tcp_conn_info ci;

	handshake_rtt(100 * TH_MS);
	th_write(NULL, 10);
	th_expect(NULL, A | P, I, C, 65535, 10);
	expect_at(th.now + 300 * TH_MS, I, 10, A | P);
	/* the ACK comes 5 s later: must not be taken as an RTT sample */
	th.now += 5 * TH_SEC;
	th_advance(0);
	th_expect(NULL, A | P, I, C, 65535, 10);	/* 600 ms RTO fired first */
	th_send(A, C, I + 10, 65535, NULL, 0);
	tcp_conn_info(th.conn, &ci);
	cr_assert_eq(ci.rtt_us, 100000, "SRTT unchanged (Karn)");
	/* a fresh segment acked after 200 ms is a valid sample */
	th_write(NULL, 10);
	th_expect(NULL, A | P, I + 10, C, 65535, 10);
	th.now += 200 * TH_MS;
	th_send(A, C, I + 20, 65535, NULL, 0);
	tcp_conn_info(th.conn, &ci);
	cr_assert_eq(ci.rtt_us, 100000 - 12500 + 25000, "7/8 SRTT + 1/8 R");
}

Test(tcp_timers, zero_window_persist_probes)
{
	handshake_rtt(100 * TH_MS);	/* RTO 300 ms */
	th_send(A, C, I, 0, NULL, 0);	/* window closes (window update: newer ACK) */
	th_write(NULL, 3000);
	th_expect_none();
	stack_time_us t = th.now;
	/* first probe after RTO: one byte beyond the window */
	expect_at(t + 300 * TH_MS, I, 1, A);
	cr_assert_eq(stack_stats(th.s)->zero_window_probes, 1);
	/* the peer answers with window 0: probing continues, backing off */
	th_send(A, C, I, 0, NULL, 0);
	th_expect_none();
	t = th.now;
	expect_at(t + 600 * TH_MS, I, 1, A);
	th_send(A, C, I, 0, NULL, 0);
	t = th.now;
	expect_at(t + 1200 * TH_MS, I, 1, A);
	for (int i = 0; i < 12; i++) {		/* keeps probing while answered */
		th_send(A, C, I, 0, NULL, 0);
		cr_assert_neq(th_run_next_timer(), STACK_TIME_NEVER);
		struct th_seg sg;
		while (!th_pop(&sg))
			cr_assert_neq(th_run_next_timer(), STACK_TIME_NEVER);
		cr_assert_eq(sg.seq, I);
		cr_assert_eq(sg.dlen, 1);
	}
	cr_assert_eq(th.nev, 1, "no timeout while the peer answers");
	/* window opens: the probe byte is accepted and data flows */
	th_send(A, C, I + 1, 65535, NULL, 0);
	th_expect(NULL, A, I + 1, C, 65535, 1460);
	th_expect(NULL, A, I + 1461, C, 65535, 1460);
	th_expect(NULL, A | P, I + 2921, C, 65535, 79);
	th_send(A, C, I + 3000, 65535, NULL, 0);
	cr_assert_eq(th.tx_acked, 3000);
}

Test(tcp_timers, zero_window_unanswered_probes_abort)
{
	handshake_rtt(100 * TH_MS);
	th_send(A, C, I, 0, NULL, 0);
	th_write(NULL, 10);
	int probes = 0;
	while (th_run_next_timer() != STACK_TIME_NEVER) {
		struct th_seg sg;
		while (th_pop(&sg))
			probes += sg.dlen == 1;
		if (th.nev > 1)
			break;
	}
	cr_assert_eq(probes, 10);
	cr_assert_eq(th.ev[1].ev, TCP_EV_TIMEOUT);
	cr_assert_eq(th.ev[2].ev, TCP_EV_CLOSED);
}

Test(tcp_timers, zero_window_probe_into_our_window)
{
	th_handshake(TH_CISN);
	th.rcv_space = 0;
	th_send(A, C, I, 65535, "x", 1);	/* takes it; window not advertised smaller */
	th.deliver_max = 0;
	/* fill the advertised window exactly with a peer that ignores us */
	th_advance(40 * TH_MS);
	struct th_seg sg;
	cr_assert(th_pop(&sg));
	cr_assert_eq(sg.ack, C + 1);
	cr_assert_eq(sg.win, 65534, "right edge never moves left");
}

Test(tcp_timers, fast_retransmit_three_dupacks)
{
	handshake_rtt(100 * TH_MS);
	th_write(NULL, 5 * 1460);
	for (int i = 0; i < 5; i++)
		th_expect(NULL, A | (i == 4 ? P : 0), I + 1460u * i, C, 65535, 1460);
	for (int i = 0; i < 3; i++)
		th_send(A, C, I, 65535, NULL, 0);
	th_expect(NULL, A, I, C, 65535, 1460);
	cr_assert_eq(stack_stats(th.s)->retransmits, 1);
	/* partial ACK: the next hole is resent (RFC 6582) */
	th_send(A, C, I + 1460, 65535, NULL, 0);
	th_expect(NULL, A, I + 1460, C, 65535, 1460);
	th_send(A, C, I + 5 * 1460, 65535, NULL, 0);
	cr_assert_eq(th.tx_acked, 5 * 1460);
}
