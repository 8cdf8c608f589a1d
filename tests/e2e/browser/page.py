"""The dashboard page as a test drives it: what a user types, clicks and reads."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import attrs
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select, WebDriverWait

T = TypeVar("T")
WAIT_SECONDS = 90.0
_REDRAWN = (NoSuchElementException, StaleElementReferenceException, IndexError)
"""What a probe may meet while the page redraws itself after a poll: try again."""


@attrs.frozen
class DashboardPage:
    """One browser on one dashboard."""

    browser: WebDriver
    url: str

    def open(self) -> DashboardPage:
        self.browser.get(f"{self.url}/")
        self.wait("the health line", lambda: "database ok" in self.text("health"))
        self.wait("the datasets", lambda: len(self.options("datasets")) > 0)
        return self

    def wait(self, what: str, probe: Callable[[], T | None], timeout: float = WAIT_SECONDS) -> T:
        """Poll ``probe`` until it returns something true; fail naming ``what``."""
        found = WebDriverWait(
            self.browser, timeout, poll_frequency=0.2, ignored_exceptions=_REDRAWN
        ).until(lambda _: probe(), message=f"gave up waiting for {what}")
        # until() returns only once the probe gave something true, never None.
        assert found is not None
        return found

    def find(self, css: str) -> WebElement:
        return self.browser.find_element(By.CSS_SELECTOR, css)

    def find_all(self, css: str) -> list[WebElement]:
        return self.browser.find_elements(By.CSS_SELECTOR, css)

    def text(self, element_id: str) -> str:
        return self.find(f"#{element_id}").text

    def options(self, element_id: str) -> list[str]:
        return [o.get_attribute("value") or "" for o in self.find_all(f"#{element_id} option")]

    def type(self, element_id: str, text: str) -> None:
        field = self.find(f"#{element_id}")
        field.clear()
        field.send_keys(text)

    # -- the token -----------------------------------------------------------------------------

    def use_token(self, token: str) -> None:
        self.type("token", token)
        self.find("#token-save").click()
        self.wait("the token to be kept", lambda: "A token is set" in self.text("token-state"))

    def forget_token(self) -> None:
        self.find("#token-forget").click()
        self.wait("the token to be forgotten", lambda: "read-only" in self.text("token-state"))

    # -- the form ------------------------------------------------------------------------------

    def fill_backfill(
        self, areas: str, datasets: list[str], start: str, end: str, span: str = ""
    ) -> None:
        all_areas = self.find("#all-areas")
        if all_areas.is_selected():
            all_areas.click()
        self.type("areas", areas)
        chosen = Select(self.find("#datasets"))
        chosen.deselect_all()
        for key in datasets:
            chosen.select_by_value(key)
        self.type("start-date", start)
        self.type("end-date", end)
        Select(self.find("#span")).select_by_value(span)

    def preview(self) -> str:
        """Ask for the plan; the plan's summary once shown."""
        self.find("#preview").click()
        return self.wait(
            "the plan",
            lambda: self.text("plan-summary") if self.find("#plan").is_displayed() else None,
        )

    def start_backfill(self) -> str:
        """Start the previewed backfill; the id of the job it started."""
        self.find("#start-backfill").click()
        message = self.wait("the job to start", lambda: self.message_reading("Started job"))
        return message.removeprefix("✓").strip().removeprefix("Started job ").rstrip(".")

    def message(self) -> str:
        box = self.find("#message")
        return box.text if box.is_displayed() else ""

    def message_reading(self, fragment: str) -> str | None:
        text = self.message()
        return text if fragment in text else None

    # -- jobs ----------------------------------------------------------------------------------

    def job(self, job_id: str) -> WebElement:
        return self.wait(f"job {job_id} on the page", lambda: self.find_all(f"#job-{job_id}")[0])

    def job_status(self, job_id: str) -> str:
        return self.job(job_id).get_attribute("data-status") or ""

    def job_text(self, job_id: str, fragment: str) -> str | None:
        """The job's text once it holds ``fragment``."""
        text = self.job(job_id).text
        return text if fragment in text else None

    def progress(self, job_id: str) -> tuple[float, float, str]:
        """The job's progress bar: its value, its maximum, and the text beside it."""
        card = self.job(job_id)
        bar = card.find_element(By.CSS_SELECTOR, "progress")
        percent = card.find_element(By.CSS_SELECTOR, ".percent").text
        return (
            float(bar.get_attribute("value") or 0),
            float(bar.get_attribute("max") or 0),
            percent,
        )

    def button(self, job_id: str, action: str) -> WebElement:
        """The Resume or Cancel button of a job, found by its accessible name."""
        return self.job(job_id).find_element(
            By.CSS_SELECTOR, f"button[aria-label='{action} job {job_id}']"
        )

    # -- coverage ------------------------------------------------------------------------------

    def show_grid(self, dataset: str, areas: str, first: str, last: str, *, every: bool) -> None:
        Select(self.find("#grid-dataset")).select_by_value(dataset)
        self.type("grid-areas", areas)
        self.type("grid-start", first)
        self.type("grid-end", last)
        fetched = self.find("#grid-fetched")
        if fetched.is_selected() == every:
            fetched.click()
        self.find("#grid-form button[type=submit]").click()

    def cell(self, area: str, month: str) -> WebElement:
        return self.wait(
            f"the grid cell of {area} {month}",
            lambda: self.find_all(f"td.cell[data-area='{area}'][data-month='{month}']")[0],
        )

    def open_cell(self, area: str, month: str, *, by_keyboard: bool = False) -> None:
        """Follow the link of a grid cell, by a click or by Enter (again, should a poll redraw
        it meanwhile)."""

        def follow() -> bool:
            link = self.cell(area, month).find_element(By.TAG_NAME, "a")
            if by_keyboard:
                link.send_keys(Keys.ENTER)
            else:
                link.click()
            return True

        self.wait(f"the link of {area} {month} to follow", follow)

    def cell_state(self, area: str, month: str) -> str:
        return self.wait(
            f"the state of {area} {month}",
            lambda: self.cell(area, month).get_attribute("data-state"),
        )

    def cell_colour(self, area: str, month: str) -> str:
        return self.wait(
            f"the colour of {area} {month}",
            lambda: self.cell(area, month).value_of_css_property("background-color"),
        )

    def cell_text(self, area: str, month: str) -> str:
        return self.wait(f"the text of {area} {month}", lambda: self.cell(area, month).text)
