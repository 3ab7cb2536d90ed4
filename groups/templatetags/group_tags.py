"""The account page's link to the account's client group (the accounts app knows nothing of
groups: the template asks here)."""

from __future__ import annotations

from typing import Any

from django import template

from accounts.models import Account

from ..selectors import group_of_account

register = template.Library()


@register.inclusion_tag("groups/_account_group.html")
def account_group(account: Account) -> dict[str, Any]:
    """The account's group, for a user who sees the account (and so the group): one query."""
    return {"membership": group_of_account(account=account)}
