"""Fixtures of the browser tests: the emulator, ``entsoe serve`` on it, and a headless Chromium.

After every test a screenshot of the whole page goes to ``test-output/browser/<test>.png``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.webdriver.chrome.webdriver import WebDriver

from tests.e2e.browser.chromium import missing, save_page, start_chromium
from tests.e2e.browser.server import SOURCE_TOKEN, Dashboard, serving
from tests.e2e.harness import Emulator, running_emulator

REPOSITORY = Path(__file__).resolve().parents[3]
OUTPUT = REPOSITORY / "test-output" / "browser"


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
    if missing():
        # Never a skip: the browser tests are part of every run.
        pytest.fail(
            f"{', '.join(map(str, missing()))} missing: install Debian's chromium and "
            "chromium-driver (scripts/test.sh does so when run as root)"
        )
    driver = start_chromium(tmp_path_factory.mktemp("chromium-profile"))
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(autouse=True)
def screenshot(request: pytest.FixtureRequest, browser: WebDriver) -> Iterator[None]:
    """After each test, passed or failed, the page as it was then."""
    yield
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    save_page(browser, OUTPUT / f"{name}.png")
