"""Writes of the privacy app: anonymising a contact (by the retention job or at a person's
request) and the handling of data-subject requests. Every step of a request is in its history
(``RequestEvent``) and in the change log; an anonymisation writes its own change-log entry,
with the erased values masked, so the trail never keeps what was erased."""

from __future__ import annotations

import datetime as dt
from typing import Any

from auditlog.context import disable_auditlog
from auditlog.models import LogEntry
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.choices import Attitude
from accounts.models import Contact
from accounts.services import contact_save
from kam.models import User
from kam.quarters import today
from kam.services import NotificationDraft, notification_send_many

from .models import (
    OPEN_STATUSES,
    DataSubjectRequest,
    RequestEvent,
    RequestKind,
    RequestStatus,
)
from .selectors import expired_contact_ids, request_handlers

# What an anonymisation erases; the rest of the row (account, seniority, influence, legal
# basis and its dates) stays, so counts and stakeholder maps keep their numbers, and the
# interactions keep their link to "Anonymised contact #12".
ERASED_FIELDS = ("name", "title", "phone", "email", "channel_preferences", "attitude", "is_primary")
ANONYMISED_NAME = "Anonymised contact #{pk}"


def _masked(value: Any) -> str:
    return "********" if value not in (None, "", [], False) else str(value)


@transaction.atomic
def contact_anonymise(*, contact: Contact, user: User | None, reason: str) -> bool:
    """Erase the person from ``contact`` for good: the name becomes "Anonymised contact #id";
    title, phone, e-mail (and their blind indexes), channel preferences and attitude are
    cleared. Returns False when it was anonymised already (a retried job, a second click).

    The change-log entry says which fields were erased, never their values."""
    locked = (
        Contact.objects.select_for_update()
        .filter(pk=contact.pk, anonymised_at__isnull=True)
        .first()
    )
    if locked is None:
        return False
    before = {name: getattr(locked, name) for name in ERASED_FIELDS}
    locked.name = ANONYMISED_NAME.format(pk=locked.pk)
    locked.title = ""
    locked.phone = ""
    locked.email = ""
    locked.channel_preferences = []
    locked.attitude = Attitude.NEUTRAL
    locked.is_primary = False
    locked.anonymised_at = timezone.now()
    with disable_auditlog():
        locked.save()  # the blind indexes follow their (now empty) sources
    changes = {
        name: [_masked(before[name]), str(getattr(locked, name))]
        for name in ERASED_FIELDS
        if before[name] != getattr(locked, name)
    }
    changes["anonymised_at"] = ["None", str(locked.anonymised_at)]
    entry: dict[str, Any] = {
        "action": LogEntry.Action.UPDATE,
        "changes": changes,
        "additional_data": {"account_id": locked.account_id, "anonymised": reason},
    }
    if user is not None:
        entry["actor"] = user
    LogEntry.objects.log_create(locked, **entry)
    for name in (*ERASED_FIELDS, "anonymised_at", "phone_index", "email_index", "updated_at"):
        setattr(contact, name, getattr(locked, name))
    return True


def retention_anonymise(*, contact_ids: list[int], on: dt.date) -> int:
    """Anonymise those of ``contact_ids`` whose retention has run out by ``on``, checked again
    now (a contact edited or met since the dispatch keeps its data). Each contact is its own
    transaction, so a retry after a crash redoes only what is left. Returns how many."""
    done = 0
    for pk in expired_contact_ids(on=on, among=contact_ids):
        contact = Contact(pk=pk)
        done += contact_anonymise(contact=contact, user=None, reason="retention")
    return done


# ---------------------------------------------------------------- data-subject requests


def due_on(received_on: dt.date) -> dt.date:
    """The answer is due ``PRIVACY_REQUEST_DUE_DAYS`` calendar days after receipt."""
    return received_on + dt.timedelta(days=settings.PRIVACY_REQUEST_DUE_DAYS)


def _event(
    request: DataSubjectRequest,
    *,
    user: User | None,
    action: str,
    from_status: str = "",
    note: str = "",
) -> RequestEvent:
    return RequestEvent.objects.create(
        request=request,
        by=user,
        action=action,
        from_status=from_status,
        to_status=request.status,
        note=note,
    )


def _notify_handlers(
    request: DataSubjectRequest, *, title: str, key: str, level: str, skip: User | None
) -> int:
    drafts = [
        NotificationDraft(
            user=handler,
            title=title,
            key=key,
            body=_("%(kind)s, received on %(received)s, to be answered by %(due)s.")
            % {
                "kind": request.get_kind_display(),
                "received": request.received_on.isoformat(),
                "due": request.due_on.isoformat(),
            },
            url=request.get_absolute_url(),
            level=level,
        )
        for handler in request_handlers()
        if skip is None or handler.pk != skip.pk
    ]
    return notification_send_many(drafts=drafts, email=True)


@transaction.atomic
def request_create(
    *,
    user: User,
    kind: str,
    received_on: dt.date,
    contact: Contact | None = None,
    person_name: str = "",
    reply_to: str = "",
    details: str = "",
) -> DataSubjectRequest:
    """Record what a person asked; compliance and administrators are told (but not the one
    who recorded it)."""
    if received_on > today():
        raise ValidationError({"received_on": _("A request cannot be received in the future.")})
    if contact is None and not person_name.strip():
        raise ValidationError(
            {"person_name": _("Name the person, or record the request from their contact.")}
        )
    request = DataSubjectRequest(
        kind=kind,
        contact=contact,
        account_id=contact.account_id if contact is not None else None,
        person_name=person_name.strip(),
        reply_to=reply_to.strip(),
        details=details.strip(),
        received_on=received_on,
        due_on=due_on(received_on),
        recorded_by=user,
    )
    request.full_clean()
    request.save()
    _event(request, user=user, action=RequestEvent.Action.RECORDED, note=request.details)
    _notify_handlers(
        request,
        title=_("New privacy request #%(pk)d") % {"pk": request.pk},
        key=f"privacy-request-new-{request.pk}",
        level="info",
        skip=user,
    )
    return request


def _locked(request: DataSubjectRequest) -> DataSubjectRequest:
    """The request's row, locked, and still open: two handlers never close it twice."""
    locked = DataSubjectRequest.objects.select_for_update().get(pk=request.pk)
    if locked.status not in OPEN_STATUSES:
        raise ValidationError(_("This request is closed already."))
    return locked


def _refresh(request: DataSubjectRequest, locked: DataSubjectRequest) -> DataSubjectRequest:
    for name in ("status", "handled_by_id", "outcome", "closed_at", "updated_at"):
        setattr(request, name, getattr(locked, name))
    return request


@transaction.atomic
def request_start(*, request: DataSubjectRequest, user: User) -> DataSubjectRequest:
    """Take an open request on: in progress, handled by ``user``."""
    locked = _locked(request)
    if locked.status != RequestStatus.OPEN:
        raise ValidationError(_("This request is being handled already."))
    locked.status = RequestStatus.IN_PROGRESS
    locked.handled_by = user
    locked.save(update_fields=["status", "handled_by", "updated_at"])
    _event(locked, user=user, action=RequestEvent.Action.STARTED, from_status=RequestStatus.OPEN)
    return _refresh(request, locked)


def _close(
    locked: DataSubjectRequest, *, user: User, status: str, action: str, note: str
) -> DataSubjectRequest:
    before = locked.status
    locked.status = status
    locked.outcome = note
    locked.handled_by = locked.handled_by or user
    locked.closed_at = timezone.now()
    locked.full_clean()
    locked.save(update_fields=["status", "outcome", "handled_by", "closed_at", "updated_at"])
    _event(locked, user=user, action=action, from_status=before, note=note)
    return locked


@transaction.atomic
def request_complete(*, request: DataSubjectRequest, user: User, note: str) -> DataSubjectRequest:
    """Close a request as answered, saying how."""
    if not note.strip():
        raise ValidationError({"note": _("Say how the request was answered.")})
    locked = _close(
        _locked(request),
        user=user,
        status=RequestStatus.DONE,
        action=RequestEvent.Action.COMPLETED,
        note=note.strip(),
    )
    return _refresh(request, locked)


@transaction.atomic
def request_refuse(*, request: DataSubjectRequest, user: User, reason: str) -> DataSubjectRequest:
    """Refuse a request with the reason the person is told (PIPL art. 50: a refusal explains
    itself), e.g. a legal duty to keep the information."""
    if len(reason.strip()) < 10:
        raise ValidationError({"reason": _("Explain the refusal in at least 10 characters.")})
    locked = _close(
        _locked(request),
        user=user,
        status=RequestStatus.REFUSED,
        action=RequestEvent.Action.REFUSED,
        note=reason.strip(),
    )
    return _refresh(request, locked)


def _needs_contact(request: DataSubjectRequest, kind: str) -> Contact:
    if request.kind != kind:
        raise ValidationError(_("This is not what the person asked for."))
    if request.contact is None:
        raise ValidationError(_("The request is about no contact of ours."))
    return request.contact


@transaction.atomic
def request_record_export(*, request: DataSubjectRequest, user: User, fmt: str) -> None:
    """Note in an access request's history that its copy was exported (the export itself is
    in the access log)."""
    locked = DataSubjectRequest.objects.select_for_update().get(pk=request.pk)
    _needs_contact(locked, RequestKind.ACCESS)
    _event(
        locked,
        user=user,
        action=RequestEvent.Action.EXPORTED,
        from_status=locked.status,
        note=fmt.upper(),
    )


@transaction.atomic
def request_correct(
    *, request: DataSubjectRequest, user: User, contact: Contact, changed: list[str]
) -> Contact:
    """Save the contact as the person asked it corrected (a form has validated it); the
    history names the fields changed, never their values."""
    locked = _locked(request)
    if _needs_contact(locked, RequestKind.CORRECTION).pk != contact.pk:
        raise ValidationError(_("This is not the contact of the request."))
    contact_save(contact=contact)
    _event(
        locked,
        user=user,
        action=RequestEvent.Action.CORRECTED,
        from_status=locked.status,
        note=", ".join(changed),
    )
    return contact


@transaction.atomic
def request_anonymise(*, request: DataSubjectRequest, user: User, note: str = "") -> bool:
    """Delete the person as asked: anonymise their contact now, and close the request."""
    locked = _locked(request)
    contact = _needs_contact(locked, RequestKind.DELETION)
    done = contact_anonymise(contact=contact, user=user, reason=f"request #{locked.pk}")
    _event(locked, user=user, action=RequestEvent.Action.ANONYMISED, from_status=locked.status)
    _close(
        locked,
        user=user,
        status=RequestStatus.DONE,
        action=RequestEvent.Action.COMPLETED,
        note=note.strip() or _("The person's information was anonymised."),
    )
    _refresh(request, locked)
    return done


WITHDRAW_PROCESSING = "processing"
WITHDRAW_TRANSFER = "transfer"


@transaction.atomic
def request_withdraw_consent(
    *, request: DataSubjectRequest, user: User, which: tuple[str, ...]
) -> Contact:
    """Record the withdrawal of the person's consent — to the processing, to the transfer
    abroad, or both — on the day the request was received, and close the request. Where
    consent is the legal basis, processing stops: reveals are refused and the retention job
    anonymises the contact once its period after the withdrawal has run."""
    locked = _locked(request)
    contact = _needs_contact(locked, RequestKind.WITHDRAW_CONSENT)
    if not which:
        raise ValidationError({"which": _("Choose the consent the person withdraws.")})
    notes = []
    if WITHDRAW_PROCESSING in which:
        if contact.consent_given_on is None:
            raise ValidationError(
                {
                    "which": _(
                        "No consent to the processing is recorded: the information is "
                        "processed on another legal basis (%(basis)s). Answer the request, "
                        "or refuse it."
                    )
                    % {"basis": contact.get_legal_basis_display()}
                }
            )
        contact.consent_withdrawn_on = max(locked.received_on, contact.consent_given_on)
        notes.append(_("consent to the processing"))
    if WITHDRAW_TRANSFER in which:
        if contact.cross_border_consent_on is None:
            raise ValidationError(
                {"which": _("No consent to a transfer abroad is recorded for this person.")}
            )
        contact.cross_border_withdrawn_on = max(locked.received_on, contact.cross_border_consent_on)
        notes.append(_("consent to the transfer abroad"))
    contact_save(contact=contact)
    note = ", ".join(str(n) for n in notes)
    _event(
        locked,
        user=user,
        action=RequestEvent.Action.CONSENT_WITHDRAWN,
        from_status=locked.status,
        note=note,
    )
    _close(
        locked,
        user=user,
        status=RequestStatus.DONE,
        action=RequestEvent.Action.COMPLETED,
        note=_("Withdrawal recorded: %(what)s.") % {"what": note},
    )
    _refresh(request, locked)
    return contact


def requests_overdue_notify(*, request_ids: list[int], on: dt.date) -> int:
    """Tell compliance and administrators of each request still open past its due date:
    once per request (claimed by a conditional update; the notification keys make a retried
    send harmless). Returns how many requests were claimed now."""
    claimed = 0
    for pk in request_ids:
        with transaction.atomic():
            now = timezone.now()
            won = DataSubjectRequest.objects.filter(
                pk=pk,
                status__in=OPEN_STATUSES,
                due_on__lt=on,
                overdue_notified_at__isnull=True,
            ).update(overdue_notified_at=now)
            if won != 1:
                continue
            request = DataSubjectRequest.objects.get(pk=pk)
            _event(
                request,
                user=None,
                action=RequestEvent.Action.OVERDUE,
                from_status=request.status,
            )
            _notify_handlers(
                request,
                title=_("Privacy request #%(pk)d is overdue") % {"pk": request.pk},
                key=f"privacy-request-overdue-{request.pk}",
                level="danger",
                skip=None,
            )
            claimed += 1
    return claimed
