"""Risk data for the demo book (called by ``manage.py seed_demo``): early-warning rules with
sensible thresholds, covenants with lock-up and event-of-default levels and six quarters of
figures for the demo projects (a few in lock-up or default, a few with shrinking headroom, one
default waived by the credit committee), earlier credit ratings for a few accounts, ESG events,
two manual alerts — then a scan, and a little of the lifecycle (acknowledged, in mitigation,
overdue and escalated), so that the alerts page looks like a Monday morning.

Idempotent: rules by name, covenants by (project, metric), figures by period, events by
title, manual alerts by (account, title); the scan is idempotent by construction, and the
lifecycle steps only touch alerts nobody has acted on yet."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from accounts.choices import AccountStatus, CreditRating, ProjectStage, Tier
from accounts.models import Account, Project
from kam.models import User
from risk import services
from risk.choices import (
    AlertSource,
    AlertState,
    CovenantFrequency,
    CovenantSource,
    EsgCategory,
    EsgSeverity,
    EsgSource,
    ScanTrigger,
    Severity,
    WaiverKind,
)
from risk.models import (
    Alert,
    AlertEvent,
    CovenantMetric,
    CovenantTest,
    CovenantWaiver,
    EsgEvent,
    ProjectCovenant,
    RatingSnapshot,
    RiskRule,
    add_months,
)

RISK_SEED = 20261128
DEMO_RMS = ("rm.wang", "rm.li", "rm.zhang", "rm.chen")


@dataclass(frozen=True)
class RuleSpec:
    name: str
    rule_type: str
    severity: int
    parameters: dict[str, Any]
    tiers: tuple[str, ...] = ()
    description: str = ""


DEMO_RULES = (
    RuleSpec(
        "Covenant breach",
        "covenant_breach",
        Severity.HIGH,
        {"level": "default", "metrics": [], "max_age_days": 550},
        description=(
            "Latest DSCR, LLCR or gearing figure past the loan agreement's event-of-default "
            "level, not cured or waived."
        ),
    ),
    RuleSpec(
        "Covenant lock-up (cash sweep)",
        "covenant_breach",
        Severity.MEDIUM,
        {"level": "lock_up", "metrics": [], "max_age_days": 550},
        description=(
            "Latest figure past the lock-up level but not the default level: distributions "
            "to the sponsors are blocked."
        ),
    ),
    RuleSpec(
        "Covenant headroom below 15% and shrinking",
        "covenant_headroom",
        Severity.MEDIUM,
        {"headroom_pct": "15", "declining_periods": 2, "metrics": [], "max_age_days": 550},
        description="Early sight of a breach: headroom thin and falling two periods running.",
    ),
    RuleSpec(
        "Construction delay over six months",
        "project_delay",
        Severity.MEDIUM,
        {"days": 180, "stages": ["credit_approval", "financial_close", "construction"]},
        description="Forecast COD more than 180 days after plan before operation starts.",
    ),
    RuleSpec(
        "Concentration above the regulatory limit",
        "exposure_concentration",
        Severity.HIGH,
        {"level": "breach"},
        description="Single client > 15% / connected group > 20% of tier-1 net capital; "
        "loans to one borrower > 10% of net capital.",
    ),
    RuleSpec(
        "Concentration at 80% of the regulatory limit",
        "exposure_concentration",
        Severity.MEDIUM,
        {"level": "warning", "warning_at_pct": "80"},
        description="A concentration figure at 80% of its limit or more, none above.",
    ),
    RuleSpec(
        "Internal rating down two notches in a year",
        "rating_downgrade",
        Severity.HIGH,
        {"notches": 2, "window_days": 365},
    ),
    RuleSpec(
        "Moderate or severe ESG event",
        "esg_event",
        Severity.HIGH,
        {"min_severity": 2, "window_days": 365},
    ),
    RuleSpec(
        "Relationship decay (twice the tier cadence)",
        "relationship_decay",
        Severity.MEDIUM,
        {"cadence_multiple": "2", "days": 0, "statuses": ["active"]},
        tiers=(Tier.STRATEGIC, Tier.KEY, Tier.CORE),
    ),
    RuleSpec(
        "Missed quarterly strategic review",
        "missed_quarterly_review",
        Severity.MEDIUM,
        {"grace_days": 15},
        tiers=(Tier.STRATEGIC, Tier.KEY),
    ),
    RuleSpec(
        "Three SLA breaches in 90 days",
        "repeated_sla_breaches",
        Severity.LOW,
        {"breaches": 3, "window_days": 90},
    ),
    RuleSpec(
        "ESAP item overdue by more than 14 days",
        "esap_item_overdue",
        Severity.MEDIUM,
        {"grace_days": 14},
        description="An E&S action plan item still open two weeks after its due date.",
    ),
    RuleSpec(
        "Manual alert",
        "manual",
        Severity.MEDIUM,
        {},
        description="Raised by the account team or a risk officer.",
    ),
)

ESG_EVENTS = (
    # (days ago, category, severity, source, title, description, closed)
    (
        38,
        EsgCategory.ENVIRONMENTAL,
        EsgSeverity.SEVERE,
        EsgSource.REGULATOR,
        "Tailings seepage notice from the provincial environment bureau",
        "Rectification order with a 90-day deadline; fines under review.",
        False,
    ),
    (
        71,
        EsgCategory.SOCIAL,
        EsgSeverity.MODERATE,
        EsgSource.MEDIA,
        "Villagers protest land compensation at the site",
        "Local media coverage; the sponsor has opened talks with the township.",
        False,
    ),
    (
        19,
        EsgCategory.GOVERNANCE,
        EsgSeverity.SEVERE,
        EsgSource.MEDIA,
        "Vice-chairman placed under investigation",
        "Discipline inspection announcement; no statement from the company yet.",
        False,
    ),
    (
        12,
        EsgCategory.ENVIRONMENTAL,
        EsgSeverity.MINOR,
        EsgSource.NGO,
        "Night-time construction noise complaint",
        "Resolved with the residents' committee by changing shift hours.",
        False,
    ),
    (
        160,
        EsgCategory.SOCIAL,
        EsgSeverity.MODERATE,
        EsgSource.CLIENT,
        "Lost-time injury on the EPC contractor's crew",
        "Root-cause review completed; HSE plan updated.",
        True,
    ),
)

MANUAL_ALERTS = (
    # (owner RM of the account, raised by, title, description, severity)
    (
        "rm.wang",
        "rm.wang",
        "Sponsor exploring refinancing with a competing bank",
        "CFO mentioned a term sheet from another bank at a lower margin; our share of wallet "
        "is at risk at the next reset.",
        Severity.MEDIUM,
    ),
    (
        "rm.zhang",
        "risk.liu",
        "Off-taker paying invoices 60+ days late",
        "Market intelligence: the provincial grid company is delaying payments to several "
        "IPPs; check the project's receivables at the next covenant test.",
        Severity.HIGH,
    ),
)


@dataclass
class RiskSeedResult:
    rules: int = 0
    covenants: int = 0
    figures: int = 0
    waivers: int = 0
    esg_events: int = 0
    manual_alerts: int = 0
    alerts: dict[str, int] = field(default_factory=dict)


def quarter_ends(today: date, count: int) -> list[date]:
    """The last ``count`` quarter ends that are at least 45 days ago (reports lag), oldest first."""
    ends: list[date] = []
    year, quarter = today.year, (today.month - 1) // 3 + 1
    while len(ends) < count:
        quarter -= 1
        if quarter == 0:
            year, quarter = year - 1, 4
        end = date(year + (quarter == 4), (quarter % 4) * 3 + 1, 1) - timedelta(days=1)
        if (today - end).days >= 45:
            ends.append(end)
    return list(reversed(ends))


def figure_series(
    rng: random.Random, profile: str, threshold: Decimal, n: int, minimum: bool
) -> list[Decimal]:
    """``n`` figures, oldest first, shaped by ``profile`` relative to ``threshold``."""
    sign = 1 if minimum else -1
    if profile == "breach":
        start, end = rng.uniform(0.18, 0.3), -rng.uniform(0.03, 0.1)
    elif profile == "shrinking":
        start, end = rng.uniform(0.28, 0.34), rng.uniform(0.04, 0.09)
    else:
        start = end = rng.uniform(0.2, 0.55)
    values = []
    for i in range(n):
        share = start + (end - start) * i / (n - 1)
        if profile == "healthy":
            share += rng.uniform(-0.04, 0.04)
        values.append((threshold * Decimal(str(1 + sign * share))).quantize(Decimal("0.01")))
    return values


@transaction.atomic
def ensure_rules(result: RiskSeedResult) -> dict[str, RiskRule]:
    rules = {}
    for spec in DEMO_RULES:
        rule = RiskRule.objects.filter(name=spec.name).first()
        if rule is None:
            rule = RiskRule(
                name=spec.name,
                rule_type=spec.rule_type,
                severity=spec.severity,
                parameters=spec.parameters,
                tiers=list(spec.tiers),
                description=spec.description,
                enabled=True,
            )
            rule.full_clean()
            rule.save()
            result.rules += 1
        rules[spec.name] = rule
    return rules


# Each covenant's levels: lock-up (cash sweep) and event of default; gearing has no lock-up.
# Figures are shaped around the first level, so a project "in breach" ends between the two
# levels (lock-up) or past both (default).
COVENANT_PLAN = {
    ProjectStage.OPERATION: (
        ("dscr", Decimal("1.20"), Decimal("1.10")),
        ("llcr", Decimal("1.30"), Decimal("1.15")),
    ),
    ProjectStage.CONSTRUCTION: (("debt_equity", None, Decimal("4.00")),),
}
CERTIFICATE_DAYS = 45
WAIVER_REASON = (
    "Credit committee waived this DSCR test: a one-off grid curtailment cut revenue; the "
    "sponsor has topped up the debt service reserve account."
)


@transaction.atomic
def _seed_covenants(rng: random.Random, today: date, result: RiskSeedResult) -> None:
    metrics = {m.code: m for m in CovenantMetric.objects.all()}
    projects = list(
        Project.objects.filter(
            account__owner__username__in=DEMO_RMS,
            stage__in=[ProjectStage.OPERATION, ProjectStage.CONSTRUCTION],
        ).order_by("account__legal_name_en", "name", "pk")
    )
    operating = [p for p in projects if p.stage == ProjectStage.OPERATION]
    # A handful in trouble, the rest healthy; the same projects every time.
    picks = rng.sample(operating, k=min(len(operating), 7))
    profile = {p.pk: "breach" for p in picks[:4]} | {p.pk: "shrinking" for p in picks[4:]}
    building = [p for p in projects if p.stage == ProjectStage.CONSTRUCTION]
    if building:
        profile[rng.choice(building).pk] = "breach"

    periods = quarter_ends(today, 6)
    existing_cov = set(ProjectCovenant.objects.values_list("project_id", "metric__code"))
    existing_tests = set(
        CovenantTest.objects.filter(project__in=projects).values_list(
            "project_id", "metric__code", "period_end"
        )
    )
    for project in projects:
        for code, lock_up, default in COVENANT_PLAN[ProjectStage(project.stage)]:
            metric = metrics[code]
            if (project.pk, code) not in existing_cov:
                services.covenant_save(
                    project=project,
                    metric=metric,
                    threshold=default,
                    lock_up_threshold=lock_up,
                    frequency=CovenantFrequency.QUARTERLY,
                    next_test_date=add_months(periods[-1], 3),
                    certificate_days=CERTIFICATE_DAYS,
                    clause=f"§{rng.randint(18, 24)}.{rng.randint(1, 4)}",
                )
                result.covenants += 1
            # LLCR moves slowly: only DSCR and gearing carry the project's trouble.
            shape = profile.get(project.pk, "healthy") if code != "llcr" else "healthy"
            values = figure_series(rng, shape, lock_up or default, len(periods), metric.is_minimum)
            for period, value in zip(periods, values, strict=True):
                if (project.pk, code, period) in existing_tests:
                    continue
                received = period + timedelta(days=rng.randint(25, CERTIFICATE_DAYS))
                CovenantTest.objects.create(
                    account_id=project.account_id,
                    project=project,
                    metric=metric,
                    period_end=period,
                    value=value,
                    threshold=default,
                    lock_up_threshold=lock_up,
                    direction=metric.direction,
                    source=CovenantSource.GENERATED,
                    certificate_received_on=received if received <= today else None,
                    note="Compliance certificate",
                )
                result.figures += 1
    _seed_waiver(picks[:4], today, result)


def _seed_waiver(in_breach: list[Project], today: date, result: RiskSeedResult) -> None:
    """One approved waiver: the credit committee's, of the latest DSCR test of a project in
    breach, recorded by its RM and confirmed by the risk officer."""
    approver = User.objects.filter(username="risk.liu").first()
    if approver is None or CovenantWaiver.objects.filter(reason=WAIVER_REASON).exists():
        return
    for project in in_breach:
        test = (
            CovenantTest.objects.filter(project=project, metric__code="dscr")
            .order_by("-period_end")
            .first()
        )
        if test is None or not test.level_passed:
            continue
        covenant = ProjectCovenant.objects.select_related("project__account__owner").get(
            project=project, metric__code="dscr"
        )
        recorder = covenant.project.account.owner
        if recorder is None or recorder.pk == approver.pk:
            continue
        # Recorded by the account's RM, then confirmed by the risk officer it names.
        waiver = services.covenant_waiver_record(
            covenant=covenant,
            user=recorder,
            kind=WaiverKind.WAIVER,
            approved_by=approver,
            approved_on=today - timedelta(days=20),
            test=test,
            reason=WAIVER_REASON,
        )
        services.covenant_waiver_decide(
            waiver=waiver, user=approver, approve=True, note="Credit committee minute 2026-14."
        )
        result.waivers += 1
        return


@transaction.atomic
def _seed_signals(rng: random.Random, today: date, result: RiskSeedResult) -> None:
    accounts = list(
        Account.objects.filter(owner__username__in=DEMO_RMS, status=AccountStatus.ACTIVE)
        .exclude(credit_rating="")
        .order_by("legal_name_en", "pk")
    )
    # Three accounts were rated better before the last credit review.
    downgraded = [a for a in accounts if 3 <= CreditRating.rank(a.credit_rating) <= 12]
    for account in rng.sample(downgraded, k=min(3, len(downgraded))):
        earlier = CreditRating.values[CreditRating.rank(account.credit_rating) - rng.choice((2, 3))]
        RatingSnapshot.objects.get_or_create(
            account=account,
            defaults={"rating": earlier, "observed_at": timezone.now() - timedelta(days=75)},
        )

    titles = set(EsgEvent.objects.values_list("title", flat=True))
    targets = rng.sample(accounts, k=min(len(ESG_EVENTS), len(accounts)))
    risk_officer = User.objects.filter(username="risk.liu").first()
    for account, spec in zip(targets, ESG_EVENTS, strict=False):
        days, category, severity, source, title, description, closed = spec
        if title in titles:
            continue
        project = account.projects.order_by("pk").first()
        occurred = today - timedelta(days=days)
        EsgEvent.objects.create(
            account=account,
            project=project,
            occurred_on=occurred,
            category=category,
            severity=severity,
            source=source,
            title=title,
            description=description,
            recorded_by=risk_officer,
            closed_on=occurred + timedelta(days=45) if closed else None,
            closing_note="Remediation verified on site." if closed else "",
        )
        result.esg_events += 1


def _seed_manual_alerts(result: RiskSeedResult) -> None:
    services.manual_rule()
    for owner_name, raiser_name, title, description, severity in MANUAL_ALERTS:
        raiser = User.objects.filter(username=raiser_name).first()
        account = (
            Account.objects.filter(owner__username=owner_name, status=AccountStatus.ACTIVE)
            .order_by("-tier", "legal_name_en", "pk")
            .first()
        )
        if raiser is None or account is None:
            continue
        if Alert.objects.filter(account=account, title=title, source=AlertSource.MANUAL).exists():
            continue
        services.alert_raise_manual(
            account=account, user=raiser, title=title, description=description, severity=severity
        )
        result.manual_alerts += 1


@transaction.atomic
def _play_lifecycle(rng: random.Random) -> None:
    """Age some alerts and act on others, as a week of real use would have."""
    now = timezone.now()
    untouched = list(
        Alert.objects.filter(state=AlertState.OPEN, source=AlertSource.SCAN)
        .annotate(n=Count("events"))
        .filter(n=1, opened_at__gte=now - timedelta(hours=1))
        .select_related("account__owner", "rule")
        .order_by("account__legal_name_en", "rule__name", "pk")
    )
    if not untouched:
        return
    rng.shuffle(untouched)
    for alert in untouched:
        # Spread the opening dates over the last five weeks.
        opened = now - timedelta(days=rng.randint(0, 35), hours=rng.randint(1, 23))
        Alert.objects.filter(pk=alert.pk).update(
            opened_at=opened, ack_deadline=opened + (alert.ack_deadline - alert.opened_at)
        )
        AlertEvent.objects.filter(alert=alert, kind="raised").update(at=opened)
        alert.refresh_from_db()
    # Most alerts past their deadline were acknowledged in time; a few were not.
    acknowledged = [
        a
        for a in untouched
        if a.ack_deadline < now and a.account.owner.is_active and rng.random() < 0.8
    ]
    for alert in acknowledged:
        services.alert_acknowledge(alert=alert, user=alert.account.owner)
        at = alert.opened_at + timedelta(hours=rng.randint(2, 20))
        Alert.objects.filter(pk=alert.pk).update(acknowledged_at=at)
        AlertEvent.objects.filter(alert=alert, kind="acknowledged").update(at=at)
    breach = next(
        (a for a in acknowledged if a.rule.rule_type == "covenant_breach"),
        acknowledged[0] if acknowledged else None,
    )
    if breach is not None:
        breach.refresh_from_db()
        owner = breach.account.owner
        analyst = User.objects.filter(username="analyst.ma").first() or owner
        services.alert_start_mitigation(
            alert=breach,
            user=owner,
            plan=(
                "Request the sponsor's cash-flow forecast and a cure plan; prepare a waiver "
                "request for credit committee if the next test is also below the threshold."
            ),
            action="Meet the sponsor's CFO on the cure plan",
            action_owner=owner,
            action_due=timezone.localdate() + timedelta(days=10),
        )
        services.mitigation_action_add(
            alert=breach,
            user=owner,
            description="Re-run the base-case model with the latest tariff",
            owner=analyst,
            due_date=timezone.localdate() + timedelta(days=21),
        )
    # Whatever is still open and past its deadline goes to the team leads, as beat would.
    services.alert_escalations_process(now=now)


def seed_risk(*, today: date | None = None) -> RiskSeedResult:
    """Load the demo's risk data and run the scan once (see the module docstring)."""
    today = today or timezone.localdate()
    rng = random.Random(RISK_SEED)
    result = RiskSeedResult()
    ensure_rules(result)
    _seed_covenants(rng, today, result)
    _seed_signals(rng, today, result)
    _seed_manual_alerts(result)
    services.scan_run_inline(trigger=ScanTrigger.SCHEDULE)
    _play_lifecycle(rng)
    result.alerts = dict(
        Alert.objects.filter(
            state__in=[AlertState.OPEN, AlertState.ACKNOWLEDGED, AlertState.IN_MITIGATION]
        )
        .values_list("rule__name")
        .annotate(n=Count("pk"))
        .values_list("rule__name", "n")
    )
    return result
