"""The chaos soak, short: workers killed and stopped, connections cut, bans, faulty answers.

The soak of :mod:`tests.e2e.chaos` (``benchmarks/chaos_soak.py`` runs it longer) for forty
seconds of chaos on SQLite and on PostgreSQL (one database each), then the workers left finish
the job. Every finding of the soak must hold: the data equals the emulator's, every chunk
committed once, no request sent once a ban was known, no 60 s window above the budget, no chunk
stuck in flight past its lease, the exit codes docs/cli.md gives, and the readers answered all
along.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.chaos import SoakSettings, soak

pytestmark = [pytest.mark.slow]


def test_a_short_chaos_soak_keeps_every_promise(database_url: str, tmp_path: Path) -> None:
    settings = SoakSettings(database_url, seed=11, chaos_seconds=40.0, finish_seconds=150.0)

    findings = soak(settings, tmp_path)

    failed = [f"{finding.name}: {finding.detail}" for finding in findings if not finding.ok]
    assert not failed, "\n".join(failed)
    names = {finding.name for finding in findings}
    assert "no request sent once a ban was known" in names
    assert "every chunk committed once (one coverage entry each)" in names
