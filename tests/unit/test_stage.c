// SPDX-License-Identifier: MIT
/*
 * test_stage.c - staging buffers (proxy/stage.c): bytes come out in order
 * across partial consumes and the move to the front, a full buffer refuses,
 * the pool grows in chunks up to its bound and gets every buffer back
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/stage.h"

/**
 * pattern() - byte @i of a test stream
 * @i:		position
 *
 * Return: the byte
 */
static uint8_t pattern(size_t i)
{
	return (uint8_t)(i * 131 + (i >> 8));
}

Test(stage, order_kept_across_partial_consumes)
{
	struct stage_pool *p = stage_pool_create(1);
	struct stage sg = { 0 };
	static uint8_t in[STAGE_BUF_SIZE * 4];
	size_t put = 0, got = 0;

	cr_assert(p);
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = pattern(i);
	/* append 1448-byte segments, consume odd amounts, check every byte */
	while (got < sizeof(in)) {
		while (put < sizeof(in)) {
			size_t n = sizeof(in) - put < 1448 ? sizeof(in) - put : 1448;

			if (!stage_append(p, &sg, in + put, n))
				break;
			put += n;
		}
		size_t take = stage_len(&sg) > 7001 ? 7001 : stage_len(&sg);

		cr_assert(take > 0);
		for (size_t i = 0; i < take; i++)
			cr_assert_eq(stage_data(&sg)[i], pattern(got + i), "byte %zu", got + i);
		stage_consume(p, &sg, take);
		got += take;
	}
	cr_assert_eq(stage_len(&sg), 0);
	cr_assert_null(sg.buf, "the buffer goes back when nothing is staged");
	cr_assert_eq(stage_pool_in_use(p), 0);
	stage_pool_destroy(p);
}

Test(stage, full_buffer_refuses_whole)
{
	struct stage_pool *p = stage_pool_create(2);
	struct stage sg = { 0 };
	static uint8_t big[STAGE_BUF_SIZE];

	cr_assert(stage_append(p, &sg, big, STAGE_BUF_SIZE - 10));
	cr_assert_not(stage_append(p, &sg, big, 11), "does not fit: nothing staged");
	cr_assert_eq(stage_len(&sg), STAGE_BUF_SIZE - 10);
	cr_assert(stage_append(p, &sg, big, 10));
	cr_assert_eq(stage_len(&sg), STAGE_BUF_SIZE);
	cr_assert_not(stage_append(p, &(struct stage){ 0 }, big, STAGE_BUF_SIZE + 1));
	stage_drop(p, &sg);
	cr_assert_eq(stage_len(&sg), 0);
	cr_assert_eq(stage_pool_in_use(p), 0);
	stage_pool_destroy(p);
}

Test(stage, pool_bounded_and_lazy)
{
	size_t max = STAGE_CHUNK + 2;
	struct stage_pool *p = stage_pool_create(max);
	struct stage sg[STAGE_CHUNK + 3];
	uint8_t b = 1;

	memset(sg, 0, sizeof(sg));
	cr_assert_eq(stage_pool_allocated(p), 0, "nothing allocated before the first use");
	cr_assert(stage_append(p, &sg[0], &b, 1));
	cr_assert_eq(stage_pool_allocated(p), STAGE_CHUNK);
	for (size_t i = 1; i < max; i++)
		cr_assert(stage_append(p, &sg[i], &b, 1), "stage %zu", i);
	cr_assert_eq(stage_pool_allocated(p), max, "the last chunk stops at the bound");
	cr_assert_not(stage_append(p, &sg[max], &b, 1), "pool exhausted");
	cr_assert_eq(stage_len(&sg[max]), 0);
	stage_consume(p, &sg[0], 1);
	cr_assert(stage_append(p, &sg[max], &b, 1), "a returned buffer is reused");
	cr_assert_eq(stage_pool_allocated(p), max);
	for (size_t i = 1; i <= max; i++)
		stage_drop(p, &sg[i]);
	cr_assert_eq(stage_pool_in_use(p), 0);
	stage_pool_destroy(p);
}
