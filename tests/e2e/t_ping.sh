#!/usr/bin/env bash
# t_ping: tcpgate's own address answers ICMP echo from the client namespace.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
tg_init

read -r BPORT < <(free_ports 1)
tg_config "$(tg_listener web 80 roundrobin "$BPORT")"
tg_start

out=$(nsexec ping -c 3 -W 1 "$TG_GW_IP" 2>&1) || fail "ping failed: $out"
log "$out"
grep -q ' 0% packet loss' <<<"$out" || fail "ping lost packets"
pass
