#!/usr/bin/env bash
# t_lb_timeouts: session timeouts (issue 4), each measured from the client:
#  - halfclosed_timeout_s = 1: the client shuts down its sending side, the
#    backend never closes: RST after 1 s (before the 3 s idle timeout);
#  - idle_timeout_s = 3: an open, silent connection: RST after 3..4.5 s;
#  - max_lifetime_s = 5: a connection sending a byte every 0.25 s (never idle,
#    never half-closed): RST after 5..6.5 s.
# Without the respective timer each connection would stay open (the check
# waits up to 9 s). The half-closed timeout is an idle timer: a download that
# goes on for 3 s after the client's FIN (a 4 KiB chunk every 0.25 s) is not
# cut off. connect_timeout_ms is covered by t_refused/t_failover.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
tg_init

read -r PA PS < <(free_ports 2 | xargs)
# the slow backend: reads the request to EOF, then sends 12 chunks of 4 KiB 0.25 s apart
cat >"$TG_DIR/slowsend.py" <<'PYEOF'
import socket, sys, time
srv = socket.create_server(("127.0.0.1", int(sys.argv[1])))
print("READY", flush=True)
c, _ = srv.accept()
while c.recv(65536):
    pass
for _ in range(12):
    c.sendall(b"x" * 4096)
    time.sleep(0.25)
c.close()
PYEOF
start_bg slow "$PY" -u "$TG_DIR/slowsend.py" "$PS"
wait_for 10 grep -q READY "$TG_DIR/slow.log" || fail "slow backend did not start"
start_bg hold "$PY" -u "$TOOLS/lbback.py" --hold --ignore-eof a="$PA"
wait_for 10 grep -q READY "$TG_DIR/hold.log" || fail "backend did not start"
TG_DEFAULTS="connect_timeout_ms = 1000; drain_timeout_s = 1; idle_timeout_s = 3;
  halfclosed_timeout_s = 1; max_lifetime_s = 5;"
tg_config "$(tg_listener t 80 roundrobin "$PA")" "$(tg_listener s 81 roundrobin "$PS")"
tg_start
tg_wait_stats

r=$(nsexec "$PY" - "$TG_VIP" <<'PYEOF'
import json, socket, sys, threading, time
host = sys.argv[1]
res = {}
def run(kind):
    s = socket.create_connection((host, 80), timeout=10)
    s.makefile().readline()
    t0 = time.monotonic()
    if kind == "halfclosed":
        s.shutdown(socket.SHUT_WR)
    s.settimeout(0.25)
    while time.monotonic() - t0 < 9:
        try:
            if kind == "lifetime":
                s.send(b"x")
            if s.recv(100) == b"":
                res[kind] = ["eof", round(time.monotonic() - t0, 2)]
                return
        except socket.timeout:
            continue
        except OSError as e:
            res[kind] = [type(e).__name__, round(time.monotonic() - t0, 2)]
            return
    res[kind] = ["open", 9]
ts = [threading.Thread(target=run, args=(k,)) for k in ("halfclosed", "idle", "lifetime")]
for t in ts: t.start()
for t in ts: t.join()
print(json.dumps(res, sort_keys=True))
PYEOF
)
log "timeouts: $r"
check() { # KIND MIN MAX
	local how t
	how=$(json_get "$1.0" <<<"$r")
	t=$(json_get "$1.1" <<<"$r")
	[ "$how" = ConnectionResetError ] || fail "$1: expected a reset, got $how after ${t}s"
	"$PY" -c "import sys; sys.exit(0 if $2 <= $t <= $3 else 1)" ||
		fail "$1: reset after ${t}s, expected $2..$3 s"
}
check halfclosed 0.9 2.5
check idle 2.9 4.5
check lifetime 4.9 6.5
set +e
cres=$(nsexec timeout 30 "$PY" "$TOOLS/client.py" "$TG_VIP" 81 --send 10 --timeout 10)
crc=$?
set -e
[ $crc -eq 0 ] && [ "$(json_get recv_bytes <<<"$cres")" = $((12 * 4096)) ] ||
	fail "a download going on after the client's FIN was cut off (exit $crc): $cres"
log "half-closed but busy for 3 s: all $((12 * 4096)) bytes arrived"
st=$(stats_json)
[ "$(json_get listeners.0.halfclosed_timeouts <<<"$st")" -ge 1 ] || fail "halfclosed_timeouts not counted"
[ "$(json_get listeners.0.lifetime_expired <<<"$st")" -ge 1 ] || fail "lifetime_expired not counted"
pass
