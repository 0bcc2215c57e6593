/* SPDX-License-Identifier: MIT */
/*
 * balance.h - backend choice for a listener: roundrobin, leastconn, source
 * (Maglev), random (power of two choices)
 */
#ifndef TCPGATE_BALANCE_H
#define TCPGATE_BALANCE_H

#include <stdbool.h>
#include <stdint.h>

#include "proxy/listener.h"

#define BALANCE_MAGLEV_M	65537u	/* Maglev table size (prime) */

int balance_init(struct listener *l);
void balance_free(struct listener *l);
struct backend *balance_pick_reserve(struct listener *l, uint32_t client_addr,
				     uint64_t tried);
void balance_changed(struct listener *l);
bool balance_usable(const struct backend *b);
struct backend *balance_pick(struct listener *l, uint32_t client_addr, uint64_t tried);
uint64_t balance_bit(const struct listener *l, const struct backend *b);

#endif /* TCPGATE_BALANCE_H */
