"""Deadlines across the year end (issue 14, finding 10).

chinesecalendar 1.11 does not know 2027. Its days count provisionally as Monday to Friday less
the statutory holidays the ``holidays`` package (pinned in constraints.txt) knows for China;
for 2027 those are Fri 1 Jan (New Year's Day), and for the Spring Festival Fri 5 Feb (the
eve), Sat 6 – Mon 8 Feb, and Tue 9 and Wed 10 Feb for the two festival days on the weekend.
When the calendar learns the year, deadlines are recomputed and the breaches they undo are
withdrawn; from 1 November a next year the calendar does not know is reported to
administrators. Business day 09:00–18:00 Asia/Shanghai throughout.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.checks import WARNING
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoCaptureOnCommitCallbacks

from interactions import business_time
from interactions.business_time import add_business_time, calendar_covers, is_workday
from interactions.models import ServiceRequest, SlaBreach
from interactions.models.service import EventAction
from interactions.services.service import (
    DeadlinesRecomputed,
    sla_breach_scan_now,
    sla_provisional_deadlines_refresh,
)
from kam.models import Notification
from tests.conftest import Cast
from tests.factories import AccountFactory, UserFactory
from tests.interactions.sla_support import at, open_request, set_policy

H = dt.timedelta(hours=1)

_published_workday = business_time.chinese_calendar.is_workday


def _travel(moment: dt.datetime) -> time_machine.travel:
    return time_machine.travel(moment, tick=False)


def _published_2027(day: dt.date) -> bool:
    """A stand-in for a chinesecalendar that knows 2027, with an arrangement the holidays
    package could not foresee: the Spring Festival off Fri 5 – Fri 12 Feb, Saturday 13 Feb an
    adjusted working day (调休); New Year's Day off; otherwise Monday to Friday."""
    if day.year != 2027:
        return _published_workday(day)
    if day == dt.date(2027, 2, 13):
        return True
    if day == dt.date(2027, 1, 1) or dt.date(2027, 2, 5) <= day <= dt.date(2027, 2, 12):
        return False
    return day.weekday() < 5


@pytest.fixture
def upgrade_calendar(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], None]]:
    """Call the fixture's value to "upgrade" chinesecalendar to one that knows 2027."""

    def upgrade() -> None:
        monkeypatch.setattr(business_time.chinese_calendar, "is_workday", _published_2027)
        business_time._published.cache_clear()

    yield upgrade
    business_time._published.cache_clear()


# ---------------------------------------------------------------- provisional years


def test_new_years_day_2027_is_a_day_off_though_the_calendar_does_not_know_2027() -> None:
    assert not calendar_covers(dt.date(2027, 1, 1))
    assert not is_workday(dt.date(2027, 1, 1))
    # Thu 31 Dec 17:00 + 2 h: 1 h on the 31st; Fri 1 Jan, Sat, Sun off; Mon 4 Jan 09:00 + 1 h.
    assert add_business_time(at(2026, 12, 31, 17), 2 * H) == at(2027, 1, 4, 10)


@pytest.mark.django_db
def test_a_request_opened_on_new_years_eve_2026_is_due_after_new_years_day(cast: Cast) -> None:
    set_policy("standard", "high", 2, 16)
    with _travel(at(2026, 12, 31, 17)):  # Thursday
        request = open_request(cast.account)
    # 1 h on Thu 31 Dec; Fri 1 Jan 2027 off (New Year's Day); Mon 4 Jan 09:00 + 1 h.
    assert request.first_response_due == at(2027, 1, 4, 10)
    # 16 h: 1 h on 31 Dec, Mon 4 Jan 9 h (10 h), Tue 5 Jan 09:00 + 6 h = 15:00.
    assert request.resolution_due == at(2027, 1, 5, 15)
    assert request.deadlines_provisional  # 2027's adjusted working days are not known


def test_spring_festival_2027_counts_its_statutory_days_off() -> None:
    for day in (5, 8, 9, 10):  # Fri 5 Feb (eve), Mon 8, and Tue 9, Wed 10 for the weekend
        assert not is_workday(dt.date(2027, 2, day)), day
        assert not calendar_covers(dt.date(2027, 2, day))
    assert is_workday(dt.date(2027, 2, 4)) and is_workday(dt.date(2027, 2, 11))
    # Thu 4 Feb 17:00 + 2 h: 1 h on the 4th; 5–10 Feb off; Thu 11 Feb 09:00 + 1 h.
    assert add_business_time(at(2027, 2, 4, 17), 2 * H) == at(2027, 2, 11, 10)


@pytest.mark.django_db
def test_a_request_opened_before_spring_festival_2027_is_not_due_on_its_holidays(
    cast: Cast,
) -> None:
    set_policy("standard", "high", 2, 16)
    with _travel(at(2027, 2, 4, 17)):
        request = open_request(cast.account)
    # 1 h on Thu 4 Feb; 5–10 Feb off; Thu 11 Feb 09:00 + 1 h.
    assert request.first_response_due == at(2027, 2, 11, 10)
    # 16 h: 1 h on 4 Feb, Thu 11 Feb 9 h (10 h), Fri 12 Feb 09:00 + 6 h = 15:00.
    assert request.resolution_due == at(2027, 2, 12, 15)
    assert request.deadlines_provisional


# ---------------------------------------------------------------- the calendar is upgraded


@pytest.fixture
def breached(cast: Cast) -> ServiceRequest:
    """A strategic request opened Thu 4 Feb 2027 17:00 whose provisional first-response
    deadline (Thu 11 Feb 10:00) the scan found missed on Thu 11 Feb 12:00, notifying the
    owner and, by escalation, the team lead."""
    cast.owner.email, cast.lead.email = "wang@example.com", "zhao@example.com"
    cast.owner.save(update_fields=["email"])
    cast.lead.save(update_fields=["email"])
    set_policy("strategic", "high", 2, 16, escalate=True)
    account = AccountFactory.create(owner=cast.owner, team=cast.team, tier="strategic")
    with _travel(at(2027, 2, 4, 17)):
        request = open_request(account)
    assert request.first_response_due == at(2027, 2, 11, 10)
    with _travel(at(2027, 2, 11, 12)):
        assert sla_breach_scan_now() == 1
    assert SlaBreach.objects.filter(request=request, kind="response").exists()
    return request


@pytest.mark.django_db
def test_the_upgrade_withdraws_a_breach_the_published_calendar_undoes(
    cast: Cast,
    breached: ServiceRequest,
    upgrade_calendar: Callable[[], None],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    mail.outbox.clear()
    upgrade_calendar()
    # Fri 12 Feb 09:00, during the published holiday: 1 h on Thu 4 Feb; 5–12 Feb off; the
    # adjusted Saturday 13 Feb 09:00 + 1 h = 10:00 — not missed yet, so no breach.
    with (
        _travel(at(2027, 2, 12, 9)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        result = sla_provisional_deadlines_refresh()
    assert result == DeadlinesRecomputed(examined=1, changed=1, withdrawn=1)

    request = ServiceRequest.objects.get(pk=breached.pk)
    assert request.first_response_due == at(2027, 2, 13, 10)
    # 16 h: 1 h on 4 Feb, Sat 13 Feb 9 h (10 h), Mon 15 Feb 09:00 + 6 h = 15:00.
    assert request.resolution_due == at(2027, 2, 15, 15)
    assert request.due_at == request.first_response_due
    assert request.response_breached_at is None and not request.deadlines_provisional
    assert not SlaBreach.objects.filter(request=request).exists()

    # The history says what happened.
    events = list(request.events.order_by("at", "pk"))
    assert [e.action for e in events[-3:]] == [
        EventAction.BREACHED,
        EventAction.RECOMPUTED,
        EventAction.BREACH_WITHDRAWN,
    ]
    recomputed, withdrawn = events[-2:]
    assert "2027-02-13 10:00" in recomputed.note and "2027-02-11 10:00" in recomputed.note
    assert "2027-02-15 15:00" in recomputed.note
    assert "2027-02-13 10:00" in withdrawn.note and "2027-02-11 10:00" in withdrawn.note
    assert withdrawn.actor is None and withdrawn.at == at(2027, 2, 12, 9)

    # The breach notifications no longer read as breaches, and give up their key; a
    # withdrawal notice goes to the same people, by e-mail too.
    for user in (cast.owner, cast.lead):
        old, notice = Notification.objects.filter(user=user).order_by("pk")
        assert (old.key or "").startswith(f"sla-breach:{request.pk}:response:withdrawn:")
        assert old.level == "info" and old.title.startswith("[Withdrawn]")
        assert old.read_at is not None
        assert (notice.key or "").startswith(f"sla-breach-withdrawn:{request.pk}:response:")
        assert notice.level == "info" and notice.read_at is None
        assert "withdrawn" in notice.title and "2027-02-13 10:00" in notice.body
    assert sorted(m.to[0] for m in mail.outbox) == ["wang@example.com", "zhao@example.com"]
    assert all("withdrawn" in m.subject for m in mail.outbox)

    # Idempotent: a second run changes nothing and tells no one anything.
    counts = (request.events.count(), Notification.objects.count(), len(mail.outbox))
    with _travel(at(2027, 2, 12, 9, 5)):
        assert sla_provisional_deadlines_refresh() == DeadlinesRecomputed()
    assert (request.events.count(), Notification.objects.count(), len(mail.outbox)) == counts

    # The new deadline passes: the scan records the breach again, and notifies again.
    with _travel(at(2027, 2, 13, 11)):
        assert sla_breach_scan_now() == 1
    assert SlaBreach.objects.get(request=request, kind="response").due_at == at(2027, 2, 13, 10)
    assert Notification.objects.filter(
        user=cast.owner, key=f"sla-breach:{request.pk}:response", level="danger"
    ).exists()


@pytest.mark.django_db
def test_a_breach_the_published_calendar_confirms_stays_with_its_new_deadline(
    cast: Cast, breached: ServiceRequest, upgrade_calendar: Callable[[], None]
) -> None:
    upgrade_calendar()
    with _travel(at(2027, 2, 15, 9)):  # Monday: the recomputed deadline (Sat 10:00) passed too
        result = sla_provisional_deadlines_refresh()
    assert result == DeadlinesRecomputed(examined=1, changed=1)
    breach = SlaBreach.objects.get(request=breached, kind="response")
    assert breach.due_at == at(2027, 2, 13, 10)
    assert not breached.events.filter(action=EventAction.BREACH_WITHDRAWN).exists()
    assert Notification.objects.get(user=cast.owner).level == "danger"


@pytest.mark.django_db
def test_the_command_recomputes_deadlines_counted_monday_to_friday_and_is_idempotent(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deadlines computed before the holidays package was consulted counted New Year's Day
    2027 as a working day; the command moves them off it while 2027 is still unknown (they
    stay provisional), and withdraws the breach recorded on New Year's Day."""
    set_policy("standard", "high", 2, 16)
    with monkeypatch.context() as old_rule:
        old_rule.setattr(business_time, "_provisional_workday", lambda day: day.weekday() < 5)
        with _travel(at(2026, 12, 31, 17)):
            request = open_request(cast.account)
        assert request.first_response_due == at(2027, 1, 1, 10)  # New Year's Day
        with _travel(at(2027, 1, 1, 12)):
            assert sla_breach_scan_now() == 1

    out = StringIO()
    with _travel(at(2027, 1, 1, 12, 30)):
        call_command("sla_recompute_deadlines", "--dry-run", stdout=out)
    assert "Would have: examined 1" in out.getvalue() and "1 breach(es) withdrawn" in out.getvalue()
    request.refresh_from_db()
    assert request.first_response_due == at(2027, 1, 1, 10)  # the dry run changed nothing
    assert request.response_breached_at is not None

    with _travel(at(2027, 1, 1, 12, 30)):
        call_command("sla_recompute_deadlines", stdout=out)
    request.refresh_from_db()
    assert request.first_response_due == at(2027, 1, 4, 10)
    assert request.resolution_due == at(2027, 1, 5, 15)
    assert request.deadlines_provisional  # 2027 is still unknown to chinesecalendar
    assert request.response_breached_at is None and not SlaBreach.objects.exists()
    assert request.events.filter(action=EventAction.BREACH_WITHDRAWN).count() == 1

    out = StringIO()
    with _travel(at(2027, 1, 1, 13)):
        call_command("sla_recompute_deadlines", stdout=out)
    assert "examined 1 request(s) with provisional deadlines: 0 changed, 0 breach(es) " in (
        out.getvalue()
    )
    assert "does not know 2027" in out.getvalue()
    assert request.events.filter(action=EventAction.BREACH_WITHDRAWN).count() == 1
    assert request.events.filter(action=EventAction.RECOMPUTED).count() == 1


@pytest.mark.django_db
def test_the_recomputation_replays_a_pause_over_the_published_holiday(
    cast: Cast, upgrade_calendar: Callable[[], None]
) -> None:
    """The business time a request waited on the client is measured again: a pause over
    the days the published calendar gives off counts less."""
    from interactions.services.service import (
        service_request_respond,
        service_request_resume,
        service_request_wait_on_client,
    )

    set_policy("standard", "high", 2, 16)
    with _travel(at(2027, 2, 3, 9)):  # Wednesday
        request = open_request(cast.account)
    with _travel(at(2027, 2, 3, 10)):
        request = service_request_respond(request=request, user=cast.owner)
    with _travel(at(2027, 2, 3, 12)):
        request = service_request_wait_on_client(request=request, user=cast.owner, note="Docs.")
    with _travel(at(2027, 2, 11, 12)):
        request = service_request_resume(request=request, user=cast.owner)
    # Provisional pause: Wed 3 Feb 12–18 (6 h), Thu 4 Feb 9 h, Thu 11 Feb 9–12 (3 h) = 18 h.
    assert request.paused_seconds == 18 * 3600
    upgrade_calendar()
    with _travel(at(2027, 2, 11, 13)):
        assert sla_provisional_deadlines_refresh().changed == 1
    request.refresh_from_db()
    # Published: 11 Feb is off too, so the pause is 6 h + 9 h = 15 h; resolution due after
    # 16 + 15 = 31 h: Wed 3 Feb 9 h, Thu 4 Feb 9 h (18 h), Sat 13 Feb 9 h (27 h), Mon 15 Feb
    # 09:00 + 4 h = 13:00.
    assert request.paused_seconds == 15 * 3600
    assert request.resolution_due == request.due_at == at(2027, 2, 15, 13)
    assert request.response_seconds == 3600


# ---------------------------------------------------------------- telling administrators


def test_the_check_reports_next_year_from_1_november_when_the_calendar_lacks_it(
    upgrade_calendar: Callable[[], None],
) -> None:
    with _travel(at(2026, 10, 31, 12)):
        assert business_time.check_calendar_coverage() == []
    with _travel(at(2026, 11, 1, 9)):
        (info,) = business_time.check_calendar_coverage()
    assert info.id == "interactions.I002" and "2027" in info.msg and "provisional" in info.msg
    assert "sla_recompute_deadlines" in (info.hint or "")
    assert info.level < WARNING  # a deployment check does not start failing in November
    upgrade_calendar()
    with _travel(at(2026, 11, 1, 9)):
        assert business_time.check_calendar_coverage() == []


@pytest.mark.django_db
def test_the_admin_index_shows_the_calendar_notice_from_1_november() -> None:
    root = Client()
    root.force_login(UserFactory.create(username="root", is_staff=True, is_superuser=True))
    with _travel(at(2026, 10, 31, 12)):
        page = root.get(reverse("admin:index")).content.decode()
    assert "sla-calendar-notice" not in page
    with _travel(at(2026, 11, 1, 9)):
        page = root.get(reverse("admin:index")).content.decode()
    assert 'id="sla-calendar-notice"' in page
    assert "working calendar for 2027 is not known yet" in page
    assert "sla_recompute_deadlines" in page
