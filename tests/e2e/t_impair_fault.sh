#!/usr/bin/env bash
# t_impair_fault: bulk transfer each way through tcpgate's link fault injector
# reordering 5 % (5 ms), duplicating 2 %, corrupting 1 % of frames both ways;
# SHA-256 equal, no hang (size: impair.sh).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/impair.sh"
tg_init
impair_setup
impair_fault 'seed = 7; reorder = 5.0; reorder_delay_ms = 5; duplicate = 2.0; corrupt = 1.0; direction = "both";'
tg_start
impair_bulk "fault injector: reorder 5%, duplicate 2%, corrupt 1%"
