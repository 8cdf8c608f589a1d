"""An ENTSO-E Transparency Platform API emulator with deterministic synthetic data.

It answers ``GET /api`` like the real API (documents, acknowledgements, 401, 429 bans, and 400
refusals of intervals longer than each dataset allows) on loopback, counts requests overall and
per dataset (``GET /_emulator/stats``), records every arrival and ban
(``GET /_emulator/arrivals``), bans on demand (``POST /_emulator/ban?seconds=S``), injects
seeded faults and, on demand, crafted answers
(``POST /_emulator/answers?NAME=VALUE…`` with the bytes to answer the next matching request
with; ``DELETE`` forgets them). While it runs, ``/_emulator/limits``, ``/_emulator/instances``,
``/_emulator/cut`` and ``/_emulator/outage`` change its limits, make it refuse too many
instances, cut series at N points and take it down (see :mod:`entrypoints.emulator.control`).
The values it serves are computed by :class:`~entrypoints.emulator.model.SyntheticModel`, which
tests use to know what a store must end up holding.
"""

from entrypoints.emulator.app import EmulatorApp, EmulatorConfig
from entrypoints.emulator.faults import FaultSettings
from entrypoints.emulator.model import SyntheticModel, expected_value
from entrypoints.emulator.server import EmulatorServer, emulator_in_thread, running_emulator
from entrypoints.emulator.spans import LimitEra, SpanLimits
from entrypoints.emulator.switches import OutageKind

__all__ = [
    "EmulatorApp",
    "EmulatorConfig",
    "EmulatorServer",
    "FaultSettings",
    "LimitEra",
    "OutageKind",
    "SpanLimits",
    "SyntheticModel",
    "emulator_in_thread",
    "expected_value",
    "running_emulator",
]
