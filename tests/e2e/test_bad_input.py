"""Every bad input is one line on stderr, exit code 2, no traceback, and no write.

The commands run against a database that already holds a job and its data, so "no write" is
checked against every row of every table, not against an empty file.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.harness import FIXTURES, Cli, Emulator, base_environment, running_emulator, snapshot

pytestmark = pytest.mark.slow

BACKFILL = ("backfill", "--area", "NL", "--dataset", "actual_total_load")
WINDOW = ("--start", "2024-01-01", "--end", "2024-02-01")
FAR_FUTURE = ("--start", "9999-12-30", "--end", "9999-12-31")


@pytest.fixture(scope="module")
def populated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Cli, Emulator]]:
    """A folder whose SQLite file holds a completed job, and the emulator it came from."""
    folder = tmp_path_factory.mktemp("bad-input")
    url = f"sqlite+aiosqlite:///{folder / 'entsoe.sqlite3'}"
    with running_emulator(folder, seed=3) as emulator:
        cli = Cli(folder, {**base_environment(), "ENTSOE_DATABASE_URL": url, **emulator.env()})
        cli(*BACKFILL, *WINDOW).ok()
        yield cli, emulator


CASES: dict[str, tuple[tuple[str, ...], dict[str, str | None], tuple[str, ...]]] = {
    "unknown area": (
        ("backfill", "--area", "NLL", "--dataset", "actual_total_load", *WINDOW),
        {},
        ("unknown area 'NLL'", "did you mean NL?"),
    ),
    "unknown area among good ones": (
        ("backfill", "--area", "NL,Frnace", "--dataset", "actual_total_load", *WINDOW),
        {},
        ("unknown area 'Frnace'",),
    ),
    "unknown dataset": (
        ("backfill", "--area", "NL", "--dataset", "actual_total_lod", *WINDOW),
        {},
        ("unknown dataset 'actual_total_lod'", "did you mean actual_total_load"),
    ),
    "end before start": (
        (*BACKFILL, "--start", "2024-02-01", "--end", "2024-01-01"),
        {},
        ("must be after its start",),
    ),
    "empty period": (
        (*BACKFILL, "--start", "2024-02-01", "--end", "2024-02-01"),
        {},
        ("must be after its start",),
    ),
    "naive start": (
        (*BACKFILL, "--start", "2024-01-01T06:00", "--end", "2024-02-01"),
        {},
        ("'2024-01-01T06:00' has no UTC offset",),
    ),
    "naive end": (
        (*BACKFILL, "--start", "2024-01-01", "--end", "2024-02-01T06:00:00"),
        {},
        ("'2024-02-01T06:00:00' has no UTC offset",),
    ),
    "not a date": (
        (*BACKFILL, "--start", "last tuesday", "--end", "2024-02-01"),
        {},
        ("'last tuesday' is not a date",),
    ),
    "area before it existed": (
        (
            "backfill",
            "--area",
            "DE_LU",
            "--dataset",
            "actual_total_load",
            "--start",
            "2018-09-01",
            "--end",
            "2018-11-01",
        ),
        {},
        ("DE_LU", "exists from 2018-10-01"),
    ),
    "area after it ended": (
        (
            "backfill",
            "--area",
            "DE_AT_LU",
            "--dataset",
            "day_ahead_prices",
            "--start",
            "2018-09-01",
            "--end",
            "2018-11-01",
        ),
        {},
        ("DE_AT_LU",),
    ),
    "dataset before it existed": (
        (*BACKFILL, "--start", "2014-06-01", "--end", "2015-02-01"),
        {},
        ("dataset actual_total_load is published from 2014-12-31T23:00:00+00:00",),
    ),
    "span beyond the configured maximum": (
        (*BACKFILL, "--start", "2022-01-01", "--end", "2024-01-02"),
        {"ENTSOE_HISTORY_YEARS": "2"},
        ("longer than the configured maximum of 2 years", "ENTSOE_HISTORY_YEARS"),
    ),
    "backfill in year 9999": (
        (*BACKFILL, *FAR_FUTURE),
        {},
        ("start 9999-12-30T00:00:00+00:00 is outside the range", "2014-01-01 to 2100-01-01"),
    ),
    "backfill before 2014": (
        (*BACKFILL, "--start", "2013-01-01", "--end", "2013-02-01"),
        {},
        ("start 2013-01-01T00:00:00+00:00 is outside the range", "2014-01-01 to 2100-01-01"),
    ),
    "backfill ending at the last instant a date can hold": (
        (*BACKFILL, "--start", "2024-01-01", "--end", "9999-12-31T23:00-05:00"),
        {},
        ("end '9999-12-31T23:00-05:00' is outside the range", "2014-01-01 to 2100-01-01"),
    ),
    "coverage in year 9999": (
        ("coverage", "--area", "NL", "--dataset", "actual_total_load", *FAR_FUTURE),
        {},
        ("start 9999-12-30T00:00:00+00:00 is outside the range", "2014-01-01 to 2100-01-01"),
    ),
    "coverage up to year 9999": (
        ("coverage", "--area", "NL", "--dataset", "actual_total_load", "--end", "9999-12-31"),
        {},
        ("end 9999-12-31T00:00:00+00:00 is outside the range",),
    ),
    "export in year 9999": (
        ("export", "--area", "NL", "--dataset", "actual_total_load", *FAR_FUTURE),
        {},
        ("start 9999-12-30T00:00:00+00:00 is outside the range", "2014-01-01 to 2100-01-01"),
    ),
    "jobs on a database URL without a driver": (
        ("jobs",),
        {"ENTSOE_DATABASE_URL": "postgresql://entsoe:hunter2@127.0.0.1/entsoe"},
        ("'postgresql://entsoe:***@127.0.0.1/entsoe' uses 'postgresql'", "postgresql+asyncpg"),
    ),
    "backfill into an in-memory database": (
        (*BACKFILL, *WINDOW),
        {"ENTSOE_DATABASE_URL": "sqlite+aiosqlite:///:memory:"},
        ("in-memory SQLite database", "sqlite+aiosqlite:///path/to/entsoe.sqlite3"),
    ),
    "export from a database that is not a URL": (
        ("export", "--area", "NL", "--dataset", "actual_total_load", *WINDOW),
        {"ENTSOE_DATABASE_URL": "notaurl"},
        ("ENTSOE_DATABASE_URL 'notaurl' is not a database URL",),
    ),
    "serve a MySQL database": (
        ("serve", "--port", "0"),
        {"ENTSOE_DATABASE_URL": "mysql://entsoe:hunter2@127.0.0.1/entsoe"},
        ("uses 'mysql'", "sqlite+aiosqlite:///", "postgresql+asyncpg://"),
    ),
    "a single area for a border dataset": (
        ("backfill", "--area", "NL", "--dataset", "cross_border_physical_flows", *WINDOW),
        {},
        ("is about a border", "NL>DE_LU"),
    ),
    "no token for the real API": (
        (*BACKFILL, "--start", "2023-01-01", "--end", "2023-02-01"),
        {"ENTSOE_API_TOKEN": None, "ENTSOE_API_URL": None},
        ("no ENTSO-E API token", "ENTSOE_API_TOKEN"),
    ),
    "no token for a worker": (
        ("worker",),
        {"ENTSOE_API_TOKEN": None},
        ("no ENTSO-E API token",),
    ),
    "no token for fill-gaps": (
        ("fill-gaps",),
        {"ENTSOE_API_TOKEN": None, "ENTSOE_AREAS": "NL", "ENTSOE_DATASETS": "actual_total_load"},
        ("no ENTSO-E API token",),
    ),
    "a setting out of range": (
        (*BACKFILL, "--start", "2023-01-01", "--end", "2023-02-01"),
        {"ENTSOE_LEASE_SECONDS": "0"},
        ("ENTSOE_LEASE_SECONDS", "got 0"),
    ),
    "an unknown setting": (
        ("jobs",),
        {"ENTSOE_HISTORY_YEAR": "2"},
        ("unknown setting ENTSOE_HISTORY_YEAR",),
    ),
    "an unknown option": (
        (*BACKFILL, *WINDOW, "--spam", "day"),
        {},
        ("entsoe backfill: No such option '--spam'", "--span"),
    ),
    "a missing option": (
        ("backfill", "--area", "NL", *WINDOW),
        {},
        ("--dataset",),
    ),
    "unknown job to resume": (
        ("resume", "0123456789ab"),
        {},
        ("no backfill job with id '0123456789ab'", "entsoe jobs"),
    ),
    "unknown job to resume without a token": (
        ("resume", "0123456789ab"),
        {"ENTSOE_API_TOKEN": None},
        ("no backfill job with id '0123456789ab'",),
    ),
    "unknown job to cancel": (
        ("cancel", "0123456789ab"),
        {},
        ("no backfill job with id '0123456789ab'",),
    ),
    "unknown job's status": (
        ("status", "0123456789ab"),
        {},
        ("no backfill job with id '0123456789ab'",),
    ),
    "unknown job's status as JSON": (
        ("status", "0123456789ab", "--json"),
        {},
        ("no backfill job with id '0123456789ab'",),
    ),
    "coverage of an unknown dataset": (
        ("coverage", "--area", "NL", "--dataset", "prices", *WINDOW),
        {},
        ("unknown dataset 'prices'",),
    ),
    "export of an unknown area": (
        ("export", "--area", "Holland", "--dataset", "actual_total_load", *WINDOW),
        {},
        ("unknown area 'Holland'",),
    ),
    "export with a naive start": (
        (
            "export",
            "--area",
            "NL",
            "--dataset",
            "actual_total_load",
            "--start",
            "2024-01-01T00:00",
            "--end",
            "2024-02-01",
        ),
        {},
        ("has no UTC offset",),
    ),
    "fill-gaps with nothing configured": (
        ("fill-gaps",),
        {},
        ("nothing to keep fresh", "ENTSOE_AREAS"),
    ),
    "fill-gaps with an unknown configured area": (
        ("fill-gaps",),
        {"ENTSOE_AREAS": "NL,Narnia", "ENTSOE_DATASETS": "actual_total_load"},
        ("unknown area 'Narnia'",),
    ),
    "demo of an unknown area": (
        ("demo", "--area", "NLL", "--dataset", "actual_total_load"),
        {},
        ("unknown area 'NLL'",),
    ),
    "demo of a year before the dataset existed": (
        ("demo", "--area", "NL", "--dataset", "actual_total_load", "--year", "2014"),
        {},
        ("published from 2014-12-31",),
    ),
    "demo of a year before the range": (
        ("demo", "--area", "NL", "--dataset", "actual_total_load", "--year", "2010"),
        {},
        ("'--year': 2010 is not in the range 2014<=x<=2099",),
    ),
    "demo of year 9999": (
        ("demo", "--area", "NL", "--dataset", "actual_total_load", "--year", "9999"),
        {},
        ("'--year': 9999 is not in the range 2014<=x<=2099",),
    ),
    "demo with a setting out of range": (
        ("demo",),
        {"ENTSOE_HISTORY_YEARS": "99"},
        ("ENTSOE_HISTORY_YEARS must be between 1 and 10, got 99",),
    ),
    "import of a missing file": (
        ("import", "missing.xml"),
        {},
        ("missing.xml: cannot read it",),
    ),
    "import of an HTML page": (
        ("import", str(FIXTURES / "html_bad_request.html")),
        {},
        ("nothing was imported",),
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_one_line_exit_2_and_writes_nothing(
    case: str, populated: tuple[Cli, Emulator]
) -> None:
    cli, emulator = populated
    args, env, fragments = CASES[case]
    url = cli.env["ENTSOE_DATABASE_URL"]
    before = snapshot(url)
    requests = emulator.stats()["total_requests"]

    result = cli.with_env(**env)(*args)

    assert result.code == 2, result.explain()
    assert "Traceback" not in result.stderr, result.explain()
    assert len(result.stderr.strip().splitlines()) == 1, result.explain()
    for fragment in fragments:
        assert fragment in result.stderr, result.explain()
    assert result.stdout == "", result.explain()
    assert snapshot(url) == before
    assert emulator.stats()["total_requests"] == requests
