"""Production hardening: check --deploy is clean, logins are throttled, CSP is strict."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.urls import reverse

from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]


def test_check_deploy_with_production_settings_reports_nothing() -> None:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "kam.settings.production",
        "DJANGO_SECRET_KEY": "x7$k!q" * 10,
        "DJANGO_ALLOWED_HOSTS": "kam.example.com",
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "BLIND_INDEX_KEY": "k" * 40,
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # The one message allowed is the working-calendar notice (information, not a warning):
    # from 1 November until chinesecalendar knows the next year (README, year-end procedure).
    output = result.stdout + result.stderr
    reported = set(re.findall(r"\((\w+\.[A-Z]\d+)\)", output))
    assert reported <= {"interactions.I001", "interactions.I002"}, output
    assert reported or "no issues" in result.stdout


def test_production_settings_refuse_to_start_without_secrets() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SECRET_KEY",)}
    env["DJANGO_SETTINGS_MODULE"] = "kam.settings.production"
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


@pytest.mark.django_db
def test_login_is_throttled_after_repeated_failures(client, settings) -> None:
    UserFactory.create(username="rm.wang", password="right-password-123")
    url = reverse("login")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post(url, {"username": "rm.wang", "password": "wrong"})
        assert response.status_code == 200
    assert client.post(url, {"username": "rm.wang", "password": "wrong"}).status_code == 429
    locked = client.post(url, {"username": "rm.wang", "password": "right-password-123"})
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_login_works_and_pages_carry_a_strict_csp(client) -> None:
    UserFactory.create(username="rm.wang", password="right-password-123")
    response = client.post(
        reverse("login"), {"username": "rm.wang", "password": "right-password-123"}
    )
    assert response.status_code == 302
    page = client.get(reverse("home"))
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "<script>" not in page.content.decode()
    assert page.headers["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_language_choice_is_kept_on_the_user(client) -> None:
    user = UserFactory.create(username="rm.wang")
    client.force_login(user)
    response = client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.language == "zh-hans"
    page = client.get(reverse("accounts:list"))
    assert page.headers["Content-Language"] == "zh-hans"


@pytest.mark.django_db
def test_healthz_answers_without_login(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"
