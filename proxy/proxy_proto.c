// SPDX-License-Identifier: MIT
/*
 * proxy_proto.c - build the PROXY protocol header for one connection
 *
 * Theory of operation: when a listener has proxy_protocol = "v1" or "v2",
 * session.c writes this header on the backend socket right after its connect
 * succeeds, before the client gets its SYN-ACK and so before any client byte
 * (the stack holds client data until then). Source = the client, destination
 * = the address and port the client connected to (the VIP, or the original
 * destination under "*"). Only TCP over IPv4 exists here, so v1 is always
 * "PROXY TCP4 ..." and v2 always PROXY command, family AF_INET, STREAM, with
 * a 12-byte address block and no TLVs.
 */
#include "proxy/proxy_proto.h"

#include <stdio.h>
#include <string.h>

/* v2 signature (spec §2.2) */
static const uint8_t pp2_sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};

/**
 * put_be() - store @n bytes of @v big-endian
 * @p:		destination
 * @v:		value
 * @n:		2 or 4
 */
static void put_be(uint8_t *p, uint32_t v, int n)
{
	for (int i = n - 1; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

/**
 * proxy_proto_v1() - "PROXY TCP4 SRC DST SPORT DPORT\r\n" (spec §2.1)
 * @t:		the connection's tuple
 * @buf:	destination
 * @len:	room in @buf
 *
 * Return: header length, 0 if @buf is too small
 */
static size_t proxy_proto_v1(const struct tcp_tuple *t, uint8_t *buf, size_t len)
{
	uint32_t c = t->client_addr, v = t->vip_addr;
	int n = snprintf((char *)buf, len, "PROXY TCP4 %u.%u.%u.%u %u.%u.%u.%u %u %u\r\n",
			 c >> 24, (c >> 16) & 0xff, (c >> 8) & 0xff, c & 0xff,
			 v >> 24, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff,
			 t->client_port, t->vip_port);

	return n > 0 && (size_t)n < len ? (size_t)n : 0;
}

/**
 * proxy_proto_v2() - binary header: signature, 0x21 (v2, PROXY), 0x11
 *		      (AF_INET, STREAM), length 12, addresses, ports (spec §2.2)
 * @t:		the connection's tuple
 * @buf:	destination
 * @len:	room in @buf
 *
 * Return: 28, or 0 if @buf is too small
 */
static size_t proxy_proto_v2(const struct tcp_tuple *t, uint8_t *buf, size_t len)
{
	if (len < 28)
		return 0;
	memcpy(buf, pp2_sig, sizeof(pp2_sig));
	buf[12] = 0x21;
	buf[13] = 0x11;
	put_be(buf + 14, 12, 2);
	put_be(buf + 16, t->client_addr, 4);
	put_be(buf + 20, t->vip_addr, 4);
	put_be(buf + 24, t->client_port, 2);
	put_be(buf + 26, t->vip_port, 2);
	return 28;
}

/**
 * proxy_proto_header() - the header to send first on the backend socket
 * @v:		CONF_PP_V1 or CONF_PP_V2 (CONF_PP_OFF: nothing)
 * @t:		the connection's tuple (host byte order)
 * @buf:	destination, PROXY_PROTO_MAX bytes suffice
 * @len:	room in @buf
 *
 * Return: header length in bytes, 0 for CONF_PP_OFF or a too small @buf
 */
size_t proxy_proto_header(enum conf_proxy_protocol v, const struct tcp_tuple *t,
			  uint8_t *buf, size_t len)
{
	switch (v) {
	case CONF_PP_V1:
		return proxy_proto_v1(t, buf, len);
	case CONF_PP_V2:
		return proxy_proto_v2(t, buf, len);
	case CONF_PP_OFF:
	case CONF_PP__COUNT:
		break;
	}
	return 0;
}
