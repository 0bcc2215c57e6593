#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/fuzz/run.sh SECONDS BINARY... - run each libFuzzer target for SECONDS
#
# Theory of operation: each target NAME (the binary's basename) fuzzes a
# temporary copy of its working corpus (build-fuzz/corpus/NAME, kept between
# runs and not committed) plus the committed seeds (tests/fuzz/corpus/NAME,
# read only). The regression inputs in tests/fuzz/crashers/NAME are left out:
# one that still fails would stop libFuzzer at load (regress.sh runs them).
# New corpus units are merged back into the working corpus afterwards.
# libFuzzer runs with -max_total_time=SECONDS, -rss_limit_mb=2048, a 25 s
# per-input timeout and -print_final_stats=1; the script prints each target's
# stat::number_of_executed_units. A crash, leak, timeout or OOM leaves its
# input in tests/fuzz/crashers/NAME/ (commit it as a regression input) and the
# end of libFuzzer's log (the report and stack trace) on stdout; the exit
# status is then 1.
#   FUZZ_JOBS=N    run N libFuzzer workers per target (-fork=N), default 1
# FUZZ_KNOWN_BUGS=1 is exported: targets then let bugs already kept as
# regression inputs pass, so fuzzing goes on (regress.sh checks them strictly).
set -uo pipefail

if [ $# -lt 2 ]; then
	echo "usage: $0 SECONDS BINARY..." >&2
	exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
secs=$1
shift
jobs=${FUZZ_JOBS:-1}
export FUZZ_KNOWN_BUGS=1
status=0
summary=()

for bin in "$@"; do
	name=$(basename "$bin")
	seeds="$here/corpus/$name"
	crashers="$here/crashers/$name"
	keep="$root/build-fuzz/corpus/$name"
	work=$(mktemp -d "${TMPDIR:-/tmp}/tcpgate-fuzz-$name.XXXXXX")
	mkdir -p "$work/corpus" "$work/artifacts" "$keep"
	cp -r "$keep/." "$work/corpus/" 2>/dev/null
	dirs=("$work/corpus")
	[ -d "$seeds" ] && dirs+=("$seeds")
	fork=()
	[ "$jobs" -gt 1 ] && fork=(-fork="$jobs" -ignore_crashes=0)
	echo "=== $name: ${secs}s, corpus $(ls "$work/corpus" | wc -l) + seeds"
	"$bin" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=25 -max_len=8192 \
		-print_final_stats=1 -artifact_prefix="$work/artifacts/" "${fork[@]}" \
		"${dirs[@]}" >"$work/log" 2>&1
	rc=$?
	execs=$(grep -a 'stat::number_of_executed_units:' "$work/log" | awk '{s += $2} END {print s + 0}')
	cov=$(grep -a -E '^#[0-9]+' "$work/log" | tail -n 1 | grep -o -E 'cov: [0-9]+ ft: [0-9]+' || true)
	cp -n "$work/corpus/"* "$keep/" 2>/dev/null
	found=$(ls "$work/artifacts" 2>/dev/null)
	if [ $rc -ne 0 ] || [ -n "$found" ]; then
		status=1
		mkdir -p "$crashers"
		for f in $found; do
			cp "$work/artifacts/$f" "$crashers/$f"
			echo "$name: kept $f in tests/fuzz/crashers/$name/"
		done
		echo "--- $name: libFuzzer exit $rc, end of log:"
		grep -a -n -E 'invariant violated|ERROR: |SUMMARY|runtime error' "$work/log" | head -n 5
		grep -a -A 40 -E '^==[0-9]+==ERROR' "$work/log" | head -n 60
		summary+=("$name: $execs execs, $cov, FAILED (exit $rc)")
	else
		summary+=("$name: $execs execs, $cov, ok")
		rm -rf "$work"
	fi
	echo "$name: stat::number_of_executed_units: $execs"
done

echo "=== fuzz summary (${secs}s per target)"
for s in "${summary[@]}"; do echo "$s"; done
exit $status
