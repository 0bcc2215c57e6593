/* SPDX-License-Identifier: MIT */
/*
 * listener.h - the listener table: which (VIP, port) goes to which backends
 *
 * Built once from struct conf at start. Counters are written only by the
 * worker thread (LISTENER_STAT_* macros, relaxed atomic stores) and read by
 * the stats thread with __atomic_load_n(..., __ATOMIC_RELAXED).
 */
#ifndef TCPGATE_LISTENER_H
#define TCPGATE_LISTENER_H

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
};

/**
 * struct backend - one backend of a listener
 * @addr, @port:	where to connect, host byte order
 * @weight:		configured weight, 0 = take no new connections
 * @current:		smooth weighted round-robin state
 * @stats:		counters
 */
struct backend {
	uint32_t addr;
	uint16_t port;
	unsigned weight;
	int64_t current;
	struct backend_stats stats;
};

/**
 * struct listener_stats - per-listener counters
 */
struct listener_stats {
	uint64_t connections_active, connections_total, connections_refused;
	uint64_t bytes_in, bytes_out;
};

/**
 * struct listener - one configured listener
 * @conf:	its configuration (owned by the struct conf the table was built from)
 * @backends:	@n_backends entries
 * @draining:	refusing new connections (graceful stop)
 * @stats:	counters
 */
struct listener {
	const struct conf_listener *conf;
	struct backend *backends;
	size_t n_backends;
	bool draining;
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

/* Relaxed-atomic counter updates by the worker (readable by the stats thread). */
#define LSTAT_ADD(obj, field, n) \
	__atomic_store_n(&(obj)->stats.field, (obj)->stats.field + (n), __ATOMIC_RELAXED)
#define LSTAT_INC(obj, field) LSTAT_ADD(obj, field, 1)
#define LSTAT_DEC(obj, field) \
	__atomic_store_n(&(obj)->stats.field, (obj)->stats.field - 1, __ATOMIC_RELAXED)
#define LSTAT_GET(obj, field) __atomic_load_n(&(obj)->stats.field, __ATOMIC_RELAXED)

int listener_table_check(const struct conf *cfg, char *err, size_t errlen);
int listener_table_init(struct listener_table *t, const struct conf *cfg,
			char *err, size_t errlen);
void listener_table_free(struct listener_table *t);
struct listener *listener_find(struct listener_table *t, uint32_t vip, uint16_t port);
struct backend *listener_pick_backend(struct listener *l);
void listener_table_set_draining(struct listener_table *t, bool on);
bool listener_table_any_addr(const struct listener_table *t);

#endif /* TCPGATE_LISTENER_H */
