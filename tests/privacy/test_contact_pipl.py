"""A contact's PIPL record (issue 14): legal basis, purpose, notice and source; consent and its
withdrawal; the separate consent to a transfer abroad — recorded by whoever edits the
account's contacts, checked by the model, shown on the account page to them; a withdrawal
stops processing: reveals are refused."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.choices import LegalBasis, Region
from accounts.models import Contact
from kam.models import AccessLog
from tests.conftest import Cast
from tests.factories import AccountFactory, ContactFactory

from .support import client_for, consenting_contact, contact_data, days_ago

pytestmark = pytest.mark.django_db


def _create(cast: Cast, account: Any = None, **overrides: Any) -> Any:
    account = account or cast.account
    return client_for(cast.owner).post(
        reverse("accounts:contact_create", args=[account.pk]), contact_data(**overrides)
    )


def _errors(response: Any) -> dict[str, Any]:
    assert response.status_code == 200
    errors: dict[str, Any] = response.context["form"].errors
    return errors


def test_a_contact_is_saved_with_its_legal_basis_purpose_notice_and_source(cast: Cast) -> None:
    response = _create(
        cast,
        legal_basis="legal_duty",
        purpose="Client due diligence (AML)",
        notice_given_on=days_ago(3).isoformat(),
        source="person",
    )
    assert response.status_code == 302
    contact = Contact.objects.get()
    assert (contact.legal_basis, contact.purpose, contact.source) == (
        "legal_duty",
        "Client due diligence (AML)",
        "person",
    )
    assert contact.notice_given_on == days_ago(3)
    assert contact.privacy_gaps == []


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"legal_basis": "consent"}, "consent_given_on"),
        ({"purpose": ""}, "purpose"),
        ({"legal_basis": "gut_feeling"}, "legal_basis"),
        ({"source": "rumour"}, "source"),
        ({"notice_given_on": "2999-01-01"}, "notice_given_on"),
        ({"consent_withdrawn_on": str(days_ago(3))}, "consent_withdrawn_on"),
        (
            {"consent_given_on": str(days_ago(3)), "consent_withdrawn_on": str(days_ago(9))},
            "consent_withdrawn_on",
        ),
        (
            {"cross_border_transfer": "on", "cross_border_recipient": "Paris office"},
            "cross_border_consent_on",
        ),
        (
            {"cross_border_transfer": "on", "cross_border_consent_on": str(days_ago(9))},
            "cross_border_recipient",
        ),
        ({"cross_border_withdrawn_on": str(days_ago(9))}, "cross_border_withdrawn_on"),
    ],
)
def test_the_form_refuses_an_incomplete_or_inconsistent_record(
    cast: Cast, overrides: dict[str, Any], field: str
) -> None:
    assert field in _errors(_create(cast, **overrides))
    assert not Contact.objects.exists()


def test_consent_as_the_basis_is_accepted_with_its_date(cast: Cast) -> None:
    response = _create(cast, legal_basis="consent", consent_given_on=days_ago(10).isoformat())
    assert response.status_code == 302
    assert Contact.objects.get().consent_given_on == days_ago(10)


def test_a_contact_of_an_account_outside_the_mainland_needs_separate_consent(cast: Cast) -> None:
    foreign = AccountFactory.create(owner=cast.owner, region=Region.EUROPE, uscc=None)
    errors = _errors(_create(cast, foreign))
    assert "cross_border_consent_on" in errors and "cross_border_recipient" in errors
    hong_kong = AccountFactory.create(owner=cast.owner, region=Region.HK_MACAO, uscc=None)
    assert "cross_border_consent_on" in _errors(_create(cast, hong_kong))

    response = _create(
        cast,
        foreign,
        cross_border_recipient="Sunrise Europe GmbH (Germany)",
        cross_border_consent_on=days_ago(2).isoformat(),
    )
    assert response.status_code == 302
    contact = Contact.objects.get()
    assert contact.leaves_mainland and contact.cross_border_consent_on == days_ago(2)
    # A mainland account's contact needs none unless marked as transferred abroad.
    assert _create(cast, name="李雷").status_code == 302


def test_the_model_checks_the_record_wherever_it_is_saved(cast: Cast) -> None:
    contact = Contact(
        account=cast.account, name="王芳", purpose="x", legal_basis=LegalBasis.CONSENT
    )
    with pytest.raises(ValidationError) as raised:
        contact.full_clean()
    assert "consent_given_on" in raised.value.message_dict


def test_existing_contacts_read_as_business_contacts_with_the_notice_missing(cast: Cast) -> None:
    contact = ContactFactory.create(account=cast.account, purpose="")
    assert contact.legal_basis == LegalBasis.CONTRACT and contact.source == "client"
    assert contact.privacy_gaps == ["purpose missing", "notice date missing"]


def test_the_account_page_shows_the_record_to_those_who_edit_contacts(cast: Cast) -> None:
    ContactFactory.create(account=cast.account, name="王芳", purpose="Relationship")
    consenting_contact(cast.account, name="李雷", consent_withdrawn_on=days_ago(1))
    url = reverse("accounts:detail", args=[cast.account.pk])
    for user in (cast.owner, cast.teammate, cast.lead, cast.admin):
        body = client_for(user).get(url).content.decode()
        assert "Legal basis (PIPL)" in body, user
        assert "notice date missing" in body and "consent withdrawn" in body
        assert "Processing stopped" in body
        assert ">Privacy request<" in body
    for user in (cast.executive, cast.risk, cast.compliance):
        body = client_for(user).get(url).content.decode()
        assert "Legal basis (PIPL)" not in body and "notice date missing" not in body
    # Each column of personal data carries its data-security level (JR/T 0197).
    body = client_for(cast.owner).get(url).content.decode()
    assert "Data-security level 3 (JR/T 0197): sensitive" in body


def test_a_withdrawn_consent_stops_reveals_and_the_page_offers_none(cast: Cast) -> None:
    contact = consenting_contact(
        cast.account, phone="13812345678", consent_withdrawn_on=days_ago(1)
    )
    assert contact.processing_stopped
    url = reverse("accounts:contact_reveal", args=[cast.account.pk, contact.pk, "phone"])
    response = client_for(cast.owner).post(url)
    assert response.status_code == 403
    assert "13812345678" not in response.content.decode()
    assert not AccessLog.objects.filter(action=AccessLog.Action.REVEAL).exists()
    page = client_for(cast.owner).get(reverse("accounts:detail", args=[cast.account.pk]))
    assert url not in page.content.decode()


def test_a_consent_still_given_and_other_bases_still_reveal(cast: Cast) -> None:
    consenting = consenting_contact(cast.account, phone="13812345678")
    # A withdrawal of a consent that is not the basis does not stop processing on the basis.
    on_contract = ContactFactory.create(
        account=cast.account,
        phone="13900001111",
        consent_given_on=days_ago(50),
        consent_withdrawn_on=days_ago(2),
    )
    for contact, phone in ((consenting, "13812345678"), (on_contract, "13900001111")):
        url = reverse("accounts:contact_reveal", args=[cast.account.pk, contact.pk, "phone"])
        response = client_for(cast.owner).post(url)
        assert response.status_code == 200 and phone in response.content.decode()


def test_a_withdrawn_transfer_consent_stops_reveals_of_a_contact_abroad(cast: Cast) -> None:
    foreign = AccountFactory.create(owner=cast.owner, region=Region.AFRICA, uscc=None)
    contact = ContactFactory.create(
        account=foreign,
        phone="+27 11 555 0100",
        cross_border_recipient="Johannesburg branch (South Africa)",
        cross_border_consent_on=days_ago(30),
        cross_border_withdrawn_on=days_ago(1),
    )
    url = reverse("accounts:contact_reveal", args=[foreign.pk, contact.pk, "phone"])
    assert client_for(cast.owner).post(url).status_code == 403


def test_an_anonymised_contact_cannot_be_edited(cast: Cast) -> None:
    contact = ContactFactory.create(account=cast.account, anonymised_at=timezone.now())
    url = reverse("accounts:contact_edit", args=[cast.account.pk, contact.pk])
    assert client_for(cast.owner).get(url).status_code == 403
