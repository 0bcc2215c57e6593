#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/fuzz/regress.sh [BINARY...] - run every fuzz target once over its
# committed inputs: the seeds (tests/fuzz/corpus/NAME/*) and the regression
# inputs kept from earlier crashes (tests/fuzz/crashers/NAME/*).
#
# libFuzzer given file arguments runs each file once and exits non-zero on the
# first failure. Default binaries: build-fuzz/NAME for every
# tests/fuzz/NAME.c (build them with `make fuzz FUZZ_SECONDS=0` or
# `make build-fuzz/NAME`). Prints "fuzz-regress: N passed, M failed" last;
# exit 1 if anything failed or a binary is missing.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bins=("$@")
if [ ${#bins[@]} -eq 0 ]; then
	for src in "$here"/fuzz_*.c; do
		bins+=("$root/build-fuzz/$(basename "$src" .c)")
	done
fi

pass=0
fail=0
for bin in "${bins[@]}"; do
	name=$(basename "$bin")
	if [ ! -x "$bin" ]; then
		echo "fuzz-regress: $name: $bin not built"
		fail=$((fail + 1))
		continue
	fi
	files=()
	for f in "$here/corpus/$name"/* "$here/crashers/$name"/*; do
		[ -f "$f" ] && files+=("$f")
	done
	if [ ${#files[@]} -eq 0 ]; then
		echo "fuzz-regress: $name: no inputs"
		continue
	fi
	log=$(mktemp)
	# one input per run, so every failing input is reported, not just the first
	for f in "${files[@]}"; do
		if "$bin" -rss_limit_mb=2048 -timeout=25 "$f" >"$log" 2>&1; then
			pass=$((pass + 1))
		else
			fail=$((fail + 1))
			echo "fuzz-regress: $name: FAILED on ${f#"$root"/}"
			grep -a -E 'invariant violated|ERROR: |SUMMARY|runtime error' "$log" | head -n 5
		fi
	done
	rm -f "$log"
done
echo "fuzz-regress: $pass passed, $fail failed"
[ $fail -eq 0 ]
