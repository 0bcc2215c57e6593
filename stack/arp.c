/* SPDX-License-Identifier: MIT */
/*
 * arp.c - ARP (RFC 826) and the neighbour table
 *
 * Theory of operation
 * -------------------
 * Answering: a request whose target protocol address is cfg.addr or a VIP gets
 * a unicast reply with our MAC. Never for any other address, not even in
 * promiscuous mode: transparent interception relies on the router sending to
 * our MAC, and answering for everything would hijack the segment.
 *
 * Learning follows RFC 826's merge rule: any valid ARP packet updates the MAC
 * of an existing entry for its sender; a packet targeting one of our addresses
 * also creates the entry. ip4.c additionally gleans the source MAC of packets
 * from off-link sources (arp_glean()), so replies to clients behind a router
 * go back through that router: for an off-link destination the "next hop" is
 * the destination itself, resolved only by gleaning, never by ARP.
 * With cfg.glean_on_link (several workers, each with its own stack on one
 * queue of the link) on-link sources are gleaned as well and their entries
 * never re-resolved: the answer to a worker's ARP request would land on
 * whichever queue the kernel hashes ARP to, not necessarily the asker's,
 * while every client frame reaches the worker that owns its connection.
 *
 * The table is a fixed array of ARP_ENTRIES entries with hash chains, allocated
 * at create. An entry is FREE, INCOMPLETE (a request is outstanding and up to
 * ARP_HOLD_MAX outgoing frames wait for the answer) or REACHABLE (MAC known;
 * for on-link neighbours trusted for ARP_REACHABLE_US, after which the next
 * output resolves it again; gleaned off-link entries are refreshed by every
 * packet that arrives and are used even when older). When the table is full,
 * the REACHABLE entry that expires first is reused (INCOMPLETE ones only when
 * nothing else is left; their held frames are dropped).
 *
 * Held frames are copies in a pool of ARP_POOL_SLOTS slots of MTU + 14 bytes,
 * allocated at create; a full per-entry queue or an empty pool drops the new
 * frame (tx_dropped). Held frames are plain: a partial checksum (link
 * offload) is finished before the copy, and GSO frames are never held
 * (arp_ready() lets TCP build them only for a resolved next hop). Timer: an INCOMPLETE entry re-sends its request every
 * ARP_RETRY_US; after ARP_MAX_TRIES unanswered requests it is freed and its
 * held frames are dropped (tx_dropped). When the reply arrives, the held
 * frames are sent in order. Nothing is allocated after create.
 */
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stack/checksum.h"
#include "stack/stack_internal.h"
#include "stack/wire.h"

#define ARP_ENTRIES		256
#define ARP_BUCKETS		256
#define ARP_HOLD_MAX		4
#define ARP_POOL_SLOTS		64
#define ARP_MAX_TRIES		3
#define ARP_RETRY_US		1000000ULL
#define ARP_REACHABLE_US	60000000ULL
#define ARP_PKT_LEN		(ETH_HDR_LEN + (int)sizeof(struct arp_pkt))

enum arp_state {
	ARP_FREE = 0,
	ARP_INCOMPLETE,
	ARP_REACHABLE,
	ARP__COUNT
};

static const char *const arp_state_names[ARP__COUNT] = {
	[ARP_FREE] = "FREE", [ARP_INCOMPLETE] = "INCOMPLETE", [ARP_REACHABLE] = "REACHABLE",
};
static_assert(sizeof(arp_state_names) / sizeof(arp_state_names[0]) == ARP__COUNT,
	      "arp_state_names must name every state");

/**
 * struct arp_entry - one neighbour
 * @addr:	IPv4 address, host order
 * @expires:	REACHABLE: end of trust in @mac; INCOMPLETE: next request due
 * @next:	next entry in the hash chain or free list, -1 at the end
 * @state:	enum arp_state
 * @tries:	requests sent while INCOMPLETE
 * @mac:	hardware address (REACHABLE)
 * @q_len:	frames held
 * @q:		pool slots of the held frames, oldest first
 */
struct arp_entry {
	uint32_t addr;
	stack_time_us expires;
	int16_t next;
	uint8_t state;
	uint8_t tries;
	uint8_t mac[ETH_ALEN_];
	uint8_t q_len;
	uint16_t q[ARP_HOLD_MAX];
};

/**
 * struct arp_table - the neighbour table and the hold pool
 * @e:			entries
 * @bucket:		hash chain heads, -1 when empty
 * @free_head:		first free entry, -1 when none
 * @n_incomplete:	entries in INCOMPLETE (0: no timer armed)
 * @pool:		ARP_POOL_SLOTS frame slots of @slot_size bytes
 * @slot_size:		MTU + Ethernet header
 * @slot_len:		length of the frame in each slot
 * @slot_free:		stack of free slot indices, @n_slot_free used
 * @n_slot_free:	free slots
 */
struct arp_table {
	struct arp_entry e[ARP_ENTRIES];
	int16_t bucket[ARP_BUCKETS];
	int16_t free_head;
	unsigned n_incomplete;
	uint8_t *pool;
	size_t slot_size;
	size_t slot_len[ARP_POOL_SLOTS];
	uint16_t slot_free[ARP_POOL_SLOTS];
	unsigned n_slot_free;
};

static const uint8_t arp_bcast[ETH_ALEN_] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/**
 * arp_create() - allocate an empty table and its hold pool
 * @mtu:	link MTU: the largest IPv4 packet a held frame carries
 *
 * Return: the table, or NULL on allocation failure
 */
struct arp_table *arp_create(uint16_t mtu)
{
	struct arp_table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->slot_size = (size_t)mtu + ETH_HDR_LEN;
	t->pool = malloc(t->slot_size * ARP_POOL_SLOTS);
	if (!t->pool) {
		free(t);
		return NULL;
	}
	for (int i = 0; i < ARP_BUCKETS; i++)
		t->bucket[i] = -1;
	for (int i = 0; i < ARP_ENTRIES; i++)
		t->e[i].next = (int16_t)(i + 1 < ARP_ENTRIES ? i + 1 : -1);
	t->free_head = 0;
	for (int i = 0; i < ARP_POOL_SLOTS; i++)
		t->slot_free[i] = (uint16_t)i;
	t->n_slot_free = ARP_POOL_SLOTS;
	return t;
}

/**
 * arp_destroy() - free the table (held frames are discarded)
 * @t:	the table, or NULL
 */
void arp_destroy(struct arp_table *t)
{
	if (!t)
		return;
	free(t->pool);
	free(t);
}

/**
 * arp_hash() - hash chain of an address
 * @addr:	IPv4 address
 *
 * Return: bucket index
 */
static unsigned arp_hash(uint32_t addr)
{
	return (addr * 2654435761u) >> 24;	/* Knuth multiplicative, top 8 bits */
}

/**
 * arp_find() - look an address up
 * @t:		the table
 * @addr:	IPv4 address, host order
 *
 * Return: the entry, or NULL
 */
static struct arp_entry *arp_find(struct arp_table *t, uint32_t addr)
{
	for (int i = t->bucket[arp_hash(addr)]; i >= 0; i = t->e[i].next)
		if (t->e[i].addr == addr)
			return &t->e[i];
	return NULL;
}

/**
 * arp_unlink() - take an entry out of its hash chain
 * @t:	the table
 * @e:	an entry in use
 */
static void arp_unlink(struct arp_table *t, struct arp_entry *e)
{
	int16_t idx = (int16_t)(e - t->e);
	int16_t *pp = &t->bucket[arp_hash(e->addr)];

	while (*pp != idx) {
		assert(*pp >= 0);
		pp = &t->e[*pp].next;
	}
	*pp = e->next;
}

/**
 * arp_drop_held() - discard an entry's held frames
 * @s:	the stack (counts tx_dropped)
 * @e:	the entry
 */
static void arp_drop_held(struct stack *s, struct arp_entry *e)
{
	struct arp_table *t = s->arp;

	for (unsigned i = 0; i < e->q_len; i++) {
		t->slot_free[t->n_slot_free++] = e->q[i];
		STAT_INC(s, tx_dropped);
	}
	e->q_len = 0;
}

/**
 * arp_free_entry() - return an entry to the free list
 * @s:	the stack
 * @e:	an entry in use; its held frames are dropped
 */
static void arp_free_entry(struct stack *s, struct arp_entry *e)
{
	struct arp_table *t = s->arp;

	arp_drop_held(s, e);
	if (e->state == ARP_INCOMPLETE)
		t->n_incomplete--;
	arp_unlink(t, e);
	e->state = ARP_FREE;
	e->next = t->free_head;
	t->free_head = (int16_t)(e - t->e);
}

/**
 * arp_victim() - the entry to reuse when the table is full
 * @t:	the table
 *
 * Return: the REACHABLE entry expiring first, else the INCOMPLETE one due first
 */
static struct arp_entry *arp_victim(struct arp_table *t)
{
	struct arp_entry *best = NULL;

	for (int i = 0; i < ARP_ENTRIES; i++) {
		struct arp_entry *e = &t->e[i];

		if (!best || (e->state == ARP_REACHABLE && best->state != ARP_REACHABLE) ||
		    (e->state == best->state && e->expires < best->expires))
			best = e;
	}
	return best;
}

/**
 * arp_alloc() - a new entry for @addr, reusing an old one if the table is full
 * @s:		the stack
 * @addr:	IPv4 address, host order, not in the table
 *
 * Return: the entry, state FREE, linked in its hash chain
 */
static struct arp_entry *arp_alloc(struct stack *s, uint32_t addr)
{
	struct arp_table *t = s->arp;
	struct arp_entry *e;
	unsigned h = arp_hash(addr);

	if (t->free_head < 0)
		arp_free_entry(s, arp_victim(t));
	e = &t->e[t->free_head];
	t->free_head = e->next;
	memset(e, 0, sizeof(*e));
	e->addr = addr;
	e->next = t->bucket[h];
	t->bucket[h] = (int16_t)(e - t->e);
	return e;
}

/**
 * arp_resolved() - record a MAC and send the frames waiting for it
 * @s:		the stack
 * @e:		the entry
 * @mac:	its hardware address
 */
static void arp_resolved(struct stack *s, struct arp_entry *e, const uint8_t *mac)
{
	struct arp_table *t = s->arp;

	memcpy(e->mac, mac, ETH_ALEN_);
	e->expires = s->now + ARP_REACHABLE_US;
	if (e->state == ARP_INCOMPLETE)
		t->n_incomplete--;
	e->state = ARP_REACHABLE;
	for (unsigned i = 0; i < e->q_len; i++) {
		uint16_t slot = e->q[i];

		eth_output(s, t->pool + slot * t->slot_size, t->slot_len[slot], mac,
			   ETHERTYPE_IPV4, NULL);
		t->slot_free[t->n_slot_free++] = slot;
	}
	e->q_len = 0;
}

/**
 * arp_send() - build and send one ARP packet
 * @s:		the stack
 * @op:		ARP_OP_REQUEST or ARP_OP_REPLY
 * @eth_dst:	Ethernet destination
 * @tha:	target hardware address (zero for a request)
 * @tpa:	target protocol address, host order
 * @spa:	sender protocol address (ours), host order
 */
static void arp_send(struct stack *s, uint16_t op, const uint8_t *eth_dst,
		     const uint8_t *tha, uint32_t tpa, uint32_t spa)
{
	uint8_t frame[ARP_PKT_LEN];
	struct arp_pkt *ap = (struct arp_pkt *)(frame + ETH_HDR_LEN);

	ap->htype = htons(ARP_HTYPE_ETHER);
	ap->ptype = htons(ETHERTYPE_IPV4);
	ap->hlen = ETH_ALEN_;
	ap->plen = 4;
	ap->op = htons(op);
	memcpy(ap->sha, s->cfg.mac, ETH_ALEN_);
	ap->spa = htonl(spa);
	memcpy(ap->tha, tha, ETH_ALEN_);
	ap->tpa = htonl(tpa);
	eth_output(s, frame, sizeof(frame), eth_dst, ETHERTYPE_ARP, NULL);
}

/**
 * arp_request() - ask who has @addr (broadcast)
 * @s:		the stack
 * @addr:	the address to resolve, host order
 */
static void arp_request(struct stack *s, uint32_t addr)
{
	static const uint8_t zero[ETH_ALEN_];

	arp_send(s, ARP_OP_REQUEST, arp_bcast, zero, addr, s->cfg.addr);
	STAT_INC(s, arp_requests_sent);
}

/**
 * arp_is_ours() - do we answer ARP for @addr?
 * @s:		the stack
 * @addr:	host order
 *
 * Return: true for cfg.addr and the VIPs (promiscuous mode does not count)
 */
static bool arp_is_ours(const struct stack *s, uint32_t addr)
{
	if (addr == s->cfg.addr)
		return true;
	for (unsigned i = 0; i < s->n_vips; i++)
		if (s->vips[i] == addr)
			return true;
	return false;
}

/**
 * arp_valid() - check the fixed fields of a received ARP packet
 * @s:		the stack
 * @ap:		the packet
 *
 * Return: true for Ethernet/IPv4 requests and replies from a unicast sender
 */
static bool arp_valid(const struct stack *s, const struct arp_pkt *ap)
{
	uint16_t op = ntohs(ap->op);

	/* RFC 826 "Packet Reception": do I have the hardware type, do I speak
	 * the protocol? */
	if (ntohs(ap->htype) != ARP_HTYPE_ETHER || ntohs(ap->ptype) != ETHERTYPE_IPV4 ||
	    ap->hlen != ETH_ALEN_ || ap->plen != 4)
		return false;
	if (op != ARP_OP_REQUEST && op != ARP_OP_REPLY)
		return false;
	/* a group or our own MAC as sender is bogus (or our echo) */
	return !(ap->sha[0] & 1) && memcmp(ap->sha, s->cfg.mac, ETH_ALEN_) != 0;
}

/**
 * arp_merge() - RFC 826 merge step for the sender of a received packet
 * @s:		the stack
 * @ap:		the packet
 * @for_us:	the target protocol address is one of ours
 */
static void arp_merge(struct stack *s, const struct arp_pkt *ap, bool for_us)
{
	uint32_t spa = ntohl(ap->spa);
	struct arp_entry *e;

	/* RFC 5227 probes (sender 0.0.0.0) and claims of our own address
	 * teach nothing */
	if (spa == 0 || arp_is_ours(s, spa))
		return;
	e = arp_find(s->arp, spa);
	/* RFC 826: if <protocol type, sender protocol address> is already in
	 * the table, update the sender hardware address (merge_flag) */
	if (e) {
		arp_resolved(s, e, ap->sha);
		return;
	}
	/* RFC 826: am I the target? then add the triplet if not merged */
	if (for_us)
		arp_resolved(s, arp_alloc(s, spa), ap->sha);
}

/**
 * arp_input() - process one received ARP packet
 * @s:		the stack
 * @pkt:	the packet (after the Ethernet header)
 * @len:	its length (padding included)
 */
void arp_input(struct stack *s, const uint8_t *pkt, size_t len)
{
	struct arp_pkt ap;
	bool for_us;

	if (len < sizeof(ap)) {
		STAT_DROP(s, drop_arp_bad);
		return;
	}
	memcpy(&ap, pkt, sizeof(ap));
	if (!arp_valid(s, &ap)) {
		STAT_DROP(s, drop_arp_bad);
		return;
	}
	for_us = arp_is_ours(s, ntohl(ap.tpa));
	arp_merge(s, &ap, for_us);
	if (ntohs(ap.op) != ARP_OP_REQUEST)
		return;
	STAT_INC(s, arp_requests_rcvd);
	if (!for_us)
		return;
	/* RFC 826: swap sender and target, put our addresses in the sender
	 * fields, opcode reply, send to the requester's hardware address */
	arp_send(s, ARP_OP_REPLY, ap.sha, ap.sha, ntohl(ap.spa), ntohl(ap.tpa));
	STAT_INC(s, arp_replies_sent);
}

/**
 * arp_hold() - keep a copy of a frame until its next hop is resolved
 * @s:		the stack
 * @e:		the INCOMPLETE (or about to be) entry
 * @frame:	the frame
 * @len:	its length
 *
 * Return: 0, or -ENOBUFS (counted as tx_dropped) when no room
 */
static int arp_hold(struct stack *s, struct arp_entry *e, const uint8_t *frame,
		    size_t len)
{
	struct arp_table *t = s->arp;
	uint16_t slot;

	if (e->q_len == ARP_HOLD_MAX || !t->n_slot_free || len > t->slot_size) {
		STAT_INC(s, tx_dropped);
		return -ENOBUFS;
	}
	slot = t->slot_free[--t->n_slot_free];
	memcpy(t->pool + slot * t->slot_size, frame, len);
	t->slot_len[slot] = len;
	e->q[e->q_len++] = slot;
	return 0;
}

/**
 * arp_usable() - may frames go to this entry's MAC now?
 * @s:		the stack
 * @e:		the entry, or NULL
 * @on_link:	its address is on our prefix
 *
 * cfg.glean_on_link: every received frame refreshes the entry, and an ARP
 * reply might reach another worker's queue, so a learned entry never expires.
 *
 * Return: true if REACHABLE and, on-link, not expired
 */
static bool arp_usable(const struct stack *s, const struct arp_entry *e, bool on_link)
{
	return e && e->state == ARP_REACHABLE &&
	       (!on_link || s->cfg.glean_on_link || e->expires > s->now);
}

/**
 * arp_ready() - would arp_output() send to @nexthop at once?
 * @s:		the stack
 * @nexthop:	next hop, host order
 *
 * Return: true if its MAC is known and fresh
 */
bool arp_ready(const struct stack *s, uint32_t nexthop)
{
	return arp_usable(s, arp_find(s->arp, nexthop), stack_is_on_link(s, nexthop));
}

/**
 * arp_output() - send an IPv4 frame to a next hop, resolving it if needed
 * @s:		the stack
 * @nexthop:	next hop, host order (the destination itself)
 * @frame:	the frame, Ethernet header space included but not filled
 * @len:	its length
 * @off:	offload metadata, or NULL
 *
 * A frame that has to wait is held as a plain frame: a partial checksum is
 * finished in software first (the hold pool keeps no metadata), and a GSO
 * frame, which would not fit a slot, is dropped (callers check arp_ready()
 * before building one, so this does not happen in practice).
 *
 * Return: 0 when sent or held, -errno otherwise (counted as tx_dropped)
 */
int arp_output(struct stack *s, uint32_t nexthop, uint8_t *frame, size_t len,
	       const struct stack_offload *off)
{
	struct arp_table *t = s->arp;
	struct arp_entry *e = arp_find(t, nexthop);
	bool on_link = stack_is_on_link(s, nexthop);
	int rc;

	if (arp_usable(s, e, on_link))
		return eth_output(s, frame, len, e->mac, ETHERTYPE_IPV4, off);
	if (off && off->gso_type != STACK_GSO_NONE) {
		STAT_INC(s, tx_dropped);
		return -EMSGSIZE;
	}
	if (off && off->csum == STACK_CSUM_PARTIAL)
		csum_finish_partial(frame, len, off->csum_start, off->csum_offset);
	if (!on_link) {
		/* nothing gleaned for this off-link address: no route */
		STAT_INC(s, tx_dropped);
		return -EHOSTUNREACH;
	}
	if (!e)
		e = arp_alloc(s, nexthop);
	rc = arp_hold(s, e, frame, len);
	if (e->state != ARP_INCOMPLETE) {
		/* new or expired: resolve (RFC 1122 §2.3.2.2: keep at least
		 * the latest packet while waiting) */
		e->state = ARP_INCOMPLETE;
		t->n_incomplete++;
		e->tries = 1;
		e->expires = s->now + ARP_RETRY_US;
		arp_request(s, nexthop);
	}
	return rc;
}

/**
 * arp_glean() - learn the MAC of an off-link source from a received frame
 * @s:		the stack
 * @addr:	source address, host order
 * @mac:	Ethernet source of the frame
 */
void arp_glean(struct stack *s, uint32_t addr, const uint8_t mac[6])
{
	struct arp_entry *e = arp_find(s->arp, addr);

	if (mac[0] & 1)
		return;		/* never learn a group address */
	if (e && e->state == ARP_REACHABLE && !memcmp(e->mac, mac, ETH_ALEN_)) {
		e->expires = s->now + ARP_REACHABLE_US;
		return;
	}
	arp_resolved(s, e ? e : arp_alloc(s, addr), mac);
}

/**
 * arp_timers() - re-send due requests, give up after ARP_MAX_TRIES
 * @s:		the stack
 * @now:	current time
 */
void arp_timers(struct stack *s, stack_time_us now)
{
	struct arp_table *t = s->arp;

	for (int i = 0; i < ARP_ENTRIES && t->n_incomplete; i++) {
		struct arp_entry *e = &t->e[i];

		if (e->state != ARP_INCOMPLETE || e->expires > now)
			continue;
		if (e->tries >= ARP_MAX_TRIES) {
			arp_free_entry(s, e);	/* held frames counted as tx_dropped */
			continue;
		}
		e->tries++;
		e->expires = now + ARP_RETRY_US;
		arp_request(s, e->addr);
	}
}

/**
 * arp_next_timer() - when an INCOMPLETE entry next needs attention
 * @s:	the stack
 *
 * Return: the earliest retry deadline, or STACK_TIME_NEVER
 */
stack_time_us arp_next_timer(const struct stack *s)
{
	const struct arp_table *t = s->arp;
	stack_time_us next = STACK_TIME_NEVER;

	if (!t->n_incomplete)
		return next;
	for (int i = 0; i < ARP_ENTRIES; i++)
		if (t->e[i].state == ARP_INCOMPLETE && t->e[i].expires < next)
			next = t->e[i].expires;
	return next;
}
