"""Tiering in the demo book (a published model, every account scored, a sensible spread over
the tiers, plans where the tier needs one, overrides in each state) and in the volume book
(inputs generated, a published model to score them)."""

from __future__ import annotations

from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command

from accounts.choices import OverrideStatus, ScoringModelStatus
from accounts.models import (
    Account,
    AccountPlan,
    AccountScore,
    ScoringModel,
    TierChange,
    TierOverride,
    TierPolicy,
)
from accounts.tiering.services import scoring_model_problems
from demo.accounts_volume import generate_volume

pytestmark = pytest.mark.django_db


def test_demo_book_is_scored_with_a_sensible_spread_and_plans() -> None:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "tiering:" in out.getvalue()

    model = ScoringModel.objects.get(status=ScoringModelStatus.PUBLISHED)
    assert model.version == 1 and scoring_model_problems(scoring_model=model) == []
    accounts = Account.objects.count()
    assert AccountScore.objects.filter(scoring_model=model).count() == accounts
    spread = Counter(Account.objects.values_list("tier", flat=True))
    assert all(spread[tier] >= 4 for tier in ("strategic", "key", "core", "standard")), spread
    assert spread["strategic"] < spread["key"] < spread["standard"] + spread["core"]

    # Scores explain the tier: the model's tier matches unless an override is in force.
    in_force = set(
        TierOverride.objects.filter(status=OverrideStatus.APPROVED).values_list(
            "account_id", flat=True
        )
    )
    for score in AccountScore.objects.select_related("account"):
        if score.account_id not in in_force:
            assert score.model_tier == score.account.tier
    assert Counter(TierOverride.objects.values_list("status", flat=True)) == {
        "approved": 1,
        "pending": 1,
        "rejected": 1,
    }

    required = TierPolicy.objects.filter(requires_account_plan=True).values("tier")
    needing = Account.objects.filter(tier__in=required)
    missing = needing.filter(plan__isnull=True).count()
    assert 1 <= missing <= 3
    plan = AccountPlan.objects.prefetch_related("wallet_lines", "services", "actions").first()
    assert plan is not None
    assert plan.wallet_lines.count() >= 3 and plan.services.count() >= 2
    assert plan.actions.count() >= 2


def test_seeding_twice_adds_no_history_plans_or_overrides() -> None:
    call_command("seed_demo", stdout=StringIO())
    counts = (TierChange.objects.count(), AccountPlan.objects.count(), TierOverride.objects.count())
    call_command("seed_demo", stdout=StringIO())
    assert (
        TierChange.objects.count(),
        AccountPlan.objects.count(),
        TierOverride.objects.count(),
    ) == counts
    assert ScoringModel.objects.count() == 1


def test_volume_accounts_carry_scoring_inputs() -> None:
    call_command("generate_volume", "--accounts=30", "--contacts-per-account=0", stdout=StringIO())
    accounts = Account.objects.all()
    with_revenue = accounts.filter(relationship_revenue__isnull=False).count()
    assert with_revenue == 30
    assert accounts.exclude(relationship_depth="").count() == 30
    assert ScoringModel.objects.filter(status=ScoringModelStatus.PUBLISHED).exists()
    again = generate_volume(accounts=5, password="pw", seed=3)
    assert again.accounts == 5
