"""The relationship map in a real browser: Playwright driving Debian's chromium, headless,
against a live server on 127.0.0.1. The owner RM opens their account's map in English and in
Simplified Chinese; Cytoscape.js (vendored) draws every node and link the server built, with
the labels in the user's language, no console error and no Content-Security-Policy
violation; the legend hides a kind of node; a name-only account opens nothing when clicked,
and the group node opens the group's page, which links to the group's map.

Without /usr/bin/chromium the test is skipped on a workstation and FAILS in CI (CI=true):
``apt-get install -y chromium`` (see README); ``playwright install`` is not needed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import translation

from accounts.selectors import account_get_for_user
from relationships import selectors
from relationships.graph import account_node_id, group_node_id
from tests.conftest import IN_CI
from tests.relationships.conftest import Book

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
# Functions, not expressions: Playwright evaluates an expression to wait for with eval(),
# which the page's CSP refuses.
READY = "() => document.getElementById('relationship-map')?.dataset.ready === 'true'"
LAID_OUT_AS = """name => {
  const map = document.getElementById('relationship-map');
  return map.dataset.ready === 'true' && map.dataset.layout === name;
}"""
VISIBLE_CONTACTS = "() => window.relationshipMap.nodes('.contact').filter(n => n.visible()).length"
CONTACTS_SHOWN = (
    """n => window.relationshipMap.nodes('.contact').filter(c => c.visible()).length === n"""
)
# Where a node is drawn, in page coordinates (the container's offset plus the node's
# rendered position in it).
NODE_AT = """id => {
  const node = window.relationshipMap.getElementById(id);
  const at = node.renderedPosition();
  const box = document.getElementById('relationship-map').getBoundingClientRect();
  return {x: box.left + at.x, y: box.top + at.y};
}"""

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


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_account_map_in_a_real_browser(
    book: Book, live_server: Any, chromium: Any, language: str
) -> None:
    owner, account = book.cast.owner, book.cast.account
    owner.language = language
    owner.save(update_fields=["language"])
    # What the server draws, in the user's language: the browser must show all of it.
    with translation.override(language):
        graph = selectors.account_map(
            user=owner, account=account_get_for_user(user=owner, pk=account.pk)
        )
        legend_contact = translation.gettext("Client contact")
        title = translation.gettext("Relationship map")
    if language == "zh-hans":
        assert title != "Relationship map", "the zh-hans catalogue lacks the map's messages"
    expected_name = "朝阳电力控股" if language == "zh-hans" else "Sunrise Power Holdings"
    contacts = graph.count("contact")
    assert contacts == 2 and len(graph.nodes) > 10

    context = chromium.new_context(locale="en-GB", viewport={"width": 1400, "height": 1000})
    context.add_init_script(RECORD_CSP)
    page = context.new_page()
    console_errors: list[str] = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: console_errors.append(str(e)))

    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", owner.username)
    page.fill("input[name=password]", "pw-for-tests")
    page.click("form:has(input[name=password]) [type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    map_url = f"{live_server.url}/map/accounts/{account.pk}/"
    page.goto(map_url)
    page.wait_for_selector("#relationship-map canvas")
    page.wait_for_function(READY)
    container = page.locator("#relationship-map")
    assert container.get_attribute("data-rendered-nodes") == str(len(graph.nodes))
    assert container.get_attribute("data-rendered-edges") == str(len(graph.edges))
    assert container.get_attribute("data-nodes") == str(len(graph.nodes))
    box = container.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 300
    # The labels are the server's, in the user's language; the page too.
    assert page.locator("html").get_attribute("lang") == language
    assert page.locator("h1").inner_text() == title
    assert legend_contact in page.locator(".map-legend").inner_text()
    label = page.evaluate(
        "id => window.relationshipMap.getElementById(id).data('label')",
        account_node_id(account.pk),
    )
    assert label == expected_name
    # Every node was placed inside the canvas's world (a layout ran: not all at the origin).
    spread = page.evaluate(
        "() => { const b = window.relationshipMap.nodes().boundingBox(); return b.w * b.h; }"
    )
    assert spread > 10_000

    # The legend hides the contacts and shows them again.
    assert page.evaluate(VISIBLE_CONTACTS) == contacts
    page.locator("[data-map-toggle=contact]").uncheck()
    page.wait_for_function(CONTACTS_SHOWN, arg=0)
    page.locator("[data-map-toggle=contact]").check()
    page.wait_for_function(CONTACTS_SHOWN, arg=contacts)

    # Another layout runs and reports again.
    page.select_option("#map-layout", "breadthfirst")
    page.wait_for_function(LAID_OUT_AS, arg="breadthfirst")

    container.scroll_into_view_if_needed()
    # A name-only account (another RM's EPC contractor) is drawn but opens nothing.
    epc = page.evaluate(NODE_AT, account_node_id(book.epc.pk))
    page.mouse.click(epc["x"], epc["y"])
    page.wait_for_timeout(300)
    assert page.url == map_url
    # The group node opens the group's page, whose link opens the group's map.
    group = page.evaluate(NODE_AT, group_node_id(book.group.pk))
    page.mouse.click(group["x"], group["y"])
    page.wait_for_url(f"{live_server.url}/groups/{book.group.pk}/")
    page.click(f"a[href='/map/groups/{book.group.pk}/']")
    page.wait_for_url(f"{live_server.url}/map/groups/{book.group.pk}/")
    page.wait_for_function(READY)
    assert int(page.locator("#relationship-map").get_attribute("data-rendered-nodes") or 0) > 0

    assert page.evaluate("window.__cspViolations") == []
    assert console_errors == []
    context.close()
