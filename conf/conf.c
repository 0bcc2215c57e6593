// SPDX-License-Identifier: MIT
/*
 * conf.c - loading a tcpgate configuration file (DESIGN.md §5)
 *
 * Theory of operation: conf_load() reads the whole file with libconfig,
 * which stops at the first syntax error (reported with libconfig's own
 * file, line and text). A file that parses is then walked section by
 * section; every check that fails adds one problem to a struct conf_report
 * (conf_report.c) and validation goes on, so the user gets every problem of
 * the file in one run, sorted by line, as "FILE:LINE: message". Unknown
 * keys are errors at every level: a misspelt key must never be silently
 * ignored by an appliance.
 *
 * The result is all or nothing: one problem and conf_load() returns NULL,
 * which is what makes a reload with a bad file change nothing. A returned
 * struct conf owns its listener, port and backend arrays and is released
 * with conf_free(); it holds no pointer into libconfig's tree.
 *
 * Files: conf_get.c typed getters, conf_parse.c string forms, conf_global.c
 * the singleton sections, conf_listener.c one listener, conf_check.c checks
 * across listeners.
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf/conf_int.h"

const char *const conf_balance_names[CONF_BALANCE__COUNT] = {
	[CONF_BALANCE_ROUNDROBIN] = "roundrobin",
	[CONF_BALANCE_LEASTCONN] = "leastconn",
	[CONF_BALANCE_SOURCE] = "source",
	[CONF_BALANCE_RANDOM] = "random",
};
static_assert(sizeof(conf_balance_names) / sizeof(conf_balance_names[0]) ==
	      CONF_BALANCE__COUNT, "conf_balance_names out of sync");

const char *const conf_proxy_protocol_names[CONF_PP__COUNT] = {
	[CONF_PP_OFF] = "off",
	[CONF_PP_V1] = "v1",
	[CONF_PP_V2] = "v2",
};
static_assert(sizeof(conf_proxy_protocol_names) /
	      sizeof(conf_proxy_protocol_names[0]) == CONF_PP__COUNT,
	      "conf_proxy_protocol_names out of sync");

const char *const conf_congestion_names[CONF_CC__COUNT] = {
	[CONF_CC_CUBIC] = "cubic",
	[CONF_CC_NEWRENO] = "newreno",
};
static_assert(sizeof(conf_congestion_names) / sizeof(conf_congestion_names[0])
	      == CONF_CC__COUNT, "conf_congestion_names out of sync");

static const char *const conf_top_keys[] = {
	"interface", "stats", "control", "defaults", "listeners", "user", "log_level", NULL
};

/**
 * conf_set_defaults() - every default of DESIGN.md §5
 * @c:		zeroed config
 */
static void conf_set_defaults(struct conf *c)
{
	static const uint8_t mac[6] = CONF_DEFAULT_MAC;

	c->iface.type = CONF_LINK_TAP;
	memcpy(c->iface.mac, mac, sizeof(mac));
	c->iface.mtu = 1500;
	c->iface.offload = true;
	c->iface.workers = 1;
	c->iface.fault.seed = 1;
	c->iface.fault.reorder_delay_ms = 5;
	c->log_level = CONF_LOG_UNSET;
	c->stats_addr = 0x7f000001;	/* 127.0.0.1 */
	c->stats_port = 9180;
	snprintf(c->control_socket, sizeof(c->control_socket), "%s",
		 "/run/tcpgate/control.sock");
	c->defaults = (struct conf_defaults){
		.connect_timeout_ms = 3000, .idle_timeout_s = 600,
		.drain_timeout_s = 30, .max_connections = 100000,
		.retries = 2, .halfclosed_timeout_s = 60, .congestion = CONF_CC_CUBIC,
	};
}

/**
 * conf_parse_listeners() - the optional "listeners" list and its checks
 * @r:		report
 * @root:	root setting
 * @c:		destination: listeners and n_listeners
 */
static void conf_parse_listeners(struct conf_report *r,
				 const config_setting_t *root, struct conf *c)
{
	const config_setting_t *list = config_setting_get_member(root, "listeners");
	size_t i, n;
	bool *ok;

	if (!list)
		return;
	if (!config_setting_is_list(list) && !config_setting_is_array(list)) {
		conf_report(r, list, "'listeners' must be a list ( { ... }, ... ), "
			    "not %s", conf_type_name(config_setting_type(list)));
		return;
	}
	n = (size_t)config_setting_length(list);
	if (!n)
		return;
	c->listeners = calloc(n, sizeof(*c->listeners));
	ok = calloc(n, sizeof(*ok));
	if (!c->listeners || !ok) {
		conf_report(r, list, "out of memory for %zu listeners", n);
		free(ok);
		return;
	}
	c->n_listeners = n;
	for (i = 0; i < n; i++)
		ok[i] = conf_parse_listener(r, config_setting_get_elem(list,
						(unsigned)i), i, &c->listeners[i]);
	conf_check_listeners(r, list, c->listeners, ok, n);
	free(ok);
}

/**
 * conf_find_include() - refuse @include directives
 * @r:		report, told about each one
 * @f:		the open file, read from the start
 *
 * tcpgate's configuration is one file: what a reload diffs is what the file
 * says. libconfig 1.5 also exit()s the whole process on some @include paths
 * (an empty name, a directory), which a reload must never do; so the file is
 * scanned for the directive before libconfig sees it.
 *
 * Return: true if the file has none
 */
static bool conf_find_include(struct conf_report *r, FILE *f)
{
	char line[1024];
	int lineno = 0;
	bool none = true;

	while (fgets(line, sizeof(line), f)) {
		const char *p = line + strspn(line, " \t\r");

		lineno++;
		if (!strncasecmp(p, "@include", 8)) {
			conf_report_at(r, NULL, lineno, "@include is not supported: "
				       "keep the configuration in one file");
			none = false;
		}
		while (!strchr(line, '\n') && fgets(line, sizeof(line), f))
			;			/* the rest of a long line */
	}
	return none;
}

/**
 * conf_read() - read and parse the file with libconfig
 * @cfg:	initialised libconfig handle
 * @r:		report, told about I/O and syntax errors
 * @path:	file to read
 *
 * Return: true if the file parsed
 */
static bool conf_read(config_t *cfg, struct conf_report *r, const char *path)
{
	FILE *f = fopen(path, "r");
	bool ok;

	if (!f) {
		conf_report_at(r, path, 0, "cannot open: %s", strerror(errno));
		return false;
	}
	ok = conf_find_include(r, f);
	fclose(f);
	if (!ok)
		return false;
	if (config_read_file(cfg, path) == CONFIG_TRUE)
		return true;
	if (config_error_type(cfg) == CONFIG_ERR_FILE_IO)
		conf_report_at(r, config_error_file(cfg), 0, "cannot read: %s",
			       config_error_text(cfg));
	else
		conf_report_at(r, config_error_file(cfg), config_error_line(cfg),
			       "%s", config_error_text(cfg));
	return false;
}

/**
 * conf_build() - walk a parsed file into a struct conf
 * @r:		report, told about every problem
 * @root:	root setting of the parsed file
 * @path:	file name, kept in the result
 *
 * Return: the config (possibly with problems reported), NULL without memory
 */
static struct conf *conf_build(struct conf_report *r,
			       const config_setting_t *root, const char *path)
{
	struct conf *c = calloc(1, sizeof(*c));

	if (!c) {
		conf_report_at(r, path, 0, "out of memory");
		return NULL;
	}
	snprintf(c->path, sizeof(c->path), "%s", path);
	conf_set_defaults(c);
	conf_check_keys(r, root, NULL, conf_top_keys);
	conf_parse_interface(r, root, &c->iface);
	conf_parse_stats(r, root, c);
	conf_parse_control(r, root, c);
	conf_parse_process(r, root, c);
	conf_parse_defaults(r, root, &c->defaults);
	conf_parse_listeners(r, root, c);
	return c;
}

/**
 * conf_load() - load and validate a configuration file
 * @path:	file to read
 * @err:	filled with one "FILE:LINE: message\n" per problem, sorted by
 *		line; set to "" on success (may be NULL)
 * @errlen:	size of @err
 *
 * Return: the config, to be released with conf_free(), or NULL on any problem
 */
struct conf *conf_load(const char *path, char *err, size_t errlen)
{
	struct conf_report r = { .path = path ? path : "(null)" };
	struct conf *c = NULL;
	config_t cfg;

	if (err && errlen)
		err[0] = '\0';
	if (!path || strlen(path) >= CONF_PATH_MAX) {
		conf_report_at(&r, NULL, 0, "config path missing or longer "
			       "than %d characters", CONF_PATH_MAX - 1);
		conf_report_write(&r, err, errlen);
		conf_report_free(&r);
		return NULL;
	}
	config_init(&cfg);
	if (conf_read(&cfg, &r, path))
		c = conf_build(&r, config_root_setting(&cfg), path);
	if (r.n || r.lost) {
		conf_free(c);
		c = NULL;
	}
	/* messages point at file names owned by cfg: write before destroying */
	conf_report_write(&r, err, errlen);
	conf_report_free(&r);
	config_destroy(&cfg);
	return c;
}

/**
 * conf_free() - release a configuration and everything it owns
 * @c:		config from conf_load(), or NULL
 */
void conf_free(struct conf *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->n_listeners; i++)
		conf_listener_release(&c->listeners[i]);
	free(c->listeners);
	free(c);
}
