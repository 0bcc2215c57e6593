/* SPDX-License-Identifier: MIT */
/*
 * runtime.h - the state the worker shares with the other threads (stats
 * HTTP server, control socket): running configuration and listener table,
 * reload bookkeeping, a connection snapshot and a throughput ring.
 *
 * One mutex (@lock) guards everything here except the counters inside the
 * listener table, which the worker writes with relaxed atomics and readers
 * load the same way. The worker takes the lock only to answer a request (a
 * snapshot, a reload) and once a second for a throughput sample, never per
 * packet, so a reader holding it for a moment cannot stall the data path.
 */
#ifndef TCPGATE_RUNTIME_H
#define TCPGATE_RUNTIME_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"
#include "proxy/listener.h"
#include "stack/link_fault.h"
#include "stack/stack.h"

#define RUNTIME_RING		600	/* throughput samples, one per second */
#define RUNTIME_SNAP_MAX_AGE_US	250000	/* a snapshot younger than this is reused */
#define RUNTIME_ERR_LEN		8192

/* Requests to the worker (bits of runtime.requests) */
enum {
	RT_REQ_SNAPSHOT	= 1u << 0,	/* fill the connection snapshot */
	RT_REQ_RELOAD	= 1u << 1,	/* apply runtime.reload_* */
};

/**
 * struct conn_snap - one connection in the snapshot (/connections)
 * @id:		session id
 * @listener:	listener name ("" before a session exists)
 * @backend_addr, @backend_port: the backend, 0 when none
 * @info:	the stack's view (@info.state points to a static string)
 */
struct conn_snap {
	uint64_t id;
	char listener[CONF_NAME_MAX];
	uint32_t backend_addr;
	uint16_t backend_port;
	struct tcp_conn_info info;
};

/**
 * struct rt_sample - one throughput sample
 * @t_s:	uptime in seconds when taken
 * @bytes_in, @bytes_out: sum of the listeners' counters (client -> backend, back)
 * @conns:	live sessions
 */
struct rt_sample {
	uint64_t t_s;
	uint64_t bytes_in, bytes_out;
	uint64_t conns;
};

/**
 * struct runtime - see the file comment
 * @lock:	guards every field below except @efd
 * @cond:	signalled when the worker answered a request
 * @efd:	eventfd the worker polls for @requests
 * @hup_efd:	eventfd the control thread polls: the worker got SIGHUP
 * @requests:	RT_REQ_* not yet answered
 * @cfg:	running configuration (owned)
 * @lt:		running listener table (contents swapped on reload)
 * @stack:	the worker's stack counters
 * @fault:	the fault injector's counters, NULL without interface.fault
 * @started_us:	CLOCK_MONOTONIC microseconds at start
 * @generation, @reloads, @reload_failures: config counters for /stats
 * @last_error:	last reload failure ("" none)
 * @reload_cfg, @reload_lt: a validated configuration handed to the worker
 * @reload_rc:	the worker's verdict (0 or -errno), @reload_msg its reason
 * @reload_seq:	reloads answered by the worker (to wait for ours)
 * @snap:	connection snapshot, @n_snap entries of @cap_snap
 * @snap_at_us:	when @snap was taken (0 never)
 * @snap_seq:	snapshots taken
 * @ring:	throughput samples, @ring_n valid, next at @ring_pos
 * @sessions:	live sessions (for status and sd_notify)
 */
struct runtime {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int efd, hup_efd;
	unsigned requests;
	struct conf *cfg;
	struct listener_table *lt;
	const struct stack_stats *stack;
	const struct link_fault_stats *fault;
	uint64_t started_us;
	uint64_t generation, reloads, reload_failures;
	char last_error[RUNTIME_ERR_LEN];
	struct conf *reload_cfg;
	struct listener_table reload_lt;
	int reload_rc;
	char reload_msg[512];
	uint64_t reload_seq;
	struct conn_snap *snap;
	size_t n_snap, cap_snap;
	uint64_t snap_at_us, snap_seq;
	struct rt_sample ring[RUNTIME_RING];
	size_t ring_n, ring_pos;
	uint64_t sessions;
};

int runtime_init(struct runtime *rt, struct conf *cfg, struct listener_table *lt);
void runtime_destroy(struct runtime *rt);
uint64_t runtime_now_us(void);
void runtime_request(struct runtime *rt, unsigned req);
unsigned runtime_take_requests(struct runtime *rt);
struct conn_snap *runtime_connections(struct runtime *rt, size_t *n);
size_t runtime_samples(struct runtime *rt, struct rt_sample *out, size_t max);
void runtime_add_sample(struct runtime *rt, const struct rt_sample *s);
int runtime_reload(struct runtime *rt, struct conf *cfg, struct listener_table *nlt,
		   char *msg, size_t msglen);
void runtime_reload_failed(struct runtime *rt, const char *err);

#endif /* TCPGATE_RUNTIME_H */
