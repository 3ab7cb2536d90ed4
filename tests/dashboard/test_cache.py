"""The computed dashboard is kept for DASHBOARD_CACHE_SECONDS and shared only by readers of
the same reach and filters: an RM never gets figures computed for an executive, nor for
another RM; a cache that fails costs time, not the page."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse

from kam.models import User
from tests.conftest import Cast
from tests.factories import AccountFactory

from .support import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def cached() -> object:
    cache.clear()
    with override_settings(DASHBOARD_CACHE_SECONDS=60):
        yield
    cache.clear()


def _count(user: User, query: str = "") -> int:
    response = client_for(user).get(reverse("dashboard:executive") + query)
    assert response.status_code == 200
    return response.context["d"].account_count


def test_readers_of_every_account_share_a_computed_dashboard(cast: Cast, cached: None) -> None:
    assert _count(cast.executive) == 1
    AccountFactory.create(owner=cast.outsider)
    # Kept: the same figures for another reader of every account, within the minute ...
    assert _count(cast.risk) == 1
    client = client_for(cast.executive)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("dashboard:executive")).context["d"].account_count == 1
    assert len(captured.captured_queries) < 8  # session, user, teams: no figure recomputed
    # ... but never for other filters, nor for anyone whose reach is narrower.
    assert _count(cast.executive, "?tier=standard") == 2
    assert _count(cast.owner) == 1
    assert _count(cast.outsider) == 1
    cache.clear()
    assert _count(cast.executive) == 2


def test_each_rm_has_their_own(cast: Cast, cached: None) -> None:
    assert _count(cast.owner) == 1
    AccountFactory.create(owner=cast.outsider)
    AccountFactory.create(owner=cast.outsider)
    assert _count(cast.outsider) == 2
    assert _count(cast.teammate) == 1  # the owner's account through the account team


def test_a_failing_cache_does_not_fail_the_page(
    cast: Cast, cached: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise ConnectionError("cache is down")

    monkeypatch.setattr(cache, "get", broken)
    monkeypatch.setattr(cache, "set", broken)
    assert _count(cast.executive) == 1
