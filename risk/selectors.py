"""Permission-scoped reads of risk data, all built on accounts.selectors (the one door).

- alerts: whoever sees the account sees its alerts; risk officers and administrators triage
  every alert; whoever may change the account (owner, account team, team lead) acts on its
  alerts; executives and compliance read.
- covenants: whoever sees the account reads them (and their calendar); whoever may change it
  records them and their figures; it, or a risk officer, records cures, waivers and
  amendments, which the approver they name (not the recorder) confirms or rejects.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, TypedDict

from django.core.exceptions import PermissionDenied
from django.db.models import (
    Case,
    Count,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.choices import LoanClass
from accounts.models import Account, Facility, Project
from accounts.rights import Right
from accounts.selectors import (
    ACCOUNT_ROW_FIELDS,
    account_can,
    account_filter_for_user,
    account_list_for_user,
)
from kam.models import Team, User
from kam.roles import Role

from .choices import ACTIVE_STATES, RiskLevel, ScanStatus, WaiverKind, WaiverStatus
from .models import (
    Alert,
    CovenantTest,
    CovenantWaiver,
    EsgEvent,
    ProjectCovenant,
    RiskRule,
    ScanRun,
    WatchListEntry,
)

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


# The risk level the five-category classification of a facility sets for its borrower at the
# least: special mention (关注) is elevated (orange, as a medium alert); substandard (次级),
# doubtful and loss are non-performing: red (as a high alert). Normal sets nothing.
LEVEL_OF_LOAN_CLASS = {
    LoanClass.NORMAL: RiskLevel.GREEN,
    LoanClass.SPECIAL_MENTION: RiskLevel.ORANGE,
    LoanClass.SUBSTANDARD: RiskLevel.RED,
    LoanClass.DOUBTFUL: RiskLevel.RED,
    LoanClass.LOSS: RiskLevel.RED,
}


def loan_class_level(classification: Any) -> Case:
    """The risk level of a classification (an expression over facilities)."""
    return Case(
        *[
            When(**{f"{classification}__gte": value}, then=Value(int(level)))
            for value, level in sorted(LEVEL_OF_LOAN_CLASS.items(), reverse=True)
            if level != RiskLevel.GREEN
        ],
        default=Value(int(RiskLevel.GREEN)),
        output_field=IntegerField(),
    )


def classification_level_subquery() -> Subquery:
    """The level set by the worst classification among the facilities with exposure an
    account borrows under (on the borrower index), one correlated subquery."""
    return Subquery(
        Facility.objects.filter(
            borrower=OuterRef("pk"),
            exposure__gt=0,
            classification__gt=LoanClass.NORMAL,
        )
        .order_by("-classification")
        .annotate(level=loan_class_level("classification"))
        .values("level")[:1],
        output_field=IntegerField(),
    )


class RiskLevelAnnotation(TypedDict):
    risk_level: int


def with_risk_level(
    queryset: QuerySet[Account],
) -> QuerySet[WithAnnotations[Account, RiskLevelAnnotation]]:
    """Annotate ``risk_level`` (0 green … 3 red): the worse of the worst active alert and the
    level set by the worst five-category classification of the facilities the account
    borrows under (``LEVEL_OF_LOAN_CLASS``). Set-based: two correlated subqueries in the same
    query (the partial index of active alerts, the facilities' borrower index), never a
    query per row."""
    return queryset.annotate(
        risk_level=Greatest(
            Coalesce(active_severity_subquery(), Value(0)),
            Coalesce(classification_level_subquery(), Value(0)),
        )
    )


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
    alert_level: int = 0
    class_level: int = 0  # the level the worst classification of its facilities sets
    watch: WatchListEntry | None = None
    can_watch: bool = False
    today: date | None = None

    @property
    def watch_overdue(self) -> bool:
        return self.watch is not None and self.watch.review_overdue(self.today)


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
    the active alerts, and in one more query the level its facilities' classification sets
    and its open watch-list entry (read only when there is one); one more when there are
    more active alerts than shown."""
    active = list(
        Alert.objects.filter(account=account, state__in=ACTIVE_STATES)
        .select_related("rule")
        .only(*_PANEL_ALERT_FIELDS)
        .order_by("-severity", "-opened_at", "pk")[: limit + 1]
    )
    alert_level = max((a.severity for a in active), default=0)
    count = len(active)
    if count > limit:
        count = Alert.objects.filter(account=account, state__in=ACTIVE_STATES).count()
    standing = (
        Account.objects.filter(pk=account.pk)
        .annotate(
            class_level=Coalesce(classification_level_subquery(), Value(0)),
            watch_id=Subquery(
                WatchListEntry.objects.filter(account=OuterRef("pk"), exited_on__isnull=True)
                .order_by()
                .values("pk")[:1]
            ),
        )
        .values("class_level", "watch_id")
        .first()
    ) or {"class_level": 0, "watch_id": None}
    watch = None
    if standing["watch_id"] is not None:
        watch = (
            WatchListEntry.objects.select_related("entered_by", "last_reviewed_by")
            .filter(pk=standing["watch_id"])
            .first()
        )
    if writable is None:
        writable = account_can(user=user, account=account, right=Right.RISK)
    return AccountRisk(
        level=max(alert_level, standing["class_level"]),
        alerts=active[:limit],
        active_count=count,
        can_raise=writable or user_triages_alerts(user),
        can_record=writable,
        alert_level=alert_level,
        class_level=standing["class_level"],
        watch=watch,
        can_watch=watch_list_can_manage(user=user, account=account),
        today=timezone.localdate(),
    )


# ---------------------------------------------------------------- watch list


def watch_list_can_manage(*, user: User, account: Account) -> bool:
    """Who puts an account on the watch list, reviews it and takes it off: risk officers
    and administrators, and the lead of the account's team (the owner's lead)."""
    if not user.is_active:
        return False
    if user_triages_alerts(user):
        return True
    if account.team_id is None:
        return False
    cached = account._state.fields_cache.get("team")
    lead_id = (
        cached.lead_id
        if isinstance(cached, Team)
        else Team.objects.filter(pk=account.team_id).values_list("lead_id", flat=True).first()
    )
    return lead_id is not None and lead_id == user.pk


def watch_list_for_user(*, user: User) -> QuerySet[WatchListEntry]:
    """Watch-list entries of the accounts the user may see (the one door)."""
    return WatchListEntry.objects.filter(account_filter_for_user(user=user))


def watch_entry_get_for_user(*, user: User, pk: int | str) -> WatchListEntry:
    """One entry: 404 when its account is not the user's to see."""
    try:
        return (
            watch_list_for_user(user=user)
            .select_related(
                "account__owner",
                "account__team",
                "entered_by",
                "last_reviewed_by",
                "exited_by",
            )
            .get(pk=pk)
        )
    except (WatchListEntry.DoesNotExist, ValueError) as exc:
        raise Http404("No such watch-list entry.") from exc


def watch_list_overdue_count(*, user: User) -> int:
    """Open entries of the user's visible accounts whose review date has passed."""
    return (
        watch_list_for_user(user=user)
        .filter(exited_on__isnull=True, next_review_on__lt=timezone.localdate())
        .count()
    )


# ---------------------------------------------------------------- covenants and ESG


@dataclass
class ProjectCovenants:
    project: Project
    rows: list[tuple[ProjectCovenant, CovenantTest | None]]
    history: list[CovenantTest]
    waivers: list[CovenantWaiver]
    # Figures an approved cure or waiver covers: their breach raises no alert.
    relieved: set[int]


def covenants_for_account(*, account: Account, history: int = 12) -> list[ProjectCovenants]:
    """Each project of the account with its covenants and their levels, latest figure per
    covenant, recent history, and cures, waivers and amendments: five queries whatever the
    number of projects."""
    projects = list(
        Project.objects.filter(account=account)
        .prefetch_related(
            Prefetch(
                "covenants",
                queryset=ProjectCovenant.objects.select_related("metric")
                .prefetch_related("levels")
                .order_by("metric__position", "metric__code"),
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
    waivers_by_project: dict[int, list[CovenantWaiver]] = defaultdict(list)
    for waiver in (
        CovenantWaiver.objects.filter(covenant__project__account=account)
        .select_related("covenant__metric", "test", "approved_by", "recorded_by", "decided_by")
        .order_by("-approved_on", "-pk")
    ):
        waivers_by_project[waiver.covenant.project_id].append(waiver)
    result = []
    for project in projects:
        tests = tests_by_project.get(project.pk, [])
        latest: dict[int, CovenantTest] = {}
        for test in tests:
            latest.setdefault(test.metric_id, test)
        waivers = waivers_by_project.get(project.pk, [])
        result.append(
            ProjectCovenants(
                project=project,
                rows=[(c, latest.get(c.metric_id)) for c in project.covenants.all()],
                history=tests[:history],
                waivers=waivers,
                relieved=relieved_tests(tests=tests, waivers=waivers),
            )
        )
    return result


def relieved_tests(*, tests: Iterable[CovenantTest], waivers: Iterable[CovenantWaiver]) -> set[int]:
    """The ids of the figures that an approved cure or waiver covers: one that names the
    figure (whatever the date), or a covenant-wide one whose periods include the figure's
    (the same test as the covenant rules make, on rows already loaded)."""
    by_test: set[int] = set()
    wide: dict[tuple[int, int], list[CovenantWaiver]] = defaultdict(list)
    for waiver in waivers:
        if waiver.status != WaiverStatus.APPROVED:
            continue
        if waiver.test_id is not None:
            if waiver.kind != WaiverKind.AMENDMENT:
                by_test.add(waiver.test_id)
        else:
            wide[(waiver.covenant.project_id, waiver.covenant.metric_id)].append(waiver)
    return {
        t.pk
        for t in tests
        if t.pk in by_test
        or any(w.covers_period(t.period_end) for w in wide.get((t.project_id, t.metric_id), ()))
    }


def approver_choices(*, account: Account, recorder: User) -> QuerySet[User]:
    """Who may approve a cure, waiver or amendment of ``account`` recorded by ``recorder``: a
    risk officer or an executive, or a team lead who sees the account; never the recorder."""
    leads_who_see = [
        lead.pk
        for lead in User.objects.filter(is_active=True, groups__name=Role.TEAM_LEAD)
        .exclude(pk=recorder.pk)
        .distinct()
        if account_list_for_user(user=lead).filter(pk=account.pk).exists()
    ]
    return (
        User.objects.filter(is_active=True)
        .filter(Q(groups__name__in=[Role.RISK, Role.EXECUTIVE]) | Q(pk__in=leads_who_see))
        .exclude(pk=recorder.pk)
        .distinct()
        .order_by("username")
    )


def covenant_waiver_get_for_approver(
    *, account: Account, pk: int | str, user: User
) -> CovenantWaiver:
    """A cure, waiver or amendment of an account already fetched through the one door: 404 when
    it is not the account's, 403 when ``user`` is not the approver it names."""
    try:
        waiver = CovenantWaiver.objects.select_related(
            "covenant__project", "covenant__metric", "test", "approved_by", "recorded_by"
        ).get(covenant__project__account=account, pk=pk)
    except (CovenantWaiver.DoesNotExist, ValueError) as exc:
        raise Http404("No such cure, waiver or amendment.") from exc
    if waiver.approved_by_id != user.pk:
        raise PermissionDenied(_("Only the approver it names decides on it."))
    return waiver


@dataclass(frozen=True)
class CovenantDate:
    """A date of the covenant calendar: a test date, or the day a compliance certificate is
    due (``overdue`` once past: the certificate has not been recorded as received)."""

    day: date
    kind: str  # "test" or "certificate"
    covenant: ProjectCovenant
    overdue: bool = False

    @property
    def project(self) -> Project:
        return self.covenant.project


CALENDAR_AHEAD_DAYS = 120


def covenant_dates(
    covenants: Iterable[ProjectCovenant], *, start: date, end: date, today: date | None = None
) -> list[CovenantDate]:
    """Test dates and certificates due between ``start`` and ``end`` of these covenants, and
    certificates overdue whatever their date: the certificate of a test date stays due (and the
    next test date stays put) until it is recorded as received."""
    today = today or timezone.localdate()
    found: list[CovenantDate] = []
    for covenant in covenants:
        test_day, due = covenant.next_test_date, covenant.certificate_due_on
        if test_day is None or due is None:
            continue
        if start <= test_day <= end:
            found.append(CovenantDate(day=test_day, kind="test", covenant=covenant))
        if start <= due <= end or due < today:
            found.append(
                CovenantDate(day=due, kind="certificate", covenant=covenant, overdue=due < today)
            )
    return sorted(found, key=lambda d: (d.day, d.kind, d.covenant.pk))


def covenant_calendar_of(
    projects: Iterable[ProjectCovenants], *, days: int = CALENDAR_AHEAD_DAYS
) -> list[CovenantDate]:
    """The coming dates of an account page's covenants (already loaded: no query)."""
    today = timezone.localdate()
    covenants = [covenant for item in projects for covenant, _test in item.rows]
    return covenant_dates(covenants, start=today, end=today + timedelta(days=days), today=today)


def covenant_calendar_for_user(*, user: User, start: date, end: date) -> list[CovenantDate]:
    """Upcoming test dates and certificates due (and overdue) of the covenants of the accounts
    the user sees (the one door), for a calendar: one query."""
    covenants = (
        ProjectCovenant.objects.filter(
            account_filter_for_user(user=user, field="project__account"),
            next_test_date__isnull=False,
            next_test_date__lte=end,
        )
        .select_related("project", "metric")
        .order_by("next_test_date", "pk")
    )
    return covenant_dates(covenants, start=start, end=end)


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
