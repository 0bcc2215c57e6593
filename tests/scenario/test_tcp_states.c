/* SPDX-License-Identifier: MIT */
/*
 * test_tcp_states.c - RST and SYN in every synchronized state, table-driven
 * (RFC 9293 §3.10.7.4 first, second and fourth checks with RFC 5961 §3 and
 * §4; tcp_in.c choices 8 and 9): for each of ESTABLISHED, FIN-WAIT-1,
 * FIN-WAIT-2, CLOSE-WAIT, CLOSING, LAST-ACK and TIME-WAIT
 *
 *   RST with SEQ = RCV.NXT          → reset (TIME-WAIT: ends quietly)
 *   RST in the window, not exact    → challenge ACK <SEQ=SND.NXT><ACK=RCV.NXT>
 *   RST outside the window          → dropped, no answer
 *   SYN in or outside the window    → challenge ACK, connection untouched
 *
 * plus the other edge cases not covered elsewhere: urgent data
 * delivered in order and only once, TCP behind IPv4 options, the MSS from
 * the MTU, and a SYN flood answered with cookies while real clients'
 * handshakes (begun before and during it) complete and carry data.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>

#include "stack/stack.h"
#include "tests/support/frames.h"
#include "tests/support/tcp_harness.h"

#define S 0x02
#define A 0x10
#define F 0x01
#define R 0x04
#define P 0x08
#define U 0x20
#define C (TH_CISN + 1)
#define I (TH_ISS + 1)

TestSuite(tcp_states, .init = th_setup, .fini = th_teardown);

/* The synchronized states, each reached by enter_state() */
enum sync_state {
	SS_ESTABLISHED = 0,
	SS_FIN_WAIT_1,
	SS_FIN_WAIT_2,
	SS_CLOSE_WAIT,
	SS_CLOSING,
	SS_LAST_ACK,
	SS_TIME_WAIT,
	SS__COUNT
};

static const char *const ss_names[SS__COUNT] = {
	[SS_ESTABLISHED] = "ESTABLISHED", [SS_FIN_WAIT_1] = "FIN-WAIT-1",
	[SS_FIN_WAIT_2] = "FIN-WAIT-2", [SS_CLOSE_WAIT] = "CLOSE-WAIT",
	[SS_CLOSING] = "CLOSING", [SS_LAST_ACK] = "LAST-ACK",
	[SS_TIME_WAIT] = "TIME-WAIT",
};
_Static_assert(sizeof(ss_names) / sizeof(ss_names[0]) == SS__COUNT, "one name per state");

/**
 * struct where - the connection's sequence state after enter_state()
 * @rcv_nxt:	RCV.NXT
 * @snd_nxt:	SND.NXT
 * @win:	the window field our ACKs carry
 */
struct where {
	uint32_t rcv_nxt, snd_nxt;
	uint16_t win;
};

/**
 * enter_state() - drive a fresh connection into @st
 * @st:	the state
 *
 * Return: RCV.NXT, SND.NXT and our window in that state
 */
static struct where enter_state(enum sync_state st)
{
	struct tcp_conn_info ci;
	struct where w = { C, I, 65535 };

	th_handshake(TH_CISN);
	switch (st) {
	case SS_ESTABLISHED:
		break;
	case SS_FIN_WAIT_1:
	case SS_FIN_WAIT_2:
	case SS_TIME_WAIT:
		tcp_shutdown(th.conn, th.now);
		th_expect(NULL, A | F, I, C, 65535, 0);
		w.snd_nxt = I + 1;
		if (st == SS_FIN_WAIT_1)
			break;
		th_send(A, C, I + 1, 65535, NULL, 0);		/* our FIN ACKed */
		if (st == SS_FIN_WAIT_2)
			break;
		th_send(A | F, C, I + 1, 65535, NULL, 0);
		th_expect(NULL, A, I + 1, C + 1, 65534, 0);
		w.rcv_nxt = C + 1;
		w.win = 65534;
		break;
	case SS_CLOSE_WAIT:
	case SS_LAST_ACK:
		th_send(A | F, C, I, 65535, NULL, 0);
		th_expect(NULL, A, I, C + 1, 65534, 0);
		w.rcv_nxt = C + 1;
		w.win = 65534;
		if (st == SS_LAST_ACK) {
			tcp_shutdown(th.conn, th.now);
			th_expect(NULL, A | F, I, C + 1, 65534, 0);
			w.snd_nxt = I + 1;
		}
		break;
	case SS_CLOSING:
		tcp_shutdown(th.conn, th.now);
		th_expect(NULL, A | F, I, C, 65535, 0);
		th_send(A | F, C, I, 65535, NULL, 0);		/* FINs cross */
		th_expect(NULL, A, I + 1, C + 1, 65534, 0);
		w = (struct where){ C + 1, I + 1, 65534 };
		break;
	case SS__COUNT:
		cr_assert_fail("no such state");
	}
	if (st == SS_TIME_WAIT) {
		cr_assert_eq(stack_stats(th.s)->time_wait, 1);
		cr_assert_eq(th.ev[th.nev - 1].ev, TCP_EV_CLOSED);
	} else {
		tcp_conn_info(th.conn, &ci);
		cr_assert_str_eq(ci.state, ss_names[st]);
	}
	th_expect_none();
	return w;
}

/**
 * still_there() - the connection is unchanged in @st
 * @st:		the state
 * @nev:	events recorded before the segment under test
 */
static void still_there(enum sync_state st, int nev)
{
	struct tcp_conn_info ci;

	cr_assert_eq(th.nev, nev, "%s: no event", ss_names[st]);
	if (st == SS_TIME_WAIT) {
		cr_assert_eq(stack_stats(th.s)->time_wait, 1, "TIME-WAIT kept");
		return;
	}
	tcp_conn_info(th.conn, &ci);
	cr_assert_str_eq(ci.state, ss_names[st]);
}

ParameterizedTestParameters(tcp_states, rst_exact_resets)
{
	static enum sync_state p[] = { SS_ESTABLISHED, SS_FIN_WAIT_1, SS_FIN_WAIT_2,
				       SS_CLOSE_WAIT, SS_CLOSING, SS_LAST_ACK, SS_TIME_WAIT };

	return cr_make_param_array(enum sync_state, p, sizeof(p) / sizeof(p[0]));
}

ParameterizedTest(enum sync_state *st, tcp_states, rst_exact_resets)
{
	struct where w = enter_state(*st);
	int nev = th.nev;

	/* RFC 9293 §3.10.7.4 second check / RFC 5961 §3.2: SEQ = RCV.NXT */
	th_send(R, w.rcv_nxt, 0, 0, NULL, 0);
	th_expect_none();
	if (*st == SS_TIME_WAIT) {
		cr_assert_eq(th.nev, nev, "choice 8: TIME-WAIT ends quietly");
		cr_assert_eq(stack_stats(th.s)->time_wait, 0);
	} else {
		cr_assert_eq(th.nev, nev + 2);
		cr_assert_eq(th.ev[nev].ev, TCP_EV_RESET);
		cr_assert_eq(th.ev[nev + 1].ev, TCP_EV_CLOSED);
		cr_assert_eq(stack_stats(th.s)->connections_active, 0);
	}
	cr_assert_eq(stack_stats(th.s)->resets_received, 1);
	/* the TCB is gone: an ACK now gets <SEQ=SEG.ACK><CTL=RST> */
	th_send(A, w.rcv_nxt, w.snd_nxt, 65535, NULL, 0);
	th_expect(NULL, R, w.snd_nxt, 0, 0, 0);
}

ParameterizedTestParameters(tcp_states, rst_in_window_challenged)
{
	static enum sync_state p[] = { SS_ESTABLISHED, SS_FIN_WAIT_1, SS_FIN_WAIT_2,
				       SS_CLOSE_WAIT, SS_CLOSING, SS_LAST_ACK, SS_TIME_WAIT };

	return cr_make_param_array(enum sync_state, p, sizeof(p) / sizeof(p[0]));
}

ParameterizedTest(enum sync_state *st, tcp_states, rst_in_window_challenged)
{
	struct where w = enter_state(*st);
	int nev = th.nev;

	/* RFC 5961 §3.2: in the window but not exact → challenge ACK */
	th_send(R, w.rcv_nxt + 1, 0, 0, NULL, 0);
	th_expect(NULL, A, w.snd_nxt, w.rcv_nxt, w.win, 0);
	th_send(R | A, w.rcv_nxt + w.win - 1, w.snd_nxt, 0, NULL, 0);	/* last in-window */
	th_expect(NULL, A, w.snd_nxt, w.rcv_nxt, w.win, 0);
	cr_assert_eq(stack_stats(th.s)->challenge_acks, 2);
	cr_assert_eq(stack_stats(th.s)->resets_received, 0);
	still_there(*st, nev);
}

ParameterizedTestParameters(tcp_states, rst_outside_window_dropped)
{
	static enum sync_state p[] = { SS_ESTABLISHED, SS_FIN_WAIT_1, SS_FIN_WAIT_2,
				       SS_CLOSE_WAIT, SS_CLOSING, SS_LAST_ACK, SS_TIME_WAIT };

	return cr_make_param_array(enum sync_state, p, sizeof(p) / sizeof(p[0]));
}

ParameterizedTest(enum sync_state *st, tcp_states, rst_outside_window_dropped)
{
	struct where w = enter_state(*st);
	int nev = th.nev;

	/* RFC 9293 §3.10.7.4 first check: unacceptable, and a RST is never
	 * answered (RFC 5961 §3.2: outside the window → discard) */
	th_send(R, w.rcv_nxt + w.win, 0, 0, NULL, 0);		/* first beyond */
	th_send(R, w.rcv_nxt - 1, 0, 0, NULL, 0);		/* just below */
	th_send(R | A, w.rcv_nxt + 0x40000000u, w.snd_nxt, 0, NULL, 0);
	th_expect_none();
	cr_assert_eq(stack_stats(th.s)->challenge_acks, 0);
	cr_assert_eq(stack_stats(th.s)->resets_received, 0);
	still_there(*st, nev);
}

ParameterizedTestParameters(tcp_states, syn_challenged)
{
	static enum sync_state p[] = { SS_ESTABLISHED, SS_FIN_WAIT_1, SS_FIN_WAIT_2,
				       SS_CLOSE_WAIT, SS_CLOSING, SS_LAST_ACK, SS_TIME_WAIT };

	return cr_make_param_array(enum sync_state, p, sizeof(p) / sizeof(p[0]));
}

ParameterizedTest(enum sync_state *st, tcp_states, syn_challenged)
{
	struct where w = enter_state(*st);
	int nev = th.nev, calls = th.syn_calls;

	/* RFC 9293 §3.10.7.4 fourth check, RFC 5961 §4.2: any SYN → challenge
	 * ACK, in the window (SEQ = RCV.NXT) or not (old, far ahead) */
	th_send(S, w.rcv_nxt, 0, 65535, NULL, 0);
	th_expect(NULL, A, w.snd_nxt, w.rcv_nxt, w.win, 0);
	th_send(S, w.rcv_nxt - 1000, 0, 65535, NULL, 0);
	th_expect(NULL, A, w.snd_nxt, w.rcv_nxt, w.win, 0);
	th_send(S | A, w.rcv_nxt, w.snd_nxt, 65535, NULL, 0);	/* SYN-ACK too */
	th_expect(NULL, A, w.snd_nxt, w.rcv_nxt, w.win, 0);
	if (*st != SS_TIME_WAIT) {
		/* TIME-WAIT: a SYN above RCV.NXT is a new incarnation (choice 9,
		 * tcp_close.time_wait_new_syn_reuses); elsewhere it is challenged */
		th_send(S, w.rcv_nxt + 0x40000000u, 0, 65535, NULL, 0);
		th_expect(NULL, A, w.snd_nxt, w.rcv_nxt, w.win, 0);
	}
	cr_assert_eq(th.syn_calls, calls, "never a new connection");
	cr_assert_eq(stack_stats(th.s)->challenge_acks, *st == SS_TIME_WAIT ? 3 : 4);
	still_there(*st, nev);
}

Test(tcp_states, challenge_acks_rate_limited_across_states)
{
	struct where w = enter_state(SS_CLOSE_WAIT);

	/* RFC 5961 §7: at most 10 per second for the stack */
	for (int i = 0; i < 10; i++) {
		th_send(i % 2 ? S : R, w.rcv_nxt + 5, 0, 65535, NULL, 0);
		th_expect(NULL, A, w.snd_nxt, w.rcv_nxt, w.win, 0);
	}
	th_send(R, w.rcv_nxt + 5, 0, 0, NULL, 0);
	th_send(S, w.rcv_nxt, 0, 65535, NULL, 0);
	th_expect_none();
	th.now += TH_SEC;
	th_send(R, w.rcv_nxt + 5, 0, 0, NULL, 0);
	th_expect(NULL, A, w.snd_nxt, w.rcv_nxt, w.win, 0);
	cr_assert_eq(stack_stats(th.s)->challenge_acks, 11);
}

Test(tcp_states, urgent_data_in_order_exactly_once)
{
	static const char a[] = "0123456789", b[] = "abcdefghij";

	th_handshake(TH_CISN);
	/* URG with the pointer inside the segment, then after it: choice 4,
	 * the urgent byte is ordinary in-line data, delivered once, in place */
	th.urg_ptr = 3;
	th_send(A | U | P, C, I, 65535, a, 10);
	th.urg_ptr = 15;
	th_send(A | U | P, C + 10, I, 65535, b, 10);
	th.urg_ptr = 0;
	th_send(A | P, C + 20, I, 65535, "!", 1);
	cr_assert_eq(th.rx_len, 21);
	cr_assert_eq(memcmp(th.rx, "0123456789abcdefghij!", 21), 0);
	/* a retransmission of the URG segment delivers nothing again */
	th.urg_ptr = 3;
	th_send(A | U | P, C, I, 65535, a, 10);
	th.urg_ptr = 0;
	th_expect(NULL, A, I, C + 21, 65535 - 21, 0);
	cr_assert_eq(th.rx_len, 21);
}

Test(tcp_states, tcp_behind_ip_options)
{
	static const struct frm_ip4_opts opts = { .ihl = 15 };	/* 40 bytes of NOPs */
	struct th_seg sa;

	th.ip_opts = &opts;
	th_send(S, TH_CISN, 0, 65535, NULL, 0);
	th_expect(&sa, S | A, TH_ISS, C, 65535, 0);
	th_send(A, C, I, 65535, NULL, 0);
	th_send(A | P, C, I, 65535, "options", 7);
	cr_assert_eq(th.rx_len, 7);
	cr_assert_eq(memcmp(th.rx, "options", 7), 0);
	th.ip_opts = NULL;
	cr_assert_eq(stack_stats(th.s)->drop_ip_bad_header, 0);
}

/**
 * mss_for_mtu() - the MSS our SYN-ACK offers on a link of @mtu, and the
 * segment size used toward a peer offering @peer
 * @mtu:	link MTU
 * @peer:	the client's MSS option
 * @ours:	filled: the SYN-ACK's MSS option
 * @used:	filled: the size of a full data segment we send
 */
static void mss_for_mtu(uint16_t mtu, uint16_t peer, int *ours, size_t *used)
{
	uint8_t o[4] = { 2, 4, (uint8_t)(peer >> 8), (uint8_t)peer };
	struct th_seg sa, d;

	th_teardown();
	th_config_default();
	th.cfg.mtu = mtu;
	th_setup_cfg();
	th_send_opts(TH_CPORT, S, TH_CISN, 0, 65535, o, 4, NULL, 0, false);
	th_expect(&sa, S | A, TH_ISS, C, 65535, 0);
	*ours = sa.mss;
	th_send(A, C, I, 65535, NULL, 0);
	th_write(NULL, 20000);
	cr_assert(th_pop(&d));
	*used = d.dlen;
	while (th_pop(&d))
		;
}

Test(tcp_states, mss_from_mtu_rfc6691)
{
	int ours;
	size_t used;

	/* RFC 6691 / RFC 9293 §3.7.1: MSS = MTU - 20 (IP) - 20 (TCP) */
	mss_for_mtu(1500, 1460, &ours, &used);
	cr_assert_eq(ours, 1460);
	cr_assert_eq(used, 1460);
	mss_for_mtu(1280, 1460, &ours, &used);
	cr_assert_eq(ours, 1240);
	cr_assert_eq(used, 1240, "never above our own link's MSS");
	mss_for_mtu(576, 1460, &ours, &used);
	cr_assert_eq(ours, 536);
	cr_assert_eq(used, 536);
	mss_for_mtu(9000, 1000, &ours, &used);
	cr_assert_eq(ours, 8960);
	cr_assert_eq(used, 1000, "the peer's smaller MSS is respected");
}

/* --- a SYN flood answered with cookies while real handshakes complete --- */

#define FLOOD_THRESHOLD	2
#define FLOOD_SYNS	500

/**
 * flood_setup() - cookies at FLOOD_THRESHOLD half-open connections
 */
static void flood_setup(void)
{
	th_config_default();
	th.cfg.syncookie_threshold = FLOOD_THRESHOLD;
	th_setup_cfg();
}

TestSuite(tcp_flood, .init = flood_setup, .fini = th_teardown);

/**
 * flood() - @n SYNs from ports @base.., in the client subnet; each answered
 * @base:	first client port
 * @n:		SYNs
 *
 * Return: how many SYN-ACKs came back
 */
static int flood(int base, int n)
{
	struct th_seg sa;
	int answered = 0;

	for (int i = 0; i < n; i++) {
		th_send_opts((uint16_t)(base + i), S, 777000u + (uint32_t)i, 0, 65535,
			     NULL, 0, NULL, 0, false);
		while (th_pop(&sa))
			answered += sa.flags == (S | A);
	}
	return answered;
}

/**
 * exchange() - data both ways on @c from @cport, client at @cseq, us at @sseq
 * @c:		the connection
 * @cport:	client port
 * @cseq:	client's next sequence number
 * @sseq:	our next sequence number
 */
static void exchange(struct tcp_conn *c, uint16_t cport, uint32_t cseq, uint32_t sseq)
{
	struct th_seg d;
	size_t rx0 = th.rx_len;

	th_send_opts(cport, A | P, cseq, sseq, 65535, NULL, 0, NULL, 0, false);
	th_send_opts(cport, A | P, cseq, sseq, 65535, NULL, 0, "request", 7, false);
	cr_assert_eq(th.rx_len, rx0 + 7);
	cr_assert_eq(memcmp(th.rx + rx0, "request", 7), 0);
	th.conn = c;
	th_write("response", 8);
	cr_assert(th_pop(&d));
	cr_assert_eq(d.dport, cport);
	cr_assert_eq(d.seq, sseq);
	cr_assert_eq(d.dlen, 8);
	cr_assert_eq(memcmp(d.data, "response", 8), 0);
	th_send_opts(cport, A, cseq + 7, sseq + 8, 65535, NULL, 0, NULL, 0, false);
	cr_assert_eq(th.tx_acked, th.tx_len);
}

Test(tcp_flood, cookies_while_a_real_handshake_begun_before_completes)
{
	const struct stack_stats *st = stack_stats(th.s);
	struct tcp_conn *real;
	struct th_seg sa;

	/* a real client's SYN before the flood gets state and the fixed ISN */
	th_send_opts(45000, S, TH_CISN, 0, 65535, NULL, 0, NULL, 0, false);
	th_expect(&sa, S | A, TH_ISS, C, 65535, 0);
	real = th.conn;
	cr_assert_eq(flood(1024, FLOOD_SYNS), FLOOD_SYNS, "every flood SYN answered");
	/* FLOOD_THRESHOLD - 1 flood SYNs got state, the rest cookies */
	cr_assert_eq(st->syncookies_sent, FLOOD_SYNS - (FLOOD_THRESHOLD - 1));
	cr_assert_eq(st->connections_active, FLOOD_THRESHOLD);
	cr_assert_eq(th.syn_calls, FLOOD_THRESHOLD);
	/* its handshake completes in the middle of the flood */
	th_send_opts(45000, A, C, I, 65535, NULL, 0, NULL, 0, false);
	cr_assert_eq(th_count_ev(TCP_EV_ESTABLISHED), 1);
	cr_assert_eq(th.ev[th.nev - 1].c, real);
	exchange(real, 45000, C, I);
	/* one half-open fewer: the next flood SYN gets state, then cookies */
	cr_assert_eq(flood(2048, FLOOD_SYNS), FLOOD_SYNS);
	cr_assert_eq(st->syncookies_sent, 2 * (FLOOD_SYNS - (FLOOD_THRESHOLD - 1)));
	cr_assert_eq(st->connections_active, FLOOD_THRESHOLD + 1, "the flood holds no more state");
}

Test(tcp_flood, cookies_while_a_real_handshake_begun_during_completes)
{
	const struct stack_stats *st = stack_stats(th.s);
	uint32_t cookie;
	struct th_seg sa;

	cr_assert_eq(flood(1024, FLOOD_SYNS), FLOOD_SYNS);
	cr_assert_eq(st->syncookies_sent, FLOOD_SYNS - FLOOD_THRESHOLD);
	/* a real client during the flood: a cookie SYN-ACK, no state, no
	 * ops.syn() until its ACK returns the cookie */
	th_send_opts(45001, S, TH_CISN, 0, 65535, NULL, 0, NULL, 0, false);
	cr_assert(th_pop(&sa));
	cr_assert_eq(sa.flags, S | A);
	cr_assert_eq(sa.ack, C);
	cookie = sa.seq;
	cr_assert_eq(th.syn_calls, FLOOD_THRESHOLD);
	cr_assert_eq(st->syncookies_sent, FLOOD_SYNS - FLOOD_THRESHOLD + 1);
	cr_assert_eq(flood(2048, FLOOD_SYNS / 2), FLOOD_SYNS / 2, "the flood goes on");
	th_send_opts(45001, A, C, cookie + 1, 65535, NULL, 0, NULL, 0, false);
	cr_assert_eq(st->syncookies_accepted, 1);
	cr_assert_eq(th.syn_calls, FLOOD_THRESHOLD + 1);
	cr_assert_eq(th.ev[th.nev - 1].ev, TCP_EV_ESTABLISHED);
	exchange(th.conn, 45001, C, cookie + 1);
	cr_assert_eq(st->connections_active, FLOOD_THRESHOLD + 1);
	cr_assert_eq(st->syncookies_failed, 0);
}
