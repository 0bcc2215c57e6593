/* SPDX-License-Identifier: MIT */
/*
 * link_fault.h - a seeded fault injector between a link and the stack
 *
 * It sits on frame input (link → stack_input()) and/or output (the stack's
 * stack_link.send → the real link) and, per frame, drops, truncates,
 * corrupts one bit, duplicates, or holds the frame back for a while so
 * later frames overtake it (reordering). Each fault has its own probability;
 * the random stream is seeded, so a given seed and frame sequence always
 * give the same faults. Used by scenario tests over link_mem and by the
 * proxy when the config has interface.fault (experiments, e2e tests).
 */
#ifndef TCPGATE_LINK_FAULT_H
#define TCPGATE_LINK_FAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stack/stack.h"

#define LINK_FAULT_PPM 1000000u		/* probabilities are parts per million */

/**
 * struct link_fault_config - what to inject
 * @seed:		PRNG seed (each direction derives its own stream)
 * @drop, @duplicate, @reorder, @corrupt, @truncate: per-frame probability,
 *			parts per million (10000 = 1 %)
 * @reorder_delay_us:	how long a reordered frame is held
 * @hold_slots:		frames that can be held at once per direction (0 = 64)
 * @max_frame:		largest frame that can be held or altered (bigger ones
 *			are only dropped, duplicated or passed); raise it to
 *			14 + 65535 to impair GSO frames too
 * @in, @out:		which directions are impaired
 */
struct link_fault_config {
	uint64_t seed;
	uint32_t drop, duplicate, reorder, corrupt, truncate;
	uint32_t reorder_delay_us;
	uint32_t hold_slots;
	uint32_t max_frame;
	bool in, out;
};

/**
 * struct link_fault_stats - injected faults, per direction [0] in, [1] out
 * @frames:		frames seen
 * @dropped, @duplicated, @reordered, @corrupted, @truncated: faults injected
 * @hold_full:		reorder wanted but every hold slot was busy (passed)
 * @too_big:		frame above max_frame: not held, truncated or corrupted
 */
struct link_fault_stats {
	uint64_t frames[2], dropped[2], duplicated[2], reordered[2],
		 corrupted[2], truncated[2], hold_full[2], too_big[2];
};

struct link_fault;

/* Input deliverer: normally a wrapper around stack_input_ex(); @off is the
 * frame's offload metadata (NULL for a plain frame). */
typedef void (*link_fault_deliver_fn)(void *ctx, uint8_t *frame, size_t len,
				      const struct stack_offload *off, stack_time_us now);

struct link_fault *link_fault_create(const struct link_fault_config *cfg,
				     struct stack_link out,
				     link_fault_deliver_fn in, void *in_ctx,
				     char *err, size_t errlen);
void link_fault_destroy(struct link_fault *f);
/* The time used for output-side holds (send has no @now): set it per wake-up. */
void link_fault_set_now(struct link_fault *f, stack_time_us now);
/* A received frame: faults, then the deliverer (now or later). */
void link_fault_input(struct link_fault *f, uint8_t *frame, size_t len, stack_time_us now);
/* The same with the link's offload metadata (NULL: none); it travels with the frame. */
void link_fault_input_ex(struct link_fault *f, uint8_t *frame, size_t len,
			 const struct stack_offload *off, stack_time_us now);
/* stack_link.send signature, ctx = the link_fault: faults, then @out.send. */
int link_fault_send(void *ctx, const uint8_t *frame, size_t len);
/* stack_link.send_ex signature: the metadata goes on to @out.send_ex. */
int link_fault_send_ex(void *ctx, const uint8_t *frame, size_t len,
		       const struct stack_offload *off);
/* The stack_link to give the stack: send_ex and @out's offload capabilities. */
struct stack_link link_fault_link(struct link_fault *f);
/* Release held frames that are due. */
void link_fault_timers(struct link_fault *f, stack_time_us now);
/* The next release time, or STACK_TIME_NEVER. */
stack_time_us link_fault_next_timer(const struct link_fault *f);
const struct link_fault_stats *link_fault_stats(const struct link_fault *f);

#endif /* TCPGATE_LINK_FAULT_H */
