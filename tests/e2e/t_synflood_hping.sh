#!/usr/bin/env bash
# t_synflood_hping: hping3 --flood SYNs from the client namespace with the
# source 10.88.0.77 (an address nobody owns: tcpgate's SYN-ACKs to it wait for
# an ARP answer that never comes) for 8 s (30 s with E2E_SOAK=1) while a real
# client (10.88.0.2) opens 200 connections (1000), each one request/response:
#  - at least 99 % of the real connections succeed;
#  - tcpgate's VmRSS stays below its baseline + 64 MiB;
#  - syncookies_sent counts (cookie mode above the half-open threshold);
#  - the backend accepts no more connections than the real ones plus the
#    half-open threshold (connect-first handshakes of flood SYNs below it),
#    and 10.88.0.77 never shows up ESTABLISHED in /connections;
#  - the ARP hold queue for 10.88.0.77 stays bounded: SYN-ACKs that cannot
#    be held are dropped and counted (interface.tx_dropped).
# e2e-timeout: 240
set -euo pipefail
. "$(dirname "$0")/lib.sh"
tg_init
command -v hping3 >/dev/null || fail "hping3 not installed (scripts/deps.sh)"

FLOOD_SRC=10.88.0.77
if [ -n "${E2E_SOAK:-}" ]; then FLOOD_S=30 REAL=1000; else FLOOD_S=8 REAL=200; fi
WORKERS=5
MAXCONN=400
# the stack's pool is max + 64 + max / 64 entries (proxy/worker.c); cookies
# start at a quarter of it (stack.h: syncookie_threshold 0)
THRESHOLD=$(((MAXCONN + 64 + MAXCONN / 64) / 4))
RSS_LIMIT_KB=$((64 * 1024))

TG_DEFAULTS="connect_timeout_ms = 2000; drain_timeout_s = 1; max_connections = $MAXCONN;"
read -r EPORT < <(free_ports 1)
start_backend echo "$EPORT" --mode echo --name "e-$TG_ID" --log-accepts
tg_config "$(tg_listener flood 80 roundrobin "$EPORT")"
tg_start
tg_wait_stats
base=$(rss_kb "$TG_PID")
log "tcpgate VmRSS before the flood: $base KiB; half-open threshold $THRESHOLD"

start_bg flood ip netns exec "$TG_NS" timeout -s INT "$FLOOD_S" hping3 --flood -S -p 80 -a "$FLOOD_SRC" "$TG_VIP"
fpid=$BG_PID
sleep 1
# the real client: WORKERS processes, each REAL / WORKERS sequential connections
for w in $(seq 1 $WORKERS); do
	start_bg "real$w" ip netns exec "$TG_NS" "$PY" "$TOOLS/many.py" "$TG_VIP" 80 \
		--seq $((REAL / WORKERS)) --conc 0 --names "e-$TG_ID" --timeout 30
done
peak=$base
flood_established=0
samples=0
while kill -0 "$fpid" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$fpid/stat" 2>/dev/null)" != Z ]; do
	tg_alive || fail "tcpgate died during the flood"
	r=$(rss_kb "$TG_PID")
	[ "$r" -le "$peak" ] || peak=$r
	if conns=$(stats_json connections 2>/dev/null); then
		samples=$((samples + 1))
		n=$("$PY" -c '
import json, sys
d = json.loads(sys.argv[1])
print(sum(1 for c in d["connections"] if c["client"].startswith(sys.argv[2] + ":") and c["state"] == "ESTABLISHED"))' "$conns" "$FLOOD_SRC")
		flood_established=$((flood_established + n))
	fi
	sleep 0.5
done
wait_bg flood 10 || true
log "hping3: $(grep -E 'packets|transmitted' "$TG_DIR/flood.log" | tr '\n' ' ')"
ok=0
for w in $(seq 1 $WORKERS); do
	wait_bg "real$w" 300 || true
	line=$(grep '^sequential:' "$TG_DIR/real$w.log" || true)
	log "real client $w: $line"
	[[ $line =~ ^sequential:\ ([0-9]+)/ ]] || fail "real client $w gave no result: $(tail -n 5 "$TG_DIR/real$w.log")"
	ok=$((ok + BASH_REMATCH[1]))
	grep '^  ' "$TG_DIR/real$w.log" | head -n 3 >&2 || true
done
total=$(((REAL / WORKERS) * WORKERS))
sleep 1
st=$(stats_json)
cookies=$(json_get tcp.syncookies_sent <<<"$st")
accepts=$(grep -c '^ACCEPT' "$TG_DIR/echo.log" || true)
log "real connections ok: $ok/$total; backend accepted $accepts; tcp.syncookies_sent $cookies," \
	"syn_received $(json_get tcp.syn_received <<<"$st"), syn_dropped $(json_get tcp.syn_dropped <<<"$st")," \
	"interface.tx_dropped $(json_get interface.tx_dropped <<<"$st"), rx_dropped $(json_get interface.rx_dropped <<<"$st")," \
	"arp_requests_sent $(json_get interface.arp_requests_sent <<<"$st" 2>/dev/null || echo ?)"
log "tcpgate VmRSS: base $base KiB, peak $peak KiB (+$((peak - base)) KiB); /connections sampled $samples times"
[ $((ok * 100)) -ge $((total * 99)) ] || fail "only $ok of $total real connections succeeded during the flood"
[ "$cookies" -gt 0 ] || fail "no SYN cookies sent during the flood"
[ "$accepts" -le $((total + THRESHOLD)) ] || fail "backend accepted $accepts connections (> $total real + $THRESHOLD half-open)"
[ "$flood_established" -eq 0 ] || fail "$FLOOD_SRC reached ESTABLISHED in /connections ($flood_established times)"
[ "$samples" -gt 0 ] || fail "/connections never answered during the flood"
[ "$(json_get interface.tx_dropped <<<"$st")" -gt 0 ] || fail "no SYN-ACK to $FLOOD_SRC dropped: is the ARP hold queue unbounded?"
[ $((peak - base)) -lt $RSS_LIMIT_KB ] || fail "VmRSS grew by $((peak - base)) KiB during the flood"
pass "$ok/$total real connections; $cookies cookies; backend accepted $accepts"
