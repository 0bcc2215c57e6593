#!/usr/bin/env bash
# t_reload_defaults: a changed "defaults" section applies after a reload,
# without a restart. Started with idle_timeout_s = 600, retries = 2,
# max_connections = 50, halfclosed_timeout_s = 60, checked one by one:
#   - retries: the listener's pool is a dead and a live backend; with
#     retries = 2 all 6 requests succeed, after a reload to retries = 0 the
#     ones round-robin sends to the dead backend fail (3 of 6);
#   - idle_timeout_s: after a reload to 2, a connection with no traffic is
#     reset 2..5 s after its last byte (connection log reason=idle_timeout);
#   - max_connections: after a reload to 1, a second concurrent connection is
#     refused (RST, connections_refused + 1) while the first continues;
#     back at 50, it is accepted again;
#   - halfclosed_timeout_s: reloaded to 1, a connection the backend
#     half-closed 4 s ago is reset (halfclosed_timeouts + 1); reloaded to 0
#     (never), one half-closed for 3 s completes;
#   - refused: max_connections above the start value, a changed congestion,
#     each with a message saying why; the generation does not move.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
tg_init
CTL="$BUILD/tcpgatectl"

read -r PLIVE PDEAD PH PHC < <(free_ports 4 | xargs)
start_backend_http "live-$TG_ID" "$PLIVE"
start_backend hold "$PH" --send 0 --conns 0
start_backend hc "$PHC" --send 100 --reply-first --conns 0
# defaults BODY: write the config with this defaults body
cfg() {
	TG_DEFAULTS="connect_timeout_ms = 1000; drain_timeout_s = 1; $1"
	tg_config "$(tg_listener web 80 roundrobin "$PDEAD" "$PLIVE")" \
		"$(tg_listener hold 81 roundrobin "$PH" | sed '0,/^    balance/s//    log     = true;\n    balance/')" \
		"$(tg_listener hc 82 roundrobin "$PHC")"
}
reload() {
	local out
	out=$("$CTL" -s "$TG_CTL_SOCK" reload 2>&1) || fail "reload refused: $out"
	log "reload: $out ($1)"
}
BASE="max_connections = 50; halfclosed_timeout_s = 60;"
cfg "idle_timeout_s = 600; retries = 2; $BASE"
tg_start
tg_wait_stats

# requests N: how many of N sequential requests through web fail
failed_requests() {
	local i f=0
	for ((i = 0; i < $1; i++)); do
		nsexec curl -sf --max-time 5 -o /dev/null "http://$TG_VIP/" || f=$((f + 1))
	done
	echo "$f"
}

# --- retries
f=$(failed_requests 6)
[ "$f" = 0 ] || fail "retries = 2: $f of 6 requests failed"
cfg "idle_timeout_s = 600; retries = 0; $BASE"
reload "retries 2 -> 0"
f=$(failed_requests 6)
[ "$f" = 3 ] || fail "retries = 0: $f of 6 requests failed, expected the 3 sent to the dead backend"
log "retries: 0 of 6 failed with retries = 2, 3 of 6 with retries = 0"

# --- idle timeout
cfg "idle_timeout_s = 2; retries = 2; $BASE"
reload "idle_timeout_s 600 -> 2"
start_bg idle ip netns exec "$TG_NS" "$PY" "$TOOLS/client.py" "$TG_VIP" 81 --send 10 --hold 6 --timeout 30
wait_for 12 grep -qE "connection listener=hold .*reason=idle_timeout" "$TG_DIR/tcpgate.log" ||
	fail "idle connection not reset within 12 s after idle_timeout_s = 2"
d=$(grep -E "connection listener=hold .*reason=idle_timeout" "$TG_DIR/tcpgate.log" | sed -E 's/.*duration_ms=([0-9]+).*/\1/')
[ "$d" -ge 2000 ] && [ "$d" -le 5000 ] || fail "idle reset after $d ms, expected 2000..5000"
log "idle: reset after $d ms with idle_timeout_s = 2"
wait_bg idle 20 || true

# --- max_connections
cfg "idle_timeout_s = 600; retries = 2; max_connections = 1; halfclosed_timeout_s = 60;"
reload "max_connections 50 -> 1"
r0=$(stat_value listeners.1.connections_refused)
start_bg first ip netns exec "$TG_NS" "$PY" "$TOOLS/client.py" "$TG_VIP" 81 --send 10 --hold 3 --timeout 30
hold_active() { [ "$(stat_value listeners.1.connections_active)" -ge 1 ]; }
wait_for 5 hold_active || fail "first connection not up"
rc=0
nsexec "$PY" "$TOOLS/client.py" "$TG_VIP" 81 --send 10 --timeout 10 >"$TG_DIR/second.log" 2>&1 || rc=$?
[ $rc != 0 ] || fail "second connection accepted with max_connections = 1: $(cat "$TG_DIR/second.log")"
grep -q ECONNREFUSED "$TG_DIR/second.log" || fail "second connection not refused with RST: $(cat "$TG_DIR/second.log")"
[ "$(stat_value listeners.1.connections_refused)" = $((r0 + 1)) ] || fail "refusal not counted"
wait_bg first 20 || fail "the first connection failed: $(cat "$TG_DIR/first.log")"
cfg "idle_timeout_s = 600; retries = 2; $BASE"
reload "max_connections 1 -> 50"
nsexec "$PY" "$TOOLS/client.py" "$TG_VIP" 81 --send 10 --timeout 10 >/dev/null || fail "refused after max_connections back to 50"
log "max_connections: 1 refuses the second connection, 50 accepts again"

# --- halfclosed timeout: 1 s, then off
cfg "idle_timeout_s = 600; retries = 2; max_connections = 50; halfclosed_timeout_s = 1;"
reload "halfclosed_timeout_s 60 -> 1"
h0=$(stat_value listeners.2.halfclosed_timeouts)
# the backend sends 100 bytes and its FIN; the client sends nothing for 4 s
rc=0
nsexec "$PY" "$TOOLS/client.py" "$TG_VIP" 82 --send 10 --hold 4 --sequential --timeout 20 >"$TG_DIR/hc1.log" 2>&1 || rc=$?
[ "$(stat_value listeners.2.halfclosed_timeouts)" = $((h0 + 1)) ] || fail "halfclosed_timeout_s = 1 did not reset a connection half-closed for 4 s: $(cat "$TG_DIR/hc1.log")"
cfg "idle_timeout_s = 600; retries = 2; max_connections = 50; halfclosed_timeout_s = 0;"
reload "halfclosed_timeout_s 1 -> 0"
nsexec "$PY" "$TOOLS/client.py" "$TG_VIP" 82 --send 10 --hold 3 --sequential --timeout 20 >"$TG_DIR/hc2.log" 2>&1 ||
	fail "half-closed connection failed with halfclosed_timeout_s = 0: $(cat "$TG_DIR/hc2.log")"
[ "$(stat_value listeners.2.halfclosed_timeouts)" = $((h0 + 1)) ] || fail "a connection was reset with halfclosed_timeout_s = 0"
log "halfclosed: 1 s resets a 4 s half-close, 0 lets a 3 s one finish"

# --- refused changes
g=$(stat_value config.generation)
refused() {
	local out rc=0
	out=$("$CTL" -s "$TG_CTL_SOCK" reload 2>&1) || rc=$?
	[ $rc = 1 ] || fail "$1: reload not refused (exit $rc): $out"
	grep -q "$2" <<<"$out" || fail "$1: message does not say '$2': $out"
	log "refused: $out"
}
cfg "max_connections = 51;"
refused "max_connections above start" "restart tcpgate to raise it"
cfg "congestion = \"newreno\"; $BASE"
refused "congestion" "defaults.congestion cannot change on reload"
[ "$(stat_value config.generation)" = "$g" ] || fail "a refused reload changed the generation"
pass "retries, idle, max_connections, halfclosed apply after reload; congestion and a higher limit refused"
