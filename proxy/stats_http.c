// SPDX-License-Identifier: MIT
/*
 * stats_http.c - the read-only JSON stats endpoint
 *
 * Theory of operation: libmicrohttpd runs the server on its own thread
 * (MHD_USE_INTERNAL_POLLING_THREAD) bound to stats.listen, with a small
 * connection limit and timeout so a slow or hostile client cannot pile up
 * resources. The data path is never blocked: every counter is written by the
 * worker thread with relaxed atomic stores and read here with relaxed atomic
 * loads; the listener table and configuration are immutable while running.
 * A snapshot is therefore not atomic as a whole (counters may be a few
 * events apart), which is fine for monitoring.
 *
 * The listener table and configuration can be replaced by a reload; they are
 * read under the runtime lock (held for the few hundred microseconds a
 * document takes to build; the worker takes it only to answer requests and
 * to swap a reloaded table, never per packet). Live connections are never
 * read here: /connections formats a snapshot the worker copies out on
 * request (cached for 250 ms), see proxy/runtime.h.
 *
 * Routes (DESIGN.md §6): GET /stats, /connections → JSON (jansson);
 * /metrics → Prometheus text (proxy/metrics.c); / → the status page
 * (proxy/status_page.c). Other paths → 404, methods other than GET/HEAD
 * → 405. Bound to loopback unless stats.listen says otherwise.
 */
#include "proxy/stats_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proxy/log.h"
#include "proxy/metrics.h"
#include "proxy/status_page.h"

#define STATS_CONN_LIMIT	16
#define STATS_CONN_TIMEOUT_S	10

/**
 * struct stats_http - a running stats server
 * @d:		the libmicrohttpd daemon
 * @rt:		what it reports
 */
struct stats_http {
	struct MHD_Daemon *d;
	struct runtime *rt;
};

#define LOAD(p) __atomic_load_n(&(p), __ATOMIC_RELAXED)

/**
 * json_addr() - a host-order IPv4 address as a JSON string
 * @addr:	address
 *
 * Return: new JSON string
 */
static json_t *json_addr(uint32_t addr)
{
	char buf[INET_ADDRSTRLEN];
	struct in_addr a = { .s_addr = htonl(addr) };

	inet_ntop(AF_INET, &a, buf, sizeof(buf));
	return json_string(buf);
}

/**
 * json_addr_port() - "a.b.c.d:port"
 * @addr:	address, host order
 * @port:	port
 *
 * Return: new JSON string
 */
static json_t *json_addr_port(uint32_t addr, uint16_t port)
{
	char buf[INET_ADDRSTRLEN + 8];
	struct in_addr a = { .s_addr = htonl(addr) };

	inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
	snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), ":%u", port);
	return json_string(buf);
}

/* Add counter @f of struct pointer @p to object @o under its own name */
#define JSON_CTR(o, p, f) json_object_set_new(o, #f, json_integer((json_int_t)LOAD((p)->f)))

/**
 * stats_interface() - the "interface" object: link counters and drop reasons
 * @s:		stack counters
 * @lk:		the AF_PACKET links' own counters (zeros for a TAP)
 *
 * Return: new JSON object
 */
static json_t *stats_interface(const struct stack_stats *s,
				const struct link_packet_stats *lk)
{
	json_t *o = json_object();

	JSON_CTR(o, s, rx_frames);
	JSON_CTR(o, s, tx_frames);
	JSON_CTR(o, s, rx_bytes);
	JSON_CTR(o, s, tx_bytes);
	JSON_CTR(o, s, rx_dropped);
	JSON_CTR(o, s, tx_dropped);
	JSON_CTR(o, s, drop_eth_short);
	JSON_CTR(o, s, drop_eth_not_for_us);
	JSON_CTR(o, s, drop_eth_type);
	JSON_CTR(o, s, drop_arp_bad);
	JSON_CTR(o, s, arp_requests_rcvd);
	JSON_CTR(o, s, arp_replies_sent);
	JSON_CTR(o, s, arp_requests_sent);
	JSON_CTR(o, s, drop_ip_short);
	JSON_CTR(o, s, drop_ip_bad_header);
	JSON_CTR(o, s, drop_ip_bad_checksum);
	JSON_CTR(o, s, drop_ip_bad_len);
	JSON_CTR(o, s, drop_ip_fragment);
	JSON_CTR(o, s, drop_ip_not_for_us);
	JSON_CTR(o, s, drop_ip_proto);
	JSON_CTR(o, s, icmp_echo_replies);
	JSON_CTR(o, s, drop_icmp);
	JSON_CTR(o, s, rx_gso_frames);
	JSON_CTR(o, s, tx_gso_frames);
	JSON_CTR(o, s, rx_csum_offloaded);
	JSON_CTR(o, s, drop_offload_bad);
	JSON_CTR(o, lk, rx_truncated);
	JSON_CTR(o, lk, rx_kernel_dropped);
	JSON_CTR(o, lk, tx_ring_full);
	JSON_CTR(o, lk, rx_csum_completed);
	return o;
}

/**
 * stats_tcp() - the "tcp" object
 * @s:		stack counters
 *
 * Return: new JSON object
 */
static json_t *stats_tcp(const struct stack_stats *s)
{
	json_t *o = json_object();

	JSON_CTR(o, s, connections_active);
	JSON_CTR(o, s, connections_total);
	JSON_CTR(o, s, time_wait);
	JSON_CTR(o, s, syn_received);
	JSON_CTR(o, s, syn_rejected);
	JSON_CTR(o, s, syn_dropped);
	JSON_CTR(o, s, syncookies_sent);
	JSON_CTR(o, s, syncookies_accepted);
	JSON_CTR(o, s, resets_sent);
	JSON_CTR(o, s, resets_received);
	JSON_CTR(o, s, retransmits);
	JSON_CTR(o, s, timeouts);
	JSON_CTR(o, s, zero_window_probes);
	JSON_CTR(o, s, bad_checksum);
	JSON_CTR(o, s, drop_tcp_bad_header);
	JSON_CTR(o, s, drop_tcp_no_conn_table);
	JSON_CTR(o, s, drop_tcp_unacceptable);
	JSON_CTR(o, s, drop_tcp_rcv_full);
	JSON_CTR(o, s, challenge_acks);
	JSON_CTR(o, s, out_of_order);
	JSON_CTR(o, s, segs_in);
	JSON_CTR(o, s, segs_out);
	JSON_CTR(o, s, syncookies_failed);
	JSON_CTR(o, s, drop_tcp_ooo_full);
	JSON_CTR(o, s, drop_tcp_paws);
	JSON_CTR(o, s, drop_tcp_no_ts);
	JSON_CTR(o, s, keepalive_probes);
	JSON_CTR(o, s, fast_retransmits);
	JSON_CTR(o, s, sack_recoveries);
	JSON_CTR(o, s, rack_losses);
	JSON_CTR(o, s, tlp_probes);
	JSON_CTR(o, s, tlp_recoveries);
	JSON_CTR(o, s, spurious_undos);
	return o;
}

/**
 * stats_fault_dir() - one direction of the fault injector's counters
 * @f:		the counters
 * @d:		0 = in (link → stack), 1 = out
 *
 * Return: new JSON object
 */
static json_t *stats_fault_dir(const struct link_fault_stats *f, int d)
{
	json_t *o = json_object();

	json_object_set_new(o, "frames", json_integer((json_int_t)LOAD(f->frames[d])));
	json_object_set_new(o, "dropped", json_integer((json_int_t)LOAD(f->dropped[d])));
	json_object_set_new(o, "duplicated", json_integer((json_int_t)LOAD(f->duplicated[d])));
	json_object_set_new(o, "reordered", json_integer((json_int_t)LOAD(f->reordered[d])));
	json_object_set_new(o, "corrupted", json_integer((json_int_t)LOAD(f->corrupted[d])));
	json_object_set_new(o, "truncated", json_integer((json_int_t)LOAD(f->truncated[d])));
	return o;
}

/**
 * stats_fault() - the "fault" object (only with interface.fault)
 * @f:		the injector's counters
 *
 * Return: new JSON object {"in": {...}, "out": {...}}
 */
static json_t *stats_fault(const struct link_fault_stats *f)
{
	json_t *o = json_object();

	json_object_set_new(o, "in", stats_fault_dir(f, 0));
	json_object_set_new(o, "out", stats_fault_dir(f, 1));
	return o;
}

/**
 * stats_check() - a backend's "check" object (DESIGN.md §6)
 * @b:		the backend
 *
 * Return: new JSON object: status of the last active check, its duration,
 *	   seconds since the last up/down transition (since start if none)
 */
static json_t *stats_check(const struct backend *b)
{
	struct timespec ts;
	uint64_t now_us, at = LOAD(b->check.last_change_us);
	unsigned st = LOAD(b->check.status);
	json_t *o = json_object();

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now_us = (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000;
	json_object_set_new(o, "status", json_string(backend_check_names[st < CHECK__COUNT ? st : 0]));
	json_object_set_new(o, "duration_ms", json_integer(LOAD(b->check.duration_ms)));
	json_object_set_new(o, "last_change_s",
			    at ? json_integer((json_int_t)((now_us - at) / 1000000)) : json_null());
	return o;
}

/**
 * stats_backend() - one entry of a listener's "backends"
 * @b:		the backend
 *
 * Return: new JSON object
 */
static json_t *stats_backend(const struct backend *b)
{
	json_t *o = json_object();
	const struct backend_stats *s = &b->stats;

	json_object_set_new(o, "address", json_addr_port(b->addr, b->port));
	json_object_set_new(o, "state", json_string(backend_state_name(b)));
	json_object_set_new(o, "weight", json_integer(b->weight));
	JSON_CTR(o, s, connections_active);
	JSON_CTR(o, s, connections_total);
	JSON_CTR(o, s, connect_failures);
	JSON_CTR(o, s, bytes_in);
	JSON_CTR(o, s, bytes_out);
	JSON_CTR(o, s, went_down);
	JSON_CTR(o, s, went_up);
	JSON_CTR(o, s, checks_failed);
	json_object_set_new(o, "max_connections", json_integer(b->max_conns));
	json_object_set_new(o, "check", stats_check(b));
	return o;
}

/**
 * stats_ports() - a listener's ports as a JSON array of numbers
 * @cl:		listener configuration
 *
 * Return: new JSON array
 */
static json_t *stats_ports(const struct conf_listener *cl)
{
	json_t *a = json_array();

	for (size_t i = 0; i < cl->n_ports; i++)
		json_array_append_new(a, json_integer(cl->ports[i]));
	return a;
}

/**
 * stats_listener() - one entry of "listeners"
 * @l:		the listener
 *
 * Return: new JSON object
 */
static json_t *stats_listener(const struct listener *l)
{
	const struct conf_listener *cl = l->conf;
	const struct listener_stats *s = &l->stats;
	json_t *o = json_object(), *bs = json_array();

	json_object_set_new(o, "name", json_string(cl->name));
	json_object_set_new(o, "address", cl->any_addr ? json_string("*") : json_addr(cl->addr));
	json_object_set_new(o, "ports", stats_ports(cl));
	json_object_set_new(o, "balance", json_string(conf_balance_names[cl->balance]));
	json_object_set_new(o, "state", json_string(LOAD(l->draining) ? "draining" : "active"));
	JSON_CTR(o, s, connections_active);
	JSON_CTR(o, s, connections_total);
	JSON_CTR(o, s, connections_refused);
	JSON_CTR(o, s, halfclosed_timeouts);
	JSON_CTR(o, s, lifetime_expired);
	JSON_CTR(o, s, staged_deliveries);
	JSON_CTR(o, s, staged_sends);
	JSON_CTR(o, s, bytes_in);
	JSON_CTR(o, s, bytes_out);
	for (size_t i = 0; i < l->n_backends; i++)
		json_array_append_new(bs, stats_backend(&l->backends[i]));
	json_object_set_new(o, "backends", bs);
	return o;
}

/**
 * stats_config() - the "config" object
 * @rt:		the runtime (lock held)
 *
 * Return: new JSON object
 */
static json_t *stats_config(const struct runtime *rt)
{
	json_t *o = json_object();

	json_object_set_new(o, "generation", json_integer((json_int_t)rt->generation));
	json_object_set_new(o, "reloads", json_integer((json_int_t)rt->reloads));
	json_object_set_new(o, "reload_failures", json_integer((json_int_t)rt->reload_failures));
	json_object_set_new(o, "last_error", rt->last_error[0] ? json_string(rt->last_error)
							       : json_null());
	json_object_set_new(o, "path", json_string(rt->cfg->path));
	return o;
}

/**
 * stats_workers() - the "workers" array: each worker's own share (its link
 *		     queue's frames, its stack's connections), in index order
 * @rt:		the runtime
 *
 * Return: new JSON array
 */
static json_t *stats_workers(const struct runtime *rt)
{
	json_t *a = json_array();

	for (unsigned i = 0; i < rt->n_workers; i++) {
		const struct stack_stats *s = rt->w[i].stack;
		json_t *o = json_object();

		if (!s)
			continue;
		JSON_CTR(o, s, rx_frames);
		JSON_CTR(o, s, tx_frames);
		JSON_CTR(o, s, connections_active);
		JSON_CTR(o, s, connections_total);
		json_object_set_new(o, "sessions", json_integer((json_int_t)LOAD(rt->w[i].sessions)));
		json_array_append_new(a, o);
	}
	return a;
}

/**
 * stats_json() - the /stats document
 * @rt:		the runtime
 *
 * Return: malloc'ed JSON text (caller frees), or NULL out of memory
 */
char *stats_json(struct runtime *rt)
{
	json_t *root = json_object(), *ls = json_array();
	struct stack_stats ss;
	struct link_packet_stats lk;
	struct link_fault_stats fs;
	char *text;

	json_object_set_new(root, "version", json_string(TCPGATE_VERSION));
	json_object_set_new(root, "uptime_s",
			    json_integer((json_int_t)((runtime_now_us() - rt->started_us) / 1000000ULL)));
	pthread_mutex_lock(&rt->lock);
	json_object_set_new(root, "config", stats_config(rt));
	runtime_stack_sum(rt, &ss);	/* summed over the workers */
	runtime_link_sum(rt, &lk);
	json_object_set_new(root, "interface", stats_interface(&ss, &lk));
	json_object_set_new(root, "tcp", stats_tcp(&ss));
	json_object_set_new(root, "workers", stats_workers(rt));
	if (runtime_fault_sum(rt, &fs))
		json_object_set_new(root, "fault", stats_fault(&fs));
	for (size_t i = 0; i < rt->lt->n; i++)
		json_array_append_new(ls, stats_listener(&rt->lt->l[i]));
	pthread_mutex_unlock(&rt->lock);
	json_object_set_new(root, "listeners", ls);
	text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	return text;
}

/**
 * stats_connection() - one entry of /connections
 * @cs:		snapshot entry
 * @now:	monotonic microseconds
 *
 * Return: new JSON object
 */
static json_t *stats_connection(const struct conn_snap *cs, uint64_t now)
{
	const struct tcp_conn_info *ci = &cs->info;
	json_t *o = json_object(), *ws = json_object();

	json_object_set_new(o, "id", json_integer((json_int_t)cs->id));
	json_object_set_new(o, "listener", cs->listener[0] ? json_string(cs->listener) : json_null());
	json_object_set_new(o, "client", json_addr_port(ci->tuple.client_addr, ci->tuple.client_port));
	json_object_set_new(o, "vip", json_addr_port(ci->tuple.vip_addr, ci->tuple.vip_port));
	json_object_set_new(o, "backend", cs->backend_port ?
			    json_addr_port(cs->backend_addr, cs->backend_port) : json_null());
	json_object_set_new(o, "state", json_string(ci->state));
	json_object_set_new(o, "age_ms", json_integer((json_int_t)((now - ci->created) / 1000)));
	json_object_set_new(o, "bytes_in", json_integer((json_int_t)ci->bytes_in));
	json_object_set_new(o, "bytes_out", json_integer((json_int_t)ci->bytes_out));
	json_object_set_new(o, "rtt_us", json_integer(ci->rtt_us));
	json_object_set_new(o, "rto_ms", json_integer(ci->rto_ms));
	json_object_set_new(o, "cwnd", json_integer(ci->cwnd));
	json_object_set_new(o, "ssthresh", json_integer(ci->ssthresh));
	json_object_set_new(o, "snd_wnd", json_integer(ci->snd_wnd));
	json_object_set_new(o, "rcv_wnd", json_integer(ci->rcv_wnd));
	json_object_set_new(o, "retransmits", json_integer(ci->retransmits));
	json_object_set_new(o, "mss", json_integer(ci->mss));
	json_object_set_new(o, "sack", json_boolean(ci->sack));
	json_object_set_new(o, "cc", ci->cc ? json_string(ci->cc) : json_null());
	json_object_set_new(ws, "snd", ci->snd_wscale < 0 ? json_null() : json_integer(ci->snd_wscale));
	json_object_set_new(ws, "rcv", ci->rcv_wscale < 0 ? json_null() : json_integer(ci->rcv_wscale));
	json_object_set_new(o, "wscale", ws);
	return o;
}

/**
 * connections_json() - the /connections document, from a recent snapshot
 *			 the worker made (never by walking its table here)
 * @rt:		the runtime
 *
 * Return: malloc'ed JSON text (caller frees), or NULL out of memory
 */
char *connections_json(struct runtime *rt)
{
	size_t n;
	struct conn_snap *cs = runtime_connections(rt, &n);
	uint64_t now = runtime_now_us();
	json_t *root = json_object(), *a = json_array();
	char *text;

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, stats_connection(&cs[i], now));
	free(cs);
	json_object_set_new(root, "connections", a);
	text = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	return text;
}

/**
 * stats_reply() - queue a response
 * @conn:	the HTTP connection
 * @status:	HTTP status
 * @type:	Content-Type
 * @body:	malloc'ed body, ownership passes to libmicrohttpd
 * @len:	its length
 *
 * Return: MHD_YES or MHD_NO
 */
static enum MHD_Result stats_reply(struct MHD_Connection *conn, unsigned status,
				   const char *type, char *body, size_t len)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

/**
 * stats_text() - queue a short plain-text response
 * @conn:	the HTTP connection
 * @status:	HTTP status
 * @msg:	the text (a line)
 *
 * Return: MHD_YES or MHD_NO
 */
static enum MHD_Result stats_text(struct MHD_Connection *conn, unsigned status,
				  const char *msg)
{
	char *body = strdup(msg);

	if (!body)
		return MHD_NO;
	return stats_reply(conn, status, "text/plain; charset=utf-8", body, strlen(body));
}

/**
 * stats_handler() - libmicrohttpd access handler
 * @cls:	the struct stats_http
 * @conn:	connection
 * @url:	path
 * @method:	HTTP method
 * @version:	HTTP version (unused)
 * @upload_data: request body (ignored)
 * @upload_data_size: its size; set to 0 to consume
 * @req_cls:	per-request state (unused)
 *
 * Return: MHD_YES or MHD_NO
 */
static enum MHD_Result stats_handler(void *cls, struct MHD_Connection *conn,
				     const char *url, const char *method,
				     const char *version, const char *upload_data,
				     size_t *upload_data_size, void **req_cls)
{
	struct stats_http *h = cls;
	const char *type;
	char *body;

	(void)version;
	(void)upload_data;
	(void)req_cls;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD)) {
		*upload_data_size = 0;
		return stats_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n");
	}
	if (!strcmp(url, "/stats")) {
		body = stats_json(h->rt);
		type = "application/json";
	} else if (!strcmp(url, "/connections")) {
		body = connections_json(h->rt);
		type = "application/json";
	} else if (!strcmp(url, "/metrics")) {
		body = metrics_text(h->rt);
		type = "text/plain; version=0.0.4; charset=utf-8";
	} else if (!strcmp(url, "/")) {
		body = status_page_html(h->rt);
		type = "text/html; charset=utf-8";
	} else {
		return stats_text(conn, MHD_HTTP_NOT_FOUND, "not found\n");
	}
	if (!body)
		return stats_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	return stats_reply(conn, MHD_HTTP_OK, type, body, strlen(body));
}

/**
 * stats_http_start() - serve the endpoint on cfg->stats_addr:stats_port
 * @rt:		what to report; must outlive the server
 * @err:	message on failure
 * @errlen:	size of @err
 *
 * Return: the server, or NULL with @err filled
 */
struct stats_http *stats_http_start(struct runtime *rt, char *err, size_t errlen)
{
	struct stats_http *h = calloc(1, sizeof(*h));
	struct sockaddr_in sa = {
		.sin_family = AF_INET,
		.sin_port = htons(rt->cfg->stats_port),
		.sin_addr.s_addr = htonl(rt->cfg->stats_addr),
	};

	if (!h) {
		snprintf(err, errlen, "stats: out of memory");
		return NULL;
	}
	h->rt = rt;
	h->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL,
				rt->cfg->stats_port, NULL, NULL, stats_handler, h,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned)STATS_CONN_LIMIT,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)STATS_CONN_TIMEOUT_S,
				MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1,
				MHD_OPTION_END);
	if (!h->d) {
		char a[INET_ADDRSTRLEN];
		struct in_addr ia = { .s_addr = sa.sin_addr.s_addr };

		snprintf(err, errlen, "stats: cannot listen on %s:%u (port in use?)",
			 inet_ntop(AF_INET, &ia, a, sizeof(a)), rt->cfg->stats_port);
		free(h);
		return NULL;
	}
	return h;
}

/**
 * stats_http_stop() - stop the server and its thread
 * @h:		the server (NULL is fine)
 */
void stats_http_stop(struct stats_http *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->d);
	free(h);
}
