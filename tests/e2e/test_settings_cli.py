"""Settings as the CLI reads them from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.harness import Cli, base_environment

pytestmark = pytest.mark.slow


def test_the_emulator_token_variable_does_not_stop_other_commands(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'entsoe.sqlite3'}"
    cli = Cli(tmp_path, {**base_environment(), "ENTSOE_DATABASE_URL": url})
    quiet = cli("jobs").ok()
    with_emulator_token = cli.with_env(ENTSOE_EMULATOR_TOKEN="emulated")("jobs").ok()
    assert with_emulator_token.stdout == quiet.stdout


def test_an_unknown_setting_is_refused_with_its_name(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'entsoe.sqlite3'}"
    cli = Cli(tmp_path, {**base_environment(), "ENTSOE_DATABASE_URL": url})
    refused = cli.with_env(ENTSOE_HISTORY_YEAR="5")("jobs")
    assert refused.code == 2, refused.explain()
    assert "unknown setting ENTSOE_HISTORY_YEAR" in refused.stderr
