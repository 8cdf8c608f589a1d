"""Fixtures of the browser tests: the emulator, ``entsoe serve`` on it, and a headless Chromium.

The browser is Debian's Chromium driven by Debian's chromedriver, both named by path, so that
Selenium Manager never runs and nothing is downloaded. After every test a screenshot of the
whole page goes to ``test-output/browser/<test>.png``.
"""

from __future__ import annotations

import base64
import contextlib
import re
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.chrome.webdriver import WebDriver

from tests.e2e.harness import Cli, Emulator, Process, base_environment, running_emulator, wait_for

REPOSITORY = Path(__file__).resolve().parents[2]
OUTPUT = REPOSITORY / "test-output" / "browser"
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,1000",
)
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
def serving(folder: Path, emulator: Emulator, database_url: str) -> Iterator[Dashboard]:
    """``entsoe serve --port 0`` on ``database_url``, fetching from ``emulator``; stopped by
    SIGTERM afterwards."""
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
    cli("db", "upgrade").ok()
    process = cli.start("serve", "--port", "0", "--log-level", "warning", name="serve")
    try:
        found = wait_for(
            "the address entsoe serve prints",
            lambda: re.search(r"HTTP API on (http://127\.0\.0\.1:\d+)", process.stderr),
            timeout=60,
        )
        url = found.group(1)
        wait_for("the server to answer", lambda: _answers(url), timeout=60)
        yield Dashboard(url, cli, emulator, process)
    finally:
        if process.popen.poll() is None:
            process.popen.send_signal(signal.SIGTERM)
            process.wait(timeout=60)


def _answers(url: str) -> bool | None:
    with contextlib.suppress(httpx.TransportError):
        return httpx.get(f"{url}/health", timeout=5).status_code == 200 or None
    return None


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    folder = tmp_path_factory.mktemp("emulator")
    with running_emulator(folder, "--token", SOURCE_TOKEN, seed=11) as running:
        yield running


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory, emulator: Emulator) -> Iterator[Dashboard]:
    """A server on a SQLite file, shared by the tests of a module."""
    folder = tmp_path_factory.mktemp("dashboard")
    with serving(folder, emulator, f"sqlite+aiosqlite:///{folder / 'entsoe.sqlite3'}") as served:
        yield served


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    """Headless Chromium, with a fresh profile for the module."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if not path.is_file():
            # Never a skip: the browser tests are part of every run.
            pytest.fail(
                f"{path} is missing: install Debian's chromium and chromium-driver "
                "(scripts/test.sh does so when run as root)"
            )
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def save_page(browser: WebDriver, path: Path) -> None:
    """A PNG of the whole page, not only of the window."""
    path.parent.mkdir(parents=True, exist_ok=True)
    shot: dict[str, Any] = browser.execute_cdp_cmd(
        "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}
    )
    path.write_bytes(base64.b64decode(shot["data"]))


@pytest.fixture(autouse=True)
def screenshot(request: pytest.FixtureRequest, browser: WebDriver) -> Iterator[None]:
    """After each test, passed or failed, the page as it was then."""
    yield
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    save_page(browser, OUTPUT / f"{name}.png")
