"""Risk settings with their defaults; each can be overridden in Django settings."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

# Hours to acknowledge an alert, by severity (1 low, 2 medium, 3 high). An alert still open
# past its deadline escalates to the team lead, and after the same time again to executives.
DEFAULT_ACK_HOURS = {1: 5 * 24, 2: 3 * 24, 3: 24}


def ack_period(severity: int) -> timedelta:
    hours = {**DEFAULT_ACK_HOURS, **getattr(settings, "RISK_ACK_HOURS", {})}
    return timedelta(hours=hours.get(int(severity), DEFAULT_ACK_HOURS[2]))


def scan_chunk_size() -> int:
    """Accounts per chunk task: large enough that per-query overhead stays small, small
    enough that a retried chunk redoes little and several workers share a scan."""
    return int(getattr(settings, "RISK_SCAN_CHUNK_SIZE", 5000))


def certificate_reminder_days() -> int:
    """Days before a compliance certificate is due that its owner RM is reminded."""
    return int(getattr(settings, "RISK_CERTIFICATE_REMINDER_DAYS", 14))
