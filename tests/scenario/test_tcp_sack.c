/* SPDX-License-Identifier: MIT */
/*
 * test_tcp_sack.c - the send side with SACK (RFC 2018, RFC 6675): exact
 * holes resent, pipe limits sending, RecoveryPoint, partial ACKs, RTO
 * clearing the scoreboard, Karn, invalid blocks; and NewReno (RFC 6582)
 * without SACK. Segment k of the stream starts at I + 1460 k.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "stack/stack.h"
#include "tests/support/tcp_harness.h"
#include "tests/support/th_opts.h"

#define S 0x02
#define A 0x10
#define F 0x01
#define P 0x08
#define C (TH_CISN + 1)
#define I (TH_ISS + 1)
#define M 1460u
#define SEG(k) (I + M * (uint32_t)(k))

TestSuite(tcp_sack, .init = th_setup, .fini = th_teardown);

/**
 * handshake() - SYN (MSS 1460, SACK-permitted if @sack), ACK @rtt later
 * @sack:	offer SACK
 * @rtt:	µs between SYN-ACK and ACK
 */
static void handshake(bool sack, stack_time_us rtt)
{
	static const uint8_t opts[8] = { 2, 4, 0x05, 0xb4, 1, 1, 4, 2 };
	struct tcp_conn_info ci;

	th_send_opts(TH_CPORT, S, TH_CISN, 0, 65535, opts, sack ? 8 : 4, NULL, 0, false);
	th_expect(NULL, S | A, TH_ISS, C, 65535, 0);
	th.now += rtt;
	th_send(A, C, I, 65535, NULL, 0);
	tcp_conn_info(th.conn, &ci);
	cr_assert_eq(ci.sack, sack);
}

/**
 * ack_sack() - the client ACKs @ack with @n SACK blocks (segment numbers)
 * @ack:	cumulative ACK
 * @n:		blocks
 * @b:		2 * @n segment numbers: left, right (exclusive)
 */
static void ack_blocks(uint32_t ack, int n, const uint32_t *b)
{
	uint32_t blk[4][2];
	uint8_t o[40];
	size_t olen;

	cr_assert(n >= 0 && n <= 4);
	memcpy(blk, b, 2 * sizeof(*b) * (size_t)n);
	olen = n ? tho_build_sack(o, (const uint32_t (*)[2])blk, (unsigned)n) : 0;

	th_send_opts(TH_CPORT, A, C, ack, 65535, o, olen, NULL, 0, false);
}

/**
 * sack1() - ACK @ack with one SACK block of segments [@l, @r)
 * @ack:	cumulative ACK
 * @l:		first SACKed segment
 * @r:		first segment after
 */
static void sack1(uint32_t ack, int l, int r)
{
	uint32_t b[2] = { SEG(l), SEG(r) };

	ack_blocks(ack, 1, b);
}

/**
 * sack2() - ACK @ack with blocks [@l1, @r1) and [@l2, @r2) (segments)
 */
static void sack2(uint32_t ack, int l1, int r1, int l2, int r2)
{
	uint32_t b[4] = { SEG(l1), SEG(r1), SEG(l2), SEG(r2) };

	ack_blocks(ack, 2, b);
}

/**
 * seg_out() - the next segment is full-sized data at segment @k
 * @k:	segment number
 */
static void seg_out(int k)
{
	uint8_t psh = SEG(k) + M == I + th.tx_len ? P : 0;	/* last byte held */

	th_expect(NULL, A | psh, SEG(k), C, 65535, M);
}

/**
 * initial_flight() - @segs segments written, the first 10 (IW10) sent
 * @segs:	segments to write
 */
static void initial_flight(int segs)
{
	th_write(NULL, (size_t)segs * M);
	for (int k = 0; k < 10; k++)
		seg_out(k);
	th_expect_none();
}

Test(tcp_sack, one_hole_resent_exactly_then_pipe_clocks_new_data)
{
	struct tcp_conn_info ci;

	handshake(true, 100 * TH_MS);
	initial_flight(30);
	th.now += 100 * TH_MS;
	sack1(I, 1, 2);			/* segment 0 lost */
	sack1(I, 1, 3);
	th_expect_none();		/* 2 dupACKs, 2 SMSS SACKed: not lost yet */
	sack1(I, 1, 4);			/* RFC 6675: 3rd dupACK → enter recovery */
	seg_out(0);			/* the hole, not SACKed data */
	th_expect_none();		/* pipe 1460 + 6 * 1460 = 10220 = cwnd */
	tcp_conn_info(th.conn, &ci);
	cr_assert_eq(ci.ssthresh, 10220, "CUBIC β = 0.7 of FlightSize 14600");
	cr_assert_eq(ci.cwnd, 10220);
	sack1(I, 1, 5);			/* pipe 8760: one SMSS free */
	seg_out(10);			/* NextSeg rule 2: new data */
	th_expect_none();
	sack1(I, 1, 6);
	seg_out(11);
	th_expect_none();
	/* the retransmission arrives: ACK of all sent before recovery = RecoveryPoint */
	th_send(A, C, SEG(10), 65535, NULL, 0);
	tcp_conn_info(th.conn, &ci);
	cr_assert_eq(ci.cwnd, 10220, "recovery ends with cwnd = ssthresh");
	/* flight 2 segments, cwnd 7: five more */
	for (int k = 12; k < 17; k++)
		seg_out(k);
	th_expect_none();
	cr_assert_eq(stack_stats(th.s)->sack_recoveries, 1);
	cr_assert_eq(stack_stats(th.s)->fast_retransmits, 1);
	cr_assert_eq(stack_stats(th.s)->retransmits, 1);
}

Test(tcp_sack, several_holes_partial_acks_recovery_point)
{
	struct tcp_conn_info ci;

	handshake(true, 100 * TH_MS);
	initial_flight(30);		/* segments 0 and 3 are lost */
	sack1(I, 1, 2);
	sack1(I, 1, 3);
	sack2(I, 4, 5, 1, 3);		/* 3rd dupACK: only segment 0 is lost */
	seg_out(0);
	th_expect_none();		/* pipe = 1460 (rxt) + 1460 (seg 3) + 5 * 1460 */
	sack2(I, 4, 6, 1, 3);		/* pipe 8760 → one segment: new data (rule 2) */
	seg_out(10);
	th_expect_none();
	sack2(I, 4, 7, 1, 3);		/* 3 SMSS above segment 3: lost (rule 1) */
	seg_out(3);			/* the second hole, exactly */
	seg_out(11);			/* pipe 8760 after it → one more, new */
	th_expect_none();
	/* partial ACK: segment 0's retransmission arrived */
	sack1(SEG(3), 4, 7);
	seg_out(12);
	th_expect_none();
	tcp_conn_info(th.conn, &ci);
	cr_assert_eq(ci.cwnd, 10220, "RFC 6675: cwnd stays during recovery");
	th_send(A, C, SEG(7), 65535, NULL, 0);	/* partial: segment 3 arrived */
	seg_out(13);
	th_expect_none();
	th_send(A, C, SEG(10), 65535, NULL, 0);	/* RecoveryPoint: recovery ends */
	for (int k = 14; k < 17; k++)
		seg_out(k);
	th_expect_none();
	/* a new loss after RecoveryPoint starts a new recovery */
	sack1(SEG(10), 11, 12);
	sack1(SEG(10), 11, 13);
	sack1(SEG(10), 11, 14);
	seg_out(10);
	cr_assert_eq(stack_stats(th.s)->sack_recoveries, 2);
	cr_assert_eq(stack_stats(th.s)->retransmits, 3);
}

Test(tcp_sack, islost_enters_recovery_before_three_dupacks)
{
	handshake(true, 100 * TH_MS);
	initial_flight(10);
	sack1(I, 1, 5);			/* one ACK, 4 SMSS SACKed above the hole */
	seg_out(0);
	cr_assert_eq(stack_stats(th.s)->sack_recoveries, 1);
}

Test(tcp_sack, rto_in_recovery_clears_scoreboard_go_back_n_karn)
{
	struct tcp_conn_info ci;

	handshake(true, 100 * TH_MS);
	initial_flight(10);
	sack1(I, 1, 2);
	sack1(I, 1, 3);
	sack1(I, 1, 4);
	seg_out(0);
	th_expect_none();
	/* the retransmission is lost too: RTO (300 ms after the last ACK) */
	th_advance(300 * TH_MS);
	seg_out(0);			/* go-back-N from SND.UNA, 1 SMSS */
	th_expect_none();
	tcp_conn_info(th.conn, &ci);
	cr_assert_eq(ci.cwnd, 1460);
	cr_assert_eq(ci.ssthresh, 10220);
	/* the scoreboard was cleared: SACKed segments 1-3 are sent again */
	th.now += 50 * TH_MS;
	th_send(A, C, SEG(1), 65535, NULL, 0);
	seg_out(1);
	seg_out(2);
	th_expect_none();
	tcp_conn_info(th.conn, &ci);
	cr_assert_eq(ci.rtt_us, 100000, "Karn: no sample from a retransmission");
	/* blocks after the RTO count again: go-back-N steps over them */
	th.now += 50 * TH_MS;
	sack1(SEG(3), 4, 6);
	seg_out(3);			/* cwnd 3 SMSS: 3, and 4-5 skipped as in flight */
	th_expect_none();
	th_send(A, C, SEG(6), 65535, NULL, 0);
	for (int k = 6; k < 10; k++)
		seg_out(k);		/* never 4 or 5 */
	th_expect_none();
	cr_assert_eq(stack_stats(th.s)->sack_recoveries, 1, "no new recovery before RecoveryPoint");
	th_send(A, C, SEG(10), 65535, NULL, 0);
	tcp_conn_info(th.conn, &ci);
	cr_assert_eq(ci.rtt_us, 100000, "Karn: no sample from a retransmission");
	cr_assert_eq(th.tx_acked, 10 * M);
}

Test(tcp_sack, invalid_blocks_ignored)
{
	uint32_t bad[8];

	handshake(true, 100 * TH_MS);
	initial_flight(10);
	/* left >= right; beyond SND.MAX; D-SACK below SND.UNA; wrapped */
	bad[0] = SEG(3), bad[1] = SEG(1);
	bad[2] = SEG(2), bad[3] = SEG(2);
	bad[4] = SEG(5), bad[5] = SEG(15);
	bad[6] = SEG(20), bad[7] = SEG(30);
	for (int i = 0; i < 4; i++)
		ack_blocks(I, 4, bad);
	bad[0] = TH_ISS - 5000, bad[1] = TH_ISS;	/* D-SACK below the ACK */
	bad[2] = I + 0x80000000u, bad[3] = I + 0x80001000u;
	for (int i = 0; i < 4; i++)
		ack_blocks(I, 2, bad);
	/* D-SACK: first block inside the second one (which is news: 2 SMSS) */
	bad[0] = SEG(2), bad[1] = SEG(3), bad[2] = SEG(1), bad[3] = SEG(3);
	ack_blocks(I, 2, bad);
	th_expect_none();
	cr_assert_eq(stack_stats(th.s)->sack_recoveries, 0);
	cr_assert_eq(stack_stats(th.s)->retransmits, 0);
	/* what is valid still works: [1,4) above the hole */
	sack1(I, 1, 4);
	seg_out(0);
	th_expect_none();
}

Test(tcp_sack, scoreboard_bounded_many_ranges)
{
	handshake(true, 100 * TH_MS);
	initial_flight(40);
	for (int k = 1; k <= 10; k++) {	/* slow start to 20 segments */
		th_send(A, C, SEG(k), 65535, NULL, 0);
		seg_out(8 + 2 * k);
		seg_out(9 + 2 * k);
	}
	th_expect_none();
	/* every other segment SACKed: 10 ranges, more than the board holds */
	for (int k = 11; k < 30; k += 2)
		sack1(SEG(10), k, k + 1);
	/* recovery began; every retransmission is a hole, never SACKed data */
	for (struct th_seg sg; th_pop(&sg); ) {
		uint32_t k = (sg.seq - I) / M;

		cr_assert_eq((sg.seq - I) % M, 0);
		cr_assert(k % 2 == 0 || k >= 30, "resent SACKed segment %u", k);
	}
	cr_assert_eq(stack_stats(th.s)->sack_recoveries, 1);
}

Test(tcp_sack, newreno_without_sack_partial_and_full_ack)
{
	struct tcp_conn_info ci;

	th_teardown();
	th_config_default();
	th.cfg.cc = STACK_CC_NEWRENO;
	th_setup_cfg();
	handshake(false, 100 * TH_MS);
	initial_flight(30);		/* segments 0 and 3 lost */
	th_send(A, C, I, 65535, NULL, 0);
	th_send(A, C, I, 65535, NULL, 0);
	th_expect_none();
	th_send(A, C, I, 65535, NULL, 0);	/* 3 dupACKs: fast retransmit */
	seg_out(0);
	th_expect_none();
	tcp_conn_info(th.conn, &ci);
	cr_assert_eq(ci.ssthresh, 7300, "NewReno halves FlightSize");
	cr_assert_eq(ci.cwnd, 7300 + 3 * 1460);
	for (int i = 0; i < 3; i++)
		th_send(A, C, I, 65535, NULL, 0);	/* inflate: 16060 > flight */
	seg_out(10);
	th_expect_none();
	/* partial ACK up to the second hole: resend it at once (RFC 6582 step 5) */
	th_send(A, C, SEG(3), 65535, NULL, 0);
	seg_out(3);
	seg_out(11);			/* deflated cwnd 13140, flight 11680 */
	th_expect_none();
	tcp_conn_info(th.conn, &ci);
	cr_assert_eq(ci.cwnd, 16060 - 3 * 1460 + 1460);
	th_send(A, C, SEG(10), 65535, NULL, 0);	/* full ACK (recover) */
	tcp_conn_info(th.conn, &ci);
	cr_assert_eq(ci.cwnd, 7300, "exit: cwnd = ssthresh");
	for (int k = 12; k < 15; k++)
		seg_out(k);
	th_expect_none();
	cr_assert_eq(stack_stats(th.s)->fast_retransmits, 1);
	cr_assert_eq(stack_stats(th.s)->sack_recoveries, 0);
	cr_assert_eq(stack_stats(th.s)->retransmits, 2);
}

Test(tcp_sack, cubic_default_reduces_by_beta_without_sack)
{
	struct tcp_conn_info ci;

	handshake(false, 100 * TH_MS);
	initial_flight(10);
	for (int i = 0; i < 3; i++)
		th_send(A, C, I, 65535, NULL, 0);
	seg_out(0);
	tcp_conn_info(th.conn, &ci);
	cr_assert_eq(ci.ssthresh, 10220, "β = 0.7 of 14600");
	cr_assert_eq(ci.cwnd, 10220 + 3 * 1460);
}
