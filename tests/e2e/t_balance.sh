#!/usr/bin/env bash
# t_balance: backend choice (DESIGN §5 balance): roundrobin honours weights exactly
# over a window of sum(weights) picks; leastconn, source and random serve every
# request from a listed backend, source always picks the same backend for the
# same client, random uses more than one backend.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
tg_init

read -r P1 P2 P3 < <(free_ports 3 | xargs)
start_backend_http "b1-$TG_ID" "$P1"
start_backend_http "b2-$TG_ID" "$P2"
start_backend_http "b3-$TG_ID" "$P3"
tg_config "$(tg_listener rr 80 roundrobin "$P1:1" "$P2:3")" \
	"$(tg_listener lc 81 leastconn "$P1" "$P2" "$P3")" \
	"$(tg_listener src 82 source "$P1" "$P2" "$P3")" \
	"$(tg_listener rnd 83 random "$P1" "$P2" "$P3")"
tg_start
tg_wait_stats

# hits PORT N: N requests, print "name count" lines
hits() {
	local i out
	for ((i = 0; i < $2; i++)); do
		out=$(nsexec curl -sS --max-time 5 "http://$TG_VIP:$1/") || { echo "FAILED"; continue; }
		echo "${out%-"$TG_ID"}"
	done | sort | uniq -c | awk '{print $2 "=" $1}' | xargs
}

rr=$(hits 80 8)
log "roundrobin 1:3, 8 requests: $rr"
[ "$rr" = "b1=2 b2=6" ] || fail "roundrobin with weights 1:3 gave '$rr', expected 'b1=2 b2=6'"

lc=$(hits 81 9)
log "leastconn, 9 requests: $lc"
grep -q FAILED <<<"$lc" && fail "leastconn: requests failed: $lc"

src=$(hits 82 6)
log "source, 6 requests from one client: $src"
[[ $src =~ ^b[123]=6$ ]] || fail "source: one client spread over backends: '$src'"

rnd=$(hits 83 30)
log "random, 30 requests: $rnd"
grep -q FAILED <<<"$rnd" && fail "random: requests failed: $rnd"
[ "$(wc -w <<<"$rnd")" -ge 2 ] || fail "random: 30 requests all went to one backend: $rnd"
pass
