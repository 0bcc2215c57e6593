/* SPDX-License-Identifier: MIT */
/*
 * stats_http.h - read-only HTTP stats endpoint (DESIGN.md §6)
 */
#ifndef TCPGATE_STATS_HTTP_H
#define TCPGATE_STATS_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"
#include "proxy/listener.h"
#include "stack/stack.h"

struct stats_http;

/**
 * struct stats_source - what /stats reports; all of it outlives the server
 * @cfg:	running configuration
 * @lt:		listener table (counters written by the worker)
 * @stack:	the worker's stack counters
 * @started:	CLOCK_MONOTONIC seconds at start, for uptime_s
 */
struct stats_source {
	const struct conf *cfg;
	const struct listener_table *lt;
	const struct stack_stats *stack;
	uint64_t started;
};

struct stats_http *stats_http_start(const struct stats_source *src, char *err,
				    size_t errlen);
void stats_http_stop(struct stats_http *h);
char *stats_json(const struct stats_source *src);

#endif /* TCPGATE_STATS_HTTP_H */
