#!/usr/bin/env bash
# t_lb_limits: connection limits (issue 4), each of which would be exceeded
# without its check:
#  - defaults.max_connections = 6 (the global pool): with 6 held, a 7th is RST;
#  - listener max_connections = 2: a 3rd held connection is RST;
#  - backend max_connections: a (1), b (2) under roundrobin: the 3rd held goes
#    to b (a is full, skipped; plain roundrobin would pick a), the 4th is RST;
# and connections_refused counts every refusal.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
tg_init

read -r PA PB < <(free_ports 2 | xargs)
start_bg hold "$PY" -u "$TOOLS/lbback.py" --hold a="$PA" b="$PB"
wait_for 10 grep -q READY "$TG_DIR/hold.log" || fail "backends did not start"
TG_DEFAULTS="connect_timeout_ms = 1000; drain_timeout_s = 1; max_connections = 6;"
tg_config "  { name = \"lim\"; address = \"$TG_VIP\"; port = 80; max_connections = 2;
    backends = ( { address = \"127.0.0.1:$PA\"; } ); }" \
	"  { name = \"full\"; address = \"$TG_VIP\"; port = 81;
    backends = ( { address = \"127.0.0.1:$PA\"; max_connections = 1; },
                 { address = \"127.0.0.1:$PB\"; max_connections = 2; } ); }" \
	"$(tg_listener any 82 roundrobin "$PA" "$PB")"
tg_start
tg_wait_stats

# hold.py: open connections one at a time per PORT argument (held until the
# end), print the backend name or "RST" for each, as one line.
cat >"$TG_DIR/hold.py" <<'PYEOF'
import socket, sys
held, out = [], []
for port in sys.argv[2:]:
    try:
        s = socket.create_connection((sys.argv[1], int(port)), timeout=3)
        line = s.makefile().readline().strip()
        held.append(s)
        out.append(line or "EOF")
    except ConnectionRefusedError:
        out.append("RST")
    except OSError as e:
        out.append(type(e).__name__)
print(" ".join(out), flush=True)
PYEOF
r=$(nsexec "$PY" "$TG_DIR/hold.py" "$TG_VIP" 80 80 80)
log "listener limit 2, 3 connections: $r"
[ "$r" = "a a RST" ] || fail "listener max_connections = 2: expected 'a a RST', got '$r'"

r=$(nsexec "$PY" "$TG_DIR/hold.py" "$TG_VIP" 81 81 81 81)
log "backend limits a=1 b=2, 4 connections: $r"
[ "$r" = "a b b RST" ] || fail "backend max_connections: expected 'a b b RST', got '$r'"

r=$(nsexec "$PY" "$TG_DIR/hold.py" "$TG_VIP" 82 82 82 82 82 82 82)
log "global limit 6, 7 connections: $r"
[ "$(wc -w <<<"${r//RST/}")" -eq 6 ] && [ "${r##* }" = RST ] ||
	fail "defaults.max_connections = 6: expected 6 served then RST, got '$r'"

st=$(stats_json)
for i in 0 1 2; do
	ref=$(json_get "listeners.$i.connections_refused" <<<"$st")
	[ "$ref" -ge 1 ] || fail "listener $i: connections_refused = $ref"
done
pass
