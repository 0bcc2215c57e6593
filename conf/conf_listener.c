// SPDX-License-Identifier: MIT
/*
 * conf_listener.c - one entry of "listeners": VIP, ports, balancing, pool
 *
 * Theory of operation: conf_parse_listener() fills one struct conf_listener
 * from one group and reports every problem inside it; it says whether the
 * listener came out clean so that conf_check.c only compares listeners
 * whose name, address and ports are trustworthy. Messages name the listener
 * by its name once that is known to be valid ("listener 'web'"), otherwise
 * by its position ("listener #2").
 *
 * Ports come as exactly one of: port = N, ports = [N, ...] or ports = "A-B";
 * they are stored sorted and without duplicates so that conflicts between
 * listeners are found by a linear merge. The pool is exactly one of a
 * non-empty backends list or forward = "original"; a backend address may
 * appear only once per listener. Memory: ports and backends are malloc'd
 * per listener and freed by conf_listener_release().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf_int.h"

static const char *const conf_listener_keys[] = {
	"name", "address", "port", "ports", "balance", "proxy_protocol",
	"backends", "forward", "health", "max_connections", "log", NULL
};
static const char *const conf_backend_keys[] = {
	"address", "weight", "max_connections", NULL
};
static const char *const conf_health_keys[] = {
	"interval_ms", "timeout_ms", "rise", "fall", NULL
};

/**
 * conf_listener_name() - the required "name", and the listener's description
 * @r:		report
 * @g:		the listener group
 * @idx:	position in the list, 0-based
 * @l:		destination for the name
 * @what:	set to "listener 'NAME'" or "listener #N", CONF_WHAT_MAX long
 */
static void conf_listener_name(struct conf_report *r, const config_setting_t *g,
			       size_t idx, struct conf_listener *l, char *what)
{
	const char *v;
	int rc;

	snprintf(what, CONF_WHAT_MAX, "listener #%zu", idx + 1);
	rc = conf_get_string(r, g, what, "name", &v);
	if (rc == 0) {
		conf_report(r, g, "missing required key 'name' in %s", what);
	} else if (rc > 0 && !conf_name_ok(v, CONF_NAME_MAX - 1)) {
		conf_report(r, config_setting_get_member(g, "name"),
			    "'name' in %s must be 1 to %d characters of "
			    "A-Z a-z 0-9 _ . - (got '%s')", what,
			    CONF_NAME_MAX - 1, v);
	} else if (rc > 0) {
		snprintf(l->name, sizeof(l->name), "%s", v);
		snprintf(what, CONF_WHAT_MAX, "listener '%s'", v);
	}
}

/**
 * conf_listener_address() - the required "address": an IPv4 VIP or "*"
 * @r:		report
 * @g:		the listener group
 * @what:	listener description
 * @l:		destination
 */
static void conf_listener_address(struct conf_report *r,
				  const config_setting_t *g, const char *what,
				  struct conf_listener *l)
{
	const config_setting_t *s = config_setting_get_member(g, "address");
	const char *v;
	int rc = conf_get_string(r, g, what, "address", &v);

	if (rc == 0)
		conf_report(r, g, "missing required key 'address' in %s", what);
	if (rc <= 0)
		return;
	if (!strcmp(v, "*")) {
		l->any_addr = true;
		l->addr = 0;
	} else if (!conf_parse_ipv4(v, &l->addr)) {
		conf_report(r, s, "'address' in %s must be an IPv4 address "
			    "\"A.B.C.D\" or \"*\" (got '%s')", what, v);
	} else if (!l->addr || l->addr >> 28 >= 14) {
		conf_report(r, s, "'address' in %s must be a unicast address, "
			    "or \"*\" for any (got '%s')", what, v);
	}
}

/**
 * conf_port_cmp() - qsort() order of ports
 * @a:		first uint16_t
 * @b:		second uint16_t
 *
 * Return: negative, zero or positive
 */
static int conf_port_cmp(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

/**
 * conf_ports_finish() - sort the collected ports and drop duplicates
 * @l:		listener whose ports and n_ports are set
 */
static void conf_ports_finish(struct conf_listener *l)
{
	size_t i, n = 0;

	qsort(l->ports, l->n_ports, sizeof(*l->ports), conf_port_cmp);
	for (i = 0; i < l->n_ports; i++)
		if (!n || l->ports[n - 1] != l->ports[i])
			l->ports[n++] = l->ports[i];
	l->n_ports = n;
}

/**
 * conf_ports_alloc() - allocate room for @n ports
 * @r:		report, told when memory runs out
 * @s:		setting the ports come from
 * @l:		listener
 * @n:		number of ports
 *
 * Return: true on success
 */
static bool conf_ports_alloc(struct conf_report *r, const config_setting_t *s,
			     struct conf_listener *l, size_t n)
{
	l->ports = calloc(n, sizeof(*l->ports));
	if (!l->ports)
		conf_report(r, s, "out of memory for %zu ports", n);
	return l->ports != NULL;
}

/**
 * conf_ports_range() - ports = "A-B"
 * @r:		report
 * @s:		the "ports" setting
 * @what:	listener description
 * @l:		destination
 */
static void conf_ports_range(struct conf_report *r, const config_setting_t *s,
			     const char *what, struct conf_listener *l)
{
	const char *v = config_setting_get_string(s);
	uint16_t lo, hi;
	unsigned p;

	if (!conf_parse_port_range(v, &lo, &hi)) {
		conf_report(r, s, "'ports' in %s must be a range \"A-B\" of "
			    "ports 1..65535 (got '%s')", what, v);
		return;
	}
	if (lo > hi) {
		conf_report(r, s, "'ports' in %s: range '%s' is reversed, the "
			    "first port must not exceed the second", what, v);
		return;
	}
	if (!conf_ports_alloc(r, s, l, (size_t)(hi - lo) + 1))
		return;
	for (p = lo; p <= hi; p++)
		l->ports[l->n_ports++] = (uint16_t)p;
}

/**
 * conf_ports_list() - ports = [N, ...] (an array or a list)
 * @r:		report
 * @s:		the "ports" setting
 * @what:	listener description
 * @l:		destination
 */
static void conf_ports_list(struct conf_report *r, const config_setting_t *s,
			    const char *what, struct conf_listener *l)
{
	int i, n = config_setting_length(s);
	char desc[CONF_WHAT_MAX + 48];
	bool ok = true;
	unsigned v;

	if (!n) {
		conf_report(r, s, "'ports' in %s must not be empty", what);
		return;
	}
	if (!conf_ports_alloc(r, s, l, (size_t)n))
		return;
	for (i = 0; i < n; i++) {
		snprintf(desc, sizeof(desc), "element %d of 'ports' in %s",
			 i + 1, what);
		if (conf_elem_uint(r, config_setting_get_elem(s, (unsigned)i),
				   desc, 1, 65535, &v) > 0)
			l->ports[l->n_ports++] = (uint16_t)v;
		else
			ok = false;
	}
	if (!ok)
		l->n_ports = 0;
}

/**
 * conf_listener_ports() - exactly one of "port" and "ports"
 * @r:		report
 * @g:		the listener group
 * @what:	listener description
 * @l:		destination: sorted, unique ports
 */
static void conf_listener_ports(struct conf_report *r, const config_setting_t *g,
				const char *what, struct conf_listener *l)
{
	const config_setting_t *ports = config_setting_get_member(g, "ports");
	const config_setting_t *port = config_setting_get_member(g, "port");
	unsigned v;
	int type;

	if (port && ports) {
		conf_report(r, ports, "%s has both 'port' and 'ports'; keep one",
			    what);
		return;
	}
	if (!port && !ports) {
		conf_report(r, g, "missing 'port' or 'ports' in %s", what);
		return;
	}
	if (port) {
		if (conf_get_uint(r, g, what, "port", 1, 65535, &v) > 0 &&
		    conf_ports_alloc(r, port, l, 1))
			l->ports[l->n_ports++] = (uint16_t)v;
		return;
	}
	type = config_setting_type(ports);
	if (type == CONFIG_TYPE_STRING)
		conf_ports_range(r, ports, what, l);
	else if (type == CONFIG_TYPE_ARRAY || type == CONFIG_TYPE_LIST)
		conf_ports_list(r, ports, what, l);
	else
		conf_report(r, ports, "'ports' in %s must be an array [80, 443] "
			    "or a range string \"A-B\", not %s", what,
			    conf_type_name(type));
	if (l->n_ports)
		conf_ports_finish(l);
}

/**
 * conf_backend_dup() - report a backend address already used before it
 * @r:		report
 * @s:		the new backend's group
 * @what:	listener description
 * @l:		listener with @l->n_backends backends parsed so far
 * @b:		the new backend
 *
 * Return: true if @b duplicates an earlier backend
 */
static bool conf_backend_dup(struct conf_report *r, const config_setting_t *s,
			     const char *what, const struct conf_listener *l,
			     const struct conf_backend *b)
{
	char a[16];
	size_t i;

	for (i = 0; i < l->n_backends; i++) {
		if (l->backends[i].addr != b->addr ||
		    l->backends[i].port != b->port)
			continue;
		conf_report(r, s, "duplicate backend %s:%u in %s (first at line %d)",
			    conf_ipv4_str(b->addr, a, sizeof(a)), b->port, what,
			    l->backends[i].line);
		return true;
	}
	return false;
}

/**
 * conf_backend() - one element of "backends"
 * @r:		report
 * @s:		the element
 * @idx:	its position, 0-based
 * @lwhat:	listener description
 * @l:		listener; the backend is appended when valid
 */
static void conf_backend(struct conf_report *r, const config_setting_t *s,
			 int idx, const char *lwhat, struct conf_listener *l)
{
	struct conf_backend b = { .weight = 1, .line = config_setting_source_line(s) };
	char what[CONF_WHAT_MAX + 32];
	size_t before = r->n + r->lost;
	const char *v;
	int rc;

	snprintf(what, sizeof(what), "backend #%d of %s", idx + 1, lwhat);
	if (!config_setting_is_group(s)) {
		conf_report(r, s, "%s must be a group { address = \"IP:PORT\"; }, "
			    "not %s", what, conf_type_name(config_setting_type(s)));
		return;
	}
	conf_check_keys(r, s, what, conf_backend_keys);
	rc = conf_get_string(r, s, what, "address", &v);
	if (rc == 0)
		conf_report(r, s, "missing required key 'address' in %s", what);
	else if (rc > 0 && !conf_parse_hostport(v, &b.addr, &b.port))
		conf_report(r, config_setting_get_member(s, "address"),
			    "'address' in %s must be \"A.B.C.D:PORT\" with PORT "
			    "1..65535 (got '%s')", what, v);
	conf_get_uint(r, s, what, "weight", 0, 256, &b.weight);
	conf_get_uint(r, s, what, "max_connections", 0, 10000000, &b.max_connections);
	if (r->n + r->lost != before || conf_backend_dup(r, s, lwhat, l, &b))
		return;
	l->backends[l->n_backends++] = b;
}

/**
 * conf_listener_pool() - exactly one of "backends" and forward = "original"
 * @r:		report
 * @g:		the listener group
 * @what:	listener description
 * @l:		destination
 */
static void conf_listener_pool(struct conf_report *r, const config_setting_t *g,
			       const char *what, struct conf_listener *l)
{
	const config_setting_t *bs = config_setting_get_member(g, "backends");
	const config_setting_t *fw = config_setting_get_member(g, "forward");
	const char *v;
	int i, n;

	if (bs && fw)
		conf_report(r, fw, "%s has both 'backends' and 'forward'; "
			    "use one", what);
	else if (!bs && !fw)
		conf_report(r, g, "%s needs 'backends' or forward = \"original\"",
			    what);
	if (fw && conf_get_string(r, g, what, "forward", &v) > 0) {
		if (strcmp(v, "original"))
			conf_report(r, fw, "'forward' in %s must be \"original\" "
				    "(got '%s')", what, v);
		else
			l->forward_original = !bs;
	}
	if (!bs)
		return;
	if (!config_setting_is_list(bs)) {
		conf_report(r, bs, "'backends' in %s must be a list "
			    "( { address = \"IP:PORT\"; }, ... ), not %s", what,
			    conf_type_name(config_setting_type(bs)));
		return;
	}
	n = config_setting_length(bs);
	if (!n) {
		conf_report(r, bs, "'backends' in %s must not be empty", what);
		return;
	}
	l->backends = calloc((size_t)n, sizeof(*l->backends));
	if (!l->backends) {
		conf_report(r, bs, "out of memory for %d backends", n);
		return;
	}
	for (i = 0; i < n; i++)
		conf_backend(r, config_setting_get_elem(bs, (unsigned)i), i,
			     what, l);
}

/**
 * conf_listener_health() - the optional "health" group
 * @r:		report
 * @g:		the listener group
 * @lwhat:	listener description
 * @h:		destination, holding the defaults on entry
 */
static void conf_listener_health(struct conf_report *r,
				 const config_setting_t *g, const char *lwhat,
				 struct conf_health *h)
{
	char what[CONF_WHAT_MAX + 16];
	const config_setting_t *hs;
	int iv, to;

	snprintf(what, sizeof(what), "health of %s", lwhat);
	if (conf_get_group(r, g, lwhat, "health", &hs) <= 0)
		return;
	h->enabled = true;
	conf_check_keys(r, hs, what, conf_health_keys);
	iv = conf_get_uint(r, hs, what, "interval_ms", 10, 3600000,
			   &h->interval_ms);
	to = conf_get_uint(r, hs, what, "timeout_ms", 1, 3600000,
			   &h->timeout_ms);
	conf_get_uint(r, hs, what, "rise", 1, 1000, &h->rise);
	conf_get_uint(r, hs, what, "fall", 1, 1000, &h->fall);
	if (iv < 0 || to < 0 || h->timeout_ms <= h->interval_ms)
		return;
	/* A default timeout follows a short interval; an explicit one is checked */
	if (to == 0)
		h->timeout_ms = h->interval_ms;
	else
		conf_report(r, config_setting_get_member(hs, "timeout_ms"),
			    "'timeout_ms' in %s must not exceed 'interval_ms' "
			    "(got %u > %u)", what, h->timeout_ms,
			    h->interval_ms);
}

/**
 * conf_parse_listener() - parse and check one element of "listeners"
 * @r:		report
 * @s:		the element
 * @idx:	its position, 0-based
 * @l:		destination, zeroed on entry
 *
 * Return: true if the listener has no problem at all
 */
bool conf_parse_listener(struct conf_report *r, const config_setting_t *s,
			 size_t idx, struct conf_listener *l)
{
	size_t before = r->n + r->lost;
	char what[CONF_WHAT_MAX];
	unsigned v;

	l->line = config_setting_source_line(s);
	l->health = (struct conf_health){ .interval_ms = 1000, .timeout_ms = 500,
					  .rise = 2, .fall = 3 };
	if (!config_setting_is_group(s)) {
		conf_report(r, s, "listener #%zu must be a group { ... }, not %s",
			    idx + 1, conf_type_name(config_setting_type(s)));
		return false;
	}
	conf_listener_name(r, s, idx, l, what);
	conf_check_keys(r, s, what, conf_listener_keys);
	conf_listener_address(r, s, what, l);
	conf_listener_ports(r, s, what, l);
	if (conf_get_enum(r, s, what, "balance", conf_balance_names,
			  CONF_BALANCE__COUNT, &v) > 0)
		l->balance = (enum conf_balance)v;
	if (conf_get_enum(r, s, what, "proxy_protocol", conf_proxy_protocol_names,
			  CONF_PP__COUNT, &v) > 0)
		l->proxy_protocol = (enum conf_proxy_protocol)v;
	conf_listener_pool(r, s, what, l);
	conf_listener_health(r, s, what, &l->health);
	conf_get_uint(r, s, what, "max_connections", 0, 10000000, &l->max_connections);
	conf_get_bool(r, s, what, "log", &l->log);
	return r->n + r->lost == before;
}

/**
 * conf_listener_release() - free what a listener owns
 * @l:		listener, left without ports or backends
 */
void conf_listener_release(struct conf_listener *l)
{
	free(l->ports);
	free(l->backends);
	l->ports = NULL;
	l->backends = NULL;
	l->n_ports = l->n_backends = 0;
}
