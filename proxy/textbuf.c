/* SPDX-License-Identifier: MIT */
/*
 * textbuf.c - a growable text buffer
 *
 * Used by the stats thread to build /metrics and the status page. It grows
 * geometrically; an allocation failure is remembered in @failed so the caller
 * checks once at the end instead of after every append.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "proxy/textbuf.h"

/**
 * textbuf_printf() - append formatted text
 * @b:		buffer
 * @fmt:	printf format
 */
void textbuf_printf(struct textbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || b->failed)
		return;
	if (b->len + (size_t)n + 1 > b->cap) {
		size_t cap = (b->len + (size_t)n + 1) * 2 + 4096;
		char *p = realloc(b->p, cap);

		if (!p) {
			b->failed = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/**
 * textbuf_take() - the text built, or NULL if an allocation failed
 * @b:		the buffer (its text belongs to the caller afterwards)
 *
 * Return: the text (free() it), or NULL
 */
char *textbuf_take(struct textbuf *b)
{
	if (b->failed) {
		free(b->p);
		return NULL;
	}
	return b->p;
}
