"""Template tags of tiering: the account page's tiering panel."""

from __future__ import annotations

from typing import Any

from django import template

from accounts.models import Account
from accounts.tiering.selectors import account_tiering_summary
from kam.models import User

register = template.Library()


@register.inclusion_tag("accounts/tiering/_score_card.html", takes_context=True)
def account_tiering_panel(context: template.Context, account: Account) -> dict[str, Any]:
    """Score with breakdown, override status, plan status and recent tier history.

    ``account`` must come from ``account_get_for_user`` (the page already checked access)."""
    user = context["request"].user
    assert isinstance(user, User)
    can_edit = context.get("can_edit")
    return {
        "account": account,
        "tiering": account_tiering_summary(
            user=user,
            account=account,
            writable=None if can_edit is None else bool(can_edit),
            score_read=True,  # the account page reads it with the account
        ),
        "can_edit": bool(can_edit),
        "request": context["request"],
    }
