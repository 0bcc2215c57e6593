#!/usr/bin/env bash
# shellcheck disable=SC2119
# demo.sh - `make demo`: show tcpgate balancing HTTP requests over three backends.
#
# Builds the end-to-end test topology (tests/e2e/lib.sh, DESIGN.md §7): a client
# network namespace holding tcpgate's TAP, three tiny HTTP backends on 127.0.0.1,
# one listener on the VIP 10.88.0.100:80 with balance = "roundrobin". Sends a dozen
# curl requests from the client namespace, shows which backend answered each, then
# prints tcpgate's /stats. Everything is removed on exit, also on Ctrl-C.
# Needs root.  BUILD=build|build-san (default build); DEMO_REQUESTS=N (default 12).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../tests/e2e/lib.sh
. "$(dirname "$0")/../tests/e2e/lib.sh"

REQUESTS=${DEMO_REQUESTS:-12}
if [ "$(id -u)" -ne 0 ]; then
	echo "demo: must run as root (it creates a network namespace and a TAP device)" >&2
	exit 1
fi
# quiet: the helpers' progress log is for test output; keep only failures
log() { case $1 in FAIL*) printf 'demo: %s\n' "$*" >&2 ;; esac; }
tg_init

if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold="" plain=""; fi
step() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }

step "Backends (root namespace, loopback)"
mapfile -t PORTS < <(free_ports 3)
names=(alpha bravo charlie)
for i in 0 1 2; do
	start_backend_http "${names[$i]}" "${PORTS[$i]}"
	printf '  %-8s http://127.0.0.1:%s/\n' "${names[$i]}" "${PORTS[$i]}"
done

tg_config "$(tg_listener web 80 roundrobin "${PORTS[@]}")"
step "tcpgate config ($TG_CFG)"
sed 's/^/  /' "$TG_CFG"

step "Starting tcpgate"
tg_start
tg_wait_stats
echo "  $TCPGATE -c $TG_CFG   (pid $TG_PID)"
echo "  TAP $TG_IF in namespace $TG_NS: tcpgate $TG_GW_IP, client $TG_CLIENT_IP, VIP $TG_VIP"
echo "  stats: http://127.0.0.1:$TG_STATS_PORT/stats"

step "ping $TG_GW_IP from the client namespace"
nsexec ping -c 2 -W 1 "$TG_GW_IP" | sed 's/^/  /' || echo "  (no answer)"

step "$REQUESTS requests: ip netns exec $TG_NS curl http://$TG_VIP/"
declare -A count=()
for ((i = 1; i <= REQUESTS; i++)); do
	if ans=$(nsexec curl -sS --max-time 5 "http://$TG_VIP/" 2>&1); then
		count[$ans]=$((${count[$ans]:-0} + 1))
		printf '  request %2d -> %s\n' "$i" "$ans"
	else
		printf '  request %2d -> FAILED: %s\n' "$i" "$ans"
	fi
done
echo
for n in "${names[@]}"; do printf '  %-8s answered %d\n' "$n" "${count[$n]:-0}"; done

step "tcpgate /stats"
if stats=$(stats_json); then
	"$PY" -m json.tool <<<"$stats" | sed 's/^/  /'
else
	echo "  (stats endpoint did not answer)"
fi

step "Cleaning up"
tg_stop || true
echo "  done"
