#!/usr/bin/env bash
# Installs the test dependencies, starts a throwaway PostgreSQL cluster, runs every test,
# and stops the cluster. Extra arguments go to pytest (for example: -k contract -x).
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m pip install --quiet --disable-pip-version-check -e '.[dev]'

# shellcheck source=scripts/postgres.sh
source scripts/postgres.sh
postgres_start
trap postgres_stop EXIT

export ENTSOE_TEST_REQUIRE_POSTGRES=1
export HYPOTHESIS_PROFILE="${HYPOTHESIS_PROFILE:-ci}"

status=0
python3 -m pytest "$@" || status=$?
if [ "$status" -eq 5 ]; then
    echo "pytest collected no tests: that is a failure" >&2
    exit 1
fi
exit "$status"
