#!/usr/bin/env bash
# t_status_page: the status page at / renders in headless Chromium. Three
# listeners; "web" has a live backend, a dead one (health checks mark it down)
# and one with weight 0. Once /stats says the dead one is down, Chromium dumps
# the DOM: every listener name and every backend address is in it, and each
# backend's state cell says what /stats says (up / down / drain, not a state
# derived from the weight). Chromium also takes a 1280x900 screenshot, which
# must be a non-empty PNG of that size; with E2E_ARTIFACTS=DIR set it is kept
# as DIR/t_status_page/status.png. tcpgatectl status shows the same states.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROMIUM" ] || fail "chromium not installed (apt-get install chromium; scripts/deps.sh)"
tg_init

read -r PUP PDOWN PDRAIN PB < <(free_ports 4 | xargs)
start_backend_http "up-$TG_ID" "$PUP"
start_backend_http "drain-$TG_ID" "$PDRAIN"
start_backend_http "b-$TG_ID" "$PB"
tg_config "$(cat <<CFG
  {
    name = "web"; address = "$TG_VIP"; port = 80;
    backends = ( { address = "127.0.0.1:$PUP"; }, { address = "127.0.0.1:$PDOWN"; },
                 { address = "127.0.0.1:$PDRAIN"; weight = 0; } );
    health = { interval_ms = 100; timeout_ms = 100; rise = 2; fall = 2; };
  }
CFG
)" "$(tg_listener api.v2 8080 leastconn "$PB")" "$(tg_listener "db_$TG_ID" 5432 source "$PB")"
tg_start
tg_wait_stats
nsexec curl -sf --max-time 10 -o /dev/null "http://$TG_VIP/" || fail "no answer through web"

want_states() {
	stats_json | "$PY" -c '
import json, sys
b = json.load(sys.stdin)["listeners"][0]["backends"]
sys.exit(0 if [x["state"] for x in b] == ["up", "down", "drain"] else 1)'
}
wait_for 10 want_states || fail "/stats never showed up/down/drain: $(stats_json | json_get listeners.0.backends)"
stats_json >"$TG_DIR/stats.json"
URL="http://127.0.0.1:$TG_STATS_PORT/"

# chromium_run NAME ARGS...: headless Chromium on loopback only, killed on timeout
chromium_run() {
	local name=$1
	shift
	start_bg "$name" "$CHROMIUM" --headless --no-sandbox --disable-gpu \
		--disable-background-networking --disable-component-update --disable-sync \
		--no-first-run --disable-extensions --user-data-dir="$TG_DIR/chrome" "$@"
	wait_bg "$name" 90 || fail "chromium ($name) failed: $(tail -5 "$TG_DIR/$name.log")"
}
chromium_run dom --dump-dom "$URL"
grep -qi '</html>' "$TG_DIR/dom.log" || fail "no DOM dumped: $(head -c 300 "$TG_DIR/dom.log")"

"$PY" - "$TG_DIR/dom.log" "$TG_DIR/stats.json" <<'PYEOF' || fail "status page DOM does not show what /stats shows"
import html.parser, json, sys

class Rows(html.parser.HTMLParser):
    """Collect the text of every cell, row by row, with each cell's class."""
    def __init__(self):
        super().__init__()
        self.rows, self.cell, self.h1 = [], None, ""
        self.in_h1 = False
    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th") and self.rows:
            self.cell = [dict(attrs).get("class", ""), ""]
            self.rows[-1].append(self.cell)
        elif tag == "h1":
            self.in_h1 = True
    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.cell = None
        elif tag == "h1":
            self.in_h1 = False
    def handle_data(self, data):
        if self.cell is not None:
            self.cell[1] += data
        if self.in_h1:
            self.h1 += data

p = Rows()
p.feed(open(sys.argv[1], encoding="utf-8", errors="replace").read())
st = json.load(open(sys.argv[2]))
errs = []
if "tcpgate" not in p.h1:
    errs.append("no tcpgate heading")
listeners = {c[1].strip() for r in p.rows for c in r if "listener" in c[0].split()}
backends = {}
for r in p.rows:
    addr = [c[1].strip() for c in r if "backend" in c[0].split()]
    state = [c for c in r if "state" in c[0].split()]
    if addr and state:
        backends[addr[0]] = (state[0][1].strip(), state[0][0])
for l in st["listeners"]:
    if l["name"] not in listeners:
        errs.append("listener %s not in the DOM (found %s)" % (l["name"], sorted(listeners)))
    for b in l["backends"]:
        got = backends.get(b["address"])
        if not got:
            errs.append("backend %s of %s not in the DOM" % (b["address"], l["name"]))
        elif got[0] != b["state"] or b["state"] not in got[1].split():
            errs.append("backend %s: page says %r (class %r), /stats says %r"
                        % (b["address"], got[0], got[1], b["state"]))
if errs:
    sys.exit("; ".join(errs))
print("DOM: %d listeners, %d backends, states %s" % (len(listeners), len(backends),
      sorted(set(s for s, _ in backends.values()))), file=sys.stderr)
PYEOF

chromium_run shot --screenshot="$TG_DIR/status.png" --window-size=1280,900 "$URL"
"$PY" - "$TG_DIR/status.png" <<'PYEOF' || fail "screenshot is not a 1280x900 PNG"
import struct, sys
d = open(sys.argv[1], "rb").read()
if len(d) < 1000 or d[:8] != b"\x89PNG\r\n\x1a\n" or d[12:16] != b"IHDR":
    sys.exit("not a PNG (%d bytes)" % len(d))
w, h = struct.unpack(">II", d[16:24])
if (w, h) != (1280, 900):
    sys.exit("PNG is %dx%d" % (w, h))
print("screenshot: %d bytes, %dx%d" % (len(d), w, h), file=sys.stderr)
PYEOF
if [ -n "${E2E_ARTIFACTS:-}" ]; then
	mkdir -p "$E2E_ARTIFACTS/t_status_page"
	cp "$TG_DIR/status.png" "$E2E_ARTIFACTS/t_status_page/status.png"
	log "screenshot kept as $E2E_ARTIFACTS/t_status_page/status.png"
fi

ctl=$("$BUILD/tcpgatectl" -s "$TG_CTL_SOCK" status) || fail "tcpgatectl status failed"
for pair in "$PUP:up" "$PDOWN:down" "$PDRAIN:drain"; do
	grep -Eq "127\.0\.0\.1:${pair%%:*} +weight [0-9]+ +${pair#*:} " <<<"$ctl" ||
		fail "tcpgatectl status does not show backend ${pair%%:*} as ${pair#*:}: $ctl"
done
pass "DOM and screenshot from headless Chromium; states as /stats"
