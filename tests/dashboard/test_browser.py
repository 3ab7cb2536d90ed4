"""A real browser on the executive dashboard: Playwright driving Debian's chromium, headless,
against a live server on 127.0.0.1. It logs in as an executive through the login form, checks
every chart rendered on its canvas with no console error and no Content-Security-Policy
violation, then follows a drill-down link to the list behind a figure.

Without /usr/bin/chromium the test is skipped on a workstation and FAILS in CI (CI=true):
``apt-get install -y chromium`` (see README); ``playwright install`` is not needed.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone

from dashboard.snapshots import snapshots_refresh
from risk.choices import Severity
from risk.models import Alert
from tests.conftest import IN_CI, Cast
from tests.factories import ProjectFactory

from .support import _rule

CHROMIUM = os.environ.get("KAM_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
# Recorded in the page before any of its scripts run (an init script is not subject to the
# page's CSP): every violation the browser reports.
RECORD_CSP = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def chromium(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        message = f"{CHROMIUM} is missing: apt-get install -y chromium"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    # Playwright's sync API keeps an event loop in this thread; the test's own ORM calls
    # happen before and after the browser runs, never concurrently with it.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def book(cast: Cast) -> Cast:
    ProjectFactory.create(account=cast.account, green_category="clean_energy", equator_category="A")
    now = timezone.now()
    Alert.objects.create(
        account=cast.account,
        rule=_rule(),
        source="manual",
        severity=Severity.HIGH,
        title="Covenant breach",
        opened_at=now - dt.timedelta(days=3),
        ack_deadline=now - dt.timedelta(days=2),
    )
    snapshots_refresh()
    return cast


def test_the_executive_dashboard_in_a_real_browser(
    book: Cast, live_server: Any, chromium: Any
) -> None:
    context = chromium.new_context(locale="en-GB")
    context.add_init_script(RECORD_CSP)
    page = context.new_page()
    console_errors: list[str] = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: console_errors.append(str(e)))

    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", book.executive.username)
    page.fill("input[name=password]", "pw-for-tests")
    page.click("form:has(input[name=password]) [type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/dashboard/")
    page.wait_for_load_state("networkidle")
    canvases = page.locator("canvas[data-chart]")
    assert canvases.count() == 14
    page.wait_for_function(
        "document.querySelectorAll('canvas[data-chart]').length === "
        "document.querySelectorAll('canvas[data-chart][data-rendered=true]').length"
    )
    for index in range(canvases.count()):
        box = canvases.nth(index).bounding_box()
        assert box is not None and box["width"] > 0 and box["height"] > 0
    # Chart.js drew on every canvas (a Chart instance is attached to each).
    drawn = page.evaluate(
        "Array.from(document.querySelectorAll('canvas[data-chart]'))"
        ".filter(c => window.Chart.getChart(c)).length"
    )
    assert drawn == 14
    assert page.evaluate("window.__cspViolations") == []
    assert console_errors == []

    # Drill down: the Strategic/Key/... table figure opens the account list behind it.
    link = page.locator("a[data-figure='kpi:alerts']")
    expected = int(link.get_attribute("data-count") or "-1")
    assert expected == 1
    link.click()
    page.wait_for_url("**/risk/alerts/**")
    assert "1 alert matches" in page.inner_text("main") or "1 alert matches" in page.content()
    page.go_back()
    page.locator("a[data-figure^='tiers:']").first.click()
    page.wait_for_url("**/accounts/?**")
    assert page.locator("h1").inner_text() == "Accounts"
    assert page.evaluate("window.__cspViolations") == []
    assert console_errors == []
    context.close()


def test_the_service_report_charts_in_a_real_browser(
    book: Cast, live_server: Any, chromium: Any
) -> None:
    """The service report's four charts draw with the shared chart script (kam_charts.js)."""
    context = chromium.new_context(locale="en-GB")
    context.add_init_script(RECORD_CSP)
    page = context.new_page()
    console_errors: list[str] = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: console_errors.append(str(e)))

    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", book.executive.username)
    page.fill("input[name=password]", "pw-for-tests")
    page.click("form:has(input[name=password]) [type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/service/reports/")
    page.wait_for_load_state("networkidle")
    ids = ["chart-attainment", "chart-response-times", "chart-open-age", "chart-satisfaction"]
    page.wait_for_function("typeof window.Chart !== 'undefined'")
    drawn = page.evaluate(
        "ids => ids.filter(id => window.Chart.getChart(document.getElementById(id))).length",
        ids,
    )
    assert drawn == len(ids)
    assert page.evaluate("window.__cspViolations") == []
    assert console_errors == []
    context.close()
