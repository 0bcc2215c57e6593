/* SPDX-License-Identifier: MIT */
/*
 * worker.h - one worker: the epoll loop that owns a link, a stack instance,
 * its sessions and their backend sockets
 */
#ifndef TCPGATE_WORKER_H
#define TCPGATE_WORKER_H

#include <stddef.h>

#include "conf/conf.h"
#include "proxy/listener.h"
#include "proxy/runtime.h"
#include "stack/stack.h"

struct worker;

struct worker *worker_create(const struct conf *cfg, struct listener_table *lt,
			     struct runtime *rt, const char *pcap_path, char *err,
			     size_t errlen);
int worker_run(struct worker *w);
void worker_destroy(struct worker *w);
const struct stack_stats *worker_stack_stats(const struct worker *w);
const struct link_fault_stats *worker_fault_stats(const struct worker *w);

#endif /* TCPGATE_WORKER_H */
