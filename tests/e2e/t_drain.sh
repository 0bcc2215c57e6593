#!/usr/bin/env bash
# t_drain: graceful stop (DESIGN §4): on SIGTERM new SYNs are refused, a connection
# that finishes within drain_timeout_s completes intact, one that outlives it is
# reset, and tcpgate exits 0 at the end of the drain period.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
tg_init

DRAIN=3
TG_DEFAULTS="connect_timeout_ms = 1000; drain_timeout_s = $DRAIN;"
read -r BPORT < <(free_ports 1)
start_backend drain "$BPORT" --send $((1024 * 1024)) --conns 2
tg_config "$(tg_listener drain 5004 roundrobin "$BPORT")"
tg_start
tg_wait_stats

client() { # NAME HOLD_S
	start_bg "$1" ip netns exec "$TG_NS" "$PY" "$TOOLS/client.py" "$TG_VIP" 5004 \
		--send $((1024 * 1024)) --hold "$2" --timeout 20
}
client short 1.5
client long 6
two_active() { [ "$(stat_value tcp.connections_active)" = 2 ]; }
wait_for 3 two_active || fail "the two connections are not established: $(stat_value tcp.connections_active)"

t0=$SECONDS
kill -TERM "$TG_PID"
sleep 0.3
set +e
newc=$(nsexec timeout 10 "$PY" "$TOOLS/client.py" "$TG_VIP" 5004 --connect-only --timeout 5)
set -e
log "new connection while draining: $newc"
[ "$(json_get error <<<"$newc" 2>/dev/null)" = ECONNREFUSED ] || fail "a new connection during the drain was not refused: $newc"

set +e
wait_bg tcpgate $((DRAIN + 10))
trc=$?
took=$((SECONDS - t0))
TG_PID=""
wait_bg short 15
src=$?
wait_bg long 15
lrc=$?
set -e
sres=$(cat "$TG_DIR/short.log")
lres=$(cat "$TG_DIR/long.log")
log "short connection: exit $src: $sres"
log "long connection: exit $lrc: $lres"
log "tcpgate: exit $trc, ${took}s after SIGTERM"
[ $src -eq 0 ] || fail "the connection that ended within the drain period failed"
[ "$(json_get recv_bytes <<<"$sres")" = $((1024 * 1024)) ] || fail "short connection: reply incomplete"
grep -q "\"recv_sha256\": \"$(json_get sent_sha256 <<<"$sres")\"" "$TG_DIR/drain.log" ||
	fail "short connection: the backend did not receive the data the client sent"
[ $lrc -eq 2 ] || fail "the connection outliving the drain period was not reset (exit $lrc)"
grep -qi 'reset' <<<"$lres" || fail "long connection: expected a reset, got: $lres"
[ $trc -eq 0 ] || fail "tcpgate exit status $trc after the drain, expected 0"
{ [ $took -ge $((DRAIN - 1)) ] && [ $took -le $((DRAIN + 2)) ]; } || fail "tcpgate stopped ${took}s after SIGTERM, drain_timeout_s = $DRAIN"
tg_check_log
pass
