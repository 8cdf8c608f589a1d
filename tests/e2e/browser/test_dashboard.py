"""The dashboard in a real headless Chromium, served by a real ``entsoe serve`` on the emulator.

Each test drives the page as a user does: types in the form, clicks the buttons, reads what
the page shows. They share one server and one SQLite file, each on its own areas and months.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from entsoe_core.timeline import add_months
from tests.e2e.browser.chromium import save_page
from tests.e2e.browser.page import DashboardPage
from tests.e2e.browser.server import HTTP_TOKEN, Dashboard

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NL = "10YNL----------L"
REPOSITORY = Path(__file__).resolve().parents[3]
README_SCREENSHOT = "ENTSOE_TEST_README_SCREENSHOT"
"""Set to a path (docs/img/dashboard.png) to write the README's screenshot there."""


@pytest.fixture
def page(browser: WebDriver, dashboard: Dashboard) -> DashboardPage:
    opened = DashboardPage(browser, dashboard.url)
    browser.get(f"{dashboard.url}/")
    browser.execute_script("sessionStorage.clear()")
    return opened.open()


def test_a_backfill_started_from_the_form_shows_its_plan_then_reaches_100_percent(
    page: DashboardPage,
) -> None:
    page.use_token(HTTP_TOKEN)
    page.fill_backfill("NL", ["actual_total_load"], "2024-03-01", "2024-05-01", span="month")

    summary = page.preview()

    assert summary.startswith("2 chunk(s), 2 request(s) for 1 dataset \u00d7 area pair(s)")
    assert [cell.text for cell in page.find_all("#plan-groups tbody td")][:3] == [
        "actual_total_load",
        "NL",
        "2",
    ]
    job_id = page.start_backfill()
    page.wait("the job to complete", lambda: page.job_status(job_id) == "completed")
    value, maximum, percent = page.progress(job_id)
    assert (value, maximum) == (2, 2)
    assert percent == "100% · 2 of 2 chunks done"
    card = page.job(job_id).text
    assert f"{31 * 96 + 30 * 96} points written" in card
    assert "Elapsed" in card
    assert "ETA —" in card
    assert "2 requests, budget 350 per minute" in card
    assert not page.button(job_id, "Cancel").is_displayed()


def test_all_areas_are_planned_per_dataset_and_the_token_stays_in_the_session_only(
    page: DashboardPage,
) -> None:
    page.use_token(HTTP_TOKEN)
    page.fill_backfill("", ["day_ahead_prices"], "2024-01-01", "2024-01-02")
    page.find("#all-areas").click()
    assert not page.find("#areas").is_enabled()

    summary = page.preview()

    pairs = int(re.search(r"for (\d+) dataset", summary).group(1))  # type: ignore[union-attr]
    assert pairs > 30, summary
    kept = page.browser.execute_script(
        "return [sessionStorage.getItem('entsoe-http-token'), localStorage.length, document.cookie,"
        " document.getElementById('token').value]"
    )
    assert kept == [HTTP_TOKEN, 0, "", ""]


def test_a_changed_form_needs_a_new_preview_before_it_starts(page: DashboardPage) -> None:
    page.use_token(HTTP_TOKEN)
    page.fill_backfill("NL", ["actual_total_load"], "2024-03-01", "2024-04-01")
    page.preview()

    page.type("end-date", "2024-05-01")

    assert not page.find("#plan").is_displayed()
    assert not page.find("#start-backfill").is_displayed()


def test_the_coverage_grid_changes_colour_as_a_backfill_fills_a_month(
    page: DashboardPage,
) -> None:
    page.show_grid("day_ahead_prices", "BE", "2024-01", "2024-03", every=True)
    page.wait("February to show missing", lambda: page.cell_state("BE", "2024-02") == "missing")
    before = page.cell_colour("BE", "2024-02")
    assert page.cell_text("BE", "2024-02") == "M"

    page.use_token(HTTP_TOKEN)
    page.fill_backfill("BE", ["day_ahead_prices"], "2024-02-01", "2024-03-01")
    page.preview()
    job_id = page.start_backfill()

    page.wait("February to turn covered", lambda: page.cell_state("BE", "2024-02") == "covered")
    assert page.cell_text("BE", "2024-02") == "C"
    assert page.cell_colour("BE", "2024-02") != before
    assert page.cell_state("BE", "2024-01") == "missing"
    # The cell links to its chunks and its quality report.
    page.open_cell("BE", "2024-02")
    page.wait("the cell's chunks", lambda: job_id in page.text("cell-chunks"))
    assert "done" in page.text("cell-chunks")
    page.wait("the cell's quality", lambda: "PT60M" in page.text("cell-quality"))
    links = [a.get_attribute("href") or "" for a in page.find_all("#cell-links a")]
    assert [link.split("?")[0].removeprefix(page.url) for link in links] == ["/chunks", "/quality"]
    freshness = page.text("freshness-table")
    assert "BE" in freshness
    assert "behind" in freshness


def test_a_running_job_is_cancelled_with_its_button(
    page: DashboardPage, dashboard: Dashboard
) -> None:
    # A year of days for three areas: some thousand chunks, minutes of the request budget.
    body = {
        "areas": ["NL", "BE", "FR"],
        "datasets": ["day_ahead_prices"],
        "start": "2023-01-01",
        "end": "2024-01-01",
        "span": "day",
    }
    with dashboard.api() as api:
        job_id = api.post("/backfills", json=body).json()["id"]
    page.use_token(HTTP_TOKEN)
    page.wait("the job to run", lambda: page.button(job_id, "Cancel").is_displayed())
    # Running, it shows its requests per minute against the budget, and when it may end.
    timing = page.wait(
        "the request rate", lambda: page.job_text(job_id, "per minute of the budget of 350")
    )
    assert re.search(r"ETA \d", timing), timing

    page.button(job_id, "Cancel").click()

    page.wait("the job to be cancelled", lambda: page.job_status(job_id) == "cancelled")
    assert page.message_reading(f"Cancelled job {job_id}.")
    value, maximum, _ = page.progress(job_id)
    assert value < maximum
    assert not page.button(job_id, "Resume").is_displayed()
    assert not page.button(job_id, "Cancel").is_displayed()
    with dashboard.api() as api:
        assert api.get(f"/backfills/{job_id}").json()["status"] == "cancelled"


def test_a_failed_job_shows_its_failed_chunks_and_is_resumed_with_its_button(
    page: DashboardPage, dashboard: Dashboard
) -> None:
    answers = dashboard.emulator_control("/_emulator/answers")
    unexpected = b'<?xml version="1.0" encoding="UTF-8"?><Surprise_MarketDocument xmlns="urn:x"/>'
    match = {
        "documentType": "A65",
        "processType": "A16",
        "outBiddingZone_Domain": NL,
        "periodStart": "202406020000",
        "times": "5",
    }
    httpx.post(answers, params=match, content=unexpected, timeout=30).raise_for_status()
    body = {
        "areas": ["NL"],
        "datasets": ["actual_total_load"],
        "start": "2024-06-01",
        "end": "2024-06-04",
        "span": "day",
    }
    try:
        with dashboard.api() as api:
            job_id = api.post("/backfills", json=body).json()["id"]
        page.wait("the job to fail", lambda: page.job_status(job_id) == "failed")
        failed = page.job(job_id).find_element(By.CSS_SELECTOR, "details.failed")
        page.wait("its failed chunks", lambda: "1 failed chunk(s)" in failed.text)
        failed.find_element(By.TAG_NAME, "summary").click()
        listed = failed.find_element(By.CSS_SELECTOR, "li").text
        assert listed.startswith("actual_total_load NL 2024-06-02 \u2013 2024-06-03")
        assert "Surprise_MarketDocument" in listed
        assert "Last error:" in page.job(job_id).text
    finally:
        httpx.delete(answers, timeout=30).raise_for_status()

    page.use_token(HTTP_TOKEN)
    page.button(job_id, "Resume").click()

    page.wait("the job to complete", lambda: page.job_status(job_id) == "completed")
    assert page.progress(job_id)[2] == "100% · 3 of 3 chunks done"
    assert not page.job(job_id).find_element(By.CSS_SELECTOR, "details.failed").is_displayed()


def test_without_the_token_the_buttons_are_refused_with_a_clear_message(
    page: DashboardPage, dashboard: Dashboard
) -> None:
    no_run = dashboard.cli(
        "backfill",
        "--area",
        "NL",
        "--dataset",
        "actual_total_load",
        "--start",
        "2024-08-01",
        "--end",
        "2024-08-03",
        "--no-run",
    )
    job_id = no_run.ok().job_id()
    assert "read-only" in page.text("token-state")

    page.button(job_id, "Cancel").click()
    refused: str = page.wait("the refusal", lambda: page.message_reading("Refused"))
    assert "needs the API's bearer token (ENTSOE_HTTP_TOKEN)" in refused
    assert "no token was entered under Access" in refused
    page.button(job_id, "Resume").click()
    page.wait("the resume to be refused", lambda: page.message_reading("Refused"))
    page.fill_backfill("NL", ["actual_total_load"], "2024-09-01", "2024-09-02")
    page.find("#preview").click()
    page.wait("the preview to be refused", lambda: page.message_reading("Refused"))
    assert not page.find("#plan").is_displayed()

    page.use_token("not-the-token")
    page.button(job_id, "Cancel").click()
    page.wait(
        "the wrong token to be refused",
        lambda: page.message_reading("is not the one this server was given"),
    )

    with dashboard.api() as api:
        job = api.get(f"/backfills/{job_id}").json()
    assert (job["status"], job["chunks"]["done"]) == ("in_progress", 0)
    assert page.find("#message").get_attribute("role") == "alert"
    # Read-only, the page still shows the jobs and the grid.
    assert page.job(job_id).is_displayed()
    assert page.find_all("#grid table")


def test_the_page_works_by_keyboard_and_labels_every_control(
    page: DashboardPage, dashboard: Dashboard
) -> None:
    unlabelled = page.browser.execute_script(
        "return [...document.querySelectorAll('input, select')]"
        ".filter(control => control.labels.length === 0).map(control => control.id)"
    )
    assert unlabelled == []
    page.find("#token").send_keys(HTTP_TOKEN, Keys.ENTER)
    page.wait("the token to be kept", lambda: "A token is set" in page.text("token-state"))
    body = {
        "areas": ["NL"],
        "datasets": ["actual_total_load"],
        "start": "2024-10-01",
        "end": "2024-11-01",
    }
    with dashboard.api() as api:
        job_id = api.post("/backfills", json=body).json()["id"]
    page.wait("the job to complete", lambda: page.job_status(job_id) == "completed")
    page.show_grid("actual_total_load", "NL", "2024-10", "2024-10", every=True)
    page.wait("October covered", lambda: page.cell_state("NL", "2024-10") == "covered")
    # A focused cell keeps its focus while the page polls: another job moving on redraws
    # nothing that did not change.
    page.browser.execute_script(
        "document.querySelector(\"td.cell[data-area='NL'][data-month='2024-10'] a\").focus()"
    )
    elsewhere = {**body, "datasets": ["day_ahead_prices"]}
    with dashboard.api() as api:
        other = api.post("/backfills", json=elsewhere).json()["id"]
    page.wait("the other job to complete", lambda: page.job_status(other) == "completed")
    time.sleep(2)
    focused_cell = page.browser.execute_script(
        "const cell = document.activeElement.closest('td'); return cell && cell.dataset.month"
    )
    assert focused_cell == "2024-10"

    page.open_cell("NL", "2024-10", by_keyboard=True)

    page.wait("the cell's details", lambda: job_id in page.text("cell-chunks"))
    focused = page.browser.execute_script("return document.activeElement.id")
    assert focused == "cell-title"
    assert page.text("cell-title") == "NL \u00b7 actual_total_load \u00b7 2024-10"


def month(offset: int) -> str:
    """The UTC calendar month ``offset`` months from this one, as ``YYYY-MM``."""
    this_month = datetime.now(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return f"{add_months(this_month, offset):%Y-%m}"


def test_the_dashboard_at_a_glance(page: DashboardPage, dashboard: Dashboard) -> None:
    """Areas and months in every state a backfill leaves, for a look at the whole page (and
    the README's picture): covered, holes (the emulator cuts the answers short), provisional
    (fetched before its answers settled) and missing."""
    areas = ["NL", "BE", "DE_LU", "FR"]
    tomorrow = f"{datetime.now(UTC) + timedelta(days=1):%Y-%m-%d}"
    jobs = [
        {"areas": areas, "start": f"{month(-4)}-01", "end": f"{month(-1)}-01"},
        {"areas": ["BE", "FR"], "start": f"{month(0)}-01", "end": tomorrow},
    ]
    holes = {"areas": ["NL"], "start": f"{month(-1)}-01", "end": f"{month(0)}-01"}
    cut = dashboard.emulator_control("/_emulator/cut")
    with dashboard.api() as api:

        def run(body: Mapping[str, object]) -> None:
            answer = api.post("/backfills", json={"datasets": ["actual_total_load"], **body})
            job_id = answer.json()["id"]
            page.wait(f"job {job_id} to complete", lambda: page.job_status(job_id) == "completed")

        for body in jobs:
            run(body)
        httpx.post(cut, params={"points": "500"}, timeout=30).raise_for_status()
        try:
            run(holes)
        finally:
            httpx.delete(cut, timeout=30).raise_for_status()
    page.show_grid("actual_total_load", "NL,BE,DE_LU,FR,AT", month(-5), month(0), every=False)

    page.wait("the grid to show them", lambda: page.cell_state("NL", month(-1)) == "holes")
    states = {area: [page.cell_state(area, month(m)) for m in range(-5, 1)] for area in areas}
    covered = ["covered"] * 3
    assert states == {
        "NL": ["missing", *covered, "holes", "missing"],
        "BE": ["missing", *covered, "missing", "provisional"],
        "DE_LU": ["missing", *covered, "missing", "missing"],
        "FR": ["missing", *covered, "missing", "provisional"],
    }
    assert page.cell_text("NL", month(-1)) == "H"
    assert page.cell_text("BE", month(0)) == "P"
    rows = page.find_all("#grid tbody tr")
    assert sorted(row.find_element(By.TAG_NAME, "th").text for row in rows) == sorted(areas)
    freshness = page.text("freshness-table")
    assert "AT" not in freshness
    assert "fresh" in freshness
    target = os.environ.get(README_SCREENSHOT)
    if target:
        page.browser.execute_script("window.scrollTo(0, 0)")
        save_page(page.browser, REPOSITORY / Path(target))
