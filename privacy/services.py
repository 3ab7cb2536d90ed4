"""Writes of the privacy app: anonymising a contact (by the retention job or at a person's
request), the handling of data-subject requests, and erasing the person's details from the
requests once they are no longer needed. Every step of a request is in its history
(``RequestEvent``) and in the change log; an anonymisation writes its own change-log entry,
with the erased values masked, so the trail never keeps what was erased."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from auditlog.context import disable_auditlog
from auditlog.models import LogEntry
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.choices import Attitude, LegalBasis
from accounts.models import Contact
from accounts.services import contact_save
from kam.access_log import record_access
from kam.models import AccessLog, User
from kam.quarters import today
from kam.services import NotificationDraft, notification_send_many

from .models import (
    OPEN_STATUSES,
    DataSubjectRequest,
    RequestEvent,
    RequestKind,
    RequestStatus,
    RetentionRun,
)
from .selectors import (
    expired_contact_ids,
    request_export_allowed,
    request_handler_check,
    request_handlers,
    retention_status,
)

logger = logging.getLogger(__name__)

# Database errors that a retry can cure (a lost connection, a deadlock, a serialisation
# failure, a lock timeout): the retention chunk is retried for these, and only these.
TRANSIENT_DB_ERRORS = (OperationalError, InterfaceError)

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
    # The requests about the person keep only what evidence needs: their kind, dates, outcome
    # and "Anonymised contact #12".
    for request_id in DataSubjectRequest.objects.filter(
        contact_id=locked.pk, erased_at__isnull=True
    ).values_list("pk", flat=True):
        request_erase(request_id=request_id, user=user, why=ERASED_CONTACT_ANONYMISED)
    return True


def retention_run_start(*, on: dt.date, listed: int, chunks: int) -> RetentionRun:
    """The run of ``on``: created by the day's first dispatch, its counts set again by a
    repeated one (what a chunk did stays)."""
    run, _created = RetentionRun.objects.update_or_create(
        on=on, defaults={"listed": listed, "chunks": chunks}
    )
    return run


def _run_record(run_id: int | None, *, pk: int, error: str = "", anonymised: bool) -> None:
    """Note on the run what became of contact ``pk``: anonymised (counted once: a retried
    chunk finds it done), failed (by the kind of error, never a value; a retry overwrites
    it), or done after an earlier failure (no longer a failure)."""
    if run_id is None:
        return
    with transaction.atomic():
        run = RetentionRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None:
            return
        failures = dict(run.failures)
        if error:
            failures[str(pk)] = error
        else:
            failures.pop(str(pk), None)
        run.failures = failures
        run.anonymised = F("anonymised") + (1 if anonymised else 0)
        run.save(update_fields=["failures", "anonymised"])


def retention_anonymise(*, contact_ids: list[int], on: dt.date, run_id: int | None = None) -> int:
    """Anonymise those of ``contact_ids`` whose retention has run out by ``on``, checked again
    now (a contact edited or met since the dispatch keeps its data). Returns how many.

    Each contact is its own transaction and is anonymised only while it is not yet, so a
    retry redoes only what is left. A contact that fails is logged, counted on the day's run
    (``run_id``) and skipped: the others go on, and the next day's run lists it again. A
    transient database error (``TRANSIENT_DB_ERRORS``) is raised instead, so that the task
    retries the chunk."""
    done = 0
    for pk in expired_contact_ids(on=on, among=contact_ids):
        try:
            anonymised = contact_anonymise(contact=Contact(pk=pk), user=None, reason="retention")
        except TRANSIENT_DB_ERRORS:
            raise
        except Exception as exc:
            logger.exception("Retention: contact %s could not be anonymised", pk)
            _run_record(run_id, pk=pk, error=type(exc).__name__, anonymised=False)
            continue
        _run_record(run_id, pk=pk, anonymised=anonymised)
        done += anonymised
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
    # What the person wrote stays in the request (encrypted), never in its history.
    _event(request, user=user, action=RequestEvent.Action.RECORDED)
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
    for name in (
        "status",
        "handled_by_id",
        "outcome",
        "closed_at",
        "updated_at",
        *ERASED_REQUEST_FIELDS,
        "erased_at",
    ):
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
    """Note in an access request's history that its copy was exported, once the file has been
    produced (the export itself is in the access log). Four eyes: never by who recorded it."""
    locked = DataSubjectRequest.objects.select_for_update().get(pk=request.pk)
    _needs_contact(locked, RequestKind.ACCESS)
    if not request_export_allowed(request=locked, user=user):
        raise PermissionDenied(_("Another compliance user or administrator exports this copy."))
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
    """Delete the person as asked: anonymise their contact now, and close the request.

    Refused while the retention rule of the contact's legal basis still keeps the information
    — on hold (a legal hold), or a period a law requires not run out — as PIPL art. 47
    allows: the request is then closed as refused, the reason (the rule, until when) recorded
    as what the person is told, and nothing is erased. Returns whether it anonymised now."""
    locked = _locked(request)
    contact = _needs_contact(locked, RequestKind.DELETION)
    refusal = "" if contact.is_anonymised else retention_status(contact).deletion_refusal
    if refusal:
        _close(
            locked,
            user=user,
            status=RequestStatus.REFUSED,
            action=RequestEvent.Action.REFUSED,
            note=refusal,
        )
        _refresh(request, locked)
        return False
    done = contact_anonymise(contact=contact, user=user, reason=f"request #{locked.pk}")
    # The anonymisation erased the person's details from this request too.
    locked.refresh_from_db(fields=[*ERASED_REQUEST_FIELDS, "erased_at"])
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


def objection_note(contact: Contact) -> str:
    """What a withdrawal of consent means when consent is not the legal basis: the person's
    objection is recorded, and processing on the basis we have goes on (PIPL art. 13: consent
    is one basis among others; arts. 44 and 47 give no right to stop processing that a
    contract or a legal duty requires). The person is told so."""
    return _(
        "Consent is not the legal basis of this information (%(basis)s): the person's objection "
        "is recorded, and processing on that basis continues. To have the information deleted, "
        "they may ask for its deletion."
    ) % {"basis": contact.get_legal_basis_display()}


@transaction.atomic
def request_withdraw_consent(
    *, request: DataSubjectRequest, user: User, which: tuple[str, ...]
) -> Contact:
    """Record the withdrawal of the person's consent — to the processing, to the transfer
    abroad, or both — on the day the request was received, and close the request.

    Where consent is the legal basis, processing stops: reveals are refused and the retention
    job anonymises the contact once its period after the withdrawal has run. Where another
    basis applies, withdrawing consent to the processing does not stop it: the withdrawal is
    recorded as the person's objection (with the date, where a consent was recorded besides),
    processing on that basis continues, and the request closes saying so. A transfer abroad
    needs its own consent on any basis (art. 39): its withdrawal stops the transfer."""
    locked = _locked(request)
    contact = _needs_contact(locked, RequestKind.WITHDRAW_CONSENT)
    if not which:
        raise ValidationError({"which": _("Choose the consent the person withdraws.")})
    notes: list[str] = []
    objection = ""
    if WITHDRAW_PROCESSING in which:
        if contact.legal_basis == LegalBasis.CONSENT:
            assert contact.consent_given_on is not None  # the model requires it on this basis
            contact.consent_withdrawn_on = max(locked.received_on, contact.consent_given_on)
            notes.append(_("consent to the processing"))
        else:
            if contact.consent_given_on is not None and contact.consent_withdrawn_on is None:
                contact.consent_withdrawn_on = max(locked.received_on, contact.consent_given_on)
            objection = objection_note(contact)
    if WITHDRAW_TRANSFER in which:
        if contact.cross_border_consent_on is None:
            raise ValidationError(
                {"which": _("No consent to a transfer abroad is recorded for this person.")}
            )
        contact.cross_border_withdrawn_on = max(locked.received_on, contact.cross_border_consent_on)
        notes.append(_("consent to the transfer abroad"))
    contact_save(contact=contact)
    note = ", ".join(str(n) for n in notes)
    outcome = []
    if objection:
        _event(
            locked,
            user=user,
            action=RequestEvent.Action.OBJECTION,
            from_status=locked.status,
            note=objection,
        )
        outcome.append(objection)
    if note:
        _event(
            locked,
            user=user,
            action=RequestEvent.Action.CONSENT_WITHDRAWN,
            from_status=locked.status,
            note=note,
        )
        outcome.append(
            _("Withdrawal recorded: %(what)s; that processing has stopped.") % {"what": note}
        )
    _close(
        locked,
        user=user,
        status=RequestStatus.DONE,
        action=RequestEvent.Action.COMPLETED,
        note=" ".join(outcome),
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


# ---------------------------------------------------------------- the person's details


# What a request holds on the person beyond the evidence of its answer; erased once that is
# no longer needed (``request_erase``).
ERASED_REQUEST_FIELDS = ("person_name", "reply_to", "details")
ERASED_CONTACT_ANONYMISED = "The person's contact was anonymised."
ERASED_EVIDENCE_ENDED = "The request is no longer kept as evidence of its answer."
REVEALABLE_REQUEST_FIELDS = ("reply_to", "details")


@transaction.atomic
def request_erase(*, request_id: int, user: User | None, why: str) -> bool:
    """Erase the person from a request: their name, what they wrote and where to answer them,
    and the notes of its history that copied what they wrote (before those were kept apart).
    What evidence needs stays: the kind, the dates, the outcome, the account and the contact
    ("Anonymised contact #12"). Once only (a retried job, a second anonymisation): returns
    False when it was erased already. The change log records it with the values masked."""
    locked = (
        DataSubjectRequest.objects.select_for_update()
        .filter(pk=request_id, erased_at__isnull=True)
        .first()
    )
    if locked is None:
        return False
    for name in ERASED_REQUEST_FIELDS:
        setattr(locked, name, "")
    locked.erased_at = timezone.now()
    locked.save(update_fields=[*ERASED_REQUEST_FIELDS, "erased_at", "updated_at"])
    locked.events.filter(action=RequestEvent.Action.RECORDED).exclude(note="").update(note="")
    _event(
        locked, user=user, action=RequestEvent.Action.ERASED, from_status=locked.status, note=why
    )
    return True


def requests_erase_past_evidence(*, request_ids: list[int], run_id: int | None = None) -> int:
    """Erase the person's details from closed requests whose evidence period has run out
    (``selectors.requests_past_evidence_ids``); each its own transaction. Returns how many."""
    erased = 0
    for pk in request_ids:
        if not request_erase(request_id=pk, user=None, why=ERASED_EVIDENCE_ENDED):
            continue  # erased already: a retry counts nothing twice
        erased += 1
        if run_id is not None:
            RetentionRun.objects.filter(pk=run_id).update(requests_erased=F("requests_erased") + 1)
    return erased


@transaction.atomic
def request_reveal(
    *, request: DataSubjectRequest, user: User, field: str, http_request: HttpRequest | None
) -> str:
    """Return where to answer the person (``reply_to``) or what they wrote (``details``) in
    full, and log who read it, when and from where, as a reveal of a contact's phone is
    logged: compliance and administrators only, never the value itself."""
    request_handler_check(user)
    if field not in REVEALABLE_REQUEST_FIELDS:
        raise ValueError(f"{field} is not a revealable field")
    record_access(
        http_request,
        AccessLog.Action.REVEAL,
        user=user,
        account_id=request.account_id,
        object_repr=f"Privacy request #{request.pk}",
        field=f"privacy_request.{field}",
        detail={"privacy_request": request.pk},
    )
    return str(getattr(request, field))
