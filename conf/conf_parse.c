// SPDX-License-Identifier: MIT
/*
 * conf_parse.c - strict parsers for the strings a config file holds
 *
 * Theory of operation: pure functions, no reporting. Each one accepts
 * exactly the documented form and nothing looser (no spaces, no signs, no
 * hex ports, no shortened IPv4 like "10.1"), so a typo is an error rather
 * than a surprise. Results are in host byte order. The callers turn a false
 * return into a message naming the key and the expected form.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "conf/conf_int.h"

/**
 * conf_parse_uint() - a decimal number of at most @max_digits digits
 * @s:		start of the digits
 * @len:	number of characters to consume exactly
 * @max_digits:	refuse longer numbers (keeps the result far from overflow)
 * @out:	the value
 *
 * Return: true if @s[0..@len) is all digits and not empty
 */
static bool conf_parse_uint(const char *s, size_t len, size_t max_digits,
			    unsigned long *out)
{
	unsigned long v = 0;
	size_t i;

	if (!len || len > max_digits)
		return false;
	for (i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	*out = v;
	return true;
}

/**
 * conf_parse_ipv4() - a dotted-quad IPv4 address
 * @s:		"A.B.C.D"
 * @addr:	the address, host byte order
 *
 * Return: true on success
 */
bool conf_parse_ipv4(const char *s, uint32_t *addr)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return false;
	*addr = ntohl(a.s_addr);
	return true;
}

/**
 * conf_parse_cidr() - an IPv4 address with a prefix length
 * @s:		"A.B.C.D/LEN" with LEN in 1..32
 * @addr:	the address, host byte order
 * @prefix_len:	LEN
 *
 * Return: true on success
 */
bool conf_parse_cidr(const char *s, uint32_t *addr, uint8_t *prefix_len)
{
	const char *slash = strchr(s, '/');
	char host[INET_ADDRSTRLEN];
	unsigned long len;

	if (!slash || (size_t)(slash - s) >= sizeof(host))
		return false;
	memcpy(host, s, (size_t)(slash - s));
	host[slash - s] = '\0';
	if (!conf_parse_ipv4(host, addr))
		return false;
	if (!conf_parse_uint(slash + 1, strlen(slash + 1), 2, &len) ||
	    len < 1 || len > 32)
		return false;
	*prefix_len = (uint8_t)len;
	return true;
}

/**
 * conf_hex() - value of one hex digit
 * @c:		character
 *
 * Return: 0..15, or -1 if @c is not a hex digit
 */
static int conf_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/**
 * conf_parse_mac() - an Ethernet address
 * @s:		"xx:xx:xx:xx:xx:xx", two hex digits per byte
 * @mac:	the six bytes
 *
 * Return: true on success (the multicast bit is the caller's concern)
 */
bool conf_parse_mac(const char *s, uint8_t mac[6])
{
	int i;

	if (strlen(s) != 17)
		return false;
	for (i = 0; i < 6; i++) {
		int hi = conf_hex(s[3 * i]), lo = conf_hex(s[3 * i + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != ':'))
			return false;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

/**
 * conf_parse_port() - a TCP port number
 * @s:		decimal 1..65535
 * @port:	the port
 *
 * Return: true on success
 */
bool conf_parse_port(const char *s, uint16_t *port)
{
	unsigned long v;

	if (!conf_parse_uint(s, strlen(s), 5, &v) || v < 1 || v > 65535)
		return false;
	*port = (uint16_t)v;
	return true;
}

/**
 * conf_parse_hostport() - an IPv4 address and a port
 * @s:		"A.B.C.D:PORT"
 * @addr:	the address, host byte order
 * @port:	the port, 1..65535
 *
 * Return: true on success
 */
bool conf_parse_hostport(const char *s, uint32_t *addr, uint16_t *port)
{
	const char *colon = strrchr(s, ':');
	char host[INET_ADDRSTRLEN];

	if (!colon || (size_t)(colon - s) >= sizeof(host))
		return false;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	return conf_parse_ipv4(host, addr) && conf_parse_port(colon + 1, port);
}

/**
 * conf_parse_port_range() - a port range string
 * @s:		"A-B", both decimal ports 1..65535 (A > B is the caller's check)
 * @lo:		A
 * @hi:		B
 *
 * Return: true on success
 */
bool conf_parse_port_range(const char *s, uint16_t *lo, uint16_t *hi)
{
	const char *dash = strchr(s, '-');
	char first[8];

	if (!dash || (size_t)(dash - s) >= sizeof(first))
		return false;
	memcpy(first, s, (size_t)(dash - s));
	first[dash - s] = '\0';
	return conf_parse_port(first, lo) && conf_parse_port(dash + 1, hi);
}

/**
 * conf_name_ok() - whether a name is 1..@max_len of [A-Za-z0-9_.-]
 * @s:		the name
 * @max_len:	longest allowed
 *
 * Return: true if @s is a valid name
 */
bool conf_name_ok(const char *s, size_t max_len)
{
	size_t n = strlen(s);

	if (!n || n > max_len)
		return false;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			 "0123456789_.-") == n;
}

/**
 * conf_ipv4_str() - format a host-order address for a message
 * @addr:	the address
 * @buf:	destination
 * @len:	size of @buf, at least INET_ADDRSTRLEN
 *
 * Return: @buf
 */
const char *conf_ipv4_str(uint32_t addr, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u.%u.%u", addr >> 24, (addr >> 16) & 0xff,
		 (addr >> 8) & 0xff, addr & 0xff);
	return buf;
}
