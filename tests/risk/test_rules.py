"""One test per rule type on hand-made data: the alert is raised with its evidence, kept while
the condition holds, and resolved by the scan (with a history entry) when it clears."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from accounts.choices import AccountStatus, CreditRating, ProjectStage, Tier
from accounts.models import Account, FxRate
from interactions.models import AccountContactStats, BreachKind, SlaBreach, StrategicReview
from kam.quarters import Quarter
from risk.choices import AlertState, EsgCategory, EsgSeverity, EsgSource, EventKind
from risk.models import Alert, AlertEvent, EsgEvent, RatingChange
from tests.conftest import Cast
from tests.factories import AccountFactory, ProjectFactory, UserFactory
from tests.interactions.factories import ReviewFactory
from tests.interactions.sla_support import open_request

from .support import active, covenant, figure, make_rule, scan

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def _auto_resolved(alert: Alert) -> AlertEvent:
    alert.refresh_from_db()
    assert alert.state == AlertState.RESOLVED
    assert alert.resolved_automatically
    return AlertEvent.objects.get(alert=alert, kind=EventKind.AUTO_RESOLVED)


def test_covenant_breach_raises_on_the_latest_figure_and_resolves_when_cured(cast: Cast) -> None:
    rule = make_rule("covenant_breach")
    project = ProjectFactory.create(account=cast.account, name="Hami Solar")
    healthy = ProjectFactory.create(account=AccountFactory.create(owner=cast.outsider))
    covenant(project, "dscr", "1.20")
    covenant(project, "debt_equity", "4.00")
    covenant(healthy, "dscr", "1.20")
    q1, q2 = TODAY() - dt.timedelta(days=200), TODAY() - dt.timedelta(days=100)
    figure(project, q1, "1.25")
    figure(project, q2, "1.08")  # below the minimum
    figure(project, q2, "4.50", code="debt_equity")  # above the maximum
    figure(healthy, q1, "1.05")  # an old breach, cured since
    figure(healthy, q2, "1.40")

    scan()
    [alert] = active(rule)
    assert alert.account == cast.account
    assert alert.owner == cast.owner
    assert [b["metric"] for b in alert.evidence["breaches"]] == ["debt_equity", "dscr"]
    dscr = alert.evidence["breaches"][1]
    assert (dscr["value"], dscr["threshold"], dscr["headroom_pct"]) == ("1.08", "1.2", "-10.00")
    assert "Hami Solar" in alert.summary

    # The next period cures the DSCR; gearing still breaches: the alert stays, evidence moves.
    q3 = TODAY() - dt.timedelta(days=10)
    figure(project, q3, "1.31")
    scan()
    alert.refresh_from_db()
    assert alert.state == AlertState.OPEN
    assert [b["metric"] for b in alert.evidence["breaches"]] == ["debt_equity"]

    figure(project, q3, "3.90", code="debt_equity")
    scan()
    event = _auto_resolved(alert)
    assert event.data["reason"] == "cleared"
    assert event.explanation == "Resolved by the scan: the condition no longer holds."


def test_covenant_breach_ignores_figures_older_than_the_window(cast: Cast) -> None:
    rule = make_rule("covenant_breach", max_age_days=90)
    project = ProjectFactory.create(account=cast.account)
    covenant(project)
    figure(project, TODAY() - dt.timedelta(days=120), "0.90")
    scan()
    assert active(rule) == []


def test_covenant_headroom_shrinking(cast: Cast) -> None:
    rule = make_rule("covenant_headroom", headroom_pct="10", declining_periods=2)
    project = ProjectFactory.create(account=cast.account)
    covenant(project)
    days = [300, 200, 100]
    for ago, value in zip(days, ["1.50", "1.38", "1.29"], strict=True):  # 25%, 15%, 7.5%
        figure(project, TODAY() - dt.timedelta(days=ago), value)
    steady = ProjectFactory.create(account=AccountFactory.create(owner=cast.outsider))
    covenant(steady)
    for ago, value in zip(days, ["1.29", "1.29", "1.29"], strict=True):  # thin but not shrinking
        figure(steady, TODAY() - dt.timedelta(days=ago), value)

    scan()
    [alert] = active(rule)
    assert alert.account == cast.account
    [item] = alert.evidence["covenants"]
    assert item["headroom_pct"] == "7.50"
    assert item["previous_headroom_pct"] == ["15.00", "25.00"]

    figure(project, TODAY() - dt.timedelta(days=5), "1.36")  # headroom back to 13%
    scan()
    _auto_resolved(alert)


def test_project_delay(cast: Cast) -> None:
    rule = make_rule("project_delay", days=90)
    planned = TODAY() + dt.timedelta(days=200)
    late = ProjectFactory.create(
        account=cast.account,
        stage=ProjectStage.CONSTRUCTION,
        planned_cod=planned,
        forecast_cod=planned + dt.timedelta(days=120),
    )
    ProjectFactory.create(  # slipped, but within the tolerance
        account=AccountFactory.create(owner=cast.outsider),
        stage=ProjectStage.CONSTRUCTION,
        planned_cod=planned,
        forecast_cod=planned + dt.timedelta(days=60),
    )
    ProjectFactory.create(  # operating already: the rule watches pre-COD stages by default
        account=AccountFactory.create(owner=cast.outsider),
        stage=ProjectStage.OPERATION,
        planned_cod=planned,
        forecast_cod=planned + dt.timedelta(days=400),
    )
    scan()
    [alert] = active(rule)
    assert alert.account == cast.account
    assert alert.evidence["projects"][0]["slip_days"] == 120

    late.forecast_cod = planned + dt.timedelta(days=30)
    late.save()
    scan()
    _auto_resolved(alert)


def test_exposure_concentration_in_cny(cast: Cast) -> None:
    """Against capital (tests/groups/test_concentration.py has the groups, warnings and
    loans): the borrower's exposure in CNY above 15% of tier-1 net capital."""
    from groups.models import CapitalBase

    FxRate.objects.update_or_create(
        currency="USD", defaults={"rate_to_cny": Decimal("7"), "as_of": TODAY()}
    )
    CapitalBase.objects.create(
        as_of=TODAY(), tier1_net_capital=Decimal("4000"), net_capital=Decimal("100000")
    )
    rule = make_rule("exposure_concentration")
    big = ProjectFactory.create(
        account=cast.account,
        currency="USD",
        total_cost=Decimal("100"),
        commitment=Decimal("100"),
        outstanding=Decimal("100"),  # CNY 700 = 17.5% of 4,000
    )
    ProjectFactory.create(  # CNY 300: 7.5%
        account=AccountFactory.create(owner=cast.outsider),
        currency="CNY",
        total_cost=Decimal("300"),
        commitment=Decimal("300"),
        outstanding=Decimal("300"),
    )
    scan()
    [alert] = active(rule)
    assert alert.account == cast.account
    [test] = alert.evidence["tests"]
    assert (test["share_pct"], test["amount_cny"]) == ("17.50", "700")

    big.facilities.update(commitment=Decimal("50"), drawn=Decimal("50"))  # CNY 350: 8.75%
    scan()
    _auto_resolved(alert)


def test_rating_downgrade_is_seen_between_scans(cast: Cast) -> None:
    rule = make_rule("rating_downgrade", notches=2, window_days=365)
    Account.objects.filter(pk=cast.account.pk).update(credit_rating=CreditRating.A)
    scan()  # first observation: nothing to compare with
    assert active(rule) == []

    Account.objects.filter(pk=cast.account.pk).update(credit_rating=CreditRating.A_MINUS)
    scan()  # one notch
    assert active(rule) == []
    Account.objects.filter(pk=cast.account.pk).update(credit_rating=CreditRating.BBB_PLUS)
    scan()  # A → A- → BBB+: two notches within the window
    [alert] = active(rule)
    assert (alert.evidence["from_rating"], alert.evidence["to_rating"]) == ("A", "BBB+")
    assert alert.evidence["notches"] == 2
    assert RatingChange.objects.filter(account=cast.account).count() == 2

    Account.objects.filter(pk=cast.account.pk).update(credit_rating=CreditRating.A_MINUS)
    scan()  # upgraded again: net one notch
    _auto_resolved(alert)


def test_negative_esg_event(cast: Cast) -> None:
    rule = make_rule("esg_event", min_severity=2, window_days=180)
    event = EsgEvent.objects.create(
        account=cast.account,
        occurred_on=TODAY() - dt.timedelta(days=20),
        category=EsgCategory.ENVIRONMENTAL,
        severity=EsgSeverity.SEVERE,
        source=EsgSource.REGULATOR,
        title="Spill at the intake",
    )
    EsgEvent.objects.create(  # too mild
        account=AccountFactory.create(owner=cast.outsider),
        occurred_on=TODAY(),
        category=EsgCategory.SOCIAL,
        severity=EsgSeverity.MINOR,
        source=EsgSource.MEDIA,
        title="Noise complaint",
    )
    scan()
    [alert] = active(rule)
    assert alert.evidence["events"][0]["title"] == "Spill at the intake"

    event.closed_on = TODAY()
    event.save()
    scan()
    _auto_resolved(alert)


def test_relationship_decay(cast: Cast) -> None:
    rule = make_rule("relationship_decay", cadence_multiple="2", statuses=["active"])
    Account.objects.filter(pk=cast.account.pk).update(
        tier=Tier.STRATEGIC, status=AccountStatus.ACTIVE
    )
    # Strategic cadence is 14 days (tier policy): 2 x 14 = 28 days.
    stats = AccountContactStats.objects.create(
        account=cast.account, last_meaningful_at=timezone.now() - dt.timedelta(days=40)
    )
    recent = AccountFactory.create(
        owner=cast.outsider, tier=Tier.STRATEGIC, status=AccountStatus.ACTIVE
    )
    AccountContactStats.objects.create(
        account=recent, last_meaningful_at=timezone.now() - dt.timedelta(days=10)
    )
    AccountFactory.create(owner=cast.outsider, status=AccountStatus.ACTIVE)  # new, never contacted
    scan()
    [alert] = active(rule)
    assert alert.account == cast.account
    assert alert.evidence["limit_days"] == 28

    stats.last_meaningful_at = timezone.now() - dt.timedelta(days=1)
    stats.save()
    scan()
    _auto_resolved(alert)


def test_missed_quarterly_review(cast: Cast) -> None:
    rule = make_rule("missed_quarterly_review", grace_days=15)
    executive = cast.executive
    with time_machine.travel(dt.datetime(2026, 4, 20, 10, tzinfo=dt.UTC)):
        Account.objects.filter(pk=cast.account.pk).update(
            tier=Tier.STRATEGIC, created_at=timezone.now() - dt.timedelta(days=400)
        )
        covered = AccountFactory.create(owner=cast.outsider, tier=Tier.STRATEGIC)
        Account.objects.filter(pk=covered.pk).update(
            created_at=timezone.now() - dt.timedelta(days=400)
        )
        held = ReviewFactory.create(
            account=covered,
            scheduled_at=dt.datetime(2026, 2, 10, 2, tzinfo=dt.UTC),
            status=StrategicReview.Status.HELD,
        )
        held.executives.add(executive)
        AccountFactory.create(owner=cast.outsider, tier=Tier.STANDARD)  # no review required

        scan()
        [alert] = active(rule)
        assert alert.account == cast.account
        assert alert.evidence["quarter"] == str(Quarter(2026, 1))

        late = ReviewFactory.create(
            account=cast.account,
            scheduled_at=dt.datetime(2026, 3, 30, 2, tzinfo=dt.UTC),
            status=StrategicReview.Status.HELD,
        )
        late.executives.add(executive)
        scan()
        _auto_resolved(alert)


def test_repeated_sla_breaches(cast: Cast) -> None:
    rule = make_rule("repeated_sla_breaches", breaches=3, window_days=90)
    now = timezone.now()
    requests = [open_request(cast.account, by=cast.owner, subject=f"Request {i}") for i in range(3)]
    for request in requests:
        SlaBreach.objects.create(
            request=request, kind=BreachKind.RESPONSE, due_at=now, detected_at=now
        )
    other = open_request(AccountFactory.create(owner=cast.outsider), by=cast.outsider)
    SlaBreach.objects.create(request=other, kind=BreachKind.RESPONSE, due_at=now, detected_at=now)
    scan()
    [alert] = active(rule)
    assert alert.account == cast.account
    assert alert.evidence["breaches"] == 3

    with time_machine.travel(now + dt.timedelta(days=91)):
        scan()
    _auto_resolved(alert)


def test_manual_alerts_are_left_to_people(cast: Cast) -> None:
    from risk.services import alert_raise_manual

    alert = alert_raise_manual(
        account=cast.account,
        user=cast.teammate,
        title="Sponsor looking at another bank",
        description="Heard at the site visit.",
        severity=3,
    )
    scan()
    scan()
    alert.refresh_from_db()
    assert alert.state == AlertState.OPEN
    assert alert.rule.rule_type == "manual"
    assert cast.owner.notifications.filter(key=f"risk-alert-{alert.pk}-raised").count() == 1


def test_an_account_leaving_the_rules_tiers_is_resolved_as_out_of_scope(cast: Cast) -> None:
    rule = make_rule("esg_event", tiers=[Tier.STRATEGIC])
    Account.objects.filter(pk=cast.account.pk).update(tier=Tier.STRATEGIC)
    EsgEvent.objects.create(
        account=cast.account,
        occurred_on=TODAY(),
        category=EsgCategory.GOVERNANCE,
        severity=EsgSeverity.SEVERE,
        source=EsgSource.MEDIA,
        title="Chairman detained",
    )
    scan()
    [alert] = active(rule)
    Account.objects.filter(pk=cast.account.pk).update(tier=Tier.CORE)
    scan()
    assert _auto_resolved(alert).data["reason"] == "out_of_scope"


def test_every_rule_type_has_a_test_here() -> None:
    from risk.rules import REGISTRY

    tested = {
        "covenant_breach",
        "covenant_headroom",
        "project_delay",
        "exposure_concentration",
        "rating_downgrade",
        "esg_event",
        "relationship_decay",
        "missed_quarterly_review",
        "repeated_sla_breaches",
        "manual",
        "esap_item_overdue",  # tests/esg/test_rule.py
    }
    assert set(REGISTRY) == tested


def test_the_owner_is_notified_once_of_a_new_alert(cast: Cast) -> None:
    rule = make_rule("esg_event")
    EsgEvent.objects.create(
        account=cast.account,
        occurred_on=TODAY(),
        category=EsgCategory.SOCIAL,
        severity=EsgSeverity.SEVERE,
        source=EsgSource.MEDIA,
        title="Protest",
    )
    UserFactory.create()  # an unrelated user gets nothing
    scan()
    scan()
    [alert] = active(rule)
    notes = cast.owner.notifications.filter(key=f"risk-alert-{alert.pk}-raised")
    assert notes.count() == 1
    assert "Sunrise Power Holdings" in notes.get().title
