/* SPDX-License-Identifier: MIT */
/*
 * checksum.h - the Internet checksum (RFC 1071) and the IPv4 pseudo-header
 */
#ifndef TCPGATE_CHECKSUM_H
#define TCPGATE_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

/* Accumulate @len bytes of @buf (any length, any alignment) into @sum, 32-bit wide. */
uint32_t csum_partial(const void *buf, size_t len, uint32_t sum);
/* Fold a 32-bit accumulator to 16 bits and complement it: the value to put on the wire. */
uint16_t csum_fold(uint32_t sum);
/* Start a TCP/UDP checksum with the IPv4 pseudo-header; addresses in host order. */
uint32_t csum_pseudo_ip4(uint32_t src, uint32_t dst, uint8_t proto, uint16_t l4_len);
/* Checksum of a whole buffer, ready for the wire (network byte order in memory). */
uint16_t csum_buf(const void *buf, size_t len);
/* Finish a partial checksum (pseudo-header sum in the field at @start +
 * @offset) over [@start, @len) of @frame, as an offloading link would. */
void csum_finish_partial(uint8_t *frame, size_t len, size_t start, size_t offset);

#endif /* TCPGATE_CHECKSUM_H */
