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
 * Balancing: smooth weighted round-robin (the nginx algorithm): on every pick
 * each eligible backend's @current grows by its weight, the largest wins and
 * loses the sum of all weights. Over any window of sum(weights) picks each
 * backend is chosen exactly weight times, interleaved rather than in runs.
 * Backends with weight 0 are skipped (drain). Other algorithms, forwarding to
 * the original destination, health checks and retries are not implemented
 * yet; listener_table_check() refuses configurations that need them.
 */
#include "proxy/listener.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

/**
 * listener_table_check() - refuse configurations this build cannot run
 * @cfg:	the loaded configuration
 * @err:	filled with one "FILE:LINE: message" per problem
 * @errlen:	size of @err
 *
 * Return: 0 if every listener is supported, -ENOTSUP otherwise
 */
int listener_table_check(const struct conf *cfg, char *err, size_t errlen)
{
	size_t used = 0;
	int ret = 0;

	err[0] = '\0';
	for (size_t i = 0; i < cfg->n_listeners; i++) {
		const struct conf_listener *cl = &cfg->listeners[i];
		const char *what = NULL;
		int n;

		if (cl->forward_original)
			what = "forward = \"original\"";
		else if (cl->balance != CONF_BALANCE_ROUNDROBIN)
			what = "balance other than \"roundrobin\"";
		if (!what)
			continue;
		ret = -ENOTSUP;
		n = snprintf(err + used, errlen - used, "%s:%d: listener \"%s\": %s is not supported yet\n",
			     cfg->path, cl->line, cl->name, what);
		if (n > 0 && (size_t)n < errlen - used)
			used += (size_t)n;
	}
	return ret;
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
		l->backends = calloc(cl->n_backends ? cl->n_backends : 1,
				     sizeof(*l->backends));
		if (!l->backends)
			goto nomem;
		l->n_backends = cl->n_backends;
		for (size_t j = 0; j < cl->n_backends; j++) {
			l->backends[j].addr = cl->backends[j].addr;
			l->backends[j].port = cl->backends[j].port;
			l->backends[j].weight = cl->backends[j].weight;
		}
		t->n++;
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
	for (size_t i = 0; i < t->n; i++)
		free(t->l[i].backends);
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
 * listener_pick_backend() - choose a backend, smooth weighted round-robin
 * @l:		the listener
 *
 * Return: the backend, or NULL when every backend has weight 0
 */
struct backend *listener_pick_backend(struct listener *l)
{
	struct backend *best = NULL;
	int64_t total = 0;

	for (size_t i = 0; i < l->n_backends; i++) {
		struct backend *b = &l->backends[i];

		if (!b->weight)
			continue;
		b->current += b->weight;
		total += b->weight;
		if (!best || b->current > best->current)
			best = b;
	}
	if (best)
		best->current -= total;
	return best;
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
