"""Covenants: the financial figures a project reports, against its loan agreement's thresholds."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from ..choices import CovenantDirection, CovenantSource


class CovenantMetric(models.Model):
    """A kind of covenant figure (DSCR, LLCR, debt/equity, ...); administrators add more."""

    code = models.SlugField(
        _("code"),
        max_length=30,
        unique=True,
        help_text=_("Short stable code used in imports, e.g. dscr."),
    )
    name = models.CharField(_("name (English)"), max_length=100)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100, blank=True)
    direction = models.CharField(_("direction"), max_length=3, choices=CovenantDirection.choices)
    unit = models.CharField(
        _("unit"), max_length=10, blank=True, help_text=_("Shown after figures, e.g. x or %.")
    )
    default_threshold = models.DecimalField(
        _("usual threshold"),
        null=True,
        blank=True,
        help_text=_("Suggested when a project's covenant is added."),
        max_digits=14,
        decimal_places=4,
    )
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=100)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("covenant metric")
        verbose_name_plural = _("covenant metrics")
        constraints = [
            models.CheckConstraint(
                condition=Q(direction__in=CovenantDirection.values), name="metric_direction_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.name_zh and (get_language() or "").lower().startswith("zh"):
            return self.name_zh
        return self.name

    @property
    def is_minimum(self) -> bool:
        return self.direction == CovenantDirection.MINIMUM


def headroom_pct(*, value: Decimal, threshold: Decimal, direction: str) -> Decimal:
    """How far a figure is from breaching, as a percentage of the threshold (negative: breach)."""
    gap = value - threshold if direction == CovenantDirection.MINIMUM else threshold - value
    return (gap / threshold * 100).quantize(Decimal("0.01"))


class ProjectCovenant(models.Model):
    """A covenant in a project's loan agreement: which metric, and the threshold agreed."""

    project = models.ForeignKey(
        "accounts.Project",
        on_delete=models.CASCADE,
        related_name="covenants",
        verbose_name=_("project"),
    )
    metric = models.ForeignKey(
        CovenantMetric,
        on_delete=models.PROTECT,
        related_name="project_covenants",
        verbose_name=_("metric"),
    )
    threshold = models.DecimalField(_("threshold"), max_digits=14, decimal_places=4)
    clause = models.CharField(
        _("loan agreement clause"),
        max_length=120,
        blank=True,
        help_text=_("Where the loan agreement sets this threshold, e.g. §21.2(a)."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    class Meta:
        ordering = ["project", "metric__position"]
        verbose_name = _("project covenant")
        verbose_name_plural = _("project covenants")
        constraints = [
            models.UniqueConstraint(fields=["project", "metric"], name="project_covenant_unique"),
            models.CheckConstraint(
                condition=Q(threshold__gt=0), name="covenant_threshold_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project} — {self.metric}"

    def get_additional_data(self) -> dict[str, Any]:
        return {"account_id": self.project.account_id}


class CovenantTest(models.Model):
    """One reported figure of one project for one period, with the threshold that applied.

    The threshold is copied from the project's covenant when the figure is recorded, so the
    history keeps what was tested even if the agreement is amended later; the account is
    copied from the project, so that the scan reads a chunk of accounts' figures by an index
    range instead of joining every figure to its project."""

    account = models.ForeignKey(
        "accounts.Account",
        on_delete=models.CASCADE,
        related_name="+",
        editable=False,
        db_index=False,  # the (account, project, metric, period) index below serves
        verbose_name=_("account"),
    )
    project = models.ForeignKey(
        "accounts.Project",
        on_delete=models.CASCADE,
        related_name="covenant_tests",
        verbose_name=_("project"),
    )
    metric = models.ForeignKey(
        CovenantMetric,
        on_delete=models.PROTECT,
        related_name="tests",
        verbose_name=_("metric"),
    )
    period_end = models.DateField(_("period end"))
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=4)
    threshold = models.DecimalField(_("threshold"), max_digits=14, decimal_places=4)
    direction = models.CharField(_("direction"), max_length=3, choices=CovenantDirection.choices)
    source = models.CharField(
        _("source"), max_length=10, choices=CovenantSource.choices, default=CovenantSource.PORTAL
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("entered by"),
    )
    entered_at = models.DateTimeField(_("entered"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    class Meta:
        ordering = ["project", "metric__position", "-period_end"]
        verbose_name = _("covenant test")
        verbose_name_plural = _("covenant tests")
        constraints = [
            models.UniqueConstraint(
                fields=["project", "metric", "period_end"], name="covenant_test_once_per_period"
            ),
            models.CheckConstraint(
                condition=Q(threshold__gt=0), name="covenant_test_threshold_positive"
            ),
            models.CheckConstraint(
                condition=Q(direction__in=CovenantDirection.values),
                name="covenant_test_direction_valid",
            ),
            models.CheckConstraint(
                condition=Q(source__in=CovenantSource.values), name="covenant_test_source_valid"
            ),
        ]
        indexes = [
            # The rules read the latest figures of each (project, metric) of a range of accounts.
            models.Index(
                fields=["account", "project", "metric", "-period_end"],
                name="covenant_test_account_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project} {self.metric} {self.period_end:%Y-%m-%d}: {self.value}"

    def get_additional_data(self) -> dict[str, Any]:
        return {"account_id": self.account_id}

    @property
    def headroom(self) -> Decimal:
        return headroom_pct(value=self.value, threshold=self.threshold, direction=self.direction)

    @property
    def is_breach(self) -> bool:
        if self.direction == CovenantDirection.MINIMUM:
            return self.value < self.threshold
        return self.value > self.threshold
