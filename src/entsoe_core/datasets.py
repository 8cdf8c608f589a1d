"""What can be fetched: the dataset catalogue.

A :class:`Dataset` says which document the API returns for it, which domain parameters the
request takes, the longest period one request may ask for, how far into the future the data is
published (forecasts are published ahead of the instants they describe), which resolutions its
series come in, whether the API answers it in whole delivery days, and, for documents of one
type that the API publishes for several market time frames, which time frame it is.
"""

from __future__ import annotations

import difflib
import enum
from collections.abc import Iterator
from datetime import datetime, timedelta

import attrs

from entsoe_core.areas import AreaKey
from entsoe_core.errors import InvalidRequest
from entsoe_core.limits import RequestSpan
from entsoe_core.timeline import Interval, utc

__all__ = ["DATASETS", "REGION_CODE", "Dataset", "DatasetCatalogue", "DomainParameter"]

# The Transparency Platform publishes from the first delivery day of 2015 (CET), which
# starts at 2014-12-31T23:00Z; nothing is asked for before that.
PLATFORM_START = utc(2014, 12, 31, 23)

# What the API publishes each dataset in (the recorded answers and the API guide): sub-daily
# data in quarter hours, half hours or hours depending on the area and the year; the forecasts
# ahead of the week, month and year in days, weeks and weeks; the forecast margin and installed
# capacity in years; the stored energy of water reservoirs in weeks.
SUB_DAILY = ("PT15M", "PT30M", "PT60M")

REGION_CODE = "REGION_CODE-----"
"""What the API writes on the other side of a net position: the region the area is part of."""


class DomainParameter(enum.Enum):
    """How a dataset's area goes into the request."""

    OUT_BIDDING_ZONE = "outBiddingZone_Domain"
    IN_DOMAIN = "in_Domain"
    IN_AND_OUT_SAME = "in_Domain=out_Domain"
    BORDER = "out_Domain>in_Domain"
    CONTROL_AREA = "controlArea_Domain"
    """Asked for with ``controlArea_Domain``; balancing documents name the area once, for the
    whole document (``area_Domain`` or ``controlArea_Domain``), which the parser gives every
    series as its in domain."""
    AREA = "area_Domain"
    """Asked for with ``area_Domain``, which the answer names at document level too; the
    parser gives every series that area as its in domain."""
    NET_POSITION = "in_Domain=out_Domain, answered against a region"
    """Asked for with the area as both domains; each answer series pairs the area with the
    region (:data:`REGION_CODE`): out of the area is an export, into it an import."""


@attrs.frozen
class Dataset:
    """One kind of data: document and process type, domain parameters, limits, horizon."""

    key: str
    title: str
    document_type: str
    process_type: str | None
    domain: DomainParameter
    max_request_span: RequestSpan = attrs.field(factory=lambda: RequestSpan(months=12))
    """The longest interval one request may ask for, as the API's limits are known today."""
    publication_horizon: timedelta = timedelta(0)
    available_from: datetime = PLATFORM_START
    resolutions: tuple[str, ...] = SUB_DAILY
    """The resolutions its series may have; an answer in any other is a document fault."""
    whole_days: bool = False
    """Whether the API answers whole delivery days, reaching past the interval asked for."""
    business_type: str | None = None
    """The ``businessType`` a request names, where the document type alone says too little."""
    contract_type: str | None = None
    """The ``contract_MarketAgreement.Type`` a request names: the market time frame of a
    border's schedules or capacities, or of net positions (A01 daily or day-ahead, A02 weekly,
    A03 monthly, A04 yearly, A05 total, A07 intraday). A series of another time frame is not
    this dataset's."""
    contract_type_named: bool = False
    """Whether its documents always name their contract type: a saved document that names
    none is not this dataset's (intraday prices began after the documents that name none)."""
    unit: str = "MW"
    """The unit of its values, as exports write it: power in MW, energy in MWh, prices in
    EUR/MWh (the documents' MAW, MWH and EUR with MWH)."""

    @property
    def is_border(self) -> bool:
        return self.domain is DomainParameter.BORDER

    def within_request_limit(self, interval: Interval) -> bool:
        return self.max_request_span.fits(interval)

    def check_area(self, key: AreaKey) -> None:
        if self.is_border and not key.is_border:
            raise InvalidRequest(
                f"dataset {self.key} is about a border: give the area as FROM>TO "
                f"(for example NL>DE_LU), not {key}"
            )
        if not self.is_border and key.is_border:
            raise InvalidRequest(f"dataset {self.key} takes a single area, not the border {key}")

    def check_period(self, period: Interval) -> None:
        if period.start < self.available_from:
            raise InvalidRequest(
                f"dataset {self.key} is published from {self.available_from.isoformat()}; "
                f"the period starts {period.start.isoformat()}"
            )

    def horizon_end(self, now: datetime) -> datetime:
        """The latest instant for which data may already be published at ``now``."""
        return now + self.publication_horizon


_DAY = timedelta(days=1)
# Since September 2026 the API refuses more than one calendar month of actual total load and
# actual generation per type ("… is larger than maximum allowed period 'P1M' …").
_ONE_MONTH = RequestSpan(months=1)
# The API answers at most about ten days of imbalance prices and volumes per request.
_TEN_DAYS = RequestSpan(days=10)

_CATALOGUE = (
    Dataset(
        "actual_total_load",
        "Actual total load",
        "A65",
        "A16",
        DomainParameter.OUT_BIDDING_ZONE,
        max_request_span=_ONE_MONTH,
    ),
    Dataset(
        "day_ahead_total_load_forecast",
        "Day-ahead total load forecast",
        "A65",
        "A01",
        DomainParameter.OUT_BIDDING_ZONE,
        publication_horizon=2 * _DAY,
    ),
    Dataset(
        "week_ahead_total_load_forecast",
        "Week-ahead total load forecast",
        "A65",
        "A31",
        DomainParameter.OUT_BIDDING_ZONE,
        publication_horizon=14 * _DAY,
        resolutions=("P1D",),
    ),
    Dataset(
        "month_ahead_total_load_forecast",
        "Month-ahead total load forecast",
        "A65",
        "A32",
        DomainParameter.OUT_BIDDING_ZONE,
        publication_horizon=62 * _DAY,
        resolutions=("P7D",),
    ),
    Dataset(
        "year_ahead_total_load_forecast",
        "Year-ahead total load forecast",
        "A65",
        "A33",
        DomainParameter.OUT_BIDDING_ZONE,
        publication_horizon=400 * _DAY,
        resolutions=("P7D",),
    ),
    Dataset(
        "year_ahead_forecast_margin",
        "Year-ahead forecast margin",
        "A70",
        "A33",
        DomainParameter.OUT_BIDDING_ZONE,
        publication_horizon=400 * _DAY,
        resolutions=("P1Y",),
    ),
    Dataset(
        "actual_generation_per_type",
        "Actual generation per production type",
        "A75",
        "A16",
        DomainParameter.IN_DOMAIN,
        max_request_span=_ONE_MONTH,
    ),
    Dataset(
        "day_ahead_generation_forecast",
        "Day-ahead aggregated generation forecast",
        "A71",
        "A01",
        DomainParameter.IN_DOMAIN,
        publication_horizon=2 * _DAY,
    ),
    Dataset(
        "wind_solar_forecast",
        "Day-ahead wind and solar generation forecast",
        "A69",
        "A01",
        DomainParameter.IN_DOMAIN,
        publication_horizon=2 * _DAY,
    ),
    # The same forecast for two later time frames: the intraday forecast (published on the
    # delivery day, before delivery) and the current one (updated until delivery).
    Dataset(
        "wind_solar_forecast_intraday",
        "Intraday wind and solar generation forecast",
        "A69",
        "A40",
        DomainParameter.IN_DOMAIN,
        publication_horizon=_DAY,
    ),
    Dataset(
        "wind_solar_forecast_current",
        "Current wind and solar generation forecast",
        "A69",
        "A18",
        DomainParameter.IN_DOMAIN,
        publication_horizon=_DAY,
    ),
    # Since the intraday auctions began, an A44 request that names no contract type may be
    # answered with intraday prices beside the day-ahead ones (Spain, 2025): ask for A01.
    Dataset(
        "day_ahead_prices",
        "Day-ahead prices",
        "A44",
        None,
        DomainParameter.IN_AND_OUT_SAME,
        publication_horizon=2 * _DAY,
        whole_days=True,
        contract_type="A01",
        unit="EUR/MWh",
    ),
    # The prices of the three intraday auctions (IDA1 to IDA3, since 13 June 2024), in quarter
    # hours; the auction is the series' classification position (1 to 3). Their publication
    # is voluntary: few areas publish them.
    Dataset(
        "intraday_auction_prices",
        "Intraday auction prices (IDA1 to IDA3)",
        "A44",
        None,
        DomainParameter.IN_AND_OUT_SAME,
        publication_horizon=2 * _DAY,
        available_from=utc(2024, 6, 12, 22),
        resolutions=("PT15M",),
        whole_days=True,
        contract_type="A07",
        contract_type_named=True,
        unit="EUR/MWh",
    ),
    Dataset(
        "cross_border_physical_flows",
        "Cross-border physical flows",
        "A11",
        None,
        DomainParameter.BORDER,
    ),
    Dataset(
        "scheduled_exchanges_day_ahead",
        "Scheduled commercial exchanges, day-ahead",
        "A09",
        None,
        DomainParameter.BORDER,
        publication_horizon=2 * _DAY,
        contract_type="A01",
    ),
    Dataset(
        "scheduled_exchanges_total",
        "Scheduled commercial exchanges, total of every time frame",
        "A09",
        None,
        DomainParameter.BORDER,
        publication_horizon=2 * _DAY,
        contract_type="A05",
    ),
    Dataset(
        "forecast_transfer_capacity_day_ahead",
        "Forecasted transfer capacity, day-ahead",
        "A61",
        None,
        DomainParameter.BORDER,
        publication_horizon=2 * _DAY,
        contract_type="A01",
    ),
    Dataset(
        "forecast_transfer_capacity_week_ahead",
        "Forecasted transfer capacity, week-ahead",
        "A61",
        None,
        DomainParameter.BORDER,
        publication_horizon=14 * _DAY,
        contract_type="A02",
    ),
    Dataset(
        "forecast_transfer_capacity_month_ahead",
        "Forecasted transfer capacity, month-ahead",
        "A61",
        None,
        DomainParameter.BORDER,
        publication_horizon=62 * _DAY,
        contract_type="A03",
    ),
    Dataset(
        "forecast_transfer_capacity_year_ahead",
        "Forecasted transfer capacity, year-ahead",
        "A61",
        None,
        DomainParameter.BORDER,
        publication_horizon=400 * _DAY,
        contract_type="A04",
    ),
    Dataset(
        "net_positions_day_ahead",
        "Net positions of implicit allocations, day-ahead",
        "A25",
        None,
        DomainParameter.NET_POSITION,
        publication_horizon=2 * _DAY,
        business_type="B09",
        contract_type="A01",
    ),
    Dataset(
        "net_positions_intraday",
        "Net positions of implicit allocations, intraday",
        "A25",
        None,
        DomainParameter.NET_POSITION,
        business_type="B09",
        contract_type="A07",
    ),
    Dataset(
        "installed_capacity_per_type",
        "Installed generation capacity per production type",
        "A68",
        "A33",
        DomainParameter.IN_DOMAIN,
        # The capacity of a year is published before the year begins.
        publication_horizon=400 * _DAY,
        resolutions=("P1Y",),
    ),
    Dataset(
        "water_reservoirs",
        "Filling rate of water reservoirs and hydro storage plants",
        "A72",
        "A16",
        DomainParameter.IN_DOMAIN,
        resolutions=("P7D",),
        unit="MWh",
    ),
    Dataset(
        "total_imbalance_volumes",
        "Total imbalance volumes, up and down",
        "A86",
        None,
        DomainParameter.CONTROL_AREA,
        # The API refused more than a month in September 2026 ('TOTAL_IMBALANCE_VOLUMES_R3');
        # like imbalance prices, it is answered about ten days a request at most.
        max_request_span=_TEN_DAYS,
        unit="MWh",
    ),
    Dataset(
        "current_balancing_state",
        "Current balancing state (area control error), up and down, by the minute",
        "A86",
        None,
        DomainParameter.AREA,
        max_request_span=_TEN_DAYS,
        resolutions=("PT1M",),
        business_type="B33",
    ),
    Dataset(
        "imbalance_prices",
        "Imbalance prices, for excess and for insufficient balance",
        "A85",
        None,
        DomainParameter.CONTROL_AREA,
        max_request_span=_TEN_DAYS,
        unit="EUR/MWh",
    ),
    Dataset(
        "aggregated_bids_afrr",
        "Aggregated balancing energy bids for aFRR: offered, activated and unavailable, up and "
        "down",
        "A24",
        "A51",
        DomainParameter.AREA,
        # A year a request, as for most datasets (the API guide; entsoe-py asks a year at most).
    ),
    Dataset(
        "actual_generation_per_unit",
        "Actual generation per generation unit, each unit a series of its own",
        "A73",
        "A16",
        DomainParameter.IN_DOMAIN,
        # One day a request: the API counts every unit's day as an instance and refuses more
        # than it allows ("The number of instances (149) exceeds the allowed maximum").
        max_request_span=RequestSpan(days=1),
    ),
)


class DatasetCatalogue:
    """Looks datasets up by key, with close-match hints."""

    def __init__(self, datasets: tuple[Dataset, ...]) -> None:
        self._by_key = {d.key: d for d in datasets}

    def __iter__(self) -> Iterator[Dataset]:
        return iter(self._by_key.values())

    def __len__(self) -> int:
        return len(self._by_key)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(self._by_key)

    def get(self, key: str) -> Dataset:
        found = self._by_key.get(key.strip().lower().replace("-", "_"))
        if found is None:
            close = difflib.get_close_matches(key.lower(), list(self._by_key), n=3, cutoff=0.5)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise InvalidRequest(
                f"unknown dataset {key!r}{hint}; known datasets: {', '.join(self._by_key)}"
            )
        return found


DATASETS = DatasetCatalogue(_CATALOGUE)
