"""What a request keeps of the person, and for how long (README, "PIPL handling"): a deletion
is refused while a law or a hold keeps the information, with the reason the person is told;
an anonymised contact's requests keep only what evidence needs (kind, dates, outcome,
"Anonymised contact #12"); a closed request keeps the person's details as evidence for
``PRIVACY_REQUEST_RETENTION_DAYS`` after closing, then the retention job erases them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from accounts.choices import AccountStatus, LegalBasis
from accounts.models import Account, Contact
from kam.quarters import today
from privacy.models import DataSubjectRequest, RequestEvent, RetentionRule, RetentionRun
from privacy.selectors import requests_past_evidence_ids
from privacy.services import contact_anonymise, request_complete
from privacy.tasks import requests_erase, retention_dispatch
from tests.conftest import Cast
from tests.factories import ContactFactory

from .support import client_for, consenting_contact, make_request

pytestmark = pytest.mark.django_db

REPLY_TO = "wang.fang@sunrise.cn"
DETAILS = "她想要一份我们保存的资料副本 (Lotus-Harbour 2291)"


def _detail(dsr: DataSubjectRequest) -> str:
    return reverse("privacy:request_detail", args=[dsr.pk])


def _actions(dsr: DataSubjectRequest) -> list[str]:
    return list(dsr.events.order_by("pk").values_list("action", flat=True))


# ---------------------------------------------------------------- deletion refused by a hold


def test_a_deletion_is_refused_while_the_law_keeps_the_information(cast: Cast) -> None:
    contact = ContactFactory.create(account=cast.account, legal_basis=LegalBasis.LEGAL_DUTY)
    dsr = make_request(user=cast.owner, kind="deletion", contact=contact)
    client = client_for(cast.compliance)
    page = client.get(_detail(dsr)).content.decode()
    assert "The law requires keeping the information" in page
    assert "Refuse with this reason" in page and "Anonymise and close" not in page
    response = client.post(_detail(dsr), {"action": "anonymise"}, follow=True)
    assert "Not anonymised" in response.content.decode()
    dsr.refresh_from_db()
    assert dsr.status == "refused"
    assert dsr.outcome.startswith("The law requires keeping the information")
    assert "has not started yet" in dsr.outcome  # the relationship goes on
    assert _actions(dsr) == ["recorded", "refused"]
    contact.refresh_from_db()
    assert not contact.is_anonymised


def test_the_refusal_names_the_day_the_period_ends(cast: Cast) -> None:
    contact = ContactFactory.create(account=cast.account, legal_basis=LegalBasis.LEGAL_DUTY)
    exited = timezone.now() - dt.timedelta(days=400)
    Contact.objects.filter(pk=contact.pk).update(updated_at=exited - dt.timedelta(days=1))
    Account.objects.filter(pk=cast.account.pk).update(status=AccountStatus.EXITED, exited_at=exited)
    dsr = make_request(user=cast.owner, kind="deletion", contact=contact)
    client_for(cast.admin).post(_detail(dsr), {"action": "anonymise"})
    dsr.refresh_from_db()
    rule = RetentionRule.objects.get(legal_basis=LegalBasis.LEGAL_DUTY)
    until = today() + dt.timedelta(days=rule.retention_days - 400)
    assert dsr.status == "refused" and f"until {until.isoformat()}" in dsr.outcome


def test_a_deletion_is_refused_under_a_legal_hold(cast: Cast) -> None:
    contact = consenting_contact(cast.account)
    RetentionRule.objects.filter(legal_basis=LegalBasis.CONSENT).update(is_active=False)
    dsr = make_request(user=cast.owner, kind="deletion", contact=contact)
    client_for(cast.compliance).post(_detail(dsr), {"action": "anonymise"})
    dsr.refresh_from_db()
    assert dsr.status == "refused" and "legal hold" in dsr.outcome
    contact.refresh_from_db()
    assert not contact.is_anonymised


def test_a_period_only_of_policy_does_not_refuse_a_deletion(cast: Cast) -> None:
    contact = consenting_contact(cast.account)  # consent: no law keeps it
    dsr = make_request(user=cast.owner, kind="deletion", contact=contact)
    client_for(cast.compliance).post(_detail(dsr), {"action": "anonymise"})
    dsr.refresh_from_db()
    contact.refresh_from_db()
    assert dsr.status == "done" and contact.is_anonymised


# ---------------------------------------------------------------- erased with the contact


def test_anonymising_a_contact_leaves_its_requests_only_the_evidence(cast: Cast) -> None:
    contact = ContactFactory.create(account=cast.account, name="王芳")
    other = ContactFactory.create(account=cast.account, name="李雷")
    answered = make_request(
        user=cast.owner, kind="access", contact=contact, reply_to=REPLY_TO, details=DETAILS
    )
    request_complete(request=answered, user=cast.compliance, note="Copy sent by post.")
    pending = make_request(user=cast.owner, kind="correction", contact=contact, details=DETAILS)
    # A history written before the details were kept apart copied them into its first note.
    RequestEvent.objects.filter(request=pending, action="recorded").update(note=DETAILS)
    kept = make_request(
        user=cast.owner, kind="access", contact=other, reply_to="13900001111", details="Kept"
    )

    assert contact_anonymise(contact=contact, user=None, reason="retention")
    for dsr in (answered, pending):
        dsr.refresh_from_db()
        assert (dsr.person_name, dsr.reply_to, dsr.details) == ("", "", "")
        assert dsr.erased_at is not None
        assert dsr.subject_name == f"Anonymised contact #{contact.pk}"
        assert _actions(dsr)[-1] == "erased"
        notes = " ".join(dsr.events.values_list("note", flat=True))
        assert "Lotus-Harbour" not in notes
    # What evidence needs stays.
    assert (answered.kind, answered.status, answered.outcome) == (
        "access",
        "done",
        "Copy sent by post.",
    )
    assert answered.received_on and answered.closed_at and answered.contact_id == contact.pk
    kept.refresh_from_db()
    assert (kept.reply_to, kept.details, kept.erased_at) == ("13900001111", "Kept", None)
    # The change log records the erasure masked.
    changes = str(
        [e.changes for e in LogEntry.objects.get_for_object(answered)]
        + [e.changes for e in LogEntry.objects.get_for_object(pending)]
    )
    assert "wang.fang" not in changes and "Lotus-Harbour" not in changes
    # The request's page says so, and offers nothing to reveal.
    page = client_for(cast.compliance).get(_detail(answered)).content.decode()
    assert "Personal details erased" in page
    assert reverse("privacy:request_reveal", args=[answered.pk, "reply_to"]) not in page


# ---------------------------------------------------------------- erased after the evidence


def _closed(cast: Cast, *, days_ago: int, **extra: Any) -> DataSubjectRequest:
    dsr = make_request(user=cast.compliance, kind="access", received=0, **extra)
    request_complete(request=dsr, user=cast.admin, note="Nothing held; told her.")
    noon = dt.datetime.combine(
        today() - dt.timedelta(days=days_ago), dt.time(12), tzinfo=timezone.get_current_timezone()
    )
    DataSubjectRequest.objects.filter(pk=dsr.pk).update(closed_at=noon)
    dsr.refresh_from_db()
    return dsr


def test_closed_requests_lose_the_persons_details_when_their_evidence_period_ends(
    cast: Cast, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    days = settings.PRIVACY_REQUEST_RETENTION_DAYS
    assert days == 1096  # three years
    due = _closed(cast, days_ago=days, person_name="Zhou Min", reply_to="By post", details=DETAILS)
    tomorrow = _closed(cast, days_ago=days - 1, person_name="Qian Li", reply_to="By post")
    still_open = make_request(user=cast.compliance, kind="access", person_name="Sun Yu")
    DataSubjectRequest.objects.filter(pk=still_open.pk).update(
        received_on=today() - dt.timedelta(days=days + 30),
        due_on=today() - dt.timedelta(days=days + 15),
    )
    assert due.evidence_ends_on == today()
    assert tomorrow.evidence_ends_on == today() + dt.timedelta(days=1)
    page = client_for(cast.compliance).get(_detail(tomorrow)).content.decode()
    assert "Evidence kept until" in page

    assert requests_past_evidence_ids(on=today()) == [due.pk]
    with django_capture_on_commit_callbacks(execute=False) as queued:
        planned = retention_dispatch()
    assert planned["requests"] == 1 and len(queued) == 1
    run = RetentionRun.objects.get(on=today())
    assert requests_erase([due.pk], run.pk) == 1
    assert requests_erase([due.pk], run.pk) == 0  # a retry changes nothing twice
    run.refresh_from_db()
    assert run.requests_erased == 1

    due.refresh_from_db()
    assert (due.person_name, due.reply_to, due.details) == ("", "", "")
    assert due.subject_name == "(details erased)"
    assert (due.kind, due.status, due.outcome) == ("access", "done", "Nothing held; told her.")
    tomorrow.refresh_from_db()
    assert tomorrow.person_name == "Qian Li" and tomorrow.erased_at is None
    still_open.refresh_from_db()
    assert still_open.person_name == "Sun Yu"
    assert requests_past_evidence_ids(on=today()) == []
    assert requests_past_evidence_ids(on=today() + dt.timedelta(days=1)) == [tomorrow.pk]
