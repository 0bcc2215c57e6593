/* SPDX-License-Identifier: MIT */
/*
 * runtime.h - the state the workers share with the other threads
 * (supervisor, stats HTTP server, control socket): running configuration
 * and listener table, reload bookkeeping, a connection snapshot and a
 * throughput ring.
 *
 * One mutex (@lock) guards everything here except the counters inside the
 * listener table and the per-worker published values (struct rt_worker),
 * which are written with relaxed atomics and loaded the same way. A worker
 * takes the lock only to answer a request (a snapshot, the reload
 * rendezvous), never per packet, so a reader holding it for a moment cannot
 * stall the data path.
 */
#ifndef TCPGATE_RUNTIME_H
#define TCPGATE_RUNTIME_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"
#include "proxy/listener.h"
#include "stack/link_packet.h"
#include "stack/stack.h"

#define RUNTIME_RING		600	/* throughput samples, one per second */
#define RUNTIME_SNAP_MAX_AGE_US	250000	/* a snapshot younger than this is reused */
#define RUNTIME_ERR_LEN		8192
#define RUNTIME_MAX_WORKERS	64	/* interface.workers range */
#define RUNTIME_MAX_WITHDRAW	257	/* the stack's VIP table, plus "*" */

/**
 * struct rt_withdraw - an address the listeners gave up, not yet withdrawn
 *			everywhere (see reload.c, "Addresses")
 * @addr:	the VIP, or 0 for the last "*" listener's promiscuous mode
 * @busy:	bit i set while worker i may still have connections to it;
 *		all set when the reload gives it up, each worker clears its
 *		own, and a worker withdraws it from its stack only at 0 (an
 *		ARP request for it may reach any worker's queue)
 */
struct rt_withdraw {
	uint32_t addr;
	uint64_t busy;
};

/* Requests (bits of runtime.requests for the supervisor, rt_worker.requests
 * for a worker) */
enum {
	RT_REQ_SNAPSHOT	= 1u << 0,	/* worker: add its connections to the snapshot */
	RT_REQ_RELOAD	= 1u << 1,	/* supervisor: apply runtime.reload_* */
	RT_REQ_PARK	= 1u << 2,	/* worker: join the reload rendezvous */
	RT_REQ_STOP	= 1u << 3,	/* worker: graceful stop (drain) */
	RT_REQ_ABORT	= 1u << 4,	/* worker: reset what is left now */
};

/**
 * struct rt_worker - one worker as the other threads see it
 * @efd:	eventfd the worker polls for @requests
 * @requests:	RT_REQ_* not yet taken (under runtime.lock)
 * @stack:	its stack's counters
 * @link:	its AF_PACKET link's counters, NULL for a TAP
 * @sessions:	its live sessions (published with relaxed stores)
 */
struct rt_worker {
	int efd;
	unsigned requests;
	const struct stack_stats *stack;
	const struct link_packet_stats *link;
	uint64_t sessions;
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
 * @efd:	eventfd the supervisor polls for @requests
 * @hup_efd:	eventfd the control thread polls: the supervisor got SIGHUP
 * @done_efd:	eventfd a worker writes when its loop has ended
 * @requests:	RT_REQ_* for the supervisor not yet taken
 * @cfg:	running configuration (owned)
 * @lt:		running listener table (contents swapped on reload)
 * @n_workers:	workers, @w their slots
 * @active:	sessions of all workers (defaults.max_connections, atomic)
 * @started_us:	CLOCK_MONOTONIC microseconds at start
 * @start_max_conns: defaults.max_connections at start: the stack's connection
 *		pool was sized for it, so a reload may not raise the limit above
 * @generation, @reloads, @reload_failures: config counters for /stats
 * @last_error:	last reload failure ("" none)
 * @reload_cfg, @reload_lt: a validated configuration handed to the worker
 * @reload_rc:	the worker's verdict (0 or -errno), @reload_msg its reason
 * @reload_seq:	reloads answered by the worker (to wait for ours)
 * @snap:	connection snapshot, @n_snap entries of @cap_snap
 * @snap_at_us:	when @snap was taken (0 never)
 * @snap_seq:	snapshots taken
 * @snap_pending: workers that have not added their part to @snap yet
 * @park_open:	a reload rendezvous is collecting workers
 * @parked:	workers waiting in it
 * @park_gen:	bumped to release them
 * @park_rc:	first failure of a worker while joining (adding VIPs), 0
 * @park_msg:	its reason
 * @park_old:	the table the release replaced (NULL: nothing swapped)
 * @ring:	throughput samples, @ring_n valid, next at @ring_pos
 * @sessions:	live sessions (for status and sd_notify)
 */
struct runtime {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int efd, hup_efd, done_efd;
	unsigned requests;
	struct conf *cfg;
	struct listener_table *lt;
	unsigned n_workers;
	struct rt_worker w[RUNTIME_MAX_WORKERS];
	uint64_t active;
	uint64_t started_us;
	unsigned start_max_conns;
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
	unsigned snap_pending;
	bool park_open;
	unsigned parked;
	uint64_t park_gen;
	int park_rc;
	char park_msg[256];
	struct reload_old *park_old;
	struct rt_withdraw withdraw[RUNTIME_MAX_WITHDRAW];
	size_t n_withdraw;
	struct rt_sample ring[RUNTIME_RING];
	size_t ring_n, ring_pos;
	uint64_t sessions;
};

struct reload_old;

int runtime_init(struct runtime *rt, struct conf *cfg, struct listener_table *lt,
		 unsigned n_workers);
void runtime_destroy(struct runtime *rt);
uint64_t runtime_now_us(void);
void runtime_request(struct runtime *rt, unsigned req);
unsigned runtime_take_requests(struct runtime *rt);
void runtime_request_workers_locked(struct runtime *rt, unsigned req);
unsigned runtime_worker_take(struct runtime *rt, unsigned i);
void runtime_snapshot_done_locked(struct runtime *rt);
void runtime_stack_sum(const struct runtime *rt, struct stack_stats *out);
void runtime_link_sum(const struct runtime *rt, struct link_packet_stats *out);
uint64_t runtime_sessions(const struct runtime *rt);
struct conn_snap *runtime_connections(struct runtime *rt, size_t *n);
size_t runtime_samples(struct runtime *rt, struct rt_sample *out, size_t max);
void runtime_add_sample(struct runtime *rt, const struct rt_sample *s);
int runtime_reload(struct runtime *rt, struct conf *cfg, struct listener_table *nlt,
		   char *msg, size_t msglen);
void runtime_reload_failed(struct runtime *rt, const char *err);
void runtime_withdraw_begin_locked(struct runtime *rt, uint32_t addr);
void runtime_withdraw_cancel_locked(struct runtime *rt, uint32_t addr);
bool runtime_withdraw_report(struct runtime *rt, uint32_t addr, unsigned worker, bool busy);

#endif /* TCPGATE_RUNTIME_H */
