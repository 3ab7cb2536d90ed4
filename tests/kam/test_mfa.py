"""Two-step sign-in (issue 14, MFA): TOTP authenticators and recovery codes (django-otp devices
of kam's own: the secret encrypted, the recovery codes hashed).

The rest of the suite runs with kam.settings.test, which requires the step of no role and lets
staff into Django admin without it (force_login skips the code step). Every test here restores
the production rule first (the ``enforced`` fixture, whose values
``test_production_requires_the_code_step_of_the_four_roles_and_of_staff_for_admin`` reads
from the production settings) and shows what each role gets, the flows, and the lock-out.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import time_machine
from auditlog.models import LogEntry
from auditlog.registry import auditlog
from axes.models import AccessAttempt
from cryptography.fernet import Fernet
from django.apps import apps
from django.contrib.auth.models import Group
from django.core.checks import run_checks
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp

import kam.audit
import kam.settings.base as production_rule
from demo.mfa import DEMO_MFA_KEY_HEX, demo_mfa_devices_ensure, totp_code
from kam.mfa import AUTHENTICATOR_NAME, RECOVERY_CODES_NAME
from kam.models import AccessLog, RecoveryCode, RecoveryCodeDevice, TotpDevice, User
from kam.roles import Role
from tests.conftest import Cast
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "pw-for-tests"  # tests.factories.UserFactory
ADDRESS = "203.0.113.9"
START = dt.datetime(2026, 3, 2, 9, 0, 5, tzinfo=dt.UTC)  # 5 s into a 30-second time step


# The production rule (kam.settings.base's default, which the first test reads).
REQUIRED_ROLES = [Role.ADMIN, Role.EXECUTIVE, Role.COMPLIANCE, Role.RISK]


@pytest.fixture(autouse=True)
def enforced(settings) -> None:
    """The production rule: the four roles, and staff for Django admin."""
    settings.MFA_REQUIRED_ROLES = [str(role) for role in REQUIRED_ROLES]
    settings.MFA_REQUIRED_FOR_ADMIN = production_rule.MFA_REQUIRED_FOR_ADMIN


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    """Time stands still (codes, throttling) until the test moves it."""
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def _enrol(user: User) -> tuple[TotpDevice, list[str]]:
    """An authenticator and recovery codes, as enrolment leaves them."""
    device = TotpDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=True)
    recovery = RecoveryCodeDevice.objects.create(user=user, name=RECOVERY_CODES_NAME)
    codes = [f"code{n:04d}" for n in range(10)]
    RecoveryCode.objects.bulk_create(
        [RecoveryCode(device=recovery, digest=RecoveryCodeDevice.digest(c)) for c in codes]
    )
    return device, codes


def _recovery_codes_left(user: User) -> set[str]:
    """The digests of the user's recovery codes (the codes themselves are nowhere)."""
    return set(RecoveryCode.objects.filter(device__user=user).values_list("digest", flat=True))


def _digests(codes: list[str]) -> set[str]:
    return {RecoveryCodeDevice.digest(code) for code in codes}


def _setup_key(page: Any) -> bytes:
    """The secret the enrolment page shows (base32, in groups of four), as an app reads it."""
    from base64 import b32decode

    secret = re.search(r"data-mfa-secret>([A-Z2-7 ]+)<", page.content.decode())
    assert secret is not None
    return b32decode(secret.group(1).replace(" ", ""))


def _app_code(key: bytes) -> str:
    """The code an authenticator app given ``key`` shows now."""
    return f"{totp(key):06d}"


def _code(device: TotpDevice) -> str:
    device.refresh_from_db()
    code = totp_code(device)
    assert code is not None, "this time step's code was used: move the clock on"
    return code


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def _password(user: User, client: Client | None = None, next_url: str = "") -> Client:
    """The password step through the sign-in form, as a browser does."""
    client = client or Client(REMOTE_ADDR=ADDRESS)
    data = {"username": user.username, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    response = client.post(reverse("login"), data)
    assert response.status_code == 302, response.content
    return client


def _verify(client: Client, code: str, next_url: str = "") -> Any:
    data = {"code": code}
    if next_url:
        data["next"] = next_url
    return client.post(reverse("mfa:verify"), data)


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def _accesses(user: User) -> list[tuple[str, str, str]]:
    return [
        (row.action, row.field, row.detail.get("reason", ""))
        for row in AccessLog.objects.filter(user=user, action__startswith="mfa").order_by("pk")
    ]


# ---------------------------------------------------------------- who must


def test_production_requires_the_code_step_of_the_four_roles_and_of_staff_for_admin() -> None:
    env = {
        **{k: v for k, v in os.environ.items() if k != "MFA_REQUIRED_ROLES"},
        "DJANGO_SETTINGS_MODULE": "kam.settings.production",
        "DJANGO_SECRET_KEY": "x7$k!q" * 10,
        "DJANGO_ALLOWED_HOSTS": "kam.example.com",
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "BLIND_INDEX_KEY": "k" * 40,
    }
    code = (
        "import json; from django.conf import settings as s; print(json.dumps("
        "[s.MFA_REQUIRED_ROLES, s.MFA_REQUIRED_FOR_ADMIN, s.MIDDLEWARE]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    roles, for_admin, middleware = json.loads(done.stdout)
    assert sorted(roles) == sorted(REQUIRED_ROLES)
    assert for_admin is True
    auth = middleware.index("django.contrib.auth.middleware.AuthenticationMiddleware")
    otp = middleware.index("django_otp.middleware.OTPMiddleware")
    required = middleware.index("kam.middleware.MFARequiredMiddleware")
    assert auth < otp < required


@pytest.mark.parametrize("who", ["executive", "risk", "compliance", "admin"])
def test_every_required_role_goes_to_enrolment_then_to_the_code_step(cast: Cast, who: str) -> None:
    user: User = getattr(cast, who)
    client = Client()
    client.force_login(user)
    home = client.get(reverse("home"))
    assert home.status_code == 302
    assert home["Location"] == reverse("mfa:setup") + "?next=%2F"
    for page in (reverse("accounts:list"), reverse("session_list"), reverse("mfa:overview")):
        assert client.get(page)["Location"].startswith(reverse("mfa:setup")), page
    # A POST anywhere goes the same way, and does nothing.
    assert client.post(reverse("session_end_others"))["Location"] == reverse("mfa:setup")

    _enrol(user)
    client = Client()
    client.force_login(user)
    response = client.get(reverse("accounts:detail", args=[cast.account.pk]))
    assert response["Location"] == reverse("mfa:verify") + "?next=" + (
        f"%2Faccounts%2F{cast.account.pk}%2F"
    )


def test_a_superuser_counts_as_an_administrator(db: None) -> None:
    superuser = UserFactory.create(username="root", is_superuser=True)
    client = Client()
    client.force_login(superuser)
    assert client.get(reverse("home"))["Location"].startswith(reverse("mfa:setup"))


@pytest.mark.parametrize("who", ["owner", "teammate", "lead"])
def test_the_other_roles_are_not_asked(cast: Cast, who: str) -> None:
    client = Client()
    client.force_login(getattr(cast, who))
    assert client.get(reverse("home")).status_code == 200
    assert client.get(reverse("accounts:list")).status_code == 200
    # ... but may enrol, from the user menu.
    assert reverse("mfa:overview") in client.get(reverse("home")).content.decode()
    assert client.get(reverse("mfa:overview")).status_code == 200


def test_a_user_with_no_role_is_not_asked(db: None) -> None:
    client = Client()
    client.force_login(UserFactory.create(username="analyst.ma"))
    assert client.get(reverse("home")).status_code == 200


def test_an_empty_setting_requires_no_role(cast: Cast, settings) -> None:
    settings.MFA_REQUIRED_ROLES = []
    client = Client()
    client.force_login(cast.executive)
    assert client.get(reverse("home")).status_code == 200


def test_sign_in_sign_out_language_and_health_stay_open_while_the_code_is_owed(
    cast: Cast,
) -> None:
    _enrol(cast.executive)
    client = _password(cast.executive)
    assert client.get(reverse("mfa:verify")).status_code == 200
    assert client.get(reverse("healthz")).status_code == 200
    assert client.post(reverse("set_language"), {"language": "zh-hans"}).status_code == 302
    assert client.get(reverse("login"))["Location"] == reverse("home")
    assert client.post(reverse("logout")).status_code == 302
    assert not _signed_in(client)


def test_django_admin_needs_the_code_step_of_every_staff_user(cast: Cast) -> None:
    staff_rm = UserFactory.create(username="rm.staff", roles=[Role.RM], is_staff=True)
    client = Client()
    client.force_login(staff_rm)
    # The portal is open to them (their role does not require the step) ...
    assert client.get(reverse("home")).status_code == 200
    # ... Django admin is not, not even its index.
    for page in (reverse("admin:index"), reverse("admin:kam_user_changelist")):
        assert client.get(page)["Location"].startswith(reverse("mfa:setup")), page

    device, _codes = _enrol(staff_rm)
    client = _password(staff_rm)
    assert client.get(reverse("admin:index"))["Location"].startswith(reverse("mfa:verify"))
    assert _verify(client, _code(device), next_url=reverse("admin:index"))["Location"] == reverse(
        "admin:index"
    )
    assert client.get(reverse("admin:index")).status_code == 200


def test_the_admin_sign_in_leads_to_the_code_step(cast: Cast) -> None:
    device, _codes = _enrol(cast.admin)
    client = Client(REMOTE_ADDR=ADDRESS)
    url = reverse("admin:login") + "?next=" + reverse("admin:index")
    response = client.post(
        url, {"username": "admin", "password": PASSWORD, "next": reverse("admin:index")}
    )
    assert response["Location"] == reverse("admin:index")
    assert client.get(reverse("admin:index"))["Location"].startswith(reverse("mfa:verify"))
    _verify(client, _code(device))
    assert client.get(reverse("admin:kam_user_changelist")).status_code == 200


def test_nobody_owes_anything_costs_no_query(cast: Cast, settings) -> None:
    """A session that owes nothing (an RM who did not enrol) costs no query of the step."""
    client = Client()
    client.force_login(cast.owner)
    url = reverse("accounts:list")
    client.get(url)
    with CaptureQueriesContext(connection) as enforced_queries:
        assert client.get(url).status_code == 200
    settings.MFA_REQUIRED_ROLES = []
    with CaptureQueriesContext(connection) as free_queries:
        assert client.get(url).status_code == 200
    assert len(enforced_queries) == len(free_queries)
    assert not [q for q in enforced_queries if re.search(r"totpdevice|recoverycode", q["sql"])]


# ---------------------------------------------------------------- the code step


def test_signing_in_with_the_authenticator_code(cast: Cast, clock) -> None:
    device, _codes = _enrol(cast.executive)
    client = _password(cast.executive, next_url=reverse("accounts:list"))
    page = client.get(reverse("accounts:list"))
    assert page["Location"] == reverse("mfa:verify") + "?next=%2Faccounts%2F"
    form = client.get(page["Location"])
    assert form.status_code == 200
    assert 'autocomplete="one-time-code"' in form.content.decode()
    assert client.get(reverse("home")).status_code == 302  # not yet

    response = _verify(client, _code(device), next_url=reverse("accounts:list"))
    assert response["Location"] == reverse("accounts:list")
    assert client.get(reverse("accounts:list")).status_code == 200
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert _accesses(cast.executive) == [("mfa_verified", "authenticator app", "")]
    row = AccessLog.objects.get(action="mfa_verified")
    assert row.ip_address == ADDRESS and row.object_repr == "exec.chen"
    assert row.detail["purpose"] == "sign-in"
    # The same code never works twice, even in another session within its time step.
    other = _password(cast.executive)
    code = f"{totp(device.bin_key):06d}"
    assert _verify(other, code).status_code == 200
    assert client.get(reverse("mfa:verify"))["Location"] == reverse("home")  # already passed


def test_the_code_page_only_returns_to_pages_of_the_portal(cast: Cast, clock) -> None:
    device, _codes = _enrol(cast.executive)
    client = _password(cast.executive)
    response = _verify(client, _code(device), next_url="https://evil.example/phish")
    assert response["Location"] == reverse("home")


def test_a_recovery_code_signs_in_once(cast: Cast, clock) -> None:
    _device, codes = _enrol(cast.risk)
    client = _password(cast.risk)
    response = _verify(client, f" {codes[3].upper()[:4]}-{codes[3][4:]} ")  # as people type it
    assert response["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200
    assert _recovery_codes_left(cast.risk) == _digests(codes) - _digests([codes[3]])
    overview = client.get(reverse("mfa:overview")).content.decode()
    assert "9 recovery codes left." in overview

    clock.shift(5)  # past the throttling a wrong try would start
    again = _password(cast.risk)
    refused = _verify(again, codes[3])
    assert refused.status_code == 200
    assert "That code is not right." in refused.content.decode()
    assert again.get(reverse("home")).status_code == 302
    assert _accesses(cast.risk) == [
        ("mfa_verified", "recovery code", ""),
        ("mfa_failed", "recovery code", "wrong"),
    ]


def test_a_wrong_code_is_refused_and_logged_without_the_code(cast: Cast, clock) -> None:
    device, _codes = _enrol(cast.compliance)
    client = _password(cast.compliance)
    wrong = _wrong(_code(device))
    response = _verify(client, wrong)
    assert response.status_code == 200
    assert "That code is not right." in response.content.decode()
    assert client.get(reverse("home")).status_code == 302
    assert DEVICE_ID_SESSION_KEY not in client.session
    row = AccessLog.objects.get(action="mfa_failed")
    assert (row.user, row.field, row.ip_address) == (cast.compliance, "authenticator app", ADDRESS)
    assert row.detail["reason"] == "wrong"
    # Nothing records what was typed: not the access log, not django-axes' attempt.
    assert wrong not in json.dumps(list(AccessLog.objects.values_list("detail", flat=True)))
    attempt = AccessAttempt.objects.get(username="compliance.sun")
    assert wrong not in attempt.post_data and "code=********" in attempt.post_data


def test_wrong_codes_throttle_the_device_then_lock_out_like_wrong_passwords(
    cast: Cast, clock, settings
) -> None:
    device, _codes = _enrol(cast.executive)
    client = _password(cast.executive)
    # One wrong code: for a second, the device checks none, not even the right one.
    _verify(client, _wrong(_code(device)))
    throttled = _verify(client, _code(device))
    assert "Too many wrong codes. Try again in 1 seconds." in throttled.content.decode()
    assert client.get(reverse("home")).status_code == 302
    assert _accesses(cast.executive)[-1] == ("mfa_failed", "authenticator app", "throttled")
    # The waits double: 1, 2, 4, 8 seconds after 1, 2, 3, 4 wrong codes in a row.
    for wait in (1, 2, 4):
        clock.shift(wait)
        _verify(client, _wrong(_code(device)))
    device.refresh_from_db()
    assert device.throttling_failure_count == 4
    assert _signed_in(client)
    # The fifth wrong code is the fifth failed sign-in of the username: locked, signed out.
    clock.shift(8)
    locked = _verify(client, _wrong(_code(device)))
    assert locked.status_code == 429
    assert "Sign-in temporarily locked" in locked.content.decode()
    assert not _signed_in(client)
    # The right password is refused for the lock's duration, as after wrong passwords.
    response = Client(REMOTE_ADDR="198.51.100.7").post(
        reverse("login"), {"username": "exec.chen", "password": PASSWORD}
    )
    assert response.status_code == 429
    assert [a for a, _f, _r in _accesses(cast.executive)].count("mfa_failed") == 6


def test_a_password_sign_in_does_not_reset_the_device_throttling(cast: Cast, clock) -> None:
    device, _codes = _enrol(cast.executive)
    for wait in (1, 2, 0):
        client = _password(cast.executive, Client(REMOTE_ADDR="198.51.100.20"))
        _verify(client, _wrong(_code(device)))
        clock.shift(wait)
    device.refresh_from_db()
    # Three wrong codes in a row across three sign-ins: the device waits 4 seconds.
    assert device.throttling_failure_count == 3
    client = _password(cast.executive, Client(REMOTE_ADDR="198.51.100.21"))
    assert "Too many wrong codes" in _verify(client, _code(device)).content.decode()
    clock.shift(4)
    assert _verify(client, _code(device))["Location"] == reverse("home")
    device.refresh_from_db()
    assert device.throttling_failure_count == 0


# ---------------------------------------------------------------- enrolment


def test_enrolment_shows_the_qr_code_and_secret_and_counts_only_once_confirmed(
    cast: Cast, clock
) -> None:
    other_session = _password(cast.executive, Client(REMOTE_ADDR="198.51.100.30"))
    client = _password(cast.executive)
    page = client.get(reverse("mfa:setup"))
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]  # the secret is never kept by a browser
    body = page.content.decode()
    assert "Your role requires two-step sign-in" in body
    # Nothing exists until a code is accepted: the secret is this session's alone.
    assert not TotpDevice.objects.filter(user=cast.executive).exists()
    # The QR code is inline SVG without style or script (the CSP allows neither inline).
    svg = re.search(r"<svg[^>]*>.*?</svg>", body, re.DOTALL)
    assert svg and "<path" in svg.group(0)
    assert not re.search(r"<[^>]+\s(style|on[a-z]+)\s*=", body)
    assert "<script>" not in body and "<style" not in body
    key = _setup_key(page)
    assert len(key) == 20
    # Reloading shows the same secret: one enrolment in progress in this session.
    assert _setup_key(client.get(reverse("mfa:setup"))) == key
    # Unconfirmed, it counts for nothing: the portal still asks to enrol.
    assert client.get(reverse("home"))["Location"].startswith(reverse("mfa:setup"))

    # The authenticator app computes codes from the secret it was given.
    wrong = client.post(reverse("mfa:setup"), {"code": _wrong(_app_code(key))})
    assert "That code is not right." in wrong.content.decode()
    assert client.get(reverse("home"))["Location"].startswith(reverse("mfa:setup"))
    clock.shift(2)
    done = client.post(reverse("mfa:setup"), {"code": _app_code(key), "next": "/accounts/"})
    assert done.status_code == 200
    assert "no-store" in done["Cache-Control"]
    shown = re.findall(r"data-recovery-code>([a-z2-7]{8})<", done.content.decode())
    assert len(shown) == 10 and len(set(shown)) == 10
    assert 'href="/accounts/"' in done.content.decode()
    device = TotpDevice.objects.get(user=cast.executive)
    assert device.confirmed and device.bin_key == key
    assert _recovery_codes_left(cast.executive) == _digests(shown)
    # This session has passed the step; the one signed in with the password alone has ended.
    assert client.get(reverse("home")).status_code == 200
    assert not _signed_in(other_session)
    # Done once: the enrolment page now leads to the overview.
    assert client.get(reverse("mfa:setup"))["Location"] == reverse("mfa:overview")
    assert _accesses(cast.executive) == [
        ("mfa_failed", "authenticator app", "wrong"),
        ("mfa_verified", "authenticator app", ""),
    ]


def test_an_optional_enrolment_asks_for_the_code_at_every_sign_in_after(cast: Cast, clock) -> None:
    client = _password(cast.owner)
    assert client.get(reverse("home")).status_code == 200
    overview = client.get(reverse("mfa:overview")).content.decode()
    assert "Optional for your role" in overview
    page = client.get(reverse("mfa:setup"))
    assert "Your role requires" not in page.content.decode()
    client.post(reverse("mfa:setup"), {"code": _app_code(_setup_key(page))})
    device = TotpDevice.objects.get(user=cast.owner)
    assert client.get(reverse("home")).status_code == 200

    clock.shift(30)
    later = _password(cast.owner)
    assert later.get(reverse("home"))["Location"].startswith(reverse("mfa:verify"))
    _verify(later, _code(device))
    assert later.get(reverse("home")).status_code == 200


# ---------------------------------------------------------------- recovery codes and removal


def test_new_recovery_codes_need_the_password_and_a_code_and_replace_the_old_ones(
    cast: Cast, clock
) -> None:
    device, old_codes = _enrol(cast.compliance)
    client = _password(cast.compliance)
    _verify(client, _code(device))
    clock.shift(30)
    assert client.get(reverse("mfa:recovery_codes")).status_code == 200
    refused = client.post(reverse("mfa:recovery_codes"), {"password": PASSWORD, "code": "notacode"})
    assert "That code is not right." in refused.content.decode()
    assert _recovery_codes_left(cast.compliance) == _digests(old_codes)
    clock.shift(2)
    response = client.post(
        reverse("mfa:recovery_codes"), {"password": PASSWORD, "code": _code(device)}
    )
    new_codes = re.findall(r"data-recovery-code>([a-z2-7]{8})<", response.content.decode())
    assert len(new_codes) == 10
    assert _recovery_codes_left(cast.compliance) == _digests(new_codes)
    assert not set(new_codes) & set(old_codes)
    entry = LogEntry.objects.filter(content_type__model="recoverycodedevice").latest("pk")
    assert entry.actor == cast.compliance
    assert entry.changes_dict == {"recovery codes": ["10 left", "10 new"]}
    assert not any(code in str(LogEntry.objects.values_list("changes")) for code in new_codes)
    # An old code no longer signs in; a new one does.
    clock.shift(30)
    again = _password(cast.compliance)
    assert _verify(again, old_codes[0]).status_code == 200
    clock.shift(2)
    assert _verify(again, new_codes[0])["Location"] == reverse("home")


def test_removing_ones_authenticator_needs_the_password_and_a_code_and_ends_the_other_sessions(
    cast: Cast, clock
) -> None:
    device, codes = _enrol(cast.owner)
    other = _password(cast.owner, Client(REMOTE_ADDR="198.51.100.40"))
    _verify(other, _code(device))
    clock.shift(30)
    client = _password(cast.owner)
    _verify(client, _code(device))
    clock.shift(30)
    assert client.get(reverse("mfa:remove")).status_code == 200
    refused = client.post(
        reverse("mfa:remove"), {"password": PASSWORD, "code": _wrong(_code(device))}
    )
    assert "That code is not right." in refused.content.decode()
    assert TotpDevice.objects.filter(user=cast.owner).exists()
    assert _signed_in(other)
    clock.shift(2)
    # A recovery code will do.
    response = client.post(reverse("mfa:remove"), {"password": PASSWORD, "code": codes[0]})
    assert response["Location"] == reverse("mfa:overview")
    assert not TotpDevice.objects.filter(user=cast.owner).exists()
    assert not RecoveryCodeDevice.objects.filter(user=cast.owner).exists()
    assert not _signed_in(other)
    assert client.get(reverse("home")).status_code == 200
    assert "Off" in client.get(reverse("mfa:overview")).content.decode()
    # The next sign-in asks for no code.
    assert _password(cast.owner).get(reverse("home")).status_code == 200
    deleted = LogEntry.objects.filter(action=LogEntry.Action.DELETE, actor=cast.owner)
    assert {e.content_type.model for e in deleted} == {"totpdevice", "recoverycodedevice"}


def test_a_role_that_requires_the_step_sends_one_who_removed_it_to_enrol_again(
    cast: Cast, clock
) -> None:
    device, _codes = _enrol(cast.executive)
    client = _password(cast.executive)
    _verify(client, _code(device))
    clock.shift(30)
    response = client.post(reverse("mfa:remove"), {"password": PASSWORD, "code": _code(device)})
    assert response["Location"] == reverse("mfa:setup")
    assert client.get(reverse("home"))["Location"].startswith(reverse("mfa:setup"))


# ---------------------------------------------------------------- the administrator's reset


def _issued_codes(response: Any) -> list[str]:
    """The enrolment codes a reset's page shows the administrator."""
    return re.findall(r"data-enrolment-code>([a-z2-7-]+)<", response.content.decode())


def _verified_admin(cast: Cast) -> Client:
    device, _codes = _enrol(cast.admin)
    client = _password(cast.admin)
    _verify(client, _code(device))
    return client


def test_an_administrator_resets_a_users_two_step_sign_in(cast: Cast, clock) -> None:
    device, _codes = _enrol(cast.executive)
    victim = _password(cast.executive)
    _verify(victim, _code(device))
    admin = _verified_admin(cast)
    page = admin.get(reverse("admin:kam_user_change", args=[cast.executive.pk])).content.decode()
    assert "On; 10 recovery codes left" in page
    assert reverse("admin:kam_user_reset_mfa", args=[cast.executive.pk]) in page
    url = reverse("admin:kam_user_reset_mfa", args=[cast.executive.pk])
    assert admin.get(url).status_code == 405
    response = admin.post(url, REMOTE_ADDR=ADDRESS)
    # The one-time enrolment code is shown to the administrator, this once.
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert len(_issued_codes(response)) == 1
    assert not TotpDevice.objects.filter(user=cast.executive).exists()
    assert not RecoveryCode.objects.filter(device__user=cast.executive).exists()
    assert not _signed_in(victim)
    entry = LogEntry.objects.get_for_object(cast.executive).latest("pk")
    assert entry.actor == cast.admin
    assert entry.changes_dict["two-step sign-in"] == ["on", "reset"]
    assert entry.changes_dict["enrolment code"][1].startswith("issued, valid until 2026-03-0")
    assert entry.remote_addr == ADDRESS
    # The user signs in with the password and must enrol again.
    again = _password(cast.executive)
    assert again.get(reverse("home"))["Location"].startswith(reverse("mfa:setup"))
    # Compliance reads the reset in the audit trail.
    reader = Client()
    reader.force_login(cast.compliance)
    device, _codes = _enrol(cast.compliance)
    session = reader.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    trail = reader.get(reverse("audit_trail"), {"kind": "changes", "user": str(cast.admin.pk)})
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", trail.content.decode()))
    assert "two-step sign-in : on → reset" in text


def test_the_reset_action_of_the_user_list(cast: Cast, clock) -> None:
    _enrol(cast.risk)
    _enrol(cast.owner)
    admin = _verified_admin(cast)
    response = admin.post(
        reverse("admin:kam_user_changelist"),
        {"action": "reset_mfa", "_selected_action": [cast.risk.pk, cast.owner.pk]},
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert len(set(_issued_codes(response))) == 2
    assert "risk.liu" in response.content.decode() and "rm.wang" in response.content.decode()
    assert not TotpDevice.objects.filter(user__in=[cast.risk, cast.owner]).exists()


def test_only_a_verified_administrator_may_reset(cast: Cast, clock) -> None:
    _enrol(cast.executive)
    _enrol(cast.admin)
    unverified = _password(cast.admin)
    response = unverified.post(reverse("admin:kam_user_reset_mfa", args=[cast.executive.pk]))
    assert response["Location"].startswith(reverse("mfa:verify"))
    assert TotpDevice.objects.filter(user=cast.executive).exists()
    # A verified member of staff without the right to change users gets 403.
    staff = UserFactory.create(username="staff.viewer", is_staff=True)
    device, _codes = _enrol(staff)
    client = _password(staff)
    _verify(client, _code(device))
    response = client.post(reverse("admin:kam_user_reset_mfa", args=[cast.executive.pk]))
    assert response.status_code == 403
    assert TotpDevice.objects.filter(user=cast.executive).exists()


def test_no_device_pages_are_in_the_admin(cast: Cast, clock) -> None:
    admin = _verified_admin(cast)
    for page in (
        "/admin/kam/totpdevice/",
        "/admin/kam/recoverycodedevice/",
        "/admin/kam/mfaenrolmentcode/",
        "/admin/otp_totp/totpdevice/",
        "/admin/otp_static/staticdevice/",
    ):
        assert admin.get(page).status_code == 404, page


# ---------------------------------------------------------------- audit


def test_devices_are_in_the_change_log_without_their_secret(cast: Cast) -> None:
    unaccounted = [
        model._meta.label
        for model in apps.get_models()
        if model._meta.label
        in ("kam.TotpDevice", "kam.RecoveryCodeDevice", "kam.RecoveryCode", "kam.MFAEnrolmentCode")
        and auditlog.contains(model) == (model._meta.label in kam.audit.NOT_AUDITED)
    ]
    assert not unaccounted
    assert not auditlog.contains(RecoveryCode)
    device = TotpDevice.objects.create(user=cast.owner, name=AUTHENTICATOR_NAME, confirmed=False)
    device.confirmed = True
    device.save()
    entries = list(LogEntry.objects.get_for_object(device).order_by("pk"))
    assert [e.action for e in entries] == [LogEntry.Action.CREATE, LogEntry.Action.UPDATE]
    assert entries[1].changes_dict == {"confirmed": ["False", "True"]}
    serialised = str([e.changes for e in entries])
    assert device.key not in serialised and "key" not in entries[0].changes_dict
    # Codes checked move counters on the device, which the change log leaves out.
    device.throttle_increment()
    assert LogEntry.objects.get_for_object(device).count() == 2


# ---------------------------------------------------------------- settings, demo, volume


def test_an_unknown_role_in_the_setting_stops_the_portal(settings) -> None:
    settings.MFA_REQUIRED_ROLES = ["Executive", "Executives"]
    errors = [e for e in run_checks() if e.id == "kam.E007"]
    assert len(errors) == 1 and "'Executives'" in errors[0].msg


def test_demo_users_of_the_required_roles_get_the_demo_authenticator(cast: Cast) -> None:
    given = demo_mfa_devices_ensure(
        [cast.owner, cast.lead, cast.executive, cast.risk, cast.compliance, cast.admin]
    )
    assert sorted(given) == ["admin", "compliance.sun", "exec.chen", "risk.liu"]
    assert set(TotpDevice.objects.values_list("key", flat=True)) == {DEMO_MFA_KEY_HEX}
    assert demo_mfa_devices_ensure([cast.executive]) == []  # idempotent


def test_the_demo_code_command_prints_a_code_that_signs_in(cast: Cast, clock) -> None:
    demo_mfa_devices_ensure([cast.executive])
    out = StringIO()
    call_command("demo_mfa_code", "exec.chen", stdout=out)
    code = out.getvalue().strip()
    assert re.fullmatch(r"\d{6}", code)
    client = _password(cast.executive)
    assert _verify(client, code)["Location"] == reverse("home")
    # A real user's authenticator is not the command's to read.
    _enrol(cast.risk)
    with pytest.raises(CommandError, match="demo secret"):
        call_command("demo_mfa_code", "risk.liu")
    with pytest.raises(CommandError, match="not set up"):
        call_command("demo_mfa_code", "rm.wang")


def test_the_volume_executive_gets_the_demo_authenticator(db: None) -> None:
    from demo.accounts_volume import EXEC_USERNAME, generate_volume

    Group.objects.get_or_create(name=Role.EXECUTIVE)
    generate_volume(accounts=3, password=PASSWORD, contacts_per_account=0)
    executive = User.objects.get(username=EXEC_USERNAME)
    assert TotpDevice.objects.get(user=executive, confirmed=True).key == DEMO_MFA_KEY_HEX
    assert not TotpDevice.objects.exclude(user=executive).exists()


def test_the_session_mark_is_set_at_sign_in_only_for_the_enrolled(cast: Cast) -> None:
    _enrol(cast.owner)
    client = _password(cast.owner)
    assert client.session.get("_kam_mfa_enrolled") is True
    assert "_kam_mfa_enrolled" not in _password(cast.lead).session


# ---------------------------------------------------------------- security review (finding 1):
# a fresh enrolment secret per attempt, in the session only


def test_each_session_enrols_with_a_secret_of_its_own_and_a_visit_writes_nothing_lasting(
    cast: Cast, clock
) -> None:
    """Someone with the password who opens the set-up page first (and scans its secret) learns
    nothing about the secret the user then enrols with."""
    attacker = _password(cast.executive, Client(REMOTE_ADDR="198.51.100.66"))
    entries, accesses = LogEntry.objects.count(), AccessLog.objects.count()
    planted = _setup_key(attacker.get(reverse("mfa:setup")))
    assert not TotpDevice.objects.exists()
    assert (LogEntry.objects.count(), AccessLog.objects.count()) == (entries, accesses)
    # The secret is in the attacker's session only, and encrypted there.
    attempt = attacker.session["_kam_mfa_enrolment"]
    assert planted.hex() not in json.dumps(attempt) and attempt["key"].startswith("fernet1:")

    user = _password(cast.executive)
    own = _setup_key(user.get(reverse("mfa:setup")))
    assert own != planted
    assert user.post(reverse("mfa:setup"), {"code": _app_code(own)}).status_code == 200
    assert TotpDevice.objects.get(user=cast.executive).bin_key == own
    # The attacker's session has ended with the enrolment; the planted secret opens nothing.
    assert not _signed_in(attacker)
    clock.shift(30)
    later = _password(cast.executive, Client(REMOTE_ADDR="198.51.100.67"))
    assert _verify(later, _app_code(planted)).status_code == 200
    assert later.get(reverse("home"))["Location"].startswith(reverse("mfa:verify"))


def test_an_enrolment_secret_lasts_fifteen_minutes(cast: Cast, clock) -> None:
    client = _password(cast.risk)
    first = _setup_key(client.get(reverse("mfa:setup")))
    clock.shift(14 * 60)
    assert _setup_key(client.get(reverse("mfa:setup"))) == first
    clock.shift(60)
    late = client.post(reverse("mfa:setup"), {"code": _app_code(first)})
    assert "The set-up took too long" in late.content.decode()
    second = _setup_key(late)
    assert second != first
    assert not TotpDevice.objects.exists()
    assert client.post(reverse("mfa:setup"), {"code": _app_code(second)}).status_code == 200
    assert TotpDevice.objects.get(user=cast.risk).bin_key == second


def test_enrolling_deletes_the_users_unconfirmed_devices(cast: Cast, clock) -> None:
    """Unconfirmed devices made by the earlier enrolment (one per user, across sessions) go."""
    stale = TotpDevice.objects.create(user=cast.owner, name=AUTHENTICATOR_NAME, confirmed=False)
    client = _password(cast.owner)
    key = _setup_key(client.get(reverse("mfa:setup")))
    assert key != stale.bin_key
    client.post(reverse("mfa:setup"), {"code": _app_code(key)})
    assert list(TotpDevice.objects.filter(user=cast.owner).values_list("confirmed", flat=True)) == [
        True
    ]


# ---------------------------------------------------------------- finding 2: notices, and the
# one-time enrolment code after an administrator's reset


def _notices(user: User) -> list[str]:
    from kam.models import Notification

    return [n.title for n in Notification.objects.filter(user=user).order_by("pk")]


def test_every_change_of_the_factors_is_notified_in_the_portal_and_by_email(
    cast: Cast, clock, django_capture_on_commit_callbacks: Any
) -> None:
    from django.core import mail

    cast.executive.email = "chen@example.cn"
    cast.executive.save()
    # First enrolment: the password alone does it (README), and the user is told.
    client = _password(cast.executive)
    key = _setup_key(client.get(reverse("mfa:setup")))
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(reverse("mfa:setup"), {"code": _app_code(key)})
    codes = re.findall(r"data-recovery-code>([a-z2-7]{8})<", done.content.decode())
    clock.shift(30)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("mfa:recovery_codes"), {"password": PASSWORD, "code": codes[0]})
    clock.shift(30)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("mfa:remove"), {"password": PASSWORD, "code": _app_code(key)})
    _enrol(cast.executive)
    admin = _verified_admin(cast)
    with django_capture_on_commit_callbacks(execute=True):
        admin.post(reverse("admin:kam_user_reset_mfa", args=[cast.executive.pk]))

    titles = [
        "Two-step sign-in turned on",
        "New recovery codes made",
        "Two-step sign-in turned off",
        "Two-step sign-in reset by an administrator",
    ]
    assert _notices(cast.executive) == titles
    assert [m.subject for m in mail.outbox] == titles
    assert all(m.to == ["chen@example.cn"] for m in mail.outbox)
    assert f"from {ADDRESS}" in mail.outbox[0].body
    assert "If this was not you" in mail.outbox[0].body
    assert not any(code in m.body for m in mail.outbox for code in codes)


def test_a_notice_is_in_the_users_language(cast: Cast, clock) -> None:
    from django.utils import translation

    cast.owner.language = "zh-hans"
    cast.owner.save()
    client = _password(cast.owner)
    key = _setup_key(client.get(reverse("mfa:setup")))
    client.post(reverse("mfa:setup"), {"code": _app_code(key)})
    with translation.override("zh-hans"):
        title = translation.gettext("Two-step sign-in turned on")
    assert _notices(cast.owner) == [title]


def test_after_a_reset_the_user_enrols_only_with_the_enrolment_code(cast: Cast, clock) -> None:
    from kam.models import MFAEnrolmentCode

    _enrol(cast.executive)
    admin = _verified_admin(cast)
    reset = admin.post(reverse("admin:kam_user_reset_mfa", args=[cast.executive.pk]))
    (code,) = _issued_codes(reset)
    assert re.fullmatch(r"[a-z2-7]{4}(-[a-z2-7]{4}){3}", code)
    # Stored as a digest only; never in the change log nor the access log.
    issued = MFAEnrolmentCode.objects.get(user=cast.executive)
    assert issued.issued_by == cast.admin
    assert issued.expires_at == START + dt.timedelta(hours=72)
    stored = json.dumps(
        [
            list(MFAEnrolmentCode.objects.values_list("digest", flat=True)),
            [str(e.changes) for e in LogEntry.objects.all()],
            list(AccessLog.objects.values_list("detail", flat=True)),
        ]
    )
    assert code not in stored and code.replace("-", "") not in stored
    # The admin's change page tells whether the code is still to be used.
    page = admin.get(reverse("admin:kam_user_change", args=[cast.executive.pk])).content.decode()
    assert "Off; enrolment code valid until" in page

    # The password alone now shows no secret: the enrolment code comes first.
    thief = _password(cast.executive, Client(REMOTE_ADDR="198.51.100.66"))
    asked = thief.get(reverse("mfa:setup"))
    assert asked.status_code == 200 and "no-store" in asked["Cache-Control"]
    assert "data-mfa-secret" not in asked.content.decode()
    assert "enrolment code" in asked.content.decode()
    refused = thief.post(reverse("mfa:setup"), {"code": "aaaa-bbbb-cccc-dddd"})
    assert "That code is not right." in refused.content.decode()
    assert "data-mfa-secret" not in refused.content.decode()
    assert _accesses(cast.executive)[-1] == ("mfa_failed", "enrolment code", "wrong")
    # An authenticator's code posted straight to the set-up page does nothing either.
    thief.post(reverse("mfa:setup"), {"code": "123456"})
    assert not TotpDevice.objects.filter(user=cast.executive).exists()

    # The user types the code as they were told it (any case, spaces), then enrols.
    user = _password(cast.executive)
    typed = user.post(reverse("mfa:setup"), {"code": f" {code.upper().replace('-', ' ')} "})
    assert typed["Location"].startswith(reverse("mfa:setup"))
    assert _accesses(cast.executive)[-1] == ("mfa_verified", "enrolment code", "")
    key = _setup_key(user.get(reverse("mfa:setup")))
    # Typed in one session, it opens enrolment in that session only.
    assert "data-mfa-secret" not in thief.get(reverse("mfa:setup")).content.decode()
    assert user.post(reverse("mfa:setup"), {"code": _app_code(key)}).status_code == 200
    assert TotpDevice.objects.filter(user=cast.executive, confirmed=True).exists()
    # Used up.
    assert not MFAEnrolmentCode.objects.filter(user=cast.executive).exists()
    page = admin.get(reverse("admin:kam_user_change", args=[cast.executive.pk])).content.decode()
    assert "On; 10 recovery codes left" in page


def test_an_expired_enrolment_code_enrols_nobody(cast: Cast, clock, settings) -> None:
    settings.MFA_ENROLMENT_CODE_HOURS = 1
    admin = _verified_admin(cast)
    (code,) = _issued_codes(admin.post(reverse("admin:kam_user_reset_mfa", args=[cast.risk.pk])))
    clock.shift(3600)
    client = _password(cast.risk)
    page = client.get(reverse("mfa:setup")).content.decode()
    assert "data-enrolment-code-expired" in page and 'name="code"' not in page
    client.post(reverse("mfa:setup"), {"code": code})
    assert "data-mfa-secret" not in client.get(reverse("mfa:setup")).content.decode()
    assert client.get(reverse("home"))["Location"].startswith(reverse("mfa:setup"))
    admin_page = admin.get(reverse("admin:kam_user_change", args=[cast.risk.pk])).content.decode()
    assert "the enrolment code of the last reset has expired" in admin_page
    # A new reset issues a new code, which works.
    clock.shift(30)
    (fresh,) = _issued_codes(admin.post(reverse("admin:kam_user_reset_mfa", args=[cast.risk.pk])))
    client = _password(cast.risk)
    assert client.post(reverse("mfa:setup"), {"code": fresh})["Location"].startswith(
        reverse("mfa:setup")
    )
    assert "data-mfa-secret" in client.get(reverse("mfa:setup")).content.decode()


def test_wrong_enrolment_codes_lock_out_like_wrong_passwords(cast: Cast, clock) -> None:
    admin = _verified_admin(cast)
    admin.post(reverse("admin:kam_user_reset_mfa", args=[cast.compliance.pk]))
    client = _password(cast.compliance)
    for _try in range(4):
        assert client.post(reverse("mfa:setup"), {"code": "wrong"}).status_code == 200
    assert client.post(reverse("mfa:setup"), {"code": "wrong"}).status_code == 429
    assert not _signed_in(client)


def test_an_administrator_can_require_the_code_of_a_new_account(cast: Cast, clock) -> None:
    """A user who never had an authenticator enrols with the password (notified); an
    administrator who resets them first makes the enrolment code necessary for them too."""
    newcomer = UserFactory.create(username="risk.new", roles=[Role.RISK])
    admin = _verified_admin(cast)
    reset = admin.post(reverse("admin:kam_user_reset_mfa", args=[newcomer.pk]))
    assert len(_issued_codes(reset)) == 1
    client = _password(newcomer)
    assert "data-mfa-secret" not in client.get(reverse("mfa:setup")).content.decode()


# ---------------------------------------------------------------- finding 3: re-authentication


@pytest.mark.parametrize("page", ["mfa:recovery_codes", "mfa:remove"])
def test_changing_the_factors_needs_the_password_too(cast: Cast, clock, page: str) -> None:
    _device, codes = _enrol(cast.compliance)
    client = _password(cast.compliance)
    _verify(client, codes[0])
    form = client.get(reverse(page)).content.decode()
    assert 'name="password"' in form and 'autocomplete="current-password"' in form
    # A code alone is not enough (the form asks for the password).
    alone = client.post(reverse(page), {"code": codes[1]})
    assert alone.status_code == 200 and "This field is required." in alone.content.decode()
    # With a wrong password the code is not even checked: the recovery code is not used up.
    wrong = client.post(reverse(page), {"password": "not-the-password", "code": codes[1]})
    assert "That password is not right." in wrong.content.decode()
    assert _recovery_codes_left(cast.compliance) == _digests(codes[1:])
    assert TotpDevice.objects.filter(user=cast.compliance).exists()
    # It is a failed sign-in: in the access log, and counted by django-axes (never the password).
    assert AccessLog.objects.filter(user=cast.compliance, action="login_failed").count() == 1
    attempt = AccessAttempt.objects.get(username="compliance.sun")
    assert "not-the-password" not in attempt.post_data
    assert codes[1] not in attempt.post_data


def test_wrong_passwords_when_changing_the_factors_lock_out(cast: Cast, clock) -> None:
    device, codes = _enrol(cast.owner)
    client = _password(cast.owner)
    _verify(client, _code(device))
    for _try in range(4):
        response = client.post(reverse("mfa:remove"), {"password": "wrong", "code": codes[0]})
        assert response.status_code == 200
    locked = client.post(reverse("mfa:remove"), {"password": "wrong", "code": codes[0]})
    assert locked.status_code == 429
    assert not _signed_in(client)
    assert TotpDevice.objects.filter(user=cast.owner).exists()


# ---------------------------------------------------------------- finding 4: storage


def _raw(table: str, column: str, pk: int) -> str:
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {qn(column)} FROM {qn(table)} WHERE id = %s", [pk])  # noqa: S608
        (value,) = cursor.fetchone()
    return str(value)


def test_the_secret_is_encrypted_and_the_recovery_codes_hashed_at_rest(cast: Cast) -> None:
    device, codes = _enrol(cast.executive)
    stored = _raw("kam_totpdevice", "key", device.pk)
    assert stored.startswith("fernet1:") and device.key not in stored
    assert TotpDevice.objects.get(pk=device.pk).key == device.key
    digests = list(RecoveryCode.objects.filter(device__user=cast.executive).order_by("pk"))
    for row in digests:
        value = _raw("kam_recoverycode", "digest", row.pk)
        assert re.fullmatch(r"[0-9a-f]{64}", value)
    dumped = json.dumps(list(RecoveryCode.objects.values_list("digest", flat=True)))
    assert not any(code in dumped for code in codes)
    # The digest is keyed: another key gives another digest.
    from django.test import override_settings

    with override_settings(BLIND_INDEX_KEY="another-key"):
        assert RecoveryCodeDevice.digest(codes[0]) not in dumped


def test_key_rotation_covers_the_authenticator_secret(cast: Cast, clock, settings) -> None:
    from kam.management.commands.rotate_encryption_keys import encrypted_columns

    assert (TotpDevice, ["key"]) in encrypted_columns()
    device, _codes = _enrol(cast.risk)
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, *settings.FIELD_ENCRYPTION_KEYS]
    call_command("rotate_encryption_keys", stdout=StringIO())
    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    from kam.crypto import key_id

    header = f"fernet1:{key_id(base64.urlsafe_b64decode(new_key))}:"
    assert _raw("kam_totpdevice", "key", device.pk).startswith(header)
    client = _password(cast.risk)
    assert _verify(client, _code(device))["Location"] == reverse("home")


def test_the_migration_moves_django_otps_devices_encrypting_and_hashing(cast: Cast) -> None:
    """A database made before: django-otp's plaintext rows become kam's devices, and go."""
    import importlib
    from types import SimpleNamespace

    from django.db.migrations.executor import MigrationExecutor

    qn = connection.ops.quote_name
    stamp = "timestamp with time zone" if connection.vendor == "postgresql" else "datetime"
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE otp_totp_totpdevice (id integer PRIMARY KEY, user_id integer, "
            f"name varchar(64), confirmed boolean, {qn('key')} varchar(80), step smallint, "
            f"t0 bigint, digits smallint, tolerance smallint, drift smallint, last_t bigint, "
            f"throttling_failure_timestamp {stamp} NULL, throttling_failure_count integer, "
            f"created_at {stamp} NULL, last_used_at {stamp} NULL)"
        )
        cursor.execute(
            f"CREATE TABLE otp_static_staticdevice (id integer PRIMARY KEY, user_id integer, "
            f"name varchar(64), confirmed boolean, throttling_failure_timestamp {stamp} NULL, "
            f"throttling_failure_count integer, created_at {stamp} NULL, "
            f"last_used_at {stamp} NULL)"
        )
        cursor.execute(
            "CREATE TABLE otp_static_statictoken (id integer PRIMARY KEY, device_id integer, "
            "token varchar(16))"
        )
        added = dt.datetime(2025, 6, 1, 8, 30, tzinfo=dt.UTC)
        totp_row = f"INSERT INTO otp_totp_totpdevice VALUES ({', '.join(['%s'] * 15)})"  # noqa: S608
        # id, user, name, confirmed, key, step, t0, digits, tolerance, drift, last_t, throttled
        # at, failures, created, last used
        enrolled: list[Any] = [7, cast.executive.pk, "Authenticator app", True]
        enrolled += [DEMO_MFA_KEY_HEX.upper(), 30, 0, 6, 1, 0, 123, None, 2, added, None]
        unconfirmed: list[Any] = [8, cast.owner.pk, "Authenticator app", False]
        unconfirmed += ["ab" * 20, 30, 0, 6, 1, 0, -1, None, 0, added, None]
        cursor.execute(totp_row, enrolled)
        cursor.execute(totp_row, unconfirmed)
        cursor.execute(
            "INSERT INTO otp_static_staticdevice VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            [3, cast.executive.pk, "Recovery codes", True, None, 0, added, None],
        )
        for pk, token in ((1, "abcd2345"), (2, "efgh6723")):
            cursor.execute("INSERT INTO otp_static_statictoken VALUES (%s, %s, %s)", [pk, 3, token])

    migration = importlib.import_module("kam.migrations.0009_mfa_devices_from_django_otp")
    state = MigrationExecutor(connection).loader.project_state(
        ("kam", "0009_mfa_devices_from_django_otp")
    )
    migration.forwards(state.apps, SimpleNamespace(connection=connection))

    device = TotpDevice.objects.get(user=cast.executive)
    assert (device.key, device.confirmed, device.last_t) == (DEMO_MFA_KEY_HEX, True, 123)
    assert device.throttling_failure_count == 2 and device.created_at == added
    assert DEMO_MFA_KEY_HEX not in _raw("kam_totpdevice", "key", device.pk).lower()
    assert not TotpDevice.objects.filter(user=cast.owner).exists()  # never confirmed
    assert _recovery_codes_left(cast.executive) == _digests(["abcd2345", "efgh6723"])
    recovery = RecoveryCodeDevice.objects.get(user=cast.executive)
    assert recovery.verify_token("abcd2345") and not recovery.verify_token("abcd2345")
    with connection.cursor() as cursor:
        for table in ("otp_totp_totpdevice", "otp_static_staticdevice", "otp_static_statictoken"):
            cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608
            assert cursor.fetchone() == (0,), table


def test_django_otps_plaintext_device_apps_are_not_installed() -> None:
    from django.conf import settings as django_settings

    assert "django_otp" in django_settings.INSTALLED_APPS
    assert not [app for app in django_settings.INSTALLED_APPS if app.startswith("django_otp.")]


# ---------------------------------------------------------------- finding 5: the deploy check


def test_production_refuses_two_step_sign_in_optional_for_administrators(settings) -> None:
    def errors() -> list[str]:
        return [e.id for e in run_checks(include_deployment_checks=True) if e.id == "kam.E008"]

    settings.DEBUG = False
    settings.MFA_ALLOW_OPTIONAL_ADMIN = False
    settings.MFA_REQUIRED_ROLES = ["Executive", "Compliance"]
    assert errors() == ["kam.E008"]
    settings.MFA_REQUIRED_ROLES = []
    assert errors() == ["kam.E008"]
    # Acknowledged, or not in production, or required of administrators: nothing to say.
    settings.MFA_ALLOW_OPTIONAL_ADMIN = True
    assert errors() == []
    settings.MFA_ALLOW_OPTIONAL_ADMIN = False
    settings.DEBUG = True
    assert errors() == []
    settings.DEBUG = False
    settings.MFA_REQUIRED_ROLES = ["Administrator"]
    assert errors() == []
    # Deployment only: a plain `check` (tests, development) does not ask.
    settings.MFA_REQUIRED_ROLES = []
    assert not [e for e in run_checks() if e.id == "kam.E008"]


def test_an_empty_mfa_setting_fails_check_deploy_unless_acknowledged() -> None:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "kam.settings.production",
        "DJANGO_SECRET_KEY": "x7$k!q" * 10,
        "DJANGO_ALLOWED_HOSTS": "kam.example.com",
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "BLIND_INDEX_KEY": "k" * 40,
        "MFA_REQUIRED_ROLES": "",
    }
    command = [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "ERROR"]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "kam.E008" in done.stderr + done.stdout
    env["MFA_ALLOW_OPTIONAL_ADMIN"] = "true"
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "MFA_ALLOW_OPTIONAL_ADMIN" in (ROOT / ".env.example").read_text()


# ---------------------------------------------------------------- finding 6: a new session key


def _session_key(client: Client) -> str:
    from django.conf import settings as django_settings

    return client.cookies[django_settings.SESSION_COOKIE_NAME].value


def test_the_session_moves_to_a_new_key_after_the_code_step(cast: Cast, clock) -> None:
    from django.contrib.sessions.models import Session

    from kam.models import UserSession

    device, _codes = _enrol(cast.executive)
    client = _password(cast.executive)
    before = _session_key(client)
    signed_in_at = UserSession.objects.get(session_id=before).created_at
    clock.shift(5)
    _verify(client, _code(device))
    after = _session_key(client)
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()
    assert client.get(reverse("home")).status_code == 200
    # Still listed among the user's sessions, signed in when it was.
    assert UserSession.objects.get(session_id=after).created_at == signed_in_at
    # The old key (had it been planted or seen) opens nothing.
    stale = Client()
    stale.cookies[next(iter(client.cookies))] = before
    assert stale.get(reverse("home"))["Location"].startswith(reverse("login"))


def test_the_session_moves_to_a_new_key_after_enrolment(cast: Cast, clock) -> None:
    client = _password(cast.owner)
    before = _session_key(client)
    key = _setup_key(client.get(reverse("mfa:setup")))
    assert _session_key(client) == before  # the set-up page alone changes nothing
    client.post(reverse("mfa:setup"), {"code": _app_code(key)})
    assert _session_key(client) != before
    assert client.get(reverse("mfa:overview")).status_code == 200


# ---------------------------------------------------------------- finding 7: never cached


def test_no_page_of_two_step_sign_in_is_kept_by_a_browser(cast: Cast, clock) -> None:
    device, _codes = _enrol(cast.executive)
    client = _password(cast.executive)
    pages = [client.get(reverse("mfa:verify"))]
    _verify(client, _code(device))
    pages += [client.get(reverse(name)) for name in ("mfa:overview", "mfa:recovery_codes")]
    pages.append(client.get(reverse("mfa:remove")))
    pages.append(_password(cast.risk).get(reverse("mfa:setup")))
    for page in pages:
        assert page.status_code == 200, page.request["PATH_INFO"]
        assert "no-store" in page["Cache-Control"], page.request["PATH_INFO"]
