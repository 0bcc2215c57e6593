#!/usr/bin/env bash
# t_reload_many: N reloads (20; 100 with E2E_LONG=1) alternating two valid configs
# that add/remove a listener and a backend, spread over a wrk run of WRK_S seconds
# (10; 60 with E2E_LONG=1) against a listener both configs leave unchanged, while
# an MB MiB transfer (16; 200 with E2E_LONG=1) runs on another unchanged
# listener and a curl loop hits the listener whose pool changes: wrk counts no
# socket error and no non-2xx answer, no curl fails, the transfer's SHA-256
# match both ways, and every RST tcpgate sent answered a refused SYN (none
# reset an established connection). A connection on the removed listener
# keeps going while new ones are refused. Broken files (syntax, unknown key,
# bad address, duplicate listener) are refused with FILE:LINE, counted in
# /stats, traffic unaffected.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
command -v wrk >/dev/null || fail "wrk not installed (scripts/deps.sh)"
tg_init
CTL="$BUILD/tcpgatectl"
N=20 MB=16 WRK_S=10
TG_DEFAULTS="connect_timeout_ms = 1000; drain_timeout_s = 10;"
[ -n "${E2E_LONG:-}" ] && N=100 MB=200 WRK_S=60
read -r PA PB PH PX PS < <(free_ports 5 | xargs)
start_backend_http "A-$TG_ID" "$PA"
start_backend_http "B-$TG_ID" "$PB"
start_backend_http "S-$TG_ID" "$PS"
start_backend held "$PH" --send $((MB * 1024 * 1024))
start_backend xhold "$PX" --send 1000
cfg_a() { tg_config "$(tg_listener web 80 roundrobin "$PA")" "$(tg_listener held 5003 roundrobin "$PH")" "$(tg_listener static 8000 roundrobin "$PS")" "$(tg_listener extra 8080 roundrobin "$PX")"; }
cfg_b() { tg_config "$(tg_listener web 80 roundrobin "$PA" "$PB")" "$(tg_listener held 5003 roundrobin "$PH")" "$(tg_listener static 8000 roundrobin "$PS")"; }
cfg_a
tg_start
tg_wait_stats

# a connection on "extra" that outlives its listener's removal
start_bg xclient ip netns exec "$TG_NS" "$PY" "$TOOLS/client.py" "$TG_VIP" 8080 --send 3000 --hold 3 --timeout 30
start_bg client ip netns exec "$TG_NS" "$PY" "$TOOLS/client.py" "$TG_VIP" 5003 --send $((MB * 1024 * 1024)) --timeout 120
cat >"$TG_DIR/loop.sh" <<LOOP
fails=0; n=0
while [ ! -e "$TG_DIR/stop" ]; do
	n=\$((n + 1)); curl -sf --max-time 5 -o /dev/null "http://$TG_VIP/" || fails=\$((fails + 1))
done
echo "requests \$n failed \$fails"
LOOP
start_bg loop ip netns exec "$TG_NS" bash "$TG_DIR/loop.sh"
start_bg wrk ip netns exec "$TG_NS" wrk -t2 -c8 -d"${WRK_S}s" --timeout 10s "http://$TG_VIP:8000/"
sleep 0.5
# the reloads spread over the wrk run, the last one about a second before its end
gap=$("$PY" -c "print(max(0.05, ($WRK_S - 1.5) / $N))")
for ((i = 1; i <= N; i++)); do
	if ((i % 2)); then cfg_b; else cfg_a; fi
	out=$("$CTL" -s "$TG_CTL_SOCK" reload) || fail "reload $i failed: $out"
	if [ "$i" = 1 ]; then
		nsexec curl -s --max-time 2 "http://$TG_VIP:8080/" >/dev/null 2>&1 && fail "removed listener extra still accepts"
		log "removed listener refuses new connections"
	fi
	sleep "$gap"
done
log "$N reloads done: $out"
wait_bg xclient 30 || fail "connection on the removed listener failed: $(cat "$TG_DIR/xclient.log")"
[ "$(json_get recv_sha256 <"$TG_DIR/xclient.log")" = "$(json_get sent_sha256 < <(backend_report xhold))" ] || fail "removed listener's connection: data differs"

# broken files: each refused with FILE:LINE
cp "$TG_CFG" "$TG_DIR/good.cfg"
f0=$(stat_value config.reload_failures); g0=$(stat_value config.generation)
broken() {
	local what=$1 out rc=0
	"$CTL" -s "$TG_CTL_SOCK" reload >"$TG_DIR/bad.out" 2>&1 || rc=$?
	out=$(cat "$TG_DIR/bad.out")
	[ $rc = 1 ] || fail "$what: tcpgatectl exit $rc: $out"
	grep -q "$TG_CFG:[0-9]*:" <<<"$out" || fail "$what: no FILE:LINE in: $out"
	log "$what refused: $(head -1 <<<"$out")"
	cp "$TG_DIR/good.cfg" "$TG_CFG"
}
sed '3s/$/ {{{/' "$TG_DIR/good.cfg" >"$TG_CFG"; broken "syntax error"
sed '2a bogus_key = 1;' "$TG_DIR/good.cfg" >"$TG_CFG"; broken "unknown key"
sed "0,/127.0.0.1:$PA/s//127.0.0.300:$PA/" "$TG_DIR/good.cfg" >"$TG_CFG"; broken "bad address"
sed '0,/name    = "held"/s//name    = "web"/' "$TG_DIR/good.cfg" >"$TG_CFG"; broken "duplicate listener"
[ "$(stat_value config.reload_failures)" = $((f0 + 4)) ] || fail "reload_failures $(stat_value config.reload_failures), expected $((f0 + 4))"
[ "$(stat_value config.generation)" = "$g0" ] || fail "a broken file changed the generation"
[ "$(stat_value config.last_error)" != None ] || fail "last_error not set"

wait_bg client 300 || fail "transfer across reloads failed: $(cat "$TG_DIR/client.log")"
touch "$TG_DIR/stop"; wait_bg loop 10 || true
res=$(cat "$TG_DIR/loop.log"); log "request loop: $res"
[ "$(awk '{print $4}' <<<"$res")" = 0 ] || fail "requests failed during reloads: $res"
wait_bg wrk $((WRK_S + 30)) || fail "wrk failed: $(cat "$TG_DIR/wrk.log")"
cat "$TG_DIR/wrk.log" >&2
reqs=$(awk '/requests in/ {print $1}' "$TG_DIR/wrk.log")
errs=$(awk '/Socket errors/ {gsub(",", ""); print $4 + $6 + $8 + $10}' "$TG_DIR/wrk.log")
non2xx=$(awk '/Non-2xx/ {print $NF}' "$TG_DIR/wrk.log")
errs=${errs:-0} non2xx=${non2xx:-0}
log "wrk ${WRK_S}s across $N reloads: $reqs requests, $errs socket errors, $non2xx non-2xx"
[ -n "$reqs" ] && [ "$reqs" -ge 100 ] || fail "wrk did only ${reqs:-no} requests"
[ "$errs" = 0 ] && [ "$non2xx" = 0 ] || fail "wrk: $errs socket errors, $non2xx non-2xx responses"
cres=$(cat "$TG_DIR/client.log"); bres=$(backend_report held)
[ "$(json_get sent_sha256 <<<"$cres")" = "$(json_get recv_sha256 <<<"$bres")" ] || fail "client→backend data differs"
[ "$(json_get sent_sha256 <<<"$bres")" = "$(json_get recv_sha256 <<<"$cres")" ] || fail "backend→client data differs"
bin=$(stats_json | "$PY" -c 'import json,sys; print([l for l in json.load(sys.stdin)["listeners"] if l["name"]=="held"][0]["bytes_in"])')
[ "$bin" = $((MB * 1024 * 1024)) ] || fail "held bytes_in $bin, expected $((MB * 1024 * 1024)) (counters reset?)"
st=$(stats_json)
rst=$(json_get tcp.resets_sent <<<"$st") rej=$(json_get tcp.syn_rejected <<<"$st")
[ "$rst" = "$rej" ] || fail "tcpgate sent $rst RSTs but refused only $rej SYNs: an established connection was reset"
pass "$N reloads, wrk $reqs requests 0 errors, $res, ${MB} MiB intact, $rst RST(s) all for refused SYNs"
