#!/usr/bin/env bash
# tests/e2e/long/run.sh - the impairment tests at full size (200 MiB each way,
# E2E_IMPAIR_MIB to change it), one generous timeout per test. Not part of
# `make test`; run as root after `make`.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
export E2E_LONG=1
export E2E_TIMEOUT=${E2E_TIMEOUT:-1800}
export E2E_ONLY=${E2E_ONLY:-"impair_loss1 impair_loss5 impair_fault impair_nosack impair_nows reload_many"}
exec "$here/run.sh"
