"""Two-step sign-in in a real browser (Playwright driving Debian's chromium, headless, against a
live server): an executive signs in with the password and the authenticator's code; a risk
officer without an authenticator is sent to enrolment, whose inline SVG QR code draws with no
Content-Security-Policy violation. Skipped without /usr/bin/chromium, failed in CI (see
tests/dashboard/test_browser.py)."""

from __future__ import annotations

from typing import Any

import pytest

import kam.settings.base as production_rule
from demo.mfa import totp_code
from kam.mfa import AUTHENTICATOR_NAME
from kam.models import TotpDevice
from tests.conftest import Cast
from tests.dashboard.test_browser import RECORD_CSP, chromium  # noqa: F401 - the fixture
from tests.kam.test_mfa import REQUIRED_ROLES

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def code(cast: Cast, settings: Any) -> str:
    """The production rule, and the executive's authenticator and its code now. A fixture, so
    that the ORM is done with before the browser starts (tests/dashboard/test_browser.py)."""
    settings.MFA_REQUIRED_ROLES = REQUIRED_ROLES
    settings.MFA_REQUIRED_FOR_ADMIN = production_rule.MFA_REQUIRED_FOR_ADMIN
    device = TotpDevice.objects.create(user=cast.executive, name=AUTHENTICATOR_NAME, confirmed=True)
    now = totp_code(device)
    assert now is not None
    return now


def test_an_executive_signs_in_with_a_code_in_a_real_browser(
    cast: Cast,
    code: str,
    live_server: Any,
    chromium: Any,  # noqa: F811 - the fixture imported above
) -> None:
    context = chromium.new_context(locale="en-GB")
    context.add_init_script(RECORD_CSP)
    page = context.new_page()
    console_errors: list[str] = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: console_errors.append(str(e)))

    page.goto(f"{live_server.url}/login/?next=/accounts/")
    page.fill("input[name=username]", cast.executive.username)
    page.fill("input[name=password]", "pw-for-tests")
    page.click("form:has(input[name=password]) [type=submit]")
    page.wait_for_url("**/mfa/verify/**")
    assert page.locator("h1").inner_text() == "Two-step sign-in"
    assert page.get_attribute("input[name=code]", "autocomplete") == "one-time-code"
    page.fill("input[name=code]", code)
    page.click("form:has(input[name=code]) [type=submit]")
    page.wait_for_url(f"{live_server.url}/accounts/")
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == "Accounts"
    assert page.evaluate("window.__cspViolations") == []
    assert console_errors == []

    # Without an authenticator, a risk officer is sent to enrolment: the QR code draws.
    other = chromium.new_context(locale="en-GB")
    other.add_init_script(RECORD_CSP)
    page = other.new_page()
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", cast.risk.username)
    page.fill("input[name=password]", "pw-for-tests")
    page.click("form:has(input[name=password]) [type=submit]")
    page.wait_for_url("**/mfa/setup/**")
    page.wait_for_load_state("networkidle")
    box = page.locator("figure svg").bounding_box()
    assert box is not None and box["width"] > 100 and box["height"] > 100
    assert page.evaluate("window.__cspViolations") == []
    other.close()
    context.close()
