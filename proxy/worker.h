/* SPDX-License-Identifier: MIT */
/*
 * worker.h - one worker: the epoll loop, on its own thread, that owns a link
 * queue, a stack instance, its sessions and their backend sockets
 */
#ifndef TCPGATE_WORKER_H
#define TCPGATE_WORKER_H

#include <stddef.h>

#include "conf/conf.h"
#include "proxy/listener.h"
#include "proxy/runtime.h"
#include "proxy/worker_link.h"
#include "stack/stack.h"

struct worker;

struct worker *worker_create(const struct conf *cfg, struct listener_table *lt,
			     struct runtime *rt, unsigned index,
			     struct worker_link_group *group, const char *pcap_path,
			     char *err, size_t errlen);
int worker_start(struct worker *w);
int worker_join(struct worker *w);
void worker_destroy(struct worker *w);

#endif /* TCPGATE_WORKER_H */
