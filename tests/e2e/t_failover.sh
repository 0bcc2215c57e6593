#!/usr/bin/env bash
# t_failover: a dead backend is invisible (DESIGN §2 handshake policy): with one
# backend refusing and one live, every connection is served, because tcpgate tries
# the next backend before it answers the SYN; the dead one's connect_failures count.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
tg_init

read -r DEADPORT LIVEPORT < <(free_ports 2 | xargs) # nothing listens on DEADPORT
start_backend_http "live-$TG_ID" "$LIVEPORT"
PCAP="$TG_DIR/failover.pcap"
tg_config "$(tg_listener mixed 8001 roundrobin "$DEADPORT" "$LIVEPORT")"
tg_start --pcap "$PCAP"
tg_wait_stats

ok=0
for i in 1 2 3 4 5 6; do
	if out=$(nsexec curl -sS --max-time 10 "http://$TG_VIP:8001/" 2>&1) && [ "$out" = "live-$TG_ID" ]; then
		ok=$((ok + 1))
	else
		log "request $i: $out"
	fi
done
fails=$(stat_value listeners.0.backends.0.connect_failures)
log "$ok/6 served; dead backend connect_failures = $fails"
[ $ok -eq 6 ] || fail "only $ok of 6 connections served with one dead and one live backend"
[ "$fails" -ge 1 ] || fail "dead backend's connect_failures = $fails, expected ≥ 1"
rc=0
tg_stop || rc=$?
[ $rc -eq 0 ] || fail "tcpgate exited with status $rc on SIGTERM (expected 0)"
counts=$("$PY" "$TOOLS/pcapstat.py" "$PCAP" --src "$TG_VIP" --sport 8001)
log "segments from $TG_VIP:8001 in pcap: $counts"
[ "$(json_get synack <<<"$counts")" -eq 6 ] || fail "expected 6 SYN-ACKs: $counts"
[ "$(json_get rst <<<"$counts")" -eq 0 ] || fail "tcpgate sent RSTs: $counts"
pass
