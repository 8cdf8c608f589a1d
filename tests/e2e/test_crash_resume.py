"""A backfill killed with SIGKILL half-way, resumed with ``entsoe resume``, ends with exactly the
data of an uninterrupted run: every chunk done and committed once, no duplicates, no gaps."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tests.e2e.harness import Cli, chunk_rows, exported, query, running_emulator, utc, wait_for

pytestmark = pytest.mark.slow

START, END = utc("2024-01-01"), utc("2024-01-31")
CHUNKS = 30


def test_a_killed_backfill_resumes_to_exactly_the_uninterrupted_data(
    cli: Cli, database_url: str, tmp_path: Path
) -> None:
    # Every answer takes a second, so the run is still going when it is killed.
    with running_emulator(tmp_path, "--fail-slow", "1.0", "--slow-seconds", "1", seed=11) as api:
        app = cli.with_env(
            **api.env(),
            ENTSOE_DATABASE_URL=database_url,
            ENTSOE_LEASE_SECONDS="3",
            ENTSOE_MAX_REQUESTS_IN_FLIGHT="2",
        )
        backfill = app.start(
            "backfill",
            "--area",
            "NL",
            "--dataset",
            "actual_total_load",
            "--start",
            "2024-01-01",
            "--end",
            "2024-01-31",
            "--span",
            "day",
            name="backfill",
        )
        try:
            job_id = wait_for("the job id", lambda: _job_id(backfill.stdout))
            wait_for(
                "a few chunks to be done",
                lambda: app("status", job_id, "--json").json()["chunks"]["done"] >= 4 or None,
            )
            assert backfill.popen.poll() is None, "the backfill ended before it was killed"
            backfill.kill()
        finally:
            backfill.stop()

        killed = app("status", job_id, "--json").json()
        assert killed["status"] == "in_progress"
        assert 4 <= killed["chunks"]["done"] < CHUNKS
        assert killed["chunks"]["in_flight"] >= 1, "the dead process held no chunk"

        resumed = app("resume", job_id).ok()

        assert resumed.stdout.startswith(f"job {job_id} completed, chunks {CHUNKS}/{CHUNKS} done")
        expected = api.rows("actual_total_load", "NL", START, END)
        assert exported(app, "actual_total_load", "NL", START, END) == expected
        served = api.stats()

    chunks = chunk_rows(database_url, job_id)
    assert len(chunks) == CHUNKS
    assert {chunk["status"] for chunk in chunks} == {"done"}
    # One coverage entry per chunk commit: a chunk committed twice would show up twice.
    ledger = query(database_url, "SELECT interval_start, interval_end FROM coverage")
    assert len(ledger) == CHUNKS
    assert Counter(ledger).most_common(1)[0][1] == 1
    [(stored,)] = query(database_url, "SELECT count(*) FROM observations")
    assert stored == len(expected)
    report = app("status", job_id, "--json").json()
    assert report["points_written"] == len(expected)
    # The dead process's requests in flight were answered but never committed.
    assert served["responses_by_status"] == {"200": served["total_requests"]}
    assert served["total_requests"] >= report["requests"] == sum(c["requests"] for c in chunks)


def _job_id(stdout: str) -> str | None:
    first = stdout.splitlines()[0] if stdout.strip() else ""
    return first.split()[1] if first.startswith("job ") else None


def test_sigterm_hands_the_chunks_in_flight_back_at_once(cli: Cli, tmp_path: Path) -> None:
    with running_emulator(tmp_path, "--fail-slow", "1.0", "--slow-seconds", "1", seed=11) as api:
        # The default lease (minutes): a chunk not handed back would stay in flight.
        app = cli.with_env(**api.env(), ENTSOE_MAX_REQUESTS_IN_FLIGHT="3")
        backfill = app.start(
            "backfill",
            "--area",
            "NL",
            "--dataset",
            "actual_total_load",
            "--start",
            "2024-01-01",
            "--end",
            "2024-01-31",
            "--span",
            "day",
            name="backfill",
        )
        try:
            job_id = wait_for("the job id", lambda: _job_id(backfill.stdout))
            wait_for(
                "a chunk to be done",
                lambda: app("status", job_id, "--json").json()["chunks"]["done"] >= 1 or None,
            )
            backfill.popen.terminate()
            stopped = backfill.wait()
        finally:
            backfill.stop()

        assert stopped.code == 130, stopped.explain()
        assert "Traceback" not in stopped.stderr
        assert stopped.stderr.splitlines()[-1] == (
            "entsoe: interrupted; the job stays resumable (`entsoe jobs` lists it)"
        )
        report = app("status", job_id, "--json").json()
        assert report["status"] == "in_progress"
        assert report["chunks"]["in_flight"] == 0
        assert report["running"] is False
        assert 1 <= report["chunks"]["done"] < CHUNKS

        app("resume", job_id).ok()

        assert exported(app, "actual_total_load", "NL", START, END) == api.rows(
            "actual_total_load", "NL", START, END
        )
