/* SPDX-License-Identifier: MIT */
/*
 * tcp_in.c - segment arrival (RFC 9293 §3.10.7), one function per step
 *
 * Theory of operation
 * -------------------
 * tcp_input() validates the header (length, data offset, checksum), parses
 * the options and looks the 4-tuple up. With no connection the segment goes
 * to tcp_in_listen() (RFC 9293 §3.10.7.1 CLOSED / §3.10.7.2 LISTEN: the stack
 * listens implicitly, ops.syn() decides); otherwise tcp_in_conn() runs the
 * checks of §3.10.7.4 in RFC order: sequence number, RST (with RFC 5961 §3),
 * SYN (RFC 5961 §4), ACK, text, FIN; and finally tcp_out_push() sends what
 * the segment made possible (data, FIN, an ACK).
 *
 * States: SYN-RECEIVED (pending or SYN-ACK sent), ESTABLISHED, FIN-WAIT-1,
 * FIN-WAIT-2, CLOSE-WAIT, CLOSING, LAST-ACK, TIME-WAIT. Passive open only.
 *
 * Choices the RFCs leave open, each covered by a test in tests/scenario/:
 *
 *  1. Segment for no connection: RFC 9293 §3.10.7.1 RST: with ACK
 *     <SEQ=SEG.ACK><CTL=RST>, else <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
 *     Never an answer to a RST.
 *  2. SYN with data: the data is not delivered and not acknowledged (the
 *     SYN-ACK acknowledges the SYN only); the peer retransmits it after the
 *     handshake. No state is kept for it.
 *  3. SYN+FIN: dropped silently (counted drop_tcp_bad_header).
 *  4. URG: the urgent pointer is ignored; urgent data is delivered in-line as
 *     ordinary data (RFC 6093 recommends not relying on it).
 *  5. Out-of-order segments (tcp_reasm.c) are queued, counted out_of_order,
 *     and answered with an immediate duplicate ACK carrying SACK blocks
 *     (RFC 5681 §4.2, RFC 2018 §4); so is a segment that fills a hole,
 *     after the queued data behind it went to ops.deliver(). Their ACK field
 *     is processed as usual. Overlaps keep the first queued copy; in-order
 *     bytes go straight to the application. Caps: cfg.ooo_per_conn chunks
 *     (one MSS each, default 1024) per connection and cfg.ooo_pool for the
 *     stack (default min(max_conns * ooo_per_conn, 8192), reserved at
 *     start, resident as used); a segment that does not fit is dropped
 *     whole (drop_tcp_ooo_full) and the
 *     client retransmits it. Queued data the application does not take
 *     stays queued (SACKed, not acknowledged) and is offered again at the
 *     next segment or tcp_window_update(). A bare ACK beyond RCV.NXT is not
 *     answered. A FIN beyond a hole waits for it (the first FIN position
 *     seen counts); SACK blocks cover data bytes only.
 *  6. Data beyond the window is trimmed; data the application does not take
 *     (ops.deliver() returns less) is dropped unacknowledged (counted
 *     drop_tcp_rcv_full) with an immediate ACK; a FIN behind it waits.
 *  7. A zero window: a segment with data at RCV.NXT still has its ACK and
 *     window processed (RFC 9293 §3.10.7.4 allows ACK, URG, RST), the data is
 *     dropped and an ACK is sent (the answer to a zero-window probe).
 *  8. RST (RFC 5961 §3.2): exactly RCV.NXT → reset (TCP_EV_RESET, then
 *     TCP_EV_CLOSED), in the window but not exact → challenge ACK, outside →
 *     dropped. In TIME-WAIT an exact RST ends TIME-WAIT quietly (RFC 9293
 *     §3.10.7.4; the application already had TCP_EV_CLOSED).
 *  9. SYN in a synchronized state (RFC 5961 §4): challenge ACK, in or out of
 *     the window. In SYN-RECEIVED a retransmission of the original SYN gets
 *     the SYN-ACK again (or nothing while pending); any other SYN returns the
 *     connection to LISTEN (RFC 9293 §3.10.7.4 fourth check): it is dropped
 *     with TCP_EV_RESET, TCP_EV_CLOSED. In TIME-WAIT a SYN above RCV.NXT
 *     starts a new connection (RFC 9293 §3.10.7.4 / RFC 1122 §4.2.2.13).
 *  10. Challenge ACKs are limited to 10 per second per stack (RFC 5961 §7).
 *  11. ACK above SND.MAX (data not sent yet): ACK and drop (RFC 9293
 *      §3.10.7.4 fifth check); below SND.UNA - MAX.SND.WND: ACK and drop
 *      (RFC 5961 §5.2).
 *  12. Pending connection (no SYN-ACK yet): a retransmitted SYN is ignored, an
 *      exact RST (SEQ = IRS + 1) resets it, anything else is dropped.
 *  13. Peer MSS (RFC 9293 §3.7.1): 536 if absent, clamped to [64, MTU - 40].
 *  14. Malformed options (length 0 or 1, running past the header): option
 *      parsing stops there, the segment is processed (tcp_opt.c).
 *  15. TIME-WAIT lasts 2 s and at most max_conns/4 connections are held in
 *      it; past that, a connection goes straight to CLOSED (tcp_conn.c).
 *  16. FIN-WAIT-2 has no time limit: the application still owns the
 *      connection (TCP_EV_CLOSED comes only with TIME-WAIT), so a half-close
 *      lasts as long as it wants and its own timeouts (tcp_abort()) bound it;
 *      keep-alive (choice 24), when on, still detects a dead peer.
 *  17. Delayed ACK: once two full-sized segments' worth of bytes (MSS, less
 *      12 with timestamps) is unacknowledged, the ACK goes at once, otherwise
 *      within 40 ms; out-of-order data, FIN, data not taken and
 *      window updates at once.
 *  18. ops.syn() REJECT: RST,ACK; the connection still gets TCP_EV_CLOSED, so
 *      the contract "valid from ops.syn() until TCP_EV_CLOSED" always holds.
 *  19. SYN cookies (RFC 4987 §3.6, syncookie.c): with cfg.syncookie_threshold
 *      connections half-open, a SYN gets a cookie SYN-ACK and no state (only
 *      MSS offered, window 65535; ops.syn() is not called yet). An ACK for
 *      no connection within 192 s of the last cookie is checked: valid →
 *      the connection is created and ops.syn() asked (stack.h "SYN
 *      cookies"); invalid → RST as in choice 1, counted syncookies_failed.
 *  20. Window scaling (RFC 7323 §2) only if the SYN carries the option; our
 *      shift is the smallest that lets 65535 << shift reach TCP_RCV_WND_MAX
 *      (4 MiB): 7. A received shift above 14 is used as 14 (§2.3). The
 *      SYN-ACK's window is not scaled and at most 65535 (§2.2); every later
 *      window field is, both ways. Our field is the window shifted right,
 *      rounded up only when rounding down would move the right edge we
 *      advertised to the left (§2.4, tcp_out.c).
 *  21. SACK (RFC 2018): SACK-permitted answered only when offered; SACK
 *      blocks (newest first, 3 next to timestamps, else 4) on every segment
 *      while data is queued out of order. D-SACK (RFC 2883 §4): data that
 *      arrives again below RCV.NXT (an old segment, the old part of a
 *      partly new one, one dropped by PAWS) is reported as the first block
 *      of the immediate ACK, once; a duplicate of data held out of order is
 *      not reported. The client's blocks are parsed into seg->opt.sack[]
 *      for the send side.
 *  22. Timestamps (RFC 7323 §3-§5) only if the SYN carries them; TSval is the
 *      stack clock in ms, TSecr = TS.Recent, on every non-RST segment; the
 *      payload room is SND.MSS - 12. TS.Recent is updated from acceptable
 *      segments with SEG.SEQ =< Last.ACK.sent and SEG.TSval >= TS.Recent
 *      (§4.3). PAWS (§5.3 R1): a non-RST segment with SEG.TSval < TS.Recent
 *      is dropped (drop_tcp_paws) with an ACK, unless TS.Recent is older
 *      than 24 days (§5.5), in which case the segment is taken and its TSval
 *      becomes TS.Recent. Once negotiated, a non-RST segment without
 *      timestamps is dropped silently (drop_tcp_no_ts), following RFC 7323
 *      §3.2's SHOULD rather than Linux's leniency; a RST is judged on its
 *      sequence number alone, with or without timestamps.
 *  23. RTT with timestamps (RFC 7323 §4): every ACK that advances SND.UNA
 *      gives a sample now - TSecr (ms resolution) to RFC 6298, retransmitted
 *      segments included; the one-segment timer is used only without them.
 *  24. Keep-alive (RFC 1122 §4.2.3.6): off unless cfg.keepalive_idle_s; see
 *      tcp_timer.c. Probes <SEQ=SND.NXT-1> without data, every
 *      keepalive_intvl_s (75 s), abort (RST, TCP_EV_TIMEOUT) after
 *      keepalive_count (9) unanswered; any acceptable segment answers.
 *  25. SACK scoreboard (RFC 2018, tcp_sack.c): at most 8 merged ranges per
 *      connection, no allocation; when full, the highest range is
 *      forgotten. Ignored without effect: a block with left >= right, one
 *      ending beyond SND.MAX, one ending at or below SEG.ACK (stale, or a
 *      D-SACK, RFC 2883 §4), a first block inside the second (D-SACK); a
 *      block reaching below SEG.ACK is cut at it. SACKed bytes are never
 *      released to the application before SND.UNA passes them (reneging).
 *  26. SACK loss recovery (RFC 6675 §5): a duplicate ACK is an ACK of
 *      SND.UNA, data outstanding, that SACKs new bytes (window and payload
 *      don't matter, §2). Recovery starts at 3 of them or when IsLost
 *      (SND.UNA) (3 ranges, or more than 2 SMSS SACKed above it), never
 *      again before SND.UNA reaches the previous RecoveryPoint; it resends
 *      the first hole at once, then NextSeg() rules 1-4 (rescue included)
 *      while cwnd - pipe >= SMSS, and ends when SND.UNA reaches
 *      RecoveryPoint. Counted fast_retransmits and sack_recoveries. A
 *      retransmission carries PSH only if it ends at the last byte held.
 *  27. RTO (RFC 6298 §5.4-5.7): loss recovery ends, RecoveryPoint = SND.MAX
 *      (RFC 6675 §5.1), the scoreboard is cleared (RFC 2018 §8: the
 *      receiver may have reneged) and everything from SND.UNA is sent again
 *      (go-back-N); blocks that arrive after the RTO are recorded again and
 *      go-back-N steps over them. With SACK, a timeout whose retransmissions
 *      are all reported as duplicates by D-SACKs (RFC 3708) before SND.UNA
 *      reaches that RecoveryPoint was spurious (an ACK was lost, not data):
 *      cwnd, ssthresh and W_max from before it come back (RFC 4015,
 *      tcp_cc.c), counted spurious_undos.
 *  28. Karn's rule (RFC 6298 §3) without timestamps: any retransmission
 *      cancels the running RTT measurement, and none starts during loss
 *      recovery (new data sent then is acknowledged only once the holes are
 *      filled). With timestamps, choice 23.
 *  29. NewReno without SACK (RFC 6582 §3.2): 3 duplicate ACKs (RFC 5681 §2
 *      definition) → ssthresh reduced, cwnd = ssthresh + 3 SMSS, each
 *      further one inflates by SMSS; a partial ACK resends the first
 *      unacknowledged segment, deflates by the bytes acked (adding SMSS back
 *      if at least SMSS was acked) and restarts the RTO ("Slow-but-Steady",
 *      §4.1); the full ACK sets cwnd = ssthresh (step 3 option 2).
 *  30. Congestion control (tcp_cc.c): CUBIC by default, NewReno with
 *      cfg.cc = STACK_CC_NEWRENO. Initial window min(10 MSS, max(2 MSS,
 *      14600)) (RFC 6928). The decrease uses FlightSize: /2 for NewReno, * 0.7
 *      for CUBIC, also after an RTO (RFC 9438 §4.8), at least 2 SMSS, once
 *      per RTO series; cwnd after an RTO is 1 SMSS. cwnd grows only when
 *      the sender used it (slow start: FlightSize > cwnd / 2; avoidance:
 *      FlightSize > cwnd - SMSS), so an application-limited sender keeps it.
 *  31. RFC 8985 with SACK (tcp_tlp.c), for application-limited flights that
 *      never collect three duplicate ACKs: a tail loss probe after PTO =
 *      2 SRTT (+ 200 ms WCDelAckT with one segment out, never after the
 *      RTO): new data if the peer's window allows, else the highest segment
 *      again; one per episode; a probe that repaired a loss (ACK beyond it,
 *      no D-SACK for it) reduces cwnd. RACK's time rule without per-segment
 *      times: outside recovery a hole below SACKed data is lost min_RTT / 4
 *      after the SACK (send order = sequence order there), and starts RFC
 *      6675 recovery; in recovery a retransmission is lost once data sent
 *      after it is SACKed and min_RTT / 4 passed: it is resent and cwnd is
 *      lowered a second time (RFC 5681 §4.3). Counted tlp_probes,
 *      tlp_recoveries, rack_losses. A lost retransmission with nothing sent
 *      after it, and a lost single last segment (PTO = RTO then), still
 *      wait for the RTO.
 */
#include <string.h>
#include <arpa/inet.h>

#include "stack/checksum.h"
#include "stack/tcp_internal.h"

/* What a processing step tells tcp_in_conn() */
enum tcp_in_verdict {
	TCP_IN_CONTINUE = 0,	/* go on with the next step */
	TCP_IN_DONE,		/* stop here, then push (data, FIN, ACK) */
	TCP_IN_GONE,		/* the connection was closed: touch nothing */
	TCP_IN_REUSE,		/* TIME-WAIT closed for a new SYN: treat as LISTEN */
};

/**
 * tcp_data_una() - sequence number of the application's offset 0
 * @c:	the connection
 *
 * Return: ISS + 1 while the SYN is not acknowledged, else SND.UNA
 */
uint32_t tcp_data_una(const struct tcp_conn *c)
{
	return c->snd_una == c->iss ? c->iss + 1 : c->snd_una;
}

/**
 * tcp_in_rcv_wnd() - RCV.WND as the peer knows it
 * @c:	the connection
 *
 * Return: the right edge we advertised minus RCV.NXT
 */
static uint32_t tcp_in_rcv_wnd(const struct tcp_conn *c)
{
	return seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
}

/**
 * tcp_in_our_wscale() - our window shift (choice 20)
 *
 * Return: the smallest shift with 65535 << shift >= TCP_RCV_WND_MAX, <= 14
 */
static int8_t tcp_in_our_wscale(void)
{
	int8_t shift = 0;

	while (shift < TCP_WS_MAX && ((uint64_t)TCP_WIN_MAX << shift) < TCP_RCV_WND_MAX)
		shift++;
	return shift;
}

/**
 * tcp_in_negotiate() - answer the options of the client's SYN
 * @c:		the connection (snd_mss set)
 * @seg:	the SYN
 *
 * Window scaling, timestamps and SACK are each on only if the SYN offered
 * them (RFC 7323 §1.3, §2.2, §3.2; RFC 2018 §2); choices 20-22.
 */
static void tcp_in_negotiate(struct tcp_conn *c, const struct tcp_seg *seg)
{
	if (seg->opt.ws_ok) {
		/* RFC 7323 §2.3: a shift above 14 is used as 14 */
		c->snd_wscale = (int8_t)(seg->opt.ws > TCP_WS_MAX ? TCP_WS_MAX : seg->opt.ws);
		c->rcv_wscale = tcp_in_our_wscale();
	}
	if (seg->opt.ts_ok) {
		c->ts_ok = true;
		c->ts_recent = seg->opt.tsval;		/* RFC 7323 §4.3: from the SYN */
		c->ts_recent_at = c->s->now;
		/* RFC 7323 §3.2 / RFC 6691: options come out of the MSS */
		if (c->snd_mss > TCP_MSS_MIN + TCP_TS_OPT_LEN)
			c->snd_mss = (uint16_t)(c->snd_mss - TCP_TS_OPT_LEN);
	}
	c->sack_ok = seg->opt.sack_perm;		/* RFC 2018 §2 */
	c->last_ack_sent = c->rcv_nxt;
}

/**
 * tcp_in_init_conn() - set up a TCB from a SYN (RFC 9293 §3.10.7.2)
 * @c:		the new connection
 * @seg:	the SYN
 */
static void tcp_in_init_conn(struct tcp_conn *c, const struct tcp_seg *seg)
{
	struct stack *s = c->s;
	uint32_t ours = s->cfg.mtu - 40u, mss;

	c->irs = seg->seq;
	c->rcv_nxt = seg->seq + 1;		/* the SYN only, see choice 2 */
	c->rcv_adv = c->rcv_nxt;
	c->iss = s->cfg.isn_fixed ? s->cfg.isn_fixed
				  : isn_generate(s->tcp->isn_key, &c->tuple, s->now);
	c->snd_una = c->snd_nxt = c->snd_max = c->iss;
	c->snd_wnd = seg->wnd;			/* RFC 7323 §2.2: never scaled in a SYN */
	c->max_snd_wnd = seg->wnd;
	c->snd_wl1 = seg->seq;
	c->snd_wl2 = c->iss;
	tcp_sack_clear(c);			/* scoreboard edges at SND.UNA */
	c->rcv_mss = (uint16_t)(ours > 65535 ? 65535 : ours);
	/* RFC 9293 §3.7.1: 536 without the option; choice 13 */
	mss = seg->opt.mss_ok ? seg->opt.mss : TCP_MSS_DEFAULT;
	if (mss > c->rcv_mss)
		mss = c->rcv_mss;
	if (mss < TCP_MSS_MIN)
		mss = TCP_MSS_MIN;
	c->snd_mss = (uint16_t)mss;
	tcp_in_negotiate(c, seg);
	c->rto_us = TCP_RTO_INIT_US;		/* RFC 6298 §2.1 */
	tcp_cc_init(c);
	tcp_conn_set_state(c, TCP_S_SYN_RECEIVED);
}

/**
 * tcp_in_syn() - a SYN for no connection: ask the application (LISTEN)
 * @s:		the stack
 * @tu:		its tuple
 * @seg:	the SYN (no ACK, no RST)
 */
static void tcp_in_syn(struct stack *s, const struct tcp_tuple *tu,
		       const struct tcp_seg *seg)
{
	struct tcp_conn *c;
	enum stack_syn_verdict v;

	if (seg->flags & TCP_FIN) {		/* choice 3 */
		STAT_DROP(s, drop_tcp_bad_header);
		return;
	}
	if (syncookie_active(s)) {		/* choice 19: no state under pressure */
		STAT_INC(s, syn_received);
		syncookie_send(s, tu, seg);
		return;
	}
	c = tcp_conn_alloc(s, tu);
	if (!c) {
		STAT_DROP(s, syn_dropped);
		return;
	}
	STAT_INC(s, syn_received);
	tcp_in_init_conn(c, seg);
	v = s->cfg.ops->syn(s->cfg.app, c, &c->tuple);
	switch (v) {
	case STACK_SYN_ACCEPT:
		STAT_INC(s, connections_total);
		tcp_out_synack(c);
		return;
	case STACK_SYN_PENDING:
		STAT_INC(s, connections_total);
		c->flags |= TCP_CF_PENDING;
		tcp_timer_set(c, TCP_T_PENDING, s->now + TCP_PENDING_US);
		return;
	case STACK_SYN_REJECT:
	default:
		STAT_INC(s, syn_rejected);
		tcp_out_rst_reply(s, tu, seg);	/* RFC 9293 §3.10.7.1; choice 18 */
		tcp_conn_close(c);
		return;
	}
}

static bool tcp_in_conn(struct tcp_conn *c, struct tcp_seg *seg);

/**
 * tcp_in_cookie_ack() - choice 19: an ACK for no connection may return a cookie
 * @s:		the stack
 * @tu:		its tuple
 * @seg:	the segment: ACK without SYN or RST
 *
 * A valid cookie (syncookie.c) recreates the SYN-RECEIVED TCB the SYN would
 * have made (ISS = SEG.ACK - 1, IRS = SEG.SEQ - 1, the MSS from the cookie,
 * no other options) and asks ops.syn(): ACCEPT completes the handshake with
 * this very segment, PENDING holds the connection until tcp_accept(), REJECT
 * answers RST. An invalid one gets the RST of RFC 9293 §3.10.7.1.
 *
 * Return: true if the segment was handled here
 */
static bool tcp_in_cookie_ack(struct stack *s, const struct tcp_tuple *tu,
			      struct tcp_seg *seg)
{
	struct tcp_seg syn = { .seq = seg->seq - 1, .len = 1, .wnd = seg->wnd,
			       .flags = TCP_SYN };
	enum stack_syn_verdict v;
	struct tcp_conn *c;
	uint16_t mss;

	if (!syncookie_recent(s))
		return false;
	if (syncookie_check(s, tu, seg, &mss)) {
		STAT_INC(s, syncookies_failed);
		tcp_out_rst_reply(s, tu, seg);	/* <SEQ=SEG.ACK><CTL=RST> */
		return true;
	}
	c = tcp_conn_alloc(s, tu);
	if (!c) {
		STAT_DROP(s, syn_dropped);	/* the client retransmits */
		return true;
	}
	syn.opt.mss_ok = true;
	syn.opt.mss = mss;
	tcp_in_init_conn(c, &syn);
	c->flags |= TCP_CF_COOKIE;
	c->iss = seg->ack - 1;
	c->snd_una = c->iss;
	c->snd_nxt = c->snd_max = c->iss + 1;	/* our SYN-ACK was sent */
	c->snd_wl2 = c->iss;
	tcp_sack_clear(c);
	c->rcv_adv = c->rcv_nxt + 65535u;	/* the cookie SYN-ACK's window */
	v = s->cfg.ops->syn(s->cfg.app, c, &c->tuple);
	switch (v) {
	case STACK_SYN_ACCEPT:
		STAT_INC(s, connections_total);
		STAT_INC(s, syncookies_accepted);
		tcp_in_conn(c, seg);		/* SYN-RECEIVED + this ACK */
		return true;
	case STACK_SYN_PENDING:
		STAT_INC(s, connections_total);
		STAT_INC(s, syncookies_accepted);
		c->flags |= TCP_CF_PENDING;
		c->snd_wnd = seg->wnd;		/* taken by syncookie_establish() */
		c->snd_wl1 = seg->seq;
		c->snd_wl2 = seg->ack;
		if (seg->wnd > c->max_snd_wnd)
			c->max_snd_wnd = seg->wnd;
		if (seg->dlen || (seg->flags & TCP_FIN))
			STAT_DROP(s, drop_tcp_rcv_full);	/* held: resent later */
		tcp_timer_set(c, TCP_T_PENDING, s->now + TCP_PENDING_US);
		return true;
	case STACK_SYN_REJECT:
	default:
		STAT_INC(s, syn_rejected);
		tcp_out_rst_reply(s, tu, seg);	/* the client is ESTABLISHED: <SEQ=SEG.ACK> */
		tcp_conn_close(c);
		return true;
	}
}

/**
 * tcp_in_listen() - RFC 9293 §3.10.7.1/§3.10.7.2: segment for no connection
 * @s:		the stack
 * @tu:		its tuple
 * @seg:	the segment
 */
static void tcp_in_listen(struct stack *s, const struct tcp_tuple *tu,
			  struct tcp_seg *seg)
{
	/* RFC 9293 §3.10.7.1: an incoming RST is discarded */
	if (seg->flags & TCP_RST) {
		STAT_DROP(s, drop_tcp_no_conn_table);
		return;
	}
	/* RFC 9293 §3.10.7.2 second check: any ACK is bad → <SEQ=SEG.ACK><CTL=RST> */
	if (seg->flags & TCP_ACK) {
		if (!(seg->flags & TCP_SYN) && tcp_in_cookie_ack(s, tu, seg))
			return;
		tcp_out_rst_reply(s, tu, seg);
		return;
	}
	if (seg->flags & TCP_SYN) {
		tcp_in_syn(s, tu, seg);
		return;
	}
	/* RFC 9293 §3.10.7.1: no connection → <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> */
	tcp_out_rst_reply(s, tu, seg);
}

/**
 * tcp_in_acceptable() - RFC 9293 §3.10.7.4 first check, the four cases
 * @c:		the connection
 * @seg:	the segment
 *
 * Return: true if the segment is acceptable
 */
static bool tcp_in_acceptable(const struct tcp_conn *c, const struct tcp_seg *seg)
{
	uint32_t wnd = tcp_in_rcv_wnd(c), nxt = c->rcv_nxt;

	if (seg->len == 0)
		return wnd == 0 ? seg->seq == nxt : seq_between(seg->seq, nxt, nxt + wnd);
	if (wnd == 0)
		return false;
	return seq_between(seg->seq, nxt, nxt + wnd) ||
	       seq_between(seg->seq + seg->len - 1, nxt, nxt + wnd);
}

/**
 * tcp_in_trim() - keep only the part of an acceptable segment inside the window
 * @c:		the connection
 * @seg:	the segment, adjusted in place (seq, data, dlen, len, FIN flag)
 */
static void tcp_in_trim(const struct tcp_conn *c, struct tcp_seg *seg)
{
	uint32_t wnd = tcp_in_rcv_wnd(c), room;

	if (seq_lt(seg->seq, c->rcv_nxt)) {
		uint32_t skip = c->rcv_nxt - seg->seq;

		if (skip > seg->dlen)
			skip = seg->dlen;
		seg->data += skip;
		seg->dlen -= skip;
		seg->seq += skip;
		seg->len -= skip;
	}
	room = seq_gt(c->rcv_nxt + wnd, seg->seq) ? c->rcv_nxt + wnd - seg->seq : 0;
	if (seg->dlen > room) {
		seg->dlen = room;
		seg->flags &= (uint8_t)~TCP_FIN;	/* the FIN is beyond the window */
	}
	seg->len = seg->dlen + !!(seg->flags & TCP_FIN);
}

/**
 * tcp_in_zero_window_probe() - choice 7: data into a zero window at RCV.NXT
 * @c:		the connection
 * @seg:	the segment; its data and FIN are dropped
 *
 * Return: true if it was such a segment (now treated as zero-length)
 */
static bool tcp_in_zero_window_probe(struct tcp_conn *c, struct tcp_seg *seg)
{
	if (tcp_in_rcv_wnd(c) != 0 || seg->len == 0 || seg->seq != c->rcv_nxt ||
	    (seg->flags & (TCP_SYN | TCP_RST)))
		return false;
	seg->dlen = 0;
	seg->len = 0;
	seg->flags &= (uint8_t)~TCP_FIN;
	c->flags |= TCP_CF_ACK_NOW;
	return true;
}

/**
 * tcp_in_ts_recent_valid() - is TS.Recent still usable for PAWS?
 * @c:	the connection
 *
 * Return: false after 24 days without an update (RFC 7323 §5.5)
 */
static bool tcp_in_ts_recent_valid(const struct tcp_conn *c)
{
	return c->s->now - c->ts_recent_at <= TCP_PAWS_IDLE_US;
}

/**
 * tcp_in_note_dup() - RFC 2883: report the part of @seg below RCV.NXT
 * @c:		the connection
 * @seg:	a data segment (before trimming), acceptable or not
 *
 * With SACK negotiated, data that arrives again below RCV.NXT is reported
 * as the first SACK block (a D-SACK, RFC 2883 §4) of the immediate ACK, so
 * the sender learns that its retransmission was not needed.
 */
static void tcp_in_note_dup(struct tcp_conn *c, const struct tcp_seg *seg)
{
	uint32_t end = seg->seq + seg->dlen;

	if (!c->sack_ok || !seg->dlen || (seg->flags & (TCP_SYN | TCP_RST)) ||
	    !seq_lt(seg->seq, c->rcv_nxt))
		return;
	c->dsack_left = seg->seq;
	c->dsack_right = seq_lt(end, c->rcv_nxt) ? end : c->rcv_nxt;
	c->flags |= TCP_CF_DSACK | TCP_CF_ACK_NOW;
}

/**
 * tcp_in_ts_check() - RFC 7323 §3.2 and §5.3 R1: timestamps before the seq check
 * @c:		the connection (timestamps negotiated)
 * @seg:	the segment
 *
 * Return: TCP_IN_CONTINUE, or TCP_IN_DONE if the segment is dropped
 */
static enum tcp_in_verdict tcp_in_ts_check(struct tcp_conn *c, const struct tcp_seg *seg)
{
	if (seg->flags & TCP_RST)
		return TCP_IN_CONTINUE;		/* choice 22: RST never judged by TS */
	if (!seg->opt.ts_ok) {
		/* RFC 7323 §3.2: non-RST without TSopt SHOULD be dropped; choice 22 */
		STAT_DROP(c->s, drop_tcp_no_ts);
		return TCP_IN_DONE;
	}
	/* RFC 7323 §5.3 R1: SEG.TSval < TS.Recent and TS.Recent valid → ACK, drop */
	if (seq_lt(seg->opt.tsval, c->ts_recent) && tcp_in_ts_recent_valid(c)) {
		STAT_DROP(c->s, drop_tcp_paws);
		c->flags |= TCP_CF_ACK_NOW;
		tcp_in_note_dup(c, seg);		/* RFC 2883: an old duplicate */
		return TCP_IN_DONE;
	}
	return TCP_IN_CONTINUE;
}

/**
 * tcp_in_ts_update() - RFC 7323 §4.3 (2) / §5.3 R3: record TS.Recent
 * @c:		the connection (timestamps negotiated)
 * @seg:	an acceptable segment with a TSopt
 * @seq:	its SEG.SEQ before trimming
 */
static void tcp_in_ts_update(struct tcp_conn *c, const struct tcp_seg *seg, uint32_t seq)
{
	/* only a segment covering Last.ACK.sent: SEG.SEQ =< Last.ACK.sent */
	if (!seq_leq(seq, c->last_ack_sent))
		return;
	/* SEG.TSval >= TS.Recent, or TS.Recent gone stale (RFC 7323 §5.5) */
	if (seq_lt(seg->opt.tsval, c->ts_recent) && tcp_in_ts_recent_valid(c))
		return;
	c->ts_recent = seg->opt.tsval;
	c->ts_recent_at = c->s->now;
}

/**
 * tcp_in_check_seq() - RFC 9293 §3.10.7.4 first check
 * @c:		the connection
 * @seg:	the segment, trimmed if acceptable
 *
 * Return: TCP_IN_CONTINUE if acceptable, else TCP_IN_DONE (an ACK is due)
 */
static enum tcp_in_verdict tcp_in_check_seq(struct tcp_conn *c, struct tcp_seg *seg)
{
	if (tcp_in_zero_window_probe(c, seg))
		return TCP_IN_CONTINUE;
	if (tcp_in_acceptable(c, seg)) {
		tcp_in_note_dup(c, seg);		/* a partial duplicate */
		tcp_in_trim(c, seg);
		return TCP_IN_CONTINUE;
	}
	STAT_DROP(c->s, drop_tcp_unacceptable);
	tcp_in_note_dup(c, seg);			/* an old duplicate */
	if (seg->flags & TCP_RST)
		return TCP_IN_DONE;		/* RFC 9293: never answer a bad RST */
	if (seg->flags & TCP_SYN) {
		tcp_out_challenge_ack(c);	/* RFC 5961 §4.2: any SYN */
		return TCP_IN_DONE;
	}
	c->flags |= TCP_CF_ACK_NOW;		/* RFC 9293 §3.10.7.4: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> */
	/* RFC 9293 §3.10.7.4 eighth check, TIME-WAIT: a retransmitted FIN restarts 2 MSL */
	if (c->state == TCP_S_TIME_WAIT && (seg->flags & TCP_FIN))
		tcp_timer_set(c, TCP_T_TIME_WAIT, c->s->now + TCP_TIME_WAIT_US);
	return TCP_IN_DONE;
}

/**
 * tcp_in_rst() - RFC 9293 §3.10.7.4 second check with RFC 5961 §3.2
 * @c:		the connection
 * @seg:	an acceptable segment with RST
 *
 * Return: TCP_IN_GONE if reset, TCP_IN_DONE otherwise
 */
static enum tcp_in_verdict tcp_in_rst(struct tcp_conn *c, const struct tcp_seg *seg)
{
	if (seg->seq != c->rcv_nxt) {
		tcp_out_challenge_ack(c);	/* RFC 5961 §3.2: in window, not exact */
		return TCP_IN_DONE;
	}
	STAT_INC(c->s, resets_received);
	switch (c->state) {
	case TCP_S_TIME_WAIT:
		break;				/* choice 8: quietly */
	case TCP_S_SYN_RECEIVED:		/* passive open: back to LISTEN */
	case TCP_S_ESTABLISHED:
	case TCP_S_FIN_WAIT_1:
	case TCP_S_FIN_WAIT_2:
	case TCP_S_CLOSE_WAIT:
	case TCP_S_CLOSING:
	case TCP_S_LAST_ACK:
	default:
		tcp_conn_event(c, TCP_EV_RESET);
		break;
	}
	tcp_conn_close(c);
	return TCP_IN_GONE;
}

/**
 * tcp_in_syn_sync() - RFC 9293 §3.10.7.4 fourth check: SYN in a synchronized state
 * @c:		the connection
 *
 * Return: TCP_IN_GONE (SYN-RECEIVED) or TCP_IN_DONE
 */
static enum tcp_in_verdict tcp_in_syn_sync(struct tcp_conn *c)
{
	if (c->state == TCP_S_SYN_RECEIVED) {
		/* RFC 9293 §3.10.7.4 fourth check: passive open returns to LISTEN */
		tcp_conn_event(c, TCP_EV_RESET);
		tcp_conn_close(c);
		return TCP_IN_GONE;
	}
	tcp_out_challenge_ack(c);		/* RFC 5961 §4.2 */
	return TCP_IN_DONE;
}

/**
 * tcp_in_establish() - SYN-RECEIVED: our SYN is acknowledged (RFC 9293 §3.10.7.4 fifth)
 * @c:		the connection
 * @seg:	the segment
 *
 * Return: TCP_IN_CONTINUE if established, TCP_IN_GONE after an RST answer
 */
static enum tcp_in_verdict tcp_in_establish(struct tcp_conn *c, const struct tcp_seg *seg)
{
	if (!(seq_lt(c->snd_una, seg->ack) && seq_leq(seg->ack, c->snd_max))) {
		/* RFC 9293 §3.10.7.4: unacceptable ACK → <SEQ=SEG.ACK><CTL=RST> */
		struct tcp_seg rst = *seg;

		rst.flags = TCP_ACK;
		tcp_out_rst_reply(c->s, &c->tuple, &rst);
		return TCP_IN_DONE;
	}
	tcp_conn_set_state(c, TCP_S_ESTABLISHED);
	c->snd_wnd = seg->wnd;
	c->snd_wl1 = seg->seq;
	c->snd_wl2 = seg->ack;
	if (seg->wnd > c->max_snd_wnd)
		c->max_snd_wnd = seg->wnd;
	tcp_timer_keepalive_touch(c);		/* choice 24: idle counts from here */
	tcp_conn_event(c, TCP_EV_ESTABLISHED);
	return (c->flags & TCP_CF_DEAD) ? TCP_IN_GONE : TCP_IN_CONTINUE;
}

/**
 * tcp_in_acked() - SND.UNA advances to @ack: RTT, application, cc, timers
 * @c:		the connection
 * @ack:	SEG.ACK, with SND.UNA < SEG.ACK =< SND.MAX
 */
static void tcp_in_acked(struct tcp_conn *c, uint32_t ack)
{
	uint32_t acked = ack - c->snd_una, data = acked, flight = tcp_cc_flight(c);
	bool partial = false;

	if (c->snd_una == c->iss) {
		data--;				/* our SYN: not counted by cc */
		acked--;
	}
	if ((c->flags & TCP_CF_FIN_SENT) && seq_leq(c->snd_una, c->fin_seq) &&
	    seq_gt(ack, c->fin_seq))
		data--;				/* our FIN */
	c->snd_una = ack;
	if (seq_lt(c->snd_nxt, ack))
		c->snd_nxt = ack;
	/* RFC 6298 §3 with Karn: only a segment sent once is timed */
	if ((c->flags & TCP_CF_RTT_TIMING) && seq_gt(ack, c->rtt_seq)) {
		c->flags &= ~TCP_CF_RTT_TIMING;
		tcp_rtt_sample(c, (uint32_t)(c->s->now - c->rtt_start));
	}
	c->backoff = 0;
	if (data) {
		if (data > c->app_len)
			data = c->app_len;
		c->app_len -= data;
		c->bytes_out += data;
		c->s->cfg.ops->acked(c->s->cfg.app, c, c->ctx, data);
	}
	if (acked)
		partial = tcp_cc_on_ack(c, acked, flight);
	tcp_cc_undo_check_end(c);		/* RFC 3708 episode over? */
	if (c->sack_ok)
		tcp_sack_on_ack(c, true, false);	/* RFC 6675 §5: a cumulative ACK */
	/* RFC 6298 §5.2/5.3 */
	if (c->snd_una == c->snd_max)
		tcp_timer_stop(c, TCP_T_RTO);
	else
		tcp_timer_rto_restart(c);
	if (partial)
		tcp_out_fast_retransmit(c);	/* RFC 6582 §3.2 step 5 */
}

/**
 * tcp_in_snd_wnd() - RFC 9293 §3.10.7.4 fifth check: window update
 * @c:		the connection
 * @seg:	the segment
 */
static void tcp_in_snd_wnd(struct tcp_conn *c, const struct tcp_seg *seg)
{
	if (!(seq_lt(c->snd_wl1, seg->seq) ||
	      (c->snd_wl1 == seg->seq && seq_leq(c->snd_wl2, seg->ack))))
		return;
	c->snd_wnd = seg->wnd;
	c->snd_wl1 = seg->seq;
	c->snd_wl2 = seg->ack;
	if (seg->wnd > c->max_snd_wnd)
		c->max_snd_wnd = seg->wnd;
	if (c->snd_wnd) {
		tcp_timer_stop(c, TCP_T_PERSIST);
		c->persist_backoff = 0;
	}
}

/**
 * tcp_in_is_dupack() - RFC 5681 §2 duplicate ACK definition
 * @c:		the connection
 * @seg:	the segment
 *
 * Return: true if it is a duplicate ACK
 */
static bool tcp_in_is_dupack(const struct tcp_conn *c, const struct tcp_seg *seg)
{
	/* a zero window is not congestion: answers to probes are not dupacks */
	return seg->ack == c->snd_una && c->snd_una != c->snd_max &&
	       seg->len == 0 && seg->wnd == c->snd_wnd && seg->wnd != 0;
}

/**
 * tcp_in_dupack() - an ACK that does not advance SND.UNA: loss detection
 * @c:		the connection
 * @seg:	the segment
 * @newsack:	it SACKed bytes not SACKed before
 */
static void tcp_in_dupack(struct tcp_conn *c, const struct tcp_seg *seg, bool newsack)
{
	if (c->sack_ok) {
		/* RFC 6675 §2: a duplicate ACK acknowledges HighACK with data
		 * outstanding and SACKs new data (window and payload don't matter) */
		tcp_sack_on_ack(c, false, seg->ack == c->snd_una &&
				c->snd_una != c->snd_max && newsack);
		return;
	}
	if (tcp_in_is_dupack(c, seg) && tcp_cc_on_dupack(c))
		tcp_out_fast_retransmit(c);	/* RFC 5681 §3.2, RFC 6582 §3.2 step 2 */
}

/**
 * tcp_in_fin_acked() - is our FIN acknowledged?
 * @c:	the connection
 *
 * Return: true if sent and SND.UNA passed it
 */
static bool tcp_in_fin_acked(const struct tcp_conn *c)
{
	return (c->flags & TCP_CF_FIN_SENT) && seq_gt(c->snd_una, c->fin_seq);
}

/**
 * tcp_in_ack_state() - RFC 9293 §3.10.7.4 fifth check, per-state part
 * @c:	the connection
 *
 * Return: TCP_IN_GONE if LAST-ACK completed, else TCP_IN_CONTINUE
 */
static enum tcp_in_verdict tcp_in_ack_state(struct tcp_conn *c)
{
	switch (c->state) {
	case TCP_S_FIN_WAIT_1:
		/* our FIN acknowledged → FIN-WAIT-2, no time limit (choice 16) */
		if (tcp_in_fin_acked(c)) {
			tcp_conn_set_state(c, TCP_S_FIN_WAIT_2);
			tcp_timer_keepalive_touch(c);
		}
		return TCP_IN_CONTINUE;
	case TCP_S_CLOSING:
		if (tcp_in_fin_acked(c)) {
			tcp_conn_time_wait(c);
			return (c->flags & TCP_CF_DEAD) ? TCP_IN_GONE : TCP_IN_DONE;
		}
		return TCP_IN_CONTINUE;
	case TCP_S_LAST_ACK:
		if (tcp_in_fin_acked(c)) {
			tcp_conn_close(c);
			return TCP_IN_GONE;
		}
		return TCP_IN_CONTINUE;
	default:
		return TCP_IN_CONTINUE;
	}
}

/**
 * tcp_in_ts_rtt() - RFC 7323 §4.1/§4.2: an RTT sample from SEG.TSecr
 * @c:		the connection
 * @seg:	an ACK that advances SND.UNA
 *
 * With timestamps every such ACK gives a sample, retransmissions included
 * (the echo says which transmission is answered, so Karn's rule is not
 * needed); the one-segment timer of RFC 6298 §3 is then not used. A TSecr
 * from the future or older than the largest RTO is ignored.
 */
static void tcp_in_ts_rtt(struct tcp_conn *c, const struct tcp_seg *seg)
{
	uint32_t ms;

	if (!c->ts_ok || !seg->opt.ts_ok)
		return;
	ms = tcp_ts_now(c->s) - seg->opt.tsecr;
	if (ms > TCP_RTO_MAX_US / 1000)
		return;
	c->flags &= ~TCP_CF_RTT_TIMING;
	tcp_rtt_sample(c, ms * 1000);
}

/**
 * tcp_in_ack() - RFC 9293 §3.10.7.4 fifth check: the ACK field
 * @c:		the connection
 * @seg:	the segment (ACK set)
 *
 * Return: TCP_IN_CONTINUE, TCP_IN_DONE (drop the rest) or TCP_IN_GONE
 */
static enum tcp_in_verdict tcp_in_ack(struct tcp_conn *c, const struct tcp_seg *seg)
{
	enum tcp_in_verdict v;
	bool newsack, advanced;

	if (c->state == TCP_S_SYN_RECEIVED) {
		v = tcp_in_establish(c, seg);
		if (v != TCP_IN_CONTINUE)
			return v;
	}
	if (seq_gt(seg->ack, c->snd_max)) {
		/* RFC 9293 §3.10.7.4: ACK of something not yet sent → ACK, drop */
		c->flags |= TCP_CF_ACK_NOW;
		STAT_DROP(c->s, drop_tcp_unacceptable);
		return TCP_IN_DONE;
	}
	if (seq_lt(seg->ack, c->snd_una - c->max_snd_wnd)) {
		/* RFC 5961 §5.2: too old → ACK, drop */
		c->flags |= TCP_CF_ACK_NOW;
		STAT_DROP(c->s, drop_tcp_unacceptable);
		return TCP_IN_DONE;
	}
	c->probes = 0;				/* the peer answers: keep probing */
	newsack = c->sack_ok && tcp_sack_update(c, seg);	/* RFC 6675 §5 Update() */
	advanced = seq_gt(seg->ack, c->snd_una);
	if (advanced) {
		tcp_in_ts_rtt(c, seg);
		tcp_in_acked(c, seg->ack);
	} else {
		tcp_in_dupack(c, seg, newsack);
	}
	if (c->flags & TCP_CF_DEAD)
		return TCP_IN_GONE;
	tcp_in_snd_wnd(c, seg);
	if (c->sack_ok)
		tcp_tlp_after_ack(c, seg, advanced);	/* RFC 8985, tcp_tlp.c */
	return tcp_in_ack_state(c);
}

/**
 * tcp_in_delack() - choice 17: ACK now or within 40 ms
 * @c:		the connection
 */
static void tcp_in_delack(struct tcp_conn *c)
{
	uint32_t full = c->rcv_mss < c->snd_mss ? c->rcv_mss : c->snd_mss;

	/* RFC 7323 §3: the timestamp option takes 12 bytes of every segment, so a
	 * full-sized segment carries MSS - 12 bytes of data */
	if (c->ts_ok)
		full -= TCP_TS_OPT_LEN;
	/* RFC 9293 §3.8.6.3, RFC 5681 §4.2: ACK at least every second full-sized
	 * segment; counted in bytes, so any segmentation of the same data (small
	 * segments, GSO super-segments) gets its ACK as soon */
	if (c->rcv_nxt - c->last_ack_sent >= 2 * full) {
		c->flags |= TCP_CF_ACK_NOW;
		return;
	}
	if (c->timer[TCP_T_DELACK] == STACK_TIME_NEVER)
		tcp_timer_set(c, TCP_T_DELACK, c->s->now + TCP_DELACK_US);
}

/**
 * tcp_in_ooo() - choice 5: a segment beyond RCV.NXT goes to the reassembly queue
 * @c:		the connection
 * @seg:	the trimmed segment, SEG.SEQ > RCV.NXT
 */
static void tcp_in_ooo(struct tcp_conn *c, const struct tcp_seg *seg)
{
	if (!seg->dlen && !(seg->flags & TCP_FIN))
		return;				/* a bare ACK: nothing to hold */
	STAT_INC(c->s, out_of_order);
	tcp_reasm_insert(c, seg);		/* counts drop_tcp_ooo_full */
	/* RFC 5681 §4.2 / RFC 9293 §3.10.7.4: out-of-order → immediate ACK */
	c->flags |= TCP_CF_ACK_NOW;
}

/**
 * tcp_in_deliver() - give in-order payload straight from the frame to the application
 * @c:		the connection
 * @seg:	the trimmed segment, SEG.SEQ = RCV.NXT, with data
 *
 * Return: true if all of it was taken
 */
static bool tcp_in_deliver(struct tcp_conn *c, const struct tcp_seg *seg)
{
	struct stack *s = c->s;
	size_t n = s->cfg.ops->deliver(s->cfg.app, c, c->ctx, seg->data, seg->dlen);

	if (n > seg->dlen)
		n = seg->dlen;
	c->rcv_nxt += (uint32_t)n;
	c->bytes_in += n;
	if (n < seg->dlen) {
		STAT_DROP(s, drop_tcp_rcv_full);	/* choice 6 */
		c->flags |= TCP_CF_ACK_NOW;
		return false;
	}
	return true;
}

/**
 * tcp_in_data() - RFC 9293 §3.10.7.4 seventh check: segment text
 * @c:		the connection (ESTABLISHED, FIN-WAIT-1 or FIN-WAIT-2)
 * @seg:	the trimmed segment
 *
 * Return: true if a FIN is now at RCV.NXT (this segment's, or one that
 * waited beyond a hole this segment filled)
 */
static bool tcp_in_data(struct tcp_conn *c, const struct tcp_seg *seg)
{
	if (seq_gt(seg->seq, c->rcv_nxt)) {
		tcp_in_ooo(c, seg);
		return false;
	}
	if (seg->dlen && !tcp_in_deliver(c, seg))
		return false;
	if (seg->flags & TCP_FIN)
		return true;
	if (!seg->dlen)
		return false;
	if (c->ooo || c->ooo_fin) {
		tcp_reasm_deliver(c);
		/* RFC 5681 §4.2: a segment that fills (part of) a gap → ACK now */
		c->flags |= TCP_CF_ACK_NOW;
		return tcp_reasm_fin_due(c);
	}
	tcp_in_delack(c);
	return false;
}

/**
 * tcp_in_fin() - RFC 9293 §3.10.7.4 eighth check: the peer's FIN
 * @c:	the connection; RCV.NXT is at the FIN
 */
static void tcp_in_fin(struct tcp_conn *c)
{
	c->rcv_nxt++;
	tcp_reasm_clear(c);			/* nothing comes after a FIN */
	tcp_out_ack(c);				/* choice 17: FIN is ACKed at once */
	switch (c->state) {
	case TCP_S_ESTABLISHED:
		tcp_conn_set_state(c, TCP_S_CLOSE_WAIT);
		tcp_conn_event(c, TCP_EV_PEER_FIN);
		return;
	case TCP_S_FIN_WAIT_1:
		/* our FIN not acknowledged yet (else we'd be in FIN-WAIT-2) */
		tcp_conn_set_state(c, TCP_S_CLOSING);
		tcp_conn_event(c, TCP_EV_PEER_FIN);
		return;
	case TCP_S_FIN_WAIT_2:
		tcp_conn_event(c, TCP_EV_PEER_FIN);
		tcp_conn_time_wait(c);
		return;
	default:
		return;
	}
}

/**
 * tcp_in_takes_data() - may this state receive text (RFC 9293 §3.10.7.4 seventh)?
 * @c:	the connection
 *
 * Return: true in ESTABLISHED, FIN-WAIT-1 and FIN-WAIT-2
 */
static bool tcp_in_takes_data(const struct tcp_conn *c)
{
	return c->state == TCP_S_ESTABLISHED || c->state == TCP_S_FIN_WAIT_1 ||
	       c->state == TCP_S_FIN_WAIT_2;
}

/**
 * tcp_in_after_reasm() - queued data was delivered outside segment arrival
 * @c:	the connection (tcp_window_update() drained its queue)
 *
 * ACK at once (RCV.NXT moved), take a FIN that waited, send what is due.
 */
void tcp_in_after_reasm(struct tcp_conn *c)
{
	c->flags |= TCP_CF_ACK_NOW;
	if (tcp_in_takes_data(c) && tcp_reasm_fin_due(c))
		tcp_in_fin(c);
	if (!(c->flags & TCP_CF_DEAD))
		tcp_out_push(c);
}

/**
 * tcp_in_text() - seventh and eighth checks, for the states that take data
 * @c:		the connection
 * @seg:	the trimmed segment
 */
static void tcp_in_text(struct tcp_conn *c, const struct tcp_seg *seg)
{
	if (tcp_in_takes_data(c)) {
		if (tcp_in_data(c, seg) && !(c->flags & TCP_CF_DEAD))
			tcp_in_fin(c);
		return;
	}
	/* RFC 9293 §3.10.7.4 eighth: TIME-WAIT, a FIN again → ACK, restart 2 MSL */
	if (c->state == TCP_S_TIME_WAIT && (seg->flags & TCP_FIN)) {
		c->flags |= TCP_CF_ACK_NOW;
		tcp_timer_set(c, TCP_T_TIME_WAIT, c->s->now + TCP_TIME_WAIT_US);
	}
	/* CLOSE-WAIT, CLOSING, LAST-ACK: text ignored */
}

/**
 * tcp_in_pending() - choice 12: a segment while the SYN-ACK is held back
 * @c:		the connection, SYN-RECEIVED and pending
 * @seg:	the segment
 */
static void tcp_in_pending(struct tcp_conn *c, const struct tcp_seg *seg)
{
	if ((seg->flags & TCP_RST) && seg->seq == c->rcv_nxt) {
		STAT_INC(c->s, resets_received);
		tcp_conn_event(c, TCP_EV_RESET);
		tcp_conn_close(c);
		return;
	}
	if ((seg->flags & TCP_SYN) && seg->seq == c->irs)
		return;			/* retransmitted SYN: still deciding */
	STAT_DROP(c->s, drop_tcp_unacceptable);
}

/**
 * tcp_in_pre() - state-specific handling before the RFC 9293 §3.10.7.4 checks
 * @c:		the connection
 * @seg:	the segment
 *
 * Return: TCP_IN_CONTINUE, TCP_IN_DONE (handled), TCP_IN_GONE (the
 * connection was dropped) or TCP_IN_REUSE (TIME-WAIT dropped for a new SYN)
 */
static enum tcp_in_verdict tcp_in_pre(struct tcp_conn *c, const struct tcp_seg *seg)
{
	bool bare_syn = (seg->flags & (TCP_SYN | TCP_ACK | TCP_RST)) == TCP_SYN;

	switch (c->state) {
	case TCP_S_SYN_RECEIVED:
		if (c->flags & TCP_CF_PENDING) {
			tcp_in_pending(c, seg);
			return (c->flags & TCP_CF_DEAD) ? TCP_IN_GONE : TCP_IN_DONE;
		}
		if (bare_syn && seg->seq == c->irs) {
			tcp_out_synack(c);	/* the SYN-ACK was lost: again */
			return TCP_IN_DONE;
		}
		return TCP_IN_CONTINUE;
	case TCP_S_TIME_WAIT:
		if (bare_syn && seq_gt(seg->seq, c->rcv_nxt)) {
			tcp_conn_close(c);	/* choice 9: a new incarnation */
			return TCP_IN_REUSE;
		}
		return TCP_IN_CONTINUE;
	default:
		return TCP_IN_CONTINUE;
	}
}

/**
 * tcp_in_steps() - RFC 9293 §3.10.7.4 checks one to eight
 * @c:		the connection
 * @seg:	the segment
 *
 * Return: TCP_IN_GONE if the connection was closed, else TCP_IN_DONE
 */
static enum tcp_in_verdict tcp_in_steps(struct tcp_conn *c, struct tcp_seg *seg)
{
	uint32_t seq = seg->seq;
	enum tcp_in_verdict v = c->ts_ok ? tcp_in_ts_check(c, seg) : TCP_IN_CONTINUE;

	if (v != TCP_IN_CONTINUE)				/* RFC 7323 §5.3 R1 */
		return v;
	v = tcp_in_check_seq(c, seg);				/* first */
	if (v != TCP_IN_CONTINUE)
		return v;
	if (c->ts_ok && seg->opt.ts_ok && !(seg->flags & TCP_RST))
		tcp_in_ts_update(c, seg, seq);			/* RFC 7323 §5.3 R3 */
	tcp_timer_keepalive_touch(c);				/* choice 24 */
	if (seg->flags & TCP_RST)				/* second */
		return tcp_in_rst(c, seg);
	if (seg->flags & TCP_SYN)				/* fourth */
		return tcp_in_syn_sync(c);
	if (!(seg->flags & TCP_ACK))				/* fifth */
		return TCP_IN_DONE;
	v = tcp_in_ack(c, seg);
	if (v != TCP_IN_CONTINUE)
		return v;
	/* sixth: URG ignored, choice 4 */
	tcp_in_text(c, seg);					/* seventh, eighth */
	return (c->flags & TCP_CF_DEAD) ? TCP_IN_GONE : TCP_IN_DONE;
}

/**
 * tcp_in_conn() - a segment for an existing connection
 * @c:		the connection
 * @seg:	the segment
 *
 * Return: true if the connection was a TIME-WAIT one replaced by this SYN
 */
static bool tcp_in_conn(struct tcp_conn *c, struct tcp_seg *seg)
{
	enum tcp_in_verdict v;

	/* RFC 7323 §2.3: every window field but a SYN's is scaled */
	if (!(seg->flags & TCP_SYN) && c->snd_wscale > 0)
		seg->wnd <<= c->snd_wscale;
	v = tcp_in_pre(c, seg);

	if (v == TCP_IN_REUSE)
		return true;
	if (v == TCP_IN_CONTINUE)
		v = tcp_in_steps(c, seg);
	if (v != TCP_IN_GONE && !(c->flags & TCP_CF_DEAD))
		tcp_out_push(c);
	return false;
}

/**
 * tcp_in_parse() - validate a received segment and fill @seg
 * @s:		the stack
 * @ip:		the IPv4 packet it came in
 * @pkt:	TCP header and payload
 * @len:	their length
 * @seg:	filled
 *
 * Return: true if valid (else counted and to be dropped)
 */
static bool tcp_in_parse(struct stack *s, const struct ip4_rx *ip,
			 const uint8_t *pkt, size_t len, struct tcp_seg *seg)
{
	const struct tcp_hdr *th = (const struct tcp_hdr *)pkt;
	size_t hl;

	if (len < TCP_HDR_LEN || len > 65535) {
		STAT_DROP(s, drop_tcp_bad_header);
		return false;
	}
	hl = (size_t)(th->doff_res >> 4) * 4;
	if (hl < TCP_HDR_LEN || hl > len) {
		STAT_DROP(s, drop_tcp_bad_header);
		return false;
	}
	/* RFC 9293 §3.1: verify the checksum over the pseudo-header, unless the
	 * link vouched for it (partial from the local kernel, or verified) */
	if (!ip->l4_csum_ok &&
	    csum_fold(csum_partial(pkt, len, csum_pseudo_ip4(ip->src, ip->dst,
				IPPROTO_TCP_, (uint16_t)len))) != 0) {
		STAT_DROP(s, bad_checksum);
		return false;
	}
	seg->th = th;
	seg->seq = ntohl(th->seq);
	seg->ack = ntohl(th->ack);
	seg->wnd = ntohs(th->win);
	seg->flags = th->flags;
	seg->data = pkt + hl;
	seg->dlen = (uint32_t)(len - hl);
	seg->len = seg->dlen + !!(seg->flags & TCP_SYN) + !!(seg->flags & TCP_FIN);
	tcp_opt_parse(pkt + TCP_HDR_LEN, hl - TCP_HDR_LEN, &seg->opt);
	return true;
}

/**
 * tcp_input() - process one received TCP segment
 * @s:		the stack
 * @ip:		the IPv4 packet it came in
 * @pkt:	TCP header and payload
 * @len:	their length
 */
void tcp_input(struct stack *s, const struct ip4_rx *ip, uint8_t *pkt, size_t len)
{
	struct tcp_tuple tu;
	struct tcp_seg seg;
	struct tcp_conn *c;

	STAT_INC(s, segs_in);
	if (!tcp_in_parse(s, ip, pkt, len, &seg))
		return;
	tu.client_addr = ip->src;
	tu.vip_addr = ip->dst;
	tu.client_port = ntohs(seg.th->sport);
	tu.vip_port = ntohs(seg.th->dport);
	tcp_table_enter(s);
	c = tcp_conn_lookup(s, &tu);
	if (!c || tcp_in_conn(c, &seg))
		tcp_in_listen(s, &tu, &seg);
	tcp_table_leave(s);
}
