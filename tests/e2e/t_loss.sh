#!/usr/bin/env bash
# t_loss: 16 MiB each way while nftables in the client namespace drops 2 % of the
# packets on the TAP (DESIGN §7): data intact both ways, and tcpgate retransmitted.
# The ingress drop (tcpgate → client) is real loss for tcpgate's sender. The egress
# drop (client → tcpgate) is reported back to the client's TCP by the kernel, which
# resends at once, so it mostly tests the client; real loss in that direction needs
# the stack's fault injector.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
tg_init

SIZE=$((16 * 1024 * 1024))
LOSS=${E2E_LOSS_PCT:-2}
read -r BPORT < <(free_ports 1)
start_backend loss "$BPORT" --send "$SIZE"
tg_config "$(tg_listener loss 5002 roundrobin "$BPORT")"
tg_start
tg_wait_stats

nsexec nft -f - <<EOF2
table netdev tgloss {
  chain in {
    type filter hook ingress device "$TG_IF" priority 0; policy accept;
    ip saddr $TG_VIP tcp sport 5002 numgen random mod 100 < $LOSS counter drop
  }
  chain out {
    type filter hook egress device "$TG_IF" priority 0; policy accept;
    ip daddr $TG_VIP tcp dport 5002 numgen random mod 100 < $LOSS counter drop
  }
}
EOF2

set +e
cres=$(nsexec timeout 150 "$PY" "$TOOLS/client.py" "$TG_VIP" 5002 --send "$SIZE" --timeout 30)
crc=$?
set -e
log "client: $cres"
log "nft drops: $(nsexec nft list table netdev tgloss | grep -o 'packets [0-9]*' | xargs)"
[ $crc -eq 0 ] || fail "client failed (exit $crc): $cres"
wait_bg loss 30 || fail "backend did not finish: $(cat "$TG_DIR/loss.log")"
bres=$(backend_report loss)
log "backend: $bres"
[ "$(json_get recv_bytes <<<"$bres")" = "$SIZE" ] || fail "backend got $(json_get recv_bytes <<<"$bres") bytes, expected $SIZE"
[ "$(json_get recv_bytes <<<"$cres")" = "$SIZE" ] || fail "client got $(json_get recv_bytes <<<"$cres") bytes, expected $SIZE"
[ "$(json_get sent_sha256 <<<"$cres")" = "$(json_get recv_sha256 <<<"$bres")" ] || fail "client→backend SHA-256 mismatch"
[ "$(json_get sent_sha256 <<<"$bres")" = "$(json_get recv_sha256 <<<"$cres")" ] || fail "backend→client SHA-256 mismatch"
retr=$(stat_value tcp.retransmits)
ooo=$(stat_value tcp.out_of_order)
log "tcpgate: retransmits $retr, out_of_order $ooo"
[ "$retr" -gt 0 ] || fail "tcpgate counted no retransmits although segments were dropped"
pass "16 MiB each way with $LOSS % loss in $(json_get seconds <<<"$cres") s"
