// SPDX-License-Identifier: MIT
/*
 * echod.c - an epoll echo server for many concurrent connections (loopback only)
 *
 *   echod PORT
 *
 * Theory of operation: one non-blocking listening socket on 127.0.0.1:PORT and
 * one epoll loop. Every byte a connection sends is written back to it. A read
 * goes into a shared scratch buffer and is written back at once; only when the
 * kernel does not take all of it is the rest copied into a per-connection
 * buffer, and the connection stops reading (EPOLLIN off, EPOLLOUT on) until
 * that is flushed, so a client that does not read pauses itself instead of
 * growing this process. On the client's EOF the connection is closed once
 * everything is written back (the kernel then sends the queued bytes and FIN).
 * A reset or error closes it. Connections are kept in an array indexed by fd.
 *
 * Prints "READY PORT" once listening (a port still bound by someone is retried
 * for 5 s: the test's free-port probe may not have exited yet). On SIGUSR1, and on SIGTERM/SIGINT
 * before exiting, prints one JSON line:
 *   {"accepted", "active", "max_active", "bytes", "errors"}
 * Needs RLIMIT_NOFILE above the connection count (the caller raises it).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define ECHO_IO_MAX	65536

/**
 * struct echo_conn - one connection, indexed by its fd
 * @open:	in use
 * @pend:	bytes not yet written back (malloc'd only while blocked)
 * @pend_len:	their count
 * @pend_off:	how many of them are already written
 */
struct echo_conn {
	bool open;
	uint8_t *pend;
	size_t pend_len, pend_off;
};

/**
 * struct echod - the server: epoll and listening fds, connections by fd, totals
 */
struct echod {
	int ep, lfd;
	struct echo_conn *c;
	size_t nc;
	uint64_t accepted, active, max_active, bytes, errors;
};

static volatile sig_atomic_t echo_stop, echo_report;

/**
 * on_stop() - SIGTERM/SIGINT: print the report and exit
 * @sig:	unused
 */
static void on_stop(int sig)
{
	(void)sig;
	echo_stop = 1;
}

/**
 * on_report() - SIGUSR1: print the report and go on
 * @sig:	unused
 */
static void on_report(int sig)
{
	(void)sig;
	echo_report = 1;
}

/**
 * echo_close() - forget a connection
 * @e:		server
 * @fd:		its fd
 * @error:	closed because of an error
 */
static void echo_close(struct echod *e, int fd, bool error)
{
	struct echo_conn *c = &e->c[fd];

	free(c->pend);
	*c = (struct echo_conn){ 0 };
	close(fd);
	e->active--;
	if (error)
		e->errors++;
}

/**
 * echo_watch() - set the epoll interest of a connection
 * @e:		server
 * @fd:		its fd
 * @out:	true: wait to write (not reading); false: read
 */
static void echo_watch(struct echod *e, int fd, bool out)
{
	struct epoll_event ev = { .events = out ? EPOLLOUT : EPOLLIN, .data.fd = fd };

	epoll_ctl(e->ep, EPOLL_CTL_MOD, fd, &ev);
}

/**
 * echo_flush() - write back pending bytes
 * @e:		server
 * @fd:		connection
 *
 * Return: 0 all written, 1 blocked, -1 error (connection closed)
 */
static int echo_flush(struct echod *e, int fd)
{
	struct echo_conn *c = &e->c[fd];

	while (c->pend_off < c->pend_len) {
		ssize_t w = send(fd, c->pend + c->pend_off, c->pend_len - c->pend_off, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 1;
			echo_close(e, fd, true);
			return -1;
		}
		c->pend_off += (size_t)w;
	}
	free(c->pend);
	c->pend = NULL;
	c->pend_len = c->pend_off = 0;
	return 0;
}

/**
 * echo_read() - read what is there and write it back
 * @e:		server
 * @fd:		connection
 */
static void echo_read(struct echod *e, int fd)
{
	static uint8_t buf[ECHO_IO_MAX];
	struct echo_conn *c = &e->c[fd];

	for (;;) {
		ssize_t r = recv(fd, buf, sizeof(buf), 0), w;

		if (r == 0) {
			echo_close(e, fd, false);
			return;
		}
		if (r < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				echo_close(e, fd, errno != ECONNRESET);
			return;
		}
		e->bytes += (uint64_t)r;
		w = send(fd, buf, (size_t)r, MSG_NOSIGNAL);
		if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			echo_close(e, fd, true);
			return;
		}
		if (w < 0)
			w = 0;
		if (w < r) {
			c->pend_len = (size_t)(r - w);
			c->pend_off = 0;
			c->pend = malloc(c->pend_len);
			if (!c->pend) {
				echo_close(e, fd, true);
				return;
			}
			memcpy(c->pend, buf + w, c->pend_len);
			echo_watch(e, fd, true);
			return;
		}
	}
}

/**
 * echo_accept() - accept every waiting connection
 * @e:		server
 */
static void echo_accept(struct echod *e)
{
	for (;;) {
		int fd = accept4(e->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct epoll_event ev = { .events = EPOLLIN };

		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				e->errors++;
			return;
		}
		if ((size_t)fd >= e->nc) {
			close(fd);
			e->errors++;
			continue;
		}
		e->c[fd] = (struct echo_conn){ .open = true };
		e->accepted++;
		if (++e->active > e->max_active)
			e->max_active = e->active;
		ev.data.fd = fd;
		epoll_ctl(e->ep, EPOLL_CTL_ADD, fd, &ev);
	}
}

/**
 * echo_print() - the JSON summary line
 * @e:		server
 */
static void echo_print(const struct echod *e)
{
	printf("{\"accepted\": %llu, \"active\": %llu, \"max_active\": %llu, \"bytes\": %llu, "
	       "\"errors\": %llu}\n", (unsigned long long)e->accepted,
	       (unsigned long long)e->active, (unsigned long long)e->max_active,
	       (unsigned long long)e->bytes, (unsigned long long)e->errors);
	fflush(stdout);
}

/**
 * echo_listen() - the listening socket on 127.0.0.1:@port
 * @port:	port
 *
 * Return: fd, or -1
 */
static int echo_listen(uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 4096) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	struct echod e = { 0 };
	struct epoll_event ev = { .events = EPOLLIN }, evs[512];
	struct rlimit rl;

	if (argc != 2) {
		fprintf(stderr, "usage: %s PORT\n", argv[0]);
		return 2;
	}
	signal(SIGTERM, on_stop);
	signal(SIGINT, on_stop);
	signal(SIGUSR1, on_report);
	signal(SIGPIPE, SIG_IGN);
	getrlimit(RLIMIT_NOFILE, &rl);
	e.nc = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (1u << 20) ? (1u << 20) : rl.rlim_cur;
	e.c = calloc(e.nc, sizeof(*e.c));
	/* the caller's port probe may still hold the port for a moment */
	for (int i = 0; i < 50; i++) {
		e.lfd = echo_listen((uint16_t)atoi(argv[1]));
		if (e.lfd >= 0 || errno != EADDRINUSE)
			break;
		usleep(100000);
	}
	e.ep = epoll_create1(EPOLL_CLOEXEC);
	if (!e.c || e.lfd < 0 || e.ep < 0) {
		perror("echod");
		return 1;
	}
	ev.data.fd = e.lfd;
	epoll_ctl(e.ep, EPOLL_CTL_ADD, e.lfd, &ev);
	printf("READY %s\n", argv[1]);
	fflush(stdout);
	while (!echo_stop) {
		int k = epoll_wait(e.ep, evs, 512, 500);

		if (echo_report) {
			echo_report = 0;
			echo_print(&e);
		}
		for (int j = 0; j < k; j++) {
			int fd = evs[j].data.fd;

			if (fd == e.lfd) {
				echo_accept(&e);
			} else if (!e.c[fd].open) {
				continue;
			} else if (e.c[fd].pend) {
				if (evs[j].events & (EPOLLERR | EPOLLHUP) && !(evs[j].events & EPOLLOUT))
					echo_close(&e, fd, true);
				else if (echo_flush(&e, fd) == 0)
					echo_watch(&e, fd, false);
			} else {
				echo_read(&e, fd);
			}
		}
	}
	echo_print(&e);
	for (size_t fd = 0; fd < e.nc; fd++)
		if (e.c[fd].open)
			echo_close(&e, (int)fd, false);
	free(e.c);
	return 0;
}
