#!/usr/bin/env bash
# The development environment: a virtual environment (.venv, or $ENTSOE_VENV) holding exactly
# the versions pinned in requirements/dev.lock, checked against their hashes, and this package
# installed editable on top without resolving anything further.
# Source this file, then: venv_ensure (creates or refreshes it, then activates it).

venv_ensure() {
    local venv stamp want
    venv=${ENTSOE_VENV:-$PWD/.venv}
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    stamp="$venv/.entsoe-lock-sha256"
    want=$(cat requirements/dev.lock pyproject.toml | sha256sum | cut -d' ' -f1)
    if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
        echo "installing the locked versions of requirements/dev.lock into $venv ..." >&2
        # --no-deps: the lock is complete; anything it lacks must fail here, not be fetched.
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
            --require-hashes --no-deps -r requirements/dev.lock
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
            --no-deps --no-build-isolation -e .
        "$venv/bin/python" -m pip check
        echo "$want" >"$stamp"
    fi
    # shellcheck source=/dev/null
    source "$venv/bin/activate"
    echo "environment $venv: $(python -m pip list --format=freeze --disable-pip-version-check \
        2>/dev/null | grep -v '^-e' | tr '\n' ' ')" >&2
}
