#!/usr/bin/env bash
# tests/e2e/soak/run.sh - the reliability tests at full length (`make soak`):
# E2E_SOAK=1 makes t_soak run 5 min, t_slowclients hold 10 000 slow clients,
# t_synflood_hping flood for 30 s with 1000 real connections. One generous
# timeout per test. Not part of `make test`; run as root after `make all tools`.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
export E2E_SOAK=1
export E2E_TIMEOUT=${E2E_TIMEOUT:-1800}
export E2E_ONLY=${E2E_ONLY:-"synflood_hping soak slowclients"}
exec "$here/run.sh"
