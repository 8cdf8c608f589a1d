"""The longest interval the emulator answers for each dataset, and its refusals, in the API's words.

By default the emulator keeps the API's limits as they are today: since September 2026 one
month for actual total load, actual generation per type and total imbalance volumes, ten days
for imbalance prices and the current balancing state, one year for the rest. The legacy limits
(one year everywhere but those two, which have always been answered ten days at most) play the
API before that.
Overrides make a dataset stricter (or looser) than either, at start or while the emulator
runs, so that a test can change the API's limits under a running backfill the way the real API
changed them without notice.

A limit is an ISO 8601 period counted from the start of the request, as the API counts it: one
month from 2025-05-01T00:00Z ends at 2025-06-01T00:00Z, so a local-time calendar month such as
2025-04-30T22:00Z to 2025-05-31T22:00Z is refused. A request past the limit is answered 400
with an acknowledgement: "Provided time interval (…) is larger than maximum allowed period
'P1M' for 'ACTUAL_TOTAL_LOAD_R3:XML' export." (the legacy limits answer in the wording the API
used in 2024). A dataset may also be set to answer "The number of instances (…) exceeds the
allowed maximum (…)" for requests longer than a given span, as per-unit generation answered in
2025; actual generation per generation unit answers so for more than a day unless set otherwise.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Mapping
from typing import Final

import attrs

from entsoe_core.datasets import DATASETS, Dataset
from entsoe_core.errors import InvalidRequest
from entsoe_core.limits import RequestSpan
from entsoe_core.timeline import Interval

__all__ = [
    "MAX_INSTANCES",
    "LimitEra",
    "SpanLimits",
    "SpanRefusal",
    "export_name",
    "parse_limits",
]

MAX_INSTANCES: Final = 100
"""The most instances the emulator allows in one request of a dataset set to refuse them."""

_ONE_MONTH = RequestSpan(months=1)
_ONE_YEAR = RequestSpan(months=12)
_ONE_MONTH_SINCE_SEPTEMBER_2026 = frozenset(
    {"actual_total_load", "actual_generation_per_type", "total_imbalance_volumes"}
)
_TEN_DAYS = RequestSpan(days=10)
_TEN_DAYS_ALWAYS = frozenset({"imbalance_prices", "current_balancing_state"})
# Generation per unit: more than a day of it is refused as too many instances (every unit's day
# is one), unless the instances of the dataset are set otherwise. The API's own rule, so it is
# neither listed among the switches set nor taken away with them.
_ONE_DAY_OF_INSTANCES: Final = {"actual_generation_per_unit": RequestSpan(days=1)}

# The names the API gives its exports in refusals: the first three as users reported them, the
# others in the same pattern.
_EXPORTS: Final = {
    "actual_total_load": "ACTUAL_TOTAL_LOAD_R3:XML",
    "actual_generation_per_type": "AGGREGATED_GENERATION_PER_TYPE_R3:XML",
    "day_ahead_prices": "ENERGY_PRICES:XML",
    "intraday_auction_prices": "ENERGY_PRICES:XML",
    "day_ahead_total_load_forecast": "DAY_AHEAD_TOTAL_LOAD_FORECAST_R3:XML",
    "week_ahead_total_load_forecast": "WEEK_AHEAD_TOTAL_LOAD_FORECAST_R3:XML",
    "month_ahead_total_load_forecast": "MONTH_AHEAD_TOTAL_LOAD_FORECAST_R3:XML",
    "year_ahead_total_load_forecast": "YEAR_AHEAD_TOTAL_LOAD_FORECAST_R3:XML",
    "year_ahead_forecast_margin": "YEAR_AHEAD_FORECAST_MARGIN_R3:XML",
    "day_ahead_generation_forecast": "DAY_AHEAD_AGGREGATED_GENERATION_R3:XML",
    "wind_solar_forecast": "DAY_AHEAD_GENERATION_FORECAST_WIND_SOLAR_R3:XML",
    "wind_solar_forecast_intraday": "INTRADAY_GENERATION_FORECAST_WIND_SOLAR_R3:XML",
    "wind_solar_forecast_current": "CURRENT_GENERATION_FORECAST_WIND_SOLAR_R3:XML",
    "cross_border_physical_flows": "PHYSICAL_FLOWS_R3:XML",
    "scheduled_exchanges_day_ahead": "COMMERCIAL_SCHEDULES_R3:XML",
    "scheduled_exchanges_total": "COMMERCIAL_SCHEDULES_R3:XML",
    "forecast_transfer_capacity_day_ahead": "FORECASTED_TRANSFER_CAPACITIES_R3:XML",
    "forecast_transfer_capacity_week_ahead": "FORECASTED_TRANSFER_CAPACITIES_R3:XML",
    "forecast_transfer_capacity_month_ahead": "FORECASTED_TRANSFER_CAPACITIES_R3:XML",
    "forecast_transfer_capacity_year_ahead": "FORECASTED_TRANSFER_CAPACITIES_R3:XML",
    "net_positions_day_ahead": "IMPLICIT_ALLOCATIONS_NET_POSITIONS_R3:XML",
    "net_positions_intraday": "IMPLICIT_ALLOCATIONS_NET_POSITIONS_INTRADAY_R3:XML",
    "installed_capacity_per_type": "INSTALLED_GENERATION_CAPACITY_AGGREGATED_R3:XML",
    "water_reservoirs": "AGGREGATE_FILLING_RATE_OF_WATER_RESERVOIRS_R3:XML",
    # The name of the ZIP archive the API serves imbalance prices in.
    "imbalance_prices": "IMBALANCE_PRICES_R3:XML",
    "total_imbalance_volumes": "TOTAL_IMBALANCE_VOLUMES_R3:XML",
    "current_balancing_state": "CURRENT_BALANCING_STATE_R3:XML",
    # The name the recorded answer's file was given.
    "aggregated_bids_afrr": "AGGREGATED_BALANCING_ENERGY_BIDS_R3:XML",
    "actual_generation_per_unit": "ACTUAL_GENERATION_PER_GENERATION_UNIT_R3:XML",
}


def export_name(dataset: Dataset) -> str:
    """The export a refusal of ``dataset`` names ("ACTUAL_TOTAL_LOAD_R3:XML")."""
    return _EXPORTS.get(dataset.key, f"{dataset.key.upper()}_R3:XML")


class LimitEra(enum.Enum):
    """Which of the API's limits the emulator keeps."""

    CURRENT = "current"
    """Since September 2026: one month for actual total load, generation per type and total
    imbalance volumes."""
    LEGACY = "legacy"
    """Before September 2026: one year for every dataset but imbalance prices and the current
    balancing state (ten days)."""


@attrs.frozen
class SpanRefusal:
    """Why a request is refused: ``outcome`` names it in the statistics, ``text`` in the
    acknowledgement."""

    outcome: str
    text: str


def _known(pairs: Iterable[tuple[str, RequestSpan]]) -> tuple[tuple[str, RequestSpan], ...]:
    return tuple(sorted(dict(pairs).items()))


@attrs.frozen
class SpanLimits:
    """The emulator's request limits: an era, per-dataset overrides, and the datasets that
    refuse "too many instances" past a span."""

    era: LimitEra = LimitEra.CURRENT
    overrides: tuple[tuple[str, RequestSpan], ...] = attrs.field(default=(), converter=_known)
    instances: tuple[tuple[str, RequestSpan], ...] = attrs.field(default=(), converter=_known)

    def span(self, dataset: Dataset) -> RequestSpan:
        """The longest interval one request of ``dataset`` may ask for."""
        overridden = dict(self.overrides).get(dataset.key)
        if overridden is not None:
            return overridden
        if dataset.key in _TEN_DAYS_ALWAYS:
            return _TEN_DAYS
        if self.era is LimitEra.CURRENT and dataset.key in _ONE_MONTH_SINCE_SEPTEMBER_2026:
            return _ONE_MONTH
        return _ONE_YEAR

    def refusal(self, dataset: Dataset, requested: Interval) -> SpanRefusal | None:
        """What the API answers a request of ``dataset`` for ``requested``, if it refuses it."""
        span = self.span(dataset)
        if not span.fits(requested):
            return SpanRefusal("too_long", self._too_long(dataset, requested, span))
        instances = dict(self.instances).get(dataset.key) or _ONE_DAY_OF_INSTANCES.get(dataset.key)
        if instances is not None and not instances.fits(requested):
            # As many instances as the request is longer than the span allows, in proportion.
            allowed = instances.end_from(requested.start) - requested.start
            count = math.ceil(MAX_INSTANCES * (requested.duration / allowed))
            text = (
                f"The number of instances ({max(count, MAX_INSTANCES + 1)}) exceeds the allowed "
                f"maximum ({MAX_INSTANCES})."
            )
            return SpanRefusal("too_many_instances", text)
        return None

    def _too_long(self, dataset: Dataset, requested: Interval, span: RequestSpan) -> str:
        # The legacy limits answer in the wording of 2024, today's in that of 2026.
        legacy = self.era is LimitEra.LEGACY
        shown = "%Y-%m-%dT%H:%MZ[UTC]" if legacy else "%Y-%m-%dT%H:%M:%SZ"
        return (
            f"Provided time interval ({requested.start.strftime(shown)} - "
            f"{requested.end.strftime(shown)}) is larger than maximum allowed period "
            f"'{span}' for '{export_name(dataset)}' export."
        )

    def overridden(
        self,
        *,
        era: LimitEra | None = None,
        spans: Iterable[tuple[str, RequestSpan]] = (),
        instances: Iterable[tuple[str, RequestSpan]] = (),
    ) -> SpanLimits:
        """These limits with another era, and more overrides (a dataset given again is
        replaced)."""
        return SpanLimits(
            era or self.era,
            (*self.overrides, *spans),
            (*self.instances, *instances),
        )

    def without_instances(self) -> SpanLimits:
        """These limits with no dataset refusing too many instances."""
        return SpanLimits(self.era, self.overrides)

    def describe(self) -> dict[str, object]:
        """The limits in force, as JSON-ready data."""
        return {
            "era": self.era.value,
            "limits": {dataset.key: str(self.span(dataset)) for dataset in DATASETS},
            "overrides": {key: str(span) for key, span in self.overrides},
            "too_many_instances_after": {key: str(span) for key, span in self.instances},
        }


def parse_limits(assignments: Iterable[str] | Mapping[str, str]) -> list[tuple[str, RequestSpan]]:
    """``DATASET=PERIOD`` assignments (or a mapping of them) as (dataset key, span) pairs.

    Raises :class:`ValueError` naming the assignment that is wrong and what is accepted.
    """
    if isinstance(assignments, Mapping):
        pairs = list(assignments.items())
    else:
        pairs = []
        for assignment in assignments:
            name, sep, period = assignment.partition("=")
            if not sep:
                raise ValueError(
                    f"{assignment!r} is not DATASET=PERIOD (for example day_ahead_prices=P1M)"
                )
            pairs.append((name, period))
    parsed = []
    for name, period in pairs:
        try:
            parsed.append((DATASETS.get(name).key, RequestSpan.parse(period)))
        except InvalidRequest as error:
            raise ValueError(f"limit {name}={period}: {error}") from None
    return parsed
