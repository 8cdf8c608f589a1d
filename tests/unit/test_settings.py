"""Settings from environment variables, with clear errors."""

from __future__ import annotations

from datetime import UTC

import pytest

from entrypoints.settings import load_settings
from entsoe_core.breaker import BreakerPolicy
from entsoe_core.errors import ConfigurationError
from entsoe_core.plan import ChunkSpan


def test_defaults() -> None:
    settings = load_settings({"PATH": "/usr/bin"})
    assert settings.database_url == "sqlite+aiosqlite:///entsoe.sqlite3"
    assert settings.api_url == "https://web-api.tp.entsoe.eu/api"
    assert settings.api_token is None
    assert settings.backfill.rate_limit_per_minute == 350
    assert settings.backfill.chunk_span is None


@pytest.mark.parametrize("value", ["", "none", " None "])
def test_an_empty_or_none_chunk_span_is_no_cap(value: str) -> None:
    assert load_settings({"ENTSOE_CHUNK_SPAN": value}).backfill.chunk_span is None


def test_entsoe_and_backfill_prefixes() -> None:
    settings = load_settings(
        {
            "ENTSOE_API_TOKEN": "s3cret-token",
            "BACKFILL__HISTORY_YEARS": "5",
            "ENTSOE_CHUNK_SPAN": "Year",
            "ENTSOE_AREAS": "NL, DE_LU",
            "ENTSOE_MAX_REQUESTS_IN_FLIGHT": "8",
        }
    )
    assert settings.backfill.history_years == 5
    assert settings.backfill.chunk_span is ChunkSpan.YEAR
    assert settings.backfill.areas == ("NL", "DE_LU")
    assert settings.backfill.limits.max_requests_in_flight == 8
    assert settings.api_token is not None
    assert settings.api_token.reveal() == "s3cret-token"
    assert "s3cret-token" not in repr(settings)


def test_the_areas_kept_fresh_may_be_the_scopes_all_and_all_borders() -> None:
    settings = load_settings({"ENTSOE_AREAS": "all, all-borders, NL"})
    assert settings.backfill.areas == ("all", "all-borders", "NL")


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"ENTSOE_HISTORY_YEARS": "11"}, "ENTSOE_HISTORY_YEARS must be between 1 and 10, got 11"),
        ({"BACKFILL__HISTORY_YEARS": "many"}, "ENTSOE_HISTORY_YEARS"),
        (
            {"ENTSOE_CHUNK_SPAN": "week"},
            "expected one of day, month, quarter, year \\(or none\\), got 'week'",
        ),
        ({"ENTSOE_RATE_LIMIT_PER_MINUTE": "500"}, "between 1 and 400, got 500"),
        (
            {"ENTSOE_RATE_LIMIT_PER_MINUTE": "11"},
            r"ENTSOE_RATE_LIMIT_PER_MINUTE \(11\) and ENTSOE_RATE_LIMIT_BURST \(10\): .* "
            r"above burst \+ 1 \(11\)",
        ),
        ({"ENTSOE_AREAS": "NL,XX"}, "unknown area 'XX'"),
        ({"ENTSOE_AREAS": "all,XX"}, "unknown area 'XX'"),
        ({"ENTSOE_DATASETS": "prices"}, "unknown dataset 'prices'"),
        ({"ENTSOE_COLOUR": "blue"}, "unknown setting ENTSOE_COLOUR"),
        ({"BACKFILL__API_URL": "x"}, "unknown setting BACKFILL__API_URL"),
        ({"ENTSOE_RETRY_ATTEMPTS": "3", "BACKFILL__RETRY_ATTEMPTS": "4"}, "disagree"),
        ({"ENTSOE_OUTAGE_THRESHOLD": "0"}, "ENTSOE_OUTAGE_THRESHOLD must be between 1 and 100"),
        (
            {"ENTSOE_OUTAGE_THRESHOLD": "4", "ENTSOE_RETRY_ATTEMPTS": "3"},
            r"ENTSOE_OUTAGE_THRESHOLD \(4\) must not exceed ENTSOE_RETRY_ATTEMPTS \(3\)",
        ),
        (
            {"ENTSOE_OUTAGE_PROBE_SECONDS": "600", "ENTSOE_OUTAGE_PROBE_MAX_SECONDS": "60"},
            r"ENTSOE_OUTAGE_PROBE_MAX_SECONDS \(60.0\) must not be below",
        ),
    ],
)
def test_bad_settings_name_the_variable_and_value(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        load_settings(environ)


def test_the_breaker_settings_make_its_policy() -> None:
    settings = load_settings(
        {
            "ENTSOE_OUTAGE_THRESHOLD": "2",
            "ENTSOE_OUTAGE_PROBE_SECONDS": "10",
            "BACKFILL__OUTAGE_PROBE_MAX_SECONDS": "600",
        }
    )
    assert settings.backfill.breaker == BreakerPolicy(
        threshold=2, first_probe_seconds=10, max_probe_seconds=600
    )
    assert load_settings({}).backfill.breaker == BreakerPolicy(threshold=3)
    fewer_attempts = load_settings({"ENTSOE_RETRY_ATTEMPTS": "2"})
    assert fewer_attempts.backfill.breaker.threshold == 2


def test_test_suite_variables_are_not_settings() -> None:
    load_settings({"ENTSOE_TEST_POSTGRES_URL": "postgresql://x"})


def test_the_emulator_and_test_variables_are_not_refused_as_unknown_settings() -> None:
    settings = load_settings(
        {"ENTSOE_EMULATOR_TOKEN": "emulated", "ENTSOE_TEST_POSTGRES_URL": "postgresql://x"}
    )
    assert settings == load_settings({})


def test_a_misspelt_setting_is_still_refused() -> None:
    with pytest.raises(ConfigurationError, match="ENTSOE_EMULATR_TOKEN"):
        load_settings({"ENTSOE_EMULATR_TOKEN": "x"})


def test_the_bound_on_fetching_holes_again() -> None:
    assert load_settings({}).backfill.recheck.max_hole_fetches == 3
    settings = load_settings({"ENTSOE_MAX_HOLE_FETCHES": "5"})
    assert settings.backfill.recheck.max_hole_fetches == 5
    with pytest.raises(ConfigurationError, match="ENTSOE_MAX_HOLE_FETCHES must be between 1"):
        load_settings({"ENTSOE_MAX_HOLE_FETCHES": "0"})


def test_the_scheduler_settings() -> None:
    settings = load_settings(
        {
            "ENTSOE_SCHEDULES": " day_ahead_prices=0 13 * * * ; actual_total_load=*/5 * * * * *;",
            "ENTSOE_SCHEDULE_JITTER_SECONDS": "30",
            "ENTSOE_SCHEDULE_MARGIN_SECONDS": "7200",
            "ENTSOE_SERVE_SCHEDULER": "true",
            "ENTSOE_LOG_FORMAT": "json",
        }
    )
    assert settings.schedule_overrides == {
        "day_ahead_prices": "0 13 * * *",
        "actual_total_load": "*/5 * * * * *",
    }
    assert settings.scheduler.jitter.total_seconds() == 30
    assert settings.scheduler.margin.total_seconds() == 7200
    assert settings.serve_scheduler
    assert settings.log_format == "json"
    assert load_settings({}).schedule_overrides == {}


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"ENTSOE_SCHEDULES": "day_ahead_prices=0 13 *"}, "'0 13 \\*' is not a cron expression"),
        ({"ENTSOE_SCHEDULES": "day_ahead_prices=61 * * * *"}, "'61 \\* \\* \\* \\*' is not a cron"),
        ({"ENTSOE_SCHEDULES": "prices=0 13 * * *"}, "unknown dataset 'prices'"),
        ({"ENTSOE_SCHEDULES": "day_ahead_prices"}, "'day_ahead_prices' is not DATASET=CRON"),
        ({"ENTSOE_LOG_FORMAT": "xml"}, "ENTSOE_LOG_FORMAT must be text or json, got 'xml'"),
        ({"ENTSOE_SCHEDULE_JITTER_SECONDS": "-1"}, "ENTSOE_SCHEDULE_JITTER_SECONDS must be"),
    ],
)
def test_bad_scheduler_settings_name_the_variable_and_value(
    environ: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        load_settings(environ)


def test_the_time_zone_setting_is_checked_and_utc_by_default() -> None:
    assert str(load_settings({"ENTSOE_TZ": "Europe/Berlin"}).zone) == "Europe/Berlin"
    assert load_settings({}).zone is UTC
    with pytest.raises(ConfigurationError, match="unknown time zone 'Mars/Olympus'"):
        load_settings({"ENTSOE_TZ": "Mars/Olympus"})
