"""Calendar quarters in the portal's time zone (Asia/Shanghai): a review held at 23:30 on
31 March in Beijing belongs to Q1 even though it is already 1 April nowhere near here."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

_QUARTER_RE = re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE)


def portal_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    quarter: int

    def __str__(self) -> str:
        return f"{self.year} Q{self.quarter}"

    @property
    def slug(self) -> str:
        return f"{self.year}Q{self.quarter}"

    @classmethod
    def of(cls, value: dt.date | dt.datetime) -> Quarter:
        """The quarter of a date, or of an aware datetime read in the portal's time zone."""
        if isinstance(value, dt.datetime):
            value = timezone.localtime(value, portal_tz()).date()
        return cls(value.year, (value.month - 1) // 3 + 1)

    @classmethod
    def current(cls) -> Quarter:
        return cls.of(today())

    @classmethod
    def parse(cls, text: str | None) -> Quarter | None:
        match = _QUARTER_RE.match((text or "").strip())
        if not match:
            return None
        year = int(match.group(1))
        if not 2000 <= year <= 2100:
            return None
        return cls(year, int(match.group(2)))

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, 3 * self.quarter - 2, 1)

    @property
    def last_day(self) -> dt.date:
        return self.next().first_day - dt.timedelta(days=1)

    @property
    def start(self) -> dt.datetime:
        """The first instant of the quarter (aware, portal time zone)."""
        return dt.datetime.combine(self.first_day, dt.time.min, tzinfo=portal_tz())

    @property
    def end(self) -> dt.datetime:
        """The first instant after the quarter."""
        return self.next().start

    def next(self) -> Quarter:
        return (
            Quarter(self.year + 1, 1) if self.quarter == 4 else Quarter(self.year, self.quarter + 1)
        )

    def previous(self) -> Quarter:
        return (
            Quarter(self.year - 1, 4) if self.quarter == 1 else Quarter(self.year, self.quarter - 1)
        )

    def days_left(self, on: dt.date) -> int:
        """Whole days from ``on`` to the quarter's last day (0 on the last day)."""
        return (self.last_day - on).days


def today() -> dt.date:
    return timezone.localdate(timezone=portal_tz())
