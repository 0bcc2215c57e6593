// SPDX-License-Identifier: MIT
/*
 * hop.c - what one kernel TCP hop over loopback costs on this machine
 *
 *   hop [N]	N request/response exchanges and N/10 connections (default 200000)
 *
 * Every L4 proxy that speaks to its backends over ordinary kernel sockets
 * (HAProxy and tcpgate alike) puts one more kernel TCP hop on the path than
 * the client talking to the backend directly: the proxy's end of the backend
 * connection. This program measures a whole loopback hop, both ends in one
 * thread, so the kernel's receive processing (which loopback runs inside
 * the sender's system call) is counted too:
 *
 *   - exchange: 100 bytes one way, 1100 back on an established connection
 *     (TCP_NODELAY), the keep-alive request/response of the bench;
 *   - connection: socket, connect, accept, 100 bytes and 1100 back, close
 *     from the server side then the client side, the new-connection
 *     scenario. SO_LINGER {1, 0} on the client end keeps TIME-WAIT from
 *     filling the port range; the RST is cheaper than a FIN exchange, so
 *     the figure errs low.
 *
 * Half of a hop is a floor for the proxy's own end: bench/report.py sets it
 * against the cost tcpgate would have to reach for the DESIGN.md §8 ratios.
 * CPU time is CLOCK_PROCESS_CPUTIME_ID. Output: NAME<TAB>VALUE<TAB>UNIT lines.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define REQ_LEN		100
#define RESP_LEN	1100

static char buf[RESP_LEN];

static double cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void die(const char *what)
{
	fprintf(stderr, "hop: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* full() - send or receive exactly @len bytes (blocking sockets) */
static void full(int fd, size_t len, int sending)
{
	while (len) {
		ssize_t n = sending ? send(fd, buf, len, MSG_NOSIGNAL) : recv(fd, buf, len, 0);

		if (n <= 0)
			die(sending ? "send" : "recv");
		len -= (size_t)n;
	}
}

static int listener(struct sockaddr_in *sa)
{
	socklen_t l = sizeof(*sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)sa, sizeof(*sa)) || listen(fd, 128) ||
	    getsockname(fd, (struct sockaddr *)sa, &l))
		die("listener");
	return fd;
}

/* one_conn() - a connected client/server pair: *cfd, *sfd */
static void one_conn(int lfd, const struct sockaddr_in *sa, int *cfd, int *sfd)
{
	int one = 1;

	*cfd = socket(AF_INET, SOCK_STREAM, 0);
	if (*cfd < 0 || connect(*cfd, (const struct sockaddr *)sa, sizeof(*sa)))
		die("connect");
	*sfd = accept(lfd, NULL, NULL);
	if (*sfd < 0)
		die("accept");
	setsockopt(*cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(*sfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static void exchange(int cfd, int sfd)
{
	full(cfd, REQ_LEN, 1);
	full(sfd, REQ_LEN, 0);
	full(sfd, RESP_LEN, 1);
	full(cfd, RESP_LEN, 0);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 200000, conns = n / 10;
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	struct sockaddr_in sa;
	int lfd = listener(&sa), cfd, sfd;
	double t0, t1;

	if (n < 10)
		n = conns = 10;
	one_conn(lfd, &sa, &cfd, &sfd);
	for (long i = 0; i < 1000; i++)		/* warm up */
		exchange(cfd, sfd);
	t0 = cpu_us();
	for (long i = 0; i < n; i++)
		exchange(cfd, sfd);
	t1 = cpu_us();
	close(cfd);
	close(sfd);
	printf("hop_exchange\t%.2f\tCPU-us per request/response, both ends\n", (t1 - t0) / (double)n);

	t0 = cpu_us();
	for (long i = 0; i < conns; i++) {
		one_conn(lfd, &sa, &cfd, &sfd);
		exchange(cfd, sfd);
		setsockopt(cfd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(sfd);
		close(cfd);
	}
	t1 = cpu_us();
	printf("hop_conn\t%.2f\tCPU-us per connection, both ends\n", (t1 - t0) / (double)conns);
	close(lfd);
	return 0;
}
