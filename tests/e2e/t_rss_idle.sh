#!/usr/bin/env bash
# t_rss_idle: tcpgate's memory follows the connections it holds, not the limit
# it is configured for (issue 6). With workers = 2 and max_connections =
# 100 000 every worker's stack is sized for 100 000 connections; those pools
# must cost address space, not resident memory, until they are used:
#   1. idle VmRSS stays under IDLE_MAX_KB (the pools touched at start made it
#      > 100 MiB);
#   2. N connections held through tcpgate (bench/hold.c to tools/holdsrv.py)
#      add at most PER_CONN_MAX_KB each (about 1 KiB: a stack entry and a
#      session);
#   3. after they are closed, holding N again reuses the freed entries: VmRSS
#      grows by less than a quarter of what the first N added (fresh stack
#      entries alone would be about a third: 504 of ~1400 bytes each).
# RSS bounds with a wide margin, no timing.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
N=${RSS_IDLE_N:-3000}
IDLE_MAX_KB=$((40 * 1024))
PER_CONN_MAX_KB=4

ulimit -n 16384 2>/dev/null || ulimit -n "$(ulimit -Hn)"
[ "$(ulimit -n)" -ge $((N + 1000)) ] || fail "open-file limit $(ulimit -n) too low for $N connections"
tg_init
start_hold_rig
TG_IFACE_EXTRA="workers = 2;"
TG_DEFAULTS="connect_timeout_ms = 1000; drain_timeout_s = 1; max_connections = 100000;"
tg_config "$(tg_listener hold 7000 roundrobin "$HOLD_PORT")"
tg_start
tg_wait_stats

idle=$(rss_kb "$TG_PID")
log "idle VmRSS $idle KiB (max_connections 100000, workers 2)"
[ "$idle" -lt "$IDLE_MAX_KB" ] ||
	fail "idle VmRSS $idle KiB >= $IDLE_MAX_KB KiB: the pools are resident before any connection"

# hold_round NAME: hold N connections, wait until tcpgate has them all; prints VmRSS
hold_round() {
	start_bg "$1" ip netns exec "$TG_NS" "$TG_DIR/hold" "$TG_VIP" 7000 "$N" "$TG_CLIENT_IP" 500 120
	wait_for 150 grep -q '^READY' "$TG_DIR/$1.log" || fail "hold did not report: $(cat "$TG_DIR/$1.log")"
	ready=$(grep '^READY' "$TG_DIR/$1.log")
	[[ $ready == *"established=$N "* ]] || fail "not all connections established: $ready"
	wait_for 60 test "$(stat_value tcp.connections_active)" -ge "$N" ||
		fail "tcp.connections_active $(stat_value tcp.connections_active) < $N"
	rss_kb "$TG_PID"
}

# all_closed: tcpgate holds no connection (and none in TIME-WAIT)
all_closed() {
	local s
	s=$(stats_json) || return 1
	[ "$(json_get tcp.connections_active <<<"$s")" = 0 ] && [ "$(json_get tcp.time_wait <<<"$s")" = 0 ]
}

rss1=$(hold_round hold1)
per_conn=$(( (rss1 - idle) / N ))
log "$N connections held: VmRSS $rss1 KiB, +$((rss1 - idle)) KiB (~$(awk -v a="$rss1" -v b="$idle" -v n="$N" 'BEGIN {printf "%.2f", (a - b) / n}') KiB per connection)"
[ $((rss1 - idle)) -le $((N * PER_CONN_MAX_KB)) ] ||
	fail "VmRSS grew by $((rss1 - idle)) KiB for $N connections (> $PER_CONN_MAX_KB KiB each)"

stop_bg hold1
wait_for 60 all_closed || fail "connections not closed after the client left: $(stats_json)"
rss_closed=$(rss_kb "$TG_PID")
rss2=$(hold_round hold2)
log "after closing: VmRSS $rss_closed KiB; $N held again: $rss2 KiB (+$((rss2 - rss1)) KiB over the first round)"
[ $((rss2 - rss1)) -lt $(( (rss1 - idle) / 4 )) ] ||
	fail "holding $N connections again grew VmRSS by $((rss2 - rss1)) KiB: freed entries are not reused"
active=$(stat_value tcp.connections_active)
stop_bg hold2
pass "idle $idle KiB, $N connections +$((rss1 - idle)) KiB ($per_conn KiB each, rounded down), second round +$((rss2 - rss1)) KiB, active $active"
