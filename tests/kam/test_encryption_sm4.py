"""SM4-GCM (国密) as the field cipher, chosen by FIELD_ENCRYPTION_ALGORITHM: values say what
wrote them, Fernet and SM4 values live side by side, and the rotation command moves a
database from one to the other with the blind index untouched."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from accounts.models import Contact
from kam import crypto
from kam.checks import check_encryption_keys
from tests.factories import ContactFactory

ROOT = Path(__file__).resolve().parents[2]
PHONE, EMAIL = "13812341234", "zhang.wei@sunrise.cn"


def _sm4_key() -> str:
    return base64.b64encode(os.urandom(16)).decode()


def _sm4_header(key: str) -> str:
    return f"sm4gcm1:{crypto.key_id(base64.b64decode(key))}:"


def _raw(contact: Contact) -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone, email FROM accounts_contact WHERE id = %s", [contact.pk])
        return cursor.fetchone()


def _store(contact: Contact, phone: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_contact SET phone = %s WHERE id = %s", [phone, contact.pk])


def _quiet_rotate() -> None:
    with open(os.devnull, "w") as devnull:
        call_command("rotate_encryption_keys", batch_size=2, stdout=devnull)


@pytest.fixture
def sm4(settings) -> str:
    """SM4-GCM chosen, with the test settings' SM4 key; returns the header values carry."""
    settings.FIELD_ENCRYPTION_ALGORITHM = "sm4-gcm"
    return _sm4_header(settings.FIELD_ENCRYPTION_SM4_KEYS[0])


def test_sm4_gcm_round_trip_with_a_fresh_nonce_per_value(sm4: str) -> None:
    sealed = [crypto.encrypt(PHONE) for _ in range(2)]
    assert all(value.startswith(sm4) for value in sealed)
    payloads = [base64.urlsafe_b64decode(value.removeprefix(sm4)) for value in sealed]
    # 96-bit nonce + ciphertext as long as the text + 128-bit tag.
    assert [len(payload) for payload in payloads] == [12 + len(PHONE) + 16] * 2
    assert payloads[0][:12] != payloads[1][:12]
    assert [crypto.decrypt(value) for value in sealed] == [PHONE, PHONE]
    assert crypto.decrypt(crypto.encrypt("张伟 — 北京")) == "张伟 — 北京"


@pytest.mark.django_db
def test_a_contact_saved_under_sm4_is_stored_encrypted_and_read_back(sm4: str) -> None:
    contact = ContactFactory.create(phone=PHONE, email=EMAIL)
    phone, email = _raw(contact)
    assert phone.startswith(sm4)
    assert email.startswith(sm4)
    for stored in (phone, email):
        assert PHONE not in stored
        assert "zhang.wei" not in stored
    fresh = Contact.objects.get(pk=contact.pk)
    assert (fresh.phone, fresh.email) == (PHONE, EMAIL)
    assert list(Contact.objects.with_phone("+86 138-1234-1234")) == [contact]


@pytest.mark.django_db
def test_fernet_and_sm4_values_are_read_side_by_side(settings) -> None:
    under_fernet = ContactFactory.create(phone="13800000001")
    legacy = ContactFactory.create(phone="13800000002")
    # Written before values carried a header: a bare Fernet token.
    bare = Fernet(settings.FIELD_ENCRYPTION_KEYS[0].encode()).encrypt(b"13800000002").decode()
    _store(legacy, bare)
    settings.FIELD_ENCRYPTION_ALGORITHM = "sm4-gcm"
    under_sm4 = ContactFactory.create(phone="13800000003")

    assert _raw(under_fernet)[0].startswith("fernet1:")
    assert _raw(legacy)[0].startswith("gAAAA")
    assert _raw(under_sm4)[0].startswith("sm4gcm1:")
    for chosen in ("sm4-gcm", "fernet"):
        settings.FIELD_ENCRYPTION_ALGORITHM = chosen
        phones = Contact.objects.filter(pk__in=[under_fernet.pk, legacy.pk, under_sm4.pk])
        assert sorted(c.phone for c in phones) == ["13800000001", "13800000002", "13800000003"]


@pytest.mark.django_db
def test_rotating_from_fernet_to_sm4_reencrypts_everything_and_lookups_still_work(
    settings,
) -> None:
    contacts = [
        ContactFactory.create(phone=f"1380000000{i}", email=f"p{i}@sunrise.cn") for i in range(5)
    ]
    _store(
        contacts[0],
        Fernet(settings.FIELD_ENCRYPTION_KEYS[0].encode()).encrypt(b"13800000000").decode(),
    )
    empty = ContactFactory.create(phone="", email="")
    indexes_before = {c.pk: (c.phone_index, c.email_index) for c in contacts}

    settings.FIELD_ENCRYPTION_ALGORITHM = "sm4-gcm"
    _quiet_rotate()

    header = _sm4_header(settings.FIELD_ENCRYPTION_SM4_KEYS[0])
    for contact in contacts:
        assert all(value.startswith(header) for value in _raw(contact))
    assert _raw(empty) == ("", "")
    # Every value was re-encrypted: the Fernet keys are no longer needed.
    settings.FIELD_ENCRYPTION_KEYS = []
    for i, contact in enumerate(contacts):
        fresh = Contact.objects.get(pk=contact.pk)
        assert (fresh.phone, fresh.email) == (f"1380000000{i}", f"p{i}@sunrise.cn")
        assert (fresh.phone_index, fresh.email_index) == indexes_before[contact.pk]
    assert list(Contact.objects.with_phone("+86 13800000003")) == [contacts[3]]
    assert list(Contact.objects.with_email("P4@Sunrise.cn")) == [contacts[4]]


@pytest.mark.django_db
def test_sm4_keys_rotate_like_fernet_keys(settings, sm4: str) -> None:
    contact = ContactFactory.create(phone=PHONE)
    new_key = _sm4_key()
    settings.FIELD_ENCRYPTION_SM4_KEYS = [new_key, *settings.FIELD_ENCRYPTION_SM4_KEYS]
    assert Contact.objects.get(pk=contact.pk).phone == PHONE  # the old key still reads
    _quiet_rotate()
    settings.FIELD_ENCRYPTION_SM4_KEYS = [new_key]
    assert _raw(contact)[0].startswith(_sm4_header(new_key))
    assert Contact.objects.get(pk=contact.pk).phone == PHONE


@pytest.mark.django_db
def test_rotating_back_from_sm4_to_fernet(settings, sm4: str) -> None:
    contact = ContactFactory.create(phone=PHONE)
    settings.FIELD_ENCRYPTION_ALGORITHM = "fernet"
    _quiet_rotate()
    settings.FIELD_ENCRYPTION_SM4_KEYS = []
    assert _raw(contact)[0].startswith("fernet1:")
    assert Contact.objects.get(pk=contact.pk).phone == PHONE


def _flip(text: str, position: int) -> str:
    return text[:position] + ("A" if text[position] != "A" else "B") + text[position + 1 :]


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda header, payload: header + _flip(payload, 0), id="nonce"),
        pytest.param(lambda header, payload: header + _flip(payload, 18), id="ciphertext"),
        pytest.param(lambda header, payload: header + _flip(payload, -4), id="tag"),
        pytest.param(lambda header, payload: header + payload[:-8], id="truncated"),
        pytest.param(lambda header, payload: header + payload[:8], id="too-short"),
        pytest.param(
            lambda header, payload: header.replace("sm4gcm1", "sm4gcm2") + payload,
            id="scheme",
        ),
    ],
)
def test_a_tampered_sm4_value_is_detected(sm4: str, tamper) -> None:
    sealed = crypto.encrypt(PHONE)
    with pytest.raises(crypto.DecryptionError, match="cannot be decrypted"):
        crypto.decrypt(tamper(sm4, sealed.removeprefix(sm4)))


def test_the_header_is_authenticated(settings, sm4: str) -> None:
    """Relabelling a value with another configured key's id fails authentication."""
    other = _sm4_key()
    settings.FIELD_ENCRYPTION_SM4_KEYS = [*settings.FIELD_ENCRYPTION_SM4_KEYS, other]
    sealed = crypto.encrypt(PHONE)
    relabelled = _sm4_header(other) + sealed.removeprefix(sm4)
    with pytest.raises(crypto.DecryptionError, match="altered"):
        crypto.decrypt(relabelled)


@pytest.mark.django_db
def test_a_tampered_stored_value_is_reported_like_a_missing_key(sm4: str) -> None:
    contact = ContactFactory.create(phone=PHONE)
    stored = _raw(contact)[0]
    _store(contact, _flip(stored, len(stored) - 10))
    with pytest.raises(crypto.DecryptionError, match="cannot be decrypted: it was altered"):
        Contact.objects.get(pk=contact.pk)


@pytest.mark.django_db
def test_a_missing_sm4_key_is_a_clear_error(settings, sm4: str) -> None:
    contact = ContactFactory.create(phone=PHONE)
    settings.FIELD_ENCRYPTION_SM4_KEYS = [_sm4_key()]
    with pytest.raises(crypto.DecryptionError, match="missing from FIELD_ENCRYPTION_SM4_KEYS"):
        Contact.objects.get(pk=contact.pk)


@pytest.mark.parametrize(
    ("keys", "problem"),
    [
        (["not base64!"], "not valid base64"),
        ([base64.b64encode(os.urandom(15)).decode()], "120 bits"),
        ([base64.b64encode(os.urandom(32)).decode()], "256 bits"),
        ([Fernet.generate_key().decode()], "256 bits"),
    ],
)
def test_system_check_refuses_bad_sm4_keys(settings, keys: list[str], problem: str) -> None:
    settings.FIELD_ENCRYPTION_ALGORITHM = "sm4-gcm"
    settings.FIELD_ENCRYPTION_SM4_KEYS = [_sm4_key(), *keys]
    errors = check_encryption_keys(None)
    assert [error.id for error in errors] == ["kam.E006"]
    assert "key 2" in errors[0].msg
    assert problem in errors[0].msg


def test_system_check_accepts_sm4_keys_in_either_base64_alphabet(settings) -> None:
    settings.FIELD_ENCRYPTION_ALGORITHM = "sm4-gcm"
    key = bytes(range(240, 256))  # encodes with "+" and "/"
    settings.FIELD_ENCRYPTION_SM4_KEYS = [
        base64.b64encode(key).decode(),
        base64.urlsafe_b64encode(key).decode(),
    ]
    settings.FIELD_ENCRYPTION_KEYS = []  # not needed once every value is under SM4
    assert check_encryption_keys(None) == []


def test_system_check_wants_the_chosen_algorithms_keys(settings) -> None:
    settings.FIELD_ENCRYPTION_ALGORITHM = "sm4-gcm"
    settings.FIELD_ENCRYPTION_SM4_KEYS = []
    assert [error.id for error in check_encryption_keys(None)] == ["kam.E005"]
    settings.FIELD_ENCRYPTION_ALGORITHM = "aes-gcm"
    assert [error.id for error in check_encryption_keys(None)] == ["kam.E004"]


@pytest.mark.parametrize(
    ("sm4_keys", "failing"),
    [("", "kam.E005"), ("c2hvcnQta2V5", "kam.E006"), ("bm90LWJhc2U2NA=!", "kam.E006")],
)
def test_manage_py_check_fails_on_bad_sm4_configuration(sm4_keys: str, failing: str) -> None:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "kam.settings.dev",
        "FIELD_ENCRYPTION_ALGORITHM": "sm4-gcm",
        "FIELD_ENCRYPTION_SM4_KEYS": sm4_keys,
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert failing in result.stdout + result.stderr


@pytest.mark.django_db(transaction=True)
def test_a_database_dump_holds_no_plaintext_under_sm4(sm4: str) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("pg_dump needs PostgreSQL (set DATABASE_URL); the SQLite run reads rows.")
    if not shutil.which("pg_dump"):
        pytest.fail("PostgreSQL is in use but pg_dump is not installed.")
    ContactFactory.create(phone=PHONE, email=EMAIL)
    db = connection.settings_dict
    result = subprocess.run(
        [
            "pg_dump",
            "--data-only",
            "--no-owner",
            *(["--host", db["HOST"]] if db["HOST"] else []),
            *(["--port", str(db["PORT"])] if db["PORT"] else []),
            *(["--username", db["USER"]] if db["USER"] else []),
            db["NAME"],
        ],
        env={**os.environ, "PGPASSWORD": db["PASSWORD"] or ""},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    dump = result.stdout
    assert sm4 in dump  # the contact's row is there, encrypted
    for plain in (PHONE, "1234-1234", "zhang.wei", EMAIL):
        assert plain not in dump
