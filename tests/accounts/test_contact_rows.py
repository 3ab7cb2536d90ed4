"""The account page's contacts table (accounts.templatetags.account_tags.contact_rows, written
in Python): what each reader sees of a contact, and every typed text escaped."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from accounts.choices import MembershipRole
from accounts.models import Contact
from tests.conftest import Cast
from tests.factories import ContactFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def _page(user: Any, contact: Contact) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(f"/accounts/{contact.account_id}/")
    assert response.status_code == 200
    return response.content.decode()


def _row(html: str, contact: Contact) -> str:
    """The table row of ``contact`` (its cells name it by id)."""
    match = re.search(rf"<tr>(?:(?!</tr>).)*contact-{contact.pk}-phone.*?</tr>", html, re.S)
    assert match, f"no row for contact {contact.pk}"
    return match.group(0)


def test_typed_texts_are_escaped(cast: Cast) -> None:
    contact = ContactFactory.create(
        account=cast.account,
        name='<script>alert("n")</script>',
        title="R&D <b>head</b>",
    )
    html = _page(cast.owner, contact)
    row = _row(html, contact)
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&quot;n&quot;)&lt;/script&gt;" in row
    assert "R&amp;D &lt;b&gt;head&lt;/b&gt;" in row


def test_the_team_gets_masked_values_with_a_logged_show_form(cast: Cast) -> None:
    contact = ContactFactory.create(account=cast.account, phone="13812345678", email="")
    row = _row(_page(cast.owner, contact), contact)
    assert "138****5678" in row and "13812345678" not in row
    phone_cell = re.search(r'<td class="pii-cell" id="contact-\d+-phone">.*?</td>', row, re.S)
    assert phone_cell
    reveal = f"/accounts/{cast.account.pk}/contacts/{contact.pk}/reveal/phone/"
    assert f'action="{reveal}"' in phone_cell.group(0)
    assert 'name="csrfmiddlewaretoken"' in phone_cell.group(0)
    # No e-mail: a dash, nothing to show.
    email_cell = re.search(r'<td class="pii-cell" id="contact-\d+-email">(.*?)</td>', row, re.S)
    assert email_cell and "<form" not in email_cell.group(1) and "—" in email_cell.group(1)
    # Those who edit contacts see the PIPL record and the actions.
    assert f"/accounts/{cast.account.pk}/contacts/{contact.pk}/edit/" in row
    assert "Privacy request" in row


def test_an_analyst_on_the_team_sees_masks_only(cast: Cast) -> None:
    analyst = UserFactory.create(username="analyst.qian", team=cast.team)
    MembershipFactory.create(account=cast.account, user=analyst, role=MembershipRole.ANALYST)
    contact = ContactFactory.create(account=cast.account, phone="13812345678")
    row = _row(_page(analyst, contact), contact)
    assert "138****5678" in row
    assert "<form" not in row and "csrfmiddlewaretoken" not in row
    assert "/edit/" not in row and "Privacy request" not in row


def test_an_anonymised_contact_has_no_actions(cast: Cast) -> None:
    contact = ContactFactory.create(account=cast.account, phone="13812345678")
    Contact.objects.filter(pk=contact.pk).update(anonymised_at=timezone.now())
    row = _row(_page(cast.owner, contact), contact)
    assert "Anonymised" in row
    assert "/edit/" not in row and "Privacy request" not in row
