// SPDX-License-Identifier: MIT
/*
 * worker.c - the event loop of one worker thread
 *
 * Theory of operation: a worker owns one queue of the link (a TAP queue or
 * an AF_PACKET socket, see worker_link.c), one stack instance, its session
 * table and, through it, every backend socket of its connections; nothing
 * here is shared with other workers (DESIGN.md §2, shared-nothing) except
 * the listener table (read-mostly: its counters are relaxed atomics, its
 * balancing state has a per-listener lock taken once per new connection) and
 * the global connection count. The kernel spreads flows over the queues by
 * flow hash, so every segment of a connection reaches the worker that owns
 * it. With several workers each stack learns its neighbours from the frames
 * it receives (stack_config.glean_on_link): an ARP reply would land on
 * whichever queue the kernel hashes ARP to. Each stack answers the ARP
 * requests that reach its queue.
 *
 * One epoll instance watches:
 *
 *   - the link's fd (level-triggered): up to WORKER_BATCH frames are read
 *     and fed to stack_input(), and one more batch after the other events of
 *     a busy wake-up; if more are still waiting, epoll reports the fd again
 *     at once, so neither the link nor the backends are starved. Frames the
 *     stack sends during a wake-up are flushed at its end (one send(2) for
 *     an AF_PACKET TX ring);
 *   - the worker's eventfd in the runtime: another thread asks for a part of
 *     the connection snapshot, the reload rendezvous (proxy/reload.c), or a
 *     graceful stop; all are answered after the batch, when no stack
 *     callback is running;
 *   - every backend socket (edge-triggered, data.ptr = the session).
 *
 * Signals, health checks, the throughput samples and sd_notify belong to
 * the supervisor (proxy/supervisor.c, the main thread), not to workers.
 *
 * Each wake-up reads CLOCK_MONOTONIC once (@now, microseconds), handles the
 * ready events, runs the stack's and the sessions' due timers, then
 * session_flush() performs what stack callbacks deferred and frees finished
 * sessions (never inside a callback), and the pcap buffer is flushed. The
 * epoll timeout is the earliest of the stack's and the sessions' next timer
 * and the drain deadline. Once a second the worker runs the reload drain
 * timers and refreshes the link's counters; after every wake-up it
 * publishes its session count.
 *
 * Fault injection (interface.fault, experiments and tests only): a
 * link_fault sits between the link and the stack in the configured
 * directions; its held (reordered) frames are released from this loop's
 * timer, and its counters are logged when the worker ends.
 *
 * Graceful stop (RT_REQ_STOP from the supervisor, which already made every
 * listener refuse new SYNs): the session table refuses too and the drain
 * period (defaults.drain_timeout_s) starts; the loop ends when no session is
 * left. At the deadline, or on RT_REQ_ABORT (a second signal), every
 * remaining session is reset on both sides. The thread then tells the
 * supervisor (runtime.done_efd).
 */
#include "proxy/worker.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "proxy/log.h"
#include "proxy/reload.h"
#include "proxy/session.h"
#include "proxy/worker_link.h"
#include "stack/link_fault.h"
#include "stack/pcap.h"

#define WORKER_BATCH		64	/* frames per TAP wake-up */
#define WORKER_EVENTS		256	/* epoll events per wake-up */
#define WORKER_MAX_WAIT_MS	1000
#define WORKER_STOP_GRACE_US	2000000ULL	/* after the reset-all, at most this */

/* epoll data tags for the worker's own fds (sessions use their pointer) */
#define WORKER_REF_LINK		((uint64_t)1)
#define WORKER_REF_RUNTIME	((uint64_t)2)
#define WORKER_TICK_US		1000000ULL	/* reload timers, link counters */

/**
 * struct worker - one event loop
 * @cfg:	configuration (the running one; replaced on reload)
 * @lt:		listener table (shared; contents swapped on reload)
 * @index:	this worker's index (0..workers-1)
 * @thread:	its thread, valid when @started
 * @started:	worker_start() created the thread
 * @rc:		worker_run()'s result
 * @epfd:	epoll instance
 * @link:	the link queue
 * @fault:	fault injector around @link, NULL unless interface.fault
 * @pcap:	capture writer, NULL without --pcap
 * @stack:	the stack instance
 * @st:		sessions
 * @now:	time of the current wake-up, monotonic microseconds
 * @stopping:	graceful stop in progress
 * @aborted:	drain deadline passed: every session was reset
 * @deadline:	end of the drain period
 * @rt:		state shared with the other threads
 * @rw:		reload state (retired listener tables)
 * @rt_pending:	the runtime's eventfd fired: answer after the batch
 * @next_tick:	next once-a-second housekeeping
 */
struct worker {
	const struct conf *cfg;
	struct listener_table *lt;
	unsigned index;
	pthread_t thread;
	bool started;
	int rc;
	int epfd;
	struct worker_link link;
	struct link_fault *fault;
	struct pcap_writer *pcap;
	struct stack *stack;
	struct session_table *st;
	stack_time_us now;
	bool stopping, aborted;
	stack_time_us deadline;
	struct runtime *rt;
	struct reload_worker rw;
	bool rt_pending;
	stack_time_us next_tick;
};

/**
 * now_us() - monotonic time in microseconds
 *
 * Return: microseconds since an arbitrary epoch
 */
static stack_time_us now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (stack_time_us)ts.tv_sec * 1000000ULL + (stack_time_us)ts.tv_nsec / 1000;
}

/**
 * worker_check_conf() - say which offloads the link runs with
 * @cfg:	configuration
 */
static void worker_check_conf(const struct conf *cfg)
{
	if (cfg->iface.offload && cfg->iface.type == CONF_LINK_TAP)
		log_info("offload on: vnet header, TSO4 and checksum offload both ways");
	else if (cfg->iface.offload)
		log_info("offload applies to type \"tap\" only; the packet link runs without");
}

/**
 * worker_epoll_add() - watch one of the worker's own fds
 * @w:		the worker
 * @fd:		the fd
 * @ref:	WORKER_REF_*
 *
 * Return: 0, or -errno
 */
static int worker_epoll_add(struct worker *w, int fd, uint64_t ref)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = ref };

	return epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

/**
 * worker_add_vips() - make the stack answer for every listener address
 * @w:		the worker
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0, or -errno
 */
static int worker_add_vips(struct worker *w, char *err, size_t errlen)
{
	for (size_t i = 0; i < w->lt->n; i++) {
		const struct conf_listener *cl = w->lt->l[i].conf;
		int ret;

		if (cl->any_addr)
			continue;
		ret = stack_add_vip(w->stack, cl->addr);
		if (ret) {
			snprintf(err, errlen, "listener %s: cannot add its address: %s",
				 cl->name, strerror(-ret));
			return ret;
		}
	}
	if (listener_table_any_addr(w->lt))
		stack_set_promiscuous_ip(w->stack, true);
	return 0;
}

/**
 * worker_stack_pool() - the stack's connection table size for a session limit
 * @max:	defaults.max_connections
 *
 * A little larger than the session limit, so a SYN over the limit still
 * gets a table entry and the session table answers it with RST (counted in
 * connections_refused) instead of the stack dropping it silently, and so
 * TIME-WAIT entries do not eat into the limit.
 *
 * Return: entries
 */
static uint32_t worker_stack_pool(unsigned max)
{
	return max + 64 + max / 64;
}

/**
 * worker_create_stack() - the stack instance, configured from the interface
 * @w:		the worker (link and sessions already set up)
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0, or -errno
 */
static int worker_create_stack(struct worker *w, char *err, size_t errlen)
{
	const struct conf_interface *ifc = &w->cfg->iface;
	struct stack_config sc = {
		.addr = ifc->addr,
		.prefix_len = ifc->prefix_len,
		.mtu = ifc->mtu,
		.max_conns = worker_stack_pool(w->cfg->defaults.max_connections),
		.ops = &session_stack_ops,
		.app = w->st,
		.cc = w->cfg->defaults.congestion == CONF_CC_NEWRENO ? STACK_CC_NEWRENO
								      : STACK_CC_CUBIC,
		.link = worker_link_output(&w->link),
		.glean_on_link = ifc->workers > 1,
	};

	if (w->fault)
		sc.link = link_fault_link(w->fault);
	worker_link_mac(&w->link, ifc, sc.mac);
	w->stack = stack_create(&sc, err, errlen);
	if (!w->stack)
		return -EINVAL;
	return worker_add_vips(w, err, errlen);
}

/**
 * worker_fault_deliver() - link_fault input deliverer: a frame into the stack
 * @arg:	the worker
 * @frame:	the frame
 * @len:	its length
 * @off:	its offload metadata, or NULL
 * @now:	current time
 */
static void worker_fault_deliver(void *arg, uint8_t *frame, size_t len,
				 const struct stack_offload *off, stack_time_us now)
{
	struct worker *w = arg;

	stack_input_ex(w->stack, frame, len, off, now);
}

/**
 * worker_create_fault() - the fault injector of interface.fault, if any
 * @w:		the worker (link open)
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0, or -ENOMEM
 */
static int worker_create_fault(struct worker *w, char *err, size_t errlen)
{
	const struct conf_fault *cf = &w->cfg->iface.fault;
	struct link_fault_config fc = {
		.seed = cf->seed,
		.drop = (uint32_t)(cf->drop * 10000.0 + 0.5),
		.duplicate = (uint32_t)(cf->duplicate * 10000.0 + 0.5),
		.reorder = (uint32_t)(cf->reorder * 10000.0 + 0.5),
		.corrupt = (uint32_t)(cf->corrupt * 10000.0 + 0.5),
		.truncate = (uint32_t)(cf->truncate * 10000.0 + 0.5),
		.reorder_delay_us = cf->reorder_delay_ms * 1000u,
		/* with offload, GSO frames (up to 64 KiB) are impaired too */
		.max_frame = w->cfg->iface.offload ? 14u + 65535u : 14u + w->cfg->iface.mtu,
		.in = cf->direction != CONF_FAULT_OUT,
		.out = cf->direction != CONF_FAULT_IN,
	};

	if (!cf->enabled)
		return 0;
	w->fault = link_fault_create(&fc, worker_link_output(&w->link),
				     worker_fault_deliver, w, err, errlen);
	if (!w->fault)
		return -ENOMEM;
	log_info("fault injector on (%s): seed %u drop %.2f%% duplicate %.2f%% reorder %.2f%% "
		 "(%u ms) corrupt %.2f%% truncate %.2f%%", conf_fault_dir_names[cf->direction],
		 cf->seed, cf->drop, cf->duplicate, cf->reorder, cf->reorder_delay_ms,
		 cf->corrupt, cf->truncate);
	return 0;
}

/**
 * worker_log_fault() - log what the fault injector did
 * @w:		the worker
 */
static void worker_log_fault(const struct worker *w)
{
	const struct link_fault_stats *fs;

	if (!w->fault)
		return;
	fs = link_fault_stats(w->fault);
	for (int d = 0; d < 2; d++)
		log_info("fault injector %s: frames %llu dropped %llu duplicated %llu "
			 "reordered %llu corrupted %llu truncated %llu hold_full %llu too_big %llu",
			 d ? "out" : "in", (unsigned long long)fs->frames[d],
			 (unsigned long long)fs->dropped[d], (unsigned long long)fs->duplicated[d],
			 (unsigned long long)fs->reordered[d], (unsigned long long)fs->corrupted[d],
			 (unsigned long long)fs->truncated[d], (unsigned long long)fs->hold_full[d],
			 (unsigned long long)fs->too_big[d]);
}

/**
 * worker_open_pcap() - this worker's capture file: FILE for the first
 *			worker, FILE.N for worker N (one writer per thread)
 * @w:		the worker
 * @path:	--pcap FILE
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0, or -1 with @err filled
 */
static int worker_open_pcap(struct worker *w, const char *path, char *err, size_t errlen)
{
	char name[4096];

	if (w->index)
		snprintf(name, sizeof(name), "%s.%u", path, w->index);
	else
		snprintf(name, sizeof(name), "%s", path);
	w->pcap = pcap_open(name, err, errlen);
	if (!w->pcap)
		return -1;
	worker_link_set_pcap(&w->link, w->pcap);
	return 0;
}

/**
 * worker_create() - set up a worker: its link queue, sessions, stack
 * @cfg:	configuration; must outlive the worker (or be replaced by reload)
 * @lt:		listener table; must outlive the worker
 * @rt:		shared state; must outlive the worker
 * @index:	the worker's index, 0..workers-1 (its slot in @rt)
 * @group:	shared by the links of all workers (zeroed before the first)
 * @pcap_path:	capture file, or NULL
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Called on the main thread, before privileges are dropped (the link is
 * opened here). Return: the worker, or NULL with @err filled
 */
struct worker *worker_create(const struct conf *cfg, struct listener_table *lt,
			     struct runtime *rt, unsigned index,
			     struct worker_link_group *group, const char *pcap_path,
			     char *err, size_t errlen)
{
	struct worker *w = calloc(1, sizeof(*w));

	if (!w) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	w->cfg = cfg;
	w->lt = lt;
	w->rt = rt;
	w->index = index;
	w->rw.rt = rt;
	w->rw.index = index;
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (w->epfd < 0) {
		snprintf(err, errlen, "epoll_create1: %s", strerror(errno));
		goto fail;
	}
	if (!index)
		worker_check_conf(cfg);
	if (worker_link_open(&w->link, &cfg->iface, group, err, errlen))
		goto fail;
	if (pcap_path && worker_open_pcap(w, pcap_path, err, errlen))
		goto fail;
	if (worker_epoll_add(w, worker_link_fd(&w->link), WORKER_REF_LINK)) {
		snprintf(err, errlen, "epoll_ctl (link): %s", strerror(errno));
		goto fail;
	}
	if (worker_epoll_add(w, rt->w[index].efd, WORKER_REF_RUNTIME)) {
		snprintf(err, errlen, "epoll_ctl (runtime): %s", strerror(errno));
		goto fail;
	}
	if (worker_create_fault(w, err, errlen))
		goto fail;
	w->st = session_table_create(cfg, lt, w->epfd, err, errlen);
	if (!w->st || worker_create_stack(w, err, errlen))
		goto fail;
	session_table_share(w->st, index, &rt->active);
	rt->w[index].stack = stack_stats(w->stack);
	rt->w[index].link = worker_link_stats(&w->link);
	if (!index && !session_peek_off_supported(w->st))
		log_info("kernel lacks SO_PEEK_OFF on TCP: backend data is peeked through a copy");
	return w;
fail:
	worker_destroy(w);
	return NULL;
}

/**
 * worker_destroy() - release everything the worker owns
 * @w:		the worker (NULL is fine)
 */
void worker_destroy(struct worker *w)
{
	if (!w)
		return;
	worker_log_fault(w);
	reload_worker_free(&w->rw);
	if (w->stack)
		stack_destroy(w->stack);
	link_fault_destroy(w->fault);
	session_table_destroy(w->st);
	worker_link_set_pcap(&w->link, NULL);
	worker_link_close(&w->link);
	if (w->pcap) {
		pcap_flush(w->pcap);
		pcap_close(w->pcap);
	}
	if (w->epfd >= 0)
		close(w->epfd);
	free(w);
}

/**
 * worker_frame() - worker_link_read_batch() callback: one frame into the stack
 * @arg:	the worker
 * @frame:	the frame (may be modified)
 * @len:	its length
 * @off:	its offload metadata, or NULL
 */
static void worker_frame(void *arg, uint8_t *frame, size_t len,
			 const struct stack_offload *off)
{
	struct worker *w = arg;

	if (w->fault)
		link_fault_input_ex(w->fault, frame, len, off, w->now);
	else
		stack_input_ex(w->stack, frame, len, off, w->now);
}

/**
 * worker_tap_ready() - read a bounded batch of frames
 * @w:		the worker
 *
 * Return: true if the batch was full (more frames are probably waiting)
 */
static bool worker_tap_ready(struct worker *w)
{
	int n = worker_link_read_batch(&w->link, WORKER_BATCH, worker_frame, w);

	if (n < 0)
		log_error_rl("link read: %s", strerror(-n));
	return n == WORKER_BATCH;
}

/**
 * worker_stop() - start the graceful stop (RT_REQ_STOP), or cut it short
 *		   (RT_REQ_ABORT)
 * @w:		the worker
 * @now_too:	reset what is left now
 */
static void worker_stop(struct worker *w, bool now_too)
{
	if (!w->stopping) {
		w->stopping = true;
		w->deadline = w->now + (stack_time_us)w->cfg->defaults.drain_timeout_s * 1000000ULL;
		session_set_draining(w->st, true);
		log_debug("worker %u: draining %zu connections for up to %us", w->index,
			  session_count(w->st), w->cfg->defaults.drain_timeout_s);
	}
	if (now_too && w->deadline > w->now) {
		log_debug("worker %u: resetting %zu connections now", w->index,
			  session_count(w->st));
		w->deadline = w->now;
	}
}

/**
 * worker_timeout_ms() - how long epoll_wait() may sleep
 * @w:		the worker
 *
 * Return: milliseconds, rounded up so a timer is never run early
 */
static int worker_timeout_ms(const struct worker *w)
{
	stack_time_us t = stack_next_timer(w->stack);
	stack_time_us u = session_next_timer(w->st);

	if (u < t)
		t = u;
	if (w->fault && link_fault_next_timer(w->fault) < t)
		t = link_fault_next_timer(w->fault);
	if (w->stopping && w->deadline < t)
		t = w->deadline;
	if (w->next_tick < t)
		t = w->next_tick;
	if (t == STACK_TIME_NEVER)
		return WORKER_MAX_WAIT_MS;
	if (t <= w->now)
		return 0;
	t = (t - w->now + 999) / 1000;
	return t > WORKER_MAX_WAIT_MS ? WORKER_MAX_WAIT_MS : (int)t;
}

/**
 * worker_dispatch() - handle the events of one epoll_wait()
 * @w:		the worker
 * @ev:		events
 * @n:		how many
 */
static void worker_dispatch(struct worker *w, const struct epoll_event *ev, int n)
{
	bool tap_more = false;

	for (int i = 0; i < n; i++) {
		if (ev[i].data.u64 == WORKER_REF_LINK)
			tap_more = worker_tap_ready(w);
		else if (ev[i].data.u64 == WORKER_REF_RUNTIME)
			w->rt_pending = true;
		else
			session_io(w->st, ev[i].data.ptr, ev[i].events);
	}
	/* A busy wake-up can carry hundreds of backend events: give the link a
	 * second batch after them, so the TAP queue (where the client's kernel
	 * drops when it is full) is not starved. */
	if (tap_more && n > 1)
		worker_tap_ready(w);
}

/**
 * worker_drain_check() - end of a graceful stop
 * @w:		the worker
 *
 * Return: true when the loop should end
 */
static bool worker_drain_check(struct worker *w)
{
	if (!w->stopping)
		return false;
	if (!session_count(w->st))
		return true;
	if (w->now < w->deadline)
		return false;
	if (!w->aborted) {
		log_info("drain period over: resetting %zu connections", session_count(w->st));
		w->aborted = true;
		session_abort_all(w->st);
		session_flush(w->st);
		return !session_count(w->st);
	}
	return w->now >= w->deadline + WORKER_STOP_GRACE_US;
}

/**
 * snap_one() - stack_for_each_conn() callback: one snapshot entry
 * @arg:	the worker (runtime lock held, rt->snap has room)
 * @c:		the connection
 */
static void snap_one(void *arg, struct tcp_conn *c)
{
	struct worker *w = arg;
	struct runtime *rt = w->rt;
	struct conn_snap *e;
	struct session_desc d;

	if (rt->n_snap == rt->cap_snap)
		return;
	e = &rt->snap[rt->n_snap++];
	memset(e, 0, sizeof(*e));
	tcp_conn_info(c, &e->info);
	if (session_describe(tcp_conn_ctx(c), &d)) {
		e->id = d.id;
		snprintf(e->listener, sizeof(e->listener), "%s", d.listener);
		e->backend_addr = d.backend_addr;
		e->backend_port = d.backend_port;
	}
}

/**
 * worker_snapshot() - add this worker's connections to the snapshot
 * @w:		the worker (not inside a callback)
 *
 * The walk is a copy of a few dozen bytes per connection: about a
 * millisecond for 10 000, at most four times a second (the runtime caches).
 */
static void worker_snapshot(struct worker *w)
{
	struct runtime *rt = w->rt;
	const struct stack_stats *ss = stack_stats(w->stack);
	size_t want;

	pthread_mutex_lock(&rt->lock);
	if (!rt->snap_pending) {	/* the reader gave up on this round */
		pthread_mutex_unlock(&rt->lock);
		return;
	}
	want = rt->n_snap + (size_t)__atomic_load_n(&ss->connections_active,
						    __ATOMIC_RELAXED) + 16;
	if (want > rt->cap_snap) {
		struct conn_snap *n = realloc(rt->snap, want * sizeof(*n));

		if (n) {
			rt->snap = n;
			rt->cap_snap = want;
		}
	}
	stack_for_each_conn(w->stack, snap_one, w);
	runtime_snapshot_done_locked(rt);
	pthread_mutex_unlock(&rt->lock);
}

/**
 * worker_housekeeping() - answer other threads, and the once-a-second work
 * @w:		the worker (between batches: dead sessions flushed)
 */
static void worker_housekeeping(struct worker *w)
{
	if (w->rt_pending) {
		unsigned req = runtime_worker_take(w->rt, w->index);

		w->rt_pending = false;
		if (req & RT_REQ_SNAPSHOT)
			worker_snapshot(w);
		if (req & RT_REQ_PARK)
			reload_worker_park(&w->rw, w->rt, w->stack, w->st, &w->cfg, w->now);
		if (req & (RT_REQ_STOP | RT_REQ_ABORT))
			worker_stop(w, req & RT_REQ_ABORT);
	}
	__atomic_store_n(&w->rt->w[w->index].sessions, session_count(w->st), __ATOMIC_RELAXED);
	if (w->now < w->next_tick)
		return;
	w->next_tick = w->now + WORKER_TICK_US;
	worker_link_stats(&w->link);	/* folds in the kernel's ring drops */
	reload_timers(&w->rw, w->st, w->now);
	session_flush(w->st);
}

/**
 * worker_run() - the event loop; returns after a graceful stop
 * @w:		the worker
 *
 * Return: 0 after a graceful stop, -errno if epoll failed
 */
static int worker_run(struct worker *w)
{
	struct epoll_event ev[WORKER_EVENTS];

	for (;;) {
		int n;

		w->now = now_us();
		session_set_now(w->st, w->now);
		n = epoll_wait(w->epfd, ev, WORKER_EVENTS, worker_timeout_ms(w));
		if (n < 0 && errno != EINTR) {
			log_error("worker %u: epoll_wait: %s", w->index, strerror(errno));
			return -errno;
		}
		w->now = now_us();
		session_set_now(w->st, w->now);
		if (w->fault) {
			link_fault_set_now(w->fault, w->now);
			link_fault_timers(w->fault, w->now);
		}
		worker_dispatch(w, ev, n > 0 ? n : 0);
		if (stack_next_timer(w->stack) <= w->now)
			stack_timers(w->stack, w->now);
		session_timers(w->st);
		session_flush(w->st);
		worker_housekeeping(w);
		worker_link_flush(&w->link);
		if (w->pcap)
			pcap_flush(w->pcap);
		if (worker_drain_check(w))
			break;
	}
	session_flush(w->st);
	worker_link_flush(&w->link);
	if (w->pcap)
		pcap_flush(w->pcap);
	__atomic_store_n(&w->rt->w[w->index].sessions, session_count(w->st), __ATOMIC_RELAXED);
	return 0;
}

/**
 * worker_thread() - the worker's thread: run the loop, tell the supervisor
 * @arg:	the worker
 *
 * Return: NULL (the result is in @w->rc)
 */
static void *worker_thread(void *arg)
{
	struct worker *w = arg;
	uint64_t one = 1;

	w->rc = worker_run(w);
	if (write(w->rt->done_efd, &one, sizeof(one)) < 0)
		log_error("worker %u: cannot tell the supervisor it ended: %s", w->index,
			  strerror(errno));
	return NULL;
}

/**
 * worker_start() - run the worker on its own thread
 * @w:		the worker
 *
 * Return: 0, or -errno
 */
int worker_start(struct worker *w)
{
	int ret = pthread_create(&w->thread, NULL, worker_thread, w);

	if (ret)
		return -ret;
	w->started = true;
	return 0;
}

/**
 * worker_join() - wait for the worker's thread to end
 * @w:		the worker
 *
 * Return: worker_run()'s result (0 after a graceful stop), 0 if never started
 */
int worker_join(struct worker *w)
{
	if (!w->started)
		return 0;
	pthread_join(w->thread, NULL);
	w->started = false;
	return w->rc;
}
