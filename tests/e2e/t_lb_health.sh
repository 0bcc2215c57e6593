#!/usr/bin/env bash
# t_lb_health: health checks and retries under load (issue 4). wrk runs
# Connection: close requests for ${LB_WRK_S:-12} s over 3 backends with
# health = { interval_ms = 200; timeout_ms = 100; rise = 2; fall = 3; }.
# One backend is SIGKILLed: the only failed requests allowed are those in
# flight on it (at most the wrk connection count); /stats shows it "down"
# within fall x interval (+ 0.5 s slack), with went_down counted. Restarted,
# it is "up" again within rise x interval (+ 1 s for python to start) and
# serves again.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
tg_init

WRK_S=${LB_WRK_S:-$([ -n "${E2E_LONG:-}" ] && echo 30 || echo 12)}	# the issue's 30 s with E2E_LONG=1
CONNS=8
read -r P1 P2 P3 < <(free_ports 3 | xargs)
for p in "$P1" "$P2" "$P3"; do start_backend_http "b$p" "$p"; done
tg_config "$(cat <<CFG
  {
    name = "web"; address = "$TG_VIP"; port = 80; balance = "roundrobin";
    backends = ( { address = "127.0.0.1:$P1"; }, { address = "127.0.0.1:$P2"; },
                 { address = "127.0.0.1:$P3"; } );
    health = { interval_ms = 200; timeout_ms = 100; rise = 2; fall = 3; };
  }
CFG
)"
tg_start
tg_wait_stats
wait_for 5 nsexec curl -sf --max-time 2 "http://$TG_VIP/" || fail "no answer through tcpgate"

# state_after BACKEND_INDEX STATE: seconds until /stats shows it (fails after 5 s)
state_after() {
	"$PY" - "$TG_STATS_PORT" "$1" "$2" <<'PYEOF'
import json, sys, time, urllib.request
port, idx, want = sys.argv[1], int(sys.argv[2]), sys.argv[3]
t0 = time.monotonic()
while time.monotonic() - t0 < 5:
    d = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/stats", timeout=2))
    if d["listeners"][0]["backends"][idx]["state"] == want:
        print(f"{time.monotonic() - t0:.2f}")
        sys.exit(0)
    time.sleep(0.02)
print("never")
sys.exit(1)
PYEOF
}

start_bg wrk ip netns exec "$TG_NS" wrk -t2 -c"$CONNS" -d"${WRK_S}s" -H "Connection: close" "http://$TG_VIP/"
sleep $((WRK_S / 4))
kill -KILL "$(cat "$TG_DIR/pids/http-b$P2.pid")"
rm -f "$TG_DIR/pids/http-b$P2.pid"
down=$(state_after 1 down) || fail "killed backend not marked down within 5 s"
log "killed backend marked down after ${down}s (limit 0.6 + 0.5)"
"$PY" -c "import sys; sys.exit(0 if $down <= 1.1 else 1)" || fail "down after ${down}s > 1.1 s"
sleep $((WRK_S / 4))
t0=$(date +%s.%N)
start_backend_http "b$P2" "$P2"
state_after 1 up >/dev/null || fail "restarted backend not marked up within 5 s"
up=$("$PY" -c "import time; print(f'{time.time() - $t0:.2f}')")
log "restarted backend up ${up}s after its restart (limit 0.4 + 1.0 for python to start)"
"$PY" -c "import sys; sys.exit(0 if $up <= 1.4 else 1)" || fail "up after ${up}s > 1.4 s"
wait_bg wrk $((WRK_S + 10)) || fail "wrk failed: $(cat "$TG_DIR/wrk.log")"
cat "$TG_DIR/wrk.log" >&2
reqs=$(awk '/requests in/ {print $1}' "$TG_DIR/wrk.log")
errs=$(awk '/Socket errors/ {gsub(",", ""); print $4 + $6 + $8 + $10}' "$TG_DIR/wrk.log")
non2xx=$(awk '/Non-2xx/ {print $NF}' "$TG_DIR/wrk.log")
errs=${errs:-0}
non2xx=${non2xx:-0}
log "wrk: $reqs requests, $errs socket errors, $non2xx non-2xx (allowed: $CONNS in flight)"
[ "$reqs" -ge 500 ] || fail "wrk did only $reqs requests"
[ $((errs + non2xx)) -le $CONNS ] || fail "$errs socket errors + $non2xx non-2xx > $CONNS in flight"
st=$(stats_json)
[ "$(json_get listeners.0.backends.1.went_down <<<"$st")" -ge 1 ] || fail "went_down not counted"
[ "$(json_get listeners.0.backends.1.went_up <<<"$st")" -ge 1 ] || fail "went_up not counted"
log "check: $(json_get listeners.0.backends.1.check <<<"$st")"
grep -q "is down" "$TG_DIR/tcpgate.log" || fail "no 'is down' transition logged"
out=$(for i in 1 2 3 4 5 6; do nsexec curl -sS --max-time 5 "http://$TG_VIP/"; done | sort -u | wc -l)
[ "$out" -eq 3 ] || fail "after the restart, 6 requests reached $out backends, expected 3"
pass
