// SPDX-License-Identifier: MIT
/*
 * test_isn_stats.c - RFC 6528 ISNs are not predictable from other connections
 *
 * Theory of operation: a stack with a random key (cfg.isn_key all zero, so
 * stack_create() draws it from getrandom()) and no fixed ISN receives 1000
 * SYNs from consecutive client ports, 1 ms apart on the virtual clock; each
 * SYN-ACK's sequence number is recorded and the connection is reset by the
 * client. An off-path attacker sees such a series (its own connections) and
 * wants the next one. The series is judged by statistics with fixed bounds
 * far from both what a random source gives (many standard deviations inside)
 * and what a counter or clock gives (far outside):
 *
 *   - lag-1 correlation of the low 24 bits: |r| < 0.25 (random: sd 0.032;
 *     counter: r ~ 1);
 *   - distinct deltas between consecutive ISNs: >= 990 of 999 (random: a
 *     repeat has probability ~1e-4; counter: one value);
 *   - deltas within 64 Ki of the clock's advance (1 ms = 250 ticks): <= 5
 *     (random: expected 0.03; a clock plus small noise: all);
 *   - every bit set in 35..65 % of the ISNs (random: sd 1.6 %; counter:
 *     high bits constant).
 *
 * The same checks are run on a synthetic counter series and must reject it,
 * so the statistics are shown to discriminate.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "tests/support/tcp_harness.h"

#define S 0x02
#define R 0x04
#define A 0x10

#define ISN_N		1000
#define ISN_STEP_US	1000

/**
 * struct isn_verdict - the statistics of one series
 */
struct isn_verdict {
	double lag1;		/* correlation of the low 24 bits, consecutive */
	int distinct_deltas;	/* of ISN_N - 1 */
	int near_clock;		/* deltas within 64 Ki of the clock advance */
	int bit_min, bit_max;	/* fewest / most ISNs with one bit set */
};

/**
 * isn_judge() - compute the statistics of a series
 * @isn:	ISN_N values
 * @v:		result
 */
static void isn_judge(const uint32_t *isn, struct isn_verdict *v)
{
	static uint32_t d[ISN_N - 1];
	double mx = 0, my = 0, sxy = 0, sxx = 0, syy = 0;
	int n = ISN_N - 1;

	for (int i = 0; i < n; i++) {
		mx += isn[i] & 0xffffff;
		my += isn[i + 1] & 0xffffff;
	}
	mx /= n;
	my /= n;
	for (int i = 0; i < n; i++) {
		double x = (isn[i] & 0xffffff) - mx, y = (isn[i + 1] & 0xffffff) - my;

		sxy += x * y;
		sxx += x * x;
		syy += y * y;
	}
	v->lag1 = sxx > 0 && syy > 0 ? sxy / sqrt(sxx * syy) : 1.0;

	v->near_clock = 0;
	for (int i = 0; i < n; i++) {
		uint32_t off;

		d[i] = isn[i + 1] - isn[i];
		off = d[i] - ISN_STEP_US / 4;
		if (off < 65536u || off > 0xffffffffu - 65536u)
			v->near_clock++;
	}
	v->distinct_deltas = 0;
	for (int i = 0; i < n; i++) {
		bool seen = false;

		for (int j = 0; j < i && !seen; j++)
			seen = d[j] == d[i];
		v->distinct_deltas += !seen;
	}

	v->bit_min = ISN_N;
	v->bit_max = 0;
	for (int b = 0; b < 32; b++) {
		int set = 0;

		for (int i = 0; i < ISN_N; i++)
			set += (isn[i] >> b) & 1;
		if (set < v->bit_min)
			v->bit_min = set;
		if (set > v->bit_max)
			v->bit_max = set;
	}
}

/**
 * isn_unpredictable() - whether a verdict passes every bound
 * @v:		the statistics
 *
 * Return: true when the series looks random
 */
static bool isn_unpredictable(const struct isn_verdict *v)
{
	return fabs(v->lag1) < 0.25 && v->distinct_deltas >= 990 && v->near_clock <= 5 &&
	       v->bit_min >= ISN_N * 35 / 100 && v->bit_max <= ISN_N * 65 / 100;
}

/**
 * collect_isns() - ISN_N SYNs from consecutive ports, 1 ms apart; reset each
 * @isn:	ISN_N values out
 */
static void collect_isns(uint32_t *isn)
{
	for (int i = 0; i < ISN_N; i++) {
		uint16_t port = (uint16_t)(TH_CPORT + i);
		struct th_seg sa;

		th_send_opts(port, S, TH_CISN, 0, 65535, NULL, 0, NULL, 0, false);
		cr_assert(th_pop(&sa), "no SYN-ACK for SYN %d", i);
		cr_assert_eq(sa.flags, S | A);
		cr_assert_eq(sa.dport, port);
		isn[i] = sa.seq;
		/* RFC 9293 §3.10.7.4: an in-window RST in SYN-RECEIVED ends it */
		th_send_opts(port, R, TH_CISN + 1, 0, 0, NULL, 0, NULL, 0, false);
		cr_assert(th.closed[th.nconns - 1], "connection %d not closed by RST", i);
		th.nconns = 0;		/* all closed: reuse the harness's slots */
		th.nev = 0;
		th_advance(ISN_STEP_US);
	}
}

TestSuite(isn_stats, .fini = th_teardown);

Test(isn_stats, random_key_isns_are_unpredictable)
{
	static uint32_t isn[ISN_N];
	struct isn_verdict v;

	th_config_default();
	th.cfg.isn_fixed = 0;		/* all-zero key: drawn from getrandom() */
	th_setup_cfg();
	collect_isns(isn);
	isn_judge(isn, &v);
	cr_log_info("ISNs: lag-1 r %.4f, distinct deltas %d/%d, near the clock %d, bits set %d..%d of %d",
		    v.lag1, v.distinct_deltas, ISN_N - 1, v.near_clock, v.bit_min, v.bit_max, ISN_N);
	cr_expect_lt(fabs(v.lag1), 0.25, "lag-1 correlation %f", v.lag1);
	cr_expect_geq(v.distinct_deltas, 990);
	cr_expect_leq(v.near_clock, 5);
	cr_expect_geq(v.bit_min, ISN_N * 35 / 100);
	cr_expect_leq(v.bit_max, ISN_N * 65 / 100);
}

Test(isn_stats, the_checks_reject_a_counter_and_a_noisy_clock)
{
	static uint32_t isn[ISN_N];
	struct isn_verdict v;
	uint64_t x = 0x9e3779b97f4a7c15ull;

	for (int i = 0; i < ISN_N; i++)
		isn[i] = 0x12345678u + 64000u * (uint32_t)i;
	isn_judge(isn, &v);
	cr_expect_not(isn_unpredictable(&v), "a counter passed: r %f, %d distinct deltas",
		      v.lag1, v.distinct_deltas);
	/* the clock (250 ticks per ms) plus up to 16 bits of noise */
	for (int i = 0; i < ISN_N; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		isn[i] = 0x12345678u + 250u * (uint32_t)i + (uint32_t)(x & 0xffff);
	}
	isn_judge(isn, &v);
	cr_expect_not(isn_unpredictable(&v), "a noisy clock passed: %d deltas near the clock",
		      v.near_clock);
	/* and a good generator passes them (the bounds are not too strict) */
	for (int i = 0; i < ISN_N; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		isn[i] = (uint32_t)(x >> 16);
	}
	isn_judge(isn, &v);
	cr_expect(isn_unpredictable(&v), "xorshift failed: r %f, %d distinct, %d near, bits %d..%d",
		  v.lag1, v.distinct_deltas, v.near_clock, v.bit_min, v.bit_max);
}

Test(isn_stats, two_random_keys_give_different_isns)
{
	struct th_seg a, b;

	th_config_default();
	th.cfg.isn_fixed = 0;
	th_setup_cfg();
	th_send_opts(TH_CPORT, S, TH_CISN, 0, 65535, NULL, 0, NULL, 0, false);
	cr_assert(th_pop(&a));
	th_teardown();
	/* a second stack, same tuple, same virtual time, its own random key */
	th_config_default();
	th.cfg.isn_fixed = 0;
	th_setup_cfg();
	th_send_opts(TH_CPORT, S, TH_CISN, 0, 65535, NULL, 0, NULL, 0, false);
	cr_assert(th_pop(&b));
	cr_expect_neq(a.seq, b.seq, "two stacks with random keys chose the same ISN %u", a.seq);
}
