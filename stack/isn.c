/* SPDX-License-Identifier: MIT */
/*
 * isn.c - initial sequence numbers (RFC 6528)
 *
 * Theory of operation
 * -------------------
 * RFC 6528 §3: ISN = M + F(localip, localport, remoteip, remoteport, secretkey)
 * where M is a clock ticking every 4 microseconds and F a keyed pseudo-random
 * function. F here is SipHash-2-4 (Aumasson & Bernstein) over the 12 bytes of
 * the 4-tuple, keyed with cfg.isn_key (drawn from getrandom() at stack
 * creation when the configured key is all zero, see tcp_table_create()). M is
 * derived from the @now of the entry point, so the virtual clock of the tests
 * drives it too. cfg.isn_fixed overrides everything (tests only; tcp_conn.c).
 * isn_siphash() is also the MAC of the SYN cookies (syncookie.c).
 *
 * No state, no limits.
 */
#include <string.h>

#include "stack/tcp_internal.h"

#define ROTL64(x, b) (((x) << (b)) | ((x) >> (64 - (b))))

/**
 * siphash_round() - one SipRound over the four state words
 * @v:	state, updated
 */
static void siphash_round(uint64_t v[4])
{
	v[0] += v[1]; v[1] = ROTL64(v[1], 13); v[1] ^= v[0]; v[0] = ROTL64(v[0], 32);
	v[2] += v[3]; v[3] = ROTL64(v[3], 16); v[3] ^= v[2];
	v[0] += v[3]; v[3] = ROTL64(v[3], 21); v[3] ^= v[0];
	v[2] += v[1]; v[1] = ROTL64(v[1], 17); v[1] ^= v[2]; v[2] = ROTL64(v[2], 32);
}

/**
 * load_le64() - read a little-endian 64-bit word
 * @p:	8 bytes
 *
 * Return: the value
 */
static uint64_t load_le64(const uint8_t *p)
{
	uint64_t r = 0;

	for (int i = 7; i >= 0; i--)
		r = r << 8 | p[i];
	return r;
}

/**
 * isn_siphash() - SipHash-2-4 of a short message
 * @key:	16-byte key
 * @m:		message
 * @len:	its length (< 256)
 *
 * Return: the 64-bit hash
 */
uint64_t isn_siphash(const uint8_t key[16], const uint8_t *m, size_t len)
{
	uint64_t k0 = load_le64(key), k1 = load_le64(key + 8);
	uint64_t v[4] = { k0 ^ 0x736f6d6570736575ull, k1 ^ 0x646f72616e646f6dull,
			  k0 ^ 0x6c7967656e657261ull, k1 ^ 0x7465646279746573ull };
	uint64_t b = (uint64_t)len << 56, w;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		w = load_le64(m + i);
		v[3] ^= w;
		siphash_round(v);
		siphash_round(v);
		v[0] ^= w;
	}
	for (size_t j = 0; i + j < len; j++)
		b |= (uint64_t)m[i + j] << (8 * j);
	v[3] ^= b;
	siphash_round(v);
	siphash_round(v);
	v[0] ^= b;
	v[2] ^= 0xff;
	for (int r = 0; r < 4; r++)
		siphash_round(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

/**
 * isn_generate() - RFC 6528 initial sequence number for a connection
 * @key:	secret key
 * @t:		the connection's 4-tuple
 * @now:	current time, microseconds
 *
 * Return: the ISN
 */
uint32_t isn_generate(const uint8_t key[16], const struct tcp_tuple *t,
		      stack_time_us now)
{
	uint8_t m[12];

	memcpy(m, &t->client_addr, 4);
	memcpy(m + 4, &t->vip_addr, 4);
	memcpy(m + 8, &t->client_port, 2);
	memcpy(m + 10, &t->vip_port, 2);
	/* RFC 6528 §3: M is a timer that ticks every 4 microseconds */
	return (uint32_t)(now / 4) + (uint32_t)isn_siphash(key, m, sizeof(m));
}
