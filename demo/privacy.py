"""PIPL data for the demo book (called by ``manage.py seed_demo``): data-subject requests in
every state — open, in progress, overdue, answered, refused on a legal duty, one deletion done
(a contact of its own, anonymised: the book's contacts are keyed by name, which an
anonymisation erases) and one withdrawal of consent recorded — so that compliance's list and
the account pages show what the workflow looks like.

Idempotent: nothing is added once any request exists. The contacts' own PIPL records (legal
bases, consents, transfers abroad, missing notices) come with the book (demo.accounts)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction

from accounts.choices import LegalBasis
from accounts.models import Contact
from kam.models import User
from kam.quarters import today
from privacy import services
from privacy.models import DataSubjectRequest, RequestKind


@dataclass
class PrivacyResult:
    requests: int = 0
    anonymised: int = 0


def _contacts(basis: str, count: int, exclude: set[int]) -> list[Contact]:
    picked = list(
        Contact.objects.filter(
            legal_basis=basis, anonymised_at__isnull=True, consent_withdrawn_on=None
        )
        .exclude(pk__in=exclude)
        .order_by("pk")[:count]
    )
    exclude.update(contact.pk for contact in picked)
    return picked


@transaction.atomic
def seed_privacy() -> PrivacyResult:
    result = PrivacyResult()
    if DataSubjectRequest.objects.exists():
        return result
    compliance = User.objects.filter(username="compliance.sun").first()
    recorder = User.objects.filter(username="rm.wang").first()
    if compliance is None or recorder is None:
        return result
    day = today()
    used: set[int] = set()
    contract = _contacts(LegalBasis.CONTRACT, 3, used)
    consent = _contacts(LegalBasis.CONSENT, 2, used)
    duty = _contacts(LegalBasis.LEGAL_DUTY, 1, used)
    if len(contract) < 3 or len(consent) < 2 or not duty:
        return result

    def record(
        kind: str, contact: Contact | None, days_ago: int, **extra: str
    ) -> DataSubjectRequest:
        result.requests += 1
        return services.request_create(
            user=recorder if contact is not None else compliance,
            kind=kind,
            received_on=day - timedelta(days=days_ago),
            contact=contact,
            **extra,
        )

    # Open, due in ten days: a copy of what we hold.
    record(RequestKind.ACCESS, consent[0], 5, details="Asked at the forum for what we keep on him.")
    # In progress: a new mobile number.
    fix = record(RequestKind.CORRECTION, contract[0], 8, details="Her mobile number has changed.")
    services.request_start(request=fix, user=compliance)
    # Overdue: a deletion nobody has answered (compliance is notified by the daily job).
    record(RequestKind.DELETION, contract[1], 20, details="Left the company; asks to be deleted.")
    # Answered: a copy sent.
    sent = record(RequestKind.ACCESS, contract[2], 40)
    services.request_complete(request=sent, user=compliance, note="Copy sent by registered mail.")
    # Refused: the client's signatory is kept for anti-money-laundering records.
    kept = record(RequestKind.DELETION, duty[0], 30, details="Asks to be deleted.")
    services.request_refuse(
        request=kept,
        user=compliance,
        reason="Kept as the client's authorised signatory: AML records are kept ten years "
        "after the relationship ends.",
    )
    # Done: deleted, the contact anonymised.
    retired = Contact(
        account=contract[2].account,
        name="Retired Finance Director",
        title="Finance Director (retired)",
        phone="13900000000",
        email="retired.director@example.cn",
        purpose="Managing the bank's relationship with the client as its business contact",
        notice_given_on=day - timedelta(days=800),
        # Like the colleague's, when the account is outside the mainland.
        cross_border_recipient=contract[2].cross_border_recipient,
        cross_border_consent_on=contract[2].cross_border_consent_on,
    )
    retired.full_clean(validate_constraints=False)
    retired.save()
    gone = record(RequestKind.DELETION, retired, 12, details="Retired; asks to be deleted.")
    result.anonymised += services.request_anonymise(request=gone, user=compliance)
    # Done: consent withdrawn; reveals stop and the retention job anonymises it later.
    stop = record(RequestKind.WITHDRAW_CONSENT, consent[1], 3, details="No more invitations.")
    services.request_withdraw_consent(
        request=stop, user=compliance, which=(services.WITHDRAW_PROCESSING,)
    )
    # Open: someone who is not a contact asks what we hold.
    record(
        RequestKind.ACCESS,
        None,
        2,
        person_name="Zhou Min",
        reply_to="By post to the address in her letter",
        details="Former employee of a client; asks whether we hold anything on her.",
    )
    return result
