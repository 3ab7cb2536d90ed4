"""Lock-up and event-of-default levels in the early warning: different rules, severities and
evidence; a cured or waived breach raises nothing; an amendment applies its new levels from its
date and keeps the history of earlier tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import Project
from risk.choices import CovenantLevelKind, Severity, WaiverKind, WaiverStatus
from risk.models import CovenantMetric, CovenantTest, ProjectCovenant
from risk.services import (
    covenant_save,
    covenant_test_record,
    covenant_waiver_decide,
    covenant_waiver_record,
)
from tests.conftest import Cast
from tests.factories import AccountFactory, ProjectFactory

from .support import active, covenant, figure, make_rule, scan

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def _rules() -> tuple:
    lock_up = make_rule(
        "covenant_breach", name="Lock-up", severity=Severity.MEDIUM, level="lock_up"
    )
    default = make_rule("covenant_breach", name="Default", severity=Severity.HIGH, level="default")
    return lock_up, default


def _project(cast: Cast, *, owner: object = None, lock_up: str = "1.10") -> Project:
    account = cast.account if owner is None else AccountFactory.create(owner=owner)
    project = ProjectFactory.create(account=account)
    covenant(project, "dscr", "1.05", lock_up=lock_up)
    return project


def test_lock_up_and_default_breaches_raise_different_alerts(cast: Cast) -> None:
    lock_up_rule, default_rule = _rules()
    in_lock_up = _project(cast)
    in_default = _project(cast, owner=cast.outsider)
    healthy = _project(cast, owner=cast.lead)
    period = TODAY() - dt.timedelta(days=60)
    figure(in_lock_up, period, "1.08")  # below 1.10, above 1.05
    figure(in_default, period, "1.02")  # below both
    figure(healthy, period, "1.12")

    scan()
    [lock_up_alert] = active(lock_up_rule)
    [default_alert] = active(default_rule)
    assert lock_up_alert.account_id == in_lock_up.account_id
    assert default_alert.account_id == in_default.account_id
    assert (lock_up_alert.severity, default_alert.severity) == (Severity.MEDIUM, Severity.HIGH)
    [lock_up_figure] = lock_up_alert.evidence["breaches"]
    assert lock_up_figure["level"] == CovenantLevelKind.LOCK_UP
    assert (lock_up_figure["threshold"], lock_up_figure["default_threshold"]) == ("1.1", "1.05")
    [default_figure] = default_alert.evidence["breaches"]
    assert default_figure["level"] == CovenantLevelKind.EVENT_OF_DEFAULT
    assert (default_figure["threshold"], default_figure["lock_up_threshold"]) == ("1.05", "1.1")
    assert default_figure["headroom_pct"] == "-2.86"  # (1.02 - 1.05) / 1.05
    assert "Lock-up / cash sweep" in lock_up_alert.summary
    assert "Event of default" in default_alert.summary

    # The lock-up project slides into default: its lock-up alert clears, a default one opens.
    figure(in_lock_up, TODAY() - dt.timedelta(days=5), "1.00")
    scan()
    assert active(lock_up_rule) == []
    assert {a.account_id for a in active(default_rule)} == {
        in_lock_up.account_id,
        in_default.account_id,
    }


def test_a_covenant_without_a_lock_up_level_only_defaults(cast: Cast) -> None:
    lock_up_rule, default_rule = _rules()
    project = ProjectFactory.create(account=cast.account)
    covenant(project, "debt_equity", "4.00")
    figure(project, TODAY() - dt.timedelta(days=30), "3.90", code="debt_equity")
    scan()
    assert active(lock_up_rule) == active(default_rule) == []
    figure(project, TODAY() - dt.timedelta(days=10), "4.20", code="debt_equity")
    scan()
    assert active(lock_up_rule) == []
    [alert] = active(default_rule)
    assert alert.evidence["breaches"][0]["lock_up_threshold"] is None


@pytest.mark.parametrize("kind", [WaiverKind.WAIVER, WaiverKind.CURE])
def test_a_waived_or_cured_breach_raises_nothing_once_approved(cast: Cast, kind: str) -> None:
    _lock_up_rule, default_rule = _rules()
    covered = _project(cast)
    other = _project(cast, owner=cast.outsider)
    period = TODAY() - dt.timedelta(days=40)
    test = figure(covered, period, "1.00")
    figure(other, period, "1.00")
    waiver = covenant_waiver_record(
        covenant=ProjectCovenant.objects.get(project=covered),
        user=cast.owner,
        kind=kind,
        approved_by=cast.lead,
        approved_on=TODAY() - dt.timedelta(days=1),
        test=test,
        reason="Equity injected by the sponsor; credit committee approved.",
    )
    # Recorded by the RM, it is pending: the breach still raises its alert.
    assert waiver.status == WaiverStatus.PENDING
    scan()
    assert {a.account_id for a in active(default_rule)} == {covered.account_id, other.account_id}

    covenant_waiver_decide(waiver=waiver, user=cast.lead, approve=True)
    scan()
    # Only the breach nobody waived raises an alert.
    assert [a.account_id for a in active(default_rule)] == [other.account_id]

    # The next period breaches again: the relief covered one test, not this one.
    figure(covered, TODAY() - dt.timedelta(days=2), "1.01")
    scan()
    assert {a.account_id for a in active(default_rule)} == {covered.account_id, other.account_id}


def test_a_one_figure_waiver_covers_its_figure_after_its_expiry(cast: Cast) -> None:
    _lock_up_rule, default_rule = _rules()
    project = _project(cast)
    test = figure(project, TODAY() - dt.timedelta(days=40), "1.00")
    waiver = covenant_waiver_record(
        covenant=ProjectCovenant.objects.get(project=project),
        user=cast.owner,
        kind=WaiverKind.WAIVER,
        approved_by=cast.lead,
        approved_on=TODAY() - dt.timedelta(days=10),
        valid_until=TODAY() + dt.timedelta(days=5),
        test=test,
        reason="Waiver of the June test.",
    )
    covenant_waiver_decide(waiver=waiver, user=cast.lead, approve=True)
    scan()
    assert active(default_rule) == []
    # The waiver's date has passed: the figure it waived stays waived.
    type(waiver).objects.filter(pk=waiver.pk).update(valid_until=TODAY() - dt.timedelta(days=1))
    scan()
    assert active(default_rule) == []


def test_a_covenant_wide_waiver_covers_the_periods_it_names_not_later_ones(cast: Cast) -> None:
    _lock_up_rule, default_rule = _rules()
    project = _project(cast)
    cov = ProjectCovenant.objects.get(project=project)
    base: dict[str, Any] = {
        "covenant": cov,
        "user": cast.owner,
        "kind": WaiverKind.WAIVER,
        "approved_by": cast.lead,
        "approved_on": TODAY() - dt.timedelta(days=10),
        "reason": "DSCR covenant waived for the tests during the turbine retrofit.",
    }
    with pytest.raises(ValidationError, match="covers the periods up to a date"):
        covenant_waiver_record(**base)  # covenant-wide without an end: refused
    figure(project, TODAY() - dt.timedelta(days=40), "1.00")
    waiver = covenant_waiver_record(
        **base,
        valid_from=TODAY() - dt.timedelta(days=100),
        valid_until=TODAY() - dt.timedelta(days=30),
    )
    covenant_waiver_decide(waiver=waiver, user=cast.lead, approve=True)
    scan()
    assert active(default_rule) == []
    # A later period's breach is not covered, though the scan is within nothing's expiry.
    figure(project, TODAY() - dt.timedelta(days=5), "1.01")
    scan()
    [alert] = active(default_rule)
    assert (
        alert.evidence["breaches"][0]["period_end"] == (TODAY() - dt.timedelta(days=5)).isoformat()
    )
    # Nor is a figure of a period before its start.
    early = _project(cast, owner=cast.lead)
    early_cov = ProjectCovenant.objects.get(project=early)
    figure(early, TODAY() - dt.timedelta(days=200), "1.00")
    early_waiver = covenant_waiver_record(
        **{**base, "covenant": early_cov},
        valid_from=TODAY() - dt.timedelta(days=100),
        valid_until=TODAY() + dt.timedelta(days=100),
    )
    covenant_waiver_decide(waiver=early_waiver, user=cast.lead, approve=True)
    scan()
    assert early.account_id in {a.account_id for a in active(default_rule)}


def test_an_amendment_changes_the_levels_from_its_date_and_keeps_history(cast: Cast) -> None:
    lock_up_rule, default_rule = _rules()
    project = _project(cast)
    cov = ProjectCovenant.objects.get(project=project)
    dscr = CovenantMetric.objects.get(code="dscr")
    old = covenant_test_record(
        project=project,
        metric=dscr,
        period_end=TODAY() - dt.timedelta(days=200),
        value=Decimal("1.07"),
        user=cast.owner,
    )
    recent = covenant_test_record(
        project=project,
        metric=dscr,
        period_end=TODAY() - dt.timedelta(days=20),
        value=Decimal("1.07"),
        user=cast.owner,
    )
    scan()
    assert len(active(lock_up_rule)) == 1  # 1.07 is under the 1.10 lock-up

    # The lenders reset the covenant from 100 days ago: lock-up 1.05, default 1.00. Back-dated,
    # it is a risk officer's to record; it applies nothing until its approver confirms it.
    amendment_data: dict[str, Any] = {
        "covenant": cov,
        "kind": WaiverKind.AMENDMENT,
        "approved_by": cast.lead,
        "approved_on": TODAY() - dt.timedelta(days=3),
        "effective_from": TODAY() - dt.timedelta(days=100),
        "lock_up_threshold": Decimal("1.05"),
        "threshold": Decimal("1.00"),
        "reason": "Amendment and restatement after the tariff reset.",
    }
    with pytest.raises(ValidationError, match="Only a risk officer"):
        covenant_waiver_record(user=cast.owner, **amendment_data)
    amendment = covenant_waiver_record(user=cast.risk, **amendment_data)
    assert amendment.levels.count() == 0
    recent.refresh_from_db()
    assert (recent.lock_up_threshold, recent.threshold) == (Decimal("1.10"), Decimal("1.05"))
    assert figure(project, TODAY() - dt.timedelta(days=50), "1.2").lock_up_threshold == Decimal(
        "1.10"
    )
    scan()
    assert len(active(lock_up_rule)) == 1

    covenant_waiver_decide(waiver=amendment, user=cast.lead, approve=True)
    assert amendment.levels.count() == 2
    recent.refresh_from_db()
    old.refresh_from_db()
    assert (recent.lock_up_threshold, recent.threshold) == (Decimal("1.05"), Decimal("1.00"))
    assert (old.lock_up_threshold, old.threshold) == (Decimal("1.10"), Decimal("1.05"))
    assert cov.levels_on(TODAY()) == {
        CovenantLevelKind.LOCK_UP: Decimal("1.05"),
        CovenantLevelKind.EVENT_OF_DEFAULT: Decimal("1.00"),
    }
    scan()
    assert active(lock_up_rule) == active(default_rule) == []

    # A figure recorded later for a period after the amendment is tested against it too,
    # one before it against the original levels.
    new = figure(project, TODAY() - dt.timedelta(days=1), "1.03")
    assert new.lock_up_threshold == Decimal("1.05")
    scan()
    [alert] = active(lock_up_rule)
    assert alert.evidence["breaches"][0]["threshold"] == "1.05"


def test_levels_in_the_wrong_order_and_bad_waivers_are_refused(cast: Cast) -> None:
    project = ProjectFactory.create(account=cast.account)
    dscr = CovenantMetric.objects.get(code="dscr")
    with pytest.raises(ValidationError, match="lock-up level must be above"):
        covenant_save(
            project=project,
            metric=dscr,
            threshold=Decimal("1.10"),
            lock_up_threshold=Decimal("1.05"),
        )
    cov = covenant_save(
        project=project, metric=dscr, threshold=Decimal("1.05"), lock_up_threshold=Decimal("1.10")
    )
    other = ProjectFactory.create(account=cast.account)
    covenant(other)
    foreign_test = figure(other, TODAY() - dt.timedelta(days=9), "1.0")
    base: dict[str, Any] = {
        "covenant": cov,
        "user": cast.owner,
        "approved_by": cast.lead,
        "approved_on": TODAY(),
        "reason": "x",
    }
    with pytest.raises(ValidationError, match="figure of this covenant"):
        covenant_waiver_record(**base, kind=WaiverKind.WAIVER, test=foreign_test)
    with pytest.raises(ValidationError, match="Only an amendment"):
        covenant_waiver_record(**base, kind=WaiverKind.CURE, threshold=Decimal("1.0"))
    with pytest.raises(ValidationError, match="applies from a date"):
        covenant_waiver_record(**base, kind=WaiverKind.AMENDMENT, threshold=Decimal("1.0"))
    with pytest.raises(ValidationError, match="lock-up level must be above"):
        covenant_waiver_record(
            **base,
            kind=WaiverKind.AMENDMENT,
            effective_from=TODAY(),
            threshold=Decimal("1.20"),  # above the 1.10 lock-up still in force
        )
    assert not CovenantTest.objects.filter(project=project).exists()
    assert cov.waivers.count() == 0
