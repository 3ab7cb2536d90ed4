"""Tiering in the demo and volume books.

``seed_tiering`` (called by ``seed_demo``) publishes the default scoring model, gives the demo
accounts their scoring inputs, scores them, adds a few manual overrides (one approved, one
awaiting lead.zhao's decision, one rejected) and writes account plans for the accounts whose
tier requires one (leaving two missing, so the warnings show). Idempotent: inputs are set
only on accounts that have none, plans and overrides only where there are none.

``volume_inputs`` gives a generated account its inputs (``generate_volume``).
"""

from __future__ import annotations

import random
import zlib
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.choices import (
    GrowthPotential,
    PlanActionStatus,
    PlanStatus,
    ProductLine,
    RelationshipDepth,
    ServiceItemStatus,
    StrategicFit,
    Tier,
)
from accounts.models import (
    Account,
    AccountMembership,
    AccountPlan,
    PlanAction,
    PlanServiceItem,
    PlanWalletLine,
    TierOverride,
    TierPolicy,
)
from accounts.tiering.defaults import scoring_model_install_default
from accounts.tiering.engine import ACCOUNT_INPUT_FIELDS
from accounts.tiering.services import (
    scoring_model_spec,
    tier_override_approve,
    tier_override_propose,
    tier_override_reject,
    tiering_recompute,
)
from kam.models import User

M = 1_000_000

# Per intended tier: revenue range (CNY m), share of wallet range (%), and weighted choices.
PROFILES: dict[str, dict[str, Any]] = {
    Tier.STRATEGIC: {
        "revenue": (60, 220),
        "share": (20, 40),
        "growth": ((GrowthPotential.HIGH, 3), (GrowthPotential.MEDIUM, 1)),
        "fit": ((StrategicFit.CORE, 4), (StrategicFit.ALIGNED, 1)),
        "depth": ((RelationshipDepth.PRINCIPAL, 4), (RelationshipDepth.MAJOR, 1)),
    },
    Tier.KEY: {
        "revenue": (20, 60),
        "share": (12, 25),
        "growth": ((GrowthPotential.HIGH, 2), (GrowthPotential.MEDIUM, 2)),
        "fit": ((StrategicFit.CORE, 2), (StrategicFit.ALIGNED, 3)),
        "depth": ((RelationshipDepth.PRINCIPAL, 1), (RelationshipDepth.MAJOR, 3)),
    },
    Tier.CORE: {
        "revenue": (5, 20),
        "share": (6, 15),
        "growth": (
            (GrowthPotential.HIGH, 1),
            (GrowthPotential.MEDIUM, 3),
            (GrowthPotential.LOW, 1),
        ),
        "fit": ((StrategicFit.ALIGNED, 3), (StrategicFit.PERIPHERAL, 2)),
        "depth": ((RelationshipDepth.MAJOR, 1), (RelationshipDepth.PARTICIPANT, 3)),
    },
    Tier.STANDARD: {
        "revenue": (0.3, 5),
        "share": (1, 8),
        "growth": ((GrowthPotential.MEDIUM, 1), (GrowthPotential.LOW, 3)),
        "fit": (
            (StrategicFit.ALIGNED, 1),
            (StrategicFit.PERIPHERAL, 3),
            (StrategicFit.OUTSIDE, 1),
        ),
        "depth": ((RelationshipDepth.PARTICIPANT, 2), (RelationshipDepth.NEW, 3)),
    },
}


def _pick(rng: random.Random, pairs: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([v for v, _w in pairs], [w for _v, w in pairs])[0]


def profile_inputs(rng: random.Random, tier: str, *, missing_rate: float = 0.08) -> dict[str, Any]:
    """Scoring inputs typical of an account of ``tier``; a few left unknown, as in real books."""
    profile = PROFILES[tier]
    revenue = Decimal(round(rng.uniform(*profile["revenue"]) * M, -4))
    share = rng.uniform(*profile["share"]) / 100
    values: dict[str, Any] = {
        "relationship_revenue": revenue,
        "wallet_size": Decimal(round(float(revenue) / share, -5)),
        "growth_potential": _pick(rng, profile["growth"]),
        "strategic_fit": _pick(rng, profile["fit"]),
        "relationship_depth": _pick(rng, profile["depth"]),
    }
    for name in ("wallet_size", "growth_potential", "strategic_fit"):
        if rng.random() < missing_rate:
            values[name] = None if name == "wallet_size" else ""
    return values


def volume_inputs(index: int, tier: str) -> dict[str, Any]:
    """Inputs of volume account number ``index`` (its own random stream: repeatable)."""
    return profile_inputs(random.Random(index * 7919 + 17), tier)


def volume_tiering_setup() -> None:
    """The published model the volume book is scored with (installed when there is none)."""
    scoring_model_install_default()


# ---------------------------------------------------------------- demo


@dataclass(slots=True)
class TieringSeedResult:
    inputs: int = 0
    scored: int = 0
    tier_changes: int = 0
    plans: int = 0
    overrides: int = 0


def _rng_for(account: Account) -> random.Random:
    return random.Random(zlib.crc32((account.uscc or account.legal_name_en).encode()))


OBJECTIVES: dict[str, str] = {
    Tier.STRATEGIC: (
        "Remain principal bank and mandated lead arranger for the group's project pipeline.\n"
        "Win the green bond mandate and the FX hedging of the overseas portfolio.\n"
        "Quarterly strategic dialogue at chairman level; annual joint planning session."
    ),
    Tier.KEY: (
        "Move from participant to mandated lead arranger on the next two financings.\n"
        "Add cash management and hedging to the relationship this year."
    ),
    Tier.CORE: (
        "Keep our share in the current financings and grow ancillary business.\n"
        "Prepare the case for an upgrade once the pipeline is confirmed."
    ),
}
STRATEGY = (
    "Coverage by the owner RM with a co-RM and a credit analyst; product specialists join "
    "for hedging and green finance. Position against the policy banks on speed of approval "
    "and structuring capability."
)
SERVICES = (
    (ProductLine.PROJECT_LOANS, "Dedicated credit approval track", "Credit decision within 15 working days of a complete application"),
    (ProductLine.SYNDICATION, "Arranging and underwriting", "Mandated lead arranger on syndicated financings"),
    (ProductLine.GREEN_FINANCE, "Green loan framework", "Pricing benefit for eligible green assets; second-party opinion support"),
    (ProductLine.HEDGING, "Interest-rate and FX hedging desk", "Named dealer; hedging aligned with drawdown schedules"),
    (ProductLine.CASH, "Cash pooling", "Group cash pool across project companies"),
    (ProductLine.ADVISORY, "Financial advisory", "Model audit and structuring support at origination"),
)  # fmt: skip
ACTIONS = (
    "Present the financing proposal for the next phase",
    "Arrange the site visit with the project director",
    "Send the hedging proposal for the USD tranche",
    "Agree the green loan eligibility assessment",
    "Prepare the annual relationship review",
    "Introduce the cash management specialist",
)
WALLET_LINES = (
    ProductLine.PROJECT_LOANS,
    ProductLine.SYNDICATION,
    ProductLine.HEDGING,
    ProductLine.CASH,
    ProductLine.GREEN_FINANCE,
    ProductLine.TRADE,
)


def _write_plan(account: Account, rng: random.Random, today: date, owners: list[User]) -> None:
    plan = AccountPlan.objects.create(
        account=account,
        status=PlanStatus.ACTIVE if rng.random() < 0.8 else PlanStatus.DRAFT,
        objectives=OBJECTIVES.get(account.tier, OBJECTIVES[Tier.CORE]),
        strategy=STRATEGY,
        next_review=today + timedelta(days=rng.randint(20, 120)),
        updated_by=account.owner,
    )
    revenue = float(account.relationship_revenue or 5 * M)
    lines = rng.sample(WALLET_LINES, rng.randint(3, 5))
    for position, line in enumerate(lines):
        current = revenue * rng.uniform(0.1, 0.5) if position < 3 else 0.0
        potential = current / rng.uniform(0.1, 0.45) if current else revenue * rng.uniform(0.2, 0.8)
        PlanWalletLine.objects.create(
            plan=plan,
            product_line=line,
            current=Decimal(round(current, -4)),
            potential=Decimal(round(max(potential, current), -4)),
        )
    for line, name, terms in rng.sample(SERVICES, rng.randint(2, 4)):
        PlanServiceItem.objects.create(
            plan=plan,
            product_line=line,
            name=name,
            terms=terms,
            status=rng.choice(ServiceItemStatus.values[:3]),
        )
    for title in rng.sample(ACTIONS, rng.randint(2, 4)):
        due = today + timedelta(days=rng.randint(-12, 45))
        done = due < today and rng.random() < 0.5
        PlanAction.objects.create(
            plan=plan,
            title=title,
            owner=rng.choice(owners),
            due_date=due,
            status=PlanActionStatus.DONE if done else PlanActionStatus.OPEN,
            done_at=timezone.now() - timedelta(days=1) if done else None,
        )


@transaction.atomic
def seed_tiering(*, today: date | None = None) -> TieringSeedResult:
    """Scores, overrides and plans for the demo book (see the module docstring)."""
    today = today or timezone.localdate()
    result = TieringSeedResult()
    model = scoring_model_install_default(recompute=False)

    accounts = list(Account.objects.select_related("owner", "team").order_by("pk"))
    for account in accounts:
        if any(getattr(account, name) not in (None, "") for name in ACCOUNT_INPUT_FIELDS[:5]):
            continue
        for name, value in profile_inputs(_rng_for(account), account.tier).items():
            setattr(account, name, value)
        # Saved one by one (audited), like the rest of the demo book.
        account.save(update_fields=[*ACCOUNT_INPUT_FIELDS[:5], "updated_at"])
        result.inputs += 1
    if accounts:
        outcome = tiering_recompute(
            spec=scoring_model_spec(scoring_model=model),
            account_ids=[a.pk for a in accounts],
        )
        result.scored, result.tier_changes = outcome.accounts, outcome.tier_changes

    result.overrides = _seed_overrides()

    # Plans are written once, on the first seeding; the last two Core accounts are left
    # without one so that the portal shows what is missing.
    if AccountPlan.objects.exists():
        return result
    plan_tiers = set(
        TierPolicy.objects.filter(requires_account_plan=True).values_list("tier", flat=True)
    )
    members: dict[int, list[User]] = {}
    for membership in AccountMembership.objects.select_related("user"):
        members.setdefault(membership.account_id, []).append(membership.user)
    needing = [
        a
        for a in Account.objects.select_related("owner", "team").order_by("pk")
        if a.tier in plan_tiers
    ]
    left_out = set(sorted(a.pk for a in needing if a.tier == Tier.CORE)[-2:])
    for account in needing:
        if account.pk in left_out:
            continue
        owners = [account.owner, *members.get(account.pk, [])]
        _write_plan(account, _rng_for(account), today, owners)
        result.plans += 1
    return result


def _seed_overrides() -> int:
    """Three overrides on the Energy & Power team's accounts, if it has none yet."""
    lead = User.objects.filter(username="lead.zhao").first()
    if lead is None or TierOverride.objects.exists():
        return 0
    accounts = list(
        Account.objects.filter(team__lead=lead)
        .select_related("owner", "team", "current_score")
        .order_by("pk")
    )
    core = [a for a in accounts if a.tier == Tier.CORE]
    standard = [a for a in accounts if a.tier == Tier.STANDARD]
    key = [a for a in accounts if a.tier == Tier.KEY]
    created = 0
    if core:
        account = core[0]
        override = tier_override_propose(
            account=account,
            user=account.owner,
            requested_tier=Tier.KEY,
            reason=(
                "Sponsor has been awarded two provincial offshore wind concessions; we are "
                "mandated lead arranger for the first. The model does not see the pipeline yet."
            ),
        )
        tier_override_approve(
            override=override, user=lead, note="Agreed for the duration of the mandate."
        )
        created += 1
    if standard:
        account = standard[0]
        tier_override_propose(
            account=account,
            user=account.owner,
            requested_tier=Tier.CORE,
            reason=(
                "New group CFO consolidates banking relationships; we are shortlisted as one "
                "of three core banks. Needs Core coverage and cadence now."
            ),
        )
        created += 1
    if key:
        account = key[-1]
        override = tier_override_propose(
            account=account,
            user=account.owner,
            requested_tier=Tier.STRATEGIC,
            reason="Client asked for a chairman-level dialogue after the last financing closed.",
        )
        tier_override_reject(
            override=override,
            user=lead,
            note="One transaction is not a strategic relationship; revisit after the next close.",
        )
        created += 1
    return created


def describe(result: TieringSeedResult) -> str:
    return (
        f"tiering: {result.inputs} accounts given inputs, {result.scored} scored "
        f"({result.tier_changes} tier changes), {result.overrides} overrides, "
        f"{result.plans} account plans"
    )
