// SPDX-License-Identifier: MIT
/*
 * connlog.c - the per-listener connection log
 *
 * Theory of operation: a listener with log = true gets one info-level line
 * per connection when its session is released (proxy/session.c fills a
 * struct connlog_rec at that single point), in logfmt style so that it is
 * both readable and parseable with a split on spaces:
 *
 *   connection listener=web client=10.88.0.2:40112 vip=10.88.0.100:80
 *	backend=127.0.0.1:8080 bytes_in=75 bytes_out=196 duration_ms=4
 *	reason=backend_eof
 *
 * (one line). backend=- when no backend was tried. The reason is the first
 * abnormal event of the connection (a reset, a timeout, a drain, an error)
 * or, for a normal close, the side that closed first; session.c decides it
 * with connlog_reason_is_normal().
 *
 * This is an access log the operator opts into per listener, so unlike the
 * other network-reachable log sites it is not rate-limited: a dropped line
 * would be a connection missing from the record. The line is bounded
 * (names are at most 63 characters) and formatted on the stack.
 */
#include "proxy/connlog.h"

#include <arpa/inet.h>
#include <assert.h>
#include <stdio.h>

#include "proxy/log.h"


const char *const connlog_reason_names[CONNLOG__COUNT] = {
	[CONNLOG_UNKNOWN] = "unknown",
	[CONNLOG_CLIENT_FIN] = "client_fin",
	[CONNLOG_BACKEND_EOF] = "backend_eof",
	[CONNLOG_CLIENT_RST] = "client_rst",
	[CONNLOG_CLIENT_TIMEOUT] = "client_timeout",
	[CONNLOG_BACKEND_RST] = "backend_rst",
	[CONNLOG_CONNECT_FAILED] = "connect_failed",
	[CONNLOG_IDLE_TIMEOUT] = "idle_timeout",
	[CONNLOG_HALFCLOSED_TIMEOUT] = "halfclosed_timeout",
	[CONNLOG_LIFETIME] = "lifetime",
	[CONNLOG_DRAIN] = "drain",
	[CONNLOG_ERROR] = "error",
};
static_assert(sizeof(connlog_reason_names) / sizeof(connlog_reason_names[0]) == CONNLOG__COUNT,
	      "connlog_reason_names must name every reason");

/**
 * connlog_reason_is_normal() - whether a reason is an orderly close
 * @r:		the reason
 *
 * Return: true for client_fin and backend_eof (and unknown, not yet set),
 *	   which a later abnormal event replaces
 */
bool connlog_reason_is_normal(enum connlog_reason r)
{
	return r == CONNLOG_UNKNOWN || r == CONNLOG_CLIENT_FIN || r == CONNLOG_BACKEND_EOF;
}

/**
 * connlog_addr() - "A.B.C.D:PORT" of a host-order address
 * @addr:	address
 * @port:	port
 * @buf:	at least 22 bytes
 * @len:	size of @buf
 *
 * Return: @buf
 */
static const char *connlog_addr(uint32_t addr, uint16_t port, char *buf, size_t len)
{
	struct in_addr a = { .s_addr = htonl(addr) };
	char ip[INET_ADDRSTRLEN];

	snprintf(buf, len, "%s:%u", inet_ntop(AF_INET, &a, ip, sizeof(ip)), port);
	return buf;
}

/**
 * connlog_format() - the text of one connection's line, without the log prefix
 * @r:		the record
 * @buf:	destination (NUL-terminated, truncated to @len)
 * @len:	size of @buf
 *
 * Return: the length snprintf() would have produced
 */
size_t connlog_format(const struct connlog_rec *r, char *buf, size_t len)
{
	char client[32], vip[32], backend[32] = "-";
	unsigned reason = r->reason < CONNLOG__COUNT ? r->reason : CONNLOG_UNKNOWN;
	int n;

	if (r->backend_port)
		connlog_addr(r->backend_addr, r->backend_port, backend, sizeof(backend));
	n = snprintf(buf, len, "connection listener=%s client=%s vip=%s backend=%s "
		     "bytes_in=%llu bytes_out=%llu duration_ms=%llu reason=%s",
		     r->listener,
		     connlog_addr(r->tuple.client_addr, r->tuple.client_port, client, sizeof(client)),
		     connlog_addr(r->tuple.vip_addr, r->tuple.vip_port, vip, sizeof(vip)),
		     backend, (unsigned long long)r->bytes_in, (unsigned long long)r->bytes_out,
		     (unsigned long long)(r->duration_us / 1000), connlog_reason_names[reason]);
	return n < 0 ? 0 : (size_t)n;
}

/**
 * connlog_write() - log one closed connection at info level
 * @r:		the record
 */
void connlog_write(const struct connlog_rec *r)
{
	char line[CONNLOG_LINE_MAX];

	if (!log_enabled(LOG_LVL_INFO))
		return;
	connlog_format(r, line, sizeof(line));
	log_info("%s", line);
}
