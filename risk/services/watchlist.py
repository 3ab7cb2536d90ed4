"""Writes of the watch list: putting an account on it, reviewing it, taking it off. A risk
officer (or an administrator) or the lead of the account's team does them
(``risk.selectors.watch_list_can_manage``); every change is in the change log (auditlog) and
the account's owner is told when the account goes on the list or comes off it."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account
from kam.models import User
from kam.services import notification_send

from ..models import WatchListEntry
from ..selectors import watch_list_can_manage

REASON_MIN_LENGTH = 10


def _reason(text: str, field: str) -> str:
    text = (text or "").strip()
    if len(text) < REASON_MIN_LENGTH:
        raise ValidationError(
            {field: _("Give the reason in at least %(n)d characters.") % {"n": REASON_MIN_LENGTH}}
        )
    return text


def _check(user: User, account: Account) -> None:
    if not watch_list_can_manage(user=user, account=account):
        raise PermissionDenied(
            _("Only a risk officer or the lead of the account's team manages the watch list.")
        )


def _tell_owner(*, entry: WatchListEntry, user: User, title: str, key: str) -> None:
    owner = entry.account.owner
    if owner is not None and owner.pk != user.pk:
        notification_send(user=owner, title=title, url=entry.get_absolute_url(), key=key)


@transaction.atomic
def watch_list_put(
    *,
    account: Account,
    user: User,
    reason_kind: str,
    reason: str,
    next_review_on: dt.date,
    entered_on: dt.date | None = None,
) -> WatchListEntry:
    """Put an account on the watch list with a reason and the date of its first review."""
    _check(user, account)
    locked = Account.objects.select_for_update().select_related("owner").get(pk=account.pk)
    if WatchListEntry.objects.filter(account=locked, exited_on__isnull=True).exists():
        raise ValidationError(_("The account is already on the watch list."))
    entry = WatchListEntry(
        account=locked,
        reason_kind=reason_kind,
        reason=_reason(reason, "reason"),
        entered_on=entered_on or timezone.localdate(),
        entered_by=user,
        next_review_on=next_review_on,
    )
    entry.full_clean()
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError as exc:  # a concurrent entry won the race
        raise ValidationError(_("The account is already on the watch list.")) from exc
    _tell_owner(
        entry=entry,
        user=user,
        title=_("%(account)s was put on the watch list") % {"account": locked},
        key=f"watch-list:{entry.pk}:entered",
    )
    return entry


def _locked_open(entry: WatchListEntry) -> WatchListEntry:
    locked = (
        WatchListEntry.objects.select_for_update(of=("self",))
        .select_related("account__owner", "account__team")
        .get(pk=entry.pk)
    )
    if not locked.is_open:
        raise ValidationError(_("The account has already been taken off the watch list."))
    return locked


@transaction.atomic
def watch_list_review(
    *, entry: WatchListEntry, user: User, next_review_on: dt.date, note: str = ""
) -> WatchListEntry:
    """Record a review of an account on the watch list and set the next one."""
    entry = _locked_open(entry)
    _check(user, entry.account)
    today = timezone.localdate()
    if next_review_on <= today:
        raise ValidationError({"next_review_on": _("Set the next review after today.")})
    entry.last_reviewed_on, entry.last_reviewed_by = today, user
    entry.review_note = (note or "").strip()
    entry.next_review_on = next_review_on
    entry.save(
        update_fields=[
            "last_reviewed_on",
            "last_reviewed_by",
            "review_note",
            "next_review_on",
            "updated_at",
        ]
    )
    return entry


@transaction.atomic
def watch_list_remove(*, entry: WatchListEntry, user: User, reason: str) -> WatchListEntry:
    """Take an account off the watch list: the entry stays, closed with the exit date, the
    reason and who took it off."""
    entry = _locked_open(entry)
    _check(user, entry.account)
    entry.exit_reason = _reason(reason, "exit_reason")
    entry.exited_on = max(timezone.localdate(), entry.entered_on)
    entry.exited_by = user
    entry.save(update_fields=["exit_reason", "exited_on", "exited_by", "updated_at"])
    _tell_owner(
        entry=entry,
        user=user,
        title=_("%(account)s was taken off the watch list") % {"account": entry.account},
        key=f"watch-list:{entry.pk}:exited",
    )
    return entry
