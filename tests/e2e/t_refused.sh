#!/usr/bin/env bash
# t_refused: the only backend has nobody listening → the client's connect fails
# with ECONNREFUSED, and tcpgate never sent a SYN-ACK (it answers with RST).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
tg_init

read -r DEADPORT < <(free_ports 1) # nothing listens there
PCAP="$TG_DIR/refused.pcap"
tg_config "$(tg_listener dead 8000 roundrobin "$DEADPORT")"
tg_start --pcap "$PCAP"

for i in 1 2; do
	set +e
	cres=$(nsexec timeout 30 "$PY" "$TOOLS/client.py" "$TG_VIP" 8000 --connect-only --timeout 10)
	crc=$?
	set -e
	log "client attempt $i: exit $crc: $cres"
	[ $crc -eq 2 ] || fail "connect did not fail (exit $crc): $cres"
	[ "$(json_get error <<<"$cres")" = ECONNREFUSED ] || fail "expected ECONNREFUSED, got: $cres"
done

# curl sees the same: exit code 7 (couldn't connect)
set +e
nsexec curl -s --max-time 10 "http://$TG_VIP:8000/" >/dev/null
crc=$?
set -e
[ $crc -eq 7 ] || fail "curl exit $crc, expected 7"

rc=0
tg_stop || rc=$?
[ $rc -eq 0 ] || fail "tcpgate exited with status $rc on SIGTERM (expected 0)"
[ -s "$PCAP" ] || fail "pcap $PCAP missing or empty"
counts=$("$PY" "$TOOLS/pcapstat.py" "$PCAP" --src "$TG_VIP")
log "segments from $TG_VIP in pcap: $counts"
all=$("$PY" "$TOOLS/pcapstat.py" "$PCAP")
log "all segments in pcap: $all"
[ "$(json_get syn <<<"$all")" -ge 3 ] || fail "pcap does not show the client's SYNs: $all"
[ "$(json_get synack <<<"$counts")" -eq 0 ] || fail "tcpgate sent a SYN-ACK: $counts"
[ "$(json_get rst <<<"$counts")" -ge 1 ] || fail "tcpgate sent no RST: $counts"
pass
