/* SPDX-License-Identifier: MIT */
/*
 * tcp_internal.h - what the TCP files (tcp_in.c, tcp_out.c, tcp_timer.c,
 * tcp_conn.c, tcp_opt.c, tcp_cc.c, isn.c) share with each other
 *
 * struct tcp_conn is the Transmission Control Block of RFC 9293 §3.3.1. It
 * never holds payload (stack.h): the send side is described by sequence
 * numbers plus app_len, the number of bytes the application announced with
 * tcp_send_avail(), counted from the oldest unacknowledged data byte.
 *
 * Fields for what comes next (window scaling, timestamps, SACK, an
 * out-of-order queue, CUBIC, SYN cookies) have their place reserved in
 * struct tcp_opts, struct tcp_cc and struct tcp_conn so those features slot
 * in without reshaping the rest.
 */
#ifndef TCPGATE_TCP_INTERNAL_H
#define TCPGATE_TCP_INTERNAL_H

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>

#include "stack/seq.h"
#include "stack/stack_internal.h"
#include "stack/wire.h"

/* --- limits and constants (all documented in tcp_in.c / tcp_timer.c) --- */

#define TCP_MSS_DEFAULT		536		/* RFC 9293 §3.7.1: no MSS option */
#define TCP_MSS_MIN		64		/* floor for a peer's silly MSS option */
#define TCP_WIN_MAX		65535u		/* no window scaling negotiated yet */
#define TCP_INIT_CWND_SEGS	10		/* RFC 6928 */
#define TCP_RTO_INIT_US		1000000u	/* RFC 6298 §2.1: 1 s */
#define TCP_RTO_MIN_US		200000u		/* below RFC 6298's 1 s, like Linux */
#define TCP_RTO_MAX_US		60000000u	/* RFC 6298 §2.5: at least 60 s */
#define TCP_RTO_RETRIES		8		/* data/FIN retransmissions before abort */
#define TCP_SYNACK_RETRIES	5		/* SYN-ACK retransmissions before abort */
#define TCP_PERSIST_RETRIES	10		/* unanswered zero-window probes */
#define TCP_DELACK_US		40000u		/* delayed ACK */
#define TCP_TIME_WAIT_US	2000000u	/* short, bounded TIME-WAIT */
#define TCP_PENDING_US		75000000u	/* SYN-RECEIVED waiting for tcp_accept() */
#define TCP_CHALLENGE_ACK_LIMIT	10		/* RFC 5961 §7: per second per stack */
#define TCP_DUPTHRESH		3		/* RFC 5681 §3.2, RFC 6675 §2 */
#define TCP_SACK_RANGES		8		/* scoreboard size (tcp_sack.c) */
/* --- receive side and options (RFC 7323, RFC 2018, reassembly, keep-alive) --- */
#define TCP_SACK_MAX_BLOCKS	4		/* RFC 2018 §3: at most 4 fit in 40 bytes */
#define TCP_WS_MAX		14		/* RFC 7323 §2.3 */
#define TCP_RCV_WND_MAX		(4u << 20)	/* largest receive window we advertise */
#define TCP_OOO_PER_CONN	1024		/* default out-of-order chunks per connection:
					 * ~1.5 MB, most of a full window in flight */
#define TCP_OOO_POOL_MAX	8192		/* default cap of the stack-wide chunk pool
					 * (calloc: only chunks used are resident) */
#define TCP_TS_OPT_LEN		12		/* NOP NOP TS: RFC 7323 Appendix A layout */
#define TCP_PAWS_IDLE_US	(24ull * 86400 * 1000000)	/* RFC 7323 §5.5: 24 days */
#define TCP_KA_INTVL_S		75		/* RFC 1122 §4.2.3.6 default interval */
#define TCP_KA_COUNT		9		/* unanswered probes before abort */

/* RFC 9293 §3.3.2 states (LISTEN is implicit: ops.syn() for a SYN to nobody) */
enum tcp_state {
	TCP_S_CLOSED = 0,
	TCP_S_LISTEN,
	TCP_S_SYN_RECEIVED,
	TCP_S_ESTABLISHED,
	TCP_S_FIN_WAIT_1,
	TCP_S_FIN_WAIT_2,
	TCP_S_CLOSE_WAIT,
	TCP_S_CLOSING,
	TCP_S_LAST_ACK,
	TCP_S_TIME_WAIT,
	TCP_S__COUNT
};
extern const char *const tcp_state_names[TCP_S__COUNT];

/* Per-connection deadlines, each STACK_TIME_NEVER when not armed */
enum tcp_timer_kind {
	TCP_T_RTO = 0,		/* retransmission (SYN-ACK, data, FIN) */
	TCP_T_DELACK,		/* delayed ACK */
	TCP_T_PERSIST,		/* zero-window probe */
	TCP_T_TIME_WAIT,	/* TIME-WAIT expiry */
	TCP_T_KEEPALIVE,	/* RFC 1122 §4.2.3.6 keep-alive (cfg.keepalive_*) */
	TCP_T_PENDING,		/* SYN-RECEIVED waiting for tcp_accept() */
	TCP_T__COUNT
};
extern const char *const tcp_timer_names[TCP_T__COUNT];

/* struct tcp_conn.flags */
#define TCP_CF_PENDING		0x0001	/* ops.syn() said PENDING, no SYN-ACK yet */
#define TCP_CF_FIN_QUEUED	0x0002	/* tcp_shutdown(): FIN after app_len bytes */
#define TCP_CF_FIN_SENT		0x0004	/* fin_seq is valid */
#define TCP_CF_ACK_NOW		0x0008	/* send an ACK before returning */
#define TCP_CF_RTT_TIMING	0x0010	/* rtt_seq/rtt_start time one segment */
#define TCP_CF_DEAD		0x0020	/* CLOSED: on the reap list */
#define TCP_CF_APP_GONE		0x0040	/* TCP_EV_CLOSED was sent */
#define TCP_CF_IN_RECOVERY	0x0080	/* NewReno fast recovery */
#define TCP_CF_HAVE_RTT		0x0100	/* srtt_us/rttvar_us hold a sample */
#define TCP_CF_COOKIE		0x0200	/* created from a SYN cookie (syncookie.c) */
#define TCP_CF_LOSS_TIMER	0x0400	/* the RTO slot holds a PTO / RACK deadline (tcp_tlp.c) */
#define TCP_CF_TLP_OUT		0x0800	/* RFC 8985 §7: a loss probe episode is open */
#define TCP_CF_TLP_RXT		0x1000	/* ... and its probe was a retransmission */
#define TCP_CF_DSACK		0x2000	/* RFC 2883: report dsack_left/right in the next ACK */
#define TCP_CF_UNDO		0x4000	/* a window reduction may be undone (tcp_cc.c) */

/**
 * struct tcp_opts - options of one received segment (tcp_opt.c)
 * @mss_ok, @mss:	MSS option (RFC 9293 §3.2)
 * @ws_ok, @ws:		window scale (RFC 7323 §2), parsed for later
 * @sack_perm:		SACK-permitted (RFC 2018), parsed for later
 * @ts_ok, @tsval, @tsecr: timestamps (RFC 7323 §3), parsed for later
 * @malformed:		parsing stopped at a bad option (kept what came before)
 * @n_sack, @sack:	SACK blocks (RFC 2018 §3), host order, as received
 */
struct tcp_opts {
	bool mss_ok, ws_ok, sack_perm, ts_ok, malformed;
	uint16_t mss;
	uint8_t ws;
	uint32_t tsval, tsecr;
	uint8_t n_sack;
	struct tcp_sack_block {
		uint32_t left, right;
	} sack[4];
};

/**
 * struct tcp_cc - congestion control state (tcp_cc.c)
 * @cwnd:	congestion window, bytes
 * @ssthresh:	slow start threshold, bytes
 * @dupacks:	consecutive duplicate ACKs
 * @recover:	RFC 6582 recover / RFC 6675 RecoveryPoint (exclusive end)
 * @acked_acc:	bytes acked in congestion avoidance not yet turned into cwnd
 * @epoch_start: CUBIC: start of the congestion avoidance stage, or NEVER
 * @w_max, @k, @w_est: CUBIC (RFC 9438 §4.1-4.3), in segments and seconds
 * @cwnd_prior:	CUBIC: cwnd at the last congestion event, segments
 * @undo_cwnd, @undo_ssthresh: before the reduction of the episode that
 *		TCP_CF_UNDO watches (RFC 3708 / RFC 4015, tcp_cc.c)
 * @undo_w_max:	CUBIC W_max before it
 * @undo_retrans: retransmissions of that episode not yet reported by a D-SACK
 */
struct tcp_cc {
	uint32_t cwnd, ssthresh;
	uint32_t dupacks;
	uint32_t recover;
	uint32_t acked_acc;
	stack_time_us epoch_start;
	double w_max, k, w_est, cwnd_prior;
	uint32_t undo_cwnd, undo_ssthresh, undo_retrans;
	double undo_w_max;
};

/**
 * struct tcp_sack_board - what the peer SACKed (RFC 6675 §3, tcp_sack.c)
 * @r:		disjoint, non-adjacent ranges [left, right), sorted, above SND.UNA
 * @n:		ranges used
 * @high_rxt:	RFC 6675 HighRxt, exclusive end of the highest retransmission
 * @rescue_rxt:	RFC 6675 RescueRxt
 * @rxt_mark:	SND.MAX when the latest retransmission went out: a SACK above
 *		it reports data sent after every retransmission (tcp_tlp.c)
 * @rack_lost:	every hole below it was declared lost by RACK (tcp_tlp.c)
 */
struct tcp_sack_board {
	struct tcp_sack_block r[TCP_SACK_RANGES];
	uint8_t n;
	uint32_t high_rxt, rescue_rxt, rxt_mark, rack_lost;
};

/**
 * struct tcp_conn - one connection (RFC 9293 §3.3.1 TCB)
 * @s:			the owning stack
 * @tuple:		4-tuple, host order
 * @ctx:		application context
 * @state:		enum tcp_state
 * @flags:		TCP_CF_*
 * @hnext:		hash chain
 * @lnext:		free list / reap list
 * @iss, @snd_una, @snd_nxt, @snd_wnd, @snd_wl1, @snd_wl2: RFC 9293 §3.3.1
 * @snd_max:		highest sequence number sent + 1 (snd_nxt may go back on RTO)
 * @max_snd_wnd:	largest window the peer offered (RFC 5961 §5.2, sender SWS)
 * @fin_seq:		sequence number of our FIN once sent (TCP_CF_FIN_SENT)
 * @app_len:		bytes the application holds, from the oldest unacked data byte
 * @snd_mss:		our segment size: min(peer's MSS, ours)
 * @irs, @rcv_nxt:	RFC 9293 §3.3.1
 * @rcv_adv:		right edge of the window last advertised (never moves left)
 * @rcv_mss:		our MSS (mtu - 40), announced in the SYN-ACK
 * @rcv_buf_max:	largest ops.rcv_space() seen: RCV.BUFF for receiver SWS
 * @srtt_us, @rttvar_us, @rto_us: RFC 6298 (valid with TCP_CF_HAVE_RTT)
 * @rtt_seq, @rtt_start: the one segment being timed (TCP_CF_RTT_TIMING)
 * @rtt_min_us:		smallest RTT sample (RFC 8985 §6.2.4 min_RTT), 0 = none
 * @tlp_seq, @tlp_end:	the loss probe's range (RFC 8985 §7.3 TLP.end_seq)
 * @rto_saved:		the RTO deadline a PTO / RACK deadline stands in for
 * @backoff:		RTO expirations in a row (exponential backoff, bound)
 * @probes:		zero-window probes sent without an answer
 * @persist_backoff:	exponent of the persist interval
 * @cc:			congestion control
 * @sb:			SACK scoreboard (with sack_ok)
 * @snd_wscale, @rcv_wscale: window scaling shifts, -1 = off (RFC 7323, later)
 * @sack_ok:		SACK negotiated (RFC 2018, later)
 * @timer:		deadline of each enum tcp_timer_kind
 * @heap_key:		deadline the connection is filed under in the timer heap
 * @heap_idx:		position in the heap, UINT32_MAX if not in it
 * @bytes_in, @bytes_out, @retransmits, @created: statistics
 */
struct tcp_conn {
	struct stack *s;
	struct tcp_tuple tuple;
	void *ctx;
	enum tcp_state state;
	uint32_t flags;
	struct tcp_conn *hnext;
	struct tcp_conn *lnext;

	uint32_t iss, snd_una, snd_nxt, snd_max, snd_wnd, snd_wl1, snd_wl2;
	uint32_t max_snd_wnd, fin_seq, app_len;
	uint16_t snd_mss;

	uint32_t irs, rcv_nxt, rcv_adv;
	uint16_t rcv_mss;
	uint32_t rcv_buf_max;

	uint32_t srtt_us, rttvar_us, rto_us;
	uint32_t rtt_seq;
	stack_time_us rtt_start;
	uint32_t rtt_min_us, tlp_seq, tlp_end;
	stack_time_us rto_saved;
	uint8_t backoff, probes, persist_backoff;

	struct tcp_cc cc;
	struct tcp_sack_board sb;
	int8_t snd_wscale, rcv_wscale;
	bool sack_ok;

	/* --- receive side and options (tcp_in.c, tcp_opt.c, tcp_reasm.c) ---
	 * @ts_ok:		RFC 7323 timestamps negotiated
	 * @ts_recent:		TS.Recent (RFC 7323 §4.3), @ts_recent_at when recorded
	 * @last_ack_sent:	Last.ACK.sent (RFC 7323 §4.3)
	 * @ooo:		out-of-order chunks sorted by seq (tcp_reasm.c), @ooo_n of them
	 * @ooo_stamp:		arrival counter ordering SACK blocks (RFC 2018 §4)
	 * @ooo_fin, @ooo_fin_seq: a FIN seen beyond a hole, and where
	 * @ka_probes:		keep-alive probes sent without an answer
	 * @dsack_left, @dsack_right: a duplicate to report (TCP_CF_DSACK, RFC 2883)
	 */
	bool ts_ok, ooo_fin;
	uint32_t ts_recent, last_ack_sent;
	stack_time_us ts_recent_at;
	struct tcp_ooo_chunk *ooo;
	uint16_t ooo_n;
	uint32_t ooo_stamp, ooo_fin_seq;
	uint8_t ka_probes;
	uint32_t dsack_left, dsack_right;

	stack_time_us timer[TCP_T__COUNT];
	stack_time_us heap_key;
	uint32_t heap_idx;

	uint64_t bytes_in, bytes_out;
	uint32_t retransmits;
	stack_time_us created;
};

/**
 * struct tcp_table - the connection table and its timers (tcp_conn.c)
 * @pool:		max_conns entries, reserved at start (lazy_mem.c)
 * @pool_used:		entries [0, pool_used) were handed out at least once;
 *			the others are untouched (not resident)
 * @free:		free list (only entries below @pool_used)
 * @reap:		connections closed during this entry point, freed at its end
 * @buckets:		hash of the 4-tuple, @nbuckets (power of two)
 * @heap:		min-heap of connections by heap_key (tcp_timer.c), @heap_len used
 * @tw_count, @tw_max:	connections in TIME-WAIT and the cap
 * @chack_start, @chack_count: RFC 5961 challenge ACK rate limit window
 * @isn_key:		RFC 6528 secret
 * @half_open:		connections in SYN-RECEIVED (syncookie.c's trigger)
 * @cookie_threshold:	half_open at which SYNs get cookies (resolved default)
 * @cookie_key:		SYN cookie MAC secret, separate from @isn_key
 * @cookie_last:	when the last cookie was sent (ACKs are checked only
 *			within two cookie periods of it)
 * @depth:		entry point nesting (reap only at the outermost)
 */
/**
 * struct tcp_ooo_chunk - up to one MSS of out-of-order data (tcp_reasm.c)
 * @next:	next chunk of the connection (higher seq) or of the free list
 * @seq:	sequence number of data[0]
 * @len:	bytes held
 * @stamp:	arrival order, for the order of SACK blocks
 * @data:	tcp_table.ooo_chunk bytes in the pool
 */
struct tcp_ooo_chunk {
	struct tcp_ooo_chunk *next;
	uint32_t seq, stamp;
	uint16_t len;
	uint8_t *data;
};

struct tcp_table {
	struct tcp_conn *pool;
	uint32_t max_conns, pool_used;
	struct tcp_conn *free;
	struct tcp_conn *reap;
	struct tcp_conn **buckets;
	uint32_t nbuckets;
	struct tcp_conn **heap;
	uint32_t heap_len;
	uint32_t tw_count, tw_max;
	stack_time_us chack_start;
	uint32_t chack_count;
	uint8_t isn_key[16];
	uint32_t half_open, cookie_threshold;
	uint8_t cookie_key[16];
	stack_time_us cookie_last;
	unsigned depth;
	/* --- receive side: out-of-order chunk pool (tcp_reasm.c) ---
	 * @ooo_pool, @ooo_data: ooo_total chunks and their ooo_chunk-byte buffers
	 * @ooo_free:		free chunks (used before); @ooo_used taken
	 * @ooo_fresh:		chunks [0, ooo_fresh) were handed out at least
	 *			once; the others are untouched (not resident)
	 * @ooo_per_conn:	cap per connection (cfg.ooo_per_conn or default)
	 */
	struct tcp_ooo_chunk *ooo_pool, *ooo_free;
	uint8_t *ooo_data;
	uint32_t ooo_total, ooo_used, ooo_fresh, ooo_per_conn;
	uint16_t ooo_chunk;
};

/**
 * struct tcp_seg - a received segment being processed (tcp_in.c)
 * @th:		the header in the frame
 * @seq, @ack:	host order
 * @len:	SEG.LEN: payload + SYN + FIN
 * @wnd:	window in bytes: the field, shifted by SND.WIND.SHIFT except in
 *		a SYN (RFC 7323 §2.2), by tcp_in.c before processing
 * @flags:	TCP_* flags
 * @data:	payload (may be trimmed in place), @dlen bytes
 * @opt:	parsed options
 */
struct tcp_seg {
	const struct tcp_hdr *th;
	uint32_t seq, ack, len;
	uint32_t wnd;
	uint8_t flags;
	const uint8_t *data;
	uint32_t dlen;
	struct tcp_opts opt;
};

/* tcp_conn.c */
struct tcp_conn *tcp_conn_lookup(struct stack *s, const struct tcp_tuple *t);
struct tcp_conn *tcp_conn_alloc(struct stack *s, const struct tcp_tuple *t);
void tcp_conn_close(struct tcp_conn *c);
void tcp_conn_timeout(struct tcp_conn *c);
void tcp_conn_event(struct tcp_conn *c, enum tcp_event ev);
void tcp_conn_set_state(struct tcp_conn *c, enum tcp_state st);
void tcp_conn_time_wait(struct tcp_conn *c);
void tcp_table_enter(struct stack *s);
void tcp_table_leave(struct stack *s);
bool tcp_challenge_ack_allowed(struct stack *s);

/* tcp_timer.c */
void tcp_timer_set(struct tcp_conn *c, enum tcp_timer_kind k, stack_time_us when);
void tcp_timer_stop(struct tcp_conn *c, enum tcp_timer_kind k);
void tcp_timer_stop_all(struct tcp_conn *c);
void tcp_timer_rto_restart(struct tcp_conn *c);
void tcp_rtt_sample(struct tcp_conn *c, uint32_t rtt_us);

/* tcp_out.c */
uint32_t tcp_out_rcv_window(struct tcp_conn *c);
bool tcp_out_window_opens(struct tcp_conn *c);
bool tcp_out_can_send(const struct tcp_conn *c);
int tcp_out_synack(struct tcp_conn *c);
int tcp_out_ack(struct tcp_conn *c);
void tcp_out_push(struct tcp_conn *c);
int tcp_out_probe(struct tcp_conn *c);
int tcp_out_rst_conn(struct tcp_conn *c);
void tcp_out_rst_reply(struct stack *s, const struct tcp_tuple *tu,
		       const struct tcp_seg *seg);
void tcp_out_fast_retransmit(struct tcp_conn *c);
void tcp_out_retransmit(struct tcp_conn *c);
void tcp_out_challenge_ack(struct tcp_conn *c);

/* tcp_opt.c */
void tcp_opt_parse(const uint8_t *p, size_t len, struct tcp_opts *o);

/* tcp_cc.c */
void tcp_cc_init(struct tcp_conn *c);
bool tcp_cc_on_ack(struct tcp_conn *c, uint32_t acked, uint32_t flight);
void tcp_cc_congestion(struct tcp_conn *c);
void tcp_cc_reduce_again(struct tcp_conn *c);
void tcp_cc_undo_begin(struct tcp_conn *c);
void tcp_cc_undo_dsack(struct tcp_conn *c);
void tcp_cc_undo_check_end(struct tcp_conn *c);
void tcp_cc_on_rto(struct tcp_conn *c);
bool tcp_cc_on_dupack(struct tcp_conn *c);
uint32_t tcp_cc_flight(const struct tcp_conn *c);

/* tcp_sack.c */
enum tcp_sack_next {
	TCP_SACK_NEXT_NONE = 0,	/* nothing to send */
	TCP_SACK_NEXT_RXT,	/* RFC 6675 NextSeg() rules 1 and 3 */
	TCP_SACK_NEXT_NEW,	/* rule 2: new data */
	TCP_SACK_NEXT_RESCUE,	/* rule 4 */
};
void tcp_sack_clear(struct tcp_conn *c);
bool tcp_sack_update(struct tcp_conn *c, const struct tcp_seg *seg);
void tcp_sack_prune(struct tcp_conn *c);
bool tcp_sack_is_lost(const struct tcp_conn *c, uint32_t seq);
uint32_t tcp_sack_pipe(const struct tcp_conn *c);
enum tcp_sack_next tcp_sack_next_seg(struct tcp_conn *c, bool new_ok,
				     uint32_t *seq, uint32_t *len);
uint32_t tcp_sack_skip(const struct tcp_conn *c, uint32_t seq, uint32_t *limit);
void tcp_sack_on_ack(struct tcp_conn *c, bool advanced, bool dupack);
bool tcp_sack_in_recovery(const struct tcp_conn *c);
bool tcp_sack_is_dsack(const struct tcp_seg *seg);
bool tcp_sack_enter_recovery(struct tcp_conn *c);
void tcp_out_sack_first(struct tcp_conn *c);
int tcp_out_tlp_probe(struct tcp_conn *c, uint32_t *seq);

/* tcp_tlp.c */
void tcp_tlp_arm(struct tcp_conn *c);
void tcp_tlp_timeout(struct tcp_conn *c);
void tcp_tlp_after_ack(struct tcp_conn *c, const struct tcp_seg *seg, bool advanced);
void tcp_tlp_on_rto(struct tcp_conn *c);

/* isn.c */
uint32_t isn_generate(const uint8_t key[16], const struct tcp_tuple *t,
		      stack_time_us now);

uint64_t isn_siphash(const uint8_t key[16], const uint8_t *m, size_t len);

/* syncookie.c */
int syncookie_init(struct stack *s, char *err, size_t errlen);
bool syncookie_active(const struct stack *s);
void syncookie_send(struct stack *s, const struct tcp_tuple *tu,
		    const struct tcp_seg *seg);
bool syncookie_recent(const struct stack *s);
int syncookie_check(struct stack *s, const struct tcp_tuple *tu,
		    const struct tcp_seg *seg, uint16_t *mss);
void syncookie_establish(struct tcp_conn *c);

/* tcp_in.c */
uint32_t tcp_data_una(const struct tcp_conn *c);

/* --- receive side and options (tcp_reasm.c, tcp_opt.c, tcp_out.c) --- */
int tcp_reasm_pool_init(struct tcp_table *t, const struct stack_config *cfg,
			char *err, size_t errlen);
void tcp_reasm_pool_free(struct tcp_table *t);
bool tcp_reasm_insert(struct tcp_conn *c, const struct tcp_seg *seg);
uint32_t tcp_reasm_deliver(struct tcp_conn *c);
bool tcp_reasm_fin_due(const struct tcp_conn *c);
void tcp_reasm_clear(struct tcp_conn *c);
unsigned tcp_reasm_sack(const struct tcp_conn *c, struct tcp_sack_block *b, unsigned max);
size_t tcp_opt_write(uint8_t *p, const struct tcp_conn *c, bool syn);
uint32_t tcp_ts_now(const struct stack *s);
int tcp_out_keepalive(struct tcp_conn *c);
void tcp_timer_keepalive_touch(struct tcp_conn *c);
void tcp_in_after_reasm(struct tcp_conn *c);

#endif /* TCPGATE_TCP_INTERNAL_H */
