/* SPDX-License-Identifier: MIT */
/*
 * test_tcp_tlp.c - RFC 8985 on the send side (stack/tcp_tlp.c): the tail
 * loss probe (new data or the highest segment, PTO = 2 SRTT, one per
 * episode, loss inferred without D-SACK), RACK's time rule for a hole with
 * too few SACKs behind it, and a lost retransmission overtaken by later
 * data. The patterns are those of an application-limited sender under
 * loss, which used to wait for the 200 ms RTO. Segment k starts at I + 1460 k.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "stack/stack.h"
#include "tests/support/tcp_harness.h"
#include "tests/support/th_opts.h"

#define S 0x02
#define A 0x10
#define P 0x08
#define C (TH_CISN + 1)
#define I (TH_ISS + 1)
#define M 1460u
#define SEG(k) (I + M * (uint32_t)(k))
#define RTT (10 * TH_MS)	/* SRTT 10 ms, RTO 200 ms, PTO 20 ms, reo_wnd 2.5 ms */

TestSuite(tcp_tlp, .init = th_setup, .fini = th_teardown);

/**
 * handshake() - SYN with MSS 1460 and SACK-permitted (if @sack), ACK RTT later
 * @sack:	offer SACK
 */
static void handshake(bool sack)
{
	static const uint8_t opts[8] = { 2, 4, 0x05, 0xb4, 1, 1, 4, 2 };

	th_send_opts(TH_CPORT, S, TH_CISN, 0, 65535, opts, sack ? 8 : 4, NULL, 0, false);
	th_expect(NULL, S | A, TH_ISS, C, 65535, 0);
	th.now += RTT;
	th_send(A, C, I, 65535, NULL, 0);
}

/**
 * ack_sack() - the client ACKs @ack with up to two SACK blocks (byte edges)
 * @ack:	cumulative ACK
 * @n:		blocks (0-2)
 * @b:		2 * @n edges: left, right
 */
static void ack_sack(uint32_t ack, int n, const uint32_t *b)
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
 * sack1() - ACK @ack, SACK segments [@l, @r)
 */
static void sack1(uint32_t ack, int l, int r)
{
	uint32_t b[2] = { SEG(l), SEG(r) };

	ack_sack(ack, 1, b);
}

/**
 * seg_out() - the next segment is full-sized data at segment @k
 * @k:	segment number
 */
static void seg_out(int k)
{
	uint8_t psh = SEG(k) + M == I + th.tx_len ? P : 0;

	th_expect(NULL, A | psh, SEG(k), C, 65535, M);
}

/**
 * flight() - the application writes @segs segments, all of them sent
 * @segs:	at most 10 (the initial window)
 */
static void flight(int segs)
{
	th_write(NULL, (size_t)segs * M);
	for (int k = 0; k < segs; k++)
		seg_out(k);
	th_expect_none();
}

/**
 * cwnd() - the connection's congestion window
 *
 * Return: bytes
 */
static uint32_t cwnd(void)
{
	struct tcp_conn_info ci;

	tcp_conn_info(th.conn, &ci);
	return ci.cwnd;
}

Test(tcp_tlp, tail_loss_probe_resends_highest_then_rack_repairs_hole)
{
	const struct stack_stats *st;

	handshake(true);
	flight(4);				/* the application holds 4 segments */
	th.now += RTT;
	th_send(A, C, SEG(2), 65535, NULL, 0);	/* 0-1 arrive, 2-3 lost */
	th_expect_none();
	/* RFC 8985 §7.2: PTO = 2 SRTT after the ACK; no new data: the
	 * highest segment goes again (§7.3) */
	th_advance(2 * RTT - 1);
	th_expect_none();
	th_advance(1);
	seg_out(3);
	th_expect_none();
	st = stack_stats(th.s);
	cr_assert_eq(st->tlp_probes, 1);
	cr_assert_eq(st->timeouts, 0);
	/* the probe's ACK SACKs 3: one SACK above the hole (no 3 dupACKs):
	 * RACK (§6.2) calls 2 lost min_RTT / 4 later */
	th.now += RTT;
	sack1(SEG(2), 3, 4);
	th_expect_none();
	th_advance(RTT / 4 - 1);
	th_expect_none();
	th_advance(1);
	seg_out(2);
	th_expect_none();
	cr_assert_eq(st->rack_losses, 1);
	cr_assert_eq(st->sack_recoveries, 1);
	th.now += RTT;
	th_send(A, C, SEG(4), 65535, NULL, 0);
	cr_assert_eq(th.tx_acked, 4 * M);
	cr_assert_eq(st->retransmits, 2, "the probe and the hole, no RTO");
	/* nothing outstanding: no timer but none needed */
	th_advance(TH_SEC);
	th_expect_none();
}

Test(tcp_tlp, probe_sends_new_data_when_only_cwnd_holds_it_back)
{
	handshake(true);
	th_write(NULL, 12 * (size_t)M);		/* cwnd 10 segments, window 65535 */
	for (int k = 0; k < 10; k++)
		seg_out(k);
	th_expect_none();
	/* no ACK at all: the PTO after the last new segment sends segment 10 */
	th_advance(2 * RTT);
	seg_out(10);
	th_expect_none();
	cr_assert_eq(stack_stats(th.s)->tlp_probes, 1);
	/* one probe per episode: next is the RTO (200 ms after the probe) */
	th_advance(200 * TH_MS - 1);
	th_expect_none();
	th_advance(1);
	seg_out(0);
	cr_assert_eq(stack_stats(th.s)->tlp_probes, 1);
}

Test(tcp_tlp, probe_that_repaired_a_loss_reduces_cwnd)
{
	uint32_t before;

	handshake(true);
	flight(3);
	th.now += RTT;
	th_send(A, C, SEG(1), 65535, NULL, 0);	/* 1 arrives; 2 is lost */
	before = cwnd();
	th_advance(2 * RTT);
	seg_out(2);				/* the probe */
	/* its ACK covers everything, no D-SACK: it repaired a loss (§7.4.2),
	 * known once an ACK goes beyond TLP.end_seq */
	th.now += RTT;
	th_send(A, C, SEG(3), 65535, NULL, 0);
	th_write(NULL, M);
	seg_out(3);
	th.now += RTT;
	th_send(A, C, SEG(4), 65535, NULL, 0);
	cr_assert_eq(stack_stats(th.s)->tlp_recoveries, 1);
	cr_assert_lt(cwnd(), before, "cwnd reduced as for any loss");
}

Test(tcp_tlp, probe_reported_as_duplicate_keeps_cwnd)
{
	uint32_t before, dsack[2] = { SEG(2), SEG(3) };

	handshake(true);
	flight(3);
	th.now += RTT;
	th_send(A, C, SEG(1), 65535, NULL, 0);
	before = cwnd();
	th_advance(2 * RTT);
	seg_out(2);
	/* only the ACK was late: the original arrived, and the probe is
	 * reported as a duplicate (RFC 2883 D-SACK below SEG.ACK) */
	th.now += RTT;
	th_send(A, C, SEG(3), 65535, NULL, 0);
	ack_sack(SEG(3), 1, dsack);
	th_write(NULL, M);
	seg_out(3);
	th.now += RTT;
	th_send(A, C, SEG(4), 65535, NULL, 0);
	cr_assert_eq(stack_stats(th.s)->tlp_recoveries, 0);
	cr_assert_geq(cwnd(), before);
}

Test(tcp_tlp, one_segment_in_flight_waits_for_delayed_ack_then_rto)
{
	handshake(true);
	flight(2);
	th.now += RTT;
	th_send(A, C, SEG(1), 65535, NULL, 0);
	/* one segment out: PTO = 2 SRTT + WCDelAckT (200 ms) is after the
	 * RTO (200 ms): the RTO comes first (RFC 8985 §7.2) */
	th_advance(200 * TH_MS - 1);
	th_expect_none();
	th_advance(1);
	seg_out(1);
	cr_assert_eq(stack_stats(th.s)->tlp_probes, 0);
}

Test(tcp_tlp, rack_hole_with_one_sack_behind_it)
{
	handshake(true);
	flight(3);
	th.now += RTT;
	sack1(SEG(1), 2, 3);			/* 0 ACKed, 1 lost, 2 SACKed */
	th_expect_none();
	th_advance(RTT / 4);
	seg_out(1);
	cr_assert_eq(stack_stats(th.s)->rack_losses, 1);
	/* cwnd is 2 SMSS; the hole RACK declared lost is not in the pipe
	 * (RFC 6675 SetPipe() with IsLost() by RACK), its retransmission is:
	 * one SMSS of new data may go (NextSeg() rule 2) */
	th_write(NULL, M);
	seg_out(3);
	th_expect_none();
	/* reordering shorter than reo_wnd is no loss */
	th.now += RTT;
	th_send(A, C, SEG(3), 65535, NULL, 0);	/* recovery ends */
	th_write(NULL, M);
	seg_out(4);
	th.now += RTT;
	sack1(SEG(3), 4, 5);
	th_advance(RTT / 4 - 1);
	th_send(A, C, SEG(5), 65535, NULL, 0);	/* 3 arrived late */
	th_advance(TH_SEC);
	th_expect_none();
	cr_assert_eq(stack_stats(th.s)->rack_losses, 1);
	cr_assert_eq(stack_stats(th.s)->retransmits, 1);
	cr_assert_eq(th.tx_acked, 5 * M);
}

Test(tcp_tlp, lost_retransmission_overtaken_by_new_data)
{
	const struct stack_stats *st;
	uint32_t w;

	handshake(true);
	th_write(NULL, 12 * (size_t)M);
	for (int k = 0; k < 10; k++)
		seg_out(k);
	th.now += RTT;
	sack1(SEG(0), 1, 2);
	sack1(SEG(0), 1, 3);
	sack1(SEG(0), 1, 4);			/* RFC 6675: recovery, 0 resent */
	seg_out(0);
	th_expect_none();
	sack1(SEG(0), 1, 5);
	seg_out(10);				/* NextSeg() rule 2 */
	sack1(SEG(0), 1, 6);
	seg_out(11);
	th_expect_none();
	w = cwnd();
	/* 10 and 11, sent after the retransmission, arrive; 0 does not:
	 * the retransmission was lost (RFC 8985 §6.2) */
	th.now += RTT;
	sack1(SEG(0), 1, 12);
	th_expect_none();
	th_advance(RTT / 4);
	seg_out(0);
	th_expect_none();
	st = stack_stats(th.s);
	cr_assert_eq(st->rack_losses, 1);
	cr_assert_eq(st->timeouts, 0);
	cr_assert_lt(cwnd(), w, "RFC 5681 §4.3: lowered a second time");
	th.now += RTT;
	th_send(A, C, SEG(12), 65535, NULL, 0);
	cr_assert_eq(th.tx_acked, 12 * M);
	th_advance(TH_SEC);
	th_expect_none();
}

Test(tcp_tlp, nothing_without_sack)
{
	handshake(false);
	flight(4);
	th.now += RTT;
	th_send(A, C, SEG(2), 65535, NULL, 0);
	th_advance(200 * TH_MS - 1);
	th_expect_none();
	th_advance(1);
	seg_out(2);				/* the RTO, as before */
	cr_assert_eq(stack_stats(th.s)->tlp_probes, 0);
}

Test(tcp_tlp, rack_and_rescue_across_the_sequence_wrap)
{
	static const uint8_t opts[8] = { 2, 4, 0x05, 0xb4, 1, 1, 4, 2 };
	const uint32_t iss = 0xffffffffu - M;	/* segment 1 straddles 2^32 */
	const uint32_t i1 = iss + 1;

	th_teardown();
	th_config_default();
	th.cfg.isn_fixed = iss;
	th_setup_cfg();
	th_send_opts(TH_CPORT, S, TH_CISN, 0, 65535, opts, 8, NULL, 0, false);
	th_expect(NULL, S | A, iss, C, 65535, 0);
	th.now += RTT;
	th_send(A, C, i1, 65535, NULL, 0);
	th_write(NULL, 4 * (size_t)M);
	for (uint32_t k = 0; k < 4; k++)
		th_expect(NULL, A | (k == 3 ? P : 0), i1 + k * M, C, 65535, M);
	/* 0 ACKed; 1 (across the wrap) lost; 2 SACKed; 3 lost: RACK resends 1 */
	th.now += RTT;
	{
		uint32_t b[2] = { i1 + 2 * M, i1 + 3 * M };

		ack_sack(i1 + M, 1, b);
	}
	th_advance(RTT / 4);
	th_expect(NULL, A, i1 + M, C, 65535, M);
	th_expect_none();
	cr_assert_eq(stack_stats(th.s)->rack_losses, 1);
	/* 1 arrives; then 2 is covered and 3 still missing: RFC 6675 NextSeg()
	 * rule 4, the rescue retransmission of the highest segment, once
	 * HighACK passed RescueRxt */
	th.now += RTT;
	{
		uint32_t b[2] = { i1 + 2 * M, i1 + 3 * M };

		ack_sack(i1 + 2 * M, 1, b);
	}
	th_expect_none();
	th_send(A, C, i1 + 3 * M, 65535, NULL, 0);
	th_expect(NULL, A | P, i1 + 3 * M, C, 65535, M);
	th_expect_none();
	th.now += RTT;
	th_send(A, C, i1 + 4 * M, 65535, NULL, 0);
	cr_assert_eq(th.tx_acked, 4 * M);
	cr_assert_eq(stack_stats(th.s)->timeouts, 0);
	th_advance(TH_SEC);
	th_expect_none();
	cr_assert(i1 + 4 * M < iss, "the stream crossed 2^32");
}

/**
 * rto_then_ack() - one segment, no answer: the RTO resends it; then the
 * client ACKs it, with a D-SACK for it if @dsack
 * @dsack:	the ACK reports the retransmission as a duplicate
 *
 * Return: cwnd before the RTO
 */
static uint32_t rto_then_ack(bool dsack)
{
	uint32_t before, d[2] = { SEG(0), SEG(1) };

	handshake(true);
	flight(1);
	before = cwnd();
	th_advance(200 * TH_MS);		/* one segment: PTO = RTO, an RTO */
	seg_out(0);
	cr_assert_eq(cwnd(), M, "RFC 5681 loss window");
	th.now += RTT;
	ack_sack(SEG(1), dsack ? 1 : 0, d);
	return before;
}

Test(tcp_tlp, spurious_timeout_undone_by_dsack)
{
	/* the first ACK was lost, not the data: the client reports the
	 * retransmission as a duplicate (RFC 2883), so the timeout was
	 * spurious (RFC 3708) and the window comes back (RFC 4015) */
	uint32_t before = rto_then_ack(true);

	cr_assert_eq(stack_stats(th.s)->spurious_undos, 1);
	cr_assert_geq(cwnd(), before);
}

Test(tcp_tlp, real_timeout_not_undone)
{
	uint32_t before = rto_then_ack(false);

	cr_assert_eq(stack_stats(th.s)->spurious_undos, 0);
	cr_assert_lt(cwnd(), before, "slow start again from the loss window");
	/* a D-SACK after the episode ended changes nothing */
	{
		uint32_t d[2] = { SEG(0), SEG(1) };

		ack_sack(SEG(1), 1, d);
	}
	cr_assert_eq(stack_stats(th.s)->spurious_undos, 0);
}
