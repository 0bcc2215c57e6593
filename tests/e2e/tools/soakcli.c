// SPDX-License-Identifier: MIT
/*
 * soakcli.c - many concurrent connections exchanging checked data with an echo
 *
 *   soakcli DST_IP PORT N SECONDS [--inflight M] [--chunk MIN-MAX]
 *           [--think-ms T] [--jitter 0|1] [--seed S] [--close-timeout S]
 *           [--connect-timeout S]
 *
 * Theory of operation: one epoll loop drives N non-blocking connections to an
 * echo service (tests/e2e/tools/echod.c behind tcpgate). At most M handshakes
 * are in flight at a time. Each connection then repeats a cycle until SECONDS
 * have passed since the start: send a chunk of MIN..MAX bytes, wait until all
 * of it has come back, think for T ms (uniform in [0, 2T] with --jitter 1,
 * exactly T with --jitter 0; the first chunk of each connection is sent after
 * a uniform [0, T] delay so the load is spread). A connection whose turn
 * comes after that sends FIN instead of a chunk (so the closes are spread
 * like the chunks, not a burst of N FINs), reads until EOF and closes.
 *
 * Data is checked byte for byte: the byte at stream offset p of connection i
 * is a keyed function of (seed, i, p / 8) (splitmix64, counter mode), so the
 * sender needs no buffer and the receiver regenerates what it must see. Each
 * connection also keeps a 64-bit FNV-1a of everything sent and of everything
 * received; both are compared at EOF (the per-connection checksum) along with
 * the byte counts.
 *
 * Every failure is counted once per connection (connect error or timeout,
 * reset, mismatch, early EOF, missing EOF at the close deadline). Every 5 s a
 * PROGRESS line goes to stdout; when all N connections have been established
 * once, an ESTABLISHED line; at the end one JSON line:
 *   {"conns","established","completed","errors","bytes_sent","bytes_recv",
 *    "chunks","seconds","first_error"}
 * Exit 0 only when every connection completed without error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SOAK_IO_MAX	65536
#define SOAK_TICK_MS	20
#define SOAK_PROGRESS_MS 5000

enum conn_state {
	CS_IDLE = 0,	/* not started yet */
	CS_CONNECTING,
	CS_THINK,	/* waiting for next_at */
	CS_XFER,	/* sending a chunk / waiting for its echo */
	CS_CLOSING,	/* FIN sent, reading until EOF */
	CS_DONE,
	CS_FAILED,
};

/**
 * struct conn - one connection
 * @fd:		socket, -1 when closed
 * @state:	enum conn_state
 * @want_out:	EPOLLOUT is armed
 * @sent:	bytes sent so far
 * @recvd:	bytes received (and verified) so far
 * @target:	stream offset the current chunk ends at
 * @next_at:	THINK: when to send the next chunk; CONNECTING: the deadline
 * @rng:	chunk sizes and think times
 * @h_sent:	FNV-1a of the sent stream
 * @h_recv:	FNV-1a of the received stream
 */
struct conn {
	int fd;
	uint8_t state;
	bool want_out;
	uint64_t sent, recvd, target;
	double next_at;
	uint64_t rng;
	uint64_t h_sent, h_recv;
};

/**
 * struct soak - the run: options, the connections and the totals
 */
struct soak {
	struct sockaddr_in dst;
	size_t n, inflight_max, inflight, started;
	double seconds, think_ms, connect_timeout_s, close_timeout_s;
	bool jitter;
	size_t chunk_min, chunk_max;
	uint64_t seed;
	int ep;
	struct conn *c;
	size_t established, completed, errors, open;
	uint64_t bytes_sent, bytes_recv, chunks;
	char first_error[160];
	double t0, end_at;
	bool all_established_said;
};

static volatile sig_atomic_t soak_stop;

/**
 * on_signal() - SIGTERM/SIGINT: stop the loop (unfinished connections fail)
 * @sig:	unused
 */
static void on_signal(int sig)
{
	(void)sig;
	soak_stop = 1;
}

/**
 * now_ms() - monotonic milliseconds
 *
 * Return: the time
 */
static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/**
 * splitmix64() - one output of splitmix64 for a counter value
 * @x:		input
 *
 * Return: a well-mixed 64-bit value
 */
static uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/**
 * stream_fill() - the bytes of connection @idx's stream at offset @pos
 * @s:		the run (seed)
 * @idx:	connection index
 * @pos:	stream offset of @buf[0]
 * @buf:	output
 * @len:	bytes
 */
static void stream_fill(const struct soak *s, size_t idx, uint64_t pos, uint8_t *buf, size_t len)
{
	uint64_t key = splitmix64(s->seed ^ ((uint64_t)idx << 32));

	for (size_t i = 0; i < len; i++, pos++) {
		uint64_t w = splitmix64(key + (pos >> 3));

		buf[i] = (uint8_t)(w >> (8 * (pos & 7)));
	}
}

/**
 * fnv1a() - continue a 64-bit FNV-1a hash
 * @h:		hash so far
 * @p:		bytes
 * @n:		count
 *
 * Return: the new hash
 */
static uint64_t fnv1a(uint64_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/**
 * rng_next() - xorshift64 step
 * @x:		state, updated
 *
 * Return: the next value
 */
static uint64_t rng_next(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/**
 * conn_fail() - record a connection's failure and close it
 * @s:		the run
 * @i:		connection index
 * @what:	reason
 */
static void conn_fail(struct soak *s, size_t i, const char *what)
{
	struct conn *c = &s->c[i];

	if (c->state == CS_CONNECTING)
		s->inflight--;
	if (!s->errors)
		snprintf(s->first_error, sizeof(s->first_error),
			 "conn %zu: %s (sent %llu recv %llu)", i, what,
			 (unsigned long long)c->sent, (unsigned long long)c->recvd);
	s->errors++;
	c->state = CS_FAILED;
	if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
		s->open--;
	}
}

/**
 * conn_set_out() - arm or disarm EPOLLOUT
 * @s:		the run
 * @i:		connection index
 * @on:		wanted
 */
static void conn_set_out(struct soak *s, size_t i, bool on)
{
	struct conn *c = &s->c[i];
	struct epoll_event ev = { .events = EPOLLIN | (on ? EPOLLOUT : 0), .data.u64 = i };

	if (c->want_out == on)
		return;
	c->want_out = on;
	epoll_ctl(s->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/**
 * think_time() - how long a connection waits before its next chunk
 * @s:		the run
 * @c:		the connection
 *
 * Return: milliseconds
 */
static double think_time(const struct soak *s, struct conn *c)
{
	if (!s->jitter)
		return s->think_ms;
	return (double)(rng_next(&c->rng) % 10001) / 10000.0 * 2.0 * s->think_ms;
}

/**
 * conn_start() - open connection @i (non-blocking connect)
 * @s:		the run
 * @i:		connection index
 * @now:	current time
 */
static void conn_start(struct soak *s, size_t i, double now)
{
	struct conn *c = &s->c[i];
	struct epoll_event ev = { .events = EPOLLOUT, .data.u64 = i };
	int one = 1;

	c->rng = splitmix64(s->seed + i) | 1;
	c->h_sent = c->h_recv = 0xcbf29ce484222325ull;
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	c->state = CS_CONNECTING;
	s->inflight++;
	if (c->fd < 0) {
		conn_fail(s, i, strerror(errno));
		return;
	}
	s->open++;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (struct sockaddr *)&s->dst, sizeof(s->dst)) < 0 && errno != EINPROGRESS) {
		char m[96];

		snprintf(m, sizeof(m), "connect: %s", strerror(errno));
		conn_fail(s, i, m);
		return;
	}
	c->want_out = true;
	c->next_at = now + s->connect_timeout_s * 1e3;
	epoll_ctl(s->ep, EPOLL_CTL_ADD, c->fd, &ev);
}

/**
 * conn_connected() - the handshake finished (or failed)
 * @s:		the run
 * @i:		connection index
 * @now:	current time
 */
static void conn_connected(struct soak *s, size_t i, double now)
{
	struct conn *c = &s->c[i];
	int err = 0;
	socklen_t len = sizeof(err);

	getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
	if (err) {
		char m[96];

		snprintf(m, sizeof(m), "connect: %s", strerror(err));
		conn_fail(s, i, m);
		return;
	}
	s->inflight--;
	s->established++;
	c->state = CS_THINK;
	c->next_at = now + (double)(rng_next(&c->rng) % 10001) / 10000.0 * s->think_ms;
	conn_set_out(s, i, false);
}

/**
 * conn_send() - send what remains of the current chunk
 * @s:		the run
 * @i:		connection index
 */
static void conn_send(struct soak *s, size_t i)
{
	static uint8_t buf[SOAK_IO_MAX];
	struct conn *c = &s->c[i];

	while (c->sent < c->target) {
		size_t n = c->target - c->sent;
		ssize_t w;

		if (n > sizeof(buf))
			n = sizeof(buf);
		stream_fill(s, i, c->sent, buf, n);
		w = send(c->fd, buf, n, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				conn_set_out(s, i, true);
				return;
			}
			char m[96];

			snprintf(m, sizeof(m), "send: %s", strerror(errno));
			conn_fail(s, i, m);
			return;
		}
		c->h_sent = fnv1a(c->h_sent, buf, (size_t)w);
		c->sent += (uint64_t)w;
		s->bytes_sent += (uint64_t)w;
	}
	conn_set_out(s, i, false);
}

/**
 * conn_next_chunk() - start the next chunk
 * @s:		the run
 * @i:		connection index
 */
static void conn_next_chunk(struct soak *s, size_t i)
{
	struct conn *c = &s->c[i];
	size_t span = s->chunk_max - s->chunk_min + 1;

	c->target = c->sent + s->chunk_min + rng_next(&c->rng) % span;
	c->state = CS_XFER;
	s->chunks++;
	conn_send(s, i);
}

/**
 * conn_close_write() - the run is over for this connection: send FIN
 * @s:		the run
 * @i:		connection index
 */
static void conn_close_write(struct soak *s, size_t i)
{
	struct conn *c = &s->c[i];

	c->state = CS_CLOSING;
	if (shutdown(c->fd, SHUT_WR) < 0) {
		char m[96];

		snprintf(m, sizeof(m), "shutdown: %s", strerror(errno));
		conn_fail(s, i, m);
	}
}

/**
 * conn_eof() - the echo side closed: complete or fail the connection
 * @s:		the run
 * @i:		connection index
 */
static void conn_eof(struct soak *s, size_t i)
{
	struct conn *c = &s->c[i];

	if (c->state != CS_CLOSING) {
		conn_fail(s, i, "early EOF");
		return;
	}
	if (c->recvd != c->sent || c->h_recv != c->h_sent) {
		conn_fail(s, i, "checksum or length mismatch at EOF");
		return;
	}
	close(c->fd);
	c->fd = -1;
	s->open--;
	c->state = CS_DONE;
	s->completed++;
}

/**
 * conn_read() - read and verify what the echo sent back
 * @s:		the run
 * @i:		connection index
 * @now:	current time
 */
static void conn_read(struct soak *s, size_t i, double now)
{
	static uint8_t buf[SOAK_IO_MAX], want[SOAK_IO_MAX];
	struct conn *c = &s->c[i];

	for (;;) {
		ssize_t r = recv(c->fd, buf, sizeof(buf), 0);

		if (r == 0) {
			conn_eof(s, i);
			return;
		}
		if (r < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			char m[96];

			snprintf(m, sizeof(m), "recv: %s", strerror(errno));
			conn_fail(s, i, m);
			return;
		}
		if (c->recvd + (uint64_t)r > c->sent) {
			conn_fail(s, i, "received more than was sent");
			return;
		}
		stream_fill(s, i, c->recvd, want, (size_t)r);
		if (memcmp(buf, want, (size_t)r)) {
			conn_fail(s, i, "data mismatch");
			return;
		}
		c->h_recv = fnv1a(c->h_recv, buf, (size_t)r);
		c->recvd += (uint64_t)r;
		s->bytes_recv += (uint64_t)r;
	}
	if (c->state == CS_XFER && c->recvd == c->target) {
		c->state = CS_THINK;
		c->next_at = now + think_time(s, c);
	}
}

/**
 * soak_tick() - start connections, due chunks, deadlines; print progress
 * @s:		the run
 * @now:	current time
 */
static void soak_tick(struct soak *s, double now)
{
	while (s->inflight < s->inflight_max && s->started < s->n && now < s->end_at)
		conn_start(s, s->started++, now);
	for (size_t i = 0; i < s->started; i++) {
		struct conn *c = &s->c[i];

		if (c->state == CS_CONNECTING && now >= c->next_at)
			conn_fail(s, i, "connect timeout");
		else if (c->state == CS_THINK && now >= c->next_at && now >= s->end_at)
			conn_close_write(s, i);
		else if (c->state == CS_THINK && now >= c->next_at)
			conn_next_chunk(s, i);
	}
	if (!s->all_established_said && s->established == s->n) {
		s->all_established_said = true;
		printf("ESTABLISHED %zu in %.1f s\n", s->n, (now - s->t0) / 1e3);
		fflush(stdout);
	}
}

/**
 * soak_run() - the event loop, until every connection is done or failed
 * @s:		the run
 */
static void soak_run(struct soak *s)
{
	double next_tick = 0, next_progress, close_deadline = 0;
	struct epoll_event evs[512];

	s->t0 = now_ms();
	s->end_at = s->t0 + s->seconds * 1e3;
	next_progress = s->t0 + SOAK_PROGRESS_MS;
	while (s->completed + s->errors < s->n && !soak_stop) {
		double now = now_ms();
		int k;

		if (now >= next_tick) {
			soak_tick(s, now);
			next_tick = now + SOAK_TICK_MS;
		}
		if (now >= next_progress) {
			printf("PROGRESS t=%.0f open=%zu established=%zu completed=%zu errors=%zu "
			       "sent=%llu recv=%llu\n", (now - s->t0) / 1e3, s->open,
			       s->established, s->completed, s->errors,
			       (unsigned long long)s->bytes_sent, (unsigned long long)s->bytes_recv);
			fflush(stdout);
			next_progress = now + SOAK_PROGRESS_MS;
		}
		if (now >= s->end_at) {
			if (!close_deadline)
				close_deadline = now + s->close_timeout_s * 1e3;
			if (now >= close_deadline)
				break;
			/* nothing new starts after the end: the rest failed to start */
			while (s->started < s->n)
				conn_fail(s, s->started++, "not started before the end");
		}
		k = epoll_wait(s->ep, evs, 512, SOAK_TICK_MS);
		now = now_ms();
		for (int j = 0; j < k; j++) {
			size_t i = (size_t)evs[j].data.u64;
			struct conn *c = &s->c[i];

			if (c->state == CS_CONNECTING) {
				conn_connected(s, i, now);
				continue;
			}
			if (c->fd < 0)
				continue;
			if (evs[j].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
				conn_read(s, i, now);
			if (c->fd >= 0 && c->state == CS_XFER && (evs[j].events & EPOLLOUT))
				conn_send(s, i);
		}
	}
	for (size_t i = 0; i < s->n; i++)
		if (s->c[i].state != CS_DONE && s->c[i].state != CS_FAILED)
			conn_fail(s, i, soak_stop ? "interrupted" : "no EOF before the close deadline");
}

/**
 * parse_range() - "MIN-MAX" or "N"
 * @arg:	text
 * @lo:		minimum
 * @hi:		maximum
 *
 * Return: 0, or -1 when invalid
 */
static int parse_range(const char *arg, size_t *lo, size_t *hi)
{
	char *end;

	*lo = strtoul(arg, &end, 10);
	*hi = *lo;
	if (*end == '-')
		*hi = strtoul(end + 1, &end, 10);
	return *end || !*lo || *hi < *lo || *hi > (1u << 24) ? -1 : 0;
}

/**
 * usage() - print the usage text and exit 2
 * @argv0:	program name
 */
static void usage(const char *argv0)
{
	fprintf(stderr, "usage: %s DST_IP PORT N SECONDS [--inflight M] [--chunk MIN-MAX] "
		"[--think-ms T] [--jitter 0|1] [--seed S] [--connect-timeout S] "
		"[--close-timeout S]\n", argv0);
	exit(2);
}

/**
 * parse_args() - the command line into @s
 * @s:		the run
 * @argc:	argument count
 * @argv:	arguments
 */
static void parse_args(struct soak *s, int argc, char **argv)
{
	if (argc < 5)
		usage(argv[0]);
	s->dst.sin_family = AF_INET;
	if (inet_pton(AF_INET, argv[1], &s->dst.sin_addr) != 1)
		usage(argv[0]);
	s->dst.sin_port = htons((uint16_t)atoi(argv[2]));
	s->n = strtoul(argv[3], NULL, 10);
	s->seconds = atof(argv[4]);
	s->inflight_max = 256;
	s->chunk_min = 1;
	s->chunk_max = 4096;
	s->think_ms = 1000;
	s->jitter = true;
	s->seed = 1;
	s->connect_timeout_s = 60;
	s->close_timeout_s = 60;
	for (int i = 5; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v)
			usage(argv[0]);
		if (!strcmp(argv[i], "--inflight"))
			s->inflight_max = strtoul(v, NULL, 10);
		else if (!strcmp(argv[i], "--chunk") && !parse_range(v, &s->chunk_min, &s->chunk_max))
			;
		else if (!strcmp(argv[i], "--think-ms"))
			s->think_ms = atof(v);
		else if (!strcmp(argv[i], "--jitter"))
			s->jitter = atoi(v) != 0;
		else if (!strcmp(argv[i], "--seed"))
			s->seed = strtoull(v, NULL, 0);
		else if (!strcmp(argv[i], "--connect-timeout"))
			s->connect_timeout_s = atof(v);
		else if (!strcmp(argv[i], "--close-timeout"))
			s->close_timeout_s = atof(v);
		else
			usage(argv[0]);
		i++;
	}
	if (!s->n || s->seconds <= 0 || !s->inflight_max)
		usage(argv[0]);
}

int main(int argc, char **argv)
{
	struct soak s = { .first_error = "none" };

	parse_args(&s, argc, argv);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	s.c = calloc(s.n, sizeof(*s.c));
	s.ep = epoll_create1(EPOLL_CLOEXEC);
	if (!s.c || s.ep < 0) {
		perror("soakcli");
		return 1;
	}
	for (size_t i = 0; i < s.n; i++)
		s.c[i].fd = -1;
	soak_run(&s);
	for (char *p = s.first_error; *p; p++)
		if (*p == '"' || *p == '\\')
			*p = '\'';
	printf("{\"conns\": %zu, \"established\": %zu, \"completed\": %zu, \"errors\": %zu, "
	       "\"bytes_sent\": %llu, \"bytes_recv\": %llu, \"chunks\": %llu, \"seconds\": %.1f, "
	       "\"first_error\": \"%s\"}\n", s.n, s.established, s.completed, s.errors,
	       (unsigned long long)s.bytes_sent, (unsigned long long)s.bytes_recv,
	       (unsigned long long)s.chunks, (now_ms() - s.t0) / 1e3, s.first_error);
	free(s.c);
	close(s.ep);
	return s.errors || s.completed != s.n ? 1 : 0;
}
