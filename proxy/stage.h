/* SPDX-License-Identifier: MIT */
/*
 * stage.h - per-session staging of small client deliveries, from a bounded
 * per-worker pool of buffers (see stage.c)
 */
#ifndef TCPGATE_STAGE_H
#define TCPGATE_STAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STAGE_BUF_SIZE		(64U << 10)	/* one staging buffer */
#define STAGE_SMALL		(16U << 10)	/* deliveries below this are staged */
#define STAGE_CHUNK		4		/* buffers allocated at once */

struct stage_pool;

/**
 * struct stage - the bytes a session holds for its backend socket
 * @buf:	buffer from the pool, NULL while nothing is staged
 * @head:	offset of the oldest staged byte in @buf
 * @len:	staged bytes, @buf[@head .. @head + @len)
 */
struct stage {
	uint8_t *buf;
	uint32_t head, len;
};

struct stage_pool *stage_pool_create(size_t max_bufs);
void stage_pool_destroy(struct stage_pool *p);
size_t stage_pool_allocated(const struct stage_pool *p);
size_t stage_pool_in_use(const struct stage_pool *p);
bool stage_append(struct stage_pool *p, struct stage *sg, const uint8_t *data, size_t len);
void stage_consume(struct stage_pool *p, struct stage *sg, size_t n);
void stage_drop(struct stage_pool *p, struct stage *sg);

/**
 * stage_len() - bytes staged
 * @sg:		the stage
 *
 * Return: count
 */
static inline size_t stage_len(const struct stage *sg)
{
	return sg->len;
}

/**
 * stage_data() - the oldest staged byte
 * @sg:		the stage (stage_len() > 0)
 *
 * Return: pointer to stage_len() contiguous bytes
 */
static inline const uint8_t *stage_data(const struct stage *sg)
{
	return sg->buf + sg->head;
}

#endif /* TCPGATE_STAGE_H */
