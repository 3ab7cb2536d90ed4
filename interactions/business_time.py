"""Business time on mainland China's working calendar.

Which days are working days comes from the ``chinesecalendar`` package: weekends, the public
holidays and the official adjusted working days (调休) as the State Council publishes them
each year. The package knows the years published when it was released. A day of a year it
does not know yet (each November the next year's arrangement is published, and the package
follows within days) is counted **provisionally** from the ``holidays`` package: Monday to
Friday except the statutory holidays it knows for China (New Year's Day, Spring Festival,
Qingming, Labour Day, Dragon Boat, Mid-Autumn, National Day, and the weekdays given for those
that fall on a weekend). The adjusted working weekend days are not known until the arrangement
is published, so such a deadline is still flagged provisional on the request
(``ServiceRequest.deadlines_provisional``) and recomputed by a daily job (or the
``sla_recompute_deadlines`` command) once an upgraded package knows the year.
``calendar_covers`` tells known days from provisional ones; a system check and a banner on the
admin index report a current year not yet known, and from 1 November a next year not yet known.

A business day is one window per working day (e.g. 09:00–18:00 Asia/Shanghai). The engine
adds business time to an instant and measures the business time between two instants,
optionally leaving out paused intervals (a request waiting on the client).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from typing import Any
from zoneinfo import ZoneInfo

import chinese_calendar
import holidays
from django.core.checks import CheckMessage, Info, register
from django.utils import timezone
from django.utils.translation import gettext

SHANGHAI = ZoneInfo("Asia/Shanghai")
ZERO = dt.timedelta(0)
ONE_DAY = dt.timedelta(days=1)
# A deadline further away than this means something is wrong (a target of years).
MAX_SEARCH_DAYS = 800
# The State Council publishes the next year's holiday arrangement in the autumn (late October
# to mid-November): from this day of the year on, a next year the calendar does not know is
# reported, so the upgrade is planned before deadlines reach into that year.
NEXT_YEAR_NOTICE_FROM = (11, 1)


def _package_version() -> str:
    try:
        return version("chinesecalendar")
    except PackageNotFoundError:  # pragma: no cover - installed from a checkout
        return "?"


def calendar_unknown_message(year: int) -> str:
    return gettext(
        "The mainland-China working calendar for %(year)s is not known yet (chinesecalendar "
        "%(version)s): SLA deadlines in %(year)s count Monday to Friday as working days, "
        "less the statutory holidays known to the holidays package, and are marked "
        "provisional (the adjusted working weekend days are not known) until the package is "
        "upgraded, when a daily job recomputes them. Upgrade chinesecalendar once the State "
        "Council has published the %(year)s holiday arrangement."
    ) % {"year": year, "version": _package_version()}


@lru_cache(maxsize=4096)
def _published(day: dt.date) -> bool | None:
    """Whether ``day`` is a working day by the published calendar; None when not known."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return None


@lru_cache(maxsize=8)
def _statutory(year: int) -> holidays.HolidayBase:
    """The holidays package's calendar of China for ``year`` (public holidays)."""
    return holidays.country_holidays("CN", years=year)


@lru_cache(maxsize=4096)
def _provisional_workday(day: dt.date) -> bool:
    """Monday to Friday less the statutory holidays the holidays package knows; a weekend day
    only when that package knows it as an adjusted working day (it may learn an arrangement
    before chinesecalendar does)."""
    return _statutory(day.year).is_working_day(day)


def is_workday(day: dt.date) -> bool:
    """Whether ``day`` is a working day in mainland China (adjusted working days included);
    in a year the calendar does not know yet, provisionally, Monday to Friday less the
    statutory holidays (``_provisional_workday``)."""
    published = _published(day)
    return _provisional_workday(day) if published is None else published


def calendar_covers(day: dt.date) -> bool:
    """Whether the published calendar knows ``day`` (otherwise ``is_workday`` is provisional)."""
    return _published(day) is not None


def calendar_missing_years(today: dt.date | None = None) -> list[int]:
    """The years the working calendar should know by ``today`` and does not: the current
    year, and from 1 November the next one (its arrangement is due to be published)."""
    today = today or timezone.localdate()
    years = [today.year]
    if (today.month, today.day) >= NEXT_YEAR_NOTICE_FROM:
        years.append(today.year + 1)
    return [year for year in years if not calendar_covers(dt.date(year, 1, 1))]


@register("sla")
def check_calendar_coverage(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Report a year the working calendar does not know: the current year (I001), and from
    1 November the next (I002). Their deadlines are provisional until chinesecalendar is
    upgraded. Info, not a warning: the portal keeps working, and a deployment check must not
    start failing on the first of November or of January, before a release may exist."""
    today = timezone.localdate()
    return [
        Info(
            calendar_unknown_message(year),
            hint=(
                "Upgrade chinesecalendar (pyproject.toml and constraints.txt), then run "
                "`manage.py sla_recompute_deadlines` (see README, the year-end calendar "
                "procedure)."
            ),
            id="interactions.I001" if year == today.year else "interactions.I002",
        )
        for year in calendar_missing_years(today)
    ]


@dataclass(frozen=True, slots=True)
class BusinessHours:
    """One working window per working day, in a time zone."""

    start: dt.time = dt.time(9)
    end: dt.time = dt.time(18)
    tz: ZoneInfo = SHANGHAI

    def __post_init__(self) -> None:
        if self.start >= self.end:
            raise ValueError("the business day must end after it starts")

    @property
    def day_length(self) -> dt.timedelta:
        return dt.datetime.combine(dt.date.min, self.end) - dt.datetime.combine(
            dt.date.min, self.start
        )

    def window(self, day: dt.date) -> tuple[dt.datetime, dt.datetime] | None:
        """The working window of ``day``, or None when it is not a working day."""
        if not is_workday(day):
            return None
        return (
            dt.datetime.combine(day, self.start, tzinfo=self.tz),
            dt.datetime.combine(day, self.end, tzinfo=self.tz),
        )


DEFAULT_HOURS = BusinessHours()


def _local(moment: dt.datetime, hours: BusinessHours) -> dt.datetime:
    if moment.tzinfo is None:
        raise ValueError("business time needs time-zone-aware datetimes")
    return moment.astimezone(hours.tz)


def add_business_time(
    start: dt.datetime, amount: dt.timedelta, *, hours: BusinessHours = DEFAULT_HOURS
) -> dt.datetime:
    """The instant ``amount`` of business time after ``start``.

    Starting outside the window counts from the next window's opening; a deadline that uses
    up a window exactly lands on that window's close (18:00), not on the next morning.
    """
    if amount < ZERO:
        raise ValueError("cannot add negative business time")
    current = _local(start, hours)
    if amount == ZERO:
        return current
    remaining = amount
    day = current.date()
    for _ in range(MAX_SEARCH_DAYS):
        window = hours.window(day)
        if window is not None:
            opens, closes = window
            begin = max(current, opens)
            if begin < closes:
                available = closes - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
        day += ONE_DAY
    raise ValueError(f"no deadline within {MAX_SEARCH_DAYS} days of {start.isoformat()}")


def business_time_between(
    start: dt.datetime, end: dt.datetime, *, hours: BusinessHours = DEFAULT_HOURS
) -> dt.timedelta:
    """Business time from ``start`` to ``end``; zero when ``end`` is not after ``start``."""
    begin, finish = _local(start, hours), _local(end, hours)
    if finish <= begin:
        return ZERO
    total = ZERO
    day = begin.date()
    last = finish.date()
    while day <= last:
        window = hours.window(day)
        if window is not None:
            lo, hi = max(begin, window[0]), min(finish, window[1])
            if hi > lo:
                total += hi - lo
        day += ONE_DAY
    return total


def business_time_between_excluding(
    start: dt.datetime,
    end: dt.datetime,
    pauses: Iterable[tuple[dt.datetime, dt.datetime]],
    *,
    hours: BusinessHours = DEFAULT_HOURS,
) -> dt.timedelta:
    """Business time from ``start`` to ``end`` with the paused intervals left out.

    Pauses may overlap each other or stick out of [start, end]; each business second is
    left out once.
    """
    clipped = sorted(
        (max(p_start, start), min(p_end, end)) for p_start, p_end in pauses if p_end > p_start
    )
    merged: list[tuple[dt.datetime, dt.datetime]] = []
    for p_start, p_end in clipped:
        if p_end <= p_start:
            continue
        if merged and p_start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], p_end))
        else:
            merged.append((p_start, p_end))
    total = business_time_between(start, end, hours=hours)
    for p_start, p_end in merged:
        total -= business_time_between(p_start, p_end, hours=hours)
    return total


def format_business_duration(amount: dt.timedelta, *, hours: BusinessHours = DEFAULT_HOURS) -> str:
    """``1d 3h 20m`` style, in business days of ``hours``' length (for clocks and reports)."""
    minutes = int(abs(amount).total_seconds() // 60)
    day_minutes = int(hours.day_length.total_seconds() // 60)
    days, rest = divmod(minutes, day_minutes)
    hrs, mins = divmod(rest, 60)
    parts = []
    if days:
        parts.append(gettext("%(n)sd") % {"n": days})
    if hrs:
        parts.append(gettext("%(n)sh") % {"n": hrs})
    if mins or not parts:
        parts.append(gettext("%(n)sm") % {"n": mins})
    return " ".join(parts)
