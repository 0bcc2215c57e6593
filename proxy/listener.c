// SPDX-License-Identifier: MIT
/*
 * listener.c - listener table, lookup and backend choice
 *
 * Theory of operation: the table mirrors conf->listeners one to one and
 * points into the struct conf (which outlives it). A SYN is matched by
 * (destination address, destination port): a listener bound to that exact VIP
 * wins over a "*" listener with the same port. Ports are kept sorted by
 * conf_load, so each listener is searched with bsearch(); the number of
 * listeners is small, so the scan over them is linear.
 *
 * Each listener owns its backends (keyed by address:port) with their
 * counters and health state; forward = "original" listeners get one
 * pseudo-backend 0.0.0.0:0 that carries their counters. Backend choice is in
 * balance.c, health checks in health.c.
 */
#include "proxy/listener.h"

#include "proxy/balance.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

const char *const backend_check_names[CHECK__COUNT] = {
	[CHECK_NONE] = "none",
	[CHECK_PENDING] = "pending",
	[CHECK_OK] = "ok",
	[CHECK_FAILED] = "failed",
	[CHECK_TIMEOUT] = "timeout",
};
static_assert(sizeof(backend_check_names) / sizeof(backend_check_names[0]) == CHECK__COUNT,
	      "backend_check_names must name every status");

/**
 * listener_table_check() - refuse configurations this build cannot run
 * @cfg:	the loaded configuration
 * @err:	filled with one "FILE:LINE: message" per problem
 * @errlen:	size of @err
 *
 * Every listener feature of DESIGN.md §5 is implemented; kept as the one
 * place for start-time refusals.
 *
 * Return: 0
 */
int listener_table_check(const struct conf *cfg, char *err, size_t errlen)
{
	(void)cfg;
	if (errlen)
		err[0] = '\0';
	return 0;
}

/**
 * listener_init_backends() - a listener's backends from its configuration
 * @l:		the listener (@l->conf set)
 *
 * Return: 0, or -ENOMEM
 */
static int listener_init_backends(struct listener *l)
{
	const struct conf_listener *cl = l->conf;
	size_t n = cl->forward_original ? 1 : cl->n_backends;

	l->backends = calloc(n ? n : 1, sizeof(*l->backends));
	if (!l->backends)
		return -ENOMEM;
	l->n_backends = n;
	if (cl->forward_original)
		l->backends[0].weight = 1;	/* 0.0.0.0:0, the original destination */
	for (size_t j = 0; j < cl->n_backends && !cl->forward_original; j++) {
		struct backend *b = &l->backends[j];

		b->addr = cl->backends[j].addr;
		b->port = cl->backends[j].port;
		b->weight = cl->backends[j].weight;
		b->max_conns = cl->backends[j].max_connections;
		b->check.status = cl->health.enabled ? CHECK_PENDING : CHECK_NONE;
	}
	return balance_init(l);
}

/**
 * listener_table_init() - build the table from a configuration
 * @t:		the table to fill
 * @cfg:	the configuration; must outlive @t
 * @err:	error message on failure
 * @errlen:	size of @err
 *
 * Return: 0, or -errno with @err filled
 */
int listener_table_init(struct listener_table *t, const struct conf *cfg,
			char *err, size_t errlen)
{
	t->n = 0;
	t->l = calloc(cfg->n_listeners ? cfg->n_listeners : 1, sizeof(*t->l));
	if (!t->l)
		goto nomem;
	for (size_t i = 0; i < cfg->n_listeners; i++) {
		const struct conf_listener *cl = &cfg->listeners[i];
		struct listener *l = &t->l[i];

		l->conf = cl;
		t->n++;
		if (listener_init_backends(l))
			goto nomem;
	}
	return 0;
nomem:
	listener_table_free(t);
	snprintf(err, errlen, "listener table: out of memory");
	return -ENOMEM;
}

/**
 * listener_table_free() - release what listener_table_init() allocated
 * @t:		the table
 */
void listener_table_free(struct listener_table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		balance_free(&t->l[i]);
		free(t->l[i].backends);
	}
	free(t->l);
	t->l = NULL;
	t->n = 0;
}

/**
 * port_cmp() - bsearch comparator for sorted uint16_t ports
 * @a:		key
 * @b:		element
 *
 * Return: <0, 0, >0
 */
static int port_cmp(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

/**
 * listener_has_port() - whether a listener serves a port
 * @cl:		listener configuration
 * @port:	destination port
 *
 * Return: true if @port is one of its ports
 */
static bool listener_has_port(const struct conf_listener *cl, uint16_t port)
{
	return bsearch(&port, cl->ports, cl->n_ports, sizeof(port), port_cmp) != NULL;
}

/**
 * listener_find() - the listener for a destination
 * @t:		the table
 * @vip:	destination address of the SYN
 * @port:	destination port of the SYN
 *
 * Return: the listener bound to exactly @vip and @port, else a "*" listener
 *	   with @port, else NULL
 */
struct listener *listener_find(struct listener_table *t, uint32_t vip, uint16_t port)
{
	struct listener *any = NULL;

	for (size_t i = 0; i < t->n; i++) {
		const struct conf_listener *cl = t->l[i].conf;

		if (!listener_has_port(cl, port))
			continue;
		if (!cl->any_addr && cl->addr == vip)
			return &t->l[i];
		if (cl->any_addr && !any)
			any = &t->l[i];
	}
	return any;
}

/**
 * listener_table_set_draining() - refuse (or accept again) new connections
 * @t:		the table
 * @on:		true to refuse new SYNs on every listener
 */
void listener_table_set_draining(struct listener_table *t, bool on)
{
	for (size_t i = 0; i < t->n; i++)
		__atomic_store_n(&t->l[i].draining, on, __ATOMIC_RELAXED);
}

/**
 * listener_table_any_addr() - whether some listener uses address "*"
 * @t:		the table
 *
 * Return: true if the stack must accept IPv4 for any destination
 */
bool listener_table_any_addr(const struct listener_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->l[i].conf->any_addr)
			return true;
	return false;
}

/**
 * backend_state_name() - a backend's state as every view shows it (/stats,
 *			  the status page, tcpgatectl status)
 * @b:		the backend (read with relaxed atomics: the worker writes it)
 *
 * Return: "drain" for weight 0, else "down" when its health checks marked it
 *	   down, else "up" (static string)
 */
const char *backend_state_name(const struct backend *b)
{
	if (!__atomic_load_n(&b->weight, __ATOMIC_RELAXED))
		return "drain";
	return __atomic_load_n(&b->check.down, __ATOMIC_RELAXED) ? "down" : "up";
}
