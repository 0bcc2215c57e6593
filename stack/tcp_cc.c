/* SPDX-License-Identifier: MIT */
/*
 * tcp_cc.c - congestion control: CUBIC (RFC 9438, the default) and NewReno
 * (RFC 5681 with RFC 6582 recovery), chosen per stack by stack_config.cc
 *
 * Theory of operation
 * -------------------
 * The rest of TCP talks to congestion control through a few calls: init, a
 * new ACK advancing SND.UNA, a duplicate ACK (NewReno recovery, without
 * SACK), a congestion event (the multiplicative decrease, also used by the
 * RFC 6675 recovery of tcp_sack.c) and a retransmission timeout. The state
 * lives in struct tcp_cc inside the connection. Both algorithms share:
 *
 *   - initial window: min(10*MSS, max(2*MSS, 14600)) (RFC 6928 §2),
 *     ssthresh "arbitrarily high" (RFC 5681 §3.1);
 *   - slow start: cwnd += min(acked, SMSS) per ACK (RFC 5681 §3.1, eq. 2);
 *   - cwnd grows only while the sender used it (RFC 7661 spirit, as Linux):
 *     in slow start when FlightSize before the ACK was above cwnd / 2, in
 *     congestion avoidance when it was within one SMSS of cwnd; an
 *     application-limited sender keeps its window;
 *   - RTO: cwnd = 1 SMSS (RFC 5681 §3.1 loss window); ssthresh is reduced
 *     on the first expiry only (RFC 5681 §3.1 eq. 4 for NewReno,
 *     FlightSize * β for CUBIC, RFC 9438 §4.8), at least 2 SMSS.
 *
 * NewReno: congestion avoidance adds one SMSS per cwnd of bytes acknowledged
 * (RFC 5681 §3.1 byte counting); a loss sets ssthresh = max(FlightSize/2,
 * 2*SMSS) (eq. 4). Without SACK, 3 duplicate ACKs start RFC 6582 recovery:
 * cwnd = ssthresh + 3*SMSS, inflated per dupACK, deflated on a partial ACK
 * (which retransmits the next hole), cwnd = ssthresh on the full ACK.
 *
 * CUBIC (RFC 9438), windows in segments, time in seconds from
 * stack->now (virtual in tests):
 *   - W_cubic(t) = C (t - K)^3 + W_max, C = 0.4 (§4.2), K = cbrt((W_max -
 *     cwnd_epoch) / C), t from the first ACK of the congestion avoidance
 *     stage (epoch), target = W_cubic(t + SRTT) clamped to [cwnd, 1.5 cwnd],
 *     cwnd += (target - cwnd) / cwnd per segment acked (§4.4 concave, §4.5
 *     convex);
 *   - Reno-friendly region (§4.3): W_est starts at cwnd_epoch and grows by
 *     α = 3 (1 - β) / (1 + β) segments per cwnd acked (α = 1 once W_est
 *     reaches cwnd_prior); while W_cubic(t) < W_est, cwnd = W_est;
 *   - loss (§4.6, §4.7): β = 0.7, ssthresh = max(FlightSize * β, 2 SMSS),
 *     W_max = cwnd, or cwnd (1 + β) / 2 when cwnd fell short of the previous
 *     W_max (fast convergence);
 *   - after an RTO (§4.8) the next epoch has K = 0 and W_max = its cwnd.
 *
 * Undo after a spurious timeout (RFC 3708 detection, RFC 4015 response),
 * with SACK: the first expiry of an RTO remembers cwnd, ssthresh and W_max
 * from before its reduction and counts the retransmissions that follow;
 * every D-SACK (RFC 2883) the peer sends for data at or above SND.UNA counts
 * one down. When all of them were reported as duplicates, nothing was lost
 * (the ACKs were, or the data was only delayed): the old window comes back
 * (never smaller than the current one) and spurious_undos counts it. The
 * episode ends without undo once SND.UNA reaches the RecoveryPoint set by
 * the RTO with a retransmission unreported (D-SACKs in that same ACK still
 * count; later ones do not). A SACK recovery's reduction is never undone.
 */
#include <math.h>

#include "stack/tcp_internal.h"

#define CUBIC_C		0.4	/* RFC 9438 §5.1 */
#define CUBIC_BETA	0.7	/* RFC 9438 §4.6 β_cubic */

const char *const stack_cc_names[STACK_CC__COUNT] = {
	[STACK_CC_CUBIC] = "cubic",
	[STACK_CC_NEWRENO] = "newreno",
};
static_assert(sizeof(stack_cc_names) / sizeof(stack_cc_names[0]) == STACK_CC__COUNT,
	      "one name per congestion control");

/**
 * tcp_cc_flight() - bytes in flight
 * @c:	the connection
 *
 * Return: SND.MAX - SND.UNA, counting what was sent and is not acknowledged
 */
uint32_t tcp_cc_flight(const struct tcp_conn *c)
{
	return c->snd_max - c->snd_una;
}

/**
 * tcp_cc_cubic() - is this connection's stack using CUBIC?
 * @c:	the connection
 *
 * Return: true for STACK_CC_CUBIC
 */
static bool tcp_cc_cubic(const struct tcp_conn *c)
{
	return c->s->cfg.cc == STACK_CC_CUBIC;
}

/**
 * tcp_cc_init() - initial window, at connection setup
 * @c:	the connection (snd_mss set)
 */
void tcp_cc_init(struct tcp_conn *c)
{
	uint32_t mss = c->snd_mss, iw = 14600;

	/* RFC 6928 §2: min(10*MSS, max(2*MSS, 14600)) */
	if (iw < 2 * mss)
		iw = 2 * mss;
	if (iw > TCP_INIT_CWND_SEGS * mss)
		iw = TCP_INIT_CWND_SEGS * mss;
	c->cc.cwnd = iw;
	c->cc.ssthresh = UINT32_MAX;				/* RFC 5681 §3.1 */
	c->cc.dupacks = 0;
	c->cc.acked_acc = 0;
	c->cc.recover = c->iss;
	c->cc.epoch_start = STACK_TIME_NEVER;
	c->cc.w_max = 0;
	c->cc.cwnd_prior = 0;
}

/**
 * tcp_cc_set_ssthresh() - ssthresh = max(@target, 2 * SMSS)
 * @c:		the connection
 * @target:	the reduced window, bytes
 */
static void tcp_cc_set_ssthresh(struct tcp_conn *c, uint64_t target)
{
	uint32_t floor = 2u * c->snd_mss;

	/* RFC 5681 §3.1 eq. 4 / RFC 9438 §4.6: never below 2 SMSS */
	c->cc.ssthresh = target > floor ? (uint32_t)target : floor;
}

/**
 * tcp_cc_congestion() - a loss was detected: the multiplicative decrease
 * @c:	the connection
 *
 * Sets ssthresh (and CUBIC's W_max); the caller sets cwnd for its recovery.
 */
void tcp_cc_congestion(struct tcp_conn *c)
{
	struct tcp_cc *cc = &c->cc;
	double w = (double)cc->cwnd / c->snd_mss;

	cc->acked_acc = 0;
	if (!tcp_cc_cubic(c)) {
		tcp_cc_set_ssthresh(c, tcp_cc_flight(c) / 2);	/* RFC 5681 §3.1 eq. 4 */
		return;
	}
	/* RFC 9438 §4.7 fast convergence: W_max shrinks when cwnd fell short */
	cc->w_max = w < cc->w_max ? w * (1.0 + CUBIC_BETA) / 2.0 : w;
	cc->cwnd_prior = w;
	cc->epoch_start = STACK_TIME_NEVER;
	/* RFC 9438 §4.6: ssthresh = FlightSize * β_cubic */
	tcp_cc_set_ssthresh(c, (uint64_t)(tcp_cc_flight(c) * CUBIC_BETA));
}

/**
 * tcp_cc_reduce_again() - RFC 5681 §4.3: a retransmission was lost too
 * @c:	the connection, in loss recovery
 *
 * The loss of a retransmission is a second indication of congestion: cwnd
 * and ssthresh are lowered once more, from cwnd this time (FlightSize still
 * holds the data of the first loss): / 2 for NewReno, * β for CUBIC, at
 * least 2 SMSS. W_max keeps the value of the first reduction.
 */
void tcp_cc_reduce_again(struct tcp_conn *c)
{
	double beta = tcp_cc_cubic(c) ? CUBIC_BETA : 0.5;

	tcp_cc_set_ssthresh(c, (uint64_t)(c->cc.cwnd * beta));
	c->cc.cwnd = c->cc.ssthresh;
	c->cc.acked_acc = 0;
}

/**
 * tcp_cc_undo_begin() - a loss episode starts: remember the window (RFC 4015)
 * @c:	the connection, before its reduction
 */
void tcp_cc_undo_begin(struct tcp_conn *c)
{
	if (!c->sack_ok)
		return;			/* RFC 3708 needs D-SACKs */
	c->cc.undo_cwnd = c->cc.cwnd;
	c->cc.undo_ssthresh = c->cc.ssthresh;
	c->cc.undo_w_max = c->cc.w_max;
	c->cc.undo_retrans = 0;
	c->flags |= TCP_CF_UNDO;
}

/**
 * tcp_cc_undo_dsack() - RFC 3708 §3: a D-SACK reported a retransmission of
 * the episode as a duplicate
 * @c:	the connection
 */
void tcp_cc_undo_dsack(struct tcp_conn *c)
{
	struct tcp_cc *cc = &c->cc;

	if (!(c->flags & TCP_CF_UNDO) || !cc->undo_retrans)
		return;
	if (--cc->undo_retrans)
		return;
	/* RFC 4015 §2: every retransmission was spurious: restore the window
	 * (never below what it is now) */
	if (cc->cwnd < cc->undo_cwnd)
		cc->cwnd = cc->undo_cwnd;
	if (cc->ssthresh < cc->undo_ssthresh || cc->ssthresh == UINT32_MAX)
		cc->ssthresh = cc->undo_ssthresh;
	if (cc->w_max < cc->undo_w_max)
		cc->w_max = cc->undo_w_max;
	cc->epoch_start = STACK_TIME_NEVER;
	c->flags &= ~TCP_CF_UNDO;
	STAT_INC(c->s, spurious_undos);
}

/**
 * tcp_cc_undo_check_end() - SND.UNA advanced: is the episode over?
 * @c:	the connection
 */
void tcp_cc_undo_check_end(struct tcp_conn *c)
{
	/* D-SACKs carried by the ACK that reaches RecoveryPoint were counted
	 * before this; later ones are ignored: the reduction stays */
	if ((c->flags & TCP_CF_UNDO) && !seq_lt(c->snd_una, c->cc.recover))
		c->flags &= ~TCP_CF_UNDO;
}

/**
 * tcp_cc_limited() - did the sender use its window (RFC 7661 spirit)?
 * @c:		the connection
 * @flight:	FlightSize before this ACK
 *
 * Return: true if cwnd may grow
 */
static bool tcp_cc_limited(const struct tcp_conn *c, uint32_t flight)
{
	if (c->cc.cwnd < c->cc.ssthresh)
		return 2ull * flight > c->cc.cwnd;
	return (uint64_t)flight + c->snd_mss > c->cc.cwnd;
}

/**
 * tcp_cc_newreno_ca() - RFC 5681 §3.1 congestion avoidance, byte counting
 * @c:		the connection
 * @acked:	bytes newly acknowledged
 */
static void tcp_cc_newreno_ca(struct tcp_conn *c, uint32_t acked)
{
	struct tcp_cc *cc = &c->cc;

	/* RFC 5681 §3.1: one SMSS per cwnd acknowledged */
	cc->acked_acc += acked;
	if (cc->acked_acc >= cc->cwnd) {
		cc->acked_acc -= cc->cwnd;
		cc->cwnd += c->snd_mss;
	}
}

/**
 * tcp_cc_cubic_w() - RFC 9438 §4.2 eq. 1: W_cubic(@t)
 * @cc:	the state
 * @t:	seconds since the epoch began
 *
 * Return: the window in segments
 */
static double tcp_cc_cubic_w(const struct tcp_cc *cc, double t)
{
	double d = t - cc->k;

	return CUBIC_C * d * d * d + cc->w_max;
}

/**
 * tcp_cc_cubic_epoch() - the first ACK of a congestion avoidance stage
 * @c:	the connection
 */
static void tcp_cc_cubic_epoch(struct tcp_conn *c)
{
	struct tcp_cc *cc = &c->cc;
	double w = (double)cc->cwnd / c->snd_mss;

	cc->epoch_start = c->s->now;
	cc->w_est = w;				/* RFC 9438 §4.3: W_est = cwnd_epoch */
	if (cc->w_max <= w) {
		/* RFC 9438 §4.8 (after an RTO, or no loss yet): K = 0, W_max = cwnd */
		cc->w_max = w;
		cc->k = 0;
		return;
	}
	cc->k = cbrt((cc->w_max - w) / CUBIC_C);	/* RFC 9438 §4.2 eq. 2 */
}

/**
 * tcp_cc_cubic_ca() - RFC 9438 §4.3-4.5: congestion avoidance, one ACK
 * @c:		the connection
 * @acked:	bytes newly acknowledged
 */
static void tcp_cc_cubic_ca(struct tcp_conn *c, uint32_t acked)
{
	struct tcp_cc *cc = &c->cc;
	double mss = c->snd_mss, w = cc->cwnd / mss, segs = acked / mss, t, target, next;
	double alpha = 3.0 * (1.0 - CUBIC_BETA) / (1.0 + CUBIC_BETA);

	if (cc->epoch_start == STACK_TIME_NEVER)
		tcp_cc_cubic_epoch(c);
	t = (double)(c->s->now - cc->epoch_start) / 1e6;
	/* RFC 9438 §4.3: α = 1 once W_est reached cwnd_prior */
	if (cc->w_est >= cc->cwnd_prior)
		alpha = 1.0;
	cc->w_est += alpha * segs / w;
	if (tcp_cc_cubic_w(cc, t) < cc->w_est) {
		next = cc->w_est;		/* RFC 9438 §4.3: Reno-friendly region */
	} else {
		/* RFC 9438 §4.4/§4.5: target = W_cubic(t + RTT) in [cwnd, 1.5 cwnd] */
		target = tcp_cc_cubic_w(cc, t + (double)c->srtt_us / 1e6);
		if (target < w)
			target = w;
		if (target > 1.5 * w)
			target = 1.5 * w;
		next = w + (target - w) / w * segs;
	}
	if (next * mss > cc->cwnd && next * mss < (double)UINT32_MAX / 2)
		cc->cwnd = (uint32_t)(next * mss);
}

/**
 * tcp_cc_newreno_recovery_ack() - RFC 6582 §3.2: an ACK during recovery
 * @c:		the connection (NewReno recovery, no SACK)
 * @acked:	bytes newly acknowledged
 *
 * Return: true for a partial ACK: the caller retransmits the first
 * unacknowledged segment (RFC 6582 §3.2 step 5)
 */
static bool tcp_cc_newreno_recovery_ack(struct tcp_conn *c, uint32_t acked)
{
	struct tcp_cc *cc = &c->cc;

	/* RFC 6582 §3.2 step 3: a full ACK ends recovery, cwnd = ssthresh */
	if (!seq_lt(c->snd_una, cc->recover)) {
		c->flags &= ~TCP_CF_IN_RECOVERY;
		cc->cwnd = cc->ssthresh;
		return false;
	}
	/* RFC 6582 §3.2 step 5: deflate by the amount acked, add SMSS back if
	 * at least SMSS was acked */
	cc->cwnd = cc->cwnd > acked ? cc->cwnd - acked : 0;
	if (acked >= c->snd_mss || cc->cwnd < c->snd_mss)
		cc->cwnd += c->snd_mss;
	return true;
}

/**
 * tcp_cc_on_ack() - SND.UNA advanced
 * @c:		the connection (snd_una already advanced)
 * @acked:	bytes newly acknowledged
 * @flight:	FlightSize before this ACK
 *
 * Return: true for a partial ACK in NewReno recovery: the caller
 * retransmits the first unacknowledged segment (RFC 6582 §3.2 step 5)
 */
bool tcp_cc_on_ack(struct tcp_conn *c, uint32_t acked, uint32_t flight)
{
	struct tcp_cc *cc = &c->cc;

	if (c->flags & TCP_CF_IN_RECOVERY) {
		if (c->sack_ok)
			return false;	/* RFC 6675: cwnd stays, tcp_sack.c ends it */
		cc->dupacks = 0;
		return tcp_cc_newreno_recovery_ack(c, acked);
	}
	cc->dupacks = 0;
	if (!tcp_cc_limited(c, flight))
		return false;
	if (cc->cwnd < cc->ssthresh) {
		/* RFC 5681 §3.1: slow start, at most SMSS per ACK; a stretch ACK
		 * (a GSO receiver ACKs a 64 KiB super-segment once) counts as the
		 * ACKs for every second segment it stands for (RFC 9293 §3.8.6.3) */
		uint32_t inc = c->snd_mss * ((acked + 2u * c->snd_mss - 1) / (2u * c->snd_mss));

		cc->cwnd += acked < inc ? acked : inc;
		return false;
	}
	if (tcp_cc_cubic(c))
		tcp_cc_cubic_ca(c, acked);
	else
		tcp_cc_newreno_ca(c, acked);
	return false;
}

/**
 * tcp_cc_on_dupack() - a duplicate ACK without SACK (RFC 5681 §2 definition)
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
	if (++cc->dupacks != TCP_DUPTHRESH)
		return false;
	/* RFC 6582 §3.2 step 2: only if the ACK covers more than recover */
	if (seq_lt(c->snd_una, cc->recover))
		return false;
	tcp_cc_congestion(c);
	cc->cwnd = cc->ssthresh + 3u * c->snd_mss;	/* RFC 6582 §3.2 step 2 */
	cc->recover = c->snd_max;
	c->flags |= TCP_CF_IN_RECOVERY;
	STAT_INC(c->s, fast_retransmits);
	return true;
}

/**
 * tcp_cc_on_rto() - the retransmission timer expired
 * @c:	the connection
 */
void tcp_cc_on_rto(struct tcp_conn *c)
{
	struct tcp_cc *cc = &c->cc;

	/* RFC 5681 §3.1 eq. 4 (RFC 9438 §4.8: with β for CUBIC), first expiry only */
	if (c->backoff == 0) {
		tcp_cc_undo_begin(c);		/* RFC 4015: maybe spurious */
		tcp_cc_congestion(c);
		cc->w_max = 0;		/* RFC 9438 §4.8: next epoch K = 0, W_max = cwnd */
	}
	cc->cwnd = c->snd_mss;		/* RFC 5681 §3.1: loss window */
	cc->acked_acc = 0;
	cc->dupacks = 0;
	cc->epoch_start = STACK_TIME_NEVER;
	cc->recover = c->snd_max;	/* RFC 6582 §3.2 step 1, RFC 6675 §5.1 */
	c->flags &= ~TCP_CF_IN_RECOVERY;
}
