"""Reads of tiering and account plans, always through the one door
(``account_list_for_user`` / an account already fetched with ``account_get_for_user``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.db.models import F, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from kam.models import User
from kam.roles import Role

from ..choices import OverrideStatus, PlanActionStatus
from ..models import (
    Account,
    AccountPlan,
    AccountScore,
    PlanAction,
    TierChange,
    TierOverride,
    TierPolicy,
)
from ..rights import Right
from ..selectors import (
    account_can,
    account_filter_for_user,
    account_list_for_user,
    account_row_fields,
    account_tier_policy,
    tier_policies,
    tier_policy,
)
from .engine import (
    EXCLUDED,
    GROUP_EXPOSURE_NOTE,
    INPUTS,
    MISSING_NEUTRAL,
    MISSING_ZERO,
    NUMBER,
)
from .services import override_can_decide

RECENT_CHANGES = 5
HOME_ACTIONS = 10
HOME_ACTION_HORIZON_DAYS = 14


@dataclass(frozen=True, slots=True)
class BreakdownRow:
    label: str
    value: str  # formatted for display; "" when missing
    points: Decimal | None
    weight: Decimal
    effective_weight: Decimal
    contribution: Decimal
    status: str
    status_label: str

    @property
    def missing(self) -> bool:
        return self.status in (MISSING_ZERO, MISSING_NEUTRAL, EXCLUDED)


def _decimal(raw: object) -> Decimal | None:
    if raw is None:
        return None
    try:
        return Decimal(str(raw))
    except InvalidOperation:
        return None


def _display_value(input_key: str, raw: str | None) -> str:
    if raw is None:
        return ""
    definition = INPUTS.get(input_key)
    if definition is None:
        return raw
    if definition.kind == NUMBER:
        number = _decimal(raw)
        if number is None:
            return raw
        if definition.unit == "CNY":
            # Amounts in millions read better in a breakdown (CNY 1,234.5m).
            millions = number_format(number / Decimal(1_000_000), 1, force_grouping=True)
            return _("CNY %(amount)s m") % {"amount": millions}
        if definition.unit == "%":
            return f"{number_format(number, 1)} %"
        return number_format(number, 2, force_grouping=True)
    return definition.choice_label(raw)


def breakdown_rows(score: AccountScore) -> list[BreakdownRow]:
    """The stored breakdown of a score, ready to show (labels in the reader's language)."""
    labels = {
        MISSING_ZERO: _("Missing: scored zero"),
        MISSING_NEUTRAL: _("Missing: scored neutral"),
        EXCLUDED: _("Missing: left out, others re-weighted"),
    }
    rows: list[BreakdownRow] = []
    for line in (score.breakdown or {}).get("lines", []):
        key = line.get("input", "")
        definition = INPUTS.get(key)
        rows.append(
            BreakdownRow(
                label=str(definition.label) if definition else key,
                value=_display_value(key, line.get("value")),
                points=_decimal(line.get("points")),
                weight=_decimal(line.get("weight")) or Decimal(0),
                effective_weight=_decimal(line.get("effective_weight")) or Decimal(0),
                contribution=_decimal(line.get("contribution")) or Decimal(0),
                status=line.get("status", ""),
                status_label=labels.get(line.get("status", ""), ""),
            )
        )
    return rows


def breakdown_notes(score: AccountScore) -> list[str]:
    notes: list[str] = []
    for note in (score.breakdown or {}).get("notes", []):
        if note.startswith("no_fx_rate:"):
            notes.append(
                _(
                    "No FX rate for %(currencies)s: exposure and green share could not be "
                    "converted to CNY and count as missing."
                )
                % {"currencies": note.split(":", 1)[1]}
            )
        elif note == GROUP_EXPOSURE_NOTE:
            notes.append(
                _(
                    "Exposure: the account's client group owes us more than the account "
                    "itself, so the group's exposure was scored."
                )
            )
    return notes


@dataclass(slots=True)
class TieringSummary:
    account: Account
    score: AccountScore | None
    rows: list[BreakdownRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    recent_changes: list[TierChange] = field(default_factory=list)
    pending: TierOverride | None = None
    in_force: TierOverride | None = None
    plan: AccountPlan | None = None
    plan_required: bool = False
    can_propose: bool = False
    can_decide: bool = False
    can_withdraw: bool = False
    can_revoke: bool = False

    @property
    def plan_missing(self) -> bool:
        return self.plan_required and self.plan is None

    @property
    def tier_differs_from_model(self) -> bool:
        return self.score is not None and self.score.model_tier != self.account.tier


# What the tiering summary reads with an account (see ``account_tiering_summary``), and what
# it does not show of them: the model's name and version, the plan's status and date are all.
TIERING_RELATED = ("current_score__scoring_model", "plan")
TIERING_UNSHOWN = (
    *(
        f"current_score__scoring_model__{name}"
        for name in (
            "description",
            "based_on",
            "created_at",
            "created_by",
            "published_at",
            "published_by",
        )
    ),
    *(f"plan__{name}" for name in ("objectives", "strategy", "created_at", "updated_by")),
)


def account_tiering_summary(
    *,
    user: User,
    account: Account,
    changes: int = RECENT_CHANGES,
    writable: bool | None = None,
    score_read: bool = False,
) -> TieringSummary:
    """Score, breakdown, recent tier history, overrides and plan status of one visible account.

    Three queries: the score, its model and the plan in one (none with ``score_read``: the
    account was just read with ``TIERING_RELATED``); the recent history; the open overrides. ``writable`` saves a
    query when the page already knows whether the user may change the account."""
    row: Account | None = account
    loaded = Account.current_score.is_cached(account) and Account.plan.is_cached(account)
    if not score_read or not loaded:
        row = Account.objects.filter(pk=account.pk).select_related(*TIERING_RELATED).first()
    score: AccountScore | None = getattr(row, "current_score", None) if row else None
    summary = TieringSummary(account=account, score=score)
    if row is not None:
        summary.plan = getattr(row, "plan", None)
        policy = account_tier_policy(account) if row.tier == account.tier else tier_policy(row.tier)
        summary.plan_required = bool(policy and policy.requires_account_plan)
    if score is not None:
        summary.rows = breakdown_rows(score)
        summary.notes = breakdown_notes(score)
    if changes:
        # Prefetched, not joined: most accounts have neither changes nor open overrides,
        # and an empty result then costs no second query (a join to the user table costs
        # every page view the compiling of all its columns).
        summary.recent_changes = list(
            TierChange.objects.filter(account=account)
            .prefetch_related("changed_by", "scoring_model")
            .order_by("-changed_at", "-pk")[:changes]
        )
    for override in TierOverride.objects.filter(
        account=account, status__in=[OverrideStatus.PENDING, OverrideStatus.APPROVED]
    ).prefetch_related("proposed_by", "decided_by"):
        if override.status == OverrideStatus.PENDING:
            summary.pending = override
        else:
            summary.in_force = override
    if writable is None:
        writable = account_can(user=user, account=account, right=Right.TIERING)
    summary.can_propose = writable and summary.pending is None
    if summary.pending is not None:
        summary.can_decide = override_can_decide(
            user=user, account=account, proposed_by_id=summary.pending.proposed_by_id
        )
        summary.can_withdraw = summary.pending.proposed_by_id == user.pk
    if summary.in_force is not None:
        summary.can_revoke = writable or user.pk == summary.in_force.decided_by_id
    return summary


def tier_history_for_account(*, account: Account) -> QuerySet[TierChange]:
    return (
        TierChange.objects.filter(account=account)
        .select_related("changed_by", "scoring_model", "override")
        .order_by("-changed_at", "-pk")
    )


def overrides_for_account(*, account: Account) -> QuerySet[TierOverride]:
    return (
        TierOverride.objects.filter(account=account)
        .select_related("proposed_by", "decided_by", "ended_by")
        .order_by("-proposed_at", "-pk")
    )


def override_get_for_user(*, user: User, pk: int | str) -> TierOverride:
    """An override of an account ``user`` can see; 404 otherwise."""
    try:
        return (
            TierOverride.objects.filter(account__in=account_list_for_user(user=user))
            .select_related("account__team", "account__owner", "proposed_by")
            .get(pk=pk)
        )
    except (TierOverride.DoesNotExist, ValueError) as exc:
        raise Http404("No such override.") from exc


def override_queue_for_user(*, user: User) -> QuerySet[TierOverride]:
    """Proposals awaiting ``user``'s decision: as the account team's lead, or as an executive
    for proposals a lead made (or on accounts whose team has no lead)."""
    decidable = Q(account__team__lead=user)
    if user.has_role(Role.EXECUTIVE):
        decidable |= (
            Q(account__team__isnull=True)
            | Q(account__team__lead__isnull=True)
            | Q(proposed_by=F("account__team__lead"))
        )
    return (
        TierOverride.objects.filter(
            decidable,
            account__in=account_list_for_user(user=user),
            status=OverrideStatus.PENDING,
        )
        .exclude(proposed_by=user)
        .select_related("account", "proposed_by")
        .order_by("proposed_at", "pk")
    )


def overrides_proposed_by(*, user: User) -> QuerySet[TierOverride]:
    return (
        TierOverride.objects.filter(proposed_by=user, account__in=account_list_for_user(user=user))
        .select_related("account", "decided_by")
        .order_by("-proposed_at", "-pk")
    )


# ---------------------------------------------------------------- plans


def plan_actions_due_for_user(
    *, user: User, horizon_days: int = HOME_ACTION_HORIZON_DAYS, today: date | None = None
) -> QuerySet[PlanAction]:
    """My open plan actions due within ``horizon_days`` (overdue first), on accounts I see."""
    today = today or timezone.localdate()
    return (
        PlanAction.objects.filter(
            account_filter_for_user(user=user, field="plan__account"),
            owner=user,
            status=PlanActionStatus.OPEN,
            due_date__lte=today + timedelta(days=horizon_days),
        )
        .select_related("plan__account")
        .order_by("due_date", "pk")
    )


@dataclass(slots=True)
class HomeTiering:
    actions: list[PlanAction]
    more: bool
    today: date
    overrides_to_decide: int
    plans_missing: int


def home_tiering(*, user: User, policies: dict[str, TierPolicy] | None = None) -> HomeTiering:
    """The RM home's tiering section: plan actions due, decisions waiting, missing plans
    (``policies``: the tier policies, when the page has read them)."""
    today = timezone.localdate()
    # One row more than shown says whether there are more, without a second query.
    actions = list(
        plan_actions_due_for_user(user=user, today=today).only(
            "title", "due_date", "plan", "plan__account", *account_row_fields("plan__account__")
        )[: HOME_ACTIONS + 1]
    )
    more = len(actions) > HOME_ACTIONS
    actions = actions[:HOME_ACTIONS]
    policies = tier_policies() if policies is None else policies
    plan_tiers = [tier for tier, policy in policies.items() if policy.requires_account_plan]
    missing = (
        account_list_for_user(user=user)
        .filter(owner=user, tier__in=plan_tiers, plan__isnull=True)
        .count()
    )
    deciding = 0
    if user.has_role(Role.TEAM_LEAD, Role.EXECUTIVE):
        deciding = override_queue_for_user(user=user).count()
    return HomeTiering(
        actions=actions,
        more=more,
        today=today,
        overrides_to_decide=deciding,
        plans_missing=missing,
    )
