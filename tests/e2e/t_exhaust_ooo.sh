#!/usr/bin/env bash
# t_exhaust_ooo: the out-of-order memory caps (tcp_internal.h: 1024 chunks
# per connection, 8192 for the stack), on real connections opened with
# crafted segments (tools/ooo_fill.py), each sending segments beyond a hole:
#  1. one connection, 2000 one-byte segments two bytes apart: its own queue
#     fills (the pool has room), the rest are dropped and counted
#     (tcp.drop_tcp_ooo_full);
#  2. 150 connections x 100 segments of 500 bytes (15 000 chunks wanted, no
#     connection near its own cap): the stack-wide pool runs out, the rest are
#     dropped and counted.
# Then every connection gets its whole stream in order and FIN: all complete,
# the backend receives each stream intact (SHA-256), nothing is left open,
# tcpgate's VmRSS stays bounded (the pool is allocated at start) and a kernel
# client is served afterwards.
# e2e-timeout: 240
set -euo pipefail
. "$(dirname "$0")/lib.sh"
tg_init

K=150
SPORT=20001
RSS_LIMIT_KB=$((24 * 1024))	# the pool (8192 x 1460 B = 11.4 MiB) is touched as it fills
read -r BPORT CPORT < <(free_ports 2 | xargs)
start_backend sink "$BPORT" --send 0 --conns $((K + 1))
start_backend after "$CPORT" --send 1000
tg_config "$(tg_listener ooo 7005 roundrobin "$BPORT")" "$(tg_listener after 7006 roundrobin "$CPORT")"
tg_start
tg_wait_stats
base=$(rss_kb "$TG_PID")

# the client kernel must not reset tcpgate's segments to the crafted connections
nsexec nft -f - <<EOF
table inet tgooo {
  chain in {
    type filter hook input priority 0; policy accept;
    ip saddr $TG_VIP tcp sport 7005 tcp dport $SPORT-$((SPORT + K)) counter drop
  }
}
EOF

# ooo_fill NAME ARGS...: run the tool, check every connection completed;
# $OOO_DROPS = drop_tcp_ooo_full added by this run
OOO_RESULTS=()
ooo_fill() {
	local name=$1 rc before line
	shift
	before=$(stat_value tcp.drop_tcp_ooo_full)
	set +e
	res=$(nsexec timeout 150 "$PY" "$TOOLS/ooo_fill.py" "$TG_CLIENT_IP" "$TG_VIP" 7005 "$TG_IF" \
		--timeout 120 "$@")
	rc=$?
	set -e
	tg_alive || fail "$name: tcpgate died"
	OOO_DROPS=$(($(stat_value tcp.drop_tcp_ooo_full) - before))
	line=$(grep '^{' <<<"$res" || true)
	log "$name: exit $rc, drop_tcp_ooo_full +$OOO_DROPS, out_of_order $(stat_value tcp.out_of_order): $(cut -c1-110 <<<"$line")"
	[ -n "$line" ] || fail "$name: no result from ooo_fill.py"
	[ $rc -eq 0 ] && [ "$(json_get completed <<<"$line")" = "$(json_get conns <<<"$line")" ] ||
		fail "$name: only $(json_get completed <<<"$line") of $(json_get conns <<<"$line") connections completed after the cap"
	OOO_RESULTS+=("$line")
}

ooo_fill "per-connection cap" --conns 1 --segs 2000 --seg-bytes 1 --step 2 --sport-base $SPORT
[ "$OOO_DROPS" -gt 0 ] || fail "one connection queued 2000 out-of-order segments: no per-connection cap"
ooo_fill "pool cap" --conns $K --segs 100 --sport-base $((SPORT + 1))
[ "$OOO_DROPS" -gt 0 ] || fail "$K x 100 out-of-order segments queued: no stack-wide cap"
peak=$(rss_kb "$TG_PID")
log "VmRSS base $base KiB, after $peak KiB"
wait_bg sink 60 || fail "backend did not see $K connections end"
"$PY" - "$TG_DIR/sink.log" "${OOO_RESULTS[@]}" <<'PYEOF' || fail "backend streams differ from what was sent"
import collections, json, sys
want = collections.Counter(h for r in sys.argv[2:] for h in json.loads(r)["sha256"])
# backend.py prints one report per connection from its own thread: two may
# share a line, so decode objects one after another, not line by line
text, dec, pos, got = open(sys.argv[1]).read(), json.JSONDecoder(), 0, collections.Counter()
while (pos := text.find("{", pos)) >= 0:
    obj, pos = dec.raw_decode(text, pos)
    got[obj["recv_sha256"]] += 1
if want != got:
    print("sent %d streams, backend got %d, %d match" % (sum(want.values()), sum(got.values()),
          sum((want & got).values())), file=sys.stderr)
    sys.exit(1)
PYEOF
active_zero() { [ "$(stat_value tcp.connections_active)" = 0 ]; }
wait_for 20 active_zero || fail "connections_active = $(stat_value tcp.connections_active) afterwards"
[ $((peak - base)) -lt $RSS_LIMIT_KB ] || fail "VmRSS grew by $((peak - base)) KiB"
cres=$(nsexec timeout 30 "$PY" "$TOOLS/client.py" "$TG_VIP" 7006 --send 1000 --timeout 20) ||
	fail "a kernel client was not served after the cap: $cres"
pass "$((K + 1)) connections intact after out-of-order drops at both caps: $(stat_value tcp.drop_tcp_ooo_full)"
