"""Alert lifecycle: open → acknowledged → in mitigation → resolved, or dismissed with a reason;
escalation of unacknowledged alerts to the team lead and then the executives, each once."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from kam.models import Notification
from risk.choices import AlertState, EscalationLevel, EventKind, Severity
from risk.models import Alert, AlertEscalation, AlertEvent
from risk.services import (
    AlertChanged,
    alert_acknowledge,
    alert_dismiss,
    alert_escalations_process,
    alert_raise_manual,
    alert_resolve,
    alert_start_mitigation,
    mitigation_action_add,
    mitigation_action_complete,
)
from tests.conftest import Cast

pytestmark = pytest.mark.django_db


def _alert(cast: Cast, severity: int = Severity.HIGH) -> Alert:
    return alert_raise_manual(
        account=cast.account,
        user=cast.teammate,
        title="Off-taker paying late",
        description="Invoices 60 days overdue.",
        severity=severity,
    )


def _kinds(alert: Alert) -> list[str]:
    return list(alert.events.order_by("at", "pk").values_list("kind", flat=True))


def test_the_full_lifecycle_keeps_its_history(cast: Cast) -> None:
    alert = _alert(cast)
    assert alert.state == AlertState.OPEN
    assert alert.ack_deadline == alert.opened_at + dt.timedelta(hours=24)  # high: one day

    alert = alert_acknowledge(alert=alert, user=cast.owner)
    assert (alert.state, alert.acknowledged_by) == (AlertState.ACKNOWLEDGED, cast.owner)

    alert = alert_start_mitigation(
        alert=alert,
        user=cast.owner,
        plan="Ask the sponsor for a payment plan.",
        action="Call the off-taker's CFO",
        action_owner=cast.teammate,
        action_due=timezone.localdate() + dt.timedelta(days=7),
    )
    assert alert.state == AlertState.IN_MITIGATION
    action = mitigation_action_add(
        alert=alert,
        user=cast.owner,
        description="Check the receivables at the next covenant test",
        owner=cast.owner,
        due_date=timezone.localdate() + dt.timedelta(days=30),
    )
    mitigation_action_complete(action=action, user=cast.owner)
    mitigation_action_complete(action=action, user=cast.owner)  # twice: recorded once
    assert alert.actions.count() == 2
    assert (
        Notification.objects.filter(user=cast.teammate, key__startswith="risk-action-").count() == 1
    )

    alert = alert_resolve(alert=alert, user=cast.owner, note="Payment plan agreed and kept.")
    assert alert.state == AlertState.RESOLVED
    assert alert.closed_by == cast.owner
    assert not alert.resolved_automatically
    assert _kinds(alert) == [
        EventKind.RAISED,
        EventKind.ACKNOWLEDGED,
        EventKind.MITIGATION_STARTED,
        EventKind.ACTION_ADDED,
        EventKind.ACTION_ADDED,
        EventKind.ACTION_DONE,
        EventKind.RESOLVED,
    ]


def test_transitions_from_the_wrong_state_are_refused(cast: Cast) -> None:
    alert = _alert(cast)
    alert_resolve(alert=alert, user=cast.owner, note="Done")
    with pytest.raises(AlertChanged):
        alert_acknowledge(alert=alert, user=cast.owner)
    with pytest.raises(AlertChanged):
        alert_dismiss(alert=alert, user=cast.risk, reason="late")
    # A stale copy (another user closed it meanwhile) is refused too, and nothing is written.
    stale = Alert.objects.get(pk=alert.pk)
    stale.state = AlertState.OPEN
    with pytest.raises(AlertChanged):
        alert_resolve(alert=stale, user=cast.teammate, note="again")
    assert AlertEvent.objects.filter(alert=alert, kind=EventKind.RESOLVED).count() == 1


def test_dismissing_needs_a_reason(cast: Cast) -> None:
    alert = _alert(cast)
    with pytest.raises(ValidationError):
        alert_dismiss(alert=alert, user=cast.risk, reason="  ")
    alert = alert_dismiss(alert=alert, user=cast.risk, reason="Duplicate of the covenant alert")
    assert alert.state == AlertState.DISMISSED
    assert alert.suppressed_until is not None


def test_an_unacknowledged_alert_escalates_to_the_lead_then_the_executives_once(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    cast.lead.email = "lead.zhao@bank.example"
    cast.lead.save()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        alert = _alert(cast, severity=Severity.HIGH)  # 24 hours to acknowledge
        quiet = _alert(cast, severity=Severity.HIGH)
        alert_acknowledge(alert=quiet, user=cast.owner)
    mail.outbox.clear()

    with time_machine.travel(start + dt.timedelta(hours=23), tick=False):
        assert alert_escalations_process().team_lead == 0

    with (
        time_machine.travel(start + dt.timedelta(hours=25), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        result = alert_escalations_process()
        assert (result.team_lead, result.executive) == (1, 0)
        assert alert_escalations_process().team_lead == 0  # again: nothing new
    alert.refresh_from_db()
    assert alert.escalation_level == EscalationLevel.TEAM_LEAD
    lead_notes = Notification.objects.filter(
        user=cast.lead, key=f"risk-alert-{alert.pk}-escalation-1"
    )
    assert lead_notes.count() == 1
    assert [m.to for m in mail.outbox] == [["lead.zhao@bank.example"]]

    # The executives hear of it a day after the team lead did, still unacknowledged.
    with time_machine.travel(start + dt.timedelta(hours=40), tick=False):
        assert alert_escalations_process().executive == 0
    with time_machine.travel(start + dt.timedelta(hours=50), tick=False):
        assert alert_escalations_process().executive == 1
        assert alert_escalations_process().executive == 0
    with time_machine.travel(start + dt.timedelta(days=30), tick=False):
        assert alert_escalations_process().executive == 0

    alert.refresh_from_db()
    assert alert.escalation_level == EscalationLevel.EXECUTIVE
    assert list(AlertEscalation.objects.filter(alert=alert).values_list("level", flat=True)) == [
        1,
        2,
    ]
    assert (
        Notification.objects.filter(
            user=cast.executive, key=f"risk-alert-{alert.pk}-escalation-2"
        ).count()
        == 1
    )
    assert not AlertEscalation.objects.filter(alert=quiet).exists()
    assert _kinds(alert).count(EventKind.ESCALATED) == 2


def test_an_acknowledged_alert_does_not_escalate(cast: Cast) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        alert = _alert(cast, severity=Severity.LOW)
    with time_machine.travel(start + dt.timedelta(days=2), tick=False):
        alert_acknowledge(alert=alert, user=cast.teammate)
    with time_machine.travel(start + dt.timedelta(days=20), tick=False):
        result = alert_escalations_process()
    assert (result.team_lead, result.executive) == (0, 0)
