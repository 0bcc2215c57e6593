/* SPDX-License-Identifier: MIT */
/*
 * reload.h - configuration reload: validation off the data path (control
 * thread), the swap by the supervisor with the workers parked, and each
 * worker's re-pointing of its sessions
 */
#ifndef TCPGATE_RELOAD_H
#define TCPGATE_RELOAD_H

#include <stddef.h>

#include "conf/conf.h"
#include "proxy/listener.h"
#include "proxy/runtime.h"
#include "proxy/session.h"
#include "stack/stack.h"

struct reload_retired;
struct reload_old;

#define RELOAD_MAX_WITHDRAW	256	/* the stack's VIP table size */

/**
 * struct reload_worker - the worker's reload state
 * @retired:	listener tables replaced by a reload that live sessions still
 *		point into (removed listeners or backends), oldest last
 * @stack:	the worker's stack (set by reload_worker_park())
 * @rt:		the runtime, where the workers agree on withdrawals
 * @index:	this worker's index
 * @withdraw:	VIPs no listener uses any more, answered until their last
 *		session ends; @n_withdraw of them
 * @withdraw_any: the last "*" listener is gone: accept any address until
 *		its last session ends
 */
struct reload_worker {
	struct reload_retired *retired;
	struct stack *stack;
	struct runtime *rt;
	unsigned index;
	uint32_t withdraw[RELOAD_MAX_WITHDRAW];
	size_t n_withdraw;
	bool withdraw_any;
};

int reload_prepare(struct runtime *rt, struct conf **cfg, struct listener_table *nlt,
		   char *err, size_t errlen);
int reload_run(struct runtime *rt, char *out, size_t outlen);
struct reload_old *reload_coordinate(struct runtime *rt, bool stopping);
void reload_old_unref(struct reload_old *old);
void reload_worker_park(struct reload_worker *rw, struct runtime *rt, struct stack *stack,
			struct session_table *st, const struct conf **cfg, stack_time_us now);
void reload_timers(struct reload_worker *rw, struct session_table *st, stack_time_us now);
void reload_worker_free(struct reload_worker *rw);

#endif /* TCPGATE_RELOAD_H */
