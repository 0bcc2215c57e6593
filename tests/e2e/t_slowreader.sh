#!/usr/bin/env bash
# t_slowreader: the backend reads slowly (after a pause) while the client sends
# 64 MiB: data arrives intact and tcpgate does not buffer it (VmRSS grows < 16 MiB).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
tg_init

SIZE=$((64 * 1024 * 1024))
LIMIT_KB=$((16 * 1024))
read -r BPORT < <(free_ports 1)
# 256 KiB every 50 ms ≈ 5 MiB/s, after 2 s of not reading at all
start_backend slow "$BPORT" --slow --slow-delay 2 --slow-chunk 262144 --slow-interval 0.05
tg_config "$(tg_listener slow 6000 roundrobin "$BPORT")"
tg_start
tg_wait_stats

base=$(rss_kb "$TG_PID")
log "tcpgate VmRSS before transfer: $base KiB"

start_bg client ip netns exec "$TG_NS" "$PY" "$TOOLS/client.py" "$TG_VIP" 6000 --send "$SIZE" --timeout 60
cpid=$BG_PID
max=$base
deadline=$((SECONDS + 150))
while kill -0 "$cpid" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$cpid/stat" 2>/dev/null)" != Z ]; do
	[ $SECONDS -lt $deadline ] || fail "transfer did not finish in 150 s"
	tg_alive || fail "tcpgate died during the transfer"
	r=$(rss_kb "$TG_PID")
	[ "$r" -le "$max" ] || max=$r
	sleep 0.1
done
set +e
wait_bg client 5
crc=$?
set -e
cres=$(cat "$TG_DIR/client.log")
log "client: $cres"
[ $crc -eq 0 ] || fail "client failed (exit $crc): $cres"
wait_bg slow 30 || fail "backend did not finish"
bres=$(backend_report slow)
log "backend: $bres"
growth=$((max - base))
log "tcpgate VmRSS: base $base KiB, max $max KiB, growth $growth KiB (limit $LIMIT_KB KiB)"
[ "$(json_get recv_bytes <<<"$bres")" = "$SIZE" ] || fail "backend got $(json_get recv_bytes <<<"$bres") bytes, expected $SIZE"
[ "$(json_get sent_sha256 <<<"$cres")" = "$(json_get recv_sha256 <<<"$bres")" ] || fail "SHA-256 mismatch"
[ $growth -lt $LIMIT_KB ] || fail "tcpgate VmRSS grew by $growth KiB (≥ $LIMIT_KB KiB)"
pass "max RSS growth $growth KiB, transfer $(json_get seconds <<<"$cres") s"
