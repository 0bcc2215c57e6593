#!/usr/bin/env bash
# t_impair_nosack: bulk transfer each way under SACK off, 1% loss; SHA-256 equal, no hang
# (size: impair.sh).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/impair.sh"
tg_init
impair_setup
impair_loss 1
tg_start
impair_sysctl net.ipv4.tcp_sack=0
impair_bulk "SACK off, 1% loss"
