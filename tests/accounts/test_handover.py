"""An account changes hands only through its team lead or an administrator: the owner asks,
the lead decides (issue 14, finding 1)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from accounts.models import Account, AccountHandover, HandoverStatus
from kam.models import Notification
from kam.roles import Role
from tests.conftest import Cast
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def successor(cast: Cast):
    return UserFactory.create(username="rm.qian", team=cast.other_team, roles=[Role.RM])


def _ask(client: Client, cast: Cast, to_pk: int, reason: str = "Moving to Shanghai.") -> int:
    url = reverse("accounts:handover_request", args=[cast.account.pk])
    return client.post(url, {"to_owner": to_pk, "reason": reason}).status_code


def _decide(client: Client, cast: Cast, action: str) -> int:
    handover = AccountHandover.objects.get(account=cast.account, status=HandoverStatus.PENDING)
    url = reverse("accounts:handover_decide", args=[cast.account.pk, handover.pk])
    return client.post(url, {"action": action}).status_code


def test_the_owner_asks_and_the_lead_hands_the_account_over(
    client: Client, cast: Cast, successor
) -> None:
    client.force_login(cast.owner)
    assert _ask(client, cast, successor.pk) == 302
    assert Account.objects.get(pk=cast.account.pk).owner_id == cast.owner.pk  # not yet
    assert Notification.objects.filter(user=cast.lead, title__contains="Handover").exists()
    page = client.get(reverse("accounts:detail", args=[cast.account.pk])).content.decode()
    assert f"asks to hand this account to {escape(successor.short_name)}." in page
    assert 'value="withdraw"' in page

    client.force_login(cast.lead)
    page = client.get(reverse("accounts:detail", args=[cast.account.pk])).content.decode()
    assert 'value="approve"' in page
    assert _decide(client, cast, "approve") == 302
    account = Account.objects.get(pk=cast.account.pk)
    assert account.owner_id == successor.pk and account.team_id == cast.other_team.pk
    assert Notification.objects.filter(user=successor, title__contains="now own").exists()
    # The former owner no longer reaches it.
    client.force_login(cast.owner)
    assert client.get(reverse("accounts:detail", args=[cast.account.pk])).status_code == 404


def test_a_rejected_handover_changes_nothing(client: Client, cast: Cast, successor) -> None:
    client.force_login(cast.owner)
    _ask(client, cast, successor.pk)
    client.force_login(cast.admin)
    assert _decide(client, cast, "reject") == 302
    assert Account.objects.get(pk=cast.account.pk).owner_id == cast.owner.pk
    assert AccountHandover.objects.get().status == HandoverStatus.REJECTED


@pytest.mark.parametrize("who", ["teammate", "lead", "executive", "admin"])
def test_only_the_owner_asks(client: Client, cast: Cast, successor, who: str) -> None:
    client.force_login(getattr(cast, who))
    assert _ask(client, cast, successor.pk) == 403
    assert not AccountHandover.objects.exists()


@pytest.mark.parametrize("who", ["owner", "teammate", "executive"])
def test_only_the_lead_or_an_administrator_decides(
    client: Client, cast: Cast, successor, who: str
) -> None:
    client.force_login(cast.owner)
    _ask(client, cast, successor.pk)
    client.force_login(getattr(cast, who))
    _decide(client, cast, "approve")  # refused: a message, or 403
    assert Account.objects.get(pk=cast.account.pk).owner_id == cast.owner.pk
    assert AccountHandover.objects.get().status == HandoverStatus.PENDING


def test_the_lead_of_another_team_does_not_see_the_handover(
    client: Client, cast: Cast, successor
) -> None:
    client.force_login(cast.owner)
    _ask(client, cast, successor.pk)
    client.force_login(cast.other_lead)
    assert _decide(client, cast, "approve") == 404


def test_one_handover_waits_at_a_time_and_a_reason_is_needed(
    client: Client, cast: Cast, successor
) -> None:
    client.force_login(cast.owner)
    url = reverse("accounts:handover_request", args=[cast.account.pk])
    response = client.post(url, {"to_owner": successor.pk, "reason": "  "})
    assert response.status_code == 200 and response.context["form"].errors
    assert _ask(client, cast, successor.pk) == 302
    response = client.post(url, {"to_owner": cast.teammate.pk, "reason": "Or to Li."})
    assert response.status_code == 200
    assert "already waiting" in response.content.decode()
    assert AccountHandover.objects.count() == 1


def test_the_owner_withdraws_a_waiting_request(client: Client, cast: Cast, successor) -> None:
    client.force_login(cast.owner)
    _ask(client, cast, successor.pk)
    assert _decide(client, cast, "withdraw") == 302
    assert AccountHandover.objects.get().status == HandoverStatus.WITHDRAWN
    client.force_login(cast.lead)
    page = client.get(reverse("accounts:detail", args=[cast.account.pk])).content.decode()
    assert 'value="approve"' not in page
