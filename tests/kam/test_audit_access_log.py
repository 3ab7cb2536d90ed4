"""Access-log rows are built in one place (``kam.access_log.record_access``): a contact's reveal,
compliance's read of confidential notes and the sign-ins all record the client's address as
the sign-in lockout sees it — behind a trusted proxy the address it forwarded, never a header
a client wrote itself."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from interactions.services.interactions import CONFIDENTIAL_NOTES_FIELD, interaction_create
from kam.access_log import record_access
from kam.models import AccessLog
from tests.conftest import Cast
from tests.factories import ContactFactory
from tests.interactions.factories import channel

pytestmark = pytest.mark.django_db

PROXY, CLIENT, FORGED = "10.0.0.5", "203.0.113.9", "198.51.100.66"
VIA_PROXY: dict[str, Any] = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": f"{FORGED}, {CLIENT}"}


@pytest.fixture
def behind_proxy(settings: Any) -> None:
    settings.TRUSTED_PROXIES = [PROXY]


def _client(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def test_a_reveal_behind_a_trusted_proxy_logs_the_client_address(
    cast: Cast, behind_proxy: None
) -> None:
    contact = ContactFactory.create(account=cast.account)
    url = reverse("accounts:contact_reveal", args=[cast.account.pk, contact.pk, "phone"])
    assert _client(cast.owner).post(url, **VIA_PROXY).status_code == 200
    assert AccessLog.objects.get(action=AccessLog.Action.REVEAL).ip_address == CLIENT


def test_a_reveal_does_not_believe_a_header_from_an_untrusted_peer(
    cast: Cast, behind_proxy: None
) -> None:
    contact = ContactFactory.create(account=cast.account)
    url = reverse("accounts:contact_reveal", args=[cast.account.pk, contact.pk, "email"])
    direct: dict[str, Any] = {"REMOTE_ADDR": "192.0.2.7", "HTTP_X_FORWARDED_FOR": FORGED}
    assert _client(cast.owner).post(url, **direct).status_code == 200
    assert AccessLog.objects.get(action=AccessLog.Action.REVEAL).ip_address == "192.0.2.7"


def test_a_notes_read_behind_a_trusted_proxy_logs_the_client_address(
    cast: Cast, behind_proxy: None
) -> None:
    interaction = interaction_create(
        account=cast.account,
        user=cast.owner,
        channel=channel("meeting"),
        occurred_at=timezone.now() - dt.timedelta(days=1),
        subject="Board succession",
        summary="Confidential",
        outcome="",
        is_confidential=True,
    )
    url = reverse("interactions:detail", args=[cast.account.pk, interaction.pk])
    assert _client(cast.compliance).get(url, **VIA_PROXY).status_code == 200
    read = AccessLog.objects.get(field=CONFIDENTIAL_NOTES_FIELD)
    assert read.ip_address == CLIENT


def test_a_sign_in_behind_a_trusted_proxy_logs_the_client_address_and_browser(
    cast: Cast, behind_proxy: None
) -> None:
    client = Client()
    response = client.post(
        reverse("login"),
        {"username": cast.owner.username, "password": "pw-for-tests"},
        HTTP_USER_AGENT="Mozilla/5.0 (Windows NT 10.0) Chrome/126.0",
        **VIA_PROXY,
    )
    assert response.status_code == 302
    row = AccessLog.objects.get(action=AccessLog.Action.LOGIN)
    assert row.ip_address == CLIENT
    assert row.detail == {"user_agent": "Mozilla/5.0 (Windows NT 10.0) Chrome/126.0"}


def test_record_access_builds_the_row(cast: Cast, behind_proxy: None) -> None:
    request = RequestFactory().get("/", HTTP_USER_AGENT="x" * 300, **VIA_PROXY)
    row = record_access(
        request,
        AccessLog.Action.REVEAL,
        user=cast.owner,
        object_repr="y" * 300,
        account_id=cast.account.pk,
        field="phone",
        detail={"contact_id": 7},
        user_agent=True,
    )
    row.refresh_from_db()
    assert (row.user, row.account_id, row.field, row.ip_address) == (
        cast.owner,
        cast.account.pk,
        "phone",
        CLIENT,
    )
    assert row.object_repr == "y" * 200
    assert row.detail == {"user_agent": "x" * 200, "contact_id": 7}
    # A job has no request: no address, no browser.
    job = record_access(None, AccessLog.Action.EXPORT, user=cast.owner, object_repr="z")
    assert job.ip_address is None and job.detail == {}
