"""Contact forms never send a stored phone or e-mail to the browser (PIPL; issue #14, finding
2): the portal's edit form and the admin's change form show them masked with an empty
"replace" input — left empty it keeps the stored value, typed in it replaces it."""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps
from django.contrib import admin
from django.forms import modelform_factory
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts.models import Contact
from kam.fields import EncryptedTextField, MaskedReplaceInput, PersonalDataField
from kam.models import AccessLog
from tests.conftest import Cast
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db

PHONE, MASKED_PHONE = "13812345678", "138****5678"
EMAIL, MASKED_EMAIL = "wang.fang@example.cn", "w***@example.cn"


@pytest.fixture
def contact(cast: Cast) -> Contact:
    return ContactFactory.create(account=cast.account, name="王芳", phone=PHONE, email=EMAIL)


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _edit_url(contact: Contact) -> str:
    return reverse("accounts:contact_edit", args=[contact.account_id, contact.pk])


def _admin_url(contact: Contact) -> str:
    return reverse("admin:accounts_contact_change", args=[contact.pk])


def _portal_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "name": "王芳",
        "title": "CFO",
        "seniority": "c_level",
        "influence": "decision_maker",
        "attitude": "supporter",
        "channel_preferences": ["meeting"],
        "phone": "",
        "email": "",
        "legal_basis": "contract",
        "purpose": "Relationship management",
        "source": "client",
    }
    data.update(overrides)
    return data


def _admin_data(contact: Contact, **overrides: Any) -> dict[str, Any]:
    data = {
        "account": contact.account_id,
        "name": "王芳",
        "title": "CFO",
        "seniority": "c_level",
        "influence": "decision_maker",
        "attitude": "supporter",
        "channel_preferences": '["meeting"]',
        "phone": "",
        "email": "",
        "legal_basis": "contract",
        "purpose": "Relationship management",
        "source": "client",
        "_save": "Save",
    }
    data.update(overrides)
    return data


def _assert_masked_only(body: str) -> None:
    assert PHONE not in body and "138 1234 5678" not in body
    assert EMAIL not in body
    assert MASKED_PHONE in body and MASKED_EMAIL in body


@pytest.mark.parametrize(
    ("who", "url"), [("owner", _edit_url), ("admin", _admin_url)], ids=["portal", "admin"]
)
def test_edit_pages_show_phone_and_email_masked_and_log_no_reveal(
    cast: Cast, contact: Contact, who: str, url: Any
) -> None:
    response = _client(getattr(cast, who)).get(url(contact))
    assert response.status_code == 200
    body = response.content.decode()
    _assert_masked_only(body)
    assert 'name="phone-remove"' in body and 'name="email-remove"' in body
    assert not AccessLog.objects.filter(action=AccessLog.Action.REVEAL).exists()


def test_the_account_team_and_lead_get_the_masked_form_and_others_none(
    cast: Cast, contact: Contact
) -> None:
    for user in (cast.owner, cast.teammate, cast.lead):
        response = _client(user).get(_edit_url(contact))
        assert response.status_code == 200
        _assert_masked_only(response.content.decode())
    assert _client(cast.executive).get(_edit_url(contact)).status_code == 403
    assert _client(cast.outsider).get(_edit_url(contact)).status_code == 404


def test_a_new_contact_takes_plain_inputs(cast: Cast) -> None:
    body = (
        _client(cast.owner)
        .get(reverse("accounts:contact_create", args=[cast.account.pk]))
        .content.decode()
    )
    assert 'name="phone"' in body and 'type="email" name="email"' in body
    assert "-remove" not in body and "Stored:" not in body


@pytest.mark.parametrize("where", ["portal", "admin"])
def test_an_empty_replace_input_keeps_the_stored_values(
    cast: Cast, contact: Contact, where: str
) -> None:
    if where == "portal":
        response = _client(cast.owner).post(_edit_url(contact), _portal_data(title="CEO"))
    else:
        response = _client(cast.admin).post(_admin_url(contact), _admin_data(contact, title="CEO"))
    assert response.status_code == 302
    contact.refresh_from_db()
    assert (contact.title, contact.phone, contact.email) == ("CEO", PHONE, EMAIL)
    assert Contact.objects.with_phone(PHONE).get() == contact
    assert Contact.objects.with_email(EMAIL).get() == contact


@pytest.mark.parametrize("where", ["portal", "admin"])
def test_a_new_value_replaces_the_stored_one_and_the_blind_index_finds_it(
    cast: Cast, contact: Contact, where: str
) -> None:
    new = {"phone": "+86 139 0000 1111", "email": "fang.wang@sunrise.cn"}
    if where == "portal":
        response = _client(cast.owner).post(_edit_url(contact), _portal_data(**new))
    else:
        response = _client(cast.admin).post(_admin_url(contact), _admin_data(contact, **new))
    assert response.status_code == 302
    contact.refresh_from_db()
    assert (contact.phone, contact.email) == ("+86 139 0000 1111", "fang.wang@sunrise.cn")
    assert Contact.objects.with_phone("13900001111").get() == contact
    assert Contact.objects.with_email("Fang.Wang@sunrise.cn").get() == contact
    assert not Contact.objects.with_phone(PHONE).exists()
    assert not Contact.objects.with_email(EMAIL).exists()


@pytest.mark.parametrize("where", ["portal", "admin"])
@pytest.mark.parametrize(
    ("field", "bad"), [("phone", "12"), ("phone", "call me"), ("email", "not-an-email")]
)
def test_an_invalid_new_value_is_a_field_error_that_does_not_echo_the_stored_one(
    cast: Cast, contact: Contact, where: str, field: str, bad: str
) -> None:
    if where == "portal":
        response = _client(cast.owner).post(_edit_url(contact), _portal_data(**{field: bad}))
    else:
        response = _client(cast.admin).post(
            _admin_url(contact), _admin_data(contact, **{field: bad})
        )
    assert response.status_code == 200
    form = response.context["adminform"].form if where == "admin" else response.context["form"]
    assert list(form.errors) == [field]
    _assert_masked_only(response.content.decode())
    contact.refresh_from_db()
    assert (contact.phone, contact.email) == (PHONE, EMAIL)


def test_an_error_elsewhere_echoes_only_what_was_typed(cast: Cast, contact: Contact) -> None:
    response = _client(cast.owner).post(
        _edit_url(contact), _portal_data(name="", phone="13900001111")
    )
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["name"]
    body = response.content.decode()
    _assert_masked_only(body)
    assert 'value="13900001111"' in body


@pytest.mark.parametrize("where", ["portal", "admin"])
def test_the_remove_box_empties_a_stored_value(cast: Cast, contact: Contact, where: str) -> None:
    if where == "portal":
        response = _client(cast.owner).post(
            _edit_url(contact), _portal_data(**{"phone-remove": "on"})
        )
    else:
        response = _client(cast.admin).post(
            _admin_url(contact), _admin_data(contact, **{"phone-remove": "on"})
        )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert (contact.phone, contact.phone_index, contact.email) == ("", "", EMAIL)


def test_removing_and_replacing_at_once_is_a_field_error(cast: Cast, contact: Contact) -> None:
    response = _client(cast.owner).post(
        _edit_url(contact), _portal_data(**{"email-remove": "on", "email": "new@sunrise.cn"})
    )
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["email"]
    contact.refresh_from_db()
    assert contact.email == EMAIL


def test_every_encrypted_field_is_edited_masked_in_model_forms_and_the_admin(cast: Cast) -> None:
    """Any model with encrypted personal data, now or later: its default ModelForm and its
    admin form use the masking field, whatever widget the admin offers for text."""
    request = RequestFactory().get("/admin/")
    request.user = cast.admin
    encrypted = [
        (model, field.name)
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, EncryptedTextField)
    ]
    assert (Contact, "phone") in encrypted and (Contact, "email") in encrypted
    for model, name in encrypted:
        default_form = modelform_factory(model, fields=[name])
        assert isinstance(default_form.base_fields[name], PersonalDataField)
        if model in admin.site._registry:
            admin_form = admin.site._registry[model].get_form(request)
            # Masked, or not in the admin's form at all (confidential interaction notes).
            field = admin_form.base_fields.get(name)
            assert field is None or isinstance(field, PersonalDataField), (model, name)


def test_the_widget_masks_a_stored_value_even_when_rendered_on_its_own() -> None:
    html = MaskedReplaceInput().render("phone", PHONE, attrs={"id": "id_phone"})
    assert PHONE not in html
    assert MASKED_PHONE in html
    assert 'name="phone-remove"' in html
