#!/usr/bin/env bash
# t_bulk: 64 MiB of random data each way at the same time; SHA-256 of what one end
# sent equals SHA-256 of what the other received, both directions. Offload off
# (t_offload.sh is the same with it on).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
tg_init
TG_OFFLOAD=false	# the plain path: t_offload.sh is the same with offload on

SIZE=$((64 * 1024 * 1024))
read -r BPORT < <(free_ports 1)
start_backend bulk "$BPORT" --send "$SIZE"
tg_config "$(tg_listener bulk 5001 roundrobin "$BPORT")"
tg_start

set +e
cres=$(nsexec timeout 150 "$PY" "$TOOLS/client.py" "$TG_VIP" 5001 --send "$SIZE" --timeout 30)
crc=$?
set -e
log "client: $cres"
[ $crc -eq 0 ] || fail "client failed (exit $crc): $cres"
wait_bg bulk 30 || fail "backend did not finish: $(cat "$TG_DIR/bulk.log")"
bres=$(backend_report bulk)
log "backend: $bres"
[ -n "$bres" ] || fail "no backend report"

c_sent=$(json_get sent_sha256 <<<"$cres")
c_recv=$(json_get recv_sha256 <<<"$cres")
b_sent=$(json_get sent_sha256 <<<"$bres")
b_recv=$(json_get recv_sha256 <<<"$bres")
[ "$(json_get recv_bytes <<<"$bres")" = "$SIZE" ] ||
	fail "backend received $(json_get recv_bytes <<<"$bres") bytes, expected $SIZE"
[ "$(json_get recv_bytes <<<"$cres")" = "$SIZE" ] ||
	fail "client received $(json_get recv_bytes <<<"$cres") bytes, expected $SIZE"
[ "$c_sent" = "$b_recv" ] || fail "client→backend SHA-256 mismatch: $c_sent vs $b_recv"
[ "$b_sent" = "$c_recv" ] || fail "backend→client SHA-256 mismatch: $b_sent vs $c_recv"
tg_alive || fail "tcpgate died"
# offload = false (set above): no vnet header, so no GSO frame either way
st=$(stats_json) || fail "no /stats"
for k in rx_gso_frames tx_gso_frames rx_csum_offloaded; do
	[ "$(json_get "interface.$k" <<<"$st")" = 0 ] || fail "offload off, but $k = $(json_get "interface.$k" <<<"$st")"
done
pass "64 MiB each way in $(json_get seconds <<<"$cres") s"
