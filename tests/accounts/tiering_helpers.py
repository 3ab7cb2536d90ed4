"""Building blocks for the tiering tests: small published models with hand-checkable scores."""

from __future__ import annotations

from decimal import Decimal

from accounts.models import ChoicePoints, Criterion, ScoreBand, ScoringModel
from accounts.tiering.services import scoring_model_publish


def make_model(
    *,
    publish: bool = True,
    strategic: str = "80",
    key: str = "60",
    core: str = "40",
    exposure_weight: str = "60",
    esg_weight: str = "40",
    esg_policy: str = "zero",
    neutral: str | None = None,
) -> ScoringModel:
    """Exposure (CNY) by bands 0/100m/500m/1bn → 0/40/80/100 and ESG by choices
    AAA 100 … CCC 0. With the defaults: 1bn exposure and AAA score 100 (Strategic); 600m and
    A score 60 × 0.8 + 0.4 × 60 = 72 (Key); no projects and BB score 12 (Standard)."""
    model = ScoringModel.objects.create(
        name="Test model",
        strategic_min=Decimal(strategic),
        key_min=Decimal(key),
        core_min=Decimal(core),
    )
    exposure = Criterion.objects.create(
        scoring_model=model, input="exposure", weight=Decimal(exposure_weight), position=1
    )
    ScoreBand.objects.bulk_create(
        ScoreBand(criterion=exposure, lower_bound=Decimal(lower), points=Decimal(points))
        for lower, points in ((0, 0), (100_000_000, 40), (500_000_000, 80), (1_000_000_000, 100))
    )
    esg = Criterion.objects.create(
        scoring_model=model,
        input="esg_rating",
        weight=Decimal(esg_weight),
        missing_policy=esg_policy,
        neutral_points=None if neutral is None else Decimal(neutral),
        position=2,
    )
    ChoicePoints.objects.bulk_create(
        ChoicePoints(criterion=esg, value=value, points=Decimal(points))
        for value, points in (
            ("AAA", 100), ("AA", 80), ("A", 60), ("BBB", 50), ("BB", 30), ("B", 10), ("CCC", 0),
        )
    )  # fmt: skip
    if publish:
        model = scoring_model_publish(scoring_model=model, user=None, recompute=False)
    return model
