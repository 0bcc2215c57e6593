#!/usr/bin/env bash
# t_connections_10k: a /connections snapshot of 10 000 connections does not
# pause traffic. bench/hold.c (built here) holds 10 000 established idle
# connections through tcpgate to a backend that keeps them (tools/holdsrv.py);
# meanwhile tools/pingpong.py runs a 64-byte ping-pong over another connection
# and GET /connections is fetched 10 times. Every reply must be valid JSON
# with at least 10 000 entries, no probe round trip may fail, and the worst
# one must stay under 500 ms: the point is "no multi-second stall", not a
# benchmark (fetch times and probe percentiles are logged, not asserted).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
N=${CONN10K_N:-10000}
FETCHES=10
BOUND_MS=500

# one fd per held connection in tcpgate, in the backend and in the client
ulimit -n 32768 2>/dev/null || ulimit -n "$(ulimit -Hn)"
[ "$(ulimit -n)" -ge $((N + 1000)) ] || fail "open-file limit $(ulimit -n) too low for $N connections"
tg_init
start_hold_rig
tg_config "$(tg_listener hold 7000 roundrobin "$HOLD_PORT")" "$(tg_listener echo 7001 roundrobin "$ECHO_PORT")"
tg_start
tg_wait_stats

t0=$SECONDS
start_bg holdc ip netns exec "$TG_NS" "$TG_DIR/hold" "$TG_VIP" 7000 "$N" "$TG_CLIENT_IP" 500 180
wait_for 200 grep -q '^READY' "$TG_DIR/holdc.log" || fail "hold did not report: $(cat "$TG_DIR/holdc.log")"
ready=$(grep '^READY' "$TG_DIR/holdc.log")
[[ $ready == *"established=$N "* ]] || fail "not all connections established: $ready"
log "$N connections held after $((SECONDS - t0)) s: $ready"
active=$(stat_value tcp.connections_active)
[ "$active" -ge "$N" ] || fail "tcp.connections_active $active < $N"

start_bg probe ip netns exec "$TG_NS" "$PY" "$TOOLS/pingpong.py" "$TG_VIP" 7001 --stop "$TG_DIR/stop"
sleep 1
times=()
for ((i = 1; i <= FETCHES; i++)); do
	t=$(curl -sf --max-time 30 -o "$TG_DIR/conns.json" -w '%{time_total}' \
		"http://127.0.0.1:$TG_STATS_PORT/connections") || fail "GET /connections #$i failed"
	n=$("$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
c = d["connections"]
assert isinstance(c, list)
print(len(c))' "$TG_DIR/conns.json") || fail "/connections #$i is not valid JSON with a connections list"
	[ "$n" -ge "$N" ] || fail "/connections #$i lists $n connections, expected >= $N"
	times+=("$t")
	sleep 0.3	# older than the 250 ms cache: every fetch is a new snapshot
done
touch "$TG_DIR/stop"
wait_bg probe 30 || fail "latency probe failed: $(cat "$TG_DIR/probe.log")"
res=$(cat "$TG_DIR/probe.log")
log "/connections: $FETCHES replies of >= $N entries ($(wc -c <"$TG_DIR/conns.json") bytes), fetch seconds: ${times[*]}"
log "probe: $res"
[ "$(json_get failures <<<"$res")" = 0 ] || fail "probe round trips failed: $res"
[ "$(json_get rounds <<<"$res")" -ge 20 ] || fail "probe did too few rounds: $res"
"$PY" -c "import sys; sys.exit(0 if $(json_get max_ms <<<"$res") < $BOUND_MS else 1)" ||
	fail "worst probe round trip $(json_get max_ms <<<"$res") ms >= $BOUND_MS ms while /connections was fetched"
stop_bg holdc
pass "$N connections, $FETCHES snapshots, worst round trip $(json_get max_ms <<<"$res") ms"
