/* SPDX-License-Identifier: MIT */
/*
 * checksum.c - the Internet checksum (RFC 1071)
 *
 * Theory of operation
 * -------------------
 * The one's complement sum is independent of byte order (RFC 1071 §2(B)), so
 * the data is summed with plain native-endian loads and the folded result is
 * stored back into the header with a plain native store: every value here is
 * "network order in memory". Callers therefore write
 *
 *	hdr->check = 0;
 *	hdr->check = csum_fold(csum_partial(hdr, len, csum_pseudo_ip4(...)));
 *
 * without htons(), and verify a received header with
 * csum_fold(csum_partial(hdr, len, ...)) == 0.
 *
 * csum_partial() adds 64-bit words into a 64-bit accumulator with end-around
 * carry (RFC 1071 §2(C), "deferred carries" widened to 64 bits), four words
 * per iteration, then the 4-, 2- and 1-byte tail. Loads go through memcpy() so
 * any alignment is defined behaviour; compilers turn them into single loads.
 * A trailing odd byte is the high-order byte of a 16-bit word whose low byte is
 * zero (RFC 1071 §4.1), i.e. the first byte in memory of a zero-padded word.
 * Chaining csum_partial() calls is only exact when every chunk but the last has
 * an even length.
 */
#include <arpa/inet.h>
#include <string.h>

#include "stack/checksum.h"

/**
 * add64() - one's complement addition of two 64-bit values
 * @acc:	accumulator
 * @w:		word to add
 *
 * Return: @acc + @w with the carry out of bit 63 wrapped around
 */
static inline uint64_t add64(uint64_t acc, uint64_t w)
{
	acc += w;
	return acc + (acc < w);
}

/**
 * fold64() - fold a 64-bit one's complement sum to 32 bits
 * @acc:	accumulator
 *
 * Return: a 32-bit value congruent to @acc in one's complement arithmetic
 */
static inline uint32_t fold64(uint64_t acc)
{
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffffffffu) + (acc >> 32);
	return (uint32_t)acc;
}

/**
 * csum_partial() - accumulate bytes into a checksum
 * @buf:	data, any alignment
 * @len:	bytes, any length (odd only for the last chunk of a chain)
 * @sum:	running 32-bit sum from an earlier call, or 0
 *
 * Return: the new running sum (not folded, not complemented)
 */
uint32_t csum_partial(const void *buf, size_t len, uint32_t sum)
{
	const uint8_t *p = buf;
	uint64_t acc = sum, w0, w1, w2, w3;
	uint32_t w32;
	uint16_t w16;

	while (len >= 32) {
		memcpy(&w0, p, 8);
		memcpy(&w1, p + 8, 8);
		memcpy(&w2, p + 16, 8);
		memcpy(&w3, p + 24, 8);
		acc = add64(add64(add64(add64(acc, w0), w1), w2), w3);
		p += 32;
		len -= 32;
	}
	while (len >= 8) {
		memcpy(&w0, p, 8);
		acc = add64(acc, w0);
		p += 8;
		len -= 8;
	}
	if (len >= 4) {
		memcpy(&w32, p, 4);
		acc = add64(acc, w32);
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		memcpy(&w16, p, 2);
		acc = add64(acc, w16);
		p += 2;
		len -= 2;
	}
	if (len) {
		/* RFC 1071 §4.1: pad the odd byte with a zero byte after it */
		w16 = 0;
		memcpy(&w16, p, 1);
		acc = add64(acc, w16);
	}
	return fold64(acc);
}

/**
 * csum_fold() - finish a checksum
 * @sum:	running sum from csum_partial()
 *
 * Return: the complemented 16-bit sum, to store as is (network order in memory)
 */
uint16_t csum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/**
 * csum_pseudo_ip4() - sum of the IPv4 pseudo-header (RFC 9293 §3.1)
 * @src:	source address, host order
 * @dst:	destination address, host order
 * @proto:	IP protocol number
 * @l4_len:	length of the L4 header plus payload
 *
 * Return: a running sum to pass to csum_partial() over the L4 segment
 */
uint32_t csum_pseudo_ip4(uint32_t src, uint32_t dst, uint8_t proto, uint16_t l4_len)
{
	uint64_t acc = 0;

	acc += htonl(src);
	acc += htonl(dst);
	acc += htons(proto);	/* the word is (zero, protocol) */
	acc += htons(l4_len);
	return fold64(acc);
}

/**
 * csum_buf() - checksum of one whole buffer
 * @buf:	data, any alignment
 * @len:	bytes
 *
 * Return: the checksum to store as is; 0 when @buf holds a valid checksum field
 */
uint16_t csum_buf(const void *buf, size_t len)
{
	return csum_fold(csum_partial(buf, len, 0));
}

/**
 * csum_finish_partial() - do what a checksum-offloading link does
 * @frame:	the frame
 * @len:	its length
 * @start:	offset of the L4 header (virtio csum_start)
 * @offset:	offset of the checksum field from @start (virtio csum_offset)
 *
 * The field holds the folded pseudo-header sum (stack.h, STACK_CSUM_PARTIAL):
 * summing [@start, @len) with it in place and complementing gives the
 * checksum over pseudo-header, header and payload, which replaces it.
 */
void csum_finish_partial(uint8_t *frame, size_t len, size_t start, size_t offset)
{
	uint16_t ck;

	if (start + offset + 2 > len)
		return;
	ck = csum_fold(csum_partial(frame + start, len - start, 0));
	memcpy(frame + start + offset, &ck, 2);
}
