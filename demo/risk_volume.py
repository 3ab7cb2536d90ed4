"""Risk data for the benchmark book (``manage.py generate_volume --risk``): the demo's rules,
covenants with lock-up and default levels and four quarters of figures on a share of the operating and building projects
(a few breaching, a few with shrinking headroom), ESG events and earlier credit ratings on a
few accounts, so that a scan over the book has real work: set-based reads on every rule,
alerts to raise, evidence to refresh.

Bulk inserts in batches (no signals, no audit rows). Additive: covenants go only to projects
that have none yet, so a second run covers the accounts added since."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from accounts.choices import CreditRating, ProjectStage
from accounts.models import Account, Project
from demo.groups import seed_capital
from demo.risk import (
    CERTIFICATE_DAYS,
    COVENANT_PLAN,
    RiskSeedResult,
    ensure_rules,
    figure_series,
    quarter_ends,
)
from risk.choices import (
    CovenantFrequency,
    CovenantLevelKind,
    CovenantSource,
    EsgCategory,
    EsgSeverity,
    EsgSource,
)
from risk.models import (
    CovenantLevel,
    CovenantMetric,
    CovenantTest,
    EsgEvent,
    ProjectCovenant,
    RatingSnapshot,
    add_months,
)

BATCH = 5000
COVENANT_SHARE = 0.25  # of operating and building projects
BREACH_SHARE = 0.04
SHRINKING_SHARE = 0.03
ESG_SHARE = 0.005  # of accounts
DOWNGRADE_SHARE = 0.01  # of accounts


def _share(pk: int, seed: int, salt: int) -> float:
    """A fixed pseudo-random number in [0, 1) per row: a re-run picks the same rows, so it adds
    only for rows that are new since (Knuth's multiplicative hash)."""
    return ((pk * 2654435761 + seed * 40503 + salt * 97) % 2**32) / 2**32


@dataclass
class RiskVolumeResult:
    covenants: int = 0
    levels: int = 0
    figures: int = 0
    esg_events: int = 0
    rating_snapshots: int = 0
    seconds: float = 0.0


def generate_risk_volume(
    *, seed: int = 0, progress: Callable[[str], None] | None = None
) -> RiskVolumeResult:
    started = time.perf_counter()
    result = RiskVolumeResult()
    rng = random.Random(f"risk-volume-{seed}")
    ensure_rules(RiskSeedResult())
    today = timezone.localdate()
    # The concentration rule measures against the bank's capital: the volume bank has one.
    seed_capital(today)
    periods = quarter_ends(today, 4)
    metrics = {
        m.code: m for m in CovenantMetric.objects.filter(code__in=["dscr", "llcr", "debt_equity"])
    }

    projects = (
        Project.objects.filter(stage__in=[ProjectStage.OPERATION, ProjectStage.CONSTRUCTION])
        .filter(covenants__isnull=True)
        .order_by("pk")
        .values_list("pk", "stage", "account_id")
    )
    covenants: list[ProjectCovenant] = []
    levels: list[tuple[ProjectCovenant, str, Decimal]] = []
    figures: list[CovenantTest] = []
    next_test = add_months(periods[-1], 3)

    def flush() -> None:
        with transaction.atomic():
            # The covenants get their ids here (RETURNING), then their levels refer to them.
            ProjectCovenant.objects.bulk_create(covenants, batch_size=BATCH)
            CovenantLevel.objects.bulk_create(
                [
                    CovenantLevel(covenant_id=covenant.pk, kind=kind, threshold=threshold)
                    for covenant, kind, threshold in levels
                ],
                batch_size=BATCH,
            )
            CovenantTest.objects.bulk_create(figures, batch_size=BATCH)
        result.covenants += len(covenants)
        result.levels += len(levels)
        result.figures += len(figures)
        covenants.clear()
        levels.clear()
        figures.clear()
        if progress:
            progress(f"  risk: {result.covenants} covenants, {result.figures} figures")

    for pk, stage, account_id in projects.iterator(chunk_size=BATCH):
        if _share(pk, seed, 1) >= COVENANT_SHARE:
            continue
        roll = _share(pk, seed, 2)
        profile = (
            "breach"
            if roll < BREACH_SHARE
            else "shrinking"
            if roll < BREACH_SHARE + SHRINKING_SHARE
            else "healthy"
        )
        for code, lock_up, default in COVENANT_PLAN[ProjectStage(stage)]:
            metric = metrics[code]
            covenant = ProjectCovenant(
                project_id=pk,
                metric=metric,
                frequency=CovenantFrequency.QUARTERLY,
                next_test_date=next_test,
                certificate_days=CERTIFICATE_DAYS,
            )
            covenants.append(covenant)
            levels.append((covenant, CovenantLevelKind.EVENT_OF_DEFAULT, default))
            if lock_up is not None:
                levels.append((covenant, CovenantLevelKind.LOCK_UP, lock_up))
            shape = profile if code != "llcr" else "healthy"
            values = figure_series(rng, shape, lock_up or default, len(periods), metric.is_minimum)
            figures.extend(
                CovenantTest(
                    account_id=account_id,
                    project_id=pk,
                    metric=metric,
                    period_end=period,
                    value=value,
                    threshold=default,
                    lock_up_threshold=lock_up,
                    direction=metric.direction,
                    source=CovenantSource.GENERATED,
                    certificate_received_on=period + timedelta(days=30),
                )
                for period, value in zip(periods, values, strict=True)
            )
        if len(figures) >= BATCH * 4:
            flush()
    flush()

    # ESG events and earlier ratings on a few accounts that have none yet.
    accounts = list(
        Account.objects.filter(esg_events__isnull=True, rating_snapshot__isnull=True)
        .order_by("pk")
        .values_list("pk", "credit_rating")
    )
    events = []
    snapshots = []
    long_ago = timezone.now() - timedelta(days=90)
    for pk, rating in accounts:
        roll = _share(pk, seed, 3)
        if roll < ESG_SHARE:
            events.append(
                EsgEvent(
                    account_id=pk,
                    occurred_on=today - timedelta(days=rng.randint(5, 300)),
                    category=rng.choice(EsgCategory.values),
                    severity=rng.choice(EsgSeverity.values),
                    source=rng.choice(EsgSource.values),
                    title="Community complaint about dust and noise",
                )
            )
        elif roll < ESG_SHARE + DOWNGRADE_SHARE and rating:
            rank = CreditRating.rank(rating)
            if rank >= 3:
                earlier = CreditRating.values[rank - rng.choice((1, 2, 3))]
                snapshots.append(
                    RatingSnapshot(account_id=pk, rating=earlier, observed_at=long_ago)
                )
    with transaction.atomic():
        EsgEvent.objects.bulk_create(events, batch_size=BATCH)
        RatingSnapshot.objects.bulk_create(snapshots, batch_size=BATCH, ignore_conflicts=True)
    result.esg_events = len(events)
    result.rating_snapshots = len(snapshots)
    analyze_tables()
    result.seconds = time.perf_counter() - started
    return result


def analyze_tables() -> None:
    """Fresh planner statistics after a bulk load (PostgreSQL)."""
    if connection.vendor != "postgresql":
        return
    models = (ProjectCovenant, CovenantLevel, CovenantTest, EsgEvent, RatingSnapshot)
    tables = [m._meta.db_table for m in models]
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
