"""Every relationship page renders in both languages within the Content-Security-Policy."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from interactions.services.interactions import FollowUpData, interaction_create
from interactions.services.reviews import account_sponsor_set, review_create
from kam.quarters import Quarter
from kam.services import notification_send
from tests.conftest import Cast
from tests.factories import ContactFactory
from tests.test_templates import _assert_csp_clean

from .factories import channel

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_relationship_pages_are_csp_clean(cast: Cast, language: str) -> None:
    cast.account.tier = "strategic"
    cast.account.save()
    contact = ContactFactory.create(
        account=cast.account, seniority="board", channel_preferences=["video"]
    )
    interaction = interaction_create(
        account=cast.account,
        user=cast.owner,
        channel=channel("video"),
        occurred_at=timezone.now() - dt.timedelta(days=20),
        subject="Video call",
        summary="Long summary " * 40,
        outcome="Model requested",
        meeting_link="https://zoom.us/j/1",
        is_confidential=True,
        internal_participants=[cast.owner],
        contacts=[contact],
        follow_ups=[FollowUpData("Send model", cast.owner, timezone.localdate())],
    )
    review = review_create(
        account=cast.account,
        user=cast.owner,
        scheduled_at=min(
            Quarter.current().end - dt.timedelta(hours=2), timezone.now() + dt.timedelta(days=2)
        ),
        video_link="https://meeting.tencent.com/dm/1",
        executives=[cast.executive],
        actions=[FollowUpData("Prepare deck", cast.owner, timezone.localdate())],
    )
    account_sponsor_set(account=cast.account, executive=cast.executive)
    notification_send(user=cast.owner, title="Review due", url="/", key="k", level="danger")
    pk = cast.account.pk
    pages = {
        cast.owner: [
            reverse("home"),
            reverse("accounts:detail", args=[pk]),
            reverse("interactions:timeline", args=[pk]),
            reverse("interactions:create", args=[pk]),
            reverse("interactions:detail", args=[pk, interaction.pk]),
            reverse("interactions:edit", args=[pk, interaction.pk]),
            reverse("interactions:review_list", args=[pk]),
            reverse("interactions:review_create", args=[pk]),
            reverse("interactions:review_detail", args=[pk, review.pk]),
            reverse("interactions:review_edit", args=[pk, review.pk]),
        ],
        cast.executive: [
            reverse("interactions:review_coverage"),
            reverse("interactions:review_coverage") + f"?team={cast.team.pk}",
            reverse("interactions:timeline", args=[pk]),
        ],
        cast.lead: [reverse("interactions:review_coverage"), reverse("home")],
    }
    for user, urls in pages.items():
        client = Client()
        client.force_login(user)
        for url in urls:
            response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
            assert response.status_code == 200, url
            _assert_csp_clean(response.content.decode())


def test_notifications_are_marked_read_from_home(client, cast: Cast) -> None:
    note, _ = notification_send(user=cast.owner, title="Read me", key="r")
    client.force_login(cast.outsider)
    client.post(reverse("interactions:notification_read", args=[note.pk]))
    note.refresh_from_db()
    assert note.read_at is None  # not theirs
    client.force_login(cast.owner)
    response = client.post(
        reverse("interactions:notification_read", args=[note.pk]), {"next": "https://evil.example/"}
    )
    assert response.status_code == 302 and response["Location"] == "/"
    note.refresh_from_db()
    assert note.read_at is not None
