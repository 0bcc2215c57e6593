/* SPDX-License-Identifier: MIT */
/*
 * metrics.h - GET /metrics: Prometheus text exposition format 0.0.4
 */
#ifndef TCPGATE_METRICS_H
#define TCPGATE_METRICS_H

#include "proxy/runtime.h"

char *metrics_text(struct runtime *rt);

#endif /* TCPGATE_METRICS_H */
