"""Quarterly reminders: once per (account, quarter, stage) across re-runs, retries and a
crash between claim and send; escalation of overdue reviews to the lead and the sponsor."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.db import IntegrityError, transaction

from interactions.models import ReviewReminder
from interactions.services import reviews as review_services
from interactions.services.reviews import (
    account_sponsor_set,
    reminder_key,
    review_create,
    review_reminders_process,
)
from interactions.tasks import reviews as review_tasks
from kam.models import Notification
from kam.quarters import Quarter
from kam.services import notification_send, notification_send_many
from tests.conftest import Cast
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
Q1 = Quarter(2026, 1)
D14 = dt.date(2026, 3, 20)  # 11 days before the end of Q1


@pytest.fixture
def strategic(cast: Cast) -> Cast:
    cast.account.tier = "strategic"
    cast.account.status = "active"
    cast.account.save()
    cast.owner.email = "rm.wang@example.cn"
    cast.owner.save()
    return cast


@pytest.fixture
def run_job(
    monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> Iterator[Any]:
    """Run the daily job as beat would, with chunk tasks executed in-process."""

    def fake_delay(*args: Any) -> None:
        review_tasks.review_reminders_chunk(*args)

    monkeypatch.setattr(review_tasks.review_reminders_chunk, "delay", fake_delay)

    def run(day: dt.date) -> dict[str, Any]:
        moment = dt.datetime.combine(day, dt.time(6, 15), tzinfo=SH)
        with (
            time_machine.travel(moment, tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            return review_tasks.review_reminders_dispatch()

    yield run


def _notes(user: Any) -> list[Notification]:
    return list(Notification.objects.filter(user=user, key__startswith="review-reminder:"))


def test_the_job_run_twice_sends_one_reminder_per_stage(strategic: Cast, run_job: Any) -> None:
    first = run_job(D14)
    assert first["accounts"] == 1
    second = run_job(D14)
    assert second["accounts"] == 0  # already sent: not even listed
    reminders = ReviewReminder.objects.filter(account=strategic.account)
    assert [(r.stage, r.sent_at is not None) for r in reminders] == [("d14", True)]
    assert len(_notes(strategic.owner)) == 1
    assert len(mail.outbox) == 1
    assert "not yet scheduled" in mail.outbox[0].subject


def test_each_stage_once_across_the_quarter(strategic: Cast, run_job: Any) -> None:
    for day in [
        dt.date(2026, 2, 28),
        dt.date(2026, 3, 1),
        dt.date(2026, 3, 2),
        dt.date(2026, 3, 17),
        dt.date(2026, 3, 18),
        dt.date(2026, 3, 24),
        dt.date(2026, 3, 31),
    ]:
        run_job(day)
        run_job(day)
    stages = sorted(ReviewReminder.objects.values_list("stage", flat=True))
    assert stages == ["d14", "d30", "d7"]
    assert len(_notes(strategic.owner)) == 3
    assert len(mail.outbox) == 3


def test_a_crash_between_claim_and_send_is_recovered_once(
    strategic: Cast, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    ids = [strategic.account.pk]

    def crash(**kwargs: Any) -> Any:
        raise RuntimeError("worker killed")

    monkeypatch.setattr(review_services, "notification_send_many", crash)
    with pytest.raises(RuntimeError), django_capture_on_commit_callbacks(execute=True):
        review_reminders_process(quarter=Q1, stage="d14", account_ids=ids, on=D14)
    claim = ReviewReminder.objects.get()
    assert claim.sent_at is None  # claimed, not sent
    assert not _notes(strategic.owner)

    # The retry (or tomorrow's run) finds the unsent claim and sends it — once.
    monkeypatch.setattr(review_services, "notification_send_many", notification_send_many)
    for _attempt in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            review_reminders_process(quarter=Q1, stage="d14", account_ids=ids, on=D14)
    claim.refresh_from_db()
    assert claim.sent_at is not None
    assert ReviewReminder.objects.count() == 1
    assert len(_notes(strategic.owner)) == 1
    assert len(mail.outbox) == 1


def test_a_crash_after_the_notification_does_not_send_it_again(
    strategic: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    """Even were the notification to survive without ``sent_at`` (it commits with it), the
    notification key makes the retry find it instead of sending again."""
    key = reminder_key(account_id=strategic.account.pk, quarter=Q1, stage="d14")
    notification_send(user=strategic.owner, title="earlier attempt", key=key)
    ReviewReminder.objects.create(account=strategic.account, year=2026, quarter=1, stage="d14")
    with django_capture_on_commit_callbacks(execute=True):
        review_reminders_process(
            quarter=Q1, stage="d14", account_ids=[strategic.account.pk], on=D14
        )
    assert len(_notes(strategic.owner)) == 1
    assert mail.outbox == []
    assert ReviewReminder.objects.get().sent_at is not None


def test_the_database_refuses_a_second_claim(strategic: Cast) -> None:
    ReviewReminder.objects.create(account=strategic.account, year=2026, quarter=1, stage="d7")
    with pytest.raises(IntegrityError), transaction.atomic():
        ReviewReminder.objects.create(account=strategic.account, year=2026, quarter=1, stage="d7")


def test_a_scheduled_or_held_review_stops_the_reminders(strategic: Cast, run_job: Any) -> None:
    with time_machine.travel(dt.datetime(2026, 3, 10, 9, tzinfo=SH), tick=False):
        review_create(
            account=strategic.account,
            user=strategic.owner,
            scheduled_at=dt.datetime(2026, 3, 28, 10, tzinfo=SH),
            location="HQ",
        )
    assert run_job(D14)["accounts"] == 0
    assert not ReviewReminder.objects.exists()
    # Scheduled is not held: when the quarter ends, the review is overdue and escalates.
    assert run_job(dt.date(2026, 4, 1))["accounts"] == 1


def test_non_required_tiers_and_exited_accounts_get_nothing(cast: Cast, run_job: Any) -> None:
    AccountFactory.create(owner=cast.owner, tier="standard", status="active")
    AccountFactory.create(owner=cast.owner, tier="core", status="active")
    AccountFactory.create(owner=cast.owner, tier="strategic", status="exited")
    key = AccountFactory.create(owner=cast.owner, tier="key", status="active")
    assert cast.account.tier == "standard"
    assert run_job(D14)["accounts"] == 1
    assert list(ReviewReminder.objects.values_list("account", flat=True)) == [key.pk]


def test_overdue_escalates_once_to_lead_and_sponsor(strategic: Cast, run_job: Any) -> None:
    account_sponsor_set(account=strategic.account, executive=strategic.executive)
    day = dt.date(2026, 4, 1)
    run_job(day)
    run_job(day)
    run_job(dt.date(2026, 4, 2))
    assert list(ReviewReminder.objects.values_list("stage", "year", "quarter")) == [
        ("overdue", 2026, 1)
    ]
    for person in (strategic.owner, strategic.lead, strategic.executive):
        notes = _notes(person)
        assert len(notes) == 1, person
        assert notes[0].level == "danger"
        assert "Overdue strategic review" in notes[0].title
    assert not _notes(strategic.teammate)


def test_a_review_held_with_an_executive_prevents_the_escalation(
    strategic: Cast, run_job: Any
) -> None:
    with time_machine.travel(dt.datetime(2026, 3, 31, 23, 40, tzinfo=SH), tick=False):
        review_create(
            account=strategic.account,
            user=strategic.owner,
            status="held",
            scheduled_at=dt.datetime(2026, 3, 31, 23, 30, tzinfo=SH),
            location="HQ",
            executives=[strategic.executive],
        )
    assert run_job(dt.date(2026, 4, 1))["accounts"] == 0


def test_reminders_speak_the_recipients_language(strategic: Cast, run_job: Any) -> None:
    strategic.owner.language = "zh-hans"
    strategic.owner.save()
    run_job(D14)
    note = _notes(strategic.owner)[0]
    assert note.url.endswith(f"/accounts/{strategic.account.pk}/reviews/")
    assert "2026 Q1" in note.title
    assert "战略对话尚未安排" in note.title
