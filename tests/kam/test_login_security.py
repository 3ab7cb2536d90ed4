"""Sign-in under attack: over-long usernames, lockout by username and by address, the client
address behind trusted proxies, and the language cookie in production (issue #14, findings 3,
5 and 6). Run with DATABASE_URL pointing at PostgreSQL to prove the length checks there: SQLite
does not enforce the length of a varchar column.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from auditlog.models import LogEntry
from axes.models import AccessAttempt
from cryptography.fernet import Fernet
from django.contrib.auth import authenticate
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse

from kam.client_address import client_address
from kam.middleware import ClientAddressAuditlogMiddleware
from tests.factories import AccountFactory, UserFactory

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "right-password-123"
PROXY = "10.0.0.5"


def _sign_in(
    client: Client, username: str, password: str, address: str, forwarded: str = ""
) -> int:
    response = client.post(
        reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=address,
        headers={"X-Forwarded-For": forwarded} if forwarded else None,
    )
    return response.status_code


def _production_settings(**extra: str) -> subprocess.CompletedProcess[str]:
    """Read settings in a fresh process under kam.settings.production."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "kam.settings.production",
        "DJANGO_SECRET_KEY": "x7$k!q" * 10,
        "DJANGO_ALLOWED_HOSTS": "kam.example.com",
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "BLIND_INDEX_KEY": "k" * 40,
        **extra,
    }
    names = [
        "LANGUAGE_COOKIE_SECURE",
        "LANGUAGE_COOKIE_HTTPONLY",
        "LANGUAGE_COOKIE_SAMESITE",
        "AXES_LOCKOUT_PARAMETERS",
        "TRUSTED_PROXIES",
    ]
    code = (
        "import json; from django.conf import settings; "
        f"print(json.dumps({{name: getattr(settings, name) for name in {names!r}}}))"
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


# ---------------------------------------------------------------- finding 3: long usernames


@pytest.mark.django_db
@pytest.mark.parametrize("length", [151, 256, 1000])
def test_an_overlong_username_is_a_field_error_not_a_server_error(client, length) -> None:
    user = UserFactory.create(username="rm.wang", password=PASSWORD)
    response = client.post(reverse("login"), {"username": "u" * length, "password": "wrong"})
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["username"] == [
        f"Ensure this value has at most 150 characters (it has {length})."
    ]
    assert "u" * length in response.content.decode()  # what was typed is shown again
    assert not AccessAttempt.objects.exists()
    # The database connection is intact (on PostgreSQL a failed insert would abort the
    # transaction): the same client signs in at once.
    assert (
        client.post(reverse("login"), {"username": "rm.wang", "password": PASSWORD}).status_code
        == 302
    )
    assert client.session["_auth_user_id"] == str(user.pk)


@pytest.mark.django_db
def test_a_username_of_the_longest_allowed_length_is_checked_as_usual(client) -> None:
    response = client.post(reverse("login"), {"username": "u" * 150, "password": "wrong"})
    assert response.status_code == 200
    assert "username" not in response.context["form"].errors
    assert response.context["form"].non_field_errors()
    assert AccessAttempt.objects.get().username == "u" * 150


@pytest.mark.django_db
def test_the_admin_sign_in_refuses_an_overlong_username_too(client) -> None:
    UserFactory.create(username="admin", password=PASSWORD, is_staff=True, is_superuser=True)
    url = reverse("admin:login")
    response = client.post(url, {"username": "a" * 300, "password": "wrong"})
    assert response.status_code == 200
    assert "Ensure this value has at most 150 characters" in response.content.decode()
    assert client.post(url, {"username": "admin", "password": PASSWORD}).status_code == 302


@pytest.mark.django_db
def test_any_other_authentication_records_an_overlong_username_cut_to_its_column() -> None:
    request = RequestFactory().post("/elsewhere/", REMOTE_ADDR="198.51.100.1")
    assert authenticate(request, username="u" * 300, password="wrong") is None
    assert AccessAttempt.objects.get().username == "u" * 255


# ---------------------------------------------------------------- finding 5: lockout


@pytest.mark.django_db
def test_a_username_locked_from_one_address_is_refused_from_another(client, settings) -> None:
    UserFactory.create(username="rm.wang", password=PASSWORD)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _sign_in(client, "rm.wang", "wrong", "198.51.100.1") == 200
    assert _sign_in(client, "rm.wang", "wrong", "198.51.100.1") == 429
    assert _sign_in(Client(), "rm.wang", PASSWORD, "203.0.113.7") == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_failures_spread_over_addresses_lock_the_username(settings) -> None:
    UserFactory.create(username="rm.wang", password=PASSWORD)
    for n in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(Client(), "rm.wang", "wrong", f"198.51.100.{n + 1}")
    assert _sign_in(Client(), "rm.wang", PASSWORD, "203.0.113.7") == 429


@pytest.mark.django_db
def test_an_address_trying_many_usernames_is_locked(settings) -> None:
    UserFactory.create(username="rm.wang", password=PASSWORD)
    attacker = Client()
    for n in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _sign_in(attacker, f"user{n}", "Password1", "198.51.100.1") == 200
    assert _sign_in(attacker, "someone.else", "Password1", "198.51.100.1") == 429
    # Even the right password of a real user is refused from that address ...
    assert _sign_in(Client(), "rm.wang", PASSWORD, "198.51.100.1") == 429
    # ... and that user signs in from their own.
    assert _sign_in(Client(), "rm.wang", PASSWORD, "203.0.113.7") == 302


@pytest.mark.django_db
def test_a_sign_in_clears_its_own_failures_only(settings) -> None:
    """A working login from the address does not wipe its count of tries at other accounts."""
    UserFactory.create(username="mallory", password=PASSWORD)
    UserFactory.create(username="rm.wang", password=PASSWORD)
    attacker = Client()
    for n in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _sign_in(attacker, f"user{n}", "Password1", "198.51.100.1") == 200
    assert _sign_in(attacker, "mallory", PASSWORD, "198.51.100.1") == 302
    attacker.logout()
    assert _sign_in(attacker, "user99", "Password1", "198.51.100.1") == 429
    # rm.wang's own typos are forgotten once rm.wang signs in.
    wang = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _sign_in(wang, "rm.wang", "typo", "203.0.113.7") == 200
    assert _sign_in(wang, "rm.wang", PASSWORD, "203.0.113.7") == 302
    assert not AccessAttempt.objects.filter(username="rm.wang").exists()


# ---------------------------------------------------------------- finding 5: client address


@pytest.mark.parametrize(
    ("trusted", "peer", "forwarded", "expected"),
    [
        # No trusted proxies: the header is never read.
        ([], "198.51.100.4", "203.0.113.9", "198.51.100.4"),
        ([], PROXY, "203.0.113.9", PROXY),
        # A peer that is not a trusted proxy cannot name another address.
        (["10.0.0.0/8"], "198.51.100.4", "203.0.113.9", "198.51.100.4"),
        # A trusted proxy's hop is believed ...
        (["10.0.0.0/8"], PROXY, "203.0.113.9", "203.0.113.9"),
        ([PROXY], PROXY, "203.0.113.9", "203.0.113.9"),
        # ... but only the hops the trusted proxies appended: what the client wrote to the left
        # of its own address is ignored.
        (["10.0.0.0/8"], PROXY, "1.2.3.4, 203.0.113.9", "203.0.113.9"),
        (["10.0.0.0/8"], PROXY, "1.2.3.4, 203.0.113.9, 10.0.0.7", "203.0.113.9"),
        # A single trusted address trusts no neighbour in its network.
        (["10.0.0.5"], PROXY, "1.2.3.4, 10.0.0.6", "10.0.0.6"),
        # Ports, IPv6 and IPv4-mapped addresses as proxies write them.
        (["10.0.0.0/8"], PROXY, "203.0.113.9:51234", "203.0.113.9"),
        (["10.0.0.0/8"], PROXY, "[2001:db8::1]:443", "2001:db8::1"),
        (["2001:db8:f::/48"], "2001:db8:f::2", "2001:db8::1", "2001:db8::1"),
        (["10.0.0.0/8"], "::ffff:10.0.0.5", "203.0.113.9", "203.0.113.9"),
        # Nothing usable in the header: the trusted proxy itself, never the text.
        (["10.0.0.0/8"], PROXY, "", PROXY),
        (["10.0.0.0/8"], PROXY, "unknown", PROXY),
        (["10.0.0.0/8"], PROXY, "'; DROP TABLE x; --", PROXY),
    ],
)
def test_client_address(settings, trusted, peer, forwarded, expected) -> None:
    settings.TRUSTED_PROXIES = trusted
    request = RequestFactory().get("/", REMOTE_ADDR=peer, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == expected


@pytest.mark.django_db
def test_behind_a_trusted_proxy_each_client_is_locked_on_its_own(settings) -> None:
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    UserFactory.create(username="rm.wang", password=PASSWORD)
    attacker = Client()
    for n in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(attacker, f"user{n}", "wrong", PROXY, forwarded="203.0.113.9")
    assert _sign_in(attacker, "rm.wang", PASSWORD, PROXY, forwarded="203.0.113.9") == 429
    # Another client through the same proxy is not locked out with it ...
    assert _sign_in(Client(), "rm.wang", PASSWORD, PROXY, forwarded="198.51.100.7") == 302
    # ... and the attacker cannot escape by writing another address in front of its own.
    assert _sign_in(Client(), "rm.wang", PASSWORD, PROXY, forwarded="192.0.2.1, 203.0.113.9") == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.9"}


@pytest.mark.django_db
def test_an_untrusted_peer_cannot_escape_lockout_by_forging_x_forwarded_for(settings) -> None:
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    attacker = Client()
    statuses = [
        _sign_in(attacker, f"user{n}", "wrong", "198.51.100.4", forwarded=f"10.0.0.{n}")
        for n in range(settings.AXES_FAILURE_LIMIT)
    ]
    assert statuses[-1] == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.4"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("peer", "forwarded", "recorded"),
    [
        ("198.51.100.4", "not-an-address", "198.51.100.4"),
        ("198.51.100.4", "192.0.2.1", "198.51.100.4"),
        (PROXY, "192.0.2.1, 203.0.113.9", "203.0.113.9"),
    ],
)
def test_the_audit_trail_records_the_client_address_not_a_forged_one(
    settings, peer, forwarded, recorded
) -> None:
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]

    def change_an_account(request: HttpRequest) -> HttpResponse:
        AccountFactory.create()
        return HttpResponse()

    request = RequestFactory().post("/", REMOTE_ADDR=peer, HTTP_X_FORWARDED_FOR=forwarded)
    request.user = AnonymousUser()
    ClientAddressAuditlogMiddleware(change_an_account)(request)
    # The account and the owner the factory makes for it: each entry has the client's address.
    assert set(LogEntry.objects.values_list("remote_addr", flat=True)) == {recorded}


def test_trusted_proxies_that_are_not_addresses_stop_startup() -> None:
    result = _production_settings(TRUSTED_PROXIES="10.0.0.0/8,proxy.internal")
    assert result.returncode != 0
    assert "TRUSTED_PROXIES: 'proxy.internal' does not appear to be" in result.stderr


# ---------------------------------------------------------------- finding 6: language cookie


def test_production_settings_guard_the_language_cookie_and_lock_out_per_username_and_address() -> (
    None
):
    result = _production_settings(TRUSTED_PROXIES="10.0.0.5, 172.16.0.0/12")
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["LANGUAGE_COOKIE_SECURE"] is True
    assert values["LANGUAGE_COOKIE_HTTPONLY"] is True
    assert values["LANGUAGE_COOKIE_SAMESITE"] == "Lax"
    assert values["AXES_LOCKOUT_PARAMETERS"] == [["username"], ["ip_address"]]
    assert values["TRUSTED_PROXIES"] == ["10.0.0.5/32", "172.16.0.0/12"]


@pytest.mark.django_db
def test_the_language_switch_works_with_the_production_cookie(client, settings) -> None:
    settings.LANGUAGE_COOKIE_SECURE = True
    settings.LANGUAGE_COOKIE_HTTPONLY = True
    settings.LANGUAGE_COOKIE_SAMESITE = "Lax"
    response = client.post(reverse("set_language"), {"language": "zh-hans", "next": "/login/"})
    assert response.status_code == 302
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "zh-hans"
    assert cookie["secure"] is True
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    page = client.get("/login/").content.decode()
    assert '<html lang="zh-hans">' in page
