#!/usr/bin/env bash
# tests/e2e/long/run.sh - the impairment tests at full size (200 MiB each way,
# E2E_IMPAIR_MIB to change it), one generous timeout per test: 1% loss, 5% loss
# and the fault injector with the client's defaults (SACK and window scaling
# on), then each of the three again with SACK off and with window scaling off
# (IMPAIR_CASE), and the 100-reload run. Not part of `make test`; run as root
# after `make`. The last line sums every part: "long: N passed, M failed".
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
export E2E_LONG=1
export E2E_TIMEOUT=${E2E_TIMEOUT:-1800}
passed=0 failed=0
part() { # ENV... : one run.sh with these settings
	local out
	out=$(env "$@" "$here/run.sh" 2>&1 | tee /dev/stderr | tail -n 1)
	passed=$((passed + $(sed -n 's/^e2e: \([0-9]*\) passed.*/\1/p' <<<"$out")))
	failed=$((failed + $(sed -n 's/.* \([0-9]*\) failed$/\1/p' <<<"$out")))
}
part E2E_ONLY="${E2E_ONLY:-impair_loss1 impair_loss5 impair_fault impair_nosack impair_nows reload_many}"
if [ -z "${E2E_ONLY:-}" ]; then
	for c in loss5 fault; do
		part IMPAIR_CASE=$c E2E_ONLY="impair_nosack impair_nows"
	done
fi
echo "long: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
