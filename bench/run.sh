#!/usr/bin/env bash
# run.sh - `make bench`: tcpgate vs HAProxy (TCP mode) vs the direct kernel path.
#
# Topology (DESIGN.md §7), all created here and removed by the EXIT trap:
#
#   client netns tgb-<pid>
#     TAP  tgb<pid>   10.88.0.2/24 (+ .10-.12)  ──▶ tcpgate 10.88.0.1, VIP 10.88.0.100
#     veth tgbc<pid>  10.89.0.2/24 (+ .10-.12)  ──▶ root ns tgbr<pid> 10.89.0.1
#                                                     HAProxy (mode tcp) on 10.89.0.1
#                                                     direct: iperf3/nginx on 10.89.0.1
#   backends (root ns): iperf3 -s on 127.0.0.1, nginx (1 KiB static file, keep-alive)
#   on 127.0.0.1 (four ports, so 100k backend connections fit the ephemeral range);
#   tcpgate and HAProxy proxy to the same loopback backends.
#
# Scenarios (MTU 1500), interleaved tcpgate / HAProxy / direct, BENCH_RUNS each:
#   iperf3 upload, download (-R), upload -P 4; wrk keep-alive req/s (-t2 -c50),
#   new connections/s (Connection: close), latency p50/p99 (-t1 -c1 --latency);
#   throughput (up and down) with 1% loss each way (nftables numgen, client netns);
#   N concurrent established connections held: RSS of tcpgate vs HAProxy;
#   the in-process stack microbenchmark (bench/micro.c); what one loopback TCP hop
#   costs (bench/hop.c), the floor of any kernel-socket proxy's added cost.
# Prints one table of medians with the tcpgate/HAProxy ratio and writes
# bench/RESULTS.md. A failing cell says "fail" with the reason; the bench goes on.
#
# Environment: BUILD (default build), BENCH_QUICK=1 (1 run, short, fewer held
# connections), BENCH_RUNS, BENCH_DURATION (s), BENCH_CONNS, BENCH_HAPROXY_THREADS
# (default nproc), BENCH_OFFLOAD (auto|true|false), BENCH_PERF (perf record of tcpgate:
# 1 or down = during an iperf3 download, up, cps, ka, loss_up, loss_down; 0 = off), BENCH_BUDGET_S
# (overall time budget, default 840),
# BENCH_WORKERS (tcpgate's interface.workers, default 1), BENCH_KEEP=1 (keep the work dir), BENCH_RESULTS (output file), BENCH_ONLY (comma-separated
# scenarios to run, for quick experiments: up,down,p4,rps_ka,cps,lat,loss,hold,micro).
set -uo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT_DIR=$(cd "$BENCH_DIR/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD="$ROOT_DIR/$BUILD" ;; esac
TCPGATE="$BUILD/tcpgate"

QUICK=${BENCH_QUICK:-0}
if [ "$QUICK" = 1 ]; then
	RUNS=${BENCH_RUNS:-1}
	DUR=${BENCH_DURATION:-2}
	HOLD_N=${BENCH_CONNS:-20000}
else
	RUNS=${BENCH_RUNS:-3}
	DUR=${BENCH_DURATION:-5}
	HOLD_N=${BENCH_CONNS:-100000}
fi
BUDGET=${BENCH_BUDGET_S:-840}
OFFLOAD=${BENCH_OFFLOAD:-auto}
PERF=${BENCH_PERF:-1}
RESULTS=${BENCH_RESULTS:-$BENCH_DIR/RESULTS.md}
TG_WORKERS=${BENCH_WORKERS:-1}
export TG_WORKERS
NPROC=$(nproc)
HAP_THREADS=${BENCH_HAPROXY_THREADS:-$NPROC}

ID=$$
NS="tgb-$ID"
TAP="tgb$ID"
VR="tgbr$ID"	# veth, root side
VC="tgbc$ID"	# veth, client side
TG_GW=10.88.0.1
TG_CLIENT=10.88.0.2
VIP=10.88.0.100
V_ROOT=10.89.0.1
V_CLIENT=10.89.0.2
EXTRA_HOSTS=(10 11 12)
PY=$(python3 -c 'import sys; print(sys.executable)')
T_START=$SECONDS

log() { printf '[bench %s] %s\n' "$(date +%T)" "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

[ "$(id -u)" -eq 0 ] || die "must run as root (network namespaces, TAP, veth)"
[ -x "$TCPGATE" ] || die "$TCPGATE not built (make)"
"$BENCH_DIR/deps.sh" || die "bench/deps.sh failed"
for t in haproxy nginx iperf3 wrk nft ethtool; do
	command -v "$t" >/dev/null || die "$t not found"
done
if ip -4 -o addr show | grep -q ' 10\.89\.0\.'; then
	die "10.89.0.0/24 is already in use in the root namespace (another bench running?)"
fi

WORK=$(mktemp -d /tmp/tcpgate-bench.XXXXXX)
chmod 0755 "$WORK"	# nginx workers (not root) read the static file
mkdir -p "$WORK/pids" "$WORK/res" "$WORK/www" "$WORK/logs"
NS_CREATED=0

# kill_pid PID: TERM, up to 5 s, then KILL. Only PIDs this script started.
kill_pid() {
	local pid=$1 i
	[ -n "$pid" ] || return 0
	kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < 50; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		[ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ] || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
}

cleanup() {
	local rc=$? f
	set +e
	trap - EXIT INT TERM
	[ -f "$WORK/pids/tcpgate.pid" ] && kill_pid "$(cat "$WORK/pids/tcpgate.pid")"
	for f in "$WORK"/pids/*.pid; do
		[ -f "$f" ] && kill_pid "$(cat "$f")"
	done
	wait 2>/dev/null
	if [ "$NS_CREATED" = 1 ]; then
		ip netns del "$NS" 2>/dev/null
		ip link del "$VR" 2>/dev/null
	fi
	if [ -n "${BENCH_KEEP:-}" ]; then
		log "kept $WORK"
	else
		rm -rf "$WORK"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start_bg NAME CMD...: background process, output in logs/NAME.log, pid in pids/NAME.pid
BG_PID=""
start_bg() {
	local name=$1
	shift
	"$@" >"$WORK/logs/$name.log" 2>&1 &
	BG_PID=$!
	echo "$BG_PID" >"$WORK/pids/$name.pid"
}
stop_bg() {
	local f="$WORK/pids/$1.pid"
	[ -f "$f" ] || return 0
	kill_pid "$(cat "$f")"
	wait "$(cat "$f")" 2>/dev/null
	rm -f "$f"
}
alive() {
	local f="$WORK/pids/$1.pid" pid
	[ -f "$f" ] || return 1
	pid=$(cat "$f")
	kill -0 "$pid" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]
}
wait_for() {
	local t=$1 deadline
	shift
	deadline=$((SECONDS + t))
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $deadline ] || return 1
		sleep 0.1
	done
}
nsx() { ip netns exec "$NS" "$@"; }
left_s() { echo $((BUDGET - (SECONDS - T_START))); }
free_ports() {
	"$PY" - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
for s in socks:
    print(s.getsockname()[1])
EOF
}
tcp_listening() { # ADDR PORT [NETNS-EXEC...]
	"$PY" -c '
import socket, sys
socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1).close()' "$1" "$2"
}

# Many sockets: tcpgate holds one fd per connection (the backend socket),
# HAProxy two. Raise the soft limit to the hard one; raising the hard limit
# needs CAP_SYS_RESOURCE, which a container may not have: then the held
# connections are capped per process and the report says so.
ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
FD_LIMIT=$(ulimit -n)
HAP_MAXCONN=$(((FD_LIMIT - 100) / 2))
[ "$HAP_MAXCONN" -gt 250000 ] && HAP_MAXCONN=250000
TG_HOLD_CAP=$((FD_LIMIT - 300))	# tcpgate: one fd per held connection + its own
HAP_HOLD_CAP=$((HAP_MAXCONN - 100))
CLIENT_CHUNK=$((FD_LIMIT - 200 < 50000 ? FD_LIMIT - 200 : 50000))	# connections per hold process

# ---------------------------------------------------------------- build the tools
log "building bench tools"
CC=${CC:-cc}
$CC -O2 -Wall -o "$WORK/hold" "$BENCH_DIR/hold.c" || die "cannot build bench/hold.c"
MICRO_OK=1
$CC -O2 -g -std=c11 -D_GNU_SOURCE -Wall -I"$ROOT_DIR" -o "$WORK/micro" "$BENCH_DIR/micro.c" \
	"$BUILD/libtcpgate-stack.a" -lm 2>"$WORK/logs/micro-build.log" || MICRO_OK=0

# ---------------------------------------------------------------- topology
log "topology: netns $NS, TAP $TAP, veth $VR/$VC (work dir $WORK)"
ip netns add "$NS" || die "ip netns add $NS"
NS_CREATED=1
nsx ip link set lo up
ip link add "$VR" type veth peer name "$VC" || die "cannot create veth"
ip link set "$VC" netns "$NS"
ip addr add "$V_ROOT/24" dev "$VR"
ip link set "$VR" mtu 1500 up
nsx ip addr add "$V_CLIENT/24" dev "$VC"
for h in "${EXTRA_HOSTS[@]}"; do nsx ip addr add "10.89.0.$h/24" dev "$VC"; done
nsx ip link set "$VC" mtu 1500 up
nsx sysctl -qw net.ipv4.ip_local_port_range="1024 65535"
nsx sysctl -qw net.ipv4.tcp_tw_reuse=1

mapfile -t P < <(free_ports 9)
NGX_PORTS=("${P[0]}" "${P[1]}" "${P[2]}" "${P[3]}")	# 127.0.0.1
NGX_DIRECT=${P[0]}					# 10.89.0.1 (same number)
IPERF_LO=${P[4]}
IPERF_DIRECT=${P[5]}
HAP_IPERF=${P[6]}
HAP_HTTP=${P[7]}
HAP_HOLD=${P[8]}
read -r STATS_PORT < <(free_ports 1)
TG_IPERF=5201
TG_HTTP=80
TG_HOLD=8080

# ---------------------------------------------------------------- backends
head -c 1024 /dev/zero | tr '\0' 'x' >"$WORK/www/index.html"
mkdir -p "$WORK/nginx/tmp"
{
	echo "daemon off; master_process on; worker_processes $NPROC;"
	echo "worker_rlimit_nofile $FD_LIMIT; pid $WORK/nginx/nginx.pid; error_log $WORK/logs/nginx-error.log crit;"
	echo "events { worker_connections $((FD_LIMIT - 100)); use epoll; multi_accept on; }"
	echo "http {"
	echo "  access_log off; sendfile on; tcp_nopush on; tcp_nodelay on;"
	echo "  keepalive_timeout 600s; keepalive_requests 100000000;"
	echo "  client_header_timeout 600s; client_body_timeout 600s; send_timeout 600s;"
	echo "  client_body_temp_path $WORK/nginx/tmp; proxy_temp_path $WORK/nginx/tmp;"
	echo "  fastcgi_temp_path $WORK/nginx/tmp; uwsgi_temp_path $WORK/nginx/tmp; scgi_temp_path $WORK/nginx/tmp;"
	echo "  types { text/html html; } default_type text/html;"
	echo "  server {"
	# reuseport: held connections spread evenly over the workers (fd limit per worker)
	for p in "${NGX_PORTS[@]}"; do echo "    listen 127.0.0.1:$p backlog=65535 reuseport;"; done
	echo "    listen $V_ROOT:$NGX_DIRECT backlog=65535;"
	echo "    root $WORK/www; index index.html;"
	echo "  }"
	echo "}"
} >"$WORK/nginx/nginx.conf"
start_bg nginx nginx -p "$WORK/nginx" -e "$WORK/logs/nginx-error.log" -c "$WORK/nginx/nginx.conf"
wait_for 10 tcp_listening 127.0.0.1 "${NGX_PORTS[0]}" || die "nginx did not start: $(cat "$WORK/logs/nginx.log" "$WORK/logs/nginx-error.log" 2>/dev/null)"

start_iperf() {
	stop_bg iperf-lo
	stop_bg iperf-direct
	start_bg iperf-lo iperf3 -s -B 127.0.0.1 -p "$IPERF_LO"
	start_bg iperf-direct iperf3 -s -B "$V_ROOT" -p "$IPERF_DIRECT"
	wait_for 10 tcp_listening 127.0.0.1 "$IPERF_LO" &&
		wait_for 10 tcp_listening "$V_ROOT" "$IPERF_DIRECT"
}
start_iperf || die "iperf3 servers did not start"

# ---------------------------------------------------------------- HAProxy
{
	echo "global"
	echo "  maxconn $HAP_MAXCONN"
	echo "  nbthread $HAP_THREADS"
	echo "defaults"
	echo "  mode tcp"
	echo "  maxconn $HAP_MAXCONN"
	echo "  timeout connect 3s"
	echo "  timeout client 600s"
	echo "  timeout server 600s"
	echo "frontend iperf"
	echo "  bind $V_ROOT:$HAP_IPERF"
	echo "  default_backend iperf"
	echo "backend iperf"
	echo "  server s1 127.0.0.1:$IPERF_LO"
	echo "frontend http"
	echo "  bind $V_ROOT:$HAP_HTTP"
	echo "  default_backend http"
	echo "backend http"
	echo "  server s1 127.0.0.1:${NGX_PORTS[0]}"
	echo "frontend hold"
	echo "  bind $V_ROOT:$HAP_HOLD backlog 65535"
	echo "  default_backend hold"
	echo "backend hold"
	echo "  balance roundrobin"
	i=0
	for p in "${NGX_PORTS[@]}"; do
		i=$((i + 1))
		echo "  server s$i 127.0.0.1:$p"
	done
} >"$WORK/haproxy.cfg"
start_haproxy() {
	stop_bg haproxy
	start_bg haproxy haproxy -db -f "$WORK/haproxy.cfg"
	wait_for 10 tcp_listening "$V_ROOT" "$HAP_HTTP"
}
start_haproxy || die "haproxy did not start: $(cat "$WORK/logs/haproxy.log")"
HAP_VERSION=$(haproxy -v 2>/dev/null | head -1 | awk '{print $3}')

# ---------------------------------------------------------------- tcpgate
tg_write_config() { # OFFLOAD
	local hold_backends="" sep="" p
	for p in "${NGX_PORTS[@]}"; do
		hold_backends+="$sep      { address = \"127.0.0.1:$p\"; weight = 1; }"
		sep=$',\n'
	done
	cat >"$WORK/tcpgate.cfg" <<EOF
# generated by bench/run.sh
interface = {
  type    = "tap";
  name    = "$TAP";
  netns   = "$NS";
  address = "$TG_GW/24";
  mtu     = 1500;
  offload = $1;
  workers = $TG_WORKERS;
};
stats   = { listen = "127.0.0.1:$STATS_PORT"; };
control = { socket = "$WORK/control.sock"; };
defaults = { connect_timeout_ms = 3000; idle_timeout_s = 600; drain_timeout_s = 1;
             max_connections = $((HOLD_N + 10000 > 110000 ? HOLD_N + 10000 : 110000)); };
listeners = (
  { name = "iperf"; address = "$VIP"; port = $TG_IPERF;
    backends = ( { address = "127.0.0.1:$IPERF_LO"; weight = 1; } ); },
  { name = "http"; address = "$VIP"; port = $TG_HTTP;
    backends = ( { address = "127.0.0.1:${NGX_PORTS[0]}"; weight = 1; } ); },
  { name = "hold"; address = "$VIP"; port = $TG_HOLD; balance = "roundrobin";
    backends = (
$hold_backends
    ); }
);
EOF
}
TG_STARTS=0
tg_start() {
	local deadline h
	stop_bg tcpgate
	TG_STARTS=$((TG_STARTS + 1))
	# keep the log of every start (a crash's log must survive the restart)
	[ -f "$WORK/logs/tcpgate.log" ] && cat "$WORK/logs/tcpgate.log" >>"$WORK/logs/tcpgate-all.log"
	start_bg tcpgate "$TCPGATE" -c "$WORK/tcpgate.cfg"
	deadline=$((SECONDS + 10))
	until nsx ip link show "$TAP" >/dev/null 2>&1; do
		alive tcpgate || return 1
		[ $SECONDS -lt $deadline ] || return 1
		sleep 0.1
	done
	nsx ip addr add "$TG_CLIENT/24" dev "$TAP"
	for h in "${EXTRA_HOSTS[@]}"; do nsx ip addr add "10.88.0.$h/24" dev "$TAP"; done
	nsx ip link set "$TAP" mtu 1500 up
	[ -n "${LOSS_ON:-}" ] && nsx ethtool -K "$TAP" tso off gso off gro off >/dev/null 2>&1
	wait_for 10 nsx "$PY" -c '
import socket
socket.create_connection(("'"$VIP"'", '"$TG_HTTP"'), timeout=1).close()' || return 1
	alive tcpgate
}
TG_OFFLOAD_NOTE=""
if [ "$OFFLOAD" = auto ]; then
	tg_write_config true
	if tg_start; then
		if grep -qi "offload not implemented" "$WORK/logs/tcpgate.log"; then
			TG_OFFLOAD_NOTE="offload = true requested; this build says \"offload not implemented yet; running without\""
		else
			TG_OFFLOAD_NOTE="offload = true (vnet header, TSO/checksum offload)"
		fi
	else
		log "tcpgate did not start with offload = true; trying offload = false"
		tg_write_config false
		tg_start || die "tcpgate did not start: $(tail -20 "$WORK/logs/tcpgate.log")"
		TG_OFFLOAD_NOTE="offload = false (offload = true did not start)"
	fi
else
	tg_write_config "$OFFLOAD"
	tg_start || die "tcpgate did not start: $(tail -20 "$WORK/logs/tcpgate.log")"
	TG_OFFLOAD_NOTE="offload = $OFFLOAD (BENCH_OFFLOAD)"
fi
log "tcpgate up: $TG_OFFLOAD_NOTE"

# ---------------------------------------------------------------- measurement helpers
# Results: res/SCENARIO.TARGET, one line per run: a number, or "fail REASON".
record() { # SCENARIO TARGET VALUE...
	local f="$WORK/res/$1.$2"
	shift 2
	echo "$*" >>"$f"
}
NOTES="$WORK/notes"
: >"$NOTES"
note() { echo "$*" >>"$NOTES"; }

# target_addr TARGET SERVICE -> "HOST PORT"
target_addr() {
	case "$1.$2" in
	tcpgate.iperf) echo "$VIP $TG_IPERF" ;;
	haproxy.iperf) echo "$V_ROOT $HAP_IPERF" ;;
	direct.iperf) echo "$V_ROOT $IPERF_DIRECT" ;;
	tcpgate.http) echo "$VIP $TG_HTTP" ;;
	haproxy.http) echo "$V_ROOT $HAP_HTTP" ;;
	direct.http) echo "$V_ROOT $NGX_DIRECT" ;;
	tcpgate.hold) echo "$VIP $TG_HOLD" ;;
	haproxy.hold) echo "$V_ROOT $HAP_HOLD" ;;
	esac
}

# ensure TARGET: the proxy is running (restart it if it died); 1 if it cannot be
ensure() {
	case $1 in
	tcpgate)
		alive tcpgate && return 0
		log "tcpgate is not running; restarting"
		note "tcpgate was not running before a run and was restarted (log tail: $(tail -3 "$WORK/logs/tcpgate.log" 2>/dev/null | tr '\n' ' '))"
		tg_start
		;;
	haproxy)
		alive haproxy && return 0
		start_haproxy
		;;
	direct) return 0 ;;
	esac
}

# iperf_run SCENARIO TARGET ARGS...: one iperf3 client run, records Gbit/s
iperf_run() {
	local scen=$1 target=$2 host port out rc v reason omit=""
	shift 2
	read -r host port <<<"$(target_addr "$target" iperf)"
	if ! ensure "$target"; then
		record "$scen" "$target" "fail $target not running"
		return
	fi
	[ "$DUR" -ge 4 ] && omit="-O 1"
	out="$WORK/logs/iperf-$scen-$target.json"
	# shellcheck disable=SC2086
	timeout -k 5 $((DUR + 20)) ip netns exec "$NS" iperf3 -c "$host" -p "$port" -t "$DUR" $omit \
		--connect-timeout 3000 -J "$@" >"$out" 2>&1
	rc=$?
	v=$("$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
if d.get("error"):
    print("fail", d["error"].replace(" ", "_")[:80]); sys.exit()
e = d["end"]
print("%.3f" % (e["sum_received"]["bits_per_second"] / 1e9))' "$out" 2>/dev/null)
	if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
		v="fail timeout_after_$((DUR + 20))s"
	elif [ -z "$v" ]; then
		v="fail iperf3_rc=$rc"
	fi
	case $v in
	fail*)
		reason=${v#fail }
		[ "$target" = tcpgate ] && ! alive tcpgate && reason="tcpgate_died:$reason"
		record "$scen" "$target" "fail $reason"
		note "$scen/$target: $reason"
		# a stuck test leaves the iperf3 server busy: start fresh servers
		start_iperf || true
		;;
	*) record "$scen" "$target" "$v" ;;
	esac
}

# wrk_run SCENARIO TARGET MODE: ka | close | lat
wrk_run() {
	local scen=$1 target=$2 mode=$3 host port url out rc v args=()
	read -r host port <<<"$(target_addr "$target" http)"
	url="http://$host:$port/"
	if ! ensure "$target"; then
		record "$scen" "$target" "fail $target not running"
		return
	fi
	case $mode in
	ka) args=(-t2 -c50) ;;
	close) args=(-t2 -c50 -H "Connection: close") ;;
	lat) args=(-t1 -c1 --latency) ;;
	esac
	out="$WORK/logs/wrk-$scen-$target.txt"
	timeout -k 5 $((DUR + 20)) ip netns exec "$NS" wrk "${args[@]}" -d"${DUR}s" --timeout 2s "$url" >"$out" 2>&1
	rc=$?
	v=$("$PY" - "$out" "$mode" <<'EOF'
import re, sys
t = open(sys.argv[1]).read()
mode = sys.argv[2]
def us(s):
    m = re.match(r"([\d.]+)(us|ms|s)$", s)
    return float(m.group(1)) * {"us": 1, "ms": 1e3, "s": 1e6}[m.group(2)]
m = re.search(r"Requests/sec:\s+([\d.]+)", t)
if not m or float(m.group(1)) == 0:
    print("fail no_requests"); sys.exit()
errs = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", t)
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
tot = re.search(r"(\d+) requests in", t)
bad = (sum(map(int, errs.groups())) if errs else 0) + (int(non2xx.group(1)) if non2xx else 0)
if tot and bad > 0.01 * int(tot.group(1)):
    print("fail %d_errors_of_%s_requests" % (bad, tot.group(1))); sys.exit()
if mode == "lat":
    p50 = re.search(r"^\s+50%\s+(\S+)", t, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", t, re.M)
    print("%.1f %.1f" % (us(p50.group(1)), us(p99.group(1))))
else:
    print("%.0f" % float(m.group(1)))
EOF
)
	if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
		v="fail timeout_after_$((DUR + 20))s"
	elif [ -z "$v" ]; then
		v="fail wrk_rc=$rc"
	fi
	case $v in
	fail*)
		[ "$target" = tcpgate ] && ! alive tcpgate && v="fail tcpgate_died:${v#fail }"
		note "$scen/$target: ${v#fail }"
		;;
	esac
	if [ "$mode" = lat ] && [[ $v != fail* ]]; then
		record lat_p50 "$target" "${v% *}"
		record lat_p99 "$target" "${v#* }"
	elif [ "$mode" = lat ]; then
		record lat_p50 "$target" "$v"
		record lat_p99 "$target" "$v"
	else
		record "$scen" "$target" "$v"
	fi
}

TARGETS=(tcpgate haproxy direct)
skipped() { # SCENARIO [TARGETS...]
	local s=$1 t
	shift
	for t in "${@:-${TARGETS[@]}}"; do record "$s" "$t" "fail skipped:${SKIP_WHY:-time_budget}"; done
}
# need_time SECONDS: is there enough budget left for a step of that length
need_time() { [ "$(left_s)" -gt "$1" ]; }
# wanted SCENARIO: selected by BENCH_ONLY (all when it is empty)
wanted() { [ -z "${BENCH_ONLY:-}" ] || [[ ",$BENCH_ONLY," == *",$1,"* ]]; }

# The proxy's CPU use over one run (utime + stime of its process, % of one core):
# where the time goes, next to the result. cpu_mark before the run, cpu_record after.
# Also the whole machine's busy share (/proc/stat, every target including direct):
# with the client, the proxy and the backends on the same CPUs, machine CPU time per
# request is the cost a throughput ratio follows once the machine is saturated.
proc_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null; }
machine_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9; exit}' /proc/stat; }
cpu_mark() { # TARGET
	CPU_PID="" CPU_T0="" CPU_W0=""
	MACH_T0=$(machine_ticks)
	[ "$1" = direct ] && return
	CPU_PID=$(cat "$WORK/pids/$1.pid" 2>/dev/null) || return
	CPU_T0=$(proc_ticks "$CPU_PID")
	CPU_W0=$(date +%s%N)
}
cpu_record() { # SCENARIO TARGET
	local t1 w1
	# machine busy, % of all CPUs
	record "mcpu_$1" "$2" "$(echo "$MACH_T0 $(machine_ticks)" |
		awk '{ d = $4 - $2; printf "%.1f", (d > 0 ? ($3 - $1) / d * 100 : 0) }')"
	[ -n "$CPU_T0" ] || return
	t1=$(proc_ticks "$CPU_PID") || return
	[ -n "$t1" ] || return
	w1=$(date +%s%N)
	record "cpu_$1" "$2" "$(awk -v a="$CPU_T0" -v b="$t1" -v w="$((w1 - CPU_W0))" -v hz="$(getconf CLK_TCK)" \
		'BEGIN {printf "%.0f", (b - a) / hz / (w / 1e9) * 100}')"
}

one_round() { # SCENARIO FN ARGS... (all targets, RUNS times, interleaved)
	local scen=$1 r t
	shift
	if ! wanted "$scen" && ! { [[ $scen == loss_* ]] && wanted loss; }; then
		for t in "${TARGETS[@]}"; do record "$scen" "$t" "fail skipped:BENCH_ONLY"; done
		return
	fi
	for ((r = 1; r <= RUNS; r++)); do
		for t in "${TARGETS[@]}"; do
			if ! need_time $((DUR + 25 + 150)); then
				record "$scen" "$t" "fail skipped:time_budget"
				continue
			fi
			cpu_mark "$t"
			"$@" "$scen" "$t"
			cpu_record "$scen" "$t"
		done
	done
}
iperf_up() { iperf_run "$1" "$2"; }
iperf_down() { iperf_run "$1" "$2" -R; }
iperf_p4() { iperf_run "$1" "$2" -P 4; }
wrk_ka() { wrk_run "$1" "$2" ka; }
wrk_close() { wrk_run "$1" "$2" close; }
wrk_lat() {
	wrk_run "$1" "$2" lat
}

# ---------------------------------------------------------------- one kernel hop (bench/hop.c)
: >"$WORK/hop.out"
if wanted micro || wanted rps_ka || wanted cps; then
	if $CC -O2 -Wall -o "$WORK/hop" "$BENCH_DIR/hop.c" 2>"$WORK/logs/hop-build.log"; then
		log "one loopback TCP hop (bench/hop.c)"
		HOP_N=200000
		[ "$QUICK" = 1 ] && HOP_N=50000
		timeout 120 "$WORK/hop" "$HOP_N" >"$WORK/hop.out" 2>"$WORK/logs/hop.log" ||
			note "hop: exited with an error: $(tail -3 "$WORK/logs/hop.log" | tr '\n' ' ')"
	else
		note "hop: build failed: $(head -5 "$WORK/logs/hop-build.log" | tr '\n' ' ')"
	fi
fi

# ---------------------------------------------------------------- the microbenchmark
if ! wanted micro; then
	: >"$WORK/micro.out"
elif [ "$MICRO_OK" = 1 ]; then
	log "stack microbenchmark"
	MB_N=2000000
	[ "$QUICK" = 1 ] && MB_N=300000
	if ! timeout 120 "$WORK/micro" "$MB_N" >"$WORK/micro.out" 2>"$WORK/logs/micro.log"; then
		note "micro: exited with an error: $(tail -3 "$WORK/logs/micro.log" | tr '\n' ' ')"
	fi
else
	note "micro: build failed: $(head -5 "$WORK/logs/micro-build.log" | tr '\n' ' ')"
	: >"$WORK/micro.out"
fi

# ---------------------------------------------------------------- scenarios
log "runs=$RUNS duration=${DUR}s per run, held connections=$HOLD_N, budget ${BUDGET}s"
log "iperf3 upload";          one_round up iperf_up
log "iperf3 download (-R)";   one_round down iperf_down
log "iperf3 upload -P 4";     one_round p4 iperf_p4
log "wrk keep-alive";         one_round rps_ka wrk_ka
log "wrk Connection: close";  one_round cps wrk_close
log "wrk latency -c1";        one_round lat wrk_lat

# loss: drop 1% of TCP packets each way in the client netns. Segmentation
# offloads are switched off on the client-side devices (and the root-side veth)
# for these runs so the rule drops single wire packets, not 64 KiB GSO/GRO
# aggregates, on every path alike.
loss_on() {
	LOSS_ON=1
	nsx ethtool -K "$VC" tso off gso off gro off >/dev/null 2>&1
	ethtool -K "$VR" tso off gso off gro off >/dev/null 2>&1
	nsx ethtool -K "$TAP" tso off gso off gro off >/dev/null 2>&1
	nsx nft -f - <<'EOF'
table inet tgbloss {
	chain in {
		type filter hook input priority 0; policy accept;
		meta l4proto tcp numgen random mod 100 < 1 drop
	}
	chain out {
		type filter hook output priority 0; policy accept;
		meta l4proto tcp numgen random mod 100 < 1 drop
	}
}
EOF
}
loss_off() {
	LOSS_ON=""
	nsx nft delete table inet tgbloss 2>/dev/null
	nsx ethtool -K "$VC" tso on gso on gro on >/dev/null 2>&1
	ethtool -K "$VR" tso on gso on gro on >/dev/null 2>&1
	nsx ethtool -K "$TAP" gso on >/dev/null 2>&1
}
# perf profile of tcpgate during one load: BENCH_PERF=1 or down (iperf3 download),
# up (upload), cps (wrk Connection: close), ka (wrk keep-alive), loss_up or
# loss_down (iperf3 with the 1% loss rule of the loss rows)
PERF_TXT="$WORK/perf.txt"
perf_load() { # MODE: start the load in the background, print its PID
	local host port
	case $1 in
	cps | ka)
		read -r host port <<<"$(target_addr tcpgate http)"
		local hdr=()
		[ "$1" = cps ] && hdr=(-H "Connection: close")
		timeout -k 5 $((DUR + 20)) ip netns exec "$NS" wrk -t2 -c50 "${hdr[@]}" -d"$((DUR + 2))s" \
			"http://$host:$port/" >"$WORK/logs/wrk-perf.txt" 2>&1 &
		;;
	*)
		local dir=-R
		[ "$1" = up ] && dir=""
		read -r host port <<<"$(target_addr tcpgate iperf)"
		timeout -k 5 $((DUR + 20)) ip netns exec "$NS" iperf3 -c "$host" -p "$port" -t $((DUR + 2)) $dir \
			>"$WORK/logs/iperf-perf.txt" 2>&1 &
		;;
	esac
	echo $!
}
if [ "$PERF" != 0 ] && command -v perf >/dev/null && need_time $((DUR + 120)) && ensure tcpgate; then
	PERF_MODE=$PERF
	[ "$PERF_MODE" = 1 ] && PERF_MODE=down
	log "perf record of tcpgate during: $PERF_MODE"
	perf_with_loss=""
	case $PERF_MODE in loss_up | loss_down) perf_with_loss=1 ;; esac
	[ -n "$perf_with_loss" ] && loss_on
	lpid=$(perf_load "${PERF_MODE#loss_}")
	sleep 1
	timeout 30 perf record -q -e cpu-clock -g -o "$WORK/perf.data" -p "$(cat "$WORK/pids/tcpgate.pid")" -- sleep "$DUR" \
		>"$WORK/logs/perf.log" 2>&1
	wait "$lpid" 2>/dev/null
	[ -n "$perf_with_loss" ] && loss_off
	if [ -s "$WORK/perf.data" ]; then
		{
			echo "-- load: $PERF_MODE; by object (self time) --"
			timeout 60 perf report -i "$WORK/perf.data" --stdio --no-children --sort dso -g none \
				2>/dev/null | grep -v '^#' | grep -v '^$' | head -8
			echo "-- top symbols (self time >= 1%) --"
			timeout 60 perf report -i "$WORK/perf.data" --stdio --no-children --percent-limit 1 \
				--sort dso,symbol -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -30
			echo "-- system calls (time inclusive of the kernel work they do, >= 0.5%) --"
			timeout 60 perf report -i "$WORK/perf.data" --stdio --children --sort symbol -g none \
				2>/dev/null | grep -E '\] __x64_sys_' | awk '$1 + 0 >= 0.5' | head -20
		} | sed 's/[[:space:]]*$//' >"$PERF_TXT"
	fi
fi

if ! wanted loss; then
	SKIP_WHY=BENCH_ONLY skipped loss_up
	SKIP_WHY=BENCH_ONLY skipped loss_down
elif loss_on; then
	log "iperf3 upload, 1% loss";   one_round loss_up iperf_up
	log "iperf3 download, 1% loss"; one_round loss_down iperf_down
	loss_off
else
	note "loss: could not install the nftables rule"
	skipped loss_up
	skipped loss_down
fi
TG_STATS_JSON=$(curl -sf --max-time 5 "http://127.0.0.1:$STATS_PORT/stats" || true)

# held connections: tcpgate, then HAProxy. Each proxy is asked for
# min(BENCH_CONNS, what its fd limit allows), from several client processes.
hold_run() { # TARGET
	local t=$1 host port srcs="" h rss0 rss est=0 failed=0 n_backend deadline proxy_pid
	local want cap k nproc_c per lines line p ready
	read -r host port <<<"$(target_addr "$t" hold)"
	if ! need_time 150; then
		record hold_conns "$t" "fail skipped:time_budget"
		record hold_rss "$t" "fail skipped:time_budget"
		return
	fi
	cap=$TG_HOLD_CAP
	[ "$t" = haproxy ] && cap=$HAP_HOLD_CAP
	want=$((HOLD_N < cap ? HOLD_N : cap))
	# a fresh proxy: its RSS is not inflated by the earlier scenarios
	if [ "$t" = tcpgate ]; then tg_start; else start_haproxy; fi
	if ! alive "$t"; then
		record hold_conns "$t" "fail ${t}_did_not_start"
		record hold_rss "$t" "fail ${t}_did_not_start"
		return
	fi
	proxy_pid=$(cat "$WORK/pids/$t.pid")
	sleep 1
	rss0=$(awk '/^VmRSS:/ {print $2}' "/proc/$proxy_pid/status")
	local net=10.88.0
	[ "$t" = haproxy ] && net=10.89.0
	srcs="$net.2"
	for h in "${EXTRA_HOSTS[@]}"; do srcs+=",$net.$h"; done
	nproc_c=$(((want + CLIENT_CHUNK - 1) / CLIENT_CHUNK))
	per=$(((want + nproc_c - 1) / nproc_c))
	log "hold: $want connections through $t ($nproc_c client processes)"
	for ((k = 0; k < nproc_c; k++)); do
		n=$((want - k * per < per ? want - k * per : per))
		start_bg "hold-$t-$k" ip netns exec "$NS" "$WORK/hold" "$host" "$port" "$n" "$srcs" \
			$((1000 / nproc_c + 1)) 90
	done
	deadline=$((SECONDS + 110))
	while :; do
		ready=0
		for ((k = 0; k < nproc_c; k++)); do
			grep -q '^READY' "$WORK/logs/hold-$t-$k.log" 2>/dev/null && ready=$((ready + 1))
		done
		[ $ready -lt $nproc_c ] || break
		[ $SECONDS -lt $deadline ] || break
		sleep 0.5
	done
	lines=""
	for ((k = 0; k < nproc_c; k++)); do
		line=$(grep '^READY' "$WORK/logs/hold-$t-$k.log" 2>/dev/null)
		if [ -z "$line" ]; then
			line="READY established=0 failed=0 note=client_$k:$(tail -1 "$WORK/logs/hold-$t-$k.log" 2>/dev/null | tr ' ' '_')"
		fi
		est=$((est + $(sed -n 's/.*established=\([0-9]*\).*/\1/p' <<<"$line")))
		failed=$((failed + $(sed -n 's/.*failed=\([0-9]*\).*/\1/p' <<<"$line")))
		lines+=" [${line#READY }]"
	done
	sleep 3 # let the proxy finish its backend connects (HAProxy accepts after the handshake)
	n_backend=0
	for p in "${NGX_PORTS[@]}"; do
		n_backend=$((n_backend + $(ss -Htn state established "( sport = :$p )" | wc -l)))
	done
	if alive "$t"; then
		rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$proxy_pid/status")
		record hold_want "$t" "$want"
		record hold_conns "$t" "$est"
		record hold_backend "$t" "$n_backend"
		record hold_rss "$t" "$(awk -v r="$rss" 'BEGIN {printf "%.1f", r / 1024}')"
		record hold_rss_idle "$t" "$(awk -v r="$rss0" 'BEGIN {printf "%.1f", r / 1024}')"
		if [ "$n_backend" -gt 0 ]; then
			record hold_per_conn "$t" "$(awk -v a="$rss" -v b="$rss0" -v n="$n_backend" 'BEGIN {printf "%.3f", (a - b) / n}')"
			record hold_rss_100k "$t" "$(awk -v a="$rss" -v b="$rss0" -v n="$n_backend" 'BEGIN {printf "%.1f", (b + (a - b) / n * 100000) / 1024}')"
		fi
		note "hold/$t: asked for $want (fd limit $FD_LIMIT per process); clients:$lines; backend connections established: $n_backend; RSS ${rss0} KiB idle -> ${rss} KiB"
		[ "$t" = tcpgate ] && TG_HOLD_STATS=$(curl -sf --max-time 10 "http://127.0.0.1:$STATS_PORT/stats" || true)
	else
		record hold_conns "$t" "fail ${t}_died_at_${est}_client_connections"
		record hold_rss "$t" "fail ${t}_died"
		note "hold/$t: the proxy died; clients:$lines"
	fi
	for ((k = 0; k < nproc_c; k++)); do stop_bg "hold-$t-$k"; done
	sleep 2
}
TG_HOLD_STATS=""
if wanted hold; then
	hold_run tcpgate
	hold_run haproxy
else
	for t in tcpgate haproxy; do record hold_conns "$t" "fail skipped:BENCH_ONLY"; done
fi
# leave a fresh tcpgate for nothing: everything is torn down by the trap

# ---------------------------------------------------------------- report
log "writing $RESULTS"
KERNEL=$(uname -r)
CPU=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
COMMIT=${BENCH_COMMIT:-$(git -C "$ROOT_DIR" rev-parse --short HEAD 2>/dev/null || echo unknown)}
DIRTY=""
if [ -z "${BENCH_COMMIT:-}" ] &&
	git -C "$ROOT_DIR" status --porcelain --untracked-files=no 2>/dev/null | grep -q .; then
	DIRTY=" (+ uncommitted changes)"
fi
export FD_LIMIT WORK RUNS DUR HOLD_N QUICK KERNEL CPU NPROC COMMIT DIRTY TG_OFFLOAD_NOTE HAP_VERSION HAP_THREADS \
	TG_STATS_JSON TG_HOLD_STATS TG_STARTS
"$PY" "$BENCH_DIR/report.py" "$RESULTS" "$PERF_TXT"
log "total time $((SECONDS - T_START)) s"
