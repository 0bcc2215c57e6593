#!/usr/bin/env bash
# t_curl: curl from the client namespace through tcpgate to an HTTP backend
# returns the backend's content.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
tg_init

read -r BPORT < <(free_ports 1)
start_backend_http "backend-$TG_ID" "$BPORT"
tg_config "$(tg_listener web 80 roundrobin "$BPORT")"
tg_start

out=$(nsexec curl -sS --max-time 10 "http://$TG_VIP/") || fail "curl failed (exit $?)"
log "curl got: $out"
[ "$out" = "backend-$TG_ID" ] || fail "expected 'backend-$TG_ID', got '$out'"

# a second request on a fresh connection, with headers, checks status and length
hdr=$(nsexec curl -sS --max-time 10 -o /dev/null -w '%{http_code} %{size_download}' "http://$TG_VIP/index.html") ||
	fail "second curl failed"
[ "$hdr" = "200 $((${#TG_ID} + 9))" ] || fail "second request: expected '200 $((${#TG_ID} + 9))', got '$hdr'"
tg_alive || fail "tcpgate died"
pass
