/* SPDX-License-Identifier: MIT */
/*
 * test_link_fault.c - the seeded link fault injector (stack/link_fault.c):
 * each fault alone at 100 %, reordering by the hold delay, determinism for a
 * seed, both directions, counters, offload metadata (passed through, and a
 * bit flip kept detectable)
 */
#include <criterion/criterion.h>
#include <string.h>

#include "stack/checksum.h"
#include "stack/link_fault.h"
#include "stack/link_mem.h"

#define NF 64

static struct link_mem *lm;
static struct link_fault *lf;
static uint8_t in_buf[NF][1600];
static size_t in_len[NF];
static struct stack_offload in_off[NF];
static int n_in;

/**
 * rec_in() - input deliverer: record the frame
 * @ctx:	unused
 * @frame:	the frame
 * @len:	its length
 * @off:	its offload metadata (recorded)
 * @now:	unused
 */
static void rec_in(void *ctx, uint8_t *frame, size_t len, const struct stack_offload *off,
		   stack_time_us now)
{
	(void)ctx;
	(void)now;
	if (n_in < NF)
		in_off[n_in] = off ? *off : (struct stack_offload){ 0 };
	if (n_in < NF) {
		memcpy(in_buf[n_in], frame, len);
		in_len[n_in] = len;
	}
	n_in++;
	memset(frame, 0xee, len);	/* the stack may scribble on input frames */
}

/**
 * mk() - create the injector with @cfg (both directions unless set)
 * @cfg:	configuration
 */
static void mk(struct link_fault_config cfg)
{
	char err[128];

	lm = link_mem_create(4096);
	n_in = 0;
	lf = link_fault_create(&cfg, (struct stack_link){ link_mem_send, lm },
			       rec_in, NULL, err, sizeof(err));
	cr_assert(lf, "%s", err);
}

static void fini(void)
{
	link_fault_destroy(lf);
	link_mem_destroy(lm);
	lf = NULL;
	lm = NULL;
}

TestSuite(link_fault, .fini = fini);

/**
 * frame() - a 100-byte test frame numbered @i
 * @buf:	filled
 * @i:		number, in the first byte
 */
static void frame(uint8_t buf[100], int i)
{
	for (int k = 0; k < 100; k++)
		buf[k] = (uint8_t)(i + k);
}

Test(link_fault, passthrough_when_zero)
{
	uint8_t f[100], o[200];

	mk((struct link_fault_config){ .seed = 1, .in = true, .out = true });
	for (int i = 0; i < 10; i++) {
		frame(f, i);
		cr_assert_eq(link_fault_send(lf, f, 100), 0);
		link_fault_input(lf, f, 100, 0);
	}
	cr_assert_eq(link_mem_pending(lm), 10);
	cr_assert_eq(n_in, 10);
	for (int i = 0; i < 10; i++) {
		cr_assert_eq(link_mem_pop(lm, o, sizeof(o)), 100);
		cr_assert_eq(o[0], (uint8_t)i);
		cr_assert_eq(in_buf[i][0], (uint8_t)i);
	}
	cr_assert_eq(link_fault_stats(lf)->frames[0], 10);
	cr_assert_eq(link_fault_stats(lf)->frames[1], 10);
}

Test(link_fault, drop_all_and_direction)
{
	uint8_t f[100];

	mk((struct link_fault_config){ .seed = 1, .drop = LINK_FAULT_PPM, .out = true });
	frame(f, 0);
	cr_assert_eq(link_fault_send(lf, f, 100), 0, "a lossy link loses silently");
	link_fault_input(lf, f, 100, 0);
	cr_assert_eq(link_mem_pending(lm), 0);
	cr_assert_eq(n_in, 1, "input is not impaired");
	cr_assert_eq(link_fault_stats(lf)->dropped[1], 1);
	cr_assert_eq(link_fault_stats(lf)->dropped[0], 0);
}

Test(link_fault, duplicate_all)
{
	uint8_t f[100];

	mk((struct link_fault_config){ .seed = 1, .duplicate = LINK_FAULT_PPM,
				       .in = true, .out = true });
	frame(f, 7);
	link_fault_send(lf, f, 100);
	link_fault_input(lf, f, 100, 0);
	cr_assert_eq(link_mem_pending(lm), 2);
	cr_assert_eq(n_in, 2);
	cr_assert_eq(in_buf[0][0], 7, "the first copy is intact");
	cr_assert_eq(in_buf[1][0], 7, "so is the second, after the first was scribbled on");
	cr_assert_eq(link_fault_stats(lf)->duplicated[0], 1);
	cr_assert_eq(link_fault_stats(lf)->duplicated[1], 1);
}

Test(link_fault, corrupt_flips_one_bit)
{
	uint8_t f[100], o[200];

	mk((struct link_fault_config){ .seed = 9, .corrupt = LINK_FAULT_PPM, .out = true });
	for (int i = 0; i < 20; i++) {
		int bits = 0;

		frame(f, i);
		link_fault_send(lf, f, 100);
		cr_assert_eq(link_mem_pop(lm, o, sizeof(o)), 100);
		for (int k = 0; k < 100; k++)
			bits += __builtin_popcount((unsigned)(o[k] ^ f[k]));
		cr_assert_eq(bits, 1);
		cr_assert_eq(f[0], (uint8_t)i, "the caller's frame is untouched");
	}
	cr_assert_eq(link_fault_stats(lf)->corrupted[1], 20);
}

Test(link_fault, truncate_shortens)
{
	uint8_t f[100], o[200];

	mk((struct link_fault_config){ .seed = 3, .truncate = LINK_FAULT_PPM, .out = true });
	for (int i = 0; i < 20; i++) {
		size_t n;

		frame(f, i);
		link_fault_send(lf, f, 100);
		n = link_mem_pop(lm, o, sizeof(o));
		cr_assert(n >= 1 && n < 100, "len %zu", n);
		cr_assert(!memcmp(o, f, n));
	}
	cr_assert_eq(link_fault_stats(lf)->truncated[1], 20);
}

Test(link_fault, reorder_holds_for_the_delay)
{
	uint8_t f[100], o[200];

	mk((struct link_fault_config){ .seed = 1, .reorder = LINK_FAULT_PPM,
				       .reorder_delay_us = 5000, .hold_slots = 4,
				       .in = true, .out = true });
	link_fault_set_now(lf, 1000);
	for (int i = 0; i < 6; i++) {
		frame(f, i);
		link_fault_send(lf, f, 100);
	}
	cr_assert_eq(link_mem_pending(lm), 2, "4 held, 2 passed (ring full)");
	cr_assert_eq(link_fault_stats(lf)->hold_full[1], 2);
	cr_assert_eq(link_fault_next_timer(lf), 6000);
	link_fault_timers(lf, 5999);
	cr_assert_eq(link_mem_pending(lm), 2);
	link_fault_timers(lf, 6000);
	cr_assert_eq(link_mem_pending(lm), 6);
	cr_assert_eq(link_fault_next_timer(lf), STACK_TIME_NEVER);
	int order[6];
	for (int i = 0; i < 6; i++) {
		link_mem_pop(lm, o, sizeof(o));
		order[i] = o[0];
	}
	cr_assert(order[0] == 4 && order[1] == 5 && order[2] == 0 && order[5] == 3);
	/* input: released by timers into the deliverer */
	frame(f, 9);
	link_fault_input(lf, f, 100, 1000);
	cr_assert_eq(n_in, 0);
	link_fault_timers(lf, 6000);
	cr_assert_eq(n_in, 1);
	cr_assert_eq(in_buf[0][0], 9);
}

/**
 * run_mix() - 1000 frames out through a mixed configuration
 * @seed:	the seed
 * @sig:	a signature of the output sequence, filled
 */
static void run_mix(uint64_t seed, uint64_t *sig)
{
	uint8_t f[100], o[200];
	uint64_t h = 1469598103934665603ull;

	mk((struct link_fault_config){ .seed = seed, .drop = 50000, .duplicate = 50000,
				       .reorder = 50000, .corrupt = 50000, .truncate = 50000,
				       .reorder_delay_us = 3000, .out = true });
	for (int i = 0; i < 1000; i++) {
		link_fault_set_now(lf, (stack_time_us)i * 1000);
		frame(f, i);
		link_fault_send(lf, f, 100);
		size_t n;
		while ((n = link_mem_pop(lm, o, sizeof(o))))
			for (size_t k = 0; k < n; k++)
				h = (h ^ o[k]) * 1099511628211ull;
	}
	*sig = h;
	const struct link_fault_stats *st = link_fault_stats(lf);
	cr_assert(st->dropped[1] > 20 && st->dropped[1] < 90, "%lu", (unsigned long)st->dropped[1]);
	cr_assert(st->reordered[1] > 20 && st->corrupted[1] > 20 && st->truncated[1] > 20 &&
		  st->duplicated[1] > 20);
	fini();
}

Test(link_fault, deterministic_for_a_seed)
{
	uint64_t a, b, c;

	run_mix(42, &a);
	run_mix(42, &b);
	run_mix(43, &c);
	cr_assert_eq(a, b, "same seed, same faults");
	cr_assert_neq(a, c, "another seed, other faults");
}

/**
 * mk_off() - create the injector over a link_mem that advertises offloads
 * @cfg:	configuration
 */
static void mk_off(struct link_fault_config cfg)
{
	char err[128];

	lm = link_mem_create(64);
	link_mem_set_offload(lm, 65535, true);
	n_in = 0;
	cfg.max_frame = 14 + 65535;
	lf = link_fault_create(&cfg, link_mem_link(lm), rec_in, NULL, err, sizeof(err));
	cr_assert(lf, "%s", err);
}

static const struct stack_offload gso_meta = {
	.gso_type = STACK_GSO_TCPV4, .csum = STACK_CSUM_PARTIAL, .gso_size = 20,
	.hdr_len = 54, .csum_start = 34, .csum_offset = 16,
};

Test(link_fault, offload_metadata_travels_with_the_frame_and_through_the_hold)
{
	uint8_t f[100], o[200];
	struct stack_offload off;
	struct stack_link l;

	mk_off((struct link_fault_config){ .seed = 1, .reorder = LINK_FAULT_PPM,
					   .reorder_delay_us = 1000, .in = true, .out = true });
	l = link_fault_link(lf);
	cr_assert_eq(l.tso_max, 65535, "the injector advertises what the link does");
	cr_assert(l.csum_offload && l.send_ex);
	frame(f, 1);
	link_fault_set_now(lf, 0);
	cr_assert_eq(l.send_ex(l.ctx, f, 100, &gso_meta), 0);
	link_fault_input_ex(lf, f, 100, &gso_meta, 0);
	cr_assert_eq(link_mem_pending(lm), 0, "held");
	cr_assert_eq(n_in, 0);
	link_fault_timers(lf, 1000);
	cr_assert_eq(link_mem_pop_ex(lm, o, sizeof(o), &off), 100);
	cr_assert(!memcmp(&off, &gso_meta, sizeof(off)));
	cr_assert_eq(n_in, 1);
	cr_assert(!memcmp(&in_off[0], &gso_meta, sizeof(off)));
}

Test(link_fault, corrupted_input_loses_its_checksum_claim)
{
	uint8_t f[100];

	mk_off((struct link_fault_config){ .seed = 5, .corrupt = LINK_FAULT_PPM, .in = true });
	frame(f, 2);
	link_fault_input_ex(lf, f, 100, &gso_meta, 0);
	cr_assert_eq(n_in, 1);
	cr_assert_eq(in_off[0].csum, STACK_CSUM_NONE, "the stack must verify a damaged frame");
	cr_assert_eq(in_off[0].gso_type, STACK_GSO_TCPV4);
	cr_assert_eq(link_fault_stats(lf)->corrupted[0], 1);
}

Test(link_fault, corrupted_output_gso_frame_is_lost_whole)
{
	uint8_t f[100];

	mk_off((struct link_fault_config){ .seed = 5, .corrupt = LINK_FAULT_PPM, .out = true });
	frame(f, 3);
	cr_assert_eq(link_fault_send_ex(lf, f, 100, &gso_meta), 0);
	cr_assert_eq(link_mem_pending(lm), 0, "the link would have hidden the flip");
	cr_assert_eq(link_fault_stats(lf)->corrupted[1], 1);
}

Test(link_fault, corrupted_output_partial_checksum_is_finished_before_the_flip)
{
	struct stack_offload partial = { .csum = STACK_CSUM_PARTIAL, .csum_start = 34,
					 .csum_offset = 16 }, got;
	uint8_t f[100], want[100], o[200];

	mk_off((struct link_fault_config){ .seed = 8, .corrupt = LINK_FAULT_PPM, .out = true });
	for (int i = 0; i < 20; i++) {
		int bits = 0;

		frame(f, i);
		memcpy(want, f, sizeof(want));
		csum_finish_partial(want, sizeof(want), 34, 16);
		cr_assert_eq(link_fault_send_ex(lf, f, 100, &partial), 0);
		cr_assert_eq(link_mem_pop_ex(lm, o, sizeof(o), &got), 100);
		cr_assert_eq(got.csum, STACK_CSUM_NONE);
		for (int k = 0; k < 100; k++)
			bits += __builtin_popcount((unsigned)(o[k] ^ want[k]));
		cr_assert_eq(bits, 1, "finished checksum, then one bit flipped");
	}
}
