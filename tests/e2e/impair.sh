# shellcheck shell=bash
# impair.sh - bulk transfers under impairment for the t_impair_*.sh tests
# (sourced after lib.sh; not a test itself).
#
# Size: E2E_IMPAIR_MIB MiB each way (default 16; 200 with E2E_LONG=1, the size
# the issue asks for; tests/e2e/long/run.sh sets it). Loss comes from nftables
# in the client namespace (DESIGN.md §7: no netem here); reordering,
# duplication and corruption from tcpgate's own link fault injector
# (interface.fault). Every transfer must finish within its timeout, and the
# SHA-256 of what each end sent must equal what the other end received.
# They run with offload = false unless TG_OFFLOAD says otherwise, so loss and
# faults hit single wire segments; TG_OFFLOAD=true runs any of them with
# offload on (GSO frames are then impaired whole; t_impair_offload.sh does
# that in make test).
TG_OFFLOAD=${TG_OFFLOAD:-false}

if [ -n "${E2E_LONG:-}" ]; then
	IMPAIR_MIB=${E2E_IMPAIR_MIB:-200}
else
	IMPAIR_MIB=${E2E_IMPAIR_MIB:-16}
fi
IMPAIR_SIZE=$((IMPAIR_MIB * 1024 * 1024))
# seconds for the whole transfer: generous, but a hang must fail
IMPAIR_TIMEOUT=${E2E_IMPAIR_TIMEOUT:-$((30 + IMPAIR_MIB * 6))}

# impair_loss PERCENT: drop PERCENT % of packets each way (call before tg_start).
# tcpgate → client: nftables on the input hook of the client namespace, applied
# by impair_bulk once the TAP exists. Client → tcpgate: the link fault
# injector's drop on tcpgate's input. A drop on the client's own output path
# (inet output or netdev egress hook) is not a loss on the wire: the client's
# TCP sees the error at once and sends the segment again (observed: no
# out-of-order arrival at all), so that direction is dropped where the client
# cannot see it.
IMPAIR_LOSS=""
impair_loss() {
	IMPAIR_LOSS=$1
	impair_fault "seed = 11; drop = $1.0; direction = \"in\";"
}

# impair_loss_nft: the nftables half of impair_loss (after tg_start).
impair_loss_nft() {
	local n=$IMPAIR_LOSS
	nsexec nft add table inet tgloss
	nsexec nft add chain inet tgloss in '{ type filter hook input priority 0; }'
	nsexec nft add rule inet tgloss in meta l4proto tcp numgen random mod 100 '<' "$n" counter drop
	log "nftables: ${n}% loss on the client's input in $TG_NS; fault injector: ${n}% on tcpgate's input"
}

# impair_fault SETTINGS: add `fault = { SETTINGS }` to the interface of $TG_CFG.
impair_fault() {
	sed -i -E "s|^  offload = (true\|false);|&\n  fault = { $1 };|" "$TG_CFG"
	grep -q "fault = {" "$TG_CFG" || fail "could not add the fault group to $TG_CFG"
	log "fault injector: $1"
}

# impair_case CASE: one of the issue's impairments - loss1, loss5 (random loss
# both ways) or fault (reorder 5%, duplicate 2%, corrupt 1%); sets IMPAIR_WHAT.
IMPAIR_WHAT=""
impair_case() {
	case $1 in
	loss1) impair_loss 1; IMPAIR_WHAT="1% loss" ;;
	loss5) impair_loss 5; IMPAIR_WHAT="5% loss" ;;
	fault)
		impair_fault 'seed = 7; reorder = 5.0; reorder_delay_ms = 5; duplicate = 2.0; corrupt = 1.0; direction = "both";'
		IMPAIR_WHAT="reorder 5%, duplicate 2%, corrupt 1%"
		;;
	*) fail "test bug: impairment case '$1' (loss1, loss5 or fault)" ;;
	esac
}

# impair_sysctl KEY=VALUE...: client-side TCP settings in the namespace.
impair_sysctl() {
	local kv
	for kv in "$@"; do
		nsexec sysctl -q -w "$kv" >/dev/null || fail "sysctl $kv"
	done
	log "client sysctl: $*"
}

# impair_setup: backend + config (call impair_fault before tg_start, the rest after).
# The client half-closes when its upload is done and the download goes on: the
# half-closed timeout (an idle timer) must not cut it.
IMPAIR_BPORT=""
impair_setup() {
	read -r IMPAIR_BPORT < <(free_ports 1)
	start_backend bulk "$IMPAIR_BPORT" --send "$IMPAIR_SIZE"
	TG_DEFAULTS=${TG_DEFAULTS:-connect_timeout_ms = 1000; drain_timeout_s = 1;}
	tg_config "$(tg_listener bulk 5001 roundrobin "$IMPAIR_BPORT")"
}

# impair_bulk WHAT: the transfer, both ways at once; checks and passes.
impair_bulk() {
	local what=$1 cres crc bres t0 secs
	[ -z "$IMPAIR_LOSS" ] || impair_loss_nft
	t0=$(date +%s.%N)
	set +e
	cres=$(nsexec timeout "$IMPAIR_TIMEOUT" "$PY" "$TOOLS/client.py" "$TG_VIP" 5001 \
		--send "$IMPAIR_SIZE" --timeout "$IMPAIR_TIMEOUT")
	crc=$?
	set -e
	secs=$(echo "$(date +%s.%N) - $t0" | bc)
	log "client: $cres"
	[ $crc -eq 0 ] || fail "$what: client failed (exit $crc, 124 = no finish within ${IMPAIR_TIMEOUT}s): $cres"
	wait_bg bulk 30 || fail "$what: backend did not finish: $(cat "$TG_DIR/bulk.log")"
	bres=$(backend_report bulk)
	log "backend: $bres"
	[ -n "$bres" ] || fail "$what: no backend report"
	[ "$(json_get recv_bytes <<<"$bres")" = "$IMPAIR_SIZE" ] ||
		fail "$what: backend received $(json_get recv_bytes <<<"$bres") bytes, expected $IMPAIR_SIZE"
	[ "$(json_get recv_bytes <<<"$cres")" = "$IMPAIR_SIZE" ] ||
		fail "$what: client received $(json_get recv_bytes <<<"$cres") bytes, expected $IMPAIR_SIZE"
	[ "$(json_get sent_sha256 <<<"$cres")" = "$(json_get recv_sha256 <<<"$bres")" ] ||
		fail "$what: client→backend SHA-256 mismatch"
	[ "$(json_get sent_sha256 <<<"$bres")" = "$(json_get recv_sha256 <<<"$cres")" ] ||
		fail "$what: backend→client SHA-256 mismatch"
	tg_alive || fail "$what: tcpgate died"
	local st
	st=$(stats_json || true)
	if [ -n "$st" ]; then
		log "tcp: retransmits=$(json_get tcp.retransmits <<<"$st" 2>/dev/null || echo ?)" \
		    "bad_checksum=$(json_get tcp.bad_checksum <<<"$st" 2>/dev/null || echo ?)" \
		    "out_of_order=$(json_get tcp.out_of_order <<<"$st" 2>/dev/null || echo ?)" \
		    "rx_gso_frames=$(json_get interface.rx_gso_frames <<<"$st" 2>/dev/null || echo ?)" \
		    "tx_gso_frames=$(json_get interface.tx_gso_frames <<<"$st" 2>/dev/null || echo ?)"
	fi
	# a test may check the counters further: impair_check_stats STATS_JSON
	if [ "$(type -t impair_check_stats)" = function ]; then
		[ -n "$st" ] || fail "$what: no /stats"
		impair_check_stats "$st"
	fi
	nsexec nft list ruleset 2>/dev/null | grep -o 'counter packets [0-9]*' | sed 's/^/nft /' >&2 || true
	tg_stop || fail "$what: tcpgate did not stop cleanly"
	grep "fault injector" "$TG_DIR/tcpgate.log" >&2 || true
	pass "$what: ${IMPAIR_MIB} MiB each way in ${secs} s"
}
