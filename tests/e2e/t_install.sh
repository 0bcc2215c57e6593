#!/usr/bin/env bash
# t_install: `make install DESTDIR=...` puts exactly the expected files in place
# with the expected modes (binaries 0755, the rest 0644), for PREFIX=/usr/local
# and PREFIX=/usr (the unit's ExecStart* follow PREFIX); the installed binaries
# run, the installed man pages are found by man(1), the installed unit passes
# `systemd-analyze verify` with its Documentation= pages resolved from the
# installed man dir; `make uninstall` removes every file again. /etc is never
# written. No root needed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

tmp=$(mktemp -d /tmp/tcpgate-install.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# check_tree DESTDIR PREFIX: the file list and modes under DESTDIR
check_tree() {
	local d=$1 p=${2#/} want got
	want=$(sort <<EOF
0644 $p/lib/systemd/system/tcpgate.service
0644 $p/share/doc/tcpgate/tcpgate.cfg.example
0644 $p/share/man/man5/tcpgate.cfg.5
0644 $p/share/man/man8/tcpgate.8
0644 $p/share/man/man8/tcpgatectl.8
0755 $p/sbin/tcpgate
0755 $p/sbin/tcpgatectl
EOF
)
	got=$(cd "$d" && find . -type f -printf '%#m %P\n' | sort)
	[ "$got" = "$want" ] || fail "installed files for PREFIX=$2 differ:
--- expected
$want
--- got
$got"
	[ -z "$(cd "$d" && find . ! -type f ! -type d)" ] || fail "unexpected non-regular files: $(cd "$d" && find . ! -type f ! -type d)"
}

for prefix in /usr/local /usr; do
	d="$tmp/root${prefix//\//_}"
	make -s -C "$ROOT_DIR" BUILD="$BUILD" PREFIX="$prefix" DESTDIR="$d" install >"$tmp/make.log" 2>&1 ||
		fail "make install PREFIX=$prefix failed: $(cat "$tmp/make.log")"
	check_tree "$d" "$prefix"
	[ ! -e "$d/etc" ] || fail "make install wrote to /etc"
	"$d$prefix/sbin/tcpgate" --version | grep -q '^tcpgate ' || fail "installed tcpgate does not run"
	"$d$prefix/sbin/tcpgatectl" --version | grep -q '^tcpgatectl ' || fail "installed tcpgatectl does not run"
	"$d$prefix/sbin/tcpgate" -t -c "$d$prefix/share/doc/tcpgate/tcpgate.cfg.example" >/dev/null ||
		fail "the installed example configuration does not pass tcpgate -t"
	unit="$d$prefix/lib/systemd/system/tcpgate.service"
	n=$(grep -c "^Exec[A-Za-z]*=$prefix/sbin/tcpgate" "$unit") || true
	[ "$n" = 3 ] || fail "PREFIX=$prefix: ExecStartPre/ExecStart/ExecReload not under $prefix/sbin: $(grep ^Exec "$unit")"
	for page in tcpgate.8 tcpgatectl.8 tcpgate.cfg.5; do
		name=${page%.*} sec=${page##*.}
		MANPATH="$d$prefix/share/man" man -w "$sec" "$name" 2>/dev/null | grep -q "$d" ||
			fail "man does not find the installed $page"
	done
	if command -v systemd-analyze >/dev/null; then
		sed "s|$prefix/sbin/|$d$prefix/sbin/|g" "$unit" >"$tmp/tcpgate.service"
		out=$(MANPATH="$d$prefix/share/man" systemd-analyze verify "$tmp/tcpgate.service" 2>&1) ||
			fail "systemd-analyze verify of the installed unit: $out"
		[ -z "$out" ] || fail "systemd-analyze verify of the installed unit warned: $out"
	fi
	make -s -C "$ROOT_DIR" BUILD="$BUILD" PREFIX="$prefix" DESTDIR="$d" uninstall >"$tmp/make.log" 2>&1 ||
		fail "make uninstall failed: $(cat "$tmp/make.log")"
	left=$(cd "$d" && find . -type f)
	[ -z "$left" ] || fail "make uninstall left: $left"
	log "PREFIX=$prefix: 7 files with their modes, unit paths, man lookup, uninstall ok"
done
pass "make install / uninstall"
