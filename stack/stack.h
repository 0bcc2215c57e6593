/* SPDX-License-Identifier: MIT */
/*
 * stack.h - public API of tcpgate's userspace TCP/IPv4 stack
 *
 * The stack is passive-only: it answers ARP and ICMP echo for its addresses and
 * terminates TCP connections that clients open towards it. It knows nothing
 * about proxying. The application (the proxy, or a test) drives it:
 *
 *   - frames in:   stack_input() for every received Ethernet frame;
 *   - frames out:  the stack calls stack_link.send() with complete frames;
 *   - time:        every entry point takes @now (monotonic microseconds); the
 *                  stack never reads a clock, so tests run on a virtual clock.
 *                  stack_timers() runs what is due; stack_next_timer() says when
 *                  to call it next.
 *   - payload:     the stack never owns in-order payload. Received in-order bytes
 *                  are offered to the application with ops.deliver(), which takes
 *                  what it can (the rest is not acknowledged, the peer sends it
 *                  again). Bytes to send stay with the application: it announces
 *                  how many it holds with tcp_send_avail(), the stack copies them
 *                  out with ops.produce() (also for retransmission), and reports
 *                  acknowledged bytes with ops.acked() so the application can
 *                  drop them.
 *   - receive window: ops.rcv_space() tells how many bytes the application
 *                  could take now; the advertised window follows it.
 *
 * Callbacks must not call back into the stack (no tcp_*() calls from inside an
 * ops callback): the application records what it wants to do and does it after
 * the stack_input()/stack_timers()/tcp_*() call that invoked the callback has
 * returned. A connection is valid from ops.syn() until ops.event(TCP_EV_CLOSED),
 * which is always the last callback for it; after that the pointer is stale.
 *
 * Addresses and ports in this API are in host byte order.
 */
#ifndef TCPGATE_STACK_H
#define TCPGATE_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Monotonic time in microseconds; the application chooses the epoch. */
typedef uint64_t stack_time_us;
#define STACK_TIME_NEVER UINT64_MAX

struct stack;
struct tcp_conn;

/**
 * struct tcp_tuple - the 4-tuple of a connection, host byte order
 * @client_addr:	the peer that opened the connection
 * @vip_addr:		the destination address the client connected to
 * @client_port:	client's port
 * @vip_port:		destination port
 */
struct tcp_tuple {
	uint32_t client_addr;
	uint32_t vip_addr;
	uint16_t client_port;
	uint16_t vip_port;
};

/*
 * SYN cookies (RFC 4987 §3.6). While cfg.syncookie_threshold or more
 * connections are half-open, a SYN creates no state: the SYN-ACK's sequence
 * number is a keyed MAC of the 4-tuple and a 64 s clock, carrying the MSS
 * (rounded down to a small table). No window scaling, timestamps or
 * SACK-permitted are offered in cookie mode. ops.syn() is not called for the
 * SYN; it is called when the client's ACK brings back a valid cookie, so
 * the application sees a client that already considers itself ESTABLISHED:
 *
 *   ACCEPT:  TCP_EV_ESTABLISHED follows at once, the ACK's data is delivered.
 *   PENDING: the connection is held: nothing is delivered or acknowledged
 *            (the client retransmits), until tcp_accept() (TCP_EV_ESTABLISHED
 *            then, and an ACK opens the window) or tcp_reject() (an RST the
 *            established client accepts: <SEQ=SND.NXT><ACK=RCV.NXT>), or the
 *            75 s pending limit (RST, TCP_EV_TIMEOUT).
 *   REJECT:  RST (<SEQ=SEG.ACK><CTL=RST>), TCP_EV_CLOSED.
 *
 * An ACK whose cookie does not verify is answered with RST as for no
 * connection (RFC 9293 §3.10.7.1) and counted in syncookies_failed.
 */

/* Result of ops.syn() */
enum stack_syn_verdict {
	STACK_SYN_REJECT = 0,	/* no such service: answer with RST (RFC 9293 §3.10.7.1) */
	STACK_SYN_PENDING,	/* keep it in SYN-RECEIVED, no SYN-ACK until tcp_accept() */
	STACK_SYN_ACCEPT,	/* send the SYN-ACK now */
};

/* Connection events passed to ops.event() */
enum tcp_event {
	TCP_EV_ESTABLISHED = 0,	/* the client's ACK completed the handshake */
	TCP_EV_PEER_FIN,	/* the client closed its side; every byte before it was delivered */
	TCP_EV_RESET,		/* the client reset the connection */
	TCP_EV_TIMEOUT,		/* retransmissions or probes exhausted: the stack sent RST */
	TCP_EV_CLOSED,		/* the application is done with it: last callback, the
				 * pointer is stale afterwards. Sent on entering CLOSED or
				 * TIME-WAIT (the stack keeps TIME-WAIT to itself). */
	TCP_EV__COUNT
};
extern const char *const tcp_event_names[TCP_EV__COUNT];

/**
 * struct stack_ops - what the application provides
 * @syn:	a SYN for no existing connection arrived; decide with a verdict.
 *		May set the connection context with tcp_conn_set_ctx() (that one
 *		call is allowed from inside a callback).
 * @deliver:	in-order bytes from the client; return how many were taken
 *		(0..@len). Bytes not taken are not acknowledged.
 * @rcv_space:	how many more bytes the application could take now; the
 *		advertised receive window follows it (clamped by the stack).
 * @produce:	copy up to @len bytes starting @offset bytes after the oldest
 *		unacknowledged byte into @buf; return the count, or -errno.
 * @acked:	the client acknowledged @n more bytes; the application may drop
 *		them (they are the oldest @n of what it holds).
 * @event:	see enum tcp_event.
 *
 * Every callback gets the application pointer from stack_config.app and the
 * connection's context pointer (NULL until set).
 */
struct stack_ops {
	enum stack_syn_verdict (*syn)(void *app, struct tcp_conn *c,
				      const struct tcp_tuple *t);
	size_t (*deliver)(void *app, struct tcp_conn *c, void *ctx,
			  const uint8_t *data, size_t len);
	size_t (*rcv_space)(void *app, struct tcp_conn *c, void *ctx);
	ssize_t (*produce)(void *app, struct tcp_conn *c, void *ctx,
			   size_t offset, uint8_t *buf, size_t len);
	void (*acked)(void *app, struct tcp_conn *c, void *ctx, size_t n);
	void (*event)(void *app, struct tcp_conn *c, void *ctx, enum tcp_event ev);
};

/*
 * Link offloads. A link that can take TCP segments larger than the MTU and
 * finish checksums itself (a TAP with a virtio-net header, stack/link_tap.c)
 * says so in struct stack_link; frames then carry a struct stack_offload in
 * both directions. The semantics are those of the virtio-net header, without
 * its Linux types:
 *
 *   GSO:  one frame stands for several TCP segments: the headers once, then
 *         up to 64 KiB of payload that the link cuts into @gso_size pieces,
 *         each with a copy of the headers (sequence number, IP length and ID
 *         adjusted; FIN and PSH only on the last piece).
 *   csum: PARTIAL: the L4 checksum field (at @csum_start + @csum_offset from
 *         the frame start) holds only the folded pseudo-header sum; the link
 *         finishes it over [@csum_start, end). VALID (receive only): the link
 *         verified the checksum. A received frame with either is not checked
 *         again by the stack; with NONE it is.
 */
enum stack_gso_type {
	STACK_GSO_NONE = 0,	/* a plain frame */
	STACK_GSO_TCPV4,	/* TCP over IPv4, cut at gso_size */
	STACK_GSO_OTHER,	/* anything else (receive: dropped, counted) */
};
enum stack_csum_state {
	STACK_CSUM_NONE = 0,	/* checksums complete (tx) / to be verified (rx) */
	STACK_CSUM_PARTIAL,	/* pseudo-header sum only, finished by the link */
	STACK_CSUM_VALID,	/* receive: the link verified it */
};

/**
 * struct stack_offload - per-frame offload metadata (see above)
 * @gso_type:		enum stack_gso_type
 * @csum:		enum stack_csum_state
 * @gso_size:		GSO: payload bytes per piece
 * @hdr_len:		GSO: Ethernet + IPv4 + TCP header bytes
 * @csum_start:		PARTIAL: offset of the L4 header from the frame start
 * @csum_offset:	PARTIAL: offset of the checksum field from @csum_start
 */
struct stack_offload {
	uint8_t gso_type;
	uint8_t csum;
	uint16_t gso_size;
	uint16_t hdr_len;
	uint16_t csum_start;
	uint16_t csum_offset;
};

/**
 * struct stack_link - frame output
 * @send:	transmit one complete Ethernet frame; return 0 or -errno (a
 *		failure is counted as a tx drop, TCP recovers by retransmission)
 * @ctx:	passed back to @send and @send_ex
 * @send_ex:	optional; if set, used instead of @send, with the frame's
 *		offload metadata (NULL: a plain frame, checksums complete)
 * @tso_max:	largest IPv4 packet (header included) of a STACK_GSO_TCPV4
 *		frame the link takes, 0 = no segmentation offload (needs
 *		@csum_offload and @send_ex)
 * @csum_offload: the link finishes STACK_CSUM_PARTIAL checksums (needs
 *		@send_ex)
 *
 * Initialise by field name or with { send, ctx } first: new fields come last.
 */
struct stack_link {
	int (*send)(void *ctx, const uint8_t *frame, size_t len);
	void *ctx;
	int (*send_ex)(void *ctx, const uint8_t *frame, size_t len,
		       const struct stack_offload *off);
	uint32_t tso_max;
	bool csum_offload;
};

/* Congestion control of the stack's connections (stack_config.cc) */
enum stack_cc {
	STACK_CC_CUBIC = 0,	/* RFC 9438, the default */
	STACK_CC_NEWRENO,	/* RFC 5681 / RFC 6582 */
	STACK_CC__COUNT
};
extern const char *const stack_cc_names[STACK_CC__COUNT];

/**
 * struct stack_config - parameters fixed at stack_create()
 * @addr:		the stack's own IPv4 address (answers ARP and ping)
 * @prefix_len:		on-link prefix length of @addr (e.g. 24)
 * @mac:		the stack's MAC address
 * @mtu:		link MTU (IP packet size), e.g. 1500; sets the MSS (RFC 6691)
 * @max_conns:		connection table size (pool reserved at start; an
 *			entry is resident once first used)
 * @isn_key:		secret for RFC 6528 ISNs; all-zero = draw from getrandom()
 * @isn_fixed:		test hook: if nonzero, every ISN is this value (for
 *			sequence wraparound tests); never set in production
 *			(SYN cookies ignore it: their ISN is the cookie)
 * @syncookie_threshold: half-open (SYN-RECEIVED) connections at which new
 *			SYNs are answered with SYN cookies (RFC 4987 §3.6)
 *			instead of state; 0 = max(max_conns / 4, 16),
 *			UINT32_MAX = never. See "SYN cookies" below.
 * @ops, @app:		application callbacks and their context
 * @link:		frame output
 * @keepalive_idle_s:	RFC 1122 §4.2.3.6 keep-alive: probe after this idle
 *			time; 0 = off (the default)
 * @keepalive_intvl_s:	between unanswered probes (0: 75 s)
 * @keepalive_count:	unanswered probes before TCP_EV_TIMEOUT (0: 9)
 * @ooo_per_conn:	out-of-order chunks (one MSS each) held per connection
 *			(0: 1024)
 * @ooo_pool:		chunks for the whole stack, reserved at start
 *			(resident once first used)
 *			(0: min(max_conns * ooo_per_conn, 8192))
 * @cc:			congestion control (zero: CUBIC)
 * @glean_on_link:	learn on-link neighbours' MACs from every received
 *			IPv4 frame and never re-resolve them by ARP (one stack
 *			per queue of a multi-queue link: ARP replies may reach
 *			another queue); see arp.c
 */
struct stack_config {
	uint32_t addr;
	uint8_t prefix_len;
	uint8_t mac[6];
	uint16_t mtu;
	uint32_t max_conns;
	uint8_t isn_key[16];
	uint32_t isn_fixed;
	uint32_t syncookie_threshold;
	const struct stack_ops *ops;
	void *app;
	struct stack_link link;
	/* receive side (additive) */
	uint32_t keepalive_idle_s, keepalive_intvl_s, keepalive_count;
	uint32_t ooo_per_conn, ooo_pool;
	/* send side (additive) */
	enum stack_cc cc;
	/* several workers (additive) */
	bool glean_on_link;
};

/**
 * struct stack_stats - counters, monotonic; written by the owning thread only.
 * Other threads read them with __atomic_load_n(..., __ATOMIC_RELAXED).
 */
struct stack_stats {
	/* link and layers */
	uint64_t rx_frames, rx_bytes, tx_frames, tx_bytes;
	uint64_t rx_dropped;		/* sum of every drop reason below */
	uint64_t tx_dropped;		/* link send failed, or ARP hold queue full */
	uint64_t drop_eth_short, drop_eth_not_for_us, drop_eth_type;
	uint64_t drop_arp_bad, arp_requests_rcvd, arp_replies_sent, arp_requests_sent;
	uint64_t drop_ip_short, drop_ip_bad_header, drop_ip_bad_checksum,
		 drop_ip_bad_len, drop_ip_fragment, drop_ip_not_for_us, drop_ip_proto;
	uint64_t icmp_echo_replies, drop_icmp;
	/* TCP */
	uint64_t connections_active;	/* in the table, not in TIME-WAIT */
	uint64_t connections_total, time_wait;
	uint64_t syn_received, syn_rejected, syn_dropped;
	uint64_t resets_sent, resets_received;
	uint64_t retransmits, timeouts, zero_window_probes;
	uint64_t bad_checksum, drop_tcp_bad_header, drop_tcp_no_conn_table,
		 drop_tcp_unacceptable, drop_tcp_rcv_full;
	uint64_t out_of_order, challenge_acks;
	uint64_t syncookies_sent, syncookies_accepted;
	uint64_t syncookies_failed;	/* ACK with a bad or expired cookie: RST sent */
	uint64_t segs_in, segs_out;
	/* receive side (additive) */
	uint64_t drop_tcp_ooo_full;	/* out-of-order queue or pool full */
	uint64_t drop_tcp_paws;		/* RFC 7323 §5: old timestamp */
	uint64_t drop_tcp_no_ts;	/* RFC 7323 §3.2: no timestamp after negotiation */
	uint64_t keepalive_probes;
	/* send side (additive) */
	uint64_t fast_retransmits;	/* loss recoveries entered on dupACKs/SACK */
	uint64_t sack_recoveries;	/* of those, RFC 6675 SACK-based ones */
	/* offloads (additive) */
	uint64_t rx_gso_frames;		/* TCP GSO frames received (several segments each) */
	uint64_t tx_gso_frames;		/* TCP GSO frames sent */
	uint64_t rx_csum_offloaded;	/* frames whose L4 checksum the link vouched for */
	uint64_t drop_offload_bad;	/* offload metadata that contradicts the frame */
	uint64_t rack_losses;		/* of those, started by RFC 8985 RACK's time rule */
	uint64_t tlp_probes;		/* RFC 8985 tail loss probes sent */
	uint64_t tlp_recoveries;	/* probes that repaired a loss (cwnd reduced) */
	uint64_t spurious_undos;	/* reductions undone: every retransmission D-SACKed */
};

/**
 * struct tcp_conn_info - a snapshot of one connection for stats
 */
struct tcp_conn_info {
	struct tcp_tuple tuple;
	const char *state;		/* RFC 9293 state name, e.g. "ESTABLISHED" */
	uint64_t bytes_in;		/* client -> application, delivered */
	uint64_t bytes_out;		/* application -> client, acknowledged */
	uint32_t rtt_us, rto_ms;
	uint32_t cwnd, ssthresh;	/* bytes */
	uint32_t snd_wnd, rcv_wnd;	/* bytes */
	uint32_t retransmits;
	uint16_t mss;
	bool sack;
	int8_t snd_wscale, rcv_wscale;	/* -1 when window scaling is off */
	stack_time_us created;
	const char *cc;			/* congestion control: "cubic" or "newreno" */
};

/* --- the stack --------------------------------------------------------- */

struct stack *stack_create(const struct stack_config *cfg, char *err, size_t errlen);
void stack_destroy(struct stack *s);

/* Also answer ARP for @addr and accept IPv4 addressed to it (listener VIPs). */
int stack_add_vip(struct stack *s, uint32_t addr);
int stack_del_vip(struct stack *s, uint32_t addr);
/* Accept IPv4 for any destination sent to our MAC (transparent interception). */
void stack_set_promiscuous_ip(struct stack *s, bool on);

/* Process one received Ethernet frame. @frame may be modified. */
void stack_input(struct stack *s, uint8_t *frame, size_t len, stack_time_us now);
/* The same with the link's offload metadata for it (NULL: none, as stack_input()). */
void stack_input_ex(struct stack *s, uint8_t *frame, size_t len,
		    const struct stack_offload *off, stack_time_us now);
/* Run every timer due at @now. */
void stack_timers(struct stack *s, stack_time_us now);
/* When stack_timers() should next run, or STACK_TIME_NEVER. */
stack_time_us stack_next_timer(const struct stack *s);

const struct stack_stats *stack_stats(const struct stack *s);
/* Call @fn for each live connection (for /connections); returns the count. */
size_t stack_for_each_conn(struct stack *s,
			   void (*fn)(void *arg, struct tcp_conn *c), void *arg);

/* --- one connection ---------------------------------------------------- */

void tcp_conn_set_ctx(struct tcp_conn *c, void *ctx);
void *tcp_conn_ctx(const struct tcp_conn *c);
const struct tcp_tuple *tcp_conn_tuple(const struct tcp_conn *c);
void tcp_conn_info(const struct tcp_conn *c, struct tcp_conn_info *out);

/* A PENDING connection: send the SYN-ACK now. Return 0 or -errno. */
int tcp_accept(struct tcp_conn *c, stack_time_us now);
/* A PENDING connection: answer the SYN with RST and forget it (ops.event
 * CLOSED follows before this returns). */
void tcp_reject(struct tcp_conn *c, stack_time_us now);
/* The application now holds @total bytes counted from the oldest
 * unacknowledged one (sent or not); send what the windows allow. */
void tcp_send_avail(struct tcp_conn *c, size_t total, stack_time_us now);
/* No more data after what was announced: send FIN after it. */
void tcp_shutdown(struct tcp_conn *c, stack_time_us now);
/* tcp_send_avail() and tcp_shutdown() at once: @total is the final count, so
 * the FIN can ride on the last data segment */
void tcp_send_final(struct tcp_conn *c, size_t total, stack_time_us now);
/* Reset the connection (RST to the client); ops.event CLOSED follows. */
void tcp_abort(struct tcp_conn *c, stack_time_us now);
/* ops.rcv_space() may have grown: advertise the new window if it matters. */
void tcp_window_update(struct tcp_conn *c, stack_time_us now);

#endif /* TCPGATE_STACK_H */
