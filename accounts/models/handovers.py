"""Handing an account to another relationship manager: the owner asks, the team lead (or an
administrator) decides. Only a decision changes the owner (``accounts.services``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kam.model_mixins import ChoiceLabels

from .core import Account


class HandoverStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the team lead")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class AccountHandover(ChoiceLabels, models.Model):
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="handovers", verbose_name=_("account")
    )
    from_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("from owner"),
    )
    to_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("to owner"),
    )
    reason = models.TextField(_("reason"))
    status = models.CharField(
        _("status"), max_length=20, choices=HandoverStatus.choices, default=HandoverStatus.PENDING
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("account handover")
        verbose_name_plural = _("account handovers")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            # One handover waits per account at a time.
            models.UniqueConstraint(
                fields=["account"],
                condition=Q(status="pending"),
                name="handover_one_pending_per_account",
            ),
            models.CheckConstraint(
                condition=Q(status__in=HandoverStatus.values), name="handover_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.from_owner_id} → {self.to_owner_id}"
