/* SPDX-License-Identifier: MIT */
/*
 * link_tap.h - TAP device frame I/O
 */
#ifndef TCPGATE_LINK_TAP_H
#define TCPGATE_LINK_TAP_H

#include <stddef.h>
#include <stdint.h>

#include "stack/stack.h"

struct link_tap;
struct pcap_writer;

/* link_tap_open() @flags */
#define LINK_TAP_OFFLOAD	0x1u	/* IFF_VNET_HDR, TSO4 and checksum offload */
#define LINK_TAP_MULTI_QUEUE	0x2u	/* IFF_MULTI_QUEUE: one queue of several */

/* Create or attach to TAP @name (IFF_TAP | IFF_NO_PI, non-blocking), inside
 * network namespace /run/netns/@netns when @netns is non-empty (the caller's
 * namespace is restored before returning), set its MTU to @mtu and bring it up.
 * Return: the link, or NULL with @err filled. */
struct link_tap *link_tap_open(const char *name, const char *netns, uint16_t mtu,
			       unsigned flags, char *err, size_t errlen);
/* The same for one queue of a multi-queue TAP (IFF_MULTI_QUEUE): call it
 * once per queue with the same @name. */
struct link_tap *link_tap_open_mq(const char *name, const char *netns, uint16_t mtu,
				  unsigned flags, char *err, size_t errlen);
/* The stack_link for a stack on @t (offload capabilities included). */
struct stack_link link_tap_link(struct link_tap *t);
void link_tap_close(struct link_tap *t);
int link_tap_fd(const struct link_tap *t);
/* Record every frame read or sent to @p (NULL to stop). */
void link_tap_set_pcap(struct link_tap *t, struct pcap_writer *p);
/* Read up to @max frames until EAGAIN, calling @fn for each with a buffer it
 * may modify and its offload metadata (NULL: a plain frame).
 * Return: frames read (0 if none was ready), or -errno. */
int link_tap_read_batch(struct link_tap *t, unsigned max,
			void (*fn)(void *arg, uint8_t *frame, size_t len,
				   const struct stack_offload *off),
			void *arg);
/* Send one frame; signature of stack_link.send (@ctx is the struct link_tap). */
int link_tap_send(void *ctx, const uint8_t *frame, size_t len);
/* Send one frame with offload metadata; signature of stack_link.send_ex. */
int link_tap_send_ex(void *ctx, const uint8_t *frame, size_t len,
		     const struct stack_offload *off);

#endif /* TCPGATE_LINK_TAP_H */
