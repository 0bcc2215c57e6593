// SPDX-License-Identifier: MIT
/*
 * reload.c - configuration reload (SIGHUP, tcpgatectl reload)
 *
 * Theory of operation
 *
 * Off the data path (control thread): reload_prepare() parses and validates
 * the file with conf_load(), refuses changes to what cannot change live
 * (interface, stats, control, defaults.congestion, and a
 * defaults.max_connections above the start value, which sized the stack's
 * connection pool), checks that this build supports every
 * listener, and builds the new listener table. Any problem leaves the
 * running configuration untouched: the errors ("FILE:LINE: message") go to
 * the caller, the log, and /stats (config.reload_failures, last_error).
 *
 * Applying it (the supervisor, proxy/supervisor.c, with every worker
 * parked; reload_coordinate()):
 *   1. every worker is asked to join a rendezvous (RT_REQ_PARK); between
 *	its batches (nothing mid-callback, dead list flushed) it adds the
 *	VIPs of the new listeners to its own stack and waits;
 *   2. with all of them waiting, the supervisor carries state over from the
 *	running table to the new one, matching listeners by name and
 *	backends by address:port inside a listener (counters, round-robin
 *	position, health state): counters never reset, a backend that was
 *	down stays down until its checks pass. Nobody writes a counter
 *	meanwhile, so no increment is lost;
 *   3. it swaps table and configuration under the runtime lock (readers see
 *	either the old or the new one, never a mix), bumps the generation and
 *	releases the workers;
 *   4. each worker re-points its live sessions at the surviving
 *	listener/backend objects of the new table. Sessions of removed
 *	listeners or backends keep pointing into the old table, which stays
 *	alive (struct reload_old, reference-counted: one reference per worker
 *	that still has such sessions, plus the supervisor's until it has
 *	rebuilt the health checks) until no session refers to it; after
 *	defaults.drain_timeout_s those sessions are reset.
 * The workers are stopped for the time of a table copy (microseconds), on
 * a reload only; the data path itself takes no lock. With one worker this
 * is the same sequence with a rendezvous of one.
 * Each worker also hands the new defaults (timeouts, retries, limit) to its
 * session table, which applies them from then on (existing sessions too:
 * the timer lists share one timeout).
 * A SYN for a removed listener finds no listener and is answered with RST;
 * a removed backend is never picked again.
 *
 * Addresses: a VIP that no listener of the new table uses is withdrawn from
 * the stack (stack_del_vip()) once no session to it is left, so that the
 * connections draining on it keep their ARP entry and their packets; until
 * then new SYNs to it get RST like any port without a listener. Withdrawn,
 * it answers neither ARP nor ICMP, and IPv4 to it is dropped and counted
 * (ip_not_local). The last "*" listener's promiscuous mode ends the same
 * way. The check runs after each reload and once a second. With several
 * workers the address is withdrawn only when no worker has a connection to
 * it (struct rt_withdraw): an ARP request may reach any worker's queue, so
 * every stack must keep answering while any connection drains.
 */
#include "proxy/reload.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proxy/log.h"

#define RELOAD_PARK_WAIT_S	10	/* the rendezvous waits this long for workers */

/**
 * struct reload_old - a replaced listener table, shared by the workers
 * @lt:		the table
 * @cfg:	the configuration it points into
 * @refs:	holders (atomic): workers with sessions in it, the supervisor
 */
struct reload_old {
	struct listener_table lt;
	struct conf *cfg;
	unsigned refs;
};

/**
 * struct reload_retired - a worker's reference to a replaced table its
 *			   sessions still use
 * @old:	the table
 * @deadline:	when those sessions are reset (STACK_TIME_NEVER: done)
 * @next:	list link
 */
struct reload_retired {
	struct reload_old *old;
	stack_time_us deadline;
	struct reload_retired *next;
};

/**
 * reload_old_unref() - drop a reference to a replaced table; the last one
 *			frees it
 * @old:	the table (NULL is fine)
 */
void reload_old_unref(struct reload_old *old)
{
	if (!old || __atomic_sub_fetch(&old->refs, 1, __ATOMIC_ACQ_REL))
		return;
	listener_table_free(&old->lt);
	conf_free(old->cfg);
	free(old);
}

/**
 * struct vip_refs - session_for_each() argument counting sessions on a VIP
 * @addr:	the VIP (ignored with @any)
 * @any:	count sessions of "*" listeners instead
 * @n:		sessions found
 */
struct vip_refs {
	uint32_t addr;
	bool any;
	size_t n;
};

/**
 * count_vip_refs() - session_for_each() callback for struct vip_refs
 * @arg:	struct vip_refs
 * @l:		the session's listener
 * @b:		its backend (unused)
 */
static void count_vip_refs(void *arg, struct listener **l, struct backend **b)
{
	struct vip_refs *v = arg;
	const struct conf_listener *cl = (*l)->conf;

	(void)b;
	if (v->any ? cl->any_addr : (!cl->any_addr && cl->addr == v->addr))
		v->n++;
}

/**
 * table_uses_addr() - whether a listener of a table has this VIP
 * @t:		table
 * @addr:	address, host order
 *
 * Return: true if some listener's address is @addr
 */
static bool table_uses_addr(const struct listener_table *t, uint32_t addr)
{
	for (size_t i = 0; i < t->n; i++)
		if (!t->l[i].conf->any_addr && t->l[i].conf->addr == addr)
			return true;
	return false;
}

/**
 * reload_note_withdrawn() - after a swap, list the addresses to withdraw
 * @rw:		the worker's reload state
 * @ot:		the replaced table
 * @nt:		the new table
 *
 * An address the new table uses again is taken off the list (it was added
 * back by reload_add_vips()).
 */
static void reload_note_withdrawn(struct reload_worker *rw, const struct listener_table *ot,
				  const struct listener_table *nt)
{
	size_t i, j;

	for (i = 0; i < rw->n_withdraw;) {
		if (table_uses_addr(nt, rw->withdraw[i]))
			rw->withdraw[i] = rw->withdraw[--rw->n_withdraw];
		else
			i++;
	}
	for (i = 0; i < ot->n; i++) {
		const struct conf_listener *cl = ot->l[i].conf;

		if (cl->any_addr || table_uses_addr(nt, cl->addr))
			continue;
		for (j = 0; j < rw->n_withdraw && rw->withdraw[j] != cl->addr; j++)
			;
		if (j == rw->n_withdraw && rw->n_withdraw < RELOAD_MAX_WITHDRAW)
			rw->withdraw[rw->n_withdraw++] = cl->addr;
	}
	if (listener_table_any_addr(nt))
		rw->withdraw_any = false;
	else if (listener_table_any_addr(ot))
		rw->withdraw_any = true;
}

/**
 * reload_withdraw() - withdraw the listed addresses nobody is connected to
 * @rw:		the worker's reload state
 * @st:		sessions (not inside a callback)
 */
static void reload_withdraw(struct reload_worker *rw, struct session_table *st)
{
	char a[INET_ADDRSTRLEN];

	for (size_t i = 0; i < rw->n_withdraw;) {
		struct vip_refs v = { .addr = rw->withdraw[i] };
		struct in_addr ia = { .s_addr = htonl(v.addr) };

		session_for_each(st, count_vip_refs, &v);
		if (!runtime_withdraw_report(rw->rt, v.addr, rw->index, v.n > 0)) {
			i++;
			continue;
		}
		/* -ENOENT: it was the interface address, which stays */
		if (!stack_del_vip(rw->stack, v.addr))
			log_info("reload: address %s withdrawn: no listener and no connection left "
				 "(no more ARP, ICMP or TCP for it)",
				 inet_ntop(AF_INET, &ia, a, sizeof(a)));
		rw->withdraw[i] = rw->withdraw[--rw->n_withdraw];
	}
	if (rw->withdraw_any) {
		struct vip_refs v = { .any = true };

		session_for_each(st, count_vip_refs, &v);
		if (runtime_withdraw_report(rw->rt, 0, rw->index, v.n > 0)) {
			stack_set_promiscuous_ip(rw->stack, false);
			rw->withdraw_any = false;
			log_info("reload: no \"*\" listener and no connection of one left: "
				 "accepting only the interface address and the VIPs");
		}
	}
}

/**
 * reload_fixed_changed() - the first setting that cannot change live
 * @o:		running configuration
 * @n:		new configuration
 *
 * Return: a description of the changed setting, or NULL if none changed
 */
static const char *reload_fixed_changed(const struct conf *o, const struct conf *n)
{
	const struct conf_interface *a = &o->iface, *b = &n->iface;

	if (a->type != b->type || strcmp(a->name, b->name) || strcmp(a->netns, b->netns))
		return "interface type, name or netns";
	if (a->addr != b->addr || a->prefix_len != b->prefix_len)
		return "interface address";
	if (a->mac_set != b->mac_set || memcmp(a->mac, b->mac, sizeof(a->mac)))
		return "interface mac";
	if (a->mtu != b->mtu || a->offload != b->offload || a->workers != b->workers)
		return "interface mtu, offload or workers";
	if (memcmp(&a->fault, &b->fault, sizeof(a->fault)))
		return "interface fault";
	if (o->stats_addr != n->stats_addr || o->stats_port != n->stats_port)
		return "stats listen";
	if (strcmp(o->control_socket, n->control_socket))
		return "control socket";
	/* the stack's congestion control is chosen once, for all connections */
	if (o->defaults.congestion != n->defaults.congestion)
		return "defaults.congestion";
	return NULL;
}

/**
 * reload_prepare() - load and validate the configuration file again
 * @rt:		the runtime (for the running configuration)
 * @cfg:	set to the new configuration
 * @nlt:	filled with its listener table
 * @err:	every problem, one "FILE:LINE: message" per line
 * @errlen:	size of @err
 *
 * Return: 0, or -EINVAL with @err filled
 */
int reload_prepare(struct runtime *rt, struct conf **cfg, struct listener_table *nlt,
		   char *err, size_t errlen)
{
	const char *what;

	*cfg = conf_load(rt->cfg->path, err, errlen);
	if (!*cfg)
		return -EINVAL;
	pthread_mutex_lock(&rt->lock);
	what = reload_fixed_changed(rt->cfg, *cfg);
	pthread_mutex_unlock(&rt->lock);
	if (what) {
		snprintf(err, errlen, "%s: %s cannot change on reload; restart tcpgate "
			 "to change it\n", (*cfg)->path, what);
		goto fail;
	}
	if ((*cfg)->defaults.max_connections > rt->start_max_conns) {
		snprintf(err, errlen, "%s: defaults.max_connections %u is above %u, the value "
			 "tcpgate started with (its connection table was sized for it); "
			 "restart tcpgate to raise it\n", (*cfg)->path,
			 (*cfg)->defaults.max_connections, rt->start_max_conns);
		goto fail;
	}
	if (listener_table_check(*cfg, err, errlen))
		goto fail;
	if (listener_table_init(nlt, *cfg, err, errlen))
		goto fail;
	return 0;
fail:
	conf_free(*cfg);
	*cfg = NULL;
	return -EINVAL;
}

/**
 * reload_run() - one whole reload, as asked by SIGHUP or tcpgatectl
 * @rt:		the runtime
 * @out:	"ok generation N", or the errors (one per line)
 * @outlen:	size of @out
 *
 * Return: 0 on success, -errno if the configuration was refused
 */
int reload_run(struct runtime *rt, char *out, size_t outlen)
{
	struct listener_table nlt = { 0 };
	struct conf *cfg;
	int rc = reload_prepare(rt, &cfg, &nlt, out, outlen);

	if (!rc) {
		rc = runtime_reload(rt, cfg, &nlt, out, outlen);
		if (rc) {
			size_t n = strlen(out);

			if (n + 1 < outlen && (!n || out[n - 1] != '\n'))
				strcpy(out + n, "\n");
		}
	} else {
		runtime_reload_failed(rt, out);
	}
	if (rc) {
		log_error("reload refused, configuration unchanged:\n%s", out);
		return rc;
	}
	pthread_mutex_lock(&rt->lock);
	snprintf(out, outlen, "ok generation %llu\n", (unsigned long long)rt->generation);
	pthread_mutex_unlock(&rt->lock);
	log_info("reload: %.*s", (int)strlen(out) - 1, out);
	return 0;
}

/**
 * table_find_name() - a listener by name
 * @t:		table
 * @name:	listener name
 *
 * Return: the listener, or NULL
 */
static struct listener *table_find_name(const struct listener_table *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->l[i].conf->name, name))
			return &t->l[i];
	return NULL;
}

/**
 * listener_find_backend() - a listener's backend by address and port
 * @l:		listener
 * @addr:	address, host order
 * @port:	port
 *
 * Return: the backend, or NULL
 */
static struct backend *listener_find_backend(const struct listener *l, uint32_t addr,
					     uint16_t port)
{
	for (size_t i = 0; i < l->n_backends; i++)
		if (l->backends[i].addr == addr && l->backends[i].port == port)
			return &l->backends[i];
	return NULL;
}

/**
 * table_owns() - whether a listener or backend object lives in a table
 * @t:		table
 * @l:		listener pointer (may be NULL)
 * @b:		backend pointer (may be NULL)
 *
 * Return: true if @l or @b points into @t
 */
static bool table_owns(const struct listener_table *t, const struct listener *l,
		       const struct backend *b)
{
	if (l >= t->l && l < t->l + t->n)
		return true;
	for (size_t i = 0; b && i < t->n; i++)
		if (b >= t->l[i].backends && b < t->l[i].backends + t->l[i].n_backends)
			return true;
	return false;
}

/**
 * reload_carry() - carry counters and balancing state to the new table
 * @nt:		new table (counters zero)
 * @ot:		running table
 *
 * Listeners match by name, backends by address:port within the listener.
 */
static void reload_carry(struct listener_table *nt, const struct listener_table *ot)
{
	for (size_t i = 0; i < nt->n; i++) {
		struct listener *nl = &nt->l[i];
		const struct listener *ol = table_find_name(ot, nl->conf->name);

		if (!ol)
			continue;
		nl->stats = ol->stats;
		for (size_t j = 0; j < nl->n_backends; j++) {
			struct backend *nb = &nl->backends[j];
			const struct backend *ob = listener_find_backend(ol, nb->addr, nb->port);

			if (!ob)
				continue;
			nb->stats = ob->stats;
			nb->current = ob->current;
			if (nl->conf->health.enabled == ol->conf->health.enabled)
				nb->check = ob->check;	/* up/down survives */
		}
	}
}

/**
 * struct remap_ctx - session_for_each() argument of the remap pass
 * @ot, @nt:	old and new table
 * @left:	sessions that still point into @ot afterwards
 */
struct remap_ctx {
	const struct listener_table *ot, *nt;
	size_t left;
};

/**
 * remap_session() - re-point one session at the new table's objects
 * @arg:	struct remap_ctx
 * @l:		the session's listener pointer
 * @b:		the session's backend pointer
 */
static void remap_session(void *arg, struct listener **l, struct backend **b)
{
	struct remap_ctx *r = arg;
	struct listener *nl;
	struct backend *nb;

	if (!table_owns(r->ot, *l, NULL))
		return;		/* already in a retired table: stays there */
	nl = table_find_name(r->nt, (*l)->conf->name);
	if (nl) {
		nb = *b ? listener_find_backend(nl, (*b)->addr, (*b)->port) : NULL;
		if (nb || !*b)
			*b = nb;
		*l = nl;
	}
	if (table_owns(r->ot, *l, *b))
		r->left++;
}

/**
 * count_refs() - session_for_each() callback counting references to a table
 * @arg:	struct remap_ctx (@ot is the table, @left the count)
 * @l:		listener pointer
 * @b:		backend pointer
 */
static void count_refs(void *arg, struct listener **l, struct backend **b)
{
	struct remap_ctx *r = arg;

	if (table_owns(r->ot, *l, *b))
		r->left++;
}

/**
 * reload_gc() - free retired tables no session refers to any more
 * @rw:		the worker's reload state
 * @st:		sessions
 */
static void reload_gc(struct reload_worker *rw, struct session_table *st)
{
	struct reload_retired **pp = &rw->retired;

	while (*pp) {
		struct reload_retired *r = *pp;
		struct remap_ctx c = { .ot = &r->old->lt };

		session_for_each(st, count_refs, &c);
		if (c.left) {
			pp = &r->next;
			continue;
		}
		*pp = r->next;
		reload_old_unref(r->old);
		free(r);
	}
}

/**
 * reload_answer() - publish the worker's verdict on a reload (lock held)
 * @rt:		the runtime
 * @rc:		0 or -errno
 * @msg:	reason on failure
 */
static void reload_answer(struct runtime *rt, int rc, const char *msg)
{
	rt->reload_rc = rc;
	snprintf(rt->reload_msg, sizeof(rt->reload_msg), "%s", msg);
	if (rc) {
		rt->reload_failures++;
		snprintf(rt->last_error, sizeof(rt->last_error), "%s", msg);
		listener_table_free(&rt->reload_lt);
		conf_free(rt->reload_cfg);
	}
	rt->reload_cfg = NULL;
	rt->reload_seq++;
	pthread_cond_broadcast(&rt->cond);
}

/**
 * reload_add_vips() - make the stack answer for the new table's addresses
 * @stack:	the stack
 * @nt:		new table
 * @msg:	reason on failure
 * @msglen:	size of @msg
 *
 * Return: 0, or -errno
 */
static int reload_add_vips(struct stack *stack, const struct listener_table *nt,
			   char *msg, size_t msglen)
{
	for (size_t i = 0; i < nt->n; i++) {
		const struct conf_listener *cl = nt->l[i].conf;
		int ret;

		if (cl->any_addr)
			continue;
		ret = stack_add_vip(stack, cl->addr);
		if (ret) {
			snprintf(msg, msglen, "listener %s: cannot add its address: %s",
				 cl->name, strerror(-ret));
			return ret;
		}
	}
	if (listener_table_any_addr(nt))
		stack_set_promiscuous_ip(stack, true);
	return 0;
}

/**
 * reload_log_diff() - log the listeners a reload added and removed
 * @ot:		old table
 * @nt:		new table
 */
static void reload_log_diff(const struct listener_table *ot, const struct listener_table *nt)
{
	for (size_t i = 0; i < nt->n; i++)
		if (!table_find_name(ot, nt->l[i].conf->name))
			log_info("reload: listener %s added", nt->l[i].conf->name);
	for (size_t i = 0; i < ot->n; i++)
		if (!table_find_name(nt, ot->l[i].conf->name))
			log_info("reload: listener %s removed: refusing new connections, "
				 "%llu established drain", ot->l[i].conf->name,
				 (unsigned long long)LSTAT_GET(&ot->l[i], connections_active));
}

/**
 * reload_retire() - keep a reference to the replaced table while sessions
 *		     of this worker point into it, or drop it now
 * @rw:		the worker's reload state
 * @old:	the replaced table (this worker holds one reference)
 * @left:	sessions still pointing into it
 * @deadline:	when those are reset
 */
static void reload_retire(struct reload_worker *rw, struct reload_old *old, size_t left,
			  stack_time_us deadline)
{
	struct reload_retired *r;

	if (left && (r = calloc(1, sizeof(*r)))) {
		r->old = old;
		r->deadline = deadline;
		r->next = rw->retired;
		rw->retired = r;
		return;
	}
	if (left)
		log_error("reload: out of memory retiring the old table; it leaks");
	else
		reload_old_unref(old);
}

/**
 * reload_park_wait() - wait on the runtime's condition until *@v == @want
 * @rt:		the runtime (lock held)
 * @v:		the counter to watch
 * @want:	the value to wait for
 *
 * Return: 0, or -ETIMEDOUT after RELOAD_PARK_WAIT_S
 */
static int reload_park_wait(struct runtime *rt, const unsigned *v, unsigned want)
{
	struct timespec dl;

	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_sec += RELOAD_PARK_WAIT_S;
	while (*v != want)
		if (pthread_cond_timedwait(&rt->cond, &rt->lock, &dl) == ETIMEDOUT)
			return -ETIMEDOUT;
	return 0;
}

/**
 * reload_swap() - carry state over and install the new table (lock held,
 *		   every worker parked)
 * @rt:		the runtime
 * @msg:	reason on failure
 * @msglen:	size of @msg
 *
 * Return: the replaced table (one reference per worker and one for the
 *	   supervisor), or NULL out of memory
 */
static struct reload_old *reload_swap(struct runtime *rt, char *msg, size_t msglen)
{
	struct reload_old *old = calloc(1, sizeof(*old));

	if (!old) {
		snprintf(msg, msglen, "out of memory");
		return NULL;
	}
	reload_carry(&rt->reload_lt, rt->lt);
	old->lt = *rt->lt;
	old->cfg = rt->cfg;
	old->refs = rt->n_workers + 1;
	*rt->lt = rt->reload_lt;
	rt->cfg = rt->reload_cfg;
	rt->generation++;
	rt->reloads++;
	return old;
}

/**
 * reload_mark_withdrawals_locked() - supervisor: record the addresses a
 *				      reload gave up, and those it took back
 * @rt:		the runtime (lock held, workers parked)
 * @ot:		the replaced table
 * @nt:		the new table
 */
static void reload_mark_withdrawals_locked(struct runtime *rt, const struct listener_table *ot,
					   const struct listener_table *nt)
{
	for (size_t i = 0; i < ot->n; i++) {
		const struct conf_listener *cl = ot->l[i].conf;

		if (!cl->any_addr && !table_uses_addr(nt, cl->addr))
			runtime_withdraw_begin_locked(rt, cl->addr);
	}
	for (size_t i = 0; i < nt->n; i++)
		if (!nt->l[i].conf->any_addr)
			runtime_withdraw_cancel_locked(rt, nt->l[i].conf->addr);
	if (listener_table_any_addr(nt))
		runtime_withdraw_cancel_locked(rt, 0);
	else if (listener_table_any_addr(ot))
		runtime_withdraw_begin_locked(rt, 0);
}

/**
 * reload_coordinate() - supervisor: apply a configuration handed over by
 *			 the control thread, with every worker parked (see the
 *			 file comment)
 * @rt:		the runtime (rt->reload_cfg set, or nothing to do)
 * @stopping:	a graceful stop is in progress: refuse
 *
 * Return: the replaced table when the new one is installed (the caller
 *	   rebuilds what points into the old one, then reload_old_unref()s
 *	   it), else NULL
 */
struct reload_old *reload_coordinate(struct runtime *rt, bool stopping)
{
	struct reload_old *old = NULL;
	char msg[256] = "";
	int ret = 0;

	pthread_mutex_lock(&rt->lock);
	if (!rt->reload_cfg) {
		pthread_mutex_unlock(&rt->lock);
		return NULL;
	}
	if (stopping) {
		reload_answer(rt, -ESHUTDOWN, "tcpgate is stopping");
		pthread_mutex_unlock(&rt->lock);
		return NULL;
	}
	rt->park_open = true;
	rt->parked = 0;
	rt->park_rc = 0;
	rt->park_old = NULL;
	runtime_request_workers_locked(rt, RT_REQ_PARK);
	if (reload_park_wait(rt, &rt->parked, rt->n_workers)) {
		ret = -ETIMEDOUT;
		snprintf(msg, sizeof(msg), "a worker did not join the reload in %d s",
			 RELOAD_PARK_WAIT_S);
	} else if (rt->park_rc) {
		ret = rt->park_rc;
		snprintf(msg, sizeof(msg), "%s", rt->park_msg);
	} else if (!(old = reload_swap(rt, msg, sizeof(msg)))) {
		ret = -ENOMEM;
	}
	rt->park_open = false;
	if (old) {
		reload_log_diff(&old->lt, rt->lt);
		reload_mark_withdrawals_locked(rt, &old->lt, rt->lt);
		rt->park_old = old;
	}
	reload_answer(rt, ret, msg);
	/* release: every parked worker reads park_old and counts itself out */
	rt->park_gen++;
	pthread_cond_broadcast(&rt->cond);
	if (reload_park_wait(rt, &rt->parked, 0))
		log_error("reload: a worker did not leave the rendezvous in %d s",
			  RELOAD_PARK_WAIT_S);
	rt->park_old = NULL;
	pthread_mutex_unlock(&rt->lock);
	return old;
}

/**
 * reload_worker_join() - worker: add the new VIPs, count in, wait for the
 *			  release
 * @rt:		the runtime
 * @stack:	the worker's stack
 * @cfg:	set to the running configuration after the release
 *
 * Return: the replaced table if the release installed a new one (this
 *	   worker holds one reference), else NULL
 */
static struct reload_old *reload_worker_join(struct runtime *rt, struct stack *stack,
					     const struct conf **cfg)
{
	struct listener_table nt;
	struct reload_old *old;
	char msg[256] = "";
	uint64_t gen;
	int ret;

	pthread_mutex_lock(&rt->lock);
	if (!rt->park_open) {	/* the rendezvous gave up on us already */
		pthread_mutex_unlock(&rt->lock);
		return NULL;
	}
	nt = rt->reload_lt;	/* the supervisor does not touch it until all joined */
	pthread_mutex_unlock(&rt->lock);
	ret = reload_add_vips(stack, &nt, msg, sizeof(msg));
	pthread_mutex_lock(&rt->lock);
	if (!rt->park_open) {
		pthread_mutex_unlock(&rt->lock);
		return NULL;
	}
	if (ret && !rt->park_rc) {
		rt->park_rc = ret;
		snprintf(rt->park_msg, sizeof(rt->park_msg), "%s", msg);
	}
	gen = rt->park_gen;
	rt->parked++;
	pthread_cond_broadcast(&rt->cond);
	while (rt->park_gen == gen)
		pthread_cond_wait(&rt->cond, &rt->lock);
	old = rt->park_old;
	*cfg = rt->cfg;
	rt->parked--;
	pthread_cond_broadcast(&rt->cond);
	pthread_mutex_unlock(&rt->lock);
	return old;
}

/**
 * reload_worker_park() - worker: take part in a reload (RT_REQ_PARK)
 * @rw:		the worker's reload state
 * @rt:		the runtime
 * @stack:	the worker's stack
 * @st:		its sessions (not inside a callback, dead list flushed)
 * @cfg:	the worker's configuration pointer, updated after a reload
 * @now:	current time
 */
void reload_worker_park(struct reload_worker *rw, struct runtime *rt, struct stack *stack,
			struct session_table *st, const struct conf **cfg, stack_time_us now)
{
	struct reload_old *old = reload_worker_join(rt, stack, cfg);
	struct remap_ctx rc;

	if (!old)
		return;
	session_set_defaults(st, &(*cfg)->defaults);
	rc = (struct remap_ctx){ .ot = &old->lt, .nt = rt->lt };
	session_for_each(st, remap_session, &rc);
	reload_note_withdrawn(rw, &old->lt, rt->lt);
	reload_retire(rw, old, rc.left,
		      now + (stack_time_us)(*cfg)->defaults.drain_timeout_s * 1000000ULL);
	reload_gc(rw, st);
	rw->stack = stack;
	reload_withdraw(rw, st);
}

/**
 * retired_pred() - session_abort_if() predicate: the session is in a table
 * @arg:	the struct listener_table
 * @l:		the session's listener
 * @b:		its backend
 *
 * Return: true to reset the session
 */
static bool retired_pred(void *arg, const struct listener *l, const struct backend *b)
{
	return table_owns(arg, l, b);
}

/**
 * reload_timers() - reset sessions of removed objects after the drain
 *		     timeout, and free retired tables nobody uses
 * @rw:		the worker's reload state
 * @st:		sessions (not inside a callback)
 * @now:	current time
 */
void reload_timers(struct reload_worker *rw, struct session_table *st, stack_time_us now)
{
	for (struct reload_retired *r = rw->retired; r; r = r->next) {
		size_t n;

		if (now < r->deadline)
			continue;
		r->deadline = STACK_TIME_NEVER;
		n = session_abort_if(st, retired_pred, &r->old->lt);
		if (n)
			log_info("reload: drain timeout: reset %zu connection(s) of removed "
				 "listeners/backends", n);
	}
	if (rw->retired)
		reload_gc(rw, st);
	if (rw->n_withdraw || rw->withdraw_any)
		reload_withdraw(rw, st);
}

/**
 * reload_worker_free() - free every retired table (at exit, sessions gone)
 * @rw:		the worker's reload state
 */
void reload_worker_free(struct reload_worker *rw)
{
	while (rw->retired) {
		struct reload_retired *r = rw->retired;

		rw->retired = r->next;
		reload_old_unref(r->old);
		free(r);
	}
}
