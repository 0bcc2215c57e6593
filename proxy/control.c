// SPDX-License-Identifier: MIT
/*
 * control.c - the control socket and the reload thread
 *
 * Theory of operation: an AF_UNIX SOCK_STREAM socket at control.socket
 * (mode 0600; its directory is created 0700 if missing; a stale socket from
 * an earlier run is replaced, a live one is an error). One thread serves it,
 * one client at a time, with a 2 s receive/send timeout so a stuck client
 * cannot hold it. The protocol is a line in, text out, then close:
 *
 *   "reload"       "ok generation N\n", or every error, one per line
 *   "status"       a summary line, then tab-separated tables
 *   "connections"  a tab-separated table, one connection per row
 *
 * tcpgatectl aligns the tab-separated rows. The same thread runs the
 * reloads that SIGHUP asks for (the worker forwards the signal through the
 * runtime's hup eventfd), so parsing a configuration never happens on the
 * data path and two reloads never overlap.
 */
#include "proxy/control.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <libgen.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "proxy/log.h"
#include "proxy/textbuf.h"
#include "proxy/reload.h"

#define CONTROL_LINE_MAX	128
#define CONTROL_OUT_MAX		(64 * 1024)
#define CONTROL_IO_TIMEOUT_S	2

/**
 * struct control - the control server
 * @rt:		the runtime
 * @fd:		listening socket
 * @stop_efd:	eventfd that ends the thread
 * @thread:	the server thread
 * @path:	socket path (unlinked at stop)
 * @made_dir:	we created its directory (so it is ours to chown)
 */
struct control {
	struct runtime *rt;
	int fd, stop_efd;
	pthread_t thread;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	bool made_dir;
};

/**
 * ip_str() - dotted quad of a host-order address
 * @addr:	address
 * @buf:	INET_ADDRSTRLEN bytes
 *
 * Return: @buf
 */
static const char *ip_str(uint32_t addr, char *buf)
{
	struct in_addr a = { .s_addr = htonl(addr) };

	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

/**
 * status_listener() - the rows of one listener and its backends
 * @b:		output
 * @l:		the listener (runtime lock held)
 */
static void status_listener(struct textbuf *b, const struct listener *l)
{
	const struct conf_listener *cl = l->conf;
	char a[INET_ADDRSTRLEN];

	textbuf_printf(b, "%s\t%s:%u%s\t%s\t%llu\t%llu\t%llu\t%llu\t%llu\n", cl->name,
		    cl->any_addr ? "*" : ip_str(cl->addr, a), cl->n_ports ? cl->ports[0] : 0,
		    cl->n_ports > 1 ? "+" : "",
		    __atomic_load_n(&l->draining, __ATOMIC_RELAXED) ? "draining" : "active",
		    (unsigned long long)LSTAT_GET(l, connections_active),
		    (unsigned long long)LSTAT_GET(l, connections_total),
		    (unsigned long long)LSTAT_GET(l, connections_refused),
		    (unsigned long long)LSTAT_GET(l, bytes_in),
		    (unsigned long long)LSTAT_GET(l, bytes_out));
	for (size_t i = 0; i < l->n_backends; i++) {
		const struct backend *be = &l->backends[i];

		textbuf_printf(b, "  -> %s:%u\tweight %u\t%s\t%llu\t%llu\t%llu\t%llu\t%llu\n",
			    ip_str(be->addr, a), be->port, be->weight, backend_state_name(be),
			    (unsigned long long)LSTAT_GET(be, connections_active),
			    (unsigned long long)LSTAT_GET(be, connections_total),
			    (unsigned long long)LSTAT_GET(be, connect_failures),
			    (unsigned long long)LSTAT_GET(be, bytes_in),
			    (unsigned long long)LSTAT_GET(be, bytes_out));
	}
}

/**
 * control_status_text() - the "status" answer
 * @rt:		the runtime
 *
 * Return: malloc'ed text, or NULL out of memory
 */
char *control_status_text(struct runtime *rt)
{
	struct textbuf b = { 0 };

	pthread_mutex_lock(&rt->lock);
	textbuf_printf(&b, "tcpgate %s, up %llus, config %s generation %llu (%llu reloads, "
		    "%llu failed), %llu connections\n\n", TCPGATE_VERSION,
		    (unsigned long long)((runtime_now_us() - rt->started_us) / 1000000ULL),
		    rt->cfg->path, (unsigned long long)rt->generation,
		    (unsigned long long)rt->reloads, (unsigned long long)rt->reload_failures,
		    (unsigned long long)rt->sessions);
	textbuf_printf(&b, "LISTENER\tADDRESS\tSTATE\tACTIVE\tTOTAL\tREFUSED/FAILED\tBYTES_IN\tBYTES_OUT\n");
	for (size_t i = 0; i < rt->lt->n; i++)
		status_listener(&b, &rt->lt->l[i]);
	if (rt->last_error[0])
		textbuf_printf(&b, "\nlast reload error:\n%s", rt->last_error);
	pthread_mutex_unlock(&rt->lock);
	return textbuf_take(&b);
}

/**
 * control_connections_text() - the "connections" answer
 * @rt:		the runtime
 *
 * Return: malloc'ed text, or NULL out of memory
 */
char *control_connections_text(struct runtime *rt)
{
	size_t n;
	struct conn_snap *cs = runtime_connections(rt, &n);
	uint64_t now = runtime_now_us();
	struct textbuf b = { 0 };

	textbuf_printf(&b, "ID\tLISTENER\tCLIENT\tVIP\tBACKEND\tSTATE\tAGE_MS\tBYTES_IN\tBYTES_OUT\t"
		    "RTT_US\tCWND\tRETRANS\n");
	for (size_t i = 0; i < n; i++) {
		const struct tcp_conn_info *ci = &cs[i].info;
		char c[INET_ADDRSTRLEN], v[INET_ADDRSTRLEN], be[INET_ADDRSTRLEN];

		textbuf_printf(&b, "%llu\t%s\t%s:%u\t%s:%u\t%s:%u\t%s\t%llu\t%llu\t%llu\t%u\t%u\t%u\n",
			    (unsigned long long)cs[i].id, cs[i].listener[0] ? cs[i].listener : "-",
			    ip_str(ci->tuple.client_addr, c), ci->tuple.client_port,
			    ip_str(ci->tuple.vip_addr, v), ci->tuple.vip_port,
			    ip_str(cs[i].backend_addr, be), cs[i].backend_port, ci->state,
			    (unsigned long long)((now - ci->created) / 1000),
			    (unsigned long long)ci->bytes_in, (unsigned long long)ci->bytes_out,
			    ci->rtt_us, ci->cwnd, ci->retransmits);
	}
	free(cs);
	return textbuf_take(&b);
}

/**
 * control_answer() - the answer to one command line
 * @c:		the server
 * @line:	the command (no newline)
 *
 * Return: malloc'ed text, or NULL out of memory
 */
static char *control_answer(struct control *c, const char *line)
{
	char *out;

	if (!strcmp(line, "status"))
		return control_status_text(c->rt);
	if (!strcmp(line, "connections"))
		return control_connections_text(c->rt);
	if (strcmp(line, "reload")) {
		if (asprintf(&out, "error: unknown command \"%.32s\" (reload, status, "
			     "connections)\n", line) < 0)
			return NULL;
		return out;
	}
	out = malloc(CONTROL_OUT_MAX);
	if (out)
		reload_run(c->rt, out, CONTROL_OUT_MAX);
	return out;
}

/**
 * control_client() - serve one client: read a line, answer, close
 * @c:		the server
 * @fd:		the accepted socket
 */
static void control_client(struct control *c, int fd)
{
	struct timeval tv = { .tv_sec = CONTROL_IO_TIMEOUT_S };
	char line[CONTROL_LINE_MAX];
	size_t len = 0;
	char *out;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (len < sizeof(line) - 1) {
		ssize_t n = recv(fd, line + len, sizeof(line) - 1 - len, 0);

		if (n <= 0)
			break;
		len += (size_t)n;
		if (memchr(line, '\n', len))
			break;
	}
	line[len] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	out = control_answer(c, line);
	if (out) {
		size_t off = 0, total = strlen(out);

		while (off < total) {
			ssize_t n = send(fd, out + off, total - off, MSG_NOSIGNAL);

			if (n <= 0)
				break;
			off += (size_t)n;
		}
	}
	free(out);
	close(fd);
}

/**
 * control_thread() - the server loop
 * @arg:	the struct control
 *
 * Return: NULL
 */
static void *control_thread(void *arg)
{
	struct control *c = arg;
	struct pollfd p[3] = {
		{ .fd = c->fd, .events = POLLIN },
		{ .fd = c->rt->hup_efd, .events = POLLIN },
		{ .fd = c->stop_efd, .events = POLLIN },
	};

	for (;;) {
		if (poll(p, 3, -1) < 0 && errno != EINTR)
			break;
		if (p[2].revents)
			break;
		if (p[1].revents & POLLIN) {
			uint64_t v;
			char *out = malloc(CONTROL_OUT_MAX);

			if (read(c->rt->hup_efd, &v, sizeof(v)) == sizeof(v) && out)
				reload_run(c->rt, out, CONTROL_OUT_MAX);
			free(out);
		}
		if (p[0].revents & POLLIN) {
			int fd = accept4(c->fd, NULL, NULL, SOCK_CLOEXEC);

			if (fd >= 0)
				control_client(c, fd);
		}
	}
	return NULL;
}

/**
 * control_prepare_path() - create the directory, replace a stale socket
 * @c:		the server (@made_dir is set)
 * @path:	socket path
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0, or -errno
 */
static int control_prepare_path(struct control *c, const char *path, char *err,
				size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[CONF_PATH_MAX];
	struct stat st;
	int fd;

	snprintf(dir, sizeof(dir), "%s", path);
	if (!mkdir(dirname(dir), 0700))
		c->made_dir = true;
	else if (errno != EEXIST) {
		snprintf(err, errlen, "control: cannot create %s: %s", dir, strerror(errno));
		return -errno;
	}
	if (!lstat(path, &st) && !S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "control: %s exists and is not a socket", path);
		return -EEXIST;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && !connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		snprintf(err, errlen, "control: %s is in use (another tcpgate running?)", path);
		return -EADDRINUSE;
	}
	if (fd >= 0)
		close(fd);
	unlink(path);		/* stale from an earlier run, or absent */
	return 0;
}

/**
 * control_start() - open the control socket and start its thread
 * @rt:		the runtime
 * @path:	socket path (absolute)
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: the server, or NULL with @err filled
 */
struct control *control_start(struct runtime *rt, const char *path, char *err,
			      size_t errlen)
{
	struct control *c = calloc(1, sizeof(*c));
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (c)
		c->fd = c->stop_efd = -1;
	if (!c || control_prepare_path(c, path, err, errlen))
		goto fail_free;
	c->rt = rt;
	snprintf(c->path, sizeof(c->path), "%s", path);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	c->stop_efd = eventfd(0, EFD_CLOEXEC);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || c->stop_efd < 0 ||
	    bind(c->fd, (struct sockaddr *)&sa, sizeof(sa)) || chmod(path, 0600) ||
	    listen(c->fd, 8)) {
		snprintf(err, errlen, "control: %s: %s", path, strerror(errno));
		goto fail;
	}
	if (pthread_create(&c->thread, NULL, control_thread, c)) {
		snprintf(err, errlen, "control: cannot start its thread");
		goto fail;
	}
	return c;
fail:
	if (c->fd >= 0)
		close(c->fd);
	if (c->stop_efd >= 0)
		close(c->stop_efd);
fail_free:
	if (!c)
		snprintf(err, errlen, "control: out of memory");
	free(c);
	return NULL;
}

/**
 * control_chown() - hand the socket to the user tcpgate drops to
 * @c:		the server
 * @uid:	user
 * @gid:	group
 *
 * Return: 0, or -errno
 */
int control_chown(struct control *c, uid_t uid, gid_t gid)
{
	char dir[sizeof(c->path)];

	snprintf(dir, sizeof(dir), "%s", c->path);
	if (chown(c->path, uid, gid))
		return -errno;
	/* the directory too when we made it, so the socket can be removed at exit */
	if (c->made_dir && chown(dirname(dir), uid, gid))
		return -errno;
	return 0;
}

/**
 * control_stop() - stop the thread, close and remove the socket
 * @c:		the server (NULL is fine)
 */
void control_stop(struct control *c)
{
	uint64_t one = 1;

	if (!c)
		return;
	if (write(c->stop_efd, &one, sizeof(one)) == sizeof(one))
		pthread_join(c->thread, NULL);
	close(c->fd);
	close(c->stop_efd);
	unlink(c->path);
	free(c);
}
