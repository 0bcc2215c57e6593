#!/usr/bin/env bash
# t_systemd: systemd/tcpgate.service passes `systemd-analyze verify` (with the
# binaries at their build paths; Documentation= checked against man/ when present).
# Skips with a message when systemd-analyze is absent.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD="$root/$BUILD" ;; esac
if ! command -v systemd-analyze >/dev/null; then
	echo "t_systemd: SKIP: systemd-analyze not installed"
	exit 0
fi
dir=$(mktemp -d /tmp/tcpgate-unit.XXXXXX)
trap 'rm -rf "$dir"' EXIT
sed -e "s|/usr/local/sbin/|$BUILD/|g" "$root/systemd/tcpgate.service" >"$dir/tcpgate.service"
[ -d "$root/man" ] || sed -i '/^Documentation=/d' "$dir/tcpgate.service"
out=$(MANPATH="$root/man:" systemd-analyze verify "$dir/tcpgate.service" 2>&1) || {
	echo "$out"
	echo "t_systemd: FAIL: systemd-analyze verify"
	exit 1
}
if [ -n "$out" ]; then
	echo "$out"
	echo "t_systemd: FAIL: systemd-analyze verify printed warnings"
	exit 1
fi
grep -q '^Type=notify' "$root/systemd/tcpgate.service" || { echo "t_systemd: FAIL: not Type=notify"; exit 1; }
echo "t_systemd: PASS"
