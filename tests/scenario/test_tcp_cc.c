/* SPDX-License-Identifier: MIT */
/*
 * test_tcp_cc.c - congestion control: IW (RFC 6928), CUBIC's curve after a
 * loss against the RFC 9438 formulas (concave, plateau at W_max, convex),
 * the Reno-friendly region, β = 0.7, NewReno's halving and linear growth,
 * RTO (RFC 5681 loss window), no growth when application-limited.
 *
 * The curve tests drive tcp_cc.c through its internal interface with a
 * virtual clock (stack->now), feeding one ACK per segment, one cwnd of ACKs
 * per RTT, as a cwnd-limited sender would get them.
 */
#include <criterion/criterion.h>
#include <math.h>

#include "stack/tcp_internal.h"
#include "tests/support/tcp_harness.h"

#define S 0x02
#define A 0x10
#define C (TH_CISN + 1)
#define I (TH_ISS + 1)
#define M 1460u

TestSuite(tcp_cc, .init = th_setup, .fini = th_teardown);

/**
 * w_cubic() - RFC 9438 eq. 1, computed here independently
 * @t:		seconds
 * @wmax:	W_max, segments
 * @cepoch:	cwnd at the start of the epoch, segments
 *
 * Return: W_cubic(t) in segments
 */
static double w_cubic(double t, double wmax, double cepoch)
{
	double k = cbrt((wmax - cepoch) / 0.4);

	return 0.4 * pow(t - k, 3) + wmax;
}

/**
 * loss_at() - a connection whose cwnd and FlightSize are @w segments has a
 * congestion event, then recovery ends with cwnd = ssthresh
 * @w:	segments
 *
 * Return: the connection
 */
static struct tcp_conn *loss_at(uint32_t w)
{
	struct tcp_conn *c = th_handshake(TH_CISN);

	c->cc.cwnd = w * M;
	c->cc.ssthresh = w * M;
	c->snd_max = c->snd_una + w * M;	/* FlightSize (nothing really sent) */
	tcp_cc_congestion(c);
	c->cc.cwnd = c->cc.ssthresh;
	return c;
}

/**
 * run_rtts() - feed ACKs, one per segment, a cwnd of them per RTT, until @until
 * @c:		the connection
 * @rtt:	round trip, µs (also its SRTT)
 * @until:	seconds after th.now at the start
 * @at:		times (seconds) at which to record cwnd, ascending, @n of them
 * @w:		recorded cwnd, segments
 */
static void run_rtts(struct tcp_conn *c, stack_time_us rtt, double until,
		     const double *at, double *w, int n)
{
	stack_time_us t0 = th.now;
	int j = 0;

	c->srtt_us = (uint32_t)rtt;
	for (stack_time_us t = 0; t <= (stack_time_us)(until * 1e6); t += rtt) {
		uint32_t segs = c->cc.cwnd / M;

		while (j < n && at[j] * 1e6 <= (double)t + 1)
			w[j++] = (double)c->cc.cwnd / M;
		for (uint32_t i = 0; i < segs; i++) {
			th.s->now = t0 + t + rtt * i / segs;
			tcp_cc_on_ack(c, M, c->cc.cwnd);
		}
	}
}

Test(tcp_cc, initial_window_rfc6928)
{
	struct tcp_conn_info ci;

	th_handshake(TH_CISN);
	tcp_conn_info(th.conn, &ci);
	cr_assert_eq(ci.cwnd, 14600);
	/* MSS 536: 10 segments (5360) */
	th_send_opts(TH_CPORT + 1, S, TH_CISN, 0, 65535, (const uint8_t[]){ 2, 4, 2, 24 },
		     4, NULL, 0, false);
	tcp_conn_info(th.conn, &ci);
	cr_assert_eq(ci.mss, 536);
	cr_assert_eq(ci.cwnd, 5360);
}

Test(tcp_cc, cubic_beta_and_fast_convergence)
{
	struct tcp_conn *c = loss_at(100);

	cr_assert_eq(c->cc.ssthresh, 70 * M, "β = 0.7");
	cr_assert_float_eq(c->cc.w_max, 100.0, 1e-9);
	/* a second loss below W_max: fast convergence, W_max = 80 * 1.7 / 2 */
	c->cc.cwnd = 80 * M;
	c->snd_max = c->snd_una + 80 * M;
	tcp_cc_congestion(c);
	cr_assert_float_eq(c->cc.w_max, 68.0, 1e-9);
	cr_assert_eq(c->cc.ssthresh, 56 * M);
	c->snd_max = c->snd_una;
}

Test(tcp_cc, cubic_concave_plateau_convex)
{
	struct tcp_conn *c = loss_at(100);
	const double at[] = { 0.4, 1.0, 2.0, 3.0, 4.0, 4.2, 5.0, 6.0, 7.0 };
	double w[9], k = cbrt(30.0 / 0.4);
	const int n = 9;

	/* RTT 200 ms: W_est (70 + 0.53 per RTT) stays below the curve */
	run_rtts(c, 200 * TH_MS, 7.1, at, w, n);
	for (int i = 0; i < n; i++) {
		/* cwnd follows the curve, at most one RTT ahead (target W(t + RTT)) */
		double lo = w_cubic(at[i], 100, 70) - 1.0;
		double hi = w_cubic(at[i] + 0.2, 100, 70) + 1.0;

		cr_assert(w[i] >= lo && w[i] <= hi, "t=%.2f: cwnd %.2f not in [%.2f, %.2f]",
			  at[i], w[i], lo, hi);
	}
	/* concave before K: growth slows; plateau near W_max; convex after */
	cr_assert_gt(w[1] - w[0], w[3] - w[2]);
	cr_assert(fabs(w[5] - 100.0) < 1.5, "at K = %.2f s cwnd %.2f ≈ W_max", k, w[5]);
	cr_assert_gt(w[8] - w[7], w[7] - w[6]);
	cr_assert_gt(w[8], 100.0 + 0.4 * pow(7.0 - k, 3) - 1.0);
	c->snd_max = c->snd_una;
}

Test(tcp_cc, cubic_reno_friendly_region)
{
	struct tcp_conn *c = loss_at(20);
	const double at[] = { 2.0 };
	double w[1];

	/* short RTT: Reno's AIMD (α = 0.53, then 1 per RTT) beats the curve */
	run_rtts(c, 10 * TH_MS, 2.0, at, w, 1);
	cr_assert_gt(w[0], w_cubic(2.0, 20, 14) + 20, "cwnd %.1f follows W_est", w[0]);
	c->snd_max = c->snd_una;
}

Test(tcp_cc, newreno_halving_and_linear_growth)
{
	struct tcp_conn *c;

	th_teardown();
	th_config_default();
	th.cfg.cc = STACK_CC_NEWRENO;
	th_setup_cfg();
	c = loss_at(40);
	cr_assert_eq(c->cc.ssthresh, 20 * M, "NewReno halves");
	/* one SMSS per cwnd acknowledged (RFC 5681 §3.1) */
	for (uint32_t i = 0; i < 20; i++)
		tcp_cc_on_ack(c, M, c->cc.cwnd);
	cr_assert_eq(c->cc.cwnd, 21 * M);
	c->snd_max = c->snd_una;
}

Test(tcp_cc, app_limited_does_not_grow)
{
	struct tcp_conn *c = th_handshake(TH_CISN);

	/* FlightSize of 2 segments never fills a 10-segment window */
	for (int i = 0; i < 50; i++)
		tcp_cc_on_ack(c, M, 2 * M);
	cr_assert_eq(c->cc.cwnd, 14600);
}

Test(tcp_cc, rto_loss_window_and_cubic_ssthresh)
{
	struct tcp_conn_info ci;

	th_handshake(TH_CISN);
	th_write(NULL, 10 * M);
	for (int k = 0; k < 10; k++)
		cr_assert(th_pop(&(struct th_seg){ 0 }));
	th_advance(1 * TH_SEC);
	tcp_conn_info(th.conn, &ci);
	cr_assert_eq(ci.cwnd, M, "RFC 5681 §3.1: 1 SMSS after an RTO");
	cr_assert_eq(ci.ssthresh, 10220, "RFC 9438 §4.8: FlightSize * β");
}
