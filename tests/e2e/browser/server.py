"""``entsoe serve`` as the browser tests run it: a subprocess on the emulator, with tokens
the tests know, so that they can enter one and look for the other."""

from __future__ import annotations

import contextlib
import re
import signal
from collections.abc import Iterator
from pathlib import Path

import attrs
import httpx

from tests.e2e.harness import Cli, Emulator, Process, base_environment, wait_for

SOURCE_TOKEN = "entsoe-source-token-5d1c9e"
"""The emulator's security token: the server's ENTSOE_API_TOKEN, which no page may show."""
HTTP_TOKEN = "dashboard-http-token-8e2b"
"""The server's ENTSOE_HTTP_TOKEN, entered in the page to start, resume and cancel."""


@attrs.frozen
class Dashboard:
    """An ``entsoe serve`` subprocess, the emulator it fetches from, and the CLI on its database."""

    url: str
    cli: Cli
    emulator: Emulator
    process: Process

    def api(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.url, timeout=30, headers={"Authorization": f"Bearer {HTTP_TOKEN}"}
        )

    def emulator_control(self, path: str) -> str:
        return self.emulator.url.removesuffix("/api") + path


@contextlib.contextmanager
def serving(
    folder: Path,
    emulator: Emulator,
    database_url: str,
    *,
    upgrade: bool = True,
    healthy: bool = True,
) -> Iterator[Dashboard]:
    """``entsoe serve --port 0`` on ``database_url``, fetching from ``emulator``; stopped by
    SIGTERM afterwards. ``upgrade`` migrates the database first; without ``healthy`` any
    answer of /health will do (a database that cannot be reached answers 503)."""
    env = {
        **base_environment(),
        "ENTSOE_DATABASE_URL": database_url,
        "ENTSOE_API_URL": emulator.url,
        "ENTSOE_API_TOKEN": SOURCE_TOKEN,
        "ENTSOE_HTTP_TOKEN": HTTP_TOKEN,
        "ENTSOE_RETRY_ATTEMPTS": "2",
        "ENTSOE_RETRY_BASE_SECONDS": "0.05",
        "ENTSOE_RETRY_MAX_SECONDS": "0.1",
    }
    cli = Cli(folder, env)
    if upgrade:
        cli("db", "upgrade").ok()
    process = cli.start("serve", "--port", "0", "--log-level", "warning", name="serve")
    try:
        found = wait_for(
            "the address entsoe serve prints",
            lambda: re.search(r"HTTP API on (http://127\.0\.0\.1:\d+)", process.stderr),
            timeout=60,
        )
        url = found.group(1)
        wait_for("the server to answer", lambda: _answers(url, healthy), timeout=60)
        yield Dashboard(url, cli, emulator, process)
    finally:
        if process.popen.poll() is None:
            process.popen.send_signal(signal.SIGTERM)
            process.wait(timeout=60)


def _answers(url: str, healthy: bool) -> bool | None:
    with contextlib.suppress(httpx.TransportError):
        status = httpx.get(f"{url}/health", timeout=5).status_code
        return status == 200 or not healthy or None
    return None
