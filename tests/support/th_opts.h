/* SPDX-License-Identifier: MIT */
/*
 * th_opts.h - TCP option helpers for scenario tests: build the client's
 * options and read the options of segments the stack sent (struct th_seg)
 */
#ifndef TCPGATE_TESTS_TH_OPTS_H
#define TCPGATE_TESTS_TH_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tests/support/tcp_harness.h"

/**
 * struct tho_syn - what a client SYN offers (-1 / false = absent)
 * @mss, @ws:		MSS and window scale shift, -1 for none
 * @sack_perm:		SACK-permitted
 * @ts:			timestamps with @tsval
 */
struct tho_syn {
	int mss, ws;
	bool sack_perm, ts;
	uint32_t tsval;
};

/* Build SYN options into @p (40 bytes room); return their padded length. */
size_t tho_build_syn(uint8_t *p, const struct tho_syn *o);
/* NOP NOP TS(@tsval, @tsecr): 12 bytes. */
size_t tho_build_ts(uint8_t *p, uint32_t tsval, uint32_t tsecr);
/* Append NOP NOP SACK blocks ([l, r) pairs): 4 + 8n bytes. */
size_t tho_build_sack(uint8_t *p, const uint32_t (*blocks)[2], unsigned n);

/* Read options of a sent segment. */
bool tho_find(const struct th_seg *s, uint8_t kind, const uint8_t **val, size_t *len);
bool tho_ts(const struct th_seg *s, uint32_t *tsval, uint32_t *tsecr);
int tho_ws(const struct th_seg *s);
bool tho_sack_perm(const struct th_seg *s);
unsigned tho_sack(const struct th_seg *s, uint32_t (*blocks)[2], unsigned max);

/* Client SYN with @o from TH_CPORT, expect a SYN-ACK (returned in @sa) and
 * complete with an ACK (window field @ack_win; with TS when negotiated,
 * TSval @o->tsval + 1 echoing the SYN-ACK's). Returns the connection. */
struct tcp_conn *tho_handshake(uint32_t cisn, const struct tho_syn *o,
			       uint16_t ack_win, struct th_seg *sa);

#endif
