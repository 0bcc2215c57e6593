// SPDX-License-Identifier: MIT
/*
 * test_proxy_proto.c - the exact bytes of PROXY protocol v1 and v2 headers
 */
#include <criterion/criterion.h>
#include <string.h>

#include "proxy/proxy_proto.h"

static const struct tcp_tuple tup = {
	.client_addr = 0x0a580002,	/* 10.88.0.2 */
	.vip_addr = 0x0a580064,		/* 10.88.0.100 */
	.client_port = 40000,
	.vip_port = 80,
};

Test(proxy_proto, v1_exact)
{
	uint8_t buf[PROXY_PROTO_MAX];
	const char *want = "PROXY TCP4 10.88.0.2 10.88.0.100 40000 80\r\n";
	size_t n = proxy_proto_header(CONF_PP_V1, &tup, buf, sizeof(buf));

	cr_assert_eq(n, strlen(want));
	cr_assert_arr_eq(buf, want, n);
}

Test(proxy_proto, v1_longest_fits)
{
	struct tcp_tuple t = { 0xffffffff, 0xffffffff, 65535, 65535 };
	uint8_t buf[PROXY_PROTO_MAX];
	const char *want = "PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n";
	size_t n = proxy_proto_header(CONF_PP_V1, &t, buf, sizeof(buf));

	cr_assert_eq(n, strlen(want));
	cr_assert_arr_eq(buf, want, n);
	cr_assert_eq(proxy_proto_header(CONF_PP_V1, &t, buf, 20), 0);
}

Test(proxy_proto, v2_exact)
{
	static const uint8_t want[28] = {
		0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
		0x21, 0x11, 0x00, 0x0c,
		10, 88, 0, 2, 10, 88, 0, 100,
		0x9c, 0x40, 0x00, 0x50,
	};
	uint8_t buf[PROXY_PROTO_MAX];

	cr_assert_eq(proxy_proto_header(CONF_PP_V2, &tup, buf, sizeof(buf)), 28);
	cr_assert_arr_eq(buf, want, 28);
	cr_assert_eq(proxy_proto_header(CONF_PP_V2, &tup, buf, 27), 0);
}

Test(proxy_proto, off_is_empty)
{
	uint8_t buf[PROXY_PROTO_MAX];

	cr_assert_eq(proxy_proto_header(CONF_PP_OFF, &tup, buf, sizeof(buf)), 0);
}
