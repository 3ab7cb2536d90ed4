"""Numbers a user can trust: on a generated book, every figure of the dashboard that links to
a list (accounts, service requests, alerts) counts exactly the rows that list shows — for an
executive, a team lead and an RM, with and without the dashboard's filters."""

from __future__ import annotations

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account
from dashboard.scope import Scope
from dashboard.selectors import exposure
from kam.quarters import Quarter

from .support import build_book, client_for, figure_links, listed

pytestmark = pytest.mark.django_db


@pytest.fixture
def book():  # noqa: ANN201
    # Frozen time: the dashboard and the lists judge running SLA clocks at the same moment.
    with time_machine.travel(timezone.now(), tick=False):
        yield build_book()


def _check_page(client, url: str) -> int:  # noqa: ANN001
    response = client.get(url)
    assert response.status_code == 200
    links = figure_links(response.content.decode())
    assert links, "the dashboard shows no linked figure"
    figures: dict[str, int] = {}
    for href, count in links:
        assert figures.setdefault(href, count) == count, f"one link, two figures: {href}"
    for href, count in figures.items():
        assert listed(client, href) == count, href
    return len(figures)


def test_every_figure_agrees_with_its_list_for_each_reach(book) -> None:  # noqa: ANN001
    for user in (book.executive, book.lead, book.rm):
        client = client_for(user)
        assert _check_page(client, reverse("dashboard:executive")) > 30
    # Guard against a vacuous pass: the book exercises the three kinds of list.
    body = client_for(book.executive).get(reverse("dashboard:executive")).content.decode()
    counts = dict(figure_links(body))
    assert {href.split("?")[0] for href, n in counts.items() if n} >= {
        "/accounts/",
        "/service/",
        "/risk/alerts/",
    }


def test_figures_agree_with_filters_applied(book) -> None:  # noqa: ANN001
    client = client_for(book.executive)
    region = Account.objects.order_by("pk").values_list("region", flat=True).first()
    previous = Quarter.current().previous().slug
    for query in (
        f"?region={region}",
        "?sector=renewables&tier=strategic",
        f"?team={book.rm.team_id}&period={previous}",
        "?tier=key",
    ):
        _check_page(client, reverse("dashboard:executive") + query)


def test_exposure_is_converted_never_added_raw(book) -> None:  # noqa: ANN001
    """A currency without an FX rate is left out and named; USD is converted at its rate."""
    from decimal import Decimal

    from accounts.models import Facility

    scope = Scope(user=book.executive, quarter=Quarter.current())
    figure = exposure(scope)
    assert figure.unconverted == ["EUR"]
    expected = drawn = Decimal(0)
    for facility in Facility.objects.filter(exposure__gt=0):
        rate = {"CNY": Decimal(1), "USD": Decimal("7.1")}.get(facility.currency)
        if rate is not None:
            expected += facility.exposure * rate
            drawn += facility.drawn * rate
    assert figure.total_cny == expected.quantize(Decimal("0.01"))
    assert figure.drawn_cny == drawn.quantize(Decimal("0.01"))
    # Every breakdown adds up to the same total, unattributed exposure included.
    for rows in (figure.by_tier, figure.by_sector, figure.by_region, figure.by_equator):
        assert sum(r.exposure_cny for r in rows) == figure.total_cny
    assert sum(r.exposure_cny for r in figure.by_class) == figure.total_cny
    body = client_for(book.executive).get(reverse("dashboard:executive")).content.decode()
    assert "No FX rate for EUR" in body
