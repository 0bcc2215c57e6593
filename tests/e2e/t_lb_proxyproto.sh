#!/usr/bin/env bash
# t_lb_proxyproto: proxy_protocol = "v1" / "v2" (issue 4). The header is the
# first thing on the backend socket and carries the client's address and port
# and the VIP's: checked by a test backend that parses it (lbback.py --proxy)
# and by HAProxy with accept-proxy, which reports %[src]:%[src_port]
# %[dst]:%[dst_port] as it decoded them. Without the header both fail
# (lbback reports a bad signature, HAProxy drops the connection).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
tg_init

read -r P1 P2 H < <(free_ports 3 | xargs)
start_bg lbpp "$PY" -u "$TOOLS/lbback.py" --proxy --hold pp1="$P1" pp2="$P2"
wait_for 10 grep -q READY "$TG_DIR/lbpp.log" || fail "lbback --proxy did not start"
cat >"$TG_DIR/haproxy.cfg" <<CFG
defaults
  mode http
  timeout connect 2s
  timeout client 5s
  timeout server 5s
frontend fe
  bind 127.0.0.1:$H accept-proxy
  http-request return status 200 content-type text/plain lf-string "%[src]:%[src_port] %[dst]:%[dst_port]\n"
CFG
start_bg haproxy haproxy -db -f "$TG_DIR/haproxy.cfg"
wait_for 10 port_listening "$H" || fail "haproxy did not listen: $(cat "$TG_DIR/haproxy.log")"

pp_listener() { # NAME PORT VERSION BACKEND_PORT
	cat <<CFG
  { name = "$1"; address = "$TG_VIP"; port = $2; proxy_protocol = "$3";
    backends = ( { address = "127.0.0.1:$4"; } ); }
CFG
}
tg_config "$(pp_listener v1 80 v1 "$P1")" "$(pp_listener v2 81 v2 "$P2")" \
	"$(pp_listener hv1 82 v1 "$H")" "$(pp_listener hv2 83 v2 "$H")"
tg_start
tg_wait_stats

# parsed PORT SPORT: the test backend's report for a connection from SPORT
parsed() {
	nsexec "$PY" -c '
import socket, sys
s = socket.socket()
s.bind(("'"$TG_CLIENT_IP"'", int(sys.argv[2])))
s.settimeout(5)
s.connect(("'"$TG_VIP"'", int(sys.argv[1])))
print(s.makefile().readline().strip())' "$1" "$2"
}
for v in 1 2; do
	port=$((79 + v))
	sport=$((41000 + v))
	r=$(parsed "$port" "$sport") || fail "v$v: no answer"
	log "v$v at the test backend: $r"
	[ "$(json_get version <<<"$r")" = "$v" ] || fail "v$v: version: $r"
	[ "$(json_get src <<<"$r")" = "$TG_CLIENT_IP:$sport" ] || fail "v$v: src: $r"
	[ "$(json_get dst <<<"$r")" = "$TG_VIP:$port" ] || fail "v$v: dst: $r"
done
r=$(parsed 80 41010)
[ "$(json_get raw <<<"$r")" = "PROXY TCP4 $TG_CLIENT_IP $TG_VIP 41010 80"$'\r' ] ||
	fail "v1: header bytes: $r"

for v in 1 2; do
	port=$((81 + v))
	sport=$((42000 + v))
	out=$(nsexec curl -sS --max-time 5 --local-port "$sport" "http://$TG_VIP:$port/") ||
		fail "v$v: curl through HAProxy failed"
	log "v$v at HAProxy (accept-proxy): $out"
	[ "$out" = "$TG_CLIENT_IP:$sport $TG_VIP:$port" ] ||
		fail "v$v: HAProxy decoded '$out', expected '$TG_CLIENT_IP:$sport $TG_VIP:$port'"
done
pass
