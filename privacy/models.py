"""PIPL (个人信息保护法) handling of contacts' personal information: how long it is kept on each
legal basis, and the requests people make about it (README, "PIPL handling")."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.validators import MaxLengthValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.choices import LegalBasis
from kam.fields import EncryptedTextField
from kam.links import link
from kam.masking import mask_value
from kam.model_mixins import ChoiceLabels, choices_check

# The form's limits, and the model's (the columns are ciphertext, longer than what they hold).
REPLY_TO_MAX_LENGTH = 200
DETAILS_MAX_LENGTH = 4000


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
    required_by_law = models.BooleanField(
        _("required by law"),
        default=False,
        help_text=_(
            "A law requires keeping the information for this period: a request to delete it "
            "is refused until the period has run out."
        ),
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
                condition=choices_check("legal_basis", LegalBasis), name="retention_basis_valid"
            ),
            models.CheckConstraint(
                condition=choices_check("clock", RetentionClock), name="retention_clock_valid"
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
    # What the person wrote and where to answer them: encrypted at rest, shown in full only
    # through a logged reveal (privacy.services.request_reveal), masked in the change log.
    reply_to = EncryptedTextField(
        _("reply to"),
        blank=True,
        validators=[MaxLengthValidator(REPLY_TO_MAX_LENGTH)],
        help_text=_("How to answer them (an address, a phone number)."),
    )
    details = EncryptedTextField(
        _("what they asked"), blank=True, validators=[MaxLengthValidator(DETAILS_MAX_LENGTH)]
    )
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
    # The person, what they wrote and where to answer them are erased once the request is no
    # longer needed as evidence, or at once when their contact is anonymised.
    erased_at = models.DateTimeField(_("personal details erased"), null=True, blank=True)
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    class Meta:
        verbose_name = _("data-subject request")
        verbose_name_plural = _("data-subject requests")
        ordering = ["due_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=choices_check("kind", RequestKind), name="dsr_kind_valid"
            ),
            models.CheckConstraint(
                condition=choices_check("status", RequestStatus), name="dsr_status_valid"
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
        (an account deleted since) and the person's details (erased): it stays as the record
        of what was asked and answered."""
        if self.contact is not None:
            return self.contact.name
        if self.person_name:
            return self.person_name
        return str(_("(details erased)") if self.erased_at else _("(contact deleted)"))

    @property
    def masked_reply_to(self) -> str:
        return mask_value(self.reply_to)

    @property
    def evidence_ends_on(self) -> dt.date | None:
        """The day the retention job erases the person's details from a closed request: they
        are kept ``PRIVACY_REQUEST_RETENTION_DAYS`` after closing, as evidence of the answer."""
        if self.closed_at is None:
            return None
        closed_on = timezone.localdate(self.closed_at)
        return closed_on + dt.timedelta(days=settings.PRIVACY_REQUEST_RETENTION_DAYS)

    @property
    def holds_personal_details(self) -> bool:
        return bool(self.person_name or self.reply_to or self.details)


class RequestEvent(models.Model):
    """One step in the handling of a data-subject request: its history."""

    class Action(models.TextChoices):
        RECORDED = "recorded", _("Recorded")
        STARTED = "started", _("Taken on")
        EXPORTED = "exported", _("Copy exported")
        CORRECTED = "corrected", _("Information corrected")
        ANONYMISED = "anonymised", _("Information anonymised")
        OBJECTION = "objection", _("Objection recorded")
        CONSENT_WITHDRAWN = "consent_withdrawn", _("Consent withdrawal recorded")
        COMPLETED = "completed", _("Completed")
        REFUSED = "refused", _("Refused")
        OVERDUE = "overdue", _("Overdue: compliance notified")
        ERASED = "erased", _("Personal details erased")

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


class RetentionRun(models.Model):
    """One day's run of the retention job: what the dispatcher listed and what its chunks did.
    A contact that could not be anonymised is recorded by its id and the kind of error, never
    its data; the next day's run lists it again."""

    on = models.DateField(_("day"), unique=True)
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    listed = models.PositiveIntegerField(_("contacts listed"), default=0)
    chunks = models.PositiveIntegerField(_("chunks"), default=0)
    anonymised = models.PositiveIntegerField(_("contacts anonymised"), default=0)
    # {"<contact id>": "<error class>"}: a retried chunk overwrites, a later success removes.
    failures = models.JSONField(_("failures"), default=dict, blank=True)
    requests_erased = models.PositiveIntegerField(_("requests erased"), default=0)

    class Meta:
        verbose_name = _("retention run")
        verbose_name_plural = _("retention runs")
        ordering = ["-on"]

    def __str__(self) -> str:
        return self.on.isoformat()

    @property
    def failed(self) -> int:
        return len(self.failures)
