// SPDX-License-Identifier: MIT
/*
 * test_conf.c - conf_load(): every field of a full file, the defaults of a
 * minimal one, and the exact "FILE:LINE: message" of each class of mistake.
 *
 * Each test writes its config text to a fresh file in a private temporary
 * directory, so line numbers are those of the string literal; the random
 * file name is replaced by "F" before messages are compared.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"

#define ERR_MAX 16384

static char test_dir[64];
static char test_path[128];
static char test_err[ERR_MAX];

/**
 * conf_test_setup() - create the private directory for this test's file
 */
static void conf_test_setup(void)
{
	snprintf(test_dir, sizeof(test_dir), "/tmp/tcpgate-conf-XXXXXX");
	cr_assert_not_null(mkdtemp(test_dir));
	test_path[0] = '\0';
}

/**
 * conf_test_teardown() - remove the file and the directory
 */
static void conf_test_teardown(void)
{
	if (test_path[0])
		unlink(test_path);
	rmdir(test_dir);
}

TestSuite(conf, .init = conf_test_setup, .fini = conf_test_teardown);

/**
 * write_cfg() - write @text to a new file in the test directory
 * @text:	file contents
 *
 * Return: the file's path
 */
static const char *write_cfg(const char *text)
{
	int fd;

	if (test_path[0])
		unlink(test_path);
	snprintf(test_path, sizeof(test_path), "%s/cfg-XXXXXX", test_dir);
	fd = mkstemp(test_path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return test_path;
}

/**
 * normalize_err() - replace every occurrence of the file's path with "F"
 * @err:	error text, rewritten in place
 * @path:	the path to replace
 */
static void normalize_err(char *err, const char *path)
{
	size_t plen = strlen(path);
	char *p;

	while ((p = strstr(err, path))) {
		*p = 'F';
		memmove(p + 1, p + plen, strlen(p + plen) + 1);
	}
}

/**
 * load_text() - load config text through a file
 * @text:	file contents
 *
 * Return: conf_load()'s result; test_err holds the normalized errors
 */
static struct conf *load_text(const char *text)
{
	const char *path = write_cfg(text);
	struct conf *c;

	memset(test_err, 'x', sizeof(test_err));
	c = conf_load(path, test_err, sizeof(test_err));
	normalize_err(test_err, path);
	return c;
}

/**
 * expect_errors() - assert that @text is rejected with exactly @expected
 * @text:	file contents
 * @expected:	the whole error text, path written as "F"
 */
static void expect_errors(const char *text, const char *expected)
{
	struct conf *c = load_text(text);

	cr_assert_null(c, "config was accepted, expected:\n%s", expected);
	cr_assert_str_eq(test_err, expected);
}

/**
 * load_ok() - assert that @text loads without error
 * @text:	file contents
 *
 * Return: the config, to be freed by the caller
 */
static struct conf *load_ok(const char *text)
{
	struct conf *c = load_text(text);

	cr_assert_not_null(c, "unexpected errors:\n%s", test_err);
	cr_assert_str_eq(test_err, "");
	return c;
}

#define IFACE "interface = { name = \"tg0\"; address = \"10.88.0.1/24\"; };\n"

Test(conf, full_config_every_field)
{
	struct conf *c = load_ok(
		"interface = {\n"
		"  type = \"packet\"; name = \"eth1\"; netns = \"client\";\n"
		"  address = \"192.168.5.2/16\"; mac = \"02:AB:cd:00:10:ff\";\n"
		"  mtu = 9000; offload = false; workers = 4;\n"
		"};\n"
		"stats = { listen = \"10.1.2.3:8000\"; };\n"
		"control = { socket = \"/tmp/tg.sock\"; };\n"
		"defaults = { connect_timeout_ms = 1500; idle_timeout_s = 0;\n"
		"  drain_timeout_s = 3600; max_connections = 10000000; retries = 16;\n"
		"  congestion = \"newreno\"; halfclosed_timeout_s = 5; max_lifetime_s = 7200; };\n"
		"listeners = (\n"
		"  { name = \"web-1.a_b\"; address = \"10.88.0.100\"; ports = [8080, 80, 8080, 443];\n"
		"    balance = \"source\"; proxy_protocol = \"v2\"; max_connections = 50; log = true;\n"
		"    backends = (\n"
		"      { address = \"127.0.0.1:8080\"; weight = 0; },\n"
		"      { address = \"10.0.0.2:65535\"; max_connections = 10; }\n"
		"    );\n"
		"    health = { interval_ms = 2000; timeout_ms = 2000; rise = 5; fall = 7; };\n"
		"  },\n"
		"  { name = \"any\"; address = \"*\"; ports = \"9000-9002\";\n"
		"    balance = \"leastconn\"; proxy_protocol = \"v1\"; forward = \"original\"; },\n"
		"  { name = \"r\"; address = \"10.88.0.101\"; port = 80; balance = \"random\";\n"
		"    backends = ( { address = \"127.0.0.1:1\"; weight = 256; } ); }\n"
		");\n");
	const struct conf_listener *l;

	cr_assert_str_eq(c->path, test_path);
	cr_assert_eq(c->iface.type, CONF_LINK_PACKET);
	cr_assert_str_eq(c->iface.name, "eth1");
	cr_assert_str_eq(c->iface.netns, "client");
	cr_assert_eq(c->iface.addr, 0xc0a80502u);
	cr_assert_eq(c->iface.prefix_len, 16);
	cr_assert(c->iface.mac_set);
	cr_assert_arr_eq(c->iface.mac, ((uint8_t[]){ 0x02, 0xab, 0xcd, 0x00, 0x10, 0xff }), 6);
	cr_assert_eq(c->iface.mtu, 9000);
	cr_assert_not(c->iface.offload);
	cr_assert_eq(c->iface.workers, 4);
	cr_assert_eq(c->stats_addr, 0x0a010203u);
	cr_assert_eq(c->stats_port, 8000);
	cr_assert_str_eq(c->control_socket, "/tmp/tg.sock");
	cr_assert_eq(c->defaults.connect_timeout_ms, 1500);
	cr_assert_eq(c->defaults.idle_timeout_s, 0);
	cr_assert_eq(c->defaults.drain_timeout_s, 3600);
	cr_assert_eq(c->defaults.max_connections, 10000000);
	cr_assert_eq(c->defaults.retries, 16);
	cr_assert_eq(c->defaults.congestion, CONF_CC_NEWRENO);
	cr_assert_eq(c->defaults.halfclosed_timeout_s, 5);
	cr_assert_eq(c->defaults.max_lifetime_s, 7200);
	cr_assert_eq(c->listeners[0].max_connections, 50);
	cr_assert_eq(c->listeners[0].backends[0].max_connections, 0);
	cr_assert_eq(c->listeners[0].backends[1].max_connections, 10);
	cr_assert_eq(c->listeners[1].max_connections, 0);
	cr_assert(c->listeners[0].log);
	cr_assert_not(c->listeners[1].log);
	cr_assert_eq(c->n_listeners, 3);

	l = &c->listeners[0];
	cr_assert_str_eq(l->name, "web-1.a_b");
	cr_assert_eq(l->line, 12);
	cr_assert_eq(l->addr, 0x0a580064u);
	cr_assert_not(l->any_addr);
	cr_assert_eq(l->n_ports, 3);
	cr_assert_arr_eq(l->ports, ((uint16_t[]){ 80, 443, 8080 }), 3 * sizeof(uint16_t));
	cr_assert_eq(l->balance, CONF_BALANCE_SOURCE);
	cr_assert_eq(l->proxy_protocol, CONF_PP_V2);
	cr_assert_not(l->forward_original);
	cr_assert_eq(l->n_backends, 2);
	cr_assert_eq(l->backends[0].addr, 0x7f000001u);
	cr_assert_eq(l->backends[0].port, 8080);
	cr_assert_eq(l->backends[0].weight, 0);
	cr_assert_eq(l->backends[0].line, 15);
	cr_assert_eq(l->backends[1].addr, 0x0a000002u);
	cr_assert_eq(l->backends[1].port, 65535);
	cr_assert_eq(l->backends[1].weight, 1);
	cr_assert_eq(l->backends[1].line, 16);
	cr_assert(l->health.enabled);
	cr_assert_eq(l->health.interval_ms, 2000);
	cr_assert_eq(l->health.timeout_ms, 2000);
	cr_assert_eq(l->health.rise, 5);
	cr_assert_eq(l->health.fall, 7);

	l = &c->listeners[1];
	cr_assert_str_eq(l->name, "any");
	cr_assert_eq(l->line, 20);
	cr_assert(l->any_addr);
	cr_assert_eq(l->addr, 0);
	cr_assert_eq(l->n_ports, 3);
	cr_assert_arr_eq(l->ports, ((uint16_t[]){ 9000, 9001, 9002 }), 3 * sizeof(uint16_t));
	cr_assert_eq(l->balance, CONF_BALANCE_LEASTCONN);
	cr_assert_eq(l->proxy_protocol, CONF_PP_V1);
	cr_assert(l->forward_original);
	cr_assert_eq(l->n_backends, 0);
	cr_assert_null(l->backends);
	cr_assert_not(l->health.enabled);

	l = &c->listeners[2];
	cr_assert_eq(l->n_ports, 1);
	cr_assert_eq(l->ports[0], 80);
	cr_assert_eq(l->balance, CONF_BALANCE_RANDOM);
	cr_assert_eq(l->backends[0].weight, 256);
	conf_free(c);
}

Test(conf, minimal_config_gets_defaults)
{
	struct conf *c = load_ok(IFACE);

	cr_assert_eq(c->iface.type, CONF_LINK_TAP);
	cr_assert_str_eq(c->iface.name, "tg0");
	cr_assert_str_eq(c->iface.netns, "");
	cr_assert_eq(c->iface.addr, 0x0a580001u);
	cr_assert_eq(c->iface.prefix_len, 24);
	cr_assert_not(c->iface.mac_set);
	cr_assert_arr_eq(c->iface.mac, ((uint8_t[])CONF_DEFAULT_MAC), 6);
	cr_assert_eq(c->iface.mtu, 1500);
	cr_assert(c->iface.offload);
	cr_assert_eq(c->iface.workers, 1);
	cr_assert_eq(c->stats_addr, 0x7f000001u);
	cr_assert_eq(c->stats_port, 9180);
	cr_assert_str_eq(c->control_socket, "/run/tcpgate/control.sock");
	cr_assert_eq(c->defaults.connect_timeout_ms, 3000);
	cr_assert_eq(c->defaults.idle_timeout_s, 600);
	cr_assert_eq(c->defaults.drain_timeout_s, 30);
	cr_assert_eq(c->defaults.max_connections, 100000);
	cr_assert_eq(c->defaults.retries, 2);
	cr_assert_eq(c->defaults.halfclosed_timeout_s, 60);
	cr_assert_eq(c->defaults.max_lifetime_s, 0);
	cr_assert_eq(c->defaults.congestion, CONF_CC_CUBIC);
	cr_assert_eq(c->n_listeners, 0);
	cr_assert_null(c->listeners);
	conf_free(c);
}

Test(conf, listener_defaults_and_empty_groups)
{
	struct conf *c = load_ok(IFACE
		"stats = {}; control = {}; defaults = {};\n"
		"listeners = ( { name = \"a\"; address = \"10.88.0.9\"; port = 22;\n"
		"  forward = \"original\"; health = {}; } );\n");
	const struct conf_listener *l = &c->listeners[0];

	cr_assert_eq(c->stats_port, 9180);
	cr_assert_eq(l->balance, CONF_BALANCE_ROUNDROBIN);
	cr_assert_eq(l->proxy_protocol, CONF_PP_OFF);
	cr_assert(l->health.enabled);
	cr_assert_eq(l->health.interval_ms, 1000);
	cr_assert_eq(l->health.timeout_ms, 500);
	cr_assert_eq(l->health.rise, 2);
	cr_assert_eq(l->health.fall, 3);
	conf_free(c);
}

Test(conf, health_default_timeout_follows_short_interval)
{
	struct conf *c = load_ok(IFACE
		"listeners = ( { name = \"a\"; address = \"10.88.0.9\"; port = 22;\n"
		"  forward = \"original\"; health = { interval_ms = 100; }; } );\n");

	cr_assert_eq(c->listeners[0].health.interval_ms, 100);
	cr_assert_eq(c->listeners[0].health.timeout_ms, 100);
	conf_free(c);
}

Test(conf, empty_listener_list_and_array)
{
	struct conf *c = load_ok(IFACE "listeners = ();\n");

	cr_assert_eq(c->n_listeners, 0);
	conf_free(c);
	c = load_ok(IFACE "listeners = [];\n");
	cr_assert_eq(c->n_listeners, 0);
	conf_free(c);
}

Test(conf, stats_empty_listen_disables)
{
	struct conf *c = load_ok(IFACE "stats = { listen = \"\"; };\n");

	cr_assert_eq(c->stats_port, 0);
	conf_free(c);
}

Test(conf, example_file_loads)
{
	char path[512], err[ERR_MAX];
	const char *src = __FILE__;
	const char *tail = strstr(src, "tests/unit/test_conf.c");
	struct conf *c;

	snprintf(path, sizeof(path), "%.*sconf/tcpgate.cfg.example",
		 (int)(tail ? tail - src : 0), src);
	c = conf_load(path, err, sizeof(err));
	cr_assert_not_null(c, "%s", err);
	cr_assert_str_eq(c->iface.name, "tcpgate0");
	cr_assert_eq(c->n_listeners, 2);
	cr_assert_str_eq(c->listeners[0].name, "web");
	cr_assert_eq(c->listeners[0].n_backends, 2);
	cr_assert_eq(c->listeners[0].backends[1].weight, 3);
	cr_assert(c->listeners[1].forward_original);
	cr_assert_eq(c->listeners[1].n_ports, 100);
	conf_free(c);
}

Test(conf, missing_file)
{
	char err[256];

	cr_assert_null(conf_load("/nonexistent/tcpgate.cfg", err, sizeof(err)));
	cr_assert_str_eq(err, "/nonexistent/tcpgate.cfg: cannot open: No such file or directory\n");
}

Test(conf, syntax_error)
{
	expect_errors("interface = {\n  name = \"tg0\";\n  address = ;\n};\n",
		      "F:3: syntax error\n");
}

Test(conf, duplicate_setting_is_a_syntax_error)
{
	expect_errors("interface = {\n  name = \"a\";\n  name = \"b\";\n};\n",
		      "F:3: duplicate setting name\n");
}

Test(conf, unknown_keys_at_every_level)
{
	expect_errors(
		"interface = { name = \"tg0\"; address = \"10.88.0.1/24\";\n"
		"  speed = 10; };\n"
		"stats = { port = 1; };\n"
		"control = { path = \"/x\"; };\n"
		"defaults = { timeout = 1; };\n"
		"color = \"blue\";\n"
		"listeners = ( { name = \"w\"; address = \"*\"; port = 1;\n"
		"  prot = 1;\n"
		"  backends = ( { address = \"1.2.3.4:5\";\n"
		"    wieght = 2; } );\n"
		"  health = { every = 3; }; } );\n",
		"F:2: unknown key 'speed' in interface (valid: type, name, netns, address, mac, mtu, offload, workers, fault)\n"
		"F:3: unknown key 'port' in stats (valid: listen)\n"
		"F:4: unknown key 'path' in control (valid: socket)\n"
		"F:5: unknown key 'timeout' in defaults (valid: connect_timeout_ms, idle_timeout_s, drain_timeout_s, max_connections, retries, congestion, halfclosed_timeout_s, max_lifetime_s)\n"
		"F:6: unknown top-level key 'color' (valid: interface, stats, control, defaults, listeners, user, log_level)\n"
		"F:8: unknown key 'prot' in listener 'w' (valid: name, address, port, ports, balance, proxy_protocol, backends, forward, health, max_connections, log)\n"
		"F:10: unknown key 'wieght' in backend #1 of listener 'w' (valid: address, weight, max_connections)\n"
		"F:11: unknown key 'every' in health of listener 'w' (valid: interval_ms, timeout_ms, rise, fall)\n");
}

Test(conf, wrong_types)
{
	expect_errors(
		"interface = { name = 7; address = \"10.88.0.1/24\";\n"
		"  mtu = \"1500\";\n"
		"  offload = 1;\n"
		"  workers = 2.0;\n"
		"  type = true; };\n"
		"stats = \"127.0.0.1:1\";\n"
		"defaults = { retries = [1]; };\n"
		"listeners = ( { name = \"a\"; address = \"*\"; port = \"80\";\n"
		"  backends = { address = \"1.2.3.4:5\"; };\n"
		"  health = 1; },\n"
		"  { name = \"b\"; address = 10; ports = { p = 1; }; forward = \"original\"; },\n"
		"  \"c\" );\n",
		"F:1: 'name' in interface must be a string, not an integer\n"
		"F:2: 'mtu' in interface must be an integer, not a string\n"
		"F:3: 'offload' in interface must be a boolean, not an integer\n"
		"F:4: 'workers' in interface must be an integer, not a float\n"
		"F:5: 'type' in interface must be a string, not a boolean\n"
		"F:6: 'stats' in the configuration must be a group { ... }, not a string\n"
		"F:7: 'retries' in defaults must be an integer, not an array [ ... ]\n"
		"F:8: 'port' in listener 'a' must be an integer, not a string\n"
		"F:9: 'backends' in listener 'a' must be a list ( { address = \"IP:PORT\"; }, ... ), not a group { ... }\n"
		"F:10: 'health' in listener 'a' must be a group { ... }, not an integer\n"
		"F:11: 'address' in listener 'b' must be a string, not an integer\n"
		"F:11: 'ports' in listener 'b' must be an array [80, 443] or a range string \"A-B\", not a group { ... }\n"
		"F:12: listener #3 must be a group { ... }, not a string\n");
}

Test(conf, listeners_must_be_a_list)
{
	expect_errors(IFACE "listeners = { name = \"a\"; };\n",
		      "F:2: 'listeners' must be a list ( { ... }, ... ), not a group { ... }\n");
}

Test(conf, bad_ipv4_addresses)
{
	expect_errors(
		"interface = { name = \"tg0\";\n"
		"  address = \"10.88.0/24\"; };\n"
		"stats = { listen = \"127.0.0.256:80\"; };\n"
		"listeners = (\n"
		"  { name = \"a\"; address = \"10.0.0.1 \"; port = 1; forward = \"original\"; },\n"
		"  { name = \"b\"; address = \"0.0.0.0\"; port = 1; forward = \"original\"; },\n"
		"  { name = \"c\"; address = \"224.0.0.1\"; port = 1;\n"
		"    backends = ( { address = \"1.2.3:80\"; }, { address = \"localhost:80\"; } ); } );\n",
		"F:2: 'address' in interface must be \"A.B.C.D/LEN\" with LEN 1..32 (got '10.88.0/24')\n"
		"F:3: 'listen' in stats must be \"A.B.C.D:PORT\" with PORT 1..65535, or \"\" to disable (got '127.0.0.256:80')\n"
		"F:5: 'address' in listener 'a' must be an IPv4 address \"A.B.C.D\" or \"*\" (got '10.0.0.1 ')\n"
		"F:6: 'address' in listener 'b' must be a unicast address, or \"*\" for any (got '0.0.0.0')\n"
		"F:7: 'address' in listener 'c' must be a unicast address, or \"*\" for any (got '224.0.0.1')\n"
		"F:8: 'address' in backend #1 of listener 'c' must be \"A.B.C.D:PORT\" with PORT 1..65535 (got '1.2.3:80')\n"
		"F:8: 'address' in backend #2 of listener 'c' must be \"A.B.C.D:PORT\" with PORT 1..65535 (got 'localhost:80')\n");
}

Test(conf, bad_prefix)
{
	static const char *const bad[] = {
		"10.88.0.1/33", "10.88.0.1/0", "10.88.0.1", "10.88.0.1/", "10.88.0.1/2a",
		"10.88.0.1/-8",
	};
	char text[256], want[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text),
			 "interface = {\n  name = \"tg0\";\n  address = \"%s\";\n};\n", bad[i]);
		snprintf(want, sizeof(want),
			 "F:3: 'address' in interface must be \"A.B.C.D/LEN\" with LEN 1..32 (got '%s')\n",
			 bad[i]);
		expect_errors(text, want);
	}
}

Test(conf, interface_address_must_be_a_host)
{
	static const char *const bad[] = {
		"10.88.0.0/24", "10.88.0.255/24", "0.0.0.0/8", "239.1.1.1/24", "255.255.255.255/32",
	};
	char text[256], want[320];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text),
			 "interface = { name = \"tg0\"; address = \"%s\"; };\n", bad[i]);
		snprintf(want, sizeof(want),
			 "F:1: 'address' in interface must be a unicast host address, not the network, "
			 "broadcast, multicast or unspecified address (got '%s')\n", bad[i]);
		expect_errors(text, want);
	}
	conf_free(load_ok("interface = { name = \"tg0\"; address = \"10.0.0.0/31\"; };\n"));
	conf_free(load_ok("interface = { name = \"tg0\"; address = \"10.0.0.7/32\"; };\n"));
}

Test(conf, bad_mac)
{
	expect_errors("interface = { name = \"tg0\"; address = \"10.88.0.1/24\";\n"
		      "  mac = \"02:00:00:00:00\"; };\n",
		      "F:2: 'mac' in interface must be \"xx:xx:xx:xx:xx:xx\" in hex (got '02:00:00:00:00')\n");
	expect_errors("interface = { name = \"tg0\"; address = \"10.88.0.1/24\";\n"
		      "  mac = \"02-00-00-00-00-01\"; };\n",
		      "F:2: 'mac' in interface must be \"xx:xx:xx:xx:xx:xx\" in hex (got '02-00-00-00-00-01')\n");
	expect_errors("interface = { name = \"tg0\"; address = \"10.88.0.1/24\";\n"
		      "  mac = \"0g:00:00:00:00:01\"; };\n",
		      "F:2: 'mac' in interface must be \"xx:xx:xx:xx:xx:xx\" in hex (got '0g:00:00:00:00:01')\n");
	expect_errors("interface = { name = \"tg0\"; address = \"10.88.0.1/24\";\n"
		      "  mac = \"33:33:00:00:00:01\"; };\n",
		      "F:2: 'mac' in interface must be a unicast address: the low bit of the first byte is set (got '33:33:00:00:00:01')\n");
	expect_errors("interface = { name = \"tg0\"; address = \"10.88.0.1/24\";\n"
		      "  mac = \"00:00:00:00:00:00\"; };\n",
		      "F:2: 'mac' in interface must not be all zeros\n");
}

Test(conf, interface_name_and_netns)
{
	expect_errors("interface = { address = \"10.88.0.1/24\";\n"
		      "  name = \"sixteen-chars-xx\";\n"
		      "  netns = \"../etc\"; };\n",
		      "F:2: 'name' in interface must be 1 to 15 characters, not '.' or '..', without '/', ':' or spaces (got 'sixteen-chars-xx')\n"
		      "F:3: 'netns' in interface must be a plain name from /run/netns: no '/', not '.' or '..', at most 63 characters (got '../etc')\n");
	expect_errors("interface = { address = \"10.88.0.1/24\"; name = \"a:b\"; netns = \"..\"; };\n",
		      "F:1: 'name' in interface must be 1 to 15 characters, not '.' or '..', without '/', ':' or spaces (got 'a:b')\n"
		      "F:1: 'netns' in interface must be a plain name from /run/netns: no '/', not '.' or '..', at most 63 characters (got '..')\n");
	expect_errors("interface = { address = \"10.88.0.1/24\"; name = \"\"; };\n",
		      "F:1: 'name' in interface must be 1 to 15 characters, not '.' or '..', without '/', ':' or spaces (got '')\n");
	conf_free(load_ok("interface = { address = \"10.88.0.1/24\"; name = \"fifteen-chars-x\"; };\n"));
}

Test(conf, integer_ranges)
{
	expect_errors(
		"interface = { name = \"tg0\"; address = \"10.88.0.1/24\";\n"
		"  mtu = 575;\n"
		"  workers = 65; };\n"
		"defaults = {\n"
		"  connect_timeout_ms = 0;\n"
		"  idle_timeout_s = 2592001;\n"
		"  drain_timeout_s = -1;\n"
		"  max_connections = 10000000000L;\n"
		"  retries = 17; };\n",
		"F:2: 'mtu' in interface must be between 576 and 9000 (got 575)\n"
		"F:3: 'workers' in interface must be between 1 and 64 (got 65)\n"
		"F:5: 'connect_timeout_ms' in defaults must be between 1 and 600000 (got 0)\n"
		"F:6: 'idle_timeout_s' in defaults must be between 0 and 2592000 (got 2592001)\n"
		"F:7: 'drain_timeout_s' in defaults must be between 0 and 3600 (got -1)\n"
		"F:8: 'max_connections' in defaults must be between 1 and 10000000 (got 10000000000)\n"
		"F:9: 'retries' in defaults must be between 0 and 16 (got 17)\n");
}

Test(conf, ports_out_of_range)
{
	expect_errors(IFACE
		"listeners = (\n"
		"  { name = \"a\"; address = \"*\"; port = 0; forward = \"original\"; },\n"
		"  { name = \"b\"; address = \"*\"; port = 65536; forward = \"original\"; },\n"
		"  { name = \"c\"; address = \"*\"; ports = [1, 70000]; forward = \"original\"; },\n"
		"  { name = \"d\"; address = \"*\"; ports = [];\n"
		"    backends = ( { address = \"1.2.3.4:0\"; }, { address = \"1.2.3.4:65536\"; } ); } );\n",
		"F:3: 'port' in listener 'a' must be between 1 and 65535 (got 0)\n"
		"F:4: 'port' in listener 'b' must be between 1 and 65535 (got 65536)\n"
		"F:5: element 2 of 'ports' in listener 'c' must be between 1 and 65535 (got 70000)\n"
		"F:6: 'ports' in listener 'd' must not be empty\n"
		"F:7: 'address' in backend #1 of listener 'd' must be \"A.B.C.D:PORT\" with PORT 1..65535 (got '1.2.3.4:0')\n"
		"F:7: 'address' in backend #2 of listener 'd' must be \"A.B.C.D:PORT\" with PORT 1..65535 (got '1.2.3.4:65536')\n");
}

Test(conf, bad_port_range_strings)
{
	static const char *const bad[] = {
		"80", "80-", "-80", "a-b", "0-10", "1-65536", "80 - 90", "+1-2", "1-2-3",
	};
	char text[256], want[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), IFACE
			 "listeners = ( { name = \"a\"; address = \"*\"; forward = \"original\";\n"
			 "  ports = \"%s\"; } );\n", bad[i]);
		snprintf(want, sizeof(want),
			 "F:3: 'ports' in listener 'a' must be a range \"A-B\" of ports 1..65535 (got '%s')\n",
			 bad[i]);
		expect_errors(text, want);
	}
	expect_errors(IFACE
		      "listeners = ( { name = \"a\"; address = \"*\"; forward = \"original\";\n"
		      "  ports = \"90-80\"; } );\n",
		      "F:3: 'ports' in listener 'a': range '90-80' is reversed, the first port must not exceed the second\n");
}

Test(conf, port_range_single_and_full)
{
	struct conf *c = load_ok(IFACE
		"listeners = ( { name = \"a\"; address = \"10.88.0.5\"; ports = \"443-443\"; forward = \"original\"; },\n"
		"  { name = \"b\"; address = \"10.88.0.6\"; ports = \"1-65535\"; forward = \"original\"; } );\n");

	cr_assert_eq(c->listeners[0].n_ports, 1);
	cr_assert_eq(c->listeners[0].ports[0], 443);
	cr_assert_eq(c->listeners[1].n_ports, 65535);
	cr_assert_eq(c->listeners[1].ports[0], 1);
	cr_assert_eq(c->listeners[1].ports[65534], 65535);
	conf_free(c);
}

Test(conf, port_and_ports_exclusive)
{
	expect_errors(IFACE
		"listeners = ( { name = \"a\"; address = \"*\"; forward = \"original\";\n"
		"  port = 80;\n"
		"  ports = [81]; },\n"
		"  { name = \"b\"; address = \"*\"; forward = \"original\"; } );\n",
		"F:4: listener 'a' has both 'port' and 'ports'; keep one\n"
		"F:5: missing 'port' or 'ports' in listener 'b'\n");
}

Test(conf, missing_required_keys)
{
	expect_errors("stats = { listen = \"\"; };\n",
		      "F:1: missing required group 'interface'\n");
	expect_errors("\n"
		      "interface = {\n"
		      "  mtu = 1500;\n"
		      "};\n",
		      "F:2: missing required key 'name' in interface\n"
		      "F:2: missing required key 'address' in interface\n");
	expect_errors(IFACE
		      "listeners = (\n"
		      "  { address = \"*\"; port = 1; forward = \"original\"; },\n"
		      "  { name = \"b\"; forward = \"original\"; },\n"
		      "  { name = \"c\"; address = \"*\"; port = 2;\n"
		      "    backends = ( { weight = 1; } ); } );\n",
		      "F:3: missing required key 'name' in listener #1\n"
		      "F:4: missing required key 'address' in listener 'b'\n"
		      "F:4: missing 'port' or 'ports' in listener 'b'\n"
		      "F:6: missing required key 'address' in backend #1 of listener 'c'\n");
}

Test(conf, bad_listener_names)
{
	expect_errors(IFACE
		      "listeners = (\n"
		      "  { name = \"has space\"; address = \"*\"; port = 1; forward = \"original\"; },\n"
		      "  { name = \"\"; address = \"*\"; port = 2; forward = \"original\"; },\n"
		      "  { name = \"a234567890123456789012345678901234567890123456789012345678901234\";\n"
		      "    address = \"*\"; port = 3; forward = \"original\"; } );\n",
		      "F:3: 'name' in listener #1 must be 1 to 63 characters of A-Z a-z 0-9 _ . - (got 'has space')\n"
		      "F:4: 'name' in listener #2 must be 1 to 63 characters of A-Z a-z 0-9 _ . - (got '')\n"
		      "F:5: 'name' in listener #3 must be 1 to 63 characters of A-Z a-z 0-9 _ . - (got "
		      "'a234567890123456789012345678901234567890123456789012345678901234')\n");
}

Test(conf, duplicate_listener_name)
{
	expect_errors(IFACE
		      "listeners = (\n"
		      "  { name = \"web\"; address = \"10.88.0.5\"; port = 80; forward = \"original\"; },\n"
		      "  { address = \"10.88.0.6\"; port = 80; forward = \"original\";\n"
		      "    name = \"web\"; } );\n",
		      "F:5: duplicate listener name 'web' (first defined at line 3)\n");
}

Test(conf, conflicting_listeners_same_address)
{
	expect_errors(IFACE
		      "listeners = (\n"
		      "  { name = \"a\"; address = \"10.88.0.5\"; ports = \"8000-8099\"; forward = \"original\"; },\n"
		      "  { name = \"b\"; address = \"10.88.0.6\"; port = 8050; forward = \"original\"; },\n"
		      "  { name = \"c\"; address = \"10.88.0.5\"; ports = [9000, 8050, 8099]; forward = \"original\"; } );\n",
		      "F:5: listener 'c' conflicts with listener 'a' (line 3): both accept port 8050 on 10.88.0.5\n");
}

Test(conf, conflicting_listeners_wildcard)
{
	expect_errors(IFACE
		      "listeners = (\n"
		      "  { name = \"vip\"; address = \"10.88.0.5\"; port = 443; forward = \"original\"; },\n"
		      "  { name = \"any\"; address = \"*\"; ports = [80, 443]; forward = \"original\"; },\n"
		      "  { name = \"any2\"; address = \"*\"; port = 80; forward = \"original\"; } );\n",
		      "F:4: listener 'any' conflicts with listener 'vip' (line 3): both accept port 443 on 10.88.0.5 ('*' matches any address)\n"
		      "F:5: listener 'any2' conflicts with listener 'any' (line 4): both accept port 80 on *\n");
}

Test(conf, disjoint_listeners_do_not_conflict)
{
	struct conf *c = load_ok(IFACE
		"listeners = (\n"
		"  { name = \"a\"; address = \"10.88.0.5\"; port = 80; forward = \"original\"; },\n"
		"  { name = \"b\"; address = \"10.88.0.6\"; port = 80; forward = \"original\"; },\n"
		"  { name = \"c\"; address = \"*\"; ports = \"81-90\"; forward = \"original\"; },\n"
		"  { name = \"d\"; address = \"10.88.0.5\"; ports = [79, 91]; forward = \"original\"; } );\n");

	cr_assert_eq(c->n_listeners, 4);
	conf_free(c);
}

Test(conf, backends_and_forward_exclusive)
{
	expect_errors(IFACE
		      "listeners = (\n"
		      "  { name = \"both\"; address = \"*\"; port = 1;\n"
		      "    backends = ( { address = \"127.0.0.1:80\"; } );\n"
		      "    forward = \"original\"; },\n"
		      "  { name = \"neither\"; address = \"*\"; port = 2; },\n"
		      "  { name = \"fw\"; address = \"*\"; port = 3;\n"
		      "    forward = \"destination\"; },\n"
		      "  { name = \"empty\"; address = \"*\"; port = 4;\n"
		      "    backends = (); } );\n",
		      "F:5: listener 'both' has both 'backends' and 'forward'; use one\n"
		      "F:6: listener 'neither' needs 'backends' or forward = \"original\"\n"
		      "F:8: 'forward' in listener 'fw' must be \"original\" (got 'destination')\n"
		      "F:10: 'backends' in listener 'empty' must not be empty\n");
}

Test(conf, duplicate_backend)
{
	expect_errors(IFACE
		      "listeners = ( { name = \"web\"; address = \"*\"; port = 80; backends = (\n"
		      "  { address = \"127.0.0.1:8080\"; },\n"
		      "  { address = \"127.0.0.1:8081\"; },\n"
		      "  { address = \"127.0.0.1:8080\"; weight = 5; }\n"
		      "); } );\n",
		      "F:5: duplicate backend 127.0.0.1:8080 in listener 'web' (first at line 3)\n");
}

Test(conf, backend_weight_and_shape)
{
	expect_errors(IFACE
		      "listeners = ( { name = \"web\"; address = \"*\"; port = 80; backends = (\n"
		      "  { address = \"127.0.0.1:8080\"; weight = 257; },\n"
		      "  \"127.0.0.1:8081\" ); } );\n",
		      "F:3: 'weight' in backend #1 of listener 'web' must be between 0 and 256 (got 257)\n"
		      "F:4: backend #2 of listener 'web' must be a group { address = \"IP:PORT\"; }, not a string\n");
}

Test(conf, bad_enum_values)
{
	expect_errors(
		"interface = { name = \"tg0\"; address = \"10.88.0.1/24\";\n"
		"  type = \"tun\"; };\n"
		"defaults = { congestion = \"bbr\"; };\n"
		"listeners = ( { name = \"a\"; address = \"*\"; port = 1; forward = \"original\";\n"
		"  balance = \"round-robin\";\n"
		"  proxy_protocol = \"v3\"; } );\n",
		"F:2: 'type' in interface must be one of tap, packet (got 'tun')\n"
		"F:3: 'congestion' in defaults must be one of cubic, newreno (got 'bbr')\n"
		"F:5: 'balance' in listener 'a' must be one of roundrobin, leastconn, source, random (got 'round-robin')\n"
		"F:6: 'proxy_protocol' in listener 'a' must be one of off, v1, v2 (got 'v3')\n");
}

Test(conf, health_checks)
{
	expect_errors(IFACE
		      "listeners = ( { name = \"a\"; address = \"*\"; port = 1; forward = \"original\";\n"
		      "  health = { interval_ms = 9;\n"
		      "    timeout_ms = 0; rise = 0; fall = 0; }; },\n"
		      "  { name = \"b\"; address = \"*\"; port = 2; forward = \"original\";\n"
		      "  health = { interval_ms = 100;\n"
		      "    timeout_ms = 101; }; } );\n",
		      "F:3: 'interval_ms' in health of listener 'a' must be between 10 and 3600000 (got 9)\n"
		      "F:4: 'timeout_ms' in health of listener 'a' must be between 1 and 3600000 (got 0)\n"
		      "F:4: 'rise' in health of listener 'a' must be between 1 and 1000 (got 0)\n"
		      "F:4: 'fall' in health of listener 'a' must be between 1 and 1000 (got 0)\n"
		      "F:7: 'timeout_ms' in health of listener 'b' must not exceed 'interval_ms' (got 101 > 100)\n");
}

Test(conf, control_socket_path)
{
	char text[512], want[512], longpath[200];

	expect_errors(IFACE "control = { socket = \"run/ctl.sock\"; };\n",
		      "F:2: 'socket' in control must be an absolute path (got 'run/ctl.sock')\n");
	memset(longpath, 'a', sizeof(longpath));
	longpath[0] = '/';
	longpath[108] = '\0';
	snprintf(text, sizeof(text), IFACE "control = { socket = \"%s\"; };\n", longpath);
	snprintf(want, sizeof(want), "F:2: 'socket' in control must be shorter than 108 characters, "
		 "the unix socket limit (got 108)\n");
	expect_errors(text, want);
	longpath[107] = '\0';
	snprintf(text, sizeof(text), IFACE "control = { socket = \"%s\"; };\n", longpath);
	conf_free(load_ok(text));
}

Test(conf, several_errors_all_reported_in_line_order)
{
	expect_errors(
		"listeners = (\n"
		"  { name = \"a\"; address = \"10.0.0.300\"; port = 80; balance = \"fast\";\n"
		"    backends = ( { address = \"127.0.0.1:80\"; }, { address = \"127.0.0.1:80\"; } ); },\n"
		"  { name = \"a\"; address = \"*\"; port = 80; }\n"
		");\n"
		"interface = { name = \"tg0\"; address = \"10.88.0.1/24\"; mtu = 100; };\n"
		"stats = { listen = \"127.0.0.1\"; };\n"
		"bogus = 1;\n",
		"F:2: 'address' in listener 'a' must be an IPv4 address \"A.B.C.D\" or \"*\" (got '10.0.0.300')\n"
		"F:2: 'balance' in listener 'a' must be one of roundrobin, leastconn, source, random (got 'fast')\n"
		"F:3: duplicate backend 127.0.0.1:80 in listener 'a' (first at line 3)\n"
		"F:4: listener 'a' needs 'backends' or forward = \"original\"\n"
		"F:4: duplicate listener name 'a' (first defined at line 2)\n"
		"F:6: 'mtu' in interface must be between 576 and 9000 (got 100)\n"
		"F:7: 'listen' in stats must be \"A.B.C.D:PORT\" with PORT 1..65535, or \"\" to disable (got '127.0.0.1')\n"
		"F:8: unknown top-level key 'bogus' (valid: interface, stats, control, defaults, listeners, user, log_level)\n");
}

Test(conf, small_error_buffer_keeps_whole_lines)
{
	const char *path = write_cfg(IFACE "a = 1;\nb = 2;\nc = 3;\n");
	char err[256];
	char want[256];
	int n;

	cr_assert_null(conf_load(path, err, sizeof(err)));
	n = snprintf(want, sizeof(want),
		     "%s:2: unknown top-level key 'a' (valid: interface, stats, control, defaults, listeners, user, log_level)\n",
		     path);
	cr_assert_lt(n, 256);
	/* the second line does not fit: the first whole, then how many are left */
	snprintf(want + n, sizeof(want) - (size_t)n, "%s: 2 more problems not shown\n", path);
	cr_assert_str_eq(err, want);

	/* a buffer for the note alone still says how many there are */
	cr_assert_null(conf_load(path, err, (size_t)snprintf(NULL, 0, "%s: 3 more problems not shown\n", path) + 1));
	snprintf(want, sizeof(want), "%s: 3 more problems not shown\n", path);
	cr_assert_str_eq(err, want);

	/* too small even for the note: empty rather than a cut-off line
	 * (regression input crashers/fuzz_conf/note-truncated-partial-line) */
	cr_assert_null(conf_load(path, err, 12));
	cr_assert_str_eq(err, "");

	cr_assert_null(conf_load(path, NULL, 0));
}

Test(conf, include_refused_before_libconfig_sees_it)
{
	/* libconfig 1.5 exit()s on an empty @include name (fuzz_conf finding) */
	expect_errors(IFACE "  @include \"\"\n@INCLUDE \"x.cfg\"\n",
		      "F:2: @include is not supported: keep the configuration in one file\n"
		      "F:3: @include is not supported: keep the configuration in one file\n");
}

Test(conf, control_bytes_in_values_keep_one_line_per_problem)
{
	/* a newline inside a quoted value (fuzz_conf finding) */
	expect_errors("interface = { name = \"tg0\"; address = \"10.\\n1/24\"; };\n",
		      "F:1: 'address' in interface must be \"A.B.C.D/LEN\" with LEN 1..32 (got '10.?1/24')\n");
}

Test(conf, name_tables)
{
	cr_assert_str_eq(conf_balance_names[CONF_BALANCE_ROUNDROBIN], "roundrobin");
	cr_assert_str_eq(conf_balance_names[CONF_BALANCE_LEASTCONN], "leastconn");
	cr_assert_str_eq(conf_balance_names[CONF_BALANCE_SOURCE], "source");
	cr_assert_str_eq(conf_balance_names[CONF_BALANCE_RANDOM], "random");
	cr_assert_str_eq(conf_proxy_protocol_names[CONF_PP_OFF], "off");
	cr_assert_str_eq(conf_proxy_protocol_names[CONF_PP_V1], "v1");
	cr_assert_str_eq(conf_proxy_protocol_names[CONF_PP_V2], "v2");
	cr_assert_str_eq(conf_congestion_names[CONF_CC_CUBIC], "cubic");
	cr_assert_str_eq(conf_congestion_names[CONF_CC_NEWRENO], "newreno");
}

Test(conf, free_null_is_harmless)
{
	conf_free(NULL);
}

Test(conf, fault_injector_absent_by_default)
{
	struct conf *c = load_ok(IFACE);

	cr_assert(!c->iface.fault.enabled);
	cr_assert_eq(c->iface.fault.seed, 1);
	cr_assert_eq(c->iface.fault.reorder_delay_ms, 5);
	conf_free(c);
}

Test(conf, fault_injector_every_field)
{
	struct conf *c = load_ok(
		"interface = { name = \"tg0\"; address = \"10.88.0.1/24\";\n"
		"  fault = { seed = 42; drop = 0.5; duplicate = 2; reorder = 5.0;\n"
		"            reorder_delay_ms = 7; corrupt = 1.0; truncate = 0.25;\n"
		"            direction = \"in\"; }; };\n");

	cr_assert(c->iface.fault.enabled);
	cr_assert_eq(c->iface.fault.seed, 42);
	cr_assert_float_eq(c->iface.fault.drop, 0.5, 1e-9);
	cr_assert_float_eq(c->iface.fault.duplicate, 2.0, 1e-9);
	cr_assert_float_eq(c->iface.fault.reorder, 5.0, 1e-9);
	cr_assert_float_eq(c->iface.fault.corrupt, 1.0, 1e-9);
	cr_assert_float_eq(c->iface.fault.truncate, 0.25, 1e-9);
	cr_assert_eq(c->iface.fault.reorder_delay_ms, 7);
	cr_assert_eq(c->iface.fault.direction, CONF_FAULT_IN);
	conf_free(c);
	c = load_ok("interface = { name = \"tg0\"; address = \"10.88.0.1/24\";\n"
		    "  fault = { }; };\n");
	cr_assert(c->iface.fault.enabled, "an empty group turns it on (no faults)");
	cr_assert_eq(c->iface.fault.direction, CONF_FAULT_BOTH);
	conf_free(c);
}

Test(conf, fault_injector_errors)
{
	expect_errors(
		"interface = { name = \"tg0\"; address = \"10.88.0.1/24\";\n"
		"  fault = {\n"
		"    drop = 100.5;\n"
		"    duplicate = -1;\n"
		"    reorder = \"5\";\n"
		"    reorder_delay_ms = 20000;\n"
		"    corrupt = true;\n"
		"    direction = \"sideways\";\n"
		"    seed = -3;\n"
		"    jitter = 1; }; };\n",
		"F:3: 'drop' in interface.fault must be between 0 and 100 (got 100.5)\n"
		"F:4: 'duplicate' in interface.fault must be between 0 and 100 (got -1)\n"
		"F:5: 'reorder' in interface.fault must be a number, not a string\n"
		"F:6: 'reorder_delay_ms' in interface.fault must be between 0 and 10000 (got 20000)\n"
		"F:7: 'corrupt' in interface.fault must be a number, not a boolean\n"
		"F:8: 'direction' in interface.fault must be one of both, in, out (got 'sideways')\n"
		"F:9: 'seed' in interface.fault must be between 0 and 4294967295 (got -3)\n"
		"F:10: unknown key 'jitter' in interface.fault (valid: seed, drop, duplicate, reorder, reorder_delay_ms, corrupt, truncate, direction)\n");
	expect_errors(
		"interface = { name = \"tg0\"; address = \"10.88.0.1/24\";\n"
		"  fault = 5; };\n",
		"F:2: 'fault' in interface must be a group { ... }, not an integer\n");
}
