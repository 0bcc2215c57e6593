#!/usr/bin/env bash
# t_halfclose: the client sends its request, shutdown(SHUT_WR), and still receives
# the backend's whole reply; the backend replies only after it has seen EOF.
# Then the other way round: the backend sends its reply and shuts down its write
# side first; the client reads to EOF and only then sends, and the backend still
# receives all of it. Both times the backend's connection ends with a FIN, not
# an RST (tcpgate drops acknowledged reply bytes lazily: a close() with any of
# them still unread would make the kernel send RST).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
tg_init

REQ=100000
REPLY=$((4 * 1024 * 1024))
read -r BPORT < <(free_ports 1)
read -r BPORT2 < <(free_ports 1)
start_backend hc "$BPORT" --halfclose --send "$REPLY"
start_backend hc2 "$BPORT2" --reply-first --send "$REPLY"
tg_config "$(tg_listener hc 7000 roundrobin "$BPORT")" "$(tg_listener hc2 7001 roundrobin "$BPORT2")"
tg_start
# every RST on the backend connections (loopback, these two ports only)
start_bg rstcap dumpcap -q -i lo -f "tcp[tcpflags] & tcp-rst != 0 and (port $BPORT or port $BPORT2)" \
	-w "$TG_DIR/rst.pcapng"
wait_for 10 grep -q "Capturing on" "$TG_DIR/rstcap.log" || fail "dumpcap did not start: $(cat "$TG_DIR/rstcap.log")"

set +e
cres=$(nsexec timeout 60 "$PY" "$TOOLS/client.py" "$TG_VIP" 7000 --send "$REQ" --sequential --timeout 20)
crc=$?
set -e
log "client: $cres"
[ $crc -eq 0 ] || fail "client failed (exit $crc): $cres"
wait_bg hc 20 || fail "backend did not finish: $(cat "$TG_DIR/hc.log")"
bres=$(backend_report hc)
log "backend: $bres"
[ "$(json_get recv_bytes <<<"$bres")" = "$REQ" ] || fail "backend got $(json_get recv_bytes <<<"$bres") bytes, expected $REQ"
[ "$(json_get sent_sha256 <<<"$cres")" = "$(json_get recv_sha256 <<<"$bres")" ] || fail "request SHA-256 mismatch"
[ "$(json_get recv_bytes <<<"$cres")" = "$REPLY" ] || fail "client got $(json_get recv_bytes <<<"$cres") bytes of the reply, expected $REPLY"
[ "$(json_get sent_sha256 <<<"$bres")" = "$(json_get recv_sha256 <<<"$cres")" ] || fail "reply SHA-256 mismatch"
no_backend_error() { # REPORT: the backend saw no socket error (e.g. ECONNRESET)
	"$PY" -c 'import json, sys; e = json.loads(sys.argv[1]).get("error"); sys.exit(1 if e else 0)' "$1" ||
		fail "backend saw an error: $1"
}
no_backend_error "$bres"
log "client half-close: ok"

set +e
cres=$(nsexec timeout 60 "$PY" "$TOOLS/client.py" "$TG_VIP" 7001 --send "$REQ" --recv-first --timeout 20)
crc=$?
set -e
log "client (backend closes first): $cres"
[ $crc -eq 0 ] || fail "client failed (exit $crc): $cres"
wait_bg hc2 20 || fail "backend hc2 did not finish: $(cat "$TG_DIR/hc2.log")"
bres=$(backend_report hc2)
log "backend (closes first): $bres"
[ "$(json_get recv_bytes <<<"$cres")" = "$REPLY" ] || fail "client got $(json_get recv_bytes <<<"$cres") bytes, expected $REPLY"
[ "$(json_get sent_sha256 <<<"$bres")" = "$(json_get recv_sha256 <<<"$cres")" ] || fail "reply SHA-256 mismatch (backend closes first)"
[ "$(json_get recv_bytes <<<"$bres")" = "$REQ" ] || fail "backend got $(json_get recv_bytes <<<"$bres") bytes after its FIN, expected $REQ"
[ "$(json_get sent_sha256 <<<"$cres")" = "$(json_get recv_sha256 <<<"$bres")" ] || fail "request SHA-256 mismatch (backend closes first)"
no_backend_error "$bres"
log "backend half-close: ok"
sleep 1	# the last closes reach the capture
stop_bg rstcap
rsts=$(tshark -r "$TG_DIR/rst.pcapng" 2>/dev/null | wc -l)
[ "$rsts" -eq 0 ] || fail "$rsts RST segment(s) on the backend connections: $(tshark -r "$TG_DIR/rst.pcapng" 2>&1 | head -3)"
log "backend connections ended with FIN, no RST"
pass
