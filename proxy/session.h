/* SPDX-License-Identifier: MIT */
/*
 * session.h - client <-> backend sessions: the splice between a stack
 * connection and a kernel TCP socket
 *
 * The worker owns one struct session_table. It hands session_stack_ops (with
 * the table as the app pointer) to stack_create(), feeds every epoll event
 * whose data.ptr is not one of its own to session_io(), and after each
 * wake-up calls session_timers() and then session_flush(), which runs the
 * actions the stack callbacks deferred and frees finished sessions.
 */
#ifndef TCPGATE_SESSION_H
#define TCPGATE_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"
#include "proxy/listener.h"
#include "stack/stack.h"

struct session_table;

extern const struct stack_ops session_stack_ops;

struct session_table *session_table_create(const struct conf *cfg,
					   struct listener_table *lt, int epfd,
					   char *err, size_t errlen);
void session_table_share(struct session_table *st, unsigned worker, uint64_t *global_active);
void session_table_destroy(struct session_table *st);
void session_set_now(struct session_table *st, stack_time_us now);
void session_io(struct session_table *st, void *ref, uint32_t events);
void session_timers(struct session_table *st);
stack_time_us session_next_timer(const struct session_table *st);
void session_flush(struct session_table *st);
void session_set_draining(struct session_table *st, bool on);
void session_set_defaults(struct session_table *st, const struct conf_defaults *d);
void session_abort_all(struct session_table *st);
size_t session_count(const struct session_table *st);
bool session_peek_off_supported(const struct session_table *st);

/**
 * struct session_desc - a session as /connections shows it
 * @id:		session id
 * @listener:	listener name (valid until the next reload is applied)
 * @backend_addr, @backend_port: the backend
 */
struct session_desc {
	uint64_t id;
	const char *listener;
	uint32_t backend_addr;
	uint16_t backend_port;
};

void session_for_each(struct session_table *st,
		      void (*fn)(void *arg, struct listener **l, struct backend **b),
		      void *arg);
size_t session_abort_if(struct session_table *st,
			bool (*pred)(void *arg, const struct listener *l, const struct backend *b),
			void *arg);
bool session_describe(const void *ctx, struct session_desc *d);

#endif /* TCPGATE_SESSION_H */
