#!/usr/bin/env bash
# t_limits: defaults.max_connections and defaults.idle_timeout_s (DESIGN §5).
#  - with max_connections = 4 and 4 connections open, a 5th is not established
#    (refused, counted in connections_refused, or its SYN dropped until a slot
#    frees); once they are gone, new connections are served again;
#  - a connection idle for longer than idle_timeout_s = 2 is closed by tcpgate.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
tg_init

TG_DEFAULTS="connect_timeout_ms = 1000; drain_timeout_s = 1; idle_timeout_s = 2; max_connections = 4;"
read -r P1 P2 < <(free_ports 2 | xargs)
start_backend hold "$P1" --send 100 --conns 0
start_backend idle "$P2" --send 0
tg_config "$(tg_listener hold 5007 roundrobin "$P1")" "$(tg_listener idle 5008 roundrobin "$P2")"
tg_start
tg_wait_stats

active_is() { [ "$(stat_value tcp.connections_active)" = "$1" ]; }

# 1. max_connections: four connections, each sending every second (so the idle
# timeout does not end them), held for 3 s
for i in 1 2 3 4; do
	start_bg "c$i" ip netns exec "$TG_NS" "$PY" -c '
import socket, sys, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
for _ in range(3):
    s.sendall(b"x")
    time.sleep(1)
s.shutdown(socket.SHUT_WR)
while s.recv(4096):
    pass
print("ok")' "$TG_VIP" 5007
done
wait_for 3 active_is 4 || fail "4 connections not established: active = $(stat_value tcp.connections_active)"
# a 5th connection must not be served while the four are open (tcpgate may refuse
# it with an RST or drop the SYN; either way it is not established), and a new one
# is served once they are gone
start_bg c5 ip netns exec "$TG_NS" "$PY" "$TOOLS/client.py" "$TG_VIP" 5007 --send 10 --timeout 15
sleep 1
total=$(stat_value listeners.0.connections_total)
refused=$(stat_value listeners.0.connections_refused)
log "with 4 open and max_connections = 4: listener connections_total $total, connections_refused $refused, tcp.syn_dropped $(stat_value tcp.syn_dropped)"
[ "$total" = 4 ] || fail "a 5th connection was accepted with max_connections = 4 (connections_total $total)"
for i in 1 2 3 4; do
	wait_bg "c$i" 15 || fail "held connection $i failed: $(cat "$TG_DIR/c$i.log")"
done
set +e
wait_bg c5 20
rc5=$?
set -e
c5=$(cat "$TG_DIR/c5.log")
log "5th connection: exit $rc5: $c5"
if [ $rc5 -eq 0 ]; then
	[ "$(json_get recv_bytes <<<"$c5")" = 100 ] || fail "5th connection served late but incomplete: $c5"
	log "5th connection: SYN held back, served once the others ended"
else
	[ "$(json_get error <<<"$c5" 2>/dev/null)" = ECONNREFUSED ] || fail "5th connection failed other than by ECONNREFUSED: $c5"
	[ "$refused" -ge 1 ] || fail "5th connection refused but connections_refused = $refused"
	log "5th connection: refused"
fi
wait_for 5 active_is 0 || fail "connections_active = $(stat_value tcp.connections_active) after the held connections ended"
cres=$(nsexec timeout 10 "$PY" "$TOOLS/client.py" "$TG_VIP" 5007 --send 10 --timeout 5) ||
	fail "new connection after the limit cleared: $cres"
[ "$(json_get recv_bytes <<<"$cres")" = 100 ] || fail "new connection after the limit cleared: $cres"

# 2. idle timeout: one connection, silent after 10 bytes
start_bg idlec ip netns exec "$TG_NS" "$PY" -c '
import socket, sys, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
s.sendall(b"0123456789")
t0 = time.monotonic()
try:
    b = s.recv(4096)
    print("closed by tcpgate after %.1fs: %s" % (time.monotonic() - t0, "EOF" if not b else b))
except OSError as e:
    print("closed by tcpgate after %.1fs: %s" % (time.monotonic() - t0, e))' "$TG_VIP" 5008
set +e
wait_bg idlec 8
irc=$?
set -e
ires=$(cat "$TG_DIR/idlec.log")
log "idle client: exit $irc: $ires"
[ $irc -eq 0 ] || fail "idle connection not closed within 8 s with idle_timeout_s = 2"
[[ $ires =~ after\ ([0-9]+)\.[0-9]s ]] || fail "idle client: unexpected output: $ires"
[ "${BASH_REMATCH[1]}" -ge 1 ] || fail "idle connection closed too early: $ires"
wait_for 5 active_is 0 || fail "connections_active = $(stat_value tcp.connections_active) after the idle timeout"
pass
