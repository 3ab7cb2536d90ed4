"""Permission-scoped reads of risk data, all built on accounts.selectors (the one door).

- alerts: whoever sees the account sees its alerts; risk officers and administrators triage
  every alert; whoever may change the account (owner, account team, team lead) acts on its
  alerts; executives and compliance read.
- covenants: whoever sees the account reads them; whoever may change it records them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict

from django.core.exceptions import PermissionDenied
from django.db.models import (
    Count,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account, Project
from accounts.rights import Right
from accounts.selectors import (
    ACCOUNT_ROW_FIELDS,
    account_can,
    account_filter_for_user,
)
from kam.models import User
from kam.roles import Role

from .choices import ACTIVE_STATES, RiskLevel, ScanStatus
from .models import Alert, CovenantTest, EsgEvent, ProjectCovenant, RiskRule, ScanRun

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

# ---------------------------------------------------------------- roles


def user_triages_alerts(user: User) -> bool:
    """Risk officers and administrators act on (and dismiss) every alert."""
    return user.is_portal_admin or user.has_role(Role.RISK)


def user_configures_rules(user: User) -> bool:
    return user.is_portal_admin or user.has_role(Role.RISK)


# ---------------------------------------------------------------- risk level


def active_severity_subquery() -> Subquery:
    return Subquery(
        Alert.objects.filter(account=OuterRef("pk"), state__in=ACTIVE_STATES)
        .order_by("-severity")
        .values("severity")[:1],
        output_field=IntegerField(),
    )


class RiskLevelAnnotation(TypedDict):
    risk_level: int


def with_risk_level(
    queryset: QuerySet[Account],
) -> QuerySet[WithAnnotations[Account, RiskLevelAnnotation]]:
    """Annotate ``risk_level`` (0 green … 3 red): the worst active alert, set-based — one
    correlated subquery on the partial index of active alerts, never a query per row."""
    return queryset.annotate(risk_level=Coalesce(active_severity_subquery(), Value(0)))


def risk_level_label(level: int) -> str:
    return str(RiskLevel(level).label)


# ---------------------------------------------------------------- alerts


def alert_list_for_user(*, user: User) -> QuerySet[Alert]:
    return Alert.objects.filter(account_filter_for_user(user=user))


def alert_get_for_user(*, user: User, pk: int | str, act: bool = False) -> Alert:
    """One alert: 404 when its account is not the user's to see, 403 when they may only read."""
    try:
        alert = (
            alert_list_for_user(user=user)
            .select_related(
                "account__owner", "account__team", "rule", "owner", "raised_by", "closed_by"
            )
            .get(pk=pk)
        )
    except (Alert.DoesNotExist, ValueError) as exc:
        raise Http404("No such alert.") from exc
    if act and not alert_can_act(user=user, alert=alert):
        raise PermissionDenied(_("You may read this alert but not act on it."))
    return alert


def alert_can_act(*, user: User, alert: Alert) -> bool:
    return user_triages_alerts(user) or account_can(
        user=user, account=alert.account, right=Right.RISK
    )


def alert_can_dismiss(*, user: User) -> bool:
    return user_triages_alerts(user)


def alert_detail_context(*, alert: Alert) -> dict[str, Any]:
    """History, actions and escalations of one alert, in a fixed number of queries."""
    return {
        "last_scan": ScanRun.objects.filter(status=ScanStatus.FINISHED)
        .order_by("-finished_at")
        .only("finished_at")
        .first(),
        "events": list(alert.events.select_related("actor").order_by("at", "pk")),
        "actions": list(alert.actions.select_related("owner").order_by("due_date", "pk")),
        "escalations": list(alert.escalations.prefetch_related("recipients").order_by("level")),
    }


def action_owner_choices(*, alert: Alert) -> QuerySet[User]:
    """Who can own a mitigation action: the account team, its lead, and risk officers."""
    account = alert.account
    return (
        User.objects.filter(is_active=True)
        .filter(
            Q(pk=account.owner_id)
            | Q(account_memberships__account=account)
            | Q(led_teams__accounts=account)
            | Q(groups__name=Role.RISK)
        )
        .distinct()
        .order_by("username")
    )


@dataclass
class HomeAlerts:
    alerts: list[Alert]
    total: int
    overdue: int
    by_level: list[tuple[int, str, int]]


def alerts_for_home(*, user: User, limit: int = 8) -> HomeAlerts:
    """The alerts a user should act on: for the account team those of the accounts they may
    change, for risk officers and other all-account readers every active alert."""
    right = None if user_triages_alerts(user) or user.reads_all_accounts else Right.RISK
    active = Alert.objects.filter(
        account_filter_for_user(user=user, right=right), state__in=ACTIVE_STATES
    )
    counts = active.aggregate(
        total=Count("pk"),
        overdue=Count("pk", filter=Q(state="open", ack_deadline__lt=timezone.now())),
        low=Count("pk", filter=Q(severity=1)),
        medium=Count("pk", filter=Q(severity=2)),
        high=Count("pk", filter=Q(severity=3)),
    )
    # The page's few accounts are read by key after the limit: joined before it, the planner
    # hashed the whole account table to sort a few hundred alerts.
    alerts = list(
        active.only("account_id", "severity", "state", "title", "ack_deadline")
        .prefetch_related(Prefetch("account", Account.objects.only(*ACCOUNT_ROW_FIELDS)))
        .order_by("-severity", "ack_deadline", "pk")[:limit]
    )
    by_level: list[tuple[int, str, int]] = [
        (RiskLevel.RED, str(RiskLevel.RED.label), counts["high"]),
        (RiskLevel.ORANGE, str(RiskLevel.ORANGE.label), counts["medium"]),
        (RiskLevel.YELLOW, str(RiskLevel.YELLOW.label), counts["low"]),
    ]
    return HomeAlerts(
        alerts=alerts, total=counts["total"], overdue=counts["overdue"], by_level=by_level
    )


@dataclass
class AccountRisk:
    level: int
    alerts: list[Alert]
    active_count: int
    can_raise: bool
    can_record: bool


# What the account page's risk panel shows of an alert (its summary reads the evidence
# through its rule's type): half the columns of an alert and its rule.
_PANEL_ALERT_FIELDS = (
    "account_id",
    "source",
    "severity",
    "state",
    "title",
    "description",
    "evidence",
    "opened_at",
    "rule__name",
    "rule__rule_type",
)


def account_risk_summary(
    *, user: User, account: Account, writable: bool | None = None, limit: int = 5
) -> AccountRisk:
    """The risk partial of an account page (the account was fetched through the one door):
    one query, two when there are more active alerts than shown."""
    active = list(
        Alert.objects.filter(account=account, state__in=ACTIVE_STATES)
        .select_related("rule")
        .only(*_PANEL_ALERT_FIELDS)
        .order_by("-severity", "-opened_at", "pk")[: limit + 1]
    )
    level = max((a.severity for a in active), default=0)
    count = len(active)
    if count > limit:
        count = Alert.objects.filter(account=account, state__in=ACTIVE_STATES).count()
    if writable is None:
        writable = account_can(user=user, account=account, right=Right.RISK)
    return AccountRisk(
        level=level,
        alerts=active[:limit],
        active_count=count,
        can_raise=writable or user_triages_alerts(user),
        can_record=writable,
    )


# ---------------------------------------------------------------- covenants and ESG


@dataclass
class ProjectCovenants:
    project: Project
    rows: list[tuple[ProjectCovenant, CovenantTest | None]]
    history: list[CovenantTest]


def covenants_for_account(*, account: Account, history: int = 12) -> list[ProjectCovenants]:
    """Each project of the account with its covenants, latest figure per covenant and recent
    history: three queries whatever the number of projects."""
    projects = list(
        Project.objects.filter(account=account)
        .prefetch_related(
            Prefetch(
                "covenants",
                queryset=ProjectCovenant.objects.select_related("metric").order_by(
                    "metric__position", "metric__code"
                ),
            )
        )
        .order_by("name", "pk")
    )
    tests_by_project: dict[int, list[CovenantTest]] = defaultdict(list)
    for test in (
        CovenantTest.objects.filter(project__account=account)
        .select_related("metric", "entered_by")
        .order_by("project_id", "-period_end", "metric__position")
    ):
        tests_by_project[test.project_id].append(test)
    result = []
    for project in projects:
        tests = tests_by_project.get(project.pk, [])
        latest: dict[int, CovenantTest] = {}
        for test in tests:
            latest.setdefault(test.metric_id, test)
        result.append(
            ProjectCovenants(
                project=project,
                rows=[(c, latest.get(c.metric_id)) for c in project.covenants.all()],
                history=tests[:history],
            )
        )
    return result


def esg_events_for_account(*, account: Account) -> list[EsgEvent]:
    return list(EsgEvent.objects.filter(account=account).select_related("project"))


# ---------------------------------------------------------------- rules and scans


def rules_for_officer() -> QuerySet[RiskRule]:
    return RiskRule.objects.annotate(
        active_alerts=Count("alerts", filter=Q(alerts__state__in=ACTIVE_STATES))
    ).order_by("name")


def recent_scans(limit: int = 20) -> list[ScanRun]:
    return list(
        ScanRun.objects.select_related("requested_by")
        .prefetch_related("scan_errors__rule")
        .order_by("-created_at", "-pk")[:limit]
    )
