#!/usr/bin/env bash
# t_offload: the same bulk transfer with offload = true (vnet header, TSO/checksum
# offload on the TAP; DESIGN §2): 32 MiB each way, SHA-256 equal, plus a curl.
# /stats must show that offload really carried the data: GSO frames received
# from the client's kernel and sent by tcpgate, checksums left to the link, frames
# much larger than the MTU on average both ways, and no bad checksum or bad
# offload metadata.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
tg_init

SIZE=$((32 * 1024 * 1024))
TG_OFFLOAD=true
read -r BPORT HPORT < <(free_ports 2 | xargs)
start_backend bulk "$BPORT" --send "$SIZE"
start_backend_http "web-$TG_ID" "$HPORT"
tg_config "$(tg_listener bulk 5001 roundrobin "$BPORT")" "$(tg_listener web 80 roundrobin "$HPORT")"
grep -q 'offload = true;' "$TG_CFG" || fail "test bug: offload not set"
tg_start

out=$(nsexec curl -sS --max-time 10 "http://$TG_VIP/") || fail "curl failed"
[ "$out" = "web-$TG_ID" ] || fail "curl got '$out'"

set +e
cres=$(nsexec timeout 120 "$PY" "$TOOLS/client.py" "$TG_VIP" 5001 --send "$SIZE" --timeout 30)
crc=$?
set -e
log "client: $cres"
[ $crc -eq 0 ] || fail "client failed (exit $crc): $cres"
wait_bg bulk 30 || fail "backend did not finish: $(cat "$TG_DIR/bulk.log")"
bres=$(backend_report bulk)
log "backend: $bres"
[ "$(json_get recv_bytes <<<"$bres")" = "$SIZE" ] || fail "backend received $(json_get recv_bytes <<<"$bres") bytes"
[ "$(json_get recv_bytes <<<"$cres")" = "$SIZE" ] || fail "client received $(json_get recv_bytes <<<"$cres") bytes"
[ "$(json_get sent_sha256 <<<"$cres")" = "$(json_get recv_sha256 <<<"$bres")" ] || fail "client→backend SHA-256 mismatch"
[ "$(json_get sent_sha256 <<<"$bres")" = "$(json_get recv_sha256 <<<"$cres")" ] || fail "backend→client SHA-256 mismatch"
grep -q "offload on" "$TG_DIR/tcpgate.log" || fail "tcpgate did not log 'offload on'"

st=$(stats_json) || fail "no /stats"
ifc() { json_get "interface.$1" <<<"$st"; }
log "interface: rx_frames=$(ifc rx_frames) rx_bytes=$(ifc rx_bytes) rx_gso_frames=$(ifc rx_gso_frames)" \
    "tx_frames=$(ifc tx_frames) tx_bytes=$(ifc tx_bytes) tx_gso_frames=$(ifc tx_gso_frames)" \
    "rx_csum_offloaded=$(ifc rx_csum_offloaded) drop_offload_bad=$(ifc drop_offload_bad)"
# 32 MiB in 64 KiB super-segments is ~512 frames; ask for a quarter of that
[ "$(ifc rx_gso_frames)" -ge 128 ] || fail "only $(ifc rx_gso_frames) GSO frames received"
[ "$(ifc tx_gso_frames)" -ge 128 ] || fail "only $(ifc tx_gso_frames) GSO frames sent"
[ "$(ifc rx_csum_offloaded)" -ge "$(ifc rx_gso_frames)" ] || fail "received GSO frames without offloaded checksum"
[ "$(ifc drop_offload_bad)" = 0 ] || fail "drop_offload_bad = $(ifc drop_offload_bad)"
[ "$(json_get tcp.bad_checksum <<<"$st")" = 0 ] || fail "bad_checksum = $(json_get tcp.bad_checksum <<<"$st")"
# each way the bytes per frame must be well above one MTU (data frames are ~64 KiB,
# pure ACKs pull the average down)
[ $(( $(ifc rx_bytes) / $(ifc rx_frames) )) -gt 3000 ] || fail "average received frame $(( $(ifc rx_bytes) / $(ifc rx_frames) )) bytes"
[ $(( $(ifc tx_bytes) / $(ifc tx_frames) )) -gt 3000 ] || fail "average sent frame $(( $(ifc tx_bytes) / $(ifc tx_frames) )) bytes"
tg_alive || fail "tcpgate died"
pass "32 MiB each way with offload in $(json_get seconds <<<"$cres") s"
