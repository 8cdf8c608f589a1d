"""``entsoe backfill``, ``status``, ``jobs``, ``coverage``, ``export``, ``cancel`` and ``resume``
against the emulator, on a SQLite file, as a user runs them."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from entrypoints.wire import EXPORT_FIELDS, SPARSE_FIELDS
from tests.e2e.harness import (
    Cli,
    Emulator,
    as_parsed,
    exported,
    jsonl,
    running_emulator,
    snapshot,
    sorted_rows,
    utc,
)

pytestmark = pytest.mark.slow

START, END = utc("2024-01-01"), utc("2024-03-01")
PAIRS = [
    (dataset, area)
    for area in ("NL", "DE_LU")
    for dataset in ("actual_total_load", "day_ahead_prices")
]


def backfill_args(*extra: str) -> list[str]:
    return [
        "backfill",
        "--area",
        "NL,DE_LU",
        "--dataset",
        "actual_total_load",
        "--dataset",
        "day_ahead_prices",
        "--start",
        "2024-01-01",
        "--end",
        "2024-03-01",
        *extra,
    ]


def test_backfill_stores_exactly_what_the_emulator_publishes(cli: Cli, emulator: Emulator) -> None:
    app = cli.with_env(**emulator.env())
    assert app("jobs").ok().stdout.strip() == "no jobs yet; start one with `entsoe backfill`"
    assert app("jobs", "--json").json() == []
    before = emulator.stats()["total_requests"]

    result = app(*backfill_args()).ok()

    job_id = result.job_id()
    # Without a cap each request asks for as much as the API allows: a month of load, and
    # the two months of prices at once.
    assert result.stdout.splitlines()[-1].startswith(f"job {job_id} completed, chunks 6/6 done")
    # Without a terminal the progress is one plain line per chunk on stderr.
    assert result.stderr.count(" done ") == 6, result.explain()
    expected_points = 0
    for dataset, area in PAIRS:
        expected = emulator.rows(dataset, area, START, END)
        assert expected, f"the model publishes {dataset} for {area}"
        assert exported(cli, dataset, area, START, END) == expected
        expected_points += len(expected)
    assert emulator.stats()["total_requests"] - before == 6

    report = app("status", job_id, "--json").json()
    assert report["id"] == job_id
    assert report["status"] == "completed"
    assert report["kind"] == "backfill"
    assert report["running"] is False
    assert report["chunks"] == {
        "pending": 0,
        "in_flight": 0,
        "done": 6,
        "failed": 0,
        "cancelled": 0,
        "split": 0,
    }
    assert report["chunks_total"] == 6
    assert report["points_written"] == expected_points
    assert report["requests"] == 6
    assert report["last_error"] is None
    # The HTTP API's job body: instants in RFC 3339 with Z.
    assert report["start"] == START.isoformat().replace("+00:00", "Z")
    assert report["end"] == END.isoformat().replace("+00:00", "Z")
    assert report["datasets"] == ["actual_total_load", "day_ahead_prices"]
    text = app("status", job_id).ok().stdout
    assert text.startswith(f"job {job_id} completed, chunks 6/6 done, {expected_points} points")
    # With nothing unfinished, status shows the job that finished last.
    latest = app("status").ok().stdout.splitlines()
    assert latest == ["no unfinished jobs; the most recent:", *text.splitlines()]
    assert app("status", "--json").json() == []

    # Asking again for what is stored plans nothing, sends nothing and creates no job; so
    # does resuming.
    stored = snapshot(cli.env["ENTSOE_DATABASE_URL"])
    again = app(*backfill_args()).ok()
    assert again.stdout.startswith("nothing to fetch: the 4 (dataset, area) pair(s) are covered")
    assert "job" not in again.stdout.replace("no job was created", "")
    resumed = app("resume", job_id).ok()
    assert resumed.stdout.startswith(f"job {job_id} completed, chunks 6/6 done")
    assert emulator.stats()["total_requests"] - before == 6
    now = snapshot(cli.env["ENTSOE_DATABASE_URL"])
    assert (now["observations"], now["coverage"]) == (stored["observations"], stored["coverage"])

    listed = app("jobs", "--json").json()
    assert [(job["id"], job["status"], job["chunks_total"]) for job in listed] == [
        (job_id, "completed", 6),
    ]
    lines = app("jobs").ok().stdout.splitlines()
    assert [line.split()[:3] for line in lines] == [[job_id, "completed", "backfill"]]
    assert lines[0].endswith(
        "2024-01-01..2024-03-01  6/6 chunks  NL,DE_LU  actual_total_load,day_ahead_prices"
    )


def test_coverage_shows_what_is_covered_and_what_is_missing(cli: Cli, emulator: Emulator) -> None:
    app = cli.with_env(**emulator.env())
    app(*backfill_args()).ok()
    window = ["--start", "2023-12-01", "--end", "2024-04-01"]

    reports = app(
        "coverage", "--area", "NL,DE_LU", "--dataset", "actual_total_load", *window, "--json"
    ).json()

    assert [(r["dataset"], r["area_label"]) for r in reports] == [
        ("actual_total_load", "NL"),
        ("actual_total_load", "DE_LU"),
    ]
    for report in reports:
        assert report["start"] == "2023-12-01T00:00:00Z"
        assert report["end"] == "2024-04-01T00:00:00Z"
        assert report["covered"] == [
            {"start": "2024-01-01T00:00:00Z", "end": "2024-03-01T00:00:00Z"}
        ]
        assert report["no_data"] == []
        assert report["provisional"] == []
        assert report["missing"] == [
            {"start": "2023-12-01T00:00:00Z", "end": "2024-01-01T00:00:00Z"},
            {"start": "2024-03-01T00:00:00Z", "end": "2024-04-01T00:00:00Z"},
        ]

    text = app("coverage", "--area", "NL", "--dataset", "day_ahead_prices", *window).ok()
    assert text.stdout.splitlines() == [
        "day_ahead_prices NL [2023-12-01T00:00:00+00:00, 2024-04-01T00:00:00+00:00)",
        "  covered: 2024-01-01T00:00:00+00:00..2024-03-01T00:00:00+00:00",
        "  no data: none",
        "  provisional: none",
        "  missing: 2023-12-01T00:00:00+00:00..2024-01-01T00:00:00+00:00, "
        "2024-03-01T00:00:00+00:00..2024-04-01T00:00:00+00:00",
        "legend (each instant of a window is in exactly one):",
        "  covered: fetched with data; final",
        '  no data: the source answered "no data published"; final',
        "  provisional: fetched recently or with holes; gap-filling asks again",
        "  missing: never fetched",
    ]


def test_coverage_records_no_data_answers(cli: Cli, tmp_path: Path) -> None:
    with running_emulator(tmp_path, "--data-start", "2024-02-01") as late:
        app = cli.with_env(**late.env())
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
                "2024-03-01",
            )
            .ok()
            .job_id()
        )

        assert app("status", job_id, "--json").json()["status"] == "completed"
        [report] = app(
            "coverage",
            "--area",
            "NL",
            "--dataset",
            "actual_total_load",
            "--start",
            "2024-01-01",
            "--end",
            "2024-03-01",
            "--json",
        ).json()
        assert report["no_data"] == [
            {"start": "2024-01-01T00:00:00Z", "end": "2024-02-01T00:00:00Z"}
        ]
        # One partition: the "no data" month is not covered as well.
        assert report["covered"] == [
            {"start": "2024-02-01T00:00:00Z", "end": "2024-03-01T00:00:00Z"}
        ]
        assert report["provisional"] == []
        assert report["missing"] == []
        rows = late.rows("actual_total_load", "NL", START, END)
        assert rows[0]["timestamp"] == "2024-02-01T00:00:00Z"
        assert exported(cli, "actual_total_load", "NL", START, END) == rows


def test_export_writes_csv_and_jsonl_files(cli: Cli, emulator: Emulator) -> None:
    # The week holds the switch to summer time: a 23-hour local day.
    start, end = utc("2024-03-25"), utc("2024-04-02")
    app = cli.with_env(**emulator.env())
    app(
        "backfill",
        "--area",
        "DE_LU",
        "--dataset",
        "day_ahead_prices",
        "--start",
        "2024-03-25",
        "--end",
        "2024-04-02",
        "--span",
        "day",
    ).ok()
    expected = emulator.rows("day_ahead_prices", "DE_LU", start, end)
    assert {row["classification_position"] for row in expected} == {"1", "2"}
    window = [
        "--area",
        "DE_LU",
        "--dataset",
        "day_ahead_prices",
        "--start",
        "2024-03-25",
        "--end",
        "2024-04-02",
    ]

    as_jsonl = app("export", *window, "--format", "jsonl", "-o", "prices.jsonl").ok()
    as_csv = app("export", *window, "--format", "csv", "--output", "prices.csv").ok()

    for result in (as_jsonl, as_csv):
        assert result.stdout == ""
        assert result.stderr.strip() == f"exported {len(expected)} observation(s)"
    as_jsonl_rows = jsonl((cli.cwd / "prices.jsonl").read_text())
    assert sorted_rows(as_parsed(as_jsonl_rows, "day_ahead_prices", "DE_LU")) == expected
    with (cli.cwd / "prices.csv").open(newline="") as file:
        header, *lines = list(csv.reader(file))
    assert tuple(header) == EXPORT_FIELDS
    # A CSV row has a column for every field; a JSON row leaves the sparse ones out where
    # they are empty, as they are for prices.
    from_csv = [
        {
            **{k: v for k, v in zip(header, line, strict=True) if v or k not in SPARSE_FIELDS},
            "value": float(line[header.index("value")]),
        }
        for line in lines
    ]
    assert from_csv == as_jsonl_rows

    to_stdout = app("export", *window, "--format", "csv").ok()
    header, *lines = list(csv.reader(io.StringIO(to_stdout.stdout)))
    assert tuple(header) == EXPORT_FIELDS
    assert len(lines) == len(expected)


def test_export_replaces_its_file_only_once_every_row_is_written(
    cli: Cli, emulator: Emulator
) -> None:
    app = cli.with_env(**emulator.env())
    window = ("--start", "2024-01-01", "--end", "2024-01-03")
    app("backfill", "--area", "NL", "--dataset", "actual_total_load", *window).ok()
    export = ("export", "--area", "NL", "--dataset", "actual_total_load", *window)
    kept = cli.cwd / "keep.csv"
    kept.write_text("rows of an earlier export\n")
    kept.chmod(0o640)
    broken = cli.cwd / "broken.sqlite3"
    broken.write_text("this file is not a database")

    failed = app.with_env(ENTSOE_DATABASE_URL=f"sqlite+aiosqlite:///{broken}")(
        *export, "-o", "keep.csv"
    )

    assert failed.code == 1, failed.explain()
    assert "database error" in failed.stderr
    assert kept.read_text() == "rows of an earlier export\n"
    assert sorted(p.name for p in cli.cwd.glob("*keep.csv*")) == ["keep.csv"]

    done = app(*export, "-o", "keep.csv").ok()

    header, *lines = list(csv.reader(io.StringIO(kept.read_text())))
    expected = emulator.rows("actual_total_load", "NL", utc("2024-01-01"), utc("2024-01-03"))
    assert tuple(header) == EXPORT_FIELDS
    assert len(lines) == len(expected) > 0
    assert done.stderr.strip() == f"exported {len(expected)} observation(s)"
    assert kept.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in cli.cwd.glob("*keep.csv*")) == ["keep.csv"]


def test_an_export_that_fails_before_reading_prints_no_header(cli: Cli) -> None:
    broken = cli.cwd / "broken.sqlite3"
    broken.write_text("this file is not a database")
    export = ("export", "--area", "NL", "--dataset", "actual_total_load")

    result = cli.with_env(ENTSOE_DATABASE_URL=f"sqlite+aiosqlite:///{broken}")(
        *export, "--start", "2024-01-01", "--end", "2024-01-03"
    )

    assert result.code == 1, result.explain()
    assert result.stdout == ""


def test_a_failed_job_exits_1_with_its_last_error_and_resumes(
    cli: Cli, emulator: Emulator, tmp_path: Path
) -> None:
    # Truncated bodies: transient, but not a sign of an outage, so the chunks run out of
    # attempts (a 503 would be waited out; see test_outage_cli.py).
    with running_emulator(tmp_path, "--fail-truncate", "1.0") as broken:
        failing = cli.with_env(
            **broken.env(), ENTSOE_RETRY_ATTEMPTS="2", ENTSOE_RETRY_BASE_SECONDS="0.01"
        )
        result = failing(
            "backfill",
            "--area",
            "NL",
            "--dataset",
            "actual_total_load",
            "--start",
            "2024-01-01",
            "--end",
            "2024-03-01",
        )
        assert broken.stats()["responses_by_status"] == {"200": 4}

    assert result.code == 1, result.explain()
    assert "Traceback" not in result.stderr
    job_id = result.job_id()
    summary, last_error = result.stdout.splitlines()[1:]
    assert summary.startswith(f"job {job_id} failed, chunks 0/2 done, 2 failed")
    assert last_error.startswith("  last error: gave up after 2 attempts:")
    report = cli("status", job_id, "--json").json()
    assert report["status"] == "failed"
    assert report["chunks"]["failed"] == 2
    assert report["last_error"] == last_error.removeprefix("  last error: ")
    assert [r["id"] for r in cli("status", "--json").json()] == [job_id]
    assert exported(cli, "actual_total_load", "NL", START, END) == []

    resumed = cli.with_env(**emulator.env())("resume", job_id).ok()

    assert resumed.stdout.startswith(f"job {job_id} completed, chunks 2/2 done")
    assert cli("status", job_id, "--json").json()["last_error"] is None
    assert exported(cli, "actual_total_load", "NL", START, END) == emulator.rows(
        "actual_total_load", "NL", START, END
    )


def test_a_job_made_with_no_run_waits_and_can_be_cancelled(cli: Cli) -> None:
    # --no-run fetches nothing, so it needs no token.
    created = cli(*backfill_args("--span", "day", "--no-run")).ok()

    job_id = created.job_id()
    assert "in_progress, chunks 0/240 done, 240 pending" in created.stdout
    assert "nobody is running it" in created.stdout
    report = cli("status", job_id, "--json").json()
    assert (report["status"], report["running"], report["chunks"]["pending"]) == (
        "in_progress",
        False,
        240,
    )
    assert report["requests"] == 0

    cancelled = cli("cancel", job_id).ok()

    assert cancelled.stdout.startswith(f"job {job_id} cancelled, chunks 0/240 done, 240 cancelled")
    report = cli("status", job_id, "--json").json()
    assert report["status"] == "cancelled"
    assert report["chunks"]["cancelled"] == 240
    assert cli("status", "--json").json() == []
    assert cli("jobs").ok().stdout.split()[:2] == [job_id, "cancelled"]

    # A token (and an address nothing listens on): the refusal must come before any request.
    app = cli.with_env(ENTSOE_API_TOKEN="unused", ENTSOE_API_URL="http://127.0.0.1:9/api")
    before = snapshot(cli.env["ENTSOE_DATABASE_URL"])
    for again in (app("resume", job_id), app("cancel", job_id)):
        assert again.code == 2, again.explain()
        assert again.stderr.strip() == (
            f"entsoe: job {job_id} cannot go from 'cancelled' to "
            f"'{'in_progress' if again.args[0] == 'resume' else 'cancelled'}'"
        )
        assert again.stdout == ""
    assert snapshot(cli.env["ENTSOE_DATABASE_URL"]) == before


def test_jobs_lists_the_newest_as_asked_and_says_how_many_it_leaves_out(cli: Cli) -> None:
    made = [cli(*backfill_args("--span", "month", "--no-run")).ok().job_id() for _ in range(3)]
    cancelled = made[0]
    cli("cancel", cancelled).ok()

    every = cli("jobs", "--json").ok()
    newest = cli("jobs", "--limit", "2").ok()
    only = cli("jobs", "--status", "cancelled", "--json").ok()
    refused = cli("jobs", "--limit", "0")

    assert [job["id"] for job in every.json()] == made[::-1]
    assert every.stderr == ""
    assert [line.split()[0] for line in newest.stdout.splitlines()] == made[:0:-1]
    assert newest.stderr.strip() == "the newest 2 of 3 jobs; --limit 3 lists them all"
    assert [job["id"] for job in only.json()] == [cancelled]
    assert refused.code == 2, refused.explain()
    assert "--limit" in refused.stderr
    assert "0 is not in the range x>=1" in refused.stderr


def test_a_rejected_token_fails_the_job_and_never_shows(cli: Cli, tmp_path: Path) -> None:
    secret = "not-the-right-token-3f9a1c"
    with running_emulator(tmp_path, "--token", "the-right-token") as api:
        app = cli.with_env(**{**api.env(), "ENTSOE_API_TOKEN": secret})
        result = app(
            "backfill",
            "--area",
            "NL",
            "--dataset",
            "actual_total_load",
            "--start",
            "2024-01-01",
            "--end",
            "2024-03-01",
        )
        assert api.stats()["responses_by_status"] == {"401": 2}

    assert result.code == 1, result.explain()
    assert "Traceback" not in result.stderr
    assert "last error: token rejected by the ENTSO-E API (HTTP 401)" in result.stdout
    assert "ENTSOE_API_TOKEN" in result.stdout
    report = cli("status", result.job_id(), "--json")
    stored = snapshot(cli.env["ENTSOE_DATABASE_URL"])
    for shown in (result.stdout, result.stderr, report.stdout, repr(stored)):
        assert secret not in shown
