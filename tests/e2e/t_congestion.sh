#!/usr/bin/env bash
# t_congestion: defaults.congestion reaches the stack (the log line and every
# connection's "cc" in /connections say so), and the fault injector's counters
# appear in /stats ("fault", only when interface.fault is set) and /metrics.
#   1. congestion = "newreno" with a fault injector: a transfer under faults,
#      SHA-256 equal; /connections shows "newreno" for the live connection;
#      /stats "fault" counts what was injected, /metrics the same numbers.
#   2. no congestion key, no fault: "cubic"; no "fault" object, no fault metric.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/impair.sh"

SIZE=$((4 * 1024 * 1024))

# live_cc: the "cc" of the first connection in /connections (empty if none yet)
live_cc() {
	stats_json connections | "$PY" -c '
import json, sys
c = json.load(sys.stdin)["connections"]
print(c[0]["cc"] if c else "")'
}

# transfer WHAT: SIZE bytes each way; the connection is held open 4 s after
# sending so /connections can be read; prints the cc seen while it was live
transfer() {
	local what=$1 cres cc="" i
	start_bg client nsexec "$PY" "$TOOLS/client.py" "$TG_VIP" 5001 --send "$SIZE" \
		--hold 4 --timeout 60
	for ((i = 0; i < 60; i++)); do
		cc=$(live_cc 2>/dev/null || true)
		[ -z "$cc" ] || break
		sleep 0.1
	done
	wait_bg client 90 || fail "$what: client failed: $(cat "$TG_DIR/client.log")"
	cres=$(grep '^{' "$TG_DIR/client.log" | tail -n 1)
	wait_bg bulk 30 || fail "$what: backend did not finish"
	bres=$(backend_report bulk)
	[ "$(json_get recv_bytes <<<"$cres")" = "$SIZE" ] || fail "$what: client got $(json_get recv_bytes <<<"$cres") bytes"
	[ "$(json_get sent_sha256 <<<"$cres")" = "$(json_get recv_sha256 <<<"$bres")" ] ||
		fail "$what: client→backend SHA-256 mismatch"
	[ "$(json_get sent_sha256 <<<"$bres")" = "$(json_get recv_sha256 <<<"$cres")" ] ||
		fail "$what: backend→client SHA-256 mismatch"
	LIVE_CC=$cc
}

tg_init
read -r BPORT < <(free_ports 1)

# --- 1. newreno, fault injector on -------------------------------------------
start_backend bulk "$BPORT" --send "$SIZE"
TG_DEFAULTS='connect_timeout_ms = 1000; drain_timeout_s = 1; congestion = "newreno";'
tg_config "$(tg_listener bulk 5001 roundrobin "$BPORT")"
impair_fault 'seed = 3; drop = 1.0; duplicate = 2.0; reorder = 2.0; reorder_delay_ms = 2; corrupt = 1.0; direction = "both";'
tg_start
grep -q "congestion control: newreno" "$TG_DIR/tcpgate.log" || fail "no 'congestion control: newreno' log line"
transfer "newreno"
[ "$LIVE_CC" = newreno ] || fail "/connections showed cc '$LIVE_CC', expected newreno"
st=$(stats_json)
for d in in out; do
	frames=$(json_get "fault.$d.frames" <<<"$st")
	[ "$frames" -gt 1000 ] || fail "fault.$d.frames = $frames"
	for k in dropped duplicated reordered corrupted; do
		v=$(json_get "fault.$d.$k" <<<"$st")
		[ "$v" -gt 0 ] || fail "fault.$d.$k = $v after $frames frames"
	done
	[ "$(json_get "fault.$d.truncated" <<<"$st")" = 0 ] || fail "fault.$d.truncated is not 0 (truncate off)"
done
m=$(stats_json metrics)
v=$(json_get fault.in.dropped <<<"$st")
m_v=$(grep '^tcpgate_fault_dropped_total{direction="in"}' <<<"$m" | awk '{print $2}')
[ -n "$m_v" ] && [ "$m_v" -ge "$v" ] || fail "/metrics fault_dropped_total{in} = '$m_v', /stats said $v"
grep -q '^# TYPE tcpgate_fault_reordered_total counter' <<<"$m" || fail "no fault_reordered_total family"
log "newreno: /connections cc=$LIVE_CC; fault in: $(json_get fault.in <<<"$st"); out: $(json_get fault.out <<<"$st")"
tg_stop || fail "tcpgate did not stop cleanly"

# --- 2. defaults: cubic, no fault ---------------------------------------------
start_backend bulk "$BPORT" --send "$SIZE"
TG_DEFAULTS='connect_timeout_ms = 1000; drain_timeout_s = 1;'
TG_STATS_PORT=""
tg_config "$(tg_listener bulk 5001 roundrobin "$BPORT")"
tg_start
grep -q "congestion control: cubic" "$TG_DIR/tcpgate.log" || fail "no 'congestion control: cubic' log line"
transfer "cubic"
[ "$LIVE_CC" = cubic ] || fail "/connections showed cc '$LIVE_CC', expected cubic"
st=$(stats_json)
! json_get fault <<<"$st" >/dev/null 2>&1 || fail "/stats has a fault object without interface.fault"
! stats_json metrics | grep -q '^tcpgate_fault_' || fail "/metrics has fault counters without interface.fault"
pass "congestion newreno/cubic reach the stack; fault counters in /stats and /metrics only with the injector"
