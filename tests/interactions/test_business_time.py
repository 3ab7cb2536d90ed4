"""Business-time arithmetic on mainland China's working calendar.

Every expected value is worked out by hand in the comment beside it, from the official
arrangements (国务院办公厅 holiday notices) for 2026:
- Spring Festival: off Sun 15 Feb – Mon 23 Feb; working Saturdays 14 Feb and 28 Feb.
- Mid-Autumn: off Fri 25 Sep – Sun 27 Sep.
- National Day: off Thu 1 Oct – Wed 7 Oct; working Sunday 20 Sep and Saturday 10 Oct.
The business day is 09:00–18:00 Asia/Shanghai (9 hours).
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.checks import WARNING

from interactions.business_time import (
    SHANGHAI,
    BusinessHours,
    add_business_time,
    business_time_between,
    business_time_between_excluding,
    calendar_covers,
    check_calendar_coverage,
    format_business_duration,
    is_workday,
)

H = dt.timedelta(hours=1)
M = dt.timedelta(minutes=1)


def at(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> dt.datetime:
    return dt.datetime(y, mo, d, h, mi, tzinfo=SHANGHAI)


def test_the_calendar_knows_the_2026_arrangement() -> None:
    assert not is_workday(dt.date(2026, 10, 1))  # National Day
    assert not is_workday(dt.date(2026, 10, 7))  # last day of the Golden Week
    assert is_workday(dt.date(2026, 10, 10))  # Saturday, adjusted working day
    assert is_workday(dt.date(2026, 9, 20))  # Sunday, adjusted working day
    assert is_workday(dt.date(2026, 2, 14))  # Saturday before the Spring Festival
    assert is_workday(dt.date(2026, 2, 28))  # Saturday after it
    assert not is_workday(dt.date(2026, 2, 23))  # Monday, still Spring Festival
    assert not is_workday(dt.date(2026, 11, 28))  # an ordinary Saturday
    assert is_workday(dt.date(2026, 11, 30))  # an ordinary Monday


# ---------------------------------------------------------------- adding business time


@pytest.mark.parametrize(
    ("start", "amount", "expected"),
    [
        # Inside one day: Mon 10:00 + 3h = 13:00.
        (at(2026, 11, 23, 10), 3 * H, at(2026, 11, 23, 13)),
        # Using up the window exactly lands on its close, not on the next morning.
        (at(2026, 11, 23, 10), 8 * H, at(2026, 11, 23, 18)),
        # Before opening counts from 09:00: Mon 07:30 + 1h = 10:00.
        (at(2026, 11, 23, 7, 30), 1 * H, at(2026, 11, 23, 10)),
        # After closing counts from the next morning: Mon 18:00 + 1h = Tue 10:00.
        (at(2026, 11, 23, 18), 1 * H, at(2026, 11, 24, 10)),
        # Across a weekend: Fri 27 Nov 16:00 has 2h left; Sat/Sun off; Mon 30 Nov 09:00+2h.
        (at(2026, 11, 27, 16), 4 * H, at(2026, 11, 30, 11)),
        # Starting on a Saturday: Mon 09:00 + 1h.
        (at(2026, 11, 28, 12), 1 * H, at(2026, 11, 30, 10)),
        # Across a weekend with 20 minutes to spare: Fri 17:40 + 40m = Mon 09:20.
        (at(2026, 11, 27, 17, 40), 40 * M, at(2026, 11, 30, 9, 20)),
        # A full business week: Mon 09:00 + 45h = Fri 18:00 (5 × 9h).
        (at(2026, 11, 23, 9), 45 * H, at(2026, 11, 27, 18)),
    ],
)
def test_add_business_time_on_ordinary_weeks(
    start: dt.datetime, amount: dt.timedelta, expected: dt.datetime
) -> None:
    assert add_business_time(start, amount) == expected


@pytest.mark.parametrize(
    ("start", "amount", "expected"),
    [
        # Wed 30 Sep 15:00: 3h left that day; 1–7 Oct off; Thu 8 Oct 09:00 + 7h = 16:00.
        (at(2026, 9, 30, 15), 10 * H, at(2026, 10, 8, 16)),
        # Fri 9 Oct 17:00: 1h left; Saturday 10 Oct is a working day: 09:00 + 1h = 10:00
        # (on an ordinary calendar this would be Monday 12 Oct 10:00).
        (at(2026, 10, 9, 17), 2 * H, at(2026, 10, 10, 10)),
        # Sat 10 Oct works, Sun 11 Oct does not: Sat 17:00 + 2h = Mon 12 Oct 10:00.
        (at(2026, 10, 10, 17), 2 * H, at(2026, 10, 12, 10)),
        # Sat 19 Sep is off, Sun 20 Sep is an adjusted working day: 09:00 + 1h.
        (at(2026, 9, 19, 10), 1 * H, at(2026, 9, 20, 10)),
        # Mid-Autumn: Thu 24 Sep 17:00 has 1h; 25–27 Sep off; Mon 28 Sep 09:00 + 1h.
        (at(2026, 9, 24, 17), 2 * H, at(2026, 9, 28, 10)),
        # Opened on National Day itself: counts from Thu 8 Oct 09:00.
        (at(2026, 10, 3, 11), 4 * H, at(2026, 10, 8, 13)),
        # A long target through the whole Golden Week: Mon 28 Sep 09:00 + 40h.
        # 28, 29, 30 Sep = 27h; then 8 Oct 9h (36h); Fri 9 Oct 09:00 + 4h = 13:00.
        (at(2026, 9, 28, 9), 40 * H, at(2026, 10, 9, 13)),
    ],
)
def test_add_business_time_across_national_day_2026(
    start: dt.datetime, amount: dt.timedelta, expected: dt.datetime
) -> None:
    assert add_business_time(start, amount) == expected


@pytest.mark.parametrize(
    ("start", "amount", "expected"),
    [
        # Fri 13 Feb 17:00: 1h; Saturday 14 Feb is a working day: 09:00 + 2h = 11:00.
        (at(2026, 2, 13, 17), 3 * H, at(2026, 2, 14, 11)),
        # Sat 14 Feb 17:00: 1h; 15–23 Feb off; Tue 24 Feb 09:00 + 1h = 10:00.
        (at(2026, 2, 14, 17), 2 * H, at(2026, 2, 24, 10)),
        # Fri 27 Feb 18:00 + 9h: Saturday 28 Feb works all day → 18:00.
        (at(2026, 2, 27, 18), 9 * H, at(2026, 2, 28, 18)),
        # Thu 12 Feb 09:00 + 27h: 12, 13, 14 Feb = 27h exactly → Sat 14 Feb 18:00.
        (at(2026, 2, 12, 9), 27 * H, at(2026, 2, 14, 18)),
        # One more minute jumps the whole holiday: Tue 24 Feb 09:01.
        (at(2026, 2, 12, 9), 27 * H + M, at(2026, 2, 24, 9, 1)),
    ],
)
def test_add_business_time_across_spring_festival_2026(
    start: dt.datetime, amount: dt.timedelta, expected: dt.datetime
) -> None:
    assert add_business_time(start, amount) == expected


def test_a_year_the_calendar_does_not_know_counts_its_statutory_holidays_provisionally() -> None:
    """chinesecalendar 1.11 does not know 2027 (the arrangement is published each autumn):
    its days count Monday to Friday less the statutory holidays the holidays package knows,
    and ``calendar_covers`` says they are provisional. When an upgrade brings 2027, replace
    this with hand-computed 2027 cases."""
    assert calendar_covers(dt.date(2026, 12, 31)) and is_workday(dt.date(2026, 12, 31))
    assert not calendar_covers(dt.date(2027, 1, 1))
    assert not is_workday(dt.date(2027, 1, 1))  # a Friday, New Year's Day
    assert not is_workday(dt.date(2027, 1, 2))  # a Saturday
    assert is_workday(dt.date(2027, 1, 4))  # a Monday
    # Thu 31 Dec 17:00 + 2 h: 1 h on the 31st; Fri 1 Jan off; Mon 4 Jan 09:00 + 1 h.
    assert add_business_time(at(2026, 12, 31, 17), 2 * H) == at(2027, 1, 4, 10)
    # Thu 31 Dec 09:00 → Tue 5 Jan 09:00: 9 h on the 31st and 9 h on Mon 4 Jan.
    assert business_time_between(at(2026, 12, 31, 9), at(2027, 1, 5, 9)) == 18 * H
    # Inside 2026 nothing is needed from 2027.
    assert add_business_time(at(2026, 12, 31, 9), 9 * H) == at(2026, 12, 31, 18)


def test_add_accepts_other_time_zones_and_answers_in_shanghai_time() -> None:
    # Fri 27 Nov 08:00 UTC is 16:00 in Shanghai; + 4h = Mon 30 Nov 11:00 Shanghai.
    start = dt.datetime(2026, 11, 27, 8, tzinfo=dt.UTC)
    result = add_business_time(start, 4 * H)
    assert result == at(2026, 11, 30, 11)
    assert result.utcoffset() == dt.timedelta(hours=8)


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        add_business_time(dt.datetime(2026, 11, 23, 10), H)  # noqa: DTZ001
    with pytest.raises(ValueError, match="negative"):
        add_business_time(at(2026, 11, 23, 10), -H)
    with pytest.raises(ValueError, match="end after"):
        BusinessHours(start=dt.time(18), end=dt.time(9))
    assert add_business_time(at(2026, 11, 28, 12), dt.timedelta(0)) == at(2026, 11, 28, 12)


def test_other_business_hours() -> None:
    hours = BusinessHours(start=dt.time(8, 30), end=dt.time(17, 30))
    # Fri 27 Nov 17:00: 30m left; Mon 30 Nov 08:30 + 30m = 09:00.
    assert add_business_time(at(2026, 11, 27, 17), H, hours=hours) == at(2026, 11, 30, 9)


# ---------------------------------------------------------------- measuring business time


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (at(2026, 11, 23, 10), at(2026, 11, 23, 13, 30), 3 * H + 30 * M),
        # Fri 16:00 → Mon 11:00: 2h + 2h.
        (at(2026, 11, 27, 16), at(2026, 11, 30, 11), 4 * H),
        # A whole weekend measures nothing.
        (at(2026, 11, 28, 0), at(2026, 11, 30, 9), dt.timedelta(0)),
        # End before start measures nothing.
        (at(2026, 11, 30, 11), at(2026, 11, 27, 16), dt.timedelta(0)),
        # Wed 30 Sep 09:00 → Mon 12 Oct 09:00: 30 Sep, 8, 9 and Saturday 10 Oct = 36h.
        (at(2026, 9, 30, 9), at(2026, 10, 12, 9), 36 * H),
        # Fri 13 Feb 09:00 → Mon 2 Mar 09:00: 13, 14, 24, 25, 26, 27, 28 Feb = 7 × 9h.
        (at(2026, 2, 13, 9), at(2026, 3, 2, 9), 63 * H),
        # Evenings and nights do not count: Mon 17:00 → Tue 10:00 = 1h + 1h.
        (at(2026, 11, 23, 17), at(2026, 11, 24, 10), 2 * H),
    ],
)
def test_business_time_between(
    start: dt.datetime, end: dt.datetime, expected: dt.timedelta
) -> None:
    assert business_time_between(start, end) == expected


@pytest.mark.parametrize(
    ("start", "amount"),
    [
        (at(2026, 9, 30, 15), 10 * H),
        (at(2026, 2, 13, 17, 25), 31 * H + 7 * M),
        (at(2026, 11, 27, 16, 59), 123 * M),
        (at(2026, 1, 1, 12), 20 * H),  # New Year's Day; Sunday 4 Jan 2026 is a working day
    ],
)
def test_adding_then_measuring_gives_the_amount_back(
    start: dt.datetime, amount: dt.timedelta
) -> None:
    assert business_time_between(start, add_business_time(start, amount)) == amount


def test_new_year_2026_and_its_adjusted_sunday() -> None:
    # Wed 31 Dec 2025 17:00: 1h; 1–3 Jan 2026 off; Sunday 4 Jan works: 09:00 + 1h = 10:00.
    assert add_business_time(at(2025, 12, 31, 17), 2 * H) == at(2026, 1, 4, 10)


# ---------------------------------------------------------------- pauses


def test_pauses_are_left_out_by_hand() -> None:
    opened = at(2026, 11, 23, 10)  # Monday
    end = at(2026, 11, 27, 18)  # Friday close
    # Without pauses: Mon 8h + Tue–Fri 4 × 9h = 44h.
    assert business_time_between(opened, end) == 44 * H
    pauses = [
        (at(2026, 11, 23, 14), at(2026, 11, 24, 11)),  # Mon 14–18 (4h) + Tue 9–11 (2h)
        (at(2026, 11, 25, 10), at(2026, 11, 25, 10, 30)),  # 30m
        (at(2026, 11, 25, 20), at(2026, 11, 26, 8)),  # overnight: nothing
        (at(2026, 11, 24, 10), at(2026, 11, 24, 12)),  # overlaps the first: adds 11–12 (1h)
    ]
    # 44h − (4h + 2h + 30m + 0 + 1h) = 36h30m.
    assert business_time_between_excluding(opened, end, pauses) == 36 * H + 30 * M


def test_pause_across_national_day() -> None:
    # Opened Tue 29 Sep 10:00; paused Wed 30 Sep 16:00 → resumed Fri 9 Oct 10:00.
    # Paused business time: 30 Sep 2h + 8 Oct 9h + 9 Oct 1h = 12h.
    opened = at(2026, 9, 29, 10)
    pause = (at(2026, 9, 30, 16), at(2026, 10, 9, 10))
    assert business_time_between(*pause) == 12 * H
    # Measured to Sat 10 Oct 12:00 (a working day):
    # 29 Sep 8h + 30 Sep 7h (until 16:00) + 9 Oct 8h (from 10:00) + 10 Oct 3h = 26h.
    assert business_time_between_excluding(opened, at(2026, 10, 10, 12), [pause]) == 26 * H


def test_format_business_duration() -> None:
    assert format_business_duration(dt.timedelta(0)) == "0m"
    assert format_business_duration(25 * M) == "25m"
    assert format_business_duration(3 * H + 5 * M) == "3h 5m"
    assert format_business_duration(9 * H) == "1d"
    assert format_business_duration(-(20 * H + 1 * M)) == "2d 2h 1m"


def test_the_system_check_reports_a_current_year_the_calendar_does_not_know() -> None:
    with time_machine.travel(at(2026, 10, 28, 12), tick=False):
        assert check_calendar_coverage() == []
    with time_machine.travel(at(2027, 1, 4, 12), tick=False):
        (info,) = check_calendar_coverage()
    # Information, not a warning: deadlines keep running (provisionally), and a deployment
    # check with --fail-level WARNING does not start failing on the first of January.
    assert info.id == "interactions.I001" and "2027" in info.msg and "provisional" in info.msg
    assert not info.is_serious()
    assert info.level < WARNING
