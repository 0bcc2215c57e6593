#!/usr/bin/env bash
# t_lb_dist: balancing distributions (DESIGN §5 balance, issue 4):
#  - roundrobin, 3 equal backends, 3000 connections: 1000 each ± 1 %;
#  - roundrobin, weights 1:3, 2000 connections: 25 % / 75 % ± 2 %;
#  - leastconn with long-lived connections held open: after closing some, new
#    connections go to the least loaded backends (roundrobin would not);
#  - random (power of two choices): 600 connections, every backend used, none
#    above 50 %.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
tg_init

read -r P1 P2 P3 Q1 Q2 Q3 < <(free_ports 6 | xargs)
start_bg lbback "$PY" -u "$TOOLS/lbback.py" a="$P1" b="$P2" c="$P3"
start_bg lbhold "$PY" -u "$TOOLS/lbback.py" --hold a="$Q1" b="$Q2" c="$Q3"
wait_for 10 grep -q READY "$TG_DIR/lbback.log" || fail "lbback did not start"
wait_for 10 grep -q READY "$TG_DIR/lbhold.log" || fail "lbback --hold did not start"
tg_config "$(tg_listener rr 80 roundrobin "$P1" "$P2" "$P3")" \
	"$(tg_listener w 81 roundrobin "$P1:1" "$P2:3")" \
	"$(tg_listener lc 82 leastconn "$Q1" "$Q2" "$Q3")" \
	"$(tg_listener rnd 83 random "$P1" "$P2" "$P3")"
tg_start
tg_wait_stats

# within COUNT EXPECTED TOLERANCE: |COUNT - EXPECTED| <= TOLERANCE
within() { [ "$1" -ge $(($2 - $3)) ] && [ "$1" -le $(($2 + $3)) ]; }

rr=$(nsexec "$PY" "$TOOLS/lbclient.py" count "$TG_VIP" 80 3000 --conc 16)
log "roundrobin 3 x 1, 3000 connections: $rr"
[ "$(json_get failed <<<"$rr" 2>/dev/null || echo 0)" = 0 ] || fail "roundrobin: failures: $rr"
for n in a b c; do
	within "$(json_get "$n" <<<"$rr")" 1000 10 || fail "roundrobin: backend $n not 1000 ± 1 %: $rr"
done

w=$(nsexec "$PY" "$TOOLS/lbclient.py" count "$TG_VIP" 81 2000 --conc 16)
log "roundrobin weights 1:3, 2000 connections: $w"
within "$(json_get a <<<"$w")" 500 40 || fail "weights 1:3: a not 25 % ± 2 %: $w"
within "$(json_get b <<<"$w")" 1500 40 || fail "weights 1:3: b not 75 % ± 2 %: $w"

# leastconn: hold 9 (3 each), close 2 on c and 1 on a, open 3 more: they must
# go 2 to c and 1 to a; then every backend holds 3 again.
lc=$(nsexec "$PY" - "$TG_VIP" 82 <<'PYEOF'
import collections, json, socket, sys, time
host, port = sys.argv[1], int(sys.argv[2])
def conn():
    s = socket.create_connection((host, port), timeout=5)
    return s, s.makefile().readline().strip()
held = [conn() for _ in range(9)]
first = collections.Counter(n for _, n in held)
close = {"c": 2, "a": 1}
keep = []
for s, n in held:
    if close.get(n, 0) > 0:
        close[n] -= 1
        s.close()
    else:
        keep.append((s, n))
time.sleep(0.3)          # let tcpgate see the closes
new = [conn() for _ in range(3)]
print(json.dumps({"first": first, "new": collections.Counter(n for _, n in new)}))
PYEOF
)
log "leastconn: $lc"
[ "$(json_get first.a <<<"$lc")/$(json_get first.b <<<"$lc")/$(json_get first.c <<<"$lc")" = 3/3/3 ] ||
	fail "leastconn: 9 held connections not 3/3/3: $lc"
[ "$(json_get new <<<"$lc")" = '{"c": 2, "a": 1}' ] || [ "$(json_get new <<<"$lc")" = '{"a": 1, "c": 2}' ] ||
	fail "leastconn: new connections did not go to the least loaded (expected c=2 a=1): $lc"

rnd=$(nsexec "$PY" "$TOOLS/lbclient.py" count "$TG_VIP" 83 600 --conc 16)
log "random, 600 connections: $rnd"
for n in a b c; do
	v=$(json_get "$n" <<<"$rnd" 2>/dev/null || echo 0)
	[ "$v" -ge 100 ] && [ "$v" -le 300 ] || fail "random: backend $n got $v of 600: $rnd"
done
pass
