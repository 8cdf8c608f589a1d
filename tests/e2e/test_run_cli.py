"""``entsoe run`` keeps a scope fresh while the emulator publishes new days, and its metrics
and JSON log lines say what happened (and never the token)."""

from __future__ import annotations

import json
import re
import signal
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from entrypoints.emulator.app import DEFAULT_TOKEN
from tests.e2e.harness import Cli, query, running_emulator, wait_for

pytestmark = pytest.mark.slow

DATASETS = ("actual_total_load", "day_ahead_prices")
EVERY_TWO_SECONDS = "*/2 * * * * *"


def samples(text: str, name: str) -> dict[str, float]:
    """The samples of metric ``name``: labels as written -> value."""
    found = {}
    for line in text.splitlines():
        match = re.fullmatch(rf"{name}(\{{.*\}})? (\S+)", line)
        if match:
            found[match.group(1) or ""] = float(match.group(2))
    return found


def lag_of(text: str, dataset: str) -> float | None:
    lags = samples(text, "entsoe_freshness_lag_seconds")
    return lags.get(f'{{area="10YNL----------L",dataset="{dataset}"}}')


def test_run_keeps_a_scope_fresh_as_new_days_are_published(cli: Cli, tmp_path: Path) -> None:
    published = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=3)
    with running_emulator(tmp_path, "--now", f"{published:%Y-%m-%dT%H:%M}", seed=3) as api:
        app = cli.with_env(
            **api.env(),
            ENTSOE_AREAS="NL",
            ENTSOE_DATASETS=",".join(DATASETS),
            ENTSOE_HISTORY_YEARS="1",
            ENTSOE_SCHEDULES=";".join(f"{d}={EVERY_TWO_SECONDS}" for d in DATASETS),
            ENTSOE_SCHEDULE_JITTER_SECONDS="0",
            ENTSOE_LOG_FORMAT="json",
        )
        running = app.start("-v", "run", "--metrics-port", "0", name="run")
        try:
            port = wait_for(
                "the metrics port",
                lambda: (
                    (m := re.search(r"metrics on http://127.0.0.1:(\d+)/metrics", running.stderr))
                    and int(m.group(1))
                ),
            )
            url = f"http://127.0.0.1:{port}/metrics"

            def fresh_until(edge: datetime) -> str | None:
                text = httpx.get(url, timeout=30).text
                lag = lag_of(text, "actual_total_load")
                behind = (datetime.now(UTC) - edge).total_seconds()
                # Fresh: the newest instant stored is within an hour of what is published.
                return text if lag is not None and lag <= behind + 3600 else None

            first = wait_for("the history filled", lambda: fresh_until(published), timeout=240)
            assert lag_of(first, "actual_total_load") >= 3 * 86400 - 3600  # type: ignore[operator]

            # A new day comes out: the next rounds fetch it.
            moved = published + timedelta(days=1)
            answer = httpx.post(
                api.url.removesuffix("/api") + "/_emulator/now",
                params={"at": f"{moved:%Y-%m-%dT%H:%M}"},
                timeout=10,
            )
            assert answer.status_code == 204
            later = wait_for("the new day fetched", lambda: fresh_until(moved), timeout=120)
            lag = lag_of(later, "actual_total_load")
            assert lag is not None
            assert lag < 3 * 86400 - 3600 - 12 * 3600

            # The metrics count each request once answered: between two scrapes, the
            # emulator's count lies between theirs (give or take the requests in flight).
            before = sum(samples(httpx.get(url, timeout=30).text, "entsoe_requests_total").values())
            served = api.stats()["total_requests"]
            final = httpx.get(url, timeout=30).text
            after = sum(samples(final, "entsoe_requests_total").values())
            assert before <= served <= after + 4
        finally:
            running.popen.send_signal(signal.SIGTERM)
            done = running.wait(timeout=60)
        assert done.code == 0, done.explain()
        assert "entsoe run: stopped" in done.stderr
        # Stopped cleanly: nothing left in flight, no round left running.
        database = app.env["ENTSOE_DATABASE_URL"]
        assert query(
            database, "SELECT count(*) FROM backfill_chunks WHERE status = 'in_flight'"
        ) == [(0,)]
        assert query(database, "SELECT count(*) FROM schedule_rounds WHERE state = 'running'") == [
            (0,)
        ]
        rounds = query(database, "SELECT dataset, count(*) FROM schedule_rounds GROUP BY dataset")
        assert {dataset for dataset, _ in rounds} == set(DATASETS)

        jobs = app("jobs", "--json").json()
        assert {job["kind"] for job in jobs} == {"gap_fill"}
        # A job still running when it stopped stays in progress, its chunks handed back.
        assert {job["status"] for job in jobs} <= {"completed", "in_progress"}
        assert {d for job in jobs for d in job["datasets"]} == set(DATASETS)
        requests = sum(job["requests"] for job in jobs)
        assert requests <= api.stats()["total_requests"]
        counted = samples(final, "entsoe_requests_total")
        assert sum(counted.values()) <= requests
        assert set(counted) <= {
            f'{{dataset="{d}",outcome="{o}"}}' for d in DATASETS for o in ("ok", "no_data")
        }
        written = samples(final, "entsoe_points_written_total")
        assert sum(written.values()) <= sum(job["points_written"] for job in jobs)
        assert sum(written.values()) > 0

        lines = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
        chunks = [line for line in lines if line.get("logger") == "entsoe.run"]
        assert chunks
        for line in chunks:
            assert {"job", "chunk", "dataset", "area", "outcome"} <= set(line)
            assert line["dataset"] in DATASETS
            assert line["area"] == "10YNL----------L"
        assert DEFAULT_TOKEN not in done.stderr
        assert DEFAULT_TOKEN not in final


def test_run_and_serve_refuse_to_keep_nothing_fresh(cli: Cli) -> None:
    app = cli.with_env(ENTSOE_API_TOKEN="t", ENTSOE_AREAS=None, ENTSOE_DATASETS=None)
    for args in (("run",), ("serve", "--port", "0")):
        result = app.with_env(ENTSOE_SERVE_SCHEDULER="true")(*args, timeout=60)
        assert result.code == 2, result.explain()
        assert "nothing to keep fresh: set ENTSOE_AREAS and ENTSOE_DATASETS" in result.stderr


def test_a_bad_schedule_is_refused_by_name(cli: Cli) -> None:
    result = cli.with_env(
        ENTSOE_API_TOKEN="t",
        ENTSOE_AREAS="NL",
        ENTSOE_DATASETS="day_ahead_prices",
        ENTSOE_SCHEDULES="day_ahead_prices=every noon",
    )("run", timeout=60)
    assert result.code == 2, result.explain()
    assert "ENTSOE_SCHEDULES: day_ahead_prices: 'every noon' is not a cron expression" in (
        result.stderr
    )


@pytest.mark.postgres
def test_two_runs_on_one_postgresql_run_each_round_once(
    cli: Cli, tmp_path: Path, postgres_url: str
) -> None:
    published = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=2)
    with running_emulator(tmp_path, "--now", f"{published:%Y-%m-%dT%H:%M}", seed=4) as api:
        app = cli.with_env(
            **api.env(),
            ENTSOE_DATABASE_URL=postgres_url,
            ENTSOE_AREAS="NL",
            ENTSOE_DATASETS="day_ahead_prices",
            ENTSOE_HISTORY_YEARS="1",
            ENTSOE_SCHEDULES=f"day_ahead_prices={EVERY_TWO_SECONDS}",
            ENTSOE_SCHEDULE_JITTER_SECONDS="0",
            ENTSOE_LOG_FORMAT="json",
        )
        runs = [app.start("-v", "run", name=f"run-{i}") for i in range(2)]
        try:
            wait_for(
                "ten rounds",
                lambda: (
                    n
                    if (n := query(postgres_url, "SELECT count(*) FROM schedule_rounds")[0][0])
                    >= 10
                    else None
                ),
                timeout=120,
            )
        finally:
            for running in runs:
                running.popen.send_signal(signal.SIGTERM)
            stopped = [running.wait(timeout=60) for running in runs]
    for done in stopped:
        assert done.code == 0, done.explain()

    # Per round: started, less handed back when stopped mid-round, is once for each round
    # recorded, whichever of the two ran it.
    runs_of: Counter[str] = Counter()
    for done in stopped:
        for line in done.stderr.splitlines():
            if line.startswith("{"):
                record = json.loads(line)
                due = (
                    record["message"].split(" ")[2]
                    if record["logger"].endswith("scheduler")
                    else ""
                )
                if record.get("outcome") == "started":
                    runs_of[due] += 1
                elif record.get("outcome") == "handed_back":
                    runs_of[due] -= 1
    rows = query(postgres_url, "SELECT due_at, state FROM schedule_rounds")
    assert len(rows) >= 10 - len(stopped)  # each may have handed one back
    assert {state for _, state in rows} == {"done"}
    recorded = {f"{due.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}" for due, _ in rows}
    assert {due: n for due, n in runs_of.items() if n} == dict.fromkeys(recorded, 1)


def test_a_worker_serves_its_metrics(cli: Cli, tmp_path: Path) -> None:
    with running_emulator(tmp_path, "--now", "2026-03-01T00:00", seed=2) as api:
        app = cli.with_env(**api.env())
        app(
            "backfill",
            "--no-run",
            "--area",
            "NL",
            "--dataset",
            "actual_total_load",
            "--start",
            "2026-01-01",
            "--end",
            "2026-03-01",
        ).ok()
        running = app.start("worker", "--follow", "--metrics-port", "0", name="worker")
        try:
            port = wait_for(
                "the metrics port",
                lambda: (
                    (m := re.search(r"metrics on http://127.0.0.1:(\d+)/metrics", running.stderr))
                    and int(m.group(1))
                ),
            )

            def two_chunks() -> str | None:
                text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=30).text
                done = samples(text, "entsoe_chunk_duration_seconds_count")
                return text if sum(done.values()) >= 2 else None

            text = wait_for("two chunks done", two_chunks, timeout=120)
            stats = api.stats()
        finally:
            running.popen.send_signal(signal.SIGTERM)
            running.wait(timeout=60)
    assert samples(text, "entsoe_requests_total") == {
        '{dataset="actual_total_load",outcome="ok"}': float(stats["total_requests"])
    }
    assert samples(text, "entsoe_jobs")['{state="completed"}'] == 1.0
    assert DEFAULT_TOKEN not in text


def test_bans_failures_and_echoed_tokens_show_in_metrics_and_logs_but_never_the_token(
    cli: Cli, tmp_path: Path
) -> None:
    options = ("--now", "2026-03-01T00:00", "--rate-limit", "6", "--ban-seconds", "1")
    with running_emulator(tmp_path, *options, "--fail-503", "0.3", seed=9) as api:
        echo = f"<html><body>you sent securityToken={DEFAULT_TOKEN}</body></html>".encode()
        httpx.post(
            api.url.removesuffix("/api") + "/_emulator/answers",
            params={"documentType": "A65", "times": "2"},
            content=echo,
            headers={"content-type": "text/html"},
            timeout=10,
        ).raise_for_status()
        app = cli.with_env(
            **api.env(),
            ENTSOE_AREAS="NL",
            ENTSOE_DATASETS="actual_total_load,day_ahead_prices",
            ENTSOE_HISTORY_YEARS="1",
            ENTSOE_RETRY_BASE_SECONDS="0.05",
            ENTSOE_RETRY_MAX_SECONDS="0.2",
            ENTSOE_RETRY_ATTEMPTS="8",
            ENTSOE_SCHEDULE_JITTER_SECONDS="0",
        )
        running = app.start(
            "-v", "--log-format", "json", "run", "--metrics-port", "0", name="hostile"
        )
        try:
            port = wait_for(
                "the metrics port",
                lambda: (
                    (m := re.search(r"metrics on http://127.0.0.1:(\d+)/metrics", running.stderr))
                    and int(m.group(1))
                ),
            )
            url = f"http://127.0.0.1:{port}/metrics"

            def banned_and_failed() -> str | None:
                text = httpx.get(url, timeout=30).text
                outcomes = samples(text, "entsoe_requests_total")
                seen = {label.split('outcome="')[1].rstrip('"}') for label in outcomes}
                crafted = api.stats()["faults"].get("crafted", 0)
                wanted = {"ok", "rate_limited", "transient"} <= seen and crafted == 2
                return text if wanted else None

            wait_for("bans and transient failures", banned_and_failed, timeout=240)
            first = httpx.get(url, timeout=30).text
            stats = api.stats()
            served = stats["responses_by_status"]
            final = httpx.get(url, timeout=30).text
        finally:
            running.popen.send_signal(signal.SIGTERM)
            done = running.wait(timeout=60)
    assert done.code == 0, done.explain()
    assert stats["faults"]["crafted"] == 2  # the pages that echo the token were served

    def total(text: str, name: str, outcome: str | None = None) -> float:
        found = samples(text, name)
        return sum(v for label, v in found.items() if outcome is None or f'"{outcome}"' in label)

    # Each 429 the emulator answered is one ban and one rate-limited request here.
    assert total(first, "entsoe_bans_total") <= served["429"] <= total(final, "entsoe_bans_total")
    assert total(final, "entsoe_requests_total", "rate_limited") == total(
        final, "entsoe_bans_total"
    )
    assert total(final, "entsoe_banned_seconds_total") > 0
    assert total(final, "entsoe_retries_total") > 0
    lines = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    outcomes = {line.get("outcome") for line in lines}
    assert {"rate_limited", "banned", "transient", "retrying", "done"} <= outcomes
    for text in (done.stderr, first, final, app("jobs", "--json").stdout):
        assert DEFAULT_TOKEN not in text
