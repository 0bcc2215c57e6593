#!/usr/bin/env bash
# t_privdrop: with user = "nobody" tcpgate runs as nobody with no capabilities
# after start (/proc/PID/status Uid, CapEff), traffic flows, a reload through
# tcpgatectl works, the control socket is mode 0600 and owned by nobody, and the
# stats endpoint listens on loopback.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
tg_init
id nobody >/dev/null 2>&1 || { log "SKIP: no user nobody"; exit 0; }
CTL="$BUILD/tcpgatectl"
chmod 0755 "$TG_DIR"	# nobody must read the config file on reload
read -r PA PB < <(free_ports 2 | xargs)
start_backend_http "A-$TG_ID" "$PA"
start_backend_http "B-$TG_ID" "$PB"
tg_config "$(tg_listener web 80 roundrobin "$PA")"
sed -i '1a user = "nobody";' "$TG_CFG"
chmod 0644 "$TG_CFG"
tg_start
tg_wait_stats

nobody_uid=$(id -u nobody)
uid_line=$(awk '/^Uid:/ {print $2, $3, $4, $5}' "/proc/$TG_PID/status")
[ "$uid_line" = "$nobody_uid $nobody_uid $nobody_uid $nobody_uid" ] || fail "Uid is '$uid_line', expected nobody ($nobody_uid) x4"
capeff=$(awk '/^CapEff:/ {print $2}' "/proc/$TG_PID/status")
capprm=$(awk '/^CapPrm:/ {print $2}' "/proc/$TG_PID/status")
[ "$capeff" = 0000000000000000 ] && [ "$capprm" = 0000000000000000 ] || fail "capabilities left: CapEff $capeff CapPrm $capprm"
for t in /proc/"$TG_PID"/task/*; do
	[ "$(awk '/^Uid:/ {print $2}' "$t/status")" = "$nobody_uid" ] || fail "thread $t still has uid $(awk '/^Uid:/ {print $2}' "$t/status")"
done
log "running as nobody ($uid_line), CapEff $capeff, $(ls /proc/"$TG_PID"/task | wc -l) threads"

[ "$(stat -c %a "$TG_CTL_SOCK")" = 600 ] || fail "control socket mode $(stat -c %a "$TG_CTL_SOCK"), expected 600"
[ "$(stat -c %U "$TG_CTL_SOCK")" = nobody ] || fail "control socket owned by $(stat -c %U "$TG_CTL_SOCK")"
ss -ltnH "sport = :$TG_STATS_PORT" | grep -q "127.0.0.1:$TG_STATS_PORT" || fail "stats not on loopback: $(ss -ltnH "sport = :$TG_STATS_PORT")"

[ "$(nsexec curl -sS --max-time 5 "http://$TG_VIP/")" = "A-$TG_ID" ] || fail "no traffic as nobody"
tg_config "$(tg_listener web 80 roundrobin "$PB")"
sed -i '1a user = "nobody";' "$TG_CFG"
chmod 0644 "$TG_CFG"
out=$("$CTL" -s "$TG_CTL_SOCK" reload) || fail "reload as nobody failed: $out"
log "reload: $out"
[ "$(nsexec curl -sS --max-time 5 "http://$TG_VIP/")" = "B-$TG_ID" ] || fail "reload as nobody did not take effect"
"$CTL" -s "$TG_CTL_SOCK" status >"$TG_DIR/status.txt" || fail "tcpgatectl status failed"
grep -q '^web ' "$TG_DIR/status.txt" || fail "status table lacks listener web: $(cat "$TG_DIR/status.txt")"
pass
