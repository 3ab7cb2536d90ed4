"""Personal data is encrypted at rest, findable by exact match, masked, and rotatable."""

from __future__ import annotations

import base64

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection

from accounts.models import Contact
from kam import crypto
from kam.checks import check_encryption_keys
from kam.masking import mask_email, mask_phone, mask_value
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


def _key_id(fernet_key: str) -> str:
    return crypto.key_id(base64.urlsafe_b64decode(fernet_key))


def _raw(contact: Contact) -> tuple[str, str, str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT phone, email, phone_index, email_index FROM accounts_contact WHERE id = %s",
            [contact.pk],
        )
        return cursor.fetchone()


def test_the_database_never_holds_phone_or_email_in_plain_text(settings) -> None:
    contact = ContactFactory.create(phone="13812341234", email="zhang.wei@sunrise.cn")
    phone, email, phone_index, email_index = _raw(contact)
    for stored in (phone, email, phone_index, email_index):
        assert "13812341234" not in stored
        assert "zhang.wei" not in stored
        assert "sunrise" not in stored
    assert phone.startswith(f"fernet1:{_key_id(settings.FIELD_ENCRYPTION_KEYS[0])}:gAAAA")
    fresh = Contact.objects.get(pk=contact.pk)
    assert (fresh.phone, fresh.email) == ("13812341234", "zhang.wei@sunrise.cn")


def test_each_save_makes_a_new_token_but_the_blind_index_is_stable() -> None:
    contact = ContactFactory.create(phone="13812341234")
    first_token, _, first_index, _ = _raw(contact)
    contact.save()
    second_token, _, second_index, _ = _raw(contact)
    assert first_token != second_token
    assert first_index == second_index


def test_exact_lookup_through_the_blind_index_normalises_input() -> None:
    wanted = ContactFactory.create(phone="13812341234", email="Zhang.Wei@Sunrise.cn")
    ContactFactory.create(phone="13900000000", email="other@sunrise.cn")
    assert list(Contact.objects.with_phone("+86 138-1234-1234")) == [wanted]
    assert list(Contact.objects.with_phone("0086 13812341234")) == [wanted]
    assert list(Contact.objects.with_email(" zhang.wei@sunrise.CN ")) == [wanted]
    assert not Contact.objects.with_phone("13812341235").exists()


def test_empty_values_stay_empty_and_are_not_indexed() -> None:
    contact = ContactFactory.create(phone="", email="")
    phone, email, phone_index, email_index = _raw(contact)
    assert (phone, email, phone_index, email_index) == ("", "", "", "")


def test_blind_index_depends_on_the_key(settings) -> None:
    before = crypto.blind_index("13812341234")
    settings.BLIND_INDEX_KEY = "another-key"
    assert crypto.blind_index("13812341234") != before


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("13812341234", "138****1234"),
        ("+86 138 1234 1234", "138****1234"),
        ("+44 20 7946 0958", "442****0958"),
        ("", ""),
    ],
)
def test_mask_phone(value: str, masked: str) -> None:
    assert mask_phone(value) == masked


def test_mask_email_and_generic_values() -> None:
    assert mask_email("zhang.wei@sunrise.cn") == "z***@sunrise.cn"
    assert mask_value("zhang.wei@sunrise.cn") == "z***@sunrise.cn"
    assert mask_value("13812341234") == "138****1234"
    assert mask_value(None) == ""


def test_key_rotation_reencrypts_every_row_under_the_newest_key(settings) -> None:
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    contacts = [ContactFactory.create(phone=f"1380000000{i}") for i in range(5)]
    ContactFactory.create(phone="", email="")
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    call_command("rotate_encryption_keys", batch_size=2, stdout=open("/dev/null", "w"))  # noqa: SIM115
    # Only the new key remains: every row must still decrypt.
    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    for i, contact in enumerate(contacts):
        assert Contact.objects.get(pk=contact.pk).phone == f"1380000000{i}"
    phone, *_ = _raw(contacts[0])
    header = f"fernet1:{_key_id(new_key)}:"
    assert phone.startswith(header)
    with pytest.raises(InvalidToken):
        Fernet(old_key.encode()).decrypt(phone.removeprefix(header).encode())


def test_a_missing_key_is_a_clear_error(settings) -> None:
    contact = ContactFactory.create(phone="13812341234")
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(ImproperlyConfigured, match="cannot be decrypted"):
        Contact.objects.get(pk=contact.pk)


def test_system_check_refuses_bad_keys(settings) -> None:
    settings.FIELD_ENCRYPTION_KEYS = ["not-a-key"]
    settings.BLIND_INDEX_KEY = ""
    ids = {error.id for error in check_encryption_keys(None)}
    assert ids == {"kam.E002", "kam.E003"}
    settings.FIELD_ENCRYPTION_KEYS = []
    assert "kam.E001" in {error.id for error in check_encryption_keys(None)}
