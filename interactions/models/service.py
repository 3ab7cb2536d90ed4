"""Service quality standards: SLA policies per tier and priority, service requests with their
clocks, the state history of each request, and SLA breaches (once per request and kind).

Clocks count business time on mainland China's working calendar (``interactions.business_time``).
A request stores its deadlines; the services recompute them when the clock stops (waiting on
the client, resolved) and restarts (resumed, reopened), so lists sort and the breach scan
polls on plain indexed columns.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.choices import Tier
from interactions.business_time import (
    BusinessHours,
    business_time_between,
)
from kam.links import link
from kam.model_mixins import ChoiceLabels, choices_check


class Priority(models.TextChoices):
    URGENT = "urgent", _("Urgent")
    HIGH = "high", _("High")
    NORMAL = "normal", _("Normal")
    LOW = "low", _("Low")


class RequestState(models.TextChoices):
    NEW = "new", _("New")
    RESPONDED = "responded", _("Responded")
    WAITING = "waiting_on_client", _("Waiting on client")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


OPEN_STATES = (RequestState.NEW, RequestState.RESPONDED, RequestState.WAITING)
# States in which the resolution clock runs.
RUNNING_STATES = (RequestState.NEW, RequestState.RESPONDED)


class BreachKind(models.TextChoices):
    RESPONSE = "response", _("First response")
    RESOLUTION = "resolution", _("Resolution")


class SlaPolicy(models.Model):
    """What we promise an account of a tier for a request of a priority, in business hours."""

    tier = models.CharField(_("tier"), max_length=20, choices=Tier.choices)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices)
    first_response_hours = models.DecimalField(
        _("first response target (business hours)"),
        max_digits=6,
        decimal_places=2,
        help_text=_("Business hours from opening to the first response; more than zero."),
    )
    resolution_hours = models.DecimalField(
        _("resolution target (business hours)"),
        max_digits=6,
        decimal_places=2,
        help_text=_(
            "Business hours from opening to resolution, not counting time waiting on the "
            "client; at least the first response target."
        ),
    )
    business_day_start = models.TimeField(
        _("business day starts"), default=dt.time(9), help_text=_("Asia/Shanghai time.")
    )
    business_day_end = models.TimeField(
        _("business day ends"), default=dt.time(18), help_text=_("Asia/Shanghai time.")
    )
    requires_response = models.BooleanField(
        _("requires a first response before resolution"),
        default=True,
        help_text=_(
            "When set, a request must be responded to before it can be resolved; otherwise "
            "the resolution counts as the first response."
        ),
    )
    escalate_to_lead = models.BooleanField(
        _("escalate breaches to the team lead"),
        default=False,
        help_text=_("A breach notifies the account team's lead as well as the assignee."),
    )

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["tier", "priority"]
        constraints = [
            models.UniqueConstraint(fields=["tier", "priority"], name="slapolicy_tier_priority"),
            models.CheckConstraint(
                condition=choices_check("tier", Tier), name="slapolicy_tier_valid"
            ),
            models.CheckConstraint(
                condition=choices_check("priority", Priority), name="slapolicy_priority_valid"
            ),
            models.CheckConstraint(
                condition=Q(first_response_hours__gt=0) & Q(resolution_hours__gt=0),
                name="slapolicy_targets_positive",
            ),
            models.CheckConstraint(
                condition=Q(resolution_hours__gte=models.F("first_response_hours")),
                name="slapolicy_resolution_after_response",
            ),
            models.CheckConstraint(
                condition=Q(business_day_end__gt=models.F("business_day_start")),
                name="slapolicy_business_day_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_tier_display()} · {self.get_priority_display()}"

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        for name in ("first_response_hours", "resolution_hours"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                errors[name] = _("A target must be more than zero business hours.")
        if (
            "first_response_hours" not in errors
            and "resolution_hours" not in errors
            and self.first_response_hours is not None
            and self.resolution_hours is not None
            and self.resolution_hours < self.first_response_hours
        ):
            errors["resolution_hours"] = _(
                "The resolution target cannot be shorter than the first response target."
            )
        if (
            self.business_day_start is not None
            and self.business_day_end is not None
            and self.business_day_end <= self.business_day_start
        ):
            errors["business_day_end"] = _("The business day must end after it starts.")
        if errors:
            raise ValidationError(errors)

    @property
    def first_response_target(self) -> dt.timedelta:
        return dt.timedelta(hours=float(self.first_response_hours))

    @property
    def resolution_target(self) -> dt.timedelta:
        return dt.timedelta(hours=float(self.resolution_hours))


@dataclass(frozen=True, slots=True)
class Clock:
    """What a request's clock shows now: which deadline runs, and business time left (or,
    when negative, overdue). ``provisional``: the deadline lies in a year whose working
    calendar is not published yet (interactions.business_time)."""

    kind: str  # "response", "resolution", "paused", "stopped"
    due: dt.datetime | None
    remaining: dt.timedelta | None = None
    provisional: bool = False

    @property
    def overdue(self) -> bool:
        return self.remaining is not None and self.remaining <= dt.timedelta(0)

    @property
    def running(self) -> bool:
        return self.kind in ("response", "resolution")


class ServiceRequest(ChoiceLabels, models.Model):
    """Something an account asked of us, with first-response and resolution deadlines."""

    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="service_requests",
    )
    channel = models.ForeignKey(
        "interactions.Channel",
        verbose_name=_("channel"),
        on_delete=models.PROTECT,
        related_name="service_requests",
    )
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    state = models.CharField(
        _("state"), max_length=20, choices=RequestState.choices, default=RequestState.NEW
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.PROTECT,
        related_name="assigned_service_requests",
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="recorded_service_requests",
    )
    opened_at = models.DateTimeField(_("opened"))
    # The policy in force when the request was opened, and a copy of its terms: editing a
    # policy later changes the promise for new requests only.
    policy = models.ForeignKey(
        SlaPolicy, verbose_name=_("SLA policy"), on_delete=models.PROTECT, related_name="+"
    )
    tier = models.CharField(_("tier"), max_length=20, choices=Tier.choices)
    # The account's team when the request was opened: the reports' "by team" (like ``tier``,
    # a snapshot, so a later move of the account does not rewrite past attainment).
    team = models.ForeignKey(
        "kam.Team",
        verbose_name=_("team"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    response_target_minutes = models.PositiveIntegerField(_("first response target (minutes)"))
    resolution_target_minutes = models.PositiveIntegerField(_("resolution target (minutes)"))
    business_day_start = models.TimeField(_("business day starts"))
    business_day_end = models.TimeField(_("business day ends"))
    response_required = models.BooleanField(_("first response required"), default=True)
    escalate_to_lead = models.BooleanField(_("escalate breaches to the team lead"), default=False)
    # Deadlines, recomputed by the services.
    first_response_due = models.DateTimeField(_("first response due"))
    resolution_due = models.DateTimeField(_("resolution due"))
    # The deadline of the clock running now (first response, then resolution); empty while
    # the clock is stopped. Lists sort by it.
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    responded_at = models.DateTimeField(_("first response"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # When the resolution clock stopped (waiting on the client, resolved, closed), and how
    # much business time it has been stopped in earlier, finished pauses.
    clock_stopped_at = models.DateTimeField(_("clock stopped"), null=True, blank=True)
    paused_seconds = models.PositiveIntegerField(_("paused business time (seconds)"), default=0)
    deadlines_provisional = models.BooleanField(
        _("deadlines provisional"),
        default=False,
        help_text=_(
            "A deadline lies in a year whose working calendar is not published yet (Monday to "
            "Friday less the statutory holidays counted); recomputed once the calendar knows "
            "the year."
        ),
    )
    # Measured business time, kept for the reports' distributions.
    response_seconds = models.PositiveIntegerField(
        _("business time to first response (seconds)"), null=True, blank=True
    )
    resolution_seconds = models.PositiveIntegerField(
        _("business time to resolution (seconds)"), null=True, blank=True
    )
    response_breached_at = models.DateTimeField(
        _("first response breach detected"), null=True, blank=True
    )
    resolution_breached_at = models.DateTimeField(
        _("resolution breach detected"), null=True, blank=True
    )
    satisfaction = models.PositiveSmallIntegerField(
        _("client satisfaction"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text=_("1 (very dissatisfied) to 5 (very satisfied), recorded after resolution."),
    )
    satisfaction_comment = models.TextField(_("satisfaction comment"), blank=True)
    satisfaction_recorded_at = models.DateTimeField(
        _("satisfaction recorded"), null=True, blank=True
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    class Meta:
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")
        ordering = ["-opened_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=choices_check("state", RequestState), name="sr_state_valid"
            ),
            models.CheckConstraint(
                condition=choices_check("priority", Priority), name="sr_priority_valid"
            ),
            models.CheckConstraint(condition=choices_check("tier", Tier), name="sr_tier_valid"),
            models.CheckConstraint(
                condition=Q(satisfaction__isnull=True)
                | Q(satisfaction__gte=1, satisfaction__lte=5),
                name="sr_satisfaction_range",
            ),
            models.CheckConstraint(
                condition=Q(responded_at__isnull=True) | Q(responded_at__gte=models.F("opened_at")),
                name="sr_response_after_opening",
            ),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True) | Q(resolved_at__gte=models.F("opened_at")),
                name="sr_resolution_after_opening",
            ),
            models.CheckConstraint(
                condition=Q(response_target_minutes__gt=0) & Q(resolution_target_minutes__gt=0),
                name="sr_targets_positive",
            ),
        ]
        indexes = [
            # The breach scan's polling queries, one per kind: only the rows still watched.
            models.Index(
                fields=["first_response_due"],
                condition=Q(responded_at__isnull=True, response_breached_at__isnull=True),
                name="sr_response_watch_idx",
            ),
            models.Index(
                fields=["resolution_due"],
                condition=Q(state__in=["new", "responded"], resolution_breached_at__isnull=True),
                name="sr_resolution_watch_idx",
            ),
            # A user's open requests in the order the RM home shows them, with their
            # accounts: read from the index alone (selectors.service_home_for_user). The
            # account is a key column, not INCLUDE, which SQLite lacks.
            models.Index(
                fields=["assignee", "due_at", "-opened_at", "-id", "account"],
                condition=Q(state__in=["new", "responded", "waiting_on_client"]),
                name="sr_open_assignee_due_idx",
            ),
            models.Index(
                fields=["due_at"],
                condition=Q(state__in=["new", "responded", "waiting_on_client"]),
                name="sr_open_due_idx",
            ),
            # Open requests by age (the reports).
            models.Index(
                fields=["opened_at"],
                condition=Q(state__in=["new", "responded", "waiting_on_client"]),
                name="sr_open_opened_idx",
            ),
            models.Index(fields=["account", "-opened_at"], name="sr_account_opened_idx"),
            # The reports: requests opened in a period.
            models.Index(fields=["opened_at"], name="sr_opened_idx"),
        ]

    def __str__(self) -> str:
        return self.subject

    def get_absolute_url(self) -> str:
        return link("service:detail", self.pk)

    def get_additional_data(self) -> dict[str, Any]:
        return {"account_id": self.account_id}

    # ------------------------------------------------------------ per-row facts

    @property
    def hours(self) -> BusinessHours:
        return BusinessHours(start=self.business_day_start, end=self.business_day_end)

    @property
    def response_target(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.response_target_minutes)

    @property
    def resolution_target(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.resolution_target_minutes)

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def is_paused(self) -> bool:
        return self.state == RequestState.WAITING

    @property
    def response_met(self) -> bool | None:
        """Whether the first response came in time; None while it is still pending in time."""
        if self.responded_at is not None:
            return self.responded_at <= self.first_response_due
        return False if self.first_response_due < timezone.now() else None

    @property
    def resolution_met(self) -> bool | None:
        if self.resolved_at is not None and not self.is_open:
            return self.resolved_at <= self.resolution_due
        if self.state in RUNNING_STATES and self.resolution_due < timezone.now():
            return False
        return None

    def clock(self, now: dt.datetime | None = None) -> Clock:
        """The clock that runs now, with business time left (negative when overdue)."""
        now = now or timezone.now()
        if self.state == RequestState.NEW:
            kind, due = "response", self.first_response_due
        elif self.state == RequestState.RESPONDED:
            kind, due = "resolution", self.resolution_due
        elif self.state == RequestState.WAITING:
            # Frozen: what was left when the clock stopped.
            stopped = self.clock_stopped_at or now
            return self._clock("paused", self.resolution_due, stopped)
        else:
            return Clock("stopped", None)
        return self._clock(kind, due, now)

    def _clock(self, kind: str, due: dt.datetime, now: dt.datetime) -> Clock:
        if due >= now:
            remaining = business_time_between(now, due, hours=self.hours)
        else:
            remaining = -business_time_between(due, now, hours=self.hours)
        return Clock(kind, due, remaining, provisional=self.deadlines_provisional)


class EventAction(models.TextChoices):
    OPENED = "opened", _("Opened")
    RESPONDED = "responded", _("Responded")
    PAUSED = "paused", _("Waiting on client")
    RESUMED = "resumed", _("Client replied")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    REOPENED = "reopened", _("Reopened")
    REASSIGNED = "reassigned", _("Reassigned")
    RATED = "rated", _("Satisfaction recorded")
    BREACHED = "breached", _("SLA breached")
    # When the working calendar of a provisional year is published (interactions.business_time).
    RECOMPUTED = "recomputed", _("Deadlines recomputed")
    BREACH_WITHDRAWN = "breach_withdrawn", _("SLA breach withdrawn")


class ServiceRequestEvent(ChoiceLabels, models.Model):
    """One change of a request: a state change (from → to), a reassignment, a satisfaction
    score, a breach, or deadlines recomputed on a newly published calendar (and a breach that
    recomputation withdrew), with who and when."""

    Action = EventAction

    request = models.ForeignKey(
        ServiceRequest,
        verbose_name=_("service request"),
        on_delete=models.CASCADE,
        related_name="events",
    )
    at = models.DateTimeField(_("when"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    from_state = models.CharField(
        _("from"), max_length=20, choices=RequestState.choices, blank=True
    )
    to_state = models.CharField(_("to"), max_length=20, choices=RequestState.choices, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("service request event")
        verbose_name_plural = _("service request events")
        ordering = ["request", "at", "pk"]
        indexes = [models.Index(fields=["request", "at"], name="sr_event_request_idx")]
        constraints = [
            models.CheckConstraint(
                condition=choices_check("action", EventAction),
                name="sr_event_action_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_action_display()}"

    def get_additional_data(self) -> dict[str, Any]:
        return {"account_id": self.request.account_id}


class SlaBreach(models.Model):
    """A missed deadline, recorded once per request and kind however often the scan runs."""

    request = models.ForeignKey(
        ServiceRequest,
        verbose_name=_("service request"),
        on_delete=models.CASCADE,
        related_name="breaches",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=BreachKind.choices)
    due_at = models.DateTimeField(_("was due"))
    detected_at = models.DateTimeField(_("detected"))
    escalated_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("escalated to"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("SLA breach")
        verbose_name_plural = _("SLA breaches")
        ordering = ["-detected_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["request", "kind"], name="slabreach_once"),
            models.CheckConstraint(
                condition=choices_check("kind", BreachKind), name="slabreach_kind_valid"
            ),
        ]
        indexes = [models.Index(fields=["detected_at"], name="slabreach_detected_idx")]

    def __str__(self) -> str:
        return f"{self.request_id} {self.get_kind_display()}"
