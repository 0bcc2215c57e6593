/* SPDX-License-Identifier: MIT */
/*
 * tcp_cc.c - congestion control (RFC 5681 Reno with RFC 6582 NewReno recovery)
 *
 * Theory of operation
 * -------------------
 * The rest of TCP talks to congestion control through five calls: init, a new
 * ACK advancing SND.UNA, a duplicate ACK, a partial ACK during recovery, and a
 * retransmission timeout. The state lives in struct tcp_cc inside the
 * connection; CUBIC (RFC 9438) can replace the bodies behind the same calls.
 *
 *   - initial window: 10 segments (RFC 6928), ssthresh "arbitrarily high"
 *     (RFC 5681 §3.1);
 *   - slow start: cwnd += min(acked, SMSS) per ACK (RFC 5681 §3.1, eq. 2);
 *   - congestion avoidance: cwnd += SMSS once a cwnd's worth of bytes was
 *     acknowledged (RFC 5681 §3.1, byte counting variant);
 *   - 3 duplicate ACKs: ssthresh = max(FlightSize/2, 2*SMSS), cwnd = ssthresh
 *     + 3*SMSS, fast retransmit (RFC 5681 §3.2, RFC 6582 §3.2 step 2); a full
 *     ACK ends recovery with cwnd = ssthresh (RFC 6582 §3.2 step 3);
 *   - RTO: ssthresh = max(FlightSize/2, 2*SMSS), cwnd = 1 SMSS (RFC 5681 §3.1
 *     eq. 4, loss window).
 */
#include "stack/tcp_internal.h"

/**
 * tcp_cc_flight() - bytes in flight
 * @c:	the connection
 *
 * Return: SND.NXT - SND.UNA, counting what was sent and is not acknowledged
 */
uint32_t tcp_cc_flight(const struct tcp_conn *c)
{
	return c->snd_max - c->snd_una;
}

/**
 * tcp_cc_init() - initial window, at connection setup
 * @c:	the connection (snd_mss set)
 */
void tcp_cc_init(struct tcp_conn *c)
{
	c->cc.cwnd = TCP_INIT_CWND_SEGS * (uint32_t)c->snd_mss;	/* RFC 6928 */
	c->cc.ssthresh = UINT32_MAX;				/* RFC 5681 §3.1 */
	c->cc.dupacks = 0;
	c->cc.acked_acc = 0;
	c->cc.recover = c->iss;
}

/**
 * tcp_cc_halve() - the multiplicative decrease of RFC 5681 §3.1 eq. 4
 * @c:	the connection
 */
static void tcp_cc_halve(struct tcp_conn *c)
{
	uint32_t half = tcp_cc_flight(c) / 2, floor = 2u * c->snd_mss;

	c->cc.ssthresh = half > floor ? half : floor;
}

/**
 * tcp_cc_on_ack() - SND.UNA advanced
 * @c:		the connection (snd_una already advanced)
 * @acked:	bytes newly acknowledged
 *
 * Return: true for a partial ACK in recovery: the caller retransmits the
 * first unacknowledged segment (RFC 6582 §3.2 step 5)
 */
bool tcp_cc_on_ack(struct tcp_conn *c, uint32_t acked)
{
	struct tcp_cc *cc = &c->cc;

	cc->dupacks = 0;
	if (c->flags & TCP_CF_IN_RECOVERY) {
		/* RFC 6582 §3.2 step 3: a full ACK ends recovery */
		if (seq_gt(c->snd_una, cc->recover) || c->snd_una == cc->recover) {
			c->flags &= ~TCP_CF_IN_RECOVERY;
			cc->cwnd = cc->ssthresh;
			return false;
		}
		/* RFC 6582 §3.2 step 5: deflate by the amount acked, add SMSS */
		cc->cwnd = cc->cwnd > acked ? cc->cwnd - acked : 0;
		cc->cwnd += c->snd_mss;
		return true;
	}
	if (cc->cwnd < cc->ssthresh) {
		/* RFC 5681 §3.1: slow start, at most SMSS per ACK */
		cc->cwnd += acked < c->snd_mss ? acked : c->snd_mss;
		return false;
	}
	/* RFC 5681 §3.1: congestion avoidance, one SMSS per cwnd acked */
	cc->acked_acc += acked;
	if (cc->acked_acc >= cc->cwnd) {
		cc->acked_acc -= cc->cwnd;
		cc->cwnd += c->snd_mss;
	}
	return false;
}

/**
 * tcp_cc_on_dupack() - a duplicate ACK arrived (RFC 5681 §2 definition)
 * @c:	the connection
 *
 * Return: true if the caller must fast-retransmit the first unacked segment
 */
bool tcp_cc_on_dupack(struct tcp_conn *c)
{
	struct tcp_cc *cc = &c->cc;

	if (c->flags & TCP_CF_IN_RECOVERY) {
		cc->cwnd += c->snd_mss;		/* RFC 6582 §3.2 step 4: inflate */
		return false;
	}
	if (++cc->dupacks != 3)
		return false;
	/* RFC 6582 §3.2 step 2: only if the ACK covers more than recover */
	if (seq_lt(c->snd_una, cc->recover))
		return false;
	tcp_cc_halve(c);
	cc->cwnd = cc->ssthresh + 3u * c->snd_mss;
	cc->recover = c->snd_max;
	c->flags |= TCP_CF_IN_RECOVERY;
	return true;
}

/**
 * tcp_cc_on_rto() - the retransmission timer expired
 * @c:	the connection
 */
void tcp_cc_on_rto(struct tcp_conn *c)
{
	/* RFC 5681 §3.1 eq. 4 and the loss window of one segment */
	if (c->backoff == 0)
		tcp_cc_halve(c);
	c->cc.cwnd = c->snd_mss;
	c->cc.acked_acc = 0;
	c->cc.dupacks = 0;
	c->cc.recover = c->snd_max;	/* RFC 6582 §3.2 step 1 after an RTO */
	c->flags &= ~TCP_CF_IN_RECOVERY;
}
