// SPDX-License-Identifier: MIT
/*
 * health.c - backend health: active TCP connect checks, passive observation
 *
 * Theory of operation: for every backend of a listener with a health group,
 * one struct health_check runs a non-blocking connect() from the
 * supervisor's epoll loop every interval_ms (no thread of its own). The
 * socket is registered with data.ptr pointing into the check array, which is
 * how health_io() tells its events from the loop's own fds. A connect that completes within timeout_ms is a
 * success (the socket is then closed at once with RST, SO_LINGER {1,0}, so
 * checks leave no TIME-WAIT behind), one that fails or times out a failure.
 *
 * Passive checks: session.c reports each real connect's outcome with
 * health_observe(); a failure counts toward fall like an active one (only on
 * listeners with a health group, whose active checks can bring the backend
 * back).
 *
 * States (struct backend_check): up until fall consecutive failures mark it
 * down; down until rise consecutive successes mark it up. "drain" is weight 0
 * and independent of checks. Each transition is logged at info level,
 * counted (went_down / went_up) and makes balance.c rebuild its Maglev table.
 * Backends start up (HAProxy's default), so a fresh tcpgate serves at once.
 *
 * Threads: active checks run on the supervisor's loop (the main thread,
 * proxy/supervisor.c); passive observations come from every worker. The
 * up/down counting of health_observe() is serialised by one mutex, taken
 * once per connect outcome (never per packet); the published fields are
 * written with relaxed atomic stores for the stats thread and the workers'
 * balance.c.
 *
 * Reload: checks point into the listener table; whoever replaces its
 * contents calls health_reload() (state stays in struct backend).
 *
 * Timers: at most one pending event per check (next start or timeout),
 * scanned linearly: there are few backends, and the scan runs only when
 * health_next_timer() says one is due.
 */
#include "proxy/health.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proxy/balance.h"
#include "proxy/log.h"

/**
 * struct health_check - the active check of one backend
 * @l, @b:	listener and backend
 * @fd:		check socket while connecting, else -1
 * @started:	when the current check began
 * @due:	next start (fd < 0) or timeout (fd >= 0)
 */
struct health_check {
	struct listener *l;
	struct backend *b;
	int fd;
	stack_time_us started;
	stack_time_us due;
};

/**
 * struct health - every active check of one worker
 * @c:		@n checks
 * @epfd:	the worker's epoll instance
 */
struct health {
	struct health_check *c;
	size_t n;
	int epfd;
};

/**
 * health_log_transition() - log and count an up/down change
 * @l:		listener
 * @b:		backend
 * @down:	new state
 * @now:	current time
 */
static void health_log_transition(struct listener *l, struct backend *b, bool down,
				  stack_time_us now)
{
	struct in_addr a = { .s_addr = htonl(b->addr) };
	char s[INET_ADDRSTRLEN];

	LSTAT_SET(b, check.down, down);
	LSTAT_SET(b, check.last_change_us, now);
	if (down)
		LSTAT_INC(b, went_down);
	else
		LSTAT_INC(b, went_up);
	balance_changed(l);
	log_info("listener %s: backend %s:%u is %s (%s, %u in a row)", l->conf->name,
		 inet_ntop(AF_INET, &a, s, sizeof(s)), b->port, down ? "down" : "up",
		 backend_check_names[b->check.status], down ? b->check.fails : b->check.oks);
}

/**
 * health_observe() - one success or failure of a backend (check or real
 *		      connect); changes its state after rise / fall in a row
 * @l:		listener (no effect without a health group)
 * @b:		backend
 * @ok:		success
 * @now:	current time
 */
void health_observe(struct listener *l, struct backend *b, bool ok, stack_time_us now)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	const struct conf_health *hc = &l->conf->health;
	struct backend_check *c = &b->check;

	if (!hc->enabled || l->conf->forward_original)
		return;
	pthread_mutex_lock(&lock);
	if (ok) {
		c->fails = 0;
		c->oks++;
		if (c->down && c->oks >= hc->rise)
			health_log_transition(l, b, false, now);
	} else {
		c->oks = 0;
		c->fails++;
		if (!c->down && c->fails >= hc->fall)
			health_log_transition(l, b, true, now);
	}
	pthread_mutex_unlock(&lock);
}

/**
 * health_finish() - end the current check of a backend
 * @h:		checks
 * @c:		the check (connecting)
 * @status:	CHECK_OK, CHECK_FAILED or CHECK_TIMEOUT
 * @now:	current time
 */
static void health_finish(struct health *h, struct health_check *c, unsigned status,
			  stack_time_us now)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	if (c->fd >= 0) {
		epoll_ctl(h->epfd, EPOLL_CTL_DEL, c->fd, NULL);
		setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(c->fd);
		c->fd = -1;
	}
	LSTAT_SET(c->b, check.status, status);
	LSTAT_SET(c->b, check.duration_ms, (uint32_t)((now - c->started) / 1000));
	if (status != CHECK_OK)
		LSTAT_INC(c->b, checks_failed);
	c->due = c->started + (stack_time_us)c->l->conf->health.interval_ms * 1000;
	if (c->due <= now)
		c->due = now + 1000;
	health_observe(c->l, c->b, status == CHECK_OK, now);
}

/**
 * health_start() - begin a check: non-blocking connect to the backend
 * @h:		checks
 * @c:		the check (idle)
 * @now:	current time
 */
static void health_start(struct health *h, struct health_check *c, stack_time_us now)
{
	struct sockaddr_in sa = {
		.sin_family = AF_INET,
		.sin_port = htons(c->b->port),
		.sin_addr.s_addr = htonl(c->b->addr),
	};
	struct epoll_event ev = { .events = EPOLLOUT, .data.ptr = c };

	c->started = now;
	c->due = now + (stack_time_us)c->l->conf->health.timeout_ms * 1000;
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		log_warn_rl("health check socket: %s", strerror(errno));
		health_finish(h, c, CHECK_FAILED, now);
		return;
	}
	if (!connect(c->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		health_finish(h, c, CHECK_OK, now);
		return;
	}
	if (errno != EINPROGRESS || epoll_ctl(h->epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0)
		health_finish(h, c, CHECK_FAILED, now);
}

/**
 * health_io() - an epoll event, if it belongs to a check
 * @h:		checks (NULL: none)
 * @ref:	the event's data.ptr
 * @events:	epoll event mask
 * @now:	current time
 *
 * Return: true if @ref was a check (handled), false if it is not ours
 */
bool health_io(struct health *h, void *ref, uint32_t events, stack_time_us now)
{
	struct health_check *c = ref;
	int err = 0;
	socklen_t len = sizeof(err);

	(void)events;
	if (!h || !h->n || c < h->c || c >= h->c + h->n)
		return false;
	if (c->fd < 0)
		return true;	/* finished earlier in this batch: stale event */
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	health_finish(h, c, err ? CHECK_FAILED : CHECK_OK, now);
	return true;
}

/**
 * health_timers() - start due checks, time out overdue ones
 * @h:		checks (NULL: none)
 * @now:	current time
 */
void health_timers(struct health *h, stack_time_us now)
{
	for (size_t i = 0; h && i < h->n; i++) {
		struct health_check *c = &h->c[i];

		if (c->due > now)
			continue;
		if (c->fd >= 0)
			health_finish(h, c, CHECK_TIMEOUT, now);
		else
			health_start(h, c, now);
	}
}

/**
 * health_next_timer() - the earliest due check
 * @h:		checks (NULL: none)
 *
 * Return: absolute time, or STACK_TIME_NEVER
 */
stack_time_us health_next_timer(const struct health *h)
{
	stack_time_us t = STACK_TIME_NEVER;

	for (size_t i = 0; h && i < h->n; i++)
		if (h->c[i].due < t)
			t = h->c[i].due;
	return t;
}

/**
 * health_count() - how many backends have active checks
 * @lt:		listener table
 *
 * Return: count
 */
static size_t health_count(const struct listener_table *lt)
{
	size_t n = 0;

	for (size_t i = 0; i < lt->n; i++)
		if (lt->l[i].conf->health.enabled && !lt->l[i].conf->forward_original)
			n += lt->l[i].n_backends;
	return n;
}

/**
 * health_create() - a check for every backend of listeners with a health group
 * @lt:		listener table (outlives the checks)
 * @epfd:	the worker's epoll instance
 * @now:	current time: first checks are spread over the first interval
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: the checks (possibly none), or NULL with @err filled
 */
struct health *health_create(struct listener_table *lt, int epfd, stack_time_us now,
			     char *err, size_t errlen)
{
	struct health *h = calloc(1, sizeof(*h));

	if (!h) {
		snprintf(err, errlen, "health checks: out of memory");
		return NULL;
	}
	h->epfd = epfd;
	if (health_reload(h, lt, now)) {
		free(h);
		snprintf(err, errlen, "health checks: out of memory");
		return NULL;
	}
	return h;
}

/**
 * health_stop() - close every check socket in flight
 * @h:		checks
 */
static void health_stop(struct health *h)
{
	for (size_t i = 0; i < h->n; i++) {
		if (h->c[i].fd < 0)
			continue;
		epoll_ctl(h->epfd, EPOLL_CTL_DEL, h->c[i].fd, NULL);
		close(h->c[i].fd);
		h->c[i].fd = -1;
	}
}

/**
 * health_reload() - rebuild the checks for a (new) listener table
 * @h:		checks
 * @lt:		the listener table now in use (outlives the checks)
 * @now:	current time: first checks are spread over the first interval
 *
 * Checks point into the listener table, so whoever replaces its contents
 * (reload) calls this afterwards. Backend state lives in struct backend and
 * is not touched here; checks in flight are abandoned.
 *
 * Return: 0, or -ENOMEM (then @h is left with no checks)
 */
int health_reload(struct health *h, struct listener_table *lt, stack_time_us now)
{
	size_t n = health_count(lt), k = 0;
	struct health_check *c = calloc(n ? n : 1, sizeof(*c));

	health_stop(h);
	free(h->c);
	h->c = c;
	h->n = 0;
	if (!c)
		return -ENOMEM;
	for (size_t i = 0; i < lt->n; i++) {
		struct listener *l = &lt->l[i];

		if (!l->conf->health.enabled || l->conf->forward_original)
			continue;
		for (size_t j = 0; j < l->n_backends; j++, k++) {
			c[k] = (struct health_check){
				.l = l, .b = &l->backends[j], .fd = -1,
				.due = now + (stack_time_us)l->conf->health.interval_ms *
				       1000 * k / (n ? n : 1),
			};
		}
	}
	h->n = n;
	return 0;
}

/**
 * health_destroy() - close every check socket and free
 * @h:		checks (NULL is fine)
 */
void health_destroy(struct health *h)
{
	if (!h)
		return;
	health_stop(h);
	free(h->c);
	free(h);
}
