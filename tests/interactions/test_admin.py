"""Administrators extend the channels and correct interactions in Django admin."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from interactions.models import AccountContactStats, Channel
from interactions.services.interactions import interaction_create
from tests.conftest import Cast
from tests.factories import UserFactory

from .factories import channel

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(client):
    """A client signed in as a superuser (the cast's administrator works through roles)."""
    from django.test import Client

    root_client = Client()
    root_client.force_login(UserFactory.create(username="root", is_staff=True, is_superuser=True))
    return root_client


@pytest.mark.parametrize(
    "model",
    [
        "channel",
        "interaction",
        "followup",
        "strategicreview",
        "reviewreminder",
        "accountsponsor",
        "accountcontactstats",
    ],
)
def test_admin_pages_load(root, cast: Cast, model: str) -> None:
    assert root.get(reverse(f"admin:interactions_{model}_changelist")).status_code == 200


def test_an_administrator_adds_a_channel_that_rms_can_use(client, root, cast: Cast) -> None:
    response = root.post(
        reverse("admin:interactions_channel_add"),
        {
            "code": "dingtalk",
            "name": "DingTalk",
            "name_zh": "钉钉",
            "counts_for_cadence": "",
            "is_video": "",
            "is_active": "on",
            "sort_order": 65,
        },
    )
    assert response.status_code == 302
    dingtalk = Channel.objects.get(code="dingtalk")
    client.force_login(cast.owner)
    form = client.get(reverse("interactions:create", args=[cast.account.pk])).context["form"]
    assert dingtalk in form.fields["channel"].queryset
    # A channel in use cannot be deleted (deactivate it instead).
    assert (
        root.get(reverse("admin:interactions_channel_delete", args=[dingtalk.pk])).status_code
        == 403
    )


def test_deleting_in_admin_keeps_the_stats(root, cast: Cast) -> None:
    interaction = interaction_create(
        account=cast.account,
        user=cast.owner,
        channel=channel("meeting"),
        occurred_at=timezone.now() - dt.timedelta(days=1),
        subject="To be removed",
    )
    response = root.post(
        reverse("admin:interactions_interaction_changelist"),
        {"action": "delete_selected", "_selected_action": [interaction.pk], "post": "yes"},
    )
    assert response.status_code == 302
    stats = AccountContactStats.objects.get(account=cast.account)
    assert stats.interaction_count == 0
    assert stats.last_meaningful_at is None
