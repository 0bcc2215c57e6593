/* SPDX-License-Identifier: MIT */
/*
 * tcp_tlp.c - tail loss probe and time-based loss detection (RFC 8985),
 * on top of the RFC 6675 scoreboard, without per-segment state
 *
 * Theory of operation
 * -------------------
 * RFC 6675 recovery starts on three duplicate ACKs (or IsLost()). A sender
 * that is application-limited - a proxy forwarding what its backend socket
 * holds, often a few segments at a time - rarely has three segments behind
 * a loss: a loss near the end of a flight, or of the last segment, used to
 * wait for the RTO (200 ms or more, then a one-segment window). RFC 8985
 * repairs this with two mechanisms, both used here when SACK is on:
 *
 *  - RACK (§6.2): an unacknowledged segment is lost once a segment sent
 *    after it has been delivered and a reordering window has passed. The
 *    stack keeps no per-segment send times, so it applies the rule where
 *    send order is known: outside recovery and go-back-N every outstanding
 *    byte was sent once, in sequence order, so a hole below a SACKed block
 *    was sent before it. The SACK arrived RACK.rtt after that block was
 *    sent, so "reo_wnd after the SACK arrived" is never earlier than the
 *    RFC's "RACK.rtt + reo_wnd after the hole was sent": the rule fires a
 *    little late, never early. reo_wnd = min_RTT / 4, at most SRTT
 *    (§6.2.4, without the D-SACK adaptation). When it fires, RFC 6675
 *    recovery starts as if DupThresh had been reached (same window
 *    reduction, same retransmission rules).
 *
 *  - TLP (§7): after new data is sent or SND.UNA advances, with nothing
 *    SACKed and outside recovery (§7.2), a probe timeout PTO = 2 SRTT
 *    (+ WCDelAckT = 200 ms when one segment is outstanding), never later
 *    than the RTO, replaces the RTO deadline. When it fires, one probe goes
 *    out (§7.3): a new segment if the windows allow, else the highest
 *    segment sent again. Then the RTO is armed. At most one probe per
 *    episode: no new PTO until the episode ends (§7.4): for a new-data
 *    probe, an ACK at or above TLP.end_seq; for a retransmission, a D-SACK
 *    (RFC 2883) reporting it as a duplicate (nothing was lost), or an ACK
 *    beyond TLP.end_seq without one: the probe repaired a loss and
 *    congestion control reacts as to any loss (§7.4.2: ssthresh and cwnd
 *    reduced). Recovery or an RTO also ends the episode.
 *
 * The PTO and the reordering deadline share the RTO slot of c->timer[]
 * (TCP_CF_LOSS_TIMER says which it is), so the timer heap is unchanged.
 * Without SACK (RFC 8985 needs it) nothing here runs: NewReno and the RTO.
 *
 *  - Lost retransmissions (§6.2 again): in recovery, once data sent after
 *    the latest retransmission (at or above sb.rxt_mark) is SACKed while a
 *    retransmitted hole is still open, reo_wnd later the retransmissions
 *    are lost: HighRxt returns to SND.UNA so NextSeg() resends them, and
 *    cwnd is lowered a second time (RFC 5681 §4.3). One with nothing sent
 *    after it, like an ACK lost at the end of recovery, waits for the RTO
 *    (no probe in recovery, §7.2).
 */
#include "stack/tcp_internal.h"

#define TCP_TLP_WCDELACK_US	200000u	/* RFC 8985 §7.2 WCDelAckT, RECOMMENDED 200 ms */
#define TCP_TLP_NO_RTT_US	1000000u	/* RFC 8985 §7.2: no SRTT yet → 1 s */

/**
 * tcp_tlp_state_ok() - may this state send data (and so probe)?
 * @c:	the connection
 *
 * Return: true in ESTABLISHED and the states after a FIN, SYN acknowledged
 */
static bool tcp_tlp_state_ok(const struct tcp_conn *c)
{
	return tcp_out_can_send(c) && c->snd_una != c->iss;
}

/**
 * tcp_tlp_clean_flight() - is every outstanding byte sent once, in order?
 * @c:	the connection
 *
 * Return: true with SACK on, data outstanding, no recovery, no go-back-N
 * after an RTO (RFC 8985's preconditions, and those of our RACK rule)
 */
static bool tcp_tlp_clean_flight(const struct tcp_conn *c)
{
	return c->sack_ok && tcp_tlp_state_ok(c) && c->snd_una != c->snd_max &&
	       c->snd_nxt == c->snd_max && !(c->flags & TCP_CF_IN_RECOVERY) &&
	       c->backoff == 0 && c->snd_wnd != 0;
}

/**
 * tcp_tlp_set_deadline() - put a PTO or reordering deadline in the RTO slot
 * @c:		the connection
 * @when:	the deadline
 */
static void tcp_tlp_set_deadline(struct tcp_conn *c, stack_time_us when)
{
	if (!(c->flags & TCP_CF_LOSS_TIMER))
		c->rto_saved = c->timer[TCP_T_RTO];
	/* RFC 8985 §7.2: never later than the RTO */
	if (c->rto_saved < when)
		when = c->rto_saved;
	tcp_timer_set(c, TCP_T_RTO, when);
	c->flags |= TCP_CF_LOSS_TIMER;
}

/**
 * tcp_tlp_restore_rto() - give the RTO slot back to the RTO deadline it held
 * @c:	the connection
 */
static void tcp_tlp_restore_rto(struct tcp_conn *c)
{
	c->flags &= ~TCP_CF_LOSS_TIMER;
	if (c->rto_saved == STACK_TIME_NEVER)
		tcp_timer_rto_restart(c);
	else
		tcp_timer_set(c, TCP_T_RTO, c->rto_saved);	/* due now: runs next */
}

/**
 * tcp_tlp_arm() - RFC 8985 §7.2: schedule a loss probe
 * @c:	the connection; new data was just sent or SND.UNA just advanced
 *
 * PTO = 2 SRTT, + WCDelAckT with one segment in flight, at most the RTO;
 * nothing while an episode is open, the flight is not clean, or segments
 * are SACKed (§7.2: RACK's reordering deadline watches those).
 */
void tcp_tlp_arm(struct tcp_conn *c)
{
	uint64_t pto;

	if (!tcp_tlp_clean_flight(c) || (c->flags & TCP_CF_TLP_OUT) || c->sb.n)
		return;
	pto = (c->flags & TCP_CF_HAVE_RTT) ? 2ull * c->srtt_us : TCP_TLP_NO_RTT_US;
	if (c->snd_max - c->snd_una <= c->snd_mss)
		pto += TCP_TLP_WCDELACK_US;	/* the receiver may delay its ACK */
	if (pto >= c->rto_us)
		return;				/* §7.2: the RTO comes first anyway */
	tcp_tlp_set_deadline(c, c->s->now + pto);
}

/**
 * tcp_tlp_reo_wnd() - RFC 8985 §6.2.4: the reordering window
 * @c:	the connection
 *
 * Return: min_RTT / 4, at most SRTT; 0 before any RTT sample
 */
static uint32_t tcp_tlp_reo_wnd(const struct tcp_conn *c)
{
	uint32_t w = c->rtt_min_us / 4;

	if ((c->flags & TCP_CF_HAVE_RTT) && w > c->srtt_us)
		w = c->srtt_us;
	return w;
}

/**
 * tcp_tlp_on_sack() - a SACK left a hole: RACK's reordering timer (§6.2)
 * @c:	the connection, not in recovery, its board not empty
 *
 * The holes below the SACKed data are lost if they are still holes reo_wnd
 * from now (tcp_tlp_timeout()).
 */
static void tcp_tlp_on_sack(struct tcp_conn *c)
{
	stack_time_us when = c->s->now + tcp_tlp_reo_wnd(c);

	if (!c->sb.n || !tcp_tlp_clean_flight(c))
		return;
	if ((c->flags & TCP_CF_LOSS_TIMER) && c->timer[TCP_T_RTO] <= when)
		return;				/* an earlier deadline stands */
	tcp_tlp_set_deadline(c, when);
}

/**
 * tcp_tlp_rxt_lost() - RACK for retransmissions: is one outstanding and
 * data sent after it delivered?
 * @c:	the connection, in SACK recovery
 *
 * Every retransmission went out before SND.MAX reached sb.rxt_mark, so a
 * SACKed byte at or above the mark was sent after all of them.
 *
 * Return: true if a retransmitted hole (below HighRxt) waits while such a
 * byte is SACKed
 */
static bool tcp_tlp_rxt_lost(const struct tcp_conn *c)
{
	const struct tcp_sack_board *sb = &c->sb;

	return sb->n && seq_lt(c->snd_una, sb->high_rxt) &&
	       seq_gt(sb->r[sb->n - 1].right, sb->rxt_mark);
}

/**
 * tcp_tlp_rxt_timeout() - RFC 8985 §6.2: the reordering window passed over
 * a retransmission that data sent later overtook: it is lost
 * @c:	the connection, in SACK recovery
 *
 * HighRxt goes back to SND.UNA, so SetPipe() no longer counts the lost
 * retransmissions and NextSeg() sends them again; congestion control
 * lowers the window a second time (RFC 5681 §4.3).
 */
static void tcp_tlp_rxt_timeout(struct tcp_conn *c)
{
	if (tcp_tlp_rxt_lost(c)) {
		STAT_INC(c->s, rack_losses);
		c->sb.rack_lost = c->sb.r[c->sb.n - 1].right;
		c->sb.high_rxt = c->snd_una;
		c->sb.rxt_mark = c->snd_max;
		tcp_cc_reduce_again(c);
	}
	tcp_tlp_restore_rto(c);
	tcp_out_push(c);
}

/**
 * tcp_tlp_probe() - RFC 8985 §7.3: send the loss probe, arm the RTO
 * @c:	the connection, clean flight, nothing SACKed
 */
static void tcp_tlp_probe(struct tcp_conn *c)
{
	uint32_t seq = 0;
	int rxt = tcp_out_tlp_probe(c, &seq);

	tcp_timer_rto_restart(c);		/* §7.3: the RTO follows the probe */
	if (rxt < 0)
		return;
	STAT_INC(c->s, tlp_probes);
	c->flags |= TCP_CF_TLP_OUT;
	if (rxt)
		c->flags |= TCP_CF_TLP_RXT;
	else
		c->flags &= ~TCP_CF_TLP_RXT;
	c->tlp_seq = seq;
	c->tlp_end = c->snd_max;		/* §7.3 TLP.end_seq = SND.NXT */
}

/**
 * tcp_tlp_timeout() - the PTO or the reordering deadline expired
 * @c:	the connection (TCP_CF_LOSS_TIMER was set)
 */
void tcp_tlp_timeout(struct tcp_conn *c)
{
	c->flags &= ~TCP_CF_LOSS_TIMER;
	if (c->snd_una == c->snd_max)
		return;				/* all acknowledged meanwhile */
	if (tcp_sack_in_recovery(c)) {
		tcp_tlp_rxt_timeout(c);
		return;
	}
	if (!tcp_tlp_clean_flight(c)) {
		tcp_tlp_restore_rto(c);		/* recovery or RTO rules now */
		return;
	}
	if (c->sb.n) {
		/* RFC 8985 §6.2 step 5: every hole below SACKed data was sent
		 * before it and is older than RACK.rtt + reo_wnd: lost */
		STAT_INC(c->s, rack_losses);
		c->sb.rack_lost = c->sb.r[c->sb.n - 1].right;
		tcp_timer_rto_restart(c);
		if (tcp_sack_enter_recovery(c))
			tcp_out_push(c);
		return;
	}
	if (c->flags & TCP_CF_TLP_OUT) {
		tcp_tlp_restore_rto(c);		/* §7.3: one probe per episode */
		return;
	}
	tcp_tlp_probe(c);
}

/**
 * tcp_tlp_dsack_of_probe() - RFC 2883: does @seg report the probe as a duplicate?
 * @c:		the connection, probe out
 * @seg:	the ACK
 *
 * Return: true if its first SACK block is a D-SACK overlapping the probe
 */
static bool tcp_tlp_dsack_of_probe(const struct tcp_conn *c, const struct tcp_seg *seg)
{
	const struct tcp_sack_block *b = &seg->opt.sack[0];

	if (!seg->opt.n_sack || !tcp_sack_is_dsack(seg))
		return false;
	return seq_lt(b->left, c->tlp_end) && seq_gt(b->right, c->tlp_seq);
}

/**
 * tcp_tlp_episode() - RFC 8985 §7.4: does this ACK end the probe's episode?
 * @c:		the connection, probe out
 * @seg:	an acceptable ACK, already processed
 */
static void tcp_tlp_episode(struct tcp_conn *c, const struct tcp_seg *seg)
{
	bool end = false;

	if (c->flags & TCP_CF_IN_RECOVERY) {
		end = true;			/* recovery reduced the window */
	} else if (!(c->flags & TCP_CF_TLP_RXT)) {
		end = seq_geq(seg->ack, c->tlp_end);	/* new data: nothing to infer */
	} else if (tcp_tlp_dsack_of_probe(c, seg)) {
		end = true;			/* §7.4.1: the original arrived too */
	} else if (seq_gt(seg->ack, c->tlp_end)) {
		/* §7.4.2: past the probe without a D-SACK for it: the probe
		 * repaired a loss; react as to any loss */
		STAT_INC(c->s, tlp_recoveries);
		tcp_cc_congestion(c);
		c->cc.cwnd = c->cc.ssthresh;
		end = true;
	}
	if (end)
		c->flags &= ~(TCP_CF_TLP_OUT | TCP_CF_TLP_RXT);
}

/**
 * tcp_tlp_after_ack() - an acceptable ACK was processed (SACK on)
 * @c:		the connection
 * @seg:	the ACK
 * @advanced:	it moved SND.UNA (the RTO was just restarted)
 *
 * Ends a probe episode (§7.4), schedules the next PTO (§7.2) and, with
 * holes below SACKed data, RACK's reordering deadline (§6.2).
 */
void tcp_tlp_after_ack(struct tcp_conn *c, const struct tcp_seg *seg, bool advanced)
{
	if (c->flags & TCP_CF_TLP_OUT)
		tcp_tlp_episode(c, seg);
	if (advanced)
		tcp_tlp_arm(c);
	if (tcp_sack_in_recovery(c)) {
		stack_time_us when = c->s->now + tcp_tlp_reo_wnd(c);

		/* §6.2: a retransmission overtaken: lost after reo_wnd */
		if (tcp_tlp_rxt_lost(c) && !((c->flags & TCP_CF_LOSS_TIMER) &&
					    c->timer[TCP_T_RTO] <= when))
			tcp_tlp_set_deadline(c, when);
		return;
	}
	if (c->sb.n)
		tcp_tlp_on_sack(c);
}

/**
 * tcp_tlp_on_rto() - an RTO ends a probe episode (RFC 8985 §7.4)
 * @c:	the connection
 */
void tcp_tlp_on_rto(struct tcp_conn *c)
{
	c->flags &= ~(TCP_CF_TLP_OUT | TCP_CF_TLP_RXT | TCP_CF_LOSS_TIMER);
}
