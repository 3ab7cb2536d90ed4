"""Template helpers of service requests: the SLA clock badge (issue 5)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from accounts.rights import Right
from accounts.selectors import account_can
from kam.models import User

from ..business_time import format_business_duration
from ..models.service import ServiceRequest

register = template.Library()

# Under this much business time left, a running clock shows as a warning.
WARN_BELOW = dt.timedelta(hours=2)


@register.simple_tag
def sla_clock(request: ServiceRequest, now: dt.datetime | None = None) -> SafeString:
    """Business time left (or overdue) on the clock that runs now, as a badge; no query.
    Written in Python: the home and the request list show one per row."""
    clock = request.clock(now or timezone.now())
    if clock.kind == "stopped":
        return mark_safe('<span class="text-secondary">—</span>')  # noqa: S308
    text = ""
    if clock.remaining is not None:
        text = format_business_duration(clock.remaining, hours=request.hours)
    due = timezone.localtime(clock.due).strftime("%Y-%m-%d %H:%M") if clock.due else ""
    if clock.kind == "paused":
        label = (
            gettext("Paused · %(text)s overdue")
            if clock.overdue
            else gettext("Paused · %(text)s left")
        )
        badge = format_html(
            '<span class="badge text-bg-secondary" title="{}">{}</span>',
            gettext("Waiting on the client: the resolution clock is paused."),
            label % {"text": text},
        )
    else:
        if clock.overdue:
            css = "text-bg-danger"
            title = (
                gettext("First response was due")
                if clock.kind == "response"
                else gettext("Resolution was due")
            )
            label = gettext("%(text)s overdue")
        else:
            warn = clock.running and clock.remaining is not None and clock.remaining < WARN_BELOW
            css = "text-bg-warning" if warn else "text-bg-success"
            title = (
                gettext("First response due")
                if clock.kind == "response"
                else gettext("Resolution due")
            )
            label = gettext("%(text)s left")
        badge = format_html(
            '<span class="badge {}" title="{} {}">{}</span>',
            css,
            title,
            due,
            label % {"text": text},
        )
    if clock.provisional:
        badge = format_html(
            '{} <span class="badge text-bg-light border" title="{}">{}</span>',
            badge,
            gettext(
                "Provisional: the working calendar of that year is not published yet "
                "(Monday to Friday less the statutory holidays counted)."
            ),
            gettext("provisional"),
        )
    return badge


@register.filter
def business_hours(seconds: int | None) -> str:
    """Seconds of business time as hours with one decimal (reports, request page)."""
    if seconds is None:
        return "—"
    return f"{seconds / 3600:.1f}"


@register.filter
def sees_service_report(user: Any) -> bool:
    from ..selectors.service import can_see_service_report

    return isinstance(user, User) and can_see_service_report(user)


@register.filter
def business_hours_from_minutes(minutes: int | None) -> str:
    if minutes is None:
        return "—"
    hours = minutes / 60
    return f"{hours:g}" if hours == int(hours) else f"{hours:.2f}"


# What the panel shows of an assignee (their name): a whole user row is two dozen columns.
_ASSIGNEE_NAME = ("username", "first_name", "last_name")


@register.inclusion_tag("interactions/_account_service_panel.html", takes_context=True)
def account_service_panel(context: template.Context, account: Any) -> dict[str, Any]:
    """Open service requests of an account (fetched through the one door) on its page, soonest
    deadline first: one query, and one for their assignees when there are any."""
    from ..models.service import OPEN_STATES
    from ..selectors.service import order_by_due

    rows: list[ServiceRequest] = list(
        order_by_due(
            ServiceRequest.objects.filter(account=account, state__in=OPEN_STATES)
        ).prefetch_related(Prefetch("assignee", queryset=User.objects.only(*_ASSIGNEE_NAME)))[:6]
    )
    return {
        "account": account,
        "requests": rows[:5],
        "more": len(rows) > 5,
        "can_edit": account_can(user=context["request"].user, account=account, right=Right.SERVICE),
        "now": timezone.now(),
    }
