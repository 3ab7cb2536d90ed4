"""Query budgets: the dashboards, the scorecards and the RM home issue a fixed number of
queries whatever the size of the book — shown with a handful of rows and with a generated
book of accounts, interactions, requests, alerts and snapshots."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from demo.accounts_volume import rm_username
from kam.models import User
from tests.conftest import Cast

from .support import build_book, client_for

pytestmark = pytest.mark.django_db

# Session, user and groups, the filters' teams, FX rates, tier policies (once), then one
# aggregate per figure (five for exposure: tier, sector, region, Equator category, and the
# five-category classification with the unattributed exposure; two for the top accounts at
# risk).
DASHBOARD_BUDGET = 21
SUPERVISION_BUDGET = 8
# The RM home: session, user, roles, the book (read, write and owned in one), its sections.
HOME_BUDGET = 20


def _count(user: User, url: str) -> int:
    client = client_for(user)
    client.get(url)  # warm up: anything cached per process is cached now
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured.captured_queries)


def _measure(cast: Cast, rm: User) -> dict[str, int]:
    return {
        "dashboard_exec": _count(cast.executive, reverse("dashboard:executive")),
        "dashboard_exec_sliced": _count(
            cast.executive, reverse("dashboard:executive") + "?sector=power&region=cn_east&tier=key"
        ),
        "dashboard_lead": _count(cast.lead, reverse("dashboard:executive")),
        "dashboard_rm": _count(rm, reverse("dashboard:executive")),
        "supervision_exec": _count(cast.executive, reverse("dashboard:supervision")),
        "supervision_rm": _count(rm, reverse("dashboard:supervision")),
        "home_rm": _count(rm, reverse("home")),
    }


def _within_budget(counts: dict[str, int]) -> None:
    for name, n in counts.items():
        budget = (
            DASHBOARD_BUDGET
            if name.startswith("dashboard")
            else SUPERVISION_BUDGET
            if name.startswith("supervision")
            else HOME_BUDGET
        )
        assert n <= budget, f"{name}: {n} queries (budget {budget})"


def test_queries_do_not_grow_with_the_book(cast: Cast) -> None:
    small = _measure(cast, cast.owner)
    _within_budget(small)
    build_book(accounts=48)
    rm = User.objects.get(username=rm_username(1))
    large = _measure(cast, rm)
    _within_budget(large)
    # The same pages with a book a hundred times larger: at most the one extra query some
    # sections make when there are more rows than they show.
    for name in small:
        assert large[name] <= small[name] + 2, (name, small[name], large[name])
