"""Writes of interactions and their follow-up actions (issue 4).

Every write keeps the account's ``AccountContactStats`` row current, so cadence, lists and
the risk scan never scan the interactions table.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max, Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account, Contact
from kam.access_log import record_access
from kam.audit import audit_update
from kam.models import AccessLog, User

from ..models import AccountContactStats, Channel, FollowUp, Interaction


@dataclass(frozen=True)
class FollowUpData:
    description: str
    owner: User
    due_date: dt.date


def _validate(
    *,
    account: Account,
    channel: Channel,
    occurred_at: dt.datetime,
    meeting_link: str,
    contacts: Sequence[Contact],
) -> None:
    errors: dict[str, list[str]] = {}
    if occurred_at > timezone.now():
        errors.setdefault("occurred_at", []).append(
            _("An interaction that took place cannot be dated in the future.")
        )
    strangers = [c for c in contacts if c.account_id != account.pk]
    if strangers:
        errors.setdefault("contacts", []).append(
            _("Only contacts of this account can take part: %(names)s belong to another account.")
            % {"names": ", ".join(c.name for c in strangers)}
        )
    if meeting_link and not channel.is_video:
        errors.setdefault("meeting_link", []).append(
            _("Only a video conference keeps a meeting link; choose the video channel or clear it.")
        )
    if errors:
        raise ValidationError(errors)


def contact_stats_refresh(*, account_id: int) -> AccountContactStats:
    """Recompute one account's contact facts from its interactions (an indexed range).

    The stats row is locked first, so two interactions logged at once on the same account
    are counted one after the other, never lost."""
    stats, _created = AccountContactStats.objects.get_or_create(account_id=account_id)
    stats = AccountContactStats.objects.select_for_update().get(pk=stats.pk)
    facts = Interaction.objects.filter(account_id=account_id).aggregate(
        last=Max("occurred_at"),
        meaningful=Max("occurred_at", filter=Q(channel__counts_for_cadence=True)),
        n=Count("pk"),
    )
    stats.last_interaction_at = facts["last"]
    stats.last_meaningful_at = facts["meaningful"]
    stats.interaction_count = facts["n"]
    stats.save()
    return stats


def _add_follow_ups(
    *,
    interaction: Interaction | None,
    review_id: int | None,
    account: Account,
    follow_ups: Iterable[FollowUpData],
) -> list[FollowUp]:
    rows = [
        FollowUp(
            account=account,
            interaction=interaction,
            review_id=review_id,
            description=f.description,
            owner=f.owner,
            due_date=f.due_date,
        )
        for f in follow_ups
    ]
    for row in rows:
        row.full_clean()
        row.save()
    return rows


@transaction.atomic
def interaction_create(
    *,
    account: Account,
    user: User,
    channel: Channel,
    occurred_at: dt.datetime,
    subject: str,
    summary: str = "",
    outcome: str = "",
    meeting_link: str = "",
    is_confidential: bool = False,
    internal_participants: Sequence[User] = (),
    contacts: Sequence[Contact] = (),
    follow_ups: Sequence[FollowUpData] = (),
) -> Interaction:
    """Log an interaction that took place, with its participants and follow-up actions."""
    _validate(
        account=account,
        channel=channel,
        occurred_at=occurred_at,
        meeting_link=meeting_link,
        contacts=contacts,
    )
    interaction = Interaction(
        account=account,
        channel=channel,
        occurred_at=occurred_at,
        subject=subject,
        meeting_link=meeting_link,
        is_confidential=is_confidential,
        created_by=user,
    )
    interaction.set_notes(summary=summary, outcome=outcome)  # encrypted when confidential
    interaction.full_clean()
    interaction.save()
    if internal_participants:
        interaction.internal_participants.set(internal_participants)
    if contacts:
        interaction.contacts.set(contacts)
    _add_follow_ups(interaction=interaction, review_id=None, account=account, follow_ups=follow_ups)
    contact_stats_refresh(account_id=account.pk)
    return interaction


@transaction.atomic
def interaction_update(
    *,
    interaction: Interaction,
    user: User,
    channel: Channel,
    occurred_at: dt.datetime,
    subject: str,
    summary: str = "",
    outcome: str = "",
    meeting_link: str = "",
    is_confidential: bool = False,
    internal_participants: Sequence[User] = (),
    contacts: Sequence[Contact] = (),
    follow_ups: Sequence[FollowUpData] = (),
) -> Interaction:
    """Correct a logged interaction; new follow-up actions are added to the existing ones.

    Marking it confidential moves its notes to the encrypted columns and empties the plain
    ones; marking it open again moves them back."""
    account = interaction.account
    _validate(
        account=account,
        channel=channel,
        occurred_at=occurred_at,
        meeting_link=meeting_link,
        contacts=contacts,
    )
    interaction.channel = channel
    interaction.occurred_at = occurred_at
    interaction.subject = subject
    interaction.meeting_link = meeting_link
    interaction.is_confidential = is_confidential
    interaction.set_notes(summary=summary, outcome=outcome)
    interaction.full_clean()
    interaction.save()
    interaction.internal_participants.set(internal_participants)
    interaction.contacts.set(contacts)
    _add_follow_ups(interaction=interaction, review_id=None, account=account, follow_ups=follow_ups)
    contact_stats_refresh(account_id=account.pk)
    return interaction


@transaction.atomic
def interaction_delete(*, interaction: Interaction, user: User) -> None:
    account_id = interaction.account_id
    interaction.delete()
    contact_stats_refresh(account_id=account_id)


# The AccessLog field of a read of a confidential interaction's notes.
CONFIDENTIAL_NOTES_FIELD = "confidential_notes"


def interaction_notes_read_log(
    *, user: User, interaction: Interaction, request: HttpRequest | None = None
) -> AccessLog:
    """Record that ``user`` (compliance, not on the account team) read the notes of a
    confidential interaction: who, when, from where, which interaction. Never the notes."""
    return record_access(
        request,
        AccessLog.Action.REVEAL,
        user=user,
        account_id=interaction.account_id,
        object_repr=f"{interaction} ({interaction.account})",
        field=CONFIDENTIAL_NOTES_FIELD,
        detail={"interaction_id": interaction.pk},
    )


@transaction.atomic
def follow_up_complete(*, follow_up: FollowUp, user: User) -> bool:
    """Mark an action done; a conditional update, so a double click is harmless."""
    return _follow_up_done_at(follow_up=follow_up, done_at=timezone.now())


@transaction.atomic
def follow_up_reopen(*, follow_up: FollowUp, user: User) -> bool:
    return _follow_up_done_at(follow_up=follow_up, done_at=None)


def _follow_up_done_at(*, follow_up: FollowUp, done_at: dt.datetime | None) -> bool:
    before = copy.copy(follow_up)
    if not FollowUp.objects.filter(pk=follow_up.pk, done_at__isnull=done_at is not None).update(
        done_at=done_at
    ):
        return False
    if done_at is not None:
        before.done_at = None  # the update found it open
    follow_up.done_at = done_at
    audit_update(old=before, new=follow_up)
    return True


def channel_by_code(code: str) -> Channel:
    return Channel.objects.get(code=code)
