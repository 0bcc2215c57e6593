/* SPDX-License-Identifier: MIT */
/*
 * seq.h - wrap-safe TCP sequence number arithmetic (RFC 9293 §3.4)
 *
 * Sequence numbers live in a 32-bit space that wraps; two numbers are compared
 * by the sign of their 32-bit difference, which is correct as long as they are
 * less than 2^31 apart. Never compare sequence numbers with raw < or >.
 */
#ifndef TCPGATE_SEQ_H
#define TCPGATE_SEQ_H

#include <stdbool.h>
#include <stdint.h>

/** seq_lt() - Return: true if @a comes before @b in sequence space */
static inline bool seq_lt(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }
/** seq_leq() - Return: true if @a comes before or equals @b */
static inline bool seq_leq(uint32_t a, uint32_t b) { return (int32_t)(a - b) <= 0; }
/** seq_gt() - Return: true if @a comes after @b */
static inline bool seq_gt(uint32_t a, uint32_t b) { return (int32_t)(a - b) > 0; }
/** seq_geq() - Return: true if @a comes after or equals @b */
static inline bool seq_geq(uint32_t a, uint32_t b) { return (int32_t)(a - b) >= 0; }

/**
 * seq_between() - Is @x within the half-open range [@lo, @hi)?
 * Return: true if lo <= x < hi in sequence space; false for an empty range
 */
static inline bool seq_between(uint32_t x, uint32_t lo, uint32_t hi)
{
	return (uint32_t)(x - lo) < (uint32_t)(hi - lo);
}

/** seq_max() - Return: the later of @a and @b in sequence space */
static inline uint32_t seq_max(uint32_t a, uint32_t b) { return seq_gt(a, b) ? a : b; }
/** seq_min() - Return: the earlier of @a and @b in sequence space */
static inline uint32_t seq_min(uint32_t a, uint32_t b) { return seq_lt(a, b) ? a : b; }

#endif /* TCPGATE_SEQ_H */
