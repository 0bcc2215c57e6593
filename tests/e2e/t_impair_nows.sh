#!/usr/bin/env bash
# t_impair_nows: bulk transfer each way with window scaling off in the client, under 1%
# loss (IMPAIR_CASE=loss5 or fault for the other impairments); SHA-256 equal, no hang
# (size: impair.sh).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/impair.sh"
tg_init
impair_setup
impair_case "${IMPAIR_CASE:-loss1}"
tg_start
impair_sysctl net.ipv4.tcp_window_scaling=0
impair_bulk "window scaling off, $IMPAIR_WHAT"
