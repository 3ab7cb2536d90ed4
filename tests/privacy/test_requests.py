"""Data-subject requests (issue 14): recorded by the account team from a contact or by
compliance for anyone, due fifteen days after receipt, handled by compliance and administrators
only — start, correct through the masked form, anonymise, record a withdrawal, answer or
refuse with a reason — each step in the request's history; overdue ones notify compliance
once."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.urls import reverse

from kam.models import AccessLog, Notification
from kam.quarters import today
from privacy.models import DataSubjectRequest, RequestEvent, RequestKind, RequestStatus
from privacy.tasks import requests_overdue
from tests.conftest import Cast
from tests.factories import AccountFactory, ContactFactory

from .support import client_for, consenting_contact, contact_data, days_ago, make_request

pytestmark = pytest.mark.django_db


def _detail(dsr: DataSubjectRequest) -> str:
    return reverse("privacy:request_detail", args=[dsr.pk])


def _actions(dsr: DataSubjectRequest) -> list[str]:
    return list(dsr.events.order_by("pk").values_list("action", flat=True))


# ---------------------------------------------------------------- who may do what


def test_only_compliance_and_administrators_see_the_requests(cast: Cast) -> None:
    contact = ContactFactory.create(account=cast.account)
    dsr = make_request(user=cast.owner, kind=RequestKind.ACCESS, contact=contact)
    pages = [
        reverse("privacy:request_list"),
        reverse("privacy:request_create"),
        _detail(dsr),
        reverse("privacy:request_export", args=[dsr.pk, "csv"]),
    ]
    for user in (cast.owner, cast.teammate, cast.lead, cast.executive, cast.risk, cast.outsider):
        for url in pages:
            assert client_for(user).get(url).status_code == 403, (user, url)
    for user in (cast.compliance, cast.admin):
        for url in pages[:3]:
            assert client_for(user).get(url).status_code == 200, (user, url)
    missing = reverse("privacy:request_detail", args=[dsr.pk + 100])
    assert client_for(cast.compliance).get(missing).status_code == 404
    assert not AccessLog.objects.filter(action="export").exists()


def test_the_menu_links_the_requests_for_compliance_only(cast: Cast) -> None:
    url = reverse("privacy:request_list")
    assert url in client_for(cast.compliance).get(reverse("home")).content.decode()
    assert url not in client_for(cast.owner).get(reverse("home")).content.decode()


def test_the_account_team_records_a_contacts_request_others_may_not(cast: Cast) -> None:
    contact = ContactFactory.create(account=cast.account, name="王芳")
    url = reverse("privacy:contact_request", args=[cast.account.pk, contact.pk])
    data = {"kind": "deletion", "received_on": days_ago(2).isoformat(), "details": "Left"}
    assert client_for(cast.outsider).post(url, data).status_code == 404
    assert client_for(cast.executive).post(url, data).status_code == 403
    assert client_for(cast.risk).get(url).status_code == 403
    assert not DataSubjectRequest.objects.exists()

    response = client_for(cast.owner).post(url, data)
    assert response.status_code == 302 and response["Location"] == cast.account.get_absolute_url()
    dsr = DataSubjectRequest.objects.get()
    assert (dsr.contact, dsr.account, dsr.recorded_by) == (contact, cast.account, cast.owner)
    assert dsr.status == RequestStatus.OPEN and _actions(dsr) == ["recorded"]
    # Compliance and the administrator are told; the recorder is not.
    told = set(Notification.objects.values_list("user__username", flat=True))
    assert told == {"compliance.sun", "admin"}

    # Compliance records one from the same contact too.
    assert client_for(cast.compliance).post(url, data).status_code == 302
    # A contact of another account is not reached through this one.
    other = ContactFactory.create()
    stray = reverse("privacy:contact_request", args=[cast.account.pk, other.pk])
    assert client_for(cast.owner).get(stray).status_code == 404


def test_a_request_of_someone_who_is_no_contact(cast: Cast) -> None:
    client = client_for(cast.compliance)
    url = reverse("privacy:request_create")
    response = client.post(url, {"kind": "access", "received_on": days_ago(1).isoformat()})
    assert response.status_code == 200 and "person_name" in response.context["form"].errors
    future = client.post(
        url, {"kind": "access", "received_on": "2999-01-01", "person_name": "Zhou Min"}
    )
    assert "received_on" in future.context["form"].errors
    response = client.post(
        url,
        {"kind": "access", "received_on": days_ago(1).isoformat(), "person_name": "Zhou Min"},
    )
    assert response.status_code == 302
    dsr = DataSubjectRequest.objects.get()
    assert dsr.contact is None and dsr.subject_name == "Zhou Min"


def test_the_search_finds_contacts_by_name_or_exact_phone(cast: Cast) -> None:
    ContactFactory.create(account=cast.account, name="王芳", phone="13812345678")
    ContactFactory.create(account=cast.account, name="李雷", phone="13900001111")
    client = client_for(cast.compliance)
    url = reverse("privacy:request_create")
    assert [c.name for c in client.get(url, {"q": "芳"}).context["found"]] == ["王芳"]
    assert [c.name for c in client.get(url, {"q": "139 0000 1111"}).context["found"]] == ["李雷"]
    assert client.get(url, {"q": "1390000"}).context["found"] == []


# ---------------------------------------------------------------- due dates and overdue


def test_a_request_is_due_fifteen_days_after_receipt(cast: Cast, settings: Any) -> None:
    dsr = make_request(user=cast.compliance, kind="access", person_name="A", received=3)
    assert dsr.due_on == days_ago(3) + (days_ago(0) - days_ago(15))
    settings.PRIVACY_REQUEST_DUE_DAYS = 30
    later = make_request(user=cast.compliance, kind="access", person_name="B", received=0)
    assert (later.due_on - later.received_on).days == 30


def test_overdue_requests_are_marked_and_notify_compliance_once(cast: Cast) -> None:
    contact = ContactFactory.create(account=cast.account)
    late = make_request(user=cast.owner, kind="deletion", contact=contact, received=16)
    due_today = make_request(user=cast.owner, kind="access", contact=contact, received=15)
    answered = make_request(user=cast.owner, kind="access", contact=contact, received=40)
    answered.status = RequestStatus.DONE
    answered.outcome = "Sent"
    answered.save()
    Notification.objects.all().delete()
    mail.outbox.clear()

    page = client_for(cast.compliance).get(reverse("privacy:request_list")).content.decode()
    assert page.count("overdue</span>") == 1

    assert requests_overdue() == 1
    notices = Notification.objects.filter(key=f"privacy-request-overdue-{late.pk}")
    assert sorted(n.user.username for n in notices) == ["admin", "compliance.sun"]
    assert all(n.level == "danger" for n in notices)
    assert not Notification.objects.exclude(key__startswith="privacy-request-overdue").exists()
    assert _actions(late)[-1] == "overdue"
    # The next run, or a retry, tells no one again.
    assert requests_overdue() == 0
    assert Notification.objects.count() == 2
    # Tomorrow the one due today is late too.
    tomorrow = (today() + (days_ago(0) - days_ago(1))).isoformat()
    assert requests_overdue(tomorrow) == 1
    assert Notification.objects.filter(key=f"privacy-request-overdue-{due_today.pk}").count() == 2


# ---------------------------------------------------------------- handling


def test_start_answer_and_history(cast: Cast) -> None:
    dsr = make_request(user=cast.compliance, kind="access", person_name="Zhou Min")
    client = client_for(cast.compliance)
    assert client.post(_detail(dsr), {"action": "start"}).status_code == 302
    dsr.refresh_from_db()
    assert dsr.status == RequestStatus.IN_PROGRESS and dsr.handled_by == cast.compliance
    empty = client.post(_detail(dsr), {"action": "complete", "complete-note": ""})
    assert empty.status_code == 200 and empty.context["forms"]["complete"].errors
    client.post(_detail(dsr), {"action": "complete", "complete-note": "Nothing held; told her."})
    dsr.refresh_from_db()
    assert dsr.status == RequestStatus.DONE and dsr.closed_at is not None
    assert dsr.outcome == "Nothing held; told her."
    assert _actions(dsr) == ["recorded", "started", "completed"]
    # A closed request takes no more steps.
    client.post(_detail(dsr), {"action": "refuse", "refuse-reason": "Changed our mind entirely"})
    dsr.refresh_from_db()
    assert dsr.status == RequestStatus.DONE
    assert client.post(_detail(dsr), {"action": "explode"}).status_code == 404


def test_a_deletion_is_refused_with_a_reason_when_the_law_requires_keeping(cast: Cast) -> None:
    contact = ContactFactory.create(account=cast.account, legal_basis="legal_duty", name="王芳")
    dsr = make_request(user=cast.owner, kind="deletion", contact=contact)
    client = client_for(cast.compliance)
    page = client.get(_detail(dsr)).content.decode()
    assert "The retention rule of this legal basis still keeps this information" in page
    short = client.post(_detail(dsr), {"action": "refuse", "refuse-reason": "no"})
    assert short.context["forms"]["refuse"].errors
    reason = "Kept as the client's authorised signatory under the AML law"
    client.post(_detail(dsr), {"action": "refuse", "refuse-reason": reason})
    dsr.refresh_from_db()
    assert (dsr.status, dsr.outcome) == (RequestStatus.REFUSED, reason)
    contact.refresh_from_db()
    assert contact.name == "王芳" and not contact.is_anonymised


def test_a_deletion_anonymises_the_contact_now(cast: Cast) -> None:
    contact = ContactFactory.create(account=cast.account, name="王芳", phone="13812345678")
    dsr = make_request(user=cast.owner, kind="deletion", contact=contact)
    assert client_for(cast.owner).post(_detail(dsr), {"action": "anonymise"}).status_code == 403
    client_for(cast.admin).post(_detail(dsr), {"action": "anonymise"})
    contact.refresh_from_db()
    assert contact.is_anonymised and contact.phone == "" and contact.name != "王芳"
    dsr.refresh_from_db()
    assert dsr.status == RequestStatus.DONE and dsr.handled_by == cast.admin
    # The anonymisation erased the person's details from the request too.
    assert _actions(dsr) == ["recorded", "erased", "anonymised", "completed"]
    # The account page lists the anonymised contact, with nothing to reveal or edit.
    body = client_for(cast.owner).get(cast.account.get_absolute_url()).content.decode()
    assert f"Anonymised contact #{contact.pk}" in body and "王芳" not in body
    assert reverse("accounts:contact_edit", args=[cast.account.pk, contact.pk]) not in body


def test_a_correction_goes_through_the_masked_form(cast: Cast) -> None:
    contact = ContactFactory.create(
        account=cast.account, name="王芳", phone="13812345678", purpose="Relationship"
    )
    dsr = make_request(user=cast.owner, kind="correction", contact=contact)
    url = reverse("privacy:request_correct", args=[dsr.pk])
    assert client_for(cast.owner).get(url).status_code == 403
    client = client_for(cast.compliance)
    page = client.get(url).content.decode()
    assert "138****5678" in page and "13812345678" not in page
    bad = client.post(url, contact_data(phone="call me"))
    assert bad.status_code == 200 and "phone" in bad.context["form"].errors
    response = client.post(url, contact_data(name="王芳", phone="13999998888", title="CEO"))
    assert response.status_code == 302
    contact.refresh_from_db()
    assert (contact.phone, contact.title) == ("13999998888", "CEO")
    event = RequestEvent.objects.get(request=dsr, action="corrected")
    assert "phone" in event.note and "title" in event.note and "1399" not in event.note
    # Only a correction request corrects.
    access = make_request(user=cast.owner, kind="access", contact=contact)
    assert client.get(reverse("privacy:request_correct", args=[access.pk])).status_code == 404


def test_a_withdrawal_of_consent_is_recorded_and_stops_reveals(cast: Cast) -> None:
    contact = consenting_contact(cast.account, phone="13812345678")
    dsr = make_request(user=cast.owner, kind="withdraw_consent", contact=contact, received=2)
    client = client_for(cast.compliance)
    empty = client.post(_detail(dsr), {"action": "withdraw"})
    assert empty.context["forms"]["withdraw"].errors
    client.post(_detail(dsr), {"action": "withdraw", "withdraw-which": ["processing"]})
    contact.refresh_from_db()
    assert contact.consent_withdrawn_on == days_ago(2) and contact.processing_stopped
    dsr.refresh_from_db()
    assert dsr.status == RequestStatus.DONE
    reveal = reverse("accounts:contact_reveal", args=[cast.account.pk, contact.pk, "phone"])
    assert client_for(cast.owner).post(reveal).status_code == 403


def test_a_withdrawal_where_consent_is_not_the_basis_records_an_objection(cast: Cast) -> None:
    """Consent is not the basis (a contract): withdrawing it does not stop the processing. The
    request closes saying so — the objection is recorded, processing on the contract goes on —
    not as if processing had stopped."""
    contact = ContactFactory.create(account=cast.account, phone="13812345678")  # contract
    dsr = make_request(user=cast.owner, kind="withdraw_consent", contact=contact)
    client = client_for(cast.compliance)
    page = client.get(_detail(dsr)).content.decode()
    assert "does not stop it here" in page and "processing on that basis continues" in page
    response = client.post(_detail(dsr), {"action": "withdraw", "withdraw-which": ["processing"]})
    assert response.status_code == 302
    dsr.refresh_from_db()
    assert dsr.status == RequestStatus.DONE
    assert "objection is recorded" in dsr.outcome
    assert "processing on that basis continues" in dsr.outcome
    assert "stopped" not in dsr.outcome
    assert _actions(dsr) == ["recorded", "objection", "completed"]
    contact.refresh_from_db()
    assert not contact.processing_stopped and contact.consent_withdrawn_on is None
    reveal = reverse("accounts:contact_reveal", args=[cast.account.pk, contact.pk, "phone"])
    assert client_for(cast.owner).post(reveal).status_code == 200


def test_a_withdrawal_where_consent_is_the_basis_says_processing_stopped(cast: Cast) -> None:
    contact = consenting_contact(cast.account)
    dsr = make_request(user=cast.owner, kind="withdraw_consent", contact=contact)
    client = client_for(cast.compliance)
    assert "does not stop it here" not in client.get(_detail(dsr)).content.decode()
    client.post(_detail(dsr), {"action": "withdraw", "withdraw-which": ["processing"]})
    dsr.refresh_from_db()
    assert "that processing has stopped" in dsr.outcome
    assert _actions(dsr) == ["recorded", "consent_withdrawn", "completed"]


def test_the_list_shows_open_first_and_closed_apart(cast: Cast) -> None:
    foreign = AccountFactory.create(owner=cast.owner)
    contact = ContactFactory.create(account=foreign, name="Jean Dupont")
    open_one = make_request(user=cast.owner, kind="access", contact=contact, received=1)
    closed = make_request(user=cast.owner, kind="access", person_name="Zhou Min")
    closed.status, closed.outcome = RequestStatus.REFUSED, "Identity not verified"
    closed.save()
    client = client_for(cast.compliance)
    listed = client.get(reverse("privacy:request_list")).context["page"].object_list
    assert list(listed) == [open_one]
    listed = client.get(reverse("privacy:request_list"), {"status": "closed"})
    assert list(listed.context["page"].object_list) == [closed]
