// SPDX-License-Identifier: MIT
/*
 * micro.c - in-process microbenchmark of tcpgate's stack (no proxy, no kernel)
 *
 *   micro [N]      N handshakes and N data segments (default 1000000)
 *
 * The stack runs on the in-memory link (link_mem) with a fake application
 * (stack_ops) and a virtual clock. Frames are built once from templates; per
 * iteration only what must change is patched: the client port/address/ISN of
 * a SYN (with a full checksum of the 40-byte header), the ACK number of the
 * handshake's last ACK, the sequence number of a data segment (its checksum
 * updated incrementally, RFC 1624, so the 1448 payload bytes are never
 * summed by the harness).
 *
 * Measures, on one thread:
 *   - handshakes: SYN -> SYN-ACK -> ACK -> ESTABLISHED, then an RST from the
 *     client (connection gone); many distinct 4-tuples;
 *   - handshake + orderly close: ... ESTABLISHED, client FIN, the application
 *     shuts down (stack sends FIN), client ACKs the FIN (passive close, no
 *     TIME-WAIT);
 *   - in-order data: 1448-byte segments (timestamps on, so MSS 1460 - 12)
 *     into one established connection, the application takes everything.
 * CPU time is CLOCK_PROCESS_CPUTIME_ID. The harness's own cost (patching and
 * copying frames, without stack_input) is measured separately and reported.
 *
 * Output: one line per measure, NAME<TAB>VALUE<TAB>UNIT<TAB>TARGET, read by
 * bench/report.py. Exit status 1 if the stack did not behave (a handshake did
 * not complete, bytes not delivered), with the reason on stderr.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stack/link_mem.h"
#include "stack/stack.h"

#define CLIENT_NET	0x0a580000u	/* 10.88.0.0 */
#define STACK_IP	(CLIENT_NET | 1)
#define VIP		(CLIENT_NET | 100)
#define N_CLIENTS	16		/* client addresses 10.88.0.10 .. */
#define PORTS		60000u
#define MSS_PAYLOAD	1448
#ifndef MICRO_STEP
#define MICRO_STEP	1	/* virtual us per data segment */
#endif
#define ETH_LEN		14
#define IP_LEN		20

static const uint8_t stack_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t client_mac[6] = { 0x02, 0, 0, 0, 0, 0xaa };

/* ---------------------------------------------------------------- the fake app */

struct app {
	uint64_t syns, established, peer_fins, resets, closed, other;
	uint64_t delivered;
	struct tcp_conn *last;		/* last connection seen by syn() */
	struct tcp_conn *want_shutdown;	/* deferred: tcp_shutdown() after input */
};

static enum stack_syn_verdict app_syn(void *a, struct tcp_conn *c, const struct tcp_tuple *t)
{
	struct app *app = a;

	(void)t;
	app->syns++;
	app->last = c;
	return STACK_SYN_ACCEPT;
}

static size_t app_deliver(void *a, struct tcp_conn *c, void *ctx, const uint8_t *data, size_t len)
{
	struct app *app = a;

	(void)c, (void)ctx, (void)data;
	app->delivered += len;
	return len;
}

static size_t app_rcv_space(void *a, struct tcp_conn *c, void *ctx)
{
	(void)a, (void)c, (void)ctx;
	return 16u << 20;
}

static ssize_t app_produce(void *a, struct tcp_conn *c, void *ctx, size_t off, uint8_t *buf, size_t len)
{
	(void)a, (void)c, (void)ctx, (void)off, (void)buf, (void)len;
	return 0;
}

static void app_acked(void *a, struct tcp_conn *c, void *ctx, size_t n)
{
	(void)a, (void)c, (void)ctx, (void)n;
}

static void app_event(void *a, struct tcp_conn *c, void *ctx, enum tcp_event ev)
{
	struct app *app = a;

	(void)ctx;
	switch (ev) {
	case TCP_EV_ESTABLISHED: app->established++; break;
	case TCP_EV_PEER_FIN: app->peer_fins++; app->want_shutdown = c; break;
	case TCP_EV_RESET: app->resets++; break;
	case TCP_EV_CLOSED: app->closed++; break;
	default: app->other++; break;
	}
}

static const struct stack_ops ops = {
	.syn = app_syn, .deliver = app_deliver, .rcv_space = app_rcv_space,
	.produce = app_produce, .acked = app_acked, .event = app_event,
};

/* ---------------------------------------------------------------- frames */

static uint32_t csum_add(uint32_t sum, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)p[0] << 8 | p[1];
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(uint8_t *p, uint16_t v) { p[0] = v >> 8; p[1] = v & 0xff; }
static void put32(uint8_t *p, uint32_t v) { put16(p, v >> 16); put16(p + 2, v & 0xffff); }
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t get32(const uint8_t *p) { return (uint32_t)get16(p) << 16 | get16(p + 2); }

/* Fill the IPv4 header (checksum included) of a frame whose TCP part is @tcplen. */
static void ip_header(uint8_t *f, uint32_t src, size_t tcplen)
{
	uint8_t *ip = f + ETH_LEN;

	memcpy(f, stack_mac, 6);
	memcpy(f + 6, client_mac, 6);
	put16(f + 12, 0x0800);
	ip[0] = 0x45;
	ip[1] = 0;
	put16(ip + 2, (uint16_t)(IP_LEN + tcplen));
	put16(ip + 4, 0);
	put16(ip + 6, 0x4000);
	ip[8] = 64;
	ip[9] = 6;
	put16(ip + 10, 0);
	put32(ip + 12, src);
	put32(ip + 16, VIP);
	put16(ip + 10, csum_fold(csum_add(0, ip, IP_LEN)));
}

/* Full TCP checksum of the segment at @tcp (@len bytes, header + payload). */
static void tcp_csum(uint8_t *f, size_t len)
{
	uint8_t *ip = f + ETH_LEN, *tcp = ip + IP_LEN;
	uint32_t sum;

	put16(tcp + 16, 0);
	sum = csum_add(0, ip + 12, 8);
	sum += 6 + (uint32_t)len;
	sum = csum_add(sum, tcp, len);
	put16(tcp + 16, csum_fold(sum));
}

/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m') for one changed 16-bit word */
static uint16_t csum_update16(uint16_t hc, uint16_t old, uint16_t new)
{
	uint32_t sum = (uint16_t)~hc + (uint16_t)~old + (uint32_t)new;

	return csum_fold(sum);
}

/* TCP header without options at f+34; @optlen bytes of options follow. */
static void tcp_header(uint8_t *f, uint16_t sport, uint32_t seq, uint32_t ack,
		       uint8_t flags, size_t optlen)
{
	uint8_t *tcp = f + ETH_LEN + IP_LEN;

	put16(tcp, sport);
	put16(tcp + 2, 80);
	put32(tcp + 4, seq);
	put32(tcp + 8, ack);
	tcp[12] = (uint8_t)(((20 + optlen) / 4) << 4);
	tcp[13] = flags;
	put16(tcp + 14, 1024);	/* x 2^7 = 128 KiB */
	put16(tcp + 16, 0);
	put16(tcp + 18, 0);
}

#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_ACK 0x10

/* SYN: MSS 1460, SACK-permitted, timestamps, window scale 7 (Linux's order) */
static size_t build_syn(uint8_t *f, uint32_t src, uint16_t sport, uint32_t isn)
{
	static const uint8_t opts[20] = {
		2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7,
	};
	uint8_t *tcp = f + ETH_LEN + IP_LEN;

	ip_header(f, src, 40);
	tcp_header(f, sport, isn, 0, F_SYN, 20);
	put16(tcp + 14, 64240);
	memcpy(tcp + 20, opts, 20);
	tcp_csum(f, 40);
	return ETH_LEN + IP_LEN + 40;
}

/* ACK/FIN/data: NOP NOP TS(tsval, tsecr) */
static size_t build_seg(uint8_t *f, uint32_t src, uint16_t sport, uint32_t seq, uint32_t ack,
			uint8_t flags, uint32_t tsval, uint32_t tsecr, size_t payload)
{
	uint8_t *tcp = f + ETH_LEN + IP_LEN;

	ip_header(f, src, 32 + payload);
	tcp_header(f, sport, seq, ack, flags, 12);
	tcp[20] = 1;
	tcp[21] = 1;
	tcp[22] = 8;
	tcp[23] = 10;
	put32(tcp + 24, tsval);
	put32(tcp + 28, tsecr);
	tcp_csum(f, 32 + payload);
	return ETH_LEN + IP_LEN + 32 + payload;
}

static size_t build_rst(uint8_t *f, uint32_t src, uint16_t sport, uint32_t seq)
{
	ip_header(f, src, 20);
	tcp_header(f, sport, seq, 0, F_RST, 0);
	put16(f + ETH_LEN + IP_LEN + 14, 0);
	tcp_csum(f, 20);
	return ETH_LEN + IP_LEN + 20;
}

static size_t build_arp_request(uint8_t *f, uint32_t spa)
{
	memset(f, 0xff, 6);
	memcpy(f + 6, client_mac, 6);
	put16(f + 12, 0x0806);
	put16(f + 14, 1);
	put16(f + 16, 0x0800);
	f[18] = 6;
	f[19] = 4;
	put16(f + 20, 1);
	memcpy(f + 22, client_mac, 6);
	put32(f + 28, spa);
	memset(f + 32, 0, 6);
	put32(f + 38, STACK_IP);
	return 42;
}

/* What the harness reads back from a segment the stack sent */
struct out_seg {
	uint32_t ack, win;	/* window field, unscaled */
	int wscale;		/* -1 if no window scale option */
};
static struct out_seg last_out;

/* The SYN-ACK (or any segment) the stack sent: its seq and TSval. */
static int parse_out(const uint8_t *f, size_t len, uint8_t want_flags, uint32_t *seq, uint32_t *tsval)
{
	const uint8_t *tcp = f + ETH_LEN + IP_LEN;
	size_t doff, i;

	if (len < ETH_LEN + IP_LEN + 20 || get16(f + 12) != 0x0800)
		return -1;
	if ((tcp[13] & want_flags) != want_flags)
		return -1;
	*seq = get32(tcp + 4);
	*tsval = 0;
	last_out.ack = get32(tcp + 8);
	last_out.win = get16(tcp + 14);
	last_out.wscale = -1;
	doff = (size_t)(tcp[12] >> 4) * 4;
	for (i = 20; i < doff && i < len;) {
		if (tcp[i] == 0)
			break;
		if (tcp[i] == 1) {
			i++;
			continue;
		}
		if (tcp[i] == 8 && i + 10 <= doff)
			*tsval = get32(tcp + i + 2);
		if (tcp[i] == 3 && i + 3 <= doff)
			last_out.wscale = tcp[i + 2];
		if (tcp[i + 1] < 2)
			break;
		i += tcp[i + 1];
	}
	return 0;
}

/* ---------------------------------------------------------------- timing */

static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double wall_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct stack *s;
static struct link_mem *lm;
static struct app app;
static stack_time_us now = 1000000000ull;

static void setup(void)
{
	struct stack_config cfg = {
		.addr = STACK_IP, .prefix_len = 24, .mtu = 1500, .max_conns = 65536,
		.ops = &ops, .app = &app,
	};
	uint8_t f[64];
	char err[256] = "";

	memcpy(cfg.mac, stack_mac, 6);
	lm = link_mem_create(4096);
	cfg.link.send = link_mem_send;
	cfg.link.ctx = lm;
	s = stack_create(&cfg, err, sizeof(err));
	if (!s) {
		fprintf(stderr, "micro: stack_create: %s\n", err);
		exit(1);
	}
	if (stack_add_vip(s, VIP)) {
		fprintf(stderr, "micro: stack_add_vip failed\n");
		exit(1);
	}
	/* every client address announces itself: the stack learns the MACs */
	for (uint32_t i = 0; i < N_CLIENTS; i++) {
		size_t n = build_arp_request(f, CLIENT_NET | (10 + i));

		stack_input(s, f, n, now);
	}
	link_mem_clear(lm);
}

static int quiet;

static void out(const char *name, double v, const char *unit, const char *target)
{
	if (quiet)
		return;
	printf("%s\t%.*f\t%s\t%s\n", name, v >= 100 ? 0 : v >= 10 ? 1 : 2, v, unit, target);
}

/* One handshake (+ RST, or + orderly close) with tuple number @i. */
static int handshake(uint64_t i, int orderly)
{
	static uint8_t f[128], o[2048];
	uint32_t src = CLIENT_NET | (10 + (uint32_t)((i / PORTS) % N_CLIENTS));
	uint16_t sport = (uint16_t)(1024 + i % PORTS);
	uint32_t cisn = (uint32_t)(i * 2654435761u), sisn, tsval;
	uint64_t est = app.established;
	size_t n, m;

	n = build_syn(f, src, sport, cisn);
	stack_input(s, f, n, now);
	m = link_mem_pop(lm, o, sizeof(o));
	if (!m || parse_out(o, m, F_SYN | F_ACK, &sisn, &tsval))
		return -1;
	n = build_seg(f, src, sport, cisn + 1, sisn + 1, F_ACK, 1, tsval, 0);
	stack_input(s, f, n, now);
	if (app.established != est + 1)
		return -2;
	if (!orderly) {
		n = build_rst(f, src, sport, cisn + 1);
		stack_input(s, f, n, now);
	} else {
		n = build_seg(f, src, sport, cisn + 1, sisn + 1, F_FIN | F_ACK, 1, tsval, 0);
		stack_input(s, f, n, now);
		if (!app.want_shutdown)
			return -3;
		tcp_shutdown(app.want_shutdown, now);
		app.want_shutdown = NULL;
		/* the stack's ACK of our FIN and its FIN (maybe one segment) */
		n = build_seg(f, src, sport, cisn + 2, sisn + 2, F_ACK, 1, tsval, 0);
		stack_input(s, f, n, now);
	}
	link_mem_clear(lm);
	return 0;
}

static int bench_handshakes(uint64_t count, int orderly)
{
	uint64_t closed0 = app.closed;
	double c0, w0, c1, w1;
	const char *what = orderly ? "handshake+close" : "handshake+RST";

	c0 = cpu_s();
	w0 = wall_s();
	for (uint64_t i = 0; i < count; i++) {
		int r = handshake(i, orderly);

		if (r) {
			fprintf(stderr, "micro: %s %llu failed (step %d); stats: syn_received=%llu "
				"syn_rejected=%llu resets_sent=%llu rx_dropped=%llu\n", what,
				(unsigned long long)i, r,
				(unsigned long long)stack_stats(s)->syn_received,
				(unsigned long long)stack_stats(s)->syn_rejected,
				(unsigned long long)stack_stats(s)->resets_sent,
				(unsigned long long)stack_stats(s)->rx_dropped);
			return -1;
		}
		if ((i & 1023) == 1023) {
			now += 1000;
			stack_timers(s, now);
		}
	}
	c1 = cpu_s();
	w1 = wall_s();
	if (app.closed - closed0 != count) {
		fprintf(stderr, "micro: %s: %llu of %llu connections closed\n", what,
			(unsigned long long)(app.closed - closed0), (unsigned long long)count);
		return -1;
	}
	if (!orderly) {
		out("handshakes/s (SYN, SYN-ACK, ACK, then RST)", count / (w1 - w0), "1/s", "");
		out("CPU per handshake (+RST)", (c1 - c0) / count * 1e6, "us", "< 2 us");
	} else {
		out("handshake + orderly close/s (SYN .. FIN, ACK)", count / (w1 - w0), "1/s", "");
		out("CPU per handshake + close", (c1 - c0) / count * 1e6, "us", "");
	}
	return 0;
}

/* Patch a data frame for sequence number @seq: header copy, seq, checksum. */
struct data_tmpl {
	uint8_t hdr[ETH_LEN + IP_LEN + 32];
	uint32_t seq;	/* seq in hdr */
	uint16_t csum;	/* checksum in hdr */
};

static void data_patch(struct data_tmpl *t, uint8_t *frame, uint32_t seq)
{
	uint8_t *tcp = t->hdr + ETH_LEN + IP_LEN;
	uint16_t c = t->csum;

	c = csum_update16(c, (uint16_t)(t->seq >> 16), (uint16_t)(seq >> 16));
	c = csum_update16(c, (uint16_t)t->seq, (uint16_t)seq);
	put32(tcp + 4, seq);
	put16(tcp + 16, c);
	t->seq = seq;
	t->csum = c;
	memcpy(frame, t->hdr, sizeof(t->hdr));
}

/*
 * drain_acks() - read back what the stack sent (ACKs, window updates) like a
 * sender would: the highest right edge of the window it advertised.
 */
static void drain_acks(int ws, uint32_t *right_edge)
{
	static uint8_t o[2048];
	uint32_t seq, tsval;
	size_t m;

	while ((m = link_mem_pop(lm, o, sizeof(o))) > 0) {
		if (parse_out(o, m, F_ACK, &seq, &tsval))
			continue;
		uint32_t edge = last_out.ack + (last_out.win << ws);

		if ((int32_t)(edge - *right_edge) > 0)
			*right_edge = edge;
	}
}

/*
 * bench_data() - in-order segments into one connection. The harness is a
 * well-behaved sender: it never sends beyond the window the stack advertised.
 * When the window is used up it waits, i.e. advances the virtual clock to the
 * stack's next timer (the delayed ACK) and runs it; such waits are counted and
 * reported ("sender stalls"), since on a real link they cost throughput.
 */
static int bench_data(uint64_t count)
{
	static uint8_t f[2048], o[2048];
	struct data_tmpl t;
	uint32_t src = CLIENT_NET | 10, cisn = 12345, sisn, tsval, seq, right_edge;
	uint16_t sport = 40000;
	uint64_t d0, stalls = 0, segs_out0, done = count;
	stack_time_us t0_data;
	double c0, w0, c1, w1, hc0, hc1;
	size_t n, m, flen;
	int ws;

	n = build_syn(f, src, sport, cisn);
	stack_input(s, f, n, now);
	m = link_mem_pop(lm, o, sizeof(o));
	if (!m || parse_out(o, m, F_SYN | F_ACK, &sisn, &tsval)) {
		fprintf(stderr, "micro: data: no SYN-ACK\n");
		return -1;
	}
	ws = last_out.wscale < 0 ? 0 : last_out.wscale;
	right_edge = cisn + 1 + last_out.win;	/* the SYN-ACK's window is never scaled */
	n = build_seg(f, src, sport, cisn + 1, sisn + 1, F_ACK, 1, tsval, 0);
	stack_input(s, f, n, now);
	drain_acks(ws, &right_edge);

	for (size_t i = 0; i < MSS_PAYLOAD; i++)
		f[ETH_LEN + IP_LEN + 32 + i] = (uint8_t)i;
	flen = build_seg(f, src, sport, cisn + 1, sisn + 1, F_ACK, 2, tsval, MSS_PAYLOAD);
	memcpy(t.hdr, f, sizeof(t.hdr));
	t.seq = cisn + 1;
	t.csum = get16(f + ETH_LEN + IP_LEN + 16);

	/* the harness alone: patch and copy, no stack */
	seq = cisn + 1;
	hc0 = cpu_s();
	for (uint64_t i = 0; i < count; i++) {
		data_patch(&t, f, seq);
		seq += MSS_PAYLOAD;
		__asm__ __volatile__("" : : "r"(f) : "memory");
	}
	hc1 = cpu_s();

	d0 = app.delivered;
	seq = cisn + 1;
	t0_data = now;
	segs_out0 = stack_stats(s)->segs_out;
	c0 = cpu_s();
	w0 = wall_s();
	for (uint64_t i = 0; i < count; i++) {
		if ((int32_t)(seq + MSS_PAYLOAD - right_edge) > 0) {
			/* window used up: wait for the stack's timers (delayed ACK) */
			stalls++;
			for (int k = 0; k < 16 && (int32_t)(seq + MSS_PAYLOAD - right_edge) > 0; k++) {
				stack_time_us next = stack_next_timer(s);

				if (next == STACK_TIME_NEVER)
					break;
				if (next > now)
					now = next;
				stack_timers(s, now);
				drain_acks(ws, &right_edge);
			}
			if ((int32_t)(seq + MSS_PAYLOAD - right_edge) > 0) {
				fprintf(stderr, "micro: data: after %llu segments the window stays closed: "
					"last ACK at +%u, window %u, no timer pending (%s); delivered %llu bytes\n",
					(unsigned long long)i, last_out.ack - cisn, last_out.win,
					stack_next_timer(s) == STACK_TIME_NEVER ? "none" : "some",
					(unsigned long long)(app.delivered - d0));
				done = i;
				break;
			}
		}
		data_patch(&t, f, seq);
		stack_input(s, f, flen, now);
		seq += MSS_PAYLOAD;
		now += MICRO_STEP;	/* ~ one 1500-byte frame at 10 Gbit/s */
		if (link_mem_pending(lm))
			drain_acks(ws, &right_edge);
	}
	c1 = cpu_s();
	w1 = wall_s();
	if (!done) {
		fprintf(stderr, "micro: data: no segment went through\n");
		return -1;
	}
	if (app.delivered - d0 != done * MSS_PAYLOAD) {
		fprintf(stderr, "micro: data: %llu of %llu bytes delivered (out_of_order=%llu "
			"drop_tcp_unacceptable=%llu bad_checksum=%llu rx_dropped=%llu)\n",
			(unsigned long long)(app.delivered - d0),
			(unsigned long long)(done * MSS_PAYLOAD),
			(unsigned long long)stack_stats(s)->out_of_order,
			(unsigned long long)stack_stats(s)->drop_tcp_unacceptable,
			(unsigned long long)stack_stats(s)->bad_checksum,
			(unsigned long long)stack_stats(s)->rx_dropped);
		return -1;
	}
	out("in-order 1448-byte segments/s", done / (w1 - w0), "1/s", ">= 2000000");
	out("CPU per segment", (c1 - c0) / done * 1e9, "ns", "");
	out("  of which harness (frame patch+copy)", (hc1 - hc0) / count * 1e9, "ns", "");
	out("payload rate, one core", done * (double)MSS_PAYLOAD * 8 / (c1 - c0) / 1e9, "Gbit/s", "");
	out("ACKs sent per 100 segments", (stack_stats(s)->segs_out - segs_out0) * 100.0 / done, "", "");
	out("sender stalls (window used up, waited for a timer)", (double)stalls, "", "0");
	out("virtual time for the data (1 us per segment + stalls)", (now - t0_data) / 1e3, "ms", "");
	if (done != count) {
		printf("data path stalled after\t%llu\tsegments\twindow closed, no ACK, no timer pending\n",
		       (unsigned long long)done);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;

	if (n < 100)
		n = 100;
	setup();
	/* warm-up (connection table, pools, caches), not reported */
	quiet = 1;
	if (bench_handshakes(n / 10, 0) < 0)
		return 1;
	quiet = 0;
	if (bench_handshakes(n, 0) < 0)
		return 1;
	if (bench_handshakes(n / 2, 1) < 0)
		return 1;
	if (bench_data(n) < 0)
		return 1;
	return 0;
}
