"""Quarter arithmetic in Asia/Shanghai, at the boundaries, with frozen time."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from interactions.services.reviews import reminder_plan
from kam.quarters import Quarter, today

SH = ZoneInfo("Asia/Shanghai")


def test_a_beijing_evening_on_the_last_day_still_belongs_to_the_quarter() -> None:
    late = dt.datetime(2026, 3, 31, 23, 30, tzinfo=SH)
    assert Quarter.of(late) == Quarter(2026, 1)
    # The same instant in UTC is 15:30 on 31 March; half an hour later in Beijing it is Q2
    # although UTC is still on 31 March.
    assert Quarter.of(dt.datetime(2026, 3, 31, 16, 30, tzinfo=dt.UTC)) == Quarter(2026, 2)


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        ("2026-03-31T15:59:59+00:00", Quarter(2026, 1)),  # 23:59:59 in Beijing
        ("2026-03-31T16:00:00+00:00", Quarter(2026, 2)),  # midnight in Beijing
        ("2026-12-31T15:59:59+00:00", Quarter(2026, 4)),
        ("2026-12-31T16:00:00+00:00", Quarter(2027, 1)),
    ],
)
def test_current_quarter_follows_the_beijing_calendar(instant: str, expected: Quarter) -> None:
    with time_machine.travel(dt.datetime.fromisoformat(instant), tick=False):
        assert Quarter.current() == expected
        assert Quarter.of(today()) == expected


def test_quarter_bounds_and_navigation() -> None:
    q4 = Quarter(2026, 4)
    assert q4.first_day == dt.date(2026, 10, 1)
    assert q4.last_day == dt.date(2026, 12, 31)
    assert q4.next() == Quarter(2027, 1)
    assert Quarter(2027, 1).previous() == q4
    assert q4.start == dt.datetime(2026, 10, 1, tzinfo=SH)
    assert q4.end == dt.datetime(2027, 1, 1, tzinfo=SH)
    assert Quarter.parse("2026Q4") == q4
    assert Quarter.parse("2026-q4") == q4
    assert Quarter.parse("2026Q5") is None
    assert Quarter.parse("<script>") is None


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (dt.date(2026, 3, 1), [(Quarter(2026, 1), "d30")]),  # 30 days left
        (dt.date(2026, 2, 28), []),  # 31 days left: nothing yet
        (dt.date(2026, 3, 16), [(Quarter(2026, 1), "d30")]),  # 15 left
        (dt.date(2026, 3, 17), [(Quarter(2026, 1), "d14")]),  # 14 left
        (dt.date(2026, 3, 24), [(Quarter(2026, 1), "d7")]),  # 7 left
        (dt.date(2026, 3, 31), [(Quarter(2026, 1), "d7")]),  # last day
        (dt.date(2026, 4, 1), [(Quarter(2026, 1), "overdue")]),  # escalate the old quarter
        (dt.date(2026, 4, 30), [(Quarter(2026, 1), "overdue")]),
        (dt.date(2026, 5, 1), []),  # the escalation window has closed
        (dt.date(2027, 1, 1), [(Quarter(2026, 4), "overdue")]),
    ],
)
def test_reminder_plan_per_day(day: dt.date, expected: list[tuple[Quarter, str]]) -> None:
    assert [(q, str(s)) for q, s in reminder_plan(day)] == expected
