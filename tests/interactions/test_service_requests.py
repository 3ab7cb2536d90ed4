"""Service requests: deadlines from the tier's policy in business time, the state machine, the
clock paused while waiting on the client, the history, and bad input refused.

Expected deadlines are worked out by hand beside each assertion (business day 09:00–18:00
Asia/Shanghai; National Day 2026: off 1–7 Oct, Saturday 10 Oct works).
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from interactions import business_time
from interactions.models import ServiceRequest, ServiceRequestEvent, SlaBreach, SlaPolicy
from interactions.models.service import RequestState
from interactions.services.service import (
    service_request_assign,
    service_request_close,
    service_request_rate,
    service_request_reopen,
    service_request_resolve,
    service_request_respond,
    service_request_resume,
    service_request_wait_on_client,
    sla_provisional_deadlines_refresh,
)
from tests.conftest import Cast
from tests.interactions.sla_support import at, open_request, set_policy

pytestmark = pytest.mark.django_db

H = 3600


@pytest.fixture
def strategic(cast: Cast) -> Cast:
    cast.account.tier = "strategic"
    cast.account.save(update_fields=["tier"])
    set_policy("strategic", "high", 2, 16, escalate=True)
    set_policy("strategic", "normal", 4, 24, escalate=True)
    return cast


def _travel(moment: dt.datetime) -> time_machine.travel:
    return time_machine.travel(moment, tick=False)


def test_the_whole_life_of_a_request_across_national_day(strategic: Cast) -> None:
    owner = strategic.owner
    with _travel(at(2026, 9, 29, 10)):  # Tuesday
        sr = open_request(strategic.account, by=owner)
    # Strategic / high: first response 2h → Tue 12:00; resolution 16h: Tue 8h + Wed 09–17.
    assert sr.first_response_due == at(2026, 9, 29, 12)
    assert sr.resolution_due == at(2026, 9, 30, 17)
    assert sr.due_at == sr.first_response_due
    assert sr.assignee == owner and sr.tier == "strategic"
    assert (sr.response_target_minutes, sr.resolution_target_minutes) == (120, 960)

    with _travel(at(2026, 9, 29, 11)):
        sr = service_request_respond(request=sr, user=owner, note="Called the CFO back.")
    assert sr.state == RequestState.RESPONDED
    assert sr.response_seconds == 1 * H
    assert sr.due_at == sr.resolution_due == at(2026, 9, 30, 17)

    with _travel(at(2026, 9, 30, 16)):  # 1h of the resolution clock left
        sr = service_request_wait_on_client(request=sr, user=owner, note="Need the EPC contract.")
    assert sr.state == RequestState.WAITING and sr.due_at is None
    assert sr.clock(at(2026, 10, 5, 12)).remaining == dt.timedelta(hours=1)  # frozen

    with _travel(at(2026, 10, 9, 10)):  # Friday after the Golden Week
        sr = service_request_resume(request=sr, user=owner)
    # Paused: Wed 16–18 (2h) + Thu 8 Oct (9h) + Fri 9–10 (1h) = 12h.
    assert sr.paused_seconds == 12 * H
    # Due = opened + 16h + 12h = 28h: Tue 8h, Wed 9h, 8 Oct 9h, Fri 09:00 + 2h.
    assert sr.resolution_due == at(2026, 10, 9, 11)
    assert sr.due_at == sr.resolution_due

    with _travel(at(2026, 10, 9, 10, 30)):  # 30 minutes left
        sr = service_request_wait_on_client(request=sr, user=owner, note="Board approval.")
    with _travel(at(2026, 10, 10, 9, 30)):  # Saturday 10 Oct, an adjusted working day
        sr = service_request_resume(request=sr, user=owner)
    # Paused again: Fri 10:30–18:00 (7.5h) + Sat 09:00–09:30 (0.5h) = 8h; total 20h.
    assert sr.paused_seconds == 20 * H
    # 30 minutes left from Sat 09:30.
    assert sr.resolution_due == at(2026, 10, 10, 10)

    with _travel(at(2026, 10, 10, 9, 50)):
        sr = service_request_resolve(request=sr, user=owner, note="Term sheet agreed.")
    assert sr.state == RequestState.RESOLVED and sr.resolution_met is True
    # Business time opened → resolved: 8 + 9 + 9 + 9 h + 50m = 35h50m, less 20h paused.
    assert sr.resolution_seconds == 15 * H + 50 * 60
    assert sr.due_at is None

    with _travel(at(2026, 10, 10, 11)):
        sr = service_request_rate(request=sr, user=owner, score=5, comment="Quick and clear.")
        sr = service_request_close(request=sr, user=owner)
    assert sr.state == RequestState.CLOSED and sr.satisfaction == 5

    with _travel(at(2026, 10, 12, 10)):  # Monday
        sr = service_request_reopen(request=sr, user=owner, note="Client asks for a change.")
    # Stopped from Sat 09:50 to Mon 10:00: 8h10m + 1h more → 29h10m paused; 10 minutes left.
    assert sr.paused_seconds == 29 * H + 10 * 60
    assert sr.resolution_due == at(2026, 10, 12, 10, 10)
    assert sr.state == RequestState.RESPONDED
    assert sr.satisfaction is None and sr.resolved_at is None

    history = list(
        ServiceRequestEvent.objects.filter(request=sr).values_list(
            "action", "from_state", "to_state", "actor"
        )
    )
    assert [row[0] for row in history] == [
        "opened",
        "responded",
        "paused",
        "resumed",
        "paused",
        "resumed",
        "resolved",
        "rated",
        "closed",
        "reopened",
    ]
    assert history[2][1:] == ("responded", "waiting_on_client", owner.pk)
    assert history[-1][1:] == ("closed", "responded", owner.pk)
    reopened = ServiceRequestEvent.objects.filter(request=sr, action="reopened").get()
    assert "5/5" in reopened.note  # the earlier score stays in the history


def test_pausing_and_resuming_many_times_gives_the_arithmetic_deadline(strategic: Cast) -> None:
    owner = strategic.owner
    with _travel(at(2026, 11, 23, 9)):  # Monday
        sr = open_request(strategic.account, priority="normal")
        sr = service_request_respond(request=sr, user=owner)
    # Strategic / normal: resolution 24h → Mon 9h, Tue 9h, Wed 09:00 + 6h = 15:00.
    assert sr.resolution_due == at(2026, 11, 25, 15)
    # Ten pauses of 30 minutes on Tuesday: 09:00, 09:50, 10:40 … 16:30.
    for index in range(10):
        start = at(2026, 11, 24, 9) + dt.timedelta(minutes=50 * index)
        with _travel(start):
            sr = service_request_wait_on_client(request=sr, user=owner, note=f"Question {index}")
        with _travel(start + dt.timedelta(minutes=30)):
            sr = service_request_resume(request=sr, user=owner)
    assert sr.paused_seconds == 5 * H
    # 24h + 5h = 29h: Mon 9, Tue 9, Wed 9 → Thu 26 Nov 09:00 + 2h = 11:00.
    assert sr.resolution_due == at(2026, 11, 26, 11)
    with _travel(at(2026, 11, 26, 10)):
        sr = service_request_wait_on_client(request=sr, user=owner, note="Weekend")
    # One more pause across the weekend, Thu 10:00 → Mon 10:00: 8h + 9h (Fri) + 1h = 18h.
    with _travel(at(2026, 11, 30, 10)):
        sr = service_request_resume(request=sr, user=owner)
    assert sr.paused_seconds == 5 * H + 18 * H
    # The hour that was left runs from Monday 10:00.
    assert sr.resolution_due == at(2026, 11, 30, 11)
    assert ServiceRequestEvent.objects.filter(request=sr, action="paused").count() == 11


def test_requests_are_due_by_tier_and_priority(cast: Cast) -> None:
    set_policy("standard", "low", 40, 160)
    set_policy("standard", "urgent", 8, 40)
    with _travel(at(2026, 11, 27, 16)):  # Friday 16:00
        low = open_request(cast.account, priority="low")
        urgent = open_request(cast.account, priority="urgent")
    # Urgent 8h: Fri 2h + Mon 09:00 + 6h = 15:00.
    assert urgent.first_response_due == at(2026, 11, 30, 15)
    # Low 40h: Fri 2h + Mon–Thu 36h = 38h → Fri 4 Dec 09:00 + 2h = 11:00.
    assert low.first_response_due == at(2026, 12, 4, 11)


def test_a_policy_may_let_the_resolution_count_as_the_response(cast: Cast) -> None:
    set_policy("standard", "normal", 24, 120, requires_response=False)
    with _travel(at(2026, 11, 23, 10)):
        sr = open_request(cast.account, priority="normal")
    with _travel(at(2026, 11, 23, 15)):
        sr = service_request_resolve(request=sr, user=cast.owner, note="Sent the confirmation.")
    assert sr.responded_at == sr.resolved_at == at(2026, 11, 23, 15)
    assert sr.response_seconds == sr.resolution_seconds == 5 * H


def test_resolving_while_waiting_ends_the_pause_first(strategic: Cast) -> None:
    owner = strategic.owner
    with _travel(at(2026, 11, 23, 9)):
        sr = open_request(strategic.account)  # high: resolution 16h → Tue 16:00
        sr = service_request_respond(request=sr, user=owner)
    with _travel(at(2026, 11, 24, 15)):  # 1h left
        sr = service_request_wait_on_client(request=sr, user=owner, note="Waiting for KYC.")
    with _travel(at(2026, 11, 26, 10)):  # long after the frozen deadline
        sr = service_request_resolve(request=sr, user=owner, note="Client sent KYC; done.")
    # Paused Tue 15–18 (3h) + Wed 9h + Thu 1h = 13h, so the request was resolved in time.
    assert sr.paused_seconds == 13 * H
    assert sr.resolution_due == at(2026, 11, 26, 11)
    assert sr.resolution_met is True
    assert not SlaBreach.objects.filter(request=sr).exists()


def test_reassigning_stays_on_the_account_team(cast: Cast) -> None:
    with _travel(at(2026, 11, 23, 10)):
        sr = open_request(cast.account)
        sr = service_request_assign(request=sr, user=cast.owner, assignee=cast.teammate)
        assert sr.assignee == cast.teammate
        with pytest.raises(ValidationError) as excinfo:
            service_request_assign(request=sr, user=cast.owner, assignee=cast.outsider)
    assert "account team" in str(excinfo.value)
    assert ServiceRequest.objects.get(pk=sr.pk).assignee == cast.teammate


# ---------------------------------------------------------------- bad input


def _state(sr: ServiceRequest) -> tuple[str, int]:
    sr.refresh_from_db()
    return sr.state, sr.events.count()


def test_a_response_before_the_opening_is_refused(cast: Cast) -> None:
    with _travel(at(2026, 11, 23, 10)):
        sr = open_request(cast.account)
    with _travel(at(2026, 11, 23, 11)):
        with pytest.raises(ValidationError) as excinfo:
            service_request_respond(request=sr, user=cast.owner, responded_at=at(2026, 11, 23, 9))
        assert "before the request was opened" in " ".join(
            excinfo.value.message_dict["responded_at"]
        )
        with pytest.raises(ValidationError) as future:
            service_request_respond(request=sr, user=cast.owner, responded_at=at(2026, 11, 23, 12))
        assert "future" in str(future.value)
    assert _state(sr) == ("new", 1)
    # The database refuses it too.
    with pytest.raises(IntegrityError), transaction.atomic():
        ServiceRequest.objects.filter(pk=sr.pk).update(responded_at=at(2026, 11, 22, 9))


def test_resolving_a_never_responded_request_is_refused_when_the_policy_requires_it(
    cast: Cast,
) -> None:
    set_policy("standard", "high", 16, 72, requires_response=True)
    with _travel(at(2026, 11, 23, 10)):
        sr = open_request(cast.account)
    with _travel(at(2026, 11, 23, 12)), pytest.raises(ValidationError) as excinfo:
        service_request_resolve(request=sr, user=cast.owner, note="Done")
    assert "never responded to" in str(excinfo.value)
    assert _state(sr) == ("new", 1)


def test_transitions_out_of_order_and_missing_notes_are_refused(cast: Cast) -> None:
    with _travel(at(2026, 11, 23, 10)):
        sr = open_request(cast.account)
        with pytest.raises(ValidationError, match="cannot be put on hold"):
            service_request_wait_on_client(request=sr, user=cast.owner, note="x")
        with pytest.raises(ValidationError, match="cannot be rated"):
            service_request_rate(request=sr, user=cast.owner, score=4)
        with pytest.raises(ValidationError, match="cannot be reopened"):
            service_request_reopen(request=sr, user=cast.owner, note="x")
        sr = service_request_respond(request=sr, user=cast.owner)
        with pytest.raises(ValidationError) as no_note:
            service_request_wait_on_client(request=sr, user=cast.owner, note="  ")
        assert "note" in no_note.value.message_dict
        with pytest.raises(ValidationError, match="cannot be responded to"):
            service_request_respond(request=sr, user=cast.owner)
        sr = service_request_resolve(request=sr, user=cast.owner, note="Done")
        with pytest.raises(ValidationError) as bad_score:
            service_request_rate(request=sr, user=cast.owner, score=6)
        assert "score" in bad_score.value.message_dict
        with pytest.raises(ValidationError) as no_reason:
            service_request_reopen(request=sr, user=cast.owner, note="")
        assert "note" in no_reason.value.message_dict
    assert _state(sr) == ("resolved", 3)


def test_a_resolution_before_the_last_change_is_refused(cast: Cast) -> None:
    with _travel(at(2026, 11, 23, 10)):
        sr = open_request(cast.account)
    with _travel(at(2026, 11, 23, 14)):
        sr = service_request_respond(request=sr, user=cast.owner)
    with _travel(at(2026, 11, 23, 16)), pytest.raises(ValidationError) as excinfo:
        service_request_resolve(
            request=sr, user=cast.owner, note="Done", resolved_at=at(2026, 11, 23, 12)
        )
    assert "last change" in " ".join(excinfo.value.message_dict["resolved_at"])
    assert _state(sr) == ("responded", 2)


def test_opening_in_the_future_or_without_a_policy_is_refused(cast: Cast) -> None:
    with _travel(at(2026, 11, 23, 10)):
        with pytest.raises(ValidationError) as future:
            open_request(cast.account, opened_at=at(2026, 11, 23, 11))
        assert "opened_at" in future.value.message_dict
        SlaPolicy.objects.filter(tier="standard", priority="low").delete()
        with pytest.raises(ValidationError, match="no SLA policy"):
            open_request(cast.account, priority="low")
    assert not ServiceRequest.objects.exists()


_published_workday = business_time.chinese_calendar.is_workday


def _calendar_2027_published(day: dt.date) -> bool:
    """A stand-in for an upgraded chinesecalendar: 2027 known, with New Year's Day off."""
    if day.year == 2027:
        return day.weekday() < 5 and day != dt.date(2027, 1, 1)
    return _published_workday(day)


def test_a_deadline_in_an_unknown_calendar_year_is_provisional_then_recomputed(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_policy("standard", "high", 16, 72)
    with _travel(at(2026, 12, 30, 10)):
        request = open_request(cast.account)  # 72 business hours reach into January 2027
        clock = request.clock()
    # Response: 8 h on Wed 30 Dec, 8 more on Thu 31 Dec → 31 Dec 17:00 (2026: published).
    assert request.first_response_due == at(2026, 12, 31, 17)
    # Resolution: 17 h by 31 Dec; 2027 counts Mon–Fri less its statutory holidays,
    # provisionally: Fri 1 Jan off, Mon 4 to Fri 8 Jan 62 h, Mon 11 Jan 71 h, 1 h on Tue 12 Jan.
    assert request.resolution_due == at(2027, 1, 12, 10)
    assert request.deadlines_provisional and clock.provisional
    # 2027 still unknown: nothing changes.
    assert sla_provisional_deadlines_refresh().changed == 0

    # chinesecalendar is upgraded and knows 2027 (1 Jan off): the daily job recomputes.
    monkeypatch.setattr(business_time.chinese_calendar, "is_workday", _calendar_2027_published)
    business_time._published.cache_clear()
    try:
        assert sla_provisional_deadlines_refresh().changed == 1
        assert sla_provisional_deadlines_refresh().changed == 0  # once
    finally:
        business_time._published.cache_clear()
    request.refresh_from_db()
    assert request.first_response_due == at(2026, 12, 31, 17)
    # The same days as the provisional count: no adjusted working day in these weeks.
    assert request.resolution_due == at(2027, 1, 12, 10)
    assert not request.deadlines_provisional
    assert request.due_at == request.first_response_due  # still new: the response clock runs


@pytest.mark.parametrize(
    ("response", "resolution", "field", "message"),
    [
        ("0", "8", "first_response_hours", "more than zero"),
        ("-2", "8", "first_response_hours", "more than zero"),
        ("2", "0", "resolution_hours", "more than zero"),
        ("4", "2", "resolution_hours", "cannot be shorter"),
    ],
)
def test_policies_with_zero_negative_or_inverted_targets_are_refused(
    db: None, response: str, resolution: str, field: str, message: str
) -> None:
    policy = SlaPolicy.objects.get(tier="key", priority="high")
    policy.first_response_hours = response
    policy.resolution_hours = resolution
    with pytest.raises(ValidationError) as excinfo:
        policy.full_clean()
    assert message in " ".join(excinfo.value.message_dict[field])
    with pytest.raises(IntegrityError), transaction.atomic():
        policy.save()


def test_the_admin_refuses_a_zero_target_with_a_clear_message(cast: Cast, client) -> None:
    policy = SlaPolicy.objects.get(tier="key", priority="high")
    client.force_login(cast.admin)
    url = f"/admin/interactions/slapolicy/{policy.pk}/change/"
    response = client.post(
        url,
        {
            "tier": "key",
            "priority": "high",
            "first_response_hours": "0",
            "resolution_hours": "24",
            "business_day_start": "09:00",
            "business_day_end": "18:00",
            "requires_response": "on",
        },
    )
    assert response.status_code == 200
    assert "A target must be more than zero business hours." in response.content.decode()
    policy.refresh_from_db()
    assert policy.first_response_hours > 0


def test_default_policies_cover_every_tier_and_priority(db: None) -> None:
    pairs = set(SlaPolicy.objects.values_list("tier", "priority"))
    assert len(pairs) == 16
    strategic_urgent = SlaPolicy.objects.get(tier="strategic", priority="urgent")
    assert strategic_urgent.escalate_to_lead
    assert not SlaPolicy.objects.get(tier="standard", priority="low").escalate_to_lead


def test_policy_changes_are_audited(db: None) -> None:
    from auditlog.models import LogEntry

    policy = SlaPolicy.objects.get(tier="key", priority="urgent")
    policy.first_response_hours = 3
    policy.save()
    entry = LogEntry.objects.get_for_object(policy).latest("timestamp")
    assert "first_response_hours" in entry.changes_dict
