// SPDX-License-Identifier: MIT
/*
 * test_connlog.c - the connection log line: exact text, no backend, the
 * longest line fits, every reason named, which reasons count as orderly
 */
#include <criterion/criterion.h>
#include <string.h>

#include "conf/conf.h"
#include "proxy/connlog.h"

static const struct tcp_tuple tup = {
	.client_addr = 0x0a580002,	/* 10.88.0.2 */
	.vip_addr = 0x0a580064,		/* 10.88.0.100 */
	.client_port = 40112,
	.vip_port = 80,
};

Test(connlog, exact_line)
{
	struct connlog_rec r = {
		.listener = "web", .tuple = tup, .backend_addr = 0x7f000001, .backend_port = 8080,
		.bytes_in = 75, .bytes_out = 196, .duration_us = 4999, .reason = CONNLOG_BACKEND_EOF,
	};
	char buf[512];
	const char *want = "connection listener=web client=10.88.0.2:40112 vip=10.88.0.100:80 "
			   "backend=127.0.0.1:8080 bytes_in=75 bytes_out=196 duration_ms=4 "
			   "reason=backend_eof";

	cr_assert_eq(connlog_format(&r, buf, sizeof(buf)), strlen(want));
	cr_assert_str_eq(buf, want);
}

Test(connlog, no_backend_tried)
{
	struct connlog_rec r = { .listener = "a", .tuple = tup, .reason = CONNLOG_CONNECT_FAILED };
	char buf[512];

	connlog_format(&r, buf, sizeof(buf));
	cr_assert(strstr(buf, " backend=- bytes_in=0 bytes_out=0 duration_ms=0 reason=connect_failed"),
		  "%s", buf);
}

Test(connlog, longest_line_fits_the_log_buffer)
{
	char name[CONF_NAME_MAX];
	struct connlog_rec r = {
		.listener = name,
		.tuple = { 0xffffffff, 0xffffffff, 65535, 65535 },
		.backend_addr = 0xffffffff, .backend_port = 65535,
		.bytes_in = UINT64_MAX, .bytes_out = UINT64_MAX, .duration_us = UINT64_MAX,
		.reason = CONNLOG_HALFCLOSED_TIMEOUT,
	};
	char buf[CONNLOG_LINE_MAX];

	memset(name, 'x', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	cr_assert_lt(connlog_format(&r, buf, sizeof(buf)), sizeof(buf));
}

Test(connlog, reasons)
{
	for (unsigned i = 0; i < CONNLOG__COUNT; i++)
		cr_assert(connlog_reason_names[i] && connlog_reason_names[i][0], "reason %u", i);
	cr_assert(connlog_reason_is_normal(CONNLOG_CLIENT_FIN));
	cr_assert(connlog_reason_is_normal(CONNLOG_BACKEND_EOF));
	cr_assert_not(connlog_reason_is_normal(CONNLOG_CLIENT_RST));
	cr_assert_not(connlog_reason_is_normal(CONNLOG_BACKEND_RST));
	cr_assert_not(connlog_reason_is_normal(CONNLOG_IDLE_TIMEOUT));
	cr_assert_not(connlog_reason_is_normal(CONNLOG_DRAIN));
}

Test(connlog, out_of_range_reason_is_unknown)
{
	struct connlog_rec r = { .listener = "a", .tuple = tup, .reason = CONNLOG__COUNT };
	char buf[512];

	connlog_format(&r, buf, sizeof(buf));
	cr_assert(strstr(buf, "reason=unknown"), "%s", buf);
}
