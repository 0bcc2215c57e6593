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
 * @cap:	number of slots
 * @head:	index of the oldest frame
 * @count:	frames queued
 */
struct link_mem {
	uint8_t *frames;
	size_t *lens;
	size_t cap;
	size_t head;
	size_t count;
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
	if (!m->frames || !m->lens) {
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
	struct link_mem *m = ctx;
	size_t slot;

	if (len > STACK_MAX_FRAME)
		return -EMSGSIZE;
	if (m->count == m->cap)
		return -ENOBUFS;
	slot = (m->head + m->count) % m->cap;
	memcpy(m->frames + slot * STACK_MAX_FRAME, frame, len);
	m->lens[slot] = len;
	m->count++;
	return 0;
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
	size_t len;

	if (!m->count)
		return 0;
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
