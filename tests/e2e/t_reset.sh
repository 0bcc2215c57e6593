#!/usr/bin/env bash
# t_reset: resets cross the splice (DESIGN §2): a client RST closes the backend
# socket with an RST (the backend sees ECONNRESET), a backend RST reaches the client
# as an RST; afterwards no connection is left.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
tg_init

read -r P1 P2 < <(free_ports 2 | xargs)
start_backend sink "$P1" --send 0
start_backend rst "$P2" --send 1000 --rst-after 0.5
tg_config "$(tg_listener sink 5005 roundrobin "$P1")" "$(tg_listener rst 5006 roundrobin "$P2")"
tg_start
tg_wait_stats

# 1. client RST
cres=$(nsexec timeout 20 "$PY" "$TOOLS/client.py" "$TG_VIP" 5005 --send 1000 --rst-after 0.5) ||
	fail "client failed: $cres"
log "client (RST): $cres"
wait_bg sink 10 || fail "backend still open 10 s after the client's RST"
bres=$(backend_report sink)
log "backend after the client's RST: $bres"
[ "$(json_get recv_bytes <<<"$bres")" = 1000 ] || fail "backend did not get the data sent before the RST"
[ "$(json_get recv_sha256 <<<"$bres")" = "$(json_get sent_sha256 <<<"$cres")" ] || fail "backend got different data"
grep -q 'ConnectionResetError' <<<"$bres" || fail "backend saw no reset (a FIN instead?): $bres"

# 2. backend RST
set +e
cres=$(nsexec timeout 20 "$PY" "$TOOLS/client.py" "$TG_VIP" 5006 --timeout 10)
crc=$?
set -e
log "client (backend RST): exit $crc: $cres"
[ "$(json_get recv_bytes <<<"$cres")" = 1000 ] || fail "client did not get the data sent before the backend's RST"
grep -qi 'reset' <<<"$cres" || fail "client saw no reset: $cres"
wait_bg rst 10 || fail "backend rst did not finish"
[ "$(json_get sent_sha256 <<<"$(backend_report rst)")" = "$(json_get recv_sha256 <<<"$cres")" ] ||
	fail "client got different data than the backend sent before its RST"

zero() { [ "$(stat_value tcp.connections_active)" = 0 ]; }
wait_for 5 zero || fail "tcp.connections_active = $(stat_value tcp.connections_active) after both resets"
log "tcp.resets_sent = $(stat_value tcp.resets_sent), tcp.resets_received = $(stat_value tcp.resets_received)"
[ "$(stat_value tcp.resets_received)" -ge 1 ] || fail "tcp.resets_received not counted"
[ "$(stat_value tcp.resets_sent)" -ge 1 ] || fail "tcp.resets_sent not counted"
pass
