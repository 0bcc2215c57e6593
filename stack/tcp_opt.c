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
 * Understood: MSS (used), window scale, SACK-permitted, timestamps (parsed and
 * kept for RFC 7323 / RFC 2018 support; not negotiated yet, so never echoed).
 * SACK blocks are skipped until the SACK scoreboard exists.
 *
 * Written: only MSS on the SYN-ACK for now (RFC 9293 §3.7.1, RFC 6691).
 */
#include <string.h>

#include "stack/tcp_internal.h"

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
	case TCPOPT_TIMESTAMP:
		if (dlen != 8)
			return;
		o->ts_ok = true;
		o->tsval = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
		o->tsecr = (uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7];
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
 * tcp_opt_write_synack() - write the options of our SYN-ACK
 * @p:		where they go (room for 40 bytes)
 * @c:		the connection
 *
 * Return: bytes written, a multiple of 4
 */
size_t tcp_opt_write_synack(uint8_t *p, const struct tcp_conn *c)
{
	/* RFC 9293 §3.7.1 / RFC 6691: announce MTU - 40 */
	p[0] = TCPOPT_MSS;
	p[1] = 4;
	p[2] = (uint8_t)(c->rcv_mss >> 8);
	p[3] = (uint8_t)c->rcv_mss;
	return 4;
}
