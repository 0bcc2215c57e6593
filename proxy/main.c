// SPDX-License-Identifier: MIT
/*
 * main.c - tcpgate's command line (DESIGN.md §4)
 *
 * Theory of operation: parse the options, load the configuration, then either
 * report on it (-t) or run: build the listener table, block the signals the
 * supervisor handles (before any thread exists, so every thread inherits the
 * mask), create interface.workers workers (each opens its queue of the link
 * and builds its stack and session table), start the stats server and the
 * control socket on their own threads, drop privileges (config "user"), and
 * hand over to the supervisor (proxy/supervisor.c), which starts the worker
 * threads, runs signals, health checks and reloads on the main thread, and
 * returns after a graceful stop. The running configuration is owned by the
 * runtime (it is replaced on reload), see proxy/runtime.h.
 *
 * Exit codes: 0 ok (and after a graceful stop), 1 configuration error,
 * 2 usage error, 3 failure to start (with a message saying why).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf/conf.h"
#include "proxy/control.h"
#include "proxy/listener.h"
#include "proxy/log.h"
#include "proxy/notify.h"
#include "proxy/privdrop.h"
#include "proxy/runtime.h"
#include "proxy/stats_http.h"
#include "proxy/supervisor.h"
#include "proxy/worker.h"

#define EXIT_CONFIG	1
#define EXIT_USAGE	2
#define EXIT_START	3
#define ERR_LEN		16384

/**
 * struct main_opts - parsed command line
 * @config:	-c FILE
 * @pcap:	--pcap FILE, or NULL
 * @check:	-t: check the configuration only
 * @debug:	-d: log at debug level
 */
struct main_opts {
	const char *config;
	const char *pcap;
	bool check;
	bool debug;
};

/**
 * usage() - print the usage text
 * @f:		stdout for --help, stderr for errors
 */
static void usage(FILE *f)
{
	fputs("Usage: tcpgate -c FILE [--pcap FILE] [-d]\n"
	      "       tcpgate -t -c FILE\n"
	      "       tcpgate --version | --help\n"
	      "\n"
	      "Transparent TCP proxy with a userspace TCP/IPv4 stack.\n"
	      "\n"
	      "  -c, --config FILE  configuration file (libconfig syntax)\n"
	      "  -t, --test         check the configuration, print every problem as\n"
	      "                     FILE:LINE: message, exit 0 if valid, 1 if not\n"
	      "      --pcap FILE    also write every frame on the interface to FILE\n"
	      "  -d, --debug        log at debug level\n"
	      "  -V, --version      print the version\n"
	      "  -h, --help         this text\n"
	      "\n"
	      "Runs in the foreground and logs to stderr. SIGHUP reloads the configuration,\n"
	      "SIGTERM/SIGINT stop gracefully. See tcpgate(8), tcpgatectl(8).\n"
	      "Exit: 0 ok, 1 configuration error, 2 usage error, 3 start failure.\n", f);
}

/**
 * parse_args() - parse the command line
 * @argc:	argument count
 * @argv:	arguments
 * @o:		filled with the options
 *
 * Return: -1 to continue, or an exit code (help, version, usage error)
 */
static int parse_args(int argc, char **argv, struct main_opts *o)
{
	enum { OPT_PCAP = 256 };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "test", no_argument, NULL, 't' },
		{ "pcap", required_argument, NULL, OPT_PCAP },
		{ "debug", no_argument, NULL, 'd' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:tdVh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o->config = optarg; break;
		case 't': o->check = true; break;
		case 'd': o->debug = true; break;
		case OPT_PCAP: o->pcap = optarg; break;
		case 'V': printf("tcpgate %s\n", TCPGATE_VERSION); return EXIT_SUCCESS;
		case 'h': usage(stdout); return EXIT_SUCCESS;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "tcpgate: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!o->config) {
		fprintf(stderr, "tcpgate: -c FILE is required\n");
		usage(stderr);
		return EXIT_USAGE;
	}
	return -1;
}

/**
 * print_errors() - write conf_load()'s error buffer to stderr, a line each
 * @err:	"FILE:LINE: message" lines
 */
static void print_errors(const char *err)
{
	size_t n = strlen(err);

	fputs(err, stderr);
	if (n && err[n - 1] != '\n')
		fputc('\n', stderr);
}

/**
 * check_config() - tcpgate -t: report on the configuration
 * @path:	the file
 *
 * Return: exit code
 */
static int check_config(const char *path)
{
	static char err[ERR_LEN];
	struct conf *cfg = conf_load(path, err, sizeof(err));

	if (!cfg) {
		print_errors(err);
		return EXIT_CONFIG;
	}
	printf("%s: ok\n", path);
	conf_free(cfg);
	return EXIT_SUCCESS;
}

/**
 * drop_privileges() - become config "user", handing it the control socket
 * @cfg:	configuration
 * @ctl:	control server
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: 0 (also when "user" is unset: then tcpgate stays root), or -errno
 */
static int drop_privileges(const struct conf *cfg, struct control *ctl, char *err,
			   size_t errlen)
{
	uid_t uid;
	gid_t gid;
	int ret;

	if (!cfg->user[0])
		return 0;
	ret = privdrop_lookup(cfg->user, &uid, &gid, err, errlen);
	if (ret)
		return ret;
	ret = control_chown(ctl, uid, gid);
	if (ret) {
		snprintf(err, errlen, "control socket: chown to %s: %s", cfg->user, strerror(-ret));
		return ret;
	}
	ret = privdrop_to(uid, gid, err, errlen);
	if (!ret)
		log_info("running as user %s (uid %u), no capabilities", cfg->user, (unsigned)uid);
	return ret;
}

/**
 * apply_log_level() - log_level from the configuration, unless -d was given
 * @cfg:	configuration
 * @debug:	-d on the command line
 */
static void apply_log_level(const struct conf *cfg, bool debug)
{
	if (debug)
		log_set_level(LOG_LVL_DEBUG);
	else if (cfg->log_level != CONF_LOG_UNSET)
		log_set_level((enum log_level)cfg->log_level);
}

/**
 * run() - start everything and run until a graceful stop
 * @cfg:	the configuration; ownership passes to the runtime
 * @pcap:	--pcap file or NULL
 *
 * Return: exit code
 */
static int run(struct conf *cfg, const char *pcap)
{
	static char err[ERR_LEN];
	static struct runtime rt;
	static struct worker *w[RUNTIME_MAX_WORKERS];
	struct worker_link_group group = { 0 };
	struct listener_table lt = { 0 };
	struct stats_http *http = NULL;
	struct control *ctl = NULL;
	unsigned n = cfg->iface.workers;
	int rc = EXIT_START;

	if (listener_table_check(cfg, err, sizeof(err))) {
		print_errors(err);
		conf_free(cfg);
		return EXIT_START;
	}
	if (runtime_init(&rt, cfg, &lt, n)) {
		snprintf(err, sizeof(err), "eventfd: %s", strerror(errno));
		goto fail;
	}
	if (listener_table_init(&lt, cfg, err, sizeof(err)))
		goto fail;
	/* first: the other threads inherit the mask */
	if (supervisor_block_signals()) {
		snprintf(err, sizeof(err), "cannot block signals");
		goto fail;
	}
	for (unsigned i = 0; i < n; i++)
		if (!(w[i] = worker_create(cfg, &lt, &rt, i, &group, pcap, err, sizeof(err))))
			goto fail;
	if (cfg->stats_port && !(http = stats_http_start(&rt, err, sizeof(err))))
		goto fail;
	ctl = control_start(&rt, cfg->control_socket, err, sizeof(err));
	if (!ctl)
		goto fail;
	notify_init();
	if (drop_privileges(cfg, ctl, err, sizeof(err)))
		goto fail;
	log_info("tcpgate %s started: interface %s (%s), %zu listener(s)%s", TCPGATE_VERSION,
		 cfg->iface.name, cfg->iface.type == CONF_LINK_PACKET ? "packet" : "tap", lt.n,
		 cfg->stats_port ? "" : ", stats off");
	rc = supervisor_run(&rt, &lt, w, n, err, sizeof(err));
	if (rc < 0) {
		rc = EXIT_START;
		goto fail;
	}
	rc = rc ? EXIT_START : EXIT_SUCCESS;
	log_info("stopped");
	goto out;
fail:
	log_error("cannot start: %s", err);
out:
	control_stop(ctl);
	stats_http_stop(http);
	for (unsigned i = 0; i < n && i < RUNTIME_MAX_WORKERS; i++)
		worker_destroy(w[i]);
	listener_table_free(&lt);
	runtime_destroy(&rt);
	return rc;
}

/**
 * main() - tcpgate entry point
 * @argc:	argument count
 * @argv:	arguments
 *
 * Return: exit code (see the file comment)
 */
int main(int argc, char **argv)
{
	static char err[ERR_LEN];
	struct main_opts o = { 0 };
	struct conf *cfg;
	int rc = parse_args(argc, argv, &o);

	if (rc >= 0)
		return rc;
	if (o.check)
		return check_config(o.config);
	signal(SIGPIPE, SIG_IGN);
	cfg = conf_load(o.config, err, sizeof(err));
	if (!cfg) {
		print_errors(err);
		return EXIT_CONFIG;
	}
	apply_log_level(cfg, o.debug);
	return run(cfg, o.pcap);
}
