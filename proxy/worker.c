// SPDX-License-Identifier: MIT
/*
 * worker.c - the event loop of one worker
 *
 * Theory of operation: a worker owns a TAP link, one stack instance, the
 * session table and, through it, every backend socket; nothing here is shared
 * with other threads except counters (relaxed atomics) and the read-only
 * listener configuration. One epoll instance watches:
 *
 *   - the TAP fd (level-triggered): up to WORKER_BATCH frames are read and
 *     fed to stack_input(), and one more batch after the other events of a
 *     busy wake-up; if more are still waiting, epoll reports the fd again at
 *     once, so neither the link nor the backends are starved;
 *   - a signalfd for SIGTERM/SIGINT (graceful stop) and SIGHUP (reload: passed
 *     to the control thread, which parses the file off the data path);
 *   - the runtime's eventfd: another thread asks for a connection snapshot
 *     or hands over a validated configuration (proxy/runtime.h); both are
 *     answered after the batch, when no stack callback is running;
 *   - every backend socket (edge-triggered, data.ptr = the session);
 *   - health check sockets (data.ptr inside the health check array,
 *     which health_io() recognises; proxy/health.c).
 *
 * Each wake-up reads CLOCK_MONOTONIC once (@now, microseconds), handles the
 * ready events, runs the stack's and the sessions' due timers, then
 * session_flush() performs what stack callbacks deferred and frees finished
 * sessions (never inside a callback), and the pcap buffer is flushed. The
 * epoll timeout is the earliest of the stack's and the sessions' next timer
 * and the drain deadline.
 *
 * Once a second the worker appends a throughput sample to the runtime's
 * ring (the status page's chart), runs the reload drain timers and tells
 * systemd how it is doing (proxy/notify.h).
 *
 * Fault injection (interface.fault, experiments and tests only): a
 * link_fault sits between the TAP and the stack in the configured
 * directions; its held (reordered) frames are released from this loop's
 * timer, and its counters are logged when the worker ends.
 *
 * Graceful stop: the first SIGTERM/SIGINT makes every listener refuse new
 * SYNs (RST) and starts the drain period (defaults.drain_timeout_s); the loop
 * ends when no session is left. At the deadline, or on a second signal,
 * every remaining session is reset on both sides.
 */
#include "proxy/worker.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "proxy/health.h"
#include "proxy/log.h"
#include "proxy/notify.h"
#include "proxy/reload.h"
#include "proxy/session.h"
#include "stack/link_fault.h"
#include "stack/link_tap.h"
#include "stack/pcap.h"

#define WORKER_BATCH		64	/* frames per TAP wake-up */
#define WORKER_EVENTS		256	/* epoll events per wake-up */
#define WORKER_MAX_WAIT_MS	1000
#define WORKER_STOP_GRACE_US	2000000ULL	/* after the reset-all, at most this */

/* epoll data tags for the worker's own fds (sessions use their pointer) */
#define WORKER_REF_TAP		((uint64_t)1)
#define WORKER_REF_SIGNAL	((uint64_t)2)
#define WORKER_REF_RUNTIME	((uint64_t)3)
#define WORKER_TICK_US		1000000ULL	/* samples, reload timers, notify */

/**
 * struct worker - one event loop
 * @cfg:	configuration (outlives the worker)
 * @lt:		listener table
 * @epfd:	epoll instance
 * @sigfd:	signalfd for SIGTERM, SIGINT, SIGHUP
 * @tap:	the link
 * @fault:	fault injector around @tap, NULL unless interface.fault
 * @pcap:	capture writer, NULL without --pcap
 * @stack:	the stack instance
 * @st:		sessions
 * @health:	active health checks
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
	int epfd, sigfd;
	struct link_tap *tap;
	struct link_fault *fault;
	struct pcap_writer *pcap;
	struct stack *stack;
	struct session_table *st;
	struct health *health;
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
 * worker_check_conf() - refuse what this build does not implement yet
 * @cfg:	configuration
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0, or -ENOTSUP
 */
static int worker_check_conf(const struct conf *cfg, char *err, size_t errlen)
{
	if (cfg->iface.type != CONF_LINK_TAP) {
		snprintf(err, errlen, "interface type \"packet\" is not supported yet; use \"tap\"");
		return -ENOTSUP;
	}
	if (cfg->iface.workers != 1) {
		snprintf(err, errlen, "workers = %u is not supported yet; use workers = 1",
			 cfg->iface.workers);
		return -ENOTSUP;
	}
	if (cfg->iface.offload)
		log_info("offload not implemented yet; running without");
	return 0;
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
 * worker_open_signals() - route SIGTERM, SIGINT and SIGHUP to a signalfd
 * @w:		the worker
 *
 * The signals are blocked in the calling thread; threads created afterwards
 * (the stats server) inherit the mask, so only the signalfd sees them.
 *
 * Return: 0, or -errno
 */
static int worker_open_signals(struct worker *w)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL))
		return -EINVAL;
	w->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (w->sigfd < 0)
		return -errno;
	return worker_epoll_add(w, w->sigfd, WORKER_REF_SIGNAL);
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
	static const uint8_t default_mac[6] = CONF_DEFAULT_MAC;
	const struct conf_interface *ifc = &w->cfg->iface;
	struct stack_config sc = {
		.addr = ifc->addr,
		.prefix_len = ifc->prefix_len,
		.mtu = ifc->mtu,
		.max_conns = worker_stack_pool(w->cfg->defaults.max_connections),
		.ops = &session_stack_ops,
		.app = w->st,
		.link = { .send = link_tap_send, .ctx = w->tap },
		.cc = w->cfg->defaults.congestion == CONF_CC_NEWRENO ? STACK_CC_NEWRENO
								      : STACK_CC_CUBIC,
	};

	log_info("congestion control: %s", stack_cc_names[sc.cc]);
	if (w->fault)
		sc.link = (struct stack_link){ .send = link_fault_send, .ctx = w->fault };
	memcpy(sc.mac, ifc->mac_set ? ifc->mac : default_mac, sizeof(sc.mac));
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
 * @now:	current time
 */
static void worker_fault_deliver(void *arg, uint8_t *frame, size_t len, stack_time_us now)
{
	struct worker *w = arg;

	stack_input(w->stack, frame, len, now);
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
		.max_frame = 14u + w->cfg->iface.mtu,
		.in = cf->direction != CONF_FAULT_OUT,
		.out = cf->direction != CONF_FAULT_IN,
	};

	if (!cf->enabled)
		return 0;
	w->fault = link_fault_create(&fc, (struct stack_link){ link_tap_send, w->tap },
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
 * worker_create() - set up a worker: link, signals, sessions, stack
 * @cfg:	configuration; must outlive the worker
 * @lt:		listener table; must outlive the worker
 * @rt:		shared state; must outlive the worker
 * @pcap_path:	capture file, or NULL
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: the worker, or NULL with @err filled
 */
struct worker *worker_create(const struct conf *cfg, struct listener_table *lt,
			     struct runtime *rt, const char *pcap_path, char *err,
			     size_t errlen)
{
	struct worker *w = calloc(1, sizeof(*w));

	if (!w) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	w->cfg = cfg;
	w->lt = lt;
	w->rt = rt;
	w->sigfd = -1;
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (w->epfd < 0) {
		snprintf(err, errlen, "epoll_create1: %s", strerror(errno));
		goto fail;
	}
	if (worker_check_conf(cfg, err, errlen))
		goto fail;
	if (worker_open_signals(w)) {
		snprintf(err, errlen, "signalfd: %s", strerror(errno));
		goto fail;
	}
	w->tap = link_tap_open(cfg->iface.name, cfg->iface.netns, cfg->iface.mtu, err, errlen);
	if (!w->tap)
		goto fail;
	if (pcap_path) {
		w->pcap = pcap_open(pcap_path, err, errlen);
		if (!w->pcap)
			goto fail;
		link_tap_set_pcap(w->tap, w->pcap);
	}
	if (worker_epoll_add(w, link_tap_fd(w->tap), WORKER_REF_TAP)) {
		snprintf(err, errlen, "epoll_ctl (tap): %s", strerror(errno));
		goto fail;
	}
	if (worker_epoll_add(w, rt->efd, WORKER_REF_RUNTIME)) {
		snprintf(err, errlen, "epoll_ctl (runtime): %s", strerror(errno));
		goto fail;
	}
	if (worker_create_fault(w, err, errlen))
		goto fail;
	w->st = session_table_create(cfg, lt, w->epfd, err, errlen);
	if (!w->st || worker_create_stack(w, err, errlen))
		goto fail;
	w->health = health_create(lt, w->epfd, now_us(), err, errlen);
	if (!w->health)
		goto fail;
	if (!session_peek_off_supported(w->st))
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
	health_destroy(w->health);
	session_table_destroy(w->st);
	if (w->tap) {
		link_tap_set_pcap(w->tap, NULL);
		link_tap_close(w->tap);
	}
	if (w->pcap) {
		pcap_flush(w->pcap);
		pcap_close(w->pcap);
	}
	if (w->sigfd >= 0)
		close(w->sigfd);
	if (w->epfd >= 0)
		close(w->epfd);
	free(w);
}

/**
 * worker_stack_stats() - the stack's counters, for the stats server
 * @w:		the worker
 *
 * Return: pointer to counters written by the worker thread (read them with
 *	   relaxed atomic loads)
 */
const struct stack_stats *worker_stack_stats(const struct worker *w)
{
	return stack_stats(w->stack);
}

/**
 * worker_fault_stats() - the fault injector's counters, for the stats server
 * @w:		the worker
 *
 * Return: counters written by the worker thread (relaxed atomic loads), or
 *	   NULL without interface.fault
 */
const struct link_fault_stats *worker_fault_stats(const struct worker *w)
{
	return w->fault ? link_fault_stats(w->fault) : NULL;
}

/**
 * worker_frame() - link_tap_read_batch() callback: one frame into the stack
 * @arg:	the worker
 * @frame:	the frame (may be modified)
 * @len:	its length
 */
static void worker_frame(void *arg, uint8_t *frame, size_t len)
{
	struct worker *w = arg;

	if (w->fault)
		link_fault_input(w->fault, frame, len, w->now);
	else
		stack_input(w->stack, frame, len, w->now);
}

/**
 * worker_tap_ready() - read a bounded batch of frames
 * @w:		the worker
 *
 * Return: true if the batch was full (more frames are probably waiting)
 */
static bool worker_tap_ready(struct worker *w)
{
	int n = link_tap_read_batch(w->tap, WORKER_BATCH, worker_frame, w);

	if (n < 0)
		log_error_rl("tap read: %s", strerror(-n));
	return n == WORKER_BATCH;
}

/**
 * worker_stop() - start the graceful stop, or cut it short on a second signal
 * @w:		the worker
 * @signo:	the signal received
 */
static void worker_stop(struct worker *w, int signo)
{
	if (w->stopping) {
		log_info("%s again: resetting %zu connections now", strsignal(signo),
			 session_count(w->st));
		w->deadline = w->now;
		return;
	}
	w->stopping = true;
	notify_stopping();
	w->deadline = w->now + (stack_time_us)w->cfg->defaults.drain_timeout_s * 1000000ULL;
	listener_table_set_draining(w->lt, true);
	session_set_draining(w->st, true);
	log_info("%s: stopping; draining %zu connections for up to %us", strsignal(signo),
		 session_count(w->st), w->cfg->defaults.drain_timeout_s);
}

/**
 * worker_signal_ready() - handle pending signals from the signalfd
 * @w:		the worker
 */
static void worker_signal_ready(struct worker *w)
{
	struct signalfd_siginfo si;

	while (read(w->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			worker_stop(w, (int)si.ssi_signo);
			break;
		case SIGHUP: {
			uint64_t one = 1;

			log_info("SIGHUP: reloading %s", w->cfg->path);
			if (write(w->rt->hup_efd, &one, sizeof(one)) < 0)
				log_error("SIGHUP: cannot reach the control thread: %s",
					  strerror(errno));
			break;
		}
		default:
			break;
		}
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
	u = health_next_timer(w->health);
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
		if (ev[i].data.u64 == WORKER_REF_TAP)
			tap_more = worker_tap_ready(w);
		else if (ev[i].data.u64 == WORKER_REF_SIGNAL)
			worker_signal_ready(w);
		else if (ev[i].data.u64 == WORKER_REF_RUNTIME)
			w->rt_pending = true;
		else if (!health_io(w->health, ev[i].data.ptr, ev[i].events, w->now))
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
 * worker_snapshot() - fill the runtime's connection snapshot
 * @w:		the worker (not inside a callback)
 *
 * The walk is a copy of a few dozen bytes per connection: about a
 * millisecond for 10 000, at most four times a second (the runtime caches).
 */
static void worker_snapshot(struct worker *w)
{
	struct runtime *rt = w->rt;
	const struct stack_stats *ss = stack_stats(w->stack);
	size_t want = (size_t)__atomic_load_n(&ss->connections_active, __ATOMIC_RELAXED) + 16;

	pthread_mutex_lock(&rt->lock);
	if (want > rt->cap_snap) {
		struct conn_snap *n = realloc(rt->snap, want * sizeof(*n));

		if (n) {
			rt->snap = n;
			rt->cap_snap = want;
		}
	}
	rt->n_snap = 0;
	stack_for_each_conn(w->stack, snap_one, w);
	rt->snap_at_us = runtime_now_us();
	rt->snap_seq++;
	pthread_cond_broadcast(&rt->cond);
	pthread_mutex_unlock(&rt->lock);
}

/**
 * worker_sample() - append a throughput sample to the runtime's ring
 * @w:		the worker
 */
static void worker_sample(struct worker *w)
{
	struct rt_sample s = {
		.t_s = (w->now - w->rt->started_us) / 1000000ULL,
		.conns = session_count(w->st),
	};

	for (size_t i = 0; i < w->lt->n; i++) {
		s.bytes_in += LSTAT_GET(&w->lt->l[i], bytes_in);
		s.bytes_out += LSTAT_GET(&w->lt->l[i], bytes_out);
	}
	runtime_add_sample(w->rt, &s);
}

/**
 * worker_reload() - apply a configuration the control thread validated
 * @w:		the worker (between batches)
 *
 * The health checks point at backend objects, so they are rebuilt for the
 * new table (their up/down state was carried over by reload_apply()).
 */
static void worker_reload(struct worker *w)
{
	uint64_t gen = w->rt->generation;	/* only this thread changes it */
	char err[256];

	notify_reloading();
	reload_apply(&w->rw, w->rt, w->stack, w->st, w->stopping, w->now);
	w->cfg = w->rt->cfg;
	if (w->rt->generation != gen) {
		struct health *h = health_create(w->lt, w->epfd, w->now, err, sizeof(err));

		if (h) {
			health_destroy(w->health);
			w->health = h;
		} else {
			log_error("reload: health checks not rebuilt: %s", err);
		}
	}
	notify_ready(session_count(w->st));
}

/**
 * worker_housekeeping() - answer other threads, and the once-a-second work
 * @w:		the worker (between batches: dead sessions flushed)
 */
static void worker_housekeeping(struct worker *w)
{
	if (w->rt_pending) {
		unsigned req = runtime_take_requests(w->rt);

		w->rt_pending = false;
		if (req & RT_REQ_SNAPSHOT)
			worker_snapshot(w);
		if (req & RT_REQ_RELOAD)
			worker_reload(w);
	}
	if (w->now < w->next_tick)
		return;
	w->next_tick = w->now + WORKER_TICK_US;
	worker_sample(w);
	reload_timers(&w->rw, w->st, w->now);
	session_flush(w->st);
	notify_tick(session_count(w->st), w->now);
}

/**
 * worker_run() - the event loop; returns after a graceful stop
 * @w:		the worker
 *
 * Return: 0 after a graceful stop, -errno if epoll failed
 */
int worker_run(struct worker *w)
{
	struct epoll_event ev[WORKER_EVENTS];

	for (;;) {
		int n;

		w->now = now_us();
		session_set_now(w->st, w->now);
		n = epoll_wait(w->epfd, ev, WORKER_EVENTS, worker_timeout_ms(w));
		if (n < 0 && errno != EINTR) {
			log_error("epoll_wait: %s", strerror(errno));
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
		health_timers(w->health, w->now);
		session_flush(w->st);
		worker_housekeeping(w);
		if (w->pcap)
			pcap_flush(w->pcap);
		if (worker_drain_check(w))
			break;
	}
	session_flush(w->st);
	if (w->pcap)
		pcap_flush(w->pcap);
	return 0;
}
