#!/usr/bin/env bash
# t_lb_source: balance = "source" (Maglev, M = 65537): 1000 client addresses
# (10.88.1.0 - 10.88.4.231, on-link in a /16) each always reach one backend
# (two rounds agree), all 5 backends are used, and after restarting tcpgate
# with one of the 5 backends removed at most 1/5 + 2 % of the clients move
# (Maglev's minimal disruption; a modulo hash would move ~80 %).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
tg_init
TG_PREFIX=16

# Fixed backend ports: Maglev's table comes from the backend names
# ("A.B.C.D:PORT"), so fixed names make the client spread reproducible. With
# 1000 clients a backend's share varies by about 1.3 % from one table to
# another, and the issue's bound (1/N + 2 %) is only 1.6 sigma above 20 %:
# random ports would make this test fail by chance about one run in twenty.
P1=21101 P2=21102 P3=21103 P4=21104 P5=21105
"$PY" - "$P1" "$P2" "$P3" "$P4" "$P5" <<'PYEOF' || fail "fixed test ports 21101-21105 are in use"
import socket, sys
for p in sys.argv[1:]:
    s = socket.socket(); s.bind(("127.0.0.1", int(p))); s.close()
PYEOF
start_bg lbback "$PY" -u "$TOOLS/lbback.py" a="$P1" b="$P2" c="$P3" d="$P4" e="$P5"
wait_for 10 grep -q READY "$TG_DIR/lbback.log" || fail "lbback did not start"

SRC="$TG_DIR/sources"
"$PY" -c '
for i in range(1000):
    print(f"10.88.{1 + i // 250}.{i % 250 + 1}")' >"$SRC"

# start_with BACKENDS...: (re)start tcpgate and put the 1000 addresses on the client
start_with() {
	tg_config "$(tg_listener src 80 source "$@")"
	tg_start
	sed "s|.*|addr add &/16 dev $TG_IF|" "$SRC" | ip -n "$TG_NS" -batch - ||
		fail "cannot add the client addresses"
	tg_wait_stats
}

# mapping FILE: every source address to its backend, into FILE
mapping() {
	nsexec "$PY" "$TOOLS/lbclient.py" map "$TG_VIP" 80 --src-file "$SRC" --conc 32 >"$1"
	"$PY" -c '
import collections, json, sys
m = json.load(open(sys.argv[1]))
print(json.dumps(collections.Counter(m.values()), sort_keys=True))' "$1"
}

start_with "$P1" "$P2" "$P3" "$P4" "$P5"
log "5 backends, round 1: $(mapping "$TG_DIR/m1")"
log "5 backends, round 2: $(mapping "$TG_DIR/m2")"
cmp -s "$TG_DIR/m1" "$TG_DIR/m2" || fail "source: the same client reached different backends in two rounds"
grep -q FAILED "$TG_DIR/m1" && fail "source: some connections failed: $(grep -o FAILED "$TG_DIR/m1" | wc -l)"
for n in a b c d e; do
	c=$(grep -o "\"$n\"" "$TG_DIR/m1" | wc -l)
	[ "$c" -ge 100 ] || fail "source: backend $n got only $c of 1000 clients"
done

rc=0
tg_stop || rc=$?
[ $rc -eq 0 ] || fail "tcpgate exited with $rc"
start_with "$P1" "$P2" "$P4" "$P5"     # c removed
log "4 backends (c removed): $(mapping "$TG_DIR/m3")"
moved=$("$PY" -c '
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
print(sum(1 for k in a if a[k] != b[k]))' "$TG_DIR/m1" "$TG_DIR/m3")
on_c=$(grep -o '"c"' "$TG_DIR/m1" | wc -l)
log "clients moved: $moved of 1000 ($on_c were on c; limit 1000/5 + 20 = 220)"
[ "$moved" -le 220 ] || fail "source: removing 1 of 5 backends moved $moved clients (> 220)"
# Maglev's minimal disruption: clients of the remaining backends stay put
# (rebuilding the table may shift a handful of entries: at most 1 % of clients)
[ $((moved - on_c)) -le 10 ] || fail "source: $((moved - on_c)) clients of the remaining backends moved"
grep -q '"c"' "$TG_DIR/m3" && fail "source: the removed backend still gets clients"
pass
