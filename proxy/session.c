// SPDX-License-Identifier: MIT
/*
 * session.c - one client <-> backend session per stack connection
 *
 * Theory of operation
 *
 * A session pairs a stack connection (struct tcp_conn, the client side) with a
 * non-blocking kernel TCP socket to a backend. tcpgate holds no stream data of
 * its own beyond one wake-up: the kernel socket is the buffer in both
 * directions (DESIGN.md §2).
 *
 *   client -> backend: ops.deliver() sends large deliveries (GSO frames)
 *	straight from the frame into the backend socket and reports what the
 *	kernel took. Small ones (< STAGE_SMALL, one MSS each without
 *	offloads) are copied into the session's stage (stage.c, a buffer from
 *	a bounded per-worker pool) and the session goes on the deferred list
 *	(D_SEND): session_flush() sends everything staged with one send() at
 *	the end of the wake-up. Staged bytes always go before any later byte
 *	(a large delivery sends them first), the client's FIN becomes
 *	shutdown(SHUT_WR) only once none is left, and what a short send()
 *	leaves stays staged until EPOLLOUT (SF_SND_BLOCKED). With the pool
 *	exhausted, deliveries are sent directly. The window offered to the
 *	client is what ops.rcv_space() computes from the socket's free send
 *	space minus the staged bytes, so a slow backend pauses the client and
 *	staging only takes what the socket will take. The send queue is an
 *	estimate (last SIOCOUTQ plus bytes sent since, never too small),
 *	read again only when it matters: past a quarter of the limit (once
 *	per wake-up) and on EPOLLOUT.
 *   backend -> client: received bytes stay in the backend socket's receive
 *	queue until the client acknowledges them. SIOCINQ tells how many are
 *	held (counted from the oldest unacknowledged byte, because we only ever
 *	consume acknowledged bytes); ops.produce() copies from an offset with
 *	MSG_PEEK and SO_PEEK_OFF; ops.acked() drops acknowledged bytes with
 *	MSG_TRUNC. Without SO_PEEK_OFF on TCP (kernel < 6.10) produce peeks
 *	offset + len bytes into a scratch buffer instead.
 *
 * Lifecycle (flags, not a single state, because the two directions close
 * independently):
 *
 *   ops.syn() --connect() EINPROGRESS--> CONNECTING --SO_ERROR 0--> tcp_accept()
 *             --connect() 0------------> (accepted at once)
 *   CONNECTING --error or connect_timeout_ms--> next backend (balance.c,
 *	avoiding those tried), up to defaults.retries more attempts; then
 *	tcp_reject(): the client gets RST. Each failure is also a passive
 *	health observation (health.c). Out of local sockets (EMFILE, ENFILE,
 *	ENOBUFS, ENOMEM) is nobody's backend's fault: no retry, no health
 *	observation, RST at once, one log line a minute. forward =
 *	"original" connects to the tuple's destination instead, without
 *	retries.
 *   connect succeeded: the PROXY protocol header (proxy_proto.c) is written
 *	first, before tcp_accept() lets the client send anything
 *   TCP_EV_ESTABLISHED: start announcing backend bytes
 *   TCP_EV_PEER_FIN: shutdown(SHUT_WR) on the backend, after the staged
 *	bytes                                               (CLIENT_FIN)
 *   backend EOF: announce the final count, tcp_shutdown()  (BACKEND_EOF)
 *   TCP_EV_RESET / TCP_EV_TIMEOUT: backend closed with RST (SO_LINGER {1,0}),
 *	staged bytes dropped with it (so on every reset path)
 *   backend RST / error, idle timeout, drain deadline: RST both sides
 *   TCP_EV_CLOSED: close the backend if still open; the session is freed
 *	after the current batch (never inside a callback). Staged bytes the
 *	kernel would not take yet keep the socket open without the
 *	connection (SF_LINGER) until they are sent, or until the idle
 *	timeout or the drain deadline resets it
 *
 * Every way out goes through session_teardown(). Each path notes why with
 * session_note_end(); on a listener with log = true, session_release(), the
 * one place every session ends, writes the connection log line
 * (proxy/connlog.c).
 *
 * Callbacks must not call back into the stack, so what a callback decides
 * that needs a tcp_*() call is recorded in @deferred and the session is put
 * on the table's deferred list; session_flush() performs those actions once
 * the stack call has returned. The epoll interest of a session is computed
 * in one place, session_epoll_events(), from its flags.
 *
 * Timers: connecting sessions sit on a FIFO ordered by start time (the
 * connect timeout is the same for all), established ones on an LRU list
 * ordered by last activity (a session moves to the tail at most once per
 * second, so an idle reset may come up to a second late, never early), and
 * both checks only look at list heads. Two more FIFOs, in the order
 * sessions enter them: half-closed sessions (one direction finished,
 * defaults.halfclosed_timeout_s) and, with defaults.max_lifetime_s, every
 * session by creation time. A session whose client
 * window is closed because the backend's send buffer is full waits for
 * EPOLLOUT; if the kernel calls the socket writable before our stricter
 * estimate reopens the window, the session goes on a watch list polled every
 * millisecond until it does (the kernel would not wake us again).
 *
 * Memory: sessions come from a free list that grows in chunks of
 * SESSION_CHUNK, up to defaults.max_connections; staging buffers from a pool
 * of at most SESSION_STAGE_BUFS per worker, held only while bytes are staged;
 * nothing is allocated per packet.
 *
 * Limits: defaults.max_connections (this table and the stack's pool, and
 * with several workers a counter they share), the listener's
 * max_connections, and each backend's (a full backend is skipped by
 * balance.c); a SYN over a limit gets RST and counts in
 * connections_refused. With several workers every limit is taken as an
 * atomic reservation (increment, then undo if over), so workers admitting
 * connections at the same moment cannot overshoot it.
 */
#include "proxy/session.h"

#include <assert.h>
#include <errno.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "proxy/balance.h"
#include "proxy/connlog.h"
#include "proxy/health.h"
#include "proxy/log.h"
#include "proxy/proxy_proto.h"
#include "proxy/stage.h"

#define SESSION_CHUNK		256
#define SESSION_TOUCH_US	1000000ULL	/* LRU move granularity */
#define SESSION_WATCH_US	1000ULL		/* window watch poll interval */
#define SESSION_SCRATCH_MAX	(64U << 20)	/* fallback peek buffer bound */
#define SESSION_STAGE_BUFS	64		/* staging buffers per worker (4 MiB) */

/* Session flags */
enum {
	SF_CONNECTING	= 1u << 0,	/* backend connect() in progress */
	SF_ESTABLISHED	= 1u << 1,	/* the client completed the handshake */
	SF_CLIENT_FIN	= 1u << 2,	/* client FIN passed on (SHUT_WR) */
	SF_BACKEND_HUP	= 1u << 3,	/* backend sent FIN: SIOCINQ is final */
	SF_BACKEND_EOF	= 1u << 4,	/* tcp_shutdown() done */
	SF_SND_BLOCKED	= 1u << 5,	/* send() hit EAGAIN */
	SF_WND_BLOCKED	= 1u << 6,	/* window to the client closed by us */
	SF_WATCHED	= 1u << 7,	/* on the window watch list */
	SF_DEAD		= 1u << 8,	/* CLOSED seen: free after the batch */
	SF_SHUT_WR	= 1u << 9,	/* shutdown(SHUT_WR) done on the backend */
	SF_LINGER	= 1u << 10,	/* CLOSED seen, staged bytes still to send */
};

/* Deferred actions (need a tcp_*() call, so not from inside a callback) */
enum {
	D_PUMP		= 1u << 0,	/* announce backend bytes / EOF */
	D_ABORT		= 1u << 1,	/* RST both sides */
	D_SEND		= 1u << 2,	/* send the staged client bytes */
};

/* How a session ends (or one side of it) */
enum session_end {
	END_RESET = 0,		/* RST backend and client (errors, idle, drain) */
	END_CLIENT_GONE,	/* client reset / timed out: RST the backend */
	END_CLOSED,		/* TCP_EV_CLOSED: close normally, free later */
	END_CONNECT_FAILED,	/* backend unreachable: RST the client (reject) */
	END__COUNT
};
static const char *const session_end_names[END__COUNT] = {
	[END_RESET] = "reset",
	[END_CLIENT_GONE] = "client gone",
	[END_CLOSED] = "closed",
	[END_CONNECT_FAILED] = "connect failed",
};
static_assert(sizeof(session_end_names) / sizeof(session_end_names[0]) == END__COUNT,
	      "session_end_names must name every end");

/**
 * struct dlist - intrusive doubly linked list node / head (circular)
 */
struct dlist {
	struct dlist *prev, *next;
};

#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

/**
 * struct session - one spliced connection
 * @st:		owning table
 * @conn:	the stack connection, NULL once TCP_EV_CLOSED was delivered
 * @fd:		backend socket, -1 once closed
 * @flags:	SF_*
 * @deferred:	D_* actions waiting for session_flush()
 * @ev_cur:	epoll interest currently registered (0: not registered)
 * @l, @b:	listener and backend
 * @sndbuf:	SO_SNDBUF of @fd, refreshed when the window gets tight
 * @outq_est:	bytes queued in @fd's send queue, never less than the truth:
 *		the last SIOCOUTQ reading plus every byte sent since
 * @outq_wake:	wake-up (session_table.wake) of that reading
 * @stage:	client bytes taken but not yet sent to @fd (stage.c)
 * @announced:	bytes announced with tcp_send_avail(), minus those acked since
 * @peek_off:	the kernel's SO_PEEK_OFF of @fd as we track it, -1 unset
 * @started:	creation time
 * @connect_at:	start of the current backend connect attempt
 * @halfclosed_at: when one direction finished (0: not yet)
 * @tuple:	the client connection's 4-tuple
 * @dst_addr, @dst_port: where the backend socket connects
 * @tried:	backends tried (balance_bit()), @tries failed attempts
 * @hc, @life:	nodes on the half-closed and lifetime FIFOs
 * @last_active: last time bytes moved (either direction)
 * @lru_at:	when the session was last moved to the tail of the idle LRU;
 *		@last_active - @lru_at < SESSION_TOUCH_US, so an idle timeout
 *		is never early and at most SESSION_TOUCH_US late
 * @timer:	node on the connecting FIFO or the idle LRU
 * @watch:	node on the window watch list (SF_WATCHED)
 * @next:	deferred list, dead list or free list link
 * @in_defer:	on the deferred list
 * @id:		sequence number for logs
 * @bytes_in, @bytes_out: client -> backend taken, backend -> client acked
 * @end:	why it ended, for the connection log (session_note_end())
 */
struct session {
	struct session_table *st;
	struct tcp_conn *conn;
	int fd;
	uint32_t flags;
	uint32_t deferred;
	uint32_t ev_cur;
	struct listener *l;
	struct backend *b;
	size_t sndbuf;
	size_t outq_est;
	uint64_t outq_wake;
	struct stage stage;
	size_t announced;
	int32_t peek_off;
	stack_time_us started;
	stack_time_us connect_at, halfclosed_at;
	struct tcp_tuple tuple;
	uint32_t dst_addr;
	uint16_t dst_port;
	uint64_t tried;
	unsigned tries;
	struct dlist hc, life;
	stack_time_us last_active;
	stack_time_us lru_at;
	struct dlist timer;
	struct dlist watch;
	struct session *next;
	bool in_defer;
	uint64_t id;
	uint64_t bytes_in, bytes_out;
	enum connlog_reason end;
};

/**
 * struct session_table - every session of one worker
 * @lt:		listeners
 * @epfd:	the worker's epoll instance
 * @now:	time of the current wake-up
 * @wake:	counts wake-ups (session_set_now() calls)
 * @stage_pool:	staging buffers of this worker's sessions
 * @connect_timeout_us, @idle_timeout_us: from defaults
 * @halfclosed_us, @lifetime_us: from defaults, 0 = none
 * @retries:	further backends tried after a failed connect
 * @halfclosed, @lifetime: FIFOs of half-closed / all sessions (with a limit)
 * @max:	most sessions at once (defaults.max_connections)
 * @count:	live sessions (allocated, not freed)
 * @allocated:	sessions ever allocated (pool size)
 * @free:	free list
 * @dead:	sessions to free after the batch
 * @defer_head, @defer_tail: sessions with deferred actions, FIFO
 * @connecting:	FIFO of connecting sessions, oldest first
 * @idle:	LRU of the others, least recently active first
 * @watching:	sessions polled for their window to reopen
 * @chunks:	allocated chunks, to free at destroy
 * @n_chunks:	entries in @chunks
 * @peek_off_ok: the kernel supports SO_PEEK_OFF on TCP
 * @scratch:	fallback peek buffer (@scratch_len bytes)
 * @sndbuf_initial: SO_SNDBUF of a freshly connected backend socket, read once:
 *		every new socket starts with the same (net.ipv4.tcp_wmem[1])
 * @draining:	refuse new sessions
 * @in_cb:	depth of stack callbacks running (no tcp_*() allowed)
 * @next_id:	next session id (the worker's index in the top bits)
 * @global_active: sessions of every worker (shared, atomic), NULL alone
 */
struct session_table {
	struct listener_table *lt;
	int epfd;
	stack_time_us now;
	uint64_t wake;
	struct stage_pool *stage_pool;
	stack_time_us connect_timeout_us, idle_timeout_us;
	stack_time_us halfclosed_us, lifetime_us;
	unsigned retries;
	size_t sndbuf_initial;
	struct dlist halfclosed, lifetime;
	size_t max, count, allocated;
	struct session *free, *dead;
	struct session *defer_head, *defer_tail;
	struct dlist connecting, idle, watching;
	struct session **chunks;
	size_t n_chunks;
	bool peek_off_ok;
	uint8_t *scratch;
	size_t scratch_len;
	bool draining;
	unsigned in_cb;
	uint64_t next_id;
	uint64_t *global_active;
};

/* --- small helpers ----------------------------------------------------- */

/**
 * dlist_init() - make an empty list head
 * @h:		the head
 */
static void dlist_init(struct dlist *h)
{
	h->prev = h->next = h;
}

/**
 * dlist_empty() - whether a list is empty (or a node is unlinked)
 * @h:		head or node
 *
 * Return: true if empty / unlinked
 */
static bool dlist_empty(const struct dlist *h)
{
	return h->next == h;
}

/**
 * dlist_del() - unlink a node (safe on an unlinked node)
 * @n:		the node
 */
static void dlist_del(struct dlist *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	dlist_init(n);
}

/**
 * dlist_add_tail() - append a node, unlinking it first
 * @h:		the head
 * @n:		the node
 */
static void dlist_add_tail(struct dlist *h, struct dlist *n)
{
	dlist_del(n);
	n->prev = h->prev;
	n->next = h;
	h->prev->next = n;
	h->prev = n;
}

/**
 * addr_str() - dotted quad of a host-order address
 * @addr:	address
 * @buf:	INET_ADDRSTRLEN bytes
 *
 * Return: @buf
 */
static const char *addr_str(uint32_t addr, char *buf)
{
	struct in_addr a = { .s_addr = htonl(addr) };

	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

/* --- pool -------------------------------------------------------------- */

/**
 * session_pool_grow() - add a chunk of sessions to the free list
 * @st:		the table
 *
 * Return: 0, or -ENOMEM
 */
static int session_pool_grow(struct session_table *st)
{
	struct session **chunks;
	struct session *c;

	chunks = realloc(st->chunks, (st->n_chunks + 1) * sizeof(*chunks));
	if (!chunks)
		return -ENOMEM;
	st->chunks = chunks;
	c = calloc(SESSION_CHUNK, sizeof(*c));
	if (!c)
		return -ENOMEM;
	st->chunks[st->n_chunks++] = c;
	for (size_t i = 0; i < SESSION_CHUNK; i++) {
		c[i].next = st->free;
		st->free = &c[i];
	}
	st->allocated += SESSION_CHUNK;
	return 0;
}

/**
 * session_alloc() - take a session from the free list
 * @st:		the table
 *
 * Return: a zeroed, initialised session, or NULL at the limit or out of memory
 */
static struct session *session_alloc(struct session_table *st)
{
	struct session *s;

	if (st->count >= st->max)
		return NULL;
	if (st->global_active &&
	    __atomic_add_fetch(st->global_active, 1, __ATOMIC_RELAXED) > st->max) {
		__atomic_fetch_sub(st->global_active, 1, __ATOMIC_RELAXED);
		return NULL;
	}
	if (!st->free && session_pool_grow(st)) {
		if (st->global_active)
			__atomic_fetch_sub(st->global_active, 1, __ATOMIC_RELAXED);
		return NULL;
	}
	s = st->free;
	st->free = s->next;
	memset(s, 0, sizeof(*s));
	s->st = st;
	s->fd = -1;
	s->peek_off = -1;
	s->id = st->next_id++;
	s->started = s->last_active = s->lru_at = st->now;
	dlist_init(&s->timer);
	dlist_init(&s->watch);
	dlist_init(&s->hc);
	dlist_init(&s->life);
	st->count++;
	return s;
}

/**
 * session_note_end() - record why a session ends, for the connection log
 * @s:		the session
 * @r:		what happened: the first abnormal event wins over an orderly
 *		close, and the first side to close wins between those
 */
static void session_note_end(struct session *s, enum connlog_reason r)
{
	if (s->end == CONNLOG_UNKNOWN ||
	    (connlog_reason_is_normal(s->end) && !connlog_reason_is_normal(r)))
		s->end = r;
}

/**
 * session_log_close() - the connection log line of a finished session
 * @s:		the session, its listener has log = true
 */
static void session_log_close(const struct session *s)
{
	struct connlog_rec r = {
		.listener = s->l->conf->name,
		.tuple = s->tuple,
		.backend_addr = s->dst_addr,
		.backend_port = s->dst_port,
		.bytes_in = s->bytes_in,
		.bytes_out = s->bytes_out,
		.duration_us = s->st->now - s->started,
		.reason = s->end,
	};

	connlog_write(&r);
}

/**
 * session_release() - return a finished session to the free list
 * @s:		the session: no connection, no socket, on no list
 */
static void session_release(struct session *s)
{
	struct session_table *st = s->st;

	assert(!s->conn && s->fd < 0 && !s->in_defer);
	assert(!s->stage.buf);	/* every way out sends or drops the staged bytes */
	if (s->l->conf->log)
		session_log_close(s);
	LSTAT_DEC(s->l, connections_active);
	if (s->b)
		LSTAT_DEC(s->b, connections_active);
	s->l = NULL;	/* free: skipped by session_for_each() */
	s->b = NULL;
	s->next = st->free;
	st->free = s;
	st->count--;
	if (st->global_active)
		__atomic_fetch_sub(st->global_active, 1, __ATOMIC_RELAXED);
}

/* --- epoll and deferral -------------------------------------------------- */

/**
 * session_epoll_events() - the epoll interest a session needs, from its state
 * @s:		the session
 *
 * Return: epoll event mask (0: not registered)
 */
static uint32_t session_epoll_events(const struct session *s)
{
	uint32_t ev;

	if (s->fd < 0)
		return 0;
	if (s->flags & SF_CONNECTING)
		return EPOLLOUT | EPOLLET;
	ev = EPOLLIN | EPOLLRDHUP | EPOLLET;
	if (s->flags & (SF_SND_BLOCKED | SF_WND_BLOCKED))
		ev |= EPOLLOUT;
	return ev;
}

/**
 * session_epoll_sync() - bring the registered interest in line with the state
 * @s:		the session
 *
 * Return: 0, or -errno from epoll_ctl()
 */
static int session_epoll_sync(struct session *s)
{
	struct epoll_event ev = { .events = session_epoll_events(s), .data.ptr = s };
	int op;

	if (ev.events == s->ev_cur)
		return 0;
	if (!ev.events)
		op = EPOLL_CTL_DEL;
	else
		op = s->ev_cur ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
	if (epoll_ctl(s->st->epfd, op, s->fd, &ev) < 0) {
		int ret = -errno;

		log_error_rl("session %llu: epoll_ctl: %s",
			     (unsigned long long)s->id, strerror(-ret));
		return ret;
	}
	s->ev_cur = ev.events;
	return 0;
}

/**
 * session_defer() - record an action to run after the current stack call
 * @s:		the session
 * @action:	D_* bits
 */
static void session_defer(struct session *s, uint32_t action)
{
	struct session_table *st = s->st;

	s->deferred |= action;
	if (s->in_defer)
		return;
	s->in_defer = true;
	s->next = NULL;
	if (st->defer_tail)
		st->defer_tail->next = s;
	else
		st->defer_head = s;
	st->defer_tail = s;
}

/**
 * session_touch() - note activity for the idle timeout
 * @s:		the session
 */
static void session_touch(struct session *s)
{
	struct session_table *st = s->st;

	s->last_active = st->now;
	/* the half-closed timeout counts silence, not age: a download that goes
	 * on after the client's FIN is not cut off while bytes still move */
	if (s->halfclosed_at && !dlist_empty(&s->hc)) {
		s->halfclosed_at = st->now;
		dlist_add_tail(&st->halfclosed, &s->hc);
	}
	if (st->now - s->lru_at < SESSION_TOUCH_US)
		return;
	s->lru_at = st->now;
	if (!(s->flags & SF_CONNECTING) && !dlist_empty(&s->timer))
		dlist_add_tail(&st->idle, &s->timer);
}

/* --- teardown ------------------------------------------------------------ */

/**
 * session_close_fd() - close the backend socket
 * @s:		the session
 * @reset:	send RST instead of FIN (SO_LINGER {1, 0})
 */
static void session_close_fd(struct session *s, bool reset)
{
	if (s->fd < 0)
		return;
	if (reset) {
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };

		setsockopt(s->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	/* close() removes the fd from the epoll set (it is never dup'ed): no EPOLL_CTL_DEL */
	s->ev_cur = 0;
	close(s->fd);
	s->fd = -1;
}

/**
 * session_unlink() - take a session off the timer and watch lists
 * @s:		the session
 */
static void session_unlink(struct session *s)
{
	dlist_del(&s->timer);
	dlist_del(&s->watch);
	dlist_del(&s->hc);
	dlist_del(&s->life);
	s->flags &= ~SF_WATCHED;
}

/**
 * session_bury() - mark a session (no connection left) to be freed after the batch
 * @s:		the session
 */
static void session_bury(struct session *s)
{
	struct session_table *st = s->st;

	s->flags &= ~SF_LINGER;
	if (s->flags & SF_DEAD)
		return;
	s->flags |= SF_DEAD;
	if (!s->in_defer) {
		s->next = st->dead;
		st->dead = s;
	}
}

static void session_stage_send(struct session *s);

/**
 * session_closed() - TCP_EV_CLOSED: the client side is done; close the backend
 * @s:		the session
 *
 * Client bytes still staged were acknowledged to the client, so they must
 * reach the backend before the socket is closed: one more send() now, and if
 * the kernel does not take them all, the session lingers without its
 * connection (SF_LINGER) until EPOLLOUT lets session_stage_send() finish,
 * or the idle timeout, or a drain deadline resets it.
 */
static void session_closed(struct session *s)
{
	s->conn = NULL;
	if (stage_len(&s->stage) && s->fd >= 0 && !(s->flags & SF_LINGER)) {
		session_stage_send(s);
		if (stage_len(&s->stage) && s->fd >= 0) {
			s->flags |= SF_LINGER;
			dlist_del(&s->watch);
			s->flags &= ~SF_WATCHED;
			return;
		}
	}
	session_close_fd(s, false);
	session_unlink(s);
	stage_drop(s->st->stage_pool, &s->stage);
	session_bury(s);
}

/**
 * session_teardown() - the one way a session (or its backend side) ends
 * @s:		the session
 * @how:	what happened, see enum session_end
 *
 * END_RESET and END_CONNECT_FAILED call into the stack; from inside a
 * callback they are deferred as D_ABORT instead. END_CLIENT_GONE and
 * END_CLOSED only touch the socket, so callbacks use them directly. A reset
 * drops the staged client bytes with the socket (the client gets RST too).
 */
static void session_teardown(struct session *s, enum session_end how)
{
	struct session_table *st = s->st;
	struct tcp_conn *c = s->conn;

	log_debug("session %llu: %s", (unsigned long long)s->id, session_end_names[how]);
	switch (how) {
	case END_RESET:
	case END_CONNECT_FAILED:
		if (st->in_cb) {
			session_defer(s, D_ABORT);
			return;
		}
		session_close_fd(s, how == END_RESET);
		session_unlink(s);
		stage_drop(st->stage_pool, &s->stage);
		if (!c) {
			if (s->flags & SF_LINGER)
				session_bury(s);
			return;
		}
		if (s->flags & SF_CONNECTING)
			tcp_reject(c, st->now);
		else
			tcp_abort(c, st->now);
		return;
	case END_CLIENT_GONE:
		session_close_fd(s, true);
		session_unlink(s);
		stage_drop(st->stage_pool, &s->stage);
		return;
	case END_CLOSED:
		session_closed(s);
		return;
	case END__COUNT:
		break;
	}
	assert(0);
}

/* --- client -> backend --------------------------------------------------- */

/**
 * session_sndbuf_refresh() - read the backend socket's current SO_SNDBUF
 * @s:		the session
 */
static void session_sndbuf_refresh(struct session *s)
{
	int v = 0;
	socklen_t l = sizeof(v);

	if (!getsockopt(s->fd, SOL_SOCKET, SO_SNDBUF, &v, &l) && v > 0)
		s->sndbuf = (size_t)v;
}

/**
 * session_outq_refresh() - read the backend socket's send queue (SIOCOUTQ)
 * @s:		the session
 *
 * The estimate becomes the reading; a failed ioctl keeps the old estimate,
 * which is still an over-estimate. SO_SNDBUF grows with autotuning, so it is
 * read again when the queue passes a quarter of it.
 */
static void session_outq_refresh(struct session *s)
{
	int outq = 0;

	s->outq_wake = s->st->wake;
	if (ioctl(s->fd, SIOCOUTQ, &outq) < 0 || outq < 0)
		return;
	s->outq_est = (size_t)outq;
	if (s->outq_est >= s->sndbuf / 4)
		session_sndbuf_refresh(s);
}

/**
 * session_space_left() - how much more the backend socket can take, conservatively
 * @s:		the session (socket open)
 * @fresh:	read SIOCOUTQ now (EPOLLOUT: the kernel just freed space)
 *
 * Half of SO_SNDBUF (the kernel counts skb overhead against it) minus what
 * is queued and what is staged. The queue is the estimate @outq_est, which
 * only over-estimates, so the window offered never exceeds what the socket
 * can take. The kernel is asked again (an ioctl per window computation would
 * be a system call per ACK) only when the estimate passes a quarter of the
 * limit, at most once per wake-up: below that, a better reading could not
 * open the window by more than a quarter.
 *
 * Return: bytes
 */
static size_t session_space_left(struct session *s, bool fresh)
{
	size_t limit = s->sndbuf / 2, queued;

	if (fresh || !limit || (s->outq_est > limit / 4 && s->outq_wake != s->st->wake)) {
		session_outq_refresh(s);
		limit = s->sndbuf / 2;
	}
	queued = s->outq_est + stage_len(&s->stage);
	return limit > queued ? limit - queued : 0;
}

/**
 * session_space() - the window for the client, and whether it is as good as closed
 * @s:		the session
 * @fresh:	read SIOCOUTQ now (see session_space_left())
 *
 * Sets or clears SF_WND_BLOCKED: below a quarter of the limit the window is
 * as good as closed and we want EPOLLOUT to reopen it.
 *
 * Return: bytes
 */
static size_t session_space(struct session *s, bool fresh)
{
	size_t limit, space;

	if (s->fd < 0 || (s->flags & SF_CLIENT_FIN))
		return 0;
	space = session_space_left(s, fresh);
	limit = s->sndbuf / 2;
	if (space < limit / 4)
		s->flags |= SF_WND_BLOCKED;
	else
		s->flags &= ~SF_WND_BLOCKED;
	if (!(s->flags & SF_WND_BLOCKED) && (s->flags & SF_WATCHED)) {
		dlist_del(&s->watch);
		s->flags &= ~SF_WATCHED;
	}
	session_epoll_sync(s);
	return space;
}

/**
 * session_sent() - account for client bytes the backend socket took
 * @s:		the session
 * @n:		bytes
 */
static void session_sent(struct session *s, size_t n)
{
	s->outq_est += n;
	s->bytes_in += (uint64_t)n;
	LSTAT_ADD(s->l, bytes_in, (uint64_t)n);
	LSTAT_ADD(s->b, bytes_in, (uint64_t)n);
	session_touch(s);
}

/**
 * session_send() - send() client bytes to the backend socket
 * @s:		the session (socket open)
 * @data:	bytes
 * @len:	how many
 *
 * A full socket sets SF_SND_BLOCKED (EPOLLOUT wanted); an error resets the
 * session (deferred when inside a callback).
 *
 * Return: bytes the kernel took (0 if none or on error)
 */
static size_t session_send(struct session *s, const uint8_t *data, size_t len)
{
	ssize_t n = send(s->fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL);

	if (n < 0) {
		int err = errno;

		if (err == EAGAIN || err == EWOULDBLOCK || err == EINTR) {
			s->flags |= SF_SND_BLOCKED;
			session_epoll_sync(s);
			return 0;
		}
		log_debug_rl("session %llu: send to backend: %s",
			     (unsigned long long)s->id, strerror(err));
		session_note_end(s, err == ECONNRESET || err == EPIPE ? CONNLOG_BACKEND_RST
								      : CONNLOG_ERROR);
		session_teardown(s, END_RESET);
		return 0;
	}
	if ((size_t)n < len) {
		s->flags |= SF_SND_BLOCKED;
		session_epoll_sync(s);
	}
	session_sent(s, (size_t)n);
	return (size_t)n;
}

/**
 * session_shut_wr() - pass the client's FIN on, once nothing is staged
 * @s:		the session (SF_CLIENT_FIN)
 */
static void session_shut_wr(struct session *s)
{
	if (s->fd < 0 || (s->flags & SF_SHUT_WR) || stage_len(&s->stage))
		return;
	s->flags |= SF_SHUT_WR;
	if (shutdown(s->fd, SHUT_WR) < 0 && errno != ENOTCONN)
		log_debug_rl("session %llu: shutdown: %s",
			     (unsigned long long)s->id, strerror(errno));
}

/**
 * session_stage_send() - send the staged client bytes with one send()
 * @s:		the session
 *
 * What the kernel does not take stays staged (SF_SND_BLOCKED: EPOLLOUT
 * calls again). Once nothing is staged, a client FIN waiting behind the
 * staged bytes is passed on, and a lingering session (SF_LINGER) is closed.
 */
static void session_stage_send(struct session *s)
{
	struct session_table *st = s->st;
	size_t len = stage_len(&s->stage), n;

	if (s->fd < 0)
		return;
	if (len) {
		n = session_send(s, stage_data(&s->stage), len);
		if (n) {
			LSTAT_INC(s->l, staged_sends);
			stage_consume(st->stage_pool, &s->stage, n);
		}
		if (n < len)
			return;
	}
	if (s->flags & SF_CLIENT_FIN)
		session_shut_wr(s);
	if ((s->flags & SF_LINGER) && !st->in_cb)
		session_closed(s);
}

/**
 * session_stage_take() - stage a small delivery instead of sending it now
 * @s:		the session (socket open, not blocked on an error)
 * @data:	in-order client bytes
 * @len:	how many (< STAGE_SMALL)
 *
 * Only what the socket will take is staged (session_space_left() counts
 * staged bytes against the socket's space), so the send() at the end of the
 * wake-up normally takes it all. A full buffer is sent first; with no free
 * buffer in the pool the caller sends directly.
 *
 * Return: true if all @len bytes were staged (session_flush() sends them)
 */
static bool session_stage_take(struct session *s, const uint8_t *data, size_t len)
{
	struct session_table *st = s->st;

	if ((s->flags & SF_SND_BLOCKED) || session_space_left(s, false) < len)
		return false;
	if (!stage_append(st->stage_pool, &s->stage, data, len)) {
		if (!stage_len(&s->stage))
			return false;			/* pool exhausted */
		session_stage_send(s);
		if (stage_len(&s->stage) || s->fd < 0 ||
		    !stage_append(st->stage_pool, &s->stage, data, len))
			return false;
	}
	LSTAT_INC(s->l, staged_deliveries);
	session_defer(s, D_SEND);
	return true;
}

/**
 * session_deliver() - ops.deliver: client bytes towards the backend socket
 * @app:	the session table
 * @c:		connection
 * @ctx:	the session
 * @data:	in-order client bytes
 * @len:	how many
 *
 * Small deliveries (one MSS without offloads) are staged and sent together
 * after the wake-up; large ones (GSO frames) go straight from the frame,
 * after whatever is staged (ordering).
 *
 * Return: bytes taken: staged, or taken by the kernel (0 if its send
 *	   buffer is full)
 */
static size_t session_deliver(void *app, struct tcp_conn *c, void *ctx,
			      const uint8_t *data, size_t len)
{
	struct session *s = ctx;

	(void)app;
	(void)c;
	if (!s || s->fd < 0 || (s->flags & (SF_CONNECTING | SF_CLIENT_FIN)) ||
	    (s->deferred & D_ABORT))
		return 0;
	if (len < STAGE_SMALL && session_stage_take(s, data, len))
		return len;
	if (stage_len(&s->stage)) {
		session_stage_send(s);
		if (stage_len(&s->stage) || s->fd < 0 || (s->deferred & D_ABORT))
			return 0;
	}
	return session_send(s, data, len);
}

/**
 * session_rcv_space() - ops.rcv_space: the window we can offer the client
 * @app:	the session table
 * @c:		connection
 * @ctx:	the session
 *
 * Return: bytes
 */
static size_t session_rcv_space(void *app, struct tcp_conn *c, void *ctx)
{
	struct session *s = ctx;

	(void)app;
	(void)c;
	if (!s)
		return 0;
	return session_space(s, false);
}

/* --- backend -> client --------------------------------------------------- */

/**
 * session_peek_at() - peek at the backend socket with SO_PEEK_OFF
 * @s:		the session
 * @offset:	bytes after the oldest unacknowledged one
 * @buf:	destination
 * @len:	room in @buf
 *
 * Return: bytes copied (0 if none there), or -errno
 */
static ssize_t session_peek_at(struct session *s, size_t offset, uint8_t *buf,
			       size_t len)
{
	ssize_t n;

	if (s->peek_off < 0 || (size_t)s->peek_off != offset) {
		int off = (int)offset;

		if (setsockopt(s->fd, SOL_SOCKET, SO_PEEK_OFF, &off, sizeof(off)) < 0)
			return -errno;
		s->peek_off = off;
	}
	n = recv(s->fd, buf, len, MSG_PEEK | MSG_DONTWAIT);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
	s->peek_off += (int32_t)n;
	return n;
}

/**
 * session_peek_copy() - peek without SO_PEEK_OFF: through the scratch buffer
 * @s:		the session
 * @offset:	bytes after the oldest unacknowledged one
 * @buf:	destination
 * @len:	room in @buf
 *
 * Return: bytes copied (0 if none there), or -errno
 */
static ssize_t session_peek_copy(struct session *s, size_t offset, uint8_t *buf,
				 size_t len)
{
	struct session_table *st = s->st;
	size_t need = offset + len;
	ssize_t n;

	if (need > SESSION_SCRATCH_MAX)
		return -ENOBUFS;
	if (need > st->scratch_len) {
		uint8_t *p = realloc(st->scratch, need);

		if (!p)
			return -ENOMEM;
		st->scratch = p;
		st->scratch_len = need;
	}
	n = recv(s->fd, st->scratch, need, MSG_PEEK | MSG_DONTWAIT);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
	if ((size_t)n <= offset)
		return 0;
	memcpy(buf, st->scratch + offset, (size_t)n - offset);
	return n - (ssize_t)offset;
}

/**
 * session_produce() - ops.produce: backend bytes for the client, by offset
 * @app:	the session table
 * @c:		connection
 * @ctx:	the session
 * @offset:	bytes after the oldest unacknowledged one
 * @buf:	destination
 * @len:	room in @buf
 *
 * Return: bytes copied, or -errno
 */
static ssize_t session_produce(void *app, struct tcp_conn *c, void *ctx,
			       size_t offset, uint8_t *buf, size_t len)
{
	struct session *s = ctx;
	ssize_t n;

	(void)app;
	(void)c;
	if (!s || s->fd < 0)
		return -EPIPE;
	if (s->st->peek_off_ok)
		n = session_peek_at(s, offset, buf, len);
	else
		n = session_peek_copy(s, offset, buf, len);
	if (n < 0)
		log_debug_rl("session %llu: peek at %zu: %s", (unsigned long long)s->id,
			     offset, strerror((int)-n));
	return n;
}

/**
 * session_acked() - ops.acked: drop bytes the client acknowledged
 * @app:	the session table
 * @c:		connection
 * @ctx:	the session
 * @n:		bytes, the oldest held
 */
static void session_acked(void *app, struct tcp_conn *c, void *ctx, size_t n)
{
	struct session *s = ctx;
	size_t left = n;

	(void)app;
	(void)c;
	if (!s || s->fd < 0)
		return;
	while (left) {
		ssize_t r = recv(s->fd, NULL, left, MSG_TRUNC | MSG_DONTWAIT);

		if (r <= 0) {
			log_warn_rl("session %llu: dropping %zu acked bytes: %s",
				    (unsigned long long)s->id, left,
				    r < 0 ? strerror(errno) : "short");
			break;
		}
		left -= (size_t)r;
	}
	/* A consuming read moves the kernel's peek offset back (sk_peek_offset_bwd) */
	if (s->peek_off >= 0)
		s->peek_off = (size_t)s->peek_off > n ? s->peek_off - (int32_t)n : 0;
	s->announced = s->announced > n ? s->announced - n : 0;
	s->bytes_out += n;
	LSTAT_ADD(s->l, bytes_out, (uint64_t)n);
	LSTAT_ADD(s->b, bytes_out, (uint64_t)n);
	session_touch(s);
}

/**
 * session_pump() - announce what the backend socket holds; pass on its EOF
 * @s:		the session (not inside a callback)
 */
static void session_pump(struct session *s)
{
	struct session_table *st = s->st;
	int inq = 0;

	if (!s->conn || s->fd < 0 || !(s->flags & SF_ESTABLISHED) ||
	    (s->flags & SF_BACKEND_EOF))
		return;
	if (ioctl(s->fd, SIOCINQ, &inq) < 0 || inq < 0) {
		session_note_end(s, CONNLOG_ERROR);
		session_teardown(s, END_RESET);
		return;
	}
	if ((size_t)inq > s->announced)
		session_touch(s);
	if (s->flags & SF_BACKEND_HUP) {
		/* SIOCINQ is final: the FIN can go out with the last bytes */
		s->flags |= SF_BACKEND_EOF;
		s->announced = (size_t)inq;
		tcp_send_final(s->conn, (size_t)inq, st->now);
	} else if ((size_t)inq != s->announced) {
		s->announced = (size_t)inq;
		tcp_send_avail(s->conn, (size_t)inq, st->now);
	}
}

/* --- events -------------------------------------------------------------- */

/**
 * session_halfclosed() - one direction finished: start the half-closed timer
 *			  (restarted by every session_touch(): it is an idle timer)
 * @s:		the session
 */
static void session_halfclosed(struct session *s)
{
	struct session_table *st = s->st;

	if (!st->halfclosed_us || s->halfclosed_at)
		return;
	s->halfclosed_at = st->now;
	dlist_add_tail(&st->halfclosed, &s->hc);
}

/**
 * session_event() - ops.event: connection events from the stack
 * @app:	the session table
 * @c:		connection
 * @ctx:	the session (NULL if we never attached one)
 * @ev:		the event
 */
static void session_event(void *app, struct tcp_conn *c, void *ctx, enum tcp_event ev)
{
	struct session *s = ctx;

	(void)app;
	(void)c;
	if (!s)
		return;
	switch (ev) {
	case TCP_EV_ESTABLISHED:
		s->flags |= SF_ESTABLISHED;
		session_defer(s, D_PUMP);
		break;
	case TCP_EV_PEER_FIN:
		s->flags |= SF_CLIENT_FIN;
		session_note_end(s, CONNLOG_CLIENT_FIN);
		session_halfclosed(s);
		/* every byte before the FIN was delivered: send the staged ones,
		 * then SHUT_WR (now, or when EPOLLOUT lets the rest go) */
		session_stage_send(s);
		break;
	case TCP_EV_RESET:
	case TCP_EV_TIMEOUT:
		session_note_end(s, ev == TCP_EV_RESET ? CONNLOG_CLIENT_RST : CONNLOG_CLIENT_TIMEOUT);
		session_teardown(s, END_CLIENT_GONE);
		break;
	case TCP_EV_CLOSED:
		session_teardown(s, END_CLOSED);
		break;
	case TCP_EV__COUNT:
		break;
	}
}

/* --- handshake ----------------------------------------------------------- */

/**
 * backend_connect() - start a non-blocking connect
 * @addr, @port: destination, host byte order
 * @fd:		set to the socket
 *
 * Return: 0 connected already, -EINPROGRESS in progress, other -errno failed
 *	   (then no socket is left open)
 */
static int backend_connect(uint32_t addr, uint16_t port, int *fd)
{
	struct sockaddr_in sa = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = htonl(addr),
	};
	int one = 1, ret;

	*fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (*fd < 0)
		return -errno;
	setsockopt(*fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (!connect(*fd, (struct sockaddr *)&sa, sizeof(sa)))
		return 0;
	ret = -errno;
	if (ret == -EINPROGRESS)
		return ret;
	close(*fd);
	*fd = -1;
	return ret;
}

/**
 * session_refuse() - count a refused SYN for a listener
 * @l:		the listener
 *
 * Return: STACK_SYN_REJECT
 */
static enum stack_syn_verdict session_refuse(struct listener *l)
{
	LSTAT_INC(l, connections_refused);
	return STACK_SYN_REJECT;
}

/**
 * session_attach() - make @b the session's backend for the next attempt
 * @s:		the session (no backend attached)
 * @b:		the backend (its connections_active already counts @s)
 */
static void session_attach(struct session *s, struct backend *b)
{
	s->b = b;
	s->tried |= balance_bit(s->l, b);
	if (s->l->conf->forward_original) {
		s->dst_addr = s->tuple.vip_addr;
		s->dst_port = s->tuple.vip_port;
	} else {
		s->dst_addr = b->addr;
		s->dst_port = b->port;
	}
}

/**
 * session_connect_error() - count, observe and log a failed connect attempt,
 *			     and detach the backend
 * @s:		the session
 * @err:	positive errno
 */
static void session_connect_error(struct session *s, int err)
{
	char a[INET_ADDRSTRLEN];

	LSTAT_INC(s->b, connect_failures);
	health_observe(s->l, s->b, false, s->st->now);
	log_warn_rl("listener %s: connect to %s:%u: %s", s->l->conf->name,
		    addr_str(s->dst_addr, a), s->dst_port, strerror(err));
	LSTAT_DEC(s->b, connections_active);
	s->b = NULL;
}

/**
 * session_local_exhaustion() - whether a connect failed for want of a local
 *				resource (not the backend's fault)
 * @ret:	-errno from backend_connect()
 *
 * Return: true for EMFILE, ENFILE, ENOBUFS, ENOMEM
 */
static bool session_local_exhaustion(int ret)
{
	return ret == -EMFILE || ret == -ENFILE || ret == -ENOBUFS || ret == -ENOMEM;
}

/**
 * session_connect_local_error() - no socket for the backend: give up on the
 *				   SYN without blaming the backend
 * @s:		the session (backend attached by session_attach())
 * @err:	positive errno
 *
 * Out of file descriptors (or socket memory), every backend would fail the
 * same way: no retry, no connect_failures, no passive health failure. The
 * client gets RST (counted in connections_refused by the caller). The
 * condition lasts while connections hold their sockets, so it is logged at
 * most once a minute, with the count of SYNs refused meanwhile.
 */
static void session_connect_local_error(struct session *s, int err)
{
	LOG_ONCE_PER(60, LOG_LVL_ERROR, "listener %s: cannot open a backend socket: %s; "
		     "refusing new connections until resources free up",
		     s->l->conf->name, strerror(err));
	LSTAT_DEC(s->b, connections_active);
	s->b = NULL;
}

/**
 * session_connect_next() - connect to the next backend, retrying at once on
 *			    immediate failures
 * @s:		the session (no backend attached, no socket)
 *
 * Return: 0 connected, -EINPROGRESS in progress (on the connecting FIFO),
 *	   -ENOENT no usable backend, other -errno every attempt failed
 */
static int session_connect_next(struct session *s)
{
	struct session_table *st = s->st;
	struct listener *l = s->l;
	int ret = -ENOENT;

	for (;;) {
		struct backend *b = l->conf->forward_original ? &l->backends[0] :
				    balance_pick_reserve(l, s->tuple.client_addr, s->tried);
		int fd;

		if (b && l->conf->forward_original)
			LSTAT_INC(b, connections_active);	/* no limit, no pick */
		if (!b) {
			log_warn_rl("listener %s: no backend available (down, drained or full)",
				    l->conf->name);
			return ret;
		}
		session_attach(s, b);
		ret = backend_connect(s->dst_addr, s->dst_port, &fd);
		if (!ret || ret == -EINPROGRESS) {
			s->fd = fd;
			s->flags |= SF_CONNECTING;
			s->connect_at = st->now;
			dlist_add_tail(&st->connecting, &s->timer);
			session_epoll_sync(s);
			return ret;
		}
		if (session_local_exhaustion(ret)) {
			session_connect_local_error(s, -ret);
			return ret;
		}
		session_connect_error(s, -ret);
		if (++s->tries > st->retries || l->conf->forward_original)
			return ret;
	}
}

/**
 * session_backend_ready() - the backend connect succeeded: splice from now on
 * @s:		the session (connected socket)
 *
 * Writes the PROXY protocol header first when the listener wants one; the
 * socket is fresh, so the kernel takes the few bytes whole.
 *
 * Return: 0, or -errno (header not written: give up on this session)
 */
static int session_backend_ready(struct session *s)
{
	struct session_table *st = s->st;
	uint8_t hdr[PROXY_PROTO_MAX];
	size_t n = proxy_proto_header(s->l->conf->proxy_protocol, &s->tuple, hdr, sizeof(hdr));

	s->flags &= ~SF_CONNECTING;
	s->last_active = s->lru_at = st->now;
	dlist_add_tail(&st->idle, &s->timer);
	LSTAT_INC(s->b, connections_total);
	health_observe(s->l, s->b, true, st->now);
	if (!st->sndbuf_initial) {
		session_sndbuf_refresh(s);
		st->sndbuf_initial = s->sndbuf;
	}
	s->sndbuf = st->sndbuf_initial;	/* session_space() rereads it as the queue grows */
	session_epoll_sync(s);
	s->outq_est = n;	/* the estimate session_space() starts from */
	if (n && send(s->fd, hdr, n, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)n) {
		session_note_end(s, CONNLOG_ERROR);
		log_warn_rl("session %llu: PROXY header not sent", (unsigned long long)s->id);
		s->flags |= SF_CONNECTING;	/* still pending: reject, not abort */
		return -EIO;
	}
	return 0;
}

/**
 * session_over_limit() - whether a listener takes no new connection
 * @st:		the table
 * @l:		the listener
 *
 * Return: true when draining or at the global limit (the listener's is
 *	   session_listener_take()'s)
 */
static bool session_over_limit(const struct session_table *st, const struct listener *l)
{
	if (st->draining || __atomic_load_n(&l->draining, __ATOMIC_RELAXED))
		return true;
	return st->count >= st->max;
}

/**
 * session_listener_take() - count a new connection on a listener, within
 *			     its max_connections (an atomic reservation)
 * @l:		the listener
 *
 * Return: true if counted, false at the limit (nothing counted)
 */
static bool session_listener_take(struct listener *l)
{
	uint64_t n = __atomic_add_fetch(&l->stats.connections_active, 1, __ATOMIC_RELAXED);

	if (!l->conf->max_connections || n <= l->conf->max_connections)
		return true;
	LSTAT_DEC(l, connections_active);
	return false;
}

/**
 * session_syn_failed() - a SYN could not be served: forget the session
 * @s:		the session (attached to @c as context, no backend, no socket)
 * @c:		the connection
 *
 * Return: STACK_SYN_REJECT
 */
static enum stack_syn_verdict session_syn_failed(struct session *s, struct tcp_conn *c)
{
	struct listener *l = s->l;

	tcp_conn_set_ctx(c, NULL);
	session_note_end(s, CONNLOG_CONNECT_FAILED);
	session_close_fd(s, true);
	session_unlink(s);
	s->conn = NULL;
	if (s->b) {
		LSTAT_DEC(s->b, connections_active);
		s->b = NULL;
	}
	session_release(s);
	return session_refuse(l);
}

/**
 * session_syn() - ops.syn: a client opens a connection
 * @app:	the session table
 * @c:		the new connection
 * @t:		its 4-tuple
 *
 * Return: REJECT (no listener, draining, a limit, no backend, every connect
 *	   failed at once), PENDING (connect in progress) or ACCEPT (connected)
 */
static enum stack_syn_verdict session_syn(void *app, struct tcp_conn *c,
					  const struct tcp_tuple *t)
{
	struct session_table *st = app;
	struct listener *l = listener_find(st->lt, t->vip_addr, t->vip_port);
	struct session *s;
	int ret;

	if (!l)
		return STACK_SYN_REJECT;
	if (session_over_limit(st, l) || !session_listener_take(l))
		return session_refuse(l);
	s = session_alloc(st);
	if (!s) {
		LSTAT_DEC(l, connections_active);
		log_warn_rl("listener %s: no session available", l->conf->name);
		return session_refuse(l);
	}
	s->conn = c;
	s->l = l;
	s->tuple = *t;
	LSTAT_INC(l, connections_total);
	tcp_conn_set_ctx(c, s);
	if (st->lifetime_us)
		dlist_add_tail(&st->lifetime, &s->life);
	ret = session_connect_next(s);
	if (ret == -EINPROGRESS)
		return STACK_SYN_PENDING;
	if (ret || session_backend_ready(s))
		return session_syn_failed(s, c);
	if (log_enabled(LOG_LVL_DEBUG)) {
		char ca[INET_ADDRSTRLEN], ba[INET_ADDRSTRLEN];

		log_debug_rl("session %llu: %s:%u -> listener %s -> %s:%u",
			     (unsigned long long)s->id, addr_str(t->client_addr, ca),
			     t->client_port, l->conf->name, addr_str(s->dst_addr, ba), s->dst_port);
	}
	return STACK_SYN_ACCEPT;
}

/**
 * session_connect_failed() - a connect attempt failed or timed out: retry on
 *			      another backend, or reject the client
 * @s:		a CONNECTING session (not inside a callback)
 * @err:	positive errno
 */
static void session_connect_failed(struct session *s, int err)
{
	struct session_table *st = s->st;
	int ret = -err;

	session_close_fd(s, true);
	dlist_del(&s->timer);
	session_connect_error(s, err);
	if (s->conn && ++s->tries <= st->retries && !s->l->conf->forward_original)
		ret = session_connect_next(s);
	if (ret == -EINPROGRESS)
		return;
	if (!ret && !session_backend_ready(s)) {
		ret = tcp_accept(s->conn, st->now);
		if (!ret)
			return;
		s->flags |= SF_CONNECTING;
	}
	LSTAT_INC(s->l, connections_refused);
	session_note_end(s, CONNLOG_CONNECT_FAILED);
	session_teardown(s, END_CONNECT_FAILED);
}

/**
 * session_connect_done() - the backend connect finished, one way or the other
 * @s:		a CONNECTING session (not inside a callback)
 * @events:	the epoll events that said so (0: ask the socket)
 *
 * EPOLLOUT without EPOLLERR or EPOLLHUP means the connect succeeded; only
 * otherwise is SO_ERROR read (one system call less per connection).
 */
static void session_connect_done(struct session *s, uint32_t events)
{
	struct session_table *st = s->st;
	int err = 0;
	socklen_t l = sizeof(err);

	if ((!(events & EPOLLOUT) || (events & (EPOLLERR | EPOLLHUP))) &&
	    getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &l) < 0)
		err = errno;
	if (!err && (events & (EPOLLERR | EPOLLHUP)))
		err = ECONNREFUSED;
	if (err) {
		session_connect_failed(s, err);
		return;
	}
	if (session_backend_ready(s) == 0) {
		err = -tcp_accept(s->conn, st->now);
		if (!err)
			return;
		log_warn_rl("session %llu: tcp_accept: %s", (unsigned long long)s->id,
			    strerror(err));
		s->flags |= SF_CONNECTING;	/* still pending: reject, not abort */
	}
	LSTAT_INC(s->l, connections_refused);
	session_note_end(s, CONNLOG_CONNECT_FAILED);
	if (s->conn)
		session_teardown(s, END_CONNECT_FAILED);
}

/* --- epoll events on backend sockets -------------------------------------- */

/**
 * session_writable() - EPOLLOUT on an established backend socket
 * @s:		the session (not inside a callback)
 */
static void session_writable(struct session *s)
{
	struct session_table *st = s->st;
	bool was_blocked = s->flags & (SF_SND_BLOCKED | SF_WND_BLOCKED);

	s->flags &= ~SF_SND_BLOCKED;
	if (stage_len(&s->stage) || (s->flags & SF_LINGER))
		session_stage_send(s);
	if (s->fd < 0 || !s->conn || (s->flags & SF_LINGER))
		return;		/* reset, closed, or still lingering */
	session_space(s, true);
	if (s->flags & SF_WND_BLOCKED) {
		/* Writable for the kernel, still tight for us: poll until it opens */
		if (!(s->flags & SF_WATCHED)) {
			s->flags |= SF_WATCHED;
			dlist_add_tail(&st->watching, &s->watch);
		}
		return;
	}
	if (was_blocked && s->conn)
		tcp_window_update(s->conn, st->now);
}

/**
 * session_io() - handle epoll events for a session's backend socket
 * @st:		the table
 * @ref:	the epoll data pointer (the session)
 * @events:	epoll event mask
 */
void session_io(struct session_table *st, void *ref, uint32_t events)
{
	struct session *s = ref;

	(void)st;
	if (s->fd < 0 || (s->flags & SF_DEAD))
		return;		/* closed earlier in this batch: stale event */
	if (s->flags & SF_CONNECTING) {
		session_connect_done(s, events);
		return;
	}
	if (events & EPOLLERR) {
		int err = 0;
		socklen_t l = sizeof(err);

		getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &l);
		log_debug_rl("session %llu: backend error: %s", (unsigned long long)s->id,
			     strerror(err));
		session_note_end(s, err == ECONNRESET || err == EPIPE ? CONNLOG_BACKEND_RST
								      : CONNLOG_ERROR);
		session_teardown(s, END_RESET);
		return;
	}
	if (events & (EPOLLRDHUP | EPOLLHUP)) {
		s->flags |= SF_BACKEND_HUP;
		session_note_end(s, CONNLOG_BACKEND_EOF);
		session_halfclosed(s);
	}
	if (events & EPOLLOUT)
		session_writable(s);
	if (s->conn && (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP)))
		session_pump(s);
}

/* --- deferred work, timers ------------------------------------------------ */

/**
 * session_flush() - run deferred actions, then free finished sessions
 * @st:		the table (not inside a callback)
 */
void session_flush(struct session_table *st)
{
	struct session *s;

	assert(!st->in_cb);
	while ((s = st->defer_head)) {
		uint32_t d = s->deferred;

		st->defer_head = s->next;
		if (!st->defer_head)
			st->defer_tail = NULL;
		s->in_defer = false;
		s->deferred = 0;
		if (s->flags & SF_DEAD) {
			s->next = st->dead;
			st->dead = s;
			continue;
		}
		if (d & D_ABORT) {
			session_teardown(s, (s->flags & SF_CONNECTING) ?
					 END_CONNECT_FAILED : END_RESET);
			continue;
		}
		if (d & D_SEND)
			session_stage_send(s);
		if ((d & D_PUMP) && !(s->flags & SF_DEAD))
			session_pump(s);
	}
	while ((s = st->dead)) {
		st->dead = s->next;
		session_release(s);
	}
}

/**
 * session_watch_poll() - retry sessions waiting for their window to reopen
 * @st:		the table
 */
static void session_watch_poll(struct session_table *st)
{
	struct dlist *n, *next;

	for (n = st->watching.next; n != &st->watching; n = next) {
		struct session *s = container_of(n, struct session, watch);

		next = n->next;
		session_space(s, true);	/* unlinks it when the window reopened */
		if (!(s->flags & SF_WND_BLOCKED) && s->conn)
			tcp_window_update(s->conn, st->now);
	}
}

/**
 * session_limit_timers() - half-closed too long, maximum lifetime: reset
 * @st:		the table (not inside a callback)
 */
static void session_limit_timers(struct session_table *st)
{
	while (!dlist_empty(&st->halfclosed)) {
		struct session *s = container_of(st->halfclosed.next, struct session, hc);

		if (s->halfclosed_at + st->halfclosed_us > st->now)
			break;
		log_debug_rl("session %llu: half-closed timeout", (unsigned long long)s->id);
		LSTAT_INC(s->l, halfclosed_timeouts);
		session_note_end(s, CONNLOG_HALFCLOSED_TIMEOUT);
		session_teardown(s, END_RESET);
		dlist_del(&s->hc);
	}
	while (!dlist_empty(&st->lifetime)) {
		struct session *s = container_of(st->lifetime.next, struct session, life);

		if (s->started + st->lifetime_us > st->now)
			break;
		log_debug_rl("session %llu: maximum lifetime", (unsigned long long)s->id);
		LSTAT_INC(s->l, lifetime_expired);
		session_note_end(s, CONNLOG_LIFETIME);
		session_teardown(s, (s->flags & SF_CONNECTING) ? END_CONNECT_FAILED : END_RESET);
		dlist_del(&s->life);
	}
}

/**
 * session_timers() - connect timeouts, idle timeouts, window watch
 * @st:		the table (not inside a callback)
 */
void session_timers(struct session_table *st)
{
	while (!dlist_empty(&st->connecting)) {
		struct session *s = container_of(st->connecting.next, struct session, timer);

		if (s->connect_at + st->connect_timeout_us > st->now)
			break;
		session_connect_failed(s, ETIMEDOUT);
	}
	session_limit_timers(st);
	while (st->idle_timeout_us && !dlist_empty(&st->idle)) {
		struct session *s = container_of(st->idle.next, struct session, timer);

		if (s->last_active + st->idle_timeout_us > st->now)
			break;
		log_debug_rl("session %llu: idle timeout", (unsigned long long)s->id);
		session_note_end(s, CONNLOG_IDLE_TIMEOUT);
		session_teardown(s, END_RESET);
	}
	session_watch_poll(st);
}

/**
 * session_next_timer() - when session_timers() has something to do
 * @st:		the table
 *
 * Return: absolute time, or STACK_TIME_NEVER
 */
stack_time_us session_next_timer(const struct session_table *st)
{
	stack_time_us t = STACK_TIME_NEVER, u;

	if (st->defer_head)
		return st->now;		/* staged bytes or actions still to flush */
	if (!dlist_empty(&st->watching))
		t = st->now + SESSION_WATCH_US;
	if (!dlist_empty(&st->connecting)) {
		u = container_of(st->connecting.next, struct session, timer)->connect_at +
		    st->connect_timeout_us;
		t = u < t ? u : t;
	}
	if (st->idle_timeout_us && !dlist_empty(&st->idle)) {
		u = container_of(st->idle.next, struct session, timer)->last_active +
		    st->idle_timeout_us;
		t = u < t ? u : t;
	}
	if (!dlist_empty(&st->halfclosed)) {
		u = container_of(st->halfclosed.next, struct session, hc)->halfclosed_at +
		    st->halfclosed_us;
		t = u < t ? u : t;
	}
	if (!dlist_empty(&st->lifetime)) {
		u = container_of(st->lifetime.next, struct session, life)->started +
		    st->lifetime_us;
		t = u < t ? u : t;
	}
	return t;
}

/**
 * session_abort_all() - reset every session (end of the drain period)
 * @st:		the table (not inside a callback)
 */
void session_abort_all(struct session_table *st)
{
	while (!dlist_empty(&st->connecting)) {
		struct session *s = container_of(st->connecting.next, struct session, timer);

		session_note_end(s, CONNLOG_DRAIN);
		session_teardown(s, END_CONNECT_FAILED);
	}
	while (!dlist_empty(&st->idle)) {
		struct session *s = container_of(st->idle.next, struct session, timer);

		session_note_end(s, CONNLOG_DRAIN);
		session_teardown(s, END_RESET);
	}
}

/* --- callbacks wrapper: track that we are inside the stack ------------------ */

/**
 * cb_syn() - ops.syn wrapper marking callback context
 * @app:	the session table
 * @c:		connection
 * @t:		tuple
 *
 * Return: the verdict of session_syn()
 */
static enum stack_syn_verdict cb_syn(void *app, struct tcp_conn *c,
				     const struct tcp_tuple *t)
{
	struct session_table *st = app;
	enum stack_syn_verdict v;

	st->in_cb++;
	v = session_syn(app, c, t);
	st->in_cb--;
	return v;
}

/**
 * cb_deliver() - ops.deliver wrapper marking callback context
 * @app:	the session table
 * @c:		connection
 * @ctx:	session
 * @data:	bytes
 * @len:	count
 *
 * Return: bytes taken
 */
static size_t cb_deliver(void *app, struct tcp_conn *c, void *ctx,
			 const uint8_t *data, size_t len)
{
	struct session_table *st = app;
	size_t n;

	st->in_cb++;
	n = session_deliver(app, c, ctx, data, len);
	st->in_cb--;
	return n;
}

/**
 * cb_event() - ops.event wrapper marking callback context
 * @app:	the session table
 * @c:		connection
 * @ctx:	session
 * @ev:		event
 */
static void cb_event(void *app, struct tcp_conn *c, void *ctx, enum tcp_event ev)
{
	struct session_table *st = app;

	st->in_cb++;
	session_event(app, c, ctx, ev);
	st->in_cb--;
}

const struct stack_ops session_stack_ops = {
	.syn = cb_syn,
	.deliver = cb_deliver,
	.rcv_space = session_rcv_space,
	.produce = session_produce,
	.acked = session_acked,
	.event = cb_event,
};

/* --- table ---------------------------------------------------------------- */

/**
 * probe_peek_off() - whether SO_PEEK_OFF works on TCP sockets (Linux >= 6.10)
 *
 * Return: true if supported
 */
static bool probe_peek_off(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int off = 0;
	bool ok;

	if (fd < 0)
		return false;
	ok = !setsockopt(fd, SOL_SOCKET, SO_PEEK_OFF, &off, sizeof(off));
	close(fd);
	return ok;
}

/**
 * session_table_create() - the session table of one worker
 * @cfg:	configuration (timeouts, limits)
 * @lt:		listener table
 * @epfd:	the worker's epoll instance
 * @err:	error message on failure
 * @errlen:	size of @err
 *
 * Return: the table, or NULL with @err filled
 */
struct session_table *session_table_create(const struct conf *cfg,
					   struct listener_table *lt, int epfd,
					   char *err, size_t errlen)
{
	struct session_table *st = calloc(1, sizeof(*st));

	if (!st) {
		snprintf(err, errlen, "session table: out of memory");
		return NULL;
	}
	st->lt = lt;
	st->epfd = epfd;
	dlist_init(&st->halfclosed);
	dlist_init(&st->lifetime);
	session_set_defaults(st, &cfg->defaults);
	st->next_id = 1;
	dlist_init(&st->connecting);
	dlist_init(&st->idle);
	dlist_init(&st->watching);
	st->peek_off_ok = probe_peek_off();
	st->stage_pool = stage_pool_create(SESSION_STAGE_BUFS);
	if (!st->stage_pool || session_pool_grow(st)) {
		snprintf(err, errlen, "session table: out of memory");
		session_table_destroy(st);
		return NULL;
	}
	return st;
}

/**
 * session_table_share() - one of several workers' tables
 * @st:		the table (no session yet)
 * @worker:	the worker's index: session ids start at @worker << 40, so
 *		they stay unique across workers (worker 0: 1, 2, ...)
 * @global_active: the workers' shared session count, for
 *		defaults.max_connections over all of them
 */
void session_table_share(struct session_table *st, unsigned worker, uint64_t *global_active)
{
	st->next_id = ((uint64_t)worker << 40) + 1;
	st->global_active = global_active;
}

/**
 * session_table_destroy() - free the table (sessions must be gone already,
 *			      or the stack destroyed: sockets are closed here)
 * @st:		the table
 */
void session_table_destroy(struct session_table *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < st->n_chunks; i++) {
		for (size_t j = 0; j < SESSION_CHUNK; j++)
			if (st->chunks[i][j].fd >= 0 && st->chunks[i][j].st)
				close(st->chunks[i][j].fd);
		free(st->chunks[i]);
	}
	free(st->chunks);
	free(st->scratch);
	stage_pool_destroy(st->stage_pool);
	free(st);
}

/**
 * session_set_now() - set the time of the current wake-up
 * @st:		the table
 * @now:	monotonic microseconds
 */
void session_set_now(struct session_table *st, stack_time_us now)
{
	st->now = now;
	st->wake++;	/* SIOCOUTQ may be read once more per session */
}

/**
 * session_set_defaults() - take the timeouts and limits of "defaults"
 * @st:		the table
 * @d:		the defaults (at start, and again on every reload)
 *
 * They apply from now on to every session: the timer lists compare each
 * entry with one shared timeout. A timeout turned off (0) empties its FIFO,
 * whose entries would otherwise all look expired; one turned on covers the
 * sessions that enter its FIFO from now on. A lower max_connections refuses
 * new sessions until the count is below it.
 */
void session_set_defaults(struct session_table *st, const struct conf_defaults *d)
{
	st->connect_timeout_us = (stack_time_us)d->connect_timeout_ms * 1000;
	st->idle_timeout_us = (stack_time_us)d->idle_timeout_s * 1000000;
	st->max = d->max_connections;
	st->halfclosed_us = (stack_time_us)d->halfclosed_timeout_s * 1000000;
	st->lifetime_us = (stack_time_us)d->max_lifetime_s * 1000000;
	st->retries = d->retries;
	while (!st->halfclosed_us && !dlist_empty(&st->halfclosed))
		dlist_del(st->halfclosed.next);
	while (!st->lifetime_us && !dlist_empty(&st->lifetime))
		dlist_del(st->lifetime.next);
}

/**
 * session_set_draining() - refuse new sessions from now on
 * @st:		the table
 * @on:		true to refuse
 */
void session_set_draining(struct session_table *st, bool on)
{
	st->draining = on;
}

/**
 * session_count() - live sessions
 * @st:		the table
 *
 * Return: count
 */
size_t session_count(const struct session_table *st)
{
	return st->count;
}

/**
 * session_peek_off_supported() - whether produce uses SO_PEEK_OFF
 * @st:		the table
 *
 * Return: true if the kernel supports it on TCP
 */
bool session_peek_off_supported(const struct session_table *st)
{
	return st->peek_off_ok;
}

/* --- reload and stats support ---------------------------------------------- */

/**
 * session_for_each() - visit every live session's listener and backend
 * @st:		the table (not inside a callback, dead list flushed)
 * @fn:		called with pointers to the session's listener and backend
 *		pointers, which it may change (reload: re-point at the
 *		surviving objects of a new listener table)
 * @arg:	passed to @fn
 */
void session_for_each(struct session_table *st,
		      void (*fn)(void *arg, struct listener **l, struct backend **b),
		      void *arg)
{
	for (size_t i = 0; i < st->n_chunks; i++)
		for (size_t j = 0; j < SESSION_CHUNK; j++)
			if (st->chunks[i][j].l)
				fn(arg, &st->chunks[i][j].l, &st->chunks[i][j].b);
}

/**
 * session_abort_if() - reset every session for which @pred says so
 * @st:		the table (not inside a callback)
 * @pred:	predicate on the session's listener and backend
 * @arg:	passed to @pred
 *
 * Return: sessions reset
 */
size_t session_abort_if(struct session_table *st,
			bool (*pred)(void *arg, const struct listener *l, const struct backend *b),
			void *arg)
{
	size_t n = 0;

	for (size_t i = 0; i < st->n_chunks; i++)
		for (size_t j = 0; j < SESSION_CHUNK; j++) {
			struct session *s = &st->chunks[i][j];

			if (!s->l || !s->conn || (s->flags & SF_DEAD) || !pred(arg, s->l, s->b))
				continue;
			session_note_end(s, CONNLOG_DRAIN);
			session_teardown(s, (s->flags & SF_CONNECTING) ? END_CONNECT_FAILED
								  : END_RESET);
			n++;
		}
	return n;
}

/**
 * session_describe() - what /connections shows about a connection's session
 * @ctx:	the connection's context (tcp_conn_ctx()), may be NULL
 * @d:		filled in
 *
 * Return: true if @ctx is a live session
 */
bool session_describe(const void *ctx, struct session_desc *d)
{
	const struct session *s = ctx;

	if (!s || !s->l)
		return false;
	d->id = s->id;
	d->listener = s->l->conf->name;
	d->backend_addr = s->b ? s->b->addr : 0;
	d->backend_port = s->b ? s->b->port : 0;
	return true;
}
