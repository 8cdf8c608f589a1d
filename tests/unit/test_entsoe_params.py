"""Request parameters for every dataset of the catalogue."""

from __future__ import annotations

from datetime import timedelta

import pytest

from adapters.entsoe_http.params import request_params
from entsoe_core.areas import AreaKey
from entsoe_core.datasets import DATASETS
from entsoe_core.errors import PermanentSourceError, RequestTooLong
from entsoe_core.limits import RequestSpan
from entsoe_core.plan import Chunk
from entsoe_core.timeline import Interval, utc

NL = "10YNL----------L"
DE_LU = "10Y1001A1001A82H"
JANUARY = Interval(utc(2024, 1, 1), utc(2024, 2, 1))
TEN_DAYS = Interval(utc(2024, 1, 1), utc(2024, 1, 11))
ONE_DAY = Interval(utc(2024, 1, 1), utc(2024, 1, 2))

# The table of DESIGN.md, written out independently of the catalogue.
EXPECTED = {
    "actual_total_load": {"documentType": "A65", "processType": "A16", "outBiddingZone_Domain": NL},
    "day_ahead_total_load_forecast": {
        "documentType": "A65",
        "processType": "A01",
        "outBiddingZone_Domain": NL,
    },
    "week_ahead_total_load_forecast": {
        "documentType": "A65",
        "processType": "A31",
        "outBiddingZone_Domain": NL,
    },
    "month_ahead_total_load_forecast": {
        "documentType": "A65",
        "processType": "A32",
        "outBiddingZone_Domain": NL,
    },
    "year_ahead_total_load_forecast": {
        "documentType": "A65",
        "processType": "A33",
        "outBiddingZone_Domain": NL,
    },
    "year_ahead_forecast_margin": {
        "documentType": "A70",
        "processType": "A33",
        "outBiddingZone_Domain": NL,
    },
    "actual_generation_per_type": {"documentType": "A75", "processType": "A16", "in_Domain": NL},
    "day_ahead_generation_forecast": {"documentType": "A71", "processType": "A01", "in_Domain": NL},
    "wind_solar_forecast": {"documentType": "A69", "processType": "A01", "in_Domain": NL},
    "wind_solar_forecast_intraday": {"documentType": "A69", "processType": "A40", "in_Domain": NL},
    "wind_solar_forecast_current": {"documentType": "A69", "processType": "A18", "in_Domain": NL},
    "day_ahead_prices": {
        "documentType": "A44",
        "contract_MarketAgreement.Type": "A01",
        "in_Domain": NL,
        "out_Domain": NL,
    },
    "intraday_auction_prices": {
        "documentType": "A44",
        "contract_MarketAgreement.Type": "A07",
        "in_Domain": NL,
        "out_Domain": NL,
    },
    "cross_border_physical_flows": {"documentType": "A11", "out_Domain": NL, "in_Domain": DE_LU},
    "scheduled_exchanges_day_ahead": {
        "documentType": "A09",
        "contract_MarketAgreement.Type": "A01",
        "out_Domain": NL,
        "in_Domain": DE_LU,
    },
    "scheduled_exchanges_total": {
        "documentType": "A09",
        "contract_MarketAgreement.Type": "A05",
        "out_Domain": NL,
        "in_Domain": DE_LU,
    },
    "forecast_transfer_capacity_day_ahead": {
        "documentType": "A61",
        "contract_MarketAgreement.Type": "A01",
        "out_Domain": NL,
        "in_Domain": DE_LU,
    },
    "forecast_transfer_capacity_week_ahead": {
        "documentType": "A61",
        "contract_MarketAgreement.Type": "A02",
        "out_Domain": NL,
        "in_Domain": DE_LU,
    },
    "forecast_transfer_capacity_month_ahead": {
        "documentType": "A61",
        "contract_MarketAgreement.Type": "A03",
        "out_Domain": NL,
        "in_Domain": DE_LU,
    },
    "forecast_transfer_capacity_year_ahead": {
        "documentType": "A61",
        "contract_MarketAgreement.Type": "A04",
        "out_Domain": NL,
        "in_Domain": DE_LU,
    },
    "net_positions_day_ahead": {
        "documentType": "A25",
        "businessType": "B09",
        "contract_MarketAgreement.Type": "A01",
        "in_Domain": NL,
        "out_Domain": NL,
    },
    "net_positions_intraday": {
        "documentType": "A25",
        "businessType": "B09",
        "contract_MarketAgreement.Type": "A07",
        "in_Domain": NL,
        "out_Domain": NL,
    },
    "installed_capacity_per_type": {"documentType": "A68", "processType": "A33", "in_Domain": NL},
    "water_reservoirs": {"documentType": "A72", "processType": "A16", "in_Domain": NL},
    "imbalance_prices": {"documentType": "A85", "controlArea_Domain": NL},
    "total_imbalance_volumes": {"documentType": "A86", "controlArea_Domain": NL},
    "current_balancing_state": {"documentType": "A86", "businessType": "B33", "area_Domain": NL},
    "aggregated_bids_afrr": {"documentType": "A24", "processType": "A51", "area_Domain": NL},
    "actual_generation_per_unit": {"documentType": "A73", "processType": "A16", "in_Domain": NL},
}


def area_for(dataset: str) -> AreaKey:
    return AreaKey(NL, DE_LU) if DATASETS.get(dataset).is_border else AreaKey(NL)


def test_every_dataset_of_the_catalogue_is_covered() -> None:
    assert set(DATASETS.keys) == set(EXPECTED)


@pytest.mark.parametrize("dataset", sorted(EXPECTED))
def test_parameters_of_each_dataset(dataset: str) -> None:
    # Balancing data comes ten days a request at most, generation per unit one day.
    asked = next(
        interval
        for interval in (JANUARY, TEN_DAYS, ONE_DAY)
        if DATASETS.get(dataset).within_request_limit(interval)
    )
    params = request_params(Chunk(dataset, area_for(dataset), asked))
    assert params == {
        **EXPECTED[dataset],
        "periodStart": "202401010000",
        "periodEnd": f"{asked.end:%Y%m%d%H%M}",
    }
    assert "securityToken" not in params


def test_periods_go_out_in_utc_minutes_widened_to_whole_minutes() -> None:
    interval = Interval(utc(2024, 3, 30, 23, 15), utc(2024, 3, 31, 22) + timedelta(seconds=1))
    params = request_params(Chunk("actual_total_load", AreaKey(NL), interval))
    assert (params["periodStart"], params["periodEnd"]) == ("202403302315", "202403312201")


def test_a_year_is_allowed_and_a_day_more_is_refused() -> None:
    year = Interval(utc(2023, 1, 1), utc(2024, 1, 1))
    assert request_params(Chunk("day_ahead_prices", AreaKey(NL), year))["periodEnd"] == (
        "202401010000"
    )
    longer = Interval(utc(2023, 1, 1), utc(2024, 1, 2))
    with pytest.raises(PermanentSourceError, match="P1Y request limit"):
        request_params(Chunk("day_ahead_prices", AreaKey(NL), longer))


def test_a_month_of_actual_load_is_allowed_and_a_day_more_is_refused() -> None:
    month = Interval(utc(2023, 1, 1), utc(2023, 2, 1))
    assert request_params(Chunk("actual_total_load", AreaKey(NL), month))["periodEnd"] == (
        "202302010000"
    )
    longer = Interval(utc(2023, 1, 1), utc(2023, 2, 2))
    with pytest.raises(PermanentSourceError, match="P1M request limit"):
        request_params(Chunk("actual_total_load", AreaKey(NL), longer))


def test_a_chunk_over_the_limit_is_refused_as_too_long_with_the_catalogue_limit() -> None:
    # A job planned before the limit was known is split like a refusal of the API's.
    year = Interval(utc(2023, 1, 1), utc(2024, 1, 1))
    with pytest.raises(RequestTooLong) as refused:
        request_params(Chunk("actual_generation_per_type", AreaKey(NL), year))
    assert refused.value.limit == RequestSpan(months=1)


def test_an_area_of_the_wrong_shape_is_refused_before_sending() -> None:
    with pytest.raises(PermanentSourceError, match="FROM>TO"):
        request_params(Chunk("cross_border_physical_flows", AreaKey(NL), JANUARY))
    with pytest.raises(PermanentSourceError, match="single area"):
        request_params(Chunk("actual_total_load", AreaKey(NL, DE_LU), JANUARY))
