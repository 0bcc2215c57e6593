/* SPDX-License-Identifier: MIT */
/*
 * supervisor.h - the main thread's loop: signals, health checks, reloads,
 * samples, sd_notify; starts and joins the worker threads
 */
#ifndef TCPGATE_SUPERVISOR_H
#define TCPGATE_SUPERVISOR_H

#include <stddef.h>

#include "proxy/listener.h"
#include "proxy/runtime.h"
#include "proxy/worker.h"

int supervisor_block_signals(void);
int supervisor_run(struct runtime *rt, struct listener_table *lt, struct worker **w,
		   unsigned n, char *err, size_t errlen);

#endif /* TCPGATE_SUPERVISOR_H */
