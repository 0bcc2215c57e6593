// SPDX-License-Identifier: MIT
/*
 * test_balance.c - proxy/balance.c: each algorithm's choice, usability
 * (weight 0, down, full), retries avoiding tried backends, Maglev stability
 */
#include <criterion/criterion.h>
#include <string.h>

#include "proxy/balance.h"

#define NB 5

static struct conf_listener cl;
static struct listener l;
static struct backend bs[NB];

/**
 * setup() - a listener with @n backends 10.0.0.1..n:80, weight 1
 * @bal:	algorithm
 * @n:		backends
 */
static void setup(enum conf_balance bal, size_t n)
{
	memset(&cl, 0, sizeof(cl));
	memset(&l, 0, sizeof(l));
	memset(bs, 0, sizeof(bs));
	cl.balance = bal;
	l.conf = &cl;
	l.backends = bs;
	l.n_backends = n;
	for (size_t i = 0; i < n; i++) {
		bs[i].addr = 0x0a000001 + (uint32_t)i;
		bs[i].port = 80;
		bs[i].weight = 1;
	}
	cr_assert_eq(balance_init(&l), 0);
}

static void teardown_l(void)
{
	balance_free(&l);
}

Test(balance, roundrobin_weights_exact, .fini = teardown_l)
{
	unsigned got[NB] = { 0 };

	setup(CONF_BALANCE_ROUNDROBIN, 2);
	bs[1].weight = 3;
	for (int i = 0; i < 400; i++)
		got[balance_pick(&l, 0, 0) - bs]++;
	cr_assert_eq(got[0], 100);
	cr_assert_eq(got[1], 300);
}

Test(balance, unusable_skipped, .fini = teardown_l)
{
	setup(CONF_BALANCE_ROUNDROBIN, 3);
	bs[0].weight = 0;			/* drain */
	bs[1].check.down = true;		/* down */
	for (int i = 0; i < 10; i++)
		cr_assert_eq(balance_pick(&l, 0, 0), &bs[2]);
	bs[2].max_conns = 1;
	bs[2].stats.connections_active = 1;	/* full */
	cr_assert_null(balance_pick(&l, 0, 0));
}

Test(balance, retry_avoids_tried_unless_alone, .fini = teardown_l)
{
	setup(CONF_BALANCE_SOURCE, 3);
	struct backend *b = balance_pick(&l, 0x0a580002, 0);
	struct backend *r = balance_pick(&l, 0x0a580002, balance_bit(&l, b));

	cr_assert_neq(r, b);
	cr_assert_eq(balance_pick(&l, 0x0a580002, 7), b);	/* all tried: same again */
}

Test(balance, leastconn_least_loaded_ties_rotate, .fini = teardown_l)
{
	setup(CONF_BALANCE_LEASTCONN, 3);
	bs[0].stats.connections_active = 2;
	bs[1].stats.connections_active = 1;
	bs[2].stats.connections_active = 2;
	cr_assert_eq(balance_pick(&l, 0, 0), &bs[1]);
	bs[1].stats.connections_active = 2;
	struct backend *a = balance_pick(&l, 0, 0), *b = balance_pick(&l, 0, 0),
		       *c = balance_pick(&l, 0, 0);
	cr_assert(a != b && b != c && a != c, "ties must rotate");
	bs[2].weight = 2;	/* 2/2 < 2/1 */
	cr_assert_eq(balance_pick(&l, 0, 0), &bs[2]);
}

Test(balance, random_two_choices_prefers_less_loaded, .fini = teardown_l)
{
	unsigned got[NB] = { 0 };

	setup(CONF_BALANCE_RANDOM, 2);
	bs[0].stats.connections_active = 10;
	for (int i = 0; i < 1000; i++)
		got[balance_pick(&l, 0, 0) - bs]++;
	/* b0 wins only when both draws are b0: about 1/4 */
	cr_assert(got[0] > 150 && got[0] < 350, "b0 got %u", got[0]);
}

Test(balance, maglev_deterministic_and_minimal_disruption, .fini = teardown_l)
{
	static uint8_t first[4000];
	unsigned moved = 0, on_removed = 0;

	setup(CONF_BALANCE_SOURCE, NB);
	for (uint32_t c = 0; c < 4000; c++)
		first[c] = (uint8_t)(balance_pick(&l, 0x0a000000 + c * 7919, 0) - bs);
	/* an independent build from the same backends maps identically */
	balance_free(&l);
	cr_assert_eq(balance_init(&l), 0);
	for (uint32_t c = 0; c < 4000; c++)
		cr_assert_eq(balance_pick(&l, 0x0a000000 + c * 7919, 0) - bs, first[c]);
	/* backend 2 goes down: only its clients should move (plus a little) */
	bs[2].check.down = true;
	balance_changed(&l);
	for (uint32_t c = 0; c < 4000; c++) {
		size_t now = (size_t)(balance_pick(&l, 0x0a000000 + c * 7919, 0) - bs);

		cr_assert_neq(now, 2);
		on_removed += first[c] == 2;
		moved += now != first[c];
	}
	cr_assert(on_removed > 600 && on_removed < 1000, "on removed: %u", on_removed);
	cr_assert_leq(moved, on_removed + 80, "moved %u, %u had to", moved, on_removed);
}
