// SPDX-License-Identifier: MIT
/*
 * runtime.c - the shared state and the request/answer handshake
 *
 * Theory of operation: another thread that needs something only a worker
 * may touch (its connection table) or only the supervisor may do (apply a
 * reload) sets a bit in the target's request word under @lock and writes the
 * target's eventfd; the target, after its current batch, takes the bits
 * (runtime_worker_take(), runtime_take_requests()), answers under the lock
 * and broadcasts @cond. The asking thread waits on @cond for the matching
 * sequence number to move, with a deadline so a wedged thread cannot hang
 * the HTTP or control thread for ever.
 *
 * Connection snapshots are cached: one younger than RUNTIME_SNAP_MAX_AGE_US
 * is served again, so however often /connections is polled, each worker
 * walks its table at most four times a second. A snapshot asks every
 * worker; each appends its connections, the last one completes it. Readers
 * copy the snapshot out under the lock and format it afterwards.
 *
 * Counters over all workers (the stack's, the packet link's, the session
 * count) are summed when read: each worker only writes its own.
 *
 * Ownership: the runtime owns the running struct conf; runtime_destroy()
 * frees it (the listener table is freed by whoever built it).
 */
#include "proxy/runtime.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#define RUNTIME_SNAP_WAIT_S	2
#define RUNTIME_RELOAD_WAIT_S	30

/**
 * runtime_now_us() - CLOCK_MONOTONIC in microseconds
 *
 * Return: microseconds
 */
uint64_t runtime_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000;
}

/**
 * runtime_init() - set up the shared state
 * @rt:		to fill
 * @cfg:	running configuration; ownership passes to @rt
 * @lt:		running listener table
 *
 * Return: 0, or -errno
 */
int runtime_init(struct runtime *rt, struct conf *cfg, struct listener_table *lt,
		 unsigned n_workers)
{
	pthread_condattr_t ca;

	memset(rt, 0, sizeof(*rt));
	if (!n_workers || n_workers > RUNTIME_MAX_WORKERS)
		return -EINVAL;
	rt->n_workers = n_workers;
	for (unsigned i = 0; i < RUNTIME_MAX_WORKERS; i++)
		rt->w[i].efd = -1;
	rt->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	rt->hup_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	rt->done_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (rt->efd < 0 || rt->hup_efd < 0 || rt->done_efd < 0)
		return -errno;
	for (unsigned i = 0; i < n_workers; i++) {
		rt->w[i].efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (rt->w[i].efd < 0)
			return -errno;
	}
	pthread_mutex_init(&rt->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&rt->cond, &ca);
	pthread_condattr_destroy(&ca);
	rt->cfg = cfg;
	rt->lt = lt;
	rt->generation = 1;
	rt->started_us = runtime_now_us();
	rt->start_max_conns = cfg->defaults.max_connections;
	return 0;
}

/**
 * runtime_destroy() - free the shared state and the running configuration
 * @rt:		the runtime
 */
void runtime_destroy(struct runtime *rt)
{
	if (rt->efd >= 0)
		close(rt->efd);
	if (rt->hup_efd >= 0)
		close(rt->hup_efd);
	if (rt->done_efd >= 0)
		close(rt->done_efd);
	rt->efd = rt->hup_efd = rt->done_efd = -1;
	for (unsigned i = 0; i < RUNTIME_MAX_WORKERS; i++) {
		if (rt->w[i].efd >= 0)
			close(rt->w[i].efd);
		rt->w[i].efd = -1;
	}
	conf_free(rt->cfg);
	rt->cfg = NULL;
	if (rt->reload_cfg) {
		listener_table_free(&rt->reload_lt);
		conf_free(rt->reload_cfg);
		rt->reload_cfg = NULL;
	}
	free(rt->snap);
	rt->snap = NULL;
	pthread_cond_destroy(&rt->cond);
	pthread_mutex_destroy(&rt->lock);
}

/**
 * efd_kick() - wake whoever polls an eventfd
 * @fd:		the eventfd
 */
static void efd_kick(int fd)
{
	uint64_t one = 1;

	if (write(fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		perror("runtime: eventfd write");
}

/**
 * runtime_request_workers_locked() - ask every worker for something
 * @rt:		the runtime (lock held)
 * @req:	RT_REQ_* bits
 */
void runtime_request_workers_locked(struct runtime *rt, unsigned req)
{
	for (unsigned i = 0; i < rt->n_workers; i++) {
		rt->w[i].requests |= req;
		efd_kick(rt->w[i].efd);
	}
}

/**
 * runtime_worker_take() - worker @i: collect its pending requests
 * @rt:		the runtime
 * @i:		the worker's index
 *
 * Return: RT_REQ_* bits; the caller answers them
 */
unsigned runtime_worker_take(struct runtime *rt, unsigned i)
{
	uint64_t v;
	unsigned req;

	if (read(rt->w[i].efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return 0;
	pthread_mutex_lock(&rt->lock);
	req = rt->w[i].requests;
	rt->w[i].requests = 0;
	pthread_mutex_unlock(&rt->lock);
	return req;
}

/**
 * runtime_request_locked() - ask the supervisor for something (lock held)
 * @rt:		the runtime
 * @req:	RT_REQ_* bits
 */
static void runtime_request_locked(struct runtime *rt, unsigned req)
{
	rt->requests |= req;
	efd_kick(rt->efd);
}

/**
 * runtime_request() - ask the supervisor for something
 * @rt:		the runtime
 * @req:	RT_REQ_* bits
 */
void runtime_request(struct runtime *rt, unsigned req)
{
	pthread_mutex_lock(&rt->lock);
	runtime_request_locked(rt, req);
	pthread_mutex_unlock(&rt->lock);
}

/**
 * runtime_take_requests() - supervisor: collect pending requests
 * @rt:		the runtime
 *
 * Return: RT_REQ_* bits; the caller answers them (and broadcasts @cond)
 */
unsigned runtime_take_requests(struct runtime *rt)
{
	uint64_t v;
	unsigned req;

	if (read(rt->efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return 0;
	pthread_mutex_lock(&rt->lock);
	req = rt->requests;
	rt->requests = 0;
	pthread_mutex_unlock(&rt->lock);
	return req;
}

/**
 * runtime_wait() - wait on @cond until *@seq moves past @seen, or @secs pass
 * @rt:		the runtime (lock held)
 * @seq:	the sequence number to watch
 * @seen:	its value before the request
 * @secs:	deadline in seconds
 *
 * Return: 0, or -ETIMEDOUT
 */
static int runtime_wait(struct runtime *rt, const uint64_t *seq, uint64_t seen, int secs)
{
	struct timespec dl;

	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_sec += secs;
	while (*seq == seen)
		if (pthread_cond_timedwait(&rt->cond, &rt->lock, &dl) == ETIMEDOUT)
			return -ETIMEDOUT;
	return 0;
}

/**
 * runtime_connections() - a copy of a recent connection snapshot
 * @rt:		the runtime
 * @n:		set to the entry count
 *
 * Return: malloc'ed entries (caller frees; NULL with *@n = 0 when empty or
 *	   out of memory)
 */
struct conn_snap *runtime_connections(struct runtime *rt, size_t *n)
{
	struct conn_snap *copy = NULL;

	pthread_mutex_lock(&rt->lock);
	if (!rt->snap_at_us || runtime_now_us() - rt->snap_at_us > RUNTIME_SNAP_MAX_AGE_US) {
		uint64_t seen = rt->snap_seq;

		if (!rt->snap_pending) {	/* else one is being taken: wait for it */
			rt->n_snap = 0;
			rt->snap_pending = rt->n_workers;
			runtime_request_workers_locked(rt, RT_REQ_SNAPSHOT);
		}
		if (runtime_wait(rt, &rt->snap_seq, seen, RUNTIME_SNAP_WAIT_S))
			rt->snap_pending = 0;	/* a worker is gone or wedged: next time anew */
	}
	*n = rt->n_snap;
	if (*n) {
		copy = malloc(*n * sizeof(*copy));
		if (copy)
			memcpy(copy, rt->snap, *n * sizeof(*copy));
		else
			*n = 0;
	}
	pthread_mutex_unlock(&rt->lock);
	return copy;
}

/**
 * runtime_snapshot_done_locked() - a worker added its part to the snapshot
 * @rt:		the runtime (lock held)
 *
 * The last worker completes it and wakes the readers.
 */
void runtime_snapshot_done_locked(struct runtime *rt)
{
	if (!rt->snap_pending || --rt->snap_pending)
		return;
	rt->snap_at_us = runtime_now_us();
	rt->snap_seq++;
	pthread_cond_broadcast(&rt->cond);
}

/**
 * runtime_stack_sum() - the stacks' counters summed over the workers
 * @rt:		the runtime
 * @out:	filled
 */
void runtime_stack_sum(const struct runtime *rt, struct stack_stats *out)
{
	uint64_t *o = (uint64_t *)out;

	static_assert(sizeof(*out) % sizeof(uint64_t) == 0, "stack_stats: only uint64_t");
	memset(out, 0, sizeof(*out));
	for (unsigned i = 0; i < rt->n_workers; i++) {
		const uint64_t *s = (const uint64_t *)rt->w[i].stack;

		for (size_t k = 0; s && k < sizeof(*out) / sizeof(uint64_t); k++)
			o[k] += __atomic_load_n(&s[k], __ATOMIC_RELAXED);
	}
}

/**
 * runtime_link_sum() - the AF_PACKET links' counters summed over the workers
 * @rt:		the runtime
 * @out:	filled (zeros for a TAP)
 */
void runtime_link_sum(const struct runtime *rt, struct link_packet_stats *out)
{
	uint64_t *o = (uint64_t *)out;

	static_assert(sizeof(*out) % sizeof(uint64_t) == 0, "link_packet_stats: only uint64_t");
	memset(out, 0, sizeof(*out));
	for (unsigned i = 0; i < rt->n_workers; i++) {
		const uint64_t *s = (const uint64_t *)rt->w[i].link;

		for (size_t k = 0; s && k < sizeof(*out) / sizeof(uint64_t); k++)
			o[k] += __atomic_load_n(&s[k], __ATOMIC_RELAXED);
	}
}

/**
 * runtime_sessions() - live sessions over all workers
 * @rt:		the runtime
 *
 * Return: the sum of what the workers published
 */
uint64_t runtime_sessions(const struct runtime *rt)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < rt->n_workers; i++)
		n += __atomic_load_n(&rt->w[i].sessions, __ATOMIC_RELAXED);
	return n;
}

/**
 * runtime_add_sample() - supervisor: append a throughput sample to the ring
 * @rt:		the runtime
 * @s:		the sample
 */
void runtime_add_sample(struct runtime *rt, const struct rt_sample *s)
{
	pthread_mutex_lock(&rt->lock);
	rt->ring[rt->ring_pos] = *s;
	rt->ring_pos = (rt->ring_pos + 1) % RUNTIME_RING;
	if (rt->ring_n < RUNTIME_RING)
		rt->ring_n++;
	rt->sessions = s->conns;
	pthread_mutex_unlock(&rt->lock);
}

/**
 * runtime_samples() - the throughput ring, oldest first
 * @rt:		the runtime
 * @out:	filled with up to @max samples
 * @max:	capacity of @out
 *
 * Return: samples copied
 */
size_t runtime_samples(struct runtime *rt, struct rt_sample *out, size_t max)
{
	size_t n, first;

	pthread_mutex_lock(&rt->lock);
	n = rt->ring_n < max ? rt->ring_n : max;
	first = (rt->ring_pos + RUNTIME_RING - n) % RUNTIME_RING;
	for (size_t i = 0; i < n; i++)
		out[i] = rt->ring[(first + i) % RUNTIME_RING];
	pthread_mutex_unlock(&rt->lock);
	return n;
}

/**
 * runtime_reload_failed() - record a refused reload (for /stats)
 * @rt:		the runtime
 * @err:	why, one "FILE:LINE: message" per line
 */
void runtime_reload_failed(struct runtime *rt, const char *err)
{
	pthread_mutex_lock(&rt->lock);
	rt->reload_failures++;
	snprintf(rt->last_error, sizeof(rt->last_error), "%s", err);
	pthread_mutex_unlock(&rt->lock);
}

/**
 * runtime_reload() - hand a validated configuration to the supervisor and wait
 * @rt:		the runtime
 * @cfg:	the new configuration; ownership passes to the runtime
 * @nlt:	its listener table (built, counters zero); ownership passes too
 * @msg:	the worker's reason on failure
 * @msglen:	size of @msg
 *
 * Return: 0 (then rt->generation is the new one), or -errno
 */
int runtime_reload(struct runtime *rt, struct conf *cfg, struct listener_table *nlt,
		   char *msg, size_t msglen)
{
	uint64_t seen;
	int rc;

	pthread_mutex_lock(&rt->lock);
	if (rt->reload_cfg) {
		pthread_mutex_unlock(&rt->lock);
		snprintf(msg, msglen, "a reload is already in progress");
		listener_table_free(nlt);
		conf_free(cfg);
		return -EBUSY;
	}
	rt->reload_cfg = cfg;
	rt->reload_lt = *nlt;
	seen = rt->reload_seq;
	runtime_request_locked(rt, RT_REQ_RELOAD);
	rc = runtime_wait(rt, &rt->reload_seq, seen, RUNTIME_RELOAD_WAIT_S);
	if (!rc)
		rc = rt->reload_rc;
	snprintf(msg, msglen, "%s", rc == -ETIMEDOUT && !rt->reload_rc ?
		 "the supervisor did not answer in time" : rt->reload_msg);
	pthread_mutex_unlock(&rt->lock);
	return rc;
}

/**
 * runtime_withdraw_find_locked() - the pending withdrawal of @addr
 * @rt:		the runtime (lock held)
 * @addr:	address, 0 for "*"
 *
 * Return: the entry, or NULL
 */
static struct rt_withdraw *runtime_withdraw_find_locked(struct runtime *rt, uint32_t addr)
{
	for (size_t i = 0; i < rt->n_withdraw; i++)
		if (rt->withdraw[i].addr == addr)
			return &rt->withdraw[i];
	return NULL;
}

/**
 * runtime_withdraw_begin_locked() - a reload gave up @addr: every worker is
 *				     busy with it until it reports otherwise
 * @rt:		the runtime (lock held, workers parked)
 * @addr:	address, 0 for "*"
 */
void runtime_withdraw_begin_locked(struct runtime *rt, uint32_t addr)
{
	struct rt_withdraw *w = runtime_withdraw_find_locked(rt, addr);
	uint64_t all = rt->n_workers >= 64 ? UINT64_MAX : (1ULL << rt->n_workers) - 1;

	if (!w) {
		if (rt->n_withdraw == RUNTIME_MAX_WITHDRAW)
			return;		/* cannot happen: one entry per VIP slot */
		w = &rt->withdraw[rt->n_withdraw++];
		w->addr = addr;
	}
	w->busy = all;
}

/**
 * runtime_withdraw_cancel_locked() - a reload uses @addr again
 * @rt:		the runtime (lock held, workers parked)
 * @addr:	address, 0 for "*"
 */
void runtime_withdraw_cancel_locked(struct runtime *rt, uint32_t addr)
{
	struct rt_withdraw *w = runtime_withdraw_find_locked(rt, addr);

	if (w)
		*w = rt->withdraw[--rt->n_withdraw];
}

/**
 * runtime_withdraw_report() - worker: say whether it still has connections
 *			       to @addr; may it withdraw the address now?
 * @rt:		the runtime
 * @addr:	address, 0 for "*"
 * @worker:	the worker's index
 * @busy:	it still has connections to @addr
 *
 * Return: true when no worker has any (or nothing is pending for @addr)
 */
bool runtime_withdraw_report(struct runtime *rt, uint32_t addr, unsigned worker, bool busy)
{
	struct rt_withdraw *w;
	bool idle = true;

	pthread_mutex_lock(&rt->lock);
	w = runtime_withdraw_find_locked(rt, addr);
	if (w) {
		if (busy)
			w->busy |= 1ULL << worker;
		else
			w->busy &= ~(1ULL << worker);
		idle = !w->busy;
	}
	pthread_mutex_unlock(&rt->lock);
	return idle;
}
