// SPDX-License-Identifier: MIT
/*
 * supervisor.c - the main thread's loop: signals, health checks, reloads,
 * throughput samples, sd_notify, and the workers' lifetime
 *
 * Theory of operation: the data path runs on interface.workers worker
 * threads (proxy/worker.c), one per link queue, each with its own stack and
 * sessions. Everything else that needs a loop runs here, on the main thread,
 * so no worker ever waits for control-plane work (the stats server and the
 * control socket have threads of their own):
 *
 *   - a signalfd for SIGTERM/SIGINT (graceful stop) and SIGHUP (reload:
 *     passed to the control thread, which parses the file off the data
 *     path). The signals are blocked in every thread (supervisor_block_signals()
 *     runs before any thread is created, and threads inherit the mask);
 *   - the runtime's eventfd: the control thread hands over a validated
 *     configuration, applied by reload_coordinate() with every worker
 *     parked for the moment of the swap; the health checks, which point
 *     into the listener table, are then rebuilt here;
 *   - active health checks (proxy/health.c), their sockets and timers;
 *   - runtime.done_efd: a worker's loop has ended.
 *
 * Once a second it appends a throughput sample (listener byte counters and
 * the workers' summed session counts) to the runtime's ring for the status
 * page and tells systemd how it is doing.
 *
 * Graceful stop: the first SIGTERM/SIGINT makes every listener refuse new
 * SYNs (RST) and asks every worker to drain (RT_REQ_STOP); a second one asks
 * them to reset what is left now (RT_REQ_ABORT). The loop ends when every
 * worker has ended; the threads are then joined.
 */
#include "proxy/supervisor.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "proxy/health.h"
#include "proxy/log.h"
#include "proxy/notify.h"
#include "proxy/reload.h"

#define SUP_EVENTS		64
#define SUP_TICK_US		1000000ULL	/* samples, notify */
#define SUP_MAX_WAIT_MS		1000

/* epoll data tags for the supervisor's own fds (health checks use pointers) */
#define SUP_REF_SIGNAL		((uint64_t)1)
#define SUP_REF_RUNTIME		((uint64_t)2)
#define SUP_REF_DONE		((uint64_t)3)

/**
 * struct supervisor - the main thread's loop state
 * @rt:		shared state
 * @lt:		the running listener table (contents swapped on reload)
 * @w:		the workers, @n of them
 * @epfd:	epoll instance
 * @sigfd:	signalfd for SIGTERM, SIGINT, SIGHUP
 * @health:	active health checks
 * @now:	time of the current wake-up, monotonic microseconds
 * @next_tick:	next once-a-second sample
 * @stopping:	a graceful stop was asked for
 * @done:	workers whose loop has ended
 */
struct supervisor {
	struct runtime *rt;
	struct listener_table *lt;
	struct worker **w;
	unsigned n;
	int epfd, sigfd;
	struct health *health;
	stack_time_us now, next_tick;
	bool stopping;
	unsigned done;
};

/**
 * supervisor_sigset() - the signals the supervisor handles
 * @set:	filled
 */
static void supervisor_sigset(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
}

/**
 * supervisor_block_signals() - block SIGTERM, SIGINT and SIGHUP in the
 *				calling thread and every thread it creates later
 *
 * Call before creating any thread: only the signalfd sees them then.
 *
 * Return: 0, or -EINVAL
 */
int supervisor_block_signals(void)
{
	sigset_t set;

	supervisor_sigset(&set);
	return pthread_sigmask(SIG_BLOCK, &set, NULL) ? -EINVAL : 0;
}

/**
 * sup_epoll_add() - watch one of the supervisor's own fds
 * @sv:		the supervisor
 * @fd:		the fd
 * @ref:	SUP_REF_*
 *
 * Return: 0, or -errno
 */
static int sup_epoll_add(struct supervisor *sv, int fd, uint64_t ref)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = ref };

	return epoll_ctl(sv->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

/**
 * sup_open() - epoll, signalfd and the health checks
 * @sv:		the supervisor
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0, or -1 with @err filled
 */
static int sup_open(struct supervisor *sv, char *err, size_t errlen)
{
	sigset_t set;

	supervisor_sigset(&set);
	sv->epfd = epoll_create1(EPOLL_CLOEXEC);
	sv->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sv->epfd < 0 || sv->sigfd < 0 ||
	    sup_epoll_add(sv, sv->sigfd, SUP_REF_SIGNAL) ||
	    sup_epoll_add(sv, sv->rt->efd, SUP_REF_RUNTIME) ||
	    sup_epoll_add(sv, sv->rt->done_efd, SUP_REF_DONE)) {
		snprintf(err, errlen, "supervisor: epoll/signalfd: %s", strerror(errno));
		return -1;
	}
	sv->health = health_create(sv->lt, sv->epfd, runtime_now_us(), err, errlen);
	return sv->health ? 0 : -1;
}

/**
 * sup_stop() - the first stop signal starts the drain, the second cuts it
 * @sv:		the supervisor
 * @signo:	the signal
 */
static void sup_stop(struct supervisor *sv, int signo)
{
	struct runtime *rt = sv->rt;

	pthread_mutex_lock(&rt->lock);
	if (sv->stopping) {
		log_info("%s again: resetting %llu connections now", strsignal(signo),
			 (unsigned long long)runtime_sessions(rt));
		runtime_request_workers_locked(rt, RT_REQ_ABORT);
		pthread_mutex_unlock(&rt->lock);
		return;
	}
	sv->stopping = true;
	listener_table_set_draining(rt->lt, true);
	runtime_request_workers_locked(rt, RT_REQ_STOP);
	log_info("%s: stopping; draining %llu connections for up to %us", strsignal(signo),
		 (unsigned long long)runtime_sessions(rt), rt->cfg->defaults.drain_timeout_s);
	pthread_mutex_unlock(&rt->lock);
	notify_stopping();
}

/**
 * sup_signals() - handle pending signals from the signalfd
 * @sv:		the supervisor
 */
static void sup_signals(struct supervisor *sv)
{
	struct signalfd_siginfo si;
	uint64_t one = 1;

	while (read(sv->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			sup_stop(sv, (int)si.ssi_signo);
			break;
		case SIGHUP:
			log_info("SIGHUP: reloading %s", sv->rt->cfg->path);
			if (write(sv->rt->hup_efd, &one, sizeof(one)) < 0)
				log_error("SIGHUP: cannot reach the control thread: %s",
					  strerror(errno));
			break;
		default:
			break;
		}
	}
}

/**
 * sup_reload() - apply a configuration the control thread validated
 * @sv:		the supervisor
 *
 * The health checks point at backend objects, so they are rebuilt for the
 * new table (their up/down state was carried over by the swap) before the
 * supervisor's reference to the old table is dropped.
 */
static void sup_reload(struct supervisor *sv)
{
	struct reload_old *old;
	char err[256];

	notify_reloading();
	old = reload_coordinate(sv->rt, sv->stopping);
	if (old) {
		struct health *h = health_create(sv->lt, sv->epfd, sv->now, err, sizeof(err));

		if (h) {
			health_destroy(sv->health);
			sv->health = h;
		} else {
			log_error("reload: health checks not rebuilt: %s", err);
			health_reload(sv->health, sv->lt, sv->now);
		}
		reload_old_unref(old);
	}
	notify_ready(runtime_sessions(sv->rt));
}

/**
 * sup_done() - count workers whose loop has ended
 * @sv:		the supervisor
 */
static void sup_done(struct supervisor *sv)
{
	uint64_t v;

	if (read(sv->rt->done_efd, &v, sizeof(v)) == (ssize_t)sizeof(v))
		sv->done += (unsigned)v;
}

/**
 * sup_sample() - once a second: throughput sample and sd_notify status
 * @sv:		the supervisor
 */
static void sup_sample(struct supervisor *sv)
{
	struct runtime *rt = sv->rt;
	struct rt_sample s = {
		.t_s = (sv->now - rt->started_us) / 1000000ULL,
		.conns = runtime_sessions(rt),
	};

	pthread_mutex_lock(&rt->lock);
	for (size_t i = 0; i < rt->lt->n; i++) {
		s.bytes_in += LSTAT_GET(&rt->lt->l[i], bytes_in);
		s.bytes_out += LSTAT_GET(&rt->lt->l[i], bytes_out);
	}
	pthread_mutex_unlock(&rt->lock);
	runtime_add_sample(rt, &s);
	notify_tick((size_t)s.conns, sv->now);
}

/**
 * sup_timeout_ms() - how long epoll_wait() may sleep
 * @sv:		the supervisor
 *
 * Return: milliseconds, rounded up so a timer is never run early
 */
static int sup_timeout_ms(const struct supervisor *sv)
{
	stack_time_us t = health_next_timer(sv->health);

	if (sv->next_tick < t)
		t = sv->next_tick;
	if (t <= sv->now)
		return 0;
	t = (t - sv->now + 999) / 1000;
	return t > SUP_MAX_WAIT_MS ? SUP_MAX_WAIT_MS : (int)t;
}

/**
 * sup_loop() - run until every worker has ended
 * @sv:		the supervisor (workers started)
 *
 * Return: 0, or -errno if epoll failed
 */
static int sup_loop(struct supervisor *sv)
{
	struct epoll_event ev[SUP_EVENTS];

	while (sv->done < sv->n) {
		int n;

		sv->now = runtime_now_us();
		n = epoll_wait(sv->epfd, ev, SUP_EVENTS, sup_timeout_ms(sv));
		if (n < 0 && errno != EINTR) {
			log_error("supervisor: epoll_wait: %s", strerror(errno));
			return -errno;
		}
		sv->now = runtime_now_us();
		for (int i = 0; i < n; i++) {
			if (ev[i].data.u64 == SUP_REF_SIGNAL)
				sup_signals(sv);
			else if (ev[i].data.u64 == SUP_REF_RUNTIME) {
				if (runtime_take_requests(sv->rt) & RT_REQ_RELOAD)
					sup_reload(sv);
			} else if (ev[i].data.u64 == SUP_REF_DONE)
				sup_done(sv);
			else
				health_io(sv->health, ev[i].data.ptr, ev[i].events, sv->now);
		}
		health_timers(sv->health, sv->now);
		if (sv->now >= sv->next_tick) {
			sv->next_tick = sv->now + SUP_TICK_US;
			sup_sample(sv);
		}
	}
	return 0;
}

/**
 * sup_start_workers() - start every worker's thread
 * @sv:		the supervisor
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * On failure the workers already running are stopped and joined.
 * Return: 0, or -1 with @err filled
 */
static int sup_start_workers(struct supervisor *sv, char *err, size_t errlen)
{
	for (unsigned i = 0; i < sv->n; i++) {
		int ret = worker_start(sv->w[i]);

		if (!ret)
			continue;
		snprintf(err, errlen, "worker %u: cannot start its thread: %s", i, strerror(-ret));
		pthread_mutex_lock(&sv->rt->lock);
		runtime_request_workers_locked(sv->rt, RT_REQ_STOP | RT_REQ_ABORT);
		pthread_mutex_unlock(&sv->rt->lock);
		for (unsigned k = 0; k < i; k++)
			worker_join(sv->w[k]);
		return -1;
	}
	return 0;
}

/**
 * supervisor_run() - start the workers and supervise them until they end
 * @rt:		shared state (its listener table is @lt)
 * @lt:		the running listener table
 * @w:		the workers, created
 * @n:		how many
 * @err:	message on a start failure
 * @errlen:	size of @err
 *
 * Called after privileges were dropped: the worker threads start here.
 * Return: 0 after a graceful stop, 1 if a worker or the loop failed, -1 if
 *	   nothing could start (@err filled)
 */
int supervisor_run(struct runtime *rt, struct listener_table *lt, struct worker **w,
		   unsigned n, char *err, size_t errlen)
{
	struct supervisor sv = { .rt = rt, .lt = lt, .w = w, .n = n, .epfd = -1, .sigfd = -1 };
	int rc = -1;

	if (sup_open(&sv, err, errlen) || sup_start_workers(&sv, err, errlen))
		goto out;
	log_info("%u worker%s running", n, n == 1 ? "" : "s");
	notify_ready(0);
	rc = sup_loop(&sv) ? 1 : 0;
	if (rc) {	/* the loop broke: do not leave the workers behind */
		pthread_mutex_lock(&rt->lock);
		runtime_request_workers_locked(rt, RT_REQ_STOP | RT_REQ_ABORT);
		pthread_mutex_unlock(&rt->lock);
	}
	for (unsigned i = 0; i < n; i++)
		if (worker_join(w[i]))
			rc = 1;
out:
	health_destroy(sv.health);
	if (sv.sigfd >= 0)
		close(sv.sigfd);
	if (sv.epfd >= 0)
		close(sv.epfd);
	return rc;
}
