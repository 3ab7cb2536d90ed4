"""Logging interactions: bad input refused, stats kept, confidential visibility per role."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from interactions.models import AccountContactStats, FollowUp, Interaction
from interactions.selectors.interactions import (
    accounts_cadence_overdue,
    cadence_for_account,
    interaction_list_for_export,
    interaction_list_for_user,
    senior_contacts_not_met,
)
from interactions.services.interactions import (
    FollowUpData,
    interaction_create,
    interaction_delete,
)
from tests.conftest import Cast
from tests.factories import AccountFactory, ContactFactory

from .factories import channel

pytestmark = pytest.mark.django_db


def _log(cast: Cast, **kwargs: object) -> Interaction:
    data: dict[str, object] = {
        "account": cast.account,
        "user": cast.owner,
        "channel": channel("meeting"),
        "occurred_at": timezone.now() - dt.timedelta(days=1),
        "subject": "Refinancing",
    }
    data.update(kwargs)
    return interaction_create(**data)  # type: ignore[arg-type]


def _form(cast: Cast, **overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "channel": channel("meeting").pk,
        "occurred_at": (timezone.localtime() - dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "subject": "Quarterly catch-up",
        "summary": "Talked about the new wind farm.",
        "outcome": "Term sheet requested",
        "actions-TOTAL_FORMS": "3",
        "actions-INITIAL_FORMS": "0",
        "actions-MIN_NUM_FORMS": "0",
        "actions-MAX_NUM_FORMS": "10",
    }
    data.update(overrides)
    return data


# ---------------------------------------------------------------- bad input


def test_a_contact_of_another_account_is_refused(cast: Cast) -> None:
    stranger = ContactFactory.create(account=AccountFactory.create(), name="Outsider Li")
    with pytest.raises(ValidationError) as err:
        _log(cast, contacts=[stranger])
    assert "contacts" in err.value.message_dict
    assert "Outsider Li" in err.value.message_dict["contacts"][0]
    assert not Interaction.objects.exists()


def test_a_held_meeting_dated_in_the_future_is_refused(cast: Cast) -> None:
    with pytest.raises(ValidationError) as err:
        _log(cast, occurred_at=timezone.now() + dt.timedelta(hours=1))
    assert "occurred_at" in err.value.message_dict
    assert not Interaction.objects.exists()


def test_a_meeting_link_only_on_a_video_channel(cast: Cast) -> None:
    with pytest.raises(ValidationError):
        _log(cast, meeting_link="https://meeting.tencent.com/dm/abc")
    interaction = _log(
        cast, channel=channel("video"), meeting_link="https://meeting.tencent.com/dm/abc"
    )
    assert interaction.meeting_platform == "Tencent Meeting"


def test_the_form_refuses_a_contact_of_another_account_with_a_clear_message(
    client, cast: Cast
) -> None:
    stranger = ContactFactory.create(account=AccountFactory.create())
    client.force_login(cast.owner)
    response = client.post(
        reverse("interactions:create", args=[cast.account.pk]), _form(cast, contacts=[stranger.pk])
    )
    assert response.status_code == 200
    errors = response.context["form"].errors["contacts"]
    assert "Only contacts of this account can take part" in errors[0]
    assert not Interaction.objects.exists()


def test_the_form_refuses_a_future_date_and_an_incomplete_action(client, cast: Cast) -> None:
    client.force_login(cast.owner)
    future = (timezone.localtime() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        reverse("interactions:create", args=[cast.account.pk]),
        _form(cast, occurred_at=future, **{"actions-0-description": "Send the model"}),
    )
    assert response.status_code == 200
    assert "future" in response.context["form"].errors["occurred_at"][0]
    action_errors = response.context["formset"].forms[0].errors
    assert "owner" in action_errors and "due_date" in action_errors
    assert not Interaction.objects.exists()
    assert not FollowUp.objects.exists()


def test_logging_through_the_page_saves_participants_and_actions(client, cast: Cast) -> None:
    contact = ContactFactory.create(account=cast.account)
    client.force_login(cast.owner)
    due = (timezone.localdate() + dt.timedelta(days=5)).isoformat()
    response = client.post(
        reverse("interactions:create", args=[cast.account.pk]),
        _form(
            cast,
            contacts=[contact.pk],
            internal_participants=[cast.owner.pk, cast.teammate.pk],
            **{
                "actions-0-description": "Send the financial model",
                "actions-0-owner": cast.teammate.pk,
                "actions-0-due_date": due,
            },
        ),
    )
    assert response.status_code == 302
    interaction = Interaction.objects.get()
    assert interaction.created_by == cast.owner
    assert list(interaction.contacts.all()) == [contact]
    assert set(interaction.internal_participants.all()) == {cast.owner, cast.teammate}
    action = interaction.follow_ups.get()
    assert (action.owner, action.account) == (cast.teammate, cast.account)


# ---------------------------------------------------------------- who may log


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("owner", 200),
        ("teammate", 200),
        ("lead", 200),
        ("executive", 403),
        ("risk", 403),
        ("compliance", 403),
        ("outsider", 404),
        ("other_lead", 404),
    ],
)
def test_who_may_open_the_log_form(client, cast: Cast, who: str, status: int) -> None:
    client.force_login(getattr(cast, who))
    assert client.get(reverse("interactions:create", args=[cast.account.pk])).status_code == status


@pytest.mark.parametrize("who", ["executive", "risk", "compliance"])
def test_read_only_roles_cannot_log(client, cast: Cast, who: str) -> None:
    client.force_login(getattr(cast, who))
    response = client.post(reverse("interactions:create", args=[cast.account.pk]), _form(cast))
    assert response.status_code == 403
    assert not Interaction.objects.exists()


# ---------------------------------------------------------------- stats and cadence


def test_stats_follow_the_interactions(cast: Cast) -> None:
    old = _log(cast, occurred_at=timezone.now() - dt.timedelta(days=40))
    email = _log(cast, channel=channel("email"), occurred_at=timezone.now() - dt.timedelta(days=2))
    stats = AccountContactStats.objects.get(account=cast.account)
    assert stats.interaction_count == 2
    assert stats.last_interaction_at == email.occurred_at
    # A plain e-mail is not a meaningful contact: cadence still counts from the meeting.
    assert stats.last_meaningful_at == old.occurred_at
    interaction_delete(interaction=old, user=cast.owner)
    stats.refresh_from_db()
    assert stats.last_meaningful_at is None
    assert stats.interaction_count == 1


def test_cadence_against_the_tier(cast: Cast) -> None:
    cast.account.tier = "strategic"  # every 14 days
    cast.account.save()
    assert cadence_for_account(account=cast.account).status == "never"
    assert list(accounts_cadence_overdue(user=cast.owner)) == [cast.account]
    meeting = _log(cast, occurred_at=timezone.now() - dt.timedelta(days=20))
    cadence = cadence_for_account(account=cast.account)
    assert cadence.status == "overdue"
    assert cadence.next_due == timezone.localdate(meeting.occurred_at) + dt.timedelta(days=14)
    assert cadence.days_overdue == 6
    _log(cast, occurred_at=timezone.now() - dt.timedelta(days=1))
    assert cadence_for_account(account=cast.account).status == "ok"
    assert not accounts_cadence_overdue(user=cast.owner).exists()


def test_senior_contacts_not_met_in_90_days(cast: Cast) -> None:
    met = ContactFactory.create(account=cast.account, seniority="c_level", name="Met")
    stale = ContactFactory.create(account=cast.account, seniority="board", name="Stale")
    never = ContactFactory.create(account=cast.account, seniority="senior", name="Never")
    ContactFactory.create(account=cast.account, seniority="staff", name="Junior")
    _log(cast, contacts=[met], occurred_at=timezone.now() - dt.timedelta(days=10))
    _log(cast, contacts=[stale], occurred_at=timezone.now() - dt.timedelta(days=120))
    # A WeChat message is not a meeting.
    _log(cast, contacts=[never], channel=channel("wechat"))
    names = [c.name for c in senior_contacts_not_met(account=cast.account)]
    assert names == ["Never", "Stale"]


# ---------------------------------------------------------------- confidentiality


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("owner", True),
        ("teammate", True),
        ("lead", True),
        ("executive", False),
        ("risk", False),
        ("compliance", True),
        ("admin", False),
    ],
)
def test_confidential_interactions_only_for_the_account_team_and_compliance(
    client, cast: Cast, who: str, sees: bool
) -> None:
    _log(cast, subject="Open note")
    secret = _log(cast, subject="Board succession talk", is_confidential=True)
    user = getattr(cast, who)
    client.force_login(user)
    response = client.get(reverse("interactions:timeline", args=[cast.account.pk]))
    assert response.status_code == 200
    assert ("Board succession talk" in response.content.decode()) is sees
    assert "Open note" in response.content.decode()
    detail = client.get(reverse("interactions:detail", args=[cast.account.pk, secret.pk]))
    assert detail.status_code == (200 if sees else 404)
    assert (secret in interaction_list_for_user(user=user)) is sees
    # Exports never carry a confidential interaction, not even for the account team.
    assert secret not in interaction_list_for_export(user=user)


@pytest.mark.parametrize("who", ["outsider", "other_lead"])
def test_other_rms_get_404_on_the_timeline(client, cast: Cast, who: str) -> None:
    interaction = _log(cast)
    client.force_login(getattr(cast, who))
    assert client.get(reverse("interactions:timeline", args=[cast.account.pk])).status_code == 404
    url = reverse("interactions:detail", args=[cast.account.pk, interaction.pk])
    assert client.get(url).status_code == 404
    assert not interaction_list_for_user(user=getattr(cast, who)).exists()


def test_follow_up_done_by_its_owner_or_a_writer(client, cast: Cast) -> None:
    interaction = _log(
        cast,
        follow_ups=[FollowUpData("Call back", cast.teammate, timezone.localdate())],
    )
    action = interaction.follow_ups.get()
    url = reverse("interactions:follow_up_toggle", args=[cast.account.pk, action.pk])
    client.force_login(cast.executive)
    assert client.post(url).status_code == 403
    client.force_login(cast.outsider)
    assert client.post(url).status_code == 404
    client.force_login(cast.teammate)
    assert client.post(url).status_code == 302
    action.refresh_from_db()
    assert action.done_at is not None
