"""Edits of a contact's PIPL record by whoever edits the account's contacts.

- A withdrawal of consent, once recorded, and the legal basis (or the transfer abroad) it
  stopped are compliance's to change: the RM's, co-RM's, assistant's, team lead's and
  administrator's forms show them read-only and a forged post changes nothing; compliance
  changes them through a privacy request (or a form of theirs).
- A contact whose information leaves the mainland without the person's separate consent (an
  account moved abroad, a contact from before the record) is a visible gap, not an error on
  every unrelated edit; recording the transfer inconsistently is still refused.
- Pages with a contact's record or a decrypted value are never kept by a browser.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.choices import LegalBasis, MembershipRole, Region
from accounts.models import Contact
from kam.models import User
from kam.roles import Role
from privacy.models import RequestKind
from tests.conftest import Cast
from tests.factories import AccountFactory, ContactFactory, MembershipFactory, UserFactory
from tests.privacy.support import consenting_contact, contact_data, days_ago, make_request

pytestmark = pytest.mark.django_db

WITHDRAWN = days_ago(20)
TRANSFER_WITHDRAWN = days_ago(15)


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _editor(cast: Cast, who: str) -> User:
    """A user who may edit the account's contacts, in each way one may."""
    if who in ("co_rm", "assistant"):
        user = UserFactory.create(username=f"team.{who}", roles=[Role.RM])
        MembershipFactory.create(account=cast.account, user=user, role=MembershipRole(who))
        return user
    user = getattr(cast, who)
    assert isinstance(user, User)
    return user


def _withdrawn(cast: Cast, **extra: Any) -> Contact:
    return consenting_contact(
        cast.account, name="王芳", phone="13812345678", consent_withdrawn_on=WITHDRAWN, **extra
    )


def _edit_url(contact: Contact) -> str:
    return reverse("accounts:contact_edit", args=[contact.account_id, contact.pk])


def _undo(contact: Contact, **overrides: Any) -> dict[str, Any]:
    """A post that clears the withdrawal and moves the basis off consent."""
    data = contact_data(
        legal_basis="contract",
        purpose="Event invitations",
        consent_given_on=contact.consent_given_on.isoformat() if contact.consent_given_on else "",
        consent_withdrawn_on="",
        title="CEO",
    )
    data.update(overrides)
    return data


EDITORS = ["owner", "co_rm", "assistant", "lead", "admin"]


@pytest.mark.parametrize("who", EDITORS)
def test_the_editors_form_shows_a_recorded_withdrawal_and_the_basis_read_only(
    cast: Cast, who: str
) -> None:
    contact = _withdrawn(cast)
    page = _client(_editor(cast, who)).get(_edit_url(contact))
    assert page.status_code == 200
    form = page.context["form"]
    assert form.fields["consent_withdrawn_on"].disabled
    assert form.fields["legal_basis"].disabled
    # The rest of the record stays theirs.
    assert not form.fields["purpose"].disabled and not form.fields["consent_given_on"].disabled
    assert "only compliance changes this" in page.content.decode()


@pytest.mark.parametrize("who", EDITORS)
def test_the_editors_cannot_undo_a_withdrawal_or_change_the_basis_after_it(
    cast: Cast, who: str
) -> None:
    contact = _withdrawn(cast)
    response = _client(_editor(cast, who)).post(_edit_url(contact), _undo(contact))
    assert response.status_code == 302  # the rest of the edit is saved
    contact.refresh_from_db()
    assert contact.title == "CEO"
    assert contact.consent_withdrawn_on == WITHDRAWN
    assert contact.legal_basis == LegalBasis.CONSENT
    assert contact.consent_withdrawn and contact.processing_stopped


@pytest.mark.parametrize("who", EDITORS)
def test_the_editors_cannot_end_a_withdrawn_transfer_by_unticking_it(cast: Cast, who: str) -> None:
    contact = ContactFactory.create(
        account=cast.account,
        purpose="Relationship",
        cross_border_transfer=True,
        cross_border_recipient="Sunrise Europe GmbH (Germany)",
        cross_border_consent_on=days_ago(40),
        cross_border_withdrawn_on=TRANSFER_WITHDRAWN,
    )
    assert contact.processing_stopped
    data = contact_data(
        purpose="Relationship",
        cross_border_recipient="Sunrise Europe GmbH (Germany)",
        cross_border_consent_on=days_ago(40).isoformat(),
        cross_border_withdrawn_on="",
    )  # the tick box left out: unticked
    response = _client(_editor(cast, who)).post(_edit_url(contact), data)
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.cross_border_transfer and contact.cross_border_withdrawn_on == TRANSFER_WITHDRAWN
    assert contact.processing_stopped


def test_an_editor_may_still_record_a_withdrawal_the_person_tells_them_of(cast: Cast) -> None:
    contact = consenting_contact(cast.account, name="王芳")
    assert not contact.compliance_only_fields
    form_page = _client(cast.owner).get(_edit_url(contact))
    assert not form_page.context["form"].fields["consent_withdrawn_on"].disabled
    data = _undo(contact, legal_basis="consent", consent_withdrawn_on=days_ago(1).isoformat())
    assert _client(cast.owner).post(_edit_url(contact), data).status_code == 302
    contact.refresh_from_db()
    assert contact.consent_withdrawn_on == days_ago(1)


def test_compliance_changes_them_through_a_correction_request(cast: Cast) -> None:
    contact = _withdrawn(cast)
    dsr = make_request(user=cast.owner, kind=RequestKind.CORRECTION, contact=contact)
    url = reverse("privacy:request_correct", args=[dsr.pk])
    response = _client(cast.compliance).post(url, _undo(contact))
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.consent_withdrawn_on is None and contact.legal_basis == LegalBasis.CONTRACT


def test_compliance_on_the_account_team_has_the_fields_in_the_portal(cast: Cast) -> None:
    MembershipFactory.create(account=cast.account, user=cast.compliance, role=MembershipRole.CO_RM)
    contact = _withdrawn(cast)
    client = _client(cast.compliance)
    form = client.get(_edit_url(contact)).context["form"]
    assert not form.fields["consent_withdrawn_on"].disabled
    assert not form.fields["legal_basis"].disabled
    assert client.post(_edit_url(contact), _undo(contact)).status_code == 302
    contact.refresh_from_db()
    assert contact.consent_withdrawn_on is None and contact.legal_basis == LegalBasis.CONTRACT


def test_the_admin_change_form_keeps_them_for_compliance(cast: Cast) -> None:
    contact = _withdrawn(cast)
    url = reverse("admin:accounts_contact_change", args=[contact.pk])
    data = {
        **_undo(contact),
        "account": contact.account_id,
        "channel_preferences": '["meeting"]',
        "_save": "Save",
    }
    admin = _client(cast.admin)
    page = admin.get(url)
    assert page.status_code == 200
    assert "consent_withdrawn_on" not in page.context["adminform"].form.fields
    assert admin.post(url, data).status_code == 302
    contact.refresh_from_db()
    assert contact.consent_withdrawn_on == WITHDRAWN and contact.legal_basis == LegalBasis.CONSENT

    staff_compliance = UserFactory.create(roles=[Role.COMPLIANCE, Role.ADMIN], is_staff=True)
    assert _client(staff_compliance).post(url, data).status_code == 302
    contact.refresh_from_db()
    assert contact.consent_withdrawn_on is None and contact.legal_basis == LegalBasis.CONTRACT


# ---------------------------------------------------------------- transfers abroad


def _abroad(cast: Cast) -> Contact:
    """A contact of an account that has moved to Hong Kong: no transfer consent recorded."""
    contact = ContactFactory.create(account=cast.account, name="王芳", purpose="Relationship")
    cast.account.region = Region.HK_MACAO
    cast.account.save(update_fields=["region"])
    return Contact.objects.select_related("account").get(pk=contact.pk)


def test_an_unrelated_edit_of_a_contact_abroad_without_transfer_consent_saves(
    cast: Cast,
) -> None:
    contact = _abroad(cast)
    contact.full_clean()  # the model: no error on a save that does not touch the transfer
    response = _client(cast.owner).post(_edit_url(contact), contact_data(title="CEO"))
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.title == "CEO"
    assert contact.privacy_gaps == [
        "notice date missing",
        "separate consent to the transfer abroad missing",
        "overseas recipient missing",
    ]
    page = _client(cast.owner).get(cast.account.get_absolute_url()).content.decode()
    assert "separate consent to the transfer abroad missing" in page


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"cross_border_recipient": "Sunrise HK Ltd (Hong Kong)"}, "cross_border_consent_on"),
        ({"cross_border_consent_on": days_ago(3).isoformat()}, "cross_border_recipient"),
        ({"cross_border_transfer": "on"}, "cross_border_consent_on"),
    ],
)
def test_recording_the_transfer_inconsistently_is_still_refused(
    cast: Cast, overrides: dict[str, Any], field: str
) -> None:
    contact = _abroad(cast)
    response = _client(cast.owner).post(_edit_url(contact), contact_data(**overrides))
    assert response.status_code == 200
    assert field in response.context["form"].errors


def test_recording_the_transfer_in_full_closes_the_gap(cast: Cast) -> None:
    contact = _abroad(cast)
    data = contact_data(
        notice_given_on=days_ago(5).isoformat(),
        cross_border_recipient="Sunrise HK Ltd (Hong Kong)",
        cross_border_consent_on=days_ago(3).isoformat(),
    )
    assert _client(cast.owner).post(_edit_url(contact), data).status_code == 302
    contact.refresh_from_db()
    assert contact.privacy_gaps == []


def test_moving_an_account_abroad_says_how_many_contacts_lack_transfer_consent(
    cast: Cast,
) -> None:
    ContactFactory.create_batch(2, account=cast.account, purpose="Relationship")
    data = {
        "legal_name_zh": cast.account.legal_name_zh,
        "legal_name_en": cast.account.legal_name_en,
        "uscc": cast.account.uscc,
        "account_type": cast.account.account_type,
        "industry": cast.account.industry,
        "region": Region.HK_MACAO,
        "status": cast.account.status,
        "website": "",
        "notes": "",
    }
    response = _client(cast.owner).post(
        reverse("accounts:edit", args=[cast.account.pk]), data, follow=True
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "2 contacts lack the persons&#x27; separate consent to the transfer abroad" in body


def test_a_new_contact_abroad_still_needs_the_transfer_recorded(cast: Cast) -> None:
    foreign = AccountFactory.create(owner=cast.owner, region=Region.EUROPE, uscc=None)
    response = _client(cast.owner).post(
        reverse("accounts:contact_create", args=[foreign.pk]), contact_data()
    )
    assert response.status_code == 200
    assert "cross_border_consent_on" in response.context["form"].errors


# ---------------------------------------------------------------- never cached


def test_contact_pages_are_never_kept_by_a_browser(cast: Cast) -> None:
    contact = ContactFactory.create(account=cast.account, phone="13812345678")
    client = _client(cast.owner)
    pages = [
        client.get(_edit_url(contact)),
        client.get(reverse("accounts:contact_create", args=[cast.account.pk])),
        client.post(
            reverse("accounts:contact_reveal", args=[cast.account.pk, contact.pk, "phone"])
        ),
        client.get(cast.account.get_absolute_url()),
    ]
    for page in pages:
        assert page.status_code == 200
        assert "no-store" in page["Cache-Control"], page.request["PATH_INFO"]
