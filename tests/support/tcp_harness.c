/* SPDX-License-Identifier: MIT */
/*
 * tcp_harness.c - fake application and TCP peer for scenario tests
 *
 * See tcp_harness.h. One harness per test process (criterion runs each test
 * in its own process): the state is the global th. Callbacks only record;
 * they never call back into the stack (stack.h). Checksums are computed with
 * frames.c's naive RFC 1071 code, not the stack's.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stack/link_mem.h"
#include "tests/support/frames.h"
#include "tests/support/tcp_harness.h"

struct th_state th;

static const uint8_t th_our_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t th_peer_mac[6] = { 0x02, 0, 0, 0, 0, 0xaa };
#define TH_OUR_IP	0x0a580001u	/* 10.88.0.1 */
#define TH_PEER_IP	0x0a580002u	/* 10.88.0.2 */

/**
 * th_conn_index() - index of a connection in th.conns
 * @c:	connection
 *
 * Return: index, or -1
 */
static int th_conn_index(const struct tcp_conn *c)
{
	for (int i = 0; i < th.nconns; i++)
		if (th.conns[i] == c && !th.closed[i])
			return i;
	return -1;
}

/**
 * th_syn() - ops.syn: remember the connection, answer th.verdict
 * @app:	unused
 * @c:		the connection
 * @t:		its tuple
 *
 * Return: th.verdict
 */
static enum stack_syn_verdict th_syn(void *app, struct tcp_conn *c, const struct tcp_tuple *t)
{
	(void)app;
	cr_assert_eq(t->client_addr, TH_PEER_IP);
	cr_assert(th.nconns < 64);
	th.conns[th.nconns] = c;
	th.closed[th.nconns++] = false;
	th.conn = c;
	th.syn_calls++;
	tcp_conn_set_ctx(c, &th);
	return th.verdict;
}

/**
 * th_deliver() - ops.deliver: keep at most deliver_max bytes
 * @app:	unused
 * @c:		connection
 * @ctx:	must be &th
 * @data:	bytes
 * @len:	their count
 *
 * Return: bytes taken
 */
static size_t th_deliver(void *app, struct tcp_conn *c, void *ctx,
			 const uint8_t *data, size_t len)
{
	size_t n = len < th.deliver_max ? len : th.deliver_max;

	(void)app, (void)c;
	cr_assert_eq(ctx, &th);
	if (n > TH_BUF - th.rx_len)
		n = TH_BUF - th.rx_len;
	memcpy(th.rx + th.rx_len, data, n);
	th.rx_len += n;
	return n;
}

/**
 * th_rcv_space() - ops.rcv_space
 * @app:	unused
 * @c:		unused
 * @ctx:	unused
 *
 * Return: th.rcv_space
 */
static size_t th_rcv_space(void *app, struct tcp_conn *c, void *ctx)
{
	(void)app, (void)c, (void)ctx;
	return th.rcv_space;
}

/**
 * th_produce() - ops.produce: copy from the send stream
 * @app:	unused
 * @c:		unused
 * @ctx:	unused
 * @offset:	from the oldest unacknowledged byte
 * @buf:	destination
 * @len:	wanted
 *
 * Return: bytes copied
 */
static ssize_t th_produce(void *app, struct tcp_conn *c, void *ctx, size_t offset,
			  uint8_t *buf, size_t len)
{
	size_t held = th.tx_len - th.tx_acked;

	(void)app, (void)c, (void)ctx;
	cr_assert_leq(offset + len, held, "produce beyond what the app holds: %zu+%zu > %zu",
		      offset, len, held);
	memcpy(buf, th.tx + th.tx_acked + offset, len);
	return (ssize_t)len;
}

/**
 * th_acked() - ops.acked
 * @app:	unused
 * @c:		unused
 * @ctx:	unused
 * @n:		bytes acknowledged
 */
static void th_acked(void *app, struct tcp_conn *c, void *ctx, size_t n)
{
	(void)app, (void)c, (void)ctx;
	cr_assert_leq(th.tx_acked + n, th.tx_len, "acked more than written");
	th.tx_acked += n;
}

/**
 * th_event() - ops.event: record; flag events after CLOSED
 * @app:	unused
 * @c:		connection
 * @ctx:	unused
 * @ev:	the event
 */
static void th_event(void *app, struct tcp_conn *c, void *ctx, enum tcp_event ev)
{
	int i = th_conn_index(c);

	(void)app, (void)ctx;
	if (i < 0) {
		th.late_event = true;
		return;
	}
	if (th.nev < TH_MAX_EVENTS)
		th.ev[th.nev++] = (struct th_event){ c, ev };
	if (ev == TCP_EV_CLOSED)
		th.closed[i] = true;
}

static const struct stack_ops th_ops = {
	.syn = th_syn, .deliver = th_deliver, .rcv_space = th_rcv_space,
	.produce = th_produce, .acked = th_acked, .event = th_event,
};

/**
 * th_config_default() - reset th and fill th.cfg with the defaults
 */
void th_config_default(void)
{
	memset(&th, 0, sizeof(th));
	th.lm = link_mem_create(4096);
	cr_assert(th.lm);
	th.cfg = (struct stack_config){
		.addr = TH_OUR_IP, .prefix_len = 24, .mtu = 1500,
		.max_conns = TH_MAX_CONNS, .isn_fixed = TH_ISS, .ops = &th_ops,
		.app = &th, .link = { link_mem_send, th.lm },
	};
	memcpy(th.cfg.mac, th_our_mac, 6);
	th.now = TH_T0;
	th.verdict = STACK_SYN_ACCEPT;
	th.deliver_max = SIZE_MAX;
	th.rcv_space = 65535;
	th.rx = calloc(1, TH_BUF);
	th.tx = calloc(1, TH_BUF);
	cr_assert(th.rx && th.tx);
}

/**
 * th_setup_cfg() - create the stack from th.cfg
 */
void th_setup_cfg(void)
{
	char err[256] = "";

	th.s = stack_create(&th.cfg, err, sizeof(err));
	cr_assert(th.s, "stack_create: %s", err);
}

/**
 * th_config_offload() - make the in-memory link advertise offloads
 * @tso_max:	largest GSO IPv4 packet, 0 = no TSO
 * @csum:	checksum offload
 */
void th_config_offload(uint32_t tso_max, bool csum)
{
	link_mem_set_offload(th.lm, tso_max, csum);
	th.cfg.link = link_mem_link(th.lm);
}

/**
 * th_setup() - default configuration and stack
 */
void th_setup(void)
{
	th_config_default();
	th_setup_cfg();
}

/**
 * th_count_live() - stack_for_each_conn() callback counting
 * @arg:	size_t counter
 * @c:		connection
 */
static void th_count_live(void *arg, struct tcp_conn *c)
{
	cr_expect(th_conn_index(c) >= 0, "stack holds a connection the app was told is closed");
	(*(size_t *)arg)++;
}

/**
 * th_teardown() - leak check, then free everything
 *
 * Every connection the application saw is either closed (CLOSED was its
 * last event) or still live in the stack, and the stack's gauge agrees.
 */
void th_teardown(void)
{
	size_t live = 0, open = 0;

	if (th.s) {
		stack_for_each_conn(th.s, th_count_live, &live);
		for (int i = 0; i < th.nconns; i++)
			open += !th.closed[i];
		cr_expect_eq(live, open, "live %zu, app holds %zu", live, open);
		cr_expect_eq(stack_stats(th.s)->connections_active, open);
		cr_expect(!th.late_event, "an event arrived after CLOSED");
		stack_destroy(th.s);
	}
	link_mem_destroy(th.lm);
	free(th.rx);
	free(th.tx);
	th.s = NULL;
}

/**
 * th_tcp_csum() - TCP checksum with the pseudo-header, frames.c's code
 * @src:	source, host order
 * @dst:	destination, host order
 * @seg:	TCP header and payload
 * @len:	length
 *
 * Return: the checksum in host order (0 when verifying a correct segment)
 */
static uint16_t th_tcp_csum(uint32_t src, uint32_t dst, const uint8_t *seg, size_t len)
{
	static uint8_t buf[12 + 65536];
	uint32_t a = htonl(src), b = htonl(dst);
	uint16_t l = htons((uint16_t)len);

	memcpy(buf, &a, 4);
	memcpy(buf + 4, &b, 4);
	buf[8] = 0;
	buf[9] = 6;
	memcpy(buf + 10, &l, 2);
	memcpy(buf + 12, seg, len);
	return frm_csum(buf, 12 + len);
}

/**
 * th_pseudo_sum() - folded one's complement sum of the TCP pseudo-header
 * @src:	source, host order
 * @dst:	destination, host order
 * @len:	TCP length
 *
 * Return: the sum in host order, not complemented (a partial checksum seed)
 */
static uint16_t th_pseudo_sum(uint32_t src, uint32_t dst, size_t len)
{
	uint32_t sum = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + 6 +
		       (uint32_t)len;

	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* How th_build() fills the TCP checksum field */
enum th_csum_mode { TH_CSUM_GOOD, TH_CSUM_BAD, TH_CSUM_SEED, TH_CSUM_GARBAGE };

/**
 * th_build() - build a client segment's whole frame
 * @frame:	filled (65536 + 64 bytes of room)
 * @cport:	client port
 * @flags:	TCP flags
 * @seq:	sequence number
 * @ack:	acknowledgment number
 * @win:	window
 * @opts:	raw options (padded by the caller to a multiple of 4), or NULL
 * @optlen:	their length
 * @data:	payload, or NULL
 * @dlen:	its length
 * @mode:	what goes into the checksum field
 *
 * Return: the frame length
 */
static size_t th_build(uint8_t *frame, uint16_t cport, uint8_t flags, uint32_t seq,
		       uint32_t ack, uint16_t win, const uint8_t *opts, size_t optlen,
		       const void *data, size_t dlen, enum th_csum_mode mode)
{
	static uint8_t seg[65536];
	size_t hl = 20 + optlen, len = hl + dlen, n;
	uint16_t ck, v;
	uint32_t w;

	cr_assert(optlen % 4 == 0 && optlen <= 40);
	memset(seg, 0, hl);
	v = htons(cport); memcpy(seg, &v, 2);
	v = htons(TH_VPORT); memcpy(seg + 2, &v, 2);
	w = htonl(seq); memcpy(seg + 4, &w, 4);
	w = htonl(ack); memcpy(seg + 8, &w, 4);
	seg[12] = (uint8_t)((hl / 4) << 4);
	seg[13] = flags;
	v = htons(win); memcpy(seg + 14, &v, 2);
	if (optlen)
		memcpy(seg + 20, opts, optlen);
	if (dlen)
		memcpy(seg + hl, data, dlen);
	cr_assert_leq(len, sizeof(seg) - 20);
	ck = th_tcp_csum(TH_PEER_IP, TH_OUR_IP, seg, len);
	if (mode == TH_CSUM_BAD)
		ck ^= 0x1234;
	else if (mode == TH_CSUM_SEED)
		ck = th_pseudo_sum(TH_PEER_IP, TH_OUR_IP, len);
	else if (mode == TH_CSUM_GARBAGE)
		ck = (uint16_t)(ck ^ 0x5a5a);
	v = htons(ck);
	memcpy(seg + 16, &v, 2);
	n = frm_eth(frame, th_our_mac, th_peer_mac, 0x0800);
	n += frm_ip4(frame + n, TH_PEER_IP, TH_OUR_IP, 6, seg, len, NULL);
	return n;
}

/**
 * th_send_opts() - build a client segment and inject it
 * @cport:	client port
 * @flags:	TCP flags
 * @seq:	sequence number
 * @ack:	acknowledgment number
 * @win:	window
 * @opts:	raw options (padded by the caller to a multiple of 4), or NULL
 * @optlen:	their length
 * @data:	payload, or NULL
 * @dlen:	its length
 * @bad_csum:	corrupt the TCP checksum
 */
void th_send_opts(uint16_t cport, uint8_t flags, uint32_t seq, uint32_t ack,
		  uint16_t win, const uint8_t *opts, size_t optlen,
		  const void *data, size_t dlen, bool bad_csum)
{
	static uint8_t frame[65536 + 64];
	size_t n = th_build(frame, cport, flags, seq, ack, win, opts, optlen, data, dlen,
			    bad_csum ? TH_CSUM_BAD : TH_CSUM_GOOD);

	stack_input(th.s, frame, n, th.now);
}

/**
 * th_send_ex() - inject a client segment with offload metadata
 * @flags:	TCP flags
 * @seq:	sequence number
 * @ack:	acknowledgment number
 * @win:	window
 * @opts:	raw options, or NULL
 * @optlen:	their length
 * @data:	payload, or NULL
 * @dlen:	its length
 * @off:	gso_type, gso_size, csum; nonzero hdr_len/csum_start/csum_offset
 *		override the true values
 */
void th_send_ex(uint8_t flags, uint32_t seq, uint32_t ack, uint16_t win,
		const uint8_t *opts, size_t optlen, const void *data, size_t dlen,
		const struct stack_offload *off)
{
	static uint8_t frame[65536 + 64];
	struct stack_offload o = *off;
	enum th_csum_mode mode = off->csum == STACK_CSUM_PARTIAL ? TH_CSUM_SEED :
				 off->csum == STACK_CSUM_VALID ? TH_CSUM_GARBAGE : TH_CSUM_GOOD;
	size_t n = th_build(frame, TH_CPORT, flags, seq, ack, win, opts, optlen, data, dlen,
			    mode);

	if (!o.hdr_len && o.gso_type != STACK_GSO_NONE)
		o.hdr_len = (uint16_t)(14 + 20 + 20 + optlen);
	if (o.csum == STACK_CSUM_PARTIAL) {
		if (!o.csum_start)
			o.csum_start = 14 + 20;
		if (!o.csum_offset)
			o.csum_offset = 16;
	}
	stack_input_ex(th.s, frame, n, &o, th.now);
}

/**
 * th_send() - inject a client segment from TH_CPORT without options
 * @flags:	TCP flags
 * @seq:	sequence number
 * @ack:	acknowledgment number
 * @win:	window
 * @data:	payload or NULL
 * @dlen:	its length
 */
void th_send(uint8_t flags, uint32_t seq, uint32_t ack, uint16_t win,
	     const void *data, size_t dlen)
{
	th_send_opts(TH_CPORT, flags, seq, ack, win, NULL, 0, data, dlen, false);
}

/**
 * th_answer_arp() - reply to the stack's ARP request for the client
 * @a:	the request
 */
static void th_answer_arp(const struct frm_arp_view *a)
{
	uint8_t frame[64];
	size_t n;

	cr_assert_eq(a->tpa, TH_PEER_IP, "ARP for an unexpected address");
	n = frm_arp(frame, th_our_mac, 2, th_peer_mac, TH_PEER_IP, th_our_mac, TH_OUR_IP);
	stack_input(th.s, frame, n, th.now);
}

/**
 * th_parse_tcp() - fill @out from a TCP segment
 * @ip:		its IPv4 view
 * @out:	filled
 */
static void th_parse_tcp(const struct frm_ip4_view *ip, struct th_seg *out)
{
	const uint8_t *p = ip->payload;
	size_t hl;

	cr_assert_geq(ip->plen, 20u);
	hl = (size_t)(p[12] >> 4) * 4;
	cr_assert(hl >= 20 && hl <= ip->plen);
	memset(out, 0, sizeof(*out));
	out->src = ip->src;
	out->dst = ip->dst;
	out->sport = (uint16_t)(p[0] << 8 | p[1]);
	out->dport = (uint16_t)(p[2] << 8 | p[3]);
	out->seq = (uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7];
	out->ack = (uint32_t)p[8] << 24 | (uint32_t)p[9] << 16 | (uint32_t)p[10] << 8 | p[11];
	out->flags = p[13];
	out->win = (uint16_t)(p[14] << 8 | p[15]);
	out->optlen = hl - 20;
	memcpy(out->opts, p + 20, out->optlen);
	out->mss = -1;
	for (size_t i = 0; i < out->optlen; ) {
		if (out->opts[i] == 0)
			break;
		if (out->opts[i] == 1) {
			i++;
			continue;
		}
		if (out->opts[i] == 2 && out->opts[i + 1] == 4)
			out->mss = out->opts[i + 2] << 8 | out->opts[i + 3];
		i += out->opts[i + 1] ? out->opts[i + 1] : 1;
	}
	out->dlen = ip->plen - hl;
	cr_assert_leq(out->dlen, sizeof(out->data));
	memcpy(out->data, p + hl, out->dlen);
	out->csum_ok = th_tcp_csum(ip->src, ip->dst, p, ip->plen) == 0;
}

/* pieces of the last GSO frame not returned yet by th_pop() */
static struct th_seg th_pieces[64];
static unsigned th_npieces, th_next_piece;

/**
 * th_finish_csum() - the NIC's part of a partial checksum, checked
 * @ip:		the IPv4 view (payload writable through the frame)
 * @seg:	the TCP segment in the frame
 * @off:	its metadata
 */
static void th_finish_csum(const struct frm_ip4_view *ip, uint8_t *seg,
			   const struct stack_offload *off)
{
	uint16_t seed, v;

	cr_assert_eq(off->csum_start, 14 + ip->ihl * 4, "csum_start %u", off->csum_start);
	cr_assert_eq(off->csum_offset, 16, "csum_offset %u", off->csum_offset);
	memcpy(&v, seg + 16, 2);
	seed = th_pseudo_sum(ip->src, ip->dst, ip->plen);
	cr_assert_eq(ntohs(v) % 0xffff, seed % 0xffff,
		     "partial checksum seed %#x, pseudo-header sum %#x", ntohs(v), seed);
	memset(seg + 16, 0, 2);
	v = htons(th_tcp_csum(ip->src, ip->dst, seg, ip->plen));
	memcpy(seg + 16, &v, 2);
}

/**
 * th_cut_gso() - cut a GSO frame into its pieces, as the link would
 * @ip:		the IPv4 view of the super-segment
 * @seg:	its TCP segment (writable)
 * @off:	its metadata
 */
static void th_cut_gso(const struct frm_ip4_view *ip, uint8_t *seg,
		       const struct stack_offload *off)
{
	static uint8_t piece[65536];
	size_t hl = (size_t)(seg[12] >> 4) * 4, payload = ip->plen - hl;
	uint32_t seq0 = (uint32_t)seg[4] << 24 | (uint32_t)seg[5] << 16 |
			(uint32_t)seg[6] << 8 | seg[7];
	uint8_t flags = seg[13];
	unsigned k = 0;

	cr_assert_eq(off->gso_type, STACK_GSO_TCPV4);
	cr_assert_eq(off->csum, STACK_CSUM_PARTIAL, "GSO frame without a partial checksum");
	cr_assert_eq(off->hdr_len, 14 + ip->ihl * 4 + hl, "hdr_len %u", off->hdr_len);
	cr_assert_gt(off->gso_size, 0);
	cr_assert_gt(payload, off->gso_size, "GSO frame of %zu bytes, gso_size %u",
		     payload, off->gso_size);
	th_finish_csum(ip, seg, off);		/* checks the seed over the whole */
	th.gso.frames++;
	th.gso.last_size = off->gso_size;
	th.gso.last_len = (unsigned)payload;
	if (payload > th.gso.max_len)
		th.gso.max_len = (unsigned)payload;
	for (size_t at = 0; at < payload; at += off->gso_size, k++) {
		size_t dl = payload - at < off->gso_size ? payload - at : off->gso_size;
		uint32_t seq = htonl(seq0 + (uint32_t)at);
		struct frm_ip4_view pv = *ip;
		bool last = at + dl == payload;
		uint16_t v;

		cr_assert_lt(k, 64u);
		memcpy(piece, seg, hl);
		memcpy(piece + 4, &seq, 4);
		/* Linux tcp_gso_segment(): FIN and PSH only on the last piece */
		piece[13] = last ? flags : (uint8_t)(flags & ~0x09);
		memcpy(piece + hl, seg + hl + at, dl);
		memset(piece + 16, 0, 2);
		v = htons(th_tcp_csum(ip->src, ip->dst, piece, hl + dl));
		memcpy(piece + 16, &v, 2);
		pv.payload = piece;
		pv.plen = hl + dl;
		th_parse_tcp(&pv, &th_pieces[k]);
	}
	th_npieces = k;
	th_next_piece = 0;
	th.gso.pieces += k;
	th.gso.last_pieces = k;
}

/**
 * th_pop() - next TCP segment the stack sent (ARP requests answered on the way)
 * @out:	filled
 *
 * A GSO frame is cut into pieces, returned one per call; a partial checksum
 * is finished (th_config_offload()).
 *
 * Return: true if there was one
 */
bool th_pop(struct th_seg *out)
{
	static uint8_t f[70000];
	struct stack_offload off;
	struct frm_eth_view e;
	struct frm_ip4_view ip;
	struct frm_arp_view a;
	size_t n;

	if (th_next_piece < th_npieces) {
		*out = th_pieces[th_next_piece++];
		return true;
	}
	while ((n = link_mem_pop_ex(th.lm, f, sizeof(f), &off)) > 0) {
		cr_assert(frm_parse_eth(f, n, &e));
		if (e.type == 0x0806) {
			cr_assert(frm_parse_arp(e.payload, e.len, &a));
			if (a.op == 1)
				th_answer_arp(&a);
			continue;
		}
		cr_assert_eq(e.type, 0x0800);
		cr_assert(frm_parse_ip4(e.payload, e.len, &ip));
		cr_assert(ip.csum_ok);
		cr_assert_eq(ip.proto, 6, "unexpected IP protocol %u", ip.proto);
		if (off.csum == STACK_CSUM_PARTIAL)
			th.gso.partial++;
		if (off.gso_type != STACK_GSO_NONE) {
			th_cut_gso(&ip, (uint8_t *)(uintptr_t)ip.payload, &off);
			*out = th_pieces[th_next_piece++];
			return true;
		}
		cr_assert_leq(ip.tot_len, th.cfg.mtu, "a plain frame above the MTU");
		if (off.csum == STACK_CSUM_PARTIAL)
			th_finish_csum(&ip, (uint8_t *)(uintptr_t)ip.payload, &off);
		else
			cr_assert_eq(off.csum, STACK_CSUM_NONE);
		th_parse_tcp(&ip, out);
		cr_assert(out->csum_ok, "bad TCP checksum from the stack");
		cr_assert_eq(out->src, TH_OUR_IP);
		cr_assert_eq(out->dst, TH_PEER_IP);
		return true;
	}
	return false;
}

/**
 * th_flags_str() - flags as text for messages
 * @f:	flags
 *
 * Return: static string
 */
static const char *th_flags_str(uint8_t f)
{
	static char b[4][16];
	static int k;
	char *p = b[k++ & 3];

	snprintf(p, 16, "%s%s%s%s%s", f & 0x02 ? "S" : "", f & 0x01 ? "F" : "",
		 f & 0x04 ? "R" : "", f & 0x08 ? "P" : "", f & 0x10 ? "." : "");
	return p;
}

/**
 * th_expect() - pop one segment and check its fields
 * @out:	filled (may be NULL)
 * @flags:	expected flags
 * @seq:	expected sequence number
 * @ack:	expected acknowledgment number (checked only if ACK set)
 * @win:	expected window
 * @dlen:	expected payload length
 */
void th_expect(struct th_seg *out, uint8_t flags, uint32_t seq, uint32_t ack,
	       uint16_t win, size_t dlen)
{
	struct th_seg tmp;

	if (!out)
		out = &tmp;
	cr_assert(th_pop(out), "expected a segment [%s] seq %u at t=+%llu ms, got nothing",
		  th_flags_str(flags), seq, (unsigned long long)((th.now - TH_T0) / 1000));
	cr_assert_eq(out->flags, flags, "flags [%s], expected [%s]",
		     th_flags_str(out->flags), th_flags_str(flags));
	cr_assert_eq(out->seq, seq, "seq %u, expected %u", out->seq, seq);
	if (flags & 0x10)
		cr_assert_eq(out->ack, ack, "ack %u, expected %u", out->ack, ack);
	cr_assert_eq(out->win, win, "win %u, expected %u", out->win, win);
	cr_assert_eq(out->dlen, dlen, "dlen %zu, expected %zu", out->dlen, dlen);
	cr_assert_eq(out->sport, TH_VPORT);
}

/**
 * th_expect_none() - assert the stack sent nothing
 */
void th_expect_none(void)
{
	struct th_seg s;

	cr_assert(!th_pop(&s), "unexpected segment [%s] seq %u ack %u len %zu",
		  th_flags_str(s.flags), s.seq, s.ack, s.dlen);
}

/**
 * th_run_next_timer() - jump to the next deadline and run it
 *
 * Return: the deadline, or STACK_TIME_NEVER (clock unchanged)
 */
stack_time_us th_run_next_timer(void)
{
	stack_time_us t = stack_next_timer(th.s);

	if (t == STACK_TIME_NEVER)
		return t;
	if (t > th.now)
		th.now = t;
	stack_timers(th.s, th.now);
	return t;
}

/**
 * th_advance() - move the clock forward, running timers at their times
 * @us:	how far
 */
void th_advance(stack_time_us us)
{
	stack_time_us end = th.now + us, t;

	while ((t = stack_next_timer(th.s)) != STACK_TIME_NEVER && t <= end) {
		if (t > th.now)
			th.now = t;
		stack_timers(th.s, th.now);
	}
	th.now = end;
}

/**
 * th_write() - the application has more to send
 * @data:	bytes (NULL: a pattern)
 * @len:	count
 */
void th_write(const void *data, size_t len)
{
	cr_assert_leq(th.tx_len + len, TH_BUF);
	for (size_t i = 0; i < len; i++)
		th.tx[th.tx_len + i] = data ? ((const uint8_t *)data)[i]
					    : (uint8_t)((th.tx_len + i) * 7 + 3);
	th.tx_len += len;
	tcp_send_avail(th.conn, th.tx_len - th.tx_acked, th.now);
}

/**
 * th_write_final() - the application's last bytes: tcp_send_final()
 * @len:	count (a pattern)
 */
void th_write_final(size_t len)
{
	cr_assert_leq(th.tx_len + len, TH_BUF);
	for (size_t i = 0; i < len; i++)
		th.tx[th.tx_len + i] = (uint8_t)((th.tx_len + i) * 7 + 3);
	th.tx_len += len;
	tcp_send_final(th.conn, th.tx_len - th.tx_acked, th.now);
}

/**
 * th_count_ev() - how many events of a kind were recorded
 * @ev:	the kind
 *
 * Return: the count
 */
int th_count_ev(enum tcp_event ev)
{
	int n = 0;

	for (int i = 0; i < th.nev; i++)
		n += th.ev[i].ev == ev;
	return n;
}

/**
 * th_handshake() - SYN with MSS 1460, check the SYN-ACK, ACK it
 * @cisn:	client ISN
 *
 * Return: the established connection
 */
struct tcp_conn *th_handshake(uint32_t cisn)
{
	static const uint8_t mss[4] = { 2, 4, 0x05, 0xb4 };
	struct th_seg sa;

	th_send_opts(TH_CPORT, 0x02, cisn, 0, 65535, mss, 4, NULL, 0, false);
	th_expect(&sa, 0x12, th.cfg.isn_fixed, cisn + 1, 65535, 0);
	cr_assert_eq(sa.mss, 1460);
	th_send(0x10, cisn + 1, th.cfg.isn_fixed + 1, 65535, NULL, 0);
	cr_assert_eq(th.nev, 1);
	cr_assert_eq(th.ev[0].ev, TCP_EV_ESTABLISHED);
	return th.conn;
}
