#!/usr/bin/env bash
# t_packet: interface.type = "packet" - tcpgate's AF_PACKET socket (TPACKET_V3
# RX ring, TX ring) bound to one end of a veth pair.
#
# Setup (tg_packet_link in lib.sh):
#   client ns tgc-<id>: veth tc<id>, 10.88.0.2/24        (the Linux client)
#   link ns   tgp-<id>: veth tg<id>, up, NO IP address    (tcpgate binds here, netns =)
#   tcpgate itself, its backends and its stats port: the root namespace.
# tcpgate uses tg<id>'s own MAC and answers ARP for 10.88.0.1 and the VIP. The
# kernel of tgp-<id> owns no address (and forwards nothing), so it neither answers
# ARP for them nor sends RSTs for tcpgate's connections: checked with nstat below.
# GRO/TSO/GSO are off on both ends (no >MTU frames); the client end keeps TX
# checksum offload, so tcpgate sees partial checksums and must complete them.
#
# Checks: curl through a listener; 32 MiB each way at once with SHA-256 equality;
# /stats counters consistent; no RST from the link namespace's kernel.
# PACKET_WORKERS=2 (t_packet_workers.sh) runs the same with workers = 2 (fanout)
# plus 60 short connections, and checks that every worker carried some.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
tg_init
tg_packet_link

WORKERS=${PACKET_WORKERS:-1}
SIZE=$((32 * 1024 * 1024))
TG_IFACE_EXTRA="workers = $WORKERS;"
read -r HPORT BPORT EPORT < <(free_ports 3 | xargs)
start_backend_http "web-$TG_ID" "$HPORT"
start_backend bulk "$BPORT" --send "$SIZE"
start_backend echo1 "$EPORT" --mode echo --name "e1-$TG_ID"
tg_config "$(tg_listener web 80 roundrobin "$HPORT")" "$(tg_listener bulk 5001 roundrobin "$BPORT")" \
	"$(tg_listener many 9000 roundrobin "$EPORT")"
tg_start
tg_wait_stats

if ! page=$(nsexec curl -sS --max-time 10 "http://$TG_VIP/" 2>&1); then
	stats_json >&2 || true
	fail "curl through the packet link failed: $page"
fi
[ "$page" = "web-$TG_ID" ] || fail "curl got '$page', expected web-$TG_ID"

set +e
cres=$(nsexec timeout 150 "$PY" "$TOOLS/client.py" "$TG_VIP" 5001 --send "$SIZE" --timeout 30)
crc=$?
set -e
log "client: $cres"
[ $crc -eq 0 ] || fail "client failed (exit $crc): $cres"
wait_bg bulk 30 || fail "backend did not finish: $(cat "$TG_DIR/bulk.log")"
bres=$(backend_report bulk)
[ -n "$bres" ] || fail "no backend report"
[ "$(json_get recv_bytes <<<"$bres")" = "$SIZE" ] || fail "backend received $(json_get recv_bytes <<<"$bres") bytes"
[ "$(json_get recv_bytes <<<"$cres")" = "$SIZE" ] || fail "client received $(json_get recv_bytes <<<"$cres") bytes"
[ "$(json_get sent_sha256 <<<"$cres")" = "$(json_get recv_sha256 <<<"$bres")" ] || fail "client→backend SHA-256 differs"
[ "$(json_get sent_sha256 <<<"$bres")" = "$(json_get recv_sha256 <<<"$cres")" ] || fail "backend→client SHA-256 differs"

zero() { [ "$(stat_value tcp.connections_active)" = 0 ]; }
wait_for 10 zero || fail "tcp.connections_active = $(stat_value tcp.connections_active) afterwards"
st=$(stats_json)
g() { json_get "$1" <<<"$st"; }
log "interface: $(g interface)"
[ "$(g tcp.connections_total)" -ge 2 ] || fail "tcp.connections_total = $(g tcp.connections_total)"
[ "$(g interface.rx_frames)" -ge $((SIZE / 1500)) ] || fail "interface.rx_frames = $(g interface.rx_frames)"
[ "$(g interface.tx_frames)" -ge $((SIZE / 1500)) ] || fail "interface.tx_frames = $(g interface.tx_frames)"
[ "$(g interface.rx_bytes)" -ge "$SIZE" ] || fail "interface.rx_bytes = $(g interface.rx_bytes)"
[ "$(g interface.tx_bytes)" -ge "$SIZE" ] || fail "interface.tx_bytes = $(g interface.tx_bytes)"
[ "$(g interface.arp_replies_sent)" -ge 1 ] || fail "no ARP reply sent"
[ "$(g interface.rx_csum_completed)" -ge 1 ] || fail "no partial checksum completed (TX offload on the client end)"
[ "$(g tcp.bad_checksum)" = 0 ] || fail "tcp.bad_checksum = $(g tcp.bad_checksum)"
[ "$(g listeners.1.bytes_in)" = "$SIZE" ] || fail "listener bulk bytes_in = $(g listeners.1.bytes_in)"
[ "$(g listeners.1.bytes_out)" = "$SIZE" ] || fail "listener bulk bytes_out = $(g listeners.1.bytes_out)"
[ "$(g tcp.resets_received)" = 0 ] || fail "tcp.resets_received = $(g tcp.resets_received)"
rsts=$(ip netns exec "$TG_LINK_NS" nstat -az TcpOutRsts | awk '$1 == "TcpOutRsts" {print $2}')
[ "${rsts:-0}" = 0 ] || fail "the link namespace's kernel sent $rsts RSTs"
if [ "$WORKERS" -gt 1 ]; then
	# 60 more flows: the fanout hash leaves a worker without one with odds ~2^-60
	out=$(nsexec timeout 60 "$PY" "$TOOLS/many.py" "$TG_VIP" 9000 --seq 10 --conc 50 --names "e1-$TG_ID" 2>&1) ||
		fail "many.py: $out"
	st=$(stats_json)
	for ((i = 0; i < WORKERS; i++)); do
		log "worker $i: $(g "workers.$i")"
		[ "$(g "workers.$i.connections_total")" -ge 1 ] || fail "worker $i carried no connection (fanout)"
	done
fi
tg_alive || fail "tcpgate died"
pass "workers=$WORKERS, 32 MiB each way in $(json_get seconds <<<"$cres") s"
