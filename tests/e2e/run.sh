#!/usr/bin/env bash
# tests/e2e/run.sh - run every tests/e2e/t_*.sh (as root) with a timeout each;
# PASS/FAIL per test, the log of each failure, and a last line
# "e2e: N passed, M failed".
#   BUILD=build|build-san   which build to test (default build)
#   E2E_TIMEOUT=S           per-test timeout in seconds (default 120); a test
#                           that needs longer says so in a header line
#                           "# e2e-timeout: S" (the larger of the two applies)
#   E2E_ONLY="curl ping"    run only these tests (names without t_ and .sh)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
export BUILD=${BUILD:-build}
timeout_s=${E2E_TIMEOUT:-120}

if [ "$(id -u)" -ne 0 ]; then
	echo "e2e: must run as root (network namespaces and TAP devices)" >&2
	echo "e2e: 0 passed, 1 failed"
	exit 1
fi

logdir=$(mktemp -d /tmp/tcpgate-e2e-logs.XXXXXX)
trap 'rm -rf "$logdir"' EXIT

tests=()
for t in "$here"/t_*.sh; do
	[ -f "$t" ] || continue
	name=$(basename "$t" .sh)
	if [ -n "${E2E_ONLY:-}" ]; then
		case " $E2E_ONLY " in *" ${name#t_} "* | *" $name "*) ;; *) continue ;; esac
	fi
	tests+=("$t")
done

passed=0
failed=0
failed_names=()
suite_start=$SECONDS
for t in "${tests[@]}"; do
	name=$(basename "$t" .sh)
	start=$SECONDS
	rc=0
	t_timeout=$(sed -n '1,30s/^# e2e-timeout: \([0-9][0-9]*\)$/\1/p' "$t" | head -n 1)
	[ -n "$t_timeout" ] && [ "$t_timeout" -gt "$timeout_s" ] || t_timeout=$timeout_s
	timeout -k 10 "$t_timeout" bash "$t" >"$logdir/$name.log" 2>&1 || rc=$?
	dur=$((SECONDS - start))
	if [ $rc -eq 0 ]; then
		passed=$((passed + 1))
		printf 'PASS  %-20s %4ds\n' "$name" "$dur"
	else
		failed=$((failed + 1))
		failed_names+=("$name")
		why="exit $rc"
		[ $rc -ne 124 ] && [ $rc -ne 137 ] || why="timed out after ${t_timeout}s"
		printf 'FAIL  %-20s %4ds  (%s)\n' "$name" "$dur" "$why"
		echo "------ $name log ------"
		tail -n 80 "$logdir/$name.log"
		echo "------ end of $name log ------"
	fi
done
echo "e2e: ${#tests[@]} tests in $((SECONDS - suite_start))s${failed_names[*]:+; failed: ${failed_names[*]}}"
echo "e2e: $passed passed, $failed failed"
[ $failed -eq 0 ]
