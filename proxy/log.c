// SPDX-License-Identifier: MIT
/*
 * log.c - line-oriented logging to stderr
 *
 * Theory of operation: every message becomes exactly one line,
 * "YYYY-mm-ddTHH:MM:SS.mmm LEVEL message\n", formatted into a stack buffer
 * and written with a single write(2) so lines from the worker and the stats
 * thread never interleave. Lines longer than the buffer are truncated.
 *
 * Rate limiting: a call site reachable from the network owns a struct log_rl
 * (see LOG_RL() in log.h). Time is cut into periods of LOG_RL_PERIOD_S
 * seconds; a site prints at most LOG_RL_BURST lines per period and counts the
 * rest (a site may set its own burst and period: LOG_ONCE_PER()), and the
 * next line it prints says how many were suppressed. The state is updated
 * without locks: the worker owns every network-reachable site, and a lost
 * update from another thread costs at most one line too many.
 */
#include "proxy/log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const char *const log_level_names[LOG_LVL__COUNT] = {
	[LOG_LVL_ERROR] = "error",
	[LOG_LVL_WARN] = "warn",
	[LOG_LVL_INFO] = "info",
	[LOG_LVL_DEBUG] = "debug",
};
_Static_assert(sizeof(log_level_names) / sizeof(log_level_names[0]) == LOG_LVL__COUNT,
	       "log_level_names must name every level");

#define LOG_LINE_MAX 1024

static enum log_level log_max = LOG_LVL_INFO;

/**
 * log_set_level() - set the most verbose level that is printed
 * @max:	LOG_LVL_ERROR .. LOG_LVL_DEBUG
 */
void log_set_level(enum log_level max)
{
	log_max = max;
}

/**
 * log_enabled() - whether a message of this level would be printed
 * @lvl:	the level
 *
 * Return: true when @lvl is at or below the configured level
 */
bool log_enabled(enum log_level lvl)
{
	return lvl <= log_max;
}

/**
 * log_prefix() - write the timestamp and level at the start of a line
 * @buf:	line buffer
 * @len:	its size
 * @lvl:	the level
 *
 * Return: characters written
 */
static size_t log_prefix(char *buf, size_t len, enum log_level lvl)
{
	struct timespec ts;
	struct tm tm;
	size_t n;
	int r;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	r = snprintf(buf + n, len - n, ".%03ldZ %-5s ", ts.tv_nsec / 1000000L,
		     log_level_names[lvl]);
	return r > 0 ? n + (size_t)r : n;
}

/**
 * log_vline() - format and write one line
 * @lvl:	level
 * @suppressed:	lines suppressed before this one (0: say nothing)
 * @fmt:	printf format
 * @ap:		arguments
 */
__attribute__((format(printf, 3, 0)))
static void log_vline(enum log_level lvl, unsigned suppressed, const char *fmt,
		      va_list ap)
{
	char buf[LOG_LINE_MAX];
	size_t n = log_prefix(buf, sizeof(buf) - 1, lvl);
	int r;

	r = vsnprintf(buf + n, sizeof(buf) - 1 - n, fmt, ap);
	if (r > 0)
		n += (size_t)r < sizeof(buf) - 1 - n ? (size_t)r : sizeof(buf) - 2 - n;
	if (suppressed) {
		r = snprintf(buf + n, sizeof(buf) - 1 - n, " (%u similar suppressed)",
			     suppressed);
		if (r > 0)
			n += (size_t)r < sizeof(buf) - 1 - n ? (size_t)r : sizeof(buf) - 2 - n;
	}
	buf[n++] = '\n';
	while (write(STDERR_FILENO, buf, n) < 0 && errno == EINTR)
		;
}

/**
 * log_msg() - log one line
 * @lvl:	level
 * @fmt:	printf format
 */
void log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	if (!log_enabled(lvl))
		return;
	va_start(ap, fmt);
	log_vline(lvl, 0, fmt, ap);
	va_end(ap);
}

/**
 * log_rl_now_s() - coarse monotonic time in seconds, for rate limiting
 *
 * Return: seconds since an arbitrary epoch
 */
static uint64_t log_rl_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec;
}

/**
 * log_msg_rl() - log one line within the call site's budget
 * @rl:		the call site's rate-limit state
 * @lvl:	level
 * @fmt:	printf format
 */
void log_msg_rl(struct log_rl *rl, enum log_level lvl, const char *fmt, ...)
{
	uint64_t now = log_rl_now_s();
	unsigned suppressed, burst = rl->burst ? rl->burst : LOG_RL_BURST;
	unsigned period = rl->period_s ? rl->period_s : LOG_RL_PERIOD_S;
	va_list ap;

	if (!log_enabled(lvl))
		return;
	if (!rl->period_start || now >= rl->period_start + period) {
		rl->period_start = now;
		rl->used = 0;
	}
	if (rl->used >= burst) {
		rl->suppressed++;
		return;
	}
	rl->used++;
	suppressed = rl->suppressed;
	rl->suppressed = 0;
	va_start(ap, fmt);
	log_vline(lvl, suppressed, fmt, ap);
	va_end(ap);
}
