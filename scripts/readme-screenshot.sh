#!/usr/bin/env bash
# Writes the README's screenshot of the dashboard, docs/img/dashboard.png, from the browser test
# that takes it (tests/e2e/browser/test_dashboard.py::test_the_dashboard_at_a_glance).
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=scripts/venv.sh
source scripts/venv.sh
venv_ensure

# shellcheck source=scripts/chromium.sh
source scripts/chromium.sh
chromium_ensure

ENTSOE_TEST_README_SCREENSHOT=docs/img/dashboard.png \
    python -m pytest -q tests/e2e/browser/test_dashboard.py -k at_a_glance
