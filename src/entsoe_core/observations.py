"""Series, their identity, and the points they hold.

A document holds several time series. Everything that tells two of them apart is part of the
:class:`SeriesKey`: real documents carry PT15M and PT60M prices side by side, classification
positions 1 and 2 of DE-LU prices, generation (in) and consumption (out) of one production type,
both directions of a border, the price categories (excess and insufficient balance) of one
imbalance price, the directions (up and down) of imbalance volumes, the offered, activated and
unavailable volumes of one aggregated balancing bid, and the units of one production type. None
of these may ever land on the same key.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from itertools import repeat
from typing import NamedTuple

import attrs

from entsoe_core.areas import AreaKey
from entsoe_core.datasets import DATASETS, REGION_CODE, Dataset, DomainParameter
from entsoe_core.errors import UnstorableData
from entsoe_core.timeline import Interval

__all__ = [
    "Observation",
    "Point",
    "Series",
    "SeriesKey",
    "SeriesStats",
    "dataset_for",
    "filing_area",
    "points_of",
]


class Point(NamedTuple):
    """One value at one UTC instant (the start of its resolution step)."""

    timestamp: datetime
    value: float


def points_of(stamps: Iterable[datetime], values: Iterable[float]) -> tuple[Point, ...]:
    """A Point for each instant and value, pairwise.

    Built as ``Point._make`` would, by ``tuple.__new__`` on each pair, but without a Python
    call per point: a year of quarter-hours is 35,040 points a series.
    """
    return tuple(map(_new_tuple, repeat(Point), zip(stamps, values, strict=True)))


_new_tuple = tuple.__new__


@attrs.frozen(order=True)
class SeriesKey:
    """Everything in a document that distinguishes one series from another.

    Absent fields are empty strings, never ``None``, so that keys compare and index alike in
    every store.
    """

    document_type: str
    process_type: str = ""
    business_type: str = ""
    psr_type: str = ""
    in_domain: str = ""
    out_domain: str = ""
    classification_position: str = ""
    resolution: str = ""
    price_category: str = ""
    """The ``imbalance_Price.category`` of an imbalance price's points: A04 (excess balance)
    and A05 (insufficient balance) are two prices of one instant."""
    flow_direction: str = ""
    """The ``flowDirection.direction`` of a balancing series: A01 up, A02 down."""
    market_product: str = ""
    """The ``standard_MarketProduct.marketProductType`` of a balancing bid series: the bids of
    a standard product (A01) and of a specific one are two series."""
    quantity_kind: str = ""
    """Which value of a Point the series holds, where a Point holds several: empty for its
    ``quantity`` (or price), else the element's name (``secondaryQuantity``,
    ``unavailable_Quantity.quantity``): the offered, activated and unavailable volumes of an
    aggregated bid are three values of one instant."""
    registered_resource: str = ""
    """The ``registeredResource.mRID`` of a series about one unit (actual generation per
    generation unit): the units of one production type in one area are series apart."""


@attrs.frozen
class Series:
    """A parsed series: its key, unit, curve type, revision and points in time order."""

    key: SeriesKey
    points: tuple[Point, ...]
    unit: str = ""
    curve_type: str = ""
    revision: int = 1
    created_at: datetime | None = None
    period: Interval | None = None
    """The Period of the document it was read from: what the document promises to cover."""
    contract_type: str = ""
    """The ``contract_MarketAgreement.type`` its document names, empty where it names none.
    Not part of the key: a request asks for one market time frame, the dataset says which, and
    series are stored by dataset; a series of another time frame is refused, not filed."""

    def __len__(self) -> int:
        return len(self.points)


@attrs.frozen
class Observation:
    """One stored value of one series at one instant, as the store reads it back."""

    dataset: str
    area: AreaKey
    key: SeriesKey
    timestamp: datetime
    value: float
    unit: str = ""
    curve_type: str = ""
    revision: int = 1
    created_at: datetime | None = None


@attrs.frozen
class SeriesStats:
    """One stored series over a period, as the store counts it (no point leaves the store)."""

    key: SeriesKey
    points: int
    first: datetime
    last: datetime
    revision: int
    """The highest revision among its stored values."""
    gaps: tuple[tuple[datetime, datetime], ...] = ()
    """Consecutive stored points further apart than one step of its resolution can last
    (:attr:`entsoe_core.resolution.Resolution.longest`), in time order."""


def count_points(series: Sequence[Series]) -> int:
    return sum(len(s.points) for s in series)


def dataset_for(key: SeriesKey, contract_type: str = "") -> Dataset:
    """The catalogue dataset a parsed series belongs to, from its document, process and
    business type and, where the API publishes a document type for several market time frames,
    the contract type its document names."""
    found = [
        dataset
        for dataset in DATASETS
        if dataset.document_type == key.document_type
        and dataset.process_type in (None, key.process_type)
        and dataset.business_type in (None, key.business_type)
        and _takes_contract_type(dataset, contract_type)
    ]
    # A dataset that names the business type is a closer match than one that takes any (current
    # balancing state, A86/B33, beside total imbalance volumes, A86 of any business type).
    named = [dataset for dataset in found if dataset.business_type == key.business_type]
    if len(named) == 1:
        return named[0]
    if len(found) == 1:
        return found[0]
    if found:
        raise UnstorableData(
            f"a series of document type {key.document_type} whose document names no contract "
            f"type could belong to any of {', '.join(map(_kind, found))}; the document does "
            "not say which market time frame it holds"
        )
    raise UnstorableData(
        f"no dataset of the catalogue takes document type {key.document_type!r} with process "
        f"type {key.process_type!r}, business type {key.business_type!r} and contract type "
        f"{contract_type!r}; known: {', '.join(map(_kind, DATASETS))}"
    )


def _takes_contract_type(dataset: Dataset, contract_type: str) -> bool:
    if dataset.contract_type is None or contract_type == dataset.contract_type:
        return True
    return contract_type == "" and not dataset.contract_type_named


def _kind(dataset: Dataset) -> str:
    named = [dataset.document_type + (f"/{dataset.process_type}" if dataset.process_type else "")]
    if dataset.business_type:
        named.append(f"business type {dataset.business_type}")
    if dataset.contract_type:
        named.append(f"contract type {dataset.contract_type}")
    return f"{dataset.key} ({', '.join(named)})"


def filing_area(dataset: Dataset, key: SeriesKey) -> AreaKey:
    """The area a series is filed under, from the domains the document gives it."""
    if dataset.domain is DomainParameter.BORDER:
        if not (key.in_domain and key.out_domain):
            raise UnstorableData(f"a {dataset.key} series needs both in and out domains: {key}")
        return AreaKey(key.out_domain, key.in_domain)
    if dataset.domain is DomainParameter.NET_POSITION:
        sides = {key.in_domain, key.out_domain}
        if REGION_CODE not in sides or len(sides) != 2 or "" in sides:
            raise UnstorableData(
                f"a {dataset.key} series pairs its area with the region {REGION_CODE}: {key}"
            )
        return AreaKey((sides - {REGION_CODE}).pop())
    code = key.in_domain or key.out_domain
    if not code:
        raise UnstorableData(f"a {dataset.key} series names no domain: {key}")
    return AreaKey(code)
