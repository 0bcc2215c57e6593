/* SPDX-License-Identifier: MIT */
/*
 * th_opts.c - TCP option helpers for scenario tests (see th_opts.h)
 */
#include <criterion/criterion.h>
#include <string.h>

#include "tests/support/th_opts.h"

/**
 * tho_put32() - big-endian store
 * @p:	destination
 * @v:	value
 */
static void tho_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/**
 * tho_get32() - big-endian load
 * @p:	source
 *
 * Return: value
 */
static uint32_t tho_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/**
 * tho_build_ts() - NOP NOP TS
 * @p:		destination
 * @tsval:	TSval
 * @tsecr:	TSecr
 *
 * Return: 12
 */
size_t tho_build_ts(uint8_t *p, uint32_t tsval, uint32_t tsecr)
{
	p[0] = 1;
	p[1] = 1;
	p[2] = 8;
	p[3] = 10;
	tho_put32(p + 4, tsval);
	tho_put32(p + 8, tsecr);
	return 12;
}

/**
 * tho_build_sack() - NOP NOP SACK blocks
 * @p:		destination
 * @blocks:	[left, right) pairs
 * @n:		count (1..4)
 *
 * Return: 4 + 8 n
 */
size_t tho_build_sack(uint8_t *p, const uint32_t (*blocks)[2], unsigned n)
{
	p[0] = 1;
	p[1] = 1;
	p[2] = 5;
	p[3] = (uint8_t)(2 + 8 * n);
	for (unsigned i = 0; i < n; i++) {
		tho_put32(p + 4 + 8 * i, blocks[i][0]);
		tho_put32(p + 8 + 8 * i, blocks[i][1]);
	}
	return 4 + 8 * n;
}

/**
 * tho_build_syn() - the options of a client SYN
 * @p:	destination (40 bytes)
 * @o:	what to offer
 *
 * Return: length, a multiple of 4
 */
size_t tho_build_syn(uint8_t *p, const struct tho_syn *o)
{
	size_t n = 0;

	if (o->mss >= 0) {
		p[n++] = 2;
		p[n++] = 4;
		p[n++] = (uint8_t)(o->mss >> 8);
		p[n++] = (uint8_t)o->mss;
	}
	if (o->sack_perm) {
		p[n++] = 1;
		p[n++] = 1;
		p[n++] = 4;
		p[n++] = 2;
	}
	if (o->ts)
		n += tho_build_ts(p + n, o->tsval, 0);
	if (o->ws >= 0) {
		p[n++] = 1;
		p[n++] = 3;
		p[n++] = 3;
		p[n++] = (uint8_t)o->ws;
	}
	return n;
}

/**
 * tho_find() - find an option in a sent segment
 * @s:		the segment
 * @kind:	option kind
 * @val:	its data (after kind and length)
 * @len:	data length
 *
 * Return: true if present
 */
bool tho_find(const struct th_seg *s, uint8_t kind, const uint8_t **val, size_t *len)
{
	for (size_t i = 0; i < s->optlen; ) {
		uint8_t k = s->opts[i];

		if (k == 0)
			return false;
		if (k == 1) {
			i++;
			continue;
		}
		cr_assert(i + 1 < s->optlen && s->opts[i + 1] >= 2 &&
			  i + s->opts[i + 1] <= s->optlen, "malformed option from the stack");
		if (k == kind) {
			*val = s->opts + i + 2;
			*len = s->opts[i + 1] - 2u;
			return true;
		}
		i += s->opts[i + 1];
	}
	return false;
}

/**
 * tho_ts() - the timestamps option of a sent segment
 * @s:		the segment
 * @tsval:	TSval
 * @tsecr:	TSecr
 *
 * Return: true if present (and well-formed)
 */
bool tho_ts(const struct th_seg *s, uint32_t *tsval, uint32_t *tsecr)
{
	const uint8_t *v;
	size_t l;

	if (!tho_find(s, 8, &v, &l))
		return false;
	cr_assert_eq(l, 8u);
	*tsval = tho_get32(v);
	*tsecr = tho_get32(v + 4);
	return true;
}

/**
 * tho_ws() - window scale option
 * @s:	the segment
 *
 * Return: the shift, or -1
 */
int tho_ws(const struct th_seg *s)
{
	const uint8_t *v;
	size_t l;

	if (!tho_find(s, 3, &v, &l))
		return -1;
	cr_assert_eq(l, 1u);
	return v[0];
}

/**
 * tho_sack_perm() - SACK-permitted option
 * @s:	the segment
 *
 * Return: true if present
 */
bool tho_sack_perm(const struct th_seg *s)
{
	const uint8_t *v;
	size_t l;

	return tho_find(s, 4, &v, &l);
}

/**
 * tho_sack() - SACK blocks of a sent segment
 * @s:		the segment
 * @blocks:	filled
 * @max:	room
 *
 * Return: number of blocks
 */
unsigned tho_sack(const struct th_seg *s, uint32_t (*blocks)[2], unsigned max)
{
	const uint8_t *v;
	size_t l;
	unsigned n;

	if (!tho_find(s, 5, &v, &l))
		return 0;
	cr_assert(l % 8 == 0 && l >= 8 && l <= 32, "SACK length %zu", l);
	n = (unsigned)(l / 8);
	cr_assert_leq(n, max);
	for (unsigned i = 0; i < n; i++) {
		blocks[i][0] = tho_get32(v + 8 * i);
		blocks[i][1] = tho_get32(v + 8 * i + 4);
	}
	return n;
}

/**
 * tho_handshake() - handshake with options
 * @cisn:	client ISN
 * @o:		the SYN's options
 * @ack_win:	window field of the final ACK
 * @sa:		the SYN-ACK, filled
 *
 * Return: the connection
 */
struct tcp_conn *tho_handshake(uint32_t cisn, const struct tho_syn *o,
			       uint16_t ack_win, struct th_seg *sa)
{
	uint8_t opts[40];
	size_t n = tho_build_syn(opts, o);
	uint32_t tsval, tsecr;

	th_send_opts(TH_CPORT, 0x02, cisn, 0, 65535, opts, n, NULL, 0, false);
	cr_assert(th_pop(sa), "no SYN-ACK");
	cr_assert_eq(sa->flags, 0x12);
	cr_assert_eq(sa->ack, cisn + 1);
	n = 0;
	if (tho_ts(sa, &tsval, &tsecr))
		n = tho_build_ts(opts, o->tsval + 1, tsval);
	th_send_opts(TH_CPORT, 0x10, cisn + 1, sa->seq + 1, ack_win, opts, n, NULL, 0, false);
	cr_assert_eq(th.ev[th.nev - 1].ev, TCP_EV_ESTABLISHED);
	return th.conn;
}
