#!/usr/bin/env bash
# t_impair_loss1: bulk transfer each way under 1% loss both ways; SHA-256 equal, no hang
# (size: impair.sh).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/impair.sh"
tg_init
impair_setup
impair_loss 1
tg_start
impair_bulk "1% loss both ways"
