/* SPDX-License-Identifier: MIT */
/*
 * lazy_mem.c - pool memory that costs RSS only where it is used
 *
 * Theory of operation
 * -------------------
 * The stack's pools (connection entries, out-of-order chunks) are sized for
 * the configured limits at start, so nothing is allocated per packet. Their
 * memory comes from a private anonymous mapping: the kernel backs a page
 * only when it is first written, so an idle stack sized for 100 000
 * connections costs address space, not resident memory. That only holds if
 * nobody walks the pool at start: the pools hand out never-used entries with
 * a bump index and keep a free list only of entries that were used once
 * (tcp_conn.c, tcp_reasm.c).
 *
 * malloc()/calloc() would usually give the same for large sizes, but not
 * always (glibc serves sizes under its adaptive mmap threshold from the heap
 * and clears them), so the pools ask the kernel directly. MAP_NORESERVE:
 * the reservation is not counted against overcommit for pages never used.
 *
 * Under AddressSanitizer the pools come from calloc() instead, so an index
 * past a pool's end still hits a redzone (fuzzing, test-sanitize); ASan
 * maps large blocks fresh and does not clear them, so they stay lazy too.
 */
#include "stack/lazy_mem.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>

#if defined(__SANITIZE_ADDRESS__)
#define LAZY_MEM_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LAZY_MEM_ASAN 1
#endif
#endif
#ifndef LAZY_MEM_ASAN
#define LAZY_MEM_ASAN 0
#endif

/**
 * lazy_mem_alloc() - reserve zeroed memory that is resident only once written
 * @size:	bytes (rounded up to pages by the kernel); 0 is an error
 *
 * Return: the memory, or NULL (errno set by mmap)
 */
void *lazy_mem_alloc(size_t size)
{
	void *p;

	if (!size) {
		errno = EINVAL;
		return NULL;
	}
	if (LAZY_MEM_ASAN)
		return calloc(1, size);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

/**
 * lazy_mem_free() - release memory from lazy_mem_alloc()
 * @p:		the memory, or NULL
 * @size:	the size it was reserved with
 */
void lazy_mem_free(void *p, size_t size)
{
	if (LAZY_MEM_ASAN)
		free(p);
	else if (p)
		munmap(p, size);
}
