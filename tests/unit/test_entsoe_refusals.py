"""Reading the ENTSO-E API's refusals: an interval too long (and the limit it names), too many
instances, or any other refusal. The texts are the ones users reported from the real API."""

from __future__ import annotations

import pytest

from adapters.entsoe_http.refusals import refusal_error, stated_limit
from entsoe_core.errors import RequestTooLong, TooManyInstances
from entsoe_core.limits import RequestSpan

MONTH, YEAR = RequestSpan(months=1), RequestSpan(months=12)

REPORTED = [
    (
        "Provided time interval (2022-02-28T23:00:00Z - 2022-05-30T22:00:00Z) is larger than "
        "maximum allowed period 'P1M' for 'ACTUAL_TOTAL_LOAD_R3:XML' export.",
        MONTH,
    ),
    (
        "Provided time interval (2023-01-01T00:00:00Z - 2024-01-01T00:00:00Z) is larger than "
        "maximum allowed period 'P1M' for 'AGGREGATED_GENERATION_PER_TYPE_R3:XML' export.",
        MONTH,
    ),
    (
        "Provided time interval (2019-12-31T23:00:00Z - 2020-03-30T22:00:00Z) is larger than "
        "maximum allowed period 'P1M' for 'TOTAL_IMBALANCE_VOLUMES_R3:XML' export.",
        MONTH,
    ),
    (
        "Provided time interval (2021-12-30T23:00Z[UTC] - 2023-01-01T23:00Z[UTC]) is larger "
        "than maximum allowed period 'P1Y' for 'ENERGY_PRICES:XML' export.",
        YEAR,
    ),
    ("The amount of requested data exceeds allowed limit. Allowed: 1 year(s)", YEAR),
    ("The amount of requested data exceeds allowed limit. Allowed: 3 month(s)", RequestSpan(3)),
    ("The amount of requested data exceeds allowed limit. Allowed: 10 day(s)", RequestSpan(0, 10)),
    (
        "The amount of requested data exceeds allowed limit. Requested 366 days, allowed 365 days.",
        RequestSpan(days=365),
    ),
    ("The requested interval exceeds allowed limit of P10D for this article.", RequestSpan(0, 10)),
    ("The amount of requested data exceeds allowed limit.", None),
]


@pytest.mark.parametrize(("text", "limit"), REPORTED)
def test_an_interval_too_long_is_read_with_the_limit_it_names(
    text: str, limit: RequestSpan | None
) -> None:
    error = refusal_error(text, f"refused: {text}")
    assert isinstance(error, RequestTooLong)
    assert error.limit == limit
    assert str(error) == f"refused: {text}"
    assert stated_limit(text) == limit


def test_too_many_instances_is_its_own_refusal() -> None:
    text = (
        "The number of instances (149) exceeds the allowed maximum (100). Narrow the request down."
    )
    error = refusal_error(text, f"refused: {text}")
    assert isinstance(error, TooManyInstances)
    assert not isinstance(error, RequestTooLong)


@pytest.mark.parametrize(
    "text",
    [
        "No matching data found for Data item ACTUAL_TOTAL_LOAD_R3 [17.1.A]",
        "Mandatory parameter outBiddingZone_Domain is missing.",
        "The combination of documentType A65 and processType A44 is not valid.",
        "Value P1M of parameter periodStart is not a valid yyyyMMddHHmm date.",
    ],
)
def test_other_refusals_are_none_of_these(text: str) -> None:
    assert refusal_error(text, text) is None


@pytest.mark.parametrize(
    ("text", "limit"),
    [
        ("maximum allowed period 'P1Y2M'", RequestSpan(months=14)),
        ("maximum allowed period P2W", RequestSpan(days=14)),
        # A period mixing months and days is no limit a request can keep; the next one is.
        ("periods 'P1M10D' and 'P1M'", MONTH),
        ("export 'EXP1M:XML' R3P1Y", None),
        ("Allowed: 0 day(s)", None),
    ],
)
def test_the_stated_limit_is_a_period_standing_alone(text: str, limit: RequestSpan | None) -> None:
    assert stated_limit(text) == limit
