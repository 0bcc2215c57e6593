/* SPDX-License-Identifier: MIT */
/*
 * log.h - tcpgate's logging: one line per event on stderr, with a timestamp
 *
 * log_error()/log_warn()/log_info()/log_debug() for events that happen a
 * bounded number of times (start, stop, configuration). Anything a remote peer
 * can trigger goes through the _rl variants: each call site owns a static
 * budget (LOG_RL_BURST lines per LOG_RL_PERIOD_S seconds) and reports how many
 * lines it suppressed when it speaks again.
 */
#ifndef TCPGATE_LOG_H
#define TCPGATE_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

enum log_level {
	LOG_LVL_ERROR = 0,
	LOG_LVL_WARN,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG,
	LOG_LVL__COUNT
};
extern const char *const log_level_names[LOG_LVL__COUNT];

#define LOG_RL_BURST	5
#define LOG_RL_PERIOD_S	5

/**
 * struct log_rl - per-call-site rate limit state
 * @period_start:	start of the current period, seconds (monotonic)
 * @used:		lines printed in this period
 * @suppressed:		lines dropped since the last printed one
 * @burst:		lines per period, 0 = LOG_RL_BURST
 * @period_s:		period length in seconds, 0 = LOG_RL_PERIOD_S
 */
struct log_rl {
	uint64_t period_start;
	unsigned used;
	unsigned suppressed;
	unsigned burst;
	unsigned period_s;
};

void log_set_level(enum log_level max);
bool log_enabled(enum log_level lvl);
void log_msg(enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void log_msg_rl(struct log_rl *rl, enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_error(...)	log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

/* Rate-limited per call site: the static budget lives in the expansion. */
#define LOG_RL(lvl, ...) do {						\
		static struct log_rl log_rl_site_;			\
		if (log_enabled(lvl))					\
			log_msg_rl(&log_rl_site_, (lvl), __VA_ARGS__);	\
	} while (0)
/* At most one line per @secs seconds at this call site (a condition that
 * persists, such as running out of file descriptors). */
#define LOG_ONCE_PER(secs, lvl, ...) do {				\
		static struct log_rl log_rl_site_ = { .burst = 1,	\
						      .period_s = (secs) };	\
		if (log_enabled(lvl))					\
			log_msg_rl(&log_rl_site_, (lvl), __VA_ARGS__);	\
	} while (0)
#define log_error_rl(...)	LOG_RL(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn_rl(...)	LOG_RL(LOG_LVL_WARN, __VA_ARGS__)
#define log_info_rl(...)	LOG_RL(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug_rl(...)	LOG_RL(LOG_LVL_DEBUG, __VA_ARGS__)

#endif /* TCPGATE_LOG_H */
