"""Choice lists of the risk domain. Stored values are stable codes."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Severity(models.IntegerChoices):
    """An alert's severity; integers so that ``Max`` gives an account's worst alert."""

    LOW = 1, _("Low")
    MEDIUM = 2, _("Medium")
    HIGH = 3, _("High")


class RiskLevel(models.IntegerChoices):
    """An account's risk level: the severity of its worst active alert, green when none."""

    GREEN = 0, _("Green")
    YELLOW = 1, _("Yellow")
    ORANGE = 2, _("Orange")
    RED = 3, _("Red")


class AlertState(models.TextChoices):
    OPEN = "open", pgettext_lazy("alert state", "Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    IN_MITIGATION = "in_mitigation", _("In mitigation")
    RESOLVED = "resolved", _("Resolved")
    DISMISSED = "dismissed", _("Dismissed")


# An alert in one of these states is "active": it counts for the risk level, the scan keeps its
# evidence fresh, and at most one per (account, rule) may exist.
ACTIVE_STATES = (AlertState.OPEN, AlertState.ACKNOWLEDGED, AlertState.IN_MITIGATION)
CLOSED_STATES = (AlertState.RESOLVED, AlertState.DISMISSED)


class AlertSource(models.TextChoices):
    SCAN = "scan", _("Early-warning scan")
    MANUAL = "manual", _("Raised by a user")


class EventKind(models.TextChoices):
    RAISED = "raised", _("Raised")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    MITIGATION_STARTED = "mitigation_started", _("Mitigation started")
    ACTION_ADDED = "action_added", _("Mitigation action added")
    ACTION_DONE = "action_done", _("Mitigation action done")
    COMMENT = "comment", _("Comment")
    ESCALATED = "escalated", _("Escalated")
    RESOLVED = "resolved", _("Resolved")
    AUTO_RESOLVED = "auto_resolved", _("Resolved automatically")
    DISMISSED = "dismissed", _("Dismissed")


CLOSING_EVENTS = (EventKind.RESOLVED, EventKind.AUTO_RESOLVED, EventKind.DISMISSED)


class EscalationLevel(models.IntegerChoices):
    NONE = 0, _("Not escalated")
    TEAM_LEAD = 1, _("Team lead")
    EXECUTIVE = 2, _("Executive")


class CovenantDirection(models.TextChoices):
    MINIMUM = "min", _("Minimum (the figure must stay at or above the threshold)")
    MAXIMUM = "max", _("Maximum (the figure must stay at or below the threshold)")


class CovenantLevelKind(models.TextChoices):
    """The thresholds of one covenant: passing the lock-up level blocks distributions to the
    sponsors (and may sweep cash to the lenders); passing the event-of-default level lets the
    lenders accelerate the loan."""

    LOCK_UP = "lock_up", _("Lock-up / cash sweep")
    EVENT_OF_DEFAULT = "default", _("Event of default")


class CovenantBasis(models.TextChoices):
    BACKWARD = "backward", _("Backward-looking (the period just ended)")
    FORWARD = "forward", _("Forward-looking (the coming period, projected)")


class CovenantFrequency(models.IntegerChoices):
    """Months between two tests of a covenant."""

    QUARTERLY = 3, _("Quarterly")
    SEMI_ANNUAL = 6, _("Semi-annual")
    ANNUAL = 12, _("Annual")


class WaiverKind(models.TextChoices):
    CURE = "cure", _("Cure (e.g. an equity cure)")
    WAIVER = "waiver", _("Waiver")
    AMENDMENT = "amendment", _("Amendment (new levels from a date)")


# A cure or waiver covers breaches; an amendment changes the levels instead.
RELIEF_KINDS = (WaiverKind.CURE, WaiverKind.WAIVER)


class WaiverStatus(models.TextChoices):
    """A cure, waiver or amendment is a credit decision: recorded pending, it relieves nothing
    (and an amendment changes no level) until the approver it names confirms it."""

    PENDING = "pending", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class CovenantSource(models.TextChoices):
    PORTAL = "portal", _("Entered in the portal")
    IMPORT = "import", _("Imported from a file")
    ADMIN = "admin", _("Entered in the admin")
    GENERATED = "generated", _("Generated (demo or volume data)")


class EsgCategory(models.TextChoices):
    ENVIRONMENTAL = "environmental", _("Environmental")
    SOCIAL = "social", _("Social")
    GOVERNANCE = "governance", _("Governance")


class EsgSeverity(models.IntegerChoices):
    MINOR = 1, _("Minor")
    MODERATE = 2, _("Moderate")
    SEVERE = 3, _("Severe")


class EsgSource(models.TextChoices):
    MEDIA = "media", _("Media report")
    NGO = "ngo", _("NGO or community complaint")
    REGULATOR = "regulator", _("Regulator or court")
    CLIENT = "client", _("Client disclosure")
    INTERNAL = "internal", _("Internal review or site visit")


class ScanTrigger(models.TextChoices):
    SCHEDULE = "schedule", _("Schedule")
    MANUAL = "manual", _("On demand")


class ScanStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    FINISHED = "finished", _("Finished")
    FAILED = "failed", _("Could not start")
