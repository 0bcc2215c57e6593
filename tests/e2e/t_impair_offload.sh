#!/usr/bin/env bash
# t_impair_offload: bulk transfer each way with offload = true (GSO frames both
# ways) under 2% nftables loss toward the client (a dropped GSO frame loses ~45
# segments at once) and the fault injector on both directions: 1% drop, 5%
# reorder (5 ms), 2% duplicate, 1% corrupt, 1% truncate, all applied to whole
# GSO frames; SHA-256 equal, no hang, and GSO really used both ways (size:
# impair.sh).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/impair.sh"
tg_init
TG_OFFLOAD=true
impair_setup
grep -q 'offload = true;' "$TG_CFG" || fail "test bug: offload not set"
IMPAIR_LOSS=2
impair_fault 'seed = 13; drop = 1.0; reorder = 5.0; reorder_delay_ms = 5; duplicate = 2.0; corrupt = 1.0; truncate = 1.0; direction = "both";'
impair_check_stats() {
	local rx tx
	rx=$(json_get interface.rx_gso_frames <<<"$1")
	tx=$(json_get interface.tx_gso_frames <<<"$1")
	[ "$rx" -gt 0 ] || fail "no GSO frame received"
	[ "$tx" -gt 0 ] || fail "no GSO frame sent"
	# (truncated frames may be counted in drop_offload_bad: their hdr_len or
	# checksum offsets now lie beyond the end, as they should)
}
tg_start
impair_bulk "offload on, 2% loss, fault injector on GSO frames"
