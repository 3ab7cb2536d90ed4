"""Template tags of tiering: the account page's tiering panel."""

from __future__ import annotations

from typing import Any

from django import template

from accounts.models import Account
from accounts.rights import Right
from accounts.selectors import account_can
from accounts.tiering.selectors import account_tiering_summary
from kam.models import User

register = template.Library()


@register.inclusion_tag("accounts/tiering/_score_card.html", takes_context=True)
def account_tiering_panel(context: template.Context, account: Account) -> dict[str, Any]:
    """Score with breakdown, override status, plan status and recent tier history.

    ``account`` must come from ``account_get_for_user`` (the page already checked access)."""
    user = context["request"].user
    assert isinstance(user, User)
    can_edit = account_can(user=user, account=account, right=Right.TIERING)
    return {
        "account": account,
        "tiering": account_tiering_summary(
            user=user,
            account=account,
            writable=can_edit,
            score_read=True,  # the account page reads it with the account
        ),
        "can_edit": can_edit,
        "request": context["request"],
    }
