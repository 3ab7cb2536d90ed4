"""Scan runs: one row per scan, one per chunk of accounts, one per error a rule raised."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..choices import ScanStatus, ScanTrigger


class ScanRun(models.Model):
    """One early-warning scan over every account, split into chunks."""

    trigger = models.CharField(_("trigger"), max_length=10, choices=ScanTrigger.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ScanStatus.choices, default=ScanStatus.QUEUED
    )
    created_at = models.DateTimeField(_("requested"), default=timezone.now, db_index=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    rule_ids = models.JSONField(_("rules"), default=list, blank=True)
    # What rules prepared once per scan (e.g. portfolio totals), keyed by rule id.
    context = models.JSONField(_("prepared figures"), default=dict, blank=True)
    chunk_size = models.PositiveIntegerField(_("chunk size"), default=0)
    chunks_total = models.PositiveIntegerField(_("chunks"), default=0)
    chunks_done = models.PositiveIntegerField(_("chunks done"), default=0)
    accounts = models.PositiveIntegerField(_("accounts"), default=0)
    raised = models.PositiveIntegerField(_("alerts raised"), default=0)
    refreshed = models.PositiveIntegerField(_("alerts still holding"), default=0)
    resolved = models.PositiveIntegerField(_("alerts resolved"), default=0)
    errors = models.PositiveIntegerField(_("errors"), default=0)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("scan run")
        verbose_name_plural = _("scan runs")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ScanStatus.values), name="scanrun_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(trigger__in=ScanTrigger.values), name="scanrun_trigger_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_trigger_display()} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


class ScanChunk(models.Model):
    """A range of account ids one chunk task evaluates; done once (conditional update claim)."""

    run = models.ForeignKey(
        ScanRun, on_delete=models.CASCADE, related_name="chunks", verbose_name=_("scan run")
    )
    index = models.PositiveIntegerField(_("index"))
    first_account_id = models.BigIntegerField(_("first account id"))
    last_account_id = models.BigIntegerField(_("last account id"))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    accounts = models.PositiveIntegerField(_("accounts"), default=0)

    class Meta:
        ordering = ["run", "index"]
        verbose_name = _("scan chunk")
        verbose_name_plural = _("scan chunks")
        constraints = [
            models.UniqueConstraint(fields=["run", "index"], name="scanchunk_unique"),
            models.CheckConstraint(
                condition=Q(first_account_id__lte=models.F("last_account_id")),
                name="scanchunk_range_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.run_id}#{self.index} [{self.first_account_id}..{self.last_account_id}]"


class ScanError(models.Model):
    """A rule (or step) that raised during a scan: recorded, skipped, the scan went on."""

    run = models.ForeignKey(
        ScanRun, on_delete=models.CASCADE, related_name="scan_errors", verbose_name=_("scan run")
    )
    chunk = models.ForeignKey(
        ScanChunk,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="scan_errors",
        verbose_name=_("chunk"),
    )
    rule = models.ForeignKey(
        "risk.RiskRule",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="scan_errors",
        verbose_name=_("rule"),
    )
    step = models.CharField(_("step"), max_length=60)
    at = models.DateTimeField(_("when"), default=timezone.now)
    error = models.CharField(_("error"), max_length=500)
    traceback = models.TextField(_("traceback"), blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("scan error")
        verbose_name_plural = _("scan errors")

    def __str__(self) -> str:
        return f"{self.step}: {self.error}"
