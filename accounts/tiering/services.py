"""Writes of account screening and tiering: publishing scoring models, recomputing scores
(set-based, per chunk), and the maker–checker workflow of manual tier overrides.

Every change of an account's effective tier (``Account.tier``) goes through this module and
writes one ``TierChange`` row. Rows are locked (``SELECT … FOR UPDATE``, in primary-key order)
before the tier is compared, so two recomputes of the same account never both see the old
tier and never both write history.

Recomputes are queued by task name (``kam.queue.enqueue``): ``tasks`` imports this module,
never the other way round.
"""

from __future__ import annotations

import copy
import json
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import F, Func, JSONField, Max, Q, Sum, TextField, Value
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.audit import audit_update
from kam.models import User
from kam.queue import enqueue
from kam.roles import Role
from kam.services import notification_send

from ..choices import (
    OverrideStatus,
    RecomputeTrigger,
    ScoringModelStatus,
    Tier,
    TierChangeCause,
)
from ..models import (
    Account,
    AccountScore,
    ChoicePoints,
    Criterion,
    Facility,
    FxRate,
    ScoreBand,
    ScoringModel,
    TierChange,
    TieringChunk,
    TieringRun,
    TierOverride,
)
from ..rights import Right
from ..selectors import account_can
from .engine import (
    ACCOUNT_INPUT_FIELDS,
    ExposureAggregate,
    ModelSpec,
    account_inputs,
    override_lapses,
    score_account,
    validate_model,
)

logger = logging.getLogger(__name__)

OVERRIDE_REASON_MIN_LENGTH = 10

# The registered names of the tasks in ``accounts/tiering/tasks.py``. Beat
# (CELERY_BEAT_SCHEDULE) and messages already queued use them: never rename.
TASK_RECOMPUTE_ACCOUNT = "accounts.tiering.recompute_account"
TASK_RECOMPUTE_ALL = "accounts.tiering.recompute_all"
TASK_RECOMPUTE_CHUNK = "accounts.tiering.recompute_chunk"


def chunk_size() -> int:
    return int(getattr(settings, "TIERING_CHUNK_SIZE", 500))


# ---------------------------------------------------------------- scoring models

# Published models never change, so their engine form is read once per process; the key
# includes the publication time, so a reused id (a test database) never finds a stale spec.
_SPEC_CACHE: dict[tuple[int, str], ModelSpec] = {}


def scoring_model_published() -> ScoringModel | None:
    return ScoringModel.objects.filter(status=ScoringModelStatus.PUBLISHED).first()


def scoring_model_spec(*, scoring_model: ScoringModel) -> ModelSpec:
    """The engine form of a model; cached when published (immutable), read fresh otherwise."""
    key = (
        (scoring_model.pk, scoring_model.published_at.isoformat())
        if scoring_model.published_at
        else None
    )
    if key is not None and key in _SPEC_CACHE:
        return _SPEC_CACHE[key]
    model = ScoringModel.objects.prefetch_related("criteria__bands", "criteria__choice_points").get(
        pk=scoring_model.pk
    )
    spec = model.to_spec()
    if key is not None and not model.is_draft:
        _SPEC_CACHE[key] = spec
    return spec


def scoring_model_problems(*, scoring_model: ScoringModel) -> list[str]:
    """What stops a draft from being published (empty when it can be)."""
    return validate_model(scoring_model_spec(scoring_model=scoring_model))


@transaction.atomic
def scoring_model_publish(
    *, scoring_model: ScoringModel, user: User | None, recompute: bool = True
) -> ScoringModel:
    """Publish a valid draft as the next version; the version in use until now is superseded.

    Raises ValidationError listing every problem when the draft is not valid. Scores are then
    recomputed with the new version (after commit, by a worker).
    """
    model = ScoringModel.objects.select_for_update().get(pk=scoring_model.pk)
    if not model.is_draft:
        raise ValidationError(_("%(model)s is already published.") % {"model": model})
    problems = scoring_model_problems(scoring_model=model)
    if problems:
        raise ValidationError(problems)
    ScoringModel.objects.filter(status=ScoringModelStatus.PUBLISHED).update(
        status=ScoringModelStatus.SUPERSEDED
    )
    model.version = (ScoringModel.objects.aggregate(v=Max("version"))["v"] or 0) + 1
    model.status = ScoringModelStatus.PUBLISHED
    model.published_at = timezone.now()
    model.published_by = user
    model.save(update_fields=["version", "status", "published_at", "published_by"])
    if recompute:
        transaction.on_commit(lambda: enqueue_recompute_all(trigger=RecomputeTrigger.PUBLISH))
    return model


@transaction.atomic
def scoring_model_copy(*, source: ScoringModel, user: User | None) -> ScoringModel:
    """A new draft with the criteria, bands and points of ``source``."""
    draft = ScoringModel.objects.create(
        name=source.name,
        description=source.description,
        strategic_min=source.strategic_min,
        key_min=source.key_min,
        core_min=source.core_min,
        based_on=source,
        created_by=user,
    )
    bands: list[ScoreBand] = []
    choices: list[ChoicePoints] = []
    for criterion in source.criteria.prefetch_related("bands", "choice_points"):
        copy = Criterion.objects.create(
            scoring_model=draft,
            input=criterion.input,
            weight=criterion.weight,
            missing_policy=criterion.missing_policy,
            neutral_points=criterion.neutral_points,
            position=criterion.position,
        )
        bands += [
            ScoreBand(criterion=copy, lower_bound=b.lower_bound, points=b.points)
            for b in criterion.bands.all()
        ]
        choices += [
            ChoicePoints(criterion=copy, value=c.value, points=c.points)
            for c in criterion.choice_points.all()
        ]
    ScoreBand.objects.bulk_create(bands)
    ChoicePoints.objects.bulk_create(choices)
    return draft


# ---------------------------------------------------------------- recompute


@dataclass(slots=True)
class RecomputeResult:
    accounts: int = 0
    tier_changes: int = 0
    lapsed_overrides: int = 0
    skipped: bool = False


class _Jsonb(Func):
    template = "%(expressions)s::jsonb"
    output_field = JSONField()


def _jsonb(value: Any) -> Func | Any:
    """A JSON document for a bulk write. On PostgreSQL it goes as text cast to jsonb: psycopg
    quotes JSON inside bulk_create's UNNEST arrays with a regular expression per document,
    several times slower than sending each document as one text parameter."""
    if connection.vendor != "postgresql":
        return value
    return _Jsonb(Value(json.dumps(value, separators=(",", ":")), output_field=TextField()))


def _fx_rates() -> dict[str, Decimal]:
    return dict(FxRate.objects.values_list("currency", "rate_to_cny"))


# Facilities whose project has a green taxonomy category: the green share's numerator.
_GREEN = ~Q(project__green_category="")


def _exposure_inputs(
    scope: Q, borrowers: Q
) -> tuple[dict[int, list[ExposureAggregate]], dict[int, int], dict[int, list[ExposureAggregate]]]:
    """The exposure of the accounts in ``scope`` as obligors, per currency; their client
    groups; and each of those groups' exposure per currency (the sum over every member,
    inside the chunk or not). Three grouped queries whatever the number of accounts.

    Client groups live in the ``groups`` app (a floor above this one): they are read through
    the reverse relation ``Account.group_membership`` by name, never by import."""
    exposure: dict[int, list[ExposureAggregate]] = defaultdict(list)
    for row in (
        Facility.objects.filter(borrowers, exposure__gt=0)
        .order_by()
        .values("borrower_id", "currency")
        .annotate(total=Sum("exposure"), green=Sum("exposure", filter=_GREEN))
    ):
        exposure[row["borrower_id"]].append(
            ExposureAggregate(
                currency=row["currency"],
                exposure=row["total"] or Decimal(0),
                green_exposure=row["green"] or Decimal(0),
            )
        )
    groups = dict(
        Account.objects.filter(scope, group_membership__isnull=False)
        .order_by()
        .values_list("pk", "group_membership__group_id")
    )
    group_exposure: dict[int, list[ExposureAggregate]] = defaultdict(list)
    if groups:
        group_key = "borrower__group_membership__group_id"
        for row in (
            Facility.objects.filter(
                **{f"{group_key}__in": sorted(set(groups.values()))}, exposure__gt=0
            )
            .order_by()
            .values(group_id=F(group_key), cur=F("currency"))
            .annotate(total=Sum("exposure"))
        ):
            group_exposure[row["group_id"]].append(
                ExposureAggregate(currency=row["cur"], exposure=row["total"] or Decimal(0))
            )
    return exposure, groups, group_exposure


@transaction.atomic(savepoint=False)
def tiering_recompute(
    *,
    spec: ModelSpec,
    account_ids: Sequence[int] | None = None,
    pk_range: tuple[int, int] | None = None,
) -> RecomputeResult:
    """Score the given accounts with ``spec`` and apply the tiers; a fixed number of queries.

    Reads: the accounts (locked, in pk order), their exposure (facilities they borrow under)
    summed per currency, their client groups and the groups' exposure per currency, the
    overrides in force, the FX rates. Writes: the scores (one upsert), the tiers (one update per
    tier), the history (one insert), lapsed overrides (one update). History is written only for
    accounts whose effective tier changes, compared under the row lock.
    """
    if pk_range is not None:
        scope = Q(pk__gte=pk_range[0], pk__lte=pk_range[1])
        related = Q(account_id__gte=pk_range[0], account_id__lte=pk_range[1])
        borrowers = Q(borrower_id__gte=pk_range[0], borrower_id__lte=pk_range[1])
    elif account_ids is not None:
        scope, related = Q(pk__in=list(account_ids)), Q(account_id__in=list(account_ids))
        borrowers = Q(borrower_id__in=list(account_ids))
    else:
        raise ValueError("Give account_ids or pk_range.")

    rows = list(
        Account.objects.select_for_update()
        .filter(scope)
        .order_by("pk")
        .values("pk", "tier", *ACCOUNT_INPUT_FIELDS)
    )
    if not rows:
        return RecomputeResult()
    exposure, groups, group_exposure = _exposure_inputs(scope, borrowers)
    in_force = {
        o["account_id"]: o
        for o in TierOverride.objects.filter(related, status=OverrideStatus.APPROVED).values(
            "pk", "account_id", "requested_tier", "base_tier"
        )
    }
    fx = _fx_rates()

    # Scores point at the stored model version; a spec built without one cannot be saved.
    scoring_model_id = spec.id
    assert scoring_model_id is not None, "tiering_recompute needs the spec of a saved model"
    now = timezone.now()
    scores: list[AccountScore] = []
    changes: list[TierChange] = []
    new_tiers: dict[str, list[int]] = defaultdict(list)
    lapsed: list[int] = []
    for row in rows:
        pk = row["pk"]
        group_id = groups.get(pk)
        inputs = account_inputs(
            row,
            exposure.get(pk, ()),
            fx,
            group=None if group_id is None else group_exposure.get(group_id, ()),
        )
        result = score_account(spec, inputs)
        scores.append(
            AccountScore(
                account_id=pk,
                scoring_model_id=scoring_model_id,
                score=result.score,
                model_tier=result.tier,
                breakdown=_jsonb(result.breakdown_json()),
                computed_at=now,
            )
        )
        target, cause, override_id = result.tier, TierChangeCause.MODEL, None
        override = in_force.get(pk)
        if override is not None:
            if override_lapses(
                requested_tier=override["requested_tier"],
                base_tier=override["base_tier"] or override["requested_tier"],
                model_tier=result.tier,
            ):
                lapsed.append(override["pk"])
                cause, override_id = TierChangeCause.OVERRIDE_LAPSED, override["pk"]
            else:
                target = override["requested_tier"]
        if target != row["tier"]:
            new_tiers[target].append(pk)
            changes.append(
                TierChange(
                    account_id=pk,
                    changed_at=now,
                    old_tier=row["tier"],
                    new_tier=target,
                    score=result.score,
                    scoring_model_id=scoring_model_id,
                    cause=cause,
                    override_id=override_id,
                )
            )

    AccountScore.objects.bulk_create(
        scores,
        update_conflicts=True,
        unique_fields=["account"],
        update_fields=["scoring_model", "score", "model_tier", "breakdown", "computed_at"],
    )
    for tier, pks in new_tiers.items():
        Account.objects.filter(pk__in=pks).update(tier=tier, updated_at=now)
    if changes:
        TierChange.objects.bulk_create(changes)
    if lapsed:
        TierOverride.objects.filter(pk__in=lapsed, status=OverrideStatus.APPROVED).update(
            status=OverrideStatus.LAPSED, ended_at=now
        )
    return RecomputeResult(
        accounts=len(rows), tier_changes=len(changes), lapsed_overrides=len(lapsed)
    )


def tiering_recompute_account(*, account_id: int) -> RecomputeResult:
    """Rescore one account with the published model (after one of its inputs changed)."""
    model = scoring_model_published()
    if model is None:
        return RecomputeResult(skipped=True)
    return tiering_recompute(spec=scoring_model_spec(scoring_model=model), account_ids=[account_id])


@transaction.atomic
def tiering_run_start(
    *, trigger: str, key: str | None = None, size: int | None = None
) -> tuple[TieringRun | None, list[int]]:
    """Plan a recompute of every account: a run with chunks of ``size`` accounts by pk.

    Returns the run and the ids of the chunks to queue. With a ``key`` the run happens once:
    asked again, it returns the existing run and its unfinished chunks (a lost chunk is
    queued again; a finished one is not).
    """
    model = scoring_model_published()
    if model is None:
        logger.info("No published scoring model: nothing to recompute.")
        return None, []
    if key is not None:
        existing = TieringRun.objects.filter(key=key).first()
        if existing is not None:
            pending = list(
                existing.chunks.filter(finished_at__isnull=True).values_list("pk", flat=True)
            )
            return existing, pending
    size = size or chunk_size()
    pks = list(Account.objects.order_by("pk").values_list("pk", flat=True))
    run = TieringRun.objects.create(
        scoring_model=model, trigger=trigger, key=key, chunk_count=(len(pks) + size - 1) // size
    )
    chunks = TieringChunk.objects.bulk_create(
        TieringChunk(
            run=run, index=i, first_pk=pks[start], last_pk=pks[min(start + size, len(pks)) - 1]
        )
        for i, start in enumerate(range(0, len(pks), size))
    )
    if not chunks:
        run.finished_at = timezone.now()
        run.save(update_fields=["finished_at"])
        return run, []
    if any(c.pk is None for c in chunks):  # backends that do not return ids from bulk inserts
        return run, list(run.chunks.values_list("pk", flat=True))
    return run, [c.pk for c in chunks]


@transaction.atomic
def tiering_chunk_process(*, chunk_id: int) -> RecomputeResult:
    """Recompute one chunk of a run; safe to run twice or concurrently (idempotent)."""
    chunk = TieringChunk.objects.select_related("run__scoring_model").get(pk=chunk_id)
    if chunk.finished_at is not None:
        return RecomputeResult(skipped=True)
    model = chunk.run.scoring_model
    if model.status != ScoringModelStatus.PUBLISHED:
        # A newer version was published meanwhile; its own run rescores these accounts.
        result = RecomputeResult(skipped=True)
    else:
        result = tiering_recompute(
            spec=scoring_model_spec(scoring_model=model),
            pk_range=(chunk.first_pk, chunk.last_pk),
        )
    # Chunks finish one at a time per run (the run row is locked), so exactly one of them
    # sees that it was the last and closes the run.
    TieringRun.objects.select_for_update().filter(pk=chunk.run_id).values_list("pk").get()
    now = timezone.now()
    claimed = TieringChunk.objects.filter(pk=chunk_id, finished_at__isnull=True).update(
        finished_at=now, accounts=result.accounts, tier_changes=result.tier_changes
    )
    if (
        claimed
        and not TieringChunk.objects.filter(run_id=chunk.run_id, finished_at__isnull=True).exists()
    ):
        TieringRun.objects.filter(pk=chunk.run_id, finished_at__isnull=True).update(finished_at=now)
    return result


def nightly_key(day: date) -> str:
    return f"{RecomputeTrigger.NIGHTLY}:{day.isoformat()}"


# ---------------------------------------------------------------- queueing from the web


def _send(task_name: str, *args: Any) -> None:
    # The web keeps working when the broker is down: the nightly run catches up.
    try:
        enqueue(task_name, *args)
    except Exception:  # kombu raises several kinds of connection errors
        logger.exception(
            "Could not queue %s%r; the nightly recompute will catch up.", task_name, args
        )


def enqueue_account_recompute(account_id: int) -> None:
    """After the current transaction commits, rescore the account (one of its inputs changed)."""
    transaction.on_commit(lambda: _send(TASK_RECOMPUTE_ACCOUNT, account_id))


def enqueue_recompute_all(*, trigger: str) -> None:
    _send(TASK_RECOMPUTE_ALL, trigger)


# ---------------------------------------------------------------- overrides


def override_can_decide(*, user: User, account: Account, proposed_by_id: int) -> bool:
    """The account team's lead decides; when the lead proposed it, or the team has no lead,
    an executive does. Nobody decides their own proposal."""
    if user.pk == proposed_by_id or not user.is_active:
        return False
    lead_id = account.team.lead_id if account.team_id and account.team else None
    if lead_id is not None and lead_id != proposed_by_id:
        return user.pk == lead_id
    return user.has_role(Role.EXECUTIVE)


def override_can_propose(*, user: User, account: Account) -> bool:
    return account_can(user=user, account=account, right=Right.TIERING)


def _locked(account_id: int) -> Account:
    return Account.objects.select_for_update(of=("self",)).select_related("team").get(pk=account_id)


def _model_tier(account: Account) -> tuple[str, AccountScore | None]:
    score = AccountScore.objects.filter(account=account).first()
    return (score.model_tier if score else account.tier), score


def _set_tier(
    *,
    account: Account,
    tier: str,
    cause: str,
    user: User | None,
    override: TierOverride | None,
    score: AccountScore | None,
) -> TierChange | None:
    if account.tier == tier:
        return None
    now = timezone.now()
    change = TierChange.objects.create(
        account=account,
        changed_at=now,
        old_tier=account.tier,
        new_tier=tier,
        score=score.score if score else None,
        scoring_model_id=score.scoring_model_id if score else None,
        cause=cause,
        override=override,
        changed_by=user,
    )
    before = copy.copy(account)
    Account.objects.filter(pk=account.pk).update(tier=tier, updated_at=now)
    account.tier = tier
    audit_update(old=before, new=account)
    return change


def _notify(*, user: User | None, title: str, account: Account, key: str) -> None:
    if user is None:
        return
    # In the same transaction: the notification exists exactly when the decision does.
    notification_send(
        user=user, title=title, url=reverse("accounts:tiering", args=[account.pk]), key=key
    )


@transaction.atomic
def tier_override_propose(
    *, account: Account, user: User, requested_tier: str, reason: str
) -> TierOverride:
    """Propose a manual tier with a written reason; it changes nothing until approved."""
    if not override_can_propose(user=user, account=account):
        raise PermissionDenied(_("You cannot propose a tier for this account."))
    account = _locked(account.pk)
    reason = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    if len(reason) < OVERRIDE_REASON_MIN_LENGTH:
        errors["reason"] = [
            _("Explain the override in at least %(n)d characters.")
            % {"n": OVERRIDE_REASON_MIN_LENGTH}
        ]
    if requested_tier not in Tier.values:
        errors["requested_tier"] = [_("Choose a tier.")]
    elif requested_tier == account.tier:
        errors["requested_tier"] = [_("The account is already in this tier.")]
    if TierOverride.objects.filter(account=account, status=OverrideStatus.PENDING).exists():
        errors.setdefault("__all__", []).append(
            _("A proposal for this account is already waiting for a decision.")
        )
    if errors:
        raise ValidationError(errors)
    override = TierOverride.objects.create(
        account=account,
        requested_tier=requested_tier,
        reason=reason,
        proposed_by=user,
        tier_at_proposal=account.tier,
    )
    lead = account.team.lead if account.team_id and account.team else None
    if lead is not None and lead.pk != user.pk:
        _notify(
            user=lead,
            title=_("Tier override to approve: %(account)s") % {"account": account},
            account=account,
            key=f"tier-override:{override.pk}:proposed",
        )
    return override


def _decidable(*, override: TierOverride, user: User) -> tuple[Account, TierOverride]:
    account = _locked(override.account_id)
    locked = TierOverride.objects.select_for_update().get(pk=override.pk)
    if user.pk == locked.proposed_by_id:
        raise ValidationError(
            _("You proposed this override; someone else must approve or reject it.")
        )
    if not override_can_decide(user=user, account=account, proposed_by_id=locked.proposed_by_id):
        raise PermissionDenied(_("Only the account team's lead can decide this override."))
    if locked.status != OverrideStatus.PENDING:
        raise ValidationError(_("This override has already been decided."))
    return account, locked


@transaction.atomic
def tier_override_approve(*, override: TierOverride, user: User, note: str = "") -> TierOverride:
    """Approve: the requested tier takes effect now and holds until revoked or lapsed."""
    account, override = _decidable(override=override, user=user)
    model_tier, score = _model_tier(account)
    if override.requested_tier == model_tier:
        raise ValidationError(
            _("The scoring model now gives this tier itself; no override is needed. Reject it.")
        )
    now = timezone.now()
    for previous in TierOverride.objects.select_for_update().filter(
        account=account, status=OverrideStatus.APPROVED
    ):
        previous.status = OverrideStatus.SUPERSEDED
        previous.ended_at, previous.ended_by = now, user
        previous.save(update_fields=["status", "ended_at", "ended_by"])
    override.status = OverrideStatus.APPROVED
    override.decided_by, override.decided_at = user, now
    override.decision_note = (note or "").strip()
    override.base_tier, override.tier_before = model_tier, account.tier
    override.save()
    _set_tier(
        account=account,
        tier=override.requested_tier,
        cause=TierChangeCause.OVERRIDE_APPROVED,
        user=user,
        override=override,
        score=score,
    )
    _notify(
        user=override.proposed_by,
        title=_("Tier override approved: %(account)s") % {"account": account},
        account=account,
        key=f"tier-override:{override.pk}:approved",
    )
    return override


@transaction.atomic
def tier_override_reject(*, override: TierOverride, user: User, note: str) -> TierOverride:
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": [_("Say why the override is rejected.")]})
    account, override = _decidable(override=override, user=user)
    override.status = OverrideStatus.REJECTED
    override.decided_by, override.decided_at = user, timezone.now()
    override.decision_note = note
    override.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    _notify(
        user=override.proposed_by,
        title=_("Tier override rejected: %(account)s") % {"account": account},
        account=account,
        key=f"tier-override:{override.pk}:rejected",
    )
    return override


@transaction.atomic
def tier_override_withdraw(*, override: TierOverride, user: User) -> TierOverride:
    _locked(override.account_id)
    override = TierOverride.objects.select_for_update().get(pk=override.pk)
    if override.proposed_by_id != user.pk:
        raise PermissionDenied(_("Only the proposer can withdraw a proposal."))
    if override.status != OverrideStatus.PENDING:
        raise ValidationError(_("Only a proposal awaiting a decision can be withdrawn."))
    override.status = OverrideStatus.WITHDRAWN
    override.ended_by, override.ended_at = user, timezone.now()
    override.save(update_fields=["status", "ended_by", "ended_at"])
    return override


@transaction.atomic
def tier_override_revoke(*, override: TierOverride, user: User, note: str) -> TierOverride:
    """End an override in force: the account returns to the scoring model's tier."""
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": [_("Say why the override is revoked.")]})
    account = _locked(override.account_id)
    override = TierOverride.objects.select_for_update().get(pk=override.pk)
    if not (
        account_can(user=user, account=account, right=Right.TIERING)
        or override_can_decide(user=user, account=account, proposed_by_id=override.proposed_by_id)
        or user.pk == override.decided_by_id
    ):
        raise PermissionDenied(_("You cannot revoke this override."))
    if override.status != OverrideStatus.APPROVED:
        raise ValidationError(_("Only an override in force can be revoked."))
    model_tier, score = _model_tier(account)
    if score is None:
        model_tier = override.tier_before or account.tier
    override.status = OverrideStatus.REVOKED
    override.ended_by, override.ended_at, override.end_note = user, timezone.now(), note
    override.save(update_fields=["status", "ended_by", "ended_at", "end_note"])
    _set_tier(
        account=account,
        tier=model_tier,
        cause=TierChangeCause.OVERRIDE_REVOKED,
        user=user,
        override=override,
        score=score,
    )
    return override
