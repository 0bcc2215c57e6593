#!/usr/bin/env bash
# t_exhaust_fd: tcpgate runs out of file descriptors for backend sockets
# (RLIMIT_NOFILE lowered with prlimit after start, leaving 8 free): of 30
# connections held open, those that found an fd are served, every other SYN is
# answered with RST at once (ECONNREFUSED, no hang), counted in the listener's
# connections_refused; the log says so in ONE line (not one per SYN); the
# backend is not blamed (connect_failures stays 0); tcpgate does not crash and
# serves new connections again once the held ones are closed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
tg_init

HOLD=30
FREE=8
ECHOD="$BUILD/tools/echod"
SOAKCLI="$BUILD/tools/soakcli"
[ -x "$SOAKCLI" ] && [ -x "$ECHOD" ] || fail "$SOAKCLI or $ECHOD not built (make tools)"
read -r EPORT < <(free_ports 1)
start_bg echod "$ECHOD" "$EPORT"
wait_for 10 grep -q "^READY" "$TG_DIR/echod.log" || fail "echod did not start: $(cat "$TG_DIR/echod.log")"
tg_config "$(tg_listener fds 7004 roundrobin "$EPORT")"
tg_start
tg_wait_stats

# RLIMIT_NOFILE bounds new fd numbers (lowest free first; fds already open
# above it stay valid): the smallest limit under which FREE numbers are unused
limit=$(ls "/proc/$TG_PID/fd" | sort -n | awk -v free=$FREE '
	{ used[$1] = 1 } END { n = 0; for (l = 0; n < free; l++) if (!(l in used)) n++; print l }')
prlimit --nofile="$limit:$limit" --pid "$TG_PID" || fail "prlimit failed"
log "tcpgate: $(ls "/proc/$TG_PID/fd" | wc -l) fds open; RLIMIT_NOFILE now $limit ($FREE unused numbers below it)"

# hold HOLD connections open (one at a time), report, close them when told
cat >"$TG_DIR/hold.py" <<'PYEOF'
import errno, os, socket, sys, time
host, port, n, flag = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
held, res = [], {"ok": 0, "refused": 0, "other": 0}
for i in range(n):
    s = socket.socket()
    s.settimeout(10)
    try:
        s.connect((host, port))
        s.sendall(b"x")
        if s.recv(1) != b"x":
            raise OSError(errno.EPROTO, "no echo")
        held.append(s)
        res["ok"] += 1
    except ConnectionRefusedError:
        res["refused"] += 1
        s.close()
    except OSError as e:
        res["other"] += 1
        print("conn %d: %s" % (i, e), flush=True)
        s.close()
print("HELD ok=%(ok)d refused=%(refused)d other=%(other)d" % res, flush=True)
deadline = time.monotonic() + 120
while not os.path.exists(flag) and time.monotonic() < deadline:
    time.sleep(0.1)
for s in held:
    s.close()
print("CLOSED", flush=True)
PYEOF
start_bg hold ip netns exec "$TG_NS" "$PY" "$TG_DIR/hold.py" "$TG_VIP" 7004 "$HOLD" "$TG_DIR/release"
wait_for 90 grep -q '^HELD' "$TG_DIR/hold.log" || fail "hold client did not finish: $(cat "$TG_DIR/hold.log")"
line=$(grep '^HELD' "$TG_DIR/hold.log")
log "with $FREE free fds: $line"
tg_alive || fail "tcpgate died when out of file descriptors"
[[ $line =~ ok=([0-9]+)\ refused=([0-9]+)\ other=([0-9]+) ]] || fail "bad hold output: $line"
ok=${BASH_REMATCH[1]} refused=${BASH_REMATCH[2]} other=${BASH_REMATCH[3]}
[ "$other" -eq 0 ] || fail "$other connections failed other than by RST: $(cat "$TG_DIR/hold.log")"
[ "$ok" -ge 1 ] && [ "$ok" -le "$FREE" ] || fail "$ok connections served with $FREE free fds"
[ "$refused" -ge $((HOLD - FREE)) ] || fail "only $refused connections refused"

touch "$TG_DIR/release"
wait_bg hold 30 || fail "hold client did not close"
active_zero() { [ "$(stat_value tcp.connections_active)" = 0 ]; }
wait_for 20 active_zero || fail "connections_active = $(stat_value tcp.connections_active) after closing"
st=$(stats_json)
crefused=$(json_get listeners.0.connections_refused <<<"$st")
cfail=$(json_get listeners.0.backends.0.connect_failures <<<"$st")
bstate=$(json_get listeners.0.backends.0.state <<<"$st")
nlines=$(grep -c 'cannot open a backend socket' "$TG_DIR/tcpgate.log" || true)
log "connections_refused $crefused, backend connect_failures $cfail, backend state $bstate, log lines $nlines"
grep 'cannot open a backend socket' "$TG_DIR/tcpgate.log" >&2 || true
[ "$crefused" -ge "$refused" ] || fail "connections_refused $crefused < $refused refused SYNs"
[ "$cfail" = 0 ] || fail "the backend was blamed for tcpgate's own fd shortage (connect_failures $cfail)"
[ "$nlines" -eq 1 ] || fail "$nlines log lines about the fd shortage for $refused refused SYNs (expected 1)"

# fds are free again: service resumes
res=$(nsexec "$SOAKCLI" "$TG_VIP" 7004 $FREE 2 --think-ms 200 --chunk 1-1000) ||
	fail "connections after the fds were freed failed: $res"
log "after release: $(tail -n 1 <<<"$res")"
pass "$ok served, $refused refused with RST, one log line; service resumed"
