"""Channels, interactions with their follow-up actions, strategic reviews and their reminders.

Cadence and the risk scan read ``AccountContactStats`` (one row per account, kept by the
interaction services) so they stay set-based at a million interactions.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from kam.fields import EncryptedTextField
from kam.links import link
from kam.model_mixins import ChoiceLabels


class Channel(models.Model):
    """A way of talking to an account. Administrators extend the table; ``code`` is stable
    (contacts' channel preferences and service requests refer to it)."""

    code = models.SlugField(
        _("code"),
        max_length=30,
        unique=True,
        help_text=_("Stable identifier; the contact channel preferences use the same codes."),
    )
    name = models.CharField(_("name (English)"), max_length=80)
    name_zh = models.CharField(_("name (Chinese)"), max_length=80, blank=True)
    counts_for_cadence = models.BooleanField(
        _("counts for cadence"),
        default=True,
        help_text=_("An interaction on this channel counts as a meaningful contact."),
    )
    is_video = models.BooleanField(
        _("video conference"),
        default=False,
        help_text=_("Interactions on this channel keep their meeting link."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=100)

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = _("channel")
        verbose_name_plural = _("channels")

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """The name in the current language (Chinese when set and active)."""
        if self.name_zh and (translation.get_language() or "").lower().startswith("zh"):
            return self.name_zh
        return self.name


class InteractionNotes(NamedTuple):
    """An interaction's notes, wherever they are kept."""

    summary: str
    outcome: str


class Interaction(ChoiceLabels, models.Model):
    """One contact between us and an account through a channel.

    Its notes (summary and outcome) are kept in plain columns while the interaction is open
    and in encrypted ones (``confidential_*``, kam.fields) while it is confidential; the other
    pair is empty, which a check constraint holds. Read them through ``notes`` and write
    them through ``set_notes``. The subject stays plain: it names the interaction in lists,
    the change log and Django admin.
    """

    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="interactions",
    )
    channel = models.ForeignKey(
        Channel, verbose_name=_("channel"), on_delete=models.PROTECT, related_name="interactions"
    )
    occurred_at = models.DateTimeField(_("when"))
    subject = models.CharField(_("subject"), max_length=200)
    summary = models.TextField(_("summary"), blank=True)
    outcome = models.TextField(_("outcome"), blank=True)
    meeting_link = models.URLField(
        _("meeting link"),
        max_length=500,
        blank=True,
        help_text=_("Zoom, Microsoft Teams or Tencent Meeting link of a video conference."),
    )
    is_confidential = models.BooleanField(
        _("confidential"),
        default=False,
        help_text=_(
            "Visible only to the account team (the owner, team members and team lead) and to "
            "compliance; its summary and outcome are encrypted at rest."
        ),
    )
    confidential_summary = EncryptedTextField(_("summary (confidential)"), blank=True)
    confidential_outcome = EncryptedTextField(_("outcome (confidential)"), blank=True)
    internal_participants = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("internal participants"),
        related_name="interactions_attended",
        blank=True,
    )
    contacts = models.ManyToManyField(
        "accounts.Contact",
        verbose_name=_("contact participants"),
        related_name="interactions",
        blank=True,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("logged by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="interactions_logged",
    )
    created_at = models.DateTimeField(_("logged"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        indexes = [
            # The account timeline: newest first, paginated.
            models.Index(
                fields=["account", "-occurred_at", "-id"], name="interaction_timeline_idx"
            ),
        ]
        constraints = [
            # A confidential interaction's notes are never in the plain columns, and an open
            # one keeps none in the encrypted ones: the notes are in one place only.
            models.CheckConstraint(
                condition=Q(is_confidential=True, summary="", outcome="")
                | Q(is_confidential=False, confidential_summary="", confidential_outcome=""),
                name="interaction_notes_placed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d} {self.subject}"

    def get_absolute_url(self) -> str:
        return link("interactions:detail", self.account_id, self.pk)

    def get_additional_data(self) -> dict[str, Any]:
        return {"account_id": self.account_id}

    @property
    def notes(self) -> InteractionNotes:
        """The summary and outcome: decrypted when the interaction is confidential."""
        if self.is_confidential:
            return InteractionNotes(self.confidential_summary, self.confidential_outcome)
        return InteractionNotes(self.summary, self.outcome)

    def set_notes(self, *, summary: str, outcome: str) -> None:
        """Put the notes where ``is_confidential`` says they belong (the encrypted columns while
        it is set, the plain ones otherwise) and empty the other pair. Set the flag first."""
        if self.is_confidential:
            self.confidential_summary, self.confidential_outcome = summary, outcome
            self.summary = self.outcome = ""
        else:
            self.summary, self.outcome = summary, outcome
            self.confidential_summary = self.confidential_outcome = ""

    @property
    def meeting_platform(self) -> str:
        return meeting_platform(self.meeting_link)


def meeting_platform(link: str) -> str:
    """Zoom, Teams or Tencent Meeting, read from a meeting link's host."""
    host = (urlsplit(link).hostname or "").lower()
    for suffix, name in MEETING_PLATFORMS:
        if host == suffix or host.endswith("." + suffix):
            return name
    return ""


MEETING_PLATFORMS: tuple[tuple[str, str], ...] = (
    ("zoom.us", "Zoom"),
    ("zoom.com.cn", "Zoom"),
    ("teams.microsoft.com", "Microsoft Teams"),
    ("teams.live.com", "Microsoft Teams"),
    ("meeting.tencent.com", "Tencent Meeting"),
    ("voovmeeting.com", "VooV Meeting"),
)


class StrategicReview(ChoiceLabels, models.Model):
    """The executive-attended review of an account; counts for its quarter only when held
    with at least one executive."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        HELD = "held", _("Held")
        CANCELLED = "cancelled", _("Cancelled")

    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="strategic_reviews",
    )
    # The calendar quarter (Asia/Shanghai) of ``scheduled_at``, stored for set-based coverage.
    year = models.PositiveSmallIntegerField(_("year"))
    quarter = models.PositiveSmallIntegerField(_("quarter"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.SCHEDULED
    )
    scheduled_at = models.DateTimeField(_("date and time"))
    location = models.CharField(_("place"), max_length=200, blank=True)
    video_link = models.URLField(_("video link"), max_length=500, blank=True)
    executives = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("attending executives"),
        related_name="strategic_reviews_attended",
        blank=True,
    )
    agenda = models.TextField(_("agenda"), blank=True)
    minutes = models.TextField(_("minutes"), blank=True)
    decisions = models.TextField(_("decisions"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="strategic_reviews_created",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    class Meta:
        ordering = ["-scheduled_at", "-pk"]
        verbose_name = _("strategic review")
        verbose_name_plural = _("strategic reviews")
        constraints = [
            models.CheckConstraint(
                condition=Q(quarter__gte=1, quarter__lte=4), name="review_quarter_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["scheduled", "held", "cancelled"]),
                name="review_status_valid",
            ),
        ]
        indexes = [
            models.Index(
                fields=["year", "quarter", "status", "account"], name="review_quarter_idx"
            ),
            models.Index(fields=["account", "-scheduled_at"], name="review_account_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.year} Q{self.quarter} — {self.get_status_display()}"

    def get_absolute_url(self) -> str:
        return link("interactions:review_detail", self.account_id, self.pk)

    def get_additional_data(self) -> dict[str, Any]:
        return {"account_id": self.account_id}

    @property
    def quarter_label(self) -> str:
        return f"{self.year} Q{self.quarter}"


class FollowUp(ChoiceLabels, models.Model):
    """An action with an owner and a due date, from an interaction or a strategic review."""

    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="follow_ups",
    )
    interaction = models.ForeignKey(
        Interaction,
        verbose_name=_("interaction"),
        on_delete=models.CASCADE,
        related_name="follow_ups",
        null=True,
        blank=True,
    )
    review = models.ForeignKey(
        StrategicReview,
        verbose_name=_("strategic review"),
        on_delete=models.CASCADE,
        related_name="actions",
        null=True,
        blank=True,
    )
    description = models.CharField(_("action"), max_length=300)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="follow_ups",
    )
    due_date = models.DateField(_("due date"))
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["due_date", "pk"]
        verbose_name = _("follow-up action")
        verbose_name_plural = _("follow-up actions")
        constraints = [
            models.CheckConstraint(
                condition=(Q(interaction__isnull=False) & Q(review__isnull=True))
                | (Q(interaction__isnull=True) & Q(review__isnull=False)),
                name="followup_one_source",
            ),
        ]
        indexes = [
            # "My follow-ups due": open actions of one owner by due date.
            models.Index(
                fields=["owner", "due_date"],
                condition=Q(done_at__isnull=True),
                name="followup_open_owner_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.description

    def get_additional_data(self) -> dict[str, Any]:
        return {"account_id": self.account_id}

    def is_overdue(self, today: dt.date) -> bool:
        return self.done_at is None and self.due_date < today


class AccountContactStats(models.Model):
    """Per-account contact facts kept by the interaction services, so that lists, cadence
    checks and the risk scan read one row per account instead of scanning interactions."""

    account = models.OneToOneField(
        "accounts.Account",
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="contact_stats",
    )
    last_interaction_at = models.DateTimeField(_("last interaction"), null=True, blank=True)
    last_meaningful_at = models.DateTimeField(
        _("last meaningful interaction"), null=True, blank=True
    )
    interaction_count = models.PositiveIntegerField(_("interactions"), default=0)

    class Meta:
        verbose_name = _("account contact statistics")
        verbose_name_plural = _("account contact statistics")
        indexes = [models.Index(fields=["last_meaningful_at"], name="contactstats_meaningful_idx")]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.last_meaningful_at}"


class AccountSponsor(models.Model):
    """The executive sponsor of an account: overdue strategic reviews escalate to them."""

    account = models.OneToOneField(
        "accounts.Account",
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="sponsor",
    )
    executive = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("executive sponsor"),
        on_delete=models.PROTECT,
        related_name="sponsored_accounts",
    )

    class Meta:
        verbose_name = _("executive sponsor")
        verbose_name_plural = _("executive sponsors")

    def __str__(self) -> str:
        return f"{self.account_id}: {self.executive}"

    def get_additional_data(self) -> dict[str, Any]:
        return {"account_id": self.account_id}


class ReviewReminder(models.Model):
    """One reminder per (account, quarter, stage): the row is claimed before anything is sent,
    and ``sent_at`` is set once the notifications exist. A retry sends only unsent rows, and
    the notification keys make the sending itself idempotent."""

    class Stage(models.TextChoices):
        DAYS_30 = "d30", _("30 days before quarter end")
        DAYS_14 = "d14", _("14 days before quarter end")
        DAYS_7 = "d7", _("7 days before quarter end")
        OVERDUE = "overdue", _("Overdue (escalated)")

    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="review_reminders",
    )
    year = models.PositiveSmallIntegerField(_("year"))
    quarter = models.PositiveSmallIntegerField(_("quarter"))
    stage = models.CharField(_("stage"), max_length=10, choices=Stage.choices)
    claimed_at = models.DateTimeField(_("claimed"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        ordering = ["-claimed_at", "-pk"]
        verbose_name = _("review reminder")
        verbose_name_plural = _("review reminders")
        constraints = [
            models.UniqueConstraint(
                fields=["account", "year", "quarter", "stage"], name="review_reminder_once"
            ),
            models.CheckConstraint(
                condition=Q(stage__in=["d30", "d14", "d7", "overdue"]),
                name="review_reminder_stage_valid",
            ),
        ]
        indexes = [
            models.Index(
                fields=["year", "quarter", "stage"],
                condition=Q(sent_at__isnull=True),
                name="review_reminder_unsent_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.year} Q{self.quarter} {self.stage}"
