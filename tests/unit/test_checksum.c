/* SPDX-License-Identifier: MIT */
/*
 * test_checksum.c - the Internet checksum (RFC 1071) against a naive reference
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "stack/checksum.h"
#include "tests/support/frames.h"

/**
 * fill_random() - deterministic pseudo-random bytes
 * @buf:	destination
 * @len:	bytes
 * @seed:	seed
 */
static void fill_random(uint8_t *buf, size_t len, uint32_t seed)
{
	for (size_t i = 0; i < len; i++) {
		seed = seed * 1103515245u + 12345u;
		buf[i] = (uint8_t)(seed >> 16);
	}
}

Test(checksum, rfc1071_example)
{
	/* RFC 1071 §3: 00 01 f2 03 f4 f5 f6 f7 sums to dd f2 */
	static const uint8_t b[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };

	cr_assert_eq(ntohs(csum_buf(b, sizeof(b))), (uint16_t)~0xddf2);
	cr_assert_eq(ntohs(csum_fold(csum_partial(b, sizeof(b), 0))), 0x220d);
}

Test(checksum, known_ipv4_header)
{
	/* a real header whose checksum field is b8 61 */
	uint8_t h[20] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
			  0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7 };
	uint16_t c;

	cr_assert_eq(csum_buf(h, 20), 0, "a valid header sums to zero");
	h[10] = h[11] = 0;
	c = csum_buf(h, 20);
	memcpy(h + 10, &c, 2);
	cr_assert_eq(h[10], 0xb8);
	cr_assert_eq(h[11], 0x61);
}

Test(checksum, every_length_and_alignment_matches_reference)
{
	uint8_t raw[600];

	fill_random(raw, sizeof(raw), 7);
	for (size_t off = 0; off < 8; off++)
		for (size_t len = 0; len <= 520; len++)
			cr_assert_eq(ntohs(csum_buf(raw + off, len)), frm_csum(raw + off, len),
				     "off %zu len %zu", off, len);
}

Test(checksum, odd_length_pads_with_zero_low_byte)
{
	static const uint8_t b[] = { 0x12, 0x34, 0x56 };

	/* 0x1234 + 0x5600 = 0x6834 */
	cr_assert_eq(ntohs(csum_buf(b, 3)), (uint16_t)~0x6834);
	cr_assert_eq(ntohs(csum_buf(b + 2, 1)), (uint16_t)~0x5600);
}

Test(checksum, all_ones_and_all_zeros)
{
	uint8_t *ff = malloc(65536), zero[64] = { 0 };

	memset(ff, 0xff, 65536);
	/* the sum of 0xffff words is 0xffff (-0): checksum 0x0000 */
	cr_assert_eq(csum_buf(ff, 2), 0);
	cr_assert_eq(csum_buf(ff, 65535), htons(frm_csum(ff, 65535)));
	cr_assert_eq(csum_buf(ff, 65536), 0);
	/* 65535 bytes: last byte gives 0xff00, total folds to 0xff00 → 0x00ff */
	cr_assert_eq(ntohs(csum_buf(ff, 65535)), 0x00ff);
	/* all zeros sum to +0: checksum 0xffff */
	cr_assert_eq(csum_buf(zero, sizeof(zero)), 0xffff);
	cr_assert_eq(csum_buf(zero, 0), 0xffff);
	free(ff);
}

Test(checksum, corner_sums_to_ffff_and_zero)
{
	/* 0x1234 + 0xedcb = 0xffff: checksum 0x0000 */
	static const uint8_t a[] = { 0x12, 0x34, 0xed, 0xcb };
	/* 0x8000 + 0x8000 = 0x10000 → end-around carry → 0x0001 */
	static const uint8_t b[] = { 0x80, 0x00, 0x80, 0x00 };

	cr_assert_eq(csum_buf(a, 4), 0x0000);
	cr_assert_eq(ntohs(csum_buf(b, 4)), 0xfffe);
}

Test(checksum, inserted_checksum_verifies)
{
	uint8_t buf[101];

	for (uint32_t seed = 1; seed < 200; seed++) {
		uint16_t c;

		fill_random(buf, sizeof(buf), seed);
		buf[10] = buf[11] = 0;
		c = csum_buf(buf, sizeof(buf));
		memcpy(buf + 10, &c, 2);
		cr_assert_eq(csum_buf(buf, sizeof(buf)), 0, "seed %u", seed);
	}
}

Test(checksum, incremental_equals_whole)
{
	uint8_t buf[1501];

	fill_random(buf, sizeof(buf), 99);
	for (size_t split = 0; split <= sizeof(buf); split += 2) {
		uint32_t sum = csum_partial(buf, split, 0);

		sum = csum_partial(buf + split, sizeof(buf) - split, sum);
		cr_assert_eq(csum_fold(sum), csum_buf(buf, sizeof(buf)), "split %zu", split);
	}
}

Test(checksum, large_running_sum_carries)
{
	static const uint8_t one[] = { 0x00, 0x01 };

	/* 0xffffffff folds to 0xffff; + 0x0001 wraps around to 0x0001 */
	cr_assert_eq(ntohs(csum_fold(csum_partial(one, 2, 0xffffffffu))), 0xfffe);
}

Test(checksum, pseudo_header_matches_bytes)
{
	uint32_t src = 0x0a580001, dst = 0xc0a800c7;
	uint8_t ph[12] = { 0x0a, 0x58, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7, 0, 6, 0x05, 0xdc };
	uint8_t seg[1500];

	fill_random(seg, sizeof(seg), 3);
	cr_assert_eq(csum_fold(csum_pseudo_ip4(src, dst, 6, 1500)),
		     csum_fold(csum_partial(ph, sizeof(ph), 0)));
	cr_assert_eq(csum_fold(csum_partial(seg, sizeof(seg), csum_pseudo_ip4(src, dst, 6, 1500))),
		     csum_fold(csum_partial(seg, sizeof(seg), csum_partial(ph, sizeof(ph), 0))));
}
