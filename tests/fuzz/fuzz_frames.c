// SPDX-License-Identifier: MIT
/*
 * fuzz_frames.c - libFuzzer target: frame sequences, timers and application
 * actions against the whole stack (Ethernet, ARP, IPv4, ICMP, TCP)
 *
 * Theory of operation
 * -------------------
 * Every input builds a fresh stack (10.88.0.1/24, VIP 10.88.0.100, MTU 1500,
 * 64 connections, fixed isn_key) on a virtual clock, with frame output going
 * through fz_link_send() into an in-memory link (link_mem). The input is two
 * header bytes (FZ_H_*, FZ_H2_*: ISN near the wrap, SYN cookies, keep-alive,
 * tiny tables, small MTU, NewReno, ...) followed by records
 * [op:1][len:2 LE][len bytes]; each record is
 * one step, and after each step the link is drained (answering the stack's ARP
 * requests for our clients, unless the header turns that off). Ops:
 *
 *   FZ_OP_RAW	 inject the bytes as a frame, as they are
 *   FZ_OP_TCP	 build a TCP segment from a valid template for one of eight
 *		 client "slots" (fixed 4-tuples), with flags, window, options
 *		 and payload from the input; seq/ack either absolute or
 *		 relative to what the peer model tracked (the client's next
 *		 sequence number, the stack's highest one seen), so handshakes
 *		 and in-window data are reachable; queued pokes are applied,
 *		 then IPv4 and TCP checksums are recomputed unless the record
 *		 asks to keep them bad
 *   FZ_OP_CLOCK advance the virtual clock (by ms, by us, or to the next
 *		 deadline the stack announces) and run stack_timers()
 *   FZ_OP_APP	 an application action on connection k: tcp_accept/reject
 *		 (pending ones), tcp_send_avail, tcp_shutdown, tcp_abort,
 *		 tcp_window_update, tcp_conn_info
 *   FZ_OP_POLICY the fake application's answers: ops.syn verdict, how much
 *		 ops.deliver takes, ops.rcv_space, whether ops.produce is short
 *		 or fails
 *   FZ_OP_ARP	 ARP request/reply/gratuitous from a client, from a template
 *   FZ_OP_ICMP	 ICMP message (echo request by default) from a template
 *   FZ_OP_POKE	 queue byte overwrites for the next template frame
 *   FZ_OP_VIP	 delete/re-add the VIP, toggle promiscuous IP
 *   FZ_OP_VNET	 like FZ_OP_RAW, with link offload metadata (stack.h struct
 *		 stack_offload: GSO type and size, header length, checksum
 *		 state and offsets) from the first 10 bytes, as a TAP with a
 *		 virtio-net header delivers it (stack_input_ex())
 *
 * Application actions only ever happen between steps, never inside a
 * callback. The fake application keeps one struct fz_conn per connection
 * (allocated in ops.syn, freed at the end of the input, so a stale pointer is
 * still readable and its "closed" flag catches callbacks after CLOSED). The
 * send stream is unbounded and deterministic (fz_pat_s(offset)); client
 * payload built by the template is fz_pat_c(sequence number).
 *
 * Oracle: abort() (so libFuzzer keeps the input) when
 *   - a callback arrives outside a stack call, for a closed connection, with
 *     a foreign tcp_conn pointer, or out of order (deliver before
 *     ESTABLISHED or after PEER_FIN, anything but CLOSED after RESET/TIMEOUT,
 *     ESTABLISHED or PEER_FIN twice); ops.syn for a tuple that is still live;
 *   - ops.produce asks beyond what tcp_send_avail announced; ops.acked
 *     reports more than was produced or announced;
 *   - ops.deliver offers bytes other than the client sent at those sequence
 *     numbers (while every byte the client sent on the connection came from
 *     the template pattern);
 *   - tcp_reject()/tcp_abort() return without TCP_EV_CLOSED;
 *   - an emitted frame is malformed: bad Ethernet source, IPv4 header,
 *     checksum (IPv4, TCP, ICMP; verified with our own code), length, TCP
 *     options, flag combination; or, for a live connection, a SYN-ACK that
 *     changes ISS or answers a PENDING connection, data beyond what was
 *     announced or not matching the stream, a FIN not right after the last
 *     announced byte or without tcp_shutdown(), an ACK above what was
 *     delivered, a segment larger than the peer's MSS, an RST outside the
 *     sequence space the client already knows;
 *   - stack_timers(now) leaves a deadline at or before now;
 *   - at the end, after aborting everything and running timers far ahead,
 *     the stack still counts connections or has a timer.
 * ASan/UBSan/LSan cover memory errors and leaks.
 *
 * Limits: frames are at most FZ_FRAME_MAX bytes, inputs at most FZ_MAX_STEPS
 * steps and FZ_MAX_CONNS connections (later SYNs are rejected).
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stack/link_mem.h"
#include "stack/stack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_ADDR		0x0a580001u	/* 10.88.0.1 */
#define FZ_VIP		0x0a580064u	/* 10.88.0.100 */
#define FZ_PREFIX	24
#define FZ_T0		1000000000ull	/* virtual clock start, us */
#define FZ_FRAME_MAX	9100		/* largest frame we build or copy */
#define FZ_MAX_STEPS	4096
#define FZ_MAX_CONNS	1024
#define FZ_MAX_POKES	8
#define FZ_SLOTS	8
#define FZ_LINK_CAP	16
#define FZ_ISN_FIXED	0xfffffc00u	/* near the wrap, when the header asks */

enum fz_op {
	FZ_OP_RAW = 0,
	FZ_OP_TCP,
	FZ_OP_CLOCK,
	FZ_OP_APP,
	FZ_OP_POLICY,
	FZ_OP_ARP,
	FZ_OP_ICMP,
	FZ_OP_POKE,
	FZ_OP_VIP,
	FZ_OP_VNET,
	FZ_OP__COUNT
};

/* Header byte */
#define FZ_H_NO_AUTO_ARP	0x01	/* do not answer the stack's ARP requests */
#define FZ_H_ISN_FIXED		0x02	/* cfg.isn_fixed = FZ_ISN_FIXED */
#define FZ_H_PROMISC		0x04	/* stack_set_promiscuous_ip() from the start */
#define FZ_H_CLIENT_WRAP	0x08	/* client sequence numbers start near 2^32 */
#define FZ_H_TINY_TABLE		0x10	/* max_conns = 2 (table full, TIME-WAIT cap) */
#define FZ_H_SMALL_MTU		0x20	/* mtu = 576 */
#define FZ_H_COOKIES		0x40	/* syncookie_threshold = 1 */
#define FZ_H_NEWRENO		0x80	/* cc = STACK_CC_NEWRENO (else CUBIC) */
/* Second header byte */
#define FZ_H2_KEEPALIVE		0x01	/* keep-alive: idle 10 s, interval 2 s, 3 probes */
#define FZ_H2_SMALL_OOO		0x02	/* ooo_per_conn = 2, ooo_pool = 4 */
#define FZ_H2_NO_COOKIES	0x04	/* syncookie_threshold = UINT32_MAX */

/* FZ_OP_TCP control byte */
#define FZ_T_SEQ_ABS		0x01	/* seq field is absolute, not peer-relative */
#define FZ_T_ACK_ABS		0x02	/* ack field is absolute, not stack-relative */
#define FZ_T_BAD_TCP_CSUM	0x04	/* leave the TCP checksum as built/poked */
#define FZ_T_BAD_IP_CSUM	0x08	/* leave the IPv4 checksum as built/poked */
#define FZ_T_DATA_INPUT		0x10	/* payload from the input, not the pattern */
#define FZ_T_NO_ADVANCE		0x20	/* do not move the peer's snd_nxt */
#define FZ_T_IP_OPTS		0x40	/* four NOP bytes of IPv4 options */
#define FZ_T_BCAST		0x80	/* Ethernet destination ff:ff:ff:ff:ff:ff */

/* FZ_OP_TCP option length byte: the standard SYN options (MSS 1460,
 * SACK-permitted, window scale 7) instead of input bytes; and/or a timestamp
 * option (TSval from the clock, TSecr the stack's last TSval) */
#define FZ_T_OPT_STD		0x80
#define FZ_T_OPT_TS		0x40

static const uint8_t fz_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
static const uint8_t fz_router_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x02, 0x00 };
static const uint8_t fz_bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/**
 * struct fz_slot_def - a fixed client 4-tuple
 * @client:	client address
 * @cport:	client port
 * @dst:	destination address (VIP, stack address, or foreign)
 * @dport:	destination port
 */
struct fz_slot_def {
	uint32_t client;
	uint16_t cport;
	uint32_t dst;
	uint16_t dport;
};

static const struct fz_slot_def fz_slot_defs[FZ_SLOTS] = {
	{ 0x0a58000au, 40000, FZ_VIP, 80 },
	{ 0x0a58000bu, 40001, FZ_VIP, 80 },
	{ 0x0a58000cu, 40002, FZ_VIP, 80 },
	{ 0x0a58000du, 40003, FZ_VIP, 80 },
	{ 0x0a58000eu, 40004, FZ_VIP, 80 },
	{ 0x0a58000au, 40000, FZ_VIP, 443 },	/* same client as slot 0 */
	{ 0xc0a80106u, 50000, FZ_ADDR, 22 },	/* off-link, via the router */
	{ 0xac100007u, 50001, 0xcb007107u, 80 },	/* foreign dst: promiscuous only */
};

/**
 * struct fz_slot - the peer model of one client slot
 * @snd_nxt:	the client's next sequence number
 * @stack_nxt:	the stack's highest sequence number seen + 1 (for relative ACKs)
 * @ts_recent:	the last TSval the stack sent (for our TSecr)
 */
struct fz_slot {
	uint32_t snd_nxt;
	uint32_t stack_nxt;
	uint32_t ts_recent;
};

/**
 * struct fz_conn - the fake application's side of one connection
 * @c:		the stack's connection (stale after @closed)
 * @tu:		its tuple
 * @closed:	TCP_EV_CLOSED seen: no callback may follow
 * @pending:	ops.syn said PENDING and neither accept nor reject happened yet
 * @established, @peer_fin, @dead: ESTABLISHED, PEER_FIN, RESET/TIMEOUT seen
 * @shutdown:	tcp_shutdown() called
 * @iss_known, @iss: the stack's ISS, from its SYN-ACK
 * @irs_known, @irs: the client's ISN, from the SYN that made ops.syn() run
 * @mss:	the MSS the stack must respect (0 = unknown)
 * @pure:	every byte the client sent is the template pattern
 * @client_fin:	the client sent a FIN on this tuple while we were live (its
 *		ACK may come before TCP_EV_PEER_FIN, or from the OOO queue later)
 * @acked:	bytes ops.acked() reported
 * @end:	stream bytes announced with tcp_send_avail() (absolute)
 * @produced:	highest stream offset ops.produce() served + 1
 * @delivered:	bytes taken in ops.deliver()
 */
struct fz_conn {
	struct tcp_conn *c;
	struct tcp_tuple tu;
	bool closed, pending, established, peer_fin, dead, shutdown;
	bool iss_known, irs_known, pure, client_fin;
	uint32_t iss, irs;
	uint32_t mss;
	uint64_t acked, end, produced, delivered;
};

/**
 * struct fz_policy - how the fake application answers callbacks
 * @verdict:	ops.syn result
 * @deliver:	0 all, 1 none, 2 half, 3 at most @deliver_max
 * @deliver_max: see @deliver
 * @rcv_space:	ops.rcv_space result
 * @produce:	0 full, 1 short (half), 2 -EIO
 */
struct fz_policy {
	enum stack_syn_verdict verdict;
	uint8_t deliver;
	uint32_t deliver_max;
	size_t rcv_space;
	uint8_t produce;
};

/**
 * struct fz_cur - what we know of the frame being injected
 * @arp:	it is an ARP frame (held frames may be released: output is
 *		checked for form only)
 * @tcp:	it parsed as an IPv4/TCP segment: @tu, @seq, @ack, @mss valid
 * @syn:	it carries SYN (else ops.syn() runs for a SYN cookie ACK)
 * @tu:		its tuple, as the stack would see it
 * @seq, @ack:	its sequence and acknowledgment numbers
 * @mss:	MSS the stack should use, 0 if the options were ambiguous
 * @pure:	its payload (if any) is the client pattern
 * @fin:	it carries FIN (the ACK of a FIN may precede TCP_EV_PEER_FIN)
 */
struct fz_cur {
	bool arp, tcp, pure, fin, syn;
	struct tcp_tuple tu;
	uint32_t seq, ack, mss;
};

/**
 * struct fz - the state of one input
 * @s:		the stack
 * @link:	in-memory link the frames go to
 * @now:	virtual clock
 * @mtu:	the stack's MTU
 * @in_stack:	we are inside a stack call (callbacks are allowed)
 * @auto_arp:	answer ARP requests for our clients
 * @promisc:	promiscuous IP is on
 * @was_promisc: it was on at some point in this input
 * @vip_on:	the VIP is configured
 * @isn_fixed:	cfg.isn_fixed value (0 = off)
 * @slots:	peer models
 * @conns:	every connection of this input, @n_conns of them
 * @policy:	callback answers
 * @cur:	frame being injected
 * @pokes, @poke_val, @n_pokes: queued byte overwrites for the next template
 */
struct fz {
	struct stack *s;
	struct link_mem *link;
	stack_time_us now;
	uint16_t mtu;
	bool in_stack, auto_arp, promisc, was_promisc, vip_on;
	uint32_t isn_fixed;
	struct fz_slot slots[FZ_SLOTS];
	struct fz_conn *conns[FZ_MAX_CONNS];
	size_t n_conns;
	struct fz_policy policy;
	struct fz_cur cur;
	uint16_t pokes[FZ_MAX_POKES];
	uint8_t poke_val[FZ_MAX_POKES];
	size_t n_pokes;
};

static struct fz fz;

/* FUZZ_TRACE=1 in the environment: print events and emitted TCP segments */
static int fz_trace = -1;

/*
 * FUZZ_KNOWN_BUGS=1 (set by run.sh): do not stop on bugs already reported and
 * kept as regression inputs in crashers/fuzz_frames/, so fuzzing can go on
 * finding others; regress.sh runs without it. Currently: the RST <SEQ=0> of
 * tcp_abort() on a SYN-cookie connection held PENDING.
 */
static int fz_known_bugs = -1;

#define FZ_TRACE(...) do { if (fz_trace > 0) fprintf(stderr, __VA_ARGS__); } while (0)

#define FZ_FAIL(...) do { \
	fprintf(stderr, "fuzz_frames: invariant violated: " __VA_ARGS__); \
	fputc('\n', stderr); \
	abort(); \
} while (0)

/* --- helpers ------------------------------------------------------------ */

/**
 * fz_get16() - read a little-endian 16-bit value
 * @p:	bytes
 *
 * Return: the value
 */
static uint16_t fz_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/**
 * fz_get32() - read a little-endian 32-bit value
 * @p:	bytes
 *
 * Return: the value
 */
static uint32_t fz_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/**
 * fz_rd16() - read a big-endian 16-bit value (network order)
 * @p:	bytes
 *
 * Return: the value
 */
static uint16_t fz_rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/**
 * fz_rd32() - read a big-endian 32-bit value (network order)
 * @p:	bytes
 *
 * Return: the value
 */
static uint32_t fz_rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/**
 * fz_wr16() - write a big-endian 16-bit value
 * @p:	destination
 * @v:	value
 */
static void fz_wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/**
 * fz_wr32() - write a big-endian 32-bit value
 * @p:	destination
 * @v:	value
 */
static void fz_wr32(uint8_t *p, uint32_t v)
{
	fz_wr16(p, (uint16_t)(v >> 16));
	fz_wr16(p + 2, (uint16_t)v);
}

/**
 * fz_sum() - RFC 1071 one's complement sum, our own (independent of stack/)
 * @p:		bytes
 * @len:	their count
 * @sum:	accumulator to continue
 *
 * Return: the 32-bit accumulator
 */
static uint32_t fz_sum(const uint8_t *p, size_t len, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += fz_rd16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

/**
 * fz_fold() - fold and complement
 * @sum:	accumulator
 *
 * Return: the checksum in host order (0 when verifying a correct one)
 */
static uint16_t fz_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/**
 * fz_pseudo() - IPv4 pseudo-header sum
 * @src:	source address
 * @dst:	destination address
 * @proto:	protocol
 * @len:	L4 length
 *
 * Return: accumulator
 */
static uint32_t fz_pseudo(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len)
{
	return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + proto + len;
}

/**
 * fz_pat_c() - the client's payload byte at a sequence number
 * @seq:	sequence number
 *
 * Return: the byte
 */
static uint8_t fz_pat_c(uint32_t seq)
{
	return (uint8_t)((seq * 2654435761u) >> 24);
}

/**
 * fz_pat_s() - the application's send stream byte at an offset
 * @off:	stream offset
 *
 * Return: the byte
 */
static uint8_t fz_pat_s(uint64_t off)
{
	return (uint8_t)(off * 31 + (off >> 8) * 7 + 0x5a);
}

/**
 * fz_seq_gt() - wrap-safe a > b
 * @a:	sequence number
 * @b:	sequence number
 *
 * Return: true if a is after b
 */
static bool fz_seq_gt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

/**
 * fz_tuple_eq() - compare tuples
 * @a:	tuple
 * @b:	tuple
 *
 * Return: true if equal
 */
static bool fz_tuple_eq(const struct tcp_tuple *a, const struct tcp_tuple *b)
{
	return a->client_addr == b->client_addr && a->vip_addr == b->vip_addr &&
	       a->client_port == b->client_port && a->vip_port == b->vip_port;
}

/**
 * fz_live() - the live (not closed) connection with a tuple
 * @tu:	tuple
 *
 * Return: the connection or NULL
 */
static struct fz_conn *fz_live(const struct tcp_tuple *tu)
{
	for (size_t i = fz.n_conns; i-- > 0; )
		if (!fz.conns[i]->closed && fz_tuple_eq(&fz.conns[i]->tu, tu))
			return fz.conns[i];
	return NULL;
}

/**
 * fz_slot_of() - the client slot of a tuple
 * @tu:	tuple
 *
 * Return: slot index, or -1
 */
static int fz_slot_of(const struct tcp_tuple *tu)
{
	for (int k = 0; k < FZ_SLOTS; k++) {
		const struct fz_slot_def *d = &fz_slot_defs[k];

		if (d->client == tu->client_addr && d->cport == tu->client_port &&
		    d->dst == tu->vip_addr && d->dport == tu->vip_port)
			return k;
	}
	return -1;
}

/**
 * fz_opt_mss() - the MSS the stack should derive from SYN options
 * @o:		options
 * @len:	their length
 * @mtu:	the stack's MTU
 *
 * Return: the clamped MSS (536 without an option), or 0 when the options are
 * ambiguous (malformed, or several MSS options): then nothing is checked
 */
static uint32_t fz_opt_mss(const uint8_t *o, size_t len, uint16_t mtu)
{
	uint32_t mss = 536, n_mss = 0;
	size_t i = 0;

	while (i < len) {
		if (o[i] == 0)
			break;
		if (o[i] == 1) {
			i++;
			continue;
		}
		if (i + 1 >= len || o[i + 1] < 2 || i + o[i + 1] > len)
			return 0;
		if (o[i] == 2) {
			if (o[i + 1] != 4)
				return 0;
			mss = fz_rd16(o + i + 2);
			n_mss++;
		}
		i += o[i + 1];
	}
	if (n_mss > 1)
		return 0;
	if (mss < 64)
		mss = 64;
	if (mss > (uint32_t)mtu - 40)
		mss = (uint32_t)mtu - 40;
	return mss;
}

/* --- the fake application ------------------------------------------------ */

/**
 * fz_cb_conn() - common checks at the start of a per-connection callback
 * @app:	application pointer
 * @c:		connection
 * @ctx:	context
 * @what:	callback name for the message
 *
 * Return: the context, checked
 */
static struct fz_conn *fz_cb_conn(void *app, struct tcp_conn *c, void *ctx,
				  const char *what)
{
	struct fz_conn *fc = ctx;

	if (app != &fz)
		FZ_FAIL("%s: wrong app pointer", what);
	if (!fz.in_stack)
		FZ_FAIL("%s: callback outside a stack call", what);
	if (!fc)
		FZ_FAIL("%s: NULL context (every connection got one in ops.syn)", what);
	if (fc->closed)
		FZ_FAIL("%s: callback after TCP_EV_CLOSED", what);
	if (fc->c != c)
		FZ_FAIL("%s: context of another tcp_conn", what);
	return fc;
}

/**
 * fz_syn() - ops.syn: record the connection, answer with the policy verdict
 * @app:	application pointer
 * @c:		new connection
 * @t:		its tuple
 *
 * Return: the verdict
 */
static enum stack_syn_verdict fz_syn(void *app, struct tcp_conn *c,
				     const struct tcp_tuple *t)
{
	struct fz_conn *fc;

	if (app != &fz || !fz.in_stack)
		FZ_FAIL("syn: outside a stack call or wrong app");
	if (fz_live(t))
		FZ_FAIL("syn: a live connection already has tuple %08x:%u -> %08x:%u",
			t->client_addr, t->client_port, t->vip_addr, t->vip_port);
	if (t->vip_addr != FZ_ADDR && !(fz.vip_on && t->vip_addr == FZ_VIP) && !fz.promisc)
		FZ_FAIL("syn: destination %08x is not ours", t->vip_addr);
	if (fz.n_conns == FZ_MAX_CONNS)
		FZ_FAIL("syn: more than %d connections in one input", FZ_MAX_CONNS);
	fc = calloc(1, sizeof(*fc));
	if (!fc)
		abort();
	fz.conns[fz.n_conns++] = fc;
	fc->c = c;
	fc->tu = *t;
	fc->pure = fz.cur.pure;
	if (fz.cur.tcp && fz_tuple_eq(&fz.cur.tu, t) && fz.cur.syn) {
		fc->irs_known = true;
		fc->irs = fz.cur.seq;
		fc->mss = fz.cur.mss;
	} else if (fz.cur.tcp && fz_tuple_eq(&fz.cur.tu, t)) {
		/* SYN cookie: the ACK carries IRS + 1 and ISS + 1; the MSS is
		 * the cookie's (rounded down), not checked */
		fc->irs_known = fc->iss_known = true;
		fc->irs = fz.cur.seq - 1;
		fc->iss = fz.cur.ack - 1;
		fc->client_fin = fz.cur.fin;
	}
	fc->pending = fz.policy.verdict == STACK_SYN_PENDING;
	tcp_conn_set_ctx(c, fc);
	if (tcp_conn_ctx(c) != fc || !fz_tuple_eq(tcp_conn_tuple(c), t))
		FZ_FAIL("syn: tcp_conn_ctx/tcp_conn_tuple disagree");
	return fz.policy.verdict;
}

/**
 * fz_deliver() - ops.deliver: check the bytes, take what the policy says
 * @app:	application pointer
 * @c:		connection
 * @ctx:	struct fz_conn
 * @data:	in-order bytes
 * @len:	their count
 *
 * Return: bytes taken
 */
static size_t fz_deliver(void *app, struct tcp_conn *c, void *ctx,
			 const uint8_t *data, size_t len)
{
	struct fz_conn *fc = fz_cb_conn(app, c, ctx, "deliver");
	size_t take;

	if (!fc->established || fc->peer_fin || fc->dead)
		FZ_FAIL("deliver: %zu bytes while established=%d peer_fin=%d dead=%d",
			len, fc->established, fc->peer_fin, fc->dead);
	if (fc->pure && fc->irs_known)
		for (size_t i = 0; i < len; i++) {
			uint32_t seq = fc->irs + 1 + (uint32_t)fc->delivered + (uint32_t)i;

			if (data[i] != fz_pat_c(seq))
				FZ_FAIL("deliver: byte %zu of %zu (seq %u, stream offset %llu) "
					"is %02x, the client sent %02x", i, len, seq,
					(unsigned long long)(fc->delivered + i), data[i],
					fz_pat_c(seq));
		}
	switch (fz.policy.deliver) {
	case 0:
		take = len;
		break;
	case 1:
		take = 0;
		break;
	case 2:
		take = len / 2;
		break;
	default:
		take = len < fz.policy.deliver_max ? len : fz.policy.deliver_max;
		break;
	}
	fc->delivered += take;
	return take;
}

/**
 * fz_rcv_space() - ops.rcv_space: the policy value
 * @app:	application pointer
 * @c:		connection
 * @ctx:	struct fz_conn
 *
 * Return: bytes the application could take
 */
static size_t fz_rcv_space(void *app, struct tcp_conn *c, void *ctx)
{
	fz_cb_conn(app, c, ctx, "rcv_space");
	return fz.policy.rcv_space;
}

/**
 * fz_produce() - ops.produce: serve the stream, check the range
 * @app:	application pointer
 * @c:		connection
 * @ctx:	struct fz_conn
 * @offset:	from the oldest unacknowledged byte
 * @buf:	destination
 * @len:	bytes wanted
 *
 * Return: bytes copied, or -EIO when the policy says so
 */
static ssize_t fz_produce(void *app, struct tcp_conn *c, void *ctx,
			  size_t offset, uint8_t *buf, size_t len)
{
	struct fz_conn *fc = fz_cb_conn(app, c, ctx, "produce");
	uint64_t start = fc->acked + offset;

	if (start + len > fc->end)
		FZ_FAIL("produce: asked for [%llu, %llu) but only %llu bytes were announced",
			(unsigned long long)start, (unsigned long long)(start + len),
			(unsigned long long)fc->end);
	if (fz.policy.produce == 2)
		return -5;	/* -EIO */
	if (fz.policy.produce == 1 && len > 1)
		len /= 2;
	for (size_t i = 0; i < len; i++)
		buf[i] = fz_pat_s(start + i);
	if (start + len > fc->produced)
		fc->produced = start + len;
	return (ssize_t)len;
}

/**
 * fz_acked() - ops.acked: never more than produced and announced
 * @app:	application pointer
 * @c:		connection
 * @ctx:	struct fz_conn
 * @n:		newly acknowledged bytes
 */
static void fz_acked(void *app, struct tcp_conn *c, void *ctx, size_t n)
{
	struct fz_conn *fc = fz_cb_conn(app, c, ctx, "acked");

	if (fc->acked + n > fc->produced || fc->acked + n > fc->end)
		FZ_FAIL("acked: %zu more after %llu, but only %llu produced, %llu announced",
			n, (unsigned long long)fc->acked, (unsigned long long)fc->produced,
			(unsigned long long)fc->end);
	fc->acked += n;
}

/**
 * fz_event() - ops.event: check the order of events
 * @app:	application pointer
 * @c:		connection
 * @ctx:	struct fz_conn
 * @ev:		the event
 */
static void fz_event(void *app, struct tcp_conn *c, void *ctx, enum tcp_event ev)
{
	struct fz_conn *fc = fz_cb_conn(app, c, ctx, "event");

	if ((unsigned)ev >= TCP_EV__COUNT)
		FZ_FAIL("event: %d out of range", (int)ev);
	FZ_TRACE("  event %s on %u\n", tcp_event_names[ev], fc->tu.client_port);
	if (fc->dead && ev != TCP_EV_CLOSED)
		FZ_FAIL("event: %s after RESET/TIMEOUT", tcp_event_names[ev]);
	switch (ev) {
	case TCP_EV_ESTABLISHED:
		if (fc->established || fc->pending)
			FZ_FAIL("event: ESTABLISHED again or while pending (%d)", fc->pending);
		fc->established = true;
		break;
	case TCP_EV_PEER_FIN:
		if (!fc->established || fc->peer_fin)
			FZ_FAIL("event: PEER_FIN before ESTABLISHED or twice");
		fc->peer_fin = true;
		break;
	case TCP_EV_RESET:
	case TCP_EV_TIMEOUT:
		fc->dead = true;
		break;
	case TCP_EV_CLOSED:
		fc->closed = true;
		break;
	default:
		break;
	}
}

static const struct stack_ops fz_ops = {
	.syn = fz_syn,
	.deliver = fz_deliver,
	.rcv_space = fz_rcv_space,
	.produce = fz_produce,
	.acked = fz_acked,
	.event = fz_event,
};

/* --- checking what the stack emits ---------------------------------------- */

/**
 * fz_is_ours() - may the stack send from this address?
 * @a:	address
 *
 * Return: true for the stack's address, the VIP, anything after promiscuous
 * mode was on (connections made then outlive it)
 */
static bool fz_is_ours(uint32_t a)
{
	return a == FZ_ADDR || a == FZ_VIP || fz.was_promisc;
}

/**
 * fz_check_tcp_conn() - a segment for a live connection, against the app's view
 * @fc:		the connection
 * @flags:	TCP flags
 * @seq:	sequence number
 * @ack:	acknowledgment number
 * @data:	payload
 * @dlen:	its length
 */
static void fz_check_tcp_conn(struct fz_conn *fc, uint8_t flags, uint32_t seq,
			      uint32_t ack, const uint8_t *data, size_t dlen)
{
	if (flags & 0x04) {
		/* once the client has our SYN-ACK (ISS known: sent, or a SYN
		 * cookie came back) it only accepts an RST inside its window
		 * (RFC 5961 §3.2), i.e. from our sent sequence space */
		uint32_t rel = seq - (fc->iss + 1);
		bool reply = fz.cur.tcp && fz_tuple_eq(&fz.cur.tu, &fc->tu) &&
			     seq == fz.cur.ack;

		/* <SEQ=SEG.ACK><CTL=RST> answers an unacceptable ACK (RFC 9293
		 * §3.10.7.4): the client accepts that one */
		if (fc->iss_known && !reply && rel > fc->end + 1 &&
		    !(fz_known_bugs && seq == 0))
			FZ_FAIL("RST seq %u outside our sequence space (iss %u, %llu bytes "
				"announced): the client drops it", seq, fc->iss,
				(unsigned long long)fc->end);
		return;
	}
	if (flags & 0x02) {
		if (fc->pending)
			FZ_FAIL("SYN-ACK for a PENDING connection before tcp_accept()");
		if (fc->iss_known && seq != fc->iss)
			FZ_FAIL("SYN-ACK with ISS %u, earlier %u", seq, fc->iss);
		if (fz.isn_fixed && seq != fz.isn_fixed)
			FZ_FAIL("SYN-ACK with ISS %u, cfg.isn_fixed %u", seq, fz.isn_fixed);
		if (fc->irs_known && ack != fc->irs + 1)
			FZ_FAIL("SYN-ACK acknowledges %u, the SYN was %u", ack, fc->irs);
		fc->iss_known = true;
		fc->iss = seq;
		return;
	}
	if (fc->mss && dlen > fc->mss)
		FZ_FAIL("segment of %zu bytes, peer MSS %u", dlen, fc->mss);
	if (fc->irs_known && (flags & 0x10)) {
		uint32_t d = ack - (fc->irs + 1);
		bool fin = fc->peer_fin || fc->client_fin;

		if (d > fc->delivered + fin)
			FZ_FAIL("ACK %u acknowledges %u bytes, only %llu delivered (FIN %d)",
				ack, d, (unsigned long long)fc->delivered, fin);
	}
	if (!fc->iss_known)
		return;
	{
		int32_t rel = (int32_t)(seq - (fc->iss + 1 + (uint32_t)fc->acked));
		int64_t abs = (int64_t)fc->acked + rel;

		/* a keep-alive probe may sit one before SND.UNA (RFC 1122 §4.2.3.6) */
		if (abs < 0 && (abs < -1 || dlen > 1 || (flags & 0x01)))
			FZ_FAIL("segment seq %u before the stream start (iss %u)", seq, fc->iss);
		if (abs < 0)
			return;
		if (dlen && (uint64_t)abs + dlen > fc->end)
			FZ_FAIL("data [%lld, %llu) beyond the %llu bytes announced",
				(long long)abs, (unsigned long long)abs + dlen,
				(unsigned long long)fc->end);
		for (size_t i = 0; i < dlen; i++) {
			uint64_t o = (uint64_t)abs + i;

			if (o >= fc->acked && data[i] != fz_pat_s(o))
				FZ_FAIL("data at stream offset %llu is %02x, the app produced %02x",
					(unsigned long long)o, data[i], fz_pat_s(o));
		}
		if (flags & 0x01) {
			if (!fc->shutdown)
				FZ_FAIL("FIN without tcp_shutdown()");
			if ((uint64_t)abs + dlen != fc->end)
				FZ_FAIL("FIN at stream offset %llu, %llu bytes were announced",
					(unsigned long long)abs + dlen,
					(unsigned long long)fc->end);
		}
	}
}

/**
 * fz_check_tcp() - an emitted TCP segment: form, then the connection's view
 * @src:	IPv4 source
 * @dst:	IPv4 destination
 * @p:		TCP header
 * @len:	TCP length
 */
static void fz_check_tcp(uint32_t src, uint32_t dst, const uint8_t *p, size_t len)
{
	struct tcp_tuple tu;
	size_t hl, i;
	uint8_t flags;
	uint32_t seq, seglen;
	struct fz_conn *fc;
	int k, ts;

	if (len < 20)
		FZ_FAIL("TCP segment of %zu bytes", len);
	hl = (size_t)(p[12] >> 4) * 4;
	if (hl < 20 || hl > len)
		FZ_FAIL("TCP data offset %zu, segment %zu", hl, len);
	if (fz_fold(fz_sum(p, len, fz_pseudo(src, dst, 6, (uint16_t)len))))
		FZ_FAIL("bad TCP checksum");
	k = -1;
	for (i = 20; i < hl; ) {
		if (p[i] == 0)
			break;
		if (p[i] == 1) {
			i++;
			continue;
		}
		if (i + 1 >= hl || p[i + 1] < 2 || i + p[i + 1] > hl)
			FZ_FAIL("malformed TCP option %u at %zu", p[i], i);
		if (p[i] == 8 && p[i + 1] == 10)
			k = (int)i;
		if (p[i] == 2 && (p[i + 1] != 4 || fz_rd16(p + i + 2) > fz.mtu - 40))
			FZ_FAIL("bad MSS option");
		i += p[i + 1];
	}
	flags = p[13];
	if ((flags & 0x02) && ((flags & 0x05) || !(flags & 0x10)))
		FZ_FAIL("SYN with flags %02x (passive open only: SYN-ACK)", flags);
	if ((flags & 0x04) && len > hl)
		FZ_FAIL("RST with %zu bytes of data", len - hl);
	if (flags & 0x20)
		FZ_FAIL("URG set");
	tu.client_addr = dst;
	tu.vip_addr = src;
	tu.client_port = fz_rd16(p + 2);
	tu.vip_port = fz_rd16(p);
	seq = fz_rd32(p + 4);
	FZ_TRACE("  out %u->%u flags %02x seq %u ack %u win %u len %zu\n", tu.vip_port,
		 tu.client_port, flags, seq, fz_rd32(p + 8), fz_rd16(p + 14), len - hl);
	seglen = (uint32_t)(len - hl) + !!(flags & 0x02) + !!(flags & 0x01);
	ts = k;
	k = fz_slot_of(&tu);
	if (k >= 0 && ts >= 0)
		fz.slots[k].ts_recent = fz_rd32(p + ts + 2);
	if (k >= 0 && !(flags & 0x04)) {
		if (flags & 0x02)
			fz.slots[k].stack_nxt = seq + seglen;
		else if (fz_seq_gt(seq + seglen, fz.slots[k].stack_nxt))
			fz.slots[k].stack_nxt = seq + seglen;
	}
	if (fz.cur.arp)		/* may be a held frame from an earlier state */
		return;
	fc = fz_live(&tu);
	if (fc)
		fz_check_tcp_conn(fc, flags, seq, fz_rd32(p + 8), p + hl, len - hl);
}

/**
 * fz_check_frame() - every emitted frame must be well-formed
 * @f:		the frame
 * @len:	its length
 */
static void fz_check_frame(const uint8_t *f, size_t len)
{
	uint16_t type;

	if (len < 14)
		FZ_FAIL("frame of %zu bytes", len);
	if (memcmp(f + 6, fz_mac, 6))
		FZ_FAIL("frame from another MAC");
	type = fz_rd16(f + 12);
	if (type == 0x0806) {
		const uint8_t *a = f + 14;

		if (len < 42)
			FZ_FAIL("ARP frame of %zu bytes", len);
		if (fz_rd16(a) != 1 || fz_rd16(a + 2) != 0x0800 || a[4] != 6 || a[5] != 4)
			FZ_FAIL("ARP header");
		if (fz_rd16(a + 6) != 1 && fz_rd16(a + 6) != 2)
			FZ_FAIL("ARP op %u", fz_rd16(a + 6));
		if (memcmp(a + 8, fz_mac, 6))
			FZ_FAIL("ARP sender MAC not ours");
		if (fz_rd32(a + 14) != FZ_ADDR && fz_rd32(a + 14) != FZ_VIP)
			FZ_FAIL("ARP from %08x, not ours", fz_rd32(a + 14));
		return;
	}
	if (type != 0x0800)
		FZ_FAIL("ethertype %04x", type);
	{
		const uint8_t *ip = f + 14;
		size_t ihl, tot;
		uint32_t src, dst;

		if (len < 34)
			FZ_FAIL("IPv4 frame of %zu bytes", len);
		ihl = (size_t)(ip[0] & 15) * 4;
		tot = fz_rd16(ip + 2);
		if (ip[0] >> 4 != 4 || ihl < 20 || tot < ihl || 14 + tot > len)
			FZ_FAIL("IPv4 header: ver/ihl %02x, total %zu, frame %zu", ip[0], tot, len);
		if (14 + tot < len && len > 60)
			FZ_FAIL("frame %zu bytes longer than its IPv4 packet (%zu)", len, tot);
		if (tot > fz.mtu)
			FZ_FAIL("IPv4 packet of %zu bytes, MTU %u", tot, fz.mtu);
		if (fz_fold(fz_sum(ip, ihl, 0)))
			FZ_FAIL("bad IPv4 header checksum");
		if (fz_rd16(ip + 6) & 0x3fff)
			FZ_FAIL("fragment emitted (%04x)", fz_rd16(ip + 6));
		if (!ip[8])
			FZ_FAIL("TTL 0");
		src = fz_rd32(ip + 12);
		dst = fz_rd32(ip + 16);
		if (!fz_is_ours(src))
			FZ_FAIL("IPv4 from %08x, not ours", src);
		if (ip[9] == 6) {
			fz_check_tcp(src, dst, ip + ihl, tot - ihl);
		} else if (ip[9] == 1) {
			if (tot - ihl < 8)
				FZ_FAIL("ICMP of %zu bytes", tot - ihl);
			if (fz_fold(fz_sum(ip + ihl, tot - ihl, 0)))
				FZ_FAIL("bad ICMP checksum");
		} else {
			FZ_FAIL("IPv4 protocol %u emitted", ip[9]);
		}
	}
}

/**
 * fz_link_send() - stack_link.send: check the frame, queue it in link_mem
 * @ctx:	the link_mem
 * @frame:	frame
 * @len:	its length
 *
 * Return: link_mem_send()'s result
 */
static int fz_link_send(void *ctx, const uint8_t *frame, size_t len)
{
	if (!fz.in_stack)
		FZ_FAIL("frame sent outside a stack call");
	fz_check_frame(frame, len);
	return link_mem_send(ctx, frame, len);
}

/* --- driving the stack ------------------------------------------------------ */

/**
 * fz_note_input() - parse the frame about to be injected (before the stack
 * may modify it): for ops.syn's ISN and the payload purity of connections
 * @f:		frame
 * @len:	its length
 */
static void fz_note_input(const uint8_t *f, size_t len)
{
	const uint8_t *ip, *t;
	size_t ihl, tot, hl;
	struct fz_conn *fc;

	memset(&fz.cur, 0, sizeof(fz.cur));
	if (len < 14)
		return;
	if (fz_rd16(f + 12) == 0x0806) {
		fz.cur.arp = true;
		return;
	}
	if (fz_rd16(f + 12) != 0x0800 || len < 34 || f[14 + 9] != 6)
		return;
	ip = f + 14;
	ihl = (size_t)(ip[0] & 15) * 4;
	tot = fz_rd16(ip + 2);
	if (ihl < 20 || tot < ihl + 20 || 14 + tot > len)
		goto unsure;
	t = ip + ihl;
	hl = (size_t)(t[12] >> 4) * 4;
	if (hl < 20 || hl > tot - ihl)
		goto unsure;
	fz.cur.tcp = true;
	fz.cur.tu.client_addr = fz_rd32(ip + 12);
	fz.cur.tu.vip_addr = fz_rd32(ip + 16);
	fz.cur.tu.client_port = fz_rd16(t);
	fz.cur.tu.vip_port = fz_rd16(t + 2);
	fz.cur.seq = fz_rd32(t + 4);
	fz.cur.ack = fz_rd32(t + 8);
	fz.cur.fin = t[13] & 0x01;
	fz.cur.syn = t[13] & 0x02;
	fz.cur.mss = fz_opt_mss(t + 20, hl - 20, fz.mtu);
	fz.cur.pure = true;
	for (size_t i = hl; i < tot - ihl; i++)
		if (t[i] != fz_pat_c(fz.cur.seq + (uint32_t)(i - hl))) {
			fz.cur.pure = false;
			break;
		}
	fc = fz_live(&fz.cur.tu);
	if (fc && !fz.cur.pure)
		fc->pure = false;
	if (fc && fz.cur.fin)
		fc->client_fin = true;
	return;
unsure:
	/* an IPv4/TCP frame we cannot parse: whatever the stack makes of it,
	 * stop comparing delivered bytes on every connection */
	for (size_t i = 0; i < fz.n_conns; i++)
		fz.conns[i]->pure = false;
}

/**
 * fz_drain() - pop every emitted frame; answer ARP requests for our clients
 *
 * The answers are injected once the queue is empty, and their own output
 * (held frames released) is drained in turn, a bounded number of rounds.
 */
static void fz_drain(void)
{
	static uint8_t buf[70000];
	uint8_t replies[8][42];

	for (int round = 0; round < 4; round++) {
		size_t n_rep = 0, len;

		while ((len = link_mem_pop(fz.link, buf, sizeof(buf))) > 0) {
			uint32_t tpa;
			int k;

			if (!fz.auto_arp || len < 42 || fz_rd16(buf + 12) != 0x0806 ||
			    fz_rd16(buf + 20) != 1 || n_rep == 8)
				continue;
			tpa = fz_rd32(buf + 38);
			for (k = 0; k < FZ_SLOTS; k++)
				if (fz_slot_defs[k].client == tpa)
					break;
			if (k == FZ_SLOTS)
				continue;
			{
				uint8_t *r = replies[n_rep++];
				uint8_t cmac[6] = { 0x02, 0, 0, 0, 0x01, (uint8_t)k };

				memcpy(r, fz_mac, 6);
				memcpy(r + 6, cmac, 6);
				fz_wr16(r + 12, 0x0806);
				fz_wr16(r + 14, 1);
				fz_wr16(r + 16, 0x0800);
				r[18] = 6;
				r[19] = 4;
				fz_wr16(r + 20, 2);
				memcpy(r + 22, cmac, 6);
				fz_wr32(r + 28, tpa);
				memcpy(r + 32, fz_mac, 6);
				fz_wr32(r + 38, fz_rd32(buf + 28));
			}
		}
		if (!n_rep)
			return;
		for (size_t i = 0; i < n_rep; i++) {
			fz_note_input(replies[i], 42);
			fz.in_stack = true;
			stack_input(fz.s, replies[i], 42, fz.now);
			fz.in_stack = false;
		}
	}
	link_mem_clear(fz.link);
}

/**
 * fz_inject() - give one frame to the stack
 * @f:		frame (may be modified by the stack)
 * @len:	its length
 */
static void fz_inject(uint8_t *f, size_t len)
{
	fz_note_input(f, len);
	fz.in_stack = true;
	stack_input(fz.s, f, len, fz.now);
	fz.in_stack = false;
}

/**
 * fz_op_vnet() - FZ_OP_VNET: a frame with offload metadata from the input
 * @p:		[gso_type][csum][gso_size:2][hdr_len:2][csum_start:2][csum_offset:2][frame]
 * @len:	bytes at @p
 */
static void fz_op_vnet(const uint8_t *p, size_t len)
{
	static uint8_t f[FZ_FRAME_MAX];
	struct stack_offload off;

	if (len < 10)
		return;
	off.gso_type = p[0];
	off.csum = p[1];
	off.gso_size = fz_get16(p + 2);
	off.hdr_len = fz_get16(p + 4);
	off.csum_start = fz_get16(p + 6);
	off.csum_offset = fz_get16(p + 8);
	len -= 10;
	if (len > sizeof(f))
		len = sizeof(f);
	memcpy(f, p + 10, len);
	fz_note_input(f, len);
	fz.in_stack = true;
	stack_input_ex(fz.s, f, len, &off, fz.now);
	fz.in_stack = false;
}

/**
 * fz_apply_pokes() - overwrite queued bytes of a template frame, then forget them
 * @f:		frame
 * @len:	its length
 */
static void fz_apply_pokes(uint8_t *f, size_t len)
{
	for (size_t i = 0; i < fz.n_pokes && len; i++)
		f[fz.pokes[i] % len] = fz.poke_val[i];
	fz.n_pokes = 0;
}

/**
 * fz_eth_ip() - write Ethernet and IPv4 headers for a slot's client
 * @f:		frame
 * @k:		slot
 * @proto:	IPv4 protocol
 * @ip_opts:	add four bytes of NOP options
 * @bcast:	Ethernet broadcast destination
 * @dst:	IPv4 destination
 *
 * Return: offset of the L4 header (tot_len is filled by fz_ip_finish())
 */
static size_t fz_eth_ip(uint8_t *f, int k, uint8_t proto, bool ip_opts, bool bcast,
			uint32_t dst)
{
	const struct fz_slot_def *d = &fz_slot_defs[k];
	uint8_t cmac[6] = { 0x02, 0, 0, 0, 0x01, (uint8_t)k };
	bool on_link = ((d->client ^ FZ_ADDR) >> (32 - FZ_PREFIX)) == 0;
	size_t ihl = ip_opts ? 24 : 20;

	memcpy(f, bcast ? fz_bcast : fz_mac, 6);
	memcpy(f + 6, on_link ? cmac : fz_router_mac, 6);
	fz_wr16(f + 12, 0x0800);
	f[14] = (uint8_t)(0x40 | ihl / 4);
	f[15] = 0;
	fz_wr16(f + 18, (uint16_t)(k * 1000 + 7));
	fz_wr16(f + 20, 0x4000);	/* DF */
	f[22] = 64;
	f[23] = proto;
	fz_wr16(f + 24, 0);
	fz_wr32(f + 26, d->client);
	fz_wr32(f + 30, dst);
	if (ip_opts)
		memset(f + 34, 1, 4);
	return 14 + ihl;
}

/**
 * fz_ip_finish() - set the IPv4 total length
 * @f:		frame
 * @len:	frame length
 */
static void fz_ip_finish(uint8_t *f, size_t len)
{
	fz_wr16(f + 16, (uint16_t)(len - 14));
}

/**
 * fz_ip_csum() - compute the IPv4 header checksum (after pokes)
 * @f:		frame
 * @len:	frame length
 */
static void fz_ip_csum(uint8_t *f, size_t len)
{
	size_t ihl = (size_t)(f[14] & 15) * 4;

	if (ihl < 20 || 14 + ihl > len)
		return;
	fz_wr16(f + 24, 0);
	fz_wr16(f + 24, fz_fold(fz_sum(f + 14, ihl, 0)));
}

/**
 * fz_sack_relative() - make SACK block edges from the input relative
 * @o:		options
 * @len:	their length
 * @base:	the stack's highest sequence number seen + 1
 *
 * SACK blocks (RFC 2018) name the stack's sequence numbers, which the input
 * cannot know: each edge of the input is taken as an offset from @base.
 */
static void fz_sack_relative(uint8_t *o, size_t len, uint32_t base)
{
	size_t i = 0;

	while (i < len && o[i] != 0) {
		if (o[i] == 1) {
			i++;
			continue;
		}
		if (i + 1 >= len || o[i + 1] < 2 || i + o[i + 1] > len)
			return;
		if (o[i] == 5)
			for (size_t e = i + 2; e + 4 <= i + o[i + 1]; e += 4)
				fz_wr32(o + e, fz_rd32(o + e) + base);
		i += o[i + 1];
	}
}

/**
 * fz_op_tcp() - FZ_OP_TCP: build, mutate and inject a client segment
 * @p:		record: see the layout below
 * @n:		its length
 *
 * Layout: [0] slot | [1] flags | [2] FZ_T_* | [3..6] seq (LE) | [7..10] ack |
 * [11..12] window | [13] option length (low 6 bits), FZ_T_OPT_STD, FZ_T_OPT_TS
 * | [14..15] pattern payload length | options | input payload. SACK edges in
 * the input options are offsets from the stack's highest sequence number.
 */
static void fz_op_tcp(const uint8_t *p, size_t n)
{
	static const uint8_t std_opts[] = { 2, 4, 0x05, 0xb4, 1, 1, 4, 2, 1, 3, 3, 7 };
	static uint8_t f[FZ_FRAME_MAX];
	uint8_t hdr[16] = { 0 };
	const struct fz_slot_def *d;
	struct fz_slot *sl;
	size_t l4, hl, optlen, dlen, len, i;
	uint32_t seq, ack;
	uint8_t ctl, flags;
	int k;

	memcpy(hdr, p, n < sizeof(hdr) ? n : sizeof(hdr));
	p += n < sizeof(hdr) ? n : sizeof(hdr);
	n -= n < sizeof(hdr) ? n : sizeof(hdr);
	k = hdr[0] % FZ_SLOTS;
	d = &fz_slot_defs[k];
	sl = &fz.slots[k];
	flags = hdr[1];
	ctl = hdr[2];
	seq = fz_get32(hdr + 3);
	ack = fz_get32(hdr + 7);
	if (!(ctl & FZ_T_SEQ_ABS))
		seq += sl->snd_nxt;
	if (!(ctl & FZ_T_ACK_ABS))
		ack += sl->stack_nxt;
	l4 = fz_eth_ip(f, k, 6, ctl & FZ_T_IP_OPTS, ctl & FZ_T_BCAST, d->dst);
	if (hdr[13] & FZ_T_OPT_STD) {
		optlen = sizeof(std_opts);
		memcpy(f + l4 + 20, std_opts, optlen);
	} else {
		optlen = (hdr[13] & 0x3f) % ((hdr[13] & FZ_T_OPT_TS) ? 29 : 41);
		if (optlen > n)
			optlen = n;
		memcpy(f + l4 + 20, p, optlen);
		p += optlen;
		n -= optlen;
		while (optlen % 4)
			f[l4 + 20 + optlen++] = 0;
		fz_sack_relative(f + l4 + 20, optlen, sl->stack_nxt);
	}
	if (hdr[13] & FZ_T_OPT_TS) {
		uint8_t *o = f + l4 + 20 + optlen;

		o[0] = o[1] = 1;
		o[2] = 8;
		o[3] = 10;
		fz_wr32(o + 4, (uint32_t)((fz.now - FZ_T0) / 1000) + 1);
		fz_wr32(o + 8, sl->ts_recent);
		optlen += 12;
	}
	hl = 20 + optlen;
	if (ctl & FZ_T_DATA_INPUT) {
		dlen = n;
		if (dlen > FZ_FRAME_MAX - l4 - hl)
			dlen = FZ_FRAME_MAX - l4 - hl;
		memcpy(f + l4 + hl, p, dlen);
	} else {
		dlen = fz_get16(hdr + 14) % 4000;
		for (i = 0; i < dlen; i++)
			f[l4 + hl + i] = fz_pat_c(seq + (uint32_t)i);
	}
	fz_wr16(f + l4, d->cport);
	fz_wr16(f + l4 + 2, d->dport);
	fz_wr32(f + l4 + 4, seq);
	fz_wr32(f + l4 + 8, ack);
	f[l4 + 12] = (uint8_t)(hl / 4 << 4);
	f[l4 + 13] = flags;
	fz_wr16(f + l4 + 14, fz_get16(hdr + 11));
	fz_wr16(f + l4 + 16, 0);
	fz_wr16(f + l4 + 18, 0);
	len = l4 + hl + dlen;
	fz_ip_finish(f, len);
	fz_apply_pokes(f, len);
	if (!(ctl & FZ_T_BAD_TCP_CSUM)) {
		uint32_t src = fz_rd32(f + 26), dst = fz_rd32(f + 30);

		fz_wr16(f + l4 + 16, 0);
		fz_wr16(f + l4 + 16, fz_fold(fz_sum(f + l4, len - l4,
				fz_pseudo(src, dst, 6, (uint16_t)(len - l4)))));
	}
	if (!(ctl & FZ_T_BAD_IP_CSUM))
		fz_ip_csum(f, len);
	if (!(ctl & FZ_T_NO_ADVANCE) && !(flags & 0x04)) {
		uint32_t end = seq + (uint32_t)dlen + !!(flags & 0x02) + !!(flags & 0x01);

		if ((flags & 0x02) || fz_seq_gt(end, sl->snd_nxt))
			sl->snd_nxt = end;
	}
	fz_inject(f, len);
}

/**
 * fz_op_arp() - FZ_OP_ARP: an ARP packet from a slot's client
 * @p:	[0] slot | [1] kind: 0 reply to the stack, 1 request for the VIP,
 *	2 request for the stack address, 3 gratuitous | [2] bit 0 broadcast
 * @n:	record length
 */
static void fz_op_arp(const uint8_t *p, size_t n)
{
	uint8_t f[60] = { 0 };
	uint8_t b[3] = { 0 };
	uint8_t cmac[6] = { 0x02, 0, 0, 0, 0x01, 0 };
	uint32_t spa, tpa;
	uint16_t op;

	memcpy(b, p, n < 3 ? n : 3);
	cmac[5] = (uint8_t)(b[0] % FZ_SLOTS);
	spa = fz_slot_defs[b[0] % FZ_SLOTS].client;
	switch (b[1] % 4) {
	case 0:
		op = 2;
		tpa = FZ_ADDR;
		break;
	case 1:
		op = 1;
		tpa = FZ_VIP;
		break;
	case 2:
		op = 1;
		tpa = FZ_ADDR;
		break;
	default:
		op = 1;
		tpa = spa;
		break;
	}
	memcpy(f, (b[2] & 1) || op == 1 ? fz_bcast : fz_mac, 6);
	memcpy(f + 6, cmac, 6);
	fz_wr16(f + 12, 0x0806);
	fz_wr16(f + 14, 1);
	fz_wr16(f + 16, 0x0800);
	f[18] = 6;
	f[19] = 4;
	fz_wr16(f + 20, op);
	memcpy(f + 22, cmac, 6);
	fz_wr32(f + 28, spa);
	if (op == 2)
		memcpy(f + 32, fz_mac, 6);
	fz_wr32(f + 38, tpa);
	fz_apply_pokes(f, sizeof(f));
	fz_inject(f, (b[2] & 2) ? 60 : 42);
}

/**
 * fz_op_icmp() - FZ_OP_ICMP: an ICMP message from a slot's client
 * @p:	[0] slot | [1] type (0 means echo request) | [2] code | [3..4] id |
 *	payload
 * @n:	record length
 */
static void fz_op_icmp(const uint8_t *p, size_t n)
{
	static uint8_t f[FZ_FRAME_MAX];
	uint8_t b[5] = { 0 };
	size_t l4, plen, len;
	int k;

	memcpy(b, p, n < 5 ? n : 5);
	p += n < 5 ? n : 5;
	n -= n < 5 ? n : 5;
	k = b[0] % FZ_SLOTS;
	l4 = fz_eth_ip(f, k, 1, b[0] & 0x80, false, fz_slot_defs[k].dst);
	plen = n < FZ_FRAME_MAX - l4 - 8 ? n : FZ_FRAME_MAX - l4 - 8;
	f[l4] = b[1] ? b[1] : 8;
	f[l4 + 1] = b[2];
	fz_wr16(f + l4 + 2, 0);
	f[l4 + 4] = b[3];
	f[l4 + 5] = b[4];
	fz_wr16(f + l4 + 6, 1);
	memcpy(f + l4 + 8, p, plen);
	len = l4 + 8 + plen;
	fz_ip_finish(f, len);
	fz_apply_pokes(f, len);
	fz_wr16(f + l4 + 2, fz_fold(fz_sum(f + l4, len - l4, 0)));
	fz_ip_csum(f, len);
	fz_inject(f, len);
}

/**
 * fz_op_clock() - FZ_OP_CLOCK: move the clock, run the timers
 * @p:	[0] mode: 0 +ms (u16), 1 to the next deadline, 2 +us (u32), 3 +s (u8)
 * @n:	record length
 */
static void fz_op_clock(const uint8_t *p, size_t n)
{
	uint8_t b[5] = { 0 };
	stack_time_us next;

	memcpy(b, p, n < 5 ? n : 5);
	switch (b[0] % 4) {
	case 0:
		fz.now += (stack_time_us)fz_get16(b + 1) * 1000;
		break;
	case 1:
		next = stack_next_timer(fz.s);
		if (next != STACK_TIME_NEVER && next > fz.now)
			fz.now = next;
		break;
	case 2:
		fz.now += fz_get32(b + 1);
		break;
	default:
		fz.now += (stack_time_us)b[1] * 1000000;
		break;
	}
	fz.in_stack = true;
	stack_timers(fz.s, fz.now);
	fz.in_stack = false;
	next = stack_next_timer(fz.s);
	if (next <= fz.now)
		FZ_FAIL("stack_timers(%llu) left a deadline at %llu",
			(unsigned long long)fz.now, (unsigned long long)next);
}

/**
 * fz_op_app() - FZ_OP_APP: the application acts on one of its connections
 * @p:	[0] connection index | [1] action | [2..5] argument (LE)
 * @n:	record length
 */
static void fz_op_app(const uint8_t *p, size_t n)
{
	uint8_t b[6] = { 0 };
	struct fz_conn *fc;
	struct tcp_conn_info info;
	uint32_t arg;

	memcpy(b, p, n < 6 ? n : 6);
	if (!fz.n_conns)
		return;
	fc = fz.conns[b[0] % fz.n_conns];
	if (fc->closed)
		return;
	arg = fz_get32(b + 2);
	fz.in_stack = true;
	switch (b[1] % 8) {
	case 0:
		if (fc->pending) {
			fc->pending = false;
			if (tcp_accept(fc->c, fz.now) && !fc->closed)
				FZ_FAIL("tcp_accept failed on a pending connection");
		}
		break;
	case 1:
		if (fc->pending) {
			fc->pending = false;
			tcp_reject(fc->c, fz.now);
			if (!fc->closed)
				FZ_FAIL("tcp_reject returned without TCP_EV_CLOSED");
		}
		break;
	case 2:
	case 6:
		if (!fc->shutdown) {
			fc->end += (b[1] % 8 == 2) ? arg % 70000 : arg % (1u << 24);
			tcp_send_avail(fc->c, (size_t)(fc->end - fc->acked), fz.now);
		}
		break;
	case 3:
		if (!fc->shutdown) {
			fc->shutdown = true;
			tcp_shutdown(fc->c, fz.now);
		}
		break;
	case 4:
		tcp_abort(fc->c, fz.now);
		if (!fc->closed)
			FZ_FAIL("tcp_abort returned without TCP_EV_CLOSED");
		break;
	case 5:
		tcp_window_update(fc->c, fz.now);
		break;
	default:
		tcp_conn_info(fc->c, &info);
		if (!info.state || !fz_tuple_eq(&info.tuple, &fc->tu))
			FZ_FAIL("tcp_conn_info: state %p, tuple mismatch", (const void *)info.state);
		if (info.bytes_in != fc->delivered)
			FZ_FAIL("tcp_conn_info: bytes_in %llu, delivered %llu",
				(unsigned long long)info.bytes_in,
				(unsigned long long)fc->delivered);
		break;
	}
	fz.in_stack = false;
}

/**
 * fz_op_policy() - FZ_OP_POLICY: change the callbacks' answers
 * @p:	[0] syn verdict | [1] deliver mode | [2] deliver max | [3] rcv_space
 *	choice | [4] produce mode (each only if present)
 * @n:	record length
 */
static void fz_op_policy(const uint8_t *p, size_t n)
{
	static const size_t spaces[8] = { 65535, 0, 1, 100, 1460, 3000, 1u << 20, 40000 };

	if (n > 0)
		fz.policy.verdict = (enum stack_syn_verdict)(p[0] % 3);
	if (n > 1)
		fz.policy.deliver = p[1] % 4;
	if (n > 2)
		fz.policy.deliver_max = p[2];
	if (n > 3)
		fz.policy.rcv_space = spaces[p[3] % 8];
	if (n > 4)
		fz.policy.produce = p[4] % 8 == 7 ? 2 : p[4] % 8 == 6 ? 1 : 0;
}

/**
 * fz_op_vip() - FZ_OP_VIP: local address changes under live connections
 * @p:	[0] 0 delete the VIP, 1 add it, 2 toggle promiscuous IP
 * @n:	record length
 */
static void fz_op_vip(const uint8_t *p, size_t n)
{
	switch (n ? p[0] % 3 : 0) {
	case 0:
		stack_del_vip(fz.s, FZ_VIP);
		fz.vip_on = false;
		break;
	case 1:
		if (stack_add_vip(fz.s, FZ_VIP))
			FZ_FAIL("stack_add_vip failed");
		fz.vip_on = true;
		break;
	default:
		fz.promisc = !fz.promisc;
		fz.was_promisc |= fz.promisc;
		stack_set_promiscuous_ip(fz.s, fz.promisc);
		break;
	}
}

/**
 * fz_count_conn() - stack_for_each_conn() callback: count
 * @arg:	size_t counter
 * @c:		connection
 */
static void fz_count_conn(void *arg, struct tcp_conn *c)
{
	(void)c;
	(*(size_t *)arg)++;
}

/**
 * fz_setup() - a fresh stack and application for one input
 * @h:	the first header byte (FZ_H_*)
 * @h2:	the second header byte (FZ_H2_*)
 */
static void fz_setup(uint8_t h, uint8_t h2)
{
	struct stack_config cfg = { 0 };
	char err[256];

	memset(&fz, 0, sizeof(fz));
	fz.now = FZ_T0;
	fz.mtu = (h & FZ_H_SMALL_MTU) ? 576 : 1500;
	fz.auto_arp = !(h & FZ_H_NO_AUTO_ARP);
	fz.promisc = h & FZ_H_PROMISC;
	fz.was_promisc = fz.promisc;
	fz.isn_fixed = (h & FZ_H_ISN_FIXED) ? FZ_ISN_FIXED : 0;
	fz.policy.verdict = STACK_SYN_ACCEPT;
	fz.policy.rcv_space = 65535;
	for (int k = 0; k < FZ_SLOTS; k++) {
		fz.slots[k].snd_nxt = (h & FZ_H_CLIENT_WRAP) ? 0xffffff00u - 0x100u * (uint32_t)k
							     : 100000u * (uint32_t)(k + 1);
		fz.slots[k].stack_nxt = 0;
	}
	fz.link = link_mem_create(FZ_LINK_CAP);
	if (!fz.link)
		abort();
	cfg.addr = FZ_ADDR;
	cfg.prefix_len = FZ_PREFIX;
	memcpy(cfg.mac, fz_mac, 6);
	cfg.mtu = fz.mtu;
	cfg.max_conns = (h & FZ_H_TINY_TABLE) ? 2 : 64;
	memcpy(cfg.isn_key, "tcpgate-fuzz-key", 16);
	cfg.isn_fixed = fz.isn_fixed;
	if (h & FZ_H_COOKIES)
		cfg.syncookie_threshold = 1;
	else if (h2 & FZ_H2_NO_COOKIES)
		cfg.syncookie_threshold = UINT32_MAX;
	cfg.cc = (h & FZ_H_NEWRENO) ? STACK_CC_NEWRENO : STACK_CC_CUBIC;
	if (h2 & FZ_H2_KEEPALIVE) {
		cfg.keepalive_idle_s = 10;
		cfg.keepalive_intvl_s = 2;
		cfg.keepalive_count = 3;
	}
	if (h2 & FZ_H2_SMALL_OOO) {
		cfg.ooo_per_conn = 2;
		cfg.ooo_pool = 4;
	}
	cfg.ops = &fz_ops;
	cfg.app = &fz;
	cfg.link.send = fz_link_send;
	cfg.link.ctx = fz.link;
	fz.s = stack_create(&cfg, err, sizeof(err));
	if (!fz.s) {
		fprintf(stderr, "stack_create: %s\n", err);
		abort();
	}
	if (stack_add_vip(fz.s, FZ_VIP))
		abort();
	fz.vip_on = true;
	stack_set_promiscuous_ip(fz.s, fz.promisc);
}

/**
 * fz_teardown() - abort what is live, let every timer run out, check that
 * nothing is left, free everything
 */
static void fz_teardown(void)
{
	const struct stack_stats *st;
	size_t n = 0;

	for (size_t i = 0; i < fz.n_conns; i++) {
		struct fz_conn *fc = fz.conns[i];

		if (fc->closed)
			continue;
		fz.in_stack = true;
		tcp_abort(fc->c, fz.now);
		fz.in_stack = false;
		if (!fc->closed)
			FZ_FAIL("teardown: tcp_abort returned without TCP_EV_CLOSED");
		fz_drain();
	}
	for (int i = 0; i < 4; i++) {
		fz.now += 600ull * 1000000;
		fz.in_stack = true;
		stack_timers(fz.s, fz.now);
		fz.in_stack = false;
		fz_drain();
	}
	st = stack_stats(fz.s);
	if (st->connections_active || st->time_wait)
		FZ_FAIL("teardown: %llu connections active, %llu in TIME-WAIT after everything "
			"was aborted and timers ran 40 minutes ahead",
			(unsigned long long)st->connections_active,
			(unsigned long long)st->time_wait);
	if (stack_for_each_conn(fz.s, fz_count_conn, &n) || n)
		FZ_FAIL("teardown: stack_for_each_conn still finds %zu", n);
	if (stack_next_timer(fz.s) != STACK_TIME_NEVER)
		FZ_FAIL("teardown: a timer is still armed at %llu (now %llu)",
			(unsigned long long)stack_next_timer(fz.s), (unsigned long long)fz.now);
	stack_destroy(fz.s);
	link_mem_destroy(fz.link);
	for (size_t i = 0; i < fz.n_conns; i++)
		free(fz.conns[i]);
	fz.n_conns = 0;
}

/**
 * LLVMFuzzerTestOneInput() - one input: two header bytes, then records
 * @data:	input
 * @size:	its length
 *
 * Return: 0
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t raw[FZ_FRAME_MAX];
	size_t pos = 2, steps = 0;

	if (fz_trace < 0) {
		fz_trace = getenv("FUZZ_TRACE") != NULL;
		fz_known_bugs = getenv("FUZZ_KNOWN_BUGS") != NULL;
	}
	if (size < 2)
		return 0;
	fz_setup(data[0], data[1]);
	while (pos + 3 <= size && steps++ < FZ_MAX_STEPS) {
		uint8_t op = data[pos];
		size_t len = fz_get16(data + pos + 1);
		const uint8_t *p = data + pos + 3;

		pos += 3;
		if (len > size - pos)
			len = size - pos;
		pos += len;
		FZ_TRACE("step op %u len %zu now %llu\n", op % FZ_OP__COUNT, len,
			 (unsigned long long)(fz.now - FZ_T0));
		switch (op % FZ_OP__COUNT) {
		case FZ_OP_RAW:
			if (len > sizeof(raw))
				len = sizeof(raw);
			memcpy(raw, p, len);
			fz_inject(raw, len);
			break;
		case FZ_OP_VNET:
			fz_op_vnet(p, len);
			break;
		case FZ_OP_TCP:
			fz_op_tcp(p, len);
			break;
		case FZ_OP_CLOCK:
			fz_op_clock(p, len);
			break;
		case FZ_OP_APP:
			fz_op_app(p, len);
			break;
		case FZ_OP_POLICY:
			fz_op_policy(p, len);
			break;
		case FZ_OP_ARP:
			fz_op_arp(p, len);
			break;
		case FZ_OP_ICMP:
			fz_op_icmp(p, len);
			break;
		case FZ_OP_POKE:
			for (size_t i = 0; i + 3 <= len && fz.n_pokes < FZ_MAX_POKES; i += 3) {
				fz.pokes[fz.n_pokes] = fz_get16(p + i);
				fz.poke_val[fz.n_pokes++] = p[i + 2];
			}
			break;
		default:
			fz_op_vip(p, len);
			break;
		}
		fz_drain();
	}
	fz_teardown();
	return 0;
}
