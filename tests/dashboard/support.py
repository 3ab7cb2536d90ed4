"""A generated book for the dashboard tests: the project's own volume generators (accounts,
interactions, reviews, service requests) at a small size, plus alerts in every state, age and
severity, plan actions, FX rates (one currency left without a rate) and the snapshots."""

from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import dataclass
from decimal import Decimal

from django.test import Client
from django.utils import timezone

from accounts.choices import Currency, PlanActionStatus, Region, Sector
from accounts.models import Account, AccountPlan, FxRate, PlanAction
from dashboard.snapshots import snapshots_refresh
from demo.accounts_volume import EXEC_USERNAME, generate_volume, lead_username, rm_username
from demo.interactions_volume import generate_interactions, generate_reviews
from demo.service_volume import generate_service_requests
from kam.models import User
from risk.choices import AlertSource, AlertState, Severity
from risk.models import Alert, RiskRule
from tests.factories import ProjectFactory

PASSWORD = "pw-for-tests"
ACCOUNTS_PER_RM = 6


@dataclass
class Book:
    executive: User
    lead: User
    rm: User
    other_rm: User
    accounts: int


def _rule() -> RiskRule:
    rule = RiskRule.objects.order_by("pk").first()
    if rule is None:
        rule = RiskRule.objects.create(
            name="Manual alert", rule_type="manual", severity=Severity.MEDIUM
        )
    return rule


def make_alerts(*, seed: int = 7, count: int = 80) -> int:
    """Alerts on random accounts: every severity, state, age (days to months) and
    acknowledgement outcome (in time, late, never)."""
    rng = random.Random(seed)
    now = timezone.now()
    rule = _rule()
    accounts = list(Account.objects.values_list("pk", "owner_id"))
    rows = []
    for _ in range(count):
        account_id, owner_id = rng.choice(accounts)
        opened = now - dt.timedelta(days=rng.choice([1, 3, 10, 20, 45, 80, 120, 200, 400]))
        deadline = opened + dt.timedelta(hours=rng.choice([24, 72]))
        state = rng.choice(list(AlertState))
        acknowledged = None
        if state != AlertState.OPEN and rng.random() < 0.8:
            acknowledged = deadline + dt.timedelta(hours=rng.choice([-12, -1, 5, 30]))
        closed = None
        if state in (AlertState.RESOLVED, AlertState.DISMISSED):
            closed = (acknowledged or deadline) + dt.timedelta(days=rng.randint(1, 30))
            closed = min(closed, now)
        rows.append(
            Alert(
                account_id=account_id,
                rule=rule,
                source=AlertSource.MANUAL,
                severity=rng.choice(list(Severity)),
                state=state,
                title="Generated alert",
                owner_id=owner_id,
                opened_at=opened,
                ack_deadline=deadline,
                acknowledged_at=min(acknowledged, now) if acknowledged else None,
                closed_at=closed,
            )
        )
    Alert.objects.bulk_create(rows)
    return len(rows)


def make_plan_actions(*, seed: int = 9) -> int:
    """Account plans with actions due across the year: done on time, done late, open."""
    rng = random.Random(seed)
    today = timezone.localdate()
    made = 0
    for account in Account.objects.order_by("pk")[::3]:
        plan = AccountPlan.objects.create(account=account, objectives="Grow the relationship")
        for _ in range(3):
            due = today - dt.timedelta(days=rng.randint(-40, 300))
            status = rng.choice([PlanActionStatus.OPEN, PlanActionStatus.DONE])
            done_at = None
            if status == PlanActionStatus.DONE:
                done_day = due + dt.timedelta(days=rng.choice([-5, 0, 7]))
                done_at = timezone.make_aware(dt.datetime.combine(done_day, dt.time(15)))
            PlanAction.objects.create(
                plan=plan,
                title="Action",
                owner_id=account.owner_id,
                due_date=due,
                status=status,
                done_at=done_at,
            )
            made += 1
    return made


def build_book(*, accounts: int = 36, seed: int = 3) -> Book:
    generate_volume(
        accounts=accounts,
        password=PASSWORD,
        contacts_per_account=2,
        projects_per_account=3,
        accounts_per_rm=ACCOUNTS_PER_RM,
        seed=seed,
    )
    FxRate.objects.update_or_create(
        currency=Currency.USD,
        defaults={"rate_to_cny": Decimal("7.1"), "as_of": timezone.localdate()},
    )
    FxRate.objects.filter(currency=Currency.EUR).delete()
    # One project in a currency without a rate: it must be left out, never added raw.
    first = Account.objects.order_by("pk").first()
    assert first is not None
    ProjectFactory.create(
        account=first,
        name="Euro wind farm",
        sector=Sector.RENEWABLES,
        region=Region.EUROPE,
        currency=Currency.EUR,
        total_cost=Decimal("500000000"),
        commitment=Decimal("300000000"),
        outstanding=Decimal("200000000"),
        green_category="clean_energy",
        equator_category="A",
    )
    generate_interactions(count=accounts * 12, seed=seed, days=400)
    generate_reviews(seed=seed)
    generate_service_requests(count=accounts * 8, seed=seed, days=200)
    make_alerts(seed=seed, count=accounts * 2)
    make_plan_actions(seed=seed)
    snapshots_refresh()
    users = {u.username: u for u in User.objects.filter(username__startswith="vol.")}
    return Book(
        executive=users[EXEC_USERNAME],
        lead=users[lead_username(1)],
        rm=users[rm_username(1)],
        other_rm=users[rm_username(2)],
        accounts=accounts,
    )


FIGURE_LINK = re.compile(r'<a[^>]*href="(?P<href>[^"]+)"[^>]*data-count="(?P<count>\d+)"')


def figure_links(body: str) -> list[tuple[str, int]]:
    """Every figure on a page that links to its list: (url, count)."""
    return [
        (m.group("href").replace("&amp;", "&"), int(m.group("count")))
        for m in FIGURE_LINK.finditer(body)
    ]


def listed(client: Client, url: str) -> int:
    """How many rows the list behind a link shows (all pages)."""
    response = client.get(url)
    assert response.status_code == 200, url
    return response.context["page"].paginator.count


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client
