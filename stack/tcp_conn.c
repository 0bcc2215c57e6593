/* SPDX-License-Identifier: MIT */
/*
 * tcp_conn.c - the connection table and the per-connection API of stack.h
 *
 * Theory of operation
 * -------------------
 * The table owns a pool of cfg.max_conns struct tcp_conn reserved once in
 * tcp_table_create(); nothing is allocated per packet or per connection.
 * The pool, the hash buckets and the timer heap are lazy_mem.c mappings, so
 * an entry costs resident memory only once it has been used: tcp_conn_alloc()
 * takes a freed entry from the free list first and otherwise the next
 * never-used one (the bump index pool_used), and the free list holds only
 * entries that were used before. An idle table sized for 100 000 connections
 * is therefore a few pages, and it grows with the peak of connections held.
 * Live connections are found by their 4-tuple in a chained hash
 * (power-of-two buckets, at least max_conns).
 *
 * Lifetime: tcp_conn_alloc() (a SYN for no connection) → ... →
 * tcp_conn_close() (RFC 9293 CLOSED), which sends TCP_EV_CLOSED if the
 * application has not had it yet, unhashes the connection, stops its timers
 * and puts it on the reap list. Entries are never freed inside an entry
 * point: every entry point (tcp_input(), tcp_timers(), the tcp_*() calls
 * below) is bracketed by tcp_table_enter()/tcp_table_leave(), and the reap
 * list goes back to the free list at the outermost leave. So a pointer the
 * code holds stays readable until the entry point returns (TCP_CF_DEAD says
 * it is closed).
 *
 * TIME-WAIT: the application gets TCP_EV_CLOSED on entering it; the entry
 * stays in the table (without ctx) until its 2 s timer fires. At most
 * max(1, max_conns / 4) connections are held in TIME-WAIT; beyond that a
 * connection goes straight to CLOSED (counted in stats.time_wait only while
 * held). connections_active counts every other entry in the table.
 *
 * RFC 5961 §7 challenge ACK rate limit: at most 10 per second per stack.
 *
 * tcp_conn_set_state() and tcp_conn_close() keep tcp_table.half_open, the
 * count of SYN-RECEIVED connections that switches SYN cookies on
 * (syncookie.c). tcp_accept()/tcp_reject() of a connection created from a
 * cookie (TCP_CF_COOKIE) establish it / reset it as the ESTABLISHED
 * connection the client already has (stack.h "SYN cookies").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "stack/lazy_mem.h"
#include "stack/tcp_internal.h"

const char *const tcp_state_names[TCP_S__COUNT] = {
	[TCP_S_CLOSED]		= "CLOSED",
	[TCP_S_LISTEN]		= "LISTEN",
	[TCP_S_SYN_RECEIVED]	= "SYN-RECEIVED",
	[TCP_S_ESTABLISHED]	= "ESTABLISHED",
	[TCP_S_FIN_WAIT_1]	= "FIN-WAIT-1",
	[TCP_S_FIN_WAIT_2]	= "FIN-WAIT-2",
	[TCP_S_CLOSE_WAIT]	= "CLOSE-WAIT",
	[TCP_S_CLOSING]		= "CLOSING",
	[TCP_S_LAST_ACK]	= "LAST-ACK",
	[TCP_S_TIME_WAIT]	= "TIME-WAIT",
};
static_assert(sizeof(tcp_state_names) / sizeof(tcp_state_names[0]) == TCP_S__COUNT,
	      "tcp_state_names must name every enum tcp_state value");

/**
 * tcp_table_create() - allocate the connection table
 * @s:		the stack (cfg.max_conns, cfg.isn_key)
 * @err:	error text buffer
 * @errlen:	its size
 *
 * Return: the table, or NULL with @err filled
 */
struct tcp_table *tcp_table_create(struct stack *s, char *err, size_t errlen)
{
	static const uint8_t zero[16];
	struct tcp_table *t = calloc(1, sizeof(*t));
	uint32_t n = s->cfg.max_conns;

	if (!t)
		goto nomem;
	t->max_conns = n;
	for (t->nbuckets = 1; t->nbuckets < n && t->nbuckets < (1u << 30); )
		t->nbuckets <<= 1;
	/* reserved, not touched: entries become resident as tcp_conn_alloc()
	 * first hands them out */
	t->pool = lazy_mem_alloc((size_t)n * sizeof(*t->pool));
	t->buckets = lazy_mem_alloc((size_t)t->nbuckets * sizeof(*t->buckets));
	t->heap = lazy_mem_alloc((size_t)n * sizeof(*t->heap));
	if (!t->pool || !t->buckets || !t->heap)
		goto nomem;
	t->tw_max = n / 4 ? n / 4 : 1;
	memcpy(t->isn_key, s->cfg.isn_key, 16);
	/* RFC 6528 §3: a secret the attacker cannot guess */
	if (!memcmp(t->isn_key, zero, 16) &&
	    getrandom(t->isn_key, 16, 0) != 16) {
		snprintf(err, errlen, "tcp: getrandom: %s", strerror(errno));
		tcp_table_destroy(t);
		return NULL;
	}
	if (tcp_reasm_pool_init(t, &s->cfg, err, errlen)) {	/* tcp_reasm.c */
		tcp_table_destroy(t);
		return NULL;
	}
	s->tcp = t;			/* syncookie_init() works on the stack */
	if (syncookie_init(s, err, errlen)) {
		s->tcp = NULL;
		tcp_table_destroy(t);
		return NULL;
	}
	return t;
nomem:
	snprintf(err, errlen, "tcp: out of memory for %u connections", n);
	tcp_table_destroy(t);
	return NULL;
}

/**
 * tcp_table_destroy() - free the table (no callbacks are made)
 * @t:	the table, or NULL
 */
void tcp_table_destroy(struct tcp_table *t)
{
	if (!t)
		return;
	tcp_reasm_pool_free(t);
	lazy_mem_free(t->pool, (size_t)t->max_conns * sizeof(*t->pool));
	lazy_mem_free(t->buckets, (size_t)t->nbuckets * sizeof(*t->buckets));
	lazy_mem_free(t->heap, (size_t)t->max_conns * sizeof(*t->heap));
	free(t);
}

/**
 * tcp_tuple_hash() - bucket of a 4-tuple
 * @t:		the table
 * @tu:		the tuple
 *
 * Return: bucket index
 */
static uint32_t tcp_tuple_hash(const struct tcp_table *t, const struct tcp_tuple *tu)
{
	uint64_t h = (uint64_t)tu->client_addr * 0x9e3779b97f4a7c15ull;

	h ^= ((uint64_t)tu->vip_addr << 32 | (uint32_t)tu->client_port << 16 | tu->vip_port);
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 31;
	return (uint32_t)h & (t->nbuckets - 1);
}

/**
 * tcp_tuple_eq() - compare two tuples
 * @a:	tuple
 * @b:	tuple
 *
 * Return: true if equal
 */
static bool tcp_tuple_eq(const struct tcp_tuple *a, const struct tcp_tuple *b)
{
	return a->client_addr == b->client_addr && a->vip_addr == b->vip_addr &&
	       a->client_port == b->client_port && a->vip_port == b->vip_port;
}

/**
 * tcp_conn_lookup() - find a live connection by 4-tuple
 * @s:	the stack
 * @tu:	the tuple
 *
 * Return: the connection or NULL
 */
struct tcp_conn *tcp_conn_lookup(struct stack *s, const struct tcp_tuple *tu)
{
	struct tcp_table *t = s->tcp;

	for (struct tcp_conn *c = t->buckets[tcp_tuple_hash(t, tu)]; c; c = c->hnext)
		if (tcp_tuple_eq(&c->tuple, tu))
			return c;
	return NULL;
}

/**
 * tcp_conn_take() - a pool entry: a freed one, else the next never-used one
 * @t:	the table
 *
 * Reusing freed entries first keeps the resident part of the pool at the
 * peak number of entries held at once.
 *
 * Return: the entry, or NULL if all max_conns are in use
 */
static struct tcp_conn *tcp_conn_take(struct tcp_table *t)
{
	struct tcp_conn *c = t->free;

	if (c) {
		t->free = c->lnext;
		return c;
	}
	if (t->pool_used < t->max_conns)
		return &t->pool[t->pool_used++];
	return NULL;
}

/**
 * tcp_conn_alloc() - take a pool entry for a new connection and hash it
 * @s:	the stack
 * @tu:	its tuple
 *
 * Return: the zeroed connection in LISTEN, or NULL if the table is full
 */
struct tcp_conn *tcp_conn_alloc(struct stack *s, const struct tcp_tuple *tu)
{
	struct tcp_table *t = s->tcp;
	struct tcp_conn *c = tcp_conn_take(t);
	uint32_t b;

	if (!c)
		return NULL;
	memset(c, 0, sizeof(*c));
	c->s = s;
	c->tuple = *tu;
	c->state = TCP_S_LISTEN;
	c->heap_idx = UINT32_MAX;
	c->snd_wscale = c->rcv_wscale = -1;
	c->created = s->now;
	for (int k = 0; k < TCP_T__COUNT; k++)
		c->timer[k] = STACK_TIME_NEVER;
	b = tcp_tuple_hash(t, tu);
	c->hnext = t->buckets[b];
	t->buckets[b] = c;
	STAT_INC(s, connections_active);
	return c;
}

/**
 * tcp_conn_unhash() - remove a connection from its hash chain
 * @c:	the connection
 */
static void tcp_conn_unhash(struct tcp_conn *c)
{
	struct tcp_table *t = c->s->tcp;
	struct tcp_conn **pp = &t->buckets[tcp_tuple_hash(t, &c->tuple)];

	while (*pp && *pp != c)
		pp = &(*pp)->hnext;
	assert(*pp);
	*pp = c->hnext;
	c->hnext = NULL;
}

/**
 * tcp_conn_event() - tell the application, unless it is already gone
 * @c:	the connection
 * @ev:	the event; TCP_EV_CLOSED is the last one it gets
 */
void tcp_conn_event(struct tcp_conn *c, enum tcp_event ev)
{
	struct stack *s = c->s;

	if (c->flags & TCP_CF_APP_GONE)
		return;
	if (ev == TCP_EV_CLOSED)
		c->flags |= TCP_CF_APP_GONE;
	if (s->cfg.ops->event)
		s->cfg.ops->event(s->cfg.app, c, c->ctx, ev);
	if (ev == TCP_EV_CLOSED)
		c->ctx = NULL;
}

/**
 * tcp_conn_set_state() - change state, keeping the gauges right
 * @c:	the connection
 * @st:	new state (not TIME-WAIT or CLOSED: see tcp_conn_time_wait(), tcp_conn_close())
 */
void tcp_conn_set_state(struct tcp_conn *c, enum tcp_state st)
{
	assert(st != TCP_S_CLOSED && st != TCP_S_TIME_WAIT);
	/* the half-open gauge that switches SYN cookies on (syncookie.c) */
	if (c->state == TCP_S_SYN_RECEIVED)
		c->s->tcp->half_open--;
	if (st == TCP_S_SYN_RECEIVED)
		c->s->tcp->half_open++;
	c->state = st;
}

/**
 * tcp_conn_close() - enter CLOSED: last event, unhash, stop timers, reap later
 * @c:	the connection
 */
void tcp_conn_close(struct tcp_conn *c)
{
	struct stack *s = c->s;

	if (c->flags & TCP_CF_DEAD)
		return;
	tcp_conn_event(c, TCP_EV_CLOSED);
	if (c->state == TCP_S_TIME_WAIT) {
		STAT_DEC(s, time_wait);
		s->tcp->tw_count--;
	} else {
		STAT_DEC(s, connections_active);
	}
	if (c->state == TCP_S_SYN_RECEIVED)
		s->tcp->half_open--;
	tcp_reasm_clear(c);		/* out-of-order chunks back to the pool */
	c->state = TCP_S_CLOSED;
	c->flags |= TCP_CF_DEAD;
	tcp_conn_unhash(c);
	tcp_timer_stop_all(c);
	c->lnext = s->tcp->reap;
	s->tcp->reap = c;
}

/**
 * tcp_conn_time_wait() - enter TIME-WAIT (RFC 9293 §3.10.7.4), or CLOSED when
 * the TIME-WAIT cap is reached; the application gets TCP_EV_CLOSED either way
 * @c:	the connection
 */
void tcp_conn_time_wait(struct tcp_conn *c)
{
	struct stack *s = c->s;

	if (s->tcp->tw_count >= s->tcp->tw_max) {
		tcp_conn_close(c);
		return;
	}
	tcp_conn_event(c, TCP_EV_CLOSED);
	tcp_reasm_clear(c);
	for (int k = 0; k < TCP_T__COUNT; k++)
		tcp_timer_stop(c, (enum tcp_timer_kind)k);
	c->state = TCP_S_TIME_WAIT;
	s->tcp->tw_count++;
	STAT_DEC(s, connections_active);
	STAT_INC(s, time_wait);
	tcp_timer_set(c, TCP_T_TIME_WAIT, s->now + TCP_TIME_WAIT_US);
}

/**
 * tcp_conn_timeout() - give up on an unresponsive peer: RST, TIMEOUT, CLOSED
 * @c:	the connection
 */
void tcp_conn_timeout(struct tcp_conn *c)
{
	/* a held cookie connection is ESTABLISHED for the client: in-window RST */
	if (c->flags & TCP_CF_COOKIE)
		c->flags &= ~TCP_CF_PENDING;
	tcp_out_rst_conn(c);
	STAT_INC(c->s, timeouts);
	tcp_conn_event(c, TCP_EV_TIMEOUT);
	tcp_conn_close(c);
}

/**
 * tcp_table_enter() - an entry point starts
 * @s:	the stack
 */
void tcp_table_enter(struct stack *s)
{
	s->tcp->depth++;
}

/**
 * tcp_table_leave() - an entry point ends: free what was closed in it
 * @s:	the stack
 */
void tcp_table_leave(struct stack *s)
{
	struct tcp_table *t = s->tcp;

	assert(t->depth > 0);
	if (--t->depth)
		return;
	while (t->reap) {
		struct tcp_conn *c = t->reap;

		t->reap = c->lnext;
		memset(c, 0, sizeof(*c));
		c->heap_idx = UINT32_MAX;
		c->lnext = t->free;
		t->free = c;
	}
}

/**
 * tcp_challenge_ack_allowed() - RFC 5961 §7 rate limit, per stack
 * @s:	the stack
 *
 * Return: true if one more challenge ACK may go out now
 */
bool tcp_challenge_ack_allowed(struct stack *s)
{
	struct tcp_table *t = s->tcp;

	if (s->now - t->chack_start >= 1000000 || s->now < t->chack_start) {
		t->chack_start = s->now;
		t->chack_count = 0;
	}
	if (t->chack_count >= TCP_CHALLENGE_ACK_LIMIT)
		return false;
	t->chack_count++;
	return true;
}

/**
 * stack_for_each_conn() - visit each connection the application holds
 * @s:		the stack
 * @fn:		called for each (not for TIME-WAIT: the application is done with those)
 * @arg:	passed to @fn
 *
 * Return: the number of connections visited
 */
size_t stack_for_each_conn(struct stack *s,
			   void (*fn)(void *arg, struct tcp_conn *c), void *arg)
{
	struct tcp_table *t = s->tcp;
	size_t n = 0;

	for (uint32_t i = 0; i < t->pool_used; i++) {	/* the rest was never used */
		struct tcp_conn *c = &t->pool[i];

		if (c->state == TCP_S_CLOSED || (c->flags & (TCP_CF_DEAD | TCP_CF_APP_GONE)))
			continue;
		fn(arg, c);
		n++;
	}
	return n;
}

/**
 * tcp_conn_set_ctx() - attach the application's context
 * @c:		the connection
 * @ctx:	passed to every later callback
 */
void tcp_conn_set_ctx(struct tcp_conn *c, void *ctx)
{
	c->ctx = ctx;
}

/**
 * tcp_conn_ctx() - the application's context
 * @c:	the connection
 *
 * Return: what tcp_conn_set_ctx() set, or NULL
 */
void *tcp_conn_ctx(const struct tcp_conn *c)
{
	return c->ctx;
}

/**
 * tcp_conn_tuple() - the 4-tuple
 * @c:	the connection
 *
 * Return: pointer to the tuple, host order
 */
const struct tcp_tuple *tcp_conn_tuple(const struct tcp_conn *c)
{
	return &c->tuple;
}

/**
 * tcp_conn_info() - a snapshot for stats
 * @c:		the connection
 * @out:	filled
 */
void tcp_conn_info(const struct tcp_conn *c, struct tcp_conn_info *out)
{
	memset(out, 0, sizeof(*out));
	out->tuple = c->tuple;
	out->state = tcp_state_names[c->state];
	out->bytes_in = c->bytes_in;
	out->bytes_out = c->bytes_out;
	out->rtt_us = (c->flags & TCP_CF_HAVE_RTT) ? c->srtt_us : 0;
	out->rto_ms = c->rto_us / 1000;
	out->cwnd = c->cc.cwnd;
	out->ssthresh = c->cc.ssthresh;
	out->snd_wnd = c->snd_wnd;
	out->rcv_wnd = seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
	out->retransmits = c->retransmits;
	out->mss = c->snd_mss;
	out->sack = c->sack_ok;
	out->snd_wscale = c->snd_wscale;
	out->rcv_wscale = c->rcv_wscale;
	out->created = c->created;
	out->cc = stack_cc_names[c->s->cfg.cc];
}

/**
 * tcp_api_usable() - may the application still drive @c?
 * @c:	the connection
 *
 * Return: true unless it was closed (the application should not hold it then)
 */
static bool tcp_api_usable(const struct tcp_conn *c)
{
	return c && !(c->flags & (TCP_CF_DEAD | TCP_CF_APP_GONE));
}

/**
 * tcp_api_enter() - start an application call on @c
 * @c:		the connection
 * @now:	current time
 *
 * Return: the stack, entered (tcp_table_leave() when done), or NULL if the
 *	   application may no longer drive @c
 */
static struct stack *tcp_api_enter(struct tcp_conn *c, stack_time_us now)
{
	if (!tcp_api_usable(c))
		return NULL;
	c->s->now = now;
	tcp_table_enter(c->s);
	return c->s;
}

/**
 * tcp_accept() - send the SYN-ACK of a PENDING connection
 * @c:		the connection
 * @now:	current time
 *
 * Return: 0, or -EINVAL if @c is not pending
 */
int tcp_accept(struct tcp_conn *c, stack_time_us now)
{
	struct stack *s;

	if (!tcp_api_usable(c) || !(c->flags & TCP_CF_PENDING))
		return -EINVAL;
	s = tcp_api_enter(c, now);
	c->flags &= ~TCP_CF_PENDING;
	tcp_timer_stop(c, TCP_T_PENDING);
	if (c->flags & TCP_CF_COOKIE)
		syncookie_establish(c);	/* the handshake is already complete */
	else
		tcp_out_synack(c);
	tcp_table_leave(s);
	return 0;
}

/**
 * tcp_reject() - refuse a PENDING connection: RST,ACK to the SYN, then CLOSED
 * @c:		the connection
 * @now:	current time
 */
void tcp_reject(struct tcp_conn *c, stack_time_us now)
{
	struct stack *s = tcp_api_enter(c, now);

	if (!s)
		return;
	if (c->flags & TCP_CF_PENDING)
		STAT_INC(s, syn_rejected);
	/* a held cookie connection is ESTABLISHED for the client: the RST
	 * must be <SEQ=SND.NXT> to be accepted (RFC 5961 §3.2), not <SEQ=0> */
	if (c->flags & TCP_CF_COOKIE)
		c->flags &= ~TCP_CF_PENDING;
	tcp_out_rst_conn(c);
	tcp_conn_close(c);
	tcp_table_leave(s);
}

/**
 * tcp_send_update() - what the application holds changed: send what is due
 * @c:		the connection
 * @total:	bytes held from the oldest unacknowledged one, or NULL: unchanged
 * @fin:	no more bytes will come after them: queue our FIN
 * @now:	current time
 */
static void tcp_send_update(struct tcp_conn *c, const size_t *total, bool fin,
			    stack_time_us now)
{
	struct stack *s = tcp_api_enter(c, now);

	if (!s)
		return;
	if (total)
		c->app_len = *total > UINT32_MAX / 2 ? UINT32_MAX / 2 : (uint32_t)*total;
	if (fin)
		c->flags |= TCP_CF_FIN_QUEUED;
	tcp_out_push(c);
	tcp_table_leave(s);
}

/**
 * tcp_send_avail() - the application holds @total bytes from the oldest unacked
 * @c:		the connection
 * @total:	bytes held (sent or not)
 * @now:	current time
 */
void tcp_send_avail(struct tcp_conn *c, size_t total, stack_time_us now)
{
	tcp_send_update(c, &total, false, now);
}

/**
 * tcp_shutdown() - queue our FIN after every announced byte
 * @c:		the connection
 * @now:	current time
 */
void tcp_shutdown(struct tcp_conn *c, stack_time_us now)
{
	tcp_send_update(c, NULL, true, now);
}

/**
 * tcp_send_final() - announce the last bytes the application will hold, then FIN
 * @c:		the connection
 * @total:	bytes held (the final count)
 * @now:	current time
 *
 * Same as tcp_send_avail() followed by tcp_shutdown(), in one push: the FIN
 * goes out on the segment that carries the last byte when the windows allow.
 */
void tcp_send_final(struct tcp_conn *c, size_t total, stack_time_us now)
{
	tcp_send_update(c, &total, true, now);
}

/**
 * tcp_abort() - reset the connection (RFC 9293 §3.10.4 ABORT)
 * @c:		the connection
 * @now:	current time
 */
void tcp_abort(struct tcp_conn *c, stack_time_us now)
{
	struct stack *s = tcp_api_enter(c, now);

	if (!s)
		return;
	tcp_out_rst_conn(c);
	tcp_conn_close(c);
	tcp_table_leave(s);
}

/**
 * tcp_window_update() - advertise a window that grew, if it grew enough
 * @c:		the connection
 * @now:	current time
 */
void tcp_window_update(struct tcp_conn *c, stack_time_us now)
{
	struct stack *s = tcp_api_enter(c, now);

	if (!s)
		return;
	/* out-of-order data the application could not take before (tcp_reasm.c) */
	if (c->ooo && tcp_reasm_deliver(c))
		tcp_in_after_reasm(c);
	else if (tcp_out_window_opens(c))
		tcp_out_ack(c);
	tcp_table_leave(s);
}
