"""Reads of strategic reviews and quarterly coverage (issue 4).

"Required" means: the account's tier requires a quarterly review (TierPolicy) and the account
has not exited. A quarter is *covered* by a review held in it with at least one executive;
*scheduled* means a review planned in the quarter and not yet held or cancelled.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404

from accounts.choices import AccountStatus
from accounts.models import Account, TierPolicy
from accounts.selectors import (
    account_filter_for_user,
    account_list_for_user,
    account_tier_policy,
    tier_policies,
)
from kam.models import User
from kam.quarters import Quarter, today
from kam.roles import Role

from ..models import FollowUp, ReviewReminder, StrategicReview

Status = StrategicReview.Status


def review_tiers(policies: dict[str, TierPolicy] | None = None) -> list[str]:
    """The tiers that require a quarterly review (from ``policies`` when already read)."""
    policies = tier_policies() if policies is None else policies
    return sorted(tier for tier, policy in policies.items() if policy.requires_quarterly_review)


def review_required_accounts(*, tiers: list[str] | None = None) -> QuerySet[Account]:
    tiers = review_tiers() if tiers is None else tiers
    return Account.objects.filter(tier__in=tiers).exclude(status=AccountStatus.EXITED)


def held_exists(quarter: Quarter, outer: str = "pk") -> Exists:
    """A review held in ``quarter`` with at least one executive attending."""
    attendance = StrategicReview.executives.through.objects.filter(
        strategicreview_id=OuterRef("pk")
    )
    return Exists(
        StrategicReview.objects.filter(
            account_id=OuterRef(outer),
            year=quarter.year,
            quarter=quarter.quarter,
            status=Status.HELD,
        ).filter(Exists(attendance))
    )


def scheduled_exists(quarter: Quarter, outer: str = "pk") -> Exists:
    return Exists(
        StrategicReview.objects.filter(
            account_id=OuterRef(outer),
            year=quarter.year,
            quarter=quarter.quarter,
            status=Status.SCHEDULED,
        )
    )


def accounts_missing_review(
    *, quarter: Quarter, scheduled_counts: bool, tiers: list[str] | None = None
) -> QuerySet[Account]:
    """Required accounts without a held review in ``quarter`` (and, when
    ``scheduled_counts``, without a scheduled one either): one set-based query."""
    qs = review_required_accounts(tiers=tiers).exclude(held_exists(quarter))
    if scheduled_counts:
        qs = qs.exclude(scheduled_exists(quarter))
    return qs


def reminder_targets(*, quarter: Quarter, stage: str, tiers: list[str] | None = None) -> list[int]:
    """Ids of accounts due a reminder of ``stage`` for ``quarter`` and not yet sent one."""
    sent = ReviewReminder.objects.filter(
        account_id=OuterRef("pk"),
        year=quarter.year,
        quarter=quarter.quarter,
        stage=stage,
        sent_at__isnull=False,
    )
    qs = accounts_missing_review(
        quarter=quarter, scheduled_counts=stage != ReviewReminder.Stage.OVERDUE, tiers=tiers
    ).exclude(Exists(sent))
    return list(qs.order_by("pk").values_list("pk", flat=True))


# ---------------------------------------------------------------- pages


def review_list_for_account(*, account: Account) -> QuerySet[StrategicReview]:
    return (
        StrategicReview.objects.filter(account=account)
        .prefetch_related("executives")
        .order_by("-scheduled_at", "-pk")
    )


def review_get_for_account(*, account: Account, pk: int | str) -> StrategicReview:
    try:
        return (
            StrategicReview.objects.filter(account=account)
            .select_related("created_by")
            .prefetch_related(
                "executives",
                "actions__owner",
            )
            .get(pk=pk)
        )
    except (StrategicReview.DoesNotExist, ValueError) as exc:
        raise Http404("No such review.") from exc


def quarter_status_for_account(
    *, account: Account, quarter: Quarter, policy: TierPolicy | None = None
) -> dict[str, Any]:
    """Whether the account needs a review this quarter and where it stands."""
    if policy is None or policy.tier != account.tier:
        policy = account_tier_policy(account)
    required = bool(policy and policy.requires_quarterly_review) and (
        account.status != AccountStatus.EXITED
    )
    reviews = list(
        StrategicReview.objects.filter(account=account, year=quarter.year, quarter=quarter.quarter)
        .annotate(executive_count=Count("executives"))
        .values("status", "executive_count")
    )
    held = [r for r in reviews if r["status"] == Status.HELD and r["executive_count"]]
    scheduled = [r for r in reviews if r["status"] == Status.SCHEDULED]
    if held:
        state = "held"
    elif scheduled:
        state = "scheduled"
    else:
        state = "missing" if required else "not_required"
    return {
        "quarter": quarter,
        "required": required,
        "state": state,
        "days_left": quarter.days_left(today()),
    }


def can_see_coverage(user: User) -> bool:
    return user.is_portal_admin or user.reads_all_accounts or user.has_role(Role.TEAM_LEAD)


def review_coverage_by_team(*, user: User, quarter: Quarter) -> list[dict[str, Any]]:
    """Held, scheduled and missing reviews per team for the accounts ``user`` may see."""
    rows = (
        review_required_accounts()
        .filter(pk__in=account_list_for_user(user=user).values("pk"))
        .annotate(is_held=held_exists(quarter), is_scheduled=scheduled_exists(quarter))
        .order_by()
        .values("team_id", "team__name")
        .annotate(
            total=Count("pk"),
            held=Count("pk", filter=Q(is_held=True)),
            scheduled=Count("pk", filter=Q(is_held=False, is_scheduled=True)),
        )
        .order_by("team__name")
    )
    result = []
    for row in rows:
        missing = row["total"] - row["held"] - row["scheduled"]
        result.append(
            {
                **row,
                "missing": missing,
                "held_pct": round(100 * row["held"] / row["total"]) if row["total"] else 0,
            }
        )
    return result


def review_missing_for_user(
    *, user: User, quarter: Quarter, team_id: int | None = None
) -> QuerySet[Account]:
    qs = accounts_missing_review(quarter=quarter, scheduled_counts=True).filter(
        pk__in=account_list_for_user(user=user).values("pk")
    )
    if team_id is not None:
        qs = qs.filter(team_id=team_id)
    return qs.select_related("owner", "team").order_by("team__name", "legal_name_en", "pk")


def reviews_upcoming_for_user(*, user: User, days: int = 30) -> QuerySet[StrategicReview]:
    """Scheduled reviews in the next ``days`` on accounts ``user`` owns or attends."""
    start = today()
    end = start + dt.timedelta(days=days)
    quarter_window = Q(scheduled_at__date__gte=start, scheduled_at__date__lte=end)
    return (
        StrategicReview.objects.filter(
            quarter_window,
            Q(account__owner=user) | Q(executives=user),
            account_filter_for_user(user=user),
            status=Status.SCHEDULED,
        )
        .select_related("account")
        .distinct()
        .order_by("scheduled_at", "pk")
    )


def review_actions_open(*, review: StrategicReview) -> QuerySet[FollowUp]:
    return review.actions.filter(done_at__isnull=True)
