/* SPDX-License-Identifier: MIT */
/*
 * tcp_timer.c - per-connection timers in one min-heap, RTT estimation
 *
 * Theory of operation
 * -------------------
 * Each connection has one deadline per enum tcp_timer_kind (c->timer[]):
 *
 *   RTO         SYN-ACK, data and FIN retransmission (RFC 6298)
 *   DELACK      delayed ACK, 40 ms (RFC 9293 §3.8.6.3 allows up to 0.5 s)
 *   PERSIST     zero-window probe (RFC 9293 §3.8.6.1)
 *   TIME_WAIT   end of TIME-WAIT (2 s: short and bounded, see tcp_in.c)
 *   KEEPALIVE   RFC 1122 §4.2.3.6 keep-alive, only with cfg.keepalive_idle_s
 *   PENDING     SYN-RECEIVED waiting for tcp_accept() for 75 s
 *
 * The table keeps a binary min-heap of connections ordered by heap_key, the
 * deadline each one is filed under. Re-arming is lazy (as in nginx): moving a
 * deadline later, or stopping it, only writes c->timer[]; the heap is touched
 * when a deadline moves earlier (sift up) or when a connection's key comes
 * due, at which point the real earliest deadline is recomputed and the
 * connection is either re-filed or its due timers run. So stack_next_timer()
 * may report a wake-up earlier than needed, never later.
 *
 * The heap holds at most max_conns entries (one slot per pool entry).
 *
 * RTT estimation (RFC 6298 §2): SRTT/RTTVAR from one timed segment at a time
 * (Karn's rule: tcp_out.c stops timing when it retransmits); RTO = SRTT +
 * max(G, 4 * RTTVAR) with G = 1 µs, clamped to [200 ms, 60 s]. The 200 ms
 * minimum is below RFC 6298 §2.4's 1 s, as in Linux: a proxy on a LAN should
 * not wait a second to repair a loss; spurious retransmissions are bounded by
 * the exponential backoff.
 *
 * Keep-alive (RFC 1122 §4.2.3.6, off unless cfg.keepalive_idle_s): in
 * ESTABLISHED, CLOSE-WAIT and FIN-WAIT-2, every acceptable segment restarts
 * the idle timer (tcp_timer_keepalive_touch()). When it fires with nothing
 * outstanding, a probe <SEQ=SND.NXT-1> goes out, then every
 * keepalive_intvl_s; keepalive_count probes without an acceptable segment in
 * between abort the connection (RST, TCP_EV_TIMEOUT) at idle + count *
 * interval. With data or a FIN outstanding, or a zero window being probed,
 * the RTO / persist timers already watch the peer: the idle timer just
 * restarts.
 */
#include "stack/tcp_internal.h"

const char *const tcp_timer_names[TCP_T__COUNT] = {
	[TCP_T_RTO]		= "RTO",
	[TCP_T_DELACK]		= "DELACK",
	[TCP_T_PERSIST]		= "PERSIST",
	[TCP_T_TIME_WAIT]	= "TIME_WAIT",
	[TCP_T_KEEPALIVE]	= "KEEPALIVE",
	[TCP_T_PENDING]		= "PENDING",
};
static_assert(sizeof(tcp_timer_names) / sizeof(tcp_timer_names[0]) == TCP_T__COUNT,
	      "tcp_timer_names must name every enum tcp_timer_kind value");

/**
 * tcp_heap_swap() - exchange two heap slots, keeping heap_idx right
 * @t:	the table
 * @a:	slot
 * @b:	slot
 */
static void tcp_heap_swap(struct tcp_table *t, uint32_t a, uint32_t b)
{
	struct tcp_conn *ca = t->heap[a], *cb = t->heap[b];

	t->heap[a] = cb;
	t->heap[b] = ca;
	cb->heap_idx = a;
	ca->heap_idx = b;
}

/**
 * tcp_heap_up() - restore heap order above slot @i
 * @t:	the table
 * @i:	slot whose key decreased
 */
static void tcp_heap_up(struct tcp_table *t, uint32_t i)
{
	while (i > 0) {
		uint32_t parent = (i - 1) / 2;

		if (t->heap[parent]->heap_key <= t->heap[i]->heap_key)
			return;
		tcp_heap_swap(t, parent, i);
		i = parent;
	}
}

/**
 * tcp_heap_down() - restore heap order below slot @i
 * @t:	the table
 * @i:	slot whose key increased
 */
static void tcp_heap_down(struct tcp_table *t, uint32_t i)
{
	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < t->heap_len && t->heap[l]->heap_key < t->heap[m]->heap_key)
			m = l;
		if (r < t->heap_len && t->heap[r]->heap_key < t->heap[m]->heap_key)
			m = r;
		if (m == i)
			return;
		tcp_heap_swap(t, i, m);
		i = m;
	}
}

/**
 * tcp_heap_remove() - take a connection out of the heap
 * @t:	the table
 * @c:	the connection (may not be in the heap)
 */
static void tcp_heap_remove(struct tcp_table *t, struct tcp_conn *c)
{
	uint32_t i = c->heap_idx;

	if (i == UINT32_MAX)
		return;
	c->heap_idx = UINT32_MAX;
	if (i == --t->heap_len)
		return;
	t->heap[i] = t->heap[t->heap_len];
	t->heap[i]->heap_idx = i;
	tcp_heap_up(t, i);
	tcp_heap_down(t, t->heap[i]->heap_idx);
}

/**
 * tcp_timer_earliest() - the earliest armed deadline of a connection
 * @c:	the connection
 *
 * Return: the deadline, or STACK_TIME_NEVER
 */
static stack_time_us tcp_timer_earliest(const struct tcp_conn *c)
{
	stack_time_us m = STACK_TIME_NEVER;

	for (int k = 0; k < TCP_T__COUNT; k++)
		if (c->timer[k] < m)
			m = c->timer[k];
	return m;
}

/**
 * tcp_timer_file() - (re)file a connection in the heap under @key
 * @c:		the connection
 * @key:	its earliest deadline; STACK_TIME_NEVER removes it
 */
static void tcp_timer_file(struct tcp_conn *c, stack_time_us key)
{
	struct tcp_table *t = c->s->tcp;

	if (key == STACK_TIME_NEVER) {
		tcp_heap_remove(t, c);
		return;
	}
	if (c->heap_idx == UINT32_MAX) {
		assert(t->heap_len < t->max_conns);
		c->heap_idx = t->heap_len;
		t->heap[t->heap_len++] = c;
		c->heap_key = key;
		tcp_heap_up(t, c->heap_idx);
		return;
	}
	c->heap_key = key;
	tcp_heap_up(t, c->heap_idx);
	tcp_heap_down(t, c->heap_idx);
}

/**
 * tcp_timer_set() - arm (or re-arm) one timer of a connection
 * @c:		the connection
 * @k:		which timer
 * @when:	absolute deadline
 */
void tcp_timer_set(struct tcp_conn *c, enum tcp_timer_kind k, stack_time_us when)
{
	c->timer[k] = when;
	/* lazy re-arm: only an earlier deadline needs the heap */
	if (c->heap_idx == UINT32_MAX || when < c->heap_key)
		tcp_timer_file(c, when);
}

/**
 * tcp_timer_stop() - disarm one timer (lazily: the heap entry stays)
 * @c:	the connection
 * @k:	which timer
 */
void tcp_timer_stop(struct tcp_conn *c, enum tcp_timer_kind k)
{
	c->timer[k] = STACK_TIME_NEVER;
}

/**
 * tcp_timer_stop_all() - disarm every timer and leave the heap
 * @c:	the connection
 */
void tcp_timer_stop_all(struct tcp_conn *c)
{
	for (int k = 0; k < TCP_T__COUNT; k++)
		c->timer[k] = STACK_TIME_NEVER;
	tcp_heap_remove(c->s->tcp, c);
}

/**
 * tcp_timer_rto_restart() - RFC 6298 §5.3: (re)start the RTO timer
 * @c:	the connection
 */
void tcp_timer_rto_restart(struct tcp_conn *c)
{
	c->flags &= ~TCP_CF_LOSS_TIMER;		/* a plain RTO again (tcp_tlp.c) */
	tcp_timer_set(c, TCP_T_RTO, c->s->now + c->rto_us);
}

/**
 * tcp_rtt_sample() - feed one RTT measurement into SRTT/RTTVAR/RTO
 * @c:		the connection
 * @rtt_us:	measured round trip, microseconds
 */
void tcp_rtt_sample(struct tcp_conn *c, uint32_t rtt_us)
{
	uint64_t rto;

	/* RFC 8985 §6.2.4: min_RTT for RACK's reordering window */
	if (!c->rtt_min_us || rtt_us < c->rtt_min_us)
		c->rtt_min_us = rtt_us ? rtt_us : 1;
	if (!(c->flags & TCP_CF_HAVE_RTT)) {
		/* RFC 6298 §2.2: first measurement */
		c->srtt_us = rtt_us;
		c->rttvar_us = rtt_us / 2;
		c->flags |= TCP_CF_HAVE_RTT;
	} else {
		/* RFC 6298 §2.3: alpha = 1/8, beta = 1/4 */
		uint32_t err = c->srtt_us > rtt_us ? c->srtt_us - rtt_us : rtt_us - c->srtt_us;

		c->rttvar_us = c->rttvar_us - c->rttvar_us / 4 + err / 4;
		c->srtt_us = c->srtt_us - c->srtt_us / 8 + rtt_us / 8;
	}
	/* RFC 6298 §2.2/2.3: RTO = SRTT + max(G, K*RTTVAR), G = 1 µs */
	rto = (uint64_t)c->srtt_us + (c->rttvar_us ? 4ull * c->rttvar_us : 1);
	/* RFC 6298 §2.4 (minimum lowered to 200 ms, see above), §2.5 maximum */
	if (rto < TCP_RTO_MIN_US)
		rto = TCP_RTO_MIN_US;
	if (rto > TCP_RTO_MAX_US)
		rto = TCP_RTO_MAX_US;
	c->rto_us = (uint32_t)rto;
}

/**
 * tcp_timer_keepalive_state() - does keep-alive apply in this state?
 * @c:	the connection
 *
 * Return: true in ESTABLISHED, CLOSE-WAIT and FIN-WAIT-2 with keep-alive on
 */
static bool tcp_timer_keepalive_state(const struct tcp_conn *c)
{
	if (!c->s->cfg.keepalive_idle_s)
		return false;
	return c->state == TCP_S_ESTABLISHED || c->state == TCP_S_CLOSE_WAIT ||
	       c->state == TCP_S_FIN_WAIT_2;
}

/**
 * tcp_timer_keepalive_touch() - a segment arrived: restart the idle period
 * @c:	the connection
 */
void tcp_timer_keepalive_touch(struct tcp_conn *c)
{
	c->ka_probes = 0;
	if (!tcp_timer_keepalive_state(c)) {
		tcp_timer_stop(c, TCP_T_KEEPALIVE);
		return;
	}
	tcp_timer_set(c, TCP_T_KEEPALIVE,
		      c->s->now + c->s->cfg.keepalive_idle_s * 1000000ull);
}

/**
 * tcp_timer_keepalive() - the keep-alive timer expired (RFC 1122 §4.2.3.6)
 * @c:	the connection
 */
static void tcp_timer_keepalive(struct tcp_conn *c)
{
	const struct stack_config *cfg = &c->s->cfg;
	uint32_t intvl = cfg->keepalive_intvl_s ? cfg->keepalive_intvl_s : TCP_KA_INTVL_S;
	uint32_t count = cfg->keepalive_count ? cfg->keepalive_count : TCP_KA_COUNT;

	if (!tcp_timer_keepalive_state(c))
		return;
	if (c->snd_una != c->snd_max || c->timer[TCP_T_PERSIST] != STACK_TIME_NEVER) {
		tcp_timer_keepalive_touch(c);	/* RTO / persist watch the peer */
		return;
	}
	if (c->ka_probes >= count) {
		tcp_conn_timeout(c);		/* RST, TCP_EV_TIMEOUT, CLOSED */
		return;
	}
	c->ka_probes++;
	tcp_out_keepalive(c);
	tcp_timer_set(c, TCP_T_KEEPALIVE, c->s->now + intvl * 1000000ull);
}

/**
 * tcp_timer_fire() - run one expired timer
 * @c:	the connection
 * @k:	which timer
 */
static void tcp_timer_fire(struct tcp_conn *c, enum tcp_timer_kind k)
{
	switch (k) {
	case TCP_T_RTO:
		/* the slot holds a loss probe or RACK deadline (tcp_tlp.c) */
		if (c->flags & TCP_CF_LOSS_TIMER) {
			tcp_tlp_timeout(c);
			return;
		}
		tcp_tlp_on_rto(c);		/* RFC 8985 §7.4: the episode ends */
		tcp_out_retransmit(c);
		return;
	case TCP_T_DELACK:
		tcp_out_ack(c);
		return;
	case TCP_T_PERSIST:
		tcp_out_probe(c);
		return;
	case TCP_T_TIME_WAIT:
		tcp_conn_close(c);	/* RFC 9293 §3.10.8: TIME-WAIT expiry */
		return;
	case TCP_T_KEEPALIVE:
		tcp_timer_keepalive(c);
		return;
	case TCP_T_PENDING:
		tcp_conn_timeout(c);
		return;
	case TCP_T__COUNT:
		break;
	}
	assert(0);
}

/**
 * tcp_timer_run_conn() - run the due timers of a connection taken off the heap
 * @c:		the connection
 * @now:	current time
 */
static void tcp_timer_run_conn(struct tcp_conn *c, stack_time_us now)
{
	for (int k = 0; k < TCP_T__COUNT; k++) {
		if (c->flags & TCP_CF_DEAD)
			return;
		if (c->timer[k] > now)
			continue;
		c->timer[k] = STACK_TIME_NEVER;
		tcp_timer_fire(c, (enum tcp_timer_kind)k);
	}
	if (!(c->flags & TCP_CF_DEAD))
		tcp_timer_file(c, tcp_timer_earliest(c));
}

/**
 * tcp_timers() - run every TCP timer due at @now
 * @s:		the stack
 * @now:	current time
 */
void tcp_timers(struct stack *s, stack_time_us now)
{
	struct tcp_table *t = s->tcp;

	tcp_table_enter(s);
	while (t->heap_len && t->heap[0]->heap_key <= now) {
		struct tcp_conn *c = t->heap[0];
		stack_time_us due = tcp_timer_earliest(c);

		if (due > now) {
			tcp_timer_file(c, due);		/* lazily re-armed: re-file */
			continue;
		}
		tcp_heap_remove(t, c);
		tcp_timer_run_conn(c, now);
	}
	tcp_table_leave(s);
}

/**
 * tcp_next_timer() - the earliest TCP deadline
 * @s:	the stack
 *
 * Return: a time at or before the next due timer, or STACK_TIME_NEVER
 */
stack_time_us tcp_next_timer(const struct stack *s)
{
	const struct tcp_table *t = s->tcp;

	return t->heap_len ? t->heap[0]->heap_key : STACK_TIME_NEVER;
}
