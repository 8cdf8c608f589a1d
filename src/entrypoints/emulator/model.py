"""The deterministic synthetic data the emulator serves.

Every value is a pure function of ``(seed, dataset, series identity, timestamp)``: asking for a
month or for a year gives the same value for the same instant, and a test can compute what a
store must end up holding without talking to the emulator at all.

Which series exist is a fixed rule of the dataset, the area and the delivery day, independent
of the seed: some areas publish quarter-hourly load and generation, day-ahead prices switch
from PT60M to PT15M on the delivery day 2025-10-01, and DE-LU and AT publish both resolutions
side by side as classification positions 1 (PT60M) and 2 (PT15M). Actual generation carries a
consumption series (outBiddingZone) beside the generation series (inBiddingZone) of pumped
storage, and a border carries one series per direction. Installed capacity has a yearly
series for each production type the area generates with; the stored energy of water
reservoirs (in MWh) is one weekly series. The intraday and current wind and solar forecasts
have the series of the day-ahead one, their values a small correction of it. Intraday
auction prices are three quarter-hourly series, one per auction (classification positions 1
to 3), the third from local noon only. A net position is two series, export (out of the
area into its region) and import, one of them zero at any instant. Imbalance prices are two
series, one per price category (A04 excess, A05 insufficient balance), equal most of the time
and apart now and then, as dual pricing has them. Total imbalance volumes (in MWh) are two
series, up (A01) and down (A02), one of them zero at any instant; so is the current balancing
state (in MW, by the minute). Aggregated aFRR bids are six series: up and down, each with the
volume offered (in MW, holding for the hour), the share of it activated (often none) and the
part unavailable (now and then). Generation per unit has two units of each conventional
production type the area generates with, each running a share of that type's generation.

Steps follow the area's local calendar: a sub-daily series has one step per 15 or 60 minutes
of each local day (92 or 100 quarter hours on DST days), P1D steps are local days, P7D steps
local weeks starting on Monday and P1Y steps local years. A step belongs to a request when its
start lies inside the requested interval.
"""

from __future__ import annotations

import functools
import hashlib
import math
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import attrs

from entsoe_core.areas import AREAS, AreaKey
from entsoe_core.datasets import DATASETS, REGION_CODE, Dataset, DomainParameter
from entsoe_core.observations import Point, Series, SeriesKey, filing_area
from entsoe_core.timeline import Interval

__all__ = [
    "BID_QUANTITY_KINDS",
    "CURVE_TYPE",
    "DEFAULT_DATA_START",
    "PRICE_RESOLUTION_SWITCH",
    "SyntheticModel",
    "expected_value",
    "period_end",
    "published_interval",
    "steps",
    "unit_code",
    "unit_name",
]

CURVE_TYPE = "A03"
BID_QUANTITY_KINDS = ("", "secondaryQuantity", "unavailable_Quantity.quantity")
"""The values of an aggregated bid's Point, in document order: its quantity (offered), the
activated and the unavailable one."""
QUANTITY_UNIT = "MAW"
PRICE_UNIT = "EUR/MWH"
ENERGY_UNIT = "MWH"
_UNITS = {"A44": PRICE_UNIT, "A72": ENERGY_UNIT, "A85": PRICE_UNIT, "A86": ENERGY_UNIT}
# The current balancing state (A86 like the volumes) is a power, not an energy.
_DATASET_UNITS = {"current_balancing_state": QUANTITY_UNIT}

DEFAULT_DATA_START = datetime(2015, 1, 1, tzinfo=UTC)
"""Nothing is published before this instant unless configured otherwise."""

PRICE_RESOLUTION_SWITCH = date(2025, 10, 1)
"""The first local delivery day of quarter-hourly day-ahead prices."""

_SUB_DAILY = {
    "PT1M": timedelta(minutes=1),
    "PT15M": timedelta(minutes=15),
    "PT30M": timedelta(minutes=30),
    "PT60M": timedelta(hours=1),
}


def _codes(*aliases: str) -> frozenset[str]:
    return frozenset(AREAS.get(alias).code for alias in aliases)


_QUARTER_HOURLY_AREAS = _codes(
    "NL",
    "BE",
    "DE_LU",
    "DE_AT_LU",
    "AT",
    "HU",
    "FI",
    "DE_50HZ",
    "DE_AMPRION",
    "DE_TENNET",
    "DE_TRANSNET",
)
_DUAL_RESOLUTION_PRICE_AREAS = _codes("DE_LU", "AT")
_OFFSHORE_WIND_AREAS = _codes("NL", "BE", "DE_LU", "DK_1", "DK_2", "GB")

# Production types an area may have beyond the ones every area has (gas, solar, onshore wind).
_OPTIONAL_PSR_TYPES = ("B01", "B02", "B05", "B06", "B10", "B11", "B12", "B14", "B17", "B18")
_COMMON_PSR_TYPES = ("B04", "B16", "B19")
_PUMPED_STORAGE = "B10"
# The production types that have units of their own in per-unit generation, two units each.
_UNIT_PSR_TYPES = frozenset({"B02", "B04", "B05", "B10", "B11", "B12", "B14"})
_UNITS_PER_TYPE = 2
# Physical flows, scheduled exchanges and forecast transfer capacities of a border.
_BORDER_BUSINESS_TYPES = {"A11": "A66", "A09": "A06", "A61": "A27"}
# Intraday prices: one series per auction (its classification position); the third auction
# trades only the second half of the delivery day, from local noon.
_INTRADAY = "A07"
_INTRADAY_AUCTIONS = ("1", "2", "3")
_AFTERNOON_AUCTION = "3"
# The contract types of forecast transfer capacities, and the steps their values hold for.
# The process type a document names although its request names none (the API's realised A16).
_NAMED_PROCESS = {"A85": "A16", "A86": "A16"}
_CAPACITY_HOLDS = {"A01": "day", "A02": "week", "A03": "month", "A04": "year"}


@attrs.frozen
class _Template:
    """A series that may appear in a document, minus its resolution."""

    business_type: str = ""
    psr_type: str = ""
    in_domain: str = ""
    out_domain: str = ""
    price_category: str = ""
    flow_direction: str = ""
    market_product: str = ""
    quantity_kind: str = ""
    registered_resource: str = ""


@functools.cache
def local_zone(code: str) -> ZoneInfo:
    return ZoneInfo(AREAS.get(code).timezone)


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def _step_start(resolution: str, instant: datetime, zone: ZoneInfo) -> datetime:
    """The start of the step of ``resolution`` that contains ``instant``."""
    local_day = instant.astimezone(zone).date()
    if resolution in _SUB_DAILY:
        midnight = _local_midnight(local_day, zone)
        size = _SUB_DAILY[resolution]
        return midnight + size * ((instant - midnight) // size)
    if resolution == "P1D":
        return _local_midnight(local_day, zone)
    if resolution == "P7D":
        return _local_midnight(local_day - timedelta(days=local_day.weekday()), zone)
    if resolution == "P1Y":
        return _local_midnight(date(local_day.year, 1, 1), zone)
    raise ValueError(f"unsupported resolution {resolution!r}; use PT15M, PT60M, P1D, P7D or P1Y")


def period_end(resolution: str, start: datetime, zone: ZoneInfo) -> datetime:
    """The end of the step of ``resolution`` starting at ``start`` (local calendar aware)."""
    if resolution in _SUB_DAILY:
        return start + _SUB_DAILY[resolution]
    local_day = start.astimezone(zone).date()
    if resolution == "P1D":
        return _local_midnight(local_day + timedelta(days=1), zone)
    if resolution == "P7D":
        return _local_midnight(local_day + timedelta(days=7), zone)
    if resolution == "P1Y":
        return _local_midnight(date(local_day.year + 1, 1, 1), zone)
    raise ValueError(f"unsupported resolution {resolution!r}; use PT15M, PT60M, P1D, P7D or P1Y")


def steps(resolution: str, interval: Interval, zone: ZoneInfo) -> Iterator[datetime]:
    """The starts of the steps of ``resolution`` that lie in ``interval``."""
    cursor = _step_start(resolution, interval.start, zone)
    if cursor < interval.start:
        cursor = period_end(resolution, cursor, zone)
    while cursor < interval.end:
        yield cursor
        cursor = period_end(resolution, cursor, zone)


def published_interval(
    dataset: Dataset,
    area: AreaKey,
    requested: Interval,
    *,
    data_start: datetime,
    now: datetime,
) -> Interval | None:
    """The part of ``requested`` for which the emulator publishes data, or None.

    Nothing before ``data_start`` (nor before the dataset or the area existed), and nothing at
    or after ``now`` plus the dataset's publication horizon.
    """
    start = max(requested.start, data_start, dataset.available_from)
    end = min(requested.end, dataset.horizon_end(now))
    for code in (area.code, area.to_code):
        if code is None:
            continue
        found = AREAS.get(code)
        if found.valid_from is not None:
            start = max(start, found.valid_from)
        if found.valid_until is not None:
            end = min(end, found.valid_until)
    return Interval(start, end) if start < end else None


def _unit_interval(digest: bytes) -> float:
    return int.from_bytes(digest[:8], "big") / 2.0**64


class SyntheticModel:
    """The series a seeded emulator publishes, and the value of any of them at any instant."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._constants: dict[tuple[object, ...], float] = {}

    def _noise(self, *parts: object) -> float:
        """A uniform number in [0, 1) fixed by the seed and ``parts``."""
        text = f"{self.seed}|{parts}"
        return _unit_interval(hashlib.blake2b(text.encode(), digest_size=8).digest())

    def _constant(self, *parts: object) -> float:
        """:meth:`_noise` for numbers that do not vary in time, remembered."""
        found = self._constants.get(parts)
        if found is None:
            found = self._constants[parts] = self._noise(*parts)
        return found

    # -- which series exist -------------------------------------------------------------

    def _templates(self, dataset: Dataset, area: AreaKey) -> tuple[_Template, ...]:
        code = area.code
        document = dataset.document_type
        if dataset.domain is DomainParameter.BORDER:
            assert area.to_code is not None
            business = _BORDER_BUSINESS_TYPES[document]
            return (_Template(business, in_domain=area.to_code, out_domain=code),)
        if document == "A44":
            return (_Template("A62", in_domain=code, out_domain=code),)
        if document == "A65":
            if dataset.process_type in ("A16", "A01"):
                return (_Template("A04", out_domain=code),)
            return (_Template("A60", out_domain=code), _Template("A61", out_domain=code))
        if document == "A70":
            return (_Template("A91", out_domain=code),)
        if document == "A71":
            return (_Template("A01", in_domain=code),)
        if document == "A69":
            wind_solar = [
                _Template("A94", "B16", in_domain=code),
                _Template("A93", "B19", in_domain=code),
            ]
            if code in _OFFSHORE_WIND_AREAS:
                wind_solar.append(_Template("A93", "B18", in_domain=code))
            return tuple(sorted(wind_solar, key=lambda t: t.psr_type))
        if document == "A75":
            psr_types = sorted(self._psr_types(code))
            generation = [_Template("A01", psr, in_domain=code) for psr in psr_types]
            if _PUMPED_STORAGE in psr_types:
                generation.append(_Template("A01", _PUMPED_STORAGE, out_domain=code))
            return tuple(generation)
        if document == "A25":
            # Out of the area into its region is an export, the other way an import.
            return (
                _Template(dataset.business_type or "", in_domain=REGION_CODE, out_domain=code),
                _Template(dataset.business_type or "", in_domain=code, out_domain=REGION_CODE),
            )
        if document == "A68":
            return tuple(
                _Template("A37", psr, in_domain=code) for psr in sorted(self._psr_types(code))
            )
        if document == "A72":
            return (_Template("A01", in_domain=code),)
        if document == "A85":
            return tuple(
                _Template("A19", in_domain=code, price_category=category)
                for category in ("A04", "A05")
            )
        if document == "A86":
            # Total imbalance volumes (A19), or the current balancing state (B33).
            return tuple(
                _Template(dataset.business_type or "A19", in_domain=code, flow_direction=direction)
                for direction in ("A01", "A02")
            )
        if document == "A73":
            return tuple(
                _Template("A01", psr, in_domain=code, registered_resource=unit_code(code, psr, n))
                for psr in sorted(self._psr_types(code) & _UNIT_PSR_TYPES)
                for n in range(1, _UNITS_PER_TYPE + 1)
            )
        if document == "A24":
            # One bid of the standard product each way, three values of it at every instant.
            return tuple(
                _Template(
                    "A14",
                    in_domain=code,
                    flow_direction=direction,
                    market_product="A01",
                    quantity_kind=kind,
                )
                for direction in ("A01", "A02")
                for kind in BID_QUANTITY_KINDS
            )
        raise ValueError(f"the emulator has no model for document type {document}")

    @staticmethod
    @functools.cache
    def _psr_types(code: str) -> frozenset[str]:
        # Fixed per area (not per seed), so the set of series never depends on the seed.
        digest = hashlib.blake2b(code.encode(), digest_size=16).digest()
        chosen = {psr for index, psr in enumerate(_OPTIONAL_PSR_TYPES) if digest[index] & 1}
        return frozenset({*_COMMON_PSR_TYPES, *chosen})

    def _resolutions(
        self, dataset: Dataset, area: AreaKey, day: date
    ) -> tuple[tuple[str, str], ...]:
        """(resolution, classification position) pairs published on local ``day``."""
        document, process = dataset.document_type, dataset.process_type
        quarter = area.code in _QUARTER_HOURLY_AREAS or (area.to_code in _QUARTER_HOURLY_AREAS)
        if document == "A44" and dataset.contract_type == _INTRADAY:
            return tuple(("PT15M", auction) for auction in _INTRADAY_AUCTIONS)
        if document == "A44":
            if area.code in _DUAL_RESOLUTION_PRICE_AREAS:
                return (("PT60M", "1"), ("PT15M", "2"))
            return ((("PT15M" if day >= PRICE_RESOLUTION_SWITCH else "PT60M"), ""),)
        if document == "A65" and process == "A31":
            return (("P1D", ""),)
        if document == "A65" and process in ("A32", "A33"):
            return (("P7D", ""),)
        if document in ("A70", "A68"):
            return (("P1Y", ""),)
        if document == "A72":
            return (("P7D", ""),)
        if "PT1M" in dataset.resolutions:
            return (("PT1M", ""),)
        return (("PT15M" if quarter else "PT60M", ""),)

    def series_keys(self, dataset: Dataset, area: AreaKey, day: date) -> tuple[SeriesKey, ...]:
        """The keys of the series ``dataset`` has for ``area`` on local delivery ``day``."""
        keys = []
        for template in self._templates(dataset, area):
            for resolution, position in self._resolutions(dataset, area, day):
                keys.append(
                    SeriesKey(
                        document_type=dataset.document_type,
                        process_type=dataset.process_type
                        or _NAMED_PROCESS.get(dataset.document_type, ""),
                        business_type=template.business_type,
                        psr_type=template.psr_type,
                        in_domain=template.in_domain,
                        out_domain=template.out_domain,
                        classification_position=position,
                        resolution=resolution,
                        price_category=template.price_category,
                        flow_direction=template.flow_direction,
                        market_product=template.market_product,
                        quantity_kind=template.quantity_kind,
                        registered_resource=template.registered_resource,
                    )
                )
        return tuple(keys)

    def series_for(self, dataset: Dataset, area: AreaKey, interval: Interval) -> list[Series]:
        """Every series of ``dataset`` for ``area`` with its points whose start is in
        ``interval``, all positions present (no curve compression), in document order."""
        zone = local_zone(area.code)
        published: dict[date, tuple[SeriesKey, ...]] = {}

        def keys_on(day: date) -> tuple[SeriesKey, ...]:
            if day not in published:
                published[day] = self.series_keys(dataset, area, day)
            return published[day]

        # Which series exist is decided per local day, so look at every day of the interval.
        candidates: set[SeriesKey] = set()
        day = interval.start.astimezone(zone).date()
        while day <= interval.end.astimezone(zone).date():
            candidates.update(keys_on(day))
            day += timedelta(days=1)
        points: dict[SeriesKey, list[Point]] = {}
        for key in candidates:
            points[key] = [
                Point(start, self.value(dataset, key, start))
                for start in steps(key.resolution, interval, zone)
                if key in keys_on(start.astimezone(zone).date())
                and _traded(dataset, key, start.astimezone(zone))
            ]
        unit = _DATASET_UNITS.get(dataset.key) or _UNITS.get(dataset.document_type, QUANTITY_UNIT)
        contract = dataset.contract_type or ""
        return [
            Series(key, tuple(found), unit=unit, curve_type=CURVE_TYPE, contract_type=contract)
            for key, found in sorted(points.items(), key=lambda item: _order(item[0]))
            if found
        ]

    def published_series(
        self,
        dataset: Dataset,
        area: AreaKey,
        requested: Interval,
        *,
        now: datetime,
        data_start: datetime = DEFAULT_DATA_START,
    ) -> list[Series]:
        """What an emulator with this seed answers to a request for ``requested`` at ``now``:
        the series of :func:`published_interval`, or nothing (an acknowledgement)."""
        published = published_interval(dataset, area, requested, data_start=data_start, now=now)
        return self.series_for(dataset, area, published) if published else []

    # -- values --------------------------------------------------------------------------

    def value(self, dataset: Dataset, key: SeriesKey, timestamp: datetime) -> float:
        """The value of series ``key`` of ``dataset`` at step start ``timestamp`` (UTC)."""
        area = filing_area(dataset, key)
        zone = local_zone(area.code)
        local = timestamp.astimezone(zone)
        document = dataset.document_type
        if document == "A44":
            raw = self._price(area.code, key, timestamp, local)
            if dataset.contract_type == _INTRADAY:
                # Each auction clears near the day-ahead price, a little apart from it.
                auction = self._noise("auction", area.code, key.classification_position, timestamp)
                raw += 15 * (auction - 0.5)
            return _tidy(round(raw, 2))
        if document == "A11":
            return _tidy(round(self._flow(key, timestamp), 2))
        if document == "A09":
            return _tidy(round(self._schedule(dataset, key, timestamp), 1))
        if document == "A61":
            return _tidy(float(round(self._transfer_capacity(dataset, key, local))))
        if document == "A25":
            return _tidy(round(self._net_position(dataset, area.code, key, timestamp), 1))
        if document == "A85":
            return _tidy(round(self._imbalance_price(area.code, key, timestamp, local), 2))
        if document == "A86":
            return _tidy(round(self._imbalance_volume(area.code, key, timestamp), 2))
        if document == "A24":
            return _tidy(round(self._bid(area.code, key, timestamp), 2))
        if document in ("A65", "A70"):
            raw = self._load(dataset, key, timestamp, local)
            if key.resolution in _SUB_DAILY:
                return _tidy(round(raw, 2))
        elif document == "A71":
            raw = 0.7 * self._load(dataset, key, timestamp, local)
        elif document == "A68":
            return _tidy(round(self._installed(area.code, key.psr_type, local), 2))
        elif document == "A72":
            return _tidy(round(self._reservoir(area.code, timestamp, local), 2))
        elif document == "A73":
            # A unit runs a share of its production type's generation, its own way.
            share = 0.2 + 0.3 * self._constant("unit", key.registered_resource)
            raw = share * self._generation(area.code, key, timestamp, local)
        else:
            raw = self._generation(area.code, key, timestamp, local)
            if document == "A69" and key.process_type != "A01":
                raw = self._revised(raw, area.code, key, timestamp)
        return _tidy(float(round(raw)))

    def _base_load(self, code: str) -> float:
        return 2000.0 + 40000.0 * self._constant("base", code)

    @staticmethod
    def _daily(local: datetime) -> float:
        hour = local.hour + local.minute / 60
        return 0.85 + 0.15 * math.sin(2 * math.pi * (hour - 6) / 24)

    @staticmethod
    def _seasonal(local: datetime) -> float:
        return 1 + 0.12 * math.cos(2 * math.pi * (local.timetuple().tm_yday - 15) / 365.25)

    @staticmethod
    def _sun(local: datetime) -> float:
        hour = local.hour + local.minute / 60
        summer = 1 - 0.5 * math.cos(2 * math.pi * (local.timetuple().tm_yday - 172) / 365.25)
        return max(0.0, math.sin(math.pi * (hour - 6) / 12)) * summer / 1.5

    def _load(self, dataset: Dataset, key: SeriesKey, instant: datetime, local: datetime) -> float:
        code = key.out_domain or key.in_domain
        base = self._base_load(code) * self._seasonal(local)
        jitter = self._noise(dataset.key, code, key.business_type, instant.timestamp()) - 0.5
        if key.business_type == "A60":
            return base * 0.72 * (1 + 0.03 * jitter)
        if key.business_type == "A61":
            return base * 1.08 * (1 + 0.03 * jitter)
        if key.business_type == "A91":
            return base * 0.1 * (1 + 0.2 * jitter)
        weekend = 0.88 if local.weekday() >= 5 else 1.0
        return base * self._daily(local) * weekend * (1 + 0.02 * jitter)

    def _capacity(self, code: str, psr: str) -> float:
        return self._base_load(code) * (0.05 + 0.35 * self._constant("capacity", code, psr))

    def _installed(self, code: str, psr: str, local: datetime) -> float:
        # What generation runs on, a little more of it every year.
        return self._capacity(code, psr) * (1 + 0.02 * (local.year - 2015))

    def _reservoir(self, code: str, instant: datetime, local: datetime) -> float:
        # Stored energy: full after the spring melt, low at the end of winter.
        size = 1e5 + 4e6 * self._constant("reservoir", code)
        season = math.sin(2 * math.pi * (local.timetuple().tm_yday - 100) / 365.25)
        jitter = self._noise("reservoir", code, instant.timestamp()) - 0.5
        return size * (0.55 + 0.3 * season + 0.05 * jitter)

    def _generation(self, code: str, key: SeriesKey, instant: datetime, local: datetime) -> float:
        capacity = self._capacity(code, key.psr_type)
        psr = key.psr_type
        if psr == "B16":
            return capacity * self._sun(local)
        if psr in ("B18", "B19"):
            return capacity * self._wind(code, psr, instant)
        if psr == "B14":
            # Nuclear runs flat for days: long runs of equal values.
            return capacity * (0.85 + 0.1 * self._constant("outage", code, local.date()))
        if psr == _PUMPED_STORAGE:
            swing = math.sin(2 * math.pi * (local.hour + local.minute / 60 - 9) / 24)
            pumping = key.out_domain != ""
            return capacity * max(0.0, -swing if pumping else swing)
        jitter = self._noise("generation", code, psr, instant.timestamp())
        return capacity * (0.3 + 0.4 * self._daily(local) * jitter)

    def _revised(self, forecast: float, code: str, key: SeriesKey, instant: datetime) -> float:
        # An intraday or current forecast corrects the day-ahead one a little, each its own way.
        jitter = self._noise("revised", key.process_type, code, key.psr_type, instant.timestamp())
        return forecast * (0.9 + 0.2 * jitter)

    def _wind(self, code: str, psr: str, instant: datetime) -> float:
        hours = instant.timestamp() / 3600
        shape = 0.45
        for period, weight in ((31.0, 0.25), (97.0, 0.2), (11.0, 0.08)):
            phase = 2 * math.pi * self._constant("wind", code, psr, period)
            shape += weight * math.sin(2 * math.pi * hours / period + phase)
        return max(0.0, shape)

    def _price(self, code: str, key: SeriesKey, instant: datetime, local: datetime) -> float:
        hour_start = instant.replace(minute=0)
        level = 30 + 60 * self._constant("price-level", code)
        shape = 20 * math.sin(2 * math.pi * (local.hour - 12) / 24)
        # Sunny middays push prices below zero now and then.
        solar = 110 * self._sun(local) * self._constant("price-sun", code, local.date())
        hourly = level + shape - solar + 20 * (self._noise("price", code, hour_start) - 0.5)
        if key.resolution != "PT15M" or self._noise("quarter", code, instant) < 0.5:
            return hourly
        return hourly + 10 * (self._noise("quarter-step", code, instant) - 0.5)

    def _imbalance_price(
        self, code: str, key: SeriesKey, instant: datetime, local: datetime
    ) -> float:
        # The day-ahead level, swung far by the system's imbalance; the price for insufficient
        # balance (A05) lies above the one for excess (A04) when the two are apart.
        level = 30 + 60 * self._constant("price-level", code)
        swing = 150 * (self._noise("imbalance", code, instant) - 0.5)
        price = level + 20 * math.sin(2 * math.pi * (local.hour - 12) / 24) + swing
        apart = self._noise("imbalance-apart", code, instant)
        if key.price_category == "A05" and apart < 0.3:
            return price + 100 * apart
        return price

    def _imbalance_volume(self, code: str, key: SeriesKey, instant: datetime) -> float:
        # The system is short (up, A01) or long (down, A02), never both at once.
        imbalance = 200 * (self._noise("imbalance-volume", code, instant) - 0.5)
        up = key.flow_direction == "A01"
        return max(0.0, imbalance if up else -imbalance)

    def _bid(self, code: str, key: SeriesKey, instant: datetime) -> float:
        # What is offered holds for hours at a time; a share of it is activated (often none),
        # and now and then a part is unavailable.
        direction = key.flow_direction
        hours = instant.replace(minute=0)
        offered = float(round(100 + 200 * self._noise("bid-offered", code, direction, hours)))
        if key.quantity_kind == "secondaryQuantity":
            share = self._noise("bid-activated", code, direction, instant)
            return 0.0 if share < 0.3 else offered * (share - 0.3) / 2
        if key.quantity_kind == "unavailable_Quantity.quantity":
            outage = self._noise("bid-unavailable", code, direction, hours)
            return 0.0 if outage < 0.9 else float(round(offered * (outage - 0.9)))
        return offered

    def _schedule(self, dataset: Dataset, key: SeriesKey, instant: datetime) -> float:
        # Most of what flows is scheduled day-ahead; the total adds the other time frames.
        flow = 0.9 * self._flow(key, instant)
        if dataset.contract_type == "A01" or flow == 0:
            return flow
        return flow + 100 * self._noise("schedule", key.out_domain, key.in_domain, instant)

    def _net_position(
        self, dataset: Dataset, code: str, key: SeriesKey, instant: datetime
    ) -> float:
        hours = instant.timestamp() / 3600
        phase = 2 * math.pi * self._constant("net-phase", code)
        size = 0.2 * self._base_load(code)
        position = size * math.sin(2 * math.pi * hours / 24 + phase)
        if dataset.contract_type != "A01":
            # What intraday trading moves is a small correction of the day-ahead position.
            position = 0.1 * position + 0.05 * size * (self._noise("net", code, hours) - 0.5)
        exporting = key.out_domain == code
        return max(0.0, position if exporting else -position)

    def _transfer_capacity(self, dataset: Dataset, key: SeriesKey, local: datetime) -> float:
        # A forecast holds one value for each day, week, month or year of its time frame.
        low, high = sorted((key.out_domain, key.in_domain))
        capacity = 300 + 2700 * self._constant("interconnector", low, high)
        holds = _CAPACITY_HOLDS[dataset.contract_type or "A01"]
        step = {
            "day": local.date(),
            "week": local.isocalendar()[:2],
            "month": (local.year, local.month),
            "year": local.year,
        }[holds]
        share = self._noise("transfer", key.out_domain, key.in_domain, holds, step)
        return capacity * (1.1 + 0.3 * share)

    def _flow(self, key: SeriesKey, instant: datetime) -> float:
        low, high = sorted((key.out_domain, key.in_domain))
        capacity = 300 + 2700 * self._constant("interconnector", low, high)
        hours = instant.timestamp() / 3600
        phase = 2 * math.pi * self._constant("flow-phase", low, high)
        drift = 2 * math.pi * self._constant("flow-drift", low, high)
        signal = 0.6 * math.sin(2 * math.pi * hours / 24 + phase) + 0.4 * math.sin(
            2 * math.pi * hours / 168 + drift
        )
        signal += 0.1 * (self._noise("flow", low, high, hours) - 0.5)
        towards_high = key.out_domain == low
        return capacity * max(0.0, signal if towards_high else -signal)


def unit_code(area_code: str, psr: str, number: int) -> str:
    """The EIC code (16 characters, W for a unit) of unit ``number`` of a production type."""
    digest = hashlib.blake2b(area_code.encode(), digest_size=2).hexdigest().upper()
    return f"11W{digest}{psr}{number:02d}".ljust(16, "-")


def unit_name(code: str) -> str:
    """The name a per-unit document gives the unit of ``code`` (see :func:`unit_code`)."""
    return f"Unit {code[7:10]} {code[10:12]} of {code[3:7]}"


def _traded(dataset: Dataset, key: SeriesKey, local: datetime) -> bool:
    """Whether the auction of an intraday price series trades the step starting at ``local``
    (every other series has a value at every step)."""
    if dataset.contract_type != _INTRADAY or key.classification_position != _AFTERNOON_AUCTION:
        return True
    return local.hour >= 12


def _tidy(value: float) -> float:
    # round() can give -0.0; a document would then say "-0.0" for what is plainly zero.
    return value + 0.0


def _order(key: SeriesKey) -> tuple[str | bool, ...]:
    # Generation (inBiddingZone) before consumption (outBiddingZone), as the API lists them.
    return (
        key.business_type,
        key.in_domain == "",
        key.psr_type,
        key.classification_position,
        key.out_domain,
        key.in_domain,
        key.resolution,
        key.price_category,
        key.flow_direction,
        key.market_product,
        key.quantity_kind,
        key.registered_resource,
    )


@functools.lru_cache(maxsize=16)
def _model(seed: int) -> SyntheticModel:
    return SyntheticModel(seed)


def expected_value(seed: int, dataset_key: str, key: SeriesKey, timestamp: datetime) -> float:
    """The value the emulator with ``seed`` serves for series ``key`` at ``timestamp``."""
    return _model(seed).value(DATASETS.get(dataset_key), key, timestamp)
