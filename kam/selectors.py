"""Reads of the audit trail (changes in django-auditlog, sensitive reads in AccessLog), and of a
user's own sessions."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from auditlog.models import LogEntry
from django.conf import settings
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from .models import AccessLog, User, UserSession


def _day_bounds(
    date_from: dt.date | None, date_to: dt.date | None
) -> tuple[dt.datetime | None, dt.datetime | None]:
    tz = ZoneInfo(settings.TIME_ZONE)
    start = dt.datetime.combine(date_from, dt.time.min, tzinfo=tz) if date_from else None
    end = (
        dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
        if date_to
        else None
    )
    return start, end


def audit_changes(
    *,
    user: User | None = None,
    account_id: int | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[LogEntry]:
    qs = LogEntry.objects.select_related("actor", "content_type").order_by("-timestamp", "-pk")
    if user is not None:
        qs = qs.filter(actor=user)
    if account_id is not None:
        qs = qs.filter(additional_data__account_id=account_id)
    start, end = _day_bounds(date_from, date_to)
    if start:
        qs = qs.filter(timestamp__gte=start)
    if end:
        qs = qs.filter(timestamp__lt=end)
    return qs


def audit_reads(
    *,
    user: User | None = None,
    account_id: int | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[AccessLog]:
    qs = AccessLog.objects.select_related("user").order_by("-at", "-pk")
    if user is not None:
        qs = qs.filter(user=user)
    if account_id is not None:
        qs = qs.filter(account_id=account_id)
    start, end = _day_bounds(date_from, date_to)
    if start:
        qs = qs.filter(at__gte=start)
    if end:
        qs = qs.filter(at__lt=end)
    return qs


def user_session_list_for_user(*, user: User) -> QuerySet[UserSession]:
    """The user's sessions that have not expired, the most recently used first."""
    return UserSession.objects.filter(user=user, session__expire_date__gt=timezone.now()).order_by(
        "-last_seen", "-pk"
    )


def user_session_get_for_user(*, user: User, pk: int) -> UserSession:
    """One of the user's own live sessions; 404 for anyone else's."""
    return get_object_or_404(user_session_list_for_user(user=user), pk=pk)
