"""The alert lifecycle: open → acknowledged → in mitigation → resolved, or dismissed with a
reason; manual alerts; escalation of unacknowledged alerts.

Every transition is a conditional update on the states it may leave (it must change one row),
so a user and the scan, or two users, never both close the same alert; each writes its
history entry in the same transaction."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Account
from kam.audit import audit_update
from kam.models import User
from kam.roles import Role
from kam.services import notification_send

from ..choices import (
    ACTIVE_STATES,
    AlertSource,
    AlertState,
    EscalationLevel,
    EventKind,
    Severity,
)
from ..conf import ack_period
from ..models import Alert, AlertEscalation, AlertEvent, MitigationAction, RiskRule


class AlertChanged(ValidationError):
    """The alert is no longer in a state that allows this (someone else acted first)."""


def _transition(
    *,
    alert: Alert,
    user: User | None,
    kind: str,
    from_states: tuple[str, ...],
    to_state: str,
    note: str = "",
    data: dict[str, Any] | None = None,
    **changes: Any,
) -> Alert:
    previous, before = alert.state, copy.copy(alert)
    updated = Alert.objects.filter(pk=alert.pk, state__in=from_states).update(
        state=to_state, **changes
    )
    if not updated:
        raise AlertChanged(
            _("This alert has changed in the meantime (it is now %(state)s); reload the page.")
            % {"state": Alert.objects.get(pk=alert.pk).get_state_display()}
        )
    AlertEvent.objects.create(
        alert=alert,
        actor=user,
        kind=kind,
        from_state=previous,
        to_state=to_state,
        note=note,
        data=data or {},
    )
    alert.refresh_from_db()
    audit_update(old=before, new=alert)
    return alert


@transaction.atomic
def alert_acknowledge(*, alert: Alert, user: User, note: str = "") -> Alert:
    now = timezone.now()
    return _transition(
        alert=alert,
        user=user,
        kind=EventKind.ACKNOWLEDGED,
        from_states=(AlertState.OPEN,),
        to_state=AlertState.ACKNOWLEDGED,
        note=note,
        acknowledged_at=now,
        acknowledged_by=user,
    )


@transaction.atomic
def alert_start_mitigation(
    *,
    alert: Alert,
    user: User,
    plan: str,
    action: str = "",
    action_owner: User | None = None,
    action_due: date | None = None,
) -> Alert:
    """Record the mitigation plan (应对); starting mitigation also acknowledges the alert."""
    now = timezone.now()
    changes: dict[str, Any] = {"mitigation_plan": plan, "mitigation_started_at": now}
    if alert.acknowledged_at is None:
        changes.update(acknowledged_at=now, acknowledged_by=user)
    alert = _transition(
        alert=alert,
        user=user,
        kind=EventKind.MITIGATION_STARTED,
        from_states=(AlertState.OPEN, AlertState.ACKNOWLEDGED),
        to_state=AlertState.IN_MITIGATION,
        note=plan,
        **changes,
    )
    if action:
        assert action_owner is not None and action_due is not None
        mitigation_action_add(
            alert=alert, user=user, description=action, owner=action_owner, due_date=action_due
        )
    return alert


@transaction.atomic
def mitigation_action_add(
    *, alert: Alert, user: User, description: str, owner: User, due_date: date
) -> MitigationAction:
    if not Alert.objects.filter(pk=alert.pk, state=AlertState.IN_MITIGATION).exists():
        raise AlertChanged(_("Actions can be added only while the alert is in mitigation."))
    action = MitigationAction.objects.create(
        alert=alert, description=description, owner=owner, due_date=due_date, created_by=user
    )
    AlertEvent.objects.create(
        alert=alert,
        actor=user,
        kind=EventKind.ACTION_ADDED,
        note=description,
        data={"action_id": action.pk, "owner_id": owner.pk, "due_date": due_date.isoformat()},
    )
    if owner.pk != user.pk:
        notification_send(
            user=owner,
            title=_("Mitigation action for you: %(action)s") % {"action": description[:120]},
            url=alert.get_absolute_url(),
            key=f"risk-action-{action.pk}-assigned",
        )
    return action


@transaction.atomic
def mitigation_action_complete(*, action: MitigationAction, user: User) -> MitigationAction:
    before = copy.copy(action)
    if MitigationAction.objects.filter(pk=action.pk, done_at__isnull=True).update(
        done_at=timezone.now()
    ):
        action.refresh_from_db()
        audit_update(old=before, new=action)
        AlertEvent.objects.create(
            alert_id=action.alert_id,
            actor=user,
            kind=EventKind.ACTION_DONE,
            note=action.description,
            data={"action_id": action.pk},
        )
    action.refresh_from_db()
    return action


def _quiet_until(days: int) -> datetime | None:
    return timezone.now() + timedelta(days=days) if days else None


@transaction.atomic
def alert_resolve(*, alert: Alert, user: User, note: str, quiet_days: int = 0) -> Alert:
    """Close an alert whose cause has been dealt with. ``quiet_days`` keeps the scan from
    raising the same rule again meanwhile (e.g. a waiver until the next covenant test)."""
    return _transition(
        alert=alert,
        user=user,
        kind=EventKind.RESOLVED,
        from_states=ACTIVE_STATES,
        to_state=AlertState.RESOLVED,
        note=note,
        data={"quiet_days": quiet_days} if quiet_days else None,
        closed_at=timezone.now(),
        closed_by=user,
        closing_note=note,
        suppressed_until=_quiet_until(quiet_days),
    )


@transaction.atomic
def alert_dismiss(*, alert: Alert, user: User, reason: str, quiet_days: int = 30) -> Alert:
    """A risk officer judges the alert a false or accepted signal; the reason is required."""
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the alert is dismissed.")})
    return _transition(
        alert=alert,
        user=user,
        kind=EventKind.DISMISSED,
        from_states=ACTIVE_STATES,
        to_state=AlertState.DISMISSED,
        note=reason,
        data={"quiet_days": quiet_days} if quiet_days else None,
        closed_at=timezone.now(),
        closed_by=user,
        closing_note=reason,
        suppressed_until=_quiet_until(quiet_days),
    )


@transaction.atomic
def alert_comment(*, alert: Alert, user: User, note: str) -> AlertEvent:
    return AlertEvent.objects.create(alert=alert, actor=user, kind=EventKind.COMMENT, note=note)


def manual_rule() -> RiskRule:
    """The rule that manual alerts hang on; created on first use with medium severity."""
    rule = RiskRule.objects.filter(rule_type="manual").order_by("pk").first()
    if rule is None:
        rule, _created = RiskRule.objects.get_or_create(
            name="Manual alert",
            defaults={"rule_type": "manual", "severity": Severity.MEDIUM},
        )
    return rule


@transaction.atomic
def alert_raise_manual(
    *, account: Account, user: User, title: str, description: str, severity: int
) -> Alert:
    """Any member of the account team (or a risk officer) raises a concern by hand."""
    rule = manual_rule()
    if not rule.enabled:
        raise ValidationError(_("Manual alerts are switched off by the risk officers."))
    now = timezone.now()
    alert = Alert.objects.create(
        account=account,
        rule=rule,
        source=AlertSource.MANUAL,
        severity=severity,
        title=title,
        description=description,
        owner_id=account.owner_id,
        raised_by=user,
        opened_at=now,
        ack_deadline=now + ack_period(severity),
    )
    AlertEvent.objects.create(
        alert=alert, actor=user, at=now, kind=EventKind.RAISED, to_state=AlertState.OPEN
    )
    if account.owner_id != user.pk:
        owner = account.owner
        with translation.override(owner.language or settings.LANGUAGE_CODE):
            notification_send(
                user=owner,
                title=_("New risk alert: %(rule)s — %(account)s")
                % {"rule": title, "account": account.display_name},
                body=description,
                url=alert.get_absolute_url(),
                key=f"risk-alert-{alert.pk}-raised",
                level="danger" if severity >= Severity.HIGH else "warning",
            )
    return alert


# ---------------------------------------------------------------- escalation


@dataclass
class EscalationResult:
    team_lead: int = 0
    executive: int = 0


def _due(level: int, now: datetime) -> Q:
    """Open alerts due for ``level``: past their acknowledgement deadline (team lead), then
    still open the same time again after the team lead was told (executives)."""
    if level == EscalationLevel.TEAM_LEAD:
        return Q(escalation_level=EscalationLevel.NONE, ack_deadline__lt=now)
    condition = Q(pk__in=[])
    for severity in Severity.values:
        told_lead = AlertEscalation.objects.filter(
            alert=OuterRef("pk"),
            level=EscalationLevel.TEAM_LEAD,
            at__lt=now - ack_period(severity),
        )
        condition |= Q(severity=severity) & Q(Exists(told_lead))
    return Q(escalation_level=EscalationLevel.TEAM_LEAD) & condition


def alert_escalations_process(*, now: datetime | None = None, limit: int = 500) -> EscalationResult:
    """Escalate unacknowledged alerts past their deadline: first to the account's team lead,
    later to the executives — each level once per alert, however often this runs."""
    now = now or timezone.now()
    result = EscalationResult()
    executives = list(
        User.objects.filter(is_active=True, groups__name=Role.EXECUTIVE).distinct().order_by("pk")
    )
    for level in (EscalationLevel.TEAM_LEAD, EscalationLevel.EXECUTIVE):
        due = (
            Alert.objects.filter(_due(level, now), state=AlertState.OPEN)
            .select_related("account__team__lead", "rule")
            .order_by("ack_deadline", "pk")[:limit]
        )
        for alert in due:
            lead = alert.account.team.lead if alert.account.team else None
            if level == EscalationLevel.TEAM_LEAD and lead is not None and lead.is_active:
                recipients = [lead]
            else:
                recipients = executives
            if alert_escalate(alert=alert, level=level, recipients=recipients, now=now):
                if level == EscalationLevel.TEAM_LEAD:
                    result.team_lead += 1
                else:
                    result.executive += 1
    return result


@transaction.atomic
def alert_escalate(
    *, alert: Alert, level: int, recipients: list[User], now: datetime | None = None
) -> bool:
    """Escalate one alert one level; False when it is acknowledged or escalated already."""
    now = now or timezone.now()
    claimed = Alert.objects.filter(
        pk=alert.pk, state=AlertState.OPEN, escalation_level=level - 1
    ).update(escalation_level=level)
    if not claimed:
        return False
    try:
        with transaction.atomic():
            escalation = AlertEscalation.objects.create(alert=alert, level=level, at=now)
    except IntegrityError:
        return False
    escalation.recipients.set(recipients)
    AlertEvent.objects.create(
        alert=alert,
        at=now,
        kind=EventKind.ESCALATED,
        data={"level": level, "recipients": [u.pk for u in recipients]},
    )
    for user in recipients:
        with translation.override(user.language or settings.LANGUAGE_CODE):
            title = _("Unacknowledged risk alert: %(title)s — %(account)s") % {
                "title": alert.title,
                "account": alert.account.display_name,
            }
            body = _(
                "This %(severity)s alert was due to be acknowledged by %(deadline)s and is "
                "still open."
            ) % {
                "severity": alert.get_severity_display().lower(),
                "deadline": timezone.localtime(alert.ack_deadline).strftime("%Y-%m-%d %H:%M"),
            }
        notification_send(
            user=user,
            title=title,
            body=body,
            url=alert.get_absolute_url(),
            key=f"risk-alert-{alert.pk}-escalation-{level}",
            level="danger",
            email=True,
        )
    return True
