#!/usr/bin/env bash
# Refreshes requirements/dev.lock from pyproject.toml: every package that development and CI
# install (the package's dependencies, every optional extra, the build backend), pinned
# transitively with hashes. Run it after changing a dependency in pyproject.toml, and commit
# the lock with that change. Extra arguments go to pip-compile (for example:
# --upgrade-package litestar to move one package, --upgrade to move them all).
set -euo pipefail
cd "$(dirname "$0")/.."

PIP_TOOLS_VERSION=7.6.2
tool_dir=$(mktemp -d /tmp/entsoe-lock.XXXXXX)
trap 'rm -rf "$tool_dir"' EXIT
python3 -m venv "$tool_dir"
"$tool_dir/bin/python" -m pip install --quiet --disable-pip-version-check "pip-tools==$PIP_TOOLS_VERSION"

CUSTOM_COMPILE_COMMAND="bash scripts/lock.sh" "$tool_dir/bin/pip-compile" \
    --quiet \
    --generate-hashes \
    --allow-unsafe \
    --strip-extras \
    --all-extras \
    --all-build-deps \
    --no-emit-index-url \
    --no-emit-find-links \
    --output-file requirements/dev.lock \
    "$@" \
    pyproject.toml
echo "wrote requirements/dev.lock" >&2
