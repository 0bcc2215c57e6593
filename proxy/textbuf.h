/* SPDX-License-Identifier: MIT */
/*
 * textbuf.h - a growable text buffer for building HTTP responses
 * (/metrics, the status page) off the data path
 */
#ifndef TCPGATE_TEXTBUF_H
#define TCPGATE_TEXTBUF_H

#include <stdbool.h>
#include <stddef.h>

/**
 * struct textbuf - output buffer; zero-initialise it, free(p) when done
 * @p:		text (NUL-terminated once anything was written)
 * @len, @cap:	used and allocated
 * @failed:	an allocation failed; later appends do nothing
 */
struct textbuf {
	char *p;
	size_t len, cap;
	bool failed;
};

void textbuf_printf(struct textbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
char *textbuf_take(struct textbuf *b);

#endif /* TCPGATE_TEXTBUF_H */
