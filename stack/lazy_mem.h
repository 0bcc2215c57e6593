/* SPDX-License-Identifier: MIT */
/*
 * lazy_mem.h - zeroed memory whose pages become resident only when touched
 */
#ifndef TCPGATE_LAZY_MEM_H
#define TCPGATE_LAZY_MEM_H

#include <stddef.h>

/* Reserve @size zeroed bytes (anonymous mapping); NULL with errno on failure. */
void *lazy_mem_alloc(size_t size);
/* Release what lazy_mem_alloc(@size) returned; NULL is ignored. */
void lazy_mem_free(void *p, size_t size);

#endif /* TCPGATE_LAZY_MEM_H */
