"""The scoring engine: pure functions from an account's inputs to a score, a tier and the
breakdown that explains them. No database here: the services read the inputs in bulk,
call :func:`score_account`, and write the results in bulk.

How a model scores
------------------
Each criterion reads one *input* (the registry :data:`INPUTS` below: code decides what an
input is, the scoring model in the admin decides how it scores) and maps it to 0–100 points:

- numeric inputs by **bands**: a band applies from its lower bound (inclusive) up to the
  next band's lower bound (exclusive); the first band starts at 0;
- choice inputs by **points per choice**: every choice of the input has its points.

A criterion's weighted contribution is ``points × weight / W`` where ``W`` is the sum of the
weights that take part (100 unless some are left out). An input that is missing scores as the
criterion says: zero points, the criterion's neutral points, or left out with the others
re-weighted to 100. The total (0–100, two decimals, half up) maps to a tier by the model's
thresholds: at least ``strategic_min`` → Strategic, at least ``key_min`` → Key, at least
``core_min`` → Core, otherwise Standard.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from ..choices import (
    CreditRating,
    EquatorCategory,
    EsgRating,
    GrowthPotential,
    MissingPolicy,
    RelationshipDepth,
    StrategicFit,
    Tier,
)

HUNDRED = Decimal("100")
ZERO = Decimal("0")
CENT = Decimal("0.01")

# ---------------------------------------------------------------- inputs


NUMBER = "number"
CHOICE = "choice"


@dataclass(frozen=True, slots=True)
class InputDef:
    key: str
    label: Promise
    kind: str  # NUMBER or CHOICE
    unit: str = ""  # "CNY" or "%" for numbers
    choices: type[models.TextChoices] | None = None
    help_text: Promise | str = ""
    retired: bool = False  # kept for the history of old versions; no new version scores it

    def choice_label(self, value: str) -> str:
        if self.choices is None:
            return value
        labels = dict(self.choices.choices)
        return str(labels.get(value, value))


INPUTS: dict[str, InputDef] = {
    item.key: item
    for item in (
        InputDef(
            "relationship_revenue",
            _("Relationship revenue"),
            NUMBER,
            "CNY",
            help_text=_("Revenue we earned from the client over the last 12 months, in CNY."),
        ),
        InputDef(
            "wallet_size",
            _("Client wallet"),
            NUMBER,
            "CNY",
            help_text=_("The client's estimated annual spend on banking services, in CNY."),
        ),
        InputDef(
            "share_of_wallet",
            _("Share of wallet"),
            NUMBER,
            "%",
            help_text=_("Relationship revenue as a percentage of the client wallet."),
        ),
        InputDef(
            "exposure",
            _("Exposure (obligor or its group, the larger)"),
            NUMBER,
            "CNY",
            help_text=_(
                "Drawn plus undrawn amounts of the facilities the account borrows under, in "
                "CNY; for a member of a client group, the group's exposure when larger."
            ),
        ),
        InputDef(
            "growth_potential",
            _("Growth potential"),
            CHOICE,
            choices=GrowthPotential,
        ),
        InputDef("strategic_fit", _("Strategic fit"), CHOICE, choices=StrategicFit),
        InputDef(
            "relationship_depth",
            _("Relationship depth"),
            CHOICE,
            choices=RelationshipDepth,
        ),
        InputDef("credit_rating", _("Internal credit rating"), CHOICE, choices=CreditRating),
        InputDef("esg_rating", _("ESG rating"), CHOICE, choices=EsgRating),
        InputDef(
            "green_share",
            _("Green share of exposure"),
            NUMBER,
            "%",
            help_text=_(
                "Exposure under facilities of projects with a green taxonomy category, as a "
                "percentage of the account's exposure."
            ),
        ),
        # Retired: the Equator Principles category sets the depth of E&S due diligence, it
        # does not make a client more or less valuable (issue 15). Kept so that scores of
        # the versions that used it still explain themselves; no new version may use it.
        InputDef(
            "equator_worst",
            _("Worst Equator Principles category"),
            CHOICE,
            choices=EquatorCategory,
            help_text=_("Retired: the category sets E&S due diligence, not the client's value."),
            retired=True,
        ),
    )
}

INPUT_CHOICES: list[tuple[str, Promise]] = [(key, item.label) for key, item in INPUTS.items()]
RETIRED_INPUTS = frozenset(key for key, item in INPUTS.items() if item.retired)

# Account fields that are inputs as they are.
ACCOUNT_INPUT_FIELDS = (
    "relationship_revenue",
    "wallet_size",
    "growth_potential",
    "strategic_fit",
    "relationship_depth",
    "credit_rating",
    "esg_rating",
)


@dataclass(slots=True)
class ExposureAggregate:
    """Facilities in one currency, as the database sums them: those the account borrows
    under (``exposure``, ``green_exposure``), or those of every member of its client group."""

    currency: str
    exposure: Decimal = ZERO
    green_exposure: Decimal = ZERO


@dataclass(slots=True)
class AccountInputs:
    values: dict[str, Decimal | str | None]
    notes: list[str] = field(default_factory=list)


# A note of the breakdown: the exposure criterion scored the group's figure.
GROUP_EXPOSURE_NOTE = "group_exposure"


def _in_cny(
    rows: Iterable[ExposureAggregate], fx_to_cny: Mapping[str, Decimal], missing: set[str]
) -> tuple[Decimal, Decimal]:
    total = green = ZERO
    for row in rows:
        if not row.exposure:
            continue
        rate = Decimal(1) if row.currency == "CNY" else fx_to_cny.get(row.currency)
        if rate is None:
            missing.add(row.currency)
            continue
        total += row.exposure * rate
        green += row.green_exposure * rate
    return total, green


def account_inputs(
    account: Mapping[str, Any],
    facilities: Iterable[ExposureAggregate],
    fx_to_cny: Mapping[str, Decimal],
    group: Iterable[ExposureAggregate] | None = None,
) -> AccountInputs:
    """The input values of one account: its own fields plus its exposure.

    Exposure is the obligor's: drawn plus undrawn amounts of the facilities it is the borrower
    of (never of projects it leads or works on as contractor, off-taker or co-lender). For a
    member of a client group the size criterion reads the larger of its own and its group's
    exposure (the sum over every member): the relationship is as large as the group we lend
    to. The green share is the obligor's own: exposure under facilities of projects with a
    green taxonomy category over its exposure.

    Amounts in different currencies are only added after converting each to CNY with
    ``fx_to_cny`` (CNY per unit). When a currency has no rate the exposure and green share
    are unknown (missing), never a sum of unlike amounts.
    """
    values: dict[str, Decimal | str | None] = {}
    for name in ACCOUNT_INPUT_FIELDS:
        raw = account.get(name)
        values[name] = None if raw in (None, "") else raw
    revenue, wallet = values["relationship_revenue"], values["wallet_size"]
    if isinstance(revenue, Decimal) and isinstance(wallet, Decimal) and wallet > 0:
        values["share_of_wallet"] = min(revenue / wallet * HUNDRED, HUNDRED).quantize(CENT)
    else:
        values["share_of_wallet"] = None

    notes: list[str] = []
    missing: set[str] = set()
    total, green = _in_cny(facilities, fx_to_cny, missing)
    group_total: Decimal | None = None
    if group is not None:
        group_total, _green = _in_cny(group, fx_to_cny, missing)
    if missing:
        values["exposure"] = None
        values["green_share"] = None
        notes.append("no_fx_rate:" + ",".join(sorted(missing)))
    else:
        if group_total is not None and group_total > total:
            values["exposure"] = group_total.quantize(CENT)
            notes.append(GROUP_EXPOSURE_NOTE)
        else:
            values["exposure"] = total.quantize(CENT)
        values["green_share"] = (green / total * HUNDRED).quantize(CENT) if total > 0 else None
    return AccountInputs(values=values, notes=notes)


# ---------------------------------------------------------------- model specification


@dataclass(frozen=True, slots=True)
class Band:
    lower: Decimal
    points: Decimal


@dataclass(frozen=True, slots=True)
class CriterionSpec:
    input: str
    weight: Decimal
    bands: tuple[Band, ...] = ()
    choices: Mapping[str, Decimal] = field(default_factory=dict)
    missing_policy: str = MissingPolicy.ZERO
    neutral_points: Decimal | None = None

    @property
    def definition(self) -> InputDef:
        return INPUTS[self.input]

    @property
    def label(self) -> str:
        item = INPUTS.get(self.input)
        return str(item.label) if item else self.input


@dataclass(frozen=True, slots=True)
class ModelSpec:
    criteria: tuple[CriterionSpec, ...]
    strategic_min: Decimal
    key_min: Decimal
    core_min: Decimal
    id: int | None = None
    version: int | None = None


TIER_RANK = {Tier.STANDARD: 0, Tier.CORE: 1, Tier.KEY: 2, Tier.STRATEGIC: 3}


def tier_rank(tier: str) -> int:
    """0 for Standard up to 3 for Strategic."""
    return TIER_RANK[Tier(tier)]


def tier_for_score(spec: ModelSpec, score: Decimal) -> str:
    if score >= spec.strategic_min:
        return Tier.STRATEGIC
    if score >= spec.key_min:
        return Tier.KEY
    if score >= spec.core_min:
        return Tier.CORE
    return Tier.STANDARD


# ---------------------------------------------------------------- scoring

SCORED = "scored"
MISSING_ZERO = "missing_zero"
MISSING_NEUTRAL = "missing_neutral"
EXCLUDED = "excluded"


@dataclass(frozen=True, slots=True)
class BreakdownLine:
    input: str
    value: Decimal | str | None
    points: Decimal | None  # None when left out
    weight: Decimal
    effective_weight: Decimal
    contribution: Decimal
    status: str

    def as_json(self) -> dict[str, Any]:
        return {
            "input": self.input,
            "value": None if self.value is None else str(self.value),
            "points": None if self.points is None else str(self.points),
            "weight": str(self.weight),
            "effective_weight": str(self.effective_weight),
            "contribution": str(self.contribution),
            "status": self.status,
        }


@dataclass(frozen=True, slots=True)
class ScoreResult:
    score: Decimal
    tier: str
    lines: tuple[BreakdownLine, ...]
    notes: tuple[str, ...] = ()

    def breakdown_json(self) -> dict[str, Any]:
        return {"lines": [line.as_json() for line in self.lines], "notes": list(self.notes)}


def criterion_points(criterion: CriterionSpec, value: Decimal | str) -> Decimal:
    """Points (0–100) for a present input value."""
    if criterion.definition.kind == NUMBER:
        number = Decimal(value)
        points = ZERO
        for band in sorted(criterion.bands, key=lambda b: b.lower):
            if number >= band.lower:
                points = band.points
            else:
                break
        return points
    return criterion.choices.get(str(value), ZERO)


def score_account(spec: ModelSpec, inputs: AccountInputs | Mapping[str, Any]) -> ScoreResult:
    """Score one account. Never raises on missing inputs: they score as each criterion says."""
    values = inputs.values if isinstance(inputs, AccountInputs) else inputs
    notes = tuple(inputs.notes) if isinstance(inputs, AccountInputs) else ()
    raw: list[tuple[CriterionSpec, Decimal | str | None, Decimal | None, str]] = []
    for criterion in spec.criteria:
        value = values.get(criterion.input)
        if value is None or value == "":
            if criterion.missing_policy == MissingPolicy.EXCLUDE:
                raw.append((criterion, None, None, EXCLUDED))
            elif criterion.missing_policy == MissingPolicy.NEUTRAL:
                raw.append((criterion, None, criterion.neutral_points or ZERO, MISSING_NEUTRAL))
            else:
                raw.append((criterion, None, ZERO, MISSING_ZERO))
        else:
            raw.append((criterion, value, criterion_points(criterion, value), SCORED))

    taking_part = sum((c.weight for c, _v, p, _s in raw if p is not None), ZERO)
    total = ZERO
    lines: list[BreakdownLine] = []
    for criterion, value, points, status in raw:
        if points is None or taking_part == 0:
            effective = contribution = ZERO
        else:
            effective = criterion.weight * HUNDRED / taking_part
            contribution = points * criterion.weight / taking_part
        total += contribution
        lines.append(
            BreakdownLine(
                input=criterion.input,
                value=value,
                points=points,
                weight=criterion.weight,
                effective_weight=effective.quantize(CENT, ROUND_HALF_UP),
                contribution=contribution.quantize(CENT, ROUND_HALF_UP),
                status=status,
            )
        )
    score = total.quantize(CENT, ROUND_HALF_UP)
    return ScoreResult(
        score=score, tier=tier_for_score(spec, score), lines=tuple(lines), notes=notes
    )


# ---------------------------------------------------------------- validation


def validate_model(spec: ModelSpec) -> list[str]:
    """Everything that stops a model from being published, as sentences for the admin."""
    errors: list[str] = []
    if not spec.criteria:
        errors.append(str(_("The model has no criteria.")))
    seen: set[str] = set()
    weight_total = ZERO
    for criterion in spec.criteria:
        label = criterion.label
        definition = INPUTS.get(criterion.input)
        if definition is None:
            errors.append(str(_("Unknown input “%(input)s”.") % {"input": criterion.input}))
            continue
        if definition.retired:
            errors.append(str(_("“%(c)s” is retired and no longer scores clients.") % {"c": label}))
        if criterion.input in seen:
            errors.append(str(_("“%(c)s” is scored twice.") % {"c": label}))
        seen.add(criterion.input)
        weight_total += criterion.weight
        if criterion.weight <= 0:
            errors.append(str(_("“%(c)s”: the weight must be above zero.") % {"c": label}))
        if criterion.missing_policy == MissingPolicy.NEUTRAL and (
            criterion.neutral_points is None or not ZERO <= criterion.neutral_points <= HUNDRED
        ):
            errors.append(
                str(
                    _("“%(c)s”: scoring a missing input as neutral needs neutral points (0–100).")
                    % {"c": label}
                )
            )
        if definition.kind == NUMBER:
            errors.extend(_validate_bands(criterion))
        else:
            errors.extend(_validate_choices(criterion, definition))
    if spec.criteria and weight_total != HUNDRED:
        errors.append(
            str(
                _("The weights add up to %(total)s; they must add up to exactly 100.")
                % {"total": _plain(weight_total)}
            )
        )
    if not (ZERO < spec.core_min < spec.key_min < spec.strategic_min <= HUNDRED):
        errors.append(
            str(
                _(
                    "The tier thresholds must rise strictly: 0 < Core (%(core)s) < Key (%(key)s) "
                    "< Strategic (%(strategic)s) ≤ 100."
                )
                % {
                    "core": _plain(spec.core_min),
                    "key": _plain(spec.key_min),
                    "strategic": _plain(spec.strategic_min),
                }
            )
        )
    return errors


def _validate_bands(criterion: CriterionSpec) -> list[str]:
    label = criterion.label
    errors: list[str] = []
    if criterion.choices:
        errors.append(
            str(_("“%(c)s” is a number: score it by bands, not by choices.") % {"c": label})
        )
    if not criterion.bands:
        errors.append(str(_("“%(c)s” has no bands.") % {"c": label}))
        return errors
    lowers = [band.lower for band in criterion.bands]
    if min(lowers) != ZERO:
        errors.append(
            str(
                _("“%(c)s”: the first band must start at 0 so that every value is scored.")
                % {"c": label}
            )
        )
    if len(set(lowers)) != len(lowers):
        errors.append(str(_("“%(c)s”: two bands start at the same value.") % {"c": label}))
    for band in criterion.bands:
        if not ZERO <= band.points <= HUNDRED:
            errors.append(str(_("“%(c)s”: band points must be between 0 and 100.") % {"c": label}))
            break
    return errors


def _validate_choices(criterion: CriterionSpec, definition: InputDef) -> list[str]:
    label = criterion.label
    errors: list[str] = []
    if criterion.bands:
        errors.append(
            str(_("“%(c)s” is a choice: score it by choices, not by bands.") % {"c": label})
        )
    allowed = definition.choices.values if definition.choices else []
    unknown = sorted(set(criterion.choices) - set(allowed))
    if unknown:
        errors.append(
            str(
                _("“%(c)s”: unknown choices %(values)s.")
                % {"c": label, "values": ", ".join(unknown)}
            )
        )
    missing = [value for value in allowed if value not in criterion.choices]
    if missing:
        errors.append(
            str(
                _("“%(c)s”: give points for every choice; missing %(values)s.")
                % {"c": label, "values": ", ".join(missing)}
            )
        )
    for points in criterion.choices.values():
        if not ZERO <= points <= HUNDRED:
            errors.append(
                str(_("“%(c)s”: choice points must be between 0 and 100.") % {"c": label})
            )
            break
    return errors


def _plain(value: Decimal) -> str:
    """12.50 → "12.5", 100.00 → "100"."""
    text = f"{value.normalize():f}"
    return text


# ---------------------------------------------------------------- overrides


def override_lapses(*, requested_tier: str, base_tier: str, model_tier: str) -> bool:
    """Whether an approved override has been reached or passed by the model.

    ``base_tier`` is the model's tier when the override was approved. An override that lifts
    an account above the model lapses once the model reaches that tier or goes higher; one that
    holds an account below the model lapses once the model comes down to it or lower. A model
    moving further away leaves the override in force: the approver's judgement still stands.
    """
    requested, base, model = tier_rank(requested_tier), tier_rank(base_tier), tier_rank(model_tier)
    if requested > base:
        return model >= requested
    if requested < base:
        return model <= requested
    return True


def effective_tier(*, model_tier: str, override_tier: str | None) -> str:
    return override_tier or model_tier


def ordered_tiers() -> Sequence[str]:
    """Strategic first."""
    return [Tier.STRATEGIC, Tier.KEY, Tier.CORE, Tier.STANDARD]
