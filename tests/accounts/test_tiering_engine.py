"""The scoring engine on hand-computed accounts: band edges, choices, missing-input policies,
re-weighting, thresholds, FX conversion, validation and the override lapse rule. Pure: no
database."""

from __future__ import annotations

from decimal import Decimal as D
from typing import TypedDict, Unpack

import pytest

from accounts.tiering.engine import (
    Band,
    CriterionSpec,
    ExposureAggregate,
    ModelSpec,
    account_inputs,
    override_lapses,
    score_account,
    tier_for_score,
    validate_model,
)


class _Policy(TypedDict, total=False):
    """What a test may set on a criterion besides its input, weight and points."""

    missing_policy: str
    neutral_points: D | None


EXPOSURE_BANDS = (Band(D(0), D(0)), Band(D(100), D(40)), Band(D(500), D(80)), Band(D(1000), D(100)))


def model(
    *criteria: CriterionSpec, strategic: str = "80", key: str = "60", core: str = "40"
) -> ModelSpec:
    return ModelSpec(
        criteria=criteria, strategic_min=D(strategic), key_min=D(key), core_min=D(core)
    )


def exposure(weight: str = "100", **kwargs: Unpack[_Policy]) -> CriterionSpec:
    return CriterionSpec(input="exposure", weight=D(weight), bands=EXPOSURE_BANDS, **kwargs)


def esg(weight: str, **kwargs: Unpack[_Policy]) -> CriterionSpec:
    points = {
        "AAA": D(100),
        "AA": D(80),
        "A": D(60),
        "BBB": D(50),
        "BB": D(30),
        "B": D(10),
        "CCC": D(0),
    }
    return CriterionSpec(input="esg_rating", weight=D(weight), choices=points, **kwargs)


@pytest.mark.parametrize(
    ("value", "points"),
    [
        ("0", "0"),
        ("99.99", "0"),
        ("100", "40"),  # a band starts at its lower bound (inclusive)
        ("100.01", "40"),
        ("499.99", "40"),
        ("500", "80"),
        ("999.99", "80"),
        ("1000", "100"),
        ("987654321", "100"),
    ],
)
def test_bands_apply_from_their_lower_bound_inclusive(value: str, points: str) -> None:
    result = score_account(model(exposure()), {"exposure": D(value)})
    assert result.lines[0].points == D(points)
    assert result.score == D(points)


def test_weighted_total_by_hand() -> None:
    # exposure 600 → 80 points × 60 % = 48; ESG "A" → 60 points × 40 % = 24; total 72 → Key.
    spec = model(exposure("60"), esg("40"))
    result = score_account(spec, {"exposure": D(600), "esg_rating": "A"})
    assert [line.contribution for line in result.lines] == [D("48.00"), D("24.00")]
    assert result.score == D("72.00")
    assert result.tier == "key"


def test_fractional_weights_round_half_up_to_two_decimals() -> None:
    # 40 × 33.33 / 100 + 80 × 66.67 / 100 = 13.332 + 53.336 = 66.668 → 66.67
    spec = model(exposure("33.33"), esg("66.67"))
    result = score_account(spec, {"exposure": D(100), "esg_rating": "AA"})
    assert result.score == D("66.67")


def test_missing_input_scores_zero() -> None:
    spec = model(exposure("60"), esg("40", missing_policy="zero"))
    result = score_account(spec, {"exposure": D(1000), "esg_rating": None})
    assert result.lines[1].status == "missing_zero"
    assert result.lines[1].points == D(0)
    assert result.score == D("60.00")


def test_missing_input_scores_neutral() -> None:
    spec = model(exposure("60"), esg("40", missing_policy="neutral", neutral_points=D(50)))
    result = score_account(spec, {"exposure": D(1000), "esg_rating": ""})
    assert result.lines[1].status == "missing_neutral"
    assert result.score == D("80.00")  # 60 + 50 × 0.4
    assert result.tier == "strategic"


def test_missing_input_excluded_and_others_reweighted() -> None:
    # ESG left out: exposure's 60 counts as 100 → 80 points → 80.00.
    spec = model(exposure("60"), esg("40", missing_policy="exclude"))
    result = score_account(spec, {"exposure": D(700)})
    excluded = result.lines[1]
    assert excluded.status == "excluded" and excluded.points is None
    assert excluded.contribution == D(0) and excluded.effective_weight == D(0)
    assert result.lines[0].effective_weight == D("100.00")
    assert result.score == D("80.00")


def test_all_inputs_excluded_scores_zero_without_error() -> None:
    spec = model(exposure("50", missing_policy="exclude"), esg("50", missing_policy="exclude"))
    result = score_account(spec, {})
    assert result.score == D(0)
    assert result.tier == "standard"


def test_unknown_choice_scores_zero() -> None:
    result = score_account(model(esg("100")), {"esg_rating": "ZZZ"})
    assert result.score == D(0)


@pytest.mark.parametrize(
    ("score", "tier"),
    [
        ("100", "strategic"),
        ("80", "strategic"),
        ("79.99", "key"),
        ("60", "key"),
        ("59.99", "core"),
        ("40", "core"),
        ("39.99", "standard"),
        ("0", "standard"),
    ],
)
def test_thresholds_are_inclusive_lower_bounds(score: str, tier: str) -> None:
    assert tier_for_score(model(exposure()), D(score)) == tier


def test_breakdown_json_keeps_input_points_and_contribution() -> None:
    result = score_account(
        model(exposure("60"), esg("40")), {"exposure": D(600), "esg_rating": "A"}
    )
    lines = result.breakdown_json()["lines"]
    assert lines[0] == {
        "input": "exposure",
        "value": "600",
        "points": "80",
        "weight": "60",
        "effective_weight": "60.00",
        "contribution": "48.00",
        "status": "scored",
    }


# ---------------------------------------------------------------- inputs


def test_exposure_is_converted_to_cny_before_adding() -> None:
    facilities = [
        ExposureAggregate("CNY", exposure=D(1000), green_exposure=D(0)),
        ExposureAggregate("USD", exposure=D(100), green_exposure=D(100)),
    ]
    inputs = account_inputs({}, facilities, {"USD": D("7.1")})
    assert inputs.values["exposure"] == D("1710.00")  # 1000 + 100 × 7.1, never 1100
    assert inputs.values["green_share"] == D("41.52")  # 710 / 1710
    assert "equator_worst" not in inputs.values  # retired: no longer an input of the client
    assert inputs.notes == []


def test_the_group_exposure_counts_when_larger_than_the_obligors() -> None:
    own = [ExposureAggregate("CNY", exposure=D(1000), green_exposure=D(500))]
    bigger = [ExposureAggregate("CNY", D(3000)), ExposureAggregate("USD", D(100))]
    inputs = account_inputs({}, own, {"USD": D("7")}, group=bigger)
    assert inputs.values["exposure"] == D("3700.00")
    assert inputs.values["green_share"] == D("50.00")  # the obligor's own share, not the group's
    assert inputs.notes == ["group_exposure"]
    smaller = [ExposureAggregate("CNY", D(800))]
    inputs = account_inputs({}, own, {}, group=smaller)
    assert inputs.values["exposure"] == D("1000.00")
    assert inputs.notes == []


def test_a_group_exposure_without_an_fx_rate_makes_exposure_missing() -> None:
    own = [ExposureAggregate("CNY", D(1000))]
    inputs = account_inputs({}, own, {}, group=[ExposureAggregate("EUR", D(5))])
    assert inputs.values["exposure"] is None
    assert inputs.notes == ["no_fx_rate:EUR"]


def test_a_retired_input_cannot_be_published() -> None:
    spec = ModelSpec(
        criteria=(
            CriterionSpec("equator_worst", D(100), choices={"A": D(0), "B": D(50), "C": D(100)}),
        ),
        strategic_min=D(80),
        key_min=D(60),
        core_min=D(40),
    )
    assert any("retired" in error for error in validate_model(spec))


def test_exposure_without_an_fx_rate_is_missing_not_summed() -> None:
    projects = [ExposureAggregate("CNY", D(1000)), ExposureAggregate("EUR", D(10))]
    inputs = account_inputs({}, projects, {"USD": D("7.1")})
    assert inputs.values["exposure"] is None
    assert inputs.values["green_share"] is None
    assert inputs.notes == ["no_fx_rate:EUR"]


def test_account_without_projects_has_zero_exposure_and_no_green_share() -> None:
    inputs = account_inputs({"relationship_revenue": D(5), "wallet_size": D(50)}, [], {})
    assert inputs.values["exposure"] == D(0)
    assert inputs.values["green_share"] is None
    assert inputs.values["share_of_wallet"] == D("10.00")


def test_share_of_wallet_is_missing_without_a_wallet() -> None:
    inputs = account_inputs({"relationship_revenue": D(5), "wallet_size": D(0)}, [], {})
    assert inputs.values["share_of_wallet"] is None


# ---------------------------------------------------------------- validation


def test_a_valid_model_has_no_problems() -> None:
    assert validate_model(model(exposure("60"), esg("40"))) == []


def test_weights_must_add_up_to_100() -> None:
    problems = validate_model(model(exposure("60"), esg("39.5")))
    assert any("99.5" in p and "100" in p for p in problems)


@pytest.mark.parametrize(
    ("strategic", "key", "core"),
    [
        ("60", "60", "40"),
        ("80", "40", "60"),
        ("80", "60", "0"),
        ("101", "60", "40"),
        ("40", "60", "80"),
    ],
)
def test_thresholds_must_rise_strictly(strategic: str, key: str, core: str) -> None:
    problems = validate_model(model(exposure(), strategic=strategic, key=key, core=core))
    assert any("thresholds" in p for p in problems)


def test_bands_must_start_at_zero_and_choices_be_complete() -> None:
    gap = CriterionSpec(input="exposure", weight=D(50), bands=(Band(D(10), D(50)),))
    partial = CriterionSpec(input="esg_rating", weight=D(50), choices={"AAA": D(100)})
    problems = validate_model(model(gap, partial))
    assert any("start at 0" in p for p in problems)
    assert any("missing AA, A, BBB, BB, B, CCC" in p for p in problems)


def test_neutral_policy_needs_neutral_points_and_kinds_must_match() -> None:
    neutral = esg("50", missing_policy="neutral")
    wrong_kind = CriterionSpec(
        input="exposure", weight=D(50), choices={"A": D(1)}, bands=EXPOSURE_BANDS
    )
    problems = validate_model(model(neutral, wrong_kind))
    assert any("neutral points" in p for p in problems)
    assert any("score it by bands, not by choices" in p for p in problems)


def test_empty_model_and_duplicate_inputs_are_refused() -> None:
    assert validate_model(model()) == ["The model has no criteria."]
    problems = validate_model(model(exposure("50"), exposure("50")))
    assert any("scored twice" in p for p in problems)


# ---------------------------------------------------------------- overrides


@pytest.mark.parametrize(
    ("requested", "base", "model_tier", "lapses"),
    [
        # An upgrade (Core → Key) lapses when the model reaches Key or goes higher.
        ("key", "core", "core", False),
        ("key", "core", "standard", False),  # moving away: the approver's judgement stands
        ("key", "core", "key", True),
        ("key", "core", "strategic", True),
        # A downgrade (Strategic → Core) lapses when the model comes down to Core or lower.
        ("core", "strategic", "key", False),
        ("core", "strategic", "core", True),
        ("core", "strategic", "standard", True),
    ],
)
def test_override_lapses_when_the_model_reaches_or_passes_it(
    requested: str, base: str, model_tier: str, lapses: bool
) -> None:
    assert (
        override_lapses(requested_tier=requested, base_tier=base, model_tier=model_tier) is lapses
    )
