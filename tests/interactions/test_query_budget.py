"""The timeline, the RM home and the coverage page cost a fixed number of queries, however
many interactions, follow-ups and reviews there are."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from interactions.services.interactions import contact_stats_refresh
from kam.services import notification_send
from tests.conftest import Cast
from tests.factories import AccountFactory, ContactFactory, UserFactory

from .factories import FollowUpFactory, InteractionFactory, ReviewFactory, channel

pytestmark = pytest.mark.django_db

TIMELINE_BUDGET = 16
COVERAGE_BUDGET = 10


def _history(cast: Cast, rows: int) -> None:
    contacts = ContactFactory.create_batch(3, account=cast.account, seniority="c_level")
    people = UserFactory.create_batch(2)
    now = timezone.now()
    for i in range(rows):
        interaction = InteractionFactory.create(
            account=cast.account,
            channel=channel(["meeting", "phone", "video", "wechat"][i % 4]),
            occurred_at=now - dt.timedelta(hours=i * 7),
            is_confidential=i % 5 == 0,
        )
        interaction.contacts.set(contacts[: 1 + i % 3])
        interaction.internal_participants.set([cast.owner, *people[: i % 2]])
        FollowUpFactory.create(interaction=interaction, owner=cast.owner)
    contact_stats_refresh(account_id=cast.account.pk)


@pytest.mark.parametrize("rows", [3, 120])
@pytest.mark.parametrize("who", ["owner", "executive", "lead"])
def test_timeline_query_budget(
    client, django_assert_max_num_queries, cast: Cast, rows: int, who: str
) -> None:
    _history(cast, rows)
    client.force_login(getattr(cast, who))
    with django_assert_max_num_queries(TIMELINE_BUDGET):
        response = client.get(reverse("interactions:timeline", args=[cast.account.pk]), {"page": 2})
    assert response.status_code == 200


def _home_queries(client, cast: Cast, rows: int) -> tuple[int, dict[str, object]]:
    _history(cast, rows)
    for i in range(rows // 10 + 1):
        account = AccountFactory.create(owner=cast.owner, tier="strategic", status="active")
        ReviewFactory.create(account=account)
        notification_send(user=cast.owner, title=f"Note {i}", key=f"n{i}-{rows}")
    client.force_login(cast.owner)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("home"))
    assert response.status_code == 200
    return len(ctx.captured_queries), response.context["relationship"]


def test_home_queries_do_not_grow_with_interactions(client, cast: Cast) -> None:
    """The home page belongs to several apps; this shows that the relationship sections
    (5 queries) cost the same with a short and a long history."""
    small, _ = _home_queries(client, cast, 3)
    large, relationship = _home_queries(client, cast, 120)
    assert large == small
    assert relationship["follow_ups_due"]
    assert relationship["cadence_overdue"]
    assert relationship["notifications"]
    assert relationship["reviews_upcoming"]


@pytest.mark.parametrize("rows", [3, 60])
def test_coverage_query_budget(
    client, django_assert_max_num_queries, cast: Cast, rows: int
) -> None:
    for i in range(rows):
        account = AccountFactory.create(owner=cast.owner, tier="strategic", status="active")
        if i % 3 == 0:
            ReviewFactory.create(account=account)
    client.force_login(cast.executive)
    with django_assert_max_num_queries(COVERAGE_BUDGET):
        response = client.get(reverse("interactions:review_coverage"))
    assert response.status_code == 200


def test_account_page_panel_does_not_grow_with_interactions(client, cast: Cast) -> None:
    client.force_login(cast.owner)
    url = reverse("accounts:detail", args=[cast.account.pk])
    counts = []
    for rows in (3, 120):
        _history(cast, rows)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200
        assert "Relationship timeline" in response.content.decode()
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
