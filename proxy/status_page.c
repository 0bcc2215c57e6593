// SPDX-License-Identifier: MIT
/*
 * status_page.c - the human status page served at /
 *
 * Theory of operation: the page is rendered on the server, complete, so it
 * needs no script, no external asset and no second request: a summary,
 * the listeners with their backends (health state up/down/drain exactly as
 * /stats reports it, weight, counters), the live
 * connections (the worker's snapshot, at most STATUS_MAX_CONNS rows), and
 * the throughput of the last ten minutes drawn as an inline SVG from the
 * worker's ring of one-second samples (proxy/runtime.h). A meta refresh
 * reloads it every STATUS_REFRESH_S seconds. Every string from the
 * configuration is HTML-escaped.
 */
#include "proxy/textbuf.h"
#include "proxy/status_page.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STATUS_REFRESH_S	5
#define STATUS_MAX_CONNS	200
#define CHART_W			720
#define CHART_H			160

/**
 * esc() - HTML-escape a string
 * @in:		text
 * @out:	escaped text
 * @outlen:	size of @out
 *
 * Return: @out
 */
static const char *esc(const char *in, char *out, size_t outlen)
{
	size_t o = 0;

	for (; *in && o + 7 < outlen; in++) {
		const char *r = *in == '<' ? "&lt;" : *in == '>' ? "&gt;" : *in == '&' ? "&amp;"
			      : *in == '"' ? "&quot;" : NULL;

		if (r) {
			memcpy(out + o, r, strlen(r));
			o += strlen(r);
		} else {
			out[o++] = *in;
		}
	}
	out[o] = '\0';
	return out;
}

/**
 * ip() - dotted quad of a host-order address
 * @addr:	address
 * @buf:	INET_ADDRSTRLEN bytes
 *
 * Return: @buf
 */
static const char *ip(uint32_t addr, char *buf)
{
	struct in_addr a = { .s_addr = htonl(addr) };

	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

/**
 * page_listeners() - the listeners table (runtime lock held)
 * @b:		output
 * @t:		listener table
 */
static void page_listeners(struct textbuf *b, const struct listener_table *t)
{
	char n[4 * CONF_NAME_MAX], a[INET_ADDRSTRLEN];

	textbuf_printf(b, "<h2>Listeners</h2><table><tr><th>listener / backend</th><th>address</th>"
		"<th>state</th><th>weight</th><th>active</th><th>total</th>"
		"<th>refused / failed</th><th>bytes in</th><th>bytes out</th></tr>\n");
	for (size_t i = 0; i < t->n; i++) {
		const struct listener *l = &t->l[i];
		const struct conf_listener *cl = l->conf;

		textbuf_printf(b, "<tr class=\"l\"><td class=\"listener\">%s</td><td>%s:%u%s</td><td>%s</td>"
			"<td>%s</td><td>%llu</td><td>%llu</td><td>%llu</td><td>%llu</td><td>%llu</td></tr>\n",
			esc(cl->name, n, sizeof(n)), cl->any_addr ? "*" : ip(cl->addr, a),
			cl->n_ports ? cl->ports[0] : 0, cl->n_ports > 1 ? " …" : "",
			__atomic_load_n(&l->draining, __ATOMIC_RELAXED) ? "draining" : "active",
			conf_balance_names[cl->balance],
			(unsigned long long)LSTAT_GET(l, connections_active),
			(unsigned long long)LSTAT_GET(l, connections_total),
			(unsigned long long)LSTAT_GET(l, connections_refused),
			(unsigned long long)LSTAT_GET(l, bytes_in),
			(unsigned long long)LSTAT_GET(l, bytes_out));
		for (size_t j = 0; j < l->n_backends; j++) {
			const struct backend *be = &l->backends[j];
			const char *state = backend_state_name(be);

			textbuf_printf(b, "<tr class=\"b\"><td>&nbsp;&nbsp;&rarr; backend</td>"
				"<td class=\"backend\">%s:%u</td>"
				"<td class=\"state %s\">%s</td><td>%u</td><td>%llu</td><td>%llu</td>"
				"<td>%llu</td><td>%llu</td><td>%llu</td></tr>\n",
				ip(be->addr, a), be->port, state, state, be->weight,
				(unsigned long long)LSTAT_GET(be, connections_active),
				(unsigned long long)LSTAT_GET(be, connections_total),
				(unsigned long long)LSTAT_GET(be, connect_failures),
				(unsigned long long)LSTAT_GET(be, bytes_in),
				(unsigned long long)LSTAT_GET(be, bytes_out));
		}
	}
	textbuf_printf(b, "</table>\n");
}

/**
 * chart_line() - one SVG polyline of a rate series
 * @b:		output
 * @v:		values
 * @n:		count (>= 2)
 * @max:	value at the top of the chart
 * @cls:	CSS class
 */
static void chart_line(struct textbuf *b, const double *v, size_t n, double max, const char *cls)
{
	textbuf_printf(b, "<polyline class=\"%s\" points=\"", cls);
	for (size_t i = 0; i < n; i++)
		textbuf_printf(b, "%.1f,%.1f ", (double)CHART_W * (double)i / (double)(n - 1),
			CHART_H - (double)CHART_H * v[i] / max);
	textbuf_printf(b, "\"/>\n");
}

/**
 * page_chart() - throughput over the sampled window, as inline SVG
 * @b:		output
 * @rt:		the runtime
 */
static void page_chart(struct textbuf *b, struct runtime *rt)
{
	static struct rt_sample s[RUNTIME_RING];
	static double in[RUNTIME_RING], out[RUNTIME_RING];
	size_t n = runtime_samples(rt, s, RUNTIME_RING);
	double max = 1;

	textbuf_printf(b, "<h2>Throughput (last %zu s)</h2>\n", n);
	if (n < 3) {
		textbuf_printf(b, "<p>collecting samples…</p>\n");
		return;
	}
	for (size_t i = 1; i < n; i++) {
		double dt = s[i].t_s > s[i - 1].t_s ? (double)(s[i].t_s - s[i - 1].t_s) : 1;

		in[i - 1] = (double)(s[i].bytes_in - s[i - 1].bytes_in) * 8 / dt;
		out[i - 1] = (double)(s[i].bytes_out - s[i - 1].bytes_out) * 8 / dt;
		max = in[i - 1] > max ? in[i - 1] : max;
		max = out[i - 1] > max ? out[i - 1] : max;
	}
	textbuf_printf(b, "<svg id=\"chart\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
		"xmlns=\"http://www.w3.org/2000/svg\"><rect width=\"100%%\" height=\"100%%\" "
		"class=\"bg\"/>\n", CHART_W, CHART_H, CHART_W, CHART_H);
	chart_line(b, in, n - 1, max, "in");
	chart_line(b, out, n - 1, max, "out");
	textbuf_printf(b, "<text x=\"4\" y=\"14\">%.3g Mbit/s</text></svg>\n<p><span class=\"in\">"
		"&#9632; client&rarr;backend</span> <span class=\"out\">&#9632; backend&rarr;client"
		"</span></p>\n", max / 1e6);
}

/**
 * page_connections() - the live connections table
 * @b:		output
 * @rt:		the runtime
 */
static void page_connections(struct textbuf *b, struct runtime *rt)
{
	size_t n;
	struct conn_snap *cs = runtime_connections(rt, &n);
	uint64_t now = runtime_now_us();
	char name[4 * CONF_NAME_MAX], c[INET_ADDRSTRLEN], be[INET_ADDRSTRLEN];

	textbuf_printf(b, "<h2>Connections (%zu)</h2><table><tr><th>id</th><th>listener</th>"
		"<th>client</th><th>backend</th><th>state</th><th>age s</th><th>bytes in</th>"
		"<th>bytes out</th><th>rtt µs</th><th>cwnd</th></tr>\n", n);
	for (size_t i = 0; i < n && i < STATUS_MAX_CONNS; i++) {
		const struct tcp_conn_info *ci = &cs[i].info;

		textbuf_printf(b, "<tr><td>%llu</td><td>%s</td><td>%s:%u</td><td>%s:%u</td><td>%s</td>"
			"<td>%.1f</td><td>%llu</td><td>%llu</td><td>%u</td><td>%u</td></tr>\n",
			(unsigned long long)cs[i].id, esc(cs[i].listener, name, sizeof(name)),
			ip(ci->tuple.client_addr, c), ci->tuple.client_port,
			ip(cs[i].backend_addr, be), cs[i].backend_port, ci->state,
			(double)(now - ci->created) / 1e6, (unsigned long long)ci->bytes_in,
			(unsigned long long)ci->bytes_out, ci->rtt_us, ci->cwnd);
	}
	textbuf_printf(b, "</table>%s\n", n > STATUS_MAX_CONNS ? "<p>… (first rows only; see "
		"/connections)</p>" : "");
	free(cs);
}

static const char page_style[] =
	"body{font-family:sans-serif;margin:1em 2em;color:#222}"
	"table{border-collapse:collapse;font-size:90%}"
	"td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}"
	"td:first-child,th:first-child{text-align:left}tr.l{background:#eef}"
	".up{color:#080}.down{color:#c00;font-weight:bold}.drain{color:#a60}.bg{fill:#f8f8f8}"
	"polyline{fill:none;stroke-width:1.5}polyline.in{stroke:#36c}polyline.out{stroke:#c63}"
	"span.in{color:#36c}span.out{color:#c63}";

/**
 * status_page_html() - the whole page
 * @rt:		the runtime
 *
 * Return: malloc'ed HTML (caller frees), or NULL out of memory
 */
char *status_page_html(struct runtime *rt)
{
	static pthread_mutex_t page_lock = PTHREAD_MUTEX_INITIALIZER;	/* page_chart's statics */
	struct textbuf b = { 0 };
	char path[4 * CONF_PATH_MAX];

	textbuf_printf(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		"<meta http-equiv=\"refresh\" content=\"%d\"><title>tcpgate status</title>"
		"<style>%s</style></head><body>\n", STATUS_REFRESH_S, page_style);
	pthread_mutex_lock(&rt->lock);
	textbuf_printf(&b, "<h1>tcpgate %s</h1><p>up %llu s &middot; config %s, generation %llu "
		"(%llu reloads, %llu failed) &middot; %llu connections</p>\n", TCPGATE_VERSION,
		(unsigned long long)((runtime_now_us() - rt->started_us) / 1000000ULL),
		esc(rt->cfg->path, path, sizeof(path)), (unsigned long long)rt->generation,
		(unsigned long long)rt->reloads, (unsigned long long)rt->reload_failures,
		(unsigned long long)rt->sessions);
	page_listeners(&b, rt->lt);
	pthread_mutex_unlock(&rt->lock);
	pthread_mutex_lock(&page_lock);
	page_chart(&b, rt);
	pthread_mutex_unlock(&page_lock);
	page_connections(&b, rt);
	textbuf_printf(&b, "<p><a href=\"/stats\">/stats</a> &middot; <a href=\"/connections\">"
		"/connections</a> &middot; <a href=\"/metrics\">/metrics</a></p></body></html>\n");
	return textbuf_take(&b);
}
