"""The demo history: interactions across channels over a year, reviews in several states,
idempotent."""

from __future__ import annotations

import pytest

from demo.accounts import seed_demo
from demo.interactions import seed_interactions
from interactions.models import AccountContactStats, FollowUp, Interaction, StrategicReview

pytestmark = pytest.mark.django_db


def test_seed_interactions_is_rich_and_idempotent() -> None:
    seed_demo(password="demo-pass-123")
    first = seed_interactions()
    assert first.interactions > 300
    channels = set(Interaction.objects.values_list("channel__code", flat=True))
    assert channels >= {"meeting", "phone", "email", "video", "wechat", "site_visit", "event"}
    assert Interaction.objects.filter(is_confidential=True).exists()
    assert Interaction.objects.exclude(meeting_link="").filter(channel__code="video").exists()
    assert set(StrategicReview.objects.values_list("status", flat=True)) == {
        "held",
        "scheduled",
        "cancelled",
    }
    assert FollowUp.objects.filter(done_at__isnull=True).exists()
    assert (
        AccountContactStats.objects.count()
        == Interaction.objects.values("account").distinct().count()
    )

    counts = (
        Interaction.objects.count(),
        StrategicReview.objects.count(),
        FollowUp.objects.count(),
    )
    again = seed_interactions()
    assert (again.interactions, again.reviews, again.sponsors) == (0, 0, 0)
    assert counts == (
        Interaction.objects.count(),
        StrategicReview.objects.count(),
        FollowUp.objects.count(),
    )
