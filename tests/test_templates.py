"""Pages keep to the Content-Security-Policy (no inline script or style), mask personal data,
and offer the logged reveal only to the account team."""

from __future__ import annotations

import re

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse

from kam.models import User
from tests.conftest import Cast
from tests.factories import ContactFactory, ProjectFactory

pytestmark = pytest.mark.django_db

# A <script> without src runs inline code, which the CSP forbids; json_script's data blocks
# (type="application/json") are data the browser never executes, so they are allowed.
INLINE_SCRIPT = re.compile(
    r'<script(?![^>]*\s(?:src=|type="application/json"))[^>]*>', re.IGNORECASE
)
STYLE_ATTRIBUTE = re.compile(r"<[^>]+\sstyle\s*=", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
EXTERNAL_ASSET = re.compile(r"<(script|link)[^>]+(src|href)=\"(https?:)?//", re.IGNORECASE)


def _assert_csp_clean(body: str) -> None:
    assert not INLINE_SCRIPT.search(body), INLINE_SCRIPT.search(body)
    assert not STYLE_ATTRIBUTE.search(body), STYLE_ATTRIBUTE.search(body)
    assert not INLINE_HANDLER.search(body), INLINE_HANDLER.search(body)
    assert "<style" not in body
    assert not EXTERNAL_ASSET.search(body), EXTERNAL_ASSET.search(body)


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_every_page_renders_without_inline_script_or_style(cast: Cast, language: str) -> None:
    contact = ContactFactory.create(account=cast.account)
    project = ProjectFactory.create(account=cast.account)
    pk = cast.account.pk
    pages = {
        cast.owner: [
            reverse("home"),
            reverse("accounts:list"),
            reverse("accounts:list") + "?tier=key&tier=strategic&o=-updated&q=Sun",
            reverse("accounts:detail", args=[pk]),
            reverse("accounts:create"),
            reverse("accounts:edit", args=[pk]),
            reverse("accounts:contact_create", args=[pk]),
            reverse("accounts:contact_edit", args=[pk, contact.pk]),
            reverse("accounts:project_create", args=[pk]),
            reverse("accounts:project_edit", args=[pk, project.pk]),
            reverse("accounts:project_detail", args=[pk, project.pk]),
            reverse("accounts:party_create", args=[pk, project.pk]),
            reverse("accounts:facility_create", args=[pk, project.pk]),
        ],
        cast.compliance: [
            reverse("audit_trail"),
            reverse("audit_trail") + "?kind=reads",
            reverse("audit_trail") + "?kind=changes&date_from=2025-02-01&date_to=2025-01-01",
        ],
    }
    for user, urls in pages.items():
        client = _client(user)
        for url in urls:
            response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
            assert response.status_code == 200, url
            body = response.content.decode()
            _assert_csp_clean(body)
            assert "vendor/bootstrap-5.3.9/css/bootstrap.min.css" in body
            assert "vendor/htmx-2.0.11/htmx.min.js" in body


def test_error_pages_render_without_inline_script_or_style(cast: Cast) -> None:
    outsider = _client(cast.outsider)
    missing = outsider.get(reverse("accounts:detail", args=[cast.account.pk]))
    assert missing.status_code == 404
    _assert_csp_clean(missing.content.decode())
    denied = _client(cast.executive).get(reverse("accounts:edit", args=[cast.account.pk]))
    assert denied.status_code == 403
    _assert_csp_clean(denied.content.decode())
    # 500.html is rendered without a request or context processors.
    _assert_csp_clean(render_to_string("500.html"))
    _assert_csp_clean(Client().get(reverse("login")).content.decode())


def test_detail_masks_personal_data_and_offers_reveal_to_the_team(cast: Cast) -> None:
    ContactFactory.create(account=cast.account, phone="13812345678", email="wang.fang@example.cn")
    url = reverse("accounts:detail", args=[cast.account.pk])

    body = _client(cast.owner).get(url).content.decode()
    assert "138****5678" in body
    assert "w***@example.cn" in body
    assert "13812345678" not in body
    assert "wang.fang@example.cn" not in body
    assert 'hx-post="' in body and "/reveal/phone/" in body

    read_only = _client(cast.executive).get(url).content.decode()
    assert "138****5678" in read_only
    assert "/reveal/" not in read_only


def test_reveal_answers_htmx_with_a_fragment_and_plain_posts_with_a_page(cast: Cast) -> None:
    contact = ContactFactory.create(account=cast.account, phone="13812345678")
    url = reverse("accounts:contact_reveal", args=[cast.account.pk, contact.pk, "phone"])
    client = _client(cast.owner)

    fragment = client.post(url, HTTP_HX_REQUEST="true").content.decode()
    assert "13812345678" in fragment
    assert "<html" not in fragment

    page = client.post(url).content.decode()
    assert "13812345678" in page
    assert "<html" in page
    assert reverse("accounts:detail", args=[cast.account.pk]) in page


def test_navigation_follows_the_role(cast: Cast) -> None:
    owner_page = _client(cast.owner).get(reverse("home")).content.decode()
    assert reverse("audit_trail") not in owner_page
    assert reverse("admin:index") not in owner_page
    compliance_page = _client(cast.compliance).get(reverse("home")).content.decode()
    assert reverse("audit_trail") in compliance_page
    admin_page = _client(cast.admin).get(reverse("home")).content.decode()
    assert reverse("admin:index") in admin_page
    # Logging out and switching language are POST forms with a CSRF token.
    assert f'method="post" action="{reverse("logout")}"' in owner_page
    assert f'method="post" action="{reverse("set_language")}"' in owner_page
