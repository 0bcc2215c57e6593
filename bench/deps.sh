#!/usr/bin/env bash
# deps.sh - install the Debian packages only the benchmark needs (haproxy, nginx,
# iperf3, wrk; nftables, ethtool, python3 and curl for the topology), only those missing.
set -euo pipefail

packages=(haproxy nginx-light iperf3 wrk nftables ethtool python3 curl iproute2 linux-perf)
# nginx-light is enough (static files); any installed nginx flavour counts.
missing=()
for p in "${packages[@]}"; do
	case $p in
	nginx-light) command -v nginx >/dev/null 2>&1 && continue ;;
	linux-perf) command -v perf >/dev/null 2>&1 && continue ;;
	esac
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "bench deps: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	echo "bench deps: need root to install packages" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# perf is optional (profiling notes only): don't fail the bench if it can't be had
base=()
for p in "${missing[@]}"; do [ "$p" = linux-perf ] || base+=("$p"); done
[ ${#base[@]} -eq 0 ] || apt-get install -y -qq --no-install-recommends "${base[@]}" >/dev/null
if [[ " ${missing[*]} " == *" linux-perf "* ]]; then
	apt-get install -y -qq --no-install-recommends linux-perf >/dev/null 2>&1 || true
fi
# The Debian packages start their own daemons; the bench runs private instances.
for svc in nginx haproxy; do
	if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
		systemctl disable --now "$svc" >/dev/null 2>&1 || true
	fi
done
