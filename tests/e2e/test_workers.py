"""Three ``entsoe worker`` processes on one PostgreSQL job, one killed mid-chunk.

Every chunk is committed exactly once, the killed worker's chunk is finished by another one
once its lease runs out, and together they never send more requests per minute than the budget
they share through the database.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path

import pytest

from tests.e2e.harness import (
    Cli,
    Process,
    chunk_rows,
    exported,
    query,
    running_emulator,
    utc,
    wait_for,
)

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

START, END = utc("2024-01-01"), utc("2024-03-12")
CHUNKS = 71
BUDGET, BURST = 60, 2
DONE_LINE = re.compile(
    r"^\[\d+\] done actual_total_load \S+ (\S+) \(\d+ points\) elapsed \d+:\d\d:\d\d$"
)


def test_three_workers_share_a_job_and_survive_one_killed_mid_chunk(
    cli: Cli, postgres_url: str, tmp_path: Path
) -> None:
    # The emulator bans past the budget a minute (the burst is within it); every answer takes
    # a second.
    with running_emulator(
        tmp_path,
        "--rate-limit",
        str(BUDGET),
        "--fail-slow",
        "1.0",
        "--slow-seconds",
        "1",
        seed=13,
    ) as api:
        app = cli.with_env(
            **api.env(),
            ENTSOE_DATABASE_URL=postgres_url,
            ENTSOE_RATE_LIMIT_PER_MINUTE=str(BUDGET),
            ENTSOE_RATE_LIMIT_BURST=str(BURST),
            ENTSOE_MAX_REQUESTS_IN_FLIGHT="1",
            ENTSOE_LEASE_SECONDS="8",
        )
        job_id = (
            app(
                "backfill",
                "--area",
                "NL",
                "--dataset",
                "actual_total_load",
                "--start",
                "2024-01-01",
                "--end",
                "2024-03-12",
                "--span",
                "day",
                "--no-run",
            )
            .ok()
            .job_id()
        )
        assert app("status", job_id, "--json").json()["chunks"]["pending"] == CHUNKS

        workers = [app.start("worker", name=f"worker-{n}") for n in range(3)]
        try:
            owners = [wait_for("the worker to start", partial(_owner, w)) for w in workers]
            victim = workers[1]
            wait_for("a few chunks to be done", lambda: _done(postgres_url, job_id) >= 5 or None)
            wait_for("the victim to hold a chunk", lambda: _held(postgres_url, owners[1]) or None)
            victim.kill()
            held = _held(postgres_url, owners[1])
            assert held, "the killed worker held no chunk"
            survivors = [workers[0].wait().ok(), workers[2].wait().ok()]
        finally:
            for worker in workers:
                worker.stop()
        served = api.stats()
        expected = api.rows("actual_total_load", "NL", START, END)
        assert exported(app, "actual_total_load", "NL", START, END) == expected

    chunks = {chunk["id"]: chunk for chunk in chunk_rows(postgres_url, job_id)}
    assert len(chunks) == CHUNKS
    assert {chunk["status"] for chunk in chunks.values()} == {"done"}
    report = app("status", job_id, "--json").json()
    assert report["status"] == "completed"
    assert report["points_written"] == len(expected)
    [(stored,)] = query(postgres_url, "SELECT count(*) FROM observations")
    assert stored == len(expected)

    # Every chunk committed once: one coverage entry and one "done" line per chunk.
    ledger = query(postgres_url, "SELECT interval_start, interval_end FROM coverage")
    assert len(ledger) == CHUNKS
    assert Counter(ledger).most_common(1)[0][1] == 1
    finished = Counter(span for worker in workers for span in _finished_spans(worker.stderr))
    spans = {_span(chunk) for chunk in chunks.values()}
    assert set(finished) == spans
    assert finished.most_common(1)[0][1] == 1
    assert (
        sum(int(s.stdout.split()[2]) for s in survivors) + len(_finished_spans(victim.stderr))
        == CHUNKS
    )

    # The chunk the killed worker held was finished by a survivor, after being claimed again.
    by_survivors = {span for s in survivors for span in _finished_spans(s.stderr)}
    for chunk_id in held:
        assert _span(chunks[chunk_id]) in by_survivors
        assert chunks[chunk_id]["version"] > 2, "claimed, then claimed again, then done"

    # The shared budget held in every 60-second window, and the run lasted longer than one.
    assert served["max_requests_in_60s"] <= BUDGET
    assert "429" not in served["responses_by_status"]
    assert served["total_requests"] > BUDGET
    assert served["total_requests"] >= report["requests"] >= CHUNKS


def _owner(worker: Process) -> str | None:
    found = re.search(r"^worker (\S+) started$", worker.stderr, re.MULTILINE)
    return found.group(1) if found else None


def _done(url: str, job_id: str) -> int:
    [(count,)] = query(
        url,
        f"SELECT count(*) FROM backfill_chunks WHERE job_id = '{job_id}' AND status = 'done'",
    )
    return int(count)


def _held(url: str, owner: str) -> list[str]:
    rows = query(
        url,
        f"SELECT id FROM backfill_chunks WHERE lease_owner = '{owner}' AND status = 'in_flight'",
    )
    return [row[0] for row in rows]


def _finished_spans(stderr: str) -> list[str]:
    return [found.group(1) for line in stderr.splitlines() if (found := DONE_LINE.match(line))]


def _span(chunk: dict[str, object]) -> str:
    """A chunk's interval as the progress lines print it."""
    start, end = chunk["interval_start"], chunk["interval_end"]
    assert isinstance(start, datetime)
    assert isinstance(end, datetime)
    assert end - start == timedelta(days=1)
    return f"{start:%Y-%m-%d}..{end:%Y-%m-%d}"
