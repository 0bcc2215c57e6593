// SPDX-License-Identifier: MIT
/*
 * runtime.c - the worker's shared state and the request/answer handshake
 *
 * Theory of operation: another thread that needs something only the worker
 * may touch (its connection table, its listener table) sets a bit in
 * @requests under @lock and writes the eventfd @efd; the worker, after its
 * current batch, takes the bits (runtime_take_requests()), answers each one
 * under the lock and broadcasts @cond. The asking thread waits on @cond for
 * the matching sequence number to move, with a deadline so a wedged worker
 * cannot hang the HTTP or control thread for ever.
 *
 * Connection snapshots are cached: one younger than RUNTIME_SNAP_MAX_AGE_US
 * is served again, so however often /connections is polled, the worker walks
 * its table at most four times a second. Readers copy the snapshot out under
 * the lock and format it afterwards.
 *
 * Ownership: the runtime owns the running struct conf; runtime_destroy()
 * frees it (the listener table is freed by whoever built it).
 */
#include "proxy/runtime.h"

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
int runtime_init(struct runtime *rt, struct conf *cfg, struct listener_table *lt)
{
	pthread_condattr_t ca;

	memset(rt, 0, sizeof(*rt));
	rt->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	rt->hup_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (rt->efd < 0 || rt->hup_efd < 0)
		return -errno;
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
	rt->efd = rt->hup_efd = -1;
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
 * runtime_request_locked() - ask the worker for something (lock held)
 * @rt:		the runtime
 * @req:	RT_REQ_* bits
 */
static void runtime_request_locked(struct runtime *rt, unsigned req)
{
	uint64_t one = 1;

	rt->requests |= req;
	if (write(rt->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		perror("runtime: eventfd write");
}

/**
 * runtime_request() - ask the worker for something
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
 * runtime_take_requests() - worker: collect pending requests
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

		runtime_request_locked(rt, RT_REQ_SNAPSHOT);
		runtime_wait(rt, &rt->snap_seq, seen, RUNTIME_SNAP_WAIT_S);
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
 * runtime_add_sample() - worker: append a throughput sample to the ring
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
 * runtime_reload() - hand a validated configuration to the worker and wait
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
		 "the worker did not answer in time" : rt->reload_msg);
	pthread_mutex_unlock(&rt->lock);
	return rc;
}
