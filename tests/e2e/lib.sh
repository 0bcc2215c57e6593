# shellcheck shell=bash
# lib.sh - shared helpers for tcpgate's end-to-end tests (DESIGN.md §7).
#
# Source it from a test script that runs as root with `set -euo pipefail`:
#
#   . "$(dirname "$0")/lib.sh"
#   tg_init                         # unique id, temp dir, client namespace, cleanup trap
#   read -r BPORT < <(free_ports 1)
#   start_backend_http b1 "$BPORT"
#   tg_config "$(tg_listener web 80 roundrobin "$BPORT")"
#   tg_start                        # tcpgate in the background, client side configured
#   nsexec curl -s http://10.88.0.100/
#   pass
#
# Topology: a client namespace tgc-<id> holds the TAP tg<id> that tcpgate creates
# (config `netns`); the client is 10.88.0.2/24, tcpgate 10.88.0.1/24, the VIP
# 10.88.0.100. Backends listen on 127.0.0.1 in the root namespace. Every process a
# test starts in the background is recorded in a pidfile and killed (by PID only)
# by the EXIT/INT/TERM trap, which also deletes the namespace and the temp dir.

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT_DIR=$(cd "$E2E_DIR/../.." && pwd)
TOOLS="$E2E_DIR/tools"
BUILD=${BUILD:-build}
case $BUILD in
/*) ;;
*) BUILD="$ROOT_DIR/$BUILD" ;;
esac
TCPGATE="$BUILD/tcpgate"

TG_CLIENT_IP=10.88.0.2
TG_GW_IP=10.88.0.1
TG_VIP=10.88.0.100

# The real interpreter, not a shim script, so a recorded PID is the python process.
PY=$(python3 -c 'import sys; print(sys.executable)')

TG_ID=""
TG_NS=""
TG_IF=""
TG_DIR=""
TG_CFG=""
TG_STATS_PORT=""
TG_CTL_SOCK=""
TG_PID=""
TG_NS_CREATED=0
TG_TEST_NAME=$(basename "$0" .sh)

log() { printf '[%s %s] %s\n' "$(date +%T)" "$TG_TEST_NAME" "$*" >&2; }

# fail MESSAGE: print the message (and tcpgate's log tail) and exit 1; cleanup runs via trap.
fail() {
	log "FAIL: $*"
	if [ -n "$TG_DIR" ] && [ -s "$TG_DIR/tcpgate.log" ]; then
		echo "---- tcpgate log (last 40 lines) ----" >&2
		tail -n 40 "$TG_DIR/tcpgate.log" >&2 || true
		echo "-------------------------------------" >&2
	fi
	exit 1
}

# pass [MESSAGE]: if tcpgate is still running, stop it gracefully first; it must exit
# 0 within the drain timeout and its log must hold no sanitizer report.
pass() {
	local rc=0
	if [ -n "$TG_PID" ]; then
		tg_alive || fail "tcpgate is no longer running"
		tg_stop || rc=$?
		[ $rc -eq 0 ] || fail "tcpgate exited with status $rc on SIGTERM (expected 0)"
	fi
	tg_check_log
	log "PASS${1:+: $*}"
	exit 0
}

# tg_check_log: fail if tcpgate's log holds a sanitizer report.
tg_check_log() {
	[ -n "$TG_DIR" ] && [ -f "$TG_DIR/tcpgate.log" ] || return 0
	if grep -Eq 'ERROR: (Address|Leak|Memory|Thread)Sanitizer|runtime error:' "$TG_DIR/tcpgate.log"; then
		grep -E -A 30 'ERROR: (Address|Leak|Memory|Thread)Sanitizer|runtime error:' "$TG_DIR/tcpgate.log" | head -n 60 >&2
		fail "sanitizer report in tcpgate's log"
	fi
}

need_root() {
	[ "$(id -u)" -eq 0 ] || { echo "$TG_TEST_NAME: must run as root (network namespaces, TAP)" >&2; exit 1; }
}

# ---------------------------------------------------------------- lifecycle

# tg_init: pick a unique id, create the temp dir and the client namespace, set the trap.
tg_init() {
	need_root
	[ -x "$TCPGATE" ] || { echo "$TG_TEST_NAME: $TCPGATE not built" >&2; exit 1; }
	TG_DIR=$(mktemp -d /tmp/tcpgate-e2e.XXXXXX)
	mkdir -p "$TG_DIR/pids"
	trap tg_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	# id: PID (≤ 7 digits) plus a random suffix: "tg" + id stays ≤ 15 chars.
	local n=0
	while :; do
		TG_ID="$$$((RANDOM % 100))"
		TG_ID=${TG_ID:0:11}
		TG_NS="tgc-$TG_ID"
		TG_IF="tg$TG_ID"
		[ -e "/run/netns/$TG_NS" ] || break
		n=$((n + 1))
		[ $n -lt 50 ] || { echo "cannot find a free namespace name" >&2; exit 1; }
	done
	ip netns add "$TG_NS"
	TG_NS_CREATED=1
	TG_CTL_SOCK="$TG_DIR/control.sock"
	TG_CFG="$TG_DIR/tcpgate.cfg"
	log "id=$TG_ID ns=$TG_NS if=$TG_IF dir=$TG_DIR"
}

# kill_pid PID: TERM, wait up to 5 s, then KILL. Only PIDs this test started.
kill_pid() {
	local pid=$1 i
	[ -n "$pid" ] || return 0
	kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < 50; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		# a zombie child of ours counts as gone
		[ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ] || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
}

tg_cleanup() {
	local rc=$? f
	set +e
	trap - EXIT INT TERM
	if [ -n "$TG_DIR" ] && [ -d "$TG_DIR/pids" ]; then
		# tcpgate first (it holds the TAP), then everything else
		[ -f "$TG_DIR/pids/tcpgate.pid" ] && kill_pid "$(cat "$TG_DIR/pids/tcpgate.pid")"
		for f in "$TG_DIR"/pids/*.pid; do
			[ -f "$f" ] || continue
			kill_pid "$(cat "$f")"
		done
	fi
	wait 2>/dev/null
	if [ "$TG_NS_CREATED" = 1 ]; then
		ip netns del "$TG_NS" 2>/dev/null
	fi
	[ -z "${TG_LINK_NS:-}" ] || ip netns del "$TG_LINK_NS" 2>/dev/null
	if [ -n "$TG_DIR" ] && [ -d "$TG_DIR" ]; then
		if [ -n "${TG_KEEP:-}" ]; then
			echo "kept $TG_DIR" >&2
		else
			rm -rf "$TG_DIR"
		fi
	fi
	exit "$rc"
}

# start_bg NAME CMD...: run CMD in the background, stdout+stderr to $TG_DIR/NAME.log,
# its PID in $TG_DIR/pids/NAME.pid (and in $BG_PID).
BG_PID=""
start_bg() {
	local name=$1
	shift
	"$@" >"$TG_DIR/$name.log" 2>&1 &
	BG_PID=$!
	echo "$BG_PID" >"$TG_DIR/pids/$name.pid"
}

# stop_bg NAME: kill a background process started with start_bg and forget it.
stop_bg() {
	local f="$TG_DIR/pids/$1.pid"
	[ -f "$f" ] || return 0
	kill_pid "$(cat "$f")"
	rm -f "$f"
}

# wait_bg NAME [TIMEOUT_S]: wait for a background process to exit; return its status
# (124 on timeout, after killing it).
wait_bg() {
	local name=$1 t=${2:-120} pid rc=0 deadline
	pid=$(cat "$TG_DIR/pids/$name.pid")
	deadline=$((SECONDS + t))
	while kill -0 "$pid" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]; do
		if [ $SECONDS -ge $deadline ]; then
			kill_pid "$pid"
			wait "$pid" 2>/dev/null || true
			rm -f "$TG_DIR/pids/$name.pid"
			return 124
		fi
		sleep 0.1
	done
	wait "$pid" || rc=$?
	rm -f "$TG_DIR/pids/$name.pid"
	return $rc
}

# wait_for TIMEOUT_S CMD...: poll CMD every 0.1 s until it succeeds; 1 on deadline.
wait_for() {
	local t=$1 deadline
	shift
	deadline=$((SECONDS + t))
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $deadline ] || return 1
		sleep 0.1
	done
}

# free_ports N: print N currently free TCP ports on 127.0.0.1, one per line. They
# are picked at random below the ephemeral range, so outgoing connections (tcpgate's
# own backend connects, curl, a benchmark running alongside) cannot take them
# between this check and the bind.
free_ports() {
	"$PY" - "$1" <<'EOF'
import random, socket, sys
try:
    lo = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
except (OSError, ValueError, IndexError):
    lo = 32768
top = max(lo, 12000)
socks = []
while len(socks) < int(sys.argv[1]):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", random.randrange(10000, top)))
    except OSError:
        s.close()
        continue
    socks.append(s)
for s in socks:
    print(s.getsockname()[1])
EOF
}

# nsexec CMD...: run CMD inside the client namespace.
nsexec() { ip netns exec "$TG_NS" "$@"; }

# tg_packet_link: the topology for interface.type = "packet". A second namespace
# tgp-<id> holds veth end $TG_IF, the interface tcpgate binds its AF_PACKET socket
# to (config netns = tgp-<id>); the peer end tc<id> is in the client namespace with
# 10.88.0.2/24. $TG_IF has no IP address: the kernel of tgp-<id> owns none of
# tcpgate's addresses, so it neither answers ARP for them nor resets tcpgate's
# connections (with no local address and forwarding off it drops what reaches it).
# Offloads are off on both ends (no GRO'd >MTU frames, no TSO/GSO), except TX
# checksum offload on the client end, whose partial checksums tcpgate completes.
tg_packet_link() {
	TG_TYPE=packet
	TG_LINK_NS="tgp-$TG_ID"
	ip netns add "$TG_LINK_NS"
	ip link add "$TG_IF" netns "$TG_LINK_NS" type veth peer name "tc$TG_ID" netns "$TG_NS"
	ip netns exec "$TG_LINK_NS" sysctl -qw net.ipv4.conf.all.forwarding=0 net.ipv6.conf.all.disable_ipv6=1
	ip netns exec "$TG_NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	ip netns exec "$TG_LINK_NS" ethtool -K "$TG_IF" gro off tso off gso off >/dev/null
	ip netns exec "$TG_NS" ethtool -K "tc$TG_ID" gro off tso off gso off >/dev/null
	ip -n "$TG_LINK_NS" link set "$TG_IF" up
	ip -n "$TG_NS" addr add "$TG_CLIENT_IP/24" dev "tc$TG_ID"
	ip -n "$TG_NS" link set "tc$TG_ID" up
	ip -n "$TG_NS" link set lo up
}

# ---------------------------------------------------------------- config and tcpgate

# tg_backends_block PORT[:WEIGHT]...: the backends list for a listener (weight 1).
tg_backends_block() {
	local p w sep="" out=""
	for p in "$@"; do
		w=1
		case $p in *:*) w=${p#*:} p=${p%%:*} ;; esac
		out+="$sep      { address = \"127.0.0.1:$p\"; weight = $w; }"
		sep=$',\n'
	done
	printf '%s' "$out"
}

# tg_listener NAME VIPPORT BALANCE BACKEND_PORT[:WEIGHT]...: one listener group.
tg_listener() {
	local name=$1 port=$2 balance=$3
	shift 3
	cat <<EOF
  {
    name    = "$name";
    address = "$TG_VIP";
    port    = $port;
    balance = "$balance";
    backends = (
$(tg_backends_block "$@")
    );
  }
EOF
}

# tg_config LISTENER_BLOCK...: write $TG_CFG with the standard interface, a free
# stats port and the control socket in the temp dir. $TG_DEFAULTS, when set, is the
# body of the defaults group (default: a 1 s connect timeout and a 1 s drain);
# $TG_OFFLOAD sets interface.offload (default true, tcpgate's own default; the
# impairment tests and t_bulk pin false); $TG_IFACE_EXTRA is added to
# the interface group (e.g. "workers = 2;"). $TG_TYPE sets interface.type (default
# tap) and $TG_LINK_NS interface.netns (default the client namespace; tg_packet_link
# sets both for an AF_PACKET link on a veth).
TG_LISTENERS=()
tg_config() {
	local sep="" l body=""
	TG_LISTENERS=("$@")
	[ -n "$TG_STATS_PORT" ] || read -r TG_STATS_PORT < <(free_ports 1)
	for l in "$@"; do
		body+="$sep$l"
		sep=$',\n'
	done
	cat >"$TG_CFG" <<EOF
# generated by $TG_TEST_NAME (tests/e2e)
interface = {
  type    = "${TG_TYPE:-tap}";
  name    = "$TG_IF";
  netns   = "${TG_LINK_NS:-$TG_NS}";
  address = "$TG_GW_IP/${TG_PREFIX:-24}";
  offload = ${TG_OFFLOAD:-true};${TG_IFACE_EXTRA:+
  $TG_IFACE_EXTRA}
};
stats   = { listen = "127.0.0.1:$TG_STATS_PORT"; };
control = { socket = "$TG_CTL_SOCK"; };
defaults = { ${TG_DEFAULTS:-connect_timeout_ms = 1000; drain_timeout_s = 1;} };
listeners = (
$body
);
EOF
}

tg_alive() {
	[ -n "$TG_PID" ] && kill -0 "$TG_PID" 2>/dev/null &&
		[ "$(awk '{print $3}' "/proc/$TG_PID/stat" 2>/dev/null)" != Z ]
}

# tg_start [TCPGATE ARGS...]: start tcpgate -c $TG_CFG in the background, wait for its
# TAP in the namespace and its stats port, then configure the client side. Extra
# args (e.g. --pcap F) are passed through. If the stats port was taken by someone
# else since free_ports picked it, tcpgate is restarted with another (up to 3 times).
tg_start() {
	local deadline attempt
	for attempt in 1 2 3; do
		start_bg tcpgate "$TCPGATE" -c "$TG_CFG" "$@"
		TG_PID=$BG_PID
		log "tcpgate pid $TG_PID: $TCPGATE -c $TG_CFG $*"
		deadline=$((SECONDS + 10))
		# started = the TAP exists in the namespace and the stats port accepts
		until { [ "${TG_TYPE:-tap}" = packet ] || ip -n "$TG_NS" link show "$TG_IF" >/dev/null 2>&1; } &&
			tg_stats_http; do
			if ! tg_alive; then
				# the stats port was taken since free_ports checked it: pick another
				if [ $attempt -lt 3 ] && grep -q "stats: cannot listen" "$TG_DIR/tcpgate.log"; then
					log "stats port $TG_STATS_PORT taken meanwhile; retrying with another"
					wait "$TG_PID" 2>/dev/null || true
					rm -f "$TG_DIR/pids/tcpgate.pid"
					TG_STATS_PORT=""
					tg_config "${TG_LISTENERS[@]}"
					continue 2
				fi
				fail "tcpgate exited during start-up"
			fi
			[ $SECONDS -lt $deadline ] ||
				fail "tcpgate did not create $TG_IF in $TG_NS and listen on 127.0.0.1:$TG_STATS_PORT within 10 s"
			sleep 0.1
		done
		break
	done
	tg_alive || fail "tcpgate died after start-up"
	[ "${TG_TYPE:-tap}" != packet ] || return 0	# tg_packet_link configured the client
	ip -n "$TG_NS" addr add "$TG_CLIENT_IP/24" dev "$TG_IF"
	ip -n "$TG_NS" link set "$TG_IF" up
	ip -n "$TG_NS" link set lo up
	tg_alive || fail "tcpgate died after creating $TG_IF"
}

# tg_stats_http: the stats port answers HTTP (any status): it is tcpgate's.
tg_stats_http() {
	local code
	code=$(curl -s -o /dev/null --max-time 2 -w '%{http_code}' "http://127.0.0.1:$TG_STATS_PORT/stats" 2>/dev/null) || true
	[ -n "$code" ] && [ "$code" != 000 ]
}

# tg_wait_stats [TIMEOUT_S]: wait until the stats endpoint answers.
tg_wait_stats() {
	wait_for "${1:-10}" stats_json || fail "stats endpoint 127.0.0.1:$TG_STATS_PORT not answering"
}

# tg_stop: graceful stop (SIGTERM), wait for exit; returns tcpgate's exit status.
tg_stop() {
	local rc=0
	[ -n "$TG_PID" ] || return 0
	kill -TERM "$TG_PID" 2>/dev/null || true
	wait_bg tcpgate 15 || rc=$?
	TG_PID=""
	return $rc
}

# ---------------------------------------------------------------- helpers

# stats_json [PATH]: GET http://127.0.0.1:<stats>/PATH (default stats; "" = /).
stats_json() {
	curl -sf --max-time 5 "http://127.0.0.1:$TG_STATS_PORT/${1-stats}"
}

# json_get PATH [FILE]: print a field of the JSON on stdin (or FILE); PATH is dotted,
# list indexes are numbers: tcp.connections_active, listeners.0.backends.1.state.
json_get() {
	"$PY" -c '
import json, sys
d = json.load(open(sys.argv[2]) if len(sys.argv) > 2 else sys.stdin)
for k in sys.argv[1].split("."):
    d = d[int(k)] if isinstance(d, list) else d[k]
print(json.dumps(d) if isinstance(d, (dict, list)) else d)
' "$@"
}

# stat_value PATH: a field of the live /stats JSON.
stat_value() { stats_json | json_get "$1"; }

# rss_kb PID: resident set size in KiB.
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# start_backend_http NAME PORT: python http.server on 127.0.0.1:PORT serving a page
# that contains NAME (GET / → "NAME\n").
start_backend_http() {
	local name=$1 port=$2 dir="$TG_DIR/www-$1"
	mkdir -p "$dir"
	printf '%s\n' "$name" >"$dir/index.html"
	start_bg "http-$name" "$PY" -m http.server --bind 127.0.0.1 --directory "$dir" "$port"
	wait_for 10 port_listening "$port" || fail "http backend $name did not listen on $port"
}

# port_listening PORT: something listens on 127.0.0.1:PORT (root namespace).
port_listening() {
	"$PY" -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1)
s.close()' "$1"
}

# sha256_of FILE: hex digest.
sha256_of() { sha256sum "$1" | awk '{print $1}'; }

# start_hold_rig: build bench/hold.c as $TG_DIR/hold (the client that opens and holds
# many connections) and start tools/holdsrv.py; sets HOLD_PORT (connections held open)
# and ECHO_PORT (an echo service) on 127.0.0.1.
start_hold_rig() {
	cc -O2 -Wall -o "$TG_DIR/hold" "$ROOT_DIR/bench/hold.c" || fail "cannot build bench/hold.c"
	read -r HOLD_PORT ECHO_PORT < <(free_ports 2 | xargs)
	start_bg srv "$PY" -u "$TOOLS/holdsrv.py" --hold-port "$HOLD_PORT" --echo-port "$ECHO_PORT"
	wait_for 10 grep -q '^READY' "$TG_DIR/srv.log" || fail "holdsrv did not start: $(cat "$TG_DIR/srv.log")"
}

# start_backend NAME PORT [backend.py ARGS...]: tools/backend.py on 127.0.0.1:PORT,
# output (READY line, one JSON report per connection) in $TG_DIR/NAME.log.
start_backend() {
	local name=$1 port=$2
	shift 2
	start_bg "$name" "$PY" -u "$TOOLS/backend.py" --port "$port" "$@"
	wait_for 10 grep -q "^READY" "$TG_DIR/$name.log" ||
		fail "backend $name did not start: $(cat "$TG_DIR/$name.log")"
}

# backend_report NAME [N]: the N-th (default 1st) JSON report line of a backend.py.
backend_report() {
	grep '^{' "$TG_DIR/$1.log" | sed -n "${2:-1}p"
}
