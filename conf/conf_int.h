/* SPDX-License-Identifier: MIT */
/*
 * conf_int.h - internals shared by the conf/ files: the problem report,
 * typed key getters and the string parsers. Not for use outside conf/.
 */
#ifndef TCPGATE_CONF_INT_H
#define TCPGATE_CONF_INT_H

#include <libconfig.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"

/* Longest section description ("backend #12 of listener 'name'") */
#define CONF_WHAT_MAX 128

/**
 * struct conf_msg - one collected problem
 * @file:	file it was found in (owned by the config_t, or the load path)
 * @line:	line number, 0 for whole-file problems
 * @seq:	order of discovery, the tie-break when sorting
 * @text:	the message, without "FILE:LINE: " (malloc'd)
 */
struct conf_msg {
	const char *file;
	int line;
	unsigned seq;
	char *text;
};

/**
 * struct conf_report - every problem found while loading one file
 * @path:	the path given to conf_load(), used when a setting has no file
 * @msgs:	collected problems
 * @n:		number of problems
 * @cap:	allocated slots in @msgs
 * @lost:	problems that could not be stored (out of memory)
 */
struct conf_report {
	const char *path;
	struct conf_msg *msgs;
	size_t n, cap;
	size_t lost;
};

/* conf_report.c */
void conf_report_at(struct conf_report *r, const char *file, int line,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void conf_report(struct conf_report *r, const config_setting_t *s,
		 const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void conf_report_write(struct conf_report *r, char *err, size_t errlen);
void conf_report_free(struct conf_report *r);

/* conf_get.c */
const char *conf_type_name(int type);
bool conf_check_keys(struct conf_report *r, const config_setting_t *group,
		     const char *what, const char *const *keys);
int conf_get_uint(struct conf_report *r, const config_setting_t *group,
		  const char *what, const char *key, unsigned min, unsigned max,
		  unsigned *out);
int conf_get_double(struct conf_report *r, const config_setting_t *group,
		    const char *what, const char *key, double min, double max,
		    double *out);
int conf_get_bool(struct conf_report *r, const config_setting_t *group,
		  const char *what, const char *key, bool *out);
int conf_get_string(struct conf_report *r, const config_setting_t *group,
		    const char *what, const char *key, const char **out);
int conf_get_enum(struct conf_report *r, const config_setting_t *group,
		  const char *what, const char *key, const char *const *names,
		  unsigned n, unsigned *out);
int conf_get_group(struct conf_report *r, const config_setting_t *parent,
		   const char *what, const char *key,
		   const config_setting_t **out);
int conf_elem_uint(struct conf_report *r, const config_setting_t *elem,
		   const char *desc, long long min, long long max,
		   unsigned *out);

/* conf_parse.c */
bool conf_parse_ipv4(const char *s, uint32_t *addr);
bool conf_parse_cidr(const char *s, uint32_t *addr, uint8_t *prefix_len);
bool conf_parse_mac(const char *s, uint8_t mac[6]);
bool conf_parse_port(const char *s, uint16_t *port);
bool conf_parse_hostport(const char *s, uint32_t *addr, uint16_t *port);
bool conf_parse_port_range(const char *s, uint16_t *lo, uint16_t *hi);
bool conf_name_ok(const char *s, size_t max_len);
const char *conf_ipv4_str(uint32_t addr, char *buf, size_t len);

/* conf_global.c */
void conf_parse_interface(struct conf_report *r, const config_setting_t *root,
			  struct conf_interface *iface);
void conf_parse_stats(struct conf_report *r, const config_setting_t *root,
		      struct conf *c);
void conf_parse_process(struct conf_report *r, const config_setting_t *root,
			struct conf *c);
void conf_parse_control(struct conf_report *r, const config_setting_t *root,
			struct conf *c);
void conf_parse_defaults(struct conf_report *r, const config_setting_t *root,
			 struct conf_defaults *d);

/* conf_listener.c */
bool conf_parse_listener(struct conf_report *r, const config_setting_t *s,
			 size_t idx, struct conf_listener *l);
void conf_listener_release(struct conf_listener *l);

/* conf_check.c */
void conf_check_listeners(struct conf_report *r, const config_setting_t *list,
			  const struct conf_listener *ls, const bool *ok,
			  size_t n);

#endif /* TCPGATE_CONF_INT_H */
