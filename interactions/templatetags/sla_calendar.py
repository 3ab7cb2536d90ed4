"""The working-calendar notice for administrators (the Django admin index): from 1 November
a next year, and always a current year, that the installed chinesecalendar does not know."""

from __future__ import annotations

from django import template

from ..business_time import calendar_missing_years, calendar_unknown_message

register = template.Library()


@register.simple_tag
def sla_calendar_notices() -> list[str]:
    """One message per year the working calendar should know by today and does not."""
    return [calendar_unknown_message(year) for year in calendar_missing_years()]
