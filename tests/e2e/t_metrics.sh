#!/usr/bin/env bash
# t_metrics: /metrics of the live binary after traffic passes `promtool check
# metrics` (format and lint: HELP/TYPE per family, _total counters, units)
# with no complaint, before and after a reload; its samples agree with /stats
# (listener connections and bytes, a backend's connect failures); every
# counter sample is monotonic across the reload and more traffic; the
# Content-Type is the Prometheus text format 0.0.4.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
command -v promtool >/dev/null || fail "promtool not installed (apt-get install prometheus; scripts/deps.sh)"
tg_init

read -r P1 PDEAD P2 < <(free_ports 3 | xargs)
start_backend_http "web-$TG_ID" "$P1"
start_backend hold "$P2" --send 3000 --conns 2
# web: one live backend, one dead one (refused connects are retried and counted)
cfg() {
	tg_config "$(tg_listener web 80 roundrobin "$P1" "$PDEAD")" "$(tg_listener hold 81 roundrobin "$P2")" "$@"
}
cfg
tg_start
tg_wait_stats

for _ in 1 2 3 4; do
	nsexec curl -sf --max-time 10 -o /dev/null "http://$TG_VIP/" || fail "curl through web failed"
done
start_bg c1 ip netns exec "$TG_NS" "$PY" "$TOOLS/client.py" "$TG_VIP" 81 --send 7000 --timeout 20
wait_bg c1 20 || fail "client through hold failed: $(cat "$TG_DIR/c1.log")"

ctype=$(curl -s -o "$TG_DIR/m1.txt" -w '%{content_type}' "http://127.0.0.1:$TG_STATS_PORT/metrics")
[[ $ctype == "text/plain; version=0.0.4"* ]] || fail "/metrics Content-Type '$ctype'"
stats_json >"$TG_DIR/s1.json"

# promtool_ok FILE: promtool check metrics says nothing and exits 0
promtool_ok() {
	local out rc=0
	out=$(promtool check metrics <"$1" 2>&1) || rc=$?
	[ $rc = 0 ] && [ -z "$out" ] || fail "promtool check metrics ($1, exit $rc): $out"
}
promtool_ok "$TG_DIR/m1.txt"
log "promtool: $(grep -c '^tcpgate_' "$TG_DIR/m1.txt") samples, $(grep -c '^# TYPE' "$TG_DIR/m1.txt") families, no problem"

# agree SCRAPE STATS: the per-listener and per-backend samples equal /stats
agree() {
	"$PY" - "$1" "$2" <<'PYEOF' || fail "/metrics and /stats disagree"
import json, re, sys
samples = {}
for line in open(sys.argv[1]):
    m = re.match(r'^(tcpgate_\w+)(\{[^}]*\})? (\S+)$', line)
    if m:
        samples[(m.group(1), m.group(2) or "")] = float(m.group(3))
st = json.load(open(sys.argv[2]))
errs = []
for l in st["listeners"]:
    lab = '{listener="%s"}' % l["name"]
    for metric, key in (("tcpgate_listener_connections_total", "connections_total"),
                        ("tcpgate_listener_connections_refused_total", "connections_refused"),
                        ("tcpgate_listener_in_bytes_total", "bytes_in"),
                        ("tcpgate_listener_out_bytes_total", "bytes_out")):
        if samples.get((metric, lab)) != l[key]:
            errs.append("%s%s = %s, /stats %s = %s" % (metric, lab, samples.get((metric, lab)), key, l[key]))
    for b in l["backends"]:
        blab = '{listener="%s",backend="%s"}' % (l["name"], b["address"])
        for metric, key in (("tcpgate_backend_connect_failures_total", "connect_failures"),
                            ("tcpgate_backend_connections_total", "connections_total")):
            if samples.get((metric, blab)) != b[key]:
                errs.append("%s%s = %s, /stats %s = %s" % (metric, blab, samples.get((metric, blab)), key, b[key]))
hold = [l for l in st["listeners"] if l["name"] == "hold"][0]
if hold["bytes_in"] != 7000 or hold["bytes_out"] != 3000:
    errs.append("hold bytes %s/%s, expected 7000/3000" % (hold["bytes_in"], hold["bytes_out"]))
web = [l for l in st["listeners"] if l["name"] == "web"][0]
if sum(b["connect_failures"] for b in web["backends"]) < 1:
    errs.append("no connect failure counted on the dead backend")
if errs:
    sys.exit("; ".join(errs))
PYEOF
}
agree "$TG_DIR/m1.txt" "$TG_DIR/s1.json"

# reload (a listener added), more traffic, scrape again
cfg "$(tg_listener extra 82 roundrobin "$P1")"
out=$("$BUILD/tcpgatectl" -s "$TG_CTL_SOCK" reload) || fail "reload failed: $out"
for _ in 1 2 3; do
	nsexec curl -sf --max-time 10 -o /dev/null "http://$TG_VIP/" || fail "curl after reload failed"
	nsexec curl -sf --max-time 10 -o /dev/null "http://$TG_VIP:82/" || fail "curl to the new listener failed"
done
stats_json metrics >"$TG_DIR/m2.txt"
stats_json >"$TG_DIR/s2.json"
promtool_ok "$TG_DIR/m2.txt"
agree "$TG_DIR/m2.txt" "$TG_DIR/s2.json"
"$PY" - "$TG_DIR/m1.txt" "$TG_DIR/m2.txt" <<'PYEOF' || fail "a counter went backwards across the reload"
import re, sys
def load(p):
    types, s = {}, {}
    for line in open(p):
        m = re.match(r'^# TYPE (\S+) (\S+)$', line)
        if m:
            types[m.group(1)] = m.group(2)
        m = re.match(r'^(tcpgate_\w+)(\{[^}]*\})? (\S+)$', line)
        if m:
            s[m.group(1) + (m.group(2) or "")] = (m.group(1), float(m.group(3)))
    return types, s
t1, a = load(sys.argv[1])
t2, b = load(sys.argv[2])
n, errs = 0, []
for k, (name, v) in a.items():
    if t1.get(name) != "counter" or k not in b:
        continue
    n += 1
    if b[k][1] < v:
        errs.append("%s: %s -> %s" % (k, v, b[k][1]))
if 'tcpgate_listener_connections_total{listener="extra"}' not in b:
    errs.append("the new listener has no series")
if b['tcpgate_listener_connections_total{listener="web"}'][1] != a['tcpgate_listener_connections_total{listener="web"}'][1] + 3:
    errs.append("web connections_total did not carry over and grow by 3")
if errs:
    sys.exit("; ".join(errs))
print("%d counter samples monotonic across the reload" % n, file=sys.stderr)
PYEOF
pass "promtool clean before and after a reload, agrees with /stats"
