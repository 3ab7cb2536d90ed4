"""Risk alerts and their lifecycle: history, mitigation plan, escalations."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kam.links import link
from kam.model_mixins import ChoiceLabels

from ..choices import (
    ACTIVE_STATES,
    CLOSING_EVENTS,
    AlertSource,
    AlertState,
    EscalationLevel,
    EventKind,
    Severity,
)

ACTIVE = Q(state__in=ACTIVE_STATES)


class Alert(ChoiceLabels, models.Model):
    """An early-warning signal on an account: raised by the scan for a rule, or by a user."""

    account = models.ForeignKey(
        "accounts.Account",
        on_delete=models.CASCADE,
        related_name="risk_alerts",
        verbose_name=_("account"),
    )
    rule = models.ForeignKey(
        "risk.RiskRule",
        on_delete=models.PROTECT,
        related_name="alerts",
        verbose_name=_("rule"),
        db_index=False,  # alert_rule_account_idx leads with the rule
    )
    source = models.CharField(
        _("source"), max_length=10, choices=AlertSource.choices, default=AlertSource.SCAN
    )
    severity = models.PositiveSmallIntegerField(_("severity"), choices=Severity.choices)
    state = models.CharField(
        _("state"), max_length=20, choices=AlertState.choices, default=AlertState.OPEN
    )
    title = models.CharField(pgettext_lazy("heading", "title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    evidence = models.JSONField(_("evidence"), default=dict, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="risk_alerts",
        verbose_name=_("owner"),
        help_text=_("Who acts on the alert: the account's owner RM when it was raised."),
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("raised by"),
        db_index=False,  # never looked up by; each index slows the scan's inserts
    )
    opened_at = models.DateTimeField(_("opened"), default=timezone.now, db_index=True)
    evidence_changed_at = models.DateTimeField(_("evidence last changed"), null=True, blank=True)
    ack_deadline = models.DateTimeField(_("acknowledge by"))
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("acknowledged by"),
        db_index=False,  # never looked up by
    )
    mitigation_plan = models.TextField(_("mitigation plan"), blank=True)
    mitigation_started_at = models.DateTimeField(_("mitigation started"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("closed by"),
        db_index=False,  # never looked up by
    )
    closing_note = models.TextField(_("closing note"), blank=True)
    resolved_automatically = models.BooleanField(_("resolved automatically"), default=False)
    suppressed_until = models.DateTimeField(
        _("not raised again before"),
        null=True,
        blank=True,
        help_text=_("After a dismissal, the scan does not raise this rule again until then."),
    )
    escalation_level = models.PositiveSmallIntegerField(
        _("escalated to"), choices=EscalationLevel.choices, default=EscalationLevel.NONE
    )

    class Meta:
        ordering = ["-severity", "-opened_at", "-pk"]
        verbose_name = _("risk alert")
        verbose_name_plural = _("risk alerts")
        constraints = [
            # The heart of idempotent scans: one active scan alert per account and rule,
            # however many scans, retries and workers race.
            models.UniqueConstraint(
                fields=["account", "rule"],
                condition=ACTIVE & Q(source=AlertSource.SCAN),
                name="alert_one_active_per_account_rule",
            ),
            models.CheckConstraint(
                condition=Q(state__in=AlertState.values), name="alert_state_valid"
            ),
            models.CheckConstraint(
                condition=Q(severity__in=Severity.values), name="alert_severity_valid"
            ),
            models.CheckConstraint(
                condition=Q(source__in=AlertSource.values), name="alert_source_valid"
            ),
            models.CheckConstraint(
                condition=Q(escalation_level__in=EscalationLevel.values),
                name="alert_escalation_level_valid",
            ),
        ]
        indexes = [
            # The risk level of an account: its worst active alert.
            models.Index(fields=["account", "severity"], condition=ACTIVE, name="alert_active_idx"),
            # The escalation job polls unacknowledged alerts past their deadline.
            models.Index(
                fields=["ack_deadline"],
                condition=Q(state=AlertState.OPEN),
                name="alert_unacknowledged_idx",
            ),
            models.Index(fields=["rule", "account"], name="alert_rule_account_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.title} — {self.account_id}"

    def get_absolute_url(self) -> str:
        return link("risk:alert_detail", self.pk)

    def get_additional_data(self) -> dict[str, Any]:
        return {"account_id": self.account_id}

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_STATES

    @property
    def is_overdue(self) -> bool:
        return self.state == AlertState.OPEN and self.ack_deadline < timezone.now()

    @property
    def summary(self) -> str:
        """The evidence in words, in the reader's language."""
        rule_type = self.rule.type
        if self.source == AlertSource.MANUAL or rule_type is None:
            return self.description
        return str(rule_type.summarize(self.evidence))


class AlertEvent(ChoiceLabels, models.Model):
    """One entry of an alert's history. Raising and closing happen once per alert; partial
    unique constraints make a racing scan's duplicate insert a no-op."""

    alert = models.ForeignKey(
        Alert, on_delete=models.CASCADE, related_name="events", verbose_name=_("alert")
    )
    at = models.DateTimeField(_("when"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
        db_index=False,  # never looked up by; each index slows the scan's inserts
    )
    kind = models.CharField(_("what"), max_length=30, choices=EventKind.choices)
    from_state = models.CharField(_("from"), max_length=20, choices=AlertState.choices, blank=True)
    to_state = models.CharField(_("to"), max_length=20, choices=AlertState.choices, blank=True)
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("alert history entry")
        verbose_name_plural = _("alert history")
        constraints = [
            models.UniqueConstraint(
                fields=["alert"],
                condition=Q(kind=EventKind.RAISED),
                name="alert_event_raised_once",
            ),
            models.UniqueConstraint(
                fields=["alert"],
                condition=Q(kind__in=CLOSING_EVENTS),
                name="alert_event_closed_once",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=EventKind.values), name="alert_event_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.alert_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"

    @property
    def explanation(self) -> str:
        """What the system did, in the reader's language (people's entries carry a note)."""
        if self.kind == EventKind.AUTO_RESOLVED:
            if self.data.get("reason") == "out_of_scope":
                return str(_("Resolved by the scan: the rule no longer applies to this account."))
            return str(_("Resolved by the scan: the condition no longer holds."))
        if self.kind == EventKind.RAISED and self.actor_id is None:
            return str(_("Raised by the early-warning scan."))
        if self.kind == EventKind.ESCALATED:
            level = self.data.get("level")
            if level == EscalationLevel.TEAM_LEAD:
                return str(_("Not acknowledged in time: escalated to the team lead."))
            return str(_("Still not acknowledged: escalated to the executives."))
        quiet = self.data.get("quiet_days")
        if quiet:
            return str(_("Not raised again for %(days)s days.") % {"days": quiet})
        return ""


class MitigationAction(ChoiceLabels, models.Model):
    """One action of an alert's mitigation plan (应对), with its owner and due date."""

    alert = models.ForeignKey(
        Alert, on_delete=models.CASCADE, related_name="actions", verbose_name=_("alert")
    )
    description = models.CharField(pgettext_lazy("mitigation", "action"), max_length=300)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="risk_actions",
        verbose_name=_("owner"),
    )
    due_date = models.DateField(_("due"))
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["due_date", "pk"]
        verbose_name = _("mitigation action")
        verbose_name_plural = _("mitigation actions")

    def __str__(self) -> str:
        return self.description

    @property
    def is_overdue(self) -> bool:
        return self.done_at is None and self.due_date < timezone.localdate()


class AlertEscalation(models.Model):
    """An escalation of an unacknowledged alert: to the team lead, then to executives —
    each level once per alert (unique constraint)."""

    alert = models.ForeignKey(
        Alert, on_delete=models.CASCADE, related_name="escalations", verbose_name=_("alert")
    )
    level = models.PositiveSmallIntegerField(_("level"), choices=EscalationLevel.choices)
    at = models.DateTimeField(_("when"), default=timezone.now)
    recipients = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="+", blank=True, verbose_name=_("notified")
    )

    class Meta:
        ordering = ["alert", "level"]
        verbose_name = _("alert escalation")
        verbose_name_plural = _("alert escalations")
        constraints = [
            models.UniqueConstraint(fields=["alert", "level"], name="alert_escalation_once"),
            models.CheckConstraint(
                condition=Q(level__in=[EscalationLevel.TEAM_LEAD, EscalationLevel.EXECUTIVE]),
                name="escalation_level_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.alert_id} → {self.get_level_display()}"
