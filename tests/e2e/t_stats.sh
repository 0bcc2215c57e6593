#!/usr/bin/env bash
# t_stats: the stats endpoint's contract (DESIGN §6): /stats fields and counters
# after traffic, /connections listing a live connection, /metrics in Prometheus
# text format with tcpgate_ names, / an HTML page.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
tg_init

read -r P1 P2 < <(free_ports 2 | xargs)
start_backend_http "web-$TG_ID" "$P1"
start_backend hold "$P2" --send 1000 --conns 2
tg_config "$(tg_listener web 80 roundrobin "$P1")" "$(tg_listener hold 81 roundrobin "$P2")"
tg_start
tg_wait_stats

for _ in 1 2 3; do
	nsexec curl -sS --max-time 10 -o /dev/null "http://$TG_VIP/" || fail "curl failed"
done

start_bg client1 ip netns exec "$TG_NS" "$PY" "$TOOLS/client.py" "$TG_VIP" 81 --send 5000 --timeout 20
wait_bg client1 20 || fail "client to the hold listener failed: $(cat "$TG_DIR/client1.log")"

stats=$(stats_json)
"$PY" - "$stats" <<'PYEOF' || fail "/stats does not match the contract: $stats"
import json, sys
d = json.loads(sys.argv[1])
errs = []
def need(obj, keys, where):
    for k in keys:
        if k not in obj:
            errs.append("%s.%s missing" % (where, k))
need(d, ["version", "uptime_s", "config", "interface", "tcp", "listeners"], "")
need(d.get("config", {}), ["generation", "reloads", "reload_failures", "last_error"], "config")
need(d.get("interface", {}), ["rx_frames", "tx_frames", "rx_bytes", "tx_bytes", "rx_dropped"], "interface")
need(d.get("tcp", {}), ["connections_active", "connections_total", "syn_received", "syncookies_sent",
     "resets_sent", "resets_received", "retransmits", "bad_checksum", "challenge_acks", "out_of_order"], "tcp")
ls = {l.get("name"): l for l in d.get("listeners", [])}
for name in ("web", "hold"):
    if name not in ls:
        errs.append("listener %s missing" % name)
        continue
    l = ls[name]
    need(l, ["name", "address", "ports", "state", "connections_active", "connections_total",
             "connections_refused", "bytes_in", "bytes_out", "backends"], "listeners[%s]" % name)
    for b in l.get("backends", []):
        need(b, ["address", "state", "weight", "connections_active", "connections_total",
                 "connect_failures", "bytes_in", "bytes_out"], "listeners[%s].backends[]" % name)
if "web" in ls:
    w = ls["web"]
    if w.get("connections_total") != 3:
        errs.append("web.connections_total = %s, expected 3" % w.get("connections_total"))
    if not w.get("bytes_in") or not w.get("bytes_out"):
        errs.append("web bytes_in/bytes_out not counted: %s/%s" % (w.get("bytes_in"), w.get("bytes_out")))
if "hold" in ls:
    h = ls["hold"]
    if h.get("bytes_in") != 5000 or h.get("bytes_out") != 1000:
        errs.append("hold bytes_in/out = %s/%s, expected 5000/1000" % (h.get("bytes_in"), h.get("bytes_out")))
t = d.get("tcp", {})
if t.get("connections_total", 0) < 4:
    errs.append("tcp.connections_total = %s, expected >= 4" % t.get("connections_total"))
if d.get("interface", {}).get("rx_frames", 0) <= 0:
    errs.append("interface.rx_frames not counted")
if errs:
    sys.exit("; ".join(errs))
PYEOF

problems=()
# a connection held open for a few seconds
start_bg client ip netns exec "$TG_NS" "$PY" "$TOOLS/client.py" "$TG_VIP" 81 --send 5000 --hold 3 --timeout 20
conn_listed() {
	stats_json connections | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
ok = [c for c in d["connections"] if c.get("listener") == "hold" and c.get("bytes_in") == 5000]
sys.exit(0 if ok else 1)'
}
if wait_for 2 conn_listed; then
	conns=$(stats_json connections)
	log "/connections: $conns"
	"$PY" - "$conns" <<'PYEOF' || problems+=("/connections entry does not match the contract")
import json, sys
c = [c for c in json.loads(sys.argv[1])["connections"] if c["listener"] == "hold"][0]
need = ["id", "listener", "client", "vip", "backend", "state", "age_ms", "bytes_in",
        "bytes_out", "rtt_us", "rto_ms", "cwnd", "ssthresh", "snd_wnd", "rcv_wnd",
        "retransmits", "mss", "sack", "wscale"]
missing = [k for k in need if k not in c]
if missing:
    sys.exit("missing: %s" % missing)
if not str(c["client"]).startswith("10.88.0.2") or not str(c["vip"]).startswith("10.88.0.100"):
    sys.exit("client/vip wrong: %s %s" % (c["client"], c["vip"]))
PYEOF
else
	problems+=("live connection not listed by GET /connections: $(stats_json connections 2>&1 | head -c 300 || true)")
fi
wait_bg client 20 || fail "held client failed: $(cat "$TG_DIR/client.log")"


prom='^(#.*|tcpgate_[a-zA-Z0-9_]+(\{[^}]*\})? [-+0-9.eEInfa]+( [0-9]+)?|)$'
if ! metrics=$(stats_json metrics); then
	problems+=("GET /metrics failed")
elif ! grep -Eq '^tcpgate_[a-z_]+(\{[^}]*\})? [0-9.e+-]+$' <<<"$metrics"; then
	problems+=("/metrics has no tcpgate_* samples: ${metrics:0:300}")
elif grep -Ev "$prom" <<<"$metrics" | grep -q .; then
	problems+=("/metrics lines not in Prometheus text format: $(grep -Ev "$prom" <<<"$metrics" | head -3)")
else
	log "/metrics: $(grep -c '^tcpgate_' <<<"$metrics") samples"
fi
if ! page=$(stats_json ""); then
	problems+=("GET / failed")
elif ! grep -qi '<html' <<<"$page"; then
	problems+=("GET / is not an HTML page: ${page:0:200}")
fi
if [ ${#problems[@]} -gt 0 ]; then
	for p in "${problems[@]}"; do log "problem: $p"; done
	fail "${#problems[@]} stats endpoint problem(s)"
fi
pass
