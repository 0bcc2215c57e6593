// SPDX-License-Identifier: MIT
/*
 * conf_report.c - collecting configuration problems as "FILE:LINE: message"
 *
 * Theory of operation: validation never stops at the first problem. Every
 * check that fails calls conf_report() with the setting it is about; the
 * report stores the setting's file and line with a formatted message. When
 * loading is over, conf_report_write() sorts the problems by (file, line,
 * order found) so the user reads them top to bottom like compiler output,
 * and copies whole lines into the caller's buffer. A buffer too small for
 * every line gets as many whole lines as fit and a final "N more" note.
 *
 * Limits: messages are capped at 512 bytes each; if memory runs out the
 * problem is only counted, and still makes conf_load() fail.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf_int.h"

#define CONF_MSG_MAX 512

/**
 * conf_msg_sanitize() - keep a message on one printable line
 * @buf:	the message, rewritten in place
 *
 * Messages quote what the user wrote; a string value can hold a newline (raw
 * or as an escape) or other control bytes, which would break the "one
 * FILE:LINE: message per line" contract. Each becomes '?'.
 */
static void conf_msg_sanitize(char *buf)
{
	for (; *buf; buf++)
		if ((unsigned char)*buf < 0x20 || *buf == 0x7f)
			*buf = '?';
}

/**
 * conf_report_vat() - store one problem at an explicit file and line
 * @r:		report
 * @file:	file name (NULL: the loaded path)
 * @line:	line number, 0 for whole-file problems
 * @fmt:	printf format of the message
 * @ap:		its arguments
 */
static void __attribute__((format(printf, 4, 0)))
conf_report_vat(struct conf_report *r, const char *file, int line,
		const char *fmt, va_list ap)
{
	char buf[CONF_MSG_MAX];
	struct conf_msg *m;

	vsnprintf(buf, sizeof(buf), fmt, ap);
	conf_msg_sanitize(buf);
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;

		m = realloc(r->msgs, cap * sizeof(*m));
		if (!m) {
			r->lost++;
			return;
		}
		r->msgs = m;
		r->cap = cap;
	}
	m = &r->msgs[r->n];
	m->text = strdup(buf);
	if (!m->text) {
		r->lost++;
		return;
	}
	m->file = file ? file : r->path;
	m->line = line;
	m->seq = (unsigned)r->n;
	r->n++;
}

/**
 * conf_report_at() - store one problem at an explicit file and line
 * @r:		report
 * @file:	file name (NULL: the loaded path)
 * @line:	line number, 0 for whole-file problems
 * @fmt:	printf format of the message, then its arguments
 */
void conf_report_at(struct conf_report *r, const char *file, int line,
		    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conf_report_vat(r, file, line, fmt, ap);
	va_end(ap);
}

/**
 * conf_report() - store one problem about a setting, at its file and line
 * @r:		report
 * @s:		the setting the problem is about (its enclosing group for a
 *		missing key); the root setting maps to line 1
 * @fmt:	printf format of the message, then its arguments
 */
void conf_report(struct conf_report *r, const config_setting_t *s,
		 const char *fmt, ...)
{
	int line = s ? config_setting_source_line(s) : 0;
	va_list ap;

	if (line <= 0)
		line = 1;
	va_start(ap, fmt);
	conf_report_vat(r, s ? config_setting_source_file(s) : NULL, line,
			fmt, ap);
	va_end(ap);
}

/**
 * conf_msg_cmp() - qsort() order of problems: file, then line, then found
 * @a:		first struct conf_msg
 * @b:		second struct conf_msg
 *
 * Return: negative, zero or positive like strcmp()
 */
static int conf_msg_cmp(const void *a, const void *b)
{
	const struct conf_msg *x = a, *y = b;
	int d = strcmp(x->file, y->file);

	if (d)
		return d;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/**
 * conf_msg_format() - format one problem as a line
 * @m:		the problem
 * @buf:	destination
 * @len:	size of @buf
 *
 * Return: snprintf()'s result: the length the whole line needs
 */
static int conf_msg_format(const struct conf_msg *m, char *buf, size_t len)
{
	if (m->line > 0)
		return snprintf(buf, len, "%s:%d: %s\n", m->file, m->line,
				m->text);
	return snprintf(buf, len, "%s: %s\n", m->file, m->text);
}

/**
 * conf_note_len() - length of the "N more problems not shown" line
 * @r:		report
 * @left_out:	number of problems not shown
 *
 * Return: bytes needed without the terminating NUL, 0 when nothing is left out
 */
static size_t conf_note_len(const struct conf_report *r, size_t left_out)
{
	int n;

	if (!left_out)
		return 0;
	n = snprintf(NULL, 0, "%s: %zu more problems not shown\n", r->path,
		     left_out);
	return n > 0 ? (size_t)n : 0;
}

/**
 * conf_report_fit() - how many lines fit in front of the "more" note
 * @r:		report, sorted
 * @errlen:	size of the buffer
 *
 * Return: the largest k such that k lines and a note for the rest fit
 */
static size_t conf_report_fit(const struct conf_report *r, size_t errlen)
{
	size_t used = 0, k, best = 0;

	for (k = 0; k <= r->n; k++) {
		if (used + conf_note_len(r, r->n - k + r->lost) < errlen)
			best = k;
		if (k == r->n)
			break;
		used += (size_t)conf_msg_format(&r->msgs[k], NULL, 0);
		if (used >= errlen)
			break;
	}
	return best;
}

/**
 * conf_report_write() - write every problem into a buffer, sorted
 * @r:		report
 * @err:	destination, may be NULL
 * @errlen:	size of @err; whole lines only, and when some do not fit a
 *		last "FILE: N more problems not shown" line says so
 */
void conf_report_write(struct conf_report *r, char *err, size_t errlen)
{
	size_t used = 0, i, k, left_out;

	if (!err || !errlen)
		return;
	err[0] = '\0';
	if (r->n)
		qsort(r->msgs, r->n, sizeof(*r->msgs), conf_msg_cmp);
	k = conf_report_fit(r, errlen);
	for (i = 0; i < k; i++)
		used += (size_t)conf_msg_format(&r->msgs[i], err + used,
						errlen - used);
	left_out = r->n - k + r->lost;
	/* the note too is written whole or not at all: never a cut-off line */
	if (left_out && conf_note_len(r, left_out) < errlen - used)
		snprintf(err + used, errlen - used,
			 "%s: %zu more problems not shown\n", r->path, left_out);
}

/**
 * conf_report_free() - free the collected problems
 * @r:		report, left empty
 */
void conf_report_free(struct conf_report *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		free(r->msgs[i].text);
	free(r->msgs);
	r->msgs = NULL;
	r->n = r->cap = r->lost = 0;
}
