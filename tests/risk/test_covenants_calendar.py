"""The covenant calendar: test dates move on when the certificate of the test is in; the
certificates due are listed for a calendar and reminded to the owner RM once per stage."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from kam.models import Notification
from risk.choices import CovenantFrequency
from risk.models import CovenantMetric, ProjectCovenant, add_months
from risk.selectors import covenant_calendar_for_user, covenant_dates
from risk.services import covenant_certificate_reminders_send, covenant_save, covenant_test_record
from tests.conftest import Cast
from tests.factories import AccountFactory, ProjectFactory

pytestmark = pytest.mark.django_db


def test_adding_months_keeps_month_ends() -> None:
    assert add_months(dt.date(2026, 6, 30), 6) == dt.date(2026, 12, 31)
    assert add_months(dt.date(2026, 12, 31), 3) == dt.date(2027, 3, 31)
    assert add_months(dt.date(2027, 11, 30), 3) == dt.date(2028, 2, 29)
    assert add_months(dt.date(2026, 1, 15), 12) == dt.date(2027, 1, 15)


def _covenant(project: object, next_test: dt.date, days: int = 60) -> ProjectCovenant:
    return covenant_save(
        project=project,  # type: ignore[arg-type]
        metric=CovenantMetric.objects.get(code="dscr"),
        threshold=Decimal("1.05"),
        lock_up_threshold=Decimal("1.10"),
        frequency=CovenantFrequency.SEMI_ANNUAL,
        next_test_date=next_test,
        certificate_days=days,
    )


def test_the_next_test_date_moves_on_when_the_certificate_is_received(cast: Cast) -> None:
    project = ProjectFactory.create(account=cast.account)
    cov = _covenant(project, dt.date(2026, 6, 30))
    assert cov.certificate_due_on == dt.date(2026, 8, 29)
    record: dict[str, Any] = {
        "project": project,
        "metric": cov.metric,
        "period_end": dt.date(2026, 6, 30),
        "value": Decimal("1.3"),
        "user": cast.owner,
    }
    covenant_test_record(**record)  # management accounts: no certificate yet
    cov.refresh_from_db()
    assert cov.next_test_date == dt.date(2026, 6, 30)
    test = covenant_test_record(**record, certificate_received_on=dt.date(2026, 8, 20))
    assert test.certificate_received_on == dt.date(2026, 8, 20)
    cov.refresh_from_db()
    assert cov.next_test_date == dt.date(2026, 12, 31)
    # A correction of the same period without the date keeps the date and the schedule.
    covenant_test_record(**{**record, "value": Decimal("1.31")})
    test.refresh_from_db()
    cov.refresh_from_db()
    assert (test.certificate_received_on, cov.next_test_date) == (
        dt.date(2026, 8, 20),
        dt.date(2026, 12, 31),
    )


def test_the_calendar_lists_test_dates_and_certificates_due_of_the_users_book(
    cast: Cast,
) -> None:
    today = dt.date(2026, 9, 1)
    mine = _covenant(ProjectFactory.create(account=cast.account), dt.date(2026, 9, 30), days=45)
    late = _covenant(ProjectFactory.create(account=cast.account), dt.date(2026, 6, 30), days=30)
    hidden = _covenant(
        ProjectFactory.create(account=AccountFactory.create(owner=cast.outsider)),
        dt.date(2026, 9, 30),
    )
    dates = covenant_dates(
        [mine, late, hidden], start=today, end=today + dt.timedelta(days=90), today=today
    )
    assert [(d.day, d.kind, d.covenant.pk, d.overdue) for d in dates] == [
        (dt.date(2026, 7, 30), "certificate", late.pk, True),
        (dt.date(2026, 9, 30), "test", mine.pk, False),
        (dt.date(2026, 9, 30), "test", hidden.pk, False),
        (dt.date(2026, 11, 14), "certificate", mine.pk, False),
        (dt.date(2026, 11, 29), "certificate", hidden.pk, False),
    ]
    # Through the one door: another RM's covenants are not on the owner's calendar.
    seen = covenant_calendar_for_user(
        user=cast.owner, start=dt.date(2026, 1, 1), end=dt.date(2027, 12, 31)
    )
    assert {d.covenant.pk for d in seen} == {mine.pk, late.pk}
    assert hidden.pk in {
        d.covenant.pk
        for d in covenant_calendar_for_user(
            user=cast.outsider, start=dt.date(2026, 1, 1), end=dt.date(2027, 12, 31)
        )
    }


def test_the_owner_rm_is_reminded_once_before_and_once_after_the_due_date(cast: Cast) -> None:
    project = ProjectFactory.create(account=cast.account, name="Hami Solar")
    cov = _covenant(project, dt.date(2026, 6, 30), days=60)  # certificate due 2026-08-29
    far = _covenant(
        ProjectFactory.create(account=cast.account), dt.date(2026, 12, 31), days=60
    )  # due 2027-03-01: not yet

    assert covenant_certificate_reminders_send(today=dt.date(2026, 8, 1)) == 0  # 28 days out
    assert covenant_certificate_reminders_send(today=dt.date(2026, 8, 20)) == 1
    assert covenant_certificate_reminders_send(today=dt.date(2026, 8, 21)) == 0  # said once
    [due] = Notification.objects.filter(user=cast.owner)
    assert "Hami Solar" in due.title
    assert due.key == f"covenant-certificate:{cov.pk}:2026-06-30:due"
    assert due.url == f"/risk/accounts/{cast.account.pk}/covenants/"

    assert covenant_certificate_reminders_send(today=dt.date(2026, 9, 5)) == 1
    assert covenant_certificate_reminders_send(today=dt.date(2026, 9, 6)) == 0
    overdue = Notification.objects.get(user=cast.owner, key__endswith=":overdue")
    assert "overdue" in overdue.title
    assert not Notification.objects.filter(key__contains=f":{far.pk}:").exists()

    # The certificate comes in: the next test date moves on, nothing more for that test.
    covenant_test_record(
        project=project,
        metric=cov.metric,
        period_end=dt.date(2026, 6, 30),
        value=Decimal("1.3"),
        user=cast.owner,
        certificate_received_on=dt.date(2026, 9, 6),
    )
    assert covenant_certificate_reminders_send(today=dt.date(2026, 9, 7)) == 0
