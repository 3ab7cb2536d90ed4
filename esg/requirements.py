"""What a project's Equator Principles category requires of its E&S management, and what of
that is missing. Pure functions over what the E&S page has read already: no query."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext as _

from .choices import REQUIREMENTS_BY_CATEGORY, EsRequirement
from .models import EsReview


@dataclass(frozen=True)
class Gap:
    """One thing the project's category requires that is not there (or is out of date)."""

    code: str
    message: str


def requirements_for(category: str) -> tuple[EsRequirement, ...]:
    """What the category requires; nothing for C, and nothing known for a blank category."""
    return REQUIREMENTS_BY_CATEGORY.get(category, ())


def es_gaps(
    *, category: str, item_count: int, reviews: Sequence[EsReview], today: date
) -> list[Gap]:
    """What is missing for a project of ``category`` with ``item_count`` ESAP items and
    ``reviews`` (newest first): "category A project without an independent review"."""
    if not category:
        return [
            Gap(
                "no_category",
                _("No Equator Principles category: the project's E&S requirements are unknown."),
            )
        ]
    required = requirements_for(category)
    gaps: list[Gap] = []
    if EsRequirement.ESAP in required and item_count == 0:
        gaps.append(
            Gap(
                EsRequirement.ESAP,
                _("Category %(category)s project without an E&S action plan (ESAP).")
                % {"category": category},
            )
        )
    if EsRequirement.INDEPENDENT_REVIEW in required:
        if not reviews:
            gaps.append(
                Gap(
                    EsRequirement.INDEPENDENT_REVIEW,
                    _("Category %(category)s project without an independent E&S review.")
                    % {"category": category},
                )
            )
        else:
            latest = reviews[0]
            if latest.next_review_date is not None and latest.next_review_date < today:
                gaps.append(
                    Gap(
                        "review_due",
                        _("The next independent E&S review was due on %(date)s.")
                        % {"date": latest.next_review_date.isoformat()},
                    )
                )
    return gaps
