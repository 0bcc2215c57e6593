/* SPDX-License-Identifier: MIT */
/*
 * test_seq.c - wrap-safe sequence number helpers (RFC 9293 §3.4)
 */
#include <criterion/criterion.h>

#include "stack/seq.h"

Test(seq, ordering_without_wrap)
{
	cr_assert(seq_lt(1, 2));
	cr_assert_not(seq_lt(2, 1));
	cr_assert_not(seq_lt(5, 5));
	cr_assert(seq_leq(5, 5));
	cr_assert(seq_gt(3, 2));
	cr_assert_not(seq_gt(2, 2));
	cr_assert(seq_geq(2, 2));
	cr_assert_not(seq_geq(1, 2));
}

Test(seq, ordering_across_wrap)
{
	uint32_t before = 0xfffffff0u, after = 0x10u;

	cr_assert(seq_lt(before, after));
	cr_assert(seq_leq(before, after));
	cr_assert(seq_gt(after, before));
	cr_assert(seq_geq(after, before));
	cr_assert_not(seq_lt(after, before));
	cr_assert_not(seq_gt(before, after));
	cr_assert(seq_lt(0xffffffffu, 0));
	cr_assert(seq_gt(0, 0xffffffffu));
}

Test(seq, half_space_boundary)
{
	/* just under 2^31 apart the order holds; at 2^31 the sign flips */
	cr_assert(seq_lt(0, 0x7fffffffu));
	cr_assert(seq_gt(0, 0x80000001u));
	cr_assert(seq_lt(0x80000000u, 0xffffffffu));
	cr_assert(seq_lt(0xc0000000u, 0x3fffffffu));
}

Test(seq, between_half_open)
{
	cr_assert(seq_between(5, 5, 10));
	cr_assert(seq_between(9, 5, 10));
	cr_assert_not(seq_between(10, 5, 10));
	cr_assert_not(seq_between(4, 5, 10));
	cr_assert_not(seq_between(5, 5, 5), "empty range holds nothing");
}

Test(seq, between_across_wrap)
{
	uint32_t lo = 0xfffffff0u, hi = 0x20u;

	cr_assert(seq_between(0xfffffff0u, lo, hi));
	cr_assert(seq_between(0xffffffffu, lo, hi));
	cr_assert(seq_between(0, lo, hi));
	cr_assert(seq_between(0x1fu, lo, hi));
	cr_assert_not(seq_between(0x20u, lo, hi));
	cr_assert_not(seq_between(0xffffffefu, lo, hi));
	cr_assert_not(seq_between(0x80000000u, lo, hi));
}

Test(seq, min_max_across_wrap)
{
	cr_assert_eq(seq_max(0xfffffffeu, 3), 3u);
	cr_assert_eq(seq_min(0xfffffffeu, 3), 0xfffffffeu);
	cr_assert_eq(seq_max(3, 0xfffffffeu), 3u);
	cr_assert_eq(seq_min(3, 0xfffffffeu), 0xfffffffeu);
	cr_assert_eq(seq_max(10, 20), 20u);
	cr_assert_eq(seq_min(10, 20), 10u);
	cr_assert_eq(seq_max(7, 7), 7u);
}

Test(seq, sweep_around_the_circle)
{
	/* for every base around the space, base+k is after base for small k */
	for (uint64_t b = 0; b < (1ull << 32); b += 0x01000193u) {
		uint32_t base = (uint32_t)b;

		for (uint32_t k = 1; k < 70000; k += 9973) {
			cr_assert(seq_lt(base, base + k), "base %u k %u", base, k);
			cr_assert(seq_gt(base + k, base));
			cr_assert(seq_between(base + k - 1, base, base + k));
			cr_assert_eq(seq_max(base, base + k), base + k);
			cr_assert_eq(seq_min(base, base + k), base);
		}
	}
}
