"""The RM home's own pieces (the other sections come from the apps that own them)."""

from __future__ import annotations

from dataclasses import dataclass

from accounts.models import Account, TierPolicy
from accounts.selectors import ACCOUNT_ROW_FIELDS, account_list_for_user
from interactions.selectors.reviews import accounts_missing_review, review_tiers
from kam.models import User
from kam.quarters import Quarter, today

HOME_ROWS = 8


@dataclass
class MissingReviews:
    quarter: Quarter
    days_left: int
    accounts: list[Account]
    more: bool


def home_reviews_missing(
    *, user: User, limit: int = HOME_ROWS, policies: dict[str, TierPolicy] | None = None
) -> MissingReviews:
    """My accounts whose tier requires a review this quarter and that have none held or
    scheduled (interactions.selectors.reviews). One row more than shown says whether there
    are more, without counting them."""
    quarter = Quarter.current()
    # Their own accounts through the one door, in one WHERE (no subquery of it); no owner or
    # team to join.
    mine = account_list_for_user(user=user).filter(owner=user)
    missing = (
        (
            accounts_missing_review(
                quarter=quarter, scheduled_counts=True, tiers=review_tiers(policies)
            )
            & mine
        )
        .only(*ACCOUNT_ROW_FIELDS)
        .order_by("legal_name_en", "pk")
    )
    accounts = list(missing[: limit + 1])
    return MissingReviews(
        quarter=quarter,
        days_left=quarter.days_left(today()),
        accounts=accounts[:limit],
        more=len(accounts) > limit,
    )
