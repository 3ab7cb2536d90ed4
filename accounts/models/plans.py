"""Account plans: objectives, wallet and whitespace by product line, the personalised
service bundle, and actions with an owner and a due date. A plan is required for the tiers
whose TierPolicy says so."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kam.model_mixins import choices_check

from ..choices import PlanActionStatus, PlanStatus, ProductLine, ServiceItemStatus
from .core import Account

# Shared by the CNY amount fields below.
_CNY_VALIDATORS = [MinValueValidator(Decimal("0"))]


class AccountPlan(models.Model):
    account = models.OneToOneField(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="plan"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=PlanStatus.choices, default=PlanStatus.DRAFT
    )
    objectives = models.TextField(
        _("objectives"), help_text=_("What we want to achieve with the client, and by when.")
    )
    strategy = models.TextField(
        _("relationship strategy"),
        blank=True,
        help_text=_("How we get there: coverage, positioning against competitors, risks."),
    )
    next_review = models.DateField(_("next plan review"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("last changed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("account plan")
        verbose_name_plural = _("account plans")
        constraints = [
            models.CheckConstraint(
                condition=choices_check("status", PlanStatus), name="plan_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return str(_("Plan for %(account)s") % {"account": self.account})

    def get_additional_data(self) -> dict[str, Any]:
        return {"account_id": self.account_id}


class PlanWalletLine(models.Model):
    """What the client spends on a product line (its wallet) and what we earn from it."""

    plan = models.ForeignKey(
        AccountPlan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="wallet_lines"
    )
    product_line = models.CharField(_("product line"), max_length=20, choices=ProductLine.choices)
    potential = models.DecimalField(
        _("wallet (CNY a year)"),
        max_digits=18,
        decimal_places=2,
        default=Decimal("0"),
        validators=_CNY_VALIDATORS,
    )
    current = models.DecimalField(
        _("our revenue (CNY a year)"),
        max_digits=18,
        decimal_places=2,
        default=Decimal("0"),
        validators=_CNY_VALIDATORS,
    )

    class Meta:
        verbose_name = _("wallet line")
        verbose_name_plural = _("wallet and whitespace")
        ordering = ["plan", "product_line"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "product_line"], name="walletline_once"),
            models.CheckConstraint(
                condition=Q(current__lte=models.F("potential")), name="walletline_within_wallet"
            ),
            models.CheckConstraint(
                condition=choices_check("product_line", ProductLine),
                name="walletline_product_valid",
            ),
        ]

    def __str__(self) -> str:
        return str(self.get_product_line_display())

    def get_additional_data(self) -> dict[str, Any]:
        return {"account_id": self.plan.account_id}

    @property
    def whitespace(self) -> Decimal:
        """What the client spends elsewhere on this product line."""
        return (self.potential or Decimal(0)) - (self.current or Decimal(0))

    @property
    def share_percent(self) -> Decimal | None:
        if not self.potential:
            return None
        return (self.current / self.potential * 100).quantize(Decimal("0.1"))

    def clean(self) -> None:
        if (
            self.current is not None
            and self.potential is not None
            and self.current > self.potential
        ):
            raise ValidationError(
                {"current": _("Our revenue cannot exceed the client's wallet for the line.")}
            )


class PlanServiceItem(models.Model):
    """One product or service in the personalised bundle we offer the client."""

    plan = models.ForeignKey(
        AccountPlan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="services"
    )
    product_line = models.CharField(_("product line"), max_length=20, choices=ProductLine.choices)
    name = models.CharField(_("product or service"), max_length=200)
    terms = models.CharField(
        _("what we offer"),
        max_length=300,
        blank=True,
        help_text=_("E.g. dedicated coverage team, priority credit approval, pricing."),
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ServiceItemStatus.choices,
        default=ServiceItemStatus.PROPOSED,
    )

    class Meta:
        verbose_name = _("service in the bundle")
        verbose_name_plural = _("service bundle")
        ordering = ["plan", "product_line", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=choices_check("status", ServiceItemStatus),
                name="serviceitem_status_valid",
            ),
            models.CheckConstraint(
                condition=choices_check("product_line", ProductLine),
                name="serviceitem_product_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_additional_data(self) -> dict[str, Any]:
        return {"account_id": self.plan.account_id}


class PlanAction(models.Model):
    plan = models.ForeignKey(
        AccountPlan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="actions"
    )
    title = models.CharField(pgettext_lazy("plan action", "action"), max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="plan_actions",
    )
    due_date = models.DateField(_("due"))
    status = models.CharField(
        _("status"), max_length=10, choices=PlanActionStatus.choices, default=PlanActionStatus.OPEN
    )
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("plan action")
        verbose_name_plural = _("plan actions")
        ordering = ["due_date", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=choices_check("status", PlanActionStatus), name="planaction_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status=PlanActionStatus.DONE, done_at__isnull=False)
                | (~Q(status=PlanActionStatus.DONE) & Q(done_at__isnull=True)),
                name="planaction_done_at",
            ),
        ]
        indexes = [
            # The RM home: my open actions by due date.
            models.Index(
                fields=["owner", "due_date"],
                condition=Q(status=PlanActionStatus.OPEN),
                name="planaction_open_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_additional_data(self) -> dict[str, Any]:
        return {"account_id": self.plan.account_id}
