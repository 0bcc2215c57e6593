/* SPDX-License-Identifier: MIT */
/*
 * conf.h - tcpgate's configuration: the parsed, validated form of the
 * libconfig file described in DESIGN.md §5 (README "Configuration").
 *
 * conf_load() either returns a complete, valid struct conf or NULL with every
 * problem found written to the error buffer, one "FILE:LINE: message" per line.
 * Addresses and ports are stored in host byte order.
 */
#ifndef TCPGATE_CONF_H
#define TCPGATE_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONF_NAME_MAX 64
#define CONF_PATH_MAX 256
#define CONF_MAX_PORTS 65536

enum conf_link_type { CONF_LINK_TAP = 0, CONF_LINK_PACKET };
enum conf_balance {
	CONF_BALANCE_ROUNDROBIN = 0,
	CONF_BALANCE_LEASTCONN,
	CONF_BALANCE_SOURCE,
	CONF_BALANCE_RANDOM,
	CONF_BALANCE__COUNT
};
enum conf_proxy_protocol { CONF_PP_OFF = 0, CONF_PP_V1, CONF_PP_V2, CONF_PP__COUNT };
enum conf_congestion { CONF_CC_CUBIC = 0, CONF_CC_NEWRENO, CONF_CC__COUNT };
extern const char *const conf_balance_names[CONF_BALANCE__COUNT];
extern const char *const conf_proxy_protocol_names[CONF_PP__COUNT];
extern const char *const conf_congestion_names[CONF_CC__COUNT];
enum conf_fault_dir { CONF_FAULT_BOTH = 0, CONF_FAULT_IN, CONF_FAULT_OUT, CONF_FAULT__COUNT };
extern const char *const conf_fault_dir_names[CONF_FAULT__COUNT];

/* The MAC used when the interface sets none (iface.mac holds it, mac_set false) */
#define CONF_DEFAULT_MAC { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 }

/* interface.fault: the seeded fault injector on the link (stack/link_fault.h),
 * for experiments and tests; probabilities in percent, 0..100 */
struct conf_fault {
	bool enabled;			/* group present */
	unsigned seed;			/* default 1 */
	double drop, duplicate, reorder, corrupt, truncate;	/* default 0 */
	unsigned reorder_delay_ms;	/* default 5, 0..10000 */
	enum conf_fault_dir direction;	/* default both */
};

struct conf_interface {
	enum conf_link_type type;
	char name[CONF_NAME_MAX];	/* IFNAMSIZ-bounded: at most 15 chars */
	char netns[CONF_NAME_MAX];	/* "" = current namespace */
	uint32_t addr;			/* tcpgate's own address */
	uint8_t prefix_len;
	uint8_t mac[6];
	bool mac_set;			/* false: a fixed locally administered default */
	uint16_t mtu;			/* 576..9000 */
	bool offload;
	unsigned workers;		/* 1..64 */
	struct conf_fault fault;	/* optional group */
};

struct conf_defaults {
	unsigned connect_timeout_ms;	/* default 3000 */
	unsigned idle_timeout_s;	/* default 600 */
	unsigned drain_timeout_s;	/* default 30 */
	unsigned max_connections;	/* default 100000 */
	unsigned retries;		/* default 2 */
	unsigned halfclosed_timeout_s;	/* default 60; 0 = none */
	unsigned max_lifetime_s;	/* default 0 = none */
	enum conf_congestion congestion;	/* default cubic */
};

struct conf_health {
	unsigned interval_ms, timeout_ms, rise, fall;	/* 1000, 500, 2, 3 */
	bool enabled;					/* group present */
};

struct conf_backend {
	uint32_t addr;
	uint16_t port;
	unsigned weight;		/* 0..256; 0 = drain */
	unsigned max_connections;	/* 0 = no per-backend limit */
	int line;
};

struct conf_listener {
	char name[CONF_NAME_MAX];
	uint32_t addr;			/* 0 with any_addr = "*" */
	bool any_addr;
	uint16_t *ports;		/* sorted, unique */
	size_t n_ports;
	enum conf_balance balance;
	enum conf_proxy_protocol proxy_protocol;
	bool forward_original;		/* forward = "original" instead of backends */
	struct conf_backend *backends;
	size_t n_backends;
	struct conf_health health;
	unsigned max_connections;	/* 0 = no per-listener limit */
	bool log;			/* one log line per closed connection */
	int line;
};

/* log_level (top level); CONF_LOG_UNSET when absent (the command line decides) */
enum conf_log_level {
	CONF_LOG_ERROR = 0, CONF_LOG_WARN, CONF_LOG_INFO, CONF_LOG_DEBUG, CONF_LOG__COUNT,
	CONF_LOG_UNSET = CONF_LOG__COUNT
};
extern const char *const conf_log_level_names[CONF_LOG__COUNT];

struct conf {
	char path[CONF_PATH_MAX];
	char user[CONF_NAME_MAX];	/* "" = stay root; else drop to it after start */
	enum conf_log_level log_level;	/* CONF_LOG_UNSET when absent */
	struct conf_interface iface;
	uint32_t stats_addr;		/* default 127.0.0.1 */
	uint16_t stats_port;		/* default 9180; 0 = disabled (listen = "") */
	char control_socket[CONF_PATH_MAX];	/* default /run/tcpgate/control.sock */
	struct conf_defaults defaults;
	struct conf_listener *listeners;
	size_t n_listeners;
};

/* Load and validate @path. Return: the config, or NULL with @err filled with
 * one "FILE:LINE: message" per problem (every problem, not just the first),
 * each line ending in '\n', sorted by line. */
struct conf *conf_load(const char *path, char *err, size_t errlen);
void conf_free(struct conf *c);

#endif /* TCPGATE_CONF_H */
