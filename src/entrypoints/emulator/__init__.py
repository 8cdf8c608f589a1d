"""An ENTSO-E Transparency Platform API emulator with deterministic synthetic data.

It answers ``GET /api`` like the real API (documents, acknowledgements, 401, 429 bans) on
loopback, counts requests (``GET /_emulator/stats``), injects seeded faults and, on demand,
crafted answers (``POST /_emulator/answers?NAME=VALUE…`` with the bytes to answer the next
matching request with; ``DELETE`` forgets them). The values it serves are computed by
:class:`~entrypoints.emulator.model.SyntheticModel`, which tests use to know what a store must
end up holding.
"""

from entrypoints.emulator.app import EmulatorApp, EmulatorConfig
from entrypoints.emulator.faults import FaultSettings
from entrypoints.emulator.model import SyntheticModel, expected_value
from entrypoints.emulator.server import EmulatorServer, emulator_in_thread, running_emulator

__all__ = [
    "EmulatorApp",
    "EmulatorConfig",
    "EmulatorServer",
    "FaultSettings",
    "SyntheticModel",
    "emulator_in_thread",
    "expected_value",
    "running_emulator",
]
