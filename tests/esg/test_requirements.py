"""What the Equator Principles category requires of a project, and what the E&S page says is
missing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from esg.choices import EsRequirement
from esg.models import EsReview
from esg.requirements import es_gaps, requirements_for
from tests.esg.support import today


def test_category_a_requires_an_esap_and_an_independent_review() -> None:
    assert requirements_for("A") == (EsRequirement.ESAP, EsRequirement.INDEPENDENT_REVIEW)
    assert requirements_for("B") == (EsRequirement.ESAP,)
    assert requirements_for("C") == ()


@pytest.mark.parametrize(
    ("category", "items", "reviewed", "missing"),
    [
        ("A", 0, False, {"esap", "independent_review"}),
        ("A", 3, False, {"independent_review"}),
        ("A", 0, True, {"esap"}),
        ("A", 3, True, set()),
        ("B", 0, False, {"esap"}),
        ("B", 2, False, set()),
        ("C", 0, False, set()),
        ("", 0, False, {"no_category"}),
    ],
)
def test_gaps_follow_the_category(category: str, items: int, reviewed: bool, missing: set) -> None:
    reviews = [EsReview(review_date=today(), next_review_date=None)] if reviewed else []
    gaps = es_gaps(category=category, item_count=items, reviews=reviews, today=today())
    assert {gap.code for gap in gaps} == missing


def test_a_category_a_review_past_its_next_date_is_a_gap() -> None:
    stale = EsReview(
        review_date=today() - timedelta(days=400), next_review_date=today() - timedelta(days=35)
    )
    [gap] = es_gaps(category="A", item_count=1, reviews=[stale], today=today())
    assert gap.code == "review_due"
    fresh = EsReview(review_date=today(), next_review_date=today() + timedelta(days=300))
    assert es_gaps(category="A", item_count=1, reviews=[fresh], today=today()) == []


def test_the_gap_names_the_category() -> None:
    [gap] = es_gaps(category="A", item_count=1, reviews=[], today=today())
    assert gap.message == "Category A project without an independent E&S review."
