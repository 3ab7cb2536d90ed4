"""The watch list (关注名单): accounts under closer credit monitoring.

An account is on the watch list while it has an open entry (no exit date). An entry keeps why
and by whom the account was put on the list, when, and when it is next reviewed; removing it
keeps the entry with the exit date, reason and who removed it, so the history stays. A risk
officer or the lead of the account's team puts accounts on the list and takes them off
(``risk.services.watchlist``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Account
from kam.model_mixins import ChoiceLabels, choices_check


class WatchReason(models.TextChoices):
    LOAN_CLASSIFICATION = "loan_classification", _("Loan classification downgraded")
    COVENANT = "covenant", _("Covenant breach or lock-up")
    PROJECT = "project", _("Project delay or cost overrun")
    SPONSOR = "sponsor", _("Sponsor or counterparty weakness")
    ESG = "esg", _("Environmental or social incident")
    MARKET = "market", _("Market, tariff or regulatory change")
    OTHER = "other", _("Other")


class WatchListEntry(ChoiceLabels, models.Model):
    account = models.ForeignKey(
        Account,
        on_delete=models.CASCADE,
        related_name="watch_list_entries",
        verbose_name=_("account"),
    )
    reason_kind = models.CharField(_("why"), max_length=24, choices=WatchReason.choices)
    reason = models.TextField(_("entry reason"))
    entered_on = models.DateField(_("on the watch list since"), default=timezone.localdate)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("put on the list by"),
    )
    next_review_on = models.DateField(_("next review"))
    last_reviewed_on = models.DateField(_("last reviewed"), null=True, blank=True)
    last_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("last reviewed by"),
    )
    review_note = models.TextField(_("last review note"), blank=True)
    exited_on = models.DateField(_("taken off the list"), null=True, blank=True)
    exit_reason = models.TextField(_("exit reason"), blank=True)
    exited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("taken off by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    class Meta:
        verbose_name = _("watch-list entry")
        verbose_name_plural = _("watch list")
        ordering = ["-entered_on", "-pk"]
        constraints = [
            # On the list or not: at most one open entry per account.
            models.UniqueConstraint(
                fields=["account"],
                condition=Q(exited_on__isnull=True),
                name="watch_list_one_open_entry",
            ),
            models.CheckConstraint(
                condition=choices_check("reason_kind", WatchReason),
                name="watch_list_reason_valid",
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="watch_list_has_reason"),
            models.CheckConstraint(
                condition=Q(next_review_on__gte=F("entered_on")),
                name="watch_list_review_after_entry",
            ),
            # An exit is whole: its date, its reason and who, or none of them.
            models.CheckConstraint(
                condition=(
                    Q(exited_on__isnull=True, exit_reason="", exited_by__isnull=True)
                    | (
                        Q(exited_on__isnull=False, exited_by__isnull=False)
                        & ~Q(exit_reason="")
                        & Q(exited_on__gte=F("entered_on"))
                    )
                ),
                name="watch_list_exit_whole",
            ),
        ]
        indexes = [
            # The risk officer's overdue reviews and the open list.
            models.Index(
                fields=["next_review_on"],
                condition=Q(exited_on__isnull=True),
                name="watch_list_open_review",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account} ({self.entered_on:%Y-%m-%d})"

    def get_absolute_url(self) -> str:
        return reverse("risk:watch_entry", args=[self.pk])

    def get_additional_data(self) -> dict[str, Any]:
        return {"account_id": self.account_id}

    @property
    def is_open(self) -> bool:
        return self.exited_on is None

    def review_overdue(self, today: dt.date | None = None) -> bool:
        return self.is_open and self.next_review_on < (today or timezone.localdate())

    def clean(self) -> None:
        if self.entered_on and self.next_review_on and self.next_review_on < self.entered_on:
            raise ValidationError(
                {"next_review_on": _("The next review cannot come before the entry.")}
            )
