#!/usr/bin/env bash
# t_connlog: the per-listener connection log (listener key log = true). A curl
# through a listener with log = true gives exactly one line naming the
# client address:port curl used, the listener, the VIP, the backend and the
# bytes /stats counted; a curl through a listener with log = false gives none.
# Each close reason is produced on purpose and read back: client_fin (backend
# replies only after the client's FIN), backend_eof (backend sends and
# closes first), backend_rst, client_rst, idle_timeout (defaults.idle_timeout_s
# = 2), with exact byte counts.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
tg_init

read -r P1 P2 PF PE PBR PCR PI < <(free_ports 7 | xargs)
start_backend_http "logged-$TG_ID" "$P1"
start_backend_http "quiet-$TG_ID" "$P2"
start_backend fin "$PF" --halfclose --send 3000
start_backend eof "$PE" --reply-first --send 2000
start_backend brst "$PBR" --send 100 --rst-after 0.3
start_backend crst "$PCR" --send 0
start_backend idle "$PI" --send 0
# logged LISTENER_BLOCK: the block with log = true
logged() { sed '0,/^    balance/s//    log     = true;\n    balance/'; }
TG_DEFAULTS="connect_timeout_ms = 1000; drain_timeout_s = 1; idle_timeout_s = 2;"
tg_config "$(tg_listener logged 80 roundrobin "$P1" | logged)" \
	"$(tg_listener quiet 81 roundrobin "$P2")" \
	"$(tg_listener fin 82 roundrobin "$PF" | logged)" \
	"$(tg_listener eof 83 roundrobin "$PE" | logged)" \
	"$(tg_listener brst 84 roundrobin "$PBR" | logged)" \
	"$(tg_listener crst 85 roundrobin "$PCR" | logged)" \
	"$(tg_listener idle 86 roundrobin "$PI" | logged)"
grep -c 'log     = true' "$TG_CFG" | grep -qx 6 || fail "config does not have 6 logged listeners"
tg_start
tg_wait_stats

# line_for LISTENER: the connection log line(s) of a listener
line_for() { grep -E " info +connection listener=$1 " "$TG_DIR/tcpgate.log" || true; }
# wait_line LISTENER: until one line is there (10 s)
wait_line() { wait_for 10 grep -qE " info +connection listener=$1 " "$TG_DIR/tcpgate.log" || fail "no connection log line for $1"; }

cport=$(nsexec curl -sf --max-time 10 -o /dev/null -w '%{local_port}' "http://$TG_VIP/") || fail "curl through logged failed"
nsexec curl -sf --max-time 10 -o /dev/null "http://$TG_VIP:81/" || fail "curl through quiet failed"
wait_line logged
sleep 0.5	# the quiet connection closed at the same time: give its line (there must be none) a chance
[ "$(line_for logged | wc -l)" = 1 ] || fail "expected one line for logged: $(line_for logged)"
[ -z "$(line_for quiet)" ] || fail "listener with log = false logged: $(line_for quiet)"
l=$(line_for logged)
log "line: ${l#*connection }"
st=$(stats_json)
bin=$(json_get listeners.0.bytes_in <<<"$st")
bout=$(json_get listeners.0.bytes_out <<<"$st")
re="listener=logged client=$TG_CLIENT_IP:$cport vip=$TG_VIP:80 backend=127.0.0.1:$P1 bytes_in=$bin bytes_out=$bout duration_ms=[0-9]+ reason=(backend_eof|client_fin)\$"
[[ ${l#*connection } =~ $re ]] || fail "line does not match
  $re
  ${l#*connection }"

# reason_is LISTENER REASON BYTES_IN BYTES_OUT
reason_is() {
	wait_line "$1"
	local l
	l=$(line_for "$1")
	[ "$(wc -l <<<"$l")" = 1 ] || fail "$1: more than one line: $l"
	[[ $l =~ backend=127\.0\.0\.1:[0-9]+\ bytes_in=$3\ bytes_out=$4\ duration_ms=[0-9]+\ reason=$2$ ]] ||
		fail "$1: expected bytes_in=$3 bytes_out=$4 reason=$2: $l"
	log "$1: reason=$2 bytes $3/$4"
}
nsexec "$PY" "$TOOLS/client.py" "$TG_VIP" 82 --send 5000 --timeout 20 >/dev/null || fail "client to fin failed"
reason_is fin client_fin 5000 3000
nsexec "$PY" "$TOOLS/client.py" "$TG_VIP" 83 --recv-first --send 700 --timeout 20 >/dev/null || fail "client to eof failed"
reason_is eof backend_eof 700 2000
nsexec "$PY" "$TOOLS/client.py" "$TG_VIP" 84 --send 10 --no-shutdown --timeout 20 >/dev/null 2>&1 || true
reason_is brst backend_rst 10 100
nsexec "$PY" "$TOOLS/client.py" "$TG_VIP" 85 --send 20 --rst-after 0.3 --timeout 20 >/dev/null 2>&1 || true
reason_is crst client_rst 20 0
start_bg idlec ip netns exec "$TG_NS" "$PY" "$TOOLS/client.py" "$TG_VIP" 86 --send 30 --hold 8 --timeout 20
reason_is idle idle_timeout 30 0
d=$(line_for idle | sed -E 's/.*duration_ms=([0-9]+).*/\1/')
[ "$d" -ge 2000 ] && [ "$d" -lt 6000 ] || fail "idle connection logged after $d ms, expected 2000..6000"
pass "one line per connection on log = true listeners, none otherwise, 6 close reasons"
