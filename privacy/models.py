"""PIPL (个人信息保护法) handling of contacts' personal information: how long it is kept on each
legal basis, and the requests people make about it (README, "PIPL handling")."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.choices import LegalBasis
from kam.links import link
from kam.model_mixins import ChoiceLabels


def _valid(field: str, choices: type[models.TextChoices]) -> Q:
    return Q(**{f"{field}__in": choices.values})


class RetentionClock(models.TextChoices):
    """From when a retention period runs."""

    CONSENT_WITHDRAWN = "consent_withdrawn", _("From the withdrawal of consent")
    LAST_ACTIVITY = "last_activity", _("From the contact's last activity")
    ACCOUNT_EXITED = "account_exited", _("From the end of the relationship (account exited)")


class RetentionRule(models.Model):
    """How long a contact's personal information is kept on one legal basis. The daily job
    anonymises a contact once its rule's period has run out (privacy.services)."""

    legal_basis = models.CharField(
        _("legal basis"), max_length=20, choices=LegalBasis.choices, unique=True
    )
    clock = models.CharField(_("period runs"), max_length=20, choices=RetentionClock.choices)
    retention_days = models.PositiveIntegerField(
        _("retention (days)"), validators=[MinValueValidator(1)]
    )
    is_active = models.BooleanField(
        _("anonymise when expired"),
        default=True,
        help_text=_("Untick to keep every contact on this basis (a legal hold)."),
    )
    note = models.CharField(
        _("why this period"),
        max_length=300,
        blank=True,
        help_text=_("The law or policy the period follows."),
    )
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    class Meta:
        verbose_name = _("retention rule")
        verbose_name_plural = _("retention rules")
        ordering = ["legal_basis"]
        constraints = [
            models.CheckConstraint(
                condition=_valid("legal_basis", LegalBasis), name="retention_basis_valid"
            ),
            models.CheckConstraint(
                condition=_valid("clock", RetentionClock), name="retention_clock_valid"
            ),
            models.CheckConstraint(
                condition=Q(retention_days__gte=1), name="retention_days_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_legal_basis_display()}: {self.retention_days} d"


class RequestKind(models.TextChoices):
    ACCESS = "access", _("Access (a copy of their information)")
    CORRECTION = "correction", _("Correction")
    DELETION = "deletion", _("Deletion")
    WITHDRAW_CONSENT = "withdraw_consent", _("Withdrawal of consent")


class RequestStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    REFUSED = "refused", _("Refused")


OPEN_STATUSES = (RequestStatus.OPEN, RequestStatus.IN_PROGRESS)


class DataSubjectRequest(ChoiceLabels, models.Model):
    """What a person asked us to do with their personal information (PIPL arts. 44-47),
    answered by compliance within ``PRIVACY_REQUEST_DUE_DAYS`` of its receipt."""

    kind = models.CharField(_("request"), max_length=20, choices=RequestKind.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=RequestStatus.choices, default=RequestStatus.OPEN
    )
    contact = models.ForeignKey(
        "accounts.Contact",
        verbose_name=_("contact"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="privacy_requests",
    )
    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("account"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    person_name = models.CharField(
        _("person"),
        max_length=200,
        blank=True,
        help_text=_("Who asked, when they are not one of our contacts."),
    )
    reply_to = models.CharField(
        _("reply to"),
        max_length=200,
        blank=True,
        help_text=_("How to answer them (an address, a phone number)."),
    )
    details = models.TextField(_("what they asked"), blank=True)
    received_on = models.DateField(_("received on"))
    due_on = models.DateField(_("answer due on"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handled by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    outcome = models.TextField(
        _("outcome"), blank=True, help_text=_("What was done, or why the request was refused.")
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    overdue_notified_at = models.DateTimeField(_("overdue notice sent"), null=True, blank=True)
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    class Meta:
        verbose_name = _("data-subject request")
        verbose_name_plural = _("data-subject requests")
        ordering = ["due_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=_valid("kind", RequestKind), name="dsr_kind_valid"),
            models.CheckConstraint(
                condition=_valid("status", RequestStatus), name="dsr_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(due_on__gte=models.F("received_on")), name="dsr_due_after_receipt"
            ),
            models.CheckConstraint(
                condition=~Q(status=RequestStatus.REFUSED) | ~Q(outcome=""),
                name="dsr_refusal_has_reason",
            ),
        ]
        indexes = [
            # The overdue scan and the open list: open requests by due date.
            models.Index(
                fields=["due_on"],
                condition=Q(status__in=OPEN_STATUSES),
                name="dsr_open_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()}"

    def get_absolute_url(self) -> str:
        return link("privacy:request_detail", self.pk)

    def get_additional_data(self) -> dict[str, Any]:
        """Tags the audit trail entry with the account, for filtering by account."""
        return {"account_id": self.account_id}

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def is_overdue(self, on: dt.date) -> bool:
        return self.is_open and self.due_on < on

    @property
    def subject_name(self) -> str:
        """Who the request is about, as the list shows them. A request outlives its contact
        (an account deleted since): it stays as the record of what was asked and answered."""
        if self.contact is not None:
            return self.contact.name
        return self.person_name or str(_("(contact deleted)"))


class RequestEvent(models.Model):
    """One step in the handling of a data-subject request: its history."""

    class Action(models.TextChoices):
        RECORDED = "recorded", _("Recorded")
        STARTED = "started", _("Taken on")
        EXPORTED = "exported", _("Copy exported")
        CORRECTED = "corrected", _("Information corrected")
        ANONYMISED = "anonymised", _("Information anonymised")
        CONSENT_WITHDRAWN = "consent_withdrawn", _("Consent withdrawal recorded")
        COMPLETED = "completed", _("Completed")
        REFUSED = "refused", _("Refused")
        OVERDUE = "overdue", _("Overdue: compliance notified")

    request = models.ForeignKey(
        DataSubjectRequest,
        verbose_name=_("request"),
        on_delete=models.CASCADE,
        related_name="events",
    )
    at = models.DateTimeField(_("when"), default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    action = models.CharField(_("what"), max_length=20, choices=Action.choices)
    from_status = models.CharField(
        _("from"), max_length=20, choices=RequestStatus.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=20, choices=RequestStatus.choices)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("data-subject request event")
        verbose_name_plural = _("data-subject request events")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.get_action_display()}"
