/* SPDX-License-Identifier: MIT */
/*
 * proxy_proto.h - PROXY protocol v1 / v2 headers toward the backend
 * (HAProxy's "The PROXY protocol", versions 1 and 2, TCP over IPv4 only)
 */
#ifndef TCPGATE_PROXY_PROTO_H
#define TCPGATE_PROXY_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"
#include "stack/stack.h"

/* Room for any header we write (v1 at most 56 bytes + NUL from snprintf) */
#define PROXY_PROTO_MAX	64

size_t proxy_proto_header(enum conf_proxy_protocol v, const struct tcp_tuple *t,
			  uint8_t *buf, size_t len);

#endif /* TCPGATE_PROXY_PROTO_H */
