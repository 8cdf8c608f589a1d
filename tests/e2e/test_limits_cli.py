"""The API as it is today, end to end: limits kept and learned, holes found and healed.

The emulator enforces per-dataset request limits with the real API's refusal texts, can be made
stricter than the catalogue at run time, and can cut series short with HTTP 200; ``entsoe``
runs as a user runs it.
"""

from __future__ import annotations

import itertools
import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from entsoe_core.timeline import floor_to_day
from tests.e2e.harness import (
    Cli,
    Emulator,
    chunk_rows,
    exported,
    query,
    running_emulator,
    utc,
    wait_for,
)

pytestmark = pytest.mark.slow

YEAR = ("--start", "2024-01-01", "--end", "2025-01-01")
START, END = utc("2024-01-01"), utc("2025-01-01")
QUALITY = (
    "quality",
    "--area",
    "NL",
    "--dataset",
    "actual_total_load",
    "--format",
    "json",
    "--fail-on-holes",
)


def control(api: Emulator, method: str, route: str, **params: str) -> None:
    """Switch something in the running emulator through its control routes."""
    url = api.url.removesuffix("/api") + f"/_emulator/{route}"
    httpx.request(method, url, params=params, timeout=10).raise_for_status()


def too_long(api: Emulator, dataset: str) -> int:
    counted: int = api.stats()["datasets"].get(dataset, {}).get("too_long", 0)
    return counted


def requests_for(api: Emulator, dataset: str) -> int:
    counted: int = api.stats()["datasets"].get(dataset, {}).get("requests", 0)
    return counted


def backfill(app: Cli, area: str, dataset: str, *options: str) -> dict[str, Any]:
    job_id = app("backfill", "--area", area, "--dataset", dataset, *options).ok().job_id()
    report: dict[str, Any] = app("status", job_id, "--json").json()
    return report


def test_a_year_cap_under_todays_limits_fetches_exactly_the_data_of_a_monthly_run(
    cli: Cli, tmp_path: Path
) -> None:
    with running_emulator(tmp_path, seed=12) as api:
        yearly = cli.with_env(**api.env())
        monthly = yearly.with_env(
            ENTSOE_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'monthly.sqlite3'}"
        )
        for dataset in ("actual_total_load", "day_ahead_prices"):
            by_year = backfill(yearly, "NL", dataset, *YEAR, "--span", "year")
            by_month = backfill(monthly, "NL", dataset, *YEAR, "--span", "month")
            for report in (by_year, by_month):
                assert report["status"] == "completed"
                assert report["chunks"]["failed"] == report["chunks"]["split"] == 0
            expected = api.rows(dataset, "NL", START, END)
            assert exported(yearly, dataset, "NL", START, END) == expected
            assert exported(monthly, dataset, "NL", START, END) == expected
            assert too_long(api, dataset) == 0
        # Load may be asked for a month at a time, prices a year: as few requests as allowed.
        assert requests_for(api, "actual_total_load") == 12 + 12
        assert requests_for(api, "day_ahead_prices") == 1 + 12


def test_a_refusal_teaches_the_limit_once_and_later_jobs_ask_within_it(
    cli: Cli, tmp_path: Path
) -> None:
    # The API has become stricter than the catalogue knows: prices a month at a time.
    with running_emulator(tmp_path, "--limit", "day_ahead_prices=P1M", seed=13) as api:
        app = cli.with_env(**api.env())
        report = backfill(app, "NL", "day_ahead_prices", *YEAR)

        assert report["status"] == "completed"
        assert report["chunks"]["split"] == 1
        assert report["chunks"]["done"] == 12
        assert report["chunks"]["failed"] == 0
        assert too_long(api, "day_ahead_prices") == 1
        assert exported(app, "day_ahead_prices", "NL", START, END) == api.rows(
            "day_ahead_prices", "NL", START, END
        )
        [prices] = [d for d in app("datasets", "--json").json() if d["key"] == "day_ahead_prices"]
        assert prices["catalogue_limit"] == "P1Y"
        assert prices["learned_limit"] == prices["effective_limit"] == "P1M"
        assert "P1M" in prices["learned_message"]
        listing = app("datasets").ok().stdout
        described = listing.split("day_ahead_prices  ", 1)[1].splitlines()[1]
        assert "limit P1M per request (catalogue P1Y, learned P1M on " in described

        # Another job of the same dataset plans within what was learned: nothing refused.
        sent = requests_for(api, "day_ahead_prices")
        again = backfill(
            app, "FR", "day_ahead_prices", "--start", "2023-01-01", "--end", "2024-01-01"
        )

        assert again["status"] == "completed"
        assert again["chunks"]["split"] == 0
        assert again["chunks"]["done"] == 12
        assert too_long(api, "day_ahead_prices") == 1
        assert requests_for(api, "day_ahead_prices") - sent == 12


def test_series_cut_short_are_reported_as_holes_and_healed_by_fill_gaps(
    cli: Cli, tmp_path: Path
) -> None:
    # As the API did for weeks: each series stops after 1,000 points, answered with HTTP 200.
    with running_emulator(tmp_path, "--cut-series", "1000", seed=14) as api:
        app = cli.with_env(
            **api.env(),
            ENTSOE_AREAS="NL",
            ENTSOE_DATASETS="actual_total_load",
            ENTSOE_HISTORY_YEARS="1",
        )
        first = app("fill-gaps").ok()
        report = app("status", first.job_id(), "--json").json()
        assert report["status"] == "completed"
        assert report["holes"] >= 12

        start = datetime.fromisoformat(report["start"])
        past = floor_to_day(datetime.now(UTC)).replace(day=1)
        period = ("--start", start.isoformat(), "--end", past.isoformat())
        quality = app(*QUALITY, *period)
        assert quality.code == 1, quality.explain()
        series = [s for s in _json(quality.stdout) if s["holes"]]
        assert series, quality.stdout
        assert all(s["stored"] < s["expected"] for s in series)
        assert "hole" in app("status", first.job_id()).ok().stdout

        control(api, "DELETE", "cut")
        second = app("fill-gaps").ok()

        healed = app(*QUALITY, *period)
        assert healed.code == 0, healed.explain()
        assert all(s["holes"] == 0 and s["stored"] == s["expected"] for s in _json(healed.stdout))
        assert app("status", second.job_id(), "--json").json()["holes"] == 0
        assert exported(app, "actual_total_load", "NL", start, past) == api.rows(
            "actual_total_load", "NL", start, past
        )


def _json(text: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads(text)
    return rows


def test_a_backfill_killed_in_the_middle_of_splits_resumes_with_every_chunk_done_once(
    cli: Cli, database_url: str, tmp_path: Path
) -> None:
    # Load ten days at a time where the catalogue says a month; every answer takes a second.
    options = ("--limit", "actual_total_load=P10D", "--fail-slow", "1.0", "--slow-seconds", "1")
    with running_emulator(tmp_path, *options, seed=15) as api:
        app = cli.with_env(
            **api.env(),
            ENTSOE_DATABASE_URL=database_url,
            ENTSOE_LEASE_SECONDS="3",
            ENTSOE_MAX_REQUESTS_IN_FLIGHT="2",
        )
        period = ("--start", "2024-01-01", "--end", "2024-04-01")
        running = app.start(
            "backfill", "--area", "NL", "--dataset", "actual_total_load", *period, name="split"
        )
        try:
            job_id = wait_for("the job id", lambda: _job_id(running.stdout))
            wait_for(
                "a split and a few chunks done",
                lambda: _split_under_way(app, job_id),
            )
            assert running.popen.poll() is None, "the backfill ended before it was killed"
            running.kill()
        finally:
            running.stop()

        resumed = app("resume", job_id).ok()
        report = app("status", job_id, "--json").json()
        start, end = utc("2024-01-01"), utc("2024-04-01")
        expected = api.rows("actual_total_load", "NL", start, end)
        assert exported(app, "actual_total_load", "NL", start, end) == expected
        assert resumed.stdout.startswith(f"job {job_id} completed"), resumed.explain()

    assert report["status"] == "completed"
    assert report["chunks"]["failed"] == 0
    assert report["points_written"] == len(expected)
    chunks = chunk_rows(database_url, job_id)
    done = [c for c in chunks if c["status"] == "done"]
    assert {c["status"] for c in chunks} == {"done", "split"}
    # The chunks done tile the period: nothing twice, nothing left out.
    spans = sorted((c["interval_start"], c["interval_end"]) for c in done)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(spans))
    ledger = query(database_url, "SELECT interval_start, interval_end FROM coverage")
    assert len(ledger) == len(done)
    assert Counter(ledger).most_common(1)[0][1] == 1
    [(stored,)] = query(database_url, "SELECT count(*) FROM observations")
    assert stored == len(expected)


def _job_id(stdout: str) -> str | None:
    first = stdout.splitlines()[0] if stdout.strip() else ""
    return first.split()[1] if first.startswith("job ") else None


def _split_under_way(app: Cli, job_id: str) -> bool | None:
    chunks = app("status", job_id, "--json").json()["chunks"]
    return (chunks["split"] >= 2 and chunks["done"] >= 2) or None


def test_a_backfill_meeting_an_outage_waits_it_out_and_fails_nothing(
    cli: Cli, tmp_path: Path
) -> None:
    with running_emulator(tmp_path, "--fail-slow", "1.0", "--slow-seconds", "0.5", seed=16) as api:
        app = cli.with_env(
            **api.env(),
            ENTSOE_MAX_REQUESTS_IN_FLIGHT="2",
            ENTSOE_OUTAGE_PROBE_SECONDS="1",
            ENTSOE_OUTAGE_PROBE_MAX_SECONDS="2",
        )
        period = ("--start", "2024-01-01", "--end", "2024-01-21", "--span", "day")
        running = app.start(
            "backfill", "--area", "NL", "--dataset", "actual_total_load", *period, name="outage"
        )
        try:
            job_id = wait_for("the job id", lambda: _job_id(running.stdout))
            wait_for(
                "a few chunks to be done",
                lambda: app("status", job_id, "--json").json()["chunks"]["done"] >= 3 or None,
            )
            control(api, "POST", "outage", kind="not-found", seconds="6")
            wait_for(
                "the outage to be seen",
                lambda: app("status", job_id, "--json").json()["source_outage"] or None,
                timeout=60,
            )
            result = running.wait()
        finally:
            running.stop()

        assert result.code == 0, result.explain()
        report = app("status", job_id, "--json").json()
        assert report["status"] == "completed"
        assert report["chunks"]["done"] == 20
        assert report["chunks"]["failed"] == 0
        assert report["source_outage"] is None
        start, end = utc("2024-01-01"), utc("2024-01-21")
        assert exported(app, "actual_total_load", "NL", start, end) == api.rows(
            "actual_total_load", "NL", start, end
        )
        stats = api.stats()
        assert stats["responses_by_status"].get("404", 0) >= 3
        assert "source unavailable since" in result.stderr
        assert "source available again" in result.stderr
