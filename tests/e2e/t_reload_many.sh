#!/usr/bin/env bash
# t_reload_many: N reloads (20; 100 with E2E_LONG=1) alternating two valid configs
# that add/remove a listener and a backend, while a 32 MiB (200 MiB long) transfer
# runs on an unchanged listener and a request loop hits it: no failed request, the
# transfer's SHA-256 match both ways. A connection on the removed listener keeps
# going while new ones are refused. Broken files (syntax, unknown key, bad address,
# duplicate listener) are refused with FILE:LINE, counted in /stats, traffic unaffected.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
tg_init
CTL="$BUILD/tcpgatectl"
N=20 MB=32
TG_DEFAULTS="connect_timeout_ms = 1000; drain_timeout_s = 10;"
[ -n "${E2E_LONG:-}" ] && N=100 MB=200
read -r PA PB PH PX < <(free_ports 4 | xargs)
start_backend_http "A-$TG_ID" "$PA"
start_backend_http "B-$TG_ID" "$PB"
start_backend held "$PH" --send $((MB * 1024 * 1024))
start_backend xhold "$PX" --send 1000
cfg_a() { tg_config "$(tg_listener web 80 roundrobin "$PA")" "$(tg_listener held 5003 roundrobin "$PH")" "$(tg_listener extra 8080 roundrobin "$PX")"; }
cfg_b() { tg_config "$(tg_listener web 80 roundrobin "$PA" "$PB")" "$(tg_listener held 5003 roundrobin "$PH")"; }
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
sleep 0.5
for ((i = 1; i <= N; i++)); do
	if ((i % 2)); then cfg_b; else cfg_a; fi
	out=$("$CTL" -s "$TG_CTL_SOCK" reload) || fail "reload $i failed: $out"
	if [ "$i" = 1 ]; then
		nsexec curl -s --max-time 2 "http://$TG_VIP:8080/" >/dev/null 2>&1 && fail "removed listener extra still accepts"
		log "removed listener refuses new connections"
	fi
	sleep 0.1
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

wait_bg client 120 || fail "transfer across reloads failed: $(cat "$TG_DIR/client.log")"
touch "$TG_DIR/stop"; wait_bg loop 10 || true
res=$(cat "$TG_DIR/loop.log"); log "request loop: $res"
[ "$(awk '{print $4}' <<<"$res")" = 0 ] || fail "requests failed during reloads: $res"
cres=$(cat "$TG_DIR/client.log"); bres=$(backend_report held)
[ "$(json_get sent_sha256 <<<"$cres")" = "$(json_get recv_sha256 <<<"$bres")" ] || fail "client→backend data differs"
[ "$(json_get sent_sha256 <<<"$bres")" = "$(json_get recv_sha256 <<<"$cres")" ] || fail "backend→client data differs"
bin=$(stats_json | "$PY" -c 'import json,sys; print([l for l in json.load(sys.stdin)["listeners"] if l["name"]=="held"][0]["bytes_in"])')
[ "$bin" = $((MB * 1024 * 1024)) ] || fail "held bytes_in $bin, expected $((MB * 1024 * 1024)) (counters reset?)"
[ "$(stat_value tcp.resets_sent)" = 0 ] || log "note: tcp.resets_sent $(stat_value tcp.resets_sent) (refused SYNs to the removed listener)"
pass "$N reloads, $res, ${MB} MiB intact"
