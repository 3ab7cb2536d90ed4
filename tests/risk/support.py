"""Helpers of the risk tests: rules, covenants and a scan in one call."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from accounts.models import Project
from risk.choices import ACTIVE_STATES, CovenantLevelKind, Severity
from risk.models import (
    Alert,
    CovenantLevel,
    CovenantMetric,
    CovenantTest,
    ProjectCovenant,
    RiskRule,
    ScanRun,
)
from risk.services import scan_run_inline


def make_rule(
    rule_type: str,
    *,
    name: str | None = None,
    severity: int = Severity.MEDIUM,
    tiers: list[str] | None = None,
    enabled: bool = True,
    **parameters: Any,
) -> RiskRule:
    rule = RiskRule(
        name=name or f"{rule_type} rule",
        rule_type=rule_type,
        severity=severity,
        parameters=parameters,
        tiers=tiers or [],
        enabled=enabled,
    )
    rule.full_clean()
    rule.save()
    return rule


def covenant(
    project: Project, code: str = "dscr", threshold: str = "1.20", lock_up: str | None = None
) -> ProjectCovenant:
    """A covenant with its event-of-default level ``threshold`` (and lock-up level)."""
    cov = ProjectCovenant.objects.create(
        project=project, metric=CovenantMetric.objects.get(code=code)
    )
    CovenantLevel.objects.create(
        covenant=cov, kind=CovenantLevelKind.EVENT_OF_DEFAULT, threshold=Decimal(threshold)
    )
    if lock_up is not None:
        CovenantLevel.objects.create(
            covenant=cov, kind=CovenantLevelKind.LOCK_UP, threshold=Decimal(lock_up)
        )
    return cov


def figure(project: Project, period_end: date, value: str, code: str = "dscr") -> CovenantTest:
    """A figure tested against the covenant's levels in force for its period."""
    cov = ProjectCovenant.objects.select_related("metric").get(project=project, metric__code=code)
    levels = cov.levels_on(period_end)
    return CovenantTest.objects.create(
        account_id=project.account_id,
        project=project,
        metric=cov.metric,
        period_end=period_end,
        value=Decimal(value),
        threshold=levels[CovenantLevelKind.EVENT_OF_DEFAULT],
        lock_up_threshold=levels.get(CovenantLevelKind.LOCK_UP),
        direction=cov.metric.direction,
    )


def scan() -> ScanRun:
    return scan_run_inline()


def active(rule: RiskRule | None = None) -> list[Alert]:
    qs = Alert.objects.filter(state__in=ACTIVE_STATES)
    if rule is not None:
        qs = qs.filter(rule=rule)
    return list(qs.order_by("account_id"))
