"""Account screening and tiering: versioned scoring models, current scores with their
breakdown, tier history, manual overrides, FX rates and recompute runs.

A scoring model is edited as a draft and becomes immutable when published; scores and tier
history keep pointing at the version that produced them (PROTECT). The rules are in
``accounts/tiering/engine.py`` (pure) and the writes in ``accounts/tiering/services.py``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from kam.model_mixins import choices_check

from ..choices import (
    Currency,
    MissingPolicy,
    OverrideStatus,
    RecomputeTrigger,
    ScoringModelStatus,
    Tier,
    TierChangeCause,
)
from ..models.core import Account
from .engine import (
    CHOICE,
    INPUT_CHOICES,
    INPUTS,
    NUMBER,
    Band,
    CriterionSpec,
    ModelSpec,
)

# Shared by the 0-100 points fields below.
_POINTS_VALIDATORS = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


class FxRate(models.Model):
    """How many CNY one unit of a currency is worth, for adding exposures across currencies."""

    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices, unique=True)
    rate_to_cny = models.DecimalField(
        _("CNY per unit"),
        max_digits=18,
        decimal_places=8,
        validators=[MinValueValidator(Decimal("0.00000001"))],
    )
    as_of = models.DateField(_("as of"))
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    class Meta:
        verbose_name = _("FX rate")
        verbose_name_plural = _("FX rates")
        ordering = ["currency"]
        constraints = [
            models.CheckConstraint(condition=Q(rate_to_cny__gt=0), name="fxrate_positive"),
            models.CheckConstraint(
                condition=choices_check("currency", Currency) & ~Q(currency="CNY"),
                name="fxrate_currency_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"1 {self.currency} = {self.rate_to_cny} CNY"


class ScoringModel(models.Model):
    """One version of the scoring model: criteria with weights and the tier thresholds."""

    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ScoringModelStatus.choices,
        default=ScoringModelStatus.DRAFT,
        editable=False,
    )
    version = models.PositiveIntegerField(_("version"), null=True, blank=True, editable=False)
    strategic_min = models.DecimalField(
        _("Strategic from score"),
        default=Decimal("80"),
        max_digits=5,
        decimal_places=2,
        validators=_POINTS_VALIDATORS,
    )
    key_min = models.DecimalField(
        _("Key from score"),
        default=Decimal("65"),
        max_digits=5,
        decimal_places=2,
        validators=_POINTS_VALIDATORS,
    )
    core_min = models.DecimalField(
        _("Core from score"),
        default=Decimal("45"),
        max_digits=5,
        decimal_places=2,
        validators=_POINTS_VALIDATORS,
    )
    based_on = models.ForeignKey(
        "self",
        verbose_name=_("based on"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="drafts",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    published_at = models.DateTimeField(_("published"), null=True, blank=True, editable=False)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    class Meta:
        verbose_name = _("scoring model")
        verbose_name_plural = _("scoring models")
        ordering = [F("version").desc(nulls_first=True), "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["version"], condition=Q(version__isnull=False), name="scoringmodel_version"
            ),
            # Exactly one version scores the accounts.
            models.UniqueConstraint(
                fields=["status"],
                condition=Q(status=ScoringModelStatus.PUBLISHED),
                name="scoringmodel_one_published",
            ),
            models.CheckConstraint(
                condition=Q(status=ScoringModelStatus.DRAFT) | Q(version__isnull=False),
                name="scoringmodel_published_has_version",
            ),
            models.CheckConstraint(
                condition=choices_check("status", ScoringModelStatus),
                name="scoringmodel_status_valid",
            ),
        ]

    def __str__(self) -> str:
        if self.version:
            return f"{self.name} v{self.version}"
        return f"{self.name} ({_('draft')})"

    @property
    def is_draft(self) -> bool:
        return self.status == ScoringModelStatus.DRAFT

    def to_spec(self) -> ModelSpec:
        """The model as the pure engine sees it (criteria, bands and choices prefetched or read)."""
        criteria: list[CriterionSpec] = []
        for criterion in self.criteria.all():
            criteria.append(criterion.to_spec())
        return ModelSpec(
            criteria=tuple(criteria),
            strategic_min=self.strategic_min,
            key_min=self.key_min,
            core_min=self.core_min,
            id=self.pk,
            version=self.version,
        )


class _DraftOnly(models.Model):
    """Parts of a scoring model can be changed only while the model is a draft."""

    class Meta:
        abstract = True

    def _scoring_model(self) -> ScoringModel | None:
        raise NotImplementedError

    def clean(self) -> None:
        model = self._scoring_model()
        if model is not None and not model.is_draft:
            raise ValidationError(
                _("%(model)s is published and cannot change; make a new draft from it.")
                % {"model": model}
            )


class Criterion(_DraftOnly):
    scoring_model = models.ForeignKey(
        ScoringModel,
        verbose_name=_("scoring model"),
        on_delete=models.CASCADE,
        related_name="criteria",
    )
    input = models.CharField(_("input"), max_length=40, choices=INPUT_CHOICES)
    weight = models.DecimalField(
        _("weight"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("100"))],
        help_text=_("The weights of a model add up to 100."),
    )
    missing_policy = models.CharField(
        _("when the input is missing"),
        max_length=10,
        choices=MissingPolicy.choices,
        default=MissingPolicy.ZERO,
    )
    neutral_points = models.DecimalField(
        _("neutral points"),
        null=True,
        blank=True,
        help_text=_("Points given when the input is missing and the policy is “neutral”."),
        max_digits=5,
        decimal_places=2,
        validators=_POINTS_VALIDATORS,
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        ordering = ["scoring_model", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["scoring_model", "input"], name="criterion_input_once"),
            models.CheckConstraint(
                condition=choices_check("missing_policy", MissingPolicy),
                name="criterion_missing_policy_valid",
            ),
            models.CheckConstraint(
                condition=Q(weight__gt=0) & Q(weight__lte=100), name="criterion_weight_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_input_display()} ({self.weight})"

    def _scoring_model(self) -> ScoringModel | None:
        return self.scoring_model if self.scoring_model_id else None

    @property
    def kind(self) -> str:
        definition = INPUTS.get(self.input)
        return definition.kind if definition else ""

    @property
    def is_numeric(self) -> bool:
        return self.kind == NUMBER

    @property
    def is_choice(self) -> bool:
        return self.kind == CHOICE

    def clean(self) -> None:
        super().clean()
        if self.missing_policy == MissingPolicy.NEUTRAL and self.neutral_points is None:
            raise ValidationError(
                {"neutral_points": _("Give the points a missing input scores as neutral.")}
            )

    def to_spec(self) -> CriterionSpec:
        return CriterionSpec(
            input=self.input,
            weight=self.weight,
            bands=tuple(Band(b.lower_bound, b.points) for b in self.bands.all()),
            choices={c.value: c.points for c in self.choice_points.all()},
            missing_policy=self.missing_policy,
            neutral_points=self.neutral_points,
        )


class ScoreBand(_DraftOnly):
    """Points for a numeric input from ``lower_bound`` (inclusive) up to the next band."""

    criterion = models.ForeignKey(
        Criterion, verbose_name=_("criterion"), on_delete=models.CASCADE, related_name="bands"
    )
    lower_bound = models.DecimalField(
        _("from (inclusive)"),
        max_digits=20,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("CNY for amounts, percent for shares. The first band starts at 0."),
    )
    points = models.DecimalField(
        _("points"), max_digits=5, decimal_places=2, validators=_POINTS_VALIDATORS
    )

    class Meta:
        verbose_name = _("band")
        verbose_name_plural = _("bands")
        ordering = ["criterion", "lower_bound"]
        constraints = [
            models.UniqueConstraint(fields=["criterion", "lower_bound"], name="band_lower_once"),
            models.CheckConstraint(
                condition=Q(points__gte=0) & Q(points__lte=100), name="band_points_range"
            ),
        ]

    def __str__(self) -> str:
        return f"≥ {self.lower_bound}: {self.points}"

    def _scoring_model(self) -> ScoringModel | None:
        return self.criterion.scoring_model if self.criterion_id else None

    def clean(self) -> None:
        super().clean()
        if self.criterion_id and not self.criterion.is_numeric:
            raise ValidationError(_("This criterion's input is a choice: give points per choice."))


class ChoicePoints(_DraftOnly):
    """Points for one value of a choice input."""

    criterion = models.ForeignKey(
        Criterion,
        verbose_name=_("criterion"),
        on_delete=models.CASCADE,
        related_name="choice_points",
    )
    value = models.CharField(_("choice"), max_length=20)
    points = models.DecimalField(
        _("points"), max_digits=5, decimal_places=2, validators=_POINTS_VALIDATORS
    )

    class Meta:
        verbose_name = _("points for a choice")
        verbose_name_plural = _("points per choice")
        ordering = ["criterion", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["criterion", "value"], name="choice_points_once"),
            models.CheckConstraint(
                condition=Q(points__gte=0) & Q(points__lte=100), name="choice_points_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.value}: {self.points}"

    def _scoring_model(self) -> ScoringModel | None:
        return self.criterion.scoring_model if self.criterion_id else None

    def clean(self) -> None:
        super().clean()
        if not self.criterion_id:
            return
        definition = INPUTS.get(self.criterion.input)
        if definition is None or definition.choices is None:
            raise ValidationError(_("This criterion's input is a number: score it by bands."))
        if self.value not in definition.choices.values:
            raise ValidationError(
                {
                    "value": _("Choose one of: %(values)s.")
                    % {"values": ", ".join(definition.choices.values)}
                }
            )


class AccountScore(models.Model):
    """An account's current score: the version that made it, the tier it gives, and why."""

    account = models.OneToOneField(
        Account,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="current_score",
    )
    scoring_model = models.ForeignKey(
        ScoringModel,
        verbose_name=_("scoring model"),
        on_delete=models.PROTECT,
        related_name="scores",
    )
    score = models.DecimalField(
        _("score"), max_digits=5, decimal_places=2, validators=_POINTS_VALIDATORS
    )
    model_tier = models.CharField(_("tier by the model"), max_length=20, choices=Tier.choices)
    breakdown = models.JSONField(_("breakdown"), default=dict)
    computed_at = models.DateTimeField(_("computed"))

    class Meta:
        verbose_name = _("account score")
        verbose_name_plural = _("account scores")
        constraints = [
            models.CheckConstraint(
                condition=choices_check("model_tier", Tier), name="accountscore_tier_valid"
            ),
        ]
        indexes = [models.Index(fields=["score"], name="accountscore_score_idx")]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.score}"


class TierOverride(models.Model):
    """A manual tier: proposed with a reason, in force only once approved (maker–checker)."""

    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="tier_overrides",
    )
    requested_tier = models.CharField(_("requested tier"), max_length=20, choices=Tier.choices)
    reason = models.TextField(_("reason"))
    status = models.CharField(
        _("status"), max_length=20, choices=OverrideStatus.choices, default=OverrideStatus.PENDING
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("proposed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    proposed_at = models.DateTimeField(_("proposed"), auto_now_add=True)
    tier_at_proposal = models.CharField(
        _("tier when proposed"), max_length=20, choices=Tier.choices
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)
    # The model's tier when approved: which way the override points, for the lapse rule.
    base_tier = models.CharField(
        _("model tier when approved"), max_length=20, choices=Tier.choices, blank=True
    )
    tier_before = models.CharField(
        _("tier before the override"), max_length=20, choices=Tier.choices, blank=True
    )
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("ended by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    end_note = models.TextField(_("why it ended"), blank=True)

    class Meta:
        verbose_name = _("tier override")
        verbose_name_plural = _("tier overrides")
        ordering = ["-proposed_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["account"],
                condition=Q(status=OverrideStatus.PENDING),
                name="override_one_pending",
            ),
            models.UniqueConstraint(
                fields=["account"],
                condition=Q(status=OverrideStatus.APPROVED),
                name="override_one_in_force",
            ),
            # Maker–checker in the database: nobody approves or rejects their own proposal.
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("proposed_by")),
                name="override_not_self_decided",
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="override_has_reason"),
            models.CheckConstraint(
                condition=choices_check("requested_tier", Tier), name="override_tier_valid"
            ),
            models.CheckConstraint(
                condition=choices_check("status", OverrideStatus), name="override_status_valid"
            ),
        ]
        indexes = [
            models.Index(
                fields=["account"],
                condition=Q(status__in=[OverrideStatus.PENDING, OverrideStatus.APPROVED]),
                name="override_open_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account} → {self.get_requested_tier_display()} ({self.get_status_display()})"

    def get_additional_data(self) -> dict[str, Any]:
        return {"account_id": self.account_id}


class TierChange(models.Model):
    """One change of an account's effective tier: old, new, score, cause, who and when."""

    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="tier_changes"
    )
    changed_at = models.DateTimeField(_("when"))
    old_tier = models.CharField(_("old tier"), max_length=20, choices=Tier.choices)
    new_tier = models.CharField(_("new tier"), max_length=20, choices=Tier.choices)
    score = models.DecimalField(_("score"), null=True, blank=True, max_digits=5, decimal_places=2)
    scoring_model = models.ForeignKey(
        ScoringModel,
        verbose_name=_("scoring model"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tier_changes",
    )
    cause = models.CharField(_("cause"), max_length=20, choices=TierChangeCause.choices)
    override = models.ForeignKey(
        TierOverride,
        verbose_name=_("override"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tier_changes",
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty when the scheduled recompute made the change."),
    )

    class Meta:
        verbose_name = _("tier change")
        verbose_name_plural = _("tier history")
        ordering = ["-changed_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(old_tier=F("new_tier")), name="tierchange_changes"),
            models.CheckConstraint(
                condition=choices_check("cause", TierChangeCause), name="tierchange_cause_valid"
            ),
        ]
        indexes = [models.Index(fields=["account", "-changed_at"], name="tierchange_account_idx")]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.old_tier} → {self.new_tier}"


class TieringRun(models.Model):
    """A recompute of every account, split into chunks that workers process independently."""

    scoring_model = models.ForeignKey(
        ScoringModel,
        verbose_name=_("scoring model"),
        on_delete=models.PROTECT,
        related_name="runs",
    )
    trigger = models.CharField(_("trigger"), max_length=20, choices=RecomputeTrigger.choices)
    # Makes a scheduled run happen once (e.g. "nightly:2026-11-28"): a dispatcher that runs
    # again finds the run and re-queues its unfinished chunks instead of starting another.
    key = models.CharField(_("key"), max_length=60, null=True, blank=True, unique=True)
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    chunk_count = models.PositiveIntegerField(_("chunks"), default=0)

    class Meta:
        verbose_name = _("recompute run")
        verbose_name_plural = _("recompute runs")
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_trigger_display()} {self.started_at:%Y-%m-%d %H:%M}"


class TieringChunk(models.Model):
    """One chunk of a run: the accounts with ``first_pk <= pk <= last_pk``."""

    run = models.ForeignKey(
        TieringRun, verbose_name=_("run"), on_delete=models.CASCADE, related_name="chunks"
    )
    index = models.PositiveIntegerField(_("chunk"))
    first_pk = models.BigIntegerField(_("first account id"))
    last_pk = models.BigIntegerField(_("last account id"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    accounts = models.PositiveIntegerField(_("accounts scored"), default=0)
    tier_changes = models.PositiveIntegerField(_("tier changes"), default=0)

    class Meta:
        verbose_name = _("recompute chunk")
        verbose_name_plural = _("recompute chunks")
        ordering = ["run", "index"]
        constraints = [
            models.UniqueConstraint(fields=["run", "index"], name="tieringchunk_once"),
        ]

    def __str__(self) -> str:
        return f"{self.run_id}#{self.index}"
