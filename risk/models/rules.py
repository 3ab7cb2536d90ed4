"""Early-warning rules (data: type, parameters, severity, tiers) and the signals only risk keeps:
ESG events and the credit-rating observations behind the downgrade rule."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.choices import CreditRating, Tier

from ..choices import EsgCategory, EsgSeverity, EsgSource, Severity


def rule_type_choices() -> list[tuple[str, str]]:
    # Imported late: the registry imports models of several apps.
    from ..rules import registry

    return registry.choices()


class RiskRule(models.Model):
    """One configured early-warning rule. Its type is code (``risk.rules``); everything else
    here is data a risk officer edits: whether it runs, its thresholds, severity and tiers."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    rule_type = models.CharField(_("rule type"), max_length=40, choices=rule_type_choices)
    description = models.TextField(_("description"), blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    severity = models.PositiveSmallIntegerField(
        _("severity"), choices=Severity.choices, default=Severity.MEDIUM
    )
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    tiers = models.JSONField(
        _("tiers"),
        default=list,
        blank=True,
        help_text=_("The tiers this rule applies to; none selected means every tier."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("last changed by"),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("early-warning rule")
        verbose_name_plural = _("early-warning rules")
        constraints = [
            models.CheckConstraint(
                condition=Q(severity__in=Severity.values), name="riskrule_severity_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def type(self) -> Any:
        """The rule type class from the registry (``None`` for an unknown code)."""
        from ..rules import registry

        return registry.get(self.rule_type)

    @property
    def tier_labels(self) -> list[str]:
        labels = dict(Tier.choices)
        return [str(labels.get(t, t)) for t in self.tiers]

    def clean(self) -> None:
        from ..rules import registry

        self.parameters, self.tiers = registry.clean_rule(
            rule_type=self.rule_type,
            parameters=self.parameters,
            tiers=self.tiers,
            enabled=self.enabled,
        )


class EsgEvent(models.Model):
    """A negative environmental, social or governance event at an account or one of its
    projects (a spill, a community protest, a sanction); open until someone closes it."""

    account = models.ForeignKey(
        "accounts.Account",
        on_delete=models.CASCADE,
        related_name="esg_events",
        verbose_name=_("account"),
    )
    project = models.ForeignKey(
        "accounts.Project",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="esg_events",
        verbose_name=_("project"),
    )
    occurred_on = models.DateField(_("occurred on"))
    category = models.CharField(_("category"), max_length=20, choices=EsgCategory.choices)
    severity = models.PositiveSmallIntegerField(_("severity"), choices=EsgSeverity.choices)
    source = models.CharField(_("source"), max_length=20, choices=EsgSource.choices)
    title = models.CharField(pgettext_lazy("heading", "title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    closing_note = models.TextField(_("closing note"), blank=True)

    class Meta:
        ordering = ["-occurred_on", "-pk"]
        verbose_name = _("ESG event")
        verbose_name_plural = _("ESG events")
        constraints = [
            models.CheckConstraint(
                condition=Q(category__in=EsgCategory.values), name="esgevent_category_valid"
            ),
            models.CheckConstraint(
                condition=Q(severity__in=EsgSeverity.values), name="esgevent_severity_valid"
            ),
            models.CheckConstraint(
                condition=Q(source__in=EsgSource.values), name="esgevent_source_valid"
            ),
        ]
        indexes = [
            models.Index(
                fields=["account", "occurred_on"],
                condition=Q(closed_on__isnull=True),
                name="esgevent_open_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_additional_data(self) -> dict[str, Any]:
        return {"account_id": self.account_id}


class RatingSnapshot(models.Model):
    """The internal credit rating the scan last saw on an account.

    Accounts keep only their current rating, and ratings change through forms, the admin and
    bulk loads alike; comparing with the last observation catches every path."""

    account = models.OneToOneField(
        "accounts.Account",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="rating_snapshot",
        verbose_name=_("account"),
    )
    rating = models.CharField(
        _("internal credit rating"), max_length=4, choices=CreditRating.choices, blank=True
    )
    observed_at = models.DateTimeField(_("observed"))

    class Meta:
        verbose_name = _("credit rating snapshot")
        verbose_name_plural = _("credit rating snapshots")

    def __str__(self) -> str:
        return f"{self.account_id}: {self.rating or '—'}"


class RatingChange(models.Model):
    """A change of internal credit rating seen by the scan: the history the downgrade rule reads."""

    account = models.ForeignKey(
        "accounts.Account",
        on_delete=models.CASCADE,
        related_name="rating_changes",
        verbose_name=_("account"),
    )
    from_rating = models.CharField(
        pgettext_lazy("rating change", "from"),
        max_length=4,
        choices=CreditRating.choices,
        blank=True,
    )
    to_rating = models.CharField(
        pgettext_lazy("rating change", "to"),
        max_length=4,
        choices=CreditRating.choices,
        blank=True,
    )
    observed_at = models.DateTimeField(_("observed"))

    class Meta:
        ordering = ["-observed_at", "-pk"]
        verbose_name = _("credit rating change")
        verbose_name_plural = _("credit rating changes")
        indexes = [models.Index(fields=["account", "observed_at"], name="ratingchange_acct_idx")]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.from_rating or '—'} → {self.to_rating or '—'}"

    @property
    def notches(self) -> int:
        """Notches down (positive) or up (negative); 0 when either side is unrated."""
        if not self.from_rating or not self.to_rating:
            return 0
        return CreditRating.rank(self.to_rating) - CreditRating.rank(self.from_rating)
