#!/usr/bin/env bash
# t_offload: the same bulk transfer with offload = true (vnet header, TSO/checksum
# offload on the TAP; DESIGN §2): 32 MiB each way, SHA-256 equal, plus a curl.
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
pass "32 MiB each way with offload in $(json_get seconds <<<"$cres") s"
