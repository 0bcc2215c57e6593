// SPDX-License-Identifier: MIT
/*
 * stage.c - staging buffers for small client deliveries
 *
 * Theory of operation
 *
 * Without segmentation offloads the stack hands the session one MSS-sized
 * segment per ops.deliver() call; a send() per segment into the backend
 * socket costs more than the rest of the segment's processing. A session
 * instead copies small deliveries into a struct stage and session.c sends
 * everything staged with one send() at the end of the wake-up (or earlier,
 * when ordering requires it).
 *
 * A stage holds at most one buffer of STAGE_BUF_SIZE bytes, taken from the
 * worker's pool when the first byte is staged and given back as soon as the
 * last staged byte has been consumed (sent), so only sessions that moved
 * data in the current wake-up, or whose backend would not take it all, hold
 * a buffer. Bytes are consumed from @head; an append that does not fit
 * behind the tail moves the staged bytes to the front first (only after a
 * short send).
 *
 * Memory: the pool grows lazily, STAGE_CHUNK buffers per allocation, up to
 * the bound given at creation; nothing is allocated per packet, and nothing
 * is freed before stage_pool_destroy(). When the pool is exhausted,
 * stage_append() fails and the caller sends directly, as without staging.
 *
 * Not thread-safe: one pool per worker.
 */
#include "proxy/stage.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/**
 * struct stage_pool - a worker's staging buffers
 * @max:	buffers at most
 * @allocated:	buffers allocated so far
 * @n_free:	entries in @free
 * @free:	stack of free buffers (room for @max)
 * @chunks:	allocations, to free at destroy (@n_chunks entries)
 */
struct stage_pool {
	size_t max, allocated, n_free;
	uint8_t **free;
	uint8_t **chunks;
	size_t n_chunks;
};

/**
 * stage_pool_create() - an empty pool
 * @max_bufs:	most buffers it will ever allocate (>= 1)
 *
 * Return: the pool, or NULL out of memory
 */
struct stage_pool *stage_pool_create(size_t max_bufs)
{
	struct stage_pool *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->max = max_bufs ? max_bufs : 1;
	p->free = calloc(p->max, sizeof(*p->free));
	p->chunks = calloc(p->max / STAGE_CHUNK + 1, sizeof(*p->chunks));
	if (!p->free || !p->chunks) {
		stage_pool_destroy(p);
		return NULL;
	}
	return p;
}

/**
 * stage_pool_destroy() - free the pool and every buffer it allocated
 * @p:		the pool (NULL is fine); stages still holding buffers must not
 *		be used afterwards
 */
void stage_pool_destroy(struct stage_pool *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_chunks; i++)
		free(p->chunks[i]);
	free(p->chunks);
	free(p->free);
	free(p);
}

/**
 * stage_pool_allocated() - buffers allocated so far
 * @p:		the pool
 *
 * Return: count
 */
size_t stage_pool_allocated(const struct stage_pool *p)
{
	return p->allocated;
}

/**
 * stage_pool_in_use() - buffers held by stages now
 * @p:		the pool
 *
 * Return: count
 */
size_t stage_pool_in_use(const struct stage_pool *p)
{
	return p->allocated - p->n_free;
}

/**
 * stage_pool_grow() - allocate the next chunk of buffers, within the bound
 * @p:		the pool
 *
 * Return: true if buffers were added to the free stack
 */
static bool stage_pool_grow(struct stage_pool *p)
{
	size_t n = p->max - p->allocated;
	uint8_t *c;

	if (n > STAGE_CHUNK)
		n = STAGE_CHUNK;
	if (!n)
		return false;
	c = malloc(n * STAGE_BUF_SIZE);
	if (!c)
		return false;
	p->chunks[p->n_chunks++] = c;
	for (size_t i = 0; i < n; i++)
		p->free[p->n_free++] = c + i * STAGE_BUF_SIZE;
	p->allocated += n;
	return true;
}

/**
 * stage_pool_get() - take a free buffer
 * @p:		the pool
 *
 * Return: a buffer of STAGE_BUF_SIZE bytes, or NULL when the pool is empty
 *	   and at its bound (or out of memory)
 */
static uint8_t *stage_pool_get(struct stage_pool *p)
{
	if (!p->n_free && !stage_pool_grow(p))
		return NULL;
	return p->free[--p->n_free];
}

/**
 * stage_pool_put() - give a buffer back
 * @p:		the pool
 * @buf:	a buffer stage_pool_get() returned
 */
static void stage_pool_put(struct stage_pool *p, uint8_t *buf)
{
	assert(p->n_free < p->allocated);
	p->free[p->n_free++] = buf;
}

/**
 * stage_append() - copy bytes behind those already staged
 * @p:		the worker's pool
 * @sg:		the stage
 * @data:	bytes
 * @len:	how many
 *
 * Return: true if all @len bytes were staged; false (nothing staged) when
 *	   they do not fit in one buffer or no buffer is free
 */
bool stage_append(struct stage_pool *p, struct stage *sg, const uint8_t *data, size_t len)
{
	if (!len)
		return true;
	if ((size_t)sg->len + len > STAGE_BUF_SIZE)
		return false;
	if (!sg->buf) {
		sg->buf = stage_pool_get(p);
		if (!sg->buf)
			return false;
		sg->head = sg->len = 0;
	}
	if ((size_t)sg->head + sg->len + len > STAGE_BUF_SIZE) {
		memmove(sg->buf, sg->buf + sg->head, sg->len);
		sg->head = 0;
	}
	memcpy(sg->buf + sg->head + sg->len, data, len);
	sg->len += (uint32_t)len;
	return true;
}

/**
 * stage_consume() - the oldest @n staged bytes were sent: forget them
 * @p:		the worker's pool
 * @sg:		the stage
 * @n:		bytes (<= stage_len()); the buffer goes back to the pool when
 *		nothing is left
 */
void stage_consume(struct stage_pool *p, struct stage *sg, size_t n)
{
	assert(n <= sg->len);
	sg->head += (uint32_t)n;
	sg->len -= (uint32_t)n;
	if (!sg->len && sg->buf) {
		stage_pool_put(p, sg->buf);
		sg->buf = NULL;
		sg->head = 0;
	}
}

/**
 * stage_drop() - discard whatever is staged (the session is reset)
 * @p:		the worker's pool
 * @sg:		the stage
 */
void stage_drop(struct stage_pool *p, struct stage *sg)
{
	if (sg->buf)
		stage_pool_put(p, sg->buf);
	sg->buf = NULL;
	sg->head = sg->len = 0;
}
