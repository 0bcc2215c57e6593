#!/usr/bin/env bash
# t_reload_vip: a VIP whose last listener a reload removes stops being
# tcpgate's. Listeners: web on .100 (kept), gone on .101 (removed, idle),
# held on .102 (removed while a connection to it is open).
#   - .101, nobody connected: withdrawn at the reload. After `ip neigh flush`
#     the client's ARP for it gets no answer (ping fails, neighbour entry not
#     REACHABLE, no ARP reply counted); with a permanent neighbour entry
#     pointing at tcpgate's MAC, ping and a SYN to it are dropped (no reply,
#     no RST: counted in drop_ip_not_for_us);
#   - .102 while its connection drains: still answers ping, and a new
#     connection to it is refused with RST as for a port without listener;
#     the open connection completes with its data intact; then the address is
#     withdrawn (logged) and, after a flush, no longer answers ARP;
#   - .100 answers throughout; a reload that brings "gone" back makes .101
#     answer ARP, ping and HTTP again.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
tg_init
CTL="$BUILD/tcpgatectl"
V1=10.88.0.101 V2=10.88.0.102

read -r PW PG PH < <(free_ports 3 | xargs)
start_backend_http "web-$TG_ID" "$PW"
start_backend_http "gone-$TG_ID" "$PG"
start_backend held "$PH" --send 5000
# listener_at NAME VIP PORT BACKEND_PORT
listener_at() { tg_listener "$1" "$3" roundrobin "$4" | sed "s/address = \"$TG_VIP\"/address = \"$2\"/"; }
cfg_all() { tg_config "$(tg_listener web 80 roundrobin "$PW")" "$(listener_at gone $V1 80 "$PG")" "$(listener_at held $V2 5000 "$PH")"; }
cfg_web() { tg_config "$(tg_listener web 80 roundrobin "$PW")"; }
reload() { local out; out=$("$CTL" -s "$TG_CTL_SOCK" reload 2>&1) || fail "reload refused: $out"; log "reload: $out"; }
TG_DEFAULTS="connect_timeout_ms = 1000; drain_timeout_s = 30;"
cfg_all
tg_start
tg_wait_stats

nsexec ping -c 1 -W 2 "$V1" >/dev/null || fail "$V1 does not answer ping before the reload"
nsexec curl -sf --max-time 5 -o /dev/null "http://$V1/" || fail "$V1 does not serve before the reload"
start_bg client ip netns exec "$TG_NS" "$PY" "$TOOLS/client.py" "$V2" 5000 --send 4000 --hold 4 --timeout 30
held_up() { [ "$(stat_value listeners.2.connections_active)" = 1 ]; }
wait_for 5 held_up || fail "connection to $V2 not established"

cfg_web
reload "gone and held removed"

# neigh_state ADDR: the client's neighbour state for ADDR ("" if none)
neigh_state() { ip -n "$TG_NS" neigh show "$1" dev "$TG_IF" | awk '{print $NF}'; }
arp_replies() { stat_value interface.arp_replies_sent; }
# withdrawn_everywhere ADDR: every worker's stack gave ADDR up (each logs it;
# with several workers the last to see no connection left goes first, the
# others follow within their once-a-second check)
NWORKERS=$(stats_json | "$PY" -c 'import json, sys; print(len(json.load(sys.stdin).get("workers", [0])))')
withdrawn_everywhere() { [ "$(grep -c "address $1 withdrawn" "$TG_DIR/tcpgate.log")" -ge "$NWORKERS" ]; }

# --- .102 drains: still ours, new connections get RST
nsexec ping -c 1 -W 2 "$V2" >/dev/null || fail "$V2 stopped answering ping while a connection to it drains"
rc=0
r0=$(stat_value tcp.resets_sent)
out=$(nsexec curl -sS --max-time 5 -o /dev/null "http://$V2:5000/" 2>&1) || rc=$?
[ $rc = 7 ] && [ "$(stat_value tcp.resets_sent)" -gt "$r0" ] ||
	fail "new connection to the draining $V2: curl exit $rc ($out), resets_sent $r0 -> $(stat_value tcp.resets_sent); expected exit 7 after an RST"
log "$V2 while draining: ping answered, new connection refused (RST)"

# --- .101: withdrawn at once
wait_for 3 withdrawn_everywhere "$V1" || fail "no 'address $V1 withdrawn' in the log from each of $NWORKERS worker(s)"
ip -n "$TG_NS" neigh flush dev "$TG_IF"
a0=$(arp_replies)
nsexec ping -c 2 -W 1 "$V1" >/dev/null 2>&1 && fail "$V1 still answers ping after its listener was removed"
st=$(neigh_state "$V1")
[ "$st" != REACHABLE ] && [ "$st" != STALE ] || fail "$V1 resolved by ARP after withdrawal (state $st)"
nsexec ping -c 1 -W 2 "$TG_VIP" >/dev/null || fail "$TG_VIP (kept) does not answer ping"
[ "$(arp_replies)" -le $((a0 + 1)) ] || fail "ARP replies went from $a0 to $(arp_replies) while only $V1 (and $TG_VIP) were asked"
log "$V1: no ARP answer after flush (neighbour state '${st:-none}'), ping fails"

mac=$(ip -n "$TG_NS" neigh show "$TG_VIP" dev "$TG_IF" | awk '{print $3}')
[[ $mac =~ ^[0-9a-f:]{17}$ ]] || fail "no MAC learnt for $TG_VIP: $(ip -n "$TG_NS" neigh show)"
ip -n "$TG_NS" neigh replace "$V1" lladdr "$mac" dev "$TG_IF" nud permanent
d0=$(stat_value interface.drop_ip_not_for_us)
r0=$(stat_value tcp.resets_sent)
nsexec ping -c 1 -W 1 "$V1" >/dev/null 2>&1 && fail "$V1 answers ping sent to tcpgate's MAC"
rc=0
nsexec curl -sS --max-time 2 -o /dev/null "http://$V1/" >/dev/null 2>&1 || rc=$?
[ $rc = 28 ] || fail "a SYN to the withdrawn $V1 was answered (curl exit $rc, expected 28: timeout)"
d1=$(stat_value interface.drop_ip_not_for_us)
[ "$d1" -ge $((d0 + 2)) ] || fail "drop_ip_not_for_us went $d0 -> $d1, expected the ping and the SYNs counted"
[ "$(stat_value tcp.resets_sent)" = "$r0" ] || fail "RST sent for the withdrawn address"
ip -n "$TG_NS" neigh del "$V1" dev "$TG_IF"
log "$V1 via tcpgate's MAC: ping and SYNs dropped ($((d1 - d0)) counted in drop_ip_not_for_us), no RST"

# --- .102 after its connection ended
wait_bg client 30 || fail "connection to $V2 failed during the drain: $(cat "$TG_DIR/client.log")"
[ "$(json_get recv_sha256 <"$TG_DIR/client.log")" = "$(json_get sent_sha256 < <(backend_report held))" ] ||
	fail "data of the draining connection differs"
[ "$(json_get sent_sha256 <"$TG_DIR/client.log")" = "$(json_get recv_sha256 < <(backend_report held))" ] ||
	fail "data of the draining connection differs (client to backend)"
wait_for 5 withdrawn_everywhere "$V2" || fail "$V2 not withdrawn by each of $NWORKERS worker(s) after its last connection"
ip -n "$TG_NS" neigh flush dev "$TG_IF"
nsexec ping -c 2 -W 1 "$V2" >/dev/null 2>&1 && fail "$V2 still answers ping after its last connection ended"
log "$V2: connection completed intact, then withdrawn; no ARP answer after flush"

# --- the kept VIP, and bringing .101 back
nsexec curl -sf --max-time 5 -o /dev/null "http://$TG_VIP/" || fail "$TG_VIP stopped serving"
tg_config "$(tg_listener web 80 roundrobin "$PW")" "$(listener_at gone $V1 80 "$PG")"
reload "gone added back"
ip -n "$TG_NS" neigh flush dev "$TG_IF"
nsexec ping -c 1 -W 2 "$V1" >/dev/null || fail "$V1 does not answer ping after it was added back"
nsexec curl -sf --max-time 5 -o /dev/null "http://$V1/" || fail "$V1 does not serve after it was added back"
pass "removed VIPs withdrawn after their last connection; kept and re-added ones answer"
