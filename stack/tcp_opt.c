/* SPDX-License-Identifier: MIT */
/*
 * tcp_opt.c - TCP option parsing and writing
 *
 * Theory of operation
 * -------------------
 * tcp_opt_parse() walks the option bytes of a received header once, bounded
 * by the header length: every iteration consumes at least one byte, so a
 * malformed list cannot loop. RFC 9293 §3.1: EOL ends the list, NOP is one
 * byte, every other kind has a length byte that counts the kind and length
 * bytes. A length below 2 or running past the header is malformed: parsing
 * stops there, options before it are kept and the segment is processed
 * (o->malformed is set; like Linux, we do not drop such segments). An option
 * with a known kind but the wrong length is ignored (RFC 9293 §3.2 says to be
 * prepared for options of unexpected length).
 *
 * Understood: MSS, window scale (RFC 7323 §2), SACK-permitted (RFC 2018 §2),
 * timestamps (RFC 7323 §3) and SACK blocks (RFC 2018 §3: 1 to 4 blocks of
 * [left, right), kept in struct tcp_opts for the SACK scoreboard; a SACK
 * option of another length is ignored).
 *
 * Written (tcp_opt_write()): on the SYN-ACK, MSS and the answer to what the
 * client offered (timestamps, window scale, SACK-permitted); on every other
 * non-RST segment, timestamps once negotiated and SACK blocks describing the
 * out-of-order queue (tcp_reasm.c), newest first, 3 of them next to
 * timestamps, else 4, after a D-SACK block (RFC 2883) when the segment being
 * answered was a duplicate (tcp_in.c). Our TSval is the stack clock in
 * milliseconds.
 */
#include <string.h>

#include "stack/tcp_internal.h"

/**
 * tcp_opt_get32() - read a 32-bit value in network order
 * @p:	source
 *
 * Return: the value, host order
 */
static uint32_t tcp_opt_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/**
 * tcp_opt_one() - record one well-formed option
 * @kind:	option kind
 * @p:		option data (after kind and length)
 * @dlen:	data length
 * @o:		result, updated
 */
static void tcp_opt_one(uint8_t kind, const uint8_t *p, size_t dlen, struct tcp_opts *o)
{
	switch (kind) {
	case TCPOPT_MSS:
		if (dlen != 2)
			return;
		o->mss_ok = true;
		o->mss = (uint16_t)(p[0] << 8 | p[1]);
		return;
	case TCPOPT_WSCALE:
		if (dlen != 1)
			return;
		o->ws_ok = true;
		o->ws = p[0];
		return;
	case TCPOPT_SACK_PERM:
		if (dlen == 0)
			o->sack_perm = true;
		return;
	case TCPOPT_SACK:
		/* RFC 2018 §3: length 2 + 8 n, 1 <= n <= 4 */
		if (dlen == 0 || dlen % 8 || dlen > 8 * TCP_SACK_MAX_BLOCKS)
			return;
		o->n_sack = (uint8_t)(dlen / 8);
		for (unsigned i = 0; i < o->n_sack; i++) {
			o->sack[i].left = tcp_opt_get32(p + 8 * i);
			o->sack[i].right = tcp_opt_get32(p + 8 * i + 4);
		}
		return;
	case TCPOPT_TIMESTAMP:
		if (dlen != 8)
			return;
		o->ts_ok = true;
		o->tsval = tcp_opt_get32(p);
		o->tsecr = tcp_opt_get32(p + 4);
		return;
	default:
		return;		/* RFC 9293 §3.1: ignore options we don't know */
	}
}

/**
 * tcp_opt_parse() - parse the options of a received segment
 * @p:		first option byte (right after the fixed 20-byte header)
 * @len:	option bytes (data offset * 4 - 20)
 * @o:		result, zeroed first
 */
void tcp_opt_parse(const uint8_t *p, size_t len, struct tcp_opts *o)
{
	size_t i = 0;

	memset(o, 0, sizeof(*o));
	while (i < len) {
		uint8_t kind = p[i], olen;

		if (kind == TCPOPT_EOL)
			return;
		if (kind == TCPOPT_NOP) {
			i++;
			continue;
		}
		/* RFC 9293 §3.1: kind, length (>= 2, counting both), data */
		if (i + 1 >= len || p[i + 1] < 2 || i + p[i + 1] > len) {
			o->malformed = true;
			return;
		}
		olen = p[i + 1];
		tcp_opt_one(kind, p + i + 2, (size_t)olen - 2, o);
		i += olen;
	}
}

/**
 * tcp_opt_put32() - store a 32-bit value in network order
 * @p:	destination
 * @v:	value
 */
static void tcp_opt_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/**
 * tcp_ts_now() - our timestamp clock (RFC 7323 §5.4)
 * @s:	the stack
 *
 * One tick per millisecond of the stack's clock (RFC 7323 §5.4 wants 1 ms to
 * 1 s per tick), so TSval is monotonic with time passed in and tests can
 * predict it: TSval = now_us / 1000, mod 2^32.
 *
 * Return: the current TSval
 */
uint32_t tcp_ts_now(const struct stack *s)
{
	return (uint32_t)(s->now / 1000);
}

/**
 * tcp_opt_write_ts() - NOP NOP TS (RFC 7323 §3.2, Appendix A layout)
 * @p:	where it goes (12 bytes)
 * @c:	the connection: TSval from our clock, TSecr = TS.Recent (§4.3)
 *
 * Return: 12
 */
static size_t tcp_opt_write_ts(uint8_t *p, const struct tcp_conn *c)
{
	p[0] = TCPOPT_NOP;
	p[1] = TCPOPT_NOP;
	p[2] = TCPOPT_TIMESTAMP;
	p[3] = 10;
	tcp_opt_put32(p + 4, tcp_ts_now(c->s));
	tcp_opt_put32(p + 8, c->ts_recent);
	return TCP_TS_OPT_LEN;
}

/**
 * tcp_opt_write_sack() - NOP NOP SACK blocks: a D-SACK, the out-of-order queue
 * @p:	where they go
 * @c:	the connection (SACK negotiated)
 *
 * Return: bytes written (0 if there is nothing to report)
 */
static size_t tcp_opt_write_sack(uint8_t *p, const struct tcp_conn *c)
{
	struct tcp_sack_block b[TCP_SACK_MAX_BLOCKS];
	/* RFC 2018 §3: 4 blocks fit in 40 bytes, 3 next to timestamps */
	unsigned max = c->ts_ok ? 3 : 4, n = 0;

	if (c->flags & TCP_CF_DSACK) {
		/* RFC 2883 §4: the duplicate is the first block */
		b[0] = (struct tcp_sack_block){ c->dsack_left, c->dsack_right };
		n = 1;
	}
	if (c->ooo)
		n += tcp_reasm_sack(c, b + n, max - n);

	if (!n)
		return 0;
	p[0] = TCPOPT_NOP;
	p[1] = TCPOPT_NOP;
	p[2] = TCPOPT_SACK;
	p[3] = (uint8_t)(2 + 8 * n);
	for (unsigned i = 0; i < n; i++) {
		tcp_opt_put32(p + 4 + 8 * i, b[i].left);
		tcp_opt_put32(p + 8 + 8 * i, b[i].right);
	}
	return 4 + 8 * n;
}

/**
 * tcp_opt_write_syn() - the options of our SYN-ACK
 * @p:	where they go
 * @c:	the connection
 *
 * Only what the client's SYN offered is answered (RFC 7323 §1.3, §2.2;
 * RFC 2018 §2). Layout: MSS, NOP NOP TS, NOP WS, NOP NOP SACK-permitted.
 *
 * Return: bytes written, at most 24
 */
static size_t tcp_opt_write_syn(uint8_t *p, const struct tcp_conn *c)
{
	size_t n = 4;

	/* RFC 9293 §3.7.1 / RFC 6691: announce MTU - 40 */
	p[0] = TCPOPT_MSS;
	p[1] = 4;
	p[2] = (uint8_t)(c->rcv_mss >> 8);
	p[3] = (uint8_t)c->rcv_mss;
	if (c->ts_ok)
		n += tcp_opt_write_ts(p + n, c);
	if (c->rcv_wscale >= 0) {		/* RFC 7323 §2.2: our shift */
		p[n++] = TCPOPT_NOP;
		p[n++] = TCPOPT_WSCALE;
		p[n++] = 3;
		p[n++] = (uint8_t)c->rcv_wscale;
	}
	if (c->sack_ok) {			/* RFC 2018 §2 */
		p[n++] = TCPOPT_NOP;
		p[n++] = TCPOPT_NOP;
		p[n++] = TCPOPT_SACK_PERM;
		p[n++] = 2;
	}
	return n;
}

/**
 * tcp_opt_write() - the options of a segment of @c (never of a RST)
 * @p:		where they go (room for 40 bytes)
 * @c:		the connection
 * @syn:	the SYN-ACK
 *
 * RFC 7323 §3.2: once negotiated, timestamps go on every non-RST segment.
 * RFC 2018 §4: SACK blocks while out-of-order data is queued; RFC 2883:
 * a D-SACK block first in the ACK that answers a duplicate segment.
 *
 * Return: bytes written, a multiple of 4
 */
size_t tcp_opt_write(uint8_t *p, const struct tcp_conn *c, bool syn)
{
	size_t n = 0;

	if (syn)
		return tcp_opt_write_syn(p, c);
	if (c->ts_ok)
		n += tcp_opt_write_ts(p, c);
	if (c->sack_ok && (c->ooo || (c->flags & TCP_CF_DSACK)))
		n += tcp_opt_write_sack(p + n, c);
	return n;
}
