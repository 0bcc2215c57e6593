#!/usr/bin/env bash
# t_blind: RFC 5961 blind in-window attacks. While a real client moves 96 MiB
# each way (the backend reads at most ~20 MiB/s, so the transfer lasts), an
# off-path attacker who knows the 4-tuple (from /connections, as if guessed)
# but not the sequence numbers sends 20 000 segments from the client's
# address and port (tools/blind.py): RSTs sweeping the 2^32 sequence space in
# equal steps (some land in the receive window) and SYNs with random
# sequence numbers. The connection survives (SHA-256 equal both ways, no RST
# accepted: tcp.resets_received = 0), challenge ACKs are sent and counted
# (RFC 5961 §3.2, §4.2) and rate limited (§7: at most 10 per second).
# e2e-timeout: 240
set -euo pipefail
. "$(dirname "$0")/lib.sh"
tg_init

SIZE=$((96 * 1024 * 1024))
COUNT=20000
RATE=5000
CHACK_PER_S=10	# TCP_CHALLENGE_ACK_LIMIT (stack/tcp_internal.h)
read -r BPORT < <(free_ports 1)
start_backend bulk "$BPORT" --send "$SIZE" --slow --slow-chunk 1048576 --slow-interval 0.05
tg_config "$(tg_listener blind 7007 roundrobin "$BPORT")"
tg_start
tg_wait_stats

start_bg client ip netns exec "$TG_NS" "$PY" "$TOOLS/client.py" "$TG_VIP" 7007 --send "$SIZE" --timeout 120
# the 4-tuple the attacker knows
tuple_known() {
	CPORT=$(stats_json connections | "$PY" -c '
import json, sys
for c in json.load(sys.stdin)["connections"]:
    if c["vip"].endswith(":7007") and c["state"] == "ESTABLISHED":
        print(c["client"].rsplit(":", 1)[1]); break')
	[ -n "$CPORT" ]
}
CPORT=""
wait_for 20 tuple_known || fail "the transfer's connection did not show up in /connections"
before=$(stats_json)
log "attacking $TG_CLIENT_IP:$CPORT -> $TG_VIP:7007: $COUNT segments at $RATE/s;" \
	"rcv_wnd now $(stats_json connections | json_get connections.0.rcv_wnd)"
set +e
ares=$(nsexec timeout 120 "$PY" "$TOOLS/blind.py" "$TG_CLIENT_IP" "$CPORT" "$TG_VIP" 7007 --count $COUNT --rate $RATE)
arc=$?
set -e
log "attacker (exit $arc): $ares"
[ $arc -eq 0 ] || fail "blind.py failed"
kill -0 "$(cat "$TG_DIR/pids/client.pid")" 2>/dev/null ||
	fail "the transfer ended before the attack did: make it longer"
set +e
wait_bg client 150
crc=$?
set -e
cres=$(cat "$TG_DIR/client.log")
log "client (exit $crc): $cres"
[ $crc -eq 0 ] || fail "the connection did not survive the attack: $cres"
wait_bg bulk 30 || fail "backend did not finish"
bres=$(backend_report bulk)
[ "$(json_get recv_bytes <<<"$bres")" = "$SIZE" ] || fail "backend received $(json_get recv_bytes <<<"$bres") bytes"
[ "$(json_get recv_bytes <<<"$cres")" = "$SIZE" ] || fail "client received $(json_get recv_bytes <<<"$cres") bytes"
[ "$(json_get sent_sha256 <<<"$cres")" = "$(json_get recv_sha256 <<<"$bres")" ] || fail "client→backend SHA-256 mismatch"
[ "$(json_get sent_sha256 <<<"$bres")" = "$(json_get recv_sha256 <<<"$cres")" ] || fail "backend→client SHA-256 mismatch"

after=$(stats_json)
chacks=$(($(json_get tcp.challenge_acks <<<"$after") - $(json_get tcp.challenge_acks <<<"$before")))
rsts=$(($(json_get tcp.resets_received <<<"$after") - $(json_get tcp.resets_received <<<"$before")))
secs=$(json_get seconds <<<"$ares")
limit=$("$PY" -c "import math, sys; print(math.ceil(float(sys.argv[1])) + 2)" "$secs")
limit=$((limit * CHACK_PER_S))
log "challenge ACKs +$chacks in ${secs}s of attack (limit $limit), resets_received +$rsts," \
	"drop_tcp_unacceptable +$(($(json_get tcp.drop_tcp_unacceptable <<<"$after") - $(json_get tcp.drop_tcp_unacceptable <<<"$before")))"
"$PY" -c '
import json, sys
a, b = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print("counters changed:", {k: b["tcp"][k] - a["tcp"][k] for k in a["tcp"] if isinstance(a["tcp"][k], int) and b["tcp"][k] != a["tcp"][k]})' "$before" "$after" >&2
[ "$rsts" -eq 0 ] || fail "$rsts blind RSTs were accepted"
[ "$chacks" -gt 0 ] || fail "no challenge ACK for $COUNT blind segments"
[ "$chacks" -le "$limit" ] || fail "$chacks challenge ACKs in ${secs}s: not rate limited to $CHACK_PER_S/s"
pass "$COUNT blind RSTs/SYNs: connection intact, $chacks challenge ACKs"
