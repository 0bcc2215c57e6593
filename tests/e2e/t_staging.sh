#!/usr/bin/env bash
# t_staging: small client segments are staged and sent to the backend together
# (proxy/stage.c, session.c) without losing, duplicating or reordering a byte.
# offload = false, so the client's kernel hands tcpgate one MSS per frame.
#
#  1. 48 MiB upload (and 8 MiB back at the same time) through a backend that
#     reads slowly: the window follows the backend socket's space minus what is
#     staged. SHA-256 equal both ways, bytes_in exact, staging used.
#  2. 8 clients at once send 2 MiB each in writes of 1..700 bytes with
#     TCP_NODELAY and then FIN (the FIN rides on or right behind small
#     segments); the backend reads slowly and answers only after EOF. Every
#     backend connection must get exactly one client's bytes (SHA-256), then
#     EOF, and every client the backend's answer.
#  3. the backend closes first (answer, then SHUT_WR); 4 clients read to EOF and
#     only then send 1 MiB each in small writes + FIN, so the client's FIN
#     ends the connection (FIN-WAIT-2 -> TIME-WAIT) in the same input as the
#     last staged bytes: those must reach the backend before its socket closes.
#  4. /metrics has the staging counters, equal to /stats.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
tg_init

SIZE=$((48 * 1024 * 1024))
BACK=$((8 * 1024 * 1024))
N_SMALL=8
SMALL=$((2 * 1024 * 1024))
REPLY=$((1024 * 1024))
TG_OFFLOAD=false
N_LAST=4
LAST=$((1024 * 1024))
read -r BPORT SPORT LPORT < <(free_ports 3 | xargs)
# ~12 MiB/s after 1 s without reading at all
start_backend bulk "$BPORT" --send "$BACK" --slow --slow-delay 1 --slow-chunk 262144 --slow-interval 0.02
# 8 connections, each read 64 KiB every 10 ms, reply after EOF
start_backend small "$SPORT" --conns "$N_SMALL" --halfclose --send "$REPLY" \
	--slow --slow-chunk 65536 --slow-interval 0.01
# 4 connections: answer 64 KiB and SHUT_WR first, then read slowly until EOF
start_backend last "$LPORT" --conns "$N_LAST" --reply-first --send 65536 \
	--slow --slow-chunk 65536 --slow-interval 0.01
tg_config "$(tg_listener bulk 5001 roundrobin "$BPORT")" "$(tg_listener small 5002 roundrobin "$SPORT")" \
	"$(tg_listener last 5003 roundrobin "$LPORT")"
grep -q 'offload = false;' "$TG_CFG" || fail "test bug: offload not off"
tg_start
tg_wait_stats

# --- 1. bulk upload through a slow reader ------------------------------------
set +e
cres=$(nsexec timeout 200 "$PY" "$TOOLS/client.py" "$TG_VIP" 5001 --send "$SIZE" --timeout 60)
crc=$?
set -e
log "client: $cres"
[ $crc -eq 0 ] || fail "client failed (exit $crc): $cres"
wait_bg bulk 60 || fail "backend did not finish: $(cat "$TG_DIR/bulk.log")"
bres=$(backend_report bulk)
log "backend: $bres"
[ "$(json_get recv_bytes <<<"$bres")" = "$SIZE" ] || fail "backend received $(json_get recv_bytes <<<"$bres") bytes"
[ "$(json_get recv_bytes <<<"$cres")" = "$BACK" ] || fail "client received $(json_get recv_bytes <<<"$cres") bytes"
[ "$(json_get sent_sha256 <<<"$cres")" = "$(json_get recv_sha256 <<<"$bres")" ] || fail "client→backend SHA-256 differs"
[ "$(json_get sent_sha256 <<<"$bres")" = "$(json_get recv_sha256 <<<"$cres")" ] || fail "backend→client SHA-256 differs"

# --- 2. data + FIN in small segments, several sessions at once ------------------
for ((i = 0; i < N_SMALL; i++)); do
	start_bg "c$i" ip netns exec "$TG_NS" "$PY" "$TOOLS/client.py" "$TG_VIP" 5002 \
		--send "$SMALL" --write-size 700 --timeout 60
done
for ((i = 0; i < N_SMALL; i++)); do
	wait_bg "c$i" 200 || fail "client $i failed: $(cat "$TG_DIR/c$i.log")"
done
wait_bg small 60 || fail "small-segment backend did not finish: $(cat "$TG_DIR/small.log")"
# backend.py prints one JSON object per connection from its threads: two that end
# together can share a line, so take the objects, not the lines
json_objects() { grep -o '{[^{}]*}' "$1"; }
mapfile -t breps < <(json_objects "$TG_DIR/small.log")
[ "${#breps[@]}" = "$N_SMALL" ] || fail "backend served ${#breps[@]} connections, expected $N_SMALL"
want_back=$(json_get sent_sha256 <<<"${breps[0]}")
declare -A backend_got=()
for r in "${breps[@]}"; do
	[ "$(json_get recv_bytes <<<"$r")" = "$SMALL" ] || fail "a backend connection got $(json_get recv_bytes <<<"$r") bytes before EOF: $r"
	backend_got[$(json_get recv_sha256 <<<"$r")]=1
done
for ((i = 0; i < N_SMALL; i++)); do
	c=$(grep '^{' "$TG_DIR/c$i.log")
	sha=$(json_get sent_sha256 <<<"$c")
	[ -n "${backend_got[$sha]:-}" ] || fail "client $i's bytes reached no backend connection intact: $c"
	unset "backend_got[$sha]"
	[ "$(json_get recv_bytes <<<"$c")" = "$REPLY" ] || fail "client $i got $(json_get recv_bytes <<<"$c") reply bytes"
	# each backend connection sends its own random reply: find the matching one
	grep -q "\"sent_sha256\": \"$(json_get recv_sha256 <<<"$c")\"" "$TG_DIR/small.log" ||
		fail "client $i's reply matches no backend connection"
done
[ -n "$want_back" ] || fail "no backend report"

# --- 3. the client's FIN closes the connection right behind staged bytes --------
for ((i = 0; i < N_LAST; i++)); do
	start_bg "l$i" ip netns exec "$TG_NS" "$PY" "$TOOLS/client.py" "$TG_VIP" 5003 \
		--send "$LAST" --recv-first --write-size 700 --timeout 60
done
for ((i = 0; i < N_LAST; i++)); do
	wait_bg "l$i" 200 || fail "client l$i failed: $(cat "$TG_DIR/l$i.log")"
done
wait_bg last 60 || fail "backend-closes-first backend did not finish: $(cat "$TG_DIR/last.log")"
lreps=$(json_objects "$TG_DIR/last.log" | wc -l)
[ "$lreps" = "$N_LAST" ] || fail "backend served $lreps connections, expected $N_LAST"
for ((i = 0; i < N_LAST; i++)); do
	c=$(grep '^{' "$TG_DIR/l$i.log")
	[ "$(json_get recv_bytes <<<"$c")" = 65536 ] || fail "client l$i got $(json_get recv_bytes <<<"$c") bytes first"
	grep -q "\"recv_bytes\": $LAST, \"recv_sha256\": \"$(json_get sent_sha256 <<<"$c")\"" "$TG_DIR/last.log" ||
		fail "client l$i's bytes reached no backend connection intact: $c / $(cat "$TG_DIR/last.log")"
done

# --- counters -----------------------------------------------------------------
zero() { [ "$(stat_value tcp.connections_active)" = 0 ]; }
wait_for 15 zero || fail "tcp.connections_active = $(stat_value tcp.connections_active) afterwards"
st=$(stats_json)
g() { json_get "$1" <<<"$st"; }
segs=$((SIZE / 1448))
staged=$(g listeners.0.staged_deliveries)
sends=$(g listeners.0.staged_sends)
log "bulk: $staged of ~$segs segments staged, $sends send() calls carried them"
[ "$(g listeners.0.bytes_in)" = "$SIZE" ] || fail "listener bulk bytes_in = $(g listeners.0.bytes_in)"
[ "$(g listeners.1.bytes_in)" = $((N_SMALL * SMALL)) ] || fail "listener small bytes_in = $(g listeners.1.bytes_in)"
[ "$(g listeners.2.bytes_in)" = $((N_LAST * LAST)) ] || fail "listener last bytes_in = $(g listeners.2.bytes_in)"
log "backend closes first: $(g listeners.2.staged_deliveries) deliveries staged"
[ "$(g interface.rx_gso_frames)" = 0 ] || fail "offload off, yet $(g interface.rx_gso_frames) GSO frames"
[ "$staged" -ge 1000 ] || fail "only $staged deliveries staged (offload off: ~$segs segments)"
[ "$sends" -ge 1 ] && [ "$sends" -le "$staged" ] || fail "staged_sends = $sends for $staged staged deliveries"
s_staged=$(g listeners.1.staged_deliveries)
log "small: $s_staged deliveries staged, $(g listeners.1.staged_sends) sends"
[ "$s_staged" -ge 1 ] || fail "no small-segment delivery was staged"
m=$(curl -sf "http://127.0.0.1:$TG_STATS_PORT/metrics") || fail "/metrics"
grep -q "^tcpgate_listener_staged_deliveries_total{listener=\"bulk\"} $staged\$" <<<"$m" ||
	fail "/metrics: $(grep staged_deliveries <<<"$m")"
grep -q "^tcpgate_listener_staged_sends_total{listener=\"bulk\"} $sends\$" <<<"$m" ||
	fail "/metrics: $(grep staged_sends <<<"$m")"
tg_alive || fail "tcpgate died"
pass "48 MiB through a slow reader ($staged segments staged, $sends sends), $N_SMALL × data+FIN in small writes, $N_LAST × the client's FIN closing"
