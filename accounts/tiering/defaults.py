"""A sensible first scoring model, installed by the demo and volume data (and usable as a
starting point in production: publish it, then make drafts from it in the admin).

Weights (100): relationship revenue 15, share of wallet 10, exposure 15, growth potential 10,
strategic fit 15, relationship depth 10, internal credit rating 10, ESG rating 8, green share 7.
Strategic from 75, Key from 60, Core from 40.

Exposure is the obligor's (the facilities the account borrows under), or its client group's
when larger (accounts/tiering/engine.py ``account_inputs``). The Equator Principles category
no longer scores a client: it sets the depth of the project's E&S due diligence, not the
client's value (issue 15). Its 3 points went to the green share, so the risk and
sustainability block keeps its weight (``RETIRED_WEIGHT_TO`` below; migration
accounts 0017 does the same to the stored versions).
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from kam.models import User

from ..choices import MissingPolicy, ScoringModelStatus
from ..models import ChoicePoints, Criterion, ScoreBand, ScoringModel
from .services import scoring_model_publish

DEFAULT_MODEL_NAME = "KAM screening model"

M = 1_000_000

# input: (weight, missing policy, neutral points, bands [(lower, points)] or choices {value: points})
DEFAULT_CRITERIA: list[tuple[str, int, str, int | None, list[tuple[int, int]] | dict[str, int]]] = [
    (
        "relationship_revenue",
        15,
        MissingPolicy.ZERO,
        None,
        [(0, 0), (1 * M, 20), (5 * M, 40), (20 * M, 60), (50 * M, 80), (100 * M, 100)],
    ),
    ("share_of_wallet", 10, MissingPolicy.EXCLUDE, None, [(0, 0), (5, 25), (10, 50), (20, 75), (35, 100)]),
    (
        "exposure",
        15,
        MissingPolicy.EXCLUDE,
        None,
        [(0, 0), (100 * M, 20), (500 * M, 40), (1000 * M, 60), (3000 * M, 80), (8000 * M, 100)],
    ),
    ("growth_potential", 10, MissingPolicy.NEUTRAL, 50, {"high": 100, "medium": 60, "low": 20}),
    (
        "strategic_fit",
        15,
        MissingPolicy.NEUTRAL,
        40,
        {"core": 100, "aligned": 70, "peripheral": 30, "outside": 0},
    ),
    (
        "relationship_depth",
        10,
        MissingPolicy.ZERO,
        None,
        {"principal": 100, "major": 75, "participant": 40, "new": 15},
    ),
    (
        "credit_rating",
        10,
        MissingPolicy.NEUTRAL,
        40,
        {
            "AAA": 100, "AA+": 95, "AA": 90, "AA-": 85, "A+": 78, "A": 72, "A-": 66,
            "BBB+": 58, "BBB": 50, "BBB-": 42, "BB+": 32, "BB": 25, "BB-": 18, "B": 10,
            "CCC": 5, "CC": 0, "C": 0, "D": 0,
        },
    ),
    (
        "esg_rating",
        8,
        MissingPolicy.NEUTRAL,
        50,
        {"AAA": 100, "AA": 85, "A": 70, "BBB": 55, "BB": 35, "B": 20, "CCC": 0},
    ),
    ("green_share", 7, MissingPolicy.EXCLUDE, None, [(0, 0), (10, 25), (25, 50), (50, 75), (75, 100)]),
]  # fmt: skip

# Where the weight of a retired input goes when a stored version is rescored without it.
RETIRED_WEIGHT_TO = "green_share"

DEFAULT_THRESHOLDS = {"strategic_min": 75, "key_min": 60, "core_min": 40}


@transaction.atomic
def scoring_model_install_default(
    *, user: User | None = None, publish: bool = True, recompute: bool = False
) -> ScoringModel:
    """The published model when there is one; otherwise the default model, published."""
    existing = ScoringModel.objects.filter(status=ScoringModelStatus.PUBLISHED).first()
    if existing is not None:
        return existing
    model = ScoringModel.objects.create(
        name=DEFAULT_MODEL_NAME,
        description=(
            "Relationship value (revenue, share of wallet, exposure), potential (growth, "
            "strategic fit, relationship depth), and risk and sustainability (internal credit "
            "rating, ESG rating, green share of exposure)."
        ),
        created_by=user,
        **{k: Decimal(v) for k, v in DEFAULT_THRESHOLDS.items()},
    )
    bands: list[ScoreBand] = []
    choices: list[ChoicePoints] = []
    for position, (key, weight, policy, neutral, scoring) in enumerate(DEFAULT_CRITERIA, 1):
        criterion = Criterion.objects.create(
            scoring_model=model,
            input=key,
            weight=Decimal(weight),
            missing_policy=policy,
            neutral_points=None if neutral is None else Decimal(neutral),
            position=position,
        )
        if isinstance(scoring, dict):
            choices += [
                ChoicePoints(criterion=criterion, value=value, points=Decimal(points))
                for value, points in scoring.items()
            ]
        else:
            bands += [
                ScoreBand(criterion=criterion, lower_bound=Decimal(lower), points=Decimal(points))
                for lower, points in scoring
            ]
    ScoreBand.objects.bulk_create(bands)
    ChoicePoints.objects.bulk_create(choices)
    if publish:
        model = scoring_model_publish(scoring_model=model, user=user, recompute=recompute)
    return model
