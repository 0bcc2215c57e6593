#!/usr/bin/env bash
# t_many: 200 sequential then 100 concurrent small request/response connections,
# each answer checked; afterwards /stats shows tcp.connections_active == 0.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
tg_init

read -r P1 P2 < <(free_ports 2 | xargs)
start_backend echo1 "$P1" --mode echo --name "e1-$TG_ID"
start_backend echo2 "$P2" --mode echo --name "e2-$TG_ID"
tg_config "$(tg_listener many 9000 roundrobin "$P1" "$P2")"
tg_start
tg_wait_stats

set +e
out=$(nsexec timeout 120 "$PY" "$TOOLS/many.py" "$TG_VIP" 9000 --seq 200 --conc 100 --names "e1-$TG_ID,e2-$TG_ID" 2>&1)
rc=$?
set -e
log "$out"
[ $rc -eq 0 ] || fail "many.py exit $rc"
tg_alive || fail "tcpgate died"

active_zero() { [ "$(stat_value tcp.connections_active)" = 0 ]; }
if ! wait_for 10 active_zero; then
	fail "tcp.connections_active = $(stat_value tcp.connections_active 2>&1) 10 s after the last connection"
fi
total=$(stat_value tcp.connections_total)
log "tcp.connections_total = $total"
[ "$total" -ge 300 ] || fail "tcp.connections_total = $total, expected ≥ 300"
pass
