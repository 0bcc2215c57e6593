/* SPDX-License-Identifier: MIT */
/*
 * test_tcp_reasm.c - out-of-order reassembly and SACK blocks (RFC 9293
 * §3.10.7.4, RFC 5681 §4.2, RFC 2018 §4): every arrival order of 5
 * segments, overlaps, FIN beyond a hole, window edges (RFC 9293 Table 6),
 * sequence wrap, the per-connection and stack-wide caps
 */
#include <criterion/criterion.h>
#include <string.h>

#include "stack/stack.h"
#include "tests/support/tcp_harness.h"
#include "tests/support/th_opts.h"

#define A 0x10
#define F 0x01
#define C (TH_CISN + 1)
#define I (TH_ISS + 1)
#define SEGS 5
#define SEGLEN 100

TestSuite(tcp_reasm, .init = th_setup, .fini = th_teardown);

static uint8_t stream[8192];

/**
 * fill() - a recognizable stream
 */
static void fill(void)
{
	for (size_t i = 0; i < sizeof(stream); i++)
		stream[i] = (uint8_t)(i * 31 + 7);
}

/**
 * sack_handshake() - handshake offering SACK (and timestamps if @ts)
 * @cisn:	client ISN
 * @ts:		offer timestamps too
 */
static void sack_handshake(uint32_t cisn, bool ts)
{
	struct tho_syn o = { .mss = 1460, .ws = -1, .sack_perm = true, .ts = ts, .tsval = 1 };
	struct th_seg sa;

	tho_handshake(cisn, &o, 65535, &sa);
	cr_assert(tho_sack_perm(&sa), "SACK-permitted answered");
}

/**
 * expect_ack_sack() - pop an ACK and check ack and SACK blocks exactly
 * @ack:	expected ACK field
 * @blk:	expected blocks, in order
 * @n:		their count
 */
static void expect_ack_sack(uint32_t ack, const uint32_t (*blk)[2], unsigned n)
{
	struct th_seg s;
	uint32_t got[4][2];
	unsigned m;

	cr_assert(th_pop(&s), "expected an ACK %u", ack);
	cr_assert_eq(s.flags, A);
	cr_assert_eq(s.seq, I);
	cr_assert_eq(s.ack, ack, "ack %u, expected %u", s.ack, ack);
	cr_assert_eq(s.dlen, 0);
	m = tho_sack(&s, got, 4);
	cr_assert_eq(m, n, "%u SACK blocks, expected %u", m, n);
	for (unsigned i = 0; i < n; i++)
		cr_assert(got[i][0] == blk[i][0] && got[i][1] == blk[i][1],
			  "block %u [%u,%u), expected [%u,%u)", i, got[i][0], got[i][1],
			  blk[i][0], blk[i][1]);
}

/**
 * expected_blocks() - RFC 2018 §4 blocks from what arrived: runs of received
 * segments above the first missing one, newest arrival first
 * @got:	arrival time of each segment (0 = not yet)
 * @base:	sequence number of segment 0
 * @blk:	filled
 * @k:		first missing segment, written
 *
 * Return: block count
 */
static unsigned expected_blocks(const int got[SEGS], uint32_t base, uint32_t (*blk)[2],
				int *k)
{
	int runs[SEGS][3], nr = 0;		/* first, last, newest arrival */
	unsigned n = 0;

	for (*k = 0; *k < SEGS && got[*k]; (*k)++)
		;
	for (int i = *k; i < SEGS; i++) {
		if (!got[i])
			continue;
		if (nr && runs[nr - 1][1] == i - 1) {
			runs[nr - 1][1] = i;
			if (got[i] > runs[nr - 1][2])
				runs[nr - 1][2] = got[i];
		} else {
			runs[nr][0] = runs[nr][1] = i;
			runs[nr++][2] = got[i];
		}
	}
	while (n < (unsigned)nr && n < 4) {
		int best = -1;

		for (int r = 0; r < nr; r++)
			if (runs[r][2] > 0 && (best < 0 || runs[r][2] > runs[best][2]))
				best = r;
		blk[n][0] = base + (uint32_t)runs[best][0] * SEGLEN;
		blk[n++][1] = base + (uint32_t)(runs[best][1] + 1) * SEGLEN;
		runs[best][2] = 0;
	}
	return n;
}

/**
 * run_order() - send the 5 segments in @order, check every answer
 * @order:	a permutation of 0..4
 */
static void run_order(const int order[SEGS])
{
	int got[SEGS] = { 0 }, k_before = 0, k;
	uint32_t blk[4][2];
	unsigned n;

	th_teardown();
	th_setup();
	sack_handshake(TH_CISN, false);
	for (int step = 0; step < SEGS; step++) {
		int i = order[step];
		bool queued = false;

		for (int j = k_before + 1; j < SEGS; j++)
			queued |= got[j] != 0;
		got[i] = step + 1;
		th_send(A, C + (uint32_t)i * SEGLEN, I, 65535, stream + i * SEGLEN, SEGLEN);
		n = expected_blocks(got, C, blk, &k);
		if (i == k_before && !queued) {
			th_expect_none();	/* in order, no hole: delayed ACK */
		} else {
			/* out of order, or fills a hole: immediate (RFC 5681 §4.2) */
			expect_ack_sack(C + (uint32_t)k * SEGLEN, (const uint32_t (*)[2])blk, n);
		}
		cr_assert_eq(th.rx_len, (size_t)k * SEGLEN, "delivered up to the first hole");
		k_before = k;
	}
	cr_assert_eq(memcmp(th.rx, stream, SEGS * SEGLEN), 0, "exact stream");
}

/**
 * next_perm() - next lexicographic permutation
 * @a:	the array
 * @n:	its length
 *
 * Return: false after the last one
 */
static bool next_perm(int *a, int n)
{
	int i = n - 2, j = n - 1, t;

	while (i >= 0 && a[i] >= a[i + 1])
		i--;
	if (i < 0)
		return false;
	while (a[j] <= a[i])
		j--;
	t = a[i]; a[i] = a[j]; a[j] = t;
	for (int l = i + 1, r = n - 1; l < r; l++, r--) {
		t = a[l]; a[l] = a[r]; a[r] = t;
	}
	return true;
}

Test(tcp_reasm, all_120_orders_of_5_segments)
{
	int order[SEGS] = { 0, 1, 2, 3, 4 }, count = 0;

	fill();
	do {
		run_order(order);
		count++;
	} while (next_perm(order, SEGS));
	cr_assert_eq(count, 120);
}

Test(tcp_reasm, overlaps_keep_first_copy_exact_stream)
{
	uint8_t bad[1000];
	uint32_t b1[1][2] = { { C + 300, C + 400 } };

	fill();
	memset(bad, 0xee, sizeof(bad));
	sack_handshake(TH_CISN, false);
	th_send(A, C + 300, I, 65535, stream + 300, 100);
	expect_ack_sack(C, (const uint32_t (*)[2])b1, 1);
	/* full duplicate with other bytes: the first copy is kept */
	th_send(A, C + 300, I, 65535, bad, 100);
	expect_ack_sack(C, (const uint32_t (*)[2])b1, 1);
	/* partial overlap on the left: only [250,300) is new */
	memcpy(bad + 50, stream + 300, 0);
	th_send(A, C + 250, I, 65535, stream + 250, 100);
	b1[0][0] = C + 250;
	expect_ack_sack(C, (const uint32_t (*)[2])b1, 1);
	/* partial overlap on the right, overlapped part garbage: kept first */
	memcpy(bad + 50, stream + 400, 50);
	th_send(A, C + 350, I, 65535, bad, 100);
	b1[0][1] = C + 450;
	expect_ack_sack(C, (const uint32_t (*)[2])b1, 1);
	/* a second island, then one segment covering both and the gaps */
	th_send(A, C + 500, I, 65535, stream + 500, 50);
	{
		uint32_t b2[2][2] = { { C + 500, C + 550 }, { C + 250, C + 450 } };

		expect_ack_sack(C, (const uint32_t (*)[2])b2, 2);
	}
	th_send(A, C + 200, I, 65535, stream + 200, 400);
	b1[0][0] = C + 200;
	b1[0][1] = C + 600;
	expect_ack_sack(C, (const uint32_t (*)[2])b1, 1);
	/* the hole: in-order data straight to the app, then the queue */
	th_send(A, C, I, 65535, stream, 250);
	expect_ack_sack(C + 600, NULL, 0);
	cr_assert_eq(th.rx_len, 600);
	cr_assert_eq(memcmp(th.rx, stream, 600), 0, "exact stream, first copies");
	/* a duplicate below RCV.NXT: ACK with a D-SACK (RFC 2883 §4), nothing
	 * delivered; reported once */
	th_send(A, C + 100, I, 65535, stream + 100, 100);
	{
		uint32_t d[1][2] = { { C + 100, C + 200 } };

		expect_ack_sack(C + 600, (const uint32_t (*)[2])d, 1);
	}
	th_send(A, C + 600, I, 65535, NULL, 0);
	th_expect_none();
	cr_assert_eq(th.rx_len, 600);
	cr_assert_eq(stack_stats(th.s)->drop_tcp_ooo_full, 0);
}

Test(tcp_reasm, fin_beyond_hole_waits)
{
	uint32_t b[1][2] = { { C + 100, C + 200 } };

	fill();
	sack_handshake(TH_CISN, false);
	th_send(A | F, C + 100, I, 65535, stream + 100, 100);
	expect_ack_sack(C, (const uint32_t (*)[2])b, 1);
	cr_assert_eq(th_count_ev(TCP_EV_PEER_FIN), 0, "FIN waits for the hole");
	th_send(A, C, I, 65535, stream, 100);
	th_expect(NULL, A, I, C + 201, 65535 - 201, 0);
	cr_assert_eq(th_count_ev(TCP_EV_PEER_FIN), 1);
	cr_assert_eq(th.rx_len, 200);
	cr_assert_eq(memcmp(th.rx, stream, 200), 0);
	th_expect_none();
	/* FIN only (no data) beyond a hole, other connection */
	th_teardown();
	th_setup();
	sack_handshake(TH_CISN, false);
	th_send(A | F, C + 100, I, 65535, NULL, 0);
	expect_ack_sack(C, NULL, 0);
	th_send(A, C, I, 65535, stream, 100);
	th_expect(NULL, A, I, C + 101, 65535 - 101, 0);
	cr_assert_eq(th_count_ev(TCP_EV_PEER_FIN), 1);
}

Test(tcp_reasm, window_edges_table_6)
{
	const struct stack_stats *st = stack_stats(th.s);
	uint32_t b[1][2] = { { C + 65534, C + 65535 } };
	uint64_t un;

	fill();
	sack_handshake(TH_CISN, false);
	/* RCV.WND = 65535: the window is [C, C + 65535) */
	un = st->drop_tcp_unacceptable;
	/* length 0, window > 0: RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND */
	th_send(A, C + 65534, I, 65535, NULL, 0);
	th_expect_none();				/* acceptable, nothing to say */
	cr_assert_eq(st->drop_tcp_unacceptable, un);
	th_send(A, C + 65535, I, 65535, NULL, 0);	/* one beyond */
	th_expect(NULL, A, I, C, 65535, 0);
	cr_assert_eq(st->drop_tcp_unacceptable, ++un);
	/* length > 0: first byte at RCV.NXT+RCV.WND-1 is in, trimmed to 1 byte */
	th_send(A, C + 65534, I, 65535, stream, 10);
	expect_ack_sack(C, (const uint32_t (*)[2])b, 1);
	cr_assert_eq(st->drop_tcp_unacceptable, un);
	th_send(A, C + 65535, I, 65535, stream, 10);	/* one beyond */
	expect_ack_sack(C, (const uint32_t (*)[2])b, 1);
	cr_assert_eq(st->drop_tcp_unacceptable, ++un);
	/* a segment ending exactly at RCV.NXT is old (reported as a D-SACK,
	 * RFC 2883 §4); one ending at RCV.NXT+1 is in */
	th_send(A, C - 10, I, 65535, stream, 10);
	{
		uint32_t d[2][2] = { { C - 10, C }, { C + 65534, C + 65535 } };

		expect_ack_sack(C, (const uint32_t (*)[2])d, 2);
	}
	cr_assert_eq(st->drop_tcp_unacceptable, ++un);
	th_send(A, C - 10, I, 65535, stream + 4000, 11);	/* 1 new byte: stream[4010] */
	cr_assert_eq(th.rx_len, 1);
	cr_assert_eq(th.rx[0], stream[4010]);
	th_advance(40 * TH_MS);
	while (th_pop(&(struct th_seg){ 0 }))
		;
	/* zero window: fill up to the right edge with rcv_space 0 */
	th.rcv_space = 0;
	{
		uint32_t at = C + 1, end = C + 65535;

		while (at != end) {
			uint32_t l = end - at < 1460 ? end - at : 1460;

			th_send(A, at, I, 65535, stream, l);
			at += l;
		}
	}
	while (th_pop(&(struct th_seg){ 0 }))
		;
	th_advance(TH_SEC);
	while (th_pop(&(struct th_seg){ 0 }))
		;
	un = st->drop_tcp_unacceptable;
	/* length 0, window 0: only SEG.SEQ = RCV.NXT */
	th_send(A, C + 65535, I, 65535, NULL, 0);
	th_expect_none();
	cr_assert_eq(st->drop_tcp_unacceptable, un);
	th_send(A, C + 65536, I, 65535, NULL, 0);
	th_expect(NULL, A, I, C + 65535, 0, 0);
	cr_assert_eq(st->drop_tcp_unacceptable, ++un);
	/* length > 0, window 0: not acceptable (a probe at RCV.NXT gets an ACK) */
	th_send(A, C + 65535, I, 65535, stream, 1);
	th_expect(NULL, A, I, C + 65535, 0, 0);
	th_send(A, C + 65536, I, 65535, stream, 1);
	th_expect(NULL, A, I, C + 65535, 0, 0);
	cr_assert_eq(st->drop_tcp_unacceptable, ++un);
	cr_assert_eq(th.rx_len, 65535, "the byte queued at the edge was delivered too");
}

Test(tcp_reasm, sequence_wrap_out_of_order)
{
	const uint32_t ciss = 0xffffff00u, cs = ciss + 1;

	fill();
	sack_handshake(ciss, false);
	/* [cs+200, cs+400) crosses 2^32 */
	th_send(A, cs + 200, I, 65535, stream + 200, 200);
	{
		uint32_t b[1][2] = { { cs + 200, cs + 400 } };

		expect_ack_sack(cs, (const uint32_t (*)[2])b, 1);
		cr_assert_lt(b[0][1], b[0][0], "the block wraps");
	}
	th_send(A, cs + 400, I, 65535, stream + 400, 100);
	{
		uint32_t b[1][2] = { { cs + 200, cs + 500 } };

		expect_ack_sack(cs, (const uint32_t (*)[2])b, 1);
	}
	th_send(A, cs, I, 65535, stream, 200);
	expect_ack_sack(cs + 500, NULL, 0);
	cr_assert_eq(th.rx_len, 500);
	cr_assert_eq(memcmp(th.rx, stream, 500), 0);
}

/**
 * cap_setup() - a stack with small out-of-order limits
 * @per_conn:	cfg.ooo_per_conn
 * @pool:	cfg.ooo_pool
 */
static void cap_setup(uint32_t per_conn, uint32_t pool)
{
	th_teardown();
	th_config_default();
	th.cfg.ooo_per_conn = per_conn;
	th.cfg.ooo_pool = pool;
	th_setup_cfg();
	fill();
	sack_handshake(TH_CISN, false);
}

/**
 * cap_run() - three islands, the third over the cap; then the hole and the
 * retransmission complete the stream
 */
static void cap_run(void)
{
	const struct stack_stats *st = stack_stats(th.s);
	uint32_t b2[2][2] = { { C + 300, C + 400 }, { C + 100, C + 200 } };

	th_send(A, C + 100, I, 65535, stream + 100, 100);
	th_pop(&(struct th_seg){ 0 });
	th_send(A, C + 300, I, 65535, stream + 300, 100);
	expect_ack_sack(C, (const uint32_t (*)[2])b2, 2);
	th_send(A, C + 500, I, 65535, stream + 500, 100);	/* over the cap */
	expect_ack_sack(C, (const uint32_t (*)[2])b2, 2);
	cr_assert_eq(st->drop_tcp_ooo_full, 1);
	th_send(A, C, I, 65535, stream, 100);
	{
		uint32_t b[1][2] = { { C + 300, C + 400 } };

		expect_ack_sack(C + 200, (const uint32_t (*)[2])b, 1);
	}
	th_send(A, C + 200, I, 65535, stream + 200, 100);
	expect_ack_sack(C + 400, NULL, 0);
	th_send(A, C + 400, I, 65535, stream + 400, 200);	/* the retransmission */
	th_send(A | F, C + 600, I, 65535, NULL, 0);
	cr_assert_eq(th.rx_len, 600);
	cr_assert_eq(memcmp(th.rx, stream, 600), 0);
	cr_assert_eq(th_count_ev(TCP_EV_PEER_FIN), 1);
}

Test(tcp_reasm, per_connection_cap_counted_drop_then_completes)
{
	cap_setup(2, 0);
	cap_run();
}

Test(tcp_reasm, stack_wide_cap_counted_drop_then_completes)
{
	cap_setup(0, 2);
	cap_run();
}

/*
 * The chunk pool hands out freed chunks first and never-used ones after them
 * (tcp_reasm.c): a pool of 3 whose first chunk was used and freed again
 * holds exactly 3 islands, each with its own bytes, then drops the fourth.
 */
Test(tcp_reasm, freed_and_never_used_chunks_hold_their_own_bytes)
{
	struct th_seg seg;

	cap_setup(0, 3);
	th_send(A, C + 100, I, 65535, stream + 100, 100);	/* first never-used chunk */
	th_send(A, C, I, 65535, stream, 100);			/* drains it: freed */
	cr_assert_eq(th.rx_len, 200);
	for (uint32_t off = 300; off <= 700; off += 200)	/* the freed one, then two new */
		th_send(A, C + off, I, 65535, stream + off, 100);
	th_send(A, C + 900, I, 65535, stream + 900, 100);	/* pool full */
	cr_assert_eq(stack_stats(th.s)->drop_tcp_ooo_full, 1);
	for (uint32_t off = 200; off <= 800; off += 200)
		th_send(A, C + off, I, 65535, stream + off, 100);
	cr_assert_eq(th.rx_len, 900);
	th_send(A, C + 900, I, 65535, stream + 900, 100);	/* the retransmission */
	cr_assert_eq(th.rx_len, 1000);
	cr_assert_eq(memcmp(th.rx, stream, 1000), 0);
	while (th_pop(&seg))
		;
}

Test(tcp_reasm, large_segment_split_over_chunks)
{
	/* 4000 bytes out of order: 3 chunks of 1460; per-connection cap 2 drops it */
	cap_setup(3, 0);
	th_send(A, C + 100, I, 65535, stream + 100, 4000);
	{
		uint32_t b[1][2] = { { C + 100, C + 4100 } };

		expect_ack_sack(C, (const uint32_t (*)[2])b, 1);
	}
	th_send(A, C, I, 65535, stream, 100);
	expect_ack_sack(C + 4100, NULL, 0);
	cr_assert_eq(memcmp(th.rx, stream, 4100), 0);
	cap_setup(2, 0);
	th_send(A, C + 100, I, 65535, stream + 100, 4000);
	expect_ack_sack(C, NULL, 0);
	cr_assert_eq(stack_stats(th.s)->drop_tcp_ooo_full, 1);
}

Test(tcp_reasm, app_takes_less_rest_stays_queued)
{
	uint32_t b[1][2] = { { C + 100, C + 300 } };

	fill();
	sack_handshake(TH_CISN, false);
	th_send(A, C + 100, I, 65535, stream + 100, 200);
	expect_ack_sack(C, (const uint32_t (*)[2])b, 1);
	th.deliver_max = 150;
	th_send(A, C, I, 65535, stream, 100);
	/* 100 in order, then 150 of the queued 200; [C+250, C+300) stays queued */
	b[0][0] = C + 250;
	expect_ack_sack(C + 250, (const uint32_t (*)[2])b, 1);
	cr_assert_eq(th.rx_len, 250);
	th.deliver_max = SIZE_MAX;
	tcp_window_update(th.conn, th.now);
	expect_ack_sack(C + 300, NULL, 0);
	cr_assert_eq(th.rx_len, 300);
	cr_assert_eq(memcmp(th.rx, stream, 300), 0);
}

Test(tcp_reasm, sack_blocks_three_with_timestamps_four_without)
{
	uint8_t o[40];
	struct th_seg s;
	uint32_t got[4][2];

	fill();
	sack_handshake(TH_CISN, true);
	for (uint32_t i = 1; i <= 5; i++) {
		size_t n = tho_build_ts(o, 10 + i, 0);

		th_send_opts(TH_CPORT, A, C + 200 * i, I, 65535, o, n, stream, 100, false);
		cr_assert(th_pop(&s));
	}
	cr_assert_eq(tho_sack(&s, got, 4), 3, "3 blocks next to timestamps");
	cr_assert_eq(got[0][0], C + 1000, "newest first");
	cr_assert_eq(got[1][0], C + 800);
	cr_assert_eq(got[2][0], C + 600);
	th_teardown();
	th_setup();
	sack_handshake(TH_CISN, false);
	for (uint32_t i = 1; i <= 5; i++) {
		th_send(A, C + 200 * i, I, 65535, stream, 100);
		cr_assert(th_pop(&s));
	}
	cr_assert_eq(tho_sack(&s, got, 4), 4, "4 blocks without timestamps");
	cr_assert_eq(got[3][0], C + 400);
	/* no SACK negotiated: no blocks, still queued */
	th_teardown();
	th_setup();
	th_handshake(TH_CISN);
	th_send(A, C + 100, I, 65535, stream + 100, 100);
	th_expect(&s, A, I, C, 65535, 0);
	cr_assert_eq(tho_sack(&s, got, 4), 0);
	th_send(A, C, I, 65535, stream, 100);
	th_expect(NULL, A, I, C + 200, 65535 - 200, 0);
	cr_assert_eq(memcmp(th.rx, stream, 200), 0);
}

Test(tcp_reasm, dsack_first_block_once)
{
	uint32_t b[2][2];

	fill();
	sack_handshake(TH_CISN, false);
	th_send(A, C, I, 65535, stream, 100);
	th_send(A, C + 300, I, 65535, stream + 300, 100);	/* out of order */
	b[0][0] = C + 300;
	b[0][1] = C + 400;
	expect_ack_sack(C + 100, (const uint32_t (*)[2])b, 1);
	/* RFC 2883 §4: an old duplicate is the first block, then the queue */
	th_send(A, C, I, 65535, stream, 100);
	b[0][0] = C;
	b[0][1] = C + 100;
	b[1][0] = C + 300;
	b[1][1] = C + 400;
	expect_ack_sack(C + 100, (const uint32_t (*)[2])b, 2);
	/* a partly new segment: its old part is reported, the new part taken */
	th_send(A, C + 50, I, 65535, stream + 50, 100);
	b[0][0] = C + 50;
	b[0][1] = C + 100;
	expect_ack_sack(C + 150, (const uint32_t (*)[2])b, 2);
	cr_assert_eq(th.rx_len, 150);
	cr_assert_eq(memcmp(th.rx, stream, 150), 0);
	/* reported once: the next ACK carries the queue only */
	th_send(A, C + 150, I, 65535, stream + 150, 50);
	b[0][0] = C + 300;
	b[0][1] = C + 400;
	expect_ack_sack(C + 200, (const uint32_t (*)[2])b, 1);
	th_expect_none();
}
