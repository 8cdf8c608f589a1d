"""Versions of the same values, as a user meets them: ``entsoe import`` of an older copy of a
document after a newer one, and a backfill that fetches again what a newer version holds."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from adapters.sqlalchemy.tables import to_micros
from tests.e2e.harness import (
    FIXTURES,
    Cli,
    Emulator,
    exported,
    jsonl,
    query,
    sorted_rows,
    sqlite_path,
    utc,
)

pytestmark = pytest.mark.slow

DOCUMENT = "load_61a_actual_total_load_NL"  # revision 1, one day of NL load at PT15M
DAY_START, DAY_END = utc("2024-09-01T22:00"), utc("2024-09-02T22:00")


def _copy(directory: Path, name: str, created: str, shift: float) -> Path:
    """The recorded document, created at ``created``, every quantity raised by ``shift``."""
    text = (FIXTURES / f"{DOCUMENT}.xml").read_text()
    text, dated = re.subn(
        r"<createdDateTime>[^<]*</createdDateTime>",
        f"<createdDateTime>{created}</createdDateTime>",
        text,
    )
    assert dated == 1
    text = re.sub(
        r"<quantity>([^<]*)</quantity>",
        lambda m: f"<quantity>{float(m.group(1)) + shift}</quantity>",
        text,
    )
    path = directory / f"{name}.xml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "database", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_a_stale_copy_imported_after_a_fresh_one_keeps_the_fresh_values(
    cli: Cli, tmp_path: Path, database: str, request: pytest.FixtureRequest
) -> None:
    if database == "postgres":
        cli = cli.with_env(ENTSOE_DATABASE_URL=request.getfixturevalue("postgres_url"))
    fresh = _copy(tmp_path, "fresh", "2026-05-01T08:00:00Z", shift=0)
    stale = _copy(tmp_path, "stale", "2024-01-02T08:00:00Z", shift=1000)
    expected = sorted_rows(jsonl((FIXTURES / "expected" / f"{DOCUMENT}.jsonl").read_text()))
    points = len(expected)

    first = cli("import", str(fresh)).ok()
    second = cli("import", str(stale)).ok()

    assert f"{points} points read, {points} written, 0 kept" in first.stdout
    assert (
        f"imported 1 file(s): {points} points read, 0 written, "
        f"{points} kept (stored values are newer)"
    ) in second.stdout
    assert exported(cli, "actual_total_load", "NL", DAY_START, DAY_END) == expected
    created = query(
        cli.env["ENTSOE_DATABASE_URL"], "SELECT DISTINCT revision, created_at FROM observations"
    )
    fresh_created = utc("2026-05-01T08:00")
    assert created in ([(1, to_micros(fresh_created))], [(1, fresh_created)])

    # Importing the stale copy again changes nothing; a copy created later replaces.
    again = cli("import", str(stale)).ok()
    assert f"0 written, {points} kept" in again.stdout
    newer = _copy(tmp_path, "newer", "2026-05-01T08:00:01Z", shift=1)
    replaced = cli("import", str(newer)).ok()
    assert f"{points} points read, {points} written, 0 kept" in replaced.stdout
    assert [
        row["value"] for row in exported(cli, "actual_total_load", "NL", DAY_START, DAY_END)
    ] == [row["value"] + 1 for row in expected]


def test_a_backfill_counts_the_values_it_keeps_because_the_stored_ones_are_newer(
    cli: Cli, emulator: Emulator
) -> None:
    app = cli.with_env(**emulator.env())
    args = [
        "backfill",
        "--area",
        "NL",
        "--dataset",
        "actual_total_load",
        "--start",
        "2024-01-01",
        "--end",
        "2024-03-01",
    ]
    app(*args).ok()
    # January's values are now held at a newer revision than the source answers with; the
    # ledger is emptied so that the next backfill fetches both months again.
    database = sqlite_path(cli.env["ENTSOE_DATABASE_URL"])
    with sqlite3.connect(database) as db:
        newer = db.execute(
            "UPDATE observations SET revision = 2 WHERE ts < ?", (to_micros(utc("2024-02-01")),)
        ).rowcount
        (total,) = db.execute("SELECT count(*) FROM observations").fetchone()
        db.execute("DELETE FROM coverage")
    assert 0 < newer < total

    again = app(*args).ok()

    job_id = again.job_id()
    report = app("status", job_id, "--json").json()
    assert report["points_kept"] == newer
    # February's values come back as they are stored: nothing to write.
    assert report["points_written"] == 0
    assert report["points_unchanged"] == total - newer
    assert f"0 points, {newer} kept (stored values are newer), {total - newer} unchanged" in (
        app("status", job_id).ok().stdout
    )
    assert f"points, {newer} kept)" in again.stderr, again.explain()
    with sqlite3.connect(database) as db:
        kept = db.execute(
            "SELECT DISTINCT revision FROM observations WHERE ts < ?",
            (to_micros(utc("2024-02-01")),),
        ).fetchall()
    assert kept == [(2,)]
