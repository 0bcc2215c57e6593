/* SPDX-License-Identifier: MIT */
/*
 * link_mem.h - in-memory link for tests: frames the stack sends are queued
 * here for the test to pop and inspect; the test injects frames with
 * stack_input() directly.
 */
#ifndef TCPGATE_LINK_MEM_H
#define TCPGATE_LINK_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct link_mem;

struct link_mem *link_mem_create(size_t capacity_frames);
void link_mem_destroy(struct link_mem *m);
#include "stack/stack.h"

/* Signature of stack_link.send: copy the frame into the queue; -ENOBUFS when full. */
int link_mem_send(void *ctx, const uint8_t *frame, size_t len);
/* Signature of stack_link.send_ex: the same, keeping the offload metadata. */
int link_mem_send_ex(void *ctx, const uint8_t *frame, size_t len,
		     const struct stack_offload *off);
/* Advertise TSO (largest GSO IPv4 packet, 0 = none) and checksum offload. */
void link_mem_set_offload(struct link_mem *m, uint32_t tso_max, bool csum_offload);
/* The stack_link of @m, with the offloads set above. */
struct stack_link link_mem_link(struct link_mem *m);
/* Number of frames queued. */
size_t link_mem_pending(const struct link_mem *m);
/* Pop the oldest frame into @buf. Return: its length (0 if the queue is empty;
 * a frame longer than @cap is truncated to @cap). */
size_t link_mem_pop(struct link_mem *m, uint8_t *buf, size_t cap);
/* The same, also giving the frame's offload metadata (zero for a plain frame). */
size_t link_mem_pop_ex(struct link_mem *m, uint8_t *buf, size_t cap,
		       struct stack_offload *off);
void link_mem_clear(struct link_mem *m);

#endif /* TCPGATE_LINK_MEM_H */
