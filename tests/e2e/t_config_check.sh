#!/usr/bin/env bash
# t_config_check: `tcpgate -t -c good.cfg` exits 0; broken configs exit 1 and name
# the problem as FILE:LINE: message.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need_root
TG_DIR=$(mktemp -d /tmp/tcpgate-e2e.XXXXXX)
trap 'rm -rf "$TG_DIR"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
TG_ID=check TG_IF=tgcheck TG_NS=tgc-check TG_CTL_SOCK="$TG_DIR/control.sock"

GOOD="$TG_DIR/good.cfg"
TG_CFG=$GOOD
tg_config "$(tg_listener web 80 roundrobin 18080 18081)"
set +e
out=$("$TCPGATE" -t -c "$GOOD" 2>&1)
rc=$?
set -e
[ $rc -eq 0 ] || { cat "$GOOD" >&2; fail "good config: exit $rc: $out"; }
log "good config: exit 0${out:+ ($out)}"

# check_bad NAME LINE: $TG_DIR/NAME.cfg must be rejected with NAME.cfg:LINE: message
check_bad() {
	local f="$TG_DIR/$1.cfg" line=$2 out rc
	set +e
	out=$("$TCPGATE" -t -c "$f" 2>&1)
	rc=$?
	set -e
	log "$1: exit $rc: $out"
	[ $rc -eq 1 ] || fail "$1: exit $rc, expected 1"
	grep -Eq "^$f:$line: .+" <<<"$out" || fail "$1: no '$f:$line: message' line in: $out"
}

# 1. an unknown top-level key at line 2 of an otherwise good file
{ sed -n 1p "$GOOD"; echo 'bogus_key = 1;'; sed -n '2,$p' "$GOOD"; } >"$TG_DIR/unknown.cfg"
check_bad unknown 2

# 2. a bad backend address
sed 's/127.0.0.1:18081/127.0.0.1:99999/' "$GOOD" >"$TG_DIR/badaddr.cfg"
check_bad badaddr "$(grep -n '127.0.0.1:99999' "$TG_DIR/badaddr.cfg" | cut -d: -f1)"

# 3. a syntax error (no value)
sed -E 's/^  offload = (true|false);$/  offload = ;/' "$GOOD" >"$TG_DIR/syntax.cfg"
check_bad syntax "$(grep -n 'offload = ;' "$TG_DIR/syntax.cfg" | cut -d: -f1)"

# 4. a wrong type (port = true) at a known line
sed 's/^    port    = 80;$/    port    = true;/' "$GOOD" >"$TG_DIR/badtype.cfg"
check_bad badtype "$(grep -n 'port    = true' "$TG_DIR/badtype.cfg" | cut -d: -f1)"

# 5. every problem is reported, not just the first
sed -e 's/^    port    = 80;$/    port    = true;/' -e 's/127.0.0.1:18081/127.0.0.1:99999/' "$GOOD" >"$TG_DIR/two.cfg"
check_bad two "$(grep -n 'port    = true' "$TG_DIR/two.cfg" | cut -d: -f1)"
check_bad two "$(grep -n '127.0.0.1:99999' "$TG_DIR/two.cfg" | cut -d: -f1)"

# 6. a missing file
set +e
out=$("$TCPGATE" -t -c "$TG_DIR/missing.cfg" 2>&1)
rc=$?
set -e
log "missing file: exit $rc: $out"
[ $rc -eq 1 ] || fail "missing config file: exit $rc, expected 1"
grep -q "$TG_DIR/missing.cfg" <<<"$out" || fail "missing config file: message does not name it: $out"

# 7. the rest of the CLI (DESIGN §4)
out=$("$TCPGATE" --version 2>&1) || fail "--version: exit $?"
grep -Eq '^tcpgate [0-9]+\.[0-9]+' <<<"$out" || fail "--version printed: $out"
out=$("$TCPGATE" --help 2>&1) || fail "--help: exit $?"
{ grep -q -- '-c' <<<"$out" && grep -q -- '--pcap' <<<"$out"; } || fail "--help does not describe -c and --pcap: $out"
set +e
"$TCPGATE" --no-such-option >/dev/null 2>&1
rc=$?
set -e
[ $rc -ne 0 ] || fail "an unknown option exited 0"
log "CLI: --version '$("$TCPGATE" --version 2>&1)', --help ok, unknown option exit $rc"
pass
