/* SPDX-License-Identifier: MIT */
/*
 * connlog.h - the per-listener connection log (listener key log = true):
 * one line per closed connection
 */
#ifndef TCPGATE_CONNLOG_H
#define TCPGATE_CONNLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stack/stack.h"

#define CONNLOG_LINE_MAX 320	/* the longest line, with 63-character names, fits */

/* Why a connection ended: the first abnormal event, else the side that
 * closed first (enum order is the name table's order) */
enum connlog_reason {
	CONNLOG_UNKNOWN = 0,
	CONNLOG_CLIENT_FIN,		/* normal: the client closed first */
	CONNLOG_BACKEND_EOF,		/* normal: the backend closed first */
	CONNLOG_CLIENT_RST,		/* the client reset the connection */
	CONNLOG_CLIENT_TIMEOUT,		/* the client stopped answering (RTO, keep-alive) */
	CONNLOG_BACKEND_RST,		/* the backend reset the connection */
	CONNLOG_CONNECT_FAILED,		/* no backend accepted the connect */
	CONNLOG_IDLE_TIMEOUT,		/* defaults.idle_timeout_s */
	CONNLOG_HALFCLOSED_TIMEOUT,	/* defaults.halfclosed_timeout_s */
	CONNLOG_LIFETIME,		/* defaults.max_lifetime_s */
	CONNLOG_DRAIN,			/* reset at the end of a drain (stop, reload) */
	CONNLOG_ERROR,			/* a local error on the backend socket */
	CONNLOG__COUNT
};
extern const char *const connlog_reason_names[CONNLOG__COUNT];

/**
 * struct connlog_rec - what the line of one closed connection says
 * @listener:	listener name
 * @tuple:	client and VIP address and port
 * @backend_addr, @backend_port: the backend connected to (last attempted
 *		when none accepted), port 0 when none was tried
 * @bytes_in:	client -> backend, bytes the backend socket took
 * @bytes_out:	backend -> client, bytes the client acknowledged
 * @duration_us: from the SYN to the end
 * @reason:	why it ended
 */
struct connlog_rec {
	const char *listener;
	struct tcp_tuple tuple;
	uint32_t backend_addr;
	uint16_t backend_port;
	uint64_t bytes_in, bytes_out;
	uint64_t duration_us;
	enum connlog_reason reason;
};

bool connlog_reason_is_normal(enum connlog_reason r);
size_t connlog_format(const struct connlog_rec *r, char *buf, size_t len);
void connlog_write(const struct connlog_rec *r);

#endif /* TCPGATE_CONNLOG_H */
