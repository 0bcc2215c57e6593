/* SPDX-License-Identifier: MIT */
/*
 * tcp_harness.h - a fake application and a TCP peer for stack scenario tests
 *
 * The fake application implements struct stack_ops: it records the bytes
 * delivered (taking at most deliver_max per call), holds a send stream for
 * ops.produce()/ops.acked(), reports a settable rcv_space and records every
 * event. The peer side builds client segments (flags, seq, ack, window,
 * options, payload) into complete Ethernet frames with their own checksum
 * code (tests/support/frames.c), injects them with stack_input(), and parses
 * the frames the stack emits into struct th_seg (answering ARP requests for
 * the client on the way). Time is virtual (th.now).
 *
 * Offloads: with th_config_offload() the in-memory link advertises TSO and/or
 * checksum offload, and th_pop() plays the offloading NIC: it checks a
 * partial checksum's pseudo-header seed and finishes it, and cuts a GSO frame
 * into its pieces (headers copied, IP length/ID and TCP sequence adjusted,
 * FIN/PSH on the last piece only), returned one by one; th.gso records what
 * the GSO frames looked like. th_send_ex() injects client frames with
 * offload metadata (GSO super-segments, partial checksums).
 */
#ifndef TCPGATE_TESTS_TCP_HARNESS_H
#define TCPGATE_TESTS_TCP_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stack/stack.h"

#define TH_T0		1000000000ull	/* virtual clock start */
#define TH_MS		1000ull
#define TH_SEC		1000000ull
#define TH_ISS		1000u		/* the stack's ISN (cfg.isn_fixed) */
#define TH_CISN		5000u		/* default client ISN */
#define TH_CPORT	40000
#define TH_VPORT	80
#define TH_MAX_CONNS	8
#define TH_MAX_EVENTS	256
#define TH_BUF		(1u << 20)

/**
 * struct th_seg - a TCP segment the stack sent, parsed
 * @src, @dst, @sport, @dport:	addressing, host order
 * @flags, @seq, @ack, @win:	header fields, host order
 * @opts, @optlen:		raw options
 * @mss:			MSS option value, -1 if absent
 * @data, @dlen:		payload
 * @csum_ok:			TCP checksum verified independently
 */
struct th_seg {
	uint32_t src, dst;
	uint16_t sport, dport;
	uint8_t flags;
	uint32_t seq, ack;
	uint16_t win;
	uint8_t opts[40];
	size_t optlen;
	int mss;
	uint8_t data[2048];
	size_t dlen;
	bool csum_ok;
};

/**
 * struct th_gso_log - what th_pop() saw of the stack's offloaded frames
 * @frames:		GSO frames popped
 * @pieces:		pieces they were cut into
 * @partial:		frames with a partial checksum (GSO or not)
 * @last_size:		gso_size of the last GSO frame
 * @last_len:		its TCP payload
 * @last_pieces:	its piece count
 * @max_len:		largest TCP payload of any GSO frame
 */
struct th_gso_log {
	unsigned frames, pieces, partial;
	unsigned last_size, last_len, last_pieces, max_len;
};

/**
 * struct th_event - one recorded ops.event()
 * @c:	connection
 * @ev:	event
 */
struct th_event {
	struct tcp_conn *c;
	enum tcp_event ev;
};

/**
 * struct th_state - the fake application and the test's view
 * @s, @lm:		stack and in-memory link
 * @now:		virtual clock
 * @cfg:		configuration used (tests may change it before th_setup_cfg())
 * @verdict:		what ops.syn() answers
 * @conn:		the last connection ops.syn() saw
 * @conns, @nconns, @closed: every connection seen, and whether CLOSED came
 * @ev, @nev:		events in order
 * @late_event:		an event arrived after CLOSED (a bug)
 * @rx, @rx_len:	bytes delivered
 * @deliver_max:	most bytes ops.deliver() takes per call
 * @rcv_space:		what ops.rcv_space() says
 * @tx, @tx_len:	the send stream written by the test
 * @tx_acked:		bytes acknowledged (dropped from the front logically)
 * @syn_calls:		ops.syn() calls
 * @gso:		offloaded frames seen by th_pop()
 */
struct th_state {
	struct stack *s;
	struct link_mem *lm;
	stack_time_us now;
	struct stack_config cfg;
	enum stack_syn_verdict verdict;
	struct tcp_conn *conn;
	struct tcp_conn *conns[64];
	bool closed[64];
	int nconns;
	struct th_event ev[TH_MAX_EVENTS];
	int nev;
	bool late_event;
	uint8_t *rx;
	size_t rx_len, deliver_max, rcv_space;
	uint8_t *tx;
	size_t tx_len, tx_acked;
	int syn_calls;
	struct th_gso_log gso;
};

extern struct th_state th;

/* Stack at 10.88.0.1/24, client 10.88.0.2, MTU 1500, ISN TH_ISS, ACCEPT. */
void th_setup(void);
/* Same, with th.cfg already prepared by th_config_default() and modified. */
void th_config_default(void);
void th_setup_cfg(void);
/* After th_config_default(): the link advertises TSO up to @tso_max (IPv4
 * packet bytes, 0 = none) and checksum offload (@csum). */
void th_config_offload(uint32_t tso_max, bool csum);
/* Leak check and stack_destroy(). */
void th_teardown(void);

/* Inject a client segment from TH_CPORT (or @cport) to TH_VPORT. */
void th_send(uint8_t flags, uint32_t seq, uint32_t ack, uint16_t win,
	     const void *data, size_t dlen);
void th_send_opts(uint16_t cport, uint8_t flags, uint32_t seq, uint32_t ack,
		  uint16_t win, const uint8_t *opts, size_t optlen,
		  const void *data, size_t dlen, bool bad_csum);

/* Inject a client segment with offload metadata: @off gives gso_type,
 * gso_size and csum (PARTIAL: the field gets the pseudo-header seed, offsets
 * filled in; VALID: the field gets garbage). Other fields of @off, when
 * nonzero, override what would be filled in (to test bad metadata). */
void th_send_ex(uint8_t flags, uint32_t seq, uint32_t ack, uint16_t win,
		const uint8_t *opts, size_t optlen, const void *data, size_t dlen,
		const struct stack_offload *off);

/* Pop the next TCP segment the stack sent; false if none. */
bool th_pop(struct th_seg *out);
/* Pop one segment and assert every given field (dlen too). */
void th_expect(struct th_seg *out, uint8_t flags, uint32_t seq, uint32_t ack,
	       uint16_t win, size_t dlen);
/* Assert that nothing was sent. */
void th_expect_none(void);

/* Advance the virtual clock by @us, running every timer at its due time. */
void th_advance(stack_time_us us);
/* Run timers up to the next deadline only; return it (or NEVER). */
stack_time_us th_run_next_timer(void);

/* Append @len bytes to the send stream and announce them. */
void th_write(const void *data, size_t len);
void th_write_final(size_t len);
/* Count events of kind @ev. */
int th_count_ev(enum tcp_event ev);

/* Handshake with ACCEPT: SYN(@cisn, MSS 1460) → SYN-ACK → ACK. Returns the conn. */
struct tcp_conn *th_handshake(uint32_t cisn);

#endif /* TCPGATE_TESTS_TCP_HARNESS_H */
