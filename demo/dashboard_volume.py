"""Volume for the dashboards' benchmark (``manage.py generate_volume --alerts N --snapshots``):
a history of risk alerts over two years — most closed (acknowledged in time or late, resolved
or dismissed), some still active — and the quarterly snapshots of the last eight quarters.

Alerts are bulk inserted as raised by a user (``manual`` source: the scan's one-active-alert
constraint is the scan's business, and these rows must not collide with a later scan).
Additive; no signals, no audit rows."""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Account
from dashboard.snapshots import snapshots_refresh
from demo.risk import RiskSeedResult, ensure_rules
from risk.choices import AlertSource, AlertState, Severity
from risk.models import Alert

BATCH = 5000
ACTIVE_SHARE = 0.08
DAYS = 730


@dataclass
class AlertVolumeResult:
    alerts: int = 0
    active: int = 0
    seconds: float = 0.0


def generate_alert_history(
    *, count: int, seed: int = 0, progress: Callable[[str], None] | None = None
) -> AlertVolumeResult:
    started = time.perf_counter()
    result = AlertVolumeResult()
    rng = random.Random(seed + 11)
    rules = list(ensure_rules(RiskSeedResult()).values())
    accounts = list(Account.objects.order_by("pk").values_list("pk", "owner_id"))
    if not accounts or count < 1:
        return result
    now = timezone.now()
    severities = [Severity.LOW] * 5 + [Severity.MEDIUM] * 3 + [Severity.HIGH] * 2
    for start in range(0, count, BATCH):
        rows = []
        for _ in range(min(BATCH, count - start)):
            account_id, owner_id = rng.choice(accounts)
            active = rng.random() < ACTIVE_SHARE
            age = rng.expovariate(1 / 45) if active else rng.uniform(1, DAYS)
            opened = now - dt.timedelta(days=min(age, DAYS))
            deadline = opened + dt.timedelta(hours=rng.choice([24, 48, 72]))
            acknowledged = None
            if rng.random() < 0.85 and deadline < now:
                acknowledged = min(now, deadline + dt.timedelta(hours=rng.uniform(-40, 30)))
                acknowledged = max(acknowledged, opened)
            if active:
                state = AlertState.OPEN if acknowledged is None else AlertState.ACKNOWLEDGED
                if acknowledged and rng.random() < 0.4:
                    state = AlertState.IN_MITIGATION
                closed = None
            else:
                state = AlertState.RESOLVED if rng.random() < 0.8 else AlertState.DISMISSED
                closed = min(
                    now, (acknowledged or deadline) + dt.timedelta(days=rng.randint(1, 40))
                )
            rule = rng.choice(rules)
            rows.append(
                Alert(
                    account_id=account_id,
                    rule=rule,
                    source=AlertSource.MANUAL,
                    severity=rng.choice(severities),
                    state=state,
                    title=str(rule.name)[:200],
                    owner_id=owner_id,
                    opened_at=opened,
                    ack_deadline=deadline,
                    acknowledged_at=acknowledged,
                    closed_at=closed,
                )
            )
            result.active += active
        with transaction.atomic():
            Alert.objects.bulk_create(rows, batch_size=BATCH)
        result.alerts += len(rows)
        if progress:
            progress(f"alerts: {result.alerts}")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {Alert._meta.db_table}")
    result.seconds = time.perf_counter() - started
    return result


@dataclass
class SnapshotVolumeResult:
    rows: int = 0
    quarters: int = 0
    seconds: float = 0.0


def generate_snapshots(*, progress: Callable[[str], None] | None = None) -> SnapshotVolumeResult:
    """The quarterly snapshots the beat job would have written: the last eight quarters."""
    started = time.perf_counter()
    refreshed = snapshots_refresh(progress=progress)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE kam_accountquartersnapshot")
    return SnapshotVolumeResult(
        rows=refreshed.rows,
        quarters=len(refreshed.quarters),
        seconds=time.perf_counter() - started,
    )
