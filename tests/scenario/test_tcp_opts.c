/* SPDX-License-Identifier: MIT */
/*
 * test_tcp_opts.c - RFC 7323 window scaling and timestamps (PAWS, TS.Recent,
 * RTT), SACK-permitted, keep-alive (RFC 1122 §4.2.3.6), FIN-WAIT-2 without a
 * time limit
 */
#include <criterion/criterion.h>
#include <string.h>

#include "stack/stack.h"
#include "stack/tcp_internal.h"
#include "tests/support/tcp_harness.h"
#include "tests/support/th_opts.h"

#define A 0x10
#define F 0x01
#define R 0x04
#define P 0x08
#define C (TH_CISN + 1)
#define I (TH_ISS + 1)

TestSuite(tcp_wscale, .init = th_setup, .fini = th_teardown);
TestSuite(tcp_ts, .init = th_setup, .fini = th_teardown);
TestSuite(tcp_keepalive, .init = th_setup, .fini = th_teardown);

static uint8_t pat[65536];

/**
 * fill() - a recognizable payload
 */
static void fill(void)
{
	for (size_t i = 0; i < sizeof(pat); i++)
		pat[i] = (uint8_t)(i * 7 + 5);
}

/**
 * info() - snapshot of th.conn
 *
 * Return: the snapshot
 */
static struct tcp_conn_info info(void)
{
	struct tcp_conn_info i;

	tcp_conn_info(th.conn, &i);
	return i;
}

Test(tcp_wscale, negotiated_scaled_both_ways)
{
	struct tho_syn o = { .mss = 1460, .ws = 2, .sack_perm = false };
	struct th_seg sa, s;

	fill();
	th.rcv_space = 1u << 20;
	tho_handshake(TH_CISN, &o, 20000, &sa);
	cr_assert_eq(tho_ws(&sa), 7, "our shift: 65535 << 7 reaches 4 MiB");
	cr_assert_eq(sa.win, 65535, "SYN-ACK window never scaled (RFC 7323 §2.2)");
	cr_assert(!tho_sack_perm(&sa), "SACK-permitted only when offered");
	cr_assert_eq(info().snd_wscale, 2);
	cr_assert_eq(info().rcv_wscale, 7);
	/* the client's window field 20000 is 80000 bytes */
	cr_assert_eq(info().snd_wnd, 80000);
	th_write(NULL, 1000);
	th_expect(NULL, A | P, I, C, 1u << 13, 1000);	/* 1 MiB >> 7 = 8192 */
	th_send(A, C, I + 1000, 1000, NULL, 0);		/* 4000 bytes */
	cr_assert_eq(info().snd_wnd, 4000);
	/* data in: the window we advertise is scaled */
	th_send(A | P, C, I + 1000, 1000, pat, 1000);
	th_advance(40 * TH_MS);
	/* receiver SWS keeps the old edge C + 2^20: 1047576 bytes, rounded up
	 * to 8185 << 7 so that the edge does not move left */
	th_expect(&s, A, I + 1000, C + 1000, 8185, 0);
	cr_assert_eq(th.rx_len, 1000);
	/* the right edge C + 1000 + 8185 * 128 is where acceptability ends */
	th_send(A, C + 1000 + 8185u * 128 - 1, I + 1000, 1000, pat, 5);
	th_expect(NULL, A, I + 1000, C + 1000, 8185, 0);	/* queued (in window) */
	cr_assert_eq(stack_stats(th.s)->drop_tcp_unacceptable, 0);
	th_send(A, C + 1000 + 8185u * 128, I + 1000, 1000, pat, 5);
	th_expect(NULL, A, I + 1000, C + 1000, 8185, 0);
	cr_assert_eq(stack_stats(th.s)->drop_tcp_unacceptable, 1, "one byte beyond");
}

Test(tcp_wscale, not_offered_no_scaling)
{
	struct tho_syn o = { .mss = 1460, .ws = -1 };
	struct th_seg sa;

	th.rcv_space = 1u << 20;
	tho_handshake(TH_CISN, &o, 100, &sa);
	cr_assert_eq(tho_ws(&sa), -1, "no window scale option unless offered");
	cr_assert_eq(info().snd_wscale, -1);
	cr_assert_eq(info().rcv_wscale, -1);
	cr_assert_eq(info().snd_wnd, 100, "window field taken as is");
	th_send(A | P, C, I, 100, pat, 10);
	th_advance(40 * TH_MS);
	th_expect(NULL, A, I, C + 10, 65535 - 10, 0);
}

Test(tcp_wscale, shift_above_14_is_14)
{
	struct tho_syn o = { .mss = 1460, .ws = 15 };
	struct th_seg sa;

	tho_handshake(TH_CISN, &o, 1, &sa);
	cr_assert_eq(tho_ws(&sa), 7);
	cr_assert_eq(info().snd_wscale, 14, "RFC 7323 §2.3");
	cr_assert_eq(info().snd_wnd, 1u << 14);
}

Test(tcp_wscale, right_edge_never_shrinks_under_rounding)
{
	struct tho_syn o = { .mss = 1460, .ws = 0 };
	struct th_seg sa, s;
	uint32_t edge, nxt = C;

	fill();
	tho_handshake(TH_CISN, &o, 65535, &sa);
	edge = C + 65535;			/* the SYN-ACK's unscaled 65535 */
	/* 100 bytes in, space collapses: 65435 left, not a multiple of 128 */
	th.rcv_space = 1000;
	th_send(A | P, C, I, 65535, pat, 100);
	nxt += 100;
	th_advance(40 * TH_MS);
	th_expect(&s, A, I, nxt, 512, 0);	/* 511 would pull the edge back */
	cr_assert_geq(nxt + ((uint32_t)s.win << 7), edge);
	/* many sizes and spaces: the advertised right edge never moves left */
	for (int i = 0; i < 200; i++) {
		uint32_t len = (uint32_t)(i * 37 % 700) + 1, e;

		th.rcv_space = (size_t)(i * 7919 % 300000);
		if (nxt + len - C > 200000)
			break;
		th_send(A | P, nxt, I, 65535, pat, len);
		nxt += len;
		th_advance(40 * TH_MS);
		while (th_pop(&s)) {
			e = s.ack + ((uint32_t)s.win << 7);
			cr_assert(e - edge < (1u << 31), "edge moved left: %u < %u", e, edge);
			edge = e;
		}
		if (edge == nxt)
			th.rcv_space = 1u << 20;
		tcp_window_update(th.conn, th.now);
		while (th_pop(&s)) {
			e = s.ack + ((uint32_t)s.win << 7);
			cr_assert(e - edge < (1u << 31), "edge moved left on update");
			edge = e;
		}
	}
}

/**
 * ts_setup() - handshake with timestamps (TSval 100) and SACK
 * @sa:	the SYN-ACK
 *
 * Return: our TSval in the SYN-ACK
 */
static uint32_t ts_setup(struct th_seg *sa)
{
	struct tho_syn o = { .mss = 1460, .ws = -1, .sack_perm = true, .ts = true, .tsval = 100 };
	uint32_t tsval, tsecr;

	tho_handshake(TH_CISN, &o, 65535, sa);
	cr_assert(tho_ts(sa, &tsval, &tsecr));
	cr_assert_eq(tsecr, 100, "SYN-ACK echoes the SYN's TSval");
	cr_assert_eq(tsval, (uint32_t)(th.now / 1000), "TSval: the clock in ms");
	return tsval;
}

/**
 * send_ts() - a client segment with timestamps
 * @flags:	flags
 * @seq:	sequence number
 * @ack:	acknowledgment
 * @tsval:	TSval
 * @tsecr:	TSecr
 * @data:	payload
 * @len:	its length
 */
static void send_ts(uint8_t flags, uint32_t seq, uint32_t ack, uint32_t tsval,
		    uint32_t tsecr, const void *data, size_t len)
{
	uint8_t o[12];

	tho_build_ts(o, tsval, tsecr);
	th_send_opts(TH_CPORT, flags, seq, ack, 65535, o, 12, data, len, false);
}

/**
 * expect_tsecr() - pop a segment and check its TSecr
 * @out:	the segment
 * @tsecr:	expected TSecr
 */
static void expect_tsecr(struct th_seg *out, uint32_t tsecr)
{
	uint32_t v, e;

	cr_assert(th_pop(out), "expected a segment");
	cr_assert(tho_ts(out, &v, &e), "timestamps on every segment");
	cr_assert_eq(v, (uint32_t)(th.now / 1000));
	cr_assert_eq(e, tsecr, "TSecr %u, expected %u", e, tsecr);
}

Test(tcp_ts, negotiated_echo_rules)
{
	struct th_seg sa, s;
	uint32_t ours = ts_setup(&sa);

	fill();
	/* two segments before the delayed ACK: the earlier TSval is echoed (§4.3) */
	send_ts(A, C, I, 200, ours, pat, 100);
	send_ts(A, C + 100, I, 201, ours, pat + 100, 100);
	th_advance(40 * TH_MS);
	expect_tsecr(&s, 200);
	cr_assert_eq(s.ack, C + 200);
	/* out of order (beyond Last.ACK.sent): not recorded, old TSecr echoed */
	send_ts(A, C + 300, I, 300, ours, pat + 300, 100);
	expect_tsecr(&s, 200);
	/* the hole (SEG.SEQ = Last.ACK.sent): recorded */
	send_ts(A, C + 200, I, 301, ours, pat + 200, 100);
	expect_tsecr(&s, 301);
	cr_assert_eq(s.ack, C + 400);
	/* equal TSval is fine (>=), lower is PAWS */
	send_ts(A, C + 400, I, 301, ours, pat + 400, 100);
	th_advance(40 * TH_MS);
	expect_tsecr(&s, 301);
	cr_assert_eq(th.rx_len, 500);
	cr_assert_eq(memcmp(th.rx, pat, 500), 0);
}

Test(tcp_ts, mss_room_and_options_on_every_segment)
{
	struct th_seg sa, s;
	uint32_t ours = ts_setup(&sa);

	th_write(NULL, 3000);
	expect_tsecr(&s, 101);
	cr_assert_eq(s.dlen, 1448, "MSS 1460 - 12 bytes of timestamps");
	expect_tsecr(&s, 101);
	cr_assert_eq(s.dlen, 1448);
	expect_tsecr(&s, 101);
	cr_assert_eq(s.dlen, 104);
	(void)ours;
	/* RSTs carry no options */
	tcp_abort(th.conn, th.now);
	cr_assert(th_pop(&s));
	cr_assert_eq(s.flags, R);
	cr_assert_eq(s.optlen, 0);
}

Test(tcp_ts, full_sized_segments_with_timestamps_acked_every_second)
{
	struct th_seg sa, s;
	uint32_t ours = ts_setup(&sa);

	fill();
	/* full-sized with timestamps is MSS - 12 = 1448 bytes: the second one is
	 * ACKed at once, not after the 40 ms delayed-ACK timer (choice 17) */
	send_ts(A, C, I, 200, ours, pat, 1448);
	cr_assert(!th_pop(&s), "first full-sized segment: ACK delayed");
	send_ts(A, C + 1448, I, 201, ours, pat + 1448, 1448);
	expect_tsecr(&s, 200);
	cr_assert_eq(s.ack, C + 2896, "second full-sized segment ACKed at once");
	cr_assert_eq(th.rx_len, 2896);
}

Test(tcp_ts, rtt_from_tsecr_sets_rto)
{
	struct th_seg sa, s;
	uint32_t tsval, tsecr;

	ts_setup(&sa);
	/* the handshake ACK echoed the SYN-ACK's TSval at once: sample 0 ms */
	cr_assert_eq(info().rto_ms, 200);
	cr_assert_eq(info().rtt_us, 0);
	th_write(NULL, 100);
	cr_assert(th_pop(&s));
	tho_ts(&s, &tsval, &tsecr);
	th.now += 300 * TH_MS;
	send_ts(A, C, I + 100, 102, tsval, NULL, 0);
	/* RFC 6298 §2.3: RTTVAR = 300/4, SRTT = 300/8, RTO = SRTT + 4 RTTVAR */
	cr_assert_eq(info().rtt_us, 37500);
	cr_assert_eq(info().rto_ms, 337);
}

Test(tcp_ts, rtt_sample_from_a_retransmission)
{
	struct th_seg sa, s;
	uint32_t tsval, tsecr;

	ts_setup(&sa);
	th_write(NULL, 100);
	cr_assert(th_pop(&s));
	th_advance(200 * TH_MS);			/* RTO: retransmission */
	cr_assert(th_pop(&s));
	cr_assert_eq(s.seq, I);
	tho_ts(&s, &tsval, &tsecr);
	th.now += 40 * TH_MS;
	/* the echo names the retransmission: a valid sample, Karn not needed */
	send_ts(A, C, I + 100, 102, tsval, NULL, 0);
	cr_assert_eq(info().rtt_us, 5000, "SRTT 0 + 40/8 ms");
}

Test(tcp_ts, paws_drops_old_tsval_with_ack_and_24_day_rule)
{
	struct th_seg sa, s;
	uint32_t ours = ts_setup(&sa);
	const struct stack_stats *st = stack_stats(th.s);

	fill();
	send_ts(A, C, I, 500, ours, pat, 10);
	th_advance(40 * TH_MS);
	expect_tsecr(&s, 500);
	send_ts(A, C + 10, I, 499, ours, pat + 10, 10);	/* older TSval */
	expect_tsecr(&s, 500);				/* ACK, dropped */
	cr_assert_eq(s.ack, C + 10);
	cr_assert_eq(th.rx_len, 10);
	cr_assert_eq(st->drop_tcp_paws, 1);
	/* wrap-safe: 0x80000000 later than 500 is "older" only mod 2^32 */
	/* after 24 days idle TS.Recent is invalid: the old TSval is taken */
	th.now += 25ull * 86400 * TH_SEC;
	send_ts(A, C + 10, I, 499, ours, pat + 10, 10);
	cr_assert_eq(th.rx_len, 20);
	th_advance(40 * TH_MS);
	expect_tsecr(&s, 499);
	cr_assert_eq(st->drop_tcp_paws, 1);
}

Test(tcp_ts, missing_timestamps_dropped_rst_still_works)
{
	struct th_seg sa;
	const struct stack_stats *st = stack_stats(th.s);

	fill();
	ts_setup(&sa);
	th_send(A, C, I, 65535, pat, 10);	/* no TSopt: RFC 7323 §3.2 SHOULD drop */
	th_expect_none();
	cr_assert_eq(th.rx_len, 0);
	cr_assert_eq(st->drop_tcp_no_ts, 1);
	th_send(R, C, 0, 0, NULL, 0);		/* a RST without TSopt is judged by SEQ */
	cr_assert_eq(th_count_ev(TCP_EV_RESET), 1);
}

Test(tcp_ts, not_offered_no_timestamps)
{
	struct tho_syn o = { .mss = 1460, .ws = -1 };
	struct th_seg sa, s;
	uint32_t v, e;

	tho_handshake(TH_CISN, &o, 65535, &sa);
	cr_assert(!tho_ts(&sa, &v, &e));
	th_write(NULL, 2000);
	th_expect(&s, A, I, C, 65535, 1460);
	cr_assert_eq(s.optlen, 0);
}

/**
 * ka_setup() - keep-alive 10 s idle, 2 s interval, 3 probes
 */
static void ka_setup(void)
{
	th_teardown();
	th_config_default();
	th.cfg.keepalive_idle_s = 10;
	th.cfg.keepalive_intvl_s = 2;
	th.cfg.keepalive_count = 3;
	th_setup_cfg();
	th_handshake(TH_CISN);
}

Test(tcp_keepalive, off_by_default)
{
	th_handshake(TH_CISN);
	th_advance(3600 * TH_SEC);
	th_expect_none();
}

Test(tcp_keepalive, probes_then_abort)
{
	ka_setup();
	th_advance(10 * TH_SEC - 1);
	th_expect_none();
	th_advance(1);
	th_expect(NULL, A, I - 1, C, 65535, 0);		/* <SEQ=SND.NXT-1>, no data */
	th_advance(2 * TH_SEC - 1);
	th_expect_none();
	th_advance(1);
	th_expect(NULL, A, I - 1, C, 65535, 0);
	th_advance(2 * TH_SEC);
	th_expect(NULL, A, I - 1, C, 65535, 0);
	cr_assert_eq(stack_stats(th.s)->keepalive_probes, 3);
	th_advance(2 * TH_SEC - 1);
	th_expect_none();
	th_advance(1);
	th_expect(NULL, R, I, 0, 0, 0);
	cr_assert_eq(th_count_ev(TCP_EV_TIMEOUT), 1);
	cr_assert_eq(th.ev[th.nev - 1].ev, TCP_EV_CLOSED);
}

Test(tcp_keepalive, answered_probe_restarts_idle)
{
	ka_setup();
	th_advance(10 * TH_SEC);
	th_expect(NULL, A, I - 1, C, 65535, 0);
	th_advance(TH_SEC);
	th_send(A, C, I, 65535, NULL, 0);		/* the answer */
	th_advance(10 * TH_SEC - 1);
	th_expect_none();
	th_advance(1);
	th_expect(NULL, A, I - 1, C, 65535, 0);
	cr_assert_eq(th_count_ev(TCP_EV_TIMEOUT), 0);
	/* data outstanding: RTO watches, no probe */
	th_send(A, C, I, 65535, NULL, 0);
	th_write(NULL, 10);
	th_expect(NULL, A | P, I, C, 65535, 10);
	th_send(A, C, I + 10, 65535, NULL, 0);
	th_advance(10 * TH_SEC);
	th_expect(NULL, A, I + 9, C, 65535, 0);
}

Test(tcp_keepalive, fin_wait_2_has_no_time_limit)
{
	th_handshake(TH_CISN);
	tcp_shutdown(th.conn, th.now);
	th_expect(NULL, A | F, I, C, 65535, 0);
	th_send(A, C, I + 1, 65535, NULL, 0);		/* FIN-WAIT-2 */
	th_advance(24 * 3600 * TH_SEC);
	th_expect_none();
	cr_assert_eq(th.nev, 1, "still open a day later");
	th_send(A | P, C, I + 1, 65535, pat, 10);	/* half-close: data still flows */
	cr_assert_eq(th.rx_len, 10);
	th_send(A | F, C + 10, I + 1, 65535, NULL, 0);
	th_expect(NULL, A, I + 1, C + 11, 65535 - 11, 0);
	cr_assert_eq(th.ev[th.nev - 1].ev, TCP_EV_CLOSED);
}

TestSuite(tcp_optparse);

Test(tcp_optparse, sack_blocks_parsed_for_the_send_side)
{
	uint32_t b[4][2] = { { 10, 20 }, { 0xfffffff0u, 5 }, { 100, 200 }, { 7, 8 } };
	uint8_t p[40];
	struct tcp_opts o;
	size_t n = tho_build_ts(p, 1, 2);

	n += tho_build_sack(p + n, (const uint32_t (*)[2])b, 3);
	tcp_opt_parse(p, n, &o);
	cr_assert(o.ts_ok && o.tsval == 1 && o.tsecr == 2);
	cr_assert_eq(o.n_sack, 3);
	for (unsigned i = 0; i < 3; i++)
		cr_assert(o.sack[i].left == b[i][0] && o.sack[i].right == b[i][1]);
	n = tho_build_sack(p, (const uint32_t (*)[2])b, 4);
	tcp_opt_parse(p, n, &o);
	cr_assert_eq(o.n_sack, 4);
	p[3] = 2 + 7;				/* not 2 + 8n: ignored, not malformed */
	tcp_opt_parse(p, 12, &o);
	cr_assert_eq(o.n_sack, 0);
}
