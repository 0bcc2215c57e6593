#!/usr/bin/env bash
# deps.sh - install the Debian packages tcpgate needs to build, test and demo,
# only those that are missing (so a machine that has them makes no apt call).
set -euo pipefail

packages=(
	build-essential pkg-config
	libconfig-dev libjansson-dev libcriterion-dev libmicrohttpd-dev
	iproute2 iputils-ping nftables curl python3 tshark socat iperf3 wrk haproxy ethtool
	man-db groff prometheus chromium hping3
	clang libclang-rt-14-dev
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: need root to install packages (run as root or install them by hand)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer no without a prompt
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

# prometheus is installed for its promtool only (t_metrics). Its package starts a
# server on :9090 where services start on install (no policy-rc.d denying it):
# stop and disable the one we just installed, by its unit or by its pidfile.
if [[ " ${missing[*]} " == *" prometheus "* ]]; then
	if [ -d /run/systemd/system ] && systemctl is-active --quiet prometheus 2>/dev/null; then
		systemctl disable --now prometheus >/dev/null 2>&1 || true
		echo "deps: stopped and disabled the prometheus server (only promtool is used)"
	elif [ -s /run/prometheus/prometheus.pid ]; then
		pid=$(cat /run/prometheus/prometheus.pid)
		if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = prometheus ]; then
			kill "$pid" || true
			echo "deps: stopped the prometheus server (pid $pid; only promtool is used)"
		fi
		update-rc.d prometheus disable >/dev/null 2>&1 || true
	fi
fi
