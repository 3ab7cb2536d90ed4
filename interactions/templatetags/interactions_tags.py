"""Template helpers that let other apps' pages show relationship facts without their views
knowing about this app: the account page's relationship panel and the navigation item."""

from __future__ import annotations

from typing import Any

from django import template

from accounts.models import Account
from accounts.rights import Right
from accounts.selectors import account_can, account_tier_policy
from kam.models import User
from kam.quarters import Quarter

from ..selectors.interactions import cadence_for_account
from ..selectors.reviews import can_see_coverage, quarter_status_for_account

register = template.Library()


@register.filter
def sees_review_coverage(user: Any) -> bool:
    return isinstance(user, User) and user.is_authenticated and can_see_coverage(user)


@register.inclusion_tag("interactions/_account_panel.html", takes_context=True)
def account_relationship_panel(context: template.Context, account: Account) -> dict[str, Any]:
    """Cadence and this quarter's review on the account page (one query, and one for the
    contact statistics unless the account was read with them); the timeline itself has its
    own page. ``account`` was fetched through the one door."""
    policy = account_tier_policy(account)

    return {
        "account": account,
        "cadence": cadence_for_account(
            account=account,
            cadence_days=policy.cadence_days if policy else None,
            stats_read=True,  # the account page reads them with the account
        ),
        "review_status": quarter_status_for_account(
            account=account, quarter=Quarter.current(), policy=policy
        ),
        "can_edit": account_can(
            user=context["request"].user, account=account, right=Right.RELATIONSHIP
        ),
    }
