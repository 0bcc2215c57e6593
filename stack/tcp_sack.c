/* SPDX-License-Identifier: MIT */
/*
 * tcp_sack.c - the SACK scoreboard and RFC 6675 loss recovery (send side)
 *
 * Theory of operation
 * -------------------
 * With SACK negotiated (c->sack_ok), every ACK's SACK blocks (RFC 2018 §3,
 * parsed by tcp_opt.c into seg->opt.sack[]) go into the connection's
 * scoreboard, struct tcp_sack_board: at most TCP_SACK_RANGES disjoint,
 * non-adjacent ranges [left, right), sorted, all above SND.UNA. No memory is
 * allocated: the board is part of the connection. When a new block would make
 * a ninth range, the highest range is forgotten (its data may then be sent
 * again: harmless, never wrong).
 *
 * Validity (RFC 2018 §3/§8, RFC 2883): a block with left >= right, a block
 * ending at or below the ACK (a D-SACK, RFC 2883 §4, or stale) or beyond
 * SND.MAX is ignored; the first block inside the second one is a D-SACK and
 * ignored too; a block reaching below the ACK is cut at it.
 *
 * The board is advisory. The application's bytes are dropped only when
 * SND.UNA passes them (ops.acked()), so a receiver that reneges (RFC 2018 §8)
 * loses nothing: after an RTO the board is cleared and everything from
 * SND.UNA is sent again (go-back-N), skipping only what is SACKed anew.
 *
 * Loss recovery (RFC 6675 §5), with HighACK = SND.UNA, HighData = SND.MAX
 * and every "sequence number" an exclusive end in our arithmetic:
 *
 *   - entry: DupAcks (ACKs with SND.UNA unchanged that SACK new data, §2)
 *     reaching DupThresh, or IsLost(SND.UNA), and SND.UNA >= RecoveryPoint
 *     of the previous recovery or RTO (§5.1, RFC 6582 §3.2 step 2);
 *     RecoveryPoint = SND.MAX, congestion control reduces (tcp_cc.c), the
 *     first hole is retransmitted at once (§5 step 4);
 *   - each ACK: Update(), SetPipe(), then while cwnd - pipe >= SMSS send
 *     NextSeg() (tcp_out.c, §5 step C);
 *   - exit: SND.UNA reaches RecoveryPoint;
 *   - RTO: the board is cleared, recovery ends, RecoveryPoint = SND.MAX.
 *
 * IsLost() on merged ranges: a hole byte is lost when DupThresh ranges, or
 * more than (DupThresh - 1) * SMSS SACKed bytes, lie above it. Both counts
 * only grow going down, so there is one edge (the left end of some range)
 * below which every hole byte is lost: tcp_sack_lost_edge(). Pipe and
 * NextSeg() then walk the at most TCP_SACK_RANGES + 1 holes once.
 */
#include "stack/tcp_internal.h"

/**
 * tcp_sack_clear() - forget everything the peer SACKed
 * @c:	the connection
 */
void tcp_sack_clear(struct tcp_conn *c)
{
	c->sb.n = 0;
	c->sb.high_rxt = c->snd_una;
	c->sb.rescue_rxt = c->snd_una;
	c->sb.rxt_mark = c->snd_una;
	c->sb.rack_lost = c->snd_una;
}

/**
 * tcp_sack_bytes() - bytes the board holds
 * @sb:	the board
 *
 * Return: the sum of the range lengths
 */
static uint32_t tcp_sack_bytes(const struct tcp_sack_board *sb)
{
	uint32_t n = 0;

	for (unsigned i = 0; i < sb->n; i++)
		n += sb->r[i].right - sb->r[i].left;
	return n;
}

/**
 * tcp_sack_insert() - merge one valid range into the board
 * @sb:		the board
 * @l:		left edge
 * @r:		right edge, after @l
 */
static void tcp_sack_insert(struct tcp_sack_board *sb, uint32_t l, uint32_t r)
{
	struct tcp_sack_block out[TCP_SACK_RANGES + 1];
	unsigned i = 0, n = 0;

	/* ranges wholly before the new one (not even adjacent) stay */
	while (i < sb->n && seq_lt(sb->r[i].right, l))
		out[n++] = sb->r[i++];
	/* overlapping or adjacent ones melt into it */
	while (i < sb->n && seq_leq(sb->r[i].left, r)) {
		l = seq_min(l, sb->r[i].left);
		r = seq_max(r, sb->r[i].right);
		i++;
	}
	out[n++] = (struct tcp_sack_block){ l, r };
	while (i < sb->n)
		out[n++] = sb->r[i++];
	/* full: forget the highest range (advisory data, see above) */
	if (n > TCP_SACK_RANGES)
		n = TCP_SACK_RANGES;
	for (i = 0; i < n; i++)
		sb->r[i] = out[i];
	sb->n = (uint8_t)n;
}

/**
 * tcp_sack_is_dsack() - RFC 2883 §4: is the first block a D-SACK?
 * @seg:	the segment
 *
 * Return: true if block 0 lies at or below SEG.ACK or inside block 1
 */
bool tcp_sack_is_dsack(const struct tcp_seg *seg)
{
	const struct tcp_sack_block *b = seg->opt.sack;

	if (seq_leq(b[0].right, seg->ack))
		return true;
	return seg->opt.n_sack > 1 && seq_geq(b[0].left, b[1].left) &&
	       seq_leq(b[0].right, b[1].right) && seq_lt(b[1].left, b[1].right);
}

/**
 * tcp_sack_update() - RFC 6675 §5 Update(): record a segment's SACK blocks
 * @c:		the connection (sack_ok)
 * @seg:	the ACK
 *
 * Return: true if bytes not SACKed before are SACKed now
 */
bool tcp_sack_update(struct tcp_conn *c, const struct tcp_seg *seg)
{
	uint32_t base = seq_max(seg->ack, c->snd_una), before;
	unsigned n = seg->opt.n_sack;

	if (n > TCP_SACK_MAX_BLOCKS)
		n = TCP_SACK_MAX_BLOCKS;
	if (!n)
		return false;
	before = tcp_sack_bytes(&c->sb);
	for (unsigned i = 0; i < n; i++) {
		uint32_t l = seg->opt.sack[i].left, r = seg->opt.sack[i].right;

		if (i == 0 && tcp_sack_is_dsack(seg)) {
			/* RFC 2883 §4: a duplicate, not news; RFC 3708: of a
			 * retransmission of ours, if at or above SND.UNA */
			if (!seq_lt(l, c->snd_una) && seq_lt(l, r))
				tcp_cc_undo_dsack(c);
			continue;
		}
		/* RFC 2018 §3: left < right, within what we sent and not acked */
		if (!seq_lt(l, r) || seq_gt(r, c->snd_max) || seq_leq(r, base))
			continue;
		tcp_sack_insert(&c->sb, seq_max(l, base), r);
	}
	return tcp_sack_bytes(&c->sb) > before;
}

/**
 * tcp_sack_prune() - SND.UNA advanced: drop what it covers
 * @c:	the connection
 */
void tcp_sack_prune(struct tcp_conn *c)
{
	struct tcp_sack_board *sb = &c->sb;
	unsigned i = 0, n = 0;

	while (i < sb->n && seq_leq(sb->r[i].right, c->snd_una))
		i++;
	for (; i < sb->n; i++) {
		sb->r[n] = sb->r[i];
		sb->r[n].left = seq_max(sb->r[n].left, c->snd_una);
		n++;
	}
	sb->n = (uint8_t)n;
	if (seq_lt(sb->high_rxt, c->snd_una))
		sb->high_rxt = c->snd_una;
	if (seq_lt(sb->rack_lost, c->snd_una))
		sb->rack_lost = c->snd_una;
}

/**
 * tcp_sack_dupthresh_edge() - RFC 6675 §4 IsLost() for every hole at once
 * @c:	the connection
 *
 * Return: the sequence number below which every unSACKed byte is lost
 * by the DupThresh rules (SND.UNA when none is)
 */
static uint32_t tcp_sack_dupthresh_edge(const struct tcp_conn *c)
{
	const struct tcp_sack_board *sb = &c->sb;
	uint32_t bytes = 0, limit = (TCP_DUPTHRESH - 1) * (uint32_t)c->snd_mss;

	for (unsigned i = sb->n; i-- > 0; ) {
		bytes += sb->r[i].right - sb->r[i].left;
		/* RFC 6675 §4 IsLost(): DupThresh discontiguous SACKed sequences
		 * above, or more than (DupThresh - 1) * SMSS bytes SACKed above */
		if (sb->n - i >= TCP_DUPTHRESH || bytes > limit)
			return sb->r[i].left;
	}
	return c->snd_una;
}

/**
 * tcp_sack_lost_edge() - IsLost() for every hole: RFC 6675 §4 or RACK
 * @c:	the connection
 *
 * A hole RACK declared lost (RFC 8985 §6.2, tcp_tlp.c) is lost even with
 * fewer than DupThresh SACKs above it.
 *
 * Return: the sequence number below which every unSACKed byte is lost
 */
static uint32_t tcp_sack_lost_edge(const struct tcp_conn *c)
{
	return seq_max(tcp_sack_dupthresh_edge(c), seq_max(c->sb.rack_lost, c->snd_una));
}

/**
 * tcp_sack_is_lost() - RFC 6675 §4 IsLost(@seq) for an unSACKed byte
 * @c:		the connection
 * @seq:	the byte
 *
 * Return: true if it is considered lost
 */
bool tcp_sack_is_lost(const struct tcp_conn *c, uint32_t seq)
{
	return seq_lt(seq, tcp_sack_lost_edge(c));
}

/**
 * tcp_sack_hole_end() - where the hole starting at @seq ends
 * @c:		the connection
 * @seq:	an unSACKed byte at or above SND.UNA
 *
 * Return: the left edge of the next range, or SND.MAX
 */
static uint32_t tcp_sack_hole_end(const struct tcp_conn *c, uint32_t seq)
{
	for (unsigned i = 0; i < c->sb.n; i++)
		if (seq_gt(c->sb.r[i].left, seq))
			return c->sb.r[i].left;
	return c->snd_max;
}

/**
 * tcp_sack_hole_pipe() - RFC 6675 §4 SetPipe() for one hole [@a, @b)
 * @c:		the connection
 * @a:		start
 * @b:		end
 * @lost:	the lost edge
 *
 * Return: the hole's bytes presumed in the network
 */
static uint32_t tcp_sack_hole_pipe(const struct tcp_conn *c, uint32_t a, uint32_t b,
				   uint32_t lost)
{
	uint32_t pipe = 0, rx;

	if (!seq_lt(a, b))
		return 0;
	/* RFC 6675 §4 SetPipe() (a): not SACKed and not lost → in flight */
	if (!seq_lt(a, lost))
		pipe += b - a;
	/* RFC 6675 §4 SetPipe() (b): retransmitted (below HighRxt) → in flight */
	rx = seq_min(b, c->sb.high_rxt);
	if (seq_gt(rx, a))
		pipe += rx - a;
	return pipe;
}

/**
 * tcp_sack_pipe() - RFC 6675 §4 SetPipe(): bytes presumed in the network
 * @c:	the connection
 *
 * Return: pipe, bytes
 */
uint32_t tcp_sack_pipe(const struct tcp_conn *c)
{
	uint32_t lost = tcp_sack_lost_edge(c), a = c->snd_una, pipe = 0;

	for (unsigned i = 0; i < c->sb.n; i++) {
		pipe += tcp_sack_hole_pipe(c, a, c->sb.r[i].left, lost);
		a = c->sb.r[i].right;
	}
	return pipe + tcp_sack_hole_pipe(c, a, c->snd_max, lost);
}

/**
 * tcp_sack_first_hole() - first unSACKed byte at or after @from below @limit
 * @c:		the connection
 * @from:	where to start (at or above SND.UNA)
 * @limit:	where to stop
 * @seq:	filled with the byte
 * @len:	filled with the bytes to resend from it (at most SMSS, the hole)
 *
 * Return: true if found
 */
static bool tcp_sack_first_hole(const struct tcp_conn *c, uint32_t from, uint32_t limit,
				uint32_t *seq, uint32_t *len)
{
	uint32_t s = from, end;

	for (unsigned i = 0; i < c->sb.n; i++)
		if (seq_between(s, c->sb.r[i].left, c->sb.r[i].right))
			s = c->sb.r[i].right;
	if (!seq_lt(s, limit))
		return false;
	end = seq_min(tcp_sack_hole_end(c, s), limit);
	*seq = s;
	*len = end - s < c->snd_mss ? end - s : c->snd_mss;
	return true;
}

/**
 * tcp_sack_next_seg() - RFC 6675 §4 NextSeg(), the retransmission rules
 * @c:		the connection, in recovery
 * @new_ok:	rule (2) applies: unsent data the windows allow exists
 * @seq:	filled with the first byte to resend
 * @len:	filled with the length (at most SMSS)
 *
 * Return: TCP_SACK_NEXT_NONE, _RXT (rules 1 and 3), _NEW (rule 2: the
 * caller sends new data) or _RESCUE (rule 4)
 */
enum tcp_sack_next tcp_sack_next_seg(struct tcp_conn *c, bool new_ok,
				     uint32_t *seq, uint32_t *len)
{
	struct tcp_sack_board *sb = &c->sb;
	uint32_t from = seq_max(sb->high_rxt, c->snd_una);
	uint32_t high_sacked = sb->n ? sb->r[sb->n - 1].right : c->snd_una;

	/* RFC 6675 §4 NextSeg() (1): above HighRxt, below the highest SACKed
	 * byte, IsLost() */
	if (tcp_sack_first_hole(c, from, tcp_sack_lost_edge(c), seq, len))
		return TCP_SACK_NEXT_RXT;
	/* (2): new data, if any and the receiver's window allows */
	if (new_ok)
		return TCP_SACK_NEXT_NEW;
	/* (3): above HighRxt, below the highest SACKed byte, not lost */
	if (tcp_sack_first_hole(c, from, high_sacked, seq, len))
		return TCP_SACK_NEXT_RXT;
	/* (4): one rescue retransmission per recovery, of the highest
	 * unSACKed segment, while HighACK > RescueRxt */
	if (seq_gt(c->snd_una, sb->rescue_rxt) && seq_gt(c->snd_max, high_sacked)) {
		uint32_t lo = seq_max(high_sacked, c->snd_una);

		*len = c->snd_max - lo < c->snd_mss ? c->snd_max - lo : c->snd_mss;
		*seq = c->snd_max - *len;
		return TCP_SACK_NEXT_RESCUE;
	}
	return TCP_SACK_NEXT_NONE;
}

/**
 * tcp_sack_skip() - go-back-N after an RTO: step over what is SACKed anew
 * @c:		the connection
 * @seq:	the next byte go-back-N would send
 * @limit:	filled with where this run of unSACKed bytes ends (or SND.MAX)
 *
 * Return: the first unSACKed byte at or after @seq
 */
uint32_t tcp_sack_skip(const struct tcp_conn *c, uint32_t seq, uint32_t *limit)
{
	for (unsigned i = 0; i < c->sb.n; i++)
		if (seq_between(seq, c->sb.r[i].left, c->sb.r[i].right))
			seq = c->sb.r[i].right;
	*limit = tcp_sack_hole_end(c, seq);
	return seq;
}

/**
 * tcp_sack_enter_recovery() - RFC 6675 §5 step 4: start loss recovery
 * @c:	the connection
 *
 * Sets RecoveryPoint, reduces the window (tcp_cc.c), marks the connection
 * and retransmits the first hole; the caller then pushes. Also entered by
 * RACK's time rule (tcp_tlp.c), subject to the same RecoveryPoint rule.
 *
 * Return: true if recovery started
 */
bool tcp_sack_enter_recovery(struct tcp_conn *c)
{
	/* RFC 6675 §5.1 / RFC 6582 §3.2 step 2: not again before RecoveryPoint */
	if (seq_lt(c->snd_una, c->cc.recover))
		return false;
	/* RFC 6675 §5 (4.1): RecoveryPoint = HighData */
	c->cc.recover = c->snd_max;
	/* RFC 6675 §5 (4.2): ssthresh = cwnd = reduced per the cc algorithm */
	tcp_cc_congestion(c);
	c->cc.cwnd = c->cc.ssthresh;
	c->flags |= TCP_CF_IN_RECOVERY;
	c->sb.high_rxt = c->snd_una;
	c->sb.rescue_rxt = c->snd_una;
	STAT_INC(c->s, fast_retransmits);
	STAT_INC(c->s, sack_recoveries);
	/* RFC 6675 §5 (4.3): retransmit the segment at HighACK + 1 now; HighRxt
	 * and RescueRxt become its end */
	tcp_out_sack_first(c);
	c->sb.rescue_rxt = c->sb.high_rxt;
	return true;
}

/**
 * tcp_sack_may_enter() - RFC 6675 §5 steps 2-3 and §5.1
 * @c:	the connection, not in recovery
 *
 * Return: true if loss recovery starts on this ACK
 */
static bool tcp_sack_may_enter(const struct tcp_conn *c)
{
	if (c->snd_una == c->snd_max || c->snd_nxt != c->snd_max)
		return false;		/* nothing out, or go-back-N after an RTO */
	/* RFC 6675 §5.1 / RFC 6582 §3.2 step 2: not again before RecoveryPoint */
	if (seq_lt(c->snd_una, c->cc.recover))
		return false;
	/* RFC 6675 §5 step 2: DupAcks >= DupThresh; step 3: IsLost(HighACK + 1) */
	return c->cc.dupacks >= TCP_DUPTHRESH || tcp_sack_is_lost(c, c->snd_una);
}

/**
 * tcp_sack_on_ack() - RFC 6675 §5: an ACK was processed (SND.UNA updated)
 * @c:		the connection (sack_ok)
 * @advanced:	SND.UNA moved (a cumulative ACK)
 * @dupack:	a duplicate ACK per RFC 6675 §2 (SACKs new data, SND.UNA same)
 */
void tcp_sack_on_ack(struct tcp_conn *c, bool advanced, bool dupack)
{
	if (advanced) {
		tcp_sack_prune(c);
		c->cc.dupacks = 0;	/* RFC 6675 §5 step 1 */
	} else if (dupack && !(c->flags & TCP_CF_IN_RECOVERY)) {
		c->cc.dupacks++;	/* RFC 6675 §5 step 1 */
	}
	if (c->flags & TCP_CF_IN_RECOVERY) {
		/* RFC 6675 §5: a cumulative ACK for RecoveryPoint ends recovery */
		if (!seq_lt(c->snd_una, c->cc.recover)) {
			c->flags &= ~TCP_CF_IN_RECOVERY;
			c->cc.cwnd = c->cc.ssthresh;
		}
		return;			/* step C runs in tcp_out_push() */
	}
	if (tcp_sack_may_enter(c))
		tcp_sack_enter_recovery(c);
}

/**
 * tcp_sack_in_recovery() - is RFC 6675 recovery running?
 * @c:	the connection
 *
 * Return: true with SACK negotiated and recovery in progress
 */
bool tcp_sack_in_recovery(const struct tcp_conn *c)
{
	return c->sack_ok && (c->flags & TCP_CF_IN_RECOVERY);
}
