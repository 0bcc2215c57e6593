/* SPDX-License-Identifier: MIT */
/*
 * tcp_out.c - segment building, the send path, retransmission, RSTs
 *
 * Theory of operation
 * -------------------
 * Every segment is built in place in the stack's one transmit buffer:
 * ip4_tx_begin() → TCP header and options → ops.produce() copies the payload
 * straight into the frame → checksum over the pseudo-header → ip4_tx_commit().
 * The stack never holds payload: the data between SND.UNA and
 * SND.UNA + app_len stays with the application, and retransmission asks it
 * again for the same offsets.
 *
 * Offloads (stack.h). With a checksum-offloading link the checksum field
 * gets only the pseudo-header sum (STACK_CSUM_PARTIAL) and the payload is
 * never summed here. With TSO (link.tso_max, next hop resolved) one frame
 * may carry a super-segment of up to ~64 KiB: whole pieces of the effective
 * MSS (SND.MSS less the option bytes beyond the timestamps), all with the
 * same header and options; the link cuts it, FIN and PSH only on the last
 * piece. Everything else is per byte and does not care how the bytes were
 * framed: SND.NXT/SND.MAX, the RTO, Karn's rule (a super-segment that
 * starts below SND.MAX is a retransmission), SACK and cwnd. Where a rule
 * counts segments, a super-segment counts as its pieces: the sender sends
 * at most what cwnd - FlightSize (cwnd - pipe in SACK recovery) allows, in
 * whole pieces, and segs_out counts pieces.
 *
 * Send path (tcp_out_push()): while the usable window, min(SND.WND, cwnd)
 * minus what is in flight (RFC 5681 §2 / RFC 9293 §3.8.6), allows, send
 * chunks of at most SND.MSS (with TSO: of whole SND.MSS pieces up to the
 * link's limit, or everything held). Sender SWS avoidance (RFC 9293 §3.8.6.2.1): a
 * segment shorter than SND.MSS goes out only if it carries everything the
 * application holds (Nagle is off: a proxy forwards what it has at once, like
 * TCP_NODELAY) or at least half the largest window the peer offered. After
 * the last announced byte, if tcp_shutdown() was called, a FIN follows in its
 * own segment. Then, if nothing else carried it, a pending ACK goes out.
 *
 * Every segment we send carries ACK (except RSTs answering a segment without
 * ACK, RFC 9293 §3.10.7.1) and the current receive window, so it clears the
 * delayed ACK state.
 *
 * Receive window (RFC 9293 §3.8.6.2.2): follows ops.rcv_space(), clamped to
 * 65535, or with window scaling (RFC 7323 §2) to min(TCP_RCV_WND_MAX,
 * 65535 << RCV.WIND.SHIFT); the right edge already advertised never moves
 * left, also not through the rounding of the scaled field (RFC 7323 §2.4,
 * tcp_out_wnd_field()); it moves right only by at least min(RCV.BUFF / 2,
 * MSS), where RCV.BUFF is the largest rcv_space the application ever
 * reported (receiver SWS avoidance).
 *
 * Options (tcp_opt.c): the SYN-ACK answers what the SYN offered; every other
 * non-RST segment carries timestamps once negotiated and SACK blocks while
 * out-of-order data is queued; the payload shrinks so that options beyond the
 * timestamps still fit the peer's MSS. Keep-alive probes (RFC 1122
 * §4.2.3.6) are <SEQ=SND.NXT-1> without data.
 *
 * Retransmission (RFC 6298 §5.4-5.6): on RTO, SND.NXT goes back to SND.UNA,
 * one segment is resent, RTO doubles (max 60 s), RTT timing stops (Karn),
 * congestion control collapses to one segment; ACKs then clock out the rest
 * (go-back-N). After TCP_RTO_RETRIES expirations in a row (TCP_SYNACK_RETRIES
 * for the SYN-ACK) the connection is reset and the application gets
 * TCP_EV_TIMEOUT. The retransmitted head goes out even into a zero window, as
 * RFC 9293 §3.8.6.1 wants the sender to keep retransmitting.
 *
 * Zero window (RFC 9293 §3.8.6.1): with data to send, nothing in flight and
 * SND.WND = 0, the persist timer sends one byte beyond the window, first after
 * RTO, then doubling up to 60 s; probing continues as long as the peer answers
 * (every acceptable ACK resets the count), and TCP_PERSIST_RETRIES unanswered
 * probes reset the connection.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <arpa/inet.h>

#include "stack/checksum.h"
#include "stack/tcp_internal.h"

/**
 * struct tcp_out_seg - what tcp_out_build() writes
 * @flags:	TCP flags
 * @seq, @ack:	host order
 * @win:	window field
 * @syn_opts:	write the SYN-ACK options
 * @dlen:	payload bytes to ask ops.produce() for
 * @doff:	their offset from the oldest unacknowledged data byte
 */
struct tcp_out_seg {
	uint8_t flags;
	uint32_t seq, ack;
	uint16_t win;
	bool syn_opts;
	uint32_t dlen, doff;
};

/**
 * tcp_out_piece() - payload of one wire segment next to the options
 * @c:		the connection
 * @hl:		header length with options
 * @cap:	room for header and payload within the MTU
 *
 * SND.MSS already excludes the timestamps option (RFC 7323 §3.2, RFC 6691:
 * the MSS counts data only, options come out of it); SACK blocks on a data
 * segment take their room from the payload too. This is also the GSO piece
 * size (every piece carries the same options).
 *
 * Return: the largest payload of one segment
 */
static size_t tcp_out_piece(const struct tcp_conn *c, size_t hl, size_t cap)
{
	size_t extra = hl - TCP_HDR_LEN - (c->ts_ok ? TCP_TS_OPT_LEN : 0);
	size_t mss = c->snd_mss > extra ? c->snd_mss - extra : 0;

	return mss < cap - hl ? mss : cap - hl;
}

/**
 * tcp_out_checksum() - fill the checksum field, or leave it to the link
 * @s:		the stack
 * @tu:		the tuple (pseudo-header addresses)
 * @p:		the TCP header in the transmit buffer
 * @len:	header, options and payload
 * @off:	offload metadata, its checksum part filled when the link
 *		finishes the sum
 */
static void tcp_out_checksum(struct stack *s, const struct tcp_tuple *tu, uint8_t *p,
			     size_t len, struct stack_offload *off)
{
	struct tcp_hdr *th = (struct tcp_hdr *)p;
	uint32_t pseudo = csum_pseudo_ip4(tu->vip_addr, tu->client_addr, IPPROTO_TCP_,
					  (uint16_t)len);

	th->check = 0;
	if (!s->cfg.link.csum_offload) {
		th->check = csum_fold(csum_partial(p, len, pseudo));
		return;
	}
	/* the link sums [csum_start, end) with the field holding the folded
	 * pseudo-header sum (the virtio-net NEEDS_CSUM contract) */
	th->check = (uint16_t)~csum_fold(pseudo);
	off->csum = STACK_CSUM_PARTIAL;
	off->csum_start = (uint16_t)(p - s->tx_buf);
	off->csum_offset = (uint16_t)offsetof(struct tcp_hdr, check);
}

/**
 * tcp_out_build() - build and send one segment
 * @s:		the stack
 * @tu:		the connection's tuple (we are the vip side)
 * @c:		the connection, or NULL for an RST to no connection
 * @o:		the segment
 *
 * Return: payload bytes sent (>= 0), or -errno if nothing was sent
 */
static int tcp_out_build(struct stack *s, const struct tcp_tuple *tu,
			 struct tcp_conn *c, const struct tcp_out_seg *o)
{
	size_t cap, hl = TCP_HDR_LEN, dlen = o->dlen, piece, room;
	uint8_t *p = ip4_tx_begin(s, &cap);
	struct stack_offload off = { .gso_type = STACK_GSO_NONE };
	struct tcp_hdr *th;

	if (!p || cap < TCP_HDR_LEN + 40)
		return -ENOBUFS;
	th = (struct tcp_hdr *)p;
	if (c && !(o->flags & TCP_RST))
		hl += tcp_opt_write(p + TCP_HDR_LEN, c, o->syn_opts);
	piece = c ? tcp_out_piece(c, hl, cap) : cap - hl;
	if (dlen > piece) {
		/* more than one segment: a GSO super-segment if the link cuts it */
		room = ip4_tx_gso_room(s, tu->client_addr);
		if (c && room > hl + piece)
			dlen = dlen < room - hl ? dlen : room - hl;
		else
			dlen = piece;
	}
	if (dlen) {
		ssize_t n = s->cfg.ops->produce(s->cfg.app, c, c->ctx, o->doff,
						p + hl, dlen);

		if (n <= 0)
			return n < 0 ? (int)n : -ENODATA;
		if ((size_t)n < dlen)
			dlen = (size_t)n;
	}
	th->sport = htons(tu->vip_port);
	th->dport = htons(tu->client_port);
	th->seq = htonl(o->seq);
	th->ack = htonl(o->ack);
	th->doff_res = (uint8_t)((hl / 4) << 4);
	/* a shortened segment (buffer, or produce() gave less) does not reach the
	 * end the caller meant: its FIN and PSH belong to a later segment */
	th->flags = dlen < o->dlen ? (uint8_t)(o->flags & ~(TCP_FIN | TCP_PSH)) : o->flags;
	th->win = htons(o->win);
	th->urg = 0;
	if (dlen > piece) {
		off.gso_type = STACK_GSO_TCPV4;
		off.gso_size = (uint16_t)piece;
		off.hdr_len = (uint16_t)(p - s->tx_buf + hl);
	}
	tcp_out_checksum(s, tu, p, hl + dlen, &off);
	STAT_ADD(s, segs_out, dlen > piece ? (dlen + piece - 1) / piece : 1);
	if (o->flags & TCP_RST)
		STAT_INC(s, resets_sent);
	ip4_tx_commit_ex(s, tu->vip_addr, tu->client_addr, IPPROTO_TCP_, hl + dlen,
			 off.gso_type != STACK_GSO_NONE || off.csum != STACK_CSUM_NONE ?
			 &off : NULL);
	return (int)dlen;
}

/**
 * tcp_out_sws_threshold() - how far the right edge must move to be announced
 * @c:	the connection
 *
 * Return: min(RCV.BUFF / 2, MSS) (RFC 9293 §3.8.6.2.2), at least 1
 */
static uint32_t tcp_out_sws_threshold(const struct tcp_conn *c)
{
	uint32_t half = c->rcv_buf_max / 2;
	uint32_t t = half < c->rcv_mss ? half : c->rcv_mss;

	return t ? t : 1;
}

/**
 * tcp_out_cur_window() - what is left of the window last advertised
 * @c:	the connection
 *
 * Return: RCV.ADV - RCV.NXT, or 0
 */
static uint32_t tcp_out_cur_window(const struct tcp_conn *c)
{
	return seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
}

/**
 * tcp_out_wnd_limit() - the largest window the window field can carry
 * @c:	the connection
 *
 * Return: 65535 without window scaling, else min(TCP_RCV_WND_MAX,
 * 65535 << RCV.WIND.SHIFT) (RFC 7323 §2.3)
 */
static uint32_t tcp_out_wnd_limit(const struct tcp_conn *c)
{
	uint64_t lim;

	if (c->rcv_wscale < 0)
		return TCP_WIN_MAX;
	lim = (uint64_t)TCP_WIN_MAX << c->rcv_wscale;
	return lim > TCP_RCV_WND_MAX ? TCP_RCV_WND_MAX : (uint32_t)lim;
}

/**
 * tcp_out_rcv_window() - the receive window to advertise now
 * @c:	the connection
 *
 * Return: the window in bytes (<= tcp_out_wnd_limit()), never moving the
 * right edge left
 */
uint32_t tcp_out_rcv_window(struct tcp_conn *c)
{
	struct stack *s = c->s;
	uint32_t cur = tcp_out_cur_window(c), want, lim = tcp_out_wnd_limit(c);
	size_t space;

	if (c->flags & TCP_CF_APP_GONE)
		return cur;		/* TIME-WAIT: no more callbacks */
	space = s->cfg.ops->rcv_space(s->cfg.app, c, c->ctx);
	want = space > lim ? lim : (uint32_t)space;
	if (want > c->rcv_buf_max)
		c->rcv_buf_max = want;
	/* RFC 9293 §3.8.6.2.2: never shrink; grow only by a useful amount */
	if (want <= cur || want - cur < tcp_out_sws_threshold(c))
		return cur;
	return want;
}

/**
 * tcp_out_window_opens() - would an ACK now move the right edge usefully?
 * @c:	the connection
 *
 * Return: true if the window to advertise is larger than what is left
 */
bool tcp_out_window_opens(struct tcp_conn *c)
{
	switch (c->state) {
	case TCP_S_ESTABLISHED:
	case TCP_S_FIN_WAIT_1:
	case TCP_S_FIN_WAIT_2:
		return tcp_out_rcv_window(c) > tcp_out_cur_window(c);
	default:
		return false;
	}
}

/**
 * tcp_out_wnd_field() - the window field for @win bytes
 * @c:		the connection
 * @win:	window from tcp_out_rcv_window()
 * @syn:	the SYN-ACK: never scaled (RFC 7323 §2.2)
 *
 * RFC 7323 §2.3: the field is the window shifted right by RCV.WIND.SHIFT.
 * Rounding down must not pull the right edge we already advertised back
 * (RFC 7323 §2.4, RFC 9293 §3.8.6.2.2): if it would, the field is rounded up
 * to cover that edge (at most 2^shift - 1 bytes more than asked).
 *
 * Return: the field value
 */
static uint16_t tcp_out_wnd_field(const struct tcp_conn *c, uint32_t win, bool syn)
{
	unsigned shift = (!syn && c->rcv_wscale > 0) ? (unsigned)c->rcv_wscale : 0;
	uint32_t cur = tcp_out_cur_window(c), field = win >> shift;

	if (syn && win > TCP_WIN_MAX)
		return (uint16_t)TCP_WIN_MAX;
	if (((uint64_t)field << shift) < cur)
		field = (uint32_t)(((uint64_t)cur + (1u << shift) - 1) >> shift);
	return (uint16_t)(field > TCP_WIN_MAX ? TCP_WIN_MAX : field);
}

/**
 * tcp_out_conn() - send one segment of a connection with ACK and our window
 * @c:		the connection
 * @flags:	flags besides ACK
 * @seq:	sequence number
 * @dlen:	payload bytes from the application at @seq
 *
 * Return: payload bytes sent, or -errno
 */
static int tcp_out_conn(struct tcp_conn *c, uint8_t flags, uint32_t seq, uint32_t dlen)
{
	bool syn = !!(flags & TCP_SYN);
	uint16_t field = tcp_out_wnd_field(c, tcp_out_rcv_window(c), syn);
	unsigned shift = (!syn && c->rcv_wscale > 0) ? (unsigned)c->rcv_wscale : 0;
	uint32_t win = (uint32_t)field << shift;
	struct tcp_out_seg o = {
		.flags = (uint8_t)(flags | TCP_ACK), .seq = seq, .ack = c->rcv_nxt,
		.win = field, .syn_opts = syn,
		.dlen = dlen, .doff = seq - tcp_data_una(c),
	};
	int n = tcp_out_build(c->s, &c->tuple, c, &o);

	if (n < 0)
		return n;
	if (seq_gt(c->rcv_nxt + win, c->rcv_adv))
		c->rcv_adv = c->rcv_nxt + win;
	c->last_ack_sent = c->rcv_nxt;		/* RFC 7323 §4.3 Last.ACK.sent */
	/* any ACK we send satisfies the delayed ACK (RFC 9293 §3.8.6.3) and
	 * carried the D-SACK (RFC 2883 §4: reported once) */
	c->flags &= ~(TCP_CF_ACK_NOW | TCP_CF_DSACK);
	tcp_timer_stop(c, TCP_T_DELACK);
	return n;
}

/**
 * tcp_out_ack() - send a pure ACK now: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>
 * @c:	the connection
 *
 * Return: 0 or -errno
 */
int tcp_out_ack(struct tcp_conn *c)
{
	int rc;

	if (c->flags & (TCP_CF_DEAD | TCP_CF_PENDING))
		return -EINVAL;
	rc = tcp_out_conn(c, 0, c->snd_nxt, 0);
	return rc < 0 ? rc : 0;
}

/**
 * tcp_out_challenge_ack() - RFC 5961 §3.2/§4.2 challenge ACK, rate limited (§7)
 * @c:	the connection
 */
void tcp_out_challenge_ack(struct tcp_conn *c)
{
	if (!tcp_challenge_ack_allowed(c->s))
		return;
	STAT_INC(c->s, challenge_acks);
	tcp_out_ack(c);
}

/**
 * tcp_out_count_rexmit() - count a retransmitted segment
 * @c:	the connection
 */
static void tcp_out_count_rexmit(struct tcp_conn *c)
{
	if (c->flags & TCP_CF_UNDO)
		c->cc.undo_retrans++;		/* RFC 3708, tcp_cc.c */
	STAT_INC(c->s, retransmits);
	c->retransmits++;
}

/**
 * tcp_out_synack() - send (or resend) our SYN-ACK: <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>
 * @c:	the connection, SYN-RECEIVED
 *
 * Return: 0 or -errno
 */
int tcp_out_synack(struct tcp_conn *c)
{
	bool again = c->snd_max != c->iss;
	int rc;

	if (again)
		tcp_out_count_rexmit(c);
	rc = tcp_out_conn(c, TCP_SYN, c->iss, 0);
	c->snd_nxt = c->snd_max = c->iss + 1;
	if (!again) {
		c->flags |= TCP_CF_RTT_TIMING;
		c->rtt_seq = c->iss;
		c->rtt_start = c->s->now;
	} else {
		c->flags &= ~TCP_CF_RTT_TIMING;	/* Karn */
	}
	if (c->timer[TCP_T_RTO] == STACK_TIME_NEVER)
		tcp_timer_rto_restart(c);
	return rc < 0 ? rc : 0;
}

/**
 * tcp_out_data_end() - sequence number after the last byte the application holds
 * @c:	the connection
 *
 * Return: the sequence number
 */
static uint32_t tcp_out_data_end(const struct tcp_conn *c)
{
	return tcp_data_una(c) + c->app_len;
}

/**
 * tcp_out_can_send() - may this state send data and FIN?
 * @c:	the connection
 *
 * Return: true in ESTABLISHED and the states after our FIN or the peer's
 */
bool tcp_out_can_send(const struct tcp_conn *c)
{
	switch (c->state) {
	case TCP_S_ESTABLISHED:
	case TCP_S_CLOSE_WAIT:
	case TCP_S_FIN_WAIT_1:
	case TCP_S_CLOSING:
	case TCP_S_LAST_ACK:
		return true;
	default:
		return false;
	}
}

/**
 * tcp_out_sent() - bookkeeping after sending [@seq, @seq + @len) of sequence space
 * @c:		the connection
 * @seq:	first sequence number
 * @len:	sequence space used (payload + FIN)
 */
static void tcp_out_sent(struct tcp_conn *c, uint32_t seq, uint32_t len)
{
	if (seq_lt(seq, c->snd_max)) {
		tcp_out_count_rexmit(c);
		c->flags &= ~TCP_CF_RTT_TIMING;	/* RFC 6298 §3 Karn; choice 28 */
	} else if (!(c->flags & (TCP_CF_RTT_TIMING | TCP_CF_IN_RECOVERY))) {
		/* RFC 6298 §3: time one new segment per RTT, none in recovery */
		c->flags |= TCP_CF_RTT_TIMING;
		c->rtt_seq = seq;
		c->rtt_start = c->s->now;
	}
	c->snd_nxt = seq + len;
	if (seq_gt(c->snd_nxt, c->snd_max))
		c->snd_max = c->snd_nxt;
	/* RFC 6298 §5.1: start the timer if it is not running */
	if (c->timer[TCP_T_RTO] == STACK_TIME_NEVER)
		tcp_timer_rto_restart(c);
	tcp_timer_stop(c, TCP_T_PERSIST);
	if (c->sack_ok && c->snd_nxt == c->snd_max)
		tcp_tlp_arm(c);			/* RFC 8985 §7.2: after new data */
}

/**
 * tcp_out_fin_sent() - our FIN went out (the first time) at @seq
 * @c:		the connection
 * @seq:	its sequence number
 */
static void tcp_out_fin_sent(struct tcp_conn *c, uint32_t seq)
{
	if (c->flags & TCP_CF_FIN_SENT)
		return;
	c->flags |= TCP_CF_FIN_SENT;
	c->fin_seq = seq;
	/* RFC 9293 §3.10.4 CLOSE: ESTABLISHED → FIN-WAIT-1, CLOSE-WAIT → LAST-ACK */
	if (c->state == TCP_S_ESTABLISHED)
		tcp_conn_set_state(c, TCP_S_FIN_WAIT_1);
	else if (c->state == TCP_S_CLOSE_WAIT)
		tcp_conn_set_state(c, TCP_S_LAST_ACK);
}

/**
 * tcp_out_fin() - send our FIN at SND.NXT, entering FIN-WAIT-1 or LAST-ACK
 * @c:	the connection, every announced byte sent
 *
 * Return: 0 or -errno
 */
static int tcp_out_fin(struct tcp_conn *c)
{
	uint32_t seq = c->snd_nxt;
	int rc = tcp_out_conn(c, TCP_FIN, seq, 0);

	if (rc < 0)
		return rc;
	tcp_out_fin_sent(c, seq);
	tcp_out_sent(c, seq, 1);
	return 0;
}

/**
 * tcp_out_fin_due() - is a FIN (or its retransmission) due at SND.NXT?
 * @c:	the connection
 *
 * Return: true if tcp_shutdown() was called and all data before it is sent
 */
static bool tcp_out_fin_due(const struct tcp_conn *c)
{
	if (!(c->flags & TCP_CF_FIN_QUEUED) || c->snd_nxt != tcp_out_data_end(c))
		return false;
	return !(c->flags & TCP_CF_FIN_SENT) || c->snd_nxt == c->fin_seq;
}

/**
 * tcp_out_seg_max() - the largest data segment the link takes now
 * @c:	the connection
 *
 * Return: SND.MSS, or with TSO the most whole SND.MSS pieces that fit a GSO
 * packet next to the longest TCP header (60 bytes)
 */
static uint32_t tcp_out_seg_max(const struct tcp_conn *c)
{
	size_t room = ip4_tx_gso_room(c->s, c->tuple.client_addr);

	if (room < 60u + 2u * c->snd_mss)
		return c->snd_mss;
	return (uint32_t)((room - 60u) / c->snd_mss * c->snd_mss);
}

/**
 * tcp_out_fit() - size of the next data segment within @usable bytes
 * @c:		the connection
 * @avail:	announced bytes not sent yet
 * @usable:	what the windows leave
 *
 * Return: bytes to send now, 0 to wait (sender SWS avoidance)
 */
static uint32_t tcp_out_fit(const struct tcp_conn *c, uint32_t avail, uint32_t usable)
{
	uint32_t len = avail, max = tcp_out_seg_max(c);

	if (len > max)
		len = max;
	if (len > usable)
		len = usable;
	/* a super-segment that is not the tail: whole pieces only, the rest
	 * waits for the window as a lone segment would */
	if (len > c->snd_mss && len < avail)
		len -= len % c->snd_mss;
	/* RFC 9293 §3.8.6.2.1: sender SWS avoidance (Nagle off, see above) */
	if (len >= c->snd_mss || len == avail || len >= c->max_snd_wnd / 2)
		return len;
	return 0;
}

/**
 * tcp_out_next_len() - size of the next data segment the windows allow
 * @c:		the connection
 * @avail:	announced bytes not sent yet
 *
 * Return: bytes to send now, 0 to wait
 */
static uint32_t tcp_out_next_len(const struct tcp_conn *c, uint32_t avail)
{
	uint32_t wnd = c->snd_wnd < c->cc.cwnd ? c->snd_wnd : c->cc.cwnd;
	uint32_t flight = c->snd_nxt - c->snd_una;

	return tcp_out_fit(c, avail, wnd > flight ? wnd - flight : 0);
}

/**
 * tcp_out_psh() - PSH on the segment that carries the last byte held
 * @c:		the connection
 * @seq:	first byte of the segment
 * @len:	its payload
 *
 * Return: TCP_PSH or 0
 */
static uint8_t tcp_out_psh(const struct tcp_conn *c, uint32_t seq, uint32_t len)
{
	return len && seq + len == tcp_out_data_end(c) ? TCP_PSH : 0;
}

/**
 * tcp_out_fin_with() - does a first transmission of [@seq, @seq + @len) carry our FIN?
 * @c:		the connection
 * @seq:	first byte
 * @len:	payload
 *
 * When tcp_shutdown() was called and the segment ends at the last byte held,
 * the FIN rides on it (one segment, one client ACK less per connection).
 *
 * Return: TCP_FIN or 0
 */
static uint8_t tcp_out_fin_with(const struct tcp_conn *c, uint32_t seq, uint32_t len)
{
	if (!(c->flags & TCP_CF_FIN_QUEUED) || (c->flags & TCP_CF_FIN_SENT))
		return 0;
	return seq + len == tcp_out_data_end(c) ? TCP_FIN : 0;
}

/**
 * tcp_out_data() - send new data (or go-back-N after an RTO) the windows allow
 * @c:	the connection
 */
static void tcp_out_data(struct tcp_conn *c)
{
	while (tcp_out_can_send(c)) {
		uint32_t end = tcp_out_data_end(c), lim, avail, len;
		uint8_t fin;
		int n;

		/* choice 27: go-back-N steps over what was SACKed after the RTO */
		if (c->sack_ok && seq_lt(c->snd_nxt, c->snd_max)) {
			c->snd_nxt = tcp_sack_skip(c, c->snd_nxt, &lim);
			end = seq_min(end, lim);
		}
		avail = seq_lt(c->snd_nxt, end) ? end - c->snd_nxt : 0;
		len = tcp_out_next_len(c, avail);
		if (!len)
			break;
		fin = tcp_out_fin_with(c, c->snd_nxt, len);
		n = tcp_out_conn(c, (uint8_t)(tcp_out_psh(c, c->snd_nxt, len) | fin),
				 c->snd_nxt, len);
		if (n <= 0)
			break;
		if (fin && (uint32_t)n == len) {
			tcp_out_fin_sent(c, c->snd_nxt + len);
			tcp_out_sent(c, c->snd_nxt, len + 1);
			break;
		}
		tcp_out_sent(c, c->snd_nxt, (uint32_t)n);
	}
}

/**
 * tcp_out_rexmit() - resend [@seq, @seq + @len) during SACK recovery
 * @c:		the connection
 * @seq:	first sequence number (below SND.MAX)
 * @len:	sequence space, the FIN included if it is in it
 *
 * SND.NXT does not move: RFC 6675 retransmissions fill holes below it.
 *
 * Return: sequence space sent, or -errno
 */
static int tcp_out_rexmit(struct tcp_conn *c, uint32_t seq, uint32_t len)
{
	uint32_t end = tcp_out_data_end(c);
	uint32_t dlen = seq_lt(seq, end) ? seq_min(seq + len, end) - seq : 0;
	bool fin = (c->flags & TCP_CF_FIN_SENT) && seq + dlen == c->fin_seq &&
		   seq_gt(seq + len, c->fin_seq);
	int n;

	if (!dlen && !fin)
		return -ENODATA;
	n = tcp_out_conn(c, (uint8_t)(tcp_out_psh(c, seq, dlen) | (fin ? TCP_FIN : 0)),
			 seq, dlen);
	if (n < 0)
		return n;
	tcp_out_count_rexmit(c);
	c->sb.rxt_mark = c->snd_max;		/* RFC 8985 lost retransmissions, tcp_tlp.c */
	c->flags &= ~TCP_CF_RTT_TIMING;		/* RFC 6298 §3 Karn; choice 28 */
	if (c->timer[TCP_T_RTO] == STACK_TIME_NEVER)
		tcp_timer_rto_restart(c);	/* RFC 6298 §5.1 */
	return n + ((uint32_t)n == dlen && fin);
}

/**
 * tcp_out_tlp_probe() - RFC 8985 §7.3: send a loss probe
 * @c:		the connection (SACK on, every outstanding byte sent once)
 * @seq:	filled with the probe's first sequence number
 *
 * One new segment if the peer's window allows it (cwnd notwithstanding),
 * else the highest SMSS of sequence space sent (the FIN included) again.
 *
 * Return: 0 for new data, 1 for a retransmission, -1 if nothing was sent
 */
int tcp_out_tlp_probe(struct tcp_conn *c, uint32_t *seq)
{
	uint32_t end = tcp_out_data_end(c), edge = c->snd_una + c->snd_wnd;
	uint32_t len = seq_lt(c->snd_nxt, end) ? end - c->snd_nxt : 0;
	int n;

	if (len > c->snd_mss)
		len = c->snd_mss;
	if (len && seq_leq(c->snd_nxt + len, edge)) {
		*seq = c->snd_nxt;
		n = tcp_out_conn(c, tcp_out_psh(c, c->snd_nxt, len), c->snd_nxt, len);
		if (n > 0) {
			tcp_out_sent(c, c->snd_nxt, (uint32_t)n);
			return 0;
		}
	}
	len = c->snd_max - c->snd_una < c->snd_mss ? c->snd_max - c->snd_una : c->snd_mss;
	*seq = c->snd_max - len;
	return tcp_out_rexmit(c, *seq, len) > 0 ? 1 : -1;
}

/**
 * tcp_out_sack_first() - RFC 6675 §5 (4.3): resend the segment at SND.UNA
 * @c:	the connection, entering SACK recovery (HighRxt = SND.UNA)
 */
void tcp_out_sack_first(struct tcp_conn *c)
{
	uint32_t lim, seq = tcp_sack_skip(c, c->snd_una, &lim);
	uint32_t len = lim - seq < c->snd_mss ? lim - seq : c->snd_mss;
	int n;

	if (!seq_lt(seq, lim))
		return;
	n = tcp_out_rexmit(c, seq, len);
	if (n > 0)
		c->sb.high_rxt = seq + (uint32_t)n;	/* RFC 6675 §5 (4.3) */
}

/**
 * tcp_out_sack_new_len() - RFC 6675 NextSeg() (2): new data the peer allows
 * @c:		the connection
 * @room:	cwnd - pipe: a super-segment (TSO) takes no more
 *
 * Return: bytes of new data to send now
 */
static uint32_t tcp_out_sack_new_len(const struct tcp_conn *c, uint32_t room)
{
	uint32_t end = tcp_out_data_end(c), edge = c->snd_una + c->snd_wnd;
	uint32_t avail = seq_lt(c->snd_nxt, end) ? end - c->snd_nxt : 0;
	uint32_t usable = seq_gt(edge, c->snd_nxt) ? edge - c->snd_nxt : 0;

	if (c->snd_nxt != c->snd_max)
		return 0;
	/* RFC 6675 §5 (C): one segment per cwnd - pipe >= SMSS; a super-segment
	 * counts as its pieces, so at most cwnd - pipe of them */
	if (usable > room)
		usable = room;
	return tcp_out_fit(c, avail, usable);
}

/**
 * tcp_out_sack_one() - send what NextSeg() chose
 * @c:		the connection
 * @next:	the NextSeg() rule
 * @seq:	retransmission start (rules 1, 3, 4)
 * @len:	retransmission length
 * @room:	cwnd - pipe
 *
 * Return: sequence space sent, or <= 0 if nothing was
 */
static int tcp_out_sack_one(struct tcp_conn *c, enum tcp_sack_next next,
			    uint32_t seq, uint32_t len, uint32_t room)
{
	uint32_t nlen;
	int n;

	switch (next) {
	case TCP_SACK_NEXT_NEW:
		nlen = tcp_out_sack_new_len(c, room);
		n = tcp_out_conn(c, tcp_out_psh(c, c->snd_nxt, nlen), c->snd_nxt, nlen);
		if (n > 0)
			tcp_out_sent(c, c->snd_nxt, (uint32_t)n);
		return n;
	case TCP_SACK_NEXT_RXT:
		n = tcp_out_rexmit(c, seq, len);
		if (n > 0)
			c->sb.high_rxt = seq + (uint32_t)n;	/* RFC 6675 §5 (C.2) */
		return n;
	case TCP_SACK_NEXT_RESCUE:
		n = tcp_out_rexmit(c, seq, len);
		if (n > 0)
			c->sb.rescue_rxt = c->cc.recover;	/* RFC 6675 §5 (C.4) */
		return n;
	case TCP_SACK_NEXT_NONE:
	default:
		return 0;
	}
}

/**
 * tcp_out_sack_recovery() - RFC 6675 §5 step (C): send while pipe allows
 * @c:	the connection, in SACK recovery
 */
static void tcp_out_sack_recovery(struct tcp_conn *c)
{
	uint32_t pipe = tcp_sack_pipe(c);

	/* RFC 6675 §5 (C): while cwnd - pipe >= 1 SMSS */
	while (tcp_out_can_send(c) && (uint64_t)pipe + c->snd_mss <= c->cc.cwnd) {
		uint32_t seq = 0, len = 0;
		enum tcp_sack_next next;
		int n;

		uint32_t room = c->cc.cwnd - pipe;

		next = tcp_sack_next_seg(c, tcp_out_sack_new_len(c, room) > 0, &seq, &len);
		n = tcp_out_sack_one(c, next, seq, len, room);
		if (n <= 0)
			return;
		pipe += (uint32_t)n;		/* RFC 6675 §5 (C.3) */
	}
}

/**
 * tcp_out_push() - send what the windows allow, a due FIN, a pending ACK
 * @c:	the connection
 */
void tcp_out_push(struct tcp_conn *c)
{
	if (c->flags & (TCP_CF_DEAD | TCP_CF_PENDING))
		return;
	if (tcp_sack_in_recovery(c))
		tcp_out_sack_recovery(c);
	else
		tcp_out_data(c);
	if (tcp_out_can_send(c) && tcp_out_fin_due(c))
		tcp_out_fin(c);
	if (c->flags & TCP_CF_ACK_NOW)
		tcp_out_ack(c);
	/* RFC 9293 §3.8.6.1: data waits behind a zero window, nothing in flight */
	if (tcp_out_can_send(c) && c->snd_wnd == 0 && c->snd_una == c->snd_max &&
	    seq_lt(c->snd_nxt, tcp_out_data_end(c)) &&
	    c->timer[TCP_T_PERSIST] == STACK_TIME_NEVER)
		tcp_timer_set(c, TCP_T_PERSIST, c->s->now + c->rto_us);
}

/**
 * tcp_out_resend_head() - resend the first unacknowledged segment
 * @c:	the connection
 */
static void tcp_out_resend_head(struct tcp_conn *c)
{
	uint32_t end = tcp_out_data_end(c);
	uint32_t avail = seq_lt(c->snd_una, end) ? end - c->snd_una : 0;
	uint32_t len = avail < c->snd_mss ? avail : c->snd_mss;
	uint32_t save = c->snd_nxt;
	bool fin;
	int n;

	c->snd_nxt = c->snd_una;
	if (!len) {
		if (tcp_out_fin_due(c))
			tcp_out_fin(c);
		if (seq_gt(save, c->snd_nxt))
			c->snd_nxt = save;
		return;
	}
	/* the FIN already sent right after these bytes goes with them again */
	fin = len == avail && (c->flags & TCP_CF_FIN_SENT) && c->snd_una + len == c->fin_seq;
	n = tcp_out_conn(c, (uint8_t)((len == avail ? TCP_PSH : 0) | (fin ? TCP_FIN : 0)),
			 c->snd_una, len);
	if (n > 0)
		tcp_out_sent(c, c->snd_una, (uint32_t)n + (fin && (uint32_t)n == len));
	if (seq_gt(save, c->snd_nxt))
		c->snd_nxt = save;
}

/**
 * tcp_out_fast_retransmit() - RFC 5681 §3.2 / RFC 6582: resend the head now
 * @c:	the connection
 */
void tcp_out_fast_retransmit(struct tcp_conn *c)
{
	c->flags &= ~TCP_CF_RTT_TIMING;		/* Karn */
	tcp_out_resend_head(c);
}

/**
 * tcp_out_retransmit() - the RTO timer expired (RFC 6298 §5.4-5.7)
 * @c:	the connection
 */
void tcp_out_retransmit(struct tcp_conn *c)
{
	bool syn = c->state == TCP_S_SYN_RECEIVED;

	if (!syn && c->snd_una == c->snd_max)
		return;			/* everything acknowledged: stale */
	if (c->backoff >= (syn ? TCP_SYNACK_RETRIES : TCP_RTO_RETRIES)) {
		tcp_conn_timeout(c);
		return;
	}
	if (!syn) {
		tcp_cc_on_rto(c);
		/* RFC 2018 §8, RFC 6675 §5.1: the receiver may have reneged */
		tcp_sack_clear(c);
	}
	c->backoff++;
	/* RFC 6298 §5.5: back off the timer */
	c->rto_us = c->rto_us * 2 > TCP_RTO_MAX_US ? TCP_RTO_MAX_US : c->rto_us * 2;
	c->flags &= ~TCP_CF_RTT_TIMING;		/* RFC 6298 §3: Karn's algorithm */
	tcp_timer_rto_restart(c);		/* RFC 6298 §5.6 */
	if (syn) {
		tcp_out_synack(c);
		return;
	}
	/* RFC 6298 §5.4: retransmit the earliest unacknowledged segment */
	c->snd_nxt = c->snd_una;
	tcp_out_resend_head(c);
}

/**
 * tcp_out_probe() - the persist timer expired: send a zero-window probe
 * @c:	the connection
 *
 * Return: 0, or -errno if nothing was sent
 */
int tcp_out_probe(struct tcp_conn *c)
{
	uint32_t end = tcp_out_data_end(c);
	uint64_t next;
	int n;

	if (c->snd_wnd || !tcp_out_can_send(c) || !seq_lt(c->snd_una, end)) {
		tcp_out_push(c);
		return 0;
	}
	if (c->probes >= TCP_PERSIST_RETRIES) {
		tcp_conn_timeout(c);
		return -ETIMEDOUT;
	}
	/* RFC 9293 §3.8.6.1: one byte beyond the zero window */
	n = tcp_out_conn(c, 0, c->snd_una, 1);
	if (n == 1 && seq_gt(c->snd_una + 1, c->snd_max))
		c->snd_max = c->snd_una + 1;
	c->probes++;
	if (c->persist_backoff < 16)
		c->persist_backoff++;
	STAT_INC(c->s, zero_window_probes);
	next = (uint64_t)c->rto_us << c->persist_backoff;
	if (next > TCP_RTO_MAX_US)
		next = TCP_RTO_MAX_US;
	tcp_timer_set(c, TCP_T_PERSIST, c->s->now + next);
	return n < 0 ? n : 0;
}

/**
 * tcp_out_keepalive() - RFC 1122 §4.2.3.6: a keep-alive probe
 * @c:	the connection
 *
 * <SEQ=SND.NXT-1><ACK=RCV.NXT><CTL=ACK> without data: the peer sees an old
 * sequence number and must answer with an ACK (RFC 9293 §3.10.7.4 first check).
 *
 * Return: 0 or -errno
 */
int tcp_out_keepalive(struct tcp_conn *c)
{
	int rc = tcp_out_conn(c, 0, c->snd_nxt - 1, 0);

	STAT_INC(c->s, keepalive_probes);
	return rc < 0 ? rc : 0;
}

/**
 * tcp_out_rst_conn() - reset a connection we are dropping
 * @c:	the connection
 *
 * Before our SYN-ACK went out the client only knows its SYN, so it gets the
 * answer of RFC 9293 §3.10.7.1 <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>;
 * otherwise (a SYN-cookie connection held PENDING included) RFC 9293 §3.10.4
 * ABORT <SEQ=SND.NXT><CTL=RST> (with ACK in SYN-RECEIVED, where the client may
 * still be in SYN-SENT).
 */
int tcp_out_rst_conn(struct tcp_conn *c)
{
	struct tcp_out_seg o = { .flags = TCP_RST, .seq = c->snd_max };

	if (c->state == TCP_S_TIME_WAIT)
		return 0;
	/* a held SYN-cookie connection already sent its SYN-ACK: the client is
	 * ESTABLISHED and only accepts <SEQ=SND.NXT> (RFC 5961 §3.2) */
	if ((c->flags & TCP_CF_PENDING) && !(c->flags & TCP_CF_COOKIE)) {
		o.flags |= TCP_ACK;
		o.seq = 0;
		o.ack = c->rcv_nxt;
	} else if (c->state == TCP_S_SYN_RECEIVED) {
		o.flags |= TCP_ACK;
		o.ack = c->rcv_nxt;
	}
	return tcp_out_build(c->s, &c->tuple, NULL, &o) < 0 ? -ENOBUFS : 0;
}

/**
 * tcp_out_rst_reply() - RFC 9293 §3.10.7.1: answer a segment for no connection
 * @s:		the stack
 * @tu:		the tuple it came on
 * @seg:	the segment (never a RST: the caller checks)
 */
void tcp_out_rst_reply(struct stack *s, const struct tcp_tuple *tu,
		       const struct tcp_seg *seg)
{
	struct tcp_out_seg o = { .flags = TCP_RST };

	assert(!(seg->flags & TCP_RST));
	if (seg->flags & TCP_ACK) {
		o.seq = seg->ack;		/* <SEQ=SEG.ACK><CTL=RST> */
	} else {
		o.flags |= TCP_ACK;		/* <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> */
		o.ack = seg->seq + seg->len;
	}
	tcp_out_build(s, tu, NULL, &o);
}
