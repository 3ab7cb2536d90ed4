"""Writes of service requests and SLA breaches (issue 5).

Each transition locks the request row, checks the state machine and the times it is given,
moves the clocks, and writes one event row (who, when, from, to, note):

    new ──respond──▶ responded ──wait──▶ waiting_on_client (clock paused)
     │                  ▲  │ ◀──resume──┘
     └──resolve*──▶ resolved ◀─resolve─┘ ──close──▶ closed
                        └──────reopen (from resolved or closed)──▶ responded

(*) only when the policy does not require a first response; the resolution then counts as
the first response.

Deadlines are business time on mainland China's working calendar: the first response is due
``opened + target``; the resolution is due ``opened + target + business time the clock was
stopped`` (waiting on the client, or resolved before a reopen), recomputed whenever the clock
restarts. A breach is recorded once per request and kind (a unique constraint): by the breach
scan for clocks that run out, and by ``respond``/``resolve`` when they come late.

Deadlines reaching into a year the working calendar does not know yet are provisional; once
an upgraded calendar knows the year, ``sla_provisional_deadlines_refresh`` recomputes them and
withdraws the breaches they undo (README: the year-end calendar procedure).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import Account
from kam.models import Notification, User
from kam.services import NotificationDraft, notification_send_many

from ..business_time import (
    BusinessHours,
    add_business_time,
    business_time_between,
    calendar_covers,
)
from ..models import Channel
from ..models.service import (
    OPEN_STATES,
    RUNNING_STATES,
    BreachKind,
    EventAction,
    RequestState,
    ServiceRequest,
    ServiceRequestEvent,
    SlaBreach,
    SlaPolicy,
)

# A breach-scan chunk: small enough for one short transaction, large enough to be cheap.
BREACH_CHUNK_SIZE = 100


# ---------------------------------------------------------------- policies and clocks


def sla_policy_for(*, tier: str, priority: str) -> SlaPolicy:
    policy = SlaPolicy.objects.filter(tier=tier, priority=priority).first()
    if policy is None:
        raise ValidationError(
            _(
                "There is no SLA policy for this tier and priority; an administrator must "
                "add one in Django admin."
            ),
            code="no_policy",
        )
    if policy.first_response_hours <= 0 or policy.resolution_hours <= 0:
        raise ValidationError(
            _("The SLA policy %(policy)s has a target of zero or less; correct it in admin.")
            % {"policy": policy},
            code="bad_policy",
        )
    return policy


def _deadline(start: dt.datetime, amount: dt.timedelta, hours: BusinessHours) -> dt.datetime:
    return add_business_time(start, amount, hours=hours)


def _business_seconds(start: dt.datetime, end: dt.datetime, hours: BusinessHours) -> int:
    return int(business_time_between(start, end, hours=hours).total_seconds())


def _mark_provisional(request: ServiceRequest) -> None:
    """Flag deadlines that reach into a year the working calendar does not know yet."""
    last = max(request.first_response_due, request.resolution_due)
    request.deadlines_provisional = not calendar_covers(timezone.localdate(last))


def _resolution_due(request: ServiceRequest) -> dt.datetime:
    return _deadline(
        request.opened_at,
        request.resolution_target + dt.timedelta(seconds=request.paused_seconds),
        request.hours,
    )


def _refresh_due_at(request: ServiceRequest) -> None:
    """The deadline of the clock that runs now: lists sort by it."""
    if request.state == RequestState.NEW:
        request.due_at = request.first_response_due
    elif request.state == RequestState.RESPONDED:
        request.due_at = request.resolution_due
    else:
        request.due_at = None


def _stop_clock(request: ServiceRequest, at: dt.datetime) -> None:
    request.clock_stopped_at = at


def _restart_clock(request: ServiceRequest, at: dt.datetime) -> None:
    """Add the stopped business time to the pauses and move the resolution deadline."""
    if request.clock_stopped_at is None:
        return
    request.paused_seconds += _business_seconds(request.clock_stopped_at, at, request.hours)
    request.clock_stopped_at = None
    request.resolution_due = _resolution_due(request)
    _mark_provisional(request)


def _fmt(moment: dt.datetime) -> str:
    return date_format(timezone.localtime(moment), "Y-m-d H:i")


# ---------------------------------------------------------------- opening


@transaction.atomic
def service_request_open(
    *,
    account: Account,
    channel: Channel,
    priority: str,
    subject: str,
    opened_by: User,
    description: str = "",
    assignee: User | None = None,
    opened_at: dt.datetime | None = None,
) -> ServiceRequest:
    """Record a request from ``account`` and compute its deadlines from its tier's policy."""
    now = timezone.now()
    opened_at = opened_at or now
    if opened_at > now:
        raise ValidationError(
            {"opened_at": _("A request cannot be opened in the future.")}, code="future"
        )
    if not channel.is_active:
        raise ValidationError({"channel": _("This channel is no longer in use.")})
    policy = sla_policy_for(tier=account.tier, priority=priority)
    hours = BusinessHours(start=policy.business_day_start, end=policy.business_day_end)
    request = ServiceRequest(
        account=account,
        channel=channel,
        priority=priority,
        subject=subject,
        description=description,
        assignee=assignee or account.owner,
        opened_by=opened_by,
        opened_at=opened_at,
        policy=policy,
        tier=account.tier,
        team_id=account.team_id,
        response_target_minutes=round(policy.first_response_target.total_seconds() / 60),
        resolution_target_minutes=round(policy.resolution_target.total_seconds() / 60),
        business_day_start=policy.business_day_start,
        business_day_end=policy.business_day_end,
        response_required=policy.requires_response,
        escalate_to_lead=policy.escalate_to_lead,
        state=RequestState.NEW,
    )
    request.first_response_due = _deadline(opened_at, request.response_target, hours)
    request.resolution_due = _deadline(opened_at, request.resolution_target, hours)
    _mark_provisional(request)
    _refresh_due_at(request)
    request.full_clean()
    request.save()
    _event(
        request, actor=opened_by, action=EventAction.OPENED, at=opened_at, to_state=request.state
    )
    return request


# ---------------------------------------------------------------- transitions


def _locked(request: ServiceRequest, allowed: Iterable[str], verb: str) -> ServiceRequest:
    locked = (
        ServiceRequest.objects.select_for_update(of=("self",))
        .select_related("account__team", "assignee")
        .get(pk=request.pk)
    )
    if locked.state not in allowed:
        raise ValidationError(
            _("This request is “%(state)s”: it cannot be %(verb)s.")
            % {"state": locked.get_state_display(), "verb": verb},
            code="bad_state",
        )
    return locked


def _check_time(
    request: ServiceRequest, at: dt.datetime | None, *, field: str, what: str
) -> dt.datetime:
    """A time given for a transition (logged after the fact): not in the future, not before
    the opening, not before the request's last change of state."""
    now = timezone.now()
    if at is None:
        return now
    if at > now:
        raise ValidationError({field: _("The %(what)s cannot be in the future.") % {"what": what}})
    if at < request.opened_at:
        raise ValidationError(
            {
                field: _("The %(what)s cannot be before the request was opened (%(opened)s).")
                % {"what": what, "opened": _fmt(request.opened_at)}
            },
            code="before_opening",
        )
    # The last state change: breaches, scores and reassignments happen beside the states.
    last = request.events.exclude(to_state="").aggregate(last=Max("at"))["last"]
    if last is not None and at < last:
        raise ValidationError(
            {
                field: _("The %(what)s cannot be before the request's last change (%(last)s).")
                % {"what": what, "last": _fmt(last)}
            },
            code="before_last_change",
        )
    return at


def _event(
    request: ServiceRequest,
    *,
    actor: User | None,
    action: str,
    at: dt.datetime,
    from_state: str = "",
    to_state: str = "",
    note: str = "",
) -> ServiceRequestEvent:
    return ServiceRequestEvent.objects.create(
        request=request,
        actor=actor,
        action=action,
        at=at,
        from_state=from_state,
        to_state=to_state,
        note=note,
    )


def _move(
    request: ServiceRequest,
    *,
    user: User,
    action: str,
    to_state: str,
    at: dt.datetime,
    note: str,
) -> ServiceRequest:
    from_state = request.state
    request.state = to_state
    _refresh_due_at(request)
    request.save()
    _event(
        request,
        actor=user,
        action=action,
        at=at,
        from_state=from_state,
        to_state=to_state,
        note=note,
    )
    return request


@transaction.atomic
def service_request_respond(
    *,
    request: ServiceRequest,
    user: User,
    responded_at: dt.datetime | None = None,
    note: str = "",
) -> ServiceRequest:
    """Record the first response (possibly given earlier, e.g. by phone, and logged now)."""
    request = _locked(request, [RequestState.NEW], _("responded to"))
    at = _check_time(request, responded_at, field="responded_at", what=_("response time"))
    request.responded_at = at
    request.response_seconds = _business_seconds(request.opened_at, at, request.hours)
    _move(
        request,
        user=user,
        action=EventAction.RESPONDED,
        to_state=RequestState.RESPONDED,
        at=at,
        note=note,
    )
    if at > request.first_response_due and request.response_breached_at is None:
        _record_breaches([request], BreachKind.RESPONSE, timezone.now())
    return request


@transaction.atomic
def service_request_wait_on_client(
    *, request: ServiceRequest, user: User, note: str, at: dt.datetime | None = None
) -> ServiceRequest:
    """We wait for the client (documents, a decision): the resolution clock stops."""
    request = _locked(request, [RequestState.RESPONDED], _("put on hold"))
    if not note.strip():
        raise ValidationError({"note": _("Say what we are waiting for from the client.")})
    now = _check_time(request, at, field="at", what=_("time"))
    _stop_clock(request, now)
    return _move(
        request,
        user=user,
        action=EventAction.PAUSED,
        to_state=RequestState.WAITING,
        at=now,
        note=note,
    )


@transaction.atomic
def service_request_resume(
    *, request: ServiceRequest, user: User, note: str = "", at: dt.datetime | None = None
) -> ServiceRequest:
    """The client came back: the resolution clock runs again, its deadline moved by the
    business time spent waiting."""
    request = _locked(request, [RequestState.WAITING], _("resumed"))
    now = _check_time(request, at, field="at", what=_("time"))
    _restart_clock(request, now)
    return _move(
        request,
        user=user,
        action=EventAction.RESUMED,
        to_state=RequestState.RESPONDED,
        at=now,
        note=note,
    )


@transaction.atomic
def service_request_resolve(
    *,
    request: ServiceRequest,
    user: User,
    note: str,
    resolved_at: dt.datetime | None = None,
) -> ServiceRequest:
    request = _locked(request, RUNNING_STATES + (RequestState.WAITING,), _("resolved"))
    if not note.strip():
        raise ValidationError({"note": _("Describe how the request was resolved.")})
    if request.responded_at is None and request.response_required:
        raise ValidationError(
            _(
                "This request was never responded to, and its SLA policy requires a first "
                "response: record the response before resolving it."
            ),
            code="no_response",
        )
    at = _check_time(request, resolved_at, field="resolved_at", what=_("resolution time"))
    responds_now = request.responded_at is None
    if responds_now:
        # The policy lets the resolution count as the first response.
        request.responded_at = at
        request.response_seconds = _business_seconds(request.opened_at, at, request.hours)
    if request.state == RequestState.WAITING:
        # Resolved while waiting: the pause ends at the resolution.
        _restart_clock(request, at)
    request.resolved_at = at
    request.resolution_seconds = max(
        0, _business_seconds(request.opened_at, at, request.hours) - request.paused_seconds
    )
    _stop_clock(request, at)
    _move(
        request,
        user=user,
        action=EventAction.RESOLVED,
        to_state=RequestState.RESOLVED,
        at=at,
        note=note,
    )
    now = timezone.now()
    if responds_now and at > request.first_response_due and request.response_breached_at is None:
        _record_breaches([request], BreachKind.RESPONSE, now)
    if at > request.resolution_due and request.resolution_breached_at is None:
        _record_breaches([request], BreachKind.RESOLUTION, now)
    return request


@transaction.atomic
def service_request_close(
    *, request: ServiceRequest, user: User, note: str = "", at: dt.datetime | None = None
) -> ServiceRequest:
    request = _locked(request, [RequestState.RESOLVED], _("closed"))
    now = _check_time(request, at, field="at", what=_("time"))
    request.closed_at = now
    return _move(
        request,
        user=user,
        action=EventAction.CLOSED,
        to_state=RequestState.CLOSED,
        at=now,
        note=note,
    )


@transaction.atomic
def service_request_reopen(
    *, request: ServiceRequest, user: User, note: str, at: dt.datetime | None = None
) -> ServiceRequest:
    """The client came back on a resolved request: the resolution clock runs again from
    where it stopped (the time it was resolved does not count)."""
    request = _locked(request, [RequestState.RESOLVED, RequestState.CLOSED], _("reopened"))
    if not note.strip():
        raise ValidationError({"note": _("Say why the request is reopened.")})
    now = _check_time(request, at, field="at", what=_("time"))
    _restart_clock(request, now)
    if request.satisfaction is not None:
        note = f"{note}\n" + _("Earlier satisfaction score: %(score)s/5") % {
            "score": request.satisfaction
        }
    request.resolved_at = None
    request.closed_at = None
    request.resolution_seconds = None
    request.satisfaction = None
    request.satisfaction_comment = ""
    request.satisfaction_recorded_at = None
    return _move(
        request,
        user=user,
        action=EventAction.REOPENED,
        to_state=RequestState.RESPONDED,
        at=now,
        note=note,
    )


@transaction.atomic
def service_request_rate(
    *,
    request: ServiceRequest,
    user: User,
    score: int,
    comment: str = "",
    at: dt.datetime | None = None,
) -> ServiceRequest:
    """The client's satisfaction (1–5) with a resolved request."""
    request = _locked(request, [RequestState.RESOLVED, RequestState.CLOSED], _("rated"))
    if not 1 <= int(score) <= 5:
        raise ValidationError({"score": _("A satisfaction score is from 1 to 5.")})
    now = _check_time(request, at, field="at", what=_("time"))
    request.satisfaction = int(score)
    request.satisfaction_comment = comment
    request.satisfaction_recorded_at = now
    request.save(
        update_fields=[
            "satisfaction",
            "satisfaction_comment",
            "satisfaction_recorded_at",
            "updated_at",
        ]
    )
    _event(
        request,
        actor=user,
        action=EventAction.RATED,
        at=now,
        note=f"{score}/5" + (f" — {comment}" if comment else ""),
    )
    return request


def assignee_choices(*, account: Account) -> QuerySet[User]:
    """Who can be assigned a request of ``account``: its owner, its account team and the
    lead of its team."""
    condition = Q(pk=account.owner_id) | Q(account_memberships__account=account)
    if account.team_id and account.team and account.team.lead_id:
        condition |= Q(pk=account.team.lead_id)
    return User.objects.filter(condition, is_active=True).distinct().order_by("username")


@transaction.atomic
def service_request_assign(
    *, request: ServiceRequest, user: User, assignee: User, note: str = ""
) -> ServiceRequest:
    request = _locked(request, OPEN_STATES, _("reassigned"))
    if not assignee_choices(account=request.account).filter(pk=assignee.pk).exists():
        raise ValidationError(
            {"assignee": _("The assignee must be on the account team.")}, code="not_on_team"
        )
    previous = request.assignee
    request.assignee = assignee
    request.save(update_fields=["assignee", "updated_at"])
    _event(
        request,
        actor=user,
        action=EventAction.REASSIGNED,
        at=timezone.now(),
        note=(f"{previous} → {assignee}" + (f"\n{note}" if note else "")),
    )
    return request


# ---------------------------------------------------------------- calendar upgrades


@dataclass(slots=True)
class DeadlinesRecomputed:
    """What ``sla_provisional_deadlines_refresh`` did."""

    examined: int = 0  # requests with provisional deadlines
    changed: int = 0  # of those, requests whose deadlines, measured times or flag changed
    provisional: int = 0  # still provisional: their year is still unknown
    withdrawn: int = 0  # breaches the recomputation undid
    recorded: int = 0  # breaches it revealed (a deadline moved earlier)


@dataclass(frozen=True, slots=True)
class _Replay:
    paused_seconds: int
    clock_stopped_at: dt.datetime | None
    resolution_seconds: int | None
    resolution_missed: bool


def _replay_resolution_clock(
    request: ServiceRequest, transitions: Sequence[tuple[dt.datetime, str, str]], now: dt.datetime
) -> _Replay | None:
    """The resolution clock replayed from the request's state changes on today's calendar,
    as the transition services moved it: the business time it was stopped, when it stopped
    last, the measured resolution time, and whether it ever ran out while running (a breach).
    None when the history does not lead to the request's state (then nothing is replayed)."""
    hours = request.hours
    paused = 0
    stopped_at: dt.datetime | None = None
    resolution_seconds: int | None = None
    missed = False
    state = ""

    def due() -> dt.datetime:
        return _deadline(
            request.opened_at, request.resolution_target + dt.timedelta(seconds=paused), hours
        )

    for at, from_state, to_state in transitions:
        if from_state != state:
            return None
        stops = to_state in (RequestState.WAITING, RequestState.RESOLVED)
        if state in RUNNING_STATES and stops:  # wait, resolve
            missed = missed or at > due()
            stopped_at = at
        elif state == RequestState.WAITING and to_state == RequestState.RESOLVED:
            # Resolved while waiting: the pause ends, and the clock stops again.
            if stopped_at is None:
                return None
            paused += _business_seconds(stopped_at, at, hours)
            missed = missed or at > due()
            stopped_at = at
        elif state and state not in RUNNING_STATES and to_state in RUNNING_STATES:  # resume, reopen
            if stopped_at is None:
                return None
            paused += _business_seconds(stopped_at, at, hours)
            stopped_at = None
            resolution_seconds = None
        if to_state == RequestState.RESOLVED:
            resolution_seconds = max(0, _business_seconds(request.opened_at, at, hours) - paused)
        state = to_state
    if state != request.state:
        return None
    if state in RUNNING_STATES:
        missed = missed or due() < now
    return _Replay(paused, stopped_at, resolution_seconds, missed)


_RECOMPUTED_FIELDS = (
    "first_response_due",
    "resolution_due",
    "due_at",
    "deadlines_provisional",
    "paused_seconds",
    "clock_stopped_at",
    "response_seconds",
    "resolution_seconds",
    "response_breached_at",
    "resolution_breached_at",
)


def sla_provisional_deadlines_refresh(*, now: dt.datetime | None = None) -> DeadlinesRecomputed:
    """Recompute the requests whose deadlines are provisional (a year the working calendar
    did not know) on the calendar as it is now: daily, and by ``manage.py
    sla_recompute_deadlines`` after chinesecalendar is upgraded.

    The deadlines, the business time the clock was stopped (replayed from the history) and
    the measured times are recomputed; a request whose year is now known loses its flag. A
    breach the new deadlines undo is withdrawn: its row is deleted, the request's history
    says so and its notifications are corrected (see ``_withdraw_breach``); a breach they
    reveal — a deadline moved earlier, before the clock stopped — is recorded as the scan
    would. Idempotent: a request is saved only when something changed, so a second run with
    the same calendar changes nothing."""
    now = now or timezone.now()
    result = DeadlinesRecomputed()
    flagged = list(
        ServiceRequest.objects.filter(deadlines_provisional=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for pk in flagged:
        with transaction.atomic():
            request = (
                ServiceRequest.objects.select_for_update(of=("self",))
                .select_related("account__team__lead", "assignee")
                .filter(pk=pk, deadlines_provisional=True)
                .first()
            )
            if request is None:
                continue  # recomputed meanwhile
            result.examined += 1
            _recompute(request, now=now, result=result)
            result.provisional += int(request.deadlines_provisional)
    return result


def _recompute(request: ServiceRequest, *, now: dt.datetime, result: DeadlinesRecomputed) -> None:
    before = {name: getattr(request, name) for name in _RECOMPUTED_FIELDS}
    transitions = list(
        request.events.exclude(to_state="")
        .order_by("at", "pk")
        .values_list("at", "from_state", "to_state")
    )
    replay = _replay_resolution_clock(request, transitions, now)
    if replay is not None:
        request.paused_seconds = replay.paused_seconds
        request.clock_stopped_at = replay.clock_stopped_at
        request.resolution_seconds = replay.resolution_seconds
    request.first_response_due = _deadline(
        request.opened_at, request.response_target, request.hours
    )
    request.resolution_due = _resolution_due(request)
    if request.responded_at is not None:
        request.response_seconds = _business_seconds(
            request.opened_at, request.responded_at, request.hours
        )
    _mark_provisional(request)
    _refresh_due_at(request)

    # Whether each clock ran out on the new deadlines; None: not known (no usable history).
    missed: dict[str, bool | None] = {
        BreachKind.RESPONSE: (request.responded_at or now) > request.first_response_due,
        BreachKind.RESOLUTION: None if replay is None else replay.resolution_missed,
    }
    withdraw = [
        kind
        for kind in BreachKind
        if getattr(request, _BREACH_FLAG[kind]) is not None and missed[kind] is False
    ]
    record = [
        kind
        for kind in BreachKind
        if getattr(request, _BREACH_FLAG[kind]) is None and missed[kind] is True
    ]
    if request.first_response_due != before["first_response_due"] or (
        request.resolution_due != before["resolution_due"]
    ):
        _event(
            request,
            actor=None,
            action=EventAction.RECOMPUTED,
            at=now,
            note=_recomputed_note(before, request),
        )
    for kind in withdraw:
        _withdraw_breach(request, kind, was_due=before[_DUE_FIELD[kind]], now=now)
        result.withdrawn += 1
    # A breach that stands keeps the deadline it was measured against up to date.
    for kind in BreachKind:
        if kind not in withdraw and getattr(request, _BREACH_FLAG[kind]) is not None:
            SlaBreach.objects.filter(request=request, kind=kind).exclude(
                due_at=getattr(request, _DUE_FIELD[kind])
            ).update(due_at=getattr(request, _DUE_FIELD[kind]))
    changed = [name for name in _RECOMPUTED_FIELDS if getattr(request, name) != before[name]]
    if changed:
        request.save(update_fields=[*changed, "updated_at"])
        result.changed += 1
    for kind in record:
        _record_breaches([request], kind, now)
        result.recorded += 1


_BREACH_FLAG: dict[str, str] = {
    BreachKind.RESPONSE: "response_breached_at",
    BreachKind.RESOLUTION: "resolution_breached_at",
}
_DUE_FIELD: dict[str, str] = {
    BreachKind.RESPONSE: "first_response_due",
    BreachKind.RESOLUTION: "resolution_due",
}


def _recomputed_note(before: dict[str, Any], request: ServiceRequest) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        lines = [_("Deadlines recomputed on the working calendar as now published.")]
        for kind, field in _DUE_FIELD.items():
            if getattr(request, field) != before[field]:
                lines.append(
                    _("%(kind)s due %(due)s (was %(was)s).")
                    % {
                        "kind": BreachKind(kind).label,
                        "due": _fmt(getattr(request, field)),
                        "was": _fmt(before[field]),
                    }
                )
    return "\n".join(lines)


def _withdraw_breach(
    request: ServiceRequest, kind: str, *, was_due: dt.datetime, now: dt.datetime
) -> None:
    """Undo a breach that recomputed deadlines show was none: delete its row (the reports and
    the risk rules count rows), clear the request's flag so the scan watches the new deadline,
    say so in the history, and correct the notifications — the breach notification no longer
    reads as one (and gives up its key, so a real breach later notifies again), and a
    withdrawal notice goes to the same people, by e-mail too."""
    flag = _BREACH_FLAG[kind]
    detected = getattr(request, flag)
    due = getattr(request, _DUE_FIELD[kind])
    SlaBreach.objects.filter(request=request, kind=kind).delete()
    setattr(request, flag, None)
    with translation.override(settings.LANGUAGE_CODE):
        note = _(
            "%(kind)s breach withdrawn: recomputed on the published working calendar, it is "
            "due %(due)s, not %(was)s."
        ) % {"kind": BreachKind(kind).label, "due": _fmt(due), "was": _fmt(was_due)}
    _event(request, actor=None, action=EventAction.BREACH_WITHDRAWN, at=now, note=note)

    key = f"sla-breach:{request.pk}:{kind}"
    stamp = f"{timezone.localtime(detected):%Y%m%d%H%M%S}"
    notices = list(Notification.objects.filter(key=key).select_related("user"))
    drafts = []
    for notice in notices:
        with translation.override(notice.user.language or settings.LANGUAGE_CODE):
            label = BreachKind(kind).label
            title = _("SLA breach withdrawn (%(kind)s): %(subject)s") % {
                "kind": label,
                "subject": request.subject,
            }
            body = _(
                "%(account)s — the %(kind)s deadline was recomputed on the published working "
                "calendar: it is due %(due)s, not %(was)s. The breach notified earlier is "
                "withdrawn."
            ) % {
                "account": request.account.display_name,
                "kind": label,
                "due": _fmt(due),
                "was": _fmt(was_due),
            }
            notice.title = (_("[Withdrawn] %(title)s") % {"title": notice.title})[:200]
        notice.body = f"{notice.body}\n{body}"
        notice.key = f"{key}:withdrawn:{stamp}"
        notice.level = "info"
        notice.read_at = notice.read_at or now
        drafts.append(
            NotificationDraft(
                user=notice.user,
                title=title,
                body=body,
                url=request.get_absolute_url(),
                key=f"sla-breach-withdrawn:{request.pk}:{kind}:{stamp}",
                level="info",
            )
        )
    Notification.objects.bulk_update(notices, ["title", "body", "key", "level", "read_at"])
    notification_send_many(drafts=drafts, email=True)


# ---------------------------------------------------------------- breaches


def _watching(kind: str, now: dt.datetime) -> QuerySet[ServiceRequest]:
    """Requests whose ``kind`` clock has run out and is not recorded yet — the condition of
    the partial indexes ``sr_response_watch_idx`` and ``sr_resolution_watch_idx``."""
    if kind == BreachKind.RESPONSE:
        return ServiceRequest.objects.filter(
            responded_at__isnull=True,
            response_breached_at__isnull=True,
            first_response_due__lt=now,
        )
    return ServiceRequest.objects.filter(
        state__in=["new", "responded"],
        resolution_breached_at__isnull=True,
        resolution_due__lt=now,
    )


def sla_breach_candidates(
    *, now: dt.datetime | None = None, chunk_size: int = BREACH_CHUNK_SIZE
) -> list[tuple[str, list[int]]]:
    """The breach scan's polling query: ids of requests past due and not yet recorded,
    in chunks per kind (one indexed query per kind)."""
    now = now or timezone.now()
    chunks: list[tuple[str, list[int]]] = []
    for kind in (BreachKind.RESPONSE, BreachKind.RESOLUTION):
        ids = list(_watching(kind, now).order_by("pk").values_list("pk", flat=True))
        chunks.extend((str(kind), ids[i : i + chunk_size]) for i in range(0, len(ids), chunk_size))
    return chunks


@transaction.atomic
def sla_breaches_record(*, kind: str, request_ids: Sequence[int]) -> int:
    """Record the breaches of one chunk; returns how many are new.

    Safe to run twice, concurrently, or again after a crash: the rows are re-checked and
    locked (a concurrent chunk skips them), the flag on the request takes them out of the
    polling query, the breach row is unique per (request, kind), and each notification has
    a key."""
    if kind not in BreachKind.values:
        raise ValueError(f"unknown breach kind {kind!r}")
    now = timezone.now()
    requests = list(
        _watching(kind, now)
        .filter(pk__in=list(request_ids))
        .select_for_update(of=("self",), skip_locked=True)
        .select_related("account__team__lead", "assignee")
    )
    _record_breaches(requests, kind, now)
    return len(requests)


def sla_breach_scan_now(*, chunk_size: int = BREACH_CHUNK_SIZE) -> int:
    """The whole scan in this process (tests, management shell): every chunk in turn."""
    return sum(
        sla_breaches_record(kind=kind, request_ids=ids)
        for kind, ids in sla_breach_candidates(chunk_size=chunk_size)
    )


def _lead_to_escalate(request: ServiceRequest) -> User | None:
    team = request.account.team
    if not request.escalate_to_lead or team is None or team.lead is None:
        return None
    if team.lead_id == request.assignee_id or not team.lead.is_active:
        return None
    return team.lead


def _record_breaches(requests: list[ServiceRequest], kind: str, now: dt.datetime) -> None:
    """Breach rows, flags, events and notifications for requests not yet flagged."""
    if not requests:
        return
    flag = "response_breached_at" if kind == BreachKind.RESPONSE else "resolution_breached_at"
    due_field = "first_response_due" if kind == BreachKind.RESPONSE else "resolution_due"
    leads = {request.pk: _lead_to_escalate(request) for request in requests}
    SlaBreach.objects.bulk_create(
        [
            SlaBreach(
                request=request,
                kind=kind,
                due_at=getattr(request, due_field),
                detected_at=now,
                escalated_to=leads[request.pk],
            )
            for request in requests
        ],
        ignore_conflicts=True,
    )
    ServiceRequest.objects.filter(
        pk__in=[request.pk for request in requests], **{f"{flag}__isnull": True}
    ).update(**{flag: now})
    ServiceRequestEvent.objects.bulk_create(
        [
            ServiceRequestEvent(
                request=request,
                at=now,
                action=EventAction.BREACHED,
                note=_breach_note(request, kind, getattr(request, due_field), leads[request.pk]),
            )
            for request in requests
        ]
    )
    drafts = []
    for request in requests:
        setattr(request, flag, now)
        due = getattr(request, due_field)
        lead = leads[request.pk]
        for user in (request.assignee, lead):
            if user is not None:
                drafts.append(_breach_notification(request, kind, due, user))
    # One statement for the chunk's notifications; each is keyed, so a re-run adds none, and
    # their e-mails are claimed and sent together after the commit.
    notification_send_many(drafts=drafts, email=True)


def _breach_note(request: ServiceRequest, kind: str, due: dt.datetime, lead: User | None) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        note = _("%(kind)s was due %(due)s.") % {
            "kind": BreachKind(kind).label,
            "due": _fmt(due),
        }
        if lead is not None:
            note += " " + _("Escalated to %(lead)s.") % {"lead": lead}
    return note


def _breach_notification(
    request: ServiceRequest, kind: str, due: dt.datetime, user: User
) -> NotificationDraft:
    with translation.override(user.language or settings.LANGUAGE_CODE):
        title = _("SLA breached (%(kind)s): %(subject)s") % {
            "kind": BreachKind(kind).label,
            "subject": request.subject,
        }
        body = _("%(account)s — %(kind)s was due %(due)s (%(tier)s, %(priority)s).") % {
            "account": request.account.display_name,
            "kind": BreachKind(kind).label,
            "due": _fmt(due),
            "tier": request.get_tier_display(),
            "priority": request.get_priority_display(),
        }
    return NotificationDraft(
        user=user,
        title=title,
        body=body,
        url=request.get_absolute_url(),
        key=f"sla-breach:{request.pk}:{kind}",
        level="danger",
    )
