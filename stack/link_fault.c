/* SPDX-License-Identifier: MIT */
/*
 * link_fault.c - seeded fault injection on frame input and output
 *
 * Theory of operation
 * -------------------
 * Two independent directions, DIR_IN (link → stack) and DIR_OUT (stack →
 * link), each with its own PRNG (splitmix64 seeded from cfg.seed and the
 * direction), its own hold queue and its own counters. For every frame of an
 * impaired direction five rolls are drawn, always in the same order and
 * always all five, so the faults of frame N depend only on the seed and N:
 *
 *   drop       the frame is gone (output: send reports success)
 *   truncate   cut to a random length in [1, len - 1]
 *   corrupt    one random bit flipped (anywhere: Ethernet, IP, TCP, payload)
 *   duplicate  delivered twice
 *   reorder    held for cfg.reorder_delay_us, so later frames overtake it
 *
 * Truncation and corruption work on a copy in the direction's scratch
 * buffer (input frames could be altered in place, output frames are const).
 * Held frames sit in a ring of cfg.hold_slots preallocated slots of
 * cfg.max_frame bytes; the delay is the same for all, so the ring is in
 * release order. When it is full the frame passes (counted hold_full).
 * Frames above max_frame (GSO frames, unless max_frame is raised for them)
 * are only dropped, duplicated or passed (counted too_big).
 *
 * Offload metadata (struct stack_offload) travels with its frame, through
 * the hold ring too. A bit flip must stay detectable, as on a wire where
 * the receiver checks every segment: on input, a corrupted frame loses its
 * "checksum already good" claim, so the stack verifies it (a partial
 * checksum then fails, as the damaged frame should); on output, a partial
 * checksum is finished in software before the flip, and a corrupted GSO
 * frame is lost whole (the link would checksum each piece after the flip
 * and hide it). Truncation keeps the metadata: the receiver's length checks
 * (hdr_len and csum offsets inside the frame, IPv4 total length) reject it.
 *
 * Held frames are released by link_fault_timers() (the owner calls it at
 * link_fault_next_timer()) and, opportunistically, on the next frame of the
 * same direction. Output releases call out.send directly; input releases
 * call the deliverer, so they must not happen inside a stack entry point:
 * link_fault_input() and link_fault_timers() are entry points themselves.
 * Output has no @now of its own: the owner sets it with link_fault_set_now().
 *
 * Memory: everything is allocated in link_fault_create(); nothing per frame.
 */
#include "stack/link_fault.h"

#include "stack/checksum.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { DIR_IN = 0, DIR_OUT = 1, DIR__COUNT };

#define LINK_FAULT_DEFAULT_SLOTS 64
#define STACK_MAX_FRAME_BYTES	(14 + 65535)	/* as STACK_MAX_FRAME */

/**
 * struct lf_dir - one direction
 * @on:		impaired at all
 * @rng:	splitmix64 state
 * @slots:	hold ring storage, hold_slots * max_frame bytes
 * @len, @due:	per slot
 * @off:	per slot: the frame's offload metadata
 * @head, @count: ring position and fill
 * @scratch:	max_frame bytes for truncation/corruption
 * @dup:	the largest frame's bytes, for the first copy of a duplicate
 */
struct lf_dir {
	bool on;
	uint64_t rng;
	uint8_t *slots;
	size_t *len;
	stack_time_us *due;
	struct stack_offload *off;
	uint32_t head, count;
	uint8_t *scratch;
	uint8_t *dup;
};

/**
 * struct link_fault - the injector
 * @cfg:	configuration copy
 * @out:	the real link for output
 * @in:		the deliverer for input, @in_ctx its context
 * @now:	time for output holds
 * @dir:	the two directions
 * @stats:	counters
 */
struct link_fault {
	struct link_fault_config cfg;
	struct stack_link out;
	link_fault_deliver_fn in;
	void *in_ctx;
	stack_time_us now;
	struct lf_dir dir[DIR__COUNT];
	struct link_fault_stats stats;
};

/**
 * lf_rand() - splitmix64 (Steele, Lea, Flood 2014): next value
 * @d:	direction whose stream advances
 *
 * Return: 64 random bits
 */
static uint64_t lf_rand(struct lf_dir *d)
{
	uint64_t z = (d->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/**
 * lf_roll() - one Bernoulli trial
 * @d:		direction
 * @ppm:	probability in parts per million
 *
 * Return: true with probability @ppm / 1e6 (the stream advances either way)
 */
static bool lf_roll(struct lf_dir *d, uint32_t ppm)
{
	return lf_rand(d) % LINK_FAULT_PPM < ppm;
}

/**
 * link_fault_create() - allocate an injector
 * @cfg:	what to inject
 * @out:	where output frames go (used if cfg->out)
 * @in:		where input frames go (used if cfg->in)
 * @in_ctx:	passed to @in
 * @err:	error text buffer
 * @errlen:	its size
 *
 * Return: the injector, or NULL with @err filled
 */
struct link_fault *link_fault_create(const struct link_fault_config *cfg,
				     struct stack_link out,
				     link_fault_deliver_fn in, void *in_ctx,
				     char *err, size_t errlen)
{
	struct link_fault *f = calloc(1, sizeof(*f));

	if (!f)
		goto nomem;
	f->cfg = *cfg;
	if (!f->cfg.hold_slots)
		f->cfg.hold_slots = LINK_FAULT_DEFAULT_SLOTS;
	if (!f->cfg.max_frame)
		f->cfg.max_frame = 1514;
	f->out = out;
	f->in = in;
	f->in_ctx = in_ctx;
	for (int i = 0; i < DIR__COUNT; i++) {
		struct lf_dir *d = &f->dir[i];
		size_t n = f->cfg.hold_slots, m = f->cfg.max_frame;

		d->on = i == DIR_IN ? cfg->in : cfg->out;
		d->rng = cfg->seed ^ (0x5851f42d4c957f2dull * (uint64_t)(i + 1));
		d->slots = malloc(n * m);
		d->len = calloc(n, sizeof(*d->len));
		d->due = calloc(n, sizeof(*d->due));
		d->off = calloc(n, sizeof(*d->off));
		d->scratch = malloc(m);
		d->dup = malloc(STACK_MAX_FRAME_BYTES);
		if (!d->slots || !d->len || !d->due || !d->off || !d->scratch || !d->dup)
			goto nomem;
	}
	return f;
nomem:
	snprintf(err, errlen, "link_fault: out of memory");
	link_fault_destroy(f);
	return NULL;
}

/**
 * link_fault_destroy() - free an injector (held frames are lost)
 * @f:	the injector, or NULL
 */
void link_fault_destroy(struct link_fault *f)
{
	if (!f)
		return;
	for (int i = 0; i < DIR__COUNT; i++) {
		free(f->dir[i].slots);
		free(f->dir[i].len);
		free(f->dir[i].due);
		free(f->dir[i].off);
		free(f->dir[i].scratch);
		free(f->dir[i].dup);
	}
	free(f);
}

/**
 * link_fault_set_now() - the time for output-side holds
 * @f:		the injector
 * @now:	current time
 */
void link_fault_set_now(struct link_fault *f, stack_time_us now)
{
	f->now = now;
}

/**
 * lf_plain() - metadata pointer for a frame: NULL when it claims nothing
 * @off:	the metadata, or NULL
 *
 * Return: @off, or NULL for a plain frame
 */
static const struct stack_offload *lf_plain(const struct stack_offload *off)
{
	if (off && (off->gso_type != STACK_GSO_NONE || off->csum != STACK_CSUM_NONE))
		return off;
	return NULL;
}

/**
 * lf_emit() - hand one frame on in its direction
 * @f:		the injector
 * @dir:	DIR_IN or DIR_OUT
 * @frame:	the frame (input: may be modified by the stack)
 * @len:	its length
 * @off:	its offload metadata, or NULL
 * @now:	current time
 *
 * Return: the link's send result (output), 0 (input)
 */
static int lf_emit(struct link_fault *f, int dir, uint8_t *frame, size_t len,
		   const struct stack_offload *off, stack_time_us now)
{
	off = lf_plain(off);
	if (dir == DIR_OUT)
		return f->out.send_ex ? f->out.send_ex(f->out.ctx, frame, len, off)
				      : f->out.send(f->out.ctx, frame, len);
	f->in(f->in_ctx, frame, len, off, now);
	return 0;
}

/**
 * lf_release() - emit every held frame of a direction that is due
 * @f:		the injector
 * @dir:	direction
 * @now:	current time
 */
static void lf_release(struct link_fault *f, int dir, stack_time_us now)
{
	struct lf_dir *d = &f->dir[dir];

	while (d->count && d->due[d->head] <= now) {
		uint32_t i = d->head;

		d->head = (d->head + 1) % f->cfg.hold_slots;
		d->count--;
		/* the slot is free again only after emit: nothing refills it
		 * meanwhile (output emit does not re-enter, input emit may send
		 * output but not input) */
		lf_emit(f, dir, d->slots + (size_t)i * f->cfg.max_frame, d->len[i], &d->off[i],
			now);
	}
}

/**
 * lf_hold() - put a frame in the hold ring
 * @f:		the injector
 * @dir:	direction
 * @frame:	the frame
 * @len:	its length (<= max_frame)
 * @off:	its offload metadata
 * @now:	current time
 *
 * Return: true if held, false if the ring is full
 */
static bool lf_hold(struct link_fault *f, int dir, const uint8_t *frame, size_t len,
		    const struct stack_offload *off, stack_time_us now)
{
	struct lf_dir *d = &f->dir[dir];
	uint32_t i;

	if (d->count == f->cfg.hold_slots)
		return false;
	i = (d->head + d->count) % f->cfg.hold_slots;
	memcpy(d->slots + (size_t)i * f->cfg.max_frame, frame, len);
	d->len[i] = len;
	d->off[i] = *off;
	d->due[i] = now + f->cfg.reorder_delay_us;
	d->count++;
	return true;
}

/**
 * lf_corrupt_offload() - keep a bit flip detectable despite offloads
 * @dir:	direction
 * @frame:	the scratch copy, before the flip
 * @len:	its length
 * @off:	its metadata, adjusted
 *
 * Return: false if the frame must be lost instead (an output GSO frame)
 */
static bool lf_corrupt_offload(int dir, uint8_t *frame, size_t len,
			       struct stack_offload *off)
{
	if (dir == DIR_IN) {
		off->csum = STACK_CSUM_NONE;	/* the stack verifies it now */
		return true;
	}
	if (off->gso_type != STACK_GSO_NONE)
		return false;
	if (off->csum == STACK_CSUM_PARTIAL)
		csum_finish_partial(frame, len, off->csum_start, off->csum_offset);
	off->csum = STACK_CSUM_NONE;
	return true;
}

/**
 * lf_frame() - apply the faults to one frame and pass on what is left
 * @f:		the injector
 * @dir:	direction
 * @frame:	the frame (not modified: alterations go to the scratch copy)
 * @len:	its length
 * @off_in:	its offload metadata, or NULL
 * @now:	current time
 *
 * Return: the link's result for output (0 when dropped: a lossy link
 * loses frames silently)
 */
static int lf_frame(struct link_fault *f, int dir, uint8_t *frame, size_t len,
		    const struct stack_offload *off_in, stack_time_us now)
{
	struct stack_offload off = off_in ? *off_in : (struct stack_offload){ 0 };
	struct lf_dir *d = &f->dir[dir];
	struct link_fault_stats *st = &f->stats;
	const struct link_fault_config *c = &f->cfg;
	bool drop = lf_roll(d, c->drop), trunc = lf_roll(d, c->truncate);
	bool corrupt = lf_roll(d, c->corrupt), dup = lf_roll(d, c->duplicate);
	bool reorder = lf_roll(d, c->reorder);
	uint64_t r1 = lf_rand(d), r2 = lf_rand(d);
	bool small = len <= c->max_frame;
	int rc;

	st->frames[dir]++;
	if (drop) {
		st->dropped[dir]++;
		return 0;
	}
	if (!small && (trunc || corrupt || reorder)) {
		st->too_big[dir]++;
		trunc = corrupt = reorder = false;
	}
	if ((trunc && len >= 2) || (corrupt && len)) {
		memcpy(d->scratch, frame, len);
		frame = d->scratch;
		if (trunc && len >= 2) {
			len = 1 + (size_t)(r1 % (len - 1));
			st->truncated[dir]++;
		}
		if (corrupt) {
			uint64_t bit = r2 % ((uint64_t)len * 8);

			st->corrupted[dir]++;
			if (!lf_corrupt_offload(dir, frame, len, &off))
				return 0;
			frame[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		}
	}
	if (reorder) {
		if (lf_hold(f, dir, frame, len, &off, now)) {
			st->reordered[dir]++;
			if (!dup)
				return 0;
			reorder = false;	/* the duplicate goes now */
		} else {
			st->hold_full[dir]++;
		}
	}
	if (dup) {
		st->duplicated[dir]++;
		if (dir == DIR_IN) {
			/* the stack may modify an input frame: the first goes as a copy */
			memcpy(d->dup, frame, len);
			lf_emit(f, dir, d->dup, len, &off, now);
		} else {
			lf_emit(f, dir, frame, len, &off, now);
		}
	}
	rc = lf_emit(f, dir, frame, len, &off, now);
	return rc;
}

/**
 * link_fault_input() - a received frame goes through the injector
 * @f:		the injector
 * @frame:	the frame
 * @len:	its length
 * @now:	current time
 */
void link_fault_input(struct link_fault *f, uint8_t *frame, size_t len, stack_time_us now)
{
	link_fault_input_ex(f, frame, len, NULL, now);
}

/**
 * link_fault_input_ex() - a received frame and its offload metadata
 * @f:		the injector
 * @frame:	the frame
 * @len:	its length
 * @off:	what the link says about it, or NULL
 * @now:	current time
 */
void link_fault_input_ex(struct link_fault *f, uint8_t *frame, size_t len,
			 const struct stack_offload *off, stack_time_us now)
{
	lf_release(f, DIR_IN, now);
	if (!f->dir[DIR_IN].on) {
		f->in(f->in_ctx, frame, len, lf_plain(off), now);
		return;
	}
	lf_frame(f, DIR_IN, frame, len, off, now);
}

/**
 * link_fault_send() - stack_link.send through the injector
 * @ctx:	the injector
 * @frame:	the frame
 * @len:	its length
 *
 * Return: 0 or the real link's -errno
 */
int link_fault_send(void *ctx, const uint8_t *frame, size_t len)
{
	return link_fault_send_ex(ctx, frame, len, NULL);
}

/**
 * link_fault_send_ex() - stack_link.send_ex through the injector
 * @ctx:	the injector
 * @frame:	the frame
 * @len:	its length
 * @off:	its offload metadata, or NULL
 *
 * Return: 0 or the real link's -errno
 */
int link_fault_send_ex(void *ctx, const uint8_t *frame, size_t len,
		       const struct stack_offload *off)
{
	struct link_fault *f = ctx;

	lf_release(f, DIR_OUT, f->now);
	/* lf_frame() and lf_emit() never write through @frame: alterations use scratch */
	if (!f->dir[DIR_OUT].on)
		return lf_emit(f, DIR_OUT, (uint8_t *)(uintptr_t)frame, len, off, f->now);
	return lf_frame(f, DIR_OUT, (uint8_t *)(uintptr_t)frame, len, off, f->now);
}

/**
 * link_fault_link() - the stack_link for a stack sending through the injector
 * @f:	the injector
 *
 * It passes offload metadata through, so it advertises what the real link does.
 *
 * Return: the link
 */
struct stack_link link_fault_link(struct link_fault *f)
{
	return (struct stack_link){ .send = link_fault_send, .ctx = f,
				    .send_ex = link_fault_send_ex, .tso_max = f->out.tso_max,
				    .csum_offload = f->out.csum_offload };
}

/**
 * link_fault_timers() - release held frames that are due
 * @f:		the injector
 * @now:	current time
 */
void link_fault_timers(struct link_fault *f, stack_time_us now)
{
	f->now = now;
	lf_release(f, DIR_OUT, now);
	lf_release(f, DIR_IN, now);
}

/**
 * link_fault_next_timer() - when link_fault_timers() has something to do
 * @f:	the injector
 *
 * Return: the earliest release time, or STACK_TIME_NEVER
 */
stack_time_us link_fault_next_timer(const struct link_fault *f)
{
	stack_time_us t = STACK_TIME_NEVER;

	for (int i = 0; i < DIR__COUNT; i++) {
		const struct lf_dir *d = &f->dir[i];

		if (d->count && d->due[d->head] < t)
			t = d->due[d->head];
	}
	return t;
}

/**
 * link_fault_stats() - the counters
 * @f:	the injector
 *
 * Return: pointer to the counters (owner thread writes them)
 */
const struct link_fault_stats *link_fault_stats(const struct link_fault *f)
{
	return &f->stats;
}
