/* SPDX-License-Identifier: MIT */
/*
 * test_tcp_offload.c - link offloads (stack.h "Link offloads"): TCP
 * super-segments out (sizes, gso_size, PSH/FIN on the last piece, partial
 * checksums, cwnd in whole pieces, loss recovery over a GSO frame), checksum
 * offload without TSO, no GSO while ARP re-resolves; GSO frames in (in
 * order, out of order, trimmed to the window), checksum states trusted or
 * verified, and every kind of contradicting metadata dropped and counted.
 *
 * The in-memory link advertises the offloads and the harness plays the NIC
 * (tests/support/tcp_harness.c th_pop(): seeds checked, checksums finished,
 * GSO frames cut with its own code).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "stack/stack.h"
#include "tests/support/frames.h"
#include "tests/support/tcp_harness.h"
#include "tests/support/th_opts.h"

#define A 0x10
#define P 0x08
#define F 0x01
#define C (TH_CISN + 1)
#define I (TH_ISS + 1)
#define TSO_MAX 65535u
#define MSS_TS 1448u		/* 1460 - 12 bytes of timestamps */

/**
 * offload_init() - stack on a link with TSO and checksum offload
 */
static void offload_init(void)
{
	th_config_default();
	th_config_offload(TSO_MAX, true);
	th.rcv_space = 1u << 20;
}

TestSuite(tcp_offload, .init = offload_init, .fini = th_teardown);

static uint8_t stream[70000];

/**
 * fill() - a recognizable client stream
 */
static void fill(void)
{
	for (size_t i = 0; i < sizeof(stream); i++)
		stream[i] = (uint8_t)(i * 13 + 5);
}

/**
 * ts_handshake() - handshake with window scaling (the client's window
 * @ack_win << 7), SACK and timestamps: SND.MSS 1448
 * @ack_win:	window field of the handshake ACK
 */
static void ts_handshake(uint16_t ack_win)
{
	struct tho_syn o = { .mss = 1460, .ws = 7, .sack_perm = true, .ts = true, .tsval = 1 };
	struct th_seg sa;

	th_setup_cfg();
	tho_handshake(TH_CISN, &o, ack_win, &sa);
}

/**
 * plain_handshake() - handshake with MSS 1460 and SACK, no timestamps or scaling
 */
static void plain_handshake(void)
{
	struct tho_syn o = { .mss = 1460, .ws = -1, .sack_perm = true, .ts = false };
	struct th_seg sa;

	th_setup_cfg();
	tho_handshake(TH_CISN, &o, 65535, &sa);
}

/**
 * ack_ts() - the client acknowledges @ack (with timestamps), window field @win
 * @ack:	acknowledgment number
 * @win:	window field (scaled by 7)
 */
static void ack_ts(uint32_t ack, uint16_t win)
{
	uint8_t o[12];

	tho_build_ts(o, 100, 0);
	th_send_opts(TH_CPORT, A, C, ack, win, o, sizeof(o), NULL, 0, false);
}

/**
 * drain() - pop every segment sent, check it continues the stream at *@next
 * @next:	next expected sequence number, advanced
 * @tsval:	set to the TSval of the data segments (all equal within a frame)
 *
 * Return: segments popped
 */
static unsigned drain(uint32_t *next, uint32_t *tsval)
{
	struct th_seg s;
	unsigned n = 0;

	while (th_pop(&s)) {
		uint32_t v, e;

		if (!s.dlen)
			continue;
		cr_assert_eq(s.seq, *next, "seq %u, expected %u", s.seq, *next);
		cr_assert(s.csum_ok);
		cr_assert_leq(s.dlen, MSS_TS);
		cr_assert(tho_ts(&s, &v, &e), "every piece carries the timestamps");
		*tsval = v;
		cr_assert_eq(memcmp(s.data, th.tx + (s.seq - I), s.dlen), 0,
			     "payload at %u differs", s.seq - I);
		*next += (uint32_t)s.dlen;
		n++;
	}
	return n;
}

Test(tcp_offload, tx_super_segments_grow_to_64k_and_carry_the_stream)
{
	const size_t total = 600000;
	uint32_t next = I, tsval = 0;
	unsigned frames = 0, segs = 0;

	ts_handshake(4096);			/* 512 KiB window */
	th_write(NULL, total);
	/* initial window 10 SMSS: one GSO frame of 10 pieces of SND.MSS */
	segs += drain(&next, &tsval);
	cr_assert_eq(th.gso.frames, 1);
	cr_assert_eq(th.gso.last_size, MSS_TS);
	cr_assert_eq(th.gso.last_pieces, 10);
	cr_assert_eq(next, I + 10 * MSS_TS);
	while (next != I + total) {
		frames = th.gso.frames;
		ack_ts(next, 4096);
		segs += drain(&next, &tsval);
		cr_assert_gt(th.gso.frames, frames, "every ACK releases super-segments");
	}
	/* slow start reached the largest GSO packet: 45 pieces, 65160 bytes */
	cr_assert_eq(th.gso.max_len, 45 * MSS_TS);
	cr_assert_eq(stack_stats(th.s)->tx_gso_frames, th.gso.frames);
	/* every data frame left its checksum to the link (the SYN-ACK waited for
	 * ARP, so the stack finished its checksum itself) */
	cr_assert_eq(th.gso.partial, th.gso.frames + 0u);
	/* segs_out counts pieces: the data pieces plus the handshake's SYN-ACK */
	cr_assert_eq(stack_stats(th.s)->segs_out, segs + 1u);
	ack_ts(next, 4096);
	cr_assert_eq(th.tx_acked, total);
}

Test(tcp_offload, tx_tail_psh_on_last_piece_then_fin)
{
	struct th_seg s;
	uint32_t sizes[] = { MSS_TS, MSS_TS, MSS_TS, 5000 - 3 * MSS_TS };

	ts_handshake(4096);
	th_write(NULL, 5000);
	for (int i = 0; i < 4; i++) {
		cr_assert(th_pop(&s));
		cr_assert_eq(s.seq, I + (uint32_t)i * MSS_TS);
		cr_assert_eq(s.dlen, sizes[i]);
		cr_assert_eq(s.flags, i == 3 ? (A | P) : A, "piece %d flags %#x", i, s.flags);
	}
	cr_assert_eq(th.gso.frames, 1);
	cr_assert_eq(th.gso.last_len, 5000);
	tcp_shutdown(th.conn, th.now);
	cr_assert(th_pop(&s));
	cr_assert_eq(s.flags, A | F);
	cr_assert_eq(s.seq, I + 5000);
	cr_assert_eq(s.dlen, 0);
	cr_assert_eq(th.gso.frames, 1, "a lone FIN is a plain frame");
}

Test(tcp_offload, tx_window_limits_super_segment_to_whole_pieces)
{
	uint32_t next = I, tsval = 0;

	/* the client's window: 40 << 7 = 5120 bytes: 3 whole pieces (4344), the
	 * rest of the window (776) waits as a lone short segment would */
	ts_handshake(40);
	th_write(NULL, 20000);
	drain(&next, &tsval);
	cr_assert_eq(th.gso.frames, 1);
	cr_assert_eq(th.gso.last_len, 3 * MSS_TS);
	cr_assert_eq(next, I + 3 * MSS_TS);
}

Test(tcp_offload, tx_checksum_offload_without_tso)
{
	uint32_t next = I, tsval = 0;
	unsigned n;

	th_config_offload(0, true);
	ts_handshake(4096);
	th_write(NULL, 10000);
	n = drain(&next, &tsval);
	cr_assert_eq(n, 7, "plain MSS segments");
	cr_assert_eq(th.gso.frames, 0);
	cr_assert_eq(th.gso.partial, 7, "every data segment left its checksum to the link");
	cr_assert_eq(stack_stats(th.s)->tx_gso_frames, 0);
}

Test(tcp_offload, tx_no_gso_while_the_next_hop_is_resolved_again)
{
	uint32_t next = I, tsval = 0;
	struct th_seg s;
	unsigned partial;

	ts_handshake(4096);
	/* the neighbour entry expires after 60 s: frames wait in the ARP queue
	 * as plain frames with finished checksums (held frames carry no metadata) */
	th_advance(61 * TH_SEC);
	partial = th.gso.partial;
	th_write(NULL, 3 * MSS_TS);
	cr_assert(th_pop(&s));			/* answers the ARP request, then pops */
	cr_assert_eq(s.seq, I);
	cr_assert_eq(s.dlen, MSS_TS);
	cr_assert(s.csum_ok);
	cr_assert_eq(th.gso.frames, 0, "no GSO frame for an unresolved next hop");
	cr_assert_eq(th.gso.partial, partial, "the held frame's checksum was finished");
	next = I + MSS_TS;
	drain(&next, &tsval);
	ack_ts(next, 4096);
	/* resolved again: super-segments again */
	th_write(NULL, 10 * MSS_TS);
	drain(&next, &tsval);
	cr_assert_geq(th.gso.frames, 1);
}

Test(tcp_offload, tx_loss_in_a_super_segment_is_repaired_by_sack)
{
	uint32_t next = I, tsval = 0, blk[1][2];
	struct tcp_conn_info info;
	uint8_t o[40];
	size_t ol;
	struct th_seg s;

	ts_handshake(4096);
	th_write(NULL, 30 * MSS_TS);
	drain(&next, &tsval);			/* 10 pieces out, say piece 0 is lost */
	cr_assert_eq(th.gso.last_pieces, 10);
	/* the client SACKs pieces 1..9: IsLost(SND.UNA) (RFC 6675 §5) */
	blk[0][0] = I + MSS_TS;
	blk[0][1] = I + 10 * MSS_TS;
	ol = tho_build_ts(o, 100, tsval);
	ol += tho_build_sack(o + ol, blk, 1);
	th_send_opts(TH_CPORT, A, C, I, 4096, o, ol, NULL, 0, false);
	/* the hole is resent at once, alone, byte for byte */
	cr_assert(th_pop(&s));
	cr_assert_eq(s.seq, I);
	cr_assert_eq(s.dlen, MSS_TS);
	cr_assert_eq(memcmp(s.data, th.tx, MSS_TS), 0);
	cr_assert_eq(stack_stats(th.s)->sack_recoveries, 1);
	/* new data during recovery stays within cwnd - pipe (pipe: the one
	 * retransmission, RFC 6675 §4), in whole pieces */
	tcp_conn_info(th.conn, &info);
	while (th_pop(&s)) {
		cr_assert_eq(s.seq, next);
		cr_assert_eq(memcmp(s.data, th.tx + (s.seq - I), s.dlen), 0);
		next += (uint32_t)s.dlen;
	}
	cr_assert_gt(next, I + 10 * MSS_TS, "new data sent in recovery");
	cr_assert_leq(next - (I + 10 * MSS_TS), info.cwnd - MSS_TS);
	cr_assert_eq((next - (I + 10 * MSS_TS)) % MSS_TS, 0);
	for (int round = 0; round < 20 && th.tx_acked < 30 * MSS_TS; round++) {
		ack_ts(next, 4096);
		drain(&next, &tsval);
	}
	cr_assert_eq(next, I + 30 * MSS_TS);
	cr_assert_eq(th.tx_acked, 30 * MSS_TS);
	cr_assert_eq(stack_stats(th.s)->retransmits, 1);
}

/**
 * gso_in() - a GSO super-segment from the client (no timestamps), partial checksum
 * @seq:	sequence number
 * @data:	payload
 * @dlen:	its length
 */
static void gso_in(uint32_t seq, const uint8_t *data, size_t dlen)
{
	struct stack_offload off = { .gso_type = STACK_GSO_TCPV4, .gso_size = 1460,
				     .csum = STACK_CSUM_PARTIAL };

	th_send_ex(A | P, seq, I, 65535, NULL, 0, data, dlen, &off);
}

Test(tcp_offload, rx_gso_in_order_delivered_exactly_and_acked_at_once)
{
	struct th_seg s;

	fill();
	plain_handshake();
	gso_in(C, stream, 44 * 1460);
	cr_assert_eq(th.rx_len, 44 * 1460);
	cr_assert_eq(memcmp(th.rx, stream, th.rx_len), 0);
	/* many full-sized segments' worth: ACK now, not after the delayed-ACK timer */
	cr_assert(th_pop(&s), "an ACK at once");
	cr_assert_eq(s.flags, A);
	cr_assert_eq(s.ack, C + 44 * 1460);
	cr_assert_eq(s.dlen, 0);
	cr_assert_eq(stack_stats(th.s)->rx_gso_frames, 1);
	cr_assert_eq(stack_stats(th.s)->rx_csum_offloaded, 1);
	cr_assert_eq(stack_stats(th.s)->bad_checksum, 0);
}

Test(tcp_offload, rx_gso_out_of_order_held_then_delivered)
{
	uint32_t got[4][2];
	struct th_seg s;

	fill();
	plain_handshake();
	gso_in(C + 1460, stream + 1460, 30 * 1460);	/* a hole before it */
	cr_assert_eq(th.rx_len, 0);
	cr_assert(th_pop(&s));
	cr_assert_eq(s.ack, C);
	cr_assert_eq(tho_sack(&s, got, 4), 1);
	cr_assert_eq(got[0][0], C + 1460);
	cr_assert_eq(got[0][1], C + 31 * 1460);
	cr_assert_eq(stack_stats(th.s)->out_of_order, 1);
	th_send(A, C, I, 65535, stream, 1460);		/* the hole */
	cr_assert_eq(th.rx_len, 31 * 1460);
	cr_assert_eq(memcmp(th.rx, stream, th.rx_len), 0);
	cr_assert(th_pop(&s));
	cr_assert_eq(s.ack, C + 31 * 1460);
	cr_assert_eq(tho_sack(&s, got, 4), 0);
}

Test(tcp_offload, rx_gso_beyond_the_window_is_trimmed)
{
	struct th_seg s;

	fill();
	th.rcv_space = 20000;
	plain_handshake();
	/* RFC 9293 §3.10.7.4: acceptable (starts in the window), trimmed to it */
	gso_in(C, stream, 44 * 1460);
	cr_assert_eq(th.rx_len, 20000);
	cr_assert_eq(memcmp(th.rx, stream, th.rx_len), 0);
	cr_assert(th_pop(&s));
	cr_assert_eq(s.ack, C + 20000);
}

Test(tcp_offload, rx_checksum_trusted_only_when_the_link_vouches)
{
	struct stack_offload partial = { .csum = STACK_CSUM_PARTIAL };
	struct stack_offload valid = { .csum = STACK_CSUM_VALID };

	fill();
	plain_handshake();
	/* partial: the field holds only the pseudo-header seed */
	th_send_ex(A, C, I, 65535, NULL, 0, stream, 100, &partial);
	cr_assert_eq(th.rx_len, 100);
	/* verified by the link: whatever the field says */
	th_send_ex(A, C + 100, I, 65535, NULL, 0, stream + 100, 100, &valid);
	cr_assert_eq(th.rx_len, 200);
	cr_assert_eq(stack_stats(th.s)->rx_csum_offloaded, 2);
	/* no claim: verified, and a bad one dropped */
	th_send_opts(TH_CPORT, A, C + 200, I, 65535, NULL, 0, stream + 200, 100, true);
	cr_assert_eq(th.rx_len, 200);
	cr_assert_eq(stack_stats(th.s)->bad_checksum, 1);
	cr_assert_eq(memcmp(th.rx, stream, 200), 0);
}

Test(tcp_offload, rx_contradicting_metadata_dropped_and_counted)
{
	static const uint8_t peer[6] = { 0x02, 0, 0, 0, 0, 0xaa }, us[6] = { 0x02, 0, 0, 0, 0, 1 };
	struct stack_offload bad[] = {
		{ .gso_type = STACK_GSO_OTHER, .gso_size = 1460 },
		{ .gso_type = STACK_GSO_TCPV4, .gso_size = 0 },
		{ .gso_type = 7, .gso_size = 1460 },
		{ .csum = 9 },
		{ .gso_type = STACK_GSO_TCPV4, .gso_size = 1460, .hdr_len = 60000,
		  .csum = STACK_CSUM_PARTIAL },
		{ .csum = STACK_CSUM_PARTIAL, .csum_start = 20 },	/* not the TCP header */
		{ .csum = STACK_CSUM_PARTIAL, .csum_offset = 6 },	/* not its checksum */
		{ .csum = STACK_CSUM_PARTIAL, .csum_start = 4000 },	/* beyond the frame */
	};
	struct stack_offload gso = { .gso_type = STACK_GSO_TCPV4, .gso_size = 1000 };
	uint8_t f[200];
	size_t n;
	unsigned k = sizeof(bad) / sizeof(bad[0]);

	fill();
	plain_handshake();
	for (unsigned i = 0; i < k; i++)
		th_send_ex(A, C, I, 65535, NULL, 0, stream, 3000, &bad[i]);
	/* GSO claimed for an ICMP echo and for an ARP request */
	n = frm_ping(f, us, peer, 0x0a580002u, 0x0a580001u, 1, 1, "x", 1, NULL);
	stack_input_ex(th.s, f, n, &gso, th.now);
	n = frm_arp(f, us, 1, peer, 0x0a580002u, us, 0x0a580001u);
	stack_input_ex(th.s, f, n, &gso, th.now);
	cr_assert_eq(stack_stats(th.s)->drop_offload_bad, k + 2);
	cr_assert_eq(th.rx_len, 0);
	cr_assert_eq(stack_stats(th.s)->bad_checksum, 0);
	th_expect_none();
	/* the connection goes on */
	gso_in(C, stream, 3000);
	cr_assert_eq(th.rx_len, 3000);
	cr_assert_eq(memcmp(th.rx, stream, 3000), 0);
}
