#!/usr/bin/env bash
# Runs every test: installs the locked versions into .venv (see scripts/venv.sh) and Debian's
# Chromium for the browser tests when absent, starts a throwaway PostgreSQL cluster, runs the
# whole suite and stops the cluster. Extra arguments go to pytest (for example: -k contract -x).
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=scripts/venv.sh
source scripts/venv.sh
venv_ensure

# shellcheck source=scripts/chromium.sh
source scripts/chromium.sh
chromium_ensure

# shellcheck source=scripts/postgres.sh
source scripts/postgres.sh
postgres_start
trap postgres_stop EXIT

export ENTSOE_TEST_REQUIRE_POSTGRES=1
export HYPOTHESIS_PROFILE="${HYPOTHESIS_PROFILE:-ci}"

status=0
# The slowest tests are listed at the end, to keep the whole run short.
python -m pytest --durations=15 "$@" || status=$?
if [ "$status" -eq 5 ]; then
    echo "pytest collected no tests: that is a failure" >&2
    exit 1
fi
exit "$status"
