/* SPDX-License-Identifier: MIT */
/*
 * syncookie.c - stateless SYN handling (RFC 4987 §3.6)
 *
 * Theory of operation
 * -------------------
 * The table counts connections in SYN-RECEIVED (tcp_table.half_open, kept by
 * tcp_conn_set_state()/tcp_conn_close()). While it is at or above
 * cfg.syncookie_threshold, tcp_in.c's LISTEN path answers a SYN with
 * syncookie_send() instead of allocating a connection: the SYN-ACK's ISN is
 *
 *     cookie = (MAC(tuple, client ISN, T) & ~7) | mss_index
 *
 * where MAC is SipHash-2-4 (isn.c) keyed with a secret of its own
 * (tcp_table.cookie_key, from getrandom(), never the RFC 6528 key), T is a
 * counter ticking every SYNCOOKIE_PERIOD_US (64 s) of the stack's clock, and
 * mss_index picks the largest entry of syncookie_mss[] not above the MSS the
 * client offered (and ours). The 29 MAC bits make a blind forgery succeed
 * with probability 2^-28 (two counters are tried).
 *
 * When an ACK (no SYN, no RST) arrives for no connection within
 * SYNCOOKIE_RECENT_US of the last cookie sent, tcp_in.c asks
 * syncookie_check(): SEG.ACK - 1 must be the cookie of the tuple with client
 * ISN SEG.SEQ - 1 under the current or the previous counter, so a cookie
 * lives 64 to 128 s. A valid ACK becomes a connection (tcp_in.c); an invalid
 * one gets the RST of RFC 9293 §3.10.7.1 and counts syncookies_failed.
 *
 * What a cookie cannot carry is not offered: no window scale, no timestamps,
 * no SACK-permitted in a cookie SYN-ACK (the client then runs without them);
 * the MSS is rounded down to the table (at most 1460 even on a jumbo MTU);
 * the window offered is SYNCOOKIE_WIN. Cookie ISNs do not follow the RFC
 * 6528 clock; they are unpredictable, which is what RFC 6528 is for.
 *
 * No state besides the key and the time of the last cookie; no allocation.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <arpa/inet.h>

#include "stack/checksum.h"
#include "stack/tcp_internal.h"

#define SYNCOOKIE_PERIOD_US	(64ull * 1000000)	/* the counter T ticks */
#define SYNCOOKIE_RECENT_US	(3 * SYNCOOKIE_PERIOD_US)	/* check ACKs this long */
#define SYNCOOKIE_WIN		65535u			/* window in a cookie SYN-ACK */
#define SYNCOOKIE_MSS_BITS	3
#define SYNCOOKIE_MSS_MASK	((1u << SYNCOOKIE_MSS_BITS) - 1)
#define SYNCOOKIE_MIN_THRESHOLD	16u

/* MSS values a cookie can carry, ascending; 64 (TCP_MSS_MIN) so a tiny MSS
 * offered is never exceeded */
static const uint16_t syncookie_mss[1u << SYNCOOKIE_MSS_BITS] = {
	64, 536, 1024, 1220, 1300, 1400, 1440, 1460,
};

/**
 * syncookie_init() - draw the cookie key and resolve the threshold
 * @s:		the stack (s->tcp exists)
 * @err:	error text buffer
 * @errlen:	its size
 *
 * Return: 0, or -errno with @err filled
 */
int syncookie_init(struct stack *s, char *err, size_t errlen)
{
	struct tcp_table *t = s->tcp;
	uint32_t th = s->cfg.syncookie_threshold;

	if (!th) {
		th = s->cfg.max_conns / 4;
		if (th < SYNCOOKIE_MIN_THRESHOLD)
			th = SYNCOOKIE_MIN_THRESHOLD;
	}
	t->cookie_threshold = th;
	t->cookie_last = STACK_TIME_NEVER;
	/* RFC 4987 §3.6: the secret must not be guessable */
	if (getrandom(t->cookie_key, sizeof(t->cookie_key), 0) != sizeof(t->cookie_key)) {
		snprintf(err, errlen, "tcp: getrandom: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

/**
 * syncookie_active() - answer SYNs with cookies now?
 * @s:	the stack
 *
 * Return: true while the half-open count is at or above the threshold
 */
bool syncookie_active(const struct stack *s)
{
	return s->tcp->cookie_threshold != UINT32_MAX &&
	       s->tcp->half_open >= s->tcp->cookie_threshold;
}

/**
 * syncookie_recent() - could an ACK for no connection carry a live cookie?
 * @s:	the stack
 *
 * Return: true if a cookie was sent within SYNCOOKIE_RECENT_US
 */
bool syncookie_recent(const struct stack *s)
{
	const struct tcp_table *t = s->tcp;

	return t->cookie_last != STACK_TIME_NEVER &&
	       s->now - t->cookie_last < SYNCOOKIE_RECENT_US;
}

/**
 * syncookie_mac() - the keyed MAC of a handshake under counter @count
 * @s:		the stack
 * @tu:		the 4-tuple
 * @cisn:	the client's ISN
 * @count:	the time counter
 *
 * Return: the MAC with the MSS bits cleared
 */
static uint32_t syncookie_mac(const struct stack *s, const struct tcp_tuple *tu,
			      uint32_t cisn, uint32_t count)
{
	uint8_t m[20];

	memcpy(m, &tu->client_addr, 4);
	memcpy(m + 4, &tu->vip_addr, 4);
	memcpy(m + 8, &tu->client_port, 2);
	memcpy(m + 10, &tu->vip_port, 2);
	memcpy(m + 12, &cisn, 4);
	memcpy(m + 16, &count, 4);
	return (uint32_t)isn_siphash(s->tcp->cookie_key, m, sizeof(m)) &
	       ~SYNCOOKIE_MSS_MASK;
}

/**
 * syncookie_counter() - the counter T at the stack's current time
 * @s:	the stack
 *
 * Return: now / 64 s
 */
static uint32_t syncookie_counter(const struct stack *s)
{
	return (uint32_t)(s->now / SYNCOOKIE_PERIOD_US);
}

/**
 * syncookie_mss_index() - the table entry for an offered MSS
 * @s:		the stack (our MSS is MTU - 40)
 * @seg:	the SYN
 *
 * Return: index of the largest entry <= min(offered, ours); 536 without
 * the option (RFC 9293 §3.7.1)
 */
static uint32_t syncookie_mss_index(const struct stack *s, const struct tcp_seg *seg)
{
	uint32_t want = seg->opt.mss_ok ? seg->opt.mss : TCP_MSS_DEFAULT;
	uint32_t ours = s->cfg.mtu - 40u, i;

	if (want > ours)
		want = ours;
	for (i = SYNCOOKIE_MSS_MASK; i > 0 && syncookie_mss[i] > want; i--)
		;
	return i;
}

/**
 * syncookie_send() - answer a SYN with a cookie SYN-ACK, keeping no state
 * @s:		the stack
 * @tu:		the SYN's tuple
 * @seg:	the SYN (no ACK, RST or FIN)
 *
 * <SEQ=cookie><ACK=SEG.SEQ+1><CTL=SYN,ACK>, MSS option only. As in choice 2
 * of tcp_in.c, data on the SYN is not acknowledged.
 */
void syncookie_send(struct stack *s, const struct tcp_tuple *tu,
		    const struct tcp_seg *seg)
{
	uint32_t idx = syncookie_mss_index(s, seg);
	uint32_t cookie = syncookie_mac(s, tu, seg->seq, syncookie_counter(s)) | idx;
	uint32_t ours = s->cfg.mtu - 40u;
	size_t cap, hl = TCP_HDR_LEN + 4;
	uint8_t *p = ip4_tx_begin(s, &cap);
	struct tcp_hdr *th;

	if (!p || cap < hl) {
		STAT_INC(s, tx_dropped);
		return;
	}
	if (ours > 65535)
		ours = 65535;
	th = (struct tcp_hdr *)p;
	th->sport = htons(tu->vip_port);
	th->dport = htons(tu->client_port);
	th->seq = htonl(cookie);
	th->ack = htonl(seg->seq + 1);
	th->doff_res = (uint8_t)((hl / 4) << 4);
	th->flags = TCP_SYN | TCP_ACK;
	th->win = htons(SYNCOOKIE_WIN);	/* RFC 7323 §2.2: never scaled in a SYN */
	th->check = 0;
	th->urg = 0;
	/* RFC 9293 §3.7.1 / RFC 6691: announce our MSS, MTU - 40 */
	p[TCP_HDR_LEN] = TCPOPT_MSS;
	p[TCP_HDR_LEN + 1] = 4;
	p[TCP_HDR_LEN + 2] = (uint8_t)(ours >> 8);
	p[TCP_HDR_LEN + 3] = (uint8_t)ours;
	th->check = csum_fold(csum_partial(p, hl,
			csum_pseudo_ip4(tu->vip_addr, tu->client_addr, IPPROTO_TCP_,
					(uint16_t)hl)));
	STAT_INC(s, segs_out);
	STAT_INC(s, syncookies_sent);
	s->tcp->cookie_last = s->now;
	ip4_tx_commit(s, tu->vip_addr, tu->client_addr, IPPROTO_TCP_, hl);
}

/**
 * syncookie_check() - does this ACK return a cookie we sent?
 * @s:		the stack
 * @tu:		its tuple
 * @seg:	the ACK (no SYN, no RST)
 * @mss:	the MSS the cookie carries, on success
 *
 * Return: 0 if valid, -EINVAL if not (forged, or older than two counters)
 */
int syncookie_check(struct stack *s, const struct tcp_tuple *tu,
		    const struct tcp_seg *seg, uint16_t *mss)
{
	uint32_t cookie = seg->ack - 1, cisn = seg->seq - 1;
	uint32_t now = syncookie_counter(s);

	/* RFC 4987 §3.6: the current or the previous counter */
	for (uint32_t age = 0; age < 2; age++) {
		if ((cookie & ~SYNCOOKIE_MSS_MASK) == syncookie_mac(s, tu, cisn, now - age)) {
			*mss = syncookie_mss[cookie & SYNCOOKIE_MSS_MASK];
			return 0;
		}
	}
	return -EINVAL;
}

/**
 * syncookie_establish() - tcp_accept() of a held cookie connection
 * @c:	the connection: SYN-RECEIVED, TCP_CF_COOKIE, no longer pending
 *
 * The client completed the handshake long ago; its ACK (SND.UNA = ISS + 1,
 * window and WL1/WL2 recorded at creation) is taken now: ESTABLISHED,
 * TCP_EV_ESTABLISHED, then an ACK with the application's window so the
 * client resends what was dropped while held.
 */
void syncookie_establish(struct tcp_conn *c)
{
	c->snd_una = c->iss + 1;
	tcp_conn_set_state(c, TCP_S_ESTABLISHED);
	tcp_conn_event(c, TCP_EV_ESTABLISHED);
	if (c->flags & TCP_CF_DEAD)
		return;
	tcp_out_ack(c);
}
