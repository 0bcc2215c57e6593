// SPDX-License-Identifier: MIT
/*
 * conf_global.c - the singleton sections: interface, stats, control, defaults
 *
 * Theory of operation: each section parser starts from the defaults already
 * in the struct (set by conf_load()), rejects unknown keys, then reads every
 * known key with the typed getters of conf_get.c and checks what the types
 * cannot: address forms, name rules, the unicast bit of a MAC. A bad key is
 * reported and leaves its default, so one pass finds every problem.
 *
 * interface.fault (the link fault injector, percentages as integer or
 * float) is optional; its presence turns the injector on.
 *
 * Only "interface" is required (and in it "name" and "address"); the other
 * sections may be left out entirely.
 */
#include <assert.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

#include "conf/conf_int.h"

#define CONF_IFNAME_MAX 15		/* IFNAMSIZ - 1 */
#define CONF_SUN_PATH_MAX (sizeof(((struct sockaddr_un *)0)->sun_path))
#define CONF_IDLE_MAX_S (30u * 24 * 3600)

static const char *const conf_link_type_names[] = {
	[CONF_LINK_TAP] = "tap",
	[CONF_LINK_PACKET] = "packet",
};
static_assert(sizeof(conf_link_type_names) / sizeof(conf_link_type_names[0]) ==
	      CONF_LINK_PACKET + 1, "conf_link_type_names out of sync");

const char *const conf_fault_dir_names[CONF_FAULT__COUNT] = {
	[CONF_FAULT_BOTH] = "both",
	[CONF_FAULT_IN] = "in",
	[CONF_FAULT_OUT] = "out",
};
static_assert(sizeof(conf_fault_dir_names) / sizeof(conf_fault_dir_names[0]) ==
	      CONF_FAULT__COUNT, "conf_fault_dir_names out of sync");

static const char *const conf_iface_keys[] = {
	"type", "name", "netns", "address", "mac", "mtu", "offload", "workers",
	"fault", NULL
};
static const char *const conf_fault_keys[] = {
	"seed", "drop", "duplicate", "reorder", "reorder_delay_ms", "corrupt",
	"truncate", "direction", NULL
};
static const char *const conf_stats_keys[] = { "listen", NULL };
static const char *const conf_control_keys[] = { "socket", NULL };
static const char *const conf_defaults_keys[] = {
	"connect_timeout_ms", "idle_timeout_s", "drain_timeout_s",
	"max_connections", "retries", "congestion", "halfclosed_timeout_s",
	"max_lifetime_s", NULL
};

/**
 * conf_ifname_ok() - whether the kernel would accept a network device name
 * @s:		the name
 *
 * Return: true for 1..15 characters, not "." or "..", without '/', ':' or
 * whitespace (the rules of the kernel's dev_valid_name())
 */
static bool conf_ifname_ok(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > CONF_IFNAME_MAX || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	return strcspn(s, "/: \t\n\r\v\f") == n;
}

/**
 * conf_netns_ok() - whether a string names a namespace under /run/netns
 * @s:		the name, "" for the current namespace
 *
 * Return: true if @s is a plain file name (or empty)
 */
static bool conf_netns_ok(const char *s)
{
	if (!*s)
		return true;
	return strlen(s) < CONF_NAME_MAX && !strchr(s, '/') &&
	       strcmp(s, ".") && strcmp(s, "..");
}

/**
 * conf_host_addr_ok() - whether an address can be a host on its subnet
 * @addr:	address, host byte order
 * @len:	prefix length
 *
 * Return: false for 0.0.0.0, multicast, class E / broadcast, and the
 * network or broadcast address of a subnet with more than two addresses
 */
static bool conf_host_addr_ok(uint32_t addr, uint8_t len)
{
	uint32_t host_mask = len >= 32 ? 0 : 0xffffffffu >> len;

	if (!addr || addr >> 28 >= 14)
		return false;
	if (len <= 30 && ((addr & host_mask) == 0 ||
			  (addr & host_mask) == host_mask))
		return false;
	return true;
}

/**
 * conf_iface_name() - interface "name" (required) and "netns"
 * @r:		report
 * @g:		the interface group
 * @iface:	destination
 */
static void conf_iface_name(struct conf_report *r, const config_setting_t *g,
			    struct conf_interface *iface)
{
	const char *v;
	int rc = conf_get_string(r, g, "interface", "name", &v);

	if (rc == 0)
		conf_report(r, g, "missing required key 'name' in interface");
	else if (rc > 0 && !conf_ifname_ok(v))
		conf_report(r, config_setting_get_member(g, "name"),
			    "'name' in interface must be 1 to 15 characters, "
			    "not '.' or '..', without '/', ':' or spaces (got '%s')",
			    v);
	else if (rc > 0)
		snprintf(iface->name, sizeof(iface->name), "%s", v);

	if (conf_get_string(r, g, "interface", "netns", &v) <= 0)
		return;
	if (!conf_netns_ok(v))
		conf_report(r, config_setting_get_member(g, "netns"),
			    "'netns' in interface must be a plain name from "
			    "/run/netns: no '/', not '.' or '..', at most %d "
			    "characters (got '%s')", CONF_NAME_MAX - 1, v);
	else
		snprintf(iface->netns, sizeof(iface->netns), "%s", v);
}

/**
 * conf_iface_address() - interface "address" (required)
 * @r:		report
 * @g:		the interface group
 * @iface:	destination
 */
static void conf_iface_address(struct conf_report *r,
			       const config_setting_t *g,
			       struct conf_interface *iface)
{
	const char *v;
	uint32_t addr;
	uint8_t len;
	int rc = conf_get_string(r, g, "interface", "address", &v);

	if (rc == 0) {
		conf_report(r, g, "missing required key 'address' in interface");
		return;
	}
	if (rc < 0)
		return;
	if (!conf_parse_cidr(v, &addr, &len)) {
		conf_report(r, config_setting_get_member(g, "address"),
			    "'address' in interface must be \"A.B.C.D/LEN\" "
			    "with LEN 1..32 (got '%s')", v);
		return;
	}
	if (!conf_host_addr_ok(addr, len)) {
		conf_report(r, config_setting_get_member(g, "address"),
			    "'address' in interface must be a unicast host "
			    "address, not the network, broadcast, multicast "
			    "or unspecified address (got '%s')", v);
		return;
	}
	iface->addr = addr;
	iface->prefix_len = len;
}

/**
 * conf_iface_mac() - interface "mac" (optional, unicast)
 * @r:		report
 * @g:		the interface group
 * @iface:	destination; mac_set only when given and valid
 */
static void conf_iface_mac(struct conf_report *r, const config_setting_t *g,
			   struct conf_interface *iface)
{
	static const uint8_t zero[6];
	const config_setting_t *s;
	uint8_t mac[6];
	const char *v;

	if (conf_get_string(r, g, "interface", "mac", &v) <= 0)
		return;
	s = config_setting_get_member(g, "mac");
	if (!conf_parse_mac(v, mac))
		conf_report(r, s, "'mac' in interface must be "
			    "\"xx:xx:xx:xx:xx:xx\" in hex (got '%s')", v);
	else if (mac[0] & 1)
		conf_report(r, s, "'mac' in interface must be a unicast "
			    "address: the low bit of the first byte is set "
			    "(got '%s')", v);
	else if (!memcmp(mac, zero, sizeof(zero)))
		conf_report(r, s, "'mac' in interface must not be all zeros");
	else {
		memcpy(iface->mac, mac, sizeof(mac));
		iface->mac_set = true;
	}
}

/**
 * conf_iface_fault() - interface "fault" (optional): the link fault injector
 * @r:		report
 * @g:		the interface group
 * @f:		destination, holding the defaults on entry
 */
static void conf_iface_fault(struct conf_report *r, const config_setting_t *g,
			     struct conf_fault *f)
{
	static const char what[] = "interface.fault";
	const config_setting_t *fg;
	unsigned v;

	if (conf_get_group(r, g, "interface", "fault", &fg) <= 0)
		return;
	f->enabled = true;
	conf_check_keys(r, fg, what, conf_fault_keys);
	conf_get_uint(r, fg, what, "seed", 0, 0xffffffffu, &f->seed);
	conf_get_double(r, fg, what, "drop", 0, 100, &f->drop);
	conf_get_double(r, fg, what, "duplicate", 0, 100, &f->duplicate);
	conf_get_double(r, fg, what, "reorder", 0, 100, &f->reorder);
	conf_get_double(r, fg, what, "corrupt", 0, 100, &f->corrupt);
	conf_get_double(r, fg, what, "truncate", 0, 100, &f->truncate);
	conf_get_uint(r, fg, what, "reorder_delay_ms", 0, 10000, &f->reorder_delay_ms);
	if (conf_get_enum(r, fg, what, "direction", conf_fault_dir_names,
			  CONF_FAULT__COUNT, &v) > 0)
		f->direction = (enum conf_fault_dir)v;
}

/**
 * conf_parse_interface() - the required "interface" section
 * @r:		report
 * @root:	root setting
 * @iface:	destination, holding the defaults on entry
 */
void conf_parse_interface(struct conf_report *r, const config_setting_t *root,
			  struct conf_interface *iface)
{
	const config_setting_t *g;
	unsigned v;
	int rc = conf_get_group(r, root, "the configuration", "interface", &g);

	if (rc == 0)
		conf_report(r, root, "missing required group 'interface'");
	if (rc <= 0)
		return;
	conf_check_keys(r, g, "interface", conf_iface_keys);
	if (conf_get_enum(r, g, "interface", "type", conf_link_type_names,
			  CONF_LINK_PACKET + 1, &v) > 0)
		iface->type = (enum conf_link_type)v;
	conf_iface_name(r, g, iface);
	conf_iface_address(r, g, iface);
	conf_iface_mac(r, g, iface);
	if (conf_get_uint(r, g, "interface", "mtu", 576, 9000, &v) > 0)
		iface->mtu = (uint16_t)v;
	conf_get_bool(r, g, "interface", "offload", &iface->offload);
	conf_get_uint(r, g, "interface", "workers", 1, 64, &iface->workers);
	conf_iface_fault(r, g, &iface->fault);
}

/**
 * conf_parse_stats() - the optional "stats" section
 * @r:		report
 * @root:	root setting
 * @c:		destination, holding the defaults on entry
 */
void conf_parse_stats(struct conf_report *r, const config_setting_t *root,
		      struct conf *c)
{
	const config_setting_t *g;
	const char *v;

	if (conf_get_group(r, root, "the configuration", "stats", &g) <= 0)
		return;
	conf_check_keys(r, g, "stats", conf_stats_keys);
	if (conf_get_string(r, g, "stats", "listen", &v) <= 0)
		return;
	if (!*v) {
		c->stats_addr = 0;
		c->stats_port = 0;
	} else if (!conf_parse_hostport(v, &c->stats_addr, &c->stats_port)) {
		conf_report(r, config_setting_get_member(g, "listen"),
			    "'listen' in stats must be \"A.B.C.D:PORT\" with "
			    "PORT 1..65535, or \"\" to disable (got '%s')", v);
	}
}

/**
 * conf_parse_control() - the optional "control" section
 * @r:		report
 * @root:	root setting
 * @c:		destination, holding the defaults on entry
 */
void conf_parse_control(struct conf_report *r, const config_setting_t *root,
			struct conf *c)
{
	const config_setting_t *g, *s;
	const char *v;

	if (conf_get_group(r, root, "the configuration", "control", &g) <= 0)
		return;
	conf_check_keys(r, g, "control", conf_control_keys);
	if (conf_get_string(r, g, "control", "socket", &v) <= 0)
		return;
	s = config_setting_get_member(g, "socket");
	if (v[0] != '/')
		conf_report(r, s, "'socket' in control must be an absolute "
			    "path (got '%s')", v);
	else if (strlen(v) >= CONF_SUN_PATH_MAX)
		conf_report(r, s, "'socket' in control must be shorter than "
			    "%zu characters, the unix socket limit (got %zu)",
			    CONF_SUN_PATH_MAX, strlen(v));
	else
		snprintf(c->control_socket, sizeof(c->control_socket), "%s", v);
}

const char *const conf_log_level_names[CONF_LOG__COUNT] = {
	[CONF_LOG_ERROR] = "error",
	[CONF_LOG_WARN] = "warn",
	[CONF_LOG_INFO] = "info",
	[CONF_LOG_DEBUG] = "debug",
};
static_assert(sizeof(conf_log_level_names) / sizeof(conf_log_level_names[0]) == CONF_LOG__COUNT,
	      "conf_log_level_names must name every level");

/**
 * conf_parse_process() - the top-level process settings "user" and "log_level"
 * @r:		report
 * @root:	root setting
 * @c:		destination, holding the defaults on entry
 *
 * "user" must look like a user name (the account itself is looked up at
 * start, so "tcpgate -t" works on a machine without it).
 */
void conf_parse_process(struct conf_report *r, const config_setting_t *root,
			struct conf *c)
{
	const char *v;
	unsigned lvl;

	if (conf_get_string(r, root, "the configuration", "user", &v) > 0) {
		if (!v[0] || strlen(v) >= sizeof(c->user) || strspn(v,
		    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != strlen(v) ||
		    v[0] == '-')
			conf_report(r, config_setting_get_member(root, "user"),
				    "'user' must be a user name (got '%s')", v);
		else
			snprintf(c->user, sizeof(c->user), "%s", v);
	}
	if (conf_get_enum(r, root, "the configuration", "log_level", conf_log_level_names,
			  CONF_LOG__COUNT, &lvl) > 0)
		c->log_level = (enum conf_log_level)lvl;
}

/**
 * conf_parse_defaults() - the optional "defaults" section
 * @r:		report
 * @root:	root setting
 * @d:		destination, holding the defaults on entry
 */
void conf_parse_defaults(struct conf_report *r, const config_setting_t *root,
			 struct conf_defaults *d)
{
	const config_setting_t *g;
	unsigned cc;

	if (conf_get_group(r, root, "the configuration", "defaults", &g) <= 0)
		return;
	conf_check_keys(r, g, "defaults", conf_defaults_keys);
	conf_get_uint(r, g, "defaults", "connect_timeout_ms", 1, 600000,
		      &d->connect_timeout_ms);
	conf_get_uint(r, g, "defaults", "idle_timeout_s", 0, CONF_IDLE_MAX_S,
		      &d->idle_timeout_s);
	conf_get_uint(r, g, "defaults", "drain_timeout_s", 0, 3600,
		      &d->drain_timeout_s);
	conf_get_uint(r, g, "defaults", "max_connections", 1, 10000000,
		      &d->max_connections);
	conf_get_uint(r, g, "defaults", "retries", 0, 16, &d->retries);
	conf_get_uint(r, g, "defaults", "halfclosed_timeout_s", 0, CONF_IDLE_MAX_S,
		      &d->halfclosed_timeout_s);
	conf_get_uint(r, g, "defaults", "max_lifetime_s", 0, CONF_IDLE_MAX_S,
		      &d->max_lifetime_s);
	if (conf_get_enum(r, g, "defaults", "congestion", conf_congestion_names,
			  CONF_CC__COUNT, &cc) > 0)
		d->congestion = (enum conf_congestion)cc;
}
