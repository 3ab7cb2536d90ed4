"""Two-step sign-in (issue 14, MFA): TOTP authenticators and recovery codes (django-otp).

The rest of the suite runs with kam.settings.test, which requires the step of no role and lets
staff into Django admin without it (force_login skips the code step). Every test here restores
the production rule first (the ``enforced`` fixture, whose values
``test_production_requires_the_code_step_of_the_four_roles_and_of_staff_for_admin`` reads
from the production settings) and shows what each role gets, the flows, and the lock-out.
"""

from __future__ import annotations

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
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

import kam.audit
import kam.settings.base as production_rule
from demo.mfa import DEMO_MFA_KEY_HEX, demo_mfa_devices_ensure, totp_code
from kam.mfa import AUTHENTICATOR_NAME, RECOVERY_CODES_NAME
from kam.models import AccessLog, User
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


def _enrol(user: User) -> tuple[TOTPDevice, list[str]]:
    """An authenticator and recovery codes, as enrolment leaves them."""
    device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=True)
    recovery = StaticDevice.objects.create(user=user, name=RECOVERY_CODES_NAME)
    codes = [f"code{n:04d}" for n in range(10)]
    StaticToken.objects.bulk_create([StaticToken(device=recovery, token=c) for c in codes])
    return device, codes


def _code(device: TOTPDevice) -> str:
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
    assert not [q for q in enforced_queries if "otp_" in q["sql"]]


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
    assert StaticToken.objects.filter(token=codes[3]).count() == 0
    assert StaticToken.objects.filter(device__user=cast.risk).count() == 9
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
    device = TOTPDevice.objects.get(user=cast.executive)
    assert not device.confirmed
    # The QR code is inline SVG without style or script (the CSP allows neither inline).
    svg = re.search(r"<svg[^>]*>.*?</svg>", body, re.DOTALL)
    assert svg and "<path" in svg.group(0)
    assert not re.search(r"<[^>]+\s(style|on[a-z]+)\s*=", body)
    assert "<script>" not in body and "<style" not in body
    secret = re.search(r"data-mfa-secret>([A-Z2-7 ]+)<", body)
    assert secret is not None
    key = secret.group(1).replace(" ", "")
    assert len(key) == 32
    # Reloading shows the same secret: one enrolment in progress.
    assert key in client.get(reverse("mfa:setup")).content.decode().replace(" ", "")
    assert TOTPDevice.objects.filter(user=cast.executive).count() == 1
    # Unconfirmed, it counts for nothing: the portal still asks to enrol.
    assert client.get(reverse("home"))["Location"].startswith(reverse("mfa:setup"))

    # The authenticator app computes codes from the secret it was given.
    from base64 import b32decode

    app_code = f"{totp(b32decode(key)):06d}"
    wrong = client.post(reverse("mfa:setup"), {"code": _wrong(app_code)})
    assert "That code is not right." in wrong.content.decode()
    assert client.get(reverse("home"))["Location"].startswith(reverse("mfa:setup"))
    clock.shift(2)
    app_code = f"{totp(b32decode(key)):06d}"
    done = client.post(reverse("mfa:setup"), {"code": app_code, "next": "/accounts/"})
    assert done.status_code == 200
    shown = re.findall(r"data-recovery-code>([a-z2-7]{8})<", done.content.decode())
    assert len(shown) == 10 and len(set(shown)) == 10
    assert 'href="/accounts/"' in done.content.decode()
    device.refresh_from_db()
    assert device.confirmed
    assert sorted(
        StaticToken.objects.filter(device__user=cast.executive).values_list("token", flat=True)
    ) == sorted(shown)
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
    body = client.get(reverse("mfa:setup")).content.decode()
    assert "Your role requires" not in body
    device = TOTPDevice.objects.get(user=cast.owner)
    client.post(reverse("mfa:setup"), {"code": _code(device)})
    assert client.get(reverse("home")).status_code == 200

    clock.shift(30)
    later = _password(cast.owner)
    assert later.get(reverse("home"))["Location"].startswith(reverse("mfa:verify"))
    _verify(later, _code(device))
    assert later.get(reverse("home")).status_code == 200


# ---------------------------------------------------------------- recovery codes and removal


def test_new_recovery_codes_need_a_code_and_replace_the_old_ones(cast: Cast, clock) -> None:
    device, old_codes = _enrol(cast.compliance)
    client = _password(cast.compliance)
    _verify(client, _code(device))
    clock.shift(30)
    assert client.get(reverse("mfa:recovery_codes")).status_code == 200
    refused = client.post(reverse("mfa:recovery_codes"), {"code": "notacode"})
    assert "That code is not right." in refused.content.decode()
    assert StaticToken.objects.filter(device__user=cast.compliance).count() == 10
    clock.shift(2)
    response = client.post(reverse("mfa:recovery_codes"), {"code": _code(device)})
    new_codes = re.findall(r"data-recovery-code>([a-z2-7]{8})<", response.content.decode())
    assert len(new_codes) == 10
    assert set(
        StaticToken.objects.filter(device__user=cast.compliance).values_list("token", flat=True)
    ) == set(new_codes)
    assert not set(new_codes) & set(old_codes)
    entry = LogEntry.objects.filter(content_type__model="staticdevice").latest("pk")
    assert entry.actor == cast.compliance
    assert entry.changes_dict == {"recovery codes": ["10 left", "10 new"]}
    assert not any(code in str(LogEntry.objects.values_list("changes")) for code in new_codes)
    # An old code no longer signs in; a new one does.
    clock.shift(30)
    again = _password(cast.compliance)
    assert _verify(again, old_codes[0]).status_code == 200
    clock.shift(2)
    assert _verify(again, new_codes[0])["Location"] == reverse("home")


def test_removing_ones_authenticator_needs_a_code_and_ends_the_other_sessions(
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
    refused = client.post(reverse("mfa:remove"), {"code": _wrong(_code(device))})
    assert "That code is not right." in refused.content.decode()
    assert TOTPDevice.objects.filter(user=cast.owner).exists()
    assert _signed_in(other)
    clock.shift(2)
    response = client.post(reverse("mfa:remove"), {"code": codes[0]})  # a recovery code will do
    assert response["Location"] == reverse("mfa:overview")
    assert not TOTPDevice.objects.filter(user=cast.owner).exists()
    assert not StaticDevice.objects.filter(user=cast.owner).exists()
    assert not _signed_in(other)
    assert client.get(reverse("home")).status_code == 200
    assert "Off" in client.get(reverse("mfa:overview")).content.decode()
    # The next sign-in asks for no code.
    assert _password(cast.owner).get(reverse("home")).status_code == 200
    deleted = LogEntry.objects.filter(action=LogEntry.Action.DELETE, actor=cast.owner)
    assert {e.content_type.model for e in deleted} == {"totpdevice", "staticdevice"}


def test_a_role_that_requires_the_step_sends_one_who_removed_it_to_enrol_again(
    cast: Cast, clock
) -> None:
    device, _codes = _enrol(cast.executive)
    client = _password(cast.executive)
    _verify(client, _code(device))
    clock.shift(30)
    response = client.post(reverse("mfa:remove"), {"code": _code(device)})
    assert response["Location"] == reverse("mfa:setup")
    assert client.get(reverse("home"))["Location"].startswith(reverse("mfa:setup"))


# ---------------------------------------------------------------- the administrator's reset


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
    assert response["Location"] == reverse("admin:kam_user_change", args=[cast.executive.pk])
    assert not TOTPDevice.objects.filter(user=cast.executive).exists()
    assert not StaticToken.objects.filter(device__user=cast.executive).exists()
    assert not _signed_in(victim)
    entry = LogEntry.objects.get_for_object(cast.executive).latest("pk")
    assert entry.actor == cast.admin
    assert entry.changes_dict == {"two-step sign-in": ["on", "reset"]}
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
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user__in=[cast.risk, cast.owner]).exists()


def test_only_a_verified_administrator_may_reset(cast: Cast, clock) -> None:
    _enrol(cast.executive)
    _enrol(cast.admin)
    unverified = _password(cast.admin)
    response = unverified.post(reverse("admin:kam_user_reset_mfa", args=[cast.executive.pk]))
    assert response["Location"].startswith(reverse("mfa:verify"))
    assert TOTPDevice.objects.filter(user=cast.executive).exists()
    # A verified member of staff without the right to change users gets 403.
    staff = UserFactory.create(username="staff.viewer", is_staff=True)
    device, _codes = _enrol(staff)
    client = _password(staff)
    _verify(client, _code(device))
    response = client.post(reverse("admin:kam_user_reset_mfa", args=[cast.executive.pk]))
    assert response.status_code == 403
    assert TOTPDevice.objects.filter(user=cast.executive).exists()


def test_django_otps_device_pages_are_not_in_the_admin(cast: Cast, clock) -> None:
    admin = _verified_admin(cast)
    assert admin.get("/admin/otp_totp/totpdevice/").status_code == 404
    assert admin.get("/admin/otp_static/staticdevice/").status_code == 404


# ---------------------------------------------------------------- audit


def test_devices_are_in_the_change_log_without_their_secret(cast: Cast) -> None:
    unaccounted = [
        model._meta.label
        for model in apps.get_models()
        if model._meta.app_label in ("otp_totp", "otp_static")
        and auditlog.contains(model) == (model._meta.label in kam.audit.NOT_AUDITED)
    ]
    assert not unaccounted
    device = TOTPDevice.objects.create(user=cast.owner, name=AUTHENTICATOR_NAME, confirmed=False)
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
    assert set(TOTPDevice.objects.values_list("key", flat=True)) == {DEMO_MFA_KEY_HEX}
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
    assert TOTPDevice.objects.get(user=executive, confirmed=True).key == DEMO_MFA_KEY_HEX
    assert not TOTPDevice.objects.exclude(user=executive).exists()


def test_the_session_mark_is_set_at_sign_in_only_for_the_enrolled(cast: Cast) -> None:
    _enrol(cast.owner)
    client = _password(cast.owner)
    assert client.session.get("_kam_mfa_enrolled") is True
    assert "_kam_mfa_enrolled" not in _password(cast.lead).session
