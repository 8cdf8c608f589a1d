"""No page or answer of the dashboard shows the ENTSO-E token or the database URL's password.

The server runs on PostgreSQL with a password in its URL (the test cluster trusts loopback, so
any password connects) and fetches from an emulator that wants a token of its own. The browser
uses the dashboard as a user does; then every address it loaded, and the answers of the routes
it reads when they fail, are fetched again and searched, with the page itself and the log.
"""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
import pytest
from selenium.webdriver.chrome.webdriver import WebDriver
from sqlalchemy.engine import make_url

from tests.e2e.browser.page import DashboardPage
from tests.e2e.browser.server import HTTP_TOKEN, SOURCE_TOKEN, Dashboard, serving
from tests.e2e.harness import Emulator

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PASSWORD = "db-pass-9f4e1a"


def with_password(url: str) -> str:
    return make_url(url).set(password=PASSWORD).render_as_string(hide_password=False)


def loaded(browser: WebDriver) -> list[str]:
    """Every address the page loaded: itself, its script and style, each JSON route read."""
    found: list[str] = browser.execute_script(
        "return [location.href, ...performance.getEntriesByType('resource').map(e => e.name)]"
    )
    return sorted(set(found))


def assert_clean(text: str, where: str) -> None:
    for secret in (PASSWORD, SOURCE_TOKEN):
        assert secret not in text, f"{where} shows a secret"


def assert_answers_clean(dashboard: Dashboard, addresses: list[str]) -> None:
    with httpx.Client(base_url=dashboard.url, timeout=30) as client:
        for address in addresses:
            answer = client.get(address)
            assert_clean(answer.text, address)
            assert_clean(str(answer.headers), f"the headers of {address}")
        refused = client.post("/backfills", json={"areas": ["NL"]})
        assert refused.status_code == 401
        assert_clean(refused.text, "a refused POST")


@pytest.mark.postgres
def test_no_page_or_answer_shows_the_source_token_or_the_database_password(
    browser: WebDriver, emulator: Emulator, postgres_url: str, tmp_path: Path
) -> None:
    with serving(tmp_path, emulator, with_password(postgres_url)) as dashboard:
        page = DashboardPage(browser, dashboard.url)
        browser.get(f"{dashboard.url}/")
        browser.execute_script("sessionStorage.clear()")
        page.open()
        page.use_token(HTTP_TOKEN)
        page.fill_backfill("NL", ["actual_total_load"], "2024-01-01", "2024-02-01")
        page.preview()
        job_id = page.start_backfill()
        page.wait("the job to complete", lambda: page.job_status(job_id) == "completed")
        page.show_grid("actual_total_load", "NL", "2023-12", "2024-02", every=True)
        page.wait("January covered", lambda: page.cell_state("NL", "2024-01") == "covered")
        page.open_cell("NL", "2024-01")
        page.wait("the cell's chunks", lambda: job_id in page.text("cell-chunks"))

        addresses = loaded(browser)
        assert any("/coverage/grid?" in a for a in addresses), addresses
        assert_answers_clean(
            dashboard,
            [
                *addresses,
                "/backfills/nope",
                f"/backfills/{job_id}/chunks",
                "/coverage/grid?dataset=nope",
                "/freshness?dataset=actual_total_load&area=ATLANTIS",
                "/static/nothing.js",
                "/schema",
            ],
        )
        page_source = browser.page_source
        assert_clean(page_source, "the page")
        assert HTTP_TOKEN not in page_source
    assert_clean(dashboard.process.stderr, "the server's log")


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.mark.postgres
def test_an_unreachable_database_shows_nothing_of_its_url_either(
    browser: WebDriver, emulator: Emulator, postgres_url: str, tmp_path: Path
) -> None:
    unreachable = make_url(with_password(postgres_url)).set(port=closed_port())
    url = unreachable.render_as_string(hide_password=False)
    with serving(tmp_path, emulator, url, upgrade=False, healthy=False) as dashboard:
        browser.get(f"{dashboard.url}/")
        page = DashboardPage(browser, dashboard.url)
        health = page.wait(
            "the page to say so",
            lambda: page.text("health") if "Not healthy" in page.text("health") else None,
        )
        assert "Database unavailable" in health
        assert_answers_clean(dashboard, [*loaded(browser), "/health"])
        assert_clean(browser.page_source, "the page")
    assert_clean(dashboard.process.stderr, "the server's log")
