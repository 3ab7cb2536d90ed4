"""Project finance: who a project's parties are, and the facilities that finance it.

A project has parties (accounts with a role: sponsor, borrower, EPC contractor, ...) and is
financed by facilities. A facility's exposure is owed by its borrower, the obligor, whatever
account the project is managed under: exposure is attributed to the obligor, never to the
project's lead account (accounts/exposure.py adds it up)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from kam.model_mixins import ChoiceLabels, choices_check

from ..choices import OBLIGOR_ROLES, Currency, FacilityKind, LoanClass, PartyRole
from .core import Account, Project

_MONEY_VALIDATORS = [MinValueValidator(Decimal("0"))]


def _money(label: Any, **kwargs: Any) -> models.DecimalField[Decimal, Decimal]:
    return models.DecimalField(
        label, max_digits=18, decimal_places=2, validators=_MONEY_VALIDATORS, **kwargs
    )


class ProjectParty(ChoiceLabels, models.Model):
    """One account's role in one project; an account may hold several roles (sponsor and
    off-taker, say), one row each."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="parties", verbose_name=_("project")
    )
    account = models.ForeignKey(
        Account,
        on_delete=models.CASCADE,
        related_name="project_parties",
        verbose_name=_("account"),
    )
    role = models.CharField(_("role"), max_length=24, choices=PartyRole.choices)
    equity_pct = models.DecimalField(
        _("equity (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("100"))],
        help_text=_("A sponsor's share of the project company's equity."),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    class Meta:
        verbose_name = _("project party")
        verbose_name_plural = _("project parties")
        ordering = ["project", "role", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "account", "role"], name="project_party_unique_role"
            ),
            models.CheckConstraint(
                condition=choices_check("role", PartyRole), name="project_party_role_valid"
            ),
            models.CheckConstraint(
                condition=Q(equity_pct__isnull=True)
                | (Q(role=PartyRole.SPONSOR) & Q(equity_pct__gt=0) & Q(equity_pct__lte=100)),
                name="project_party_equity_of_sponsor",
            ),
        ]
        indexes = [models.Index(fields=["account", "role"], name="party_account_role")]

    def __str__(self) -> str:
        return f"{self.project} — {self.account} ({self.get_role_display()})"

    def get_additional_data(self) -> dict[str, Any]:
        return {"account_id": self.project.account_id, "party_account_id": self.account_id}

    def clean(self) -> None:
        if self.equity_pct is not None and self.role != PartyRole.SPONSOR:
            raise ValidationError({"equity_pct": _("Only a sponsor holds equity.")})


class Facility(ChoiceLabels, models.Model):
    """One facility of our bank's financing of a project: our participation in it, not the
    whole syndicate's (that is ``facility_size``).

    ``drawn`` is what is outstanding (for a guarantee or letter of credit: the amount issued),
    ``undrawn`` what is still available to draw (issue); exposure is their sum. Drawn above the
    commitment (capitalised interest, a currency move) is allowed and flagged, not refused."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="facilities", verbose_name=_("project")
    )
    borrower = models.ForeignKey(
        Account,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="borrowed_facilities",
        verbose_name=_("borrower"),
        help_text=_(
            "The obligor the exposure is owed by. Empty only where it is not yet known: such "
            "exposure is shown as unattributed until someone names the borrower."
        ),
    )
    name = models.CharField(_("name"), max_length=120, help_text=_("e.g. Term loan A"))
    kind = models.CharField(
        _("kind"), max_length=20, choices=FacilityKind.choices, default=FacilityKind.TERM_LOAN
    )
    currency = models.CharField(
        _("currency"), max_length=3, choices=Currency.choices, default=Currency.CNY
    )
    commitment = _money(_("our commitment"))
    drawn = _money(_("drawn / issued"), default=Decimal("0"))
    undrawn = _money(
        _("undrawn commitment"),
        default=Decimal("0"),
        help_text=_("Still available to draw; zero once the availability period has ended."),
    )
    exposure = models.GeneratedField(
        expression=F("drawn") + F("undrawn"),
        output_field=models.DecimalField(max_digits=19, decimal_places=2),
        db_persist=True,
        verbose_name=_("exposure"),
    )
    facility_size = models.DecimalField(
        _("whole facility (all lenders)"),
        max_digits=18,
        decimal_places=2,
        validators=_MONEY_VALIDATORS,
        null=True,
        blank=True,
        help_text=_("For a syndicated facility: its size across every lender."),
    )
    maturity_date = models.DateField(_("maturity"), null=True, blank=True)
    margin_pct = models.DecimalField(
        _("margin (% p.a.)"),
        max_digits=6,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("50"))],
    )
    classification = models.PositiveSmallIntegerField(
        _("loan classification"), choices=LoanClass.choices, default=LoanClass.NORMAL
    )
    classified_at = models.DateTimeField(_("classified"), null=True, blank=True, editable=False)
    classified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("classified by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    class Meta:
        verbose_name = _("facility")
        verbose_name_plural = _("facilities")
        ordering = ["project", "name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(commitment__gte=0) & Q(drawn__gte=0) & Q(undrawn__gte=0),
                name="facility_amounts_non_negative",
            ),
            # Drawn and undrawn together within the commitment, except that drawn alone may
            # pass it (capitalised interest, FX), with nothing then left to draw.
            models.CheckConstraint(
                condition=Q(undrawn=0) | Q(drawn__lte=F("commitment") - F("undrawn")),
                name="facility_undrawn_within_commitment",
            ),
            models.CheckConstraint(
                condition=choices_check("kind", FacilityKind), name="facility_kind_valid"
            ),
            models.CheckConstraint(
                condition=choices_check("currency", Currency), name="facility_currency_valid"
            ),
            models.CheckConstraint(
                condition=Q(classification__in=LoanClass.values),
                name="facility_classification_valid",
            ),
        ]
        indexes = [
            # Exposure per obligor: the scan, tiering and the group page sum by borrower.
            models.Index(fields=["borrower", "currency"], name="facility_borrower_currency"),
        ]

    def __str__(self) -> str:
        return f"{self.project} — {self.name}"

    def get_additional_data(self) -> dict[str, Any]:
        return {"account_id": self.project.account_id, "borrower_id": self.borrower_id}

    @property
    def over_commitment(self) -> bool:
        """Outstanding above the commitment (capitalised interest, FX): shown, not refused."""
        return (
            self.drawn is not None
            and self.commitment is not None
            and (self.drawn > self.commitment)
        )

    @property
    def exposure_amount(self) -> Decimal:
        """Exposure before the row is saved (the generated column is computed by the database)."""
        return (self.drawn or Decimal("0")) + (self.undrawn or Decimal("0"))

    @property
    def is_non_performing(self) -> bool:
        return self.classification >= LoanClass.SUBSTANDARD

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if (
            None not in (self.commitment, self.drawn, self.undrawn)
            and self.undrawn
            and self.drawn + self.undrawn > self.commitment
        ):
            if self.drawn >= self.commitment:
                errors["undrawn"] = _(
                    "Nothing is left to draw once the drawn amount reaches the commitment: "
                    "set the undrawn amount to zero."
                )
            else:
                errors["undrawn"] = _(
                    "Drawn and undrawn together cannot exceed the commitment; reduce the "
                    "undrawn amount."
                )
        if (
            self.facility_size is not None
            and self.commitment is not None
            and self.commitment > self.facility_size
        ):
            errors["facility_size"] = _("Our commitment cannot exceed the whole facility.")
        if self.borrower_id and self.project_id:
            can_borrow = ProjectParty.objects.filter(
                project_id=self.project_id, account_id=self.borrower_id, role__in=OBLIGOR_ROLES
            ).exists()
            if not can_borrow:
                errors["borrower"] = _(
                    "The borrower must be one of the project's parties as its borrower, a "
                    "sponsor or a guarantor."
                )
        if errors:
            raise ValidationError(errors)


class FacilityClassificationChange(ChoiceLabels, models.Model):
    """One change of a facility's five-category classification: the history a regulator and
    an auditor ask for (who changed it, when, from what, why)."""

    facility = models.ForeignKey(
        Facility,
        on_delete=models.CASCADE,
        related_name="classification_changes",
        verbose_name=_("facility"),
    )
    previous = models.PositiveSmallIntegerField(
        _("from"), choices=LoanClass.choices, null=True, blank=True
    )
    classification = models.PositiveSmallIntegerField(_("to"), choices=LoanClass.choices)
    reason = models.TextField(_("reason"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    changed_at = models.DateTimeField(_("changed"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("loan classification change")
        verbose_name_plural = _("loan classification changes")
        ordering = ["-changed_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(classification__in=LoanClass.values),
                name="classification_change_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.facility}: {self.get_classification_display()}"

    def get_additional_data(self) -> dict[str, Any]:
        return {"facility_id": self.facility_id}
