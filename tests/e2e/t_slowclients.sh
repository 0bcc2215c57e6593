#!/usr/bin/env bash
# t_slowclients: 2000 connections (10 000 with E2E_SOAK=1) each send one byte
# every 10 s to an echo backend and check the echo (tools/soakcli.c), with
# idle_timeout_s = 20 and max_connections just above them. Meanwhile a real
# client moves 16 MiB each way through another listener (SHA-256 both ways)
# and 20 request/response connections are answered. Afterwards: no slow client
# failed (the idle timeout spares connections that are slow but not idle),
# connections_active = 0. Asserts success and checksums, never speed.
# e2e-timeout: 300
set -euo pipefail
. "$(dirname "$0")/lib.sh"
tg_init

if [ -n "${E2E_SOAK:-}" ]; then N=10000 DUR=120; else N=2000 DUR=25; fi
N=${SLOW_CONNS:-$N} DUR=${SLOW_SECONDS:-$DUR}
SIZE=$((16 * 1024 * 1024))
SOAKCLI="$BUILD/tools/soakcli"
ECHOD="$BUILD/tools/echod"
[ -x "$SOAKCLI" ] && [ -x "$ECHOD" ] || fail "$SOAKCLI or $ECHOD not built (make tools)"
ulimit -n "$(ulimit -Hn)"
[ "$(ulimit -n)" -ge $((N + 1000)) ] || fail "open-file limit $(ulimit -n) is too low for $N connections"

read -r EPORT BPORT RPORT < <(free_ports 3 | xargs)
start_bg echod "$ECHOD" "$EPORT"
wait_for 10 grep -q "^READY" "$TG_DIR/echod.log" || fail "echod did not start: $(cat "$TG_DIR/echod.log")"
start_backend bulk "$BPORT" --send "$SIZE"
start_backend req "$RPORT" --mode echo --name "r-$TG_ID"
TG_DEFAULTS="connect_timeout_ms = 5000; drain_timeout_s = 2; idle_timeout_s = 20; max_connections = $((N + 200));"
tg_config "$(tg_listener slow 7001 roundrobin "$EPORT")" "$(tg_listener bulk 7002 roundrobin "$BPORT")" \
	"$(tg_listener req 7003 roundrobin "$RPORT")"
tg_start
tg_wait_stats

# one byte every 10 s per connection, the first after a random 0..10 s
start_bg slow ip netns exec "$TG_NS" "$SOAKCLI" "$TG_VIP" 7001 "$N" "$DUR" \
	--inflight 200 --chunk 1 --think-ms 10000 --jitter 0 --seed "$RANDOM" --close-timeout 60
wait_for 120 grep -q '^ESTABLISHED' "$TG_DIR/slow.log" ||
	fail "the slow clients were not all established: $(tail -n 3 "$TG_DIR/slow.log")"
log "$(grep '^ESTABLISHED' "$TG_DIR/slow.log"); tcp.connections_active $(stat_value tcp.connections_active)"

set +e
cres=$(nsexec timeout 180 "$PY" "$TOOLS/client.py" "$TG_VIP" 7002 --send "$SIZE" --timeout 120)
crc=$?
reqs=$(nsexec timeout 120 "$PY" "$TOOLS/many.py" "$TG_VIP" 7003 --seq 20 --conc 0 --names "r-$TG_ID" --timeout 30 2>&1)
rrc=$?
set -e
log "bulk client: $cres"
log "requests: $reqs"
during=$(stat_value tcp.connections_active)
log "tcp.connections_active after the transfer and the requests: $during"
! grep -q '^{' "$TG_DIR/slow.log" || fail "the slow clients ended before the transfer did: raise DUR"
[ $crc -eq 0 ] || fail "16 MiB transfer failed during the slow clients (exit $crc): $cres"
wait_bg bulk 30 || fail "bulk backend did not finish"
bres=$(backend_report bulk)
[ "$(json_get recv_bytes <<<"$bres")" = "$SIZE" ] || fail "backend received $(json_get recv_bytes <<<"$bres") bytes"
[ "$(json_get recv_bytes <<<"$cres")" = "$SIZE" ] || fail "client received $(json_get recv_bytes <<<"$cres") bytes"
[ "$(json_get sent_sha256 <<<"$cres")" = "$(json_get recv_sha256 <<<"$bres")" ] || fail "client→backend SHA-256 mismatch"
[ "$(json_get sent_sha256 <<<"$bres")" = "$(json_get recv_sha256 <<<"$cres")" ] || fail "backend→client SHA-256 mismatch"
[ $rrc -eq 0 ] || fail "requests failed during the slow clients"

set +e
wait_bg slow $((DUR + 150))
src=$?
set -e
res=$(grep '^{' "$TG_DIR/slow.log" | tail -n 1)
log "slow clients (exit $src): $res"
log "tcp: $(stats_json | json_get tcp | tr -d '\n' | cut -c1-700)"
[ -n "$res" ] || fail "no result from the slow clients: $(tail -n 5 "$TG_DIR/slow.log")"
[ "$(json_get errors <<<"$res")" = 0 ] || fail "$(json_get errors <<<"$res") slow clients failed; first: $(json_get first_error <<<"$res")"
[ "$(json_get completed <<<"$res")" = "$N" ] || fail "only $(json_get completed <<<"$res") of $N slow clients completed"
[ "$(json_get bytes_recv <<<"$res")" -ge $((N * 2)) ] || fail "slow clients moved only $(json_get bytes_recv <<<"$res") bytes"
active_zero() { [ "$(stat_value tcp.connections_active)" = 0 ]; }
wait_for 30 active_zero || fail "tcp.connections_active = $(stat_value tcp.connections_active) after the run"
pass "$N slow clients, $(json_get bytes_recv <<<"$res") bytes echoed; 16 MiB each way in $(json_get seconds <<<"$cres") s"
