#!/usr/bin/env bash
# t_reload: reload without dropping a connection (DESIGN §4, §5, §6).
#  - a connection open across the reload completes with its data intact;
#  - the reloaded file takes effect: a listener's backend changed, a listener added;
#  - config.generation counts reloads; counters are not reset;
#  - an invalid file changes nothing (reload fails, FILE:LINE: message, still serving);
#  - a changed interface setting is refused.
# Reload goes through tcpgatectl when it is built (it must print "ok generation N"),
# otherwise through SIGHUP (then /stats config.generation / reload_failures tell).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
tg_init

CTL="$BUILD/tcpgatectl"
read -r PA PB PC PH < <(free_ports 4 | xargs)
start_backend_http "A-$TG_ID" "$PA"
start_backend_http "B-$TG_ID" "$PB"
start_backend_http "C-$TG_ID" "$PC"
start_backend held "$PH" --send $((1024 * 1024))
tg_config "$(tg_listener web 80 roundrobin "$PA")" "$(tg_listener held 5003 roundrobin "$PH")"
tg_start
tg_wait_stats

get() { nsexec curl -sS --max-time 5 "http://$TG_VIP:$1/"; }
[ "$(get 80)" = "A-$TG_ID" ] || fail "before reload: web not answered by A"
gen1=$(stat_value config.generation)
total1=$(stat_value tcp.connections_total)

# a connection that stays open across the reloads (sends, holds 4 s, then shuts down)
start_bg client ip netns exec "$TG_NS" "$PY" "$TOOLS/client.py" "$TG_VIP" 5003 --send $((4 * 1024 * 1024)) --hold 4 --timeout 30
held_active() { [ "$(stat_value tcp.connections_active)" -ge 1 ]; }
wait_for 3 held_active || fail "held connection not established"

# reload EXPECT(ok|fail): ask tcpgate to reload $TG_CFG; print the outcome
reload() {
	local expect=$1 out rc=0 g0 f0
	if [ -x "$CTL" ]; then
		out=$("$CTL" -s "$TG_CTL_SOCK" reload 2>&1) || rc=$?
		log "tcpgatectl reload: exit $rc: $out"
		if [ "$expect" = ok ]; then
			[ $rc -eq 0 ] || fail "reload failed: $out"
			grep -Eq '^ok generation [0-9]+' <<<"$out" || fail "reload output is not 'ok generation N': $out"
		else
			[ $rc -eq 1 ] || fail "invalid reload: exit $rc, expected 1: $out"
			RELOAD_OUT=$out
		fi
	else
		g0=$(stat_value config.generation)
		f0=$(stat_value config.reload_failures)
		kill -HUP "$TG_PID"
		if [ "$expect" = ok ]; then
			gen_is() { [ "$(stat_value config.generation)" = "$1" ]; }
			wait_for 5 gen_is $((g0 + 1)) || fail "SIGHUP: generation still $(stat_value config.generation), expected $((g0 + 1)): $(tail -n 5 "$TG_DIR/tcpgate.log")"
		else
			fails_is() { [ "$(stat_value config.reload_failures)" = "$1" ]; }
			wait_for 5 fails_is $((f0 + 1)) || fail "SIGHUP with an invalid file: reload_failures still $(stat_value config.reload_failures)"
			[ "$(stat_value config.generation)" = "$g0" ] || fail "invalid reload changed the generation"
			RELOAD_OUT=$(stat_value config.last_error)
		fi
	fi
}

# 1. valid reload: web → B, new listener extra:8080 → C
tg_config "$(tg_listener web 80 roundrobin "$PB")" "$(tg_listener held 5003 roundrobin "$PH")" \
	"$(tg_listener extra 8080 roundrobin "$PC")"
reload ok
[ "$(stat_value config.generation)" = $((gen1 + 1)) ] || fail "generation $(stat_value config.generation), expected $((gen1 + 1))"
[ "$(get 80)" = "B-$TG_ID" ] || fail "after reload: web not answered by B"
[ "$(get 8080)" = "C-$TG_ID" ] || fail "after reload: new listener extra not answered by C"
log "reload 1: web → B, extra → C"

# 2. invalid file: nothing changes
cp "$TG_CFG" "$TG_DIR/valid.cfg"
{ sed -n 1p "$TG_DIR/valid.cfg"; echo 'bogus_key = 1;'; sed -n '2,$p' "$TG_DIR/valid.cfg"; } >"$TG_CFG"
RELOAD_OUT=""
reload fail
log "invalid reload refused: $RELOAD_OUT"
grep -q "bogus_key\|:2:" <<<"$RELOAD_OUT" || fail "invalid reload: error does not name the problem: $RELOAD_OUT"
[ "$(get 80)" = "B-$TG_ID" ] || fail "after the invalid reload: web not answered by B"

# 3. a changed interface setting is refused
sed "s/^  address = \"$TG_GW_IP\/24\";/  address = \"10.88.0.3\/24\";/" "$TG_DIR/valid.cfg" >"$TG_CFG"
grep -q 10.88.0.3 "$TG_CFG" || fail "test bug: interface address not replaced"
reload fail
log "interface change refused: $RELOAD_OUT"
[ "$(get 8080)" = "C-$TG_ID" ] || fail "after the refused reload: extra not answered by C"
nsexec ping -c 1 -W 1 "$TG_GW_IP" >/dev/null || fail "tcpgate's address changed by a refused reload"
cp "$TG_DIR/valid.cfg" "$TG_CFG"

# 4. the held connection survived, data intact both ways
set +e
wait_bg client 30
crc=$?
set -e
cres=$(cat "$TG_DIR/client.log")
log "held client: $cres"
[ $crc -eq 0 ] || fail "held connection failed across the reload (exit $crc): $cres"
wait_bg held 15 || fail "held backend did not finish"
bres=$(backend_report held)
[ "$(json_get sent_sha256 <<<"$cres")" = "$(json_get recv_sha256 <<<"$bres")" ] || fail "held connection: client→backend data differs"
[ "$(json_get sent_sha256 <<<"$bres")" = "$(json_get recv_sha256 <<<"$cres")" ] || fail "held connection: backend→client data differs"

total2=$(stat_value tcp.connections_total)
[ "$total2" -ge $((total1 + 4)) ] || fail "tcp.connections_total went from $total1 to $total2 (reset on reload?)"
pass
