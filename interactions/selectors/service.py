"""Permission-scoped reads of service requests and the service-quality report (issue 5).

Every read starts from accounts.selectors.account_list_for_user: a request is visible exactly
when its account is. Report figures are aggregated in the database (a few grouped queries
whatever the number of requests).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.choices import Tier
from accounts.rights import Right
from accounts.selectors import account_can, account_filter_for_user, visible_ids_in_hand
from kam.models import Team, User
from kam.roles import Role

from ..models.service import (
    OPEN_STATES,
    RUNNING_STATES,
    RequestState,
    ServiceRequest,
)

HOUR = 3600


def service_request_list_for_user(*, user: User) -> QuerySet[ServiceRequest]:
    """The requests ``user`` may see: those of the accounts they may see."""
    return ServiceRequest.objects.filter(account_filter_for_user(user=user))


def service_request_get_for_user(
    *, user: User, pk: int | str, write: bool = False
) -> ServiceRequest:
    """One request: 404 when its account is not visible, 403 when it is read-only for
    ``user`` and ``write`` is asked."""
    try:
        request = (
            service_request_list_for_user(user=user)
            .select_related(
                "account__owner",
                "account__team",
                "channel",
                "assignee",
                "opened_by",
                "policy",
            )
            .get(pk=pk)
        )
    except (ServiceRequest.DoesNotExist, ValueError) as exc:
        raise Http404("No such service request.") from exc
    if write and not account_can(user=user, account=request.account, right=Right.SERVICE):
        raise PermissionDenied("This account is read-only for you.")
    return request


def order_by_due(queryset: QuerySet[ServiceRequest]) -> QuerySet[ServiceRequest]:
    """Running clocks first, soonest deadline first; stopped clocks after, newest first."""
    return queryset.order_by(F("due_at").asc(nulls_last=True), "-opened_at", "-pk")


@dataclass
class HomeService:
    requests: list[ServiceRequest]
    open_count: int
    overdue_count: int
    now: dt.datetime


def service_home_for_user(*, user: User, limit: int = 8) -> HomeService:
    """The RM home's "my open service requests": soonest deadline first (two queries).

    With the user's book in hand, their open requests (a few, on a partial index) are read
    first and kept when their account is in the book; filtered in SQL by the book's ids, the
    planner combined both indexes and read thousands of rows (5–10 ms a query)."""
    now = timezone.now()
    assigned = ServiceRequest.objects.filter(assignee=user, state__in=OPEN_STATES)
    book = visible_ids_in_hand(user=user)
    if book is not None:
        mine = [
            (pk, due_at)
            for pk, account_id, due_at in order_by_due(assigned).values_list(
                "pk", "account_id", "due_at"
            )
            if account_id in book
        ]
        shown = [pk for pk, _due in mine[:limit]]
        rows = ServiceRequest.objects.select_related("account").in_bulk(shown)
        return HomeService(
            requests=[rows[pk] for pk in shown if pk in rows],
            open_count=len(mine),
            overdue_count=sum(1 for _pk, due in mine if due is not None and due < now),
            now=now,
        )
    mine_qs = assigned.filter(account_filter_for_user(user=user))
    counts = mine_qs.aggregate(open=Count("pk"), overdue=Count("pk", filter=Q(due_at__lt=now)))
    requests = list(order_by_due(mine_qs).select_related("account")[:limit])
    return HomeService(
        requests=requests, open_count=counts["open"], overdue_count=counts["overdue"], now=now
    )


# ---------------------------------------------------------------- the service report

REPORT_ROLES = (Role.TEAM_LEAD, Role.EXECUTIVE, Role.RISK, Role.ADMIN)


def can_see_service_report(user: User) -> bool:
    """Team leads (their team), executives, risk officers and administrators (all)."""
    return user.is_authenticated and (user.is_superuser or user.has_role(*REPORT_ROLES))


# Buckets of business time to first response: (upper bound in hours or None, label).
RESPONSE_BUCKETS: tuple[tuple[float | None, Any], ...] = (
    (1, _("≤ 1 h")),
    (2, _("1–2 h")),
    (4, _("2–4 h")),
    (8, _("4–8 h")),
    (16, _("8–16 h")),
    (40, _("16–40 h")),
    (None, _("> 40 h")),
)
# Buckets of calendar age of open requests: (upper bound in days or None, label).
AGE_BUCKETS: tuple[tuple[int | None, Any], ...] = (
    (1, _("< 1 day")),
    (3, _("1–3 days")),
    (7, _("3–7 days")),
    (14, _("1–2 weeks")),
    (30, _("2–4 weeks")),
    (None, _("> 30 days")),
)


def _metrics(now: dt.datetime) -> dict[str, Any]:
    """SLA attainment counts (the outcome definitions of ``sla_outcomes``) and satisfaction."""
    return {
        **sla_counts(now),
        "rated": Count("satisfaction"),
        "score_sum": Sum("satisfaction"),
    }


def _rate(met: int, missed: int) -> float | None:
    return round(100.0 * met / (met + missed), 1) if met + missed else None


@dataclass
class AttainmentRow:
    key: Any
    label: str
    total: int = 0
    response_met: int = 0
    response_missed: int = 0
    resolution_met: int = 0
    resolution_missed: int = 0
    rated: int = 0
    score_sum: int = 0

    @property
    def response_rate(self) -> float | None:
        return _rate(self.response_met, self.response_missed)

    @property
    def resolution_rate(self) -> float | None:
        return _rate(self.resolution_met, self.resolution_missed)

    @property
    def satisfaction(self) -> float | None:
        return round(self.score_sum / self.rated, 2) if self.rated else None

    def add(self, values: dict[str, Any]) -> None:
        for name in SUMMED:
            setattr(self, name, getattr(self, name) + (values[name] or 0))


SUMMED = (
    "total",
    "response_met",
    "response_missed",
    "resolution_met",
    "resolution_missed",
    "rated",
    "score_sum",
)


@dataclass
class ServiceReport:
    start: dt.date
    end: dt.date
    now: dt.datetime
    by_tier: list[AttainmentRow] = field(default_factory=list)
    by_team: list[AttainmentRow] = field(default_factory=list)
    by_rm: list[AttainmentRow] = field(default_factory=list)
    total: AttainmentRow = field(default_factory=lambda: AttainmentRow(None, ""))
    # Response-time distribution: bucket labels, then per tier the counts per bucket.
    response_buckets: list[str] = field(default_factory=list)
    response_by_tier: dict[str, list[int]] = field(default_factory=dict)
    # Open requests by age: bucket labels, then per state the counts per bucket.
    age_buckets: list[str] = field(default_factory=list)
    open_by_state: dict[str, list[int]] = field(default_factory=dict)
    satisfaction_counts: list[int] = field(default_factory=lambda: [0] * 5)

    @property
    def response_totals(self) -> list[int]:
        columns = zip(*self.response_by_tier.values(), strict=True)
        return [sum(column) for column in columns] if self.response_by_tier else []

    @property
    def open_totals(self) -> list[int]:
        columns = zip(*self.open_by_state.values(), strict=True)
        return [sum(column) for column in columns] if self.open_by_state else []

    @property
    def open_count(self) -> int:
        return sum(self.open_totals)

    def chart_data(self) -> dict[str, Any]:
        """What static/js/service_report.js draws (passed with json_script)."""
        tier_labels = dict(Tier.choices)
        state_labels = dict(RequestState.choices)
        return {
            "attainment": {
                "labels": [row.label for row in self.by_tier],
                "response": [row.response_rate for row in self.by_tier],
                "resolution": [row.resolution_rate for row in self.by_tier],
                "responseLabel": str(_("First response in time (%)")),
                "resolutionLabel": str(_("Resolved in time (%)")),
            },
            "responseTimes": {
                "labels": self.response_buckets,
                "datasets": [
                    {"key": tier, "label": str(tier_labels[tier]), "data": counts}
                    for tier, counts in self.response_by_tier.items()
                ],
            },
            "openByAge": {
                "labels": self.age_buckets,
                "datasets": [
                    {"key": state, "label": str(state_labels[state]), "data": counts}
                    for state, counts in self.open_by_state.items()
                ],
            },
            "satisfaction": {
                "labels": ["1", "2", "3", "4", "5"],
                "data": self.satisfaction_counts,
                "label": str(_("Scores")),
            },
        }


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def service_report_requests(
    *, user: User, start: dt.date, end: dt.date
) -> QuerySet[ServiceRequest]:
    """Requests opened in [start, end] (dates inclusive, portal time zone) that ``user`` may see."""
    return service_request_list_for_user(user=user).filter(
        opened_at__gte=_day_start(start), opened_at__lt=_day_start(end + dt.timedelta(days=1))
    )


def service_report(*, user: User, start: dt.date, end: dt.date) -> ServiceReport:
    """SLA attainment by tier, team and RM, the response-time distribution and satisfaction
    for requests opened in the period — one scan grouped by (tier, team, assignee), rolled up
    here — and open requests by age now (a second, small query on the open requests)."""
    now = timezone.now()
    period = service_report_requests(user=user, start=start, end=end).order_by()
    report = ServiceReport(start=start, end=end, now=now)

    extra: dict[str, Any] = {}
    lower: float = 0
    for index, (upper, _label) in enumerate(RESPONSE_BUCKETS):
        condition = Q(response_seconds__isnull=False, response_seconds__gte=lower * HOUR)
        if upper is not None:
            condition &= Q(response_seconds__lt=upper * HOUR)
            lower = upper
        extra[f"rt{index}"] = Count("pk", filter=condition)
    for score in range(1, 6):
        extra[f"score{score}"] = Count("pk", filter=Q(satisfaction=score))
    groups = list(period.values("tier", "team", "assignee").annotate(**_metrics(now), **extra))
    # Names of the few teams and RMs in the groups (two small queries, not a wider GROUP BY).
    team_names = dict(
        Team.objects.filter(pk__in={g["team"] for g in groups}).values_list("pk", "name")
    )
    rm_names = {
        pk: (f"{first} {last}".strip() + f" ({username})" if (first or last) else username)
        for pk, username, first, last in User.objects.filter(
            pk__in={g["assignee"] for g in groups}
        ).values_list("pk", "username", "first_name", "last_name")
    }

    tiers: dict[str, AttainmentRow] = {}
    teams: dict[Any, AttainmentRow] = {}
    rms: dict[Any, AttainmentRow] = {}
    report.response_buckets = [str(label) for _upper, label in RESPONSE_BUCKETS]
    tier_labels = dict(Tier.choices)
    for values in groups:
        tier = values["tier"]
        if tier not in tiers:
            tiers[tier] = AttainmentRow(tier, str(tier_labels.get(tier, tier)))
            report.response_by_tier[tier] = [0] * len(RESPONSE_BUCKETS)
        tiers[tier].add(values)
        buckets = report.response_by_tier[tier]
        for index in range(len(RESPONSE_BUCKETS)):
            buckets[index] += values[f"rt{index}"]
        for score in range(1, 6):
            report.satisfaction_counts[score - 1] += values[f"score{score}"]
        team = values["team"]
        if team not in teams:
            teams[team] = AttainmentRow(team, team_names.get(team) or str(_("No team")))
        teams[team].add(values)
        assignee = values["assignee"]
        if assignee not in rms:
            rms[assignee] = AttainmentRow(assignee, rm_names.get(assignee, str(assignee)))
        rms[assignee].add(values)
    order = {tier: index for index, (tier, _label) in enumerate(Tier.choices)}
    report.by_tier = sorted(tiers.values(), key=lambda row: order.get(row.key, 99))
    report.response_by_tier = {row.key: report.response_by_tier[row.key] for row in report.by_tier}
    report.by_team = sorted(teams.values(), key=lambda row: row.label)
    report.by_rm = sorted(rms.values(), key=lambda row: row.label)
    report.total = AttainmentRow(None, str(_("All tiers")))
    for row in report.by_tier:
        report.total.add({name: getattr(row, name) for name in SUMMED})

    # Open requests by age (now, whatever the period), per state.
    ages: dict[str, Any] = {}
    lower_days = 0
    for index, (upper_days, _label) in enumerate(AGE_BUCKETS):
        condition = Q(opened_at__lte=now - dt.timedelta(days=lower_days))
        if upper_days is not None:
            condition &= Q(opened_at__gt=now - dt.timedelta(days=upper_days))
            lower_days = upper_days
        ages[f"age{index}"] = Count("pk", filter=condition)
    open_values = {
        row["state"]: row
        for row in service_request_list_for_user(user=user)
        .filter(state__in=OPEN_STATES)
        .order_by()
        .values("state")
        .annotate(**ages)
    }
    report.age_buckets = [str(label) for _upper, label in AGE_BUCKETS]
    for state in OPEN_STATES:
        counts = open_values.get(state)
        report.open_by_state[state] = [
            counts[f"age{index}"] if counts else 0 for index in range(len(AGE_BUCKETS))
        ]
    return report


# The request-level export: (header, value path) in column order.
EXPORT_COLUMNS: tuple[tuple[Any, str], ...] = (
    (_("Request"), "pk"),
    (_("Account"), "account__legal_name_en"),
    (_("Account (Chinese)"), "account__legal_name_zh"),
    (_("Tier"), "tier"),
    (_("Team"), "team__name"),
    (_("Assignee"), "assignee__username"),
    (_("Channel"), "channel__code"),
    (_("Priority"), "priority"),
    (_("State"), "state"),
    (_("Subject"), "subject"),
    (_("Opened"), "opened_at"),
    (_("First response due"), "first_response_due"),
    (_("First response"), "responded_at"),
    (_("Resolution due"), "resolution_due"),
    (_("Resolved"), "resolved_at"),
    (_("Business hours to first response"), "response_seconds"),
    (_("Business hours to resolution"), "resolution_seconds"),
    (_("Business hours with the clock paused"), "paused_seconds"),
    (_("Satisfaction"), "satisfaction"),
)
# What those columns are (kam.data_levels): the export's data-security level.
EXPORT_DATA = ("service_request.facts", "account.name", "account.profile", "user.name")


def service_report_export_rows(
    *, user: User, start: dt.date, end: dt.date
) -> QuerySet[ServiceRequest, tuple[Any, ...]]:
    return (
        service_report_requests(user=user, start=start, end=end)
        .order_by("opened_at", "pk")
        .values_list(*(path for _header, path in EXPORT_COLUMNS))
    )


# ---------------------------------------------------------------- SLA outcomes, shared


def sla_outcomes(now: dt.datetime) -> dict[str, Q]:
    """The SLA outcome of a request's clocks, as conditions: a clock counts once it has an
    outcome (met, or missed — run out while still running counts as missed); clocks still
    running in time count as neither. The request list's ``sla`` filter, the dashboards and
    the supervision scorecards count with these, as the service report does."""
    return {
        "response_met": Q(responded_at__lte=F("first_response_due")),
        "response_missed": Q(responded_at__gt=F("first_response_due"))
        | Q(responded_at__isnull=True, first_response_due__lt=now),
        "resolution_met": Q(resolved_at__lte=F("resolution_due")),
        "resolution_missed": Q(resolved_at__gt=F("resolution_due"))
        | Q(state__in=RUNNING_STATES, resolution_due__lt=now),
    }


def sla_counts(now: dt.datetime, within: Q | None = None) -> dict[str, Count]:
    """Counts of requests per SLA outcome, and in all, optionally of those ``within``."""
    base = within if within is not None else Q()
    counts = {"total": Count("pk", filter=within) if within is not None else Count("pk")}
    for name, condition in sla_outcomes(now).items():
        counts[name] = Count("pk", filter=base & condition)
    return counts
