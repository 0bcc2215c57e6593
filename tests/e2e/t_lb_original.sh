#!/usr/bin/env bash
# t_lb_original: forward = "original" on a "*" listener (issue 4): connections
# to several addresses and ports of a test range (10.88.5.1-3, ports
# 9000-9002; the client routes 10.88.5.0/24 via tcpgate) each reach the
# listener on exactly that address and port. The addresses live on the root
# namespace's loopback for the test (removed by the trap).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
tg_init

ADDRS="10.88.5.1 10.88.5.2 10.88.5.3"
added=()
lb_cleanup() {
	local rc=$? a
	for a in "${added[@]}"; do ip addr del "$a/32" dev lo 2>/dev/null; done
	(exit $rc)
	tg_cleanup
}
trap lb_cleanup EXIT
for a in $ADDRS; do
	ip addr add "$a/32" dev lo
	added+=("$a")
done

specs=()
for a in $ADDRS; do
	for p in 9000 9001 9002; do specs+=("$a-$p=$a:$p"); done
done
start_bg orig "$PY" -u "$TOOLS/lbback.py" "${specs[@]}"
wait_for 10 grep -q READY "$TG_DIR/orig.log" || fail "backends did not start: $(cat "$TG_DIR/orig.log")"

tg_config '  { name = "transparent"; address = "*"; ports = "9000-9002"; forward = "original"; }'
tg_start
ip -n "$TG_NS" route add 10.88.5.0/24 via "$TG_GW_IP"
tg_wait_stats

n=0
for a in $ADDRS; do
	for p in 9000 9001 9002; do
		got=$(nsexec "$PY" -c '
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
print(s.makefile().readline().strip())' "$a" "$p") || fail "$a:$p: no answer"
		[ "$got" = "$a-$p" ] || fail "connection to $a:$p reached '$got'"
		n=$((n + 1))
	done
done
log "$n connections each reached their original destination"
# a port outside the listener's range is refused (RST), not forwarded
if nsexec "$PY" -c 'import socket; socket.create_connection(("10.88.5.1", 9003), timeout=3)' 2>/dev/null; then
	fail "port 9003 (no listener) was accepted"
fi
pass
