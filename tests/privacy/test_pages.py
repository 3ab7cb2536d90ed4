"""The privacy pages keep to the Content-Security-Policy (no inline script or style) and render
in both languages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import Cast
from tests.factories import ContactFactory
from tests.test_templates import _assert_csp_clean

from .support import client_for, make_request

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_every_privacy_page_renders_clean(cast: Cast, language: str) -> None:
    contact = ContactFactory.create(account=cast.account, purpose="Relationship")
    requests = [
        make_request(user=cast.owner, kind=kind, contact=contact, received=20)
        for kind in ("access", "correction", "deletion", "withdraw_consent")
    ]
    stranger = make_request(user=cast.compliance, kind="access", person_name="Zhou Min")
    cast.compliance.language = language
    cast.compliance.save()
    client = client_for(cast.compliance)
    client.cookies["django_language"] = language
    urls = [
        reverse("privacy:request_list"),
        reverse("privacy:request_list") + "?status=all",
        reverse("privacy:request_create") + "?q=" + contact.name,
        reverse("privacy:contact_request", args=[cast.account.pk, contact.pk]),
        reverse("privacy:request_correct", args=[requests[1].pk]),
        *(reverse("privacy:request_detail", args=[dsr.pk]) for dsr in [*requests, stranger]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        _assert_csp_clean(response.content.decode())
    owner_page = client_for(cast.owner).get(
        reverse("privacy:contact_request", args=[cast.account.pk, contact.pk])
    )
    _assert_csp_clean(owner_page.content.decode())
