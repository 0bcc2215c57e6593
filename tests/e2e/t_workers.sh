#!/usr/bin/env bash
# t_workers: interface.workers = 2 (multi-queue TAP, one event loop per worker;
# DESIGN §2): two bulk transfers at once and 100 concurrent short connections,
# all intact, nothing left open afterwards, the totals in /stats summed over the
# workers, and both workers really carried connections (/stats "workers": with
# 150 flows hashed over two queues, one queue getting none has odds 2^-149).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
tg_init

SIZE=$((16 * 1024 * 1024))
TG_IFACE_EXTRA="workers = 2;"
read -r B1 B2 E1 < <(free_ports 3 | xargs)
start_backend bulk1 "$B1" --send "$SIZE"
start_backend bulk2 "$B2" --send "$SIZE"
start_backend echo1 "$E1" --mode echo --name "e1-$TG_ID"
tg_config "$(tg_listener bulk1 5001 roundrobin "$B1")" "$(tg_listener bulk2 5002 roundrobin "$B2")" \
	"$(tg_listener many 9000 roundrobin "$E1")"
grep -q 'workers = 2;' "$TG_CFG" || fail "test bug: workers not set"
tg_start
tg_wait_stats

for n in 1 2; do
	start_bg "client$n" ip netns exec "$TG_NS" "$PY" "$TOOLS/client.py" "$TG_VIP" "500$n" --send "$SIZE" --timeout 30
done
set +e
out=$(nsexec timeout 120 "$PY" "$TOOLS/many.py" "$TG_VIP" 9000 --seq 50 --conc 100 --names "e1-$TG_ID" 2>&1)
rc=$?
set -e
log "$out"
[ $rc -eq 0 ] || fail "many.py exit $rc"
for n in 1 2; do
	wait_bg "client$n" 120 || fail "bulk client $n failed: $(cat "$TG_DIR/client$n.log")"
	wait_bg "bulk$n" 30 || fail "bulk backend $n did not finish"
	cres=$(cat "$TG_DIR/client$n.log")
	bres=$(backend_report "bulk$n")
	log "bulk $n: client $cres"
	[ "$(json_get sent_sha256 <<<"$cres")" = "$(json_get recv_sha256 <<<"$bres")" ] || fail "bulk $n: client→backend data differs"
	[ "$(json_get sent_sha256 <<<"$bres")" = "$(json_get recv_sha256 <<<"$cres")" ] || fail "bulk $n: backend→client data differs"
	[ "$(json_get recv_bytes <<<"$cres")" = "$SIZE" ] || fail "bulk $n: client got $(json_get recv_bytes <<<"$cres") bytes"
done
zero() { [ "$(stat_value tcp.connections_active)" = 0 ]; }
wait_for 10 zero || fail "tcp.connections_active = $(stat_value tcp.connections_active) afterwards"
total=$(stat_value tcp.connections_total)
[ "$total" -ge 152 ] || fail "tcp.connections_total = $total, expected ≥ 152 (stats summed over workers?)"
st=$(stats_json)
[ "$(json_get workers <<<"$st" | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 2 ] ||
	fail "/stats lists $(json_get workers <<<"$st") as workers"
sum=0
for i in 0 1; do
	c=$(json_get "workers.$i.connections_total" <<<"$st")
	log "worker $i: connections_total $c, rx_frames $(json_get "workers.$i.rx_frames" <<<"$st")"
	[ "$c" -ge 1 ] || fail "worker $i carried no connection: the queues are not spread"
	sum=$((sum + c))
done
[ "$sum" = "$total" ] || fail "workers' connections_total sum to $sum, tcp.connections_total is $total"
pass
