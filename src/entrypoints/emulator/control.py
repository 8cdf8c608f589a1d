"""The control routes that switch a running emulator's limits and faults.

``/_emulator/limits``
    ``GET``: the limits in force as JSON. ``POST ?DATASET=PERIOD…[&era=current|legacy]``: each
    named dataset answers at most PERIOD per request from now on (``day_ahead_prices=P1M``);
    ``era`` switches between today's limits and the legacy ones (one year everywhere).
    ``DELETE``: back to the limits the emulator started with.
``/_emulator/instances``
    ``POST ?DATASET=PERIOD…``: requests of DATASET longer than PERIOD are refused as too many
    instances. ``DELETE``: no dataset refuses them.
``/_emulator/cut``
    ``POST ?points=N``: every series is cut after its first N points. ``DELETE``: whole again.
``/_emulator/outage``
    ``POST ?kind=maintenance|not-found[&seconds=S]``: every API request is answered 503 with a
    maintenance page, or 404 "404 page not found", for S seconds or until ``DELETE``.
``/_emulator/now``
    ``POST ?at=INSTANT`` (ISO 8601, UTC: ``2026-03-10T12:00``): publish as if it were that
    instant from now on, as the API does when new days come out. ``DELETE``: as started.

A bad value is answered 400 with a page that names it and what is accepted; nothing changes.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from urllib.parse import parse_qsl

from entrypoints.emulator.documents import html_page
from entrypoints.emulator.replies import HTML, Reply
from entrypoints.emulator.spans import LimitEra, parse_limits
from entrypoints.emulator.switches import Outage, OutageKind, Switches
from entsoe_core.limits import RequestSpan

__all__ = ["ROUTES", "control"]

ROUTES = (
    "/_emulator/limits",
    "/_emulator/instances",
    "/_emulator/cut",
    "/_emulator/outage",
    "/_emulator/now",
)

_DONE = Reply(204, b"", "text/plain")


class _BadValue(Exception):
    pass


def control(switches: Switches, method: str, path: str, query: str, now: float) -> Reply:
    """Answer a request to one of :data:`ROUTES`; ``now`` is the emulator's clock."""
    params = dict(parse_qsl(query))
    handlers = {
        "/_emulator/limits": _limits,
        "/_emulator/instances": _instances,
        "/_emulator/cut": _cut,
        "/_emulator/outage": _outage,
        "/_emulator/now": _now,
    }
    try:
        return handlers[path](switches, method, params, now)
    except _BadValue as error:
        return Reply(400, html_page(str(error)), HTML)


def _not_allowed() -> Reply:
    return Reply(405, html_page("Method Not Allowed"), HTML)


def _limits(switches: Switches, method: str, params: dict[str, str], now: float) -> Reply:
    if method == "GET":
        return Reply(200, json.dumps(switches.limits.describe()).encode(), "application/json")
    if method == "DELETE":
        switches.limits = switches.initial_limits
        return _DONE
    if method != "POST":
        return _not_allowed()
    era_name = params.pop("era", None)
    era = None
    if era_name is not None:
        try:
            era = LimitEra(era_name)
        except ValueError:
            raise _BadValue(
                f"era {era_name!r} is not one of {', '.join(e.value for e in LimitEra)}"
            ) from None
    if era is None and not params:
        raise _BadValue("give DATASET=PERIOD (for example day_ahead_prices=P1M), or era")
    spans = _assignments(params)
    switches.limits = switches.limits.overridden(era=era, spans=spans)
    return _DONE


def _instances(switches: Switches, method: str, params: dict[str, str], now: float) -> Reply:
    if method == "DELETE":
        switches.limits = switches.limits.without_instances()
        return _DONE
    if method != "POST":
        return _not_allowed()
    if not params:
        raise _BadValue("give DATASET=PERIOD (for example actual_generation_per_type=P7D)")
    switches.limits = switches.limits.overridden(instances=_assignments(params))
    return _DONE


def _cut(switches: Switches, method: str, params: dict[str, str], now: float) -> Reply:
    if method == "DELETE":
        switches.cut_points = None
        return _DONE
    if method != "POST":
        return _not_allowed()
    points = params.get("points", "")
    if not points.isdigit() or int(points) < 1:
        raise _BadValue(f"points {points!r} must be a whole number from 1 (for example 1000)")
    switches.cut_points = int(points)
    return _DONE


def _outage(switches: Switches, method: str, params: dict[str, str], now: float) -> Reply:
    if method == "DELETE":
        switches.outage = None
        return _DONE
    if method != "POST":
        return _not_allowed()
    kind_name = params.get("kind", OutageKind.MAINTENANCE.value)
    try:
        kind = OutageKind(kind_name)
    except ValueError:
        raise _BadValue(
            f"kind {kind_name!r} is not one of {', '.join(k.value for k in OutageKind)}"
        ) from None
    seconds = params.get("seconds")
    until = None
    if seconds is not None:
        try:
            length = float(seconds)
        except ValueError:
            length = math.nan
        if not length > 0 or math.isinf(length):
            raise _BadValue(f"seconds {seconds!r} must be a positive number of seconds")
        until = now + length
    switches.outage = Outage(kind, until)
    return _DONE


def _now(switches: Switches, method: str, params: dict[str, str], now: float) -> Reply:
    if method == "DELETE":
        switches.now = None
        return _DONE
    if method != "POST":
        return _not_allowed()
    at = params.get("at", "")
    try:
        instant = datetime.fromisoformat(at)
    except ValueError:
        raise _BadValue(
            f"at {at!r} is not an ISO 8601 instant; give for example 2026-03-10T12:00 (UTC)"
        ) from None
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    switches.now = instant.astimezone(UTC)
    return _DONE


def _assignments(params: dict[str, str]) -> list[tuple[str, RequestSpan]]:
    try:
        return parse_limits(params)
    except ValueError as error:
        raise _BadValue(str(error)) from None
