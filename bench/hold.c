// SPDX-License-Identifier: MIT
/*
 * hold.c - open N TCP connections to one address and hold them open
 *
 *   hold DST_IP PORT N SRC_IP[,SRC_IP...] [MAX_INFLIGHT] [TIMEOUT_S]
 *
 * Connections are spread round-robin over the source addresses (each gives one
 * ephemeral port range per destination), at most MAX_INFLIGHT (default 1000)
 * handshakes at a time so the proxy under test sees a steady SYN rate instead
 * of a flood. When all N are established, or TIMEOUT_S (default 120) passes,
 * one line is printed and flushed:
 *
 *   READY established=E failed=F elapsed_ms=T first_error=MSG
 *
 * then every connection is held (nothing is sent) until SIGTERM/SIGINT; on
 * exit the kernel closes them. Needs RLIMIT_NOFILE > N (the bench raises it).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	struct sockaddr_in dst = { .sin_family = AF_INET };
	struct in_addr srcs[64];
	size_t nsrc = 0, n, max_inflight = 1000, inflight = 0, started = 0;
	size_t established = 0, failed = 0;
	double timeout_ms = 120000, t0;
	char first_error[128] = "none";
	int ep;

	if (argc < 5) {
		fprintf(stderr, "usage: %s DST_IP PORT N SRC_IP[,SRC_IP...] [MAX_INFLIGHT] [TIMEOUT_S]\n",
			argv[0]);
		return 2;
	}
	if (inet_pton(AF_INET, argv[1], &dst.sin_addr) != 1)
		return 2;
	dst.sin_port = htons((uint16_t)atoi(argv[2]));
	n = strtoul(argv[3], NULL, 10);
	for (char *tok = strtok(argv[4], ","); tok && nsrc < 64; tok = strtok(NULL, ","))
		if (inet_pton(AF_INET, tok, &srcs[nsrc]) == 1)
			nsrc++;
	if (!nsrc)
		return 2;
	if (argc > 5)
		max_inflight = strtoul(argv[5], NULL, 10);
	if (argc > 6)
		timeout_ms = atof(argv[6]) * 1e3;

	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	ep = epoll_create1(0);
	if (ep < 0)
		return 1;
	t0 = now_ms();
	while (established + failed < n && now_ms() - t0 < timeout_ms && !stop) {
		struct epoll_event evs[512];
		int k;

		while (inflight < max_inflight && started < n) {
			struct sockaddr_in src = { .sin_family = AF_INET, .sin_addr = srcs[started % nsrc] };
			struct epoll_event ev = { .events = EPOLLOUT };
			int one = 1, fd;

			started++;
			fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
			if (fd < 0) {
				if (!failed)
					snprintf(first_error, sizeof(first_error), "socket: %s", strerror(errno));
				failed++;
				continue;
			}
			setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
			if (bind(fd, (struct sockaddr *)&src, sizeof(src)) < 0 ||
			    (connect(fd, (struct sockaddr *)&dst, sizeof(dst)) < 0 &&
			     errno != EINPROGRESS)) {
				if (!failed)
					snprintf(first_error, sizeof(first_error), "connect: %s", strerror(errno));
				failed++;
				close(fd);
				continue;
			}
			ev.data.fd = fd;
			epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
			inflight++;
		}
		k = epoll_wait(ep, evs, 512, 100);
		for (int i = 0; i < k; i++) {
			int fd = evs[i].data.fd, err = 0;
			socklen_t len = sizeof(err);

			getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
			epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
			inflight--;
			if (err) {
				if (!failed)
					snprintf(first_error, sizeof(first_error), "handshake: %s", strerror(err));
				failed++;
				close(fd);
			} else {
				established++;
			}
		}
	}
	for (size_t i = 0; i < sizeof(first_error) && first_error[i]; i++)
		if (first_error[i] == ' ')
			first_error[i] = '_';
	printf("READY established=%zu failed=%zu pending=%zu elapsed_ms=%.0f first_error=%s\n",
	       established, failed, inflight, now_ms() - t0, first_error);
	fflush(stdout);
	while (!stop)
		pause();
	return 0;
}
