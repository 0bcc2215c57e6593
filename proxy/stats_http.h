/* SPDX-License-Identifier: MIT */
/*
 * stats_http.h - read-only HTTP stats endpoint (DESIGN.md §6)
 */
#ifndef TCPGATE_STATS_HTTP_H
#define TCPGATE_STATS_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "proxy/runtime.h"

struct stats_http;

struct stats_http *stats_http_start(struct runtime *rt, char *err, size_t errlen);
void stats_http_stop(struct stats_http *h);
char *stats_json(struct runtime *rt);
char *connections_json(struct runtime *rt);

#endif /* TCPGATE_STATS_HTTP_H */
