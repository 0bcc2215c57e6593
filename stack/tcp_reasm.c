/* SPDX-License-Identifier: MIT */
/*
 * tcp_reasm.c - the out-of-order queue (RFC 9293 §3.10.7.4 seventh check)
 * and the SACK blocks that describe it (RFC 2018 §4)
 *
 * Theory of operation
 * -------------------
 * In-order bytes never stop here: tcp_in.c hands them from the frame straight
 * to ops.deliver(). Only data that arrives beyond RCV.NXT (a hole before it)
 * is copied, into chunks of the stack-wide pool that tcp_reasm_pool_init()
 * reserves once at stack_create(): tcp_table.ooo_total chunks of ooo_chunk
 * bytes (our MSS, MTU - 40). Nothing is allocated per packet. The pool is a
 * lazy_mem.c mapping and is not walked at start: a chunk comes from the free
 * list of chunks used before, else it is the next never-used one (bump index
 * ooo_fresh), so an idle stack holds none of it resident.
 *
 * A connection's chunks form one singly linked list sorted by sequence
 * number; chunks never overlap. A segment larger than a chunk (GSO from an
 * offloading client) is split over several. Limits: at most
 * tcp_table.ooo_per_conn chunks per connection and the pool for the stack;
 * a segment that does not fit whole is dropped (drop_tcp_ooo_full) and the
 * client retransmits it: the connection goes on.
 *
 * Overlaps (RFC 9293 §3.10.7.4 allows either copy): the first copy queued is
 * kept; a later segment only fills the gaps between queued chunks. Bytes
 * that arrive in order go to the application at once, and any queued copy of
 * them is discarded when the queue is drained. So every byte delivered was
 * sent by the client at that position, once.
 *
 * Draining (tcp_reasm_deliver()): after RCV.NXT moves, queued chunks at
 * RCV.NXT go to ops.deliver() in order; if the application takes less than a
 * chunk holds, the rest stays queued (still SACKed, not acknowledged) and is
 * offered again at the next drain (next segment, or tcp_window_update()).
 *
 * SACK blocks (RFC 2018 §4): maximal runs of contiguous chunks, data bytes
 * only ([left, right), a FIN beyond a hole is not part of a block). Each
 * chunk carries the arrival stamp of the last segment that covered it; a run
 * is ordered by its newest stamp, newest first. The first block therefore
 * holds the segment that triggered the ACK, and the others follow in the
 * order they were last reported first (RFC 2018 §4 "most recently reported").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stack/lazy_mem.h"
#include "stack/tcp_internal.h"

/**
 * tcp_reasm_pool_init() - allocate the stack-wide chunk pool
 * @t:		the table (max_conns set)
 * @cfg:	the configuration (mtu, ooo_per_conn, ooo_pool)
 * @err:	error text buffer
 * @errlen:	its size
 *
 * Return: 0, or -1 with @err filled
 */
int tcp_reasm_pool_init(struct tcp_table *t, const struct stack_config *cfg,
			char *err, size_t errlen)
{
	uint64_t total = cfg->ooo_pool;

	t->ooo_per_conn = cfg->ooo_per_conn ? cfg->ooo_per_conn : TCP_OOO_PER_CONN;
	if (!total) {
		total = (uint64_t)t->max_conns * t->ooo_per_conn;
		if (total > TCP_OOO_POOL_MAX)
			total = TCP_OOO_POOL_MAX;
	}
	t->ooo_total = (uint32_t)total;
	t->ooo_chunk = (uint16_t)(cfg->mtu - 40u);
	t->ooo_pool = lazy_mem_alloc((size_t)t->ooo_total * sizeof(*t->ooo_pool));
	t->ooo_data = lazy_mem_alloc((size_t)t->ooo_total * t->ooo_chunk);
	if (!t->ooo_pool || !t->ooo_data) {
		snprintf(err, errlen, "tcp: out of memory for %u out-of-order chunks",
			 t->ooo_total);
		return -1;
	}
	return 0;
}

/**
 * tcp_reasm_pool_free() - release the pool (at stack_destroy())
 * @t:	the table
 */
void tcp_reasm_pool_free(struct tcp_table *t)
{
	lazy_mem_free(t->ooo_pool, (size_t)t->ooo_total * sizeof(*t->ooo_pool));
	lazy_mem_free(t->ooo_data, (size_t)t->ooo_total * t->ooo_chunk);
	t->ooo_pool = NULL;
	t->ooo_data = NULL;
}

/**
 * tcp_reasm_put() - return one chunk to the pool
 * @c:		the connection that held it
 * @k:		the chunk, already unlinked
 */
static void tcp_reasm_put(struct tcp_conn *c, struct tcp_ooo_chunk *k)
{
	struct tcp_table *t = c->s->tcp;

	k->data = t->ooo_data + (size_t)(k - t->ooo_pool) * t->ooo_chunk;
	k->next = t->ooo_free;
	t->ooo_free = k;
	t->ooo_used--;
	c->ooo_n--;
}

/**
 * tcp_reasm_get() - take one chunk from the pool: a freed one, else the next
 * never-used one
 * @c:	the connection
 *
 * Return: the chunk (the caller checked the limits, so ooo_used < ooo_total
 *	   and one of the two exists)
 */
static struct tcp_ooo_chunk *tcp_reasm_get(struct tcp_conn *c)
{
	struct tcp_table *t = c->s->tcp;
	struct tcp_ooo_chunk *k = t->ooo_free;

	if (k) {
		t->ooo_free = k->next;
	} else {
		assert(t->ooo_fresh < t->ooo_total);
		k = &t->ooo_pool[t->ooo_fresh];
		k->data = t->ooo_data + (size_t)t->ooo_fresh++ * t->ooo_chunk;
	}
	t->ooo_used++;
	c->ooo_n++;
	return k;
}

/**
 * tcp_reasm_clear() - drop everything queued (close, TIME-WAIT, FIN taken)
 * @c:	the connection
 */
void tcp_reasm_clear(struct tcp_conn *c)
{
	while (c->ooo) {
		struct tcp_ooo_chunk *k = c->ooo;

		c->ooo = k->next;
		tcp_reasm_put(c, k);
	}
	c->ooo_fin = false;
}

/**
 * tcp_reasm_walk() - count, or fill, the gaps a segment covers
 * @c:		the connection
 * @seq:	first byte of the segment
 * @data:	its payload
 * @len:	its length
 * @stamp:	0 to only count; else the arrival stamp to store and apply
 *
 * The queued copy wins (see the theory above): only bytes between queued
 * chunks are copied. Chunks the segment overlaps get @stamp too.
 *
 * Return: chunks needed (counting) or used (filling)
 */
static uint32_t tcp_reasm_walk(struct tcp_conn *c, uint32_t seq, const uint8_t *data,
			       uint32_t len, uint32_t stamp)
{
	struct tcp_ooo_chunk **pp = &c->ooo;
	uint32_t cur = seq, end = seq + len, chunk = c->s->tcp->ooo_chunk, n = 0;

	while (seq_lt(cur, end)) {
		struct tcp_ooo_chunk *k;
		uint32_t gap_end;

		while (*pp && seq_leq((*pp)->seq + (*pp)->len, cur))
			pp = &(*pp)->next;
		if (*pp && seq_leq((*pp)->seq, cur)) {	/* queued first: kept */
			if (stamp)
				(*pp)->stamp = stamp;
			cur = seq_lt((*pp)->seq + (*pp)->len, end) ? (*pp)->seq + (*pp)->len : end;
			continue;
		}
		gap_end = *pp && seq_lt((*pp)->seq, end) ? (*pp)->seq : end;
		for (; seq_lt(cur, gap_end); n++) {
			uint32_t l = gap_end - cur < chunk ? gap_end - cur : chunk;

			if (stamp) {
				k = tcp_reasm_get(c);
				k->seq = cur;
				k->len = (uint16_t)l;
				k->stamp = stamp;
				memcpy(k->data, data + (cur - seq), l);
				k->next = *pp;
				*pp = k;
				pp = &k->next;
			}
			cur += l;
		}
	}
	return n;
}

/**
 * tcp_reasm_insert() - queue an out-of-order segment
 * @c:		the connection
 * @seg:	the segment, trimmed to the window, SEG.SEQ > RCV.NXT
 *
 * Return: true if queued (or nothing new in it), false if dropped for the caps
 */
bool tcp_reasm_insert(struct tcp_conn *c, const struct tcp_seg *seg)
{
	struct tcp_table *t = c->s->tcp;
	uint32_t need = tcp_reasm_walk(c, seg->seq, seg->data, seg->dlen, 0);

	if (c->ooo_n + need > t->ooo_per_conn || t->ooo_used + need > t->ooo_total) {
		STAT_DROP(c->s, drop_tcp_ooo_full);	/* the client retransmits it */
		return false;
	}
	if (++c->ooo_stamp == 0)
		c->ooo_stamp = 1;			/* 0 means "count only" */
	tcp_reasm_walk(c, seg->seq, seg->data, seg->dlen, c->ooo_stamp);
	/* a FIN beyond a hole waits for it; the first FIN seen counts */
	if ((seg->flags & TCP_FIN) && !c->ooo_fin) {
		c->ooo_fin = true;
		c->ooo_fin_seq = seg->seq + seg->dlen;
	}
	return true;
}

/**
 * tcp_reasm_deliver() - hand queued data at RCV.NXT to the application
 * @c:	the connection
 *
 * Return: bytes delivered
 */
uint32_t tcp_reasm_deliver(struct tcp_conn *c)
{
	struct stack *s = c->s;
	uint32_t total = 0;

	while (c->ooo && seq_leq(c->ooo->seq, c->rcv_nxt)) {
		struct tcp_ooo_chunk *k = c->ooo;
		uint32_t skip = c->rcv_nxt - k->seq;
		size_t n;

		if (skip >= k->len) {			/* arrived in order meanwhile */
			c->ooo = k->next;
			tcp_reasm_put(c, k);
			continue;
		}
		n = s->cfg.ops->deliver(s->cfg.app, c, c->ctx, k->data + skip, k->len - skip);
		if (n > k->len - skip)
			n = k->len - skip;
		c->rcv_nxt += (uint32_t)n;
		c->bytes_in += n;
		total += (uint32_t)n;
		if (n < k->len - skip) {		/* the rest stays queued */
			k->data += skip + n;
			k->seq += skip + (uint32_t)n;
			k->len = (uint16_t)(k->len - skip - n);
			break;
		}
		c->ooo = k->next;
		tcp_reasm_put(c, k);
	}
	return total;
}

/**
 * tcp_reasm_fin_due() - has RCV.NXT reached a FIN that waited for a hole?
 * @c:	the connection
 *
 * Return: true if the FIN is now in order
 */
bool tcp_reasm_fin_due(const struct tcp_conn *c)
{
	return c->ooo_fin && c->rcv_nxt == c->ooo_fin_seq;
}

/**
 * tcp_reasm_run_end() - the last chunk of the contiguous run starting at @k
 * @k:		first chunk of a run
 * @stamp:	the newest stamp in the run, written
 *
 * Return: the last chunk
 */
static const struct tcp_ooo_chunk *tcp_reasm_run_end(const struct tcp_ooo_chunk *k,
						     uint32_t *stamp)
{
	*stamp = k->stamp;
	while (k->next && k->next->seq == k->seq + k->len) {
		k = k->next;
		if (seq_gt(k->stamp, *stamp))
			*stamp = k->stamp;
	}
	return k;
}

/**
 * tcp_reasm_sack() - the SACK blocks to send, newest first (RFC 2018 §4)
 * @c:		the connection
 * @b:		filled with up to @max blocks [left, right)
 * @max:	room (3 with timestamps, 4 without)
 *
 * Return: the number of blocks
 */
unsigned tcp_reasm_sack(const struct tcp_conn *c, struct tcp_sack_block *b, unsigned max)
{
	uint32_t prev = 0;
	unsigned n;

	for (n = 0; n < max; n++) {
		const struct tcp_ooo_chunk *best = NULL, *best_end = NULL;
		uint32_t best_stamp = 0, st;

		for (const struct tcp_ooo_chunk *k = c->ooo; k; ) {
			const struct tcp_ooo_chunk *e = tcp_reasm_run_end(k, &st);

			/* runs have distinct newest stamps: pick the next older one */
			if ((n == 0 || seq_lt(st, prev)) && (!best || seq_gt(st, best_stamp))) {
				best = k;
				best_end = e;
				best_stamp = st;
			}
			k = e->next;
		}
		if (!best)
			break;
		b[n].left = best->seq;
		b[n].right = best_end->seq + best_end->len;
		prev = best_stamp;
	}
	return n;
}
