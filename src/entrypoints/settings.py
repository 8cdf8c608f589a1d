"""Settings, loaded from environment variables through one cattrs converter.

Every setting has an ``ENTSOE_`` variable; the backfill settings may also be given as
``BACKFILL__<NAME>`` (``BACKFILL__HISTORY_YEARS=5``). Values are validated with errors that
name the variable, the bad value and what is accepted. The mapping of variables is passed in
(the entry points pass ``os.environ``), so loading is pure and testable. Settings are read here,
at the edge; the core takes the typed values (:class:`RunLimits`, :class:`RetryPolicy`, …).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta, tzinfo
from typing import Any

import attrs
import cattrs

from adapters.cron import check_expression
from entrypoints.zones import parse_zone
from entsoe_core.breaker import BreakerPolicy
from entsoe_core.budget import RequestBudget
from entsoe_core.coverage import RecheckPolicy
from entsoe_core.datasets import DATASETS
from entsoe_core.errors import ConfigurationError, InvalidRequest
from entsoe_core.plan import ChunkSpan
from entsoe_core.scopes import AreaScope
from entsoe_core.services.backfill import RunLimits
from entsoe_core.services.gapfill import NOTHING_TO_KEEP_FRESH
from entsoe_core.services.retry import RetryPolicy
from entsoe_core.services.scheduler import SchedulerPolicy

__all__ = [
    "BackfillSettings",
    "Secret",
    "Settings",
    "check_scope",
    "load_settings",
    "parse_schedules",
]

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///entsoe.sqlite3"
DEFAULT_API_URL = "https://web-api.tp.entsoe.eu/api"
_OUTAGE_THRESHOLD = 3


@attrs.frozen(repr=False)
class Secret:
    """A value that never shows itself in a repr, a log line or an error message."""

    _value: str

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__


def _in_range(low: float, high: float) -> Any:
    def check(_: object, attribute: attrs.Attribute[float], value: float) -> None:
        if not low <= value <= high:
            raise ValueError(
                f"ENTSOE_{attribute.name.upper()} must be between {low} and {high}, got {value}"
            )

    return check


def _known_areas(_: object, attribute: attrs.Attribute[tuple[str, ...]], value: Any) -> None:
    AreaScope.parse(value)


def _known_datasets(_: object, attribute: attrs.Attribute[tuple[str, ...]], value: Any) -> None:
    for name in value:
        DATASETS.get(name)


@attrs.frozen
class BackfillSettings:
    """How backfills and gap-fills run."""

    history_years: int = attrs.field(default=3, validator=_in_range(1, 10))
    chunk_span: ChunkSpan | None = None
    """A cap on the chunk span; unset: every dataset's chunks as long as its limits allow."""
    rate_limit_per_minute: float = attrs.field(default=350, validator=_in_range(1, 400))
    """The most requests that reach the API in any 60 s, the burst included; the shared bucket
    refills ``rate_limit_per_minute - rate_limit_burst - 1`` a minute (see entsoe_core.budget)."""
    rate_limit_burst: int = attrs.field(default=10, validator=_in_range(1, 50))
    """How many requests may go at once: within the minute's budget, not on top of it."""
    max_concurrent_areas: int = attrs.field(default=4, validator=_in_range(1, 1000))
    max_requests_in_flight: int = attrs.field(default=4, validator=_in_range(1, 64))
    retry_attempts: int = attrs.field(default=5, validator=_in_range(1, 100))
    retry_base_seconds: float = attrs.field(default=1.0, validator=_in_range(0.001, 600))
    retry_max_seconds: float = attrs.field(default=60.0, validator=_in_range(0.001, 3600))
    lease_seconds: float = attrs.field(default=120.0, validator=_in_range(1, 86400))
    no_data_recheck_days: float = attrs.field(default=7.0, validator=_in_range(0, 365))
    max_hole_fetches: int = attrs.field(default=3, validator=_in_range(1, 100))
    areas: tuple[str, ...] = attrs.field(default=(), validator=_known_areas)
    datasets: tuple[str, ...] = attrs.field(default=(), validator=_known_datasets)
    outage_threshold: int | None = attrs.field(
        default=None, validator=attrs.validators.optional(_in_range(1, 100))
    )
    """Outage-like failures in a row that open the breaker; 3 by default, or fewer when
    ``retry_attempts`` is lower."""
    outage_probe_seconds: float = attrs.field(default=30.0, validator=_in_range(1, 86400))
    outage_probe_max_seconds: float = attrs.field(default=1800.0, validator=_in_range(1, 86400))

    def __attrs_post_init__(self) -> None:
        # A chunk gives up after its attempts; it must meet an open breaker before that, or
        # an outage would fail the first chunks it reaches.
        if self.outage_threshold is not None and self.outage_threshold > self.retry_attempts:
            raise ValueError(
                f"ENTSOE_OUTAGE_THRESHOLD ({self.outage_threshold}) must not exceed "
                f"ENTSOE_RETRY_ATTEMPTS ({self.retry_attempts}): chunks would fail before an "
                "outage of the source is recognised"
            )
        if self.outage_probe_max_seconds < self.outage_probe_seconds:
            raise ValueError(
                f"ENTSOE_OUTAGE_PROBE_MAX_SECONDS ({self.outage_probe_max_seconds}) must not be "
                f"below ENTSOE_OUTAGE_PROBE_SECONDS ({self.outage_probe_seconds})"
            )
        # The budget's own rule, with the names of the variables that set it.
        try:
            RequestBudget(self.rate_limit_per_minute, self.rate_limit_burst)
        except ConfigurationError as error:
            raise ValueError(
                f"ENTSOE_RATE_LIMIT_PER_MINUTE ({self.rate_limit_per_minute:g}) and "
                f"ENTSOE_RATE_LIMIT_BURST ({self.rate_limit_burst}): {error}"
            ) from None

    @property
    def request_budget(self) -> RequestBudget:
        return RequestBudget(self.rate_limit_per_minute, self.rate_limit_burst)

    @property
    def limits(self) -> RunLimits:
        return RunLimits(
            max_requests_in_flight=self.max_requests_in_flight,
            max_concurrent_areas=self.max_concurrent_areas,
            lease=timedelta(seconds=self.lease_seconds),
        )

    @property
    def breaker(self) -> BreakerPolicy:
        threshold = self.outage_threshold
        if threshold is None:
            threshold = min(_OUTAGE_THRESHOLD, self.retry_attempts)
        return BreakerPolicy(
            threshold=threshold,
            first_probe_seconds=self.outage_probe_seconds,
            max_probe_seconds=self.outage_probe_max_seconds,
        )

    @property
    def recheck(self) -> RecheckPolicy:
        return RecheckPolicy(
            no_data_settle=timedelta(days=self.no_data_recheck_days),
            max_hole_fetches=self.max_hole_fetches,
        )

    @property
    def retry(self) -> RetryPolicy:
        return RetryPolicy(
            attempts=self.retry_attempts,
            base_seconds=self.retry_base_seconds,
            max_seconds=self.retry_max_seconds,
        )


def _log_format(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    if value not in ("text", "json"):
        raise ValueError(f"ENTSOE_LOG_FORMAT must be text or json, got {value!r}")


def _schedules(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    parse_schedules(value)


def parse_schedules(text: str) -> dict[str, str]:
    """``ENTSOE_SCHEDULES``: ``DATASET=CRON`` pairs separated by ``;`` (cron expressions hold
    spaces and commas), each dataset known and each expression one cron reads."""
    found: dict[str, str] = {}
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        dataset, sep, expression = (x.strip() for x in part.partition("="))
        if not sep or not expression:
            raise ValueError(
                f"ENTSOE_SCHEDULES: {part!r} is not DATASET=CRON; give for example "
                "day_ahead_prices=20 12,16 * * *;actual_total_load=7 * * * *"
            )
        DATASETS.get(dataset)
        try:
            found[dataset] = check_expression(expression)
        except ValueError as error:
            raise ValueError(f"ENTSOE_SCHEDULES: {dataset}: {error}") from None
    return found


@attrs.frozen
class Settings:
    """Everything the application is configured with."""

    database_url: str = DEFAULT_DATABASE_URL
    api_url: str = DEFAULT_API_URL
    api_token: Secret | None = None
    http_token: Secret | None = None
    http_allow_unauthenticated: bool = False
    tz: str = attrs.field(default="", validator=lambda _, __, value: _known_zone(value))
    """The zone dates are read in and rows written in when a command or request names none
    (``--tz``, ``tz``); empty: UTC."""
    backfill: BackfillSettings = attrs.field(factory=BackfillSettings)
    log_format: str = attrs.field(default="text", validator=_log_format)
    """Read by the command line's ``--log-format`` (the same variable); known here so that the
    variable is not refused as unknown."""
    schedules: str = attrs.field(default="", validator=_schedules)
    """Cron expressions (UTC) per dataset for ``entsoe run``; the others follow their
    publication."""
    schedule_jitter_seconds: float = attrs.field(default=120.0, validator=_in_range(0, 3600))
    schedule_margin_seconds: float = attrs.field(default=3600.0, validator=_in_range(1, 604800))
    serve_scheduler: bool = False
    """Whether ``entsoe serve`` runs the scheduler (and a worker) too."""

    @property
    def scheduler(self) -> SchedulerPolicy:
        return SchedulerPolicy(
            jitter=timedelta(seconds=self.schedule_jitter_seconds),
            margin=timedelta(seconds=self.schedule_margin_seconds),
        )

    @property
    def schedule_overrides(self) -> dict[str, str]:
        return parse_schedules(self.schedules)

    @property
    def zone(self) -> tzinfo:
        return parse_zone(self.tz)


def _known_zone(value: str) -> None:
    try:
        parse_zone(value)
    except InvalidRequest as error:
        raise ValueError(str(error)) from None


_BACKFILL_FIELDS = {f.name for f in attrs.fields(BackfillSettings)}
_TOP_FIELDS = {f.name for f in attrs.fields(Settings)} - {"backfill"}
# Variables of the ENTSOE_ family that are not settings of the application: the emulator's own
# options (click reads them) and the test suite's. Settings loading must not refuse them.
_READ_ELSEWHERE = ("ENTSOE_EMULATOR_", "ENTSOE_TEST_")
_BOOLEANS = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}


def _converter() -> cattrs.Converter:
    converter = cattrs.Converter(forbid_extra_keys=True)
    converter.register_structure_hook(Secret, lambda value, _: Secret(str(value)))
    converter.register_structure_hook_func(
        lambda cls: cls == tuple[str, ...],
        lambda value, _: tuple(p.strip() for p in str(value).split(",") if p.strip()),
    )

    def boolean(value: object, _: object) -> bool:
        if isinstance(value, bool):
            return value
        parsed = _BOOLEANS.get(str(value).strip().lower())
        if parsed is None:
            raise ValueError(f"expected one of {', '.join(_BOOLEANS)}, got {value!r}")
        return parsed

    def span(value: object, _: object) -> ChunkSpan | None:
        text = "" if value is None else str(value).strip().lower()
        # Empty (or "none"): no cap, the datasets' limits alone cut the chunks.
        if text in ("", "none"):
            return None
        try:
            return ChunkSpan(text)
        except ValueError:
            choices = ", ".join(s.value for s in ChunkSpan)
            raise ValueError(f"expected one of {choices} (or none), got {value!r}") from None

    converter.register_structure_hook(bool, boolean)
    converter.register_structure_hook(ChunkSpan | None, span)
    return converter


_CONVERTER = _converter()


def _collect(environ: Mapping[str, str]) -> dict[str, Any]:
    top: dict[str, Any] = {}
    backfill: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for variable, value in environ.items():
        if variable.startswith("ENTSOE_"):
            name = variable.removeprefix("ENTSOE_").lower()
        elif variable.startswith("BACKFILL__"):
            name = variable.removeprefix("BACKFILL__").lower()
            if name not in _BACKFILL_FIELDS:
                raise ConfigurationError(
                    f"unknown setting {variable}; backfill settings are "
                    + ", ".join(f"BACKFILL__{f.upper()}" for f in sorted(_BACKFILL_FIELDS))
                )
        else:
            continue
        if variable.startswith(_READ_ELSEWHERE):
            continue
        target = backfill if name in _BACKFILL_FIELDS else top
        if name not in _BACKFILL_FIELDS and name not in _TOP_FIELDS:
            known = sorted(f"ENTSOE_{f.upper()}" for f in _TOP_FIELDS | _BACKFILL_FIELDS)
            raise ConfigurationError(f"unknown setting {variable}; known: {', '.join(known)}")
        if name in target and target[name] != value:
            raise ConfigurationError(
                f"{sources[name]} and {variable} disagree ({target[name]!r} vs {value!r}); "
                "set only one of them"
            )
        target[name] = value
        sources[name] = variable
    if backfill:
        top["backfill"] = backfill
    return top


def load_settings(environ: Mapping[str, str]) -> Settings:
    """Settings from environment variables; raises ConfigurationError naming what is wrong."""
    raw = _collect(environ)
    try:
        return _CONVERTER.structure(raw, Settings)
    except (cattrs.BaseValidationError, ValueError, InvalidRequest) as error:
        details = (
            [
                _variable_names(d)
                for d in cattrs.transform_error(error, path="$", format_exception=_describe)
            ]
            if isinstance(error, cattrs.BaseValidationError)
            else [str(error)]
        )
        raise ConfigurationError("invalid settings: " + "; ".join(details)) from None


def _describe(error: BaseException, expected: type | None) -> str:
    if isinstance(error, ValueError) and str(error):
        return str(error)
    return cattrs.v.format_exception(error, expected)


def _variable_names(detail: str) -> str:
    """Rewrite cattrs' ``@ $.backfill.history_years`` paths as the variable to set."""
    message, _, path = detail.rpartition(" @ ")
    if not message:
        return detail
    if path in ("$", "$.backfill"):
        return message
    name = path.removeprefix("$.").removeprefix("backfill.")
    return f"ENTSOE_{name.upper()}: {message}"


def check_scope(settings: Settings) -> None:
    """Refuse to keep nothing fresh: the scheduler needs areas and datasets."""
    if not settings.backfill.areas or not settings.backfill.datasets:
        raise InvalidRequest(NOTHING_TO_KEEP_FRESH)
