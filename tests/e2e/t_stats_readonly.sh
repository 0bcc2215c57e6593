#!/usr/bin/env bash
# t_stats_readonly: the stats endpoint is read-only and local by default, the
# control socket private (DESIGN §5, §6):
#  - with no stats group in the config, tcpgate listens on 127.0.0.1:9180 and
#    nowhere else (ss -ltnp shows its PID there; not 0.0.0.0 or [::]; the
#    port is not served through the TAP);
#  - POST, PUT, DELETE and PATCH to /stats, /connections, /metrics and / get
#    405 (with or without a body); GET and HEAD get 200;
#  - the control socket is mode 0600 and the directory tcpgate created for it
#    0700.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
tg_init

DEFAULT_PORT=9180
# the default port is shared by every tcpgate started without a stats group
port_free() { ! ss -ltnH "sport = :$DEFAULT_PORT" | grep -q .; }
wait_for 60 port_free || fail "port $DEFAULT_PORT stays busy: $(ss -ltnpH "sport = :$DEFAULT_PORT")"

read -r PA < <(free_ports 1)
start_backend_http "A-$TG_ID" "$PA"
TG_CTL_SOCK="$TG_DIR/run/control.sock"	# like /run/tcpgate: created by tcpgate
tg_config "$(tg_listener web 80 roundrobin "$PA")"
sed -i '/^stats /d' "$TG_CFG"
grep -q '^stats' "$TG_CFG" && fail "config still has a stats group"
TG_STATS_PORT=$DEFAULT_PORT
tg_start
tg_wait_stats

listen=$(ss -ltnpH "sport = :$DEFAULT_PORT")
log "listening on :$DEFAULT_PORT: $listen"
grep -q "127.0.0.1:$DEFAULT_PORT .*pid=$TG_PID," <<<"$listen" || fail "tcpgate (pid $TG_PID) does not listen on 127.0.0.1:$DEFAULT_PORT"
[ "$(grep -c . <<<"$listen")" = 1 ] || fail "more than one listening socket on :$DEFAULT_PORT: $listen"
ss -ltnpH | grep "pid=$TG_PID," | grep -Ev "127\.0\.0\.1:$DEFAULT_PORT " &&
	fail "tcpgate listens on something else too" || true
if nsexec curl -s --max-time 3 -o /dev/null "http://$TG_GW_IP:$DEFAULT_PORT/stats"; then
	fail "the stats endpoint answers on tcpgate's link address"
fi

[ "$(nsexec curl -sS --max-time 5 "http://$TG_VIP/")" = "A-$TG_ID" ] || fail "no traffic through tcpgate"
for path in stats connections metrics ""; do
	url="http://127.0.0.1:$DEFAULT_PORT/$path"
	for m in GET HEAD; do
		opt=(-X "$m")
		[ $m = HEAD ] && opt=(-I)
		code=$(curl -s -o /dev/null --max-time 5 -w '%{http_code}' "${opt[@]}" "$url")
		[ "$code" = 200 ] || fail "$m /$path: HTTP $code, expected 200"
	done
	for m in POST PUT DELETE PATCH; do
		code=$(curl -s -o /dev/null --max-time 5 -w '%{http_code}' -X "$m" "$url")
		[ "$code" = 405 ] || fail "$m /$path: HTTP $code, expected 405"
		code=$(curl -s -o /dev/null --max-time 5 -w '%{http_code}' -X "$m" \
			-H 'Content-Type: application/json' --data '{"connections_active": 0}' "$url")
		[ "$code" = 405 ] || fail "$m /$path with a body: HTTP $code, expected 405"
	done
done
log "GET/HEAD 200, POST/PUT/DELETE/PATCH 405 on /stats /connections /metrics /"
[ "$(stat_value tcp.connections_total)" -ge 1 ] || fail "stats changed by the writes?"

mode=$(stat -c %a "$TG_CTL_SOCK")
dmode=$(stat -c %a "$(dirname "$TG_CTL_SOCK")")
log "control socket mode $mode, its directory $dmode"
[ "$mode" = 600 ] || fail "control socket mode $mode, expected 600"
[ "$dmode" = 700 ] || fail "control socket directory mode $dmode, expected 700"
"$BUILD/tcpgatectl" -s "$TG_CTL_SOCK" status >/dev/null || fail "tcpgatectl status failed"
tg_alive || fail "tcpgate died"
pass
