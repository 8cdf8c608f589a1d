"""What the emulator answers, independent of how bytes travel.

:meth:`EmulatorApp.admit` runs on the event loop for every request, in arrival order: it keeps
the ledger (budget, ban, statistics), answers while an outage lasts and draws the request's
fault. :meth:`EmulatorApp.answer` builds the answer to an admitted API request under the
limits in force (refusing an interval too long for its dataset); it is pure given the clock and
the switches, and may run in a worker thread, since a year of quarter-hourly generation takes
a while to render.
"""

from __future__ import annotations

import hmac
import io
import json
import math
import time
import zipfile
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit

import attrs

from entrypoints.emulator.control import ROUTES, control
from entrypoints.emulator.documents import (
    acknowledgement,
    document_span,
    html_page,
    market_document,
)
from entrypoints.emulator.faults import (
    CraftedAnswer,
    CraftedAnswers,
    Fault,
    FaultPlan,
    FaultSettings,
)
from entrypoints.emulator.limits import RequestLedger
from entrypoints.emulator.model import DEFAULT_DATA_START, SyntheticModel
from entrypoints.emulator.replies import HTML, XML, Reply
from entrypoints.emulator.spans import SpanLimits, export_name
from entrypoints.emulator.switches import (
    MAINTENANCE_PAGE,
    NOT_FOUND,
    Outage,
    OutageKind,
    Switches,
    cut_series,
)
from entsoe_core.areas import AREAS, AreaKey
from entsoe_core.datasets import DATASETS, Dataset, DomainParameter
from entsoe_core.errors import InvalidRequest
from entsoe_core.timeline import Interval, ensure_utc

__all__ = ["EmulatorApp", "EmulatorConfig", "Reply", "Ticket"]

DEFAULT_TOKEN = "emulator-token"  # noqa: S105 - the emulator's own, guards nothing real
_UNKNOWN_DATASET = "unknown"
ZIP = "application/zip"
_ZIPPED = frozenset({"imbalance_prices", "total_imbalance_volumes"})
"""Datasets the API serves as a ZIP archive holding the document (its recorded answers)."""


@attrs.frozen
class EmulatorConfig:
    """How an emulator behaves: its data, its token, its limits and its faults."""

    seed: int = 0
    token: str = DEFAULT_TOKEN
    data_start: datetime = attrs.field(default=DEFAULT_DATA_START, converter=ensure_utc)
    rate_limit_per_minute: int = 400
    ban_seconds: float = 600.0
    faults: FaultSettings = attrs.field(factory=FaultSettings)
    now: datetime | None = attrs.field(
        default=None, converter=attrs.converters.optional(ensure_utc)
    )
    """A fixed "now" for what is published; None follows the clock."""
    limits: SpanLimits = attrs.field(factory=SpanLimits)
    """The longest interval each dataset answers, and where it refuses too many instances."""
    cut_series: int | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.ge(1))
    )
    """Cut every series after this many points (HTTP 200, the rest missing); None: whole."""
    outage: OutageKind | None = None
    """Start in an outage of this kind; None: up."""
    outage_seconds: float | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.gt(0))
    )
    """How long the outage at start lasts; None: until switched off."""


@attrs.frozen
class Ticket:
    """The outcome of admitting a request: a final reply, or a query to answer with a fault."""

    reply: Reply | None = None
    query: Mapping[str, str] = attrs.field(factory=dict)
    fault: Fault = Fault.NONE
    delay: float = 0.0
    number: int = 0
    api: bool = False
    """Whether the request went to the API (and so belongs in the statistics)."""
    dataset: str = ""
    """The key of the dataset the request names, for the statistics."""


class _Refusal(Exception):
    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class EmulatorApp:
    """Routes requests, keeps the ledger and answers like the ENTSO-E API."""

    def __init__(self, config: EmulatorConfig, clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.clock = clock
        self.model = SyntheticModel(config.seed)
        self.ledger = RequestLedger(config.rate_limit_per_minute, config.ban_seconds)
        self.plan = FaultPlan(config.seed, config.faults)
        self.crafted = CraftedAnswers()
        outage = None
        if config.outage is not None:
            seconds = config.outage_seconds
            outage = Outage(config.outage, None if seconds is None else clock() + seconds)
        self.switches = Switches(config.limits, config.cut_series, outage)
        self._served = 0

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    def admit(self, method: str, target: str, body: bytes = b"", content_type: str = "") -> Ticket:
        """Account for one request and decide its fate; call in arrival order."""
        parts = urlsplit(target)
        if parts.path == "/_emulator/stats" and method == "GET":
            return Ticket(Reply(200, self._stats(), "application/json"))
        if parts.path == "/_emulator/arrivals" and method == "GET":
            return Ticket(
                Reply(200, json.dumps(self.ledger.arrivals()).encode(), "application/json")
            )
        if parts.path == "/_emulator/ban":
            return Ticket(self._ban(method, parts.query))
        if parts.path == "/_emulator/reset" and method == "POST":
            self.ledger.reset()
            return Ticket(Reply(204, b"", "text/plain"))
        if parts.path == "/_emulator/answers":
            return Ticket(self._craft(method, parts.query, body, content_type))
        if parts.path in ROUTES:
            return Ticket(control(self.switches, method, parts.path, parts.query, self.clock()))
        if parts.path.rstrip("/") != "/api":
            return Ticket(Reply(404, html_page("Not Found"), HTML))
        query = {name.lower(): value for name, value in parse_qsl(parts.query)}
        dataset = _dataset_key(query)
        now = self.clock()
        banned_until = self.ledger.admit(now, dataset)
        if banned_until is not None:
            text = f"Requester banned until '{_iso_ms(banned_until)}'"
            return Ticket(Reply(429, html_page(text), HTML), api=True, dataset=dataset)
        outage = self.switches.outage_at(now)
        if outage is not None:
            self.ledger.fault("outage")
            return Ticket(_outage_reply(outage), api=True, dataset=dataset)
        self._served += 1
        number = self._served
        fault = self.plan.fault(number)
        delay = self.plan.delay(number)
        if fault is Fault.UNAVAILABLE:
            return Ticket(
                Reply(503, html_page("Service Unavailable"), HTML),
                fault=fault,
                delay=delay,
                number=number,
                api=True,
                dataset=dataset,
            )
        if method != "GET":
            return Ticket(
                Reply(405, html_page("Method Not Allowed"), HTML),
                delay=delay,
                number=number,
                api=True,
                dataset=dataset,
            )
        crafted = self.crafted.take(query) if self._authorised(query) else None
        if crafted is not None:
            self.ledger.fault("crafted")
            reply = Reply(200, crafted.body, crafted.content_type)
            return Ticket(reply, fault=fault, delay=delay, number=number, api=True, dataset=dataset)
        return Ticket(
            query=query, fault=fault, delay=delay, number=number, api=True, dataset=dataset
        )

    def _authorised(self, query: Mapping[str, str]) -> bool:
        given = query.get("securitytoken", "")
        return bool(given) and hmac.compare_digest(given.encode(), self.config.token.encode())

    def _craft(self, method: str, query: str, body: bytes, content_type: str) -> Reply:
        """``POST /_emulator/answers?NAME=VALUE…[&times=N]``: answer the next N API requests
        carrying those parameters with the posted body; ``DELETE`` forgets every one."""
        if method == "DELETE":
            self.crafted.clear()
            return Reply(204, b"", "text/plain")
        if method != "POST":
            return Reply(405, html_page("Method Not Allowed"), HTML)
        match = {name.lower(): value for name, value in parse_qsl(query)}
        times = match.pop("times", "1")
        if not match or not times.isdigit() or int(times) < 1:
            text = "give the query parameters to match, and times as a whole number from 1"
            return Reply(400, html_page(text), HTML)
        self.crafted.add(
            CraftedAnswer(tuple(sorted(match.items())), body, content_type or XML, times=int(times))
        )
        return Reply(204, b"", "text/plain")

    def _ban(self, method: str, query: str) -> Reply:
        """``POST /_emulator/ban?seconds=S``: answer every API request 429 for S seconds."""
        if method != "POST":
            return Reply(405, html_page("Method Not Allowed"), HTML)
        seconds = dict(parse_qsl(query)).get("seconds", "")
        try:
            length = float(seconds)
        except ValueError:
            length = math.nan
        if not length > 0 or math.isinf(length):
            text = f"seconds {seconds!r} must be a positive number of seconds (for example 30)"
            return Reply(400, html_page(text), HTML)
        self.ledger.impose_ban(self.clock(), length)
        return Reply(204, b"", "text/plain")

    def answer(self, query: Mapping[str, str], number: int = 0) -> Reply:
        """The API's answer to an admitted GET /api with ``query`` (names lower-cased)."""
        if not self._authorised(query):
            return Reply(401, html_page("Unauthorized"), HTML)
        now = self.now()
        request_id = f"{self.config.seed}|{number}|" + "&".join(
            f"{k}={v}" for k, v in sorted(query.items()) if k != "securitytoken"
        )
        try:
            dataset, area, requested = _parse(query)
        except _Refusal as bad:
            return _refused(bad.text, now, request_id)
        switches = self.switches
        refusal = switches.limits.refusal(dataset, requested)
        if refusal is not None:
            return _refused(refusal.text, now, request_id, refusal.outcome)
        series = self.model.published_series(
            dataset,
            area,
            requested,
            now=self.switches.now or self.config.now or now,
            data_start=self.config.data_start,
        )
        psr_type = query.get("psrtype")
        if psr_type:
            series = [one for one in series if one.key.psr_type == psr_type]
        if not series:
            text = (
                f"No matching data found for Data item {dataset.title} ({area}) and interval "
                f"{_iso(requested.start)}/{_iso(requested.end)}."
            )
            return Reply(
                200,
                acknowledgement(text, created=now, request_id=request_id),
                XML,
                _disposition("acknowledgement.xml"),
                outcome="served",
            )
        # The document still says it covers what was published, as the API's did when it
        # cut series short.
        span = document_span(series, area.code)
        cut_points = switches.cut_points
        if cut_points is not None:
            series, was_cut = cut_series(series, cut_points)
            if was_cut:
                self.ledger.fault("cut_series")
        body = market_document(
            dataset, area.code, series, created=now, request_id=request_id, span=span
        )
        period = f"{requested.start:%Y%m%d%H%M}-{requested.end:%Y%m%d%H%M}"
        if dataset.key in _ZIPPED:
            return _zipped(body, f"001-{export_name(dataset).partition(':')[0]}_{period}")
        name = f"{dataset.title}_{period}.xml"
        return Reply(200, body, XML, _disposition(name), outcome="served")

    def _stats(self) -> bytes:
        now = self.clock()
        stats = {
            **self.ledger.snapshot(now),
            **self.switches.describe(now),
            "limits": self.switches.limits.describe(),
        }
        return json.dumps(stats, sort_keys=True).encode()


def _zipped(body: bytes, name: str) -> Reply:
    """The document as the API serves some datasets: one member of a ZIP attachment."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{name}.xml", body)
    disposition = (("Content-Disposition", f'attachment; filename="{name}.zip"'),)
    return Reply(200, archive.getvalue(), ZIP, disposition, outcome="served")


def _refused(text: str, now: datetime, request_id: str, outcome: str = "") -> Reply:
    return Reply(
        400,
        acknowledgement(text, created=now, request_id=request_id),
        XML,
        _disposition("acknowledgement.xml"),
        outcome=outcome,
    )


def _outage_reply(outage: Outage) -> Reply:
    if outage.kind is OutageKind.NOT_FOUND:
        return Reply(404, NOT_FOUND, "text/plain; charset=utf-8")
    return Reply(503, MAINTENANCE_PAGE, HTML)


def _dataset_key(query: Mapping[str, str]) -> str:
    try:
        return _dataset(query).key
    except _Refusal:
        return _UNKNOWN_DATASET


def _disposition(name: str) -> tuple[tuple[str, str], ...]:
    return (("Content-Disposition", f'inline; filename="{name}"'),)


def _iso(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


def _iso_ms(epoch: float) -> str:
    instant = datetime.fromtimestamp(epoch, UTC)
    return instant.strftime("%Y-%m-%dT%H:%M:%S.") + f"{instant.microsecond // 1000:03d}Z"


# The API answers a price request that names no contract type with the day-ahead prices.
_UNNAMED_CONTRACT = {"A44": "A01"}


def _dataset(query: Mapping[str, str]) -> Dataset:
    document = query.get("documenttype")
    if not document:
        raise _Refusal("Mandatory parameter documentType is missing.")
    process = query.get("processtype")
    known = [d for d in DATASETS if d.document_type == document]
    if not known:
        raise _Refusal(f"Unsupported or invalid documentType {document}.")
    business = query.get("businesstype")
    named = sorted({d.business_type for d in known if d.business_type is not None})
    # A document type may have datasets of one business type beside one of any (A86: current
    # balancing state is B33, total imbalance volumes name none).
    any_business = [d for d in known if d.business_type is None]
    if named and business not in named and not any_business:
        raise _Refusal(
            f"For documentType {document} parameter businessType must be {' or '.join(named)}, "
            f"not {business or '(none)'}."
        )
    if named:
        known = [d for d in known if d.business_type == business] or any_business
    contract = query.get("contract_marketagreement.type") or _UNNAMED_CONTRACT.get(document)
    contracts = [d for d in known if d.contract_type is not None]
    if contracts:
        for dataset in contracts:
            if dataset.contract_type == contract:
                return dataset
        if not contract:
            raise _Refusal(
                f"Mandatory parameter contract_MarketAgreement.Type is missing for documentType "
                f"{document}."
            )
        raise _Refusal(
            f"The combination of documentType {document} and contract_MarketAgreement.Type "
            f"{contract} is not valid."
        )
    for dataset in known:
        if dataset.process_type is None or dataset.process_type == process:
            return dataset
    if not process:
        raise _Refusal(f"Mandatory parameter processType is missing for documentType {document}.")
    raise _Refusal(
        f"The combination of documentType {document} and processType {process} is not valid."
    )


def _area(query: Mapping[str, str], name: str) -> str:
    value = query.get(name.lower())
    if not value:
        raise _Refusal(f"Mandatory parameter {name} is missing.")
    try:
        return AREAS.get(value).code
    except InvalidRequest:
        raise _Refusal(f"Value {value} of parameter {name} is not a valid area.") from None


def _area_key(dataset: Dataset, query: Mapping[str, str]) -> AreaKey:
    domain = dataset.domain
    if domain is DomainParameter.OUT_BIDDING_ZONE:
        return AreaKey(_area(query, "outBiddingZone_Domain"))
    if domain is DomainParameter.IN_DOMAIN:
        return AreaKey(_area(query, "in_Domain"))
    if domain is DomainParameter.CONTROL_AREA:
        return AreaKey(_area(query, "controlArea_Domain"))
    if domain is DomainParameter.AREA:
        return AreaKey(_area(query, "area_Domain"))
    into, out = _area(query, "in_Domain"), _area(query, "out_Domain")
    if domain in (DomainParameter.IN_AND_OUT_SAME, DomainParameter.NET_POSITION):
        if into != out:
            raise _Refusal(
                f"For documentType {dataset.document_type} in_Domain and out_Domain "
                "must be the same area."
            )
        return AreaKey(into)
    if into == out:
        raise _Refusal("For physical flows in_Domain and out_Domain must differ.")
    return AreaKey(out, into)


def _instant(query: Mapping[str, str], name: str) -> datetime:
    value = query.get(name.lower())
    if not value:
        raise _Refusal(f"Mandatory parameter {name} is missing.")
    try:
        return datetime.strptime(value, "%Y%m%d%H%M").replace(tzinfo=UTC)
    except ValueError:
        raise _Refusal(
            f"Value {value} of parameter {name} is not a valid yyyyMMddHHmm date."
        ) from None


def _parse(query: Mapping[str, str]) -> tuple[Dataset, AreaKey, Interval]:
    dataset = _dataset(query)
    area = _area_key(dataset, query)
    start, end = _instant(query, "periodStart"), _instant(query, "periodEnd")
    if end <= start:
        raise _Refusal("periodEnd must be after periodStart.")
    return dataset, area, Interval(start, end)
