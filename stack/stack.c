/* SPDX-License-Identifier: MIT */
/*
 * stack.c - the stack object: configuration, local addresses, entry points
 *
 * Theory of operation
 * -------------------
 * struct stack (stack_internal.h) is one instance per worker thread. It owns a
 * copy of the configuration, the counters, the list of extra local addresses
 * (listener VIPs), the single transmit buffer and a pointer to each layer's
 * state (ARP table, TCP table), all allocated in stack_create(); nothing is
 * allocated afterwards.
 *
 * The three entry points (stack_input(), stack_timers(), stack_next_timer())
 * record the caller's clock in s->now, so every layer below reads the current
 * time from there, and fan out to the layers: frames go to eth_input(), timers
 * to arp_timers() and tcp_timers().
 *
 * Every frame leaves through stack_link_send(), the one place that counts
 * transmitted frames and failed sends, and that picks link.send_ex (with the
 * frame's offload metadata) over link.send when the link has it.
 *
 * Offloads (stack.h): stack_input_ex() checks what it can of a received
 * frame's metadata without knowing the protocols (known GSO type, a nonzero
 * gso_size, header and checksum offsets inside the frame); ip4.c checks the
 * rest against the headers. Contradicting metadata is a counted drop
 * (drop_offload_bad), never trusted.
 *
 * Local addresses: cfg.addr, the VIPs, and, in promiscuous mode, any IPv4
 * destination (transparent interception). ARP only ever answers for cfg.addr
 * and the VIPs (arp.c).
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stack/stack_internal.h"

const char *const tcp_event_names[TCP_EV__COUNT] = {
	[TCP_EV_ESTABLISHED]	= "ESTABLISHED",
	[TCP_EV_PEER_FIN]	= "PEER_FIN",
	[TCP_EV_RESET]		= "RESET",
	[TCP_EV_TIMEOUT]	= "TIMEOUT",
	[TCP_EV_CLOSED]		= "CLOSED",
};
static_assert(sizeof(tcp_event_names) / sizeof(tcp_event_names[0]) == TCP_EV__COUNT,
	      "tcp_event_names must name every enum tcp_event value");

/**
 * stack_config_check() - validate a configuration
 * @cfg:	the configuration
 * @err:	error text buffer
 * @errlen:	its size
 *
 * Return: 0 if usable, -EINVAL with @err filled otherwise
 */
static int stack_config_check(const struct stack_config *cfg, char *err, size_t errlen)
{
	const char *why = NULL;

	if (!cfg)
		why = "no configuration";
	else if (!cfg->ops)
		why = "ops is NULL";
	else if (!cfg->link.send && !cfg->link.send_ex)
		why = "link.send is NULL";
	else if ((cfg->link.csum_offload || cfg->link.tso_max) && !cfg->link.send_ex)
		why = "link offloads need link.send_ex";
	else if (cfg->link.tso_max && !cfg->link.csum_offload)
		why = "link.tso_max needs link.csum_offload";
	else if (cfg->link.tso_max && cfg->link.tso_max <= cfg->mtu)
		why = "link.tso_max must exceed the mtu";
	else if (cfg->mtu < 68)	/* RFC 791: every host must take 68-byte datagrams */
		why = "mtu must be 68..65535";
	else if (cfg->max_conns < 1)
		why = "max_conns must be at least 1";
	else if (cfg->prefix_len > 32)
		why = "prefix_len must be 0..32";
	if (!why)
		return 0;
	snprintf(err, errlen, "stack: %s", why);
	return -EINVAL;
}

/**
 * stack_create() - allocate a stack
 * @cfg:	configuration, copied
 * @err:	error text buffer, filled on failure
 * @errlen:	its size
 *
 * Return: the stack, or NULL (errno set, @err filled)
 */
struct stack *stack_create(const struct stack_config *cfg, char *err, size_t errlen)
{
	struct stack *s;

	if (stack_config_check(cfg, err, errlen)) {
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		goto nomem;
	s->cfg = *cfg;
	s->tx_buf = malloc(STACK_MAX_FRAME);
	s->arp = arp_create(cfg->mtu);
	if (!s->tx_buf || !s->arp)
		goto nomem;
	s->tcp = tcp_table_create(s, err, errlen);
	if (!s->tcp) {
		stack_destroy(s);
		errno = ENOMEM;
		return NULL;
	}
	return s;
nomem:
	stack_destroy(s);
	snprintf(err, errlen, "stack: out of memory");
	errno = ENOMEM;
	return NULL;
}

/**
 * stack_destroy() - free a stack and everything it holds
 * @s:	the stack, or NULL
 */
void stack_destroy(struct stack *s)
{
	if (!s)
		return;
	if (s->tcp)
		tcp_table_destroy(s->tcp);
	if (s->arp)
		arp_destroy(s->arp);
	free(s->tx_buf);
	free(s);
}

/**
 * stack_vip_find() - index of a VIP
 * @s:		the stack
 * @addr:	address, host order
 *
 * Return: the index in s->vips, or -1
 */
static int stack_vip_find(const struct stack *s, uint32_t addr)
{
	for (unsigned i = 0; i < s->n_vips; i++)
		if (s->vips[i] == addr)
			return (int)i;
	return -1;
}

/**
 * stack_add_vip() - answer ARP for, and accept IPv4 to, another address
 * @s:		the stack
 * @addr:	address, host order
 *
 * Return: 0 (also if already present), -EINVAL for 0.0.0.0, -ENOSPC if full
 */
int stack_add_vip(struct stack *s, uint32_t addr)
{
	if (!addr)
		return -EINVAL;
	if (addr == s->cfg.addr || stack_vip_find(s, addr) >= 0)
		return 0;
	if (s->n_vips == STACK_MAX_VIPS)
		return -ENOSPC;
	s->vips[s->n_vips++] = addr;
	return 0;
}

/**
 * stack_del_vip() - forget a VIP
 * @s:		the stack
 * @addr:	address, host order
 *
 * Return: 0, or -ENOENT if it was not a VIP
 */
int stack_del_vip(struct stack *s, uint32_t addr)
{
	int i = stack_vip_find(s, addr);

	if (i < 0)
		return -ENOENT;
	s->vips[i] = s->vips[--s->n_vips];
	return 0;
}

/**
 * stack_set_promiscuous_ip() - accept IPv4 for any destination
 * @s:	the stack
 * @on:	true for transparent interception
 */
void stack_set_promiscuous_ip(struct stack *s, bool on)
{
	s->promisc_ip = on;
}

/**
 * stack_is_local_addr() - is IPv4 to @addr ours to take?
 * @s:		the stack
 * @addr:	destination, host order
 *
 * Return: true for cfg.addr, a VIP, or anything in promiscuous mode
 */
bool stack_is_local_addr(const struct stack *s, uint32_t addr)
{
	return s->promisc_ip || addr == s->cfg.addr || stack_vip_find(s, addr) >= 0;
}

/**
 * stack_is_on_link() - is @addr in cfg.addr's prefix?
 * @s:		the stack
 * @addr:	address, host order
 *
 * Return: true if reachable directly on the link (ARP resolves it)
 */
bool stack_is_on_link(const struct stack *s, uint32_t addr)
{
	uint8_t plen = s->cfg.prefix_len;
	uint32_t mask = plen ? ~0u << (32 - plen) : 0;

	return ((addr ^ s->cfg.addr) & mask) == 0;
}

/**
 * stack_link_send() - transmit one complete frame, counted
 * @s:		the stack
 * @frame:	Ethernet frame
 * @len:	its length
 * @off:	its offload metadata, NULL for a plain frame (only ever set
 *		when the link advertised the offload)
 *
 * Return: 0, or the link's -errno (counted as tx_dropped)
 */
int stack_link_send(struct stack *s, const uint8_t *frame, size_t len,
		    const struct stack_offload *off)
{
	const struct stack_link *l = &s->cfg.link;
	int rc;

	assert(!off || off->gso_type == STACK_GSO_NONE || l->tso_max);
	assert(!off || off->csum == STACK_CSUM_NONE || l->csum_offload);
	rc = l->send_ex ? l->send_ex(l->ctx, frame, len, off) : l->send(l->ctx, frame, len);
	if (rc < 0) {
		STAT_INC(s, tx_dropped);
		return rc;
	}
	STAT_INC(s, tx_frames);
	STAT_ADD(s, tx_bytes, len);
	if (off && off->gso_type == STACK_GSO_TCPV4)
		STAT_INC(s, tx_gso_frames);
	return 0;
}

/**
 * stack_offload_sane() - protocol-independent checks of received metadata
 * @off:	the metadata
 * @len:	the frame's length
 *
 * Return: true if the type is known and every offset lies inside the frame
 */
static bool stack_offload_sane(const struct stack_offload *off, size_t len)
{
	if (off->gso_type > STACK_GSO_TCPV4 || off->csum > STACK_CSUM_VALID)
		return false;
	if (off->gso_type != STACK_GSO_NONE && off->gso_size == 0)
		return false;
	if (off->hdr_len > len)
		return false;
	return off->csum != STACK_CSUM_PARTIAL ||
	       (size_t)off->csum_start + off->csum_offset + 2 <= len;
}

/**
 * stack_input_ex() - process one received Ethernet frame with offload metadata
 * @s:		the stack
 * @frame:	the frame, may be modified
 * @len:	its length
 * @off:	what the link says about it (GSO, checksum state), or NULL
 * @now:	current time
 */
void stack_input_ex(struct stack *s, uint8_t *frame, size_t len,
		    const struct stack_offload *off, stack_time_us now)
{
	s->now = now;
	STAT_INC(s, rx_frames);
	STAT_ADD(s, rx_bytes, len);
	if (off && !stack_offload_sane(off, len)) {
		STAT_DROP(s, drop_offload_bad);
		return;
	}
	eth_input(s, frame, len, off);
}

/**
 * stack_input() - process one received Ethernet frame
 * @s:		the stack
 * @frame:	the frame, may be modified
 * @len:	its length
 * @now:	current time
 */
void stack_input(struct stack *s, uint8_t *frame, size_t len, stack_time_us now)
{
	stack_input_ex(s, frame, len, NULL, now);
}

/**
 * stack_timers() - run every timer due
 * @s:		the stack
 * @now:	current time
 */
void stack_timers(struct stack *s, stack_time_us now)
{
	s->now = now;
	arp_timers(s, now);
	tcp_timers(s, now);
}

/**
 * stack_next_timer() - when stack_timers() should run next
 * @s:	the stack
 *
 * Return: the earliest deadline of any layer, or STACK_TIME_NEVER
 */
stack_time_us stack_next_timer(const struct stack *s)
{
	stack_time_us a = arp_next_timer(s), t = tcp_next_timer(s);

	return a < t ? a : t;
}

/**
 * stack_stats() - the counters
 * @s:	the stack
 *
 * Return: a pointer to the live counters
 */
const struct stack_stats *stack_stats(const struct stack *s)
{
	return &s->stats;
}
