// SPDX-License-Identifier: MIT
/*
 * metrics.c - the Prometheus view of the same counters as /stats
 *
 * Theory of operation: every metric is named tcpgate_*, announced once with
 * # HELP and # TYPE, followed by all its samples (the format requires a
 * family's samples to be contiguous). Counters end in _total and are
 * monotonic across reloads, because a reload carries the counters of
 * surviving listeners and backends over (proxy/reload.c); a removed
 * listener's series simply stop. Per-listener series carry a "listener"
 * label, per-backend ones "listener" and "backend" (address:port). Label
 * values are escaped (\\, ", newline). The text is built from tables of
 * (name, help, type, offset into the counter struct) so that adding a
 * counter to /metrics is one line.
 */
#include "proxy/textbuf.h"
#include "proxy/metrics.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/**
 * struct metric_def - one counter exported from a struct of uint64_t
 * @name:	metric name after "tcpgate_<group>_"
 * @help:	HELP text
 * @counter:	counter (else gauge)
 * @off:	offset of the uint64_t field
 */
struct metric_def {
	const char *name, *help;
	bool counter;
	size_t off;
};

#define SS(f, n, h, c) { n, h, c, offsetof(struct stack_stats, f) }
static const struct metric_def stack_defs[] = {
	SS(rx_frames, "interface_rx_frames_total", "Frames received on the interface", 1),
	SS(tx_frames, "interface_tx_frames_total", "Frames sent on the interface", 1),
	SS(rx_bytes, "interface_rx_bytes_total", "Bytes received on the interface", 1),
	SS(tx_bytes, "interface_tx_bytes_total", "Bytes sent on the interface", 1),
	SS(rx_dropped, "interface_rx_dropped_total", "Received frames dropped (all reasons)", 1),
	SS(tx_dropped, "interface_tx_dropped_total", "Frames that could not be sent", 1),
	SS(rx_gso_frames, "interface_rx_gso_frames_total", "TCP GSO frames received (offload)", 1),
	SS(tx_gso_frames, "interface_tx_gso_frames_total", "TCP GSO frames sent (offload)", 1),
	SS(drop_offload_bad, "interface_offload_bad_drops_total", "Frames with contradicting offload metadata", 1),
	SS(drop_ip_bad_checksum, "ip_bad_checksum_total", "IPv4 headers with a bad checksum", 1),
	SS(drop_ip_not_for_us, "ip_not_local_total", "IPv4 packets to an address that is not local", 1),
	SS(icmp_echo_replies, "icmp_echo_replies_total", "ICMP echo replies sent", 1),
	SS(arp_replies_sent, "arp_replies_total", "ARP replies sent", 1),
	SS(connections_active, "tcp_connections_active", "TCP connections in the table", 0),
	SS(connections_total, "tcp_connections_total", "TCP connections accepted", 1),
	SS(syn_received, "tcp_syn_received_total", "SYNs received", 1),
	SS(syn_rejected, "tcp_syn_rejected_total", "SYNs answered with RST", 1),
	SS(syn_dropped, "tcp_syn_dropped_total", "SYNs dropped", 1),
	SS(syncookies_sent, "tcp_syncookies_sent_total", "SYN cookies sent", 1),
	SS(syncookies_accepted, "tcp_syncookies_accepted_total", "Valid SYN cookies returned", 1),
	SS(syncookies_failed, "tcp_syncookies_failed_total", "Invalid SYN cookies", 1),
	SS(resets_sent, "tcp_resets_sent_total", "RSTs sent", 1),
	SS(resets_received, "tcp_resets_received_total", "RSTs received", 1),
	SS(retransmits, "tcp_retransmits_total", "Segments retransmitted", 1),
	SS(fast_retransmits, "tcp_fast_retransmits_total", "Loss recoveries entered on dupACKs/SACK", 1),
	SS(sack_recoveries, "tcp_sack_recoveries_total", "RFC 6675 SACK loss recoveries", 1),
	SS(rack_losses, "tcp_rack_losses_total", "Loss recoveries started by RFC 8985 RACK's time rule", 1),
	SS(tlp_probes, "tcp_tlp_probes_total", "RFC 8985 tail loss probes sent", 1),
	SS(tlp_recoveries, "tcp_tlp_recoveries_total", "Tail loss probes that repaired a loss", 1),
	SS(spurious_undos, "tcp_spurious_undos_total", "Window reductions undone after a spurious timeout (D-SACK)", 1),
	SS(timeouts, "tcp_timeouts_total", "Connections given up after retransmissions", 1),
	SS(bad_checksum, "tcp_bad_checksum_total", "TCP segments with a bad checksum", 1),
	SS(challenge_acks, "tcp_challenge_acks_total", "RFC 5961 challenge ACKs sent", 1),
	SS(out_of_order, "tcp_out_of_order_total", "Out-of-order segments received", 1),
	SS(drop_tcp_ooo_full, "tcp_ooo_full_drops_total", "Out-of-order segments dropped: queue full", 1),
	SS(drop_tcp_unacceptable, "tcp_unacceptable_drops_total", "Unacceptable segments dropped", 1),
	SS(drop_tcp_paws, "tcp_paws_drops_total", "Segments dropped by PAWS", 1),
	SS(zero_window_probes, "tcp_zero_window_probes_total", "Zero-window probes sent", 1),
	SS(keepalive_probes, "tcp_keepalive_probes_total", "Keep-alive probes sent", 1),
	SS(segs_in, "tcp_segments_in_total", "TCP segments received", 1),
	SS(segs_out, "tcp_segments_out_total", "TCP segments sent", 1),
};

#define LS(f, n, h, c) { n, h, c, offsetof(struct listener_stats, f) }
static const struct metric_def listener_defs[] = {
	LS(connections_active, "listener_connections_active", "Live connections of a listener", 0),
	LS(connections_total, "listener_connections_total", "Connections accepted by a listener", 1),
	LS(connections_refused, "listener_connections_refused_total", "Connections refused by a listener", 1),
	LS(bytes_in, "listener_in_bytes_total", "Bytes from clients to backends", 1),
	LS(bytes_out, "listener_out_bytes_total", "Bytes from backends to clients", 1),
	LS(staged_deliveries, "listener_staged_deliveries_total",
	   "Small client segments copied to staging instead of a send() each", 1),
	LS(staged_sends, "listener_staged_sends_total", "send() calls that carried staged client bytes", 1),
};

#define BS(f, n, h, c) { n, h, c, offsetof(struct backend_stats, f) }
static const struct metric_def backend_defs[] = {
	BS(connections_active, "backend_connections_active", "Live connections to a backend", 0),
	BS(connections_total, "backend_connections_total", "Connections made to a backend", 1),
	BS(connect_failures, "backend_connect_failures_total", "Failed connects to a backend", 1),
	BS(bytes_in, "backend_in_bytes_total", "Bytes from clients to a backend", 1),
	BS(bytes_out, "backend_out_bytes_total", "Bytes from a backend to clients", 1),
};

/**
 * family() - the HELP and TYPE lines of a metric
 * @b:		buffer
 * @d:		the metric
 */
static void family(struct textbuf *b, const struct metric_def *d)
{
	textbuf_printf(b, "# HELP tcpgate_%s %s.\n# TYPE tcpgate_%s %s\n", d->name, d->help, d->name,
		d->counter ? "counter" : "gauge");
}

/**
 * field() - a uint64_t counter at an offset, loaded relaxed
 * @base:	start of the struct
 * @off:	offset
 *
 * Return: the value
 */
static unsigned long long field(const void *base, size_t off)
{
	return (unsigned long long)__atomic_load_n((const uint64_t *)(const void *)
						   ((const char *)base + off), __ATOMIC_RELAXED);
}

/**
 * label_escape() - a label value escaped per the exposition format
 * @in:		raw value
 * @out:	escaped value
 * @outlen:	size of @out
 *
 * Return: @out
 */
static const char *label_escape(const char *in, char *out, size_t outlen)
{
	size_t o = 0;

	for (; *in && o + 3 < outlen; in++) {
		if (*in == '\\' || *in == '"' || *in == '\n')
			out[o++] = '\\';
		out[o++] = *in == '\n' ? 'n' : *in;
	}
	out[o] = '\0';
	return out;
}

/* The fault injector's counters (interface.fault), per direction */
static const struct metric_def fault_defs[] = {
	{ "fault_frames_total", "Frames seen by the fault injector", 1,
	  offsetof(struct link_fault_stats, frames) },
	{ "fault_dropped_total", "Frames the fault injector dropped", 1,
	  offsetof(struct link_fault_stats, dropped) },
	{ "fault_duplicated_total", "Frames the fault injector duplicated", 1,
	  offsetof(struct link_fault_stats, duplicated) },
	{ "fault_reordered_total", "Frames the fault injector held back (reordered)", 1,
	  offsetof(struct link_fault_stats, reordered) },
	{ "fault_corrupted_total", "Frames the fault injector corrupted (one bit)", 1,
	  offsetof(struct link_fault_stats, corrupted) },
	{ "fault_truncated_total", "Frames the fault injector truncated", 1,
	  offsetof(struct link_fault_stats, truncated) },
};

/**
 * metrics_fault() - the fault injector's counters, direction="in" / "out"
 * @b:		buffer
 * @f:		the counters
 */
static void metrics_fault(struct textbuf *b, const struct link_fault_stats *f)
{
	static const char *const dir[2] = { "in", "out" };

	for (size_t i = 0; i < sizeof(fault_defs) / sizeof(fault_defs[0]); i++) {
		family(b, &fault_defs[i]);
		for (int d = 0; d < 2; d++)
			textbuf_printf(b, "tcpgate_%s{direction=\"%s\"} %llu\n", fault_defs[i].name,
				       dir[d], field(f, fault_defs[i].off + (size_t)d * sizeof(uint64_t)));
	}
}

/**
 * metrics_global() - process, config and stack metrics
 * @b:		buffer
 * @rt:		the runtime (lock held)
 */
static void metrics_global(struct textbuf *b, const struct runtime *rt)
{
	struct stack_stats ss;
	struct link_fault_stats fs;

	runtime_stack_sum(rt, &ss);	/* summed over the workers */
	textbuf_printf(b, "# HELP tcpgate_info Build information.\n# TYPE tcpgate_info gauge\n"
		"tcpgate_info{version=\"%s\"} 1\n", TCPGATE_VERSION);
	textbuf_printf(b, "# HELP tcpgate_uptime_seconds Seconds since start.\n"
		"# TYPE tcpgate_uptime_seconds gauge\ntcpgate_uptime_seconds %llu\n",
		(unsigned long long)((runtime_now_us() - rt->started_us) / 1000000ULL));
	textbuf_printf(b, "# HELP tcpgate_config_generation Configuration generation (1 at start, +1 per reload).\n"
		"# TYPE tcpgate_config_generation gauge\ntcpgate_config_generation %llu\n",
		(unsigned long long)rt->generation);
	textbuf_printf(b, "# HELP tcpgate_config_reloads_total Successful reloads.\n"
		"# TYPE tcpgate_config_reloads_total counter\ntcpgate_config_reloads_total %llu\n",
		(unsigned long long)rt->reloads);
	textbuf_printf(b, "# HELP tcpgate_config_reload_failures_total Refused reloads.\n"
		"# TYPE tcpgate_config_reload_failures_total counter\n"
		"tcpgate_config_reload_failures_total %llu\n",
		(unsigned long long)rt->reload_failures);
	for (size_t i = 0; i < sizeof(stack_defs) / sizeof(stack_defs[0]); i++) {
		family(b, &stack_defs[i]);
		textbuf_printf(b, "tcpgate_%s %llu\n", stack_defs[i].name, field(&ss, stack_defs[i].off));
	}
	if (runtime_fault_sum(rt, &fs))
		metrics_fault(b, &fs);
}

/**
 * metrics_listeners() - per-listener and per-backend metrics
 * @b:		buffer
 * @t:		the listener table (runtime lock held)
 */
static void metrics_listeners(struct textbuf *b, const struct listener_table *t)
{
	char name[2 * CONF_NAME_MAX], a[INET_ADDRSTRLEN];

	for (size_t d = 0; d < sizeof(listener_defs) / sizeof(listener_defs[0]); d++) {
		family(b, &listener_defs[d]);
		for (size_t i = 0; i < t->n; i++)
			textbuf_printf(b, "tcpgate_%s{listener=\"%s\"} %llu\n", listener_defs[d].name,
				label_escape(t->l[i].conf->name, name, sizeof(name)),
				field(&t->l[i].stats, listener_defs[d].off));
	}
	for (size_t d = 0; d < sizeof(backend_defs) / sizeof(backend_defs[0]); d++) {
		family(b, &backend_defs[d]);
		for (size_t i = 0; i < t->n; i++) {
			label_escape(t->l[i].conf->name, name, sizeof(name));
			for (size_t j = 0; j < t->l[i].n_backends; j++) {
				const struct backend *be = &t->l[i].backends[j];
				struct in_addr ia = { .s_addr = htonl(be->addr) };

				textbuf_printf(b, "tcpgate_%s{listener=\"%s\",backend=\"%s:%u\"} %llu\n",
					backend_defs[d].name, name,
					inet_ntop(AF_INET, &ia, a, sizeof(a)), be->port,
					field(&be->stats, backend_defs[d].off));
			}
		}
	}
}

/**
 * metrics_text() - the /metrics document
 * @rt:		the runtime
 *
 * Return: malloc'ed text (caller frees), or NULL out of memory
 */
char *metrics_text(struct runtime *rt)
{
	struct textbuf b = { 0 };

	pthread_mutex_lock(&rt->lock);
	metrics_global(&b, rt);
	metrics_listeners(&b, rt->lt);
	pthread_mutex_unlock(&rt->lock);
	return textbuf_take(&b);
}
