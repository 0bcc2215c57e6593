/* SPDX-License-Identifier: MIT */
/*
 * health.h - active TCP connect checks and passive observation of backends
 */
#ifndef TCPGATE_HEALTH_H
#define TCPGATE_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proxy/listener.h"
#include "stack/stack.h"

struct health;

struct health *health_create(struct listener_table *lt, int epfd, stack_time_us now,
			     char *err, size_t errlen);
void health_destroy(struct health *h);
int health_reload(struct health *h, struct listener_table *lt, stack_time_us now);
bool health_io(struct health *h, void *ref, uint32_t events, stack_time_us now);
void health_timers(struct health *h, stack_time_us now);
stack_time_us health_next_timer(const struct health *h);
void health_observe(struct listener *l, struct backend *b, bool ok, stack_time_us now);

#endif /* TCPGATE_HEALTH_H */
