"""The quarterly snapshot rollup (``kam.AccountQuarterSnapshot``) behind the trends and the
supervision scorecards: one row per account and quarter, computed for a range of account ids
with a fixed number of grouped queries and written with one upsert — so a chunk can run
again, or twice at once, and leave the same rows.

The definitions are the owning apps': SLA outcomes (interactions.selectors.service), review
held with an executive (interactions.selectors.reviews), meaningful contact and the tier's
cadence (interactions), active alerts (risk). "As of" is the quarter's end once it is over,
now while it runs.

Which quarters: the current one on every run; an earlier one of the last eight when it has
no rows yet (backfill) or its rows were computed before it ended (final figures).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count, F, Max, Min, Q
from django.utils import timezone

from accounts.choices import AccountStatus, PlanActionStatus
from accounts.models import Account, Facility, PlanAction
from dashboard.models import AccountQuarterSnapshot
from interactions.models import Interaction, ServiceRequest
from interactions.selectors.interactions import tier_cadence_days
from interactions.selectors.reviews import held_exists, review_tiers
from interactions.selectors.service import sla_counts
from kam.quarters import Quarter
from risk.models import Alert

from .selectors import _money, _to_cny, fx_rates_to_cny, trend_quarters

CHUNK_SIZE = 500

UPDATE_FIELDS = [
    f.name
    for f in AccountQuarterSnapshot._meta.concrete_fields
    if f.name not in ("id", "account", "year", "quarter")
]


def _by_account(rows: Any) -> dict[int, dict[str, Any]]:
    return {row["account_id"]: row for row in rows}


def _ack_in_time() -> Q:
    """Acknowledged by the deadline, or closed (resolved, dismissed) before it."""
    return Q(acknowledged_at__lte=F("ack_deadline")) | Q(
        acknowledged_at__isnull=True, closed_at__lte=F("ack_deadline")
    )


def _ack_late() -> Q:
    return Q(acknowledged_at__gt=F("ack_deadline")) | (
        Q(acknowledged_at__isnull=True)
        & (Q(closed_at__isnull=True) | Q(closed_at__gt=F("ack_deadline")))
    )


@transaction.atomic
def snapshot_compute(
    *, quarter: Quarter, first_pk: int, last_pk: int, now: dt.datetime | None = None
) -> int:
    """Compute and upsert the snapshots of accounts ``first_pk..last_pk`` for ``quarter``;
    returns the number of rows written. Seven read queries and one write, whatever the
    number of interactions, requests or alerts behind them."""
    now = now or timezone.now()
    as_of = min(now, quarter.end)
    running = now < quarter.end
    in_range = Q(account_id__gte=first_pk, account_id__lte=last_pk)
    accounts = list(
        Account.objects.filter(pk__gte=first_pk, pk__lte=last_pk)
        .annotate(held=held_exists(quarter), last_contact=F("contact_stats__last_meaningful_at"))
        .order_by("pk")
        .values("pk", "owner_id", "team_id", "tier", "region", "status", "held", "last_contact")
    )
    if not accounts:
        return 0

    rates = fx_rates_to_cny()
    # The account's exposure as an obligor: the facilities it borrows under (exposure is
    # attributed to the borrower, never to the account a project is managed under).
    money = _by_account(
        Facility.objects.filter(borrower_id__gte=first_pk, borrower_id__lte=last_pk)
        .order_by()
        .values(account_id=F("borrower_id"))
        .annotate(**_money())
    )
    if running:
        last_contact = {a["pk"]: a["last_contact"] for a in accounts}
    else:
        # The last meaningful contact before the quarter ended (the contact stats' rule).
        last_contact = dict(
            Interaction.objects.filter(
                in_range, occurred_at__lt=as_of, channel__counts_for_cadence=True
            )
            .order_by()
            .values("account_id")
            .annotate(last=Max("occurred_at"))
            .values_list("account_id", "last")
        )
    requests = _by_account(
        ServiceRequest.objects.filter(
            in_range, opened_at__gte=quarter.start, opened_at__lt=quarter.end
        )
        .order_by()
        .values("account_id")
        .annotate(**sla_counts(now))
    )
    deadline_passed = Q(ack_deadline__gte=quarter.start, ack_deadline__lt=as_of)
    alerts = _by_account(
        Alert.objects.filter(in_range, opened_at__lt=as_of)
        .order_by()
        .values("account_id")
        .annotate(
            raised=Count("pk", filter=Q(opened_at__gte=quarter.start)),
            active_end=Count("pk", filter=Q(closed_at__isnull=True) | Q(closed_at__gte=as_of)),
            in_time=Count("pk", filter=deadline_passed & _ack_in_time()),
            late=Count("pk", filter=deadline_passed & _ack_late()),
        )
    )
    today = timezone.localdate(as_of) if running else quarter.last_day
    actions = _by_account(
        PlanAction.objects.filter(
            plan__account_id__gte=first_pk,
            plan__account_id__lte=last_pk,
            due_date__gte=quarter.first_day,
            due_date__lte=quarter.last_day,
        )
        .exclude(status=PlanActionStatus.CANCELLED)
        .order_by()
        .values(account_id=F("plan__account_id"))
        .annotate(
            on_time=Count(
                "pk",
                filter=Q(status=PlanActionStatus.DONE, done_at__date__lte=F("due_date")),
            ),
            late=Count(
                "pk",
                filter=Q(status=PlanActionStatus.DONE, done_at__date__gt=F("due_date"))
                | Q(status=PlanActionStatus.OPEN, due_date__lt=today),
            ),
        )
    )
    cadence = tier_cadence_days()
    reviewed_tiers = set(review_tiers())

    rows = []
    for account in accounts:
        pk = account["pk"]
        exited = account["status"] == AccountStatus.EXITED
        days = cadence.get(account["tier"])
        last = last_contact.get(pk)
        sums = money.get(pk, {})
        missing: set[str] = set()
        sr = requests.get(pk, {})
        alert = alerts.get(pk, {})
        action = actions.get(pk, {})
        rows.append(
            AccountQuarterSnapshot(
                account_id=pk,
                year=quarter.year,
                quarter=quarter.quarter,
                owner_id=account["owner_id"],
                team_id=account["team_id"],
                tier=account["tier"],
                region=account["region"],
                status=account["status"],
                exposure_cny=_to_cny(sums, "out_", rates, missing),
                green_exposure_cny=_to_cny(sums, "green_", rates, missing),
                drawn_cny=_to_cny(sums, "drawn_", rates, missing),
                cadence_applies=bool(days) and not exited,
                cadence_kept=bool(days)
                and not exited
                and last is not None
                and last >= as_of - dt.timedelta(days=days or 0),
                review_required=account["tier"] in reviewed_tiers and not exited,
                review_held=bool(account["held"]),
                sr_total=sr.get("total", 0),
                sr_response_met=sr.get("response_met", 0),
                sr_response_missed=sr.get("response_missed", 0),
                sr_resolution_met=sr.get("resolution_met", 0),
                sr_resolution_missed=sr.get("resolution_missed", 0),
                alerts_raised=alert.get("raised", 0),
                alerts_active_end=alert.get("active_end", 0),
                alerts_ack_in_time=alert.get("in_time", 0),
                alerts_ack_late=alert.get("late", 0),
                actions_on_time=action.get("on_time", 0),
                actions_late=action.get("late", 0),
                computed_at=now,
            )
        )
    AccountQuarterSnapshot.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["account", "year", "quarter"],
        update_fields=UPDATE_FIELDS,
    )
    return len(rows)


def snapshot_quarters_due(now: dt.datetime | None = None) -> list[Quarter]:
    """The current quarter, and each of the seven before it that has no snapshot yet or
    whose snapshots were computed before it ended: one grouped query."""
    now = now or timezone.now()
    current = Quarter.of(now)
    earliest = {
        (row["year"], row["quarter"]): row["first"]
        for row in AccountQuarterSnapshot.objects.order_by()
        .values("year", "quarter")
        .annotate(first=Min("computed_at"))
    }
    due = []
    for quarter in trend_quarters(current):
        first = earliest.get((quarter.year, quarter.quarter))
        if quarter == current or first is None or first < quarter.end:
            due.append(quarter)
    return due


def snapshot_chunks(chunk_size: int = CHUNK_SIZE) -> list[tuple[int, int]]:
    """Account id ranges of ``chunk_size`` ids each, covering every account."""
    bounds = Account.objects.aggregate(low=Min("pk"), high=Max("pk"))
    if bounds["low"] is None:
        return []
    return [
        (start, min(start + chunk_size - 1, bounds["high"]))
        for start in range(bounds["low"], bounds["high"] + 1, chunk_size)
    ]


@dataclass
class RefreshResult:
    quarters: list[Quarter]
    rows: int


def snapshots_refresh(
    *,
    quarters: list[Quarter] | None = None,
    now: dt.datetime | None = None,
    chunk_size: int = CHUNK_SIZE,
    progress: Callable[[str], Any] | None = None,
) -> RefreshResult:
    """Compute the due quarters in this process, chunk by chunk (demo data, the volume
    generator, tests; the beat job queues the same chunks as tasks)."""
    now = now or timezone.now()
    quarters = snapshot_quarters_due(now) if quarters is None else quarters
    rows = 0
    chunks = snapshot_chunks(chunk_size)
    for quarter in quarters:
        for first_pk, last_pk in chunks:
            rows += snapshot_compute(quarter=quarter, first_pk=first_pk, last_pk=last_pk, now=now)
        if progress:
            progress(f"snapshots {quarter}: {rows} rows so far")
    return RefreshResult(quarters=quarters, rows=rows)
