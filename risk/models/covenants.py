"""Covenants: the financial figures a project reports, against its loan agreement's thresholds."""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from ..choices import (
    CovenantBasis,
    CovenantDirection,
    CovenantFrequency,
    CovenantLevelKind,
    CovenantSource,
    WaiverKind,
    WaiverStatus,
)


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


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months``; a month end stays a month end (30 June + 6 months = 31 Dec)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    at_month_end = day.day == calendar.monthrange(day.year, day.month)[1]
    return date(year, month, last if at_month_end else min(day.day, last))


def is_past(*, value: Decimal, threshold: Decimal | None, direction: str) -> bool:
    """Whether ``value`` is on the wrong side of ``threshold`` (never, when there is none)."""
    if threshold is None:
        return False
    if direction == CovenantDirection.MINIMUM:
        return value < threshold
    return value > threshold


class ProjectCovenant(models.Model):
    """A covenant in a project's loan agreement: which metric, its levels (lock-up and event of
    default, see CovenantLevel), whether it looks back or forward, and when it is tested."""

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
    basis = models.CharField(
        _("basis"),
        max_length=10,
        choices=CovenantBasis.choices,
        default=CovenantBasis.BACKWARD,
    )
    frequency = models.PositiveSmallIntegerField(
        _("test frequency"),
        choices=CovenantFrequency.choices,
        default=CovenantFrequency.SEMI_ANNUAL,
    )
    next_test_date = models.DateField(
        _("next test date"),
        null=True,
        blank=True,
        help_text=_("The end of the next period the covenant is tested on."),
    )
    certificate_days = models.PositiveSmallIntegerField(
        _("certificate due (days after the test date)"),
        default=60,
        help_text=_("The borrower delivers its compliance certificate this many days later."),
    )
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
                condition=Q(basis__in=CovenantBasis.values), name="covenant_basis_valid"
            ),
            models.CheckConstraint(
                condition=Q(frequency__in=CovenantFrequency.values),
                name="covenant_frequency_valid",
            ),
            models.CheckConstraint(
                condition=Q(certificate_days__lte=365), name="covenant_certificate_days_range"
            ),
        ]
        indexes = [
            # The certificate reminders and the calendar read covenants by next test date.
            models.Index(
                fields=["next_test_date"],
                name="covenant_next_test_idx",
                condition=Q(next_test_date__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project} — {self.metric}"

    def get_additional_data(self) -> dict[str, Any]:
        return {"account_id": self.project.account_id}

    @property
    def certificate_due_on(self) -> date | None:
        if self.next_test_date is None:
            return None
        return self.next_test_date + timedelta(days=self.certificate_days)

    def levels_on(
        self, day: date | None = None, levels: Iterable[CovenantLevel] | None = None
    ) -> dict[str, Decimal]:
        """The threshold of each level kind in force on ``day`` (today's when None): the level
        valid from the latest date on or before it, an amendment's over the original's. Reads
        prefetched ``levels`` when there are."""
        found: dict[str, tuple[date, Decimal]] = {}
        for level in self.levels.all() if levels is None else levels:
            start = level.valid_from or date.min
            if day is not None and start > day:
                continue
            if level.kind not in found or start >= found[level.kind][0]:
                found[level.kind] = (start, level.threshold)
        return {kind: threshold for kind, (_start, threshold) in found.items()}

    @property
    def current_levels(self) -> dict[str, Decimal]:
        return self.levels_on(None)

    @property
    def lock_up_threshold(self) -> Decimal | None:
        return self.current_levels.get(CovenantLevelKind.LOCK_UP)

    @property
    def default_threshold(self) -> Decimal | None:
        return self.current_levels.get(CovenantLevelKind.EVENT_OF_DEFAULT)


class CovenantLevel(models.Model):
    """One threshold of a covenant (lock-up / cash sweep, or event of default), in force from
    ``valid_from`` (from the start when empty). An amendment adds levels from its date; the
    earlier ones stay, so the history of what applied when is kept."""

    covenant = models.ForeignKey(
        ProjectCovenant,
        on_delete=models.CASCADE,
        related_name="levels",
        verbose_name=_("covenant"),
    )
    kind = models.CharField(_("level"), max_length=10, choices=CovenantLevelKind.choices)
    threshold = models.DecimalField(_("threshold"), max_digits=14, decimal_places=4)
    valid_from = models.DateField(
        _("valid from"),
        null=True,
        blank=True,
        help_text=_("Tests of periods ending on or after this date; empty: from the start."),
    )
    amendment = models.ForeignKey(
        "CovenantWaiver",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="levels",
        verbose_name=_("amendment"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["covenant", "kind", "valid_from"]
        verbose_name = _("covenant level")
        verbose_name_plural = _("covenant levels")
        constraints = [
            models.UniqueConstraint(
                fields=["covenant", "kind", "valid_from"],
                condition=Q(valid_from__isnull=False),
                name="covenant_level_once_per_date",
            ),
            models.UniqueConstraint(
                fields=["covenant", "kind"],
                condition=Q(valid_from__isnull=True),
                name="covenant_level_once_from_start",
            ),
            models.CheckConstraint(
                condition=Q(threshold__gt=0), name="covenant_level_threshold_positive"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=CovenantLevelKind.values), name="covenant_level_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        since = f" ({self.valid_from:%Y-%m-%d})" if self.valid_from else ""
        return f"{self.get_kind_display()} {self.threshold.normalize()}{since}"

    def get_additional_data(self) -> dict[str, Any]:
        return {"account_id": self.covenant.project.account_id}


class CovenantTest(models.Model):
    """One reported figure of one project for one period, with the levels that applied.

    The levels (event of default in ``threshold``, lock-up in ``lock_up_threshold``) are copied
    from the covenant's levels in force for the period when the figure is recorded, so the
    history keeps what was tested even if the agreement is amended later (an amendment copies
    its new levels only onto the periods from its date); the account is
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
    threshold = models.DecimalField(
        _("event-of-default level"),
        max_digits=14,
        decimal_places=4,
        help_text=_("Copied from the covenant when the figure is recorded."),
    )
    lock_up_threshold = models.DecimalField(
        _("lock-up level"),
        max_digits=14,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=_("Copied from the covenant when the figure is recorded."),
    )
    certificate_received_on = models.DateField(
        _("compliance certificate received"), null=True, blank=True
    )
    # Inputs of the ratio, when the borrower reports them (DSCR and LLCR).
    cfads = models.DecimalField(
        _("CFADS"),
        max_digits=18,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Cash flow available for debt service in the period."),
    )
    debt_service = models.DecimalField(
        _("debt service"),
        max_digits=18,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Principal and interest due in the period."),
    )
    cfads_forecast = models.JSONField(
        _("CFADS forecast"),
        default=list,
        blank=True,
        help_text=_("CFADS of each period over the remaining loan life, first period first."),
    )
    discount_rate_pct = models.DecimalField(
        _("discount rate (% a year)"),
        max_digits=7,
        decimal_places=4,
        null=True,
        blank=True,
    )
    debt_outstanding = models.DecimalField(
        _("debt outstanding"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    computed_value = models.DecimalField(
        _("computed value"),
        max_digits=14,
        decimal_places=4,
        null=True,
        blank=True,
        editable=False,
        help_text=_("The ratio computed from the inputs."),
    )
    value_mismatch = models.BooleanField(
        _("reported value differs from the inputs"), default=False, editable=False
    )
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
                condition=Q(lock_up_threshold__isnull=True) | Q(lock_up_threshold__gt=0),
                name="covenant_test_lock_up_positive",
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
    def first_threshold(self) -> Decimal:
        """The level the figure meets first: lock-up when there is one."""
        return self.lock_up_threshold or self.threshold

    @property
    def headroom(self) -> Decimal:
        """Headroom to the first level the figure would pass."""
        return headroom_pct(
            value=self.value, threshold=self.first_threshold, direction=self.direction
        )

    @property
    def level_headroom(self) -> Decimal:
        """Headroom to the level passed when it is the default level, else to the first."""
        if self.is_breach:
            return headroom_pct(
                value=self.value, threshold=self.threshold, direction=self.direction
            )
        return self.headroom

    @property
    def is_breach(self) -> bool:
        """Past the event-of-default level."""
        return is_past(value=self.value, threshold=self.threshold, direction=self.direction)

    @property
    def is_lock_up(self) -> bool:
        """Past the lock-up level (and maybe the default level too)."""
        return is_past(value=self.value, threshold=self.lock_up_threshold, direction=self.direction)

    @property
    def level_passed(self) -> str:
        """The worst level passed: the event of default, lock-up, or "" when none."""
        if self.is_breach:
            return CovenantLevelKind.EVENT_OF_DEFAULT
        if self.is_lock_up:
            return CovenantLevelKind.LOCK_UP
        return ""

    @property
    def level_passed_label(self) -> str:
        return str(CovenantLevelKind(self.level_passed).label) if self.level_passed else ""


class CovenantWaiver(models.Model):
    """A cure, a waiver or an amendment of a covenant: recorded by the account team, named
    approver's credit decision.

    It is recorded *pending* and does nothing until the approver it names confirms it in the
    portal (``status``; ``covenant_waiver_decide``). Approved, a cure or waiver covers the one
    figure it names, whatever the date, or (covenant-wide) the figures of the periods ending
    from ``valid_from`` to ``valid_until``: a breach it covers raises no alert. An approved
    amendment changes the covenant's levels from ``effective_from`` (its proposed levels become
    CovenantLevel rows pointing at it)."""

    covenant = models.ForeignKey(
        ProjectCovenant,
        on_delete=models.CASCADE,
        related_name="waivers",
        verbose_name=_("covenant"),
    )
    test = models.ForeignKey(
        CovenantTest,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="waivers",
        verbose_name=_("test covered"),
        help_text=_("Empty: the figures of the covenant for the periods given below."),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=WaiverKind.choices)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("approver"),
        help_text=_("They confirm it in the portal; until then it relieves nothing."),
    )
    approved_on = models.DateField(_("agreed on"))
    valid_from = models.DateField(
        _("periods from"),
        null=True,
        blank=True,
        help_text=_(
            "Covenant-wide: covers the figures of periods ending on or after this date; "
            "empty: every period up to the end date."
        ),
    )
    valid_until = models.DateField(
        _("periods until"),
        null=True,
        blank=True,
        help_text=_(
            "Covenant-wide (required): covers the figures of periods ending on or before this "
            "date. A waiver of one figure covers that figure only."
        ),
    )
    effective_from = models.DateField(
        _("new levels from"),
        null=True,
        blank=True,
        help_text=_("An amendment: tests of periods ending on or after this date."),
    )
    proposed_lock_up_threshold = models.DecimalField(
        _("amended lock-up level"),
        max_digits=14,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=_("An amendment: applied once approved."),
    )
    proposed_threshold = models.DecimalField(
        _("amended event-of-default level"),
        max_digits=14,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=_("An amendment: applied once approved."),
    )
    reason = models.TextField(_("reason"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=WaiverStatus.choices, default=WaiverStatus.PENDING
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decision_note = models.CharField(_("decision note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    class Meta:
        ordering = ["covenant", "-approved_on", "-pk"]
        verbose_name = _("cure, waiver or amendment")
        verbose_name_plural = _("cures, waivers and amendments")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=WaiverKind.values), name="covenant_waiver_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=WaiverStatus.values), name="covenant_waiver_status_valid"
            ),
            models.CheckConstraint(
                condition=(
                    Q(status=WaiverStatus.PENDING, decided_at__isnull=True)
                    | (~Q(status=WaiverStatus.PENDING) & Q(decided_at__isnull=False))
                ),
                name="covenant_waiver_decided_when_not_pending",
            ),
            models.CheckConstraint(
                condition=(
                    Q(valid_from__isnull=True)
                    | Q(valid_until__isnull=True)
                    | Q(valid_from__lte=F("valid_until"))
                ),
                name="covenant_waiver_periods_in_order",
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind=WaiverKind.AMENDMENT, effective_from__isnull=False, test__isnull=True)
                    | (~Q(kind=WaiverKind.AMENDMENT) & Q(effective_from__isnull=True))
                ),
                name="covenant_waiver_amendment_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.covenant} ({self.approved_on:%Y-%m-%d})"

    def get_additional_data(self) -> dict[str, Any]:
        return {"account_id": self.covenant.project.account_id}

    @property
    def is_pending(self) -> bool:
        return self.status == WaiverStatus.PENDING

    def covers_period(self, period_end: date) -> bool:
        """Whether an approved covenant-wide cure or waiver covers a figure of this period
        (one without an end date covers nothing)."""
        return (
            self.status == WaiverStatus.APPROVED
            and self.kind in (WaiverKind.CURE, WaiverKind.WAIVER)
            and self.test_id is None
            and self.valid_until is not None
            and period_end <= self.valid_until
            and (self.valid_from is None or period_end >= self.valid_from)
        )
