"""The Equator Principles category no longer scores a client (issue 15): the default model
leaves it out, and the data migration publishes a new version without it for the stored
models, keeping the old version and every score that points at it."""

from __future__ import annotations

import importlib
from decimal import Decimal

import pytest
from django.apps import apps

from accounts.choices import ScoringModelStatus
from accounts.models import AccountScore, ChoicePoints, Criterion, ScoreBand, ScoringModel
from accounts.tiering.defaults import scoring_model_install_default
from accounts.tiering.services import scoring_model_problems, tiering_recompute_account
from tests.conftest import Cast

pytestmark = pytest.mark.django_db

retire = importlib.import_module("accounts.migrations.0017_retire_equator_scoring").forwards


def _model_with_equator(*, status: str, version: int | None) -> ScoringModel:
    model = ScoringModel.objects.create(
        name="Old model",
        status=status,
        version=version,
        strategic_min=Decimal(80),
        key_min=Decimal(60),
        core_min=Decimal(40),
    )
    exposure = Criterion.objects.create(
        scoring_model=model, input="exposure", weight=Decimal(93), position=1
    )
    ScoreBand.objects.create(criterion=exposure, lower_bound=Decimal(0), points=Decimal(50))
    green = Criterion.objects.create(
        scoring_model=model, input="green_share", weight=Decimal(4), position=2
    )
    ScoreBand.objects.create(criterion=green, lower_bound=Decimal(0), points=Decimal(10))
    equator = Criterion.objects.create(
        scoring_model=model, input="equator_worst", weight=Decimal(3), position=3
    )
    for value, points in (("A", 20), ("B", 60), ("C", 100)):
        ChoicePoints.objects.create(criterion=equator, value=value, points=Decimal(points))
    return model


def test_the_default_model_no_longer_scores_the_equator_category() -> None:
    model = scoring_model_install_default()
    inputs = dict(model.criteria.values_list("input", "weight"))
    assert "equator_worst" not in inputs
    assert inputs["green_share"] == Decimal(7)
    assert sum(inputs.values()) == Decimal(100)
    assert scoring_model_problems(scoring_model=model) == []


def test_the_migration_publishes_a_version_without_it_and_keeps_the_old_one(cast: Cast) -> None:
    old = _model_with_equator(status=ScoringModelStatus.PUBLISHED, version=1)
    draft = _model_with_equator(status=ScoringModelStatus.DRAFT, version=None)
    tiering_recompute_account(account_id=cast.account.pk)
    assert AccountScore.objects.get(account=cast.account).scoring_model == old

    retire(apps, None)

    old.refresh_from_db()
    assert old.status == ScoringModelStatus.SUPERSEDED
    # History kept: the old version, its criteria and the score that points at it.
    assert old.criteria.filter(input="equator_worst").exists()
    assert AccountScore.objects.get(account=cast.account).scoring_model == old
    new = ScoringModel.objects.get(status=ScoringModelStatus.PUBLISHED)
    assert (new.version, new.based_on) == (2, old)
    weights = dict(new.criteria.values_list("input", "weight"))
    assert weights == {"exposure": Decimal(93), "green_share": Decimal(7)}
    assert new.criteria.get(input="exposure").bands.count() == 1
    assert scoring_model_problems(scoring_model=new) == []
    # The draft is still a draft, edited the same way.
    assert dict(draft.criteria.values_list("input", "weight")) == weights
    # The next recompute scores with the new version.
    tiering_recompute_account(account_id=cast.account.pk)
    score = AccountScore.objects.get(account=cast.account)
    assert score.scoring_model == new
    assert [line["input"] for line in score.breakdown["lines"]] == ["exposure", "green_share"]


def test_the_migration_leaves_models_without_it_alone() -> None:
    model = scoring_model_install_default()
    retire(apps, None)
    assert list(ScoringModel.objects.values_list("pk", flat=True)) == [model.pk]
