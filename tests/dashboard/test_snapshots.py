"""The quarterly snapshots behind trends and scorecards: figures by hand on a small book, the
same rows however often a chunk runs, the quarters a run picks, and the beat job's tasks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse

from accounts.choices import AccountStatus, Currency, PartyRole, PlanActionStatus, Tier
from accounts.models import Account, AccountPlan, Facility, FxRate, PlanAction, ProjectParty
from dashboard import tasks
from dashboard.models import AccountQuarterSnapshot
from dashboard.snapshots import (
    snapshot_chunks,
    snapshot_compute,
    snapshot_quarters_due,
    snapshots_refresh,
)
from interactions.models import AccountContactStats, ServiceRequest, StrategicReview
from kam.quarters import Quarter
from risk.choices import AlertState, Severity
from risk.models import Alert
from tests.conftest import Cast
from tests.factories import AccountFactory, ProjectFactory
from tests.interactions.factories import InteractionFactory, ReviewFactory
from tests.interactions.sla_support import at, open_request

from .support import _rule, client_for

pytestmark = pytest.mark.django_db

NOW = at(2026, 5, 20, 10)  # Q2 2026, a Wednesday
Q2 = Quarter(2026, 2)
Q1 = Quarter(2026, 1)


@pytest.fixture
def frozen():  # noqa: ANN201
    with time_machine.travel(NOW, tick=False):
        yield


def _alert(account: Account, **fields: object) -> Alert:
    values = {
        "rule": _rule(),
        "source": "manual",
        "severity": Severity.MEDIUM,
        "title": "Alert",
    }
    values.update(fields)
    return Alert.objects.create(account=account, **values)


@pytest.fixture
def book(cast: Cast, frozen: None) -> Cast:
    account = cast.account
    account.tier = Tier.STRATEGIC
    account.save()
    FxRate.objects.update_or_create(
        currency=Currency.USD, defaults={"rate_to_cny": Decimal("7"), "as_of": NOW.date()}
    )
    ProjectFactory.create(
        account=account,
        currency="USD",
        total_cost=Decimal("100"),
        commitment=Decimal("100"),
        outstanding=Decimal("10"),  # exposure 100: 10 drawn, 90 undrawn
        green_category="clean_energy",
    )
    ProjectFactory.create(
        account=account,
        total_cost=Decimal("100"),
        commitment=Decimal("100"),
        outstanding=Decimal("30"),
    )

    # A meaningful contact five days ago: cadence kept now; none before Q1 ended.
    InteractionFactory.create(account=account, occurred_at=NOW - dt.timedelta(days=5))
    AccountContactStats.objects.create(
        account=account,
        last_interaction_at=NOW - dt.timedelta(days=5),
        last_meaningful_at=NOW - dt.timedelta(days=5),
        interaction_count=1,
    )
    review = ReviewFactory.create(
        account=account,
        scheduled_at=NOW - dt.timedelta(days=10),
        status=StrategicReview.Status.HELD,
    )
    review.executives.add(cast.executive)
    # Two requests opened in Q2: one met both clocks, one missed both.
    met = open_request(account, by=cast.owner, opened_at=at(2026, 5, 4, 10))
    missed = open_request(account, by=cast.owner, opened_at=at(2026, 5, 5, 10))
    ServiceRequest.objects.filter(pk=met.pk).update(
        responded_at=met.first_response_due - dt.timedelta(minutes=5),
        resolved_at=met.resolution_due - dt.timedelta(minutes=5),
        state="resolved",
    )
    ServiceRequest.objects.filter(pk=missed.pk).update(
        responded_at=missed.first_response_due + dt.timedelta(hours=1),
        resolution_due=NOW - dt.timedelta(hours=1),
        state="responded",
    )
    # Alerts: acknowledged in time, acknowledged late, never acknowledged (deadline passed),
    # closed before its deadline, and one raised in Q1 still active.
    opened = NOW - dt.timedelta(days=20)
    deadline = opened + dt.timedelta(days=1)
    _alert(
        account,
        opened_at=opened,
        ack_deadline=deadline,
        acknowledged_at=deadline - dt.timedelta(hours=2),
        state=AlertState.ACKNOWLEDGED,
    )
    _alert(
        account,
        opened_at=opened,
        ack_deadline=deadline,
        acknowledged_at=deadline + dt.timedelta(hours=2),
        state=AlertState.ACKNOWLEDGED,
    )
    _alert(account, opened_at=opened, ack_deadline=deadline)
    _alert(
        account,
        opened_at=opened,
        ack_deadline=deadline,
        state=AlertState.RESOLVED,
        closed_at=deadline - dt.timedelta(hours=1),
    )
    _alert(
        account,
        opened_at=at(2026, 2, 1),
        ack_deadline=at(2026, 2, 2),
        acknowledged_at=at(2026, 2, 1, 12),
        state=AlertState.IN_MITIGATION,
    )
    # Plan actions due in Q2: done on time, done late, open and overdue, open not yet due.
    plan = AccountPlan.objects.create(account=account, objectives="Grow")
    for due, status, done in (
        (dt.date(2026, 4, 10), PlanActionStatus.DONE, at(2026, 4, 9, 15)),
        (dt.date(2026, 4, 10), PlanActionStatus.DONE, at(2026, 4, 20, 15)),
        (dt.date(2026, 5, 1), PlanActionStatus.OPEN, None),
        (dt.date(2026, 6, 20), PlanActionStatus.OPEN, None),
        (dt.date(2026, 5, 1), PlanActionStatus.CANCELLED, None),
    ):
        PlanAction.objects.create(
            plan=plan, title="Act", owner=cast.owner, due_date=due, status=status, done_at=done
        )
    return cast


def _row(cast: Cast, quarter: Quarter) -> AccountQuarterSnapshot:
    return AccountQuarterSnapshot.objects.get(
        account=cast.account, year=quarter.year, quarter=quarter.quarter
    )


def test_a_quarter_in_progress_by_hand(book: Cast) -> None:
    snapshots_refresh(quarters=[Q2])
    row = _row(book, Q2)
    assert (row.owner_id, row.team_id, row.tier) == (book.owner.pk, book.team.pk, Tier.STRATEGIC)
    # Exposure is drawn + undrawn: 100 USD at 7 + 100 CNY; drawn 10 USD at 7 + 30 CNY.
    assert row.exposure_cny == Decimal("800.00")
    assert row.drawn_cny == Decimal("100.00")
    assert row.green_exposure_cny == Decimal("700.00")
    assert (row.cadence_applies, row.cadence_kept) == (True, True)
    assert (row.review_required, row.review_held) == (True, True)
    assert (row.sr_total, row.sr_response_met, row.sr_response_missed) == (2, 1, 1)
    assert (row.sr_resolution_met, row.sr_resolution_missed) == (1, 1)
    assert row.alerts_raised == 4
    assert row.alerts_active_end == 4  # three of Q2 still active, one from Q1
    assert (row.alerts_ack_in_time, row.alerts_ack_late) == (2, 2)
    assert (row.actions_on_time, row.actions_late) == (1, 2)
    assert row.computed_at == NOW


def test_the_snapshot_attributes_exposure_to_the_borrower(book: Cast) -> None:
    """A project the account leads but lends to its project company (SPV), with an EPC
    contractor: the SPV's row carries the exposure; the lead's and the contractor's do not."""
    spv, epc = AccountFactory.create(owner=book.owner), AccountFactory.create(owner=book.owner)
    lent = ProjectFactory.create(account=book.account, role=PartyRole.SPONSOR, commitment=0)
    ProjectParty.objects.create(project=lent, account=spv, role=PartyRole.BORROWER)
    ProjectParty.objects.create(project=lent, account=epc, role=PartyRole.EPC)
    Facility.objects.create(
        project=lent,
        borrower=spv,
        name="SPV loan",
        commitment=Decimal(500),
        drawn=Decimal(200),
        undrawn=Decimal(300),
    )
    snapshots_refresh(quarters=[Q2])
    rows = {
        r.account_id: (r.exposure_cny, r.drawn_cny)
        for r in AccountQuarterSnapshot.objects.filter(year=Q2.year, quarter=Q2.quarter)
    }
    assert rows[spv.pk] == (Decimal("500.00"), Decimal("200.00"))
    assert rows[epc.pk] == (Decimal("0.00"), Decimal("0.00"))
    assert rows[book.account.pk] == (Decimal("800.00"), Decimal("100.00"))  # its own loans only


def test_an_earlier_quarter_is_judged_at_its_end(book: Cast) -> None:
    snapshots_refresh(quarters=[Q1])
    row = _row(book, Q1)
    # No contact before Q1 ended, no review in Q1, the Q1 alert still active at its end.
    assert (row.cadence_kept, row.review_held) == (False, False)
    assert row.sr_total == 0
    assert row.alerts_raised == 1
    assert row.alerts_active_end == 1
    assert (row.alerts_ack_in_time, row.alerts_ack_late) == (1, 0)


def test_a_chunk_run_twice_writes_the_same_rows(book: Cast) -> None:
    (first, last), *_ = snapshot_chunks()
    assert snapshot_compute(quarter=Q2, first_pk=first, last_pk=last) == 1
    before = list(AccountQuarterSnapshot.objects.values())
    assert snapshot_compute(quarter=Q2, first_pk=first, last_pk=last) == 1
    assert list(AccountQuarterSnapshot.objects.values()) == before
    assert AccountQuarterSnapshot.objects.count() == 1


def test_an_exited_account_owes_no_cadence_nor_review(book: Cast) -> None:
    book.account.status = AccountStatus.EXITED
    book.account.save()
    snapshots_refresh(quarters=[Q2])
    row = _row(book, Q2)
    assert (row.cadence_applies, row.cadence_kept, row.review_required) == (False, False, False)


def test_the_quarters_a_run_picks(book: Cast) -> None:
    # Nothing yet: the current quarter and the seven before it (backfill).
    due = snapshot_quarters_due()
    assert due[-1] == Q2 and len(due) == 8
    snapshots_refresh()
    # Afterwards only the current one, the others having been computed after they ended.
    assert snapshot_quarters_due() == [Q2]
    # Into Q3: Q2's rows were computed before it ended, so Q2 is computed once more, final.
    with time_machine.travel(at(2026, 7, 2, 9), tick=False):
        assert snapshot_quarters_due() == [Q2, Quarter(2026, 3)]


def test_the_beat_job_queues_idempotent_chunks(book: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    queued: list[tuple[str, int, int]] = []
    monkeypatch.setattr(tasks.snapshot_chunk, "delay", lambda *args: queued.append(args))
    assert tasks.snapshots_dispatch() == 8 * len(snapshot_chunks())
    assert {slug for slug, _first, _last in queued} >= {"2026Q2", "2026Q1"}
    for args in queued:
        tasks.snapshot_chunk(*args)
        tasks.snapshot_chunk(*args)  # a duplicate delivery changes nothing
    assert AccountQuarterSnapshot.objects.count() == 8
    assert tasks.snapshot_chunk("not-a-quarter", 1, 2) == 0
    entry = settings.CELERY_BEAT_SCHEDULE["dashboard-snapshots"]
    assert entry["task"] == "dashboard.snapshots_dispatch"


def test_trends_and_scorecards_read_the_snapshots(book: Cast) -> None:
    AccountFactory.create(owner=book.outsider)  # another team's account, not the owner's
    snapshots_refresh()
    response = client_for(book.owner).get(reverse("dashboard:executive"))
    points = {p.quarter: p.figures for p in response.context["d"].trends}
    assert points[Q2] is not None and points[Q2].accounts == 1
    assert points[Q2].review_rate == 100.0
    assert points[Q2].response_rate == 50.0
    cards = client_for(book.lead).get(reverse("dashboard:supervision")).context["cards"]
    (row,) = cards.by_rm
    assert row.key == book.owner.pk
    assert row.figures.sla_rate == 50.0  # 2 of 4 clocks met
    assert row.figures.ack_rate == 50.0
    assert round(row.figures.actions_rate, 1) == 33.3
    assert (
        "How each figure is counted"
        in client_for(book.lead).get(reverse("dashboard:supervision")).content.decode()
    )
