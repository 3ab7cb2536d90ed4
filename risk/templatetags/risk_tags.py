"""Template helpers that let other apps' pages show risk without their views knowing about
this app: the account page's risk panel and the risk-level badge."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from accounts.models import Account
from kam.models import User

from ..choices import RiskLevel
from ..selectors import account_risk_summary, user_triages_alerts, watch_list_overdue_count

register = template.Library()

_CODES = {level.value: level.name.lower() for level in RiskLevel}


@register.filter
def risk_level_code(level: Any) -> str:
    """0..3 → green/yellow/orange/red (CSS class suffix)."""
    try:
        return _CODES.get(int(level or 0), "green")
    except (TypeError, ValueError):
        return "green"


@register.filter
def risk_level_label(level: Any) -> str:
    try:
        return str(RiskLevel(int(level or 0)).label)
    except (TypeError, ValueError):
        return str(RiskLevel.GREEN.label)


@register.filter
def triages_alerts(user: Any) -> bool:
    return isinstance(user, User) and user.is_authenticated and user_triages_alerts(user)


@register.inclusion_tag("risk/_account_panel.html", takes_context=True)
def account_risk_panel(context: template.Context, account: Account) -> dict[str, Any]:
    """Risk level and active alerts on the account page (two queries at most); ``account``
    was fetched through the one door."""
    return {
        "account": account,
        "risk": account_risk_summary(user=context["request"].user, account=account),
    }


@register.inclusion_tag("risk/_watch_list_link.html", takes_context=True)
def watch_list_link(context: template.Context) -> dict[str, Any]:
    """The link to the watch list with the number of reviews overdue (one count query), for
    the risk officer's pages."""
    user = context["request"].user
    return {"overdue": watch_list_overdue_count(user=user)}


@register.simple_tag
def risk_badge(level: Any) -> SafeString:
    """The risk-level badge every list shows (a tag, not an include: lists show it per row)."""
    return format_html(
        '<span class="badge risk-badge risk-{}" title="{}">{}</span>',
        risk_level_code(level),
        _("Risk level"),
        risk_level_label(level),
    )


@register.simple_tag
def severity_badge(severity: Any, label: Any) -> SafeString:
    """An alert's or rule's severity (a tag, not an include: lists show it per row)."""
    return format_html('<span class="badge severity-badge severity-{}">{}</span>', severity, label)


@register.simple_tag
def alert_state_badge(state: Any, label: Any) -> SafeString:
    return format_html('<span class="badge alert-state alert-state-{}">{}</span>', state, label)
