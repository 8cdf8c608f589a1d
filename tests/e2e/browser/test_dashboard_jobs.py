"""The dashboard lists the newest jobs only, says how many it leaves out, and lets an older
job's card go when a newer job pushes it out of the list: a scheduler adds thousands a year."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from selenium.webdriver.chrome.webdriver import WebDriver

from entrypoints.bootstrap import application
from entsoe_core.progress import BackfillJob, JobKind, JobStatus
from entsoe_core.services.reports import JOBS_LISTED
from entsoe_core.timeline import Interval
from tests.e2e.browser.page import DashboardPage
from tests.e2e.browser.server import Dashboard

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NOW = datetime.now(UTC).replace(microsecond=0)


def add_jobs(database_url: str, created: dict[str, datetime]) -> None:
    """Finished gap-fill jobs without chunks, as a scheduler's rounds leave them."""

    async def main() -> None:
        environ = {"ENTSOE_DATABASE_URL": database_url}
        async with application(environ=environ) as app, app.uow() as uow:
            for job_id, at in created.items():
                job = BackfillJob(
                    job_id,
                    at,
                    Interval(at - timedelta(days=2), at),
                    ("actual_total_load",),
                    ("10YNL----------L",),
                    kind=JobKind.GAP_FILL,
                    status=JobStatus.COMPLETED,
                )
                await uow.progress.add_job(job, [])
            await uow.commit()

    asyncio.run(main())


def test_the_newest_jobs_are_listed_and_the_rest_counted(
    browser: WebDriver, dashboard: Dashboard
) -> None:
    database = dashboard.cli.env["ENTSOE_DATABASE_URL"]
    rounds = {f"round-{n:03d}": NOW - timedelta(hours=n + 1) for n in range(JOBS_LISTED + 2)}
    add_jobs(database, rounds)
    page = DashboardPage(browser, dashboard.url).open()

    note = page.wait("the note on older jobs", lambda: page.text("jobs-more") or None)
    assert note == (
        f"The newest {JOBS_LISTED} of {JOBS_LISTED + 2} jobs; `entsoe jobs --limit N` or "
        "GET /backfills?limit=N lists more."
    )
    cards = page.find_all("#job-list > *")
    assert [card.get_attribute("id") for card in cards] == [
        f"job-{job_id}" for job_id in list(rounds)[:JOBS_LISTED]
    ]

    # A newer job comes: the oldest listed one leaves the page.
    add_jobs(database, {"round-new": NOW})
    page.job("round-new")
    oldest = f"job-round-{JOBS_LISTED - 1:03d}"
    page.wait("the oldest card to go", lambda: not page.find_all(f"#{oldest}"))
    assert len(page.find_all("#job-list > *")) == JOBS_LISTED
    assert f"of {JOBS_LISTED + 3} jobs" in page.text("jobs-more")
