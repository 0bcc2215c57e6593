#!/usr/bin/env bash
# t_lb_retry: retries (DESIGN §2, issue 4), no health checks configured:
#  - balance = "source" with 2 refusing backends and 1 live one, retries = 2:
#    20 client addresses (Maglev maps most to a dead backend) are all served,
#    because a retry avoids the backends already tried (without that, a client
#    would hit its dead backend on every attempt);
#  - a backend whose connect times out (a listener with a full accept queue
#    drops SYNs) is retried on the live one after connect_timeout_ms = 300;
#  - with retries = 0 a client of a dead backend gets RST (the check can fail).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
tg_init
TG_PREFIX=16

read -r D1 D2 LIVE BH < <(free_ports 4 | xargs)   # nothing listens on D1, D2
start_bg live "$PY" -u "$TOOLS/lbback.py" live="$LIVE"
wait_for 10 grep -q READY "$TG_DIR/live.log" || fail "backend did not start"
# blackhole: listen(0), never accept, fill the queue: further SYNs are dropped
start_bg blackhole "$PY" -u -c '
import socket, sys, time
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1", int(sys.argv[1]))); l.listen(0)
fill = []
for _ in range(3):
    s = socket.socket(); s.setblocking(False)
    try: s.connect(("127.0.0.1", int(sys.argv[1])))
    except BlockingIOError: pass
    fill.append(s)
print("READY", flush=True)
time.sleep(3600)' "$BH"
wait_for 10 grep -q READY "$TG_DIR/blackhole.log" || fail "blackhole did not start"

TG_DEFAULTS="connect_timeout_ms = 300; drain_timeout_s = 1; retries = 2;"
tg_config "$(tg_listener src 80 source "$D1" "$D2" "$LIVE")" \
	"$(tg_listener bh 81 roundrobin "$BH" "$LIVE")"
tg_start
SRC="$TG_DIR/sources"
for i in $(seq 1 20); do echo "10.88.1.$i"; done >"$SRC"
sed "s|.*|addr add &/16 dev $TG_IF|" "$SRC" | ip -n "$TG_NS" -batch -
tg_wait_stats

m=$(nsexec "$PY" "$TOOLS/lbclient.py" map "$TG_VIP" 80 --src-file "$SRC" --conc 4)
served=$(grep -o '"live"' <<<"$m" | wc -l)
st=$(stats_json)
f1=$(json_get listeners.0.backends.0.connect_failures <<<"$st")
f2=$(json_get listeners.0.backends.1.connect_failures <<<"$st")
log "source over dead, dead, live: $served/20 served; connect_failures $f1, $f2"
[ "$served" -eq 20 ] || fail "only $served of 20 clients served: $m"
[ "$f1" -ge 1 ] && [ "$f2" -ge 1 ] || fail "both dead backends should have been tried"

t0=$(date +%s.%N)
r=$(nsexec "$PY" "$TOOLS/lbclient.py" count "$TG_VIP" 81 4)
dt=$("$PY" -c "import time; print(f'{time.time() - $t0:.2f}')")
log "roundrobin over blackhole, live: $r in ${dt}s"
[ "$(json_get live <<<"$r")" = 4 ] || fail "timed-out connects not retried: $r"
[ "$(stat_value listeners.1.backends.0.connect_failures)" -ge 1 ] || fail "blackhole connect_failures not counted"

rc=0
tg_stop || rc=$?
[ $rc -eq 0 ] || fail "tcpgate exited with $rc"
TG_DEFAULTS="connect_timeout_ms = 300; drain_timeout_s = 1; retries = 0;"
tg_config "$(tg_listener src 80 source "$D1" "$D2" "$LIVE")"
tg_start
sed "s|.*|addr add &/16 dev $TG_IF|" "$SRC" | ip -n "$TG_NS" -batch -
tg_wait_stats
m=$(nsexec "$PY" "$TOOLS/lbclient.py" map "$TG_VIP" 80 --src-file "$SRC" --conc 4)
failed=$(grep -o '"FAILED"' <<<"$m" | wc -l)
log "retries = 0: $failed of 20 clients refused"
[ "$failed" -ge 1 ] || fail "retries = 0 still served every client of a dead backend"
[ "$(stat_value listeners.0.connections_refused)" -eq "$failed" ] || fail "connections_refused != $failed"
pass
