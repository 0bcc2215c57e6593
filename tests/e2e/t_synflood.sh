#!/usr/bin/env bash
# t_synflood: SYN cookies (DESIGN §2, RFC 4987): a flood of 2000 bare SYNs that
# never complete the handshake does not turn into a connection flood on the
# backend (cookie mode above the half-open threshold: max_connections / 4 = 50;
# at most 100 backend connections: 50 half-open, 10 real, some margin),
# syncookies_sent counts, and a real client is served during the flood.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
tg_init

FLOOD=2000
TG_DEFAULTS="connect_timeout_ms = 1000; drain_timeout_s = 1; max_connections = 200;"
read -r EPORT < <(free_ports 1)
start_backend echo "$EPORT" --mode echo --name "e-$TG_ID" --log-accepts
tg_config "$(tg_listener flood 80 roundrobin "$EPORT")"
tg_start
tg_wait_stats

# the client kernel must not answer tcpgate's SYN-ACKs to the flood's ports with RST
nsexec nft -f - <<EOF2
table inet tgflood {
  chain in {
    type filter hook input priority 0; policy accept;
    ip saddr $TG_VIP tcp sport 80 tcp dport 1024-19999 counter drop
  }
}
EOF2

start_bg flood ip netns exec "$TG_NS" "$PY" "$TOOLS/synflood.py" "$TG_CLIENT_IP" "$TG_VIP" 80 --count "$FLOOD" --rate 1000
sleep 0.5
set +e
out=$(nsexec timeout 60 "$PY" "$TOOLS/many.py" "$TG_VIP" 80 --seq 5 --conc 5 --names "e-$TG_ID" --timeout 20 2>&1)
rc=$?
set -e
log "real client during the flood: $out"
wait_bg flood 30 || fail "flood did not finish: $(cat "$TG_DIR/flood.log")"
log "SYNs sent: $(cat "$TG_DIR/flood.log")"
sleep 1
accepts=$(grep -c '^ACCEPT' "$TG_DIR/echo.log" || true)
cookies=$(stat_value tcp.syncookies_sent)
log "backend accepted $accepts connections; tcp.syncookies_sent = $cookies, syn_received = $(stat_value tcp.syn_received), syn_dropped = $(stat_value tcp.syn_dropped)"
[ $rc -eq 0 ] || fail "the real client was not served during the flood"
[ "$cookies" -gt 0 ] || fail "no SYN cookies sent during a flood of $FLOOD SYNs"
[ "$accepts" -le 100 ] || fail "the flood reached the backend: $accepts connections accepted"
tg_alive || fail "tcpgate died"
pass
