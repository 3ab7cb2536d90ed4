"""Environmental and social (E&S) management of financed projects.

The Equator Principles category of a project sets its E&S requirements, not the client's
value: a category A project needs an E&S action plan (ESAP) and an independent E&S review,
a category B project an ESAP, a category C project neither (``esg.requirements``). An ESAP
is a list of items (``EsapItem``, with ``Esap`` the plan's agreement), each an action against a standard with an owner and a due date; an open
item past its due date is an early warning (``risk.rules.esg``)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from accounts.choices import PartyRole
from accounts.models import Account, Project, ProjectParty
from kam.model_mixins import ChoiceLabels, choices_check

from .choices import OPEN_ITEM_STATUSES, EsapItemStatus, EsReviewOutcome, EsStandard


class Esap(models.Model):
    """A project's E&S action plan as a whole: when it was agreed with the client (usually a
    schedule to the loan agreement). Its actions are the project's ``EsapItem`` rows."""

    project = models.OneToOneField(
        Project, on_delete=models.CASCADE, related_name="esap", verbose_name=_("project")
    )
    agreed_on = models.DateField(
        _("agreed on"),
        null=True,
        blank=True,
        help_text=_("When the client agreed the plan (usually at signing of the loan)."),
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    class Meta:
        verbose_name = _("E&S action plan")
        verbose_name_plural = _("E&S action plans")
        ordering = ["project"]

    def __str__(self) -> str:
        return str(_("ESAP of %(project)s") % {"project": self.project})

    def get_additional_data(self) -> dict[str, Any]:
        return {"account_id": self.project.account_id, "project_id": self.project_id}


class EsapItem(ChoiceLabels, models.Model):
    """One action of an ESAP. Its owner is one of ours or, more often, the client's person
    named as text (not a contact record: the plan names a function, "the SPV's HSE manager")."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="esap_items", verbose_name=_("project")
    )
    action = models.CharField(_("action"), max_length=300)
    standard = models.CharField(
        _("standard"), max_length=16, choices=EsStandard.choices, default=EsStandard.IFC_PS1
    )
    reference = models.CharField(
        _("reference"),
        max_length=120,
        blank=True,
        help_text=_("The clause or principle, e.g. “EP 4”, “PS6 §15”, “EIA approval condition 7”."),
    )
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="owned_esap_items",
        verbose_name=_("owner (ours)"),
    )
    owner_contact = models.CharField(
        _("owner (client)"),
        max_length=200,
        blank=True,
        help_text=_("The client's person or function responsible, when the owner is not ours."),
    )
    due_date = models.DateField(_("due date"))
    status = models.CharField(
        _("status"), max_length=12, choices=EsapItemStatus.choices, default=EsapItemStatus.OPEN
    )
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    evidence = models.TextField(
        _("evidence"),
        blank=True,
        help_text=_("What shows the action done (a report, a permit), or why it was waived."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    class Meta:
        verbose_name = _("ESAP item")
        verbose_name_plural = _("ESAP items")
        ordering = ["project", "due_date", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=choices_check("status", EsapItemStatus), name="esap_item_status_valid"
            ),
            models.CheckConstraint(
                condition=choices_check("standard", EsStandard), name="esap_item_standard_valid"
            ),
            models.CheckConstraint(
                condition=Q(owner_user__isnull=False) | ~Q(owner_contact=""),
                name="esap_item_has_owner",
            ),
            # Done carries its date; an item still to do has none.
            models.CheckConstraint(
                condition=(Q(status=EsapItemStatus.DONE) & Q(completed_on__isnull=False))
                | (Q(status__in=OPEN_ITEM_STATUSES) & Q(completed_on__isnull=True))
                | Q(status=EsapItemStatus.WAIVED),
                name="esap_item_completed_on_status",
            ),
        ]
        indexes = [
            # The overdue rule and the "items due" list read open items by due date.
            models.Index(
                fields=["due_date"],
                condition=Q(status__in=OPEN_ITEM_STATUSES),
                name="esap_item_open_due",
            ),
        ]

    def __str__(self) -> str:
        return self.action

    def get_additional_data(self) -> dict[str, Any]:
        return {"account_id": self.project.account_id, "project_id": self.project_id}

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_ITEM_STATUSES

    def days_overdue(self, today: date) -> int:
        """Days past the due date of an item still to do; 0 when not overdue."""
        if not self.is_open or self.due_date >= today:
            return 0
        return (today - self.due_date).days

    @property
    def owner_display(self) -> str:
        if self.owner_user_id is not None:
            assert self.owner_user is not None
            return self.owner_user.get_full_name() or self.owner_user.username
        return self.owner_contact

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if self.owner_user_id is None and not self.owner_contact.strip():
            errors["owner_contact"] = _("Name the owner: one of ours, or the client's person.")
        if self.status == EsapItemStatus.DONE and self.completed_on is None:
            errors["completed_on"] = _("Say when the action was done.")
        if self.status in OPEN_ITEM_STATUSES and self.completed_on is not None:
            errors["completed_on"] = _("An item still to do has no completion date.")
        if self.status == EsapItemStatus.WAIVED and not self.evidence.strip():
            errors["evidence"] = _("Say who waived the item and why.")
        if errors:
            raise ValidationError(errors)


class EsReview(ChoiceLabels, models.Model):
    """An independent E&S review of a project: by the independent engineer among the project's
    parties when there is one, else by a consultant named here."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="es_reviews", verbose_name=_("project")
    )
    reviewer_account = models.ForeignKey(
        Account,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="es_reviews_given",
        verbose_name=_("reviewer (independent engineer)"),
        help_text=_("An account that is the project's independent engineer."),
    )
    reviewer_name = models.CharField(
        _("reviewer (name)"),
        max_length=200,
        blank=True,
        help_text=_("The reviewer's name when it is not one of the project's parties."),
    )
    review_date = models.DateField(_("review date"))
    outcome = models.CharField(_("outcome"), max_length=16, choices=EsReviewOutcome.choices)
    findings = models.TextField(_("findings"), blank=True)
    next_review_date = models.DateField(_("next review"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    class Meta:
        verbose_name = _("independent E&S review")
        verbose_name_plural = _("independent E&S reviews")
        ordering = ["project", "-review_date", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=choices_check("outcome", EsReviewOutcome),
                name="es_review_outcome_valid",
            ),
            models.CheckConstraint(
                condition=Q(reviewer_account__isnull=False) | ~Q(reviewer_name=""),
                name="es_review_has_reviewer",
            ),
            models.CheckConstraint(
                condition=Q(next_review_date__isnull=True)
                | Q(next_review_date__gt=F("review_date")),
                name="es_review_next_after_review",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project} — {self.review_date:%Y-%m-%d}"

    def get_additional_data(self) -> dict[str, Any]:
        return {"account_id": self.project.account_id, "project_id": self.project_id}

    @property
    def reviewer_display(self) -> str:
        if self.reviewer_account_id is not None:
            assert self.reviewer_account is not None
            return self.reviewer_account.display_name
        return self.reviewer_name

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if self.reviewer_account_id is None and not self.reviewer_name.strip():
            errors["reviewer_name"] = _(
                "Name the reviewer: the project's independent engineer or a consultant."
            )
        if (
            self.reviewer_account_id is not None
            and self.project_id is not None
            and not ProjectParty.objects.filter(
                project_id=self.project_id,
                account_id=self.reviewer_account_id,
                role=PartyRole.INDEPENDENT_ENGINEER,
            ).exists()
        ):
            errors["reviewer_account"] = _(
                "That account is not the project's independent engineer."
            )
        if self.next_review_date and self.review_date and self.next_review_date <= self.review_date:
            errors["next_review_date"] = _("The next review comes after this one.")
        if errors:
            raise ValidationError(errors)
