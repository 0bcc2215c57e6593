/* SPDX-License-Identifier: MIT */
/*
 * link_mem.c - in-memory link for tests
 *
 * Theory of operation
 * -------------------
 * A FIFO ring of @capacity slots, each big enough for STACK_MAX_FRAME bytes,
 * allocated once at create time. link_mem_send() copies a frame into the slot
 * after the newest one (-ENOBUFS when all are used); link_mem_pop() copies the
 * oldest out. Nothing is allocated after create.
 *
 * Offloads: link_mem_send_ex() also keeps each frame's struct stack_offload
 * (all zero for a plain frame) and link_mem_pop_ex() hands it back, so a test
 * can play the offloading link (cut GSO frames, finish checksums) itself.
 * link_mem_set_offload() makes link_mem_link() advertise TSO and checksum
 * offload to a stack.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stack/link_mem.h"
#include "stack/stack_internal.h"

/**
 * struct link_mem - the ring
 * @frames:	@cap slots of STACK_MAX_FRAME bytes
 * @lens:	length of the frame in each slot
 * @offs:	offload metadata of the frame in each slot
 * @cap:	number of slots
 * @head:	index of the oldest frame
 * @count:	frames queued
 * @tso_max, @csum_offload: what link_mem_link() advertises
 */
struct link_mem {
	uint8_t *frames;
	size_t *lens;
	struct stack_offload *offs;
	size_t cap;
	size_t head;
	size_t count;
	uint32_t tso_max;
	bool csum_offload;
};

/**
 * link_mem_create() - allocate a ring
 * @capacity_frames:	how many frames it can hold (at least 1)
 *
 * Return: the link, or NULL on allocation failure or zero capacity
 */
struct link_mem *link_mem_create(size_t capacity_frames)
{
	struct link_mem *m;

	if (!capacity_frames)
		return NULL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->frames = malloc(capacity_frames * STACK_MAX_FRAME);
	m->lens = calloc(capacity_frames, sizeof(*m->lens));
	m->offs = calloc(capacity_frames, sizeof(*m->offs));
	if (!m->frames || !m->lens || !m->offs) {
		link_mem_destroy(m);
		return NULL;
	}
	m->cap = capacity_frames;
	return m;
}

/**
 * link_mem_destroy() - free a ring and the frames it holds
 * @m:	the link, or NULL
 */
void link_mem_destroy(struct link_mem *m)
{
	if (!m)
		return;
	free(m->frames);
	free(m->lens);
	free(m->offs);
	free(m);
}

/**
 * link_mem_send() - queue a copy of a frame (stack_link.send)
 * @ctx:	the struct link_mem
 * @frame:	frame bytes
 * @len:	length, at most STACK_MAX_FRAME
 *
 * Return: 0, -ENOBUFS when the ring is full, -EMSGSIZE when @len is too big
 */
int link_mem_send(void *ctx, const uint8_t *frame, size_t len)
{
	return link_mem_send_ex(ctx, frame, len, NULL);
}

/**
 * link_mem_send_ex() - queue a copy of a frame and its metadata (stack_link.send_ex)
 * @ctx:	the struct link_mem
 * @frame:	frame bytes
 * @len:	length, at most STACK_MAX_FRAME
 * @off:	offload metadata, or NULL for a plain frame
 *
 * Return: 0, -ENOBUFS when the ring is full, -EMSGSIZE when @len is too big
 */
int link_mem_send_ex(void *ctx, const uint8_t *frame, size_t len,
		     const struct stack_offload *off)
{
	static const struct stack_offload plain;
	struct link_mem *m = ctx;
	size_t slot;

	if (len > STACK_MAX_FRAME)
		return -EMSGSIZE;
	if (m->count == m->cap)
		return -ENOBUFS;
	slot = (m->head + m->count) % m->cap;
	memcpy(m->frames + slot * STACK_MAX_FRAME, frame, len);
	m->lens[slot] = len;
	m->offs[slot] = off ? *off : plain;
	m->count++;
	return 0;
}

/**
 * link_mem_set_offload() - what link_mem_link() advertises
 * @m:			the link
 * @tso_max:		largest GSO IPv4 packet, 0 = no TSO
 * @csum_offload:	partial checksums accepted
 */
void link_mem_set_offload(struct link_mem *m, uint32_t tso_max, bool csum_offload)
{
	m->tso_max = tso_max;
	m->csum_offload = csum_offload;
}

/**
 * link_mem_link() - the struct stack_link for a stack sending into @m
 * @m:	the link
 *
 * Return: send/send_ex/ctx and the offloads set with link_mem_set_offload()
 */
struct stack_link link_mem_link(struct link_mem *m)
{
	return (struct stack_link){ .send = link_mem_send, .ctx = m,
				    .send_ex = link_mem_send_ex, .tso_max = m->tso_max,
				    .csum_offload = m->csum_offload };
}

/**
 * link_mem_pending() - frames waiting to be popped
 * @m:	the link
 *
 * Return: the count
 */
size_t link_mem_pending(const struct link_mem *m)
{
	return m->count;
}

/**
 * link_mem_pop() - take the oldest frame
 * @m:		the link
 * @buf:	where to copy it
 * @cap:	room at @buf; a longer frame is truncated
 *
 * Return: bytes copied, 0 if the ring is empty
 */
size_t link_mem_pop(struct link_mem *m, uint8_t *buf, size_t cap)
{
	return link_mem_pop_ex(m, buf, cap, NULL);
}

/**
 * link_mem_pop_ex() - take the oldest frame and its offload metadata
 * @m:		the link
 * @buf:	where to copy it
 * @cap:	room at @buf; a longer frame is truncated
 * @off:	filled with the metadata (all zero for a plain frame), or NULL
 *
 * Return: bytes copied, 0 if the ring is empty
 */
size_t link_mem_pop_ex(struct link_mem *m, uint8_t *buf, size_t cap,
		       struct stack_offload *off)
{
	size_t len;

	if (!m->count)
		return 0;
	if (off)
		*off = m->offs[m->head];
	len = m->lens[m->head];
	if (len > cap)
		len = cap;
	memcpy(buf, m->frames + m->head * STACK_MAX_FRAME, len);
	m->head = (m->head + 1) % m->cap;
	m->count--;
	return len;
}

/**
 * link_mem_clear() - drop every queued frame
 * @m:	the link
 */
void link_mem_clear(struct link_mem *m)
{
	m->head = 0;
	m->count = 0;
}
