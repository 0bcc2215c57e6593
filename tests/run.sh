#!/usr/bin/env bash
# tests/run.sh - run every test suite: criterion unit tests, criterion stack
# scenario tests, then the netns end-to-end tests. Prints each suite's result and,
# as the very last line, "N passed, M failed" over all suites (criterion tests
# counted one by one, each e2e test as one). Exit 1 if anything failed or a suite
# could not run. Needs root (the e2e tests use network namespaces and TAP).
#   BUILD=build|build-san (default build)
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
export BUILD=${BUILD:-build}
case $BUILD in /*) bdir=$BUILD ;; *) bdir="$root/$BUILD" ;; esac

if [ "$(id -u)" -ne 0 ]; then
	echo "tests/run.sh: must run as root (the e2e tests create network namespaces and TAP devices)" >&2
	echo "0 passed, 1 failed"
	exit 1
fi

total_pass=0
total_fail=0
broken=0
summary=()

# run_criterion NAME BINARY
run_criterion() {
	local name=$1 bin=$2 log rc line tested passing failing
	echo "=== $name: $bin"
	if [ ! -x "$bin" ]; then
		echo "$name: cannot run: $bin not built"
		summary+=("$name: could not run ($bin missing)")
		total_fail=$((total_fail + 1))
		broken=1
		return
	fi
	log=$(mktemp)
	"$bin" --jobs 2 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	line=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -a 'Synthesis: Tested:' | tail -n 1)
	rm -f "$log"
	if [[ $line =~ Tested:\ *([0-9]+).*Passing:\ *([0-9]+).*Failing:\ *([0-9]+) ]]; then
		tested=${BASH_REMATCH[1]}
		passing=${BASH_REMATCH[2]}
		failing=$((tested - passing))
		total_pass=$((total_pass + passing))
		total_fail=$((total_fail + failing))
		if [ "$rc" -ne 0 ] && [ $failing -eq 0 ]; then
			# exited badly although every test passed (e.g. a crash in teardown)
			total_fail=$((total_fail + 1))
			broken=1
			summary+=("$name: $passing passed, 0 failed, but exit status $rc")
		else
			summary+=("$name: $passing passed, $failing failed")
		fi
	else
		echo "$name: no criterion Synthesis line (exit $rc)"
		summary+=("$name: could not run (exit $rc, no Synthesis line)")
		total_fail=$((total_fail + 1))
		broken=1
	fi
}

run_criterion unit "$bdir/tests/unit"
run_criterion scenario "$bdir/tests/scenario"

# run_counted NAME CMD...: a suite printing "NAME: N passed, M failed" last
run_counted() {
	local name=$1 log rc line
	shift
	echo "=== $name: $*"
	log=$(mktemp)
	"$@" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	line=$(grep -a "^$name: [0-9]* passed, [0-9]* failed$" "$log" | tail -n 1)
	rm -f "$log"
	if [[ $line =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
		total_pass=$((total_pass + BASH_REMATCH[1]))
		total_fail=$((total_fail + BASH_REMATCH[2]))
		summary+=("$name: ${BASH_REMATCH[1]} passed, ${BASH_REMATCH[2]} failed")
		[ "$rc" -eq 0 ] || [ "${BASH_REMATCH[2]}" -ne 0 ] || { total_fail=$((total_fail + 1)); broken=1; }
	else
		summary+=("$name: could not run (exit $rc)")
		total_fail=$((total_fail + 1))
		broken=1
	fi
}

# run_smoke NAME CMD...: one test, passed when CMD exits 0
run_smoke() {
	local name=$1
	shift
	echo "=== $name: $*"
	if "$@"; then
		total_pass=$((total_pass + 1))
		summary+=("$name: passed")
	else
		total_fail=$((total_fail + 1))
		summary+=("$name: FAILED (exit $?)")
	fi
}

# libFuzzer: every committed seed and regression input once, then a 60 s
# smoke run (30 s per target) under ASan/UBSan; the long runs are `make fuzz`.
fuzz_bins=()
for src in "$root"/tests/fuzz/fuzz_*.c; do
	fuzz_bins+=("$root/build-fuzz/$(basename "$src" .c)")
done
run_counted fuzz-regress "$root/tests/fuzz/regress.sh" "${fuzz_bins[@]}"
run_smoke fuzz-smoke "$root/tests/fuzz/run.sh" "${FUZZ_SMOKE_SECONDS:-30}" "${fuzz_bins[@]}"

echo "=== e2e: tests/e2e/run.sh"
e2e_log=$(mktemp)
"$root/tests/e2e/run.sh" 2>&1 | tee "$e2e_log"
rc=${PIPESTATUS[0]}
line=$(grep -a '^e2e: [0-9]* passed, [0-9]* failed$' "$e2e_log" | tail -n 1)
rm -f "$e2e_log"
if [[ $line =~ ^e2e:\ ([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
	total_pass=$((total_pass + BASH_REMATCH[1]))
	total_fail=$((total_fail + BASH_REMATCH[2]))
	summary+=("e2e: ${BASH_REMATCH[1]} passed, ${BASH_REMATCH[2]} failed")
	if [ "$rc" -ne 0 ] && [ "${BASH_REMATCH[2]}" -eq 0 ]; then
		total_fail=$((total_fail + 1))
		broken=1
	fi
else
	summary+=("e2e: could not run (exit $rc)")
	total_fail=$((total_fail + 1))
	broken=1
fi

echo "=== summary"
for s in "${summary[@]}"; do echo "$s"; done
echo "$total_pass passed, $total_fail failed"
[ $total_fail -eq 0 ] && [ $broken -eq 0 ]
