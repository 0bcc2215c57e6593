/* SPDX-License-Identifier: MIT */
/*
 * listener.h - the listener table: which (VIP, port) goes to which backends
 *
 * Built once from struct conf at start (and again on reload), shared by every
 * worker. Counters are updated by the workers with relaxed atomic
 * read-modify-writes (LSTAT_* macros; several workers update the same
 * listener) and read by the stats thread with __atomic_load_n(...,
 * __ATOMIC_RELAXED). Balancing state is guarded by the listener's
 * balance_state.lock (taken once per new connection, never per packet).
 */
#ifndef TCPGATE_LISTENER_H
#define TCPGATE_LISTENER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"

/**
 * struct backend_stats - per-backend counters
 */
struct backend_stats {
	uint64_t connections_active, connections_total, connect_failures;
	uint64_t bytes_in, bytes_out;	/* in: client -> backend */
	uint64_t went_down, went_up;	/* health transitions */
	uint64_t checks_failed;		/* active checks that failed or timed out */
};

/* Result of a backend's last health check (struct backend_check.status) */
enum backend_check_status {
	CHECK_NONE = 0,		/* no health group: no checks */
	CHECK_PENDING,		/* configured, none finished yet */
	CHECK_OK,
	CHECK_FAILED,		/* connect refused or failed */
	CHECK_TIMEOUT,
	CHECK__COUNT
};
extern const char *const backend_check_names[CHECK__COUNT];

/**
 * struct backend_check - health state of a backend (written by the worker,
 *			  read by the stats thread with relaxed atomics)
 * @down:	marked down by @fall consecutive failures (active or passive)
 * @status:	enum backend_check_status of the last active check
 * @duration_ms: how long the last active check took
 * @last_change_us: CLOCK_MONOTONIC time of the last up/down transition (0: never)
 * @fails, @oks: consecutive failures / successes so far
 */
struct backend_check {
	bool down;
	unsigned status;
	uint32_t duration_ms;
	uint64_t last_change_us;
	unsigned fails, oks;
};

/**
 * struct backend - one backend of a listener (keyed by address:port)
 * @addr, @port:	where to connect, host byte order (0:0 for the
 *			forward = "original" pseudo-backend)
 * @weight:		configured weight, 0 = take no new connections (drain)
 * @max_conns:		per-backend connection limit, 0 = none
 * @current:		smooth weighted round-robin state
 * @check:		health state
 * @stats:		counters
 */
struct backend {
	uint32_t addr;
	uint16_t port;
	unsigned weight;
	unsigned max_conns;
	int64_t current;
	struct backend_check check;
	struct backend_stats stats;
};

/**
 * struct balance_state - per-listener state of the balancing algorithms
 * @maglev:	source: BALANCE_MAGLEV_M entries, backend index or UINT16_MAX
 * @perm:	source: scratch for the build, 3 × n_backends (offset, skip, next)
 * @maglev_stale: the set of usable backends changed: rebuild before use
 * @rr_next:	leastconn: where the next tie-breaking scan starts
 * @rng:	random: xorshift64* state
 * @lock:	guards the fields above and the backends' @current, and makes
 *		pick + connections_active increment one step (backend limits)
 */
struct balance_state {
	uint16_t *maglev;
	uint32_t *perm;
	bool maglev_stale;
	size_t rr_next;
	uint64_t rng;
	pthread_mutex_t lock;
};

/**
 * struct listener_stats - per-listener counters
 */
struct listener_stats {
	uint64_t connections_active, connections_total, connections_refused;
	uint64_t bytes_in, bytes_out;
	uint64_t halfclosed_timeouts, lifetime_expired;	/* sessions reset */
	uint64_t staged_deliveries;	/* client segments copied to a session's stage */
	uint64_t staged_sends;		/* send() calls that carried staged bytes */
};

/**
 * struct listener - one configured listener
 * @conf:	its configuration (owned by the struct conf the table was built from)
 * @backends:	@n_backends entries
 * @draining:	refusing new connections (graceful stop)
 * @bal:	balancing state (proxy/balance.c)
 * @stats:	counters
 */
struct listener {
	const struct conf_listener *conf;
	struct backend *backends;
	size_t n_backends;
	bool draining;
	struct balance_state bal;
	struct listener_stats stats;
};

/**
 * struct listener_table - every listener of the running configuration
 * @l:		@n entries, in configuration order
 */
struct listener_table {
	struct listener *l;
	size_t n;
};

/* Relaxed-atomic counter updates by the workers (readable by the stats thread). */
#define LSTAT_ADD(obj, field, n) \
	((void)__atomic_fetch_add(&(obj)->stats.field, (n), __ATOMIC_RELAXED))
#define LSTAT_INC(obj, field) LSTAT_ADD(obj, field, 1)
#define LSTAT_DEC(obj, field) \
	((void)__atomic_fetch_sub(&(obj)->stats.field, 1, __ATOMIC_RELAXED))
#define LSTAT_SET(obj, field, v) \
	__atomic_store_n(&(obj)->field, (v), __ATOMIC_RELAXED)
#define LSTAT_GET(obj, field) __atomic_load_n(&(obj)->stats.field, __ATOMIC_RELAXED)

int listener_table_check(const struct conf *cfg, char *err, size_t errlen);
int listener_table_init(struct listener_table *t, const struct conf *cfg,
			char *err, size_t errlen);
void listener_table_free(struct listener_table *t);
struct listener *listener_find(struct listener_table *t, uint32_t vip, uint16_t port);
void listener_table_set_draining(struct listener_table *t, bool on);
bool listener_table_any_addr(const struct listener_table *t);
const char *backend_state_name(const struct backend *b);

#endif /* TCPGATE_LISTENER_H */
