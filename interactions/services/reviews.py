"""Strategic reviews, executive sponsors, and the quarterly reminders with escalation (issue 4).

Reminders happen once per (account, quarter, stage) whatever happens:

1. **claim** — a ``ReviewReminder`` row is inserted for each account due one; the unique
   constraint ``review_reminder_once`` turns a second claim into a no-op
   (``bulk_create(ignore_conflicts=True)``) and the claim is committed on its own;
2. **send** — inside one transaction per chunk the claimed, unsent rows are locked
   (``select_for_update(skip_locked=True)``, so two workers never send the same row), the
   notifications are created through ``kam.services.notification_send_many`` with a key
   per (account, quarter, stage), and ``sent_at`` is set. Notifications and ``sent_at`` commit
   together; the e-mails go after the commit, claimed by the notification itself.

A worker killed between claim and send leaves an unsent claim; the next run (or the task's
retry) finds it — the dispatcher still lists the account, because only *sent* reminders take
an account off the list — and sends it. A crash after the notifications were created but
before ``sent_at`` rolls both back; and even were it not so, the notification keys would
return the existing notifications rather than create new ones.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Account
from kam.models import User
from kam.quarters import Quarter
from kam.roles import Role
from kam.services import NotificationDraft, notification_send_many

from ..models import AccountSponsor, ReviewReminder, StrategicReview
from ..selectors.reviews import accounts_missing_review
from .interactions import FollowUpData, _add_follow_ups

Stage = ReviewReminder.Stage
Status = StrategicReview.Status

# Days before the quarter's last day at which each reminder stage starts; the most urgent
# stage reached is the one sent, so a job that missed days does not send stale stages.
STAGE_DAYS: tuple[tuple[int, str], ...] = (
    (7, Stage.DAYS_7),
    (14, Stage.DAYS_14),
    (30, Stage.DAYS_30),
)
# How long into a new quarter the previous quarter's missing reviews are escalated.
OVERDUE_WINDOW_DAYS = 30


# ---------------------------------------------------------------- reviews


def _is_executive(user: User) -> bool:
    return user.has_role(Role.EXECUTIVE)


def _validate_review(
    *,
    status: str,
    scheduled_at: dt.datetime,
    location: str,
    video_link: str,
    executives: Sequence[User],
) -> None:
    errors: dict[str, list[str]] = {}
    not_executives = [u for u in executives if not _is_executive(u)]
    if not_executives:
        errors.setdefault("executives", []).append(
            _("Only users with the Executive role attend as executives: %(names)s.")
            % {"names": ", ".join(u.short_name for u in not_executives)}
        )
    if status == Status.HELD:
        if not executives:
            errors.setdefault("executives", []).append(
                _(
                    "A review counts as held only with at least one executive attending; "
                    "add the executives who attended."
                )
            )
        if scheduled_at > timezone.now():
            errors.setdefault("scheduled_at", []).append(
                _("A review cannot have been held on a date in the future.")
            )
    if status != Status.CANCELLED and not (location.strip() or video_link.strip()):
        errors.setdefault("location", []).append(_("Give a place or a video link."))
    if errors:
        raise ValidationError(errors)


def _apply_review(
    review: StrategicReview,
    *,
    status: str,
    scheduled_at: dt.datetime,
    location: str,
    video_link: str,
    agenda: str,
    minutes: str,
    decisions: str,
) -> None:
    quarter = Quarter.of(scheduled_at)
    review.year, review.quarter = quarter.year, quarter.quarter
    review.status = status
    review.scheduled_at = scheduled_at
    review.location = location
    review.video_link = video_link
    review.agenda = agenda
    review.minutes = minutes
    review.decisions = decisions


@transaction.atomic
def review_create(
    *,
    account: Account,
    user: User,
    scheduled_at: dt.datetime,
    status: str = Status.SCHEDULED,
    location: str = "",
    video_link: str = "",
    executives: Sequence[User] = (),
    agenda: str = "",
    minutes: str = "",
    decisions: str = "",
    actions: Sequence[FollowUpData] = (),
) -> StrategicReview:
    """Schedule (or record) a strategic review; its quarter follows its date in Asia/Shanghai."""
    _validate_review(
        status=status,
        scheduled_at=scheduled_at,
        location=location,
        video_link=video_link,
        executives=executives,
    )
    review = StrategicReview(account=account, created_by=user)
    _apply_review(
        review,
        status=status,
        scheduled_at=scheduled_at,
        location=location,
        video_link=video_link,
        agenda=agenda,
        minutes=minutes,
        decisions=decisions,
    )
    review.full_clean()
    review.save()
    review.executives.set(executives)
    _add_follow_ups(interaction=None, review_id=review.pk, account=account, follow_ups=actions)
    return review


@transaction.atomic
def review_update(
    *,
    review: StrategicReview,
    user: User,
    scheduled_at: dt.datetime,
    status: str,
    location: str = "",
    video_link: str = "",
    executives: Sequence[User] = (),
    agenda: str = "",
    minutes: str = "",
    decisions: str = "",
    actions: Sequence[FollowUpData] = (),
) -> StrategicReview:
    """Reschedule, record as held (with minutes and decisions) or cancel a review."""
    _validate_review(
        status=status,
        scheduled_at=scheduled_at,
        location=location,
        video_link=video_link,
        executives=executives,
    )
    _apply_review(
        review,
        status=status,
        scheduled_at=scheduled_at,
        location=location,
        video_link=video_link,
        agenda=agenda,
        minutes=minutes,
        decisions=decisions,
    )
    review.full_clean()
    review.save()
    review.executives.set(executives)
    _add_follow_ups(
        interaction=None, review_id=review.pk, account=review.account, follow_ups=actions
    )
    return review


@transaction.atomic
def account_sponsor_set(*, account: Account, executive: User | None) -> AccountSponsor | None:
    """Name (or clear) the executive sponsor to whom overdue reviews escalate."""
    if executive is None:
        AccountSponsor.objects.filter(account=account).delete()
        return None
    if not _is_executive(executive):
        raise ValidationError(
            {"executive": _("The executive sponsor must have the Executive role.")}
        )
    sponsor, _created = AccountSponsor.objects.update_or_create(
        account=account, defaults={"executive": executive}
    )
    return sponsor


# ---------------------------------------------------------------- reminders


def reminder_plan(on: dt.date) -> list[tuple[Quarter, str]]:
    """The (quarter, stage) pairs a daily run on ``on`` is responsible for: the current
    quarter's most urgent pre-end stage reached, and the previous quarter's escalation
    during the first weeks of a new quarter."""
    plan: list[tuple[Quarter, str]] = []
    current = Quarter.of(on)
    left = current.days_left(on)
    for days, stage in STAGE_DAYS:
        if left <= days:
            plan.append((current, stage))
            break
    if (on - current.first_day).days < OVERDUE_WINDOW_DAYS:
        plan.append((current.previous(), Stage.OVERDUE))
    return plan


def review_reminders_claim(*, quarter: Quarter, stage: str, account_ids: Sequence[int]) -> int:
    """Claim the reminders of a chunk (one insert; existing claims are left alone)."""
    rows = [
        ReviewReminder(account_id=pk, year=quarter.year, quarter=quarter.quarter, stage=stage)
        for pk in account_ids
    ]
    with transaction.atomic():
        ReviewReminder.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    return len(rows)


def _recipients(account: Account, stage: str) -> list[User]:
    """The RM always; on escalation also the team lead and the executive sponsor."""
    people: list[User] = [account.owner]
    if stage == Stage.OVERDUE:
        lead = account.team.lead if account.team_id and account.team else None
        if lead is not None:
            people.append(lead)
        sponsor = getattr(account, "sponsor", None)
        if sponsor is not None:
            people.append(sponsor.executive)
    unique: dict[int, User] = {}
    for person in people:
        if person.is_active:
            unique.setdefault(person.pk, person)
    return list(unique.values())


def _message(account: Account, quarter: Quarter, stage: str, on: dt.date) -> tuple[str, str, str]:
    days = quarter.days_left(on)
    if stage == Stage.OVERDUE:
        title = _("Overdue strategic review: %(account)s, %(quarter)s") % {
            "account": account.display_name,
            "quarter": quarter,
        }
        body = _(
            "%(quarter)s ended without a strategic review held with an executive for "
            "%(account)s (owner: %(owner)s). Please hold it without delay."
        ) % {
            "quarter": quarter,
            "account": account.display_name,
            "owner": account.owner.short_name,
        }
        return title, body, "danger"
    title = _("Strategic review not yet scheduled: %(account)s, %(quarter)s") % {
        "account": account.display_name,
        "quarter": quarter,
    }
    body = _(
        "%(quarter)s ends in %(days)s days and %(account)s has no strategic review held or "
        "scheduled. Schedule one with an executive before the quarter ends."
    ) % {"quarter": quarter, "days": max(days, 0), "account": account.display_name}
    return title, body, "warning" if stage != Stage.DAYS_7 else "danger"


def reminder_key(*, account_id: int, quarter: Quarter, stage: str) -> str:
    return f"review-reminder:{account_id}:{quarter.slug}:{stage}"


def _drafts(account: Account, quarter: Quarter, stage: str, on: dt.date) -> list[NotificationDraft]:
    """The reminder's notifications, each in its recipient's language."""
    url = reverse("interactions:review_list", args=[account.pk])
    key = reminder_key(account_id=account.pk, quarter=quarter, stage=stage)
    drafts = []
    for person in _recipients(account, stage):
        with translation.override(person.language or settings.LANGUAGE_CODE):
            title, body, level = _message(account, quarter, stage, on)
        drafts.append(
            NotificationDraft(user=person, title=title, body=body, url=url, key=key, level=level)
        )
    return drafts


def review_reminders_send_claimed(
    *, quarter: Quarter, stage: str, account_ids: Sequence[int], on: dt.date
) -> int:
    """Send the unsent claimed reminders of these accounts; returns how many were sent now.

    One transaction: the claims are locked (``skip_locked``: a claim another worker is
    sending is left to it), the notifications created, the claims marked sent — all or
    nothing. The e-mails follow the commit."""
    with transaction.atomic():
        claimed = list(
            ReviewReminder.objects.select_for_update(skip_locked=True)
            .filter(
                account_id__in=list(account_ids),
                year=quarter.year,
                quarter=quarter.quarter,
                stage=stage,
                sent_at__isnull=True,
            )
            .order_by("pk")
            .values_list("pk", "account_id")
        )
        if not claimed:
            return 0
        accounts = Account.objects.select_related(
            "owner", "team__lead", "sponsor__executive"
        ).in_bulk([account_id for _pk, account_id in claimed])
        drafts = [
            draft
            for _pk, account_id in claimed
            for draft in _drafts(accounts[account_id], quarter, stage, on)
        ]
        notification_send_many(drafts=drafts, email=True)
        ReviewReminder.objects.filter(pk__in=[pk for pk, _a in claimed]).update(
            sent_at=timezone.now()
        )
        return len(claimed)


def review_reminders_process(
    *, quarter: Quarter, stage: str, account_ids: Sequence[int], on: dt.date
) -> int:
    """Claim and send the reminders of one chunk of accounts; safe to run again.

    The chunk re-checks which accounts still miss a review (one may have been scheduled
    since the dispatcher listed it), claims those, then sends every unsent claim."""
    still_missing = list(
        accounts_missing_review(quarter=quarter, scheduled_counts=stage != Stage.OVERDUE)
        .filter(pk__in=list(account_ids))
        .values_list("pk", flat=True)
    )
    review_reminders_claim(quarter=quarter, stage=stage, account_ids=still_missing)
    return review_reminders_send_claimed(
        quarter=quarter, stage=stage, account_ids=still_missing, on=on
    )
