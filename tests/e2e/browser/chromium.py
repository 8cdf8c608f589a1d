"""Debian's Chromium, headless, driven by Debian's chromedriver through Selenium.

Both are named by path, so Selenium Manager never runs and nothing is downloaded.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.chrome.webdriver import WebDriver

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


def missing() -> list[Path]:
    return [path for path in (CHROMIUM, CHROMEDRIVER) if not path.is_file()]


def start_chromium(profile: Path) -> WebDriver:
    """A headless Chromium with the fresh profile folder ``profile``."""
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    return driver


def save_page(browser: WebDriver, path: Path) -> None:
    """A PNG of the whole page, not only of the window."""
    path.parent.mkdir(parents=True, exist_ok=True)
    shot: dict[str, Any] = browser.execute_cdp_cmd(
        "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}
    )
    path.write_bytes(base64.b64decode(shot["data"]))
