#!/usr/bin/env bash
# t_soak: 10 000 concurrent connections, each sending random data that an echo
# backend returns, checked byte for byte and by a per-connection checksum
# (tools/soakcli.c, tools/echod.c), for 60 s (300 s with E2E_SOAK=1, `make
# soak`). Zero errors; the backend saw exactly 10 000 connections; tcpgate's
# /stats shows all 10 000 active during the run and connections_active = 0
# afterwards; its RSS stays bounded during the run and comes back near its
# baseline afterwards (the session table keeps its chunks for reuse, so "near"
# is a fixed allowance, not zero).
# e2e-timeout: 240
set -euo pipefail
. "$(dirname "$0")/lib.sh"
tg_init

N=${SOAK_CONNS:-10000}
if [ -n "${E2E_SOAK:-}" ]; then DUR=${SOAK_SECONDS:-300}; else DUR=${SOAK_SECONDS:-60}; fi
PEAK_LIMIT_KB=$((64 * 1024))	# RSS growth allowed while N connections are open (seen: 3 MiB)
AFTER_LIMIT_KB=$((24 * 1024))	# RSS growth allowed once they are closed (seen: 3 MiB)
SOAKCLI="$BUILD/tools/soakcli"
ECHOD="$BUILD/tools/echod"
[ -x "$SOAKCLI" ] && [ -x "$ECHOD" ] || fail "$SOAKCLI or $ECHOD not built (make tools)"

# every process here holds up to N sockets: tcpgate one per backend connection
ulimit -n "$(ulimit -Hn)"
[ "$(ulimit -n)" -ge $((N + 1000)) ] || fail "open-file limit $(ulimit -n) is too low for $N connections"

read -r EPORT < <(free_ports 1)
start_bg echod "$ECHOD" "$EPORT"
ECHOD_PID=$BG_PID
wait_for 10 grep -q "^READY" "$TG_DIR/echod.log" || fail "echod did not start: $(cat "$TG_DIR/echod.log")"
TG_DEFAULTS="connect_timeout_ms = 5000; drain_timeout_s = 5; max_connections = $((N + 2000));"
tg_config "$(tg_listener soak 7000 roundrobin "$EPORT")"
tg_start
tg_wait_stats
base=$(rss_kb "$TG_PID")
log "tcpgate VmRSS at start: $base KiB; $N connections for ${DUR}s"

start_bg soak ip netns exec "$TG_NS" "$SOAKCLI" "$TG_VIP" 7000 "$N" "$DUR" \
	--inflight 200 --chunk 1-4096 --think-ms 1000 --seed "$RANDOM" --close-timeout 90
spid=$BG_PID
peak=$base
seen_active=0
deadline=$((SECONDS + DUR + 150))
while kill -0 "$spid" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$spid/stat" 2>/dev/null)" != Z ]; do
	[ $SECONDS -lt $deadline ] || fail "soak client still running after $((DUR + 150)) s"
	tg_alive || fail "tcpgate died during the soak: $(tail -n 3 "$TG_DIR/soak.log")"
	r=$(rss_kb "$TG_PID")
	[ "$r" -le "$peak" ] || peak=$r
	if [ $seen_active -lt "$N" ] && grep -q '^ESTABLISHED' "$TG_DIR/soak.log"; then
		a=$(stat_value tcp.connections_active 2>/dev/null || echo 0)
		[ "$a" -le $seen_active ] || seen_active=$a
	fi
	sleep 1
done
set +e
wait_bg soak 10
src=$?
set -e
grep '^PROGRESS' "$TG_DIR/soak.log" | tail -n 3 >&2 || true
res=$(grep '^{' "$TG_DIR/soak.log" | tail -n 1)
log "soak client (exit $src): $res"
[ -n "$res" ] || fail "no result from the soak client: $(tail -n 5 "$TG_DIR/soak.log")"
[ "$(json_get errors <<<"$res")" = 0 ] || fail "$(json_get errors <<<"$res") connections failed; first: $(json_get first_error <<<"$res")"
[ "$(json_get completed <<<"$res")" = "$N" ] || fail "only $(json_get completed <<<"$res") of $N connections completed"
[ $src -eq 0 ] || fail "soak client exit $src"
log "tcp.connections_active peak seen in /stats: $seen_active"
[ "$seen_active" -ge "$N" ] || fail "/stats never showed $N active connections (max seen $seen_active)"

active_zero() { [ "$(stat_value tcp.connections_active)" = 0 ]; }
wait_for 30 active_zero || fail "tcp.connections_active = $(stat_value tcp.connections_active) 30 s after the soak"
kill -USR1 "$ECHOD_PID"
wait_for 5 grep -q '^{' "$TG_DIR/echod.log" || fail "no report from echod"
eres=$(grep '^{' "$TG_DIR/echod.log" | tail -n 1)
log "echo backend: $eres"
[ "$(json_get accepted <<<"$eres")" = "$N" ] || fail "backend accepted $(json_get accepted <<<"$eres") connections, expected $N"
[ "$(json_get errors <<<"$eres")" = 0 ] || fail "backend saw $(json_get errors <<<"$eres") connection errors"
sleep 2
after=$(rss_kb "$TG_PID")
log "tcpgate VmRSS: base $base KiB, peak $peak KiB (+$((peak - base))), after $after KiB (+$((after - base)))"
log "tcp: $(stats_json | json_get tcp | tr -d '\n' | cut -c1-600)"
[ $((peak - base)) -lt $PEAK_LIMIT_KB ] || fail "RSS grew by $((peak - base)) KiB with $N connections (limit $PEAK_LIMIT_KB)"
[ $((after - base)) -lt $AFTER_LIMIT_KB ] || fail "RSS still $((after - base)) KiB above its baseline after the soak (limit $AFTER_LIMIT_KB)"
pass "$N connections x ${DUR}s: $(json_get chunks <<<"$res") chunks, $(json_get bytes_sent <<<"$res") bytes each way, peak RSS +$((peak - base)) KiB"
